"""A small local OpenID issuer for the embedded stack, so development and tests use real tokens.

It publishes the discovery document and the JWKS over HTTP, like the city's IdP does, and
signs tokens with an RSA key kept under ``<state>/issuer/`` (made on first use). Services
verify its tokens exactly as they verify the IdP's: only ``OIDC_ISSUER`` differs. Tokens are
minted with :meth:`IssuerKeys.mint` or ``appeals-stack token``, or got by a person through the
authorization code flow with PKCE (RFC 7636): ``/authorize`` shows a sign-in page for the
stack's demo users (``demo-users.json``, passwords made on first use), ``/token`` exchanges
the code. It knows the public clients ``staff-console``, ``citizen-portal``,
``executor-workspace`` and ``operator-desk``, only with a redirect URI on this machine's loopback address (as RFC 8252 allows native apps), and one
confidential client, ``citizen-portal-service`` (the client credentials grant: the citizen's
portal calling intake as the portal channel's adapter; its secret made on first use): a
development issuer, never a city's.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

AUDIENCE = "open-appeals"
DEFAULT_PORT = 8090
#: The one client the local issuer knows: the staff console of inspection (a public client,
#: so PKCE is what binds the code to the browser that asked for it).
CONSOLE_CLIENT_ID = "staff-console"
#: The citizen's portal: a public client for citizens' sign-in, a confidential one for itself.
PORTAL_CLIENT_ID = "citizen-portal"
PORTAL_SERVICE_CLIENT_ID = "citizen-portal-service"
#: The executors' workspace: a public client for employees' sign-in.
WORKSPACE_CLIENT_ID = "executor-workspace"
#: The operators' desk: a public client for operators' sign-in.
DESK_CLIENT_ID = "operator-desk"
#: The roles of each confidential client's own tokens (the client credentials grant).
#: The e-mail channel's adapter (apps/mail): its own confidential client, for a letter's files.
MAIL_SERVICE_CLIENT_ID = "mail-adapter-service"
#: A city's Open311 bridge calling the platform's APIs as a channel adapter.
OPEN311_BRIDGE_CLIENT_ID = "open311-bridge"
SERVICE_CLIENTS = {PORTAL_SERVICE_CLIENT_ID: ("adapter",), MAIL_SERVICE_CLIENT_ID: ("adapter",),
                   OPEN311_BRIDGE_CLIENT_ID: ("adapter",)}
#: A code is good for one exchange within this many seconds.
CODE_TTL_S = 60

#: The demo users of the embedded stack: (username, subject, roles, executor code, name).
DEMO_USERS = (
    ("inspector", "inspector-demo", ("inspector",), None, "Aigerim Inspector"),
    ("akim", "akim-office-demo", ("akim_office",), None, "Akim's Office"),
    ("executor", "employee-demo", ("executor",), "medeu_akimat", "Dana Medeu Employee"),
    ("executor2", "employee2-demo", ("executor",), "medeu_akimat", "Erlan Medeu Employee"),
    ("head", "head-demo", ("executor", "executor_head"), "medeu_akimat", "Medeu Head"),
    ("almaly", "almaly-employee-demo", ("executor",), "almaly_akimat", "Almaly Employee"),
    ("citizen", "citizen-demo", ("citizen",), None, "Aruzhan Demo"),
    ("operator", "operator-demo", ("operator",), None, "Asel Operator"),
    ("sre", "sre-demo", ("sre",), None, "Timur On-call"),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    subject: str
    roles: tuple[str, ...]
    executor_code: str | None
    name: str


class IssuerKeys:
    """The issuer's signing key and its public JWKS; ``issuer.json`` says where it is served."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        key_file = directory / "signing-key.pem"
        if not key_file.exists():
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
            key_file.chmod(0o600)
        self._key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))  # type: ignore[arg-type]
        self.kid = jwt.PyJWK(jwk).key_id or _thumbprint(jwk)
        self.jwks = {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def status_token_secret(self) -> str:
        """The stack's key of citizens' status tokens (intake's ``STATUS_TOKEN_SECRET``)."""
        path = self.directory / "status-token.secret"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48), "utf-8")
            path.chmod(0o600)
        return path.read_text("utf-8").strip()

    def open311_clients_file(self) -> Path:
        """The stack's Open311 clients (intake's ``OPEN311_CLIENTS_FILE``): one demo client,
        ``open311-demo``, whose key is in ``open311-demo.key`` beside it (the file keeps only
        the key's SHA-256, as a city's would)."""
        key_path, path = self.directory / "open311-demo.key", self.directory / "open311-clients.yaml"
        if not key_path.exists():
            key_path.write_text(secrets.token_urlsafe(32), "utf-8")
            key_path.chmod(0o600)
        digest = hashlib.sha256(key_path.read_text("utf-8").strip().encode()).hexdigest()
        text = ("# Open311 clients of the embedded stack: api_key_sha256 is the SHA-256 of the key.\n"
                f"clients:\n  - client: open311-demo\n    api_key_sha256: {digest}\n")
        if not path.exists() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
        return path

    def demo_users(self) -> dict[str, DemoUser]:
        """The sign-in page's users by username; their passwords are made on first use and
        kept in ``demo-users.json`` (readable by the owner only), which ``make run`` names."""
        path = self.directory / "demo-users.json"
        passwords = json.loads(path.read_text("utf-8")) if path.exists() else {}
        if set(passwords) != {u[0] for u in DEMO_USERS}:
            passwords = {u[0]: passwords.get(u[0]) or secrets.token_urlsafe(12) for u in DEMO_USERS}
            path.write_text(json.dumps(passwords, indent=2), "utf-8")
            path.chmod(0o600)
        return {name: DemoUser(name, passwords[name], subject, roles, executor, full)
                for name, subject, roles, executor, full in DEMO_USERS}

    def client_secret(self, client_id: str) -> str:
        """A confidential client's secret (``<client>.secret``, made on first use)."""
        return self.secret(client_id)

    def secret(self, name: str) -> str:
        """A random secret of the stack kept in ``<name>.secret`` (made on first use)."""
        path = self.directory / f"{name}.secret"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(32), "utf-8")
            path.chmod(0o600)
        return path.read_text("utf-8").strip()

    def open311_demo_key(self) -> str:
        """The demo client's api_key."""
        self.open311_clients_file()
        return (self.directory / "open311-demo.key").read_text("utf-8").strip()

    @property
    def issuer_url(self) -> str:
        """Where the running issuer answers (written by :class:`LocalIssuer` when it starts)."""
        path = self.directory / "issuer.json"
        if not path.exists():
            return f"http://127.0.0.1:{DEFAULT_PORT}"
        return str(json.loads(path.read_text("utf-8"))["issuer"])

    def mint(self, subject: str, *roles: str, executor_code: str | None = None, ttl_s: int = 3600,
             issuer: str | None = None, audience: str = AUDIENCE, **claims: Any) -> str:
        """A signed access token for ``subject`` with ``roles``."""
        now = int(time.time())
        body: dict[str, Any] = {"iss": issuer or self.issuer_url, "aud": audience, "sub": subject,
                                "roles": list(roles), "iat": now, "nbf": now, "exp": now + ttl_s,
                                "jti": uuid.uuid4().hex, **claims}
        if executor_code is not None:
            body["executor_code"] = executor_code
        return jwt.encode(body, self._key, algorithm="RS256", headers={"kid": self.kid})  # type: ignore[arg-type]


def _thumbprint(jwk: dict[str, Any]) -> str:
    import base64
    import hashlib

    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def loopback_redirect(uri: str) -> bool:
    """A redirect URI the local issuer accepts: http(s) on this machine's loopback address."""
    if any(ord(c) < 0x21 or c == "\x7f" for c in uri):  # urlsplit drops CR/LF/tab silently; a header would not
        return False
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and parts.hostname in ("127.0.0.1", "localhost", "::1") \
        and not parts.fragment and not parts.username


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in: Open Appeals local issuer</title>
<style>body{{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem;color:#1d2733}}
label{{display:block;margin-top:1rem}}input{{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}}
button{{margin-top:1.2rem;padding:.6rem 1.2rem;font-size:1rem}}.error{{color:#a40000}}
.note{{color:#5b6775;font-size:.9rem}}</style></head>
<body><main><h1>Sign in</h1>
<p class="note">The embedded stack's issuer, for development: demo users <code>inspector</code>, <code>akim</code>,
<code>executor</code> and <code>citizen</code>; their passwords are in <code>{users_file}</code>.</p>
{error}
<form method="post" action="/authorize">
{hidden}
<label for="username">User name</label><input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form></main></body></html>"""

#: The authorization request's parameters carried through the sign-in form.
_REQUEST = ("response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method",
            "scope", "nonce")


class LocalIssuer:
    """Serves discovery, JWKS, the sign-in page and the token endpoint on ``127.0.0.1:port``
    from a thread until :meth:`stop`."""

    def __init__(self, directory: Path, port: int = DEFAULT_PORT, *, host: str = "127.0.0.1",
                 public_url: str | None = None) -> None:
        self.keys = IssuerKeys(directory)
        self.port = port
        self.host = host
        self.url = (public_url or f"http://127.0.0.1:{port}").rstrip("/")
        self._server: ThreadingHTTPServer | None = None
        self._codes: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _document(self, path: str) -> dict[str, Any] | None:
        return {
            "/.well-known/openid-configuration": {
                "issuer": self.url, "jwks_uri": f"{self.url}/jwks.json",
                "authorization_endpoint": f"{self.url}/authorize", "token_endpoint": f"{self.url}/token",
                "id_token_signing_alg_values_supported": ["RS256"], "subject_types_supported": ["public"],
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "client_credentials"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["none", "client_secret_post"],
                "scopes_supported": ["openid"]},
            "/jwks.json": self.keys.jwks,
        }.get(path)

    @staticmethod
    def _request_error(params: dict[str, str]) -> str | None:
        """Why an authorization request is refused, before anything is redirected anywhere."""
        if params.get("client_id") not in (CONSOLE_CLIENT_ID, PORTAL_CLIENT_ID, WORKSPACE_CLIENT_ID, DESK_CLIENT_ID):
            return "unknown client_id"
        if not loopback_redirect(params.get("redirect_uri", "")):
            return "redirect_uri must be on the loopback address"
        if params.get("response_type") != "code":
            return "response_type must be code"
        if params.get("code_challenge_method") != "S256" or len(params.get("code_challenge", "")) < 43:
            return "PKCE with code_challenge_method S256 is required"
        return None

    def _sign_in_page(self, params: dict[str, str], error: str = "") -> str:
        hidden = "\n".join(f'<input type="hidden" name="{k}" value="{html.escape(params[k])}">'
                           for k in _REQUEST if k in params)
        return _PAGE.format(users_file=html.escape(str(self.keys.directory / "demo-users.json")), hidden=hidden,
                            error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "")

    def _signed_in(self, form: dict[str, str]) -> str | None:
        """The redirect back to the client with a code, or ``None`` for wrong credentials."""
        user = self.keys.demo_users().get(form.get("username", ""))
        if user is None or not hmac.compare_digest(user.password.encode(), form.get("password", "").encode()):
            return None
        code = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            for stale in [c for c, v in self._codes.items() if v["expires"] < now]:
                del self._codes[stale]
            self._codes[code] = {"user": user, "client_id": form["client_id"], "redirect_uri": form["redirect_uri"],
                                 "challenge": form["code_challenge"], "nonce": form.get("nonce"),
                                 "expires": now + CODE_TTL_S}
        query = {"code": code, **({"state": form["state"]} if "state" in form else {}), "iss": self.url}
        separator = "&" if urlsplit(form["redirect_uri"]).query else "?"
        return f"{form['redirect_uri']}{separator}{urlencode(query)}"

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The token endpoint: one exchange per code, for the same client and redirect URI,
        with the verifier whose S256 is the challenge."""
        if form.get("grant_type") == "client_credentials":
            return self._client_token(form)
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        if grant is None or grant["expires"] < time.monotonic():
            return 400, {"error": "invalid_grant", "error_description": "unknown, used or expired code"}
        if form.get("client_id") != grant["client_id"] or form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "client or redirect_uri differ"}
        verifier = form.get("code_verifier", "")
        if not 43 <= len(verifier) <= 128 or not hmac.compare_digest(
                create_s256_code_challenge(verifier), grant["challenge"]):
            return 400, {"error": "invalid_grant", "error_description": "code_verifier does not match"}
        user: DemoUser = grant["user"]
        ttl = 3600
        access = self.keys.mint(user.subject, *user.roles, executor_code=user.executor_code, ttl_s=ttl,
                                issuer=self.url, name=user.name)
        id_token = self.keys.mint(user.subject, ttl_s=ttl, issuer=self.url, audience=grant["client_id"],
                                  name=user.name, **({"nonce": grant["nonce"]} if grant["nonce"] else {}))
        return 200, {"access_token": access, "token_type": "Bearer", "expires_in": ttl, "id_token": id_token,
                     "scope": "openid"}

    def _client_token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The client credentials grant: a confidential client's own token, its roles fixed here."""
        client = form.get("client_id", "")
        roles = SERVICE_CLIENTS.get(client)
        if roles is None or not hmac.compare_digest(self.keys.client_secret(client).encode(),
                                                   form.get("client_secret", "").encode()):
            return 401, {"error": "invalid_client"}
        ttl = 900
        return 200, {"access_token": self.keys.mint(f"client:{client}", *roles, ttl_s=ttl, issuer=self.url),
                     "token_type": "Bearer", "expires_in": ttl}

    def start(self) -> LocalIssuer:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                for name, value in (headers or {}).items():
                    if "\r" in value or "\n" in value:  # never split a header, whatever got this far
                        raise ValueError(f"header {name} would carry a line break")
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, document: dict[str, Any]) -> None:
                self._send(status, json.dumps(document).encode(), "application/json")

            def _html(self, status: int, page: str) -> None:
                self._send(status, page.encode(), "text/html; charset=utf-8",
                           {"X-Frame-Options": "DENY", "Content-Security-Policy": "default-src 'none'; "
                            "style-src 'unsafe-inline'; form-action 'self' http://127.0.0.1:* http://localhost:*"})

            def _form(self) -> dict[str, str]:
                length = min(int(self.headers.get("Content-Length") or 0), 65536)
                body = self.rfile.read(length).decode("utf-8", "replace")
                return {k: v[0] for k, v in parse_qs(body).items()}

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path, _, query = self.path.partition("?")
                if path == "/authorize":
                    params = {k: v[0] for k, v in parse_qs(query).items()}
                    error = issuer._request_error(params)
                    if error:
                        self._html(400, f"<!doctype html><title>Refused</title><p>{html.escape(error)}</p>")
                    else:
                        self._html(200, issuer._sign_in_page(params))
                    return
                document = issuer._document(path)
                self._json(200 if document else 404, document or {"error": "not found"})

            def do_POST(self) -> None:  # noqa: N802
                path = self.path.partition("?")[0]
                form = self._form()
                if path == "/token":
                    self._json(*issuer._token(form))
                    return
                if path != "/authorize":
                    self._json(404, {"error": "not found"})
                    return
                error = issuer._request_error(form)
                if error:
                    self._html(400, f"<!doctype html><title>Refused</title><p>{html.escape(error)}</p>")
                    return
                target = issuer._signed_in(form)
                if target is None:
                    self._html(401, issuer._sign_in_page(form, "Wrong user name or password."))
                else:
                    self._send(303, b"", "text/plain", {"Location": target})

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        threading.Thread(target=self._server.serve_forever, name="local-issuer", daemon=True).start()
        (self.keys.directory / "issuer.json").write_text(json.dumps({"issuer": self.url}), "utf-8")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

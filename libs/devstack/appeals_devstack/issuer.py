"""A small local OpenID issuer for the embedded stack, so development and tests use real tokens.

It publishes the discovery document and the JWKS over HTTP, like the city's IdP does, and
signs tokens with an RSA key kept under ``<state>/issuer/`` (made on first use). Services
verify its tokens exactly as they verify the IdP's: only ``OIDC_ISSUER`` differs. It has no
sign-in of its own; tokens are minted with :meth:`IssuerKeys.mint` or ``appeals-stack token``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

AUDIENCE = "open-appeals"
DEFAULT_PORT = 8090


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


class LocalIssuer:
    """Serves discovery and JWKS on ``127.0.0.1:port`` from a thread until :meth:`stop`."""

    def __init__(self, directory: Path, port: int = DEFAULT_PORT, *, host: str = "127.0.0.1",
                 public_url: str | None = None) -> None:
        self.keys = IssuerKeys(directory)
        self.port = port
        self.host = host
        self.url = (public_url or f"http://127.0.0.1:{port}").rstrip("/")
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> LocalIssuer:
        documents = {
            "/.well-known/openid-configuration": {
                "issuer": self.url, "jwks_uri": f"{self.url}/jwks.json",
                "id_token_signing_alg_values_supported": ["RS256"], "subject_types_supported": ["public"],
                "response_types_supported": ["token"]},
            "/jwks.json": self.keys.jwks,
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                document = documents.get(self.path.split("?", 1)[0])
                body = json.dumps(document or {"error": "not found"}).encode()
                self.send_response(200 if document else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

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

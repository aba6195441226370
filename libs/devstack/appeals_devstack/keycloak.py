"""Keycloak, the identity provider most cities run, on loopback for the tests and ``make run
IDP=keycloak``: the pinned server distribution from Maven Central (``deploy/keycloak/pom.xml``),
cached under the state folder, started in development mode with its database in a file of its
own folder (H2, ``dev-file``), and the platform's realm (``deploy/keycloak/open-appeals-realm.json``)
imported through Keycloak's admin API, as an administrator imports a realm file.

What the set-up adds to the realm file, for development only: the stack's demo users (the local
issuer's, with the same passwords from ``demo-users.json``), the confidential clients' secrets
(the same ``<client>.secret`` files), and one client ``appeals-dev-tools`` that may exchange a
demo user's password for a token (the resource owner password grant) so that scripts and tests
get a user's token without a browser. A city's realm has none of the three.

Keycloak 26 needs Java 21 or newer: ``JAVA_HOME`` when it is one, else the newest JDK under
``/usr/lib/jvm``."""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
import subprocess
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from appeals_devstack.children import die_with_parent, stop_group
from appeals_devstack.issuer import AUDIENCE, DEMO_USERS, SERVICE_CLIENTS, IssuerKeys
from appeals_devstack.maven import copy_dependencies
from appeals_devstack.ports import free_port

ROOT = Path(__file__).resolve().parents[3]
POM = ROOT / "deploy" / "keycloak" / "pom.xml"
REALM_FILE = ROOT / "deploy" / "keycloak" / "open-appeals-realm.json"
REALM = "open-appeals"
#: The Keycloak Operator's import of the realm, for the Helm chart's users (made from the file).
OPERATOR_EXAMPLE = ROOT / "deploy" / "helm" / "open-appeals" / "examples" / "keycloak-realm-import.yaml"
#: The development-only client with the password grant (never in the realm file).
DEV_TOOLS_CLIENT_ID = "appeals-dev-tools"
#: The oldest Java Keycloak 26 runs on.
MIN_JAVA = 21


def keycloak_version(pom: Path = POM) -> str:
    match = re.search(r"<keycloak\.version>([^<]+)</keycloak\.version>", pom.read_text("utf-8"))
    if not match:
        raise RuntimeError(f"{pom} pins no keycloak.version")
    return match.group(1)


def java_home() -> Path:
    """A JDK that runs Keycloak: ``JAVA_HOME`` if it is Java 21 or newer, else the newest under
    ``/usr/lib/jvm``; an error that says what was found otherwise."""
    candidates = [Path(os.environ["JAVA_HOME"])] if os.environ.get("JAVA_HOME") else []
    jvm = Path("/usr/lib/jvm")
    if jvm.is_dir():
        candidates += sorted(p for p in jvm.iterdir() if p.is_dir() and not p.is_symlink())
    found = {}
    for home in candidates:
        version = _java_version(home)
        if version is not None:
            found[home] = version
    fit = sorted((v, str(h)) for h, v in found.items() if v >= MIN_JAVA)
    if not fit:
        seen = ", ".join(f"{h} (Java {v})" for h, v in found.items()) or "none"
        raise RuntimeError(f"Keycloak needs Java {MIN_JAVA} or newer; JDKs found: {seen}. Install one (e.g. a "
                           "Temurin JDK under /usr/lib/jvm) or set JAVA_HOME to it")
    return Path(fit[-1][1])


def _java_version(home: Path) -> int | None:
    release = home / "release"
    if not (home / "bin" / "java").exists() or not release.exists():
        return None
    match = re.search(r'^JAVA_VERSION="(\d+)', release.read_text("utf-8", "replace"), re.MULTILINE)
    return int(match.group(1)) if match else None


def keycloak_home(state_dir: Path | None = None, pom: Path = POM) -> Path:
    """The unpacked distribution of the pinned version, fetched once with Maven into
    ``state_dir`` (the repository's ``.state`` by default, shared by every stack)."""
    state_dir = state_dir or ROOT / ".state"
    version = keycloak_version(pom)
    home = state_dir / "keycloak" / f"keycloak-{version}"
    if (home / "bin" / "kc.sh").exists():
        return home
    partial = home.with_name(f"fetch.partial-{uuid.uuid4().hex[:6]}")
    copy_dependencies(pom, state_dir, partial, "-DincludeTypes=zip", what="Keycloak")
    archive = partial / f"keycloak-quarkus-dist-{version}.zip"
    with zipfile.ZipFile(archive) as zipped:
        for member in zipped.infolist():
            target = partial / member.filename
            if not target.resolve().is_relative_to(partial.resolve()):
                raise RuntimeError(f"{archive} holds a path outside itself: {member.filename}")
            zipped.extract(member, partial)
            mode = member.external_attr >> 16
            if mode:
                target.chmod(mode & 0o777)
    unpacked = partial / f"keycloak-{version}"
    if home.exists():  # another process won the race
        shutil.rmtree(partial)
        return home
    unpacked.rename(home)
    shutil.rmtree(partial)
    return home


def realm_representation(keys: IssuerKeys, *, realm_file: Path = REALM_FILE) -> dict[str, Any]:
    """The realm file with the development additions (module docstring)."""
    realm = json.loads(realm_file.read_text("utf-8"))
    users = keys.demo_users()
    for client in realm["clients"]:
        if client["clientId"] in SERVICE_CLIENTS:
            client["secret"] = keys.client_secret(client["clientId"])
    realm["clients"].append({
        "clientId": DEV_TOOLS_CLIENT_ID, "name": "Development scripts and tests (never in a city's realm)",
        "enabled": True, "publicClient": True, "standardFlowEnabled": False, "directAccessGrantsEnabled": True,
        "defaultClientScopes": ["open-appeals"], "optionalClientScopes": [], "fullScopeAllowed": True})
    for username, subject, roles, executor, name in DEMO_USERS:
        first, _, last = name.partition(" ")
        user: dict[str, Any] = {"id": subject, "username": username, "enabled": True, "firstName": first,
                                "lastName": last or first, "emailVerified": False, "realmRoles": list(roles),
                                "credentials": [{"type": "password", "value": users[username].password,
                                                 "temporary": False}]}
        if executor:
            user["attributes"] = {"executor_code": [executor]}
        realm["users"].append(user)
    return realm


def realm_import_manifest(realm_file: Path = REALM_FILE) -> str:
    """The realm file as the Keycloak Operator's ``KeycloakRealmImport`` (``appeals-stack
    keycloak-example`` writes it to :data:`OPERATOR_EXAMPLE`)."""
    import yaml

    manifest = {"apiVersion": "k8s.keycloak.org/v2alpha1", "kind": "KeycloakRealmImport",
                "metadata": {"name": REALM, "namespace": "keycloak"},
                "spec": {"keycloakCRName": "keycloak", "realm": json.loads(realm_file.read_text("utf-8"))}}
    return ("# Made from deploy/keycloak/open-appeals-realm.json by `appeals-stack keycloak-example`; edit the\n"
            "# realm file, not this. The Keycloak Operator imports it into the Keycloak named keycloakCRName.\n"
            "# Before applying: the public clients' redirectUris to the applications' public addresses\n"
            "# (docs/security.md, Connecting the city's identity provider).\n"
            + yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100))


@dataclass(frozen=True)
class KeycloakInfo:
    url: str  # the server's root
    admin_password: str

    @property
    def issuer(self) -> str:
        return f"{self.url}/realms/{REALM}"


class Keycloak:
    """One Keycloak under ``directory`` (its database, its ports and admin password kept there,
    so a second start finds the realm as it was left), with the realm imported at first start."""

    def __init__(self, directory: Path, keys: IssuerKeys, *, home: Path | None = None, port: int | None = None,
                 heap_mb: int = 512) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.keys = keys
        self.home = home
        self.heap_mb = heap_mb
        ports = self._remembered("ports", lambda: f"{port or free_port()} {free_port()}").split()
        self.port, self.management_port = int(ports[0]), int(ports[1])
        self.admin_password = self._remembered("admin.secret", lambda: secrets.token_urlsafe(18))
        self.process: subprocess.Popen | None = None
        self._admin_token: tuple[str, float] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.url}/realms/{REALM}"

    @property
    def info(self) -> KeycloakInfo:
        return KeycloakInfo(self.url, self.admin_password)

    def _remembered(self, name: str, make) -> str:
        path = self.directory / name
        if not path.exists():
            path.write_text(make(), "utf-8")
            path.chmod(0o600)
        return path.read_text("utf-8").strip()

    # -- life ------------------------------------------------------------------------------------
    def start(self, timeout_s: float = 240.0) -> Keycloak:
        home = self.home or keycloak_home()
        env = {**os.environ, "JAVA_HOME": str(java_home()), "KC_BOOTSTRAP_ADMIN_USERNAME": "admin",
               "KC_BOOTSTRAP_ADMIN_PASSWORD": self.admin_password,
               "JAVA_OPTS_KC_HEAP": f"-Xms128m -Xmx{self.heap_mb}m"}
        database = self.directory / "keycloakdb"
        command = ["bash", str(home / "bin" / "kc.sh"), "start-dev", "--http-host=127.0.0.1",
                   f"--http-port={self.port}", f"--http-management-port={self.management_port}",
                   "--health-enabled=true", f"--db-url=jdbc:h2:file:{database};NON_KEYWORDS=VALUE",
                   "--log-level=WARN,org.keycloak.services:INFO"]
        log = open(self.directory / "keycloak.log", "ab")  # noqa: SIM115 - owned by the child
        # The first start of a distribution builds it (Quarkus's augmentation writes into it):
        # one start at a time per distribution, until that is done.
        with open(home.parent / f"{home.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True, preexec_fn=die_with_parent)
            try:
                self._wait_ready(timeout_s)
            except BaseException:
                self.stop()
                raise
        self.import_realm()
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"Keycloak exited with {self.process.returncode}; see "
                                   f"{self.directory / 'keycloak.log'}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.management_port}/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"Keycloak not ready after {timeout_s:.0f}s; see {self.directory / 'keycloak.log'}")

    def stop(self, timeout_s: float = 30.0) -> None:
        if self.process is not None:
            stop_group(self.process, timeout_s)
        self.process = None

    def __enter__(self) -> Keycloak:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the realm, through the admin API ----------------------------------------------------------
    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call to ``/admin/realms/<path>`` as the bootstrap administrator; raises on 4xx/5xx."""
        reply = httpx.request(method, f"{self.url}/admin/realms{path}", timeout=30,
                              headers={"Authorization": f"Bearer {self._admin()}"}, **kwargs)
        reply.raise_for_status()
        return reply

    def _admin(self) -> str:
        if self._admin_token is None or self._admin_token[1] < time.monotonic():
            reply = httpx.post(f"{self.url}/realms/master/protocol/openid-connect/token", timeout=30,
                               data={"grant_type": "password", "client_id": "admin-cli", "username": "admin",
                                     "password": self.admin_password})
            reply.raise_for_status()
            body = reply.json()
            self._admin_token = (body["access_token"], time.monotonic() + body["expires_in"] - 10)
        return self._admin_token[0]

    def import_realm(self) -> None:
        """The realm, unless it is there already (a restart keeps what the database holds)."""
        reply = httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=10)
        if reply.status_code == 200:
            return
        self.admin("POST", "", json=realm_representation(self.keys))

    def user_id(self, username: str) -> str:
        found = self.admin("GET", f"/{REALM}/users", params={"username": username, "exact": "true"}).json()
        if not found:
            raise KeyError(username)
        return str(found[0]["id"])

    def set_enabled(self, username: str, enabled: bool) -> None:
        user = self.user_id(username)
        self.admin("PUT", f"/{REALM}/users/{user}", json={"enabled": enabled})

    def update_realm(self, **settings: Any) -> None:
        """Change realm settings (token lifespans, say) as an administrator would."""
        self.admin("PUT", f"/{REALM}", json=settings)

    def rotate_key(self) -> str:
        """A new RSA signing key that takes over (a higher priority); the old ones stay to
        verify tokens already out. Returns the new key's id."""
        before = {k["kid"] for k in self.signing_keys()}
        realm_id = self.admin("GET", f"/{REALM}").json()["id"]
        priority = 100 + int(time.time()) % 100_000
        self.admin("POST", f"/{REALM}/components", json={
            "name": f"rsa-rotated-{priority}", "providerId": "rsa-generated", "providerType": "org.keycloak.keys.KeyProvider",
            "parentId": realm_id, "config": {"priority": [str(priority)], "keySize": ["2048"], "algorithm": ["RS256"]}})
        after = [k for k in self.signing_keys() if k["kid"] not in before]
        if not after:
            raise RuntimeError("Keycloak made no new key")
        return str(after[0]["kid"])

    def retire_keys_except(self, kid: str) -> None:
        """Every other RS256 key disabled: tokens signed with them no longer verify."""
        for key in self.signing_keys():
            if key["kid"] != kid:
                component = self.admin("GET", f"/{REALM}/components/{key['providerId']}").json()
                component["config"]["enabled"] = ["false"]
                component["config"]["active"] = ["false"]
                self.admin("PUT", f"/{REALM}/components/{key['providerId']}", json=component)

    def signing_keys(self) -> list[dict[str, Any]]:
        keys = self.admin("GET", f"/{REALM}/keys").json()["keys"]
        return [k for k in keys if k.get("algorithm") == "RS256" and k.get("status") == "ACTIVE" and k.get("use") == "SIG"]

    # -- tokens for scripts and tests --------------------------------------------------------------
    def password_grant(self, username: str) -> dict[str, Any]:
        """A demo user's tokens through the development client (the password grant)."""
        reply = httpx.post(f"{self.issuer}/protocol/openid-connect/token", timeout=30,
                           data={"grant_type": "password", "client_id": DEV_TOOLS_CLIENT_ID, "username": username,
                                 "password": self.keys.demo_users()[username].password, "scope": "openid"})
        reply.raise_for_status()
        return dict(reply.json())

    def token(self, username: str) -> str:
        return str(self.password_grant(username)["access_token"])

    def service_token(self, client_id: str) -> str:
        """A confidential client's own token (the client credentials grant)."""
        reply = httpx.post(f"{self.issuer}/protocol/openid-connect/token", timeout=30,
                           data={"grant_type": "client_credentials", "client_id": client_id,
                                 "client_secret": self.keys.client_secret(client_id)})
        reply.raise_for_status()
        return str(reply.json()["access_token"])


__all__ = ["AUDIENCE", "DEV_TOOLS_CLIENT_ID", "OPERATOR_EXAMPLE", "Keycloak", "KeycloakInfo", "REALM", "REALM_FILE",
           "java_home", "keycloak_home", "realm_import_manifest", "realm_representation"]

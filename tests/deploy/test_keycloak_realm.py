"""The realm file a city imports into Keycloak (deploy/keycloak/open-appeals-realm.json) agrees with
the platform: its roles are the roles of docs/security.md, its public clients are the people's
applications' clients, its confidential clients are the adapters', and the tokens it issues
carry what the verifier reads. It holds no users and no secrets, and the Keycloak Operator's
example is made from it. (That Keycloak imports it and signs tokens the services accept is
tests/integration/test_keycloak.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from appeals_desk.config import DeskSettings
from appeals_devstack.issuer import SERVICE_CLIENTS
from appeals_devstack.keycloak import OPERATOR_EXAMPLE, REALM_FILE, realm_import_manifest
from appeals_inspection.config import InspectionSettings
from appeals_mail.config import MailSettings
from appeals_portal.config import PortalSettings
from appeals_workspace.config import WorkspaceSettings

ROOT = Path(__file__).parents[2]
REALM = json.loads(REALM_FILE.read_text("utf-8"))


def field_default(settings: type, name: str) -> str:
    return settings.model_fields[name].default


def test_the_realm_s_roles_are_the_roles_of_the_security_document():
    text = (ROOT / "docs" / "security.md").read_text("utf-8")
    table = text[text.index("## Roles\n"):text.index("\n## ", text.index("## Roles\n") + 5)]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", table, re.MULTILINE))
    assert documented and {r["name"] for r in REALM["roles"]["realm"]} == documented


def test_each_people_s_application_has_a_public_pkce_client_and_each_adapter_a_confidential_one():
    clients = {c["clientId"]: c for c in REALM["clients"]}
    public = {field_default(InspectionSettings, "console_client_id"), field_default(PortalSettings, "portal_client_id"),
              field_default(WorkspaceSettings, "workspace_client_id"), field_default(DeskSettings, "desk_client_id")}
    for client_id in public:
        client = clients[client_id]
        assert client["publicClient"] and client["standardFlowEnabled"]
        assert client["attributes"]["pkce.code.challenge.method"] == "S256"
        assert not client["directAccessGrantsEnabled"] and not client["implicitFlowEnabled"]
        assert all(uri.startswith("http://127.0.0.1/") for uri in client["redirectUris"]), "loopback only, as shipped"
    confidential = {field_default(PortalSettings, "portal_service_client_id"),
                    field_default(MailSettings, "mail_client_id")} | set(SERVICE_CLIENTS)
    assert set(clients) == public | confidential
    accounts = {u["serviceAccountClientId"]: u["realmRoles"] for u in REALM["users"]}
    for client_id in confidential:
        client = clients[client_id]
        assert not client["publicClient"] and client["serviceAccountsEnabled"] and not client["standardFlowEnabled"]
        assert accounts[client_id] == list(SERVICE_CLIENTS[client_id])


def test_the_tokens_carry_what_the_verifier_reads():
    scope = next(s for s in REALM["clientScopes"] if s["name"] == "open-appeals")
    mappers = {m["protocolMapper"]: m["config"] for m in scope["protocolMappers"]}
    assert mappers["oidc-audience-mapper"]["included.custom.audience"] == "open-appeals"
    assert mappers["oidc-usermodel-realm-role-mapper"]["claim.name"] == "realm_access.roles"
    assert mappers["oidc-usermodel-attribute-mapper"]["claim.name"] == "executor_code"
    assert {"oidc-sub-mapper", "oidc-full-name-mapper"} <= set(mappers)
    assert all(c["defaultClientScopes"] == ["open-appeals"] for c in REALM["clients"])
    assert REALM["accessTokenLifespan"] <= 300 and not REALM["registrationAllowed"]


def test_the_realm_holds_no_people_and_no_secrets():
    assert all("serviceAccountClientId" in u and "credentials" not in u for u in REALM["users"])
    assert not any("secret" in c for c in REALM["clients"])


def test_the_keycloak_operator_s_example_is_made_from_the_realm_file():
    assert OPERATOR_EXAMPLE.read_text("utf-8") == realm_import_manifest(), "run: appeals-stack keycloak-example"
    assert yaml.safe_load(OPERATOR_EXAMPLE.read_text("utf-8"))["spec"]["realm"] == REALM

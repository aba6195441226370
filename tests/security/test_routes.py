"""Every HTTP route of every service declares who may call it, and docs/security.md's
route × role table is that declaration."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from appeals_devstack.services import EVERYTHING
from appeals_runtime.auth import api_routes, declared_access

DOC = (Path(__file__).parents[2] / "docs" / "security.md").read_text("utf-8")


def routes() -> dict[tuple[str, str, str], frozenset[str]]:
    """(service, method, path) → the roles its declaration admits (empty: public)."""
    found = {}
    for service in EVERYTHING:
        bootstrap = importlib.import_module(service.module.replace("entrypoints.main", "bootstrap"))
        for route in api_routes(bootstrap.build_app().routes):
            access = declared_access(route.dependant.dependencies)
            assert access is not None, f"{service.name} {route.path} declares no access rule"
            for method in sorted(route.methods):
                found[service.name, method, route.path] = frozenset({"citizen"}) if access.citizen else access.roles
    return found


def documented() -> dict[tuple[str, str, str], frozenset[str]]:
    rows = {}
    for line in DOC.splitlines():
        match = re.match(r"\| (\S+) \| `(GET|POST|PUT|DELETE|PATCH) ([^`]+)` \| ([^|]+) \|", line)
        if match:
            service, method, path, roles = match.groups()
            roles = roles.split(" (")[0]  # a remark in brackets, e.g. a setting that opens the route
            names = (frozenset() if roles.strip() == "anyone" else frozenset({"citizen"})
                     if roles.strip().startswith("citizen") else frozenset(r.strip().strip("`") for r in roles.split(",")))
            rows[service, method, path] = names
    return rows


def test_every_route_declares_its_roles():
    assert len(routes()) > 10


def test_the_role_table_in_the_docs_is_the_code():
    code, doc = routes(), documented()
    assert {k: sorted(v) for k, v in code.items() if doc.get(k) != v} == {}
    assert sorted(set(doc) - set(code)) == []


#: Open311 GeoReport v2's reads are public by the specification; they show public fields only
#: (tests/integration/test_open311.py plants personal data and looks for it).
OPEN311_PUBLIC = {"/open311/discovery.{fmt}", "/open311/v2/services.{fmt}", "/open311/v2/services/{service_code}.{fmt}",
                  "/open311/v2/requests.{fmt}", "/open311/v2/requests/{service_request_id}.{fmt}"}


#: The staff console's way in: its front page, the start of the sign-in and the IdP's redirect
#: back (tests/integration/test_console.py proves the rest of the console needs a session).
CONSOLE_PUBLIC = {"/console/", "/console/sign-in", "/console/callback"}


#: The public figures the citizen's portal shows everyone (counts only).
FIGURES_PUBLIC = {"/v1/public/weekly/{week}"}


@pytest.mark.parametrize("path", ["/health/live", "/health/ready"])
def test_only_the_probes_open311_reads_and_the_sign_in_are_public(path):
    public = {k for k, v in routes().items() if not v and k[0] not in ("portal", "workspace", "desk")}
    assert {p for _, _, p in public} == {"/health/live", "/health/ready"} | OPEN311_PUBLIC | CONSOLE_PUBLIC \
        | FIGURES_PUBLIC
    assert {(s, m) for s, m, p in public if p in OPEN311_PUBLIC} == {("intake", "GET")}
    assert {(s, m) for s, m, p in public if p in CONSOLE_PUBLIC | FIGURES_PUBLIC} == {("inspection", "GET")}


def test_the_workspace_is_for_executors_employees_but_its_way_in():
    """The workspace's public routes are its way in (sign-in) and its probes; every page of a
    case needs the session's executor role, the head's pages executor_head."""
    workspace = {(m, p): v for (s, m, p), v in routes().items() if s == "workspace"}
    assert {p for (m, p), v in workspace.items() if not v} == {
        "/", "/sign-in", "/callback", "/sign-out", "/static/{name}", "/health/live", "/health/ready"}
    assert {p for (m, p), v in workspace.items() if v == frozenset({"executor_head"})} == {
        "/team", "/appeals/{appeal_id}/give"}


def test_the_desk_is_for_operators_but_its_way_in():
    """The desk's public routes are its way in (sign-in) and its probes; every other page needs
    the session's operator role."""
    desk = {(m, p): v for (s, m, p), v in routes().items() if s == "desk"}
    assert {p for (m, p), v in desk.items() if not v} == {
        "/", "/sign-in", "/callback", "/sign-out", "/static/{name}", "/health/live", "/health/ready"}
    assert {v for (m, p), v in desk.items() if v and p != "/metrics"} == {frozenset({"operator"})}


def test_the_citizens_portal_is_for_everyone_but_a_citizens_own_pages():
    """The portal's pages are public (a status page needs its token, which intake checks); the
    signed-in citizen's pages need the session's citizen role."""
    portal = {(m, p): v for (s, m, p), v in routes().items() if s == "portal"}
    assert {k for k, v in portal.items() if v} == {("GET", "/my"), ("GET", "/my/{number}"),
                                                   ("POST", "/my/{number}/verdict"), ("GET", "/metrics")}
    assert {portal[k] for k in portal if k[1].startswith("/my")} == {frozenset({"citizen"})}

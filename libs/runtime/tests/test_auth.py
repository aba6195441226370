"""Token verification against a real issuer: discovery and JWKS over HTTP, real RSA keys."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from appeals_devstack.issuer import LocalIssuer
from appeals_devstack.ports import free_port
from appeals_runtime.auth import Unauthenticated, Verifier


@pytest.fixture
def issuer(tmp_path):
    issuer = LocalIssuer(tmp_path / "issuer", free_port()).start()
    yield issuer
    issuer.stop()


def verifier(issuer: LocalIssuer, **changes) -> Verifier:
    return Verifier(**{"issuer": issuer.url, "audience": "open-appeals", **changes})


def test_a_valid_token_names_its_caller(issuer):
    caller = verifier(issuer).verify(issuer.keys.mint("md-12", "executor", executor_code="medeu_akimat"))
    assert (caller.subject, caller.roles, caller.executor_code) == ("md-12", frozenset({"executor"}), "medeu_akimat")
    assert caller.is_executor_of("medeu_akimat") and not caller.is_executor_of("almaly_akimat")


@pytest.mark.parametrize(("token", "reason"), [
    (lambda k: k.mint("x", "inspector", ttl_s=-120), "expired"),
    (lambda k: k.mint("x", "inspector", audience="another-platform"), "not meant for this platform"),
    (lambda k: k.mint("x", "inspector", issuer="http://127.0.0.1:1/evil"), "another issuer"),
    (lambda k: k.mint("x", "inspector")[:-6] + "AAAAAA", "does not verify"),
    (lambda k: "not-a-token", "does not verify"),
])
def test_bad_tokens_are_refused_with_a_reason(issuer, token, reason):
    with pytest.raises(Unauthenticated, match=reason):
        verifier(issuer).verify(token(issuer.keys))


def test_a_token_signed_by_another_key_is_refused(issuer, tmp_path):
    from appeals_devstack.issuer import IssuerKeys

    stranger = IssuerKeys(tmp_path / "stranger")
    with pytest.raises(Unauthenticated):
        verifier(issuer).verify(stranger.mint("x", "inspector", issuer=issuer.url))


def test_keys_rotate_without_a_restart(issuer, tmp_path):
    check = verifier(issuer, refresh_cooldown_s=0)  # in production a refetch waits 30 s at most
    assert check.verify(issuer.keys.mint("a", "sre")).subject == "a"  # the first key set is cached
    issuer.stop()
    rotated = LocalIssuer(tmp_path / "rotated", issuer.port).start()
    try:
        assert rotated.keys.kid != issuer.keys.kid
        assert check.verify(rotated.keys.mint("b", "sre", issuer=issuer.url)).subject == "b"
    finally:
        rotated.stop()


def test_roles_can_come_from_a_nested_claim(issuer):
    token = issuer.keys.mint("kc-user", realm_access={"roles": ["inspector", "offline_access"]})
    caller = verifier(issuer, roles_claim="realm_access.roles").verify(token)
    assert caller.roles == frozenset({"inspector", "offline_access"})


def test_an_unreachable_identity_provider_is_a_503_with_retry_after(issuer, tmp_path):
    from types import SimpleNamespace

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from appeals_runtime.auth import IDP_RETRY_AFTER_S, IdentityProviderUnavailable, allow

    token = issuer.keys.mint("insp-1", "inspector")
    down = verifier(issuer)
    issuer.stop()  # discovery and JWKS now refuse connections
    with pytest.raises(IdentityProviderUnavailable):
        down.verify(token)
    app = FastAPI()
    app.state.runtime = SimpleNamespace(verifier=down)

    @app.get("/queue", dependencies=[allow("inspector")])
    def queue() -> dict:
        return {}

    reply = TestClient(app).get("/queue", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 503 and reply.headers["Retry-After"] == str(IDP_RETRY_AFTER_S)
    assert "identity provider" in reply.json()["detail"]
    restarted = LocalIssuer(tmp_path / "issuer", issuer.port).start()  # the same keys, back again
    try:
        assert down.verify(token).subject == "insp-1"  # a failed discovery was not remembered
    finally:
        restarted.stop()


class Decision(BaseModel):
    reason: str


def test_the_caller_is_verified_before_a_declared_body_is_parsed(issuer):
    from types import SimpleNamespace

    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from appeals_runtime.auth import AuthenticateFirst, allow

    counting = verifier(issuer)
    calls = []
    original = counting.verify
    counting.verify = lambda token: calls.append(token) or original(token)  # type: ignore[method-assign]
    app = FastAPI()
    app.state.runtime = SimpleNamespace(verifier=counting)

    @app.post("/answers/{answer_id}/return", dependencies=[allow("inspector")])
    def decide(answer_id: str, decision: Decision) -> dict:
        return {"reason": decision.reason}

    app.add_middleware(AuthenticateFirst)
    client = TestClient(app)
    malformed = {"content": b"{not json", "headers": {"Content-Type": "application/json"}}
    assert client.post("/answers/a-1/return", **malformed).status_code == 401  # not 422: the body was not read
    sre = {"Authorization": f"Bearer {issuer.keys.mint('s-1', 'sre')}"}
    assert client.post("/answers/a-1/return", **{**malformed, "headers": {**malformed["headers"], **sre}}).status_code == 403
    inspector = {"Authorization": f"Bearer {issuer.keys.mint('i-1', 'inspector')}"}
    assert client.post("/answers/a-1/return", headers=inspector, content=b"{not json").status_code == 422
    calls.clear()
    assert client.post("/answers/a-1/return", headers=inspector, json={"reason": "formal"}).json() == {"reason": "formal"}
    assert len(calls) == 1, "verified once, by the middleware; the route's declaration reuses it"

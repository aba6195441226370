"""Schemathesis against every service's OpenAPI, with real tokens of the roles each route
admits, and every check Schemathesis has: no 5xx; only documented status codes, content types
and headers; every response valid against its schema; schema-invalid requests refused and
schema-valid ones accepted (so the document says exactly what the code takes); 405 with an
Allow header that names the methods; no access without the token; a created resource found."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo

sys.path.insert(0, str(Path(__file__).parents[1] / "security"))
from test_routes import routes  # noqa: E402 - the route × role declarations, read from the code

pytestmark = pytest.mark.integration
EXAMPLES = 100
schemathesis.checks.load_all_checks()
CHECKS = list(schemathesis.checks.CHECKS.get_all())


#: Operations whose schema-valid requests a business rule may still refuse (422 with the
#: reasons): a JSON Schema cannot say an IIN's check digit, a category's own fields, whether a
#: place is inside the city or a file was uploaded, a caller's IIN or a prepared answer's topic
#: (a category of the reference data). Every other check runs on them.
RULES_BEYOND_THE_SCHEMA = {("POST", "/v1/appeals"), ("POST", "/open311/v2/requests.{fmt}"),
                           ("POST", "/v1/callers/appeals"), ("POST", "/v1/callers/status"),
                           ("PUT", "/v1/prepared-answers/{code}")}


def checks_for(method: str, path: str) -> list:
    if (method, path) in RULES_BEYOND_THE_SCHEMA:
        return [c for c in CHECKS if c is not schemathesis.checks.positive_data_acceptance]
    return CHECKS


def headers_for(stack: StackInfo, roles: frozenset[str]) -> dict[str, str]:
    """A token of every role the route admits (an executor's names a real executor)."""
    if not roles:
        return {}
    return stack.bearer("fuzz-1", *sorted(roles), executor_code="medeu_akimat" if "executor" in roles else None)


def fuzz(operation, base_url: str, headers: dict[str, str], checks: list):
    """A Hypothesis test of one operation: generated requests, each response checked."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def check(case) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, checks=checks)

    return check


@pytest.mark.parametrize("service", [s.name for s in SERVICES])
def test_no_request_breaks_the_api(fuzz_stack: StackInfo, services, service):
    process = services[service]
    schema = schemathesis.openapi.from_url(f"{process.base_url}/openapi.json")
    declared = {(method, path): roles for (svc, method, path), roles in routes().items() if svc == service}
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        headers = headers_for(fuzz_stack, declared[operation.method.upper(), operation.path])

        check = fuzz(operation, process.base_url, headers, checks_for(operation.method.upper(), operation.path))
        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected, so one run shows every broken operation
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert failures == []


@pytest.mark.parametrize("service", ["intake", "inspection"])
def test_call_sequences_keep_the_api_s_promises(fuzz_stack: StackInfo, services, service):
    """The stateful phase: Schemathesis chains operations (a created attachment is then
    fetched, say) from the links it infers, with every check on each response."""
    process = services[service]
    schema = schemathesis.openapi.from_url(f"{process.base_url}/openapi.json")
    declared = {(method, path): roles for (svc, method, path), roles in routes().items() if svc == service}
    machine = schema.as_state_machine()
    created: set[str] = set()  # ids the run's POSTs answered 201 with
    fetched: list[str] = []  # GETs of such an id

    class Sequences(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case):
            roles = declared[case.operation.method.upper(), case.operation.path]
            return {"base_url": process.base_url, "headers": headers_for(fuzz_stack, roles)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            checks = checks_for(case.operation.method.upper(), case.operation.path)
            case.validate_response(response, checks=checks, additional_checks=additional_checks, transport_kwargs=kwargs)
            method, path_values = case.operation.method.upper(), {str(v) for v in (case.path_parameters or {}).values()}
            if method == "GET" and path_values and path_values <= created:
                assert response.status_code != 404, f"{case.operation.path}: a resource just created is not found"
                fetched.append(case.operation.path)
            if method == "POST" and response.status_code == 201:
                body = response.json()
                created.update(str(v) for k, v in body.items() if k.endswith("_id")) if isinstance(body, dict) else None

    Sequences.run(settings=settings(max_examples=40, stateful_step_count=6, deadline=None, database=None,
                                    derandomize=True, suppress_health_check=list(HealthCheck)))
    if service == "intake":  # the one producer-consumer pair the links give: an upload, then its file
        assert "/v1/attachments/{attachment_id}" in fetched

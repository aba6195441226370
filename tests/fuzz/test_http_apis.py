"""Schemathesis against every service's OpenAPI, with real tokens of the roles each route
admits: no 5xx, no status code the document does not declare, every response valid against
its schema."""

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
#: No 5xx, only documented status codes and content types, bodies valid against their schema.
#: (Schemathesis' other checks judge business rules: a schema-valid appeal of an unknown
#: category is rightly refused.)
CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.status_code_conformance,
          schemathesis.checks.content_type_conformance, schemathesis.checks.response_schema_conformance]


def headers_for(stack: StackInfo, roles: frozenset[str]) -> dict[str, str]:
    """A token of every role the route admits (an executor's names a real executor)."""
    if not roles:
        return {}
    return stack.bearer("fuzz-1", *sorted(roles), executor_code="medeu_akimat" if "executor" in roles else None)


def fuzz(operation, base_url: str, headers: dict[str, str]):
    """A Hypothesis test of one operation: generated requests, each response checked."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def check(case) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

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

        check = fuzz(operation, process.base_url, headers)
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - collected, so one run shows every broken operation
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert failures == []

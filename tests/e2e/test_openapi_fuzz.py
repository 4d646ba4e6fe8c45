"""schemathesis over the gateway's whole OpenAPI document, on a real stack of its own.

Every operation gets requests generated from its schema (valid and invalid), sent as an admin
and as a researcher; no answer may be a 5xx, and every documented answer must match its
schema. The seed is fixed and the budget bounded (``TM_SCHEMATHESIS_EXAMPLES`` per operation
and role: 3 in CI, 25 in the slow run). The document declares no OpenAPI links, so there is
no stateful phase to run; the gRPC side has its own fuzzer (test_grpc_matrix_fuzz.py).

The stack is not the session's: an admin fuzzing ``PUT /trading-state`` or
``POST /kill-switch`` must not halt trading for other tests.
"""

from __future__ import annotations

import os
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from trademaster.service.localstack import Stack

pytestmark = pytest.mark.e2e

SEED = 20261203
CHECKS = [not_a_server_error, response_schema_conformance]


@dataclass(frozen=True)
class _Target:
    base_url: str
    document: dict
    tokens: dict[str, str]


def _login(client: httpx.Client, username: str, password: str) -> str:
    reply = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    token: str = reply.json()["access_token"]
    return token


@pytest.fixture(scope="module")
def target(stack_factory: Callable[..., Stack]) -> _Target:
    stack: Stack = stack_factory()
    assert stack.gateway_url is not None and stack.admin_password is not None
    with httpx.Client(base_url=stack.gateway_url, timeout=30.0) as client:
        admin = _login(client, "admin", stack.admin_password)
        password = secrets.token_urlsafe(16)
        created = client.post(
            "/api/v1/admin/users",
            json={"username": "fuzz-researcher", "password": password, "roles": ["researcher"]},
            headers={"authorization": f"Bearer {admin}"},
        )
        assert created.status_code == 201, created.text
        researcher = _login(client, "fuzz-researcher", password)
        document = client.get("/openapi.json").json()
    return _Target(stack.gateway_url, document, {"admin": admin, "researcher": researcher})


def _fuzz(target: _Target, role: str, examples: int) -> list[str]:
    """Run every operation's strategy; the failures, one line each (empty when clean)."""
    statuses: Counter[int] = Counter()
    schema = schemathesis.openapi.from_dict(target.document)
    headers = {"authorization": f"Bearer {target.tokens[role]}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50, "the OpenAPI document lost its operations"
    for operation in operations:

        @seed(SEED)
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=False,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            response = case.call_and_validate(
                base_url=target.base_url, headers=headers, checks=CHECKS, timeout=30
            )
            statuses[response.status_code] += 1

        try:
            run()
        except Exception as error:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.label} as {role}: {str(error)[:1500]}")
    # The fuzzer really ran: every operation was called, and some calls got through.
    assert sum(statuses.values()) >= len(operations), statuses
    assert any(200 <= code < 300 for code in statuses), statuses
    return failures


@pytest.mark.parametrize("role", ["admin", "researcher"])
def test_openapi_fuzz_finds_no_server_error_and_no_schema_violation(
    target: _Target, role: str
) -> None:
    examples = int(os.environ.get("TM_SCHEMATHESIS_EXAMPLES", "3"))

    failures = _fuzz(target, role, examples)

    assert failures == [], "\n\n".join(failures)


@pytest.mark.slow
@pytest.mark.parametrize("role", ["admin", "researcher"])
def test_openapi_fuzz_longer_run(target: _Target, role: str) -> None:
    failures = _fuzz(target, role, int(os.environ.get("TM_SCHEMATHESIS_SLOW_EXAMPLES", "25")))

    assert failures == [], "\n\n".join(failures)

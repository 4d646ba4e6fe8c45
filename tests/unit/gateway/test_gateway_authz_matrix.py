"""Generated authorization matrix of the REST API: every route of the OpenAPI document, as
every role, as a service token with and without the route's scope, and with no, an expired,
a tampered and a revoked token. The expected answer comes from the one table (authz)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from tm_gateway.app import create_app
from tm_gateway.backends import Backends
from tm_gateway.identity import IdentityService
from tm_gateway.identity_store import UserRecord
from trademaster.service import authz
from trademaster.service.auth import Role, issue_token, verify_token
from trademaster.service.errors import NotFound

pytestmark = pytest.mark.unit

SECRET = "matrix-unit-test-secret-0123456789abcd"
_BACKENDS = ("strategy", "trainer", "backtest", "notifier", "risk")


@dataclass
class _Store:
    """Just what the gateway's token checks read (users and service-token revocation)."""

    disabled: set[str] = field(default_factory=set)
    revoked_jtis: set[str] = field(default_factory=set)

    async def user_by_id(self, user_id: uuid.UUID) -> UserRecord:
        return UserRecord(
            user_id, "u", "", [], datetime.now(UTC), disabled=str(user_id) in self.disabled
        )

    async def is_jti_revoked(self, jti: str) -> bool:
        return jti in self.revoked_jtis

    def __getattr__(self, name: str) -> Any:
        """Any other store call (admin routes) answers 'not found': reached, not authorized."""

        async def absent(*args: Any, **kwargs: Any) -> Any:
            raise NotFound(f"stub store has no data for {name}")

        return absent


@dataclass
class _Api:
    client: httpx.AsyncClient
    store: _Store


@pytest.fixture(scope="module")
async def api() -> AsyncIterator[_Api]:
    store = _Store()
    identity = IdentityService(store, jwt_secret=SECRET, jwt_issuer="trademaster")  # type: ignore[arg-type]
    # Nothing listens on port 1: allowed calls end at the backend (503) or validation (400).
    backends = Backends({name: "127.0.0.1:1" for name in _BACKENDS}, timeout_s=0.2)
    app = create_app(identity, backends, jwt_secret=SECRET, jwt_issuer="trademaster")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        yield _Api(client, store)
    await backends.close()


def _operations() -> list[str]:
    loop = asyncio.new_event_loop()
    identity = IdentityService(None, jwt_secret=SECRET, jwt_issuer="trademaster")  # type: ignore[arg-type]
    app = create_app(
        identity,
        Backends({"strategy": "127.0.0.1:1"}, timeout_s=0.1),
        jwt_secret=SECRET,
        jwt_issuer="trademaster",
    )
    document = app.openapi()
    loop.close()
    return sorted(
        f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
    )


OPERATIONS = _operations()
GUARDED = [op for op in OPERATIONS if op not in authz.PUBLIC_ROUTES]
TABLED = [op for op in GUARDED if op in authz.ROUTES]


async def _call(api: _Api, operation: str, token: str | None) -> Any:
    method, template = operation.split(" ", 1)
    path = template
    for name in (
        "strategy_id", "job_id", "backtest_id", "user_id", "token_id", "account_id", "decision_id",
    ):  # fmt: skip
        path = path.replace("{" + name + "}", str(uuid.uuid4()))
    path = path.replace("{dataset_id}", "d").replace("{name}", "report.html")
    path = path.replace("{client_order_id}", "o-1").replace("{instrument_id}", "AAPL")
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    body = {} if method in ("POST", "PATCH", "PUT") else None
    return await api.client.request(method, path, headers=headers, json=body)


def _user_token(*roles: Role, ttl_s: float = 600) -> str:
    return issue_token(SECRET, str(uuid.uuid4()), roles, ttl_s=ttl_s)[0]


def test_every_route_of_the_openapi_document_is_in_the_table() -> None:
    known = set(authz.ROUTES) | authz.PUBLIC_ROUTES | authz.ANY_TOKEN_ROUTES

    assert sorted(set(OPERATIONS) - known) == []
    assert sorted(set(authz.ROUTES) - set(OPERATIONS)) == []


@pytest.mark.parametrize("operation", TABLED)
@pytest.mark.parametrize("role", list(Role))
async def test_each_role_is_allowed_exactly_what_the_table_says(
    api: _Api, operation: str, role: Role
) -> None:
    row = authz.permission_for_route(operation)
    assert row is not None

    reply = await _call(api, operation, _user_token(role))

    if role in row.roles:
        assert reply.status_code != 403, reply.text
        assert reply.status_code not in (401, 500), reply.text
    else:
        assert reply.status_code == 403, reply.text
        error = reply.json()["error"]
        assert error["reason"] == "MISSING_ROLE"
        assert set(reply.json()) == {"error"}


@pytest.mark.parametrize("operation", TABLED)
async def test_service_tokens_are_judged_by_their_scopes(api: _Api, operation: str) -> None:
    row = authz.permission_for_route(operation)
    assert row is not None
    other = sorted(authz.SCOPES - {row.scope})[0]
    scoped = issue_token(SECRET, "service:bot", [], kind="service", scopes=[row.scope])[0]
    unscoped = issue_token(SECRET, "service:bot", [Role.ADMIN], kind="service", scopes=[other])[0]

    allowed = await _call(api, operation, scoped)
    denied = await _call(api, operation, unscoped)

    assert allowed.status_code not in (401, 403, 500), allowed.text
    assert denied.status_code == 403
    assert denied.json()["error"]["reason"] == "MISSING_SCOPE"


def _tampered(token: str) -> str:
    head, payload, signature = token.split(".")
    return f"{head}.{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


@pytest.mark.parametrize("operation", GUARDED)
async def test_missing_expired_tampered_and_revoked_tokens_are_401(
    api: _Api, operation: str
) -> None:
    disabled_user = str(uuid.uuid4())
    api.store.disabled.add(disabled_user)
    revoked_service = issue_token(SECRET, "service:gone", [Role.ADMIN], kind="service")[0]
    jti = authz_jti(revoked_service)
    api.store.revoked_jtis.add(jti)
    expired = issue_token(SECRET, str(uuid.uuid4()), [Role.ADMIN], ttl_s=1)[0]
    cases = {
        "TOKEN_MISSING": None,
        "TOKEN_INVALID": _tampered(_user_token(Role.ADMIN)),
        "TOKEN_REVOKED": issue_token(SECRET, disabled_user, [Role.ADMIN])[0],
        "TOKEN_EXPIRED": expired,
    }

    replies = {reason: await _call(api, operation, token) for reason, token in cases.items()}
    service = await _call(api, operation, revoked_service)
    replies["TOKEN_EXPIRED"] = await _wait_expired(api, operation, expired)

    for reason, reply in replies.items():
        assert reply.status_code == 401, (reason, reply.text)
        assert reply.json()["error"]["reason"] == reason
    assert service.status_code == 401
    assert service.json()["error"]["reason"] == "TOKEN_REVOKED"


def authz_jti(token: str) -> str:
    jti = verify_token(SECRET, token, "trademaster").token_id
    assert jti is not None
    return jti


async def _wait_expired(api: _Api, operation: str, token: str) -> Any:
    """A 1 s token: call until the expiry shows (no assertion on how long that takes)."""
    for _ in range(50):
        reply = await _call(api, operation, token)
        if reply.status_code == 401:
            return reply
        await asyncio.sleep(0.1)
    return reply

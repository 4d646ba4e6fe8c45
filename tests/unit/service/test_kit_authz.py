"""The authorization table: coverage of every RPC, the roles' meanings, scopes, the README."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from support.surface import api_methods
from trademaster.service import authz
from trademaster.service.auth import Principal, Role
from trademaster.service.authz import Action, Resource, authorize
from trademaster.service.errors import PermissionDenied

pytestmark = pytest.mark.unit
README = Path(__file__).resolve().parents[3] / "README.md"


def user(*roles: Role, subject: str = "u1") -> Principal:
    return Principal(subject=subject, roles=frozenset(roles), kind="user")


def service(*scopes: str, roles: tuple[Role, ...] = ()) -> Principal:
    return Principal(
        subject="service:bot", roles=frozenset(roles), kind="service", scopes=frozenset(scopes)
    )


def test_every_rpc_is_in_exactly_one_row_or_public() -> None:
    methods = set(api_methods())
    covered = [rpc for row in authz.TABLE for rpc in row.rpcs]

    assert sorted(methods - set(covered) - authz.PUBLIC_RPCS) == []
    assert sorted(set(covered) - methods) == []
    assert len(covered) == len(set(covered))
    assert methods >= authz.PUBLIC_RPCS


def test_readme_matrix_is_generated_from_the_table() -> None:
    text = README.read_text()
    begin, end = text.index(authz.MATRIX_BEGIN), text.index(authz.MATRIX_END)
    documented = text[begin + len(authz.MATRIX_BEGIN) : end].strip()

    assert documented == authz.markdown_matrix().strip(), (
        "README.md role matrix is stale: replace the block between the authz-matrix markers "
        "with the output of `python -m trademaster.service.authz`"
    )


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_strategies_jobs_backtests_and_datasets(role: Role) -> None:
    for resource in (Resource.STRATEGY, Resource.TRAINING_JOB, Resource.BACKTEST, Resource.DATASET):
        assert authz.allowed(user(role), resource, Action.READ)


def test_viewer_creates_nothing() -> None:
    """Beyond subscribing, a viewer only manages their own notifications (alert rules, marking
    alerts read): nothing other users or the platform see."""
    writes = [p for p in authz.TABLE if p.action is not Action.READ and Role.VIEWER in p.roles]

    assert [p.scope for p in writes] == [
        "event:subscribe", "alert_rule:create", "alert_rule:delete", "alert:update",
    ]  # fmt: skip


def test_trader_is_researcher_plus_accounts_and_orders() -> None:
    researcher = {p.scope for p in authz.TABLE if Role.RESEARCHER in p.roles}
    trader = {p.scope for p in authz.TABLE if Role.TRADER in p.roles}

    assert researcher < trader
    assert {"account:create", "order:submit", "order:cancel"} <= trader - researcher


def test_risk_officer_reads_everything_controls_risk_but_creates_no_strategy() -> None:
    officer = user(Role.RISK_OFFICER)

    for row in authz.TABLE:
        # Alerts are a personal inbox (officers read every rule, not others' bells).
        if row.action is Action.READ and row.resource not in (
            Resource.SERVICE_TOKEN,
            Resource.ALERT,
        ):
            grant = authorize(officer, row.resource, row.action)
            assert grant.owner_scope is None, row.scope
    for resource, action in [
        (Resource.LIMITS, Action.UPDATE),
        (Resource.TRADING_STATE, Action.UPDATE),
        (Resource.KILL_SWITCH, Action.ENGAGE),
    ]:
        assert authz.allowed(officer, resource, action)
    for resource, action in [
        (Resource.STRATEGY, Action.CREATE),
        (Resource.TRAINING_JOB, Action.CREATE),
        (Resource.ORDER, Action.SUBMIT),
        (Resource.USER, Action.ADMINISTER),
    ]:
        assert not authz.allowed(officer, resource, action)


def test_admin_may_do_everything_on_everyones_resources() -> None:
    admin = user(Role.ADMIN)

    for row in authz.TABLE:
        # Creations are one's own; so is the alert inbox (personal, like a mailbox).
        personal = row.action is Action.CREATE or row.resource is Resource.ALERT
        expected = "u1" if personal and row.owned else None
        assert authorize(admin, row.resource, row.action).owner_scope == expected, row.scope


def test_researcher_reaches_only_own_resources() -> None:
    grant = authorize(user(Role.RESEARCHER, subject="alice"), Resource.STRATEGY, Action.UPDATE)

    assert grant.owner_scope == "alice"
    assert grant.reaches("alice") and grant.reaches("")
    assert not grant.reaches("bob")


def test_unowned_catalogs_are_reached_by_everyone() -> None:
    grant = authorize(user(Role.VIEWER), Resource.CATALOG, Action.READ)

    assert grant.owner_scope is None


def test_datasets_are_platform_ones_plus_own() -> None:
    grant = authorize(user(Role.VIEWER, subject="v"), Resource.DATASET, Action.READ)

    assert grant.owner_scope == "v"
    assert grant.reaches("") and grant.reaches("v") and not grant.reaches("w")
    assert not authz.allowed(user(Role.VIEWER), Resource.DATASET, Action.CREATE)
    assert authorize(user(Role.RESEARCHER, subject="r"), Resource.DATASET, Action.DELETE).reaches(
        "r"
    )


def test_denial_names_the_permission_and_roles() -> None:
    with pytest.raises(PermissionDenied) as caught:
        authorize(user(Role.VIEWER, subject="v"), Resource.STRATEGY, Action.CREATE)

    assert caught.value.code is grpc.StatusCode.PERMISSION_DENIED
    assert caught.value.reason == "MISSING_ROLE"
    assert caught.value.metadata == {
        "permission": "strategy:create",
        "required_roles": "admin,researcher,trader",
    }
    assert "admin, researcher, trader" in caught.value.message


def test_service_tokens_are_judged_by_scopes_not_roles() -> None:
    bot = service("training_job:read", roles=(Role.ADMIN,))

    grant = authorize(bot, Resource.TRAINING_JOB, Action.READ)
    with pytest.raises(PermissionDenied) as caught:
        authorize(bot, Resource.STRATEGY, Action.READ)

    assert grant.owner_scope == "service:bot"
    assert caught.value.reason == "MISSING_SCOPE"


def test_service_tokens_without_scopes_claim_get_their_roles_scopes() -> None:
    legacy = Principal(subject="service:old", roles=frozenset({Role.VIEWER}), kind="service")

    assert authz.allowed(legacy, Resource.STRATEGY, Action.READ)
    assert not authz.allowed(legacy, Resource.STRATEGY, Action.CREATE)
    assert not authz.allowed(legacy, Resource.EVENT, Action.PUBLISH)


def test_scopes_for_roles_of_no_role_is_empty_and_every_scope_is_known() -> None:
    assert authz.scopes_for_roles([]) == frozenset()
    assert authz.scopes_for_roles(list(Role)) == authz.SCOPES


def test_unknown_row_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="user:cancel"):
        authz.permission(Resource.USER, Action.CANCEL)

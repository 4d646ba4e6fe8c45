"""The model registry's rows of the one authorization table."""

from __future__ import annotations

import pytest
from trademaster.api.strategy.v1 import model_registry_pb2
from trademaster.service.auth import Principal, Role
from trademaster.service.authz import Action, Resource, authorize, permission_for_rpc
from trademaster.service.errors import PermissionDenied

pytestmark = pytest.mark.unit

SERVICE = model_registry_pb2.DESCRIPTOR.services_by_name["ModelRegistryService"]


def _user(*roles: Role) -> Principal:
    return Principal(subject="u1", roles=frozenset(roles), kind="user")


@pytest.mark.parametrize("method", sorted(SERVICE.methods_by_name))
def test_every_registry_rpc_has_a_row(method: str) -> None:
    row = permission_for_rpc(f"/{SERVICE.full_name}/{method}")

    assert row is not None, f"{method} is in no authz row"
    assert row.resource in (Resource.MODEL, Resource.DEPLOYMENT)


def test_researchers_manage_their_own_models_but_do_not_deploy() -> None:
    researcher = _user(Role.RESEARCHER)

    created = authorize(researcher, Resource.MODEL, Action.CREATE)
    updated = authorize(researcher, Resource.MODEL, Action.UPDATE)
    with pytest.raises(PermissionDenied):
        authorize(researcher, Resource.DEPLOYMENT, Action.CREATE)

    assert created.owner_scope == "u1" and updated.owner_scope == "u1"


def test_viewers_read_only_their_own_and_risk_officers_read_everyone() -> None:
    viewer = authorize(_user(Role.VIEWER), Resource.MODEL, Action.READ)
    officer = authorize(_user(Role.RISK_OFFICER), Resource.MODEL, Action.READ)
    with pytest.raises(PermissionDenied):
        authorize(_user(Role.VIEWER), Resource.MODEL, Action.CREATE)

    assert viewer.owner_scope == "u1" and not viewer.reaches("someone-else")
    assert officer.owner_scope is None


def test_traders_deploy_own_versions_and_risk_officers_end_any_deployment() -> None:
    trader = authorize(_user(Role.TRADER), Resource.DEPLOYMENT, Action.CREATE)
    officer = authorize(_user(Role.RISK_OFFICER), Resource.DEPLOYMENT, Action.CONTROL)
    with pytest.raises(PermissionDenied):
        authorize(_user(Role.RISK_OFFICER), Resource.DEPLOYMENT, Action.CREATE)

    assert trader.owner_scope == "u1"
    assert officer.owner_scope is None

"""Who may call which RiskService RPC, and whose accounts they see.

The rights themselves live in the one authorization table (``trademaster.service.authz``):
each RPC maps to its row there. Within an RPC, traders and viewers see only their own accounts
(another owner's account is NOT_FOUND, never PERMISSION_DENIED, so ids do not leak); risk
officers read every account and act on any account's limits, states and kill switch; admins do
everything.
"""

from __future__ import annotations

import uuid

from trademaster.service.auth import Principal
from trademaster.service.authz import Grant, permission_for_rpc
from trademaster.service.authz import authorize as authorize_row
from trademaster.service.errors import NotFound

from tm_risk.runtime import AccountState, Runtime

_SERVICE = "/trademaster.api.risk.v1.RiskService/"


def authorize(principal: Principal, rpc: str) -> Grant:
    """The caller's grant for ``rpc`` (PERMISSION_DENIED when its row names none of its roles)."""
    row = permission_for_rpc(_SERVICE + rpc)
    if row is None:  # pragma: no cover - the authz staleness test covers every RPC
        raise KeyError(f"no authz row for RiskService/{rpc}")
    return authorize_row(principal, row.resource, row.action)


def reads_all(grant: Grant) -> bool:
    return grant.all_owners


def account_for(runtime: Runtime, grant: Grant, account_id: uuid.UUID) -> AccountState:
    """The account if ``grant`` reaches its owner; NOT_FOUND otherwise."""
    account = runtime.accounts.get(account_id)
    if account is not None and grant.reaches(account.row.owner):
        return account
    raise NotFound(f"account {account_id} not found", reason="ACCOUNT_NOT_FOUND")

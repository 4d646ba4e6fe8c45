"""Who may call which RiskService RPC, and whose accounts they see.

``RPC_ROLES`` is the one table of role requirements (a caller needs any of the listed roles).
Within an RPC, traders and viewers see only their own accounts (another owner's account is
NOT_FOUND, never PERMISSION_DENIED, so ids do not leak); risk officers read every account and
act on any account's limits, states and kill switch; admins do everything.
"""

from __future__ import annotations

import uuid

from trademaster.service.auth import Principal, Role, check_roles
from trademaster.service.errors import NotFound

from tm_risk.runtime import AccountState, Runtime

_READERS = (Role.VIEWER, Role.TRADER, Role.RISK_OFFICER, Role.ADMIN)
_TRADERS = (Role.TRADER, Role.ADMIN)
_OFFICERS = (Role.RISK_OFFICER, Role.ADMIN)

RPC_ROLES: dict[str, tuple[Role, ...]] = {
    "CheckOrder": _TRADERS,
    "SubmitOrder": _TRADERS,
    "CancelOrder": (Role.TRADER, Role.RISK_OFFICER, Role.ADMIN),
    "GetOrder": _READERS,
    "ListOrders": _READERS,
    "ListFills": _READERS,
    "ListPositions": _READERS,
    "GetLimits": _READERS,
    "SetLimits": _OFFICERS,
    "GetTradingState": _READERS,
    "SetTradingState": _OFFICERS,
    "ListTradingStateChanges": _READERS,
    "KillSwitch": (Role.TRADER, Role.RISK_OFFICER, Role.ADMIN),
    "ListDecisions": _READERS,
    "GetDecision": _READERS,
    "VerifyAuditChain": _OFFICERS,
    "PutInstrument": _OFFICERS,
    "ListInstruments": _READERS,
    "CreateAccount": _TRADERS,
    "GetAccount": _READERS,
    "ListAccounts": _READERS,
}
"""Roles per RPC; the servicer checks this before anything else."""

OWN_ACCOUNT_ONLY = frozenset({"CheckOrder", "SubmitOrder", "CancelOrder"})
"""RPCs that act on an account: only its owner (or an admin; CancelOrder: a risk officer too)."""


def authorize(principal: Principal, rpc: str) -> Principal:
    return check_roles(principal, *RPC_ROLES[rpc])


def reads_all(principal: Principal) -> bool:
    return principal.has_any(Role.RISK_OFFICER, Role.ADMIN)


def account_for(
    runtime: Runtime, principal: Principal, account_id: uuid.UUID, rpc: str
) -> AccountState:
    """The account if ``principal`` may use it in ``rpc``; NOT_FOUND otherwise."""
    account = runtime.accounts.get(account_id)
    if account is not None:
        own = account.row.owner == principal.subject
        if principal.has_any(Role.ADMIN) or own:
            return account
        if rpc not in OWN_ACCOUNT_ONLY and reads_all(principal):
            return account
        if rpc == "CancelOrder" and principal.has_any(Role.RISK_OFFICER):
            return account
    raise NotFound(f"account {account_id} not found", reason="ACCOUNT_NOT_FOUND")

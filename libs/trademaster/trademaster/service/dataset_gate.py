"""Refuse jobs on datasets whose quality report has errors, where the job is created.

The trainer and the backtest service learn the status from StrategyService.GetDataset (asked
as the job's creator, so users' files are theirs only); the error names the report resource
so a client can show it.
"""

from __future__ import annotations

from trademaster.service.auth import Principal
from trademaster.service.authz import Action, Resource, allowed, authorize
from trademaster.service.errors import FailedPrecondition


def report_path(dataset_id: str) -> str:
    return f"/api/v1/datasets/{dataset_id}/quality"


def dataset_scope(principal: Principal) -> str | None:
    """Whose datasets ``principal`` may use: None = every owner's, else only their own.

    From the ``dataset:read`` row, so a job can only name datasets its creator could read.
    """
    if allowed(principal, Resource.DATASET, Action.READ):
        return authorize(principal, Resource.DATASET, Action.READ).owner_scope
    return principal.subject


def refuse_blocked(dataset_id: str, status: str, error_codes: list[str] | tuple[str, ...]) -> None:
    """Raise FAILED_PRECONDITION (HTTP 400) naming the report when ``status`` is blocked."""
    if status != "blocked":
        return
    codes = ", ".join(error_codes) or "errors"
    raise FailedPrecondition(
        f"dataset {dataset_id!r} is blocked by its quality report ({codes}); see "
        f"{report_path(dataset_id)} and repair it into a new version",
        reason="DATASET_BLOCKED",
    )

"""Refuse jobs on datasets whose quality report has errors, where the job is created.

The trainer learns the status from StrategyService.GetDataset; the backtest service reads
dataset files itself, so it checks them here: users' files by their sidecar (owner and
status written by the strategy service), platform files by computing the report once per
content hash. Either way the error names the report resource so a client can show it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from trademaster.data.catalog import DatasetInfo, describe
from trademaster.data.meta import find_user_file, is_user_dataset_id, read_meta
from trademaster.data.quality import check_file
from trademaster.service.auth import Principal
from trademaster.service.authz import Action, Resource, allowed, authorize
from trademaster.service.errors import FailedPrecondition, NotFound


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


class DatasetGate:
    """Quality (and, for users' files, ownership) checks for services that read files."""

    def __init__(self, roots: list[Path]) -> None:
        self._roots = [Path(r).resolve() for r in roots]
        self._status: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._lock = threading.Lock()

    def user_dataset(self, dataset_id: str, owner: str | None) -> DatasetInfo:
        """Describe a user's dataset the caller owns (``owner=None``: admin), else NOT_FOUND."""
        path = find_user_file(self._roots, dataset_id) if is_user_dataset_id(dataset_id) else None
        meta = None if path is None else read_meta(path)
        if path is None or meta is None or (owner is not None and meta.owner_id != owner):
            raise NotFound(f"dataset {dataset_id!r} not found", reason="UNKNOWN_DATASET")
        refuse_blocked(dataset_id, meta.quality_status, meta.error_codes)
        root = next(r for r in self._roots if path.resolve().is_relative_to(r))
        return describe(path, root=root).model_copy(update={"dataset_id": dataset_id})

    def check(self, info: DatasetInfo) -> None:
        """Refuse a platform dataset whose report (computed once per content hash) has errors."""
        with self._lock:
            known = self._status.get(info.content_hash)
        if known is None:
            report = check_file(info.path, content_hash=info.content_hash)
            known = (report.status, tuple(sorted({f.code for f in report.errors})))
            with self._lock:
                self._status[info.content_hash] = known
        refuse_blocked(info.dataset_id, *known)

"""Notice when a dataset's quality gets worse after its file changed, and say so as an event.

Platform files can change on disk (a new export, a partial copy); users' datasets are
immutable versions, so in practice this watches the catalog. The last report seen per dataset
(content hash, status, error and warning counts) is kept as JSON next to the report cache, so a
restart does not forget it. A *drop* is a worse status (clean < warnings < blocked) or more
errors or warnings than before; it is published on topic ``dataset/<dataset_id>`` as
``dataset_quality_dropped`` (owner '' for platform datasets: every reader may follow it).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from trademaster.data.quality import QualityReport

_LOGGER = logging.getLogger(__name__)

EVENT_TYPE = "dataset_quality_dropped"
RANK = {"clean": 0, "warnings": 1, "blocked": 2}

Publish = Callable[[str, str, str, dict[str, Any]], Awaitable[object]]
"""``(topic, owner_id, type, payload)``, e.g. :meth:`EventBus.publish`."""


def dataset_topic(dataset_id: str) -> str:
    return f"dataset/{dataset_id}"


@dataclass(frozen=True)
class Seen:
    """What one report of a dataset said, enough to compare the next one with."""

    content_hash: str
    status: str
    errors: int
    warnings: int

    @classmethod
    def of(cls, content_hash: str, report: QualityReport) -> Seen:
        return cls(content_hash, report.status, len(report.errors), len(report.warnings))

    def worse_than(self, before: Seen) -> bool:
        if RANK[self.status] != RANK[before.status]:
            return RANK[self.status] > RANK[before.status]
        return self.errors > before.errors or self.warnings > before.warnings


class QualityWatch:
    """``observe`` each report served; a drop against the previous content is published."""

    def __init__(self, directory: Path, publish: Publish | None = None) -> None:
        self._dir = directory
        self._publish = publish
        self._lock = threading.Lock()

    def _file(self, dataset_id: str) -> Path:
        return self._dir / f"{dataset_id}.json"

    def _previous(self, dataset_id: str) -> Seen | None:
        try:
            return Seen(**json.loads(self._file(dataset_id).read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def _remember(self, dataset_id: str, seen: Seen) -> Seen | None:
        """Store ``seen``; the previous record when the content changed, else None."""
        with self._lock:
            before = self._previous(dataset_id)
            if before is not None and before.content_hash == seen.content_hash:
                return None
            self._dir.mkdir(parents=True, exist_ok=True)
            tmp = self._file(dataset_id).with_suffix(".tmp")
            tmp.write_text(json.dumps(asdict(seen)))
            tmp.replace(self._file(dataset_id))
            return before

    async def observe(
        self, dataset_id: str, owner_id: str, content_hash: str, report: QualityReport
    ) -> dict[str, Any] | None:
        """The event payload when quality dropped since the dataset's previous content."""
        seen = Seen.of(content_hash, report)
        before = self._remember(dataset_id, seen)
        if before is None or not seen.worse_than(before):
            return None
        payload = {
            "dataset_id": dataset_id,
            "before": asdict(before),
            "after": asdict(seen),
            "error_codes": sorted({f.code for f in report.errors}),
            "report_path": f"/api/v1/datasets/{dataset_id}/quality",
        }
        _LOGGER.warning(
            "dataset.quality_dropped dataset=%s %s->%s", dataset_id, before.status, seen.status
        )
        if self._publish is not None:
            try:
                await self._publish(dataset_topic(dataset_id), owner_id, EVENT_TYPE, payload)
            except Exception as error:  # noqa: BLE001 - the report is served regardless
                _LOGGER.warning(
                    "dataset.quality_event_failed dataset=%s error=%s", dataset_id, error
                )
        return payload

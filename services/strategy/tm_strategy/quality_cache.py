"""Quality reports computed once per content hash, kept in memory and as JSON on disk."""

from __future__ import annotations

import logging
import threading
import uuid
from pathlib import Path

from trademaster.data.quality import QualityReport, check_file

_LOGGER = logging.getLogger(__name__)


def report_path(dataset_id: str) -> str:
    """The HTTP resource of a dataset's full report (what blocked-job errors point to)."""
    return f"/api/v1/datasets/{dataset_id}/quality"


class QualityCache:
    """``report(path, content_hash)``: the cached report, or compute, store and return it."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._memory: dict[str, QualityReport] = {}
        self._lock = threading.Lock()

    def cached(self, content_hash: str) -> QualityReport | None:
        with self._lock:
            hit = self._memory.get(content_hash)
        if hit is not None:
            return hit
        file = self._dir / f"{content_hash}.json"
        if not file.is_file():
            return None
        try:
            report = QualityReport.model_validate_json(file.read_text())
        except ValueError:
            _LOGGER.warning("quality.cache_unreadable file=%s", file)
            return None
        with self._lock:
            self._memory[content_hash] = report
        return report

    def report(self, path: Path, content_hash: str) -> QualityReport:
        hit = self.cached(content_hash)
        if hit is not None:
            return hit
        report = check_file(path, content_hash=content_hash)
        self._dir.mkdir(parents=True, exist_ok=True)
        # One temporary name per writer: two requests computing the same report at once
        # (concurrent GetDataset calls) must not rename each other's file away.
        tmp = self._dir / f".{content_hash}.{uuid.uuid4().hex}.tmp"
        tmp.write_text(report.model_dump_json())
        tmp.replace(self._dir / f"{content_hash}.json")
        with self._lock:
            self._memory[content_hash] = report
        _LOGGER.info("quality.computed hash=%s status=%s", content_hash[:12], report.status)
        return report

from __future__ import annotations

import io
import json
import logging

import pytest
from trademaster.service.logs import JsonLineFormatter, configure_logging

pytestmark = pytest.mark.unit


def test_json_line_has_service_ids_and_extras() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLineFormatter("strategy"))
    logger = logging.getLogger("test.kit.logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("job.paused job.id=%s", "j-1", extra={"job.id": "j-1"})
    finally:
        logger.removeHandler(handler)

    entry = json.loads(stream.getvalue())
    assert entry["message"] == "job.paused job.id=j-1"
    assert entry["service"] == "strategy"
    assert entry["event"] == "job.paused"
    assert entry["level"] == "WARNING"
    assert entry["job.id"] == "j-1"
    assert entry["request_id"] is None
    assert entry["trace_id"] is None


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="was 'LOUD'"):
        configure_logging("strategy", "LOUD")

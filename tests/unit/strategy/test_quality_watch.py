"""QualityWatch: a changed file whose report got worse raises one event; same content never."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from tm_strategy.quality_watch import EVENT_TYPE, QualityWatch
from trademaster.data.quality import check_file

pytestmark = pytest.mark.unit


def _report(path: Path, duplicates: int = 0, spike: bool = False) -> Any:
    dates = pd.bdate_range("2021-01-04", periods=60).strftime("%Y-%m-%d")
    close = np.linspace(10, 20, 60)
    if spike:
        close[30] *= 8
    df = pd.DataFrame(
        {"date": dates, "tic": "X", "open": close, "high": close + 1, "low": close - 1,
         "close": close, "volume": 5.0}
    )  # fmt: skip
    pd.concat([df, df.iloc[:duplicates]]).to_csv(path, index=False)
    return check_file(path)


async def test_drop_after_a_change_is_published_once(tmp_path: Path) -> None:
    sent: list[tuple[str, str, str, dict[str, Any]]] = []

    async def publish(topic: str, owner: str, type_: str, payload: dict[str, Any]) -> str:
        sent.append((topic, owner, type_, payload))
        return "1-0"

    watch = QualityWatch(tmp_path / "latest", publish)
    clean = _report(tmp_path / "a.csv")
    blocked = _report(tmp_path / "b.csv", duplicates=2)
    assert clean.status == "clean" and blocked.status == "blocked"

    assert await watch.observe("d1", "", "h1", clean) is None  # first sight: nothing to compare
    assert await watch.observe("d1", "", "h1", clean) is None
    dropped = await watch.observe("d1", "", "h2", blocked)
    assert await watch.observe("d1", "", "h2", blocked) is None  # same content: said once

    assert dropped is not None
    assert (dropped["before"]["status"], dropped["after"]["status"]) == ("clean", "blocked")
    assert dropped["error_codes"] == ["duplicate_rows"]
    assert [(t, o, k) for t, o, k, _ in sent] == [("dataset/d1", "", EVENT_TYPE)]
    assert await watch.observe("d1", "", "h3", clean) is None  # better is no alarm


async def test_memory_survives_a_restart_and_more_warnings_count(tmp_path: Path) -> None:
    clean = _report(tmp_path / "a.csv")
    spiky = _report(tmp_path / "b.csv", spike=True)
    assert spiky.status == "warnings"
    await QualityWatch(tmp_path / "latest").observe("d2", "", "h1", clean)

    dropped = await QualityWatch(tmp_path / "latest").observe("d2", "", "h2", spiky)

    assert dropped is not None and dropped["after"]["warnings"] >= 1

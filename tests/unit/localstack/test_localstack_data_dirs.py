"""The local stack pins the strategy service's data dir; no other service gets dataset roots
(the trainer and the backtest service resolve every dataset through GetDataset → URI)."""

from __future__ import annotations

from pathlib import Path

import pytest
from trademaster.service.localstack import Stack, StackConfig

pytestmark = pytest.mark.unit


def test_only_the_strategy_service_gets_a_data_dir(tmp_path: Path) -> None:
    stack = Stack(StackConfig(work_dir=tmp_path, services=("strategy", "trainer", "backtest")))
    stack.database_url, stack.redis_url = "postgresql://db", "redis://r"

    strategy = stack.env_for("strategy")

    assert strategy["TM_STRATEGY_DATA_DIR"] == str(tmp_path.absolute() / "datasets")
    for name in ("trainer", "backtest"):
        env = stack.env_for(name)
        own = [k for k in env if k.startswith(f"TM_{name.upper()}_") and "DATA_DIR" in k]
        assert not own, f"{name} scans no data folders"

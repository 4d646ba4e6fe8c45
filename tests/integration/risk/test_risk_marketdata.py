"""Market data: a dataset replayed onto the bar stream becomes reference prices and fills."""

from __future__ import annotations

from pathlib import Path

import pytest
from tm_risk.replay import replay, replay_file
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.data.loaders import load_ohlcv
from trademaster.data.synthetic import sine_trend, write_synthetic_dataset

from .conftest import Harness, user

pytestmark = pytest.mark.integration


async def test_replayed_dataset_sets_reference_price_and_fills(
    harness: Harness, tmp_path: Path
) -> None:
    path = write_synthetic_dataset(tmp_path / "syn.csv", sine_trend(20, 2, seed=5))
    frame = load_ohlcv(path)
    tic = str(frame["tic"].iloc[0])
    await harness.instrument(tic)
    owner = user()
    account = await harness.account(owner)
    count = await replay_file(
        harness.settings.redis_url,
        path,
        speed=0,
        stream=harness.settings.market_data_stream,
        limit=20,
    )
    assert count == 20
    last_close = float(frame["close"].iloc[:20][frame["tic"].iloc[:20] == tic].iloc[-1])
    await harness.wait_reference(account, tic, last_close)
    reply = await harness.submit(owner, account, "3", iid=tic, coid="replay-1")
    assert reply.decision.decision == pb.DECISION_ALLOW
    next_bars = frame.iloc[20:22]
    await replay_file(
        harness.settings.redis_url,
        path,
        speed=0,
        stream=harness.settings.market_data_stream,
        tics=[tic],
    )
    order = await harness.wait_order(owner, account, "replay-1", pb.ORDER_STATUS_FILLED)
    assert float(order.average_fill_price) > 0
    assert len(next_bars) == 2


async def test_replay_rejects_a_bad_speed(harness: Harness) -> None:
    with pytest.raises(ValueError, match="speed"):
        await replay(harness.redis, [], speed=-1)

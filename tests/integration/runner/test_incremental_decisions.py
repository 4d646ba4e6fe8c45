"""The incremental deployment decision equals the full backtest replay, bar by bar, on real data.

Tiny models are trained with the CLI on shared data (BTC daily; 22 FX rates for a portfolio),
then a bar stream is fed to a bounded history: on every complete bar the reference
(:func:`trademaster.runner.live_policy.target_weights`, the backtest's model replay) and
:class:`trademaster.runner.incremental.IncrementalPolicy` must give the same target weights. Midway
the runner "restarts": a fresh history and policy rebuilt from the last ``max_bars`` bars of the
stream, as :func:`trademaster.runner.deployment.rebuild` does, then continuing incrementally.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
from trademaster.backtest.sources import run_dir_model
from trademaster.runner.incremental import IncrementalPolicy
from trademaster.runner.live_policy import BarHistory, StreamBar, target_weights, warmup_bars
from trademaster.training.model_artifact import ModelArtifact

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MAX_BARS = 64
"""The smallest ``max_history_bars`` a spec allows: the history slides after 64 bars, so the
replay's start (and the chain of actions from it) moves every bar, the case that matters."""


def _train(task: str, agent: str, data: Path, run_dir: Path) -> ModelArtifact:
    cli = Path(sys.executable).with_name("trademaster")
    done = subprocess.run(
        [str(cli), "train", "--task", task, "--agent", agent, "--data", str(data),
         "--steps", "512", "--run-dir", str(run_dir)],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2_000:]
    return ModelArtifact.load(run_dir_model(run_dir))


def _stream(path: Path, bars: int) -> list[list[StreamBar]]:
    """The first ``bars`` dates of a CSV as stream bars, one list per date."""
    frame = pd.read_csv(path)
    frame["date"] = pd.to_datetime(frame["date"])
    dates = sorted(frame["date"].unique())[:bars]
    out = []
    for date in dates:
        rows = frame[frame["date"] == date]
        t = pd.Timestamp(date).value
        out.append(
            [StreamBar(r.tic, t, r.open, r.high, r.low, r.close, 0.0) for r in rows.itertuples()]
        )
    return out


def _perturbed(artifact: ModelArtifact, seed: int = 7) -> ModelArtifact:
    """The artifact with seeded noise on every float weight: a tiny trained policy often holds
    one level throughout, and a chain that never changes would not tell the paths apart."""
    gen = torch.Generator().manual_seed(seed)
    state = {
        k: v + 0.5 * torch.randn(v.shape, generator=gen, dtype=v.dtype) if v.is_floating_point()
        else v
        for k, v in artifact.policy_state.items()
    }  # fmt: skip
    return dataclasses.replace(artifact, policy_state=state)


def _compare(
    artifact: ModelArtifact, stream: list[list[StreamBar]], restart_at: int
) -> list[list[float]]:
    """Feed ``stream``; every decision must be equal; returns the decisions taken."""
    instruments = sorted({b.instrument_id for b in stream[0]})
    history = BarHistory(instruments, MAX_BARS)
    policy = IncrementalPolicy(artifact, instruments)
    decisions = []
    for i, bars in enumerate(stream):
        if i == restart_at:  # a restarted runner: rebuilt from the stream, no decisions
            history = BarHistory(instruments, MAX_BARS)
            policy = IncrementalPolicy(artifact, instruments)
            for earlier in stream[max(0, i - MAX_BARS) : i]:
                for bar in earlier:
                    history.add(bar)
        complete = [history.add(bar) for bar in bars][-1]
        assert complete is not None
        expected = target_weights(artifact, history)
        got = policy.target_weights(history)
        assert got == expected, f"bar {i}: incremental {got} != replay {expected}"
        if expected is not None:
            decisions.append(expected)
    assert len(decisions) == len(stream) - warmup_bars(artifact) + 1
    return decisions


@pytest.mark.parametrize("agent", ["dqn", "ppo"])
def test_algorithmic_btc_incremental_equals_replay(
    shared_data_dir: Path, tmp_path: Path, agent: str
) -> None:
    data = shared_data_dir / "algorithmic_trading" / "BTC" / "data.csv"
    artifact = _train("algorithmic_trading", agent, data, tmp_path / agent)
    stream = _stream(data, 330)
    _compare(artifact, stream, restart_at=200)
    decisions = _compare(_perturbed(artifact), stream, restart_at=150)
    changes = sum(a != b for a, b in zip(decisions, decisions[1:], strict=False))
    assert changes >= 10, f"the perturbed policy changed level only {changes} times"


def test_portfolio_fx_incremental_equals_replay(shared_data_dir: Path, tmp_path: Path) -> None:
    data = shared_data_dir / "portfolio_management" / "exchange" / "valid.csv"
    artifact = _train("portfolio_management", "ppo", data, tmp_path / "pm")
    stream = _stream(data, 300)
    decisions = _compare(_perturbed(artifact), stream, restart_at=180)
    assert len({tuple(d) for d in decisions}) == len(decisions), "weights must move every bar"


def test_live_decision_is_the_backtest_decision_on_that_bar(
    shared_data_dir: Path, tmp_path: Path
) -> None:
    """Paper equals backtest: the decision on the newest bar (``through_last``) is the one a
    backtest over one more bar takes there (it once was taken on the oldest window instead)."""
    from trademaster.backtest.data import MarketData
    from trademaster.backtest.sources import model_plan

    data = shared_data_dir / "algorithmic_trading" / "BTC" / "data.csv"
    artifact = _perturbed(_train("algorithmic_trading", "dqn", data, tmp_path / "dqn"))
    frame = pd.read_csv(data)
    frame["date"] = pd.to_datetime(frame["date"])
    frame = frame[["date", "tic", "open", "high", "low", "close"]].iloc[:160]
    live, longer = [], []
    for n in range(100, 159):
        head = frame.iloc[:n].reset_index(drop=True)
        live.append(model_plan(artifact, MarketData.from_frame(head), head, through_last=True))
        more = frame.iloc[: n + 1].reset_index(drop=True)
        longer.append(model_plan(artifact, MarketData.from_frame(more), more))
    got = [p.weights[-1, 0] for p in live]
    expected = [p.weights[-2, 0] for p in longer]
    assert got == expected
    assert len(set(got)) > 1

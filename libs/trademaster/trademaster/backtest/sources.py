"""Where decisions come from: named baselines, caller signal series, trained run directories."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trademaster.backtest.data import MarketData

_LOGGER = logging.getLogger(__name__)

BASELINES = ("buy_and_hold", "equal_weight", "cash")


@dataclass(frozen=True)
class WeightPlan:
    """Target weights ``[T, A]`` (NaN = no decision) and whether to re-size every bar."""

    weights: np.ndarray
    rebalance_every_bar: bool


@dataclass(frozen=True)
class SignalPoint:
    """Target weight of ``asset`` from ``time`` on."""

    time: Any
    asset: str
    target_weight: float


def baseline_plan(name: str, data: MarketData) -> WeightPlan:
    """``buy_and_hold``: 1/A each, bought once; ``equal_weight``: 1/A re-sized every bar;
    ``cash``: nothing.

    Raises:
        ValueError: unknown baseline name.
    """
    a = data.num_assets
    if name == "buy_and_hold":
        return WeightPlan(np.full((data.num_bars, a), 1.0 / a), False)
    if name == "equal_weight":
        return WeightPlan(np.full((data.num_bars, a), 1.0 / a), True)
    if name == "cash":
        return WeightPlan(np.zeros((data.num_bars, a)), False)
    raise ValueError(f"baseline must be one of {list(BASELINES)}, was {name!r}")


def signal_plan(signals: Sequence[SignalPoint], data: MarketData) -> WeightPlan:
    """Weights from signals: each holds from the first bar at or after its time until the
    asset's next signal; assets without a signal yet hold 0.

    Raises:
        ValueError: unknown asset, a weight outside [-1, 1], or no signal inside the data.
    """
    weights = np.full((data.num_bars, data.num_assets), np.nan)
    for i, point in enumerate(sorted(signals, key=lambda s: pd.Timestamp(s.time))):
        if point.asset not in data.tics:
            raise ValueError(
                f"signals[{i}].asset must be one of {list(data.tics)}, was {point.asset!r}"
            )
        if not -1.0 <= point.target_weight <= 1.0:
            raise ValueError(
                f"signals[{i}].target_weight must be in [-1, 1], was {point.target_weight}"
            )
        when = np.datetime64(pd.Timestamp(point.time).tz_localize(None), "ns")
        bar = int(np.searchsorted(data.dates, when, side="left"))
        if bar < data.num_bars:
            weights[bar, data.tics.index(point.asset)] = point.target_weight
    if np.isnan(weights).all():
        raise ValueError("no signal falls inside the backtest's date range")
    frame = pd.DataFrame(weights).ffill()
    first = frame.notna().any(axis=1).to_numpy().argmax()
    filled = frame.fillna(0.0).to_numpy(copy=True)
    filled[:first] = np.nan
    return WeightPlan(filled, False)


def run_dir_plan(run_dir: str | Path, data: MarketData, frame: pd.DataFrame) -> WeightPlan:
    """Replay a ``trademaster train`` run's final policy over ``frame`` (the backtest period,
    long OHLCV) through its evaluation env; the chosen level is the target weight.

    Raises:
        FileNotFoundError: not a finished run directory.
    """
    import torch

    from trademaster.cli.pipeline import RunConfig, env_config, make_algorithm
    from trademaster.data.features import zfeatures
    from trademaster.data.panel import Panel
    from trademaster.envs.factory import build_env

    run_dir = Path(run_dir)
    config_file, model_file = run_dir / "config.json", run_dir / "final_model.pt"
    if not config_file.is_file() or not model_file.is_file():
        raise FileNotFoundError(
            f"{run_dir} is not a finished run (needs config.json, final_model.pt)"
        )
    stored = json.loads(config_file.read_text())
    stored.pop("training", None)
    run = RunConfig(**stored)
    single = frame[frame["tic"] == data.tics[0]].reset_index(drop=True)
    feats = pd.concat([single[["date", "tic", "open", "close"]], zfeatures(single)], axis=1)
    panel = Panel.from_long(feats.bfill(), [c for c in feats.columns if c not in ("date", "tic")])
    cfg = env_config(run, num_envs=1, episode_length=None)
    env = build_env(cfg, panel, seed=0)
    algorithm = make_algorithm(run, env, seed=0)
    saved = torch.load(model_file, map_location="cpu", weights_only=True)
    algorithm.policy.load_state_dict(saved["policy_state"])
    levels = np.asarray(cfg.position_levels, dtype=np.float64) * cfg.position_size
    weights = np.full((data.num_bars, data.num_assets), np.nan)
    obs = env.reset(seed=0)
    with torch.no_grad():
        for t in range(cfg.window - 1, data.num_bars - 1):
            action = algorithm.policy.act(obs, deterministic=True, action_mask=env.action_mask())
            weights[t, 0] = levels[int(action.reshape(-1)[0])]
            obs = env.step(action).obs
    return WeightPlan(weights, False)

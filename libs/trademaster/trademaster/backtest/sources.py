"""Where decisions come from: named baselines, caller signal series, trained run directories."""

from __future__ import annotations

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


MODEL_FILES = ("final_model.pt", "model.pt")
"""Model artifact: ``trademaster train`` writes final_model.pt, a trainer job model.pt."""
REPLAY_TASKS = ("algorithmic_trading", "portfolio_management")
"""Tasks replayed on bars; order-book tasks replay in ``trademaster.backtest.book_replay``."""


def _first_file(run_dir: Path, names: Sequence[str]) -> Path | None:
    return next((run_dir / n for n in names if (run_dir / n).is_file()), None)


def run_dir_model(run_dir: str | Path) -> Path:
    """The model artifact file of a finished run dir (CLI or trainer job).

    Raises:
        FileNotFoundError: no model artifact in ``run_dir``.
    """
    model_file = _first_file(Path(run_dir), MODEL_FILES)
    if model_file is None:
        raise FileNotFoundError(
            f"{run_dir} is not a finished run (needs one of {list(MODEL_FILES)})"
        )
    return model_file


def run_dir_plan(run_dir: str | Path, data: MarketData, frame: pd.DataFrame) -> WeightPlan:
    """Replay the model artifact of a finished run dir (see :func:`model_plan`)."""
    from trademaster.training.model_artifact import ModelArtifact

    return model_plan(ModelArtifact.load(run_dir_model(run_dir)), data, frame)


def model_plan(
    artifact: Any, data: MarketData, frame: pd.DataFrame, *, through_last: bool = False
) -> WeightPlan:
    """Replay a trained policy (a ``ModelArtifact``) over ``frame`` (the backtest period).

    Features are computed causally as in training and standardized with the scaler stored in
    the artifact (fitted on the run's own training dates), so the policy sees inputs on the
    scale it learned and the training data is never read again. Algorithmic trading: the chosen
    position level is the target weight of the run's tic (others hold 0). Portfolio management:
    the policy's asset weights (cash is the remainder).

    Raises:
        ValueError: a task without bar replay, or assets the policy needs are missing.
    """
    import torch

    from trademaster.data.features import zfeatures
    from trademaster.data.panel import Panel
    from trademaster.envs.config import AlgorithmicTradingEnvConfig
    from trademaster.envs.factory import build_env
    from trademaster.training.pipeline import env_config, make_algorithm

    run = artifact.run_spec
    if run.task not in REPLAY_TASKS:
        raise ValueError(
            f"a {run.task} policy replays on an order book: backtest it on a lob or hft_lob "
            f"dataset (bar datasets replay {list(REPLAY_TASKS)})"
        )
    if artifact.scaler is None or not artifact.tics:
        raise ValueError("the model artifact holds no fitted scaler; train the model again")
    trained_tics = list(artifact.tics)
    tics = trained_tics
    if run.task == "algorithmic_trading":
        tics = [run.tic] if run.tic in data.tics else [data.tics[0]]
    missing = [t for t in tics if t not in data.tics]
    if missing:
        raise ValueError(f"the policy trades {tics}; the backtest data lacks {missing}")
    base = frame[frame["tic"].isin(tics)].sort_values(["date", "tic"]).reset_index(drop=True)
    columns = ["date", "tic", "open", "high", "low", "close"]
    columns += ["adjcp"] if "adjcp" in base.columns else []
    base = base[columns]
    feats = pd.concat([base[["date", "tic", "open", "close"]], zfeatures(base)], axis=1).dropna()
    scaled = artifact.scaler.transform(feats.reset_index(drop=True))
    if run.task == "algorithmic_trading":
        scaled = scaled.assign(tic=trained_tics[0])
        model_tics: list[str] | None = None
    else:
        model_tics = tics
    panel = Panel.from_long(scaled, list(artifact.feature_fields), ffill=True, tics=model_tics)
    cfg = env_config(run, num_envs=1, episode_length=None)
    env = build_env(cfg, panel, seed=0)
    algorithm = make_algorithm(run, env, seed=0)
    algorithm.policy.load_state_dict(artifact.policy_state)
    columns_at = [data.tics.index(t) for t in tics]
    bars = np.searchsorted(data.dates, np.asarray(panel.dates, dtype="datetime64[ns]"))
    weights = np.full((data.num_bars, data.num_assets), np.nan)
    obs = env.reset(seed=0)
    with torch.no_grad():
        last = len(panel.dates) - (0 if through_last else 1)
        for t in range(cfg.window - 1, last):
            action = algorithm.policy.act(obs, deterministic=True, action_mask=env.action_mask())
            row = np.zeros(data.num_assets)
            if isinstance(cfg, AlgorithmicTradingEnvConfig):
                levels = np.asarray(cfg.position_levels, dtype=np.float64) * cfg.position_size
                row[columns_at[0]] = levels[int(action.reshape(-1)[0])]
            else:
                row[columns_at] = _portfolio_weights(env, action)
            weights[bars[t]] = row
            if t + 1 < len(panel.dates):
                stepped = env.step(action)
                # The whole-series episode ends on the step into the last bar and auto-resets;
                # the decision on that bar (``through_last``) needs its real observation.
                obs = (
                    stepped.info["final_observation"] if t + 2 == len(panel.dates) else stepped.obs
                )
    _LOGGER.info("backtest.model_replayed task=%s tics=%s", run.task, tics)
    return WeightPlan(weights, run.task == "portfolio_management")


def _portfolio_weights(env: Any, action: Any) -> np.ndarray:
    """Asset weights (cash column dropped) the portfolio env derives from ``action``."""
    import torch

    raw = action.reshape(1, -1).double()
    simplex = torch.softmax(raw, dim=1) if env.action_is_logits else raw / raw.sum(1, keepdim=True)
    return simplex[0, 1:].cpu().numpy()

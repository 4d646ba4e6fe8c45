"""One experiment pipeline for all four tasks: data source → causal features → split → env → agent.

Used by the ``trademaster`` CLI and the trainer's job runner, so a run behaves the same wherever
it is launched. A run is a :class:`~trademaster.config.run.RunSpec` (typed strategy config, data
reference, split fractions): the one shape from the HTTP route to the runner.

Data per task (``data`` is a path or ``"synthetic"``):

* ``algorithmic_trading``: an OHLCV file (one tic, or ``tic`` chosen from a long file);
  synthetic = a single-asset sine-trend market.
* ``portfolio_management``: a long multi-asset OHLCV file (e.g. DJ30); synthetic = a
  4-asset sine-trend market.
* ``order_execution`` / ``high_frequency_trading``: an order-execution minute LOB file, an HFT
  5-level segment file, or a folder of HFT segment files (concatenated by ``timestamp``);
  synthetic = :func:`trademaster.data.synthetic.lob`.

Bar data gets TradeMaster's z-features computed causally per tic (never the file's own,
back-filled ones), is split by date into train/valid/test, and is standardized per tic by a
scaler fitted on the training dates only. Order books are split by row position; the LOB envs
compute their own scale-free features (bps distances, log sizes), so they need no scaler.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from pydantic import BaseModel

from trademaster.agents.base import Algorithm, Policy
from trademaster.agents.baselines import BuyAndHoldPolicy, EqualWeightPolicy, FlatPolicy, TWAPPolicy
from trademaster.agents.config import AGENT_CONFIGS, SUPPORTED_AGENTS_BY_TASK
from trademaster.agents.registry import get_algorithm
from trademaster.config.run import SYNTHETIC, RunSpec
from trademaster.config.strategy import ENV_CONFIGS
from trademaster.data.features import Z_COLUMNS, zfeatures
from trademaster.data.loaders import (
    DatasetError,
    OrderBook,
    hft_book,
    load_hft_lob,
    load_lob,
    load_ohlcv,
    lob_book,
    slice_book,
)
from trademaster.data.panel import Panel
from trademaster.data.splits import FeatureScaler, Split, scale_split, split_by_date
from trademaster.data.synthetic import lob, sine_trend
from trademaster.envs.base import VecEnv
from trademaster.envs.factory import EnvConfig, build_env
from trademaster.training.config import TrainingConfig
from trademaster.training.run_record import file_hash
from trademaster.training.trainer import EvalOutcome, evaluate_policy

_LOGGER = logging.getLogger(__name__)

SYNTHETIC_STEPS = 1_200
SYNTHETIC_ASSETS = 4
SYNTHETIC_BOOK_STEPS = 3_000
TASKS: tuple[str, ...] = (
    "algorithmic_trading",
    "portfolio_management",
    "order_execution",
    "high_frequency_trading",
)
SUPPORTED_TASKS = TASKS
BAR_TASKS = frozenset({"algorithmic_trading", "portfolio_management"})
BOOK_TASKS = frozenset({"order_execution", "high_frequency_trading"})
SPLIT_NAMES: tuple[str, ...] = ("train", "valid", "test")
PANEL_FIELDS: tuple[str, ...] = ("open", "close", *Z_COLUMNS)

EVAL_EPISODES: dict[str, int] = {
    "algorithmic_trading": 1,
    "portfolio_management": 1,
    "order_execution": 20,
    "high_frequency_trading": 1,
}
"""Episodes per evaluation: one pass over the split, or 20 random orders for execution."""


@dataclass(frozen=True)
class Dataset:
    """Market data of one task split into train/valid/test, ready for :func:`make_env`.

    ``parts`` maps split name to a :class:`Panel` (bar tasks) or :class:`OrderBook` (LOB tasks).
    ``split`` holds the (scaled) long frames of bar data and ``scaler`` the train-fitted scaler;
    both are None for order books.
    """

    task: str
    parts: Mapping[str, Panel | OrderBook]
    dataset_hash: str
    source: str
    split: Split | None = None
    scaler: FeatureScaler | None = None

    def part(self, split: str) -> Panel | OrderBook:
        if split not in SPLIT_NAMES:
            raise ValueError(f"split must be one of {SPLIT_NAMES}, was {split!r}")
        return self.parts[split]


def check_task(task: str) -> None:
    if task not in TASKS:
        raise ValueError(f"task must be one of {list(TASKS)}, was {task!r}")


def check_agent_for_task(task: str, agent: str) -> None:
    """Raise ValueError unless ``agent`` is known and supported for ``task``."""
    check_task(task)
    if agent not in AGENT_CONFIGS:
        raise ValueError(f"agent must be one of {sorted(AGENT_CONFIGS)}, was {agent!r}")
    supported = SUPPORTED_AGENTS_BY_TASK[task]
    if agent not in supported:
        raise ValueError(
            f"agent {agent!r} is not supported for task {task!r}, expected one of {list(supported)}"
        )


def _fractions(train_fraction: float, valid_fraction: float) -> None:
    if not (0 < train_fraction < 1 and 0 < valid_fraction < 1):
        raise ValueError(
            f"train_fraction and valid_fraction must be in (0, 1), were "
            f"{train_fraction}, {valid_fraction}"
        )
    if train_fraction + valid_fraction >= 1:
        raise ValueError(
            f"train_fraction + valid_fraction must be < 1, was {train_fraction + valid_fraction}"
        )


def _frame_hash(frame: pd.DataFrame) -> str:
    values = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(values.tobytes()).hexdigest()


def load_dataset(
    data: str,
    *,
    task: str = "algorithmic_trading",
    tic: str | None = None,
    train_fraction: float = 0.7,
    valid_fraction: float = 0.15,
) -> Dataset:
    """Load ``data`` (path or ``"synthetic"``) for ``task`` and split it (see module docstring).

    Raises:
        FileNotFoundError: ``data`` is neither a path nor ``"synthetic"``.
        DatasetError: the file has the wrong schema, or ``tic`` is not in it.
        ValueError: bad fractions, or too little data for three non-empty parts.
    """
    check_task(task)
    _fractions(train_fraction, valid_fraction)
    if tic is not None and task != "algorithmic_trading":
        raise ValueError(f"tic selects the asset of algorithmic_trading only, task was {task!r}")
    if data != SYNTHETIC and not Path(data).exists():
        raise FileNotFoundError(f"data file not found: {data}")
    if task in BAR_TASKS:
        return _bar_dataset(data, task, tic, train_fraction, valid_fraction)
    return _book_dataset(data, task, train_fraction, valid_fraction)


def load_run_dataset(run: RunSpec) -> Dataset:
    """:func:`load_dataset` with the run's data source, task, tic and split fractions."""
    return load_dataset(
        run.dataset.local_path(),
        task=run.task,
        tic=run.tic,
        train_fraction=run.train_fraction,
        valid_fraction=run.valid_fraction,
    )


def _bar_frame(data: str, task: str, tic: str | None) -> tuple[pd.DataFrame, str]:
    if data == SYNTHETIC:
        assets = 1 if task == "algorithmic_trading" else SYNTHETIC_ASSETS
        frame = sine_trend(SYNTHETIC_STEPS, assets, seed=0, period=40, amplitude=0.1)
        return frame, _frame_hash(frame)
    path = Path(data)
    if path.is_dir():
        raise DatasetError(f"task {task!r} needs one OHLCV file, {path} is a folder")
    frame = load_ohlcv(path)
    tics = sorted(frame["tic"].unique())
    if not tics:
        raise DatasetError(f"{path} has no rows")
    if task == "algorithmic_trading":
        if tic is not None and tic not in tics:
            raise DatasetError(f"tic {tic!r} is not in {path}, expected one of {tics}")
        if tic is None and len(tics) > 1:
            tic = tics[0]
            _LOGGER.warning("data.multi_tic path=%s using tic=%s of %d", path, tic, len(tics))
        if tic is not None:
            frame = frame[frame["tic"] == tic].reset_index(drop=True)
    return frame, file_hash(path)


def _causal_features(frame: pd.DataFrame) -> pd.DataFrame:
    """open/close + z-features recomputed per tic; dates before every tic is warm are dropped."""
    base = frame[["date", "tic", "open", "high", "low", "close"]].copy()
    if "adjcp" in frame.columns:
        base["adjcp"] = frame["adjcp"]
    out = pd.concat([base[["date", "tic", "open", "close"]], zfeatures(base)], axis=1)
    out = out.dropna().reset_index(drop=True)
    if out.empty:
        raise DatasetError("no rows left after the z-feature warm-up (need > 30 dates per tic)")
    warm_from = out.groupby("tic")["date"].min().max()
    return out[out["date"] >= warm_from].reset_index(drop=True)


def _date_split(frame: pd.DataFrame, train_fraction: float, valid_fraction: float) -> Split:
    dates = np.sort(frame["date"].unique())
    n_train = int(len(dates) * train_fraction)
    n_valid_end = int(len(dates) * (train_fraction + valid_fraction))
    if n_train < 1 or n_valid_end <= n_train or n_valid_end >= len(dates):
        raise ValueError(
            f"{len(dates)} dates are too few for train/valid/test fractions "
            f"{train_fraction}/{valid_fraction}"
        )
    return split_by_date(frame, dates[n_train - 1], dates[n_valid_end - 1])


def _bar_dataset(
    data: str, task: str, tic: str | None, train_fraction: float, valid_fraction: float
) -> Dataset:
    frame, digest = _bar_frame(data, task, tic)
    features = _causal_features(frame)
    split, scaler = scale_split(
        _date_split(features, train_fraction, valid_fraction), Z_COLUMNS, per="tic"
    )
    tics = sorted(split.train["tic"].unique())
    parts = {
        name: Panel.from_long(getattr(split, name), PANEL_FIELDS, ffill=True, tics=tics)
        for name in SPLIT_NAMES
    }
    _LOGGER.info(
        "data.loaded task=%s source=%s tics=%d dates=%s",
        task,
        data,
        len(tics),
        {name: len(part.dates) for name, part in parts.items()},
    )
    return Dataset(task, parts, digest, data, split=split, scaler=scaler)


def book_files(path: Path) -> tuple[OrderBook, str]:
    """The order book of an OE minute file, an HFT segment file or a folder of HFT segments
    (concatenated by ``timestamp``), with its content hash."""
    if path.is_file():
        try:
            return lob_book(load_lob(path)), file_hash(path)
        except DatasetError:
            return hft_book(load_hft_lob(path)), file_hash(path)
    frames, digest = [], hashlib.sha256()
    for file in sorted(path.rglob("*.csv")):
        try:
            frames.append(load_hft_lob(file))
        except DatasetError as exc:
            _LOGGER.warning("data.skip_non_lob path=%s reason=%s", file, exc)
            continue
        digest.update(f"{file.relative_to(path)}:{file_hash(file)}\n".encode())
    if not frames:
        raise DatasetError(f"no HFT LOB segment files (bid1_price, timestamp...) under {path}")
    merged = pd.concat(frames, ignore_index=True).drop_duplicates("timestamp")
    merged = merged.sort_values("timestamp", kind="stable").reset_index(drop=True)
    return hft_book(merged), digest.hexdigest()


def _book_dataset(data: str, task: str, train_fraction: float, valid_fraction: float) -> Dataset:
    if data == SYNTHETIC:
        frame = lob(SYNTHETIC_BOOK_STEPS, seed=0)
        book, digest = hft_book(frame), _frame_hash(frame)
    else:
        book, digest = book_files(Path(data))
    n = len(book)
    train_end = int(n * train_fraction)
    valid_end = int(n * (train_fraction + valid_fraction))
    if train_end < 1 or valid_end <= train_end or valid_end >= n:
        raise ValueError(
            f"{n} snapshots are too few for train/valid/test fractions "
            f"{train_fraction}/{valid_fraction}"
        )
    bounds = {"train": (0, train_end), "valid": (train_end, valid_end), "test": (valid_end, n)}
    parts = {name: slice_book(book, lo, hi) for name, (lo, hi) in bounds.items()}
    _LOGGER.info("data.loaded task=%s source=%s snapshots=%s", task, data, bounds)
    return Dataset(task, parts, digest, data)


def env_config(run: RunSpec, **overrides: Any) -> EnvConfig:
    """The run's typed env config with ``overrides`` (e.g. one env for evaluation) applied."""
    check_task(run.task)
    fields = {**run.strategy.env.model_dump(), **overrides}
    return ENV_CONFIGS[run.task](**fields)  # type: ignore[return-value]


def make_env(run: RunSpec, dataset: Dataset, split: str, *, evaluation: bool, seed: int) -> VecEnv:
    """Training env (vectorised, random episode starts) or eval env (one env, whole split)."""
    if dataset.task != run.task and {dataset.task, run.task} - BAR_TASKS:
        raise ValueError(f"dataset was loaded for task {dataset.task!r}, run is {run.task!r}")
    overrides: dict[str, Any] = {}
    if evaluation:
        overrides["num_envs"] = 1
        if run.task != "order_execution":
            overrides["episode_length"] = None
    return build_env(env_config(run, **overrides), dataset.part(split), seed=seed)


def agent_config(run: RunSpec) -> BaseModel:
    """Validated agent hyperparameters of the run (they suit ``run.task`` by construction)."""
    check_agent_for_task(run.task, run.agent)
    return run.strategy.agent_params


def training_config(run: RunSpec) -> TrainingConfig:
    return run.strategy.training


def make_algorithm(
    run: RunSpec, env: VecEnv, *, seed: int, device: torch.device | str = "cpu"
) -> Algorithm:
    cls = get_algorithm(run.agent)
    return cls(env, agent_config(run), seed=seed, device=torch.device(device))


def baseline_policies(run: RunSpec, env: VecEnv) -> dict[str, Policy]:
    """Rule-based policies a trained agent is compared with on ``run.task``."""
    spec = env.action_spec
    if run.task == "portfolio_management":
        return {"equal_weight": EqualWeightPolicy(spec)}
    if run.task == "order_execution":
        horizon = int(env_config(run).horizon)  # type: ignore[union-attr]
        return {"twap": TWAPPolicy(spec, horizon=horizon)}
    return {"buy_and_hold": BuyAndHoldPolicy(spec), "flat": FlatPolicy(spec)}


def evaluate_run_policy(
    run: RunSpec, policy: Policy, env: VecEnv, *, seed: int, episodes: int | None = None
) -> EvalOutcome:
    """Evaluate ``policy`` the way the task is judged (``EVAL_EPISODES[task]`` by default).

    Order execution has no portfolio equity (its ``portfolio_value`` is signed cash, often <= 0),
    so it is scored by the shortfall-vs-TWAP episode return alone; its curve is env 0's
    cumulative reward over the first episode. Other tasks use ``evaluate_policy``.
    """
    episodes = EVAL_EPISODES[run.task] if episodes is None else episodes
    if run.task != "order_execution":
        return evaluate_policy(policy, env, episodes=episodes, seed=seed)
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, was {episodes}")
    obs = env.reset(seed=seed)
    returns: list[float] = []
    lengths: list[float] = []
    curve, first_done = [0.0], False
    was_training = policy.training
    policy.eval()
    while len(returns) < episodes:
        result = env.step(policy.act(obs, deterministic=True, action_mask=env.action_mask()))
        done = result.terminated | result.truncated
        if not first_done:
            curve.append(curve[-1] + float(result.reward[0]))
            first_done = bool(done[0])
        idx = done.nonzero(as_tuple=True)[0]
        returns.extend(result.info["episode_return"][idx].double().tolist())
        lengths.extend(result.info["episode_length"][idx].double().tolist())
        obs = result.obs
    policy.train(was_training)
    returns, lengths = returns[:episodes], lengths[:episodes]
    mean = sum(returns) / episodes
    metrics = {
        "eval/mean_return": mean,
        "eval/std_return": math.sqrt(sum((r - mean) ** 2 for r in returns) / episodes),
        "eval/mean_length": sum(lengths) / episodes,
    }
    return EvalOutcome(metrics=metrics, equity_curve=curve)

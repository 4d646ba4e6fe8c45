"""Data → split → env → algorithm wiring shared by the ``train`` and ``evaluate`` commands."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from pydantic import BaseModel, ConfigDict, Field

from trademaster.agents.base import Algorithm
from trademaster.agents.config import AGENT_CONFIGS
from trademaster.agents.registry import get_algorithm
from trademaster.data.features import zfeatures
from trademaster.data.loaders import load_ohlcv
from trademaster.data.panel import Panel
from trademaster.data.splits import Split, split_by_date
from trademaster.data.synthetic import sine_trend
from trademaster.envs.base import VecEnv
from trademaster.envs.config import AlgorithmicTradingEnvConfig
from trademaster.envs.factory import build_env
from trademaster.training.config import TrainingConfig
from trademaster.training.run_record import file_hash

_LOGGER = logging.getLogger(__name__)

SYNTHETIC = "synthetic"
SYNTHETIC_STEPS = 1_200
SUPPORTED_TASKS = ("algorithmic_trading",)
SPLIT_NAMES = ("train", "valid", "test")


class RunConfig(BaseModel):
    """Everything ``trademaster train`` needs; saved as ``config.json`` in the run dir."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task: str = Field("algorithmic_trading", description="Trading task (env family).")
    agent_name: str = Field("dqn", description="Algorithm registry name.")
    data: str = Field(SYNTHETIC, description="Data file, or 'synthetic' for generated prices.")
    train_fraction: float = Field(0.7, gt=0, lt=1, description="Share of dates for training.")
    valid_fraction: float = Field(0.15, gt=0, lt=1, description="Share of dates for validation.")
    agent: dict[str, Any] = Field(default_factory=dict, description="Agent config fields.")
    env: dict[str, Any] = Field(default_factory=dict, description="Env config fields.")
    training: dict[str, Any] = Field(default_factory=dict, description="TrainingConfig fields.")


@dataclass(frozen=True)
class Dataset:
    """A loaded frame, its chronological split and a content hash for the run record."""

    split: Split
    dataset_hash: str
    source: str


def load_dataset(data: str, *, train_fraction: float, valid_fraction: float) -> Dataset:
    """Load OHLCV data (or the synthetic sine-trend market), add z-features, split by date."""
    if data == SYNTHETIC:
        frame = sine_trend(SYNTHETIC_STEPS, seed=0, period=40, amplitude=0.1)
        digest = hashlib.sha256(
            pd.util.hash_pandas_object(frame, index=False).values.tobytes()
        ).hexdigest()
    else:
        path = Path(data)
        if not path.exists():
            raise FileNotFoundError(f"data file not found: {path}")
        frame = load_ohlcv(path)
        digest = file_hash(path)
    if frame["tic"].nunique() != 1:
        first = frame["tic"].iloc[0]
        _LOGGER.warning("data.multi_tic using only tic=%s of %d", first, frame["tic"].nunique())
        frame = frame[frame["tic"] == first].reset_index(drop=True)
    features = zfeatures(frame)
    frame = pd.concat([frame[["date", "tic", "open", "close"]], features], axis=1)
    frame = frame.dropna().reset_index(drop=True)
    dates = np.sort(frame["date"].unique())
    if train_fraction + valid_fraction >= 1:
        raise ValueError(
            f"train_fraction + valid_fraction must be < 1, was {train_fraction + valid_fraction}"
        )
    train_end = dates[int(len(dates) * train_fraction) - 1]
    valid_end = dates[int(len(dates) * (train_fraction + valid_fraction)) - 1]
    return Dataset(split_by_date(frame, train_end, valid_end), digest, data)


def split_panel(dataset: Dataset, split: str) -> Panel:
    """The ``split`` part as a Panel of open/close plus the z-feature fields."""
    if split not in SPLIT_NAMES:
        raise ValueError(f"split must be one of {SPLIT_NAMES}, was {split!r}")
    part: pd.DataFrame = getattr(dataset.split, split)
    fields = [c for c in part.columns if c not in ("date", "tic")]
    return Panel.from_long(part, fields)


def env_config(run: RunConfig, **overrides: Any) -> AlgorithmicTradingEnvConfig:
    """The task's env config with ``overrides`` (e.g. one env over the whole split for eval)."""
    if run.task not in SUPPORTED_TASKS:
        raise ValueError(f"task must be one of {SUPPORTED_TASKS}, was {run.task!r}")
    defaults: dict[str, Any] = {"num_envs": 8, "window": 10, "episode_length": 64}
    return AlgorithmicTradingEnvConfig(**{**defaults, **run.env, **overrides})


def make_env(
    run: RunConfig, dataset: Dataset, split: str, *, evaluation: bool, seed: int
) -> VecEnv:
    """Training env (vectorised, random episode starts) or eval env (one env, whole split)."""
    overrides: dict[str, Any] = {"num_envs": 1, "episode_length": None} if evaluation else {}
    return build_env(env_config(run, **overrides), split_panel(dataset, split), seed=seed)


def agent_config(run: RunConfig) -> BaseModel:
    """Validated agent hyperparameters for ``run.agent_name``."""
    config_cls = AGENT_CONFIGS.get(run.agent_name)
    if config_cls is None:
        raise ValueError(f"agent must be one of {sorted(AGENT_CONFIGS)}, was {run.agent_name!r}")
    return config_cls(**run.agent)


def training_config(run: RunConfig) -> TrainingConfig:
    return TrainingConfig(**run.training)


def make_algorithm(run: RunConfig, env: VecEnv, *, seed: int) -> Algorithm:
    cls = get_algorithm(run.agent_name)
    return cls(env, agent_config(run), seed=seed, device=torch.device("cpu"))

"""Torch-free training-loop settings, validated by services before a job is scheduled."""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_LOGGER = logging.getLogger(__name__)


class TrainingConfig(BaseModel):
    """How long to train, how often to log/evaluate/checkpoint, and when to stop early."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    total_steps: int = Field(100_000, ge=1, description="Env steps to train for (all envs).")
    seed: int = Field(0, ge=0, description="Seed of the algorithm, envs and global RNGs.")
    log_every_steps: int = Field(
        1_000, ge=1, description="Env steps between aggregated metric rows (metrics.jsonl)."
    )
    eval_every_steps: int | None = Field(
        None, ge=1, description="Env steps between evaluations; None disables evaluation."
    )
    eval_episodes: int = Field(1, ge=1, description="Episodes per evaluation.")
    checkpoint_every_steps: int | None = Field(
        None, ge=1, description="Env steps between periodic checkpoints; None = only at the end."
    )
    early_stopping_patience: int | None = Field(
        None, ge=1, description="Evaluations without improvement before stopping; None = never."
    )
    early_stopping_metric: str = Field(
        "eval/mean_return", min_length=1, description="Evaluation metric watched for stopping."
    )
    early_stopping_mode: Literal["max", "min"] = Field(
        "max", description="Whether larger or smaller values of the metric are better."
    )
    early_stopping_min_delta: float = Field(
        0.0, ge=0, description="Smallest change that counts as an improvement."
    )
    num_threads: int | None = Field(
        1, ge=1, le=256, description="torch.set_num_threads for the run; None leaves it alone."
    )
    deterministic: bool = Field(
        True, description="Use deterministic torch kernels (needed for bit-exact resume on GPU)."
    )

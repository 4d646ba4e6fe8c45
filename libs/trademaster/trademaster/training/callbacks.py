"""SB3-style training callbacks: observe progress, evaluations and checkpoints; stop training."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trademaster.training.trainer import Trainer, TrainingResult

_LOGGER = logging.getLogger(__name__)


class Callback:
    """Hooks called by :class:`Trainer`; override the ones you need.

    ``self.trainer`` is set before ``on_start``. Returning False from ``on_iteration`` stops
    training at that iteration boundary (status ``stopped``, a checkpoint is written).
    """

    trainer: Trainer

    def on_start(self) -> None:
        """Training (or a resumed run) begins."""

    def on_iteration(self, metrics: dict[str, float]) -> bool:
        """After each ``train_iteration``; return False to stop."""
        return True

    def on_log(self, row: dict[str, Any]) -> None:
        """An aggregated metrics row was emitted (every ``log_every_steps``)."""

    def on_eval(self, metrics: dict[str, float]) -> None:
        """An evaluation finished."""

    def on_checkpoint(self, path: Path) -> None:
        """A checkpoint was written to ``path``."""

    def on_end(self, result: TrainingResult) -> None:
        """The run ended with ``result.status``."""


class StopAtStep(Callback):
    """Stop once ``global_step`` reaches ``step`` (handy for tests and budgets)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_iteration(self, metrics: dict[str, float]) -> bool:
        return self.trainer.algorithm.global_step < self.step

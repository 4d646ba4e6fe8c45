"""Policy and Algorithm interfaces: what inference needs vs. what training needs."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from pydantic import BaseModel
from torch import Tensor, nn

if TYPE_CHECKING:
    from trademaster.envs.base import VecEnv

_LOGGER = logging.getLogger(__name__)


class Policy(nn.Module, ABC):
    """Maps observations to env actions: all that backtests and serving need."""

    @abstractmethod
    def act(self, obs: Tensor, *, deterministic: bool, action_mask: Tensor | None = None) -> Tensor:
        """Return actions for ``obs`` [N, *obs_shape].

        Discrete policies return int64 [N]; continuous ones float32 [N, *action_shape].
        ``action_mask`` [N, n] bool marks allowed discrete actions (True = allowed).
        """


class Algorithm(ABC):
    """Owns a policy plus everything needed to improve it (optimizers, buffers, RNG, counters).

    Subclasses draw all randomness from their own ``torch.Generator``/numpy ``Generator`` so that
    ``state_dict``/``load_state_dict`` give a bit-exact resume.
    """

    name: ClassVar[str]
    policy: Policy
    global_step: int

    @abstractmethod
    def __init__(
        self, env: VecEnv, config: BaseModel, *, seed: int, device: torch.device
    ) -> None: ...

    @abstractmethod
    def train_iteration(self) -> dict[str, float]:
        """Collect experience and update once; return namespaced metrics (``losses/td_loss``...)."""

    @abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """Everything for a bit-exact resume: models, optimizers, buffers, RNG, counters, env."""

    @abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (the env is restored too)."""


class EpisodeStats:
    """Accumulates finished-episode returns/lengths from ``StepResult.info`` between reports."""

    def __init__(self) -> None:
        self._returns: list[float] = []
        self._lengths: list[float] = []

    def record(self, info: dict[str, Tensor], done: Tensor) -> None:
        """Record episodes that ended this step (``done`` = terminated | truncated)."""
        if not bool(done.any()):
            return
        idx = done.nonzero(as_tuple=True)[0]
        self._returns.extend(info["episode_return"][idx].double().tolist())
        self._lengths.extend(info["episode_length"][idx].double().tolist())

    def record_values(self, returns: list[float], lengths: list[float]) -> None:
        """Record finished episodes given as plain numbers (the numpy hot path)."""
        self._returns.extend(returns)
        self._lengths.extend(lengths)

    def drain(self, metrics: dict[str, float]) -> None:
        """Add ``charts/episodic_*`` means to ``metrics`` if any episode finished, then reset."""
        if self._returns:
            metrics["charts/episodic_return"] = sum(self._returns) / len(self._returns)
            metrics["charts/episodic_length"] = sum(self._lengths) / len(self._lengths)
        self._returns.clear()
        self._lengths.clear()

    def state_dict(self) -> dict[str, Any]:
        return {"returns": list(self._returns), "lengths": list(self._lengths)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._returns = list(state["returns"])
        self._lengths = list(state["lengths"])

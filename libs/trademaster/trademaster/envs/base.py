"""Vectorized environment protocol shared by every task env, agent and trainer.

Envs are batched over ``num_envs`` on one torch device and auto-reset finished sub-envs inside
``step`` so agents can collect rollouts without Python loops over envs.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol

import numpy as np
import torch
from torch import Tensor

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActionSpec:
    """Action space: discrete (``n`` set, ``shape=()``) or continuous (``low/high/shape``)."""

    kind: Literal["discrete", "continuous"]
    n: int | None
    shape: tuple[int, ...]
    low: float | None
    high: float | None

    def __post_init__(self) -> None:
        if self.kind == "discrete":
            if self.n is None or self.n < 1 or self.shape != ():
                raise ValueError(
                    f"discrete ActionSpec needs n >= 1 and shape == (), was n={self.n}, "
                    f"shape={self.shape}"
                )
        elif self.kind == "continuous":
            if self.low is None or self.high is None or self.low > self.high:
                raise ValueError(
                    f"continuous ActionSpec needs low <= high, was low={self.low}, high={self.high}"
                )
        else:
            raise ValueError(f"kind must be 'discrete' or 'continuous', was {self.kind!r}")

    @classmethod
    def discrete(cls, n: int) -> ActionSpec:
        return cls(kind="discrete", n=n, shape=(), low=None, high=None)

    @classmethod
    def continuous(cls, shape: tuple[int, ...], low: float, high: float) -> ActionSpec:
        return cls(kind="continuous", n=None, shape=shape, low=low, high=high)


class StepResult(NamedTuple):
    """One vector step. ``obs`` is the next observation, already auto-reset where done.

    ``info`` holds per-env tensors: ``portfolio_value`` [N]; ``final_observation`` [N, *obs]
    (valid where done); ``episode_return``/``episode_length`` [N] (valid where done); optionally
    ``action_mask`` [N, n] bool for masked discrete envs.
    """

    obs: Tensor
    reward: Tensor
    terminated: Tensor
    truncated: Tensor
    info: dict[str, Tensor]


class ScalarEnv(Protocol):
    """One sub-env stepped on Python scalars: the gym adapter's fast path for ``num_envs == 1``.

    It must produce the same trajectories as its VecEnv for the same seed and actions. Its state
    lives in the scalar env while it runs: :meth:`push` copies it into the VecEnv (state_dict,
    properties), :meth:`pull` copies the VecEnv's state back in (after load_state_dict).
    """

    def reset(self, seed: int | None) -> np.ndarray:
        """Reset like ``VecEnv.reset``; returns the first observation."""

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, float]:
        """``(obs, reward, terminated, truncated, portfolio_value)``; ``obs`` is the final
        observation when the episode ended (the scalar env has already auto-reset)."""

    def observation(self) -> np.ndarray:
        """The current observation (after an auto-reset: the new episode's first one)."""

    def push(self) -> None:
        """Write the scalar state into the VecEnv."""

    def pull(self) -> None:
        """Read the scalar state from the VecEnv."""


class VecEnv(ABC):
    """Batched environment: ``num_envs`` independent sub-envs stepped together."""

    num_envs: int
    device: torch.device
    observation_shape: tuple[int, ...]
    action_spec: ActionSpec

    @abstractmethod
    def reset(self, *, seed: int | None = None) -> Tensor:
        """Reset every sub-env; ``seed`` reseeds the env's own generator."""

    @abstractmethod
    def step(self, actions: Tensor) -> StepResult:
        """Apply one action per sub-env; finished sub-envs are reset automatically."""

    @abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """Everything needed for a bit-exact resume, generator state included."""

    @abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state produced by :meth:`state_dict`."""

    def action_mask(self) -> Tensor | None:
        """Valid actions [N, n] bool, or None when every action is always valid."""
        return None

    def scalar_env(self) -> ScalarEnv | None:
        """A scalar fast path over this one-env VecEnv, or None where there is none."""
        return None


def resolve_device(device: str | torch.device) -> torch.device:
    """Map ``"auto"`` to CUDA when available, else CPU."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise ValueError(f"device must be 'cpu', 'cuda[:i]' or 'auto', was {device!r}")
    return torch.device(device)


def generator_for(device: torch.device, seed: int) -> torch.Generator:
    """A torch generator on ``device`` seeded with ``seed``."""
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    return gen

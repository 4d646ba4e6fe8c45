"""Episode bookkeeping shared by every env: length checks, random starts, shape-checked resume,
and :class:`EpisodicEnv` for the tensor envs' reset, step end and checkpoints."""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import torch
from torch import Tensor

from trademaster.envs.base import StepResult, VecEnv, generator_for

_LOGGER = logging.getLogger(__name__)


def resolve_episode_length(episode_length: int | None, max_length: int, *, source: str) -> int:
    """``episode_length`` checked against the ``max_length`` steps of ``source`` (None = all)."""
    length = max_length if episode_length is None else int(episode_length)
    if not 1 <= length <= max_length:
        raise ValueError(
            f"episode_length must be in [1, {max_length}] for this {source}, was {episode_length}"
        )
    return length


class EpisodeClock:
    """The env's generator and its uniform episode starts in ``[first_start, first_start +
    num_starts)``.

    Every restart draws one start per sub-env (finished or not) so the generator advances the
    same way whichever sub-envs finish; resumes are bit-exact through :meth:`state_dict`.
    """

    def __init__(
        self, num_envs: int, *, first_start: int, num_starts: int, device: torch.device, seed: int
    ) -> None:
        if num_starts < 1:
            raise ValueError(f"num_starts must be >= 1, was {num_starts}")
        self.num_envs = num_envs
        self.first_start = first_start
        self.num_starts = num_starts
        self.device = device
        self.generator = generator_for(device, seed)

    def reseed(self, seed: int | None) -> None:
        """Reseed the generator; ``None`` keeps its current state."""
        if seed is not None:
            self.generator.manual_seed(seed)

    def draw_starts(self) -> Tensor:
        """One start bar per sub-env, [num_envs] long."""
        offsets = torch.randint(
            0, self.num_starts, (self.num_envs,), generator=self.generator, device=self.device
        )
        return offsets + self.first_start

    def state_dict(self) -> dict[str, Any]:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.generator.set_state(state["generator"])


def load_env_tensors(state: Mapping[str, Any], current: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Copies of ``state[key]`` with the dtype, device and shape of ``current[key]``.

    Raises:
        KeyError: a key of ``current`` is missing from ``state``.
        ValueError: a tensor has the wrong shape.
    """
    loaded = {}
    for key, like in current.items():
        value = torch.as_tensor(state[key]).to(device=like.device, dtype=like.dtype).clone()
        if value.shape != like.shape:
            raise ValueError(
                f"state[{key!r}] must have shape {tuple(like.shape)}, had {tuple(value.shape)}"
            )
        loaded[key] = value
    return loaded


class EpisodicEnv(VecEnv):
    """A VecEnv whose per-sub-env state is the ``_<key>`` tensors named in ``_STATE_KEYS``, with
    episode starts from ``_clock``: reset, the end of a step and checkpoints in one place."""

    _STATE_KEYS: ClassVar[tuple[str, ...]]
    """Names (without the leading underscore) of the per-sub-env tensors a checkpoint holds;
    they include ``elapsed`` and ``episode_return``."""
    num_envs: int
    device: torch.device
    _clock: EpisodeClock
    _elapsed: Tensor
    _episode_return: Tensor

    @abstractmethod
    def _reset_envs(self, mask: Tensor) -> None:
        """Start a new episode in the sub-envs where ``mask`` [N] is True."""

    @abstractmethod
    def _observe(self) -> Tensor:
        """Observations of the current state, [N, *observation_shape]."""

    def reset(self, *, seed: int | None = None) -> Tensor:
        self._clock.reseed(seed)
        self._reset_envs(torch.ones(self.num_envs, dtype=torch.bool, device=self.device))
        return self._observe()

    def _finish_step(
        self, reward: Tensor, terminated: Tensor, truncated: Tensor, info: dict[str, Tensor]
    ) -> StepResult:
        """Observe, add the episode entries to ``info`` and restart the finished sub-envs, whose
        returned observation is then the new episode's first (the last is in
        ``info["final_observation"]``)."""
        obs = self._observe()
        info["final_observation"] = obs
        info["episode_return"] = self._episode_return
        info["episode_length"] = self._elapsed
        done = terminated | truncated
        if bool(done.any()):
            self._reset_envs(done)
            mask = done.view(-1, *([1] * (obs.dim() - 1)))
            obs = torch.where(mask, self._observe(), obs)
        return StepResult(obs, reward, terminated, truncated, info)

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {k: getattr(self, f"_{k}").clone() for k in self._STATE_KEYS}
        state.update(self._clock.state_dict())
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        current = {k: getattr(self, f"_{k}") for k in self._STATE_KEYS}
        for key, value in load_env_tensors(state, current).items():
            setattr(self, f"_{key}", value)
        self._clock.load_state_dict(state)

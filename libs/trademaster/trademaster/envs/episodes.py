"""Episode bookkeeping shared by every env: length checks, random starts, shape-checked resume."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from trademaster.envs.base import generator_for

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

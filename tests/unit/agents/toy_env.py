"""A tiny learnable VecEnv: returns alternate in sign, so "bet against the last move" wins."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from trademaster.envs.base import ActionSpec, StepResult, VecEnv


class AlternatingPriceEnv(VecEnv):
    """Obs = last ``window`` returns (x100); reward = position x next return (x100).

    Discrete actions {0: short, 1: flat, 2: long}; continuous actions are the position in [-1, 1].
    Do-nothing earns exactly 0; the optimal policy earns ``episode_length`` x 1.0.
    """

    def __init__(
        self,
        num_envs: int = 4,
        *,
        continuous: bool = False,
        episode_length: int = 16,
        window: int = 2,
        series_length: int = 256,
        masked: bool = False,
    ) -> None:
        self.num_envs = num_envs
        self.device = torch.device("cpu")
        self.window = window
        self.episode_length = episode_length
        self.observation_shape = (window,)
        self.action_spec = (
            ActionSpec.continuous((1,), -1.0, 1.0) if continuous else ActionSpec.discrete(3)
        )
        self.masked = masked
        t = torch.arange(series_length)
        self.returns = torch.where(t % 2 == 0, 0.01, -0.01).float()
        self.generator = torch.Generator().manual_seed(0)
        self.start = torch.zeros(num_envs, dtype=torch.int64)
        self.t = torch.zeros(num_envs, dtype=torch.int64)
        self.ep_return = torch.zeros(num_envs)

    def _obs(self) -> Tensor:
        idx = (self.start + self.t).unsqueeze(1) - torch.arange(self.window, 0, -1)
        return self.returns[idx] * 100.0

    def _new_starts(self, n: int) -> Tensor:
        high = len(self.returns) - self.episode_length - 1
        return torch.randint(self.window, high, (n,), generator=self.generator)

    def reset(self, *, seed: int | None = None) -> Tensor:
        if seed is not None:
            self.generator.manual_seed(seed)
        self.start = self._new_starts(self.num_envs)
        self.t.zero_()
        self.ep_return.zero_()
        return self._obs()

    def action_mask(self) -> Tensor | None:
        if not self.masked:
            return None
        mask = torch.ones(self.num_envs, 3, dtype=torch.bool)
        mask[:, 0] = False  # shorting forbidden
        return mask

    def step(self, actions: Tensor) -> StepResult:
        if self.action_spec.kind == "discrete":
            position = actions.float() - 1.0
        else:
            position = actions.reshape(self.num_envs).clamp(-1.0, 1.0)
        reward = position * self.returns[self.start + self.t] * 100.0
        self.t += 1
        self.ep_return += reward
        truncated = self.t >= self.episode_length
        terminated = torch.zeros_like(truncated)
        info: dict[str, Tensor] = {
            "portfolio_value": 1.0 + self.ep_return / 100.0,
            "final_observation": self._obs(),
            "episode_return": self.ep_return.clone(),
            "episode_length": self.t.float(),
        }
        if bool(truncated.any()):
            idx = truncated.nonzero(as_tuple=True)[0]
            self.start[idx] = self._new_starts(len(idx))
            self.t[idx] = 0
            self.ep_return[idx] = 0.0
        mask = self.action_mask()
        if mask is not None:
            info["action_mask"] = mask
        return StepResult(self._obs(), reward, terminated, truncated, info)

    def state_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator.get_state(),
            "start": self.start.clone(),
            "t": self.t.clone(),
            "ep_return": self.ep_return.clone(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
        self.start = state["start"].clone()
        self.t = state["t"].clone()
        self.ep_return = state["ep_return"].clone()

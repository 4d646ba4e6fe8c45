"""Gymnasium view of a single sub-env, for tools that expect ``gymnasium.Env``.

The wrapped VecEnv must have ``num_envs == 1``. On the step that ends an episode the adapter
returns the episode's final observation (the VecEnv has already auto-reset internally); the
next ``reset()`` starts a fresh episode.
"""

from __future__ import annotations

import logging
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from trademaster.envs.base import VecEnv

_LOGGER = logging.getLogger(__name__)


class GymEnv(gym.Env):
    """``gymnasium.Env`` over a one-env VecEnv; obs are float32 numpy arrays."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, env: VecEnv) -> None:
        if env.num_envs != 1:
            raise ValueError(f"GymEnv needs a VecEnv with num_envs == 1, had {env.num_envs}")
        self.env = env
        self.observation_space = gym.spaces.Box(
            -np.inf, np.inf, shape=env.observation_shape, dtype=np.float32
        )
        spec = env.action_spec
        if spec.kind == "discrete":
            self.action_space: gym.Space[Any] = gym.spaces.Discrete(int(spec.n or 0))
        else:
            self.action_space = gym.spaces.Box(
                np.float32(spec.low), np.float32(spec.high), shape=spec.shape, dtype=np.float32
            )
        self._discrete = spec.kind == "discrete"

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        obs = self.env.reset(seed=seed)
        return obs[0].cpu().numpy(), self._mask_info()

    def _mask_info(self) -> dict[str, Any]:
        mask = self.env.action_mask()
        return {} if mask is None else {"action_mask": mask[0].cpu().numpy()}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._discrete:
            batch = torch.tensor([int(action)], dtype=torch.long)
        else:
            batch = torch.as_tensor(np.asarray(action, dtype=np.float64)).unsqueeze(0)
        result = self.env.step(batch)
        terminated, truncated = bool(result.terminated[0]), bool(result.truncated[0])
        obs = result.info["final_observation"] if terminated or truncated else result.obs
        info: dict[str, Any] = {"portfolio_value": float(result.info["portfolio_value"][0])}
        info.update(self._mask_info())
        return obs[0].cpu().numpy(), float(result.reward[0]), terminated, truncated, info

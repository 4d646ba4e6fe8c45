"""Gymnasium view of a single sub-env, for tools that expect ``gymnasium.Env``.

The wrapped VecEnv must have ``num_envs == 1``. On the step that ends an episode the adapter
returns the episode's final observation (the VecEnv has already auto-reset internally); the
next ``reset()`` starts a fresh episode.

Where the VecEnv offers a scalar fast path (:meth:`VecEnv.scalar_env`) the adapter steps that
instead of the tensors; reading :attr:`GymEnv.env` brings the VecEnv up to date first, and the
next step picks up whatever was done to it (e.g. ``load_state_dict``).
"""

from __future__ import annotations

import logging
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from trademaster.envs.base import ScalarEnv, VecEnv

_LOGGER = logging.getLogger(__name__)


class GymEnv(gym.Env):
    """``gymnasium.Env`` over a one-env VecEnv; obs are float32 numpy arrays."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, env: VecEnv) -> None:
        if env.num_envs != 1:
            raise ValueError(f"GymEnv needs a VecEnv with num_envs == 1, had {env.num_envs}")
        self._env = env
        self._scalar = env.scalar_env()
        self._scalar_stale = False
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

    @property
    def env(self) -> VecEnv:
        """The wrapped VecEnv, with the scalar fast path's state written into it."""
        if self._scalar is not None:
            self._scalar.push()
            self._scalar_stale = True
        return self._env

    def _scalar_env(self) -> ScalarEnv | None:
        scalar = self._scalar
        if scalar is not None and self._scalar_stale:
            scalar.pull()
            self._scalar_stale = False
        return scalar

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        scalar = self._scalar_env()
        if scalar is not None:
            return scalar.reset(seed), {}
        obs = self._env.reset(seed=seed)
        return obs[0].cpu().numpy(), self._mask_info()

    def _mask_info(self) -> dict[str, Any]:
        mask = self._env.action_mask()
        return {} if mask is None else {"action_mask": mask[0].cpu().numpy()}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        scalar = self._scalar
        if scalar is not None:
            if self._scalar_stale:
                scalar.pull()
                self._scalar_stale = False
            row, reward, terminated, truncated, value = scalar.step(action)
            return row, reward, terminated, truncated, {"portfolio_value": value}
        if self._discrete:
            batch = torch.tensor([int(action)], dtype=torch.long)
        else:
            batch = torch.as_tensor(np.asarray(action, dtype=np.float64)).unsqueeze(0)
        result = self._env.step(batch)
        terminated, truncated = bool(result.terminated[0]), bool(result.truncated[0])
        obs = result.info["final_observation"] if terminated or truncated else result.obs
        info: dict[str, Any] = {"portfolio_value": float(result.info["portfolio_value"][0])}
        info.update(self._mask_info())
        return obs[0].cpu().numpy(), float(result.reward[0]), terminated, truncated, info

"""The CPU hot path of the training loops: acting and env stepping on numpy, not torch.

Why: with one or a few envs a training loop spends most of its time in per-call overhead, not
arithmetic. A torch op on a [1, 64] tensor costs ~5-25 µs of dispatch; the same numpy op costs
~1 µs, and a Python-scalar env step (:meth:`VecEnv.scalar_env`) ~2 µs against ~40 tensor ops.
So on CPU the agents act through :class:`~trademaster.agents.numpy_grad.NumpyMLP` (numpy views
of the torch parameters) and step through :class:`NumpyEnvDriver`. On other devices the agents
keep their all-torch loops.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from torch import Tensor

from trademaster.envs.base import ScalarEnv, VecEnv

_LOGGER = logging.getLogger(__name__)


def _as_numpy(x: Tensor | np.ndarray) -> np.ndarray:
    if isinstance(x, np.ndarray):
        return x
    return x.detach().cpu().numpy()


def set_num_threads(n: int) -> None:
    """``torch.set_num_threads(n)`` and the same limit for numpy's BLAS, which the CPU path
    multiplies with: left at its default, OpenBLAS spins one thread per core on large batches,
    which on a loaded machine made a 4096-row backward pass ~20x slower."""
    torch.set_num_threads(n)
    threadpool_limits(limits=n)


def masked_argmax_np(values: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """Argmax over the last axis restricted to allowed actions (mask True = allowed)."""
    if mask is not None:
        values = np.where(mask, values, -np.inf)
    return values.argmax(axis=-1)


def rng_state(rng: np.random.Generator) -> dict[str, Any]:
    return dict(rng.bit_generator.state)


def set_rng_state(rng: np.random.Generator, state: dict[str, Any]) -> None:
    rng.bit_generator.state = state


@dataclass
class NumpyStep:
    """One vector step on numpy. ``next_obs`` is the pre-reset final observation where done
    (what replay stores); ``obs`` is already reset. ``episode_*`` are for the done envs."""

    obs: np.ndarray
    next_obs: np.ndarray
    reward: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    done: np.ndarray
    mask: np.ndarray | None
    episode_returns: list[float]
    episode_lengths: list[float]


class NumpyEnvDriver:
    """Steps a VecEnv with numpy actions and returns numpy results.

    With one env, no action mask and a scalar fast path, the scalar env does the stepping and
    the driver keeps the episode return/length itself (float32 sums, as the VecEnv keeps them).
    ``state_dict`` writes the scalar state back into the VecEnv first, so checkpoints are the
    VecEnv's own and resume on either path.
    """

    def __init__(self, env: VecEnv, *, seed: int) -> None:
        self.env = env
        self.num_envs = env.num_envs
        self.obs = _as_numpy(env.reset(seed=seed)).copy()
        mask = env.action_mask()
        self.mask = None if mask is None else _as_numpy(mask).copy()
        self._scalar: ScalarEnv | None = env.scalar_env() if mask is None else None
        self._ep_return = np.float32(0.0)
        self._ep_length = 0

    @property
    def scalar(self) -> bool:
        return self._scalar is not None

    def step(self, actions: np.ndarray) -> NumpyStep:
        if self._scalar is not None:
            return self._scalar_step(self._scalar, actions)
        result = self.env.step(torch.from_numpy(np.ascontiguousarray(actions)))
        obs = _as_numpy(result.obs)
        terminated = _as_numpy(result.terminated).astype(bool, copy=False)
        truncated = _as_numpy(result.truncated).astype(bool, copy=False)
        done = terminated | truncated
        next_obs = obs
        returns: list[float] = []
        lengths: list[float] = []
        if done.any():
            final = _as_numpy(result.info["final_observation"])
            next_obs = np.where(done.reshape(-1, *[1] * (final.ndim - 1)), final, obs)
            idx = np.flatnonzero(done)
            returns = _as_numpy(result.info["episode_return"])[idx].astype(np.float64).tolist()
            lengths = _as_numpy(result.info["episode_length"])[idx].astype(np.float64).tolist()
        mask = result.info.get("action_mask")
        if mask is None:
            mask = self.env.action_mask()
        self.mask = None if mask is None else _as_numpy(mask)
        self.obs = obs
        reward = _as_numpy(result.reward).astype(np.float32, copy=False)
        return NumpyStep(
            obs, next_obs, reward, terminated, truncated, done, self.mask, returns, lengths
        )

    def _scalar_step(self, scalar: ScalarEnv, actions: np.ndarray) -> NumpyStep:
        row, reward, terminated, truncated, _value = scalar.step(actions.item())
        reward32 = np.float32(reward)
        self._ep_return = np.float32(self._ep_return + reward32)
        self._ep_length += 1
        final = row[None]
        returns: list[float] = []
        lengths: list[float] = []
        if terminated or truncated:
            returns, lengths = [float(self._ep_return)], [float(self._ep_length)]
            self._ep_return, self._ep_length = np.float32(0.0), 0
            obs = scalar.observation()[None]
        else:
            obs = final
        self.obs = obs
        term = np.array([terminated])
        trunc = np.array([truncated])
        return NumpyStep(
            obs, final, np.array([reward32]), term, trunc, term | trunc, None, returns, lengths
        )

    def state_dict(self) -> dict[str, Any]:
        if self._scalar is not None:
            self._scalar.push()
        return {
            "env": self.env.state_dict(),
            "obs": torch.from_numpy(self.obs.copy()),
            "mask": None if self.mask is None else torch.from_numpy(self.mask.copy()),
            "ep_return": float(self._ep_return),
            "ep_length": self._ep_length,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.env.load_state_dict(state["env"])
        if self._scalar is not None:
            self._scalar.pull()
        self.obs = _as_numpy(state["obs"]).copy()
        self.mask = None if state["mask"] is None else _as_numpy(state["mask"]).copy()
        self._ep_return = np.float32(state["ep_return"])
        self._ep_length = int(state["ep_length"])

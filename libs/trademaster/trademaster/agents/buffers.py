"""Replay and rollout storage on torch tensors (state_dict-able for exact resume)."""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor

_LOGGER = logging.getLogger(__name__)


class ReplayBatch(NamedTuple):
    """Sampled transitions with n-step returns; ``discount`` is gamma^k, 0 where terminal.

    ``labels`` are the per-transition integer labels of a labelled buffer (e.g. a teacher's
    action for ``obs``), else None."""

    obs: Tensor
    actions: Tensor
    returns: Tensor
    next_obs: Tensor
    discount: Tensor
    next_action_mask: Tensor | None
    labels: Tensor | None = None


class ReplayBuffer:
    """Uniform replay over a [T, num_envs] ring of one-step transitions.

    Keeping each env's transitions in time order lets n-step returns be assembled at sample
    time, stopping at episode ends and at the newest stored step. On CPU the storage is also
    viewed as numpy arrays and written and read through them (a numpy row write is ~0.2 µs,
    a torch one ~3 µs); sampled batches are zero-copy tensors.
    """

    _FIELDS = ("obs", "next_obs", "actions", "rewards", "terminated", "ended")

    def __init__(
        self,
        capacity: int,
        num_envs: int,
        obs_shape: tuple[int, ...],
        *,
        n_actions_mask: int | None = None,
        labelled: bool = False,
        device: torch.device,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, was {capacity}")
        self.num_envs = num_envs
        self.length = max(2, -(-capacity // num_envs))
        self.device = device
        t, n = self.length, num_envs
        self.obs = torch.zeros((t, n, *obs_shape), dtype=torch.float32, device=device)
        self.next_obs = torch.zeros_like(self.obs)
        self.actions = torch.zeros((t, n), dtype=torch.int64, device=device)
        self.rewards = torch.zeros((t, n), dtype=torch.float32, device=device)
        self.terminated = torch.zeros((t, n), dtype=torch.bool, device=device)
        self.ended = torch.zeros((t, n), dtype=torch.bool, device=device)
        self.next_mask = (
            torch.ones((t, n, n_actions_mask), dtype=torch.bool, device=device)
            if n_actions_mask is not None
            else None
        )
        self.labels = torch.zeros((t, n), dtype=torch.int64, device=device) if labelled else None
        self._numpy = device.type == "cpu"
        names = self._FIELDS + (("next_mask",) if self.next_mask is not None else ())
        names += ("labels",) if self.labels is not None else ()
        # On CPU: numpy views sharing the tensors' memory; elsewhere the tensors themselves.
        self._store: dict[str, Any] = {
            name: getattr(self, name).numpy() if self._numpy else getattr(self, name)
            for name in names
        }
        self.pos = 0
        self.full = False

    def __len__(self) -> int:
        return (self.length if self.full else self.pos) * self.num_envs

    def add(
        self,
        obs: Tensor | np.ndarray,
        actions: Tensor | np.ndarray,
        rewards: Tensor | np.ndarray,
        next_obs: Tensor | np.ndarray,
        terminated: Tensor | np.ndarray,
        truncated: Tensor | np.ndarray,
        next_action_mask: Tensor | np.ndarray | None = None,
        labels: Tensor | np.ndarray | None = None,
    ) -> None:
        """Store one vector step; ``next_obs`` must be the pre-reset final observation;
        ``labels`` is required by (only) a labelled buffer."""
        p, store = self.pos, self._store
        store["obs"][p] = obs
        store["next_obs"][p] = next_obs
        store["actions"][p] = actions
        store["rewards"][p] = rewards
        store["terminated"][p] = terminated
        store["ended"][p] = terminated | truncated
        if self.next_mask is not None and next_action_mask is not None:
            store["next_mask"][p] = next_action_mask
        if self.labels is not None:
            if labels is None:
                raise ValueError("a labelled replay buffer needs labels for every step")
            store["labels"][p] = labels
        self.pos = (p + 1) % self.length
        self.full = self.full or self.pos == 0

    def sample(
        self, batch_size: int, *, gamma: float, n_step: int, rng: np.random.Generator
    ) -> ReplayBatch:
        """Uniformly sample ``batch_size`` transitions with up-to-``n_step`` discounted returns."""
        stored = self.length if self.full else self.pos
        if stored == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        flat = rng.integers(0, stored * self.num_envs, batch_size)
        t0: Any = flat // self.num_envs
        env: Any = flat % self.num_envs
        if not self._numpy:
            t0, env = torch.from_numpy(t0).to(self.device), torch.from_numpy(env).to(self.device)
        where: Any = np.where if self._numpy else torch.where
        store = self._store
        rewards, ended = store["rewards"], store["ended"]
        returns = rewards[t0, env]
        last_t = t0
        alive = ~ended[t0, env]
        discount = returns * 0.0 + gamma
        for k in range(1, n_step):
            t = (t0 + k) % self.length
            alive = alive & (t != self.pos)
            if not bool(alive.any()):
                break
            returns = where(alive, returns + discount * rewards[t, env], returns)
            discount = where(alive, discount * gamma, discount)
            last_t = where(alive, t, last_t)
            alive = alive & ~ended[t, env]
        discount = where(store["terminated"][last_t, env], 0.0, discount)
        mask = None if self.next_mask is None else store["next_mask"][last_t, env]
        batch: tuple[Any, ...] = (
            store["obs"][t0, env],
            store["actions"][t0, env],
            returns,
            store["next_obs"][last_t, env],
            discount,
            mask,
            None if self.labels is None else store["labels"][t0, env],
        )
        if self._numpy:
            batch = tuple(None if x is None else torch.from_numpy(x) for x in batch)
        return ReplayBatch(*batch)

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {name: getattr(self, name) for name in self._FIELDS}
        state.update(pos=self.pos, full=self.full)
        if self.next_mask is not None:
            state["next_mask"] = self.next_mask
        if self.labels is not None:
            state["labels"] = self.labels
        return {k: v.clone() if isinstance(v, Tensor) else v for k, v in state.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key in self._FIELDS:
            getattr(self, key).copy_(state[key])
        if self.next_mask is not None:
            self.next_mask.copy_(state["next_mask"])
        if self.labels is not None:
            self.labels.copy_(state["labels"])
        self.pos = int(state["pos"])
        self.full = bool(state["full"])


class RolloutBuffer:
    """Fixed-length on-policy rollout [num_steps, num_envs] with GAE.

    ``arrays`` maps field name to the storage to write: numpy views of the tensors on CPU (the
    rollout loop's row writes and GAE's per-step arithmetic are ~10x cheaper in numpy), the
    tensors themselves elsewhere.
    """

    def __init__(
        self,
        num_steps: int,
        num_envs: int,
        obs_shape: tuple[int, ...],
        raw_action_shape: tuple[int, ...],
        *,
        discrete: bool,
        n_actions_mask: int | None,
        device: torch.device,
    ) -> None:
        s, n = num_steps, num_envs
        self.obs = torch.zeros((s, n, *obs_shape), device=device)
        self.actions = torch.zeros(
            (s, n, *raw_action_shape),
            dtype=torch.int64 if discrete else torch.float32,
            device=device,
        )
        self.log_probs = torch.zeros((s, n), device=device)
        self.rewards = torch.zeros((s, n), device=device)
        self.dones = torch.zeros((s, n), device=device)
        self.values = torch.zeros((s, n), device=device)
        self.masks = (
            torch.ones((s, n, n_actions_mask), dtype=torch.bool, device=device)
            if n_actions_mask is not None
            else None
        )
        self.advantages = torch.zeros((s, n), device=device)
        self.returns = torch.zeros((s, n), device=device)
        names = ["obs", "actions", "log_probs", "rewards", "dones", "values"]
        names += ["advantages", "returns"] + (["masks"] if self.masks is not None else [])
        cpu = device.type == "cpu"
        self.arrays: dict[str, Any] = {
            name: getattr(self, name).numpy() if cpu else getattr(self, name) for name in names
        }

    def compute_gae(
        self,
        last_value: Tensor | np.ndarray,
        last_done: Tensor | np.ndarray,
        *,
        gamma: float,
        gae_lambda: float,
    ) -> None:
        """Generalised advantage estimation; ``dones[t]`` marks that obs[t] starts a new episode.

        ``last_value``/``last_done`` are numpy arrays on CPU and tensors elsewhere (as
        ``arrays``); the arithmetic is the same for both.
        """
        a = self.arrays
        rewards, values, dones, advantages = a["rewards"], a["values"], a["dones"], a["advantages"]
        num_steps = rewards.shape[0]
        last_gae = last_value * 0.0
        for t in reversed(range(num_steps)):
            if t == num_steps - 1:
                next_nonterminal, next_value = 1.0 - last_done, last_value
            else:
                next_nonterminal, next_value = 1.0 - dones[t + 1], values[t + 1]
            delta = rewards[t] + gamma * next_value * next_nonterminal - values[t]
            last_gae = delta + gamma * gae_lambda * next_nonterminal * last_gae
            advantages[t] = last_gae
        a["returns"][...] = advantages + values

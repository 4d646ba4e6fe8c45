"""Replay and rollout storage on torch tensors (state_dict-able for exact resume)."""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

import torch
from torch import Tensor

_LOGGER = logging.getLogger(__name__)


class ReplayBatch(NamedTuple):
    """Sampled transitions with n-step returns; ``discount`` is gamma^k, 0 where terminal."""

    obs: Tensor
    actions: Tensor
    returns: Tensor
    next_obs: Tensor
    discount: Tensor
    next_action_mask: Tensor | None


class ReplayBuffer:
    """Uniform replay over a [T, num_envs] ring of one-step transitions.

    Keeping each env's transitions in time order lets n-step returns be assembled at sample
    time, stopping at episode ends and at the newest stored step.
    """

    def __init__(
        self,
        capacity: int,
        num_envs: int,
        obs_shape: tuple[int, ...],
        *,
        n_actions_mask: int | None = None,
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
        self.pos = 0
        self.full = False

    def __len__(self) -> int:
        return (self.length if self.full else self.pos) * self.num_envs

    def add(
        self,
        obs: Tensor,
        actions: Tensor,
        rewards: Tensor,
        next_obs: Tensor,
        terminated: Tensor,
        truncated: Tensor,
        next_action_mask: Tensor | None = None,
    ) -> None:
        """Store one vector step; ``next_obs`` must be the pre-reset final observation."""
        p = self.pos
        self.obs[p] = obs
        self.next_obs[p] = next_obs
        self.actions[p] = actions
        self.rewards[p] = rewards
        self.terminated[p] = terminated
        self.ended[p] = terminated | truncated
        if self.next_mask is not None and next_action_mask is not None:
            self.next_mask[p] = next_action_mask
        self.pos = (p + 1) % self.length
        self.full = self.full or self.pos == 0

    def sample(
        self, batch_size: int, *, gamma: float, n_step: int, generator: torch.Generator
    ) -> ReplayBatch:
        """Uniformly sample ``batch_size`` transitions with up-to-``n_step`` discounted returns."""
        stored = self.length if self.full else self.pos
        if stored == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        flat = torch.randint(
            0, stored * self.num_envs, (batch_size,), generator=generator, device=generator.device
        ).to(self.device)
        t0, env = flat // self.num_envs, flat % self.num_envs
        returns = self.rewards[t0, env].clone()
        last_t = t0
        alive = ~self.ended[t0, env]
        discount = torch.full_like(returns, gamma)
        for k in range(1, n_step):
            t = (t0 + k) % self.length
            alive = alive & (t != self.pos)
            if not bool(alive.any()):
                break
            returns = torch.where(alive, returns + discount * self.rewards[t, env], returns)
            discount = torch.where(alive, discount * gamma, discount)
            last_t = torch.where(alive, t, last_t)
            alive = alive & ~self.ended[t, env]
        discount = discount * (~self.terminated[last_t, env]).float()
        return ReplayBatch(
            obs=self.obs[t0, env],
            actions=self.actions[t0, env],
            returns=returns,
            next_obs=self.next_obs[last_t, env],
            discount=discount,
            next_action_mask=None if self.next_mask is None else self.next_mask[last_t, env],
        )

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "obs": self.obs,
            "next_obs": self.next_obs,
            "actions": self.actions,
            "rewards": self.rewards,
            "terminated": self.terminated,
            "ended": self.ended,
            "pos": self.pos,
            "full": self.full,
        }
        if self.next_mask is not None:
            state["next_mask"] = self.next_mask
        return {k: v.clone() if isinstance(v, Tensor) else v for k, v in state.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key in ("obs", "next_obs", "actions", "rewards", "terminated", "ended"):
            getattr(self, key).copy_(state[key])
        if self.next_mask is not None:
            self.next_mask.copy_(state["next_mask"])
        self.pos = int(state["pos"])
        self.full = bool(state["full"])


class RolloutBuffer:
    """Fixed-length on-policy rollout [num_steps, num_envs] with GAE."""

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

    def compute_gae(
        self, last_value: Tensor, last_done: Tensor, *, gamma: float, gae_lambda: float
    ) -> None:
        """Generalised advantage estimation; ``dones[t]`` marks that obs[t] starts a new episode."""
        num_steps = self.rewards.shape[0]
        last_gae = torch.zeros_like(last_value)
        for t in reversed(range(num_steps)):
            if t == num_steps - 1:
                next_nonterminal, next_value = 1.0 - last_done, last_value
            else:
                next_nonterminal, next_value = 1.0 - self.dones[t + 1], self.values[t + 1]
            delta = self.rewards[t] + gamma * next_value * next_nonterminal - self.values[t]
            last_gae = delta + gamma * gae_lambda * next_nonterminal * last_gae
            self.advantages[t] = last_gae
        self.returns = self.advantages + self.values

"""Soft Actor-Critic (Haarnoja et al. 2018) for continuous-action VecEnvs, CleanRL-style.

Twin Q critics with Polyak-averaged targets, a tanh-squashed Gaussian actor whose actions lie in
the env's action box ``[low, high]``, and automatic entropy tuning. For portfolio management the
policy emits a logit per [cash, assets] and the env (``action_is_logits=True``) applies the
softmax, so the agent needs no simplex-specific code. Truncated episodes bootstrap from
``info["final_observation"]``; only ``terminated`` cuts the TD target.

Also holds the pieces TD3 shares: :class:`TwinCriticAlgorithm`, :class:`TransitionBuffer`,
:func:`build_mlp`, :class:`QNetwork`, :func:`polyak_update`.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from abc import abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from trademaster.agents.base import Algorithm, EpisodeStats, Policy
from trademaster.agents.config import DDPGConfig, SACConfig, TD3Config

if TYPE_CHECKING:
    from trademaster.envs.base import ActionSpec, VecEnv

_LOGGER = logging.getLogger(__name__)

_LOG_STD_MIN = -5.0
_LOG_STD_MAX = 2.0
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def build_mlp(in_dim: int, hidden_sizes: tuple[int, ...], out_dim: int) -> nn.Sequential:
    """A ReLU MLP ``in_dim -> hidden... -> out_dim``."""
    layers: list[nn.Module] = []
    last = in_dim
    for width in hidden_sizes:
        layers += [nn.Linear(last, width), nn.ReLU()]
        last = width
    layers.append(nn.Linear(last, out_dim))
    return nn.Sequential(*layers)


def polyak_update(source: nn.Module, target: nn.Module, tau: float) -> None:
    """``target <- tau * source + (1 - tau) * target``, in place."""
    with torch.no_grad():
        for src, tgt in zip(source.parameters(), target.parameters(), strict=True):
            tgt.lerp_(src, tau)


def continuous_box(
    spec: ActionSpec, algorithm: str, logit_limit: float
) -> tuple[tuple[int, ...], float, float]:
    """Shape, low and high of a continuous action spec; unbounded sides become ``±logit_limit``.

    Portfolio envs with ``action_is_logits`` declare an unbounded box: any logit is valid, and a
    bounded range keeps the tanh squashing and the exploration noise meaningful.
    """
    if spec.kind != "continuous" or spec.low is None or spec.high is None:
        raise ValueError(f"{algorithm} needs a continuous action space, was {spec.kind!r}")
    low = float(spec.low) if math.isfinite(spec.low) else -logit_limit
    high = float(spec.high) if math.isfinite(spec.high) else logit_limit
    if not low < high:
        raise ValueError(f"{algorithm} needs low < high, was low={low}, high={high}")
    return spec.shape, low, high


class QNetwork(nn.Module):
    """Q(s, a) as an MLP over the flattened observation concatenated with the action."""

    def __init__(self, obs_dim: int, act_dim: int, hidden_sizes: tuple[int, ...]) -> None:
        super().__init__()
        self.net = build_mlp(obs_dim + act_dim, hidden_sizes, 1)

    def forward(self, obs: Tensor, actions: Tensor) -> Tensor:
        return self.net(torch.cat([obs.flatten(1), actions.flatten(1)], dim=1)).squeeze(-1)


class Batch(NamedTuple):
    obs: Tensor
    actions: Tensor
    rewards: Tensor
    next_obs: Tensor
    terminated: Tensor


class TransitionBuffer:
    """Uniform replay of (s, a, r, s', terminated) on torch tensors with its own generator."""

    def __init__(
        self,
        capacity: int,
        obs_shape: tuple[int, ...],
        action_shape: tuple[int, ...],
        *,
        device: torch.device,
        seed: int,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, was {capacity}")
        self.capacity = capacity
        self.device = device
        self.obs = torch.zeros((capacity, *obs_shape), dtype=torch.float32, device=device)
        self.next_obs = torch.zeros_like(self.obs)
        self.actions = torch.zeros((capacity, *action_shape), dtype=torch.float32, device=device)
        self.rewards = torch.zeros(capacity, dtype=torch.float32, device=device)
        self.terminated = torch.zeros(capacity, dtype=torch.float32, device=device)
        self.pos = 0
        self.size = 0
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(seed)

    def add(
        self, obs: Tensor, actions: Tensor, rewards: Tensor, next_obs: Tensor, terminated: Tensor
    ) -> None:
        """Append a batch of N transitions (one per sub-env), overwriting the oldest."""
        n = obs.shape[0]
        idx = torch.arange(self.pos, self.pos + n, device=self.device) % self.capacity
        self.obs[idx] = obs.float()
        self.actions[idx] = actions.float()
        self.rewards[idx] = rewards.float()
        self.next_obs[idx] = next_obs.float()
        self.terminated[idx] = terminated.float()
        self.pos = (self.pos + n) % self.capacity
        self.size = min(self.size + n, self.capacity)

    def sample(self, batch_size: int) -> Batch:
        if self.size == 0:
            raise ValueError("cannot sample from an empty buffer")
        idx = torch.randint(
            0, self.size, (batch_size,), generator=self.generator, device=self.device
        )
        return Batch(
            self.obs[idx],
            self.actions[idx],
            self.rewards[idx],
            self.next_obs[idx],
            self.terminated[idx],
        )

    def state_dict(self) -> dict[str, Any]:
        n = self.size
        return {
            "obs": self.obs[:n].clone(),
            "next_obs": self.next_obs[:n].clone(),
            "actions": self.actions[:n].clone(),
            "rewards": self.rewards[:n].clone(),
            "terminated": self.terminated[:n].clone(),
            "pos": self.pos,
            "size": self.size,
            "generator": self.generator.get_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        n = int(state["size"])
        if n > self.capacity:
            raise ValueError(f"buffer state holds {n} transitions, capacity is {self.capacity}")
        for key in ("obs", "next_obs", "actions", "rewards", "terminated"):
            getattr(self, key)[:n] = state[key].to(self.device)
        self.pos = int(state["pos"])
        self.size = n
        self.generator.set_state(state["generator"])


class SquashedGaussianActor(Policy):
    """Gaussian over pre-squash actions, squashed by tanh into the env's ``[low, high]`` box."""

    action_scale: Tensor
    action_bias: Tensor

    def __init__(
        self,
        obs_dim: int,
        action_shape: tuple[int, ...],
        hidden_sizes: tuple[int, ...],
        low: float,
        high: float,
    ) -> None:
        super().__init__()
        self.action_shape = action_shape
        act_dim = math.prod(action_shape)
        self.trunk = build_mlp(obs_dim, hidden_sizes[:-1], hidden_sizes[-1])
        self.mean = nn.Linear(hidden_sizes[-1], act_dim)
        self.log_std = nn.Linear(hidden_sizes[-1], act_dim)
        self.register_buffer("action_scale", torch.tensor((high - low) / 2.0))
        self.register_buffer("action_bias", torch.tensor((high + low) / 2.0))

    def _dist_params(self, obs: Tensor) -> tuple[Tensor, Tensor]:
        h = F.relu(self.trunk(obs.flatten(1).float()))
        log_std = torch.tanh(self.log_std(h))
        log_std = _LOG_STD_MIN + 0.5 * (_LOG_STD_MAX - _LOG_STD_MIN) * (log_std + 1.0)
        return self.mean(h), log_std

    def sample(
        self, obs: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Reparameterised sample: (action [B, *shape], log_prob [B], deterministic action)."""
        mean, log_std = self._dist_params(obs)
        eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        x = mean + log_std.exp() * eps
        y = torch.tanh(x)
        log_prob = -0.5 * eps.pow(2) - log_std - _HALF_LOG_2PI
        log_prob = log_prob - torch.log(self.action_scale * (1.0 - y.pow(2)) + 1e-6)
        action = y * self.action_scale + self.action_bias
        greedy = torch.tanh(mean) * self.action_scale + self.action_bias
        shape = (obs.shape[0], *self.action_shape)
        return action.reshape(shape), log_prob.sum(-1), greedy.reshape(shape)

    def act(self, obs: Tensor, *, deterministic: bool, action_mask: Tensor | None = None) -> Tensor:
        with torch.no_grad():
            action, _, greedy = self.sample(obs)
        return greedy if deterministic else action


def init_models_seeded(seed: int, build: Any) -> Any:
    """Run ``build()`` under a forked global RNG seeded with ``seed``: reproducible init that
    leaves the caller's global RNG untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


class TwinCriticAlgorithm(Algorithm):
    """What SAC and TD3 share: uniform warm-up, the replay loop, twin-critic regression and the
    checkpoint layout. Subclasses build their models, then call ``_init_training``."""

    env: VecEnv
    config: SACConfig | TD3Config | DDPGConfig
    device: torch.device
    action_shape: tuple[int, ...]
    low: float
    high: float
    actor: nn.Module
    qf1: QNetwork
    qf2: QNetwork
    _MODELS: ClassVar[tuple[str, ...]]
    """Attribute names of the networks saved in checkpoints (weights are cloned)."""
    _OPTIMIZERS: ClassVar[tuple[str, ...]] = ("q_optimizer", "actor_optimizer")

    def _init_training(self, seed: int) -> None:
        """Optimizers, RNG, replay buffer, counters and the first observation."""
        self.q_optimizer = torch.optim.Adam(self._critic_parameters(), lr=self.config.q_lr)
        self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=self.config.policy_lr)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed)
        self.buffer = TransitionBuffer(
            self.config.buffer_size,
            self.env.observation_shape,
            self.action_shape,
            device=self.device,
            seed=seed + 1,
        )
        self.episodes = EpisodeStats()
        self.global_step = 0
        self.update_count = 0
        self.obs = self.env.reset(seed=seed).to(self.device)

    def _critic_parameters(self) -> list[nn.Parameter]:
        return list(self.qf1.parameters()) + list(self.qf2.parameters())

    def _explore(self) -> Tensor:
        if self.global_step < self.config.learning_starts:
            u = torch.rand(
                (self.env.num_envs, *self.action_shape),
                generator=self.generator,
                device=self.device,
            )
            return self.low + (self.high - self.low) * u
        with torch.no_grad():
            return self._policy_explore()

    @abstractmethod
    def _policy_explore(self) -> Tensor:
        """Exploratory actions for ``self.obs`` once learning has started (no grad)."""

    @abstractmethod
    def _update(self) -> dict[str, float]:
        """One gradient step; returns its namespaced losses."""

    def _add_iteration_metrics(self, metrics: dict[str, float]) -> None:
        """Hook for per-iteration metrics beyond the averaged update losses."""

    def train_iteration(self) -> dict[str, float]:
        start = time.perf_counter()
        sums: dict[str, float] = {}
        counts: dict[str, int] = {}
        for _ in range(self.config.steps_per_iteration):
            actions = self._explore()
            result = self.env.step(actions)
            done = result.terminated | result.truncated
            next_obs = result.obs.to(self.device)
            real_next = next_obs
            if bool(done.any()):
                real_next = torch.where(
                    _expand(done, next_obs), result.info["final_observation"], next_obs
                )
            rewards = result.reward.to(self.device) * self.config.reward_scale
            self.buffer.add(self.obs, actions, rewards, real_next, result.terminated)
            self.episodes.record(result.info, done)
            self.obs = next_obs
            self.global_step += self.env.num_envs
            if self.global_step >= self.config.learning_starts:
                for _ in range(self.config.gradient_steps):
                    for key, value in self._update().items():
                        sums[key] = sums.get(key, 0.0) + value
                        counts[key] = counts.get(key, 0) + 1
        metrics = {key: value / counts[key] for key, value in sums.items()}
        self._add_iteration_metrics(metrics)
        elapsed = time.perf_counter() - start
        steps = self.config.steps_per_iteration * self.env.num_envs
        metrics["charts/SPS"] = steps / elapsed if elapsed > 0 else 0.0
        self.episodes.drain(metrics)
        return metrics

    def _critic_step(self, batch: Batch, target_q: Tensor) -> dict[str, float]:
        """Regress both critics on ``target_q`` with one optimizer step; returns their losses."""
        qf1_values = self.qf1(batch.obs, batch.actions)
        qf2_values = self.qf2(batch.obs, batch.actions)
        qf1_loss = F.mse_loss(qf1_values, target_q)
        qf2_loss = F.mse_loss(qf2_values, target_q)
        self.q_optimizer.zero_grad()
        (qf1_loss + qf2_loss).backward()
        self.q_optimizer.step()
        return {
            "losses/qf1_loss": qf1_loss.item(),
            "losses/qf2_loss": qf2_loss.item(),
            "losses/qf1_values": qf1_values.mean().item(),
            "losses/qf2_values": qf2_values.mean().item(),
        }

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            key: _clone_state(getattr(self, key).state_dict()) for key in self._MODELS
        }
        for key in self._OPTIMIZERS:
            state[key] = copy.deepcopy(getattr(self, key).state_dict())
        state.update(
            {
                "generator": self.generator.get_state(),
                "buffer": self.buffer.state_dict(),
                "episodes": self.episodes.state_dict(),
                "global_step": self.global_step,
                "update_count": self.update_count,
                "obs": self.obs.clone(),
                "env": self.env.state_dict(),
            }
        )
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key in self._MODELS:
            getattr(self, key).load_state_dict(state[key])
        for key in self._OPTIMIZERS:
            getattr(self, key).load_state_dict(copy.deepcopy(state[key]))
        self.generator.set_state(state["generator"])
        self.buffer.load_state_dict(state["buffer"])
        self.episodes.load_state_dict(state["episodes"])
        self.global_step = int(state["global_step"])
        self.update_count = int(state["update_count"])
        self.obs = state["obs"].to(self.device).clone()
        self.env.load_state_dict(state["env"])


class SAC(TwinCriticAlgorithm):
    """Off-policy SAC: one vector step then ``gradient_steps`` updates, repeated per iteration."""

    name: ClassVar[str] = "sac"
    config: SACConfig
    _MODELS = ("actor", "qf1", "qf2", "qf1_target", "qf2_target")
    _OPTIMIZERS = ("q_optimizer", "actor_optimizer", "alpha_optimizer")

    def __init__(self, env: VecEnv, config: SACConfig, *, seed: int, device: torch.device) -> None:
        self.env = env
        self.config = config
        self.device = torch.device(device)
        shape, self.low, self.high = continuous_box(env.action_spec, "SAC", config.logit_limit)
        self.action_shape = shape
        obs_dim = math.prod(env.observation_shape)
        act_dim = math.prod(shape)
        hidden = config.hidden_sizes

        def build() -> tuple[nn.Module, ...]:
            actor = SquashedGaussianActor(obs_dim, shape, hidden, self.low, self.high)
            qf1 = QNetwork(obs_dim, act_dim, hidden)
            qf2 = QNetwork(obs_dim, act_dim, hidden)
            return actor, qf1, qf2

        actor, qf1, qf2 = init_models_seeded(seed, build)
        self.actor: SquashedGaussianActor = actor.to(self.device)
        self.policy = self.actor
        self.qf1 = qf1.to(self.device)
        self.qf2 = qf2.to(self.device)
        self.qf1_target = copy.deepcopy(self.qf1)
        self.qf2_target = copy.deepcopy(self.qf2)
        self.target_entropy = -config.target_entropy_scale * float(act_dim)
        self.log_alpha = torch.tensor(
            math.log(max(config.alpha, 1e-8)), device=self.device, requires_grad=True
        )
        self.alpha_optimizer = torch.optim.Adam([self.log_alpha], lr=config.q_lr)
        self.alpha = config.alpha
        self._init_training(seed)

    def _policy_explore(self) -> Tensor:
        action, _, _ = self.actor.sample(self.obs, self.generator)
        return action

    def _add_iteration_metrics(self, metrics: dict[str, float]) -> None:
        metrics["losses/alpha"] = self.alpha

    def _update(self) -> dict[str, float]:
        cfg = self.config
        batch = self.buffer.sample(cfg.batch_size)
        with torch.no_grad():
            next_actions, next_log_prob, _ = self.actor.sample(batch.next_obs, self.generator)
            min_next_q = torch.min(
                self.qf1_target(batch.next_obs, next_actions),
                self.qf2_target(batch.next_obs, next_actions),
            )
            soft_next_q = min_next_q - self.alpha * next_log_prob
            target_q = batch.rewards + (1.0 - batch.terminated) * cfg.gamma * soft_next_q
        out = self._critic_step(batch, target_q)
        if self.update_count % cfg.policy_frequency == 0:
            # Compensate for the delay with as many actor steps as critic steps were taken.
            for _ in range(cfg.policy_frequency):
                out.update(self._update_actor(batch.obs))
        if self.update_count % cfg.target_network_frequency == 0:
            polyak_update(self.qf1, self.qf1_target, cfg.tau)
            polyak_update(self.qf2, self.qf2_target, cfg.tau)
        self.update_count += 1
        return out

    def _update_actor(self, obs: Tensor) -> dict[str, float]:
        actions, log_prob, _ = self.actor.sample(obs, self.generator)
        min_q = torch.min(self.qf1(obs, actions), self.qf2(obs, actions))
        actor_loss = (self.alpha * log_prob - min_q).mean()
        self.actor_optimizer.zero_grad()
        actor_loss.backward()
        self.actor_optimizer.step()
        out = {"losses/actor_loss": actor_loss.item(), "losses/entropy": -log_prob.mean().item()}
        if self.config.autotune:
            alpha_loss = (-self.log_alpha.exp() * (log_prob.detach() + self.target_entropy)).mean()
            self.alpha_optimizer.zero_grad()
            alpha_loss.backward()
            self.alpha_optimizer.step()
            self.alpha = self.log_alpha.exp().item()
            out["losses/alpha_loss"] = alpha_loss.item()
        return out

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["log_alpha"] = self.log_alpha.detach().clone()
        state["alpha"] = self.alpha
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        with torch.no_grad():
            self.log_alpha.copy_(state["log_alpha"])
        self.alpha = float(state["alpha"])


def _expand(mask: Tensor, like: Tensor) -> Tensor:
    """Broadcast a per-env [N] mask over the trailing dims of ``like``."""
    return mask.to(like.device).reshape(mask.shape[0], *([1] * (like.dim() - 1)))


def _clone_state(state: dict[str, Tensor]) -> dict[str, Tensor]:
    return {key: value.detach().clone() for key, value in state.items()}

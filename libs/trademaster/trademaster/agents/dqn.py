"""DQN with double-Q targets, a dueling head, optional n-step returns and epsilon-greedy play."""

from __future__ import annotations

import copy
import logging
import time
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from trademaster.agents.base import Algorithm, EpisodeStats
from trademaster.agents.buffers import ReplayBatch, ReplayBuffer
from trademaster.agents.config import DQNConfig
from trademaster.agents.networks import QNetwork, QPolicy, adam, masked_argmax
from trademaster.agents.numpy_grad import NumpyAdam
from trademaster.agents.numpy_path import (
    NumpyEnvDriver,
    masked_argmax_np,
    rng_state,
    set_rng_state,
)
from trademaster.envs.base import VecEnv

_LOGGER = logging.getLogger(__name__)


def linear_epsilon(step: int, *, initial: float, final: float, decay_steps: int) -> float:
    """Epsilon decayed linearly from ``initial`` to ``final`` over ``decay_steps`` env steps."""
    frac = min(1.0, step / decay_steps)
    return initial + frac * (final - initial)


class DQN(Algorithm):
    """Off-policy value learning for discrete-action envs; respects env action masks."""

    name: ClassVar[str] = "dqn"
    _LABELLED_REPLAY: ClassVar[bool] = False
    """Subclasses that store a label per transition (see :meth:`_transition_labels`)."""

    def __init__(self, env: VecEnv, config: DQNConfig, *, seed: int, device: torch.device) -> None:
        if env.action_spec.kind != "discrete" or env.action_spec.n is None:
            raise ValueError(f"DQN needs a discrete action space, was {env.action_spec.kind!r}")
        self.env = env
        self.config = config
        self.device = torch.device(device)
        self.n_actions = env.action_spec.n
        obs_dim = 1
        for d in env.observation_shape:
            obs_dim *= d
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.q_network = QNetwork(
                obs_dim, self.n_actions, config.hidden_sizes, dueling=config.dueling
            ).to(self.device)
        self.target_network = copy.deepcopy(self.q_network)
        self.target_network.requires_grad_(False)
        self.policy = QPolicy(self.q_network)
        self.optimizer = adam(self.q_network.parameters(), lr=config.learning_rate)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed)
        # Replay sampling (both paths) and exploration (CPU path) draw from this generator.
        self.rng = np.random.default_rng(seed)
        self.driver: NumpyEnvDriver | None = None
        if self.device.type == "cpu":
            self.driver = NumpyEnvDriver(env, seed=seed)
            self._q_numpy = self.q_network.numpy_twin()
            self._target_numpy = self.target_network.numpy_twin()
            self._adam = NumpyAdam(self.optimizer, self._q_numpy.parameters)
            masked = self.driver.mask is not None
        else:
            self.obs = env.reset(seed=seed).to(self.device)
            self.mask = env.action_mask()
            masked = self.mask is not None
        self.buffer = ReplayBuffer(
            config.buffer_size,
            env.num_envs,
            env.observation_shape,
            n_actions_mask=self.n_actions if masked else None,
            labelled=self._LABELLED_REPLAY,
            device=self.device,
        )
        self.global_step = 0
        self.gradient_updates = 0
        self.last_target_update = 0
        self.episodes = EpisodeStats()
        self._sps_start = (time.perf_counter(), 0)

    def epsilon(self) -> float:
        c = self.config
        return linear_epsilon(
            self.global_step,
            initial=c.exploration_initial_eps,
            final=c.exploration_final_eps,
            decay_steps=c.exploration_steps,
        )

    def _explore(self, greedy: Tensor, eps: float) -> Tensor:
        n = greedy.shape[0]
        scores = torch.rand((n, self.n_actions), generator=self.generator, device=self.device)
        random_actions = masked_argmax(scores, self.mask)
        explore = torch.rand((n,), generator=self.generator, device=self.device) < eps
        return torch.where(explore, random_actions, greedy)

    def _transition_labels(self) -> Tensor | np.ndarray | None:
        """Labels of the transitions about to be collected (labelled replay only)."""
        return None

    def _collect_step(self, eps: float) -> None:
        if self.driver is not None:
            self._collect_step_numpy(self.driver, eps)
        else:
            self._collect_step_torch(eps)

    def _collect_step_numpy(self, driver: NumpyEnvDriver, eps: float) -> None:
        n, obs, mask = driver.num_envs, driver.obs, driver.mask
        explore = self.rng.random(n) < eps
        if mask is None:
            actions = self.rng.integers(0, self.n_actions, n)
        else:
            actions = masked_argmax_np(self.rng.random((n, self.n_actions)), mask)
        if not explore.all():  # like SB3: no forward pass when every env explores
            greedy = masked_argmax_np(self._q_numpy(obs.reshape(n, -1)), mask)
            actions = np.where(explore, actions, greedy)
        labels = self._transition_labels()
        step = driver.step(actions)
        self.buffer.add(
            obs,
            actions,
            step.reward,
            step.next_obs,
            step.terminated,
            step.truncated,
            step.mask,
            labels,
        )
        if step.episode_returns:
            self.episodes.record_values(step.episode_returns, step.episode_lengths)
        self.global_step += n

    def _collect_step_torch(self, eps: float) -> None:
        with torch.no_grad():
            greedy = masked_argmax(self.q_network(self.obs), self.mask)
        actions = self._explore(greedy, eps)
        labels = self._transition_labels()
        result = self.env.step(actions)
        done = result.terminated | result.truncated
        next_obs = result.obs
        if bool(done.any()):
            final = result.info["final_observation"]
            next_obs = torch.where(done.view(-1, *[1] * (final.dim() - 1)), final, result.obs)
        # The final obs has no mask of its own; mid-episode next obs use the env's current mask.
        next_mask = result.info.get("action_mask")
        self.buffer.add(
            self.obs,
            actions,
            result.reward,
            next_obs,
            result.terminated,
            result.truncated,
            next_mask,
            labels,
        )
        self.episodes.record(result.info, done)
        self.obs = result.obs
        self.mask = next_mask if next_mask is not None else self.env.action_mask()
        self.global_step += self.env.num_envs

    def _update(self) -> tuple[float, float]:
        if self.driver is not None:
            return self._update_numpy()
        return self._update_torch()

    def _update_numpy(self) -> tuple[float, float]:
        """:meth:`_update_torch` on numpy (tested to match it)."""
        c = self.config
        batch = self.buffer.sample(c.batch_size, gamma=c.gamma, n_step=c.n_step, rng=self.rng)
        loss, q_mean, _, cache, grad_q = self._td_numpy(batch)
        self._adam.step(self._q_numpy.backward(cache, grad_q), max_grad_norm=c.max_grad_norm)
        self.gradient_updates += 1
        return loss, q_mean

    def _td_numpy(
        self, batch: ReplayBatch
    ) -> tuple[float, float, np.ndarray, tuple[Any, ...], np.ndarray]:
        """Smooth-L1 TD loss of ``batch``, mean Q, all Q values [B, n], the forward cache and
        the loss gradient with respect to the Q values."""
        c = self.config
        n = batch.obs.shape[0]
        rows = np.arange(n)
        obs = batch.obs.numpy().reshape(n, -1)
        next_obs = batch.next_obs.numpy().reshape(n, -1)
        next_mask = None if batch.next_action_mask is None else batch.next_action_mask.numpy()
        target_q = self._target_numpy(next_obs)
        chooser = self._q_numpy(next_obs) if c.double_q else target_q
        next_value = target_q[rows, masked_argmax_np(chooser, next_mask)]
        target = batch.returns.numpy() + batch.discount.numpy() * next_value
        q_all, cache = self._q_numpy.forward(obs)
        actions = batch.actions.numpy()
        q = q_all[rows, actions]
        diff = q - target
        abs_diff = np.abs(diff)
        loss = float(np.where(abs_diff < 1.0, 0.5 * diff * diff, abs_diff - 0.5).mean())
        grad_q = np.zeros_like(q_all)
        grad_q[rows, actions] = np.clip(diff, -1.0, 1.0) / np.float32(n)  # smooth L1, beta 1
        return loss, float(q.mean()), q_all, cache, grad_q

    def _update_torch(self) -> tuple[float, float]:
        c = self.config
        batch = self.buffer.sample(c.batch_size, gamma=c.gamma, n_step=c.n_step, rng=self.rng)
        loss, q, _ = self._td_torch(batch)
        self._optimize(loss)
        return float(loss.detach()), float(q.detach().mean())

    def _td_torch(self, batch: ReplayBatch) -> tuple[Tensor, Tensor, Tensor]:
        """Smooth-L1 TD loss of ``batch``, the Q values of its actions and all Q values."""
        c = self.config
        with torch.no_grad():
            target_q = self.target_network(batch.next_obs)
            if c.double_q:
                next_actions = masked_argmax(self.q_network(batch.next_obs), batch.next_action_mask)
            else:
                next_actions = masked_argmax(target_q, batch.next_action_mask)
            next_value = target_q.gather(1, next_actions.unsqueeze(1)).squeeze(1)
            target = batch.returns + batch.discount * next_value
        q_all = self.q_network(batch.obs)
        q = q_all.gather(1, batch.actions.unsqueeze(1)).squeeze(1)
        return nn.functional.smooth_l1_loss(q, target), q, q_all

    def _optimize(self, loss: Tensor) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(
            self.q_network.parameters(), self.config.max_grad_norm, foreach=True
        )
        self.optimizer.step()
        self.gradient_updates += 1

    def _maybe_update_target(self) -> None:
        c = self.config
        if self.global_step - self.last_target_update < c.target_update_interval:
            return
        self.last_target_update = self.global_step
        with torch.no_grad():
            for tgt, src in zip(
                self.target_network.parameters(), self.q_network.parameters(), strict=True
            ):
                if c.tau >= 1.0:
                    tgt.copy_(src)
                else:
                    tgt.lerp_(src, c.tau)

    def train_iteration(self) -> dict[str, float]:
        c = self.config
        eps = self.epsilon()
        for _ in range(c.train_frequency):
            self._collect_step(eps)
        metrics: dict[str, float] = {"charts/epsilon": eps}
        if self.global_step >= c.learning_starts:
            losses, qs = [], []
            for _ in range(c.gradient_steps):
                loss, q = self._update()
                losses.append(loss)
                qs.append(q)
            metrics["losses/td_loss"] = sum(losses) / len(losses)
            metrics["losses/q_values"] = sum(qs) / len(qs)
            self._maybe_update_target()
        metrics["charts/learning_rate"] = float(self.optimizer.param_groups[0]["lr"])
        start_time, start_step = self._sps_start
        elapsed = max(time.perf_counter() - start_time, 1e-9)
        metrics["charts/SPS"] = (self.global_step - start_step) / elapsed
        self.episodes.drain(metrics)
        return metrics

    def state_dict(self) -> dict[str, Any]:
        if self.driver is not None:
            env_state = self.driver.state_dict()
        else:
            env_state = {
                "env": self.env.state_dict(),
                "obs": self.obs.clone(),
                "mask": None if self.mask is None else self.mask.clone(),
            }
        return {
            "q_network": self.q_network.state_dict(),
            "target_network": self.target_network.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "buffer": self.buffer.state_dict(),
            "generator": self.generator.get_state(),
            "rng": rng_state(self.rng),
            **env_state,
            "global_step": self.global_step,
            "gradient_updates": self.gradient_updates,
            "last_target_update": self.last_target_update,
            "episodes": self.episodes.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.q_network.load_state_dict(state["q_network"])
        self.target_network.load_state_dict(state["target_network"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.driver is not None:
            self._adam.rebind()
        self.buffer.load_state_dict(state["buffer"])
        self.generator.set_state(state["generator"])
        set_rng_state(self.rng, state["rng"])
        if self.driver is not None:
            self.driver.load_state_dict(state)
        else:
            self.env.load_state_dict(state["env"])
            self.obs = state["obs"].to(self.device)
            self.mask = None if state["mask"] is None else state["mask"].to(self.device)
        self.global_step = int(state["global_step"])
        self.gradient_updates = int(state["gradient_updates"])
        self.last_target_update = int(state["last_target_update"])
        self.episodes.load_state_dict(state["episodes"])
        self._sps_start = (time.perf_counter(), self.global_step)

"""PPO (clipped surrogate, GAE, value clipping, entropy bonus) for discrete or continuous envs."""

from __future__ import annotations

import logging
import math
import time
from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import BaseModel
from torch import Tensor, nn

from trademaster.agents.base import Algorithm, EpisodeStats
from trademaster.agents.buffers import RolloutBuffer
from trademaster.agents.config import PPOConfig
from trademaster.agents.networks import ActorCritic, adam
from trademaster.agents.numpy_grad import NumpyAdam
from trademaster.agents.numpy_path import NumpyEnvDriver, rng_state, set_rng_state
from trademaster.agents.ppo_numpy import ppo_numpy_gradients
from trademaster.envs.base import VecEnv

_LOGGER = logging.getLogger(__name__)


class PPO(Algorithm):
    """On-policy actor-critic; one ``train_iteration`` = one rollout + ``update_epochs`` passes."""

    name: ClassVar[str] = "ppo"
    policy: ActorCritic

    def __init__(self, env: VecEnv, config: PPOConfig, *, seed: int, device: torch.device) -> None:
        self.env = env
        # ``config`` is what the user chose (A2C passes its own); the update runs on ppo_config.
        self.config: BaseModel = config
        self.ppo_config = config
        self.device = torch.device(device)
        spec = env.action_spec
        self.discrete = spec.kind == "discrete"
        obs_dim = math.prod(env.observation_shape)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.policy = ActorCritic(
                obs_dim,
                spec,
                config.hidden_sizes,
                squashed=config.continuous_distribution == "squashed",
                init_log_std=config.init_log_std,
            ).to(self.device)
        self.optimizer = self._make_optimizer()
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.driver: NumpyEnvDriver | None = None
        self._adam: NumpyAdam | None = None
        if self.device.type == "cpu":
            self.driver = NumpyEnvDriver(env, seed=seed)
            self._sampler = self.policy.numpy_sampler()
            if isinstance(self.optimizer, torch.optim.Adam):
                self._adam = NumpyAdam(self.optimizer, self._sampler.parameters)
            self.mask = None if self.driver.mask is None else torch.from_numpy(self.driver.mask)
        else:
            self.obs = env.reset(seed=seed).to(self.device)
            self.mask = env.action_mask()
        self.done = torch.zeros(env.num_envs, device=self.device)
        raw_shape = () if self.discrete else (math.prod(spec.shape),)
        self.rollout = RolloutBuffer(
            config.num_steps,
            env.num_envs,
            env.observation_shape,
            raw_shape,
            discrete=self.discrete,
            n_actions_mask=spec.n if self.mask is not None else None,
            device=self.device,
        )
        self.batch_size = config.num_steps * env.num_envs
        if self.batch_size < config.num_minibatches:
            raise ValueError(
                f"num_steps * num_envs must be >= num_minibatches, was {self.batch_size} < "
                f"{config.num_minibatches}"
            )
        self.global_step = 0
        self.iterations = 0
        self.episodes = EpisodeStats()
        self._sps_start = (time.perf_counter(), 0)

    def _make_optimizer(self) -> torch.optim.Optimizer:
        return adam(self.policy.parameters(), lr=self.ppo_config.learning_rate, eps=1e-5)

    def _learning_rate(self) -> float:
        c = self.ppo_config
        if c.anneal_lr_steps is None:
            return c.learning_rate
        return c.learning_rate * max(0.0, 1.0 - self.global_step / c.anneal_lr_steps)

    def _collect(self) -> None:
        if self.driver is not None:
            self._collect_numpy(self.driver)
        else:
            self._collect_torch()

    def _collect_numpy(self, driver: NumpyEnvDriver) -> None:
        c, store, sampler = self.ppo_config, self.rollout.arrays, self._sampler
        done = self.done.numpy()
        for step in range(c.num_steps):
            obs, mask = driver.obs, driver.mask
            store["obs"][step] = obs
            store["dones"][step] = done
            if mask is not None and "masks" in store:
                store["masks"][step] = mask
            raw, log_prob, value = sampler.sample(obs, self.rng, mask)
            store["actions"][step] = raw
            store["log_probs"][step] = log_prob
            store["values"][step] = value
            result = driver.step(sampler.to_env(raw))
            reward = result.reward
            if result.truncated.any():
                # Bootstrap time-limit cuts from the final observation instead of treating as 0.
                final_value = sampler.value(result.next_obs)
                reward = reward + np.float32(c.gamma) * final_value * result.truncated
            store["rewards"][step] = reward
            if result.episode_returns:
                self.episodes.record_values(result.episode_returns, result.episode_lengths)
            done = result.done.astype(np.float32)
            self.global_step += driver.num_envs
        self.done = torch.from_numpy(done)
        self.mask = None if driver.mask is None else torch.from_numpy(driver.mask)
        last_value = sampler.value(driver.obs)
        self.rollout.compute_gae(last_value, done, gamma=c.gamma, gae_lambda=c.gae_lambda)

    @torch.no_grad()
    def _collect_torch(self) -> None:
        c, buf = self.ppo_config, self.rollout
        for step in range(c.num_steps):
            buf.obs[step] = self.obs
            buf.dones[step] = self.done
            if buf.masks is not None and self.mask is not None:
                buf.masks[step] = self.mask
            raw, log_prob, value = self.policy.sample(self.obs, self.generator, self.mask)
            buf.actions[step] = raw
            buf.log_probs[step] = log_prob
            buf.values[step] = value
            result = self.env.step(self.policy.to_env(raw))
            reward = result.reward.to(self.device)
            if bool(result.truncated.any()):
                # Bootstrap time-limit cuts from the final observation instead of treating as 0.
                final_value = self.policy.value(result.info["final_observation"])
                reward = reward + c.gamma * final_value * result.truncated.float()
            buf.rewards[step] = reward
            done = result.terminated | result.truncated
            self.episodes.record(result.info, done)
            self.obs = result.obs
            self.done = done.float()
            self.mask = result.info.get("action_mask")
            self.global_step += self.env.num_envs
        last_value = self.policy.value(self.obs)
        buf.compute_gae(last_value, self.done, gamma=c.gamma, gae_lambda=c.gae_lambda)

    def train_iteration(self) -> dict[str, float]:
        c, buf = self.ppo_config, self.rollout
        lr = self._learning_rate()
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self._collect()
        flat: dict[str, Any] = {
            "obs": buf.obs.flatten(0, 1),
            "actions": buf.actions.flatten(0, 1),
            "logp": buf.log_probs.flatten(),
            "adv": buf.advantages.flatten(),
            "ret": buf.returns.flatten(),
            "val": buf.values.flatten(),
        }
        if buf.masks is not None:
            flat["mask"] = buf.masks.flatten(0, 1)
        b_ret, b_val = flat["ret"], flat["val"]
        numpy_path = self.driver is not None
        if numpy_path:
            flat = {key: value.numpy() for key, value in flat.items()}
        minibatch = self.batch_size // c.num_minibatches
        totals: Any = None
        n_updates = 0
        for _ in range(c.update_epochs):
            perm = torch.randperm(self.batch_size, generator=self.generator, device=self.device)
            index = perm.numpy() if numpy_path else perm
            # One gather per field and epoch; minibatches are then contiguous slices (views).
            shuffled = {key: value[index] for key, value in flat.items()}
            stats: Any = None
            for start in range(0, minibatch * c.num_minibatches, minibatch):
                part = {key: value[start : start + minibatch] for key, value in shuffled.items()}
                if numpy_path:
                    stats = self._minibatch_step_numpy(part)
                else:
                    stats = self._minibatch_step_torch(part)
                totals = stats if totals is None else totals + stats
                n_updates += 1
            if c.target_kl is not None and float(stats[3]) > c.target_kl:
                break
        pg, v, ent, kl, clip = (totals / n_updates).tolist()
        self.iterations += 1
        var_y = float(b_ret.var())
        metrics = {
            "losses/policy_loss": pg,
            "losses/value_loss": v,
            "losses/entropy": ent,
            "losses/approx_kl": kl,
            "losses/clipfrac": clip,
            "charts/learning_rate": lr,
        }
        if var_y > 0:
            metrics["losses/explained_variance"] = 1.0 - float((b_ret - b_val).var()) / var_y
        start_time, start_step = self._sps_start
        elapsed = max(time.perf_counter() - start_time, 1e-9)
        metrics["charts/SPS"] = (self.global_step - start_step) / elapsed
        self.episodes.drain(metrics)
        return metrics

    def _minibatch_step_numpy(self, part: dict[str, np.ndarray]) -> np.ndarray:
        """:meth:`_minibatch_step_torch` with numpy gradients (tested to match it)."""
        grads, stats = ppo_numpy_gradients(self._sampler, part, self.ppo_config)
        if self._adam is not None:
            self._adam.step(grads, max_grad_norm=self.ppo_config.max_grad_norm)
            return stats
        # Another torch optimizer: hand it the numpy gradients.
        params = self._sampler.parameters
        for param, grad in zip(params, grads, strict=True):
            param.grad = torch.from_numpy(grad).view(param.shape)
        nn.utils.clip_grad_norm_(params, self.ppo_config.max_grad_norm, foreach=True)
        self.optimizer.step()
        return stats

    def _minibatch_step_torch(self, part: dict[str, Tensor]) -> Tensor:
        """One gradient step on the clipped-surrogate loss of a minibatch; returns its stats
        [policy loss, value loss, entropy, approx KL, clip fraction]."""
        loss, stats = self._minibatch_loss(part)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(
            self.policy.parameters(), self.ppo_config.max_grad_norm, foreach=True
        )
        self.optimizer.step()
        return stats

    def _minibatch_loss(self, part: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        """Clipped-surrogate loss of one minibatch and its detached stats."""
        c = self.ppo_config
        new_logp, entropy = self.policy.evaluate(part["obs"], part["actions"], part.get("mask"))
        log_ratio = new_logp - part["logp"]
        ratio = log_ratio.exp()
        adv = part["adv"]
        if c.norm_adv and adv.numel() > 1:
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        pg_loss = torch.maximum(
            -adv * ratio, -adv * ratio.clamp(1 - c.clip_coef, 1 + c.clip_coef)
        ).mean()
        new_value = self.policy.value(part["obs"])
        ret, old_value = part["ret"], part["val"]
        if c.clip_vloss:
            v_clipped = old_value + (new_value - old_value).clamp(-c.clip_coef, c.clip_coef)
            v_loss = 0.5 * torch.maximum((new_value - ret) ** 2, (v_clipped - ret) ** 2).mean()
        else:
            v_loss = 0.5 * ((new_value - ret) ** 2).mean()
        ent = entropy.mean()
        loss = pg_loss + c.vf_coef * v_loss
        if c.ent_coef:
            loss = loss - c.ent_coef * ent
        with torch.no_grad():
            approx_kl = ((ratio - 1) - log_ratio).mean()
            clip_frac = ((ratio - 1.0).abs() > c.clip_coef).float().mean()
            stats = torch.stack([pg_loss, v_loss, ent, approx_kl, clip_frac])
        return loss, stats

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
            "policy": self.policy.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "rng": rng_state(self.rng),
            **env_state,
            "done": self.done.clone(),
            "global_step": self.global_step,
            "iterations": self.iterations,
            "episodes": self.episodes.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.policy.load_state_dict(state["policy"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self._adam is not None:
            self._adam.rebind()
        self.generator.set_state(state["generator"])
        set_rng_state(self.rng, state["rng"])
        if self.driver is not None:
            self.driver.load_state_dict(state)
        else:
            self.env.load_state_dict(state["env"])
            self.obs = state["obs"].to(self.device)
        self.done = state["done"].to(self.device).clone()
        self.mask = None if state["mask"] is None else state["mask"].to(self.device)
        self.global_step = int(state["global_step"])
        self.iterations = int(state["iterations"])
        self.episodes.load_state_dict(state["episodes"])
        self._sps_start = (time.perf_counter(), self.global_step)

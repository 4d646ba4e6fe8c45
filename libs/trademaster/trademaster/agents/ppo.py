"""PPO (clipped surrogate, GAE, value clipping, entropy bonus) for discrete or continuous envs."""

from __future__ import annotations

import logging
import math
import time
from typing import Any, ClassVar

import torch
from torch import nn

from trademaster.agents.base import Algorithm, EpisodeStats
from trademaster.agents.buffers import RolloutBuffer
from trademaster.agents.config import PPOConfig
from trademaster.agents.networks import ActorCritic
from trademaster.envs.base import VecEnv

_LOGGER = logging.getLogger(__name__)


class PPO(Algorithm):
    """On-policy actor-critic; one ``train_iteration`` = one rollout + ``update_epochs`` passes."""

    name: ClassVar[str] = "ppo"
    policy: ActorCritic

    def __init__(self, env: VecEnv, config: PPOConfig, *, seed: int, device: torch.device) -> None:
        self.env = env
        self.config = config
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
        self.optimizer = torch.optim.Adam(
            self.policy.parameters(), lr=config.learning_rate, eps=1e-5
        )
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed)
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

    def _learning_rate(self) -> float:
        c = self.config
        if c.anneal_lr_steps is None:
            return c.learning_rate
        return c.learning_rate * max(0.0, 1.0 - self.global_step / c.anneal_lr_steps)

    @torch.no_grad()
    def _collect(self) -> None:
        c, buf = self.config, self.rollout
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
        c, buf = self.config, self.rollout
        lr = self._learning_rate()
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self._collect()
        b_obs = buf.obs.flatten(0, 1)
        b_actions = buf.actions.flatten(0, 1)
        b_logp = buf.log_probs.flatten()
        b_adv = buf.advantages.flatten()
        b_ret = buf.returns.flatten()
        b_val = buf.values.flatten()
        b_mask = None if buf.masks is None else buf.masks.flatten(0, 1)
        minibatch = self.batch_size // c.num_minibatches
        stats = {"pg": 0.0, "v": 0.0, "ent": 0.0, "kl": 0.0, "clip": 0.0}
        n_updates = 0
        for _ in range(c.update_epochs):
            perm = torch.randperm(self.batch_size, generator=self.generator, device=self.device)
            approx_kl = torch.zeros(())
            for start in range(0, minibatch * c.num_minibatches, minibatch):
                idx = perm[start : start + minibatch]
                mask = None if b_mask is None else b_mask[idx]
                new_logp, entropy = self.policy.evaluate(b_obs[idx], b_actions[idx], mask)
                log_ratio = new_logp - b_logp[idx]
                ratio = log_ratio.exp()
                with torch.no_grad():
                    approx_kl = ((ratio - 1) - log_ratio).mean()
                    clip_frac = ((ratio - 1.0).abs() > c.clip_coef).float().mean()
                adv = b_adv[idx]
                if c.norm_adv and adv.numel() > 1:
                    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                pg_loss = torch.max(
                    -adv * ratio, -adv * ratio.clamp(1 - c.clip_coef, 1 + c.clip_coef)
                ).mean()
                new_value = self.policy.value(b_obs[idx])
                if c.clip_vloss:
                    v_clipped = b_val[idx] + (new_value - b_val[idx]).clamp(
                        -c.clip_coef, c.clip_coef
                    )
                    v_loss = (
                        0.5
                        * torch.max(
                            (new_value - b_ret[idx]) ** 2, (v_clipped - b_ret[idx]) ** 2
                        ).mean()
                    )
                else:
                    v_loss = 0.5 * ((new_value - b_ret[idx]) ** 2).mean()
                ent = entropy.mean()
                loss = pg_loss - c.ent_coef * ent + c.vf_coef * v_loss
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(self.policy.parameters(), c.max_grad_norm)
                self.optimizer.step()
                stats["pg"] += float(pg_loss.detach())
                stats["v"] += float(v_loss.detach())
                stats["ent"] += float(ent.detach())
                stats["kl"] += float(approx_kl)
                stats["clip"] += float(clip_frac)
                n_updates += 1
            if c.target_kl is not None and float(approx_kl) > c.target_kl:
                break
        self.iterations += 1
        var_y = float(b_ret.var())
        metrics = {
            "losses/policy_loss": stats["pg"] / n_updates,
            "losses/value_loss": stats["v"] / n_updates,
            "losses/entropy": stats["ent"] / n_updates,
            "losses/approx_kl": stats["kl"] / n_updates,
            "losses/clipfrac": stats["clip"] / n_updates,
            "charts/learning_rate": lr,
        }
        if var_y > 0:
            metrics["losses/explained_variance"] = 1.0 - float((b_ret - b_val).var()) / var_y
        start_time, start_step = self._sps_start
        elapsed = max(time.perf_counter() - start_time, 1e-9)
        metrics["charts/SPS"] = (self.global_step - start_step) / elapsed
        self.episodes.drain(metrics)
        return metrics

    def state_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "obs": self.obs.clone(),
            "done": self.done.clone(),
            "mask": None if self.mask is None else self.mask.clone(),
            "global_step": self.global_step,
            "iterations": self.iterations,
            "episodes": self.episodes.state_dict(),
            "env": self.env.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.policy.load_state_dict(state["policy"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.obs = state["obs"].to(self.device)
        self.done = state["done"].to(self.device)
        self.mask = None if state["mask"] is None else state["mask"].to(self.device)
        self.global_step = int(state["global_step"])
        self.iterations = int(state["iterations"])
        self.episodes.load_state_dict(state["episodes"])
        self.env.load_state_dict(state["env"])
        self._sps_start = (time.perf_counter(), self.global_step)

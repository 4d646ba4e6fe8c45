"""DeepTrader (Wang et al. 2021, "DeepTrader: a deep reinforcement learning approach for
risk-return balanced portfolio management with market conditions embedding") on the portfolio
management env; the networks are in :mod:`~trademaster.agents.deeptrader_nets`.

Training is the paper's policy gradient: each update rolls the vector env ``num_steps`` steps,
drawing the winners from the asset unit's scores and ``rho`` from the market unit's Gaussian,
then takes one Adam step on

    -mean(A_t * (log P(winners_t) + rho_coef * log N(rho_t; mu_t, sigma_t))) - ent_coef * H,

with ``A_t`` the discounted reward-to-go of the env's log returns (cut at the rollout end and
at episode ends), standardised per update, and ``H`` the entropy of the normalised scores.
Upstream TradeMaster's DeepTrader does not run (it exits in ``explore_env``); this follows the
paper and its official code's structure (REINFORCE on both units).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from trademaster.agents.base import Algorithm, EpisodeStats
from trademaster.agents.config_published import DeepTraderConfig
from trademaster.agents.deeptrader_nets import (
    DeepTraderPolicy,
    portfolio,
    sample_winners,
    set_log_prob,
)
from trademaster.agents.eiie import ObservationLayout
from trademaster.agents.networks import adam
from trademaster.envs.base import VecEnv
from trademaster.envs.portfolio import PortfolioManagementEnv

_LOGGER = logging.getLogger(__name__)


def discounted_returns(rewards: Tensor, dones: Tensor, gamma: float) -> Tensor:
    """Reward-to-go [T, N], reset after each done step and cut at the rollout end."""
    returns = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[0])
    for t in range(rewards.shape[0] - 1, -1, -1):
        running = rewards[t] + gamma * running * (~dones[t]).float()
        returns[t] = running
    return returns


class DeepTrader(Algorithm):
    """REINFORCE on the asset and market scoring units; see the module docstring."""

    name: ClassVar[str] = "deeptrader"
    policy: DeepTraderPolicy

    def __init__(
        self, env: VecEnv, config: DeepTraderConfig, *, seed: int, device: torch.device
    ) -> None:
        if not isinstance(env, PortfolioManagementEnv):
            raise ValueError(
                f"deeptrader trades the portfolio management env, was {type(env).__name__}"
            )
        if config.winners > env.num_assets:
            raise ValueError(
                f"agent_params.winners must be at most the {env.num_assets} assets of the "
                f"data, was {config.winners}"
            )
        self.env, self.config, self.device = env, config, torch.device(device)
        layout = ObservationLayout(env.observation_shape, env.num_assets, env.window)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.policy = DeepTraderPolicy(
                layout,
                hidden=config.hidden_size,
                layers=config.tcn_layers,
                embedding=config.embedding_size,
                winners=config.winners,
                emit_weights=not env.action_is_logits,
            )
        self.policy.to(self.device)
        self.optimizer = adam(self.policy.parameters(), lr=config.learning_rate)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed)
        self.obs = env.reset(seed=seed).to(self.device)
        self.global_step = 0
        self.episodes = EpisodeStats()

    def _rollout(self) -> dict[str, Tensor]:
        rows: dict[str, list[Tensor]] = {k: [] for k in ("obs", "order", "rho", "reward", "done")}
        for _ in range(self.config.num_steps):
            with torch.no_grad():
                scores, mu, sigma = self.policy.scores(self.obs)
                order = sample_winners(scores, self.config.winners, self.generator)
                noise = torch.randn(mu.shape, generator=self.generator, device=self.device)
                rho = mu + sigma * noise
                action = self.policy.to_action(portfolio(scores, order, rho.clamp(0.0, 1.0)))
            result = self.env.step(action.to(self.env.device))
            done = (result.terminated | result.truncated).to(self.device)
            for key, value in (("obs", self.obs), ("order", order), ("rho", rho)):
                rows[key].append(value)
            rows["reward"].append(result.reward.to(self.device).float())
            rows["done"].append(done)
            self.episodes.record(result.info, done)
            self.obs = result.obs.to(self.device)
            self.global_step += self.env.num_envs
        return {k: torch.stack(v) for k, v in rows.items()}

    def train_iteration(self) -> dict[str, float]:
        c = self.config
        batch = self._rollout()
        returns = discounted_returns(batch["reward"], batch["done"], c.gamma).flatten()
        advantage = (returns - returns.mean()) / (returns.std(correction=0) + 1e-8)
        obs = batch["obs"].flatten(0, 1)
        scores, mu, sigma = self.policy.scores(obs)
        log_winners = set_log_prob(scores, batch["order"].flatten(0, 1))
        log_rho = torch.distributions.Normal(mu, sigma).log_prob(batch["rho"].flatten())
        probs = scores / scores.sum(1, keepdim=True)
        entropy = -(probs * torch.log(probs)).sum(1).mean()
        pg_loss = -(advantage * (log_winners + c.rho_coef * log_rho)).mean()
        loss = pg_loss - c.ent_coef * entropy
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = nn.utils.clip_grad_norm_(self.policy.parameters(), c.max_grad_norm)
        self.optimizer.step()
        metrics = {
            "losses/policy_loss": float(pg_loss.detach()),
            "losses/entropy": float(entropy.detach()),
            "losses/grad_norm": float(grad_norm),
            "charts/rho_mean": float(mu.detach().clamp(0.0, 1.0).mean()),
            "charts/rollout_reward": float(batch["reward"].mean()),
        }
        self.episodes.drain(metrics)
        return metrics

    def state_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "env": self.env.state_dict(),
            "obs": self.obs.clone(),
            "global_step": self.global_step,
            "episodes": self.episodes.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.policy.load_state_dict(state["policy"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.env.load_state_dict(state["env"])
        self.obs = state["obs"].clone().to(self.device)
        self.global_step = int(state["global_step"])
        self.episodes.load_state_dict(state["episodes"])

"""Investor-Imitator (Ding et al. 2018, "Investor-Imitator: a framework for trading knowledge
extraction"), TradeMaster's PM agent, on the portfolio management env.

Logic descriptors: five MLPs (shared by the assets) score each asset from its feature window,
each imitating one investor logic by regressing a metric of the asset's next
``descriptor_horizon`` bars: mean log return (AR), Sharpe ratio (SR), win rate (WR), minus the
max drawdown (MDD) and the return in excess of the assets' mean (ER). Upstream ships them as
pretrained weights with no training code; here they are fitted in the same job, full-batch on
the training env's bars (targets standardised per metric), then frozen. Their targets are
future data by design: training labels only, never an observation.

The selector: a REINFORCE policy over ``Discrete(5)`` on ``[obs, all descriptor scores]``
picks a descriptor each step; the portfolio is the softmax of its scores over the assets (no
cash, as upstream). Loss ``-mean(A_t log pi(k_t | s_t)) - ent_coef H`` with ``A_t`` the
standardised discounted reward-to-go (``gamma`` 0 = upstream's step reward).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from trademaster.agents.base import Algorithm, EpisodeStats, Policy
from trademaster.agents.config_published import InvestorImitatorConfig
from trademaster.agents.deeptrader import discounted_returns
from trademaster.agents.eiie import ObservationLayout
from trademaster.agents.networks import adam, mlp
from trademaster.envs.base import VecEnv
from trademaster.envs.portfolio import PortfolioManagementEnv

_LOGGER = logging.getLogger(__name__)

LOGICS = ("AR", "SR", "WR", "MDD", "ER")


def logic_targets(close: Tensor, horizon: int) -> Tensor:
    """Metrics [K, A, 5] of each asset's log returns over bars t+1..t+h for the decision bars
    t = 0..T-1-h (in ``LOGICS`` order; higher is better for each)."""
    log_ret = torch.diff(torch.log(close.double()), dim=0)  # [T-1, A], row t: t -> t+1
    ahead = log_ret.unfold(0, horizon, 1)  # [T-h, A, h], row t: bars t+1..t+h
    mean = ahead.mean(2)
    path = ahead.cumsum(2)
    peak = torch.cummax(torch.cat([torch.zeros_like(path[..., :1]), path], 2), 2).values[..., 1:]
    drawdown = (peak - path).amax(2)
    metrics = [
        mean,
        mean / (ahead.std(2, correction=0) + 1e-8),
        (ahead > 0).double().mean(2),
        -drawdown,
        mean - mean.mean(1, keepdim=True),
    ]
    return torch.stack(metrics, dim=2).float()


class LogicDescriptors(nn.Module):
    """Five per-asset MLP regressors: scores [B, 5, A] from per-asset windows [B, A, W*F]."""

    def __init__(self, inputs: int, hidden: int) -> None:
        super().__init__()
        self.nets = nn.ModuleList(mlp(inputs, (hidden,), 1) for _ in LOGICS)

    def forward(self, windows: Tensor) -> Tensor:
        return torch.stack([net(windows).squeeze(2) for net in self.nets], dim=1)


def fit_descriptors(
    descriptors: LogicDescriptors, windows: Tensor, targets: Tensor, *, epochs: int, lr: float
) -> dict[str, float]:
    """Full-batch Adam on the MSE to the standardised targets; returns each logic's final R^2."""
    z = (targets - targets.mean((0, 1))) / (targets.std((0, 1)) + 1e-8)  # [K, A, 5]
    goal = z.permute(0, 2, 1)  # [K, 5, A] like the descriptors' output
    optimizer = torch.optim.Adam(descriptors.parameters(), lr=lr)
    for _ in range(epochs):
        loss = ((descriptors(windows) - goal) ** 2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    descriptors.requires_grad_(False)
    with torch.no_grad():
        residual = ((descriptors(windows) - goal) ** 2).mean((0, 2))
        total = ((goal - goal.mean((0, 2), keepdim=True)) ** 2).mean((0, 2))
        r2 = 1.0 - residual / total.clamp_min(1e-12)
    return {f"descriptors/r2_{name}": float(v) for name, v in zip(LOGICS, r2, strict=True)}


class InvestorImitatorPolicy(Policy):
    """Descriptors plus selector; ``act`` gives weights or their logs (softmax envs)."""

    def __init__(
        self, layout: ObservationLayout, config: InvestorImitatorConfig, *, emit_weights: bool
    ) -> None:
        super().__init__()
        self.layout, self.emit_weights = layout, emit_weights
        per_asset = layout.window * layout.features
        self.descriptors = LogicDescriptors(per_asset, config.descriptor_hidden)
        obs_dim = 1
        for d in layout.shape:
            obs_dim *= d
        state_dim = obs_dim + len(LOGICS) * layout.assets
        self.selector = mlp(state_dim, config.hidden_sizes, len(LOGICS))

    def asset_windows(self, obs: Tensor) -> Tensor:
        """Per-asset windows [B, A, W*F] (bars then features)."""
        windows = self.layout.windows(obs)  # [B, F, A, W]
        return windows.permute(0, 2, 3, 1).reshape(obs.shape[0], self.layout.assets, -1)

    def logits_and_scores(self, obs: Tensor) -> tuple[Tensor, Tensor]:
        with torch.no_grad():
            scores = self.descriptors(self.asset_windows(obs))
        state = torch.cat([obs.flatten(1).float(), scores.flatten(1)], dim=1)
        return self.selector(state), scores

    def action_for(self, scores: Tensor, choice: Tensor) -> Tensor:
        picked = scores[torch.arange(scores.shape[0], device=scores.device), choice]
        log_w = torch.log_softmax(picked, dim=1)
        cash = torch.full_like(log_w[:, :1], -60.0)  # weight e^-60: no cash asset
        log_weights = torch.cat([cash, log_w], dim=1)
        if not self.emit_weights:
            return log_weights
        weights = torch.cat([torch.zeros_like(cash), log_w.exp()], dim=1)
        return weights / weights.sum(1, keepdim=True)

    @torch.no_grad()
    def act(self, obs: Tensor, *, deterministic: bool, action_mask: Tensor | None = None) -> Tensor:
        logits, scores = self.logits_and_scores(obs)
        if deterministic:
            choice = logits.argmax(1)
        else:
            choice = torch.distributions.Categorical(logits=logits).sample()
        return self.action_for(scores, choice)


class InvestorImitator(Algorithm):
    """Descriptors fitted at construction, then REINFORCE on the selector."""

    name: ClassVar[str] = "investor_imitator"
    policy: InvestorImitatorPolicy

    def __init__(
        self, env: VecEnv, config: InvestorImitatorConfig, *, seed: int, device: torch.device
    ) -> None:
        if not isinstance(env, PortfolioManagementEnv):
            raise ValueError(
                f"investor_imitator trades the portfolio management env, was {type(env).__name__}"
            )
        self.env, self.config, self.device = env, config, torch.device(device)
        layout = ObservationLayout(env.observation_shape, env.num_assets, env.window)
        close = env.close_prices()
        h = config.descriptor_horizon
        if close.shape[0] - h - (env.window - 1) < 2:
            raise ValueError(
                f"agent_params.descriptor_horizon={h} leaves fewer than 2 training bars after "
                f"the window of {env.window}"
            )
        decisions = torch.arange(env.window - 1, close.shape[0] - h, device=close.device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.policy = InvestorImitatorPolicy(
                layout, config, emit_weights=not env.action_is_logits
            )
            self.policy.to(self.device)
            windows = self._bar_windows(env, decisions)
            self.descriptor_metrics = fit_descriptors(
                self.policy.descriptors,
                windows,
                logic_targets(close, h)[decisions].to(self.device),
                epochs=config.descriptor_epochs,
                lr=config.descriptor_lr,
            )
        self.optimizer = adam(self.policy.selector.parameters(), lr=config.learning_rate)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed)
        self.obs = env.reset(seed=seed).to(self.device)
        self.global_step = 0
        self.episodes = EpisodeStats()
        self._reported = False

    def _bar_windows(self, env: PortfolioManagementEnv, bars: Tensor) -> Tensor:
        """Per-asset windows [K, A, W*F] at ``bars``, through the observation layout."""
        windows, _ = env.movement_dataset()  # rows: bars window-1 .. T-2
        rows = windows[bars - (env.window - 1)]
        fake_obs = (
            torch.cat([rows, rows.new_zeros(rows.shape[0], env.num_assets + 1)], dim=1)
            if env.flatten_observation
            else torch.cat([rows, rows.new_zeros(*rows.shape[:2], 1)], dim=2)
        )
        return self.policy.asset_windows(fake_obs.to(self.device))

    def train_iteration(self) -> dict[str, float]:
        c = self.config
        obs_rows, choices, rewards, dones = [], [], [], []
        for _ in range(c.num_steps):
            with torch.no_grad():
                logits, scores = self.policy.logits_and_scores(self.obs)
                probs = torch.softmax(logits, dim=1)
                choice = torch.multinomial(probs, 1, generator=self.generator).squeeze(1)
            result = self.env.step(self.policy.action_for(scores, choice).to(self.env.device))
            done = (result.terminated | result.truncated).to(self.device)
            obs_rows.append(self.obs)
            choices.append(choice)
            rewards.append(result.reward.to(self.device).float())
            dones.append(done)
            self.episodes.record(result.info, done)
            self.obs = result.obs.to(self.device)
            self.global_step += self.env.num_envs
        returns = discounted_returns(torch.stack(rewards), torch.stack(dones), c.gamma).flatten()
        advantage = (returns - returns.mean()) / (returns.std(correction=0) + 1e-8)
        logits, _ = self.policy.logits_and_scores(torch.cat(obs_rows))
        dist = torch.distributions.Categorical(logits=logits)
        pg_loss = -(advantage * dist.log_prob(torch.cat(choices))).mean()
        entropy = dist.entropy().mean()
        self.optimizer.zero_grad(set_to_none=True)
        (pg_loss - c.ent_coef * entropy).backward()
        nn.utils.clip_grad_norm_(self.policy.selector.parameters(), c.max_grad_norm)
        self.optimizer.step()
        share = torch.bincount(torch.cat(choices), minlength=len(LOGICS)).float()
        metrics = {
            "losses/policy_loss": float(pg_loss.detach()),
            "losses/entropy": float(entropy.detach()),
        }
        for name, value in zip(LOGICS, share / share.sum(), strict=True):
            metrics[f"charts/choice_{name}"] = float(value)
        if not self._reported:
            metrics.update(self.descriptor_metrics)
            self._reported = True
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
            "reported": self._reported,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.policy.load_state_dict(state["policy"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.env.load_state_dict(state["env"])
        self.obs = state["obs"].clone().to(self.device)
        self.global_step = int(state["global_step"])
        self.episodes.load_state_dict(state["episodes"])
        self._reported = bool(state["reported"])

"""EIIE (Jiang, Xu & Liang 2017): ensemble of identical independent evaluators for portfolios.

One small conv net scores every asset from its own feature window (weights shared across
assets), the asset's previous weight joins before the last 1x1 conv, a learnable cash bias scores
cash, and a softmax over [cash, assets] gives the portfolio. Training is direct gradient ascent on
the log portfolio return after commission, ``log(mu_t * w_t . y_{t+1})`` with the paper's
approximation ``mu_t = 1 - c * sum_i |w'_{t,i} - w_{t,i}|``, using the portfolio vector memory
(PVM) for previous weights and online stochastic batch learning: each update takes
``batch_size`` consecutive periods of one env's history, starting at a geometrically distributed
distance from the newest period (recent data preferred).

Env contract: a continuous action over [cash, A assets] (``PortfolioManagementEnv``), attributes
``num_assets`` and ``window``, and the observation layout of that env (flattened
``[window * A * F + A + 1]`` or per-asset ``[A, window * F + 1]``). With ``action_is_logits`` the
policy emits log-weights (the env's softmax recovers the weights); with a ``[0, 1]`` box it emits
the weights. Price relatives ``y`` are taken from ``info["price_relatives"]`` [N, A] when the env
provides them, else recovered exactly from the reward and the drifted weights in the next
observation: ``y_i = w'_i * exp(r) / w_i`` (target units are ``V_t * w_i / close_t``, and costs
are paid from cash).
"""

from __future__ import annotations

import copy
import logging
import math
import time
from typing import TYPE_CHECKING, Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from trademaster.agents.base import Algorithm, EpisodeStats, Policy
from trademaster.agents.config import EIIEConfig
from trademaster.agents.sac import init_models_seeded

if TYPE_CHECKING:
    from trademaster.envs.base import VecEnv

_LOGGER = logging.getLogger(__name__)

# Below this chosen weight the drift of an asset says nothing reliable about its price relative.
_MIN_WEIGHT_FOR_RELATIVE = 1e-9


class ObservationLayout:
    """Splits a portfolio observation into the feature block [B, F, A, W] and the weights."""

    def __init__(self, observation_shape: tuple[int, ...], num_assets: int, window: int) -> None:
        self.shape = observation_shape
        self.assets = num_assets
        self.window = window
        if len(observation_shape) == 1:
            block = observation_shape[0] - num_assets - 1
            self.flat = True
        elif len(observation_shape) == 2 and observation_shape[0] == num_assets:
            block = num_assets * (observation_shape[1] - 1)
            self.flat = False
        else:
            raise ValueError(
                f"observation_shape must be [W*A*F + A + 1] or [A, W*F + 1] with A={num_assets}, "
                f"was {observation_shape}"
            )
        if block <= 0 or block % (num_assets * window):
            raise ValueError(
                f"observation_shape {observation_shape} does not hold window={window} x "
                f"assets={num_assets} x features"
            )
        self.features = block // (num_assets * window)

    def windows(self, obs: Tensor) -> Tensor:
        """Feature windows as conv input [B, F, A, W]."""
        b, a, w, f = obs.shape[0], self.assets, self.window, self.features
        if self.flat:
            return obs[:, : w * a * f].reshape(b, w, a, f).permute(0, 3, 2, 1).float()
        return obs[:, :, : w * f].reshape(b, a, w, f).permute(0, 3, 1, 2).float()

    def weights(self, obs: Tensor) -> Tensor:
        """Current weights over [cash, assets], [B, A + 1]."""
        if self.flat:
            return obs[:, -(self.assets + 1) :].float()
        asset_w = obs[:, :, -1].float()
        return torch.cat([1.0 - asset_w.sum(1, keepdim=True), asset_w], dim=1)


class EIIENetwork(Policy):
    """The CNN EIIE; ``act`` returns log-weights (for logit envs) or weights (simplex envs)."""

    def __init__(
        self,
        layout: ObservationLayout,
        conv_channels: tuple[int, int],
        kernel_size: int,
        *,
        emit_weights: bool,
    ) -> None:
        super().__init__()
        if not 1 <= kernel_size <= layout.window:
            raise ValueError(
                f"kernel_size must be in [1, window={layout.window}], was {kernel_size}"
            )
        self.layout = layout
        self.emit_weights = emit_weights
        c1, c2 = conv_channels
        self.conv1 = nn.Conv2d(layout.features, c1, kernel_size=(1, kernel_size))
        self.conv2 = nn.Conv2d(c1, c2, kernel_size=(1, layout.window - kernel_size + 1))
        self.conv3 = nn.Conv2d(c2 + 1, 1, kernel_size=(1, 1))
        self.cash_bias = nn.Parameter(torch.zeros(1))

    def log_weights(self, windows: Tensor, prev_asset_weights: Tensor) -> Tensor:
        """Log portfolio weights [B, A + 1] from windows [B, F, A, W] and previous weights."""
        h = F.relu(self.conv1(windows))
        h = F.relu(self.conv2(h))
        h = torch.cat([h, prev_asset_weights[:, None, :, None]], dim=1)
        scores = self.conv3(h)[:, 0, :, 0]
        cash = self.cash_bias.expand(scores.shape[0], 1)
        return torch.log_softmax(torch.cat([cash, scores], dim=1), dim=1)

    def forward(self, obs: Tensor) -> Tensor:
        return self.log_weights(self.layout.windows(obs), self.layout.weights(obs)[:, 1:])

    def act(self, obs: Tensor, *, deterministic: bool, action_mask: Tensor | None = None) -> Tensor:
        with torch.no_grad():
            log_w = self(obs)
        return log_w.exp() if self.emit_weights else log_w


def drift(weights: Tensor, relatives: Tensor) -> Tensor:
    """Weights [B, A + 1] after prices move by asset ``relatives`` [B, A] (cash relative 1)."""
    grown = weights * torch.cat([torch.ones_like(relatives[:, :1]), relatives], dim=1)
    return grown / grown.sum(1, keepdim=True)


def log_return_after_commission(
    weights: Tensor, prev_drifted: Tensor, relatives: Tensor, commission_rate: float
) -> Tensor:
    """``log(mu * w . y)`` per row with ``mu = 1 - c * sum_i |w'_i - w_i|`` over assets."""
    turnover = (prev_drifted[:, 1:] - weights[:, 1:]).abs().sum(1)
    mu = (1.0 - commission_rate * turnover).clamp_min(1e-6)
    growth = weights[:, 0] + (weights[:, 1:] * relatives).sum(1)
    return torch.log(mu) + torch.log(growth.clamp_min(1e-12))


class EIIE(Algorithm):
    """EIIE trained online: each iteration steps the envs, then takes mini-batch updates."""

    name: ClassVar[str] = "eiie"

    def __init__(self, env: VecEnv, config: EIIEConfig, *, seed: int, device: torch.device) -> None:
        spec = env.action_spec
        num_assets = getattr(env, "num_assets", None)
        window = getattr(env, "window", None)
        if num_assets is None or window is None:
            raise ValueError("EIIE needs a portfolio env exposing num_assets and window")
        if spec.kind != "continuous" or spec.shape != (num_assets + 1,):
            raise ValueError(
                f"EIIE needs continuous actions of shape ({num_assets + 1},), "
                f"was {spec.kind} {spec.shape}"
            )
        self.env = env
        self.config = config
        self.device = torch.device(device)
        self.layout = ObservationLayout(env.observation_shape, num_assets, window)
        emit_weights = spec.low == 0.0 and spec.high == 1.0
        net = init_models_seeded(
            seed,
            lambda: EIIENetwork(
                self.layout, config.conv_channels, config.kernel_size, emit_weights=emit_weights
            ),
        )
        self.network: EIIENetwork = net.to(self.device)
        self.policy = self.network
        self.optimizer = torch.optim.Adam(
            self.network.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
        )
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed)
        n, cap = env.num_envs, config.buffer_size
        self.obs_history = torch.zeros(
            (n, cap, *env.observation_shape), dtype=torch.float32, device=self.device
        )
        self.relatives = torch.ones((n, cap, num_assets), dtype=torch.float32, device=self.device)
        self.pvm = torch.zeros((n, cap, num_assets + 1), dtype=torch.float32, device=self.device)
        self.episode_start = torch.zeros((n, cap), dtype=torch.bool, device=self.device)
        self.pos = 0
        self.size = 0
        self.episodes = EpisodeStats()
        self.global_step = 0
        self.obs = env.reset(seed=seed).to(self.device)
        self.fresh = torch.ones(n, dtype=torch.bool, device=self.device)

    def _price_relatives(self, weights: Tensor, reward: Tensor, next_obs: Tensor) -> Tensor:
        drifted = self.layout.weights(next_obs)[:, 1:].double()
        chosen = weights[:, 1:].double()
        y = drifted * reward.double().exp()[:, None] / chosen.clamp_min(_MIN_WEIGHT_FOR_RELATIVE)
        return torch.where(chosen > _MIN_WEIGHT_FOR_RELATIVE, y, torch.ones_like(y)).float()

    def _collect(self) -> None:
        with torch.no_grad():
            log_w = self.network(self.obs)
        weights = log_w.exp()
        result = self.env.step(weights if self.network.emit_weights else log_w)
        done = result.terminated | result.truncated
        next_obs = result.obs.to(self.device)
        if "price_relatives" in result.info:
            relatives = result.info["price_relatives"].to(self.device).float()
        else:
            real_next = next_obs
            if bool(done.any()):
                mask = done.to(self.device).reshape(-1, *([1] * (next_obs.dim() - 1)))
                real_next = torch.where(mask, result.info["final_observation"], next_obs)
            relatives = self._price_relatives(weights, result.reward, real_next)
        i = self.pos
        self.obs_history[:, i] = self.obs
        self.relatives[:, i] = relatives
        self.pvm[:, i] = weights
        self.episode_start[:, i] = self.fresh
        self.pos = (self.pos + 1) % self.config.buffer_size
        self.size = min(self.size + 1, self.config.buffer_size)
        self.episodes.record(result.info, done)
        self.fresh = done.to(self.device)
        self.obs = next_obs
        self.global_step += self.env.num_envs

    def _sample_start(self) -> tuple[int, int]:
        """Env index and logical start (oldest = 0) of a batch, geometrically near the newest."""
        cfg = self.config
        span = self.size - cfg.batch_size  # starts 1..span keep a previous period in memory
        u = torch.rand((), generator=self.generator, device=self.device).item()
        back = int(math.log1p(-u) / math.log1p(-cfg.sample_bias)) % span
        env_index = int(
            torch.randint(0, self.env.num_envs, (), generator=self.generator, device=self.device)
        )
        return env_index, span - back

    def _update(self) -> dict[str, float]:
        cfg = self.config
        env_index, start = self._sample_start()
        oldest = (self.pos - self.size) % cfg.buffer_size
        logical = torch.arange(start - 1, start + cfg.batch_size, device=self.device)
        idx = (oldest + logical) % cfg.buffer_size
        prev_idx, cur_idx = idx[:-1], idx[1:]
        relatives = self.relatives[env_index]
        episode_start = self.episode_start[env_index, cur_idx]
        carried = drift(self.pvm[env_index, prev_idx], relatives[prev_idx])
        cash_only = torch.zeros_like(carried)
        cash_only[:, 0] = 1.0
        prev_drifted = torch.where(episode_start[:, None], cash_only, carried)
        obs = self.obs_history[env_index, cur_idx]
        log_w = self.network.log_weights(self.layout.windows(obs), prev_drifted[:, 1:])
        weights = log_w.exp()
        rewards = log_return_after_commission(
            weights, prev_drifted, relatives[cur_idx], cfg.commission_rate
        )
        loss = -rewards.mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.pvm[env_index, cur_idx] = weights.detach()
        return {
            "losses/policy_loss": loss.item(),
            "charts/batch_log_return": rewards.mean().item(),
            "charts/cash_weight": weights[:, 0].mean().item(),
        }

    def train_iteration(self) -> dict[str, float]:
        start = time.perf_counter()
        cfg = self.config
        for _ in range(cfg.steps_per_iteration):
            self._collect()
        sums: dict[str, float] = {}
        can_learn = self.global_step >= cfg.learning_starts and self.size > cfg.batch_size
        if can_learn:
            for _ in range(cfg.updates_per_iteration):
                for key, value in self._update().items():
                    sums[key] = sums.get(key, 0.0) + value
        metrics = {key: value / cfg.updates_per_iteration for key, value in sums.items()}
        elapsed = time.perf_counter() - start
        steps = cfg.steps_per_iteration * self.env.num_envs
        metrics["charts/SPS"] = steps / elapsed if elapsed > 0 else 0.0
        self.episodes.drain(metrics)
        return metrics

    def state_dict(self) -> dict[str, Any]:
        n = self.size
        order = (torch.arange(n, device=self.device) + self.pos - n) % self.config.buffer_size
        return {
            "network": {k: v.detach().clone() for k, v in self.network.state_dict().items()},
            "optimizer": copy.deepcopy(self.optimizer.state_dict()),
            "generator": self.generator.get_state(),
            # History is saved oldest-first so a resume never copies unused capacity.
            "obs_history": self.obs_history[:, order].clone(),
            "relatives": self.relatives[:, order].clone(),
            "pvm": self.pvm[:, order].clone(),
            "episode_start": self.episode_start[:, order].clone(),
            "episodes": self.episodes.state_dict(),
            "global_step": self.global_step,
            "obs": self.obs.clone(),
            "fresh": self.fresh.clone(),
            "env": self.env.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        n = state["pvm"].shape[1]
        cap = self.config.buffer_size
        if n > cap:
            raise ValueError(f"state holds {n} periods, buffer_size is {cap}")
        self.network.load_state_dict(state["network"])
        self.optimizer.load_state_dict(copy.deepcopy(state["optimizer"]))
        self.generator.set_state(state["generator"])
        for key in ("obs_history", "relatives", "pvm", "episode_start"):
            getattr(self, key)[:, :n] = state[key].to(self.device)
        self.size = n
        self.pos = n % cap
        self.episodes.load_state_dict(state["episodes"])
        self.global_step = int(state["global_step"])
        self.obs = state["obs"].to(self.device).clone()
        self.fresh = state["fresh"].to(self.device).clone()
        self.env.load_state_dict(state["env"])

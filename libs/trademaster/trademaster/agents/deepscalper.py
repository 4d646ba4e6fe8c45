"""DeepScalper (Sun et al. 2022, "DeepScalper: a risk-aware reinforcement learning framework to
capture fleeting intraday trading opportunities") on the algorithmic-trading env.

Three parts of the published method, on the platform's one fill and cost model:

* **Action branching** (Tavakoli et al.'s BDQ): a shared trunk, one state value and one
  advantage head per action dimension, ``Q_d(s, a_d) = V(s) + A_d(s, a_d) - mean A_d(s, .)``.
  The paper branches over a limit order's price and quantity; the env fills market orders at
  the next bar, so the branches are the target's side (short/flat/long) and size (a magnitude
  of ``env.position_levels``); the pair maps to one env action. The TD target is shared:
  ``y = r + gamma * mean_d Q_d^-(s', argmax Q_d(s', .))`` (double Q), and the loss is the mean
  over branches of ``(y - Q_d(s, a_d))^2``.
* **Hindsight bonus**: the replayed reward is the env's log return plus ``hindsight_weight`` x
  the chosen exposure x ``log(close[t+1+h] / close[t+1])``, the move over the ``h`` bars after
  the fill, so a position is credited for the trend it rides, not only for the next bar.
* **Risk-aware auxiliary task**: a head on the trunk regresses the standard deviation of the
  log returns over those ``h`` bars (scaled by its mean over the training series); its MSE is
  added with ``volatility_coef``, shaping the shared representation with the coming risk.

Both labels read future closes of the training env's own series by design: they only label
replayed transitions; the policy acts on observations alone.
"""

from __future__ import annotations

import copy
import logging
import math
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from trademaster.agents.base import Algorithm, EpisodeStats, Policy
from trademaster.agents.config_published import DeepScalperConfig
from trademaster.agents.networks import MLP, adam
from trademaster.envs.algorithmic import AlgorithmicTradingEnv
from trademaster.envs.base import VecEnv

_LOGGER = logging.getLogger(__name__)


def branch_table(exposures: list[float]) -> tuple[Tensor, int]:
    """Env action index per (side, size) pair, and the flat action's index.

    Sides are the signs present among the exposures (short, flat, long); sizes the distinct
    non-zero magnitudes. Every side must offer every size, else the branches cannot express
    the env's actions and ``env.position_levels`` is refused.
    """
    flat = exposures.index(0.0)
    signs = sorted({int(math.copysign(1, x)) if x else 0 for x in exposures})
    sizes = sorted({abs(x) for x in exposures if x})
    table = torch.full((len(signs), max(len(sizes), 1)), flat, dtype=torch.long)
    for i, sign in enumerate(signs):
        for j, size in enumerate(sizes):
            if sign == 0:
                continue
            if sign * size not in exposures:
                raise ValueError(
                    "deepscalper branches over side and size, so env.position_levels must "
                    f"offer every size on each side, missing {sign * size} in {exposures}"
                )
            table[i, j] = exposures.index(sign * size)
    return table, flat


def future_labels(close: Tensor, horizon: int) -> tuple[Tensor, Tensor]:
    """Per decision bar t: the log move ``close[t+1+h] / close[t+1]`` and the std (ddof 0) of the
    log returns over those bars, both cut at the series end (float32)."""
    last = close.shape[0] - 1
    log_close = torch.log(close.double())
    idx = torch.arange(close.shape[0])
    start = (idx + 1).clamp(max=last)
    end = (idx + 1 + horizon).clamp(max=last)
    move = log_close[end] - log_close[start]
    returns = torch.diff(log_close)
    vol = torch.zeros(close.shape[0], dtype=torch.float64)
    for t in range(close.shape[0]):
        window = returns[int(start[t]) : int(end[t])]
        if window.numel() > 0:
            vol[t] = window.std(correction=0)
    return move.float(), vol.float()


class BranchingQNetwork(nn.Module):
    """Shared trunk, state value, one advantage head per branch, and the volatility head."""

    def __init__(self, obs_dim: int, branches: tuple[int, ...], hidden: tuple[int, ...]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        last = obs_dim
        for width in hidden:
            layers += [nn.Linear(last, width), nn.ReLU()]
            last = width
        self.trunk = MLP(*layers)
        self.value = nn.Linear(last, 1)
        self.advantages = nn.ModuleList(nn.Linear(last, n) for n in branches)
        self.volatility = nn.Linear(last, 1)

    def forward(self, obs: Tensor) -> tuple[list[Tensor], Tensor]:
        """Q-values per branch ([N, n_d] each) and the predicted (scaled) volatility [N]."""
        z = self.trunk(obs.flatten(1))
        value = self.value(z)
        qs = [value + a - a.mean(dim=1, keepdim=True) for a in (h(z) for h in self.advantages)]
        return qs, self.volatility(z).squeeze(1)


class DeepScalperPolicy(Policy):
    """Greedy per branch, composed into the env's action index."""

    table: Tensor

    def __init__(self, network: BranchingQNetwork, table: Tensor) -> None:
        super().__init__()
        self.network = network
        self.register_buffer("table", table)

    @torch.no_grad()
    def act(
        self, obs: Tensor, *, deterministic: bool = True, action_mask: Tensor | None = None
    ) -> Tensor:
        qs, _ = self.network(obs.float())
        return self.table[qs[0].argmax(1), qs[1].argmax(1)]


class _Replay:
    """Flat ring of transitions with the hindsight-shaped reward and the volatility label."""

    def __init__(self, capacity: int, obs_dim: int, device: torch.device) -> None:
        def zeros(*shape: int, dtype: torch.dtype = torch.float32) -> Tensor:
            return torch.zeros(shape, dtype=dtype, device=device)

        self.store = {
            "obs": zeros(capacity, obs_dim),
            "next_obs": zeros(capacity, obs_dim),
            "side": zeros(capacity, dtype=torch.long),
            "size": zeros(capacity, dtype=torch.long),
            "reward": zeros(capacity),
            "terminated": zeros(capacity, dtype=torch.bool),
            "volatility": zeros(capacity),
        }
        self.capacity, self.pos, self.count = capacity, 0, 0

    def add(self, **rows: Tensor) -> None:
        n = next(iter(rows.values())).shape[0]
        idx = (self.pos + torch.arange(n, device=rows["obs"].device)) % self.capacity
        for key, value in rows.items():
            self.store[key][idx] = value.to(self.store[key].dtype)
        self.pos = (self.pos + n) % self.capacity
        self.count = min(self.count + n, self.capacity)

    def sample(self, batch: int, generator: torch.Generator) -> dict[str, Tensor]:
        device = self.store["obs"].device
        idx = torch.randint(0, self.count, (batch,), generator=generator, device=device)
        return {key: value[idx] for key, value in self.store.items()}

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {k: v.clone() for k, v in self.store.items()}
        return {**state, "pos": self.pos, "count": self.count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, value in self.store.items():
            value.copy_(state[key])
        self.pos, self.count = int(state["pos"]), int(state["count"])


class DeepScalper(Algorithm):
    """Branching double DQN with the hindsight bonus and the volatility auxiliary loss."""

    name: ClassVar[str] = "deepscalper"

    def __init__(
        self, env: VecEnv, config: DeepScalperConfig, *, seed: int, device: torch.device
    ) -> None:
        if not isinstance(env, AlgorithmicTradingEnv):
            raise ValueError(
                f"deepscalper trades the algorithmic trading env, was {type(env).__name__}"
            )
        self.env, self.config, self.device = env, config, torch.device(device)
        exposures = env.level_exposures()
        table, _ = branch_table(exposures)
        self.exposures = torch.tensor(exposures, dtype=torch.float32, device=self.device)
        move, vol = future_labels(env.close_prices().cpu(), config.hindsight_horizon)
        positive = vol[vol > 0]
        self.vol_scale = float(positive.mean()) if positive.numel() else 1.0
        self.move, self.vol = move.to(self.device), vol.to(self.device)
        obs_dim = math.prod(env.observation_shape)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.network = BranchingQNetwork(obs_dim, tuple(table.shape), config.hidden_sizes)
        self.network.to(self.device)
        self.target = copy.deepcopy(self.network).requires_grad_(False)
        self.table = table.to(self.device)
        self.policy = DeepScalperPolicy(self.network, self.table)
        self.optimizer = adam(self.network.parameters(), lr=config.learning_rate)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed)
        self.replay = _Replay(config.buffer_size, obs_dim, self.device)
        self.obs = env.reset(seed=seed).to(self.device).flatten(1).float()
        self.global_step = 0
        self.gradient_updates = 0
        self.last_target_update = 0
        self.episodes = EpisodeStats()
        self._stats: list[tuple[float, float, float]] = []
        self._bonus: list[float] = []

    def epsilon(self) -> float:
        c = self.config
        frac = min(1.0, self.global_step / c.exploration_steps)
        return c.exploration_initial_eps + frac * (
            c.exploration_final_eps - c.exploration_initial_eps
        )

    def _choose(self, eps: float) -> tuple[Tensor, Tensor]:
        n, table = self.obs.shape[0], self.table
        with torch.no_grad():
            qs, _ = self.network(self.obs)
        picks = []
        for d, q in enumerate(qs):
            rand = torch.randint(
                0, table.shape[d], (n,), generator=self.generator, device=self.device
            )
            explore = torch.rand((n,), generator=self.generator, device=self.device) < eps
            picks.append(torch.where(explore, rand, q.argmax(1)))
        return picks[0], picks[1]

    def _collect_step(self) -> None:
        side, size = self._choose(self.epsilon())
        action = self.table[side, size]
        t = self.env.decision_bars().to(self.device)
        result = self.env.step(action.to(self.env.device))
        done = (result.terminated | result.truncated).to(self.device)
        final = result.info["final_observation"].to(self.device).flatten(1).float()
        next_obs = result.obs.to(self.device).flatten(1).float()
        bonus = self.config.hindsight_weight * self.exposures[action] * self.move[t]
        self.replay.add(
            obs=self.obs,
            next_obs=torch.where(done.unsqueeze(1), final, next_obs),
            side=side,
            size=size,
            reward=result.reward.to(self.device) + bonus,
            terminated=result.terminated.to(self.device),
            volatility=self.vol[t] / self.vol_scale,
        )
        self._bonus.append(float(bonus.mean()))
        self.episodes.record(result.info, done)
        self.obs = next_obs
        self.global_step += self.obs.shape[0]

    def _update(self) -> None:
        c = self.config
        batch = self.replay.sample(c.batch_size, self.generator)
        qs, vol_pred = self.network(batch["obs"])
        with torch.no_grad():
            online_next, _ = self.network(batch["next_obs"])
            target_next, _ = self.target(batch["next_obs"])
            next_value = torch.stack(
                [
                    tq.gather(1, oq.argmax(1, keepdim=True)).squeeze(1)
                    for oq, tq in zip(online_next, target_next, strict=True)
                ]
            ).mean(0)
            y = batch["reward"] + c.gamma * (~batch["terminated"]).float() * next_value
        taken = [
            qs[0].gather(1, batch["side"].unsqueeze(1)),
            qs[1].gather(1, batch["size"].unsqueeze(1)),
        ]
        td_loss = torch.stack([((y - q.squeeze(1)) ** 2).mean() for q in taken]).mean()
        vol_loss = ((vol_pred - batch["volatility"]) ** 2).mean()
        loss = td_loss + c.volatility_coef * vol_loss
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.network.parameters(), c.max_grad_norm)
        self.optimizer.step()
        self.gradient_updates += 1
        q_mean = float(torch.stack([q.detach().mean() for q in taken]).mean())
        self._stats.append((float(td_loss.detach()), float(vol_loss.detach()), q_mean))

    def train_iteration(self) -> dict[str, float]:
        c = self.config
        for _ in range(c.train_frequency):
            self._collect_step()
        if self.global_step >= c.learning_starts and self.replay.count > 0:
            for _ in range(c.gradient_steps):
                self._update()
        if self.global_step - self.last_target_update >= c.target_update_interval:
            self.target.load_state_dict(self.network.state_dict())
            self.last_target_update = self.global_step
        metrics = {"charts/epsilon": self.epsilon()}
        if self._stats:
            td, vol, q = (sum(x) / len(x) for x in zip(*self._stats, strict=True))
            metrics.update(
                {"losses/td_loss": td, "losses/volatility_loss": vol, "losses/q_values": q}
            )
            self._stats.clear()
        metrics["charts/hindsight_bonus"] = sum(self._bonus) / max(len(self._bonus), 1)
        self._bonus.clear()
        self.episodes.drain(metrics)
        return metrics

    def state_dict(self) -> dict[str, Any]:
        return {
            "network": self.network.state_dict(),
            "target": self.target.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "replay": self.replay.state_dict(),
            "generator": self.generator.get_state(),
            "env": self.env.state_dict(),
            "obs": self.obs.clone(),
            "counters": (self.global_step, self.gradient_updates, self.last_target_update),
            "episodes": self.episodes.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.network.load_state_dict(state["network"])
        self.target.load_state_dict(state["target"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.replay.load_state_dict(state["replay"])
        self.generator.set_state(state["generator"])
        self.env.load_state_dict(state["env"])
        self.obs = state["obs"].clone().to(self.device)
        self.global_step, self.gradient_updates, self.last_target_update = (
            int(x) for x in state["counters"]
        )
        self.episodes.load_state_dict(state["episodes"])

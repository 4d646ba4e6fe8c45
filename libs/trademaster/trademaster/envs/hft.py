"""High-frequency trading on LOB snapshots: discrete target positions with action masking.

Actions index target positions {−M, …, 0, …, +M} × ``lot_size`` units (n = 2M + 1). Timing:
at snapshot t the agent sees snapshots t-window+1..t and its position (in lots); the order to
reach the target crosses the spread at snapshot t+1 (buys at the best ask, sells at the best
bid) through the shared market model, with fees. The account is marked at mid[t+1].

Mask: every target is within ±M by construction; when ``max_spread_bps`` is set and the spread
at t is wider, only the hold action (target = current position) is valid. A masked action is
treated as hold. ``info["action_mask"]`` carries the mask for the next observation.

Reward: log(V_{t+1} / V_t) or V_{t+1} / V_t − 1 after costs, with V marked at mid. Episodes run
``episode_length`` steps from a random start or the whole book (``truncated`` at the end).

``info`` carries each step's fill (``traded`` units, ``fill_price`` before slippage, ``fees``,
``slippage_cost``) and the account after it (``cash``, ``positions``), so a backtest replays a
policy through this very fill and cost model.
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch import Tensor

from trademaster.envs.base import ActionSpec, StepResult
from trademaster.envs.episodes import EpisodeClock, EpisodicEnv, resolve_episode_length
from trademaster.envs.lob import book_feature_windows, book_tensors
from trademaster.market.accounting import mark_to_market, rebalance_to_target_positions
from trademaster.market.costs import CostModel

_LOGGER = logging.getLogger(__name__)


class HighFrequencyTradingEnv(EpisodicEnv):
    """Batched masked target-position env over one order book; see the module docstring."""

    _STATE_KEYS = ("t", "elapsed", "position_idx", "cash", "positions", "value", "episode_return")

    def __init__(
        self,
        book: Any,
        *,
        num_envs: int = 1,
        window: int = 10,
        episode_length: int | None = None,
        max_position: int = 2,
        lot_size: float = 0.01,
        max_spread_bps: float | None = None,
        initial_cash: float = 100_000.0,
        cost_model: CostModel | None = None,
        reward: str = "log_return",
        device: torch.device | str = "cpu",
        seed: int = 0,
    ) -> None:
        self.device = torch.device(device)
        self.num_envs = int(num_envs)
        if self.num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, was {num_envs}")
        if window < 1:
            raise ValueError(f"window must be >= 1, was {window}")
        if max_position < 1 or not lot_size > 0:
            raise ValueError(
                f"max_position must be >= 1 and lot_size > 0, were {max_position}, {lot_size}"
            )
        if reward not in ("log_return", "simple_return"):
            raise ValueError(f"reward must be 'log_return' or 'simple_return', was {reward!r}")
        self.window, self.max_position, self.lot_size = int(window), int(max_position), lot_size
        self.max_spread_bps = max_spread_bps
        self.initial_cash = float(initial_cash)
        self.cost_model = cost_model or CostModel()
        self._log_reward = reward == "log_return"
        self._book = book_tensors(book, self.device)
        steps = len(self._book)
        max_length = steps - self.window
        if max_length < 1:
            raise ValueError(f"book needs > window={self.window} snapshots, had {steps}")
        self.episode_length = resolve_episode_length(episode_length, max_length, source="book")
        self._windows = book_feature_windows(self._book, self.window)
        self._mid = self._book.mid
        self._spread_ok = (
            torch.ones(steps, dtype=torch.bool, device=self.device)
            if max_spread_bps is None
            else self._book.spread_bps <= max_spread_bps
        )
        n_actions = 2 * self.max_position + 1
        self._targets = (
            torch.arange(n_actions, dtype=torch.float64, device=self.device) - self.max_position
        ) * lot_size
        self._action_ids = torch.arange(n_actions, device=self.device)
        self.observation_shape = (self._windows.shape[1] + 1,)
        self.action_spec = ActionSpec.discrete(n_actions)
        self._clock = EpisodeClock(
            self.num_envs,
            first_start=self.window - 1,
            num_starts=max_length - self.episode_length + 1,
            device=self.device,
            seed=seed,
        )
        n, f64 = self.num_envs, torch.float64
        self._t = torch.zeros(n, dtype=torch.long, device=self.device)
        self._elapsed = torch.zeros(n, dtype=torch.long, device=self.device)
        self._position_idx = torch.full(
            (n,), self.max_position, dtype=torch.long, device=self.device
        )
        self._cash = torch.full((n,), self.initial_cash, dtype=f64, device=self.device)
        self._positions = torch.zeros(n, dtype=f64, device=self.device)
        self._value = self._cash.clone()
        self._episode_return = torch.zeros(n, dtype=torch.float32, device=self.device)
        self._reset_envs(torch.ones(n, dtype=torch.bool, device=self.device))

    def _reset_envs(self, mask: Tensor) -> None:
        self._t = torch.where(mask, self._clock.draw_starts(), self._t)
        self._elapsed = torch.where(mask, 0, self._elapsed)
        self._position_idx = torch.where(mask, self.max_position, self._position_idx)
        self._cash = torch.where(mask, self.initial_cash, self._cash)
        self._positions = torch.where(mask, 0.0, self._positions)
        self._value = torch.where(mask, self.initial_cash, self._value)
        self._episode_return = torch.where(mask, 0.0, self._episode_return)

    def action_mask(self) -> Tensor:
        hold = self._action_ids.unsqueeze(0) == self._position_idx.unsqueeze(1)
        return hold | self._spread_ok[self._t].unsqueeze(1)

    def _observe(self) -> Tensor:
        lots = (self._position_idx - self.max_position).to(torch.float32).unsqueeze(1)
        return torch.cat([self._windows[self._t], lots], dim=1)

    def step(self, actions: Tensor) -> StepResult:
        idx = actions.to(device=self.device, dtype=torch.long).reshape(self.num_envs)
        idx = idx.clamp(0, self.action_spec.n - 1)  # type: ignore[operator]
        allowed = self.action_mask().gather(1, idx.unsqueeze(1)).squeeze(1)
        idx = torch.where(allowed, idx, self._position_idx)
        target = self._targets[idx]
        t_fill = self._t + 1
        buying = target > self._positions
        fill = torch.where(buying, self._book.ask_price[t_fill, 0], self._book.bid_price[t_fill, 0])
        cash, positions, traded, fees, slippage = rebalance_to_target_positions(
            self._cash, self._positions, target, fill, self.cost_model
        )
        value = mark_to_market(cash, positions, self._mid[t_fill])
        ratio = value / self._value
        raw = torch.log(ratio.clamp_min(1e-300)) if self._log_reward else ratio - 1.0
        reward = raw.to(torch.float32)
        self._cash, self._positions, self._value = cash, positions, value
        self._t, self._position_idx, self._elapsed = t_fill, idx, self._elapsed + 1
        self._episode_return = self._episode_return + reward
        terminated = value <= 0
        truncated = (self._elapsed >= self.episode_length) & ~terminated
        info = {
            "portfolio_value": value,
            "cash": cash,
            "positions": positions,
            "traded": traded,
            "fill_price": fill,
            "fees": fees,
            "slippage_cost": slippage,
        }
        result = self._finish_step(reward, terminated, truncated, info)
        result.info["action_mask"] = self.action_mask()
        return result

    def teacher_inputs(self) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """What a perfect-information teacher needs to plan on this env's own fill model:
        best bid and ask [T], the target positions [n] in units, and ``hold_only`` [T] (True
        where the spread mask allows no position change at that decision time)."""
        book = self._book
        return book.bid_price[:, 0], book.ask_price[:, 0], self._targets, ~self._spread_ok

    def decision_state(self) -> tuple[Tensor, Tensor]:
        """Per sub-env, the snapshot index the next action is decided at and the current
        position's action index (for looking up a teacher's plan; not an observation)."""
        return self._t, self._position_idx

    @property
    def portfolio_value(self) -> Tensor:
        return self._value

    @property
    def positions(self) -> Tensor:
        return self._positions

    @property
    def cash(self) -> Tensor:
        return self._cash

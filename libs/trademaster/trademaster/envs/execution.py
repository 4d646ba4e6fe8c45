"""Order execution: liquidate (sell) or acquire (buy) Q units over H steps on LOB snapshots.

Timing: at step k of an episode starting at snapshot s the agent sees snapshots up to
t = s + k, the remaining fraction of Q and the fraction of time left. Its order (a fraction of
the remaining quantity) is a market order filled against snapshot t+1, walking the book from
the best level (partial fill when visible depth runs out). On the last step (k = H−1) the whole
remainder is forced; depth beyond the last visible level fills at that level's price.

Reward (implementation shortfall vs TWAP, per step): a TWAP benchmark sends Q/H units at every
step against the same snapshots (its forced last step likewise). With proceeds P = notional −
fees for a sell and −(notional + fees) for a buy, reward_k = (P_agent,k − P_twap,k) / (Q ×
mid_s), i.e. the episode return is the cash advantage over TWAP in units of the arrival value.
Each order is evaluated against the unperturbed snapshot (no cross-impact between the agent
and the benchmark). Every episode runs the full H steps (``truncated`` at the horizon, never
``terminated``): an agent that finishes early keeps being compared with TWAP's remaining
schedule, otherwise dumping the whole order at once would skip TWAP's later fills and look like
a gain.

``info`` carries each step's fills of the agent and of TWAP (units, unsigned notional, fees), so
a backtest replays a policy through this very fill and cost model.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import torch
from torch import Tensor

from trademaster.envs.base import ActionSpec, StepResult
from trademaster.envs.episodes import EpisodeClock, EpisodicEnv
from trademaster.envs.lob import book_feature_windows, book_tensors
from trademaster.market.accounting import settle_fill
from trademaster.market.costs import CostModel, trading_fee
from trademaster.market.fills import walk_book

_LOGGER = logging.getLogger(__name__)


class OrderExecutionEnv(EpisodicEnv):
    """Batched execution env over one order book; see the module docstring."""

    _STATE_KEYS = (
        "t",
        "elapsed",
        "remaining",
        "twap_remaining",
        "cash",
        "arrival_mid",
        "episode_return",
    )

    def __init__(
        self,
        book: Any,
        *,
        side: Literal["sell", "buy"] = "sell",
        total_quantity: float = 1.0,
        horizon: int = 20,
        num_bins: int | None = 11,
        num_envs: int = 1,
        window: int = 10,
        cost_model: CostModel | None = None,
        device: torch.device | str = "cpu",
        seed: int = 0,
    ) -> None:
        self.device = torch.device(device)
        self.num_envs = int(num_envs)
        if self.num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, was {num_envs}")
        if window < 1 or horizon < 1:
            raise ValueError(f"window and horizon must be >= 1, were {window}, {horizon}")
        if side not in ("sell", "buy"):
            raise ValueError(f"side must be 'sell' or 'buy', was {side!r}")
        if not total_quantity > 0:
            raise ValueError(f"total_quantity must be > 0, was {total_quantity}")
        if num_bins is not None and num_bins < 2:
            raise ValueError(f"num_bins must be >= 2 or None, was {num_bins}")
        self.side, self.total_quantity, self.horizon = side, float(total_quantity), int(horizon)
        self.window, self.num_bins = int(window), num_bins
        self.cost_model = cost_model or CostModel()
        self._book = book_tensors(book, self.device)
        steps = len(self._book)
        num_starts = steps - self.window - self.horizon + 1
        if num_starts < 1:
            raise ValueError(
                f"book needs >= window + horizon = {self.window + self.horizon} snapshots, "
                f"had {steps}"
            )
        self._windows = book_feature_windows(self._book, self.window)
        self._mid = self._book.mid
        self._sign = 1.0 if side == "buy" else -1.0
        if side == "sell":
            self._hit_price, self._hit_size = self._book.bid_price, self._book.bid_size
        else:
            self._hit_price, self._hit_size = self._book.ask_price, self._book.ask_size
        self.observation_shape = (self._windows.shape[1] + 2,)
        self.action_spec = (
            ActionSpec.continuous((), 0.0, 1.0)
            if num_bins is None
            else ActionSpec.discrete(num_bins)
        )
        self._clock = EpisodeClock(
            self.num_envs,
            first_start=self.window - 1,
            num_starts=num_starts,
            device=self.device,
            seed=seed,
        )
        n, f64 = self.num_envs, torch.float64
        self._t = torch.zeros(n, dtype=torch.long, device=self.device)
        self._elapsed = torch.zeros(n, dtype=torch.long, device=self.device)
        self._remaining = torch.zeros(n, dtype=f64, device=self.device)
        self._twap_remaining = torch.zeros(n, dtype=f64, device=self.device)
        self._cash = torch.zeros(n, dtype=f64, device=self.device)
        self._arrival_mid = torch.ones(n, dtype=f64, device=self.device)
        self._episode_return = torch.zeros(n, dtype=torch.float32, device=self.device)
        self._reset_envs(torch.ones(n, dtype=torch.bool, device=self.device))

    def _reset_envs(self, mask: Tensor) -> None:
        self._t = torch.where(mask, self._clock.draw_starts(), self._t)
        self._elapsed = torch.where(mask, 0, self._elapsed)
        self._remaining = torch.where(mask, self.total_quantity, self._remaining)
        self._twap_remaining = torch.where(mask, self.total_quantity, self._twap_remaining)
        self._cash = torch.where(mask, 0.0, self._cash)
        self._arrival_mid = torch.where(mask, self._mid[self._t], self._arrival_mid)
        self._episode_return = torch.where(mask, 0.0, self._episode_return)

    def _observe(self) -> Tensor:
        extra = torch.stack(
            [
                self._remaining / self.total_quantity,
                1.0 - self._elapsed.to(torch.float64) / self.horizon,
            ],
            dim=1,
        ).to(torch.float32)
        return torch.cat([self._windows[self._t], extra], dim=1)

    def _fraction(self, actions: Tensor) -> Tensor:
        actions = actions.to(self.device).reshape(self.num_envs)
        if self.num_bins is None:
            return actions.to(torch.float64).clamp(0.0, 1.0)
        return actions.to(torch.long).clamp(0, self.num_bins - 1).to(torch.float64) / (
            self.num_bins - 1
        )

    def _execute(self, wanted: Tensor, t_fill: Tensor, last: Tensor) -> tuple[Tensor, Tensor]:
        """Walk the book; the forced last step fills any excess at the deepest level's price."""
        prices, sizes = self._hit_price[t_fill], self._hit_size[t_fill]
        filled, notional = walk_book(wanted, prices, sizes)
        excess = torch.where(last, wanted - filled, 0.0)
        return filled + excess, notional + excess * prices[:, -1]

    def step(self, actions: Tensor) -> StepResult:
        last = self._elapsed + 1 >= self.horizon
        wanted = torch.where(last, self._remaining, self._fraction(actions) * self._remaining)
        twap_wanted = torch.where(
            last,
            self._twap_remaining,
            torch.minimum(
                self._twap_remaining, torch.full_like(wanted, self.total_quantity / self.horizon)
            ),
        )
        t_fill = self._t + 1
        qty, notional = self._execute(wanted, t_fill, last)
        twap_qty, twap_notional = self._execute(twap_wanted, t_fill, last)
        positions = self._sign * (self.total_quantity - self._remaining)
        cash, positions, fees = settle_fill(
            self._cash, positions, self._sign * qty, notional, self.cost_model
        )
        twap_fees = trading_fee(twap_notional, self.cost_model.fee_rate, self.cost_model.fixed_fee)
        twap_cash_delta = -self._sign * twap_notional - twap_fees
        reward = (
            (cash - self._cash - twap_cash_delta) / (self.total_quantity * self._arrival_mid)
        ).to(torch.float32)
        self._cash = cash
        self._remaining = (self._remaining - qty).clamp_min(0.0)
        self._twap_remaining = (self._twap_remaining - twap_qty).clamp_min(0.0)
        self._t, self._elapsed = t_fill, self._elapsed + 1
        self._episode_return = self._episode_return + reward
        terminated = torch.zeros_like(last)
        truncated = last
        info = {
            "portfolio_value": cash,
            "executed_quantity": self.total_quantity - self._remaining,
            "filled": qty,
            "notional": notional,
            "fees": fees,
            "twap_filled": twap_qty,
            "twap_notional": twap_notional,
            "twap_fees": twap_fees,
        }
        return self._finish_step(reward, terminated, truncated, info)

"""Event-driven path: a strategy sees one bar at a time and places orders.

Loop per bar t: fill the orders placed on bar t-1 (next-bar timings) at bar t's fill price,
call ``strategy.on_bar(ctx)``, then (``same_close`` only) fill this bar's orders at its close.
Orders are market orders; ``order_target*`` replaces any pending order for the asset. A
volume limit fills part of an order and drops the rest; a cash floor (``min_cash``) shrinks
buys. With a ``PreTradeGate`` (``backtest.pre_trade``) every order first passes the risk
service's rule engine; a denied one does not fill. The loop keeps positions as Python floats
and books cash lazily: fills are costed in batches through the shared market model when the
strategy asks for cash/equity, and the final ledger is booked exactly like the vectorized path
(``execution.account``).
"""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from trademaster.backtest.config import BacktestConfig
from trademaster.backtest.data import MarketData
from trademaster.backtest.execution import account, bar_fill_prices, fill_timing
from trademaster.backtest.fill_costs import ExecutionModel
from trademaster.backtest.pre_trade import PreTradeGate
from trademaster.backtest.result import BacktestResult, Benchmark
from trademaster.market.accounting import (
    constrain_target_positions,
    mark_to_market,
    target_weights_to_positions,
)

_LOGGER = logging.getLogger(__name__)

_DUST_FRACTION = 1e-6
"""Re-sizing orders below this fraction of equity in notional ($1 on $1M) are skipped: float
residue and fee-sized drift, not decisions; each would still pay any fixed fee."""

ProgressCallback = Callable[[int, int], bool]
"""``(bars_done, total) -> keep_going``; returning False cancels the run."""


class BacktestCancelled(Exception):
    """The progress callback asked to stop."""


class EventStrategy(ABC):
    """An order-level strategy: ``on_bar`` reads ``ctx`` (data up to ``ctx.t``) and orders."""

    def on_start(self, ctx: BarContext) -> None:
        """Called once before the first bar."""
        _LOGGER.debug("strategy.start bars=%d", ctx.data.num_bars)

    @abstractmethod
    def on_bar(self, ctx: BarContext) -> None:
        """Called on every bar after the fills due on it."""


class BarContext:
    """What a strategy sees and does on bar ``t``.

    ``closes[a]`` / ``opens[a]`` are per-asset Python lists of the WHOLE period for speed;
    reading index > ``t`` is look-ahead (``check_no_lookahead`` catches it).
    """

    def __init__(
        self,
        data: MarketData,
        config: BacktestConfig,
        model: ExecutionModel,
        fill_px: np.ndarray,
        gate: PreTradeGate | None = None,
        decision_lag: int = 1,
    ) -> None:
        self.data = data
        self._gate = gate
        self._lag = decision_lag
        """Bars between the decision and the fill (the gate's reference is the decision close)."""
        self._times: list[int] = []
        if gate is not None:
            gate.start(data.tics, config.initial_cash, config.lot_size)
            self._times = data.dates.astype("datetime64[ns]").astype(np.int64).tolist()
        self.config = config
        self.model = model
        self.num_assets = data.num_assets
        self.closes: list[list[float]] = [data.close[:, a].tolist() for a in range(data.num_assets)]
        self.opens: list[list[float]] | None = (
            None
            if data.open is None
            else [data.open[:, a].tolist() for a in range(data.num_assets)]
        )
        self.t = 0
        self._fill_px = fill_px
        self._fill_px_lists = [fill_px[:, a].tolist() for a in range(data.num_assets)]
        self.positions = [0.0] * data.num_assets
        self._pending = [0.0] * data.num_assets
        self._has_pending = False
        self._fill_bar: list[int] = []
        self._fill_asset: list[int] = []
        self._fill_qty: list[float] = []
        self._cash = config.initial_cash
        self._booked = 0
        self._simple_limits = (
            config.allow_short and config.max_position_units is None and config.lot_size is None
        )

    # --- reading state -------------------------------------------------------------------
    def position(self, asset: int = 0) -> float:
        return self.positions[asset]

    @property
    def cash(self) -> float:
        """Cash after every fill so far (costs included)."""
        self._flush()
        return self._cash

    @property
    def equity(self) -> float:
        """Cash + Σ position × close[t] (``market.accounting.mark_to_market``)."""
        cash = torch.tensor([self.cash], dtype=torch.float64)
        pos = torch.tensor([self.positions], dtype=torch.float64)
        close = torch.tensor(self.data.close[self.t], dtype=torch.float64).unsqueeze(0)
        return float(mark_to_market(cash, pos, close)[0])

    # --- ordering ------------------------------------------------------------------------
    def order(self, quantity: float, asset: int = 0) -> None:
        """Buy (> 0) or sell (< 0) ``quantity`` units at the next fill."""
        if quantity:
            self._pending[asset] += quantity
            self._has_pending = True

    def order_target(self, units: float, asset: int = 0) -> None:
        """Trade so the position becomes ``units`` (after the position limits)."""
        if not self._simple_limits:
            units = float(self._limit(torch.tensor([[units]], dtype=torch.float64))[0, 0])
        self._pending[asset] = units - self.positions[asset]
        if self._pending[asset]:
            self._has_pending = True

    def order_target_weights(self, weights: Sequence[float] | np.ndarray) -> None:
        """Trade every asset to ``weights`` of equity marked at close[t] (cash = 1 − Σ w).

        Units are sized at close[t] (like the RL envs), then leverage, weight and unit limits
        apply (``market.accounting``).
        """
        w = torch.as_tensor(np.asarray(weights, dtype=np.float64)).reshape(1, -1)
        if w.shape[1] != self.num_assets:
            raise ValueError(f"weights must have {self.num_assets} entries, had {w.shape[1]}")
        cap = self.config.max_position_weight
        if cap is not None:
            w = w.clamp(-cap, cap)
        close = torch.tensor(self.data.close[self.t], dtype=torch.float64).unsqueeze(0)
        value = torch.tensor([self.equity], dtype=torch.float64)
        units = target_weights_to_positions(value, w, close)
        units = constrain_target_positions(
            units,
            value,
            close,
            allow_short=self.config.allow_short,
            max_leverage=self.config.max_leverage,
        )
        target: list[float] = self._limit(units)[0].tolist()
        dust = _DUST_FRACTION * max(abs(self.equity), 1.0)
        for a in range(self.num_assets):
            delta = target[a] - self.positions[a]
            # Re-sizing to an unchanged weight leaves residue (1e-12 units, fee drift).
            self._pending[a] = 0.0 if abs(delta) * float(close[0, a]) < dust else delta
        self._has_pending = True

    def _limit(self, units: torch.Tensor) -> torch.Tensor:
        cap = self.config.max_position_units
        if cap is not None:
            units = units.clamp(-cap, cap)
        return constrain_target_positions(
            units,
            torch.ones(len(units), dtype=units.dtype),
            torch.ones_like(units),
            allow_short=self.config.allow_short,
            lot_size=self.config.lot_size,
        )

    # --- engine side -----------------------------------------------------------------------
    def _flush(self) -> None:
        """Cost the fills not yet booked into cash (one batched market-model call)."""
        start = self._booked
        end = len(self._fill_qty)
        if start == end:
            return
        bars = np.asarray(self._fill_bar[start:end], dtype=np.int64)
        assets = np.asarray(self._fill_asset[start:end], dtype=np.int64)
        qty = torch.tensor(self._fill_qty[start:end], dtype=torch.float64)
        ref = torch.from_numpy(self._fill_px[bars, assets])
        costs = self.model.costs(ref, qty, bars, assets)
        self._cash -= float((qty * costs.price + costs.fee).sum())
        self._booked = end

    def _execute(self, t: int) -> None:
        """Fill every pending order at bar ``t``'s fill price."""
        self._has_pending = False
        floor = self.config.min_cash
        for a in range(self.num_assets):
            q = self._pending[a]
            if not q:
                continue
            self._pending[a] = 0.0
            gate = self._gate
            if gate is not None and not self._gate_allows(t, a, q):
                continue
            cap = self.model.volume_cap(t, a)
            if abs(q) > cap:
                q = math.copysign(cap, q)
            if floor is not None and q > 0:
                q = self._fit_cash(t, a, q, floor)
            if gate is not None:
                gate.filled(self.data.tics[a], q, self._fill_px_lists[a][t])
            if not q:
                continue
            self.positions[a] += q
            self._fill_bar.append(t)
            self._fill_asset.append(a)
            self._fill_qty.append(q)

    def _gate_allows(self, t: int, a: int, q: float) -> bool:
        """The rule engine's decision on ``q`` of asset ``a``, decided ``lag`` bars before ``t``."""
        assert self._gate is not None
        decided = t - self._lag
        return self._gate.check(
            decided, self.data.tics[a], q, self.closes[a][decided], self._times[decided], self.cash
        )

    def _fit_cash(self, t: int, a: int, q: float, floor: float) -> float:
        """Shrink buy ``q`` so cash stays >= ``floor`` after its cost (impact only falls as q
        shrinks, so the price of the full order bounds the smaller one)."""
        self._flush()
        bars, assets = np.asarray([t]), np.asarray([a])
        ref = torch.from_numpy(self._fill_px[bars, assets])
        costs = self.model.costs(ref, torch.tensor([q], dtype=torch.float64), bars, assets)
        spend = float(q * costs.price[0] + costs.fee[0])
        if self._cash - spend >= floor:
            return q
        budget = self._cash - floor - self.model.cost_model.fixed_fee
        unit_cost = float(costs.price[0]) * (1.0 + self.model.cost_model.fee_rate)
        fit = max(0.0, budget / unit_cost)
        lot = self.config.lot_size
        if lot is not None:
            fit = math.floor(fit / lot) * lot
        return min(q, fit)

    def ledger_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(positions, traded)`` ``[T, A]`` from the fills."""
        traded = np.zeros((self.data.num_bars, self.num_assets), dtype=np.float64)
        if self._fill_qty:
            np.add.at(
                traded,
                (np.asarray(self._fill_bar), np.asarray(self._fill_asset)),
                np.asarray(self._fill_qty),
            )
        return np.cumsum(traded, axis=0), traded


def run_event_driven(
    data: MarketData,
    strategy: EventStrategy,
    config: BacktestConfig,
    *,
    benchmark: Benchmark = "buy_and_hold",
    progress: ProgressCallback | None = None,
    progress_every: int = 10_000,
    pre_trade: PreTradeGate | None = None,
) -> BacktestResult:
    """Replay ``data`` bar by bar through ``strategy``; with ``pre_trade``, every order first
    passes the risk rule engine (denials in ``pre_trade.denials`` and the result's warnings).

    Raises:
        BacktestCancelled: ``progress`` returned False.
    """
    timing = fill_timing(config)
    model = ExecutionModel.from_config(config, data)
    fill_px = bar_fill_prices(data, timing)
    ctx = BarContext(data, config, model, fill_px, pre_trade, timing.bar_offset)
    strategy.on_start(ctx)
    on_bar = strategy.on_bar
    execute = ctx._execute
    total = data.num_bars
    next_fill = timing.bar_offset == 1
    for start in range(0, total, progress_every):
        for t in range(start, min(start + progress_every, total)):
            ctx.t = t
            if next_fill and ctx._has_pending:
                execute(t)
            on_bar(ctx)
            if not next_fill and ctx._has_pending:
                execute(t)
        done = min(start + progress_every, total)
        if progress is not None and not progress(done, total):
            raise BacktestCancelled(f"cancelled after {done} of {total} bars")
    positions, traded = ctx.ledger_arrays()
    ledger = account(positions, traded, fill_px, data.close, model, config.initial_cash)
    result = BacktestResult.create(data, config, ledger, path="event", benchmark=benchmark)
    if pre_trade is not None:
        result.warnings.append(pre_trade.summary())
    return result


class TargetPositionsStrategy(EventStrategy):
    """Orders toward precomputed target units ``[T, A]`` whenever the target changes."""

    def __init__(self, targets: np.ndarray) -> None:
        self.targets = np.asarray(targets, dtype=np.float64)
        self._rows = self.targets.tolist()
        self._last: list[float] | None = None

    def on_bar(self, ctx: BarContext) -> None:
        row = self._rows[ctx.t]
        if row == self._last:
            return
        for a, units in enumerate(row):
            if self._last is None or units != self._last[a]:
                ctx.order_target(units, a)
        self._last = row


class TargetWeightsStrategy(EventStrategy):
    """Trades to precomputed weights ``[T, A]`` (NaN rows: no decision).

    ``rebalance_every_bar`` re-sizes to the weights on every bar (portfolio envs); otherwise it
    trades only when the weights change (algorithmic env: a held level keeps its units).
    """

    def __init__(self, weights: np.ndarray, *, rebalance_every_bar: bool = False) -> None:
        self.weights = np.asarray(weights, dtype=np.float64)
        self._rows = self.weights.tolist()
        self._every = rebalance_every_bar
        self._last: list[float] | None = None

    def on_bar(self, ctx: BarContext) -> None:
        row = self._rows[ctx.t]
        if any(math.isnan(x) for x in row) or (not self._every and row == self._last):
            return
        ctx.order_target_weights(row)
        self._last = row


def run_target_weights(
    data: MarketData,
    weights: Any,
    config: BacktestConfig,
    *,
    rebalance_every_bar: bool = False,
    benchmark: Benchmark = "buy_and_hold",
    progress: ProgressCallback | None = None,
) -> BacktestResult:
    """Backtest target weights (``[T]`` or ``[T, A]``, fractions of equity) decided per bar."""
    arr = np.asarray(weights, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    expected = (data.num_bars, data.num_assets)
    if arr.shape != expected:
        raise ValueError(f"weights must have shape {expected} (T, A), was {arr.shape}")
    strategy = TargetWeightsStrategy(arr, rebalance_every_bar=rebalance_every_bar)
    return run_event_driven(
        data, strategy, config, benchmark=benchmark, progress=progress, progress_every=256
    )


def strategy_from_function(fn: Callable[[BarContext], Any]) -> EventStrategy:
    """Wrap a plain ``on_bar`` function as a strategy."""

    class _FunctionStrategy(EventStrategy):
        def on_bar(self, ctx: BarContext) -> None:
            fn(ctx)

    return _FunctionStrategy()

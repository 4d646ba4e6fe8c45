"""Backtests of order-book policies (order execution, high-frequency trading).

A bar backtest turns a policy into target weights and fills them with the bar model; a book
policy's decisions only make sense against the book, so the replay steps the task's own env
(``trademaster.envs.execution`` / ``trademaster.envs.hft``) over the backtest's snapshots with
the backtest's fees: one fill and cost model for training and backtest. The env reports each
fill in ``info``; this module books them into the same :class:`Ledger` a bar backtest has, so
metrics, trades and the report are shared.

* High-frequency trading: one pass over the whole book from the first full observation window;
  the account is marked at mid; the benchmark is buy-and-hold of the mid (no costs).
* Order execution: back-to-back orders of ``total_quantity`` over ``horizon`` snapshots each,
  the first arriving once a full window is seen. The account receives (sell) or owes (buy) the
  order's units at the arrival mid, so its equity moves by execution cost alone (implementation
  shortfall); the benchmark is the same account executed by TWAP against the same snapshots.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import torch

from trademaster.backtest.config import BacktestConfig
from trademaster.backtest.data import MarketData
from trademaster.backtest.event import BacktestCancelled
from trademaster.backtest.execution import Fills, Ledger
from trademaster.backtest.result import TRADE_COLUMNS, BacktestResult
from trademaster.data.loaders import OrderBook, slice_book

_LOGGER = logging.getLogger(__name__)

BOOK_TASKS = ("order_execution", "high_frequency_trading")
BOOK_ASSET = "BOOK"
"""Asset name of a book's single instrument (LOB files carry no ticker)."""
_BPS = 1e4

Progress = Callable[[int, int], bool]
"""``(steps_done, total) -> keep_going``; False cancels the replay."""


def book_dates(times: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Snapshot times as datetime64[ns]; integer steps (HFT segments) read as seconds."""
    if np.issubdtype(times.dtype, np.datetime64):
        return times.astype("datetime64[ns]"), []
    dates = times.astype(np.int64).astype("datetime64[s]").astype("datetime64[ns]")
    note = "the book's timestamps are steps, not times: read as seconds since 1970-01-01"
    return dates, [note]


def book_between(book: OrderBook, start: Any = None, end: Any = None) -> OrderBook:
    """Snapshots with ``start <= time <= end`` (bounds optional; timestamped books only).

    Raises:
        ValueError: a bound on a step-indexed book.
    """
    if start is None and end is None:
        return book
    if not np.issubdtype(book.times.dtype, np.datetime64):
        raise ValueError("the book's timestamps are steps, not times: a date range cannot apply")
    lo, hi = 0, len(book)
    if start is not None:
        lo = int(np.searchsorted(book.times, np.datetime64(pd.Timestamp(start), "ns"), "left"))
    if end is not None:
        hi = int(np.searchsorted(book.times, np.datetime64(pd.Timestamp(end), "ns"), "right"))
    return slice_book(book, lo, max(lo, hi))


def _replay_config(run: Any, config: BacktestConfig, **fields: Any) -> Any:
    """The run's env config with the backtest's account and costs (one env, on the CPU).

    Raises:
        ValueError: a slippage model or fill timing a book cannot honour.
    """
    from trademaster.training.pipeline import env_config

    if config.slippage.kind not in ("none", "fixed_bps"):
        raise ValueError(
            f"slippage {config.slippage.kind!r} does not apply to order books (walking the "
            "book is the impact); use fixed_bps or none"
        )
    if config.fill_timing != "next_open":
        raise ValueError(
            f"order-book policies fill at the next snapshot; fill_timing must be next_open, "
            f"was {config.fill_timing!r}"
        )
    return env_config(
        run,
        num_envs=1,
        device="cpu",
        initial_cash=config.initial_cash,
        fee_rate=config.fee_rate,
        fixed_fee=config.fixed_fee,
        slippage_bps=config.slippage.bps if config.slippage.kind == "fixed_bps" else 0.0,
        **fields,
    )


def _policy(artifact: Any, env: Any) -> Any:
    from trademaster.training.pipeline import make_algorithm

    algorithm = make_algorithm(artifact.run_spec, env, seed=0)
    algorithm.policy.load_state_dict(artifact.policy_state)
    algorithm.policy.eval()
    return algorithm.policy


def book_replay(
    artifact: Any, book: OrderBook, config: BacktestConfig, *, progress: Progress | None = None
) -> BacktestResult:
    """Replay a trained book policy (a ``ModelArtifact``) over ``book`` (see module doc).

    Raises:
        ValueError: not a book task, costs a book cannot honour, or too few snapshots.
        BacktestCancelled: ``progress`` returned False.
    """
    task = artifact.run_spec.task
    if task == "high_frequency_trading":
        return _hft_replay(artifact, book, config, progress)
    if task == "order_execution":
        return _execution_replay(artifact, book, config, progress)
    raise ValueError(
        f"a {task} policy replays on bars: backtest it on an OHLCV dataset (order books "
        f"replay {list(BOOK_TASKS)})"
    )


def _check_progress(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None and not progress(done, total):
        raise BacktestCancelled("the backtest was cancelled")


def _hft_replay(
    artifact: Any, book: OrderBook, config: BacktestConfig, progress: Progress | None
) -> BacktestResult:
    from trademaster.envs.factory import build_env

    cfg = _replay_config(artifact.run_spec, config, episode_length=None)
    env = build_env(cfg, slice_book(book, 0, len(book)), seed=0)
    policy = _policy(artifact, env)
    first, total = cfg.window - 1, len(book) - cfg.window
    cash, positions, equity = [config.initial_cash], [0.0], [config.initial_cash]
    fills: list[tuple[int, float, float, float, float]] = []
    obs = env.reset(seed=0)
    with torch.no_grad():
        for step in range(total):
            result = env.step(policy.act(obs, deterministic=True, action_mask=env.action_mask()))
            info = {k: float(v[0]) for k, v in result.info.items() if v.dim() == 1}
            if info["traded"] != 0.0:
                price = info["fill_price"] + info["slippage_cost"] / info["traded"]
                fills.append((step + 1, info["traded"], price, info["fees"], info["slippage_cost"]))
            cash.append(info["cash"])
            positions.append(info["positions"])
            equity.append(info["portfolio_value"])
            if bool(result.terminated[0]):
                break  # the account is wiped out; nothing is left to trade
            obs = result.obs
            _check_progress(progress, step + 1, total)
    rows = slice(first, first + len(equity))
    mid = (book.bid_price[rows, 0] + book.ask_price[rows, 0]) / 2.0
    dates, notes = book_dates(book.times[rows])
    data = MarketData(dates=dates, tics=(BOOK_ASSET,), close=mid[:, None].copy())
    ledger = Ledger(
        np.asarray(cash), np.asarray(positions)[:, None], np.asarray(equity), _fills(fills)
    )
    out = BacktestResult.create(data, config, ledger, path="book", benchmark="buy_and_hold")
    out.warnings.extend(notes)
    return out


def _fills(rows: list[tuple[int, float, float, float, float]]) -> Fills:
    """Fill rows ``(bar, signed units, execution price, fee, slippage cost)`` as arrays."""
    table = np.asarray(rows, dtype=np.float64).reshape(len(rows), 5)
    return Fills(
        bar=table[:, 0].astype(np.int64),
        asset=np.zeros(len(rows), dtype=np.int64),
        quantity=table[:, 1],
        price=table[:, 2],
        fee=table[:, 3],
        slippage=table[:, 4],
    )


@dataclass
class _Account:
    """Cash and units of one execution account (the agent's or TWAP's), per snapshot."""

    cash: float
    units: float = 0.0
    cash_rows: list[float] = field(default_factory=list)
    unit_rows: list[float] = field(default_factory=list)

    def arrive(self, side: str, units: float, value: float) -> None:
        """Take on an order at its arrival value: a sell's units to liquidate, a buy's units
        owed (transfers at the arrival mid, not trades). Rewrites the current row."""
        sign = 1.0 if side == "buy" else -1.0
        self.units -= sign * units
        self.cash += sign * value
        self.cash_rows[-1], self.unit_rows[-1] = self.cash, self.units

    def fill(self, units: float, flow: float) -> None:
        self.units += units
        self.cash += flow

    def record(self) -> None:
        self.cash_rows.append(self.cash)
        self.unit_rows.append(self.units)

    def equity(self, mid: np.ndarray) -> np.ndarray:
        return np.asarray(self.cash_rows) + np.asarray(self.unit_rows) * mid


@dataclass(frozen=True)
class _Order:
    """One executed order: its arrival value (units × arrival mid) and the implementation
    shortfall of agent and TWAP (cash lost against that value, fees included)."""

    arrival_value: float
    shortfall: float
    twap_shortfall: float


@dataclass
class ExecutionResult(BacktestResult):
    """An execution backtest: trades are the fills of each order, scored against its arrival
    mid; the metrics add the implementation shortfall (bps of arrival value) of agent and TWAP
    and their difference (> 0: the agent beat TWAP)."""

    orders: list[_Order] = field(default_factory=list)
    arrival_mids: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @cached_property
    def trades(self) -> pd.DataFrame:
        """Every fill is an exit of the order's units, whose cost basis is the arrival mid:
        ``realized_pnl`` is the fill's gain over the arrival mid after the fee (< 0 = cost)."""
        fills = self.ledger.fills
        sign = np.sign(fills.quantity)
        arrival = self.arrival_mids[fills.bar]
        pnl = np.abs(fills.quantity) * (arrival - fills.price) * sign - fills.fee
        frame = pd.DataFrame(
            {
                "time": self.dates[fills.bar],
                "bar": fills.bar,
                "asset": BOOK_ASSET,
                "side": np.where(sign > 0, "buy", "sell"),
                "effect": "exit",
                "quantity": np.abs(fills.quantity),
                "price": fills.price,
                "fee": fills.fee,
                "slippage": fills.slippage,
                "realized_pnl": pnl,
            }
        )
        return frame[list(TRADE_COLUMNS)]

    @cached_property
    def metrics(self) -> dict[str, float]:
        out = dict(super().metrics)
        value = np.asarray([o.arrival_value for o in self.orders])
        agent = np.asarray([o.shortfall for o in self.orders]) / value * _BPS
        twap = np.asarray([o.twap_shortfall for o in self.orders]) / value * _BPS
        out["orders"] = float(len(self.orders))
        out["shortfall_bps"] = float(agent.mean())
        out["twap_shortfall_bps"] = float(twap.mean())
        out["shortfall_vs_twap_bps"] = out["twap_shortfall_bps"] - out["shortfall_bps"]
        return out


def _execution_replay(
    artifact: Any, book: OrderBook, config: BacktestConfig, progress: Progress | None
) -> BacktestResult:
    from trademaster.envs.factory import build_env

    cfg = _replay_config(artifact.run_spec, config)
    window, horizon = cfg.window, cfg.horizon
    arrivals = list(range(window - 1, len(book) - horizon, horizon))
    if not arrivals:
        raise ValueError(
            f"the book has {len(book)} snapshots; one order needs window + horizon = "
            f"{window + horizon}"
        )
    first, last = arrivals[0], arrivals[-1] + horizon
    mid = (book.bid_price[first : last + 1, 0] + book.ask_price[first : last + 1, 0]) / 2.0
    books = [slice_book(book, s - window + 1, s + horizon + 1) for s in arrivals]
    policy = _policy(artifact, build_env(cfg, books[0], seed=0))
    agent, twap = _Account(config.initial_cash), _Account(config.initial_cash)
    agent.record()
    twap.record()
    arrival_mids = np.zeros(len(mid))
    orders: list[_Order] = []
    fills: list[tuple[int, float, float, float, float]] = []
    for done, (start, order_book) in enumerate(zip(arrivals, books, strict=True)):
        bar = start - first
        value = cfg.total_quantity * float(mid[bar])
        for account in (agent, twap):  # the order's units arrive (sell) or are owed (buy)
            account.arrive(cfg.side, cfg.total_quantity, value)
        env = build_env(cfg, order_book, seed=0)
        flows = _execute_order(policy, env, cfg, order_book, bar, (agent, twap), fills)
        arrival_mids[bar + 1 : bar + horizon + 1] = mid[bar]
        signed = value if cfg.side == "sell" else -value
        orders.append(_Order(value, signed - flows[0], signed - flows[1]))
        _check_progress(progress, done + 1, len(arrivals))
    dates, notes = book_dates(book.times[first : last + 1])
    data = MarketData(dates=dates, tics=(BOOK_ASSET,), close=mid[:, None].copy())
    cash = np.asarray(agent.cash_rows)
    ledger = Ledger(cash, np.asarray(agent.unit_rows)[:, None], agent.equity(mid), _fills(fills))
    out = ExecutionResult.create(data, config, ledger, path="book", benchmark=twap.equity(mid))
    assert isinstance(out, ExecutionResult)
    out.benchmark_name, out.orders, out.arrival_mids = "twap", orders, arrival_mids
    out.warnings.extend(notes)
    return out


def _execute_order(
    policy: Any,
    env: Any,
    cfg: Any,
    book: OrderBook,
    bar: int,
    accounts: tuple[_Account, _Account],
    fills: list[tuple[int, float, float, float, float]],
) -> tuple[float, float]:
    """Step ``env`` over one order (its arrival is the env's only start) and book the agent's
    and TWAP's fills. Returns their cash flows (proceeds of a sell, minus the cost of a buy)."""
    sign = 1.0 if cfg.side == "buy" else -1.0
    best = book.ask_price[:, 0] if cfg.side == "buy" else book.bid_price[:, 0]
    flows = [0.0, 0.0]
    obs = env.reset(seed=0)
    with torch.no_grad():
        for k in range(cfg.horizon):
            result = env.step(policy.act(obs, deterministic=True, action_mask=env.action_mask()))
            info = {key: float(v[0]) for key, v in result.info.items() if v.dim() == 1}
            for i, prefix in enumerate(("", "twap_")):
                qty, notional = info[f"{prefix}filled"], info[f"{prefix}notional"]
                flow = -sign * notional - info[f"{prefix}fees"]
                accounts[i].fill(sign * qty, flow)
                flows[i] += flow
                if i == 0 and qty > 0:  # row window + k is the snapshot this step filled at
                    price = notional / qty
                    slip = sign * qty * (price - best[cfg.window + k])
                    fills.append((bar + k + 1, sign * qty, price, info["fees"], slip))
            for account in accounts:
                account.record()
            obs = result.obs
    return flows[0], flows[1]

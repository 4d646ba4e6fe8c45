"""Fills of a backtest: timing, and the ledger booked with ``backtest.fill_costs.ExecutionModel``
(the one fill-cost model, shared with the risk service's paper venue).

Fill timing (``market.fills.FillTiming``): a decision taken on bar t's data fills at bar
t+1's open (``next_open``, default), t+1's close (``next_close``) or t's close (``same_close``,
look-ahead-prone: warned). Cash changes by ``-(q * exec) - fee``; slippage cost is
``q * (exec - p) >= 0``.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from trademaster.backtest.config import BacktestConfig
from trademaster.backtest.data import MarketData
from trademaster.backtest.fill_costs import ExecutionModel
from trademaster.market.accounting import mark_to_market
from trademaster.market.fills import FillTiming

_LOGGER = logging.getLogger(__name__)


def _tensor(values: np.ndarray) -> Tensor:
    """Zero-copy float tensor view of ``values`` (copied only when numpy marks it read-only)."""
    return torch.from_numpy(values if values.flags.writeable else values.copy())


class LookAheadWarning(UserWarning):
    """A backtest setting lets decisions see the price they trade at."""


def fill_timing(config: BacktestConfig) -> FillTiming:
    """The config's fill timing; warns (and logs) for the look-ahead-prone ``same_close``."""
    timing = FillTiming(config.fill_timing)
    if timing.is_look_ahead_prone:
        message = (
            "fill_timing='same_close' fills at the close the decision already saw: results are "
            "optimistic (look-ahead-prone)"
        )
        _LOGGER.warning("backtest.fill_timing %s", message)
        warnings.warn(message, LookAheadWarning, stacklevel=3)
    return timing


def bar_fill_prices(data: MarketData, timing: FillTiming) -> np.ndarray:
    """Reference price of a fill that happens ON bar t, ``[T, A]``: the open for
    ``next_open``, else the close (``market.fills.fill_prices`` shifted to the fill bar).

    Raises:
        ValueError: ``next_open`` without open prices.
    """
    if timing is FillTiming.NEXT_OPEN:
        if data.open is None:
            raise ValueError("fill_timing 'next_open' needs open prices, the data has none")
        return data.open
    return data.close


@dataclass(frozen=True)
class Fills:
    """Executed fills, in time order: signed quantity, execution price, fee, slippage cost."""

    bar: np.ndarray
    asset: np.ndarray
    quantity: np.ndarray
    price: np.ndarray
    fee: np.ndarray
    slippage: np.ndarray

    def __len__(self) -> int:
        return len(self.bar)


class Ledger(NamedTuple):
    """Cash [T], positions [T, A] and equity [T] at each bar's close, plus the fills."""

    cash: np.ndarray
    positions: np.ndarray
    equity: np.ndarray
    fills: Fills


def account(
    positions: np.ndarray,
    traded: np.ndarray,
    fill_price: np.ndarray,
    close: np.ndarray,
    model: ExecutionModel,
    initial_cash: float,
) -> Ledger:
    """Book every bar's trades at once: cash_t = initial − Σ_{s<=t} (q·exec + fee), value =
    cash + Σ position × close (``market.accounting.mark_to_market``).

    Only bars that trade are costed (most bars of a signal strategy do not)."""
    bars, assets = np.nonzero(traded)
    qty = traded[bars, assets]
    costs = model.costs(_tensor(fill_price[bars, assets]), _tensor(qty), bars, assets)
    flow = (-(_tensor(qty) * costs.price) - costs.fee).numpy()
    flow_bar = np.bincount(bars, weights=flow, minlength=len(traded))
    cash = initial_cash + np.cumsum(flow_bar)
    if positions.shape[1] == 1:  # one asset: 1-D arrays skip the asset-axis reduction
        equity = mark_to_market(_tensor(cash), _tensor(positions[:, 0]), _tensor(close[:, 0]))
    else:
        equity = mark_to_market(_tensor(cash), _tensor(positions), _tensor(close))
    fills = Fills(
        bar=bars,
        asset=assets,
        quantity=qty,
        price=costs.price.numpy(),
        fee=costs.fee.numpy(),
        slippage=costs.slippage.numpy(),
    )
    return Ledger(cash, positions, equity.numpy(), fills)

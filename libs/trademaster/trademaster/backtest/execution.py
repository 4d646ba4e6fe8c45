"""Fills and their costs, composed from ``trademaster.market`` (the one market model).

Fill timing (``market.fills.FillTiming``): a decision taken on bar t's data fills at bar
t+1's open (``next_open``, default), t+1's close (``next_close``) or t's close (``same_close``,
look-ahead-prone: warned). Costs of a fill of signed quantity q at reference price p:

- fixed bps slippage: ``CostModel.execution_price`` (p moves ``bps`` against the trader);
- volume share: impact ``k * min(|q| / volume, limit)^2`` (``market.costs.volume_share_impact``);
- square root: impact ``k * sigma * sqrt(|q| / adv)`` with sigma/adv over the ``window`` bars
  before the fill bar (``market.costs.square_root_impact``);
- fee ``fee_rate * |q * exec| + fixed_fee`` (``market.costs.trading_fee``).

Cash changes by ``-(q * exec) - fee``; slippage cost is ``q * (exec - p) >= 0``.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from trademaster.backtest.config import BacktestConfig, SlippageConfig
from trademaster.backtest.data import MarketData
from trademaster.market.accounting import mark_to_market
from trademaster.market.costs import (
    CostModel,
    apply_impact,
    square_root_impact,
    volume_share_impact,
)
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


class FillCosts(NamedTuple):
    """Per-fill execution price, fee (>= 0) and slippage cost (>= 0), shaped like the fills."""

    price: Tensor
    fee: Tensor
    slippage: Tensor


def rolling_liquidity(close: np.ndarray, volume: np.ndarray, window: int) -> tuple[np.ndarray, ...]:
    """``(adv, sigma)`` ``[T, A]`` for a fill on bar t from bars ``t-window..t-1`` only.

    ``adv`` is the mean volume and ``sigma`` the std (ddof=0) of simple close returns; early
    bars use what history exists (bar 0 uses its own volume and sigma 0).
    """
    vol = pd_rolling_mean(volume, window)
    rets = np.vstack([np.zeros((1, close.shape[1])), close[1:] / close[:-1] - 1.0])
    mean = pd_rolling_mean(rets, window)
    sq = pd_rolling_mean(rets * rets, window)
    sigma = np.sqrt(np.clip(sq - mean * mean, 0.0, None))
    adv = np.vstack([volume[:1], vol[:-1]])
    sigma = np.vstack([np.zeros((1, close.shape[1])), sigma[:-1]])
    return adv, sigma


def pd_rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over up to ``window`` rows (fewer at the start), per column."""
    csum = np.cumsum(values, axis=0)
    out = csum.copy()
    out[window:] = csum[window:] - csum[:-window]
    counts = np.minimum(np.arange(1, len(values) + 1), window)[:, None]
    return out / counts


@dataclass(frozen=True)
class ExecutionModel:
    """Costs of fills on one dataset: fee schedule, slippage model and liquidity arrays."""

    cost_model: CostModel
    slippage: SlippageConfig
    volume: np.ndarray | None = None
    adv: np.ndarray | None = None
    sigma: np.ndarray | None = None

    @classmethod
    def from_config(cls, config: BacktestConfig, data: MarketData) -> ExecutionModel:
        """Build the model; volume-based slippage needs the data's volume.

        Raises:
            ValueError: a volume-based model or limit without volume data.
        """
        slip = config.slippage
        bps = slip.bps if slip.kind == "fixed_bps" else 0.0
        cost = CostModel(fee_rate=config.fee_rate, fixed_fee=config.fixed_fee, slippage_bps=bps)
        needs_volume = slip.kind in ("volume_share", "sqrt_impact") or slip.volume_limit
        if needs_volume and data.volume is None:
            raise ValueError(
                f"slippage kind {slip.kind!r} / volume_limit needs volume data, dataset has none"
            )
        adv = sigma = None
        if slip.kind == "sqrt_impact" and data.volume is not None:
            adv, sigma = rolling_liquidity(data.close, data.volume, slip.window)
        return cls(cost, slip, data.volume, adv, sigma)

    def costs(
        self,
        reference_price: Tensor,
        traded: Tensor,
        bars: np.ndarray | slice,
        assets: np.ndarray | slice,
    ) -> FillCosts:
        """Costs of fills ``traded`` at ``reference_price``; ``bars``/``assets`` index the
        liquidity arrays the same way (e.g. ``slice(None)`` twice for full ``[T, A]`` arrays)."""
        price = self.cost_model.execution_price(reference_price, traded)
        kind = self.slippage.kind
        if kind == "volume_share":
            assert self.volume is not None
            volume = _tensor(np.ascontiguousarray(self.volume[bars, assets]))
            impact = volume_share_impact(
                traded,
                volume.to(traded.dtype),
                coefficient=self.slippage.price_impact,
                max_share=self.slippage.volume_limit or 1.0,
            )
            price = apply_impact(price, traded, impact)
        elif kind == "sqrt_impact":
            assert self.adv is not None and self.sigma is not None
            adv = _tensor(np.ascontiguousarray(self.adv[bars, assets]))
            sigma = _tensor(np.ascontiguousarray(self.sigma[bars, assets]))
            adv = torch.where(adv > 0, adv, torch.full_like(adv, float("inf")))
            impact = square_root_impact(traded, adv, sigma, k=self.slippage.price_impact)
            price = apply_impact(price, traded, impact)
        fee = self.cost_model.fees(price, traded)
        return FillCosts(price, fee, traded * (price - reference_price) + 0.0)

    def volume_cap(self, bar: int, asset: int) -> float:
        """Largest |quantity| a fill on ``bar`` may take (inf without a volume limit)."""
        if self.slippage.volume_limit is None or self.volume is None:
            return float("inf")
        return float(self.slippage.volume_limit * self.volume[bar, asset])


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

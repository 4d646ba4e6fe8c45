"""Costs of fills on one dataset (fee schedule, slippage model, liquidity), torch-free.

The one fill-cost model: backtests (``backtest.execution``) book their fills with it
over tensors, the risk service's paper venue over numpy arrays, without importing torch. Costs of
a fill of signed quantity q at reference price p:

- fixed bps slippage: ``CostModel.execution_price`` (p moves ``bps`` against the trader);
- volume share: impact ``k * min(|q| / volume, limit)^2`` (``market.costs.volume_share_impact``);
- square root: impact ``k * sigma * sqrt(|q| / adv)`` with sigma/adv over the ``window`` bars
  before the fill bar (``market.costs.square_root_impact``);
- fee ``fee_rate * |q * exec| + fixed_fee`` (``market.costs.trading_fee``).

Cash changes by ``-(q * exec) - fee``; slippage cost is ``q * (exec - p) >= 0``.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from trademaster.backtest.config import BacktestConfig, SlippageConfig
from trademaster.market.costs import (
    CostModel,
    apply_impact,
    square_root_impact,
    volume_share_impact,
)

if TYPE_CHECKING:
    from trademaster.backtest.data import MarketData

_LOGGER = logging.getLogger(__name__)


class FillCosts(NamedTuple):
    """Per-fill execution price, fee (>= 0) and slippage cost (>= 0), shaped like the fills
    (tensors when the fills were tensors, else numpy arrays)."""

    price: Any
    fee: Any
    slippage: Any


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


def _like(values: np.ndarray, traded: Any) -> Any:
    """Liquidity ``values`` in the kind of ``traded``: a zero-copy tensor view for tensors."""
    values = np.ascontiguousarray(values)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(traded, torch.Tensor):
        return torch.from_numpy(values if values.flags.writeable else values.copy())
    return values


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
        reference_price: Any,
        traded: Any,
        bars: np.ndarray | slice,
        assets: np.ndarray | slice,
    ) -> FillCosts:
        """Costs of fills ``traded`` at ``reference_price`` (tensors or numpy arrays);
        ``bars``/``assets`` index the liquidity arrays the same way (e.g. ``slice(None)`` twice
        for full ``[T, A]`` arrays)."""
        price = self.cost_model.execution_price(reference_price, traded)
        kind = self.slippage.kind
        if kind == "volume_share":
            assert self.volume is not None
            volume = _like(self.volume[bars, assets], traded)
            impact = volume_share_impact(
                traded,
                volume.to(traded.dtype) if hasattr(volume, "to") else volume.astype(traded.dtype),
                coefficient=self.slippage.price_impact,
                max_share=self.slippage.volume_limit or 1.0,
            )
            price = apply_impact(price, traded, impact)
        elif kind == "sqrt_impact":
            assert self.adv is not None and self.sigma is not None
            adv = _like(self.adv[bars, assets], traded)
            sigma = _like(self.sigma[bars, assets], traded)
            adv = adv * 1.0
            adv[~(adv > 0)] = float("inf")
            impact = square_root_impact(traded, adv, sigma, k=self.slippage.price_impact)
            price = apply_impact(price, traded, impact)
        fee = self.cost_model.fees(price, traded)
        return FillCosts(price, fee, traded * (price - reference_price) + 0.0)

    def volume_cap(self, bar: int, asset: int) -> float:
        """Largest |quantity| a fill on ``bar`` may take (inf without a volume limit)."""
        if self.slippage.volume_limit is None or self.volume is None:
            return float("inf")
        return float(self.slippage.volume_limit * self.volume[bar, asset])

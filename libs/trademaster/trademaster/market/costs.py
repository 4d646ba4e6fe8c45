"""Transaction costs: proportional + fixed fees, slippage and market-impact models.

Every cost works against the trader: fees are never negative and always charged; slippage and
impact move the execution price up for buys and down for sells. Functions are pure and follow
the dtype/device of their tensor inputs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch
from torch import Tensor

_LOGGER = logging.getLogger(__name__)

BPS = 1e-4


@dataclass(frozen=True)
class CostModel:
    """Fees and slippage applied to every fill.

    Attributes:
        fee_rate: fraction of the absolute traded notional charged as fee (0.001 = 10 bps).
        fixed_fee: flat fee charged per asset and fill whenever the traded quantity is non-zero.
        slippage_bps: adverse price move per fill in basis points (buys fill higher, sells lower).
    """

    fee_rate: float = 0.0
    fixed_fee: float = 0.0
    slippage_bps: float = 0.0

    def __post_init__(self) -> None:
        for name in ("fee_rate", "fixed_fee", "slippage_bps"):
            value = getattr(self, name)
            if not value >= 0.0:
                raise ValueError(f"{name} must be >= 0, was {value}")
        if self.fee_rate >= 1.0:
            raise ValueError(f"fee_rate must be < 1, was {self.fee_rate}")

    def execution_price(self, price: Tensor, traded_qty: Tensor) -> Tensor:
        """Fill price after slippage for signed ``traded_qty`` (buy > 0, sell < 0)."""
        return slipped_price(price, traded_qty, self.slippage_bps)

    def fees(self, execution_price: Tensor, traded_qty: Tensor) -> Tensor:
        """Fee per element (same shape as ``traded_qty``), always >= 0."""
        return trading_fee(execution_price * traded_qty, self.fee_rate, self.fixed_fee)


def trading_fee(traded_notional: Tensor, fee_rate: float, fixed_fee: float = 0.0) -> Tensor:
    """fee = fee_rate × |notional| + fixed_fee × (notional ≠ 0)."""
    fee = traded_notional.abs() * fee_rate
    if fixed_fee:
        fee = fee + (traded_notional != 0).to(fee.dtype) * fixed_fee
    return fee


def slipped_price(price: Tensor, traded_qty: Tensor, slippage_bps: float) -> Tensor:
    """Price moved ``slippage_bps`` against the trader: up for buys, down for sells."""
    if not slippage_bps:
        return price
    return price * (1.0 + torch.sign(traded_qty).to(price.dtype) * (slippage_bps * BPS))


def fixed_bps_impact(traded_qty: Tensor, impact_bps: float) -> Tensor:
    """Fractional price impact: a constant ``impact_bps`` for any non-zero trade."""
    return (traded_qty != 0).to(traded_qty.dtype) * (impact_bps * BPS)


def volume_share_impact(
    traded_qty: Tensor, bar_volume: Tensor, *, coefficient: float, max_share: float = 1.0
) -> Tensor:
    """Fractional impact ``coefficient × share²`` with share = |q| / volume capped at max_share.

    The quadratic form is Zipline's volume-share slippage; a zero-volume bar gets the cap.
    """
    if coefficient < 0 or not 0 < max_share <= 1:
        raise ValueError(
            f"coefficient must be >= 0 and max_share in (0, 1], was {coefficient}, {max_share}"
        )
    share = torch.where(
        bar_volume > 0,
        traded_qty.abs() / bar_volume.clamp_min(torch.finfo(bar_volume.dtype).tiny),
        torch.full_like(bar_volume, max_share),
    ).clamp_max(max_share)
    return coefficient * share * share


def square_root_impact(traded_qty: Tensor, adv: Tensor, sigma: Tensor, *, k: float) -> Tensor:
    """Fractional impact ``k × sigma × sqrt(|q| / adv)`` (the square-root law).

    ``sigma`` is the daily return volatility and ``adv`` the average daily volume in units.
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, was {k}")
    if bool((adv <= 0).any()):
        raise ValueError("adv must be > 0 for every asset")
    return k * sigma * torch.sqrt(traded_qty.abs() / adv)


def apply_impact(price: Tensor, traded_qty: Tensor, impact: Tensor) -> Tensor:
    """Move ``price`` by fractional ``impact`` (>= 0) against the side of ``traded_qty``."""
    return price * (1.0 + torch.sign(traded_qty).to(price.dtype) * impact.to(price.dtype))

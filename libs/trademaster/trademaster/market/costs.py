"""Transaction costs: proportional + fixed fees, slippage and market-impact models.

Every cost works against the trader: fees are never negative and always charged; slippage and
impact move the execution price up for buys and down for sells. Functions are pure and written
once over torch tensors, numpy arrays or Python floats, following the dtype/device of their
inputs. This module never imports torch, so the risk service's paper venue books fills with the
same code as the envs and backtests without needing torch (a tensor argument means the caller
already imported it).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    from torch import Tensor

_LOGGER = logging.getLogger(__name__)

BPS = 1e-4

Num = TypeVar("Num", "Tensor", np.ndarray, float)
"""A price, quantity or notional: a tensor, an array or a scalar (results keep the kind)."""


def _torch(x: Any) -> ModuleType | None:
    """The torch module when ``x`` is a tensor, else None (torch is never imported here)."""
    torch = sys.modules.get("torch")
    return torch if torch is not None and isinstance(x, torch.Tensor) else None


def sign(x: Num) -> Num:
    """-1, 0 or 1 per element, in ``x``'s kind."""
    torch = _torch(x)
    if torch is not None:
        return torch.sign(x)  # type: ignore[no-any-return]
    if isinstance(x, np.ndarray | np.generic):
        return np.sign(x)  # type: ignore[return-value]
    value: Any = x
    return float((value > 0) - (value < 0))  # type: ignore[return-value]


def _as_float_of(mask: Any, like: Any) -> Any:
    """A boolean ``mask`` as 1.0/0.0 in the float dtype of ``like``."""
    if _torch(mask) is not None:
        return mask.to(like.dtype)
    if isinstance(mask, np.ndarray | np.generic):
        return mask.astype(like.dtype if isinstance(like, np.ndarray | np.generic) else float)
    return 1.0 if mask else 0.0


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

    def execution_price(self, price: Num, traded_qty: Num) -> Num:
        """Fill price after slippage for signed ``traded_qty`` (buy > 0, sell < 0)."""
        return slipped_price(price, traded_qty, self.slippage_bps)

    def fees(self, execution_price: Num, traded_qty: Num) -> Num:
        """Fee per element (same shape as ``traded_qty``), always >= 0."""
        return trading_fee(execution_price * traded_qty, self.fee_rate, self.fixed_fee)


def trading_fee(traded_notional: Num, fee_rate: float, fixed_fee: float = 0.0) -> Num:
    """fee = fee_rate × |notional| + fixed_fee × (notional ≠ 0)."""
    fee = abs(traded_notional) * fee_rate
    if fixed_fee:
        fee = fee + _as_float_of(traded_notional != 0, fee) * fixed_fee
    return fee


def slipped_price(price: Num, traded_qty: Num, slippage_bps: float) -> Num:
    """Price moved ``slippage_bps`` against the trader: up for buys, down for sells."""
    if not slippage_bps:
        return price
    return price * (1.0 + _cast(sign(traded_qty), price) * (slippage_bps * BPS))


def _cast(x: Any, like: Any) -> Any:
    """``x`` in the dtype of tensor ``like`` (arrays and floats promote by themselves)."""
    return x.to(like.dtype) if _torch(x) is not None and _torch(like) is not None else x


def fixed_bps_impact(traded_qty: Num, impact_bps: float) -> Num:
    """Fractional price impact: a constant ``impact_bps`` for any non-zero trade."""
    return _as_float_of(traded_qty != 0, traded_qty) * (impact_bps * BPS)  # type: ignore[no-any-return]


def volume_share_impact(
    traded_qty: Num, bar_volume: Num, *, coefficient: float, max_share: float = 1.0
) -> Num:
    """Fractional impact ``coefficient × share²`` with share = |q| / volume capped at max_share.

    The quadratic form is Zipline's volume-share slippage; a zero-volume bar gets the cap.
    """
    if coefficient < 0 or not 0 < max_share <= 1:
        raise ValueError(
            f"coefficient must be >= 0 and max_share in (0, 1], was {coefficient}, {max_share}"
        )
    qty: Any = traded_qty
    volume: Any = bar_volume
    share: Any
    torch = _torch(volume)
    if torch is not None:
        share = torch.where(
            volume > 0,
            qty.abs() / volume.clamp_min(torch.finfo(volume.dtype).tiny),
            torch.full_like(volume, max_share),
        ).clamp_max(max_share)
    else:
        values = np.asarray(volume, dtype=float)
        tiny = np.finfo(values.dtype).tiny
        with np.errstate(over="ignore"):  # |q| / tiny overflows to inf, capped below
            share = np.minimum(
                np.where(values > 0, np.abs(qty) / np.maximum(values, tiny), max_share), max_share
            )
        if not isinstance(volume, np.ndarray):
            share = float(share)
    return coefficient * share * share  # type: ignore[no-any-return]


def square_root_impact(traded_qty: Num, adv: Num, sigma: Num, *, k: float) -> Num:
    """Fractional impact ``k × sigma × sqrt(|q| / adv)`` (the square-root law).

    ``sigma`` is the daily return volatility and ``adv`` the average daily volume in units.
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, was {k}")
    daily: Any = adv
    torch = _torch(daily)
    if bool((daily <= 0).any() if torch is not None else np.any(np.asarray(daily) <= 0)):
        raise ValueError("adv must be > 0 for every asset")
    ratio = abs(traded_qty) / daily
    root: Any = torch.sqrt(ratio) if torch is not None else np.sqrt(ratio)
    return k * sigma * root  # type: ignore[no-any-return]


def apply_impact(price: Num, traded_qty: Num, impact: Num) -> Num:
    """Move ``price`` by fractional ``impact`` (>= 0) against the side of ``traded_qty``."""
    return price * (1.0 + _cast(sign(traded_qty), price) * _cast(impact, price))

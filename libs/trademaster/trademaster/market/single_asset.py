"""Fused single-asset rebalance: the accounting of :mod:`trademaster.market.accounting` for one
asset, written once over torch tensors, numpy arrays or Python floats.

The hot env paths (batched numpy steps on CPU, the scalar gym path) cannot afford the generic
per-asset reductions; these functions perform the same operations in the same order as
``rebalance_to_target_positions`` + ``mark_to_market`` with a :class:`CostModel`, so results are
bit-identical (tested) for the exact IEEE operations they use.
"""

from __future__ import annotations

import logging
from typing import TypeVar

import numpy as np
import torch

from trademaster.market.costs import BPS, CostModel

_LOGGER = logging.getLogger(__name__)

Num = TypeVar("Num", torch.Tensor, np.ndarray, float)


def _sign(x: Num) -> Num:
    if isinstance(x, torch.Tensor):
        return torch.sign(x)
    if isinstance(x, np.ndarray):
        return np.sign(x)
    return float((x > 0) - (x < 0))  # type: ignore[operator]


def _nonzero(x: Num) -> Num:
    """1.0 where ``x`` != 0 else 0.0, in ``x``'s float dtype."""
    if isinstance(x, torch.Tensor):
        return (x != 0).to(x.dtype)
    if isinstance(x, np.ndarray):
        return (x != 0).astype(x.dtype)
    return 1.0 if x != 0 else 0.0  # type: ignore[return-value]


def rebalance_cash(cash: Num, positions: Num, target: Num, fill_price: Num, cost: CostModel) -> Num:
    """Cash after trading ``positions`` → ``target`` units at ``fill_price`` with fees and slippage.

    Buys pay the slipped price plus fees; sells receive the slipped price minus fees.
    """
    traded = target - positions
    exec_price = fill_price
    if cost.slippage_bps:
        exec_price = fill_price * (1.0 + _sign(traded) * (cost.slippage_bps * BPS))
    notional = traded * exec_price
    fee = abs(notional) * cost.fee_rate
    if cost.fixed_fee:
        fee = fee + _nonzero(notional) * cost.fixed_fee
    return cash - notional - fee


def mark_value(cash: Num, positions: Num, price: Num) -> Num:
    """Value = cash + position × price (a short counts negative)."""
    return cash + positions * price

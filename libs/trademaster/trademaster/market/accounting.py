"""Portfolio accounting: cash, signed positions in units, marking and rebalancing.

Conventions (batched over envs/accounts N and assets A; a single asset may drop the A axis):
- ``positions`` are signed units; a short is negative units and is marked at a negative value.
- value = cash + Σ position × price, always. Selling (short or long) credits cash with the
  proceeds; buying debits it. Fees and slippage are the only way a trade changes value at the
  fill price: value_after = value_before − fees − slippage_cost.
Functions are pure (no in-place mutation of inputs) and follow the inputs' dtype and device.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor

from trademaster.market.costs import CostModel, trading_fee

_LOGGER = logging.getLogger(__name__)


@dataclass
class Portfolio:
    """Mutable account state for N accounts: cash [N] and positions [N, A] (or [N])."""

    cash: Tensor
    positions: Tensor

    @classmethod
    def create(
        cls,
        num_accounts: int,
        num_assets: int | None,
        initial_cash: float,
        *,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str = "cpu",
    ) -> Portfolio:
        """Flat accounts holding ``initial_cash``; ``num_assets=None`` drops the asset axis."""
        shape = (num_accounts,) if num_assets is None else (num_accounts, num_assets)
        return cls(
            cash=torch.full((num_accounts,), float(initial_cash), dtype=dtype, device=device),
            positions=torch.zeros(shape, dtype=dtype, device=device),
        )

    def value(self, prices: Tensor) -> Tensor:
        return mark_to_market(self.cash, self.positions, prices)


class RebalanceResult(NamedTuple):
    """Outcome of one rebalance: new state plus what it cost, per account."""

    cash: Tensor
    positions: Tensor
    traded_qty: Tensor
    fees: Tensor
    slippage_cost: Tensor


def _sum_assets(x: Tensor, cash: Tensor) -> Tensor:
    return x if x.dim() == cash.dim() else x.sum(-1)


def mark_to_market(cash: Tensor, positions: Tensor, prices: Tensor) -> Tensor:
    """Portfolio value = cash + Σ position × price (shorts count negative)."""
    return cash + _sum_assets(positions * prices, cash)


def gross_exposure(positions: Tensor, prices: Tensor, cash: Tensor) -> Tensor:
    """Σ |position × price| per account."""
    return _sum_assets((positions * prices).abs(), cash)


def target_weights_to_positions(value: Tensor, weights: Tensor, prices: Tensor) -> Tensor:
    """Units that give each asset ``weights`` of ``value`` at ``prices``.

    ``weights`` covers the assets only (the cash weight is 1 − Σ weights); negative weights are
    shorts. ``value`` is [N]; weights and prices are [N, A] or [N].
    """
    scale = value if weights.dim() == value.dim() else value.unsqueeze(-1)
    return weights * scale / prices


def position_weights(value: Tensor, positions: Tensor, prices: Tensor) -> Tensor:
    """Signed weight of each asset in ``value`` (inverse of :func:`target_weights_to_positions`)."""
    scale = value if positions.dim() == value.dim() else value.unsqueeze(-1)
    return positions * prices / scale


def constrain_target_positions(
    target_positions: Tensor,
    value: Tensor,
    prices: Tensor,
    *,
    allow_short: bool = True,
    max_leverage: float | None = None,
    lot_size: float | None = None,
) -> Tensor:
    """Apply no-short, max-leverage (gross exposure ≤ max_leverage × value) and lot rounding.

    Scaling for leverage keeps the direction of the portfolio; lots round toward zero so rounding
    never increases exposure.
    """
    target = target_positions if allow_short else target_positions.clamp_min(0.0)
    if max_leverage is not None:
        if max_leverage <= 0:
            raise ValueError(f"max_leverage must be > 0, was {max_leverage}")
        gross = gross_exposure(target, prices, value)
        cap = max_leverage * value.clamp_min(0.0)
        scale = torch.where(gross > cap, cap / gross.clamp_min(torch.finfo(gross.dtype).tiny), 1.0)
        target = target * (scale if target.dim() == scale.dim() else scale.unsqueeze(-1))
    if lot_size is not None:
        if lot_size <= 0:
            raise ValueError(f"lot_size must be > 0, was {lot_size}")
        target = torch.trunc(target / lot_size) * lot_size
    return target


def rebalance_to_target_positions(
    cash: Tensor,
    positions: Tensor,
    target_positions: Tensor,
    fill_prices: Tensor,
    cost_model: CostModel,
    *,
    allow_short: bool = True,
    max_leverage: float | None = None,
    lot_size: float | None = None,
) -> RebalanceResult:
    """Trade from ``positions`` to ``target_positions`` at ``fill_prices`` with costs.

    Buys pay the slipped price plus fees from cash; sells (including opening a short) receive
    the slipped price minus fees. Returns per-account ``fees`` and ``slippage_cost`` [N].
    """
    target = target_positions
    if not allow_short or max_leverage is not None or lot_size is not None:
        value = mark_to_market(cash, positions, fill_prices)
        target = constrain_target_positions(
            target,
            value,
            fill_prices,
            allow_short=allow_short,
            max_leverage=max_leverage,
            lot_size=lot_size,
        )
    traded = target - positions
    exec_price = cost_model.execution_price(fill_prices, traded)
    notional = traded * exec_price
    fees = _sum_assets(trading_fee(notional, cost_model.fee_rate, cost_model.fixed_fee), cash)
    slippage_cost = _sum_assets(traded * (exec_price - fill_prices), cash)
    new_cash = cash - _sum_assets(notional, cash) - fees
    return RebalanceResult(new_cash, target, traded, fees, slippage_cost)


def settle_fill(
    cash: Tensor, positions: Tensor, signed_qty: Tensor, notional: Tensor, cost_model: CostModel
) -> tuple[Tensor, Tensor, Tensor]:
    """Book a fill whose price is known only as a total ``notional`` (e.g. a book walk).

    ``signed_qty`` > 0 buys (cash falls by notional), < 0 sells (cash rises); ``notional`` is
    the unsigned Σ units × price. Returns ``(cash, positions, fees)``.
    """
    fees = trading_fee(notional, cost_model.fee_rate, cost_model.fixed_fee)
    new_cash = cash - torch.sign(signed_qty).to(cash.dtype) * notional - fees
    return new_cash, positions + signed_qty, fees

"""Execution timing: which bar's price fills an order decided on data up to bar t.

The default fills at the next bar (``NEXT_OPEN`` or ``NEXT_CLOSE``): the decision uses bars
<= t, the fill uses bar t+1, so no future information leaks into the decision. ``SAME_CLOSE``
fills at the close the decision already saw; it is kept for comparison with papers that use it
and is flagged as look-ahead-prone.
"""

from __future__ import annotations

import enum
import logging

import torch
from torch import Tensor

_LOGGER = logging.getLogger(__name__)


class FillTiming(enum.StrEnum):
    """When an order decided at bar t is filled."""

    NEXT_OPEN = "next_open"
    NEXT_CLOSE = "next_close"
    SAME_CLOSE = "same_close"

    @property
    def is_look_ahead_prone(self) -> bool:
        """True when the fill price was already visible to the decision."""
        return self is FillTiming.SAME_CLOSE

    @property
    def bar_offset(self) -> int:
        """Bars between the decision bar and the fill bar."""
        return 0 if self is FillTiming.SAME_CLOSE else 1


def fill_prices(
    timing: FillTiming, decision_index: Tensor, open_: Tensor | None, close: Tensor
) -> Tensor:
    """Fill prices for decisions taken at ``decision_index`` (time is the first axis).

    Raises:
        ValueError: if ``NEXT_OPEN`` is asked without open prices.
    """
    timing = FillTiming(timing)
    index = decision_index + timing.bar_offset
    if timing is FillTiming.NEXT_OPEN:
        if open_ is None:
            raise ValueError("NEXT_OPEN fill timing needs open prices, got None")
        return open_[index]
    return close[index]


def walk_book(quantity: Tensor, level_prices: Tensor, level_sizes: Tensor) -> tuple[Tensor, Tensor]:
    """Fill a market order of ``quantity`` >= 0 units against book levels, best level first.

    Args:
        quantity: [N] units wanted.
        level_prices: [N, L] prices of the side being hit (bids for a sell, asks for a buy).
        level_sizes: [N, L] units resting at each level.

    Returns:
        ``(filled [N], notional [N])``: units filled (partial when depth runs out) and
        Σ fill × level price.
    """
    depth_before = torch.cumsum(level_sizes, dim=1) - level_sizes
    per_level = (quantity.unsqueeze(1) - depth_before).clamp_min(0.0).minimum(level_sizes)
    return per_level.sum(1), (per_level * level_prices).sum(1)

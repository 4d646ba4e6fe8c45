"""Execution timing: which bar's price fills an order decided on data up to bar t.

The default fills at the next bar (``NEXT_OPEN`` or ``NEXT_CLOSE``): the decision uses bars
<= t, the fill uses bar t+1, so no future information leaks into the decision. ``SAME_CLOSE``
fills at the close the decision already saw; it is kept for comparison with papers that use it
and is flagged as look-ahead-prone.
"""

from __future__ import annotations

import enum
import logging

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

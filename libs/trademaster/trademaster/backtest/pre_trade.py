"""Optional pre-trade limits for the event-driven backtest: the risk service's rule engine.

One set of rules everywhere: ``trademaster.risk.RiskEngine`` — the engine that vetoes every
paper and live order in the risk service — checks each backtest order before it fills, against
the same ``Limits``, ``InstrumentRules`` and trading state, so a strategy is backtested under
the limits it will trade under. A denied order does not fill (nothing is clipped: a live
venue gets no part of a denied order either) and is recorded as a ``Denial`` with the engine's
reason codes and messages, e.g. ``POSITION_LIMIT_EXCEEDED``.

No look-ahead: the reference price is the close of the bar the order was *decided* on (the
last price the strategy saw), never the fill bar's price; the check sees the position, cash
and marks of the account at that point. Rate limits and the duplicate window run on the bar
timestamps. The engine checks the order as placed; the backtest's own execution constraints
(volume cap, cash floor) then shrink the fill as before.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from trademaster.risk.book import AccountBook
from trademaster.risk.engine import RiskEngine
from trademaster.risk.model import BUY, SELL, InstrumentRules, Limits, OrderIntent, TradingState

_DEFAULT_LOT = 1e-9
"""Lot size of an instrument without rules: fractional units pass the lot check."""


@dataclass(frozen=True, slots=True)
class Denial:
    """One backtest order the rule engine refused."""

    bar: int
    """Bar the order was decided on."""
    asset: str
    quantity: float
    """Signed quantity ordered."""
    reasons: tuple[str, ...]
    messages: tuple[str, ...]


@dataclass
class PreTradeGate:
    """The rule engine and an ``AccountBook`` that mirrors the backtest account.

    ``instruments`` are the rules per asset (tick/lot sizes, min/max quantity and notional);
    an asset without an entry gets permissive rules (every order passes the instrument checks).
    """

    limits: Limits
    instruments: Mapping[str, InstrumentRules] = field(default_factory=dict)
    state: TradingState = TradingState.ACTIVE
    denials: list[Denial] = field(default_factory=list)
    allowed: int = 0

    def __post_init__(self) -> None:
        self._engine = RiskEngine()
        self._book: AccountBook | None = None
        self._rules: dict[str, InstrumentRules] = dict(self.instruments)
        self._orders = 0

    def start(self, tics: Sequence[str], cash: float, lot_size: float | None) -> None:
        """Reset for a run over ``tics`` starting with ``cash``."""
        self._book = AccountBook(cash)
        lot = lot_size or _DEFAULT_LOT
        for tic in tics:
            self._rules.setdefault(tic, InstrumentRules(tic, tick_size=_DEFAULT_LOT, lot_size=lot))
        self.denials.clear()
        self.allowed = 0

    def check(
        self, bar: int, tic: str, quantity: float, reference: float, time_ns: int, cash: float
    ) -> bool:
        """Decide on ``quantity`` (signed) of ``tic`` decided on ``bar`` at price ``reference``;
        an allowed order is held as working until ``filled``."""
        book = self._require()
        book.cash = cash
        book.set_price(tic, reference, time_ns)
        self._orders += 1
        intent = OrderIntent(
            f"bt-{self._orders}", tic, BUY if quantity > 0 else SELL, abs(quantity)
        )
        verdict = self._engine.check(book, self.limits, self._rules, intent, self.state, time_ns)
        if verdict.allowed:
            self.allowed += 1
            return True
        self.denials.append(
            Denial(
                bar,
                tic,
                quantity,
                tuple(v.reason for v in verdict.violations),
                tuple(v.message for v in verdict.violations),
            )
        )
        return False

    def filled(self, tic: str, quantity: float, price: float) -> None:
        """Book the fill of the last allowed order (``quantity`` signed, 0 when nothing filled)
        and stop counting it as working; the cash is synced at the next check."""
        book = self._require()
        book.reduce_working(f"bt-{self._orders}")
        if quantity and math.isfinite(price):
            book.apply_fill(tic, BUY if quantity > 0 else SELL, abs(quantity), price, 0.0)

    def summary(self) -> str:
        """One line for the result's warnings: how many orders were denied, by reason."""
        counts = Counter(r for d in self.denials for r in d.reasons)
        by_reason = ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items()))
        total = len(self.denials) + self.allowed
        return f"pre-trade limits denied {len(self.denials)} of {total} orders ({by_reason})"

    def _require(self) -> AccountBook:
        if self._book is None:
            raise RuntimeError("PreTradeGate.start was not called")
        return self._book

"""Circuit breakers: automatic trading-state changes, only ever toward safety.

Daily loss (from the day's starting equity) and drawdown (from the high-water mark) halt the
account; a run of denials or of losing closing fills moves it to REDUCING with a cooldown. A
breaker never returns an account to ACTIVE: that is a manual, audited command.
"""

from __future__ import annotations

from dataclasses import dataclass

from trademaster.risk.model import Limits, TradingState


@dataclass(frozen=True, slots=True)
class Trip:
    """A breaker that fired: the state it asks for, its name and a reason with the numbers."""

    state: TradingState
    breaker: str
    reason: str
    cooldown_s: int = 0


@dataclass(slots=True)
class Breakers:
    """Running counters of one account; ``on_*`` return a ``Trip`` when a threshold is crossed."""

    day_start_equity: float
    high_water_mark: float
    consecutive_denials: int = 0
    consecutive_losses: int = 0

    def on_decision(self, allowed: bool, limits: Limits) -> Trip | None:
        """Count a real (not dry-run) decision; trips after ``max_consecutive_denials``."""
        if allowed:
            self.consecutive_denials = 0
            return None
        self.consecutive_denials += 1
        limit = limits.max_consecutive_denials
        if limit and self.consecutive_denials >= limit:
            count, self.consecutive_denials = self.consecutive_denials, 0
            return Trip(
                TradingState.REDUCING,
                "consecutive_denials",
                f"{count} consecutive denials, limit {limit}",
                limits.breaker_cooldown_s,
            )
        return None

    def on_fill(self, realized: float, closing: bool, limits: Limits) -> Trip | None:
        """Count a closing fill's realized P&L; trips after ``max_consecutive_losses`` losses."""
        if not closing:
            return None
        if realized >= 0:
            self.consecutive_losses = 0
            return None
        self.consecutive_losses += 1
        limit = limits.max_consecutive_losses
        if limit and self.consecutive_losses >= limit:
            count, self.consecutive_losses = self.consecutive_losses, 0
            return Trip(
                TradingState.REDUCING,
                "consecutive_losses",
                f"{count} consecutive losing fills, limit {limit}",
                limits.breaker_cooldown_s,
            )
        return None

    def on_equity(self, equity: float, limits: Limits) -> Trip | None:
        """Check daily loss and drawdown at a new equity; raises the high-water mark."""
        self.high_water_mark = max(self.high_water_mark, equity)
        loss = self.day_start_equity - equity
        if loss > limits.max_daily_loss:
            return Trip(
                TradingState.HALTED,
                "daily_loss",
                f"daily loss {loss:.2f} exceeds the limit {limits.max_daily_loss:.2f}",
            )
        if self.high_water_mark > 0:
            drawdown = (self.high_water_mark - equity) / self.high_water_mark
            if drawdown > limits.max_drawdown:
                return Trip(
                    TradingState.HALTED,
                    "drawdown",
                    f"drawdown {drawdown:.4f} from the high-water mark "
                    f"{self.high_water_mark:.2f} exceeds the limit {limits.max_drawdown:.4f}",
                )
        return None

    def new_day(self, equity: float) -> None:
        """Start a trading day at ``equity``."""
        self.day_start_equity = equity

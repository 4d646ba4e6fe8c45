"""The pre-trade rule engine: every rule, in a fixed order, with reason, value and limit.

Order of rules (``trademaster.risk.rules``): trading state (and reduce-only); instrument
known, enabled, allowed, quantity bounds, lot and tick multiples; reference price present and
fresh, price collar; max order quantity; min/max notional; post-trade position, gross and net
exposure counting working orders; buying power / leverage; then the stateful rules here: order
rate per account and deployment, max working orders, duplicate intent. Every applicable rule is
evaluated, so a denial lists all its causes.

A modification (``check_modify``) is checked as the order it would become: its own working
quantity is taken out of the book first, so the new quantity replaces it rather than adding to
it, and put back when the modification is denied. HALTED refuses every modification, reduce-only
ones included (an emergency exit is a cancel plus a new reduce-only order).

An allowed real (not dry-run) order is *reserved* at once — counted as working, rate tokens
taken, intent remembered — so a concurrent order sees it; ``release`` undoes that when the
order could not be persisted or sent.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping

from trademaster.risk import reasons as R
from trademaster.risk import rules as rule
from trademaster.risk.book import AccountBook
from trademaster.risk.model import (
    BUY,
    Check,
    InstrumentRules,
    Limits,
    OrderIntent,
    TradingState,
    Verdict,
    Violation,
)
from trademaster.risk.rate import TokenBucket
from trademaster.risk.rules import deny, num

NAN = math.nan
_MAX_INTENTS = 4096


class RiskEngine:
    """Per-account rule state (rate buckets, recent intents) plus the ``check`` entry point."""

    __slots__ = ("_account_bucket", "_deployment_buckets", "_intents", "_limits_version")

    def __init__(self) -> None:
        self._account_bucket: TokenBucket | None = None
        self._deployment_buckets: dict[str, TokenBucket] = {}
        self._intents: dict[tuple[object, ...], int] = {}
        self._limits_version = -1

    def check(
        self,
        book: AccountBook,
        limits: Limits,
        instruments: Mapping[str, InstrumentRules],
        order: OrderIntent,
        state: TradingState,
        now_ns: int,
        *,
        dry_run: bool = False,
    ) -> Verdict:
        """Decide on ``order``; reserves it in ``book`` when allowed and not ``dry_run``."""
        started = time.perf_counter_ns()
        checks: list[Check] = []
        violations: list[Violation] = []
        side, qty, iid = order.side, order.quantity, order.instrument_id
        ib = book.instruments.get(iid)
        pos = ib.position if ib is not None else 0.0
        wb = ib.working_buy if ib is not None else 0.0
        ws = ib.working_sell if ib is not None else 0.0
        rule.state_rule(checks, violations, state, order, pos, wb, ws)
        rules = instruments.get(iid)
        rule.instrument_rules(checks, violations, rules, limits, order)
        ref = ib.price if ib is not None else NAN
        age = now_ns - ib.price_time_ns if ib is not None else 0
        have_ref = rule.reference_rules(checks, violations, limits, order, ref, age)
        if qty > limits.max_order_quantity + rule.EPS:
            deny(
                checks,
                violations,
                "max_order_quantity",
                R.ORDER_QUANTITY_EXCEEDED,
                qty,
                limits.max_order_quantity,
                f"order quantity {num(qty)} exceeds the limit {num(limits.max_order_quantity)}",
            )
        else:
            checks.append(("max_order_quantity", True, "", qty, limits.max_order_quantity))
        gross_before = gross_after = book.gross_exposure
        if have_ref:
            rule.notional_rules(checks, violations, limits, rules, order, ref)
            gross_after = rule.exposure_rules(checks, violations, book, limits, ib, order, ref)
        buckets = self._rate_rules(checks, violations, limits, order, now_ns)
        self._working_rule(checks, violations, book, limits)
        fingerprint = self._duplicate_rule(checks, violations, limits, order, now_ns)
        allowed = not violations
        if allowed and not dry_run:
            self._reserve(book, order, buckets, fingerprint, limits, now_ns)
        before = pos + wb if side == BUY else pos - ws
        verdict = Verdict(
            allowed,
            state,
            checks,
            violations,
            ref,
            age if have_ref else 0,
            before,
            before + side * qty,
            gross_before,
            gross_after,
        )
        verdict.latency_ns = time.perf_counter_ns() - started
        return verdict

    def check_modify(
        self,
        book: AccountBook,
        limits: Limits,
        instruments: Mapping[str, InstrumentRules],
        order: OrderIntent,
        state: TradingState,
        now_ns: int,
    ) -> Verdict:
        """Decide on a working order modified to ``order`` (its open quantity after the change);
        allowed, the new quantity is reserved in place of the old one."""
        previous = book.working.get(order.client_order_id)
        before = 0.0 if previous is None else previous.open_quantity
        book.reduce_working(order.client_order_id)
        if state is TradingState.HALTED and order.reduce_only:
            order = dataclasses.replace(order, reduce_only=False)
        verdict = self.check(book, limits, instruments, order, state, now_ns)
        if not verdict.allowed and before > 0:
            book.add_working(order.client_order_id, order.instrument_id, order.side, before)
        return verdict

    @staticmethod
    def restore(book: AccountBook, order: OrderIntent, open_quantity: float) -> None:
        """Count a working order at ``open_quantity`` again (a modification not applied)."""
        book.reduce_working(order.client_order_id)
        if open_quantity > 0:
            book.add_working(order.client_order_id, order.instrument_id, order.side, open_quantity)

    # --- stateful rules ------------------------------------------------------------------
    def _buckets(
        self, limits: Limits, deployment_id: str, now_ns: int
    ) -> tuple[TokenBucket | None, TokenBucket | None]:
        if limits.version != self._limits_version:
            self._limits_version = limits.version
            rate = limits.max_orders_per_second
            self._account_bucket = (
                TokenBucket(rate, limits.order_burst, now_ns) if math.isfinite(rate) else None
            )
            self._deployment_buckets.clear()
        dep = None
        rate = limits.max_deployment_orders_per_second
        if deployment_id and math.isfinite(rate):
            dep = self._deployment_buckets.get(deployment_id)
            if dep is None:
                dep = self._deployment_buckets[deployment_id] = TokenBucket(rate, 0, now_ns)
        return self._account_bucket, dep

    def _rate_rules(
        self,
        checks: list[Check],
        violations: list[Violation],
        limits: Limits,
        order: OrderIntent,
        now_ns: int,
    ) -> tuple[TokenBucket | None, ...]:
        """7a. Token buckets per account and per deployment (denied when empty)."""
        account, dep = self._buckets(limits, order.deployment_id, now_ns)
        if account is not None:
            tokens = account.available(now_ns)
            rate = limits.max_orders_per_second
            if tokens < 1.0:
                deny(
                    checks,
                    violations,
                    "order_rate",
                    R.RATE_LIMIT_EXCEEDED,
                    rate + 1 - tokens,
                    rate,
                    f"order rate above {num(rate)}/s (burst {num(account.burst)})",
                )
            else:
                checks.append(("order_rate", True, "", tokens, account.burst))
        if dep is not None:
            tokens = dep.available(now_ns)
            rate = limits.max_deployment_orders_per_second
            if tokens < 1.0:
                deny(
                    checks,
                    violations,
                    "deployment_order_rate",
                    R.DEPLOYMENT_RATE_LIMIT_EXCEEDED,
                    rate + 1 - tokens,
                    rate,
                    f"deployment {order.deployment_id!r} order rate above {num(rate)}/s",
                )
            else:
                checks.append(("deployment_order_rate", True, "", tokens, dep.burst))
        return account, dep

    @staticmethod
    def _working_rule(
        checks: list[Check], violations: list[Violation], book: AccountBook, limits: Limits
    ) -> None:
        """7b. Max working orders of the account."""
        if limits.max_working_orders:
            working = len(book.working)
            if working + 1 > limits.max_working_orders:
                deny(
                    checks,
                    violations,
                    "max_working_orders",
                    R.MAX_WORKING_ORDERS_EXCEEDED,
                    working + 1,
                    limits.max_working_orders,
                    f"{working} orders are working, limit {limits.max_working_orders}",
                )
            else:
                checks.append(
                    ("max_working_orders", True, "", working + 1, limits.max_working_orders)
                )

    def _duplicate_rule(
        self,
        checks: list[Check],
        violations: list[Violation],
        limits: Limits,
        order: OrderIntent,
        now_ns: int,
    ) -> tuple[object, ...] | None:
        """8. The same intent (instrument, side, quantity, price, deployment) inside the window."""
        window = limits.duplicate_window_ns
        if not window:
            return None
        fingerprint = order.fingerprint
        seen = self._intents.get(fingerprint)
        if seen is not None and now_ns - seen < window:
            ago = (now_ns - seen) / 1e6
            deny(
                checks,
                violations,
                "duplicate_intent",
                R.DUPLICATE_INTENT,
                ago,
                window / 1e6,
                f"same instrument, side, quantity and price as an order {ago:.0f} ms ago "
                f"(window {window / 1e6:.0f} ms)",
            )
        else:
            checks.append(("duplicate_intent", True, "", NAN, window / 1e6))
        return fingerprint

    def _reserve(
        self,
        book: AccountBook,
        order: OrderIntent,
        buckets: tuple[TokenBucket | None, ...],
        fingerprint: tuple[object, ...] | None,
        limits: Limits,
        now_ns: int,
    ) -> None:
        for bucket in buckets:
            if bucket is not None:
                bucket.take(now_ns)
        if fingerprint is not None:
            if len(self._intents) >= _MAX_INTENTS:
                self._prune(now_ns, limits.duplicate_window_ns)
            self._intents[fingerprint] = now_ns
        book.add_working(order.client_order_id, order.instrument_id, order.side, order.quantity)

    def release(self, book: AccountBook, order: OrderIntent, limits: Limits) -> None:
        """Undo the reservation of an allowed order that was never placed."""
        book.reduce_working(order.client_order_id)
        if self._account_bucket is not None:
            self._account_bucket.give_back()
        dep = self._deployment_buckets.get(order.deployment_id)
        if dep is not None:
            dep.give_back()
        self._intents.pop(order.fingerprint, None)

    def _prune(self, now_ns: int, window: int) -> None:
        for key in [k for k, t in self._intents.items() if now_ns - t >= window]:
            del self._intents[key]

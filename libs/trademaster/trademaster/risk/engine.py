"""The pre-trade rule engine: every rule, in a fixed order, with reason, value and limit.

Order of rules: trading state (and reduce-only); instrument known, enabled, allowed, quantity
bounds, lot and tick multiples, minimum notional; reference price present and fresh, price
collar; max order quantity and notional; post-trade position, gross and net exposure counting
working orders; buying power / leverage; order rate per account and deployment, max working
orders; duplicate intent. Every applicable rule is evaluated, so a denial lists all its causes.

An allowed real (not dry-run) order is *reserved* at once — counted as working, rate tokens
taken, intent remembered — so a concurrent order sees it; ``release`` undoes that when the
order could not be persisted or sent.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from trademaster.risk import reasons as R
from trademaster.risk.book import AccountBook
from trademaster.risk.model import (
    BUY,
    INF,
    Check,
    InstrumentRules,
    Limits,
    OrderIntent,
    TradingState,
    Verdict,
    Violation,
)
from trademaster.risk.rate import TokenBucket

NAN = math.nan
_EPS = 1e-9
_MAX_INTENTS = 4096


def _multiple(value: float, step: float) -> bool:
    ratio = value / step
    return abs(ratio - round(ratio)) <= _EPS * max(1.0, abs(ratio))


def _num(value: float) -> str:
    return f"{value:.10g}"


def reducing_violation(
    position: float, working_buy: float, working_sell: float, side: int, quantity: float
) -> str | None:
    """Why an order fails the REDUCING rule, or None when it passes.

    Passes only if |position after, counting working orders on the order's side| is not larger
    than |position| and keeps its sign; when flat nothing passes.
    """
    if position == 0:
        return "account is flat in this instrument, every order would open a position"
    if (position > 0) == (side == BUY):
        return f"order would increase |position| {_num(abs(position))}"
    if position > 0:
        after = position - working_sell - quantity
    else:
        after = position + working_buy + quantity
    if (after < -_EPS) if position > 0 else (after > _EPS):
        return (
            f"position {_num(position)} after this order and working orders would be "
            f"{_num(after)}: the sign would flip"
        )
    return None


class RiskEngine:
    """Per-account rule state (rate buckets, recent intents) plus the ``check`` entry point."""

    __slots__ = ("_account_bucket", "_deployment_buckets", "_intents", "_limits_version")

    def __init__(self) -> None:
        self._account_bucket: TokenBucket | None = None
        self._deployment_buckets: dict[str, TokenBucket] = {}
        self._intents: dict[tuple[object, ...], int] = {}
        self._limits_version = -1

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

    def check(  # noqa: PLR0912, PLR0915 - one linear pass over the rules is the point
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
        add = checks.append

        def deny(check: str, reason: str, value: float, limit: float, message: str) -> None:
            add((check, False, reason, value, limit))
            violations.append(Violation(reason, message, value, limit))

        side, qty, iid = order.side, order.quantity, order.instrument_id
        ib = book.instruments.get(iid)
        pos = ib.position if ib is not None else 0.0
        wb = ib.working_buy if ib is not None else 0.0
        ws = ib.working_sell if ib is not None else 0.0

        # 1. trading state and reduce-only
        if state is TradingState.HALTED and not order.reduce_only:
            deny(
                "trading_state",
                R.TRADING_HALTED,
                NAN,
                NAN,
                "trading is HALTED: only reduce-only exits are accepted",
            )
        elif state is not TradingState.ACTIVE or order.reduce_only:
            why = reducing_violation(pos, wb, ws, side, qty)
            if why is None:
                add(("trading_state", True, "", pos, NAN))
            elif state is TradingState.ACTIVE:
                deny(
                    "reduce_only",
                    R.REDUCE_ONLY_WOULD_INCREASE,
                    pos,
                    NAN,
                    f"reduce-only order rejected: {why}",
                )
            else:
                deny(
                    "trading_state",
                    R.TRADING_STATE_REDUCING,
                    pos,
                    NAN,
                    f"trading is {state.name}: {why}",
                )
        else:
            add(("trading_state", True, "", NAN, NAN))

        # 2. instrument rules
        rules = instruments.get(iid)
        if rules is None:
            deny("instrument", R.INSTRUMENT_UNKNOWN, NAN, NAN, f"instrument {iid!r} is not known")
        elif not rules.enabled:
            deny("instrument", R.INSTRUMENT_DISABLED, NAN, NAN, f"instrument {iid!r} is disabled")
        elif limits.allowed_instruments and iid not in limits.allowed_instruments:
            deny(
                "instrument",
                R.INSTRUMENT_NOT_ALLOWED,
                NAN,
                NAN,
                f"instrument {iid!r} is not in the account's allowed instruments",
            )
        else:
            add(("instrument", True, "", NAN, NAN))
            min_qty = rules.min_quantity or rules.lot_size
            if qty < min_qty - _EPS:
                deny(
                    "min_quantity",
                    R.QUANTITY_BELOW_MIN,
                    qty,
                    min_qty,
                    f"quantity {_num(qty)} is below the minimum {_num(min_qty)}",
                )
            elif qty > rules.max_quantity + _EPS:
                deny(
                    "max_quantity",
                    R.QUANTITY_ABOVE_MAX,
                    qty,
                    rules.max_quantity,
                    f"quantity {_num(qty)} is above the instrument maximum "
                    f"{_num(rules.max_quantity)}",
                )
            else:
                add(("quantity_bounds", True, "", qty, min_qty))
            if _multiple(qty, rules.lot_size):
                add(("lot_size", True, "", qty, rules.lot_size))
            else:
                deny(
                    "lot_size",
                    R.QUANTITY_NOT_LOT_MULTIPLE,
                    qty,
                    rules.lot_size,
                    f"quantity {_num(qty)} is not a multiple of the lot size "
                    f"{_num(rules.lot_size)}",
                )
            lp = order.limit_price
            if lp is not None:
                if _multiple(lp, rules.tick_size):
                    add(("tick_size", True, "", lp, rules.tick_size))
                else:
                    deny(
                        "tick_size",
                        R.PRICE_NOT_TICK_MULTIPLE,
                        lp,
                        rules.tick_size,
                        f"limit price {_num(lp)} is not a multiple of the tick size "
                        f"{_num(rules.tick_size)}",
                    )

        # 3. reference price and collar
        ref = ib.price if ib is not None else NAN
        age = now_ns - ib.price_time_ns if ib is not None else 0
        have_ref = ref == ref
        if not have_ref:
            deny(
                "reference_price",
                R.REFERENCE_PRICE_MISSING,
                NAN,
                NAN,
                f"no reference price for {iid!r}",
            )
        elif age > limits.max_reference_age_ns:
            deny(
                "reference_price",
                R.REFERENCE_PRICE_STALE,
                age / 1e6,
                limits.max_reference_age_ns / 1e6,
                f"reference price is {age / 1e6:.0f} ms old, older than "
                f"{limits.max_reference_age_ns / 1e6:.0f} ms",
            )
        else:
            add(("reference_price", True, "", age / 1e6, limits.max_reference_age_ns / 1e6))
            lp = order.limit_price
            if lp is not None and math.isfinite(limits.price_collar_bps):
                dist = abs(lp - ref) / ref * 1e4
                if dist > limits.price_collar_bps + _EPS:
                    deny(
                        "price_collar",
                        R.PRICE_COLLAR_BREACHED,
                        dist,
                        limits.price_collar_bps,
                        f"limit price {_num(lp)} is {dist:.1f} bps from the reference "
                        f"{_num(ref)}, collar is {_num(limits.price_collar_bps)} bps",
                    )
                else:
                    add(("price_collar", True, "", dist, limits.price_collar_bps))

        # 4. order size
        if qty > limits.max_order_quantity + _EPS:
            deny(
                "max_order_quantity",
                R.ORDER_QUANTITY_EXCEEDED,
                qty,
                limits.max_order_quantity,
                f"order quantity {_num(qty)} exceeds the limit {_num(limits.max_order_quantity)}",
            )
        else:
            add(("max_order_quantity", True, "", qty, limits.max_order_quantity))
        price = order.limit_price if order.limit_price is not None else ref
        before = pos + wb if side == BUY else pos - ws
        after = before + side * qty
        gross_before = book.gross_exposure
        gross_after = gross_before
        if have_ref:
            notional = qty * price
            if rules is not None and notional < rules.min_notional - _EPS:
                deny(
                    "min_notional",
                    R.NOTIONAL_BELOW_MIN,
                    notional,
                    rules.min_notional,
                    f"order notional {notional:.2f} is below the minimum "
                    f"{_num(rules.min_notional)}",
                )
            if notional > limits.max_order_notional + _EPS:
                deny(
                    "max_order_notional",
                    R.ORDER_NOTIONAL_EXCEEDED,
                    notional,
                    limits.max_order_notional,
                    f"order notional {notional:.2f} exceeds the limit "
                    f"{_num(limits.max_order_notional)}",
                )
            else:
                add(("max_order_notional", True, "", notional, limits.max_order_notional))

            # 5. post-trade position and exposures, working orders counted
            if side == BUY:
                worst = max(abs(pos + wb + qty), abs(pos - ws))
            else:
                worst = max(abs(pos + wb), abs(pos - ws - qty))
            caps = limits.max_position
            pos_limit = caps.get(iid, caps.get("*", INF)) if caps else INF
            if worst > pos_limit + _EPS:
                deny(
                    "max_position",
                    R.POSITION_LIMIT_EXCEEDED,
                    worst,
                    pos_limit,
                    f"|position| incl. working orders would be {_num(worst)}, limit "
                    f"{_num(pos_limit)}",
                )
            else:
                add(("max_position", True, "", worst, pos_limit))
            old_gross = ib.gross if ib is not None else 0.0
            gross_after = gross_before - old_gross + worst * ref
            if gross_after > limits.max_gross_exposure + _EPS and gross_after > gross_before:
                deny(
                    "max_gross_exposure",
                    R.GROSS_EXPOSURE_EXCEEDED,
                    gross_after,
                    limits.max_gross_exposure,
                    f"gross exposure would be {gross_after:.2f}, limit "
                    f"{_num(limits.max_gross_exposure)}",
                )
            else:
                add(("max_gross_exposure", True, "", gross_after, limits.max_gross_exposure))
            net = book.net_value
            if side == BUY:
                net_after = max(
                    abs(net + book.working_buy_value + qty * ref),
                    abs(net - book.working_sell_value),
                )
            else:
                net_after = max(
                    abs(net + book.working_buy_value),
                    abs(net - book.working_sell_value - qty * ref),
                )
            if net_after > limits.max_net_exposure + _EPS and net_after > book.net_exposure_worst:
                deny(
                    "max_net_exposure",
                    R.NET_EXPOSURE_EXCEEDED,
                    net_after,
                    limits.max_net_exposure,
                    f"|net exposure| would be {net_after:.2f}, limit "
                    f"{_num(limits.max_net_exposure)}",
                )
            else:
                add(("max_net_exposure", True, "", net_after, limits.max_net_exposure))

            # 6. buying power / leverage: only orders that add exposure need it
            equity = book.equity
            leverage = 1.0 if limits.max_leverage is None else limits.max_leverage
            capacity = max(equity, 0.0) * leverage
            if gross_after > gross_before + _EPS and gross_after > capacity + _EPS:
                if limits.max_leverage is None:
                    deny(
                        "buying_power",
                        R.INSUFFICIENT_BUYING_POWER,
                        gross_after,
                        capacity,
                        f"exposure incl. working orders would be {gross_after:.2f}, buying "
                        f"power (equity) is {capacity:.2f}",
                    )
                else:
                    lev = gross_after / equity if equity > 0 else INF
                    deny(
                        "leverage",
                        R.LEVERAGE_EXCEEDED,
                        lev,
                        leverage,
                        f"leverage would be {lev:.3f}, limit {_num(leverage)}",
                    )
            else:
                add(("buying_power", True, "", gross_after, capacity))

        # 7. order rate and working orders
        account_bucket, dep_bucket = self._buckets(limits, order.deployment_id, now_ns)
        if account_bucket is not None:
            tokens = account_bucket.available(now_ns)
            if tokens < 1.0:
                deny(
                    "order_rate",
                    R.RATE_LIMIT_EXCEEDED,
                    limits.max_orders_per_second + 1 - tokens,
                    limits.max_orders_per_second,
                    f"order rate above {_num(limits.max_orders_per_second)}/s "
                    f"(burst {_num(account_bucket.burst)})",
                )
            else:
                add(("order_rate", True, "", tokens, account_bucket.burst))
        if dep_bucket is not None:
            tokens = dep_bucket.available(now_ns)
            if tokens < 1.0:
                deny(
                    "deployment_order_rate",
                    R.DEPLOYMENT_RATE_LIMIT_EXCEEDED,
                    limits.max_deployment_orders_per_second + 1 - tokens,
                    limits.max_deployment_orders_per_second,
                    f"deployment {order.deployment_id!r} order rate above "
                    f"{_num(limits.max_deployment_orders_per_second)}/s",
                )
            else:
                add(("deployment_order_rate", True, "", tokens, dep_bucket.burst))
        if limits.max_working_orders:
            working = len(book.working)
            if working + 1 > limits.max_working_orders:
                deny(
                    "max_working_orders",
                    R.MAX_WORKING_ORDERS_EXCEEDED,
                    working + 1,
                    limits.max_working_orders,
                    f"{working} orders are working, limit {limits.max_working_orders}",
                )
            else:
                add(("max_working_orders", True, "", working + 1, limits.max_working_orders))

        # 8. duplicate intent
        window = limits.duplicate_window_ns
        fingerprint = order.fingerprint
        if window:
            seen = self._intents.get(fingerprint)
            if seen is not None and now_ns - seen < window:
                deny(
                    "duplicate_intent",
                    R.DUPLICATE_INTENT,
                    (now_ns - seen) / 1e6,
                    window / 1e6,
                    f"same instrument, side, quantity and price as an order "
                    f"{(now_ns - seen) / 1e6:.0f} ms ago (window {window / 1e6:.0f} ms)",
                )
            else:
                add(("duplicate_intent", True, "", NAN, window / 1e6))

        allowed = not violations
        if allowed and not dry_run:
            if account_bucket is not None:
                account_bucket.take(now_ns)
            if dep_bucket is not None:
                dep_bucket.take(now_ns)
            if window:
                if len(self._intents) >= _MAX_INTENTS:
                    self._prune(now_ns, window)
                self._intents[fingerprint] = now_ns
            book.add_working(order.client_order_id, iid, side, qty)
        verdict = Verdict(
            allowed,
            state,
            checks,
            violations,
            ref,
            age if have_ref else 0,
            before,
            after,
            gross_before,
            gross_after,
        )
        verdict.latency_ns = time.perf_counter_ns() - started
        return verdict

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

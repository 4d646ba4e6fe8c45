"""The compliance report as one printable HTML page: the chain verification first (a failed
chain in red, stating where and why), totals, an inline SVG chart of end-of-day equity and
daily P&L, then every section as a table. Self-contained (no scripts, no external assets) and
deterministic, like the CSV export."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from trademaster.api.risk.v1 import risk_pb2 as pb

from tm_gateway.compliance_view import SECTIONS, columns, section_rows, summary

_TITLES = {
    "orders": "Orders",
    "decisions": "Decisions (with reason codes)",
    "limit_breaches": "Limit breaches (denied decisions)",
    "fills": "Fills",
    "days": "Daily P&L",
    "positions": "End-of-day positions",
    "state_changes": "Trading-state changes",
    "kill_switch_events": "Kill-switch events",
}
_STYLE = (
    "body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;"
    "margin:.5em 0 1.5em;font-size:12px}td,th{border:1px solid #bbb;padding:2px 6px;"
    "text-align:left}th{background:#eee}.ok{color:#11651b}.bad{color:#b00020}"
    ".chain{border:2px solid;padding:.5em 1em;margin:1em 0}"
    "@media print{h2{page-break-after:avoid}table{page-break-inside:auto}}"
)
_W, _H, _PAD = 760, 260, 44


def _fmt(value: Decimal) -> str:
    return f"{value:.2f}"


def _chart(days: list[pb.ComplianceDay]) -> str:
    """Equity at each day's end (line, upper half) and the day's P&L (bars, lower half)."""
    if not days:
        return ""
    equity = [Decimal(d.equity or "0") for d in days]
    pnl = [Decimal(d.pnl or "0") for d in days]
    step = Decimal(_W - 2 * _PAD) / max(len(days) - 1, 1)
    low, high = min(equity), max(equity)
    span = high - low or Decimal(1)
    top, mid = Decimal(20), Decimal(_H // 2)

    def y_equity(v: Decimal) -> str:
        return f"{mid - 10 - (v - low) / span * (mid - 10 - top):.1f}"

    points = " ".join(f"{_PAD + i * step:.1f},{y_equity(v)}" for i, v in enumerate(equity))
    biggest = max((abs(v) for v in pnl), default=Decimal(0)) or Decimal(1)
    zero = mid + (Decimal(_H) - mid - 20) / 2
    scale = (Decimal(_H) - mid - 30) / 2 / biggest
    width = max(min(step * Decimal("0.6"), Decimal(24)), Decimal(2))
    bars = []
    for i, v in enumerate(pnl):
        h = abs(v) * scale
        y = zero - h if v >= 0 else zero
        color = "#11651b" if v >= 0 else "#b00020"
        bars.append(
            f'<rect x="{_PAD + i * step - width / 2:.1f}" y="{y:.1f}" width="{width:.1f}" '
            f'height="{h:.1f}" fill="{color}"><title>{escape(days[i].date)}: '
            f"{escape(days[i].pnl)}</title></rect>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" role="img" '
        f'aria-label="End-of-day equity and daily P&amp;L">'
        f'<text x="{_PAD}" y="14" font-size="12">Equity (end of day, positions at last fill '
        f"price): {_fmt(low)} to {_fmt(high)}</text>"
        f'<polyline fill="none" stroke="#1f4e9c" stroke-width="2" points="{points}"/>'
        f'<text x="{_PAD}" y="{mid + 4}" font-size="12">Daily P&amp;L: largest |day| '
        f"{_fmt(biggest)}</text>"
        f'<line x1="{_PAD}" x2="{_W - _PAD}" y1="{zero:.1f}" y2="{zero:.1f}" stroke="#888"/>'
        + "".join(bars)
        + f'<text x="{_PAD}" y="{_H - 4}" font-size="11">{escape(days[0].date)}</text>'
        f'<text x="{_W - _PAD}" y="{_H - 4}" font-size="11" text-anchor="end">'
        f"{escape(days[-1].date)}</text></svg>"
    )


def _table(header: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "<p>None in this range.</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _chain_block(chain: pb.ChainVerification) -> str:
    if chain.valid:
        text = (
            f"Audit hash chain VERIFIED: sequences {chain.from_sequence} to "
            f"{chain.to_sequence}, {chain.entries_checked} entries checked"
            if chain.entries_checked
            else "Audit hash chain VERIFIED: no audit entries in this range"
        )
        return f'<div class="chain ok">{escape(text)}</div>'
    text = (
        f"Audit hash chain FAILED at sequence {chain.first_bad_sequence}: {chain.problem} "
        f"(checked sequences {chain.from_sequence} to {chain.to_sequence}; "
        f"{chain.entries_checked} entries were intact before it). The rows below may not be "
        "what was recorded."
    )
    return f'<div class="chain bad">{escape(text)}</div>'


def to_html(report: pb.GetComplianceReportResponse) -> bytes:
    """The whole report as one HTML page (UTF-8 bytes)."""
    title = f"Compliance report {report.account_name} ({report.account_id})"
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>",
        f"<p>UTC days {escape(report.from_date)} to {escape(report.to_date)} (exclusive); "
        f"owner {escape(report.owner_id)}; amounts in {escape(report.base_currency)}.</p>",
        _chain_block(report.chain),
        "<h2>Summary</h2>",
        _table(["key", "value"], [list(p) for p in summary(report)]),
        "<h2>Equity and daily P&amp;L</h2>",
        _chart(list(report.days)),
    ]
    for section in SECTIONS:
        parts.append(f"<h2>{escape(_TITLES[section])}</h2>")
        parts.append(_table(columns(section), section_rows(report, section)))
        if section == "decisions":
            denied = pb.GetComplianceReportResponse(
                decisions=[d for d in report.decisions if d.decision == pb.DECISION_DENY]
            )
            parts.append(f"<h2>{_TITLES['limit_breaches']}</h2>")
            parts.append(_table(columns("decisions"), section_rows(denied, "decisions")))
    parts.append(
        f"<h2>Promotion approvals</h2><p>{escape(report.promotion_approvals_note)}</p>"
        "</body></html>\n"
    )
    return "".join(parts).encode()

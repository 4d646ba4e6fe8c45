"""The compliance report (``GetComplianceReportResponse``) as JSON, as a zip of CSV files and
as printable HTML with an inline SVG chart: plain text, no plotting library, and the same bytes
for the same report (no generation time, fixed zip timestamps, fixed number formatting), so a
regenerated report can be compared byte for byte.

CSV layout: one file per section in one zip (a single CSV would need one header for rows of
different shapes): ``summary.csv`` (key, value: account, range, chain verification, totals),
``orders.csv``, ``decisions.csv``, ``limit_breaches.csv`` (the denied decisions),
``denials_by_reason.csv``, ``fills.csv``, ``days.csv`` (daily P&L), ``positions.csv``
(end of day), ``state_changes.csv``, ``kill_switch_events.csv``. Columns are the proto fields
in declaration order; enums without their prefix, times ISO 8601 UTC, repeated values joined
by spaces.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from trademaster.api.risk.v1 import risk_pb2 as pb

SECTIONS = (
    "orders", "decisions", "fills", "days", "positions", "state_changes", "kill_switch_events",
)  # fmt: skip
"""Repeated fields of the report that become a CSV file each (and an HTML table)."""
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _enum_name(field: FieldDescriptor, number: int) -> str:
    enum = field.enum_type
    value = enum.values_by_number.get(number)
    if value is None:
        return str(number)
    prefix = enum.values[0].name.removesuffix("UNSPECIFIED")
    return value.name.removeprefix(prefix)


def _scalar(field: FieldDescriptor, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_ENUM:
        return _enum_name(field, value)
    if isinstance(value, Timestamp):
        return value.ToDatetime(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Message):
        return view(value)
    return value


def view(message: Message) -> dict[str, Any]:
    """Every field of ``message`` by proto name: enums as names, times ISO (unset: null)."""
    out: dict[str, Any] = {}
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        if field.is_repeated:
            out[field.name] = [_scalar(field, v) for v in value]
        elif field.type == FieldDescriptor.TYPE_MESSAGE and not message.HasField(field.name):
            out[field.name] = None
        else:
            out[field.name] = _scalar(field, value)
    return out


def to_json(report: pb.GetComplianceReportResponse) -> bytes:
    return (json.dumps(view(report), indent=2, ensure_ascii=False) + "\n").encode()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(_cell(v) for v in value)
    return str(value)


def columns(section: str) -> list[str]:
    """Column names of a section's rows: the fields of its message type."""
    field = pb.GetComplianceReportResponse.DESCRIPTOR.fields_by_name[section]
    return [f.name for f in field.message_type.fields]


def section_rows(report: pb.GetComplianceReportResponse, section: str) -> list[list[str]]:
    """One section as rows of text cells (nested messages as compact JSON)."""
    rows = []
    for item in getattr(report, section):
        cells = view(item)
        rows.append(
            [
                json.dumps(v, sort_keys=True) if isinstance(v, dict) else _cell(v)
                for v in cells.values()
            ]
        )
    return rows


def summary(report: pb.GetComplianceReportResponse) -> list[tuple[str, str]]:
    """Key/value lines: the account, the range, the chain verification and the totals."""
    head = view(report)
    pairs = [
        (k, _cell(head[k]))
        for k in (
            "account_id", "owner_id", "account_name", "mode", "base_currency", "from_date",
            "to_date",
        )
    ]  # fmt: skip
    pairs.extend((f"chain.{k}", _cell(v)) for k, v in view(report.chain).items())
    totals = view(report.totals)
    reasons = totals.pop("denials_by_reason")
    pairs.extend((f"totals.{k}", _cell(v)) for k, v in totals.items())
    pairs.extend((f"totals.denied.{r['reason']}", str(r["count"])) for r in reasons)
    pairs.append(("promotion_approvals", report.promotion_approvals_note))
    return pairs


def _csv(header: list[str], rows: list[list[str]] | list[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def to_csv_zip(report: pb.GetComplianceReportResponse) -> bytes:
    """One CSV per section in a zip with fixed timestamps (same report, same bytes)."""
    files: list[tuple[str, bytes]] = [("summary.csv", _csv(["key", "value"], summary(report)))]
    for section in SECTIONS:
        files.append((f"{section}.csv", _csv(columns(section), section_rows(report, section))))
        if section == "decisions":
            denied = pb.GetComplianceReportResponse(
                decisions=[d for d in report.decisions if d.decision == pb.DECISION_DENY]
            )
            rows = section_rows(denied, "decisions")
            files.append(("limit_breaches.csv", _csv(columns("decisions"), rows)))
    reasons = [[r.reason, str(r.count)] for r in report.totals.denials_by_reason]
    files.append(("denials_by_reason.csv", _csv(["reason", "count"], reasons)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()

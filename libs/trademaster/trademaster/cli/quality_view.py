"""How the CLI prints a dataset quality report (local ``check`` and platform ``import``)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

COLOURS = {"blocked": "red", "warnings": "yellow", "clean": "green"}
SHOWN_ROWS = 8


def print_report(report: Any, console: Console) -> None:
    """Status line, then one table row per finding; ``report`` is a QualityReport or its JSON."""
    status = report["status"] if isinstance(report, dict) else report.status
    findings = (
        report["findings"]
        if isinstance(report, dict)
        else [f.model_dump(mode="json") for f in report.findings]
    )
    colour = COLOURS.get(status, "white")
    console.print(f"quality: [{colour}]{status}[/{colour}]")
    table = Table()
    for column in ("severity", "code", "instrument", "column", "count", "rows", "message"):
        table.add_column(column)
    for f in findings:
        rows = ", ".join(str(r) for r in f.get("rows", [])[:SHOWN_ROWS])
        table.add_row(
            f["severity"],
            f["code"],
            f.get("instrument") or "",
            f.get("column") or "",
            str(f["count"]),
            rows,
            f["message"],
        )
    if findings:
        console.print(table)

"""The quality report: findings with severities, per-instrument detail and figure data.

A report is a plain pydantic model so services can cache it as JSON by content hash and the UI
can draw it. Row numbers are 1-based data rows of the file as written (the header is not a row),
so row 1 is line 2 of a CSV.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

REPORT_SCHEMA_VERSION = 1


class Severity(StrEnum):
    """ERROR blocks training and backtests; WARNING is shown where the dataset is chosen."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class QualityOptions(BaseModel):
    """Thresholds of the checks; the defaults suit daily to minute bars."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outlier_z: float = Field(8.0, gt=0, description="Robust z-score (median/MAD) of log returns.")
    stale_run: int = Field(5, ge=2, description="Bars of unchanged close that count as stale.")
    zero_volume_run: int = Field(5, ge=1, description="Bars of zero volume that count as stale.")
    holiday_max_days: int = Field(
        4, ge=0, description="Whole missing weekdays in a row tolerated as market holidays."
    )
    max_listed: int = Field(20, ge=1, description="Rows/times listed per finding.")
    heatmap_buckets: int = Field(60, ge=1, description="Time buckets of the missing-data heatmap.")
    histogram_bins: int = Field(60, ge=5, description="Bins of the return distribution.")
    max_presence_cells: int = Field(
        200_000_000, ge=1, description="Largest stamps x instruments grid the gap checks build."
    )


class Finding(BaseModel):
    """One defect class found in one column or instrument (or the whole file)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(..., description="Stable defect code, e.g. 'duplicate_rows'.")
    severity: Severity
    message: str
    count: int = Field(..., ge=0, description="Affected rows, bars or runs.")
    column: str | None = None
    instrument: str | None = None
    rows: tuple[int, ...] = Field((), description="First affected 1-based data rows.")
    times: tuple[str, ...] = Field((), description="First affected timestamps (ISO 8601).")
    detail: dict[str, Any] = Field(default_factory=dict)


class InstrumentQuality(BaseModel):
    """Per-instrument summary shown in the report table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: str
    rows: int
    start: str | None = None
    end: str | None = None
    missing: dict[str, int] = Field(default_factory=dict, description="Missing values per column.")
    missing_bars: int = Field(0, description="Bars absent against the dataset calendar.")
    outliers: int = 0
    stale_runs: int = 0


class CalendarInfo(BaseModel):
    """The calendar the bars follow, inferred from the timestamps."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["business_days", "daily_24x7", "intraday", "intraday_24x7", "irregular"]
    step_seconds: float | None = None
    session_times: tuple[str, ...] = ()


class Heatmap(BaseModel):
    """Missing fraction per instrument and time bucket (bars absent or close missing)."""

    instruments: tuple[str, ...] = ()
    bucket_starts: tuple[str, ...] = ()
    values: tuple[tuple[float, ...], ...] = ()


class Histogram(BaseModel):
    """Distribution of log returns over all instruments, with the flagged outliers."""

    edges: tuple[float, ...] = ()
    counts: tuple[int, ...] = ()
    outliers: tuple[dict[str, Any], ...] = ()


class GapSpan(BaseModel):
    instrument: str = Field(..., description="Instrument, or '*' when no instrument has bars.")
    start: str
    end: str
    bars: int


class Figures(BaseModel):
    """Data for the report pictures; drawing is the UI's job."""

    heatmap: Heatmap = Field(default_factory=Heatmap)
    returns: Histogram = Field(default_factory=Histogram)
    gaps: tuple[GapSpan, ...] = ()


class QualityReport(BaseModel):
    """Everything known about a file's quality; ``blocked`` when any finding is an error."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = REPORT_SCHEMA_VERSION
    kind: Literal["ohlcv", "lob", "hft_lob"] | None = None
    rows: int = 0
    columns: tuple[str, ...] = ()
    calendar: CalendarInfo | None = None
    instruments: tuple[InstrumentQuality, ...] = ()
    findings: tuple[Finding, ...] = ()
    figures: Figures = Field(default_factory=Figures)
    content_hash: str | None = None
    options: QualityOptions = Field(default_factory=QualityOptions)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.WARNING]

    @property
    def blocked(self) -> bool:
        return bool(self.errors)

    @property
    def status(self) -> Literal["blocked", "warnings", "clean"]:
        if self.blocked:
            return "blocked"
        return "warnings" if self.warnings else "clean"

    def codes(self) -> set[str]:
        """Distinct finding codes (handy for callers that gate on specific defects)."""
        return {f.code for f in self.findings}

    def summary(self) -> dict[str, Any]:
        """Short form for listings: status, counts and the error codes."""
        return {
            "status": self.status,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "error_codes": sorted({f.code for f in self.errors}),
            "content_hash": self.content_hash,
        }

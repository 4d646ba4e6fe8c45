"""Quality report: each defect class in a hand-made file yields its finding; real data; fuzzing."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trademaster.data.quality import QualityOptions, QualityReport, Severity, check_file

pytestmark = pytest.mark.unit


def _bars(n: int = 30, tics: tuple[str, ...] = ("AAA", "BBB"), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-04", periods=n)
    frames = []
    for k, tic in enumerate(tics):
        close = 100 * (1 + k) * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
        open_ = close * (1 + rng.normal(0, 0.002, n))
        frames.append(
            pd.DataFrame(
                {
                    "date": dates.strftime("%Y-%m-%d"),
                    "tic": tic,
                    "open": open_,
                    "high": np.maximum(open_, close) * 1.01,
                    "low": np.minimum(open_, close) * 0.99,
                    "close": close,
                    "volume": rng.integers(1000, 2000, n).astype(float),
                }
            )
        )
    return pd.concat(frames).sort_values(["date", "tic"]).reset_index(drop=True)


def _write(tmp_path: Path, df: pd.DataFrame, name: str = "data.csv") -> Path:
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


def _only(report: QualityReport, code: str):  # noqa: ANN202 - test helper
    found = [f for f in report.findings if f.code == code]
    assert found, f"no {code} finding in {sorted(report.codes())}"
    return found[0]


def test_clean_file_is_clean(tmp_path: Path) -> None:
    report = check_file(_write(tmp_path, _bars()))
    assert report.status == "clean", report.findings
    assert report.calendar is not None and report.calendar.kind == "business_days"
    assert [i.instrument for i in report.instruments] == ["AAA", "BBB"]
    assert report.instruments[0].rows == 30 and len(report.content_hash or "") == 64
    assert report.figures.heatmap.instruments == ("AAA", "BBB")
    assert sum(report.figures.returns.counts) == 2 * 29


def test_wrong_field_count_is_a_parse_error_with_row_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path, _bars())
    lines = path.read_text().splitlines()
    lines[3] += ",extra"  # data row 3
    lines[10] += ",1,2"  # data row 10
    path.write_text("\n".join(lines) + "\n")
    report = check_file(path)
    finding = _only(report, "parse_error")
    assert finding.severity == Severity.ERROR and finding.rows == (3, 10)
    assert report.blocked and report.rows == 58


def test_non_numeric_and_bad_time_values_name_their_rows(tmp_path: Path) -> None:
    df = _bars().astype({"close": object, "date": object})
    df.loc[4, "close"] = "12,5x"
    df.loc[7, "date"] = "not a date"
    report = check_file(_write(tmp_path, df))
    non_numeric = _only(report, "non_numeric")
    assert (non_numeric.column, non_numeric.rows, non_numeric.detail["examples"]) == (
        "close",
        (5,),
        ["12,5x"],
    )
    assert _only(report, "bad_timestamp").rows == (8,)
    assert report.blocked


def test_missing_required_columns(tmp_path: Path) -> None:
    report = check_file(_write(tmp_path, _bars().drop(columns=["high", "low"])))
    assert _only(report, "missing_columns").detail["missing"] == ["high", "low"]
    assert report.blocked


def test_duplicate_rows_and_unsorted_time(tmp_path: Path) -> None:
    df = _bars()
    df = pd.concat([df, df.iloc[[0, 5]]]).reset_index(drop=True)  # rows 61, 62 repeat 1, 6
    report = check_file(_write(tmp_path, df))
    dup = _only(report, "duplicate_rows")
    assert dup.count == 2 and dup.rows == (61, 62) and dup.severity == Severity.ERROR
    assert _only(report, "unsorted_time").severity == Severity.WARNING


def test_gaps_against_the_calendar_and_between_instruments(tmp_path: Path) -> None:
    df = _bars(n=60)
    dates = sorted(df["date"].unique())
    df = df[~df["date"].isin(dates[20:30])]  # two weeks absent for everyone
    df = df[~((df["tic"] == "BBB") & df["date"].isin(dates[40:43]))]  # BBB lacks 3 days
    report = check_file(_write(tmp_path, df))
    cal = _only(report, "calendar_gaps")
    assert cal.count == 10 and cal.detail["spans"][0]["start"].startswith(dates[20])
    bbb = _only(report, "missing_bars")
    assert (bbb.instrument, bbb.count) == ("BBB", 3)
    assert report.status == "warnings"
    assert any(g.instrument == "BBB" and g.bars == 3 for g in report.figures.gaps)
    assert max(report.figures.heatmap.values[1]) > 0


def test_short_weekday_holes_are_holidays_not_gaps(tmp_path: Path) -> None:
    df = _bars(n=40)
    dates = sorted(df["date"].unique())
    report = check_file(_write(tmp_path, df[df["date"] != dates[12]]))
    assert "calendar_gaps" not in report.codes()


def test_missing_values_per_column_and_instrument(tmp_path: Path) -> None:
    df = _bars()
    df.loc[[2, 9], "volume"] = np.nan
    report = check_file(_write(tmp_path, df))
    missing = _only(report, "missing_values")
    assert (missing.column, missing.count, missing.rows) == ("volume", 2, (3, 10))
    per = missing.detail["per_instrument"]
    assert sum(per.values()) == 2
    assert sum(i.missing.get("volume", 0) for i in report.instruments) == 2


def test_non_positive_prices_and_ohlc_consistency(tmp_path: Path) -> None:
    df = _bars()
    df.loc[3, "close"] = 0.0
    df.loc[6, "low"] = df.loc[6, "high"] * 1.5
    report = check_file(_write(tmp_path, df))
    assert _only(report, "non_positive_price").rows == (4,)
    ohlc = _only(report, "ohlc_inconsistent")
    assert 7 in ohlc.rows and ohlc.severity == Severity.ERROR


def test_outlier_returns_list_their_dates(tmp_path: Path) -> None:
    df = _bars(n=80)
    idx = df.index[(df["tic"] == "AAA")][40]
    for col in ("open", "high", "low", "close"):
        df.loc[idx, col] *= 3
    report = check_file(_write(tmp_path, df))
    outlier = _only(report, "outlier_returns")
    assert outlier.instrument == "AAA" and outlier.count == 2  # the jump up and back down
    assert df.loc[idx, "date"] in {t[:10] for t in outlier.times}
    assert {o["instrument"] for o in report.figures.returns.outliers} == {"AAA"}


def test_stale_prices_and_zero_volume_runs(tmp_path: Path) -> None:
    df = _bars(n=40)
    aaa = df.index[df["tic"] == "AAA"]
    df.loc[aaa[10:17], ["open", "high", "low", "close"]] = 50.0
    df.loc[aaa[20:26], "volume"] = 0.0
    report = check_file(_write(tmp_path, df))
    stale = _only(report, "stale_prices")
    assert (stale.instrument, stale.detail["runs"][0]["bars"]) == ("AAA", 7)
    assert _only(report, "zero_volume").detail["runs"][0]["bars"] == 6


def test_partial_history_flags_late_starters(tmp_path: Path) -> None:
    df = _bars(n=40)
    dates = sorted(df["date"].unique())
    df = df[~((df["tic"] == "BBB") & (df["date"] < dates[10]))]
    finding = _only(check_file(_write(tmp_path, df)), "partial_history")
    assert finding.detail["instruments"][0]["instrument"] == "BBB"


def test_tolerant_columns_gzip_parquet_and_time_zones(tmp_path: Path) -> None:
    df = _bars().rename(columns={"date": "Timestamp", "tic": "Symbol", "close": "CLOSE"})
    df["Timestamp"] = pd.to_datetime(df["Timestamp"]).dt.tz_localize("America/New_York")
    gz = tmp_path / "data.csv.gz"
    with gzip.open(gz, "wt") as handle:
        df.to_csv(handle, index=False)
    assert check_file(gz).status == "clean"
    pq = tmp_path / "data.parquet"
    df.to_parquet(pq)
    report = check_file(pq)
    assert report.status == "clean" and report.instruments[0].start.startswith("2021-01-04T05:00")


def test_wide_layout_is_read_as_long(tmp_path: Path) -> None:
    wide = _bars().pivot(index="date", columns="tic", values="close").reset_index()
    report = check_file(_write(tmp_path, wide))
    assert [i.instrument for i in report.instruments] == ["AAA", "BBB"]
    assert _only(report, "missing_columns").detail["missing"] == ["open", "high", "low"]


def test_truncated_last_line_warns(tmp_path: Path) -> None:
    path = _write(tmp_path, _bars())
    path.write_bytes(path.read_bytes() + b"2021-03-01,AAA,1.0")
    report = check_file(path)
    assert _only(report, "truncated_last_line").severity == Severity.WARNING
    assert not report.blocked


def _book(n: int = 20) -> pd.DataFrame:
    mid = 100 + np.arange(n) * 0.1
    data: dict[str, object] = {"timestamp": np.arange(n)}
    for i in range(1, 4):
        data[f"bid{i}_price"] = mid - 0.05 * i
        data[f"ask{i}_price"] = mid + 0.05 * i
        data[f"bid{i}_size"] = np.full(n, 1.0)
        data[f"ask{i}_size"] = np.full(n, 1.0)
    return pd.DataFrame(data)


def test_order_book_defects(tmp_path: Path) -> None:
    assert check_file(_write(tmp_path, _book(), "clean.csv")).status == "clean"
    book = _book()
    book.loc[2, "bid1_price"] = book.loc[2, "ask1_price"] + 1  # crossed (and levels broken)
    book.loc[5, "bid1_price"] = book.loc[5, "ask1_price"]  # locked
    book.loc[8, "ask3_price"] = book.loc[8, "ask1_price"]  # asks not rising
    book.loc[11, "bid2_size"] = -1.0
    book.loc[14, "timestamp"] = 3  # repeats a time, goes backwards
    report = check_file(_write(tmp_path, book))
    assert report.kind == "hft_lob" and report.blocked
    assert _only(report, "crossed_book").rows == (3,)
    assert _only(report, "locked_book").severity == Severity.WARNING
    assert 9 in _only(report, "non_monotonic_levels").rows
    assert _only(report, "negative_size").rows == (12,)
    assert _only(report, "duplicate_rows").rows == (15,)


def test_options_change_thresholds(tmp_path: Path) -> None:
    df = _bars(n=40)
    aaa = df.index[df["tic"] == "AAA"]
    df.loc[aaa[10:13], ["open", "high", "low", "close"]] = 50.0
    path = _write(tmp_path, df)
    assert "stale_prices" not in check_file(path).codes()
    assert "stale_prices" in check_file(path, QualityOptions(stale_run=3)).codes()


def test_shared_datasets_are_checked_without_errors(shared_data: Path) -> None:
    files = [
        p
        for p in sorted(shared_data.rglob("*.csv"))
        if "label_" not in str(p) and "style_slice" not in str(p)
    ]
    reports = {str(p.relative_to(shared_data)): check_file(p) for p in files}
    blocked = {k for k, r in reports.items() if r.blocked}
    assert blocked and all(k.endswith("metrics_of_each_dynamics.csv") for k in blocked)
    sse_train = reports["portfolio_management/sse50/train.csv"]
    assert "truncated_last_line" in sse_train.codes() and sse_train.rows == 4671
    sse_valid = reports["portfolio_management/sse50/valid.csv"]
    assert sse_valid.calendar is not None and sse_valid.calendar.kind == "intraday"
    assert len(sse_valid.calendar.session_times) == 5
    gap = _only(sse_valid, "calendar_gaps")  # the extended 2020 Spring Festival closure
    assert gap.detail["spans"][0]["start"].startswith("2020-01-24")
    future = _only(reports["portfolio_management/Future/data.csv"], "partial_history")
    assert future.count == 20
    assert reports["algorithmic_trading/BTC/train.csv"].calendar.kind == "daily_24x7"
    assert reports["order_execution/BTC/test.csv"].status == "clean"


_CELL = st.one_of(
    st.text(max_size=8),
    st.floats(allow_nan=True).map(str),
    st.integers().map(str),
    st.sampled_from(["2021-01-04", "2021-13-45", "", "nan", "-1", "1e309", '"']),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.lists(
        st.sampled_from(
            [
                "date",
                "tic",
                "open",
                "high",
                "low",
                "close",
                "volume",
                "x",
                "timestamp",
                "bid1_price",
                "ask1_price",
            ]
        ),
        min_size=0,
        max_size=7,
    ),
    body=st.lists(st.lists(_CELL, max_size=8), max_size=12),
)
def test_malformed_csv_never_crashes(
    tmp_path: Path, header: list[str], body: list[list[str]]
) -> None:
    text = ",".join(header) + "\n" + "\n".join(",".join(row) for row in body)
    path = tmp_path / "fuzz.csv"
    path.write_text(text)
    report = check_file(path)
    assert report.status in ("blocked", "warnings", "clean")
    QualityReport.model_validate_json(report.model_dump_json())


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(blob=st.binary(max_size=400))
def test_random_bytes_never_crash(tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "blob.csv"
    path.write_bytes(blob)
    assert check_file(path).status in ("blocked", "warnings", "clean")

"""Repairs produce a new version with its record; the source stays byte-identical."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from trademaster.data.quality import check_file
from trademaster.data.repair import RepairSpec, read_version_record, repair_file, repair_frame

pytestmark = pytest.mark.unit


def _bars(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    dates = pd.bdate_range("2021-01-04", periods=n)
    frames = []
    for k, tic in enumerate(("AAA", "BBB", "CCC")):
        close = 100 * (1 + k) * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
        frames.append(
            pd.DataFrame(
                {
                    "date": dates,
                    "tic": tic,
                    "open": close,
                    "high": close * 1.01,
                    "low": close * 0.99,
                    "close": close,
                    "volume": 1000.0,
                }
            )
        )
    return pd.concat(frames).sort_values(["date", "tic"]).reset_index(drop=True)


def _broken(tmp_path: Path) -> Path:
    df = _bars()
    aaa = df.index[df["tic"] == "AAA"]
    df = pd.concat([df, df.loc[aaa[:2]]])  # 2 duplicates
    spike = aaa[30]
    df.loc[spike, ["open", "high", "low", "close"]] *= 4  # an outlier bar
    bbb_dates = df[df["tic"] == "BBB"]["date"].iloc[[10, 11, 40, 41, 42, 43, 44]]
    df = df[~((df["tic"] == "BBB") & df["date"].isin(bbb_dates))]  # gaps of 2 and 5 bars
    df = df[~((df["tic"] == "CCC") & (df["date"] > df["date"].iloc[60]))]  # thin instrument
    path = tmp_path / "broken.csv"
    df.to_csv(path, index=False)
    return path


def test_repair_writes_a_new_version_and_leaves_the_source(tmp_path: Path) -> None:
    source = _broken(tmp_path)
    original = source.read_bytes()
    assert check_file(source).blocked  # duplicates are errors
    spec = RepairSpec(
        drop_duplicates=True, min_coverage=0.5, outliers="winsorize", fill_gaps="ffill", max_gap=3
    )
    record = repair_file(source, tmp_path / "repaired.csv", spec, source_id="user.broken.csv")
    assert source.read_bytes() == original
    assert record.source == "user.broken.csv" and record.source_content_hash != record.content_hash
    by_name = {r.name: r for r in record.repairs}
    assert list(by_name) == ["drop_duplicates", "drop_instruments", "outliers", "fill_gaps"]
    assert by_name["drop_duplicates"].rows_affected == 2
    assert by_name["drop_instruments"].detail["instruments"] == ["CCC"]
    assert by_name["outliers"].rows_affected == 2  # the jump and the way back
    assert by_name["fill_gaps"].rows_affected == 2  # the 2-bar gap; the 5-bar gap stays
    assert read_version_record(tmp_path / "repaired.csv") == record
    assert read_version_record(source) is None
    report = check_file(tmp_path / "repaired.csv")
    assert not report.blocked
    missing = [f for f in report.findings if f.code == "missing_bars"]
    assert [(f.instrument, f.count) for f in missing] == [("BBB", 5)]


def test_interpolate_and_drop_outliers(tmp_path: Path) -> None:
    df = _bars()
    bbb = df[df["tic"] == "BBB"]
    gap = bbb.index[20]
    (t0, c0), (t1, c1) = (
        (bbb.loc[bbb.index[i], "date"], bbb.loc[bbb.index[i], "close"]) for i in (19, 21)
    )
    out, done = repair_frame(df.drop(index=gap), RepairSpec(fill_gaps="interpolate", max_gap=1))
    row = out[(out["tic"] == "BBB") & (out["date"] == df.loc[gap, "date"])].iloc[0]
    share = (df.loc[gap, "date"] - t0) / (t1 - t0)  # linear in time, not in bars
    assert row["close"] == pytest.approx(c0 + share * (c1 - c0))
    assert row["volume"] == 0.0 and done[0].rows_affected == 1
    spiky = df.copy()
    spiky.loc[df.index[df["tic"] == "AAA"][30], "close"] *= 4
    dropped, done = repair_frame(spiky, RepairSpec(outliers="drop"))
    assert len(dropped) == len(df) - done[0].rows_affected and done[0].rows_affected >= 1


def test_destination_must_be_new(tmp_path: Path) -> None:
    source = _broken(tmp_path)
    with pytest.raises(ValueError, match="new file"):
        repair_file(source, source, RepairSpec())
    with pytest.raises(ValueError, match=".csv or .parquet"):
        repair_file(source, tmp_path / "x.feather", RepairSpec())
    record = repair_file(source, tmp_path / "v2.parquet", RepairSpec(drop_duplicates=True))
    assert record.rows_after == record.rows_before - 2
    assert pd.read_parquet(tmp_path / "v2.parquet").shape[0] == record.rows_after

"""``trademaster datasets check`` and ``export`` on local files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from trademaster.cli.main import cli

pytestmark = pytest.mark.unit


def _write(path: Path, duplicates: int = 0) -> Path:
    dates = pd.bdate_range("2021-01-04", periods=30).strftime("%Y-%m-%d")
    close = np.linspace(10, 20, 30)
    df = pd.DataFrame(
        {
            "date": dates,
            "tic": "X",
            "open": close,
            "high": close + 1,
            "low": close - 1,
            "close": close,
            "volume": 5.0,
        }
    )
    pd.concat([df, df.iloc[:duplicates]]).to_csv(path, index=False)
    return path


def test_check_prints_findings_and_fails_when_blocked(tmp_path: Path) -> None:
    runner = CliRunner()
    clean = runner.invoke(cli, ["datasets", "check", str(_write(tmp_path / "ok.csv"))])
    assert clean.exit_code == 0, clean.output
    assert "quality: clean" in clean.output
    blocked = runner.invoke(cli, ["datasets", "check", str(_write(tmp_path / "d.csv", 2))])
    assert blocked.exit_code == 1
    assert "duplicate_rows" in blocked.output and "31, 32" in blocked.output
    as_json = runner.invoke(cli, ["datasets", "check", "--json", str(tmp_path / "d.csv")])
    assert '"code": "duplicate_rows"' in as_json.output


def test_export_writes_parquet(tmp_path: Path) -> None:
    out = tmp_path / "x.parquet"
    result = CliRunner().invoke(
        cli, ["datasets", "export", str(_write(tmp_path / "a.csv")), str(out)]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert len(frame) == 30 and list(frame.columns[:3]) == ["date", "tic", "open"]
    bad = CliRunner().invoke(
        cli, ["datasets", "export", str(tmp_path / "a.csv"), str(tmp_path / "x.txt")]
    )
    assert bad.exit_code != 0 and ".parquet" in bad.output

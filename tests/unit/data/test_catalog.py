"""Catalog: real data listing, synthetic files, errors, caching and path safety."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from trademaster.data.catalog import Catalog, dataset_id_for, describe, infer_frequency
from trademaster.data.loaders import DatasetError
from trademaster.data.synthetic import gbm, lob, write_synthetic_dataset

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def real_listing(shared_data: Path) -> dict[str, object]:
    return {info.dataset_id: info for info in Catalog([shared_data]).list()}


def test_real_data_dir_is_listed_with_kinds_and_frequencies(real_listing: dict) -> None:
    assert len(real_listing) == 168
    btc = real_listing["algorithmic_trading.btc.train.csv"]
    assert (btc.kind, btc.rows, btc.assets, btc.frequency) == ("ohlcv", 900, 1, "1d")
    assert btc.tics == ("BTC",) and not btc.synthetic and btc.error is None
    assert len(btc.content_hash) == 64
    assert real_listing["portfolio_management.sse50.train.csv"].rows == 4671
    assert real_listing["portfolio_management.sse50.valid.csv"].frequency == "1h"
    assert real_listing["portfolio_management.future.data.csv"].frequency == "5min"
    oe = real_listing["order_execution.btc.test.csv"]
    assert (oe.kind, oe.rows, oe.frequency) == ("lob", 600, "1min")
    hft = [i for k, i in real_listing.items() if k.startswith("high_frequency_trading")]
    assert {i.kind for i in hft} == {"hft_lob", None}


def test_unparseable_real_files_carry_an_error(real_listing: dict) -> None:
    broken = [i for i in real_listing.values() if i.error]
    assert broken and all(i.name == "metrics_of_each_dynamics.csv" for i in broken)
    assert all(i.kind is None for i in broken)


def test_synthetic_tmp_dir(tmp_path: Path) -> None:
    write_synthetic_dataset(tmp_path / "daily" / "gbm.csv", gbm(50, 3, seed=1))
    write_synthetic_dataset(
        tmp_path / "hourly.parquet", gbm(30, 2, seed=2, freq="1h", start="2021-01-01")
    )
    write_synthetic_dataset(tmp_path / "book.csv", lob(20, seed=3))
    (tmp_path / "README.md").write_text("not data")
    (tmp_path / "real.csv").write_text("date,open,high,low,close\n2020-01-01,1,1,1,1\n")
    (tmp_path / "junk.csv").write_text("a,b\n1,2\n")
    catalog = Catalog([tmp_path])
    infos = {i.dataset_id: i for i in catalog.list()}
    assert sorted(infos) == ["book.csv", "daily.gbm.csv", "hourly.parquet", "junk.csv", "real.csv"]
    daily, hourly = infos["daily.gbm.csv"], infos["hourly.parquet"]
    assert (daily.kind, daily.rows, daily.assets, daily.frequency) == ("ohlcv", 150, 3, "1d")
    assert (hourly.format, hourly.frequency, hourly.rows) == ("parquet", "1h", 60)
    assert daily.synthetic and hourly.synthetic and infos["book.csv"].synthetic
    assert infos["book.csv"].kind == "hft_lob"
    assert not infos["real.csv"].synthetic
    assert infos["junk.csv"].error is not None
    assert catalog.load("daily.gbm.csv", tics=["SYN01"])["tic"].unique().tolist() == ["SYN01"]
    with pytest.raises(DatasetError, match="not loadable"):
        catalog.load("junk.csv")


def test_cache_reuses_descriptions_until_the_file_changes(tmp_path: Path) -> None:
    path = write_synthetic_dataset(tmp_path / "a.csv", gbm(10, 1, seed=1))
    catalog = Catalog([tmp_path])
    first = catalog.get("a.csv")
    assert catalog.get("a.csv") is first
    write_synthetic_dataset(path, gbm(12, 1, seed=2))
    os.utime(path, ns=(1, 1))
    second = catalog.get("a.csv")
    assert second.rows == 12 and second.content_hash != first.content_hash


def test_ids_never_escape_the_roots(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    outside = write_synthetic_dataset(tmp_path / "secret.csv", gbm(5, 1, seed=0))
    (root / "link.csv").symlink_to(outside)
    catalog = Catalog([root])
    assert catalog.list() == []
    for bad in ("../secret.csv", "..secret.csv", str(outside), "secret.csv"):
        with pytest.raises(KeyError):
            catalog.get(bad)
    with pytest.raises(ValueError, match="outside root"):
        describe(outside, root=root)


def test_dataset_id_and_frequency_helpers() -> None:
    assert dataset_id_for(Path("Order Execution/BTC/test.CSV")) == "order-execution.btc.test.csv"
    assert infer_frequency(["2020-01-01 00:00", "2020-01-01 00:05", "2020-01-01 00:10"]) == "5min"
    assert infer_frequency(["2020-01-01"]) is None


def test_grouped_listing_folds_market_dynamics_segments(shared_data: Path) -> None:
    entries = {e.info.dataset_id: e for e in Catalog([shared_data]).grouped()}
    assert len(entries) == 47  # 168 files: 122 segment files fold into their labelled versions
    mdm = "algorithmic_trading.btc.market_dynamics_model.btc."
    btc = entries[
        mdm + "test_labeled_slice_and_merge_model_3dynamics_minlength12_quantile_labeling.csv"
    ]
    assert (btc.version, btc.parent_id, len(btc.segment_ids)) == (
        "labelled",
        "algorithmic_trading.btc.test.csv",
        14,
    )
    assert all(".label_" in s for s in btc.segment_ids)
    fx = [
        e
        for k, e in entries.items()
        if k.startswith("algorithmic_trading.fx.market_dyn") and e.version == "labelled"
    ]
    assert len(fx) == 1 and len(fx[0].segment_ids) == 18 + 6  # label_k and style_slice files
    dj30 = entries["portfolio_management.dj30.test_with_label.csv"]
    assert dj30.parent_id == "portfolio_management.dj30.test.csv"
    assert entries["order_execution.btc.btc_mdm_processed.csv"].parent_id == (
        "order_execution.btc.test.csv"
    )
    hft = [
        e
        for k, e in entries.items()
        if k.startswith("high_frequency_trading") and e.info.error is None
    ]
    assert len(hft) == 1 and len(hft[0].segment_ids) == 47  # no labelled file: first segment
    assert entries["algorithmic_trading.btc.test.csv"].version == "original"
    assert not any(".label_" in k for k in entries if not k.startswith("high_frequency"))

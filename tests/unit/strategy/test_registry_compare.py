"""Pure parts of the model registry: comparison tables and request checks."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from tm_strategy.registry import validation as check
from tm_strategy.registry.compare import (
    differing_settings,
    flatten,
    metric_table,
    with_backtest_metrics,
)
from trademaster.service.errors import InvalidArgument

pytestmark = pytest.mark.unit


def test_metric_table_has_every_name_once_with_nan_where_a_version_has_none() -> None:
    rows = metric_table([{"a": 1.0, "b": 2.0}, {"b": 3.0, "c": 4.0}])

    assert [name for name, _ in rows] == ["a", "b", "c"]
    values = dict(rows)
    assert values["a"][0] == 1.0 and math.isnan(values["a"][1])
    assert values["b"] == [2.0, 3.0]
    assert math.isnan(values["c"][0]) and values["c"][1] == 4.0


def test_backtest_metrics_are_prefixed_and_do_not_overwrite_training_metrics() -> None:
    merged = with_backtest_metrics({"sharpe_ratio": 0.5}, {"sharpe_ratio": 1.5})

    assert merged == {"sharpe_ratio": 0.5, "backtest/sharpe_ratio": 1.5}
    assert with_backtest_metrics({"x": 1.0}, None) == {"x": 1.0}


def test_only_settings_that_differ_are_listed_with_absent_as_empty() -> None:
    first = {"strategy": {"agent_params": {"gamma": 0.9, "hidden": [32, 32]}}, "seed": 1}
    second = {"strategy": {"agent_params": {"gamma": 0.95, "hidden": [32, 32]}}, "extra": True}

    rows = dict(differing_settings([first, second]))

    assert rows == {
        "extra": ["", "true"],
        "seed": ["1", ""],
        "strategy.agent_params.gamma": ["0.9", "0.95"],
    }
    assert flatten({"a": {"b": [1, 2]}, "c": {}}) == {"a.b": "[1, 2]", "c": "{}"}


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: check.model_name("-leading"), "name"),
        (lambda: check.model_name("x" * 101), "name"),
        (lambda: check.alias("Champion"), "alias"),
        (lambda: check.version(0), "version"),
        (lambda: check.page_size(501), "page_size"),
        (lambda: check.compared_versions([1, 1]), "versions"),
        (lambda: check.compared_versions(list(range(1, 12))), "versions"),
        (lambda: check.tags({"bad key": "v"}), "tags[bad key]"),
        (lambda: check.tags({"k": "v" * 257}), "tags[k]"),
        (lambda: check.account_id(""), "account_id"),
    ],
)
def test_bad_requests_name_the_field(call: Callable[[], object], field: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        call()
    assert raised.value.field_violations()[0][0] == field


def test_good_values_pass_through() -> None:
    assert check.model_name("btc-dqn.v2_final") == "btc-dqn.v2_final"
    assert check.alias("champion") == "champion"
    assert check.page_size(0) == check.DEFAULT_PAGE_SIZE
    assert check.compared_versions([3, 1]) == [3, 1]
    assert check.tags({"data/source": "btc"}, ["old"]) == {"data/source": "btc"}

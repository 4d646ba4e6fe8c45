"""The cost functions are written once for tensors, numpy arrays and floats: the three kinds give
bit-identical results for the arithmetic ones and agree within 2 ulp where a square root is taken
(torch's CPU float64 sqrt is not always correctly rounded; numpy's is). The paper venue fills over
arrays, backtests and envs over tensors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from trademaster.backtest.config import SlippageConfig
from trademaster.backtest.fill_costs import ExecutionModel
from trademaster.market.costs import (
    CostModel,
    apply_impact,
    fixed_bps_impact,
    slipped_price,
    square_root_impact,
    trading_fee,
    volume_share_impact,
)

pytestmark = pytest.mark.unit

_QTY = st.floats(-1e6, 1e6, allow_nan=False).filter(lambda q: abs(q) > 1e-9 or q == 0)
_POS = st.floats(1e-3, 1e6, allow_nan=False)


def _kinds(*values: float) -> list[tuple[object, ...]]:
    return [
        tuple(torch.tensor([v], dtype=torch.float64) for v in values),
        tuple(np.array([v], dtype=np.float64) for v in values),
        values,
    ]


def _same(results: list[object], ulps: int = 0) -> None:
    first, *rest = (float(np.asarray(r).reshape(-1)[0]) for r in results)
    tolerance = ulps * float(np.spacing(abs(first)))
    assert all(abs(r - first) <= tolerance for r in rest), (first, rest)


@settings(max_examples=200, deadline=None)
@given(price=_POS, qty=_QTY, volume=st.floats(0, 1e7), adv=_POS, sigma=st.floats(0, 0.2))
def test_every_cost_function_agrees_across_tensors_arrays_and_floats(
    price: float, qty: float, volume: float, adv: float, sigma: float
) -> None:
    model = CostModel(fee_rate=0.001, fixed_fee=0.5, slippage_bps=7.0)
    kinds = _kinds(price, qty, volume, adv, sigma)
    _same([trading_fee(p * q, 0.001, 0.5) for p, q, *_ in kinds])
    _same([slipped_price(p, q, 7.0) for p, q, *_ in kinds])
    _same([model.fees(model.execution_price(p, q), q) for p, q, *_ in kinds])
    _same([fixed_bps_impact(q, 3.0) for _, q, *_ in kinds])
    _same([volume_share_impact(q, v, coefficient=0.1, max_share=0.5) for _, q, v, *_ in kinds])
    _same([square_root_impact(q, a, s, k=0.5) for _, q, _, a, s in kinds], ulps=2)
    _same([apply_impact(p, q, s) for p, q, _, _, s in kinds])


@pytest.mark.parametrize(
    "slippage",
    [
        SlippageConfig(kind="fixed_bps", bps=5),
        SlippageConfig(kind="volume_share", price_impact=0.1, volume_limit=0.5),
        SlippageConfig(kind="sqrt_impact", price_impact=0.5, window=2),
    ],
)
def test_execution_model_prices_numpy_fills_like_tensor_fills(slippage: SlippageConfig) -> None:
    volume = np.array([[1000.0, 0.0], [800.0, 50.0], [900.0, 70.0]])
    adv = np.array([[1000.0, 0.0], [900.0, 50.0], [850.0, 60.0]])
    sigma = np.full_like(adv, 0.02)
    model = ExecutionModel(CostModel(fee_rate=0.001, slippage_bps=slippage.bps), slippage,
                           volume, adv, sigma)  # fmt: skip
    bars, assets = np.array([0, 1, 2, 2]), np.array([0, 1, 0, 1])
    price, traded = np.array([10.0, 20.0, 30.0, 40.0]), np.array([5.0, -10.0, 300.0, 0.0])

    arrays = model.costs(price, traded, bars, assets)
    tensors = model.costs(torch.from_numpy(price), torch.from_numpy(traded), bars, assets)

    for got, want in zip(arrays, tensors, strict=True):
        assert isinstance(got, np.ndarray)
        assert got.tolist() == want.tolist()

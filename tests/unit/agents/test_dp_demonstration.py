"""The HFT demonstration DP: by hand, and equal to brute force over every path in the real env."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from trademaster.agents.dp_demonstration import optimal_positions
from trademaster.envs.hft import HighFrequencyTradingEnv
from trademaster.market.costs import CostModel

pytestmark = pytest.mark.unit


def test_optimal_positions_by_hand() -> None:
    # mid 100 -> 101 -> 103, spread 0.2, no fees, positions {0, 1}:
    # buy at t=0 fills at ask[1] = 101.1, marked 101 (-0.1), held to 103 (+2): 1.9 beats flat.
    mid = np.array([100.0, 101.0, 103.0])
    demo = optimal_positions(mid - 0.1, mid + 0.1, np.array([0.0, 1.0]), CostModel())
    np.testing.assert_allclose(demo.value[:, 0], [1.9, 0.0, 0.0])
    np.testing.assert_allclose(demo.value[1], [0.0, 2.0])  # long at t=1: hold (+2) > sell (+1.9)
    assert demo.path(0, 0) == [1, 1]
    # No trading allowed at t=0: buying at t=1 only pays the half spread.
    blocked = optimal_positions(
        mid - 0.1, mid + 0.1, np.array([0.0, 1.0]), CostModel(), hold_only=np.array([True, False])
    )
    assert blocked.value[0, 0] == pytest.approx(0.0)
    assert blocked.path(0, 0) == [0, 0]


def _book(steps: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    mid = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.004, steps)))
    half = mid * rng.uniform(0.0002, 0.002, steps)
    return {
        "bid_price": (mid - half)[:, None],
        "ask_price": (mid + half)[:, None],
        "bid_size": np.full((steps, 1), 10.0),
        "ask_size": np.full((steps, 1), 10.0),
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dp_matches_brute_force_over_every_path_in_the_env(seed: int) -> None:
    steps, max_position, initial_cash = 7, 1, 1_000.0
    cost = CostModel(fee_rate=0.0005, slippage_bps=1.0)
    book = _book(steps, seed)
    paths = np.array(list(itertools.product(range(2 * max_position + 1), repeat=steps - 1)))
    env = HighFrequencyTradingEnv(
        book,
        num_envs=len(paths),
        window=1,
        max_position=max_position,
        lot_size=1.0,
        initial_cash=initial_cash,
        cost_model=cost,
    )
    env.reset(seed=0)
    for step in range(steps - 1):
        result = env.step(torch.from_numpy(paths[:, step]))
    final = result.info["portfolio_value"].numpy()

    targets = (np.arange(2 * max_position + 1) - max_position) * 1.0
    demo = optimal_positions(book["bid_price"][:, 0], book["ask_price"][:, 0], targets, cost)
    flat = max_position  # episodes start flat at snapshot window - 1 = 0
    assert initial_cash + demo.value[0, flat] == pytest.approx(final.max(), rel=1e-12)
    chosen = np.flatnonzero((paths == np.array(demo.path(0, flat))).all(axis=1))
    assert final[chosen[0]] == pytest.approx(final.max(), rel=1e-12)
    assert final.max() > initial_cash  # the teacher makes money on perfect information

"""OrderExecutionEnv and HighFrequencyTradingEnv on a synthetic book."""

import pytest
import torch
from book_fixtures import synthetic_book
from trademaster.envs.execution import OrderExecutionEnv
from trademaster.envs.hft import HighFrequencyTradingEnv
from trademaster.market.costs import CostModel
from trademaster.market.fills import walk_book

pytestmark = pytest.mark.unit


def test_walk_book_fills_levels_in_order_and_partially() -> None:
    prices = torch.tensor([[100.0, 99.0, 98.0]] * 2, dtype=torch.float64)
    sizes = torch.tensor([[1.0, 2.0, 1.0]] * 2, dtype=torch.float64)
    filled, notional = walk_book(torch.tensor([2.5, 10.0], dtype=torch.float64), prices, sizes)
    assert filled.tolist() == [2.5, 4.0]
    assert notional.tolist() == pytest.approx([100.0 + 1.5 * 99.0, 100.0 + 198.0 + 98.0])


def test_execution_completes_quantity_by_horizon() -> None:
    env = OrderExecutionEnv(synthetic_book(), total_quantity=3.0, horizon=5, num_envs=3, window=4)
    obs = env.reset(seed=0)
    assert obs.shape == (3, 4 * (4 * 3 + 1) + 2)
    results = [env.step(torch.zeros(3, dtype=torch.long)) for _ in range(5)]
    assert not bool(results[3].truncated.any())
    result = results[-1]
    assert bool(result.truncated.all())
    assert result.info["executed_quantity"].tolist() == pytest.approx([3.0] * 3)
    assert bool((result.info["portfolio_value"] > 0).all())


def test_twap_policy_earns_zero_shortfall_reward() -> None:
    horizon = 4
    env = OrderExecutionEnv(synthetic_book(), total_quantity=2.0, horizon=horizon, num_bins=None)
    env.reset(seed=1)
    total = 0.0
    for k in range(horizon):
        result = env.step(torch.tensor([1.0 / (horizon - k)]))
        total += result.reward.item()
    assert total == pytest.approx(0.0, abs=1e-6)


def test_dumping_the_order_early_is_still_compared_with_the_whole_twap_schedule() -> None:
    horizon = 5
    dump = OrderExecutionEnv(synthetic_book(), total_quantity=2.0, horizon=horizon, num_bins=None)
    twap = OrderExecutionEnv(synthetic_book(), total_quantity=2.0, horizon=horizon, num_bins=None)
    dump.reset(seed=2)
    twap.reset(seed=2)
    arrival_mid = dump._arrival_mid.clone()  # the episode's; reset draws a new one at the end
    dump_results = [dump.step(torch.tensor([1.0])) for _ in range(horizon)]
    twap_cash = []
    for k in range(horizon):
        twap_cash.append(twap.step(torch.tensor([1.0 / (horizon - k)])).info["portfolio_value"])

    assert not any(bool(r.terminated.any()) for r in dump_results)
    assert [bool(r.truncated.item()) for r in dump_results] == [False] * (horizon - 1) + [True]
    episode_return = dump_results[-1].info["episode_return"].item()
    expected = (dump_results[0].info["portfolio_value"] - twap_cash[-1]) / (2.0 * arrival_mid)
    assert episode_return == pytest.approx(expected.item(), abs=1e-6)
    assert episode_return < 0.5


def test_execution_state_dict_round_trip() -> None:
    env = OrderExecutionEnv(synthetic_book(), horizon=6, num_envs=2, window=3)
    env.reset(seed=3)
    actions = [torch.tensor([i % 11, (3 * i) % 11]) for i in range(10)]
    env.step(actions[0])
    saved = env.state_dict()
    first = [env.step(a).reward for a in actions[1:]]
    other = OrderExecutionEnv(synthetic_book(), horizon=6, num_envs=2, window=3, seed=9)
    other.load_state_dict(saved)
    assert all(
        torch.equal(x, other.step(a).reward) for x, a in zip(first, actions[1:], strict=True)
    )


def test_hft_crosses_spread_and_masks_wide_spreads() -> None:
    book = synthetic_book()
    env = HighFrequencyTradingEnv(
        book, window=3, max_position=2, lot_size=1.0, cost_model=CostModel(fee_rate=0.0)
    )
    env.reset()
    t = env._t.item()
    result = env.step(torch.tensor([4]))  # target +2 lots, bought at the next best ask
    assert env.positions.item() == 2.0
    assert env.cash.item() == pytest.approx(100_000.0 - 2.0 * book["ask_price"][t + 1, 0])
    assert result.info["portfolio_value"].item() < 100_000.0
    assert result.info["action_mask"].shape == (1, 5)

    strict = HighFrequencyTradingEnv(book, window=3, max_spread_bps=1e-6, lot_size=1.0)
    strict.reset()
    assert strict.action_mask().tolist() == [[False, False, True, False, False]]
    strict.step(torch.tensor([4]))
    assert strict.positions.item() == 0.0

"""Fast paths equal the reference math: the fused single-asset kernel, the numpy backend of
AlgorithmicTradingEnv and the scalar gym path."""

import numpy as np
import pytest
import torch
from series_fixtures import random_walk
from trademaster.envs.algorithmic import AlgorithmicTradingEnv, _round_float32
from trademaster.envs.episodes import EpisodeClock, load_env_tensors, resolve_episode_length
from trademaster.envs.gym_adapter import GymEnv
from trademaster.market.accounting import mark_to_market, rebalance_to_target_positions
from trademaster.market.costs import CostModel
from trademaster.market.single_asset import mark_value, rebalance_cash

pytestmark = pytest.mark.unit

COSTS = [CostModel(), CostModel(0.001), CostModel(0.002, 1.5, 7.0)]


def _account(n: int = 257) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    positions = torch.randn(n, generator=gen, dtype=torch.float64) * 100
    target = torch.where(torch.rand(n, generator=gen) < 0.2, positions, positions * 1.7 - 3)
    return {
        "cash": torch.rand(n, generator=gen, dtype=torch.float64) * 1e6,
        "positions": positions,
        "target": target,
        "price": 50 + torch.rand(n, generator=gen, dtype=torch.float64) * 100,
    }


@pytest.mark.parametrize("cost", COSTS, ids=str)
def test_single_asset_kernel_equals_general_accounting_bit_for_bit(cost: CostModel) -> None:
    a = _account()
    general = rebalance_to_target_positions(
        a["cash"], a["positions"], a["target"], a["price"], cost
    )
    expected_value = mark_to_market(general.cash, general.positions, a["price"] * 1.01)

    as_torch = rebalance_cash(a["cash"], a["positions"], a["target"], a["price"], cost)
    np_args = [a[k].numpy() for k in ("cash", "positions", "target", "price")]
    as_numpy = rebalance_cash(*np_args, cost)
    as_floats = [rebalance_cash(*map(float, row), cost) for row in zip(*np_args, strict=True)]

    assert torch.equal(as_torch, general.cash)
    assert np.array_equal(as_numpy, general.cash.numpy())
    assert as_floats == general.cash.tolist()
    value = mark_value(as_torch, a["target"], a["price"] * 1.01)
    assert torch.equal(value, expected_value)


def _algo(data, **kwargs) -> AlgorithmicTradingEnv:
    kwargs.setdefault("window", 4)
    return AlgorithmicTradingEnv(data["close"], data["features"], open_=data["open_"], **kwargs)


@pytest.mark.parametrize(
    ("money", "reward", "staggered"),
    [
        (torch.float64, "log_return", True),
        (torch.float64, "simple_return", False),
        (torch.float32, "log_return", False),
        (torch.float32, "simple_return", True),
    ],
)
def test_numpy_backend_matches_torch_backend(
    money: torch.dtype, reward: str, staggered: bool
) -> None:
    data = random_walk(80)
    kwargs = {
        "num_envs": 6,
        "episode_length": 9,
        "cost_model": COSTS[2],
        "money_dtype": money,
        "reward": reward,
        "position_levels": (-2.0, -0.5, 0.0, 1.0),
    }
    envs = [_algo(data, array_backend=b, **kwargs) for b in ("numpy", "torch")]
    first = [e.reset(seed=4) for e in envs]
    assert torch.equal(first[0], first[1])
    if staggered:  # episodes at different ages end on different steps
        state = envs[0].state_dict()
        state["elapsed"] = torch.arange(6)
        for env in envs:
            env.load_state_dict(state)
    gen = torch.Generator().manual_seed(2)
    for _ in range(40):
        actions = torch.randint(0, 4, (6,), generator=gen)
        fast, ref = (e.step(actions) for e in envs)
        assert torch.equal(fast.obs, ref.obs)
        assert torch.equal(fast.terminated, ref.terminated)
        assert torch.equal(fast.truncated, ref.truncated)
        torch.testing.assert_close(fast.reward, ref.reward, rtol=1e-6, atol=1e-9)
        for key in ("portfolio_value", "final_observation", "episode_length"):
            assert torch.equal(fast.info[key], ref.info[key]), key
    fast_state, ref_state = (e.state_dict() for e in envs)
    for key in ("t", "elapsed", "level_idx", "cash", "positions", "value"):
        assert torch.equal(fast_state[key], ref_state[key]), key


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_out_of_range_actions_are_rejected(backend: str) -> None:
    env = _algo(random_walk(30), num_envs=2, array_backend=backend)
    env.reset(seed=0)
    with pytest.raises(IndexError):
        env.step(torch.tensor([0, -1]))
    with pytest.raises(IndexError):
        env.step(torch.tensor([3, 0]))


def test_scalar_gym_path_matches_tensor_gym_path() -> None:
    data = random_walk(60)
    kwargs = {"episode_length": 7, "cost_model": COSTS[2]}
    fast = GymEnv(_algo(data, array_backend="numpy", **kwargs))
    ref = GymEnv(_algo(data, array_backend="torch", **kwargs))
    assert fast._scalar is not None and ref._scalar is None
    rng = np.random.default_rng(0)
    for episode in range(6):
        seed = episode if episode % 2 else None
        obs_f, _ = fast.reset(seed=seed)
        obs_r, _ = ref.reset(seed=seed)
        assert np.array_equal(obs_f, obs_r)
        done = False
        while not done:
            action = int(rng.integers(0, 3))
            out_f, out_r = fast.step(action), ref.step(action)
            assert np.array_equal(out_f[0], out_r[0])
            assert out_f[1] == pytest.approx(out_r[1], rel=1e-6, abs=1e-9)
            assert out_f[2:4] == out_r[2:4]
            assert out_f[4]["portfolio_value"] == out_r[4]["portfolio_value"]
            done = out_f[2] or out_f[3]


def test_scalar_gym_state_is_written_back_and_picked_up() -> None:
    data = random_walk(60)
    fast = GymEnv(_algo(data, episode_length=20, cost_model=COSTS[1]))
    ref = GymEnv(_algo(data, episode_length=20, cost_model=COSTS[1], array_backend="torch"))
    for env in (fast, ref):
        env.reset(seed=3)
        for action in (2, 2, 0, 1):
            env.step(action)
    fast_state, ref_state = fast.env.state_dict(), ref.env.state_dict()
    for key in ("t", "elapsed", "level_idx", "cash", "positions", "value", "episode_return"):
        assert torch.equal(fast_state[key], ref_state[key]), key

    after = [fast.step(0) for _ in range(3)]
    fast.env.load_state_dict(fast_state)
    replay = [fast.step(0) for _ in range(3)]
    assert [r[4] for r in replay] == [a[4] for a in after]


def test_episode_helpers_validate_lengths_and_shapes() -> None:
    assert resolve_episode_length(None, 12, source="series") == 12
    with pytest.raises(ValueError, match=r"episode_length must be in \[1, 12\] for this book"):
        resolve_episode_length(13, 12, source="book")
    clock = EpisodeClock(5, first_start=3, num_starts=4, device=torch.device("cpu"), seed=1)
    starts = clock.draw_starts()
    assert bool(((starts >= 3) & (starts < 7)).all())
    clock.reseed(1)
    assert torch.equal(clock.draw_starts(), starts)
    with pytest.raises(ValueError, match=r"state\['t'\] must have shape \(5,\), had \(4,\)"):
        load_env_tensors({"t": torch.zeros(4)}, {"t": torch.zeros(5, dtype=torch.long)})


def test_scalar_reward_rounding_matches_a_float32_cast() -> None:
    values = [0.1, -1.0 / 3.0, 1e-45, 3.5e38, float("inf"), -0.0]
    expected = torch.tensor(values, dtype=torch.float64).to(torch.float32).tolist()
    assert [_round_float32(v) for v in values] == expected
    assert _round_float32(1e39) == float("inf")

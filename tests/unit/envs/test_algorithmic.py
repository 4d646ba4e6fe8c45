"""AlgorithmicTradingEnv: protocol, accounting, timing, resets and resume."""

import numpy as np
import pytest
import torch
from series_fixtures import random_walk
from trademaster.envs.algorithmic import AlgorithmicTradingEnv
from trademaster.envs.base import VecEnv
from trademaster.market.costs import CostModel

pytestmark = pytest.mark.unit


def _env(data=None, **kwargs) -> AlgorithmicTradingEnv:
    data = data or random_walk(60)
    kwargs.setdefault("num_envs", 4)
    kwargs.setdefault("window", 5)
    return AlgorithmicTradingEnv(data["close"], data["features"], open_=data["open_"], **kwargs)


def test_shapes_and_dtypes_follow_the_protocol() -> None:
    env = _env(episode_length=10)
    obs = env.reset(seed=0)
    result = env.step(torch.tensor([0, 1, 2, 1]))

    assert isinstance(env, VecEnv)
    assert env.observation_shape == (5 * 3 + 1,)
    assert env.action_spec.kind == "discrete" and env.action_spec.n == 3
    assert obs.shape == (4, 16) and obs.dtype == torch.float32
    assert result.obs.shape == (4, 16) and result.reward.dtype == torch.float32
    assert result.terminated.dtype == torch.bool and result.truncated.dtype == torch.bool
    assert result.info["portfolio_value"].shape == (4,)
    assert result.obs[:, -1].tolist() == [-1.0, 0.0, 1.0, 0.0]


def test_value_identity_holds_at_every_step() -> None:
    data = random_walk(60)
    env = _env(data, episode_length=20, cost_model=CostModel(0.001, 1.0, 5.0))
    env.reset(seed=3)
    gen = torch.Generator().manual_seed(0)
    close = torch.as_tensor(data["close"])
    for _ in range(50):
        result = env.step(torch.randint(0, 3, (4,), generator=gen))
        live = ~(result.terminated | result.truncated)
        expected = env.cash + env.positions * close[env._t]
        assert torch.allclose(env.portfolio_value[live], expected[live], rtol=0, atol=1e-6)


def test_short_position_gains_when_price_falls_net_of_fees() -> None:
    close = np.array([100.0, 100.0, 90.0, 90.0])
    features = np.zeros((4, 1), dtype=np.float32)
    env = AlgorithmicTradingEnv(
        close,
        features,
        window=1,
        fill_timing="next_close",
        initial_cash=100.0,
        cost_model=CostModel(fee_rate=0.01),
    )
    env.reset()
    # level -1 at value 100, price 100 -> short 1 unit, filled at close[1]=100, fee 1.
    first = env.step(torch.tensor([0]))
    assert env.positions.item() == -1.0
    assert env.cash.item() == pytest.approx(100.0 + 100.0 - 1.0)
    assert first.info["portfolio_value"].item() == pytest.approx(99.0)
    # hold the short; price falls to 90 -> +10
    second = env.step(torch.tensor([0]))
    assert second.info["portfolio_value"].item() == pytest.approx(109.0)
    assert second.reward.item() == pytest.approx(np.log(109.0 / 99.0), rel=1e-6)


def test_costs_reduce_final_value() -> None:
    actions = torch.tensor([[0, 2, 1, 2], [2, 0, 2, 1]] * 10)

    def run(cost: CostModel) -> torch.Tensor:
        env = _env(episode_length=None, num_envs=4, cost_model=cost)
        env.reset(seed=0)
        for a in actions:
            out = env.step(a)
        return out.info["portfolio_value"]

    free, costly = run(CostModel()), run(CostModel(fee_rate=0.002, slippage_bps=5.0))
    assert bool((costly < free).all())


def test_episode_truncates_and_resets_flat() -> None:
    env = _env(episode_length=7, cost_model=CostModel(0.001))
    env.reset(seed=1)
    for step in range(7):
        result = env.step(torch.full((4,), 2))
        assert bool(result.truncated.all()) == (step == 6)
    assert result.info["episode_length"].tolist() == [7] * 4
    assert torch.equal(result.info["final_observation"][:, -1], torch.ones(4))
    assert torch.equal(result.obs[:, -1], torch.zeros(4))
    assert torch.equal(env.positions, torch.zeros(4, dtype=torch.float64))
    assert torch.equal(env.portfolio_value, torch.full((4,), 1e6, dtype=torch.float64))
    expected_return = torch.log(result.info["portfolio_value"] / 1e6).float()
    assert torch.allclose(result.info["episode_return"], expected_return, atol=1e-5)


def test_state_dict_round_trip_replays_identically() -> None:
    env = _env(episode_length=6)
    env.reset(seed=5)
    gen = torch.Generator().manual_seed(1)
    actions = [torch.randint(0, 3, (4,), generator=gen) for _ in range(20)]
    for a in actions[:4]:
        env.step(a)
    saved = env.state_dict()
    first = [env.step(a) for a in actions[4:]]

    other = _env(episode_length=6, seed=99)
    other.load_state_dict(saved)
    second = [other.step(a) for a in actions[4:]]

    for x, y in zip(first, second, strict=True):
        assert torch.equal(x.obs, y.obs) and torch.equal(x.reward, y.reward)
        assert torch.equal(x.info["portfolio_value"], y.info["portfolio_value"])


def test_observations_do_not_look_ahead() -> None:
    data = random_walk(40)
    cut = 20
    future = {k: v.copy() for k, v in data.items()}
    future["close"][cut + 1 :] *= 3.0
    future["open_"][cut + 1 :] *= 3.0
    future["features"][cut + 1 :] += 7.0
    envs = [_env(d, num_envs=1, episode_length=None) for d in (data, future)]
    obs = [e.reset() for e in envs]
    actions = [2, 0, 1, 2] * 10
    for a in actions:
        if envs[0]._t.item() > cut:
            break
        assert torch.equal(obs[0], obs[1])
        obs = [e.step(torch.tensor([a])).obs for e in envs]
    assert envs[0]._t.item() > cut


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window": 0}, "window must be >= 1, was 0"),
        ({"position_levels": (-1.0, 1.0)}, "must be distinct and contain 0"),
        ({"episode_length": 1000}, "episode_length must be in"),
        ({"reward": "sharpe"}, "reward must be"),
    ],
)
def test_invalid_arguments_are_rejected(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        _env(**kwargs)


def test_next_open_requires_open_prices() -> None:
    data = random_walk(20)
    with pytest.raises(ValueError, match="needs open_ prices"):
        AlgorithmicTradingEnv(data["close"], data["features"])

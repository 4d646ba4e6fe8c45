"""PortfolioManagementEnv: shapes, weights, accounting, resume."""

import pytest
import torch
from series_fixtures import random_walk
from trademaster.envs.portfolio import PortfolioManagementEnv
from trademaster.market.costs import CostModel

pytestmark = pytest.mark.unit


def _env(**kwargs) -> PortfolioManagementEnv:
    data = random_walk(50, assets=3)
    kwargs.setdefault("num_envs", 2)
    kwargs.setdefault("window", 4)
    return PortfolioManagementEnv(data["close"], data["features"], open_=data["open_"], **kwargs)


def test_observation_shapes_flat_and_per_asset() -> None:
    flat, grouped = _env(), _env(flatten_observation=False)
    assert flat.reset().shape == (2, 4 * 3 * 3 + 4)
    assert grouped.reset().shape == (2, 3, 4 * 3 + 1)
    assert flat.action_spec.shape == (4,)


def test_weights_follow_action_and_value_identity_holds() -> None:
    env = _env(cost_model=CostModel(fee_rate=0.001))
    env.reset(seed=0)
    logits = torch.log(torch.tensor([[0.1, 0.2, 0.3, 0.4], [1.0, 1e-9, 1e-9, 1e-9]]))
    result = env.step(logits)
    close = torch.as_tensor(random_walk(50, assets=3)["close"])
    expected = env.cash + (env.positions * close[env._t]).sum(1)
    assert torch.allclose(result.info["portfolio_value"], expected, rtol=0, atol=1e-6)
    assert env.weights()[0].tolist() == pytest.approx([0.1, 0.2, 0.3, 0.4], abs=0.02)
    assert result.info["portfolio_value"][1].item() == pytest.approx(1e6, rel=1e-6)


def test_simplex_actions_are_validated() -> None:
    env = _env(action_is_logits=False)
    env.reset()
    with pytest.raises(ValueError, match="summing to 1"):
        env.step(torch.tensor([[0.5, 0.5, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"actions must have shape \(2, 4\)"):
        env.step(torch.ones(2, 3))


def test_turnover_costs_reduce_value() -> None:
    gen = torch.Generator().manual_seed(0)
    actions = [torch.randn(2, 4, generator=gen) * 3 for _ in range(15)]

    def final(cost: CostModel) -> torch.Tensor:
        env = _env(cost_model=cost)
        env.reset(seed=1)
        return [env.step(a) for a in actions][-1].info["portfolio_value"]

    assert bool((final(CostModel(fee_rate=0.005)) < final(CostModel())).all())


def test_state_dict_round_trip_and_reset() -> None:
    env = _env(episode_length=5)
    env.reset(seed=2)
    actions = [torch.randn(2, 4, generator=torch.Generator().manual_seed(i)) for i in range(12)]
    env.step(actions[0])
    saved = env.state_dict()
    first = [env.step(a) for a in actions[1:]]
    other = _env(episode_length=5)
    other.load_state_dict(saved)
    second = [other.step(a) for a in actions[1:]]
    assert all(torch.equal(x.obs, y.obs) for x, y in zip(first, second, strict=True))
    assert bool(first[3].truncated.all())
    assert first[3].info["episode_length"].tolist() == [5, 5]

"""EIIE on the real PortfolioManagementEnv over a synthetic panel where one asset trends up."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from trademaster.agents.config import EIIEConfig
from trademaster.agents.eiie import EIIE, ObservationLayout, log_return_after_commission
from trademaster.agents.registry import get_algorithm
from trademaster.envs.base import VecEnv
from trademaster.envs.config import PortfolioManagementEnvConfig
from trademaster.envs.factory import build_env

pytestmark = pytest.mark.unit

_STEPS, _ASSETS, _WINDOW = 400, 3, 8
_DRIFTS = (0.006, 0.0, -0.006)  # asset 0 clearly trends up, asset 2 down


def _panel(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    log_ret = np.asarray(_DRIFTS) + 0.005 * rng.standard_normal((_STEPS, _ASSETS))
    close = 100.0 * np.exp(np.cumsum(log_ret, axis=0))
    open_ = close * np.exp(0.001 * rng.standard_normal(close.shape))
    prev = np.vstack([close[:1], close[:-1]])
    features = (100.0 * np.log(close / prev))[:, :, None].astype(np.float32)
    return {"close": close, "open_": open_, "features": features}


def _env(**overrides: object) -> VecEnv:
    settings = {
        "num_envs": 4,
        "window": _WINDOW,
        "episode_length": 32,
        "fee_rate": 0.001,
        "fill_timing": "next_close",
    }
    settings.update(overrides)
    return build_env(PortfolioManagementEnvConfig(**settings), _panel(), device="cpu")


def _evaluate(policy: torch.nn.Module, env: VecEnv, steps: int = 32) -> tuple[float, float]:
    """Mean per-step log return and mean weight on the up-trending asset (deterministic)."""
    obs = env.reset(seed=321)
    rewards, up = [], []
    for _ in range(steps):
        actions = policy.act(obs, deterministic=True)
        up.append(torch.softmax(actions, 1)[:, 1].mean().item())
        result = env.step(actions)
        rewards.append(result.reward.mean().item())
        obs = result.obs
    return sum(rewards) / len(rewards), sum(up) / len(up)


def _equal_weight_return(env: VecEnv, steps: int = 32) -> float:
    env.reset(seed=321)
    rewards = [
        env.step(torch.zeros(env.num_envs, _ASSETS + 1)).reward.mean().item() for _ in range(steps)
    ]
    return sum(rewards) / len(rewards)


_SMALL = EIIEConfig(
    learning_rate=3e-3, batch_size=16, sample_bias=0.05, commission_rate=0.001, buffer_size=2_000
)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def test_eiie_moves_weight_to_trending_asset_and_beats_equal_weight() -> None:
    algo = EIIE(_env(), _SMALL, seed=3, device=torch.device("cpu"))
    _, before_up = _evaluate(algo.policy, _env())
    while algo.global_step < 1_200:
        metrics = algo.train_iteration()
    after_return, after_up = _evaluate(algo.policy, _env())

    assert after_up > before_up + 0.3
    assert after_up > 0.7
    assert after_return > _equal_weight_return(_env()) + 0.002
    assert math.isfinite(metrics["losses/policy_loss"])


def test_recovered_price_relatives_match_close_to_close_moves() -> None:
    panel = _panel()
    env = _env(num_envs=2, episode_length=_STEPS - _WINDOW)  # one possible start: t = window - 1
    algo = EIIE(env, _SMALL, seed=0, device=torch.device("cpu"))

    algo.train_iteration()
    algo.train_iteration()

    close = torch.as_tensor(panel["close"])
    t0 = _WINDOW - 1
    expected = (close[t0 + 1 : t0 + 3] / close[t0 : t0 + 2]).float()
    for step in range(2):
        torch.testing.assert_close(
            algo.relatives[:, step], expected[step].expand(2, -1), rtol=1e-5, atol=1e-6
        )


def test_commission_reduces_the_training_reward() -> None:
    weights = torch.tensor([[0.0, 1.0, 0.0]])
    prev = torch.tensor([[1.0, 0.0, 0.0]])
    relatives = torch.tensor([[1.1, 0.9]])

    free = log_return_after_commission(weights, prev, relatives, 0.0)
    costly = log_return_after_commission(weights, prev, relatives, 0.01)

    assert free.item() == pytest.approx(math.log(1.1))
    assert costly.item() == pytest.approx(math.log(0.99 * 1.1))


def test_observation_layouts_agree() -> None:
    flat_env = _env(flatten_observation=True)
    grid_env = _env(flatten_observation=False)
    flat = ObservationLayout(flat_env.observation_shape, _ASSETS, _WINDOW)
    grid = ObservationLayout(grid_env.observation_shape, _ASSETS, _WINDOW)
    flat_obs, grid_obs = flat_env.reset(seed=5), grid_env.reset(seed=5)

    assert flat.features == grid.features == 1
    torch.testing.assert_close(flat.windows(flat_obs), grid.windows(grid_obs))
    torch.testing.assert_close(flat.weights(flat_obs), grid.weights(grid_obs))


def test_resume_from_state_dict_is_bit_exact() -> None:
    cpu = torch.device("cpu")

    def run(algo: EIIE, iterations: int) -> list[dict[str, float]]:
        trace = []
        for _ in range(iterations):
            metrics = algo.train_iteration()
            metrics.pop("charts/SPS")
            trace.append(metrics)
        return trace

    full = EIIE(_env(), _SMALL, seed=11, device=cpu)
    full_trace = run(full, 60)
    first = EIIE(_env(), _SMALL, seed=11, device=cpu)
    head = run(first, 30)
    checkpoint = first.state_dict()
    run(first, 3)
    resumed = EIIE(_env(), _SMALL, seed=1, device=cpu)
    resumed.load_state_dict(checkpoint)
    tail = run(resumed, 30)

    assert head + tail == full_trace
    for name, tensor in full.state_dict()["network"].items():
        assert torch.equal(tensor, resumed.state_dict()["network"][name]), name


def test_eiie_rejects_envs_without_portfolio_attributes() -> None:
    env = _env()
    del env.num_assets
    with pytest.raises(ValueError, match="num_assets"):
        EIIE(env, _SMALL, seed=0, device=torch.device("cpu"))


def test_registry_resolves_eiie() -> None:
    assert get_algorithm("eiie") is EIIE

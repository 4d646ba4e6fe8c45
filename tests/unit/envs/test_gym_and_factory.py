"""Gymnasium adapter (env checker on every env) and the config-driven factory."""

import numpy as np
import pytest
from book_fixtures import synthetic_book
from gymnasium.utils.env_checker import check_env
from series_fixtures import random_walk
from trademaster.envs.config import (
    AlgorithmicTradingEnvConfig,
    HighFrequencyTradingEnvConfig,
    OrderExecutionEnvConfig,
    PortfolioManagementEnvConfig,
)
from trademaster.envs.factory import build_env
from trademaster.envs.gym_adapter import GymEnv

pytestmark = pytest.mark.unit

CASES = [
    (AlgorithmicTradingEnvConfig(window=5, episode_length=10), random_walk(40)),
    (PortfolioManagementEnvConfig(window=3, episode_length=8), random_walk(40, assets=2)),
    (OrderExecutionEnvConfig(window=3, horizon=5), synthetic_book()),
    (OrderExecutionEnvConfig(window=3, horizon=5, num_bins=None, side="buy"), synthetic_book()),
    (
        HighFrequencyTradingEnvConfig(window=3, episode_length=10, max_spread_bps=5),
        synthetic_book(),
    ),
]


@pytest.mark.parametrize(("config", "data"), CASES, ids=lambda c: getattr(c, "kind", ""))
def test_gym_adapter_passes_env_checker(config, data) -> None:
    env = GymEnv(build_env(config, data, device="cpu"))
    check_env(env, skip_render_check=True)
    obs, _ = env.reset(seed=0)
    assert obs.dtype == np.float32 and env.observation_space.contains(obs)


def test_gym_episode_ends_with_final_observation() -> None:
    env = GymEnv(
        build_env(AlgorithmicTradingEnvConfig(window=2, episode_length=3), random_walk(20))
    )
    env.reset(seed=0)
    outcomes = [env.step(2) for _ in range(3)]
    assert [o[3] for o in outcomes] == [False, False, True]
    assert outcomes[-1][0][-1] == 1.0  # still holding long in the final observation


def test_factory_rejects_batched_env_for_gym_and_bad_config() -> None:
    with pytest.raises(ValueError, match="num_envs == 1, had 2"):
        GymEnv(build_env(AlgorithmicTradingEnvConfig(num_envs=2), random_walk(40)))
    with pytest.raises(ValueError, match="position_levels must contain 0"):
        AlgorithmicTradingEnvConfig(position_levels=(-1.0, 1.0))

"""SARL: its encoder learns a predictable asset's next move (and not noise), the agent moves a
portfolio into the trending asset, it resumes bit-exactly, and it trains on the shared DJ30
data with a policy that a backtest can rebuild from its weights."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from trademaster.agents.config_published import SARLConfig
from trademaster.agents.registry import get_algorithm
from trademaster.agents.sarl import SARL
from trademaster.config.run import build_run_spec
from trademaster.config.strategy import validate_strategy_config
from trademaster.envs.base import VecEnv
from trademaster.envs.config import PortfolioManagementEnvConfig
from trademaster.envs.factory import build_env
from trademaster.training.pipeline import load_run_dataset, make_algorithm, make_env

pytestmark = pytest.mark.unit

CPU = torch.device("cpu")
_SMALL = SARLConfig(
    hidden_sizes=(32, 32),
    learning_starts=128,
    batch_size=64,
    buffer_size=5_000,
    q_lr=3e-3,
    policy_lr=3e-3,
    gamma=0.9,
    steps_per_iteration=4,
    encoder_epochs=5,
)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def _panel_env(drift: list[float], *, alternate: bool = False, window: int = 8) -> VecEnv:
    """The real PortfolioManagementEnv on 3 assets with per-bar log drifts ``drift`` plus noise;
    with ``alternate`` asset 0 instead moves +2% / -2% on alternate bars."""
    rng = np.random.default_rng(0)
    log_ret = np.asarray(drift) + 0.005 * rng.standard_normal((400, 3))
    if alternate:
        log_ret[:, 0] = np.where(np.arange(400) % 2 == 0, 0.02, -0.02)
    close = 100.0 * np.exp(np.cumsum(log_ret, axis=0))
    features = (100.0 * log_ret)[:, :, None].astype(np.float32)
    config = PortfolioManagementEnvConfig(
        num_envs=4, window=window, episode_length=32, fee_rate=0.001, fill_timing="next_close"
    )
    return build_env(config, {"close": close, "features": features}, device="cpu")


def test_encoder_predicts_the_alternating_asset_and_not_the_noise() -> None:
    env = _panel_env([0.0, 0.0, 0.0], alternate=True, window=4)
    alg = SARL(env, _SMALL.model_copy(update={"encoder_epochs": 50}), seed=0, device=CPU)
    windows, rises = env.movement_dataset()  # type: ignore[attr-defined]
    with torch.no_grad():
        accuracy = ((alg.encoder(windows) > 0) == rises).float().mean(0)
    assert accuracy[0] > 0.98  # the next move of asset 0 is the opposite of its last one
    assert accuracy[1] < 0.7 and accuracy[2] < 0.7  # noise stays unpredictable
    metrics = alg.train_iteration()
    assert metrics["encoder/accuracy"] == pytest.approx(float(accuracy.mean()), abs=1e-6)
    assert "encoder/accuracy" not in alg.train_iteration()


def test_sarl_moves_the_portfolio_into_the_trending_asset() -> None:
    alg = SARL(_panel_env([0.006, 0.0, -0.006]), _SMALL, seed=5, device=CPU)
    while alg.global_step < 4_000:
        alg.train_iteration()
    env, equal_env = _panel_env([0.006, 0.0, -0.006]), _panel_env([0.006, 0.0, -0.006])
    obs = env.reset(seed=321)
    equal_env.reset(seed=321)
    up, rewards, equal = [], [], []
    for _ in range(32):
        actions = alg.policy.act(obs, deterministic=True)
        up.append(torch.softmax(actions, 1)[:, 1].mean().item())  # index 0 is cash
        result = env.step(actions)
        rewards.append(result.reward.mean().item())
        equal.append(equal_env.step(torch.zeros(4, 4)).reward.mean().item())
        obs = result.obs
    assert sum(up) / 32 > 0.8
    assert sum(rewards) / 32 > sum(equal) / 32 + 0.002


def test_sarl_resumes_bit_exactly() -> None:
    def build() -> SARL:
        return SARL(_panel_env([0.006, 0.0, -0.006]), _SMALL, seed=2, device=CPU)

    full, part = build(), build()
    for _ in range(60):
        full.train_iteration()
        part.train_iteration()
    resumed = build()
    resumed.load_state_dict(copy.deepcopy(part.state_dict()))
    for _ in range(30):
        a, b = full.train_iteration(), resumed.train_iteration()
        a.pop("charts/SPS", None)
        b.pop("charts/SPS", None)
        assert a == b
    for x, y in zip(full.policy.parameters(), resumed.policy.parameters(), strict=True):
        assert torch.equal(x, y)


def test_sarl_is_registered_validated_and_refuses_other_envs() -> None:
    assert get_algorithm("sarl") is SARL
    violations = validate_strategy_config(
        "portfolio_management", "sarl", {"agent_params": {"encoder_epochs": -1, "tau": 0}}
    )
    assert sorted(v.field for v in violations) == [
        "agent_params.encoder_epochs",
        "agent_params.tau",
    ]
    assert validate_strategy_config("portfolio_management", "sarl", {}) == []
    run = build_run_spec(
        "portfolio_management", "ppo", "synthetic", env={"flatten_observation": False}
    )
    grouped = make_env(run, load_run_dataset(run), "train", evaluation=False, seed=0)
    with pytest.raises(ValueError, match="flatten_observation"):
        SARL(grouped, _SMALL, seed=0, device=CPU)


def test_sarl_trains_on_shared_dj30_and_its_policy_reloads(shared_data_dir: Path) -> None:
    data = shared_data_dir / "portfolio_management/dj30/test.csv"
    run = build_run_spec(
        "portfolio_management",
        "sarl",
        str(data),
        agent_params={
            "learning_starts": 64,
            "buffer_size": 2_000,
            "batch_size": 32,
            "encoder_epochs": 10,
        },
    )
    dataset = load_run_dataset(run)
    alg = make_algorithm(run, make_env(run, dataset, "train", evaluation=False, seed=0), seed=0)
    assert isinstance(alg, SARL) and alg.encoder_metrics["encoder/accuracy"] > 0.5
    while alg.global_step < 256:
        metrics = alg.train_iteration()
    assert all(np.isfinite(v) for v in metrics.values())

    # As a backtest does: build on the test split, load the trained policy's weights.
    test_env = make_env(run, dataset, "test", evaluation=True, seed=0)
    replay = make_algorithm(run, test_env, seed=1)
    replay.policy.load_state_dict(alg.policy.state_dict())
    obs = test_env.reset(seed=0)
    torch.testing.assert_close(
        replay.policy.act(obs, deterministic=True), alg.policy.act(obs, deterministic=True)
    )

"""DDQN with DP demonstrations: replay labels are the platform's DP teacher, one update is the
TD loss plus the KL term (checked by hand), the demonstrations make it learn a zigzag book that
plain DDQN does not, it resumes bit-exactly, and it trains on the shared BTC order book."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from trademaster.agents.config_published import DDQNDemoConfig
from trademaster.agents.ddqn_dp import DDQNDemo
from trademaster.agents.dp_demonstration import optimal_positions
from trademaster.agents.registry import get_algorithm
from trademaster.config.run import build_run_spec
from trademaster.config.strategy import validate_strategy_config
from trademaster.envs.hft import HighFrequencyTradingEnv
from trademaster.market.costs import CostModel
from trademaster.training.pipeline import load_run_dataset, make_algorithm, make_env
from trademaster.training.trainer import evaluate_policy

pytestmark = pytest.mark.unit

CPU = torch.device("cpu")
_CASH = 1_000.0
_SMALL = DDQNDemoConfig(
    hidden_sizes=(32, 32),
    learning_starts=256,
    batch_size=64,
    buffer_size=20_000,
    exploration_steps=2_000,
    target_update_interval=200,
    n_step=4,
    gamma=0.9,
)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def _zigzag_book(steps: int = 600, half_period: int = 12) -> dict[str, np.ndarray]:
    """Mid rises 0.2% a snapshot for ``half_period`` snapshots, then falls as long; 1 bp half
    spread. The last return in the window tells the direction except at the turns."""
    phase = (np.arange(steps) // half_period) % 2
    mid = 100.0 * np.exp(np.cumsum(np.where(phase == 0, 0.002, -0.002)))
    half = mid * 1e-4
    return {
        "bid_price": (mid - half)[:, None],
        "ask_price": (mid + half)[:, None],
        "bid_size": np.full((steps, 1), 5.0),
        "ask_size": np.full((steps, 1), 5.0),
    }


def _env(num_envs: int = 4, episode_length: int | None = 64) -> HighFrequencyTradingEnv:
    return HighFrequencyTradingEnv(
        _zigzag_book(),
        num_envs=num_envs,
        window=4,
        episode_length=episode_length,
        max_position=2,
        lot_size=1.0,
        initial_cash=_CASH,
        cost_model=CostModel(fee_rate=1e-4),
    )


def _teacher() -> np.ndarray:
    book = _zigzag_book()
    targets = np.arange(-2, 3, dtype=np.float64)
    return optimal_positions(
        book["bid_price"][:, 0], book["ask_price"][:, 0], targets, CostModel(fee_rate=1e-4)
    ).action


def test_replay_labels_are_the_dp_teachers_action_for_each_state() -> None:
    alg = DDQNDemo(_env(), _SMALL.model_copy(update={"learning_starts": 10**6}), seed=0, device=CPU)
    env, teacher = alg.hft_env, _teacher()
    expected = []
    for _ in range(100):  # crosses episode ends; epsilon is high, so positions vary
        t, position = (x.numpy().copy() for x in env.decision_state())
        expected.append(teacher[t, position])
        alg.train_iteration()
    np.testing.assert_array_equal(alg.buffer.labels.numpy()[:100], np.stack(expected))
    assert len(np.unique(np.stack(expected))) > 1


def test_one_update_is_the_td_loss_plus_the_kl_to_the_demonstration() -> None:
    """Reference on the same batch in torch autograd: smooth-L1 to the n-step double-Q target
    plus demo_coef * mean(-log softmax(Q)[teacher]), one clipped Adam step."""
    cfg = _SMALL.model_copy(update={"demo_coef": 0.7})
    alg = DDQNDemo(_env(), cfg, seed=1, device=CPU)
    while alg.global_step < 400:
        alg.train_iteration()
    ref = copy.deepcopy(alg)
    opt_state = copy.deepcopy(alg.optimizer.state_dict())
    td_loss, _ = alg._update()  # the numpy path

    batch = ref.buffer.sample(cfg.batch_size, gamma=cfg.gamma, n_step=cfg.n_step, rng=ref.rng)
    q_net, target_net = ref.q_network, ref.target_network
    with torch.no_grad():
        chosen = q_net(batch.next_obs).masked_fill(~batch.next_action_mask, -math.inf).argmax(1)
        next_q = target_net(batch.next_obs).gather(1, chosen[:, None]).squeeze(1)
        target = batch.returns + batch.discount * next_q
    q_all = q_net(batch.obs)
    q = q_all.gather(1, batch.actions[:, None]).squeeze(1)
    td = torch.nn.functional.smooth_l1_loss(q, target)
    log_p = torch.log_softmax(q_all, dim=1)
    kl = -log_p.gather(1, batch.labels[:, None]).mean()
    optimizer = torch.optim.Adam(q_net.parameters(), lr=cfg.learning_rate)
    optimizer.load_state_dict(opt_state)
    (td + cfg.demo_coef * kl).backward()
    torch.nn.utils.clip_grad_norm_(q_net.parameters(), cfg.max_grad_norm)
    optimizer.step()

    assert td_loss == pytest.approx(td.item(), rel=1e-5)
    assert alg._demo_stats[-1][0] == pytest.approx(kl.item(), rel=1e-5)
    for ours, want in zip(alg.q_network.parameters(), q_net.parameters(), strict=True):
        torch.testing.assert_close(ours, want, rtol=1e-4, atol=1e-6)


def _train_and_score(demo_coef: float) -> tuple[float, dict[str, float]]:
    cfg = _SMALL.model_copy(update={"demo_coef": demo_coef})
    alg = DDQNDemo(_env(), cfg, seed=0, device=CPU)
    while alg.global_step < 4_000:
        metrics = alg.train_iteration()
    outcome = evaluate_policy(alg.policy, _env(1, None), episodes=1, seed=0)
    return outcome.metrics["eval/mean_return"], metrics


def test_demonstrations_teach_the_zigzag_that_plain_ddqn_misses_at_this_budget() -> None:
    book = _zigzag_book()
    best = optimal_positions(
        book["bid_price"][3:, 0],
        book["ask_price"][3:, 0],
        np.arange(-2, 3, dtype=np.float64),
        CostModel(fee_rate=1e-4),
    ).value[0, 2]  # from flat at the first decision snapshot (window - 1)
    optimum = math.log((_CASH + best) / _CASH)  # eval reward sums to log(V_T / V_0)

    with_demo, metrics = _train_and_score(1.0)
    without, _ = _train_and_score(0.0)

    assert with_demo > 0.5 * optimum
    assert with_demo > without + 0.05
    assert metrics["charts/teacher_agreement"] > 0.75
    assert metrics["losses/demo_loss"] < math.log(5) / 2  # well below a uniform softmax's


def test_ddqn_dp_resumes_bit_exactly() -> None:
    full, part = (DDQNDemo(_env(2), _SMALL, seed=3, device=CPU) for _ in range(2))
    for _ in range(300):
        full.train_iteration()
        part.train_iteration()
    resumed = DDQNDemo(_env(2), _SMALL, seed=3, device=CPU)
    resumed.load_state_dict(copy.deepcopy(part.state_dict()))
    for _ in range(100):
        a, b = full.train_iteration(), resumed.train_iteration()
        a.pop("charts/SPS")
        b.pop("charts/SPS")
        assert a == b
    for x, y in zip(full.q_network.parameters(), resumed.q_network.parameters(), strict=True):
        assert torch.equal(x, y)


def test_ddqn_dp_is_registered_validated_and_refuses_other_envs() -> None:
    assert get_algorithm("ddqn_dp") is DDQNDemo
    violations = validate_strategy_config(
        "high_frequency_trading", "ddqn_dp", {"agent_params": {"demo_coef": -1, "n_step": 0}}
    )
    assert sorted(v.field for v in violations) == ["agent_params.demo_coef", "agent_params.n_step"]
    assert validate_strategy_config("high_frequency_trading", "ddqn_dp", {}) == []
    run = build_run_spec("order_execution", "ppo", "synthetic")
    other = make_env(run, load_run_dataset(run), "train", evaluation=False, seed=0)
    with pytest.raises(ValueError, match="high-frequency trading env"):
        DDQNDemo(other, _SMALL, seed=0, device=CPU)


def test_the_teacher_is_solved_on_first_training_step_and_bounded() -> None:
    """Building the agent (as a backtest does, to load weights) runs no DP; training on a
    position grid too large for the DP fails naming the field to change."""
    env = HighFrequencyTradingEnv(_zigzag_book(), num_envs=2, window=4, max_position=70)
    alg = DDQNDemo(env, _SMALL, seed=0, device=CPU)
    assert alg._teacher is None
    with pytest.raises(ValueError, match="max_position"):
        alg.train_iteration()


def test_ddqn_dp_trains_on_the_shared_btc_book(shared_data_dir: Path) -> None:
    data = shared_data_dir / "high_frequency_trading/small_BTC"
    run = build_run_spec(
        "high_frequency_trading",
        "ddqn_dp",
        str(data),
        agent_params={"learning_starts": 400, "buffer_size": 5_000, "batch_size": 64},
    )
    dataset = load_run_dataset(run)
    alg = make_algorithm(run, make_env(run, dataset, "train", evaluation=False, seed=0), seed=0)
    while alg.global_step < 1_200:
        metrics = alg.train_iteration()
    assert all(np.isfinite(v) for v in metrics.values())
    assert 0.0 <= metrics["charts/teacher_agreement"] <= 1.0
    outcome = evaluate_policy(
        alg.policy, make_env(run, dataset, "test", evaluation=True, seed=0), episodes=1, seed=0
    )
    assert np.isfinite(outcome.metrics["eval/mean_return"])

"""TWAP in the order-execution env: its implementation shortfall vs the env's TWAP is ~0."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from trademaster.agents.base import Policy
from trademaster.agents.baselines import TWAPPolicy
from trademaster.config.run import build_run_spec
from trademaster.envs.base import ActionSpec
from trademaster.training.pipeline import (
    baseline_policies,
    evaluate_run_policy,
    load_run_dataset,
    make_env,
)

pytestmark = pytest.mark.unit

torch.set_num_threads(1)


class ConstantAction(Policy):
    """The old TWAP: the same action every step (a fraction of the *remaining* quantity)."""

    def __init__(self, value: float | int) -> None:
        super().__init__()
        self.value = value

    def act(
        self, obs: torch.Tensor, *, deterministic: bool = True, action_mask: object = None
    ) -> torch.Tensor:
        return torch.full((obs.shape[0],), self.value)


def _twap_returns(data: str, env: dict[str, object], policy: Policy | None = None) -> list[float]:
    run = build_run_spec("order_execution", "ppo", data, env=env)
    vec = make_env(run, load_run_dataset(run), "test", evaluation=False, seed=0)
    policy = policy or baseline_policies(run, vec)["twap"]
    outcome = evaluate_run_policy(run, policy, vec, seed=3, episodes=40)
    assert outcome.metrics["eval/mean_length"] == 20.0
    return [outcome.metrics["eval/mean_return"], outcome.metrics["eval/std_return"]]


@pytest.mark.parametrize("side", ["sell", "buy"])
def test_continuous_twap_matches_the_env_benchmark_exactly(side: str) -> None:
    mean, std = _twap_returns("synthetic", {"num_bins": None, "side": side})
    assert abs(mean) < 1e-9 and std < 1e-9


@pytest.mark.parametrize("num_bins", [11, 21])
def test_discrete_twap_tracks_the_schedule_up_to_bin_rounding(num_bins: int) -> None:
    mean, std = _twap_returns("synthetic", {"num_bins": num_bins})
    assert abs(mean) < 2e-5 and std < 2e-4


def test_a_constant_fraction_of_the_remainder_is_not_twap() -> None:
    mean, _ = _twap_returns("synthetic", {"num_bins": None}, ConstantAction(1 / 20))
    assert abs(mean) > 1e-5  # 4 orders of magnitude above the TWAP tolerance


def test_discrete_twap_picks_the_bin_closest_to_the_schedule() -> None:
    policy = TWAPPolicy(ActionSpec.discrete(11), horizon=4)
    # remaining 100%, all time left -> 1/4 wanted: bins 0.2 and 0.3 leave 0.8 / 0.7 vs 0.75 target
    obs = torch.tensor([[0.0, 1.0, 1.0], [0.0, 0.5, 0.5], [0.0, 0.25, 0.25]])
    assert policy.act(obs).tolist()[1:] == [5, 10]
    assert policy.act(obs).tolist()[0] in (2, 3)


def test_twap_on_the_real_btc_order_book(shared_data_dir: Path) -> None:
    data = str(shared_data_dir / "order_execution/BTC/test.csv")
    mean, std = _twap_returns(data, {"num_bins": None})
    assert abs(mean) < 1e-9 and std < 1e-9
    mean, _ = _twap_returns(data, {"num_bins": 21})
    assert abs(mean) < 1e-4

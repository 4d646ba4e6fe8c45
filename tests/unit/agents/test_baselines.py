"""Baseline policies map target positions to the right actions."""

from __future__ import annotations

import pytest
import torch
from trademaster.agents.baselines import (
    BuyAndHoldPolicy,
    EqualWeightPolicy,
    FlatPolicy,
    SMACrossoverPolicy,
    TWAPPolicy,
    sma_crossover_signal,
)
from trademaster.envs.base import ActionSpec

pytestmark = pytest.mark.unit

OBS = torch.zeros(3, 6, 2)


def test_flat_and_buy_and_hold_pick_flat_and_long_levels() -> None:
    spec = ActionSpec.discrete(3)
    assert FlatPolicy(spec).act(OBS).tolist() == [1, 1, 1]
    assert BuyAndHoldPolicy(spec).act(OBS).tolist() == [2, 2, 2]
    long_only = BuyAndHoldPolicy(ActionSpec.discrete(2), positions=[0.0, 1.0])
    assert long_only.act(OBS).tolist() == [1, 1, 1]


def test_masked_buy_and_hold_falls_back_to_nearest_allowed_action() -> None:
    mask = torch.tensor([[True, True, False]] * 3)
    assert BuyAndHoldPolicy(ActionSpec.discrete(3)).act(OBS, action_mask=mask).tolist() == [1] * 3


def test_continuous_targets_are_clipped_to_the_box() -> None:
    spec = ActionSpec.continuous((1,), 0.0, 0.5)
    assert BuyAndHoldPolicy(spec).act(OBS).flatten().tolist() == [0.5] * 3
    assert FlatPolicy(spec).act(OBS).flatten().tolist() == [0.0] * 3


def test_equal_weight_and_twap() -> None:
    weights = EqualWeightPolicy(ActionSpec.continuous((4,), 0.0, 1.0)).act(OBS)
    assert torch.allclose(weights.sum(-1), torch.ones(3))
    fresh_order = torch.tensor([[0.0, 1.0, 1.0]] * 3)  # ... remaining 100%, all time left
    twap = TWAPPolicy(ActionSpec.continuous((), 0.0, 1.0), horizon=8).act(fresh_order)
    assert twap.tolist() == [0.125] * 3


def test_sma_crossover_goes_long_in_uptrend_and_flat_in_downtrend() -> None:
    up = torch.arange(6.0).view(1, 6, 1).expand(1, 6, 2).clone()
    obs = torch.cat([up, up.flip(1)])
    policy = SMACrossoverPolicy(ActionSpec.discrete(3), fast=2, slow=6, price_feature=0)
    assert policy.act(obs).tolist() == [2, 1]
    shorting = SMACrossoverPolicy(ActionSpec.discrete(3), fast=2, slow=6, allow_short=True)
    assert shorting.act(obs).tolist() == [2, 0]


def test_sma_signal_validates_windows() -> None:
    with pytest.raises(ValueError, match="fast < slow"):
        sma_crossover_signal(torch.ones(1, 5), fast=3, slow=3)
    with pytest.raises(ValueError, match="at least slow=10"):
        sma_crossover_signal(torch.ones(1, 5), fast=3, slow=10)

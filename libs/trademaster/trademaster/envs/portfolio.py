"""Multi-asset portfolio management: the action is a weight vector over [cash, A assets].

Timing: at bar t the agent sees features of bars t-window+1..t and its current weights. The
target weights are turned into units with the value and prices marked at close[t] and filled at
bar t+1's open (default) or close through the shared market model, paying fees and slippage on
the turnover. The account is then marked at close[t+1].

Actions: with ``action_is_logits`` a softmax maps any real vector to the simplex (long-only);
otherwise the action must already be non-negative and sum to 1 (±1e-4), else ``ValueError``.

Observation: flattened ``[window * A * F + A + 1]`` (features, then weights of cash and assets),
or with ``flatten_observation=False`` ``[A, window * F + 1]``: one row per asset holding its
feature window and its current weight (the cash weight is 1 − Σ row weights).

Reward: log(V_{t+1} / V_t) after costs. Episodes run ``episode_length`` steps from a random
start (env generator) or the whole series; the end sets ``truncated``, value <= 0 ``terminated``.
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch import Tensor

from trademaster.envs.base import ActionSpec, StepResult
from trademaster.envs.episodes import EpisodeClock, EpisodicEnv, resolve_episode_length
from trademaster.envs.series import as_tensor, feature_windows, positive_prices
from trademaster.market.accounting import (
    mark_to_market,
    position_weights,
    rebalance_to_target_positions,
    target_weights_to_positions,
)
from trademaster.market.costs import CostModel
from trademaster.market.fills import FillTiming

_LOGGER = logging.getLogger(__name__)

SIMPLEX_TOLERANCE = 1e-4


class PortfolioManagementEnv(EpisodicEnv):
    """Batched multi-asset env; see the module docstring for timing and shapes."""

    _STATE_KEYS = ("t", "elapsed", "cash", "positions", "value", "episode_return")

    def __init__(
        self,
        close: Any,
        features: Any,
        *,
        open_: Any | None = None,
        num_envs: int = 1,
        window: int = 10,
        episode_length: int | None = None,
        initial_cash: float = 1_000_000.0,
        cost_model: CostModel | None = None,
        action_is_logits: bool = True,
        flatten_observation: bool = True,
        fill_timing: FillTiming | str = FillTiming.NEXT_OPEN,
        money_dtype: torch.dtype = torch.float64,
        device: torch.device | str = "cpu",
        seed: int = 0,
    ) -> None:
        self.device = torch.device(device)
        self.num_envs = int(num_envs)
        if self.num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, was {num_envs}")
        if window < 1:
            raise ValueError(f"window must be >= 1, was {window}")
        self.fill_timing = FillTiming(fill_timing)
        if self.fill_timing.is_look_ahead_prone:
            _LOGGER.warning("env.fill_timing=%s is look-ahead-prone", self.fill_timing.value)
        self.cost_model = cost_model or CostModel()
        self.window = int(window)
        self.initial_cash = float(initial_cash)
        self.action_is_logits = action_is_logits
        self.flatten_observation = flatten_observation
        self.money_dtype = money_dtype

        close_t = positive_prices(close, name="close", ndim=2, device=self.device)
        steps, assets = close_t.shape
        feats = as_tensor(
            features, name="features", ndim=3, dtype=torch.float32, device=self.device
        )
        if feats.shape[:2] != (steps, assets):
            raise ValueError(
                f"features must be [T={steps}, A={assets}, F], had {tuple(feats.shape)}"
            )
        if self.fill_timing is FillTiming.NEXT_OPEN:
            if open_ is None:
                raise ValueError("fill_timing next_open needs open_ prices, got None")
            open_t = positive_prices(open_, name="open_", ndim=2, device=self.device)
            if open_t.shape != close_t.shape:
                raise ValueError(
                    f"open_ must have shape {tuple(close_t.shape)}, had {open_t.shape}"
                )
            fill = torch.cat([open_t[1:], open_t[-1:]])
        elif self.fill_timing is FillTiming.NEXT_CLOSE:
            fill = torch.cat([close_t[1:], close_t[-1:]])
        else:
            fill = close_t
        max_length = steps - self.window
        if max_length < 1:
            raise ValueError(f"series needs > window={self.window} bars, had {steps}")
        self.episode_length = resolve_episode_length(episode_length, max_length, source="series")
        self.num_assets = assets
        self._close = close_t.to(money_dtype)
        self._fill = fill.to(money_dtype)
        # [T, window, A, F] windows; regrouped per asset when not flattened.
        windows = feature_windows(feats, self.window).view(steps, self.window, assets, -1)
        if flatten_observation:
            self._windows = windows.reshape(steps, -1).contiguous()
            self.observation_shape = (self._windows.shape[1] + assets + 1,)
        else:
            self._windows = windows.permute(0, 2, 1, 3).reshape(steps, assets, -1).contiguous()
            self.observation_shape = (assets, self._windows.shape[2] + 1)
        self.action_spec = ActionSpec.continuous(
            (assets + 1,), low=-float("inf"), high=float("inf")
        )
        if not action_is_logits:
            self.action_spec = ActionSpec.continuous((assets + 1,), low=0.0, high=1.0)

        self._clock = EpisodeClock(
            self.num_envs,
            first_start=self.window - 1,
            num_starts=max_length - self.episode_length + 1,
            device=self.device,
            seed=seed,
        )
        n = self.num_envs
        self._t = torch.zeros(n, dtype=torch.long, device=self.device)
        self._elapsed = torch.zeros(n, dtype=torch.long, device=self.device)
        self._cash = torch.full((n,), self.initial_cash, dtype=money_dtype, device=self.device)
        self._positions = torch.zeros(n, assets, dtype=money_dtype, device=self.device)
        self._value = self._cash.clone()
        self._episode_return = torch.zeros(n, dtype=torch.float32, device=self.device)
        self._reset_envs(torch.ones(n, dtype=torch.bool, device=self.device))

    def _reset_envs(self, mask: Tensor) -> None:
        self._t = torch.where(mask, self._clock.draw_starts(), self._t)
        self._elapsed = torch.where(mask, 0, self._elapsed)
        self._cash = torch.where(mask, self.initial_cash, self._cash)
        self._positions = torch.where(mask.unsqueeze(1), 0.0, self._positions)
        self._value = torch.where(mask, self.initial_cash, self._value)
        self._episode_return = torch.where(mask, 0.0, self._episode_return)

    def weights(self) -> Tensor:
        """Current weights over [cash, assets] at close[t], [N, A + 1]."""
        asset_w = position_weights(self._value, self._positions, self._close[self._t])
        return torch.cat([(1.0 - asset_w.sum(1, keepdim=True)), asset_w], dim=1)

    def _observe(self) -> Tensor:
        weights = self.weights().to(torch.float32)
        windows = self._windows[self._t]
        if self.flatten_observation:
            return torch.cat([windows, weights], dim=1)
        return torch.cat([windows, weights[:, 1:].unsqueeze(2)], dim=2)

    def _to_weights(self, actions: Tensor) -> Tensor:
        actions = actions.to(device=self.device, dtype=self.money_dtype)
        expected = (self.num_envs, self.num_assets + 1)
        if actions.shape != expected:
            raise ValueError(f"actions must have shape {expected}, had {tuple(actions.shape)}")
        if self.action_is_logits:
            return torch.softmax(actions, dim=1)
        bad = (actions < 0).any(1) | ((actions.sum(1) - 1.0).abs() > SIMPLEX_TOLERANCE)
        if bool(bad.any()):
            raise ValueError(
                "actions must be non-negative weights summing to 1 when action_is_logits=False; "
                f"{int(bad.sum())} rows were not"
            )
        return actions / actions.sum(1, keepdim=True)

    def step(self, actions: Tensor) -> StepResult:
        weights = self._to_weights(actions)
        t = self._t
        target = target_weights_to_positions(self._value, weights[:, 1:], self._close[t])
        cash, positions, _, _, _ = rebalance_to_target_positions(
            self._cash, self._positions, target, self._fill[t], self.cost_model
        )
        t_next = t + 1
        value = mark_to_market(cash, positions, self._close[t_next])
        reward = torch.log((value / self._value).clamp_min(1e-300)).to(torch.float32)
        self._cash, self._positions, self._value, self._t = cash, positions, value, t_next
        self._elapsed = self._elapsed + 1
        self._episode_return = self._episode_return + reward
        terminated = value <= 0
        truncated = (self._elapsed >= self.episode_length) & ~terminated
        return self._finish_step(reward, terminated, truncated, {"portfolio_value": value})

    def movement_dataset(self) -> tuple[Tensor, Tensor]:
        """Training data of a price-movement predictor (SARL's encoder): the feature windows
        observed at every decision bar t, and whether each asset's close rises at t+1 (future
        data: a training label only, never part of an observation)."""
        t = torch.arange(self.window - 1, self._close.shape[0] - 1, device=self.device)
        return self._windows[t], self._close[t + 1] > self._close[t]

    def close_prices(self) -> Tensor:
        """Closes [T, A] of the whole series, for training-only labels (Investor-Imitator's
        descriptor targets are metrics of the bars after each decision)."""
        return self._close.clone()

    @property
    def portfolio_value(self) -> Tensor:
        return self._value

    @property
    def positions(self) -> Tensor:
        return self._positions

    @property
    def cash(self) -> Tensor:
        return self._cash

"""Rule-based baseline policies (flat, buy-and-hold, equal-weight, TWAP, SMA crossover).

They are ``Policy`` objects, not algorithms: nothing to train, so backtests and evaluation use
them exactly like a trained policy. Actions are expressed as target positions in [-1, 1]:

* continuous specs: the action *is* the target position (or weight), clipped to [low, high];
* discrete specs: action ``i`` means target position ``positions[i]``; by default the ``n``
  actions are evenly spaced from -1 (index 0, short) to +1 (index n-1, long), e.g. n=3 →
  {short, flat, long}. Pass ``positions`` for envs with another convention. The nearest allowed
  action (under ``action_mask``) is chosen.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import torch
from torch import Tensor

from trademaster.agents.base import Policy
from trademaster.envs.base import ActionSpec

_LOGGER = logging.getLogger(__name__)


class TargetPositionPolicy(Policy):
    """Base for baselines: subclasses return a target position per env, this maps it to actions."""

    positions: Tensor

    def __init__(
        self, action_spec: ActionSpec, *, positions: Sequence[float] | None = None
    ) -> None:
        super().__init__()
        self.spec = action_spec
        if action_spec.kind == "discrete":
            assert action_spec.n is not None
            n = action_spec.n
            if positions is None:
                positions = [0.0] if n == 1 else [-1.0 + 2.0 * i / (n - 1) for i in range(n)]
            if len(positions) != n:
                raise ValueError(f"positions must have {n} entries, was {len(positions)}")
            self.register_buffer("positions", torch.tensor(positions, dtype=torch.float32))

    def constant(self, obs: Tensor, position: float) -> Tensor:
        """The same target ``position`` for every env, shaped for :meth:`act`."""
        extra = self.spec.shape if self.spec.kind == "continuous" else ()
        return torch.full((obs.shape[0], *[1] * len(extra)), position, device=obs.device)

    def target(self, obs: Tensor) -> Tensor:
        """Target position [N] (or [N, *action_shape] for continuous specs) for ``obs``."""
        raise NotImplementedError

    @torch.no_grad()
    def act(
        self, obs: Tensor, *, deterministic: bool = True, action_mask: Tensor | None = None
    ) -> Tensor:
        target = self.target(obs)
        if self.spec.kind == "continuous":
            shape = (obs.shape[0], *self.spec.shape)
            return target.expand(shape).clamp(self.spec.low, self.spec.high).float()
        distance = (self.positions.unsqueeze(0) - target.reshape(-1, 1)).abs()
        if action_mask is not None:
            distance = distance.masked_fill(~action_mask, math.inf)
        return distance.argmin(dim=-1)


class FlatPolicy(TargetPositionPolicy):
    """Do nothing: hold no position (the zero baseline every agent must beat)."""

    def target(self, obs: Tensor) -> Tensor:
        return self.constant(obs, 0.0)


class BuyAndHoldPolicy(TargetPositionPolicy):
    """Fully long at every step (a long position is held, never re-traded)."""

    def target(self, obs: Tensor) -> Tensor:
        return self.constant(obs, 1.0)


class EqualWeightPolicy(Policy):
    """Portfolio baseline: weight 1/k on each of the k action components (constant logits too)."""

    def __init__(self, action_spec: ActionSpec) -> None:
        super().__init__()
        if action_spec.kind != "continuous" or not action_spec.shape:
            raise ValueError(f"equal weight needs a continuous vector action, was {action_spec}")
        self.spec = action_spec

    @torch.no_grad()
    def act(
        self, obs: Tensor, *, deterministic: bool = True, action_mask: Tensor | None = None
    ) -> Tensor:
        k = math.prod(self.spec.shape)
        return torch.full((obs.shape[0], *self.spec.shape), 1.0 / k, device=obs.device)


class TWAPPolicy(Policy):
    """Execution baseline for ``OrderExecutionEnv``: execute ``1/horizon`` of the order per step.

    The env's action is a fraction of the *remaining* quantity (continuous in [0, 1], or bin ``i``
    = ``i / (n - 1)``) and its observation ends with ``[remaining / Q, 1 - elapsed / horizon]``,
    so a constant action is not TWAP. Continuous: ``(1 / horizon) / (remaining / Q)``, which
    sends exactly ``Q / horizon`` like the env's own TWAP benchmark (shortfall reward 0).
    Discrete: the bin that leaves the remaining quantity closest to the TWAP schedule
    ``Q * (1 - (elapsed + 1) / horizon)`` (reward ~0, up to the bin rounding).
    """

    def __init__(self, action_spec: ActionSpec, *, horizon: int) -> None:
        super().__init__()
        if horizon < 1:
            raise ValueError(f"horizon must be >= 1, was {horizon}")
        if action_spec.kind == "continuous" and action_spec.shape != ():
            raise ValueError(f"TWAP needs a scalar continuous action, was {action_spec.shape}")
        self.spec = action_spec
        self.horizon = horizon

    @torch.no_grad()
    def act(
        self, obs: Tensor, *, deterministic: bool = True, action_mask: Tensor | None = None
    ) -> Tensor:
        if obs.dim() != 2 or obs.shape[1] < 2:
            raise ValueError(
                f"obs must be [N, D >= 2] ending with remaining and time-left fractions, "
                f"was shape {tuple(obs.shape)}"
            )
        remaining = obs[:, -2].to(torch.float64).clamp(0.0, 1.0)
        if self.spec.kind == "continuous":
            fraction = (1.0 / self.horizon) / remaining.clamp_min(1e-12)
            low = 0.0 if self.spec.low is None else self.spec.low
            high = 1.0 if self.spec.high is None else self.spec.high
            return fraction.clamp(low, high).to(torch.float32)
        assert self.spec.n is not None
        time_left = obs[:, -1].to(torch.float64)
        target_after = (time_left - 1.0 / self.horizon).clamp_min(0.0)
        bins = torch.linspace(0.0, 1.0, self.spec.n, dtype=torch.float64, device=obs.device)
        after = remaining.unsqueeze(1) * (1.0 - bins.unsqueeze(0))
        distance = (after - target_after.unsqueeze(1)).abs()
        if action_mask is not None:
            distance = distance.masked_fill(~action_mask, math.inf)
        return distance.argmin(dim=-1)


def sma_crossover_signal(prices: Tensor, *, fast: int, slow: int) -> Tensor:
    """+1 where SMA(fast) > SMA(slow) over the last ``slow`` prices, else -1 (ties give 0).

    ``prices`` is [N, T] with T >= slow, oldest first.
    """
    if not 1 <= fast < slow:
        raise ValueError(f"need 1 <= fast < slow, was fast={fast}, slow={slow}")
    if prices.shape[-1] < slow:
        raise ValueError(f"need at least slow={slow} prices, was {prices.shape[-1]}")
    fast_ma = prices[..., -fast:].mean(-1)
    slow_ma = prices[..., -slow:].mean(-1)
    return torch.sign(fast_ma - slow_ma)


class SMACrossoverPolicy(TargetPositionPolicy):
    """Long when the fast SMA is above the slow SMA, else short (or flat if ``allow_short`` off).

    Prices come from the observation: obs must be [N, window, features] (or flat
    [N, window * features] with ``num_features`` given) holding a price-like column at index
    ``price_feature`` (any monotone transform of price that preserves order of averages, e.g.
    close or normalised close; not returns). ``window`` must be >= ``slow``.
    """

    def __init__(
        self,
        action_spec: ActionSpec,
        *,
        fast: int,
        slow: int,
        price_feature: int = 0,
        num_features: int | None = None,
        allow_short: bool = False,
        positions: Sequence[float] | None = None,
    ) -> None:
        super().__init__(action_spec, positions=positions)
        if not 1 <= fast < slow:
            raise ValueError(f"need 1 <= fast < slow, was fast={fast}, slow={slow}")
        self.fast, self.slow = fast, slow
        self.price_feature = price_feature
        self.num_features = num_features
        self.allow_short = allow_short

    def prices(self, obs: Tensor) -> Tensor:
        """Extract the [N, window] price column from ``obs``."""
        if obs.dim() == 2:
            if self.num_features is None:
                raise ValueError("flat observations need num_features to locate the price column")
            obs = obs.reshape(obs.shape[0], -1, self.num_features)
        if obs.dim() != 3:
            raise ValueError(f"obs must be [N, window, features], was shape {tuple(obs.shape)}")
        return obs[:, :, self.price_feature]

    def target(self, obs: Tensor) -> Tensor:
        signal = sma_crossover_signal(self.prices(obs), fast=self.fast, slow=self.slow)
        if not self.allow_short:
            signal = signal.clamp(min=0.0)
        if self.spec.kind == "continuous":
            signal = signal.reshape(-1, *[1] * len(self.spec.shape))
        return signal

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
    """Execution baseline: trade the same slice, 1/``horizon`` of the order, at every step.

    For continuous specs the action is the fraction of the total order executed this step; for
    discrete specs ``slice_action`` is the index that means "execute one slice".
    """

    def __init__(self, action_spec: ActionSpec, *, horizon: int, slice_action: int = 1) -> None:
        super().__init__()
        if horizon < 1:
            raise ValueError(f"horizon must be >= 1, was {horizon}")
        self.spec = action_spec
        self.horizon = horizon
        self.slice_action = slice_action

    @torch.no_grad()
    def act(
        self, obs: Tensor, *, deterministic: bool = True, action_mask: Tensor | None = None
    ) -> Tensor:
        n = obs.shape[0]
        if self.spec.kind == "discrete":
            return torch.full((n,), self.slice_action, dtype=torch.int64, device=obs.device)
        low, high = self.spec.low or 0.0, self.spec.high if self.spec.high is not None else 1.0
        value = min(max(1.0 / self.horizon, low), high)
        return torch.full((n, *self.spec.shape), value, device=obs.device)


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

"""Perfect-information demonstrations for high-frequency trading: the optimal position path.

TradeMaster's HFT DDQN learns from a dynamic-programming "demonstration" of the best target
position at each snapshot (its ``making_multi_level_dp_demonstration``, precomputed into files).
Here the platform computes it from the book itself, with the env's own timing and fill model:
an order decided at snapshot t fills at t+1 (buys at the best ask, sells at the best bid) through
:func:`~trademaster.market.accounting.rebalance_to_target_positions`, and the account is marked
at mid. The wealth change of holding position k through t and moving to k' is additive,

    gain[t, k, k'] = cash change of the trade k -> k' at t+1 + p_k' mid[t+1] - p_k mid[t],

so the best final wealth from (t, k) obeys ``V[t, k] = max_k' gain[t, k, k'] + V[t+1, k']`` with
``V[T-1, .] = 0``. Maximizing final wealth is exactly maximizing the env's summed log-return
reward (the sum telescopes to log V_T / V_0). Where the spread is too wide (the env's mask) only
holding is allowed. The policy table uses future prices by design: it is a teacher signal for
training only, never an input to a policy that trades.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch

from trademaster.market.accounting import rebalance_to_target_positions
from trademaster.market.costs import CostModel

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class PositionDemonstration:
    """``action[t, k]``: best next position index from index k at snapshot t (t < T-1);
    ``value[t, k]``: the wealth it earns from t to the end of the book."""

    action: np.ndarray
    value: np.ndarray

    def path(self, start: int, position: int) -> list[int]:
        """Position indices chosen by the demonstration from (start, position) to the end."""
        out: list[int] = []
        for t in range(start, self.action.shape[0]):
            position = int(self.action[t, position])
            out.append(position)
        return out


def optimal_positions(
    bid: np.ndarray,
    ask: np.ndarray,
    targets: np.ndarray,
    cost_model: CostModel,
    *,
    hold_only: np.ndarray | None = None,
) -> PositionDemonstration:
    """Solve the DP over target positions ``targets`` [K] (units) for best bid/ask [T].

    ``hold_only[t]`` True forbids trading at decision time t (the env's wide-spread mask).
    """
    bid64, ask64 = np.asarray(bid, np.float64), np.asarray(ask, np.float64)
    pos = np.asarray(targets, np.float64)
    steps, k = len(bid64), len(pos)
    if steps < 2 or ask64.shape != bid64.shape:
        raise ValueError(f"bid and ask need the same shape and >= 2 snapshots, had {bid64.shape}")
    mid = (bid64 + ask64) / 2.0
    gain = _pair_gains(bid64, ask64, mid, pos, cost_model)  # [T-1, K, K]
    if hold_only is not None:
        blocked = np.asarray(hold_only, bool)[: steps - 1, None, None] & ~np.eye(k, dtype=bool)
        gain = np.where(blocked, -np.inf, gain)
    value = np.zeros((steps, k))
    action = np.zeros((steps - 1, k), dtype=np.int64)
    for t in range(steps - 2, -1, -1):
        q = gain[t] + value[t + 1][None, :]
        action[t] = q.argmax(axis=1)
        value[t] = q.max(axis=1)
    return PositionDemonstration(action=action, value=value)


def _pair_gains(
    bid: np.ndarray, ask: np.ndarray, mid: np.ndarray, pos: np.ndarray, cost_model: CostModel
) -> np.ndarray:
    """Wealth change of every (t, k, k') through the shared fill model, one vectorized call."""
    steps, k = len(bid), len(pos)
    current = np.broadcast_to(pos[None, :, None], (steps - 1, k, k))
    target = np.broadcast_to(pos[None, None, :], (steps - 1, k, k))
    fill = np.where(target > current, ask[1:, None, None], bid[1:, None, None])
    result = rebalance_to_target_positions(
        torch.zeros(current.size, dtype=torch.float64),
        torch.from_numpy(np.ascontiguousarray(current).ravel()),
        torch.from_numpy(np.ascontiguousarray(target).ravel()),
        torch.from_numpy(np.ascontiguousarray(fill).ravel()),
        cost_model,
    )
    cash_change = result.cash.numpy().reshape(steps - 1, k, k)
    return cash_change + target * mid[1:, None, None] - current * mid[:-1, None, None]

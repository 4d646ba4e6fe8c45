"""Double DQN with dynamic-programming demonstrations for high-frequency trading.

TradeMaster's HFT DDQN adds to the TD loss a KL term that pulls ``softmax(Q(s, .))`` towards a
one-hot "demonstration": the action of the optimal position path, precomputed upstream into
files. Here the teacher is solved by the platform (:mod:`~trademaster.agents.dp_demonstration`)
once per training env, from its own book, targets, spread mask and cost model, so it is exactly
optimal for the env the agent trades in. Each stored transition is labelled with the teacher's
action for its state (snapshot t, current position); the loss on a replay batch is

    smooth_L1(Q(s, a), n-step double-Q target) + demo_coef * mean(-log softmax(Q(s, .))[a*]),

the second term being ``KL(onehot(a*) || softmax(Q))``. The teacher plans to the end of the
book, not of the random training episode (as upstream). It sees future prices by design: it is
a training signal only; the policy acts on observations alone. Deviation from upstream: the
softmax is over all actions (the replay holds no mask for ``s``); the env's mask only ever
forbids trading, where the teacher's action is hold, so the term never favours a masked action.
"""

from __future__ import annotations

import logging
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from trademaster.agents.config import DQNConfig
from trademaster.agents.config_published import DDQNDemoConfig
from trademaster.agents.dp_demonstration import optimal_positions
from trademaster.agents.dqn import DQN
from trademaster.envs.base import VecEnv
from trademaster.envs.hft import HighFrequencyTradingEnv

_LOGGER = logging.getLogger(__name__)

MAX_TEACHER_CELLS = 10_000_000
"""Bound on (snapshots - 1) x actions^2 of the teacher DP (about 50 bytes of work memory each)."""


def as_dqn(config: DDQNDemoConfig) -> DQNConfig:
    """The DQN settings of the TD part: double Q always, the same network and schedule."""
    fields = config.model_dump(exclude={"agent", "demo_coef"})
    return DQNConfig(**fields, double_q=True)


def teacher_actions(env: HighFrequencyTradingEnv) -> Tensor:
    """The optimal next action index for every (snapshot, position index) of ``env``'s book."""
    bid, ask, targets, hold_only = (x.cpu().numpy() for x in env.teacher_inputs())
    cells = (len(bid) - 1) * len(targets) ** 2
    if cells > MAX_TEACHER_CELLS:
        raise ValueError(
            f"the demonstration DP needs (snapshots - 1) x (2 max_position + 1)^2 <= "
            f"{MAX_TEACHER_CELLS}, was {cells}: lower env.max_position or use less data"
        )
    demo = optimal_positions(bid, ask, targets, env.cost_model, hold_only=hold_only)
    return torch.from_numpy(demo.action).to(env.device)


class DDQNDemo(DQN):
    """DDQN whose replay carries the teacher's action and whose loss adds the KL term."""

    name: ClassVar[str] = "ddqn_dp"
    _LABELLED_REPLAY: ClassVar[bool] = True

    def __init__(
        self, env: VecEnv, config: DDQNDemoConfig, *, seed: int, device: torch.device
    ) -> None:
        if not isinstance(env, HighFrequencyTradingEnv):
            raise ValueError(
                f"ddqn_dp learns from the high-frequency trading env's teacher, was "
                f"{type(env).__name__}"
            )
        self.hft_env = env
        self._teacher: Tensor | None = None
        self.demo_coef = config.demo_coef
        self.demo_config = config
        self._demo_stats: list[tuple[float, float]] = []
        super().__init__(env, as_dqn(config), seed=seed, device=device)

    @property
    def teacher(self) -> Tensor:
        """The teacher's plan, solved on first use: building the agent only to load trained
        weights (backtests, serving) never runs the DP on the data it is replayed on."""
        if self._teacher is None:
            self._teacher = teacher_actions(self.hft_env)
        return self._teacher

    def _transition_labels(self) -> Tensor | np.ndarray:
        t, position = self.hft_env.decision_state()
        labels = self.teacher[t, position]
        return labels.numpy() if self.driver is not None else labels.to(self.device)

    def _update_numpy(self) -> tuple[float, float]:
        c = self.config
        batch = self.buffer.sample(c.batch_size, gamma=c.gamma, n_step=c.n_step, rng=self.rng)
        loss, q_mean, q_all, cache, grad_q = self._td_numpy(batch)
        assert batch.labels is not None
        labels, n = batch.labels.numpy(), q_all.shape[0]
        rows = np.arange(n)
        shifted = q_all - q_all.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        demo_loss = float(-log_probs[rows, labels].mean())
        # d/dQ of mean cross-entropy: (softmax - onehot) / n.
        grad_demo = np.exp(log_probs)
        grad_demo[rows, labels] -= 1.0
        grad_q += np.float32(self.demo_coef / n) * grad_demo
        self._adam.step(self._q_numpy.backward(cache, grad_q), max_grad_norm=c.max_grad_norm)
        self.gradient_updates += 1
        self._demo_stats.append((demo_loss, float((q_all.argmax(axis=1) == labels).mean())))
        return loss, q_mean

    def _update_torch(self) -> tuple[float, float]:
        c = self.config
        batch = self.buffer.sample(c.batch_size, gamma=c.gamma, n_step=c.n_step, rng=self.rng)
        td_loss, q, q_all = self._td_torch(batch)
        assert batch.labels is not None
        demo_loss = nn.functional.cross_entropy(q_all, batch.labels)
        self._optimize(td_loss + self.demo_coef * demo_loss)
        agreement = (q_all.detach().argmax(dim=1) == batch.labels).float().mean()
        self._demo_stats.append((float(demo_loss.detach()), float(agreement)))
        return float(td_loss.detach()), float(q.detach().mean())

    def train_iteration(self) -> dict[str, float]:
        metrics = super().train_iteration()
        if self._demo_stats:
            losses, agreements = zip(*self._demo_stats, strict=True)
            metrics["losses/demo_loss"] = sum(losses) / len(losses)
            metrics["charts/teacher_agreement"] = sum(agreements) / len(agreements)
            self._demo_stats.clear()
        return metrics

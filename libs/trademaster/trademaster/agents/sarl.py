"""SARL (Ye et al. 2020, "Reinforcement-learning based portfolio management with augmented
asset movement prediction states"): DDPG on observations augmented by a learned encoder.

Upstream ships the encoder as pretrained weights with no training code. Here it is trained in
the same job, before any reinforcement learning: an LSTM shared by the assets reads each
asset's feature window from the observation and predicts whether the asset's close rises at the
next bar, fitted full-batch (binary cross-entropy) on the training env's own bars. It is then
frozen; DDPG sees ``[obs, P(up) per asset]`` through :class:`AugmentedObservationEnv`, and the
policy (what backtests and serving load) is the encoder plus the actor acting on raw
observations. Building the agent to load weights retrains the encoder on the data at hand, but
the loaded weights replace it, so nothing of that data reaches the replayed policy.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from trademaster.agents.base import Algorithm, Policy
from trademaster.agents.config_ddpg import DDPGConfig
from trademaster.agents.config_published import SARLConfig
from trademaster.agents.ddpg import DDPG
from trademaster.agents.td3 import DeterministicActor
from trademaster.envs.base import ActionSpec, StepResult, VecEnv
from trademaster.envs.portfolio import PortfolioManagementEnv

_LOGGER = logging.getLogger(__name__)

_ENCODER_FIELDS = ("encoder_hidden", "encoder_epochs", "encoder_lr")


class MovementEncoder(nn.Module):
    """Per-asset LSTM over the window of features, giving the logit of "close rises next bar"."""

    def __init__(self, window: int, assets: int, features: int, hidden: int) -> None:
        super().__init__()
        self.window, self.assets, self.features = window, assets, features
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, windows: Tensor) -> Tensor:
        """Logits [N, A] from flattened windows [N, window * A * F] (the env's layout)."""
        n = windows.shape[0]
        seq = windows.reshape(n, self.window, self.assets, self.features).transpose(1, 2)
        out, _ = self.lstm(seq.reshape(n * self.assets, self.window, self.features))
        return self.head(out[:, -1]).view(n, self.assets)


def fit_encoder(
    encoder: MovementEncoder, windows: Tensor, rises: Tensor, *, epochs: int, lr: float
) -> dict[str, float]:
    """Full-batch Adam on the binary cross-entropy; returns the final loss and accuracy."""
    optimizer = torch.optim.Adam(encoder.parameters(), lr=lr)
    target = rises.float()
    loss = torch.zeros(())
    for _ in range(epochs):
        loss = nn.functional.binary_cross_entropy_with_logits(encoder(windows), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        logits = encoder(windows)
        loss = nn.functional.binary_cross_entropy_with_logits(logits, target)
        accuracy = ((logits > 0) == rises).float().mean()
    encoder.requires_grad_(False)
    return {"encoder/loss": float(loss), "encoder/accuracy": float(accuracy)}


def _augment(encoder: MovementEncoder, obs: Tensor) -> Tensor:
    width = encoder.window * encoder.assets * encoder.features
    with torch.no_grad():
        probs = torch.sigmoid(encoder(obs[:, :width].float()))
    return torch.cat([obs, probs], dim=1)


class AugmentedObservationEnv(VecEnv):
    """``env`` with the encoder's probabilities appended to every observation."""

    def __init__(self, env: PortfolioManagementEnv, encoder: MovementEncoder) -> None:
        self.env, self.encoder = env, encoder
        self.num_envs, self.device = env.num_envs, env.device
        self.observation_shape = (env.observation_shape[0] + encoder.assets,)
        self.action_spec: ActionSpec = env.action_spec

    def reset(self, *, seed: int | None = None) -> Tensor:
        return _augment(self.encoder, self.env.reset(seed=seed))

    def step(self, actions: Tensor) -> StepResult:
        result = self.env.step(actions)
        info = dict(result.info)
        info["final_observation"] = _augment(self.encoder, info["final_observation"])
        obs = _augment(self.encoder, result.obs)
        return StepResult(obs, result.reward, result.terminated, result.truncated, info)

    def state_dict(self) -> dict[str, Any]:
        return self.env.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.env.load_state_dict(state)


class SARLPolicy(Policy):
    """The frozen encoder and the DDPG actor: acts on the env's own observations."""

    def __init__(self, encoder: MovementEncoder, actor: DeterministicActor) -> None:
        super().__init__()
        self.encoder, self.actor = encoder, actor

    def act(self, obs: Tensor, *, deterministic: bool, action_mask: Tensor | None = None) -> Tensor:
        return self.actor.act(_augment(self.encoder, obs), deterministic=deterministic)


class SARL(Algorithm):
    """Encoder fitted at construction, then DDPG on the augmented env (one DDPG iteration per
    ``train_iteration``; the first one also reports the encoder's fit)."""

    name: ClassVar[str] = "sarl"

    def __init__(self, env: VecEnv, config: SARLConfig, *, seed: int, device: torch.device) -> None:
        if not isinstance(env, PortfolioManagementEnv) or not env.flatten_observation:
            raise ValueError(
                "sarl needs the portfolio management env with env.flatten_observation true, "
                f"was {type(env).__name__}"
            )
        self.config = config
        windows, rises = env.movement_dataset()
        assets = env.num_assets
        features = windows.shape[1] // (env.window * assets)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.encoder = MovementEncoder(env.window, assets, features, config.encoder_hidden)
            self.encoder.to(env.device)
            self.encoder_metrics = fit_encoder(
                self.encoder,
                windows,
                rises,
                epochs=config.encoder_epochs,
                lr=config.encoder_lr,
            )
        self.env = AugmentedObservationEnv(env, self.encoder)
        ddpg_config = DDPGConfig(**config.model_dump(exclude={"agent", *_ENCODER_FIELDS}))
        self.ddpg = DDPG(self.env, ddpg_config, seed=seed, device=device)
        self.policy = SARLPolicy(self.encoder, self.ddpg.actor)
        self.global_step = 0
        self._reported = False

    def train_iteration(self) -> dict[str, float]:
        metrics = self.ddpg.train_iteration()
        self.global_step = self.ddpg.global_step
        if not self._reported:
            metrics.update(self.encoder_metrics)
            self._reported = True
        return metrics

    def state_dict(self) -> dict[str, Any]:
        return {
            "encoder": self.encoder.state_dict(),
            "ddpg": self.ddpg.state_dict(),
            "reported": self._reported,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.encoder.load_state_dict(state["encoder"])
        self.ddpg.load_state_dict(state["ddpg"])
        self.global_step = self.ddpg.global_step
        self._reported = bool(state["reported"])

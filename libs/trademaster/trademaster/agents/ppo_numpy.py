"""PPO's minibatch loss gradients written out for numpy (the CPU path; see numpy_grad).

Same objective as :meth:`PPO._minibatch_loss`: clipped surrogate on normalised advantages,
(optionally clipped) value loss, entropy bonus, for categorical (masked) and Gaussian (optionally
tanh-squashed) policies. Where torch splits the gradient of ``max(a, b)`` at ties this takes the
first branch, which differs only when both branches tie outside the clip range (measure zero).
"""

from __future__ import annotations

import logging
import math

import numpy as np

from trademaster.agents.config import PPOConfig
from trademaster.agents.networks import NumpyActorCritic

_LOGGER = logging.getLogger(__name__)

_HALF_LOG_2PI = np.float32(0.5 * math.log(2 * math.pi))
_LOG2 = np.float32(math.log(2.0))


def _categorical(
    logits: np.ndarray, actions: np.ndarray, mask: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(log-prob of actions, entropy, probabilities, log-probabilities) per row."""
    if mask is not None:
        logits = np.where(mask, logits, np.float32(-1e8))
    shifted = logits - logits.max(axis=-1, keepdims=True)
    logp_all = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    probs = np.exp(logp_all)
    log_prob = np.take_along_axis(logp_all, actions[:, None], axis=-1)[:, 0]
    entropy = -(probs * logp_all).sum(axis=-1)
    return log_prob, entropy, probs, logp_all


def ppo_numpy_gradients(
    net: NumpyActorCritic, part: dict[str, np.ndarray], c: PPOConfig
) -> tuple[list[np.ndarray], np.ndarray]:
    """Gradients (``net.parameters`` order) of one minibatch's loss, and its stats
    [policy loss, value loss, entropy, approx KL, clip fraction]."""
    obs = part["obs"]
    n = obs.shape[0]
    inv_n = np.float32(1.0 / n)
    flat = obs.reshape(n, -1)
    out, actor_cache = net.actor.forward(flat)
    value_out, critic_cache = net.critic.forward(flat)
    value = value_out[:, 0]
    actions, mask = part["actions"], part.get("mask")
    if net.discrete:
        new_logp, entropy, probs, logp_all = _categorical(out, actions, mask)
    else:
        log_std = net.log_std
        std = np.exp(log_std)
        z = (actions - out) / std
        log_terms = -0.5 * z * z - log_std - _HALF_LOG_2PI
        if net.squashed:
            log_terms = log_terms - 2.0 * (
                _LOG2 - actions - np.logaddexp(np.float32(0.0), -2.0 * actions)
            )
        new_logp = log_terms.sum(axis=-1)
        entropy = np.full(n, (0.5 + _HALF_LOG_2PI + log_std).sum(), dtype=np.float32)
    log_ratio = new_logp - part["logp"]
    ratio = np.exp(log_ratio)
    adv = part["adv"]
    if c.norm_adv and n > 1:
        adv = (adv - adv.mean()) / (adv.std(ddof=1) + np.float32(1e-8))
    unclipped = -adv * ratio
    clipped = -adv * np.clip(ratio, 1 - c.clip_coef, 1 + c.clip_coef)
    pg_loss = np.maximum(unclipped, clipped).mean()
    grad_logp = np.where(unclipped >= clipped, -adv, np.float32(0.0)) * ratio * inv_n

    ret, old_value = part["ret"], part["val"]
    diff = value - ret
    if c.clip_vloss:
        v_clipped = old_value + np.clip(value - old_value, -c.clip_coef, c.clip_coef)
        sq, sq_clipped = diff * diff, (v_clipped - ret) ** 2
        v_loss = 0.5 * np.maximum(sq, sq_clipped).mean()
        grad_value = np.where(sq >= sq_clipped, diff, np.float32(0.0))
    else:
        v_loss = 0.5 * (diff * diff).mean()
        grad_value = diff
    grad_value = grad_value * np.float32(c.vf_coef) * inv_n
    critic_grads = net.critic.parameter_grads(critic_cache, grad_value[:, None])

    ent_coef = np.float32(c.ent_coef)
    if net.discrete:
        grad_out = -probs * grad_logp[:, None]
        grad_out[np.arange(n), actions] += grad_logp
        if c.ent_coef:
            grad_out += ent_coef * inv_n * probs * (logp_all + entropy[:, None])
        if mask is not None:
            grad_out = np.where(mask, grad_out, np.float32(0.0))
        actor_grads = net.actor.parameter_grads(actor_cache, grad_out)
        extra: list[np.ndarray] = []
    else:
        grad_out = grad_logp[:, None] * z / std
        actor_grads = net.actor.parameter_grads(actor_cache, grad_out)
        grad_log_std = (grad_logp[:, None] * (z * z - 1.0)).sum(axis=0) - ent_coef
        extra = [grad_log_std.astype(np.float32)]
    approx_kl = ((ratio - 1.0) - log_ratio).mean()
    clip_frac = (np.abs(ratio - 1.0) > c.clip_coef).mean()
    stats = np.array([pg_loss, v_loss, entropy.mean(), approx_kl, clip_frac], dtype=np.float64)
    return extra + critic_grads + actor_grads, stats

"""Name → Algorithm class registry; classes are imported lazily so torch loads only when needed."""

from __future__ import annotations

import importlib
import logging

from trademaster.agents.base import Algorithm
from trademaster.agents.config import AGENT_CONFIGS

_LOGGER = logging.getLogger(__name__)

__all__ = ["AGENT_CONFIGS", "ALGORITHMS", "get_algorithm", "register_algorithm"]

# "module:ClassName" of every built-in algorithm; resolved on first get_algorithm().
_BUILTIN: dict[str, str] = {
    "dqn": "trademaster.agents.dqn:DQN",
    "ppo": "trademaster.agents.ppo:PPO",
    "sac": "trademaster.agents.sac:SAC",
    "td3": "trademaster.agents.td3:TD3",
    "eiie": "trademaster.agents.eiie:EIIE",
    "a2c": "trademaster.agents.a2c:A2C",
    "ddpg": "trademaster.agents.ddpg:DDPG",
    "pg": "trademaster.agents.pg:PG",
    "ddqn_dp": "trademaster.agents.ddqn_dp:DDQNDemo",
    "sarl": "trademaster.agents.sarl:SARL",
    "deepscalper": "trademaster.agents.deepscalper:DeepScalper",
    "deeptrader": "trademaster.agents.deeptrader:DeepTrader",
    "investor_imitator": "trademaster.agents.investor_imitator:InvestorImitator",
}

ALGORITHMS: dict[str, type[Algorithm]] = {}


def register_algorithm(cls: type[Algorithm]) -> type[Algorithm]:
    """Register ``cls`` under ``cls.name`` (usable as a class decorator)."""
    ALGORITHMS[cls.name] = cls
    return cls


def available_algorithms() -> list[str]:
    """Names accepted by ``get_algorithm``."""
    return sorted(set(_BUILTIN) | set(ALGORITHMS))


def get_algorithm(name: str) -> type[Algorithm]:
    """Return the Algorithm class called ``name``, importing its module on first use."""
    if name not in ALGORITHMS:
        target = _BUILTIN.get(name)
        if target is None:
            raise KeyError(f"unknown algorithm {name!r}, expected one of {available_algorithms()}")
        module_name, class_name = target.split(":")
        ALGORITHMS[name] = getattr(importlib.import_module(module_name), class_name)
    return ALGORITHMS[name]

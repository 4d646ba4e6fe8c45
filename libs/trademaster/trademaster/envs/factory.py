"""Build a VecEnv from a typed config and market data (Panel, order book or plain arrays)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from trademaster.envs.algorithmic import AlgorithmicTradingEnv
from trademaster.envs.base import VecEnv, resolve_device
from trademaster.envs.config import (
    AlgorithmicTradingEnvConfig,
    HighFrequencyTradingEnvConfig,
    OrderExecutionEnvConfig,
    PortfolioManagementEnvConfig,
)
from trademaster.envs.execution import OrderExecutionEnv
from trademaster.envs.hft import HighFrequencyTradingEnv
from trademaster.envs.portfolio import PortfolioManagementEnv
from trademaster.market.costs import CostModel

_LOGGER = logging.getLogger(__name__)

EnvConfig = (
    AlgorithmicTradingEnvConfig
    | PortfolioManagementEnvConfig
    | OrderExecutionEnvConfig
    | HighFrequencyTradingEnvConfig
)


def _panel_arrays(panel: Any) -> dict[str, np.ndarray]:
    """close/open [T, A] and features [T, A, F] from a Panel: the ``z*`` fields when present
    (TradeMaster's normalised features), else every field."""
    fields = list(panel.fields)
    feature_fields = [f for f in fields if f.startswith("z")] or fields
    return {
        "close": panel.field("close"),
        "open_": panel.field("open") if "open" in fields else None,
        "features": np.stack([panel.field(f) for f in feature_fields], axis=-1),
    }


def _arrays(data: Any) -> dict[str, Any]:
    if isinstance(data, Mapping):
        return dict(data)
    if hasattr(data, "fields") and hasattr(data, "field"):
        return _panel_arrays(data)
    raise TypeError(f"data must be a Panel or a mapping of arrays, was {type(data).__name__}")


def build_env(
    config: EnvConfig, data: Any, *, device: str | torch.device | None = None, seed: int = 0
) -> VecEnv:
    """Make the env ``config`` describes; ``device`` overrides ``config.device``.

    ``data``: a ``Panel`` or ``{"close", "open_", "features"}`` arrays for the bar envs
    (single-asset envs take asset 0 of a panel); an ``OrderBook`` or ``{"bid_price", "bid_size",
    "ask_price", "ask_size"}`` for the LOB envs.
    """
    dev = resolve_device(device if device is not None else config.device)
    cost = CostModel(config.fee_rate, config.fixed_fee, config.slippage_bps)
    money = torch.float64 if config.money_dtype == "float64" else torch.float32
    common: dict[str, Any] = {
        "num_envs": config.num_envs,
        "window": config.window,
        "device": dev,
        "seed": seed,
    }
    if isinstance(config, AlgorithmicTradingEnvConfig):
        arrays = _arrays(data)
        close, open_, feats = arrays["close"], arrays.get("open_"), arrays["features"]
        if np.ndim(close) == 2:
            close, feats = np.asarray(close)[:, 0], np.asarray(feats)[:, 0]
            open_ = None if open_ is None else np.asarray(open_)[:, 0]
        return AlgorithmicTradingEnv(
            close,
            feats,
            open_=open_,
            episode_length=config.episode_length,
            position_levels=config.position_levels,
            position_size=config.position_size,
            initial_cash=config.initial_cash,
            cost_model=cost,
            reward=config.reward,
            fill_timing=config.fill_timing,
            money_dtype=money,
            **common,
        )
    if isinstance(config, PortfolioManagementEnvConfig):
        arrays = _arrays(data)
        return PortfolioManagementEnv(
            arrays["close"],
            arrays["features"],
            open_=arrays.get("open_"),
            episode_length=config.episode_length,
            initial_cash=config.initial_cash,
            cost_model=cost,
            action_is_logits=config.action_is_logits,
            flatten_observation=config.flatten_observation,
            fill_timing=config.fill_timing,
            money_dtype=money,
            **common,
        )
    if isinstance(config, OrderExecutionEnvConfig):
        return OrderExecutionEnv(
            data,
            side=config.side,
            total_quantity=config.total_quantity,
            horizon=config.horizon,
            num_bins=config.num_bins,
            cost_model=cost,
            **common,
        )
    if isinstance(config, HighFrequencyTradingEnvConfig):
        return HighFrequencyTradingEnv(
            data,
            episode_length=config.episode_length,
            max_position=config.max_position,
            lot_size=config.lot_size,
            max_spread_bps=config.max_spread_bps,
            initial_cash=config.initial_cash,
            cost_model=cost,
            reward=config.reward,
            **common,
        )
    raise TypeError(f"config must be one of {EnvConfig}, was {type(config).__name__}")

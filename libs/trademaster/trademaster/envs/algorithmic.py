"""Single-asset algorithmic trading: discrete actions pick a target exposure level.

Timing: at bar t the agent sees features of bars t-window+1..t plus its held level. The
action's target exposure is sized from the value marked at close[t] and the close[t] price,
then filled at bar t+1's open (``next_open``, default) or close (``next_close``) through the
shared market model; ``same_close`` fills at close[t] and is look-ahead-prone. Holding the same
level does not trade (units stay fixed; no daily re-leveraging). After the fill the account is
marked at close[t+1].

Reward: log(V_{t+1} / V_t) (``log_return``) or V_{t+1} / V_t − 1 (``simple_return``), with V
marked at closes and net of fees and slippage. Episodes are ``episode_length`` steps from a
uniformly random start drawn from the env's generator, or the whole series; reaching the end
sets ``truncated``; a non-positive value sets ``terminated``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from trademaster.envs.base import ActionSpec, StepResult, VecEnv, generator_for
from trademaster.envs.series import as_tensor, feature_windows, positive_prices
from trademaster.market.accounting import mark_to_market, rebalance_to_target_positions
from trademaster.market.costs import CostModel
from trademaster.market.fills import FillTiming

_LOGGER = logging.getLogger(__name__)


class AlgorithmicTradingEnv(VecEnv):
    """Batched single-asset env over one price series; see the module docstring for timing."""

    def __init__(
        self,
        close: Any,
        features: Any,
        *,
        open_: Any | None = None,
        num_envs: int = 1,
        window: int = 10,
        episode_length: int | None = None,
        position_levels: Sequence[float] = (-1.0, 0.0, 1.0),
        position_size: float = 1.0,
        initial_cash: float = 1_000_000.0,
        cost_model: CostModel | None = None,
        reward: str = "log_return",
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
        if reward not in ("log_return", "simple_return"):
            raise ValueError(f"reward must be 'log_return' or 'simple_return', was {reward!r}")
        levels = [float(x) for x in position_levels]
        if 0.0 not in levels or len(set(levels)) != len(levels):
            raise ValueError(f"position_levels must be distinct and contain 0, was {levels}")
        self.fill_timing = FillTiming(fill_timing)
        if self.fill_timing.is_look_ahead_prone:
            _LOGGER.warning("env.fill_timing=%s is look-ahead-prone", self.fill_timing.value)
        self.cost_model = cost_model or CostModel()
        self.reward_kind = reward
        self.window = int(window)
        self.position_size = float(position_size)
        self.initial_cash = float(initial_cash)
        self.money_dtype = money_dtype

        close_t = positive_prices(close, name="close", ndim=1, device=self.device)
        feats = as_tensor(
            features, name="features", ndim=2, dtype=torch.float32, device=self.device
        )
        steps = close_t.shape[0]
        if feats.shape[0] != steps:
            raise ValueError(f"features must have {steps} rows like close, had {feats.shape[0]}")
        if self.fill_timing is FillTiming.NEXT_OPEN:
            if open_ is None:
                raise ValueError("fill_timing next_open needs open_ prices, got None")
            open_t = positive_prices(open_, name="open_", ndim=1, device=self.device)
            if open_t.shape[0] != steps:
                raise ValueError(f"open_ must have {steps} rows like close, had {open_t.shape[0]}")
            fill = torch.cat([open_t[1:], open_t[-1:]])
        elif self.fill_timing is FillTiming.NEXT_CLOSE:
            fill = torch.cat([close_t[1:], close_t[-1:]])
        else:
            fill = close_t
        max_length = steps - self.window
        if max_length < 1:
            raise ValueError(f"series needs > window={self.window} bars, had {steps}")
        self.episode_length = max_length if episode_length is None else int(episode_length)
        if not 1 <= self.episode_length <= max_length:
            raise ValueError(
                f"episode_length must be in [1, {max_length}] for this series, was {episode_length}"
            )
        self.num_steps = steps
        self._first_start = self.window - 1
        self._num_starts = max_length - self.episode_length + 1

        md = money_dtype
        self._close = close_t.to(md)
        self._fill = fill.to(md)
        self._levels = torch.tensor(levels, dtype=md, device=self.device) * self.position_size
        self._flat_level = levels.index(0.0)
        # obs table [K * T, window * F + 1]: the feature window of bar t next to held level k,
        # so one gather builds the whole observation batch.
        windows = feature_windows(feats, self.window)
        level_col = torch.tensor(levels, dtype=torch.float32, device=self.device)
        table = torch.cat(
            [
                windows.unsqueeze(0).expand(len(levels), -1, -1),
                level_col.view(-1, 1, 1).expand(-1, steps, 1),
            ],
            dim=2,
        )
        self._obs_table = table.reshape(len(levels) * steps, -1).contiguous()
        self.observation_shape = (self._obs_table.shape[1],)
        self.action_spec = ActionSpec.discrete(len(levels))
        self._log_reward = reward == "log_return"

        self._gen = generator_for(self.device, seed)
        n = self.num_envs
        self._t = torch.zeros(n, dtype=torch.long, device=self.device)
        self._elapsed = torch.zeros(n, dtype=torch.long, device=self.device)
        self._level_idx = torch.full((n,), self._flat_level, dtype=torch.long, device=self.device)
        self._cash = torch.full((n,), self.initial_cash, dtype=md, device=self.device)
        self._positions = torch.zeros(n, dtype=md, device=self.device)
        self._value = self._cash.clone()
        self._episode_return = torch.zeros(n, dtype=torch.float32, device=self.device)
        self._reset_envs(torch.ones(n, dtype=torch.bool, device=self.device))

    def _sample_starts(self, count: int) -> Tensor:
        offsets = torch.randint(
            0, self._num_starts, (count,), generator=self._gen, device=self.device
        )
        return offsets + self._first_start

    def _reset_envs(self, mask: Tensor) -> None:
        starts = self._sample_starts(self.num_envs)
        self._t = torch.where(mask, starts, self._t)
        self._elapsed = torch.where(mask, 0, self._elapsed)
        self._level_idx = torch.where(mask, self._flat_level, self._level_idx)
        self._cash = torch.where(mask, self.initial_cash, self._cash)
        self._positions = torch.where(mask, 0.0, self._positions)
        self._value = torch.where(mask, self.initial_cash, self._value)
        self._episode_return = torch.where(mask, 0.0, self._episode_return)

    def _observe(self) -> Tensor:
        # index_select is far faster than advanced indexing on CPU (aten::index).
        return self._obs_table.index_select(0, self._level_idx * self.num_steps + self._t)

    def reset(self, *, seed: int | None = None) -> Tensor:
        if seed is not None:
            self._gen.manual_seed(seed)
        self._reset_envs(torch.ones(self.num_envs, dtype=torch.bool, device=self.device))
        return self._observe()

    def step(self, actions: Tensor) -> StepResult:
        action_idx = actions.to(device=self.device, dtype=torch.long).reshape(self.num_envs)
        t = self._t
        price_t = self._close.index_select(0, t)
        target = torch.where(
            action_idx == self._level_idx,
            self._positions,
            self._levels.index_select(0, action_idx) * self._value / price_t,
        )
        cash, positions, _, _, _ = rebalance_to_target_positions(
            self._cash, self._positions, target, self._fill.index_select(0, t), self.cost_model
        )
        t_next = t + 1
        value = mark_to_market(cash, positions, self._close.index_select(0, t_next))
        ratio = value / self._value
        if self._log_reward:
            reward = torch.log(ratio.clamp_min(1e-300)).to(torch.float32)
        else:
            reward = (ratio - 1.0).to(torch.float32)
        self._cash, self._positions, self._value = cash, positions, value
        self._t, self._level_idx = t_next, action_idx
        self._elapsed = self._elapsed + 1
        self._episode_return = self._episode_return + reward
        terminated = value <= 0
        truncated = (self._elapsed >= self.episode_length) & ~terminated
        obs = self._observe()
        info = {
            "portfolio_value": value,
            "final_observation": obs,
            "episode_return": self._episode_return,
            "episode_length": self._elapsed,
        }
        done = terminated | truncated
        if bool(done.any()):
            self._reset_envs(done)
            obs = torch.where(done.unsqueeze(1), self._observe(), obs)
        return StepResult(obs, reward, terminated, truncated, info)

    def state_dict(self) -> dict[str, Any]:
        return {
            "t": self._t.clone(),
            "elapsed": self._elapsed.clone(),
            "level_idx": self._level_idx.clone(),
            "cash": self._cash.clone(),
            "positions": self._positions.clone(),
            "value": self._value.clone(),
            "episode_return": self._episode_return.clone(),
            "generator": self._gen.get_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        def take(key: str, dtype: torch.dtype) -> Tensor:
            value = torch.as_tensor(state[key]).to(device=self.device, dtype=dtype).clone()
            if value.shape != (self.num_envs,):
                raise ValueError(
                    f"state[{key!r}] must have shape ({self.num_envs},), had {tuple(value.shape)}"
                )
            return value

        self._t = take("t", torch.long)
        self._elapsed = take("elapsed", torch.long)
        self._level_idx = take("level_idx", torch.long)
        self._cash = take("cash", self.money_dtype)
        self._positions = take("positions", self.money_dtype)
        self._value = take("value", self.money_dtype)
        self._episode_return = take("episode_return", torch.float32)
        self._gen.set_state(state["generator"])

    @property
    def portfolio_value(self) -> Tensor:
        """Current value per sub-env, marked at the latest close."""
        return self._value

    @property
    def positions(self) -> Tensor:
        """Current signed units per sub-env."""
        return self._positions

    @property
    def cash(self) -> Tensor:
        return self._cash

"""A deployment's decisions without replaying the whole history each bar, with the same targets.

The reference is :func:`trademaster.runner.live_policy.target_weights`: the backtest's model
replay (:func:`trademaster.backtest.sources.model_plan`) over the bounded history, newest row
kept. That replay starts a fresh env (flat, all cash) at the first bar with a full feature and
observation window of the *current* history, so the decision depends on the chain of actions
from that start. :class:`IncrementalPolicy` reproduces it with per-bar work:

- the policy is built and loaded once per deployment;
- each bar's feature row (z-features over its own 30-bar lookback, ``Z_WINDOWS``) and its
  train-fitted scaling are computed once, when the bar arrives, and cached by bar time;
- algorithmic trading: the observation is (feature window, held level), so the policy's action
  for every held level is computed once per bar; the replay's chain from the history start is
  then a walk over that integer table (no env, no policy call);
- portfolio management: the observation holds the drifted weights, a continuous state, so the
  chain is stepped from the history start with the cached features and policy (per bar cost
  grows with ``max_history_bars``; no pandas, scaler, env config or policy construction).

Identity: targets equal the reference's (tested over real data, restart included). The one
numeric difference is the rolling mean in ``zd_k``: pandas keeps a compensated running sum from
the series start, here the mean of the same k values is taken directly; the two differ in the
last float64 bits, below the float32 the env feeds the policy.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from trademaster.runner.live_policy import BarHistory, warmup_bars

_LOOKBACK = 30
"""Bars a z-feature row reads (``max(Z_WINDOWS)``): rows before it are NaN and dropped."""


class IncrementalPolicy:
    """One deployment's policy and per-bar caches; see the module docstring."""

    def __init__(self, artifact: Any, instruments: tuple[str, ...] | list[str]) -> None:
        from trademaster.backtest.sources import REPLAY_TASKS
        from trademaster.data.features import Z_WINDOWS
        from trademaster.training.pipeline import env_config

        run = artifact.run_spec
        if run.task not in REPLAY_TASKS:
            raise ValueError(f"a {run.task} policy has no bar replay (needs {REPLAY_TASKS})")
        if artifact.scaler is None or not artifact.tics:
            raise ValueError("the model artifact holds no fitted scaler; train the model again")
        if max(Z_WINDOWS) != _LOOKBACK:
            raise ValueError(f"z-feature lookback changed to {max(Z_WINDOWS)}; update _LOOKBACK")
        self.artifact = artifact
        self.instruments = tuple(instruments)
        self.task = run.task
        self.cfg: Any = env_config(run, num_envs=1, episode_length=None)
        self.window = int(self.cfg.window)
        self.warmup = warmup_bars(artifact)
        if self.task == "algorithmic_trading":
            self.tics = [run.tic] if run.tic in self.instruments else [self.instruments[0]]
            self.model_tics = [artifact.tics[0]]
        else:
            self.tics = list(artifact.tics)
            self.model_tics = self.tics
        missing = [t for t in self.tics if t not in self.instruments]
        if missing:
            raise ValueError(f"the policy trades {self.tics}; the deployment lacks {missing}")
        self.fields = list(artifact.feature_fields)
        self._rows: OrderedDict[int, np.ndarray] = OrderedDict()  # time -> [A, F] float64
        self._actions: OrderedDict[int, list[int]] = OrderedDict()  # time -> action per level
        self._algorithm: Any = None
        self._cache_bars = 0

    # -- per-bar features -------------------------------------------------------------------

    def _feature_row(self, history: BarHistory, times: list[int], i: int) -> np.ndarray:
        """Panel values ``[A, F]`` of bar ``times[i]`` (needs ``i >= _LOOKBACK - 1``)."""
        scaler = self.artifact.scaler
        out = np.empty((len(self.tics), len(self.fields)))
        span = times[i - _LOOKBACK + 1 : i + 1]
        for a, tic in enumerate(self.tics):
            bars = [history.bar(t, tic) for t in span]
            closes = np.array([b.close for b in bars])
            bar, close = bars[-1], closes[-1]
            values = {
                "open": bar.open,
                "high": bar.high,
                "low": bar.low,
                "close": close,
                "zopen": bar.open / close - 1.0,
                "zhigh": bar.high / close - 1.0,
                "zlow": bar.low / close - 1.0,
                "zadjcp": close / close - 1.0,
                "zclose": close / closes[-2] - 1.0,
            }
            for k in (5, 10, 15, 20, 25, 30):
                values[f"zd_{k}"] = closes[-k:].mean() / close - 1.0
            for col in scaler.columns:
                values[col] = (values[col] - _stat(scaler.mean, col, tic)) / _stat(
                    scaler.std, col, tic
                )
            out[a] = [values[f] for f in self.fields]
        return out

    def _update(self, history: BarHistory) -> list[int]:
        """Cache rows of bars not seen yet; drop bars that left the history."""
        times = history.times()
        for i in range(_LOOKBACK - 1, len(times)):
            if times[i] not in self._rows:
                self._rows[times[i]] = self._feature_row(history, times, i)
        first = times[0] if times else 0
        for cache in (self._rows, self._actions):
            while cache and next(iter(cache)) < first:
                cache.popitem(last=False)
        return times

    # -- policy ------------------------------------------------------------------------------

    def _panel(self, times: list[int]) -> Any:
        from trademaster.data.panel import Panel

        dates = np.asarray(times, dtype="datetime64[ns]")
        values = np.stack([self._rows[t] for t in times])
        return Panel(dates, tuple(self.model_tics), tuple(self.fields), values)

    def _env(self, times: list[int]) -> Any:
        from trademaster.envs.factory import build_env
        from trademaster.training.pipeline import make_algorithm

        env = build_env(self.cfg, self._panel(times), seed=0)
        if self._algorithm is None:
            self._algorithm = make_algorithm(self.artifact.run_spec, env, seed=0)
            self._algorithm.policy.load_state_dict(self.artifact.policy_state)
        return env

    def target_weights(self, history: BarHistory) -> list[float] | None:
        """The policy's target weight per deployment instrument on the newest bar (as the
        reference); None during the warm-up."""
        times = self._update(history)
        if len(times) < self.warmup:
            return None
        panel_times = times[_LOOKBACK - 1 :]
        if self.task == "algorithmic_trading":
            weights = {self.tics[0]: self._algorithmic(panel_times)}
        else:
            weights = dict(zip(self.tics, self._portfolio(panel_times), strict=True))
        return [float(weights.get(i, 0.0)) for i in self.instruments]

    def _algorithmic(self, times: list[int]) -> float:
        import torch

        if self._algorithm is None:
            self._env(times)
        levels = np.asarray(self.cfg.position_levels, dtype=np.float64) * self.cfg.position_size
        level_obs = [np.float32(x) for x in self.cfg.position_levels]
        w = self.window
        for s in range(w - 1, len(times)):
            if times[s] in self._actions:
                continue
            feats = np.stack([self._rows[t][0] for t in times[s - w + 1 : s + 1]])
            window = torch.from_numpy(_env_features(self.fields, feats).reshape(-1))
            acts = []
            with torch.no_grad():
                for level in level_obs:
                    obs = torch.cat([window, torch.tensor([level], dtype=torch.float32)]).unsqueeze(
                        0
                    )
                    act = self._algorithm.policy.act(obs, deterministic=True, action_mask=None)
                    acts.append(int(act.reshape(-1)[0]))
            self._actions[times[s]] = acts
        held = list(self.cfg.position_levels).index(0.0)
        for t in times[w - 1 :]:
            held = self._actions[t][held]
        return float(levels[held])

    def _portfolio(self, times: list[int]) -> list[float]:
        import torch

        from trademaster.backtest.sources import _portfolio_weights

        env = self._env(times)
        obs = env.reset(seed=0)
        policy = self._algorithm.policy
        with torch.no_grad():
            for t in range(self.window - 1, len(times)):
                action = policy.act(obs, deterministic=True, action_mask=env.action_mask())
                if t + 1 < len(times):
                    stepped = env.step(action)
                    obs = stepped.info["final_observation"] if t + 2 == len(times) else stepped.obs
        return [float(x) for x in _portfolio_weights(env, action)]


def _stat(table: dict[str, dict[str, float]], col: str, tic: str) -> float:
    """The scaler's statistic of ``col`` for ``tic`` (pooled when unseen or per column)."""
    per_col = table[col]
    return float(per_col.get(tic, per_col["*"]))


def _env_features(fields: list[str], feats: np.ndarray) -> np.ndarray:
    """The env's float32 feature window ``[W, F']``: the ``z*`` fields (else all fields)."""
    z = [i for i, f in enumerate(fields) if f.startswith("z")] or list(range(len(fields)))
    return np.ascontiguousarray(feats[:, z]).astype(np.float32)

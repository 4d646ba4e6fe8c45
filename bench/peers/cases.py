"""One measurement per function: ours and the peers on the same data and settings.

Each case returns ``(units done, seconds)``; the driver runs every case in a fresh process.
Training: SB3 at its defaults on our ``AlgorithmicTradingEnv`` through the gymnasium adapter,
ours with the same hyperparameters. Env stepping: gym-anytrading's StocksEnv and ours on the
same prices, random actions. Backtesting: SMA(10)/SMA(50) long/flat with a 0.1% fee.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

FAST, SLOW, FEE = 10, 50, 0.001
CPU_MARKS: list[float] = []
"""Process CPU time at each :func:`_clock` call: on a shared machine wall time depends on the
other tenants' load, CPU time much less, so the driver reports both."""


def _clock() -> float:
    """Wall clock for the timed region; also records the process CPU time (``CPU_MARKS``)."""
    CPU_MARKS.append(time.process_time())
    return time.perf_counter()


BAR_VOL = 0.001  # per-bar log-return std of the backtest series (1M bars stay in range)


def _dataset() -> Any:
    from trademaster.training.pipeline import load_dataset

    return load_dataset("synthetic", train_fraction=0.7, valid_fraction=0.15)


def _env(num_envs: int, device: str) -> Any:
    from trademaster.config.run import build_run_spec
    from trademaster.training.pipeline import make_env

    env = {"num_envs": num_envs, "device": device}
    run = build_run_spec("algorithmic_trading", "dqn", "synthetic", env=env)
    return make_env(run, _dataset(), "train", evaluation=False, seed=0)


# -- training ------------------------------------------------------------------------------


def _dqn_config(steps: int) -> Any:
    from trademaster.agents.config import DQNConfig

    # SB3 DQN defaults: MLP 64x64, Adam 1e-4, 1M buffer, 100 warm-up steps, batch 32, one
    # gradient step every 4 env steps, hard target update every 10k, epsilon 1 -> 0.05 over
    # the first 10% of training, Huber loss, grad norm 10, plain (not double, not dueling) DQN.
    return DQNConfig(
        hidden_sizes=(64, 64),
        learning_rate=1e-4,
        buffer_size=1_000_000,
        learning_starts=100,
        batch_size=32,
        gamma=0.99,
        tau=1.0,
        train_frequency=4,
        gradient_steps=1,
        target_update_interval=10_000,
        exploration_initial_eps=1.0,
        exploration_final_eps=0.05,
        exploration_steps=max(1, steps // 10),
        double_q=False,
        dueling=False,
        max_grad_norm=10.0,
    )


def _ppo_config(num_steps: int = 2048, num_minibatches: int = 32) -> Any:
    from trademaster.agents.config import PPOConfig

    # SB3 PPO defaults: 2048 steps per env per rollout, minibatches of 64 (32 per rollout of one
    # env), 10 epochs, Adam 3e-4, GAE 0.95, clip 0.2, no value clipping, no entropy bonus,
    # vf 0.5, grad norm 0.5, separate 64x64 tanh actor and critic.
    return PPOConfig(
        hidden_sizes=(64, 64),
        learning_rate=3e-4,
        num_steps=num_steps,
        num_minibatches=num_minibatches,
        update_epochs=10,
        gamma=0.99,
        gae_lambda=0.95,
        clip_coef=0.2,
        clip_vloss=False,
        ent_coef=0.0,
        vf_coef=0.5,
        max_grad_norm=0.5,
    )


def _train_ours(alg: Any, steps: int) -> tuple[int, float]:
    start = _clock()
    while alg.global_step < steps:
        alg.train_iteration()
    return alg.global_step, _clock() - start


def ours_dqn(steps: int, num_envs: int, device: str) -> tuple[int, float]:
    import torch
    from trademaster.agents.dqn import DQN

    alg = DQN(_env(num_envs, device), _dqn_config(steps), seed=0, device=torch.device(device))
    return _train_ours(alg, steps)


def ours_ppo(
    steps: int, num_envs: int, device: str, *, num_steps: int = 2048, minibatches: int = 32
) -> tuple[int, float]:
    import torch
    from trademaster.agents.ppo import PPO

    cfg = _ppo_config(num_steps, minibatches)
    alg = PPO(_env(num_envs, device), cfg, seed=0, device=torch.device(device))
    return _train_ours(alg, steps)


def sb3(name: str, steps: int) -> tuple[int, float]:
    from stable_baselines3 import DQN, PPO
    from trademaster.envs.gym_adapter import GymEnv

    cls = DQN if name == "dqn" else PPO
    model = cls("MlpPolicy", GymEnv(_env(1, "cpu")), seed=0, device="cpu", verbose=0)
    start = _clock()
    model.learn(steps)
    return model.num_timesteps, _clock() - start


# -- env stepping ----------------------------------------------------------------------------


def _prices(n: int, vol: float = 0.01) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, vol, n)))
    open_ = close * (1.0 + rng.normal(0.0, 0.002, n))
    high = np.maximum(open_, close) * 1.001
    low = np.minimum(open_, close) * 0.999
    index = pd.date_range("2000-01-03", periods=n, freq="D")
    frame = {"Open": open_, "High": high, "Low": low, "Close": close, "Volume": 1e6}
    return pd.DataFrame(frame, index=index)


def anytrading_env(steps: int) -> tuple[int, float]:
    import gym_anytrading  # noqa: F401  (registers the envs)
    import gymnasium as gym

    df = _prices(2_000)
    env = gym.make("stocks-v0", df=df, window_size=10, frame_bound=(10, len(df)))
    actions = np.random.default_rng(0).integers(0, 2, steps).tolist()
    env.reset(seed=0)
    start = _clock()
    for a in actions:
        _, _, terminated, truncated, _ = env.step(a)
        if terminated or truncated:
            env.reset()
    return steps, _clock() - start


def ours_gym_env(steps: int) -> tuple[int, float]:
    from trademaster.envs.gym_adapter import GymEnv

    env = GymEnv(_env(1, "cpu"))
    actions = np.random.default_rng(0).integers(0, 3, steps).tolist()
    env.reset(seed=0)
    start = _clock()
    for a in actions:
        _, _, terminated, truncated, _ = env.step(a)
        if terminated or truncated:
            env.reset()
    return steps, _clock() - start


def ours_vec_env(steps: int, num_envs: int, device: str) -> tuple[int, float]:
    import torch

    env = _env(num_envs, device)
    calls = max(1, steps // num_envs)
    gen = torch.Generator(device=device).manual_seed(0)
    actions = torch.randint(0, 3, (calls, num_envs), generator=gen, device=device)
    env.reset(seed=0)
    start = _clock()
    for i in range(calls):
        env.step(actions[i])
    if device != "cpu":
        torch.cuda.synchronize()
    return calls * num_envs, _clock() - start


# -- backtesting -------------------------------------------------------------------------------


def vectorbt_sma(bars: int) -> tuple[int, float]:
    import vectorbt as vbt

    close = _prices(bars, BAR_VOL)["Close"]

    def run() -> Any:
        fast, slow = close.rolling(FAST).mean(), close.rolling(SLOW).mean()
        entries, exits = fast > slow, fast <= slow
        pf = vbt.Portfolio.from_signals(close, entries, exits, fees=FEE, init_cash=1e9)
        return pf.total_return()

    run()  # numba compiles on first use; time the warm call
    start = _clock()
    run()
    return bars, _clock() - start


def ours_vectorized_sma(bars: int) -> tuple[int, float]:
    from trademaster.backtest.config import BacktestConfig
    from trademaster.backtest.data import MarketData
    from trademaster.backtest.signals import sma_crossover_targets
    from trademaster.backtest.vectorized import run_target_positions

    df = _prices(bars, BAR_VOL)
    data = MarketData.from_arrays(df["Close"].to_numpy(), open_=df["Open"].to_numpy())
    config = BacktestConfig(initial_cash=1e9, fee_rate=FEE)

    def run() -> Any:
        targets = sma_crossover_targets(data.close[:, 0], fast=FAST, slow=SLOW, size=100.0)
        return run_target_positions(data, targets, config, benchmark=None).equity

    run()
    start = _clock()
    run()
    return bars, _clock() - start


def backtesting_py_sma(bars: int) -> tuple[int, float]:
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover

    def sma(values: Any, n: int) -> Any:
        return pd.Series(values).rolling(n).mean()

    class SmaCross(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            self.fast = self.I(sma, self.data.Close, FAST)
            self.slow = self.I(sma, self.data.Close, SLOW)

        def next(self) -> None:
            if crossover(self.fast, self.slow):
                self.buy()
            elif crossover(self.slow, self.fast):
                self.position.close()

    bt = Backtest(_prices(bars, BAR_VOL), SmaCross, cash=1e9, commission=FEE, finalize_trades=True)
    start = _clock()
    bt.run()
    return bars, _clock() - start


def backtrader_sma(bars: int) -> tuple[int, float]:
    import backtrader as bt

    class SmaCross(bt.Strategy):  # type: ignore[misc]
        def __init__(self) -> None:
            fast = bt.ind.SMA(period=FAST)
            slow = bt.ind.SMA(period=SLOW)
            self.cross = bt.ind.CrossOver(fast, slow)

        def next(self) -> None:
            if not self.position and self.cross > 0:
                self.buy(size=100)
            elif self.position and self.cross < 0:
                self.close()

    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=_prices(bars, BAR_VOL)))
    cerebro.addstrategy(SmaCross)
    cerebro.broker.setcash(1e9)
    cerebro.broker.setcommission(commission=FEE)
    start = _clock()
    cerebro.run()
    return bars, _clock() - start


def ours_event_sma(bars: int) -> tuple[int, float]:
    from trademaster.backtest.config import BacktestConfig
    from trademaster.backtest.data import MarketData
    from trademaster.backtest.event import run_event_driven
    from trademaster.backtest.signals import SMACrossoverStrategy

    df = _prices(bars, BAR_VOL)
    data = MarketData.from_arrays(df["Close"].to_numpy(), open_=df["Open"].to_numpy())
    strategy = SMACrossoverStrategy(fast=FAST, slow=SLOW, size=100.0)
    start = _clock()
    run_event_driven(data, strategy, BacktestConfig(initial_cash=1e9, fee_rate=FEE))
    return bars, _clock() - start


def cases(steps: int, device: str) -> dict[str, tuple[str, str, Callable[[], tuple[int, float]]]]:
    """name -> (group, unit, thunk). Groups pair each peer with ours in the summary."""
    ppo_steps = max(2048, steps // 2048 * 2048)
    return {
        "sb3_dqn_1env": ("train_dqn", "env_steps/s", lambda: sb3("dqn", steps)),
        "ours_dqn_1env": ("train_dqn", "env_steps/s", lambda: ours_dqn(steps, 1, device)),
        "ours_dqn_64env": ("train_dqn", "env_steps/s", lambda: ours_dqn(steps * 8, 64, device)),
        "sb3_ppo_1env": ("train_ppo", "env_steps/s", lambda: sb3("ppo", ppo_steps)),
        "ours_ppo_1env": ("train_ppo", "env_steps/s", lambda: ours_ppo(ppo_steps, 1, device)),
        # Same config, 64 envs: each rollout is 64x2048 steps in 32 minibatches of 4096.
        "ours_ppo_64env": (
            "train_ppo",
            "env_steps/s",
            lambda: ours_ppo(64 * 2048, 64, device),
        ),
        # SB3's update per sample kept: rollouts of 64x32 = 2048 steps, minibatches of 64.
        "ours_ppo_64env_batch64": (
            "train_ppo",
            "env_steps/s",
            lambda: ours_ppo(ppo_steps, 64, device, num_steps=32),
        ),
        "anytrading_env": ("env_step", "env_steps/s", lambda: anytrading_env(steps * 5)),
        "ours_gym_env": ("env_step", "env_steps/s", lambda: ours_gym_env(steps * 5)),
        "ours_vec_env_64": (
            "env_step",
            "env_steps/s",
            lambda: ours_vec_env(steps * 50, 64, device),
        ),
        "vectorbt_sma_1M": ("backtest_vectorized", "bars/s", lambda: vectorbt_sma(1_000_000)),
        "ours_vectorized_sma_1M": (
            "backtest_vectorized",
            "bars/s",
            lambda: ours_vectorized_sma(1_000_000),
        ),
        "backtesting_py_sma_20k": ("backtest_event", "bars/s", lambda: backtesting_py_sma(20_000)),
        "backtrader_sma_20k": ("backtest_event", "bars/s", lambda: backtrader_sma(20_000)),
        "ours_event_sma_20k": ("backtest_event", "bars/s", lambda: ours_event_sma(20_000)),
    }

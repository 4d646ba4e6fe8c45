"""The one market model (fills, costs, accounting) shared by envs, backtests, paper and live risk.

Money defaults to float64: a float32 cash balance of 1e6 has a resolution of ~0.06, enough to
drift visibly over a long backtest. Functions follow the dtype of their inputs, so speed
benchmarks may pass float32 tensors and accept that rounding.
"""

"""Backtest engine: replay signals, policies or order-level strategies through the market model.

Import submodules directly: ``config`` (torch-free typed settings), ``data`` (MarketData),
``vectorized`` (target positions in one pass), ``event`` (order-level strategies),
``result``, ``signals``, ``sources`` (policies, checkpoints, signal series) and ``report``.
"""

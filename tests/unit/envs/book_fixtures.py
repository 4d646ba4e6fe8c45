"""A small synthetic limit order book for LOB env tests."""

import numpy as np


def synthetic_book(steps: int = 80, levels: int = 3, *, seed: int = 0) -> dict[str, np.ndarray]:
    """Bid/ask level prices and sizes [T, L] around a random-walk mid, 1 bp ticks apart."""
    rng = np.random.default_rng(seed)
    mid = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 5e-4, steps)))
    half_spread = rng.uniform(1e-4, 4e-4, steps)[:, None]
    ticks = np.arange(levels)[None, :] * 1e-4
    return {
        "bid_price": mid[:, None] * (1.0 - half_spread - ticks),
        "ask_price": mid[:, None] * (1.0 + half_spread + ticks),
        "bid_size": rng.uniform(0.5, 2.0, (steps, levels)),
        "ask_size": rng.uniform(0.5, 2.0, (steps, levels)),
    }

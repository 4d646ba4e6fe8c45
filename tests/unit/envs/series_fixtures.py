"""Small deterministic price/feature series shared by env tests."""

import numpy as np


def random_walk(steps: int, *, seed: int = 0, assets: int | None = None) -> dict[str, np.ndarray]:
    """Close/open prices and features for ``steps`` bars (optionally [T, A])."""
    rng = np.random.default_rng(seed)
    shape = (steps,) if assets is None else (steps, assets)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, shape), axis=0))
    open_ = close * (1.0 + rng.normal(0.0, 0.002, shape))
    features = rng.normal(size=(*shape, 3)).astype(np.float32)
    return {"close": close, "open_": open_, "features": features}

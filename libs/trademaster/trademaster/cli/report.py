"""The run report image: eval equity vs a baseline policy, and the training return curve."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

_LOGGER = logging.getLogger(__name__)


def write_report(
    path: str | Path,
    *,
    equity: Sequence[float],
    benchmark: Sequence[float],
    benchmark_label: str = "buy & hold",
    history: Sequence[dict[str, Any]],
    title: str,
) -> Path:
    """Save a two-panel PNG to ``path``."""
    path = Path(path)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7))
    top.plot(list(equity), label="agent")
    top.plot(list(benchmark), label=benchmark_label, linestyle="--")
    top.set_title(f"{title}: evaluation equity")
    top.set_xlabel("step")
    top.set_ylabel("portfolio value")
    top.legend()
    points = [
        (row["global_step"], row["charts/episodic_return"])
        for row in history
        if "charts/episodic_return" in row
    ]
    if points:
        steps, returns = zip(*points, strict=True)
        bottom.plot(steps, returns)
    bottom.set_title("training episodic return")
    bottom.set_xlabel("env steps")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path

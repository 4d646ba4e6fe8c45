"""Performance and risk metrics: pure numpy functions with their formulas in each docstring.

``compute_metrics`` (in ``report``) is the one entry point services use.
"""

from trademaster.metrics.report import METRIC_KEYS, compute_metrics
from trademaster.metrics.returns import infer_market, periods_per_year

__all__ = ["METRIC_KEYS", "compute_metrics", "infer_market", "periods_per_year"]

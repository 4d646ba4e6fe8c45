"""Market data: loaders, panels, catalog, features, splits, synthetic markets (numpy/pandas only).

Import submodules directly (``from trademaster.data.loaders import load_ohlcv``); the names below
are re-exported for convenience.
"""

from trademaster.data.loaders import DatasetError, OrderBook, load_hft_lob, load_lob, load_ohlcv
from trademaster.data.panel import Panel

__all__ = ["DatasetError", "OrderBook", "Panel", "load_hft_lob", "load_lob", "load_ohlcv"]

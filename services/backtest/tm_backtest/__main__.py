"""``python -m tm_backtest``: run the backtest service until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio

from trademaster.service.server import serve
from trademaster.service.settings import load_settings

from tm_backtest.config import BacktestSettings
from tm_backtest.server import SERVICE_NAME, build


def main() -> None:
    settings = load_settings(BacktestSettings)
    asyncio.run(serve(settings, service_name=SERVICE_NAME, build=build))


if __name__ == "__main__":
    main()

"""``python -m tm_strategy``: run the strategy service until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio

from trademaster.service.server import serve
from trademaster.service.settings import load_settings

from tm_strategy.config import StrategySettings
from tm_strategy.server import SERVICE_NAME, build


def main() -> None:
    settings = load_settings(StrategySettings)
    asyncio.run(serve(settings, service_name=SERVICE_NAME, build=build))


if __name__ == "__main__":
    main()

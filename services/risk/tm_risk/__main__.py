"""``python -m tm_risk``: run the risk service until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio

from trademaster.service.server import serve
from trademaster.service.settings import load_settings

from tm_risk.config import RiskSettings
from tm_risk.server import SERVICE_NAME, build


def main() -> None:
    settings = load_settings(RiskSettings)
    asyncio.run(serve(settings, service_name=SERVICE_NAME, build=build))


if __name__ == "__main__":
    main()

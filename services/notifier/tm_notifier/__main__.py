"""``python -m tm_notifier``: run the notifier service until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio

from trademaster.service.server import serve
from trademaster.service.settings import load_settings

from tm_notifier.config import NotifierSettings
from tm_notifier.server import SERVICE_NAME, build


def main() -> None:
    settings = load_settings(NotifierSettings)
    asyncio.run(serve(settings, service_name=SERVICE_NAME, build=build))


if __name__ == "__main__":
    main()

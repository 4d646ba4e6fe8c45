"""``python -m tm_trainer``: run the trainer service until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio

from trademaster.service.server import serve
from trademaster.service.settings import load_settings

from tm_trainer.config import TrainerSettings
from tm_trainer.server import SERVICE_NAME, build


def main() -> None:
    settings = load_settings(TrainerSettings)
    asyncio.run(serve(settings, service_name=SERVICE_NAME, build=build))


if __name__ == "__main__":
    main()

"""``python -m tm_gateway``: run the gateway; with ``users``/``tokens`` arguments: admin CLI."""

from __future__ import annotations

import asyncio
import sys

from trademaster.service.server import serve
from trademaster.service.settings import load_settings

from tm_gateway.cli import run_cli
from tm_gateway.config import GatewaySettings
from tm_gateway.server import SERVICE_NAME, build


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args:
        raise SystemExit(run_cli(args))
    settings = load_settings(GatewaySettings)
    asyncio.run(serve(settings, service_name=SERVICE_NAME, build=build))


if __name__ == "__main__":
    main()

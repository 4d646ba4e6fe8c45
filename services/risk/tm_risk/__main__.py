"""``python -m tm_risk``: run the risk service until SIGTERM/SIGINT.

Sub-commands (operations, same ``TM_RISK_*`` settings):
  ``python -m tm_risk audit verify [--from N] [--to M]``  recompute the audit hash chain;
      exit 0 when intact, 1 with the first broken sequence otherwise.
  ``python -m tm_risk replay FILE [--speed S] [--tics A,B] [--limit N]``  play an OHLCV file
      onto the market-data stream (S market seconds per wall second; 0 = as fast as possible).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from trademaster.service.server import serve
from trademaster.service.settings import load_settings

from tm_risk.config import RiskSettings
from tm_risk.server import SERVICE_NAME, build


async def _verify(settings: RiskSettings, first: int, last: int | None) -> int:
    from trademaster.service.db import create_pool

    from tm_risk import audit
    from tm_risk.store import RiskReader

    pool = await create_pool(settings.database_url, schema="risk", max_size=1)
    try:
        reader = RiskReader(pool)
        prev = audit.GENESIS if first == 1 else await reader.audit_hash(first - 1)
        if prev is None:
            print(f"no audit entry before sequence {first}", file=sys.stderr)
            return 2
        report = audit.verify(await reader.audit_rows(first, last), prev, first)
    finally:
        await pool.close()
    if report.valid:
        print(f"audit chain valid: {report.checked} entries, last hash {report.last_hash}")
        return 0
    print(
        f"audit chain BROKEN at sequence {report.first_bad}: {report.problem} "
        f"({report.checked} entries verified before it)"
    )
    return 1


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        settings = load_settings(RiskSettings)
        asyncio.run(serve(settings, service_name=SERVICE_NAME, build=build))
        return
    parser = argparse.ArgumentParser(
        prog="python -m tm_risk",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    audit_cmd = commands.add_parser("audit", help="audit chain operations")
    audit_sub = audit_cmd.add_subparsers(dest="action", required=True)
    verify = audit_sub.add_parser("verify", help="recompute and check the hash chain")
    verify.add_argument("--from", dest="first", type=int, default=1)
    verify.add_argument("--to", dest="last", type=int, default=None)
    replay = commands.add_parser("replay", help="play an OHLCV file onto the bar stream")
    replay.add_argument("file", type=Path)
    replay.add_argument("--speed", type=float, default=60.0)
    replay.add_argument("--tics", default="")
    replay.add_argument("--limit", type=int, default=None)
    parsed = parser.parse_args(args)
    settings = load_settings(RiskSettings)
    if parsed.command == "audit":
        raise SystemExit(asyncio.run(_verify(settings, parsed.first, parsed.last)))
    from tm_risk.replay import replay_file

    tics = [t for t in parsed.tics.split(",") if t] or None
    count = asyncio.run(
        replay_file(
            settings.redis_url,
            parsed.file,
            speed=parsed.speed,
            stream=settings.market_data_stream,
            tics=tics,
            limit=parsed.limit,
        )
    )
    print(f"replayed {count} bars onto {settings.market_data_stream}")


if __name__ == "__main__":
    main()

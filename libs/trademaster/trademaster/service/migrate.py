"""``python -m trademaster.service.migrate <name>``: apply one service's migrations and exit.

Kubernetes runs it as each Deployment's init container, so schema changes happen once before
any replica serves (services still apply at start: both paths take the same advisory lock and
skip applied versions, so running it twice, or next to a starting replica, is safe). The
service module ``tm_<name>.server`` names its ``SCHEMA`` and ``MIGRATIONS_DIR``; the DSN is
``TM_<NAME>_DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys

from trademaster.service.db import apply_migrations, create_pool


async def migrate(name: str, dsn: str) -> list[str]:
    """Apply pending migrations of service ``name``; returns the labels applied."""
    server = importlib.import_module(f"tm_{name}.server")
    pool = await create_pool(dsn, min_size=1, max_size=1, schema=server.SCHEMA)
    try:
        return await apply_migrations(
            pool, schema=server.SCHEMA, migrations_dir=server.MIGRATIONS_DIR
        )
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m trademaster.service.migrate <service name>", file=sys.stderr)
        return 2
    name = args[0]
    dsn = os.environ.get(f"TM_{name.upper()}_DATABASE_URL", "")
    if not dsn:
        print(f"configuration error: TM_{name.upper()}_DATABASE_URL is required", file=sys.stderr)
        return 2
    applied = asyncio.run(migrate(name, dsn))
    print(f"{name}: applied {len(applied)} migration(s) {applied}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

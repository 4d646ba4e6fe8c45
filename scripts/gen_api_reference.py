#!/usr/bin/env python3
"""Generate the API reference and the client's RPC table from protos/ (with comments).

Usage: .venv/bin/python scripts/gen_api_reference.py [--check]
  writes services/gateway/tm_gateway/api_reference/index.html (served at /docs/api) and
  clients/python/trademaster_client/_rpc_table.py; --check exits 1 when either is stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from apiref.generate import outputs  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the outputs are stale")
    args = parser.parse_args()
    stale = []
    for path, text in outputs(ROOT).items():
        current = path.read_text() if path.is_file() else None
        if current == text:
            continue
        stale.append(path.relative_to(ROOT))
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path}")
    if args.check and stale:
        print("run: .venv/bin/python scripts/gen_api_reference.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

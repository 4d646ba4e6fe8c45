"""`./tm keys list|rotate|remove KID|prune --older-than 30d`: the JWT signing keys.

Services re-read the key file when it changes, so each command takes effect at once on every
running service: a rotation signs new tokens with the new key while older keys keep verifying
theirs; a removed key's tokens are refused from the next request on. Secrets are never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from trademaster.service.localstack.local import KEY_FILE
from trademaster.service.ops.logsearch import parse_duration
from trademaster.service.ops.paths import local_var_dir
from trademaster.service.signing_keys import (
    KeyFileError,
    KeySet,
    prunable,
    read_key_file,
    remove,
    rotate,
    write_key_file,
)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "keys",
        help="list, rotate and remove the JWT signing keys",
        description="Manage the JWT signing keys (var/jwt-keys.json). Running services follow "
        "every change without a restart.",
    )
    parser.add_argument("--file", type=Path, help=f"key file (default var/{KEY_FILE})")
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="key ids, ages, which one signs")
    actions.add_parser("rotate", help="a new signing key; the old one keeps verifying")
    removing = actions.add_parser("remove", help="drop a key: its tokens are refused at once")
    removing.add_argument("kid")
    pruning = actions.add_parser("prune", help="remove keys retired longer ago than a duration")
    pruning.add_argument(
        "--older-than",
        required=True,
        metavar="DURATION",
        help="e.g. 30d: at least the longest token lifetime (service tokens: their TTL)",
    )
    parser.set_defaults(run=run)


def _print(keys: KeySet) -> None:
    for key in keys.keys:
        mark = "active " if key.kid == keys.active else "verify "
        retired = f"  retired {key.retired_at.isoformat()}" if key.retired_at else ""
        print(f"{mark} {key.kid}  created {key.created_at.isoformat()}{retired}")


def run(args: argparse.Namespace) -> int:
    path: Path = args.file or local_var_dir(Path.cwd(), os.environ) / KEY_FILE
    try:
        keys = read_key_file(path)
        if args.action == "list":
            _print(keys)
            return 0
        if args.action == "rotate":
            changed = rotate(keys)
            print(f"new signing key {changed.active}; {keys.active} keeps verifying its tokens")
        elif args.action == "remove":
            changed = remove(keys, args.kid)
            print(f"removed {args.kid}: tokens it signed are refused from now on")
        else:
            older_than = parse_duration(args.older_than)
            if older_than is None:
                raise ValueError(f"--older-than must be like 12h or 30d, was {args.older_than!r}")
            gone = prunable(keys, older_than)
            changed = keys
            for kid in gone:
                changed = remove(changed, kid)
            print(f"removed {', '.join(gone) if gone else 'nothing'}")
    except (KeyFileError, ValueError) as error:
        print(f"tm keys: {error}", file=sys.stderr)
        return 1
    write_key_file(path, changed)
    _print(changed)
    return 0

"""``python -m trademaster.service.ops <command>``: the operator commands behind `./tm`."""

from __future__ import annotations

import argparse
import sys

from trademaster.service.ops import backup_command, keys_command, logs_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="./tm", description="TradeMaster operator commands")
    commands = parser.add_subparsers(dest="command", required=True)
    logs_command.add_parser(commands)
    backup_command.add_parsers(commands)
    keys_command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())

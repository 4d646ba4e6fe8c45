"""`./tm logs [service ...] [--grep TEXT] [--since 10m] [--level L] [--follow] [--json]`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from trademaster.service.ops.logsearch import (
    LogEntry,
    LogQuery,
    follow,
    format_entry,
    parse_level,
    parse_since,
    search,
    services_in,
)
from trademaster.service.ops.paths import local_var_dir


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "logs",
        help="search the services' JSON logs under var/logs",
        description="Show the services' JSON logs (var/logs/<service>.jsonl and its rotated "
        "copies) merged in time order. Exit status 1 when nothing matched.",
    )
    parser.add_argument("services", nargs="*", metavar="service", help="default: every service")
    parser.add_argument("--grep", metavar="TEXT", help="only lines containing TEXT (any case)")
    parser.add_argument(
        "--since", metavar="WHEN", help="only newer lines: 30s, 10m, 2h, 1d or an ISO time"
    )
    parser.add_argument("--level", help="only lines at this level or above (e.g. WARNING)")
    parser.add_argument(
        "--follow", "-f", action="store_true", help="keep printing new lines (Ctrl-C stops)"
    )
    parser.add_argument("--json", action="store_true", help="print the raw JSON lines")
    parser.add_argument(
        "--log-dir", type=Path, help="default: $TM_LOCAL_VAR_DIR/logs, else ./var/logs"
    )
    parser.set_defaults(run=run)


def _print(entry: LogEntry, as_json: bool) -> None:
    print(entry.raw if as_json else format_entry(entry), flush=True)


def run(args: argparse.Namespace) -> int:
    log_dir: Path = args.log_dir or local_var_dir(Path.cwd(), os.environ) / "logs"
    try:
        query = LogQuery(
            services=tuple(args.services),
            grep=args.grep,
            since=parse_since(args.since) if args.since else None,
            min_level=parse_level(args.level) if args.level else None,
        )
    except ValueError as error:
        print(f"tm logs: {error}", file=sys.stderr)
        return 2
    known = services_in(log_dir) if log_dir.is_dir() else []
    unknown = [name for name in query.services if name not in known]
    if unknown and not args.follow:
        print(
            f"tm logs: no log for {', '.join(unknown)} in {log_dir}; "
            f"services with logs: {', '.join(known) or 'none'}",
            file=sys.stderr,
        )
        return 2
    found = 0
    for entry in search(log_dir, query) if log_dir.is_dir() else ():
        _print(entry, args.json)
        found += 1
    if not args.follow:
        return 0 if found else 1
    try:
        for entry in follow(log_dir, query):
            _print(entry, args.json)
    except KeyboardInterrupt:
        pass
    return 0

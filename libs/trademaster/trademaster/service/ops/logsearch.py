"""Search and follow the services' JSON logs (``<log_dir>/<service>.jsonl`` and rotations).

Each service writes one file rotated by size (``trademaster.service.logs``); ``.jsonl.N`` are
older the larger N is. Entries of several services are merged in time order.
"""

from __future__ import annotations

import heapq
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from trademaster.service.logs import LOG_SUFFIX

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


@dataclass(frozen=True)
class LogEntry:
    """One line of a service log: parsed fields when it is JSON, else only the raw text."""

    service: str
    raw: str
    fields: dict[str, Any] = field(default_factory=dict)
    time: datetime | None = None


@dataclass(frozen=True)
class LogQuery:
    """What to show: services (all when empty), a text, a start time, a minimum level."""

    services: tuple[str, ...] = ()
    grep: str | None = None
    since: datetime | None = None
    min_level: str | None = None

    def matches(self, entry: LogEntry) -> bool:
        if self.since is not None and (entry.time is None or entry.time < self.since):
            return False
        if self.grep is not None and self.grep.lower() not in entry.raw.lower():
            return False
        if self.min_level is not None:
            level = _LEVELS.get(str(entry.fields.get("level", "")).upper(), 0)
            if level < _LEVELS[self.min_level]:
                return False
        return True


def parse_duration(text: str) -> timedelta | None:
    """``30s``, ``10m``, ``1.5h``, ``1d`` as a timedelta; None when ``text`` is not one."""
    match = _DURATION.match(text.strip())
    if not match:
        return None
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``30s``, ``10m``, ``2h``, ``1d`` before now, or an ISO 8601 time (UTC when no zone)."""
    duration = parse_duration(text)
    if duration is not None:
        return (now or datetime.now(UTC)) - duration
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--since must be a duration like 30s, 10m, 2h, 1d or an ISO time, was {text!r}"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_level(text: str) -> str:
    level = text.strip().upper()
    if level not in _LEVELS:
        raise ValueError(f"--level must be one of {', '.join(_LEVELS)}, was {text!r}")
    return level


def services_in(log_dir: Path) -> list[str]:
    """Services that have a JSON log (current or rotated) in ``log_dir``."""
    names = set()
    for path in log_dir.glob(f"*{LOG_SUFFIX}*"):
        stem, sep, rest = path.name.partition(LOG_SUFFIX)
        if sep and (rest == "" or (rest.startswith(".") and rest[1:].isdigit())):
            names.add(stem)
    return sorted(names)


def log_files(log_dir: Path, service: str) -> list[Path]:
    """A service's log files, oldest first (``.jsonl.N`` … ``.jsonl.1``, ``.jsonl``)."""
    current = log_dir / f"{service}{LOG_SUFFIX}"
    rotated = []
    for path in log_dir.glob(f"{service}{LOG_SUFFIX}.*"):
        suffix = path.name[len(current.name) + 1 :]
        if suffix.isdigit():
            rotated.append((int(suffix), path))
    files = [path for _, path in sorted(rotated, reverse=True)]
    if current.exists():
        files.append(current)
    return files


def parse_line(service: str, line: str) -> LogEntry:
    """A JSON log line as an entry; anything else is kept as raw text without a time."""
    text = line.rstrip("\n")
    try:
        fields = json.loads(text)
    except json.JSONDecodeError:
        return LogEntry(service, text)
    if not isinstance(fields, dict):
        return LogEntry(service, text)
    stamp = None
    raw_time = fields.get("time")
    if isinstance(raw_time, str):
        try:
            stamp = datetime.fromisoformat(raw_time)
        except ValueError:
            stamp = None
    return LogEntry(service, text, fields, stamp)


def _read_service(
    files: Iterable[Path], service: str, since: datetime | None
) -> Iterator[LogEntry]:
    """Entries of one service in file order; a line without a time gets the previous one's."""
    last: datetime | None = None
    for path in files:
        # A rotated file last written before `since` holds nothing newer: skip it unread.
        if since is not None and _mtime(path) < since:
            continue
        try:
            handle = path.open(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            continue  # rotated away between listing and opening
        with handle:
            for line in handle:
                entry = parse_line(service, line)
                if entry.time is None:
                    entry = replace(entry, time=last)
                last = entry.time
                yield entry


def _mtime(path: Path) -> datetime:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except FileNotFoundError:
        return datetime.max.replace(tzinfo=UTC)


def _sort_key(entry: LogEntry) -> datetime:
    return entry.time or datetime.min.replace(tzinfo=UTC)


def search(log_dir: Path, query: LogQuery) -> Iterator[LogEntry]:
    """Matching entries of the chosen services, merged in time order."""
    services = query.services or tuple(services_in(log_dir))
    streams = [_read_service(log_files(log_dir, name), name, query.since) for name in services]
    for entry in heapq.merge(*streams, key=_sort_key):
        if query.matches(entry):
            yield entry


class _Tail:
    """New complete lines of one service's current log file, across rotations."""

    def __init__(self, path: Path, service: str, *, from_end: bool) -> None:
        self.path = path
        self.service = service
        self._handle: IO[str] | None = None
        self._inode: int | None = None
        self._partial = ""
        self._open(from_end=from_end)

    def _open(self, *, from_end: bool) -> None:
        try:
            handle = self.path.open(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return
        self._handle = handle
        self._inode = os.fstat(handle.fileno()).st_ino
        if from_end:
            handle.seek(0, os.SEEK_END)

    def read(self) -> list[LogEntry]:
        entries = self._drain()
        try:
            inode = self.path.stat().st_ino
        except FileNotFoundError:
            inode = None
        if inode is not None and inode != self._inode:
            # Rotated: the old file (still open) was finished above; the new one starts at 0.
            if self._handle is not None:
                self._handle.close()
            self._handle = None
            self._partial = ""
            self._open(from_end=False)
            entries += self._drain()
        return entries

    def _drain(self) -> list[LogEntry]:
        if self._handle is None:
            return []
        text = self._partial + self._handle.read()
        lines = text.split("\n")
        self._partial = lines.pop()
        return [parse_line(self.service, line) for line in lines if line]

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


def follow(
    log_dir: Path,
    query: LogQuery,
    *,
    poll_s: float = 0.25,
    keep_going: Callable[[], bool] = lambda: True,
) -> Iterator[LogEntry]:
    """Matching entries written from now on (like ``tail -F``), until ``keep_going`` is false.

    Without a service filter, services whose log appears later are followed too.
    """
    tails: dict[str, _Tail] = {}

    def add_new(from_end: bool) -> None:
        for name in query.services or tuple(services_in(log_dir)):
            if name not in tails:
                tails[name] = _Tail(log_dir / f"{name}{LOG_SUFFIX}", name, from_end=from_end)

    add_new(from_end=True)
    try:
        while keep_going():
            add_new(from_end=False)
            batch = [entry for tail in tails.values() for entry in tail.read()]
            for entry in sorted(batch, key=_sort_key):
                if query.matches(entry):
                    yield entry
            time.sleep(poll_s)
    finally:
        for tail in tails.values():
            tail.close()


def format_entry(entry: LogEntry) -> str:
    """One readable line: time, service, level, logger, message, then the ids when set."""
    if not entry.fields:
        return f"{entry.service}: {entry.raw}"
    fields = entry.fields
    parts = [
        str(fields.get("time", "-")),
        entry.service,
        f"{fields.get('level', '-'):<7}",
        str(fields.get("logger", "-")),
        str(fields.get("message", "")),
    ]
    for key in ("trace_id", "request_id"):
        if fields.get(key):
            parts.append(f"{key}={fields[key]}")
    line = " ".join(parts)
    if fields.get("exc_info"):
        line += "\n" + str(fields["exc_info"])
    return line

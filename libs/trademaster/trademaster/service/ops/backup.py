"""Backups of the platform's state: every database and file store, with a checksum manifest.

Layout of a backup directory::

    manifest.json          what is in it: databases (dump file, sha256, per-table fingerprints)
                           and stores (every file's sha256 and size)
    manifest.json.sha256   the manifest's own checksum
    db/<database>.dump     pg_dump custom format, one consistent snapshot per database
    stores/<store>/...     copies of the file stores (artifacts, datasets)

Databases are dumped before the stores are copied: services write a file before the row that
names it, so every file a backed-up row refers to is in the backup.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trademaster.service.ops import pgdump, stores
from trademaster.service.ops.pgdump import BackupError

_LOGGER = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = 1


@dataclass(frozen=True)
class BackupPlan:
    """What to back up or restore into: databases by name, file stores by name."""

    databases: Mapping[str, str]
    """Database name → DSN (the local stack: ``{"trademaster": ...}``)."""
    stores: Mapping[str, Path]
    """Store name → directory (the local stack: ``artifacts``, ``datasets``)."""


@dataclass(frozen=True)
class RestoreReport:
    tables: int
    rows: int
    files: int


def _entries(raw: Mapping[str, Any]) -> dict[str, stores.FileEntry]:
    return {name: stores.FileEntry(v["sha256"], int(v["bytes"])) for name, v in raw.items()}


def _write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    tmp = out_dir / f".{MANIFEST}.tmp"
    tmp.write_text(text)
    tmp.replace(out_dir / MANIFEST)
    checksum = stores.sha256_of(out_dir / MANIFEST)
    (out_dir / f"{MANIFEST}.sha256").write_text(f"{checksum}  {MANIFEST}\n")


def create_backup(plan: BackupPlan, out_dir: Path) -> dict[str, Any]:
    """Write a backup of ``plan`` into ``out_dir`` (new or empty); returns the manifest."""
    if out_dir.exists() and any(out_dir.iterdir()):
        raise BackupError(f"backup directory {out_dir} is not empty")
    (out_dir / "db").mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "databases": {},
        "stores": {},
    }
    for name, dsn in plan.databases.items():
        dump = out_dir / "db" / f"{name}.dump"
        tables = pgdump.dump_database(dsn, dump)
        manifest["databases"][name] = {
            "file": dump.relative_to(out_dir).as_posix(),
            "sha256": stores.sha256_of(dump),
            "bytes": dump.stat().st_size,
            "source": pgdump.redact(dsn),
            "tables": {t: {"rows": f.rows, "digest": f.digest} for t, f in tables.items()},
        }
    for name, directory in plan.stores.items():
        files = stores.copy_tree(directory, out_dir / "stores" / name)
        manifest["stores"][name] = {
            "source": str(directory),
            "files": {rel: {"sha256": e.sha256, "bytes": e.bytes} for rel, e in files.items()},
        }
    _write_manifest(out_dir, manifest)
    _LOGGER.info("backup.created dir=%s", out_dir)
    return manifest


def read_manifest(backup_dir: Path) -> dict[str, Any]:
    """The manifest, after checking it against its own checksum."""
    path = backup_dir / MANIFEST
    if not path.is_file():
        raise BackupError(f"{backup_dir} is not a backup: {MANIFEST} missing")
    checksum_file = backup_dir / f"{MANIFEST}.sha256"
    if checksum_file.is_file():
        expected = checksum_file.read_text().split()[0]
        if stores.sha256_of(path) != expected:
            raise BackupError(f"{path} does not match {checksum_file.name}: it was changed")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: format must be {FORMAT}, was {manifest.get('format')!r}")
    return manifest


def check_backup(backup_dir: Path) -> list[str]:
    """Problems with the backup's files (missing, changed, extra); empty when it is intact."""
    manifest = read_manifest(backup_dir)
    problems = []
    for name, entry in manifest["databases"].items():
        dump = backup_dir / entry["file"]
        if not dump.is_file():
            problems.append(f"database {name}: {entry['file']} missing")
        elif stores.sha256_of(dump) != entry["sha256"]:
            problems.append(f"database {name}: {entry['file']} changed")
    for name, entry in manifest["stores"].items():
        found = stores.tree_entries(backup_dir / "stores" / name)
        problems += [
            f"store {name}: {line}" for line in stores.differences(_entries(entry["files"]), found)
        ]
    return problems


def _targets(manifest: Mapping[str, Any], plan: BackupPlan) -> None:
    missing = [n for n in manifest["databases"] if n not in plan.databases]
    missing += [n for n in manifest["stores"] if n not in plan.stores]
    if missing:
        raise BackupError(f"no restore target for {', '.join(missing)} in this installation")


def restore_backup(backup_dir: Path, plan: BackupPlan, *, force: bool = False) -> RestoreReport:
    """Replace the databases and stores of ``plan`` with the backup, then prove they match it.

    Refuses while other clients use a database (a running stack) unless ``force``.
    """
    manifest = read_manifest(backup_dir)
    problems = check_backup(backup_dir)
    if problems:
        raise BackupError(f"backup {backup_dir} is damaged: {'; '.join(problems[:10])}")
    _targets(manifest, plan)
    if not force:
        for name in manifest["databases"]:
            dsn = plan.databases[name]
            busy = pgdump.other_sessions(dsn) if pgdump.database_exists(dsn) else []
            if busy:
                raise BackupError(
                    f"database {name} has {len(busy)} other sessions ({', '.join(busy[:5])}): "
                    "stop the stack (Ctrl-C in ./tm up) or pass --force"
                )
    mismatches: list[str] = []
    tables = rows = files = 0
    for name, entry in manifest["databases"].items():
        restored = pgdump.restore_database(
            backup_dir / entry["file"], plan.databases[name], force=force
        )
        want = {
            t: pgdump.TableFingerprint(v["rows"], v["digest"]) for t, v in entry["tables"].items()
        }
        mismatches += [f"{name}: {line}" for line in _table_differences(want, restored)]
        tables += len(want)
        rows += sum(f.rows for f in want.values())
    for name, entry in manifest["stores"].items():
        target = plan.stores[name]
        stores.replace_tree(backup_dir / "stores" / name, target)
        want_files = _entries(entry["files"])
        mismatches += [
            f"store {name}: {line}"
            for line in stores.differences(want_files, stores.tree_entries(target))
        ]
        files += len(want_files)
    if mismatches:
        raise BackupError(f"restore does not match the backup: {'; '.join(mismatches[:10])}")
    _LOGGER.info("restore.verified dir=%s tables=%d files=%d", backup_dir, tables, files)
    return RestoreReport(tables=tables, rows=rows, files=files)


def _table_differences(
    want: Mapping[str, pgdump.TableFingerprint], got: Mapping[str, pgdump.TableFingerprint]
) -> list[str]:
    lines = [f"table {t} missing" for t in sorted(want.keys() - got.keys())]
    lines += [f"table {t} not in the backup" for t in sorted(got.keys() - want.keys())]
    lines += [
        f"table {t}: {got[t].rows} rows / digest {got[t].digest[:8]}, "
        f"backup had {want[t].rows} / {want[t].digest[:8]}"
        for t in sorted(want.keys() & got.keys())
        if want[t] != got[t]
    ]
    return lines


def default_backup_dir(root: Path, label: str = "") -> Path:
    """``<root>/<UTC time>[-label]``: names sort by age, so ``latest`` is the last."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return root / (f"{stamp}-{label}" if label else stamp)


def latest_backup(root: Path) -> Path:
    """The newest complete backup under ``root`` (one with a manifest)."""
    found = sorted(p for p in root.glob("*") if (p / MANIFEST).is_file()) if root.is_dir() else []
    if not found:
        raise BackupError(f"no backups under {root}")
    return found[-1]


def disk_usage(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not os.path.islink(f))

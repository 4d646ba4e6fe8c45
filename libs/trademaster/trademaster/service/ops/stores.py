"""File side of backups: copy a directory tree with a SHA-256 per file, and check it back."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

_LOGGER = logging.getLogger(__name__)
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FileEntry:
    sha256: str
    bytes: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _files(root: Path) -> list[Path]:
    """Regular files under ``root`` (links are not followed: they may point anywhere)."""
    if not root.is_dir():
        return []
    found = []
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            if path.is_symlink():
                _LOGGER.warning("backup.skipped_link path=%s", path)
            elif path.is_file():
                found.append(path)
    return sorted(found)


def copy_tree(source: Path, target: Path) -> dict[str, FileEntry]:
    """Copy every regular file under ``source`` into ``target``, hashing the bytes copied."""
    entries = {}
    for path in _files(source):
        relative = path.relative_to(source).as_posix()
        out = target / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with path.open("rb") as reader, out.open("wb") as writer:
            while chunk := reader.read(_CHUNK):
                digest.update(chunk)
                writer.write(chunk)
                size += len(chunk)
        shutil.copystat(path, out)
        entries[relative] = FileEntry(digest.hexdigest(), size)
    return entries


def tree_entries(root: Path) -> dict[str, FileEntry]:
    """Checksums of every regular file under ``root`` (what a restore is compared with)."""
    return {
        path.relative_to(root).as_posix(): FileEntry(sha256_of(path), path.stat().st_size)
        for path in _files(root)
    }


def differences(expected: dict[str, FileEntry], actual: dict[str, FileEntry]) -> list[str]:
    """Human lines for missing, extra and changed files (empty when identical)."""
    problems = [f"missing {name}" for name in sorted(expected.keys() - actual.keys())]
    problems += [f"unexpected {name}" for name in sorted(actual.keys() - expected.keys())]
    problems += [
        f"changed {name}"
        for name in sorted(expected.keys() & actual.keys())
        if expected[name] != actual[name]
    ]
    return problems


def replace_tree(source: Path, target: Path) -> None:
    """Make ``target`` an exact copy of ``source``: copy beside it, then swap the two."""
    staging = target.with_name(f".{target.name}.restoring")
    old = target.with_name(f".{target.name}.replaced")
    for leftover in (staging, old):
        if leftover.exists():
            shutil.rmtree(leftover)
    staging.mkdir(parents=True)
    copy_tree(source, staging)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    if old.exists():
        shutil.rmtree(old)

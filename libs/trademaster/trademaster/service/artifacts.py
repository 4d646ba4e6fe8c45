"""The artifact store: checkpoints, models and reports addressed by URI under one root.

The root is a local directory by default (``/var/artifacts`` or ``file:///var/artifacts``); any
fsspec URL (``s3://bucket/prefix``, ``gs://...``, ``memory://...``) works behind the same
interface, so services exchange URIs instead of sharing a volume. Every read checks that the URI
lies under the root, so a caller-supplied URI can never reach other files.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlparse

import fsspec

__all__ = ["CHUNK_BYTES", "ArtifactNotFound", "ArtifactStore", "OutsideStore"]

CHUNK_BYTES = 256 * 1024


class OutsideStore(ValueError):
    """A URI that does not lie under the store's root."""


class ArtifactNotFound(FileNotFoundError):
    """No artifact at the URI."""


def _root_url(root: str | Path) -> str:
    text = str(root)
    if "://" not in text:
        return Path(text).absolute().as_uri()
    return text.rstrip("/")


class ArtifactStore:
    """Reads and writes artifacts under ``root`` (see module doc)."""

    def __init__(self, root: str | Path) -> None:
        self.root = _root_url(root)
        self._fs, base = fsspec.core.url_to_fs(self.root)
        self._base = posixpath.normpath(base)

    def _path(self, uri: str) -> str:
        """The filesystem path of ``uri``; raises :class:`OutsideStore` unless under the root."""
        scheme = urlparse(self.root).scheme
        if urlparse(uri).scheme != scheme:
            raise OutsideStore(f"{uri!r} is not a {scheme}:// URI of the artifact store")
        _, raw = fsspec.core.url_to_fs(uri)
        path = posixpath.normpath(unquote(raw) if scheme == "file" else raw)
        if path != self._base and not path.startswith(self._base.rstrip("/") + "/"):
            raise OutsideStore(f"{uri!r} is outside the artifact store {self.root}")
        return path

    def contains(self, uri: str) -> bool:
        try:
            self._path(uri)
        except OutsideStore:
            return False
        return True

    def uri(self, key: str) -> str:
        """The URI of ``key`` (a relative ``a/b/c`` path) under the root."""
        clean = posixpath.normpath(key.strip("/"))
        if clean.startswith("..") or clean in ("", "."):
            raise OutsideStore(
                f"artifact key must be a relative path inside the store, was {key!r}"
            )
        return f"{self.root}/{clean}"

    def exists(self, uri: str) -> bool:
        return bool(self._fs.isfile(self._path(uri)))

    def size(self, uri: str) -> int:
        path = self._path(uri)
        if not self._fs.isfile(path):
            raise ArtifactNotFound(f"no artifact at {uri}")
        return int(self._fs.size(path))

    def put_bytes(self, key: str, data: bytes) -> str:
        """Write ``data`` at ``key``; returns its URI."""
        uri = self.uri(key)
        path = self._path(uri)
        self._fs.makedirs(posixpath.dirname(path), exist_ok=True)
        with self._fs.open(path, "wb") as out:
            out.write(data)
        return uri

    def open(self, uri: str) -> IO[bytes]:
        """An open binary reader of the artifact at ``uri``."""
        path = self._path(uri)
        if not self._fs.isfile(path):
            raise ArtifactNotFound(f"no artifact at {uri}")
        return self._fs.open(path, "rb")  # type: ignore[no-any-return]

    def read_bytes(self, uri: str) -> bytes:
        with self.open(uri) as source:
            return source.read()

    def chunks(self, uri: str, size: int = CHUNK_BYTES) -> Iterator[bytes]:
        """The artifact in pieces of at most ``size`` bytes (for streaming RPCs)."""
        with self.open(uri) as source:
            while block := source.read(size):
                yield block

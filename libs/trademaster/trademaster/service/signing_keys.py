"""JWT signing keys with key ids (``kid``): several valid at once, one of them signing.

Rotation adds a key and makes it the signer while older keys keep verifying the tokens they
signed until those expire; removing a key refuses its tokens at once. A file-backed
``KeyRing`` re-reads its JSON file whenever it changes (checked on every use: one ``stat``), so
every service follows a rotation without a restart. The file is written atomically (mode 600)
by ``./tm keys`` (``trademaster.service.ops.keys_command``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

_LOGGER = logging.getLogger(__name__)

_KID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
MIN_SECRET_CHARS = 16


class KeyFileError(ValueError):
    """A key file or key set is invalid; the message names what and where."""


@dataclass(frozen=True)
class SigningKey:
    """One HMAC key: its id, secret, when it was made and when it stopped signing."""

    kid: str
    secret: str = field(repr=False)
    created_at: datetime
    retired_at: datetime | None = None

    def __post_init__(self) -> None:
        if not _KID.match(self.kid):
            raise KeyFileError(f"kid must match {_KID.pattern}, was {self.kid!r}")
        if len(self.secret) < MIN_SECRET_CHARS:
            raise KeyFileError(
                f"key {self.kid}: secret must have >= {MIN_SECRET_CHARS} characters, "
                f"had {len(self.secret)}"
            )


def kid_for_secret(secret: str) -> str:
    """A stable id for a key given as a bare secret (``TM_<NAME>_JWT_SECRET``): services
    configured with the secret and a key file made from it agree on the kid."""
    return "s-" + hashlib.sha256(secret.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class KeySet:
    """The valid keys; ``active`` names the one that signs new tokens."""

    active: str
    keys: tuple[SigningKey, ...]

    def __post_init__(self) -> None:
        kids = [key.kid for key in self.keys]
        if len(set(kids)) != len(kids):
            raise KeyFileError(f"key ids must be unique, were {kids}")
        if self.active not in kids:
            raise KeyFileError(f"active key {self.active!r} is not among the keys {kids}")

    @classmethod
    def single(cls, secret: str, created_at: datetime | None = None) -> KeySet:
        key = SigningKey(kid_for_secret(secret), secret, created_at or datetime.now(UTC))
        return cls(key.kid, (key,))

    def signing_key(self) -> SigningKey:
        return next(key for key in self.keys if key.kid == self.active)

    def find(self, kid: str) -> SigningKey | None:
        return next((key for key in self.keys if key.kid == kid), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "keys": [
                {
                    "kid": key.kid,
                    "secret": key.secret,
                    "created_at": key.created_at.isoformat(timespec="seconds"),
                    "retired_at": key.retired_at.isoformat(timespec="seconds")
                    if key.retired_at
                    else None,
                }
                for key in self.keys
            ],
        }

    @classmethod
    def from_json(cls, data: Any) -> KeySet:
        try:
            keys = tuple(
                SigningKey(
                    kid=str(item["kid"]),
                    secret=str(item["secret"]),
                    created_at=datetime.fromisoformat(item["created_at"]),
                    retired_at=datetime.fromisoformat(item["retired_at"])
                    if item.get("retired_at")
                    else None,
                )
                for item in data["keys"]
            )
            return cls(str(data["active"]), keys)
        except KeyFileError:
            raise
        except (KeyError, TypeError, ValueError) as error:
            expected = "{active, keys: [{kid, secret, created_at}]}"
            raise KeyFileError(f"expected {expected}: {error!r}") from error


def rotate(keys: KeySet, now: datetime | None = None, secret: str | None = None) -> KeySet:
    """A new signing key; the previous one stays valid for verification (retired now)."""
    now = now or datetime.now(UTC)
    kid = f"k{now.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(2)}"
    new = SigningKey(kid, secret or secrets.token_urlsafe(48), now)
    kept = tuple(
        replace(key, retired_at=now) if key.kid == keys.active else key for key in keys.keys
    )
    return KeySet(kid, (*kept, new))


def remove(keys: KeySet, kid: str) -> KeySet:
    """Drop a key: tokens it signed are refused from then on. The active key cannot go."""
    if keys.find(kid) is None:
        raise KeyFileError(f"no key {kid!r}; keys are {[key.kid for key in keys.keys]}")
    if kid == keys.active:
        raise KeyFileError(f"key {kid!r} signs new tokens: rotate first, then remove it")
    return KeySet(keys.active, tuple(key for key in keys.keys if key.kid != kid))


def prunable(keys: KeySet, older_than: timedelta, now: datetime | None = None) -> list[str]:
    """Kids of keys retired longer ago than ``older_than`` (their tokens have all expired when
    it is at least the longest token lifetime)."""
    cutoff = (now or datetime.now(UTC)) - older_than
    return [key.kid for key in keys.keys if key.retired_at is not None and key.retired_at < cutoff]


def read_key_file(path: Path) -> KeySet:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise KeyFileError(f"cannot read JWT key file {path}: {error}") from error
    try:
        return KeySet.from_json(data)
    except KeyFileError as error:
        raise KeyFileError(f"{path}: {error}") from error


def write_key_file(path: Path, keys: KeySet) -> None:
    """Replace the file atomically (readers see the old or the new set), owner-only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(keys.to_json(), handle, indent=2)
        handle.write("\n")
    tmp.replace(path)


def ensure_key_file(path: Path, initial_secret: str) -> KeySet:
    """The key file's set; created from ``initial_secret`` when missing, so tokens signed with
    that secret before the file existed stay valid."""
    if path.exists():
        return read_key_file(path)
    keys = KeySet.single(initial_secret)
    write_key_file(path, keys)
    return keys


class KeyRing:
    """The current key set: fixed, or a key file re-read whenever it changes.

    A file that becomes unreadable or invalid keeps the last good set (logged as an error),
    so a botched edit does not log everyone out.
    """

    def __init__(self, keys: KeySet, path: Path | None = None) -> None:
        self._keys = keys
        self._path = path
        self._stamp = self._file_stamp() if path is not None else None

    @classmethod
    def from_secret(cls, secret: str) -> KeyRing:
        return cls(KeySet.single(secret))

    @classmethod
    def from_file(cls, path: Path) -> KeyRing:
        return cls(read_key_file(path), path)

    def _file_stamp(self) -> tuple[int, int, int] | None:
        assert self._path is not None
        try:
            info = self._path.stat()
        except FileNotFoundError:
            return None
        return (info.st_ino, info.st_mtime_ns, info.st_size)

    def current(self) -> KeySet:
        if self._path is None:
            return self._keys
        stamp = self._file_stamp()
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self._keys = read_key_file(self._path)
                _LOGGER.info(
                    "auth.keys_reloaded keys.active=%s keys.count=%d",
                    self._keys.active,
                    len(self._keys.keys),
                )
            except KeyFileError as error:
                _LOGGER.error(
                    "auth.keys_reload_failed error=%s (keeping the last good keys)", error
                )
        return self._keys


def as_key_ring(keys: str | KeyRing) -> KeyRing:
    """A ring from either form callers hold: a bare secret (tests, old config) or a ring."""
    return keys if isinstance(keys, KeyRing) else KeyRing.from_secret(keys)

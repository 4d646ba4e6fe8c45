"""Password hashing with argon2id; verification costs the same for unknown users."""

from __future__ import annotations

import logging

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_LOGGER = logging.getLogger(__name__)

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the user does not exist, so timing does not reveal which usernames exist.
_DUMMY_HASH = _HASHER.hash("tm-dummy-password-for-constant-time-login")

MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted, self-describing)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(
            f"password must be at least {MIN_PASSWORD_LENGTH} characters, was {len(password)}"
        )
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; with ``password_hash=None`` spends the same time and
    returns False."""
    try:
        ok = _HASHER.verify(password_hash or _DUMMY_HASH, password)
    except VerifyMismatchError:
        return False
    except (VerificationError, InvalidHashError):
        _LOGGER.warning("stored password hash could not be verified")
        return False
    return ok and password_hash is not None

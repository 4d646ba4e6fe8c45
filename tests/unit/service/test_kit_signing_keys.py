"""JWT signing keys with kids: rotation with overlap, removal refused at once, file reloads."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from trademaster.service import auth, errors
from trademaster.service.signing_keys import (
    KeyFileError,
    KeyRing,
    KeySet,
    ensure_key_file,
    kid_for_secret,
    prunable,
    read_key_file,
    remove,
    rotate,
    write_key_file,
)

pytestmark = pytest.mark.unit

SECRET = "unit-test-secret-0123456789abcdefghij"
ISSUER = "trademaster"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "jwt-keys.json"
    ensure_key_file(path, SECRET)
    return path


def _rotate_file(path: Path) -> KeySet:
    keys = rotate(read_key_file(path))
    write_key_file(path, keys)
    return keys


def test_tokens_name_their_key_and_a_bare_secret_matches_the_file_made_from_it(
    key_file: Path,
) -> None:
    token, _ = auth.issue_token(SECRET, "alice", [auth.Role.VIEWER])

    assert jwt.get_unverified_header(token)["kid"] == kid_for_secret(SECRET)
    ring = KeyRing.from_file(key_file)
    assert auth.verify_token(ring, token, ISSUER).subject == "alice"


def test_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key(
    key_file: Path,
) -> None:
    ring = KeyRing.from_file(key_file)  # what a running service holds
    old, _ = auth.issue_token(ring, "alice", [auth.Role.VIEWER])

    rotated = _rotate_file(key_file)
    new, _ = auth.issue_token(ring, "bob", [auth.Role.VIEWER])

    assert jwt.get_unverified_header(new)["kid"] == rotated.active != kid_for_secret(SECRET)
    assert auth.verify_token(ring, old, ISSUER).subject == "alice"
    assert auth.verify_token(ring, new, ISSUER).subject == "bob"
    previous = rotated.find(kid_for_secret(SECRET))
    assert previous is not None and previous.retired_at is not None


def test_a_removed_key_is_refused_on_the_next_verification(key_file: Path) -> None:
    ring = KeyRing.from_file(key_file)
    old, _ = auth.issue_token(ring, "alice", [auth.Role.VIEWER])
    rotated = _rotate_file(key_file)
    new, _ = auth.issue_token(ring, "bob", [auth.Role.VIEWER])

    write_key_file(key_file, remove(rotated, kid_for_secret(SECRET)))

    with pytest.raises(errors.Unauthenticated, match="unknown or removed key") as refused:
        auth.verify_token(ring, old, ISSUER)
    assert refused.value.reason == "TOKEN_INVALID"
    assert auth.verify_token(ring, new, ISSUER).subject == "bob"


def test_an_old_key_token_still_expires(key_file: Path) -> None:
    ring = KeyRing.from_file(key_file)
    short, _ = auth.issue_token(ring, "alice", [auth.Role.VIEWER], ttl_s=1)
    _rotate_file(key_file)
    time.sleep(1.1)

    with pytest.raises(errors.Unauthenticated) as expired:
        auth.verify_token(ring, short, ISSUER)
    assert expired.value.reason == "TOKEN_EXPIRED"


def test_a_token_without_kid_is_checked_against_every_valid_key(key_file: Path) -> None:
    claims = {"sub": "legacy", "iat": time.time(), "exp": time.time() + 60, "iss": ISSUER}
    legacy = jwt.encode(claims, SECRET, algorithm="HS256")  # issued before kids existed
    forged = jwt.encode(claims, "not-a-key-0123456789abcdef-0123456789", algorithm="HS256")
    ring = KeyRing.from_file(key_file)
    _rotate_file(key_file)

    assert auth.verify_token(ring, legacy, ISSUER).subject == "legacy"
    with pytest.raises(errors.Unauthenticated) as refused:
        auth.verify_token(ring, forged, ISSUER)
    assert refused.value.reason == "TOKEN_INVALID"


def test_the_active_key_cannot_be_removed_and_unknown_kids_are_named(key_file: Path) -> None:
    keys = read_key_file(key_file)
    with pytest.raises(KeyFileError, match="signs new tokens: rotate first"):
        remove(keys, keys.active)
    with pytest.raises(KeyFileError, match="no key 'nope'"):
        remove(keys, "nope")


def test_prune_selects_keys_retired_longer_than_the_overlap() -> None:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    keys = rotate(
        rotate(KeySet.single(SECRET, start), start + timedelta(days=1)), start + timedelta(days=40)
    )
    first, second, third = (key.kid for key in keys.keys)

    gone = prunable(keys, timedelta(days=30), now=start + timedelta(days=41))

    assert gone == [first]
    assert keys.active == third and second not in gone


def test_a_broken_file_keeps_the_last_good_keys(key_file: Path) -> None:
    ring = KeyRing.from_file(key_file)
    token, _ = auth.issue_token(ring, "alice", [auth.Role.VIEWER])

    key_file.write_text("{not json")

    assert auth.verify_token(ring, token, ISSUER).subject == "alice"
    with pytest.raises(KeyFileError, match="cannot read JWT key file"):
        KeyRing.from_file(key_file)


def test_key_file_is_private_and_never_holds_duplicates(tmp_path: Path, key_file: Path) -> None:
    assert key_file.stat().st_mode & 0o777 == 0o600
    data = json.loads(key_file.read_text())
    data["keys"].append(dict(data["keys"][0]))
    (tmp_path / "dup.json").write_text(json.dumps(data))
    with pytest.raises(KeyFileError, match="key ids must be unique"):
        read_key_file(tmp_path / "dup.json")

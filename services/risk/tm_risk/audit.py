"""The audit hash chain: canonical entry text, hashing, and verification.

``entry_hash = sha256(prev_hash || body)`` where ``body`` is the canonical JSON text (sorted
keys, no spaces) stored verbatim, so a changed byte, a removed entry or a reordering is
detected. The first entry links to ``GENESIS`` (64 zeros).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(body: dict[str, Any]) -> str:
    """The one text form of an entry body that is hashed and stored."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, body_text: str) -> str:
    return hashlib.sha256((prev_hash + body_text).encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """Outcome of a verification; ``first_bad`` is 0 when the chain is intact."""

    valid: bool
    checked: int
    first_bad: int = 0
    problem: str = ""
    last_hash: str = ""


def verify(
    rows: Iterable[tuple[int, str, str, str]], expected_prev: str, first_seq: int
) -> ChainReport:
    """Check ``(seq, body, prev_hash, entry_hash)`` rows in sequence order.

    ``expected_prev`` is the entry_hash before ``first_seq`` (GENESIS for sequence 1).
    """
    prev, want, checked = expected_prev, first_seq, 0
    for seq, body, prev_hash, stored in rows:
        if seq != want:
            return ChainReport(False, checked, want, f"gap: sequence {want} missing", prev)
        if prev_hash != prev:
            return ChainReport(False, checked, seq, "prev_hash does not link to entry before", prev)
        if entry_hash(prev_hash, body) != stored:
            return ChainReport(False, checked, seq, "entry_hash mismatch: body changed", prev)
        try:
            if json.loads(body).get("seq") != seq:
                return ChainReport(False, checked, seq, "body names another sequence", prev)
        except json.JSONDecodeError:
            return ChainReport(False, checked, seq, "body is not JSON", prev)
        prev, want, checked = stored, want + 1, checked + 1
    return ChainReport(True, checked, 0, "", prev)

"""Hash chain verification: intact, changed body, gap, broken link."""

from __future__ import annotations

import pytest
from tm_risk.audit import GENESIS, canonical, entry_hash, verify

pytestmark = pytest.mark.unit


def _chain(n: int) -> list[tuple[int, str, str, str]]:
    rows, prev = [], GENESIS
    for seq in range(1, n + 1):
        body = canonical({"seq": seq, "kind": "decision", "qty": str(seq)})
        digest = entry_hash(prev, body)
        rows.append((seq, body, prev, digest))
        prev = digest
    return rows


def test_intact_chain_verifies() -> None:
    report = verify(_chain(5), GENESIS, 1)
    assert report.valid and report.checked == 5 and report.last_hash == _chain(5)[-1][3]


def test_changed_body_is_detected_at_its_sequence() -> None:
    rows = _chain(5)
    seq, body, prev, digest = rows[2]
    rows[2] = (seq, body.replace('"3"', '"4"'), prev, digest)
    report = verify(rows, GENESIS, 1)
    assert (report.valid, report.first_bad, report.checked) == (False, 3, 2)
    assert "entry_hash mismatch" in report.problem


def test_gap_and_relinked_chain_are_detected() -> None:
    rows = _chain(5)
    del rows[1]
    assert verify(rows, GENESIS, 1).problem == "gap: sequence 2 missing"
    rows = _chain(5)
    seq, body, _prev, _digest = rows[3]
    rows[3] = (seq, body, GENESIS, entry_hash(GENESIS, body))  # re-hashed but not linked
    assert verify(rows, GENESIS, 1).first_bad == 4


def test_canonical_text_is_key_order_independent() -> None:
    assert (
        canonical({"b": 1, "a": [1, 2]})
        == canonical({"a": [1, 2], "b": 1})
        == ('{"a":[1,2],"b":1}')
    )

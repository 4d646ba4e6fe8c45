"""The artifact store: one interface for a local dir and a bucket-style (fsspec) backend, and no
read outside the root."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from trademaster.service.artifacts import ArtifactNotFound, ArtifactStore, OutsideStore

pytestmark = pytest.mark.unit


def _stores(tmp_path: Path) -> list[ArtifactStore]:
    return [ArtifactStore(tmp_path / "store"), ArtifactStore(f"memory://art-{uuid.uuid4().hex}")]


def test_put_then_read_by_uri_on_every_backend(tmp_path: Path) -> None:
    for store in _stores(tmp_path):
        uri = store.put_bytes("jobs/j1/model.pt", b"x" * 600_000)
        assert uri == f"{store.root}/jobs/j1/model.pt"
        assert store.exists(uri) and store.size(uri) == 600_000
        assert store.read_bytes(uri) == b"x" * 600_000
        chunks = list(store.chunks(uri, size=256 * 1024))
        assert [len(c) for c in chunks] == [262_144, 262_144, 75_712]


def test_local_root_accepts_paths_and_file_uris(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    (tmp_path / "r.html").write_text("<html>")
    assert store.root == tmp_path.absolute().as_uri()
    assert store.read_bytes((tmp_path / "r.html").as_uri()) == b"<html>"


def test_uris_outside_the_root_are_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("no")
    store = ArtifactStore(tmp_path / "store")
    for uri in (
        (tmp_path / "secret.txt").as_uri(),
        f"{store.root}/../secret.txt",
        "memory://store/x",
        "/etc/passwd",
    ):
        assert not store.contains(uri)
        with pytest.raises(OutsideStore):
            store.open(uri)
    with pytest.raises(OutsideStore):
        store.uri("../x")
    with pytest.raises(ArtifactNotFound):
        store.open(store.uri("missing.bin"))

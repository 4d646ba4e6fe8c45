"""Every service's migration folder loads: versions are unique and ordered (branches merged
side by side once both added a 0002, which only failed when a service started)."""

from __future__ import annotations

from pathlib import Path

import pytest
from trademaster.service.db import load_migrations

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
FOLDERS = sorted(ROOT.glob("services/*/tm_*/migrations"))


def test_there_are_migration_folders() -> None:
    assert len(FOLDERS) >= 4


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.parent.name)
def test_each_service_s_migrations_load(folder: Path) -> None:
    migrations = load_migrations(folder)

    assert migrations, folder

"""Backup and restore of a real PostgreSQL database and file stores, and `./tm backup/restore`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from trademaster.service.localstack import PostgresServer, free_port
from trademaster.service.ops.backup import (
    BackupPlan,
    check_backup,
    create_backup,
    restore_backup,
)
from trademaster.service.ops.pgdump import BackupError

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


def _seed(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA orders")
        conn.execute(
            "CREATE TABLE orders.fills (id bigserial PRIMARY KEY, price numeric, "
            "at timestamptz DEFAULT now(), doc jsonb)"
        )
        for price in ("10.5", "11.25", "9.75"):
            conn.execute(
                "INSERT INTO orders.fills (price, doc) VALUES (%s, %s)",
                (price, json.dumps({"p": price})),
            )


def _rows(dsn: str) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT id, price, at, doc FROM orders.fills ORDER BY id").fetchall()
        sequence = conn.execute("SELECT last_value FROM orders.fills_id_seq").fetchone()
    return [*rows, ("sequence", sequence)]


@pytest.fixture
def plan(fresh_database: str, tmp_path: Path) -> BackupPlan:
    _seed(fresh_database)
    artifacts = tmp_path / "artifacts"
    (artifacts / "trainer" / "job-1").mkdir(parents=True)
    (artifacts / "trainer" / "job-1" / "model.pt").write_bytes(os.urandom(4096))
    (artifacts / "report.html").write_text("<h1>report</h1>")
    name = psycopg.conninfo.conninfo_to_dict(fresh_database)["dbname"]
    return BackupPlan(databases={str(name): fresh_database}, stores={"artifacts": artifacts})


def test_restore_brings_back_every_row_and_file(plan: BackupPlan, tmp_path: Path) -> None:
    (dsn,) = plan.databases.values()
    before_rows = _rows(dsn)
    artifacts = plan.stores["artifacts"]
    model = (artifacts / "trainer" / "job-1" / "model.pt").read_bytes()

    manifest = create_backup(plan, tmp_path / "backup")
    (db,) = manifest["databases"].values()
    assert db["tables"]["orders.fills"]["rows"] == 3
    assert set(manifest["stores"]["artifacts"]["files"]) == {
        "report.html",
        "trainer/job-1/model.pt",
    }

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE orders.fills SET price = 0 WHERE id = 1")
        conn.execute("DELETE FROM orders.fills WHERE id = 2")
        conn.execute("INSERT INTO orders.fills (price) VALUES (1)")
        conn.execute("CREATE TABLE orders.later (x int)")
    (artifacts / "trainer" / "job-1" / "model.pt").write_bytes(b"overwritten")
    (artifacts / "report.html").unlink()
    (artifacts / "new.txt").write_text("after the backup")

    report = restore_backup(tmp_path / "backup", plan)

    assert (report.tables, report.rows, report.files) == (2, 4, 2)  # table + its sequence
    assert _rows(dsn) == before_rows
    assert (artifacts / "trainer" / "job-1" / "model.pt").read_bytes() == model
    assert (artifacts / "report.html").read_text() == "<h1>report</h1>"
    assert not (artifacts / "new.txt").exists()
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT to_regclass('orders.later')").fetchone() == (None,)


def test_a_damaged_backup_is_detected_and_not_restored(plan: BackupPlan, tmp_path: Path) -> None:
    create_backup(plan, tmp_path / "backup")
    copy = tmp_path / "backup" / "stores" / "artifacts" / "report.html"
    copy.write_text("<h1>tampered</h1>")
    (tmp_path / "backup" / "stores" / "artifacts" / "extra.bin").write_bytes(b"x")

    assert check_backup(tmp_path / "backup") == [
        "store artifacts: unexpected extra.bin",
        "store artifacts: changed report.html",
    ]
    with pytest.raises(BackupError, match="damaged: store artifacts: unexpected extra.bin"):
        restore_backup(tmp_path / "backup", plan)

    manifest = tmp_path / "backup" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"rows": 3', '"rows": 2'))
    with pytest.raises(BackupError, match="manifest.json does not match"):
        check_backup(tmp_path / "backup")


def test_restore_refuses_while_a_client_is_connected(plan: BackupPlan, tmp_path: Path) -> None:
    (dsn,) = plan.databases.values()
    create_backup(plan, tmp_path / "backup")
    with psycopg.connect(dsn, application_name="tm_risk", autocommit=True) as busy:
        busy.execute("SELECT 1")
        with pytest.raises(BackupError, match=r"1 other sessions \(tm_risk@127.0.0.1\)"):
            restore_backup(tmp_path / "backup", plan)
        report = restore_backup(tmp_path / "backup", plan, force=True)
        with pytest.raises(psycopg.OperationalError):
            busy.execute("SELECT 1")  # --force disconnected it
    assert report.rows == 4


def _tm(var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TM_LOCAL_VAR_DIR": str(var_dir)}
    env.pop("TM_STRATEGY_DATA_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "trademaster.service.ops", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_backs_up_checks_and_restores_latest(fresh_database: str, tmp_path: Path) -> None:
    _seed(fresh_database)
    var = tmp_path / "var"
    (var / "datasets").mkdir(parents=True)
    (var / "datasets" / "bars.csv").write_text("date,close\n2026-01-02,10\n")
    before = _rows(fresh_database)

    made = _tm(var, "backup", "--database-url", fresh_database)
    assert made.returncode == 0, made.stderr
    assert "1 files" in made.stdout and "(2 tables)" in made.stdout
    (backup_dir,) = (var / "backups").iterdir()
    assert _tm(var, "restore", "latest", "--check").stdout.endswith("intact\n")

    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("DELETE FROM orders.fills")
    (var / "datasets" / "bars.csv").unlink()

    restored = _tm(var, "restore", "latest", "--database-url", fresh_database)
    assert restored.returncode == 0, restored.stderr
    assert f"restored {backup_dir}" in restored.stdout
    assert "verified: 2 tables (4 rows) and 1 files" in restored.stdout
    assert _rows(fresh_database) == before
    assert (var / "datasets" / "bars.csv").read_text().startswith("date,close")
    (safety,) = (var / "backups" / "pre-restore").iterdir()
    kept = json.loads((safety / "manifest.json").read_text())
    assert kept["stores"]["datasets"]["files"] == {}  # the state just before: the file deleted

    missing = _tm(var, "restore", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "is not a backup" in missing.stderr


def test_cli_starts_the_stack_postgres_when_it_is_down(tm_session_dir: Path) -> None:
    var = tm_session_dir / f"down-{os.getpid()}"
    var.mkdir()
    port = free_port()
    server = PostgresServer(var / "postgres", port, fsync=False, log_path=var / "pg.log")
    with server:
        _seed(server.dsn)
    env = {**os.environ, "TM_LOCAL_VAR_DIR": str(var), "TM_LOCAL_POSTGRES_PORT": str(port)}
    env.pop("TM_STRATEGY_DATA_DIR", None)

    made = subprocess.run(
        [sys.executable, "-m", "trademaster.service.ops", "backup"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert made.returncode == 0, made.stderr
    assert "databases: trademaster (2 tables)" in made.stdout
    with pytest.raises(psycopg.OperationalError):  # started for the command, stopped after
        psycopg.connect(server.dsn, connect_timeout=2)

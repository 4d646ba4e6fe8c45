"""Pure parts of the local stack: start order, env wiring, ports, secrets, process groups."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from trademaster.service.localstack import (
    SERVICE_NAMES,
    ManagedProcess,
    RayHead,
    StartupError,
    free_port,
    group_members,
    service_env,
    startup_waves,
)
from trademaster.service.localstack.local import (
    ensure_secrets,
    local_config,
    local_ports,
    read_env_file,
)
from trademaster.service.localstack.processes import resolve_port
from trademaster.service.localstack.stack import Stack, StackConfig

pytestmark = pytest.mark.unit


def test_all_services_start_in_waves_with_gateway_last() -> None:
    waves = startup_waves(SERVICE_NAMES)

    # backtest replays trained jobs, so it needs the trainer's address.
    assert waves == [["strategy", "notifier"], ["risk", "trainer"], ["backtest"], ["gateway"]]


def test_subset_ignores_dependencies_that_are_not_started() -> None:
    assert startup_waves(["gateway", "risk"]) == [["risk"], ["gateway"]]


def test_unknown_service_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown services \\['pricing'\\]"):
        startup_waves(["strategy", "pricing"])


def test_dependency_cycle_is_refused() -> None:
    with pytest.raises(ValueError, match="cycle"):
        startup_waves(["a", "b"], {"a": ("b",), "b": ("a",)})


def test_service_env_wires_peers_but_not_itself(tmp_path: Path) -> None:
    env = service_env(
        "trainer",
        database_url="postgresql://db",
        redis_url="redis://r",
        jwt_secret="s" * 32,
        port_file=tmp_path / "trainer.port",
        metrics_port=9100,
        addresses={"strategy": "127.0.0.1:1", "trainer": "127.0.0.1:2"},
        ray_address="127.0.0.1:3",
        extra={"TM_TRAINER_ARTIFACT_DIR": "/a"},
    )

    assert env["TM_TRAINER_DATABASE_URL"] == "postgresql://db"
    assert env["TM_TRAINER_GRPC_PORT"] == "0"
    assert env["TM_TRAINER_PORT_FILE"] == str(tmp_path / "trainer.port")
    assert env["TM_TRAINER_METRICS_PORT"] == "9100"
    assert env["TM_TRAINER_STRATEGY_ADDR"] == "127.0.0.1:1"
    assert "TM_TRAINER_TRAINER_ADDR" not in env
    assert env["TM_TRAINER_RAY_ADDRESS"] == "127.0.0.1:3"
    assert env["TM_TRAINER_ARTIFACT_DIR"] == "/a"


def test_strategy_is_told_the_addresses_of_peers_that_start_after_it(tmp_path: Path) -> None:
    stack = Stack(
        StackConfig(
            work_dir=tmp_path,
            services=("strategy", "backtest", "trainer"),
            database_url="postgresql://db",
            redis_url="redis://r",
        )
    )

    strategy = stack.env_for("strategy")
    trainer = stack.env_for("trainer")
    backtest = stack.env_for("backtest")

    assert strategy["TM_STRATEGY_TRAINER_ADDR"] == f"127.0.0.1:{trainer['TM_TRAINER_GRPC_PORT']}"
    assert strategy["TM_STRATEGY_BACKTEST_ADDR"] == (
        f"127.0.0.1:{backtest['TM_BACKTEST_GRPC_PORT']}"
    )
    assert trainer["TM_TRAINER_GRPC_PORT"] != "0"
    assert strategy["TM_STRATEGY_GRPC_PORT"] == "0"
    trainer_artifacts = Path(trainer["TM_TRAINER_ARTIFACT_DIR"])
    assert trainer_artifacts.is_relative_to(backtest["TM_BACKTEST_ARTIFACT_DIR"]), (
        "backtests of training jobs read the trainer's models from the backtest's store"
    )


def test_local_ports_have_fixed_defaults() -> None:
    ports = local_ports({})

    assert (ports.gateway_http, ports.postgres, ports.redis) == (8080, 55432, 56379)
    assert (ports.ray, ports.ray_dashboard) == (56380, 58265)
    assert [ports.grpc[name] for name in SERVICE_NAMES] == list(range(50051, 50057))


def test_local_ports_are_overridable_and_validated() -> None:
    ports = local_ports({"TM_LOCAL_GATEWAY_HTTP_PORT": "9090", "TM_LOCAL_RISK_GRPC_PORT": "6000"})
    assert ports.gateway_http == 9090
    assert ports.grpc["risk"] == 6000

    with pytest.raises(ValueError, match="TM_LOCAL_REDIS_PORT must be a port in 1..65535"):
        local_ports({"TM_LOCAL_REDIS_PORT": "70000"})


def test_secrets_are_generated_once_private_and_env_wins(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secrets.env"

    first = ensure_secrets(path, {})
    second = ensure_secrets(path, {})
    overridden = ensure_secrets(path, {"TM_JWT_SECRET": "from-env-0123456789"})

    assert first == second
    assert len(first["TM_JWT_SECRET"]) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert overridden["TM_JWT_SECRET"] == "from-env-0123456789"
    assert overridden["TM_ADMIN_PASSWORD"] == first["TM_ADMIN_PASSWORD"]
    assert read_env_file(path)["TM_JWT_SECRET"] == first["TM_JWT_SECRET"]


def test_env_file_line_without_equals_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.env"
    path.write_text("# comment\n\nGOOD=1\nBROKEN\n")

    with pytest.raises(ValueError, match="bad.env:4: expected KEY=value"):
        read_env_file(path)


def test_local_config_keeps_data_in_var_and_adds_shared_data(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()

    config = local_config(tmp_path / "repo", {"TM_SHARED_DATA": str(shared)})

    assert config.work_dir == tmp_path / "repo" / "var"
    assert config.durable
    assert config.extra_env["TM_STRATEGY_DATA_DIR"] == str(tmp_path / "repo" / "var" / "datasets")
    assert config.extra_env["TM_STRATEGY_EXTRA_DATA_DIRS"] == str(shared)
    assert (tmp_path / "repo" / "var" / "secrets.env").exists()


def test_local_config_without_shared_data_sets_no_extra_dirs(tmp_path: Path) -> None:
    config = local_config(tmp_path, {"TM_SHARED_DATA": str(tmp_path / "absent")})

    assert "TM_STRATEGY_EXTRA_DATA_DIRS" not in config.extra_env


def test_free_port_can_be_bound_and_bad_ports_are_refused() -> None:
    assert 0 < free_port() < 65536
    assert resolve_port(None) > 0
    with pytest.raises(ValueError, match="port must be in 1..65535, was 70000"):
        resolve_port(70000)


def test_ray_temp_dir_must_be_short_for_unix_sockets(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Ray temp dir must be at most"):
        RayHead(tmp_path / ("x" * 80))


def test_own_process_group_lists_this_process() -> None:
    assert os.getpid() in group_members(os.getpgrp())


def test_stopped_process_leaves_nothing_in_its_group(tmp_path: Path) -> None:
    process = ManagedProcess(
        "sleeper",
        ["sh", "-c", "sleep 30 & sleep 30"],
        log_path=tmp_path / "sleeper.log",
        signal_group=True,
        stop_timeout_s=5,
    )
    process.spawn()
    pid = process.pid
    assert pid is not None and group_members(pid)

    process.stop()

    assert not process.running
    assert group_members(pid) == []


def test_process_dying_before_ready_reports_its_log(tmp_path: Path) -> None:
    process = ManagedProcess(
        "crasher",
        [sys.executable, "-c", "print('boom: bad config'); raise SystemExit(3)"],
        log_path=tmp_path / "crasher.log",
    )
    process.spawn()

    with pytest.raises(StartupError, match="(?s)crasher exited with status 3.*boom: bad config"):
        process.wait_until(lambda: False, timeout_s=10, what="ready")
    process.stop()

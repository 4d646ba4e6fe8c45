from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from trademaster.service.health import wait_for_serving

pytestmark = pytest.mark.integration

_MAIN = textwrap.dedent(
    """
    import asyncio

    from pydantic_settings import SettingsConfigDict

    from trademaster.service.server import ServiceParts, serve
    from trademaster.service.settings import ServiceSettings, load_settings


    class DemoSettings(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="TM_DEMO_")


    async def build(settings):
        async def closed():
            print("pool.closed", flush=True)

        return ServiceParts(
            register=lambda server: None,
            full_service_names=["tm.demo.v1.Demo"],
            on_shutdown=[closed],
        )


    asyncio.run(serve(load_settings(DemoSettings), service_name="demo", build=build))
    """
)


async def test_serve_writes_port_file_and_stops_gracefully_on_sigterm(tmp_path: Path) -> None:
    port_file = tmp_path / "demo.port"
    env = {
        **os.environ,
        "TM_DEMO_DATABASE_URL": "postgresql://unused",
        "TM_DEMO_REDIS_URL": "redis://unused",
        "TM_DEMO_JWT_SECRET": "s" * 32,
        "TM_DEMO_PORT_FILE": str(port_file),
        "TM_DEMO_SHUTDOWN_GRACE_S": "0.5",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", _MAIN],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists():
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "port file never written"
            time.sleep(0.05)
        port = int(port_file.read_text())
        await wait_for_serving(f"127.0.0.1:{port}", timeout_s=10, service="tm.demo.v1.Demo")
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    messages = [json.loads(line)["message"] for line in stderr.splitlines() if line.startswith("{")]
    assert process.returncode == 0, stderr
    assert f"service.ready port={port}" in messages
    assert messages[-1] == "service.stopped"
    assert stdout.strip() == "pool.closed"
    assert not port_file.exists()


def test_missing_env_exits_2_before_serving() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TM_DEMO_")}

    done = subprocess.run(
        [sys.executable, "-c", _MAIN], env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 2
    assert "TM_DEMO_DATABASE_URL is required" in done.stderr
    assert "Traceback" not in done.stderr

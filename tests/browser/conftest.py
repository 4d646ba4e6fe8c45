"""Browser fixtures: the built UI, a stack serving it, users A and B, and headless Chromium."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from trademaster.service.localstack import Stack
from ui_session import UiStack, UiUser, create_user

_LOGGER = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
UI_DIR = REPO_ROOT / "services" / "gateway" / "ui"
DIST_INDEX = REPO_ROOT / "services" / "gateway" / "tm_gateway" / "static" / "dist" / "index.html"
CHROMIUM = os.environ.get("TM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def built_ui() -> Path:
    """The UI built into the gateway's static dir (build.sh skips when up to date)."""
    if shutil.which("npm") is None and not DIST_INDEX.is_file():
        pytest.skip("npm is not installed and the UI is not built")
    if shutil.which("npm") is not None:
        subprocess.run([str(UI_DIR / "build.sh")], check=True, timeout=600)
    assert DIST_INDEX.is_file(), f"build.sh did not write {DIST_INDEX}"
    return DIST_INDEX.parent


def _serves_ui(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/", timeout=10) as response:
            return 'id="root"' in response.read().decode()
    except urllib.error.URLError:
        return False


def _gateway_grpc_address(stack: Stack) -> str:
    """The gateway's identity gRPC address, from the port file the stack gave it."""
    port_file = Path(stack.env_for("gateway")["TM_GATEWAY_PORT_FILE"])
    return f"127.0.0.1:{int(port_file.read_text().strip())}"


@pytest.fixture(scope="session")
def ui_stack(built_ui: Path, request: pytest.FixtureRequest) -> UiStack:
    """The session `stack`; a second full stack instead when `stack` was started before the UI
    was built (the gateway mounts the UI only if it exists at start). `./tm test` builds the UI
    first, so this fallback is for runs that skip it."""
    stack: Stack = request.getfixturevalue("stack")
    assert stack.gateway_url is not None
    if not _serves_ui(stack.gateway_url):
        _LOGGER.info("session stack started before the UI build; starting another")
        stack = request.getfixturevalue("stack_factory")()
        assert stack.gateway_url is not None and _serves_ui(stack.gateway_url)
    return UiStack(
        url=stack.gateway_url,
        admin=UiUser(stack.config.admin_username, stack.admin_password),
        grpc_gateway=_gateway_grpc_address(stack),
        redis_url=stack.redis_url or "",
    )


@pytest.fixture(scope="session")
def user_a(ui_stack: UiStack) -> UiUser:
    return create_user(ui_stack, "ui_a")


@pytest.fixture(scope="session")
def user_b(ui_stack: UiStack) -> UiUser:
    return create_user(ui_stack, "ui_b")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    home = tempfile.mkdtemp(prefix="tm-chromium-home-")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            env={**os.environ, "HOME": home},
        )
        yield browser
        browser.close()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context (empty sessionStorage) at 1280x800."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()

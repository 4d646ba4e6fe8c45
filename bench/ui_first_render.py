"""Time to first render of the dashboard: navigation start -> dashboard content visible.

Starts strategy + gateway (loopback, synthetic datasets only), builds the UI if needed, signs
in once through the API and opens the dashboard in fresh headless Chromium contexts with the
token preloaded. "Visible" = the dashboard's strategies and datasets cards have loaded (both
API calls answered and rendered). Cold = first load in a context (empty HTTP cache), warm =
reload in the same context. JSON line per measurement, then a summary line.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright
from trademaster.service.localstack import Stack, StackConfig

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("TM_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RUNS = 5
MACHINE = f"{platform.machine()}-{os.cpu_count()}cpu-py{platform.python_version()}"
READY = """() => {
  const d = document.querySelector('[data-testid=dashboard]');
  if (!d) return false;
  const cards = ['strategies-card', 'datasets-card'].map(
    (id) => d.querySelector(`[data-testid=${id}]`));
  return cards.every((c) => c && !c.querySelector('[data-testid=loading]'));
}"""


def emit(bench: str, value: float, unit: str, n: int, **extra: object) -> None:
    row = {"bench": bench, "value": round(value, 1), "unit": unit, "n": n, "machine": MACHINE}
    row.update(extra)
    print(json.dumps(row), flush=True)


def first_render_ms(page, url: str) -> float:
    page.goto(url, wait_until="commit")
    page.wait_for_function(READY, timeout=30_000)
    return float(page.evaluate("performance.now()"))


def main() -> int:
    subprocess.run([str(REPO / "services/gateway/ui/build.sh")], check=True, timeout=600)
    work = Path(tempfile.mkdtemp(prefix="tm-bench-ui-"))
    work.chmod(0o755)
    home = Path(tempfile.mkdtemp(prefix="tm-bench-home-"))
    config = StackConfig(
        work_dir=work,
        services=("strategy", "gateway"),
        extra_env={"TM_STRATEGY_DATA_DIR": str(work / "datasets")},
    )
    cold: list[float] = []
    warm: list[float] = []
    try:
        with Stack(config) as stack:
            url = str(stack.gateway_url)
            body = json.dumps({"username": "admin", "password": stack.admin_password}).encode()
            request = urllib.request.Request(
                f"{url}/api/v1/auth/login", body, {"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                login = json.loads(response.read())
            init = (
                f"sessionStorage.setItem('tm.token', {json.dumps(login['access_token'])});"
                f"sessionStorage.setItem('tm.user', {json.dumps(json.dumps(login['user']))});"
            )
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=ARGS, env={**os.environ, "HOME": str(home)}
                )
                for _ in range(RUNS):
                    context = browser.new_context(viewport={"width": 1280, "height": 800})
                    context.add_init_script(init)
                    page = context.new_page()
                    cold.append(first_render_ms(page, f"{url}/"))
                    warm.append(first_render_ms(page, f"{url}/"))
                    context.close()
                browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    emit(
        "ui_dashboard_first_render_cold",
        statistics.median(cold),
        "ms",
        RUNS,
        all=[round(v, 1) for v in cold],
    )
    emit(
        "ui_dashboard_first_render_warm",
        statistics.median(warm),
        "ms",
        RUNS,
        all=[round(v, 1) for v in warm],
    )
    print(
        f"summary: dashboard first render median cold {statistics.median(cold):.0f} ms, "
        f"warm {statistics.median(warm):.0f} ms over {RUNS} runs (loopback, headless Chromium)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

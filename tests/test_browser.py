"""The web UI in a real browser: `ai45kg serve` on a free port, driven by tests/browser/smoke.mjs
(Playwright's playwright-core against Debian's /usr/bin/chromium; no browser is downloaded).

The script opens the home page and finds the matrix SVG, loads an example on the query page, runs
it with the button, sees result rows, opens a resource page from a result link and follows a link
on it; it fails on any request that leaves the server and on any error the pages log.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import free_port

pytestmark = pytest.mark.slow

BROWSER_DIR = Path(__file__).parent / "browser"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
AI45KG = Path(sys.executable).with_name("ai45kg")


def _playwright_installed() -> bool:
    return (BROWSER_DIR / "node_modules" / "playwright-core" / "package.json").exists()


@pytest.fixture(scope="module")
def node() -> str:
    if not CHROMIUM.exists():
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not installed")
    if not _playwright_installed():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed, so playwright-core cannot be installed")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=BROWSER_DIR, capture_output=True,
            text=True, timeout=300,
            env={**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"},
        )
        if done.returncode != 0 or not _playwright_installed():
            pytest.skip(f"npm ci in tests/browser failed: {done.stderr[-500:]}")
    return found


@pytest.fixture(scope="module")
def server_url(built_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("browser-serve") / "serve.log"
    env = {**os.environ, "AI45_DIST": str(built_dist), "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(AI45KG), "serve", "--host", "127.0.0.1", "--port", str(port),
             "--query-workers", "2"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            pytest.fail(f"ai45kg serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"ai45kg serve did not answer in 120 s:\n{log.read_text()}")
        time.sleep(0.25)
    yield url
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_browser_smoke(node: str, server_url: str, tmp_path: Path) -> None:
    shots = tmp_path / "screenshots"
    done = subprocess.run(
        [node, str(BROWSER_DIR / "smoke.mjs"), server_url, str(shots)],
        cwd=BROWSER_DIR, capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "steps passed" in done.stdout
    for name in ("home.png", "query.png", "resource.png", "linked.png"):
        assert (shots / name).stat().st_size > 10_000, f"{name} is missing or empty"

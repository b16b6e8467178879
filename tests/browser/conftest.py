"""Browser tests: one `streamlit run` server and one Chromium for the session, a fresh context per test.

Recipe: /work/shared/TESTING.md. Playwright cannot download browsers here, so Debian's Chromium is
launched by path; without it the tests fail in CI (env ``CI`` set) and skip on a developer machine.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_helpers import TIMEOUT_MS, wait_for_app
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}
SERVER_START_SECONDS = 60
expect.set_options(timeout=30_000)  # a slow CI machine may need more than the default 5 s for a run to show


@pytest.hookimpl(tryfirst=True)  # before ``-m "not browser"`` deselects: every test in this folder is a browser test
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(__file__).parent in item.path.parents:
            item.add_marker(pytest.mark.browser)


@dataclass(frozen=True)
class Server:
    url: str
    log: Path  # the server's stdout and stderr

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"no Chromium at {CHROMIUM}: install it with `apt-get install -y chromium` to run the browser tests"
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextlib.contextmanager
def streamlit_server(log_dir: Path, environment: dict[str, str] | None = None, arguments: Sequence[str] = (),
                     prefix: Sequence[str] = ()) -> Iterator[Server]:
    """`streamlit run dashboard.py` on a free port, healthy on entry, terminated on exit; ``environment``
    is added to the server's, ``arguments`` to its command line (config options), and ``prefix`` goes
    before the command (a wrapper that starts it in a memory cgroup, say)."""
    port = _free_port()
    log = log_dir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*prefix, sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless=true",
             f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
             *arguments],
            cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, env={**os.environ, **(environment or {})},
        )
    running = Server(f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not _healthy(running.url):
            if process.poll() is not None or time.monotonic() > deadline:
                why = (f"exited with code {process.returncode}" if process.poll() is not None
                       else f"was not healthy after {SERVER_START_SECONDS} s")
                print(f"\nstreamlit server {why}; its output:\n{running.log_tail(200)}", file=sys.stderr)
                pytest.fail(f"streamlit server {why} (its output is printed above)", pytrace=False)
            time.sleep(0.2)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server every test shares, started once for the session."""
    _require_chromium()
    with streamlit_server(tmp_path_factory.mktemp("streamlit")) as running:
        yield running


@pytest.fixture
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of the test's own that no session has visited yet (a few seconds to start)."""
    _require_chromium()
    with streamlit_server(tmp_path_factory.mktemp("streamlit-fresh")) as running:
        yield running


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium, for a test that launches it itself (through a benchmark script, say)."""
    _require_chromium()
    return CHROMIUM


@pytest.fixture
def cold_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A fresh server with an empty Numba cache, as a new deployment starts: compiling takes seconds."""
    _require_chromium()
    cache = tmp_path_factory.mktemp("numba-cache")
    with streamlit_server(tmp_path_factory.mktemp("streamlit-cold"), {"NUMBA_CACHE_DIR": str(cache)}) as running:
        yield running


@pytest.fixture(scope="session")
def browser(server: Server):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # Open the app once so that the first test does not also pay for the server's first run.
        context = browser.new_context(viewport=VIEWPORT, base_url=server.url)
        page = context.new_page()
        page.goto("/")
        wait_for_app(page)
        context.close()
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the test item, so the page fixture knows whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def open_page(
    browser, server: Server, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable]:
    """``open_page(path="/")``: a page in a fresh browser context (its own Streamlit session), opened at
    ``path`` and run to the end. ``page.goto("/data")`` works as well, but loads the page afresh (a new
    Streamlit session): click the sidebar's links to keep the session. When the test fails, a screenshot of
    every page it opened is saved (the paths are printed) and so is the end of the server's log."""
    contexts = []

    def open_(path: str = "/"):
        context = browser.new_context(viewport=VIEWPORT, base_url=server.url)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto(path)
        wait_for_app(page)
        return page

    yield open_
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        directory = tmp_path_factory.mktemp("failure-screenshots")
        for index, context in enumerate(contexts):
            for number, page in enumerate(context.pages):
                path = directory / f"{request.node.name}-{index}-{number}.png"
                try:
                    page.screenshot(path=str(path), full_page=True)
                    print(f"\nscreenshot of the failed test: {path} (at {page.url})")
                except Exception as error:  # the page may be gone; the test's own error matters more
                    print(f"\nno screenshot of {request.node.name}: {error}")
        print(f"\nend of the streamlit server's log:\n{server.log_tail()}")
    for context in contexts:
        context.close()

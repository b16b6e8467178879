"""The dashboard served on this machine and a headless Chromium to drive it, for the benchmarks that time
what a person sees. Recipe: ../shared/TESTING.md (Debian's Chromium, launched by path)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1000}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def served_dashboard(environment: dict[str, str] | None = None) -> Iterator[str]:
    """``streamlit run dashboard.py`` on a free local port; yields its address once it answers."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless=true",
         f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **(environment or {})},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(server.stderr.read().decode() if server.stderr else "no server") from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextlib.contextmanager
def chromium_page() -> Iterator:
    """A page of a headless Chromium (Playwright's ``Page``), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport=VIEWPORT)
        finally:
            browser.close()


def wait_until_drawn(page, charts: int = 0, timeout_ms: float = 600_000) -> None:
    """Wait until Streamlit has run the script to its end, at least ``charts`` charts are drawn, every
    chart on the page has drawn its marks, and nothing is left stale from before."""
    page.wait_for_function(
        """n => {
            const app = document.querySelector('[data-testid="stApp"]');
            const charts = document.querySelectorAll('.vega-embed').length;
            const drawn = document.querySelectorAll('.vega-embed canvas, .vega-embed svg.marks').length;
            return app && app.dataset.testConnectionState === 'CONNECTED'
                && app.dataset.testScriptState === 'notRunning'
                && charts >= n && drawn >= charts && !document.querySelector('[data-stale="true"]');
        }""",
        arg=charts, timeout=timeout_ms)


def click_and_wait_for_run(page, button, timeout_ms: float = 600_000) -> None:
    """Click ``button`` and wait for the script run the click starts to end with everything drawn.

    A run on small data can start and end between two polls of the page, so an observer installed
    before the click notes any change of Streamlit's script state, however brief.
    """
    page.evaluate("""() => {
        window.__scriptStateChanged = false;
        const app = document.querySelector('[data-testid="stApp"]');
        new MutationObserver((_, observer) => { window.__scriptStateChanged = true; observer.disconnect(); })
            .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    }""")
    button.click()
    page.wait_for_function("() => window.__scriptStateChanged", timeout=timeout_ms)
    wait_until_drawn(page, timeout_ms=timeout_ms)

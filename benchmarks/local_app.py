"""The dashboard served on this machine and a headless Chromium to drive it, for the benchmarks that time
what a person sees. Chromium is Debian's, launched by its path (no browser download for Playwright),
as the browser tests launch it (``tests/browser/conftest.py``). And AppTest's runs with the scripts compiled once,
as a server keeps them (``compiled_once``), for the benchmarks that time a server's part under AppTest."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1000}
TRAIN_PAGE_CHARTS = 5  # the Train page's charts: loss, parameters, landscape, fit, predicted against actual


@contextlib.contextmanager
def compiled_once() -> Iterator[None]:
    """AppTest's runs share one cache of the scripts' bytecode, as a server's sessions do, instead of each run
    compiling its scripts anew (about 8 ms of the Export page's run, 14 ms of the Train page's, under 1 ms of a bare
    page's). It reaches below AppTest's API: when that changes, the benchmarks' tests fail."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    modules = (app_test, local_script_runner)
    own = [module.ScriptCache for module in modules]
    for module in modules:
        module.ScriptCache = lambda: shared
    try:
        yield
    finally:
        for module, cache in zip(modules, own, strict=True):
            module.ScriptCache = cache


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def dashboard_server(environment: dict[str, str] | None = None, prefix: Sequence[str] = (),
                     script: str | Path = "dashboard.py") -> Iterator[tuple[str, subprocess.Popen]]:
    """``streamlit run dashboard.py`` on a free local port; yields its address once it answers, and its process.
    ``prefix`` goes before the command (bench_load.py's wrapper that starts it in a memory cgroup); ``script``
    runs another app instead (bench_first_page.py's bare Streamlit page).

    The server's output goes to a temporary file, read if it fails to start: a pipe nobody reads while it runs
    would stop it once full, and reading one from a server that is still running would wait forever.
    """
    port = free_port()
    with tempfile.TemporaryFile() as output:
        server = subprocess.Popen(
            [*prefix, sys.executable, "-m", "streamlit", "run", str(script), "--server.headless=true",
             f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"],
            cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, env={**os.environ, **(environment or {})},
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
                        output.seek(0)
                        why = "exited" if server.poll() is not None else "did not answer within 60 s"
                        raise RuntimeError(f"streamlit run {why}; its output:\n{output.read().decode()}") from None
                    time.sleep(0.2)
            yield base, server
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def wait_for_children(pid: int, timeout: float = 300) -> None:
    """Wait until process ``pid`` has no child processes left (Linux), at most ``timeout`` seconds: the
    dashboard compiles its kernel in a child process once its first page is drawn (``ui/kernel.py``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            children = "".join((task / "children").read_text() for task in Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            return
        if not children.strip():
            return
        time.sleep(0.5)


@contextlib.contextmanager
def served_dashboard(environment: dict[str, str] | None = None) -> Iterator[str]:
    """:func:`dashboard_server`, when only its address matters."""
    with dashboard_server(environment) as (base, _):
        yield base


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


# Installed in the page before a click: when did the page last change, and has every chart changed? A chart
# counts as changed when its element is new, when anything in its SVG changes, or when its canvas is drawn on. A
# chart that Streamlit updates in place keeps its elements, so "every chart has a canvas or an SVG"
# (wait_until_drawn) cannot tell a redrawn chart from the old one. A change counts as shown once the frame after it
# has been painted (a timeout queued from the next animation frame runs after that paint).
# A canvas is watched through its context's clearRect, with which Vega's renderer begins every drawing (its
# CanvasRenderer.clear), not by reading its pixels: reading and hashing every canvas's pixels on every frame took
# the browser's one thread away from the drawing being timed.
_DRAW_CLOCK = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const main = document.querySelector('[data-testid="stMain"]');
    const clock = {clicked: null, lastChange: null, shown: null, runBegan: false, changed: new Set(),
                   watching: true, observers: []};
    const changed = () => {
        const at = performance.now();
        clock.lastChange = at;
        const painted = () => { clock.shown = Math.max(clock.shown ?? at, performance.now()); };
        requestAnimationFrame(() => setTimeout(painted));
    };
    // A script run on small data can start and end between two polls: any change of the script's state after
    // the click says the run began; it has ended when the state is back to notRunning. The state may also never
    // change at all: when the browser is busy, React can take "running" and "notRunning" in one render, and the
    // attribute stays notRunning throughout (seen in about one run of bench_pages.py in fifteen). A chart that
    // changed since the click says it too: charts change only in a run, and any render during one says running.
    const scriptState = new MutationObserver(() => {
        if (clock.clicked === null) return;
        clock.runBegan = true;
        changed();
    });
    scriptState.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    const content = new MutationObserver(records => {
        if (clock.clicked === null) return;
        for (const record of records) {
            const element = record.target.nodeType === 1 ? record.target : record.target.parentElement;
            const chart = element && element.closest('.vega-embed');
            if (chart) clock.changed.add(chart);
            for (const node of record.addedNodes) {
                if (node.nodeType !== 1) continue;
                for (const added of node.matches('.vega-embed') ? [node] : node.querySelectorAll('.vega-embed')) {
                    clock.changed.add(added);
                }
            }
        }
        changed();
    });
    content.observe(main, {subtree: true, childList: true, attributes: true, characterData: true});
    clock.observers.push(scriptState, content);
    // Once per page, for every clock installed in it since: the clock of the click under way, if it is watching.
    const prototype = CanvasRenderingContext2D.prototype;
    if (!prototype.clearRect.drawClock) {
        const clearRect = prototype.clearRect;
        prototype.clearRect = function (...area) {
            const watching = window.__drawClock;
            const chart = this.canvas.closest && this.canvas.closest('[data-testid="stMain"] .vega-embed');
            if (watching && watching.watching && watching.clicked !== null && chart) watching.drew(chart);
            return clearRect.apply(this, area);
        };
        prototype.clearRect.drawClock = true;
    }
    clock.drew = chart => {
        clock.changed.add(chart);
        changed();
    };
    window.__drawClock = clock;
}"""

_DRAW_CLOCK_READING = """() => {
    const clock = window.__drawClock;
    const charts = [...document.querySelectorAll('[data-testid="stMain"] .vega-embed')];
    const app = document.querySelector('[data-testid="stApp"]');
    const stale = document.querySelectorAll('[data-stale="true"]').length;
    const runBegan = clock.runBegan || clock.changed.size > 0;
    return {ended: runBegan && app.dataset.testScriptState === 'notRunning' && stale === 0,
            runBegan, scriptState: app.dataset.testScriptState, stale,
            redrawn: charts.filter(chart => clock.changed.has(chart)).length,
            // A change not painted yet (its frame still to come) is not quiet, however long ago it was made.
            quietMs: clock.shown === null || clock.shown < clock.lastChange ? 0 : performance.now() - clock.shown,
            seconds: clock.shown === null ? null : (clock.shown - clock.clicked) / 1000};
}"""


def click_and_time_drawing(page, button, redrawn: int, quiet_ms: float = 500, timeout_ms: float = 600_000) -> float:
    """Click ``button``; seconds until the script run it starts has ended and the page shows its result, with at
    least ``redrawn`` charts redrawn: the page's own clock, from just before the click to the painting of the
    last change in the main area.

    Done means: the run ended, nothing is stale, ``redrawn`` charts changed since the click, and nothing in
    the main area has changed for ``quiet_ms`` (Vega draws after its data arrives and has no "done" event).
    """
    page.evaluate(_DRAW_CLOCK)
    page.evaluate("() => { window.__drawClock.clicked = performance.now(); }")
    button.click()
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        reading = page.evaluate(_DRAW_CLOCK_READING)
        if reading["ended"] and reading["redrawn"] >= redrawn and reading["quietMs"] >= quiet_ms:
            page.evaluate("""() => {
                window.__drawClock.watching = false;
                window.__drawClock.observers.forEach(observer => observer.disconnect());
            }""")
            return reading["seconds"]
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page was not redrawn within {timeout_ms / 1000:g} s: {reading}")
        page.wait_for_timeout(50)

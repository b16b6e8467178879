"""The first page and the first click, against a bare Streamlit + Altair page, side by side in one run.

    python benchmarks/bench_first_page.py    # 3 fresh servers of each, 3 warm visits, 7 clicks, a class of 12
    python benchmarks/bench_first_page.py --fresh 1 --visits 2 --clicks 3 --class-sessions 4

Four apps run under ``streamlit run`` on free local ports, in turn, each in headless Chromium: the dashboard
(``dashboard.py``, every setting at its default), and a bare page (the least a Streamlit page with a chart can
do: ``st.title``, one Altair line chart of 1,000 points, a button that redraws it with new data) twice: as
Streamlit serves it, and with the server's connections sending at once, as the dashboard turns them
(``ui.network.send_without_delay``: Streamlit's server leaves Nagle's algorithm on, which holds each response
kept alive 40 ms). The targets are judged against the second, so that the ratios compare two pages on servers
set alike, not the dashboard's server setting against Streamlit's. A fourth app is the floor: the dashboard's
first page replayed (``REPLAYED_APP``), every message its script sends a new visitor, recorded under ``AppTest`` in
this process and sent again as they are, with nothing computed (only what any page with an Altair chart imports):
what Streamlit's server and the browser take to draw this page's widgets and charts, whatever draws them. For each:

- **fresh server**: a new server process (an empty Numba cache, as on every Community Cloud wake, unless
  ``--keep-numba-cache``), once it answers its health check, opened by a new visitor: seconds from loading
  the page to its first chart drawn, and (the dashboard) to every chart drawn with the script run ended;
- **warm server, new visitor**: the same server opened again in a new browser context (a new session), once
  the dashboard's kernel compile (a child process it starts after its first page) is over;
- **click**: the dashboard's **Train** (the default data: a new visitor's first run) and the bare page's
  button, each timed from just before the click to the painting of the last change it makes
  (``local_app.click_and_time_drawing``), a new session for each click;
- **a class's clicks**: ``--class-sessions`` sessions open at once, as a class shares one server, then a click in
  each in turn: the CPU seconds the server process uses from just before each click until it is drawn (the
  quiet half second that ends each timing included).

Then the server's part of a click, in this process under ``AppTest`` (no browser): the script's rerun after the
button's click, for each app, in a new session each time (the first, which imports and fills the caches, not
counted), the scripts compiled once and shared by the sessions, as a server keeps them (``local_app.compiled_once``;
AppTest alone compiles them on each run). AppTest reruns the whole script, where the browser's Train reruns the Train
page's fragment alone: the dashboard's figure here is the most a click costs its server. (A new visitor's first run is
not timed this way: each new AppTest also scans the installed packages for components, a cost of AppTest's own.)

The four servers start in the project's folder, so all read its ``.streamlit/config.toml``: the same server
options (no garbage collection after each run among them), and the ratios compare what the pages do.

Medians are printed with the ratios dashboard ÷ each bare page and the issue's targets (1.3× fresh, 1.2× warm,
3× click), judged against the bare page on a server set as the dashboard's, and the floor's ratio to that page
(the replayed page has no Train to click).
The replay reaches into Streamlit below its API (the script context's ``enqueue``, ``ForwardMsg``): when that
changes, this benchmark and its browser test fail, and the rest of the dashboard does not use it.
The machine is shared: run it when it is quiet, and read the ratios, which compare runs made a moment apart.
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from local_app import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    TRAIN_PAGE_CHARTS,
    VIEWPORT,
    click_and_time_drawing,
    compiled_once,
    dashboard_server,
    wait_for_children,
    wait_until_drawn,
)

BARE_APP = '''
import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

st.title("A bare page")
clicks = st.session_state.setdefault("clicks", 0)
if st.button("Train"):
    st.session_state["clicks"] = clicks = clicks + 1
x = np.linspace(0, 1, 1000)
frame = pd.DataFrame({"x": x, "y": np.sin(6 * x + clicks)})
st.altair_chart(alt.Chart(frame).mark_line().encode(x="x", y="y"), width="stretch")
'''

# The same first line as the dashboard's router: the bare page on a server set as the dashboard's.
SENDS_AT_ONCE = "from ui.network import send_without_delay\n\nsend_without_delay()\n"

# The dashboard's first page, replayed from its recorded messages (RECORDING: their file), under the same navigation.
REPLAYED_APP = '''
import pickle

import altair, numpy, pandas  # what the bare page imports: any page with an Altair chart does
import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from ui.i18n import t
from ui.navigation import PAGES

with open(RECORDING, "rb") as recording:
    MESSAGES = pickle.load(recording)


def replay():
    context = get_script_run_ctx()
    for serialized in MESSAGES:
        message = ForwardMsg()
        message.ParseFromString(serialized)
        context.enqueue(message)


def elsewhere():
    st.write("Only the first page is replayed.")


st.set_page_config(page_title=t("nav.page_title"), page_icon="📉", layout="wide")  # as ui.navigation.run_router
pages = [st.Page(replay if not page.url_path else elsewhere, title=page.title, icon=page.icon,
                 url_path=page.url_path or "train", default=not page.url_path) for page in PAGES]
st.navigation(pages, position="hidden").run()  # the sidebar's links are among the messages replayed
'''

FIRST_CHART = """() => document.querySelectorAll(
    '[data-testid="stMain"] .vega-embed canvas, [data-testid="stMain"] .vega-embed svg.marks').length > 0"""


def server_cpu_seconds(pid: int) -> float:
    """CPU seconds process ``pid`` has used so far, every thread's, user and system (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def click_train(page, charts: int, timeout_ms: float) -> float:
    """Seconds from a click on the page's Train (the bare page's button) to its result drawn."""
    button = page.locator('[data-testid="stMain"]').get_by_role("button", name="Train", exact=True)
    return click_and_time_drawing(page, button, charts, timeout_ms=timeout_ms)


def open_page(browser, base: str, timeout_ms: float, charts: int) -> tuple[float, float, object]:
    """A new visitor: (seconds to the first chart drawn, seconds to everything drawn, the page, still open)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    started = time.perf_counter()
    page.goto(base)
    page.wait_for_function(FIRST_CHART, timeout=timeout_ms, polling="raf")
    first = time.perf_counter() - started
    wait_until_drawn(page, charts, timeout_ms=timeout_ms)
    return first, time.perf_counter() - started, page


def measure(browser, script: str | Path, charts: int, args, environment: dict[str, str]) -> dict[str, list[float]]:
    """Every figure of one app: fresh servers, warm visits, clicks."""
    figures: dict[str, list[float]] = {"fresh first chart": [], "fresh all drawn": [], "warm first chart": [],
                                       "warm all drawn": [], "click": [], "server CPU a class click": []}
    timeout_ms = args.timeout * 1000
    for fresh in range(args.fresh):
        with tempfile.TemporaryDirectory() as cache:
            env = dict(environment)
            if not args.keep_numba_cache:
                env["NUMBA_CACHE_DIR"] = cache
            with dashboard_server(env, script=script) as (base, server):
                first, drawn, page = open_page(browser, base, timeout_ms, charts)
                figures["fresh first chart"].append(first)
                figures["fresh all drawn"].append(drawn)
                page.context.close()
                if fresh:
                    continue
                wait_for_children(server.pid)  # the dashboard's kernel compile, started after its first page
                for _ in range(args.visits):
                    first, drawn, page = open_page(browser, base, timeout_ms, charts)
                    figures["warm first chart"].append(first)
                    figures["warm all drawn"].append(drawn)
                    page.context.close()
                for _ in range(args.clicks):
                    _, _, page = open_page(browser, base, timeout_ms, charts)
                    figures["click"].append(click_train(page, charts, timeout_ms))
                    page.context.close()
                pages = [open_page(browser, base, timeout_ms, charts)[2] for _ in range(args.class_sessions)]
                for page in pages:
                    before = server_cpu_seconds(server.pid)
                    click_train(page, charts, timeout_ms)
                    figures["server CPU a class click"].append(server_cpu_seconds(server.pid) - before)
                for page in pages:
                    page.context.close()
    return figures


def record_first_page(path: Path) -> int:
    """Record the element messages (deltas) the dashboard's script sends a new visitor, under ``AppTest`` in this
    process, to ``path``; their number. The page's configuration and navigation are left out: the replay sets its
    own, as the dashboard's router does."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext
    from streamlit.testing.v1 import AppTest

    from ui.kernel import warm_up_in_background

    recorded: list[bytes] = []
    enqueue = ScriptRunContext.enqueue

    def recording(context, message) -> None:
        if message.WhichOneof("type") == "delta":
            recorded.append(message.SerializeToString())
        enqueue(context, message)

    ScriptRunContext.enqueue = recording
    try:
        app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).run()
    finally:
        ScriptRunContext.enqueue = enqueue
    if app.exception:
        raise RuntimeError(f"dashboard.py failed under AppTest: {app.exception[0].message}")
    warm_up_in_background().join()  # the kernel compile the page starts, over before any server is timed
    path.write_bytes(pickle.dumps(recorded))
    return len(recorded)


def median_text(times: list[float]) -> tuple[float | None, str]:
    """The median of ``times`` (None if there are none) and its column: seconds and the number of runs, or a dash."""
    if not times:
        return None, f"{'—':>15}"
    median = statistics.median(times)
    return median, f"{median:>9.2f} s ({len(times)})"


def ratio_text(ours: float, reference: float | None) -> str:
    # CPU seconds are counted in the kernel's ticks (10 ms): the bare page's click may read 0.
    return f"{ours / reference:>9.2f}×" if reference else f"{'—':>10}"


def server_click_times(script: Path, runs: int) -> list[float]:
    """Seconds of the server's rerun after a click on Train, under AppTest, each in a new session."""
    from streamlit.testing.v1 import AppTest

    times = []
    for run in range(runs + 1):
        app = AppTest.from_file(str(script), default_timeout=120).run()
        if not run and script.name == "dashboard.py":
            from ui.kernel import warm_up_in_background

            warm_up_in_background().join()  # its clicks train on the compiled kernel, as the browser's do
        button = next(button for button in app.main.button if button.label == "Train")
        started = time.perf_counter()
        button.click().run()
        if app.exception:
            raise RuntimeError(f"{script.name} failed under AppTest: {app.exception[0].message}")
        if run:  # the first run imports and fills the caches
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fresh", type=int, default=3, help="fresh servers of each app")
    parser.add_argument("--visits", type=int, default=3, help="new visitors on the warm server")
    parser.add_argument("--clicks", type=int, default=7, help="clicks, each in a new session")
    parser.add_argument("--class-sessions", type=int, default=12,
                        help="sessions open at once, then a click in each: the server's CPU a click")
    parser.add_argument("--keep-numba-cache", action="store_true",
                        help="let fresh servers use the machine's Numba cache (a restart, not a Cloud wake)")
    parser.add_argument("--server-runs", type=int, default=7, help="clicks of each app under AppTest")
    parser.add_argument("--timeout", type=float, default=120, help="seconds for any one step")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as directory, sync_playwright() as playwright:
        shipped, bare = Path(directory) / "bare_page.py", Path(directory) / "bare_page_sending_at_once.py"
        shipped.write_text(BARE_APP)
        bare.write_text(SENDS_AT_ONCE + BARE_APP)
        sys.path.insert(0, str(ROOT))  # the dashboard's own packages, for its runs in this process
        recording, replayed = Path(directory) / "first_page.pickle", Path(directory) / "replayed_first_page.py"
        print(f"the dashboard's first page: {record_first_page(recording)} messages recorded")
        replayed.write_text(SENDS_AT_ONCE + f"RECORDING = {str(recording)!r}\n" + REPLAYED_APP)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        replay_args = argparse.Namespace(**{**vars(args), "clicks": 0, "class_sessions": 0})  # no Train to click
        try:
            results = {"shipped": measure(browser, shipped, 1, args, {}),
                       "bare": measure(browser, bare, 1, args, {"PYTHONPATH": str(ROOT)}),
                       "replayed": measure(browser, replayed, TRAIN_PAGE_CHARTS, replay_args,
                                           {"PYTHONPATH": str(ROOT)}),
                       "dashboard": measure(browser, "dashboard.py", TRAIN_PAGE_CHARTS, args, {})}
        finally:
            browser.close()
        with compiled_once():
            results["bare"]["server: click's rerun"] = server_click_times(bare, args.server_runs)
            results["dashboard"]["server: click's rerun"] = server_click_times(ROOT / "dashboard.py",
                                                                               args.server_runs)
    targets = {"fresh first chart": 1.3, "warm first chart": 1.2, "click": 3.0}
    print(f"\n{'median seconds (runs)':<24}{'bare, shipped':>15}{'bare, at once':>15}{'replayed':>15}{'dashboard':>15}"
          f"{'÷ shipped':>10}{'÷ at once':>10}{'floor':>10}  target (÷ at once)")
    for name in results["bare"]:
        bare_times, ours = results["bare"][name], results["dashboard"][name]
        if not bare_times or not ours:
            continue
        bare_median, our_median = statistics.median(bare_times), statistics.median(ours)
        shipped_median, shipped_text = median_text(results["shipped"].get(name, []))
        replayed_median, replayed_text = median_text(results["replayed"].get(name, []))
        target = targets.get(name)
        met = target is not None and our_median <= target * bare_median
        verdict = "" if target is None else f"≤ {target:g}×: {'met' if met else 'NOT MET'}"
        # The floor: the replayed page ÷ the bare page sending at once, the least the dashboard's ratio can be
        # while its page shows what it shows.
        floor = ratio_text(replayed_median, bare_median) if replayed_median is not None else f"{'—':>10}"
        print(f"{name:<24}{shipped_text}{bare_median:>9.2f} s ({len(bare_times)}){replayed_text}"
              f"{our_median:>9.2f} s ({len(ours)}){ratio_text(our_median, shipped_median)}"
              f"{ratio_text(our_median, bare_median)}{floor}  {verdict}")
    print(f"\nevery figure: {results}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

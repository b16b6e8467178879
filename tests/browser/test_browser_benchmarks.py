"""The benchmarks that drive the dashboard in Chromium run end to end on small data (no timing asserted), and
their clock (``local_app.click_and_time_drawing``) tells when a script run ends, whatever the page shows of it."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

SECONDS = r"(\d+\.\d\d)s"
LOCAL_APP = Path(__file__).resolve().parents[2] / "benchmarks" / "local_app.py"
# What the clock reads of a Streamlit page (the app's script state, the main area, a chart drawn as SVG), and a
# button whose click plays ``window.scriptRun``: [milliseconds after the click, what happens then].
FAKE_PAGE = """
<div data-testid="stApp" data-test-connection-state="CONNECTED" data-test-script-state="notRunning">
  <div data-testid="stMain">
    <button>Train</button>
    <div class="vega-embed"><svg class="marks"><rect width="10" height="10"></rect></svg></div>
    <div class="vega-embed"><canvas width="20" height="20"></canvas></div>
  </div>
</div>
<script>
  const app = document.querySelector('[data-testid="stApp"]');
  window.running = () => { app.dataset.testScriptState = 'running'; };
  window.notRunning = () => { app.dataset.testScriptState = 'notRunning'; };
  window.redraw = () => { document.querySelector('rect').setAttribute('width', '20'); };
  // As Vega's canvas renderer draws: the canvas element stays, cleared and drawn on again.
  window.paint = () => {
    const context = document.querySelector('canvas').getContext('2d');
    context.clearRect(0, 0, 20, 20);
    context.fillRect(0, 0, 10, 10);
  };
  document.querySelector('button').addEventListener('click', () => {
    for (const [at, action] of window.scriptRun) setTimeout(action, at);
  });
</script>
"""


@pytest.mark.browser
def test_bench_pages_opens_every_page_and_trains_where_it_can(
    chromium: Path, run_benchmark: Callable[..., str]
) -> None:
    # Each wait gives up after 120 s with the page's state in the error, well before the test's own limit.
    output = run_benchmark("bench_pages.py", "--rows", "2000", "--repeat", "2", "--timeout", "120", timeout=480)
    assert re.search(r"first opening of the Train page on a fresh server .*: \d+\.\d\d s", output), output
    for page, trains in (("Train", True), ("Learning rate", True), ("Batch size", True), ("Momentum", True),
                         ("Data", False), ("Export and share", False)):
        row = re.search(rf"^{page} +{SECONDS} +{SECONDS} +(?:{SECONDS}|-)$", output, re.MULTILINE)
        assert row, (page, output)
        assert (row.group(3) is not None) == trains, row.group(0)
        assert all(float(seconds) > 0 for seconds in row.groups() if seconds), row.group(0)


def rounded_ratio(ratio: float, ours: float, reference: float) -> bool:
    """Whether ``ratio`` (printed to 0.01) can be the quotient of two times that print as ``ours`` and ``reference``
    (to 0.01 s)."""
    return (ours - 0.005) / (reference + 0.005) - 0.005 <= ratio <= (ours + 0.005) / (reference - 0.005) + 0.005


@pytest.mark.browser
def test_bench_first_page_times_the_apps_side_by_side_with_the_targets_and_the_floor(
    chromium: Path, run_benchmark: Callable[..., str]
) -> None:
    output = run_benchmark("bench_first_page.py", "--fresh", "1", "--visits", "1", "--clicks", "1", "--server-runs",
                           "2", "--class-sessions", "2", "--timeout", "120", timeout=720)
    # The replayed page is the dashboard's, as its script sends it: every element message of a new visitor's page.
    recorded = re.search(r"^the dashboard's first page: (\d+) messages recorded$", output, re.MULTILINE)
    assert recorded and int(recorded.group(1)) > 50, output
    seconds, ratio = r"(\d+\.\d\d) s \(1\)", r"(\d+\.\d\d)×"
    for name, target in (("fresh first chart", "1.3"), ("warm first chart", "1.2")):
        # The bare page as Streamlit serves it, the bare page sending at once, the replayed page, the dashboard;
        # the dashboard's two ratios and the floor (the replayed page ÷ the bare page sending at once).
        row = re.search(rf"^{name} +{seconds} +{seconds} +{seconds} +{seconds} +{ratio} +{ratio} +{ratio} +"
                        rf"≤ {target}×: (met|NOT MET)$", output, re.MULTILINE)
        assert row, (name, output)
        shipped, at_once, replayed, dashboard = (float(seconds) for seconds in row.groups()[:4])
        assert min(shipped, at_once, replayed, dashboard) > 0, row.group(0)
        assert rounded_ratio(float(row.group(5)), dashboard, shipped), row.group(0)
        assert rounded_ratio(float(row.group(6)), dashboard, at_once), row.group(0)
        assert rounded_ratio(float(row.group(7)), replayed, at_once), row.group(0)
        # The verdict follows the ratio to the bare page sending at once (a ratio printed as the target may be either).
        shown_ratio = float(row.group(6))
        assert shown_ratio == float(target) or (row.group(8) == "met") == (shown_ratio < float(target)), row.group(0)
    # The replayed page has no Train to click: the click is timed for the other three.
    row = re.search(rf"^click +{seconds} +{seconds} +— +{seconds} +{ratio} +{ratio} +— +≤ 3×: (met|NOT MET)$", output,
                    re.MULTILINE)
    assert row, output
    shipped, at_once, dashboard = (float(seconds) for seconds in row.groups()[:3])
    assert rounded_ratio(float(row.group(4)), dashboard, shipped), row.group(0)
    assert rounded_ratio(float(row.group(5)), dashboard, at_once), row.group(0)
    shown_ratio = float(row.group(5))
    assert shown_ratio == 3 or (row.group(6) == "met") == (shown_ratio < 3), row.group(0)
    # The server's rerun after a click, under AppTest, two of each: the dashboard's script does more. AppTest opens
    # no connection, so the bare page is timed once, in the column of the bare page sending at once.
    row = re.search(r"^server: click's rerun +— +(\d+\.\d\d) s \(2\) +— +(\d+\.\d\d) s \(2\) +— +(\d+\.\d\d)× +— *$",
                    output, re.MULTILINE)
    assert row, output
    assert float(row.group(2)) > float(row.group(1)), row.group(0)
    # The server's CPU for a click in each of two sessions open at once: the dashboard's click trains and draws.
    cpu, cpu_ratio = r"(\d+\.\d\d) s \(2\)", r"(\d+\.\d\d×|—)"
    row = re.search(rf"^server CPU a class click +{cpu} +{cpu} +— +{cpu} +{cpu_ratio} +{cpu_ratio} +— *$", output,
                    re.MULTILINE)
    assert row, output
    assert float(row.group(3)) > 0, row.group(0)


@pytest.mark.browser
def test_bench_upload_uploads_a_csv_uses_it_and_trains_on_it(
    chromium: Path, run_benchmark: Callable[..., str]
) -> None:
    output = run_benchmark("bench_upload.py", "--rows", "2000", "--features", "3", "--timeout", "120", timeout=480)
    assert "2,000 rows × 3 features + y" in output, output
    for step in ("choose the file → parsed, previewed", "Use this dataset → in use",
                 "open the Train page → starting point drawn", "Train → result drawn"):
        row = re.search(rf"^{re.escape(step)} +(\d+\.\d\d) s +([\d,]+) MB +([\d,]+) MB$", output, re.MULTILINE)
        assert row, (step, output)
        assert float(row.group(1)) > 0 and 0 < int(row.group(2).replace(",", "")) <= int(row.group(3).replace(",", ""))
    # The run trained on the upload (1,600 training rows at batch size 10), not on the synthetic data.
    assert re.search(r"^Finished 3 epochs\. 480 steps", output, re.MULTILINE), output


@pytest.mark.browser
def test_bench_dashboard_trains_in_chromium_and_times_the_result(
    chromium: Path, run_benchmark: Callable[..., str]
) -> None:
    output = run_benchmark("bench_dashboard.py", "--rows", "2000", "--epochs", "2", "--repeat", "2", timeout=480)
    page = re.search(r"^Train page, Chromium, live charts +([\d,]+) +([\d,]+) +(\d+\.\d\d)× \((\d+\.\d\d)–(\d+\.\d\d)\)"
                     r" +(met|NOT met)$", output, re.MULTILINE)
    assert page, output
    # the page's steps per second (read from its status line once the run is drawn) and the library's
    assert int(page.group(1).replace(",", "")) > 0 and int(page.group(2).replace(",", "")) > 0
    low, high = float(page.group(4)), float(page.group(5))
    assert low <= float(page.group(3)) <= high
    if abs(float(page.group(3)) - 0.8) > 0.005:  # printed to two decimals: at 0.80 the verdict can go either way
        assert (page.group(6) == "met") == (float(page.group(3)) >= 0.8)
    clicks = re.search(r"press Train → finished result drawn, default data \(1000 rows, 3 epochs\), Chromium: median "
                       r"(\d+\.\d\d) s, best (\d+\.\d\d) s, worst (\d+\.\d\d) s over 4 runs", output)
    assert clicks, output
    assert 0 < float(clicks.group(2)) <= float(clicks.group(1)) <= float(clicks.group(3))

@pytest.fixture(scope="module")
def local_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("local_app", LOCAL_APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fake_page(browser) -> Iterator:
    page = browser.new_page()
    page.set_content(FAKE_PAGE)
    yield page
    page.close()


@pytest.mark.browser
def test_draw_clock_sees_a_run_whose_script_state_never_showed(local_app: ModuleType, fake_page) -> None:
    # A busy browser can render "running" and "notRunning" at once: the state never changes, the chart does.
    fake_page.evaluate("() => { window.scriptRun = [[200, redraw]]; }")
    seconds = local_app.click_and_time_drawing(fake_page, fake_page.locator("button"), redrawn=1, timeout_ms=20_000)
    assert seconds >= 0.2


@pytest.mark.browser
def test_draw_clock_waits_for_a_run_that_says_it_is_running(local_app: ModuleType, fake_page) -> None:
    # Drawn early, then quiet for longer than the clock waits for quiet, but still running until 1.2 s.
    fake_page.evaluate("() => { window.scriptRun = [[0, running], [100, redraw], [1200, notRunning]]; }")
    seconds = local_app.click_and_time_drawing(fake_page, fake_page.locator("button"), redrawn=1, timeout_ms=20_000)
    assert seconds >= 1.2


@pytest.mark.browser
def test_draw_clock_gives_up_on_a_click_that_redraws_nothing(local_app: ModuleType, fake_page) -> None:
    fake_page.evaluate("() => { window.scriptRun = [[0, running], [300, notRunning]]; }")
    with pytest.raises(TimeoutError, match="not redrawn within 2 s"):
        local_app.click_and_time_drawing(fake_page, fake_page.locator("button"), redrawn=1, timeout_ms=2_000)


@pytest.mark.browser
def test_draw_clock_counts_a_canvas_drawn_on_again_in_place(local_app: ModuleType, fake_page) -> None:
    # The SVG chart changes at once, the canvas only at 300 ms: the click is drawn when both are.
    fake_page.evaluate("() => { window.scriptRun = [[0, running], [50, redraw], [300, paint], [350, notRunning]]; }")
    seconds = local_app.click_and_time_drawing(fake_page, fake_page.locator("button"), redrawn=2, timeout_ms=20_000)
    assert 0.3 <= seconds < 2


@pytest.mark.browser
def test_draw_clock_waits_for_a_canvas_that_is_not_drawn_on(local_app: ModuleType, fake_page) -> None:
    fake_page.evaluate("() => { window.scriptRun = [[0, running], [50, redraw], [350, notRunning]]; }")
    with pytest.raises(TimeoutError, match="not redrawn within 2 s"):
        local_app.click_and_time_drawing(fake_page, fake_page.locator("button"), redrawn=2, timeout_ms=2_000)

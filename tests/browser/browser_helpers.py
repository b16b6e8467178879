"""What the browser tests do on a page: wait for Streamlit, read tables and widgets, check for errors."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Locator, Page, expect

TIMEOUT_MS = 60_000  # one script run, including training, must finish within this
NUMBER = re.compile(r"[-−+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def wait_for_app(page: Page, timeout: float = TIMEOUT_MS) -> None:
    """Wait until Streamlit is connected, has finished running the script, and shows no stale elements.

    Right after a click the rerun may not have started yet: wait for what the click should show first,
    then call this to let the run finish.
    """
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=timeout)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_selector('[data-testid="stStatusWidget"]:has-text("Running")', state="detached", timeout=timeout)
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=timeout)


def settled_boxes(page: Page, *locators: Locator, timeout: float = TIMEOUT_MS) -> list[dict]:
    """The bounding boxes of ``locators`` once the layout has stopped moving: three reads 150 ms apart that agree.

    A run's elements can be drawn before those above them have their final height (a caption, a chart's
    canvas), so one read right after they appear may catch them mid-layout.
    """
    deadline = time.monotonic() + timeout / 1000
    reads = []
    while True:
        reads = [*reads[-2:], [locator.bounding_box() for locator in locators]]
        if len(reads) == 3 and reads[0] == reads[1] == reads[2]:
            return reads[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"the layout kept moving for {timeout / 1000:.0f} s: {reads}")
        page.wait_for_timeout(150)


def assert_no_exception(page: Page) -> None:
    """No Python exception shown to the user: neither Streamlit's exception element nor a traceback."""
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, f"exception shown: {exceptions.all_inner_texts()}"
    body = page.locator("body").inner_text()
    assert "Traceback" not in body, body


def wait_for_charts(page: Page, at_least: int = 1, timeout: float = TIMEOUT_MS) -> int:
    """Wait until at least ``at_least`` Vega charts are drawn and every chart on the page has its canvas/svg."""
    page.wait_for_function(
        """n => {
            const charts = document.querySelectorAll('.vega-embed');
            const drawn = document.querySelectorAll('.vega-embed canvas, .vega-embed svg.marks');
            return charts.length >= n && drawn.length >= charts.length;
        }""",
        arg=at_least, timeout=timeout,
    )
    return page.locator(".vega-embed canvas, .vega-embed svg.marks").count()


# The dashboard's charts are drawn on canvases (ui.slots.chart_spec), which hold no text or shapes to look at. Vega
# lays a chart out the same whatever draws it, so a test of that layout (titles, legends, plot heights) asks each
# chart's own Vega view for its scene as SVG (View.toSVG) and lays it, hidden, exactly over the canvas: the same
# classes and boxes a chart drawn in SVG would have. Streamlit gives no handle on the view; it keeps it in a hook of
# the chart's React component, reached through React's fiber of the chart's element. When that changes, the
# function throws, and the tests that read a chart's layout fail.
SCENES_AS_SVG = """async () => {
    const isView = value => value && typeof value === 'object' && typeof value.toSVG === 'function'
        && typeof value.scenegraph === 'function';
    const viewOf = chart => {
        for (let element = chart; element; element = element.parentElement) {
            const key = Object.keys(element).find(name => name.startsWith('__reactFiber$'));
            for (let fiber = key && element[key]; fiber; fiber = fiber.return) {
                for (let hook = fiber.memoizedState; hook && typeof hook === 'object' && 'next' in hook;
                     hook = hook.next) {
                    const held = hook.memoizedState;
                    for (const candidate of [held, held?.current, held?.current?.view]) {
                        if (isView(candidate)) return candidate;
                    }
                }
            }
        }
        throw new Error("no Vega view found behind a chart: Streamlit keeps it elsewhere now");
    };
    const charts = [...document.querySelectorAll('[data-testid="stMain"] .vega-embed')];
    for (const chart of charts) {
        chart.querySelectorAll(':scope > .scene-as-svg').forEach(copy => copy.remove());
        const scene = document.createElement('div');
        scene.className = 'scene-as-svg';
        scene.innerHTML = await viewOf(chart).toSVG();
        const drawing = chart.querySelector('canvas, svg.marks').getBoundingClientRect();
        const box = chart.getBoundingClientRect();
        if (getComputedStyle(chart).position === 'static') chart.style.position = 'relative';
        Object.assign(scene.style, {position: 'absolute', left: `${drawing.left - box.left - chart.clientLeft}px`,
                                    top: `${drawing.top - box.top - chart.clientTop}px`, visibility: 'hidden',
                                    pointerEvents: 'none'});
        chart.appendChild(scene);
    }
    return charts.length;
}"""


def scenes_as_svg(page: Page) -> int:
    """Lay each chart's scene, as SVG, over its canvas in the main area (``.scene-as-svg svg.marks``); how many."""
    return page.evaluate(SCENES_AS_SVG)


def main(page: Page) -> Locator:
    return page.locator('[data-testid="stMain"]')


def sidebar(page: Page) -> Locator:
    return page.locator('[data-testid="stSidebar"]')


def alert(scope: Page | Locator, kind: str) -> Locator:
    """The message text (without the icon) of every st.``kind`` alert in ``scope``: success, info, warning, error."""
    return scope.locator(f'[data-testid="stAlertContent{kind.capitalize()}"] [data-testid="stMarkdownContainer"]')


def alerts(scope: Page | Locator) -> list[str]:
    """The text of every st.success/info/warning/error in ``scope``."""
    return [text.strip() for text in scope.locator('[data-testid="stAlert"] [data-testid="stMarkdownContainer"]')
            .all_inner_texts()]


def errors(scope: Page | Locator) -> list[str]:
    """The text of every st.error in ``scope``."""
    return [text.strip() for text in alert(scope, "error").all_inner_texts()]


def read_table(table: Locator) -> dict[str, dict[str, str]]:
    """An st.table as ``{row name: {column name: cell text}}`` (the index column's header is dropped)."""
    expect(table.locator("tbody tr").first).to_be_visible()  # drawn, not only its frame
    header = [text.strip() for text in table.locator("thead th").all_inner_texts()][1:]
    rows = {}
    for row in table.locator("tbody tr").all():
        name = row.locator("th").inner_text().strip()
        cells = [text.strip() for text in row.locator("td").all_inner_texts()]
        assert len(cells) == len(header), (name, cells, header)
        rows[name] = dict(zip(header, cells, strict=True))
    return rows


def to_float(text: str) -> float:
    """A number as the app prints it (``-3.40001``, ``1.2e-05``, with a Unicode minus or ∞)."""
    text = text.strip().replace("−", "-")
    if text in ("∞", "-∞"):
        return float(text.replace("∞", "inf"))
    match = NUMBER.fullmatch(text)
    assert match, f"not a number: {text!r}"
    return float(text)


def nav_links(page: Page) -> Locator:
    """The sidebar's links to the pages (ui.navigation.page_links)."""
    return sidebar(page).locator('[data-testid="stPageLink-NavLink"]')


def click_nav(page: Page, title: str) -> None:
    """Go to another page by its link in the sidebar, as a person would (the session is kept)."""
    nav = nav_links(page)
    nav.filter(has=page.get_by_text(title, exact=True)).click()
    expect(page.locator("h1").first).to_be_visible()
    wait_for_app(page)


def full_page_screenshot(page: Page, path: str) -> None:
    """A screenshot of the whole page. Streamlit scrolls inside its main element, not the document, so
    Playwright's ``full_page`` sees one screen: make the viewport as tall as the content instead."""
    viewport = page.viewport_size
    assert viewport is not None
    height = page.evaluate(
        """() => Math.max(...['stMain', 'stSidebarContent'].map(
            id => document.querySelector(`[data-testid="${id}"]`)?.scrollHeight ?? 0))"""
    )
    page.set_viewport_size({"width": viewport["width"], "height": max(viewport["height"], int(height))})
    try:
        wait_for_charts(page, at_least=0)
        page.wait_for_timeout(300)  # let Vega finish redrawing after the resize (it has no "done" signal)
        page.screenshot(path=path, full_page=True)
    finally:
        page.set_viewport_size(viewport)

"""Every page opens in a real browser; the Learning-rate page trains one run per rate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_helpers import (
    alert,
    alerts,
    assert_no_exception,
    click_nav,
    full_page_screenshot,
    main,
    nav_links,
    read_table,
    sidebar,
    to_float,
    wait_for_app,
    wait_for_charts,
)
from playwright.sync_api import expect

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = {
    "/": "Train linear regression with minibatch SGD",
    "/learning_rate": "Choosing the learning rate",
    "/batch_size": "Choosing the batch size",
    "/momentum": "Why momentum helps",
    "/data": "Data",
    "/export": "Export and share",
}
# What each page says before anything was trained or uploaded.
FIRST_MESSAGE = {
    "/": "Ready: synthetic data, 1,000 rows",
    "/learning_rate": "Press Train all",
    "/batch_size": "Press Train all",
    "/momentum": "Press Train",
    "/data": "No file yet.",
    "/export": "Nothing trained yet",
}


@pytest.mark.browser
def test_every_page_opens_without_error(open_page):
    page = open_page("/")
    problems = []
    for path, title in PAGES.items():
        if path != "/":
            page.goto(path)
            wait_for_app(page)
        shown = [text.strip() for text in page.locator("h1").all_inner_texts()]
        exceptions = page.locator('[data-testid="stException"]').all_inner_texts()
        messages = alerts(main(page))
        if shown[:1] != [title] or exceptions or "Traceback" in page.locator("body").inner_text():
            problems.append(f"{path}: title {shown}, exception {exceptions}")
        elif not any(message.startswith(FIRST_MESSAGE[path]) for message in messages):
            problems.append(f"{path}: expected a message starting {FIRST_MESSAGE[path]!r}, got {messages}")
    assert not problems, "\n".join(problems)


@pytest.mark.browser
def test_fresh_server_serves_a_page_link_with_the_router(browser, fresh_server):
    """A shared link to a page, opened by the first visitor after the server starts, gets the app's sidebar
    (the router's navigation and settings) and no "Page not found": until dashboard.py has run once, Streamlit
    serves pages/ by file name without the router (see ui.navigation.require_router)."""
    path = "/data?epochs=30"
    context = browser.new_context(base_url=fresh_server.url)
    try:
        page = context.new_page()
        page.goto(path)
        wait_for_app(page)
        expect(page.locator("h1").first).to_have_text(PAGES[path.split("?")[0]])
        titles = ["Train", "Learning rate", "Batch size", "Momentum", "Data", "Export and share"]
        # The links come after the page's title in the same run: wait for them, as a person would.
        expect(nav_links(page), "the page ran without dashboard.py's st.navigation").to_have_text(
            [re.compile(rf"(^|\n)\s*{re.escape(title)}\s*$") for title in titles], use_inner_text=True)
        expect(sidebar(page).get_by_role("radiogroup", name="Data source")).to_be_visible()
        expect(sidebar(page).get_by_role("spinbutton", name="Epochs", exact=True)).to_have_value("30")
        expect(page.get_by_text("Page not found")).to_have_count(0)
    finally:
        context.close()


@pytest.mark.browser
def test_learning_rate_page_trains_one_run_per_rate(open_page):
    page = open_page("/learning_rate")
    assert_no_exception(page)
    caption = main(page).get_by_text(re.compile(r"^Stability limit for this data: 2/λ_max = [\d.]+"))
    expect(caption).to_be_visible()
    limit = to_float(re.search(r"2/λ_max = ([\d.]+)", caption.inner_text())[1])

    page.get_by_role("button", name="Train all").click()
    table = main(page).locator('[data-testid="stTable"]')
    expect(table).to_be_visible()
    wait_for_app(page)
    assert_no_exception(page)
    rows = read_table(table)
    print(f"\nlearning-rate page outcomes: { {rate: row['outcome'] for rate, row in rows.items()} }")

    # The default multiples 0.1, 0.5, 1, 1.9, 2.1 of 1/λ_max are 0.05 … 1.05 of the stability limit 2/λ_max.
    assert [to_float(row["η / stability limit"]) for row in rows.values()] == [0.05, 0.25, 0.5, 0.95, 1.05]
    for rate, row in rows.items():
        assert to_float(rate) / limit == pytest.approx(to_float(row["η / stability limit"]), rel=0.01), (rate, row)
    outcomes = [row["outcome"] for row in rows.values()]
    assert all(outcome.startswith("finished: parameters within ") for outcome in outcomes[:4]), outcomes
    assert "diverg" in outcomes[4], outcomes
    assert to_float(rows[list(rows)[4]]["contraction per step"]) > 1 > max(
        to_float(row["contraction per step"]) for row in list(rows.values())[:4])
    gaps = [to_float(row["gap to closed form"]) for row in rows.values()]
    assert max(abs(gap) for gap in gaps[1:3]) < 1e-6 and gaps[4] > 1, gaps

    assert wait_for_charts(page, at_least=2) >= 2  # losses overlaid, and the paths on the landscape
    DOCS.mkdir(exist_ok=True)
    full_page_screenshot(page, str(DOCS / "learning_rate.png"))


@pytest.mark.browser
def test_settings_made_on_other_pages_survive_a_train_click(open_page):
    """A Train click reruns the Train page's runs alone (a fragment), and Streamlit then forgets the widgets it did
    not draw on that page unless the run sets them: the other pages' settings came back empty (the Learning rate
    page then refused its rates). Each is kept, on its page and in the address bar."""
    page = open_page("/learning_rate")
    rates = page.get_by_role("textbox", name="Learning rates to compare")
    rates.fill("0.2, 0.7")
    rates.press("Enter")
    wait_for_app(page)
    click_nav(page, "Train")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(alert(main(page), "success")).to_contain_text(re.compile("^Finished"))
    wait_for_app(page)
    page.get_by_role("button", name="Train", exact=True).click()  # a second click: a second fragment's run
    expect(alert(main(page), "success")).to_contain_text(re.compile("^Finished"))
    wait_for_app(page)
    click_nav(page, "Learning rate")
    expect(page.get_by_role("textbox", name="Learning rates to compare")).to_have_value("0.2, 0.7")
    assert "learning_rates_compared=0.2" in page.url, page.url
    assert not [text for text in alerts(main(page)) if "enter at least one number" in text]
    assert_no_exception(page)

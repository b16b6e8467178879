"""The Train page's controls in a real browser: Streamlit's own Stop (top right) keeps what was trained in view."""

from __future__ import annotations

import re

import pytest
from browser_helpers import assert_no_exception, main, wait_for_app, wait_for_charts
from playwright.sync_api import expect


@pytest.mark.browser
def test_streamlit_own_stop_keeps_the_run_so_far_on_the_page(open_page):
    page = open_page("/?n=400000&bs=1&epochs=1000&lr=0.001")
    wait_for_charts(page, at_least=5)
    page.get_by_role("button", name="Train", exact=True).click()
    bar = main(page).locator('[data-testid="stProgress"]')
    expect(bar.get_by_text(re.compile(r"^Epoch ([2-9]|\d\d+) of 1,000"))).to_be_visible(timeout=60_000)
    # Streamlit's Stop, in the status widget at the top right, ends the script without a rerun.
    page.locator('[data-testid="stStatusWidget"]').get_by_role("button").click()
    expect(page.locator('[data-testid="stStatusWidget"]')).to_be_hidden(timeout=30_000)
    main_area = main(page)
    # The charts, the status and the comparison with the closed form are still there.
    expect(main_area.locator(".vega-embed")).to_have_count(5)
    expect(main_area.get_by_text("SGD against the closed form", exact=True)).to_be_visible()
    expect(main_area.locator('[data-testid="stTable"]')).to_have_count(1)
    expect(main_area.get_by_text(re.compile(r"^Training: what is trained so far is kept"))).to_be_visible()
    step = int(re.search(r"step ([\d,]+) of", bar.inner_text()).group(1).replace(",", ""))
    assert step > 0

    # The next click finds the run kept and stopped: Train continues it from there.
    page.get_by_role("button", name="Stop", exact=True).click()
    wait_for_app(page)
    stopped = main_area.locator('[data-testid="stAlertContentWarning"]').filter(has_text=re.compile(r"^Stopped"))
    expect(stopped).to_be_visible()
    kept = int(re.search(r"at step ([\d,]+)", stopped.inner_text()).group(1).replace(",", ""))
    assert kept >= step
    assert_no_exception(page)

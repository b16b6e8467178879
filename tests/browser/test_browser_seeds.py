"""Seeds per configuration on the Learning-rate page, in a real browser: set on the page, trained, drawn as bands."""

from __future__ import annotations

import re

import pytest
from browser_helpers import (
    TIMEOUT_MS,
    assert_no_exception,
    main,
    read_table,
    settled_boxes,
    wait_for_app,
    wait_for_charts,
)
from playwright.sync_api import Locator, Page, expect

TOOLTIP = "#vg-tooltip-element.visible"


def hover_until_tooltip(page: Page, chart: Locator, text: str) -> str:
    """Move the mouse over ``chart`` on a grid, row by row, until Vega's tooltip shows ``text``; its whole text.

    The band's points lie where the runs took the loss, which the test does not know: a person finds them the
    same way, by moving the mouse over the chart.
    """
    chart.scroll_into_view_if_needed()  # the mouse hovers only what the window shows
    (box,) = settled_boxes(page, chart)
    assert box is not None
    for row in range(4, 30):
        for column in range(4, 40):
            page.mouse.move(box["x"] + box["width"] * column / 44, box["y"] + box["height"] * row / 34)
            tooltip = page.locator(TOOLTIP)
            if tooltip.count() and text in tooltip.inner_text():
                return tooltip.inner_text()
    raise AssertionError(f"no tooltip with {text!r} anywhere over the chart")


@pytest.mark.browser
def test_seeds_set_on_the_learning_rate_page_draw_each_rate_as_a_median_and_a_band(open_page):
    page = open_page("/learning_rate?learning_rate_page_epochs=10&learning_rates_compared=0.5,1.9")
    assert_no_exception(page)
    body = main(page)
    expect(body.get_by_text("This page trains 2 runs, one per configuration, with seed 0.")).to_be_visible()

    # The toggle's label (the lesson panel's text names it too, in bold)
    body.get_by_role("paragraph").filter(has_text=re.compile(r"^Full batch$")).click()  # the sidebar's batch size
    wait_for_app(page)
    seeds = body.get_by_role("spinbutton", name="Seeds per configuration")
    expect(seeds).to_have_value("1")
    seeds.fill("5")
    seeds.press("Enter")
    caption = body.get_by_text(re.compile(r"^This page trains 10 runs: 2 configurations × 5 seeds \(0, 1, …, 4"))
    expect(caption).to_be_visible()
    expect(caption).to_contain_text("a band, 10–90% quantiles")
    wait_for_app(page)
    assert "repeat_seeds=5" in page.url  # the address bar is a share link that carries it

    page.get_by_role("button", name="Train all").click()
    table = body.locator('[data-testid="stTable"]')
    expect(table).to_be_visible(timeout=TIMEOUT_MS)  # on a fresh server the kernel may still be compiling
    wait_for_app(page)
    assert_no_exception(page)
    rows = read_table(table)
    assert len(rows) == 2
    for row in rows.values():
        assert row["seed of the median run"] in {"0", "1", "2", "3", "4"}, row
        assert row["final loss over the seeds"].endswith("(10–90% of 5)"), row
    expect(body.get_by_text(re.compile("each row quotes the configuration's median run"))).to_be_visible()

    # The loss chart and the landscape in the page, as with one seed, and the sidebar's zones strip.
    assert wait_for_charts(page, at_least=3) == 3
    loss_chart = body.locator(".vega-embed").first
    shown = hover_until_tooltip(page, loss_chart, "band from")
    assert "10–90% of 5 seeds" in shown and "median loss" in shown and "band to" in shown, shown

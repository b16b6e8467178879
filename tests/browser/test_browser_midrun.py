"""Issue 18, point 9, in a real browser: pause a run, move the learning-rate slider, press Train, and the run
continues from where it was, with the change said in words and drawn on the loss chart."""

from __future__ import annotations

import re

import pytest
from browser_helpers import assert_no_exception, main, settled_boxes, sidebar, wait_for_app, wait_for_charts
from playwright.sync_api import expect


@pytest.mark.browser
def test_a_paused_run_continues_with_the_learning_rate_set_on_the_slider(open_page):
    page = open_page("/")
    wait_for_charts(page, at_least=5)
    page.get_by_role("button", name="Step", exact=True).click()
    area = main(page)
    expect(area.get_by_text(re.compile(r"^Paused after epoch 1 of 3"))).to_be_visible()
    wait_for_app(page)
    bar = area.locator('[data-testid="stProgress"]')
    expect(bar).to_contain_text("step 80 of 240")

    slider = sidebar(page).get_by_role("slider", name="Learning rate η (log scale)")
    slider.focus()
    slider.press("ArrowRight")  # the next rate of the grid: 0.03 → 0.05
    expect(slider).to_have_attribute("aria-valuetext", "0.05")
    expect(area.get_by_text(re.compile(r"\(learning rate 0\.03 → 0\.05\): Train continues it with them from "
                                       r"step 80"))).to_be_visible()
    wait_for_app(page)

    page.get_by_role("button", name="Train", exact=True).click()
    expect(area.get_by_text(re.compile(r"^Finished 3 epochs"))).to_be_visible()
    wait_for_app(page)
    # The run went on from step 80 to 240: the same run, not a new one of 240 steps at the new rate.
    expect(bar).to_contain_text("step 240 of 240")
    expect(area.get_by_text("Continued the run from step 80 with the new settings: learning rate 0.03 → 0.05; "
                            "the loss chart marks the change with a dotted line.")).to_be_visible()
    wait_for_charts(page, at_least=5)
    assert_no_exception(page)
    # The loss chart's dotted rule at the change: hovering along the chart finds its hover text.
    loss_chart = area.locator(".vega-embed").first
    wait_for_app(page)
    (box,) = settled_boxes(page, loss_chart)
    tooltip = page.locator("#vg-tooltip-element")
    found = ""
    for x in range(int(box["x"]), int(box["x"] + box["width"]), 3):  # the rule's hover area is 9 pixels wide
        page.mouse.move(x, box["y"] + box["height"] * 0.3)
        if tooltip.count() and tooltip.is_visible() and "settings changed" in tooltip.inner_text():
            found = tooltip.inner_text()
            break
    assert "learning rate 0.03 → 0.05" in found and "80" in found, found

"""The minibatch step view in a real browser: Step by one minibatch, twice, moves the run one step each time, and
the angle between the next minibatch's gradient and the full gradient is shown anew."""

from __future__ import annotations

import re

import pytest
from browser_helpers import assert_no_exception, main, wait_for_app, wait_for_charts
from playwright.sync_api import expect

ANGLE = re.compile(r"Angle between its minibatch gradient and the full gradient: ([0-9.]+)°")


@pytest.mark.browser
def test_step_by_one_minibatch_twice(open_page):
    page = open_page("/")
    wait_for_charts(page, at_least=5)
    area = main(page)
    area.get_by_text("by one minibatch", exact=True).click()
    wait_for_app(page)
    caption = area.get_by_text(ANGLE)
    expect(caption).to_be_visible()
    expect(caption).to_contain_text("Next step 1 ")
    angles = [float(ANGLE.search(caption.inner_text()).group(1))]
    bar = area.locator('[data-testid="stProgress"]')

    for step in (1, 2):
        page.get_by_role("button", name="Step", exact=True).click()
        expect(bar.get_by_text(re.compile(rf"· step {step} of "))).to_be_visible()
        expect(caption).to_contain_text(f"Next step {step + 1} ")
        wait_for_app(page)
        angles.append(float(ANGLE.search(caption.inner_text()).group(1)))
        paused = area.locator('[data-testid="stAlertContentWarning"]').filter(has_text=f"Paused at step {step},")
        expect(paused).to_be_visible()

    assert len(set(angles)) == 3, angles  # a new point and a new minibatch each time: a new angle
    expect(area.locator(".vega-embed")).to_have_count(5)  # the charts drawn again, with the arrows and the rows
    assert_no_exception(page)

"""Issue 18 in a real browser: the learning-rate zones strip is drawn under the slider and moves with the batch size."""

from __future__ import annotations

import io

import numpy as np
import pytest
from browser_helpers import assert_no_exception, settled_boxes, sidebar, wait_for_app
from PIL import Image
from playwright.sync_api import Locator, expect

import sgdcore

RED = np.array([0xDE, 0x2D, 0x26])  # ui.zones.ZONE_COLOURS["diverging"]


def red_starts_at(strip: Locator) -> int:
    """The first pixel column, from the left, where the strip is the diverging zone's red."""
    pixels = np.asarray(Image.open(io.BytesIO(strip.screenshot())).convert("RGB"), dtype=int)
    row = pixels[11]  # through the middle of the coloured band (4–18 px from the top)
    red = np.flatnonzero(np.abs(row - RED).sum(axis=1) < 30)
    assert len(red), "no red zone drawn"
    return int(red[0])


def expected_limit(batch_size: int) -> float:
    """The limit at ``batch_size`` on the dashboard's default data (1000 synthetic rows, 20% held out)."""
    problem = sgdcore.make_problem(sgdcore.synthetic(1000, [2.0, -3.4], 4.2, 0.01, 0), test_fraction=0.2, seed=0)
    return sgdcore.minibatch_stability_limit(problem.train, batch_size).learning_rate


@pytest.mark.browser
def test_the_zones_strip_is_drawn_under_the_slider_and_moves_when_the_batch_size_changes(open_page):
    page = open_page("/")
    bar = sidebar(page)
    zones_caption = bar.get_by_text("Zones:", exact=False)
    expect(zones_caption).to_contain_text(f"red may diverge from {expected_limit(10):.3g} (the limit at batch size 10)")
    strip = bar.locator(".vega-embed")
    expect(strip).to_have_count(1)  # the constant schedule draws no schedule chart: the strip is the only one
    expect(strip.locator("canvas, svg.marks")).to_have_count(1)
    slider = bar.locator('[data-testid="stSlider"]').filter(has_text="Learning rate")
    wait_for_app(page)
    slider_box, strip_box = settled_boxes(page, slider, strip)
    assert 0 < strip_box["y"] - (slider_box["y"] + slider_box["height"]) < 40  # right under the slider
    assert abs(strip_box["width"] - slider_box["width"]) < 2  # as wide as the slider: the same scale
    before = red_starts_at(strip)

    batch_size = bar.get_by_label("Batch size", exact=True)
    batch_size.fill("1")
    batch_size.press("Enter")
    expect(zones_caption).to_contain_text(f"red may diverge from {expected_limit(1):.3g} (the limit at batch size 1)")
    wait_for_app(page)
    after = red_starts_at(strip)
    # Batch size 1's limit is lower: the red zone starts further left, by the slider's own log scale.
    assert after < before - 5, (before, after)
    assert_no_exception(page)

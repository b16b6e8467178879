"""The truth about minibatch SGD in a real browser: a rate below the full-batch limit but above the one for
batch size 1 is warned about before training, the divergence is explained after it with the right limit,
and the suggested rate is applied with one click. Every number shown is checked against sgdcore's."""

from __future__ import annotations

import re

import pytest
from browser_helpers import alert, assert_no_exception, main, sidebar, wait_for_app
from playwright.sync_api import expect

import sgdcore

WEIGHTS = [1.0] * 50


def expected_limits() -> sgdcore.Limits:
    """The limits of the link's settings on the data the dashboard makes of it (its defaults otherwise)."""
    data = sgdcore.synthetic(1000, WEIGHTS, 4.2, 0.01, 0)
    problem = sgdcore.make_problem(data, standardize=False, test_fraction=0.2, seed=0)
    return sgdcore.run_limits(problem, sgdcore.TrainConfig(batch_size=1))


@pytest.mark.browser
def test_a_rate_above_the_minibatch_limit_is_warned_about_then_explained_then_fixed_in_one_click(open_page):
    limits = expected_limits()
    minibatch, full = limits.minibatch.learning_rate, limits.full_batch
    assert minibatch < 0.05 < full  # the full-batch limit alone would call this rate safe
    page = open_page("/?true_weights=" + ", ".join("1" for _ in WEIGHTS) + "&batch_size=1&learning_rate=0.05")
    assert_no_exception(page)

    # Before training: both limits beside the learning rate, and the warning, in the sidebar and on the page.
    expect(sidebar(page).get_by_text(f"Stability limit {minibatch:.3g} at batch size 1; {full:.3g} with the full "
                                     "batch.")).to_be_visible()
    warning = (f"Learning rate 0.05 is {0.05 / minibatch:.2g}× the stability limit {minibatch:.3g} for batch size 1, "
               f"though below the full-batch limit {full:.3g}")
    for scope in (sidebar(page), main(page)):
        expect(alert(scope, "warning").filter(has_text=warning)).to_have_count(1)
    shown = alert(main(page), "warning").filter(has_text=warning).inner_text()
    numbers = re.match(r"Learning rate 0\.05 is ([\d.]+)× the stability limit ([\d.]+) for batch size 1, though "
                       r"below the full-batch limit ([\d.]+)", shown)
    assert numbers, shown
    ratio, shown_limit, shown_full = map(float, numbers.groups())
    assert shown_limit == pytest.approx(minibatch, rel=5e-3) and shown_full == pytest.approx(full, rel=5e-3)
    assert ratio == pytest.approx(0.05 / minibatch, rel=0.05)

    # After training: diverged, with the limit it crossed, never a green "Finished".
    page.get_by_role("button", name="Train", exact=True).click()
    error = alert(main(page), "error")
    expect(error).to_contain_text(re.compile(r"^Diverged at step \d+: "))
    wait_for_app(page)
    assert_no_exception(page)
    text = error.inner_text().strip()
    print(f"\nverdict: {text}")
    match = re.match(r"Diverged at step (\d+): learning rate 0\.05 is ([\d.]+)× the stability limit ([\d.]+) for "
                     r"batch size 1, though below the full-batch limit ([\d.]+): .* Use learning rate ([\d.]+), half "
                     r"the limit", text)
    assert match, text
    assert float(match[3]) == pytest.approx(minibatch, rel=5e-3) and float(match[4]) == pytest.approx(full, rel=5e-3)
    half = sgdcore.round_down(minibatch / 2)
    assert float(match[5]) == half
    expect(alert(main(page), "success")).to_have_count(0)

    # One click sets the suggested rate: the slider shows it, the address bar carries it, and the warning is gone.
    main(page).get_by_role("button", name=f"Use learning rate {half:g}").first.click()
    slider = sidebar(page).get_by_role("slider", name="Learning rate η (log scale)")
    expect(slider).to_have_attribute("aria-valuetext", f"{half:g}")
    expect(page).to_have_url(re.compile(rf"[?&]learning_rate={re.escape(f'{half:g}')}(&|$)"))
    wait_for_app(page)
    expect(alert(main(page), "warning").filter(has_text="expect divergence")).to_have_count(0)
    page.get_by_role("button", name="Train", exact=True).click()
    expect(main(page).get_by_text(re.compile(r"^Finished 3 epochs\."))).to_be_visible()
    wait_for_app(page)
    expect(alert(main(page), "error")).to_have_count(0)
    assert_no_exception(page)

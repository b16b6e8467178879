"""A classroom link in a real browser: it hides what it says, the controls it shows work, and training uses the
values it fixes."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_helpers import assert_no_exception, click_nav, main, sidebar, wait_for_app
from playwright.sync_api import expect

LINK = "/?epochs=7&momentum=0.5&show=learning_rate,batch_size"
HIDDEN = ("Epochs", "Momentum μ", "Data source", "Rows", "True weights w", "Weight decay (L2)",
          "Learning-rate schedule", "Standardise features and target")


@pytest.mark.browser
def test_a_classroom_link_hides_what_it_says_and_fixes_what_it_says(open_page):
    page = open_page(LINK)
    assert_no_exception(page)
    bar = sidebar(page)
    notice = bar.get_by_text(re.compile(r"^Classroom link: fixed — "))
    expect(notice).to_contain_text("Epochs 7")
    expect(notice).to_contain_text("You may change: Learning rate η; Batch size.")
    for label in HIDDEN:
        expect(bar.get_by_label(label, exact=True)).to_have_count(0)
    expect(bar.get_by_text("More: warm-up, early stopping, seed, threads")).to_have_count(0)

    # The shown controls work: the batch size typed here is the one the link then carries and training uses.
    rate = bar.get_by_role("slider", name="Learning rate η (log scale)")
    expect(rate).to_have_attribute("aria-valuetext", "0.03")
    batch_size = bar.get_by_label("Batch size", exact=True)
    batch_size.fill("20")
    batch_size.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]batch_size=20(&|$)"))
    wait_for_app(page)

    page.get_by_role("button", name="Train", exact=True).click()
    status = main(page).locator('[data-testid="stAlertContentSuccess"]')
    expect(status).to_contain_text(re.compile(r"^Finished 7 epochs\."))
    wait_for_app(page)
    assert_no_exception(page)
    link = {name: values[-1] for name, values in parse_qs(urlsplit(page.url).query).items()}
    assert link == {"epochs": "7", "momentum": "0.5", "show": "learning_rate,batch_size", "batch_size": "20"}, link

    # Another page keeps the controls hidden and says the same
    click_nav(page, "Momentum")
    expect(sidebar(page).get_by_text(re.compile(r"^Classroom link: fixed — .*Epochs 7"))).to_be_visible()
    expect(sidebar(page).get_by_label("Epochs", exact=True)).to_have_count(0)
    assert_no_exception(page)

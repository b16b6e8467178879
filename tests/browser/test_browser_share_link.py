"""Share links in a real browser: a link restores the sidebar, and the address bar follows every change."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_helpers import assert_no_exception, main, sidebar, wait_for_app
from playwright.sync_api import expect

SHARED = {"learning_rate": "0.01", "batch_size": "32", "epochs": "5", "momentum": "0.9"}
OLD_NAMES = {"lr": "learning_rate", "bs": "batch_size", "mom": "momentum"}  # a link from before the full names


def query(url: str) -> dict[str, str]:
    return {name: values[-1] for name, values in parse_qs(urlsplit(url).query).items()}


def expect_settings(page, *, lr: str, batch_size: str, epochs: str, momentum: str) -> None:
    bar = sidebar(page)
    expect(bar.get_by_role("slider", name="Learning rate η (log scale)")).to_have_attribute("aria-valuetext", lr)
    expect(bar.get_by_role("slider", name="Momentum μ")).to_have_attribute("aria-valuetext", momentum)
    expect(bar.get_by_label("Batch size", exact=True)).to_have_value(batch_size)
    expect(bar.get_by_label("Epochs", exact=True)).to_have_value(epochs)


@pytest.mark.browser
@pytest.mark.parametrize("names", ["full", "old"])
def test_share_link_restores_settings_and_the_url_follows_changes(open_page, names):
    # An old link's short names are read too; the address bar then carries the full names.
    old = {new: old for old, new in OLD_NAMES.items()} if names == "old" else {}
    page = open_page("/?" + "&".join(f"{old.get(name, name)}={text}" for name, text in SHARED.items()))
    assert_no_exception(page)
    expect_settings(page, lr="0.01", batch_size="32", epochs="5", momentum="0.90")
    limit = sidebar(page).get_by_text(re.compile(r"Stability limit [\d.]+ at batch size 32; [\d.]+ with the full batch "
                                                 r"\(with momentum\)"))
    expect(limit).to_be_visible()

    # Training with the link's settings uses them (5 epochs), and the link survives the rerun.
    page.get_by_role("button", name="Train", exact=True).click()
    status = main(page).locator('[data-testid="stAlertContentSuccess"]')
    expect(status).to_contain_text(re.compile(r"^Finished 5 epochs\."))
    wait_for_app(page)
    assert query(page.url) == SHARED, page.url

    # Change a setting in the sidebar: the address bar carries it, next to the others.
    epochs = sidebar(page).get_by_label("Epochs", exact=True)
    epochs.fill("7")
    epochs.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]epochs=7(&|$)"))
    wait_for_app(page)
    assert query(page.url) == {**SHARED, "epochs": "7"}, page.url
    expect(main(page).get_by_text("The settings changed since this run")).to_be_visible()
    shared_url = page.url
    assert_no_exception(page)

    # The new link, opened in a fresh session (another person), restores every setting.
    other = open_page(urlsplit(shared_url).path + "?" + urlsplit(shared_url).query)
    expect_settings(other, lr="0.01", batch_size="32", epochs="7", momentum="0.90")
    assert query(other.url) == {**SHARED, "epochs": "7"}, other.url
    other.get_by_role("button", name="Train", exact=True).click()
    expect(main(other).locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(
        re.compile(r"^Finished 7 epochs\."))
    wait_for_app(other)
    assert_no_exception(other)


@pytest.mark.browser
def test_share_link_with_a_bad_value_says_so_and_uses_the_default(open_page):
    page = open_page("/?learning_rate=abc&epochs=4")
    toast = page.locator('[data-testid="stToast"]')
    expect(toast).to_contain_text("The link's value 'abc' for 'learning_rate' is not valid; using 0.03 instead.")
    expect_settings(page, lr="0.03", batch_size="10", epochs="4", momentum="0.00")
    assert query(page.url) == {"epochs": "4"}, page.url
    assert_no_exception(page)

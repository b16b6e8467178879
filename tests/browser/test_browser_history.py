"""The browser's Back and Forward buttons: every setting lives in the address bar (ui.widgets.sync_query_params), and
Streamlit adds a history entry each time the script writes another query string. Back after a page switch returns
to the previous page in one press, Back after a change of settings restores the previous settings (the address and
the widgets agree), and Back from the page a link opened leaves the app in one press."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from browser_helpers import TIMEOUT_MS, assert_no_exception, click_nav, main, sidebar, wait_for_app
from conftest import VIEWPORT
from playwright.sync_api import Page, expect

BEFORE = "data:text/html,<h1>The course's page</h1>"  # where a student comes from: Back from the app returns here
RATE = "Learning rate η (log scale)"


def query(page: Page) -> dict[str, str]:
    return {name: values[-1] for name, values in parse_qs(urlsplit(page.url).query).items()}


def history_length(page: Page) -> int:
    return page.evaluate("history.length")


def open_after_another_site(browser, server, path: str, locale: str = "en-US") -> Page:
    """``path`` opened in a fresh context (its own session) by a browser in ``locale``, coming from another page."""
    context = browser.new_context(viewport=VIEWPORT, base_url=server.url, locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(BEFORE)
    page.goto(path)
    wait_for_app(page)
    return page


def back(page: Page) -> None:
    # Back within the app changes the address without loading a page: Streamlit reruns the script with it
    page.go_back(wait_until="commit")


# The Train and Batch size pages' titles, the Batch size page's link and the Epochs box, in each language
TEXTS = {
    "en": ("Train linear regression with minibatch SGD", "Choosing the batch size", "Batch size", "Epochs"),
    "zh-CN": ("用小批量随机梯度下降训练线性回归", "选择批量大小", "批量大小", "迭代周期数"),
}


@pytest.mark.browser
@pytest.mark.parametrize(("locale", "language"), [("zh-CN", "zh-CN"), ("en-US", "en")])
def test_back_after_a_page_switch_returns_to_the_previous_page_in_one_press(browser, server, locale, language):
    # A link in the browser's language: as a teacher's Chinese link opened by a Chinese browser
    link = {"epochs": "5"} | ({"lang": language} if language != "en" else {})
    train, batch_size, batch_size_link, epochs = TEXTS[language]
    page = open_after_another_site(browser, server, "/?" + urlencode(link), locale=locale)
    try:
        title = main(page).locator("h1").first
        entries = history_length(page)
        click_nav(page, batch_size_link)
        expect(title).to_have_text(batch_size)
        wait_for_app(page)
        assert urlsplit(page.url).path == "/batch_size" and query(page) == link, page.url
        assert history_length(page) == entries + 1  # one entry for one click

        back(page)
        expect(title).to_have_text(train)
        wait_for_app(page)
        assert urlsplit(page.url).path == "/" and query(page) == link, page.url
        expect(sidebar(page).get_by_label(epochs, exact=True)).to_have_value("5")
        assert_no_exception(page)

        back(page)
        expect(page).to_have_url(BEFORE)
    finally:
        page.context.close()


@pytest.mark.browser
def test_back_after_changes_of_settings_restores_the_previous_settings(browser, server):
    page = open_after_another_site(browser, server, "/")
    try:
        entries = history_length(page)
        rate = sidebar(page).get_by_role("slider", name=RATE)
        expect(rate).to_have_attribute("aria-valuetext", "0.03")
        for expected in ("0.05", "0.07"):  # the slider's next rates
            rate.focus()
            page.keyboard.press("ArrowRight")
            expect(page).to_have_url(re.compile(rf"[?&]learning_rate={expected}(&|$)"))
            wait_for_app(page)
        assert history_length(page) == entries + 2  # one entry for each change

        back(page)
        expect(rate).to_have_attribute("aria-valuetext", "0.05")
        wait_for_app(page)
        assert query(page) == {"learning_rate": "0.05"}, page.url
        back(page)
        expect(rate).to_have_attribute("aria-valuetext", "0.03")
        wait_for_app(page)
        assert query(page) == {}, page.url
        page.go_forward(wait_until="commit")
        expect(rate).to_have_attribute("aria-valuetext", "0.05")
        wait_for_app(page)
        assert query(page) == {"learning_rate": "0.05"}, page.url
        assert history_length(page) == entries + 2  # going back and forth adds none
        assert_no_exception(page)

        # A change after Back is a new entry, and the settings it is made from are those Back restored
        rate.focus()
        page.keyboard.press("ArrowLeft")
        expect(page).to_have_url(re.compile(r"/$"))
        wait_for_app(page)
        assert query(page) == {} and history_length(page) == entries + 2, page.url  # the entry of 0.07 is replaced
    finally:
        page.context.close()


@pytest.mark.browser
def test_back_from_the_page_a_link_opened_leaves_the_app_in_one_press_and_back_restores_the_language(browser, server):
    # A Chinese browser, a link without lang: the page is in Chinese and the address is left as the link was.
    page = open_after_another_site(browser, server, "/?noise=0.5", locale="zh-CN")
    try:
        title = main(page).locator("h1").first
        expect(title).to_have_text("用小批量随机梯度下降训练线性回归")
        assert query(page) == {"noise": "0.5"}, page.url
        entries = history_length(page)

        # Switching to English writes it (an address without lang opens in the browser's language); Back undoes it.
        sidebar(page).get_by_role("combobox", name="🌐 语言").click()
        page.get_by_role("option", name="English").click()
        expect(title).to_have_text("Train linear regression with minibatch SGD")
        wait_for_app(page)
        assert query(page) == {"noise": "0.5", "lang": "en"}, page.url
        assert history_length(page) == entries + 1
        back(page)
        expect(title).to_have_text("用小批量随机梯度下降训练线性回归")
        wait_for_app(page)
        assert query(page) == {"noise": "0.5"}, page.url
        expect(sidebar(page).get_by_label("噪声（标准差）")).to_have_value("0.5")
        assert_no_exception(page)

        back(page)
        expect(page).to_have_url(BEFORE)
    finally:
        page.context.close()

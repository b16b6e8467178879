"""The address bar and the browser's history: the settings are written to the address only when they say something
else than it (ui.settings.same_address), and an address the app did not write (Back, Forward) gives the settings,
as a link does (ui.widgets.follow_address). The browser's side: tests/browser/test_browser_history.py."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui.settings import address_params, same_address

ROOT = Path(__file__).resolve().parents[1]


def test_an_address_without_lang_is_in_the_browser_s_language() -> None:
    chinese = {"noise": 0.5, "lang": "zh-CN"}
    assert address_params(chinese, "zh-CN") == {"noise": "0.5", "lang": "zh-CN"}
    assert same_address({"noise": "0.5"}, address_params(chinese, "zh-CN"), "zh-CN")  # left as the link was
    assert not same_address({"noise": "0.5"}, address_params(chinese, "en"), "en")
    # English chosen in a Chinese browser is written, though it is the default: else the address would reopen Chinese
    assert address_params({"lang": "en"}, "zh-CN") == {"lang": "en"}
    assert address_params({"lang": "en"}, "en") == {}
    assert same_address({"lang": "en"}, address_params({"lang": "en"}, "en"), "en")


def test_an_address_is_the_same_in_another_order_and_other_in_any_setting() -> None:
    params = address_params({"learning_rate": 0.05, "epochs": 5, "true_weights": "2, -3.4, 1"}, "en")
    assert params == {"true_weights": "2, -3.4, 1", "learning_rate": "0.05", "epochs": "5"}
    assert same_address({"epochs": "5", "learning_rate": "0.05", "true_weights": "2, -3.4, 1"}, params, "en")
    assert not same_address({"epochs": "5", "learning_rate": "0.05"}, params, "en")
    assert not same_address({**params, "lr": "0.05"}, params, "en")  # an old name is rewritten to the full one
    assert not same_address({**params, "epochs": "05"}, params, "en")  # as is a value not written as the app writes


def app(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params.update(query)
    return at.run()


def rate(at: AppTest) -> float:
    return at.sidebar.select_slider(key="learning_rate").value


def test_back_to_an_earlier_address_restores_its_settings_and_writes_nothing() -> None:
    at = app(epochs="5")
    assert not at.exception
    first = dict(at.query_params)
    at.sidebar.select_slider(key="learning_rate").set_value(0.05).run()
    assert at.query_params == {"epochs": "5", "learning_rate": "0.05"}
    at.sidebar.select_slider(key="learning_rate").set_value(0.07).run()
    # Back: the frontend reruns the script with the earlier entry's query string
    at.query_params = {"epochs": "5", "learning_rate": "0.05"}
    at.run()
    assert rate(at) == 0.05 and at.query_params == {"epochs": "5", "learning_rate": "0.05"}
    at.query_params = dict(first)
    at.run()
    assert not at.exception
    assert rate(at) == 0.03 and at.sidebar.number_input(key="epochs").value == 5 and at.query_params == first
    # A change after Back starts from the settings Back restored
    at.sidebar.number_input(key="epochs").set_value(6).run()
    assert at.query_params == {"epochs": "6"} and rate(at) == 0.03


def test_back_to_an_address_with_a_bad_value_says_so_again_and_uses_the_default() -> None:
    at = app(learning_rate="abc", epochs="4")
    assert [toast.value for toast in at.toast] == [
        "The link's value 'abc' for 'learning_rate' is not valid; using 0.03 instead."]
    assert at.query_params == {"epochs": "4"}  # the link's address is rewritten without it
    at.sidebar.number_input(key="epochs").set_value(7).run()
    at.query_params = {"learning_rate": "abc", "epochs": "4"}
    at.run()
    assert [toast.value for toast in at.toast] == [
        "The link's value 'abc' for 'learning_rate' is not valid; using 0.03 instead."]
    assert at.sidebar.number_input(key="epochs").value == 4 and at.query_params == {"epochs": "4"}


def test_a_page_switch_keeps_the_settings_and_the_address() -> None:
    # A page link carries the address (ui.navigation.page_links), as AppTest keeps its query parameters
    at = app(epochs="5", show="learning_rate,epochs", lang="zh-CN")
    at.sidebar.select_slider(key="learning_rate").set_value(0.05).run()
    address = dict(at.query_params)
    at.switch_page("pages/batch_size.py").run()
    assert not at.exception
    assert at.query_params == address and at.session_state["learning_rate"] == 0.05
    assert at.session_state["show"] == "learning_rate,epochs" and at.session_state["lang"] == "zh-CN"

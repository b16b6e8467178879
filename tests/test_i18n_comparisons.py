"""The comparison pages (learning rate, batch size, momentum) in Chinese, and their controls in classroom links.

Under ``lang=zh-CN`` each page trains from its Chinese button, and its table's headers, its rows and its chart's
legend name the runs in Chinese; the runs are kept under their English names, so that switching language keeps
them current. A classroom link draws only the page controls it shows, and the runs use the link's value of the
others.
"""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from tests.shown_texts import english
from tests.test_app_pages import app, no_exceptions, open_page
from ui.datasets import ill_conditioned_problem
from ui.i18n import text_in

TRAIN_BUTTONS = {"learning_rate": "learning_rate.train", "batch_size": "batch_size.train",
                 "momentum": "momentum.train_all_three"}
# The table's columns on the default settings (one seed, full-batch learning rates and momentum), in order
COLUMNS = {
    "learning_rate": ["ratio", "contraction", "outcome", "final_loss", "gap"],
    "batch_size": ["steps_per_epoch", "seconds_per_epoch", "steps_per_second", "limit", "outcome", "final_loss", "gap"],
    "momentum": ["outcome", "contraction", "steps_to_distance", "final_gap"],
}
INDEX = {"learning_rate": "rate", "batch_size": "batch_size", "momentum": "optimiser"}
# The runs the default settings train, as the legend and the rows name them in Chinese
RUN_NAMES = {
    "batch_size": ["B = 1", "B = 10", "B = 100", "B = 800（全批量）"],
    "momentum": ["普通梯度下降", "动量法 μ = 0.9", "Nesterov 动量 μ = 0.9"],
}


def zh(key: str, **fields: object) -> str:
    return text_in("zh-CN", key, **fields)


def press(at: AppTest, label: str) -> AppTest:
    buttons = [b for b in at.button if b.label == label]
    assert buttons, f"no button {label!r}; buttons: {[b.label for b in at.button]}"
    buttons[0].click().run()
    no_exceptions(at)
    return at


def drawn_runs(at: AppTest, title: str) -> list[str]:
    """The runs, in order, of the first chart titled ``title``: the names its legend shows."""
    charts = [element for element in at.get("vega_lite_chart") if json.loads(element.proto.spec).get("title") == title]
    assert charts, f"no chart titled {title!r}"
    tables = [pa.ipc.open_stream(dataset.data.data).read_all().to_pandas() for dataset in charts[0].proto.datasets]
    return list(pd.unique(next(table for table in tables if "run" in table)["run"]))


@pytest.mark.parametrize("page", list(TRAIN_BUTTONS))
def test_a_chinese_comparison_page_trains_and_shows_chinese_headers(page: str) -> None:
    at = open_page(app(lang="zh-CN"), page)
    no_exceptions(at)
    assert at.title[0].value == zh(f"{page}.title")
    press(at, zh(TRAIN_BUTTONS[page]))
    table = at.table[0].value
    assert table.index.name == zh(f"{page}.column.{INDEX[page]}")
    headers = [zh(f"{page}.column.{name}") for name in COLUMNS[page]]
    assert list(table.columns[:len(headers)]) == headers
    assert not [header for header in [table.index.name, *table.columns] if english(str(header))]
    assert not [cell for cell in table.index if english(str(cell))]  # the runs' names too
    if page == "momentum":  # its rows are the runs (the others' are the rate and the batch size)
        assert list(table.index) == RUN_NAMES[page]
    if page in RUN_NAMES:
        assert drawn_runs(at, zh(f"{page}.loss_chart")) == RUN_NAMES[page]


def test_the_chinese_batch_size_page_takes_the_full_batch_typed_as_it_names_it() -> None:
    at = open_page(app(lang="zh-CN"), "batch_size")
    at.text_input(key="batch_sizes_compared").input("10，全批量").run()
    no_exceptions(at)
    assert not at.error
    press(at, zh(TRAIN_BUTTONS["batch_size"]))
    assert list(at.table[0].value.index) == ["10", "800"]
    assert drawn_runs(at, zh("batch_size.loss_chart")) == ["B = 10", "B = 800（全批量）"]
    at.text_input(key="batch_sizes_compared").input("10, 全批").run()
    named = zh("settings.list.not_a_whole_number_character", what=zh("settings.what.batch_sizes"), part="'全批'",
               character="全", name="CJK UNIFIED IDEOGRAPH-5168", example="1, 10, 100, full")
    assert [error.value for error in at.error] == [named]
    assert at.session_state["batch_sizes_compared"] == "10, 全批"  # the user's text stays for them to fix


def test_the_learning_rate_page_names_its_runs_in_chinese_and_keeps_them_under_english_names() -> None:
    at = open_page(app(lang="zh-CN", learning_rates_compared="1, 2.1", learning_rate_page_full_batch="0",
                       learning_rate_multiples_of="batch_size", learning_rate_page_epochs="3"), "learning_rate")
    press(at, zh("learning_rate.train"))
    # Multiples of the limit of the sidebar's batch size, 10: each rate is named over that limit
    names = drawn_runs(at, zh("learning_rate.loss_chart"))
    assert len(names) == 2 and all(name.startswith("η = ") and "（上限的 " in name for name in names), names
    kept = list(at.session_state["learning_rate_runs"]["runs"])
    assert [name.replace("（上限的 ", " (").replace(" 倍）", "× the limit)") for name in names] == kept


def test_switching_language_keeps_the_runs_and_renames_them() -> None:
    at = open_page(app(), "momentum")
    press(at, "Train all three")
    kept = at.session_state["momentum_runs"]["key"]
    assert list(at.table[0].value.index) == ["plain gradient descent", "momentum μ = 0.9", "Nesterov μ = 0.9"]
    assert not at.info  # the runs are current
    at.sidebar.selectbox(key="lang").set_value("zh-CN").run()
    no_exceptions(at)
    assert at.session_state["momentum_runs"]["key"] == kept
    assert not at.info  # still current: not "the settings changed since these runs"
    assert list(at.table[0].value.index) == RUN_NAMES["momentum"]
    assert drawn_runs(at, zh("momentum.loss_chart")) == RUN_NAMES["momentum"]


def test_english_pages_are_as_before() -> None:
    at = open_page(app(), "batch_size")
    assert at.text_input(key="batch_sizes_compared").label == "Batch sizes to compare"
    press(at, "Train all")
    assert drawn_runs(at, "Training loss") == ["B = 1", "B = 10", "B = 100", "B = 800 (full)"]
    table = at.table[0].value
    assert list(table.columns[:3]) == ["steps per epoch", "seconds per epoch (median)",
                                       "steps per second (median epoch)"]
    for _, row in table.iterrows():  # one epoch, two ways: its steps over its seconds
        steps_per_second = float(row["steps per second (median epoch)"].replace(",", ""))
        assert steps_per_second == pytest.approx(row["steps per epoch"] / float(row["seconds per epoch (median)"]),
                                                 rel=0.01, abs=1)


def widget_keys(at: AppTest) -> set[str]:
    kinds = ("number_input", "text_input", "slider", "toggle", "radio", "selectbox")
    return {widget.key for kind in kinds for widget in getattr(at.main, kind)}


def test_a_classroom_link_draws_only_its_learning_rate_control_and_fixes_the_epochs() -> None:
    at = open_page(app(show="learning_rates_compared", learning_rate_page_epochs="7"), "learning_rate")
    no_exceptions(at)
    keys = widget_keys(at)
    assert "learning_rates_compared" in keys
    hidden = {"learning_rate_page_epochs", "learning_rates_given_as", "learning_rate_multiples_of",
              "learning_rate_page_full_batch", "repeat_seeds", "chart_axis"}
    assert not keys & hidden, keys & hidden
    at.text_input(key="learning_rates_compared").input("0.5, 1").run()
    press(at, "Train all")
    entry = at.session_state["learning_rate_runs"]
    assert len(entry["runs"]) == 2
    assert {config.epochs for config in entry["configs"].values()} == {7}
    assert {progress.epoch for progress in entry["runs"].values()} == {7}  # trained the link's 7 epochs, not 50
    assert "learning_rate_page_epochs" not in widget_keys(at)


def test_a_classroom_link_fixes_the_momentum_pages_hidden_settings() -> None:
    at = open_page(app(show="momentum_compared", momentum_page_epochs="20", condition_number="10"), "momentum")
    no_exceptions(at)
    keys = widget_keys(at)
    assert "momentum_compared" in keys
    assert not keys & {"condition_number", "momentum_page_rate_multiple", "momentum_page_epochs",
                       "momentum_page_full_batch", "momentum_page_batch_size", "repeat_seeds", "chart_axis"}
    press(at, "Train all three")
    entry = at.session_state["momentum_runs"]
    assert {progress.epoch for progress in entry["runs"].values()} == {20}
    valley = ill_conditioned_problem(10.0, 0)  # the link's condition number, not the default 100
    assert entry["configs"]["plain gradient descent"].learning_rate == 1 / valley.curvature.lambda_max


def progress_texts_script() -> None:
    """Trains a momentum comparison in Chinese with a progress bar that writes down what it is told."""
    import streamlit as st

    import sgdcore
    from ui.widgets import train_comparison

    class Bar:
        def progress(self, fraction: float, text: str) -> None:
            st.session_state.setdefault("bar_texts", []).append(text)

        def empty(self) -> None:
            pass

    st.session_state["lang"] = "zh-CN"
    problem = sgdcore.make_problem(sgdcore.synthetic(n=200), test_fraction=0.0)
    config = sgdcore.TrainConfig(learning_rate=0.1, batch_size=200, epochs=2)
    configs = {"plain gradient descent": config, "momentum μ = 0.9": config.__class__(
        learning_rate=0.1, batch_size=200, epochs=2, momentum=0.9)}
    train_comparison("runs", problem, configs, data_key="d", clicked=True, bar=Bar(),
                     names={"plain gradient descent": "普通梯度下降", "momentum μ = 0.9": "动量法 μ = 0.9"})


def test_the_progress_bar_names_each_run_in_the_page_s_language() -> None:
    at = AppTest.from_function(progress_texts_script, default_timeout=120).run()
    no_exceptions(at)
    texts = at.session_state["bar_texts"]
    assert len(texts) == 2 and "普通梯度下降" in texts[0] and "动量法 μ = 0.9" in texts[1], texts
    assert not any(english(text) for text in texts), texts

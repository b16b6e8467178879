"""Page logic through streamlit.testing.v1.AppTest: set widgets, press buttons, read what is shown.

The app is opened through dashboard.py, the router, as a person opens it, so every page has the
shared sidebar; ``at.switch_page`` moves between pages within the same session.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import sgdcore
from ui.datasets import CSV_KEY
from ui.settings import BY_KEY, bounds

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120


def app(**query: str) -> AppTest:
    """The dashboard with the router and shared sidebar, opened with ``query`` as a share link's parameters."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT)
    for name, text in query.items():
        at.query_params[name] = text
    return at.run()


def open_page(at: AppTest, page: str) -> AppTest:
    return at.switch_page(f"pages/{page}.py").run()


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def button(at: AppTest, label: str):
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r}; buttons: {[b.label for b in at.button]}"
    return matches[0]


def comparison_table(at: AppTest):
    """The Train page's SGD-vs-closed-form table as floats, indexed by coefficient."""
    table = at.table[0].value
    return table.astype(float)


def test_train_page_trains_and_matches_the_closed_form() -> None:
    at = app()
    no_exceptions(at)
    assert any("Ready" in info.value for info in at.info)
    button(at, "Train").click().run()
    no_exceptions(at)
    assert at.success[0].value.startswith("Finished 3 epochs")
    table = comparison_table(at)
    assert list(table.index) == ["x1", "x2", "bias"]
    assert np.allclose(table["SGD"], table["closed form"], atol=0.01)
    assert np.allclose(table["truth"], [2.0, -3.4, 4.2])
    assert np.allclose(table["SGD − closed form"], table["SGD"] - table["closed form"], atol=1e-5)
    labels = [metric.label for metric in at.metric]
    assert "Train R² (SGD)" in labels and "Loss gap L(θ) − L(θ*)" in labels
    r2 = float(next(m for m in at.metric if m.label == "Train R² (SGD)").value)
    assert r2 > 0.999


def test_training_threads_split_the_minibatches_and_a_link_asking_for_more_than_the_cores_is_lowered() -> None:
    cores = sgdcore.usable_cores()
    at = app(n_threads="256", n_rows="3000", batch_size="64", epochs="6")
    no_exceptions(at)
    lowered = f"Training threads lowered from 256 to {cores}, the cores this server may use."
    assert lowered in [info.value for info in at.sidebar.info]
    assert at.selectbox(key="n_threads").value == cores
    assert at.query_params.get("n_threads") == str(cores)  # the link says what is used
    if cores == 1:  # nothing to choose
        assert at.selectbox(key="n_threads").disabled
        return
    # Batch 64 × 2 features is far too little work for two threads: the sidebar says so, and "auto" picks one.
    assert any("train slower than 1" in caption.value for caption in at.sidebar.caption)
    at.selectbox(key="n_threads").set_value(1).run()
    button(at, "Train").click().run()
    one_thread = comparison_table(at)["SGD"]
    at.selectbox(key="n_threads").set_value(2).run()
    button(at, "Train").click().run()
    no_exceptions(at)
    assert at.success[0].value.startswith("Finished 6 epochs")
    # The same steps, the sums added in another order: equal to rounding (the table shows 6 digits).
    np.testing.assert_allclose(comparison_table(at)["SGD"], one_thread, rtol=1e-5)
    assert at.query_params["n_threads"] == "2"


def test_training_threads_are_automatic_by_default_and_say_what_they_pick() -> None:
    at = app(n_rows="3000", batch_size="64")
    no_exceptions(at)
    threads = at.selectbox(key="n_threads")
    assert threads.value == "auto" and "n_threads" not in at.query_params
    assert threads.format_func("auto") == "Automatic: 1 for these settings"
    assert not any("train slower" in caption.value for caption in at.sidebar.caption)


def title_text(spec: dict) -> str | None:
    """A chart's title as text: a title with a subtitle is a dict of both."""
    title = spec.get("title")
    return title.get("text") if isinstance(title, dict) else title


def chart_data(at: AppTest, title: str) -> list[pd.DataFrame]:
    """The datasets of the chart titled ``title`` (its title's text, without a subtitle), as sent to the browser."""
    for chart in at.get("vega_lite_chart"):
        if title_text(json.loads(chart.proto.spec)) == title:
            return [pa.ipc.open_stream(dataset.data.data).read_all().to_pandas() for dataset in chart.proto.datasets]
    raise AssertionError(f"no chart titled {title!r}")


def test_train_page_shows_the_starting_point_before_training() -> None:
    at = app()
    no_exceptions(at)
    assert any(info.value.startswith("Ready") and "starting point" in info.value for info in at.info)
    assert len(at.main.get("vega_lite_chart")) == 5 and len(at.table) == 1
    assert "train_run" not in at.session_state
    # The comparison from the start: where SGD starts (D2L's w ~ N(0, 0.01²), b = 0) against where it must go.
    table = comparison_table(at)
    assert np.abs(table["SGD"]).max() < 0.05 and np.allclose(table["closed form"], [2.0, -3.4, 4.2], atol=0.01)
    assert at.main.get("progress")[0].proto.text.startswith("0 of 3 epochs done · step 0 of 240 ·")
    losses, _ = chart_data(at, "Loss")
    assert list(losses["step"]) == [0, 0] and set(losses["series"]) == {"train (full, per epoch)", "test (per epoch)"}
    paths = next(frame for frame in chart_data(at, "Loss landscape and SGD path") if "run" in frame)
    start = paths[["x", "y"]].to_numpy()
    assert start.shape == (1, 2) and np.abs(start).max() < 0.1  # D2L's start: w ~ N(0, 0.01²)

    button(at, "Train").click().run()
    no_exceptions(at)
    assert len(at.main.get("vega_lite_chart")) == 5 and len(at.table) == 1
    losses, _ = chart_data(at, "Loss")
    assert losses["step"].max() == 240


def test_a_learning_rate_above_the_limit_warns_and_diverges_without_a_traceback() -> None:
    at = app(learning_rate="3")
    assert at.session_state["learning_rate"] == 3.0
    problem = at.session_state["_last_choice"].problem
    limits = sgdcore.run_limits(problem, sgdcore.TrainConfig(batch_size=10))
    full, minibatch = limits.full_batch, limits.minibatch.learning_rate
    expected = (f"Learning rate 3 is {3 / full:.2g}× the full-batch stability limit {full:.3g}, and "
                f"{3 / minibatch:.2g}× the limit {minibatch:.3g} for batch size 10: expect divergence.")
    assert any(warning.value.startswith(expected) for warning in at.sidebar.warning), expected
    assert any(warning.value.startswith(expected) for warning in at.main.warning)  # beside the Train button too
    button(at, "Train").click().run()
    no_exceptions(at)
    errors = [error.value for error in at.error]
    step = at.session_state["train_run"]["progress"].diverged_at_step
    assert errors and errors[0].startswith(
        f"Diverged at step {step}: learning rate 3 is {3 / full:.2g}× the full-batch stability limit {full:.3g} "
        f"(the limit for batch size 10 is {minibatch:.3g}).")
    half = sgdcore.round_down(minibatch / 2)
    assert f"Use learning rate {half:g}, half the limit" in errors[0]
    assert half < minibatch and f"Use learning rate {half:g}" in [b.label for b in at.button]
    assert not at.success  # never a green "Finished"


def test_step_trains_one_epoch_at_a_time_and_reset_forgets() -> None:
    at = app()
    button(at, "Step").click().run()
    no_exceptions(at)
    first = at.session_state["train_run"]["progress"]
    assert (first.epoch, first.step, first.status) == (1, 80, "stopped")
    button(at, "Step").click().run()
    second = at.session_state["train_run"]["progress"]
    assert (second.epoch, second.step) == (2, 160)
    button(at, "Train").click().run()
    assert at.session_state["train_run"]["progress"].status == "finished"
    assert at.session_state["train_run"]["progress"].step == 240
    button(at, "Reset").click().run()
    assert "train_run" not in at.session_state
    assert any("Ready" in info.value for info in at.info)


def test_stepping_then_finishing_equals_one_uninterrupted_run() -> None:
    stepped = app()
    button(stepped, "Step").click().run()
    button(stepped, "Train").click().run()
    straight = app()
    button(straight, "Train").click().run()
    a = stepped.session_state["train_run"]["progress"]
    b = straight.session_state["train_run"]["progress"]
    assert np.array_equal(a.weights, b.weights) and a.bias == b.bias


def test_share_link_settings_fill_the_widgets_and_bad_values_are_reported() -> None:
    at = app(learning_rate="0.01", batch_size="32", epochs="5", momentum="0.9", n_rows="500", true_weights="1, 2, 3")
    no_exceptions(at)
    assert at.sidebar.select_slider(key="learning_rate").value == 0.01
    assert at.sidebar.number_input(key="batch_size").value == 32
    assert at.sidebar.number_input(key="epochs").value == 5
    assert at.sidebar.slider(key="momentum").value == 0.9
    assert at.sidebar.number_input(key="_n_features").value == 3
    assert at.query_params["learning_rate"] == "0.01"
    button(at, "Train").click().run()
    table = comparison_table(at)
    assert list(table.index) == ["x1", "x2", "x3", "bias"]

    bad = app(learning_rate="fast", epochs="0")
    no_exceptions(bad)
    toasts = [toast.value for toast in bad.toast]
    assert any("'learning_rate'" in text and "not valid" in text for text in toasts)
    assert any("'epochs'" in text and "below 1" in text for text in toasts)
    assert bad.session_state["learning_rate"] == 0.03 and bad.session_state["epochs"] == 3


NAMES = ("scikit-learn",)  # a proper name that tests.shown_texts reads as one English word


def test_the_sidebar_speaks_the_pages_language_and_a_switch_keeps_the_settings() -> None:
    from tests.shown_texts import english

    at = app(lang="zh-CN", epochs="5", schedule="step", early_stopping="1", learning_rate="fast")
    no_exceptions(at)
    widgets = [widget for kind in ("number_input", "text_input", "slider", "select_slider", "selectbox", "toggle",
                                   "radio") for widget in getattr(at.sidebar, kind) if widget.key != "lang"]
    assert len(widgets) >= 20
    leftovers = {widget.key: words for widget in widgets
                 if (words := english(f"{widget.label} {widget.help or ''}", NAMES))}
    assert not leftovers
    assert at.sidebar.radio(key="data_source").options[:2] == ["合成数据（D2L）", "糖尿病数据（scikit-learn 样例）"]
    assert at.sidebar.selectbox(key="schedule").value == "step" and "阶梯衰减" in at.sidebar.selectbox(
        key="schedule").options
    assert [header.value for header in at.sidebar.header] == ["数据", "优化器"]
    (toast,) = [toast.value for toast in at.toast]
    assert toast == "链接中 'learning_rate' 的值 'fast' 无效；改用 0.03。"
    at.sidebar.selectbox(key="lang").set_value("en").run()
    assert at.sidebar.number_input(key="epochs").label == "Epochs" and at.sidebar.number_input(key="epochs").value == 5
    assert [header.value for header in at.sidebar.header] == ["Data", "Optimiser"]
    assert at.session_state["schedule"] == "step" and at.query_params["epochs"] == "5"


def test_a_link_with_lang_zh_opens_the_chinese_page_and_the_address_bar_says_zh_cn() -> None:
    at = app(lang="zh")
    no_exceptions(at)
    assert not at.toast, [toast.value for toast in at.toast]
    assert at.session_state["lang"] == "zh-CN" and at.query_params["lang"] == "zh-CN"
    assert [header.value for header in at.sidebar.header] == ["数据", "优化器"]


def test_an_old_link_with_short_names_restores_its_settings_and_the_address_bar_gets_the_full_names() -> None:
    at = app(lr="0.01", bs="32", mom="0.9", n="500", w="1, 2, 3", lrs="0.5, 1", cmom="0.5")
    no_exceptions(at)
    assert at.sidebar.select_slider(key="learning_rate").value == 0.01
    assert at.sidebar.number_input(key="batch_size").value == 32
    assert at.sidebar.slider(key="momentum").value == 0.9
    assert at.sidebar.number_input(key="_n_features").value == 3
    assert (at.session_state["learning_rates_compared"], at.session_state["momentum_compared"]) == ("0.5, 1", 0.5)
    assert at.query_params == {
        "n_rows": "500", "true_weights": "1, 2, 3", "learning_rate": "0.01", "batch_size": "32", "momentum": "0.9",
        "learning_rates_compared": "0.5, 1", "momentum_compared": "0.5",
    }


def test_every_settings_widget_takes_its_bounds_from_the_settings_table() -> None:
    # The widget, the share link and the config agree on what is allowed: the bounds have one owner.
    derived = {"batch_size": bounds("batch_size", high=800),  # the training rows
               "n_threads": bounds("n_threads", high=sgdcore.usable_cores()),
               "momentum_page_batch_size": bounds("momentum_page_batch_size", high=1000)}  # the valley's rows
    checked = set()
    for link in ({"schedule": "step", "early_stopping": "1", "momentum_page_full_batch": "0"},
                 {"schedule": "inverse_scaling"}):
        at = app(**link)
        for page in ("train", "learning_rate", "batch_size", "momentum"):
            at = open_page(at, page)
            no_exceptions(at)
            for widget in [*at.number_input, *at.slider]:
                if widget.key in BY_KEY:
                    expected = derived.get(widget.key) or bounds(widget.key)
                    limits = (expected.get("min_value"), expected.get("max_value"))
                    assert (widget.min, widget.max) == limits, widget.key
                    checked.add(widget.key)
    numbers = {key for key, setting in BY_KEY.items() if isinstance(setting.default, (int, float))
               and not isinstance(setting.default, bool)}
    assert checked == numbers - {"learning_rate"}  # the learning rate is chosen on a grid


def test_bad_synthetic_weights_keep_the_previous_data() -> None:
    at = app()
    at.session_state["true_weights"] = "2, oops"
    at.run()
    no_exceptions(at)
    message = at.warning[0].value
    assert "'oops' is not a number" in message and "Still using the previous data" in message
    button(at, "Train").click().run()
    assert at.success[0].value.startswith("Finished")
    assert list(comparison_table(at).index) == ["x1", "x2", "bias"]


def test_synthetic_data_too_large_to_hold_is_refused_and_the_previous_data_kept() -> None:
    at = app()
    at.session_state["n_rows"] = 2_000_000
    at.session_state["true_weights"] = ", ".join(["1"] * 200)  # 400 million values: 3.2 GB of X alone
    at.run()
    no_exceptions(at)
    message = at.warning[0].value
    assert "2,000,000 rows × 200 features is 400,000,000 values (3.2 GB)" in message, message
    assert "Use fewer rows or features" in message and "Still using the previous data" in message
    assert at.sidebar.error[0].value == message
    button(at, "Train").click().run()
    assert at.success[0].value.startswith("Finished")
    assert list(comparison_table(at).index) == ["x1", "x2", "bias"]
    at.session_state["true_weights"] = ", ".join(["1"] * 20)  # 2,000,000 × 20: the most it holds
    at.run()
    no_exceptions(at)
    assert not at.warning and not at.sidebar.error
    assert "starting point on synthetic data, 2,000,000 rows" in at.info[0].value, at.info[0].value
    assert at.sidebar.number_input(key="_n_features").value == 20


def test_the_chinese_refusal_counts_the_values_whole_as_chinese_counts_them() -> None:
    # Chinese counts in 万 and 亿, not in millions: "400 百万个值" reads as a translation, "400,000,000 个值" does not
    at = app(lang="zh-CN", n="2000000", w=",".join(["1"] * 200))
    no_exceptions(at)
    message = at.sidebar.error[0].value
    assert message.startswith("2,000,000 行 × 200 个特征共 400,000,000 个值（3.2 GB），超出了本仪表盘的容量：最多 "
                              "40,000,000 个，例如 2,000,000 行 × 20 个特征或 200,000 × 200。"), message
    assert "百万" not in message


def test_train_page_after_the_data_changes_shape_shows_the_new_starting_point() -> None:
    at = app()
    button(at, "Train").click().run()
    at.session_state["true_weights"] = "1, 2, 3"  # three features instead of two: the last run does not fit
    at.run()
    no_exceptions(at)
    assert "The data changed since the last run (on synthetic data, 1,000 rows" in at.info[0].value
    assert "starting point on synthetic data, 1,000 rows, y = Xw + b + noise with w = [1.0, 2.0, 3.0]" in (
        at.info[0].value)
    # The comparison is the new starting point's with this data's closed form, not the last run's.
    table = comparison_table(at)
    assert list(table.index) == ["x1", "x2", "x3", "bias"] and np.abs(table["SGD"]).max() < 0.05
    open_page(at, "export")  # the last run is kept, and said to be on other data
    assert "trained on other data" in at.error[0].value
    open_page(at, "train")
    button(at, "Train").click().run()
    assert at.success[0].value.startswith("Finished")
    assert list(comparison_table(at).index) == ["x1", "x2", "x3", "bias"]


@pytest.mark.parametrize(("page", "press"), [("learning_rate", "Train all"), ("batch_size", "Train all")])
def test_comparison_pages_after_the_data_changes_shape_ask_to_train_again(page: str, press: str) -> None:
    at = open_page(app(), page)
    button(at, press).click().run()
    assert at.table or at.dataframe
    at.session_state["true_weights"] = "1, 2, 3"
    at.run()
    no_exceptions(at)
    assert at.info[0].value == "The data changed since the last runs: train again to compare on this data."
    assert at.info[1].value.startswith(f"Press **{press}**")
    button(at, press).click().run()
    no_exceptions(at)
    assert not any("changed" in info.value for info in at.info)


def test_bad_synthetic_weights_in_a_link_are_explained_in_the_sidebar_and_the_page() -> None:
    at = app(true_weights="2, oops")
    no_exceptions(at)
    assert "'oops' is not a number" in at.sidebar.error[0].value
    assert "'oops' is not a number" in at.error[0].value


def test_diabetes_sample_trains_standardised_and_reports_original_units() -> None:
    # Full-batch gradient descent just below the stability limit (0.48 for this data), long enough for a
    # condition number of about 500.
    at = app(data_source="diabetes", standardize="1", epochs="4000", learning_rate="0.3", batch_size="100000")
    no_exceptions(at)
    assert any("Batch size lowered" in info.value for info in at.sidebar.info)
    button(at, "Train").click().run()
    no_exceptions(at)
    table = comparison_table(at)
    assert list(table.index)[:3] == ["age", "sex", "bmi"] and len(table) == 11
    assert "truth" not in table.columns
    # Original units: the closed form's coefficients are those of LinearRegression on the raw rows.
    relative = np.linalg.norm(table["SGD"] - table["closed form"]) / np.linalg.norm(table["closed form"])
    assert relative < 1e-3


def test_an_applied_csv_dataset_is_used_by_the_train_page() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2))
    y = X @ np.array([1.5, -2.0]) + 0.5 + rng.normal(0, 0.01, 300)
    at = app()
    at.session_state[CSV_KEY] = {"dataset": sgdcore.Dataset(X, y, ("height", "weight"), "score"),
                                 "name": "people.csv", "key": "csv:test"}
    at.session_state["data_source"] = "csv"
    at.run()
    no_exceptions(at)
    button(at, "Train").click().run()
    assert list(comparison_table(at).index) == ["height", "weight", "bias"]
    assert "people.csv" in at.session_state["train_run"]["description"]


def test_choosing_csv_without_an_upload_says_where_to_upload() -> None:
    at = app(data_source="csv")
    no_exceptions(at)
    errors = [error.value for error in at.error]
    assert any("upload one on the Data page" in error for error in errors)


def test_learning_rate_page_trains_every_rate_and_shows_divergence() -> None:
    at = open_page(app(), "learning_rate")
    no_exceptions(at)
    assert at.title[0].value == "Choosing the learning rate"
    button(at, "Train all").click().run()
    no_exceptions(at)
    table = at.table[0].value
    assert len(table) == 5
    outcomes = list(table["outcome"])
    # 0.05 to 0.95 of the limit reach the optimum in 50 full-batch steps; 1.05 grows by 1.1 a step (×117 in 50
    # steps, short of the divergence test) and is called what it is.
    assert all(outcome.startswith("finished: parameters within ") for outcome in outcomes[:4]), outcomes
    assert outcomes[-1] == "finished, but the loss grew: diverging"
    ratios = table["η / stability limit"].astype(float).tolist()
    assert ratios == pytest.approx([0.05, 0.25, 0.5, 0.95, 1.05], rel=1e-2)
    contraction = table["contraction per step"].astype(float)
    assert (contraction.iloc[:4] < 1).all() and contraction.iloc[4] > 1


def test_learning_rate_page_absolute_rates_and_bad_input() -> None:
    at = open_page(app(), "learning_rate")
    at.radio(key="learning_rates_given_as").set_value("absolute").run()
    at.text_input(key="learning_rates_compared").input("0.01, 0.1").run()
    button(at, "Train all").click().run()
    table = at.table[0].value
    assert list(table.index) == ["0.01", "0.1"]
    at.text_input(key="learning_rates_compared").input("0.1, fast").run()
    no_exceptions(at)
    assert "'fast' is not a number" in at.error[0].value
    assert at.session_state["learning_rates_compared"] == "0.1, fast"  # the user's text stays for them to fix


def test_batch_size_page_compares_batch_sizes_and_gradient_noise() -> None:
    at = open_page(app(), "batch_size")
    no_exceptions(at)
    button(at, "Train all").click().run()
    no_exceptions(at)
    table = at.table[0].value
    assert table.index.tolist() == ["1", "10", "100", "800"]
    assert table["steps per epoch"].tolist() == [800, 80, 8, 1]
    final = table["final loss"].astype(float)
    assert final.iloc[0] < final.iloc[-1]  # per epoch, small batches get further
    at.text_input(key="batch_sizes_compared").input("10, zero").run()
    assert "'zero' is not a whole number" in at.error[0].value


def shown_index(table) -> list:
    """The row labels a table's browser view shows: the index columns its Arrow data carries. A RangeIndex is kept
    only as metadata (start, stop, step), and Streamlit's frontend shows no labels for it."""
    data = pa.ipc.open_stream(table.proto.arrow_data.data).read_all()
    named = [column for column in data.schema.pandas_metadata["index_columns"] if isinstance(column, str)]
    return [data.column(name).to_pylist() for name in named]


@pytest.mark.parametrize("sizes", ["10, 20, 30", "1, full"])
def test_the_batch_size_table_shows_each_batch_size_even_evenly_spaced(sizes: str) -> None:
    at = open_page(app(batch_sizes_compared=sizes, batch_size_page_epochs="1"), "batch_size")
    button(at, "Train all").click().run()
    no_exceptions(at)
    expected = ["10", "20", "30"] if sizes == "10, 20, 30" else ["1", "800"]
    assert shown_index(at.table[0]) == [expected]


def test_momentum_page_momentum_beats_plain_descent_on_an_ill_conditioned_valley() -> None:
    at = open_page(app(), "momentum")
    no_exceptions(at)
    button(at, "Train all three").click().run()
    no_exceptions(at)
    table = at.table[0].value
    assert table.index.tolist() == ["plain gradient descent", "momentum μ = 0.9", "Nesterov μ = 0.9"]
    distance = table["‖θ − θ*‖"].astype(float)
    assert distance.iloc[1] < distance.iloc[0] / 10 and distance.iloc[2] < distance.iloc[0] / 10
    contraction = table["contraction per step"].astype(float)
    assert contraction.iloc[1] < contraction.iloc[0]
    at.number_input(key="condition_number").set_value(1.0).run()
    caption = " ".join(c.value for c in at.caption)
    assert "condition number **1" in caption


@pytest.mark.parametrize(("lang", "words"), [("en", "condition number **{}**"), ("zh-CN", "条件数 **{}**")])
def test_the_momentum_page_writes_its_condition_number_out(lang: str, words: str) -> None:
    for kappa, written in ((1.5, "1.5"), (1000.0, "1,000"), (10_000.0, "10,000")):
        at = open_page(app(lang=lang, condition_number=f"{kappa:g}"), "momentum")
        no_exceptions(at)
        caption = " ".join(c.value for c in at.caption)
        assert words.format(written) in caption, caption


def test_condition_numbers_are_written_out_to_three_figures() -> None:
    from ui.conditioning import kappa_text

    assert [kappa_text(kappa) for kappa in (1.0, 1.5, 99.94, 999.6, 1234.5, 10_000.0, 1.234e8)] == \
        ["1", "1.5", "99.9", "1,000", "1,230", "10,000", "123,000,000"]
    assert kappa_text(12_345.6, 4) == "12,350" and kappa_text(float("inf")) == "∞"


def test_export_page_offers_downloads_after_a_run_and_a_share_link() -> None:
    at = app(learning_rate="0.05")
    at = open_page(at, "export")
    no_exceptions(at)
    assert "?learning_rate=0.05" in at.code[0].value
    assert any("Nothing trained yet" in info.value for info in at.info)
    at = app(learning_rate="0.05")
    button(at, "Train").click().run()
    at = open_page(at, "export")
    no_exceptions(at)
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Coefficients (CSV)", "Coefficients and metrics (JSON)", "Loss per epoch (CSV)",
                      "Loss and parameters by step (CSV)", "Configuration (JSON)", "Predictions (CSV)",
                      "The script (run.py)"]
    coefficients = at.dataframe[0].value
    assert coefficients["coefficient"].tolist() == ["x1", "x2", "bias"]
    assert np.allclose(coefficients["sgd"], coefficients["closed_form"], atol=0.01)


def test_data_page_without_an_upload_explains_what_to_do() -> None:
    at = open_page(app(), "data")
    no_exceptions(at)
    assert at.title[0].value == "Data"
    assert any("No file yet" in info.value for info in at.info)


@pytest.mark.parametrize("page", ["train", "learning_rate", "batch_size", "momentum", "data", "export"])
def test_every_page_file_runs_on_its_own(page: str) -> None:
    """Each page also runs without the router (with the default settings), as Streamlit's own tools may run it."""
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=TIMEOUT).run()
    no_exceptions(at)
    assert at.title and at.title[0].value


def people_csv(rows: int = 200, *, missing: int = 0) -> bytes:
    """y = 1.5·height − 2·weight + 0.5 + noise, with a text column; ``missing`` blanks in 'weight'."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(rows, 2))
    y = X @ np.array([1.5, -2.0]) + 0.5 + rng.normal(0, 0.01, rows)
    lines = ["height,weight,city,score"]
    for i, ((height, weight), target) in enumerate(zip(X, y, strict=True)):
        weight_text = "" if i < missing else f"{weight:.17g}"
        lines.append(f"{height:.17g},{weight_text},{'Paris' if i % 3 else 'Lyon'},{target:.17g}")
    return "\n".join(lines).encode()


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    return at.file_uploader[0].set_value((name, content, "text/csv")).run()


def choice_radio(at: AppTest, prefix: str):
    return next(radio for radio in at.radio if radio.key and radio.key.startswith(prefix))


def test_data_page_upload_choose_and_use_a_csv_everywhere() -> None:
    at = open_page(app(), "data")
    at = upload(at, "people.csv", people_csv())
    no_exceptions(at)
    assert "**people.csv**: 200 rows × 4 columns, comma-separated, UTF-8." in [c.value for c in at.caption]
    summary = at.dataframe[1].value
    assert summary["column"].tolist() == ["height", "weight", "city", "score"]
    assert summary.set_index("column").loc["city", "type"] == "text"
    assert at.selectbox[0].value == "score"  # the target defaults to the last column
    # A text feature: the message names it and the two ways out; nothing changes until the user picks one.
    assert "'city'" in at.error[0].value and "one-hot" in at.error[0].value.lower()
    assert not [b for b in at.button if b.label == "Use this dataset"]
    choice_radio(at, "keep_non_numeric_").set_value("onehot").run()
    assert any("One-hot encoded 'city'" in c.value for c in at.caption)
    button(at, "Use this dataset").click().run()
    no_exceptions(at)
    assert at.success[0].value.startswith("Using people.csv: 200 rows, 3 features (height, weight, city=Paris)")
    assert at.session_state["data_source"] == "csv"
    at = open_page(at, "train")
    button(at, "Train").click().run()
    no_exceptions(at)
    table = comparison_table(at)
    assert list(table.index) == ["height", "weight", "city=Paris", "bias"]
    # The closed form recovers the generating coefficients; SGD is heading there.
    assert np.allclose(table.loc[["height", "weight", "bias"], "closed form"], [1.5, -2.0, 0.5], atol=0.01)


def test_data_page_missing_values_are_explained_then_dropped_or_filled() -> None:
    at = open_page(app(), "data")
    at = upload(at, "gaps.csv", people_csv(missing=4))
    choice_radio(at, "keep_non_numeric_").set_value("drop").run()
    message = at.error[0].value
    assert "4 missing value" in message and "'weight' (4)" in message
    choice_radio(at, "keep_missing_").set_value("drop").run()
    no_exceptions(at)
    assert any("4" in c.value and "row" in c.value for c in at.caption if "ropped" in c.value)
    button(at, "Use this dataset").click().run()
    assert "196 rows, 2 features" in at.success[0].value
    choice_radio(at, "keep_missing_").set_value("mean").run()
    button(at, "Use this dataset").click().run()
    assert "200 rows, 2 features" in at.success[0].value


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.csv", b"", "empty"),
    ("header.csv", b"a,b,y\n", "no data rows"),
    ("twins.csv", b"a,a,y\n1,2,3\n4,5,6\n", "'a'"),
])
def test_data_page_broken_files_are_explained_and_the_data_in_use_stays(name, content, message) -> None:
    at = open_page(app(), "data")
    at = upload(at, "people.csv", people_csv())
    choice_radio(at, "keep_non_numeric_").set_value("drop").run()
    button(at, "Use this dataset").click().run()
    at = upload(at, name, content)
    no_exceptions(at)
    assert at.error[0].value.startswith(f"{name}: ") and message in at.error[0].value
    assert any("Nothing changed: still using people.csv" in c.value for c in at.caption)
    assert at.session_state[CSV_KEY]["name"] == "people.csv"


def test_data_page_a_text_target_is_refused_with_the_reason() -> None:
    at = open_page(app(), "data")
    at = upload(at, "people.csv", people_csv())
    at.selectbox[0].set_value("city").run()
    no_exceptions(at)
    assert "'city'" in at.error[0].value and "numeric" in at.error[0].value


def test_data_page_reads_latin1_semicolon_files() -> None:
    content = "température;pression;rendement\n" + "\n".join(
        f"{t};{p};{2 * t - p + 1}" for t, p in [(1, 2), (3, 1), (2, 5), (4, 4), (5, 1), (0, 3)])
    at = open_page(app(), "data")
    at = upload(at, "usine.csv", content.encode("latin-1"))
    no_exceptions(at)
    captions = [c.value for c in at.caption]
    assert "**usine.csv**: 6 rows × 3 columns, semicolon-separated, Latin-1." in captions
    assert ("Read as Latin-1 (the file is not UTF-8). If its text looks garbled, save it again as UTF-8 (in Excel: CSV "
            "UTF-8) and upload it again. Or choose the encoding it was saved in under “Read the file as”, above."
            ) in captions
    button(at, "Use this dataset").click().run()
    assert at.success[0].value.startswith("Using usine.csv: 6 rows, 2 features (température, pression)")


def test_sidebar_settings_change_the_run_and_survive_a_change_of_page() -> None:
    at = app()
    at.sidebar.number_input(key="epochs").set_value(4).run()
    at.sidebar.slider(key="momentum").set_value(0.5).run()
    button(at, "Train").click().run()
    progress = at.session_state["train_run"]["progress"]
    assert (progress.epoch, progress.step) == (4, 320)
    assert at.session_state["train_run"]["config"].momentum == 0.5
    at = open_page(at, "learning_rate")
    at.text_input(key="learning_rates_compared").input("0.5, 1").run()
    at = open_page(at, "batch_size")
    assert at.sidebar.number_input(key="epochs").value == 4
    at = open_page(at, "learning_rate")
    assert at.text_input(key="learning_rates_compared").value == "0.5, 1"
    assert at.sidebar.slider(key="momentum").value == 0.5
    assert at.query_params["epochs"] == "4" and at.query_params["learning_rates_compared"] == "0.5, 1"


WALK_TEXTS = ["2, -3.4", "1", "1, 2, 3", "", "abc", "0.5, full", "1, 10, full", "0.1, 1, 1.9", "1e200", "-1", "0"]
WALK_KINDS = ("number_input", "text_input", "slider", "selectbox", "toggle", "radio", "multiselect", "button")


def app_options(widget) -> list:
    """A choice widget's options as the app passes them: AppTest keeps only their names, which are the options
    themselves but where a setting's codes are named in the page's language (ui.settings.option_names)."""
    from ui.classroom import BUILDER_CONTROLS
    from ui.settings import CONTROLS

    setting = BY_KEY.get(widget.key)
    if setting is not None and setting.choices:
        return list(setting.choices)
    return list(CONTROLS) if widget.key == BUILDER_CONTROLS else list(widget.options)


def random_action(at: AppTest, rng: np.random.Generator) -> str:
    """Do one thing a person could do on the current page: set a widget to a random allowed value, or click."""
    widgets = [(kind, widget) for kind in WALK_KINDS for widget in getattr(at, kind) if not widget.disabled]
    kind, widget = widgets[rng.integers(len(widgets))]
    if kind == "number_input":
        low = widget.min if widget.min is not None else -1e6
        high = widget.max if widget.max is not None else 1e6
        value = [low, high, widget.value, low + (high - low) / 2][rng.integers(4)]
        widget.set_value(int(value) if isinstance(widget.value, int) else float(value))
    elif kind == "text_input":
        widget.set_value(WALK_TEXTS[rng.integers(len(WALK_TEXTS))])
    elif kind == "slider":
        widget.set_value([widget.min, widget.max][rng.integers(2)])
    elif kind in ("selectbox", "radio"):
        options = app_options(widget)
        widget.set_value(options[rng.integers(len(options))])
    elif kind == "toggle":
        widget.set_value(not widget.value)
    elif kind == "multiselect":
        options = app_options(widget)
        widget.set_value([options[at] for at in rng.choice(len(options), rng.integers(len(options) + 1),
                                                           replace=False)])
    else:
        widget.click()
    return f"{kind} {widget.label!r}"


# Seed 6 changes the number of features after a run: the pages must draw the new data, not the run on the old.
@pytest.mark.parametrize("seed", [0, 1, 2, 6, 11, 12])
def test_random_walks_through_the_pages_raise_nothing(seed: int) -> None:
    # Widgets set to their bounds and to odd texts, pages switched, buttons pressed, in a random order: what
    # went before must never make a page fail (a change of data after a run, above all).
    rng = np.random.default_rng(seed)
    at = app(n_rows="200")
    done = []
    for _ in range(40):
        if rng.random() < 0.2:
            page = ("train", "learning_rate", "batch_size", "momentum", "data", "export")[rng.integers(6)]
            at = open_page(at, page)
            done.append(f"page {page}")
        else:
            done.append(random_action(at, rng))
            at.run()
        assert not at.exception, (done, [e.value for e in at.exception])


def test_the_export_page_writes_a_long_run_s_counts_as_the_train_page_does() -> None:
    at = app(batch_size="1", epochs="20")
    button(at, "Train").click().run()
    assert at.success[0].value.startswith("Finished 20 epochs. 16,000 steps")
    open_page(at, "export")
    no_exceptions(at)
    assert any(caption.value.startswith("The last run: synthetic data, 1,000 rows")
               and "finished 20 epochs (16,000 steps)." in caption.value for caption in at.caption)


def test_the_export_page_describes_the_last_run_s_data_in_the_page_s_language_after_a_switch() -> None:
    at = app(lang="zh")
    button(at, "训练").click().run()
    at.sidebar.selectbox(key="lang").set_value("en").run()
    open_page(at, "export")
    no_exceptions(at)
    (caption,) = [caption.value for caption in at.caption if caption.value.startswith("The last run:")]
    assert caption.startswith("The last run: synthetic data, 1,000 rows") and "行" not in caption


@pytest.mark.parametrize(("query", "button", "said"), [
    ({}, "Train all three", "Press **Train all three** to run each optimiser from the same start."),
    ({"momentum_compared": "0"}, "Train", "Press **Train** to run each optimiser from the same start."),
    ({"lang": "zh"}, "训练全部三个", "按 **训练全部三个**，让每个优化器从同一起点出发。"),
])
def test_the_momentum_page_names_the_button_it_draws(query: dict[str, str], button: str, said: str) -> None:
    at = open_page(app(**query), "momentum")
    assert [b.label for b in at.main.button if b.label == button] == [button]
    assert said in [info.value for info in at.main.info]

"""The dashboard's browser-free helpers: settings and share links, exports, chart sizes, parsed uploads."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import threading
import time
from collections.abc import Iterator

import altair as alt
import numpy as np
import pytest

import sgdcore
from ui import charts
from ui.export import (
    coefficients_frame,
    coefficients_json,
    config_json,
    epoch_history_frame,
    share_link,
    step_history_frame,
)
from ui.settings import BY_KEY, SETTINGS, apply_query_params, parse_numbers, query_params, train_config, value
from ui.uploads import parse_upload


def last(data: sgdcore.Dataset, config: sgdcore.TrainConfig, **kwargs) -> sgdcore.Progress:
    *_, progress = sgdcore.train(data, config, **kwargs)
    return progress


@pytest.fixture(scope="module")
def problem() -> sgdcore.Problem:
    return sgdcore.make_problem(sgdcore.synthetic(), test_fraction=0.2)


# Settings and share links


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda setting: setting.key)
def test_every_default_survives_a_round_trip_through_the_url(setting) -> None:
    assert setting.from_text(setting.to_text(setting.default)) == setting.default


def test_query_params_carry_only_what_differs_from_the_defaults() -> None:
    state = {setting.key: setting.default for setting in SETTINGS}
    assert query_params(state) == {}
    state.update(learning_rate=0.5, nesterov=True, schedule="cosine")
    assert query_params(state) == {"lr": "0.5", "nesterov": "1", "sched": "cosine"}
    restored: dict = {}
    assert apply_query_params(restored, query_params(state)) == []
    assert restored == {"learning_rate": 0.5, "nesterov": True, "schedule": "cosine"}


def test_bad_link_values_are_ignored_with_a_message_each() -> None:
    state: dict = {}
    problems = apply_query_params(state, {"lr": "fast", "bs": "0", "sched": "sometimes", "epochs": "7"})
    assert state == {"epochs": 7}
    assert len(problems) == 3
    assert any("'lr'" in text and "not valid" in text and "using 0.03 instead" in text for text in problems)
    assert any("'bs'" in text and "outside" in text for text in problems)
    assert any("'sched'" in text and "cosine" in text for text in problems)


def test_value_falls_back_to_the_default_on_pages_without_the_widget() -> None:
    assert value({}, "learning_rate") == BY_KEY["learning_rate"].default
    assert value({"learning_rate": 0.2}, "learning_rate") == 0.2


@pytest.mark.parametrize(("text", "message"), [
    ("2, x", "'x' is not a number"), ("", "at least one number"), ("1, inf", "not a finite number"),
])
def test_parse_numbers_names_the_bad_entry(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_numbers(text, "True weights")
    assert parse_numbers("2; -3.4,", "w") == [2.0, -3.4]


def test_train_config_turns_schedule_epochs_into_steps() -> None:
    state = {"schedule": "step", "decay_epochs": 2, "decay_gamma": 0.5, "warmup_epochs": 1, "batch_size": 10}
    config = train_config(state, steps_per_epoch=80)
    assert config.schedule.step_size == 160 and config.schedule.warmup_steps == 80
    assert config.batch_size == 10 and config.learning_rate == 0.03
    assert train_config({"early_stopping": True}, 80).tol == BY_KEY["tol"].default
    assert (train_config({}, 80).n_threads, train_config({"n_threads": 2}, 80).n_threads) == (1, 2)
    assert train_config({}, 80).tol is None


@pytest.mark.parametrize(("url", "page", "expected"), [
    ("http://localhost:8501/export", "", "http://localhost:8501/?lr=0.1&bs=32"),
    ("http://localhost:8501/", "learning_rate", "http://localhost:8501/learning_rate?lr=0.1&bs=32"),
    ("https://me-sgd.streamlit.app/batch_size", "momentum", "https://me-sgd.streamlit.app/momentum?lr=0.1&bs=32"),
    ("https://host/apps/sgd/data", "", "https://host/apps/sgd?lr=0.1&bs=32"),
    # Community Cloud serves the app in a frame at /~/+/: the link is the public address, without the frame's path.
    ("https://me-sgd.streamlit.app/~/+/export", "", "https://me-sgd.streamlit.app/?lr=0.1&bs=32"),
    ("https://me-sgd.streamlit.app/~/+/data", "momentum", "https://me-sgd.streamlit.app/momentum?lr=0.1&bs=32"),
    (None, "", "http://localhost:8501/?lr=0.1&bs=32"),
])
def test_share_link_points_at_the_chosen_page_with_the_settings(url, page, expected) -> None:
    assert share_link(url, page, {"lr": "0.1", "bs": "32"}) == expected


# Exports


def test_exports_hold_the_coefficients_history_and_config(problem) -> None:
    config = sgdcore.TrainConfig(epochs=2)
    progress = last(problem.train, config, test=problem.test)
    comparison = problem.compare(progress.weights, progress.bias)
    frame = coefficients_frame(comparison)
    assert frame["coefficient"].tolist() == ["x1", "x2", "bias"]
    assert np.allclose(frame["truth"], [2, -3.4, 4.2])
    document = json.loads(coefficients_json(comparison, description="d", target="y", progress=progress))
    assert document["sgd"]["weights"]["x1"] == pytest.approx(progress.weights[0])
    assert document["closed_form"]["bias"] == pytest.approx(problem.optimum.bias)
    assert document["metrics"]["train_r2"]["sgd"] > 0.99 and document["status"] == "finished"
    history = epoch_history_frame(progress)
    assert history["epoch"].tolist() == [0, 1, 2] and history["step"].tolist() == [0, 80, 160]
    assert {"train_loss", "test_loss", "seconds"} <= set(history.columns)
    steps = step_history_frame(progress, problem.names)
    assert steps["step"].is_monotonic_increasing and steps["step"].iloc[-1] == 160
    saved = json.loads(config_json(config, {"epochs": "2"}, "d"))
    rebuilt = sgdcore.TrainConfig(**{**saved["train_config"],
                                     "schedule": sgdcore.Schedule(**saved["train_config"]["schedule"])})
    assert rebuilt == config


def test_a_diverged_run_exports_valid_json_with_nulls(problem) -> None:
    progress = last(problem.train, sgdcore.TrainConfig(learning_rate=50.0, batch_size=800, epochs=50))
    assert progress.status == "diverged"
    broken = problem.compare(progress.weights * np.inf, progress.bias)
    document = json.loads(coefficients_json(broken, description="d", target="y", progress=progress))
    assert document["sgd"]["weights"]["x1"] is None


# Charts: bounded whatever the run length, and drawable when a run blew up


def chart_rows(chart: alt.TopLevelMixin) -> int:
    spec = chart.to_dict()  # raises MaxRowsError past Altair's row limit
    return sum(len(rows) for rows in spec.get("datasets", {}).values())


def test_charts_of_a_long_run_on_big_data_stay_under_the_row_limit() -> None:
    big = sgdcore.make_problem(sgdcore.synthetic(n=100_000, w=[1.0, -2.0, 0.5]), test_fraction=0.1)
    progress = last(big.train, sgdcore.TrainConfig(batch_size=1, epochs=1, learning_rate=0.01))
    assert progress.step == 90_000
    built = [
        charts.loss_chart(progress, big.optimum_loss),
        charts.parameters_chart(progress, big.names, big.optimum.params, None, [0, 1, 2, 3]),
        charts.landscape_chart(big, {"SGD": progress}, 0, 3),
        charts.fit_chart(big, progress.weights, progress.bias, 0),
        charts.predicted_chart(big, progress.weights, progress.bias),
        charts.runs_loss_chart({"a": progress, "b": progress}, "seconds", floor=big.optimum_loss),
    ]
    for chart in built:
        assert chart_rows(chart) <= 5000


def test_charts_draw_a_diverged_run(problem) -> None:
    progress = last(problem.train, sgdcore.TrainConfig(learning_rate=50.0, batch_size=800, epochs=50))
    assert progress.status == "diverged"
    for chart in (charts.loss_chart(progress, problem.optimum_loss),
                  charts.landscape_chart(problem, {"too fast": progress}, 0, 1),
                  charts.runs_loss_chart({"too fast": progress}, "epoch")):
        assert chart_rows(chart) > 0


def test_charts_of_many_parameters_and_thousands_of_epochs_stay_under_the_row_limit() -> None:
    wide = sgdcore.make_problem(sgdcore.synthetic(n=200, w=list(range(1, 11))), test_fraction=0.2)
    progress = last(wide.train, sgdcore.TrainConfig(batch_size=160, epochs=6000, learning_rate=0.01))
    assert len(progress.epoch_train_loss) == 6001
    everything = list(range(11))
    built = [
        charts.loss_chart(progress, wide.optimum_loss),
        charts.parameters_chart(progress, wide.names, wide.optimum.params, wide.optimum.params, everything),
        charts.runs_loss_chart({f"run {k}": progress for k in range(8)}, "epoch"),
        charts.landscape_chart(wide, {f"run {k}": progress for k in range(8)}, 0, 10),
    ]
    for chart in built:
        assert 0 < chart_rows(chart) <= 5000
    # Thinning keeps the ends: the last epoch's loss is on the chart.
    epochs = charts.runs_loss_chart({"a": progress}, "epoch").to_dict()
    rows = next(iter(epochs["datasets"].values()))
    assert rows[-1]["epoch"] == 6000 and rows[-1]["loss"] == pytest.approx(progress.epoch_train_loss[-1])


def spec_structure(chart: alt.TopLevelMixin) -> str:
    """A chart's spec without its data, datasets named by position: what the browser compares, run to run,
    to decide between swapping the data of the chart it shows and building a new one."""
    spec = chart.to_dict()
    names = list(spec.pop("datasets"))
    text = json.dumps(spec, sort_keys=True)
    for position, name in enumerate(names):
        text = text.replace(name, f"dataset {position}")
    return text


def test_charts_keep_their_spec_from_the_starting_point_to_the_end_of_a_run(problem) -> None:
    config = sgdcore.TrainConfig()
    start = last(problem.train, config, test=problem.test, until_epoch=0)
    end = last(problem.train, config, test=problem.test)
    assert (start.step, start.status, end.status) == (0, "stopped", "finished")
    truth = np.append(problem.train.true_weights, problem.train.true_bias)
    for draw in (
        lambda progress: charts.loss_chart(progress, problem.optimum_loss),
        lambda progress: charts.parameters_chart(progress, problem.names, problem.optimum.params, truth, [0, 1, 2]),
        lambda progress: charts.landscape_chart(problem, {"SGD": progress}, 0, 1),
        lambda progress: charts.landscape_chart(problem, {"a": progress, "b": progress}, 0, 2),
        lambda progress: charts.fit_chart(problem, progress.weights, progress.bias, 1),
        lambda progress: charts.predicted_chart(problem, progress.weights, progress.bias),
        lambda progress: charts.runs_loss_chart({"a": progress, "b": progress}, "epoch", floor=problem.optimum_loss),
    ):
        assert spec_structure(draw(start)) == spec_structure(draw(end))


def _chart_slot_script() -> None:
    import altair as alt
    import pandas as pd
    import streamlit as st

    from ui.slots import ChartSlot

    slot = ChartSlot(st)
    st.write("after the slot")
    for title in st.session_state.get("titles", []):
        if title is None:
            slot.info("no chart")
        else:
            line = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_line().encode(x="x:Q")
            slot.altair_chart(line.properties(title=title))


def test_a_chart_slot_sends_nothing_until_drawn_then_each_draw_replaces_the_last() -> None:
    from streamlit.testing.v1 import AppTest

    def shown(titles: list[str | None]) -> list:
        at = AppTest.from_function(_chart_slot_script)
        at.session_state["titles"] = titles
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        slot, after = at.main.children.values()
        assert after.value == "after the slot"  # the slot keeps its place whenever it is drawn
        return list(slot.children.values())

    # Not drawn yet: nothing at all. (st.empty() would send an empty element, blanking the chart the browser
    # shows from the previous run, which it would then have to rebuild instead of redrawing.)
    assert shown([]) == []
    (chart,) = shown(["first", "second"])
    assert chart.type == "vega_lite_chart" and json.loads(chart.proto.spec)["title"] == "second"
    (message,) = shown(["first", None])
    assert message.type == "info" and message.value == "no chart"


def test_every_page_address_is_its_file_name_in_pages() -> None:
    """On a fresh server Streamlit serves pages/ by file name until the router has run (ui.navigation)."""
    from pathlib import Path

    from ui.navigation import PAGES

    stems = {path.stem for path in (Path(__file__).resolve().parents[1] / "pages").glob("*.py")}
    assert {page.file for page in PAGES} == {f"pages/{stem}.py" for stem in stems}
    for page in PAGES[1:]:
        assert page.url_path == Path(page.file).stem


def test_training_waits_for_a_compile_in_progress_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import compile as ui_compile

    compiled = threading.Event()

    def slow_compile() -> None:
        time.sleep(0.3)
        compiled.set()

    warm_up = threading.Thread(target=slow_compile)
    warm_up.start()
    monkeypatch.setattr(ui_compile, "warm_up_in_background", lambda: warm_up)
    shown = []

    @contextlib.contextmanager
    def spinner(text: str) -> Iterator[None]:
        shown.append(text)
        yield

    monkeypatch.setattr(ui_compile.st, "spinner", spinner)
    ui_compile.wait_for_kernel()
    assert compiled.is_set()  # training starts only once the kernel is ready…
    assert shown == [ui_compile.COMPILING_MESSAGE]  # …and the page said why it waited
    ui_compile.wait_for_kernel()
    assert shown == [ui_compile.COMPILING_MESSAGE]  # compiled already: no message, no wait


@pytest.mark.parametrize("live", [True, False])
def test_the_pages_runs_reuse_the_problems_loss_forms(live: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import runner

    problem = sgdcore.make_problem(sgdcore.synthetic(n=2000, seed=4), test_fraction=0.2)
    config = sgdcore.TrainConfig(batch_size=1600, epochs=50)  # the Learning-rate page's kind of run: long
    expected = [*sgdcore.train(problem.train, config, test=problem.test)][-1]
    assert problem.test_quadratic is not None  # summed here, once, as the first page run would

    def summed_again(data: sgdcore.Dataset) -> None:
        raise AssertionError("a page run summed the loss's quadratic form again")

    monkeypatch.setattr(sys.modules["sgdcore.train"], "quadratic_loss", summed_again)
    if live:
        progress = runner.train_live(problem, config, save=lambda _: None, draw=lambda _: None)
    else:
        progress = runner.train_all(problem, {"run": config}, save=lambda _: None, live=False)["run"]
    np.testing.assert_array_equal(progress.epoch_train_loss, expected.epoch_train_loss)
    np.testing.assert_array_equal(progress.epoch_test_loss, expected.epoch_test_loss)


def test_synthetic_datasets_are_shared_and_the_cache_stays_within_its_bytes() -> None:
    from ui.datasets import DATA_CACHE, selected_dataset

    def dataset(n_rows: int, seed: int) -> sgdcore.Dataset:
        return selected_dataset({"data_source": "synthetic", "n_rows": n_rows, "true_weights": "1, 2, 3",
                                 "data_seed": seed})[0]

    small = dataset(1000, 0)
    for seed in range(1, 8):
        dataset(1000, seed)
    assert dataset(1000, 0) is small  # made once, for every session that asks
    large = dataset(1_000_000, 0)  # 3 million values
    assert dataset(1_000_000, 0) is large
    assert 0 < DATA_CACHE.nbytes <= DATA_CACHE.max_bytes


def test_synthetic_data_beyond_the_cap_is_refused_before_it_is_made() -> None:
    from ui.datasets import MAX_SYNTHETIC_VALUES, selected_dataset

    weights = ", ".join(["1"] * 100)
    with pytest.raises(ValueError, match=r"400,001 rows × 100 features is 40 million values \(0.3 GB\), more than"):
        selected_dataset({"data_source": "synthetic", "n_rows": MAX_SYNTHETIC_VALUES // 100 + 1,
                          "true_weights": weights})


def test_the_loss_chart_labels_whole_steps_even_with_only_the_starting_point(problem) -> None:
    start = last(problem.train, sgdcore.TrainConfig(), test=problem.test, until_epoch=0)
    layers = charts.loss_chart(start, problem.optimum_loss).to_dict()["layer"]
    step_axes = [layer["encoding"]["x"]["axis"] for layer in layers
                 if layer["encoding"].get("x", {}).get("field") == "step"]
    assert step_axes and all(axis == {"format": ",d", "tickMinStep": 1} for axis in step_axes), step_axes


def test_an_upload_is_parsed_with_its_summary_and_a_digest_of_its_content() -> None:
    content = b"x1,x2,y\n1,2,3\n4,5,6.5\n7,8,9\n"
    parsed = parse_upload(content, "small.csv", "file-1")
    assert parsed["file_id"] == "file-1" and parsed["built"] == {}
    assert parsed["digest"] == hashlib.sha1(content).hexdigest()[:16]
    assert parsed["table"].name == "small.csv" and list(parsed["table"].frame.columns) == ["x1", "x2", "y"]
    assert parsed["summary"]["column"].tolist() == ["x1", "x2", "y"]
    assert parse_upload(content, "renamed.csv", "file-2")["digest"] == parsed["digest"]  # the same file again
    assert parse_upload(content + b"1,1,1\n", "small.csv", "file-3")["digest"] != parsed["digest"]


def test_an_upload_that_does_not_read_gives_its_error_and_no_table() -> None:
    parsed = parse_upload(b"x1,y\n1,2\n3,4,5\n", "bad.csv", "file-1")
    assert set(parsed) == {"file_id", "name", "error"} and "line 3" in parsed["error"]

"""The dashboard's browser-free helpers: settings and share links, exports, chart sizes, parsed uploads."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from operator import attrgetter
from types import SimpleNamespace
from typing import Any

import altair as alt
import numpy as np
import pytest

import sgdcore
from ui import charts
from ui.datasets import current_problem, momentum_valley
from ui.export import (
    Leg,
    coefficients_frame,
    coefficients_json,
    config_json,
    csv_file,
    epoch_history_frame,
    outcome,
    run_settings,
    settings_notes,
    share_link,
    step_history_frame,
)
from ui.i18n import text_in
from ui.settings import (
    BY_KEY,
    CHART_AXIS_LABELS,
    DATA_SOURCE_LABELS,
    MAX_FEATURES,
    OLD_LINK_NAMES,
    SCHEDULE_LABELS,
    SETTINGS,
    ListError,
    apply_query_params,
    batch_size_runs,
    bounds,
    learning_rate_runs,
    momentum_runs,
    option_names,
    parse_batch_sizes,
    parse_learning_rates,
    parse_numbers,
    parse_weights,
    query_params,
    train_config,
    value,
)
from ui.uploads import parse_upload
from ui.widgets import seed_plan


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
    assert query_params(state) == {"learning_rate": "0.5", "nesterov": "1", "schedule": "cosine"}
    restored: dict = {}
    assert apply_query_params(restored, query_params(state)) == []
    assert restored == {"learning_rate": 0.5, "nesterov": True, "schedule": "cosine"}


def test_bad_link_values_are_ignored_with_a_message_each() -> None:
    state: dict = {}
    problems = apply_query_params(state, {"learning_rate": "fast", "batch_size": "0", "schedule": "sometimes",
                                          "momentum": "0.999", "epochs": "7"})
    assert state == {"epochs": 7}
    assert len(problems) == 4
    assert any("'learning_rate'" in text and "not valid" in text and "using 0.03 instead" in text for text in problems)
    assert any("'batch_size'" in text and "below 1" in text for text in problems)
    assert any("'schedule'" in text and "cosine" in text for text in problems)
    assert any("'momentum'" in text and "above 0.99" in text for text in problems)


def test_old_links_with_short_names_restore_their_settings_and_links_are_written_with_the_full_names() -> None:
    old = {"lr": "0.5", "bs": "32", "mom": "0.9", "dseed": "7", "std": "1", "wd": "0.1", "lrs": "1, 2",
           "lrmode": "absolute", "bss": "1, full", "cmom": "0.5", "momlr": "1.5", "threads": "2"}
    state: dict = {}
    assert apply_query_params(state, old) == []
    assert state == {
        "learning_rate": 0.5, "batch_size": 32, "momentum": 0.9, "data_seed": 7, "standardize": True,
        "weight_decay": 0.1, "learning_rates_compared": "1, 2", "learning_rates_given_as": "absolute",
        "batch_sizes_compared": "1, full", "momentum_compared": 0.5, "momentum_page_rate_multiple": 1.5, "n_threads": 2,
    }
    assert set(query_params(state)) == set(state)  # the full names, and only them
    # A bad value under an old name is reported under that name; a link with both names uses the full one.
    message = "The link's value 'fast' for 'lr' is not valid; using 0.03 instead."
    assert apply_query_params({}, {"lr": "fast"}) == [message]
    both: dict = {}
    apply_query_params(both, {"lr": "0.5", "learning_rate": "0.2"})
    assert both == {"learning_rate": 0.2}


def test_every_old_link_name_stands_for_a_setting_and_none_is_a_setting_name() -> None:
    assert set(OLD_LINK_NAMES.values()) <= set(BY_KEY)
    assert not set(OLD_LINK_NAMES) & set(BY_KEY)


def test_widget_bounds_are_the_tables_in_the_settings_type() -> None:
    assert bounds("noise") == {"min_value": 0.0, "max_value": 1e6}
    assert bounds("epochs") == {"min_value": 1, "max_value": 10_000}
    assert bounds("n_rows", high=4) == {"min_value": 10, "max_value": 4}
    assert bounds("batch_size") == {"min_value": 1}  # the data sets its upper bound
    assert bounds("true_weights") == {}


def test_value_falls_back_to_the_default_on_pages_without_the_widget() -> None:
    assert value({}, "learning_rate") == BY_KEY["learning_rate"].default
    assert value({"learning_rate": 0.2}, "learning_rate") == 0.2


@pytest.mark.parametrize(("text", "message"), [
    ("2, x", "'x' is not a number"), ("", "at least one number"), ("1, inf", "not a finite number"),
])
def test_parse_numbers_names_the_bad_entry(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_numbers(text, "weights")
    assert parse_numbers("2; -3.4,", "weights") == [2.0, -3.4]


@pytest.mark.parametrize(("text", "numbers"), [
    ("２，－３.４", [2.0, -3.4]),  # full-width digits, comma, minus and point
    ("\u22122, 3", [-2.0, 3.0]),  # the minus sign
    ("1、 2.5", [1.0, 2.5]),  # the ideographic comma
    ("１e３", [1000.0]),
])
def test_typed_numbers_accept_full_width_digits_and_the_minus_sign(text: str, numbers: list[float]) -> None:
    assert parse_numbers(text, "weights") == numbers
    assert parse_weights(text) == numbers


@pytest.mark.parametrize(("text", "character"), [
    ("2, 3\u20134", "“–” (EN DASH)"), ("2, ３\u00b75", "“·” (MIDDLE DOT)"), ("1, 2\u00a0€", "“€” (EURO SIGN)"),
])
def test_a_character_no_number_holds_is_named(text: str, character: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"is not a number: it holds the character {character}")):
        parse_numbers(text, "weights")


def test_compared_lists_read_typed_numbers_too() -> None:
    assert parse_learning_rates("０.５， 1") == [0.5, 1.0]
    assert parse_batch_sizes("１０、 full", 800) == [10, 800]
    with pytest.raises(ValueError, match=r"Batch sizes: '1\u20130' is not a whole number or 'full': it holds the "):
        parse_batch_sizes("1\u20130", 800)


@pytest.mark.parametrize("word", ["全批量", "全量", "全部", "FULL", "All", "n"])
def test_a_full_batch_is_named_in_either_language_of_the_page(word: str) -> None:
    # The Chinese page names the full batch 全批量: a learner there types it, in Chinese punctuation too
    assert parse_batch_sizes(f"１０，{word}、 1", 800) == [1, 10, 800]


LIST_PARSERS = {"weights": parse_weights, "learning_rates": parse_learning_rates,
                "batch_sizes": lambda text: parse_batch_sizes(text, 800)}


@pytest.mark.parametrize("what", list(LIST_PARSERS))
@pytest.mark.parametrize("typed_wrong", ["", " , ", "abc", "1, 2x", "１，ｘ", "1, 中", "0.1, 1e"])
def test_each_typed_list_s_error_gives_an_example_that_list_takes(what: str, typed_wrong: str) -> None:
    # Advice names values the box takes: a learning rate is positive, a batch size whole
    parse = LIST_PARSERS[what]
    with pytest.raises(ListError) as caught:
        parse(typed_wrong)
    for language in ("en", "zh-CN"):
        message = caught.value.text(language)
        example = re.search(r"(?:e\.g\.|例如) (.+?)[.。]$", message)
        assert example, message
        assert parse(example.group(1))


def test_an_entry_that_is_not_a_batch_size_is_named_with_an_example_the_box_takes() -> None:
    with pytest.raises(ListError) as caught:
        parse_batch_sizes("10, 全批", 800)
    assert caught.value.text("zh-CN") == ("批量大小：'全批' 不是整数、'full' 或“全批量”：其中有字符“全”（CJK UNIFIED "
                                          "IDEOGRAPH-5168）。请只输入数字，例如 1, 10, 100, full。")
    assert parse_batch_sizes("1, 10, 100, 全批量", 800) == [1, 10, 100, 800]


def test_a_typed_value_is_echoed_cut_to_a_readable_length() -> None:
    with pytest.raises(ValueError) as caught:
        parse_numbers("2, " + "x" * 100_000, "weights")
    assert len(str(caught.value)) < 200 and "(100,000 characters)" in str(caught.value)


def test_more_weights_than_the_features_cap_are_refused_typed_or_in_a_link() -> None:
    assert len(parse_weights(", ".join(["1"] * MAX_FEATURES))) == MAX_FEATURES
    too_many = ", ".join(["1"] * (MAX_FEATURES + 1))
    with pytest.raises(ValueError, match=f"{MAX_FEATURES + 1} numbers.*at most {MAX_FEATURES} features"):
        parse_weights(too_many)
    state = {"true_weights": "2, -3.4"}
    problems = apply_query_params(state, {"true_weights": too_many})
    assert state["true_weights"] == "2, -3.4"
    assert len(problems) == 1 and f"at most {MAX_FEATURES} features" in problems[0] and len(problems[0]) < 400
    # A wrong entry is let through the link, for the sidebar to name beside the box where it can be fixed
    assert apply_query_params(state, {"true_weights": "2, oops"}) == [] and state["true_weights"] == "2, oops"


def test_a_huge_link_value_is_echoed_cut_to_a_readable_length() -> None:
    problems = apply_query_params({}, {"learning_rate": "9" * 100_000, "x" * 50_000: "1", "epochs": "x" * 100_000})
    assert len(problems) == 2 and all(len(problem) < 300 for problem in problems)
    assert all("(100,000 characters)" in problem for problem in problems)
    state: dict = {}
    assert apply_query_params(state, {"true_bias": "\u22123", "epochs": "１２"}) == []
    assert (state["true_bias"], state["epochs"]) == (-3.0, 12)


def test_typed_list_and_link_errors_keep_their_fields_and_are_worded_in_the_language_asked() -> None:
    with pytest.raises(ListError) as caught:
        parse_batch_sizes("10, zero", 800)
    error = caught.value
    assert (error.problem, error.fields["part"]) == ("list.not_a_whole_number", "'zero'")
    # The example is one the box takes: whole numbers and 'full', not the weights' 2, -3.4
    assert str(error) == error.text("en") == ("Batch sizes: 'zero' is not a whole number or 'full'. Separate them "
                                              "with commas, e.g. 1, 10, 100, full.")
    assert error.text("zh-CN") == "批量大小：'zero' 不是整数或 'full'（全批量）。请用逗号分隔，例如 1, 10, 100, full。"
    assert parse_batch_sizes("1, 10, 100, full", 800) == [1, 10, 100, 800]
    # A link's problems are worded in the language the link leaves the page in, its own lang read first
    problems = apply_query_params({}, {"n_threads": "999", "lang": "zh-CN"})
    assert problems == ["链接中 'n_threads' 的值 '999' 无效（线程数为 'auto' 或 1 到 256 的整数）；改用 auto。"]


def test_option_labels_are_the_settings_codes_named_from_the_catalogue() -> None:
    assert tuple(SCHEDULE_LABELS) == BY_KEY["schedule"].choices
    assert tuple(CHART_AXIS_LABELS) == BY_KEY["chart_axis"].choices
    assert tuple(DATA_SOURCE_LABELS) == BY_KEY["data_source"].choices
    name = option_names(SCHEDULE_LABELS)
    assert (name("step"), name("Step decay")) == ("Step decay", "Step decay")  # a name passes as it is
    assert text_in("zh-CN", "settings.schedule.step") == "阶梯衰减"


def test_train_config_turns_schedule_epochs_into_steps() -> None:
    state = {"schedule": "step", "decay_epochs": 2, "decay_gamma": 0.5, "warmup_epochs": 1, "batch_size": 10}
    config = train_config(state, 800)
    assert config.schedule.step_size == 160 and config.schedule.warmup_steps == 80
    assert config.batch_size == 10 and config.learning_rate == 0.03
    assert train_config(state, 801).schedule.warmup_steps == 81  # the last, short minibatch is a step too
    assert train_config({"early_stopping": True}, 800).tol == BY_KEY["tol"].default
    assert (train_config({}, 800).n_threads, train_config({"n_threads": 2}, 800).n_threads) == ("auto", 2)
    assert train_config({}, 800).tol is None


def test_the_batch_size_is_lowered_to_the_training_rows_everywhere() -> None:
    state = {"batch_size": 5000, "warmup_epochs": 1, "batch_sizes_compared": "1, 5000, full",
             "learning_rate_page_full_batch": False}
    assert train_config(state, 800).batch_size == 800
    assert train_config(state, 800).schedule.warmup_steps == 1  # one step an epoch: full-batch gradient descent
    assert parse_batch_sizes("1, 5000, full", 800) == [1, 800]
    assert [config.batch_size for config in batch_size_runs(state, 800)] == [1, 800]
    problem = sgdcore.make_problem(sgdcore.synthetic(n=100))
    assert {config.batch_size for config in learning_rate_runs(state, problem)} == {100}


@pytest.mark.parametrize(("text", "message"), [
    ("0.1, 0", "greater than 0"), ("1, 2, 3, 4, 5, 6, 7, 8, 9", "at most 8"), ("0.1, fast", "'fast' is not a number"),
])
def test_compared_learning_rates_are_checked(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_learning_rates(text)


@pytest.mark.parametrize(("text", "message"), [
    ("10, zero", "'zero' is not a whole number"), ("0", "at least 1 row"), (", ", "at least one"),
    ("1, 2, 3, 4, 5, 6, 7, 8, 9", "at most 8"),
])
def test_compared_batch_sizes_are_checked(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_batch_sizes(text, 800)


# Every setting reaches what it drives


def made(state: dict) -> SimpleNamespace:
    """Everything the settings drive: the data, the sidebar's TrainConfig, and each comparison page's runs."""
    choice = current_problem(state)
    assert choice.error is None, choice.error
    problem, valley = choice.problem, momentum_valley(state)
    return SimpleNamespace(
        data=problem.raw_train, problem=problem, train=train_config(state, problem.train.n_rows),
        learning_rate_page=learning_rate_runs(state, problem),
        batch_size_page=batch_size_runs(state, problem.train.n_rows),
        valley=valley, momentum_page=list(momentum_runs(state, valley).values()),
        chart_axis=state.get("chart_axis", BY_KEY["chart_axis"].default),  # drawn: tests/test_lesson_axis.py
        # The seeds each run of the Learning-rate page trains with (drawn: tests/test_seeds.py)
        learning_rate_seeds=seed_plan(dict(enumerate(learning_rate_runs(state, problem))),
                                      state.get("repeat_seeds", BY_KEY["repeat_seeds"].default), problem.train.n_rows),
    )


def everywhere(field: str) -> Callable[[SimpleNamespace], tuple]:
    """``field`` of the sidebar's TrainConfig and of the first run of both pages built on it."""
    read = attrgetter(field)
    return lambda made: (read(made.train), read(made.learning_rate_page[0]), read(made.batch_size_page[0]))


def noise_in(data: sgdcore.Dataset) -> float:
    return round(float(np.std(data.y - data.X @ data.true_weights - data.true_bias)), 2)


# For each setting: the other settings it needs to matter, another valid value, and what it must change there
# (every item of the tuple). A new setting fails the test below until it is listed here.
REACHES: dict[str, tuple[dict[str, Any], Any, Callable[[SimpleNamespace], tuple]]] = {
    "data_source": ({}, "diabetes", lambda made: (made.data.target_name,)),
    "n_rows": ({}, 500, lambda made: (made.data.n_rows,)),
    "true_weights": ({}, "1, 2, 3", lambda made: (tuple(made.data.true_weights),)),
    "true_bias": ({}, -1.5, lambda made: (made.data.true_bias,)),
    "noise": ({}, 0.5, lambda made: (noise_in(made.data),)),
    "data_seed": ({}, 7, lambda made: (made.data.X[0, 0], made.valley.train.X[0, 0])),
    "standardize": ({}, True, lambda made: (made.problem.scaler is None,)),
    "test_fraction": ({}, 0.3, lambda made: (made.data.n_rows,)),
    "learning_rate": ({}, 0.1, lambda made: (made.train.learning_rate, made.batch_size_page[0].learning_rate)),
    "batch_size": ({"learning_rate_page_full_batch": False}, 32,
                   lambda made: (made.train.batch_size, made.learning_rate_page[0].batch_size)),
    "epochs": ({}, 5, lambda made: (made.train.epochs,)),
    "momentum": ({}, 0.5, everywhere("momentum")),
    "nesterov": ({"momentum": 0.5}, True, everywhere("nesterov")),
    "weight_decay": ({}, 0.01, everywhere("weight_decay")),
    "l1_penalty": ({}, 0.01, everywhere("l1_penalty")),
    "schedule": ({}, "cosine", everywhere("schedule.kind")),
    "decay_gamma": ({"schedule": "step"}, 0.9, everywhere("schedule.gamma")),
    "decay_epochs": ({"schedule": "step"}, 2, everywhere("schedule.step_size")),
    "power_t": ({"schedule": "inverse_scaling"}, 0.5, everywhere("schedule.power_t")),
    "warmup_epochs": ({}, 2, everywhere("schedule.warmup_steps")),
    "early_stopping": ({}, True, everywhere("tol")),
    "tol": ({"early_stopping": True}, 0.01, everywhere("tol")),
    "n_iter_no_change": ({"early_stopping": True}, 9, everywhere("n_iter_no_change")),
    "seed": ({}, 3, lambda made: (*everywhere("seed")(made), made.momentum_page[0].seed)),
    "n_threads": ({}, 2, everywhere("n_threads")),
    "learning_rates_compared": ({}, "0.5, 1", lambda made: (tuple(c.learning_rate for c in made.learning_rate_page),)),
    "learning_rates_given_as": ({}, "absolute",
                                lambda made: (tuple(c.learning_rate for c in made.learning_rate_page),)),
    "learning_rate_multiples_of": ({"learning_rate_page_full_batch": False}, "batch_size",
                                   lambda made: (tuple(c.learning_rate for c in made.learning_rate_page),)),
    "learning_rate_page_epochs": ({}, 20, lambda made: (made.learning_rate_page[0].epochs,)),
    "learning_rate_page_full_batch": ({}, False, lambda made: (made.learning_rate_page[0].batch_size,)),
    "batch_sizes_compared": ({}, "2, 20", lambda made: (tuple(c.batch_size for c in made.batch_size_page),)),
    "batch_size_page_epochs": ({}, 9, lambda made: (made.batch_size_page[0].epochs,)),
    "condition_number": ({}, 10.0, lambda made: (made.valley.curvature.condition_number,)),
    "momentum_compared": ({}, 0.5, lambda made: (tuple(c.momentum for c in made.momentum_page),)),
    "momentum_page_rate_multiple": ({}, 2.0, lambda made: (made.momentum_page[0].learning_rate,)),
    "momentum_page_epochs": ({}, 50, lambda made: (made.momentum_page[0].epochs,)),
    "chart_axis": ({}, "examples", lambda made: (made.chart_axis,)),
    "shuffle": ({}, "replacement", everywhere("shuffle")),
    "momentum_page_full_batch": ({}, False, lambda made: (made.momentum_page[0].batch_size,)),
    "momentum_page_batch_size": ({"momentum_page_full_batch": False}, 20,
                                 lambda made: (made.momentum_page[0].batch_size,)),
    "repeat_seeds": ({"learning_rate_page_full_batch": False}, 5, lambda made: (made.learning_rate_seeds[0],)),
}


# The page's language and a classroom link's controls drive what the page draws, not what it trains: their
# tests are tests/test_i18n.py and tests/test_classroom.py.
DRAWING_ONLY = ("lang", "show")


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.key not in DRAWING_ONLY], ids=lambda setting: setting.key)
def test_every_setting_reaches_what_it_drives(setting) -> None:
    # Change one setting from its default to another valid value: what it drives must change. Dropping a
    # setting between the sidebar and the TrainConfig (or a page's runs, or the data) fails here.
    assert setting.key in REACHES, f"{setting.key}: say in REACHES what this setting drives"
    context, other, read = REACHES[setting.key]
    assert other != setting.default and setting.from_text(setting.to_text(other)) == other, "not another valid value"
    before, after = read(made(dict(context))), read(made({**context, setting.key: other}))
    for old, new in zip(before, after, strict=True):
        assert old != new, f"{setting.key} = {other!r} left {old!r} as it was with {setting.default!r}"


@pytest.mark.parametrize(("url", "page", "expected"), [
    ("http://localhost:8501/export", "", "http://localhost:8501/?epochs=5&batch_size=32"),
    ("http://localhost:8501/", "learning_rate", "http://localhost:8501/learning_rate?epochs=5&batch_size=32"),
    ("https://me-sgd.streamlit.app/batch_size", "momentum",
     "https://me-sgd.streamlit.app/momentum?epochs=5&batch_size=32"),
    ("https://host/apps/sgd/data", "", "https://host/apps/sgd?epochs=5&batch_size=32"),
    # Community Cloud serves the app in a frame at /~/+/: the link is the public address, without the frame's path.
    ("https://me-sgd.streamlit.app/~/+/export", "", "https://me-sgd.streamlit.app/?epochs=5&batch_size=32"),
    ("https://me-sgd.streamlit.app/~/+/data", "momentum", "https://me-sgd.streamlit.app/momentum?epochs=5&batch_size=32"),
    (None, "", "http://localhost:8501/?epochs=5&batch_size=32"),
])
def test_share_link_points_at_the_chosen_page_with_the_settings(url, page, expected) -> None:
    assert share_link(url, page, {"epochs": "5", "batch_size": "32"}) == expected


# Exports


def test_exports_hold_the_coefficients_history_and_config(problem) -> None:
    config = sgdcore.TrainConfig(epochs=2)
    progress = last(problem.train, config, test=problem.test)
    comparison = problem.compare(progress.weights, progress.bias)
    frame = coefficients_frame(comparison)
    assert frame["coefficient"].tolist() == ["x1", "x2", "bias"]
    assert np.allclose(frame["truth"], [2, -3.4, 4.2])
    document = json.loads(coefficients_json(comparison, description="d", target="y", progress=progress,
                                                config=config))
    assert document["sgd"]["weights"]["x1"] == pytest.approx(progress.weights[0])
    assert document["closed_form"]["bias"] == pytest.approx(problem.optimum.bias)
    assert document["metrics"]["train_r2"]["sgd"] > 0.99 and document["status"] == "finished"
    history = epoch_history_frame(progress)
    assert history["epoch"].tolist() == [0, 1, 2] and history["step"].tolist() == [0, 80, 160]
    assert {"train_loss", "test_loss", "seconds"} <= set(history.columns)
    steps = step_history_frame(progress, problem.names)
    assert steps["step"].is_monotonic_increasing and steps["step"].iloc[-1] == 160
    # An epoch of 80 steps, then two of 40 at batch size 20: the steps are those each epoch took.
    continued = last(problem.train, dataclasses.replace(config, batch_size=20, epochs=3), state=progress.state)
    assert epoch_history_frame(continued)["step"].tolist() == [0, 80, 160, 200]
    saved = json.loads(config_json(config, {"epochs": "2"}, "d"))
    rebuilt = sgdcore.TrainConfig(**{**saved["train_config"],
                                     "schedule": sgdcore.Schedule(**saved["train_config"]["schedule"])})
    assert rebuilt == config



@pytest.mark.parametrize("sidebar", [
    {"epochs": 5},
    {"learning_rate": 0.2, "batch_size": 32, "epochs": 40, "momentum": 0.9, "nesterov": True, "schedule": "step",
     "decay_epochs": 10, "decay_gamma": 0.7, "early_stopping": True, "tol": 1e-5, "n_iter_no_change": 3, "seed": 7,
     "weight_decay": 0.001, "l1_penalty": 0.01, "n_threads": 2, "shuffle": "replacement"},
    {"schedule": "cosine", "warmup_epochs": 2, "epochs": 6, "batch_size": 5000},
    {"schedule": "inverse_scaling", "power_t": 0.5, "momentum": 0.5},
], ids=["epochs", "many", "cosine_full_batch", "inverse_scaling"])
def test_the_run_settings_are_those_that_make_its_config(sidebar: dict[str, Any]) -> None:
    """The configuration file's dashboard settings, opened as a link, make the run's config again, whatever the
    sidebar holds now; the data's settings are the run's, and nothing that shapes no run (the language) is in."""
    data_settings = {"data_source": "synthetic", "n_rows": 1000, "noise": 0.5, "data_seed": 3, "standardize": True,
                     "true_weights": "2, -3.4", "true_bias": 4.2, "test_fraction": 0.2}
    n_train = 800
    config = train_config(sidebar, n_train)
    settings = run_settings(config, data_settings, n_train)
    opened: dict[str, Any] = {}
    assert apply_query_params(opened, settings) == []
    assert train_config(opened, n_train) == config
    assert {key: opened[key] for key in ("noise", "data_seed", "standardize")} == {"noise": 0.5, "data_seed": 3,
                                                                                   "standardize": True}
    assert "lang" not in settings and "learning_rates_compared" not in settings


def test_the_configuration_file_says_what_its_settings_cannot_say_of_the_run(problem) -> None:
    """A run that changed its settings part-way, went on under early stopping after it had ended the run or after
    the rule was set otherwise, or went past its epochs on a cosine planned for them: a run trained from its
    settings is another, and the file says why."""
    plain = sgdcore.TrainConfig(epochs=2)
    progress = last(problem.train, plain)
    assert json.loads(config_json(plain, {"epochs": "2"}, "d", settings_notes(plain, progress, ())))[
        "dashboard_settings_notes"] == []
    changed = last(problem.train, dataclasses.replace(plain, learning_rate=0.1, epochs=3), state=progress.state)
    assert changed.changes
    stop = Leg(epoch=7, epochs=40, tol=1e-5, n_iter_no_change=3, status="converged", step=175, batch_in_epoch=0)
    switched = dataclasses.replace(stop, epoch=6, epochs=6, tol=None, status="finished", step=150)
    on = dataclasses.replace(plain, tol=1e-4)
    cosine = dataclasses.replace(plain, schedule=sgdcore.Schedule(kind="cosine")).as_planned(problem.train.n_rows)
    for config, run, stops, words in [(plain, changed, (), "changed part-way (at step 160: learning rate"),
                                      (on, progress, (stop,), "after epoch 7"),
                                      (on, progress, (switched,), "(at step 150)"),
                                      (dataclasses.replace(plain, tol=None), progress, (stop,), None),
                                      (dataclasses.replace(cosine, epochs=3), progress, (), "spans 160 steps")]:
        notes = json.loads(config_json(config, {}, "d", settings_notes(config, run, stops)))["dashboard_settings_notes"]
        assert (notes == []) if words is None else (len(notes) == 1 and words in notes[0]), (words, notes)

def test_a_csv_download_with_chinese_names_opens_in_excel_and_reads_back() -> None:
    """Excel takes a CSV for UTF-8 only with a byte-order mark: a table with Chinese names has one, an ASCII table
    stays plain bytes; both read back whole, by pandas and by sgdcore."""
    import io

    import pandas as pd

    from sgdcore.io import read_table

    chinese = pd.DataFrame({"coefficient": ["面积", "房龄", "bias"], "sgd": [1.5, -2.0, 0.5]})
    ascii_only = chinese.assign(coefficient=["x1", "x2", "bias"])
    assert csv_file(chinese).startswith(b"\xef\xbb\xbf") and csv_file(chinese).decode("utf-8-sig").startswith("coef")
    assert csv_file(ascii_only) == ascii_only.to_csv(index=False).encode("ascii")
    for frame in (chinese, ascii_only):
        pd.testing.assert_frame_equal(pd.read_csv(io.BytesIO(csv_file(frame))), frame)
        pd.testing.assert_frame_equal(read_table(csv_file(frame)).frame, frame)


def test_the_json_downloads_write_chinese_as_chinese(problem) -> None:
    """A Chinese page's description and uploaded names are written as characters a person reads in any editor
    (面积), not as JSON's escapes (\\u9762\\u79ef), and read back the same."""
    config = sgdcore.TrainConfig(epochs=1)
    progress = last(problem.train, config)
    comparison = dataclasses.replace(problem.compare(progress.weights, progress.bias), names=("面积", "房龄", "bias"))
    text = coefficients_json(comparison, description="合成数据，1000 行", target="价格", progress=progress,
                             config=config)
    assert '"面积": ' in text and '"data": "合成数据，1000 行"' in text and "\\u" not in text
    assert json.loads(text)["sgd"]["weights"]["房龄"] == pytest.approx(progress.weights[1])
    saved = config_json(config, {"lang": "zh-CN"}, "合成数据")
    assert '"data": "合成数据"' in saved and json.loads(saved)["data"] == "合成数据"


def test_a_diverged_run_exports_valid_json_with_nulls(problem) -> None:
    config = sgdcore.TrainConfig(learning_rate=50.0, batch_size=800, epochs=50)
    progress = last(problem.train, config)
    assert progress.status == "diverged"
    broken = problem.compare(progress.weights * np.inf, progress.bias)
    document = json.loads(coefficients_json(broken, description="d", target="y", progress=progress, config=config))
    assert document["sgd"]["weights"]["x1"] is None


@pytest.mark.parametrize("config", [sgdcore.TrainConfig(epochs=2),
                                    sgdcore.TrainConfig(learning_rate=50.0, batch_size=800, epochs=50)])
def test_the_coefficients_json_says_how_the_run_ended_in_the_pages_language(
        problem, config: sgdcore.TrainConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its message beside a Chinese description is Chinese, as the Export page says it, not sgdcore's English."""
    progress = last(problem.train, config)
    comparison = problem.compare(progress.weights, progress.bias)
    monkeypatch.setattr("ui.i18n.language", lambda: "zh-CN")
    document = json.loads(coefficients_json(comparison, description="合成数据", target="y", progress=progress,
                                            config=config))
    assert document["message"] == outcome(progress, config) and re.search(r"[\u4e00-\u9fff]", document["message"])
    assert document["status"] == progress.status  # a code for a program, as sgdcore names it


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


@pytest.mark.parametrize("x", charts.AXES)
def test_a_run_diverged_within_its_first_epoch_is_marked_where_it_blew_up_on_the_runs_loss_chart(problem, x) -> None:
    """At batch size 1, rate 0.919 diverges at step 80 and 1.75 at step 19, before any epoch's end: their lines
    are the start alone. A cross marks each at its step, at the minibatch loss that grew past a million times the
    start's (the run's own record); a full-batch run at rate 50 is marked on its line's last point, the training
    loss of the epoch that passed the limit. A run that did not diverge gets no mark."""
    configs = {f"η = {rate}": sgdcore.TrainConfig(learning_rate=rate, batch_size=batch_size)
               for rate, batch_size in ((0.03, 1), (0.919, 1), (1.75, 1), (50.0, 800))}
    runs = {label: last(problem.train, config) for label, config in configs.items()}
    chart = charts.runs_loss_chart(runs, x, n_rows=problem.train.n_rows, configs=configs).to_dict()
    (marks,) = [layer for layer in chart["layer"] if layer["mark"].get("shape") == "cross"]
    rows = chart["datasets"][marks["data"]["name"]]
    assert [row["run"] for row in rows] == ["η = 0.919", "η = 1.75", "η = 50.0"]
    for row in rows:
        progress = runs[row["run"]]
        assert progress.status == "diverged" and row["step"] == progress.diverged_at_step
        limit = 1e6 * progress.epoch_train_loss[0]
        if row["run"] == "η = 50.0":
            assert row["loss"] == progress.epoch_train_loss[-1] > limit
            assert "its training loss" in row["label"]
        else:
            assert len(progress.epoch_train_loss) == 1  # no epoch ended: the line is the start alone
            assert row["loss"] == progress.minibatch_loss[progress.loss_steps == row["step"]][-1] > limit
            assert row["label"].startswith(f"diverged at step {row['step']}: its minibatch loss")
        if x == "examples":
            assert row["examples"] == row["step"] * configs[row["run"]].batch_size


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
    from ui import kernel as ui_kernel

    compiled = threading.Event()

    def slow_compile() -> None:
        time.sleep(0.3)
        compiled.set()

    warm_up = threading.Thread(target=slow_compile)
    warm_up.start()
    monkeypatch.setattr(ui_kernel, "warm_up_in_background", lambda: warm_up)
    shown = []

    @contextlib.contextmanager
    def spinner(text: str) -> Iterator[None]:
        shown.append(text)
        yield

    monkeypatch.setattr(ui_kernel.st, "spinner", spinner)
    ui_kernel.wait_for_kernel()
    assert compiled.is_set()  # training starts only once the kernel is ready…
    assert shown == [ui_kernel.compiling_message()]  # …and the page said why it waited
    ui_kernel.wait_for_kernel()
    assert shown == [ui_kernel.compiling_message()]  # compiled already: no message, no wait


@pytest.mark.parametrize("live", [True, False])
def test_the_pages_runs_reuse_the_problems_loss_forms(live: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import runner

    problem = sgdcore.make_problem(sgdcore.synthetic(n=2000, seed=4), test_fraction=0.2)
    config = sgdcore.TrainConfig(batch_size=1600, epochs=50)  # the Learning-rate page's kind of run: long
    expected = [*sgdcore.train(problem.train, config, test=problem.test)][-1]
    assert problem.test_quadratic is not None  # summed here, once, as the first page run would

    def summed_again(data: sgdcore.Dataset) -> None:
        raise AssertionError("a page run summed the loss's quadratic form again")

    monkeypatch.setattr(sys.modules["sgdcore.losses"], "quadratic_loss", summed_again)
    # As on a server whose kernel is ready: while it compiles, a short run trains on the NumPy path instead,
    # equal to the compiled run only to rounding.
    runner.wait_for_kernel()
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
    with pytest.raises(ValueError, match=r"400,001 rows × 100 features is 40,000,100 values \(0.3 GB\), more than"):
        selected_dataset({"data_source": "synthetic", "n_rows": MAX_SYNTHETIC_VALUES // 100 + 1,
                          "true_weights": weights})


def test_the_refusal_of_too_much_synthetic_data_names_two_shapes_the_sidebar_can_set_and_the_cap_holds() -> None:
    from ui.datasets import MAX_SYNTHETIC_VALUES, selected_dataset

    with pytest.raises(ValueError) as refused:
        selected_dataset({"data_source": "synthetic", "n_rows": 2_000_000, "true_weights": ", ".join(["1"] * 200)})
    message = str(refused.value)
    assert "is 400,000,000 values (3.2 GB)" in message and "at most 40,000,000, such as " in message, message
    shapes = re.search(r"such as ([\d,]+) rows × (\d+) features or ([\d,]+) × (\d+)\.", message)
    assert shapes, message
    rows, features, rows_b, features_b = (int(number.replace(",", "")) for number in shapes.groups())
    for n_rows, n_features in ((rows, features), (rows_b, features_b)):
        assert BY_KEY["n_rows"].low <= n_rows <= BY_KEY["n_rows"].high and 1 <= n_features <= MAX_FEATURES
        assert n_rows * n_features <= MAX_SYNTHETIC_VALUES  # held: not refused
    # Each is the largest along one side: the most rows the sidebar takes, the most features
    assert rows == BY_KEY["n_rows"].high and rows * (features + 1) > MAX_SYNTHETIC_VALUES
    assert features_b == MAX_FEATURES and (rows_b + 1) * features_b > MAX_SYNTHETIC_VALUES


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
    assert set(parsed) == {"file_id", "name", "digest", "read_as", "error"} and "line 3" in str(parsed["error"])
    assert parsed["read_as"] == "detected"  # a UTF-8 file: its bytes are not kept to read in another encoding
    assert (parsed["error"].problem, parsed["error"].fields["line"]) == ("ragged_row", 3)


def test_the_landscape_gives_an_axis_along_which_start_and_optimum_meet_the_other_axis_s_span() -> None:
    """Standardised, the target's mean is 0 up to rounding: the bias axis spanned about ±1e-16, ticks "−0.000…"."""
    problem = sgdcore.make_problem(sgdcore.synthetic(n=200, w=[2.0]), test_fraction=0.2, standardize=True)
    assert 0 < abs(problem.optimum.params[1]) < 1e-12  # the bias: the start (0) and the optimum meet
    progress = last(problem.train, sgdcore.TrainConfig(batch_size=problem.train.n_rows, epochs=3))
    spec = charts.landscape_chart(problem, {"SGD": progress}, 0, 1).to_dict()
    x_domain, y_domain = (spec["layer"][0]["encoding"][axis]["scale"]["domain"] for axis in ("x", "y"))
    assert y_domain[1] - y_domain[0] == pytest.approx(x_domain[1] - x_domain[0])  # square: circles look round
    assert x_domain[1] - x_domain[0] > 2  # the weight's optimum is about 1, its start 0
    # Both meet (no run yet, the optimum alone): a span of 1 each way, as before
    alone = charts.landscape_chart(problem, {}, 0, 1).to_dict()
    assert alone["layer"][0]["encoding"]["y"]["scale"]["domain"] == pytest.approx([-1.25, 1.25], abs=1e-12)

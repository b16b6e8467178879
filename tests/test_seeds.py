"""Issue 18, point 5: the comparison pages train several seeds of each configuration and draw each one's median
loss with a band, so that minibatch noise shows as a spread rather than as one lucky curve.

The band the page draws is read from the spec the browser gets and checked against NumPy's quantiles of runs
trained here, independently, by ``sgdcore.train`` with the seeds the page says it uses.
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
from ui import charts
from ui.settings import BY_KEY, MAX_SEEDS, apply_query_params, query_params
from ui.widgets import seed_plan

ROOT = Path(__file__).resolve().parents[1]
PAGES = {"learning_rate": "Train all", "batch_size": "Train all", "momentum": "Train all three"}


def page(name: str, **query: str) -> AppTest:
    """``pages/<name>.py`` opened through the router with ``query`` as a share link's parameters."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=200)
    at.query_params.update(query)
    at.run()
    at.switch_page(f"pages/{name}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def train(at: AppTest, name: str) -> AppTest:
    next(b for b in at.button if b.label == PAGES[name]).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def loss_chart(at: AppTest, tab: int = 0) -> tuple[list[str], pd.DataFrame]:
    """The marks of the ``tab``-th "Training loss" chart and the table its curves are drawn from."""
    found = [element for element in at.get("vega_lite_chart")
             if json.loads(element.proto.spec).get("title") == "Training loss"]
    assert found, "no chart titled 'Training loss'"
    element = found[tab]
    marks = [layer["mark"]["type"] for layer in json.loads(element.proto.spec)["layer"]]
    tables = [pa.ipc.open_stream(dataset.data.data).read_all().to_pandas() for dataset in element.proto.datasets]
    return marks, next(table for table in tables if "run" in table)


def captions(at: AppTest) -> str:
    return " ".join(caption.value for caption in at.main.caption)


@pytest.fixture(scope="module")
def problem() -> sgdcore.Problem:
    """The sidebar's default data, made here from sgdcore alone."""
    data = sgdcore.synthetic(1000, (2.0, -3.4), 4.2, 0.01, 0)
    return sgdcore.make_problem(data, test_fraction=0.2, seed=0)


@pytest.mark.parametrize("name", list(PAGES))
def test_every_comparison_page_has_the_seeds_widget_from_1_to_20(name: str) -> None:
    at = page(name)
    box = at.number_input(key="repeat_seeds")
    assert (box.label, box.value, box.min, box.max) == ("Seeds per configuration", 1, 1, MAX_SEEDS) == (
        "Seeds per configuration", 1, 1, 20)
    assert "one per configuration" in captions(at)


def test_five_seeds_draw_the_median_and_the_10_to_90_percent_band_of_the_runs_sgdcore_trains(problem) -> None:
    epochs, multiples = 4, [0.1, 0.5, 1.0]
    at = page("learning_rate", learning_rate_page_full_batch="0", learning_rate_page_epochs=str(epochs),
              learning_rates_compared=", ".join(map(str, multiples)))
    at.number_input(key="repeat_seeds").set_value(5).run()
    assert "This page trains 15 runs: 3 configurations × 5 seeds (0, 1, …, 4" in captions(at)
    train(at, "learning_rate")
    marks, drawn = loss_chart(at)
    assert marks == ["area", "line", "rule"]
    configs = at.session_state["learning_rate_runs"]["configs"]
    assert len(configs) == len(multiples)
    for multiple, (label, config) in zip(multiples, configs.items(), strict=True):
        rate = multiple / problem.curvature.lambda_max  # multiples of half the full-batch limit 2/λ_max
        assert config.learning_rate == pytest.approx(rate, rel=1e-12)
        losses = []
        for seed in range(5):
            mine = sgdcore.TrainConfig(learning_rate=rate, batch_size=10, epochs=epochs, seed=seed)
            *_, progress = sgdcore.train(problem.train, mine, test=problem.test)
            assert progress.status == "finished"
            losses.append(progress.epoch_train_loss)
        losses = np.array(losses)
        band = drawn[drawn["run"] == label].sort_values("step")
        assert list(band["step"]) == [epoch * 80 for epoch in range(epochs + 1)]  # 800 rows in batches of 10
        assert set(band["band"]) == {"10–90% of 5 seeds"}
        np.testing.assert_allclose(band["low"], np.quantile(losses, 0.1, axis=0), rtol=1e-6)
        np.testing.assert_allclose(band["median"], np.median(losses, axis=0), rtol=1e-6)
        np.testing.assert_allclose(band["high"], np.quantile(losses, 0.9, axis=0), rtol=1e-6)
        assert (band["high"] > band["low"]).iloc[1:].all()  # minibatch noise: the seeds differ
        # The table quotes the median run: the seed whose final loss is the median of the five.
        median_seed = int(np.argsort(losses[:, -1], kind="stable")[2])
        assert config.seed == median_seed
    table = at.table[0].value
    assert list(table["seed of the median run"]) == [str(config.seed) for config in configs.values()]
    assert all(text.endswith("(10–90% of 5)") for text in table["final loss over the seeds"])
    assert "each row quotes the configuration's median run" in captions(at)


def test_one_seed_draws_one_curve_a_run_as_before(problem) -> None:
    at = page("learning_rate", learning_rate_page_full_batch="0", learning_rate_page_epochs="3",
              learning_rates_compared="0.5, 1")
    assert "This page trains 2 runs, one per configuration, with seed 0." in captions(at)
    train(at, "learning_rate")
    marks, drawn = loss_chart(at)
    assert marks == ["line", "rule"]
    entry = at.session_state["learning_rate_runs"]
    assert list(entry["runs"]) == list(drawn["run"].unique())
    for label, progress in entry["runs"].items():
        assert entry["configs"][label].seed == 0
        np.testing.assert_array_equal(drawn[drawn["run"] == label]["loss"], progress.epoch_train_loss)
    assert "seed of the median run" not in at.table[0].value


def test_full_batch_runs_are_trained_once_and_say_why() -> None:
    at = page("learning_rate", repeat_seeds="5", learning_rates_compared="0.5, 1")  # the full batch by default
    assert ("This page trains 2 runs, one per configuration, with seed 0: full-batch descent takes every row at "
            "every step") in captions(at)
    train(at, "learning_rate")
    marks, _ = loss_chart(at)
    assert marks == ["line", "rule"]
    assert all(len(runs) == 1 for runs in at.session_state["learning_rate_runs"]["repeats"].values())


def test_batch_size_page_repeats_the_minibatches_and_trains_the_full_batch_once() -> None:
    at = page("batch_size", batch_sizes_compared="10, full", batch_size_page_epochs="2", repeat_seeds="3")
    assert ("This page trains 4 runs: 1 configuration × 3 seeds (0, 1, 2: the sidebar's seed and the next "
            "ones), and 1 full-batch once, with seed 0") in captions(at)
    train(at, "batch_size")
    entry = at.session_state["batch_size_runs"]
    assert {label: list(runs) for label, runs in entry["repeats"].items()} == {"B = 10": [0, 1, 2],
                                                                               "B = 800 (full)": [0]}
    for tab in range(3):  # per epoch, per example, per second
        marks, drawn = loss_chart(at, tab)
        assert marks == ["area", "line", "rule"]
        assert set(zip(drawn["run"], drawn["band"], strict=True)) == {("B = 10", "min–max of 3 seeds"),
                                                          ("B = 800 (full)", "one run")}
        full = drawn[drawn["run"] == "B = 800 (full)"]
        assert (full["low"] == full["high"]).all()
    b10 = np.array([run.epoch_train_loss for run in entry["repeats"]["B = 10"].values()])
    band = drawn[drawn["run"] == "B = 10"]
    np.testing.assert_allclose(band["low"], b10.min(axis=0))
    np.testing.assert_allclose(band["high"], b10.max(axis=0))
    table = at.table[0].value
    assert list(table["seed of the median run"])[1] == "0 (one run)"


def test_momentum_page_with_minibatches_draws_a_band_for_each_optimiser() -> None:
    at = page("momentum", momentum_page_full_batch="0", momentum_page_batch_size="10", momentum_page_epochs="3",
              momentum_page_rate_multiple="0.2", momentum_compared="0.5", repeat_seeds="2")
    train(at, "momentum")
    marks, drawn = loss_chart(at)
    assert marks == ["area", "line", "rule"]
    assert set(drawn["band"]) == {"min–max of 2 seeds"} and drawn["run"].nunique() == 3
    assert len(at.table[0].value["final loss over the seeds"]) == 3


def test_the_band_of_a_few_runs_spans_the_least_to_the_most_and_the_median_run_is_the_middle_one(problem) -> None:
    runs = []
    for seed in range(4):
        *_, progress = sgdcore.train(problem.train, sgdcore.TrainConfig(learning_rate=0.3, epochs=3, seed=seed))
        runs.append(progress)
    losses = np.array([run.epoch_train_loss for run in runs])
    band = charts.loss_band(runs[:3])
    np.testing.assert_array_equal(band["low"], losses[:3].min(axis=0))
    np.testing.assert_array_equal(band["high"], losses[:3].max(axis=0))
    np.testing.assert_array_equal(band["median"], np.median(losses[:3], axis=0))
    assert list(band["runs"]) == [3] * 4
    finals = losses[:, -1]
    assert len(set(finals)) == 4  # the seeds differ
    assert finals[charts.median_run(runs[:3])] == np.median(finals[:3])
    assert finals[charts.median_run(runs)] == np.sort(finals)[1]  # four runs: the lower of the two middle ones


def test_a_run_that_diverged_counts_as_infinite_and_leaves_the_drawing(problem) -> None:
    runs = []
    for seed in range(5):
        # 1.5× the full-batch limit diverges at batch size 10 whatever the seed; the stable ones converge.
        rate = 3.0 / problem.curvature.lambda_max if seed == 4 else 0.3
        *_, progress = sgdcore.train(problem.train, sgdcore.TrainConfig(learning_rate=rate, epochs=3, seed=seed))
        runs.append(progress)
    assert runs[4].status == "diverged"
    band = charts.loss_band(runs)
    assert np.isinf(band["high"].iloc[-1]) and np.isfinite(band["median"]).all()
    assert charts.median_run(runs) != 4
    assert list(band["diverged"]) == [0, 1, 1, 1]
    chart = charts.seeds_loss_chart({"a": runs}, "epoch").to_dict()
    rows = next(rows for rows in chart["datasets"].values() if rows and "band" in rows[0])
    # The band reaches the chart's top where its end is infinite (JSON has no infinity: null), never beyond.
    top = max(row["high"] for row in rows if row["high"] is not None)
    assert [row["band top"] for row in rows] == [rows[0]["high"]] + [top] * 3
    assert [row["high"] is None for row in rows] == [False, True, True, True]


def test_seed_plan_repeats_only_what_draws_minibatches() -> None:
    configs = {"small": sgdcore.TrainConfig(batch_size=10, seed=7), "full": sgdcore.TrainConfig(batch_size=100),
               "full, drawn with replacement": sgdcore.TrainConfig(batch_size=100, shuffle="replacement")}
    assert seed_plan(configs, 3, 100) == {"small": [7, 8, 9], "full": [0], "full, drawn with replacement": [0, 1, 2]}


def test_the_share_link_carries_the_seeds_and_refuses_more_than_twenty() -> None:
    state = {setting.key: setting.default for setting in BY_KEY.values()}
    assert "repeat_seeds" not in query_params(state)  # the default, 1, is not written
    state["repeat_seeds"] = 7
    link = query_params(state)
    assert link["repeat_seeds"] == "7"
    fresh: dict = {}
    assert apply_query_params(fresh, link) == [] and fresh["repeat_seeds"] == 7
    for text, why in (("21", "above 20"), ("0", "below 1"), ("many", "not valid")):
        problems = apply_query_params(fresh, {"repeat_seeds": text})
        assert len(problems) == 1 and why in problems[0], problems


def test_the_seeds_survive_a_link_and_the_address_bar_follows_the_widget() -> None:
    at = page("batch_size", repeat_seeds="6")
    assert at.number_input(key="repeat_seeds").value == 6
    at.number_input(key="repeat_seeds").set_value(9).run()
    assert at.query_params["repeat_seeds"] == "9"
    at.switch_page("pages/momentum.py").run()  # one setting for the three pages, kept across them
    assert at.number_input(key="repeat_seeds").value == 9

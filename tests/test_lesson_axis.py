"""Issue 18, point 3: the charts' horizontal axis in steps, epochs, examples seen or wall time, one shared setting."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import sgdcore
from tests.test_app_pages import title_text
from ui import charts

ROOT = Path(__file__).resolve().parents[1]


def examples_by_hand(n_rows: int, batch_size: int, epochs: int, drop_last: bool) -> np.ndarray:
    """Rows seen after 0, 1, 2, … steps, from the batches' own lengths."""
    lengths = [min(batch_size, n_rows - start) for start in range(0, n_rows, batch_size)]
    if drop_last:
        lengths = [length for length in lengths if length == batch_size]
    return np.concatenate(([0], np.cumsum(lengths * epochs)))


@pytest.mark.parametrize(("n_rows", "batch_size"), [(10, 4), (10, 5), (7, 7), (800, 30), (5, 1)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_examples_seen_count_the_short_last_batch_or_its_dropping(n_rows, batch_size, drop_last) -> None:
    config = sgdcore.TrainConfig(batch_size=batch_size, drop_last=drop_last)
    expected = examples_by_hand(n_rows, batch_size, 3, drop_last)
    np.testing.assert_array_equal(charts.examples_seen(np.arange(len(expected)), n_rows, config), expected)


@pytest.fixture(scope="module")
def problem() -> sgdcore.Problem:
    return sgdcore.make_problem(sgdcore.synthetic(n=1000, seed=1), test_fraction=0.2)


@pytest.fixture(scope="module")
def run(problem) -> tuple[sgdcore.TrainConfig, sgdcore.Progress]:
    config = sgdcore.TrainConfig(learning_rate=0.03, batch_size=30, epochs=3)
    *_, progress = sgdcore.train(problem.train, config)
    return config, progress


def test_wall_time_is_the_measured_epoch_times_at_epoch_ends_and_grows_in_between(run) -> None:
    _, progress = run
    ends = np.arange(len(progress.epoch_seconds)) * progress.steps_per_epoch
    np.testing.assert_array_equal(charts.seconds_at(progress, ends), progress.epoch_seconds)
    within = charts.seconds_at(progress, np.arange(progress.step + 1))
    assert (np.diff(within) >= 0).all() and within[-1] == progress.epoch_seconds[-1]


def layer_rows(chart) -> tuple[str, list[dict]]:
    spec = chart.to_dict()
    first = spec["layer"][0]
    name = first.get("data", spec.get("data", {})).get("name")
    return first["encoding"]["x"]["field"], spec["datasets"][name]


@pytest.mark.parametrize("x", list(charts.AXES))
def test_the_run_charts_draw_along_the_chosen_axis_with_true_positions(run, problem, x) -> None:
    config, progress = run
    n_rows = problem.train.n_rows
    for chart in (charts.loss_chart(progress, problem.optimum_loss, config=config, x=x, n_rows=n_rows),
                  charts.parameters_chart(progress, problem.names, problem.optimum.params, None, [0, 1], config,
                                          x=x, n_rows=n_rows),
                  charts.runs_loss_chart({"a": progress}, x, n_rows=n_rows, configs={"a": config})):
        field, rows = layer_rows(chart)
        assert field == x
        steps = np.array([row["step"] for row in rows])
        position = np.array([row[x] for row in rows], dtype=float)
        expected = {"step": steps, "epoch": steps / progress.steps_per_epoch,
                    "examples": examples_by_hand(n_rows, 30, 3, False)[steps],
                    "seconds": charts.seconds_at(progress, steps)}[x]
        np.testing.assert_allclose(position, expected, rtol=1e-12)


def test_an_unknown_axis_is_refused_by_name(run, problem) -> None:
    config, progress = run
    with pytest.raises(ValueError, match="x must be one of step, epoch, examples, seconds; got 'rows'"):
        charts.loss_chart(progress, None, config=config, x="rows")


def x_of(at: AppTest, title: str) -> tuple[str, list[dict]]:
    """The horizontal field of the chart titled ``title`` and its first layer's rows, as the browser gets them."""
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if title_text(spec) == title:
            first = spec["layer"][0]
            name = first.get("data", spec.get("data", {})).get("name")
            for dataset in element.proto.datasets:
                if dataset.name == name:
                    rows = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas().to_dict("records")
                    return first["encoding"]["x"]["field"], rows
    raise AssertionError(f"no chart titled {title!r}")


def test_the_axis_comes_from_a_share_link_and_reaches_the_train_and_momentum_pages() -> None:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params.update({"chart_axis": "examples", "batch_size": "30"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="chart_axis").value == "examples"
    next(b for b in at.button if b.label == "Train").click().run()
    field, rows = x_of(at, "Loss")
    assert field == "examples"
    epoch_ends = [row for row in rows if row["series"] == "train (full, per epoch)"]
    assert [row["examples"] for row in epoch_ends] == [800 * k for k in range(4)]  # 27 steps, the last of 20 rows
    minibatch = [row for row in rows if row["series"] == "minibatch"]
    assert len(minibatch) == 81
    assert [row["examples"] for row in minibatch] == [
        800 * (row["step"] // 27) + min(30 * (row["step"] % 27), 800) for row in minibatch]
    assert minibatch[26]["examples"] == 800 and minibatch[25]["examples"] == 780  # step 27 adds only 20 rows
    at.radio(key="chart_axis").set_value("seconds").run()
    assert x_of(at, "Loss")[0] == "seconds"
    assert at.query_params["chart_axis"] in ("seconds", ["seconds"])  # the share link carries it
    at.switch_page("pages/momentum.py").run()
    assert at.radio(key="chart_axis").value == "seconds"  # one setting for every page
    next(b for b in at.button if b.label.startswith("Train")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert x_of(at, "Training loss")[0] == "seconds"

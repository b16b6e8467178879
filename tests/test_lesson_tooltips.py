"""Issue 18, point 6: every chart shows exact numbers on hover (step, epoch, loss, parameter values, learning rate).

The fields are read from the specs the browser gets, and the numbers behind them are checked against the run
and against brute force: the rate from the schedule's own formula, the loss from the data.
"""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt
import numpy as np
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import sgdcore
from tests.test_app_pages import title_text
from ui import charts

ROOT = Path(__file__).resolve().parents[1]
POSITION = {"step", "epoch", "learning rate"}


def tooltip_layers(spec: dict) -> list[tuple[set[str], list[dict]]]:
    """Each layer's tooltip fields with the rows it draws (``spec`` as ``to_dict`` or the browser has it)."""
    datasets = spec.get("datasets", {})
    shared = spec.get("data", {}).get("name")  # Altair lifts data the layers share to the top
    layers = []
    for layer in spec.get("layer", [spec]):
        tooltip = layer.get("encoding", {}).get("tooltip", [])
        if isinstance(tooltip, dict):
            tooltip = [tooltip]
        fields = {item["field"] for item in tooltip}
        rows = datasets.get(layer.get("data", {}).get("name", shared), [])
        layers.append((fields, rows))
    return layers


def leaf_layers(spec: dict, inherited: dict | None = None) -> list[dict]:
    """The marks of ``spec`` (layers within layers flattened), each with the encoding it inherits merged in."""
    encoding = {**(inherited or {}), **spec.get("encoding", {})}
    if "layer" in spec:
        return [leaf for layer in spec["layer"] for leaf in leaf_layers(layer, encoding)]
    return [{**spec, "encoding": encoding}]


def hover_entries(spec: dict) -> list[list[dict]]:
    """What hovering each mark of ``spec`` shows, as Streamlit draws it: its tooltip's entries; for a mark without
    a tooltip, every field its encoding has (Streamlit's theme sets ``mark.tooltip = {"content": "encoding"}``, so
    Vega-Lite shows each channel's field, titled only if its channel is, unformatted); nothing for a mark whose
    hover text is turned off."""
    shown = []
    for layer in leaf_layers(spec):
        mark, encoding = layer.get("mark", {}), layer["encoding"]
        if isinstance(mark, dict) and mark.get("tooltip", True) in (None, False):
            shown.append([])
        elif "tooltip" in encoding:
            tooltip = encoding["tooltip"]
            shown.append([] if tooltip is None else tooltip if isinstance(tooltip, list) else [tooltip])
        else:
            shown.append([{"channel": channel, **definition} for channel, definition in encoding.items()
                          if isinstance(definition, dict) and "field" in definition])
    return shown


def fields_of(chart: alt.TopLevelMixin) -> list[set[str]]:
    return [fields for fields, _ in tooltip_layers(chart.to_dict())]


@pytest.fixture(scope="module")
def problem() -> sgdcore.Problem:
    return sgdcore.make_problem(sgdcore.synthetic(n=500, w=[2.0, -3.4], b=4.2, noise=0.1, seed=3), test_fraction=0.2)


@pytest.fixture(scope="module")
def run(problem: sgdcore.Problem) -> tuple[sgdcore.TrainConfig, sgdcore.Progress]:
    # A step schedule halving the rate every epoch: each epoch's points must carry their own rate.
    steps_per_epoch = sgdcore.TrainConfig(batch_size=32).steps_per_epoch(problem.train.n_rows)
    config = sgdcore.TrainConfig(learning_rate=0.1, batch_size=32, epochs=4,
                                 schedule=sgdcore.Schedule(kind="step", gamma=0.5, step_size=steps_per_epoch))
    *_, progress = sgdcore.train(problem.train, config, test=problem.test)
    return config, progress


def halving_rate(step: np.ndarray, steps_per_epoch: int) -> np.ndarray:
    """The rate of the update that reached step ``N`` (from 1): 0.1 halved at each epoch boundary, by hand."""
    taken = np.maximum(np.asarray(step) - 1, 0)
    return 0.1 * 0.5 ** (taken // steps_per_epoch)


def test_the_loss_chart_hovers_step_epoch_loss_and_the_rate_of_each_step(run, problem) -> None:
    config, progress = run
    (fields, rows), *_ = tooltip_layers(charts.loss_chart(progress, problem.optimum_loss, config=config).to_dict())
    assert {"series", "loss"} | POSITION <= fields
    steps = np.array([row["step"] for row in rows])
    assert len(set(steps)) > 10 and steps.max() == progress.total_steps
    spe = progress.steps_per_epoch
    np.testing.assert_allclose([row["learning rate"] for row in rows], halving_rate(steps, spe), rtol=1e-15)
    np.testing.assert_allclose([row["epoch"] for row in rows], steps / spe, rtol=1e-15)
    # The rate differs between epochs, so a constant in the tooltip would fail above.
    assert len({row["learning rate"] for row in rows}) == 4
    epoch_rows = [row for row in rows if row["series"] == "train (full, per epoch)"]
    np.testing.assert_allclose([row["loss"] for row in epoch_rows], progress.epoch_train_loss)


def test_the_parameters_chart_hovers_each_value_with_its_step_epoch_and_rate(run, problem) -> None:
    config, progress = run
    chart = charts.parameters_chart(progress, problem.names, problem.optimum.params, None, [0, 1, 2], config)
    (fields, rows), (target_fields, _) = tooltip_layers(chart.to_dict())[:2]
    assert {"parameter", "value"} | POSITION <= fields
    assert {"parameter", "closed form"} <= target_fields
    index = {name: k for k, name in enumerate(problem.names)}
    where = {int(step): k for k, step in enumerate(progress.trajectory_steps)}
    for row in rows:
        assert row["value"] == progress.trajectory[where[row["step"]], index[row["parameter"]]]
        assert row["learning rate"] == pytest.approx(halving_rate(row["step"], progress.steps_per_epoch), rel=1e-15)


def test_the_landscape_hovers_the_path_with_both_parameters_and_the_exact_training_loss(run, problem) -> None:
    config, progress = run
    chart = charts.landscape_chart(problem, {"SGD": progress}, 0, 2, configs={"SGD": config})
    layers = tooltip_layers(chart.to_dict())
    path_fields, rows = next(layer for layer in layers if "run" in layer[0])
    assert {"run", "x", "y", "training loss"} | POSITION <= path_fields
    data = problem.train
    for row in rows[:: max(1, len(rows) // 20)]:
        k = int(np.flatnonzero(progress.trajectory_steps == row["step"])[0])
        w, b = progress.trajectory[k, :-1], progress.trajectory[k, -1]
        brute = 0.5 * np.mean((data.X @ w + b - data.y) ** 2)
        assert row["training loss"] == pytest.approx(brute, rel=1e-9)
        assert (row["x"], row["y"]) == (progress.trajectory[k, 0], progress.trajectory[k, 2])
    optimum_fields, optimum_rows = next(layer for layer in layers
                                        if any(row.get("label") == "closed-form optimum" for row in layer[1]))
    assert {"x", "y", "training loss"} <= optimum_fields
    assert optimum_rows[0]["training loss"] == pytest.approx(problem.optimum_loss)


def test_the_landscape_hovers_each_contours_loss_and_each_arrows_gradient_not_their_drawing_fields(
        run, problem) -> None:
    """The contours and the negative-gradient arrows showed "x1 1.51717558938 | x2 −2.53916007679 | order 45 |
    level 2" and "… | angle 17.8548007096": Streamlit's theme hovers the fields of a mark without a tooltip."""
    config, progress = run
    spec = charts.landscape_chart(problem, {"SGD": progress}, 0, 2, configs={"SGD": config}).to_dict()
    for entries in hover_entries(spec):
        assert entries, "a landscape mark without a hover text"
        for entry in entries:
            assert entry["field"] not in {"order", "level", "angle"}, entry
            assert "title" in entry, entry
            assert entry["type"] != "quantitative" or "format" in entry, entry
    layers = tooltip_layers(spec)
    contour_fields, contour_rows = layers[0]
    assert contour_fields == {"label", "x", "y", "training loss"}
    optimum = problem.optimum.params
    for row in contour_rows[::37]:  # on a contour, the loss it is drawn at: the others at the closed form
        point = optimum.copy()
        point[[0, 2]] = row["x"], row["y"]
        assert row["training loss"] == pytest.approx(problem.quadratic.loss(point), rel=1e-9)
    assert len({row["training loss"] for row in contour_rows}) == 10
    for fields, rows in layers[1:3]:  # an arrow's line and its head: the gradient where it starts
        assert fields == {"label", "x", "y", "gradient a", "gradient b"}
        for row in rows:
            point = optimum.copy()
            point[[0, 2]] = row["x"], row["y"]
            gradient = problem.quadratic.gradient(point)
            assert (row["gradient a"], row["gradient b"]) == pytest.approx((gradient[0], gradient[2]), rel=1e-9)


@pytest.mark.parametrize("x", ["step", "epoch", "examples", "seconds"])
def test_the_comparison_chart_hovers_step_epoch_loss_and_rate_whatever_its_axis(run, problem, x) -> None:
    config, progress = run
    chart = charts.runs_loss_chart({"a": progress}, x, n_rows=problem.train.n_rows, configs={"a": config})
    (fields, rows), *_ = tooltip_layers(chart.to_dict())
    assert {"run", "loss"} | POSITION <= fields
    assert x in fields or x == "epoch"
    np.testing.assert_allclose([row["loss"] for row in rows], progress.epoch_train_loss)
    steps = np.array([row["step"] for row in rows])
    np.testing.assert_array_equal(steps, np.arange(5) * progress.steps_per_epoch)
    np.testing.assert_allclose([row["learning rate"] for row in rows], halving_rate(steps, progress.steps_per_epoch))


def test_the_fit_predicted_schedule_and_noise_charts_hover_their_numbers(run, problem) -> None:
    config, progress = run
    fit = tooltip_layers(charts.fit_chart(problem, progress.weights, progress.bias, 1).to_dict())
    line_fields, line_rows = next(layer for layer in fit if "model" in layer[0])
    assert {"model", "weight", "bias"} <= line_fields
    sgd = next(row for row in line_rows if row["model"] == "SGD")
    assert (sgd["weight"], sgd["bias"]) == (progress.weights[1], progress.bias)  # raw data: model units are units
    assert any({"x", "y"} <= fields for fields, _ in fit)
    predicted = fields_of(charts.predicted_chart(problem, progress.weights, progress.bias))
    assert any({"model", "actual", "predicted"} <= fields for fields in predicted)
    schedule = tooltip_layers(charts.schedule_chart(config, progress.total_steps).to_dict())
    (fields, rows), = schedule
    assert fields >= POSITION
    for row in rows:  # 0-based steps here: the schedule itself
        assert row["learning rate"] == pytest.approx(0.1 * 0.5 ** (row["step"] // progress.steps_per_epoch))


def test_the_schedule_chart_draws_a_cosine_over_the_whole_run_as_training_does(problem) -> None:
    config = sgdcore.TrainConfig(learning_rate=0.1, batch_size=50, epochs=4, schedule=sgdcore.Schedule(kind="cosine"))
    total = config.steps_per_epoch(problem.train.n_rows) * config.epochs
    *_, progress = sgdcore.train(problem.train, config, until_epoch=4)
    (_, rows), = tooltip_layers(charts.schedule_chart(config, total).to_dict())
    middle = next(row for row in rows if row["step"] >= total // 2)
    assert 0.03 < middle["learning rate"] < 0.07  # half way down a cosine from 0.1, not at its floor
    assert progress.learning_rate == pytest.approx(float(charts.scheduled_rates(config, total // 4, total - 1)))


def browser_specs(at: AppTest) -> dict[str, tuple[set[str], list[dict]]]:
    """Every chart the page sent, by its title's text: the tooltip fields of all its layers."""
    found = {}
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        names = {}
        for dataset in element.proto.datasets:
            frame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
            names[dataset.name] = frame.to_dict("records")
        spec["datasets"] = names
        found[str(title_text(spec))] = set().union(*(fields for fields, _ in tooltip_layers(spec)))
    return found


def test_every_chart_of_the_train_page_hovers_its_numbers_after_a_run() -> None:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["schedule"] = "step"
    at.run()
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    found = browser_specs(at)
    assert POSITION | {"loss"} <= found["Loss"]
    assert POSITION | {"value", "parameter"} <= next(v for k, v in found.items() if k.startswith("Parameters"))
    assert POSITION | {"x", "y", "training loss"} <= found["Loss landscape and SGD path"]
    assert {"model", "weight", "bias"} <= next(v for k, v in found.items() if k.startswith("Fit against"))
    assert {"model", "actual", "predicted"} <= next(v for k, v in found.items() if k.startswith("Predicted"))
    assert found["Learning rate over the run"] >= POSITION

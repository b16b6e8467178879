"""The minibatch step view: Step by one minibatch on the Train page, the next minibatch's rows on the fit chart,
and its gradient against the full one as two arrows on the loss landscape, with the angle between them."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from test_app_pages import app, button, chart_data, no_exceptions

import sgdcore
from ui import charts
from ui.kernel import warm_up_in_background


@pytest.fixture(autouse=True, scope="module")
def _kernel_ready() -> None:
    """As on a warm server: a run and its stepped twin both take the compiled kernel (while it compiles, a short
    run takes the NumPy path, equal to it only to rounding, and keeps it to its end)."""
    warm_up_in_background().join()

ANGLE = re.compile(r"Angle between its minibatch gradient and the full gradient: \*\*([0-9.]+)°\*\*")


def problem_of(n_features: int = 2, standardize: bool = True) -> sgdcore.Problem:
    data = sgdcore.synthetic(n=120, w=np.linspace(2.0, -3.4, n_features), seed=3)
    return sgdcore.make_problem(data, standardize=standardize)


def paused(problem: sgdcore.Problem, config: sgdcore.TrainConfig, steps: int) -> sgdcore.NextStep:
    *_, progress = sgdcore.train(problem.train, config, until_step=steps)
    return sgdcore.next_step(problem.train, config, progress.state)


def numpy_gradients(problem: sgdcore.Problem, params: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    A = np.hstack((problem.train.X, np.ones((problem.train.n_rows, 1))))
    full = A.T @ (A @ params - problem.train.y) / len(A)
    minibatch = A[rows].T @ (A[rows] @ params - problem.train.y[rows]) / len(rows)
    return minibatch, full


@pytest.mark.parametrize(("n_features", "a", "b"), [(1, 0, 1), (3, 0, 2), (3, 2, 3)])
def test_the_arrows_are_the_minibatch_and_full_gradients(n_features: int, a: int, b: int) -> None:
    problem = problem_of(n_features)
    config = sgdcore.TrainConfig(batch_size=7, backend="numpy")
    step = paused(problem, config, 5)
    minibatch, full = numpy_gradients(problem, step.params, step.rows)
    view = ((-3.0, 3.0), (-2.0, 5.0))
    arrows = charts.step_arrows(step, a, b, view).set_index("arrow")
    assert list(arrows.index) == ["minibatch gradient", "full gradient"]
    scales = []
    for name, gradient in (("minibatch gradient", minibatch), ("full gradient", full)):
        arrow = arrows.loc[name]
        assert (arrow["x"], arrow["y"]) == (step.params[a], step.params[b])  # from where the run is
        np.testing.assert_allclose([arrow["gradient a"], arrow["gradient b"]], gradient[[a, b]], rtol=1e-12)
        assert arrow["length"] == pytest.approx(np.linalg.norm(gradient), rel=1e-12)
        # Downhill: the arrow is −t·gradient, t > 0, the same t for both arrows.
        drawn = np.array([arrow["x2"] - arrow["x"], arrow["y2"] - arrow["y"]])
        t = -drawn @ gradient[[a, b]] / (gradient[[a, b]] @ gradient[[a, b]])
        np.testing.assert_allclose(drawn, -t * gradient[[a, b]], rtol=1e-9, atol=1e-15)
        scales.append(t)
    assert scales[0] > 0 and scales[0] == pytest.approx(scales[1], rel=1e-12)
    # The longer arrow is a quarter of the chart long on screen.
    pixels = [np.hypot((row.x2 - row.x) * charts.SIZE / 6.0, (row.y2 - row.y) * charts.SIZE / 7.0)
              for row in arrows.itertuples()]
    assert max(pixels) == pytest.approx(charts.SIZE / 4)
    cosine = minibatch @ full / (np.linalg.norm(minibatch) * np.linalg.norm(full))
    assert step.angle_degrees == pytest.approx(math.degrees(math.acos(cosine)), abs=1e-9)


def test_the_landscape_draws_the_arrows_and_the_fit_chart_the_next_rows() -> None:
    problem = problem_of(2)
    config = sgdcore.TrainConfig(batch_size=9, backend="numpy")
    *_, progress = sgdcore.train(problem.train, config, until_step=4)
    step = sgdcore.next_step(problem.train, config, progress.state)
    spec = charts.landscape_chart(problem, {"SGD": progress}, 0, 2, step=step).to_dict()
    datasets = spec["datasets"].values()
    arrows = [rows for rows in datasets if rows and rows[0].get("arrow") == "minibatch gradient"]
    assert len(arrows) == 1 and [row["arrow"] for row in arrows[0]] == list(charts.STEP_ARROWS)
    without = charts.landscape_chart(problem, {"SGD": progress}, 0, 2).to_dict()
    assert len(spec["layer"]) == len(without["layer"]) + 3  # the two lines, and their heads

    fit = charts.fit_chart(problem, progress.weights, progress.bias, 1, highlight=step.rows).to_dict()
    highlighted = [rows for rows in fit["datasets"].values() if rows and "row" in rows[0]]
    assert len(highlighted) == 1
    assert [row["row"] for row in highlighted[0]] == step.rows.tolist()
    raw = problem.raw_train  # the chart is in the data's units: the same rows, unscaled
    np.testing.assert_array_equal([row["x"] for row in highlighted[0]], raw.X[step.rows, 1])
    np.testing.assert_array_equal([row["y"] for row in highlighted[0]], raw.y[step.rows])


def test_a_zero_gradient_draws_no_length_and_no_angle() -> None:
    problem = problem_of(1, standardize=False)
    config = sgdcore.TrainConfig(batch_size=problem.train.n_rows, backend="numpy")
    *_, progress = sgdcore.train(problem.train, config, until_step=0)
    state = progress.state
    at_optimum = type(state)(**{**state.__dict__, "params": problem.optimum.params.copy()})
    step = sgdcore.next_step(problem.train, config, at_optimum)
    assert np.allclose(step.full_gradient, 0, atol=1e-9)
    arrows = charts.step_arrows(step, 0, 1, ((-1.0, 1.0), (-1.0, 1.0)))
    assert np.all(np.isfinite(arrows[["x2", "y2"]].to_numpy()))


def step_by_minibatch(at):
    at.radio(key="keep_step_by").set_value("minibatch").run()
    no_exceptions(at)
    return at


def angle_shown(at) -> float:
    texts = [caption.value for caption in at.caption if ANGLE.search(caption.value)]
    assert len(texts) == 1, [caption.value for caption in at.caption]
    return float(ANGLE.search(texts[0]).group(1))


def test_step_by_one_minibatch_advances_one_step_and_shows_the_angle() -> None:
    at = step_by_minibatch(app())
    before = angle_shown(at)  # before any run: the first step's, from the starting point
    assert any("Next step 1" in caption.value for caption in at.caption)

    button(at, "Step").click().run()
    no_exceptions(at)
    progress = at.session_state["train_run"]["progress"]
    assert (progress.status, progress.step, progress.epoch, progress.batch_in_epoch) == ("stopped", 1, 0, 1)
    assert any("Next step 2" in caption.value for caption in at.caption)
    first = angle_shown(at)

    button(at, "Step").click().run()
    no_exceptions(at)
    progress = at.session_state["train_run"]["progress"]
    assert (progress.step, progress.batch_in_epoch) == (2, 2)
    second = angle_shown(at)
    assert len({before, first, second}) == 3  # another point, another minibatch: another angle

    # What the page shows is the next step's: its rows on the fit chart, its angle in the caption.
    problem = at.session_state["_last_choice"].problem
    config = at.session_state["train_run"]["config"]
    step = sgdcore.next_step(problem.train, config, progress.state)
    assert second == pytest.approx(step.angle_degrees, abs=0.05)
    fit = chart_data(at, "Fit against x1 (large dots: the next minibatch)")
    rows = [frame for frame in fit if "row" in frame]
    assert len(rows) == 1 and rows[0]["row"].tolist() == step.rows.tolist()

    # Two single steps, then the rest: the run trained in one go.
    button(at, "Train").click().run()
    no_exceptions(at)
    finished = at.session_state["train_run"]["progress"]
    straight = app()
    button(straight, "Train").click().run()
    whole = straight.session_state["train_run"]["progress"]
    assert finished.status == whole.status == "finished"
    assert np.array_equal(finished.weights, whole.weights) and finished.bias == whole.bias


def test_step_by_one_epoch_is_still_the_default() -> None:
    at = app()
    assert at.radio(key="keep_step_by").value == "epoch"
    button(at, "Step").click().run()
    no_exceptions(at)
    assert at.session_state["train_run"]["progress"].step == 80
    assert not [caption.value for caption in at.caption if ANGLE.search(caption.value)]


def test_a_minibatch_step_after_the_end_goes_on_into_one_epoch_more() -> None:
    at = app(epochs="1")
    button(at, "Train").click().run()
    step_by_minibatch(at)
    for expected in (81, 82):
        button(at, "Step").click().run()
        no_exceptions(at)
        progress = at.session_state["train_run"]["progress"]
        assert (progress.status, progress.step, progress.epoch) == ("stopped", expected, 1)


@pytest.mark.parametrize(("batch_size", "said"), [("1", "uses the row drawn large"), ("10", "uses the 10 rows drawn")])
def test_the_next_step_s_rows_are_counted_in_words_that_agree_with_the_count(batch_size: str, said: str) -> None:
    at = step_by_minibatch(app(batch_size=batch_size))
    (caption,) = [caption.value for caption in at.caption if "Next step 1" in caption.value]
    assert said in caption and "the 1 rows" not in caption, caption

"""Issue 18, point 1: the learning-rate zones under the slider, their boundaries against sgdcore and brute force."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import sgdcore
from ui import zones
from ui.i18n import text_in
from ui.widgets import LEARNING_RATE_GRID

ROOT = Path(__file__).resolve().parents[1]


def roots(rate: float, lam: float, momentum: float, nesterov: bool, dampening: float = 0.0) -> np.ndarray:
    """The roots of one direction's recurrence, as :func:`sgdcore.contraction_factor` forms it."""
    if nesterov:
        trace, det = (momentum + 1.0) * (1.0 - rate * lam), momentum * (1.0 - rate * lam)
    else:
        trace, det = momentum + 1.0 - rate * (1.0 - dampening) * lam, momentum
    return np.roots([1.0, -trace, det])


def swings(rate: float, lam: float, momentum: float, nesterov: bool, dampening: float = 0.0) -> bool:
    z = roots(rate, lam, momentum, nesterov, dampening)
    return bool(np.any(np.abs(z.imag) > 1e-12) or np.any(z.real < -1e-12))


@pytest.mark.parametrize(("momentum", "nesterov", "dampening"),
                         [(0.0, False, 0.0), (0.5, False, 0.0), (0.9, False, 0.3), (0.5, True, 0.0), (0.9, True, 0.0)])
def test_no_direction_swings_below_the_boundary_and_the_steepest_does_above(momentum, nesterov, dampening) -> None:
    lam = 2.5
    boundary = zones.no_swing_limit(lam, momentum, dampening, nesterov)
    assert not swings(0.999 * boundary, lam, momentum, nesterov, dampening)
    assert not swings(0.5 * boundary, lam, momentum, nesterov, dampening)
    assert swings(1.001 * boundary, lam, momentum, nesterov, dampening)
    # Flatter directions (smaller λ) see a smaller ηλ: below the boundary none of them swings either.
    assert not any(swings(0.999 * boundary, flatter, momentum, nesterov, dampening) for flatter in (0.01, 0.3, 1.0))


@pytest.fixture(scope="module")
def problem() -> sgdcore.Problem:
    return sgdcore.make_problem(sgdcore.synthetic(n=1000, w=[2.0, -3.4], b=4.2, noise=0.01, seed=0),
                                test_fraction=0.2, seed=0)


@pytest.mark.parametrize("batch_size", [1, 10, 800])
def test_the_boundaries_are_sgdcores(problem, batch_size: int) -> None:
    config = sgdcore.TrainConfig(learning_rate=0.03, batch_size=batch_size)
    found = zones.rate_zones(problem, config, sgdcore.run_limits(problem, config))
    eigenvalues = np.linalg.eigvalsh(problem.quadratic.hessian)
    assert found.monotone_below == pytest.approx(1 / eigenvalues[-1], rel=1e-12)
    assert found.fastest == pytest.approx(2 / (eigenvalues[0] + eigenvalues[-1]), rel=1e-12)
    limit = sgdcore.minibatch_stability_limit(problem.train, batch_size)
    assert (found.stable_below, found.full_batch) == (limit.learning_rate, limit.full_batch)
    strip = zones.segments(found, 1e-5, 700.0)
    assert strip["from"].iloc[0] == 1e-5 and strip["to"].iloc[-1] == 700.0
    assert (strip["to"].iloc[:-1].to_numpy() == strip["from"].iloc[1:].to_numpy()).all()  # no gap, no overlap
    assert strip["zone"].iloc[-1] == "diverging" and strip["from"].iloc[-1] == limit.learning_rate
    if limit.learning_rate > found.monotone_below:
        assert list(strip["zone"]) == ["monotone", "oscillating", "diverging"]
        assert strip["to"].iloc[0] == found.monotone_below
    else:  # batch size 1 here: noise makes it diverge before the mean swings
        assert list(strip["zone"]) == ["monotone", "diverging"]


def test_a_lower_bound_leaves_the_rates_up_to_the_full_batch_limit_not_known() -> None:
    found = zones.RateZones(monotone_below=1.0, stable_below=0.5, limit_kind="lower_bound", full_batch=2.0,
                            fastest=1.5, lambda_min=0.3, lambda_max=1.0, batch_size=4)
    strip = zones.segments(found, 0.01, 10.0)
    assert list(strip["zone"]) == ["monotone", "not known", "diverging"]
    assert list(strip["to"]) == [0.5, 2.0, 10.0]
    assert "the exact limit lies between 0.5 and 2" in zones.zones_text(found, 0.1)


def test_rates_in_each_zone_do_what_the_zone_says_on_full_batch_descent(problem) -> None:
    n = problem.train.n_rows
    config = sgdcore.TrainConfig(batch_size=n)
    found = zones.rate_zones(problem, config, sgdcore.run_limits(problem, config))
    start = np.zeros(problem.train.n_features + 1)
    direction = np.linalg.eigh(problem.quadratic.hessian)[1][:, -1]  # the steepest direction
    for rate, zone in ((0.9 * found.monotone_below, "monotone"), (1.5 * found.monotone_below, "oscillating"),
                       (1.05 * found.stable_below, "diverging")):
        assert zones.zone_of(found, rate) == zone
        theta, along = start.copy(), []
        # Plain full-batch descent, by hand; few enough steps that the error stays far above rounding.
        for _ in range(8 if zone == "monotone" else 30):
            theta = theta - rate * problem.quadratic.gradient(theta)
            along.append(float((theta - problem.optimum.params) @ direction))
        signs = np.sign(along)
        if zone == "monotone":
            assert (signs == signs[0]).all() and (np.diff(np.abs(along)) < 0).all()
        elif zone == "oscillating":
            assert (signs[1:] != signs[:-1]).all() and (np.diff(np.abs(along)) < 0).all()
        else:
            assert abs(along[-1]) > 10 * abs(along[0])


def test_slider_positions_are_the_slider_options_index_in_between_by_log_rate() -> None:
    grid = [0.1, 1.0, 10.0, 20.0]
    np.testing.assert_allclose(zones.slider_position([0.1, 1.0, 20.0, math.sqrt(10 * 20), 1e-9, 1e9], grid),
                               [0, 1, 3, 2.5, 0, 3])


def sidebar_strip(at: AppTest, language: str = "en") -> tuple[dict, list[dict]]:
    """The zones chart's spec and its zone rows, as sent to the browser, each with its zone's code (``zone``) read
    back from the name it shows in ``language``."""
    codes = {text_in(language, f"charts.zone.{zone.replace(' ', '_')}"): zone for zone in zones.ZONE_COLOURS}
    for element in at.sidebar.get("vega_lite_chart"):
        for dataset in element.proto.datasets:
            frame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
            if "what" in frame:
                assert set(frame["what"]) <= set(codes), frame["what"]
                return json.loads(element.proto.spec), frame.assign(zone=frame["what"].map(codes)).to_dict("records")
    raise AssertionError("no zones strip in the sidebar")


def test_the_sidebar_strip_follows_the_batch_size_with_sgdcores_boundaries() -> None:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params["learning_rate"] = "0.3"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    problem = at.session_state["_last_choice"].problem
    lambda_max = float(np.linalg.eigvalsh(problem.quadratic.hessian)[-1])
    for batch_size in (10, 1):
        at.number_input(key="batch_size").set_value(batch_size).run()
        limit = sgdcore.minibatch_stability_limit(problem.train, batch_size)
        _, rows = sidebar_strip(at)
        edges = {row["zone"]: (row["from"], row["to"]) for row in rows}
        assert edges["diverging"] == (limit.learning_rate, LEARNING_RATE_GRID[-1])
        assert edges["monotone"][0] == LEARNING_RATE_GRID[0]
        assert edges["monotone"][1] == pytest.approx(min(1 / lambda_max, limit.learning_rate), rel=1e-12)
        (text,) = [c.value for c in at.sidebar.caption if c.value.startswith("Zones:")]
        assert f"red may diverge from {limit.learning_rate:.3g} (the limit at batch size {batch_size})" in text
        zone = "oscillates while converging" if 1 / lambda_max <= 0.3 else "shrinks monotonically"
        assert f"blue: yours, 0.3 ({zone if limit.learning_rate > 0.3 else 'unstable'})" in text
    # Batch size 1: the limit falls below 1/λ_max, no orange zone, and 0.3 is still below the limit.
    assert "oscillating" not in edges and "minibatch noise makes larger rates diverge" in text


def test_the_fastest_rate_is_written_with_the_digits_that_tell_it_from_the_limit_beside_it() -> None:
    """The diabetes data's η* = 2/(λ_min + λ_max) is 1.99997 and its limit 1.99999: "η* = 2, … red may diverge from
    2" would say they are one rate."""
    from ui.datasets import diabetes_dataset

    problem = sgdcore.make_problem(diabetes_dataset(), test_fraction=0.2)
    eigenvalues = np.linalg.eigvalsh(problem.quadratic.hessian)
    fastest, limit = 2 / (eigenvalues[0] + eigenvalues[-1]), 2 / eigenvalues[-1]
    found = zones.RateZones(monotone_below=limit / 2, stable_below=limit, limit_kind="exact", full_batch=limit,
                            fastest=fastest, lambda_min=eigenvalues[0], lambda_max=eigenvalues[-1],
                            batch_size=problem.train.n_rows)
    text = zones.zones_text(found, 0.03)
    shown = float(text.split("= ")[-1].split(",")[0])
    assert "red may diverge from 2" in text and shown != 2 and abs(shown - fastest) < abs(limit - fastest), text
    # Where κ is beyond float64's 1/ε (Unix times beside the bias), η* and the limit differ by less than the limit's
    # own search: written alike, to three figures, not to nine
    assert zones._rate_apart(6.91016268e-19, (6.910162679e-19,)) == "6.91e-19"

"""Issue 18, point 2: the condition number before and after standardisation beside the standardise toggle.

The numbers shown are checked against ``np.linalg.cond`` of the Hessian ``[X 1]ᵀ[X 1]/n`` built here from the
training rows, raw and standardised by hand.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import sgdcore
from ui import conditioning
from ui.datasets import CSV_KEY

ROOT = Path(__file__).resolve().parents[1]


def hessian(X: np.ndarray) -> np.ndarray:
    A = np.column_stack((X, np.ones(len(X))))
    return A.T @ A / len(X)


def by_hand(X: np.ndarray) -> tuple[float, float]:
    """κ of the raw and of the standardised (population standard deviation) features, bias column included."""
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    return float(np.linalg.cond(hessian(X))), float(np.linalg.cond(hessian(Z)))


def badly_scaled(n: int = 400) -> sgdcore.Dataset:
    rng = np.random.default_rng(5)
    X = np.column_stack((rng.normal(1000.0, 50.0, n), rng.normal(0.0, 0.01, n), rng.normal(3.0, 1.0, n)))
    y = X @ np.array([0.01, 40.0, -2.0]) + 1.0 + rng.normal(0, 0.1, n)
    return sgdcore.Dataset(X, y, ("metres", "grams", "x3"), "y")


@pytest.mark.parametrize("standardize", [False, True])
def test_both_condition_numbers_are_those_of_the_hessian_with_the_bias_column(standardize: bool) -> None:
    problem = sgdcore.make_problem(badly_scaled(), standardize=standardize, test_fraction=0.25, seed=2)
    raw, scaled = by_hand(problem.raw_train.X)
    found = conditioning.condition_numbers(problem)
    assert found.raw == pytest.approx(raw, rel=1e-6)
    assert found.standardized == pytest.approx(scaled, rel=1e-9)
    assert raw > 1e6 and scaled < 10  # the case the caption is for: standardising helps a lot


def test_a_constant_column_is_singular_and_cannot_be_standardised() -> None:
    X = np.column_stack((np.arange(20.0), np.full(20, 3.0)))
    problem = sgdcore.make_problem(sgdcore.Dataset(X, X[:, 0] * 2, ("x", "constant"), "y"))
    found = conditioning.condition_numbers(problem)
    assert found == conditioning.Conditioning(math.inf, None)
    text = conditioning.caption(found, standardize=False)
    assert "**∞** as the data is" in text and "standardisation is not possible" in text and "never" in text


def test_a_column_far_from_0_is_singular_as_it_is_for_its_scale_not_for_a_repeated_column() -> None:
    """Unix times (about 1.7e9 s) beside the bias's 1: the Hessian is not singular (its determinant, var(x) in
    rational arithmetic, is positive), but λ_min/λ_max is below float64's ε (λ_max ≈ E[x²] ≈ 2.9e18), so that a step
    at η = 1/λ_max multiplies the flattest direction by a factor float64 rounds to 1. The caption blames the scale,
    not a repeated column; a duplicated column, which standardising keeps singular, is still blamed."""
    from fractions import Fraction

    x = 1_702_086_568.0 + 3600.0 * np.arange(60)
    y = 0.001 * (x - 1.7e9) + np.random.default_rng(0).normal(0, 1, 60)
    problem = sgdcore.make_problem(sgdcore.Dataset(x[:, None], y, ("timestamp",), "sales"), test_fraction=0)
    found = conditioning.condition_numbers(problem)
    assert found.raw == math.inf and found.standardized == pytest.approx(1.0)
    values = [Fraction(v) for v in problem.raw_train.X[:, 0]]
    second, first = sum(v * v for v in values) / len(values), sum(values) / len(values)
    trace, determinant = second + 1, second - first * first  # of [[E x², E x], [E x, 1]]
    largest, at_most = float(trace), 2 * determinant / trace  # λ_max ≤ trace; λ_min = det/λ_max, λ_max ≥ trace/2
    assert determinant > 0 and float(at_most) / largest < np.finfo(float).eps  # not singular: beyond float64
    assert 1.0 - (1.0 / largest) * float(at_most) == 1.0  # one step at η = 1/λ_max: float64 cannot move it
    text = conditioning.caption(found, standardize=False)
    assert "float64's rounding hides the flattest direction's curvature" in text and "duplicated" not in text
    assert "never as the data is, at most 1 standardised" in text and "at most never" not in text, text

    duplicated = np.column_stack((np.arange(20.0), np.arange(20.0), np.sin(np.arange(20.0))))
    problem = sgdcore.make_problem(sgdcore.Dataset(duplicated, duplicated[:, 0], ("a", "b", "c"), "y"))
    found = conditioning.condition_numbers(problem)
    assert found.raw == found.standardized == math.inf
    assert "a constant or duplicated column" in conditioning.caption(found, standardize=True)


@pytest.mark.parametrize("kappa", [1.0, 1.17, 2.0, 10.0, 1234.5])
def test_the_steps_are_those_gradient_descent_at_one_over_lambda_max_takes_from_the_worst_start(kappa: float) -> None:
    """Gradient descent at η = 1/λ_max on a Hessian of eigenvalues 1/κ … 1, by brute force: from a start along the
    flattest direction (the worst) the error is 10⁻³ of its start after exactly the count said, one step sooner it is
    not, and from random starts it never takes longer. Near κ = 1 the count is about half κ·ln(1/ε) (8 at κ = 1.17,
    the default data's, where 4 steps do it), and near κ·ln(1/ε) for large κ."""
    said = conditioning.steps_needed(kappa)
    eigenvalues = np.linspace(1 / kappa, 1.0, 5)

    def steps_taken(start: np.ndarray) -> int:
        error, steps = start.copy(), 0
        while np.linalg.norm(error) > conditioning.EPSILON * np.linalg.norm(start):
            error, steps = (1 - eigenvalues) * error, steps + 1
        return steps

    flattest = np.eye(5)[0]
    assert steps_taken(flattest) == said
    assert all(steps_taken(start) <= said for start in np.random.default_rng(0).normal(size=(20, 5)))
    if kappa > 1:
        assert said > 0 and (1 - 1 / kappa) ** (said - 1) > conditioning.EPSILON
    if kappa == 1.17:
        assert said == 4 and kappa * math.log(1000) > 8
    if kappa == 1234.5:
        assert said == pytest.approx(kappa * math.log(1000), rel=1e-3)


def test_a_count_is_shown_to_three_figures_rounded_up() -> None:
    assert [conditioning.steps_shown(steps) for steps in (4.0, 999.0, 8527.0, 12_301.0, 12_300.0)] == [
        4, 999, 8530, 12_400, 12_300]


def sidebar_caption(at: AppTest) -> str:
    (text,) = [caption.value for caption in at.sidebar.caption if caption.value.startswith("Condition number")]
    return text


@pytest.mark.parametrize("standardize", [False, True])
def test_the_sidebar_shows_both_numbers_and_their_steps_beside_the_toggle(standardize: bool) -> None:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.run()
    at.session_state[CSV_KEY] = {"dataset": badly_scaled(), "name": "scaled.csv", "key": "csv:scaled.csv"}
    at.session_state["data_source"] = "csv"
    at.session_state["standardize"] = standardize
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    problem = at.session_state["_last_choice"].problem
    assert (problem.scaler is not None) == standardize
    raw, scaled = by_hand(problem.raw_train.X)
    text = sidebar_caption(at)
    written = [f"{float(f'{kappa:.3g}'):,.0f}" if kappa >= 100 else f"{kappa:.3g}" for kappa in (raw, scaled)]
    assert "**{}** as the data is, **{}** standardised".format(*written) in text  # 9,640,000,000, not 9.64e+09
    raw_steps, scaled_steps = (conditioning.steps_shown(math.ceil(math.log(1000) / -math.log1p(-1 / kappa)))
                               for kappa in (raw, scaled))
    assert f"at most {raw_steps:,.0f} as the data is, at most {scaled_steps:,.0f} standardised" in text
    assert f"in use: {'standardised' if standardize else 'as the data is'}" in text
    assert "ε = 10⁻³" in text
    # Beside the toggle: the caption comes right after it in the sidebar.
    children = list(at.sidebar)
    toggle = next(k for k, element in enumerate(children) if getattr(element, "label", None)
                  == "Standardise features and target")
    assert getattr(children[toggle + 1], "value", "").startswith("Condition number")


def test_large_data_gets_both_condition_numbers_from_its_statistics() -> None:
    from sgdcore.distributed.moments import Moments

    data = badly_scaled()
    found = conditioning._from_moments(Moments.of(data.X, data.y))
    raw, scaled = by_hand(data.X)
    assert found.raw == pytest.approx(raw, rel=1e-6) and found.standardized == pytest.approx(scaled, rel=1e-9)
    constant = np.column_stack((data.X, np.full(len(data.X), 2.0)))
    assert conditioning._from_moments(Moments.of(constant, data.y)).standardized is None

"""sgdcore.reference: the closed form is least squares with a bias column; compare() reports it faithfully."""

from __future__ import annotations

import warnings
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sgdcore import Dataset, closed_form, compare, make_problem, reference, synthetic, train_test_split


def lstsq_with_bias(data: Dataset) -> np.ndarray:
    A = np.column_stack((data.X, np.ones(data.n_rows)))
    theta, *_ = np.linalg.lstsq(A, data.y, rcond=None)
    return theta


@pytest.mark.parametrize("seed", range(4))
def test_closed_form_equals_lstsq_with_a_bias_column(seed: int) -> None:
    rng = np.random.default_rng(seed)
    d = 1 + seed
    data = synthetic(n=60 + 10 * seed, w=rng.normal(size=d) * 3, b=float(rng.normal() * 5), noise=0.7, seed=seed,
                     feature_scales=rng.uniform(0.1, 10, size=d))
    optimum = closed_form(data)
    theta = lstsq_with_bias(data)
    np.testing.assert_allclose(optimum.weights, theta[:-1], rtol=1e-8, atol=1e-10)
    assert optimum.bias == pytest.approx(theta[-1], rel=1e-8, abs=1e-10)
    np.testing.assert_allclose(optimum.params, theta, rtol=1e-8, atol=1e-10)
    assert optimum.params.shape == (d + 1,)


def badly_scaled(n: int = 50, seed: int = 0) -> Dataset:
    """The browser's case: ``a = x1·1e12`` beside ``b = x2``, ``y = (2·x1 − 3·x2 + 1 + noise)·1e12``."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = (2 * x1 - 3 * x2 + 1 + 0.1 * rng.normal(size=n)) * 1e12
    return Dataset(np.column_stack((x1 * 1e12, x2)), y, ("a", "b"))


def test_closed_form_on_columns_1e12_apart_is_least_squares() -> None:
    """Unstandardised, scikit-learn's rank cutoff (singular values below 1e-6 of the largest count as 0) dropped b:
    the closed form read b ≈ -7e-13 and R² 0.44 where least squares has b ≈ -3e12 and R² ≈ 1."""
    data = badly_scaled()
    theta = lstsq_with_bias(data)
    for optimum in (closed_form(data), make_problem(data).optimum):
        np.testing.assert_allclose(optimum.params, theta, rtol=1e-9)
        np.testing.assert_allclose(optimum.params, [2.0, -3e12, 1e12], rtol=0.02)
        assert compare(optimum.weights, optimum.bias, optimum, data).train_r2_closed_form > 0.999
    # Standardised, the problem's optimum mapped back is the same.
    problem = make_problem(data, standardize=True)
    np.testing.assert_allclose(np.append(*problem.to_original_units(problem.optimum.weights, problem.optimum.bias)),
                               theta, rtol=1e-9)


@settings(max_examples=100, deadline=None, database=None)
@given(st.integers(1, 4), st.integers(0, 2**32 - 1), st.data())
def test_closed_form_is_least_squares_whatever_the_column_scales(d: int, seed: int, data: st.DataObject) -> None:
    """Columns scaled by 1e-8 to 1e12: the closed form's loss is no larger than NumPy's lstsq's (which may itself
    drop a column whose singular value falls below its cutoff), and its residual is orthogonal to every column."""
    exponents = data.draw(st.lists(st.floats(-8, 12), min_size=d, max_size=d))
    target_scale = 10 ** data.draw(st.floats(-8, 12))
    rng = np.random.default_rng(seed)
    n = int(rng.integers(d + 5, 80))
    Z = rng.normal(size=(n, d)) + rng.uniform(-3, 3, size=d)  # full column rank, with offsets
    y = (Z @ rng.normal(size=d) * 3 + rng.normal() + rng.uniform(0.1, 1) * rng.normal(size=n)) * target_scale
    X = Z * 10.0 ** np.array(exponents)
    dataset = Dataset(X, y, tuple(f"x{i}" for i in range(d)))
    optimum = closed_form(dataset)
    A = np.column_stack((X, np.ones(n)))

    def loss(theta: np.ndarray) -> float:
        return 0.5 * float(np.mean((A @ theta - y) ** 2))

    assert loss(optimum.params) <= loss(lstsq_with_bias(dataset)) * (1 + 1e-9)
    residual = A @ optimum.params - y
    cosines = (A.T @ residual) / (np.linalg.norm(A, axis=0) * np.linalg.norm(residual))
    assert np.max(np.abs(cosines)) < 1e-9, cosines


def test_closed_form_recovers_noise_free_truth() -> None:
    data = synthetic(n=20, w=[1.5, -0.5, 2.0], b=-3.0, noise=0.0, seed=1)
    optimum = closed_form(data)
    np.testing.assert_allclose(optimum.weights, [1.5, -0.5, 2.0], atol=1e-10)
    assert optimum.bias == pytest.approx(-3.0, abs=1e-10)


def test_compare_fields_against_direct_computation() -> None:
    train, test = train_test_split(synthetic(n=300, noise=0.5, seed=2), 0.3)
    optimum = closed_form(train)
    weights, bias = np.array([1.9, -3.3]), 4.0
    comparison = compare(weights, bias, optimum, train, test)
    theta = np.array([1.9, -3.3, 4.0])
    star = optimum.params

    assert comparison.names == ("x1", "x2", "bias")
    np.testing.assert_array_equal(comparison.sgd, theta)
    np.testing.assert_array_equal(comparison.closed_form, star)
    np.testing.assert_array_equal(comparison.truth, [2.0, -3.4, 4.2])
    np.testing.assert_allclose(comparison.difference, theta - star)
    assert comparison.distance == pytest.approx(np.sqrt(np.sum((theta - star) ** 2)))
    assert comparison.relative_error == pytest.approx(np.sqrt(np.sum((theta - star) ** 2)) / np.sqrt(np.sum(star**2)))

    def mse(data: Dataset, params: np.ndarray) -> float:
        return float(np.mean((data.X @ params[:-1] + params[-1] - data.y) ** 2))

    def r2(data: Dataset, params: np.ndarray) -> float:
        residual = data.X @ params[:-1] + params[-1] - data.y
        return 1 - float(np.sum(residual**2) / np.sum((data.y - data.y.mean()) ** 2))

    assert comparison.train_mse_sgd == pytest.approx(mse(train, theta))
    assert comparison.train_mse_closed_form == pytest.approx(mse(train, star))
    assert comparison.train_loss_sgd == pytest.approx(mse(train, theta) / 2)
    assert comparison.train_loss_closed_form == pytest.approx(mse(train, star) / 2)
    assert comparison.loss_gap == pytest.approx((mse(train, theta) - mse(train, star)) / 2)
    assert comparison.loss_gap > 0
    assert comparison.train_r2_sgd == pytest.approx(r2(train, theta))
    assert comparison.train_r2_closed_form == pytest.approx(r2(train, star))
    assert comparison.train_r2_closed_form > comparison.train_r2_sgd
    assert comparison.test_mse_sgd == pytest.approx(mse(test, theta))
    assert comparison.test_mse_closed_form == pytest.approx(mse(test, star))
    assert comparison.test_r2_sgd == pytest.approx(r2(test, theta))
    assert comparison.test_r2_closed_form == pytest.approx(r2(test, star))


def test_compare_without_test_rows_or_truth() -> None:
    data = synthetic(n=50, seed=3)
    plain = Dataset(data.X, data.y, data.feature_names)
    optimum = closed_form(plain)
    comparison = compare(optimum.weights, optimum.bias, optimum, plain)
    assert comparison.truth is None
    assert comparison.test_mse_sgd is None and comparison.test_r2_sgd is None
    assert comparison.test_mse_closed_form is None and comparison.test_r2_closed_form is None
    assert comparison.distance == 0.0
    assert comparison.loss_gap == 0.0


def test_relative_error_is_the_distance_when_the_optimum_is_zero() -> None:
    X = np.random.default_rng(0).normal(size=(40, 2))
    X -= X.mean(axis=0)
    data = Dataset(X, np.zeros(40), ("a", "b"))
    optimum = closed_form(data)
    np.testing.assert_allclose(optimum.params, 0.0, atol=1e-14)
    optimum = type(optimum)(np.zeros(2), 0.0)
    comparison = compare(np.array([3.0, 4.0]), 0.0, optimum, data)
    assert comparison.relative_error == comparison.distance == 5.0


def test_compare_survives_overflowing_parameters() -> None:
    data = synthetic(n=30, seed=0)
    optimum = closed_form(data)
    comparison = compare(np.array([1e308, 1e308]), 1e308, optimum, data)
    assert comparison.train_mse_sgd == np.inf
    assert comparison.train_r2_sgd == -np.inf


def test_compare_of_huge_but_finite_predictions_is_inf_without_a_warning() -> None:
    data = synthetic(n=30, seed=0)
    optimum = closed_form(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # predictions near 1e300 are finite; their squares overflow silently
        comparison = compare(np.array([1e300, 1e300]), 0.0, optimum, data, data)
    assert comparison.train_mse_sgd == comparison.test_mse_sgd == np.inf
    assert comparison.loss_gap == np.inf


def test_the_loss_gap_near_the_optimum_is_accurate_to_its_own_size() -> None:
    data = synthetic(n=800, seed=1)
    optimum = closed_form(data)
    delta = np.array([1e-11, -2e-11, 1e-11])  # a gap near 1e-22, far below the losses' rounding (~1e-20)
    comparison = compare(optimum.weights + delta[:-1], optimum.bias + delta[-1], optimum, data)
    X = np.column_stack((data.X, np.ones(data.n_rows)))
    expected = 0.5 * delta @ (X.T @ X / data.n_rows) @ delta  # the quadratic's exact gap: ½·δᵀHδ
    assert comparison.loss_gap > 0
    assert comparison.loss_gap == pytest.approx(expected, rel=1e-2, abs=0)  # approx alone allows 1e-12
    # Within rounding of θ* (which is the minimum only to rounding), SGD may score a hair below it: no gap.
    for index in range(3):
        for sign in (1.0, -1.0):
            params = optimum.params.copy()
            params[index] += sign * np.spacing(params[index])  # one step of the last digit
            assert 0.0 <= compare(params[:-1], params[-1], optimum, data).loss_gap < 1e-28, (index, sign)


def test_r2_is_undefined_not_scikit_learn_s_stand_ins_where_the_target_does_not_vary() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    constant = Dataset(X, np.full(30, 5.0), ("x1", "x2"), "y")
    for standardize in (False, True):  # both paths train on it and agree
        problem = make_problem(constant, standardize=standardize, test_fraction=0.2)
        for weights, bias in ((np.zeros(2), 5.0), (np.array([0.1, 0.0]), 4.0)):
            comparison = problem.compare(weights, bias)
            # r2_score says 1 for a perfect fit and 0 otherwise here: R² = 1 − SS_res/SS_tot has SS_tot = 0
            assert np.isnan(comparison.train_r2_sgd) and np.isnan(comparison.train_r2_closed_form)
            assert np.isnan(comparison.test_r2_sgd) and np.isnan(comparison.test_r2_closed_form)
            if not standardize:  # the MSE is still measured (standardised, the weights are the model's)
                residuals = problem.raw_train.X @ weights + bias - 5.0
                assert comparison.train_mse_sgd == pytest.approx(np.mean(residuals**2))
        np.testing.assert_allclose(comparison.closed_form, [0.0, 0.0, 5.0], atol=1e-9)
    # One test row has no variance either; the training rows' R² stays scikit-learn's.
    varied = Dataset(X, X @ np.array([1.0, -2.0]) + rng.normal(0, 0.1, 30), ("x1", "x2"), "y")
    problem = make_problem(varied, test_fraction=0.02)
    assert problem.raw_test.n_rows == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no UndefinedMetricWarning from r2_score on one row
        comparison = problem.compare(problem.optimum.weights, problem.optimum.bias)
    assert np.isnan(comparison.test_r2_closed_form) and 0.99 < comparison.train_r2_closed_form < 1


def linear_regression_on_all_rows(data: Dataset) -> np.ndarray:
    """The reference path: scikit-learn's ``LinearRegression`` on every row, columns scaled as closed_form does."""
    from sklearn.linear_model import LinearRegression

    spread = np.ptp(data.X, axis=0)
    scale = np.where(spread > 0, spread, 1.0)
    model = LinearRegression().fit(data.X / scale, data.y)
    return np.append(model.coef_ / scale, model.intercept_)


@settings(max_examples=150, deadline=None, database=None)
@given(st.integers(1, 6), st.integers(1, 90), st.integers(0, 2**32 - 1), st.data())
def test_the_closed_form_folded_a_block_at_a_time_equals_linear_regression_on_all_the_rows(
    d: int, n: int, seed: int, data: st.DataObject
) -> None:
    """Blocks of 4·(d + 1) rows, so most cases fold several; columns that repeat another, are constant, or
    outnumber the rows give the same minimum-norm solution under scikit-learn's cutoff."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * 10.0 ** rng.uniform(-3, 3, size=d) + rng.uniform(-5, 5, size=d)
    for column in range(d):
        kind = data.draw(st.sampled_from(["free", "free", "constant", "repeat"]))
        if kind == "constant":  # halves, whose mean is exact: LinearRegression fits rounding noise otherwise
            X[:, column] = rng.integers(-8, 8) / 2
        elif kind == "repeat" and column > 0:
            X[:, column] = -2.5 * X[:, int(rng.integers(column))]
    y = X @ rng.normal(size=d) + rng.normal() + rng.uniform(0, 1) * rng.normal(size=n)
    dataset = Dataset(X, y, tuple(f"x{i}" for i in range(d)))
    with patch.object(reference, "BLOCK_BYTES", 8):
        folded = closed_form(dataset).params
    expected = linear_regression_on_all_rows(dataset)
    np.testing.assert_allclose(folded, expected, rtol=1e-7, atol=1e-9 * (1 + np.max(np.abs(expected))))


def test_the_closed_form_of_many_blocks_equals_linear_regression_on_all_the_rows() -> None:
    data = synthetic(300_000, (2.0, -3.4, 0.5, 1e-3), 4.2, 0.5, seed=3, feature_scales=(1.0, 1e4, 1e-4, 1.0))
    np.testing.assert_allclose(closed_form(data).params, linear_regression_on_all_rows(data), rtol=1e-7)

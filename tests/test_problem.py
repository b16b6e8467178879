"""sgdcore.problem: splitting, standardising and solving once; SGD on real data against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression

from sgdcore import (
    ConfigError,
    DataError,
    Dataset,
    Standardizer,
    TrainConfig,
    closed_form,
    make_problem,
    quadratic_loss,
    synthetic,
    train,
)


@pytest.fixture(scope="module")
def diabetes() -> Dataset:
    bunch = load_diabetes()
    return Dataset(bunch.data, bunch.target, tuple(bunch.feature_names), "disease progression")


def test_split_sizes_and_no_leak_from_test_rows() -> None:
    data = synthetic(n=500, seed=0, feature_scales=[5.0, 0.2])
    problem = make_problem(data, standardize=True, test_fraction=0.2, seed=3)
    assert problem.raw_train.n_rows == problem.train.n_rows == 400
    assert problem.raw_test.n_rows == problem.test.n_rows == 100
    # Statistics come from the training rows only.
    np.testing.assert_allclose(problem.scaler.feature_mean, problem.raw_train.X.mean(axis=0))
    np.testing.assert_allclose(problem.scaler.feature_std, problem.raw_train.X.std(axis=0))
    assert problem.scaler.target_mean == pytest.approx(problem.raw_train.y.mean())
    np.testing.assert_allclose(problem.train.X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(problem.train.X.std(axis=0), 1.0)
    np.testing.assert_allclose(
        problem.test.X, (problem.raw_test.X - problem.raw_train.X.mean(axis=0)) / problem.raw_train.X.std(axis=0))
    assert abs(problem.test.X.mean()) > 1e-6  # not re-centred on its own statistics
    assert problem.names == ("x1", "x2", "bias")


def test_closed_form_in_original_units_equals_linear_regression_on_raw_training_rows(diabetes: Dataset) -> None:
    problem = make_problem(diabetes, standardize=True, test_fraction=0.25, seed=1)
    reference = LinearRegression().fit(problem.raw_train.X, problem.raw_train.y)
    weights, bias = problem.to_original_units(problem.optimum.weights, problem.optimum.bias)
    np.testing.assert_allclose(weights, reference.coef_, rtol=1e-8)
    assert bias == pytest.approx(reference.intercept_, rel=1e-10)
    comparison = problem.compare(problem.optimum.weights, problem.optimum.bias)
    assert comparison.distance < 1e-8 * np.linalg.norm(reference.coef_)
    assert comparison.train_r2_closed_form == pytest.approx(reference.score(problem.raw_train.X, problem.raw_train.y))
    assert comparison.test_r2_closed_form == pytest.approx(reference.score(problem.raw_test.X, problem.raw_test.y))


def test_unstandardised_problem_keeps_the_data() -> None:
    data = synthetic(n=100, seed=1)
    problem = make_problem(data)
    assert problem.scaler is None
    assert problem.train is data and problem.raw_train is data and problem.test is None
    weights, bias = problem.to_original_units(np.array([1.0, 2.0]), 3.0)
    np.testing.assert_array_equal(weights, [1.0, 2.0])
    assert bias == 3.0
    np.testing.assert_allclose(problem.optimum.params, closed_form(data).params)
    residual = data.X @ problem.optimum.weights + problem.optimum.bias - data.y
    assert problem.optimum_loss == pytest.approx(0.5 * np.mean(residual**2), rel=1e-9)
    np.testing.assert_allclose(problem.curvature.eigenvalues,
                               np.linalg.eigvalsh(np.cov(np.column_stack((data.X, np.ones(100))).T, bias=True)
                                                  + np.outer(np.r_[data.X.mean(axis=0), 1.0],
                                                             np.r_[data.X.mean(axis=0), 1.0])),
                               rtol=1e-9)


@pytest.mark.parametrize(("where", "value", "message"), [
    ("X", np.nan, r"The data holds 1 missing or infinite value\(s\) \(NaN or inf\): remove or fill them first"),
    ("y", -np.inf, r"The data holds 1 missing or infinite value\(s\)"),
    ("X", 1e160, r"Values up to 1e\+160 are too large for the squared loss in floating point .* rescale the data"),
])
def test_values_no_loss_can_square_are_a_data_error(where: str, value: float, message: str) -> None:
    # sklearn's LinearRegression would raise a ValueError of its own, or every loss would be NaN.
    data = synthetic(n=40)
    getattr(data, where)[np.unravel_index(7, getattr(data, where).shape)] = value
    with pytest.raises(DataError, match=message):
        make_problem(data)


@pytest.mark.parametrize("standardize", [None, "yes", np.array([1.0, 2.0])])
def test_standardize_must_be_a_bool(standardize) -> None:
    with pytest.raises(ConfigError, match=r"standardize must be True or False; got "):
        make_problem(synthetic(n=20), standardize=standardize)


def test_too_few_training_rows_for_the_features() -> None:
    data = synthetic(n=5, w=[1.0, 2.0, 3.0, 4.0])
    assert make_problem(data).train.n_rows == 5  # exactly enough without a test split
    with pytest.raises(DataError, match=r"The training set has 4 rows for 4 features; least squares with a bias "
                                        r"needs at least 5 rows\."):
        make_problem(data, test_fraction=0.2)


def test_sgd_on_standardised_diabetes_matches_linear_regression(diabetes: Dataset) -> None:
    problem = make_problem(diabetes, standardize=True)
    # Full-batch heavy-ball momentum well inside the stability limit.
    learning_rate = 1.0 / problem.curvature.lambda_max
    assert learning_rate < problem.curvature.stability_limit(momentum=0.9)
    config = TrainConfig(learning_rate=learning_rate, batch_size=diabetes.n_rows, epochs=800, momentum=0.9,
                         init="zeros", backend="numpy")
    *_, progress = train(problem.train, config)
    assert progress.status == "finished"
    comparison = problem.compare(progress.weights, progress.bias)
    assert comparison.relative_error < 1e-3
    reference = LinearRegression().fit(diabetes.X, diabetes.y)
    weights, bias = problem.to_original_units(progress.weights, progress.bias)
    reference_params = np.append(reference.coef_, reference.intercept_)
    relative = np.linalg.norm(np.append(weights, bias) - reference_params) / np.linalg.norm(reference_params)
    assert relative < 1e-3
    assert comparison.train_r2_sgd == pytest.approx(reference.score(diabetes.X, diabetes.y), abs=1e-6)


def test_minibatch_sgd_on_standardised_data_mapped_back_equals_closed_form_on_raw_data() -> None:
    raw = synthetic(n=2000, w=[3.0, -0.02, 40.0], b=100.0, noise=0.01, seed=7, feature_scales=[1.0, 50.0, 0.1])
    raw = Dataset(raw.X + np.array([5.0, 200.0, -1.0]), raw.y, raw.feature_names)
    scaler = Standardizer.fit(raw, target=True)
    scaled = scaler.transform(raw)
    config = TrainConfig(learning_rate=0.05, batch_size=50, epochs=30, backend="numpy")
    *_, progress = train(scaled, config)
    weights, bias = scaler.to_original_units(progress.weights, progress.bias)
    reference = LinearRegression().fit(raw.X, raw.y)
    np.testing.assert_allclose(weights, reference.coef_, rtol=1e-3)
    assert bias == pytest.approx(reference.intercept_, rel=1e-3)


def test_the_loss_forms_of_both_sets_are_those_of_their_rows() -> None:
    problem = make_problem(synthetic(n=400, seed=1), standardize=True, test_fraction=0.25, seed=0)
    for form, rows in ((problem.quadratic, problem.train), (problem.test_quadratic, problem.test)):
        expected = quadratic_loss(rows)
        np.testing.assert_array_equal(form.hessian, expected.hessian)
        np.testing.assert_array_equal(form.linear, expected.linear)
        assert form.constant == expected.constant
    assert problem.test_quadratic is problem.test_quadratic  # summed once, on first use
    assert make_problem(synthetic(n=400, seed=1)).test_quadratic is None


def test_the_closed_form_loss_of_noise_free_data_is_its_residuals_and_never_below_zero() -> None:
    # The dashboard's default data with noise 0: the residuals at the optimum are rounding, about 1e-15 each; the
    # quadratic form's cancellation left -1.4e-14 for the loss, a squared loss below 0.
    problem = make_problem(synthetic(1000, [2.0, -3.4], 4.2, 0.0, 0), test_fraction=0.2, seed=0)
    residual = problem.train.X @ problem.optimum.weights + problem.optimum.bias - problem.train.y
    assert 0.0 <= problem.optimum_loss == pytest.approx(0.5 * np.mean(residual**2), rel=1e-6)
    assert problem.optimum_loss < 1e-26

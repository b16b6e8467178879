"""sgdcore.model: prediction, D2L's ½·mean squared loss and its exact gradient."""

from __future__ import annotations

import numpy as np
import pytest

from sgdcore import gradient, init_params, penalty_gradient, predict, quadratic_loss, squared_loss, synthetic


def central_difference(function, point: np.ndarray, h: float = 1e-6) -> np.ndarray:
    result = np.empty_like(point)
    for i in range(point.size):
        step = np.zeros_like(point)
        step[i] = h
        result[i] = (function(point + step) - function(point - step)) / (2 * h)
    return result


def test_predict_is_xw_plus_b() -> None:
    X = np.array([[1.0, 2.0], [3.0, -1.0]])
    np.testing.assert_allclose(predict(X, np.array([0.5, -2.0]), 1.0), [1.0 * 0.5 - 4.0 + 1.0, 1.5 + 2.0 + 1.0])


def test_squared_loss_is_half_the_mean_not_the_sum() -> None:
    y_hat = np.array([1.0, 2.0, 4.0])
    y = np.array([0.0, 2.0, 1.0])
    # residuals 1, 0, 3: ½ · (1 + 0 + 9) / 3
    assert squared_loss(y_hat, y) == pytest.approx(10.0 / 6.0, rel=1e-15)
    assert isinstance(squared_loss(y_hat, y), float)


def test_gradient_of_a_tiny_example_by_hand() -> None:
    X = np.array([[1.0], [2.0]])
    y = np.array([1.0, 1.0])
    # w = 1, b = 0: residuals 0, 1 → dL/dw = (1·0 + 2·1)/2 = 1, dL/db = (0 + 1)/2 = 0.5
    grad_w, grad_b = gradient(X, y, np.array([1.0]), 0.0)
    np.testing.assert_allclose(grad_w, [1.0])
    assert grad_b == 0.5


@pytest.mark.parametrize("seed", range(5))
def test_gradient_matches_central_finite_differences(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, d = 37, 1 + seed % 4
    X, y = rng.normal(size=(n, d)), rng.normal(size=n) * 3
    theta = rng.normal(size=d + 1)

    def loss(params: np.ndarray) -> float:
        return squared_loss(predict(X, params[:-1], params[-1]), y)

    grad_w, grad_b = gradient(X, y, theta[:-1], theta[-1])
    numeric = central_difference(loss, theta)
    np.testing.assert_allclose(np.append(grad_w, grad_b), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(("weight_decay", "l1_penalty"), [(0.3, 0.0), (0.0, 0.2), (0.1, 0.05)])
def test_penalised_gradient_matches_finite_differences(weight_decay: float, l1_penalty: float) -> None:
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    # Away from w = 0, where |w| is differentiable.
    theta = np.array([0.7, -1.2, 0.4, 0.9])

    def objective(params: np.ndarray) -> float:
        weights = params[:-1]
        return (squared_loss(predict(X, weights, params[-1]), y) + weight_decay / 2 * float(weights @ weights)
                + l1_penalty * float(np.sum(np.abs(weights))))

    grad_w, grad_b = gradient(X, y, theta[:-1], theta[-1])
    analytic = np.append(grad_w, grad_b) + penalty_gradient(theta, weight_decay, l1_penalty)
    np.testing.assert_allclose(analytic, central_difference(objective, theta), rtol=1e-6, atol=1e-8)


def test_penalty_gradient_spares_the_bias_and_uses_the_l1_sign() -> None:
    penalty = penalty_gradient(np.array([2.0, -3.0, 0.0, 5.0]), 0.5, 0.1)
    np.testing.assert_allclose(penalty, [0.5 * 2 + 0.1, 0.5 * -3 - 0.1, 0.0, 0.0])


def test_gradient_vanishes_at_least_squares_solution() -> None:
    data = synthetic(n=200, w=[1.0, -1.0, 2.0], b=0.5, noise=0.3, seed=2)
    A = np.column_stack((data.X, np.ones(data.n_rows)))
    theta, *_ = np.linalg.lstsq(A, data.y, rcond=None)
    grad_w, grad_b = gradient(data.X, data.y, theta[:-1], theta[-1])
    np.testing.assert_allclose(grad_w, 0.0, atol=1e-12)
    assert abs(grad_b) < 1e-12


def test_quadratic_loss_is_the_squared_loss_exactly() -> None:
    data = synthetic(n=120, w=[1.0, -2.0], b=0.3, noise=0.5, seed=6)
    quadratic = quadratic_loss(data)
    rng = np.random.default_rng(3)
    for theta in rng.normal(size=(5, 3)) * 3:
        expected = squared_loss(predict(data.X, theta[:-1], theta[-1]), data.y)
        assert quadratic.loss(theta) == pytest.approx(expected, rel=1e-10)
        grad_w, grad_b = gradient(data.X, data.y, theta[:-1], theta[-1])
        np.testing.assert_allclose(quadratic.gradient(theta), np.append(grad_w, grad_b), rtol=1e-9, atol=1e-12)
    many = rng.normal(size=(4, 2, 3))
    assert quadratic.loss(many).shape == (4, 2)
    assert quadratic.loss(many)[3, 1] == pytest.approx(quadratic.loss(many[3, 1]))


def test_init_params() -> None:
    w, b = init_params(3, np.random.default_rng(0), "zeros")
    np.testing.assert_array_equal(w, np.zeros(3))
    assert b == 0.0
    w, b = init_params(20000, np.random.default_rng(0), "normal", scale=0.01)
    assert b == 0.0
    assert w.std() == pytest.approx(0.01, rel=0.03)
    np.testing.assert_array_equal(w, init_params(20000, np.random.default_rng(0), "normal", scale=0.01)[0])
    with pytest.raises(ValueError, match=r"init must be 'normal' or 'zeros'; got 'ones'\."):
        init_params(3, np.random.default_rng(0), "ones")

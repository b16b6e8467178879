"""sgdcore.analysis: the Hessian's eigenvalues, the stability limit and gradient noise."""

from __future__ import annotations

import numpy as np
import pytest

from sgdcore import (
    Dataset,
    contraction_factor,
    curvature,
    gradient,
    gradient_noise,
    loss_surface,
    polyak_heavy_ball,
    quadratic_loss,
    stability_limit,
    steps_to_stay_within,
    steps_within_through,
    synthetic,
)
from sgdcore.analysis import mean_error_after, minimiser


def hessian_with_bias(X: np.ndarray) -> np.ndarray:
    A = np.column_stack((X, np.ones(len(X))))
    return A.T @ A / len(X)


def torch_sgd_on_a_parabola(lam: float, learning_rate: float, momentum: float, dampening: float, nesterov: bool,
                            steps: int) -> float:
    """|θ| after ``steps`` of torch.optim.SGD on L(θ) = ½λθ², from θ = 1."""
    theta, buffer = 1.0, None
    for _ in range(steps):
        if abs(theta) > 1e12:
            break
        grad = lam * theta
        if momentum:
            buffer = grad if buffer is None else momentum * buffer + (1 - dampening) * grad
            grad = grad + momentum * buffer if nesterov else buffer
        theta -= learning_rate * grad
    return abs(theta)


def test_curvature_is_the_spectrum_of_the_hessian_with_bias_column() -> None:
    data = synthetic(n=200, w=[1.0, 2.0, 3.0], seed=1, feature_scales=[1.0, 3.0, 0.5])
    X = data.X + np.array([2.0, 0.0, -1.0])  # column means make the bias column matter
    data = Dataset(X, data.y, data.feature_names)
    quadratic = quadratic_loss(data)
    np.testing.assert_allclose(quadratic.hessian, hessian_with_bias(X), rtol=1e-12)
    result = curvature(quadratic.hessian)
    expected = np.linalg.eigvalsh(hessian_with_bias(X))
    np.testing.assert_allclose(result.eigenvalues, expected, rtol=1e-10)
    assert result.lambda_max == pytest.approx(expected.max(), rel=1e-12)
    assert result.lambda_min == pytest.approx(expected.min(), rel=1e-12)
    assert result.condition_number == pytest.approx(expected.max() / expected.min(), rel=1e-10)
    # Without the bias column the answer would be different: the bias matters here.
    assert not np.isclose(result.lambda_max, np.linalg.eigvalsh(X.T @ X / len(X)).max())
    assert result.stability_limit() == pytest.approx(2 / expected.max(), rel=1e-12)
    assert result.stability_limit(momentum=0.9) == pytest.approx(2 * 1.9 / expected.max(), rel=1e-12)


def test_curvature_with_weight_decay_spares_the_bias() -> None:
    H = hessian_with_bias(np.random.default_rng(0).normal(size=(50, 2)))
    result = curvature(H, weight_decay=0.3)
    np.testing.assert_allclose(result.eigenvalues, np.linalg.eigvalsh(H + np.diag([0.3, 0.3, 0.0])), rtol=1e-12)


def test_minimiser_of_columns_1e12_apart_keeps_the_small_column() -> None:
    """Hθ = c for a = x1·1e12 beside b = x2: H spans 1e24, below lstsq's cutoff on H itself, which gave b ≈ 0.
    The diagnosis's penalised optimum and the loss's expansion point solve such systems."""
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=50), rng.normal(size=50)
    X, y = np.column_stack((x1 * 1e12, x2)), (2 * x1 - 3 * x2 + 1 + 0.1 * rng.normal(size=50)) * 1e12
    quadratic = quadratic_loss(Dataset(X, y, ("a", "b")))
    A = np.column_stack((X, np.ones(50)))
    np.testing.assert_allclose(minimiser(quadratic.hessian, quadratic.linear),
                               np.linalg.lstsq(A, y, rcond=None)[0], rtol=1e-9)
    decayed = quadratic.hessian + 0.1 * np.diag([1.0, 1.0, 0.0])  # weight decay spares the bias
    np.testing.assert_allclose(minimiser(decayed, quadratic.linear), np.linalg.solve(decayed, quadratic.linear),
                               rtol=1e-9)


def test_singular_problems_have_an_infinite_condition_number() -> None:
    column = np.random.default_rng(0).normal(size=30)
    assert curvature(hessian_with_bias(np.column_stack((column, column)))).condition_number == np.inf
    assert curvature(hessian_with_bias(np.ones((30, 1)))).condition_number == np.inf


def test_stability_limit_formulas() -> None:
    assert stability_limit(4.0) == 0.5
    assert stability_limit(4.0, momentum=0.5) == pytest.approx(2 * 1.5 / 4.0)
    assert stability_limit(4.0, momentum=0.5, dampening=0.5) == pytest.approx(2 * 1.5 / (0.5 * 4.0))
    assert stability_limit(4.0, momentum=0.5, nesterov=True) == pytest.approx(2 * 1.5 / (2.0 * 4.0))
    assert stability_limit(4.0, momentum=0.5, dampening=1.0) == np.inf
    assert stability_limit(0.0) == np.inf


@pytest.mark.parametrize(
    ("momentum", "dampening", "nesterov"),
    [(0.0, 0.0, False), (0.5, 0.0, False), (0.9, 0.0, False), (0.7, 0.4, False), (0.5, 0.0, True), (0.9, 0.0, True)],
)
def test_stability_limit_separates_convergence_from_divergence(momentum: float, dampening: float,
                                                               nesterov: bool) -> None:
    """Run the torch rule on a parabola just below and just above the claimed limit."""
    lam = 3.0
    limit = stability_limit(lam, momentum, dampening, nesterov)
    assert torch_sgd_on_a_parabola(lam, 0.95 * limit, momentum, dampening, nesterov, 3000) < 1e-6
    assert torch_sgd_on_a_parabola(lam, 1.05 * limit, momentum, dampening, nesterov, 3000) > 1e6
    assert contraction_factor(np.array([lam]), 0.95 * limit, momentum, dampening, nesterov) < 1
    assert contraction_factor(np.array([lam]), 1.05 * limit, momentum, dampening, nesterov) > 1


def test_plain_contraction_factor_is_max_abs_one_minus_eta_lambda() -> None:
    eigenvalues = np.array([0.1, 1.0, 4.0])
    assert contraction_factor(eigenvalues, 0.2) == pytest.approx(max(abs(1 - 0.02), abs(1 - 0.2), abs(1 - 0.8)))
    assert contraction_factor(eigenvalues, 0.45) == pytest.approx(abs(1 - 0.045))
    assert contraction_factor(eigenvalues, 0.6) == pytest.approx(1.4)


@pytest.mark.parametrize(("momentum", "dampening", "nesterov"), [(0.9, 0.0, False), (0.6, 0.3, False),
                                                                 (0.8, 0.0, True)])
def test_momentum_contraction_factor_is_the_spectral_radius_of_the_torch_recurrence(
        momentum: float, dampening: float, nesterov: bool) -> None:
    eigenvalues, learning_rate = np.array([0.05, 0.7, 2.0]), 0.3
    radii = []
    for lam in eigenvalues:
        # State (v, θ) after the first step, for L = ½λθ²: v' = μv + (1−d)λθ.
        if nesterov:  # θ' = θ − η(λθ + μv')
            matrix = np.array([[momentum, lam],
                               [-learning_rate * momentum**2, 1 - learning_rate * lam * (1 + momentum)]])
        else:  # θ' = θ − ηv'
            matrix = np.array([[momentum, (1 - dampening) * lam],
                               [-learning_rate * momentum, 1 - learning_rate * (1 - dampening) * lam]])
        radii.append(np.max(np.abs(np.linalg.eigvals(matrix))))
    assert contraction_factor(eigenvalues, learning_rate, momentum, dampening, nesterov) == pytest.approx(
        max(radii), rel=1e-6)


@pytest.mark.parametrize(("lambda_min", "lambda_max"), [(1.0, 1.0), (0.5, 8.0), (0.02, 20.0)])
def test_polyak_s_heavy_ball_is_the_formula_and_no_momentum_and_rate_on_a_grid_beats_it(lambda_min: float,
                                                                                      lambda_max: float) -> None:
    momentum, learning_rate = polyak_heavy_ball(np.array([lambda_min, 0.5 * (lambda_min + lambda_max), lambda_max]))
    root = np.sqrt(lambda_max / lambda_min)
    assert momentum == pytest.approx(((root - 1) / (root + 1)) ** 2, rel=1e-12, abs=1e-15)
    assert learning_rate == pytest.approx(4 / (np.sqrt(lambda_max) + np.sqrt(lambda_min)) ** 2, rel=1e-12)

    def radius(mu: np.ndarray, rate: np.ndarray) -> np.ndarray:
        """The spectral radius of the heavy ball on ½(λ_min·x² + λ_max·y²): x_{k+1} = x_k − ηλx_k + μ(x_k − x_{k−1})
        along each axis, a 2×2 matrix on (x_k, x_{k−1}); written here, not sgdcore's."""
        largest = np.zeros(np.broadcast(mu, rate).shape)
        for lam in (lambda_min, lambda_max):
            steps = np.zeros((*largest.shape, 2, 2))
            steps[..., 0, 0], steps[..., 0, 1], steps[..., 1, 0] = 1 + mu - rate * lam, -mu, 1.0
            largest = np.maximum(largest, np.max(np.abs(np.linalg.eigvals(steps)), axis=-1))
        return largest

    polyak = float(radius(np.array(momentum), np.array(learning_rate)))
    assert polyak == pytest.approx((root - 1) / (root + 1), abs=1e-7)  # √μ: the roots meet on a circle
    mus, rates = np.meshgrid(np.linspace(0, 0.999, 400), np.linspace(0.001, 4.5, 400) / lambda_max, indexing="ij")
    grid = radius(mus, rates)
    assert grid.min() >= polyak - 1e-7  # nothing beats it (to the eigenvalues' rounding at a double root) …
    # … and the grid's best is within its resolution of it (a step of the rate's grid, 4.5/400 of 1/λ_max, moves
    # 1 − ηλ by up to 0.0113)
    assert grid.min() <= polyak + 0.0113


def test_polyak_s_heavy_ball_on_a_singular_hessian_is_the_limit() -> None:
    assert polyak_heavy_ball(np.array([0.0, 2.0])) == pytest.approx((1.0, 2.0), rel=1e-15)


def test_gradient_noise_prediction_matches_measurement_and_falls_with_batch_size() -> None:
    data = synthetic(n=500, noise=1.0, seed=4)
    params = np.array([1.0, -1.0, 2.0])  # away from the optimum, so gradients vary a lot
    batch_sizes = [1, 4, 16, 64, 250, 500]
    predicted, measured = gradient_noise(data, params, batch_sizes, np.random.default_rng(0), samples=400)
    assert predicted.shape == measured.shape == (6,)
    np.testing.assert_allclose(measured[:-1], predicted[:-1], rtol=0.2)
    assert np.all(np.diff(predicted) < 0)
    assert np.all(np.diff(measured) < 0)
    # Roughly 1/√B while B ≪ n.
    assert predicted[0] / predicted[2] == pytest.approx(4.0, rel=0.05)
    # The whole data set is the full gradient: no noise at all.
    assert predicted[-1] == 0.0
    assert measured[-1] == 0.0
    # …so it is not sampled: on a million rows, each sample of the full batch would cost a pass over the data.
    rng = np.random.default_rng(1)
    before = rng.bit_generator.state
    assert gradient_noise(data, params, [500], rng, samples=400)[1].tolist() == [0.0]
    assert rng.bit_generator.state == before

    # The prediction from its definition: per-example gradients, population variance, finite-population factor.
    residual = data.X @ params[:-1] + params[-1] - data.y
    per_example = np.column_stack((data.X * residual[:, None], residual))
    full_w, full_b = gradient(data.X, data.y, params[:-1], params[-1])
    np.testing.assert_allclose(per_example.mean(axis=0), np.append(full_w, full_b), rtol=1e-12)
    population_variance = np.sum(per_example.var(axis=0))
    for batch_size, value in zip(batch_sizes, predicted, strict=True):
        expected = np.sqrt(population_variance / batch_size * (500 - batch_size) / 499)
        assert value == pytest.approx(expected, rel=1e-10)


def test_loss_surface_evaluates_the_quadratic_on_a_grid() -> None:
    data = synthetic(n=100, seed=0)
    quadratic = quadratic_loss(data)
    center = np.array([1.0, -2.0, 3.0])
    surface = loss_surface(quadratic, center, 0, 2, (-1.0, 3.0), (0.0, 5.0), resolution=7)
    assert surface.loss.shape == (7, 7)
    np.testing.assert_allclose(surface.values_a, np.linspace(-1, 3, 7))
    np.testing.assert_allclose(surface.values_b, np.linspace(0, 5, 7))
    row, column = 4, 2
    point = center.copy()
    point[0], point[2] = surface.values_a[column], surface.values_b[row]
    expected = 0.5 * np.mean((data.X @ point[:-1] + point[-1] - data.y) ** 2)
    assert surface.loss[row, column] == pytest.approx(expected, rel=1e-10)
    grad_w, grad_b = gradient(data.X, data.y, point[:-1], point[-1])
    assert surface.gradient_a[row, column] == pytest.approx(grad_w[0], rel=1e-9)
    assert surface.gradient_b[row, column] == pytest.approx(grad_b, rel=1e-9)


@pytest.mark.parametrize(("momentum", "dampening", "nesterov"), [(0.0, 0.0, False), (0.9, 0.0, False),
                                                                   (0.9, 0.3, False), (0.9, 0.0, True)])
def test_the_mean_error_after_some_steps_is_full_batch_descent_iterated(momentum, dampening, nesterov) -> None:
    """torch.optim.SGD's updates on a quadratic, step by step (the first sets the velocity to the gradient itself,
    undamped), against the 2×2 matrices' powers."""
    eigenvalues, start, rate = np.array([0.05, 1.0, 3.0]), np.array([1.0, -2.0, 0.5]), 0.1
    error, velocity = start.copy(), np.zeros(3)
    for step in range(40):
        gradient = eigenvalues * error
        velocity = gradient.copy() if step == 0 else momentum * velocity + (1 - dampening) * gradient
        error = error - rate * (gradient + momentum * velocity if nesterov else velocity)
        np.testing.assert_allclose(mean_error_after(eigenvalues, start, step + 1, rate, momentum, dampening,
                                                    nesterov), error, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(mean_error_after(eigenvalues, start, 0, rate, momentum, dampening, nesterov), start)
    assert np.isinf(mean_error_after(eigenvalues, start, 10_000, 5.0, momentum, dampening, nesterov)).any()


@pytest.mark.parametrize(("momentum", "dampening", "nesterov"), [(0.0, 0.0, False), (0.9, 0.0, False),
                                                                   (0.9, 0.3, False), (0.5, 0.0, True)])
def test_the_steps_within_through_a_window_are_those_of_the_updates_and_at_most_the_count_to_stay(
        momentum, dampening, nesterov) -> None:
    """For many rates at once, the first step from which torch's updates (as above) keep Σ error² at or below a bound
    to the window's end: counted update by update, and never more than steps_to_stay_within's count."""
    eigenvalues, start, bound, window = np.array([0.05, 1.0, 3.0]), np.array([1.0, -2.0, 0.5]), 1e-2, 60
    rates = np.array([0.05, 0.2, 0.4, 0.6])
    said = steps_within_through(eigenvalues, start, np.ones(3), bound, rates, window, momentum, dampening, nesterov)
    for rate, within_from in zip(rates, said, strict=True):
        error, velocity, above = start.copy(), np.zeros(3), 0
        for step in range(window):
            gradient = eigenvalues * error
            velocity = gradient.copy() if step == 0 else momentum * velocity + (1 - dampening) * gradient
            error = error - rate * (gradient + momentum * velocity if nesterov else velocity)
            if error @ error > bound:
                above = step + 1
        assert within_from == above + 1, rate
        count = steps_to_stay_within(eigenvalues, start, np.ones(3), bound, rate, momentum, dampening, nesterov)
        assert count is None or within_from <= count, rate


def test_the_steps_within_through_take_a_momentum_for_each_rate() -> None:
    """Runs of several momenta at once, as the Momentum lesson tries every pair of its controls: each run's step is
    the one it has when its momentum is given alone."""
    eigenvalues, start, bound, window = np.array([0.05, 1.0, 3.0]), np.array([1.0, -2.0, 0.5]), 1e-2, 80
    rates, momenta = np.array([0.05, 0.2, 0.4, 0.2, 0.1]), np.array([0.0, 0.5, 0.9, 0.9, 0.3])
    said = steps_within_through(eigenvalues, start, np.ones(3), bound, rates, window, momenta)
    alone = [steps_within_through(eigenvalues, start, np.ones(3), bound, rates[i:i + 1], window, momenta[i])[0]
             for i in range(len(rates))]
    np.testing.assert_array_equal(said, alone)
    assert len(set(said.tolist())) > 2  # the momenta make a difference: not one momentum's steps for all

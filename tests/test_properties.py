"""Properties over random problems: gradient descent below the stability limit converges to the closed form,
above it diverges cleanly; and the small pieces keep their promises for any input."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sgdcore import (
    Dataset,
    Schedule,
    Standardizer,
    TrainConfig,
    check_learning_rate,
    contraction_factor,
    gradient,
    make_problem,
    minibatches,
    predict,
    squared_loss,
    stability_limit,
    train,
)

SLOW = settings(max_examples=40, deadline=None, database=None)
FAST = settings(max_examples=150, deadline=None, database=None)


@dataclass(frozen=True)
class RandomProblem:
    data: Dataset
    optimum: np.ndarray  # least squares [w*, b*], from NumPy directly
    lambda_max: float
    lambda_min: float


@st.composite
def problems(draw: st.DrawFn, noise_free: bool = False) -> RandomProblem:
    """Random d, n, w, b and a well-conditioned X (column scales within 2×, offsets within ±1)."""
    d = draw(st.integers(1, 5))
    n = draw(st.integers(50, 400))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    weights = np.array(draw(st.lists(st.floats(-5, 5), min_size=d, max_size=d)))
    bias = draw(st.floats(-5, 5))
    noise = 0.0 if noise_free else draw(st.floats(0, 1))
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 1.5, size=d) + rng.uniform(-1, 1, size=d)
    y = X @ weights + bias + noise * rng.normal(size=n)
    A = np.column_stack((X, np.ones(n)))
    eigenvalues = np.linalg.eigvalsh(A.T @ A / n)  # the Hessian of ½·mean(r²), bias column included
    optimum, *_ = np.linalg.lstsq(A, y, rcond=None)
    data = Dataset(X, y, tuple(f"x{i}" for i in range(d)))
    return RandomProblem(data, optimum, float(eigenvalues[-1]), float(eigenvalues[0]))


@SLOW
@given(problems())
def test_full_batch_gradient_descent_below_the_limit_converges_to_the_closed_form(problem: RandomProblem) -> None:
    learning_rate = 1.0 / problem.lambda_max
    # Every direction shrinks by at least 1 − λ_min/λ_max per step: enough steps for a 1e-9 reduction.
    epochs = math.ceil(math.log(1e-9) / math.log1p(-problem.lambda_min / problem.lambda_max))
    config = TrainConfig(learning_rate=learning_rate, batch_size=problem.data.n_rows, epochs=epochs, init="zeros",
                         backend="numpy")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        *_, progress = train(problem.data, config)
    assert progress.status == "finished"
    assert progress.step == epochs
    found = np.append(progress.weights, progress.bias)
    assert np.linalg.norm(found - problem.optimum) <= 1e-7 * (1 + np.linalg.norm(problem.optimum))
    # The library's own view of the problem agrees.
    solved = make_problem(problem.data)
    np.testing.assert_allclose(solved.curvature.lambda_max, problem.lambda_max, rtol=1e-9)
    np.testing.assert_allclose(solved.optimum.params, problem.optimum, rtol=1e-6, atol=1e-8)
    assert solved.curvature.stability_limit() == np.float64(2.0 / solved.curvature.lambda_max)
    check = check_learning_rate(solved, TrainConfig(learning_rate=learning_rate, batch_size=problem.data.n_rows))
    assert check.crossed == "none" and check.ratio == pytest.approx(0.5)
    assert contraction_factor(solved.curvature.eigenvalues, learning_rate) < 1


@SLOW
@given(problems(noise_free=True), st.integers(1, 32), st.integers(0, 1000))
def test_minibatch_sgd_converges_to_the_closed_form_when_the_model_fits_exactly(
    problem: RandomProblem, batch_size: int, seed: int
) -> None:
    # Without noise every example is fitted exactly at the optimum, so minibatch gradients vanish there
    # and SGD at a constant rate converges to it, not only near it, once each minibatch step is stable:
    # η = 1/max‖(x, 1)‖² is below 2/λ_max of every minibatch's Hessian.
    rows = np.column_stack((problem.data.X, np.ones(problem.data.n_rows)))
    learning_rate = 1.0 / float(np.max(np.sum(rows**2, axis=1)))
    steps_per_epoch = -(-problem.data.n_rows // batch_size)
    # The expected error shrinks by about 1 − η·λ_min per step.
    steps = math.log(1e-10) / math.log1p(-learning_rate * problem.lambda_min)
    config = TrainConfig(learning_rate=learning_rate, batch_size=batch_size, epochs=math.ceil(steps / steps_per_epoch),
                         seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        *_, progress = train(problem.data, config)
    assert progress.status == "finished"
    found = np.append(progress.weights, progress.bias)
    assert np.linalg.norm(found - problem.optimum) <= 1e-4 * (1 + np.linalg.norm(problem.optimum))


@SLOW
@given(problems(), st.floats(2.1, 4.0))
def test_full_batch_gradient_descent_above_the_limit_diverges_cleanly(problem: RandomProblem, ratio: float) -> None:
    limit = 2.0 / problem.lambda_max
    learning_rate = ratio * limit
    config = TrainConfig(learning_rate=learning_rate, batch_size=problem.data.n_rows, epochs=400, backend="numpy")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning may escape
        *snapshots, progress = train(problem.data, config)
    assert progress.status == "diverged"
    assert progress.done
    assert all(snapshot.status == "running" for snapshot in snapshots)
    assert isinstance(progress.diverged_at_step, int)
    assert 1 <= progress.diverged_at_step <= 400
    assert progress.epoch < 400
    assert f"diverged at step {progress.diverged_at_step}" in progress.message
    assert f"Learning rate {learning_rate:g} is too large" in progress.message
    assert "stability limit" in progress.message
    check = check_learning_rate(make_problem(problem.data), replace(config, epochs=1))
    assert check.crossed == "full_batch" and check.limits.full_batch == pytest.approx(limit, rel=1e-9)
    assert contraction_factor(make_problem(problem.data).curvature.eigenvalues, learning_rate) > 1


@SLOW
@given(problems(), st.sampled_from([(0.5, 0.0, False), (0.9, 0.0, False), (0.6, 0.5, False), (0.8, 0.0, True)]))
def test_momentum_below_its_limit_converges_and_above_it_diverges(problem: RandomProblem, options: tuple) -> None:
    momentum, dampening, nesterov = options
    limit = stability_limit(problem.lambda_max, momentum, dampening, nesterov)
    eigenvalues = make_problem(problem.data).curvature.eigenvalues
    rate = contraction_factor(eigenvalues, 0.5 * limit, momentum, dampening, nesterov)
    assert rate < 1
    epochs = math.ceil(math.log(1e-10) / math.log(rate)) + 50
    kwargs = dict(batch_size=problem.data.n_rows, momentum=momentum, dampening=dampening, nesterov=nesterov,
                  backend="numpy")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        *_, above = train(problem.data, TrainConfig(learning_rate=1.2 * limit, epochs=2000, **kwargs))
        *_, below = train(problem.data, TrainConfig(learning_rate=0.5 * limit, epochs=epochs, **kwargs))
    assert above.status == "diverged"
    assert "is too large" in above.message
    assert below.status == "finished"
    found = np.append(below.weights, below.bias)
    assert np.linalg.norm(found - problem.optimum) <= 1e-6 * (1 + np.linalg.norm(problem.optimum))


@FAST
@given(st.integers(1, 5), st.integers(2, 60), st.integers(0, 1000))
def test_gradient_matches_finite_differences(d: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    X, y, theta = rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=d + 1)
    grad_w, grad_b = gradient(X, y, theta[:-1], theta[-1])
    analytic = np.append(grad_w, grad_b)
    h = 1e-6
    for i in range(d + 1):
        step = np.zeros(d + 1)
        step[i] = h
        plus = squared_loss(predict(X, (theta + step)[:-1], (theta + step)[-1]), y)
        minus = squared_loss(predict(X, (theta - step)[:-1], (theta - step)[-1]), y)
        assert abs((plus - minus) / (2 * h) - analytic[i]) <= 1e-6 * (1 + abs(analytic[i]))


@FAST
@given(st.integers(1, 300), st.integers(1, 64), st.booleans(), st.booleans(), st.integers(0, 2**32 - 1))
def test_minibatches_partition_the_rows(n_rows: int, batch_size: int, shuffle: bool, drop_last: bool,
                                        seed: int) -> None:
    batches = list(minibatches(n_rows, batch_size, np.random.default_rng(seed), shuffle=shuffle, drop_last=drop_last))
    sizes = [len(batch) for batch in batches]
    full, rest = divmod(n_rows, batch_size)
    expected_sizes = [batch_size] * full + ([rest] if rest and not drop_last else [])
    assert sizes == expected_sizes
    rows = np.concatenate(batches) if batches else np.empty(0, dtype=int)
    assert len(np.unique(rows)) == len(rows)
    assert set(rows.tolist()) <= set(range(n_rows))
    if not drop_last:
        np.testing.assert_array_equal(np.sort(rows), np.arange(n_rows))
    if not shuffle:
        np.testing.assert_array_equal(rows, np.arange(len(rows)))


@FAST
@given(st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_standardizer_round_trip(d: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, d)) * rng.uniform(0.01, 100, size=d) + rng.uniform(-50, 50, size=d)
    y = rng.normal(size=30) * rng.uniform(0.1, 10) + rng.uniform(-10, 10)
    scaler = Standardizer.fit(Dataset(X, y, tuple(f"x{i}" for i in range(d))), target=True)
    weights, bias = rng.normal(size=d), float(rng.normal())
    back_w, back_b = scaler.to_original_units(*scaler.to_model_units(weights, bias))
    np.testing.assert_allclose(back_w, weights, rtol=1e-9, atol=1e-12)
    assert abs(back_b - bias) <= 1e-9 * (1 + abs(bias) + float(np.abs(weights) @ np.abs(scaler.feature_mean)))
    model_w, model_b = scaler.to_model_units(*scaler.to_original_units(weights, bias))
    np.testing.assert_allclose(model_w, weights, rtol=1e-9, atol=1e-12)
    assert abs(model_b - bias) <= 1e-9 * (1 + abs(bias) + float(np.sum(np.abs(weights))) * 100)


@FAST
@given(
    st.sampled_from(["constant", "step", "exponential", "inverse_scaling", "cosine"]),
    st.floats(0.01, 1.0), st.integers(1, 500), st.floats(0.0, 1.0), st.floats(0.0, 1.0),
    st.one_of(st.none(), st.integers(1, 2000)), st.integers(0, 300),
)
def test_schedule_vectorised_equals_scalar_and_stays_in_range(kind: str, gamma: float, step_size: int,
                                                              power_t: float, min_factor: float,
                                                              period_steps: int | None, warmup_steps: int) -> None:
    schedule = Schedule(kind, gamma, step_size, power_t, min_factor, period_steps, warmup_steps)
    steps = np.arange(0, 3000, 7)
    vector = schedule(steps)
    np.testing.assert_array_equal(vector, [schedule(int(t)) for t in steps])
    assert np.all(vector >= 0)
    assert np.all(vector <= 1.0)
    assert np.all(np.isfinite(vector))
    if kind != "constant" and warmup_steps == 0:
        assert np.all(np.diff(vector) <= 0)  # every decay only decays


@FAST
@given(st.floats(0.01, 100), st.floats(0.0, 0.95), st.floats(0.0, 0.9), st.booleans(),
       st.sampled_from([0.5, 0.9, 0.97, 1.03, 1.1, 2.0]))
def test_contraction_below_one_exactly_below_the_stability_limit(lam: float, momentum: float, dampening: float,
                                                                 nesterov: bool, ratio: float) -> None:
    if nesterov:
        dampening = 0.0
    if momentum == 0.0:
        dampening, nesterov = 0.0, False
    limit = stability_limit(lam, momentum, dampening, nesterov)
    factor = contraction_factor(np.array([lam / 10, lam]), ratio * limit, momentum, dampening, nesterov)
    assert (factor < 1) == (ratio < 1)

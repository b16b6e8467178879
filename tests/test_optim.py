"""sgdcore.optim: torch.optim.SGD semantics, checked on steps computed by hand from its documented rule.

torch.optim.SGD, for gradient g of the parameters p at step t:
    g ← g + weight_decay·p
    if momentum: b ← g (t = 0) or b ← momentum·b + (1 − dampening)·g; g ← g + momentum·b if nesterov else b
    p ← p − lr·g
sgdcore keeps the bias out of weight decay (a torch parameter group with weight_decay=0).
Parameters below are θ = [w, b] = [1, 2]; gradients are a fixed sequence, learning rate 0.1.
"""

from __future__ import annotations

import numpy as np
import pytest

from sgdcore import TrainConfig, gradient, sgd_step, synthetic, train
from sgdcore.kernels import Chunk, Minibatches, Records, StepRule, run_steps

GRADIENTS = [np.array([1.0, 1.0]), np.array([2.0, 0.0]), np.array([0.0, 4.0])]


def run(**options) -> list[np.ndarray]:
    params, velocity = np.array([1.0, 2.0]), np.zeros(2)
    visited = []
    for step, grad in enumerate(GRADIENTS):
        params, velocity = sgd_step(params, grad, velocity, step=step, learning_rate=0.1, **options)
        visited.append(params)
    return visited


def check(visited: list[np.ndarray], expected: list[list[float]]) -> None:
    np.testing.assert_allclose(np.array(visited), np.array(expected), rtol=0, atol=1e-12)


def test_plain_sgd() -> None:
    # p ← p − 0.1·g
    check(run(), [[0.9, 1.9], [0.7, 1.9], [0.7, 1.5]])


def test_momentum_first_velocity_is_the_gradient() -> None:
    # b₁ = g₀ = [1, 1]; b₂ = 0.5·b₁ + g₁ = [2.5, 0.5]; b₃ = 0.5·b₂ + g₂ = [1.25, 4.25]
    check(run(momentum=0.5), [[0.9, 1.9], [0.65, 1.85], [0.525, 1.425]])


def test_dampening_applies_from_the_second_step() -> None:
    # b₁ = g₀ = [1, 1] (no dampening on the first step); b₂ = 0.5·b₁ + 0.5·g₁ = [1.5, 0.5];
    # b₃ = 0.5·b₂ + 0.5·g₂ = [0.75, 2.25]
    check(run(momentum=0.5, dampening=0.5), [[0.9, 1.9], [0.75, 1.85], [0.675, 1.625]])


def test_nesterov_steps_along_gradient_plus_momentum_times_velocity() -> None:
    # b₁ = [1, 1], step g₀ + 0.5·b₁ = [1.5, 1.5]; b₂ = [2.5, 0.5], step g₁ + 0.5·b₂ = [3.25, 0.25];
    # b₃ = [1.25, 4.25], step g₂ + 0.5·b₃ = [0.625, 6.125]
    check(run(momentum=0.5, nesterov=True), [[0.85, 1.85], [0.525, 1.825], [0.4625, 1.2125]])


def test_weight_decay_is_added_to_the_gradient_of_the_weights_only() -> None:
    # g₀ = [1 + 0.1·1, 1] → p₁ = [0.89, 1.9]; g₁ = [2 + 0.089, 0] → p₂ = [0.6811, 1.9];
    # g₂ = [0.06811, 4] → p₃ = [0.674289, 1.5]
    check(run(weight_decay=0.1), [[0.89, 1.9], [0.6811, 1.9], [0.674289, 1.5]])


def test_weight_decay_enters_before_momentum() -> None:
    # g₀ = [1.1, 1] = b₁ → p₁ = [0.89, 1.9]; g₁ = [2.089, 0], b₂ = [0.55 + 2.089, 0.5] → p₂ = [0.6261, 1.85];
    # g₂ = [0.06261, 4], b₃ = [1.3195 + 0.06261, 0.25 + 4] → p₃ = [0.487889, 1.425]
    check(run(weight_decay=0.1, momentum=0.5), [[0.89, 1.9], [0.6261, 1.85], [0.487889, 1.425]])


def test_l1_penalty_adds_its_sign() -> None:
    params, velocity = np.array([1.0, -2.0, 3.0]), np.zeros(3)
    new, _ = sgd_step(params, np.array([0.5, 0.5, 0.5]), velocity, step=0, learning_rate=0.1, l1_penalty=0.2)
    # weights: g + 0.2·sign(w); bias: g
    np.testing.assert_allclose(new, [1.0 - 0.1 * 0.7, -2.0 - 0.1 * 0.3, 3.0 - 0.1 * 0.5], rtol=0, atol=1e-15)


def test_sgd_step_leaves_its_inputs_untouched() -> None:
    params, grad, velocity = np.array([1.0, 2.0]), np.array([0.5, -0.5]), np.array([0.1, 0.2])
    copies = params.copy(), grad.copy(), velocity.copy()
    sgd_step(params, grad, velocity, step=3, learning_rate=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)
    for array, copy in zip((params, grad, velocity), copies, strict=True):
        np.testing.assert_array_equal(array, copy)


def test_velocity_is_unused_without_momentum() -> None:
    params, velocity = np.array([1.0, 2.0]), np.array([100.0, 100.0])
    new, new_velocity = sgd_step(params, np.array([1.0, 1.0]), velocity, step=5, learning_rate=0.1)
    np.testing.assert_allclose(new, [0.9, 1.9])
    np.testing.assert_array_equal(new_velocity, velocity)


def test_numpy_kernel_runs_the_lesson_loop() -> None:
    """run_steps equals the readable loop: minibatch by minibatch, gradient then sgd_step."""
    data = synthetic(n=23, seed=3)
    order = np.random.default_rng(0).permutation(23)
    batch_size, n_steps = 5, 5
    learning_rates = np.linspace(0.1, 0.05, n_steps)
    params, velocity = np.array([0.1, -0.2, 0.3]), np.zeros(3)
    losses, trajectory = np.empty(n_steps), np.empty((10, 3))
    done, n_recorded = run_steps(
        Minibatches(data.X, data.y, order, 23, batch_size), Chunk(0, 0, learning_rates), params, velocity,
        StepRule(momentum=0.9, dampening=0.1, weight_decay=0.01), 1e300, Records(losses, trajectory, 2, 0),
    )
    assert (done, n_recorded) == (5, 2)  # steps 2 and 4 recorded (stride 2)
    expected, expected_velocity = np.array([0.1, -0.2, 0.3]), np.zeros(3)
    for step in range(n_steps):
        rows = order[step * batch_size:(step + 1) * batch_size]
        assert len(rows) == (3 if step == 4 else 5)
        residual = data.X[rows] @ expected[:-1] + expected[-1] - data.y[rows]
        assert losses[step] == pytest.approx(0.5 * np.mean(residual**2), rel=1e-12)
        grad_w, grad_b = gradient(data.X[rows], data.y[rows], expected[:-1], expected[-1])
        expected, expected_velocity = sgd_step(
            expected, np.append(grad_w, grad_b), expected_velocity, step=step, learning_rate=learning_rates[step],
            momentum=0.9, dampening=0.1, weight_decay=0.01,
        )
        if step == 1:
            np.testing.assert_allclose(trajectory[0], expected, rtol=1e-12)
        if step == 3:
            np.testing.assert_allclose(trajectory[1], expected, rtol=1e-12)
    np.testing.assert_allclose(params, expected, rtol=1e-12)
    np.testing.assert_allclose(velocity, expected_velocity, rtol=1e-12)


@pytest.mark.parametrize(("momentum", "dampening", "nesterov"), [(0.0, 0.0, False), (0.9, 0.0, False),
                                                                 (0.9, 0.3, False), (0.8, 0.0, True)])
def test_full_batch_training_follows_the_torch_rule(momentum: float, dampening: float, nesterov: bool) -> None:
    """train() with full batches equals the torch recurrence written out here."""
    data = synthetic(n=40, w=[1.0, -0.5], b=0.2, noise=0.1, seed=5)
    config = TrainConfig(learning_rate=0.05, batch_size=40, epochs=12, momentum=momentum, dampening=dampening,
                         nesterov=nesterov, weight_decay=0.02, init="zeros", backend="numpy")
    *_, progress = train(data, config)
    params, buffer = np.zeros(3), None
    for _ in range(12):
        residual = data.X @ params[:-1] + params[-1] - data.y
        grad = np.append(data.X.T @ residual / 40, residual.mean())
        grad[:-1] += 0.02 * params[:-1]
        if momentum:
            buffer = grad.copy() if buffer is None else momentum * buffer + (1 - dampening) * grad
            grad = grad + momentum * buffer if nesterov else buffer
        params = params - 0.05 * grad
    np.testing.assert_allclose(np.append(progress.weights, progress.bias), params, rtol=1e-12, atol=1e-14)

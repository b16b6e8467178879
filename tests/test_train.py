"""sgdcore.train: the D2L run, reproducibility, pause and resume, early stopping, bounded histories."""

from __future__ import annotations

import collections
import functools
import math
import os
import sys
import tracemalloc
import warnings
from dataclasses import replace

import joblib
import numpy as np
import pytest

import sgdcore
from sgdcore import (
    ConfigError,
    DataError,
    Dataset,
    Progress,
    TrainConfig,
    closed_form,
    full_loss,
    synthetic,
    train,
    train_test_split,
)
from sgdcore.train import (
    MAX_HISTORY_POINTS,
    SHUFFLES,
    epoch_loss_function,
    epoch_order,
    quadratic_setup_passes,
    select_kernel,
    usable_cores,
)

HISTORIES = ("loss_steps", "minibatch_loss", "trajectory_steps", "trajectory", "epoch_train_loss")


def last(data: Dataset, config: TrainConfig, **kwargs) -> Progress:
    *_, progress = train(data, config, **kwargs)
    return progress


def assert_same_run(first: Progress, second: Progress) -> None:
    """Bit-identical parameters, velocity and histories (timings aside)."""
    np.testing.assert_array_equal(first.weights, second.weights)
    assert first.bias == second.bias
    np.testing.assert_array_equal(first.state.velocity, second.state.velocity)
    assert (first.step, first.epoch, first.status) == (second.step, second.epoch, second.status)
    for name in HISTORIES:
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name), err_msg=name)
    if first.epoch_test_loss is None:
        assert second.epoch_test_loss is None
    else:
        np.testing.assert_array_equal(first.epoch_test_loss, second.epoch_test_loss)


# The lesson's run


def test_d2l_default_run_recovers_the_true_parameters() -> None:
    data = synthetic()
    progress = last(data, TrainConfig(learning_rate=0.03, batch_size=10, epochs=3))
    assert progress.status == "finished"
    assert progress.message == "finished 3 epochs (300 steps)"
    np.testing.assert_allclose(progress.weights, [2.0, -3.4], atol=0.01)
    assert progress.bias == pytest.approx(4.2, abs=0.01)
    optimum = closed_form(data)
    np.testing.assert_allclose(progress.weights, optimum.weights, atol=1e-3)
    assert progress.bias == pytest.approx(optimum.bias, abs=1e-3)
    # D2L prints a training loss near the noise floor ½·0.01² after three epochs.
    assert progress.epoch_train_loss[-1] < 1e-4
    assert progress.epoch_train_loss[0] > 1.0
    assert progress.done


def test_integer_features_train_like_their_float_copy() -> None:
    rng = np.random.default_rng(0)
    X = rng.integers(0, 5, size=(200, 2))
    y = X @ np.array([0.3, -0.2]) + 0.25 + rng.normal(0, 0.01, 200)
    config = TrainConfig(learning_rate=0.05, batch_size=200, epochs=2000, backend="numpy")
    progress = last(Dataset(X, y, ("a", "b")), config)
    as_float = last(Dataset(X.astype(float), y, ("a", "b")), config)
    np.testing.assert_array_equal(progress.weights, as_float.weights)
    optimum = closed_form(Dataset(X.astype(float), y, ("a", "b")))
    np.testing.assert_allclose(progress.weights, optimum.weights, atol=1e-6)


# Reproducibility


def test_same_config_and_seed_give_bit_identical_runs_however_they_are_chunked() -> None:
    train_rows, test_rows = train_test_split(synthetic(n=1500, seed=1), 0.2)
    config = TrainConfig(batch_size=1, epochs=4, momentum=0.5, backend="numpy", seed=5)
    # report_every=0 runs one step per chunk; a long report_every runs whole epochs at once.
    one_step_chunks = last(train_rows, config, test=test_rows, report_every=0.0)
    long_chunks = last(train_rows, config, test=test_rows, report_every=60.0)
    again = last(train_rows, config, test=test_rows)
    assert one_step_chunks.step == 4800
    assert one_step_chunks.state.loss_bucket >= 4  # the history had to merge buckets, twice
    assert_same_run(one_step_chunks, long_chunks)
    assert_same_run(one_step_chunks, again)


def test_a_different_seed_gives_a_different_run() -> None:
    data = synthetic(n=100, seed=1)
    first = last(data, TrainConfig(batch_size=5, epochs=1, backend="numpy", seed=0))
    other = last(data, TrainConfig(batch_size=5, epochs=1, backend="numpy", seed=1))
    assert not np.array_equal(first.weights, other.weights)


# Pause and resume


def test_epoch_by_epoch_with_until_epoch_equals_an_uninterrupted_run() -> None:
    data = synthetic(n=300, seed=2)
    config = TrainConfig(batch_size=7, epochs=4, momentum=0.9, nesterov=True, backend="numpy", seed=3)
    whole = last(data, config)
    state = None
    for epoch in range(1, 5):
        progress = last(data, config, state=state, until_epoch=epoch)
        assert progress.epoch == epoch
        assert progress.status == ("finished" if epoch == 4 else "stopped")
        if epoch < 4:
            assert progress.message == f"paused after epoch {epoch} of 4; step or train again to continue"
        state = progress.state
    assert_same_run(progress, whole)


def test_until_epoch_zero_is_the_starting_point_and_evaluates_no_epoch_loss(monkeypatch: pytest.MonkeyPatch) -> None:
    data, test = train_test_split(synthetic(n=500, seed=4), test_fraction=0.2, seed=0)
    config = TrainConfig(epochs=500, backend="numpy", seed=5)  # so many epochs that a run builds the quadratic
    first_step = last(data, replace(config, epochs=1), test=test, until_epoch=1)

    def no_loss_needed(*args, **kwargs):
        raise AssertionError("the starting point needs no epoch-end loss")

    monkeypatch.setattr(sys.modules["sgdcore.train"], "epoch_loss_function", no_loss_needed)
    start = last(data, config, test=test, until_epoch=0)
    assert (start.step, start.epoch, start.status) == (0, 0, "stopped")
    assert np.array_equal(start.trajectory, first_step.trajectory[:1])  # the same initial parameters
    assert start.epoch_train_loss.tolist() == [full_loss(data, start.trajectory[0])]
    assert start.epoch_test_loss.tolist() == [full_loss(test, start.trajectory[0])]
    assert start.loss_steps.size == 0 and start.minibatch_loss.size == 0


def test_stopping_mid_epoch_and_resuming_from_state_equals_an_uninterrupted_run() -> None:
    data, test = train_test_split(synthetic(n=1200, seed=4), 0.25)
    config = TrainConfig(batch_size=1, epochs=5, momentum=0.8, dampening=0.2, weight_decay=0.01,
                         backend="numpy", seed=9)
    whole = last(data, config, test=test)
    assert whole.step == 4500
    assert whole.state.loss_bucket >= 4
    paused = None
    for progress in train(data, config, test=test, report_every=0.0):
        if progress.step == 2777:
            paused = progress.stopped()
            break
    assert paused is not None
    assert paused.status == "stopped"
    assert paused.batch_in_epoch == 2777 - 3 * 900
    # 77 steps into the fourth epoch: the message names the epoch under way, as the progress bar does.
    assert paused.message == "stopped at step 2777 (epoch 4 of 5); train again to continue from here"
    # Resume twice more, stopping mid-epoch again, then run to the end.
    for progress in train(data, config, test=test, state=paused.state, report_every=0.0):
        if progress.step == 4111:
            paused = progress
            break
    resumed = last(data, config, test=test, state=paused.state)
    assert_same_run(resumed, whole)


def test_stopping_between_epochs_counts_the_epochs_done() -> None:
    config = TrainConfig(batch_size=10, epochs=5, backend="numpy", seed=3)
    between = [progress for progress in train(synthetic(n=100), config, report_every=0.0)
               if progress.status == "running" and progress.batch_in_epoch == 0 and progress.epoch == 2]
    assert between, "no snapshot at the end of epoch 2"
    assert between[0].stopped().message == "stopped at step 20 (2 of 5 epochs done); train again to continue from here"


def test_resuming_with_data_of_another_shape_is_refused() -> None:
    progress = last(synthetic(n=50), TrainConfig(epochs=1, backend="numpy"))
    wider = synthetic(n=50, w=[1.0, 2.0, 3.0])
    with pytest.raises(ConfigError, match=r"Cannot resume: the saved run has 2 features, the data has 3\."):
        last(wider, TrainConfig(epochs=2, backend="numpy"), state=progress.state)


# Early stopping


def test_early_stopping_follows_scikit_learns_rule() -> None:
    data = synthetic(n=200, seed=0)
    base = TrainConfig(learning_rate=0.05, batch_size=20, epochs=40, backend="numpy")
    full = last(data, base)
    tol, patience = 1e-3, 3
    # scikit-learn: an epoch without improvement is one whose loss > best − tol; stop after `patience` of them.
    best, without, expected_epoch = np.inf, 0, None
    for epoch, loss in enumerate(full.epoch_train_loss[1:], start=1):
        without = without + 1 if loss > best - tol else 0
        best = min(best, loss)
        if without >= patience:
            expected_epoch = epoch
            break
    assert expected_epoch is not None and expected_epoch < 40
    stopped = last(data, TrainConfig(learning_rate=0.05, batch_size=20, epochs=40, backend="numpy",
                                     tol=tol, n_iter_no_change=patience))
    assert stopped.status == "converged"
    assert stopped.epoch == expected_epoch
    assert stopped.done
    assert stopped.message == (f"converged after {expected_epoch} epochs: the training loss improved by less than "
                               "tol=0.001 for 3 epochs in a row")
    np.testing.assert_array_equal(stopped.epoch_train_loss, full.epoch_train_loss[: expected_epoch + 1])


def test_early_stopping_counts_a_tie_with_best_minus_tol_as_an_improvement(monkeypatch: pytest.MonkeyPatch) -> None:
    # scikit-learn's SGDRegressor: `if loss > best_loss - tol: no_improvement += 1 else: no_improvement = 0`,
    # then `best_loss = min(best_loss, loss)`, and it stops when no_improvement >= n_iter_no_change.
    # Scripted epoch losses, exact in binary: epoch 2 ties with best − tol (1.0 − 0.25) and so improves; epochs
    # 3 and 4 do not (> 0.75 − 0.25). The rule stops after epoch 4; counting the tie as no improvement would
    # stop after epoch 3.
    scripted = [1.0, 0.75, 0.875, 0.625, 0.5, 0.25]

    def scripted_losses(data, epochs, loss_pass, quadratic=None):
        losses = iter(scripted)
        return lambda params: next(losses)

    monkeypatch.setattr(sys.modules["sgdcore.train"], "epoch_loss_function", scripted_losses)
    config = TrainConfig(batch_size=10, epochs=len(scripted), tol=0.25, n_iter_no_change=2, backend="numpy")
    progress = last(synthetic(n=50), config)
    assert (progress.status, progress.epoch) == ("converged", 4)
    assert progress.epoch_train_loss[1:].tolist() == scripted[:4]
    assert progress.state.best_loss == 0.625  # the lowest loss, though not lower by tol
    assert progress.state.epochs_without_improvement == 2
    assert progress.message == ("converged after 4 epochs: the training loss improved by less than tol=0.25 "
                                "for 2 epochs in a row")
    # Without the tie (epoch 2 a hair above best − tol), the same rule stops an epoch earlier.
    scripted[1] = np.nextafter(0.75, 1.0)
    assert last(synthetic(n=50), config).epoch == 3


def test_without_tol_every_epoch_runs() -> None:
    progress = last(synthetic(n=100), TrainConfig(batch_size=10, epochs=12, backend="numpy"))
    assert progress.status == "finished"
    assert progress.epoch == 12


# Divergence


def test_too_large_a_learning_rate_diverges_with_a_message_and_no_warnings() -> None:
    data = synthetic(n=200, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        progress = last(data, TrainConfig(learning_rate=5.0, batch_size=200, epochs=500, backend="numpy"))
    assert progress.status == "diverged"
    assert progress.done
    assert isinstance(progress.diverged_at_step, int)
    assert 1 <= progress.diverged_at_step < 100
    assert progress.message.startswith(f"diverged at step {progress.diverged_at_step}: ")
    assert "Learning rate 5 is too large" in progress.message
    assert "stability limit" in progress.message
    assert progress.epoch < 500


def replay_until_a_minibatch_loss_is_over(data: Dataset, config: TrainConfig, limit: float) -> tuple[int, np.ndarray]:
    """Replay a ``shuffle="none"``, ``init="zeros"`` run with the lesson's own functions (``predict``,
    ``squared_loss``, ``gradient``, ``sgd_step``): the first step (counted from 1) whose minibatch loss is
    not finite or over ``limit``, and the parameters before it."""
    n_rows = data.X.shape[0]
    params, velocity = np.zeros(data.n_features + 1), np.zeros(data.n_features + 1)
    with np.errstate(all="ignore"):
        for step in range(config.steps_per_epoch(n_rows) * config.epochs):
            start = step % config.steps_per_epoch(n_rows) * config.batch_size
            X_batch, y_batch = data.X[start:start + config.batch_size], data.y[start:start + config.batch_size]
            loss = sgdcore.squared_loss(sgdcore.predict(X_batch, params[:-1], params[-1]), y_batch)
            if not math.isfinite(loss) or loss > limit:
                return step + 1, params
            grad_w, grad_b = sgdcore.gradient(X_batch, y_batch, params[:-1], params[-1])
            params, velocity = sgdcore.sgd_step(params, np.append(grad_w, grad_b), velocity, step=step,
                                                learning_rate=config.learning_rate, momentum=config.momentum)
    raise AssertionError("the replayed run did not diverge")


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("divergence_factor", [1e6, math.inf])  # over the limit; no longer a finite number
def test_diverged_at_step_names_the_first_step_whose_minibatch_loss_is_over_the_limit(
    backend: str, divergence_factor: float
) -> None:
    data = synthetic(n=400, seed=2)
    config = TrainConfig(learning_rate=3.0, batch_size=4, epochs=50, momentum=0.5, shuffle="none", init="zeros",
                         divergence_factor=divergence_factor, backend=backend)
    progress = last(data, config)
    initial_loss = full_loss(data, np.zeros(data.n_features + 1))
    expected, params_before = replay_until_a_minibatch_loss_is_over(data, config, divergence_factor * initial_loss)
    assert 3 < expected < MAX_HISTORY_POINTS and expected % 100 != 0  # after a few good steps, mid-epoch
    assert progress.status == "diverged"
    assert progress.diverged_at_step == expected  # not one step early, nor one late
    assert progress.step == expected - 1  # steps 1 … N − 1 were taken, step N was not
    assert progress.message.startswith(f"diverged at step {expected}: ")
    assert progress.loss_steps[-1] == expected  # the over-the-limit loss is drawn at step N
    np.testing.assert_allclose(np.append(progress.weights, progress.bias), params_before, rtol=1e-9)


def test_diverged_at_step_names_the_last_step_of_an_epoch_whose_full_loss_is_over_the_limit() -> None:
    # Full-batch gradient descent: each epoch is one step, and its end's full loss is checked before the
    # next step's minibatch loss (the same number): after step N, over the limit, is "diverged at step N".
    data = synthetic(n=100, seed=2)
    config = TrainConfig(learning_rate=2.5, batch_size=100, epochs=200, init="zeros", backend="numpy")
    progress = last(data, config)
    params = np.zeros(data.n_features + 1)
    limit = config.divergence_factor * full_loss(data, params)
    step, loss = 0, 0.0
    with np.errstate(all="ignore"):
        while math.isfinite(loss) and loss <= limit:
            grad_w, grad_b = sgdcore.gradient(data.X, data.y, params[:-1], params[-1])
            params = params - config.learning_rate * np.append(grad_w, grad_b)
            step, loss = step + 1, full_loss(data, params)
    assert 3 < step < 200
    assert (progress.status, progress.diverged_at_step, progress.step) == ("diverged", step, step)
    assert progress.message.startswith(f"diverged at step {step}: ")


# Histories


def test_histories_are_bounded_and_mean_what_they_say() -> None:
    """Batch size 1, no shuffling: replay every step here and check the recorded history against it."""
    data = synthetic(n=700, seed=3)
    epochs, learning_rate = 4, 0.01
    config = TrainConfig(learning_rate=learning_rate, batch_size=1, epochs=epochs, shuffle="none", init="zeros",
                         backend="numpy")
    progress = last(data, config)
    total = 700 * epochs
    assert progress.step == progress.total_steps == total
    assert len(progress.trajectory) <= MAX_HISTORY_POINTS + 1
    assert len(progress.minibatch_loss) <= MAX_HISTORY_POINTS
    assert len(progress.loss_steps) == len(progress.minibatch_loss)
    assert len(progress.trajectory_steps) == len(progress.trajectory)

    params, losses, visited = np.zeros(3), np.empty(total), np.empty((total + 1, 3))
    visited[0] = params
    for step in range(total):
        row = step % 700
        residual = data.X[row] @ params[:-1] + params[-1] - data.y[row]
        losses[step] = 0.5 * residual**2
        params = params - learning_rate * residual * np.append(data.X[row], 1.0)
        visited[step + 1] = params
    np.testing.assert_allclose(np.append(progress.weights, progress.bias), params, rtol=1e-12)

    bucket = progress.state.loss_bucket
    assert bucket >= total // MAX_HISTORY_POINTS
    np.testing.assert_array_equal(progress.loss_steps, bucket * np.arange(1, total // bucket + 1))
    expected_means = losses[: total // bucket * bucket].reshape(-1, bucket).mean(axis=1)
    np.testing.assert_allclose(progress.minibatch_loss, expected_means, rtol=1e-10)

    stride = progress.state.record_stride
    assert stride > 1
    assert progress.trajectory_steps[0] == 0
    np.testing.assert_array_equal(np.diff(progress.trajectory_steps), stride)
    np.testing.assert_allclose(progress.trajectory, visited[progress.trajectory_steps], rtol=1e-12, atol=1e-15)


def test_history_stays_bounded_for_a_long_run() -> None:
    data = synthetic(n=5000, seed=0)
    progress = last(data, TrainConfig(batch_size=1, epochs=4, backend="numpy"))
    assert progress.step == 20000
    assert len(progress.trajectory) <= MAX_HISTORY_POINTS + 1
    assert len(progress.minibatch_loss) <= MAX_HISTORY_POINTS
    assert len(progress.minibatch_loss) >= MAX_HISTORY_POINTS // 4  # still detailed enough to draw
    assert progress.trajectory_steps[-1] <= 20000
    assert progress.loss_steps[-1] <= 20000


@pytest.mark.parametrize("epochs", [4, 40])  # a pass over the data per epoch; the quadratic form
def test_epoch_losses_have_one_entry_per_epoch_and_match_full_loss(epochs: int) -> None:
    train_rows, test_rows = train_test_split(synthetic(n=250, seed=6), 0.2)
    direct = epochs <= quadratic_setup_passes(*train_rows.X.shape)
    assert direct == (epochs == 4)
    progress = last(train_rows, TrainConfig(batch_size=10, epochs=epochs, backend="numpy"), test=test_rows)
    params = np.append(progress.weights, progress.bias)
    assert len(progress.epoch_train_loss) == epochs + 1  # before training, then after each epoch
    assert len(progress.epoch_test_loss) == epochs + 1
    assert len(progress.epoch_seconds) == epochs + 1
    rounding = 0.0 if direct else 1e-12
    assert progress.epoch_train_loss[-1] == pytest.approx(full_loss(train_rows, params), rel=rounding, abs=0)
    assert progress.epoch_test_loss[-1] == pytest.approx(full_loss(test_rows, params), rel=rounding, abs=0)
    initial = progress.trajectory[0]
    assert progress.epoch_train_loss[0] == full_loss(train_rows, initial)
    assert progress.epoch_test_loss[0] == full_loss(test_rows, initial)
    assert np.all(np.diff(progress.epoch_seconds) >= 0)
    without_test = last(train_rows, TrainConfig(batch_size=10, epochs=epochs, backend="numpy"))
    assert without_test.epoch_test_loss is None
    np.testing.assert_array_equal(without_test.epoch_train_loss, progress.epoch_train_loss)


@pytest.mark.parametrize("noise", [0.0, 0.01, 1.0])
def test_the_quadratic_epoch_loss_equals_the_direct_sum_near_and_far_from_the_minimum(noise: float) -> None:
    data = synthetic(n=500, noise=noise, seed=2)
    loss = epoch_loss_function(data, epochs=1000)
    assert not isinstance(loss, functools.partial)  # the quadratic form, not full_loss
    exact = closed_form(data)
    optimum = np.append(exact.weights, exact.bias)
    rng = np.random.default_rng(0)
    for distance in (10.0, 1.0, 1e-2, 1e-4, 1e-6):
        params = optimum + distance * rng.standard_normal(3)
        # Noise-free data: the loss goes to zero with the distance, and stays accurate (no cancellation)
        assert loss(params) == pytest.approx(full_loss(data, params), rel=1e-8 if noise == 0.0 else 1e-12, abs=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert loss(np.array([1e300, 1e300, 0.0])) == math.inf
        assert loss(np.array([np.nan, 0.0, 0.0])) == math.inf


def test_short_runs_sum_the_loss_directly() -> None:
    data = synthetic(n=500, seed=2)
    loss = epoch_loss_function(data, epochs=3)
    assert isinstance(loss, functools.partial) and loss.func is full_loss and loss.args == (data,)
    assert quadratic_setup_passes(1_000_000, 20) < 10 < quadratic_setup_passes(100_000, 100) < 20


@pytest.mark.parametrize("epochs", [3, 40])
def test_given_quadratic_forms_are_used_instead_of_summing_them_again(
    epochs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    train_rows, test_rows = train_test_split(synthetic(n=600, noise=0.1, seed=3), 0.25, 0)
    config = TrainConfig(batch_size=50, epochs=epochs, backend="numpy")
    summed_in_the_run = last(train_rows, config, test=test_rows)
    forms = {"quadratic": sgdcore.quadratic_loss(train_rows), "test_quadratic": sgdcore.quadratic_loss(test_rows)}

    def summed_again(data: Dataset) -> None:
        raise AssertionError("train() summed a quadratic form it was given")

    monkeypatch.setattr(sys.modules["sgdcore.losses"], "quadratic_loss", summed_again)
    # A long run takes its epoch losses from the forms (a short one sums directly, as without them):
    # the same losses either way, bit for bit.
    assert (epochs > quadratic_setup_passes(*train_rows.X.shape)) == (epochs == 40)
    assert_same_run(last(train_rows, config, test=test_rows, **forms), summed_in_the_run)
    if epochs == 40:
        with pytest.raises(AssertionError, match="summed a quadratic form"):
            last(train_rows, config, test=test_rows)


def test_a_quadratic_form_of_other_data_is_refused() -> None:
    data = synthetic(n=200, seed=0)
    other = synthetic(n=200, w=(1.0, 2.0, 3.0), seed=0)
    with pytest.raises(ConfigError, match="quadratic is the loss of data with 3 features, the data has 2"):
        last(data, TrainConfig(epochs=40), quadratic=sgdcore.quadratic_loss(other))
    with pytest.raises(ConfigError, match="test_quadratic is the loss of data with 3 features"):
        last(data, TrainConfig(epochs=40), test=data, test_quadratic=sgdcore.quadratic_loss(other))


def test_full_loss_of_float32_data_is_computed_in_float64_without_converting_all_of_x() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100_000, 20)).astype(np.float32)
    y = (X @ np.ones(20) + 1.0).astype(np.float32)
    data = Dataset(X, y, tuple(f"x{i}" for i in range(20)))
    params = np.r_[np.full(20, 0.9), 0.5]
    tracemalloc.start()
    try:
        loss = full_loss(data, params)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    residual = X.astype(np.float64) @ params[:-1] + params[-1] - y.astype(np.float64)
    assert loss == pytest.approx(0.5 * np.mean(residual**2), rel=1e-12, abs=0)
    assert peak < X.nbytes / 2  # a float64 copy of X would be twice its size


def test_full_loss_is_half_the_mean_squared_error_and_inf_on_overflow() -> None:
    data = synthetic(n=30, seed=0)
    params = np.array([1.0, 2.0, 3.0])
    residual = data.X @ params[:-1] + params[-1] - data.y
    assert full_loss(data, params) == pytest.approx(0.5 * np.mean(residual**2), rel=1e-14, abs=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert full_loss(data, np.array([1e300, 1e300, 0.0])) == np.inf


# Progress


@pytest.mark.parametrize(("value", "message"), [
    (np.nan, r"The data holds 1 missing or infinite value\(s\)"),
    (1e160, r"Values up to 1e\+160 are too large for the squared loss"),
])
def test_data_no_loss_can_square_is_a_data_error_not_a_divergence(value: float, message: str) -> None:
    # Data no loss can square is the data's fault, whatever the learning rate: the message says so, not "diverged".
    data = synthetic(n=40)
    data.X[3, 1] = value
    with pytest.raises(DataError, match=message):
        list(train(data, TrainConfig()))


def test_epoch_ends_yield_no_more_often_than_report_every() -> None:
    # 2,000 epochs of one step each: a snapshot after each one copied the growing per-epoch histories,
    # and a long run's cost grew with the square of its epochs.
    data = synthetic(n=100, seed=0)
    config = TrainConfig(batch_size=100, epochs=2000, learning_rate=0.1)
    snapshots = list(train(data, config, report_every=60.0))
    assert [progress.status for progress in snapshots] == ["finished"]
    final = snapshots[0]
    assert final.step == 2000 and final.epoch == 2000
    assert final.epoch_train_loss.shape == (2001,)  # every epoch's loss is still kept
    assert final.epoch_seconds.shape == (2001,)
    every_epoch = list(train(data, replace(config, epochs=5), report_every=0.0))
    assert [progress.epoch for progress in every_epoch] == [1, 2, 3, 4, 5]


def test_progress_fields_through_a_run() -> None:
    data = synthetic(n=1000, seed=0)
    config = TrainConfig(batch_size=3, epochs=2, backend="numpy")
    snapshots = list(train(data, config, report_every=0.001))
    assert len(snapshots) > 2
    final = snapshots[-1]
    assert final.steps_per_epoch == 334
    assert final.total_steps == 668
    assert final.step == 668
    assert final.fraction_done == 1.0
    assert final.steps_per_second == pytest.approx(final.step / final.elapsed_seconds)
    assert final.steps_per_second > 0
    assert final.backend == "numpy"
    assert final.notices == ()
    steps = [progress.step for progress in snapshots]
    assert steps == sorted(steps)
    for progress in snapshots[:-1]:
        assert progress.status == "running"
        assert not progress.done
        assert progress.fraction_done == pytest.approx(progress.step / 668)
        assert 0 < progress.fraction_done < 1 or progress.step == 668
        assert progress.message.startswith(f"epoch {min(progress.epoch + 1, 2)} of 2")
    assert [p.elapsed_seconds for p in snapshots] == sorted(p.elapsed_seconds for p in snapshots)


def test_the_total_after_a_new_batch_size_counts_the_steps_taken_and_the_epochs_left_at_the_new_size() -> None:
    # The Train page's default data (800 training rows): an epoch at batch size 10 (80 steps), then Train with batch
    # size 20 and weight decay: 80 + 2 × 40 = 160 steps, not 3 × 40 = 120 as if every epoch had been of 20.
    data = synthetic(n=800, seed=0)
    config = TrainConfig(batch_size=10, epochs=3, backend="numpy")
    first = last(data, config, until_epoch=1)
    assert (first.step, first.total_steps) == (80, 240)
    bigger = replace(config, batch_size=20, weight_decay=0.05)
    snapshots = list(train(data, bigger, state=first.state, report_every=0.0))
    assert [progress.total_steps for progress in snapshots] == [160] * len(snapshots)
    assert (snapshots[-1].status, snapshots[-1].step, snapshots[-1].fraction_done) == ("finished", 160, 1.0)
    for progress in snapshots[:-1]:
        assert progress.fraction_done == pytest.approx(progress.step / 160) and progress.fraction_done < 1


def test_the_total_after_a_new_batch_size_mid_epoch_counts_the_epoch_under_way_at_the_size_it_began_with() -> None:
    # Three minibatches of 10, then batch size 20: the rest of epoch 1 in minibatches of 10 (its snapshots say 80
    # steps in the epoch), then two epochs of 40: 160 steps in all, from the first snapshot on.
    data = synthetic(n=800, seed=0)
    config = TrainConfig(batch_size=10, epochs=3, backend="numpy")
    paused = last(data, config, until_step=3)
    assert (paused.status, paused.step, paused.total_steps) == ("stopped", 3, 240)
    bigger = replace(config, batch_size=20)
    snapshots = list(train(data, bigger, state=paused.state, report_every=0.0))
    assert any(progress.steps_per_epoch == 80 for progress in snapshots)  # the epoch under way, in tens
    assert [progress.total_steps for progress in snapshots] == [160] * len(snapshots)
    assert (snapshots[-1].step, snapshots[-1].fraction_done) == (160, 1.0)
    assert all(progress.fraction_done == pytest.approx(progress.step / 160) for progress in snapshots)
    # Paused a step into the next epoch, of 40 minibatches: still 160 in all.
    next_epoch = last(data, bigger, state=paused.state, until_step=81)
    assert (next_epoch.epoch, next_epoch.batch_in_epoch, next_epoch.steps_per_epoch) == (1, 1, 40)
    assert next_epoch.total_steps == 160


def test_planned_steps_count_each_epoch_at_the_batch_size_it_runs_in() -> None:
    from sgdcore.history import planned_steps

    # step, epoch, batch_in_epoch, epochs, steps in the epoch under way, in each later one
    assert planned_steps(0, 0, 0, 3, 80) == 240
    assert planned_steps(80, 1, 0, 3, 40) == 160  # an epoch of 80 done, two of 40 to go
    assert planned_steps(3, 0, 3, 3, 80, 40) == 160  # inside an epoch of 80, two of 40 after it
    assert planned_steps(13, 1, 3, 1, 10) == 20  # inside an epoch past the last: it ends with that epoch
    assert planned_steps(20, 2, 0, 1, 10) == 20


def test_drop_last_skips_the_partial_batch() -> None:
    data = synthetic(n=105, seed=0)
    progress = last(data, TrainConfig(batch_size=10, epochs=3, drop_last=True, backend="numpy"))
    assert progress.steps_per_epoch == 10
    assert progress.step == 30
    keep = last(data, TrainConfig(batch_size=10, epochs=3, backend="numpy"))
    assert keep.steps_per_epoch == 11
    assert keep.step == 33


def blocks_visited(order: np.ndarray, n_rows: int, block_size: int) -> list[int]:
    """The blocks in the order ``order`` visits them, checking each is one contiguous run of its rows."""
    np.testing.assert_array_equal(np.sort(order), np.arange(n_rows))
    pieces, position = [], 0
    while position < n_rows:
        block = int(order[position]) // block_size
        rows = range(block * block_size, min(block * block_size + block_size, n_rows))
        assert set(order[position:position + len(rows)].tolist()) == set(rows)
        pieces.append(block)
        position += len(rows)
    assert sorted(pieces) == list(range(-(-n_rows // block_size)))
    return pieces


def test_epoch_orders() -> None:
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(epoch_order(10, rng, "none", block_size=4), np.arange(10))
    order = epoch_order(10, rng, "epoch", block_size=4)
    np.testing.assert_array_equal(np.sort(order), np.arange(10))
    # Blocks [0-3], [4-7], [8-9] each appear contiguously, in some order.
    blocks_visited(epoch_order(10, rng, "blocks", block_size=4), 10, 4)


def test_the_epoch_shuffle_is_uniform_over_all_orders() -> None:
    rng = np.random.default_rng(3)
    draws = 24_000
    counts = collections.Counter(tuple(epoch_order(4, rng, "epoch", block_size=4).tolist()) for _ in range(draws))
    assert len(counts) == 24  # every order of four rows turns up…
    chi_square = sum((count - draws / 24) ** 2 / (draws / 24) for count in counts.values())
    assert chi_square < 49.7  # …about equally often (99.9th percentile of χ² with 23 degrees of freedom)


@pytest.mark.parametrize("backend_name", ["numpy", "numba"])
def test_blocks_visit_every_block_once_in_any_order(backend_name: str) -> None:
    backend, _ = select_kernel(backend_name)
    rng = np.random.default_rng(1)
    short_block_positions, first_rows = set(), set()
    for _ in range(200):
        pieces = blocks_visited(epoch_order(23, rng, "blocks", block_size=4, backend=backend), 23, 4)
        short_block_positions.add(pieces.index(5))
        first_rows.add(int(epoch_order(8, rng, "blocks", block_size=4, backend=backend)[0]))
    assert short_block_positions == set(range(6))  # the short last block comes at every turn
    assert first_rows == set(range(8))  # any row can come first: the rows of a block are shuffled


@pytest.mark.parametrize("backend_name", ["numpy", "numba"])
def test_the_rows_of_a_block_come_in_a_uniformly_random_order(backend_name: str) -> None:
    backend, _ = select_kernel(backend_name)
    rng = np.random.default_rng(4)
    draws = 24_000
    # One block of four rows: the blocks order is then the inside-out shuffle of that block alone.
    counts = collections.Counter(tuple(epoch_order(4, rng, "blocks", block_size=4, backend=backend).tolist())
                                 for _ in range(draws))
    assert len(counts) == 24
    chi_square = sum((count - draws / 24) ** 2 / (draws / 24) for count in counts.values())
    assert chi_square < 49.7  # 99.9th percentile of χ² with 23 degrees of freedom


def test_blocks_shuffle_trains_too() -> None:
    data = synthetic(n=1000, seed=0)
    progress = last(data, TrainConfig(batch_size=10, epochs=3, shuffle="blocks", block_size=100, backend="numpy"))
    np.testing.assert_allclose(progress.weights, closed_form(data).weights, atol=2e-3)


def test_data_notices_reach_the_progress() -> None:
    data = synthetic(n=50)
    noted = Dataset(data.X, data.y, data.feature_names, notices=("3 rows with missing values were dropped",))
    progress = last(noted, TrainConfig(epochs=1, backend="numpy"))
    assert progress.notices == ("3 rows with missing values were dropped",)


def test_backend_falls_back_to_numpy_with_a_notice(monkeypatch: pytest.MonkeyPatch) -> None:
    # Make `from sgdcore import _compiled` fail, whether or not the module exists.
    monkeypatch.setitem(sys.modules, "sgdcore._compiled", None)
    monkeypatch.delattr(sgdcore, "_compiled", raising=False)
    data = synthetic(n=50)
    progress = last(data, TrainConfig(epochs=1, backend="auto"))
    assert progress.backend == "numpy"
    assert len(progress.notices) == 1
    assert progress.notices[0].startswith("The compiled kernel is unavailable (")
    assert progress.notices[0].endswith("training runs on the slower NumPy path.")
    with pytest.raises(ConfigError, match=r"backend='numba' was asked for but Numba is unavailable: "):
        last(data, TrainConfig(epochs=1, backend="numba"))



def test_usable_cores_count_the_limits_a_container_sets_as_joblib_does() -> None:
    usable_cores.cache_clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOKY_MAX_CPU_COUNT", "1")  # joblib's own limit, read with the affinity and cgroup quota
        try:
            assert usable_cores() == 1
        finally:
            usable_cores.cache_clear()
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert usable_cores() == joblib.cpu_count() <= affinity


# Validation


def test_batch_size_larger_than_the_data_is_an_error() -> None:
    data = synthetic(n=10)
    with pytest.raises(ConfigError, match=r"batch_size 11 is larger than the 10 training rows; use at most 10 "
                                          r"\(that is full-batch gradient descent\)\."):
        last(data, TrainConfig(batch_size=11, backend="numpy"))
    assert last(data, TrainConfig(batch_size=10, epochs=2, backend="numpy")).step == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"learning_rate": 0.0}, r"learning_rate must be a finite number > 0; got 0\.0\. Try 0\.03"),
        ({"learning_rate": -0.1}, r"learning_rate must be a finite number > 0; got -0\.1\."),
        ({"learning_rate": float("nan")}, r"learning_rate must be a finite number > 0; got nan\."),
        ({"learning_rate": float("inf")}, r"learning_rate must be a finite number > 0; got inf\."),
        ({"learning_rate": "0.1"}, r"learning_rate must be a finite number > 0; got '0\.1'\."),
        ({"batch_size": 0}, r"batch_size must be an integer ≥ 1; got 0\."),
        ({"batch_size": -5}, r"batch_size must be an integer ≥ 1; got -5\."),
        ({"batch_size": 2.5}, r"batch_size must be an integer ≥ 1; got 2\.5\."),
        ({"batch_size": True}, r"batch_size must be an integer ≥ 1; got True\."),
        ({"epochs": 0}, r"epochs must be an integer ≥ 1; got 0\."),
        ({"epochs": -1}, r"epochs must be an integer ≥ 1; got -1\."),
        ({"momentum": 1.0}, r"momentum must be in \[0, 1\); got 1\.0\."),
        ({"momentum": -0.1}, r"momentum must be in \[0, 1\); got -0\.1\."),
        ({"momentum": float("nan")}, r"momentum must be in \[0, 1\); got nan\."),
        ({"dampening": 1.5, "momentum": 0.5}, r"dampening must be in \[0, 1\]; got 1\.5\."),
        ({"nesterov": True}, r"Nesterov momentum requires momentum > 0 and dampening = 0 \(as in torch\.optim\.SGD\); "
                             r"got momentum=0\.0, dampening=0\.0\."),
        ({"nesterov": True, "momentum": 0.9, "dampening": 0.1},
         r"Nesterov momentum requires momentum > 0 and dampening = 0.*got momentum=0\.9, dampening=0\.1\."),
        ({"weight_decay": -0.01}, r"weight_decay must be a finite number ≥ 0; got -0\.01\."),
        ({"weight_decay": float("inf")}, r"weight_decay must be a finite number ≥ 0; got inf\."),
        ({"l1_penalty": -1.0}, r"l1_penalty must be a finite number ≥ 0; got -1\.0\."),
        ({"schedule": "cosine"}, r"schedule must be a sgdcore\.Schedule; got str\."),
        ({"init": "ones"}, r"init must be 'normal' or 'zeros'; got 'ones'\."),
        ({"init_scale": -1.0}, r"init_scale must be a finite number ≥ 0; got -1\.0\."),
        ({"init_scale": math.inf}, r"init_scale must be a finite number ≥ 0; got inf\."),
        ({"shuffle": "random"}, r"shuffle must be one of epoch, blocks, none, replacement; got 'random'\."),
        ({"block_size": 0}, r"block_size must be an integer ≥ 1; got 0\."),
        ({"tol": -1e-3}, r"tol must be None \(run every epoch\) or a number ≥ 0; got -0\.001\."),
        ({"n_iter_no_change": 0}, r"n_iter_no_change must be an integer ≥ 1; got 0\."),
        ({"seed": 1.5}, r"seed must be an integer ≥ 0; got 1\.5\."),
        ({"seed": -1}, r"seed must be an integer ≥ 0; got -1\."),  # NumPy's generator would refuse it
        ({"divergence_factor": 1.0}, r"divergence_factor must be > 1; got 1\.0\."),
        ({"backend": "cuda"}, r"backend must be one of auto, numba, numpy; got 'cuda'\."),
        ({"n_threads": 0}, r"n_threads must be an integer ≥ 1 or .auto.; got 0\. 1 is right for small minibatches"),
        ({"n_threads": 2.0}, r"n_threads must be an integer ≥ 1 or .auto.; got 2\.0\."),
    ],
)
def test_invalid_settings_raise_config_error(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        TrainConfig(**kwargs)
    assert caught.value.problem  # what the message says, as data for a page to word (tests/test_errors_i18n.py)


def test_config_errors_are_value_errors_for_callers_that_catch_those() -> None:
    with pytest.raises(ValueError, match="learning_rate"):
        TrainConfig(learning_rate=0)
    assert issubclass(ConfigError, sgdcore.SGDCoreError)
    assert issubclass(sgdcore.DataError, sgdcore.SGDCoreError)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_full_batch_gradient_descent_reads_the_rows_in_memory_order_whatever_the_shuffle(backend: str) -> None:
    data = synthetic(n=300, seed=2)
    # Drawn with replacement, one batch of n rows is not every row: tests/test_lesson_sampling.py.
    runs = [last(data, TrainConfig(learning_rate=0.1, batch_size=300, epochs=4, shuffle=shuffle, seed=5,
                                   backend=backend)) for shuffle in SHUFFLES if shuffle != "replacement"]
    for run in runs[1:]:  # the same sums in the same order: the same run, to the last bit
        np.testing.assert_array_equal(run.trajectory, runs[0].trajectory)
        assert run.epoch_train_loss.tolist() == runs[0].epoch_train_loss.tolist()
    # Plain gradient descent on every row: θ ← θ − η·Xᵀ(Xθ − y)/n, with X holding a column of ones.
    X = np.column_stack((data.X, np.ones(data.n_rows)))
    theta = runs[0].trajectory[0].copy()
    for _ in range(4):
        theta -= 0.1 * X.T @ (X @ theta - data.y) / data.n_rows
    np.testing.assert_allclose(runs[0].trajectory[-1], theta, rtol=1e-12)


def test_one_minibatch_that_leaves_rows_out_still_draws_them_at_random() -> None:
    data = synthetic(n=10, seed=0)
    # batch_size 6 with drop_last: each epoch is one step over 6 of the 10 rows, a new draw every epoch.
    shuffled, in_order = (last(data, TrainConfig(learning_rate=0.01, batch_size=6, drop_last=True, epochs=30,
                                                 shuffle=shuffle, backend="numpy")) for shuffle in ("epoch", "none"))
    assert shuffled.steps_per_epoch == in_order.steps_per_epoch == 1
    assert not np.array_equal(shuffled.trajectory, in_order.trajectory)

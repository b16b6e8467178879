"""One minibatch at a time: ``train(..., until_step=k)`` and :func:`sgdcore.next_step`, against runs in one go and
gradients computed here in plain NumPy."""

from __future__ import annotations

import math
from dataclasses import fields, replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sgdcore
from sgdcore import ConfigError, Schedule, TrainConfig, next_step, train
from sgdcore.next_step import angle_degrees

SETTINGS = settings(max_examples=25, deadline=None, database=None)
TIMED = {"elapsed_seconds", "epoch_seconds"}  # wall time: the only part of a state that depends on how it ran


def data_of(n_rows: int = 53, n_features: int = 3, seed: int = 1) -> sgdcore.Dataset:
    weights = np.linspace(2.0, -3.4, n_features)
    return sgdcore.synthetic(n=n_rows, w=weights, b=4.2, noise=0.1, seed=seed)


def assert_same_state(a: sgdcore.TrainState, b: sgdcore.TrainState) -> None:
    """Every field equal bit for bit, but the wall times."""
    for field in fields(a):
        if field.name in TIMED:
            continue
        left, right = getattr(a, field.name), getattr(b, field.name)
        if isinstance(left, np.ndarray) or isinstance(right, np.ndarray):
            assert left is not None and right is not None, field.name
            assert left.dtype == right.dtype and np.array_equal(left, right, equal_nan=True), field.name
        else:
            assert left == right or (left != left and right != right), field.name  # nan == nan here


def one_at_a_time(data: sgdcore.Dataset, config: TrainConfig, k: int) -> tuple[list[sgdcore.Progress], list]:
    """``k`` calls of one step each, and the :func:`next_step` seen before each."""
    progress, seen = None, []
    for step in range(1, k + 1):
        if progress is not None:
            seen.append(next_step(data, config, progress.state))
        *_, progress = train(data, config, state=None if progress is None else progress.state, until_step=step)
    return progress, seen


@pytest.mark.parametrize("backend", ["numpy", "auto"])
@pytest.mark.parametrize("shuffle", ["epoch", "blocks", "replacement", "none"])
def test_single_steps_equal_one_run(backend: str, shuffle: str) -> None:
    data = data_of()
    config = TrainConfig(batch_size=8, epochs=3, momentum=0.6, weight_decay=0.01, shuffle=shuffle, block_size=5,
                         backend=backend, schedule=Schedule("cosine"))
    k = 2 * config.steps_per_epoch(data.n_rows) + 3  # inside the third epoch, past two epochs' ends
    stepped, _ = one_at_a_time(data, config, k)
    *_, in_one_go = train(data, config, until_step=k)
    assert stepped.step == in_one_go.step == k and stepped.batch_in_epoch == 3 and stepped.status == "stopped"
    assert_same_state(stepped.state, in_one_go.state)
    # ...and the rest of the run, resumed from the single steps, is the run that never paused.
    *_, rest = train(data, config, state=stepped.state)
    *_, whole = train(data, config)
    assert rest.status == whole.status == "finished"
    assert_same_state(rest.state, whole.state)


@SETTINGS
@given(
    n_rows=st.integers(5, 40),
    batch_size=st.integers(1, 12),
    k=st.integers(0, 30),
    shuffle=st.sampled_from(["epoch", "blocks", "replacement", "none"]),
    drop_last=st.booleans(),
    momentum=st.sampled_from([0.0, 0.9]),
    backend=st.sampled_from(["numpy", "auto"]),
    seed=st.integers(0, 2**16),
)
def test_k_single_steps_equal_k_steps_in_one_run(
    n_rows: int, batch_size: int, k: int, shuffle: str, drop_last: bool, momentum: float, backend: str, seed: int,
) -> None:
    batch_size = min(batch_size, n_rows)
    data = data_of(n_rows, 2, seed)
    config = TrainConfig(batch_size=batch_size, epochs=4, momentum=momentum, nesterov=momentum > 0, seed=seed,
                         shuffle=shuffle, block_size=3, drop_last=drop_last, backend=backend)
    k = min(k, config.steps_per_epoch(n_rows) * config.epochs)
    *_, in_one_go = train(data, config, until_step=k)
    if k == 0:
        *_, stepped = train(data, config, until_epoch=0)
    else:
        stepped, seen = one_at_a_time(data, config, k)
        # Each step's rows, as next_step saw them before it: together, the epochs' orders the run drew.
        assert all(view.step == step for step, view in enumerate(seen, start=1))
    assert stepped.step == in_one_go.step == k
    assert_same_state(stepped.state, in_one_go.state)


def test_the_highlighted_rows_are_the_rows_the_next_step_uses() -> None:
    """The next step's minibatch, retaken by hand from the rows next_step gives, moves the parameters exactly as
    train's step does; on the NumPy path the arithmetic is the same, to the bit."""
    data = data_of(41, 2)
    config = TrainConfig(batch_size=6, epochs=2, learning_rate=0.05, momentum=0.5, backend="numpy")
    steps_per_epoch = config.steps_per_epoch(data.n_rows)
    progress = None
    for step in range(1, 2 * steps_per_epoch + 1):
        state = progress.state if progress is not None else next(iter(train(data, config, until_epoch=0))).state
        view = next_step(data, config, state)
        assert (view.step, view.epoch, view.batch_in_epoch) == (state.step, state.epoch, state.batch_in_epoch)
        last = view.batch_in_epoch == steps_per_epoch - 1
        assert len(view.rows) == (data.n_rows - (steps_per_epoch - 1) * 6 if last else 6)
        X, y = data.X[view.rows], data.y[view.rows]
        residual = X @ state.params[:-1] + state.params[-1] - y
        grad = np.append(X.T @ residual / len(view.rows), residual.mean())
        expected, _ = sgdcore.sgd_step(state.params, grad, state.velocity, step=state.step,
                                       learning_rate=config.learning_rate, momentum=0.5)
        *_, progress = train(data, config, state=state, until_step=step)
        assert progress.step == step
        assert np.array_equal(progress.state.params, expected)


def test_after_a_new_batch_size_mid_epoch_the_next_step_is_a_minibatch_of_the_size_the_epoch_began_with() -> None:
    data = data_of(41, 2)
    config = TrainConfig(batch_size=6, epochs=2, learning_rate=0.05, backend="numpy")
    *_, progress = train(data, config, until_step=2)
    bigger = replace(config, batch_size=10)
    for step in range(3, 11):  # the rest of the first epoch (7 minibatches of 6, the last of 5), into the second
        view = next_step(data, bigger, progress.state)
        in_epoch_one = progress.epoch == 0
        assert view.steps_per_epoch == (7 if in_epoch_one else 5)
        assert len(view.rows) == (6 if in_epoch_one and view.batch_in_epoch < 6 else 5 if in_epoch_one else 10)
        state = progress.state
        X, y = data.X[view.rows], data.y[view.rows]
        residual = X @ state.params[:-1] + state.params[-1] - y
        grad = np.append(X.T @ residual / len(view.rows), residual.mean())
        expected, _ = sgdcore.sgd_step(state.params, grad, state.velocity, step=state.step, learning_rate=0.05)
        *_, progress = train(data, bigger, state=state, until_step=step)
        assert progress.step == step
        assert np.array_equal(progress.state.params, expected)
    assert (progress.epoch, progress.batch_in_epoch) == (1, 3)


def test_an_epochs_rows_are_a_permutation_cut_in_minibatches() -> None:
    data = data_of(30, 1)
    config = TrainConfig(batch_size=7, epochs=1, backend="numpy")
    progress = next(iter(train(data, config, until_epoch=0)))
    rows = []
    for step in range(1, config.steps_per_epoch(30) + 1):
        rows.append(next_step(data, config, progress.state).rows)
        *_, progress = train(data, config, state=progress.state, until_step=step)
    assert [len(r) for r in rows] == [7, 7, 7, 7, 2]
    assert sorted(np.concatenate(rows).tolist()) == list(range(30))
    assert not np.array_equal(np.concatenate(rows), np.arange(30))  # shuffled


def test_the_gradients_and_their_angle_are_numpys() -> None:
    data = data_of(64, 3)
    config = TrainConfig(batch_size=5, epochs=2, weight_decay=0.1, backend="numpy")
    *_, progress = train(data, config, until_step=7)
    view = next_step(data, config, progress.state)
    w, b = progress.state.params[:-1], progress.state.params[-1]
    A = np.hstack((data.X, np.ones((data.n_rows, 1))))
    theta = np.append(w, b)
    full = A.T @ (A @ theta - data.y) / data.n_rows
    A_B, y_B = A[view.rows], data.y[view.rows]
    minibatch = A_B.T @ (A_B @ theta - y_B) / len(view.rows)
    np.testing.assert_allclose(view.full_gradient, full, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(view.minibatch_gradient, minibatch, rtol=1e-12, atol=1e-12)
    cosine = minibatch @ full / (np.linalg.norm(minibatch) * np.linalg.norm(full))
    assert view.angle_degrees == pytest.approx(math.degrees(math.acos(cosine)), abs=1e-9)
    assert 0 < view.angle_degrees < 180


def test_angle_degrees() -> None:
    assert angle_degrees([1.0, 0.0], [0.0, 2.0]) == pytest.approx(90.0)
    assert angle_degrees([1.0, 1.0], [3.0, 3.0]) == pytest.approx(0.0, abs=1e-12)
    assert angle_degrees([1.0, 0.0], [-1.0, 0.0]) == pytest.approx(180.0)
    assert angle_degrees([1.0, 0.0], [1.0, 1.0]) == pytest.approx(45.0)
    assert angle_degrees([1e-8, 0.0], [1.0, 1e-12]) == pytest.approx(math.degrees(1e-12), rel=1e-6)  # near 0°
    assert math.isnan(angle_degrees([0.0, 0.0], [1.0, 0.0]))
    assert math.isnan(angle_degrees([np.inf, 0.0], [1.0, 0.0]))


def test_until_step_pauses_inside_an_epoch_and_says_where() -> None:
    data = data_of(50, 2)
    config = TrainConfig(batch_size=10, epochs=2, backend="numpy")
    *_, progress = train(data, config, until_step=3)
    assert (progress.status, progress.step, progress.epoch, progress.batch_in_epoch) == ("stopped", 3, 0, 3)
    assert "paused at step 3" in progress.message and "minibatch 3 of 5" in progress.message
    *_, at_end = train(data, config, state=progress.state, until_step=5)  # the epoch's last step: its end too
    assert (at_end.status, at_end.epoch, at_end.batch_in_epoch, len(at_end.epoch_train_loss)) == ("stopped", 1, 0, 2)
    *_, finished = train(data, config, state=at_end.state, until_step=10)
    assert finished.status == "finished" and finished.step == 10
    *_, still = train(data, config, state=progress.state, until_step=2)  # behind the run: it stays where it is
    assert still.status == "stopped" and still.step == 3
    assert_same_state(still.state, progress.state)


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_until_step_is_validated(bad: object) -> None:
    with pytest.raises(ConfigError, match="until_step must be None or an integer ≥ 0"):
        list(train(data_of(), TrainConfig(backend="numpy"), until_step=bad))


def test_next_step_checks_the_state_fits_the_data() -> None:
    config = TrainConfig(batch_size=5, backend="numpy")
    *_, progress = train(data_of(30, 2), config, until_step=1)
    with pytest.raises(ConfigError, match="Cannot resume"):
        next_step(data_of(30, 3), config, progress.state)

"""Changing a run's settings part-way (sgdcore.changes): a run continued with the same settings is the run trained
in one go, bit for bit; with a new learning rate it is the lesson's loop switching rate at that step; every change
is recorded where it took effect."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sgdcore import ConfigError, Schedule, TrainConfig, synthetic, train
from sgdcore.changes import check_continuable, describe_changes, describe_schedule, fixed_changes

PROPERTY = settings(max_examples=20, deadline=None, database=None)


def stopped_at(data, config: TrainConfig, snapshot: int):
    """The run of ``config`` stopped by the user at its ``snapshot``-th snapshot (or its last), as the page stops it.

    ``report_every=0`` makes every chunk after the first one step long, so the snapshots fall at many steps.
    """
    runs = train(data, config, report_every=0)
    progress = next(runs)
    for _ in range(snapshot):
        progress = next(runs, progress)
    runs.close()
    return progress.stopped() if progress.status == "running" else progress


def last(snapshots):
    *_, progress = snapshots
    return progress


def assert_same_run(a, b) -> None:
    for name in ("weights", "loss_steps", "minibatch_loss", "trajectory_steps", "trajectory", "epoch_train_loss",
                 "epoch_test_loss", "epoch_steps"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert (a.bias, a.step, a.epoch, a.status) == (b.bias, b.step, b.epoch, b.status)
    assert np.array_equal(a.state.velocity, b.state.velocity)


@PROPERTY
@given(n=st.integers(20, 120), batch_size=st.integers(1, 20), epochs=st.integers(1, 3),
       momentum=st.sampled_from([0.0, 0.9]), shuffle=st.sampled_from(["epoch", "none", "replacement"]),
       snapshot=st.integers(0, 40), backend=st.sampled_from(["numpy", "auto"]))
def test_continuing_with_the_same_settings_is_the_run_in_one_go(n, batch_size, epochs, momentum, shuffle, snapshot,
                                                                 backend) -> None:
    data = synthetic(n=n, seed=n)
    config = TrainConfig(batch_size=batch_size, epochs=epochs, momentum=momentum, shuffle=shuffle, backend=backend)
    paused = stopped_at(data, config, snapshot)
    continued = last(train(data, config, state=paused.state))
    assert_same_run(continued, last(train(data, config)))
    assert continued.changes == ()


def lesson_loop(data, batch_size: int, epochs: int, rates: tuple[float, float], switch: int, momentum: float):
    """D2L's loop over rows in order from w = 0, b = 0, with momentum as torch.optim.SGD, at ``rates[0]`` for the
    first ``switch`` steps and ``rates[1]`` after."""
    X, y = data.X, data.y
    params, velocity = np.zeros(X.shape[1] + 1), np.zeros(X.shape[1] + 1)
    step = 0
    for _ in range(epochs):
        for start in range(0, len(y), batch_size):
            X_batch, y_batch = X[start:start + batch_size], y[start:start + batch_size]
            residual = X_batch @ params[:-1] + params[-1] - y_batch
            grad = np.append(X_batch.T @ residual / len(y_batch), residual.mean())
            if momentum:
                velocity = grad.copy() if step == 0 else momentum * velocity + grad
                grad = velocity
            params = params - (rates[0] if step < switch else rates[1]) * grad
            step += 1
    return params


@PROPERTY
@given(n=st.integers(20, 120), batch_size=st.integers(1, 20), snapshot=st.integers(0, 40),
       new_rate=st.sampled_from([0.003, 0.1, 0.2]), momentum=st.sampled_from([0.0, 0.5]))
def test_continuing_with_another_learning_rate_is_the_loop_switching_rate_at_that_step(
        n, batch_size, snapshot, new_rate, momentum) -> None:
    data = synthetic(n=n, seed=n)
    config = TrainConfig(batch_size=batch_size, epochs=3, momentum=momentum, shuffle="none", init="zeros",
                         backend="numpy")
    paused = stopped_at(data, config, snapshot)
    continued = last(train(data, replace(config, learning_rate=new_rate), state=paused.state))
    expected = lesson_loop(data, batch_size, 3, (0.03, new_rate), paused.step, momentum)
    np.testing.assert_allclose(np.append(continued.weights, continued.bias), expected, rtol=1e-12, atol=1e-14)
    assert continued.step == 3 * config.steps_per_epoch(n)
    if paused.step < continued.step:
        assert continued.changes == ((paused.step, f"learning rate 0.03 → {new_rate:g}"),)


def test_the_history_continues_across_a_change() -> None:
    data = synthetic(n=1000, seed=1)
    config = TrainConfig(batch_size=10, epochs=2, backend="numpy")
    paused = stopped_at(data, config, 0)
    assert (paused.step, paused.epoch) == (64, 0)
    continued = last(train(data, replace(config, learning_rate=0.06), state=paused.state))
    assert continued.step == 200 and list(continued.epoch_steps) == [0, 100, 200]
    # The minibatch losses of the first 64 steps are those of the run before the change.
    kept = paused.loss_steps <= 64
    assert np.array_equal(continued.loss_steps[: kept.sum()], paused.loss_steps[kept])
    assert np.array_equal(continued.trajectory[:65], paused.trajectory[:65])
    assert continued.learning_rate == 0.06


def test_a_new_batch_size_waits_for_the_next_epoch() -> None:
    data = synthetic(n=1000, seed=2)
    config = TrainConfig(batch_size=10, epochs=3, backend="numpy")
    paused = stopped_at(data, config, 0)
    assert paused.batch_in_epoch == 64
    bigger = replace(config, batch_size=25, learning_rate=0.05)
    continued = last(train(data, bigger, state=paused.state))
    # The rest of epoch 1 in minibatches of 10 (at the new rate), then epochs of 40 minibatches of 25.
    assert list(continued.epoch_steps) == [0, 100, 140, 180] and continued.steps_per_epoch == 40
    assert continued.changes == ((64, "learning rate 0.03 → 0.05"), (100, "batch size 10 → 25"))
    # The configs in force, each from its first (0-based) step: the last one is the run's.
    assert [(start, used.learning_rate, used.batch_size) for start, used in continued.state.configs] == [
        (0, 0.03, 10), (64, 0.05, 10), (100, 0.05, 25)]
    assert continued.state.config.batch_size == 25
    # The same as finishing the epoch at the old batch size, then going on with the new one at its end.
    epoch_end = last(train(data, replace(bigger, batch_size=10), state=paused.state, until_epoch=1))
    assert_same_run(continued, last(train(data, bigger, state=epoch_end.state)))


def test_a_step_by_one_minibatch_after_a_new_batch_size_mid_epoch_takes_one_step_of_the_old_size() -> None:
    # The Train page's Step by one minibatch (until_step = step + 1) after the batch size changed inside an epoch:
    # one minibatch of the size the epoch began with, not the rest of the epoch.
    data = synthetic(n=800, seed=2)
    config = TrainConfig(batch_size=10, epochs=3, backend="numpy")
    paused = last(train(data, config, until_step=3))
    bigger = replace(config, batch_size=20, weight_decay=0.05)
    stepped = last(train(data, bigger, state=paused.state, until_step=4))
    assert (stepped.status, stepped.step, stepped.epoch, stepped.batch_in_epoch) == ("stopped", 4, 0, 4)
    assert stepped.steps_per_epoch == 80 and stepped.total_steps == 80 + 2 * 40
    assert stepped.message.startswith("paused at step 4, minibatch 4 of 80 in epoch 1 of 3")
    # until_epoch at the epoch under way: it stays where it is, as with an unchanged batch size.
    assert last(train(data, bigger, state=paused.state, until_epoch=0)).step == 3
    # Stepping on, one minibatch at a time across the epoch's end, is the run continued in one go, bit for bit.
    progress = stepped
    while progress.step < 85:
        progress = last(train(data, bigger, state=progress.state, until_step=progress.step + 1))
    assert (progress.epoch, progress.batch_in_epoch, progress.steps_per_epoch) == (1, 5, 40)
    stepwise, in_one_go = last(train(data, bigger, state=progress.state)), last(train(data, bigger, state=paused.state))
    assert_same_run(stepwise, in_one_go)
    assert stepwise.changes == in_one_go.changes == ((3, "weight decay 0 → 0.05"), (80, "batch size 10 → 20"))


def test_a_new_batch_size_at_an_epoch_end_starts_there_and_step_pauses_after_it() -> None:
    data = synthetic(n=100, seed=3)
    config = TrainConfig(batch_size=10, epochs=3, backend="numpy")
    first = last(train(data, config, until_epoch=1))
    second = last(train(data, replace(config, batch_size=20), state=first.state, until_epoch=2))
    assert (second.status, second.step, second.epoch) == ("stopped", 15, 2)
    assert second.changes == ((10, "batch size 10 → 20"),)


def test_a_change_of_momentum_keeps_the_velocity() -> None:
    data = synthetic(n=100, seed=4)
    config = TrainConfig(batch_size=10, epochs=2, momentum=0.9, backend="numpy")
    first = last(train(data, config, until_epoch=1))
    assert np.any(first.state.velocity != 0)
    changed = replace(config, momentum=0.5)
    continued = last(train(data, changed, state=first.state))
    assert continued.changes == ((10, "momentum 0.9 → 0.5"),)
    # Restarting the velocity would give another run.
    fresh_velocity = replace(first.state, velocity=np.zeros_like(first.state.velocity))
    assert not np.array_equal(continued.weights, last(train(data, changed, state=fresh_velocity)).weights)


def test_a_new_schedule_is_read_at_the_run_s_step_count() -> None:
    data = synthetic(n=100, seed=5)
    config = TrainConfig(batch_size=10, epochs=3, backend="numpy")
    first = last(train(data, config, until_epoch=2))
    decay = replace(config, schedule=Schedule(kind="step", gamma=0.5, step_size=5))
    continued = last(train(data, decay, state=first.state))
    # Step 29 (0-based) of a step decay every 5 steps: 0.03 · 0.5⁵.
    assert continued.learning_rate == pytest.approx(0.03 * 0.5**5)
    assert continued.changes == ((20, "schedule constant → step ×0.5 every 5 steps"),)


@pytest.mark.parametrize("field, value", [("seed", 1), ("shuffle", "none"), ("init", "zeros"), ("drop_last", True)])
def test_settings_that_made_the_start_cannot_change(field, value) -> None:
    data = synthetic(n=100, seed=6)
    config = TrainConfig(batch_size=10, epochs=2, backend="numpy")
    first = last(train(data, config, until_epoch=1))
    other = replace(config, **{field: value})
    assert fixed_changes(config, other) == (field,)
    with pytest.raises(ConfigError, match=f"another {field}.*Start a new run"):
        last(train(data, other, state=first.state))


def test_the_words_for_changes() -> None:
    before = TrainConfig()
    after = replace(before, learning_rate=0.1, momentum=0.9, nesterov=True, weight_decay=0.01, epochs=9,
                    backend="numpy", schedule=Schedule(kind="cosine", period_steps=300, warmup_steps=20))
    assert describe_changes(before, after) == (
        "learning rate 0.03 → 0.1", "schedule constant → cosine over 300 steps to ×0, warm-up 20 steps",
        "momentum 0 → 0.9", "Nesterov off → on", "weight decay 0 → 0.01",
    )
    assert describe_changes(before, replace(before, epochs=5, tol=0.1)) == ()
    assert describe_schedule(Schedule(kind="inverse_scaling", power_t=0.5)) == "inverse scaling, power 0.5"
    check_continuable(before, after)  # none of the fixed settings changed


KIND_FIELDS = {"gamma": st.floats(0.01, 1.0), "step_size": st.integers(1, 500), "power_t": st.floats(0.0, 1.0),
               "min_factor": st.floats(0.0, 1.0), "period_steps": st.one_of(st.none(), st.integers(1, 500))}


@PROPERTY
@given(kind=st.sampled_from(["constant", "step", "exponential", "inverse_scaling", "cosine"]),
       warmup=st.integers(0, 50), ours=st.fixed_dictionaries(KIND_FIELDS), theirs=st.fixed_dictionaries(KIND_FIELDS))
def test_schedules_of_one_effect_give_the_same_rates_and_no_change_is_recorded(kind, warmup, ours, theirs) -> None:
    # The fields a kind reads come from ours; those it does not, from either: the rates are the same at every
    # step (brute force over the first thousand), and a run continued from one to the other records no change.
    reads = {"constant": (), "step": ("gamma", "step_size"), "exponential": ("gamma", "step_size"),
             "inverse_scaling": ("power_t",), "cosine": ("min_factor", "period_steps")}[kind]
    mine = Schedule(kind=kind, warmup_steps=warmup, **ours)
    other = Schedule(kind=kind, warmup_steps=warmup, **{**theirs, **{name: ours[name] for name in reads}})
    steps = np.arange(1000)
    assert mine.effect() == other.effect()
    assert np.array_equal(mine(steps), other(steps))
    before = TrainConfig(schedule=mine)
    assert describe_changes(before, TrainConfig(schedule=other)) == ()
    assert describe_changes(before, TrainConfig(schedule=other, batch_size=20)) == ("batch size 10 → 20",)
    # A field the kind reads, changed so that the rates change, is a change of schedule
    for name in reads:
        if name == "period_steps":
            changed = replace(mine, period_steps=(mine.period_steps or 1000) + 7)
        elif name == "step_size":
            changed = replace(mine, step_size=mine.step_size + 1)
        else:
            changed = replace(mine, **{name: getattr(mine, name) / 2 if getattr(mine, name) else 0.5})
        if not np.array_equal(changed(steps), mine(steps)):
            assert describe_changes(before, TrainConfig(schedule=changed))[0].startswith("schedule "), name


def test_a_constant_schedule_with_another_decay_period_is_no_change_and_a_step_schedule_s_is() -> None:
    # The dashboard's batch size 10 → 100 makes the sidebar's decay period 80 → 8 steps
    assert describe_changes(TrainConfig(schedule=Schedule(step_size=80)),
                            TrainConfig(batch_size=100, schedule=Schedule(step_size=8))) == ("batch size 10 → 100",)
    assert describe_changes(TrainConfig(schedule=Schedule("step", step_size=80)),
                            TrainConfig(batch_size=100, schedule=Schedule("step", step_size=8))) == (
        "schedule step ×0.5 every 80 steps → step ×0.5 every 8 steps", "batch size 10 → 100")

"""sgdcore.schedules: each kind is the formula it names, as a plain function of the 0-based step."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from sgdcore import SCHEDULES, ConfigError, Schedule, TrainConfig, synthetic, train

STEPS = np.arange(0, 400)


def test_every_kind_is_listed() -> None:
    assert set(SCHEDULES) == {"constant", "step", "exponential", "inverse_scaling", "cosine"}


def test_constant() -> None:
    schedule = Schedule("constant")
    assert all(schedule(int(t)) == 1.0 for t in STEPS[:20])
    np.testing.assert_array_equal(schedule(STEPS), np.ones(len(STEPS)))


def test_step_decay_multiplies_by_gamma_every_step_size_steps() -> None:
    schedule = Schedule("step", gamma=0.5, step_size=100)
    assert schedule(0) == 1.0
    assert schedule(99) == 1.0
    assert schedule(100) == 0.5
    assert schedule(199) == 0.5
    assert schedule(200) == 0.25
    assert schedule(350) == 0.125


def test_exponential_is_the_smooth_step_decay() -> None:
    schedule = Schedule("exponential", gamma=0.1, step_size=50)
    for t in (0, 1, 25, 50, 100, 333):
        assert schedule(t) == pytest.approx(0.1 ** (t / 50), rel=1e-13, abs=0)
    assert schedule(100) == pytest.approx(0.01, rel=1e-13, abs=0)


def test_inverse_scaling_is_scikit_learn_invscaling() -> None:
    """scikit-learn: eta = eta0 / pow(t, power_t) with t counting from 1; sgdcore's step 0 is t = 1."""
    eta0, power_t = 0.03, 0.25
    schedule = Schedule("inverse_scaling", power_t=power_t)
    config = TrainConfig(learning_rate=eta0, schedule=schedule)
    for step in (0, 1, 9, 99, 9999):
        t = step + 1
        assert config.learning_rate_at(step) == pytest.approx(eta0 / t**power_t, rel=1e-13, abs=0)
    assert config.learning_rate_at(0) == eta0
    assert Schedule("inverse_scaling", power_t=0.5)(3) == pytest.approx(0.5)


def test_cosine_goes_from_one_to_min_factor_along_half_a_cosine() -> None:
    schedule = Schedule("cosine", min_factor=0.1, period_steps=200)
    assert schedule(0) == 1.0
    assert schedule(100) == pytest.approx(0.1 + 0.9 * 0.5, rel=1e-13, abs=0)
    assert schedule(50) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi / 4)), rel=1e-13, abs=0)
    assert schedule(200) == pytest.approx(0.1, rel=1e-13, abs=0)
    assert schedule(5000) == pytest.approx(0.1, rel=1e-13, abs=0)  # stays at the floor after the period


def test_warmup_ramps_linearly_then_hands_over() -> None:
    schedule = Schedule("constant", warmup_steps=4)
    np.testing.assert_allclose(schedule(np.arange(7)), [0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 1.0], rtol=1e-15)
    decayed = Schedule("step", gamma=0.5, step_size=2, warmup_steps=4)
    np.testing.assert_allclose(decayed(np.arange(6)), [0.25, 0.5, 0.75 * 0.5, 1.0 * 0.5, 0.25, 0.25], rtol=1e-15)


@pytest.mark.parametrize(
    "schedule",
    [
        Schedule("constant"),
        Schedule("step", gamma=0.3, step_size=7),
        Schedule("exponential", gamma=0.9, step_size=3),
        Schedule("inverse_scaling", power_t=0.6),
        Schedule("cosine", min_factor=0.05, period_steps=250),
        Schedule("cosine", period_steps=100, warmup_steps=30),
        Schedule("inverse_scaling", warmup_steps=10),
    ],
    ids=repr,
)
def test_vectorised_call_equals_scalar_calls(schedule: Schedule) -> None:
    vector = schedule(STEPS)
    assert isinstance(vector, np.ndarray)
    assert vector.shape == STEPS.shape
    scalars = [schedule(int(t)) for t in STEPS]
    assert all(isinstance(value, float) for value in scalars)
    np.testing.assert_array_equal(vector, scalars)
    assert np.all(vector > 0) or schedule.kind == "cosine"
    assert np.all(vector <= 1.0)


def test_learning_rate_at_multiplies_the_base_rate() -> None:
    config = TrainConfig(learning_rate=0.2, schedule=Schedule("step", gamma=0.5, step_size=3))
    np.testing.assert_allclose(config.learning_rate_at(np.arange(7)), 0.2 * np.array([1, 1, 1, 0.5, 0.5, 0.5, 0.25]))


def test_train_fills_the_cosine_period_with_the_whole_run() -> None:
    data = synthetic(n=100, seed=0)
    config = TrainConfig(batch_size=10, epochs=4, schedule=Schedule("cosine", min_factor=0.2), backend="numpy")
    *_, progress = train(data, config)
    # The last step (39 of 40) is one step before the end of the cosine.
    expected = 0.03 * (0.2 + 0.8 * 0.5 * (1 + math.cos(math.pi * 39 / 40)))
    assert progress.learning_rate == pytest.approx(expected, rel=1e-12)


def test_a_run_follows_the_schedule_its_plan_gives() -> None:
    """``as_planned`` is what train runs: a cosine over the whole run gets its length; a set period and any other
    kind are kept, so that training on past the epochs keeps the rates planned."""
    data = synthetic(n=100, seed=0)
    whole_run = TrainConfig(batch_size=30, epochs=3, schedule=Schedule("cosine", min_factor=0.1), backend="numpy")
    planned = whole_run.as_planned(100)
    assert planned.schedule.period_steps == 12 and not planned.schedule.set_by_length
    assert whole_run.schedule.set_by_length
    *_, progress = train(data, whole_run)
    assert progress.learning_rate == pytest.approx(planned.learning_rate_at(11), rel=1e-12)
    *_, resumed = train(data, replace(planned, epochs=5), state=progress.state)  # trained on past the plan
    assert resumed.step == 20 and resumed.learning_rate == pytest.approx(0.1 * planned.learning_rate, rel=1e-12)
    for kept in (Schedule("cosine", period_steps=5), Schedule("step", gamma=0.5, step_size=3)):
        assert TrainConfig(schedule=kept).as_planned(100).schedule == kept
        assert kept.over(7) == kept and not kept.set_by_length


def test_progress_reports_the_scheduled_learning_rate() -> None:
    data = synthetic(n=100, seed=0)
    config = TrainConfig(batch_size=10, epochs=3, schedule=Schedule("step", gamma=0.5, step_size=10), backend="numpy")
    snapshots = list(train(data, config, report_every=0.0))  # a snapshot after every step
    # After 10, 20 and 30 steps: the last step used factor 0.5**0, 0.5**1, 0.5**2.
    by_step = {progress.step: progress.learning_rate for progress in snapshots}
    assert by_step[10] == pytest.approx(0.03)
    assert by_step[20] == pytest.approx(0.015)
    assert by_step[30] == pytest.approx(0.0075)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "linear"}, r"schedule must be one of constant, step, exponential, inverse_scaling, cosine; "
                             r"got 'linear'\."),
        ({"gamma": 0.0}, r"gamma must be in \(0, 1\]; got 0\.0\."),
        ({"gamma": 1.5}, r"gamma must be in \(0, 1\]; got 1\.5\."),
        ({"gamma": float("nan")}, r"gamma must be in \(0, 1\]; got nan\."),
        ({"step_size": 0}, r"step_size must be an integer ≥ 1 step; got 0\."),
        ({"step_size": 2.5}, r"step_size must be an integer ≥ 1 step; got 2\.5\."),
        ({"step_size": float("nan")}, r"step_size must be an integer ≥ 1 step; got nan\."),
        ({"power_t": -0.1}, r"power_t must be in \[0, 1\]; got -0\.1\."),
        ({"power_t": 2.0}, r"power_t must be in \[0, 1\]; got 2\.0\."),
        ({"min_factor": 1.5}, r"min_factor must be in \[0, 1\]; got 1\.5\."),
        ({"gamma": None}, r"gamma must be in \(0, 1\]; got None\."),  # a comparison would raise TypeError
        ({"gamma": "0.5"}, r"gamma must be in \(0, 1\]; got '0\.5'\."),
        ({"power_t": "x"}, r"power_t must be in \[0, 1\]; got 'x'\."),
        ({"min_factor": None}, r"min_factor must be in \[0, 1\]; got None\."),
        ({"period_steps": 0}, r"period_steps must be an integer ≥ 1 or None; got 0\."),
        ({"period_steps": float("nan")}, r"period_steps must be an integer ≥ 1 or None; got nan\."),
        ({"warmup_steps": -1}, r"warmup_steps must be an integer ≥ 0; got -1\."),
        ({"warmup_steps": float("nan")}, r"warmup_steps must be an integer ≥ 0; got nan\."),
    ],
)
def test_invalid_parameters_raise_config_error(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        Schedule(**kwargs)
    assert caught.value.problem  # what the message says, as data for a page to word (tests/test_errors_i18n.py)


def test_a_rate_is_constant_only_without_a_decay_or_a_warm_up() -> None:
    assert Schedule().constant_rate and Schedule("constant", step_size=7).constant_rate
    assert not Schedule("constant", warmup_steps=10).constant_rate and not Schedule("step").constant_rate

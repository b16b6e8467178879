"""sgdcore.expected_run: the expected loss and distance of a run from its start, against the engine itself."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sgdcore import (
    Dataset,
    ExpectedRun,
    Schedule,
    TrainConfig,
    expected_run,
    limit_settings,
    make_problem,
    noise_floor,
    stability,
    train,
)


def _noisy_columns(rows: int = 50) -> Dataset:
    """Two columns a few times apart in scale and a noisy target: far from the optimum the minibatch gradients'
    spread is many times their spread at it."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 2)) * [1.0, 4.0]
    return Dataset(X, X @ [2.0, -1.0] + 3.0 + rng.normal(0.0, 2.0, rows), ("a", "b"), "y")


def _engine_means(data: Dataset, config: TrainConfig, seeds: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Over ``seeds`` runs of the engine from one starting point: the training loss and squared distance to the
    optimum at the end, each as (mean, standard error), and that start."""
    problem = make_problem(data)
    A = np.column_stack((problem.train.X, np.ones(problem.train.n_rows)))
    hessian = A.T @ A / len(A) + config.weight_decay * np.diag([1.0] * (A.shape[1] - 1) + [0.0])
    optimum = np.linalg.solve(hessian, A.T @ problem.train.y / len(A))
    losses, distances = [], []
    for seed in range(seeds):
        *_, end = train(problem.train, TrainConfig(**{**config.__dict__, "seed": seed}), report_every=1e9)
        params = np.append(end.weights, end.bias)
        losses.append(0.5 * np.mean((A @ params - problem.train.y) ** 2))
        distances.append(np.sum((params - optimum) ** 2))
    start = np.zeros(A.shape[1])  # init="zeros": every seed starts there
    return (np.array([np.mean(losses), np.std(losses) / np.sqrt(seeds)]),
            np.array([np.mean(distances), np.std(distances) / np.sqrt(seeds)]), start)


CONFIGS = {
    "plain": dict(learning_rate=0.04, batch_size=7, epochs=3),
    "plain, long": dict(learning_rate=0.04, batch_size=7, epochs=12),
    "heavy ball with dampening": dict(learning_rate=0.02, batch_size=7, epochs=3, momentum=0.6, dampening=0.3),
    "nesterov, drop_last": dict(learning_rate=0.01, batch_size=7, epochs=3, momentum=0.8, nesterov=True,
                                drop_last=True),
    "weight decay, batch of one": dict(learning_rate=0.01, batch_size=1, epochs=2, weight_decay=0.5),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_the_expected_loss_and_distance_are_the_engines_means_with_independent_batches(name: str) -> None:
    """With rows drawn with replacement every batch is independent of the others, as the recursion assumes, and the
    epoch's shorter last batch is counted where it comes: 2,000 runs of the engine agree within four standard
    errors. The noise floor's spread added to the mean's distance, which counts the noise at the optimum only, falls
    short of the engine's."""
    data = _noisy_columns()
    config = TrainConfig(**CONFIGS[name], shuffle="replacement", init="zeros")
    loss, distance, start = _engine_means(data, config, 2000)
    steps = config.epochs * config.steps_per_epoch(data.n_rows)
    keywords = limit_settings(config, l1=False)
    run = expected_run(data, start, steps, config.learning_rate, config.batch_size, **keywords)
    assert abs(run.loss - loss[0]) <= 4 * loss[1], (run.loss, loss)
    assert abs(run.mean_square_distance - distance[0]) <= 4 * distance[1], (run.mean_square_distance, distance)
    if name == "plain":
        floor = noise_floor(data, config.learning_rate, config.batch_size, **keywords)
        mean_and_floor = distance_of_mean(data, start, steps, config) + floor.mean_square_distance
        assert distance[0] - mean_and_floor > 4 * distance[1], (mean_and_floor, distance)


def distance_of_mean(data: Dataset, start: np.ndarray, steps: int, config: TrainConfig) -> float:
    """``‖E[θ] − θ*‖²`` after ``steps`` steps of full-batch descent at ``config``'s rate (plain SGD's mean)."""
    A = np.column_stack((data.X, np.ones(data.n_rows)))
    hessian = A.T @ A / len(A)
    optimum = np.linalg.solve(hessian, A.T @ data.y / len(A))
    error = start - optimum
    for _ in range(steps):
        error = error - config.learning_rate * hessian @ error
    return float(error @ error)


def test_no_steps_is_the_start_and_one_step_of_one_row_is_the_mean_over_the_rows() -> None:
    """Exactly, by enumeration: from a start, one step on one row drawn at random lands at one of n points."""
    data = _noisy_columns(20)
    A = np.column_stack((data.X, np.ones(data.n_rows)))
    start, rate = np.array([0.5, -0.3, 1.0]), 0.03
    optimum = np.linalg.lstsq(A, data.y, rcond=None)[0]
    ends = np.array([start - rate * row * (row @ start - y) for row, y in zip(A, data.y, strict=True)])
    losses = 0.5 * np.mean((ends @ A.T - data.y) ** 2, axis=1)
    now = expected_run(data, start, 0, rate, 1, replacement=True)
    after = expected_run(data, start, 1, rate, 1, replacement=True)
    assert now.loss == pytest.approx(0.5 * np.mean((A @ start - data.y) ** 2), rel=1e-12)
    assert now.mean_square_distance == pytest.approx(np.sum((start - optimum) ** 2), rel=1e-9)
    assert after.loss == pytest.approx(losses.mean(), rel=1e-12)
    assert after.mean_square_distance == pytest.approx(np.mean(np.sum((ends - optimum) ** 2, axis=1)), rel=1e-9)


def test_above_the_limit_it_grows_without_bound_and_data_too_large_gets_none() -> None:
    data = _noisy_columns()
    assert expected_run(data, np.zeros(3), 20_000, 5.0, 7) is not None
    assert expected_run(data, np.zeros(3), 20_000, 5.0, 7).loss == float("inf")
    rng = np.random.default_rng(0)
    wide = Dataset(rng.normal(size=(3_000, 30)), rng.normal(size=3_000), tuple(f"x{i}" for i in range(30)), "y")
    assert expected_run(wide, np.zeros(31), 10, 0.001, 10) is None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.integers(0, 120), batch_size=st.integers(1, 30), rate=st.floats(0.05, 0.6),
       momentum=st.sampled_from([0.0, 0.5, 0.9]), dampening=st.sampled_from([0.0, 0.3]),
       weight_decay=st.sampled_from([0.0, 0.2]), drop_last=st.booleans())
def test_powering_the_maps_by_squaring_equals_stepping_through_them(
        monkeypatch: pytest.MonkeyPatch, steps: int, batch_size: int, rate: float, momentum: float, dampening: float,
        weight_decay: float, drop_last: bool) -> None:
    """The three ways :func:`sgdcore.expected_run` takes its steps (its map powered by squaring, its matrix stepped
    through, its parts stepped through: the fast paths and the reference path) agree, over
    epochs with and without a shorter last batch, momentum, dampening and weight decay, at rates below and above the
    limit (where both grow alike)."""
    data = _noisy_columns(30)
    keywords = dict(momentum=momentum, dampening=dampening, weight_decay=weight_decay, drop_last=drop_last)
    start = np.array([0.4, -0.2, 1.0])
    _agree(_each_way(monkeypatch, lambda: expected_run(data, start, steps, rate / 10, batch_size, **keywords)))


def _each_way(monkeypatch: pytest.MonkeyPatch, run: Callable[[], ExpectedRun]) -> list[ExpectedRun]:
    """``run()`` with :func:`sgdcore.expected_run` taking its steps each of its three ways: its maps powered by
    squaring, their matrices stepped through, their parts stepped through."""
    runs = []
    with monkeypatch.context() as patched:
        for powered, dense in ((True, 0), (False, 10**9), (False, 0)):
            patched.setattr(stability, "_power_by_squaring", lambda *_, powered=powered: powered)
            patched.setattr(stability, "DENSE_STEPS", dense)
            runs.append(run())
    return runs


def _agree(runs: list[ExpectedRun]) -> None:
    for field in ("loss", "mean_square_distance"):
        reference, *others = (getattr(run, field) for run in runs)
        for other in others:
            assert other == pytest.approx(reference, rel=1e-8) or (math.isinf(other) and math.isinf(reference)), \
                (field, reference, other)


def test_a_setting_out_of_range_is_refused_with_what_to_do() -> None:
    from sgdcore import ConfigError

    data = _noisy_columns()
    for steps, rate, named in ((-1, 0.1, "steps"), (2.5, 0.1, "steps"), (10, 0.0, "learning_rate"),
                               (10, float("nan"), "learning_rate")):
        with pytest.raises(ConfigError, match=named):
            expected_run(data, np.zeros(3), steps, rate, 7)
    for start in (np.zeros(2), [0.0, float("inf"), 1.0], "weights", np.zeros((3, 1))):
        with pytest.raises(ConfigError, match="start must be 3 finite numbers: the weights, then the bias") as raised:
            expected_run(data, start, 10, 0.1, 7)
        assert raised.value.problem == "start_params" and raised.value.fields["count"] == 3


SCHEDULED = {
    "cosine over the run": dict(learning_rate=0.05, batch_size=7, epochs=4, schedule=Schedule("cosine")),
    "step decay after a warm-up, momentum": dict(learning_rate=0.03, batch_size=7, epochs=4, momentum=0.6,
                                                 schedule=Schedule("step", gamma=0.5, step_size=10, warmup_steps=5)),
    "inverse scaling, nesterov, batch of three": dict(learning_rate=0.03, batch_size=3, epochs=3, momentum=0.5,
                                                      nesterov=True,
                                                      schedule=Schedule("inverse_scaling", power_t=0.5)),
    "exponential decay, weight decay, batch of one": dict(learning_rate=0.05, batch_size=1, epochs=2,
                                                          weight_decay=0.3,
                                                          schedule=Schedule("exponential", gamma=0.5, step_size=30)),
}


@pytest.mark.parametrize("name", SCHEDULED)
def test_under_a_schedule_each_step_takes_its_own_rate_as_the_engine_does(name: str) -> None:
    """Each step's map is that of the rate the schedule gives it (a cosine over these steps, a warm-up, torch's first
    step at the first rate): 2,000 runs of the engine with rows drawn with replacement agree within four standard
    errors. The same run at the base rate throughout does not."""
    data = _noisy_columns()
    config = TrainConfig(**SCHEDULED[name], shuffle="replacement", init="zeros")
    loss, distance, start = _engine_means(data, config, 2000)
    steps = config.epochs * config.steps_per_epoch(data.n_rows)
    keywords = limit_settings(config, l1=False)
    run = expected_run(data, start, steps, config.learning_rate, config.batch_size, schedule=config.schedule,
                       **keywords)
    assert abs(run.loss - loss[0]) <= 4 * loss[1], (run.loss, loss)
    assert abs(run.mean_square_distance - distance[0]) <= 4 * distance[1], (run.mean_square_distance, distance)
    constant = expected_run(data, start, steps, config.learning_rate, config.batch_size, **keywords)
    assert abs(constant.mean_square_distance - distance[0]) > 4 * distance[1], (constant.mean_square_distance, distance)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.integers(1, 90), batch_size=st.integers(1, 30), rate=st.floats(0.05, 0.6),
       momentum=st.sampled_from([0.0, 0.5, 0.9]), step_size=st.integers(1, 40), gamma=st.sampled_from([0.3, 1.0]),
       warmup=st.integers(0, 10))
def test_a_scheduled_run_powered_by_squaring_equals_it_stepped_through_and_a_flat_one_the_constant_run(
        monkeypatch: pytest.MonkeyPatch, steps: int, batch_size: int, rate: float, momentum: float, step_size: int,
        gamma: float, warmup: int) -> None:
    """A step decay's stretches of one rate, powered by squaring, stepped through as a matrix or in their parts: the
    same figures. A schedule whose every factor is 1 (a step decay by a factor of 1, no warm-up) gives the constant
    run's, which takes its steps by epochs instead."""
    data = _noisy_columns(30)
    start = np.array([0.4, -0.2, 1.0])
    schedule = Schedule("step", gamma=gamma, step_size=step_size, warmup_steps=warmup)
    runs = _each_way(monkeypatch, lambda: expected_run(data, start, steps, rate / 10, batch_size, momentum=momentum,
                                                       schedule=schedule))
    if gamma == 1.0 and warmup == 0:
        runs.append(expected_run(data, start, steps, rate / 10, batch_size, momentum=momentum))
    _agree(runs)


def test_a_cosine_over_the_whole_run_spans_its_steps_and_a_schedule_too_long_to_follow_gets_none() -> None:
    from sgdcore import ConfigError

    data = _noisy_columns()
    start = np.array([0.4, -0.2, 1.0])
    over_the_run = expected_run(data, start, 40, 0.05, 7, schedule=Schedule("cosine"))
    set_period = expected_run(data, start, 40, 0.05, 7, schedule=Schedule("cosine", period_steps=40))
    longer = expected_run(data, start, 40, 0.05, 7, schedule=Schedule("cosine", period_steps=400))
    assert over_the_run.loss == set_period.loss and longer.loss != over_the_run.loss
    assert expected_run(data, start, stability.EXPECTED_RUN_STRETCHES + 1, 0.001, 7,
                        schedule=Schedule("inverse_scaling")) is None
    assert expected_run(data, start, stability.EXPECTED_RUN_STRETCHES + 1, 0.001, 7,
                        schedule=Schedule("step", gamma=0.5, step_size=1000)) is not None
    with pytest.raises(ConfigError, match=r"schedule must be a sgdcore\.Schedule or None; got str") as raised:
        expected_run(data, start, 10, 0.05, 7, schedule="cosine")
    assert raised.value.problem == "not_a_schedule"

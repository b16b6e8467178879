"""sgdcore.stability: the minibatch limit and the noise floor, against brute force and against the engine."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from sgdcore import Dataset, TrainConfig, curvature, quadratic_loss, stability, stability_limit, synthetic, train
from sgdcore.errors import ConfigError
from sgdcore.problem import make_problem
from sgdcore.stability import minibatch_stability_limit, noise_floor, noise_scale

SETTINGS = [  # (momentum, dampening, nesterov)
    (0.0, 0.0, False), (0.6, 0.0, False), (0.5, 0.3, False), (0.7, 0.0, True),
]


def small_problem(n: int, d: int, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, size=d) + rng.normal(size=d)
    y = X @ rng.normal(size=d) + 0.7 + rng.normal(size=n)
    return Dataset(X, y, tuple(f"x{i}" for i in range(d)))


def batch_operator(data: Dataset, learning_rate: float, batch_size: int, momentum: float, dampening: float,
                   nesterov: bool, weight_decay: float,
                   replacement: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The second-moment map as an explicit matrix, averaged over every batch of ``batch_size`` rows (with
    ``replacement``, over every sequence of ``batch_size`` draws, a row possibly drawn more than once).

    Returns ``(T, noise, H)``: ``vec(M) ↦ mean_S vec(A_S M A_Sᵀ)`` for the state ``(e, v)``, the mean of
    ``vec(b_S b_Sᵀ)`` with ``b_S`` the noise's input at the penalised optimum, and the unpenalised Hessian.
    Written from torch's update rule, with none of the library's algebra.
    """
    n, d = data.X.shape
    A = np.column_stack((data.X, np.ones(n)))
    p = d + 1
    decay = weight_decay * np.diag(np.r_[np.ones(d), 0.0])
    optimum = np.linalg.solve(A.T @ A / n + decay, A.T @ data.y / n)
    eta, mu, eye = learning_rate, momentum, np.eye(p)
    T, noise = np.zeros((4 * p * p, 4 * p * p)), np.zeros(4 * p * p)
    batches = list(itertools.product(range(n), repeat=batch_size) if replacement
                   else itertools.combinations(range(n), batch_size))
    for batch in batches:
        rows = A[list(batch)]
        H_B = rows.T @ rows / batch_size + decay
        xi = rows.T @ (rows @ optimum - data.y[list(batch)]) / batch_size + decay @ optimum
        # One torch step as a map of (e, v) and of the gradient g = H_B e + ξ.
        if mu == 0.0:
            step, push = np.block([[eye - eta * H_B, 0 * eye], [H_B, 0 * eye]]), np.r_[-eta * xi, xi]
        elif nesterov:  # v' = μv + g; e' = e − η(g + μv')
            step = np.block([[eye - eta * (1 + mu) * H_B, -eta * mu * mu * eye], [H_B, mu * eye]])
            push = np.r_[-eta * (1 + mu) * xi, xi]
        else:  # v' = μv + (1 − δ)g; e' = e − ηv'
            step = np.block([[eye - eta * (1 - dampening) * H_B, -eta * mu * eye],
                             [(1 - dampening) * H_B, mu * eye]])
            push = np.r_[-eta * (1 - dampening) * xi, (1 - dampening) * xi]
        T += np.kron(step, step) / len(batches)
        noise += np.kron(push, push) / len(batches)
    return T, noise, A.T @ A / n


def brute_force_limit(data: Dataset, batch_size: int, momentum: float, dampening: float, nesterov: bool,
                      weight_decay: float, replacement: bool = False) -> float:
    def radius(rate: float) -> float:
        T = batch_operator(data, rate, batch_size, momentum, dampening, nesterov, weight_decay, replacement)[0]
        return np.max(np.abs(np.linalg.eigvals(T)))

    low, high = 1e-6, 100.0
    assert radius(low) < 1 < radius(high)
    for _ in range(60):
        middle = np.sqrt(low * high)
        low, high = (middle, high) if radius(middle) < 1 else (low, middle)
    return low


@pytest.mark.parametrize(("momentum", "dampening", "nesterov"), SETTINGS)
def test_the_limit_at_full_batch_is_the_full_batch_formula(momentum: float, dampening: float, nesterov: bool) -> None:
    data = small_problem(300, 4, seed=1)
    for weight_decay in (0.0, 2.0):
        lambda_max = curvature(quadratic_loss(data).hessian, weight_decay).lambda_max
        limit = minibatch_stability_limit(data, 300, momentum=momentum, dampening=dampening, nesterov=nesterov,
                                          weight_decay=weight_decay)
        expected = stability_limit(lambda_max, momentum, dampening, nesterov)
        assert limit.kind == "exact"
        assert limit.learning_rate == pytest.approx(expected, rel=1e-9)
        assert limit.full_batch == pytest.approx(expected, rel=1e-9)
        if momentum == 0.0:
            assert limit.learning_rate == pytest.approx(2 / lambda_max, rel=1e-9)
        # Any smaller batch has a lower limit: the noise of H_B only adds growth.
        smaller = minibatch_stability_limit(data, 2, momentum=momentum, dampening=dampening, nesterov=nesterov,
                                            weight_decay=weight_decay)
        assert smaller.learning_rate < 0.9 * limit.learning_rate
        assert smaller.full_batch == limit.full_batch


@pytest.mark.parametrize(("momentum", "dampening", "nesterov"), SETTINGS)
@pytest.mark.parametrize(("n", "d", "batch_size", "weight_decay"), [(6, 2, 1, 0.0), (7, 3, 2, 0.5), (5, 1, 3, 0.0)])
def test_the_limit_matches_the_brute_force_operator(n: int, d: int, batch_size: int, weight_decay: float,
                                                    momentum: float, dampening: float, nesterov: bool) -> None:
    data = small_problem(n, d, seed=n + d)
    limit = minibatch_stability_limit(data, batch_size, momentum=momentum, dampening=dampening, nesterov=nesterov,
                                      weight_decay=weight_decay, drop_last=True)  # every batch of B rows
    expected = brute_force_limit(data, batch_size, momentum, dampening, nesterov, weight_decay)
    assert limit.kind == "exact"
    assert limit.learning_rate == pytest.approx(expected, rel=1e-6)
    assert limit.learning_rate < limit.full_batch


@pytest.mark.parametrize(("momentum", "dampening", "nesterov"), SETTINGS)
@pytest.mark.parametrize(("n", "d", "batch_size", "weight_decay"), [(7, 2, 3, 0.0), (7, 2, 6, 0.5), (8, 3, 5, 0.0)])
def test_an_epoch_that_ends_on_a_short_batch_has_the_limit_of_its_brute_force_product(
        n: int, d: int, batch_size: int, weight_decay: float, momentum: float, dampening: float,
        nesterov: bool) -> None:
    """The engine's epoch is its full batches, then one of the rows left: its map over an epoch is the product of
    the steps' maps, each averaged over every batch of its size."""
    data = small_problem(n, d, seed=n + d)
    steps, rest = divmod(n, batch_size)

    def radius(rate: float) -> float:
        full = batch_operator(data, rate, batch_size, momentum, dampening, nesterov, weight_decay)[0]
        short = batch_operator(data, rate, rest, momentum, dampening, nesterov, weight_decay)[0]
        return np.max(np.abs(np.linalg.eigvals(short @ np.linalg.matrix_power(full, steps))))

    limit = minibatch_stability_limit(data, batch_size, momentum=momentum, dampening=dampening, nesterov=nesterov,
                                      weight_decay=weight_decay)
    assert limit.kind == "exact"
    assert radius(limit.learning_rate * (1 - 1e-6)) < 1 < radius(limit.learning_rate * (1 + 1e-6))
    dropped = minibatch_stability_limit(data, batch_size, momentum=momentum, dampening=dampening, nesterov=nesterov,
                                        weight_decay=weight_decay, drop_last=True)
    assert limit.learning_rate < dropped.learning_rate  # the short batch is the noisier: it counts


@pytest.mark.parametrize(("n", "d", "batch_size"), [(40, 3, 39), (800, 2, 799), (60, 3, 29)])
def test_an_epoch_that_ends_on_a_tiny_batch_is_bounded_below_the_limit_and_diverges_above_it(
        n: int, d: int, batch_size: int) -> None:
    """At 800 rows and batch size 799 the page said 0.711, the limit of steps that draw batch size 799 or 1 at
    random: the engine, one step of each an epoch, stays bounded up to about 1.3."""
    data = small_problem(n, d, seed=0)
    limit = minibatch_stability_limit(data, batch_size).learning_rate
    config = TrainConfig(learning_rate=0.9 * limit, batch_size=batch_size, epochs=max(100, 4000 * batch_size // n))
    assert np.all(np.isfinite(final_gaps(data, config, range(8))))
    assert np.all(np.isinf(final_gaps(data, replace(config, learning_rate=1.25 * limit), range(8))))


@pytest.mark.parametrize(("momentum", "dampening", "nesterov"), SETTINGS)
@pytest.mark.parametrize(("n", "batch_size"), [(5, 2), (4, 4)])
def test_rows_drawn_with_replacement_have_the_limit_of_their_brute_force_operator(
        n: int, batch_size: int, momentum: float, dampening: float, nesterov: bool) -> None:
    """Drawn with replacement, a batch's rows are independent draws: its noise is 1/B of a row's, more than the
    (n − B)/(B(n − 1)) of rows drawn without, and a batch of all n rows is noisy too: its limit is below the
    full batch's."""
    data = small_problem(n, 2, seed=n)
    limit = minibatch_stability_limit(data, batch_size, momentum=momentum, dampening=dampening, nesterov=nesterov,
                                      drop_last=True, replacement=True)
    expected = brute_force_limit(data, batch_size, momentum, dampening, nesterov, 0.0, replacement=True)
    assert limit.learning_rate == pytest.approx(expected, rel=1e-6)
    without = minibatch_stability_limit(data, batch_size, momentum=momentum, dampening=dampening, nesterov=nesterov,
                                        drop_last=True)
    assert limit.learning_rate < without.learning_rate <= limit.full_batch
    assert noise_scale(n, batch_size, drop_last=True, replacement=True) == pytest.approx(1 / batch_size)


@pytest.mark.parametrize(("momentum", "dampening", "nesterov"), SETTINGS)
@pytest.mark.parametrize("weight_decay", [0.0, 0.8])
def test_the_noise_floor_matches_the_brute_force_stationary_moment(weight_decay: float, momentum: float,
                                                                   dampening: float, nesterov: bool) -> None:
    data, batch_size = small_problem(7, 2, seed=3), 2
    limit = minibatch_stability_limit(data, batch_size, momentum=momentum, dampening=dampening, nesterov=nesterov,
                                      weight_decay=weight_decay, drop_last=True).learning_rate
    for fraction in (0.3, 0.9):
        rate = fraction * limit
        T, noise, H = batch_operator(data, rate, batch_size, momentum, dampening, nesterov, weight_decay)
        p = H.shape[0]
        stationary = np.linalg.solve(np.eye(len(T)) - T, noise).reshape(2 * p, 2 * p)[:p, :p]
        floor = noise_floor(data, rate, batch_size, momentum=momentum, dampening=dampening, nesterov=nesterov,
                            weight_decay=weight_decay, drop_last=True)
        assert floor is not None
        assert floor.excess_loss == pytest.approx(0.5 * np.trace(H @ stationary), rel=1e-6)
        # The objective SGD minimises, weight decay's penalty included, above its minimum at θ*.
        penalised = H + weight_decay * np.diag([1.0, 1.0, 0.0])
        assert floor.excess_objective == pytest.approx(0.5 * np.trace(penalised @ stationary), rel=1e-6)
        assert floor.mean_square_distance == pytest.approx(np.trace(stationary), rel=1e-6)
        A = np.column_stack((data.X, np.ones(len(data.y))))
        optimum = np.linalg.solve(H + weight_decay * np.diag([1.0, 1.0, 0.0]), A.T @ data.y / len(data.y))
        assert floor.optimum_loss == pytest.approx(0.5 * np.mean((A @ optimum - data.y) ** 2), rel=1e-9)
    assert noise_floor(data, 1.01 * limit, batch_size, momentum=momentum, dampening=dampening, nesterov=nesterov,
                       weight_decay=weight_decay, drop_last=True) is None


@pytest.mark.parametrize(("momentum", "dampening", "nesterov"), SETTINGS)
@pytest.mark.parametrize(("n", "batch_size", "weight_decay", "replacement"),
                         [(7, 3, 0.0, False), (7, 6, 0.5, False), (5, 2, 0.0, True)])
def test_an_epoch_that_ends_on_a_short_batch_has_the_floor_of_its_brute_force_product(
        n: int, batch_size: int, weight_decay: float, replacement: bool, momentum: float, dampening: float,
        nesterov: bool) -> None:
    """At the end of an epoch of full batches and then one of the rows left, the second moment is the fixed point of
    the epoch's affine map: the full steps' and then the short step's, each with the noise it adds."""
    data = small_problem(n, 2, seed=n + batch_size)
    steps, rest = divmod(n, batch_size)
    settings = {"momentum": momentum, "dampening": dampening, "nesterov": nesterov, "weight_decay": weight_decay,
                "replacement": replacement}
    limit = minibatch_stability_limit(data, batch_size, **settings).learning_rate
    for fraction in (0.3, 0.9):
        rate = fraction * limit
        full, full_noise, H = batch_operator(data, rate, batch_size, momentum, dampening, nesterov, weight_decay,
                                             replacement)
        short, short_noise, _ = batch_operator(data, rate, rest, momentum, dampening, nesterov, weight_decay,
                                               replacement)
        epoch, added = np.eye(len(full)), np.zeros(len(full))
        for step, noise in [(full, full_noise)] * steps + [(short, short_noise)]:
            epoch, added = step @ epoch, step @ added + noise
        p = H.shape[0]
        stationary = np.linalg.solve(np.eye(len(epoch)) - epoch, added).reshape(2 * p, 2 * p)[:p, :p]
        floor = noise_floor(data, rate, batch_size, **settings)
        assert floor is not None
        assert floor.excess_loss == pytest.approx(0.5 * np.trace(H @ stationary), rel=1e-6)
        assert floor.mean_square_distance == pytest.approx(np.trace(stationary), rel=1e-6)
    assert noise_floor(data, 1.01 * limit, batch_size, **settings) is None


@pytest.mark.parametrize(("data", "batch_size", "momentum", "fraction"), [
    ("default", 799, 0.0, 0.5), ("default", 799, 0.0, 0.7), ("small", 29, 0.0, 0.5), ("small", 29, 0.5, 0.7),
])
def test_an_epoch_that_ends_on_a_short_batch_hovers_at_its_floor_as_training_shows(
        data: str, batch_size: int, momentum: float, fraction: float) -> None:
    """Rows drawn with replacement are the independent batches the floor is for: training hovers at it at the ends
    of its epochs. The mean of the steps' noise scales put it 4× too high at 800 rows and batch size 799 at half the
    limit (an epoch of one step of 799 rows, one of 1), none at 0.7 of it, and at 60 rows and batch size 29 0.56× of
    what training shows at half the limit, 2.3× with momentum 0.5 at 0.7 of it."""
    rows = (make_problem(synthetic(1000, [2.0, -3.4], 4.2, 0.01, 0), test_fraction=0.2, seed=0).train
            if data == "default" else small_problem(60, 3, seed=0))
    settings = {"momentum": momentum, "replacement": True}
    rate = fraction * minibatch_stability_limit(rows, batch_size, **settings).learning_rate
    floor = noise_floor(rows, rate, batch_size, **settings)
    assert floor is not None
    config = TrainConfig(learning_rate=rate, batch_size=batch_size, epochs=500, momentum=momentum,
                         shuffle="replacement")
    losses = [list(train(rows, replace(config, seed=seed), report_every=1e9))[-1].epoch_train_loss[100:]
              for seed in range(16)]
    assert np.mean(losses) - floor.optimum_loss == pytest.approx(floor.excess_loss, rel=0.1)


def test_the_issue_reference_numbers() -> None:
    """1,000 rows of 50 standard-normal features: about 0.038, 0.32, 1.21 and 1.32 at B = 1, 10, 100, 1000."""
    data = synthetic(n=1000, w=[1.0] * 50, seed=0)
    limits = [minibatch_stability_limit(data, batch_size).learning_rate for batch_size in (1, 10, 100, 1000)]
    np.testing.assert_allclose(limits, [0.038, 0.32, 1.21, 1.32], rtol=0.03)


def test_data_with_no_spread_in_a_direction_is_limited_by_the_others() -> None:
    """A duplicated column adds a direction the error never moves in: the limit is that of the merged column."""
    data = small_problem(40, 2, seed=5)
    duplicated = Dataset(np.column_stack((data.X[:, 0], data.X)), data.y, ("a", "b", "c"))
    merged = Dataset(np.column_stack((np.sqrt(2) * data.X[:, 0], data.X[:, 1])), data.y, ("a", "b"))
    for batch_size in (1, 5):
        assert minibatch_stability_limit(duplicated, batch_size).learning_rate == pytest.approx(
            minibatch_stability_limit(merged, batch_size).learning_rate, rel=1e-7)


@pytest.mark.parametrize(("momentum", "dampening", "nesterov"), SETTINGS)
def test_wide_data_get_a_lower_bound_that_holds(monkeypatch: pytest.MonkeyPatch, momentum: float, dampening: float,
                                                nesterov: bool) -> None:
    data = small_problem(200, 6, seed=7)
    exact = minibatch_stability_limit(data, 4, momentum=momentum, dampening=dampening, nesterov=nesterov,
                                      weight_decay=0.1)
    monkeypatch.setattr(stability, "EXACT_COST_LIMIT", 100)
    bound = minibatch_stability_limit(data, 4, momentum=momentum, dampening=dampening, nesterov=nesterov,
                                      weight_decay=0.1)
    assert exact.kind == "exact" and bound.kind == "lower_bound"
    assert 0.05 * exact.learning_rate < bound.learning_rate <= exact.learning_rate
    assert bound.full_batch == pytest.approx(exact.full_batch, rel=1e-9)
    assert noise_floor(data, 0.5 * bound.learning_rate, 4, momentum=momentum, dampening=dampening,
                       nesterov=nesterov) is None


@pytest.mark.parametrize(("momentum", "dampening", "nesterov"), SETTINGS)
def test_the_fourth_moment_shortcut_equals_the_products(monkeypatch: pytest.MonkeyPatch, momentum: float,
                                                        dampening: float, nesterov: bool) -> None:
    """The brute-force tests above have at most four directions, so they test the shortcut; this is the bridge."""
    data = small_problem(60, 3, seed=4)
    settings = {"momentum": momentum, "dampening": dampening, "nesterov": nesterov, "weight_decay": 0.3}
    results = []
    for directions in (10, 0):
        monkeypatch.setattr(stability, "FOURTH_MOMENT_DIRECTIONS", directions)
        limit = minibatch_stability_limit(data, 2, **settings)
        results.append((limit.learning_rate, noise_floor(data, 0.5 * limit.learning_rate, 2, **settings).excess_loss))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-8)


def test_l1_is_left_out_and_said_so() -> None:
    data = small_problem(50, 2, seed=2)
    plain, with_l1 = minibatch_stability_limit(data, 1), minibatch_stability_limit(data, 1, l1_penalty=3.0)
    assert with_l1.learning_rate == plain.learning_rate
    assert with_l1.l1_ignored and not plain.l1_ignored


def test_crossed_and_ratio() -> None:
    limit = stability.StabilityLimit(0.1, "exact", 1.0, 1, 100)
    assert limit.crossed(0.05) == "none"
    assert limit.crossed(0.5) == "minibatch"
    assert limit.crossed(2.0) == "full_batch"
    assert limit.ratio(0.25) == pytest.approx(2.5)


@pytest.mark.parametrize(("setting", "value"), [("batch_size", 0), ("batch_size", 51), ("batch_size", 2.0),
                                                ("momentum", 1.0), ("dampening", -0.1), ("weight_decay", -1.0)])
def test_bad_settings_are_refused_by_name(setting: str, value: object) -> None:
    data = small_problem(50, 2, seed=2)
    settings = {"batch_size": 5, setting: value}
    with pytest.raises(ConfigError, match=setting):
        minibatch_stability_limit(data, **settings)


def final_gaps(data: Dataset, config: TrainConfig, seeds: range) -> np.ndarray:
    """``L(θ) − L*`` at the end of each run; ``inf`` for runs that diverged."""
    quadratic = quadratic_loss(data)
    optimum_loss = quadratic.loss(np.linalg.lstsq(quadratic.hessian, quadratic.linear, rcond=None)[0])
    gaps = []
    for seed in seeds:
        last = list(train(data, replace(config, seed=seed), report_every=1e9))[-1]
        loss = quadratic.loss(np.append(last.weights, last.bias))
        gaps.append(np.inf if last.status == "diverged" else loss - optimum_loss)
    return np.array(gaps)


@pytest.mark.parametrize(("n", "d", "batch_size", "momentum", "nesterov"), [
    (1000, 3, 1, 0.0, False), (200, 10, 1, 0.0, False), (300, 5, 4, 0.5, False), (300, 5, 2, 0.5, True),
])
def test_the_engine_is_bounded_below_the_limit_and_grows_above_it(n: int, d: int, batch_size: int, momentum: float,
                                                                  nesterov: bool) -> None:
    """sgdcore.train itself, shuffling each epoch (what users run), not the independent batches of the theory.

    At 0.8× the limit no seed diverges and the mean final excess loss is within 3× of the predicted floor
    (it is within about 1.5× on these problems: 8 seeds of a heavy-tailed variable). At 1.25× the median
    seed ends more than 10× above that floor or diverges: near the limit the growth is slow (about a
    factor ``ρ(T)`` per step), so 20,000 steps need not reach the divergence threshold of 10⁶.

    Shuffling once per epoch visits each row once, which damps a little more than independent batches
    do: with few batches per epoch (40 rows at batch size 1, below) the engine survives somewhat above
    the limit, so there the limit errs on the safe side.
    """
    data = small_problem(n, d, seed=n + d)
    limit = minibatch_stability_limit(data, batch_size, momentum=momentum, nesterov=nesterov).learning_rate
    floor = noise_floor(data, 0.8 * limit, batch_size, momentum=momentum, nesterov=nesterov).excess_loss
    base = TrainConfig(learning_rate=0.8 * limit, batch_size=batch_size, epochs=20_000 * batch_size // n,
                       momentum=momentum, nesterov=nesterov)
    below = final_gaps(data, base, range(8))
    assert np.all(np.isfinite(below))
    assert np.mean(below) < 3 * floor
    above = final_gaps(data, replace(base, learning_rate=1.25 * limit), range(8))
    assert np.median(above) > 10 * floor


def test_few_rows_per_epoch_stay_bounded_below_the_limit() -> None:
    data = small_problem(40, 3, seed=0)
    limit = minibatch_stability_limit(data, 1).learning_rate
    config = TrainConfig(learning_rate=0.8 * limit, batch_size=1, epochs=100)
    assert np.all(np.isfinite(final_gaps(data, config, range(8))))
    assert np.all(np.isinf(final_gaps(data, replace(config, learning_rate=2.0 * limit), range(8))))


def mean_final_excess(data: Dataset, config: TrainConfig, optimum_loss: float, seeds: range) -> float:
    quadratic = quadratic_loss(data)
    final = [list(train(data, replace(config, seed=seed), report_every=1e9))[-1] for seed in seeds]
    return float(np.mean([quadratic.loss(np.append(last.weights, last.bias)) for last in final])) - optimum_loss


def test_the_noise_floor_matches_the_mean_final_loss_of_the_engine() -> None:
    """Mean of the final excess loss over 200 seeds of sgdcore.train, against ½tr(HΣ∞).

    The theory draws independent batches; the engine shuffles once per epoch, and over a whole epoch
    its gradient noise at θ* sums to zero (Mishchenko, Khaled & Richtárik 2020, "Random reshuffling").
    Where an epoch is much longer than the iterate's memory (``1/(ηλ_min)`` ≈ 200 steps here, against
    1,000 steps per epoch) the end of an epoch has forgotten that and the two agree: the final excess of
    one run has a standard deviation about its mean, so 200 seeds give ±15% (two standard errors);
    the tolerance is 25%. With fewer, shorter epochs than the memory the engine ends below the floor
    (measured: 0.4× at 50 steps per epoch and η = 0.01): the floor is then an upper estimate at the ends of
    epochs, which is the side the verdicts can use.
    """
    data = small_problem(1000, 3, seed=11)
    floor = noise_floor(data, 0.02, 1)
    config = TrainConfig(learning_rate=0.02, batch_size=1, epochs=3, init="zeros")
    assert mean_final_excess(data, config, floor.optimum_loss, range(200)) == pytest.approx(floor.excess_loss, rel=0.25)
    assert floor.excess_loss > 0.01 * floor.optimum_loss  # the floor is visible, not lost in rounding

    short = small_problem(200, 3, seed=11)
    floor = noise_floor(short, 0.01, 4)
    config = TrainConfig(learning_rate=0.01, batch_size=4, epochs=30, init="zeros")
    assert mean_final_excess(short, config, floor.optimum_loss, range(100)) < 0.8 * floor.excess_loss


def test_reshuffled_each_epoch_the_epochs_end_several_times_below_the_floor_drawn_independently_they_do_not() -> None:
    """What the loss chart's floor and the noise-floor verdict say of it: the floor is for batches drawn
    independently, which sampling with replacement does (its epochs' ends hover at it); reshuffled an epoch at a
    time, the default, the epochs can end several times below it: at D2L's settings (rate 0.03, batch size 10, 80
    batches an epoch, not few) 0.28 times it, over 8 seeds and the last 20 of 40 epochs."""
    problem = make_problem(synthetic(noise=1.0), test_fraction=0.2)
    floor = noise_floor(problem.train, 0.03, 10)

    def epoch_ends(shuffle: str) -> float:
        config = TrainConfig(learning_rate=0.03, batch_size=10, epochs=40, shuffle=shuffle)
        ends = [list(train(problem.train, replace(config, seed=seed), report_every=1e9))[-1] for seed in range(8)]
        return float(np.mean([end.epoch_train_loss[-20:] for end in ends])) - floor.optimum_loss

    assert epoch_ends("epoch") < 0.5 * floor.excess_loss
    independent = noise_floor(problem.train, 0.03, 10, replacement=True)
    assert epoch_ends("replacement") == pytest.approx(independent.excess_loss, rel=0.25)


def sorted_rows(n: int = 20_000, seed: int = 0, by_feature: bool = True) -> Dataset:
    """D2L's data, its rows sorted by the first feature (as a file sorted by a column is) or in a random order."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    X = X[np.argsort(X[:, 0])] if by_feature else X
    return Dataset(X, X @ np.array([2.0, -3.4]) + 4.2 + 0.01 * rng.normal(size=n), ("x1", "x2"))


@pytest.mark.parametrize("batch_size", [1, 10])
def test_batches_from_blocks_of_sorted_rows_have_the_lowest_of_the_blocks_limits(batch_size: int) -> None:
    """shuffle="blocks" draws each batch from 1,024 neighbouring rows: on rows sorted by a feature, a block is a
    slice far more curved than the whole. The limit of batches drawn from all rows was quoted (1.47 at batch size
    10), and runs at half of it diverged for every seed; below the blocks' limit they stay bounded, above it by 30%
    they diverge. On rows in a random order the blocks' limit is within 10% of the whole's."""
    data = sorted_rows()
    limit = minibatch_stability_limit(data, batch_size, block_size=1024)
    whole = minibatch_stability_limit(data, batch_size)
    assert limit.kind == "exact" and limit.learning_rate < 0.6 * whole.learning_rate

    def statuses(rate: float) -> set[str]:
        config = TrainConfig(learning_rate=rate, batch_size=batch_size, epochs=3, shuffle="blocks")
        return {list(train(data, replace(config, seed=seed), report_every=1e9))[-1].status for seed in range(4)}

    assert statuses(0.9 * limit.learning_rate) == {"finished"}
    assert statuses(1.3 * limit.learning_rate) == {"diverged"}
    assert statuses(0.9 * whole.learning_rate) == {"diverged"}
    shuffled = sorted_rows(by_feature=False)
    assert minibatch_stability_limit(shuffled, batch_size, block_size=1024).learning_rate == pytest.approx(
        minibatch_stability_limit(shuffled, batch_size).learning_rate, rel=0.1)
    # The noise of a block's batches depends on the order of the rows: no floor is computed for them.
    assert noise_floor(data, 0.5 * limit.learning_rate, batch_size, block_size=1024) is None
    # One block, or the full batch: every row is in it, the sampling of an epoch's shuffle.
    small = sorted_rows(1000)
    assert minibatch_stability_limit(small, batch_size, block_size=1024) == minibatch_stability_limit(small, batch_size)
    assert minibatch_stability_limit(data, data.n_rows, block_size=1024).learning_rate == whole.full_batch

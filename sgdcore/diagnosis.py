"""What happened in a run, and what would help: verdicts as typed results the dashboard words.

Every verdict rests on :mod:`sgdcore.stability` (the limit of the run as configured, the noise floor)
and on the run's own record (:class:`sgdcore.Progress`). Nothing here is a sentence: the fields are
numbers and names, and each :class:`Suggestion` is a setting with a value the dashboard can apply.

The verdicts, in the order they are tried:

``"diverged"``
    The run stopped on a non-finite or exploding loss. Which limit the rate crossed, by how much,
    a rate below the limit, and, for unstandardised data whose scale is the trouble, the limit
    with standardisation.
``"oscillating"``
    The run does not settle: an L1 penalty moves every weight by ``η·l1`` a step, which carries the
    weights the optimum puts within ``η·l1`` of zero (at zero or near it) across zero and back, or the
    rate is within 10% of the limit and above the rate where the mean starts to swing
    (:func:`sgdcore.analysis.no_swing_limit`).
``"far_from_optimum"``
    More than 1% from the optimum of the run's objective, further than the noise floor explains:
    too few steps for the condition number ``κ``. How many more epochs its mean needs (from its error, direction
    by direction, at the rates to come; with momentum, its error and velocity together), and what helps:
    momentum (Polyak's ``μ = ((√κ−1)/(√κ+1))²``, its rate
    ``4/(√λ_max+√λ_min)²``), a larger rate within the limit, standardisation when it lowers ``κ`` (at half its
    limit, or a halving of that). Each is offered only where the same run with it, under its schedule, is expected
    (:func:`sgdcore.expected_run`) to end nearer without giving up train R², its noise along the way counted. With
    L1 standardisation is offered unjudged, at half its limit, and the others not at all; on data too large for
    that, or a schedule's rates too many to follow, standardisation likewise, and the others at a constant rate only,
    judged by the mean and the noise floor. A
    cosine down to 0 goes on over the period it was trained with, at rate 0 once it is over: where that is too soon,
    the epochs of a fresh run, its cosine over all of them.
``"noise_floor"``
    More than 1% away, but as far as minibatch noise at this rate keeps it (:func:`sgdcore.noise_floor`):
    the run's mean, full-batch descent from its start, is within the noise's spread, so more epochs
    would not bring it closer; a decaying schedule or a larger batch goes further. With L1 the floor is the one about
    the penalised optimum, whose residuals make the noise (:func:`_constant_rate_floor`). Under a decaying schedule
    (without L1), the same at the floor of the rate the schedule has reached: its decay lowers the floor only as fast
    as it lowers the rate (the epochs until it halves it, and the floor there), and a faster decay or a larger batch
    goes further. With momentum, plain SGD's floor at that rate too, where it is lower: less momentum goes further.
``"at_optimum"``
    Within 1% of the optimum of its objective, with a training R² of at least 0.

Before a run, :func:`outlook` says how many epochs it needs to arrive, and what would bring it closer in
the epochs set: the far verdict's suggestions, for the run about to start.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from sgdcore.analysis import contraction_factor, mean_error_after, minimiser, no_swing_limit, polyak_heavy_ball
from sgdcore.data import Dataset, Standardizer
from sgdcore.errors import DataError
from sgdcore.model import init_params
from sgdcore.problem import Problem
from sgdcore.stability import (
    NULL_TOLERANCE,
    NoiseFloor,
    StabilityLimit,
    expected_run,
    minibatch_stability_limit,
    noise_floor,
)
from sgdcore.train import Progress, TrainConfig

Verdict = Literal["diverged", "oscillating", "far_from_optimum", "noise_floor", "at_optimum"]
Setting = Literal["learning_rate", "momentum", "standardize", "batch_size", "schedule", "l1_penalty", "epochs",
                  "early_stopping"]

# Distance to the optimum, relative to its size, under which a run has arrived.
ARRIVED = 0.01
# A rate this close to the limit (as a fraction of it) keeps the stiffest direction swinging.
NEAR_LIMIT = 0.9
# Standardisation is advised when it raises the limit or lowers κ by at least this factor.
SCALING_GAIN = 10.0
# What a faster run may give up in train R² for its minibatch noise (a larger rate, momentum): see _speedups
R2_GIVEN_UP = 0.05
# Standardisation is offered at half its limit or, where that rate's noise would cost the run, at one of this many
# halvings of it (on the diabetes data at batch size 10: 0.21 loses R², 0.1 gains it).
STANDARDIZED_HALVINGS = 4
# How far ahead a decaying schedule's run is followed to see whether it arrives (twice the most epochs the dashboard's
# runs have), and the work that may take (steps times directions, about a second): beyond either, no figure is given.
HORIZON_EPOCHS = 20_000
HORIZON_WORK = 50_000_000
# With momentum each step is a 2×2 matrix a direction, multiplied in turn: the work followed (steps times directions,
# about a quarter of a second), whether or not the run arrives within it.
MOMENTUM_WORK = 10_000_000


def round_down(value: float, digits: int = 2) -> float:
    """``value`` rounded down to ``digits`` significant figures: a rate quoted below a limit stays below it."""
    if not (math.isfinite(value) and value > 0):
        return value
    scale = 10.0 ** (math.floor(math.log10(value)) - digits + 1)
    # The last format drops the binary noise of the product (0.018000000000000002); it cannot round up.
    return float(f"{math.floor(value / scale * (1 + 1e-12)) * scale:.{digits}g}")


@dataclass(frozen=True)
class Suggestion:
    """One setting to change, to ``value``; ``learning_rate`` is the rate to use with it, if it needs one."""

    setting: Setting
    value: float | int | bool | str
    learning_rate: float | None = None


@dataclass(frozen=True)
class Limits:
    """The limits of a run as configured, and what standardising the data would make of them.

    ``standardized`` and ``standardized_condition_number`` are set only for unstandardised data whose
    standardisation raises the limit or lowers ``κ`` by at least :data:`SCALING_GAIN`.
    """

    minibatch: StabilityLimit
    condition_number: float
    standardized: StabilityLimit | None = None
    standardized_condition_number: float | None = None

    @property
    def full_batch(self) -> float:
        return self.minibatch.full_batch


@dataclass(frozen=True)
class RateCheck:
    """The learning rate against the limits, before training.

    ``crossed``: ``"none"``, ``"minibatch"`` (above the limit for this batch size, below the
    full-batch one) or ``"full_batch"``. ``ratio`` is the rate over the minibatch limit.
    """

    learning_rate: float
    limits: Limits
    ratio: float
    crossed: Literal["none", "minibatch", "full_batch"]
    near_limit: bool
    suggestions: tuple[Suggestion, ...]


@dataclass(frozen=True)
class Outlook:
    """A run as configured, before it trains: the epochs it needs to come within :data:`ARRIVED` of the optimum of
    its objective, and what would bring it closer in the epochs set.

    ``epochs_needed_from``: ``"error"``, SGD's mean from the starting point by full-batch descent, direction by
    direction, with the noise floor's spread left its room (plain SGD at a constant rate); ``"to_floor"``, the same
    where the noise alone keeps it further than :data:`ARRIVED`: the epochs until it is at its noise floor;
    ``"schedule"``, its mean at the rates a decaying schedule gives (plain SGD; ``inf`` when the rate decays before it
    arrives); ``"momentum"``, its mean with momentum, each direction's error and velocity together, at the rates the
    schedule gives (with the noise floor's room at a rate that ends constant; ``inf`` as for ``"schedule"``);
    ``"momentum_to_floor"``, the same where the noise alone keeps it further: until it is at its floor;
    ``"slowest"``, the flattest direction's factor ``per_step`` at the first rate (L1 at a rate that ends constant, or
    too long to follow), which brings any distance down 100-fold in that many steps. With L1 under a decaying schedule
    the mean is followed about the penalised optimum (:func:`_mean_followed`). ``suggestions`` as a far run's
    (:func:`diagnose`), for the run about to start; none when it is expected to arrive.

    ``noise_floor``: for a decaying schedule whose mean arrives in the epochs set, the noise floor at the
    rate the schedule has reached at the run's last step (``floor_rate``), when that noise keeps SGD further than
    :data:`ARRIVED` from the optimum (by a margin of 10 in mean square where an epoch is too short for the floor to
    hold at its end); the run is then not expected to arrive. At a constant rate (after a warm-up too) the same, the
    floor at that rate (about the penalised optimum with L1), where the mean arrives at it in the epochs set; with
    momentum, ``floor_without_momentum`` is plain SGD's floor at that rate (under a decaying schedule, the rate reached)
    where it is lower, and, under a decaying schedule, plain SGD's mean arrives in the epochs set too.
    """

    epochs: int
    per_step: float
    epochs_needed: float
    epochs_needed_from: Literal["error", "to_floor", "schedule", "momentum", "momentum_to_floor", "slowest"]
    suggestions: tuple[Suggestion, ...]
    noise_floor: NoiseFloor | None = None
    floor_rate: float | None = None
    floor_without_momentum: NoiseFloor | None = None

    @property
    def arrives(self) -> bool:
        """Whether the epochs set are expected to be enough (and the noise at the rate reached lets it arrive)."""
        return self.epochs_needed <= self.epochs and self.noise_floor is None


@dataclass(frozen=True)
class Oscillation:
    """Why the run does not settle, and how far it swings (model units).

    ``amplitude``: for ``"l1_penalty"`` the push ``η·l1`` each step gives every weight, and ``parameters``
    those the optimum puts within it of zero (not all held at zero: one step can carry any of them across);
    for ``"rate_near_limit"`` the distance to the optimum at the end. ``measured_swing``: half the range of
    the parameters over the last quarter of the recorded trajectory, the largest over ``parameters`` (over
    all when empty); the trajectory is recorded every ``2^k`` steps on long runs, so a swing of period 2 can
    hide in it, and the theory's ``amplitude`` is the one to trust.
    """

    cause: Literal["l1_penalty", "rate_near_limit"]
    amplitude: float
    parameters: tuple[str, ...]
    measured_swing: float


@dataclass(frozen=True)
class Diagnosis:
    """A finished, stopped or diverged run, judged.

    Distances are in model units (standardised, if the run was), to the optimum of the run's own
    objective (``target``): the closed form, or the penalised optimum when ``weight_decay`` or
    ``l1_penalty`` is set (``penalty_shifts_optimum`` says when it differs from the closed form by more
    than 1%). ``loss_gap`` is the gap of the run's objective (:func:`objective`: the training loss, plus the
    penalties when set) from its minimum at ``target``; with a penalty it is not the training loss's gap from the
    closed form that :class:`sgdcore.Comparison` reports. ``floor_ratio`` is it over the noise floor's
    ``excess_objective``, the same gap expected. ``contraction_per_epoch`` is measured on ``measured_gap``: the
    training loss's gap (``"loss"``), or, with a penalty, that of the objective SGD minimises (``"objective"``), whose
    gap from its minimum falls as the distance squared where the training loss's does not.
    """

    verdict: Verdict
    status: str
    learning_rate: float
    limits: Limits
    ratio: float
    crossed: Literal["none", "minibatch", "full_batch"]
    diverged_at_step: int | None
    target: Literal["closed_form", "penalised_optimum"]
    penalty_shifts_optimum: bool
    relative_distance: float | None
    loss_gap: float | None
    train_r2: float | None
    sign_flips: tuple[str, ...]
    floor: NoiseFloor | None
    floor_ratio: float | None
    contraction_per_epoch: float | None
    predicted_contraction_per_epoch: float | None
    epochs_needed: float | None
    oscillation: Oscillation | None
    suggestions: tuple[Suggestion, ...]
    # How epochs_needed was found: "error", from the run's remaining error direction by direction (plain SGD at a
    # constant rate), to come within ARRIVED; "to_floor", the same to come down to the noise floor, where the noise
    # alone keeps it further than that; "schedule", the same at the rates its schedule goes on to give (plain SGD;
    # the epochs in all, inf when the rate decays before it arrives); "measured", at the rate the loss fell in the
    # run's last half; "predicted", the theory's rate; "fresh_run", a cosine schedule whose rate has come down to 0 at
    # the end of its period, so that going on cannot help: the epochs of a fresh run, its cosine over all of them,
    # after which its mean is within ARRIVED (not more epochs: all of them).
    epochs_needed_from: Literal["error", "to_floor", "schedule", "momentum", "momentum_to_floor", "measured",
                                "predicted", "fresh_run"] | None = None
    measured_gap: Literal["loss", "objective"] = "loss"
    # A decaying schedule's run at its noise floor (``floor`` is then the floor at the rate the schedule has reached,
    # ``floor_rate``): the epochs after which the schedule has halved that rate (None: not within HORIZON_EPOCHS),
    # and the floor at half of it, where the run will hover then.
    floor_rate: float | None = None
    rate_halves_after: int | None = None
    half_rate_floor: NoiseFloor | None = None
    # A run with momentum at its noise floor: plain SGD's floor at the same rate (under a decaying schedule, the rate
    # reached) and batch size, where it is lower (momentum carries each step's noise on into the steps after it): the
    # level a run without momentum would hover at; under a decaying schedule, only where plain SGD's mean too arrives in
    # the steps the run trained (momentum also speeds the mean).
    floor_without_momentum: NoiseFloor | None = None


def run_limits(problem: Problem, config: TrainConfig) -> Limits:
    """The minibatch limit of ``config`` on ``problem``'s training rows, κ, and the same with standardisation."""
    settings = limit_settings(config)
    limit = minibatch_stability_limit(problem.train, config.batch_size, **settings)
    kappa = _condition_number(problem.quadratic.hessian, config.weight_decay)
    if problem.scaler is not None:
        return Limits(limit, kappa)
    try:
        scaled = Standardizer.fit(problem.raw_train).transform(problem.raw_train)
    except DataError:  # a constant column: standardisation is not an option
        return Limits(limit, kappa)
    scaled_limit = minibatch_stability_limit(scaled, config.batch_size, **settings)
    A = np.column_stack((scaled.X, np.ones(scaled.n_rows)))
    scaled_kappa = _condition_number(A.T @ A / scaled.n_rows, config.weight_decay)
    if scaled_limit.learning_rate >= SCALING_GAIN * limit.learning_rate or SCALING_GAIN * scaled_kappa <= kappa:
        return Limits(limit, kappa, scaled_limit, scaled_kappa)
    return Limits(limit, kappa)


def check_learning_rate(problem: Problem, config: TrainConfig, limits: Limits | None = None) -> RateCheck:
    """Place ``config.learning_rate`` against the limits (computed, unless ``limits`` is given)."""
    limits = run_limits(problem, config) if limits is None else limits
    rate, limit = config.learning_rate, limits.minibatch
    crossed = limit.crossed(rate)
    suggestions: list[Suggestion] = []
    if crossed != "none":
        suggestions += _rate_fixes(limits)
    return RateCheck(rate, limits, limit.ratio(rate), crossed,
                     crossed == "none" and limit.ratio(rate) > NEAR_LIMIT, tuple(suggestions))


def warn_before_training(problem: Problem, config: TrainConfig, limits: Limits | None = None) -> RateCheck | None:
    """The :class:`RateCheck` when the rate is above the minibatch limit (or near it), else None."""
    check = check_learning_rate(problem, config, limits)
    return check if check.crossed != "none" or check.near_limit else None


def outlook(problem: Problem, config: TrainConfig, limits: Limits | None = None) -> Outlook | None:
    """How many epochs a run of ``config`` needs to arrive, and, when more than are set, what would help (see
    :class:`Outlook`); None above the minibatch limit (:func:`warn_before_training` speaks there) or where the
    distance does not shrink."""
    limits = run_limits(problem, config) if limits is None else limits
    rate = config.learning_rate
    if limits.minibatch.crossed(rate) != "none":
        return None
    eigenvalues, eigenvectors = _spanned_directions(problem, config)
    per_step = contraction_factor(eigenvalues, rate, config.momentum, config.dampening, config.nesterov)
    if not 0 < per_step < 1:
        return None
    steps_per_epoch = config.steps_per_epoch(problem.train.n_rows)
    rng = np.random.default_rng(config.seed)  # the starting point sgdcore.train draws
    weights, bias = init_params(problem.train.n_features, rng, config.init, config.init_scale)
    penalised = config.weight_decay > 0 or config.l1_penalty > 0
    target = penalised_optimum(problem, config) if penalised else problem.optimum.params
    start = eigenvectors.T @ (np.append(weights, bias) - target)
    needed, noisy = None, None
    # With L1 at a constant rate, where its floor is known, the mean moves as plain SGD's does about the target.
    floor = _constant_rate_floor(problem, config, limits, target) if _hovers(config) else None
    if floor is not None and not _plain(config):
        needed, needed_from = _epochs_from(problem, config, eigenvalues, start, target, floor)
    else:
        followed = mean_epochs_from_start(config, eigenvalues, start, steps_per_epoch,
                                          _how_close(problem, target, floor))
        needed, needed_from = followed if followed is not None else (None, None)
        if needed is not None and needed <= config.epochs and config.schedule.kind != "constant":
            # A decaying rate's mean arrives: the noise at the rate it reaches by the end may keep the run away.
            within = ARRIVED * max(float(np.linalg.norm(target)), np.finfo(float).tiny)
            noisy = _noise_at_the_end(problem, config, limits, eigenvalues, within, steps_per_epoch)
    if needed is not None and needed <= config.epochs and needed_from in ("to_floor", "momentum_to_floor") \
            and config.schedule.kind == "constant":
        # Its mean arrives, but at this rate, which stays, the noise keeps the run further than ARRIVED.
        floor = _constant_rate_floor(problem, config, limits, target) if floor is None else floor
        within = ARRIVED * max(float(np.linalg.norm(target)), np.finfo(float).tiny)
        if floor is not None and _noise_keeps_away(floor, rate, eigenvalues, steps_per_epoch, within):
            return _kept_away_at_constant_rate(problem, config, per_step, needed, needed_from, floor, target,
                                               eigenvalues, start)
    if needed is None:  # L1 at a constant rate, or too long to follow: the flattest direction's factor, first rate
        needed, needed_from = math.log(1 / ARRIVED) / -math.log(per_step) / steps_per_epoch, "slowest"
    fixes = ()
    if needed > config.epochs:
        fixes = _speedups(problem, config, limits, eigenvalues, start, np.append(weights, bias),
                          config.epochs * steps_per_epoch, 0, needed)
        if math.isinf(needed):  # the rate decays before the run arrives
            fixes = (*fixes, Suggestion("schedule", "constant"))
    if noisy is not None:  # its mean arrives; the noise at the rate the schedule reaches keeps the run away
        fixes = (Suggestion("batch_size", min(problem.train.n_rows, 4 * config.batch_size)),) \
            if config.batch_size < problem.train.n_rows else ()
        plain = _schedule_without_momentum(problem, config, eigenvalues, start, within, *noisy,
                                           steps_per_epoch * config.epochs)
        if plain is not None:
            fixes = (*fixes, Suggestion("momentum", 0.0))
        return Outlook(config.epochs, per_step, needed, needed_from, fixes, noisy[1], noisy[0], plain)
    return Outlook(config.epochs, per_step, needed, needed_from, fixes)


def _noise_at_the_end(problem: Problem, config: TrainConfig, limits: Limits, eigenvalues: np.ndarray, within: float,
                      steps_per_epoch: int) -> tuple[float, NoiseFloor] | None:
    """The rate a decaying schedule has reached at a run's last step and the noise floor there, if that noise keeps
    SGD further than ``within`` (root mean square) from the optimum: by a margin of 10 in mean square where an epoch
    is shorter than ten times ``1/(η·λ_min)`` steps, as reshuffling each epoch may then end it a few times below the
    floor (:class:`sgdcore.NoiseFloor`); else None. A decaying rate's noise lags behind its floor, above it."""
    as_trained = _as_trained(config, steps_per_epoch)
    rate = float(config.learning_rate * as_trained.schedule(steps_per_epoch * config.epochs - 1))
    if not 0 < rate < limits.minibatch.learning_rate or not len(eigenvalues):
        return None
    floor = noise_floor(problem.train, rate, config.batch_size, **limit_settings(config, l1=False))
    if floor is None:
        return None
    return (rate, floor) if _noise_keeps_away(floor, rate, eigenvalues, steps_per_epoch, within) else None


def _schedule_without_momentum(problem: Problem, config: TrainConfig, eigenvalues: np.ndarray, start: np.ndarray,
                               within: float, rate: float, floor: NoiseFloor, steps: int) -> NoiseFloor | None:
    """Plain SGD's noise floor at ``rate``, the one a decaying schedule reaches at a run's last step, where the run has
    momentum, that floor is lower than its ``floor``, and plain SGD's mean from ``start`` still comes within ``within``
    under the same schedule in the run's ``steps``; None otherwise, and where following that mean is more work than
    :data:`HORIZON_WORK`. Momentum also speeds the mean: at batch size 1 and rate 0.0003 on the default data with
    noise 3, halved every 5 epochs, runs of 3 epochs end 1.9% away with momentum 0.9 and 48% away without it."""
    steps_per_epoch = config.steps_per_epoch(problem.train.n_rows)
    if config.momentum == 0 or steps * len(eigenvalues) > HORIZON_WORK:
        return None
    plain = _floor_without_momentum(problem, replace(config, learning_rate=rate), floor)
    if plain is None:
        return None
    arrives = _plain_mean_square(_as_trained(config, steps_per_epoch), eigenvalues, start, steps) <= within**2
    return plain if arrives else None


def _noise_keeps_away(floor: NoiseFloor, rate: float, eigenvalues: np.ndarray, steps_per_epoch: int,
                      within: float) -> bool:
    """Whether the noise ``floor`` at ``rate`` keeps SGD further than ``within`` (root mean square) from its target:
    by a margin of 10 in mean square where an epoch is shorter than ten times ``1/(η·λ_min)`` steps, as reshuffling
    each epoch may then end it a few times below the floor (:class:`sgdcore.NoiseFloor`)."""
    margin = 1.0 if steps_per_epoch * rate * float(eigenvalues[0]) >= 10 else 10.0
    return floor.mean_square_distance > margin * within**2


def _kept_away_at_constant_rate(problem: Problem, config: TrainConfig, per_step: float, needed: float,
                                needed_from: str, floor: NoiseFloor, target: np.ndarray, eigenvalues: np.ndarray,
                                start: np.ndarray) -> Outlook:
    """The outlook of a run at a constant rate whose mean arrives in the epochs set while the noise ``floor`` keeps
    it further: what goes further, as the noise-floor verdict after it says (a decaying schedule, a larger batch,
    and less momentum where plain SGD, in the epochs set, ends closer)."""
    steps = config.epochs * config.steps_per_epoch(problem.train.n_rows)
    fixes, plain = _floor_fixes(problem, config, floor, target, eigenvalues, start, steps)
    return Outlook(config.epochs, per_step, needed, needed_from, fixes, floor, config.learning_rate, plain)


def _floor_fixes(problem: Problem, config: TrainConfig, floor: NoiseFloor, target: np.ndarray,
                 eigenvalues: np.ndarray, start: np.ndarray,
                 steps: int) -> tuple[tuple[Suggestion, ...], NoiseFloor | None]:
    """What takes a run at a constant rate below its noise ``floor`` (a decaying schedule, a larger batch, and less
    momentum where plain SGD's floor at this rate is lower and a run of it from ``start``, components along the
    Hessian's directions, ends closer in ``steps``), and that floor of plain SGD (None where it is not named).

    Momentum also speeds the mean: at batch size 1 and rate 0.0003 on the default data with noise 1, runs of 3
    epochs with momentum 0.99 end 1.7–5.9% away at its floor, and without momentum 48% away, their mean not half
    way there. Plain SGD's expected mean square distance at the end (:func:`sgdcore.expected_run`: its noise builds
    up along the way, and is larger far from the optimum than at it), held against the floor's spread of the run with
    momentum; with L1 or data too large for that, its mean's plus its floor's spread."""
    fixes = [Suggestion("schedule", "inverse_scaling")]
    if config.batch_size < problem.train.n_rows:
        fixes.append(Suggestion("batch_size", min(problem.train.n_rows, 4 * config.batch_size)))
    plain = _floor_without_momentum(problem, config, floor, _floor_settings(config, target))
    if plain is not None:
        run = None
        if config.l1_penalty == 0:
            _, spanned = _spanned_directions(problem, config)
            run = expected_run(problem.train, target + spanned @ start, steps, config.learning_rate, config.batch_size,
                               **{**limit_settings(config, l1=False), "momentum": 0.0, "dampening": 0.0,
                                  "nesterov": False})
        if run is not None:
            distance = run.mean_square_distance
        else:
            mean = mean_error_after(eigenvalues, start, steps, config.learning_rate)
            distance = float(mean @ mean) + plain.mean_square_distance
        if distance < floor.mean_square_distance:
            fixes.append(Suggestion("momentum", 0.0))
        else:
            plain = None
    return tuple(fixes), plain


def _plain(config: TrainConfig) -> bool:
    """Plain SGD at a constant rate, whose mean follows full-batch descent direction by direction."""
    return config.momentum == 0 and config.schedule.constant_rate and config.l1_penalty == 0


def _hovers(config: TrainConfig) -> bool:
    """Plain SGD at a constant rate, an L1 penalty or not: it hovers about its target, at its noise floor."""
    return config.momentum == 0 and config.schedule.constant_rate


def _mean_followed(config: TrainConfig) -> bool:
    """Whether a run's mean is followed step by step at its schedule's rates to tell the epochs it needs: without L1;
    with L1 too under a decaying schedule, about the penalised optimum, where the push ``η_t·l1`` on a weight that
    keeps its sign is a constant share of each step that the loss's gradient there balances. A rate measured over the
    run, or the flattest direction's factor at the first rate, knows nothing of a decaying rate: under a decay by 0.7
    an epoch on the default data, the first puts the run 9 epochs from arriving, and its rates die out 10% away."""
    return config.l1_penalty == 0 or config.schedule.kind != "constant"


def _spanned_directions(problem: Problem, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """The Hessian's eigenvalues and eigenvectors (weight decay's included) along the directions the data span:
    along a duplicated or constant column every point is optimal and SGD never moves."""
    p = len(problem.quadratic.linear)
    eigenvalues, eigenvectors = np.linalg.eigh(problem.quadratic.hessian + config.weight_decay * _decay_mask(p))
    spanned = eigenvalues > NULL_TOLERANCE * max(eigenvalues[-1], 0.0)
    return eigenvalues[spanned], eigenvectors[:, spanned]


def _epochs_from(problem: Problem, config: TrainConfig, eigenvalues: np.ndarray, error: np.ndarray,
                 target: np.ndarray, floor: NoiseFloor | None) -> tuple[float, Literal["error", "to_floor"]]:
    """The epochs plain SGD at a constant rate needs from ``error`` (its components along the Hessian's directions):
    its mean follows full-batch descent, each direction shrinking by its own factor (a rate measured over a few epochs
    is the steep directions', which are gone soon after), and its noise keeps it about the floor's mean square
    distance from that mean. ``"error"``: to come within :data:`ARRIVED` of ``target``, what the noise leaves
    room for; ``"to_floor"``, where the noise alone keeps it further: for the mean to come within the noise's spread,
    where the run is at its noise floor (:func:`_at_noise_floor`)."""
    within, words = _within(problem, config, target, ("error", "to_floor"), floor)
    return epochs_to_arrive(eigenvalues, error, config.learning_rate, config.steps_per_epoch(problem.train.n_rows),
                            within), words


def mean_epochs_needed(config: TrainConfig, progress: Progress, eigenvalues: np.ndarray, error: np.ndarray,
                       start: np.ndarray, velocity: np.ndarray | None, steps_per_epoch: int,
                       within: Callable[[TrainConfig, tuple[str, str]], tuple[float, str]],
                       ) -> tuple[float | None, str | None] | None:
    """The epochs a run still needs for its mean to arrive, followed from where it stands, and how they were found
    (:attr:`Diagnosis.epochs_needed_from`); None where its mean is not followed (L1 at a constant rate, or momentum
    too long to follow at a constant rate): a rate measured over the run is all there is then.

    ``error``, ``start`` and ``velocity`` are the run's error now, its first error and its velocity, along the
    directions of the Hessian whose ``eigenvalues`` are given; ``within(config, words)`` is how close the mean must
    come and which of ``words`` says so (:func:`_within`, which leaves the noise floor its room). Plain SGD at a
    constant rate: each direction by its own factor (:func:`epochs_to_arrive`; to the floor, from the run's start).
    A decaying schedule: at the rates it goes on to give. Momentum: each direction's error and velocity together. A
    cosine down to 0 too soon: the epochs of a fresh run, its cosine over all of them."""
    if not _mean_followed(config):
        return None
    if _plain(config):
        distance, words = within(config, ("error", "to_floor"))
        origin, done = (error, 0.0) if words == "error" else (start, progress.epoch)  # the floor: from the start
        needed = epochs_to_arrive(eigenvalues, origin, config.learning_rate, steps_per_epoch, distance)
        return max(needed - done, 0.0), words
    as_trained = _as_trained(config, progress.steps_per_epoch)
    fresh_run = _whole_run_cosine(config)
    if config.momentum == 0:
        distance, words = within(config, ("schedule", "to_floor"))
        total = _epochs_with_schedule(eigenvalues, error, as_trained, progress.step, progress.steps_per_epoch, distance)

        def fresh() -> float | None:
            return _epochs_with_schedule(eigenvalues, start, fresh_run, 0, progress.steps_per_epoch, distance)
    else:
        distance, words = within(as_trained, ("momentum", "momentum_to_floor"))
        constant = as_trained.schedule.kind == "constant"
        total = _momentum_mean_arrives(as_trained, eigenvalues, error, velocity, progress.step, steps_per_epoch,
                                       distance, constant)
        if total is None and config.schedule.constant_rate:
            return None

        def fresh() -> float | None:
            return _momentum_mean_arrives(fresh_run, eigenvalues, start, np.zeros_like(start), 0, steps_per_epoch,
                                          distance, False)
    if total is None:
        return None, None
    if _cosine_to_zero(as_trained) and math.isinf(total):
        # Longer than the period trained: a fresh run of that length would be this run again. A cosine goes on over
        # the period it was trained with (the whole run as planned: Step keeps it), not over a longer run's: its rate
        # is 0 once that period is over, and if that is too soon, only a fresh run, its cosine over more epochs, helps.
        epochs = fresh()
        if epochs is not None and math.isfinite(epochs) and \
                epochs * progress.steps_per_epoch > as_trained.schedule.period_steps:
            return epochs, "fresh_run"
    return total - progress.epoch, words


def mean_epochs_from_start(config: TrainConfig, eigenvalues: np.ndarray, start: np.ndarray, steps_per_epoch: int,
                           within: Callable[[TrainConfig, tuple[str, str]], tuple[float, str]],
                           ) -> tuple[float | None, str] | None:
    """The epochs a run of ``config`` needs for its mean to arrive from ``start`` (its first error along the
    directions of the Hessian whose ``eigenvalues`` are given), and how they were found
    (:attr:`Outlook.epochs_needed_from`); ``within(config, words)`` is how close the mean must come and which of
    ``words`` says so (:func:`_within`, which leaves the noise floor its room). Plain SGD at a constant rate: each
    direction by its own factor; a schedule: at the rates it gives a run of that many epochs (a cosine over all of
    them; ``inf`` when the rate decays first); momentum: each direction's error and velocity together. None where the
    mean is not followed (L1 at a constant rate); the count None where following it is more work than allowed."""
    if not _mean_followed(config):
        return None
    if _plain(config):
        distance, words = within(config, ("error", "to_floor"))
        return epochs_to_arrive(eigenvalues, start, config.learning_rate, steps_per_epoch, distance), words
    if config.momentum == 0:
        distance, words = within(config, ("schedule", "to_floor"))
        return _epochs_with_schedule(eigenvalues, start, config, 0, steps_per_epoch, distance), words
    distance, words = within(config, ("momentum", "momentum_to_floor"))
    return _momentum_mean_arrives(config, eigenvalues, start, np.zeros_like(start), 0, steps_per_epoch, distance,
                                  config.schedule.kind == "constant"), words


def diagnose(problem: Problem, config: TrainConfig, progress: Progress, limits: Limits | None = None) -> Diagnosis:
    """Judge a run that ended (finished, converged, stopped or diverged); see the module docstring."""
    limits = run_limits(problem, config) if limits is None else limits
    rate = config.learning_rate
    base = dict(status=progress.status, learning_rate=rate, limits=limits, ratio=limits.minibatch.ratio(rate),
                crossed=limits.minibatch.crossed(rate), diverged_at_step=progress.diverged_at_step)
    penalised = config.weight_decay > 0 or config.l1_penalty > 0
    if progress.status == "diverged":
        return Diagnosis("diverged", **base, target="penalised_optimum" if penalised else "closed_form",
                         penalty_shifts_optimum=False, relative_distance=None, loss_gap=None, train_r2=None,
                         sign_flips=(), floor=None, floor_ratio=None, contraction_per_epoch=None,
                         predicted_contraction_per_epoch=None, epochs_needed=None, oscillation=None,
                         suggestions=_rate_fixes(limits))

    params = np.append(progress.weights, progress.bias)
    quadratic, closed = problem.quadratic, problem.optimum.params
    target = penalised_optimum(problem, config) if penalised else closed
    scale = max(float(np.linalg.norm(target)), np.finfo(float).tiny)
    eigenvalues, spanned = _spanned_directions(problem, config)
    error = spanned.T @ (params - target)  # the error along each direction that matters
    first = np.asarray(progress.trajectory[0], dtype=np.float64)  # where the run started
    start = spanned.T @ (first - target)  # its first error, likewise
    distance = float(np.linalg.norm(error))
    relative = distance / scale
    target_loss = float(quadratic.loss(target))
    # The objective SGD minimises, from its minimum: the training loss alone has a slope at a penalised optimum,
    # so a run near it may end below that optimum's loss. Below 0 only by the L1 solver's tolerance.
    gap = max(objective(problem, config, params) - objective(problem, config, target), 0.0)
    comparison = problem.compare(progress.weights, progress.bias)
    flips = tuple(name for name, a, b in zip(comparison.names[:-1], comparison.sgd, comparison.closed_form,
                                             strict=False) if a * b < 0)
    constant = config.schedule.constant_rate
    floor = _constant_rate_floor(problem, config, limits, target) if constant else None
    if penalised:  # the objective's gap at the trajectory's points: the training loss's has a slope at the target
        along = (np.asarray(progress.trajectory_steps), objective(problem, config, progress.trajectory))
        level = objective(problem, config, target) + (floor.excess_objective if floor else 0.0)
        measured, needed, predicted = contraction(progress, level, relative, eigenvalues, config, along)
    else:
        measured, needed, predicted = contraction(progress, target_loss + (floor.excess_loss if floor else 0.0),
                                                   relative, eigenvalues, config)
    needed_from = "measured" if measured is not None else "predicted"
    followed = None if relative <= ARRIVED else mean_epochs_needed(
        config, progress, eigenvalues, error, start, spanned.T @ progress.state.velocity if config.momentum else None,
        config.steps_per_epoch(problem.train.n_rows), _how_close(problem, target, floor))
    if followed is not None:
        needed, needed_from = followed
    if config.l1_penalty > 0 and floor is not None and floor.mean_square_distance > (ARRIVED * scale) ** 2:
        needed, needed_from = None, None  # the noise alone keeps it further than ARRIVED: no count of epochs arrives
    details = dict(
        target="penalised_optimum" if penalised else "closed_form",
        penalty_shifts_optimum=bool(penalised and np.linalg.norm(target - closed) > ARRIVED * np.linalg.norm(closed)),
        relative_distance=relative, loss_gap=gap, train_r2=comparison.train_r2_sgd, sign_flips=flips, floor=floor,
        floor_ratio=gap / floor.excess_objective if floor and floor.excess_objective > 0 else None,
        contraction_per_epoch=measured, predicted_contraction_per_epoch=predicted, epochs_needed=needed,
        epochs_needed_from=needed_from, measured_gap="objective" if penalised else "loss",
    )
    final_rate = progress.learning_rate

    oscillation = _l1_oscillation(problem, config, target, progress)
    # Near the limit the steepest direction swings only where the mean does (ηλ_max > 1 for plain SGD): below that
    # rate a run near a minibatch limit is kept away by its noise, which the noise-floor verdict is about.
    # It is the swing that keeps the run away only where the error along the swinging directions is itself more
    # than ARRIVED: on the diabetes data (κ = 57,600) at 1.9, near the full-batch limit, those end within 1e-3 of
    # their optimum while the flattest directions, slow for κ, hold the run 80% away.
    swinging = np.array([final_rate > no_swing_limit(float(value), config.momentum, config.dampening, config.nesterov)
                         for value in eigenvalues], dtype=bool)
    swings = bool(swinging.any()) and float(np.linalg.norm(error[swinging])) > ARRIVED * scale
    if oscillation is None and relative > ARRIVED and limits.minibatch.ratio(final_rate) > NEAR_LIMIT and swings:
        oscillation = Oscillation("rate_near_limit", distance, (), swing_of(progress, problem.names, ()))
    if oscillation is not None:
        fixes = (Suggestion("l1_penalty", round_down(ARRIVED * scale / final_rate)),
                 Suggestion("schedule", "inverse_scaling")) if oscillation.cause == "l1_penalty" else (
            Suggestion("learning_rate", round_down(0.5 * limits.minibatch.learning_rate)),)
        return Diagnosis("oscillating", **base, **details, oscillation=oscillation, suggestions=fixes)

    if relative <= ARRIVED and not comparison.train_r2_sgd < 0:  # an undefined R² (NaN) is not below 0
        return Diagnosis("at_optimum", **base, **details, oscillation=None, suggestions=())
    if constant and limits.minibatch.crossed(final_rate) == "minibatch" and relative > ARRIVED and np.linalg.norm(
            mean_error_after(eigenvalues, start, progress.step, final_rate, config.momentum, config.dampening,
                             config.nesterov)) <= ARRIVED * scale:
        # Above the limit for its batch size (below the full batch's) the mean arrives, but the noise about it has no
        # level it settles at (for independent batches its mean square grows from step to step): where the run ends
        # is the noise's doing, and more epochs do not bring it closer (batch size 1 at 0.5, 1.15× the limit, seed 1,
        # 10 to 15 epochs: 10.5%, 1.45%, 0.16%, 0.68%, 0.73%, 0.27% away).
        details.update(epochs_needed=None, epochs_needed_from="above_limit")
        return Diagnosis("far_from_optimum", **base, **details, oscillation=None, suggestions=_rate_fixes(limits))
    if not constant and config.l1_penalty == 0 and relative > ARRIVED:
        # A decaying schedule's noise fades only as fast as its rate does: at batch size 1 and a rate halved every 68
        # epochs, runs end 6.5–7.7% away at every epoch from 3 to 10 while their mean is within 1% after 3. The floor
        # at the rate reached tells noise from slowness, as a constant rate's does.
        slow = _schedule_floor(problem, config, limits, eigenvalues, start, distance, progress)
        if slow is not None:
            now, floor_now, halves_after, half_floor = slow
            fixes = []
            if config.batch_size < problem.train.n_rows:
                fixes.append(Suggestion("batch_size", min(problem.train.n_rows, 4 * config.batch_size)))
            plain = _schedule_without_momentum(problem, config, eigenvalues, start, ARRIVED * scale, now, floor_now,
                                               progress.step)
            if plain is not None:
                fixes.append(Suggestion("momentum", 0.0))
            details.update(floor=floor_now, floor_ratio=gap / floor_now.excess_objective
                           if floor_now.excess_objective > 0 else None, epochs_needed=None, epochs_needed_from=None)
            return Diagnosis("noise_floor", **base, **details, oscillation=None, suggestions=tuple(fixes),
                             floor_rate=now, rate_halves_after=halves_after, half_rate_floor=half_floor,
                             floor_without_momentum=plain)
    if floor is not None and _at_noise_floor(eigenvalues, start, distance, progress.step, config, floor):
        fixes, plain = _floor_fixes(problem, config, floor, target, eigenvalues, start, progress.step)
        return Diagnosis("noise_floor", **base, **details, oscillation=None, suggestions=fixes,
                         floor_without_momentum=plain)
    if needed_from == "fresh_run":  # the epochs of a fresh run, not more of this one
        fixes = (*_speedups(problem, config, limits, eigenvalues, start, first, progress.step, progress.epoch, None),
                 Suggestion("epochs", math.ceil(needed)))
    else:
        fixes = _speedups(problem, config, limits, eigenvalues, start, first, progress.step, progress.epoch, needed)
    if not constant and needed_from in ("schedule", "momentum") and math.isinf(needed):  # the rate decays first
        fixes = (*fixes, Suggestion("schedule", "constant"))
    if progress.status == "converged":  # the early-stopping rule stopped it far away: more epochs would stop alike
        fixes = (Suggestion("early_stopping", False), *fixes)
    return Diagnosis("far_from_optimum", **base, **details, oscillation=None, suggestions=fixes)


def _as_trained(config: TrainConfig, steps_per_epoch: int) -> TrainConfig:
    """``config`` with a cosine's period filled in as :func:`sgdcore.train` fills it: the whole run as planned."""
    return replace(config, schedule=config.schedule.over(steps_per_epoch * config.epochs))


def _whole_run_cosine(config: TrainConfig) -> TrainConfig:
    """``config`` with its cosine over the whole of a fresh run, however long (the period a fresh run fills in)."""
    return replace(config, schedule=replace(config.schedule, period_steps=None))


def _cosine_to_zero(config: TrainConfig) -> bool:
    """Whether ``config``'s schedule is a cosine down to 0: after its period every step is at rate 0 and moves
    nothing."""
    return config.schedule.kind == "cosine" and config.schedule.min_factor == 0


def _schedule_floor(problem: Problem, config: TrainConfig, limits: Limits, eigenvalues: np.ndarray,
                    start: np.ndarray, distance: float,
                    progress: Progress) -> tuple[float, NoiseFloor, int | None, NoiseFloor | None] | None:
    """Whether minibatch noise, not the steps, keeps a run under a decaying schedule ``distance`` from the optimum, as
    :func:`_at_noise_floor` tells it at a constant rate: its mean (plain SGD's each direction multiplied by
    ``1 − η_t·λ`` at each step's rate; with momentum, each direction's error and velocity together, at the end of the
    epochs it has trained) has come within the root-mean-square spread of the noise floor at the rate the
    schedule has reached, and the run within three times that spread. If so: that rate, its floor, the epochs after
    which the schedule has halved it (None if not within :data:`HORIZON_EPOCHS`) and the floor at half of it; else
    None. A slowly decaying rate's noise follows the floor of its rate of the moment (the floor is reached in about
    ``1/(η·λ_min)`` steps)."""
    steps_per_epoch = progress.steps_per_epoch
    as_trained = _as_trained(config, steps_per_epoch)
    now = float(config.learning_rate * as_trained.schedule(max(progress.step - 1, 0)))  # of the last step trained
    work = progress.step * len(eigenvalues)
    if not 0 < now < limits.minibatch.learning_rate or work > (MOMENTUM_WORK if config.momentum else HORIZON_WORK) or \
            (config.momentum and progress.step % steps_per_epoch):
        return None
    settings = limit_settings(config, l1=False)
    floor = noise_floor(problem.train, now, config.batch_size, **settings)
    if floor is None:
        return None
    if config.momentum:
        epochs = progress.step // steps_per_epoch
        *_, (_, errors) = _momentum_means(as_trained, eigenvalues, start, np.zeros_like(start), 0, steps_per_epoch,
                                          epochs)
        mean_square = float(errors[-1] @ errors[-1])
    else:
        mean_square = _plain_mean_square(as_trained, eigenvalues, start, progress.step)
    spread = floor.mean_square_distance
    if not (mean_square <= spread and distance**2 <= 9.0 * spread):
        return None
    ahead = progress.step + steps_per_epoch * np.arange(1, HORIZON_EPOCHS + 1)
    halved = np.flatnonzero(config.learning_rate * as_trained.schedule(ahead) <= 0.5 * now)
    if not len(halved):
        return now, floor, None, None
    return now, floor, int(halved[0]) + 1, noise_floor(problem.train, 0.5 * now, config.batch_size, **settings)


def _plain_mean_square(config: TrainConfig, eigenvalues: np.ndarray, start: np.ndarray, steps: int) -> float:
    """The squared distance of plain SGD's mean from its target after the first ``steps`` steps of a run of ``config``
    (its schedule as trained, :func:`_as_trained`), from ``start`` (components along the Hessian's directions): each
    direction multiplied by ``1 − η_t·λ`` at each step's rate."""
    lam, logs = np.asarray(eigenvalues, dtype=np.float64), np.zeros(len(eigenvalues))
    for begin in range(0, steps, 1 << 16):
        rates = config.learning_rate * config.schedule(np.arange(begin, min(begin + (1 << 16), steps)))
        with np.errstate(divide="ignore"):  # a factor of 0 (a rate of exactly 1/λ) clears its direction: log −∞
            logs += np.sum(np.log(np.abs(1.0 - rates[:, None] * lam)), axis=0)
    return float(np.exp(2.0 * logs) @ np.asarray(start, dtype=np.float64) ** 2)


def limit_settings(config: TrainConfig, l1: bool = True) -> dict:
    """What the stability limit (:func:`sgdcore.minibatch_stability_limit`) and, without ``l1``, the noise floor
    (:func:`sgdcore.noise_floor`) of a run of ``config`` depend on besides the data, the batch size and the rate, as
    their keyword arguments."""
    settings = dict(momentum=config.momentum, dampening=config.dampening, nesterov=config.nesterov,
                    weight_decay=config.weight_decay, drop_last=config.drop_last,
                    replacement=config.shuffle == "replacement",
                    block_size=config.block_size if config.shuffle == "blocks" else None)
    return {**settings, "l1_penalty": config.l1_penalty} if l1 else settings


def _decay_mask(p: int) -> np.ndarray:
    return np.diag(np.r_[np.ones(p - 1), 0.0])


def _condition_number(hessian: np.ndarray, weight_decay: float) -> float:
    eigenvalues = np.linalg.eigvalsh(hessian + weight_decay * _decay_mask(len(hessian)))
    tiny = eigenvalues[-1] * np.finfo(np.float64).eps * len(eigenvalues)
    return float(eigenvalues[-1] / eigenvalues[0]) if eigenvalues[0] > tiny else math.inf


def objective(problem: Problem, config: TrainConfig, params: np.ndarray) -> float | np.ndarray:
    """What SGD with ``config``'s penalties minimises, at ``params`` (weights, then bias; one, shape ``(d+1,)``, or
    many, shape ``(..., d+1)``): the training loss ``½·mean(r²)`` plus ``weight_decay/2·‖w‖² + l1_penalty·‖w‖₁``
    (bias free); without penalties, the loss."""
    params = np.asarray(params, dtype=np.float64)
    weights = params[..., :-1]
    value = (problem.quadratic.loss(params) + 0.5 * config.weight_decay * np.sum(weights**2, axis=-1)
             + config.l1_penalty * np.sum(np.abs(weights), axis=-1))
    return float(value) if np.ndim(value) == 0 else value


def penalised_optimum(problem: Problem, config: TrainConfig) -> np.ndarray:
    """The parameters (weights, then bias) SGD with ``config``'s penalties heads for: the minimum of
    ``½·mean(r²) + weight_decay/2·‖w‖² + l1_penalty·‖w‖₁`` (bias free).

    Without L1 a linear solve; with it scikit-learn's ``ElasticNet``, whose objective is this one
    with ``alpha = l1 + weight_decay`` and ``l1_ratio = l1 / alpha``.
    """
    quadratic, p = problem.quadratic, len(problem.quadratic.linear)
    if config.l1_penalty == 0:
        return minimiser(quadratic.hessian + config.weight_decay * _decay_mask(p), quadratic.linear)
    from sklearn.linear_model import ElasticNet  # imported here, as in sgdcore.reference.closed_form()

    alpha = config.l1_penalty + config.weight_decay
    model = ElasticNet(alpha=alpha, l1_ratio=config.l1_penalty / alpha, tol=1e-10, max_iter=100_000)
    model.fit(problem.train.X, problem.train.y)
    return np.append(model.coef_, model.intercept_)


def carried_across_zero(problem: Problem, config: TrainConfig, optimum: np.ndarray,
                        learning_rate: float) -> tuple[tuple[str, float], ...]:
    """The weights (name, value) of the penalised ``optimum`` (weights, then bias) that ``config``'s L1 penalty keeps
    swinging across 0 and back at ``learning_rate``, instead of settling: each step moves every weight the push
    ``η·l1`` towards 0, which carries a weight the optimum holds at 0 across it, the push turns, and so on. With
    minibatch noise, so too a weight within the push of 0: the noise moves it off its optimum, and across 0 the push
    turns. Without noise (every row in every step, drawn without replacement) a weight the optimum holds off 0 is
    held there, the loss's gradient matching the push (L1 2, rate 0.5 and the full batch on the default data hold
    x1 at 0.169, under the push of 1)."""
    push = learning_rate * config.l1_penalty
    noiseless = config.batch_size >= problem.train.n_rows and config.shuffle != "replacement"
    return tuple((name, float(weight)) for name, weight in zip(problem.names[:-1], optimum[:-1], strict=True)
                 if (weight == 0 if noiseless else abs(weight) <= push)) if push > 0 else ()


def swing_of(progress: Progress, names: tuple[str, ...], chosen: tuple[str, ...]) -> float:
    """Half the widest range of the ``chosen`` parameters (all if none) over the last quarter of the trajectory."""
    trajectory = np.asarray(progress.trajectory)
    last = trajectory[len(trajectory) - max(2, len(trajectory) // 4):]
    columns = [names.index(name) for name in chosen] or list(range(len(names)))
    return float(np.max(np.ptp(last[:, columns], axis=0)) / 2) if len(last) >= 2 else 0.0


def _l1_oscillation(problem: Problem, config: TrainConfig, target: np.ndarray,
                    progress: Progress) -> Oscillation | None:
    """An L1 penalty moves every weight by ``η·l1·sign(w)``: weights the optimum holds at (or within that
    of) zero cross zero back and forth. It matters when that swing is more than 1% of the parameters' size."""
    swing = progress.learning_rate * config.l1_penalty
    scale = float(np.linalg.norm(target))
    if config.l1_penalty == 0 or swing <= ARRIVED * max(scale, np.finfo(float).tiny):
        return None
    bouncing = tuple(name for name, _ in carried_across_zero(problem, config, target, progress.learning_rate))
    return Oscillation("l1_penalty", swing, bouncing, swing_of(progress, problem.names, bouncing)) if bouncing else None


def epochs_to_arrive(eigenvalues: np.ndarray, error: np.ndarray, learning_rate: float, steps_per_epoch: int,
                     within: float) -> float:
    """Epochs that full-batch descent at ``learning_rate`` takes to bring an ``error`` (its components along the
    eigenvectors of the Hessian whose ``eigenvalues`` are given) within the distance ``within``: each component is
    multiplied by ``1 − ηλ`` a step (:func:`sgdcore.analysis.mean_error_after`), and SGD's mean error follows the
    same. ``inf`` when a component does not shrink."""

    def distance_squared(steps: int) -> float:
        return float(np.sum(mean_error_after(eigenvalues, error, steps, learning_rate) ** 2))

    if distance_squared(0) <= within**2:
        return 0.0
    factors = np.abs(1 - learning_rate * np.asarray(eigenvalues, dtype=np.float64))
    if np.any((factors >= 1) & (np.asarray(error) != 0)):
        return math.inf
    low, high = 0, 1  # the distance falls with every step: double, then halve the bracket
    while distance_squared(high) > within**2:
        low, high = high, 2 * high
        if high > 1e15:
            return math.inf
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if distance_squared(middle) > within**2 else (low, middle)
    return high / steps_per_epoch


def contraction(progress: Progress, floor_loss: float, relative: float, eigenvalues: np.ndarray,
                 config: TrainConfig, along: tuple[np.ndarray, np.ndarray] | None = None,
                 ) -> tuple[float | None, float | None, float | None]:
    """Measured and predicted factors by which the loss gap shrinks per epoch, and the epochs still needed.

    Measured: a line through ``log(L_k − L_floor)`` over the last half of the epochs (None with fewer than
    two epochs above the floor); or, given ``along`` (steps, and the values there of what to measure instead:
    the penalised objective at the trajectory's points), through ``log(value − floor_loss)`` over the last half
    of those steps, per epoch of the run's batch size. Needed: the epochs at that rate (the predicted one if none
    was measured) to bring the distance to :data:`ARRIVED` (the gap falls as the distance squared); ``inf`` when
    the loss no longer falls.
    Predicted: the full-batch contraction :func:`sgdcore.analysis.contraction_factor`, squared, per step.
    """
    per_step = contraction_factor(np.maximum(eigenvalues, 0.0), progress.learning_rate, config.momentum,
                                  config.dampening, config.nesterov)
    predicted = per_step ** (2 * progress.steps_per_epoch)
    if along is None:
        losses = np.asarray(progress.epoch_train_loss, dtype=np.float64)
        tail = losses[len(losses) // 2:] - floor_loss
        epochs = np.arange(len(losses))[len(losses) // 2:]
    else:
        steps, values = (np.asarray(column, dtype=np.float64) for column in along)
        later = steps >= steps[-1] / 2
        tail, epochs = values[later] - floor_loss, steps[later] / progress.steps_per_epoch
    usable = np.isfinite(tail) & (tail > 0)
    measured = None
    if usable.sum() >= 2:
        measured = math.exp(float(np.polyfit(epochs[usable], np.log(tail[usable]), 1)[0]))
    if relative <= ARRIVED:
        return measured, 0.0, predicted
    rate = measured if measured is not None else predicted  # too few epochs to measure: the theory's rate
    if not rate > 0:  # a contraction of 0 (an exact solve in one step) or NaN: no estimate
        return measured, None, predicted
    slope = math.log(rate)
    needed = math.log((relative / ARRIVED) ** 2) / -slope if slope < 0 else math.inf
    return measured, needed, predicted


def _epochs_with_schedule(eigenvalues: np.ndarray, error: np.ndarray, config: TrainConfig, step: int,
                          steps_per_epoch: int, within: float) -> float | None:
    """The epochs in all after which plain SGD's mean, from ``error`` at ``step`` (components along the Hessian's
    directions), comes within ``within``, each direction multiplied by ``1 − η_t·λ`` at step ``t``, at the rates
    ``config``'s schedule gives the run when it has that many epochs (a cosine's length is the run's). ``inf`` when it
    would not within :data:`HORIZON_EPOCHS` (a rate that decays too fast: the steps it has left add up to too little
    to cross the flat directions); None when that is more work to tell than :data:`HORIZON_WORK`."""
    lam, squares = np.asarray(eigenvalues, dtype=np.float64), np.asarray(error, dtype=np.float64) ** 2
    if squares.sum() <= within**2:
        return step / steps_per_epoch
    if HORIZON_EPOCHS * steps_per_epoch * len(lam) > HORIZON_WORK:
        return None
    block = max(1, (1 << 16) // steps_per_epoch)  # epochs at a time: a bounded array of steps × directions
    first = step // steps_per_epoch + 1

    def blocks(epochs: int) -> Iterator[tuple[int, np.ndarray]]:
        """For a run of ``epochs`` epochs, the logarithm of each direction's factor from ``step`` to the end of each
        epoch, a block of epochs at a time: (the block's first epoch, one row per epoch)."""
        schedule = config.schedule.over(steps_per_epoch * epochs)
        total, position = np.zeros_like(lam), step
        for begin in range(first, epochs + 1, block):
            end = min(begin + block - 1, epochs)
            rates = config.learning_rate * schedule(np.arange(position, end * steps_per_epoch))
            running = total + np.cumsum(np.log(np.abs(1.0 - rates[:, None] * lam)), axis=0)
            yield begin, running[np.arange(begin, end + 1) * steps_per_epoch - position - 1]
            total, position = running[-1], end * steps_per_epoch

    def distance_squared(logs: np.ndarray) -> np.ndarray:
        return np.exp(2.0 * logs) @ squares

    if config.schedule.set_by_length:  # each length its own rates
        def arrives(epochs: int) -> bool:
            *_, (_, logs) = blocks(epochs)
            return bool(distance_squared(logs[-1]) <= within**2)

        low, high = first - 1, first  # double, then halve the bracket: the work is the answer's, not the horizon's
        while not arrives(high):
            if high >= HORIZON_EPOCHS:
                return math.inf
            low, high = high, min(2 * high, HORIZON_EPOCHS)
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (low, middle) if arrives(middle) else (middle, high)
        return float(high)
    before = squares.sum()
    for begin, logs in blocks(HORIZON_EPOCHS):
        distances = distance_squared(logs)
        arrived = np.flatnonzero(distances <= within**2)
        if len(arrived):
            return float(begin + arrived[0])
        if distances[-1] >= before * (1 - 1e-12):  # the rate has decayed to nothing: no block will get it closer
            return math.inf
        before = distances[-1]
    return math.inf


def _within(problem: Problem, config: TrainConfig, target: np.ndarray, words: tuple[str, str],
            floor: NoiseFloor | None = None) -> tuple[float, str]:
    """How close a run's mean must come to ``target``, and which of ``words`` says so: within :data:`ARRIVED` of it;
    where the rate ends constant (after a warm-up too), less the noise floor's spread (``floor``, computed unless
    given), or, where the noise alone keeps the run further, the spread itself (the second word). A decaying rate's
    noise fades: its mean is what arrives."""
    within = ARRIVED * max(float(np.linalg.norm(target)), np.finfo(float).tiny)
    if config.schedule.kind != "constant":
        return within, words[0]
    if floor is None:
        floor = noise_floor(problem.train, config.learning_rate, config.batch_size, **limit_settings(config, l1=False))
    spread = floor.mean_square_distance if floor is not None else 0.0
    room = within**2 - spread
    return (math.sqrt(room), words[0]) if room > 0 else (math.sqrt(spread), words[1])


def _how_close(problem: Problem, target: np.ndarray,
               floor: NoiseFloor | None) -> Callable[[TrainConfig, tuple[str, str]], tuple[float, str]]:
    """:func:`_within` for runs on ``problem`` heading for ``target``: ``floor`` is plain SGD's at the run's own rate,
    computed once by the caller; any other run's (momentum's) is computed when asked for."""
    return lambda run, words: _within(problem, run, target, words, floor if _plain(run) else None)


def _momentum_mean_arrives(config: TrainConfig, eigenvalues: np.ndarray, error: np.ndarray, velocity: np.ndarray,
                           step: int, steps_per_epoch: int, within: float, constant: bool) -> float | None:
    """The epochs in all after which the mean of SGD with momentum, from ``error`` and ``velocity`` at ``step``
    (components along the Hessian's directions), comes ``within`` of its target: each direction's pair (error,
    velocity) multiplied by its 2×2 matrix a step (:func:`sgdcore.analysis.mean_error_after`), at the rates
    ``config``'s schedule gives; ``constant``: the rate ends constant (after a warm-up), so that it does not run out.
    A rate measured over a few epochs is the steep directions', and the flattest direction's factor at the first rate
    knows neither the start nor a decaying rate (momentum 0.9 with an inverse scaling schedule on the default data was
    told 6 epochs, and was 70% away after them). ``inf`` when a decaying rate leaves it short within
    :data:`HORIZON_EPOCHS`; None when telling takes more than :data:`MOMENTUM_WORK` or a rate that ends constant more
    than :data:`HORIZON_EPOCHS`."""
    if float(error @ error) <= within**2:
        return step / steps_per_epoch
    first = step // steps_per_epoch + 1

    def distances(epochs: int) -> Iterator[tuple[int, np.ndarray]]:
        """For a run of ``epochs`` epochs, the mean's squared distance at the end of each epoch, a block of epochs at
        a time: (the block's first epoch, one value per epoch)."""
        for begin, errors in _momentum_means(config, eigenvalues, error, velocity, step, steps_per_epoch, epochs):
            yield begin, np.einsum("ij,ij->i", errors, errors)

    if config.schedule.set_by_length:  # each length its own rates
        def arrives(epochs: int) -> bool:
            *_, (_, squares) = distances(epochs)
            return bool(squares[-1] <= within**2)

        low, high = first - 1, first
        while not arrives(high):
            if high >= HORIZON_EPOCHS:
                return math.inf
            low, high = high, min(2 * high, HORIZON_EPOCHS)
            if (high - first) * steps_per_epoch * len(eigenvalues) > MOMENTUM_WORK:
                return None
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (low, middle) if arrives(middle) else (middle, high)
        return float(high)
    before = float(error @ error)
    for begin, squares in distances(HORIZON_EPOCHS):
        arrived = np.flatnonzero(squares <= within**2)
        if len(arrived):
            return float(begin + arrived[0])
        if not constant and squares[-1] >= before * (1 - 1e-12):  # the rate has decayed to nothing
            return math.inf
        if (begin + len(squares) - first) * steps_per_epoch * len(eigenvalues) > MOMENTUM_WORK:
            return None
        before = squares[-1]
    return math.inf if not constant else None


def _momentum_means(config: TrainConfig, eigenvalues: np.ndarray, error: np.ndarray, velocity: np.ndarray, step: int,
                    steps_per_epoch: int, epochs: int) -> Iterator[tuple[int, np.ndarray]]:
    """The mean error of SGD with momentum from ``error`` and ``velocity`` at ``step`` (components along the Hessian's
    directions) at the end of each epoch after it, in a run of ``epochs`` epochs at the rates ``config``'s schedule
    gives (a cosine over the whole run spread over those epochs), a block of epochs at a time: (the block's first
    epoch, one row an epoch)."""
    schedule = config.schedule.over(steps_per_epoch * epochs)
    state, position = (np.array(error, dtype=np.float64), np.array(velocity, dtype=np.float64)), step
    if position == 0:
        state, position = _first_step(eigenvalues, config.learning_rate * schedule(0), config, state), 1
    block = max(1, (1 << 16) // steps_per_epoch)
    for begin in range(step // steps_per_epoch + 1, epochs + 1, block):
        end = min(begin + block - 1, epochs)
        rates = config.learning_rate * schedule(np.arange(position, end * steps_per_epoch))
        products = _epoch_products(eigenvalues, rates, config, steps_per_epoch,
                                   position - (begin - 1) * steps_per_epoch)
        errors = np.empty((end - begin + 1, len(eigenvalues)))
        with np.errstate(over="ignore", invalid="ignore"):  # above the limit the mean grows past float64: ∞, NaN
            for k, (m00, m01, m10, m11) in enumerate(zip(*products, strict=True)):
                state = (m00 * state[0] + m01 * state[1], m10 * state[0] + m11 * state[1])
                errors[k] = state[0]
        yield begin, errors
        position = end * steps_per_epoch


def _first_step(eigenvalues: np.ndarray, rate: float, config: TrainConfig,
                state: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(error, velocity) after a run's first step, which sets the velocity to the gradient itself, undamped, as
    torch.optim.SGD does."""
    gradient = eigenvalues * state[0]
    return state[0] - rate * (1 + config.momentum if config.nesterov else 1.0) * gradient, gradient


def _epoch_products(eigenvalues: np.ndarray, rates: np.ndarray, config: TrainConfig, steps_per_epoch: int,
                    taken: int) -> tuple[np.ndarray, ...]:
    """Each epoch's product of its steps' 2×2 matrices on (error, velocity), one row an epoch and one column a
    direction, for steps at ``rates`` that begin ``taken`` steps into an epoch and end at an epoch's end. An epoch's
    steps are multiplied in pieces of about √(steps per epoch), every piece of every epoch at once, then each epoch's
    pieces: two short loops over arrays small enough to stay in cache. At one rate throughout, every whole epoch's
    product is the same: the first epoch's steps and one whole epoch are multiplied, and that one is repeated."""
    lam, mu = np.asarray(eigenvalues, dtype=np.float64), config.momentum
    head = steps_per_epoch - taken  # the steps left in the first epoch
    if len(rates) > head + steps_per_epoch and np.all(rates == rates[0]):
        first = _epoch_products(eigenvalues, rates[:head], config, steps_per_epoch, taken)
        whole = _epoch_products(eigenvalues, rates[head:head + steps_per_epoch], config, steps_per_epoch, 0)
        repeats = (len(rates) - head) // steps_per_epoch
        return tuple(np.concatenate((entries, np.broadcast_to(one, (repeats, len(lam)))))
                     for entries, one in zip(first, whole, strict=True))
    gain = 1.0 if config.nesterov else 1.0 - config.dampening
    alpha, beta = (1 + mu, mu**2) if config.nesterov else (gain, mu)  # times the step's rate
    piece = max(1, math.isqrt(steps_per_epoch))
    pieces = -(-steps_per_epoch // piece)
    by_epoch = np.concatenate((np.full(taken, np.nan), rates)).reshape(-1, steps_per_epoch)
    grid = np.full((len(by_epoch), pieces * piece), np.nan)  # NaN: no step (before ``taken``, after an epoch's end)
    grid[:, :steps_per_epoch] = by_epoch
    grid = grid.reshape(-1, piece)

    def multiplied(later: tuple[np.ndarray, ...], earlier: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        (l00, l01, l10, l11), (e00, e01, e10, e11) = later, earlier
        return l00 * e00 + l01 * e10, l00 * e01 + l01 * e11, l10 * e00 + l11 * e10, l10 * e01 + l11 * e11

    def identity(rows: int) -> tuple[np.ndarray, ...]:
        ones, zeros = np.ones((rows, len(lam))), np.zeros((rows, len(lam)))
        return ones, zeros, zeros, ones

    products = identity(len(grid))
    for column in grid.T:
        none = np.isnan(column)[:, None]
        rate = np.where(none, 0.0, column[:, None])
        step = (1.0 - alpha * rate * lam, -beta * rate, np.where(none, 0.0, gain * lam), np.where(none, 1.0, mu))
        products = multiplied(step, products)
    products = tuple(entries.reshape(len(by_epoch), pieces, len(lam)) for entries in products)
    epochs = identity(len(by_epoch))
    for k in range(pieces):
        epochs = multiplied(tuple(entries[:, k] for entries in products), epochs)
    return epochs


def _at_noise_floor(eigenvalues: np.ndarray, start: np.ndarray, distance: float, steps: int, config: TrainConfig,
                    floor: NoiseFloor) -> bool:
    """Whether minibatch noise, not the steps, keeps a run ``distance`` from the optimum: its mean (full-batch descent
    from its ``start``, as SGD's mean moves) has come within the noise's root-mean-square spread about it, so more
    epochs would not take it closer, and the run itself is within three times that spread. Its distance alone tells
    neither: a run still on its way can be within three spreads (ten times the epochs took one such 5 times lower
    in loss), and one at the floor of noisy data can end with a train R² below 0."""
    mean = mean_error_after(eigenvalues, start, steps, config.learning_rate, config.momentum, config.dampening,
                            config.nesterov)
    spread = floor.mean_square_distance
    return float(mean @ mean) <= spread and distance**2 <= 9.0 * spread


def _floor_without_momentum(problem: Problem, config: TrainConfig, floor: NoiseFloor,
                            settings: dict | None = None) -> NoiseFloor | None:
    """Plain SGD's noise floor at ``config``'s rate and batch size, where the run has momentum and that floor is lower
    than its ``floor``; None otherwise, or where the rate is at or above plain SGD's limit (no floor there).
    ``settings``: the floor's keywords (:func:`_floor_settings`), ``config``'s without L1 unless given."""
    if config.momentum == 0:
        return None
    settings = limit_settings(config, l1=False) if settings is None else settings
    plain = noise_floor(problem.train, config.learning_rate, config.batch_size,
                        **{**settings, "momentum": 0.0, "dampening": 0.0, "nesterov": False})
    return plain if plain is not None and plain.excess_objective < floor.excess_objective else None


def _constant_rate_floor(problem: Problem, config: TrainConfig, limits: Limits,
                         target: np.ndarray) -> NoiseFloor | None:
    """The noise floor of a run at a constant rate below the limit, about its ``target``; None above the limit, and
    with L1 where a weight of the target is within the push ``η·l1`` of zero: one step carries it across, its push
    turns, and the run swings about zero (:func:`_l1_oscillation`) instead of hovering about a fixed point."""
    rate = config.learning_rate
    if rate >= limits.minibatch.learning_rate:
        return None
    if carried_across_zero(problem, config, target, rate):
        return None
    return noise_floor(problem.train, rate, config.batch_size, **_floor_settings(config, target))


def _floor_settings(config: TrainConfig, target: np.ndarray) -> dict:
    """The keywords of :func:`sgdcore.noise_floor` for a run of ``config`` that settles about ``target``: with L1
    the point itself, whose large residuals make the minibatch noise (a penalty of 1.9 on the default data keeps SGD
    1–6% away at batch size 10, where without it the noise keeps it 0.02% away)."""
    settings = limit_settings(config, l1=False)
    return {**settings, "optimum": target} if config.l1_penalty > 0 else settings


def _rate_fixes(limits: Limits) -> tuple[Suggestion, ...]:
    """A rate at half the limit (where SGD converges fastest, Ma, Bassily & Belkin 2018), and standardisation
    when that is what raises the limit."""
    fixes = [Suggestion("learning_rate", round_down(0.5 * limits.minibatch.learning_rate))]
    if limits.standardized is not None and limits.standardized.learning_rate >= SCALING_GAIN * \
            limits.minibatch.learning_rate:
        fixes.insert(0, Suggestion("standardize", True, round_down(0.5 * limits.standardized.learning_rate)))
    return tuple(fixes)


def _standardized(raw_train: Dataset) -> Dataset:
    """The training rows as a run with standardisation sees them (features and target, as :func:`make_problem`)."""
    return Standardizer.fit(raw_train, target=True).transform(raw_train)


def _speedups(problem: Problem, config: TrainConfig, limits: Limits, eigenvalues: np.ndarray, start: np.ndarray,
              start_params: np.ndarray, steps: int, epoch: int, needed: float | None) -> tuple[Suggestion, ...]:
    """What would bring a run of ``steps`` steps from ``start_params`` (``start``: its error along the Hessian's
    directions), ended at ``epoch`` and still ``needed`` epochs from the optimum, closer. Standardisation, a new rate
    or momentum is offered only when the same run with it would be expected to end closer, its train R² not lower by
    more than :data:`R2_GIVEN_UP` (:func:`sgdcore.expected_run`: the noise along the way, which is larger far from
    the optimum), under the run's schedule. On the diabetes data as it comes, at batch size 10 and learning rate 0.19
    for 20 epochs, standardising at 0.21 ends nearer its optimum but noisier: train R² 0.38 → 0.21 over 12 seeds; at
    0.1 it is nearer still and R² 0.45, so that is the rate offered. A step decay whose first step comes after the
    run's end, or a warm-up, leaves the same noise; a cosine down to half the rate fades it, and 0.21 helps there.
    Momentum 0.98 at learning rate 0.9 is nearer after 3 epochs, but its noise floor is 2,500 times plain SGD's (R²
    −7.8)."""
    fixes: list[Suggestion] = []
    settings = limit_settings(config, l1=False)
    standardized = functools.cache(lambda: _standardized(problem.raw_train))  # made once, for every rate tried
    schedule = _as_trained(config, config.steps_per_epoch(problem.train.n_rows)).schedule

    @functools.cache  # the run's own settings are compared with each suggestion's: computed once
    def expected(learning_rate: float, momentum: float, nesterov: bool, standardize: bool,
                 exact: bool) -> tuple[float, float] | None:
        """The root-mean-square distance relative to the optimum's size, and the train R², expected at the end of
        the run's steps with these settings (None where :func:`sgdcore.expected_run` gives none: data this large).
        Not ``exact``: the mean's distance plus the noise floor's spread, in the data's units, and its loss above the
        floor (R² up to a constant the settings share), which cannot compare standardised data with data as it
        comes."""
        train = standardized() if standardize else problem.train
        keywords = {**settings, "momentum": momentum, "nesterov": nesterov}
        if exact:
            run = expected_run(train, start_params, steps, learning_rate, config.batch_size, schedule=schedule,
                               **keywords)
            if run is None:
                return None
            size = max(float(np.linalg.norm(run.optimum)), np.finfo(float).tiny)
            return math.sqrt(run.mean_square_distance) / size, r2_of(run.loss, train)
        error = mean_error_after(eigenvalues, start, steps, learning_rate, momentum, config.dampening, nesterov)
        floor = noise_floor(train, learning_rate, config.batch_size, **keywords)
        spread, noise = (floor.mean_square_distance, floor.excess_loss) if floor is not None else (0.0, 0.0)
        gap = float(0.5 * np.sum(eigenvalues * error**2)) + noise
        return math.sqrt(float(error @ error) + spread), r2_of(gap, train) - 1.0

    def r2_of(loss: float, train: Dataset) -> float:
        """The train R² of a run whose loss ``½·mean(r²)`` is ``loss``; NaN where the target is constant, as
        :func:`sgdcore.fit_scores` gives it."""
        variance = float(np.var(train.y))
        return 1.0 - 2.0 * loss / variance if variance > 0 else math.nan

    def better(learning_rate: float, momentum: float, standardize: bool = False) -> bool | None:
        """Whether the run would end closer and its R² no more than :data:`R2_GIVEN_UP` lower; None where it
        cannot be told."""
        now = (config.learning_rate, config.momentum, config.nesterov, False)
        then = (learning_rate, momentum, config.nesterov and momentum > 0, standardize)
        compared = expected(*now, exact=True), expected(*then, exact=True)
        if None in compared:
            if standardize or not config.schedule.constant_rate:
                return None
            compared = expected(*now, exact=False), expected(*then, exact=False)
        (distance_now, r2_now), (distance, r2) = compared
        given_up = r2_now - r2 > R2_GIVEN_UP  # False where R² is undefined (a constant target): judged by distance
        return distance < distance_now and not given_up

    # Not judged with L1: its noise is the penalty's residuals' at a point that moves with the rate, many times the
    # noise judged here. Momentum and a larger rate are offered only where judged: on data too large for
    # expected_run, at a constant rate by the mean and the noise floor, and under a schedule not at all.
    judged = config.l1_penalty == 0
    if limits.standardized_condition_number is not None:
        # Half the new limit, or where its noise would cost the run, the largest of its halves that would not. Unjudged
        # where it cannot be (L1, data this large, a schedule's rates too many to follow): offered at half the limit,
        # for the κ it lowers.
        for halvings in range(STANDARDIZED_HALVINGS + 1):
            rate = round_down(0.5 * limits.standardized.learning_rate / 2**halvings)
            if config.l1_penalty > 0 or better(rate, config.momentum, standardize=True) is not False:
                fixes.append(Suggestion("standardize", True, rate))
                break
    kappa = limits.condition_number
    if judged and config.momentum == 0 and math.isfinite(kappa) and kappa > 4:
        polyak_momentum, polyak = polyak_heavy_ball(eigenvalues)
        momentum = math.floor(polyak_momentum * 100) / 100
        limit = minibatch_stability_limit(problem.train, config.batch_size, **{**limit_settings(config),
                                                                               "momentum": momentum})
        rate = round_down(min(polyak, 0.5 * limit.learning_rate))
        if better(rate, momentum):
            fixes.append(Suggestion("momentum", momentum, rate))
    if judged and config.learning_rate < 0.25 * limits.minibatch.learning_rate:
        rate = round_down(0.5 * limits.minibatch.learning_rate)
        if better(rate, config.momentum):
            fixes.append(Suggestion("learning_rate", rate))
    if needed is not None and math.isfinite(needed) and needed > 0:
        fixes.append(Suggestion("epochs", epoch + math.ceil(needed)))
    return tuple(fixes)

"""The training loop: a generator of :class:`Progress` snapshots over chunks of SGD steps.

The loop is split in two so that it can be both watched and fast: a kernel runs a chunk of steps
over the arrays with no Python object per step (:func:`sgdcore.kernels.run_steps`, whose every step
is :func:`sgdcore.optim.sgd_step`, or its compiled twin), and :func:`train` decides how long a chunk
is (about ``report_every`` seconds of work), evaluates the full losses at each epoch's end, and stops
at divergence or convergence. The histories it keeps are in :mod:`sgdcore.history`, the choice of
kernel and threads in :mod:`sgdcore.backends`, the epoch losses in :mod:`sgdcore.losses`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from sgdcore.analysis import QuadraticLoss, quadratic_loss
from sgdcore.backends import (
    NUMPY_BACKEND,
    Backend,
    as_float_arrays,
    one_blas_thread,
    select_kernel,
    training_threads,
    usable_cores,
)
from sgdcore.changes import check_continuable
from sgdcore.data import Dataset
from sgdcore.errors import (
    ConfigError,
    DataError,
    batch_size_error,
    check_seed,
    is_int,
    is_number,
    nesterov_error,
    resume_error,
    setting_error,
)
from sgdcore.history import MAX_HISTORY_POINTS, Progress, Run, Setting, Status, TrainState, planned_steps
from sgdcore.kernels import Chunk, Minibatches, StepRule
from sgdcore.losses import epoch_loss_function, full_loss, loss_pass, quadratic_setup_passes
from sgdcore.model import init_params
from sgdcore.schedules import Schedule

__all__ = [  # what tests, benchmarks and pages import from here, wherever it lives
    "BACKENDS", "MAX_HISTORY_POINTS", "NUMPY_BACKEND", "SHUFFLES", "Backend", "Progress", "Status", "TrainConfig",
    "TrainState", "epoch_loss_function", "epoch_order", "full_loss", "quadratic_loss", "quadratic_setup_passes",
    "select_kernel", "train", "usable_cores",
]

SHUFFLES = ("epoch", "blocks", "none", "replacement")
BACKENDS = ("auto", "numba", "numpy")


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a run; validated once, here. The same config gives the same run."""

    learning_rate: float = 0.03
    batch_size: int = 10
    epochs: int = 3
    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0
    l1_penalty: float = 0.0
    schedule: Schedule = field(default_factory=Schedule)
    init: Literal["normal", "zeros"] = "normal"
    init_scale: float = 0.01
    shuffle: Literal["epoch", "blocks", "none", "replacement"] = "epoch"
    block_size: int = 1024
    drop_last: bool = False
    tol: float | None = None
    n_iter_no_change: int = 5
    seed: int = 0
    divergence_factor: float = 1e6
    backend: Literal["auto", "numba", "numpy"] = "auto"
    # Threads sharing each minibatch in the compiled kernel, or "auto": as many as the minibatch's work pays for
    # (sgdcore.backends.auto_threads). For large minibatches on large data; one for small ones.
    n_threads: int | Literal["auto"] = 1

    def __post_init__(self) -> None:
        # Each error names the parameter and the value, and carries them with the rule broken (its problem and
        # fields) for a page to word in its own language.
        lr = self.learning_rate
        if not (is_number(lr) and math.isfinite(lr) and lr > 0):
            raise setting_error("learning_rate", lr, "a finite number > 0", "above", "Try 0.03, D2L's choice.",
                                bound=0)
        if not (is_int(self.batch_size) and self.batch_size >= 1):
            raise setting_error("batch_size", self.batch_size, "an integer ≥ 1", "integer_at_least", bound=1)
        if not (is_int(self.epochs) and self.epochs >= 1):
            raise setting_error("epochs", self.epochs, "an integer ≥ 1", "integer_at_least", bound=1)
        if not (is_number(self.momentum) and 0.0 <= self.momentum < 1.0):
            raise setting_error("momentum", self.momentum, "in [0, 1)", "in_interval", "0.9 is the usual choice.",
                                interval="[0, 1)")
        if not (is_number(self.dampening) and 0.0 <= self.dampening <= 1.0):
            raise setting_error("dampening", self.dampening, "in [0, 1]", "in_interval", interval="[0, 1]")
        if self.nesterov and not (self.momentum > 0 and self.dampening == 0):
            raise nesterov_error(self.momentum, self.dampening)
        for name in ("weight_decay", "l1_penalty"):
            value = getattr(self, name)
            if not (is_number(value) and math.isfinite(value) and value >= 0):
                raise setting_error(name, value, "a finite number ≥ 0", "at_least", bound=0)
        if not isinstance(self.schedule, Schedule):
            kind = type(self.schedule).__name__
            raise ConfigError(f"schedule must be a sgdcore.Schedule; got {kind}.", "not_a_schedule",
                              parameter="schedule", type=kind)
        if self.init not in ("normal", "zeros"):
            raise setting_error("init", self.init, "'normal' or 'zeros'", "one_of", allowed=("normal", "zeros"))
        if not (is_number(self.init_scale) and math.isfinite(self.init_scale) and self.init_scale >= 0):
            raise setting_error("init_scale", self.init_scale, "a finite number ≥ 0", "at_least", bound=0)
        if self.shuffle not in SHUFFLES:
            raise setting_error("shuffle", self.shuffle, f"one of {', '.join(SHUFFLES)}", "one_of", allowed=SHUFFLES)
        if not (is_int(self.block_size) and self.block_size >= 1):
            raise setting_error("block_size", self.block_size, "an integer ≥ 1", "integer_at_least", bound=1)
        if not (self.tol is None or (is_number(self.tol) and self.tol >= 0)):
            raise setting_error("tol", self.tol, "None (run every epoch) or a number ≥ 0", "at_least", bound=0)
        if not (is_int(self.n_iter_no_change) and self.n_iter_no_change >= 1):
            raise setting_error("n_iter_no_change", self.n_iter_no_change, "an integer ≥ 1", "integer_at_least",
                                bound=1)
        check_seed(self.seed)
        if not (is_number(self.divergence_factor) and self.divergence_factor > 1):
            raise setting_error("divergence_factor", self.divergence_factor, "> 1", "above", bound=1)
        if self.backend not in BACKENDS:
            raise setting_error("backend", self.backend, f"one of {', '.join(BACKENDS)}", "one_of", allowed=BACKENDS)
        if not (self.n_threads == "auto" or (is_int(self.n_threads) and self.n_threads >= 1)):
            raise setting_error("n_threads", self.n_threads, "an integer ≥ 1 or 'auto'", "integer_at_least",
                                "1 is right for small minibatches; 2 or more speeds up large ones (128 rows and up) "
                                "on large data; 'auto' chooses.", bound=1)

    def steps_per_epoch(self, n_rows: int) -> int:
        full, rest = divmod(n_rows, self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def as_planned(self, n_rows: int) -> TrainConfig:
        """This configuration with its schedule as a run of all its epochs on ``n_rows`` rows follows it (a cosine
        over the whole run gets the run's length), so that training on past the epochs keeps the rates planned."""
        return replace(self, schedule=self.schedule.over(self.steps_per_epoch(n_rows) * self.epochs))

    def learning_rate_at(self, step: np.ndarray | int) -> np.ndarray | float:
        """The learning rate at each (0-based) step, schedule included."""
        return self.learning_rate * self.schedule(step)


def epoch_order(
    n_rows: int, rng: np.random.Generator, shuffle: str, *, block_size: int, backend: Backend = NUMPY_BACKEND
) -> np.ndarray:
    """The order in which an epoch visits the rows.

    ``"none"``: ``0, 1, 2, …``. ``"epoch"``: a fresh ``permutation`` (D2L's ``data_iter``).
    ``"replacement"``: ``n_rows`` rows drawn uniformly with replacement (:func:`sgdcore.kernels.with_replacement`),
    so every minibatch is independent of the others: the sampling of the SGD theorems, and a D2L exercise.

    ``"blocks"``: the rows cut into contiguous blocks of ``block_size`` (the last one may be
    shorter), the blocks visited in a random order, the rows of each block in a random order of
    their own (:func:`sgdcore.kernels.block_order`). Memory is then read almost sequentially,
    faster on large data than visiting rows at random. The price: a minibatch holds rows from one
    block of neighbouring rows, not from the whole data. That is harmless when the rows are in
    random order already, and biased when the file is sorted (by time, by target, by class): each
    minibatch then sees a slice of the distribution, and ``"epoch"`` is the right choice.

    The random orders come from ``backend``, whose versions give the same order for the same ``rng``.
    The only O(n) array is the order itself.
    """
    if shuffle == "none":
        return np.arange(n_rows)
    if shuffle == "epoch":
        return backend.permutation(n_rows, rng)
    if shuffle == "replacement":
        return backend.with_replacement(n_rows, rng)
    return backend.block_order(n_rows, block_size, rng)


@one_blas_thread
def train(
    data: Dataset,
    config: TrainConfig,
    *,
    test: Dataset | None = None,
    state: TrainState | None = None,
    until_epoch: int | None = None,
    until_step: int | None = None,
    report_every: float = 0.1,
    quadratic: QuadraticLoss | None = None,
    test_quadratic: QuadraticLoss | None = None,
) -> Iterator[Progress]:
    """Train ``config`` on ``data``, yielding a :class:`Progress` about every ``report_every`` seconds (after a
    chunk of steps or at an epoch's end) and a last one when the run ends, pauses or diverges.

    Parameters
    ----------
    data, test
        Training rows, and optionally held-out rows whose loss is reported after each epoch.
    state
        A :attr:`Progress.state` to resume from; the run continues exactly as if never stopped. ``config`` may
        differ from the run's own (``state.config``) in the optimiser's settings: the run then continues with them,
        and :attr:`Progress.changes` records where (:mod:`sgdcore.changes`: a new batch size starts at the next
        epoch, a new schedule is read at the run's step count).
    until_epoch
        Pause (status ``"stopped"``) once this many epochs are complete: one epoch at a time. ``0`` gives
        the starting point without a step.
    until_step
        Pause (status ``"stopped"``) once this many steps are taken, inside an epoch or at its end: one
        minibatch at a time (:func:`sgdcore.next_step` tells which rows the next one uses). Resuming from the
        paused state gives, bit for bit, the run that never paused.
    report_every
        Seconds of work between two snapshots; the training itself does not depend on it.
    quadratic, test_quadratic
        The quadratic form of the loss on ``data`` and on ``test`` (:func:`sgdcore.quadratic_loss`), if
        already summed, as :class:`sgdcore.Problem` has them: a run long enough to take each epoch's loss
        from it then does not sum it again (several passes over the data, each run).

    Raises
    ------
    ConfigError
        If the batch size is larger than the data, the state does not fit the data or cannot continue with
        ``config`` (another seed or shuffle: :func:`sgdcore.changes.check_continuable`), or a quadratic form
        is of another number of features.
    """
    _check_fits(data, config, state, quadratic=quadratic, test_quadratic=test_quadratic)
    state, ended = yield from _finish_epoch(data, config, state, until_epoch, until_step, test=test,
                                            report_every=report_every, quadratic=quadratic,
                                            test_quadratic=test_quadratic)
    if ended:
        return
    n_rows = data.X.shape[0]
    steps_per_epoch = config.steps_per_epoch(n_rows)
    rows_in_epoch = steps_per_epoch * config.batch_size if config.drop_last else n_rows
    config, shuffle = _resolved(config, steps_per_epoch, every_row=rows_in_epoch == n_rows)
    backend, n_threads, notices = _kernel(config, data)
    loss_of = loss_pass(n_threads)
    data, test = as_float_arrays(data), None if test is None else as_float_arrays(test)
    if state is None:
        state = _initial_state(data, test, config, loss_of)
    run = Run(state)
    run.continue_with(config)
    rng = np.random.default_rng()
    rng.bit_generator.state = rng_state = state.epoch_rng_state
    last_epoch = min(config.epochs, until_epoch) if until_epoch is not None else config.epochs
    last_step = _last_step(run.step, until_step)
    loss_limit = config.divergence_factor * max(state.initial_loss, 1e-300)
    rule = StepRule.of(config)
    chunk_steps = min(steps_per_epoch, 64)
    clock = time.perf_counter() - run.elapsed
    # Else the run pauses where it is (until_epoch=0: its starting point), and needs no loss.
    if run.epoch < last_epoch and run.step < last_step:
        train_loss_of = epoch_loss_function(data, config.epochs, loss_of, quadratic)
        test_loss_of = None if test is None else epoch_loss_function(test, config.epochs, loss_of, test_quadratic)
    last_snapshot = time.perf_counter()

    setting = Setting(steps_per_epoch, config.epochs, backend.name, notices, n_threads)

    def snapshot(status: Status, message: str, diverged_at: int | None = None) -> Progress:
        nonlocal last_snapshot
        last_snapshot = time.perf_counter()
        run.elapsed = last_snapshot - clock
        learning_rate = float(config.learning_rate_at(max(run.step - 1, 0)))
        return run.snapshot(status, message, rng_state, setting, learning_rate, diverged_at_step=diverged_at)

    with np.errstate(all="ignore"):
        while run.epoch < last_epoch and run.step < last_step:
            rng_state = rng.bit_generator.state
            order = epoch_order(n_rows, rng, shuffle, block_size=config.block_size, backend=backend)
            batches = Minibatches(data.X, data.y, order, rows_in_epoch, config.batch_size)
            while run.batch_in_epoch < steps_per_epoch:
                n_steps = min(chunk_steps, steps_per_epoch - run.batch_in_epoch, run.room_for_steps(),
                              last_step - run.step)
                learning_rates = np.asarray(config.learning_rate_at(np.arange(run.step, run.step + n_steps)), float)
                started = time.perf_counter()
                done, n_recorded = backend.run_steps(
                    batches, Chunk(run.batch_in_epoch, run.step, learning_rates), run.params, run.velocity, rule,
                    loss_limit, run.records(n_steps), n_threads=n_threads,
                )
                seconds = time.perf_counter() - started
                run.took_steps(done, n_recorded)
                if done < n_steps:  # step run.step + 1 found its minibatch's loss over the limit: not taken
                    run.record_losses(run.losses[done:done + 1])
                    yield snapshot("diverged", _divergence_message(run.step + 1, run.losses[done], config),
                                   diverged_at=run.step + 1)
                    return
                chunk_steps = _next_chunk_size(chunk_steps, n_steps, seconds, report_every)
                if run.step == last_step and run.batch_in_epoch < steps_per_epoch:
                    yield snapshot("stopped", _paused_message(run, config, steps_per_epoch))
                    return
                if run.batch_in_epoch < steps_per_epoch:
                    yield snapshot("running", _running_message(run, config, steps_per_epoch))
            rng_state = rng.bit_generator.state
            train_loss = train_loss_of(run.params)
            run.end_epoch(train_loss, None if test is None else test_loss_of(run.params), time.perf_counter() - clock)
            ending = _epoch_ending(run, config, train_loss, loss_limit)
            if ending is not None:
                yield snapshot(*ending)
                return
            # At an epoch's end too, but no more often than report_every: an epoch of small data takes
            # microseconds, and a snapshot copies the per-epoch histories, so one after each would make a
            # long run's cost grow with the square of its epochs.
            if run.epoch < last_epoch and time.perf_counter() - last_snapshot >= report_every:
                yield snapshot("running", _running_message(run, config, steps_per_epoch))
        rng_state = rng.bit_generator.state
        done = run.epoch >= config.epochs
        yield snapshot("finished" if done else "stopped", _finished_message(run, config) if done
                       else _paused_message(run, config, steps_per_epoch))


def _check_fits(
    data: Dataset, config: TrainConfig, state: TrainState | None, **forms: QuadraticLoss | None
) -> None:
    """What :class:`TrainConfig` cannot check alone: that the config, a state and loss forms fit ``data``."""
    n_rows, n_features = data.X.shape
    for name, form in forms.items():
        if form is not None and form.hessian.shape != (n_features + 1, n_features + 1):
            raise ConfigError(
                f"{name} is the loss of data with {form.hessian.shape[0] - 1} features, the data has {n_features}: "
                "pass the quadratic_loss of the same data, or none.",
                "loss_of_other_data", parameter=name, loss_features=form.hessian.shape[0] - 1, features=n_features,
            )
    if config.batch_size > n_rows:
        raise batch_size_error(config.batch_size, n_rows)
    if state is not None and state.params.shape != (n_features + 1,):
        raise resume_error(state.params.size - 1, n_features)
    if state is not None and state.config is not None:
        check_continuable(state.config, config)


def _epoch_ending(run: Run, config: TrainConfig, train_loss: float,
                  loss_limit: float) -> tuple[Status, str, int | None] | None:
    """How the epoch that just ended with ``train_loss`` ends the run, if it does: diverged, or converged by the
    early-stopping rule (``tol``, ``n_iter_no_change``); as :func:`train`'s snapshots take it."""
    if not math.isfinite(train_loss) or train_loss > loss_limit:
        return "diverged", _divergence_message(run.step, train_loss, config), run.step
    if config.tol is not None and run.epochs_without_progress(train_loss, config.tol) >= config.n_iter_no_change:
        return "converged", _converged_message(run.epoch, config), None
    return None


def _kernel(config: TrainConfig, data: Dataset) -> tuple[Backend, int, tuple[str, ...]]:
    """The kernel and threads a run of ``config`` on ``data`` takes, and the notices the run carries."""
    backend, backend_notice = select_kernel(config.backend)
    n_threads, threads_notice = training_threads(backend, config.n_threads, config.batch_size, data.X.shape[1])
    return backend, n_threads, data.notices + tuple(notice for notice in (backend_notice, threads_notice) if notice)


def _finish_epoch(
    data: Dataset, config: TrainConfig, state: TrainState | None, until_epoch: int | None, until_step: int | None,
    **options: object,
) -> Generator[Progress, None, tuple[TrainState | None, bool]]:
    """``(state, False)`` unless ``state`` is inside an epoch begun with another batch size than ``config``'s: then
    the rest of that epoch, in minibatches of the size it began with and otherwise with ``config``, or of it up to
    ``until_step`` (``until_epoch``, if it is this epoch or an earlier one: none of it). It passes on the running
    snapshots (their ``total_steps`` counting the epochs after this one at ``config``'s batch size) and returns the
    state at the epoch's end and whether the run ended there (diverged, converged, or paused inside the epoch),
    having passed on that last snapshot too."""
    if state is None or state.batch_in_epoch == 0 or state.config is None or (
            state.config.batch_size == config.batch_size):
        return state, False
    later_steps_per_epoch = config.steps_per_epoch(data.X.shape[0])

    def of_the_run(progress: Progress) -> Progress:
        return replace(progress, total_steps=planned_steps(progress.step, progress.epoch, progress.batch_in_epoch,
                                                           config.epochs, progress.steps_per_epoch,
                                                           later_steps_per_epoch))

    progress = None
    epoch_end = state.epoch + 1 if until_epoch is None else min(until_epoch, state.epoch + 1)
    for progress in train(data, replace(config, batch_size=state.config.batch_size), state=state,
                          until_epoch=epoch_end, until_step=until_step, **options):
        if progress.status == "running":
            yield of_the_run(progress)
    assert progress is not None  # train always yields at least once
    if progress.status in ("diverged", "converged") or progress.batch_in_epoch > 0:
        yield of_the_run(progress)
        return None, True
    return progress.state, False


def _resolved(config: TrainConfig, steps_per_epoch: int, *, every_row: bool) -> tuple[TrainConfig, str]:
    """``config`` with a cosine schedule's length filled in (the whole run), and the shuffle the run uses.

    One minibatch of every row (full-batch gradient descent) sums the same gradient in any order, to
    rounding: it reads the rows in memory order, several times faster on large data than a shuffled
    order, and draws no shuffle.
    """
    # Rows drawn with replacement are not every row, even in one batch of n_rows: they keep their draws.
    shuffle = "none" if steps_per_epoch == 1 and every_row and config.shuffle != "replacement" else config.shuffle
    return replace(config, schedule=config.schedule.over(steps_per_epoch * config.epochs)), shuffle


def _last_step(step: int, until_step: int | None) -> int | float:
    """The step count at which a run pauses: ``until_step``, never before where it is; no limit without one."""
    if until_step is None:
        return math.inf
    if not is_int(until_step) or until_step < 0:
        raise setting_error("until_step", until_step, "None or an integer ≥ 0", "integer_at_least", bound=0)
    return max(int(until_step), step)


def _finished_message(run: Run, config: TrainConfig) -> str:
    return f"finished {config.epochs} epoch{'s' if config.epochs != 1 else ''} ({run.step} steps)"


def _paused_message(run: Run, config: TrainConfig, steps_per_epoch: int) -> str:
    if run.batch_in_epoch > 0:
        return (f"paused at step {run.step}, minibatch {run.batch_in_epoch} of {steps_per_epoch} in epoch "
                f"{run.epoch + 1} of {config.epochs}; step or train again to continue")
    return f"paused after epoch {run.epoch} of {config.epochs}; step or train again to continue"


def _running_message(run: Run, config: TrainConfig, steps_per_epoch: int) -> str:
    return f"epoch {run.epoch + 1} of {config.epochs}, step {run.batch_in_epoch} of {steps_per_epoch}"


def _divergence_message(step: int, loss: float, config: TrainConfig) -> str:
    what = "the loss is no longer a finite number" if not math.isfinite(loss) else (
        f"the loss reached {loss:.3g}, more than {config.divergence_factor:.0e} × the initial loss"
    )
    return (f"diverged at step {step}: {what}. Learning rate {config.learning_rate:g} is too large; "
            "lower it (the stability limit is shown next to it).")


def _converged_message(epoch: int, config: TrainConfig) -> str:
    return (f"converged after {epoch} epoch{'s' if epoch != 1 else ''}: the training loss improved by less than "
            f"tol={config.tol:g} for {config.n_iter_no_change} epochs in a row")


def _next_chunk_size(current: int, ran: int, seconds: float, report_every: float) -> int:
    """Aim at ``report_every`` seconds per chunk, growing at most 8× at a time."""
    if ran < current or seconds <= 0:
        return current
    target = int(ran * report_every / seconds)
    return max(1, min(target, 8 * current))


def _initial_state(
    data: Dataset, test: Dataset | None, config: TrainConfig, loss_pass: Callable[[Dataset, np.ndarray], float]
) -> TrainState:
    rng = np.random.default_rng(config.seed)
    w, b = init_params(data.n_features, rng, config.init, config.init_scale)
    params = np.append(w, b)
    initial_loss = loss_pass(data, params)
    if not math.isfinite(initial_loss):  # not the learning rate's fault: no step is taken yet
        data.check_values()
        raise DataError("The loss at the starting point is not a finite number: check the data for NaN, inf or "
                        "very large values.", "loss_not_finite")
    return TrainState(
        params=params, velocity=np.zeros_like(params), step=0, epoch=0, batch_in_epoch=0,
        epoch_rng_state=rng.bit_generator.state, initial_loss=initial_loss, best_loss=math.inf,
        epochs_without_improvement=0, elapsed_seconds=0.0,
        loss_steps=np.empty(0, dtype=np.int64), minibatch_loss=np.empty(0),
        pending_loss_sum=0.0, pending_loss_count=0, loss_bucket=1,
        trajectory_steps=np.zeros(1, dtype=np.int64), trajectory=params[None, :].copy(), record_stride=1,
        epoch_train_loss=np.array([initial_loss]),
        epoch_test_loss=None if test is None else np.array([loss_pass(test, params)]),
        epoch_seconds=np.array([0.0]), epoch_steps=np.zeros(1, dtype=np.int64),
    )

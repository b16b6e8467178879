"""The training loop: a generator of :class:`Progress` snapshots over chunks of SGD steps.

The loop is split in two so that it can be both watched and fast: a kernel runs a chunk of steps
over the arrays with no Python object per step, and this generator decides how long a chunk is
(about ``report_every`` seconds of work), evaluates the full losses at each epoch's end, detects
divergence and convergence, and keeps bounded histories for drawing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from functools import cache, partial
from typing import Literal, NamedTuple

import joblib
import numpy as np
from threadpoolctl import ThreadpoolController

from sgdcore import kernels
from sgdcore.analysis import BLOCK_BYTES, QuadraticLoss, quadratic_loss
from sgdcore.data import Dataset
from sgdcore.errors import ConfigError, DataError, check_seed, is_int, is_number
from sgdcore.model import init_params
from sgdcore.schedules import Schedule

Status = Literal["running", "converged", "diverged", "finished", "stopped"]
SHUFFLES = ("epoch", "blocks", "none")
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
    shuffle: Literal["epoch", "blocks", "none"] = "epoch"
    block_size: int = 1024
    drop_last: bool = False
    tol: float | None = None
    n_iter_no_change: int = 5
    seed: int = 0
    divergence_factor: float = 1e6
    backend: Literal["auto", "numba", "numpy"] = "auto"
    n_threads: int = 1  # threads sharing each minibatch in the compiled kernel: for large minibatches on large data

    def __post_init__(self) -> None:
        def check(ok: bool, message: str) -> None:
            if not ok:
                raise ConfigError(message)

        lr = self.learning_rate
        check(is_number(lr) and math.isfinite(lr) and lr > 0,
              f"learning_rate must be a finite number > 0; got {lr!r}. Try 0.03, D2L's choice.")
        check(is_int(self.batch_size) and self.batch_size >= 1,
              f"batch_size must be an integer ≥ 1; got {self.batch_size!r}.")
        check(is_int(self.epochs) and self.epochs >= 1,
              f"epochs must be an integer ≥ 1; got {self.epochs!r}.")
        check(is_number(self.momentum) and 0.0 <= self.momentum < 1.0,
              f"momentum must be in [0, 1); got {self.momentum!r}. 0.9 is the usual choice.")
        check(is_number(self.dampening) and 0.0 <= self.dampening <= 1.0,
              f"dampening must be in [0, 1]; got {self.dampening!r}.")
        check(not self.nesterov or (self.momentum > 0 and self.dampening == 0),
              "Nesterov momentum requires momentum > 0 and dampening = 0 (as in torch.optim.SGD); "
              f"got momentum={self.momentum!r}, dampening={self.dampening!r}.")
        for name in ("weight_decay", "l1_penalty"):
            value = getattr(self, name)
            check(is_number(value) and math.isfinite(value) and value >= 0,
                  f"{name} must be a finite number ≥ 0; got {value!r}.")
        check(isinstance(self.schedule, Schedule),
              f"schedule must be a sgdcore.Schedule; got {type(self.schedule).__name__}.")
        check(self.init in ("normal", "zeros"), f"init must be 'normal' or 'zeros'; got {self.init!r}.")
        check(is_number(self.init_scale) and math.isfinite(self.init_scale) and self.init_scale >= 0,
              f"init_scale must be a finite number ≥ 0; got {self.init_scale!r}.")
        check(self.shuffle in SHUFFLES, f"shuffle must be one of {', '.join(SHUFFLES)}; got {self.shuffle!r}.")
        check(is_int(self.block_size) and self.block_size >= 1,
              f"block_size must be an integer ≥ 1; got {self.block_size!r}.")
        check(self.tol is None or (is_number(self.tol) and self.tol >= 0),
              f"tol must be None (run every epoch) or a number ≥ 0; got {self.tol!r}.")
        check(is_int(self.n_iter_no_change) and self.n_iter_no_change >= 1,
              f"n_iter_no_change must be an integer ≥ 1; got {self.n_iter_no_change!r}.")
        check_seed(self.seed)
        check(is_number(self.divergence_factor) and self.divergence_factor > 1,
              f"divergence_factor must be > 1; got {self.divergence_factor!r}.")
        check(self.backend in BACKENDS, f"backend must be one of {', '.join(BACKENDS)}; got {self.backend!r}.")
        check(is_int(self.n_threads) and self.n_threads >= 1,
              f"n_threads must be an integer ≥ 1; got {self.n_threads!r}. 1 is right for small minibatches; "
              "2 or more speeds up large ones (256 rows and up) on large data.")

    def steps_per_epoch(self, n_rows: int) -> int:
        full, rest = divmod(n_rows, self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def learning_rate_at(self, step: np.ndarray | int) -> np.ndarray | float:
        """The learning rate at each (0-based) step, schedule included."""
        return self.learning_rate * self.schedule(step)


@dataclass(frozen=True, eq=False)
class TrainState:
    """Everything needed to resume a run exactly where it stopped (between two chunks)."""

    params: np.ndarray
    velocity: np.ndarray
    step: int
    epoch: int
    batch_in_epoch: int
    epoch_rng_state: dict
    initial_loss: float
    best_loss: float
    epochs_without_improvement: int
    elapsed_seconds: float
    loss_steps: np.ndarray
    minibatch_loss: np.ndarray
    pending_loss_sum: float
    pending_loss_count: int
    loss_bucket: int
    trajectory_steps: np.ndarray
    trajectory: np.ndarray
    record_stride: int
    epoch_train_loss: np.ndarray
    epoch_test_loss: np.ndarray | None
    epoch_seconds: np.ndarray


@dataclass(frozen=True, eq=False)
class Progress:
    """A snapshot of a run, yielded after each chunk of steps and at the end of each epoch.

    Parameters are in model units (standardised, if the data was). Histories are bounded:
    ``minibatch_loss`` holds means over buckets of consecutive steps ending at ``loss_steps``,
    ``trajectory`` the parameters ``[w…, b]`` after the steps in ``trajectory_steps`` (the first
    row is the starting point, step 0). ``epoch_train_loss[k]`` is the full training loss after
    ``k`` epochs (``k = 0``: before training).
    """

    status: Status
    message: str
    step: int
    epoch: int
    batch_in_epoch: int
    steps_per_epoch: int
    epochs: int
    weights: np.ndarray
    bias: float
    learning_rate: float
    loss_steps: np.ndarray
    minibatch_loss: np.ndarray
    trajectory_steps: np.ndarray
    trajectory: np.ndarray
    epoch_train_loss: np.ndarray
    epoch_test_loss: np.ndarray | None
    epoch_seconds: np.ndarray
    elapsed_seconds: float
    diverged_at_step: int | None
    backend: str
    notices: tuple[str, ...]
    state: TrainState

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.epochs

    @property
    def fraction_done(self) -> float:
        return min(1.0, self.step / max(1, self.total_steps))

    @property
    def steps_per_second(self) -> float:
        return self.step / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    @property
    def done(self) -> bool:
        return self.status in ("converged", "diverged", "finished")

    def stopped(self, message: str | None = None) -> Progress:
        """This snapshot marked as stopped by the user (it can be resumed from ``state``)."""
        return replace(
            self, status="stopped",
            message=message or f"stopped at step {self.step} (epoch {self.epoch} of {self.epochs}); "
            "train again to continue from here",
        )


class Backend(NamedTuple):
    """One implementation of the inner loops: the NumPy references or the compiled versions."""

    name: str
    run_steps: Callable[..., tuple[int, int]]
    permutation: Callable[[int, np.random.Generator], np.ndarray]
    block_order: Callable[[int, int, np.random.Generator], np.ndarray]


NUMPY_BACKEND = Backend("numpy", kernels.run_steps, kernels.permutation, kernels.block_order)


def select_kernel(backend: str) -> tuple[Backend, str | None]:
    """The inner loops to use for ``TrainConfig.backend``, and a notice saying why Numba is not used."""
    if backend == "numpy":
        return NUMPY_BACKEND, None
    try:
        from sgdcore import _compiled

        _compiled.warm_up()  # compiles on first use (then costs nothing): a Numba that cannot compile falls back too
    except Exception as error:  # ImportError, or Numba failing to initialise or compile on this platform
        if backend == "numba":
            raise ConfigError(f"backend='numba' was asked for but Numba is unavailable: {error}") from error
        notice = f"The compiled kernel is unavailable ({error}); training runs on the slower NumPy path."
        return NUMPY_BACKEND, notice
    return Backend("numba", _compiled.run_steps, _compiled.permutation, _compiled.block_order), None


@cache
def _blas_libraries() -> ThreadpoolController:
    """The BLAS libraries loaded (NumPy's and SciPy's, loaded by the time anything trains), found once:
    finding them costs milliseconds, limiting their threads then microseconds."""
    return ThreadpoolController()


@cache
def usable_cores() -> int:
    """The cores this process may use, counted once: fewer than the machine has where its CPU affinity
    (``taskset``, a container's cpuset) or a container's CPU quota (cgroups) says so, as joblib counts them.

    A quota matters as much as the affinity: a container may see every core of its host and be allowed
    the time of two, and threads that meet at every step wait for any of them not given a core.
    """
    return joblib.cpu_count()


def epoch_order(
    n_rows: int, rng: np.random.Generator, shuffle: str, block_size: int, backend: Backend = NUMPY_BACKEND
) -> np.ndarray:
    """The order in which an epoch visits the rows.

    ``"none"``: ``0, 1, 2, …``. ``"epoch"``: a fresh ``permutation`` (D2L's ``data_iter``).

    ``"blocks"``: the rows cut into contiguous blocks of ``block_size`` (the last one may be
    shorter), the blocks visited in a random order, the rows of each block in a random order of
    their own (:func:`sgdcore.kernels.block_order`). Memory is then read almost sequentially,
    faster on large data than visiting rows at random. The price: a minibatch holds rows from one
    block of neighbouring rows, not from the whole data. That is harmless when the rows are in
    random order already, and biased when the file is sorted (by time, by target, by class): each
    minibatch then sees a slice of the distribution, and ``"epoch"`` is the right choice.

    Both shuffles come from ``backend``, whose versions give the same order for the same ``rng``.
    The only O(n) array is the order itself.
    """
    if shuffle == "none":
        return np.arange(n_rows)
    if shuffle == "epoch":
        return backend.permutation(n_rows, rng)
    return backend.block_order(n_rows, block_size, rng)


def full_loss(data: Dataset, params: np.ndarray) -> float:
    """½·mean squared error of ``θ = [w, b]`` on a whole dataset (``inf`` when it overflows).

    :func:`sgdcore.model.squared_loss` of :func:`sgdcore.model.predict`, to rounding, computed
    on one vector of residuals updated in place rather than on a new array per operation: it
    runs on the whole data at every epoch's end, so each extra pass shows. A float32 (or integer)
    ``X`` is converted to float64 a block of rows at a time: ``X @ θ`` would convert all of it.
    """
    X, n_rows = data.X, data.X.shape[0]
    rows_per_block = max(n_rows, 1) if X.dtype == np.float64 else max(1, BLOCK_BYTES // (8 * max(X.shape[1], 1)))
    squares = 0.0
    with np.errstate(all="ignore"):
        for start in range(0, n_rows, rows_per_block):
            residual = X[start:start + rows_per_block].astype(np.float64, copy=False) @ params[:-1]
            residual += params[-1]
            residual -= data.y[start:start + rows_per_block]
            squares += float(residual @ residual)
        loss = 0.5 * squares / n_rows
    return loss if math.isfinite(loss) else math.inf


def _full_loss_on_threads(data: Dataset, params: np.ndarray, n_threads: int) -> float:
    """:func:`full_loss` on ``n_threads`` threads of the compiled backend, for ``data`` as
    :func:`_float_arrays` makes it."""
    from sgdcore import _compiled  # loaded by select_kernel, which chose the compiled backend

    return _compiled.full_loss(data.X, data.y, params, n_threads)


def _float_arrays(data: Dataset) -> Dataset:
    """``data`` with ``X`` and ``y`` as C-contiguous float arrays: what the compiled loops read.

    float32 data stays float32 (half the memory and bandwidth); anything else trains in float64, so
    integer features never turn the target into integers. Arrays that already fit are not copied.
    """
    dtype = data.X.dtype if data.X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    return replace(data, X=np.ascontiguousarray(data.X, dtype=dtype), y=np.ascontiguousarray(data.y, dtype=dtype))


def epoch_loss_function(
    data: Dataset, epochs: int, loss_pass: Callable[[Dataset, np.ndarray], float] = full_loss,
    quadratic: QuadraticLoss | None = None,
) -> Callable[[np.ndarray], float]:
    """How a run of ``epochs`` evaluates the full loss of ``data`` after each epoch.

    :func:`full_loss` reads all of ``X`` every time. But the loss is a quadratic in ``θ``
    (:mod:`sgdcore.analysis`): once its Hessian ``H`` is summed, an evaluation costs O(d²)
    instead of O(nd). Summing ``H`` costs about :func:`quadratic_setup_passes` passes over the
    data, so runs with more epochs than that use the quadratic, shorter ones the direct sum.

    The quadratic is expanded around the least-squares solution ``θ*``, whose loss ``L*`` is
    computed directly: ``L(θ) = L* + g*ᵀδ + ½δᵀHδ`` with ``δ = θ − θ*`` and ``g* = Hθ* − c``
    (zero but for rounding). Near the minimum, where SGD spends its time, it adds small terms to
    an exact ``L*`` instead of cancelling large ones, so it agrees with :func:`full_loss` to
    rounding even on noise-free data whose loss goes to zero.

    ``loss_pass`` is how a pass over the data is made: :func:`full_loss`, or its compiled version on
    the threads of a run on several. ``quadratic``, if given, is the quadratic form of ``data``'s loss,
    already summed: it is used instead of summing it again, and the choice between the two ways stays the
    same, so the losses do too.
    """
    if epochs <= quadratic_setup_passes(*data.X.shape):
        return partial(loss_pass, data)
    if quadratic is None:
        quadratic = quadratic_loss(data)
    centre = np.linalg.lstsq(quadratic.hessian, quadratic.linear, rcond=None)[0]
    centre_loss = loss_pass(data, centre)
    centre_gradient = quadratic.gradient(centre)

    def loss(params: np.ndarray) -> float:
        delta = params - centre
        with np.errstate(all="ignore"):
            value = centre_loss + float(centre_gradient @ delta) + 0.5 * float(delta @ quadratic.hessian @ delta)
        return max(value, 0.0) if math.isfinite(value) else math.inf

    return loss


def quadratic_setup_passes(n_rows: int, n_features: int) -> float:
    """What building the quadratic form of the loss costs, in passes over ``X`` (:func:`full_loss` calls).

    Fitted to measurements on two cores: summing ``H`` in blocks, solving for ``θ*`` (the d² / n
    term, an SVD) and one direct loss took 6 passes' time at 1,000,000 × 20, 16 at 100,000 × 100 and
    190 at 10,000 × 1,000.
    """
    return 5 + n_features / 9 + 0.8 * n_features**2 / n_rows


MAX_HISTORY_POINTS = 1024


def train(
    data: Dataset,
    config: TrainConfig,
    *,
    test: Dataset | None = None,
    state: TrainState | None = None,
    until_epoch: int | None = None,
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
        A :attr:`Progress.state` to resume from; the run continues exactly as if never stopped.
    until_epoch
        Pause (status ``"stopped"``) once this many epochs are complete: one epoch at a time. ``0`` gives
        the starting point without a step.
    report_every
        Seconds of work between two snapshots; the training itself does not depend on it.
    quadratic, test_quadratic
        The quadratic form of the loss on ``data`` and on ``test`` (:func:`sgdcore.quadratic_loss`), if
        already summed, as :class:`sgdcore.Problem` has them: a run long enough to take each epoch's loss
        from it then does not sum it again (several passes over the data, each run).

    Raises
    ------
    ConfigError
        If the batch size is larger than the data, the state does not fit the data, or a quadratic form
        is of another number of features.
    """
    n_rows, n_features = data.X.shape
    for name, form in (("quadratic", quadratic), ("test_quadratic", test_quadratic)):
        if form is not None and form.hessian.shape != (n_features + 1, n_features + 1):
            raise ConfigError(
                f"{name} is the loss of data with {form.hessian.shape[0] - 1} features, the data has {n_features}: "
                "pass the quadratic_loss of the same data, or none."
            )
    if config.batch_size > n_rows:
        raise ConfigError(
            f"batch_size {config.batch_size} is larger than the {n_rows} training rows; "
            f"use at most {n_rows} (that is full-batch gradient descent)."
        )
    steps_per_epoch = config.steps_per_epoch(n_rows)
    rows_in_epoch = steps_per_epoch * config.batch_size if config.drop_last else n_rows
    # One minibatch of every row (full-batch gradient descent) sums the same gradient in any order, to
    # rounding: it reads the rows in memory order, several times faster on large data than a shuffled
    # order, and draws no shuffle.
    shuffle = "none" if steps_per_epoch == 1 and rows_in_epoch == n_rows else config.shuffle
    schedule = config.schedule
    if schedule.kind == "cosine" and schedule.period_steps is None:
        config = replace(config, schedule=replace(schedule, period_steps=steps_per_epoch * config.epochs))
    backend, notice = select_kernel(config.backend)
    notices = data.notices + ((notice,) if notice else ())
    n_threads = 1  # the NumPy kernel sums each minibatch in one BLAS call: only the compiled one splits it
    if backend.name == "numba":
        n_threads = min(config.n_threads, usable_cores())
        if n_threads < config.n_threads:
            # A thread waits for the others at every step: more threads than cores would wait for a
            # thread that is not running.
            notices += (f"n_threads={config.n_threads} asked for, but this process may use {n_threads} "
                        f"core{'s' if n_threads != 1 else ''}: training on {n_threads}.",)
    # After each call, BLAS's worker threads keep spinning on their cores for a while (about 0.1 s with
    # OpenBLAS): a kernel on several threads would then wait at every step for a thread that shares its
    # core with one of them (measured: one-epoch runs 2-7× slower, at random). So with more than one
    # thread, the loss passes run on the kernel's threads instead, and what BLAS remains (the quadratic
    # form of long runs) on one thread.
    loss_threads = partial(_blas_libraries().limit, limits=1, user_api="blas") if n_threads > 1 else nullcontext
    loss_pass = full_loss if n_threads == 1 else partial(_full_loss_on_threads, n_threads=n_threads)
    data = _float_arrays(data)
    test = None if test is None else _float_arrays(test)
    X, y = data.X, data.y
    if state is None:
        with loss_threads():
            state = _initial_state(data, test, config, loss_pass)
    elif state.params.shape != (n_features + 1,):
        raise ConfigError(
            f"Cannot resume: the saved run has {state.params.size - 1} features, the data has {n_features}."
        )
    run = _Run(state)
    rng = np.random.default_rng()
    rng.bit_generator.state = state.epoch_rng_state
    last_epoch = min(config.epochs, until_epoch) if until_epoch is not None else config.epochs
    loss_limit = config.divergence_factor * max(state.initial_loss, 1e-300)
    losses = np.empty(0)
    chunk_steps = min(steps_per_epoch, 64)
    clock = time.perf_counter() - run.elapsed
    if run.epoch < last_epoch:  # else the run pauses where it is (until_epoch=0: its starting point), no loss needed
        with loss_threads():
            train_loss_of = epoch_loss_function(data, config.epochs, loss_pass, quadratic)
            test_loss_of = None if test is None else epoch_loss_function(test, config.epochs, loss_pass, test_quadratic)

    last_snapshot = time.perf_counter()

    def snapshot(status: Status, message: str, diverged_at: int | None = None) -> Progress:
        nonlocal last_snapshot
        last_snapshot = time.perf_counter()
        run.elapsed = last_snapshot - clock
        run_state = run.to_state(rng_state)
        return Progress(
            status=status, message=message, step=run.step, epoch=run.epoch,
            batch_in_epoch=run.batch_in_epoch, steps_per_epoch=steps_per_epoch, epochs=config.epochs,
            weights=run.params[:-1].copy(), bias=float(run.params[-1]),
            learning_rate=float(config.learning_rate_at(max(run.step - 1, 0))),
            loss_steps=run_state.loss_steps, minibatch_loss=run_state.minibatch_loss,
            trajectory_steps=run_state.trajectory_steps, trajectory=run_state.trajectory,
            epoch_train_loss=run_state.epoch_train_loss, epoch_test_loss=run_state.epoch_test_loss,
            epoch_seconds=run_state.epoch_seconds, elapsed_seconds=run.elapsed,
            diverged_at_step=diverged_at, backend=backend.name, notices=notices, state=run_state,
        )

    with np.errstate(all="ignore"):
        while run.epoch < last_epoch:
            rng_state = rng.bit_generator.state
            order = epoch_order(n_rows, rng, shuffle, config.block_size, backend)
            while run.batch_in_epoch < steps_per_epoch:
                n_steps = min(chunk_steps, steps_per_epoch - run.batch_in_epoch, run.room_for_steps())
                if losses.shape[0] < n_steps:
                    losses = np.empty(max(n_steps, 2 * losses.shape[0]))
                learning_rates = np.asarray(
                    config.learning_rate_at(np.arange(run.step, run.step + n_steps)), dtype=np.float64
                )
                started = time.perf_counter()
                done, run.n_recorded = backend.run_steps(
                    X, y, order, rows_in_epoch, run.params, run.velocity, run.batch_in_epoch,
                    config.batch_size, learning_rates, config.momentum, config.dampening,
                    config.nesterov, config.weight_decay, config.l1_penalty, run.step, loss_limit,
                    losses, run.record_stride, run.trajectory_buffer, run.n_recorded, n_threads,
                )
                seconds = time.perf_counter() - started
                run.record_losses(losses[:done])
                run.step += done
                run.batch_in_epoch += done
                if done < n_steps:
                    bad_loss = losses[done]
                    run.record_losses(losses[done:done + 1])
                    yield snapshot("diverged", _divergence_message(run.step + 1, bad_loss, config),
                                   diverged_at=run.step + 1)
                    return
                chunk_steps = _next_chunk_size(chunk_steps, n_steps, seconds, report_every)
                if run.batch_in_epoch < steps_per_epoch:
                    yield snapshot("running", _running_message(run, config, steps_per_epoch))
            run.epoch += 1
            run.batch_in_epoch = 0
            rng_state = rng.bit_generator.state
            with loss_threads():
                train_loss = train_loss_of(run.params)
                run.epoch_train_loss.append(train_loss)
                if test is not None:
                    run.epoch_test_loss.append(test_loss_of(run.params))
            run.epoch_seconds.append(time.perf_counter() - clock)
            if not math.isfinite(train_loss) or train_loss > loss_limit:
                yield snapshot("diverged", _divergence_message(run.step, train_loss, config),
                               diverged_at=run.step)
                return
            if config.tol is not None:
                if train_loss > run.best_loss - config.tol:
                    run.epochs_without_improvement += 1
                else:
                    run.epochs_without_improvement = 0
                run.best_loss = min(run.best_loss, train_loss)
                if run.epochs_without_improvement >= config.n_iter_no_change:
                    yield snapshot("converged", (
                        f"converged after {run.epoch} epoch{'s' if run.epoch != 1 else ''}: the training loss "
                        f"improved by less than tol={config.tol:g} for {config.n_iter_no_change} epochs in a row"
                    ))
                    return
            # At an epoch's end too, but no more often than report_every: an epoch of small data takes
            # microseconds, and a snapshot after each (it copies the per-epoch histories) made a long run's
            # cost grow with the square of its epochs.
            if run.epoch < last_epoch and time.perf_counter() - last_snapshot >= report_every:
                yield snapshot("running", _running_message(run, config, steps_per_epoch))
        rng_state = rng.bit_generator.state
        if run.epoch >= config.epochs:
            yield snapshot("finished", f"finished {config.epochs} epoch{'s' if config.epochs != 1 else ''} "
                           f"({run.step} steps)")
        else:
            yield snapshot("stopped", f"paused after epoch {run.epoch} of {config.epochs}; "
                           "step or train again to continue")


def _running_message(run: _Run, config: TrainConfig, steps_per_epoch: int) -> str:
    return f"epoch {run.epoch + 1} of {config.epochs}, step {run.batch_in_epoch} of {steps_per_epoch}"


def _divergence_message(step: int, loss: float, config: TrainConfig) -> str:
    what = "the loss is no longer a finite number" if not math.isfinite(loss) else (
        f"the loss reached {loss:.3g}, more than {config.divergence_factor:.0e} × the initial loss"
    )
    return (f"diverged at step {step}: {what}. Learning rate {config.learning_rate:g} is too large; "
            "lower it (the stability limit is shown next to it).")


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
                        "very large values.")
    return TrainState(
        params=params, velocity=np.zeros_like(params), step=0, epoch=0, batch_in_epoch=0,
        epoch_rng_state=rng.bit_generator.state, initial_loss=initial_loss, best_loss=math.inf,
        epochs_without_improvement=0, elapsed_seconds=0.0,
        loss_steps=np.empty(0, dtype=np.int64), minibatch_loss=np.empty(0),
        pending_loss_sum=0.0, pending_loss_count=0, loss_bucket=1,
        trajectory_steps=np.zeros(1, dtype=np.int64), trajectory=params[None, :].copy(), record_stride=1,
        epoch_train_loss=np.array([initial_loss]),
        epoch_test_loss=None if test is None else np.array([loss_pass(test, params)]),
        epoch_seconds=np.array([0.0]),
    )


def _sum_in_order(start: float, values: np.ndarray) -> float:
    """``start + values[0] + values[1] + …`` added left to right, so splitting ``values`` changes nothing."""
    return float(np.cumsum(np.concatenate(([start], values)))[-1])


class _Run:
    """The mutable side of a run inside :func:`train`; :meth:`to_state` freezes it."""

    def __init__(self, state: TrainState) -> None:
        self.params = state.params.copy()
        self.velocity = state.velocity.copy()
        self.step, self.epoch, self.batch_in_epoch = state.step, state.epoch, state.batch_in_epoch
        self.initial_loss, self.best_loss = state.initial_loss, state.best_loss
        self.epochs_without_improvement = state.epochs_without_improvement
        self.elapsed = state.elapsed_seconds
        self.loss_steps = state.loss_steps.copy()
        self.minibatch_loss = state.minibatch_loss.copy()
        self.pending_sum, self.pending_count = state.pending_loss_sum, state.pending_loss_count
        self.loss_bucket = state.loss_bucket
        # Trajectory: the starting point, the recorded rows, and room for the kernel to write more.
        self.trajectory_start = state.trajectory[:1].copy()
        recorded = state.trajectory[1:]
        self.trajectory_buffer = np.empty((MAX_HISTORY_POINTS, state.params.size))
        self.trajectory_buffer[: len(recorded)] = recorded
        self.n_recorded = len(recorded)
        self.record_stride = state.record_stride
        self.epoch_train_loss = list(state.epoch_train_loss)
        self.epoch_test_loss = None if state.epoch_test_loss is None else list(state.epoch_test_loss)
        self.epoch_seconds = list(state.epoch_seconds)

    def room_for_steps(self) -> int:
        """Steps the kernel may run before the trajectory buffer is full; thins it first if needed."""
        if self.n_recorded == MAX_HISTORY_POINTS:
            # Keep the points at multiples of the doubled stride: every second one.
            kept = self.trajectory_buffer[1::2].copy()
            self.trajectory_buffer[: len(kept)] = kept
            self.n_recorded = len(kept)
            self.record_stride *= 2
        next_record = self.record_stride - self.step % self.record_stride
        return next_record + (MAX_HISTORY_POINTS - self.n_recorded - 1) * self.record_stride

    def record_losses(self, losses: np.ndarray) -> None:
        """Add per-step minibatch losses to the bucketed history (a bucket = ``loss_bucket`` steps).

        Buckets are averaged; when the history reaches its bound, neighbouring buckets merge and
        the bucket doubles, so a run of any length keeps at most ``MAX_HISTORY_POINTS`` points.
        Sums run left to right (``cumsum``) and merges happen exactly at the bound, so the history
        is the same however the steps were split into chunks (chunk sizes depend on timing).
        """
        step = self.step
        while len(losses):
            room = self.loss_bucket - self.pending_count
            if len(losses) < room:
                self.pending_sum = _sum_in_order(self.pending_sum, losses)
                self.pending_count += len(losses)
                return
            bucket_mean = _sum_in_order(self.pending_sum, losses[:room]) / self.loss_bucket
            step += room
            losses = losses[room:]
            full = min(len(losses) // self.loss_bucket, max(0, MAX_HISTORY_POINTS - 1 - len(self.loss_steps)))
            buckets = losses[: full * self.loss_bucket].reshape(full, self.loss_bucket)
            means = np.cumsum(buckets, axis=1)[:, -1] / self.loss_bucket if full else np.empty(0)
            self.loss_steps = np.concatenate(
                (self.loss_steps, [step], step + self.loss_bucket * np.arange(1, full + 1))
            )
            self.minibatch_loss = np.concatenate((self.minibatch_loss, [bucket_mean], means))
            step += full * self.loss_bucket
            losses = losses[full * self.loss_bucket:]
            self.pending_sum, self.pending_count = 0.0, 0
            while len(self.loss_steps) >= MAX_HISTORY_POINTS:
                self._merge_loss_buckets()

    def _merge_loss_buckets(self) -> None:
        if len(self.loss_steps) % 2:
            # An odd last bucket has no partner: it goes back to the pending sum of the wider bucket.
            self.pending_sum += self.minibatch_loss[-1] * self.loss_bucket
            self.pending_count += self.loss_bucket
            self.loss_steps, self.minibatch_loss = self.loss_steps[:-1], self.minibatch_loss[:-1]
        self.loss_steps = self.loss_steps[1::2]
        self.minibatch_loss = self.minibatch_loss.reshape(-1, 2).mean(axis=1)
        self.loss_bucket *= 2

    def to_state(self, epoch_rng_state: dict) -> TrainState:
        recorded = self.trajectory_buffer[: self.n_recorded]
        # Records happen after every step that is a multiple of the stride, thinning keeps that true.
        trajectory_steps = self.record_stride * np.arange(self.n_recorded + 1, dtype=np.int64)
        return TrainState(
            params=self.params.copy(), velocity=self.velocity.copy(), step=self.step, epoch=self.epoch,
            batch_in_epoch=self.batch_in_epoch, epoch_rng_state=epoch_rng_state,
            initial_loss=self.initial_loss, best_loss=self.best_loss,
            epochs_without_improvement=self.epochs_without_improvement, elapsed_seconds=self.elapsed,
            loss_steps=self.loss_steps.astype(np.int64), minibatch_loss=self.minibatch_loss.copy(),
            pending_loss_sum=self.pending_sum, pending_loss_count=self.pending_count,
            loss_bucket=self.loss_bucket, trajectory_steps=trajectory_steps,
            trajectory=np.vstack((self.trajectory_start, recorded)), record_stride=self.record_stride,
            epoch_train_loss=np.array(self.epoch_train_loss),
            epoch_test_loss=None if self.epoch_test_loss is None else np.array(self.epoch_test_loss),
            epoch_seconds=np.array(self.epoch_seconds),
        )

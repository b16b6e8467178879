"""Minibatch SGD over the partitions: sgdcore's kernel runs on the worker that holds each partition, and
the O(d) state travels from one to the next."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
from distributed import Client

from sgdcore.backends import select_kernel
from sgdcore.data import Notice
from sgdcore.distributed.cluster import connect, result
from sgdcore.distributed.loading import DistributedData
from sgdcore.distributed.plan import _partition
from sgdcore.errors import ConfigError, DataError, batch_size_error, resume_error
from sgdcore.history import MAX_HISTORY_POINTS, Progress, Run, TrainState, planned_steps
from sgdcore.kernels import Chunk, Minibatches, Records, StepRule
from sgdcore.model import init_params
from sgdcore.train import TrainConfig, _divergence_message

READ_AHEAD = 2  # partitions read ahead of the one SGD is on: reading overlaps training, memory stays bounded


def _run_kernel(
    backend_name: str, X: np.ndarray, y: np.ndarray, order: np.ndarray, walker: _Walker, config: TrainConfig,
    loss_limit: float, record_stride: int,
) -> tuple[int, np.ndarray, np.ndarray]:
    """Every full minibatch of ``order`` (and a last, shorter one if any) through sgdcore's kernel, from the
    walker's step, its ``params`` and ``velocity`` updated in place: the one place this module calls the kernel.

    Returns the steps taken (fewer than asked where a minibatch's loss is not finite or exceeds
    ``loss_limit``), the per-step losses (one more, the bad one, after an early stop), and the parameters
    after each global step that is a multiple of ``record_stride``.
    """
    backend, _ = select_kernel(backend_name)
    params, velocity, step = walker.params, walker.velocity, walker.step
    n_steps = -(-len(order) // config.batch_size)
    losses = np.empty(n_steps + 1)
    trajectory = np.empty((n_steps // record_stride + 1, len(params)))
    learning_rates = np.asarray(config.learning_rate_at(np.arange(step, step + n_steps)), dtype=np.float64)
    done, n_recorded = backend.run_steps(
        Minibatches(X, y, order, len(order), config.batch_size), Chunk(0, step, learning_rates), params, velocity,
        StepRule.of(config), loss_limit, Records(losses, trajectory, record_stride, 0),
    )
    return done, losses[:done + (done < n_steps)], trajectory[:n_recorded]


@dataclass
class _Walker:
    """The state that travels from partition to partition: O(d), plus fewer than ``batch_size`` rows that
    the last partition left over for the next minibatch (so minibatches cross partitions as they cross
    blocks in memory)."""

    params: np.ndarray
    velocity: np.ndarray
    step: int
    rng_state: dict
    carry_features: np.ndarray
    carry_target: np.ndarray
    stopped: bool = False


def _sgd_on_partition(
    partition: tuple[np.ndarray, np.ndarray], previous: tuple[_Walker, dict], config: TrainConfig, shuffle: str,
    last: bool, loss_limit: float, record_stride: int,
) -> tuple[_Walker, dict]:
    """SGD over one partition's rows, on the worker that holds them: returns the walker and a small report."""
    walker = previous[0]
    report = {"losses": np.empty(0), "points": np.empty((0, len(walker.params))), "backend": config.backend,
              "steps": 0, "stride": record_stride}
    if walker.stopped:
        return walker, report
    walker = replace(walker, params=walker.params.copy(), velocity=walker.velocity.copy())
    backend, _ = select_kernel(config.backend)
    report["backend"] = backend.name
    X, y = partition
    rng = np.random.default_rng()
    rng.bit_generator.state = walker.rng_state
    # The rows of a partition in the order of a block of kernels.block_order, from the travelling generator.
    order = backend.block_order(len(y), len(y), rng) if shuffle == "blocks" and len(y) else np.arange(len(y))
    batch = config.batch_size
    losses, points = [], []
    step_before = walker.step

    def run(X_part: np.ndarray, y_part: np.ndarray, rows: np.ndarray) -> bool:
        done, step_losses, recorded = _run_kernel(backend.name, X_part, y_part, rows, walker, config, loss_limit,
                                                  record_stride)
        walker.step += done
        losses.append(step_losses)
        points.append(recorded)
        return done == -(-len(rows) // batch)

    ok = True
    carried = len(walker.carry_target)
    if carried:
        taken = order[:batch - carried]
        X_first = np.concatenate((walker.carry_features, X[taken]))
        y_first = np.concatenate((walker.carry_target, y[taken]))
        order = order[len(taken):]
        if len(y_first) == batch or (last and not config.drop_last):
            ok = run(X_first, y_first, np.arange(len(y_first)))
            X_first, y_first = X_first[:0], y_first[:0]
        walker.carry_features, walker.carry_target = X_first, y_first
    if ok:
        full = len(order) // batch * batch
        if full:
            ok = run(X, y, order[:full])
        rest = order[full:]
        walker.carry_features = np.concatenate((walker.carry_features, X[rest]))
        walker.carry_target = np.concatenate((walker.carry_target, y[rest]))
    if ok and last:
        if len(walker.carry_target) and not config.drop_last:
            ok = run(walker.carry_features, walker.carry_target, np.arange(len(walker.carry_target)))
        walker.carry_features, walker.carry_target = walker.carry_features[:0], walker.carry_target[:0]
    walker.rng_state = rng.bit_generator.state
    walker.stopped = not ok
    report["losses"] = np.concatenate(losses) if losses else np.empty(0)
    report["points"] = np.concatenate(points) if points else report["points"]
    report["steps"] = walker.step - step_before
    return walker, report


def train(
    data: DistributedData,
    config: TrainConfig,
    *,
    client: Client | None = None,
    state: TrainState | None = None,
    until_epoch: int | None = None,
    report_every: float = 0.1,
) -> Iterator[Progress]:
    """Minibatch SGD on data in files, with sgdcore's kernel, yielding :class:`sgdcore.Progress` snapshots.

    Each epoch visits the partitions in a random order (``rng.permutation``, from ``config.seed``) and the
    rows of each in a random order of their own, drawn from the same generator, which travels with the
    weights, the velocity and the step count: ``shuffle="blocks"`` of :func:`sgdcore.train` with one block per
    partition, and the same run, to rounding, where the partitions are the blocks. ``shuffle="epoch"`` does
    the same (a shuffle of all rows would move them all); ``"none"`` visits everything in file order. The
    rows stay on the workers, the next partition is read while one trains, and the loss after each epoch
    comes from the statistics (O(d²)).

    Parameters
    ----------
    data : DistributedData
    config : sgdcore.TrainConfig
        ``n_threads`` is not used: each partition trains on one worker thread.
    client : distributed.Client, optional
        By default :func:`connect`'s.
    state : sgdcore.TrainState, optional
        A :attr:`Progress.state` from the end of an epoch (``until_epoch``, or a finished run) to continue from,
        exactly as if never stopped. A run stopped inside an epoch cannot be resumed: the rows left over for
        the next minibatch were on a worker.
    until_epoch : int, optional
        Pause (status ``"stopped"``) once this many epochs are complete; ``0`` gives the starting point.
    report_every : float
        Seconds between two snapshots (one after a partition, at most); the run does not depend on it.

    Yields
    ------
    sgdcore.Progress
        ``message`` says which partition the run is on; ``fraction_done`` is the share of all steps done, and
        ``batch_in_epoch / steps_per_epoch`` of this pass over the data. No held-out loss (``epoch_test_loss``
        is None).

    Raises
    ------
    ConfigError
        If the batch size is larger than the data, or ``state`` is not from the end of an epoch of this data; or if
        the cluster fails (:func:`~sgdcore.distributed.cluster.completed`), after a last snapshot, status
        ``"stopped"``, of the run to the end of its last complete epoch, which ``state`` can continue.
    """
    if config.shuffle == "replacement":
        raise ConfigError("shuffle='replacement' draws rows from the whole data at every step, which Dask partitions "
                          "cannot do without moving rows between workers; use shuffle='blocks', 'epoch' or 'none'.",
                          "replacement_on_partitions", parameter="shuffle", value="replacement")
    client = connect(client)
    n_rows, n_features = data.n_rows, data.n_features
    if config.batch_size > n_rows:
        raise batch_size_error(config.batch_size, n_rows)
    steps_per_epoch = config.steps_per_epoch(n_rows)
    rows_in_epoch = steps_per_epoch * config.batch_size if config.drop_last else n_rows
    shuffle = "none" if config.shuffle == "none" or (steps_per_epoch == 1 and rows_in_epoch == n_rows) else "blocks"
    notices = data.notices
    if config.shuffle == "epoch" and shuffle == "blocks":
        notices += (blocks_per_partition_notice(),)
    config = replace(config, schedule=config.schedule.over(steps_per_epoch * config.epochs))
    if state is None:
        rng = np.random.default_rng(config.seed)
        weights, bias = init_params(n_features, rng, config.init, config.init_scale)
        params = np.append(weights, bias)
        initial_loss = data.moments.loss(params)
        if not math.isfinite(initial_loss):
            raise DataError("The loss at the starting point is not a finite number: check the data for very large "
                            "values.", "loss_not_finite")
        state = TrainState(
            params=params, velocity=np.zeros_like(params), step=0, epoch=0, batch_in_epoch=0,
            epoch_rng_state=rng.bit_generator.state, initial_loss=initial_loss, best_loss=math.inf,
            epochs_without_improvement=0, elapsed_seconds=0.0, loss_steps=np.empty(0, dtype=np.int64),
            minibatch_loss=np.empty(0), pending_loss_sum=0.0, pending_loss_count=0, loss_bucket=1,
            trajectory_steps=np.zeros(1, dtype=np.int64), trajectory=params[None, :].copy(), record_stride=1,
            epoch_train_loss=np.array([initial_loss]), epoch_test_loss=None, epoch_seconds=np.array([0.0]),
        )
    elif state.params.shape != (n_features + 1,):
        raise resume_error(state.params.size - 1, n_features)
    elif state.batch_in_epoch != 0:
        raise ConfigError(f"Cannot resume a run on partitions from the middle of an epoch (step {state.batch_in_epoch} "
                          "of the epoch): the rows it had left over are gone. Resume from the end of an epoch "
                          "(until_epoch), or train again.", "resume_mid_epoch", step=state.batch_in_epoch)
    run = Run(state)
    rng = np.random.default_rng()
    rng.bit_generator.state = state.epoch_rng_state
    initial_loss = state.initial_loss
    last_epoch = min(config.epochs, until_epoch) if until_epoch is not None else config.epochs
    loss_limit = config.divergence_factor * max(initial_loss, 1e-300)
    used = [i for i, rows in enumerate(data.partition_rows) if rows > 0]
    backend_name = config.backend
    clock = time.perf_counter() - run.elapsed
    last_snapshot = time.perf_counter()
    rng_state = rng.bit_generator.state

    def snapshot(status: str, message: str, diverged_at: int | None = None) -> Progress:
        nonlocal last_snapshot
        last_snapshot = time.perf_counter()
        run.elapsed = last_snapshot - clock
        frozen = run.to_state(rng_state)
        return Progress(
            status=status, message=message, step=run.step, epoch=run.epoch, batch_in_epoch=run.batch_in_epoch,
            steps_per_epoch=steps_per_epoch, epochs=config.epochs,
            total_steps=planned_steps(run.step, run.epoch, run.batch_in_epoch, config.epochs, steps_per_epoch),
            weights=run.params[:-1].copy(),
            bias=float(run.params[-1]), learning_rate=float(config.learning_rate_at(max(run.step - 1, 0))),
            loss_steps=frozen.loss_steps, minibatch_loss=frozen.minibatch_loss,
            trajectory_steps=frozen.trajectory_steps, trajectory=frozen.trajectory,
            epoch_train_loss=frozen.epoch_train_loss, epoch_test_loss=None, epoch_seconds=frozen.epoch_seconds,
            elapsed_seconds=run.elapsed, diverged_at_step=diverged_at, backend=backend_name, notices=notices,
            state=frozen,
        )

    while run.epoch < last_epoch:
        rng_state = rng.bit_generator.state
        epoch_start = run.to_state(rng_state)  # where the run goes back to if the cluster fails inside the epoch
        visit = [used[i] for i in rng.permutation(len(used))] if shuffle == "blocks" else used
        walker = _Walker(run.params.copy(), run.velocity.copy(), run.step, rng.bit_generator.state,
                         np.empty((0, n_features)), np.empty(0))
        previous: object = (walker, {})
        reads = deque(client.submit(_partition, data.pieces[i], data.plan, pure=False) for i in visit[:READ_AHEAD])
        pending: deque = deque()
        for k in range(len(visit)):
            if k + READ_AHEAD < len(visit):
                reads.append(client.submit(_partition, data.pieces[visit[k + READ_AHEAD]], data.plan, pure=False))
            previous = client.submit(_sgd_on_partition, reads.popleft(), previous, config, shuffle,
                                     k == len(visit) - 1, loss_limit, run.record_stride, pure=False)
            pending.append((k, previous))
            # Partition k trains while the client records partition k − 1.
            while len(pending) > 1 or (pending and k == len(visit) - 1):
                done_k, future = pending.popleft()
                try:
                    walker, report = result(client, future)
                except ConfigError:
                    # The cluster failed (no worker left, a lost scheduler): the run so far, to the end of the last
                    # epoch, which a run on partitions can continue from, then the error that says what to do.
                    run = Run(epoch_start)
                    yield snapshot("stopped", f"paused after epoch {run.epoch} of {config.epochs}: the Dask "
                                   "cluster failed; train again to continue")
                    raise
                backend_name = report["backend"]
                diverged = _record(run, report, walker)
                if diverged is not None:
                    for future in (*(other for _, other in pending), *reads):
                        future.cancel()
                    bad_step, bad_loss = diverged
                    yield snapshot("diverged", _divergence_message(bad_step, bad_loss, config), diverged_at=bad_step)
                    return
                if time.perf_counter() - last_snapshot >= report_every and done_k < len(visit) - 1:
                    yield snapshot("running", f"epoch {run.epoch + 1} of {config.epochs}: partition {done_k + 1} of "
                                   f"{len(visit)}, step {run.batch_in_epoch} of {steps_per_epoch}")
        rng.bit_generator.state = walker.rng_state
        run.params, run.velocity = walker.params.copy(), walker.velocity.copy()
        run.epoch += 1
        run.batch_in_epoch = 0
        rng_state = rng.bit_generator.state
        train_loss = data.moments.loss(run.params)
        run.epoch_train_loss.append(train_loss)
        run.epoch_seconds.append(time.perf_counter() - clock)
        if not math.isfinite(train_loss) or train_loss > loss_limit:
            yield snapshot("diverged", _divergence_message(run.step, train_loss, config), diverged_at=run.step)
            return
        if config.tol is not None:
            if train_loss > run.best_loss - config.tol:
                run.epochs_without_improvement += 1
            else:
                run.epochs_without_improvement = 0
            run.best_loss = min(run.best_loss, train_loss)
            if run.epochs_without_improvement >= config.n_iter_no_change:
                yield snapshot("converged", (
                    f"converged after {run.epoch} epoch{'s' if run.epoch != 1 else ''}: the training loss improved "
                    f"by less than tol={config.tol:g} for {config.n_iter_no_change} epochs in a row"))
                return
        if run.epoch < last_epoch and time.perf_counter() - last_snapshot >= report_every:
            yield snapshot("running", f"epoch {run.epoch} of {config.epochs} done")
    if run.epoch >= config.epochs:
        yield snapshot("finished", f"finished {config.epochs} epoch{'s' if config.epochs != 1 else ''} "
                       f"({run.step} steps)")
    else:
        yield snapshot("stopped", f"paused after epoch {run.epoch} of {config.epochs}; step or train again to "
                       "continue")


def _record(run: Run, report: dict, walker: _Walker) -> tuple[int, float] | None:
    """Add one partition's losses and recorded parameters to the run's histories, as :func:`sgdcore.train`
    keeps them; returns ``(step, loss)`` of a minibatch that diverged, if one did."""
    steps, losses, stride = report["steps"], report["losses"], report["stride"]
    first_step = run.step
    run.record_losses(losses[:steps])
    run.step += steps
    run.batch_in_epoch += steps
    # The worker recorded after every step that was a multiple of the stride when the partition was sent;
    # the run's stride may have doubled since: only the points at multiples of the current one are kept,
    # and the trajectory is thinned (the stride doubled) when it is full, as in sgdcore.train.
    for index, point in enumerate(report["points"]):
        step = (first_step // stride + index + 1) * stride
        if run.n_recorded == MAX_HISTORY_POINTS:
            run.room_for_steps()
        if step % run.record_stride == 0:
            run.trajectory_buffer[run.n_recorded] = point
            run.n_recorded += 1
    run.params, run.velocity = walker.params.copy(), walker.velocity.copy()
    if walker.stopped and len(losses) > steps:
        run.record_losses(losses[steps:steps + 1])
        return run.step + 1, float(losses[steps])
    return None


def blocks_per_partition_notice() -> Notice:
    """Why a run asked to shuffle every epoch shuffles blocks: the rows stay on their workers."""
    return Notice("Shuffled as shuffle='blocks' with one block per partition: the partitions in a random order, the "
                  "rows within each; a shuffle of all rows would move every row between workers.",
                  "blocks_per_partition")

"""A run's state and its bounded histories: what :func:`sgdcore.train` yields and resumes from.

A run of any length keeps at most ``MAX_HISTORY_POINTS`` points of each history: minibatch losses
are averaged over buckets of steps, and the parameter trajectory is thinned, both doubling their
stride when full, so that drawing a run costs the same after a thousand steps as after a billion.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple

import numpy as np

from sgdcore.changes import describe_changes
from sgdcore.kernels import Records

Status = Literal["running", "converged", "diverged", "finished", "stopped"]
MAX_HISTORY_POINTS = 1024


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
    # The TrainConfigs the run was trained with, each with the (0-based) step from which it applied (sgdcore.train
    # resolves their schedules), the (step, description) of each change of settings part-way (sgdcore.changes), and
    # the steps at each epoch's end (the batch size may have changed between epochs). A state made without them
    # records no change.
    configs: tuple[tuple[int, Any], ...] = ()
    changes: tuple[tuple[int, str], ...] = ()
    epoch_steps: np.ndarray | None = None

    @property
    def config(self) -> Any:
        """The TrainConfig the run was last trained with, or ``None`` if the state does not say."""
        return self.configs[-1][1] if self.configs else None


@dataclass(frozen=True, eq=False)
class Progress:
    """A snapshot of a run, yielded after each chunk of steps and at the end of each epoch.

    Parameters are in model units (standardised, if the data was). Histories are bounded:
    ``minibatch_loss`` holds means over buckets of consecutive steps ending at ``loss_steps``,
    ``trajectory`` the parameters ``[w…, b]`` after the steps in ``trajectory_steps`` (the first
    row is the starting point, step 0). ``epoch_train_loss[k]`` is the full training loss after
    ``k`` epochs (``k = 0``: before training).

    Steps are counted from 1, as ``loss_steps`` counts them: the minibatch loss of step ``N`` is
    taken at the parameters after ``N − 1`` steps, before step ``N`` updates them. A diverged run's
    ``diverged_at_step`` is where its last loss sits on those axes: step ``N`` whose minibatch loss was
    not finite or over the limit (``N − 1`` steps taken, step ``N`` not), or the last step ``N`` of an
    epoch whose full loss was (``N`` steps taken).

    ``total_steps`` is the step count the run reaches at the end of its ``epochs`` (:func:`planned_steps`): the
    steps of the epochs done, the epoch under way (``steps_per_epoch``: in the minibatches it began with), and
    each epoch left at the batch size the run goes on with. A batch size changed part-way
    (:mod:`sgdcore.changes`) counts in the epochs it applies to, not in those before it.

    ``backend`` and ``n_threads`` are the kernel and the threads the steps ran on (``n_threads="auto"`` resolved):
    a config with both set as here trains the same run, bit for bit, as threads change the order of the sums.
    """

    status: Status
    message: str
    step: int
    epoch: int
    batch_in_epoch: int
    steps_per_epoch: int
    epochs: int
    total_steps: int
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
    n_threads: int = 1

    @property
    def fraction_done(self) -> float:
        return min(1.0, self.step / max(1, self.total_steps))

    @property
    def steps_per_second(self) -> float:
        return self.step / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    @property
    def changes(self) -> tuple[tuple[int, str], ...]:
        """Where the settings changed part-way (:mod:`sgdcore.changes`): ``(steps taken before, description)``."""
        return self.state.changes

    @property
    def epoch_steps(self) -> np.ndarray:
        """The steps taken at the end of each epoch (``[0]`` first: the start), as ``epoch_train_loss`` is indexed."""
        if self.state.epoch_steps is not None:
            return self.state.epoch_steps
        return self.steps_per_epoch * np.arange(len(self.epoch_train_loss), dtype=np.int64)

    @property
    def done(self) -> bool:
        return self.status in ("converged", "diverged", "finished")

    def stopped(self, message: str | None = None) -> Progress:
        """This snapshot marked as stopped by the user (it can be resumed from ``state``).

        The message counts epochs as a progress bar does: inside an epoch, the one under way (``epoch + 1``);
        between two, the epochs done.
        """
        where = (f"epoch {self.epoch + 1} of {self.epochs}" if self.batch_in_epoch > 0
                 else f"{self.epoch} of {self.epochs} epochs done")
        return replace(
            self, status="stopped",
            message=message or f"stopped at step {self.step} ({where}); train again to continue from here",
        )


def planned_steps(step: int, epoch: int, batch_in_epoch: int, epochs: int, steps_per_epoch: int,
                  later_steps_per_epoch: int | None = None) -> int:
    """The step count at the end of epoch ``epochs`` of a run that has taken ``step`` steps, ``batch_in_epoch`` of
    them in epoch ``epoch + 1``, under way: the steps before that epoch, its ``steps_per_epoch``, and
    ``later_steps_per_epoch`` (by default ``steps_per_epoch``) for each epoch after it.

    The steps already taken count as they were taken: a run of 80 steps per epoch continued after its first epoch
    at 40 per epoch has ``80 + 2 × 40 = 160`` steps in 3 epochs, not ``3 × 40``. A run inside an epoch past
    ``epochs`` (paused a minibatch after its last) ends with that epoch.
    """
    later = steps_per_epoch if later_steps_per_epoch is None else later_steps_per_epoch
    before = step - batch_in_epoch
    if batch_in_epoch > 0:
        return before + steps_per_epoch + max(epochs - epoch - 1, 0) * later
    return before + max(epochs - epoch, 0) * later


class Setting(NamedTuple):
    """What every snapshot of a run says about how it runs."""

    steps_per_epoch: int
    epochs: int
    backend: str
    notices: tuple[str, ...]
    n_threads: int = 1


def _sum_in_order(start: float, values: np.ndarray) -> float:
    """``start + values[0] + values[1] + …`` added left to right, so splitting ``values`` changes nothing."""
    return float(np.cumsum(np.concatenate(([start], values)))[-1])


class Run:
    """The mutable side of a run inside :func:`sgdcore.train`: where it is, and its bounded histories.

    :meth:`to_state` freezes it into a :class:`TrainState`, from which a run resumes exactly.
    """

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
        self.losses = np.empty(0)  # the kernel's per-step losses of a chunk, grown as chunks grow
        self.epoch_train_loss = list(state.epoch_train_loss)
        self.epoch_test_loss = None if state.epoch_test_loss is None else list(state.epoch_test_loss)
        self.epoch_seconds = list(state.epoch_seconds)
        self.configs, self.changes = state.configs, state.changes
        self.epoch_steps = None if state.epoch_steps is None else list(state.epoch_steps)

    def continue_with(self, config: Any) -> None:
        """Run on with ``config`` from here, recording at this step what it changes (:mod:`sgdcore.changes`)."""
        changed = () if not self.configs else describe_changes(self.configs[-1][1], config)
        if changed:
            self.changes = (*self.changes, (self.step, ", ".join(changed)))
        if changed or not self.configs:
            self.configs = (*self.configs, (self.step, config))
        else:  # the same settings (another number of epochs, say): the last config is the run's
            self.configs = (*self.configs[:-1], (self.configs[-1][0], config))

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

    def end_epoch(self, train_loss: float, test_loss: float | None, seconds: float) -> None:
        """Close an epoch: its full losses, and the seconds since the run started."""
        self.epoch += 1
        self.batch_in_epoch = 0
        self.epoch_train_loss.append(train_loss)
        if self.epoch_test_loss is not None:
            self.epoch_test_loss.append(test_loss)
        self.epoch_seconds.append(seconds)
        if self.epoch_steps is not None:
            self.epoch_steps.append(self.step)

    def records(self, n_steps: int) -> Records:
        """The buffers a chunk of ``n_steps`` steps writes its losses and trajectory into."""
        if self.losses.shape[0] < n_steps:
            self.losses = np.empty(max(n_steps, 2 * self.losses.shape[0]))
        return Records(self.losses, self.trajectory_buffer, self.record_stride, self.n_recorded)

    def took_steps(self, done: int, n_recorded: int) -> None:
        """Count the ``done`` steps a chunk took and keep their losses and trajectory."""
        self.record_losses(self.losses[:done])
        self.step += done
        self.batch_in_epoch += done
        self.n_recorded = n_recorded

    def epochs_without_progress(self, loss: float, tol: float) -> int:
        """scikit-learn's early stopping rule (``SGDRegressor``'s ``tol``), after an epoch whose loss is ``loss``.

        An epoch improves if its loss is at most ``best − tol`` (a tie counts as an improvement) and
        resets the count; any other epoch adds one. ``best`` is the lowest loss so far. Returns the count.
        """
        if loss > self.best_loss - tol:
            self.epochs_without_improvement += 1
        else:
            self.epochs_without_improvement = 0
        self.best_loss = min(self.best_loss, loss)
        return self.epochs_without_improvement

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

    def snapshot(
        self, status: Status, message: str, epoch_rng_state: dict, setting: Setting, learning_rate: float,
        *, diverged_at_step: int | None = None,
    ) -> Progress:
        """The run as it is now, as a :class:`Progress` (its ``state`` resumes it)."""
        state = self.to_state(epoch_rng_state)
        return Progress(
            status=status, message=message, step=self.step, epoch=self.epoch, batch_in_epoch=self.batch_in_epoch,
            steps_per_epoch=setting.steps_per_epoch, epochs=setting.epochs,
            total_steps=planned_steps(self.step, self.epoch, self.batch_in_epoch, setting.epochs,
                                      setting.steps_per_epoch),
            weights=self.params[:-1].copy(), bias=float(self.params[-1]), learning_rate=learning_rate,
            loss_steps=state.loss_steps, minibatch_loss=state.minibatch_loss,
            trajectory_steps=state.trajectory_steps, trajectory=state.trajectory,
            epoch_train_loss=state.epoch_train_loss, epoch_test_loss=state.epoch_test_loss,
            epoch_seconds=state.epoch_seconds, elapsed_seconds=self.elapsed, diverged_at_step=diverged_at_step,
            backend=setting.backend, notices=setting.notices, state=state, n_threads=setting.n_threads,
        )

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
            epoch_seconds=np.array(self.epoch_seconds), configs=self.configs, changes=self.changes,
            epoch_steps=None if self.epoch_steps is None else np.array(self.epoch_steps, dtype=np.int64),
        )

"""The next step of a paused run, seen before it is taken: its minibatch, and its gradient against the full one.

A run paused by ``sgdcore.train(..., until_step=k)`` keeps in its :class:`TrainState` where it is (``step``,
``batch_in_epoch``) and the generator state from which its epoch's order is drawn (``epoch_rng_state``).
:func:`next_step` draws that order again, exactly as :func:`sgdcore.train` does, so its ``rows`` are the rows the
next step uses; ``train(..., state=state, until_step=state.step + 1)`` then takes that step.

The two gradients are the loss's, ``∇L_B(θ) = A_Bᵀ(A_Bθ − y_B)/B`` over the minibatch's rows and ``∇L(θ)`` over
every row (``A = [X 1]``), as :func:`sgdcore.gradient` computes them. The step adds the penalties
(``weight_decay``, ``l1_penalty``) and momentum to the first (:func:`sgdcore.sgd_step`); both arrows leave them
out, so their angle measures the minibatch's noise alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from sgdcore.backends import select_kernel
from sgdcore.data import Dataset
from sgdcore.history import TrainState
from sgdcore.model import gradient
from sgdcore.train import TrainConfig, _check_fits, _resolved, epoch_order


@dataclass(frozen=True, eq=False)
class NextStep:
    """The step a paused run takes next: step ``step + 1`` (counted from 1), minibatch ``batch_in_epoch + 1`` of
    epoch ``epoch + 1``, over ``rows`` (indices into the training rows), at the parameters ``params = [w…, b]``.

    ``minibatch_gradient`` and ``full_gradient`` are ``[∂L/∂w…, ∂L/∂b]`` of the squared loss there, over the
    minibatch and over every training row; ``angle_degrees`` is the angle between them in the space of all the
    parameters (``nan`` where either is zero: the optimum, or a minibatch fitted exactly).
    """

    step: int
    epoch: int
    batch_in_epoch: int
    steps_per_epoch: int
    rows: np.ndarray
    params: np.ndarray
    minibatch_gradient: np.ndarray
    full_gradient: np.ndarray

    @property
    def angle_degrees(self) -> float:
        return angle_degrees(self.minibatch_gradient, self.full_gradient)


def angle_degrees(u: np.ndarray, v: np.ndarray) -> float:
    """The angle between vectors ``u`` and ``v``, in degrees (0 to 180); ``nan`` if either is zero or not finite.

    Computed as ``2·atan2(‖û − v̂‖, ‖û + v̂‖)`` of the unit vectors, accurate near 0° and 180°, where
    ``arccos`` of the cosine loses half its digits.
    """
    u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    norm_u, norm_v = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if not (norm_u > 0 and norm_v > 0 and math.isfinite(norm_u) and math.isfinite(norm_v)):
        return math.nan
    u, v = u / norm_u, v / norm_v
    return math.degrees(2.0 * math.atan2(float(np.linalg.norm(u - v)), float(np.linalg.norm(u + v))))


def next_step(data: Dataset, config: TrainConfig, state: TrainState) -> NextStep:
    """The minibatch and the gradients of the step a run of ``config`` on ``data`` takes next from ``state``.

    Parameters
    ----------
    data
        The training rows the run trains on (``Problem.train``: standardised, if the run's data is).
    config
        The run's configuration: its batch size, shuffle and ``drop_last`` choose the rows. A batch size other
        than the one the epoch under way began with applies from the next epoch, as in :func:`sgdcore.train`.
    state
        Where the run is (:attr:`Progress.state`): paused inside an epoch, between two, or at its start. A state
        after the last epoch gives the first step of one epoch more, as a Step after the end trains it.

    Raises
    ------
    ConfigError
        If the batch size is larger than the data, or the state is of data with another number of features.
    """
    _check_fits(data, config, state)
    if state.batch_in_epoch > 0 and state.config is not None and state.config.batch_size != config.batch_size:
        # A new batch size waits for the next epoch (sgdcore.changes): this one goes on in its own minibatches.
        config = replace(config, batch_size=state.config.batch_size)
    n_rows = data.X.shape[0]
    steps_per_epoch = config.steps_per_epoch(n_rows)
    rows_in_epoch = steps_per_epoch * config.batch_size if config.drop_last else n_rows
    config, shuffle = _resolved(config, steps_per_epoch, every_row=rows_in_epoch == n_rows)
    rng = np.random.default_rng()
    rng.bit_generator.state = state.epoch_rng_state
    # Any backend's order: they give the same order from the same generator (tests show it).
    backend, _ = select_kernel(config.backend)
    order = epoch_order(n_rows, rng, shuffle, block_size=config.block_size, backend=backend)
    start = state.batch_in_epoch * config.batch_size
    rows = order[start:min(start + config.batch_size, rows_in_epoch)]
    params = np.asarray(state.params, dtype=np.float64)
    with np.errstate(all="ignore"):  # a run near divergence: its gradients may overflow, and show as such
        minibatch_w, minibatch_b = gradient(data.X[rows], data.y[rows], params[:-1], params[-1])
        full_w, full_b = gradient(data.X, data.y, params[:-1], params[-1])
    return NextStep(
        step=state.step, epoch=state.epoch, batch_in_epoch=state.batch_in_epoch, steps_per_epoch=steps_per_epoch,
        rows=rows.copy(), params=params.copy(), minibatch_gradient=np.append(minibatch_w, minibatch_b),
        full_gradient=np.append(full_w, full_b),
    )

"""The full loss of a run's data: one pass over the rows, or the loss's quadratic form for long runs.

A run evaluates the training (and test) loss after every epoch. :func:`full_loss` reads all of ``X``;
:func:`epoch_loss_function` decides when the quadratic form of the loss, summed once, is cheaper.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import numpy as np

from sgdcore.analysis import BLOCK_BYTES, QuadraticLoss, minimiser, quadratic_loss
from sgdcore.data import Dataset


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
    :func:`sgdcore.backends.as_float_arrays` makes it."""
    from sgdcore import _compiled  # loaded by select_kernel, which chose the compiled backend

    return _compiled.full_loss(data.X, data.y, params, n_threads)


def loss_pass(n_threads: int) -> Callable[[Dataset, np.ndarray], float]:
    """How a run on ``n_threads`` threads makes a pass over the data: :func:`full_loss` (BLAS) on one, the
    compiled loss pass on the kernel's own threads on several, as fast as BLAS on every core."""
    return full_loss if n_threads == 1 else partial(_full_loss_on_threads, n_threads=n_threads)


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
    centre = minimiser(quadratic.hessian, quadratic.linear)
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

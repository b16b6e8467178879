"""The inner loops: shuffle the rows for an epoch, and run a chunk of SGD steps of it over the arrays.

:func:`permutation`, :func:`block_order` and :func:`run_steps` are the readable references, one
line of Python or NumPy per line of the lesson. ``sgdcore._compiled`` holds the same loops compiled
with Numba; tests show they agree.
Both take their many arguments as a few named records (:class:`Minibatches`, :class:`Chunk`,
:class:`StepRule`, :class:`Records`), update ``params``/``velocity`` in place and write per-step
minibatch losses and the recorded trajectory into caller-owned buffers.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sgdcore.model import squared_loss
from sgdcore.optim import sgd_step

# Random numbers drawn at a time by permutation(): an O(n) array of them would be a second buffer.
UNIFORMS_PER_DRAW = 1 << 16


def permutation(n_rows: int, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random order of ``0 … n_rows−1``: the Fisher–Yates shuffle of D2L's ``random.shuffle``.

    Swap ``k`` exchanges position ``i = n_rows−1−k`` with ``j = ⌊uₖ·(i+1)⌋``, uniform on ``0 … i``,
    where ``uₖ`` is the ``k``-th number ``rng.random`` draws (here ``UNIFORMS_PER_DRAW`` at a time;
    the compiled version draws the same numbers one at a time). NumPy's own ``rng.permutation``
    costs three times as much as the compiled version of this.
    """
    order = list(range(n_rows))
    for first_swap in range(0, n_rows - 1, UNIFORMS_PER_DRAW):
        uniforms = rng.random(min(UNIFORMS_PER_DRAW, n_rows - 1 - first_swap)).tolist()
        top = n_rows - 1 - first_swap
        for i, u in zip(range(top, top - len(uniforms), -1), uniforms, strict=True):
            j = int(u * (i + 1))
            if j > i:  # the product rounded up to i + 1
                j = i
            order[i], order[j] = order[j], order[i]
    return np.array(order, dtype=np.intp)


def with_replacement(n_rows: int, rng: np.random.Generator) -> np.ndarray:
    """``n_rows`` rows drawn uniformly with replacement: row ``k`` is ``⌊uₖ·n_rows⌋``, ``uₖ`` the ``k``-th number
    ``rng.random`` draws. An epoch then visits some rows twice and leaves about a third (``(1 − 1/n)ⁿ ≈ 1/e``)
    out; each minibatch is ``batch_size`` independent draws, the sampling the SGD theorems assume."""
    rows = (rng.random(n_rows) * n_rows).astype(np.intp)
    return np.minimum(rows, n_rows - 1, out=rows)  # a product rounded up to n_rows


def block_layout(n_rows: int, block_size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The blocks of a ``shuffle="blocks"`` epoch in the order it visits them: ``(first rows, lengths)``.

    The rows are cut into contiguous blocks of ``block_size`` (the last one may be shorter), visited
    in the order of ``rng.permutation``; the short block comes wherever its turn falls.
    """
    block_size = max(1, min(block_size, n_rows))
    starts = rng.permutation(-(-n_rows // block_size)) * block_size
    return starts, np.minimum(starts + block_size, n_rows) - starts


def block_order(n_rows: int, block_size: int, rng: np.random.Generator) -> np.ndarray:
    """The order of a ``shuffle="blocks"`` epoch: the blocks of :func:`block_layout` one after another,
    the rows of each in a uniformly random order of their own.

    Each block is written by the "inside-out" Fisher–Yates shuffle, which fills and shuffles in one
    pass: row ``i`` of the block goes to place ``i``, after whatever sat at place ``j = ⌊u·(i+1)⌋``
    (uniform on ``0 … i``) moved there to make room. One ``u`` per row but the first, from
    ``rng.random``; the compiled version draws the same numbers one at a time.
    """
    order = np.empty(n_rows, dtype=np.intp)
    position = 0
    for start, length in zip(*(part.tolist() for part in block_layout(n_rows, block_size, rng)), strict=True):
        block = [start] * length
        for i, u in zip(range(1, length), rng.random(length - 1).tolist(), strict=True):
            j = int(u * (i + 1))
            if j > i:  # the product rounded up to i + 1
                j = i
            block[i] = block[j]
            block[j] = start + i
        order[position:position + length] = block
        position += length
    return order


class Minibatches(NamedTuple):
    """Where an epoch's minibatches come from: minibatch ``k`` is the rows ``order[k·batch_size : (k+1)·batch_size]``
    of ``X`` and ``y`` (the last one may be shorter), capped at ``rows_in_epoch``."""

    X: np.ndarray
    y: np.ndarray
    order: np.ndarray
    rows_in_epoch: int
    batch_size: int


class Chunk(NamedTuple):
    """The steps a call runs: minibatches ``first_batch, first_batch + 1, …`` of the epoch, which are global steps
    ``first_step, first_step + 1, …`` (counted from 0) of the run, one per learning rate."""

    first_batch: int
    first_step: int
    learning_rates: np.ndarray


class StepRule(NamedTuple):
    """The options of :func:`sgdcore.optim.sgd_step`, those of ``torch.optim.SGD``."""

    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0
    l1_penalty: float = 0.0

    @classmethod
    def of(cls, settings: object) -> StepRule:
        """The rule of a :class:`sgdcore.TrainConfig` (or anything with these five attributes), as plain
        ``float``/``bool``: a setting given as ``momentum=0`` runs the compiled code built for ``0.0``."""
        return cls(float(settings.momentum), float(settings.dampening), bool(settings.nesterov),
                   float(settings.weight_decay), float(settings.l1_penalty))


class Records(NamedTuple):
    """The caller's buffers a call writes its history into, so that a chunk allocates nothing per step.

    ``losses[s]`` gets the minibatch loss of the call's step ``s``. After global step ``t`` (counted from 1),
    the parameters go to ``trajectory[n_recorded]`` when ``t`` is a multiple of ``record_stride`` and a row
    is left; the call returns the new ``n_recorded``.
    """

    losses: np.ndarray
    trajectory: np.ndarray
    record_stride: int
    n_recorded: int


def run_steps(
    batches: Minibatches,
    chunk: Chunk,
    params: np.ndarray,
    velocity: np.ndarray,
    rule: StepRule,
    loss_limit: float,
    records: Records,
    *,
    n_threads: int = 1,
) -> tuple[int, int]:
    """Run the steps of ``chunk`` over ``batches``: one :func:`sgdcore.optim.sgd_step` per minibatch.

    Updates ``params`` and ``velocity`` in place and writes into ``records``. Stops early, without
    updating, at a minibatch whose loss is not finite or exceeds ``loss_limit``. Returns
    ``(steps run, n_recorded)``.

    ``n_threads`` is the compiled kernel's (it splits each minibatch's sum between threads, which
    changes nothing but the order of the additions); this reference sums each minibatch at once.
    """
    X, y, order, rows_in_epoch, batch_size = batches
    trajectory, n_recorded = records.trajectory, records.n_recorded
    n_params = params.shape[0]
    for s, learning_rate in enumerate(chunk.learning_rates):
        start = (chunk.first_batch + s) * batch_size
        rows = order[start:min(start + batch_size, rows_in_epoch)]
        X_batch, y_batch = X[rows], y[rows]
        residual = X_batch @ params[:-1] + params[-1] - y_batch
        loss = squared_loss(residual, 0.0)
        records.losses[s] = loss
        if not np.isfinite(loss) or loss > loss_limit:
            return s, n_recorded
        grad = np.empty(n_params)
        grad[:-1] = X_batch.T @ residual / len(rows)
        grad[-1] = residual.mean()
        step = chunk.first_step + s
        params[:], velocity[:] = sgd_step(params, grad, velocity, step=step, learning_rate=learning_rate,
                                          **rule._asdict())
        if (step + 1) % records.record_stride == 0 and n_recorded < trajectory.shape[0]:
            trajectory[n_recorded] = params
            n_recorded += 1
    return len(chunk.learning_rates), n_recorded

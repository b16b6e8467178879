"""The chunk loop of :func:`sgdcore.kernels.run_steps`, compiled with Numba, and its passes over ``X``.

Same arguments, same results (to rounding: sums run in a different order than BLAS's), same
in-place updates. Each step of :func:`_chunk` sums the minibatch's gradient, then takes
:func:`_sgd_step`, which is :func:`sgdcore.optim.sgd_step` one parameter at a time. Instead of
copying each minibatch out of ``X`` it reads the rows through ``order`` two at a time, in a single
pass per minibatch: each row's residual, its share of the loss and its share of the gradient are
computed while the row is in cache, into one small scratch array allocated once per chunk. The loss
is still checked before any parameter changes.

In training, ``fastmath`` is allowed in one place only, the dot products ``x·w`` of :func:`_dot_row`
and :func:`_dot_rows`: the compiler may sum them in any order (partial sums in vector registers) and
fuse multiply-adds, which changes the result by rounding only. Everything else, the gradient sums
and the update, is evaluated exactly as written, so every step is the lesson's formula as
:mod:`sgdcore.optim` writes it.

The chunk loop can also split each minibatch between threads (``n_threads``), for large
minibatches on large data, where one core cannot read memory as fast as two: each thread sums the
gradient over its slice of the rows, they exchange their sums through two slots of shared memory
once per step (atomic counters say when a slot is ready), and each adds them up in the same order
and takes the same step on its own copy of the parameters. Besides the data, which they only read,
nothing else is shared: no lock, and nothing to tear down but the threads, which end with the chunk.

The shuffles (:func:`permutation`, :func:`block_order`, :func:`with_replacement`) are compiled in
:mod:`sgdcore._shuffles` and offered from here too, so that the compiled backend is this one module. Importing
it fails if Numba is missing or cannot load; :func:`sgdcore.backends.select_kernel` then falls back to the NumPy
kernel and says so.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import NamedTuple, TypeVar

import numpy as np

from sgdcore._intrinsics import compile_function, load_acquire, prefetch, store_release, yield_processor
from sgdcore._shuffles import SWAPS_AHEAD, block_order, permutation, with_replacement
from sgdcore.kernels import Chunk, Minibatches, Records, StepRule

T = TypeVar("T")

# Rows are visited in a random order, so each one is a cache miss: ask for the rows about this many
# bytes ahead while working on the current one (a hint to the CPU; results do not change), into the
# second-level cache. Counted in bytes, not rows, so that about as many cache lines are in flight
# whatever the number of features. Into L2: on a 1,000,000 × 20 epoch, hints into L1 read X in a
# shuffled order at about 2/3 the speed, whatever their distance (4-64 KiB), presumably because a core
# can wait for many more lines bound for L2 than for L1 (a handful of fill buffers). 32 KiB (204 rows
# of 20 features, 40 of 100) did as well as or better than 8-256 KiB, in a noisy benchmark.
PREFETCH_BYTES = 32768
CACHE_LINE_BYTES = 64
# Each part's "ready" counter sits on cache lines of its own (two lines: adjacent-line prefetchers), so
# that a part spinning on one counter does not pull another part's line back and forth.
READY_STRIDE = 2 * CACHE_LINE_BYTES // 8
# Polls of another part's counter before yielding the core between polls: a few microseconds, several
# times the usual wait of a step, far less than an operating system's time slice.
SPIN_POLLS = 2000


def _prefetch_row(X, y, row):
    # A row of a C-contiguous ``X`` (as train() passes it) is one span of bytes: a hint every cache
    # line along it, and one at its last byte, reach every line it spans, however it is aligned.
    first = X.ctypes.data + row * X.strides[0]
    row_bytes = X.shape[1] * X.strides[1]
    for offset in range(0, row_bytes, CACHE_LINE_BYTES):
        prefetch(first + offset)
    prefetch(first + row_bytes - 1)
    prefetch(y.ctypes.data + row * y.strides[0])


def _dot_row(X, row, params):
    """``X[row] · params[:n_features]``, summed in whatever order the compiler finds fastest.

    Compiled with (some) ``fastmath``, as :func:`_dot_rows` is, and nothing else: a serial sum
    cannot use the CPU's vector units, so the compiler may reassociate this one (several partial
    sums at once) and fuse each multiply-add. It changes the result by rounding only, as BLAS's
    order would.
    """
    total = 0.0
    for j in range(X.shape[1]):
        total += X[row, j] * params[j]
    return total


def _dot_rows(X, row_a, row_b, params):
    """``(X[row_a] · w, X[row_b] · w)`` in one loop: two independent sums the CPU overlaps.

    Compiled with the same ``fastmath`` as :func:`_dot_row`, for the same reason.
    """
    total_a = 0.0
    total_b = 0.0
    for j in range(X.shape[1]):
        total_a += X[row_a, j] * params[j]
        total_b += X[row_b, j] * params[j]
    return total_a, total_b


def _row_ahead(i, first_row, rows_per_step, batch_size, prefetch_rows):
    """The place in the epoch's order of the row ``prefetch_rows`` after place ``i`` among a part's rows.

    A part reads a slice of ``rows_per_step`` places of each minibatch: the rows ahead are later in
    its slice, or in its slice of a later minibatch. With one part the slices are whole minibatches,
    one after another, and no division is needed.
    """
    if rows_per_step == batch_size:
        return i + prefetch_rows
    later, position = divmod(i - first_row + prefetch_rows, rows_per_step)
    return first_row + later * batch_size + position


class Team(NamedTuple):
    """This thread's place among the ``n_parts`` threads sharing each minibatch, and what they share:
    each part's sums (two slots, by step) and the counters that say when a part's slot is ready."""

    part: int
    n_parts: int
    shared_sums: np.ndarray
    ready: np.ndarray


def _sgd_step(params, grad, velocity, step, learning_rate, rule):
    """:func:`sgdcore.optim.sgd_step` in place, one parameter at a time: the penalties on the weights only,
    then momentum, then ``θ ← θ − η·g``."""
    momentum, dampening, nesterov, weight_decay, l1_penalty = rule
    bias_index = params.shape[0] - 1
    for j in range(params.shape[0]):
        penalty = weight_decay * params[j] + l1_penalty * np.sign(params[j]) if j < bias_index else 0.0
        g = grad[j] + penalty
        if momentum != 0.0:
            if step == 0:
                velocity[j] = g
            else:
                velocity[j] = momentum * velocity[j] + (1.0 - dampening) * g
            g = g + momentum * velocity[j] if nesterov else velocity[j]
        params[j] = params[j] - learning_rate * g


def _chunk(batches, chunk, params, velocity, rule, loss_limit, records, team):
    """:func:`sgdcore.kernels.run_steps` for one part of ``team``: each step sums the gradient over the
    minibatch's rows (this part's slice of them, added to the other parts'), then takes :func:`_sgd_step`."""
    X, y, order, rows_in_epoch, batch_size = batches
    first_batch, steps_before, learning_rates = chunk
    part, n_parts, shared_sums, ready = team
    losses, trajectory, record_stride, n_recorded = records
    n_features = X.shape[1]
    bias_index = n_features
    squares_index = n_features + 1
    sums = np.empty(n_features + 2)  # this part's Σ x·r, Σ r and Σ r² over its rows of the minibatch
    total = sums if n_parts == 1 else np.empty(n_features + 2)  # ... and over all parts' rows
    grad = np.empty(n_features + 1)
    prefetch_rows = min(max(PREFETCH_BYTES // max(X.strides[0], 1), 4), 256)
    rows_per_step = max(batch_size * (part + 1) // n_parts - batch_size * part // n_parts, 1)  # in a full minibatch
    for s in range(learning_rates.shape[0]):
        start = (first_batch + s) * batch_size
        n_rows = min(start + batch_size, rows_in_epoch) - start
        if n_parts == 1:
            first_row, end_row = start, start + n_rows
        else:  # part k of n_parts takes the k-th slice of the minibatch's rows
            first_row = start + n_rows * part // n_parts
            end_row = start + n_rows * (part + 1) // n_parts
        bias = params[bias_index]

        # One pass over the part's rows, each row read once while it is in cache: its residual
        # r = x·w + b − y, its share of the loss ½·mean(r²), and of the gradient (Σ x·r, Σ r)/B.
        # Rows go two at a time: their dot products overlap, and each entry of the gradient is
        # loaded and stored once per pair. The gradient is computed before the loss is checked,
        # but used only if the loss is good.
        squares = 0.0
        sums[:] = 0.0
        for i in range(first_row, end_row - 1, 2):
            for ahead in range(i, i + 2):
                row_ahead = _row_ahead(ahead, first_row, rows_per_step, batch_size, prefetch_rows)
                if row_ahead < rows_in_epoch:
                    _prefetch_row(X, y, order[row_ahead])
            row_a = order[i]
            row_b = order[i + 1]
            dot_a, dot_b = _dot_rows(X, row_a, row_b, params)
            r_a = dot_a + bias - y[row_a]
            r_b = dot_b + bias - y[row_b]
            squares += r_a * r_a + r_b * r_b
            for j in range(n_features):
                sums[j] += X[row_a, j] * r_a + X[row_b, j] * r_b
            sums[bias_index] += r_a + r_b
        if (end_row - first_row) % 2 == 1:  # the odd row out; at batch size 1, every row
            row_ahead = _row_ahead(end_row - 1, first_row, rows_per_step, batch_size, prefetch_rows)
            if row_ahead < rows_in_epoch:
                _prefetch_row(X, y, order[row_ahead])
            row = order[end_row - 1]
            r = _dot_row(X, row, params) + bias - y[row]
            squares += r * r
            for j in range(n_features):
                sums[j] += X[row, j] * r
            sums[bias_index] += r
        sums[squares_index] = squares

        if n_parts > 1:
            # Publish this part's sums, wait for every other part's, and add them up in part order:
            # every part then holds the same total and takes the same step, bit for bit. Two slots,
            # alternating by step: a part writes a slot again only after every part has published the
            # step after, so every part has read it by then.
            slot = s % 2
            shared_sums[part, slot, :] = sums
            ticket = steps_before + s + 1
            store_release(ready, part * READY_STRIDE, ticket)
            for other in range(n_parts):
                polls = 0
                while load_acquire(ready, other * READY_STRIDE) < ticket:
                    polls += 1
                    if polls > SPIN_POLLS:
                        yield_processor()
            total[:] = shared_sums[0, slot]
            for other in range(1, n_parts):
                for j in range(n_features + 2):
                    total[j] += shared_sums[other, slot, j]

        loss = 0.5 * (total[squares_index] / n_rows)
        losses[s] = loss
        if not np.isfinite(loss) or loss > loss_limit:
            return s, n_recorded
        for j in range(n_features + 1):
            grad[j] = total[j] / n_rows

        step = steps_before + s
        _sgd_step(params, grad, velocity, step, learning_rates[s], rule)

        if (step + 1) % record_stride == 0 and n_recorded < trajectory.shape[0]:
            trajectory[n_recorded, :] = params
            n_recorded += 1
    return learning_rates.shape[0], n_recorded


def _read_rows(X, y, order):
    """Read every row of ``X`` once in ``order``, prefetching as :func:`_chunk` does, and sum it all.

    Column sums, so that the adds run in vector registers and memory, not arithmetic, sets the pace:
    the least an epoch visiting the rows in this order can cost.
    """
    prefetch_rows = min(max(PREFETCH_BYTES // max(X.strides[0], 1), 4), 256)
    sums = np.zeros(X.shape[1])
    for k in range(order.shape[0]):
        if k + prefetch_rows < order.shape[0]:
            _prefetch_row(X, y, order[k + prefetch_rows])
        row = order[k]
        for j in range(X.shape[1]):
            sums[j] += X[row, j]
    return sums.sum()


def _squared_residuals(X, y, params, first_row, end_row):
    """Σ (x·w + b − y)² over the rows ``first_row … end_row − 1``, two at a time as :func:`_chunk` reads them."""
    bias = params[X.shape[1]]
    total = 0.0
    for row in range(first_row, end_row - 1, 2):
        dot_a, dot_b = _dot_rows(X, row, row + 1, params)
        r_a = dot_a + bias - y[row]
        r_b = dot_b + bias - y[row + 1]
        total += r_a * r_a + r_b * r_b
    if (end_row - first_row) % 2 == 1:
        r = _dot_row(X, end_row - 1, params) + bias - y[end_row - 1]
        total += r * r
    return total


_prefetch_row = compile_function(_prefetch_row)
_dot_row = compile_function(_dot_row, fastmath={"reassoc", "contract"})
_dot_rows = compile_function(_dot_rows, fastmath={"reassoc", "contract"})
_row_ahead = compile_function(_row_ahead)
_sgd_step = compile_function(_sgd_step)
_run_steps = compile_function(_chunk)
_squared_residuals = compile_function(_squared_residuals)
_read_rows = compile_function(_read_rows, fastmath=True)


def _on_threads(run_part: Callable[[int], T], n_parts: int) -> T:
    """``run_part(0)`` on this thread and ``run_part(1 … n_parts − 1)`` each on a thread of its own, all at
    once; returns part 0's result once every part is done."""
    helpers = [threading.Thread(target=run_part, args=(part,), daemon=True, name=f"sgdcore-part-{part}")
               for part in range(1, n_parts)]
    for helper in helpers:
        helper.start()
    result = run_part(0)
    for helper in helpers:
        helper.join()
    return result


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
    """:func:`sgdcore.kernels.run_steps`, compiled; see there for the arguments.

    With ``n_threads`` > 1, each minibatch's rows are split between that many threads, each
    summing its share of the gradient; they add up the shares in a fixed order and all take the
    same step, so the result is the same on every run (and differs from one thread's by rounding
    only). The threads meet once per step, which costs 0.3–0.5 µs here: it pays when a
    step reads a lot of data (large minibatches, many features), and makes batch size 1 slower.

    The rule and the limit are converted to ``float``/``bool`` first, so that a setting given as
    ``momentum=0`` instead of ``0.0`` reuses the compiled code instead of compiling again (counts are
    integers either way: Numba compiles the same code for a Python ``int`` and a NumPy ``int64``).
    """
    n_threads = max(int(n_threads), 1)
    # The records go in as plain tuples, unpacked in the same order by _chunk: Numba's dispatcher types
    # a plain tuple on its fast path, a NamedTuple on a slow one (about 2 µs more each, every chunk).
    batches, chunk, rule, records = tuple(batches), tuple(chunk), tuple(StepRule.of(rule)), tuple(records)
    loss_limit = float(loss_limit)
    shared_sums = np.zeros((n_threads, 2, batches[0].shape[1] + 2))
    ready = np.zeros(n_threads * READY_STRIDE, dtype=np.int64)
    # The other threads step copies of the parameters, equal to these at every step, and write
    # histories nobody reads: everything they need is allocated here, before any of them starts.
    losses, trajectory, *counts = records
    buffers = [(params, velocity, records)] + [
        (params.copy(), velocity.copy(), (np.empty_like(losses), np.empty_like(trajectory), *counts))
        for _ in range(1, n_threads)
    ]

    def run_part(part: int) -> tuple[int, int]:
        params, velocity, records = buffers[part]
        team = tuple(Team(part, n_threads, shared_sums, ready))
        return _run_steps(batches, chunk, params, velocity, rule, loss_limit, records, team)

    steps_run, n_recorded = _on_threads(run_part, n_threads)
    return int(steps_run), int(n_recorded)


def full_loss(X: np.ndarray, y: np.ndarray, params: np.ndarray, n_threads: int) -> float:
    """:func:`sgdcore.losses.full_loss` of a C-contiguous float ``X`` on ``n_threads`` threads, without BLAS.

    Each thread sums the squared residuals of a contiguous slice of the rows; the sums are added in a
    fixed order, so the result is the same every time, and equal to the BLAS one to rounding. It is
    how a run on several threads evaluates its losses: as fast as BLAS on every core, and it leaves no
    BLAS worker spinning on a core the kernel's threads need.
    """
    n_rows = X.shape[0]
    bounds = [n_rows * part // n_threads for part in range(n_threads + 1)]
    sums = np.zeros(n_threads)

    def sum_part(part: int) -> None:
        sums[part] = _squared_residuals(X, y, params, bounds[part], bounds[part + 1])

    _on_threads(sum_part, n_threads)
    with np.errstate(all="ignore"):  # overflow is reported as inf, as full_loss does
        loss = 0.5 * float(np.sum(sums)) / n_rows
    return loss if math.isfinite(loss) else math.inf


def read_rows(X: np.ndarray, y: np.ndarray, order: np.ndarray, n_threads: int = 1) -> None:
    """Read every row of ``X`` once in ``order``, as :func:`run_steps` reads them and doing nothing else, with
    ``order`` cut into ``n_threads`` consecutive parts, one thread each."""
    bounds = [len(order) * part // n_threads for part in range(n_threads + 1)]
    _on_threads(lambda part: _read_rows(X, y, order[bounds[part]:bounds[part + 1]]), n_threads)


_warmed_up = False  # once warm_up has run in this process, the machine code is there: nothing to redo


def warm_up() -> float:
    """Compile the kernel (or load it from Numba's cache) for float64 and float32 ``X``.

    Runs it on tiny arrays of the types :func:`sgdcore.train.train` passes. Returns the seconds
    it took: a few seconds the first time on a machine, a fraction of a second from the cache, and
    next to nothing after the first call in a process (every ``train()`` calls it; the tiny runs
    cost 0.2 ms). The loss pass of runs on several threads (:func:`full_loss`) is left to compile on
    first use: the dashboard, which compiles this at start-up, trains on one thread.
    """
    global _warmed_up
    started = time.perf_counter()
    if _warmed_up:
        return time.perf_counter() - started
    for dtype in (np.float64, np.float32):
        X = np.zeros((2, 1), dtype=dtype)
        y = np.zeros(2, dtype=dtype)
        params, velocity = np.zeros(2), np.zeros(2)
        run_steps(Minibatches(X, y, np.arange(2), 2, 1), Chunk(0, 0, np.full(2, 0.1)), params, velocity,
                  StepRule(), 1.0, Records(np.empty(2), np.empty((2, 2)), 1, 0))
    permutation(2, np.random.default_rng(0))
    block_order(3, 2, np.random.default_rng(0))
    with_replacement(2, np.random.default_rng(0))
    _warmed_up = True
    return time.perf_counter() - started


__all__ = ["SWAPS_AHEAD", "block_order", "full_loss", "permutation", "read_rows", "run_steps", "warm_up",
           "with_replacement"]

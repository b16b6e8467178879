"""The shuffles of :func:`sgdcore.kernels.permutation`, :func:`sgdcore.kernels.block_order` and
:func:`sgdcore.kernels.with_replacement`, compiled with
Numba: the same orders from the same generator, faster. :mod:`sgdcore._compiled` offers them with its loop."""

from __future__ import annotations

import numpy as np

from sgdcore._intrinsics import compile_function, prefetch
from sgdcore.kernels import block_layout

# The compiled Fisher–Yates draws its random places this many swaps early, to prefetch them (16-64
# did as well, and 30% faster than none, on 1,000,000 rows).
SWAPS_AHEAD = 32


def _fisher_yates(order, rng):
    # rng.random() inside compiled code draws from the Generator's own bit generator: the same
    # numbers, in the same order, as the reference's rng.random(size). Each swap reads a random
    # place j, a cache miss on a large order: the numbers are drawn SWAPS_AHEAD swaps early, in the
    # same order, so that place j can be prefetched while the swaps before it run.
    n_rows = order.shape[0]
    places_ahead = np.empty(SWAPS_AHEAD, dtype=np.intp)  # j of swap i, at i % SWAPS_AHEAD
    first = order.ctypes.data
    for i in range(n_rows - 1, max(n_rows - 1 - SWAPS_AHEAD, 0), -1):
        places_ahead[i % SWAPS_AHEAD] = j = min(int(rng.random() * (i + 1)), i)
        prefetch(first + j * order.strides[0])
    for i in range(n_rows - 1, 0, -1):
        j = places_ahead[i % SWAPS_AHEAD]
        later = i - SWAPS_AHEAD
        if later >= 1:
            places_ahead[later % SWAPS_AHEAD] = place = min(int(rng.random() * (later + 1)), later)
            prefetch(first + place * order.strides[0])
        order[i], order[j] = order[j], order[i]


def _draw_rows(rows, rng):
    # One rng.random() a row: the numbers the reference draws with rng.random(size), in the same order.
    n_rows = rows.shape[0]
    for k in range(n_rows):
        rows[k] = min(int(rng.random() * n_rows), n_rows - 1)


def _fill_blocks(order, starts, lengths, rng):
    position = 0
    for block in range(starts.shape[0]):
        start = starts[block]
        order[position] = start
        for i in range(1, lengths[block]):
            j = min(int(rng.random() * (i + 1)), i)
            order[position + i] = order[position + j]
            order[position + j] = start + i
        position += lengths[block]


_fisher_yates = compile_function(_fisher_yates)
_fill_blocks = compile_function(_fill_blocks)
_draw_rows = compile_function(_draw_rows)


def permutation(n_rows: int, rng: np.random.Generator) -> np.ndarray:
    """:func:`sgdcore.kernels.permutation`, compiled: the same order from the same ``rng``."""
    order = np.arange(n_rows, dtype=np.intp)
    _fisher_yates(order, rng)
    return order


def block_order(n_rows: int, block_size: int, rng: np.random.Generator) -> np.ndarray:
    """:func:`sgdcore.kernels.block_order`, compiled: the same order from the same ``rng``."""
    order = np.empty(n_rows, dtype=np.intp)
    _fill_blocks(order, *block_layout(n_rows, block_size, rng), rng)
    return order


def with_replacement(n_rows: int, rng: np.random.Generator) -> np.ndarray:
    """:func:`sgdcore.kernels.with_replacement`, compiled: the same rows from the same ``rng``."""
    rows = np.empty(n_rows, dtype=np.intp)
    _draw_rows(rows, rng)
    return rows

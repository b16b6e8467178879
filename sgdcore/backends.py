"""Where the steps run: the NumPy reference or the compiled kernel, on how many threads, and BLAS's share.

:func:`select_kernel` picks the inner loops for ``TrainConfig.backend``, falling back to NumPy with a
notice where Numba cannot compile. :func:`training_threads` caps the kernel's threads at the cores
this process may use, and picks them for ``n_threads="auto"`` from the work in a minibatch.
:func:`one_blas_thread` is the one place sgdcore limits BLAS: every BLAS call of
a run (the loss passes, the quadratic form of the loss, the NumPy kernel's products) runs on one thread.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import NamedTuple, ParamSpec, TypeVar

import joblib
import numpy as np
from threadpoolctl import ThreadpoolController

from sgdcore import kernels
from sgdcore.data import Dataset, Notice
from sgdcore.errors import ConfigError

P = ParamSpec("P")
T = TypeVar("T")


class Backend(NamedTuple):
    """One implementation of the inner loops: the NumPy references or the compiled versions."""

    name: str
    run_steps: Callable[..., tuple[int, int]]
    permutation: Callable[[int, np.random.Generator], np.ndarray]
    block_order: Callable[[int, int, np.random.Generator], np.ndarray]
    with_replacement: Callable[[int, np.random.Generator], np.ndarray]


NUMPY_BACKEND = Backend("numpy", kernels.run_steps, kernels.permutation, kernels.block_order,
                        kernels.with_replacement)


def select_kernel(backend: str) -> tuple[Backend, Notice | None]:
    """The inner loops to use for ``TrainConfig.backend``, and a notice saying why Numba is not used."""
    if backend == "numpy":
        return NUMPY_BACKEND, None
    try:
        from sgdcore import _compiled

        _compiled.warm_up()  # compiles on first use (then costs nothing): a Numba that cannot compile falls back too
    except Exception as error:  # ImportError, or Numba failing to initialise or compile on this platform
        if backend == "numba":
            raise ConfigError(f"backend='numba' was asked for but Numba is unavailable: {error}",
                              "numba_unavailable", reason=str(error)) from error
        return NUMPY_BACKEND, numpy_fallback_notice(error)
    return Backend("numba", _compiled.run_steps, _compiled.permutation, _compiled.block_order,
                   _compiled.with_replacement), None


def warm_up_kernel() -> float:
    """Compile the compiled kernel now (or load it from Numba's cache), so that no ``train()`` waits for it.

    A server calls it at start-up, off the request path. Returns the seconds it took: a few seconds the
    first time on a machine, a fraction of a second from the cache, next to nothing after the first call
    in a process.

    Raises
    ------
    Exception
        Whatever importing Numba or compiling raised where the kernel is unavailable (``ImportError``
        without Numba). ``train()`` then runs on NumPy and says so in ``Progress.notices``.
    """
    from sgdcore import _compiled

    return _compiled.warm_up()


def read_in_order(X: np.ndarray, y: np.ndarray, order: np.ndarray, n_threads: int = 1) -> None:
    """Read every row of a C-contiguous float ``X`` once in ``order``, as the compiled kernel reads the rows
    of an epoch (prefetching ahead), with no arithmetic to speak of: what no epoch visiting the rows in that
    order can beat on this machine. With ``n_threads``, ``order`` is cut into that many consecutive parts,
    a thread each. For benchmarks; needs Numba.
    """
    from sgdcore import _compiled

    _compiled.read_rows(X, y, order, max(int(n_threads), 1))


@functools.cache
def usable_cores() -> int:
    """The cores this process may use, counted once: fewer than the machine has where its CPU affinity
    (``taskset``, a container's cpuset) or a container's CPU quota (cgroups) says so, as joblib counts them.

    A quota matters as much as the affinity: a container may see every core of its host and be allowed
    the time of two, and threads that meet at every step wait for any of them not given a core.
    """
    return joblib.cpu_count()


# The work a thread's share of one step must hold, in rows × features, before another thread pays: below it the
# threads' meeting at every step (about 0.35 µs) costs more than the share saves. From benchmarks/bench_threads.py
# (RESULTS.md) on an idle 2-core machine, two threads against one: 1.16× at batch 64 × 20 features, 1.4–1.5× from
# 128 × 20; 1.10× at 8 × 100, 1.36× from 16 × 100. So two threads from 1,536 rows × features a step: batch 77 and
# up at 20 features, 16 and up at 100.
AUTO_THREADS_MIN_WORK = 768
AUTO = "auto"


def _machine_load() -> float:
    """The machine's run queue, averaged over the last minute (0 where the platform does not say)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


def auto_threads(batch_size: int, n_features: int, cores: int | None = None, load: float | None = None) -> int:
    """The threads ``n_threads="auto"`` picks: as many as ``cores`` (by default the usable ones) while each
    thread's share of a minibatch holds at least ``AUTO_THREADS_MIN_WORK`` rows × features, at least one.

    One thread when the machine is busy (``load``, by default the last minute's load average, above
    ``cores - 1``): threads that meet at every step wait for any of them not given a core, and two threads
    measured 0.1–0.7× one thread's speed on a 2-core machine running other work. Batch size 1 always gets
    one thread: two make it several times slower.
    """
    cores = usable_cores() if cores is None else cores
    load = _machine_load() if load is None else load
    if load > cores - 1:
        return 1
    by_work = (batch_size * n_features) // AUTO_THREADS_MIN_WORK
    return max(1, min(cores, by_work))


def training_threads(
    backend: Backend, n_threads: int | str, batch_size: int = 1, n_features: int = 1
) -> tuple[int, Notice | None]:
    """The threads a run on ``backend`` uses for ``TrainConfig.n_threads``, and a notice if fewer than asked.

    The NumPy kernel sums each minibatch in one BLAS call: only the compiled one splits it. Its threads
    wait for each other at every step, so more threads than cores would wait for one that is not running;
    ``"auto"`` takes a thread for each :data:`AUTO_THREADS_MIN_WORK` of a minibatch's rows × features.
    """
    if backend.name != "numba":
        return 1, None
    if n_threads == AUTO:
        return auto_threads(batch_size, n_features), None
    usable = min(n_threads, usable_cores())
    if usable == n_threads:
        return usable, None
    return usable, threads_lowered_notice(n_threads, usable)


def numpy_fallback_notice(error: BaseException) -> Notice:
    """Numba could not compile the kernel: the run trains on NumPy, and says why."""
    return Notice(f"The compiled kernel is unavailable ({error}); training runs on the slower NumPy path.",
                  "numpy_fallback", reason=str(error))


def threads_lowered_notice(asked: int, usable: int) -> Notice:
    """Fewer threads than asked for: the process may use only ``usable`` cores."""
    return Notice(f"n_threads={asked} asked for, but this process may use {usable} "
                  f"core{'s' if usable != 1 else ''}: training on {usable}.", "threads_lowered", asked=asked,
                  usable=usable)


def as_float_arrays(data: Dataset) -> Dataset:
    """``data`` with ``X`` and ``y`` as C-contiguous float arrays: what the compiled loops read.

    float32 data stays float32 (half the memory and bandwidth); anything else trains in float64, so
    integer features never turn the target into integers. Arrays that already fit are not copied.
    """
    dtype = data.X.dtype if data.X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    return replace(data, X=np.ascontiguousarray(data.X, dtype=dtype), y=np.ascontiguousarray(data.y, dtype=dtype))


@functools.cache
def _blas_libraries() -> ThreadpoolController:
    """The BLAS libraries loaded (NumPy's and SciPy's, loaded by the time anything trains), found once:
    finding them costs milliseconds, limiting their threads then tens of microseconds."""
    return ThreadpoolController()


def one_blas_thread(snapshots: Callable[P, Iterator[T]]) -> Callable[P, Iterator[T]]:
    """A generator function whose work runs with BLAS on one thread, and whose caller keeps its own BLAS
    threads while it holds a snapshot (the limit is lifted at every ``yield``).

    After each call, BLAS's worker threads keep spinning on their cores for a while (about 0.1 s with
    OpenBLAS). Training's own BLAS calls are small or rare (a loss pass per epoch), so a second thread
    gains little, and its spinning worker takes a core from what shares the machine: the kernel's other
    threads, which wait for each other at every step, or a dashboard's server and browser.
    """

    @functools.wraps(snapshots)
    def limited(*args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        work = snapshots(*args, **kwargs)
        try:
            while True:
                with _blas_libraries().limit(limits=1, user_api="blas"):
                    try:
                        snapshot = next(work)
                    except StopIteration:
                        return
                yield snapshot
        finally:
            work.close()

    return limited

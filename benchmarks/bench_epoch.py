"""Time one epoch of SGD: sgdcore (compiled and NumPy) against SGDRegressor, a naive NumPy loop and ``X @ w``.

    python benchmarks/bench_epoch.py                 # 1,000,000×20 and 100,000×100, batch sizes 1, 32, 256
    python benchmarks/bench_epoch.py --scale 0.05    # the same with 5% of the rows, for a quick look
    python benchmarks/bench_epoch.py --threads 1      # our kernel on one thread only (default: 1 and 2)

Every time is the best of ``--repeat`` runs of one shuffled epoch on float64 data, after the compiled
kernel is warmed up; data generation is not timed. Loops that take minutes per epoch (the naive loop
and our NumPy reference at small batch sizes) are timed over ``--steps`` steps and extrapolated to a
full epoch; the table says which.

A one-epoch ``sgdcore.train`` run also evaluates the full loss before and after the epoch (the
other loops do not; that is two extra passes over ``X``). For the compiled runs the table therefore
also gives the steady cost of an epoch, "s/epoch in run": in a 20-epoch run, the time of epochs 2 to
20 divided by 19, from ``Progress.epoch_seconds``, best of ``--repeat``. It includes everything those
epochs do: the shuffle, the steps, the snapshots, the full loss at the epoch's end (which a run this
long takes from the loss's quadratic form; the one-time set-up of that form is in the first epoch,
left out, and printed). The targets are checked on both figures, the one-epoch figure first.

Two more kinds of row put the figures in proportion. "compiled kernel alone" is an epoch of our
kernel with nothing else: the shuffle and the steps, the work the naive loop and ``SGDRegressor``
do. The floors are what no epoch can beat on one core of this machine: reading every row of ``X``
once in the epoch's order (prefetched as the kernel does, no arithmetic to speak of), and making
that order. ``X @ w`` runs BLAS on all cores (NumPy's default), our kernel on one
(``TrainConfig``'s default); the one-thread ``X @ w`` is printed too, and our rows again with
``n_threads=2`` (each minibatch split between two threads), whose targets are checked separately,
with the floors of two cores (the order cut in two, a thread reading each half) and what the threads'
meeting at every step costs (a step on data that stays in cache, on one thread and on two).
The last lines add the floors up for a one-epoch ``train()`` run (shuffle, read, and the two loss
passes) and compare them with the targets.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numba
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDRegressor
from threadpoolctl import threadpool_limits

import sgdcore
from sgdcore import Dataset, TrainConfig, kernels
from sgdcore.backends import Backend, read_in_order, select_kernel
from sgdcore.kernels import Chunk, Minibatches, Records, StepRule
from sgdcore.losses import epoch_loss_function, full_loss
from sgdcore.train import epoch_order

LEARNING_RATE = 1e-3  # small enough for batch size 1 on 100 standard-normal features
RUN_EPOCHS = 20  # the run whose steady epochs give "s/epoch in run"


@dataclass
class Timing:
    method: str
    batch_size: int | None
    seconds: float
    how: str = "measured"
    seconds_in_run: float | None = None  # per epoch within a multi-epoch run, its first epoch excluded


def best_of(repeat: int, run: Callable[[int], object]) -> float:
    """The shortest of ``repeat`` timed calls ``run(repetition)``."""
    times = []
    for repetition in range(repeat):
        started = time.perf_counter()
        run(repetition)
        times.append(time.perf_counter() - started)
    return min(times)


def make_data(n_rows: int, n_features: int, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    X = np.empty((n_rows, n_features))
    rng.standard_normal(out=X)
    y = X @ rng.uniform(-2, 2, size=n_features) + 4.2 + rng.normal(0.0, 0.01, size=n_rows)
    return Dataset(X, y, tuple(f"x{i + 1}" for i in range(n_features)))


def sgdcore_epoch(
    data: Dataset, batch_size: int, shuffle: str, backend: str, seed: int, epochs: int = 1, n_threads: int = 1
) -> sgdcore.Progress:
    config = TrainConfig(learning_rate=LEARNING_RATE, batch_size=batch_size, epochs=epochs, shuffle=shuffle,
                         backend=backend, seed=seed, n_threads=n_threads)
    *_, progress = sgdcore.train(data, config)
    if progress.status != "finished" or progress.backend != backend:
        raise RuntimeError(f"unexpected run: {progress.status}, {progress.backend}: {progress.message}")
    return progress


def sklearn_epoch(data: Dataset, seed: int) -> None:
    model = SGDRegressor(max_iter=1, tol=None, learning_rate="constant", eta0=LEARNING_RATE, penalty=None,
                         shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # one epoch is what we ask for
        model.fit(data.X, data.y)


def naive_steps(X: np.ndarray, y: np.ndarray, batch_size: int, max_steps: int, seed: int) -> int:
    """D2L's loop: slice a permutation, gather the minibatch, one NumPy update. Returns the steps run."""
    n_rows, n_features = X.shape
    rng = np.random.default_rng(seed)
    w, b = np.zeros(n_features), 0.0
    perm = rng.permutation(n_rows)
    steps = 0
    for i in range(0, n_rows, batch_size):
        if steps == max_steps:
            break
        idx = perm[i:i + batch_size]
        Xb, yb = X[idx], y[idx]
        residual = Xb @ w + b - yb
        w -= LEARNING_RATE * Xb.T @ residual / len(idx)
        b -= LEARNING_RATE * residual.mean()
        steps += 1
    return steps


def kernel_steps(run_steps: Callable[..., object], X: np.ndarray, y: np.ndarray, order: np.ndarray,
                 batch_size: int, n_steps: int, n_threads: int = 1) -> None:
    """``run_steps`` (our NumPy or compiled kernel) over the first ``n_steps`` minibatches in ``order``: plain SGD."""
    n_features = X.shape[1]
    params, velocity = np.zeros(n_features + 1), np.zeros(n_features + 1)
    records = Records(np.empty(n_steps), np.empty((1, n_features + 1)), record_stride=1 << 60, n_recorded=0)
    run_steps(Minibatches(X, y, order, len(order), batch_size), Chunk(0, 0, np.full(n_steps, LEARNING_RATE)),
              params, velocity, StepRule(), np.inf, records, n_threads=n_threads)


def numpy_kernel_steps(X: np.ndarray, y: np.ndarray, batch_size: int, n_steps: int, seed: int) -> None:
    """Our NumPy reference kernel over the first ``n_steps`` minibatches of a shuffled epoch."""
    kernel_steps(kernels.run_steps, X, y, np.random.default_rng(seed).permutation(X.shape[0]), batch_size, n_steps)


def compiled_kernel_epoch(compiled: Backend, X: np.ndarray, y: np.ndarray, batch_size: int, shuffle: str,
                          seed: int, n_threads: int = 1) -> None:
    """An epoch of our compiled kernel alone: the shuffle and the steps, no loss evaluation, no snapshots.

    The same work as the naive loop and ``SGDRegressor(max_iter=1)``; ``train()`` adds the rest.
    """
    n_rows = X.shape[0]
    order = epoch_order(n_rows, np.random.default_rng(seed), shuffle, block_size=TrainConfig.block_size,
                        backend=compiled)
    kernel_steps(compiled.run_steps, X, y, order, batch_size, -(-n_rows // batch_size), n_threads)


def step_on_cached_data(n_features: int, n_threads: int, batch_size: int = 32, steps: int = 20_000
                        ) -> tuple[float, float]:
    """Seconds per step of the compiled kernel on data that stays in cache (64 rows), on one thread and on
    ``n_threads``: memory aside, what the threads' meeting at every step costs."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, n_features))
    y = X.sum(axis=1)
    order = np.tile(np.arange(64), steps * batch_size // 64)  # the same 64 rows again and again
    compiled, _ = select_kernel("numba")
    one, several = (
        best_of(5, lambda _, t=threads: kernel_steps(compiled.run_steps, X, y, order, batch_size, steps, t)) / steps
        for threads in (1, n_threads)
    )
    return one, several


def extrapolated(repeat: int, steps_per_epoch: int, max_steps: int,
                 run: Callable[[int, int], object]) -> tuple[float, str]:
    """Time ``run(n_steps, repetition)``; if that is less than an epoch, scale it up to one."""
    n_steps = min(steps_per_epoch, max_steps)
    seconds = best_of(repeat, lambda repetition: run(n_steps, repetition))
    if n_steps == steps_per_epoch:
        return seconds, "measured"
    return seconds * steps_per_epoch / n_steps, f"extrapolated from {n_steps:,} steps"


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.platform()} | {cpu} | {os.cpu_count()} logical cores\n"
            f"Python {platform.python_version()} | NumPy {np.__version__} | Numba {numba.__version__} | "
            f"scikit-learn {sklearn.__version__}")


def bench_dataset(n_rows: int, n_features: int, batch_sizes: list[int], repeat: int, max_steps: int,
                  threads: list[int]) -> None:
    data = make_data(n_rows, n_features)
    X, y = data.X, data.y
    w = np.ones(n_features)
    print(f"\n## {n_rows:,} × {n_features} float64 ({X.nbytes / 1e6:.0f} MB), best of {repeat}")

    compiled, _ = select_kernel("numba")
    x_at_w = best_of(repeat, lambda _: X @ w)
    with threadpool_limits(limits=1, user_api="blas"):
        x_at_w_one_thread = best_of(repeat, lambda _: X @ w)
    loss_pass = best_of(repeat, lambda _: full_loss(data, np.zeros(n_features + 1)))
    print(f"full loss, one pass: {loss_pass:.4f} s; "
          f"set-up of its quadratic form for a {RUN_EPOCHS}-epoch run: "
          f"{best_of(repeat, lambda _: epoch_loss_function(data, RUN_EPOCHS)):.4f} s, then O(d²) per epoch")
    # The floors: reading every row once in an epoch's order (prefetched as the kernel does, no
    # arithmetic) is the least any epoch visiting the rows in that order can cost on this machine.
    shuffle_time, read_time, orders = {}, {}, {}
    for shuffle in ("epoch", "blocks"):
        shuffle_time[shuffle] = best_of(repeat, lambda repetition, s=shuffle: epoch_order(
            n_rows, np.random.default_rng(repetition), s, block_size=TrainConfig.block_size, backend=compiled))
        order = orders[shuffle] = epoch_order(n_rows, np.random.default_rng(0), shuffle,
                                              block_size=TrainConfig.block_size, backend=compiled)
        read_in_order(X, y, order[:2])  # compile, not timed
        read_time[shuffle] = best_of(repeat, lambda _, order=order: read_in_order(X, y, order))
    sklearn_time = best_of(repeat, lambda repetition: sklearn_epoch(data, repetition))
    timings = [Timing("X @ w (one sequential read)", None, x_at_w),
               Timing("X @ w, BLAS on one thread", None, x_at_w_one_thread),
               Timing("read X in a shuffled order (floor)", None, read_time["epoch"]),
               Timing("read X in shuffle=blocks order (floor)", None, read_time["blocks"]),
               *(Timing(f"read X in {'a shuffled' if shuffle == 'epoch' else 'shuffle=blocks'} order, {n} threads",
                        None, best_of(repeat, lambda _, order=order, n=n: read_in_order(X, y, order, n)))
                 for n in threads if n > 1
                 for shuffle, order in orders.items()),
               Timing("shuffle: compiled Fisher–Yates", None, shuffle_time["epoch"]),
               Timing("shuffle: blocks order", None, shuffle_time["blocks"]),
               Timing("SGDRegressor.fit, max_iter=1", 1, sklearn_time)]
    naive_time: dict[int, float] = {}
    # Our compiled rows, by (batch size, threads): the kernel alone, and train() runs (one epoch; per epoch in a run)
    kernel_time: dict[tuple[int, int], float] = {}
    kernel_blocks_time: dict[tuple[int, int], float] = {}
    compiled_time: dict[tuple[int, int], float] = {}
    blocks_time: dict[tuple[int, int], float] = {}
    compiled_in_run: dict[tuple[int, int], float] = {}
    blocks_in_run: dict[tuple[int, int], float] = {}

    def compiled_epochs(batch_size: int, shuffle: str, n_threads: int) -> tuple[float, float]:
        """Best time of a 1-epoch run, and best time per epoch of epochs 2… of a RUN_EPOCHS-epoch run."""
        one = best_of(repeat, lambda repetition: sgdcore_epoch(
            data, batch_size, shuffle, "numba", repetition, n_threads=n_threads))
        in_run = math.inf
        for repetition in range(repeat):
            seconds = sgdcore_epoch(data, batch_size, shuffle, "numba", repetition, RUN_EPOCHS, n_threads).epoch_seconds
            in_run = min(in_run, (seconds[-1] - seconds[1]) / (RUN_EPOCHS - 1))
        return one, in_run

    def on(n_threads: int) -> str:
        return "" if n_threads == 1 else f", {n_threads} threads"

    for batch_size in batch_sizes:
        steps_per_epoch = -(-n_rows // batch_size)
        for n in threads:
            key = (batch_size, n)
            kernel_time[key] = best_of(repeat, lambda repetition, b=batch_size, n=n: compiled_kernel_epoch(
                compiled, X, y, b, "epoch", repetition, n))
            kernel_blocks_time[key] = best_of(repeat, lambda repetition, b=batch_size, n=n: compiled_kernel_epoch(
                compiled, X, y, b, "blocks", repetition, n))
            compiled_time[key], compiled_in_run[key] = compiled_epochs(batch_size, "epoch", n)
            blocks_time[key], blocks_in_run[key] = compiled_epochs(batch_size, "blocks", n)
        if steps_per_epoch <= max_steps:
            numpy_seconds = best_of(
                repeat, lambda repetition, b=batch_size: sgdcore_epoch(data, b, "epoch", "numpy", repetition))
            numpy_how = "measured"
        else:
            numpy_seconds, numpy_how = extrapolated(
                repeat, steps_per_epoch, max_steps,
                lambda steps, repetition, b=batch_size: numpy_kernel_steps(X, y, b, steps, repetition))
            numpy_how += " (kernel only)"
        naive_time[batch_size], naive_how = extrapolated(
            repeat, steps_per_epoch, max_steps,
            lambda steps, repetition, b=batch_size: naive_steps(X, y, b, steps, repetition))
        for n in threads:
            key = (batch_size, n)
            timings += [
                Timing(f"compiled kernel alone{on(n)}, shuffle=epoch", batch_size, kernel_time[key]),
                Timing(f"compiled kernel alone{on(n)}, shuffle=blocks", batch_size, kernel_blocks_time[key]),
                Timing(f"sgdcore.train, numba{on(n)}, shuffle=epoch", batch_size, compiled_time[key],
                       seconds_in_run=compiled_in_run[key]),
                Timing(f"sgdcore.train, numba{on(n)}, shuffle=blocks", batch_size, blocks_time[key],
                       seconds_in_run=blocks_in_run[key]),
            ]
        timings += [
            Timing("sgdcore NumPy reference (backend=numpy)", batch_size, numpy_seconds, numpy_how),
            Timing("naive D2L NumPy loop", batch_size, naive_time[batch_size], naive_how),
        ]

    print(f"{'method':<50}{'batch':>6}{'s/epoch':>10}{'× SGDReg':>10}{'naive ÷':>9}{'× X@w':>9}"
          f"{'s/epoch in run':>16}{'naive ÷':>9}{'× X@w':>9}  how")
    for timing in timings:
        naive = naive_time.get(timing.batch_size) if timing.batch_size else None
        speed_up = f"{naive / timing.seconds:8.1f}×" if naive else f"{'':9}"
        batch = str(timing.batch_size) if timing.batch_size else "-"
        in_run = f"{'':34}"
        if timing.seconds_in_run is not None:
            in_run = (f"{timing.seconds_in_run:>16.4f}{naive / timing.seconds_in_run:8.1f}×"
                      f"{timing.seconds_in_run / x_at_w:>9.1f}")
        print(f"{timing.method:<50}{batch:>6}{timing.seconds:>10.4f}{timing.seconds / sklearn_time:>10.2f}"
              f"{speed_up}{timing.seconds / x_at_w:>9.1f}{in_run}  {timing.how}")

    print("targets:")

    def target(text: str, value: float, limit: float, at_most: bool = True) -> None:
        met = value <= limit if at_most else value >= limit
        print(f"  [{'met' if met else 'NOT MET':>7}] {text}: {value:.2f} ({'≤' if at_most else '≥'} {limit:g})")

    for n in threads:
        if n == 1 and (1, 1) in compiled_time:  # more threads only slow batch size 1 down: no target for them
            target("batch 1, compiled ÷ SGDRegressor", compiled_time[(1, n)] / sklearn_time, 0.7)
        for batch_size in (32, 256):
            if (batch_size, n) in compiled_time:
                target(f"batch {batch_size}, compiled{on(n)} ÷ SGDRegressor",
                       compiled_time[(batch_size, n)] / sklearn_time, 0.5)
        if (32, n) in compiled_time:
            target(f"batch 32, naive loop ÷ compiled{on(n)}", naive_time[32] / compiled_time[(32, n)], 8.0,
                   at_most=False)
            target(f"batch 32, naive loop ÷ compiled{on(n)} (s/epoch in run)",
                   naive_time[32] / compiled_in_run[(32, n)], 8.0, at_most=False)
            target(f"batch 32, naive loop ÷ compiled kernel alone{on(n)}", naive_time[32] / kernel_time[(32, n)], 8.0,
                   at_most=False)
        for batch_size in batch_sizes:
            if batch_size >= 256:
                key = (batch_size, n)
                target(f"batch {batch_size}, shuffle=blocks{on(n)} ÷ X@w", blocks_time[key] / x_at_w, 3.0)
                target(f"batch {batch_size}, shuffle=blocks{on(n)} ÷ X@w (s/epoch in run)", blocks_in_run[key] / x_at_w,
                       3.0)
                target(f"batch {batch_size}, shuffle=blocks{on(n)} ÷ X@w (kernel alone)",
                       kernel_blocks_time[key] / x_at_w, 3.0)

    # A one-epoch train() run evaluates the exact loss before and after its epoch: no such run can
    # take less than its shuffle, a read of X in its order, and two loss passes.
    print("floors of a one-epoch train() run (shuffle + read in order + 2 loss passes):")
    for shuffle in ("epoch", "blocks"):
        floor = shuffle_time[shuffle] + read_time[shuffle] + 2 * loss_pass
        against = f"naive loop (batch 32) ÷ floor: {naive_time[32] / floor:.1f}×" if 32 in naive_time else ""
        print(f"  shuffle={shuffle}: {shuffle_time[shuffle]:.4f} + {read_time[shuffle]:.4f} + 2 × {loss_pass:.4f} "
              f"= {floor:.4f} s = {floor / x_at_w:.1f}× X@w; {against}")
    for n in threads:
        if n > 1:
            one, several = step_on_cached_data(n_features, n)
            # With the arithmetic split evenly, what a step takes beyond its share of one thread's work is the meeting.
            print(f"a step on data in cache (batch 32, {n_features} features): {one * 1e6:.2f} µs on one thread, "
                  f"{several * 1e6:.2f} µs on {n}: their meeting costs about {(several - one / n) * 1e6:.2f} µs a step")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the number of rows (e.g. 0.05)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32, 256])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                        help="TrainConfig.n_threads values to time our compiled kernel with")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions; the best is reported")
    parser.add_argument("--steps", type=int, default=20_000,
                        help="steps timed for the slow loops before extrapolating to an epoch")
    args = parser.parse_args()

    print("# One epoch of minibatch SGD on linear regression")
    print(machine())
    print(f"compiled kernel warm-up (compile or load from cache): {sgdcore.warm_up_kernel():.2f} s, not timed below")
    for n_rows, n_features in ((1_000_000, 20), (100_000, 100)):
        bench_dataset(max(1000, round(n_rows * args.scale)), n_features, args.batch_sizes, args.repeat, args.steps,
                      args.threads)


if __name__ == "__main__":
    main()

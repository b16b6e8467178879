"""How long making and solving the largest data holds Python's lock: what every other session's script waits, at worst.

    python benchmarks/bench_lock.py                        # 2,000,000 × 20, the sidebar's largest synthetic data
    python benchmarks/bench_lock.py --rows 200000 --repeats 5

Streamlit runs every session's script in one process, a thread each, and only one thread at a time runs Python: a
step that holds the lock stops every other session's script run for as long as it holds it, whatever the operating
system's priorities (ui.runner.background_priority) say. A thread here wakes every millisecond while each step runs
in another; its longest wait between two wakes is the longest hold, and the sum of its waits beyond its own tick is
how much of the step the lock was held. The floor is the same thread with nothing else running.

Side by side: each step the dashboard takes for a heavy session (make the data; split, standardise and solve it, as
the sidebar does; the closed form alone, ``sgdcore.closed_form``, which folds the rows a block at a time into a small
triangle that scikit-learn's ``LinearRegression`` then solves), and the same least-squares problem solved without
folding: ``LinearRegression`` on every row, SciPy's ``lstsq`` (what ``LinearRegression`` calls) and NumPy's, and one
BLAS product, ``Xᵀ X``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sgdcore
from sgdcore.reference import closed_form

TICK = 0.001  # seconds the watching thread sleeps between wakes


def hold(step: Callable[[], object]) -> tuple[float, float, float]:
    """``(seconds the step took, the longest wait of a thread waking every TICK, the waits beyond TICK summed)``."""
    stop = threading.Event()
    waits: list[float] = []

    def watch() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            time.sleep(TICK)
            now = time.perf_counter()
            waits.append(now - last)
            last = now

    watcher = threading.Thread(target=watch)
    watcher.start()
    time.sleep(0.05)
    waits.clear()
    started = time.perf_counter()
    step()
    took = time.perf_counter() - started
    stop.set()
    watcher.join()
    return took, max(waits, default=0.0), sum(max(wait - TICK, 0.0) for wait in waits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each step; the table gives the median "
                                                                "time and the longest wait over them")
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"NumPy {np.__version__}")
    import scipy
    import scipy.linalg
    import sklearn
    from sklearn.linear_model import LinearRegression

    print(f"SciPy {scipy.__version__}, scikit-learn {sklearn.__version__}; {args.rows:,} rows × {args.features} "
          f"features, {args.repeats} runs of each step")
    weights = np.linspace(1.0, 2.0, args.features)
    data = sgdcore.synthetic(args.rows, weights, seed=1)
    design = np.column_stack([data.X, np.ones(data.n_rows)])
    steps: dict[str, Callable[[], object]] = {
        "nothing (the floor)": lambda: time.sleep(1.0),
        "make the data (sgdcore.synthetic)": lambda: sgdcore.synthetic(args.rows, weights, seed=2),
        "split, standardise, solve (make_problem)": lambda: sgdcore.make_problem(data, standardize=True,
                                                                                 test_fraction=0.2),
        "closed form (sgdcore.closed_form, folded)": lambda: closed_form(data),
        "LinearRegression on every row": lambda: LinearRegression().fit(data.X, data.y),
        "scipy.linalg.lstsq": lambda: scipy.linalg.lstsq(design, data.y, cond=1e-6),
        "numpy.linalg.lstsq": lambda: np.linalg.lstsq(design, data.y, rcond=None),
        "Xᵀ X (BLAS)": lambda: design.T @ design,
    }
    closed_form(data)  # imports and first-call costs out of the figures
    rows = []
    for name, step in steps.items():
        runs = [hold(step) for _ in range(args.repeats)]
        took = statistics.median(run[0] for run in runs)
        longest = max(run[1] for run in runs)
        held = statistics.median(run[2] / run[0] for run in runs)
        rows.append((name, took, longest, held))
    floor = rows[0][2]
    print(f"\n{'step':<45} {'time':>8} {'longest wait':>13} {'÷ floor':>8} {'lock held':>10}")
    for name, took, longest, held in rows:
        print(f"{name:<45} {took:>6.2f} s {longest * 1e3:>10.0f} ms {longest / floor:>7.0f}× {held:>9.0%}")


if __name__ == "__main__":
    main()

"""Where a second training thread starts to pay: an epoch on one thread against two, by batch size and features.

    python benchmarks/bench_threads.py                       # 1,000,000 × 20 and 200,000 × 100
    python benchmarks/bench_threads.py --rows 200000 --features 20 --batch-sizes 16 32 64 128

The compiled kernel splits each minibatch's rows between the threads, which meet at every step, so a thread
pays only when its share of a step (rows × features ÷ threads) outweighs that meeting. This prints, for each
batch size, the steady time of an epoch (epochs 2 to 5 of a 5-epoch run, median) on one thread and on each
thread count asked for, measured in turn so that a busy machine slows both alike, and their ratio, with what
``n_threads="auto"`` picks on an idle machine (``sgdcore.backends.AUTO_THREADS_MIN_WORK`` is set from these
figures; on a busy machine it picks one thread). Run it on a quiet machine: with other work on the cores, two
threads lose at every batch size.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sgdcore
from sgdcore.backends import auto_threads


def epoch_seconds(data: sgdcore.Dataset, batch_size: int, n_threads: int | str) -> float:
    config = sgdcore.TrainConfig(batch_size=batch_size, epochs=5, learning_rate=1e-3, n_threads=n_threads,
                                 backend="numba")
    *_, progress = sgdcore.train(data, config, report_every=10.0)
    return statistics.median(np.diff(progress.epoch_seconds))  # seconds since the start at each epoch's end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 200_000])
    parser.add_argument("--features", type=int, nargs="+", default=[20, 100])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[8, 16, 32, 64, 128, 256, 512])
    parser.add_argument("--threads", type=int, default=2, help="compared with one thread")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest is kept")
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, {sgdcore.usable_cores()} usable")
    sgdcore.warm_up_kernel()
    print(f"{'data':<16}{'batch':>7}{'1 thread':>12}{f'{args.threads} threads':>12}{'speed-up':>10}"
          f"{'auto picks (idle machine)':>27}", flush=True)
    for rows, features in zip(args.rows, args.features, strict=True):
        rng = np.random.default_rng(0)
        data = sgdcore.synthetic(rows, rng.uniform(-4, 4, features).round(1), 4.2, 0.01, seed=0)
        for batch_size in args.batch_sizes:
            one, many = [], []
            for _ in range(args.repeat):  # in turn: a busy machine slows both alike
                one.append(epoch_seconds(data, batch_size, 1))
                many.append(epoch_seconds(data, batch_size, args.threads))
            picked = auto_threads(batch_size, features, load=0.0)  # this benchmark's own load left out
            print(f"{f'{rows:,} × {features}':<16}{batch_size:>7}{min(one) * 1e3:>10.1f}ms{min(many) * 1e3:>10.1f}ms"
                  f"{min(one) / min(many):>9.2f}×{picked:>27}", flush=True)


if __name__ == "__main__":
    main()

"""Peak memory of one training epoch, and the compiled kernel's compile time cold and from the cache.

    python benchmarks/bench_memory.py                # 1,000,000×20 float64, batch size 32
    python benchmarks/bench_memory.py --rows 100000  # smaller

Each measurement runs in a fresh subprocess. Memory: the baseline already holds X, y, the imports
and the compiled kernel; the extra memory of ``train()`` is its peak resident size (``VmHWM``,
peak reset just before training where Linux allows it) over that baseline, and tracemalloc's peak
of NumPy and Python allocations inside ``train()``. Target: extra memory below the data's size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from resident_memory import peak_rss_bytes, reset_peak_rss, rss_bytes

REPO = Path(__file__).resolve().parents[1]


def child_train(n_rows: int, n_features: int, batch_size: int) -> dict:
    import tracemalloc

    import numpy as np

    import sgdcore

    sgdcore.warm_up_kernel()
    rng = np.random.default_rng(0)
    X = np.empty((n_rows, n_features))
    rng.standard_normal(out=X)
    y = X @ rng.uniform(-2, 2, size=n_features) + 4.2
    data = sgdcore.Dataset(X, y, tuple(f"x{i + 1}" for i in range(n_features)))
    config = sgdcore.TrainConfig(learning_rate=1e-3, batch_size=batch_size, epochs=1, backend="numba")

    baseline_rss = rss_bytes()
    reset = reset_peak_rss()
    baseline_peak = peak_rss_bytes()
    *_, progress = sgdcore.train(data, config)
    peak = peak_rss_bytes()
    assert progress.status == "finished", progress.message

    tracemalloc.start()
    *_, progress = sgdcore.train(data, config)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "data_bytes": X.nbytes + y.nbytes, "baseline_rss": baseline_rss, "baseline_peak": baseline_peak,
        "peak": peak, "peak_was_reset": reset, "traced_peak": traced_peak,
    }


def child_warm_up() -> dict:
    import time

    started = time.perf_counter()
    import numba  # noqa: F401  (what loading the compiled kernel costs before any compiling)

    imported = time.perf_counter() - started
    import sgdcore

    return {"import_seconds": imported, "warm_up_seconds": sgdcore.warm_up_kernel()}


def in_subprocess(arguments: list[str], environment: dict[str, str] | None = None) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", *arguments], cwd=REPO, capture_output=True, text=True,
        env=environment, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        sys.path.insert(0, str(REPO))
        kind, *rest = args.child
        result = child_train(*map(int, rest)) if kind == "train" else child_warm_up()
        print(json.dumps(result))
        return

    megabyte = 1e6
    memory = in_subprocess(["train", str(args.rows), str(args.features), str(args.batch_size)])
    data_size = memory["data_bytes"]
    extra_rss = memory["peak"] - memory["baseline_rss"]
    print(f"# Memory of one epoch: {args.rows:,} × {args.features} float64, batch size {args.batch_size}, numba")
    print(f"data (X and y)                           {data_size / megabyte:9.1f} MB")
    print(f"resident before train() (data, imports)  {memory['baseline_rss'] / megabyte:9.1f} MB")
    print(f"peak resident during train()             {memory['peak'] / megabyte:9.1f} MB"
          + ("" if memory["peak_was_reset"] else "  (peak could not be reset: includes data generation)"))
    print(f"extra: peak − before                     {extra_rss / megabyte:9.1f} MB = "
          f"{extra_rss / data_size:.2f} × data")
    print(f"tracemalloc peak inside train()          {memory['traced_peak'] / megabyte:9.1f} MB = "
          f"{memory['traced_peak'] / data_size:.2f} × data")
    worst = max(extra_rss, memory["traced_peak"])
    print(f"[{'met' if worst < data_size else 'NOT MET'}] extra memory < 1 × data (peak < 2 × data): "
          f"{(data_size + worst) / data_size:.2f} × data at the peak")

    print("\n# Compiling the kernel (sgdcore.warm_up_kernel(): float64 and float32), each in a fresh process")
    with tempfile.TemporaryDirectory() as cache_dir:
        environment = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
        cold = in_subprocess(["warm_up"], environment)
        warm = in_subprocess(["warm_up"], environment)
    for name, timing in (("cold (empty NUMBA_CACHE_DIR)", cold), ("warm (cache hit)", warm)):
        print(f"{name:<30} warm_up() {timing['warm_up_seconds']:6.2f} s   "
              f"(after import numba {timing['import_seconds']:.2f} s)")


if __name__ == "__main__":
    main()

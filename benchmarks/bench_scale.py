"""Data larger than the workers' memory: sgdcore.distributed's closed form and SGD epoch, side by side.

    python benchmarks/bench_scale.py                  # 3 GB of Parquet, 2 workers capped at 1.6 GB in all
    python benchmarks/bench_scale.py --size 0.2       # a quick run: 0.2 GB
    python benchmarks/bench_scale.py --size 0.02 --no-dask-ml   # what the test suite runs

Writes a Parquet dataset of float64 rows (20 features and a target, linear with noise) to a temporary
folder (deleted afterwards), starts a local Dask cluster of worker processes whose memory limits add up to
``--memory`` GB (less than the data), and times, in one run:

(a) the read floor: reading every column of every partition with ``dask.dataframe.read_parquet`` and
    summing one column (no cleaning, no arithmetic worth the name);
(b) the closed-form pass: ``sgdcore.distributed.load`` (reads and checks every partition, sums its
    statistics) then ``closed_form``; target: within 1.5× of (a);
(c) one SGD epoch, ``sgdcore.distributed.train`` at batch 32: the partitions in a random order, the state
    travelling between them. Its floor is (a) plus our in-memory epoch on the same rows (timed on
    1,000,000 rows in this process and scaled); target: within 1.2× of that floor;
(d) one epoch of dask-ml's ``Incremental(SGDRegressor)`` over the same partitions (``partial_fit`` on each
    block in turn): (c) should be faster (dask-ml is installed for this benchmark only:
    ``pip install dask-ml``; without it, or with ``--no-dask-ml``, the same chain of ``partial_fit`` calls
    written with ``dask.delayed`` stands in, which is what ``Incremental`` does);
(e) scikit-learn's ``SGDRegressor.partial_fit`` and our in-memory epoch on 1,000,000 rows in memory, for
    scale (rows per second).

Every timing starts warm: one read of the data comes first, so the files are in the operating system's
page cache (3 GB fits in this machine's RAM; the limit that matters is the workers'). At the end it checks
that no worker was restarted (a worker over its memory limit is killed and restarted by its nanny): the
data was never held whole. Figures go in ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

N_FEATURES = 20
ROWS_PER_GROUP = 131_072  # 22 MB per row group (one partition): a few of them fit in a worker's share
ROWS_PER_FILE = 8 * ROWS_PER_GROUP
IN_MEMORY_ROWS = 1_000_000


def write_dataset(folder: Path, size_gb: float, seed: int = 0) -> int:
    """Parquet files of ``N_FEATURES`` float64 features and a target, ``size_gb`` GB in all; returns the rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    weights = rng.normal(size=N_FEATURES)
    n_rows = max(int(size_gb * 1e9 / (8 * (N_FEATURES + 1))), 2 * N_FEATURES)
    names = [f"x{j}" for j in range(N_FEATURES)] + ["y"]
    for index, start in enumerate(range(0, n_rows, ROWS_PER_FILE)):
        rows = min(ROWS_PER_FILE, n_rows - start)
        X = rng.normal(size=(rows, N_FEATURES))
        y = X @ weights + 0.5 + 0.1 * rng.normal(size=rows)
        table = pa.table([*X.T, y], names=names)
        pq.write_table(table, folder / f"part-{index:04d}.parquet", row_group_size=ROWS_PER_GROUP)
    return n_rows


def timed(function, *arguments, **keywords) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*arguments, **keywords)
    return time.perf_counter() - started, result


def read_floor(folder: Path, client) -> float:
    """(a): every column of every partition read, one column summed."""
    import dask.dataframe as dd

    frame = dd.read_parquet(str(folder), split_row_groups=True)
    # A function dask cannot see into: every column is read (a projection would read one).
    sums = frame.map_partitions(lambda part: part.iloc[:, 0].sum(), meta=(None, "f8"))
    seconds, _ = timed(lambda: sums.sum().compute())
    return seconds


def incremental_epoch(data, client, use_dask_ml: bool, learning_rate: float) -> tuple[float, str]:
    """(d): one pass of SGDRegressor.partial_fit over the partitions, in order."""
    import dask
    from sklearn.linear_model import SGDRegressor

    estimator = SGDRegressor(learning_rate="constant", eta0=learning_rate, alpha=0.0, penalty=None, tol=None,
                             random_state=0)
    frame = data.frame
    lengths = [int(rows) for rows in data.partition_rows]
    if use_dask_ml:
        from dask_ml.wrappers import Incremental

        array = frame.to_dask_array(lengths=lengths)
        X, y = array[:, :-1], array[:, -1]
        model = Incremental(estimator, scoring=None, shuffle_blocks=False)
        seconds, _ = timed(model.fit, X, y)
        return seconds, "dask-ml Incremental(SGDRegressor)"
    parts = frame.to_delayed()

    def partial_fit(model, part):
        return model.partial_fit(part.iloc[:, :-1].to_numpy(), part.iloc[:, -1].to_numpy())

    model = estimator
    for part in parts:
        model = dask.delayed(partial_fit)(model, part)
    seconds, _ = timed(lambda: client.compute(model, sync=True))
    return seconds, "chain of SGDRegressor.partial_fit (dask.delayed)"


def in_memory_rates(learning_rate: float, batch_size: int) -> tuple[float, float]:
    """(e): seconds per row of our in-memory epoch and of SGDRegressor.partial_fit, on 1,000,000 rows."""
    from sklearn.linear_model import SGDRegressor

    import sgdcore

    rng = np.random.default_rng(1)
    X = rng.normal(size=(IN_MEMORY_ROWS, N_FEATURES))
    y = X @ rng.normal(size=N_FEATURES) + 0.1 * rng.normal(size=IN_MEMORY_ROWS)
    data = sgdcore.Dataset(X, y, tuple(f"x{j}" for j in range(N_FEATURES)))
    config = sgdcore.TrainConfig(learning_rate=learning_rate, batch_size=batch_size, epochs=1, shuffle="blocks",
                                 block_size=ROWS_PER_GROUP)
    for _ in sgdcore.train(data, config):  # compiles, and warms the caches
        pass
    ours = min(timed(lambda: [None for _ in sgdcore.train(data, config)])[0] for _ in range(2))
    estimator = SGDRegressor(learning_rate="constant", eta0=learning_rate, alpha=0.0, penalty=None, tol=None)
    theirs = min(timed(estimator.partial_fit, X, y)[0] for _ in range(2))
    return ours / IN_MEMORY_ROWS, theirs / IN_MEMORY_ROWS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=float, default=3.0, help="GB of data to write (default 3)")
    parser.add_argument("--memory", type=float, default=1.6,
                        help="GB of memory for all workers together (default 1.6: a worker process with NumPy, pandas, "
                        "pyarrow, scikit-learn and Numba loaded takes about 0.45 GB before any data)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--folder", type=Path, default=None, help="where to write the data (default: a temp dir)")
    parser.add_argument("--repeat", type=int, default=2, help="timings of (a) and (b) to take the best of")
    parser.add_argument("--no-dask-ml", action="store_true", help="time the delayed chain of partial_fit instead")
    arguments = parser.parse_args()

    from distributed import Client, LocalCluster

    import sgdcore
    from sgdcore import distributed

    use_dask_ml = not arguments.no_dask_ml
    if use_dask_ml:
        try:
            import dask_ml  # noqa: F401
        except ImportError:
            print("dask-ml is not installed (pip install dask-ml): timing the delayed chain of partial_fit.")
            use_dask_ml = False

    with tempfile.TemporaryDirectory(dir=arguments.folder) as scratch:
        folder = Path(scratch) / "data"
        folder.mkdir()
        seconds, n_rows = timed(write_dataset, folder, arguments.size)
        on_disk = sum(file.stat().st_size for file in folder.iterdir())
        print(f"{platform.machine()}, {os.cpu_count()} CPUs; Python {platform.python_version()}")
        print(f"data: {n_rows:,} rows × {N_FEATURES} features + target, float64 = "
              f"{n_rows * (N_FEATURES + 1) * 8 / 1e9:.2f} GB in memory, {on_disk / 1e9:.2f} GB of Parquet in "
              f"{len(list(folder.iterdir()))} files ({seconds:.1f} s to write)")
        memory_per_worker = arguments.memory * 1e9 / arguments.workers
        cluster = LocalCluster(n_workers=arguments.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                               memory_limit=int(memory_per_worker))  # as sgdcore.distributed's: no dashboard, no 8787
        client = Client(cluster)
        try:
            workers_before = set(client.run(os.getpid).values())
            print(f"cluster: {arguments.workers} worker processes × 1 thread, {memory_per_worker / 1e9:.2f} GB each")
            # Every worker compiles (or loads) the kernel before any timing.
            client.run(lambda: __import__("sgdcore.train", fromlist=["select_kernel"]).select_kernel("auto"))

            read_floor(folder, client)  # warms the page cache and the workers' imports: every timing starts warm
            floor = min(read_floor(folder, client) for _ in range(arguments.repeat))
            closed_form_seconds = np.inf
            for _ in range(arguments.repeat):
                load_seconds, data = timed(distributed.load, folder, "y", client=client)
                solve_seconds, optimum = timed(distributed.closed_form, data, client=client)
                closed_form_seconds = min(closed_form_seconds, load_seconds + solve_seconds)
            print(f"partitions: {data.n_partitions}, rows: {data.n_rows:,}")

            config = sgdcore.TrainConfig(learning_rate=arguments.learning_rate, batch_size=arguments.batch_size,
                                         epochs=1, shuffle="blocks")
            epoch_seconds, runs = timed(lambda: list(distributed.train(data, config, client=client)))
            last = runs[-1]
            ours_per_row, sklearn_per_row = in_memory_rates(arguments.learning_rate, arguments.batch_size)
            epoch_floor = floor + ours_per_row * data.n_rows
            incremental_seconds, incremental_name = incremental_epoch(data, client, use_dask_ml,
                                                                      arguments.learning_rate)
            workers_after = set(client.run(os.getpid).values())
        finally:
            client.close()
            cluster.close()

    restarted = len(workers_before - workers_after)
    million = 1e6 / data.n_rows
    print()
    print(f"{'':58s}{'seconds':>10s}{'s / 1M rows':>13s}")

    def line(label: str, seconds: float) -> None:
        print(f"{label:58s}{seconds:10.2f}{seconds * million:13.3f}")

    line("(a) read floor: read every partition, sum one column", floor)
    line("(b) closed form: load (one pass) + solve", closed_form_seconds)
    line("(c) one SGD epoch on the cluster (batch 32)", epoch_seconds)
    line("    its floor: (a) + our in-memory epoch on the same rows", epoch_floor)
    line(f"(d) one epoch of {incremental_name}", incremental_seconds)
    line("(e) in memory: our epoch (scaled from 1M rows)", ours_per_row * data.n_rows)
    line("    in memory: SGDRegressor.partial_fit (scaled from 1M rows)", sklearn_per_row * data.n_rows)
    print()
    print(f"closed form / read floor: {closed_form_seconds / floor:.2f}× (target ≤ 1.5×)")
    print(f"SGD epoch / its floor:    {epoch_seconds / epoch_floor:.2f}× (target ≤ 1.2×)")
    print(f"SGD epoch / {incremental_name}: {epoch_seconds / incremental_seconds:.2f}× (target < 1)")
    print(f"final training loss after one epoch: {last.epoch_train_loss[-1]:.5f} "
          f"(floor {data.loss(optimum.weights, optimum.bias):.5f}); status {last.status}")
    print(f"workers restarted (over their memory limit): {restarted}")


if __name__ == "__main__":
    main()

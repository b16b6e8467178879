"""Reading a large CSV: pandas' default and pyarrow engines next to sgdcore.io, time and peak memory.

    python benchmarks/bench_csv.py                          # 1,000,000 × 20 floats (~380 MB of CSV)
    python benchmarks/bench_csv.py --rows 100000 --cols 5   # smaller

Writes a synthetic float CSV to a temporary directory (deleted afterwards) and reads it seven ways, each
in a fresh subprocess so that one run's memory cannot pollute the next:

(a) ``pandas.read_csv(path)``, pandas' defaults (the C engine);
(b) ``pandas.read_csv(path, engine="pyarrow")``;
(c) ``read_table(path)`` then ``dataset_from_frame`` (all columns but the last as features): pandas
    parses the file from its path, on every core with pandas 3.1 and later, as in (a);
(d) ``read_table(bytes)`` then ``dataset_from_frame``: the upload path. The bytes are read before the
    measurement starts, as Streamlit's uploader already holds them.
(e), (f) the two pandas engines on those same bytes: the choice inside ``read_table``, which uses the C
    engine because pyarrow is not reliably faster on two CPUs and takes two and a half to three times the
    peak memory (figures in ``benchmarks/RESULTS.md``); run this on yours to check.
(g) what the Data page does with an upload: ``ui.uploads.parse_upload`` (``read_table`` on the bytes, with
    the digest of the bytes on a second thread meanwhile, then the column summary), then
    ``dataset_from_frame``.

Peak memory is the child's peak resident size (``ru_maxrss``) over its resident size just before the
measurement (imports done, peak counter reset where Linux allows it).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from resident_memory import peak_rss_bytes, reset_peak_rss, rss_bytes

REPO = Path(__file__).resolve().parents[1]
MEGABYTE = 1e6
WAYS = {
    "pandas_default": "(a) pandas.read_csv(path)",
    "pandas_pyarrow": '(b) pandas.read_csv(path, engine="pyarrow")',
    "ours_path": "(c) read_table(path) + dataset_from_frame",
    "ours_bytes": "(d) read_table(bytes) + dataset_from_frame",
    "bytes_c": "(e) pandas.read_csv(BytesIO(bytes))",
    "bytes_pyarrow": '(f) pandas.read_csv(BytesIO(bytes), engine="pyarrow")',
    "data_page": "(g) parse_upload(bytes) + dataset_from_frame",
}
BYTES_WAYS = ("ours_bytes", "bytes_c", "bytes_pyarrow", "data_page")


def write_csv(path: Path, n_rows: int, n_cols: int) -> None:
    """Standard normal floats in columns x1…x{n-1} and y, written by pyarrow (pandas' to_csv is slow)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv

    rng = np.random.default_rng(0)
    names = [f"x{i + 1}" for i in range(n_cols - 1)] + ["y"]
    columns = {name: rng.standard_normal(n_rows) for name in names}
    pyarrow.csv.write_csv(pa.table(columns), path)


def child(way: str, path: str) -> dict:
    import pandas as pd

    from sgdcore.io import dataset_from_frame, read_table
    from ui.uploads import parse_upload

    content = Path(path).read_bytes() if way in BYTES_WAYS else None
    baseline = rss_bytes()
    reset = reset_peak_rss()
    timings = {}
    started = time.perf_counter()
    if way == "pandas_default":
        frame = pd.read_csv(path)
    elif way == "pandas_pyarrow":
        frame = pd.read_csv(path, engine="pyarrow")
    elif way == "bytes_c":
        frame = pd.read_csv(io.BytesIO(content))
    elif way == "bytes_pyarrow":
        frame = pd.read_csv(io.BytesIO(content), engine="pyarrow")
    else:
        if way == "data_page":
            parsed = parse_upload(content, Path(path).name, "bench")
            timings["parse_upload"] = time.perf_counter() - started
            frame = parsed["table"].frame
        else:
            frame = read_table(path if way == "ours_path" else content).frame
            timings["read_table"] = time.perf_counter() - started
        parsed_at = time.perf_counter()
        data = dataset_from_frame(frame, frame.columns[-1])
        timings["dataset_from_frame"] = time.perf_counter() - parsed_at
        assert data.X.shape == (len(frame), frame.shape[1] - 1)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "extra_peak": peak_rss_bytes() - baseline, "peak_was_reset": reset,
            "frame_bytes": int(frame.memory_usage(index=False).sum()), **timings}


def in_subprocess(way: str, path: Path) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", way, str(path)], cwd=REPO, capture_output=True, text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def machine() -> str:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    return (f"{platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
            f"Python {platform.python_version()}, NumPy {np.__version__}, pandas {pd.__version__}, "
            f"pyarrow {pa.__version__}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=20, help="columns in the file, the last is the target")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each way; the fastest is shown")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        sys.path.insert(0, str(REPO))
        print(json.dumps(child(*args.child)))
        return

    print(f"# Reading a {args.rows:,} × {args.cols} float CSV")
    print(f"# {machine()}")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.csv"
        write_csv(path, args.rows, args.cols)
        print(f"# file: {path.stat().st_size / MEGABYTE:.0f} MB; each way in a fresh process, "
              f"fastest of {args.repeat}\n")
        results = {way: min((in_subprocess(way, path) for _ in range(args.repeat)), key=lambda r: r["seconds"])
                   for way in WAYS}
    reference = results["pandas_default"]["seconds"]
    print(f"{'way':<56} {'time':>8} {'vs (a)':>7} {'peak MB':>8}  notes")
    for way, label in WAYS.items():
        result = results[way]
        steps = ("read_table", "parse_upload", "dataset_from_frame")
        notes = " + ".join(f"{step} {result[step]:.2f} s" for step in steps if step in result)
        if not result["peak_was_reset"]:
            notes += " (peak counter not reset)"
        print(f"{label:<56} {result['seconds']:7.2f}s {result['seconds'] / reference:6.2f}× "
              f"{result['extra_peak'] / MEGABYTE:8.0f}  {notes}")
    print(f"\nDataFrame of floats: {results['pandas_default']['frame_bytes'] / MEGABYTE:.0f} MB; peak MB is the "
          "peak resident size over the size before reading (imports done; for (d)-(g) the bytes already loaded).")


if __name__ == "__main__":
    main()

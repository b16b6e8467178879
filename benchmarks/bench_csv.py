"""Reading a large CSV: pandas' default and pyarrow engines next to sgdcore.io, time and peak memory.

    python benchmarks/bench_csv.py                          # 1,000,000 × 20 floats (~380 MB of CSV)
    python benchmarks/bench_csv.py --rows 100000 --cols 5   # smaller
    python benchmarks/bench_csv.py --encoding gbk           # Chinese column names, saved as Excel on a Chinese
                                                            # Windows saves them (GBK): pandas is told the encoding

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
    ``dataset_from_frame``; its notes give the memory budget's estimate of the parse (``ui.memory.upload_peak``)
    beside the peak measured.

Peak memory is the child's peak resident size (``VmHWM``) over its resident size just before the
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


def write_csv(path: Path, n_rows: int, n_cols: int, encoding: str = "utf-8") -> None:
    """Standard normal floats in columns x1…x{n-1} and y, written by pyarrow (pandas' to_csv is slow); with
    ``encoding="gbk"``, columns 特征1…特征{n-1} and 目标 in a GBK header over the same rows."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv

    rng = np.random.default_rng(0)
    names = [f"x{i + 1}" for i in range(n_cols - 1)] + ["y"]
    columns = {name: rng.standard_normal(n_rows) for name in names}
    pyarrow.csv.write_csv(pa.table(columns), path)
    if encoding == "gbk":
        rows = path.read_bytes().split(b"\n", 1)[1]
        header = ",".join([f"特征{i + 1}" for i in range(n_cols - 1)] + ["目标"])
        path.write_bytes(header.encode("gbk") + b"\n" + rows)


def child(way: str, path: str, encoding: str) -> dict:
    import pandas as pd

    from sgdcore.io import read_table
    from ui.memory import upload_peak
    from ui.uploads import parse_upload

    told = {"encoding": "gb18030"} if encoding == "gbk" else {}  # pandas does not detect an encoding

    content = Path(path).read_bytes() if way in BYTES_WAYS else None
    baseline = rss_bytes()
    reset = reset_peak_rss()
    timings = {}
    started = time.perf_counter()
    if way == "pandas_default":
        frame = pd.read_csv(path, **told)
    elif way == "pandas_pyarrow":
        frame = pd.read_csv(path, engine="pyarrow", **told)
    elif way == "bytes_c":
        frame = pd.read_csv(io.BytesIO(content), **told)
    elif way == "bytes_pyarrow":
        frame = pd.read_csv(io.BytesIO(content), engine="pyarrow", **told)
    else:
        if way == "data_page":
            parsed = parse_upload(content, Path(path).name, "bench")
            timings["parse_upload"] = time.perf_counter() - started
            timings["budget_estimate"] = upload_peak(content)
            frame = parsed["table"].frame
        else:
            frame = read_table(path if way == "ours_path" else content).frame
            timings["read_table"] = time.perf_counter() - started
        timings["dataset_from_frame"] = timed_dataset(frame)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "extra_peak": peak_rss_bytes() - baseline, "peak_was_reset": reset,
            "frame_bytes": int(frame.memory_usage(index=False).sum()), **timings}


def timed_dataset(frame) -> float:
    """The seconds ``dataset_from_frame`` takes on a table, all columns but the last as features."""
    from sgdcore.io import dataset_from_frame

    started = time.perf_counter()
    data = dataset_from_frame(frame, frame.columns[-1])
    assert data.X.shape == (len(frame), frame.shape[1] - 1)
    return time.perf_counter() - started


def in_subprocess(script: str, *arguments: str) -> dict:
    """``script --child arguments`` in a fresh interpreter, from the repository's root: the JSON its last line prints,
    so that one measurement's memory cannot pollute the next."""
    result = subprocess.run([sys.executable, script, "--child", *arguments], cwd=REPO, capture_output=True, text=True,
                            check=False)
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
    parser.add_argument("--encoding", choices=("utf-8", "gbk"), default="utf-8",
                        help="gbk: Chinese column names in GBK, as Excel on a Chinese Windows saves them")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        sys.path.insert(0, str(REPO))
        print(json.dumps(child(*args.child)))
        return

    names = " (Chinese column names in GBK; pandas told the encoding)" if args.encoding == "gbk" else ""
    print(f"# Reading a {args.rows:,} × {args.cols} float CSV{names}")
    print(f"# {machine()}")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.csv"
        write_csv(path, args.rows, args.cols, args.encoding)
        print(f"# file: {path.stat().st_size / MEGABYTE:.0f} MB; each way in a fresh process, "
              f"fastest of {args.repeat}\n")
        results = {way: min((in_subprocess(__file__, way, str(path), args.encoding) for _ in range(args.repeat)),
                            key=lambda r: r["seconds"]) for way in WAYS}
    reference = results["pandas_default"]["seconds"]
    print(f"{'way':<56} {'time':>8} {'vs (a)':>7} {'peak MB':>8}  notes")
    for way, label in WAYS.items():
        result = results[way]
        steps = ("read_table", "parse_upload", "dataset_from_frame")
        notes = " + ".join(f"{step} {result[step]:.2f} s" for step in steps if step in result)
        if "budget_estimate" in result:
            notes += f"; the budget's estimate {result['budget_estimate'] / MEGABYTE:.0f} MB"
        if not result["peak_was_reset"]:
            notes += " (peak counter not reset)"
        print(f"{label:<56} {result['seconds']:7.2f}s {result['seconds'] / reference:6.2f}× "
              f"{result['extra_peak'] / MEGABYTE:8.0f}  {notes}")
    print(f"\nDataFrame of floats: {results['pandas_default']['frame_bytes'] / MEGABYTE:.0f} MB; peak MB is the "
          "peak resident size over the size before reading (imports done; for (d)-(g) the bytes already loaded).")


if __name__ == "__main__":
    main()

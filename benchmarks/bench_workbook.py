"""Reading a workbook: pandas' readers (openpyxl, its default for .xlsx; calamine) next to sgdcore.io, time and peak
memory, and the same table as a CSV.

    python benchmarks/bench_workbook.py                          # 100,000 × 10 floats (1,000,000 cells, ~13 MB)
    python benchmarks/bench_workbook.py --rows 20000 --cols 5    # smaller

Writes a synthetic float workbook (openpyxl's write-only mode, as Excel writes its cells) and the same table as a CSV
to a temporary directory (deleted afterwards) and reads them five ways, each in a fresh subprocess so that one run's
memory cannot pollute the next:

(a) ``pandas.read_excel(bytes)``: pandas' default engine for .xlsx, openpyxl, in Python;
(b) ``pandas.read_excel(bytes, engine="calamine")``: the Rust reader sgdcore uses;
(c) ``read_table(bytes)`` then ``dataset_from_frame`` (all columns but the last as features): the sheet chosen, its
    header found, its cells checked one by one (titles, text among numbers, addresses for the notices);
(d) what the Data page does with an upload: ``ui.uploads.parse_upload`` then ``dataset_from_frame``; its notes give
    the memory budget's estimate (``ui.memory.upload_peak``) beside the peak measured;
(e) ``read_table(bytes)`` then ``dataset_from_frame`` on the same table saved as a CSV: what the workbook costs
    beyond its numbers.

Peak memory is the child's peak resident size (``VmHWM``) over its resident size just before the measurement
(imports done, the bytes read, peak counter reset where Linux allows it).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path

from bench_csv import in_subprocess, machine, timed_dataset
from resident_memory import peak_rss_bytes, reset_peak_rss, rss_bytes

REPO = Path(__file__).resolve().parents[1]
MEGABYTE = 1e6
WAYS = {
    "openpyxl": "(a) pandas.read_excel(bytes), openpyxl",
    "calamine": '(b) pandas.read_excel(bytes, engine="calamine")',
    "ours": "(c) read_table(bytes) + dataset_from_frame",
    "data_page": "(d) parse_upload(bytes) + dataset_from_frame",
    "csv": "(e) the same table as a CSV: read_table + dataset_from_frame",
}


def write_files(directory: Path, n_rows: int, n_cols: int) -> tuple[Path, Path]:
    """Standard normal floats in columns x1…x{n-1} and y, as an .xlsx and as a CSV."""
    import numpy as np
    import openpyxl
    import pandas as pd

    rng = np.random.default_rng(0)
    names = [f"x{i + 1}" for i in range(n_cols - 1)] + ["y"]
    values = rng.standard_normal((n_rows, n_cols))
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append(names)
    for row in values.tolist():
        sheet.append(row)
    xlsx, csv = directory / "bench.xlsx", directory / "bench.csv"
    book.save(xlsx)
    pd.DataFrame(values, columns=names).to_csv(csv, index=False)
    return xlsx, csv


def child(way: str, path: str) -> dict:
    import pandas as pd

    from sgdcore.io import read_table
    from ui.memory import upload_peak
    from ui.uploads import parse_upload

    content = Path(path).read_bytes()
    baseline = rss_bytes()
    reset = reset_peak_rss()
    timings = {}
    started = time.perf_counter()
    if way == "openpyxl":
        frame = pd.read_excel(io.BytesIO(content))
    elif way == "calamine":
        frame = pd.read_excel(io.BytesIO(content), engine="calamine")
    else:
        if way == "data_page":
            parsed = parse_upload(content, Path(path).name, "bench")
            timings["budget_estimate"] = upload_peak(content)
            frame = parsed["table"].frame
        else:
            frame = read_table(content).frame
        timings["read"] = time.perf_counter() - started
        timings["dataset_from_frame"] = timed_dataset(frame)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "extra_peak": peak_rss_bytes() - baseline, "peak_was_reset": reset,
            "cells": int(frame.size), **timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cols", type=int, default=10, help="columns in the file, the last is the target")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each way; the fastest is shown")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        sys.path.insert(0, str(REPO))
        print(json.dumps(child(*args.child)))
        return

    print(f"# Reading a {args.rows:,} × {args.cols} float workbook (.xlsx)")
    print(f"# {machine()}")
    with tempfile.TemporaryDirectory() as directory:
        xlsx, csv = write_files(Path(directory), args.rows, args.cols)
        print(f"# files: {xlsx.stat().st_size / MEGABYTE:.1f} MB of .xlsx, {csv.stat().st_size / MEGABYTE:.1f} MB of "
              f"CSV; each way in a fresh process, fastest of {args.repeat}\n")
        results = {way: min((in_subprocess(__file__, way, str(csv if way == "csv" else xlsx))
                             for _ in range(args.repeat)),
                            key=lambda r: r["seconds"]) for way in WAYS}
    reference, calamine = results["openpyxl"]["seconds"], results["calamine"]["seconds"]
    print(f"{'way':<62} {'time':>8} {'vs (a)':>7} {'vs (b)':>7} {'peak MB':>8}  notes")
    for way, label in WAYS.items():
        result = results[way]
        notes = " + ".join(f"{step} {result[step]:.2f} s" for step in ("read", "dataset_from_frame") if step in result)
        if "budget_estimate" in result:
            notes += (f"; the budget's estimate {result['budget_estimate'] / MEGABYTE:.0f} MB "
                      f"({result['budget_estimate'] / max(1, result['extra_peak']):.2f}× the peak)")
        if not result["peak_was_reset"]:
            notes += " (peak counter not reset)"
        print(f"{label:<62} {result['seconds']:7.2f}s {result['seconds'] / reference:6.2f}× "
              f"{result['seconds'] / calamine:6.2f}× {result['extra_peak'] / MEGABYTE:8.0f}  {notes}")
    print(f"\n{results['ours']['cells']:,} cells; peak MB is the peak resident size over the size before reading "
          "(imports done, the bytes already loaded).")


if __name__ == "__main__":
    main()

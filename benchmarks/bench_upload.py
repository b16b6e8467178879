"""A large CSV through the dashboard in a real Chromium, as a person does it: upload, use, train, see.

    python benchmarks/bench_upload.py                          # 1,000,000 × 20 floats (~410 MB of CSV)
    python benchmarks/bench_upload.py --rows 100000 --features 5

Writes a CSV of standard normal floats (the features, then ``y``) to a temporary directory, deleted
afterwards, and serves the dashboard under ``streamlit run`` on a free local port. On the Data page it
chooses the file in the uploader and times each step a person waits for, from the action to the page's
script run ended with everything drawn:

1. choosing the file: the upload, parsing it, the float matrix of the default columns, and the page with
   its preview and column summary;
2. "Use this dataset": the split, the closed form and the curvature;
3. opening the Train page from the sidebar: its five charts at the starting point;
4. Train (the sidebar's defaults: 3 epochs at batch size 10): to the finished result drawn, on the
   page's own clock (``click_and_time_drawing``, as ``bench_pages.py``).

After each step it prints the server's resident memory and its peak so far (Linux).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import tempfile
import time
from pathlib import Path

from bench_csv import write_csv
from local_app import TRAIN_PAGE_CHARTS, chromium_page, click_and_time_drawing, dashboard_server, wait_until_drawn
from resident_memory import process_rss_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds to wait for each step before giving up with an error")
    args = parser.parse_args()
    timeout_ms = args.timeout * 1000

    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "upload.csv"
        write_csv(path, args.rows, args.features + 1)
        print(f"data: {args.rows:,} rows × {args.features} features + y, {path.stat().st_size / 1e6:,.1f} MB of CSV; "
              "every setting at its default\n")
        with dashboard_server() as (base, server), chromium_page() as page:
            page.set_default_timeout(timeout_ms)

            def memory() -> str:
                reading = process_rss_bytes(server.pid)
                return "" if reading is None else f"{reading[0] / 1e6:>9,.0f} MB {reading[1] / 1e6:>9,.0f} MB"

            def step(name: str, act, shown) -> None:
                started = time.perf_counter()
                act()
                shown()
                wait_until_drawn(page, timeout_ms=timeout_ms)
                print(f"{name:<46}{time.perf_counter() - started:>8.2f} s {memory()}", flush=True)

            page.goto(f"{base}/data")
            page.get_by_text("No file yet").wait_for()
            wait_until_drawn(page, timeout_ms=timeout_ms)
            print(f"{'step':<46}{'seconds':>10} {'server now':>12} {'peak':>12}")
            print(f"{'(Data page open, nothing uploaded)':<46}{'':>10} {memory()}")
            step("choose the file → parsed, previewed",
                 lambda: page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(path),
                 lambda: page.get_by_text(f"{args.rows:,} rows × {args.features + 1} columns").wait_for())
            step("Use this dataset → in use",
                 lambda: page.get_by_role("button", name="Use this dataset").click(),
                 lambda: page.get_by_text("Every page trains on it now").wait_for())
            step("open the Train page → starting point drawn",
                 lambda: page.locator('[data-testid="stPageLink-NavLink"]').get_by_text("Train", exact=True).click(),
                 lambda: wait_until_drawn(page, TRAIN_PAGE_CHARTS, timeout_ms=timeout_ms))
            button = page.get_by_role("button", name="Train", exact=True)
            seconds = click_and_time_drawing(page, button, redrawn=TRAIN_PAGE_CHARTS, timeout_ms=timeout_ms)
            status = page.get_by_text(re.compile(r"^(Finished|Converged|Diverged|Stopped)")).first.inner_text()
            print(f"{'Train → result drawn':<46}{seconds:>8.2f} s {memory()}")
            print(f"\n{status}")


if __name__ == "__main__":
    main()

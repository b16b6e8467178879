"""Every page of the dashboard on a large dataset, in a real Chromium: the time to open it, and to train and draw.

    python benchmarks/bench_pages.py                  # 1,000,000 synthetic rows (the sidebar's maximum is 2,000,000)
    python benchmarks/bench_pages.py --rows 100000
    python benchmarks/bench_pages.py --timeout 60     # give up on a page after a minute (default 600 s)

The dashboard runs under ``streamlit run`` on a free local port, as a user runs it. Each page is opened from a
share link that sets the number of rows (a new session each time), and timed until the script has run to its
end with every chart drawn; then its train button is pressed and timed until the runs are finished and every
chart they change is redrawn (the page's own clock, to the painting of the last change: the Train page's
charts already show the starting point and are redrawn in place). Before that, the Train page is opened once
on its own: on a fresh server it pays for the imports, the synthetic data and its closed form (shared by every
page and session afterwards, as on a deployed app) and the kernel's compilation; that first opening is
printed on its own line. Each page is then opened ``--repeat`` times: the first opening (which computes what
the page caches for the data, such as the Batch-size page's gradient-noise table) and the best of the others
are printed, with the best time to train and draw.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time

from local_app import TRAIN_PAGE_CHARTS, chromium_page, click_and_time_drawing, served_dashboard, wait_until_drawn

# (title, address, its train button, the charts training redraws). The Train page is the landing page, "/".
PAGES = (
    ("Train", "", "Train", TRAIN_PAGE_CHARTS),
    ("Learning rate", "learning_rate", "Train all", 2),
    ("Batch size", "batch_size", "Train all", 1),  # its loss per epoch; the other two tabs draw when opened
    ("Momentum", "momentum", "Train all three", 2),
    ("Data", "data", None, 0),
    ("Export and share", "export", None, 0),
)


def opening(page, url: str, timeout_ms: float) -> float:
    """Seconds from loading ``url`` to its script run ended with everything drawn (its title shows the run began)."""
    started = time.perf_counter()
    page.goto(url, timeout=timeout_ms)
    page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=timeout_ms)
    wait_until_drawn(page, timeout_ms=timeout_ms)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds to wait for a page to open, or to train and draw, before giving up with an error")
    args = parser.parse_args()
    timeout_ms = args.timeout * 1000
    link = f"?n_rows={args.rows}"

    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs")
    print(f"data: {args.rows:,} synthetic rows (80% for training), every other setting at its default; "
          f"{args.repeat} openings of each page\n")
    with served_dashboard() as base, chromium_page() as page:
        first = opening(page, f"{base}/{link}", timeout_ms)
        print(f"first opening of the Train page on a fresh server (imports, data, closed form, compiling): "
              f"{first:.2f} s\n")
        print(f"{'page':<20}{'first open':>12}{'open again':>12}{'train → drawn':>16}", flush=True)
        for title, address, button, redrawn in PAGES:
            opened, trained = [], math.inf
            for _ in range(args.repeat):
                opened.append(opening(page, f"{base}/{address}{link}", timeout_ms))
                if button is not None:
                    press = page.locator('[data-testid="stMain"]').get_by_role("button", name=button, exact=True)
                    trained = min(trained, click_and_time_drawing(page, press, redrawn, timeout_ms=timeout_ms))
            again = f"{min(opened[1:]):.2f}s" if len(opened) > 1 else "-"
            print(f"{title:<20}{opened[0]:>11.2f}s{again:>12}{(f'{trained:.2f}s' if button else '-'):>16}", flush=True)


if __name__ == "__main__":
    main()

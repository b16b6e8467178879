"""The benchmarks that drive the dashboard in Chromium run end to end on small data (no timing asserted)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

SECONDS = r"(\d+\.\d\d)s"


@pytest.mark.browser
def test_bench_pages_opens_every_page_and_trains_where_it_can(
    chromium: Path, run_benchmark: Callable[..., str]
) -> None:
    # Each wait gives up after 120 s with the page's state in the error, well before the test's own limit.
    output = run_benchmark("bench_pages.py", "--rows", "2000", "--repeat", "2", "--timeout", "120", timeout=480)
    assert re.search(r"first opening of the Train page on a fresh server .*: \d+\.\d\d s", output), output
    for page, trains in (("Train", True), ("Learning rate", True), ("Batch size", True), ("Momentum", True),
                         ("Data", False), ("Export and share", False)):
        row = re.search(rf"^{page} +{SECONDS} +{SECONDS} +(?:{SECONDS}|-)$", output, re.MULTILINE)
        assert row, (page, output)
        assert (row.group(3) is not None) == trains, row.group(0)
        assert all(float(seconds) > 0 for seconds in row.groups() if seconds), row.group(0)


@pytest.mark.browser
def test_bench_upload_uploads_a_csv_uses_it_and_trains_on_it(
    chromium: Path, run_benchmark: Callable[..., str]
) -> None:
    output = run_benchmark("bench_upload.py", "--rows", "2000", "--features", "3", "--timeout", "120", timeout=480)
    assert "2,000 rows × 3 features + y" in output, output
    for step in ("choose the file → parsed, previewed", "Use this dataset → in use",
                 "open the Train page → starting point drawn", "Train → result drawn"):
        row = re.search(rf"^{re.escape(step)} +(\d+\.\d\d) s +([\d,]+) MB +([\d,]+) MB$", output, re.MULTILINE)
        assert row, (step, output)
        assert float(row.group(1)) > 0 and 0 < int(row.group(2).replace(",", "")) <= int(row.group(3).replace(",", ""))
    # The run trained on the upload (1,600 training rows at batch size 10), not on the synthetic data.
    assert re.search(r"^Finished 3 epochs\. 480 steps", output, re.MULTILINE), output

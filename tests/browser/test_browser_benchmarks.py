"""The benchmark that drives every page in Chromium runs end to end on small data (no timing asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SECONDS = r"(\d+\.\d\d)s"


@pytest.mark.browser
def test_bench_pages_opens_every_page_and_trains_where_it_can(chromium: Path) -> None:
    finished = subprocess.run([sys.executable, str(BENCHMARKS / "bench_pages.py"), "--rows", "2000", "--repeat", "2"],
                              capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-3000:]
    output = finished.stdout
    assert re.search(r"first opening of the Train page on a fresh server .*: \d+\.\d\d s", output), output
    for page, trains in (("Train", True), ("Learning rate", True), ("Batch size", True), ("Momentum", True),
                         ("Data", False), ("Export and share", False)):
        row = re.search(rf"^{page} +{SECONDS} +{SECONDS} +(?:{SECONDS}|-)$", output, re.MULTILINE)
        assert row, (page, output)
        assert (row.group(3) is not None) == trains, row.group(0)
        assert all(float(seconds) > 0 for seconds in row.groups() if seconds), row.group(0)

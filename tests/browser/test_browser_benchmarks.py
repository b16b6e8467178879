"""The benchmarks that drive the dashboard in Chromium run end to end on small data (no timing asserted)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SECONDS = r"(\d+\.\d\d)s"


def run_in_a_group_of_its_own(arguments: list[str], timeout: float) -> str:
    """Run a script that starts a server and a browser; its output. If it is still running after ``timeout``
    seconds, kill it with everything it started (killing the script alone would leave them running), and fail
    with what it printed."""
    script = subprocess.Popen([sys.executable, *arguments], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, start_new_session=True)
    try:
        stdout, stderr = script.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(script.pid, signal.SIGKILL)
        stdout, stderr = script.communicate()
        pytest.fail(f"still running after {timeout:g} s; it printed:\n{stdout[-3000:]}\n{stderr[-3000:]}")
    assert script.returncode == 0, stdout[-3000:] + stderr[-3000:]
    return stdout


@pytest.mark.browser
def test_bench_pages_opens_every_page_and_trains_where_it_can(chromium: Path) -> None:
    # Each wait gives up after 120 s with the page's state in the error, well before the test's own limit.
    output = run_in_a_group_of_its_own(
        [str(BENCHMARKS / "bench_pages.py"), "--rows", "2000", "--repeat", "2", "--timeout", "120"], timeout=480)
    assert re.search(r"first opening of the Train page on a fresh server .*: \d+\.\d\d s", output), output
    for page, trains in (("Train", True), ("Learning rate", True), ("Batch size", True), ("Momentum", True),
                         ("Data", False), ("Export and share", False)):
        row = re.search(rf"^{page} +{SECONDS} +{SECONDS} +(?:{SECONDS}|-)$", output, re.MULTILINE)
        assert row, (page, output)
        assert (row.group(3) is not None) == trains, row.group(0)
        assert all(float(seconds) > 0 for seconds in row.groups() if seconds), row.group(0)


@pytest.mark.browser
def test_bench_upload_uploads_a_csv_uses_it_and_trains_on_it(chromium: Path) -> None:
    output = run_in_a_group_of_its_own(
        [str(BENCHMARKS / "bench_upload.py"), "--rows", "2000", "--features", "3", "--timeout", "120"], timeout=480)
    assert "2,000 rows × 3 features + y" in output, output
    for step in ("choose the file → parsed, previewed", "Use this dataset → in use",
                 "open the Train page → starting point drawn", "Train → result drawn"):
        row = re.search(rf"^{re.escape(step)} +(\d+\.\d\d) s +([\d,]+) MB +([\d,]+) MB$", output, re.MULTILINE)
        assert row, (step, output)
        assert float(row.group(1)) > 0 and 0 < int(row.group(2).replace(",", "")) <= int(row.group(3).replace(",", ""))
    # The run trained on the upload (1,600 training rows at batch size 10), not on the synthetic data.
    assert re.search(r"^Finished 3 epochs\. 480 steps", output, re.MULTILINE), output

"""What tests in every directory share: running a benchmark script as a user runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _run_benchmark(script: str, *arguments: str, timeout: float = 300) -> str:
    """``python benchmarks/<script> <arguments>``: what it printed, once it has succeeded.

    It runs in a process group of its own: if it is still running after ``timeout`` seconds, it is killed with
    everything it started (a server, a browser, the processes that time a cold start), which killing the script
    alone would leave running, and the test fails with what it printed so far.
    """
    process = subprocess.Popen([sys.executable, str(BENCHMARKS / script), *arguments], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"{script} was still running after {timeout:g} s; it printed:\n{stdout[-3000:]}\n{stderr[-3000:]}")
    assert process.returncode == 0, stdout[-3000:] + stderr[-3000:]
    return stdout


@pytest.fixture
def run_benchmark() -> Callable[..., str]:
    """:func:`_run_benchmark`."""
    return _run_benchmark


@pytest.fixture(scope="module")
def local_cluster() -> Iterator[object]:
    """The client of sgdcore.distributed's embedded local cluster, as :func:`~sgdcore.distributed.connect` starts
    it when no scheduler is set (``SGD_DASHBOARD_SCHEDULER`` unset meanwhile); closed at the module's end."""
    from sgdcore import distributed  # imports Dask: only for the modules that ask for a cluster

    saved = os.environ.pop(distributed.SCHEDULER_VARIABLE, None)
    try:
        yield distributed.connect()
    finally:
        distributed.shutdown()
        if saved is not None:
            os.environ[distributed.SCHEDULER_VARIABLE] = saved

"""Resident memory on Linux: of this process, for the benchmarks that measure peaks in child processes, and of
another process (the dashboard's server)."""

from __future__ import annotations

import os
import resource
from pathlib import Path


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    """This process's peak resident size: its address space's high-water mark (``VmHWM``, which
    :func:`reset_peak_rss` resets). Not ``getrusage``'s ``ru_maxrss``: that starts at the parent's size, which a
    child inherits through fork and exec, so a child of a large parent measured no peak below it."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmHWM:"))


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS counter (Linux ≥ 4.0); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def process_rss_bytes(pid: int) -> tuple[int, int] | None:
    """Another process's resident size now and at its peak so far (``/proc/<pid>/status``); None where there is none."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    kib = {line.split(":")[0]: int(line.split()[1])
           for line in status.splitlines() if line.startswith(("VmRSS:", "VmHWM:"))}
    return kib["VmRSS"] * 1024, kib["VmHWM"] * 1024

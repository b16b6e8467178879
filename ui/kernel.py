"""Compile the Numba kernel once per server process, off the request path and off the first page's way.

Compiling takes seconds of CPU, most of it in Python (Numba's typing) holding the interpreter's lock, so in a
thread of the server it would slow every session's script run meanwhile: a fresh server's first page above
all. So the server starts it only once a page has been drawn (:func:`warm_up_in_background`, called by the
router after the page), and compiles in a child process at a lower priority, which fills Numba's cache on
disk without holding the server's lock; the server then loads the machine code from that cache, in a
fraction of a second.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading

import streamlit as st

import sgdcore
from ui.i18n import t

# At a lower priority, as other heavy work (ui.runner.BACKGROUND_NICENESS): visitors' pages first.
COMPILE_IN_CHILD = [sys.executable, "-c", "import os; os.nice(10); import sgdcore; sgdcore.warm_up_kernel()"]
CHILD_TIMEOUT = 300  # seconds; past it, or if the child fails (no writable cache), the server compiles itself


def _warm_up() -> None:
    with contextlib.suppress(Exception):  # whatever happens, the in-process warm-up below decides
        subprocess.run(COMPILE_IN_CHILD, timeout=CHILD_TIMEOUT, check=True, capture_output=True)
    with contextlib.suppress(Exception):  # the NumPy path runs instead; the first run's notice tells the user
        sgdcore.warm_up_kernel()


@st.cache_resource(show_spinner=False)
def warm_up_in_background() -> threading.Thread:
    """Start compiling (or loading the cached machine code) in a daemon thread, once per process."""
    thread = threading.Thread(target=_warm_up, name="numba-warm-up", daemon=True)
    thread.start()
    return thread


def compiling_message() -> str:
    """What the page says while it waits for the kernel, in the page's language."""
    return t("runner.compiling")


def kernel_ready() -> bool:
    """Whether training can start at once: the background compile has finished (or failed: NumPy runs then)."""
    return not warm_up_in_background().is_alive()


def wait_for_kernel() -> None:
    """Before training: if the background compile has not finished (the first seconds of a fresh
    server), say so while waiting for it, rather than leave a page that seems stuck."""
    thread = warm_up_in_background()
    if thread.is_alive():
        with st.spinner(compiling_message()):
            thread.join()

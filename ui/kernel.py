"""Compile the Numba kernel once per server process, off the request path."""

from __future__ import annotations

import contextlib
import threading

import streamlit as st

import sgdcore


def _warm_up() -> None:
    with contextlib.suppress(Exception):  # the NumPy path runs instead; the first run's notice tells the user
        sgdcore.warm_up_kernel()


@st.cache_resource(show_spinner=False)
def warm_up_in_background() -> threading.Thread:
    """Start compiling (or loading the cached machine code) in a daemon thread, once per process."""
    thread = threading.Thread(target=_warm_up, name="numba-warm-up", daemon=True)
    thread.start()
    return thread


COMPILING_MESSAGE = "Compiling the training kernel: once per server start, a few seconds…"


def kernel_ready() -> bool:
    """Whether training can start at once: the background compile has finished (or failed: NumPy runs then)."""
    return not warm_up_in_background().is_alive()


def wait_for_kernel() -> None:
    """Before training: if the background compile has not finished (the first seconds of a fresh
    server), say so while waiting for it, rather than leave a page that seems stuck."""
    thread = warm_up_in_background()
    if thread.is_alive():
        with st.spinner(COMPILING_MESSAGE):
            thread.join()

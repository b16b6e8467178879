"""The Dask cluster: the client :func:`connect` opens (a scheduler's address, or a local cluster started on
first use) and :func:`shutdown`."""

from __future__ import annotations

import os
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager

from distributed import Client, LocalCluster

from sgdcore.backends import usable_cores
from sgdcore.errors import ConfigError

SCHEDULER_VARIABLE = "SGD_DASHBOARD_SCHEDULER"


_clients: dict[str, Client] = {}
_connecting = threading.Lock()  # Streamlit runs sessions on threads: two first calls must not start two clusters


def connect(client: Client | None = None, address: str | None = None) -> Client:
    """The Dask client to use: ``client`` if given; else the scheduler at ``address`` or, without one, the
    one named by ``SGD_DASHBOARD_SCHEDULER`` (e.g. ``tcp://host:8786``); else a local cluster, started on
    first use and kept for the process. A client opened here is kept and reused for the same address.

    The local cluster has one single-threaded worker process per usable core (:func:`sgdcore.usable_cores`),
    each allowed its share of the machine's memory (Dask's ``memory_limit="auto"``, which respects a
    container's limit), listening on 127.0.0.1 only. The workers of any cluster must be able to import
    the same sgdcore.

    Raises
    ------
    ConfigError
        If no scheduler answers at the address.
    """
    if client is not None:
        return client
    address = (address or os.environ.get(SCHEDULER_VARIABLE, "")).strip()
    key = address or "local"
    with _connecting:
        existing = _clients.get(key)
        if existing is not None and existing.status == "running":
            return existing
        if address:
            try:
                existing = Client(address, timeout="10s")
            except OSError as error:  # refused, unreachable, or timed out (TimeoutError is an OSError)
                raise ConfigError(
                    f"No Dask scheduler answers at {address!r} ({error}). Start one (dask scheduler), correct the "
                    f"address, or leave it empty (and {SCHEDULER_VARIABLE} unset) to use a local cluster.",
                    "no_scheduler", address=address, reason=str(error),
                ) from None
        else:
            with _plain_main_module():
                # No dashboard; the scheduler's own HTTP server (health, metrics) on a free port, not Dask's 8787,
                # which another cluster on the machine may hold.
                cluster = LocalCluster(
                    n_workers=usable_cores(), threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}, memory_limit="auto",
                )
            existing = Client(cluster)
        _clients[key] = existing
        return existing


@contextmanager
def _plain_main_module() -> Iterator[None]:
    """While worker processes start, ``__main__`` is a module with no file.

    A process started by ``spawn`` (Dask's way) first runs the file of its parent's ``__main__``. Under
    Streamlit that is the page being run (``dashboard.py``, or a test's script), so every worker would run the
    whole page, bare, before its first task, or fail on names only the page's runner defines.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def shutdown() -> None:
    """Close the clients :func:`connect` opened, and the local cluster if it started one."""
    for key, client in list(_clients.items()):
        cluster = client.cluster if key == "local" else None
        client.close()
        if cluster is not None:
            cluster.close()
        del _clients[key]

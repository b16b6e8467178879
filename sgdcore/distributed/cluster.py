"""The Dask cluster: the client :func:`connect` opens (a scheduler's address, or a local cluster started on
first use) and :func:`shutdown`; :func:`completed` and :func:`result`, which wait for the cluster's results and say
when it cannot give them (no worker left, workers that cannot import sgdcore, a lost scheduler) instead of waiting
forever or raising Dask's own errors."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import dask
from dask.utils import parse_timedelta
from distributed import CancelledError, Client, Future, KilledWorker, LocalCluster, wait
from distributed.comm import parse_address, parse_host_port
from distributed.comm.core import CommClosedError
from distributed.scheduler import NoValidWorkerError, NoWorkerError

from sgdcore.backends import usable_cores
from sgdcore.errors import ConfigError

SCHEDULER_VARIABLE = "SGD_DASHBOARD_SCHEDULER"
NO_WORKER_SECONDS = 30.0  # how long a cluster may have no worker, where Dask's no-workers-timeout is not set
POLL_SECONDS = 1.0  # how often a wait for results looks whether the cluster still has a worker


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
                _refused_at_once(address)
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


def _refused_at_once(address: str) -> None:
    """Raise ConnectionRefusedError at once if nothing listens at a ``tcp://`` address.

    Dask retries a refused connection until its timeout (10 s), for a scheduler that may be starting (a container
    being scheduled); Dask has no setting to stop at the first refusal. A host that refuses has nothing listening
    now: saying so at once is what a user who typed a wrong port needs. Anything else (no answer, another
    protocol) is left to Dask's own connection and its timeout.
    """
    scheme, location = parse_address(address, strict=False)
    if scheme != "tcp":
        return
    try:
        socket.create_connection(parse_host_port(location), timeout=2).close()
    except ConnectionRefusedError:
        raise
    except OSError:  # no answer in time, a name that does not resolve: Dask's connection tries, and says why
        pass


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


def no_worker_seconds() -> float:
    """How long a cluster may have no worker before a pass over the partitions gives up: Dask's own
    ``distributed.scheduler.no-workers-timeout`` if set (a scheduler started with it fails such tasks itself),
    else :data:`NO_WORKER_SECONDS`. Dask's default is to wait for a worker forever."""
    configured = dask.config.get("distributed.scheduler.no-workers-timeout", None)
    return float(parse_timedelta(configured)) if configured else NO_WORKER_SECONDS


def completed(client: Client, futures: Sequence[Future]) -> Iterator[tuple[Future, object]]:
    """Each future and its result as it finishes, as ``distributed.as_completed`` gives them, except that a
    cluster left with no worker for :func:`no_worker_seconds`, or one whose workers fail (:func:`cluster_failures`),
    raises a ConfigError that says what to do: Dask itself would wait for a worker forever.

    An error a task raises (a DataError of the data) comes as it is.
    """
    pending = set(futures)
    alone_since = None
    while pending:
        with cluster_failures(client):
            try:
                done, pending = wait(pending, timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            results = [(future, future.result()) for future in done]
        yield from results
        if done or _has_workers(client):
            alone_since = None
        elif alone_since is None:
            alone_since = time.monotonic()
        elif time.monotonic() - alone_since >= no_worker_seconds():
            raise _no_workers(client)


def result(client: Client, future: Future) -> object:
    """One future's result, as :func:`completed` waits for it."""
    return next(completed(client, [future]))[1]


@contextmanager
def cluster_failures(client: Client) -> Iterator[None]:
    """Dask's own failures as ConfigErrors that say what happened, in Dask's words, and what to do: workers that
    cannot import sgdcore, a worker that died on a task, a lost connection to the scheduler, no worker left."""
    address = _address(client)
    try:
        yield
    except (NoWorkerError, NoValidWorkerError):
        raise _no_workers(client) from None
    except RuntimeError as error:  # Dask's "Error during deserialization of the task graph", for one
        cause = error.__cause__ or error.__context__
        if isinstance(cause, ImportError) and (cause.name or "").split(".")[0] == "sgdcore":
            raise ConfigError(
                f"The workers of the Dask cluster at {address} cannot run sgdcore's tasks ({cause}): install "
                "sgdcore on every worker (pip install . in a checkout of the same commit) or start them with "
                "PYTHONPATH set to such a checkout.", "workers_cannot_import", address=address, reason=str(cause),
            ) from None
        raise ConfigError(f"The Dask cluster at {address} failed: {error}. Check the workers' logs, then try again.",
                          "cluster_failed", address=address, reason=_first_line(error)) from None
    except (KilledWorker, CancelledError, CommClosedError) as error:
        raise ConfigError(f"The Dask cluster at {address} failed: {type(error).__name__}: {error}. Check that "
                          "the scheduler and its workers are running and have memory enough, then try again.",
                          "cluster_failed", address=address, reason=_first_line(error)) from None


def _has_workers(client: Client) -> bool:
    try:
        return bool(client.nthreads())
    except OSError as error:  # the scheduler is gone
        raise ConfigError(f"The Dask scheduler at {_address(client)} no longer answers ({error}). Start it again "
                          "with its workers, then try again.", "cluster_failed", address=_address(client),
                          reason=_first_line(error)) from None


def _no_workers(client: Client) -> ConfigError:
    address, seconds = _address(client), no_worker_seconds()
    return ConfigError(f"The Dask cluster at {address} has had no worker for {seconds:g} s: start a worker "
                       f"(dask worker {address}) and try again.", "no_workers", address=address, seconds=seconds)


def _address(client: Client) -> str:
    """The scheduler's address, as a message names it."""
    return getattr(client.scheduler, "address", None) or str(client)


def _first_line(error: Exception) -> str:
    """An error's kind and the first line of its message: Dask's can run to a page."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__

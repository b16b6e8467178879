"""Loading: :func:`load` reads, checks and cleans every partition on the cluster and sums its statistics;
:class:`DistributedData` is what it returns (no rows: the pieces, the plan and the statistics)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import dask.dataframe as dd
import numpy as np
import pandas as pd
from distributed import Client

from sgdcore.analysis import Curvature, QuadraticLoss, curvature
from sgdcore.distributed.cluster import completed, connect, result
from sgdcore.distributed.files import PARTITION_BYTES, Piece, _where, inspect
from sgdcore.distributed.moments import Moments, _merge_pairwise
from sgdcore.distributed.plan import Plan, _check_solvable, _partition_frame, _partition_moments, _plan, _scan
from sgdcore.errors import DataError
from sgdcore.io import cleaning
from sgdcore.io.columns import quoted
from sgdcore.reference import ClosedForm, Comparison


@dataclass(frozen=True, eq=False)
class DistributedData:
    """Data in files, as :func:`load` found and cleaned it: what SGD and the closed form need, no rows.

    Attributes
    ----------
    source : str
        The path, folder or glob given to :func:`load`.
    pieces : tuple of Piece
        The row partitions, in file order.
    partition_rows : numpy.ndarray
        Rows of each partition after cleaning (some may be 0).
    rows_read : int
        Rows in the files, before any row was dropped.
    moments : Moments
        The sufficient statistics of the cleaned data.
    partition_moments : tuple of Moments
        Each partition's, in file order: SGD draws each batch from one partition's rows, whose curvature on
        files sorted by a column can be far from the whole's.
    notices : tuple of Notice
        What was dropped, filled in or encoded, as :func:`sgdcore.dataset_from_frame` says it
        (:mod:`sgdcore.io.notices`).
    """

    source: str
    pieces: tuple[Piece, ...]
    plan: Plan
    partition_rows: np.ndarray
    rows_read: int
    moments: Moments
    notices: tuple[str, ...] = field(default=())
    partition_moments: tuple[Moments, ...] = field(default=())

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.plan.feature_names

    @property
    def target_name(self) -> str:
        return self.plan.target

    @property
    def n_rows(self) -> int:
        return int(self.moments.count)

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def n_partitions(self) -> int:
        return len(self.pieces)

    @property
    def quadratic(self) -> QuadraticLoss:
        """The training loss as a quadratic in ``θ = [w, b]`` (from the statistics: no pass over the data)."""
        return self.moments.quadratic_loss()

    @cached_property
    def curvature(self) -> Curvature:
        """Eigenvalues of the Hessian, the condition number and the stability limits."""
        return curvature(self.quadratic.hessian)

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names in the order of ``θ = [w…, b]``."""
        return (*self.feature_names, "bias")

    def loss(self, weights: np.ndarray, bias: float) -> float:
        """The training loss ``½·mean((Xw + b − y)²)`` in O(d²) (:meth:`Moments.loss`)."""
        return self.moments.loss(np.append(weights, bias))

    def compare(self, weights: np.ndarray, bias: float, optimum: ClosedForm | None = None) -> Comparison:
        """SGD's ``(w, b)`` against the closed form, as :func:`sgdcore.compare` reports it on training rows, from
        the statistics alone (no pass over the data; no held-out rows, so the test fields are None).

        ``optimum`` defaults to :meth:`Moments.solve`; pass :func:`closed_form`'s answer if it took the QR path.
        """
        optimum = optimum or self.moments.solve()
        params = np.append(np.asarray(weights, dtype=np.float64), bias)
        gap = self.moments.loss_gap(params, optimum.params)
        loss_sgd, loss_optimum = self.moments.loss(params), self.moments.loss(optimum.params)
        variance = float(self.moments.comoment[-1, -1]) / self.n_rows
        r2 = (lambda loss: 1.0 - 2.0 * loss / variance if variance > 0 else float("nan"))  # noqa: E731
        return Comparison(
            names=self.names, sgd=params, closed_form=optimum.params, truth=None,
            train_loss_sgd=loss_sgd, train_loss_closed_form=loss_optimum, loss_gap=gap,
            train_mse_sgd=2 * loss_sgd, train_mse_closed_form=2 * loss_optimum,
            train_r2_sgd=r2(loss_sgd), train_r2_closed_form=r2(loss_optimum),
            test_mse_sgd=None, test_mse_closed_form=None, test_r2_sgd=None, test_r2_closed_form=None,
        )

    @property
    def frame(self) -> dd.DataFrame:
        """The cleaned data as a Dask DataFrame (features, then the target), one partition per piece."""
        meta = pd.DataFrame({name: pd.Series(dtype=np.float64) for name in (*self.feature_names, self.target_name)})
        return dd.from_map(_partition_frame, list(self.pieces), plan=self.plan, meta=meta,
                           divisions=None, enforce_metadata=False)


def load(
    path: str | os.PathLike,
    target: str | None = None,
    features: Sequence[str] | None = None,
    *,
    missing: str = "error",
    non_numeric: str = "error",
    partition_bytes: int = PARTITION_BYTES,
    client: Client | None = None,
    on_partition: Callable[[int, int], None] | None = None,
) -> DistributedData:
    """Read CSV or Parquet files as row partitions on the cluster, check and clean them as
    :func:`sgdcore.dataset_from_frame` does, and sum their statistics. No row comes to the client.

    Parameters
    ----------
    path : str or path
        A file, a folder (every ``.csv`` or ``.parquet`` file in it, subfolders included) or a glob such as
        ``data/*.parquet``; any fsspec URL (``s3://…``) whose package is installed. Every file must have the
        same columns.
    target, features, missing, non_numeric
        As in :func:`sgdcore.load_csv`: the target defaults to the last column, the features to all others.
    partition_bytes : int
        A CSV file is cut into partitions of about this many bytes; a Parquet file has one per row group.
    client : distributed.Client, optional
        The cluster to use; by default :func:`connect`'s.
    on_partition : callable, optional
        Called as ``on_partition(done, total)`` each time a partition has been read: a progress bar.

    Returns
    -------
    DistributedData

    Raises
    ------
    ConfigError
        ``missing`` or ``non_numeric`` is not an allowed value, or ``partition_bytes`` < 1; or the cluster fails: no
        worker left, workers that cannot import sgdcore (:func:`~sgdcore.distributed.cluster.completed`).
    DataError
        As :func:`sgdcore.dataset_from_frame`, each message naming the file and, for CSV, the line (for
        Parquet, the row); also when files are missing or their columns differ, or when a CSV value is not
        written as its column's other numbers are (``1.5`` among ``2,25``).
    """
    cleaning._check_choice("missing", missing, cleaning.MISSING_CHOICES)
    cleaning._check_choice("non_numeric", non_numeric, cleaning.NON_NUMERIC_CHOICES)
    source = inspect(path, partition_bytes)
    pieces, columns = list(source.pieces), list(source.columns)
    target = columns[-1] if target is None else target
    frame = pd.DataFrame(columns=columns)
    if target not in columns:
        raise DataError(f"The target column {target!r} is not in the files. Available columns: "
                        f"{quoted(columns)}. Choose one of them as the target.", "unknown_target", target=target,
                        columns=list(columns))
    features = cleaning._check_features(frame, target, features)
    client = connect(client)

    provisional = Plan(target, tuple((name, None) for name in features), missing)
    scans = _run_on_partitions(client, _scan, pieces, provisional, on_partition)
    plan, notices = _plan(scans, provisional, non_numeric,
                          lambda index, row: result(client, client.submit(_where, pieces[index], row)), columns)
    if plan == provisional and all(scan["moments"] is not None for scan in scans):
        per_partition = [scan["moments"] for scan in scans]
    else:  # means to fill in or categories to encode were not known during the first pass
        per_partition = _run_on_partitions(client, _partition_moments, pieces, plan, on_partition)
    moments = _merge_pairwise(per_partition)
    rows_read = sum(scan["rows"] for scan in scans)
    _check_solvable(moments, plan.feature_names, rows_read - moments.count)
    return DistributedData(os.fspath(path), tuple(pieces), plan, np.array([m.count for m in per_partition]),
                           rows_read, moments, (*source.notices, *notices), tuple(per_partition))


def _run_on_partitions(client: Client, function: Callable, pieces: Sequence[Piece], plan: Plan,
                       on_partition: Callable[[int, int], None] | None) -> list:
    """``function(piece, plan)`` for every piece on the cluster, the results in piece order (a cluster that fails
    or has no worker left is a ConfigError, :func:`~sgdcore.distributed.cluster.completed`)."""
    futures = client.map(function, pieces, plan=plan, pure=False)
    index = {future.key: i for i, future in enumerate(futures)}
    results: list = [None] * len(futures)
    for done, (future, value) in enumerate(completed(client, futures), start=1):
        results[index[future.key]] = value
        if on_partition is not None:
            on_partition(done, len(futures))
    return results

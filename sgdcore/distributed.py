"""Data larger than memory, on a Dask cluster: load it, solve it exactly, and train SGD on it.

A folder or glob of CSV or Parquet files is read as row partitions (a byte range of a CSV file, a row
group of a Parquet file), each read and cleaned on a worker; the data never comes to the client.

- :func:`load` makes one pass over the files: it checks every column as :func:`sgdcore.dataset_from_frame`
  does (missing values, text columns, infinite values, the same choices and messages, each naming the file
  and the line), and it sums the sufficient statistics of least squares (:class:`Moments`: count, means and
  centred co-moments of ``[x, y]``), merged pairwise as Chan, Golub and LeVeque do. Cleaning that needs
  the whole data first (column means to impute, one-hot categories) costs a second pass.
- :func:`closed_form` solves the ``(d+1)``-sized system on the client: the exact least-squares answer with no
  further pass, or, for ill-conditioned data, one pass of dask.array's tall-skinny QR.
- The same statistics give the Hessian, the stability limits and the loss as a quadratic
  (:meth:`Moments.quadratic_loss`, :func:`sgdcore.curvature`), so the loss after an epoch costs O(d²).
- :func:`train` runs sgdcore's minibatch SGD kernel over the partitions: the O(d) state (weights,
  velocity, step, random generator) travels to each partition in a seeded random order per epoch, the rows
  are shuffled within it, and it yields the :class:`sgdcore.Progress` snapshots of :func:`sgdcore.train`.

With no configuration, :func:`connect` starts a local cluster of worker processes; the environment variable
``SGD_DASHBOARD_SCHEDULER=tcp://host:8786`` connects to a running one instead. ``import sgdcore`` does not
import this module (nor Dask).
"""

from __future__ import annotations

import io
import math
import os
import re
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import PurePosixPath

import dask
import dask.array as da
import dask.dataframe as dd
import fsspec
import numpy as np
import pandas as pd
import scipy.linalg
from distributed import Client, LocalCluster, as_completed

from sgdcore.analysis import Curvature, QuadraticLoss, curvature
from sgdcore.backends import select_kernel, usable_cores
from sgdcore.errors import ConfigError, DataError
from sgdcore.history import MAX_HISTORY_POINTS, Progress, Run, TrainState
from sgdcore.io import cleaning, reading
from sgdcore.io.columns import LISTED_NAMES, column_kind, column_values, counted, quoted
from sgdcore.kernels import Chunk, Minibatches, Records, StepRule
from sgdcore.model import init_params
from sgdcore.reference import ClosedForm, Comparison
from sgdcore.train import TrainConfig, _divergence_message

SCHEDULER_VARIABLE = "SGD_DASHBOARD_SCHEDULER"
EXTENSIONS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".parq": "parquet"}
PARTITION_BYTES = 64 << 20  # a CSV file is cut into byte ranges of this size: Dask's own default block size
# closed_form(method="auto") takes the QR path above this condition number of the correlation matrix: the
# normal equations lose about log10(κ) digits, QR half as many.
CONDITION_LIMIT = 1e5
READ_AHEAD = 2  # partitions read ahead of the one SGD is on: reading overlaps training, memory stays bounded


# The cluster


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
                    f"address, or leave it empty (and {SCHEDULER_VARIABLE} unset) to use a local cluster."
                ) from None
        else:
            cluster = LocalCluster(
                n_workers=usable_cores(), threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, memory_limit="auto",
            )
            existing = Client(cluster)
        _clients[key] = existing
        return existing


def shutdown() -> None:
    """Close the clients :func:`connect` opened, and the local cluster if it started one."""
    for key, client in list(_clients.items()):
        cluster = client.cluster if key == "local" else None
        client.close()
        if cluster is not None:
            cluster.close()
        del _clients[key]


# Files and partitions


@dataclass(frozen=True)
class Piece:
    """One row partition: bytes ``[start, stop)`` of a CSV file, or row group ``start`` of a Parquet file.

    A CSV line belongs to the piece its first byte is in. ``first_row`` is the Parquet group's first row
    in its file (0-based). ``name`` is the path as messages show it.
    """

    path: str
    name: str
    format: str
    start: int
    stop: int
    first_row: int = 0
    header: bytes = b""
    encoding: str = "utf-8"
    delimiter: str = ","


def _files(path: str | os.PathLike) -> tuple[fsspec.AbstractFileSystem, list[str], str]:
    """The file system, the data files that ``path`` (a file, a folder or a glob) names, and their root."""
    text = os.fspath(path)
    fs, stripped = fsspec.core.url_to_fs(text)
    if any(character in stripped for character in "*?["):
        found, root = sorted(fs.glob(stripped)), stripped[:min(stripped.find(c) for c in "*?[" if c in stripped)]
        root = root.rsplit("/", 1)[0]
    elif fs.isdir(stripped):
        found, root = sorted(fs.find(stripped)), stripped
    elif fs.exists(stripped):
        found, root = [stripped], stripped.rsplit("/", 1)[0]
    else:
        raise DataError(f"No file or folder at {text!r}: give a CSV or Parquet file, a folder of them, or a glob "
                        "such as data/*.parquet.")
    # Names starting with "_" or "." are what Spark, Dask and Hadoop write beside the data (_SUCCESS, _metadata,
    # .crc checksums), not rows.
    files = [name for name in found if PurePosixPath(name).suffix.lower() in EXTENSIONS
             and not PurePosixPath(name).name.startswith(("_", "."))]
    if not files:
        raise DataError(f"No CSV or Parquet files at {text!r} (looked for names ending in "
                        f"{', '.join(EXTENSIONS)}).")
    return fs, files, root


def _display_name(file: str, root: str) -> str:
    return file[len(root):].lstrip("/") if root and file.startswith(root) and file != root else PurePosixPath(file).name


def _csv_pieces(fs: fsspec.AbstractFileSystem, file: str, name: str, partition_bytes: int) -> tuple[list[Piece], list]:
    """A CSV file's byte ranges, and its column names as its header writes them."""
    with fs.open(file, "rb") as handle:
        head = handle.read(reading.SAMPLE_BYTES)
        while head and b"\n" not in head and (more := handle.read(reading.SAMPLE_BYTES)):
            head += more
    if not head.strip():
        raise DataError(f"{name}: the file is empty: it has no header row and no data. Every file needs the same "
                        "header row, then rows of numbers.")
    header = head[:head.find(b"\n") + 1] if b"\n" in head else head
    if head.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        try:
            head.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError as error:  # a multi-byte character cut at the end of the sample is still UTF-8
            encoding = "utf-8" if error.start >= len(head) - 3 else "latin-1"
    sample = head.decode(encoding, errors="replace")
    delimiter = reading._detect_delimiter(sample)
    columns = reading._header(sample, delimiter)
    try:
        reading._check_header(columns)
    except DataError as error:
        raise DataError(f"{name}: {error}") from None
    size = fs.size(file)
    starts = range(0, max(size, 1), partition_bytes)
    pieces = [Piece(fs.unstrip_protocol(file), name, "csv", start, min(start + partition_bytes, size),
                    header=header, encoding=encoding, delimiter=delimiter) for start in starts]
    return pieces, [column.strip() for column in columns]


def _parquet_pieces(fs: fsspec.AbstractFileSystem, file: str, name: str) -> tuple[list[Piece], list]:
    """A Parquet file's row groups, and its column names."""
    import pyarrow.parquet as pq

    try:
        with fs.open(file, "rb") as handle:
            metadata = pq.ParquetFile(handle).metadata
    except Exception as error:  # pyarrow's ArrowInvalid and OSError: not a Parquet file, or a damaged one
        raise DataError(f"{name}: cannot read it as a Parquet file ({error}).") from None
    first_rows = np.concatenate(([0], np.cumsum([metadata.row_group(i).num_rows
                                                 for i in range(metadata.num_row_groups)])))
    pieces = [Piece(fs.unstrip_protocol(file), name, "parquet", group, group + 1, int(first_rows[group]))
              for group in range(metadata.num_row_groups)]
    return pieces, [str(column) for column in metadata.schema.to_arrow_schema().names]


def _read_piece(piece: Piece, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The rows of one piece as pandas reads them, before any cleaning.

    Raises
    ------
    DataError
        If a CSV line cannot be parsed (naming the file and the line) or is not in the file's encoding.
    """
    if piece.format == "parquet":
        import pyarrow.parquet as pq

        with fsspec.open(piece.path, "rb") as handle:
            table = pq.ParquetFile(handle).read_row_group(piece.start, columns=list(columns) if columns else None)
        return table.to_pandas()
    block, first_byte = _csv_block(piece)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(io.BytesIO(piece.header + block), sep=piece.delimiter, encoding=piece.encoding,
                                engine="c", index_col=False, compression=None)
        except (pd.errors.ParserError, pd.errors.ParserWarning) as error:
            found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
            if found is None:
                raise DataError(f"{piece.name}: cannot read it as CSV: {str(error).strip()}.") from None
            line = _line_number(piece, first_byte, int(found[2]) - 2)
            raise DataError(
                f"{piece.name}, line {line}: {found[3]} fields, the header has {found[1]}. Check that line for an "
                f"extra {reading.DELIMITER_NAMES.get(piece.delimiter, 'delimiter')} (values that contain one must "
                'be in double quotes "like, this"), then try again.'
            ) from None
        except UnicodeDecodeError as error:
            offset = max(error.start - len(piece.header), 0)
            line = _line_number(piece, first_byte, block[:offset].count(b"\n"))
            raise DataError(f"{piece.name}, line {line}: not valid {piece.encoding.upper()} text. Save every file "
                            "with the same encoding (UTF-8 is best), then try again.") from None
    frame.columns = [str(column).strip() for column in frame.columns]
    # Every column is parsed (pandas' usecols would let a line with an extra field pass unseen).
    return frame if columns is None else frame[list(columns)]


def _csv_block(piece: Piece) -> tuple[bytes, int]:
    """The whole lines that start in ``[start, stop)`` (the header excluded), and the byte where they start."""
    with fsspec.open(piece.path, "rb") as handle:
        if piece.start == 0:
            handle.readline()  # the header
        else:
            handle.seek(piece.start - 1)
            handle.readline()  # the end of the line that started in the previous piece (just "\n" if it ended there)
        first_byte = handle.tell()
        if first_byte >= piece.stop:
            return b"", first_byte
        block = handle.read(piece.stop - first_byte)
        if block and not block.endswith(b"\n"):
            block += handle.readline()
    return block, first_byte


def _line_number(piece: Piece, first_byte: int, row: int) -> int:
    """The line of the file (1 = the header) that holds data row ``row`` of a CSV piece, blank lines aside.

    Counted only when a message needs it: the lines before a piece are not known without reading them.
    """
    lines_before = 0
    with fsspec.open(piece.path, "rb") as handle:
        remaining = first_byte
        while remaining > 0 and (chunk := handle.read(min(remaining, reading.CHUNK_BYTES))):
            lines_before += chunk.count(b"\n")
            remaining -= len(chunk)
    return lines_before + 1 + row


def _where(piece: Piece, row: int) -> str:
    """``"data/a.csv, line 12"`` or ``"data/b.parquet, row 12"`` for data row ``row`` (0-based) of ``piece``."""
    if piece.format == "parquet":
        return f"{piece.name}, row {piece.first_row + row + 1}"
    return f"{piece.name}, line {_line_number(piece, _csv_block_start(piece), row)}"


def _csv_block_start(piece: Piece) -> int:
    with fsspec.open(piece.path, "rb") as handle:
        if piece.start > 0:
            handle.seek(piece.start - 1)
        handle.readline()
        return handle.tell()


# Sufficient statistics


@dataclass(frozen=True, eq=False)
class Moments:
    """The sufficient statistics of least squares on ``z = [x, y]``: the count, the means and the centred
    co-moments ``C = Σ (z − z̄)(z − z̄)ᵀ``. Partitions' statistics merge exactly (:meth:`merge`).

    Centred sums keep the digits that raw sums ``Σ zzᵀ`` lose to a large mean; they give ``XᵀX``, ``Xᵀy``
    and ``yᵀy`` (:meth:`quadratic_loss`) and the least-squares answer (:meth:`solve`).
    """

    count: int
    mean: np.ndarray
    comoment: np.ndarray

    @classmethod
    def of(cls, X: np.ndarray, y: np.ndarray) -> Moments:
        """The statistics of one partition."""
        z = np.empty((X.shape[0], X.shape[1] + 1))
        z[:, :-1], z[:, -1] = X, y
        if len(z) == 0:
            return cls(0, np.zeros(z.shape[1]), np.zeros((z.shape[1], z.shape[1])))
        mean = z.mean(axis=0)
        z -= mean
        return cls(len(z), mean, z.T @ z)

    def merge(self, other: Moments) -> Moments:
        """The statistics of both partitions together (Chan, Golub & LeVeque's pairwise update):
        ``C = C_a + C_b + δδᵀ·n_a·n_b/n`` with ``δ = z̄_b − z̄_a``."""
        if other.count == 0:
            return self
        if self.count == 0:
            return other
        count = self.count + other.count
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.count / count)
        comoment = self.comoment + other.comoment + np.outer(delta, delta) * (self.count * other.count / count)
        return Moments(count, mean, comoment)

    @property
    def n_features(self) -> int:
        return len(self.mean) - 1

    def solve(self) -> ClosedForm:
        """Least squares with a bias, from the centred normal equations ``C_xx w = C_xy``, ``b = ȳ − x̄ᵀw``:
        what scikit-learn's ``LinearRegression`` computes (it centres too), to about ``κ·ε`` relative."""
        c_xx, c_xy = self.comoment[:-1, :-1], self.comoment[:-1, -1]
        try:
            weights = scipy.linalg.solve(c_xx, c_xy, assume_a="pos")
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
            weights = np.linalg.lstsq(c_xx, c_xy, rcond=None)[0]
        return ClosedForm(weights, float(self.mean[-1] - self.mean[:-1] @ weights))

    def correlation_condition(self) -> float:
        """The condition number of the features' correlation matrix: how many digits :meth:`solve` loses."""
        scale = np.sqrt(np.diag(self.comoment)[:-1])
        if self.n_features == 0 or np.any(scale == 0):
            return math.inf
        eigenvalues = np.linalg.eigvalsh(self.comoment[:-1, :-1] / np.outer(scale, scale))
        return float(eigenvalues[-1] / eigenvalues[0]) if eigenvalues[0] > 0 else math.inf

    def quadratic_loss(self) -> QuadraticLoss:
        """The training loss as :class:`sgdcore.QuadraticLoss` (``H = AᵀA/n``, ``c = Aᵀy/n``, ``k = ½·mean(y²)``,
        ``A = [X 1]``), the same form :func:`sgdcore.quadratic_loss` sums in memory."""
        n, mean = self.count, self.mean
        second = self.comoment / n + np.outer(mean, mean)  # E[z zᵀ]
        d = self.n_features
        hessian = np.empty((d + 1, d + 1))
        hessian[:d, :d], hessian[:d, d], hessian[d, :d], hessian[d, d] = second[:d, :d], mean[:d], mean[:d], 1.0
        linear = np.append(second[:d, d], mean[d])
        return QuadraticLoss(hessian, linear, 0.5 * float(second[d, d]))

    def loss(self, params: np.ndarray) -> float:
        """``½·mean((Xw + b − y)²)`` at ``θ = [w, b]`` in O(d²), from the centred form
        ``½·(r̄² + (w − w*)ᵀC_xx(w − w*)/n + RSS*/n)``, ``r̄`` the mean residual, ``RSS*`` the optimum's:
        small terms added to the floor rather than large ones cancelled (``inf`` when it overflows)."""
        params = np.asarray(params, dtype=np.float64)
        weights, optimum = params[:-1], self._optimum
        with np.errstate(all="ignore"):
            mean_residual = self.mean[:-1] @ weights + params[-1] - self.mean[-1]
            delta = weights - optimum.weights
            spread = float(delta @ self.comoment[:-1, :-1] @ delta)
            value = 0.5 * (mean_residual**2 + (spread + self._optimum_rss) / self.count)
        return float(value) if math.isfinite(value) else math.inf

    def loss_gap(self, params: np.ndarray, optimum: np.ndarray) -> float:
        """``L(θ) − L(θ*)`` to its own precision: ``½·((r̄ − r̄*)(r̄ + r̄*) + δᵀC_xxδ/n + 2δᵀ(C_xx w* − C_xy)/n)``,
        ``δ = w − w*``, small terms rather than the difference of two losses (0 where ``θ`` is as good as ``θ*``)."""
        params, optimum = np.asarray(params, dtype=np.float64), np.asarray(optimum, dtype=np.float64)
        c_xx, c_xy = self.comoment[:-1, :-1], self.comoment[:-1, -1]
        with np.errstate(all="ignore"):
            mean_residual = self.mean[:-1] @ params[:-1] + params[-1] - self.mean[-1]
            mean_residual_optimum = self.mean[:-1] @ optimum[:-1] + optimum[-1] - self.mean[-1]
            delta = params[:-1] - optimum[:-1]
            gap = 0.5 * ((mean_residual - mean_residual_optimum) * (mean_residual + mean_residual_optimum)
                         + (float(delta @ c_xx @ delta) + 2 * float(delta @ (c_xx @ optimum[:-1] - c_xy))) / self.count)
        return max(gap, 0.0) if math.isfinite(gap) else math.inf

    @cached_property
    def _optimum(self) -> ClosedForm:
        return self.solve()

    @cached_property
    def _optimum_rss(self) -> float:
        """``C_yy − C_xyᵀw*``: the residual sum of squares at the optimum (never below 0)."""
        return max(float(self.comoment[-1, -1] - self.comoment[:-1, -1] @ self._optimum.weights), 0.0)


def _merge_pairwise(moments: Sequence[Moments]) -> Moments:
    """All partitions' statistics merged as a balanced tree, in partition order: the same result whatever
    order the workers finished in."""
    level = list(moments)
    while len(level) > 1:
        level = [level[i].merge(level[i + 1]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    return level[0]


# Cleaning, as sgdcore.io does it


@dataclass(frozen=True)
class Plan:
    """How every partition is cleaned: the columns read, the features (a text feature with its one-hot
    categories, the first being the baseline), the rows kept, and the means that fill gaps."""

    target: str
    features: tuple[tuple[str, tuple | None], ...]
    missing: str
    fill: tuple[tuple[str, float], ...] = ()

    @property
    def columns(self) -> list[str]:
        return [self.target, *(name for name, _ in self.features)]

    @property
    def feature_names(self) -> tuple[str, ...]:
        names: list[str] = []
        for name, categories in self.features:
            names += [name] if categories is None else [f"{name}={value}" for value in categories[1:]]
        return tuple(names)


def _clean(frame: pd.DataFrame, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (float64, C-contiguous) and ``y`` of one partition, cleaned by ``plan``."""
    keep = frame[plan.target].notna().to_numpy().copy()  # pandas may hand out a read-only array
    if plan.missing == "drop":
        for name, _ in plan.features:
            keep &= frame[name].notna().to_numpy()
    fill = dict(plan.fill)
    names = plan.feature_names
    X = np.empty((int(keep.sum()), len(names)))
    j = 0
    for name, categories in plan.features:
        series = frame[name][keep] if not keep.all() else frame[name]
        if categories is None:
            columns = [(name, column_values(series).astype(np.float64))]
        else:
            gaps = series.isna().to_numpy()
            columns = []
            for value in categories[1:]:
                dummy = (series == value).to_numpy(dtype=np.float64)
                dummy[gaps] = np.nan
                columns.append((f"{name}={value}", dummy))
        for column_name, values in columns:
            if column_name in fill:
                values = np.where(np.isnan(values), fill[column_name], values)
            X[:, j] = values
            j += 1
    y = column_values(frame[plan.target]).astype(np.float64)[keep]
    return X, y


def _scan(piece: Piece, plan: Plan) -> dict:
    """What the plan needs to know about one partition, and its statistics if the plan can clean it as it is.

    Per column: its kind (``column_kind``), its missing values and infinite values (with the first's row),
    a text column's values (counted on all rows, and on the rows whose target is present), and a numeric
    column's sum and count on the rows whose target is present (the means that ``missing="mean"`` fills in).
    """
    frame = _read_piece(piece, plan.columns)
    target_present = frame[plan.target].notna().to_numpy()
    columns = {}
    for name in plan.columns:
        series = frame[name]
        kind = column_kind(series)
        gaps = series.isna().to_numpy()
        summary = {"kind": kind, "missing": int(gaps.sum()),
                   "first_missing": int(np.argmax(gaps)) if gaps.any() else -1}
        if kind == "text":
            counts = series.value_counts(dropna=True)
            summary["values"] = counts.head(cleaning.MAX_CATEGORIES + 1).to_dict()
            summary["many_values"] = len(counts) > cleaning.MAX_CATEGORIES
            summary["values_kept"] = series[target_present].value_counts(dropna=True).head(
                cleaning.MAX_CATEGORIES + 1).to_dict()
            numbers = pd.to_numeric(series.astype(object), errors="coerce")
            bad = np.flatnonzero(series.notna().to_numpy() & numbers.isna().to_numpy())
            bad_row = int(bad[0]) if len(bad) else int(np.argmax(series.notna().to_numpy()))
            summary["example"], summary["example_row"] = series.iloc[bad_row], bad_row
        else:
            values = column_values(series).astype(np.float64, copy=False)
            infinite = np.isinf(values)
            summary["infinite"] = int(infinite.sum())
            summary["first_infinite"] = int(np.argmax(infinite)) if infinite.any() else -1
            present = values[target_present & ~gaps]
            summary["sum"], summary["count"] = float(present.sum()), len(present)
        columns[name] = summary
    scan = {"rows": len(frame), "columns": columns, "moments": None}
    if all(columns[name]["kind"] != "text" for name in plan.columns) and not any(
            columns[name].get("infinite") for name in plan.columns):
        X, y = _clean(frame, plan)
        if not np.isnan(X).any():
            scan["moments"] = Moments.of(X, y)
    return scan


def _partition(piece: Piece, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """One partition, read and cleaned on a worker."""
    return _clean(_read_piece(piece, plan.columns), plan)


def _partition_moments(piece: Piece, plan: Plan) -> Moments:
    return Moments.of(*_partition(piece, plan))


def _partition_frame(piece: Piece, plan: Plan) -> pd.DataFrame:
    X, y = _partition(piece, plan)
    frame = pd.DataFrame(X, columns=list(plan.feature_names))
    frame[plan.target] = y
    return frame


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
    notices : tuple of str
        What was dropped, filled in or encoded, as :func:`sgdcore.dataset_from_frame` says it.
    """

    source: str
    pieces: tuple[Piece, ...]
    plan: Plan
    partition_rows: np.ndarray
    rows_read: int
    moments: Moments
    notices: tuple[str, ...] = field(default=())

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


@dataclass(frozen=True)
class Source:
    """What :func:`inspect` finds at a path, before any data is read: enough to choose the target."""

    path: str
    format: str
    files: tuple[str, ...]
    columns: tuple[str, ...]
    pieces: tuple[Piece, ...]

    @property
    def n_partitions(self) -> int:
        return len(self.pieces)


def inspect(path: str | os.PathLike, partition_bytes: int = PARTITION_BYTES) -> Source:
    """The files at ``path``, their columns and their partitions, from the CSV headers or the Parquet
    metadata alone (on the client, no cluster needed): what a user interface shows before the target is chosen.

    Raises
    ------
    DataError
        No file at ``path``, both CSV and Parquet files, a file that cannot be read, or files whose columns
        differ.
    """
    if not (isinstance(partition_bytes, int) and partition_bytes >= 1):
        raise ConfigError(f"partition_bytes must be an integer ≥ 1; got {partition_bytes!r}.")
    fs, files, root = _files(path)
    formats = {EXTENSIONS[PurePosixPath(file).suffix.lower()] for file in files}
    if len(formats) > 1:
        raise DataError(f"{os.fspath(path)!r} holds both CSV and Parquet files: point at one kind only.")
    pieces: list[Piece] = []
    columns = None
    names = []
    for file in files:
        name = _display_name(file, root)
        names.append(name)
        if "csv" in formats:
            found, file_columns = _csv_pieces(fs, file, name, partition_bytes)
        else:
            found, file_columns = _parquet_pieces(fs, file, name)
        if columns is None:
            columns, first_name = file_columns, name
        elif file_columns != columns:
            raise DataError(f"{name} has the columns {quoted(file_columns)}, but {first_name} has "
                            f"{quoted(columns)}: every file must have the same columns, in the same order.")
        pieces += found
    return Source(os.fspath(path), formats.pop(), tuple(names), tuple(columns), tuple(pieces))


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
        ``missing`` or ``non_numeric`` is not an allowed value, or ``partition_bytes`` < 1.
    DataError
        As :func:`sgdcore.dataset_from_frame`, each message naming the file and, for CSV, the line (for
        Parquet, the row); also when files are missing or their columns differ.
    """
    cleaning._check_choice("missing", missing, cleaning.MISSING_CHOICES)
    cleaning._check_choice("non_numeric", non_numeric, cleaning.NON_NUMERIC_CHOICES)
    source = inspect(path, partition_bytes)
    pieces, columns = list(source.pieces), list(source.columns)
    target = columns[-1] if target is None else target
    frame = pd.DataFrame(columns=columns)
    if target not in columns:
        raise DataError(f"The target column {target!r} is not in the files. Available columns: "
                        f"{quoted(columns)}. Choose one of them as the target.")
    features = cleaning._check_features(frame, target, features)
    client = connect(client)

    provisional = Plan(target, tuple((name, None) for name in features), missing)
    scans = _run_on_partitions(client, _scan, pieces, provisional, on_partition)
    plan, notices = _plan(scans, provisional, non_numeric,
                          lambda index, row: client.submit(_where, pieces[index], row).result())
    if plan == provisional and all(scan["moments"] is not None for scan in scans):
        per_partition = [scan["moments"] for scan in scans]
    else:  # means to fill in or categories to encode were not known during the first pass
        per_partition = _run_on_partitions(client, _partition_moments, pieces, plan, on_partition)
    moments = _merge_pairwise(per_partition)
    rows_read = sum(scan["rows"] for scan in scans)
    _check_solvable(moments, plan.feature_names, rows_read - moments.count)
    return DistributedData(os.fspath(path), tuple(pieces), plan, np.array([m.count for m in per_partition]),
                           rows_read, moments, tuple(notices))


def _run_on_partitions(client: Client, function: Callable, pieces: Sequence[Piece], plan: Plan,
                       on_partition: Callable[[int, int], None] | None) -> list:
    """``function(piece, plan)`` for every piece on the cluster, the results in piece order."""
    futures = client.map(function, pieces, plan=plan, pure=False)
    index = {future.key: i for i, future in enumerate(futures)}
    results: list = [None] * len(futures)
    for done, (future, result) in enumerate(as_completed(futures, with_results=True), start=1):
        results[index[future.key]] = result
        if on_partition is not None:
            on_partition(done, len(futures))
    return results


def _plan(
    scans: list[dict], provisional: Plan, non_numeric: str, locate: Callable[[int, int], str]
) -> tuple[Plan, list[str]]:
    """The cleaning plan, from every partition's scan, with sgdcore.io's checks and notices.

    ``locate(partition, row)`` says where a row is (file and line), for messages: it is called only for an
    error, since a CSV line number costs a read of the file up to it.
    """
    target, missing = provisional.target, provisional.missing
    names = provisional.columns
    merged: dict[str, dict] = {}
    for name in names:
        parts = [scan["columns"][name] for scan in scans]
        text_parts = [(index, p) for index, p in enumerate(parts) if p["kind"] == "text"]
        merged[name] = {
            "text": bool(text_parts), "mixed": bool(text_parts) and len(text_parts) < len(parts),
            "missing": sum(p["missing"] for p in parts), "missing_at": _first(parts, "first_missing"),
            "infinite": sum(p.get("infinite", 0) for p in parts), "infinite_at": _first(parts, "first_infinite"),
            "sum": sum(p.get("sum", 0.0) for p in parts), "count": sum(p.get("count", 0) for p in parts),
            "example": text_parts[0][1]["example"] if text_parts else None,
            "example_at": (text_parts[0][0], text_parts[0][1]["example_row"]) if text_parts else None,
        }
        if text_parts:
            values: dict = {}
            kept: dict = {}
            for _, p in text_parts:
                for value, count in p["values"].items():
                    values[value] = values.get(value, 0) + count
                for value, count in p["values_kept"].items():
                    kept[value] = kept.get(value, 0) + count
            merged[name]["values"], merged[name]["values_kept"] = values, kept
            merged[name]["many_values"] = (any(p["many_values"] for _, p in text_parts)
                                           or len(values) > cleaning.MAX_CATEGORIES)
    if merged[target]["text"]:
        raise DataError(f"The target column {target!r} is not numeric: it holds values such as "
                        f"{merged[target]['example']!r} ({locate(*merged[target]['example_at'])}). Choose a numeric "
                        "column as the target.")
    features = [name for name, _ in provisional.features]
    text = [name for name in features if merged[name]["text"]]
    notices: list[str] = []
    if text and non_numeric == "error":
        examples = ", ".join(f"{name!r} (e.g. {merged[name]['example']!r}, {locate(*merged[name]['example_at'])})"
                             for name in text[:LISTED_NAMES])
        raise DataError(f"{len(text)} feature column(s) are not numeric: {examples}. Drop them or one-hot encode "
                        "them (non_numeric='drop' or non_numeric='onehot'), or deselect them.")
    if text and non_numeric == "drop":
        features = [name for name in features if name not in text]
        if not features:
            raise DataError(f"No usable feature columns: the chosen features {quoted(text)} are all "
                            "non-numeric and would be dropped. Choose at least one numeric feature, or one-hot "
                            "encode them (non_numeric='onehot').")
        notices.append(f"Dropped {len(text)} non-numeric feature column(s): {quoted(text)}.")
        text = []
    for name in text:
        if merged[name]["mixed"]:
            raise DataError(f"Column {name!r} holds numbers in some partitions and text in others (such as "
                            f"{merged[name]['example']!r}, {locate(*merged[name]['example_at'])}): one-hot encoding "
                            "needs the same kind of values throughout. Fix the column, or deselect it.")
        if merged[name]["many_values"]:
            raise DataError(f"Column {name!r} has more than {cleaning.MAX_CATEGORIES} different values, more than "
                            "one-hot encoding allows. It looks like an identifier or free text: deselect it, or "
                            "drop the non-numeric columns (non_numeric='drop').")
    used = [target, *features]
    counts = {name: merged[name]["missing"] for name in used if merged[name]["missing"]}
    if counts and missing == "error":
        first = locate(*next(merged[name]["missing_at"] for name in used if merged[name]["missing"]))
        raise DataError(f"Found {sum(counts.values())} missing value(s) in column(s) "
                        f"{counted(counts, target)}; the first in {first}. Drop those rows or impute the "
                        "column mean (missing='drop' or missing='mean'), or fill them in the files.")
    infinite = {name: merged[name]["infinite"] for name in used if merged[name]["infinite"]}
    if infinite:
        first = locate(*next(merged[name]["infinite_at"] for name in used if merged[name]["infinite"]))
        raise DataError(f"Column(s) {counted(infinite)} contain infinite values (inf or -inf); the first "
                        f"in {first}. Fix or remove them in the files, or deselect those columns.")
    plan_features = []
    for name in features:
        if name in text:
            values = merged[name]["values"]
            categories = tuple(sorted(values, key=str))
            plan_features.append((name, categories))
            new_names = [f"{name}={value}" for value in categories[1:]]
            notices.append(f"One-hot encoded {name!r}: {len(categories)} value(s) → {len(new_names)} column(s)" + (
                f" ({quoted(new_names, limit=8)}); {str(categories[0])!r} is the baseline, left out."
                if new_names else " (a single value carries no information)."))
        else:
            plan_features.append((name, None))
    if counts and missing == "drop":
        notices.append(f"Dropped the rows with missing values: {counted(counts, target)}.")
    fill: list[tuple[str, float]] = []
    if counts and missing == "mean":
        if merged[target]["missing"]:
            notices.append(f"Dropped {merged[target]['missing']} row(s) where the target {target!r} is missing "
                           "(a target cannot be imputed).")
        for name, categories in plan_features:
            if not merged[name]["missing"]:
                continue
            if categories is None:
                if merged[name]["count"] == 0:
                    raise DataError(f"Feature column {name!r} has no values at all: deselect it.")
                fill.append((name, merged[name]["sum"] / merged[name]["count"]))
            else:
                kept = merged[name]["values_kept"]
                present = sum(kept.values())
                fill += [(f"{name}={value}", kept.get(value, 0) / present if present else 0.0)
                         for value in categories[1:]]
        filled = {name: merged[name]["missing"] for name in features if merged[name]["missing"]}
        if filled:
            notices.append(f"Filled the missing values with the column mean: {counted(filled)}.")
    plan = Plan(target, tuple(plan_features), missing, tuple(fill))
    if not plan.feature_names:
        raise DataError(f"No usable feature columns: one-hot encoding {quoted(text)} leaves none, as each "
                        "has a single value, which carries no information. Choose at least one feature whose "
                        "values vary.")
    return plan, notices


def _first(parts: list[dict], key: str) -> tuple[int, int] | None:
    """``(partition, row)`` of the first partition whose ``key`` row is set."""
    return next(((index, p[key]) for index, p in enumerate(parts) if p.get(key, -1) >= 0), None)


def _check_solvable(moments: Moments, names: tuple[str, ...], dropped: int) -> None:
    """sgdcore.io's checks, from the statistics: ≥ 2 rows, no constant column, more rows than
    features."""
    n_rows, n_features = moments.count, len(names)
    if n_rows < 2:
        after = f" after dropping {dropped} row(s) with missing values" if dropped else ""
        raise DataError(f"Need at least 2 rows; got {n_rows}{after}. Add rows of data to the files.")
    constant = [name for name, spread in zip(names, np.diag(moments.comoment)[:-1], strict=True) if spread == 0]
    if constant:
        raise DataError(f"Feature column(s) {quoted(constant)} are constant (the same value in every row): "
                        "they carry no information and make the least-squares solution non-unique. Deselect them.")
    if n_features >= n_rows:
        raise DataError(f"{n_rows} rows but {n_features} features: with the bias that is {n_features + 1} unknowns, "
                        "so the least-squares solution is not unique; remove features or add rows.")


# The exact answer


def closed_form(data: DistributedData, method: str = "auto", *, client: Client | None = None) -> ClosedForm:
    """The least-squares optimum ``(w*, b*)`` with a bias, as scikit-learn's ``LinearRegression`` finds it.

    Parameters
    ----------
    data : DistributedData
    method : {"auto", "moments", "qr"}
        ``"moments"``: solve the centred normal equations from :attr:`DistributedData.moments`, on the client,
        no pass over the data; equal to ``LinearRegression`` to about ``κ·10⁻¹⁶`` relative, ``κ`` the condition
        number of the features' correlation matrix. ``"qr"``: one pass of dask.array's tall-skinny QR
        (:func:`dask.array.linalg.tsqr`) of the centred ``[X y]``, which loses half as many digits.
        ``"auto"``: QR when ``κ`` exceeds ``CONDITION_LIMIT`` (1e5), else the moments.
    client : distributed.Client, optional
        For the QR pass; by default :func:`connect`'s.

    Returns
    -------
    sgdcore.ClosedForm
        With ``.weights`` and ``.bias``, as :func:`sgdcore.closed_form` returns it.
    """
    if method not in ("auto", "moments", "qr"):
        raise ConfigError(f"method must be one of 'auto', 'moments', 'qr'; got {method!r}.")
    if method == "moments" or (method == "auto" and data.moments.correlation_condition() <= CONDITION_LIMIT):
        return data.moments.solve()
    return _qr_solve(data, connect(client))


def _centred_partition(piece: Piece, plan: Plan, means: np.ndarray) -> np.ndarray:
    X, y = _partition(piece, plan)
    z = np.empty((len(y), X.shape[1] + 1))
    z[:, :-1], z[:, -1] = X, y
    z -= means
    return z


def _qr_solve(data: DistributedData, client: Client) -> ClosedForm:
    """Least squares by QR: only ``R`` of the centred ``[X y]`` is computed (each partition's ``Q`` is dropped
    as soon as its ``R`` is out), ``R = [[R₁, z], [0, ρ]]``, and ``R₁ w = z`` (``z = Q₁ᵀy``)."""
    d = data.n_features
    blocks = [
        da.from_delayed(dask.delayed(_centred_partition)(piece, data.plan, data.moments.mean), shape=(int(rows), d + 1),
                        dtype=np.float64)
        for piece, rows in zip(data.pieces, data.partition_rows, strict=True) if rows > 0
    ]
    stacked = da.concatenate(blocks, axis=0)
    if min(stacked.chunks[0]) < d + 1:  # a block QR needs at least as many rows as columns
        stacked = stacked.rechunk({0: max(d + 1, int(np.median(stacked.chunks[0])))})
    _, r = da.linalg.tsqr(stacked)
    (R,) = client.compute([r], sync=True)
    weights = scipy.linalg.solve_triangular(R[:d, :d], R[:d, d])
    return ClosedForm(weights, float(data.moments.mean[-1] - data.moments.mean[:-1] @ weights))


# SGD over the partitions


def _run_kernel(
    backend_name: str, X: np.ndarray, y: np.ndarray, order: np.ndarray, params: np.ndarray, velocity: np.ndarray,
    config: TrainConfig, step: int, loss_limit: float, record_stride: int,
) -> tuple[int, np.ndarray, np.ndarray]:
    """Every full minibatch of ``order`` (and a last, shorter one if any) through sgdcore's kernel, ``params``
    and ``velocity`` updated in place: the one place this module calls the kernel.

    Returns the steps taken (fewer than asked where a minibatch's loss is not finite or exceeds
    ``loss_limit``), the per-step losses (one more, the bad one, after an early stop), and the parameters
    after each global step that is a multiple of ``record_stride``.
    """
    backend, _ = select_kernel(backend_name)
    n_steps = -(-len(order) // config.batch_size)
    losses = np.empty(n_steps + 1)
    trajectory = np.empty((n_steps // record_stride + 1, len(params)))
    learning_rates = np.asarray(config.learning_rate_at(np.arange(step, step + n_steps)), dtype=np.float64)
    done, n_recorded = backend.run_steps(
        Minibatches(X, y, order, len(order), config.batch_size), Chunk(0, step, learning_rates), params, velocity,
        StepRule.of(config), loss_limit, Records(losses, trajectory, record_stride, 0),
    )
    return done, losses[:done + (done < n_steps)], trajectory[:n_recorded]


@dataclass
class _Walker:
    """The state that travels from partition to partition: O(d), plus fewer than ``batch_size`` rows that
    the last partition left over for the next minibatch (so minibatches cross partitions as they cross
    blocks in memory)."""

    params: np.ndarray
    velocity: np.ndarray
    step: int
    rng_state: dict
    carry_features: np.ndarray
    carry_target: np.ndarray
    stopped: bool = False


def _sgd_on_partition(
    partition: tuple[np.ndarray, np.ndarray], previous: tuple[_Walker, dict], config: TrainConfig, shuffle: str,
    last: bool, loss_limit: float, record_stride: int,
) -> tuple[_Walker, dict]:
    """SGD over one partition's rows, on the worker that holds them: returns the walker and a small report."""
    walker = previous[0]
    report = {"losses": np.empty(0), "points": np.empty((0, len(walker.params))), "backend": config.backend,
              "steps": 0, "stride": record_stride}
    if walker.stopped:
        return walker, report
    walker = replace(walker, params=walker.params.copy(), velocity=walker.velocity.copy())
    backend, _ = select_kernel(config.backend)
    report["backend"] = backend.name
    X, y = partition
    rng = np.random.default_rng()
    rng.bit_generator.state = walker.rng_state
    # The rows of a partition in the order of a block of kernels.block_order, from the travelling generator.
    order = backend.block_order(len(y), len(y), rng) if shuffle == "blocks" and len(y) else np.arange(len(y))
    batch = config.batch_size
    losses, points = [], []
    step_before = walker.step

    def run(X_part: np.ndarray, y_part: np.ndarray, rows: np.ndarray) -> bool:
        done, step_losses, recorded = _run_kernel(backend.name, X_part, y_part, rows, walker.params, walker.velocity,
                                                  config, walker.step, loss_limit, record_stride)
        walker.step += done
        losses.append(step_losses)
        points.append(recorded)
        return done == -(-len(rows) // batch)

    ok = True
    carried = len(walker.carry_target)
    if carried:
        taken = order[:batch - carried]
        X_first = np.concatenate((walker.carry_features, X[taken]))
        y_first = np.concatenate((walker.carry_target, y[taken]))
        order = order[len(taken):]
        if len(y_first) == batch or (last and not config.drop_last):
            ok = run(X_first, y_first, np.arange(len(y_first)))
            X_first, y_first = X_first[:0], y_first[:0]
        walker.carry_features, walker.carry_target = X_first, y_first
    if ok:
        full = len(order) // batch * batch
        if full:
            ok = run(X, y, order[:full])
        rest = order[full:]
        walker.carry_features = np.concatenate((walker.carry_features, X[rest]))
        walker.carry_target = np.concatenate((walker.carry_target, y[rest]))
    if ok and last:
        if len(walker.carry_target) and not config.drop_last:
            ok = run(walker.carry_features, walker.carry_target, np.arange(len(walker.carry_target)))
        walker.carry_features, walker.carry_target = walker.carry_features[:0], walker.carry_target[:0]
    walker.rng_state = rng.bit_generator.state
    walker.stopped = not ok
    report["losses"] = np.concatenate(losses) if losses else np.empty(0)
    report["points"] = np.concatenate(points) if points else report["points"]
    report["steps"] = walker.step - step_before
    return walker, report


def train(
    data: DistributedData,
    config: TrainConfig,
    *,
    client: Client | None = None,
    state: TrainState | None = None,
    until_epoch: int | None = None,
    report_every: float = 0.1,
) -> Iterator[Progress]:
    """Minibatch SGD on data in files, with sgdcore's kernel, yielding :class:`sgdcore.Progress` snapshots.

    Each epoch visits the partitions in a random order (``rng.permutation``, from ``config.seed``) and the
    rows of each in a random order of their own, drawn from the same generator, which travels with the
    weights, the velocity and the step count: ``shuffle="blocks"`` of :func:`sgdcore.train` with one block per
    partition, and the same run, to rounding, where the partitions are the blocks. ``shuffle="epoch"`` does
    the same (a shuffle of all rows would move them all); ``"none"`` visits everything in file order. The
    rows stay on the workers, the next partition is read while one trains, and the loss after each epoch
    comes from the statistics (O(d²)).

    Parameters
    ----------
    data : DistributedData
    config : sgdcore.TrainConfig
        ``n_threads`` is not used: each partition trains on one worker thread.
    client : distributed.Client, optional
        By default :func:`connect`'s.
    state : sgdcore.TrainState, optional
        A :attr:`Progress.state` from the end of an epoch (``until_epoch``, or a finished run) to continue from,
        exactly as if never stopped. A run stopped inside an epoch cannot be resumed: the rows left over for
        the next minibatch were on a worker.
    until_epoch : int, optional
        Pause (status ``"stopped"``) once this many epochs are complete; ``0`` gives the starting point.
    report_every : float
        Seconds between two snapshots (one after a partition, at most); the run does not depend on it.

    Yields
    ------
    sgdcore.Progress
        ``message`` says which partition the run is on; ``fraction_done`` is the share of all steps done, and
        ``batch_in_epoch / steps_per_epoch`` of this pass over the data. No held-out loss (``epoch_test_loss``
        is None).

    Raises
    ------
    ConfigError
        If the batch size is larger than the data, or ``state`` is not from the end of an epoch of this data.
    """
    if config.shuffle == "replacement":
        raise ConfigError("shuffle='replacement' draws rows from the whole data at every step, which Dask partitions "
                          "cannot do without moving rows between workers; use shuffle='blocks', 'epoch' or 'none'.")
    client = connect(client)
    n_rows, n_features = data.n_rows, data.n_features
    if config.batch_size > n_rows:
        raise ConfigError(f"batch_size {config.batch_size} is larger than the {n_rows} training rows; "
                          f"use at most {n_rows} (that is full-batch gradient descent).")
    steps_per_epoch = config.steps_per_epoch(n_rows)
    rows_in_epoch = steps_per_epoch * config.batch_size if config.drop_last else n_rows
    shuffle = "none" if config.shuffle == "none" or (steps_per_epoch == 1 and rows_in_epoch == n_rows) else "blocks"
    notices = data.notices
    if config.shuffle == "epoch" and shuffle == "blocks":
        notices += ("Shuffled as shuffle='blocks' with one block per partition: the partitions in a random order, "
                    "the rows within each; a shuffle of all rows would move every row between workers.",)
    schedule = config.schedule
    if schedule.kind == "cosine" and schedule.period_steps is None:
        config = replace(config, schedule=replace(schedule, period_steps=steps_per_epoch * config.epochs))
    if state is None:
        rng = np.random.default_rng(config.seed)
        weights, bias = init_params(n_features, rng, config.init, config.init_scale)
        params = np.append(weights, bias)
        initial_loss = data.moments.loss(params)
        if not math.isfinite(initial_loss):
            raise DataError("The loss at the starting point is not a finite number: check the data for very large "
                            "values.")
        state = TrainState(
            params=params, velocity=np.zeros_like(params), step=0, epoch=0, batch_in_epoch=0,
            epoch_rng_state=rng.bit_generator.state, initial_loss=initial_loss, best_loss=math.inf,
            epochs_without_improvement=0, elapsed_seconds=0.0, loss_steps=np.empty(0, dtype=np.int64),
            minibatch_loss=np.empty(0), pending_loss_sum=0.0, pending_loss_count=0, loss_bucket=1,
            trajectory_steps=np.zeros(1, dtype=np.int64), trajectory=params[None, :].copy(), record_stride=1,
            epoch_train_loss=np.array([initial_loss]), epoch_test_loss=None, epoch_seconds=np.array([0.0]),
        )
    elif state.params.shape != (n_features + 1,):
        raise ConfigError(f"Cannot resume: the saved run has {state.params.size - 1} features, the data has "
                          f"{n_features}.")
    elif state.batch_in_epoch != 0:
        raise ConfigError(f"Cannot resume a run on partitions from the middle of an epoch (step {state.batch_in_epoch} "
                          "of the epoch): the rows it had left over are gone. Resume from the end of an epoch "
                          "(until_epoch), or train again.")
    run = Run(state)
    rng = np.random.default_rng()
    rng.bit_generator.state = state.epoch_rng_state
    initial_loss = state.initial_loss
    last_epoch = min(config.epochs, until_epoch) if until_epoch is not None else config.epochs
    loss_limit = config.divergence_factor * max(initial_loss, 1e-300)
    used = [i for i, rows in enumerate(data.partition_rows) if rows > 0]
    backend_name = config.backend
    clock = time.perf_counter() - run.elapsed
    last_snapshot = time.perf_counter()
    rng_state = rng.bit_generator.state

    def snapshot(status: str, message: str, diverged_at: int | None = None) -> Progress:
        nonlocal last_snapshot
        last_snapshot = time.perf_counter()
        run.elapsed = last_snapshot - clock
        frozen = run.to_state(rng_state)
        return Progress(
            status=status, message=message, step=run.step, epoch=run.epoch, batch_in_epoch=run.batch_in_epoch,
            steps_per_epoch=steps_per_epoch, epochs=config.epochs, weights=run.params[:-1].copy(),
            bias=float(run.params[-1]), learning_rate=float(config.learning_rate_at(max(run.step - 1, 0))),
            loss_steps=frozen.loss_steps, minibatch_loss=frozen.minibatch_loss,
            trajectory_steps=frozen.trajectory_steps, trajectory=frozen.trajectory,
            epoch_train_loss=frozen.epoch_train_loss, epoch_test_loss=None, epoch_seconds=frozen.epoch_seconds,
            elapsed_seconds=run.elapsed, diverged_at_step=diverged_at, backend=backend_name, notices=notices,
            state=frozen,
        )

    while run.epoch < last_epoch:
        rng_state = rng.bit_generator.state
        visit = [used[i] for i in rng.permutation(len(used))] if shuffle == "blocks" else used
        walker = _Walker(run.params.copy(), run.velocity.copy(), run.step, rng.bit_generator.state,
                         np.empty((0, n_features)), np.empty(0))
        previous: object = (walker, {})
        reads = deque(client.submit(_partition, data.pieces[i], data.plan, pure=False) for i in visit[:READ_AHEAD])
        pending: deque = deque()
        for k in range(len(visit)):
            if k + READ_AHEAD < len(visit):
                reads.append(client.submit(_partition, data.pieces[visit[k + READ_AHEAD]], data.plan, pure=False))
            previous = client.submit(_sgd_on_partition, reads.popleft(), previous, config, shuffle,
                                     k == len(visit) - 1, loss_limit, run.record_stride, pure=False)
            pending.append((k, previous))
            # Partition k trains while the client records partition k − 1.
            while len(pending) > 1 or (pending and k == len(visit) - 1):
                done_k, future = pending.popleft()
                walker, report = future.result()
                backend_name = report["backend"]
                diverged = _record(run, report, walker)
                if diverged is not None:
                    for future in (*(other for _, other in pending), *reads):
                        future.cancel()
                    bad_step, bad_loss = diverged
                    yield snapshot("diverged", _divergence_message(bad_step, bad_loss, config), diverged_at=bad_step)
                    return
                if time.perf_counter() - last_snapshot >= report_every and done_k < len(visit) - 1:
                    yield snapshot("running", f"epoch {run.epoch + 1} of {config.epochs}: partition {done_k + 1} of "
                                   f"{len(visit)}, step {run.batch_in_epoch} of {steps_per_epoch}")
        rng.bit_generator.state = walker.rng_state
        run.params, run.velocity = walker.params.copy(), walker.velocity.copy()
        run.epoch += 1
        run.batch_in_epoch = 0
        rng_state = rng.bit_generator.state
        train_loss = data.moments.loss(run.params)
        run.epoch_train_loss.append(train_loss)
        run.epoch_seconds.append(time.perf_counter() - clock)
        if not math.isfinite(train_loss) or train_loss > loss_limit:
            yield snapshot("diverged", _divergence_message(run.step, train_loss, config), diverged_at=run.step)
            return
        if config.tol is not None:
            if train_loss > run.best_loss - config.tol:
                run.epochs_without_improvement += 1
            else:
                run.epochs_without_improvement = 0
            run.best_loss = min(run.best_loss, train_loss)
            if run.epochs_without_improvement >= config.n_iter_no_change:
                yield snapshot("converged", (
                    f"converged after {run.epoch} epoch{'s' if run.epoch != 1 else ''}: the training loss improved "
                    f"by less than tol={config.tol:g} for {config.n_iter_no_change} epochs in a row"))
                return
        if run.epoch < last_epoch and time.perf_counter() - last_snapshot >= report_every:
            yield snapshot("running", f"epoch {run.epoch} of {config.epochs} done")
    if run.epoch >= config.epochs:
        yield snapshot("finished", f"finished {config.epochs} epoch{'s' if config.epochs != 1 else ''} "
                       f"({run.step} steps)")
    else:
        yield snapshot("stopped", f"paused after epoch {run.epoch} of {config.epochs}; step or train again to "
                       "continue")


def _record(run: Run, report: dict, walker: _Walker) -> tuple[int, float] | None:
    """Add one partition's losses and recorded parameters to the run's histories, as :func:`sgdcore.train`
    keeps them; returns ``(step, loss)`` of a minibatch that diverged, if one did."""
    steps, losses, stride = report["steps"], report["losses"], report["stride"]
    first_step = run.step
    run.record_losses(losses[:steps])
    run.step += steps
    run.batch_in_epoch += steps
    # The worker recorded after every step that was a multiple of the stride when the partition was sent;
    # the run's stride may have doubled since: only the points at multiples of the current one are kept,
    # and the trajectory is thinned (the stride doubled) when it is full, as in sgdcore.train.
    for index, point in enumerate(report["points"]):
        step = (first_step // stride + index + 1) * stride
        if run.n_recorded == MAX_HISTORY_POINTS:
            run.room_for_steps()
        if step % run.record_stride == 0:
            run.trajectory_buffer[run.n_recorded] = point
            run.n_recorded += 1
    run.params, run.velocity = walker.params.copy(), walker.velocity.copy()
    if walker.stopped and len(losses) > steps:
        run.record_losses(losses[steps:steps + 1])
        return run.step + 1, float(losses[steps])
    return None


__all__ = [
    "DistributedData", "Moments", "Piece", "Plan", "Source", "closed_form", "connect", "inspect", "load", "shutdown",
    "train",
]

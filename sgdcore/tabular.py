"""Tabular data: read a CSV (a path, the bytes of an upload or a file object) and turn columns into a Dataset.

Two steps, so a user interface can show the table before the user chooses what to predict:

1. :func:`read_table` detects the encoding and the delimiter and parses the file into a DataFrame.
2. :func:`dataset_from_frame` picks the target and the features, deals with text columns and missing
   values as asked, and checks that least squares has a unique answer on what is left.

:func:`load_csv` does both at once. Every problem is a :class:`~sgdcore.errors.DataError` whose message
names the column, the count and what to do about it.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from sgdcore.data import Dataset
from sgdcore.errors import ConfigError, DataError

MISSING_CHOICES = ("error", "drop", "mean")
NON_NUMERIC_CHOICES = ("error", "drop", "onehot")
DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SAMPLE_BYTES = 64 * 1024  # what the delimiter sniffer and the header check look at
CHUNK_BYTES = 1 << 20  # how much of a file the encoding check reads at a time
MAX_CATEGORIES = 100  # one-hot encoding a column with more values than this is almost surely a mistake (ids, names)
LISTED_NAMES = 20  # how many column names a message lists before "… and N more"
FILL_BLOCK_BYTES = 1 << 20  # X is filled this much at a time: as fast as any of 32 KB-5 MB, at 20-1,000 features


@dataclass(frozen=True, eq=False)
class Table:
    """A parsed CSV file, before any choice of target or features.

    Attributes
    ----------
    frame : pandas.DataFrame
        The columns as read, names stripped of surrounding whitespace.
    name : str
        The file name to show to the user.
    encoding : str
        ``"utf-8"``, ``"utf-8-sig"`` (UTF-8 with a byte-order mark) or ``"latin-1"``.
    delimiter : str
        One of ``,`` ``;`` tab ``|``.
    notices : tuple of str
        What the user should know about how the file was read.
    """

    frame: pd.DataFrame
    name: str
    encoding: str
    delimiter: str
    notices: tuple[str, ...] = ()


# Reading a file


def read_table(source: str | os.PathLike | bytes | BinaryIO, name: str | None = None) -> Table:
    """Read a CSV file into a :class:`Table`, detecting its encoding and delimiter.

    Parameters
    ----------
    source : path, bytes or binary file object
        A file path, the raw bytes of an upload (Streamlit's ``uploaded.getvalue()``), or a file
        opened in binary mode.
    name : str, optional
        The name to show for the file; by default the file's own name.

    Returns
    -------
    Table

    Raises
    ------
    DataError
        The file is empty, has a header but no data rows, repeats a column name, or cannot be parsed.
    """
    content, default_name = _content(source)
    head = _head(content)
    if not head or (head.isspace() and all(chunk.isspace() for chunk in _chunks(content))):
        raise DataError(
            "The file is empty: it has no header row and no data. Upload a CSV with a header row and at "
            "least two rows of numbers."
        )
    encoding = _detect_encoding(content, head)
    sample = head.decode(encoding, errors="replace")
    delimiter = _detect_delimiter(sample)
    _check_header(_header(sample, delimiter))
    frame = _parse(content, encoding, delimiter)
    frame.columns = [str(column).strip() for column in frame.columns]
    if len(frame) == 0:
        raise DataError(
            f"The file has a header row ({_quoted(frame.columns)}) but no data rows: add at least two rows "
            "of numbers below the header."
        )
    notices = ("Read as Latin-1 (the file is not UTF-8).",) if encoding == "latin-1" else ()
    return Table(frame, name or default_name, encoding, delimiter, notices)


def _content(source: str | os.PathLike | bytes | BinaryIO) -> tuple[bytes | Path, str]:
    """What to parse, and the file's name: a path stays a path, anything else is read into bytes.

    pandas (3.1 and later) parses a large UTF-8 file from its path on every core, and bytes in memory on
    one: 0.45 s against 0.9 s for a million rows of 20 floats on two cores. So a file is checked a chunk
    at a time and handed to pandas by its path, never read into memory whole.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "uploaded file"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        return path, path.name
    content = source.read()
    if isinstance(content, str):
        raise TypeError("read_table needs a file opened in binary mode: use open(path, 'rb'), not 'r'.")
    return bytes(content), Path(str(getattr(source, "name", "uploaded file"))).name


def _chunks(content: bytes | Path) -> Iterator[bytes]:
    """The content ``CHUNK_BYTES`` at a time."""
    if isinstance(content, bytes):
        for start in range(0, len(content), CHUNK_BYTES):
            yield content[start:start + CHUNK_BYTES]
        return
    with content.open("rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk


def _head(content: bytes | Path) -> bytes:
    """The first ~64 KB, cut after a whole line (the header is always complete).

    Lines end in a line feed, or in a carriage return alone (the old Mac "CSV" of Excel).
    """
    head = bytearray()  # appended to in place: a file without line ends is read whole, in linear time
    for chunk in _chunks(content):
        head += chunk
        start = max(SAMPLE_BYTES, len(head) - len(chunk))
        ends = [end for end in (head.find(b"\n", start), head.find(b"\r", start)) if end >= 0]
        if ends:
            return bytes(head[:min(ends) + 1])
    return bytes(head)


def _detect_encoding(content: bytes | Path, head: bytes) -> str:
    """``"utf-8-sig"`` with a byte-order mark, ``"utf-8"`` when the bytes are valid UTF-8, else ``"latin-1"``.

    Latin-1 decodes any bytes, so it is the fallback; it is right for most Western European exports. A file
    that starts with the byte-order mark and is not UTF-8 is an error: it is neither.
    """
    utf8 = _is_utf8(content)
    if head.startswith(codecs.BOM_UTF8):
        if not utf8:
            raise DataError(
                "The file starts with the mark of a UTF-8 file (a byte-order mark) but is not UTF-8 further on: "
                "save it again as UTF-8 (in Excel: CSV UTF-8), then upload it again."
            )
        return "utf-8-sig"
    return "utf-8" if utf8 else "latin-1"


def _is_utf8(content: bytes | Path) -> bool:
    if all(chunk.isascii() for chunk in _chunks(content)):  # fast, and true of most numeric files
        return True
    # Decode a chunk at a time: the check needs no copy of the whole file as a str.
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in _chunks(content):
            decoder.decode(chunk, final=False)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _detect_delimiter(sample: str) -> str:
    """The delimiter ``csv.Sniffer`` finds, if it splits every line into the same number (> 1) of fields.

    Otherwise the first of ``, ; tab |`` that does; otherwise the sniffer's guess; otherwise a comma
    (a single-column file, or one whose ragged rows the parser will point at).
    """
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    candidates = [sniffed, *DELIMITERS] if sniffed else list(DELIMITERS)
    for delimiter in candidates:
        counts = {len(row) for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if row}
        if len(counts) == 1 and counts.pop() > 1:
            return delimiter
    return sniffed or ","


def _header(sample: str, delimiter: str) -> list[str]:
    """The column names as written in the first non-blank line (before pandas renames repeats)."""
    return next((row for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if row), [])


def _check_header(header: list[str]) -> None:
    """Reject repeated column names, which pandas would otherwise rename quietly to ``a.1``."""
    counts = Counter(name.strip() for name in header if name.strip())
    repeated = {name: count for name, count in counts.items() if count > 1}
    if repeated:
        listed = ", ".join(f"{name!r} ({count} times)" for name, count in repeated.items())
        raise DataError(
            f"Duplicate column names in the header: {listed}. Rename them so that every column has a "
            "unique name."
        )


def _parse(content: bytes | Path, encoding: str, delimiter: str) -> pd.DataFrame:
    """Parse with pandas' C engine, straight from the bytes in memory or from the file.

    Why not ``engine="pyarrow"``: ``benchmarks/bench_csv.py`` (1,000,000 × 20 floats, 2 CPUs) found it up to
    1.5× faster in some runs, as fast in others, and always about three times the peak memory; it also reads
    the rest of the file into one cell after an unclosed quote, and reports a ragged row without its line
    number.
    ``index_col=False``: a data row longer than the header is an error, not a silent index column.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            # compression=None: a path ending in .gz is read as the bytes it holds, as an upload is, not unpacked
            # behind the back of the encoding and delimiter detection.
            source = io.BytesIO(content) if isinstance(content, bytes) else content
            return pd.read_csv(source, sep=delimiter, encoding=encoding, engine="c", index_col=False, compression=None)
        except (pd.errors.ParserError, pd.errors.ParserWarning) as error:
            raw = content if isinstance(content, bytes) else content.read_bytes()
            raise DataError(_parse_error_message(raw, encoding, delimiter, str(error))) from None
        except pd.errors.EmptyDataError:  # e.g. a lone carriage return before the first line
            raise DataError(
                "Cannot find the header row: the file's first line should name its columns, e.g. x1,x2,y, "
                "with rows of numbers below it."
            ) from None


def _parse_error_message(raw: bytes, encoding: str, delimiter: str, reason: str) -> str:
    """Say which line is wrong and how, in the user's terms rather than the tokenizer's."""
    delimiter_name = DELIMITER_NAMES[delimiter]
    fix = (
        f"Check that line for an extra {delimiter_name} (values that contain a {delimiter_name} must be "
        'in double quotes "like, this"), then try again.'
    )
    header_width = len(_header(_head(raw).decode(encoding, errors="replace"), delimiter))
    too_many = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", reason)
    if too_many:
        line, fields = int(too_many[2]), int(too_many[3])
    elif "Length of header" in reason:  # the first data row is the long one
        line, fields = _first_long_line(raw, encoding, delimiter, header_width)
    else:
        unclosed = re.search(r"EOF inside string starting at row (\d+)", reason)
        if unclosed:
            return (
                f"Cannot read the file as {delimiter_name}-separated values: the quoted value that starts "
                f'on line {int(unclosed[1]) + 1} has no closing quote ("). Close the quote, then try again.'
            )
        return f"Cannot read the file as {delimiter_name}-separated values: {reason.strip()}. {fix}"
    return (
        f"Cannot read the file as {delimiter_name}-separated values: line {line} has {fields} fields, "
        f"the header has {header_width}. {fix}"
    )


def _first_long_line(raw: bytes, encoding: str, delimiter: str, width: int) -> tuple[int, int]:
    """The line number and field count of the first row with more than ``width`` fields."""
    text = io.TextIOWrapper(io.BytesIO(raw), encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter)
    for row in reader:
        if len(row) > width:
            return reader.line_num, len(row)
    return reader.line_num, width


# Describing columns


def _kind(series: pd.Series) -> str:
    """``"numeric"``, ``"boolean"`` or ``"text"`` (anything else: strings, dates, mixed values)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return "boolean"
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_complex_dtype(series.dtype):
        return "numeric"
    if series.dtype == object:  # a DataFrame built in Python can hold numbers as objects
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        if inferred == "boolean":
            return "boolean"
        if inferred in ("integer", "floating", "mixed-integer-float", "decimal", "empty"):
            return "numeric"
    return "text"


def _is_numeric(series: pd.Series) -> bool:
    """Numbers and booleans (as 0/1) can be features or the target; text cannot."""
    return _kind(series) != "text"


def _values(series: pd.Series) -> np.ndarray:
    """A numeric or boolean column as a NumPy array, NaN where missing (no copy for plain NumPy dtypes)."""
    if isinstance(series.dtype, np.dtype) and series.dtype != object:
        return series.to_numpy()
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def column_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per column: its type, missing and distinct values, statistics and an example value.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        Columns ``column``, ``type`` (``"numeric"``, ``"text"`` or ``"boolean"``), ``missing``,
        ``unique``, ``mean``, ``std``, ``min``, ``max`` (NaN for text; booleans count as 0/1) and
        ``example`` (the first value that is not missing, as text; empty if there is none).
    """
    rows = [_summary_row(name, frame[name]) for name in frame.columns]
    columns = ["column", "type", "missing", "unique", "mean", "std", "min", "max", "example"]
    return pd.DataFrame(rows, columns=columns).astype({"missing": np.int64, "unique": np.int64})


def _summary_row(name: object, series: pd.Series) -> dict:
    kind = _kind(series)
    first = series.first_valid_index()
    row = {"column": str(name), "type": kind, "missing": int(series.isna().sum()),
           "example": "" if first is None else str(series[first])}
    if kind == "text":
        return {**row, "unique": series.nunique(), **dict.fromkeys(("mean", "std", "min", "max"), np.nan)}
    # Distinct values counted on a sorted copy (several times faster than pandas' nunique on floats), where
    # NaN sorts last and the smallest and largest values come first and last.
    ordered = np.sort(_values(series).astype(np.float64, copy=False))
    present = ordered[:ordered.size - np.count_nonzero(np.isnan(ordered))]
    if present.size == 0:
        return {**row, "unique": 0, **dict.fromkeys(("mean", "std", "min", "max"), np.nan)}
    with np.errstate(over="ignore", invalid="ignore"):  # a column holding inf or 1e300 has an inf or NaN mean
        mean, std = present.mean(), present.std(ddof=1) if present.size > 1 else np.nan
    return {
        **row, "unique": 1 + int(np.count_nonzero(present[1:] != present[:-1])),
        "mean": mean, "std": std, "min": present[0], "max": present[-1],
    }


# From columns to a Dataset


def dataset_from_frame(
    frame: pd.DataFrame,
    target: str,
    features: Sequence[str] | None = None,
    *,
    missing: str = "error",
    non_numeric: str = "error",
) -> Dataset:
    """Turn the ``target`` column and the ``features`` columns of ``frame`` into a :class:`Dataset`.

    Parameters
    ----------
    frame : pandas.DataFrame
    target : str
        The column to predict; it must be numeric (booleans count as 0/1).
    features : sequence of str, optional
        The columns to predict it from; by default every other column.
    missing : {"error", "drop", "mean"}
        What to do with missing values: stop with an error, drop the rows that have any, or fill each
        feature column's gaps with its mean. Rows with a missing target are dropped in every case but
        "error", since a target cannot be imputed.
    non_numeric : {"error", "drop", "onehot"}
        What to do with text feature columns: stop with an error, drop them, or one-hot encode them
        (one 0/1 column per value but the first, named like ``"city=Paris"``).

    Returns
    -------
    Dataset
        ``X`` float64 and C-contiguous; ``notices`` says what was dropped, filled in or encoded.

    Raises
    ------
    ConfigError
        ``missing`` or ``non_numeric`` is not one of the allowed values.
    DataError
        The columns cannot be used as chosen; the message names them and says what to do.
    """
    _check_choice("missing", missing, MISSING_CHOICES)
    _check_choice("non_numeric", non_numeric, NON_NUMERIC_CHOICES)
    _check_target(frame, target)
    features = _check_features(frame, target, features)
    features, text_features, notices = _handle_non_numeric(frame, features, non_numeric)
    keep, missing_notices = _rows_to_keep(frame, target, features, missing)
    _check_finite(frame, [target, *(name for name in features if name not in text_features)])
    X, names, encode_notices = _feature_matrix(frame, features, text_features, keep)
    if not names:
        raise DataError(
            f"No usable feature columns: one-hot encoding {_quoted(text_features)} leaves none, as each has a "
            "single value, which carries no information. Choose at least one feature whose values vary."
        )
    notices += encode_notices + missing_notices
    if missing == "mean":
        notices += _impute_means(X, names, frame, features, keep)
    y = _values(frame[target])[keep].astype(np.float64)  # boolean indexing: a copy, never a view of frame
    _check_solvable(X, names, dropped=len(frame) - len(y))
    data = Dataset(X, y, names, str(target), notices=tuple(notices))
    data.check_values()  # values whose squares overflow: said on the Data page, before "Use this dataset"
    return data


def load_csv(
    source: str | os.PathLike | bytes | BinaryIO,
    target: str | None = None,
    features: Sequence[str] | None = None,
    *,
    missing: str = "error",
    non_numeric: str = "error",
) -> Dataset:
    """:func:`read_table` then :func:`dataset_from_frame`; the target defaults to the last column.

    The Dataset's notices start with the ones from reading the file (e.g. the encoding).
    """
    _check_choice("missing", missing, MISSING_CHOICES)
    _check_choice("non_numeric", non_numeric, NON_NUMERIC_CHOICES)
    table = read_table(source)
    if target is None:
        target = table.frame.columns[-1]
    data = dataset_from_frame(table.frame, target, features, missing=missing, non_numeric=non_numeric)
    return replace(data, notices=table.notices + data.notices)


def _check_choice(parameter: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{parameter} must be one of {_quoted(allowed)}; got {value!r}.")


def _check_target(frame: pd.DataFrame, target: str) -> None:
    duplicated = frame.columns[frame.columns.duplicated()].unique()
    if len(duplicated):
        raise DataError(f"Duplicate column names: {_quoted(duplicated)}. Rename them so that every column has a "
                        "unique name.")
    if target not in frame.columns:
        raise DataError(
            f"The target column {target!r} is not in the table. Available columns: {_quoted(frame.columns)}. "
            "Choose one of them as the target."
        )
    if not _is_numeric(frame[target]):
        raise DataError(
            f"The target column {target!r} is not numeric: it holds values such as {_bad_value(frame[target])!r}. "
            "Choose a numeric column as the target."
        )


def _check_features(frame: pd.DataFrame, target: str, features: Sequence[str] | None) -> list[str]:
    if features is None:
        features = [name for name in frame.columns if name != target]
    elif isinstance(features, str):
        raise ConfigError(f"features must be a list of column names; got the string {features!r}. "
                          f"Did you mean [{features!r}]?")
    features = list(dict.fromkeys(features))  # a column listed twice would make X singular
    unknown = [name for name in features if name not in frame.columns]
    if unknown:
        raise DataError(
            f"Feature column(s) {_quoted(unknown)} not in the table. Available columns: "
            f"{_quoted(frame.columns)}. Choose the features from these."
        )
    if target in features:
        raise DataError(f"The target column {target!r} is also listed as a feature: remove it from the "
                        "features (a column cannot be used to predict itself).")
    if not features:
        raise DataError("No usable feature columns: choose at least one numeric feature.")
    return features


def _handle_non_numeric(
    frame: pd.DataFrame, features: list[str], non_numeric: str
) -> tuple[list[str], list[str], list[str]]:
    """The features left, those of them to one-hot encode, and the notices."""
    text = [name for name in features if not _is_numeric(frame[name])]
    if not text:
        return features, [], []
    if non_numeric == "error":
        examples = ", ".join(f"{name!r} (e.g. {_bad_value(frame[name])!r})" for name in text[:LISTED_NAMES])
        raise DataError(
            f"{len(text)} feature column(s) are not numeric: {examples}. Drop them or one-hot encode them "
            "(non_numeric='drop' or non_numeric='onehot'), or deselect them."
        )
    if non_numeric == "onehot":
        return features, text, []
    numeric = [name for name in features if name not in text]
    if not numeric:
        raise DataError(
            f"No usable feature columns: the chosen features {_quoted(text)} are all non-numeric and would be "
            "dropped. Choose at least one numeric feature, or one-hot encode them (non_numeric='onehot')."
        )
    return numeric, [], [f"Dropped {len(text)} non-numeric feature column(s): {_quoted(text)}."]


def _rows_to_keep(frame: pd.DataFrame, target: str, features: list[str], missing: str) -> tuple[np.ndarray, list[str]]:
    """A boolean mask of the rows to use, and notices about the rows dropped for missing values."""
    used = {target, *features}
    counts = {name: int(frame[name].isna().sum()) for name in frame.columns if name in used}  # in table order
    counts = {name: count for name, count in counts.items() if count}
    if not counts:
        return np.ones(len(frame), dtype=bool), []
    columns = [target] if missing == "mean" else [target, *features]
    dropped = np.zeros(len(frame), dtype=bool)
    for name in columns:
        dropped |= frame[name].isna().to_numpy()
    listed = _counted(counts, target)
    if missing == "error":
        raise DataError(
            f"Found {sum(counts.values())} missing value(s) in {int(dropped.sum())} row(s), in column(s) "
            f"{listed}. Drop those rows or impute the column mean (missing='drop' or missing='mean'), or "
            "fill them in the file."
        )
    if not dropped.any():
        return ~dropped, []
    if missing == "drop":
        notice = f"Dropped {int(dropped.sum())} of {len(frame)} row(s) with missing values: {listed}."
    else:
        notice = (f"Dropped {int(dropped.sum())} row(s) where the target {target!r} is missing "
                  "(a target cannot be imputed).")
    return ~dropped, [notice]


def _check_finite(frame: pd.DataFrame, numeric_columns: list[str]) -> None:
    counts = {name: int(np.isinf(_values(frame[name]).astype(np.float64, copy=False)).sum())
              for name in frame.columns if name in numeric_columns}
    counts = {name: count for name, count in counts.items() if count}
    if counts:
        raise DataError(
            f"Column(s) {_counted(counts)} contain infinite values (inf or -inf). Fix or remove them in the "
            "file, or deselect those columns."
        )


def _feature_matrix(
    frame: pd.DataFrame, features: list[str], text_features: list[str], keep: np.ndarray
) -> tuple[np.ndarray, tuple[str, ...], list[str]]:
    """X (rows ``keep``, C-contiguous float64, NaN where missing), its column names, and one-hot notices.

    Filled into a single array, a block of rows at a time: each block of X stays in cache while every
    column's share is copied in. A column at a time would write a value into every cache line of X for
    each column (4× slower at 1,000,000 × 20). Beside X, only the indices of the rows kept, if some are not.
    """
    columns: list[tuple[str, np.ndarray]] = []
    notices = []
    for name in features:
        if name in text_features:
            dummies, notice = _one_hot(frame[name])
            columns += dummies
            notices.append(notice)
        else:
            columns.append((str(name), _values(frame[name])))
    kept = None if keep.all() else np.flatnonzero(keep)
    X = np.empty((len(keep) if kept is None else len(kept), len(columns)), dtype=np.float64)
    block_rows = max(FILL_BLOCK_BYTES // max(X.strides[0], 1), 1)
    for start in range(0, len(X), block_rows):
        block = slice(start, start + block_rows)
        rows = block if kept is None else kept[block]
        for j, (_, values) in enumerate(columns):
            X[block, j] = values[rows]
    return X, tuple(name for name, _ in columns), notices


def _one_hot(series: pd.Series) -> tuple[list[tuple[str, np.ndarray]], str]:
    """0/1 columns ``"name=value"`` for every value but the first (the baseline); NaN where missing."""
    name = str(series.name)
    categories = series.dropna().unique()
    if len(categories) > MAX_CATEGORIES:
        raise DataError(
            f"Column {name!r} has {len(categories):,} different values, more than the {MAX_CATEGORIES} that "
            f"one-hot encoding allows (it would add {len(categories) - 1:,} feature columns). It looks like an "
            "identifier or free text: deselect it, or drop the non-numeric columns (non_numeric='drop')."
        )
    dummies = pd.get_dummies(series, prefix=name, prefix_sep="=", drop_first=True, dtype=float)
    values = dummies.to_numpy(dtype=np.float64, copy=True)
    values[series.isna().to_numpy()] = np.nan  # missing stays missing: dropped or imputed like any other value
    new_names = [str(column) for column in dummies.columns]
    baseline = sorted(map(str, categories))[0] if len(categories) else ""
    notice = (
        f"One-hot encoded {name!r}: {len(categories)} value(s) → {len(new_names)} column(s)"
        + (f" ({_quoted(new_names, limit=8)}); {baseline!r} is the baseline, left out." if new_names else
           " (a single value carries no information).")
    )
    return [(new_name, values[:, j]) for j, new_name in enumerate(new_names)], notice


def _impute_means(
    X: np.ndarray, names: tuple[str, ...], frame: pd.DataFrame, features: list[str], keep: np.ndarray
) -> list[str]:
    """Fill each column's NaN with the mean of its other values, in place; a notice per original column."""
    gaps = np.isnan(X)
    if not gaps.any():
        return []
    for j in np.flatnonzero(gaps.any(axis=0)):
        column = X[:, j]
        present = column[~gaps[:, j]]
        if present.size == 0:
            raise DataError(f"Feature column {names[j]!r} has no values at all: deselect it.")
        column[gaps[:, j]] = present.mean()
    counts = {name: int(frame[name].isna().to_numpy()[keep].sum()) for name in features}
    counts = {name: count for name, count in counts.items() if count}
    return [f"Filled {sum(counts.values())} missing value(s) with the column mean: {_counted(counts)}."]


def _check_solvable(X: np.ndarray, names: tuple[str, ...], dropped: int) -> None:
    """Least squares with a bias needs ≥ 2 rows, no constant column and more rows than features."""
    n_rows, n_features = X.shape
    if n_rows < 2:
        if dropped:
            raise DataError(f"Need at least 2 rows; got {n_rows} after dropping {dropped} row(s) with missing "
                            "values. Fill in the missing values or add rows of data to the file.")
        raise DataError(f"Need at least 2 rows; got {n_rows}. Add rows of data to the file.")
    constant = [name for name, spread in zip(names, np.ptp(X, axis=0), strict=True) if spread == 0]
    if constant:
        raise DataError(
            f"Feature column(s) {_quoted(constant)} are constant (the same value in every row): they carry no "
            "information and make the least-squares solution non-unique. Deselect them."
        )
    if n_features >= n_rows:  # n_features weights plus the bias: more unknowns than equations
        raise DataError(
            f"{n_rows} rows but {n_features} features: with the bias that is {n_features + 1} unknowns, so "
            "the least-squares solution is not unique; remove features or add rows."
        )


# Formatting for messages


def _quoted(names: Sequence[object], limit: int = LISTED_NAMES) -> str:
    """``'a', 'b', 'c'`` — at most ``limit`` names, then ``… and N more``."""
    names = [str(name) for name in names]
    shown = ", ".join(map(repr, names[:limit]))
    return shown + (f", … and {len(names) - limit} more" if len(names) > limit else "")


def _counted(counts: dict[str, int], target: str | None = None) -> str:
    """``'age' (3), 'income' (1)``, marking the target."""
    return ", ".join(f"{name!r} ({count}{', the target' if name == target else ''})" for name, count in counts.items())


def _bad_value(series: pd.Series) -> object:
    """The first value that is not a number (for messages about text columns)."""
    present = series.dropna()
    not_numbers = present[pd.to_numeric(present.astype(object), errors="coerce").isna()]
    for candidates in (not_numbers, present):
        if len(candidates):
            return candidates.iloc[0]
    return None

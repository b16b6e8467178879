"""Describing the columns of a DataFrame: their kind (numeric, boolean, text), a summary, and names in messages."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sgdcore.errors import echo

LISTED_NAMES = 20  # how many column names a message lists before "… and N more"


def column_kind(series: pd.Series) -> str:
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


def is_numeric(series: pd.Series) -> bool:
    """Numbers and booleans (as 0/1) can be features or the target; text cannot."""
    return column_kind(series) != "text"


def column_values(series: pd.Series) -> np.ndarray:
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
    kind = column_kind(series)
    first = series.first_valid_index()
    row = {"column": str(name), "type": kind, "missing": int(series.isna().sum()),
           "example": "" if first is None else str(series[first])}
    if kind == "text":
        return {**row, "unique": series.nunique(), **dict.fromkeys(("mean", "std", "min", "max"), np.nan)}
    # Distinct values counted on a sorted copy (several times faster than pandas' nunique on floats), where
    # NaN sorts last and the smallest and largest values come first and last.
    ordered = np.sort(column_values(series).astype(np.float64, copy=False))
    present = ordered[:ordered.size - np.count_nonzero(np.isnan(ordered))]
    if present.size == 0:
        return {**row, "unique": 0, **dict.fromkeys(("mean", "std", "min", "max"), np.nan)}
    with np.errstate(over="ignore", invalid="ignore"):  # a column holding inf or 1e300 has an inf or NaN mean
        mean, std = present.mean(), present.std(ddof=1) if present.size > 1 else np.nan
    unique = 1 + int(np.count_nonzero(present[1:] != present[:-1]))
    if pd.api.types.is_integer_dtype(series.dtype) and max(-present[0], present[-1]) > 2.0**53:
        unique = int(series.nunique())  # beyond 2**53, different whole numbers may be one float
    return {
        **row, "unique": unique,
        "mean": mean, "std": std, "min": present[0], "max": present[-1],
    }


# Formatting for messages


def quoted(names: Sequence[object], limit: int = LISTED_NAMES) -> str:
    """``'a', 'b', 'c'`` — at most ``limit`` names, each cut to a readable length, then ``… and N more``."""
    names = [str(name) for name in names]
    shown = ", ".join(map(echo, names[:limit]))
    return shown + (f", … and {len(names) - limit} more" if len(names) > limit else "")


def counted(counts: dict[str, int], target: str | None = None) -> str:
    """``'age' (3), 'income' (1)``, marking the target."""
    return ", ".join(f"{echo(name)} ({count}{', the target' if name == target else ''})"
                     for name, count in counts.items())


def text_example(series: pd.Series) -> object:
    """The first value that is not a number (for messages about text columns)."""
    present = series.dropna()
    not_numbers = present[pd.to_numeric(present.astype(object), errors="coerce").isna()]
    for candidates in (not_numbers, present):
        if len(candidates):
            return candidates.iloc[0]
    return None

"""From a DataFrame to a :class:`~sgdcore.data.Dataset`: the target, the features, and the cleaning asked for.

Text feature columns are an error, dropped or one-hot encoded; missing values are an error, dropped or
filled with the column mean; infinite values are an error or dropped. Least squares must have a unique answer
on what is left. Every problem is a :class:`~sgdcore.errors.DataError` whose message names the column, the count
and what to do about it, and whose ``problem`` and fields say the same as data.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from typing import BinaryIO

import numpy as np
import pandas as pd

from sgdcore.data import Dataset, Notice
from sgdcore.errors import ConfigError, DataError, echo
from sgdcore.io import notices as notice
from sgdcore.io.columns import LISTED_NAMES, column_values, counted, is_numeric, quoted, text_example
from sgdcore.io.reading import read_table

MISSING_CHOICES = ("error", "drop", "mean")
NON_NUMERIC_CHOICES = ("error", "drop", "onehot")
INFINITE_CHOICES = ("error", "drop")
MAX_CATEGORIES = 100  # one-hot encoding a column with more values than this is almost surely a mistake (ids, names)
FILL_BLOCK_BYTES = 1 << 20  # X is filled this much at a time: as fast as any of 32 KB-5 MB, at 20-1,000 features
# X's statistics are summed this much at a time: blocks small beside X, as ui.memory's estimate of a dataset's
# peak leaves little room, and as fast as 1 MB at 1-100 features
STATISTICS_BLOCK_BYTES = 1 << 16
# A feature is a linear combination of the features before it when they explain all but this share of its variance
# (1 − R² below it). Rounding leaves 1e-16 to 1e-14 of an exact copy, sum or one-hot trap; real data, however
# correlated, leave more (2e-3 at a correlation of 0.999, 1e-10 in tests/test_distributed.py's ill-conditioned
# data). Scale does not enter: the share is that of standardised columns. The co-moments know a direction of
# variance v to about ε/v, so an exact combination of nearly collinear features can pass for ill-conditioned.
DEPENDENCE_TOLERANCE = 1e-12


def dataset_from_frame(
    frame: pd.DataFrame,
    target: str,
    features: Sequence[str] | None = None,
    *,
    missing: str = "error",
    non_numeric: str = "error",
    infinite: str = "error",
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
    infinite : {"error", "drop"}
        What to do with rows that hold ``inf`` or ``-inf`` in the target or a numeric feature: stop with an
        error, or drop them (no mean can stand in for an infinite value).

    Returns
    -------
    Dataset
        ``X`` float64 and C-contiguous; ``notices`` says what was dropped, filled in or encoded.

    Raises
    ------
    ConfigError
        ``missing``, ``non_numeric`` or ``infinite`` is not one of the allowed values.
    DataError
        The columns cannot be used as chosen; the message names them and says what to do.
    """
    _check_choice("missing", missing, MISSING_CHOICES)
    _check_choice("non_numeric", non_numeric, NON_NUMERIC_CHOICES)
    _check_choice("infinite", infinite, INFINITE_CHOICES)
    _check_target(frame, target)
    features = _check_features(frame, target, features)
    features, text_features, notices = _handle_non_numeric(frame, features, non_numeric)
    keep, missing_notices = _rows_to_keep(frame, target, features, missing)
    numeric_columns = [target, *(name for name in features if name not in text_features)]
    keep, infinite_notices = _drop_infinite(frame, target, numeric_columns, keep, infinite)
    _check_rows_left(frame, target, features, numeric_columns, keep, missing)
    X, names, encode_notices = _feature_matrix(frame, features, text_features, keep)
    if not names:
        raise DataError(
            f"No usable feature columns: one-hot encoding {quoted(text_features)} leaves none, as each has a "
            "single value, which carries no information. Choose at least one feature whose values vary.",
            "single_valued_text", columns=text_features,
        )
    notices += encode_notices + missing_notices + infinite_notices + _row_numbers(X, names)
    if missing == "mean":
        notices += _impute_means(X, names, frame, features, keep)
    y = column_values(frame[target])[keep].astype(np.float64)  # boolean indexing: a copy, never a view of frame
    _check_distinct_as_floats(X, names, frame, keep)
    _check_solvable(X, names)
    data = Dataset(X, y, names, str(target), notices=tuple(notices))
    data.check_values()  # values whose squares overflow: said on the Data page, before "Use this dataset"
    if X.shape[1] > 1:  # after check_values, whose values would overflow the sums; one feature is independent
        _check_independent(*_feature_statistics(X), names)
    return data


def load_csv(
    source: str | os.PathLike | bytes | BinaryIO,
    target: str | None = None,
    features: Sequence[str] | None = None,
    *,
    missing: str = "error",
    non_numeric: str = "error",
    infinite: str = "error",
    encoding: str | None = None,
) -> Dataset:
    """:func:`read_table` (in ``encoding`` where given; a workbook's first sheet that holds a table) then
    :func:`dataset_from_frame`; the target defaults to the last column.

    The Dataset's notices start with the ones from reading the file (e.g. the encoding).
    """
    _check_choice("missing", missing, MISSING_CHOICES)
    _check_choice("non_numeric", non_numeric, NON_NUMERIC_CHOICES)
    _check_choice("infinite", infinite, INFINITE_CHOICES)
    table = read_table(source, encoding=encoding)
    if target is None:
        target = table.frame.columns[-1]
    data = dataset_from_frame(table.frame, target, features, missing=missing, non_numeric=non_numeric,
                              infinite=infinite)
    return replace(data, notices=table.notices + data.notices)


def _check_choice(parameter: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{parameter} must be one of {quoted(allowed)}; got {echo(value)}.", "one_of",
                          parameter=parameter, value=value, allowed=allowed)


def _check_target(frame: pd.DataFrame, target: str) -> None:
    duplicated = frame.columns[frame.columns.duplicated()].unique()
    if len(duplicated):
        raise DataError(f"Duplicate column names: {quoted(duplicated)}. Rename them so that every column has a "
                        "unique name.", "duplicate_columns",
                        counts={name: int((frame.columns == name).sum()) for name in duplicated})
    if target not in frame.columns:
        raise DataError(
            f"The target column {echo(target)} is not in the table. Available columns: {quoted(frame.columns)}. "
            "Choose one of them as the target.", "unknown_target", target=target, columns=list(frame.columns)
        )
    if not any(is_numeric(frame[name]) for name in frame.columns):
        examples = {str(name): text_example(frame[name]) for name in frame.columns[:LISTED_NAMES]}
        listed = ", ".join(f"{echo(name)} (e.g. {echo(example)})" for name, example in examples.items())
        raise DataError(
            f"The table has no numeric column: every column holds text, such as {listed}. Least squares needs "
            "numbers: check that the file holds them, as digits without units or currency signs.",
            "no_numeric_column", examples=examples,
        )
    if not is_numeric(frame[target]):
        example = text_example(frame[target])
        raise DataError(
            f"The target column {echo(target)} is not numeric: it holds values such as {echo(example)}. "
            "Choose a numeric column as the target.", "text_target", target=target, example=example
        )


def _check_features(frame: pd.DataFrame, target: str, features: Sequence[str] | None) -> list[str]:
    if features is None:
        features = [name for name in frame.columns if name != target]
    elif isinstance(features, str):
        raise ConfigError(f"features must be a list of column names; got the string {features!r}. "
                          f"Did you mean [{features!r}]?", "features_string", parameter="features", value=features)
    features = list(dict.fromkeys(features))  # a column listed twice would make X singular
    unknown = [name for name in features if name not in frame.columns]
    if unknown:
        raise DataError(
            f"Feature column(s) {quoted(unknown)} not in the table. Available columns: "
            f"{quoted(frame.columns)}. Choose the features from these.",
            "unknown_features", columns=unknown, available=list(frame.columns),
        )
    if target in features:
        raise DataError(f"The target column {echo(target)} is also listed as a feature: remove it from the "
                        "features (a column cannot be used to predict itself).", "target_is_feature", target=target)
    if not features:
        raise DataError("No usable feature columns: choose at least one numeric feature.", "no_features")
    return features


def _handle_non_numeric(
    frame: pd.DataFrame, features: list[str], non_numeric: str
) -> tuple[list[str], list[str], list[Notice]]:
    """The features left, those of them to one-hot encode, and the notices."""
    text = [name for name in features if not is_numeric(frame[name])]
    if not text:
        return features, [], []
    if non_numeric == "error":
        examples = {name: text_example(frame[name]) for name in text[:LISTED_NAMES]}
        listed = ", ".join(f"{echo(name)} (e.g. {echo(example)})" for name, example in examples.items())
        raise DataError(
            f"{len(text)} feature column(s) are not numeric: {listed}. Drop them or one-hot encode them "
            "(non_numeric='drop' or non_numeric='onehot'), or deselect them.",
            "text_features", columns=text, examples=examples,
        )
    if non_numeric == "onehot":
        return features, text, []
    numeric = [name for name in features if name not in text]
    if not numeric:
        raise DataError(
            f"No usable feature columns: the chosen features {quoted(text)} are all non-numeric and would be "
            "dropped. Choose at least one numeric feature, or one-hot encode them (non_numeric='onehot').",
            "only_text_features", columns=text,
        )
    return numeric, [], [notice.text_dropped(text)]


def _rows_to_keep(
    frame: pd.DataFrame, target: str, features: list[str], missing: str
) -> tuple[np.ndarray, list[Notice]]:
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
    listed = counted(counts, target)
    if missing == "error":
        raise DataError(
            f"Found {sum(counts.values())} missing value(s) in {int(dropped.sum())} row(s), in column(s) "
            f"{listed}. Drop those rows or impute the column mean (missing='drop' or missing='mean'), or "
            "fill them in the file.", "missing_values", counts=counts, rows=int(dropped.sum()), target=target,
        )
    if not dropped.any():
        return ~dropped, []
    if missing == "drop":
        said = notice.missing_dropped(int(dropped.sum()), len(frame), counts, target)
    else:
        said = notice.target_missing_dropped(int(dropped.sum()), target)
    return ~dropped, [said]


def _drop_infinite(
    frame: pd.DataFrame, target: str, numeric_columns: list[str], keep: np.ndarray, infinite: str
) -> tuple[np.ndarray, list[Notice]]:
    """``keep`` without the rows that hold inf or -inf in ``numeric_columns`` (the target's among them), and a
    notice; or an error."""
    infinite_rows = np.zeros(len(frame), dtype=bool)
    counts = {}
    for name in frame.columns:  # in table order
        if name in numeric_columns:
            rows = np.isinf(column_values(frame[name]).astype(np.float64, copy=False))
            if rows.any():
                counts[name], infinite_rows = int(rows.sum()), infinite_rows | rows
    if not counts:
        return keep, []
    if infinite == "error":
        # A target's infinite values are not fixed by deselecting features: by another target
        fix = "choose another target" if target in counts else "deselect those columns"
        raise DataError(
            f"Column(s) {counted(counts, target)} contain infinite values (inf or -inf). Drop those rows "
            f"(infinite='drop'), fix or remove them in the file, or {fix}.",
            "infinite_values", counts=counts, rows=int(infinite_rows.sum()), target=str(target),
        )
    dropped = infinite_rows & keep
    if not dropped.any():
        return keep, []
    return keep & ~infinite_rows, [notice.infinite_dropped(int(dropped.sum()), len(frame), counts)]


def _feature_matrix(
    frame: pd.DataFrame, features: list[str], text_features: list[str], keep: np.ndarray
) -> tuple[np.ndarray, tuple[str, ...], list[Notice]]:
    """X (rows ``keep``, C-contiguous float64, NaN where missing), its column names, and one-hot notices.

    Filled into a single array, a block of rows at a time: each block of X stays in cache while every
    column's share is copied in. A column at a time would write a value into every cache line of X for
    each column (4× slower at 1,000,000 × 20). Beside X, only the indices of the rows kept, if some are not.
    """
    columns: list[tuple[str, np.ndarray]] = []
    notices = []
    for name in features:
        if name in text_features:
            dummies, said = _one_hot(frame[name])
            columns += dummies
            notices.append(said)
        else:
            columns.append((str(name), column_values(frame[name])))
    kept = None if keep.all() else np.flatnonzero(keep)
    X = np.empty((len(keep) if kept is None else len(kept), len(columns)), dtype=np.float64)
    block_rows = max(FILL_BLOCK_BYTES // max(X.strides[0], 1), 1)
    for start in range(0, len(X), block_rows):
        block = slice(start, start + block_rows)
        rows = block if kept is None else kept[block]
        for j, (_, values) in enumerate(columns):
            X[block, j] = values[rows]
    return X, tuple(name for name, _ in columns), notices


def _one_hot(series: pd.Series) -> tuple[list[tuple[str, np.ndarray]], Notice]:
    """0/1 columns ``"name=value"`` for every value but the first (the baseline); NaN where missing."""
    name = str(series.name)
    categories = series.dropna().unique()
    if len(categories) > MAX_CATEGORIES:
        raise DataError(
            f"Column {echo(name)} has {len(categories):,} different values, more than the {MAX_CATEGORIES} that "
            f"one-hot encoding allows (it would add {len(categories) - 1:,} feature columns). It looks like an "
            "identifier or free text: deselect it, or drop the non-numeric columns (non_numeric='drop').",
            "too_many_categories", column=name, count=len(categories), limit=MAX_CATEGORIES,
        )
    dummies = pd.get_dummies(series, prefix=name, prefix_sep="=", drop_first=True, dtype=float)
    values = dummies.to_numpy(dtype=np.float64, copy=True)
    values[series.isna().to_numpy()] = np.nan  # missing stays missing: dropped or imputed like any other value
    new_names = [str(column) for column in dummies.columns]
    baseline = sorted(map(str, categories))[0] if len(categories) else ""
    return ([(new_name, values[:, j]) for j, new_name in enumerate(new_names)],
            notice.one_hot(name, len(categories), new_names, baseline))


def _row_numbers(X: np.ndarray, names: Sequence[str]) -> list[Notice]:
    """A notice for each feature that counts the rows one by one (10 rows or more): a row number or an identifier."""
    if len(X) < 10:
        return []
    return [notice.row_numbers(name, float(X[0, j]), float(X[-1, j])) for j, name in enumerate(names)
            if float(X[0, j]).is_integer() and np.all(np.diff(X[:, j]) == 1.0)]


def _impute_means(
    X: np.ndarray, names: tuple[str, ...], frame: pd.DataFrame, features: list[str], keep: np.ndarray
) -> list[Notice]:
    """Fill each column's NaN with the mean of its other values, in place; a notice that counts them by original
    column and gives the mean each feature's gaps took."""
    gaps = np.isnan(X)
    if not gaps.any():
        return []
    fill: dict[str, float] = {}
    for j in np.flatnonzero(gaps.any(axis=0)):
        column = X[:, j]
        present = column[~gaps[:, j]]
        if present.size == 0:
            raise DataError(f"Feature column {echo(names[j])} has no values at all: deselect it.", "no_values",
                            column=names[j])
        column[gaps[:, j]] = fill[names[j]] = float(present.mean())
    counts = {name: int(frame[name].isna().to_numpy()[keep].sum()) for name in features}
    counts = {name: count for name, count in counts.items() if count}
    return [notice.missing_filled(counts, fill)]


def _check_rows_left(frame: pd.DataFrame, target: str, features: list[str], numeric_columns: list[str],
                     keep: np.ndarray, missing: str) -> None:
    """Fewer than 2 rows left after dropping those with missing or infinite values: an error that names the columns
    whose values dropped them, and only the choices that would leave enough (``fixes``): another target, when the
    target's own gaps leave too few; else removing from the features those columns (``columns``), if others remain,
    or one of them without which enough rows are left; filling the features' gaps with their means, if the rows
    with a target keep two different values of each feature."""
    kept = int(keep.sum())
    if kept >= 2 or kept == len(frame):
        return
    infinite = {name: np.isinf(column_values(frame[name]).astype(np.float64, copy=False)) for name in numeric_columns}
    no_rows = np.zeros(len(frame), dtype=bool)
    removed = {name: (frame[name].isna().to_numpy() if missing != "mean" or name == target else no_rows)
               | infinite.get(name, no_rows) for name in frame.columns if name == target or name in features}
    counts = {str(name): int(rows.sum()) for name, rows in removed.items() if rows.any()}  # in table order
    with_target = ~removed[target]
    fixes, culprits = [], []
    if with_target.sum() < 2:
        fixes.append("other_target")
    else:
        culprits = [name for name in features if (removed[name] & with_target).any()]
        if len(culprits) == len(features):  # every feature drops rows: is there one without which enough are left?
            culprits = [name for name in culprits if len(features) > 1 and (with_target & ~np.logical_or.reduce(
                [removed[other] for other in features if other != name])).sum() >= 2][:1]
        if culprits:
            fixes.append("deselect")
        filled = with_target & ~np.logical_or.reduce([infinite.get(name, no_rows) for name in features])
        # Each feature needs two different values there, or its mean makes it constant
        if missing == "drop" and all(frame[name][filled].nunique() >= 2 for name in features):
            fixes.append("mean")
    culprits = [str(name) for name in culprits]
    advice = {"other_target": f"choose another target ({echo(target)} has values, neither missing nor infinite, in "
                              f"{int(with_target.sum())} row(s))",
              "deselect": f"deselect {quoted(culprits)}", "mean": "fill the features' gaps with their means "
              "(missing='mean')"}
    said = ", ".join(advice[fix] for fix in fixes) + (", or " if fixes else "") + "fill in those values in the file"
    raise DataError(
        f"Need at least 2 rows; got {kept} after dropping {len(frame) - kept} row(s) with missing or infinite values, "
        f"in column(s) {counted(counts, target)}. To keep more rows, {said}.", "too_few_rows", rows=kept,
        dropped=len(frame) - kept, counts=counts, target=str(target), target_rows=int(with_target.sum()),
        fixes=fixes, columns=culprits,
    )


def _check_distinct_as_floats(X: np.ndarray, names: tuple[str, ...], frame: pd.DataFrame, keep: np.ndarray) -> None:
    """Refuse the integer feature columns whose different values are all one float64: whole numbers of more than
    15 or 16 digits (beyond 2**53 a float64 skips whole numbers), such as 20-digit identifiers. Said as constant, they
    would be called the same value in every row, which they are not."""
    if len(X) < 2:
        return
    columns = {str(name): name for name in frame.columns}
    merged = [name for name, spread in zip(names, np.ptp(X, axis=0), strict=True) if spread == 0
              and name in columns and pd.api.types.is_integer_dtype(frame[columns[name]].dtype)
              and frame[columns[name]][keep].nunique() > 1]
    if not merged:
        return
    values = frame[columns[merged[0]]][keep]
    smallest, largest = int(values.min()), int(values.max())
    digits = len(str(abs(largest)))
    raise DataError(
        f"The feature column(s) {quoted(merged)} hold different whole numbers too long for a decimal number (a "
        f"float64, of 15 to 17 significant digits) to tell apart: {smallest} and {largest}, of {digits} digits, are "
        f"both {float(smallest)!r}. Numbers this long are identifiers, not quantities: deselect them.",
        "indistinct_numbers", columns=merged, smallest=str(smallest), largest=str(largest),
        as_float=float(smallest), digits=digits,
    )


def _check_solvable(X: np.ndarray, names: tuple[str, ...]) -> None:
    """Least squares with a bias needs ≥ 2 rows, no constant column and more rows than features."""
    n_rows, n_features = X.shape
    if n_rows < 2:  # fewer left after dropping rows: said by _check_rows_left
        raise DataError(f"Need at least 2 rows; got {n_rows}. Add rows of data to the file.", "too_few_rows",
                        rows=n_rows, dropped=0)
    constant = [name for name, spread in zip(names, np.ptp(X, axis=0), strict=True) if spread == 0]
    if constant:
        raise DataError(
            f"Feature column(s) {quoted(constant)} are constant (the same value in every row): they carry no "
            "information and make the least-squares solution non-unique. Deselect them.",
            "constant_features", columns=constant,
        )
    if n_features >= n_rows:  # n_features weights plus the bias: more unknowns than equations
        raise DataError(
            f"{n_rows} rows but {n_features} features: with the bias that is {n_features + 1} unknowns, so "
            "the least-squares solution is not unique; remove features or add rows.",
            "too_many_features", rows=n_rows, features=n_features,
        )


def _feature_statistics(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The features' means, standard deviations and correlation matrix, a block of rows at a time (no copy of X).
    Each column is divided by its range before it is squared: no square overflows or underflows."""
    mean, spread = X.mean(axis=0), np.ptp(X, axis=0)
    comoment = np.zeros((X.shape[1], X.shape[1]))
    block_rows = max(1, STATISTICS_BLOCK_BYTES // (8 * X.shape[1]))
    for start in range(0, len(X), block_rows):
        block = X[start:start + block_rows] - mean
        block /= spread
        comoment += block.T @ block
    scale = np.sqrt(np.diag(comoment))
    return mean, scale / np.sqrt(len(X)) * spread, comoment / np.outer(scale, scale)


def _check_independent(mean: np.ndarray, std: np.ndarray, correlation: np.ndarray, names: Sequence[str]) -> None:
    """No feature may be a linear combination of the others (a copy, a multiple, a sum, one-hot columns with their
    baseline's): the least-squares answer would not be unique. From the features' statistics (none constant), so
    that sgdcore.distributed checks its files' the same way."""
    depends_on = _linear_dependencies(correlation)
    if not depends_on:
        return
    # A function of one feature with its mean and spread, rising with it: the same values
    copies = [j for j, partners in depends_on.items() if len(partners) == 1
              and correlation[j, partners[0]] > 0 and np.isclose(std[j], std[partners[0]], rtol=1e-6, atol=0)
              and abs(mean[j] - mean[partners[0]]) <= 1e-6 * std[partners[0]]]
    described = "; ".join(
        f"{echo(names[j])} is a copy of {echo(names[partners[0]])}" if j in copies
        else f"{echo(names[j])} is a linear combination of {quoted([names[k] for k in partners])}"
        for j, partners in list(depends_on.items())[:LISTED_NAMES])
    columns = [names[j] for j in depends_on]
    raise DataError(
        f"Feature column(s) {quoted(columns)} follow exactly from the others ({described}): they add no information "
        "and make the least-squares solution non-unique. Deselect them.", "dependent_features", columns=columns,
        depends_on={names[j]: [names[k] for k in partners] for j, partners in depends_on.items()},
        copies=[names[j] for j in copies],
    )


def _linear_dependencies(correlation: np.ndarray) -> dict[int, list[int]]:
    """Each feature that is a linear combination of the independent features before it (plus a constant), with
    those it combines: ``{2: [0, 1]}`` for ``c = a + b``. Features are taken in order, so the later of two is named.

    Elimination on the correlation matrix (a Cholesky factorisation, in column order): once the features kept so
    far are eliminated, what is left on a feature's diagonal is the share of its variance they do not explain.
    """
    if not np.isfinite(correlation).all():  # values too large for their squares: refused by their own check
        return {}
    unexplained = correlation.copy()
    kept: list[int] = []
    depends_on = {}
    for j in range(len(correlation)):
        if unexplained[j, j] >= DEPENDENCE_TOLERANCE:
            kept.append(j)
            unexplained -= np.outer(unexplained[:, j], unexplained[j]) / unexplained[j, j]
            continue
        # The weights of the standardised features that make this one; the negligible ones are rounding's
        weights = np.linalg.solve(correlation[np.ix_(kept, kept)], correlation[kept, j])
        depends_on[j] = [k for k, weight in zip(kept, weights, strict=True)
                         if abs(weight) > np.sqrt(DEPENDENCE_TOLERANCE)]
    return depends_on

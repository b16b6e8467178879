"""New rows in a dataset's terms, for predictions: the columns a row has, and their values as the features.

:func:`~sgdcore.io.cleaning.dataset_from_frame` (and :mod:`sgdcore.distributed` for files) may turn a text column
into 0/1 columns, ``"city=Paris"`` for each value but the first, the baseline; its ``one_hot`` notice names them. A
model learned on those features predicts for a new row only once the row's text is encoded the same way:
:func:`input_columns` says what a row holds (a number, or one of a text column's values), :func:`input_rows` checks a
table of rows (a file's) against it, :func:`read_rows` reads one whose cells may not all be readable (the rows a
user is still correcting), and :func:`encode_rows` makes complete rows into the features' matrix, column
for column as the dataset has them, so that ``X @ w + b`` is the prediction in the target's units (with ``w, b`` in
the data's units: :meth:`sgdcore.Problem.compare`). Where the dataset filled a column's gaps with its mean
(``missing="mean"``, said in its ``missing_filled`` notice), a new row's empty cell there takes the same values, as a
fitted imputer fills a row it predicts: the row is then complete.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Protocol

import numpy as np
import pandas as pd

from sgdcore.errors import DataError, echo


class Described(Protocol):
    """What the encoding reads of a dataset: a :class:`~sgdcore.Dataset`, or data on a cluster."""

    feature_names: tuple[str, ...]
    notices: tuple[str, ...]


@dataclass(frozen=True)
class InputColumn:
    """A column of a new row: a number, or a text column's value among ``categories`` (the baseline first).
    ``fill``: what an empty cell becomes, where the data filled this column's gaps with its mean, one value for each
    feature the column makes (a number's mean; a text column's share of rows holding each value but the baseline);
    empty where the data filled none, and an empty cell leaves its row without a prediction."""

    name: str
    categories: tuple[str, ...] = ()
    fill: tuple[float, ...] = ()

    @property
    def is_number(self) -> bool:
        return not self.categories

    @property
    def features(self) -> tuple[str, ...]:
        """The features the column becomes: itself, or a text column's 0/1 column for each value but the baseline."""
        return (self.name,) if self.is_number else tuple(f"{self.name}={value}" for value in self.categories[1:])


FILL_KINDS = ("missing_filled", "missing_filled_in_files")  # the notices that give the means that filled gaps


def encoding_notices(data: Described) -> tuple[str, ...]:
    """The notices of ``data`` that :func:`input_columns` reads: how a new row's columns become its features (a text
    column's one-hot columns, the means that filled gaps). A Dataset made again from the features alone, given
    these, encodes new rows as ``data`` does."""
    return tuple(said for said in data.notices if getattr(said, "kind", "") in ("one_hot", *FILL_KINDS))


def input_columns(data: Described) -> tuple[InputColumn, ...]:
    """The columns a new row needs, in the order of the features they become (a text column where its first 0/1
    column is), each with the values its empty cell takes where the data filled its gaps. A value whose 0/1 column
    the dataset no longer has is not offered."""
    encoded: dict[str, tuple[str, str]] = {}  # a 0/1 feature → (its text column, its value)
    baselines: dict[str, str] = {}
    fills: dict[str, float] = {}  # a feature → the mean its gaps took
    for said in encoding_notices(data):
        if said.kind in FILL_KINDS:
            fills |= said.fields.get("fill", {})
            continue
        column = str(said.fields["column"])
        baselines[column] = str(said.fields["baseline"])
        for name in said.fields["columns"]:
            encoded[str(name)] = (column, str(name)[len(column) + 1:])
    order: list[str] = []
    categories: dict[str, list[str]] = {}
    for name in data.feature_names:
        if name not in encoded:
            order.append(name)
            continue
        column, value = encoded[name]
        if column not in categories:
            order.append(column)
            categories[column] = [baselines[column]]
        categories[column].append(value)
    columns = [InputColumn(name, tuple(categories.get(name, ()))) for name in order]
    return tuple(replace(column, fill=tuple(fills[feature] for feature in column.features))
                 if all(feature in fills for feature in column.features) else column for column in columns)


@dataclass(frozen=True, eq=False)  # a DataFrame has no truth value to compare by
class RowsRead:
    """A table of new rows as the model reads it (:func:`read_rows`).

    ``frame``: its input columns (``columns``, in that order), numbers as floats and text among the data's values,
    empty (NaN, or None for text) where a cell is empty or cannot be read. ``unreadable``: each cell the model cannot
    read, row by row, as the error :func:`input_rows` raises for it (its ``row``, numbered from 1, ``column`` and
    ``value`` among its fields): a number that is not finite, a value that is not a number, a text value the data did
    not hold. ``feature_names``: the data's, which :meth:`features` makes.

    What is found from them (:attr:`empty`, :attr:`missing`, :attr:`complete`) is found once, on first use: a page
    reads all three on each run. They are not to be changed in place.
    """

    frame: pd.DataFrame
    columns: tuple[InputColumn, ...]
    feature_names: tuple[str, ...]
    unreadable: tuple[DataError, ...] = ()

    @cached_property
    def empty(self) -> pd.DataFrame:
        """Which cells are empty (None, NaN, pandas' NA, or text of spaces alone); not those it cannot read."""
        empty = self.frame.isna().to_numpy(copy=True)
        empty[[error.fields["row"] - 1 for error in self.unreadable],
              [self.frame.columns.get_loc(error.fields["column"]) for error in self.unreadable]] = False
        return pd.DataFrame(empty, columns=self.frame.columns)

    @cached_property
    def missing(self) -> pd.DataFrame:
        """The empty cells a row must fill in for its prediction: :attr:`empty`'s columns whose gaps the data did not
        fill (an empty cell in the others takes the values that filled them, :attr:`InputColumn.fill`)."""
        return self.empty[[column.name for column in self.columns if not column.fill]]

    @cached_property
    def complete(self) -> np.ndarray:
        """Which rows :func:`encode_rows` makes into features: no cell it cannot read, and none :attr:`missing`."""
        complete = ~self.missing.any(axis=1).to_numpy()
        complete[[error.fields["row"] - 1 for error in self.unreadable]] = False
        complete.flags.writeable = False
        return complete

    def features(self) -> np.ndarray:
        """The :attr:`complete` rows as the data's features, as :func:`encode_rows` makes them, without reading their
        cells again: a ``complete.sum() × d`` array; an empty cell takes the values that filled the data's gaps in
        its column (:attr:`InputColumn.fill`)."""
        rows = self.frame[self.complete]
        features: dict[str, np.ndarray] = {}
        for column in self.columns:
            cells = rows[column.name].to_numpy()
            empty = rows[column.name].isna().to_numpy()
            values = ([cells.astype(float)] if column.is_number else
                      [(cells == category).astype(float) for category in column.categories[1:]])
            fill = column.fill or (np.nan,) * len(column.features)  # then no complete row has the cell empty
            for name, value, filled in zip(column.features, values, fill, strict=True):
                features[name] = np.where(empty, filled, value)
        X = np.empty((len(rows), len(self.feature_names)))
        for j, name in enumerate(self.feature_names):
            X[:, j] = features[name]
        return X


def read_rows(rows: Mapping[str, Sequence[Any]] | Any, data: Described) -> RowsRead:
    """``rows``' input columns as the model reads them, with the cells it cannot read (:class:`RowsRead`): a table
    a user is still correcting, whose other rows can be predicted meanwhile.

    Raises :class:`~sgdcore.errors.DataError` for a column ``rows`` lacks (or names otherwise in capitals or spaces
    alone).
    """
    columns, checked, problems = _read(rows, data)
    frame = pd.DataFrame({column.name: pd.Series(checked[column.name], dtype=float if column.is_number else object)
                          for column in columns})
    return RowsRead(frame.reset_index(drop=True), columns, tuple(data.feature_names), problems)


def input_rows(rows: Mapping[str, Sequence[Any]] | Any, data: Described) -> pd.DataFrame:
    """``rows``' input columns (:func:`input_columns`, in that order, other columns left out) as a DataFrame whose
    numbers are floats and whose text is among the data's values; an empty cell stays empty (NaN, or None for text).
    What a table of new rows holds once checked, before each row is complete (a file's rows to fill in).

    Raises :class:`~sgdcore.errors.DataError` for a column ``rows`` lacks (or names otherwise in capitals or spaces
    alone), and for the first cell the model cannot read (a non-finite number, a value that is not a number, a text
    value the data did not hold: it would have no 0/1 column); :func:`read_rows` reads past those.
    """
    read = read_rows(rows, data)
    if read.unreadable:
        raise read.unreadable[0]
    return read.frame


def encode_rows(rows: Mapping[str, Sequence[Any]] | Any, data: Described) -> np.ndarray:
    """``rows`` (a DataFrame, or a mapping of column name → values) as the features of ``data``: an ``n × d``
    float array, its columns in the order of ``data.feature_names``.

    An empty cell takes the values that filled the data's gaps in its column (:attr:`InputColumn.fill`).

    Raises :class:`~sgdcore.errors.DataError` for what :func:`input_rows` refuses, and for an empty cell in a column
    whose gaps the data did not fill.
    """
    read = read_rows(rows, data)
    if read.unreadable:
        raise read.unreadable[0]
    missing = read.missing
    for row in np.flatnonzero(missing.any(axis=1).to_numpy())[:1]:
        column = str(missing.columns[missing.iloc[row].to_numpy()][0])
        raise DataError(f"Row {row + 1} has no value for {echo(column)}: fill it in.", "row_value_missing",
                        column=column, row=int(row) + 1)
    return read.features()


def _read(rows: Any, data: Described) -> tuple[tuple[InputColumn, ...], dict[str, np.ndarray], tuple[DataError, ...]]:
    """The input columns, each one's cells as read (:func:`_read_column`), and the errors of the cells the model cannot
    read, row by row and then in the columns' order."""
    columns = input_columns(data)
    names = _names(rows)
    lacking = [column.name for column in columns if column.name not in names]
    near = {name: other for name in lacking for other in names if _loosely(other) == _loosely(name)}
    if lacking and len(near) == len(lacking):  # a header typed otherwise: "X1" or "x1 " for x1
        raise DataError(f"The rows lack the column(s) {', '.join(map(echo, lacking))} that the model reads, and have "
                        f"{', '.join(map(echo, near.values()))}, which differ from them only in capitals or spaces: "
                        "rename those as the model names them.", "rows_columns_misnamed", columns=lacking,
                        named=list(near.values()))
    if lacking:
        raise DataError(f"The rows lack the column(s) {', '.join(map(echo, lacking))} that the model reads: add "
                        "them.", "rows_lack_columns", columns=lacking)
    checked: dict[str, np.ndarray] = {}
    problems: list[tuple[int, int, DataError]] = []
    for place, column in enumerate(columns):
        cells = rows[column.name]
        cells = cells.reset_index(drop=True) if isinstance(cells, pd.Series) else pd.Series(list(cells), dtype=object)
        checked[column.name], found = _read_column(cells, column)
        problems += [(row, place, error) for row, error in found]
    return columns, checked, tuple(error for _, _, error in sorted(problems, key=lambda found: found[:2]))


def _read_column(cells: pd.Series, column: InputColumn) -> tuple[np.ndarray, list[tuple[int, DataError]]]:
    """A column's cells as read (NaN for a number, None for text, where a cell is empty or cannot be read), and the
    errors of those it cannot read, by row. Cells the model reads as they are (finite numbers, a text column's
    values) are taken at NumPy's speed, for the ten thousand rows a grid may hold; the others one by one."""
    if column.is_number:
        read = np.array(pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float, na_value=np.nan))  # a copy
        rest = np.flatnonzero(~np.isfinite(read))
    else:
        read = np.array(cells.to_numpy(dtype=object))
        rest = np.flatnonzero(~cells.isin(column.categories).to_numpy())
    empty = np.nan if column.is_number else None
    found: list[tuple[int, DataError]] = []
    for row in rest.tolist():  # Python ints: the errors' fields name rows as numbers of their own
        cell = cells.iloc[row]
        try:
            if _missing(cell):
                read[row] = empty
            elif column.is_number:
                read[row] = _number(cell, column.name, row)
            else:
                read[row] = _category(cell, column.name, row, column.categories)
        except DataError as error:
            found.append((row, error))
            read[row] = empty
    return read, found


def _loosely(name: str) -> str:
    return "".join(name.split()).casefold()


def _names(rows: Any) -> list[str]:
    return [str(name) for name in (rows.columns if hasattr(rows, "columns") else rows)]


def _missing(cell: Any) -> bool:
    """An empty cell: None, NaN, pandas' NA (an editor's empty cell), or text of spaces alone."""
    if isinstance(cell, str):
        return not cell.strip()
    return cell is None or (pd.api.types.is_scalar(cell) and bool(pd.isna(cell)))


def _number(cell: Any, column: str, row: int) -> float:
    try:
        value = float(cell)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise DataError(f"Row {row + 1}'s {echo(column)} is {echo(str(cell))}, not a finite number: type a number.",
                        "row_value_not_a_number", column=column, row=row + 1, value=str(cell))
    return value


def _category(cell: Any, column: str, row: int, categories: tuple[str, ...]) -> str:
    value = str(cell)
    if value not in categories:
        raise DataError(f"Row {row + 1}'s {echo(column)} is {echo(value)}, a value the data did not hold: "
                        f"choose one of {', '.join(map(echo, categories))}.", "row_value_unknown",
                        column=column, row=row + 1, value=value, allowed=list(categories))
    return value

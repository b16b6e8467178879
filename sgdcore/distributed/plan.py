"""Cleaning, as sgdcore.io does it, spread over partitions: a first pass scans every partition
(:func:`_scan`), :func:`_plan` turns the scans into one :class:`Plan` with sgdcore.io's checks, notices and
messages, and each worker cleans its partition by the plan (:func:`_partition`).

Numbers written as spreadsheets write them (``1.234,5``, ``638,05 €``, ``(5.00)``) are read as sgdcore.io reads
them (:mod:`sgdcore.io.numbers`): each scan says every way a text column's values fit, the plan decides one way
for the whole column (the first that every partition fits, as a table in memory would have it), and every
partition is read that way. So are whole numbers with points between thousands (``28.779``), which pandas reads as
decimals, in files whose decimals are written with a comma: a scan says whether a column's values could be. A column
of numbers but for a few cells (``#DIV/0!``, ``-``) is decided from every partition's count of them, as sgdcore.io
decides it for a whole column, and those cells are missing values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sgdcore.data import Notice
from sgdcore.distributed.files import Piece, _read_piece, _where
from sgdcore.distributed.moments import Moments
from sgdcore.errors import DataError, Place, echo
from sgdcore.io import cleaning
from sgdcore.io import notices as notice
from sgdcore.io.columns import LISTED_NAMES, column_kind, column_values, counted, quoted
from sgdcore.io.numbers import (
    SAMPLE_VALUES,
    _not_numbers,
    _plain,
    _words,
    but_for_a_few,
    read_whole_with_points,
    read_written,
    ways_of_writing,
)


@dataclass(frozen=True)
class Writing:
    """How a column of numbers is written as text: its thousands and decimal separators (``""`` for none), the
    currency or percent sign every value carries (``""`` for none), and its first value as written, for messages.
    A value in parentheses is negative. ``(".", "")``: whole numbers with points between thousands (``28.779``), as
    sgdcore.io's ``Table.number_formats`` says them. ``strays``: the cells that are not numbers (Excel's ``#DIV/0!``,
    a dash, a word) are missing values, as :func:`sgdcore.io.numbers.numbers_but_for` reads them."""

    thousands: str
    decimal: str
    sign: str
    example: str
    strays: bool = False

    def read(self, series: pd.Series) -> tuple[pd.Series, object]:
        """:func:`sgdcore.io.numbers.read_written` by this way (``read_whole_with_points`` for ``(".", "")``)."""
        if not self.decimal:
            return read_whole_with_points(series)
        if self.strays:
            series = series.where(~_not_numbers(series.astype(str).str.strip()))
        return read_written(series, self.thousands, self.decimal, self.sign)

    @property
    def described(self) -> str:
        """``'.' between thousands, ',' before the decimals and '€' on every value``."""
        if not self.decimal:
            return f"whole numbers with {echo(self.thousands)} between thousands"
        said = [f"{echo(self.thousands)} between thousands"] if self.thousands else []
        said.append(f"{echo(self.decimal)} before the decimals")
        if self.sign:
            said.append(f"{echo(self.sign)} on every value")
        return ", ".join(said[:-1]) + " and " * (len(said) > 1) + said[-1]


@dataclass(frozen=True)
class Plan:
    """How every partition is cleaned: the columns read, the features (a text feature with its one-hot
    categories, the first being the baseline), the rows kept, the means that fill gaps, and the columns of
    numbers written as text, with how they are written."""

    target: str
    features: tuple[tuple[str, tuple | None], ...]
    missing: str
    fill: tuple[tuple[str, float], ...] = ()
    written: tuple[tuple[str, Writing], ...] = ()

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
            summary["strays"], numbers = _strays(series) if piece.format == "csv" else (None, series)
            summary["written"] = _ways(numbers, piece, target_present)
        else:
            values = column_values(series).astype(np.float64, copy=False)
            infinite = np.isinf(values)
            summary["infinite"] = int(infinite.sum())
            summary["first_infinite"] = int(np.argmax(infinite)) if infinite.any() else -1
            present = values[target_present & ~gaps]
            summary["sum"], summary["count"] = float(present.sum()), len(present)
            summary["points"] = {"example": None} if pd.api.types.is_integer_dtype(series.dtype) else None
        columns[name] = summary
    _whole_with_points(piece, [name for name in plan.columns if _maybe_with_points(frame[name])], columns,
                       target_present)
    scan = {"rows": len(frame), "columns": columns, "moments": None}
    if all(columns[name]["kind"] != "text" for name in plan.columns) and not any(
            columns[name].get("infinite") for name in plan.columns):
        X, y = _clean(frame, plan)
        if not np.isnan(X).any():
            scan["moments"] = Moments.of(X, y)
    return scan


def _strays(series: pd.Series) -> tuple[dict, pd.Series]:
    """The cells of a text column that are not numbers (Excel's ``#DIV/0!``, a dash, a word), as
    :func:`sgdcore.io.numbers.numbers_but_for` tells them: how many, how many hold words, which of the first
    present values are such cells (its look at a column's first values), and the first cells as ``(row, value as
    written)`` for a notice; and the column with them missing, whose numbers say how the column is written."""
    present = series.dropna()
    text = present.astype(str).str.strip()
    stray = _not_numbers(text)
    rows = np.flatnonzero(series.notna().to_numpy())[stray.to_numpy()]
    summary = {"count": len(rows), "words": int(_words(text, stray).sum()),
               "first": stray.iloc[:SAMPLE_VALUES].tolist(),
               "cells": [(int(row), str(series.iloc[row])) for row in rows[:notice.LISTED_CELLS]]}
    is_stray = np.zeros(len(series), dtype=bool)
    is_stray[rows] = True
    return summary, series.where(~is_stray)


def _ways(series: pd.Series, piece: Piece, target_present: np.ndarray) -> dict | None:
    """Every way a text column's values in this partition are all written as numbers
    (:func:`~sgdcore.io.numbers.ways_of_writing`), with the sign, the first value and the first in parentheses as
    written, and the sum and count of the values on the rows whose target is present, read each way (the means
    that ``missing="mean"`` fills in); ``None`` if they are text. A Parquet file's text is text: its columns are
    typed."""
    if piece.format != "csv":
        return None
    ways = ways_of_writing(series, piece.delimiter)
    if ways is None:
        return None
    formats, sign, in_parentheses = ways
    sums = {}
    for thousands, decimal in formats:
        values = read_written(series[target_present], thousands, decimal, sign)[0]
        sums[thousands, decimal] = (float(values.sum()), int(values.notna().sum()))
    minus = series.str.contains("\u2212", regex=False, na=False)
    return {"formats": formats, "sign": sign, "first": str(series[series.first_valid_index()]).strip(),
            "in_parentheses": None if in_parentheses is None else str(series[in_parentheses]).strip(), "sums": sums,
            "commas": bool(series.str.contains(",", regex=False).any()),
            "held": [mark for mark in (",", ".", " ") if _plain(series.dropna()).str.contains(mark, regex=False).any()],
            "minus": str(series[minus.idxmax()]).strip() if minus.any() else None}


def _maybe_with_points(series: pd.Series) -> bool:
    """Whether a column pandas read as decimals may be whole numbers with points between thousands: every value
    has at most three decimals, and is at least 1 if it has any (``0.125`` is a decimal)."""
    if not pd.api.types.is_float_dtype(series.dtype):
        return False
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    values = values[~np.isnan(values)]
    thousandths = values * 1000
    return bool(np.all((np.abs(thousandths - np.round(thousandths)) <= 1e-6 * np.maximum(1, np.abs(thousandths)))
                       & ((values == np.round(values)) | (np.abs(values) >= 1))))


def _whole_with_points(piece: Piece, names: list[str], columns: dict[str, dict], target_present: np.ndarray) -> None:
    """Say, in the summaries ``columns``, which columns pandas read as decimals are whole numbers written with or
    without points between thousands (``28.779``, ``329``), from their text, read again: their first value with a
    point as written (None for none), and their sum and count so read on the rows whose target is present.

    Only in a file not separated by commas, where decimal commas are at home: elsewhere a second read of the text
    would cost every file of prices with cents the time of its first.
    """
    if piece.format != "csv" or piece.delimiter == "," or not names:
        return
    text = _read_piece(piece, names, text=names)
    for name in names:
        values, wrong = read_whole_with_points(text[name])
        if wrong is not None:
            continue
        pointed = text[name].dropna()
        pointed = pointed[pointed.str.contains(".", regex=False)]
        kept = values[target_present].dropna()
        columns[name]["points"] = {"example": str(pointed.iloc[0]).strip() if len(pointed) else None,
                                   "sum": float(kept.sum()), "count": len(kept)}


def _partition(piece: Piece, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """One partition, read and cleaned on a worker."""
    written = dict(plan.written)
    frame = _read_piece(piece, plan.columns, text=list(written))
    for name, way in written.items():
        frame[name] = _read_numbers(frame[name], way, piece)
    return _clean(frame, plan)


def _read_numbers(series: pd.Series, way: Writing, piece: Piece) -> pd.Series:
    """A column of a partition read as numbers written ``way``.

    Raises
    ------
    DataError
        A value is not so written, naming its file and line.
    """
    values, wrong = way.read(series)
    if wrong is None:
        return values
    where = _where(piece, series.index.get_loc(wrong))
    value = str(series[wrong]).strip()
    raise DataError(f"{where}: {echo(value)} in column {echo(series.name)} is not a number written as the column's "
                    f"others are, such as {echo(way.example)} ({way.described}). Write it as they are, then try "
                    "again.", "number_written_otherwise", file=where.file, line=where.number, column=series.name,
                    value=value, example=way.example, thousands=way.thousands, decimal=way.decimal, sign=way.sign)


def _partition_moments(piece: Piece, plan: Plan) -> Moments:
    return Moments.of(*_partition(piece, plan))


def _partition_frame(piece: Piece, plan: Plan) -> pd.DataFrame:
    X, y = _partition(piece, plan)
    frame = pd.DataFrame(X, columns=list(plan.feature_names))
    frame[plan.target] = y
    return frame


def _plan(
    scans: list[dict], provisional: Plan, non_numeric: str, locate: Callable[[int, int], Place],
    file_columns: Sequence[str] = (),
) -> tuple[Plan, list[Notice]]:
    """The cleaning plan, from every partition's scan, with sgdcore.io's checks and notices.

    ``locate(partition, row)`` says where a row is (file and line), for messages: it is called only for an
    error, since a CSV line number costs a read of the file up to it. ``file_columns``, the files' columns in
    their order, orders the notices of reading them as a table in memory orders its own.
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
    written, notices = _numbers_written(scans, merged, [name for name in file_columns if name in names] or names,
                                        locate)
    if merged[target]["text"]:
        raise DataError(f"The target column {target!r} is not numeric: it holds values such as "
                        f"{merged[target]['example']!r} ({locate(*merged[target]['example_at'])}). Choose a numeric "
                        "column as the target.", "text_target", target=target, example=merged[target]["example"],
                        where=locate(*merged[target]["example_at"]))
    features = [name for name, _ in provisional.features]
    text = [name for name in features if merged[name]["text"]]
    if text and non_numeric == "error":
        examples = ", ".join(f"{name!r} (e.g. {merged[name]['example']!r}, {locate(*merged[name]['example_at'])})"
                             for name in text[:LISTED_NAMES])
        raise DataError(f"{len(text)} feature column(s) are not numeric: {examples}. Drop them or one-hot encode "
                        "them (non_numeric='drop' or non_numeric='onehot'), or deselect them.", "text_features",
                        columns=text, examples={name: merged[name]["example"] for name in text[:LISTED_NAMES]})
    if text and non_numeric == "drop":
        features = [name for name in features if name not in text]
        if not features:
            raise DataError(f"No usable feature columns: the chosen features {quoted(text)} are all "
                            "non-numeric and would be dropped. Choose at least one numeric feature, or one-hot "
                            "encode them (non_numeric='onehot').", "only_text_features", columns=text)
        notices.append(notice.text_dropped(text))
        text = []
    for name in text:
        if merged[name]["mixed"]:
            raise DataError(f"Column {name!r} holds numbers in some partitions and text in others (such as "
                            f"{merged[name]['example']!r}, {locate(*merged[name]['example_at'])}): one-hot encoding "
                            "needs the same kind of values throughout. Fix the column, or deselect it.",
                            "mixed_column", column=name, example=merged[name]["example"],
                            where=locate(*merged[name]["example_at"]))
        if merged[name]["many_values"]:
            raise DataError(f"Column {name!r} has more than {cleaning.MAX_CATEGORIES} different values, more than "
                            "one-hot encoding allows. It looks like an identifier or free text: deselect it, or "
                            "drop the non-numeric columns (non_numeric='drop').", "many_categories", column=name,
                            limit=cleaning.MAX_CATEGORIES)
    used = [target, *features]
    counts = {name: merged[name]["missing"] for name in used if merged[name]["missing"]}
    if counts and missing == "error":
        # The earliest place over all columns: (partition, row) pairs sort in file order.
        first = locate(*min(merged[name]["missing_at"] for name in used if merged[name]["missing"]))
        raise DataError(f"Found {sum(counts.values())} missing value(s) in column(s) "
                        f"{counted(counts, target)}; the first in {first}. Drop those rows or impute the "
                        "column mean (missing='drop' or missing='mean'), or fill them in the files.",
                        "missing_values_in_files", counts=counts, target=target, first=first)
    infinite = {name: merged[name]["infinite"] for name in used if merged[name]["infinite"]}
    if infinite:
        first = locate(*min(merged[name]["infinite_at"] for name in used if merged[name]["infinite"]))
        raise DataError(f"Column(s) {counted(infinite)} contain infinite values (inf or -inf); the first "
                        f"in {first}. Fix or remove them in the files, or deselect those columns.",
                        "infinite_values_in_files", counts=infinite, first=first)
    plan_features = []
    for name in features:
        if name in text:
            values = merged[name]["values"]
            categories = tuple(sorted(values, key=str))
            plan_features.append((name, categories))
            new_names = [f"{name}={value}" for value in categories[1:]]
            notices.append(notice.one_hot(name, len(categories), new_names, categories[0] if categories else ""))
        else:
            plan_features.append((name, None))
    if counts and missing == "drop":
        notices.append(notice.missing_dropped_in_files(counts, target))
    fill: list[tuple[str, float]] = []
    if counts and missing == "mean":
        if merged[target]["missing"]:
            notices.append(notice.target_missing_dropped(merged[target]["missing"], target))
        for name, categories in plan_features:
            if not merged[name]["missing"]:
                continue
            if categories is None:
                if merged[name]["count"] == 0:
                    raise DataError(f"Feature column {name!r} has no values at all: deselect it.", "no_values",
                                    column=name)
                fill.append((name, merged[name]["sum"] / merged[name]["count"]))
            else:
                kept = merged[name]["values_kept"]
                present = sum(kept.values())
                fill += [(f"{name}={value}", kept.get(value, 0) / present if present else 0.0)
                         for value in categories[1:]]
        filled = {name: merged[name]["missing"] for name in features if merged[name]["missing"]}
        if filled:
            notices.append(notice.missing_filled_in_files(filled, dict(fill)))
    plan = Plan(target, tuple(plan_features), missing, tuple(fill), tuple(written.items()))
    if not plan.feature_names:
        raise DataError(f"No usable feature columns: one-hot encoding {quoted(text)} leaves none, as each "
                        "has a single value, which carries no information. Choose at least one feature whose "
                        "values vary.", "single_valued_text", columns=text)
    return plan, notices


def _numbers_written(scans: list[dict], merged: dict[str, dict], names: list[str],
                     locate: Callable[[int, int], Place]) -> tuple[dict[str, Writing], list[Notice]]:
    """The columns ``names`` (in the files' order) that hold numbers written as text, or whole numbers with points
    between thousands, with how they are written, and the notices sgdcore.io gives of them, in its order; their
    ``merged`` summaries made those of numbers, the cells that are not numbers among their missing values."""
    written, strays = {}, {}
    for name in names:
        parts = [scan["columns"][name] for scan in scans]
        cells = _stray_cells(parts, [scan["rows"] for scan in scans])
        way = _way_of_writing(parts) if cells != [] else None
        if way is not None:
            written[name] = replace(way, strays=bool(cells))
            numbers = [p["written"]["sums"].get((way.thousands, way.decimal), (0.0, 0)) if p["kind"] == "text"
                       and p["written"] else (p.get("sum", 0.0), p.get("count", 0)) for p in parts]
            merged[name].update(text=False, mixed=False, sum=sum(total for total, _ in numbers),
                                count=sum(count for _, count in numbers))
        if way is not None and cells:
            count = sum(p["strays"]["count"] for p in parts if p.get("strays"))
            first = min(place for place in (merged[name]["missing_at"], cells[0][:2]) if place is not None)
            merged[name].update(missing=merged[name]["missing"] + count, missing_at=first)
            strays[name] = notice.not_numbers(name, count, [(locate(index, row), value)
                                                            for index, row, value in cells[:notice.LISTED_CELLS]])
    with_commas = _decimal_comma_columns(written, scans)
    notices = _written_notices(written, scans, strays)
    for name in names if with_commas else ():
        parts = [scan["columns"][name] for scan in scans]
        example = _points_example(parts) if name not in written else None
        if example is not None:
            written[name] = Writing(".", "", "", example)
            merged[name].update(sum=sum(p["points"].get("sum", p["sum"]) for p in parts),
                                count=sum(p["points"].get("count", p["count"]) for p in parts))
            notices.append(notice.thousands_points(name, example, float(example.replace(".", "")), with_commas))
    return written, notices


def _stray_cells(parts: list[dict], rows: list[int]) -> list[tuple[int, int, str]] | None:
    """A column's first cells that are not numbers as ``(partition, row, value as written)``, if the column is one
    of numbers but for them as sgdcore.io decides it for the whole (:func:`sgdcore.io.numbers.numbers_but_for`),
    from every partition's counts (:func:`_strays`); ``[]`` if it holds such cells but is not, None if it holds
    none."""
    counted = [(index, p["strays"]) for index, p in enumerate(parts) if p.get("strays")]
    strays = sum(found["count"] for _, found in counted)
    if not strays:
        return None
    # The first values, as sgdcore.io looks at them: a partition pandas read as numbers holds no such cell
    first: list[bool] = []
    for p, part_rows in zip(parts, rows, strict=True):
        if len(first) >= SAMPLE_VALUES:
            break
        first += p["strays"]["first"] if p.get("strays") else [False] * min(part_rows - p["missing"], SAMPLE_VALUES)
    values = sum(part_rows - p["missing"] for p, part_rows in zip(parts, rows, strict=True))
    words = sum(found["words"] for _, found in counted)
    if np.mean(first[:SAMPLE_VALUES]) > 0.5 or not but_for_a_few(values, strays, words):
        return []
    return [(index, row, value) for index, found in counted for row, value in found["cells"]]


def _way_of_writing(parts: list[dict]) -> Writing | None:
    """How a column is written, from the partitions where pandas read it as text: the first way that every one of
    them holding numbers fits, with the sign of the first (sgdcore.io's choice for the whole column); ``None`` if
    none holds numbers so written. A partition that fits another way, or none, is refused as it is read
    (:func:`_read_numbers`), at its file and line."""
    ways = [p["written"] for p in parts if p["kind"] == "text" and p["written"] is not None]
    if not ways:
        return None
    first = ways[0]
    alike = [other for other in ways if other["sign"] == first["sign"]]
    common = [way for way in first["formats"] if all(way in other["formats"] for other in alike)]
    thousands, decimal = (common or first["formats"])[0]
    return Writing(thousands, decimal, first["sign"], first["first"])


def _decimal_comma_columns(written: dict[str, Writing], scans: list[dict]) -> list[str]:
    """The columns whose numbers are written with a decimal comma, as sgdcore.io's ``Table.number_formats`` has
    them: those where some value holds a comma, and those with neither sign nor parentheses whose thousands are
    written with a point (1.234 for 1234)."""
    columns = []
    for name, way in written.items():
        parts = [scan["columns"][name]["written"] for scan in scans if scan["columns"][name]["kind"] == "text"]
        parts = [part for part in parts if part is not None]
        marked = way.sign or any(part["in_parentheses"] for part in parts)
        points = way.thousands == "." and any("." in part["held"] for part in parts)
        if way.decimal == "," and (any(part["commas"] for part in parts) or (points and not marked)):
            columns.append(name)
    return columns


def _points_example(parts: list[dict]) -> str | None:
    """A column's first value written with points between thousands (``28.779``) if every partition holds whole
    numbers so written or without points (:func:`_whole_with_points`), else None."""
    if any(p["kind"] != "numeric" or p.get("points") is None for p in parts):
        return None
    return next((p["points"]["example"] for p in parts if p["points"]["example"] is not None), None)


def _written_notices(written: dict[str, Writing], scans: list[dict], strays: dict[str, Notice]) -> list[Notice]:
    """What sgdcore.io says of columns of numbers written as text, in its order: how each without a sign or
    parentheses is written, the typographic minus signs, the cells that are not numbers (``strays``, by column),
    the signs left out, then the negatives in parentheses."""
    formats, minus_signs, signs, negatives = [], [], [], []
    for name, way in written.items():
        parts = [part["written"] for part in (scan["columns"][name] for scan in scans)
                 if part["kind"] == "text" and part["written"]]
        in_parentheses = next((part["in_parentheses"] for part in parts if part["in_parentheses"]), None)
        minus = next((part["minus"] for part in parts if part["minus"]), None)
        # Only the separators some value holds, as sgdcore.io.numbers.as_numbers says them: the decimal separator
        # too when the thousands are written with a point or a comma (1.234,5)
        thousands = way.thousands if any(way.thousands in part["held"] for part in parts) else ""
        decimal = way.decimal if thousands in (".", ",") or any(way.decimal in part["held"] for part in parts) else ""
        if way.sign:
            signs.append(notice.sign_left_out(name, way.sign, way.example, _number(way, way.example)))
        if in_parentheses is not None:
            negatives.append(notice.negatives_in_parentheses(name, in_parentheses, _number(way, in_parentheses)))
        if not way.sign and in_parentheses is None and (thousands, decimal) not in (("", "."), ("", "")):
            formats.append(notice.number_format(name, thousands, decimal))
        if minus is not None:
            minus_signs.append(notice.minus_sign(name, minus, _number(way, minus)))
    return [*formats, *minus_signs, *strays.values(), *signs, *negatives]


def _number(way: Writing, written: str) -> float:
    """One value, as written, read as a number written ``way``."""
    return float(way.read(pd.Series([written]))[0].iloc[0])


def _first(parts: list[dict], key: str) -> tuple[int, int] | None:
    """``(partition, row)`` of the first partition whose ``key`` row is set."""
    return next(((index, p[key]) for index, p in enumerate(parts) if p.get(key, -1) >= 0), None)


def _check_solvable(moments: Moments, names: tuple[str, ...], dropped: int) -> None:
    """sgdcore.io's checks, from the statistics: ≥ 2 rows, no constant column, more rows than
    features, no column a linear combination of the others."""
    n_rows, n_features = moments.count, len(names)
    if n_rows < 2:
        after = f" after dropping {dropped} row(s) with missing values" if dropped else ""
        raise DataError(f"Need at least 2 rows; got {n_rows}{after}. Add rows of data to the files.", "too_few_rows",
                        rows=n_rows, dropped=dropped)
    constant = [name for name, spread in zip(names, np.diag(moments.comoment)[:-1], strict=True) if spread == 0]
    if constant:
        raise DataError(f"Feature column(s) {quoted(constant)} are constant (the same value in every row): "
                        "they carry no information and make the least-squares solution non-unique. Deselect them.",
                        "constant_features", columns=constant)
    if n_features >= n_rows:
        raise DataError(f"{n_rows} rows but {n_features} features: with the bias that is {n_features + 1} unknowns, "
                        "so the least-squares solution is not unique; remove features or add rows.",
                        "too_many_features", rows=n_rows, features=n_features)
    cleaning._check_independent(moments.mean[:-1], np.sqrt(np.diag(moments.comoment)[:-1] / n_rows),
                                moments.correlation(), names)

"""Cleaning, as sgdcore.io does it, spread over partitions: a first pass scans every partition
(:func:`_scan`), :func:`_plan` turns the scans into one :class:`Plan` with sgdcore.io's checks, notices and
messages, and each worker cleans its partition by the plan (:func:`_partition`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sgdcore.data import Notice
from sgdcore.distributed.files import Piece, _read_piece
from sgdcore.distributed.moments import Moments
from sgdcore.errors import DataError, Place
from sgdcore.io import cleaning
from sgdcore.io import notices as notice
from sgdcore.io.columns import LISTED_NAMES, column_kind, column_values, counted, quoted


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


def _plan(
    scans: list[dict], provisional: Plan, non_numeric: str, locate: Callable[[int, int], Place]
) -> tuple[Plan, list[Notice]]:
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
                        "column as the target.", "text_target", target=target, example=merged[target]["example"],
                        where=locate(*merged[target]["example_at"]))
    features = [name for name, _ in provisional.features]
    text = [name for name in features if merged[name]["text"]]
    notices: list[Notice] = []
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
        first = locate(*next(merged[name]["missing_at"] for name in used if merged[name]["missing"]))
        raise DataError(f"Found {sum(counts.values())} missing value(s) in column(s) "
                        f"{counted(counts, target)}; the first in {first}. Drop those rows or impute the "
                        "column mean (missing='drop' or missing='mean'), or fill them in the files.",
                        "missing_values_in_files", counts=counts, target=target, first=first)
    infinite = {name: merged[name]["infinite"] for name in used if merged[name]["infinite"]}
    if infinite:
        first = locate(*next(merged[name]["infinite_at"] for name in used if merged[name]["infinite"]))
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
            notices.append(notice.missing_filled_in_files(filled))
    plan = Plan(target, tuple(plan_features), missing, tuple(fill))
    if not plan.feature_names:
        raise DataError(f"No usable feature columns: one-hot encoding {quoted(text)} leaves none, as each "
                        "has a single value, which carries no information. Choose at least one feature whose "
                        "values vary.", "single_valued_text", columns=text)
    return plan, notices


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

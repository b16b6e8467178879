"""Predictions on the Export page: rows of inputs a user types, pastes or loads from a file, and what the last run
predicts for each, beside the closed form's prediction (and, for synthetic data, the truth's without its noise)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import sgdcore
from ui.errors import file_error_text
from ui.i18n import t
from ui.uploads import parse_upload, release_upload
from ui.widgets import ENTERED_KEY

ROWS_KEY = "_prediction_rows"  # session_state: (data key, the rows as last edited), for a return to the page
BASE_KEY = "_prediction_rows_base"  # the rows the editor of this visit started from (its edits are on top of them),
# and their columns edited as text (editable)
VERSION_KEY = "_prediction_rows_version"  # a new editor, started from the saved rows, on each visit to the page
SIGNIFICANT_DIGITS = 4  # of a starting value: the mean 0.01234567 starts as 0.01235, which a reader can retype
FILE_KEY = "_prediction_file"  # session_state: the file of rows loaded in this visit, and what loading it said
# The most rows a file loads into the grid: each edit reruns the page, which sends the grid and the predictions to the
# browser again. A longer file is predicted by the script under "The run as code", with sgdcore.encode_rows.
FILE_ROWS = 10_000
FILE_MB = 50  # the uploader's largest file: 10,000 rows of 5 KB each, more than any table of inputs needs
FLOAT_LARGEST = f"{np.finfo(np.float64).max:.2g}".replace("e+", "e")  # "1.8e308": no prediction is larger


def input_columns(problem: Any) -> tuple[sgdcore.InputColumn, ...]:
    """The columns a row of inputs has: the data's own, a text column encoded one-hot as one column of its values."""
    return sgdcore.input_columns(_described(problem))


def starting_row(problem: Any, columns: tuple[sgdcore.InputColumn, ...]) -> dict[str, Any]:
    """A typical row: each number at its training mean (on large data, its sample's), each text column at its most
    common value."""
    rows = problem.sample if getattr(problem, "on_cluster", False) else problem.raw_train
    means = dict(zip(rows.feature_names, rows.X.mean(axis=0), strict=True))
    row: dict[str, Any] = {}
    for column in columns:
        if column.is_number:
            row[column.name] = float(f"{means[column.name]:.{SIGNIFICANT_DIGITS}g}")
        else:
            shares = [means[f"{column.name}={value}"] for value in column.categories[1:]]
            row[column.name] = column.categories[int(np.argmax([1 - sum(shares), *shares]))]
    return row


def rows_editor(data_key: str, problem: Any, columns: tuple[sgdcore.InputColumn, ...],
                start: dict[str, Any]) -> pd.DataFrame:
    """The editable rows of inputs (one typical row to begin with), kept for a return to the page while the data
    stays: Streamlit forgets an editor's edits on another page, and cannot set them again. A file's other columns
    (:func:`load_file`) follow the inputs, read-only. A column that holds a cell the model cannot read is edited as
    text (:func:`editable`)."""
    state = st.session_state
    saved_key, saved = state.get(ROWS_KEY, ("", None))
    other_data = saved_key != data_key
    if other_data:
        saved = pd.DataFrame([start], columns=[column.name for column in columns])
        state[ROWS_KEY] = (data_key, saved)
    if other_data or state.get(ENTERED_KEY) or BASE_KEY not in state:
        state[VERSION_KEY] = state.get(VERSION_KEY, 0) + 1
        state[BASE_KEY] = editable(saved, problem)
    base, as_text = state[BASE_KEY]
    config = {column.name: st.column_config.TextColumn(column.name, default=str(start[column.name]))
              if column.name in as_text else
              st.column_config.NumberColumn(column.name, default=start[column.name])
              if column.is_number else
              st.column_config.SelectboxColumn(column.name, options=column.categories, default=start[column.name])
              for column in columns}
    config |= {name: st.column_config.Column(str(name), disabled=True) for name in base.columns if name not in config}
    edited = st.data_editor(base, column_config=config, num_rows="dynamic", hide_index=True,
                            placeholder="",  # an empty cell as the user left it, not Streamlit's "None"
                            key=f"prediction_rows|{data_key}|{state[VERSION_KEY]}")
    state[ROWS_KEY] = (data_key, edited)
    return edited


def load_file(uploaded: Any, data_key: str, problem: Any) -> dict[str, Any] | None:
    """Load an uploaded file's rows into the grid in place of the rows there, once per upload, then let go of the
    file's bytes (``ui.uploads.release_upload``); what loading the file on the grid said, for the rest of the visit
    to the page (the uploader is drawn anew and empty on the next): ``{"name", "rows", "beside", "notices"}`` (the
    file's other columns, kept beside the inputs: an identifier, the target, to read the predictions by; what reading
    it did, as the Data page says it: an encoding, numbers written with a decimal comma or a '%'), or
    ``{"name", "error"}`` (a file that does not read, or lacks an input column), or ``{"name", "too_long"}`` (more
    than :data:`FILE_ROWS` rows). A refused file leaves the grid as it was. A cell the model cannot read ("about 3",
    a value the data did not hold) is loaded as written, for the user to correct in the grid (:func:`editable`)."""
    state = st.session_state
    if state.get(ENTERED_KEY):
        state.pop(FILE_KEY, None)
    said = state.get(FILE_KEY)
    if uploaded is not None and (said is None or said["file_id"] != uploaded.file_id):
        parsed = parse_upload(uploaded.getvalue(), uploaded.name, uploaded.file_id)
        release_upload(uploaded.file_id)
        said = {"file_id": uploaded.file_id, "data_key": data_key, "name": uploaded.name}
        if "error" in parsed:
            said["error"] = parsed["error"]
        elif len(parsed["table"].frame) > FILE_ROWS:
            said["too_long"] = len(parsed["table"].frame)
        else:
            try:
                rows, as_text = editable(parsed["table"].frame, problem)
            except sgdcore.DataError as error:
                said["error"] = error
            else:
                beside = rows.columns[len(input_columns(problem)):]
                said |= {"rows": len(rows), "beside": [str(name) for name in beside],
                         "notices": list(parsed["table"].notices)}
                state[ROWS_KEY] = (data_key, rows)
                state[VERSION_KEY] = state.get(VERSION_KEY, 0) + 1  # a new editor, from the file's rows
                state[BASE_KEY] = (rows, as_text)
        state[FILE_KEY] = said
    return said if said is not None and said["data_key"] == data_key else None


def editable(rows: pd.DataFrame, problem: Any) -> tuple[pd.DataFrame, frozenset[str]]:
    """``rows`` as the grid edits them, their input columns first: each input column the model reads throughout as
    it reads it (numbers as floats, text among the data's values), and one that holds a cell the model cannot read
    as text, each cell as written, to be corrected in place (its rows have no prediction until then:
    ``sgdcore.RowsRead.unreadable``). Other columns as they are. Then the names of the columns edited as text.

    Raises ``sgdcore.DataError`` for an input column ``rows`` lacks."""
    read = rows_read(problem, rows)
    as_text = frozenset(error.fields["column"] for error in read.unreadable)
    inputs, empty = list(read.frame.columns), read.empty
    frame = rows.reset_index(drop=True)[[*inputs, *(name for name in rows.columns if name not in inputs)]]
    for name in inputs:
        frame[name] = (pd.Series([None if blank else str(cell) for cell, blank in
                                  zip(frame[name], empty[name], strict=True)], dtype=object)
                       if name in as_text else read.frame[name])
    return frame, as_text


def rows_read(problem: Any, rows: pd.DataFrame) -> sgdcore.RowsRead:
    """``rows`` as the model reads them, with the cells it cannot read, whose rows have no prediction
    (``sgdcore.read_rows``)."""
    return sgdcore.read_rows(rows, _described(problem))


def filled_cells(read: sgdcore.RowsRead) -> dict[str, int]:
    """The input columns whose empty cells take the values that filled the data's gaps (``InputColumn.fill``), in
    the rows :func:`predictions` predicts (``RowsRead.complete``), with how many cells each."""
    empty = read.empty.loc[read.complete, [column.name for column in read.columns if column.fill]].sum()
    return {str(name): int(count) for name, count in empty.items() if count}


def refusal_text(loaded: dict[str, Any]) -> str:
    """What the page says of a file :func:`load_file` did not load into the grid."""
    if "too_long" in loaded:
        return t("export.predict_file_too_long", file=loaded["name"], rows=loaded["too_long"], limit=FILE_ROWS)
    if getattr(loaded["error"], "problem", "") == "no_data_rows":  # the reader's words ask for two rows to train on
        return t("export.predict_file_no_rows", file=loaded["name"])
    return file_error_text(loaded["name"], loaded["error"])


def fill_texts(filled: dict[str, int], columns: tuple[sgdcore.InputColumn, ...]) -> list[str]:
    """What the empty cells of the columns ``filled`` became: ``"x1 → 3.25"``, a text column's value for each 0/1
    feature it makes (``"city=Rome → 0.5"``), six digits."""
    return [f"{feature} → {value:.6g}" for column in columns if column.name in filled
            for feature, value in zip(column.features, column.fill, strict=True)]


def incomplete_rows(empty: pd.DataFrame) -> dict[int, list[str]]:
    """Each row (numbered from 1) with an empty cell, and the columns it leaves empty: ``empty`` says which cells
    are (``sgdcore.RowsRead.empty``, or those a row must fill in for its prediction, ``RowsRead.missing``)."""
    return {int(number) + 1: [str(name) for name in empty.columns[empty.iloc[number].to_numpy()]]
            for number in np.flatnonzero(empty.any(axis=1).to_numpy())}


def predictions(problem: Any, comparison: sgdcore.Comparison, rows: pd.DataFrame,
                read: sgdcore.RowsRead | None = None) -> pd.DataFrame:
    """``rows`` with the predictions of the run (``sgd``), of the closed form, the truth's without its noise for
    synthetic data, and the run's less the closed form's; a row with an empty input has none, unless the data filled
    that column's gaps (``sgdcore.encode_rows`` fills it alike), nor does a row with a cell the model cannot read
    (``RowsRead.unreadable``). The run's prediction is empty where its coefficients are not finite, and any
    prediction beyond float64's range (:func:`beyond_range_rows`). A prediction's name that an input column has
    already is followed by `` (prediction)``. ``read``: the rows as the model reads them (:func:`rows_read`), where
    the caller has them already."""
    read = read if read is not None else rows_read(problem, rows)
    complete = read.complete
    X = read.features()
    predicted: dict[str, np.ndarray] = {}
    for name, params in _models(comparison).items():
        column = np.full(len(rows), np.nan)
        if params is not None:
            column[complete] = _within_range(X, params)
        predicted[name] = column
    predicted["sgd_minus_closed_form"] = predicted["sgd"] - predicted["closed_form"]  # the coefficients table's order
    frame = rows.reset_index(drop=True).copy()
    for name, column in predicted.items():
        frame[name if name not in rows.columns else f"{name} (prediction)"] = column
    return frame


def _models(comparison: sgdcore.Comparison) -> dict[str, np.ndarray | None]:
    """The parameters (weights, then bias) of each model :func:`predictions` predicts by, in its columns' order: the
    run's (None where its coefficients are not finite), the closed form's and, for synthetic data, the truth's."""
    models = {"sgd": comparison.sgd if np.all(np.isfinite(comparison.sgd)) else None,
              "closed_form": comparison.closed_form}
    return models if comparison.truth is None else {**models, "truth": comparison.truth}


def _within_range(X: np.ndarray, params: np.ndarray) -> np.ndarray:
    """``Xw + b`` (``params`` is ``w`` then ``b``), empty where it is beyond float64's range. A row whose sum
    overflows on the way (``2·1e308 − 3.4·1e308``) is summed again scaled down by a power of two, which is exact, so
    that only a prediction itself too large is left empty; the page says which (:func:`beyond_range_rows`), and NumPy
    does not warn in the server's log."""
    w, b = params[:-1], params[-1]
    with np.errstate(over="ignore", invalid="ignore"):
        made = sgdcore.predict(X, w, b)
        lost = ~np.isfinite(made)
        if lost.any():  # 2**exponent > 2·Σ|params|: no partial sum of the scaled row can overflow
            exponent = math.frexp(float(np.abs(params).sum()))[1] + 1
            made[lost] = np.ldexp(sgdcore.predict(np.ldexp(X[lost], -exponent), w, math.ldexp(b, -exponent)),
                                  exponent)
    return np.where(np.isfinite(made), made, np.nan)


def beyond_range_rows(predicted: pd.DataFrame, read: sgdcore.RowsRead, comparison: sgdcore.Comparison) -> list[int]:
    """The rows (numbered from 1) the model reads whole (``read.complete``) but one of whose predictions
    :func:`predictions` left empty: inputs far beyond the data's made it larger than float64 holds. The run's own
    prediction counts where its coefficients are finite (else the page says that the run diverged)."""
    models = _models(comparison)
    made = predicted.iloc[:, -len(models) - 1:-1].set_axis(list(models), axis=1)  # their difference, last, left out
    made = made[[name for name, params in models.items() if params is not None]]
    return (np.flatnonzero(read.complete & made.isna().any(axis=1).to_numpy()) + 1).tolist()


def target_scores(rows: pd.DataFrame, predicted: pd.DataFrame, target: str) -> tuple[int, pd.DataFrame] | None:
    """How the predictions meet the target where the rows hold it (a file's, kept beside the inputs): the number of
    rows with every input and a number for ``target``, and on them each model's mean squared error and R² (rows
    ``sgd``, ``closed_form``, ``truth`` for synthetic data; ``sgdcore.fit_scores``, as the comparison's test
    scores); None where no row holds both."""
    if target not in rows.columns:
        return None
    actual = pd.to_numeric(rows[target], errors="coerce").to_numpy(dtype=float)
    made = predicted.iloc[:, rows.shape[1]:-1]  # sgd, closed_form (and truth), in that order; their difference left
    usable = np.isfinite(actual) & np.isfinite(made.iloc[:, 1].to_numpy(dtype=float))  # the closed form: every input
    if not usable.any():
        return None
    names = ["sgd", "closed_form", "truth"][:made.shape[1]]
    scores = [sgdcore.fit_scores(actual[usable], made.iloc[:, i].to_numpy(dtype=float)[usable])
              for i in range(len(names))]
    return int(usable.sum()), pd.DataFrame(scores, index=names, columns=["mse", "r2"])


def shown_names(frame: pd.DataFrame, inputs: int, labels: dict[str, str]) -> list[str]:
    """The predictions' headers on the page: the ``inputs`` columns' own names, then each prediction's label (the
    coefficients table's), or its name where an input column is called so."""
    names = [str(name) for name in frame.columns]
    own = names[:inputs]
    return [*own, *(labels.get(name, name) if labels.get(name, name) not in own else name for name in names[inputs:])]


def _described(problem: Any) -> Any:
    """What says how the data's columns became its features: its notices and its features' names."""
    return problem.data if getattr(problem, "on_cluster", False) else problem.raw_train

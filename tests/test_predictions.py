"""Predictions for new rows: sgdcore's encoding of them as a dataset's features, and the Export page's Predict.

The encoding is checked against the dataset's own features (the training rows encoded again give its matrix, bit
for bit), the predictions against scikit-learn's closed form and against the run's model-unit parameters applied to
standardised rows, a route that never maps the coefficients back to the data's units.
"""

from __future__ import annotations

import io
import json
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LinearRegression
from streamlit.testing.v1 import AppTest

import sgdcore
from tests.test_app_pages import button, no_exceptions, open_page
from tests.test_data_page import app, upload
from tests.test_lesson_export import run_script
from ui.datasets import CSV_KEY
from ui.errors import error_text_in
from ui.export import DATA_FILE, dataset_npz
from ui.i18n import text_in
from ui.messages import notice_text
from ui.predictions import (
    FILE_ROWS,
    ROWS_KEY,
    beyond_range_rows,
    incomplete_rows,
    input_columns,
    predictions,
    shown_names,
    starting_row,
    target_scores,
)
from ui.runner import TRAIN_RUN


def houses(rows: int = 40, seed: int = 0) -> pd.DataFrame:
    """Sizes, a text column of towns (Paris the most common) and prices linear in both, with a little noise."""
    rng = np.random.default_rng(seed)
    town = rng.choice(["Paris", "Lyon", "Nice"], size=rows, p=[0.5, 0.3, 0.2])
    size = rng.uniform(20, 120, size=rows).round(1)
    price = 3.0 * size + np.select([town == "Lyon", town == "Nice"], [-40.0, 25.0], 0.0) + 100 + rng.normal(size=rows)
    return pd.DataFrame({"town": town, "size": size, "price": price})


def test_a_text_column_is_one_input_of_its_values_with_its_baseline_first_where_its_first_column_was() -> None:
    data = sgdcore.dataset_from_frame(houses(), "price", non_numeric="onehot")
    assert data.feature_names == ("town=Nice", "town=Paris", "size")
    assert sgdcore.input_columns(data) == (sgdcore.InputColumn("town", ("Lyon", "Nice", "Paris")),
                                           sgdcore.InputColumn("size"))
    assert not sgdcore.input_columns(data)[0].is_number and sgdcore.input_columns(data)[1].is_number
    X = sgdcore.encode_rows({"size": [50, 60.5, "70"], "town": ["Lyon", "Paris", "Nice"]}, data)
    assert X.tolist() == [[0, 0, 50], [0, 1, 60.5], [1, 0, 70]]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.integers(15, 60), numbers=st.integers(0, 3), texts=st.lists(st.integers(2, 4), max_size=2),
       seed=st.integers(0, 2**32 - 1))
def test_the_training_rows_encoded_again_are_the_dataset_s_features_bit_for_bit(rows, numbers, texts, seed) -> None:
    assume(numbers + len(texts) > 0)
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"n{j}": rng.normal(size=rows) * 10.0 ** rng.integers(-3, 4) for j in range(numbers)})
    for j, count in enumerate(texts):
        frame.insert(int(rng.integers(0, frame.shape[1] + 1)), f"t{j}",
                     rng.choice([f"v{k}" for k in range(count)], size=rows))
    frame["y"] = rng.normal(size=rows)
    try:
        data = sgdcore.dataset_from_frame(frame, "y", non_numeric="onehot")
    except sgdcore.DataError:  # a text column of one value, or columns that depend on each other: no dataset
        assume(False)
    encoded = sgdcore.encode_rows(frame.drop(columns="y"), data)
    assert encoded.tobytes() == np.ascontiguousarray(data.X).tobytes()
    assert [column.name for column in sgdcore.input_columns(data)] == \
        [name for name in frame.columns if name != "y" and (name.startswith("n") or f"{name}=" in
                                                            " ".join(data.feature_names))]


@pytest.mark.parametrize("rows, problem, fields", [
    ({"size": [1.0]}, "rows_lack_columns", {"columns": ["town"]}),
    ({"size": [1.0, None], "town": ["Lyon", "Nice"]}, "row_value_missing", {"column": "size", "row": 2}),
    ({"size": [float("inf")], "town": ["Lyon"]}, "row_value_not_a_number", {"column": "size", "value": "inf"}),
    ({"size": [1.0], "town": [pd.NA]}, "row_value_missing", {"column": "town", "row": 1}),
    ({"size": ["big"], "town": ["Lyon"]}, "row_value_not_a_number", {"column": "size", "value": "big"}),
    ({"size": [1.0], "town": ["Rome"]}, "row_value_unknown", {"value": "Rome", "allowed": ["Lyon", "Nice", "Paris"]}),
])
def test_a_row_the_model_cannot_read_is_refused_with_what_to_do_in_both_languages(rows, problem, fields) -> None:
    data = sgdcore.dataset_from_frame(houses(), "price", non_numeric="onehot")
    with pytest.raises(sgdcore.DataError) as raised:
        sgdcore.encode_rows(rows, data)
    assert raised.value.problem == problem
    assert fields.items() <= raised.value.fields.items()
    english, chinese = error_text_in("en", raised.value), error_text_in("zh-CN", raised.value)
    assert english.replace("'", "") == str(raised.value).replace("'", "")  # the page quotes a list's items less
    assert chinese != english and ("第" in chinese or "缺少" in chinese)


def test_a_table_of_rows_is_checked_to_the_model_s_columns_its_empty_cells_left_empty() -> None:
    data = sgdcore.dataset_from_frame(houses(), "price", non_numeric="onehot")
    table = pd.DataFrame({"price": [1.0, 2.0, 3.0, 4.0], "size": ["55", None, "  ", 7],
                          "note": ["a", "b", "c", "d"], "town": ["Nice", "Lyon", None, "Paris"]})
    rows = sgdcore.input_rows(table, data)
    assert rows.columns.tolist() == ["town", "size"]  # the model's order; the others left out
    assert rows["town"].tolist() == ["Nice", "Lyon", None, "Paris"]
    np.testing.assert_array_equal(rows["size"], [55.0, np.nan, np.nan, 7.0])  # text of spaces alone is empty
    assert rows["size"].dtype == float and rows.index.tolist() == [0, 1, 2, 3]
    complete = rows.dropna()
    np.testing.assert_array_equal(sgdcore.encode_rows(complete, data),
                                  sgdcore.encode_rows({"town": ["Nice", "Paris"], "size": [55, 7]}, data))
    with pytest.raises(sgdcore.DataError) as raised:
        sgdcore.encode_rows(rows, data)
    assert (raised.value.problem, raised.value.fields) == ("row_value_missing", {"column": "size", "row": 2})
    for bad, problem in (({"size": ["big"], "town": [None]}, "row_value_not_a_number"),
                         ({"size": [None], "town": ["Rome"]}, "row_value_unknown"),
                         ({"size": [1.0]}, "rows_lack_columns"),
                         ({"Size ": [1.0], "town": ["Nice"]}, "rows_columns_misnamed")):
        with pytest.raises(sgdcore.DataError) as raised:
            sgdcore.input_rows(bad, data)
        assert raised.value.problem == problem
    assert raised.value.fields == {"columns": ["size"], "named": ["Size "]}  # a header typed otherwise, named


def test_the_cells_the_model_cannot_read_are_named_row_by_row_and_read_as_empty_apart_from_empty_cells() -> None:
    data = sgdcore.dataset_from_frame(houses(), "price", non_numeric="onehot")
    table = pd.DataFrame({"size": ["55", "big", None, "1e999", 7.0, "-inf"],
                          "town": ["Rome", "Nice", "  ", "Lyon", "Paris", "Nantes"], "note": ["?"] * 6},
                         index=range(100, 106))  # rows are numbered by their place, from 1
    read = sgdcore.read_rows(table, data)
    found = read.unreadable
    assert all(type(error.fields["row"]) is int for error in found)
    # Row by row, then in the model's columns' order (town before size); empty cells are not among them
    assert [(error.problem, error.fields["row"], error.fields["column"], error.fields["value"]) for error in found] == [
        ("row_value_unknown", 1, "town", "Rome"), ("row_value_not_a_number", 2, "size", "big"),
        ("row_value_not_a_number", 4, "size", "1e999"), ("row_value_unknown", 6, "town", "Nantes"),
        ("row_value_not_a_number", 6, "size", "-inf")]
    # Each is the error a row of that cell alone raises, word for word
    for error in found:
        alone = table.iloc[[error.fields["row"] - 1]].copy()
        other = "size" if error.fields["column"] == "town" else "town"
        alone[other] = None
        with pytest.raises(sgdcore.DataError) as raised:
            sgdcore.input_rows(alone, data)
        assert (str(raised.value), raised.value.problem) == (str(error).replace(
            f"Row {error.fields['row']}'s", "Row 1's"), error.problem)
    # Left empty, they read as the same table with those cells emptied by hand; but only row 3's are empty cells
    emptied = table.copy()
    for error in found:
        emptied.iloc[error.fields["row"] - 1, emptied.columns.get_loc(error.fields["column"])] = None
    pd.testing.assert_frame_equal(read.frame, sgdcore.input_rows(emptied, data))
    assert sgdcore.read_rows(emptied, data).unreadable == ()
    assert read.empty.columns.tolist() == ["town", "size"]
    np.testing.assert_array_equal(read.empty.to_numpy(), [[False, False], [False, False], [True, True],
                                                          [False, False], [False, False], [False, False]])
    # Row 5 alone is predicted: the others hold a cell the model cannot read, or an empty one the data did not fill
    np.testing.assert_array_equal(read.complete, [False, False, False, False, True, False])
    np.testing.assert_array_equal(read.features(), sgdcore.encode_rows({"size": [7.0], "town": ["Paris"]}, data))
    with pytest.raises(sgdcore.DataError) as raised:  # input_rows refuses the table at the first
        sgdcore.input_rows(table, data)
    assert str(raised.value) == str(found[0])
    with pytest.raises(sgdcore.DataError) as raised:  # a column lacking is refused either way
        sgdcore.read_rows({"size": [1.0]}, data)
    assert raised.value.problem == "rows_lack_columns"


NUMBER_CELLS = [1, 1.5, -0.0, "2", " 3 ", "1e5", "1_000", "1,5", "about 3", "0x10", "inf", "-inf", "nan", "Infinity",
                float("inf"), np.float32(2.5), True, None, np.nan, pd.NA, "", "  "]
NUMBERS = [1, 1.5, -0.0, 1e300, float("inf"), float("-inf"), np.nan, None]  # a column of numbers, as a grid's
TEXT_CELLS = ["Nice", "Paris", "Lyon", " Nice", "nice", "Rome", 1, None, np.nan, pd.NA, "", "  "]


def cell_by_cell(cell, categories: tuple[str, ...]):
    """What a cell reads as, on its own terms: empty (None), a value, or "unreadable"."""
    if cell is None or (not isinstance(cell, str) and pd.isna(cell)) or (isinstance(cell, str) and not cell.strip()):
        return None
    if categories:
        return str(cell) if str(cell) in categories else "unreadable"
    try:
        value = float(cell)
    except ValueError:
        return "unreadable"
    return value if np.isfinite(value) else "unreadable"


@settings(max_examples=80, deadline=None)
@given(kind=st.sampled_from(["object", "float64", "Float64"]), data=st.data())
def test_a_table_of_cells_reads_as_each_cell_reads_alone(kind: str, data) -> None:
    """The columns are read whole at NumPy's speed where their cells allow, and one by one elsewhere: the same
    values and the same cells refused as a reading of each cell by itself, whatever the column's dtype (text and
    numbers mixed, as a file's; floats; pandas' nullable floats, as the grid gives them)."""
    sizes = data.draw(st.lists(st.sampled_from(NUMBER_CELLS if kind == "object" else NUMBERS), min_size=1,
                               max_size=12))
    towns = data.draw(st.lists(st.sampled_from(TEXT_CELLS), min_size=len(sizes), max_size=len(sizes)))
    dataset = sgdcore.dataset_from_frame(houses(), "price", non_numeric="onehot")
    table = pd.DataFrame({"size": pd.Series(sizes, dtype=kind), "town": pd.Series(towns, dtype=object)})
    expected = {"size": [cell_by_cell(cell, ()) for cell in sizes],
                "town": [cell_by_cell(cell, ("Lyon", "Nice", "Paris")) for cell in towns]}
    read = sgdcore.read_rows(table, dataset)
    refused = {(error.fields["row"], error.fields["column"]) for error in read.unreadable}
    for name in ("size", "town"):
        for row, want in enumerate(expected[name]):
            got = read.frame[name].iloc[row]
            assert ((row + 1, name) in refused) == (want == "unreadable"), (name, row, want)
            assert bool(read.empty[name].iloc[row]) == (want is None), (name, row, want)
            if want is None or want == "unreadable":
                assert got is None or (isinstance(got, float) and np.isnan(got)), (name, row, got)
            else:
                assert got == want, (name, row, got, want)
    # The data filled no gaps: a row is predicted where both its cells read as values
    np.testing.assert_array_equal(read.complete, [all(expected[name][row] not in (None, "unreadable") for name in
                                                      ("size", "town")) for row in range(len(sizes))])
    complete = [row for row in range(len(sizes)) if read.complete[row]]
    np.testing.assert_array_equal(read.features(), sgdcore.encode_rows(
        {name: [expected[name][row] for row in complete] for name in ("size", "town")}, dataset))


def test_an_empty_cell_takes_the_mean_that_filled_the_data_s_gaps_in_its_column() -> None:
    frame = houses(80, seed=2)
    frame.loc[[3, 17], "size"] = np.nan
    frame.loc[[5], "town"] = None
    frame.loc[[9], "price"] = np.nan  # its row is dropped: its size and town count in no mean
    data = sgdcore.dataset_from_frame(frame, "price", missing="mean", non_numeric="onehot")
    kept = frame[frame["price"].notna()]
    columns = {column.name: column for column in sgdcore.input_columns(data)}
    assert columns["size"].features == ("size",) and columns["town"].features == ("town=Nice", "town=Paris")
    assert columns["size"].fill == (pytest.approx(kept["size"].mean(), rel=1e-14),)
    shares = kept["town"].value_counts() / kept["town"].notna().sum()
    np.testing.assert_allclose(columns["town"].fill, [shares["Nice"], shares["Paris"]], rtol=1e-14)
    # The rows' empty cells become those values, feature for feature, as the data's own gaps did
    size, (nice, paris) = columns["size"].fill[0], columns["town"].fill
    rows = {"size": [50.0, None, None], "town": [None, "Lyon", None]}
    np.testing.assert_array_equal(sgdcore.encode_rows(rows, data),
                                  [[nice, paris, 50.0], [0.0, 0.0, size], [nice, paris, size]])
    np.testing.assert_array_equal(data.X[[3, 5]], [[*data.X[3, :2], size], [nice, paris, data.X[5, 2]]])
    read = sgdcore.read_rows(rows, data)  # as the page reads its grid: every row complete, filled alike
    assert read.complete.all() and not read.unreadable and read.missing.columns.tolist() == []
    np.testing.assert_array_equal(read.features(), sgdcore.encode_rows(rows, data))
    # Where the data had no gap in a column, it has nothing to fill it with: an empty cell there is refused
    whole_sizes = sgdcore.dataset_from_frame(houses(80, seed=2).assign(town=frame["town"]), "price", missing="mean",
                                             non_numeric="onehot")
    assert [column.name for column in sgdcore.input_columns(whole_sizes) if column.fill] == ["town"]
    with pytest.raises(sgdcore.DataError) as raised:
        sgdcore.encode_rows({"size": [40.0, None], "town": [None, "Nice"]}, whole_sizes)
    assert (raised.value.problem, raised.value.fields) == ("row_value_missing", {"column": "size", "row": 2})
    read = sgdcore.read_rows({"size": [40.0, None], "town": [None, "Nice"]}, whole_sizes)
    np.testing.assert_array_equal(read.complete, [True, False])  # the second waits for its size
    assert read.missing.to_dict("list") == {"size": [False, True]}  # the first's empty town takes the shares
    np.testing.assert_array_equal(read.features(), sgdcore.encode_rows({"size": [40.0], "town": [None]}, whole_sizes))


def trained(problem: sgdcore.Problem, **config: object) -> sgdcore.Progress:
    *_, progress = sgdcore.train(problem.train, sgdcore.TrainConfig(**config), test=problem.test)
    return progress


def test_the_predictions_are_the_closed_form_s_and_the_run_s_model_applied_to_standardised_rows() -> None:
    data = sgdcore.dataset_from_frame(houses(200), "price", non_numeric="onehot")
    problem = sgdcore.make_problem(data, standardize=True, test_fraction=0.2, seed=3)
    progress = trained(problem, learning_rate=0.05, batch_size=8, epochs=5)
    comparison = problem.compare(progress.weights, progress.bias)
    rows = pd.DataFrame({"town": ["Nice", "Lyon", None, "Paris"], "size": [55.0, 80.25, 60.0, None]})

    frame = predictions(problem, comparison, rows)

    assert list(frame.columns) == ["town", "size", "sgd", "closed_form", "sgd_minus_closed_form"]
    complete = rows.dropna()
    X = sgdcore.encode_rows(complete, data)
    exact = LinearRegression().fit(problem.raw_train.X, problem.raw_train.y).predict(X)
    np.testing.assert_allclose(frame["closed_form"].iloc[:2], exact, rtol=1e-9)
    scaler = problem.scaler
    standardised = (X - scaler.feature_mean) / scaler.feature_std
    in_model_units = standardised @ progress.weights + progress.bias
    np.testing.assert_allclose(frame["sgd"].iloc[:2], in_model_units * scaler.target_std + scaler.target_mean,
                               rtol=1e-9)
    np.testing.assert_array_equal(frame["sgd_minus_closed_form"], frame["sgd"] - frame["closed_form"])
    assert frame[["sgd", "closed_form"]].iloc[2:].isna().all(axis=None)
    assert incomplete_rows(sgdcore.read_rows(rows, data).missing) == {3: ["town"], 4: ["size"]}
    assert frame["closed_form"].iloc[0] == pytest.approx(3 * 55 + 25 + 100, abs=1.5)  # the prices' own law


def test_synthetic_data_is_predicted_by_its_truth_too_and_a_model_not_finite_by_the_closed_form_alone() -> None:
    problem = sgdcore.make_problem(sgdcore.synthetic(), test_fraction=0.2)
    progress = trained(problem)
    rows = pd.DataFrame({"x1": [1.0], "x2": [2.0]})
    frame = predictions(problem, problem.compare(progress.weights, progress.bias), rows)
    assert frame["truth"].tolist() == [2.0 * 1 - 3.4 * 2 + 4.2]
    assert frame["closed_form"].iloc[0] == pytest.approx(-0.6, abs=0.01)
    assert frame["sgd"].iloc[0] == pytest.approx(float(progress.weights @ [1, 2] + progress.bias), rel=1e-12)
    overflowed = problem.compare(np.array([np.inf, 1.0]), 0.0)
    frame = predictions(problem, overflowed, rows)
    assert frame[["sgd", "sgd_minus_closed_form"]].isna().all(axis=None)
    assert frame["closed_form"].iloc[0] == pytest.approx(-0.6, abs=0.01)


# Inputs far beyond the data's: 2e308 and -5.4e308 are beyond float64; -1.4e308 and -1.7e308 are not, though the
# first overflows on the way (2·1e308 before −3.4·1e308 comes); a row of all 1e308 in a column alone stays finite.
HUGE_ROWS = pd.DataFrame({"x1": [1e308, 1.0, 1e308, -1e308, 1e300, 0.0, 1e308],
                          "x2": [1.0, 2.0, 1e308, 1e308, 0.0, 5e307, 1e308 / 3.4]})


def exact_prediction(row: pd.Series, params: np.ndarray) -> Fraction:
    """Brute force: the prediction in exact rational arithmetic, which cannot overflow."""
    return sum((Fraction(float(x)) * Fraction(float(w)) for x, w in zip(row, params[:-1], strict=True)),
               Fraction(float(params[-1])))


def test_a_prediction_beyond_float64_is_empty_and_named_and_one_that_only_overflowed_on_the_way_is_kept() -> None:
    problem = sgdcore.make_problem(sgdcore.synthetic(), test_fraction=0.2)
    progress = trained(problem)
    comparison = problem.compare(progress.weights, progress.bias)
    read = sgdcore.read_rows(HUGE_ROWS, problem.raw_train)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy overflow warning for the server's log
        frame = predictions(problem, comparison, HUGE_ROWS, read)
    largest = Fraction(float(np.finfo(np.float64).max))
    beyond = []
    for number, row in HUGE_ROWS.iterrows():
        exact = {name: exact_prediction(row, params)
                 for name, params in (("sgd", comparison.sgd), ("closed_form", comparison.closed_form),
                                      ("truth", comparison.truth))}
        if any(abs(value) > largest for value in exact.values()):
            beyond.append(number + 1)
        for name, value in exact.items():
            if abs(value) > largest:
                assert np.isnan(frame[name].iloc[number]), (number, name)
            else:
                assert frame[name].iloc[number] == pytest.approx(float(value), rel=1e-12), (number, name)
    assert beyond == [1, 4]  # the brute force's verdict, which this data was chosen to give
    assert beyond_range_rows(frame, read, comparison) == beyond
    assert frame["sgd_minus_closed_form"].isna().tolist() == [True, False, False, True, False, False, False]
    # A diverged run's own empty predictions are said by the page's other warning, not as rows beyond the range
    diverged = problem.compare(np.array([np.inf, 1.0]), 0.0)
    assert beyond_range_rows(predictions(problem, diverged, HUGE_ROWS, read), read, diverged) == [1, 4]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_export_page_names_the_rows_whose_predictions_are_beyond_float64_and_predicts_the_others(
        lang: str) -> None:
    at = upload_rows(export_after_a_run(lang=lang), "huge.csv", HUGE_ROWS.to_csv(index=False).encode())
    no_exceptions(at)
    assert not at.error
    expected = [text_in(lang, "export.predict_beyond_range", row=row, largest="1.8e308") for row in (1, 4)]
    assert [warning.value for warning in at.warning] == expected
    if lang == "en":
        assert expected[0] == ("Row 1's prediction is beyond ±1.8e308, the largest number the page can hold: its "
                               "inputs are far outside the data's. Correct them in the grid for a prediction.")
    rows, shown = predict_section(at)
    made = shown.iloc[:, rows.shape[1]:rows.shape[1] + 3]
    assert made.isna().any(axis=1).tolist() == [True, False, False, True, False, False, False]
    progress = at.session_state[TRAIN_RUN]["progress"]
    assert made.iloc[2, 0] == pytest.approx(float(exact_prediction(HUGE_ROWS.iloc[2], np.append(
        progress.weights, progress.bias))), rel=1e-12)
    # Six rows beyond it: five named, the sixth counted
    many = pd.DataFrame({"x1": [1e308] * 6 + [1.0], "x2": [1.0] * 7})
    at = upload_rows(at, "huger.csv", many.to_csv(index=False).encode())
    assert [warning.value for warning in at.warning] == [
        *(text_in(lang, "export.predict_beyond_range", row=row, largest="1.8e308") for row in range(1, 6)),
        text_in(lang, "export.predict_beyond_range_more", count=1, largest="1.8e308")]


def test_the_starting_row_is_the_training_means_and_the_most_common_value() -> None:
    data = sgdcore.dataset_from_frame(houses(300), "price", non_numeric="onehot")
    problem = sgdcore.make_problem(data, standardize=True, test_fraction=0.25)
    row = starting_row(problem, input_columns(problem))
    raw = problem.raw_train
    assert row["size"] == float(f"{raw.X[:, 2].mean():.4g}")
    shares = {"Lyon": 1 - raw.X[:, :2].sum(axis=1).mean(), "Nice": raw.X[:, 0].mean(), "Paris": raw.X[:, 1].mean()}
    assert row["town"] == max(shares, key=shares.get) == "Paris"


def predict_section(at: AppTest) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Export page's rows of inputs (its editor) and its table of predictions."""
    editors = at.data_editor
    assert len(editors) == 1, "no editor of rows on the Export page"
    rows = editors[0].value
    tables = [frame.value for frame in at.dataframe]  # the coefficients' table, then the predictions'
    return rows, next(table for table in tables
                      if table.shape[1] > rows.shape[1] and table.columns[0] == rows.columns[0])


def test_the_export_page_predicts_its_starting_row_as_the_run_the_closed_form_and_the_truth_do() -> None:
    at = app()
    at = button(at, "Train").click().run()
    at = open_page(at, "export")
    no_exceptions(at)
    rows, shown = predict_section(at)
    problem = sgdcore.make_problem(sgdcore.synthetic(), test_fraction=0.2)
    means = problem.raw_train.X.mean(axis=0)
    assert rows.to_dict("records") == [{"x1": float(f"{means[0]:.4g}"), "x2": float(f"{means[1]:.4g}")}]
    x1, x2 = rows.iloc[0]
    progress = at.session_state[TRAIN_RUN]["progress"]
    assert shown["truth"].iloc[0] == pytest.approx(2.0 * x1 - 3.4 * x2 + 4.2, rel=1e-12)
    assert shown["sgd"].iloc[0] == pytest.approx(float(progress.weights @ [x1, x2] + progress.bias), rel=1e-12)
    optimum = problem.optimum
    assert shown["closed_form"].iloc[0] == pytest.approx(float(optimum.weights @ [x1, x2] + optimum.bias), rel=1e-9)
    assert "Predictions (CSV)" in [download.label for download in at.get("download_button")]
    assert any("prediction of y by the last run" in caption.value for caption in at.caption)
    assert not [warning.value for warning in at.warning if "diverged" in warning.value]


def test_a_diverged_run_s_predictions_are_said_to_be_far_off() -> None:
    at = app(learning_rate="50", batch_size="1", epochs="1")
    at = button(at, "Train").click().run()
    assert at.session_state[TRAIN_RUN]["progress"].status == "diverged"
    at = open_page(at, "export")
    no_exceptions(at)
    _, shown = predict_section(at)
    assert np.isfinite(shown["sgd"].iloc[0]) and abs(shown["sgd_minus_closed_form"].iloc[0]) > 1
    assert any(warning.value.startswith("The last run diverged") for warning in at.warning)


def test_a_csv_with_a_text_column_is_predicted_from_its_most_common_value_in_chinese() -> None:
    frame = houses(60, seed=4)
    at = upload(open_page(app(lang="zh-CN", standardize="true", learning_rate="0.1", epochs="20"), "data"),
                "houses.csv", frame.to_csv(index=False).encode())
    no_exceptions(at)
    next(widget for widget in at.radio if widget.key and widget.key.startswith("keep_non_numeric_")) \
        .set_value("onehot").run()
    at = button(at, "使用这个数据集").click().run()
    no_exceptions(at)
    data = at.session_state[CSV_KEY]["dataset"]
    at = open_page(at, "train")
    at = button(at, "训练").click().run()
    at = open_page(at, "export")
    no_exceptions(at)
    rows, shown = predict_section(at)
    assert rows.columns.tolist() == ["town", "size"] and rows["town"].tolist() == ["Paris"]
    assert at.session_state[TRAIN_RUN]["progress"].status == "finished"
    assert not [warning.value for warning in at.warning if "发散" in warning.value]
    assert shown["SGD"].iloc[0] == pytest.approx(shown["闭式解"].iloc[0], rel=1e-3)
    assert {"SGD", "闭式解", "SGD − 闭式解"} <= set(shown.columns) and "真实值" not in shown.columns
    train_rows = sgdcore.make_problem(data, test_fraction=0.2).raw_train
    exact = LinearRegression().fit(train_rows.X, train_rows.y).predict(sgdcore.encode_rows(rows, data))
    assert shown["闭式解"].iloc[0] == pytest.approx(exact[0], rel=1e-9)
    assert any("对 price 的预测" in caption.value for caption in at.caption)
    # The lesson's question on Predict answers for the same starting row: the closed form's prediction is the table's.
    at.toggle(key="lesson_export_predict").set_value(True).run()
    no_exceptions(at)
    answer = next(info.value for info in at.info if "对起始行" in info.value)
    assert "town = Paris" in answer and "真实的 w 和 b" not in answer
    assert f"闭式解预测 {shown['闭式解'].iloc[0]:.6g}" in answer, answer


def test_rows_kept_from_a_visit_come_back_and_many_incomplete_ones_are_named_five_at_a_time() -> None:
    at = app()
    at = button(at, "Train").click().run()
    at = open_page(at, "export")
    data_key, _ = at.session_state[ROWS_KEY]
    rows = pd.DataFrame({"x1": [1.0, *[None] * 8], "x2": [2.0, None, *[2.0] * 7]})
    at.session_state[ROWS_KEY] = (data_key, rows)  # as the editor left them on the last visit
    at = open_page(open_page(at, "train"), "export")
    no_exceptions(at)
    shown_rows, shown = predict_section(at)
    pd.testing.assert_frame_equal(shown_rows, rows)
    assert shown["truth"].iloc[0] == pytest.approx(-0.6) and shown["truth"].iloc[1:].isna().all()
    assert [warning.value for warning in at.warning] == [
        "Row 2 has no value for x1, x2: fill it in for its prediction.",
        *(f"Row {row} has no value for x1: fill it in for its prediction." for row in range(3, 7)),
        "3 more rows have empty cells, and no prediction until they are filled in."]


def test_inputs_named_as_a_prediction_keep_their_values_and_the_headers_stay_distinct() -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"sgd": rng.normal(size=50), "SGD": rng.normal(size=50)})
    frame["y"] = 3 * frame["sgd"] - frame["SGD"] + 0.5
    data = sgdcore.dataset_from_frame(frame, "y")
    problem = sgdcore.make_problem(data, test_fraction=0.2)
    progress = trained(problem, learning_rate=0.1, epochs=20)
    rows = pd.DataFrame({"sgd": [1.0], "SGD": [2.0]})
    predicted = predictions(problem, problem.compare(progress.weights, progress.bias), rows)
    assert predicted.columns.tolist() == ["sgd", "SGD", "sgd (prediction)", "closed_form", "sgd_minus_closed_form"]
    assert predicted[["sgd", "SGD"]].iloc[0].tolist() == [1.0, 2.0]
    assert predicted["closed_form"].iloc[0] == pytest.approx(3 * 1 - 2 + 0.5)
    zh = {"sgd": "SGD", "closed_form": "闭式解", "sgd_minus_closed_form": "SGD − 闭式解"}
    headers = shown_names(predicted, 2, zh)
    assert headers == ["sgd", "SGD", "sgd (prediction)", "闭式解", "SGD − 闭式解"]
    assert len(set(headers)) == len(headers)


def export_after_a_run(**params: str) -> AppTest:
    """The Export page after Train on the default data (with the share-link ``params``)."""
    at = app(**params)
    return open_page(button(at, "训练" if params.get("lang") == "zh-CN" else "Train").click().run(), "export")


def upload_rows(at: AppTest, name: str, content: bytes) -> AppTest:
    """Upload a file into the Predict section's uploader (the Export page's only one)."""
    assert len(at.file_uploader) == 1
    return at.file_uploader[0].set_value((name, content, "text/csv")).run()


def test_a_file_of_rows_replaces_the_grid_s_rows_and_is_predicted_and_a_bad_one_leaves_them() -> None:
    at = export_after_a_run()
    # Columns in another order, the target and a note beside them, an empty cell: as a file of new rows comes.
    at = upload_rows(at, "new rows.csv", b"y,x2,note,x1\n0,2,a,1\n0,,b,3\n0,0.5,,0\n")
    no_exceptions(at)
    rows, shown = predict_section(at)
    # The inputs, then the file's other columns, read-only, to read the predictions by (the target, an identifier).
    expected = pd.DataFrame({"x1": [1.0, 3.0, 0.0], "x2": [2.0, np.nan, 0.5], "y": [0, 0, 0],
                             "note": ["a", "b", None]})
    pd.testing.assert_frame_equal(rows, expected)
    assert shown.columns.tolist() == ["x1", "x2", "y", "note", "sgd", "closed_form", "truth", "sgd_minus_closed_form"]
    np.testing.assert_allclose(shown["truth"], [2 - 6.8 + 4.2, np.nan, 4.2 - 1.7], rtol=1e-12)
    progress = at.session_state[TRAIN_RUN]["progress"]
    assert shown["sgd"].iloc[2] == pytest.approx(float(progress.weights @ [0, 0.5] + progress.bias), rel=1e-12)
    loaded = "The grid above now holds the rows of **new rows.csv** (3), in place of its own"
    said = [caption.value for caption in at.caption if caption.value.startswith(loaded)]
    assert said and said[0].endswith("Its other columns (y, note) follow the inputs, read-only, here and in the "
                                      "download: the model does not read them.")
    # Row 3's empty note is no input: it is predicted, and only row 2 is said.
    assert [warning.value for warning in at.warning] == ["Row 2 has no value for x2: fill it in for its prediction."]
    # Empty cells show empty in the grid and the predictions, not as Streamlit's English "None"
    predictions_table = next(table for table in at.dataframe if table.value.columns.tolist() == shown.columns.tolist())
    assert all(table.proto.HasField("placeholder") and table.proto.placeholder == ""
               for table in (at.data_editor[0], predictions_table))

    # A file the model cannot read is said, and the grid keeps the rows it had.
    for name, content, error in (
            ("no x2.csv", b"x1,y\n1,2\n",
             "no x2.csv: The rows lack the column(s) 'x2' that the model reads: add them."),
            ("long.csv", ("x1,x2\n" + "1,2\n" * (FILE_ROWS + 1)).encode(),
             f"**long.csv** has {FILE_ROWS + 1:,} rows, and the grid takes up to {FILE_ROWS:,}. Split it into files of "
             f"up to {FILE_ROWS:,} rows, or predict it in Python")):
        at = upload_rows(at, name, content)
        no_exceptions(at)
        assert len(at.error) == 1 and at.error[0].value.startswith(error), at.error[0].value
        assert "The grid keeps its rows." in [caption.value for caption in at.caption]
        pd.testing.assert_frame_equal(predict_section(at)[0], expected)
    # Another visit starts with the uploader empty and says nothing of the last file; the rows stay.
    at = open_page(open_page(at, "train"), "export")
    assert not at.error and not [caption for caption in at.caption
                                 if caption.value.startswith(("The grid above now holds", "The grid keeps"))]
    pd.testing.assert_frame_equal(predict_section(at)[0], expected)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_cell_the_model_cannot_read_stays_as_written_and_withholds_its_row_alone_until_corrected(lang: str) -> None:
    at = export_after_a_run(lang=lang)
    at = upload_rows(at, "typed.csv", b"id,x1,x2\na,1,2\nb,about 3,2\nc,,-inf\nd,0.5,1\n")
    no_exceptions(at)
    assert not at.error  # the file is loaded: its other rows are predicted
    rows, shown = predict_section(at)
    # The columns with such a cell are edited as text, each cell as the file wrote it, to be corrected in place
    assert rows["x1"].tolist()[:2] == ["1", "about 3"] and pd.isna(rows["x1"].iloc[2])
    assert rows["x2"].iloc[2] == "-inf"
    kinds = {name: column.get("type_config", {}).get("type")
             for name, column in json.loads(at.data_editor[0].proto.columns).items()}
    assert (kinds["x1"], kinds["x2"]) == ("text", "text")
    progress = at.session_state[TRAIN_RUN]["progress"]

    def sgd_of(x1: float, x2: float) -> float:
        return float(progress.weights @ [x1, x2] + progress.bias)

    made = shown.iloc[:, rows.shape[1]:rows.shape[1] + 3]  # sgd, closed_form, truth, under the page's labels
    assert made.iloc[0, 0] == pytest.approx(sgd_of(1, 2), rel=1e-12)
    assert made.iloc[3, 0] == pytest.approx(sgd_of(0.5, 1), rel=1e-12)
    assert made.iloc[1:3].isna().all(axis=None) and made.iloc[[0, 3]].notna().all(axis=None)
    unread = [sgdcore.DataError("", "row_value_not_a_number", column="x1", row=2, value="about 3"),
              sgdcore.DataError("", "row_value_not_a_number", column="x2", row=3, value="-inf")]
    expected = [text_in(lang, "export.predict_incomplete", row=3, columns="x1"),
                *(text_in(lang, "export.predict_unreadable", problem=error_text_in(lang, error)) for error in unread)]
    assert [warning.value for warning in at.warning] == expected
    if lang == "en":
        assert expected[1] == ("Row 2's 'x1' is 'about 3', not a finite number: type a number. Its row has no "
                               "prediction until the cell is corrected in the grid.")
    else:
        assert expected[1].startswith("表格第 2 行的 'x1' 是 'about 3'") and "改正" in expected[1]

    # Corrected in the grid, the rows are predicted, and nothing more is said
    at.session_state[at.data_editor[0].key] = {"edited_rows": {1: {"x1": "3"}, 2: {"x1": "0", "x2": " 1.5"}},
                                               "added_rows": [], "deleted_rows": []}
    at = at.run()
    no_exceptions(at)
    rows, shown = predict_section(at)
    np.testing.assert_allclose(shown.iloc[:, rows.shape[1]], [sgd_of(1, 2), sgd_of(3, 2), sgd_of(0, 1.5),
                                                              sgd_of(0.5, 1)], rtol=1e-12)
    assert not at.warning and not at.error
    # On the next visit the columns are numbers again
    at = open_page(open_page(at, "train"), "export")
    rows, _ = predict_section(at)
    assert rows[["x1", "x2"]].dtypes.tolist() == [np.float64, np.float64]
    assert rows["x2"].tolist() == [2.0, 2.0, 1.5, 1.0]


def test_every_download_leaves_the_page_as_it_is_without_running_it_again() -> None:
    at = upload_rows(export_after_a_run(), "rows.csv", ("x1,x2\n" + "1,2\n" * 500).encode())
    downloads = at.get("download_button")
    assert {"Predictions (CSV)", "The script (run.py)", "Configuration (JSON)"} <= {item.label for item in downloads}
    assert all(item.proto.ignore_rerun for item in downloads), [item.label for item in downloads
                                                               if not item.proto.ignore_rerun]


def test_a_cell_pasted_as_text_that_is_no_number_withholds_its_row_and_the_page_goes_on() -> None:
    at = export_after_a_run()
    data_key, _ = at.session_state[ROWS_KEY]
    at.session_state[ROWS_KEY] = (data_key, pd.DataFrame({"x1": ["1,5", "2"], "x2": [2.0, 1.0]}, dtype=object))
    at = open_page(open_page(at, "train"), "export")
    no_exceptions(at)
    assert not at.error
    assert [warning.value for warning in at.warning] == [
        "Row 1's 'x1' is '1,5', not a finite number: type a number. Its row has no prediction until the cell is "
        "corrected in the grid."]
    progress = at.session_state[TRAIN_RUN]["progress"]
    _, shown = predict_section(at)
    assert np.isnan(shown["sgd"].iloc[0])
    assert shown["sgd"].iloc[1] == pytest.approx(float(progress.weights @ [2, 1] + progress.bias), rel=1e-12)
    assert "The script (run.py)" in [download.label for download in at.get("download_button")]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_many_cells_the_model_cannot_read_are_named_five_at_a_time_and_the_others_counted(lang: str) -> None:
    lines = "".join(f"{'about 3' if row % 2 else row},{'big' if row < 6 else 1}\n" for row in range(12))
    at = upload_rows(export_after_a_run(lang=lang), "messy.csv", ("x1,x2\n" + lines).encode())
    no_exceptions(at)
    found = [(row + 1, column) for row in range(12) for column, bad in (("x1", row % 2), ("x2", row < 6)) if bad]
    assert len(found) == 12  # rows 1–6 have "big" in x2, and every even row "about 3" in x1
    warnings = [warning.value for warning in at.warning if warning.icon == "✏️"]
    expected = [text_in(lang, "export.predict_unreadable", problem=error_text_in(lang, sgdcore.DataError(
        "", "row_value_not_a_number", column=column, row=row, value="about 3" if column == "x1" else "big")))
        for row, column in found[:5]]
    assert warnings == [*expected, text_in(lang, "export.predict_unreadable_more", count=7)]
    _, shown = predict_section(at)
    predicted = shown.iloc[:, 2].notna().to_numpy()
    assert predicted.tolist() == [row >= 6 and row % 2 == 0 for row in range(12)]


def test_a_workbook_of_rows_with_a_text_column_is_loaded_in_chinese() -> None:
    frame = houses(60, seed=4)
    at = upload(open_page(app(lang="zh-CN", standardize="true", learning_rate="0.1", epochs="20"), "data"),
                "houses.csv", frame.to_csv(index=False).encode())
    next(widget for widget in at.radio if widget.key and widget.key.startswith("keep_non_numeric_")) \
        .set_value("onehot").run()
    at = button(at, "使用这个数据集").click().run()
    at = button(open_page(at, "train"), "训练").click().run()
    at = open_page(at, "export")
    book = openpyxl.Workbook()
    for line in (["size", "town"], [50, "Nice"], [80.5, "Lyon"]):
        book.active.append(line)
    buffer = io.BytesIO()
    book.save(buffer)
    at = upload_rows(at, "新房.xlsx", buffer.getvalue())
    no_exceptions(at)
    rows, shown = predict_section(at)
    assert rows.to_dict("records") == [{"town": "Nice", "size": 50.0}, {"town": "Lyon", "size": 80.5}]
    data = at.session_state[CSV_KEY]["dataset"]
    train_rows = sgdcore.make_problem(data, test_fraction=0.2).raw_train
    exact = LinearRegression().fit(train_rows.X, train_rows.y).predict(sgdcore.encode_rows(rows, data))
    np.testing.assert_allclose(shown["闭式解"], exact, rtol=1e-9)
    assert "**新房.xlsx** 的 2 行已放入上面的表格，替换了原来的行：可以在那里编辑，或在下面下载它们的预测。" in [
        caption.value for caption in at.caption]  # no other columns to keep beside the inputs
    # A town the data did not hold is loaded as written, said, and its row waits for a town the model knows
    at = upload_rows(at, "罗马.csv", b"size,town\n50,Rome\n60,Nice\n")
    no_exceptions(at)
    assert not at.error
    assert [warning.value for warning in at.warning][1:] == [  # after the share link's word on the upload
        "表格第 1 行的 'town' 是 'Rome'，数据中没有这个值：请从 Lyon、Nice、Paris 中选择一个。"
        "在表格中改正这个单元格之前，该行没有预测。"]
    rows, shown = predict_section(at)
    assert rows["town"].tolist() == ["Rome", "Nice"]
    assert np.isnan(shown["闭式解"].iloc[0])
    assert shown["闭式解"].iloc[1] == pytest.approx(float(LinearRegression().fit(train_rows.X, train_rows.y).predict(
        sgdcore.encode_rows({"town": ["Nice"], "size": [60]}, data))[0]), rel=1e-9)
    # One of the towns the warning names, typed into the cell, is read as that town: the row is predicted, unsaid
    at.session_state[at.data_editor[0].key] = {"edited_rows": {0: {"town": "Paris"}}, "added_rows": [],
                                               "deleted_rows": []}
    at = at.run()
    no_exceptions(at)
    assert not at.error and len(at.warning) == 1  # the share link's word on the upload alone
    _, shown = predict_section(at)
    exact = LinearRegression().fit(train_rows.X, train_rows.y).predict(
        sgdcore.encode_rows({"town": ["Paris", "Nice"], "size": [50, 60]}, data))
    np.testing.assert_allclose(shown["闭式解"], exact, rtol=1e-9)


def test_a_file_s_target_scores_each_model_on_its_complete_rows_as_brute_force_does() -> None:
    at = export_after_a_run()
    # y as the data's law with noise, a row without x2, a row without y, a row whose y is no number: two rows count.
    at = upload_rows(at, "held out.csv", b"id,y,x2,x1\na,-0.59,2,1\nb,1,,3\nc,,0.5,0\nd,2.83,1,1\ne,n/a,1,2\n")
    no_exceptions(at)
    _, shown = predict_section(at)
    scores = next(frame.value for frame in at.dataframe if "mean squared error" in frame.value.columns)
    actual = np.array([-0.59, 2.83])
    assert scores.index.tolist() == ["sgd", "closed_form", "truth"]
    for model in ("sgd", "closed_form", "truth"):
        made = shown[model].to_numpy()[[0, 3]]
        mse = float(np.mean((made - actual) ** 2))
        r2 = 1 - float(np.sum((made - actual) ** 2)) / float(np.sum((actual - actual.mean()) ** 2))
        assert scores.loc[model, "mean squared error"] == pytest.approx(mse, rel=1e-12)
        assert scores.loc[model, "R²"] == pytest.approx(r2, rel=1e-12)
    assert any(caption.value.startswith("The grid holds y, the target, for 2 complete rows") for caption in at.caption)

    # One row with y: R² is undefined and not shown, and the caption says why, in Chinese too.
    at = upload_rows(export_after_a_run(lang="zh-CN"), "一行.csv", b"x1,x2,y\n1,2,-0.6\n")
    no_exceptions(at)
    scores = next(frame.value for frame in at.dataframe if "均方误差" in frame.value.columns)
    assert scores.columns.tolist() == ["均方误差"] and scores.index.tolist() == ["SGD", "闭式解", "真实值"]
    assert scores.loc["真实值", "均方误差"] == pytest.approx(0.0, abs=1e-24)
    assert any(caption.value.startswith("表格中有 1 个完整的行带有目标 y") and "R² 无定义" in caption.value
               for caption in at.caption)


def test_a_diverged_run_scores_infinite_and_rows_without_the_target_are_not_scored() -> None:
    problem = sgdcore.make_problem(sgdcore.synthetic(), test_fraction=0.2)
    rows = pd.DataFrame({"x1": [1.0, 0.0], "x2": [2.0, 1.0], "y": [-0.6, 0.8]})
    overflowed = predictions(problem, problem.compare(np.array([np.inf, 1.0]), 0.0), rows)
    count, scores = target_scores(rows, overflowed, "y")
    assert count == 2 and scores.loc["sgd"].tolist() == [np.inf, -np.inf]
    assert scores.loc["truth", "mse"] == pytest.approx(0.0, abs=1e-24) and scores.loc["truth", "r2"] == 1.0
    assert target_scores(rows.drop(columns="y"), predictions(problem, problem.compare(np.ones(2), 0.0),
                                                             rows.drop(columns="y")), "y") is None
    blank = rows.assign(y=[None, None])
    assert target_scores(blank, predictions(problem, problem.compare(np.ones(2), 0.0), blank), "y") is None


def export_after_training_on(frame: pd.DataFrame, lang: str = "en") -> AppTest:
    """The Export page after Train on ``frame`` uploaded on the Data page, its text one-hot encoded and its gaps filled
    with the column mean, standardised, at a rate and for epochs that bring SGD to the closed form."""
    english = lang == "en"
    at = upload(open_page(app(lang=lang, standardize="true", learning_rate="0.1", epochs="20"), "data"),
                "houses.csv", frame.to_csv(index=False).encode())
    for prefix, choice in (("keep_non_numeric_", "onehot"), ("keep_missing_", "mean")):
        next(widget for widget in at.radio if widget.key and widget.key.startswith(prefix)).set_value(choice).run()
    at = button(at, "Use this dataset" if english else "使用这个数据集").click().run()
    at = button(open_page(at, "train"), "Train" if english else "训练").click().run()
    return open_page(at, "export")


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_rows_with_empty_cells_are_predicted_with_the_means_that_filled_the_data_s_gaps(lang: str) -> None:
    english = lang == "en"
    frame = houses(60, seed=4)
    frame.loc[[2, 30], "size"] = np.nan
    at = upload_rows(export_after_training_on(frame, lang), "new.csv",
                     b"size,town,id\n,Nice,a\n60,,b\n,Lyon,c\nbig,Nice,d\n")
    no_exceptions(at)
    rows, shown = predict_section(at)
    assert rows["id"].tolist() == ["a", "b", "c", "d"]
    closed_form = shown["closed_form" if english else "闭式解"]
    assert closed_form[[0, 2]].notna().all() and np.isnan(closed_form[1])  # town had no gaps: row 2 waits for one
    # A size the model cannot read is no empty cell: its row waits for a number, not for the mean
    assert np.isnan(closed_form[3])
    assert [warning.value for warning in at.warning if "big" in warning.value] == [text_in(
        lang, "export.predict_unreadable", problem=error_text_in(lang, sgdcore.DataError(
            "", "row_value_not_a_number", column="size", row=4, value="big")))]
    # The closed form's predictions as scikit-learn's on the training rows, each empty size at the data's mean size
    data = at.session_state[CSV_KEY]["dataset"]
    train_rows = sgdcore.make_problem(data, test_fraction=0.2).raw_train
    mean_size = float(frame["size"].mean())
    features = pd.DataFrame({"town=Nice": [1.0, 0.0], "town=Paris": [0.0, 0.0], "size": [mean_size, mean_size]})
    exact = LinearRegression().fit(train_rows.X, train_rows.y).predict(features[list(data.feature_names)].to_numpy())
    np.testing.assert_allclose(closed_form[[0, 2]], exact, rtol=1e-9)
    filled = next(caption.value for caption in at.caption if ("Empty cells in size (2)" if english else
                                                              "size 中的空单元格（2 个）") in caption.value)
    assert filled.endswith(f"size → {mean_size:.6g}" + ("." if english else "。"))
    assert ("Fill with the column mean" if english else "用列均值填充") in filled
    assert [warning.value for warning in at.warning if "town" in warning.value] == [
        "Row 2 has no value for town: fill it in for its prediction." if english else
        "表格第 2 行缺少 town 的值：填上后即可得到它的预测。"]
    # The reading's notice counts the file's lines, header included; the warning, the grid's rows: told apart
    assert ("'town' has 1 missing value(s): an empty cell (line 3)." if english else
            "'town' 有 1 个缺失值：空单元格（文件第 3 行）。") in [caption.value for caption in at.caption]


def test_the_run_as_code_predicts_a_file_s_rows_as_the_page_does(tmp_path: Path) -> None:
    """The script under "The run as code" is the way the page offers for a file too long for the grid: its data
    encodes new rows as the page does, a text column one-hot and an empty cell at the mean that filled the data's
    gaps (the rows it reads beside it are the features already, which say neither)."""
    frame = houses(60, seed=4)
    frame.loc[[2, 30], "size"] = np.nan
    frame.loc[[7], "town"] = None
    new_rows = b"size,town\n,Nice\n61.5,\n80,Lyon\n"
    at = upload_rows(export_after_training_on(frame), "new rows.csv", new_rows)
    no_exceptions(at)
    _, shown = predict_section(at)
    script = next(code.value for code in at.code if code.value.startswith('"""The last run'))
    assert "'one_hot'" in script and "'missing_filled'" in script
    (tmp_path / DATA_FILE).write_bytes(dataset_npz(at.session_state[CSV_KEY]["dataset"]))
    (tmp_path / "new rows.csv").write_bytes(new_rows)
    code, closing = script.split("# import pandas as pd")  # its closing lines, commented out, as a reader runs them
    run_script(code + "import pandas as pd" + closing.replace("\n# ", "\n"), tmp_path)
    predicted = pd.read_csv(tmp_path / "predictions.csv")
    assert predicted.columns.tolist() == ["size", "town", "prediction"]
    np.testing.assert_allclose(predicted["prediction"], shown["sgd"], rtol=1e-12)
    assert shown["sgd"].notna().all()


def test_a_file_s_reading_is_said_as_the_data_page_says_it_and_a_header_alone_asks_for_rows_to_predict() -> None:
    at = export_after_a_run()
    # Excel's semicolons with a decimal comma, and a number written with '%': read as the Data page reads them
    at = upload_rows(at, "excel.csv", "x1;x2\n1,5;2%\n−2;25%\n".encode())
    no_exceptions(at)
    rows, _ = predict_section(at)
    pd.testing.assert_frame_equal(rows, pd.DataFrame({"x1": [1.5, -2.0], "x2": [2.0, 25.0]}))
    captions = [caption.value for caption in at.caption]
    read = sgdcore.read_table("x1;x2\n1,5;2%\n−2;25%\n".encode()).notices
    assert {notice.kind for notice in read} >= {"number_format", "percent_sign", "minus_sign"}
    for notice in read:
        assert notice_text(notice) in captions, (notice, captions)
    # A header alone: the rows to predict are asked for (the Data page asks for two rows to train on)
    at = upload_rows(at, "header.csv", b"x1,x2\n")
    assert [error.value for error in at.error] == [
        "**header.csv** has a header row but no rows below it: add the rows to predict, one per line."]
    pd.testing.assert_frame_equal(predict_section(at)[0], rows)
    at = upload_rows(export_after_a_run(lang="zh-CN"), "表头.csv", b"x1,x2\n")
    assert [error.value for error in at.error] == [
        "**表头.csv** 只有表头行，下面没有行：请在表头下添加要预测的行，每行一条。"]

"""Predicting a file of new rows, as the Export page's Predict does, against scikit-learn and a bare Streamlit page.

    python benchmarks/bench_predict.py                      # 10,000 rows: 5 numbers and a text column
    python benchmarks/bench_predict.py --rows 1000 --numbers 20 --repeat 3

A model is learned on ``--train-rows`` rows of ``--numbers`` number columns and a text column of three towns, one-hot
encoded; then a CSV of ``--rows`` new rows (the same columns and an identifier) is predicted, side by side in one run:

1. **In Python**, from the file's bytes to the predictions, the median of ``--repeat`` runs each:
   - the reference, ``pandas.read_csv`` and a fitted scikit-learn ``Pipeline`` (``OneHotEncoder`` then
     ``LinearRegression``) predicting;
   - the floor, ``X @ w + b`` on the rows already encoded, and ``pandas.read_csv`` alone;
   - sgdcore: ``read_table`` (the Data page's reader: encodings, delimiters, numbers as spreadsheets write them),
     ``encode_rows`` and ``predict``;
   - the page's predictions (``ui.predictions.predictions``: each cell checked, the cells it cannot read and the
     empty ones found, the run's and the closed form's predictions) on the rows once loaded.
2. **The page's rerun with the rows in its grid** (the server's part of an edit in the grid, under ``AppTest``: the
   whole script, with its grid and its table of predictions sent as Arrow tables; the browser's drawing is not
   counted; the scripts compiled once, as a server keeps them, where AppTest alone would compile them on each run):
   the Export page holding the file's rows, the same page holding its one starting row, and a bare Streamlit page of
   one ``st.data_editor`` over the same rows and one ``st.dataframe`` of their predictions.

It prints each time and its ratio to the reference. The grid takes up to 10,000 rows (``ui.predictions.FILE_ROWS``)
because each edit reruns this; a longer file is predicted by the script under "The run as code".
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from local_app import compiled_once

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sgdcore  # noqa: E402

TOWNS = ("Lyon", "Nice", "Paris")  # Lyon, the first, is the one-hot baseline
TOWN_EFFECTS = (0.0, 25.0, -40.0)


def frame_of(rows: int, numbers: int, seed: int) -> pd.DataFrame:
    """``rows`` rows of ``n0…`` numbers and a town, with ``y`` linear in them and a little noise."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(rows, numbers)).round(6), columns=[f"n{j}" for j in range(numbers)])
    town = rng.integers(0, len(TOWNS), rows)
    frame.insert(numbers // 2, "town", np.asarray(TOWNS)[town])
    weights = np.linspace(-2, 2, numbers)
    frame["y"] = frame[[f"n{j}" for j in range(numbers)]].to_numpy() @ weights + np.asarray(TOWN_EFFECTS)[town] \
        + 3 + rng.normal(scale=0.1, size=rows)
    return frame


def median_seconds(work: Callable[[], object], repeat: int) -> float:
    work()  # once first: imports and caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def in_python(train: pd.DataFrame, content: bytes, repeat: int) -> dict[str, float]:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    from ui.predictions import predictions

    inputs = [name for name in train.columns if name != "y"]
    reference = make_pipeline(ColumnTransformer([("town", OneHotEncoder(categories=[list(TOWNS)], drop="first"),
                                                  ["town"])], remainder="passthrough"), LinearRegression())
    reference.fit(train[inputs], train["y"])
    data = sgdcore.dataset_from_frame(train, "y", non_numeric="onehot")
    problem = sgdcore.make_problem(data, standardize=False, test_fraction=0.0)  # every row, as the reference's
    weights, bias = problem.optimum.weights, problem.optimum.bias
    comparison = problem.compare(weights, bias)  # the run's model as the closed form's: the page predicts with both
    table = sgdcore.read_table(content, "new rows.csv").frame
    rows = sgdcore.input_rows(table, problem.raw_train)
    X = sgdcore.encode_rows(rows, problem.raw_train)
    expected = reference.predict(pd.read_csv(io.BytesIO(content))[inputs])
    np.testing.assert_allclose(sgdcore.predict(X, weights, bias), expected, rtol=1e-9, atol=1e-9)  # the same models
    return {
        "scikit-learn: pandas.read_csv + Pipeline.predict (reference)": median_seconds(
            lambda: reference.predict(pd.read_csv(io.BytesIO(content))[inputs]), repeat),
        "floor: X @ w + b on the rows encoded": median_seconds(lambda: X @ weights + bias, repeat),
        "floor: pandas.read_csv alone": median_seconds(lambda: pd.read_csv(io.BytesIO(content)), repeat),
        "sgdcore: read_table + encode_rows + predict": median_seconds(
            lambda: sgdcore.predict(sgdcore.encode_rows(sgdcore.read_table(content, "new rows.csv").frame,
                                                        problem.raw_train), weights, bias), repeat),
        "the page's predictions of the rows loaded": median_seconds(
            lambda: predictions(problem, comparison, rows), repeat),
    }


BARE_PAGE = """
import numpy as np
import pandas as pd
import streamlit as st

rows = pd.read_pickle({path!r})
numbers = [name for name in rows.columns if name.startswith("n")]
edited = st.data_editor(rows, num_rows="dynamic", hide_index=True, key="rows")
weights = np.linspace(-2, 2, len(numbers))
st.dataframe(edited.assign(prediction=edited[numbers].to_numpy() @ weights + 3.0), hide_index=True)
"""


def export_page(train: pd.DataFrame, content: bytes | None) -> object:
    """A session of the dashboard on the Export page, after Train on ``train`` uploaded on the Data page (its text
    one-hot encoded), with the file ``content`` loaded into Predict's grid (else its one starting row)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600).run()
    at = at.switch_page("pages/data.py").run()
    at = at.file_uploader[0].set_value(("train.csv", train.to_csv(index=False).encode(), "text/csv")).run()
    next(radio for radio in at.radio if radio.key and radio.key.startswith("keep_non_numeric_")).set_value(
        "onehot").run()
    next(button for button in at.button if button.label == "Use this dataset").click().run()
    at = at.switch_page("pages/train.py").run()
    next(button for button in at.button if button.label == "Train").click().run()
    at = at.switch_page("pages/export.py").run()
    if content is not None:
        at = at.file_uploader[0].set_value(("new rows.csv", content, "text/csv")).run()
    assert not at.exception and len(at.data_editor) == 1, [exception.value for exception in at.exception]
    return at


def page_reruns(train: pd.DataFrame, content: bytes, repeat: int, directory: Path) -> dict[str, float]:
    """Each page's rerun, the median of ``repeat``, the three pages taking turns (a round of each, then the next)
    so that the machine's drift falls on all three alike."""
    from streamlit.testing.v1 import AppTest

    rows = pd.read_csv(io.BytesIO(content))
    pickled, bare = directory / "rows.pkl", directory / "bare_page.py"
    rows.to_pickle(pickled)
    bare.write_text(textwrap.dedent(BARE_PAGE.format(path=str(pickled))), encoding="utf-8")
    pages = {"bare Streamlit page: st.data_editor + st.dataframe (reference)":
             AppTest.from_file(str(bare), default_timeout=600).run(),
             "the Export page, its one starting row": export_page(train, None),
             "the Export page, the file's rows in its grid": export_page(train, content)}
    assert [at.data_editor[0].value.shape[0] for at in pages.values()] == [len(rows), 1, len(rows)]
    for thread in threading.enumerate():  # the kernel's compile (ui.kernel) would take a core from the first turns
        if thread.name == "numba-warm-up":
            thread.join()
    times: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(repeat + 1):  # the first round warms each page's caches up, and is not counted
        for name, at in pages.items():
            started = time.perf_counter()
            at.run()
            times[name].append(time.perf_counter() - started)
            assert not at.exception, [exception.value for exception in at.exception]
    return {name: statistics.median(seconds[1:]) for name, seconds in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000, help="new rows to predict (the grid takes up to 10,000)")
    parser.add_argument("--numbers", type=int, default=5, help="number columns, beside the text column")
    parser.add_argument("--train-rows", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs; Python {platform.python_version()}")
    train = frame_of(args.train_rows, args.numbers, seed=0)
    new = frame_of(args.rows, args.numbers, seed=1).drop(columns="y")
    new.insert(0, "id", [f"r{row}" for row in range(args.rows)])
    content = new.to_csv(index=False).encode()
    print(f"data: a model of {args.numbers} numbers and a town (3 values, one-hot) learned on {args.train_rows:,} "
          f"rows; {args.rows:,} new rows to predict ({len(content) / 1e6:.2f} MB of CSV); medians of {args.repeat}\n")
    report("## In Python, from the file's bytes to the predictions", in_python(train, content, args.repeat))
    with tempfile.TemporaryDirectory() as directory:
        with compiled_once():
            reruns = page_reruns(train, content, args.repeat, Path(directory))
        report("## The page's rerun with the rows in its grid (AppTest: the server's part of an edit)", reruns)


def report(title: str, figures: dict[str, float]) -> None:
    print(title)
    reference = next(seconds for name, seconds in figures.items() if name.endswith("(reference)"))
    for name, seconds in figures.items():
        print(f"{name:<66}{seconds * 1000:>10.1f} ms {seconds / reference:>8.2f}×")
    print()


if __name__ == "__main__":
    main()

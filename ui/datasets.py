"""Which dataset the session uses, built once and cached; the problem (split, scaling, optimum) likewise.

Datasets and problems are cached as resources (one shared, read-only object, not a copy per rerun:
a million-row problem is too big to unpickle on every click). They are keyed on their arguments, so
two sessions share one only when they asked for the very same data; an upload lives in the session's
own state and its key is a hash of its content.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, NamedTuple

import numpy as np
import streamlit as st
from sklearn.datasets import load_diabetes

import sgdcore
from ui.settings import parse_numbers, value

CSV_KEY = "csv_upload"  # session_state: {"dataset": Dataset, "name": str, "key": str, ...} once applied


@st.cache_resource(max_entries=8, show_spinner=False)
def synthetic_dataset(n_rows: int, weights: tuple[float, ...], bias: float, noise: float, seed: int) -> sgdcore.Dataset:
    return sgdcore.synthetic(n_rows, weights, bias, noise, seed)


@st.cache_resource(show_spinner=False)
def diabetes_dataset() -> sgdcore.Dataset:
    """scikit-learn's diabetes data (442 patients, 10 features), shipped with the package."""
    bunch = load_diabetes()
    return sgdcore.Dataset(np.ascontiguousarray(bunch.data), bunch.target.astype(np.float64),
                           tuple(bunch.feature_names), "disease progression")


@st.cache_resource(max_entries=8, show_spinner="Solving the least-squares problem…")
def cached_problem(
    _data: sgdcore.Dataset, data_key: str, standardize: bool, test_fraction: float, seed: int
) -> sgdcore.Problem:
    return sgdcore.make_problem(_data, standardize=standardize, test_fraction=test_fraction, seed=seed)


def selected_dataset(state: MutableMapping[str, Any]) -> tuple[sgdcore.Dataset, str, str]:
    """``(dataset, cache key, description)`` for the chosen source; raises ``SGDCoreError``/``ValueError``."""
    source = value(state, "data_source")
    if source == "diabetes":
        return diabetes_dataset(), "diabetes", "scikit-learn's diabetes data (442 rows, 10 features)"
    if source == "csv":
        upload = state.get(CSV_KEY)
        if upload is None:
            raise ValueError("No CSV is loaded yet: upload one on the Data page, or choose another data source.")
        data = upload["dataset"]
        return data, upload["key"], f"{upload['name']} ({data.n_rows} rows, {data.n_features} features)"
    weights = tuple(parse_numbers(value(state, "true_weights"), "True weights"))
    n_rows, bias, noise, seed = (value(state, k) for k in ("n_rows", "true_bias", "noise", "data_seed"))
    data = synthetic_dataset(n_rows, weights, bias, noise, seed)
    key = f"synthetic:{n_rows}:{weights}:{bias}:{noise}:{seed}"
    return data, key, f"synthetic data, {n_rows} rows, y = Xw + b + noise with w = {list(weights)}, b = {bias:g}"


class Choice(NamedTuple):
    """The problem in use, a key that identifies it, what to call it, and what went wrong if anything."""

    problem: sgdcore.Problem | None
    key: str
    description: str
    error: str | None


def current_problem(state: MutableMapping[str, Any]) -> Choice:
    """The problem the settings describe; on an error, the last one that worked stays in use."""
    try:
        data, data_key, description = selected_dataset(state)
        options = (value(state, "standardize"), value(state, "test_fraction"), value(state, "data_seed"))
        problem = cached_problem(data, data_key, *options)
    except (sgdcore.SGDCoreError, ValueError) as error:
        last = state.get("_last_choice")
        if last is None:
            return Choice(None, "", "", str(error))
        return last._replace(error=f"{error} Still using the previous data: {last.description}.")
    choice = Choice(problem, f"{data_key}|{options}", description, None)
    state["_last_choice"] = choice
    return choice

"""Which dataset the session uses, built once and cached; the problem (split, scaling, optimum) likewise.

Datasets and problems are cached as shared objects (one read-only object, not a copy per rerun: a
million-row problem is too big to unpickle on every click), in a cache bounded in bytes, and made only
when ui.memory's budget says they fit. They are keyed on their arguments, so two sessions share one only
when they asked for the very same data; an upload lives in the session's own state and its key is a hash
of its content.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

import sgdcore
from ui.classroom import control_label, fixed_data_source, shown, value_text
from ui.errors import error_text
from ui.i18n import t, tn
from ui.memory import BUDGET, ByteCache, memory_limit, problem_peak, synthetic_peak
from ui.messages import listed, listed_numbers, sized
from ui.runner import heavy_data
from ui.settings import BY_KEY, MAX_FEATURES, parse_weights, value

TEST_FRACTION_STEP = 0.05  # the sidebar's slider (ui.widgets)
CSV_KEY = "csv_upload"  # session_state: {"dataset": Dataset, "name": str, "key": str, ...} once applied
# The settings a problem is made from (besides an upload or large data): what a Choice remembers of them.
DATA_SETTINGS = ("data_source", "n_rows", "true_weights", "true_bias", "noise", "data_seed", "standardize",
                 "test_fraction")
# session_state: {"problem": ui.large_data.LargeProblem, "key": str, "description": str} once applied. The problem
# is made on the Data page (ui.large_data, which imports Dask); reading it here needs no Dask.
DASK_KEY = "dask_data"
# A dataset in use costs 18-27 bytes a value (X, y, the problem's split and standardised rows) and about 24 at the
# peak of making its problem (resident size, measured at 2,000,000 × 20, 1,000,000 × 20 and 200,000 × 100): at most
# 40 million values keeps the peak near 1 GB, within a small machine or a Streamlit Community Cloud app, which an
# unchecked 2,000,000 × 200 (about 10 GB) would stop. Below this cap, ui.memory's budget decides by what is free now.
MAX_SYNTHETIC_VALUES = 40_000_000
# Datasets and problems every session may share, a quarter of the server's memory at most: going back to an
# earlier setting is instant, and what only this cache holds is dropped before any request is refused.
DATA_CACHE = ByteCache(memory_limit().bytes // 4)
BUDGET.on_shortage(DATA_CACHE.clear)


def synthetic_dataset(n_rows: int, weights: tuple[float, ...], bias: float, noise: float, seed: int) -> sgdcore.Dataset:
    """The synthetic dataset, made once for every session that asks for it, if it and its problem fit now."""
    def make() -> sgdcore.Dataset:
        with BUDGET.reserve(synthetic_peak(n_rows, len(weights)),
                            t("data.making", **sized(n_rows, features=len(weights))),
                            per_unit=synthetic_peak(1, len(weights))):
            return sgdcore.synthetic(n_rows, weights, bias, noise, seed)

    return DATA_CACHE.get_or_make(f"synthetic:{n_rows}:{weights}:{bias}:{noise}:{seed}", make)


@st.cache_resource(show_spinner=False)
def diabetes_dataset() -> sgdcore.Dataset:
    """scikit-learn's diabetes data (442 patients, 10 features), shipped with the package."""
    from sklearn.datasets import load_diabetes  # imported here, as in sgdcore.reference.closed_form()

    bunch = load_diabetes()
    return sgdcore.Dataset(np.ascontiguousarray(bunch.data), bunch.target.astype(np.float64),
                           tuple(bunch.feature_names), "disease progression")


def cached_problem(
    data: sgdcore.Dataset, data_key: str, standardize: bool, test_fraction: float, seed: int
) -> sgdcore.Problem:
    """The dataset's problem (split, scaling, closed form), made once for every session, if it fits now."""
    def make() -> sgdcore.Problem:
        with BUDGET.reserve(problem_peak(data.n_rows, data.n_features),
                            t("data.solving", **sized(data.n_rows, features=data.n_features)),
                            per_unit=problem_peak(1, data.n_features)), \
                st.spinner(t("data.solving_spinner")):
            return sgdcore.make_problem(data, standardize=standardize, test_fraction=test_fraction, seed=seed)

    return DATA_CACHE.get_or_make(f"problem:{data_key}|{standardize}|{test_fraction}|{seed}", make)


def selected_dataset(state: MutableMapping[str, Any]) -> tuple[sgdcore.Dataset, str, str]:
    """``(dataset, cache key, description)`` for the chosen source; raises ``SGDCoreError``/``ValueError``."""
    source = value(state, "data_source")
    if source == "diabetes":
        return diabetes_dataset(), "diabetes", description_of(state)
    if source == "csv":
        upload = state.get(CSV_KEY)
        if upload is None:
            # a classroom link that fixes the source leaves the student no other to choose
            raise ValueError(t("data.no_csv_fixed" if fixed_data_source(state) else "data.no_csv"))
        return upload["dataset"], upload["key"], description_of(state)
    weights = tuple(parse_weights(value(state, "true_weights")))
    n_rows, bias, noise, seed = (value(state, k) for k in ("n_rows", "true_bias", "noise", "data_seed"))
    if n_rows * len(weights) > MAX_SYNTHETIC_VALUES:
        # Whole numbers, not millions: Chinese counts in 万 and 亿
        values = n_rows * len(weights)
        raise ValueError(t("data.too_many_values", rows=n_rows, features=len(weights), values=values,
                           gigabytes=values * 8 / 1e9, most_values=MAX_SYNTHETIC_VALUES, **largest_synthetic_shapes()))
    data = synthetic_dataset(n_rows, weights, bias, noise, seed)
    key = f"synthetic:{n_rows}:{weights}:{bias}:{noise}:{seed}"
    return data, key, description_of(state)


def description_of(settings: Mapping[str, Any]) -> str | None:
    """What the data of ``settings`` (a session's, or a :attr:`Choice.settings`) is called, in the page's language;
    None for large data, which only the Data page's reading of it describes."""
    source = value(settings, "data_source")
    if source == "diabetes":
        return t("data.diabetes")
    if source == "csv":
        upload = settings[CSV_KEY]
        data = upload["dataset"]
        return t("data.csv", name=upload["name"], **sized(data.n_rows, features=data.n_features))
    if source == "dask":
        return None
    weights = tuple(parse_weights(value(settings, "true_weights")))
    return t("data.synthetic", rows=value(settings, "n_rows"), weights=listed_numbers(weights),
             bias=value(settings, "true_bias"))


def largest_synthetic_shapes() -> dict[str, int]:
    """Two shapes of the largest synthetic data the sidebar can ask for, as the refusal's examples: the most rows
    with the features that fit, and the most features with the rows that fit."""
    most_rows = BY_KEY["n_rows"].high
    return {"most_rows": most_rows, "features_at_most_rows": MAX_SYNTHETIC_VALUES // most_rows,
            "rows_at_most_features": MAX_SYNTHETIC_VALUES // MAX_FEATURES, "most_features": MAX_FEATURES}


class Choice(NamedTuple):
    """The problem in use, a key that identifies it, what to call it, and what went wrong if anything; ``settings``,
    the data settings it was made from (:data:`DATA_SETTINGS`, and the upload's entry under :data:`CSV_KEY`): once
    a setting is refused the last problem that worked stays in use, and what reproduces it are these, not the
    session's."""

    problem: sgdcore.Problem | None
    key: str
    description: str
    error: str | None
    settings: dict[str, Any]
    refused: Exception | None = None  # the error that ``error`` says, for a page that words its own fix


_this_run = threading.local()  # the router's run under way on this thread: the choices made in it, by settings


@contextlib.contextmanager
def one_choice_a_run() -> Iterator[None]:
    """While the router runs a page: each setting of the data is chosen once, however many parts of the page ask
    (the sidebar, then the page). Asked twice, data that did not fit was tried twice, and refused twice with two
    different counts of the rows that fit ("at most 593,128 rows" in the sidebar, "593,085" on the page)."""
    _this_run.choices = {}
    try:
        yield
    finally:
        _this_run.choices = None


def data_is_heavy(state: Mapping[str, Any]) -> bool:
    """Whether the session's data (synthetic or uploaded; large data on a cluster is worked on there) is large
    enough that making it, solving it and every page drawn from it run at the lower priority
    (:func:`ui.runner.background_priority`)."""
    source = value(state, "data_source")
    if source == "synthetic":
        try:
            n_features = len(parse_weights(value(state, "true_weights")))
        except ValueError:  # the sidebar says what is wrong, and the last data that worked stays in use
            return False
        return heavy_data(value(state, "n_rows"), n_features)
    if source == "csv" and (uploaded := (state.get(CSV_KEY) or {}).get("dataset")) is not None:
        return heavy_data(*uploaded.X.shape)
    return False


def current_problem(state: MutableMapping[str, Any]) -> Choice:
    """The problem the settings describe; on an error, the last one that worked stays in use.

    Large data (``data_source == "dask"``) comes as the problem the Data page made from the files' statistics
    (``ui.large_data.LargeProblem``): it is not split or standardised, so its key carries no such options.
    """
    choices = getattr(_this_run, "choices", None)
    if choices is None:
        return _choice(state)
    settings = (*(value(state, key) for key in DATA_SETTINGS), id(state.get(CSV_KEY)), id(state.get(DASK_KEY)))
    if settings not in choices:
        choices[settings] = _choice(state)
    return choices[settings]


def _choice(state: MutableMapping[str, Any]) -> Choice:
    try:
        if value(state, "data_source") == "dask":
            problem, data_key, description = large_problem(state)
            options: tuple = ()
        else:
            data, data_key, description = selected_dataset(state)
            options = (value(state, "standardize"), value(state, "test_fraction"), value(state, "data_seed"))
            problem = cached_problem(data, data_key, *options)
    except (sgdcore.SGDCoreError, ValueError) as error:
        last = state.get("_last_choice")
        if last is None:
            return Choice(None, "", "", error_text(error), {}, error)
        return last._replace(error=t("data.still_using", error=error_text(error), description=last.description),
                             refused=error)
    settings = {key: value(state, key) for key in DATA_SETTINGS}
    if settings["data_source"] == "csv":
        settings[CSV_KEY] = state[CSV_KEY]
    choice = Choice(problem, f"{data_key}|{options}", description, None, settings)
    state["_last_choice"] = choice
    return choice


def data_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """What differs between the data settings of two choices (:attr:`Choice.settings`) that their descriptions do
    not say, in the page's words ("target y → x; test fraction 0.2 → 0.3"); "" when nothing they record differs.

    A description names a CSV by its file, rows and number of features, and synthetic data by its rows, weights and
    bias: another target, other features of the same number, the noise, the seed, the split or standardisation
    change the data without changing it."""
    changes = []
    if before.get("data_source") == after.get("data_source") == "csv" and before.get(CSV_KEY) and after.get(CSV_KEY):
        old, new = before[CSV_KEY]["dataset"], after[CSV_KEY]["dataset"]
        if old.target_name != new.target_name:
            changes.append(t("data.changed.target", before=old.target_name, after=new.target_name))
        if old.feature_names != new.feature_names:
            changes.append(t("data.changed.features", before=listed(old.feature_names, old.n_features, limit=8),
                             after=listed(new.feature_names, new.n_features, limit=8)))
        if not changes and before[CSV_KEY]["key"] != after[CSV_KEY]["key"]:
            changes.append(t("data.changed.values"))
    elif before.get("data_source") == after.get("data_source") == "synthetic":
        for key in ("noise", "data_seed"):
            if before.get(key) != after.get(key):
                changes.append(t(f"data.changed.{key}", before=before.get(key), after=after.get(key)))
    if before.get("data_source") == after.get("data_source") != "dask":
        if before.get("standardize") != after.get("standardize"):
            changes.append(t(f"data.changed.standardize_{'on' if after.get('standardize') else 'off'}"))
        if before.get("test_fraction") != after.get("test_fraction"):
            changes.append(t("data.changed.test_fraction", before=before.get("test_fraction"),
                             after=after.get("test_fraction")))
        if after.get("data_source") != "synthetic" and after.get("test_fraction") and \
                before.get("data_seed") != after.get("data_seed"):  # the seed draws the split
            changes.append(t("data.changed.data_seed", before=before.get("data_seed"), after=after.get("data_seed")))
    return t("data.changed.separator").join(changes)


def fitting_test_fractions(n_rows: int, n_features: int) -> list[float]:
    """The sidebar's test fractions (its slider's steps) that leave ``n_rows`` rows a test row and enough training
    rows to solve for ``n_features`` features and a bias (at least 2, and one more than the features)."""
    setting = BY_KEY["test_fraction"]
    steps = round((setting.high - setting.low) / TEST_FRACTION_STEP)
    fractions = [round(setting.low + step * TEST_FRACTION_STEP, 2) for step in range(steps + 1)]
    fitting = []
    for fraction in fractions:
        n_train, n_test = sgdcore.split_sizes(n_rows, fraction)
        if n_train > n_features and (fraction == 0 or (n_test >= 1 and n_train >= 2)):
            fitting.append(fraction)
    return fitting


def sidebar_fix(data: sgdcore.Dataset, refused: Exception | None) -> str:
    """What to set in the sidebar so that ``data``, refused with ``refused`` by its settings, can be used: the test
    fractions that fit it, for a split that leaves too few rows; standardisation off, for a feature constant on the
    training rows; "" for a refusal the sidebar cannot fix."""
    problem = getattr(refused, "problem", "")
    key = {"constant_features": "standardize", "split_too_small": "test_fraction",
           "too_few_training_rows": "test_fraction"}.get(problem)
    if key is None:
        return ""
    state = st.session_state
    if not shown(state, key):  # a classroom link fixes it: the student cannot set it, so say so instead
        return t("data.fix.fixed_by_link", setting=control_label(key), value=value_text(key, value(state, key)))
    if problem == "constant_features":  # only standardising refuses a feature constant on the training rows
        return t("data.fix.standardize", setting=t("sidebar.standardize"))
    fitting = fitting_test_fractions(data.n_rows, data.n_features)
    held_out = [fraction for fraction in fitting if fraction > 0]  # 0 fits too when any of them does
    setting = t("sidebar.test_fraction")
    if not fitting:  # too few rows for the features whatever the split: the Data page's own choices must change
        return ""
    if not held_out:
        return t("data.fix.test_fraction_zero", setting=setting)
    if len(held_out) == 1:
        return t("data.fix.test_fraction_one", setting=setting, fraction=held_out[0])
    return t("data.fix.test_fraction_range", setting=setting, low=held_out[0], high=held_out[-1])


def large_problem(state: MutableMapping[str, Any]) -> tuple[Any, str, str]:
    """``(problem, key, description)`` of the large data in use; ``ValueError`` when none was read yet."""
    current = state.get(DASK_KEY)
    if current is None:
        raise ValueError(t("data.no_large_data"))
    problem = current["problem"]
    return problem, current["key"], large_description(problem, current["name"], current["scheduler"])


def large_description(problem: Any, name: str, scheduler: str) -> str:
    """What large data is called, in the page's language: ``name (1,000 rows, 3 features, 4 partitions, on the
    local Dask cluster)``; ``scheduler`` is the address of the cluster's scheduler, "" for a local one."""
    data = problem.data
    fields = dict(name=name, rows=data.n_rows, features=tn("data.features", data.n_features),
                  partitions=tn("data.partitions", data.n_partitions))
    if scheduler:
        return t("large_data.description_on_scheduler", address=scheduler, **fields)
    return t("large_data.description_local", **fields)


def use_csv(dataset: sgdcore.Dataset, name: str, key: str) -> None:
    """Make an uploaded dataset the one every page uses (a button callback: it runs before the sidebar)."""
    st.session_state[CSV_KEY] = {"dataset": dataset, "name": name, "key": key}
    st.session_state["data_source"] = "csv"


@st.cache_resource(max_entries=8, show_spinner=False)
def ill_conditioned_problem(condition_number: float, seed: int) -> sgdcore.Problem:
    """D2L's synthetic data with the second feature shrunk so that the Hessian [X 1]ᵀ[X 1]/n has the given
    condition number: a valley κ times steeper across w1 than along w2.

    The features are independent with variances near 1 and 1/κ; the sample's own variances and means (which the
    bias column couples in) would make it 110 for 100, so the scale of x2 is found by bisection on this sample.
    A κ below the unshrunk sample's own (about 1.12) leaves x2 as drawn: shrinking it only makes the valley steeper."""
    unscaled = sgdcore.synthetic(seed=seed).X  # the same draws the scaled data starts from
    A = np.column_stack((unscaled, np.ones(len(unscaled))))
    hessian = A.T @ A / len(A)

    def kappa(scale: float) -> float:
        """κ with x2 multiplied by ``scale``: the Hessian's row and column of x2 multiplied by it."""
        scaling = np.array([1.0, scale, 1.0])
        eigenvalues = np.linalg.eigvalsh(hessian * np.outer(scaling, scaling))
        return float(eigenvalues[-1] / eigenvalues[0])

    low, high = 1e-9, 1.0  # κ falls as x2 grows towards the others' scale
    for _ in range(100):
        middle = math.sqrt(low * high)
        low, high = (middle, high) if kappa(middle) > condition_number else (low, middle)
    data = sgdcore.synthetic(seed=seed, feature_scales=(1.0, high))
    return sgdcore.make_problem(data, test_fraction=0.0, seed=seed)


def momentum_valley(state: MutableMapping[str, Any]) -> sgdcore.Problem:
    """The Momentum page's data: a valley of the settings' condition number, drawn with the data seed."""
    return ill_conditioned_problem(value(state, "condition_number"), value(state, "data_seed"))


def gradient_noise_table(problem: sgdcore.Problem, problem_key: str, seed: int) -> pd.DataFrame:
    """Spread of minibatch gradients around the full gradient, predicted and measured, for a range of
    batch sizes, at D2L's starting point and at the optimum (long table for a chart), measured once per problem.

    The spinner says so in the page's language (a cached function's own spinner text is fixed at import)."""
    with st.spinner(t("data.noise_spinner")):
        return _gradient_noise_table(problem, problem_key, seed)


@st.cache_data(max_entries=16, show_spinner=False)
def _gradient_noise_table(_problem: sgdcore.Problem, problem_key: str, seed: int) -> pd.DataFrame:
    data = _problem.train
    sizes = [int(size) for size in np.unique(np.geomspace(1, data.n_rows, num=min(12, data.n_rows)).round())]
    samples = 100 if data.n_rows <= 20_000 else 20  # each sample of a large batch costs O(n)
    rng = np.random.default_rng(seed)
    start = np.append(*sgdcore.init_params(data.n_features, np.random.default_rng(seed)))
    frames = []
    for where, params in (("at the start", start), ("at the optimum", _problem.optimum.params)):
        predicted, measured = sgdcore.gradient_noise(data, params, sizes, rng, samples=samples)
        frames.append(pd.DataFrame({"batch size": sizes, "spread": predicted, "where": where, "how": "predicted"}))
        frames.append(pd.DataFrame({"batch size": sizes, "spread": measured, "where": where, "how": "measured"}))
    return pd.concat(frames, ignore_index=True)

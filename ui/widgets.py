"""The shared sidebar: data source and hyperparameters, drawn by the router on every page.

Widgets take their values from ``st.session_state`` (seeded from a share link on the session's
first run), and the URL is rewritten after every run, so the address bar is always a share link.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

import sgdcore
from sgdcore.backends import AUTO, AUTO_THREADS_MIN_WORK, auto_threads
from ui import charts, conditioning, verdicts, zones
from ui.datasets import CSV_KEY, Choice, current_problem
from ui.runner import HEAVY_VALUES, background_priority, runs_interrupted, sharing_text, train_all
from ui.sampling import SAMPLING_LABELS
from ui.settings import (
    BY_KEY,
    DATA_SOURCE_LABELS,
    MAX_FEATURES,
    SAMPLINGS,
    SCHEDULE_LABELS,
    SETTINGS,
    apply_query_params,
    bounds,
    largest_batch_size,
    parse_weights,
    query_params,
    train_config,
)

LEARNING_RATE_GRID = sorted({
    round(mantissa * 10.0**exponent, 12) for exponent in range(-5, 3) for mantissa in (1, 1.5, 2, 3, 5, 7)
})


PERSISTENT_PREFIXES = ("keep_",)  # other widget keys to keep across pages (e.g. the Data page's choices)


def init_settings() -> None:
    """Defaults, then the share link's values, once per session; problems with the link are kept to show."""
    state = st.session_state
    if state.get("_settings_ready"):
        return
    for setting in SETTINGS:
        state.setdefault(setting.key, setting.default)
    state["_link_problems"] = apply_query_params(state, st.query_params.to_dict())
    state["_settings_ready"] = True


def keep_page_settings() -> None:
    """Keep every setting when the user changes page.

    Streamlit forgets a widget's value in a run that does not draw the widget (the comparison
    pages' own settings, on another page); writing the value back before any widget is drawn
    marks it as the app's own state, which survives.
    """
    state = st.session_state
    for key in [*BY_KEY, *(key for key in state if str(key).startswith(PERSISTENT_PREFIXES))]:
        if key in state:
            state[key] = state[key]


def sync_query_params() -> None:
    """Make the address bar carry every setting that differs from its default."""
    wanted = query_params(st.session_state)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def _resize_weights() -> None:
    """Keep 'True weights' in step with 'Features': cut the list, or extend it with random weights."""
    state = st.session_state
    try:
        weights = parse_weights(state["true_weights"])
    except ValueError:
        weights = []
    wanted = int(state["_n_features"])
    rng = np.random.default_rng(state["data_seed"] + len(weights))
    extra = np.round(rng.uniform(-4, 4, size=max(0, wanted - len(weights))), 1)
    state["true_weights"] = ", ".join(f"{w:g}" for w in [*weights[:wanted], *extra])


def data_sidebar() -> Choice:
    """The data section; returns the problem in use (``None`` only if no data ever worked)."""
    state = st.session_state
    sidebar = st.sidebar
    sidebar.header("Data")
    has_csv = state.get(CSV_KEY) is not None
    sidebar.radio(
        "Data source", BY_KEY["data_source"].choices, key="data_source",
        format_func=lambda source: DATA_SOURCE_LABELS[source]
        + ("" if source != "csv" or has_csv else " (upload on the Data page)"),
    )
    if state["data_source"] == "synthetic":
        sidebar.number_input("Rows", **bounds("n_rows"), step=100, key="n_rows")
        try:
            state["_n_features"] = len(parse_weights(state["true_weights"]))
        except ValueError:
            state.setdefault("_n_features", 2)
        sidebar.number_input("Features", min_value=1, max_value=MAX_FEATURES, step=1, key="_n_features",
                             on_change=_resize_weights)
        sidebar.text_input("True weights w", key="true_weights", help="Comma-separated, one per feature.")
        sidebar.number_input("True bias b", **bounds("true_bias"), step=0.1, format="%g", key="true_bias")
        sidebar.number_input("Noise (standard deviation)", **bounds("noise"), step=0.01, format="%g", key="noise")
        sidebar.number_input("Data seed", **bounds("data_seed"), step=1, key="data_seed")
    if state["data_source"] == "dask":
        sidebar.caption("Large data trains on the files as they are: no standardisation, no held-out test rows.")
        conditioning_slot = sidebar.empty()
    else:
        sidebar.toggle("Standardise features and target", key="standardize", help="Train on zero-mean, "
                       "unit-variance columns; coefficients are reported in the original units.")
        conditioning_slot = sidebar.empty()  # beside the toggle, filled once the data is known
        sidebar.slider("Test fraction", **bounds("test_fraction"), step=0.05, key="test_fraction",
                       help="Rows held out to measure the test loss; 0 trains on everything.")
    # Large synthetic data takes seconds to make and solve: at a lower priority, so others' pages stay quick.
    heavy = state["data_source"] == "synthetic" and state["n_rows"] * state["_n_features"] >= HEAVY_VALUES
    with background_priority(heavy):
        choice = current_problem(state)
        if choice.problem is not None:
            conditioning_slot.caption(conditioning.caption(
                conditioning.condition_numbers_for(choice.problem, choice.key), choice.problem.scaler is not None))
    if choice.error:
        sidebar.error(choice.error, icon="⚠️")
    return choice


def _lower_to(key: str, limit: int, label: str, why: str) -> None:
    """Lower a setting above what the data or the server allows (from a share link, or other data), and say so."""
    state = st.session_state
    if state[key] > limit:
        st.sidebar.info(f"{label} lowered from {state[key]} to {limit}, {why}.")
        state[key] = limit


def hyperparameter_sidebar(problem: sgdcore.Problem, data_key: str) -> None:
    """The optimiser section, with the stability limits of these settings on the current data (``data_key``
    names it) beside the learning rate, and a warning when the rate is above or near the limit."""
    state = st.session_state
    sidebar = st.sidebar
    sidebar.header("Optimiser")
    n_train = problem.train.n_rows
    largest = largest_batch_size(n_train)
    _lower_to("batch_size", largest, "Batch size", "the number of training rows (full-batch gradient descent)")
    if state["learning_rate"] not in LEARNING_RATE_GRID:
        grid = sorted({*LEARNING_RATE_GRID, state["learning_rate"]})
    else:
        grid = LEARNING_RATE_GRID
    sidebar.select_slider("Learning rate η (log scale)", options=grid, key="learning_rate",
                          format_func=lambda v: f"{v:g}")
    limits_slot = sidebar.container()
    sidebar.number_input("Batch size", **bounds("batch_size", high=largest), step=1, key="batch_size",
                         help=f"1 is pure SGD, {largest} is full-batch gradient descent.")
    sidebar.selectbox("Minibatches drawn", SAMPLINGS, key="shuffle", format_func=SAMPLING_LABELS.__getitem__,
                      help="Without replacement: each epoch visits every row once, in a new random order (D2L's "
                           "data_iter). With replacement: every row of every batch drawn independently, some twice, "
                           "some not at all. Blocks: runs of neighbouring rows, faster to read on large data, biased "
                           "if the file is sorted. The Batch-size page shows what each does to the gradient noise.")
    if state["shuffle"] == "replacement":
        sidebar.caption("The limits and noise floors shown are for batches without replacement: drawn with "
                        "replacement, minibatch noise is (n − 1)/(n − B) times larger, so the limits are a little "
                        "lower and the floors a little higher (much so only for batches near n).")
    sidebar.number_input("Epochs", **bounds("epochs"), step=1, key="epochs")
    sidebar.slider("Momentum μ", **bounds("momentum"), step=0.01, key="momentum")
    sidebar.toggle("Nesterov", key="nesterov", disabled=state["momentum"] == 0,
                   help="Look-ahead momentum (needs μ > 0).")
    sidebar.number_input("Weight decay (L2)", **bounds("weight_decay"), step=0.001, format="%g", key="weight_decay",
                         help="Adds weight_decay · w to the gradient, as torch.optim.SGD (the bias is not decayed).")
    sidebar.number_input("L1 penalty", **bounds("l1_penalty"), step=0.001, format="%g", key="l1_penalty",
                         help="Adds l1 · sign(w) to the gradient (the subgradient of l1·‖w‖₁): pushes weights to 0.")
    sidebar.selectbox("Learning-rate schedule", tuple(SCHEDULE_LABELS), key="schedule",
                      format_func=SCHEDULE_LABELS.__getitem__)
    schedule = state["schedule"]
    if schedule in ("step", "exponential"):
        sidebar.slider("Decay factor γ", **bounds("decay_gamma"), step=0.01, key="decay_gamma")
        sidebar.number_input("… every (epochs)", **bounds("decay_epochs"), step=1, key="decay_epochs")
    if schedule == "inverse_scaling":
        sidebar.slider("power_t", **bounds("power_t"), step=0.05, key="power_t")
    try:
        config = train_config(state, n_train)
    except sgdcore.SGDCoreError as error:
        sidebar.error(str(error), icon="⚠️")
    else:
        if schedule != "constant" or state["warmup_epochs"]:
            total_steps = config.steps_per_epoch(n_train) * config.epochs
            sidebar.altair_chart(charts.schedule_chart(config, total_steps), width="stretch")
        # Beside the learning rate, drawn once the settings it depends on (batch size, momentum, decay) are read.
        limits = verdicts.limits_for(problem, data_key, config)
        # The zones strip first, right under the slider whose scale it shares.
        rate_zones = zones.rate_zones(problem, config, limits)
        limits_slot.altair_chart(zones.zones_chart(rate_zones, config.learning_rate, grid), width="stretch")
        limits_slot.caption(zones.zones_text(rate_zones, config.learning_rate))
        limits_slot.caption(verdicts.limit_text(limits, config))
        message = verdicts.rate_check(sgdcore.check_learning_rate(problem, config, limits), config)
        if message.tone == "info":  # a stable rate: said quietly
            limits_slot.caption(message.text)
        else:
            verdicts.show(message, where=limits_slot, key="sidebar")
    cores = sgdcore.usable_cores()
    # Said here, not in the folded section below, where it would go unseen.
    if state["n_threads"] != AUTO:
        _lower_to("n_threads", cores, "Training threads", "the cores this server may use")
    with sidebar.expander("More: warm-up, early stopping, seed, threads"):
        st.number_input("Linear warm-up (epochs)", **bounds("warmup_epochs"), step=1, key="warmup_epochs")
        st.toggle("Stop early when the loss stops improving", key="early_stopping",
                  help="As scikit-learn's SGDRegressor: stop after `patience` epochs that improve by less than tol.")
        if state["early_stopping"]:
            st.number_input("tol", **bounds("tol"), format="%g", step=1e-4, key="tol")
            st.number_input("patience (n_iter_no_change)", **bounds("n_iter_no_change"), step=1, key="n_iter_no_change")
        st.number_input("Seed (initialisation and shuffling)", **bounds("seed"), step=1, key="seed")
        threads_widget(cores, state["batch_size"], problem.train.n_features)


def threads_widget(cores: int, batch_size: int, n_features: int) -> None:
    """"Training threads": automatic by default, a number where the user wants one, and a word when that number
    makes training slower (small minibatches: a second thread costs more than it saves)."""
    state = st.session_state
    picked = auto_threads(batch_size, n_features, cores)
    options = (AUTO, *range(1, cores + 1))
    if state["n_threads"] not in options:  # a number above the cores is lowered above; anything else is automatic
        state["n_threads"] = AUTO
    st.selectbox(
        "Training threads", options, key="n_threads", disabled=cores == 1,
        format_func=lambda option: f"Automatic: {picked} for these settings" if option == AUTO else str(option),
        help="Each minibatch's rows are split between this many threads, which meet at every step: faster for "
             f"large minibatches on large data where cores are free (a thread's share of a step should hold "
             f"{AUTO_THREADS_MIN_WORK:,} rows × features or more), several times slower at batch size 1. "
             "Automatic picks that way. On a shared server every session's training takes turns on the cores "
             "whatever you choose. The same result on every run, equal to one thread's to rounding."
             + (" This server has one usable core." if cores == 1 else ""),
    )
    chosen = state["n_threads"]
    if chosen != AUTO and chosen > picked:
        why = ("each thread's share of a step is too small to pay for the threads' meeting"
               if chosen > auto_threads(batch_size, n_features, cores, load=0.0)
               else "the server's cores are busy, and threads that meet at every step wait for one another")
        st.caption(f"⚠️ {chosen} threads at batch size {batch_size} × {n_features} feature"
                   f"{'s' if n_features != 1 else ''} train slower than {picked}: {why}. Automatic picks {picked}.")


def shared_sidebar() -> Choice:
    """Everything in the sidebar, for the router: data, then the optimiser for that data."""
    init_settings()
    keep_page_settings()
    for problem_text in st.session_state.pop("_link_problems", []):
        st.toast(problem_text, icon="🔗")
    choice = data_sidebar()
    if choice.problem is not None:
        hyperparameter_sidebar(choice.problem, choice.key)
    sync_query_params()
    return choice


def page_problem() -> Choice:
    """The problem a training page works on; stops the page with the reason when there is none.

    When the settings describe data that cannot be used, the page says so above its content (the
    sidebar may be collapsed) and goes on with the last data that worked.
    """
    choice = current_problem(st.session_state)
    if choice.problem is None:
        show_error(choice.error or "No data: choose a data source in the sidebar.")
        st.stop()
    if choice.error:
        st.warning(choice.error, icon="⚠️")
    return choice


def trained_on(run_key: str, data_key: str) -> bool:
    """Whether a run saved under ``run_key`` was trained on the data ``data_key`` names: run keys start with it."""
    return run_key.startswith(f"{data_key}|")


def train_comparison(
    key: str, problem: sgdcore.Problem, configs: dict[str, sgdcore.TrainConfig], *, data_key: str,
    clicked: bool, bar: Any, draw: Callable[[dict[str, sgdcore.Progress]], None] | None = None, live: bool = True,
) -> dict[str, Any] | None:
    """A comparison page's runs: trained one after another when ``clicked`` (progress in ``bar``), every
    snapshot kept in ``st.session_state[key]`` as ``{"key": …, "runs": …, "configs": …}``, keyed on
    ``data_key`` (the data they are trained on) and the configurations.

    Returns what is kept (``None`` before the first run), saying so when the settings changed since; runs on
    other data than ``data_key`` (another number of features, another optimum) are kept but not returned.
    """
    state = st.session_state
    run_key = f"{data_key}|{sorted(configs.items())}"
    runs_interrupted(state, key)
    if clicked:
        def save(runs: dict[str, sgdcore.Progress]) -> None:
            state[key] = {"key": run_key, "runs": runs, "configs": configs}

        waiting = st.empty()

        def sharing(others: int) -> None:
            if others:
                waiting.caption(sharing_text(others))
            else:
                waiting.empty()

        try:
            train_all(problem, configs, save=save, draw=draw, live=live, sharing=sharing,
                      report=lambda label, index: bar.progress(index / len(configs), text=f"Training {label}…"))
        except sgdcore.SGDCoreError as error:
            show_error(error)
        bar.empty()
        waiting.empty()
    entry = state.get(key)
    if entry is not None and not trained_on(entry["key"], data_key):
        st.info("The data changed since the last runs: train again to compare on this data.")
        return None
    if entry is not None and entry["key"] != run_key:
        st.info("The settings changed since these runs: train again to use them. Shown: the last runs.")
    return entry


def show_error(error: Exception | str) -> None:
    """An sgdcore error as the user should see it: the message, never a traceback."""
    st.error(str(error), icon="⚠️")


def format_number(x: Any, digits: int = 4) -> str:
    if x is None:
        return "—"
    if isinstance(x, float) and not math.isfinite(x):
        return "∞" if x > 0 else ("−∞" if x < 0 else "NaN")
    return f"{x:.{digits}g}"

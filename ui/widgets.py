"""The shared sidebar: data source and hyperparameters, drawn by the router on every page.

Widgets take their values from ``st.session_state`` (seeded from a share link on the session's
first run), and the URL is rewritten after every run, so the address bar is always a share link.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import replace
from typing import Any

import numpy as np
import streamlit as st

import sgdcore
from sgdcore.backends import AUTO, AUTO_THREADS_MIN_WORK, auto_threads
from ui import charts, conditioning, verdicts, zones
from ui.datasets import CSV_KEY, Choice, current_problem
from ui.errors import error_text
from ui.i18n import LANGUAGE_KEY, language_of_locale, language_switch
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
    value,
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
    state.setdefault(LANGUAGE_KEY, language_of_locale(st.context.locale))  # before the link's, which wins
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
    sidebar.selectbox("Minibatches drawn", SAMPLINGS, key="shuffle", format_func=dict(SAMPLING_LABELS).__getitem__,
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
    """Everything in the sidebar, for the router: the language, data, then the optimiser for that data."""
    init_settings()
    keep_page_settings()
    language_switch()
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


def seeds_widget(where: Any = None) -> int:
    """A comparison page's "Seeds per configuration" (in ``where``, by default the page), and its value."""
    (where or st).number_input(
        "Seeds per configuration", **bounds("repeat_seeds"), step=1, key="repeat_seeds",
        help="Train each configuration with the seeds s, s + 1, … (s the sidebar's seed) and draw the median loss "
             f"with a band: the 10–90 % quantiles from {charts.QUANTILE_SEEDS} seeds, the least to the most below. "
             "Minibatch noise then shows as a spread rather than as one lucky (or unlucky) curve. Full-batch runs "
             "are trained once: the seed changes only their starting point.")
    return value(st.session_state, "repeat_seeds")


def draws_minibatches(config: sgdcore.TrainConfig, n_rows: int) -> bool:
    """Whether runs of ``config`` on ``n_rows`` training rows draw random minibatches: all but full-batch descent
    without replacement, which takes every row at every step, so that its seed changes only the starting point
    (D2L's w ~ N(0, 0.01²)), as sgdcore reads the rows in order then."""
    return not (config.steps_per_epoch(n_rows) == 1 and config.batch_size >= n_rows
                and config.shuffle != "replacement")


def seed_plan(configs: Mapping[str, sgdcore.TrainConfig], count: int, n_rows: int) -> dict[str, list[int]]:
    """The seeds each configuration trains with: ``count`` of them from its own (seed, seed + 1, …), or its own
    alone when it draws no minibatches (:func:`draws_minibatches`), whose other seeds would change only where the
    run starts, by a hundredth."""
    return {label: [config.seed + offset for offset in range(count if draws_minibatches(config, n_rows) else 1)]
            for label, config in configs.items()}


def seeds_caption(plan: Mapping[str, list[int]], count: int) -> str:
    """How many runs a comparison page trains, with which seeds, and which configurations are trained once."""
    total = sum(len(seeds) for seeds in plan.values())
    first = min(seeds[0] for seeds in plan.values())
    once = sum(len(seeds) == 1 for seeds in plan.values())
    runs = f"This page trains {total} run{'s' if total != 1 else ''}"
    if count == 1 or once == len(plan):
        text = f"{runs}, one per configuration, with seed {first}"
        if count > 1:
            text += (": full-batch descent takes every row at every step, so another seed would change only its "
                     "starting point; choose minibatches to see their noise")
        return text + "."
    last = first + count - 1
    listed = ", ".join(map(str, range(first, last + 1))) if count <= 3 else f"{first}, {first + 1}, …, {last}"
    seeds = f"{count} seeds ({listed}: the sidebar's seed and the next ones)"
    text = f"{runs}: {len(plan) - once} configuration{'s' if len(plan) - once != 1 else ''} × {seeds}"
    if once:
        text += (f", and {once} full-batch once, with seed {first}: it takes every row at every step, so another "
                 "seed would change only its starting point")
    band = charts.band_name(count) + (f" (10–90 % from {charts.QUANTILE_SEEDS} seeds)"
                                      if count < charts.QUANTILE_SEEDS else " quantiles")
    return (f"{text}. The loss chart draws each configuration's median over its seeds and a band, {band}; tables "
            "and paths show its median run, the seed whose final loss is the median.")


def seed_label(label: str, seed: int) -> str:
    """The name of one seed's run of the configuration ``label``, as the progress bar shows it."""
    return f"{label}, seed {seed}"


def comparison_entry(run_key: str, configs: Mapping[str, sgdcore.TrainConfig], plan: Mapping[str, list[int]],
                     trained: Mapping[str, sgdcore.Progress]) -> dict[str, Any]:
    """What a comparison page keeps of its runs so far (``trained``, by :func:`seed_label`): ``runs`` and
    ``configs``, each configuration's median run (:func:`ui.charts.median_run`) and its config (its seed);
    ``repeats``, every seed's run ``{label: {seed: Progress}}``; ``seeds``, the ``plan``; and the ``key``."""
    runs, used, repeats = {}, {}, {}
    for label, config in configs.items():
        by_seed = {seed: trained[seed_label(label, seed)] for seed in plan[label] if seed_label(label, seed) in trained}
        if not by_seed:
            continue
        seeds = list(by_seed)
        middle = seeds[charts.median_run(list(by_seed.values()))]
        runs[label], used[label], repeats[label] = by_seed[middle], replace(config, seed=middle), by_seed
    return {"key": run_key, "runs": runs, "configs": used, "repeats": repeats, "seeds": dict(plan)}


def repeated(entry: Mapping[str, Any]) -> bool:
    """Whether a comparison's runs were trained with several seeds of some configuration."""
    return any(len(seeds) > 1 for seeds in entry.get("seeds", {}).values())


def comparison_loss_chart(entry: Mapping[str, Any], x: str, **options: Any) -> Any:
    """The training loss of a comparison's runs: with several seeds, each configuration's median and band
    (:func:`ui.charts.seeds_loss_chart`), else one curve a run (:func:`ui.charts.runs_loss_chart`). ``options``:
    ``floor``, ``title``, ``n_rows``."""
    if repeated(entry):
        return charts.seeds_loss_chart({label: list(runs.values()) for label, runs in entry["repeats"].items()}, x,
                                       configs=entry["configs"], seeds={label: len(seeds) for label, seeds
                                                                        in entry["seeds"].items()}, **options)
    return charts.runs_loss_chart(entry["runs"], x, configs=entry["configs"], **options)


def seed_columns(entry: Mapping[str, Any], label: str) -> dict[str, str]:
    """A comparison table's columns about the seeds, for the configuration ``label``: which seed is the median
    run the row quotes, and the band of the final losses over the seeds (none when every run had one seed)."""
    if not repeated(entry):
        return {}
    runs = list(entry["repeats"][label].values())
    if len(runs) == 1:
        return {"seed of the median run": f"{entry['configs'][label].seed} (one run)", "final loss over the seeds": "—"}
    finals = charts.final_losses(runs)
    (low,), (high,) = charts.run_quantiles(finals[:, None], charts.band_quantiles(len(runs)))
    diverged = int(np.isinf(finals).sum())
    return {"seed of the median run": str(entry["configs"][label].seed),
            "final loss over the seeds": f"{format_number(float(low))} – {format_number(float(high))} "
                                         f"({charts.band_name(len(runs))} of {len(runs)}"
                                         + (f"; {diverged} diverged)" if diverged else ")")}


SEEDS_TABLE_CAPTION = ("With several seeds, each row quotes the configuration's median run: of its seeds, the one "
                       "whose final training loss is the median (the lower middle one for an even number).")


def _repeats_interrupted(entry: MutableMapping[str, Any] | None) -> None:
    """Like :func:`ui.runner.runs_interrupted`, for every seed's run of a comparison."""
    if entry is not None and "repeats" in entry:
        entry["repeats"] = {label: {seed: progress.stopped() if progress.status == "running" else progress
                                    for seed, progress in runs.items()} for label, runs in entry["repeats"].items()}


def train_comparison(
    key: str, problem: sgdcore.Problem, configs: dict[str, sgdcore.TrainConfig], *, data_key: str,
    clicked: bool, bar: Any, draw: Callable[[dict[str, Any]], None] | None = None, live: bool = True,
    seeds: Mapping[str, list[int]] | None = None,
) -> dict[str, Any] | None:
    """A comparison page's runs: trained one after another when ``clicked`` (progress in ``bar``), every
    snapshot kept in ``st.session_state[key]`` as :func:`comparison_entry` makes it, keyed on ``data_key`` (the
    data they are trained on), the configurations and the ``seeds`` each trains with (:func:`seed_plan`; by
    default its own seed alone). ``draw`` gets that entry.

    Returns what is kept (``None`` before the first run), saying so when the settings changed since; runs on
    other data than ``data_key`` (another number of features, another optimum) are kept but not returned.
    """
    state = st.session_state
    plan = {label: [config.seed] for label, config in configs.items()} if seeds is None else dict(seeds)
    run_key = f"{data_key}|{sorted(configs.items())}" + (f"|{sorted(plan.items())}" if repeated({"seeds": plan})
                                                         else "")
    runs_interrupted(state, key)
    _repeats_interrupted(state.get(key))
    if clicked:
        every_seed = {seed_label(label, seed): replace(config, seed=seed)
                      for label, config in configs.items() for seed in plan[label]}

        def save(runs: dict[str, sgdcore.Progress]) -> None:
            state[key] = comparison_entry(run_key, configs, plan, runs)

        waiting = st.empty()

        def sharing(others: int) -> None:
            if others:
                waiting.caption(sharing_text(others))
            else:
                waiting.empty()

        try:
            # Each snapshot is saved before it is drawn: the page draws the entry kept, median runs and all.
            train_all(problem, every_seed, save=save, draw=None if draw is None else lambda _: draw(state[key]),
                      live=live, sharing=sharing,
                      report=lambda label, index: bar.progress(index / len(every_seed), text=f"Training {label}…"))
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
    """An error as the user should see it, in the page's words and language (ui.errors), never a traceback."""
    st.error(error_text(error), icon="⚠️")


def format_number(x: Any, digits: int = 4) -> str:
    if x is None:
        return "—"
    if isinstance(x, float) and not math.isfinite(x):
        return "∞" if x > 0 else ("−∞" if x < 0 else "NaN")
    return f"{x:.{digits}g}"

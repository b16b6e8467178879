"""The shared sidebar: data source and hyperparameters, drawn by the router on every page.

Widgets take their values from ``st.session_state`` (seeded from a share link on the session's
first run), and the URL is written whenever the settings change, so the address bar is always a share link; an
address the app did not write there (the browser's Back and Forward) gives the settings, as a link does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, MutableMapping
from dataclasses import replace
from typing import Any

import numpy as np
import streamlit as st

import sgdcore
from sgdcore.backends import AUTO, AUTO_THREADS_MIN_WORK, auto_threads
from ui import charts, conditioning, verdicts, zones
from ui.classroom import classroom_notice, shown
from ui.datasets import CSV_KEY, TEST_FRACTION_STEP, Choice, current_problem
from ui.errors import error_text
from ui.i18n import LANGUAGE_KEY, language_of_locale, language_switch, t, tn
from ui.runner import runs_interrupted, sharing_text, train_all
from ui.sampling import SAMPLING_LABELS
from ui.settings import (
    BY_KEY,
    DATA_SOURCE_LABELS,
    MAX_FEATURES,
    SAMPLINGS,
    SCHEDULE_FIELDS,
    SCHEDULE_LABELS,
    SETTINGS,
    address_params,
    apply_query_params,
    bounds,
    largest_batch_size,
    option_names,
    parse_weights,
    same_address,
    schedule_controls,
    train_config,
    value,
)
from ui.slots import send_chart


def _learning_rate_grid() -> list[float]:
    """The learning-rate slider's options: 1, 1.5, 2, 3, 5 and 7 in each decade, from the setting's smallest rate
    to its largest (those a share link may carry), so that every rate a message calls settable is one the slider
    sets: ui.verdicts.MIN_RATE is the first."""
    setting = BY_KEY["learning_rate"]
    decades = range(math.floor(math.log10(setting.low)), math.floor(math.log10(setting.high)) + 1)
    rates = {round(mantissa * 10.0**exponent, 12) for exponent in decades for mantissa in (1, 1.5, 2, 3, 5, 7)}
    return sorted(rate for rate in rates if setting.low <= rate <= setting.high)


LEARNING_RATE_GRID = _learning_rate_grid()


PERSISTENT_PREFIXES = ("keep_",)  # other widget keys to keep across pages (e.g. the Data page's choices)


# session_state: the address bar's query parameters as this session last wrote or read them; the page of its last
# full run (ui.navigation); the parameters the sidebar's page links carry (ui.navigation.page_links).
ADDRESS_KEY = "_address"
PAGE_KEY = "_page"
ENTERED_KEY = "_page_entered"  # whether this run is the first of a visit to its page (its widgets drawn anew)
LINKS_KEY = "_links_address"


def browser_language() -> str:
    """The language of the browser's locale: the page's language when the address names none."""
    return language_of_locale(st.context.locale)


def init_settings() -> None:
    """Defaults, then the share link's values, once per session; problems with the link are kept to show."""
    state = st.session_state
    if state.get("_settings_ready"):
        return
    state.setdefault(LANGUAGE_KEY, browser_language())  # before the link's, which wins
    for setting in SETTINGS:
        state.setdefault(setting.key, setting.default)
    state[ADDRESS_KEY] = st.query_params.to_dict()
    state["_link_problems"] = apply_query_params(state, state[ADDRESS_KEY])
    state["_settings_ready"] = True


def follow_address(page: str) -> None:
    """The settings this run of ``page`` (its address) starts from: the link's on the session's first run, then the
    session's own, unless the address bar holds other settings than the app last wrote there. That is Back or Forward:
    Streamlit's frontend reruns the script with that history entry's query string (and replaces the entry with what
    the script then writes, instead of adding one). Taking the address's settings then, as a fresh link's, with its
    messages, makes Back undo a change of settings, with the widgets and the address in agreement.

    A click on a page link of the sidebar carries the address the links were drawn with; a fragment may have written
    the address since (the Train page's axis), so a run on another page with the links' address keeps the session's.
    (That page's address is then written again, with the fragment's change: a second history entry, in that case.)
    """
    state = st.session_state
    if not state.get("_settings_ready"):
        init_settings()
        state[PAGE_KEY], state[ENTERED_KEY] = page, True
        return
    address = st.query_params.to_dict()
    state[ENTERED_KEY] = page != state.get(PAGE_KEY)
    followed_link = state[ENTERED_KEY] and address == state.get(LINKS_KEY)
    state[PAGE_KEY] = page
    if address == state.get(ADDRESS_KEY) or followed_link:
        return
    for setting in SETTINGS:
        state[setting.key] = setting.default
    state[LANGUAGE_KEY] = browser_language()
    state[ADDRESS_KEY] = address
    state["_link_problems"] = apply_query_params(state, address)


def keep_page_settings(drawn: Collection[str] = ()) -> None:
    """Keep every setting (but those ``drawn`` in this run already) when the user changes page.

    Streamlit forgets a widget's value in a run that does not draw the widget (the comparison
    pages' own settings, on another page); writing the value back before any widget is drawn
    marks it as the app's own state, which survives.
    """
    state = st.session_state
    for key in [*BY_KEY, *(key for key in state if str(key).startswith(PERSISTENT_PREFIXES))]:
        if key in state and key not in drawn:
            state[key] = state[key]


def keep_settings_not_drawn() -> None:
    """:func:`keep_page_settings` for a fragment's run alone (the Train page's runs): at its end Streamlit forgets
    the widgets not drawn on this page (the other pages' settings, the synthetic data's while a CSV is in use, those
    a classroom link hides) unless the run set them. The sidebar's drawn ones are this page's own widgets, which
    Streamlit keeps through a fragment's run; they are left as a suggestion's button has just set them."""
    state = st.session_state
    keep_page_settings(drawn={key for key in sidebar_controls(state) if shown(state, key)})


def sync_query_params() -> None:
    """Make the address bar carry every setting that differs from its default, written only when it says otherwise.

    Streamlit's frontend adds a history entry each time the script writes a query string other than the address
    bar's, compared as text: the same settings written in another order or encoding would add an entry that Back
    returns to with nothing changed. They are compared as parameters (:func:`ui.settings.same_address`), so that only
    a real change adds one, and the address a link opened with stays as it was: one Back leaves the app.
    """
    state = st.session_state
    wanted = address_params(state, browser_language())
    if not same_address(st.query_params.to_dict(), wanted, browser_language()):
        st.query_params.from_dict(wanted)
    state[ADDRESS_KEY] = st.query_params.to_dict()


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


# The settings each section of the sidebar draws a control for (a classroom link may leave some out)
DATA_CONTROLS = ("data_source", "n_rows", "true_weights", "true_bias", "noise", "data_seed", "standardize",
                 "test_fraction")
MORE_CONTROLS = ("warmup_epochs", "early_stopping", "tol", "n_iter_no_change", "seed", "n_threads")
OPTIMISER_CONTROLS = ("learning_rate", "batch_size", "shuffle", "epochs", "momentum", "nesterov", "weight_decay",
                      "l1_penalty", "schedule", "decay_gamma", "decay_epochs", "power_t", *MORE_CONTROLS)
SIDEBAR_CONTROLS = DATA_CONTROLS + OPTIMISER_CONTROLS


def sidebar_controls(state: Mapping[str, Any]) -> tuple[str, ...]:
    """The settings whose controls the sidebar draws for these settings when every control is shown: those of
    the data source chosen, and a schedule's or early stopping's own only when they are on."""
    source, schedule = value(state, "data_source"), value(state, "schedule")
    drawn = {
        "n_rows": source == "synthetic", "true_weights": source == "synthetic", "true_bias": source == "synthetic",
        "noise": source == "synthetic", "data_seed": source == "synthetic",
        "standardize": source != "dask", "test_fraction": source != "dask",
        **{key: key in schedule_controls(schedule) for key in SCHEDULE_FIELDS},
        "tol": value(state, "early_stopping"), "n_iter_no_change": value(state, "early_stopping"),
    }
    return tuple(key for key in SIDEBAR_CONTROLS if drawn.get(key, True))


def data_sidebar() -> Choice:
    """The data section; returns the problem in use (``None`` only if no data ever worked).

    A classroom link draws only the controls it shows (ui.classroom); the others keep their values.
    """
    state = st.session_state
    sidebar = st.sidebar
    drawn = any(shown(state, key) for key in DATA_CONTROLS)
    if drawn:
        sidebar.header(t("sidebar.data"))
    has_csv = state.get(CSV_KEY) is not None
    if shown(state, "data_source"):
        # Options are named from dicts made now, in this run's language: AppTest names them again after the run.
        names = dict(DATA_SOURCE_LABELS)
        if not has_csv:
            names["csv"] += t("sidebar.upload_on_data_page")
        sidebar.radio(t("sidebar.data_source"), BY_KEY["data_source"].choices, key="data_source",
                      format_func=option_names(names))
    if state["data_source"] == "synthetic":
        if shown(state, "n_rows"):
            sidebar.number_input(t("sidebar.rows"), **bounds("n_rows"), step=100, key="n_rows")
        try:
            state["_n_features"] = len(parse_weights(state["true_weights"]))
        except ValueError:
            state.setdefault("_n_features", 2)
        if shown(state, "true_weights"):
            sidebar.number_input(t("sidebar.features"), min_value=1, max_value=MAX_FEATURES, step=1,
                                 key="_n_features", on_change=_resize_weights)
            sidebar.text_input(t("sidebar.true_weights"), key="true_weights", help=t("sidebar.true_weights_help"))
        if shown(state, "true_bias"):
            sidebar.number_input(t("sidebar.true_bias"), **bounds("true_bias"), step=0.1, format="%g",
                                 key="true_bias")
        if shown(state, "noise"):
            sidebar.number_input(t("sidebar.noise"), **bounds("noise"), step=0.01, format="%g", key="noise")
        if shown(state, "data_seed"):
            sidebar.number_input(t("sidebar.data_seed"), **bounds("data_seed"), step=1, key="data_seed")
    if state["data_source"] == "dask":
        if drawn:
            sidebar.caption(t("sidebar.large_data_as_is"))
        conditioning_slot = sidebar.empty()
    else:
        if shown(state, "standardize"):
            sidebar.toggle(t("sidebar.standardize"), key="standardize", help=t("sidebar.standardize_help"))
        conditioning_slot = sidebar.empty()  # beside the toggle, filled once the data is known
        if shown(state, "test_fraction"):
            sidebar.slider(t("sidebar.test_fraction"), **bounds("test_fraction"), step=TEST_FRACTION_STEP,
                           key="test_fraction",
                           help=t("sidebar.test_fraction_help"))
    # Large data takes seconds to make and solve: the router runs the sidebar and the page at a lower priority then.
    choice = current_problem(state)
    if choice.problem is not None and drawn:
        conditioning_slot.caption(conditioning.caption(
            conditioning.condition_numbers_for(choice.problem, choice.key), choice.problem.scaler is not None))
    if choice.error:
        sidebar.error(choice.error, icon="⚠️")
    return choice


def _lower_to(key: str, limit: int) -> None:
    """Lower a setting above what the data or the server allows (from a share link, or other data), and say so
    (``sidebar.lowered.<key>``). The value chosen comes back as far as later data allows (``sidebar.restored.<key>``
    once all of it), unless the user has set another since."""
    state = st.session_state
    memory = f"_{key}_chosen"  # (the value chosen, the value it was lowered to) while it is lowered
    chosen = state[key]
    if memory in state:
        kept, lowered = state.pop(memory)
        if state[key] == lowered:  # not set since it was lowered: the choice still stands
            chosen = kept
    used = min(chosen, limit)
    if used < chosen:
        state[memory] = (chosen, used)
    if used == state[key]:
        return
    if used < chosen:
        st.sidebar.info(t(f"sidebar.lowered.{key}", was=chosen, limit=used))
    else:
        st.sidebar.info(t(f"sidebar.restored.{key}", value=used))
    state[key] = used


def hyperparameter_sidebar(problem: sgdcore.Problem, data_key: str) -> None:
    """The optimiser section, with the stability limits of these settings on the current data (``data_key``
    names it) beside the learning rate, and a warning when the rate is above or near the limit."""
    state = st.session_state
    sidebar = st.sidebar
    drawn = any(shown(state, key) for key in OPTIMISER_CONTROLS)
    if drawn:
        sidebar.header(t("sidebar.optimiser"))
    n_train = problem.train.n_rows
    largest = largest_batch_size(n_train)
    _lower_to("batch_size", largest)
    if state["learning_rate"] not in LEARNING_RATE_GRID:
        grid = sorted({*LEARNING_RATE_GRID, state["learning_rate"]})
    else:
        grid = LEARNING_RATE_GRID
    if shown(state, "learning_rate"):
        sidebar.select_slider(t("sidebar.learning_rate"), options=grid, key="learning_rate",
                              format_func=lambda v: f"{v:g}")
    limits_slot = sidebar.container()
    if shown(state, "batch_size"):
        sidebar.number_input(t("sidebar.batch_size"), **bounds("batch_size", high=largest), step=1, key="batch_size",
                             help=t("sidebar.batch_size_help", largest=largest))
    if shown(state, "shuffle"):
        sidebar.selectbox(t("sidebar.shuffle"), SAMPLINGS, key="shuffle", format_func=option_names(SAMPLING_LABELS),
                          help=t("sidebar.shuffle_help"))
    if state["shuffle"] == "replacement" and drawn:
        sidebar.caption(t("sidebar.replacement_limits"))
    elif state["shuffle"] == "blocks" and drawn and n_train > sgdcore.TrainConfig().block_size:  # else one block
        sidebar.caption(t("sidebar.blocks_limits", block=sgdcore.TrainConfig().block_size))
    if shown(state, "epochs"):
        sidebar.number_input(t("sidebar.epochs"), **bounds("epochs"), step=1, key="epochs")
    if shown(state, "momentum"):
        sidebar.slider(t("sidebar.momentum"), **bounds("momentum"), step=0.01, key="momentum")
    if shown(state, "nesterov"):
        sidebar.toggle(t("sidebar.nesterov"), key="nesterov", disabled=state["momentum"] == 0,
                       help=t("sidebar.nesterov_help"))
    if shown(state, "weight_decay"):
        sidebar.number_input(t("sidebar.weight_decay"), **bounds("weight_decay"), step=0.001, format="%g",
                             key="weight_decay", help=t("sidebar.weight_decay_help"))
    if shown(state, "l1_penalty"):
        sidebar.number_input(t("sidebar.l1_penalty"), **bounds("l1_penalty"), step=0.001, format="%g",
                             key="l1_penalty", help=t("sidebar.l1_penalty_help"))
    if shown(state, "schedule"):
        sidebar.selectbox(t("sidebar.schedule"), tuple(SCHEDULE_LABELS), key="schedule",
                          format_func=option_names(SCHEDULE_LABELS))
    schedule = state["schedule"]
    schedule_drawn = [key for key in schedule_controls(schedule) if shown(state, key)]
    if "decay_gamma" in schedule_drawn:
        sidebar.slider(t("sidebar.decay_gamma"), **bounds("decay_gamma"), step=0.01, key="decay_gamma")
    if "decay_epochs" in schedule_drawn:
        sidebar.number_input(t("sidebar.decay_epochs"), **bounds("decay_epochs"), step=1, key="decay_epochs")
    if "power_t" in schedule_drawn:
        sidebar.slider(t("sidebar.power_t"), **bounds("power_t"), step=0.05, key="power_t")
    try:
        config = train_config(state, n_train)
    except sgdcore.SGDCoreError as error:
        sidebar.error(error_text(error), icon="⚠️")
    else:
        # A classroom link that leaves no optimiser control to change has nothing to draw them beside.
        if drawn:
            if schedule != "constant" or state["warmup_epochs"]:
                total_steps = config.steps_per_epoch(n_train) * config.epochs
                send_chart(sidebar, charts.schedule_chart(config, total_steps), width="stretch")
            # Beside the learning rate, drawn once the settings it depends on (batch size, momentum, decay) are read.
            limits = verdicts.limits_for(problem, data_key, config)
            # The zones strip first, right under the slider whose scale it shares.
            rate_zones = zones.rate_zones(problem, config, limits)
            send_chart(limits_slot, zones.zones_chart(rate_zones, config.learning_rate, grid), width="stretch")
            limits_slot.caption(zones.zones_text(rate_zones, config.learning_rate))
            limits_slot.caption(verdicts.limit_text(limits, config, verdicts.l1_keeps_weights_moving(
                problem, data_key, config, config.learning_rate)))
            message = verdicts.rate_check(sgdcore.check_learning_rate(problem, config, limits), config)
            if message.tone == "info":  # a stable rate: said quietly
                limits_slot.caption(message.text)
            else:
                verdicts.show(message, where=limits_slot, key="sidebar")
    cores = sgdcore.usable_cores()
    # Said here, not in the folded section below, where it would go unseen.
    if state["n_threads"] != AUTO:
        _lower_to("n_threads", cores)
    if not any(shown(state, key) for key in MORE_CONTROLS):
        return
    with sidebar.expander(t("sidebar.more")):
        if shown(state, "warmup_epochs"):
            st.number_input(t("sidebar.warmup_epochs"), **bounds("warmup_epochs"), step=1, key="warmup_epochs")
        if shown(state, "early_stopping"):
            st.toggle(t("sidebar.early_stopping"), key="early_stopping", help=t("sidebar.early_stopping_help"))
        if state["early_stopping"]:
            if shown(state, "tol"):
                st.number_input(t("sidebar.tol"), **bounds("tol"), format="%g", step=1e-4, key="tol")
            if shown(state, "n_iter_no_change"):
                st.number_input(t("sidebar.n_iter_no_change"), **bounds("n_iter_no_change"), step=1,
                                key="n_iter_no_change")
        if shown(state, "seed"):
            st.number_input(t("sidebar.seed"), **bounds("seed"), step=1, key="seed")
        if shown(state, "n_threads"):
            threads_widget(cores, state["batch_size"], problem.train.n_features)


def threads_widget(cores: int, batch_size: int, n_features: int) -> None:
    """"Training threads": automatic by default, a number where the user wants one, and a word when that number
    makes training slower (small minibatches: a second thread costs more than it saves)."""
    state = st.session_state
    picked = auto_threads(batch_size, n_features, cores)
    options = (AUTO, *range(1, cores + 1))
    if state["n_threads"] not in options:  # a number above the cores is lowered above; anything else is automatic
        state["n_threads"] = AUTO
    automatic = t("sidebar.threads_auto", picked=picked)
    st.selectbox(
        t("sidebar.threads"), options, key="n_threads", disabled=cores == 1,
        format_func=lambda option: automatic if option == AUTO else str(option),
        help=t("sidebar.threads_help", work=AUTO_THREADS_MIN_WORK)
        + (t("sidebar.threads_one_core") if cores == 1 else ""),
    )
    chosen = state["n_threads"]
    if chosen != AUTO and chosen > picked:
        why = (t("sidebar.threads_too_small")
               if chosen > auto_threads(batch_size, n_features, cores, load=0.0)
               else t("sidebar.threads_busy"))
        st.caption(tn("sidebar.threads_slower", n_features, chosen=chosen, batch_size=batch_size, picked=picked,
                      why=why))


def shared_sidebar() -> Choice:
    """Everything in the sidebar, for the router: the language, data, then the optimiser for that data."""
    init_settings()
    keep_page_settings()
    language_switch()
    for problem_text in st.session_state.pop("_link_problems", []):
        st.toast(problem_text, icon="🔗")
    classroom_notice(st.session_state, sidebar_controls(st.session_state))
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
        show_error(choice.error or t("sidebar.no_data"))
        st.stop()
    if choice.error:
        st.warning(choice.error, icon="⚠️")
    return choice


def trained_on(run_key: str, data_key: str) -> bool:
    """Whether a run saved under ``run_key`` was trained on the data ``data_key`` names: run keys start with it."""
    return run_key.startswith(f"{data_key}|")


def seeds_widget(where: Any = None) -> int:
    """A comparison page's "Seeds per configuration" (in ``where``, by default the page), and its value."""
    if shown(st.session_state, "repeat_seeds"):
        (where or st).number_input(t("sidebar.seeds"), **bounds("repeat_seeds"), step=1, key="repeat_seeds",
                                   help=t("sidebar.seeds_help", quantile_seeds=charts.QUANTILE_SEEDS))
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
    runs = tn("sidebar.seeds_caption.runs", total)
    if count == 1 or once == len(plan):
        if count > 1:
            return t("sidebar.seeds_caption.one_each_full_batch", runs=runs, first=first)
        return t("sidebar.seeds_caption.one_each", runs=runs, first=first)
    last = first + count - 1
    listed = ", ".join(map(str, range(first, last + 1))) if count <= 3 else f"{first}, {first + 1}, …, {last}"
    seeds = t("sidebar.seeds_caption.seeds", count=count, listed=listed)
    text = tn("sidebar.seeds_caption.configurations", len(plan) - once, runs=runs, seeds=seeds)
    if once:
        text += t("sidebar.seeds_caption.full_batch_once", once=once, first=first)
    band = charts.band_name(count) + (t("sidebar.seeds_caption.band_few", quantile_seeds=charts.QUANTILE_SEEDS)
                                      if count < charts.QUANTILE_SEEDS else t("sidebar.seeds_caption.band_quantiles"))
    return t("sidebar.seeds_caption.chart", text=text, band=band)


def seed_label(label: str, seed: int) -> str:
    """The name of one seed's run of the configuration ``label``, as the progress bar shows it."""
    return t("sidebar.seed_label", label=label, seed=seed)


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


def final_loss_columns(problem: sgdcore.Problem, comparison: sgdcore.Comparison,
                       column: Mapping[str, str]) -> dict[str, str]:
    """A comparison table's final loss and gap to the closed form, from the ``comparison`` (in the target's own
    units) of the parameters a run ended with (a diverged run's last full-epoch loss is from before it blew up),
    both in the loss chart's units: the standardised target's when the data are standardised."""
    square = problem.scaler.target_std ** 2 if problem.scaler is not None else 1.0
    return {column["final_loss"]: format_number(comparison.train_loss_sgd / square),
            column["gap"]: format_number(comparison.loss_gap / square)}


def seed_columns(entry: Mapping[str, Any], label: str) -> dict[str, str]:
    """A comparison table's columns about the seeds, for the configuration ``label``: which seed is the median
    run the row quotes, and the band of the final losses over the seeds (none when every run had one seed)."""
    if not repeated(entry):
        return {}
    runs = list(entry["repeats"][label].values())
    median_seed, final_losses = t("sidebar.seed_columns.median_seed"), t("sidebar.seed_columns.final_losses")
    if len(runs) == 1:
        return {median_seed: t("sidebar.seed_columns.one_run", seed=entry["configs"][label].seed), final_losses: "—"}
    finals = charts.final_losses(runs)
    (low,), (high,) = charts.run_quantiles(finals[:, None], charts.band_quantiles(len(runs)))
    diverged = int(np.isinf(finals).sum())
    band = dict(low=format_number(float(low)), high=format_number(float(high)), band=charts.band_name(len(runs)),
                runs=len(runs))
    return {median_seed: str(entry["configs"][label].seed),
            final_losses: t("sidebar.seed_columns.band_diverged", diverged=diverged, **band) if diverged
            else t("sidebar.seed_columns.band", **band)}


def seeds_table_caption() -> str:
    """What a comparison table's rows quote when each configuration was trained with several seeds."""
    return t("sidebar.seeds_table_caption")


def __getattr__(name: str) -> str:
    # ``SEEDS_TABLE_CAPTION``, as the comparison pages import it: looked up in the page's language at each
    # import (a page's imports run at every run of the page), where a constant would keep the first language.
    if name == "SEEDS_TABLE_CAPTION":
        return seeds_table_caption()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _repeats_interrupted(entry: MutableMapping[str, Any] | None) -> None:
    """Like :func:`ui.runner.runs_interrupted`, for every seed's run of a comparison."""
    if entry is not None and "repeats" in entry:
        entry["repeats"] = {label: {seed: progress.stopped() if progress.status == "running" else progress
                                    for seed, progress in runs.items()} for label, runs in entry["repeats"].items()}


def train_comparison(
    key: str, problem: sgdcore.Problem, configs: dict[str, sgdcore.TrainConfig], *, data_key: str,
    clicked: bool, bar: Any, draw: Callable[[dict[str, Any]], None] | None = None, live: bool = True,
    seeds: Mapping[str, list[int]] | None = None, names: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """A comparison page's runs: trained one after another when ``clicked`` (progress in ``bar``, naming each run
    by ``names``, its label's name in the page's language), every snapshot kept in ``st.session_state[key]`` as
    :func:`comparison_entry` makes it, keyed on ``data_key`` (the data they are trained on), the configurations
    and the ``seeds`` each trains with (:func:`seed_plan`; by default its own seed alone). ``draw`` gets that
    entry.

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
        shown = {seed_label(label, seed): seed_label((names or {}).get(label, label), seed)
                 for label in configs for seed in plan[label]}

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
                      report=lambda label, index: bar.progress(index / len(every_seed),
                                                               text=t("sidebar.training", label=shown[label])))
        except sgdcore.SGDCoreError as error:
            show_error(error)
        bar.empty()
        waiting.empty()
    entry = state.get(key)
    if entry is not None and not trained_on(entry["key"], data_key):
        st.info(t("sidebar.data_changed"))
        return None
    if entry is not None and entry["key"] != run_key:
        st.info(t("sidebar.settings_changed"))
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


def factor_text(factor: float, digits: int = 4) -> str:
    """A factor a step multiplies by, as :func:`format_number` writes it, but written ``1 − 1.7e-06`` where that
    would round it to 1: a contraction just below 1 is not 1, and the tables say that above 1 means divergence."""
    shown = format_number(factor, digits)
    if math.isfinite(factor) and factor != 1 and float(shown) == 1:
        return f"1 − {1 - factor:.2g}" if factor < 1 else f"1 + {factor - 1:.2g}"
    return shown

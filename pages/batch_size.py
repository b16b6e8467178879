"""Batch size: noisy cheap steps against smooth expensive ones, per epoch, per example and per second."""

import numpy as np
import pandas as pd
import streamlit as st

import sgdcore
from ui import charts, verdicts
from ui.classroom import shown
from ui.datasets import gradient_noise_table
from ui.i18n import labels, language, t, text_in
from ui.lesson import lesson_panel
from ui.navigation import require_router
from ui.run_names import named
from ui.runner import short_status
from ui.sampling import SAMPLING_LABELS, noise_by_sampling_table
from ui.settings import batch_size_runs, bounds, lowered_batch_sizes, value
from ui.slots import send_chart
from ui.widgets import (
    SEEDS_TABLE_CAPTION,
    comparison_loss_chart,
    final_loss_columns,
    format_number,
    page_problem,
    repeated,
    seed_columns,
    seed_plan,
    seeds_caption,
    seeds_widget,
    show_error,
    train_comparison,
)

require_router()  # first: on a fresh server this page may have been started without the router

RUNS = "batch_size_runs"  # session_state: ui.widgets.comparison_entry, {"runs": {label: median run}, …}
state = st.session_state

st.title(t("batch_size.title"))
st.markdown(t("batch_size.intro"))
lesson_panel("batch_size")

choice = page_problem()
problem = choice.problem
n_train = problem.train.n_rows

# Each control is drawn unless a classroom link fixes it; a fixed one keeps the link's value (or its default).
left, right = st.columns([3, 1])
if shown(state, "batch_sizes_compared"):
    left.text_input(t("batch_size.sizes_compared"), key="batch_sizes_compared",
                    help=t("batch_size.sizes_compared_help", rows=n_train))
if shown(state, "batch_size_page_epochs"):
    right.number_input(t("batch_size.epochs"), **bounds("batch_size_page_epochs"), step=1,
                       key="batch_size_page_epochs")
seeds = seeds_widget(right)  # drawn unless a classroom link fixes it


def run_name(config: sgdcore.TrainConfig, lang: str) -> str:
    """A run's name in the language ``lang``: its batch size, saying which is the full batch (a batch of every row:
    not as many rows drawn with replacement, which repeat some and miss others)."""
    if config.batch_size == n_train:
        key = "batch_size.run.drawn" if config.shuffle == "replacement" else "batch_size.run.full"
    else:
        key = "batch_size.run.minibatch"
    return text_in(lang, key, batch_size=config.batch_size)


def run_names(configs: dict[str, sgdcore.TrainConfig]) -> dict[str, str]:
    """The name of each run of ``configs`` in the page's language, by its label."""
    return {label: run_name(config, language()) for label, config in configs.items()}


def limit_text(limit: sgdcore.StabilityLimit) -> str:
    """A stability limit's rate, saying when it is a lower bound."""
    return t("batch_size.limit_lower_bound" if limit.kind == "lower_bound" else "batch_size.limit",
             rate=limit.learning_rate)


try:
    # Keyed by the English name, in any language (ui.run_names)
    configs = {run_name(config, "en"): config for config in batch_size_runs(state, n_train)}
except (ValueError, sgdcore.SGDCoreError) as error:
    show_error(error)
    st.stop()
names = run_names(configs)
lowered = lowered_batch_sizes(value(state, "batch_sizes_compared"), n_train)
if lowered:  # as the Momentum page says of its batch size: a batch holds at most every training row
    left.info(t("batch_size.sizes_lowered_one" if len(lowered) == 1 else "batch_size.sizes_lowered_many",
                sizes=t("verdicts.list_separator").join(f"{size:,}" for size in lowered), rows=n_train))
base = next(iter(configs.values()))
plan = seed_plan(configs, seeds, n_train)
# Each batch size has its own limit: small batches' noise lowers it below the full batch's.
limits = {label: verdicts.limits_for(problem, choice.key, config).minibatch for label, config in configs.items()}
full_limit = next(iter(limits.values())).full_batch
each = t("batch_size.separator").join(t("batch_size.limit_of", name=names[label], limit=limit_text(limit))
                                      for label, limit in limits.items())
st.caption(t("batch_size.caption", rate=base.learning_rate, ratio=verdicts.Ratio(base.learning_rate / full_limit),
             full_limit=full_limit, rows=n_train, epochs=base.epochs, seed=base.seed, each=each))
if getattr(problem, "on_cluster", False):  # large data (ui.large_data): which limit, and what needs the rows
    st.caption(problem.page_note(base, runs=sum(map(len, plan.values()))))
warning = verdicts.comparison_check({names[label]: (configs[label], limit) for label, limit in limits.items()},
                                    n_train)
if warning is not None:
    verdicts.show(warning, key="batch_size_page")

train_clicked = st.button(t("batch_size.train"), type="primary", icon=":material/play_arrow:")
st.caption(seeds_caption(plan, seeds))
bar_slot = st.empty()


# Not live: redrawing while training would be counted in the wall-time comparison.
entry = train_comparison(RUNS, problem, configs, data_key=choice.key, clicked=train_clicked, bar=bar_slot, live=False,
                         seeds=plan, names=names)
if entry is None:
    st.info(t("batch_size.press_train"))
else:
    runs = entry["runs"]
    shown_entry = named(entry, run_names(entry["configs"]))
    tabs = labels("batch_size.per")
    per_epoch, per_example, per_second = st.tabs([tabs["epoch"], tabs["example"], tabs["second"]])
    for tab, x in ((per_epoch, "epoch"), (per_example, "examples"), (per_second, "seconds")):
        send_chart(tab, comparison_loss_chart(shown_entry, x, floor=problem.optimum_loss, n_rows=n_train,
                                              title=t("batch_size.loss_chart")), width="stretch")
    rows = []
    diagnoses = verdicts.run_diagnoses(entry, problem, choice.key)
    column = labels("batch_size.column")
    for label, progress in runs.items():
        config = entry["configs"][label]
        limit = verdicts.limits_for(problem, choice.key, config).minibatch
        epoch_seconds = np.diff(progress.epoch_seconds)
        # Both of the epoch the median: a whole run's time holds the kernel's compiling and the machine's stalls
        median = float(np.median(epoch_seconds)) if len(epoch_seconds) else None
        steps_per_second = config.steps_per_epoch(n_train) / median if median else progress.steps_per_second
        rows.append({
            # Text, not a number: pandas makes evenly spaced integers a RangeIndex, which st.table hides.
            column["batch_size"]: f"{config.batch_size:,}", column["steps_per_epoch"]: config.steps_per_epoch(n_train),
            column["seconds_per_epoch"]: format_number(median, 3),
            column["steps_per_second"]: f"{steps_per_second:,.0f}",
            column["limit"]: limit_text(limit),
            column["outcome"]: short_status(progress, diagnoses[label]),
            **final_loss_columns(problem, problem.compare(progress.weights, progress.bias), column),
            **seed_columns(entry, label),
        })
    st.table(pd.DataFrame(rows).set_index(column["batch_size"]))
    if repeated(entry):
        st.caption(t("batch_size.seeds_wall_time", seeds_caption=SEEDS_TABLE_CAPTION))

st.subheader(t("batch_size.noise_title"))
left, right = st.columns([3, 2])
# Large data on a cluster (ui.large_data): measured on a bounded sample of its rows, at the whole data's optimum.
sample = getattr(problem, "sample_problem", None)
noise = gradient_noise_table(sample or problem, choice.key, value(state, "seed"))
if sample is not None:
    st.caption(t("batch_size.noise_sample", sample_rows=sample.train.n_rows, rows=n_train))
send_chart(left, charts.gradient_noise_chart(noise), width="stretch")
right.markdown(t("batch_size.noise_text"))

st.subheader(t("batch_size.sampling_title"))
sampling = value(state, "shuffle")
left, right = st.columns([3, 2])
block_size = sgdcore.TrainConfig().block_size
by_sampling = noise_by_sampling_table(sample or problem, choice.key, value(state, "seed"), block_size)
send_chart(left, charts.sampling_noise_chart(by_sampling, SAMPLING_LABELS, sampling), width="stretch")
right.markdown(t("batch_size.sampling_text", sampling=SAMPLING_LABELS[sampling]))

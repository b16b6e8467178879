"""Batch size: noisy cheap steps against smooth expensive ones, per epoch, per example and per second."""

import numpy as np
import pandas as pd
import streamlit as st

import sgdcore
from ui import charts, verdicts
from ui.datasets import gradient_noise_table
from ui.lesson import lesson_panel
from ui.navigation import require_router
from ui.runner import short_status
from ui.sampling import SAMPLING_LABELS, noise_by_sampling_table
from ui.settings import batch_size_runs, bounds, value
from ui.widgets import (
    SEEDS_TABLE_CAPTION,
    comparison_loss_chart,
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

st.title("Choosing the batch size")
st.markdown(
    "A minibatch of **B** rows gives an unbiased estimate of the full gradient whose spread shrinks like "
    "**1/√B**. Small batches take many cheap, noisy steps per epoch; the full batch takes one exact, expensive "
    "step. Per epoch small batches win, per step large ones do, and on real hardware vectorisation makes a "
    "batch of 100 cost far less than 100 batches of 1: compare the curves per epoch, per example and per "
    "second. With a constant learning rate, the noise also leaves SGD hovering above the closed-form loss."
)
lesson_panel("batch_size")

choice = page_problem()
problem = choice.problem
n_train = problem.train.n_rows

left, right = st.columns([3, 1])
left.text_input("Batch sizes to compare", key="batch_sizes_compared",
                help=f"Comma-separated whole numbers, or 'full' for all {n_train} training rows.")
right.number_input("Epochs", **bounds("batch_size_page_epochs"), step=1, key="batch_size_page_epochs")
seeds = seeds_widget(right)

try:
    configs = {f"B = {config.batch_size}" + (" (full)" if config.batch_size == n_train else ""): config
               for config in batch_size_runs(state, n_train)}
except (ValueError, sgdcore.SGDCoreError) as error:
    show_error(error)
    st.stop()
base = next(iter(configs.values()))
plan = seed_plan(configs, seeds, n_train)
# Each batch size has its own limit: small batches' noise lowers it below the full batch's.
limits = {label: verdicts.limits_for(problem, choice.key, config).minibatch for label, config in configs.items()}
full_limit = next(iter(limits.values())).full_batch
each = "; ".join(f"{label}: {limit.learning_rate:.3g}{' or more' if limit.kind == 'lower_bound' else ''}"
                 for label, limit in limits.items())
st.caption(f"Learning rate η = {base.learning_rate:g} ({base.learning_rate / full_limit:.2g}× the full-batch "
           f"stability limit {full_limit:.3g}) and the other optimiser settings from the sidebar; {n_train} "
           f"training rows, {base.epochs} epochs, seed {base.seed}. Stability limit for each batch size: {each}.")
if getattr(problem, "on_cluster", False):  # large data (ui.large_data): which limit, and what needs the rows
    st.caption(problem.page_note(base, runs=sum(map(len, plan.values()))))
warning = verdicts.comparison_check({label: (configs[label].learning_rate, limit) for label, limit in limits.items()})
if warning is not None:
    verdicts.show(warning, key="batch_size_page")

train_clicked = st.button("Train all", type="primary", icon=":material/play_arrow:")
st.caption(seeds_caption(plan, seeds))
bar_slot = st.empty()


# Not live: redrawing while training would be counted in the wall-time comparison.
entry = train_comparison(RUNS, problem, configs, data_key=choice.key, clicked=train_clicked, bar=bar_slot, live=False,
                         seeds=plan)
if entry is None:
    st.info("Press **Train all** to train every batch size with the same learning rate from the same start.")
else:
    runs = entry["runs"]
    per_epoch, per_example, per_second = st.tabs(["per epoch", "per example processed", "per second"])
    for tab, x in ((per_epoch, "epoch"), (per_example, "examples"), (per_second, "seconds")):
        tab.altair_chart(comparison_loss_chart(entry, x, floor=problem.optimum_loss, n_rows=n_train,
                                               title="Training loss"), width="stretch")
    rows = []
    diagnoses = verdicts.run_diagnoses(entry, problem, choice.key)
    for label, progress in runs.items():
        config = entry["configs"][label]
        limit = verdicts.limits_for(problem, choice.key, config).minibatch
        comparison = problem.compare(progress.weights, progress.bias)
        epoch_seconds = np.diff(progress.epoch_seconds)
        rows.append({
            "batch size": config.batch_size, "steps per epoch": config.steps_per_epoch(n_train),
            "seconds per epoch": format_number(float(np.median(epoch_seconds)) if len(epoch_seconds) else None, 3),
            "steps per second": f"{progress.steps_per_second:,.0f}",
            "stability limit": f"{limit.learning_rate:.3g}" + (" or more" if limit.kind == "lower_bound" else ""),
            "outcome": short_status(progress, diagnoses[label]),
            "final loss": format_number(progress.epoch_train_loss[-1]),
            "gap to closed form": format_number(comparison.loss_gap),
            **seed_columns(entry, label),
        })
    st.table(pd.DataFrame(rows).set_index("batch size"))
    if repeated(entry):
        st.caption(f"{SEEDS_TABLE_CAPTION} Its wall time is the median run's as well.")

st.subheader("Gradient noise against batch size: predicted (lines) and measured (dots)")
left, right = st.columns([3, 2])
# Large data on a cluster (ui.large_data): measured on a bounded sample of its rows, at the whole data's optimum.
sample = getattr(problem, "sample_problem", None)
noise = gradient_noise_table(sample or problem, choice.key, value(state, "seed"))
if sample is not None:
    st.caption(f"Large data: predicted and measured on a random sample of {sample.train.n_rows:,} of the "
               f"{n_train:,} rows (the spread of gradients at the full batch of the sample, not of the data, is 0).")
left.altair_chart(charts.gradient_noise_chart(noise), width="stretch")
right.markdown(
    "The **spread** is the root-mean-square distance ‖g_B − g‖ between a minibatch gradient and the full "
    "gradient. Lines: the exact prediction √(tr Σ / B · (n − B)/(n − 1)) from the covariance Σ of the "
    "per-example gradients; dots: measured on random batches. It falls like 1/√B and reaches 0 at the "
    "full batch. At the optimum the full gradient is zero, so this noise is all SGD sees there: it is why a "
    "constant learning rate leaves SGD hovering instead of landing."
)

st.subheader("How the minibatches are drawn")
sampling = value(state, "shuffle")
left, right = st.columns([3, 2])
block_size = sgdcore.TrainConfig().block_size
by_sampling = noise_by_sampling_table(sample or problem, choice.key, value(state, "seed"), block_size)
left.altair_chart(charts.sampling_noise_chart(by_sampling, SAMPLING_LABELS, sampling), width="stretch")
right.markdown(
    "At the optimum, where the full gradient is zero, each way of drawing minibatches (the sidebar's **Minibatches "
    f"drawn**, now *{SAMPLING_LABELS[sampling]}*, drawn bold) leaves its own noise. Drawn **with replacement**, "
    "the rows of a batch are independent: the spread is √(s²/B), s² the mean squared distance of the per-row "
    "gradients from their mean. **Without replacement** a batch holds B different rows, so the spread is smaller "
    "by √((n − B)/(n − 1)), and 0 at the full batch. **Blocks** of neighbouring rows behave as without replacement "
    "when the rows are in random order, and are noisier when the file is sorted. Dots: measured on the batches "
    "sgdcore's own shuffles make, one epoch after another."
)

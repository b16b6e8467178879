"""Momentum: plain gradient descent, heavy-ball momentum and Nesterov on an ill-conditioned valley."""

from typing import Any

import pandas as pd
import streamlit as st

import sgdcore
from ui import charts, verdicts
from ui.axis import choose_axis
from ui.datasets import momentum_valley
from ui.lesson import lesson_panel
from ui.navigation import require_router
from ui.runner import short_status
from ui.settings import bounds, momentum_runs, value
from ui.slots import ChartSlot
from ui.widgets import (
    SEEDS_TABLE_CAPTION,
    comparison_loss_chart,
    format_number,
    repeated,
    seed_columns,
    seed_plan,
    seeds_caption,
    seeds_widget,
    show_error,
    train_comparison,
)

require_router()  # first: on a fresh server this page may have been started without the router

RUNS = "momentum_runs"  # session_state: ui.widgets.comparison_entry, {"runs": {label: median run}, …}
state = st.session_state

st.title("Why momentum helps")
st.markdown(
    "When the loss is a long narrow valley (an **ill-conditioned** Hessian: λ_max ≫ λ_min), a learning rate "
    "small enough for the steep direction crawls along the shallow one: plain gradient descent needs about "
    "κ = λ_max/λ_min steps. **Momentum** keeps a running velocity **v ← μv + g, θ ← θ − ηv**, so steps along the "
    "valley add up while the zig-zag across it cancels, cutting that to about √κ steps. **Nesterov** takes the "
    "gradient at the look-ahead point, which damps the oscillation further. Same data, same start, same η."
)
lesson_panel("momentum")

left, middle, right = st.columns(3)
left.number_input("Condition number κ", **bounds("condition_number"), step=10.0, format="%g",
                  key="condition_number", help="How much steeper the valley is across w1 than along w2.")
middle.slider("Momentum μ", **bounds("momentum_compared"), step=0.01, key="momentum_compared")
right.number_input("Learning rate (× 1/λ_max)", **bounds("momentum_page_rate_multiple"), step=0.1, format="%g",
                   key="momentum_page_rate_multiple",
                   help="Plain descent is stable below 2; momentum allows up to 2(1+μ).")
problem = momentum_valley(state)
curvature = problem.curvature
mu = value(state, "momentum_compared")
n_train = problem.train.n_rows
left, middle, right = st.columns(3)
left.number_input("Epochs", **bounds("momentum_page_epochs"), step=10, key="momentum_page_epochs",
                  help="With the full batch, one step each.")
middle.toggle("Full batch", key="momentum_page_full_batch",
              help="Off: minibatches of the batch size beside, to see momentum amplify minibatch noise.")
seeds = seeds_widget(middle)
if not value(state, "momentum_page_full_batch"):
    if value(state, "momentum_page_batch_size") > n_train:  # from a link: the valley has fewer rows
        right.info(f"Batch size lowered from {state['momentum_page_batch_size']} to {n_train}, the valley's rows.")
        state["momentum_page_batch_size"] = n_train
    right.number_input("Batch size", **bounds("momentum_page_batch_size", high=n_train), step=1,
                       key="momentum_page_batch_size",
                       help=f"This page's own (the sidebar's is for the other pages); {n_train} is the full batch.")
x_axis = choose_axis()
try:
    configs = momentum_runs(state, problem)
except sgdcore.SGDCoreError as error:
    show_error(error)
    st.stop()
plan = seed_plan(configs, seeds, n_train)
rate = configs["plain gradient descent"].learning_rate
batch_size = configs["plain gradient descent"].batch_size
full_batch = batch_size >= n_train
steps_per_epoch = configs["plain gradient descent"].steps_per_epoch(n_train)
data_key = f"{problem.names}|{curvature.eigenvalues.tolist()}"  # the valley: its condition number and seed
limits = {label: verdicts.limits_for(problem, data_key, config).minibatch for label, config in configs.items()}
# The limits of this batch size (the full batch's when every step uses all rows), by the runs' labels.
each = ", ".join(f"{label.split(' μ')[0]} {limit.learning_rate:.3g}{' or more' if limit.kind == 'lower_bound' else ''}"
                 for label, limit in limits.items())
st.caption(
    f"Synthetic data, {n_train} rows, y = 2·x1 − 3.4·x2 + 4.2 + noise, with x2 shrunk so that the Hessian "
    f"XᵀX/n (bias included) has eigenvalues {', '.join(f'{lam:.3g}' for lam in curvature.eigenvalues)}: "
    f"condition number **{curvature.condition_number:.3g}**. η = {rate:.4g}. "
    + (f"Every step uses all {n_train} rows, so the limits are the full batch's (minibatch noise would lower them). "
       if full_batch else f"Minibatches of {batch_size} rows ({steps_per_epoch} steps "
       "an epoch): their noise lowers the limits below the full batch's and leaves a noise floor, which "
       "momentum raises, since it adds up the noise of successive steps as it adds up the steps. ")
    + f"Stability limits: {each}."
)

warning = verdicts.comparison_check({label: (config.learning_rate, limits[label]) for label, config in configs.items()})
if warning is not None:
    verdicts.show(warning, key="momentum_page")
if mu == 0:
    st.info("With μ = 0 momentum and Nesterov are plain gradient descent: raise μ to compare.")

train_clicked = st.button("Train all three" if mu > 0 else "Train", type="primary", icon=":material/play_arrow:")
st.caption(seeds_caption(plan, seeds))
bar_slot = st.empty()
loss_column, landscape_column = st.columns(2)
loss_slot, landscape_slot = ChartSlot(loss_column), ChartSlot(landscape_column)


def draw(entry: dict[str, Any]) -> None:
    shown = entry["configs"]  # the runs' own: the settings may have changed since
    loss_slot.altair_chart(comparison_loss_chart(entry, x_axis, floor=problem.optimum_loss, n_rows=n_train,
                                                 title="Training loss"), width="stretch")
    landscape_slot.altair_chart(charts.landscape_chart(problem, entry["runs"], 0, 1, title="Paths across the valley",
                                                       configs=shown))


entry = train_comparison(RUNS, problem, configs, data_key=data_key, clicked=train_clicked, bar=bar_slot, draw=draw,
                         seeds=plan)
if entry is None:
    landscape_slot.altair_chart(charts.landscape_chart(problem, {}, 0, 1, title="The valley"))
    st.info("Press **Train** to run each optimiser from the same start.")
    st.stop()
runs = entry["runs"]
draw(entry)

rows = []
diagnoses = verdicts.run_diagnoses(entry, problem, data_key)
for label, progress in runs.items():
    config = entry["configs"][label]
    comparison = problem.compare(progress.weights, progress.bias)
    gaps = progress.epoch_train_loss - problem.optimum_loss
    close = gaps <= 1e-3 * max(gaps[0], 1e-300)
    # The gap is measured at the end of each epoch: the step count is the first epoch end that reached it.
    reached = int(close.argmax()) * progress.steps_per_epoch
    row = {
        "optimiser": label, "outcome": short_status(progress, diagnoses[label]),
        "contraction per step": format_number(sgdcore.contraction_factor(
            curvature.eigenvalues, config.learning_rate, config.momentum, config.dampening, config.nesterov)),
        "steps to 1/1000 of the initial gap": f"{reached:,}" if close.any() else "not reached",
        "final gap to closed form": format_number(comparison.loss_gap),
    }
    if config.batch_size < n_train:
        floor = verdicts.noise_floor_for(problem, data_key, config, verdicts.limits_for(problem, data_key, config))
        row["noise floor: expected gap"] = format_number(floor.excess_loss) if floor else "— (rate above the limit)"
    row["‖θ − θ*‖"] = format_number(comparison.distance)
    row.update(seed_columns(entry, label))
    rows.append(row)
st.table(pd.DataFrame(rows).set_index("optimiser"))
st.caption("Contraction per step: the spectral radius of the update in the slowest direction (below 1 converges; "
           "smaller is faster), of the mean with minibatches. Theory: plain descent at best (κ−1)/(κ+1); momentum "
           "at best (√κ−1)/(√κ+1)."
           + ("" if full_batch else " Steps to 1/1000 of the gap are counted at the end of each epoch. Noise floor: "
              "the loss above the closed form's that minibatch noise keeps each run at, on average, once the start is "
              "forgotten (sgdcore.noise_floor, for independent batches).")
           + (f" {SEEDS_TABLE_CAPTION}" if repeated(entry) else ""))

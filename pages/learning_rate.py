"""Learning rate: the same data and seed trained with several rates at once, against the stability limit."""

from typing import Any

import pandas as pd
import streamlit as st

import sgdcore
from ui import charts, verdicts
from ui.axis import choose_axis
from ui.lesson import lesson_panel
from ui.navigation import require_router
from ui.runner import short_status
from ui.settings import bounds, learning_rate_runs, learning_rate_unit, value
from ui.slots import ChartSlot
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

RUNS = "learning_rate_runs"  # session_state: ui.widgets.comparison_entry, {"runs": {label: median run}, …}
state = st.session_state

st.title("Choosing the learning rate")
st.markdown(
    "Gradient descent steps against the gradient, **θ ← θ − η∇L(θ)**. On our squared loss the error along "
    "each eigen-direction of the Hessian **H = XᵀX/n** is multiplied by **1 − ηλ** at every step. A rate far "
    "below **1/λ_max** is safe but slow; between **1/λ_max** and the stability limit **2/λ_max** the steps "
    "overshoot and the iterates oscillate across the valley while they converge; above **2/λ_max** every "
    "step overshoots by more than it gains and the loss blows up. Train several rates at once and watch."
)
lesson_panel("learning_rate")


choice = page_problem()
problem = choice.problem
n_train = problem.train.n_rows

left, middle, right = st.columns([2, 1, 1])
RATE_MODES = {"multiples": "multiples of half a stability limit (2 = the limit)", "absolute": "learning rates η"}
MULTIPLES_OF = {"full_batch": "the full batch's (1/λ_max for plain descent)",
                "batch_size": "the batch size's in use (lower for small batches)"}
middle.radio("The rates are", tuple(RATE_MODES), key="learning_rates_given_as", format_func=RATE_MODES.__getitem__)
middle.radio("Half of which limit", tuple(MULTIPLES_OF), key="learning_rate_multiples_of",
             format_func=MULTIPLES_OF.__getitem__, disabled=value(state, "learning_rates_given_as") != "multiples",
             help="Minibatch noise lowers the stability limit below the full batch's: at batch size 1 often far "
                  "below. With the full batch the two are one.")
left.text_input("Learning rates to compare", key="learning_rates_compared",
                help="Comma-separated, e.g. 0.1, 0.5, 1, 1.9, 2.1 (multiples of half the limit, 1/λ_max for the full "
                     "batch: 1 is the fastest rate for the steepest direction, 2 the stability limit) or 0.01, 0.1 "
                     "(rates).")
right.number_input("Epochs", **bounds("learning_rate_page_epochs"), step=1, key="learning_rate_page_epochs")
right.toggle("Full batch", key="learning_rate_page_full_batch",
             help=f"Gradient descent on all {n_train} training rows, where the limit is 2/λ_max. Off: the "
                  f"sidebar's batch size ({value(state, 'batch_size')}), whose noise lowers the limit.")
seeds = seeds_widget(right)


def page_limits(config: sgdcore.TrainConfig) -> sgdcore.Limits:
    return verdicts.limits_for(problem, choice.key, config)


try:
    runs = learning_rate_runs(state, problem, lambda config: page_limits(config).minibatch)
except (ValueError, sgdcore.SGDCoreError) as error:
    show_error(error)
    st.stop()

base = runs[0]
limits = page_limits(base)
limit, full_limit = limits.minibatch.learning_rate, limits.full_batch
unit = learning_rate_unit(state, limits.minibatch)
plain_full_batch = not base.momentum and not base.weight_decay and unit == full_limit / 2
rates = [config.learning_rate for config in runs]
configs = {}
for config in runs:
    rate = config.learning_rate
    label = f"η = {rate:.3g} ({rate / unit:.2g}/λ_max)" if plain_full_batch else (
        f"η = {rate:.3g} ({rate / limit:.2g}× the limit)")
    configs.setdefault(label, config)
plan = seed_plan(configs, seeds, n_train)
settings_used = " and ".join(name for name, on in (("momentum", base.momentum), ("weight decay", base.weight_decay))
                            if on)
with_settings = f"; with the sidebar {settings_used}: {full_limit:.4g}" if settings_used else ""
st.caption(f"Stability limit for this data: 2/λ_max = **{2 / problem.curvature.lambda_max:.4g}** (λ_max = "
           f"{problem.curvature.lambda_max:.4g}, condition number {problem.curvature.condition_number:.3g}"
           f"{with_settings}). {verdicts.limit_text(limits, base)} Rates: " + ", ".join(f"{rate:.3g}" for rate in rates)
           + f". Batch size {base.batch_size}, {base.epochs} epochs, seed {base.seed}; other settings from the "
           "sidebar.")
if getattr(problem, "on_cluster", False):  # large data (ui.large_data): which limit, and what needs the rows
    st.caption(problem.page_note(base, runs=sum(map(len, plan.values()))))
warning = verdicts.comparison_check({label: (config.learning_rate, limits.minibatch)
                                     for label, config in configs.items()})
if warning is not None:
    verdicts.show(warning, key="learning_rate_page")

train_clicked = st.button("Train all", type="primary", icon=":material/play_arrow:")
st.caption(seeds_caption(plan, seeds))

names = problem.names
with st.expander("Chart options"):
    left, right = st.columns(2)
    axis_a = left.selectbox("Landscape: horizontal parameter", range(len(names)), index=0,
                            format_func=names.__getitem__, key="lr_landscape_a")
    axis_b = right.selectbox("Landscape: vertical parameter", range(len(names)), index=min(1, len(names) - 1),
                             format_func=names.__getitem__, key="lr_landscape_b")
    x_axis = choose_axis()
bar_slot = st.empty()
loss_column, landscape_column = st.columns(2)
loss_slot, landscape_slot = ChartSlot(loss_column), ChartSlot(landscape_column)


def draw(entry: dict[str, Any]) -> None:
    shown = entry["configs"]  # the runs' own, not the page's settings (which may have changed): for the hover texts
    loss_slot.altair_chart(comparison_loss_chart(entry, x_axis, floor=problem.optimum_loss, n_rows=n_train,
                                                 title="Training loss"), width="stretch")
    if axis_a != axis_b:
        landscape_slot.altair_chart(charts.landscape_chart(problem, entry["runs"], axis_a, axis_b, configs=shown,
                                                           title="Paths on the loss landscape"))
    else:
        landscape_slot.info("Choose two different parameters for the landscape.")


entry = train_comparison(RUNS, problem, configs, data_key=choice.key, clicked=train_clicked, bar=bar_slot, draw=draw,
                         seeds=plan)
if entry is None:
    st.info("Press **Train all** to train every rate on the same data from the same start.")
    st.stop()
runs = entry["runs"]
draw(entry)

rows = []
diagnoses = verdicts.run_diagnoses(entry, problem, choice.key)
for label, progress in runs.items():
    comparison = problem.compare(progress.weights, progress.bias)
    config = entry["configs"][label]
    rate = config.learning_rate
    run_limit = page_limits(config).minibatch  # the run's own: the settings may have changed since
    contraction = sgdcore.contraction_factor(problem.curvature.eigenvalues, rate, config.momentum,
                                             config.dampening, config.nesterov)
    rows.append({
        "learning rate η": f"{rate:.4g}", "η / stability limit": f"{run_limit.ratio(rate):.3g}",
        **({} if config.batch_size >= n_train else {"η / full-batch limit": f"{rate / run_limit.full_batch:.3g}"}),
        "contraction per step": format_number(contraction),
        "outcome": short_status(progress, diagnoses[label]),
        "final loss": format_number(progress.epoch_train_loss[-1]),
        "gap to closed form": format_number(comparison.loss_gap),
        "‖θ − θ*‖": format_number(comparison.distance),
        **seed_columns(entry, label),
    })
st.table(pd.DataFrame(rows).set_index("learning rate η"))
st.caption("Contraction per step: max |1 − ηλ| over the Hessian's eigenvalues, the factor by which full-batch "
           "gradient descent shrinks the distance to the optimum in its slowest direction (above 1: divergence). "
           "The dashed line on the loss chart is the closed-form loss."
           + (f" {SEEDS_TABLE_CAPTION}" if repeated(entry) else ""))

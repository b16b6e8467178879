"""Momentum: plain gradient descent, heavy-ball momentum and Nesterov on an ill-conditioned valley."""

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import sgdcore
from ui import charts, verdicts
from ui.axis import choose_axis
from ui.classroom import shown
from ui.conditioning import kappa_text, kappa_texts_apart
from ui.datasets import momentum_valley
from ui.i18n import labels, t
from ui.lesson import ERROR_SHRINK, full_batch_steps_to_stay, lesson_panel
from ui.navigation import require_router
from ui.run_names import named
from ui.runner import short_status
from ui.settings import MOMENTUM_PAGE_STEPS, bounds, momentum_runs, value
from ui.slots import ChartSlot
from ui.widgets import (
    SEEDS_TABLE_CAPTION,
    comparison_loss_chart,
    factor_text,
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

st.title(t("momentum.title"))
st.markdown(t("momentum.intro"))
lesson_panel("momentum")

# Each control is drawn unless a classroom link fixes it; a fixed one keeps the link's value (or its default).
left, middle, right = st.columns(3)
if shown(state, "condition_number"):
    left.number_input(t("momentum.condition_number"), **bounds("condition_number"), step=10.0, format="%g",
                      key="condition_number", help=t("momentum.condition_number_help"))
if shown(state, "momentum_compared"):
    middle.slider(t("momentum.momentum"), **bounds("momentum_compared"), step=MOMENTUM_PAGE_STEPS["momentum_compared"],
                  key="momentum_compared")
if shown(state, "momentum_page_rate_multiple"):
    right.number_input(t("momentum.rate_multiple"), **bounds("momentum_page_rate_multiple"),
                       step=MOMENTUM_PAGE_STEPS["momentum_page_rate_multiple"], format="%g",
                       key="momentum_page_rate_multiple", help=t("momentum.rate_multiple_help"))
problem = momentum_valley(state)
curvature = problem.curvature
mu = value(state, "momentum_compared")
n_train = problem.train.n_rows
left, middle, right = st.columns(3)
if shown(state, "momentum_page_epochs"):
    left.number_input(t("momentum.epochs"), **bounds("momentum_page_epochs"), step=10, key="momentum_page_epochs",
                      help=t("momentum.epochs_help"))
if shown(state, "momentum_page_full_batch"):
    middle.toggle(t("momentum.full_batch"), key="momentum_page_full_batch", help=t("momentum.full_batch_help"))
seeds = seeds_widget(middle)  # drawn unless a classroom link fixes it
if not value(state, "momentum_page_full_batch") and shown(state, "momentum_page_batch_size"):
    if value(state, "momentum_page_batch_size") > n_train:  # from a link: the valley has fewer rows
        right.info(t("momentum.batch_size_lowered", batch_size=state["momentum_page_batch_size"], rows=n_train))
        state["momentum_page_batch_size"] = n_train
    right.number_input(t("momentum.batch_size"), **bounds("momentum_page_batch_size", high=n_train), step=1,
                       key="momentum_page_batch_size", help=t("momentum.batch_size_help", rows=n_train))
x_axis = choose_axis()
try:
    configs = momentum_runs(state, problem)  # keyed by English names, in any language (ui.run_names)
except sgdcore.SGDCoreError as error:
    show_error(error)
    st.stop()


def optimiser(config: sgdcore.TrainConfig) -> str:
    """The optimiser's name in the page's language: plain gradient descent, momentum or Nesterov."""
    kind = "nesterov" if config.nesterov else "heavy_ball" if config.momentum else "plain"
    return t(f"momentum.optimiser.{kind}")


def run_name(config: sgdcore.TrainConfig) -> str:
    """A run's name in the page's language: its optimiser, and μ unless it is plain gradient descent."""
    return t("momentum.run", optimiser=optimiser(config), mu=config.momentum) if config.momentum else optimiser(config)


def run_names(configs: dict[str, sgdcore.TrainConfig]) -> dict[str, str]:
    """The name of each run of ``configs`` in the page's language, by its label."""
    return {label: run_name(config) for label, config in configs.items()}


@st.cache_data(max_entries=64, show_spinner=False)
def _full_batch_stays(_valley: sgdcore.Problem, data_key: str, settings: tuple,
                      _config: sgdcore.TrainConfig) -> int | None:
    """:func:`ui.lesson.full_batch_steps_to_stay` of the distance, once per valley (``data_key``) and ``settings``: the
    table is drawn again on every rerun."""
    return full_batch_steps_to_stay(_valley, _config, "distance")


def steps_to_stay_close(valley: sgdcore.Problem, data_key: str, config: sgdcore.TrainConfig,
                        progress: sgdcore.Progress) -> str:
    """The step from which the run's distance to the optimum stays below 1/1000 of its start. Full batch: exact,
    for ever (the run's future is known), even when that is after the run's end; with minibatches, read at the
    recorded points of its path, to the end of the run."""
    if config.batch_size >= valley.train.n_rows:
        stays = None if progress.status == "diverged" else _full_batch_stays(
            valley, data_key, (config.learning_rate, config.momentum, config.dampening, config.nesterov, config.seed,
                               config.init, config.init_scale), config)
        if stays is None:
            return t("momentum.not_reached")
        return f"{stays:,}" if stays <= progress.step else t("momentum.after_the_run", step=stays, steps=progress.step)
    distances = np.linalg.norm(progress.trajectory - valley.optimum.params, axis=1)
    above = np.flatnonzero(~(distances <= ERROR_SHRINK * distances[0]))
    if not above.size:
        return "0"
    if above[-1] == len(distances) - 1:
        return t("momentum.not_reached")
    return f"{int(progress.trajectory_steps[above[-1] + 1]):,}"


def limit_text(limit: sgdcore.StabilityLimit) -> str:
    """A stability limit's rate, saying when it is a lower bound."""
    return t("momentum.limit_lower_bound" if limit.kind == "lower_bound" else "momentum.limit",
             rate=limit.learning_rate)


plan = seed_plan(configs, seeds, n_train)
plain = next(iter(configs.values()))  # momentum_runs: plain gradient descent first
rate, batch_size = plain.learning_rate, plain.batch_size
full_batch = batch_size >= n_train
steps_per_epoch = plain.steps_per_epoch(n_train)
data_key = f"{problem.names}|{curvature.eigenvalues.tolist()}"  # the valley: its condition number and seed
limits = {label: verdicts.limits_for(problem, data_key, config).minibatch for label, config in configs.items()}
# The limits of this batch size (the full batch's when every step uses all rows), by the runs' optimisers.
each = t("momentum.separator").join(t("momentum.limit_of", optimiser=optimiser(configs[label]),
                                      limit=limit_text(limit)) for label, limit in limits.items())
asked = value(state, "condition_number")
# Below the unshrunk data's own κ (about 1.12) the valley cannot be made rounder by shrinking x2: say what it is
roundest = curvature.condition_number > asked * (1 + 1e-6)
reached, asked_text = kappa_texts_apart(curvature.condition_number, asked)
st.caption(
    t("momentum.caption_data_roundest" if roundest else "momentum.caption_data", rows=n_train,
      eigenvalues=", ".join(f"{lam:.3g}" for lam in curvature.eigenvalues),
      condition=reached if roundest else kappa_text(curvature.condition_number), rate=rate, asked=asked_text)
    + (t("momentum.caption_full_batch", rows=n_train) if full_batch
       else t("momentum.caption_minibatch", batch_size=batch_size, steps=steps_per_epoch))
    + t("momentum.caption_limits", each=each)
)

warning = verdicts.comparison_check({run_name(config): (config, limits[label]) for label, config in configs.items()},
                                    n_train)
if warning is not None:
    verdicts.show(warning, key="momentum_page")
if mu == 0:
    st.info(t("momentum.mu_zero"))

train_label = t("momentum.train_all_three") if mu > 0 else t("momentum.train")
train_clicked = st.button(train_label, type="primary", icon=":material/play_arrow:")
st.caption(seeds_caption(plan, seeds))
bar_slot = st.empty()
loss_column, landscape_column = st.columns(2)
loss_slot, landscape_slot = ChartSlot(loss_column), ChartSlot(landscape_column)


def draw(entry: dict[str, Any]) -> None:
    # The runs' own configs: the settings may have changed since
    entry = named(entry, run_names(entry["configs"]))
    loss_slot.altair_chart(comparison_loss_chart(entry, x_axis, floor=problem.optimum_loss, n_rows=n_train,
                                                 title=t("momentum.loss_chart")), width="stretch")
    landscape_slot.altair_chart(charts.landscape_chart(problem, entry["runs"], 0, 1,
                                                       title=t("momentum.landscape_chart"), configs=entry["configs"]))


entry = train_comparison(RUNS, problem, configs, data_key=data_key, clicked=train_clicked, bar=bar_slot, draw=draw,
                         seeds=plan, names=run_names(configs))
if entry is None:
    landscape_slot.altair_chart(charts.landscape_chart(problem, {}, 0, 1, title=t("momentum.valley_chart")))
    st.info(t("momentum.press_train", button=train_label))
    st.stop()
runs = entry["runs"]
draw(entry)

rows = []
diagnoses = verdicts.run_diagnoses(entry, problem, data_key)
column = labels("momentum.column")
for label, progress in runs.items():
    config = entry["configs"][label]
    comparison = problem.compare(progress.weights, progress.bias)
    stays = steps_to_stay_close(problem, data_key, config, progress)
    row = {
        column["optimiser"]: run_name(config), column["outcome"]: short_status(progress, diagnoses[label]),
        column["contraction"]: factor_text(sgdcore.contraction_factor(
            curvature.eigenvalues, config.learning_rate, config.momentum, config.dampening, config.nesterov)),
        column["steps_to_distance"]: stays,
        column["final_gap"]: format_number(comparison.loss_gap),
    }
    if config.batch_size < n_train:
        floor = verdicts.noise_floor_for(problem, data_key, config, verdicts.limits_for(problem, data_key, config))
        row[column["noise_floor"]] = format_number(floor.excess_loss) if floor else t("momentum.above_the_limit")
    row["‖θ − θ*‖"] = format_number(comparison.distance)
    row.update(seed_columns(entry, label))
    rows.append(row)
st.table(pd.DataFrame(rows).set_index(column["optimiser"]))
recorded = next(iter(runs.values())).trajectory_steps  # every run's path is recorded at the same steps
stride = int(recorded[1]) if len(recorded) > 1 else 1
st.caption(t("momentum.table_caption")
           + (t("momentum.table_caption_full_batch") if full_batch else t("momentum.table_caption_minibatch",
                                                                          stride=stride))
           + (f" {SEEDS_TABLE_CAPTION}" if repeated(entry) else ""))

"""Learning rate: the same data and seed trained with several rates at once, against the stability limit."""

from typing import Any

import pandas as pd
import streamlit as st

import sgdcore
from ui import charts, verdicts
from ui.axis import choose_axis
from ui.classroom import shown
from ui.conditioning import kappa_text
from ui.i18n import labels, language, t, text_in
from ui.lesson import lesson_panel
from ui.navigation import require_router
from ui.run_names import named
from ui.runner import short_status
from ui.settings import (
    MULTIPLES_OF,
    RATES_GIVEN_AS,
    bounds,
    learning_rate_runs,
    learning_rate_unit,
    option_names,
    value,
)
from ui.slots import ChartSlot
from ui.widgets import (
    SEEDS_TABLE_CAPTION,
    comparison_loss_chart,
    factor_text,
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

RUNS = "learning_rate_runs"  # session_state: ui.widgets.comparison_entry, {"runs": {label: median run}, …}
state = st.session_state

st.title(t("learning_rate.title"))
st.markdown(t("learning_rate.intro"))
lesson_panel("learning_rate")


choice = page_problem()
problem = choice.problem
n_train = problem.train.n_rows

# Each control is drawn unless a classroom link fixes it; a fixed one keeps the link's value (or its default).
left, middle, right = st.columns([2, 1, 1])
if shown(state, "learning_rates_given_as"):
    middle.radio(t("learning_rate.rates_are"), RATES_GIVEN_AS, key="learning_rates_given_as",
                 format_func=option_names(labels("learning_rate.rates_given_as")))
if shown(state, "learning_rate_multiples_of"):
    middle.radio(t("learning_rate.multiples_of"), MULTIPLES_OF, key="learning_rate_multiples_of",
                 format_func=option_names(labels("learning_rate.multiples_of_option")),
                 disabled=value(state, "learning_rates_given_as") != "multiples",
                 help=t("learning_rate.multiples_of_help"))
if shown(state, "learning_rates_compared"):
    left.text_input(t("learning_rate.rates_compared"), key="learning_rates_compared",
                    help=t("learning_rate.rates_compared_help"))
if shown(state, "learning_rate_page_epochs"):
    right.number_input(t("learning_rate.epochs"), **bounds("learning_rate_page_epochs"), step=1,
                       key="learning_rate_page_epochs")
if shown(state, "learning_rate_page_full_batch"):
    right.toggle(t("learning_rate.full_batch"), key="learning_rate_page_full_batch",
                 help=t("learning_rate.full_batch_help", rows=n_train, batch_size=value(state, "batch_size")))
seeds = seeds_widget(right)  # drawn unless a classroom link fixes it


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


def run_name(rate: float, lang: str) -> str:
    """A run's name in the language ``lang``: its rate, over 1/λ_max for plain full-batch descent, else over the
    limit of the batch size in use."""
    if plain_full_batch:
        return text_in(lang, "learning_rate.run.per_lambda", rate=rate, multiple=rate / unit)
    return text_in(lang, "learning_rate.run.per_limit", rate=rate, ratio=rate / limit)


configs = {}
for config in runs:  # keyed by the English name, in any language (ui.run_names); equal names are one run
    configs.setdefault(run_name(config.learning_rate, "en"), config)
plan = seed_plan(configs, seeds, n_train)
# The limit with the sidebar's momentum is Nesterov's where the sidebar asks for it: lower than heavy ball's
settings_used = "_and_".join(name for name, on in (("nesterov" if base.nesterov else "momentum", base.momentum),
                                                   ("weight_decay", base.weight_decay)) if on)
with_settings = t(f"learning_rate.with_sidebar.{settings_used}", limit=full_limit) if settings_used else ""
st.caption(t("learning_rate.limit_caption", limit=2 / problem.curvature.lambda_max,
             lambda_max=problem.curvature.lambda_max, condition=kappa_text(problem.curvature.condition_number),
             with_settings=with_settings, limit_text=verdicts.limit_text(limits, base, verdicts.l1_keeps_weights_moving(
                 problem, choice.key, base, max(rates))),
             rates=", ".join(f"{rate:.3g}" for rate in rates), batch_size=base.batch_size, epochs=base.epochs,
             seed=base.seed))
if getattr(problem, "on_cluster", False):  # large data (ui.large_data): which limit, and what needs the rows
    st.caption(problem.page_note(base, runs=sum(map(len, plan.values()))))
# Each run by its rate alone where its name gives its ratio to the limit: the warning quotes that ratio itself
warning = verdicts.comparison_check({(run_name(config.learning_rate, language()) if plain_full_batch
                                      else f"η = {config.learning_rate:.3g}"): (config, limits.minibatch)
                                     for config in configs.values()}, n_train)
if warning is not None:
    verdicts.show(warning, key="learning_rate_page")

train_clicked = st.button(t("learning_rate.train"), type="primary", icon=":material/play_arrow:")
st.caption(seeds_caption(plan, seeds))

names = charts.shown_names(problem.names)
with st.expander(t("learning_rate.chart_options")):
    left, right = st.columns(2)
    data_names = "|".join(problem.names)  # as on the Train page: kept across pages, afresh with other data
    st.session_state.setdefault(f"keep_lr_landscape_a|{data_names}", 0)
    st.session_state.setdefault(f"keep_lr_landscape_b|{data_names}", min(1, len(names) - 1))
    axis_a = left.selectbox(t("learning_rate.landscape_horizontal"), range(len(names)),
                            format_func=names.__getitem__, key=f"keep_lr_landscape_a|{data_names}")
    axis_b = right.selectbox(t("learning_rate.landscape_vertical"), range(len(names)),
                             format_func=names.__getitem__, key=f"keep_lr_landscape_b|{data_names}")
    x_axis = choose_axis()
bar_slot = st.empty()
loss_column, landscape_column = st.columns(2)
loss_slot, landscape_slot = ChartSlot(loss_column), ChartSlot(landscape_column)


def run_names(entry: dict[str, Any]) -> dict[str, str]:
    """The name of each run of ``entry`` in the page's language, by its label."""
    return {label: run_name(config.learning_rate, language()) for label, config in entry["configs"].items()}


def draw(entry: dict[str, Any]) -> None:
    # The runs' own configs, not the page's settings (which may have changed): for the hover texts
    entry = named(entry, run_names(entry))
    loss_slot.altair_chart(comparison_loss_chart(entry, x_axis, floor=problem.optimum_loss, n_rows=n_train,
                                                 title=t("learning_rate.loss_chart")), width="stretch")
    if axis_a != axis_b:
        landscape_slot.altair_chart(charts.landscape_chart(problem, entry["runs"], axis_a, axis_b,
                                                           configs=entry["configs"],
                                                           title=t("learning_rate.landscape_chart")))
    else:
        landscape_slot.info(t("learning_rate.same_parameters"))


entry = train_comparison(RUNS, problem, configs, data_key=choice.key, clicked=train_clicked, bar=bar_slot, draw=draw,
                         seeds=plan, names=run_names({"configs": configs}))
if entry is None:
    st.info(t("learning_rate.press_train"))
    st.stop()
runs = entry["runs"]
draw(entry)

rows = []
diagnoses = verdicts.run_diagnoses(entry, problem, choice.key)
column = labels("learning_rate.column")
# Under a schedule the factor changes with the rate at each step: the column is the one at η, and says so
scheduled = any(not config.schedule.constant_rate for config in entry["configs"].values())
contraction_column = column["contraction_at_rate" if scheduled else "contraction"]
for label, progress in runs.items():
    comparison = problem.compare(progress.weights, progress.bias)
    config = entry["configs"][label]
    rate = config.learning_rate
    run_limit = page_limits(config).minibatch  # the run's own: the settings may have changed since
    # The run's own Hessian: weight decay adds to the weights' curvature (not the bias's), as it does to the limit
    eigenvalues = sgdcore.curvature(problem.quadratic.hessian, config.weight_decay).eigenvalues
    contraction = sgdcore.contraction_factor(eigenvalues, rate, config.momentum, config.dampening, config.nesterov)
    rows.append({
        column["rate"]: f"{rate:.4g}", column["ratio"]: f"{run_limit.ratio(rate):.3g}",
        **({} if config.batch_size >= n_train else {column["full_batch_ratio"]: f"{rate / run_limit.full_batch:.3g}"}),
        contraction_column: factor_text(contraction),
        column["outcome"]: short_status(progress, diagnoses[label]),
        **final_loss_columns(problem, comparison, column),
        column["distance"]: format_number(comparison.distance),
        **seed_columns(entry, label),
    })
st.table(pd.DataFrame(rows).set_index(column["rate"]))
st.caption(t("learning_rate.table_caption") + (t("learning_rate.table_caption_schedule") if scheduled else "")
           + (f" {SEEDS_TABLE_CAPTION}" if repeated(entry) else ""))

"""Train: one run of minibatch SGD, live, next to the exact least-squares answer."""

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import sgdcore
from ui import charts, messages, midrun, verdicts
from ui.axis import choose_axis
from ui.datasets import Choice, data_changes, data_is_heavy, description_of
from ui.export import as_run, ends_leg, leg
from ui.i18n import labels, t, tn
from ui.kernel import kernel_ready
from ui.lesson import lesson_panel
from ui.navigation import bare_run, require_router, routed
from ui.runner import TRAIN_RUN as RUN
from ui.runner import background_priority, interrupted, sharing_text, snapshots, train_live
from ui.settings import option_names, train_config
from ui.slots import ChartSlot
from ui.widgets import format_number, keep_settings_not_drawn, page_problem, show_error, sync_query_params, trained_on

require_router()  # first: on a fresh server this page may have been started without the router

state = st.session_state

st.title(t("train.title"))
st.caption(t("train.intro"))
lesson_panel("train")

choice = page_problem()
problem = choice.problem
try:
    config = train_config(state, problem.train.n_rows)
except sgdcore.SGDCoreError as error:
    show_error(error)
    st.stop()
limits = verdicts.limits_for(problem, choice.key, config)
floor = verdicts.noise_floor_for(problem, choice.key, config, limits)

# The buttons' row: Train, Stop, Step, Reset and Step's unit (an epoch or a minibatch), each at its label's width, on
# a second line in a narrow window (columns of fixed shares cut "Train" to "T" at a 1024-pixel window, a classroom
# projector's). Each has a place of its own, so that the order holds though Stop is drawn here and the others in the
# fragment below.
# Stop is the page's own widget, outside the fragment: a click on a fragment's widget waits until that fragment's run
# under way ends, where a click outside it interrupts the run at once.
row = st.container(horizontal=True, vertical_alignment="center")
buttons = [row.container(width="content") for _ in range(5)]
# Keyed, so that a button is the same widget whatever the language of its label.
buttons[1].button(t("train.stop"), icon=":material/stop:", key="stop_button")
# What the settings say before a run, and the charts' options, are the page's, outside the fragment below: they
# change with the settings alone, and a Train click sends none of them again, which the browser would redraw (about
# a tenth of the click's time: benchmarks/RESULTS.md). A change of an option reruns the whole page, as a setting in
# the sidebar does.
st.caption(verdicts.limit_text(limits, config))  # on the page too: the sidebar may be collapsed
if getattr(problem, "on_cluster", False):  # large data (ui.large_data): which limit, and what needs the rows
    st.caption(problem.page_note(config))
warning = sgdcore.warn_before_training(problem, config, limits)
if warning is not None:  # said before training, where the Train button is, and not only in the sidebar
    verdicts.show(verdicts.rate_check(warning, config), key="train_warning")
planned_slot = st.empty()  # the fragment's: how the planned run will end, until a run of these settings has ended
names = charts.shown_names(problem.names)
n_params = len(names)
with st.expander(t("train.chart_options"), expanded=False):
    left, middle, right = st.columns(3)
    state.setdefault("keep_loss_log", True)  # a default set so, not as value=: a kept value is then no conflict
    log_scale = left.toggle(t("train.log_scale"), key="keep_loss_log")
    # Keyed on the parameters' names: with other data (20 features instead of 2) the choices start afresh.
    data_names = "|".join(problem.names)
    default_a, default_b = (0, 1) if n_params > 2 else (0, n_params - 1)
    for key, default in (("landscape_a", default_a), ("landscape_b", default_b),
                         ("shown_params", [*range(min(n_params - 1, 6)), n_params - 1])):
        state.setdefault(f"keep_{key}|{data_names}", default)
    axis_a = middle.selectbox(t("train.landscape_horizontal"), range(n_params), format_func=names.__getitem__,
                              key=f"keep_landscape_a|{data_names}")
    axis_b = right.selectbox(t("train.landscape_vertical"), range(n_params), format_func=names.__getitem__,
                             key=f"keep_landscape_b|{data_names}")
    shown = st.multiselect(t("train.parameters_to_plot"), range(n_params), format_func=names.__getitem__,
                           key=f"keep_shown_params|{data_names}")
    x_axis = choose_axis()
sync_query_params()  # the axis is in the share link


# The rest reruns on its own when clicked (a fragment): a Train click does not redraw the sidebar, the lesson or the
# options above, in the server or in the browser. The sidebar's settings, the options and Stop rerun the whole page.
@st.fragment
def trainer(choice: Choice, config: sgdcore.TrainConfig, limits: sgdcore.Limits, floor: sgdcore.NoiseFloor | None,
            buttons: list, planned_slot: DeltaGenerator, options: tuple) -> None:
    """:func:`train_part`, at the lower priority on large data, as the router runs the whole page: a click inside
    reruns this alone, without the router."""
    with background_priority(data_is_heavy(state)):
        train_part(choice, config, limits, floor, buttons, planned_slot, options)


def train_part(choice: Choice, config: sgdcore.TrainConfig, limits: sgdcore.Limits, floor: sgdcore.NoiseFloor | None,
               buttons: list, planned_slot: DeltaGenerator, options: tuple) -> None:
    """The Train page's run: its buttons, how the planned run will end (in ``planned_slot``), the run and its
    charts, next to the closed form; ``options``: the charts' (log scale, landscape axes, parameters shown, x-axis)."""
    if not routed() and not bare_run():  # a click inside: the router, which keeps every setting before a full run,
        keep_settings_not_drawn()         # is not running (nor are the options above, which it keeps as well)
    problem = choice.problem
    run_key = f"{choice.key}|{config}"
    interrupted(state, RUN)  # a click inside reruns this alone, without the router, which marks it otherwise
    train_column, _, step_column, reset_column, step_by = buttons
    train_clicked = train_column.button(t("train.train"), type="primary", icon=":material/play_arrow:",
                                        key="train_button")
    stop_clicked = state.get("stop_button", False)  # read here: the arguments are the last full run's
    step_clicked = step_column.button(t("train.step"), icon=":material/skip_next:", help=t("train.step_help"),
                                      key="step_button")
    # Large data on a cluster trains where its rows are, an epoch at a time: no minibatch to show from here.
    on_cluster = getattr(problem, "on_cluster", False)
    # This page's own choices are "keep_" keys, which ui.widgets keeps while another page is shown.
    by_minibatch = not on_cluster and step_by.radio(
        t("train.step_by"), ("epoch", "minibatch"), horizontal=True, key="keep_step_by", label_visibility="collapsed",
        # A dict of this run's texts, not a function of the language: AppTest calls format_func outside the script run.
        format_func=option_names(labels("train.step_by_unit")), help=t("train.step_by_help")) == "minibatch"
    reset_clicked = reset_column.button(t("train.reset"), icon=":material/restart_alt:", key="reset_button")
    planned = verdicts.planned_run_check(problem, config, limits, choice.key)
    if planned is None:
        planned_slot.empty()  # written on every run: Streamlit keeps a fragment's place outside it only so
    else:
        verdicts.show(planned, where=planned_slot.container(), key="train_planned", in_fragment=True)

    if reset_clicked:
        state.pop(RUN, None)

    names = charts.shown_names(problem.names)
    n_params = len(names)
    log_scale, axis_a, axis_b, shown, x_axis = options  # the last full run's, the only runs that change them

    status_slot = st.empty()
    bar_slot = st.empty()
    top_left, top_right = st.columns(2)
    loss_slot, params_slot = ChartSlot(top_left), ChartSlot(top_right)
    bottom_left, bottom_right = st.columns(2)
    landscape_slot = ChartSlot(bottom_left)
    step_slot = bottom_left.empty()
    feature = bottom_right.selectbox(t("train.fit_feature"), range(problem.train.n_features),
                                     format_func=problem.train.feature_names.__getitem__,
                                     key=f"keep_fit_feature|{'|'.join(problem.train.feature_names)}")
    fit_slot, predicted_slot = ChartSlot(bottom_right), ChartSlot(bottom_right)
    comparison_slot = st.empty()
    # Large data on a cluster (ui.large_data): the point charts draw a bounded sample of its rows.
    points = getattr(problem, "sample_problem", problem)
    if points is not problem:
        bottom_right.caption(t("train.points_sample", sample=points.train.n_rows, rows=problem.train.n_rows))
    truth = None
    if problem.train.true_weights is not None:
        truth = np.append(problem.train.true_weights, problem.train.true_bias)


    def report(progress: sgdcore.Progress) -> None:
        # A run that diverged at a minibatch's loss stopped before that step's update: the bar counts the steps taken
        diverged = progress.diverged_at_step if progress.diverged_at_step == progress.step + 1 else None
        bar_slot.progress(progress.fraction_done, text=t(
            "train.progress" if diverged is None else "train.progress_diverged", epoch=epoch_label(progress),
            step=progress.step, total_steps=progress.total_steps, steps_per_second=progress.steps_per_second,
            diverged=diverged))


    def epoch_label(progress: sgdcore.Progress) -> str:
        """The epoch under way while one is (running, or stopped inside it), else the epochs completed."""
        if progress.status == "running" or progress.batch_in_epoch > 0:
            return t("train.epoch_under_way", epoch=progress.epoch + 1, epochs=progress.epochs)
        return t("train.epochs_done", epoch=progress.epoch, epochs=progress.epochs)


    def draw(progress: sgdcore.Progress, floor: sgdcore.NoiseFloor | None = floor,
             run_config: sgdcore.TrainConfig | None = None, step: sgdcore.NextStep | None = None) -> None:
        """Every chart of ``progress``; ``floor``: the noise floor of the run's settings (by default the sidebar's);
        ``run_config``: the run's configuration, for the learning rates the charts show (by default the sidebar's);
        ``step``: the step the run takes next, its minibatch and gradients drawn on the fit and landscape charts."""
        run_config = run_config or config
        along = {"x": x_axis, "n_rows": problem.train.n_rows, "standardized": problem.scaler is not None}
        loss_slot.altair_chart(charts.loss_chart(progress, problem.optimum_loss, log_scale=log_scale, noise_floor=floor,
                                                 config=run_config, **along), width="stretch")
        params_slot.altair_chart(charts.parameters_chart(progress, names, problem.optimum.params, truth, shown or [0],
                                                         run_config, **along), width="stretch")
        if axis_a != axis_b:
            landscape_slot.altair_chart(charts.landscape_chart(problem, {"SGD": progress}, axis_a, axis_b,
                                                               configs={"SGD": run_config}, step=step))
        else:
            landscape_slot.info(t("train.landscape_same"))
        fit_slot.altair_chart(charts.fit_chart(points, progress.weights, progress.bias, feature,
                                               highlight=None if step is None else step.rows), width="stretch")
        if problem.train.n_features > 1:
            predicted_slot.altair_chart(charts.predicted_chart(points, progress.weights, progress.bias),
                                        width="stretch")
        show_comparison(progress)  # from the starting point on: where SGD starts, against where it must go


    def show_comparison(progress: sgdcore.Progress) -> None:
        """SGD's coefficients and scores next to the closed form's, redrawn in place as the run goes."""
        comparison = problem.compare(progress.weights, progress.bias)
        columns = {"coefficient": charts.shown_names(comparison.names), "sgd": comparison.sgd,
                   "closed_form": comparison.closed_form}
        if comparison.truth is not None:
            columns["truth"] = comparison.truth
        columns["difference"] = comparison.difference
        table = pd.DataFrame({t(f"train.column.{name}"): values for name, values in columns.items()})
        # The closed form's figure goes under each metric as a plain note: an arrow would read as a change.
        metrics = (
            ("train_mse", comparison.train_mse_sgd, comparison.train_mse_closed_form),
            ("train_r2", comparison.train_r2_sgd, comparison.train_r2_closed_form),
            ("test_mse", comparison.test_mse_sgd, comparison.test_mse_closed_form),
            ("test_r2", comparison.test_r2_sgd, comparison.test_r2_closed_form),
        )
        with comparison_slot.container():
            st.subheader(t("train.comparison"))
            st.table(table.set_index(t("train.column.coefficient")).map(lambda x: f"{x:.6g}"))
            st.caption(t("train.distance_original_units" if problem.scaler is not None else "train.distance",
                         distance=format_number(comparison.distance), error=format_number(comparison.relative_error)))
            metric_columns = st.columns(len(metrics) + 1)
            for column, (name, number, closed_form) in zip(metric_columns, metrics, strict=False):
                column.metric(t(f"train.metric.{name}"), shown_score(number),
                              delta=t("train.metric.closed_form", number=shown_score(closed_form)),
                              delta_color="off", delta_arrow="off")
            metric_columns[-1].metric(t("train.metric.loss_gap"), format_number(comparison.loss_gap),
                                      delta=t("train.metric.wall_time", seconds=progress.elapsed_seconds),
                                      delta_color="off", delta_arrow="off")
            if undefined := messages.undefined_r2(comparison, problem):
                st.caption(undefined)


    def shown_score(number: float | None) -> str:
        """A metric as the page shows it: an undefined R² (NaN: a target that does not vary) as "—", said why below."""
        return "—" if number is not None and math.isnan(number) else format_number(number)


    def next_step(progress: sgdcore.Progress, run_config: sgdcore.TrainConfig) -> sgdcore.NextStep | None:
        """The step the run takes next, shown when stepping by minibatch (none after a divergence), and its angle."""
        if not by_minibatch or progress.status == "diverged":
            return None
        # The rows' order is any backend's; NumPy's while the kernel compiles, so the page does not wait for it.
        order_config = run_config if kernel_ready() else replace(run_config, backend="numpy")
        step = sgdcore.next_step(problem.train, order_config, progress.state)
        angle = t("train.angle_undefined") if np.isnan(step.angle_degrees) else f"{step.angle_degrees:.1f}°"
        step_slot.caption(tn("train.next_step", len(step.rows), step=step.step + 1, batch=step.batch_in_epoch + 1,
                             steps_per_epoch=step.steps_per_epoch, epoch=step.epoch + 1, angle=angle,
                             parameters=n_params))
        return step


    def extended(config: sgdcore.TrainConfig, epochs: int, n_rows: int) -> sgdcore.TrainConfig:
        """``config`` run for ``epochs`` epochs, its schedule unchanged (a cosine keeps the period of the planned
        run)."""
        return replace(config.as_planned(n_rows), epochs=epochs)


    how = None  # what the click did (ui.midrun.How): continued the run or started a new one, worded where drawn
    legs = ()


    def save(progress: sgdcore.Progress) -> None:
        state[RUN] = {"key": run_key, "progress": progress, "config": config, "description": choice.description,
                      "settings": choice.settings, "how": how, "legs": legs}


    run = state.get(RUN)
    if stop_clicked and (run is None or run["progress"].status != "stopped"):
        st.toast(t("train.nothing_running" if run is None or run["progress"].done else "train.stopped"))
    if train_clicked or step_clicked:
        same_run = run is not None and run["key"] == run_key
        # A stopped run continues, with the sidebar's settings if they changed and a run can (ui.midrun).
        resume_from = midrun.continued_run(run, choice.key, config, problem)
        if step_clicked and same_run and run["progress"].status in ("finished", "converged"):
            # Step after the run's end, its last epoch or early stopping's: one epoch (or minibatch) more of it, as
            # partial_fit or one more pass of a PyTorch loop would train.
            resume_from = run["progress"]
        until_epoch = until_step = None
        epochs_set = config.epochs
        if resume_from is not None and resume_from.epoch >= config.epochs:
            # Past the epochs set (a Step after the last, or paused inside an epoch after it): on to that epoch's end,
            # on the same schedule. A run that early stopping ended sooner keeps the epochs set.
            config = extended(config, resume_from.epoch + 1, problem.train.n_rows)
        # Each part the run went on from with another early-stopping rule, or after the rule had ended it
        # (ui.export.Leg): the Export page's script ends each there too, by its rule, then goes on, as the run did.
        legs = run.get("legs", ()) if resume_from is not None else ()
        if resume_from is not None and ends_leg(resume_from, run["config"], config):
            legs = (*legs, leg(resume_from, run["config"]))
        if step_clicked:
            if by_minibatch:
                until_step = (resume_from.step if resume_from else 0) + 1
            else:
                until_epoch = (resume_from.epoch if resume_from else 0) + 1
        how = midrun.how_of(run, resume_from, choice.key, config, problem, epochs_set=epochs_set)
        if resume_from is not None:
            # Drawn before training, so that the page shows the run so far even if Streamlit's own Stop ends it.
            draw(resume_from)
            report(resume_from)
        training = t("train.training")
        status_slot.info(training)
        try:
            # The page draws the finished run below, as on any rerun: no need to draw it twice.
            # A run goes on with the kernel and threads it started on, so that it stays one run, bit for bit, that
            # its script on the Export page reproduces.
            run_on = config if resume_from is None else as_run(config, resume_from)
            train_live(problem, run_on, save=save, draw=draw, report=report, draw_last=False,
                       state=resume_from.state if resume_from else None, until_epoch=until_epoch, until_step=until_step,
                       sharing=lambda others: status_slot.info(
                           t("train.training_sharing", training=training, sharing=sharing_text(others))
                           if others else training))
        except sgdcore.SGDCoreError as error:
            status_slot.empty()  # not training any more: the error says why, and a run so far says it is paused
            show_error(error)
        run = state.get(RUN)

    # A run on other data (another number of features, another optimum) is kept for the Export page, not drawn here.
    run_on_this_data = run is not None and trained_on(run["key"], choice.key)
    if not run_on_this_data:
        # Before the first run, the charts show where SGD starts (step 0), as TensorFlow Playground shows its
        # untrained network; training then redraws them in place. No step is taken, so the kernel is not needed.
        try:
            *_, progress = snapshots(problem, replace(config, backend="numpy"), until_epoch=0)
        except sgdcore.SGDCoreError as error:
            if not (train_clicked or step_clicked):  # else shown above already
                show_error(error)
            st.stop()
        if run is None:
            status_slot.info(t("train.ready", data=choice.description))
        else:
            # The last run's data described again, in the page's language now (it may have been switched since)
            before = description_of(run["settings"]) if run.get("settings") else None
            before = before or run["description"]
            changes = data_changes(run.get("settings", {}), choice.settings) if before == choice.description else ""
            status_slot.info(t("train.data_changed_in", changes=changes, data=choice.description) if changes
                             else t("train.data_changed", before=before, data=choice.description))
        report(progress)  # step 0 of the planned run: the bar is there before the click that fills it
    else:
        progress = run["progress"]
        if run["key"] != run_key:
            st.info(midrun.pending_text(run, choice.key, config, problem))
        run_limits = verdicts.limits_for(problem, choice.key, run["config"])
        floor = verdicts.noise_floor_for(problem, choice.key, run["config"], run_limits)
        if progress.done:
            if run["key"] == run_key:  # the verdict on a run of these very settings says it, as measured
                planned_slot.empty()
            diagnosis = verdicts.diagnosis_of(run, problem, run["config"], progress, run_limits)
            verdicts.show(verdicts.run_verdict(diagnosis, progress, problem, run["config"]),
                          where=status_slot.container(), key="verdict", in_fragment=True)
        else:
            status_slot.warning(verdicts.paused_text(progress, by_user=run.get("stopped_by_user", False)))
        if run.get("how"):
            st.caption(midrun.how_words(run["how"]))
        for notice in progress.notices:
            st.caption(messages.notice_text(notice))
        report(progress)
    shown_config = run["config"] if run_on_this_data else config
    draw(progress, floor, shown_config, step=next_step(progress, shown_config))


trainer(choice, config, limits, floor, buttons, planned_slot, (log_scale, axis_a, axis_b, shown, x_axis))

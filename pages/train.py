"""Train: one run of minibatch SGD, live, next to the exact least-squares answer."""

from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

import sgdcore
from ui import charts
from ui.navigation import require_router
from ui.runner import TRAIN_RUN as RUN
from ui.runner import interrupted, status_text, train_live
from ui.settings import train_config
from ui.slots import ChartSlot
from ui.widgets import format_number, page_problem, show_error, trained_on

require_router()  # first: on a fresh server this page may have been started without the router

state = st.session_state

st.title("Train linear regression with minibatch SGD")
st.caption("Set the data and the optimiser in the sidebar, press **Train**, and watch SGD head for the exact "
           "least-squares solution, drawn dashed on every chart.")

choice = page_problem()
problem = choice.problem
try:
    config = train_config(state, problem.train.n_rows)
except sgdcore.SGDCoreError as error:
    show_error(error)
    st.stop()
run_key = f"{choice.key}|{config}"
interrupted(state, RUN)

train_clicked, stop_clicked, step_clicked, reset_clicked, _ = st.columns([1, 1, 1, 1, 4], gap="small")
train_clicked = train_clicked.button("Train", type="primary", icon=":material/play_arrow:", width="stretch")
stop_clicked = stop_clicked.button("Stop", icon=":material/stop:", width="stretch")
step_clicked = step_clicked.button("Step", icon=":material/skip_next:", width="stretch", help="Train one more epoch.")
reset_clicked = reset_clicked.button("Reset", icon=":material/restart_alt:", width="stretch")

if reset_clicked:
    state.pop(RUN, None)

names = problem.names
n_params = len(names)
with st.expander("Chart options", expanded=False):
    left, middle, right = st.columns(3)
    log_scale = left.toggle("Log-scale loss", value=True, key="loss_log")
    default_a, default_b = (0, 1) if n_params > 2 else (0, n_params - 1)
    axis_a = middle.selectbox("Landscape: horizontal parameter", range(n_params), index=default_a,
                              format_func=names.__getitem__, key="landscape_a")
    axis_b = right.selectbox("Landscape: vertical parameter", range(n_params), index=default_b,
                             format_func=names.__getitem__, key="landscape_b")
    default_shown = [*range(min(n_params - 1, 6)), n_params - 1]
    shown = st.multiselect("Parameters to plot", range(n_params), default=default_shown,
                           format_func=names.__getitem__, key="shown_params")

status_slot = st.empty()
bar_slot = st.empty()
top_left, top_right = st.columns(2)
loss_slot, params_slot = ChartSlot(top_left), ChartSlot(top_right)
bottom_left, bottom_right = st.columns(2)
landscape_slot, fit_area = ChartSlot(bottom_left), bottom_right.container()
truth = None
if problem.train.true_weights is not None:
    truth = np.append(problem.train.true_weights, problem.train.true_bias)


def report(progress: sgdcore.Progress) -> None:
    bar_slot.progress(progress.fraction_done, text=(
        f"Epoch {min(progress.epoch + 1, progress.epochs)} of {progress.epochs} · step {progress.step:,} of "
        f"{progress.total_steps:,} · {progress.steps_per_second:,.0f} steps/s"))


def draw(progress: sgdcore.Progress) -> None:
    loss_slot.altair_chart(charts.loss_chart(progress, problem.optimum_loss, log_scale=log_scale),
                           width="stretch")
    params_slot.altair_chart(charts.parameters_chart(progress, names, problem.optimum.params, truth, shown or [0]),
                             width="stretch")
    if axis_a != axis_b:
        landscape_slot.altair_chart(charts.landscape_chart(problem, {"SGD": progress}, axis_a, axis_b))
    else:
        landscape_slot.info("Choose two different parameters for the landscape.")


def save(progress: sgdcore.Progress) -> None:
    state[RUN] = {"key": run_key, "progress": progress, "config": config, "description": choice.description}


run = state.get(RUN)
if stop_clicked and (run is None or run["progress"].status != "stopped"):
    st.toast("Nothing is running." if run is None or run["progress"].done else "Stopped.")
if train_clicked or step_clicked:
    resumable = run is not None and run["key"] == run_key and run["progress"].status == "stopped"
    resume_from = run["progress"] if resumable else None
    until_epoch = (resume_from.epoch if resume_from else 0) + 1 if step_clicked else None
    try:
        # The page draws the finished run below, as on any rerun: no need to draw it twice.
        train_live(problem, config, save=save, draw=draw, report=report, draw_last=False,
                   state=resume_from.state if resume_from else None, until_epoch=until_epoch)
    except sgdcore.SGDCoreError as error:
        show_error(error)
    run = state.get(RUN)

# A run on other data (another number of features, another optimum) is kept for the Export page, not drawn here.
run_on_this_data = run is not None and trained_on(run["key"], choice.key)
if not run_on_this_data:
    # Before the first run, the charts show where SGD starts (step 0), as TensorFlow Playground shows its
    # untrained network; training then redraws them in place. No step is taken, so the kernel is not needed.
    try:
        *_, progress = sgdcore.train(problem.train, replace(config, backend="numpy"), test=problem.test,
                                     until_epoch=0)
    except sgdcore.SGDCoreError as error:
        if not (train_clicked or step_clicked):  # else shown above already
            show_error(error)
        st.stop()
    status_slot.info(f"Ready: {choice.description}. The charts show the starting point; press **Train**." if run is None
                     else f"The data changed since the last run (on {run['description']}): the charts show the "
                     f"starting point on {choice.description}; press **Train**.")
else:
    progress = run["progress"]
    if run["key"] != run_key:
        st.info("The settings changed since this run: **Train** starts a new run with them. Shown: the last run.")
    message = status_text(progress, problem, config)
    {"diverged": status_slot.error, "stopped": status_slot.warning}.get(progress.status, status_slot.success)(message)
    for notice in progress.notices:
        st.caption(notice)
    report(progress)
draw(progress)
feature = fit_area.selectbox("Fit against feature", range(problem.train.n_features),
                             format_func=problem.train.feature_names.__getitem__, key="fit_feature")
fit_area.altair_chart(charts.fit_chart(problem, progress.weights, progress.bias, feature), width="stretch")
if problem.train.n_features > 1:
    fit_area.altair_chart(charts.predicted_chart(problem, progress.weights, progress.bias), width="stretch")
if not run_on_this_data:
    st.stop()

st.subheader("SGD against the closed form")
comparison = problem.compare(progress.weights, progress.bias)
table = pd.DataFrame({"coefficient": comparison.names, "SGD": comparison.sgd, "closed form": comparison.closed_form})
if comparison.truth is not None:
    table["truth"] = comparison.truth
table["SGD − closed form"] = comparison.difference
st.table(table.set_index("coefficient").map(lambda x: f"{x:.6g}"))
units = " (original units)" if problem.scaler is not None else ""
st.caption(f"Coefficients{units}. Distance to the optimum ‖θ − θ*‖ = {format_number(comparison.distance)}, "
           f"relative error {format_number(comparison.relative_error)}.")
metrics = st.columns(5)
metrics[0].metric("Train MSE (SGD)", format_number(comparison.train_mse_sgd),
                  delta=f"closed form {format_number(comparison.train_mse_closed_form)}", delta_color="off")
metrics[1].metric("Train R² (SGD)", format_number(comparison.train_r2_sgd),
                  delta=f"closed form {format_number(comparison.train_r2_closed_form)}", delta_color="off")
metrics[2].metric("Test MSE (SGD)", format_number(comparison.test_mse_sgd),
                  delta=f"closed form {format_number(comparison.test_mse_closed_form)}", delta_color="off")
metrics[3].metric("Test R² (SGD)", format_number(comparison.test_r2_sgd),
                  delta=f"closed form {format_number(comparison.test_r2_closed_form)}", delta_color="off")
metrics[4].metric("Loss gap L(θ) − L(θ*)", format_number(comparison.loss_gap),
                  delta=f"wall time {progress.elapsed_seconds:.3g} s", delta_color="off")

"""Export and share: the learned model, its history and its settings as files, and a link that restores them."""

import streamlit as st

from ui.classroom import classroom_link_builder
from ui.datasets import CSV_KEY, current_problem
from ui.export import (
    DATA_FILE,
    coefficients_frame,
    coefficients_json,
    config_json,
    dataset_npz,
    distributed_snippet,
    epoch_history_frame,
    reproducible,
    sgdcore_snippet,
    share_link,
    step_history_frame,
    torch_snippet,
)
from ui.navigation import PAGES, require_router
from ui.runner import TRAIN_RUN
from ui.settings import query_params, value
from ui.widgets import show_error, trained_on

require_router()  # first: on a fresh server this page may have been started without the router

PAGE_TITLES = {page.url_path: page.title for page in PAGES}
state = st.session_state

st.title("Export and share")
st.caption("Download what the last run on the Train page learned, how it got there and how it was set up, "
           "or copy a link that opens the dashboard with every setting as it is now.")

st.subheader("Share link")
settings = query_params(state)
page = st.selectbox("Open the link on", tuple(PAGE_TITLES), format_func=PAGE_TITLES.__getitem__, key="share_page")
st.code(share_link(st.context.url, page, settings), language=None, wrap_lines=True)
st.caption("Every setting that differs from its default is in the link, so opening it restores them; the address "
           "bar always holds the same link. Results are not in the link: press Train to reproduce them, bit for "
           "bit with the same seed." if settings else "All settings are at their defaults: the link is the "
           "plain address.")
if value(state, "data_source") == "csv":
    name = state[CSV_KEY]["name"] if state.get(CSV_KEY) else "the CSV file"
    st.warning(f"The link cannot carry your uploaded file: whoever opens it must upload {name} again on the "
               "Data page and choose the same target and features.", icon="📎")
classroom_link_builder(page)

st.subheader("Downloads")
run = state.get(TRAIN_RUN)
choice = current_problem(state)
if run is None or choice.problem is None:
    st.info("Nothing trained yet: press **Train** on the Train page, then come back for the coefficients and "
            "the history.")
    st.stop()
if not trained_on(run["key"], choice.key):
    show_error("The last run was trained on other data than the data selected now: train again on the Train "
               "page to export coefficients for this data.")
    st.stop()
problem, progress, config = choice.problem, run["progress"], run["config"]
comparison = problem.compare(progress.weights, progress.bias)
coefficients = coefficients_frame(comparison)
st.caption(f"The last run: {run['description']}, {progress.message}. Coefficients in the data's original units.")
st.dataframe(coefficients, hide_index=True)

left, middle, right = st.columns(3)
left.download_button("Coefficients (CSV)", coefficients.to_csv(index=False), "coefficients.csv", "text/csv",
                     icon=":material/download:")
left.download_button("Coefficients and metrics (JSON)", coefficients_json(
    comparison, description=run["description"], target=problem.raw_train.target_name, progress=progress),
    "coefficients.json", "application/json", icon=":material/download:")
middle.download_button("Loss per epoch (CSV)", epoch_history_frame(progress).to_csv(index=False),
                       "history_epochs.csv", "text/csv", icon=":material/download:")
middle.download_button("Minibatch loss and parameters by step (CSV)",
                       step_history_frame(progress, problem.names).to_csv(index=False), "history_steps.csv",
                       "text/csv", icon=":material/download:",
                       help="At most about a thousand points: long runs are recorded as means over buckets of steps; "
                            "parameters in model units (standardised, if standardisation is on).")
right.download_button("Configuration (JSON)", config_json(config, settings, run["description"]), "config.json",
                      "application/json", icon=":material/download:")

st.subheader("The run as code")
names, target = problem.train.feature_names, problem.raw_train.target_name
on_cluster = getattr(problem, "on_cluster", False)  # large data (ui.large_data): the script reads the same files
st.caption("This script reproduces the last run with sgdcore: the same data, split, standardisation, configuration "
           "and seed, so it prints the same weights and bias, bit for bit. Run it from a checkout of this project "
           "(`python run.py`)" + (", on a machine that reaches the same files." if on_cluster else "."))
if not reproducible(progress):
    st.warning(f"The run was paused inside epoch {progress.epoch + 1}, at step {progress.step:,}: a script stops only "
               f"at the end of an epoch, so this one stops after epoch {progress.epoch}. Press **Train** or **Step** "
               "on the Train page to end the epoch, and the script gives the run's weights exactly.", icon="⏸️")
if progress.changes:  # continued with other settings on the Train page (sgdcore.changes): one config cannot say so
    changed = "; ".join(f"at step {step:,}: {what}" for step, what in progress.changes)
    st.warning(f"The run's settings changed part-way ({changed}). The configuration and the script hold its last "
               "settings, from the start: they give another run. **Reset** and train on the Train page for a run "
               "they reproduce.", icon="🔀")
if on_cluster:
    snippet = distributed_snippet(problem.data, config, progress, problem.address)
else:
    snippet = sgdcore_snippet(state, config, progress, names, target)
st.code(snippet, language="python")
st.download_button("The script (run.py)", snippet, "run.py", "text/x-python", icon=":material/download:")
if value(state, "data_source") == "csv":
    st.download_button(f"The rows it reads ({DATA_FILE})", dataset_npz(state[CSV_KEY]["dataset"]), DATA_FILE,
                       "application/octet-stream", icon=":material/download:",
                       help="The uploaded file's rows as the Data page made them into numbers: put it beside run.py.")
if not on_cluster:  # a torch loop holds its data in memory
    with st.expander("The same loop with torch.optim.SGD (D2L's PyTorch edition)"):
        st.caption("The same data, starting point, loss ½·mean((Xw+b−y)²), update (momentum, dampening, Nesterov and "
                   "weight decay are torch.optim.SGD's own) and learning-rate schedule, written as D2L's PyTorch "
                   "chapters write it. torch shuffles the rows its own way, so its numbers agree with the run's within "
                   "minibatch noise, not bit for bit. The dashboard does not need PyTorch and does not install it: "
                   "`pip install torch` to run this.")
        st.code(torch_snippet(state, config, problem.train.n_rows, names, target), language="python")

"""Export and share: the learned model, its history and its settings as files, its predictions for rows typed in or
loaded from a file, and a link that restores them."""

import itertools
from collections import ChainMap
from collections.abc import Iterator
from functools import partial
from typing import Any

import streamlit as st

import sgdcore
from ui.charts import shown_names as shown_names_of_parameters
from ui.classroom import classroom_link_builder, control_label, value_text
from ui.datasets import CSV_KEY, DATA_SETTINGS, current_problem
from ui.errors import error_text
from ui.export import (
    DATA_FILE,
    coefficients_frame,
    coefficients_json,
    config_json,
    csv_file,
    dataset_npz,
    distributed_snippet,
    epoch_history_frame,
    outcome,
    reproducible,
    run_settings,
    settings_notes,
    sgdcore_snippet,
    share_link,
    step_history_frame,
    torch_snippet,
)
from ui.i18n import labels, t
from ui.lesson import lesson_panel
from ui.messages import missing_labels, notice_text
from ui.navigation import PAGES, require_router
from ui.predictions import (
    FILE_MB,
    FLOAT_LARGEST,
    beyond_range_rows,
    fill_texts,
    filled_cells,
    incomplete_rows,
    input_columns,
    load_file,
    predictions,
    refusal_text,
    rows_editor,
    rows_read,
    shown_names,
    starting_row,
    target_scores,
)
from ui.runner import TRAIN_RUN
from ui.settings import option_names, query_params, value
from ui.uploads import csv_uploader, upload_limit_mb
from ui.widgets import ENTERED_KEY, show_error, trained_on

require_router()  # first: on a fresh server this page may have been started without the router

PAGE_TITLES = {page.url_path: page.title for page in PAGES}
# A download is the browser's alone: the page is not run again for it (its grid may hold 10,000 rows). The larger
# files (the histories, the predictions, the rows as trained on) are passed as functions, which Streamlit calls when
# one is downloaded, not at each run of the page: an uploaded million rows are 168 MB of data.npz.
DOWNLOAD = {"icon": ":material/download:", "on_click": "ignore"}
SAID_INCOMPLETE = 5  # rows with an empty cell named one by one; a pasted table's many more are counted
state = st.session_state


def warn_first(count: int, texts: Iterator[str], more_key: str, **fields: Any) -> None:
    """Of ``count`` rows or cells to correct, the first ``SAID_INCOMPLETE`` said one by one (``texts``, made only
    for those), and the others counted (``more_key``)."""
    for text in itertools.islice(texts, SAID_INCOMPLETE):
        st.warning(text, icon="✏️")
    if count > SAID_INCOMPLETE:
        st.warning(t(more_key, count=count - SAID_INCOMPLETE, **fields), icon="✏️")


st.title(t("export.title"))
st.caption(t("export.intro"))
lesson_panel("export")

st.subheader(t("export.share"))
choice = current_problem(state)
# What the data in use was made from: a data setting refused since (a test fraction the file cannot split by)
# is not in it, and a link that carried it would not reproduce the run.
made_from = ChainMap(choice.settings, state)
settings = query_params(made_from)
page = st.selectbox(t("export.open_on"), tuple(PAGE_TITLES), format_func=option_names(PAGE_TITLES), key="share_page")
st.code(share_link(st.context.url, page, settings), language=None, wrap_lines=True)
refused = [key for key in DATA_SETTINGS if value(state, key) != value(made_from, key)]
if refused:
    st.caption(t("export.link_settings_refused", settings=t("verdicts.list_separator").join(
        t("export.refused_setting", setting=control_label(key), value=value_text(key, value(state, key)),
          in_use=value_text(key, value(made_from, key))) for key in refused)))
else:
    st.caption(t("export.link_settings") if settings else t("export.link_defaults"))
if value(made_from, "data_source") == "csv":
    name = state[CSV_KEY]["name"] if state.get(CSV_KEY) else t("export.the_csv_file")
    st.warning(t("export.upload_again", name=name), icon="📎")
classroom_link_builder(page, made_from)

st.subheader(t("export.downloads"))
run = state.get(TRAIN_RUN)
if run is None or choice.problem is None:
    st.info(t("export.nothing_trained"))
    st.stop()
if not trained_on(run["key"], choice.key):
    show_error(t("export.other_data"))
    st.stop()
# The run's data is the data in use (trained_on above): described in the page's language now, as its files are
problem, progress, config = choice.problem, run["progress"], run["config"]
legs = run.get("legs", ())
comparison = problem.compare(progress.weights, progress.bias)
coefficients = coefficients_frame(comparison)
st.caption(t("export.last_run", description=choice.description, message=outcome(progress, config)))
st.dataframe(coefficients.assign(coefficient=shown_names_of_parameters(comparison.names)).rename(
    columns=labels("export.column")), hide_index=True)  # the file keeps its names, sgdcore's "bias" among them

left, middle, right = st.columns(3)
left.download_button(t("export.coefficients_csv"), csv_file(coefficients), "coefficients.csv", "text/csv",
                     **DOWNLOAD)
left.download_button(t("export.coefficients_json"), coefficients_json(
    comparison, description=choice.description, target=problem.raw_train.target_name, progress=progress, config=config),
    "coefficients.json", "application/json", **DOWNLOAD)
middle.download_button(t("export.epochs_csv"), partial(csv_file, epoch_history_frame(progress)),
                       "history_epochs.csv", "text/csv", **DOWNLOAD)
middle.download_button(t("export.steps_csv"),
                       partial(csv_file, step_history_frame(progress, problem.names)), "history_steps.csv",
                       "text/csv", **DOWNLOAD,
                       help=t("export.steps_help"))
# The run's own settings, not the sidebar's: changed since the run, they would describe another.
right.download_button(t("export.config_json"), config_json(
    config, run_settings(config, choice.settings, problem.train.n_rows), choice.description,
    settings_notes(config, progress, legs)), "config.json", "application/json", **DOWNLOAD)

st.subheader(t("export.predict"))
separator = t("verdicts.list_separator")
target = problem.raw_train.target_name
columns = input_columns(problem)
st.caption(t("export.predict_intro" if comparison.truth is None else "export.predict_intro_truth", target=target))
grid = st.container()  # the rows, above the file that may replace them, drawn once the file is loaded
upload_mb = min(upload_limit_mb(state, entered=bool(state.get(ENTERED_KEY))), FILE_MB)
loaded = load_file(csv_uploader(upload_mb, t("export.predict_file"), key="predict_file"), choice.key, problem)
if loaded and "rows" in loaded:
    beside = separator.join(loaded["beside"])
    st.caption(t("export.predict_file_loaded", file=loaded["name"], rows=loaded["rows"])
               + (t("export.predict_file_beside", columns=beside) if beside else ""))
    for notice in loaded["notices"]:  # how its numbers and text were read, as the Data page says it
        st.caption(notice_text(notice))
elif loaded:
    show_error(refusal_text(loaded))
    st.caption(t("export.predict_file_kept"))
with grid:
    rows = rows_editor(choice.key, problem, columns, starting_row(problem, columns))
try:  # a cell the model cannot read (a file's, or one pasted as text) withholds its row, said below
    read = rows_read(problem, rows)
    predicted = predictions(problem, comparison, rows, read)
except sgdcore.DataError as error:
    predicted = None
    show_error(error)
if rows.empty:
    st.info(t("export.predict_no_rows"))
elif predicted is not None:
    # The file keeps its names; an empty cell shows empty, in either language, as in the grid
    st.dataframe(predicted.set_axis(shown_names(predicted, rows.shape[1], labels("export.column")), axis=1),
                 hide_index=True, placeholder="")
    scored = target_scores(rows, predicted, target)
    if scored is not None:
        count, scores = scored
        undefined = bool(scores["r2"].isna().all())  # one row, or the target the same on each
        st.caption(t("export.predict_scores_no_r2" if undefined else "export.predict_scores", rows=count,
                     target=target))
        scores = scores.drop(columns="r2") if undefined else scores
        scores = scores.rename(index=labels("export.column"), columns=labels("export.score"))
        # Every digit: the models' errors differ in the fourth decimal or beyond where the fit is good
        st.dataframe(scores, column_config=dict.fromkeys(scores.columns, st.column_config.NumberColumn(format="plain")))
    filled = filled_cells(read)
    if filled:
        st.caption(t("export.predict_filled", cells=sum(filled.values()), columns=separator.join(filled),
                     choice=missing_labels()["mean"], values=separator.join(fill_texts(filled, columns))))
    # A file's other columns may be empty, and so may the columns whose empty cells take the data's means
    incomplete = incomplete_rows(read.missing)
    warn_first(len(incomplete), (t("export.predict_incomplete", row=number, columns=separator.join(empty))
                                 for number, empty in incomplete.items()), "export.predict_incomplete_more")
    warn_first(len(read.unreadable), (t("export.predict_unreadable", problem=error_text(error))
                                      for error in read.unreadable), "export.predict_unreadable_more")
    beyond = beyond_range_rows(predicted, read, comparison)
    warn_first(len(beyond), (t("export.predict_beyond_range", row=number, largest=FLOAT_LARGEST) for number in beyond),
               "export.predict_beyond_range_more", largest=FLOAT_LARGEST)
    if progress.status == "diverged":
        st.warning(t("export.predict_diverged"), icon="⚠️")
    st.download_button(t("export.predictions_csv"), partial(csv_file, predicted), "predictions.csv", "text/csv",
                       **DOWNLOAD)

st.subheader(t("export.as_code"))
names = problem.train.feature_names
on_cluster = getattr(problem, "on_cluster", False)  # large data (ui.large_data): the script reads the same files
st.caption(t("export.script_cluster" if on_cluster else "export.script"))
if not reproducible(progress, on_cluster=on_cluster):
    st.warning(t("export.paused", epoch=progress.epoch + 1, step=progress.step, last_epoch=progress.epoch), icon="⏸️")
if progress.changes:  # continued with other settings on the Train page (sgdcore.changes): one config cannot say so
    changed = t("export.change_separator").join(t("export.change", step=step, what=what)
                                                for step, what in progress.changes)
    st.warning(t("export.changed", changes=changed), icon="🔀")
if on_cluster:
    snippet = distributed_snippet(problem.data, config, progress, problem.address)
else:
    snippet = sgdcore_snippet(made_from, config, progress, names, target, legs,
                              sgdcore.encoding_notices(problem.raw_train))
st.code(snippet, language="python")
st.download_button(t("export.script_file"), snippet, "run.py", "text/x-python", **DOWNLOAD)
if CSV_KEY in choice.settings:
    st.download_button(t("export.rows_file", file=DATA_FILE), partial(dataset_npz, choice.settings[CSV_KEY]["dataset"]),
                       DATA_FILE, "application/octet-stream", help=t("export.rows_help"), **DOWNLOAD)
if not on_cluster:  # a torch loop holds its data in memory
    with st.expander(t("export.torch")):
        st.caption(t("export.torch_caption"))
        st.code(torch_snippet(made_from, config, problem.train.n_rows, names, target, progress), language="python")

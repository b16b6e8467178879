"""Data: upload a CSV or a workbook (or point at large files on a Dask cluster, ui.large_data), look at it, choose the
target and the features, and train on it everywhere. A classroom link that fixes the data source leaves only that source
here."""

import numpy as np
import streamlit as st

import sgdcore
from ui import messages
from ui.classroom import fixed_data_source, value_text
from ui.datasets import CSV_KEY, current_problem, sidebar_fix, use_csv
from ui.errors import error_text, file_error_text
from ui.i18n import labels, t
from ui.lesson import lesson_panel
from ui.memory import MemoryBudgetError, memory_limit, size_text
from ui.navigation import require_router
from ui.settings import option_names
from ui.uploads import (
    CHOSEN_BY_THE_BYTES,
    build_dataset,
    csv_uploader,
    parse_upload,
    release_upload,
    reread_sheet,
    reread_upload,
    upload_limit_mb,
)
from ui.widgets import ENTERED_KEY, show_error

require_router()  # first: on a fresh server this page may have been started without the router

TABLE = "data_table"  # session_state: the parsed upload, as ui.uploads.parse_upload returns it
UPLOADER_SHOWS = "_uploader_shows"  # session_state: the file_id of the file the uploader shows, if any
state = st.session_state

st.title(t("data.title"))
st.caption(t("data.intro"))
lesson_panel("data")

in_use = current_problem(state)
if in_use.problem is not None:
    st.caption(t("data.in_use", description=in_use.description))

SOURCES = ("upload", "dask")  # labels: the catalogue's data.source.*
PAGE_SOURCE = {"csv": "upload", "dask": "dask"}  # the page's source that reads data for each setting's source
fixed_source = fixed_data_source(state)
if fixed_source is None:
    state.setdefault("keep_data_page_source", "dask" if state.get("data_source") == "dask" else "upload")
    source = st.radio(t("data.source_label"), SOURCES, format_func=option_names(labels("data.source")),
                      horizontal=True, key="keep_data_page_source", label_visibility="collapsed")
elif fixed_source in PAGE_SOURCE:  # the link fixes the source, not the file: the student reads it here
    source = PAGE_SOURCE[fixed_source]
else:
    st.info(t("data.fixed_by_link", source=value_text("data_source", fixed_source)), icon="🎓")
    st.stop()
if source == "dask":
    from ui import large_data  # imports Dask: only when this source is chosen

    large_data.data_section(in_use)
    st.stop()

upload_mb = upload_limit_mb(state, entered=bool(state.get(ENTERED_KEY)))
uploaded = csv_uploader(upload_mb)
if upload_mb < st.get_option("server.maxUploadSize"):  # the server's memory, not the configuration, sets it
    st.caption(t("data.upload_limit", limit=size_text(memory_limit().bytes), largest=upload_mb))
# Parse each upload once: a million-row file takes seconds, and every click reruns this page. Then Streamlit's
# copy of its bytes goes: the uploader still shows the file but returns None for it from the next rerun on, so
# the page goes on from the table it read (also after a visit to another page), until another file comes.
parsed = state.get(TABLE)
if uploaded is not None and (parsed is None or parsed["file_id"] != uploaded.file_id):
    parsed = parse_upload(uploaded.getvalue(), uploaded.name, uploaded.file_id)
    state[TABLE] = parsed
    release_upload(uploaded.file_id)
# The uploader shows a file from its upload until the page is left: drawn anew, it is empty above the table kept
if uploaded is not None:
    state[UPLOADER_SHOWS] = uploaded.file_id
elif state.get(ENTERED_KEY):
    state.pop(UPLOADER_SHOWS, None)
if parsed is not None and state.get(UPLOADER_SHOWS) != parsed["file_id"]:
    st.caption(t("data.kept_refused" if "error" in parsed else "data.kept", name=parsed["name"]))
del uploaded
if parsed is not None and "content" in parsed and "sheets" in parsed:  # a workbook of more sheets that hold cells
    sheet_key = f"keep_sheet_{parsed['digest']}"
    state.setdefault(sheet_key, parsed["sheet"])  # the sheet the reader chose, which need not be the first
    sheet = st.columns([1, 2])[0].selectbox(t("data.sheet"), parsed["sheets"], key=sheet_key, help=t("data.sheet_help"))
    if sheet != parsed["sheet"]:
        parsed = state[TABLE] = reread_sheet(parsed, sheet)
elif parsed is not None and "content" in parsed:  # its bytes chose its encoding among several: the user may know better
    encoding_names = option_names({"detected": t("data.read_as_detected", encoding=messages.encoding_name(
        parsed["detected"]))} | {encoding: messages.encoding_name(encoding) for encoding in CHOSEN_BY_THE_BYTES})
    read_as = st.columns([1, 2])[0].selectbox(t("data.read_as"), ("detected", *CHOSEN_BY_THE_BYTES),
                                              format_func=encoding_names, key=f"keep_read_as_{parsed['digest']}",
                                              help=t("data.read_as_help"))
    if read_as != parsed["read_as"]:
        parsed = state[TABLE] = reread_upload(parsed, read_as)
if parsed is None:
    if state.get(CSV_KEY) is not None:
        st.info(t("data.loaded", name=state[CSV_KEY]["name"]))
    else:
        st.info(t("data.no_file"))
    st.stop()


def refuse(message: str) -> None:
    """Say what is wrong with the file, and that the data in use has not changed; end the page here."""
    show_error(message)
    if in_use.problem is not None:
        st.caption(messages.nothing_changed(in_use.description))
    st.stop()


if "error" in parsed:
    refuse(file_error_text(parsed["name"], parsed["error"]))

table = parsed["table"]
frame = table.frame
if table.sheet is None:
    st.caption(t("data.table", name=table.name, **messages.sized(len(frame), columns=frame.shape[1]),
                 separated=messages.separated(table.delimiter),
                 encoding=messages.encoding_name(table.encoding, short=True)))
else:
    st.caption(t("data.table_sheet", name=table.name, **messages.sized(len(frame), columns=frame.shape[1]),
                 sheet=messages.echo(table.sheet)))
# Where "Read the file as" (or "Sheet") is offered above, the notice of the encoding the file was read in (of the
# workbook's other sheets) says it is another way to mend a garbled reading (to read another sheet)
or_choose = {messages.ENCODING_KEYS.get(table.encoding): t("data.read_as_garbled", read_as=t("data.read_as")),
             "other_sheets": t("data.sheet_choose", sheet=t("data.sheet"))} if "content" in parsed else {
             "other_sheets": t("data.sheet_move")}
for notice in table.notices:
    st.caption(messages.notice_text(notice) + or_choose.get(notice.kind, ""))

preview, summary = st.tabs([t("data.preview"), t("data.column_summary")])
# A missing value shows as the file's empty cell, in either language (Streamlit's placeholder is the English "None")
preview.dataframe(frame.head(200), width="stretch", placeholder="")
summary.dataframe(messages.summary_table(parsed["summary"]), width="stretch", hide_index=True, placeholder="")

columns = list(frame.columns)
if len(columns) == 1:  # a target and nothing to predict it from: no choice below could help
    numbers = frame[columns[0]].dtype.kind in "biuf"  # text: a column of numbers to predict is missing too
    refuse(t("data.one_column" if numbers else "data.one_text_column", column=messages.echo(str(columns[0]))))
# Widget keys carry the file's digest, so a new file starts afresh; the "keep_" prefix keeps the choices
# when the user visits another page (see ui.widgets.keep_page_settings).
# (and the encoding it was read in, or the sheet: its column names are others in another)
file_key = f"{parsed['digest']}_{table.encoding if table.sheet is None else table.sheet}"
target_key, features_key = f"keep_target_{file_key}", f"keep_features_{file_key}"
missing_key, non_numeric_key = f"keep_missing_{file_key}", f"keep_non_numeric_{file_key}"
infinite_key, former_target_key = f"keep_infinite_{file_key}", f"keep_former_target_{file_key}"
state.setdefault(target_key, columns[-1])
state.setdefault(features_key, columns[:-1])
state.setdefault(missing_key, "error")
state.setdefault(non_numeric_key, "error")
state.setdefault(infinite_key, "error")
left, right = st.columns([1, 2])
target = left.selectbox(messages.target_label(), columns, key=target_key, help=t("data.target_help"))
candidates = [column for column in columns if column != target]
former_target = state.get(former_target_key, target)
features = [column for column in state[features_key] if column in candidates]
if former_target != target and former_target in candidates and former_target not in features:
    features.append(former_target)  # the column the user stopped predicting is one to predict from again
state[features_key], state[former_target_key] = features, target
features = right.multiselect(messages.features_label(), candidates, key=features_key, help=t("data.features_help"))
left, middle, right = st.columns(3)
missing = left.radio(messages.missing_label(), messages.MISSING_OPTIONS,
                     format_func=option_names(messages.missing_labels()), key=missing_key)
non_numeric = middle.radio(messages.non_numeric_label(), messages.NON_NUMERIC_OPTIONS,
                           format_func=option_names(messages.non_numeric_labels()), key=non_numeric_key)
infinite = right.radio(messages.infinite_label(), messages.INFINITE_OPTIONS,
                       format_func=option_names(messages.infinite_labels()), key=infinite_key)

dataset_key = f"csv:{file_key}:{target}:{features}:{missing}:{non_numeric}:{infinite}"
# The last dataset built from this file is kept: building one from a million rows takes a while.
built = parsed["built"]
if dataset_key not in built:
    try:
        built.clear()
        built[dataset_key] = build_dataset(parsed, target, features, missing=missing, non_numeric=non_numeric,
                                           infinite=infinite)
    except sgdcore.SGDCoreError as error:
        built[dataset_key] = error
    except MemoryBudgetError as error:  # not kept: it may fit at the next click
        refuse(str(error))  # worded by ui.memory in the page's language
dataset = built[dataset_key]
if isinstance(dataset, sgdcore.SGDCoreError):
    refuse(error_text(dataset))

for notice in dataset.notices:
    st.caption(messages.notice_text(notice))
if np.ptp(dataset.y) == 0:  # most likely the wrong column; if not, training still finds that value
    st.info(t("data.constant_target", target=dataset.target_name, value=float(dataset.y[0])))
st.caption(t("data.sidebar_settings"))
current_csv = state.get(CSV_KEY)
chosen = current_csv is not None and current_csv["key"] == dataset_key and state.get("data_source") == "csv"
if chosen and in_use.refused is not None:
    # Chosen, but the sidebar's settings refuse it (a test fraction that leaves too few rows): the pages go on with
    # the last data that worked, and this page says so, with what to set, rather than that every page trains on it.
    reason, fix = error_text(in_use.refused), sidebar_fix(dataset, in_use.refused)
    if in_use.problem is None:
        show_error(t("data.not_in_use_nothing", name=table.name, reason=reason, fix=fix))
    elif in_use.settings.get(CSV_KEY) is current_csv:  # this file, as the sidebar's settings last allowed it
        show_error(t("data.in_use_as_before", name=table.name, reason=reason, fix=fix, description=in_use.description))
    else:
        show_error(t("data.not_in_use", name=table.name, reason=reason, fix=fix, description=in_use.description))
elif chosen:
    st.success(t("data.using", name=table.name, **messages.sized(dataset.n_rows, features=dataset.n_features),
                 names=messages.listed(dataset.feature_names, dataset.n_features, limit=8),
                 target=dataset.target_name), icon="✅")
else:
    st.button(t("data.use"), type="primary", icon=":material/check:",
              on_click=use_csv, args=(dataset, table.name, dataset_key),
              help=t("data.use_help", **messages.sized(dataset.n_rows, features=dataset.n_features),
                     target=dataset.target_name))

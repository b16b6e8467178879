"""Data: upload a CSV (or point at large files on a Dask cluster, ui.large_data), look at it, choose the target and
the features, and train on it everywhere."""

import streamlit as st

import sgdcore
from ui import messages
from ui.datasets import CSV_KEY, current_problem, use_csv
from ui.lesson import lesson_panel
from ui.memory import MemoryBudgetError
from ui.navigation import require_router
from ui.uploads import build_dataset, parse_upload, release_upload
from ui.widgets import show_error

require_router()  # first: on a fresh server this page may have been started without the router

TABLE = "data_table"  # session_state: the parsed upload, as ui.uploads.parse_upload returns it
state = st.session_state

st.title("Data")
st.caption("Upload a CSV, choose the column to predict and the columns to predict it from, and every page "
           "trains on it. Delimiter (comma, semicolon, tab, pipe) and encoding (UTF-8, with or without BOM, or "
           "Latin-1) are detected.")
lesson_panel("data")

in_use = current_problem(state)
if in_use.problem is not None:
    st.caption(f"In use now: {in_use.description}.")

SOURCES = {"upload": "Upload a CSV", "dask": "Large data (Dask)"}
state.setdefault("keep_data_page_source", "dask" if state.get("data_source") == "dask" else "upload")
source = st.radio("Source", tuple(SOURCES), format_func=SOURCES.__getitem__, horizontal=True,
                  key="keep_data_page_source", label_visibility="collapsed")
if source == "dask":
    from ui import large_data  # imports Dask: only when this source is chosen

    large_data.data_section(in_use)
    st.stop()

uploaded = st.file_uploader("Upload a CSV file", type=["csv", "tsv", "txt"], key="csv_file")
# Parse each upload once: a million-row file takes seconds, and every click reruns this page. Then Streamlit's
# copy of its bytes goes: the uploader still shows the file but returns None for it from the next rerun on, so
# the page goes on from the table it read (also after a visit to another page), until another file comes.
parsed = state.get(TABLE)
if uploaded is not None and (parsed is None or parsed["file_id"] != uploaded.file_id):
    parsed = parse_upload(uploaded.getvalue(), uploaded.name, uploaded.file_id)
    state[TABLE] = parsed
    release_upload(uploaded.file_id)
del uploaded
if parsed is None:
    if state.get(CSV_KEY) is not None:
        st.info(f"**{state[CSV_KEY]['name']}** is loaded. Upload another file to replace it.")
    else:
        st.info("No file yet. Any table of numbers with a header row works: one column to predict, the others "
                "as features. Text columns can be dropped or one-hot encoded, missing values dropped or filled.")
    st.stop()


def refuse(message: str) -> None:
    """Say what is wrong with the file, and that the data in use has not changed; end the page here."""
    show_error(message)
    if in_use.problem is not None:
        st.caption(messages.nothing_changed(in_use.description))
    st.stop()


if "error" in parsed:
    refuse(messages.file_error(parsed["name"], parsed["error"]))

table = parsed["table"]
frame = table.frame
st.caption(f"**{table.name}**: {len(frame):,} rows × {frame.shape[1]} columns, "
           f"{messages.DELIMITER_WORDS[table.delimiter]}-separated, "
           f"{table.encoding}.")
for notice in messages.table_notices(table.encoding, table.number_formats):
    st.caption(notice)

preview, summary = st.tabs(["Preview", "Column summary"])
preview.dataframe(frame.head(200), width="stretch")
summary.dataframe(parsed["summary"], width="stretch", hide_index=True)

columns = list(frame.columns)
# Widget keys carry the file's digest, so a new file starts afresh; the "keep_" prefix keeps the choices
# when the user visits another page (see ui.widgets.keep_page_settings).
target_key, features_key = f"keep_target_{parsed['digest']}", f"keep_features_{parsed['digest']}"
missing_key, non_numeric_key = f"keep_missing_{parsed['digest']}", f"keep_non_numeric_{parsed['digest']}"
infinite_key, former_target_key = f"keep_infinite_{parsed['digest']}", f"keep_former_target_{parsed['digest']}"
state.setdefault(target_key, columns[-1])
state.setdefault(features_key, columns[:-1])
state.setdefault(missing_key, "error")
state.setdefault(non_numeric_key, "error")
state.setdefault(infinite_key, "error")
left, right = st.columns([1, 2])
target = left.selectbox(messages.TARGET, columns, key=target_key, help="The column to predict.")
candidates = [column for column in columns if column != target]
former_target = state.get(former_target_key, target)
features = [column for column in state[features_key] if column in candidates]
if former_target != target and former_target in candidates and former_target not in features:
    features.append(former_target)  # the column the user stopped predicting is one to predict from again
state[features_key], state[former_target_key] = features, target
features = right.multiselect(messages.FEATURES, candidates, key=features_key,
                             help="The columns to predict it from.")
left, middle, right = st.columns(3)
missing = left.radio(messages.MISSING, tuple(messages.MISSING_LABELS), format_func=messages.MISSING_LABELS.get,
                     key=missing_key)
non_numeric = middle.radio(messages.NON_NUMERIC, tuple(messages.NON_NUMERIC_LABELS),
                           format_func=messages.NON_NUMERIC_LABELS.get, key=non_numeric_key)
infinite = right.radio(messages.INFINITE, tuple(messages.INFINITE_LABELS), format_func=messages.INFINITE_LABELS.get,
                       key=infinite_key)

dataset_key = f"csv:{parsed['digest']}:{target}:{features}:{missing}:{non_numeric}:{infinite}"
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
        refuse(str(error))
dataset = built[dataset_key]
if isinstance(dataset, sgdcore.SGDCoreError):
    refuse(messages.data_error(dataset))

for notice in dataset.notices:
    st.caption(notice)
st.caption("Standardisation and the test fraction are set in the sidebar and apply to every data source.")
current_csv = state.get(CSV_KEY)
if current_csv is not None and current_csv["key"] == dataset_key and state.get("data_source") == "csv":
    st.success(f"Using {table.name}: {dataset.n_rows:,} rows, {dataset.n_features} features "
               f"({', '.join(dataset.feature_names[:8])}{', …' if dataset.n_features > 8 else ''}) "
               f"to predict {dataset.target_name}. Every page trains on it now.", icon="✅")
else:
    st.button("Use this dataset", type="primary", icon=":material/check:",
              on_click=use_csv, args=(dataset, table.name, dataset_key),
              help=f"{dataset.n_rows:,} rows, {dataset.n_features} features → {dataset.target_name}")

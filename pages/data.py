"""Data: upload a CSV, look at it, choose the target and the features, and train on it everywhere."""

import streamlit as st

import sgdcore
from sgdcore.tabular import DELIMITER_NAMES
from ui.datasets import CSV_KEY, current_problem, use_csv
from ui.memory import MemoryBudgetError
from ui.navigation import require_router
from ui.uploads import build_dataset, parse_upload, release_upload
from ui.widgets import show_error

require_router()  # first: on a fresh server this page may have been started without the router

TABLE = "data_table"  # session_state: the parsed upload, as ui.uploads.parse_upload returns it
MISSING_LABELS = {"error": "Stop and tell me", "drop": "Drop those rows", "mean": "Fill with the column mean"}
NON_NUMERIC_LABELS = {"error": "Stop and tell me", "drop": "Drop those columns", "onehot": "One-hot encode them"}
state = st.session_state

st.title("Data")
st.caption("Upload a CSV, choose the column to predict and the columns to predict it from, and every page "
           "trains on it. Delimiter (comma, semicolon, tab, pipe) and encoding (UTF-8, with or without BOM, or "
           "Latin-1) are detected.")

in_use = current_problem(state)
if in_use.problem is not None:
    st.caption(f"In use now: {in_use.description}.")


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
        st.caption(f"Nothing changed: still using {in_use.description}.")
    st.stop()


if "error" in parsed:
    refuse(f"{parsed['name']}: {parsed['error']}")

table = parsed["table"]
frame = table.frame
st.caption(f"**{table.name}**: {len(frame):,} rows × {frame.shape[1]} columns, "
           f"{DELIMITER_NAMES[table.delimiter]}-separated, "
           f"{table.encoding}.")
for notice in table.notices:
    st.caption(notice)

preview, summary = st.tabs(["Preview", "Column summary"])
preview.dataframe(frame.head(200), width="stretch")
summary.dataframe(parsed["summary"], width="stretch", hide_index=True)

columns = list(frame.columns)
# Widget keys carry the file's digest, so a new file starts afresh; the "keep_" prefix keeps the choices
# when the user visits another page (see ui.widgets.keep_page_settings).
target_key, features_key = f"keep_target_{parsed['digest']}", f"keep_features_{parsed['digest']}"
missing_key, non_numeric_key = f"keep_missing_{parsed['digest']}", f"keep_non_numeric_{parsed['digest']}"
state.setdefault(target_key, columns[-1])
state.setdefault(features_key, columns[:-1])
state.setdefault(missing_key, "error")
state.setdefault(non_numeric_key, "error")
left, right = st.columns([1, 2])
target = left.selectbox("Target column", columns, key=target_key, help="The column to predict.")
candidates = [column for column in columns if column != target]
state[features_key] = [column for column in state[features_key] if column in candidates]
features = right.multiselect("Feature columns", candidates, key=features_key,
                             help="The columns to predict it from.")
left, right = st.columns(2)
missing = left.radio("Missing values", tuple(MISSING_LABELS), format_func=MISSING_LABELS.__getitem__,
                     key=missing_key, horizontal=True)
non_numeric = right.radio("Non-numeric feature columns", tuple(NON_NUMERIC_LABELS),
                          format_func=NON_NUMERIC_LABELS.__getitem__, key=non_numeric_key, horizontal=True)

dataset_key = f"csv:{parsed['digest']}:{target}:{features}:{missing}:{non_numeric}"
# The last dataset built from this file is kept: building one from a million rows takes a while.
built = parsed["built"]
if dataset_key not in built:
    try:
        built.clear()
        built[dataset_key] = build_dataset(parsed, target, features, missing=missing, non_numeric=non_numeric)
    except sgdcore.SGDCoreError as error:
        built[dataset_key] = error
    except MemoryBudgetError as error:  # not kept: it may fit at the next click
        refuse(str(error))
dataset = built[dataset_key]
if isinstance(dataset, sgdcore.SGDCoreError):
    refuse(str(dataset))

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

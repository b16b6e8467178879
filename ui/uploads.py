"""The uploader (:func:`csv_uploader`), and an uploaded CSV or workbook, parsed once per upload: what the Data page
keeps of it between reruns, and what it lets go of.

A 400 MB upload is held three times at first: Streamlit's copy of the bytes, the parsed table, and the float
matrix made from it. Once the table is read, :func:`release_upload` drops Streamlit's copy, and both the
parsing and the matrix are made only when the server's memory budget (``ui.memory``) says they fit. The page keeps
the bytes of a small file whose encoding they chose among several (:data:`KEPT_BYTES`), to read it again in the
encoding its user names, and of a workbook with more than one sheet that holds cells (:data:`KEPT_WORKBOOK_BYTES`),
to read the sheet its user names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
import streamlit as st

import sgdcore
from sgdcore.io import column_summary, dataset_from_frame, read_table
from sgdcore.io.workbooks import workbook_kind
from ui.i18n import t
from ui.memory import (
    BUDGET,
    UPLOAD_HEADER_BYTES,
    MemoryBudgetError,
    dataset_from_table_peak,
    largest_upload,
    size_text,
    upload_peak,
    workbook_cells,
)
from ui.messages import sized
from ui.runner import HEAVY_VALUES, background_priority, heavy_data

# The encodings the bytes of a file that is not UTF-8 choose among (sgdcore.io.reading.encoding_not_utf8): a file
# read in one of them may have been saved in another, and the page offers them all
CHOSEN_BY_THE_BYTES = ("gb18030", "cp950", "cp1252", "latin-1")
# The largest file whose bytes the page keeps to read again in another encoding: the files the bytes cannot tell are
# short ones (a few Chinese names), and a class's uploads stay small beside the server's memory
KEPT_BYTES = 4 * 1024 * 1024
# The largest workbook whose bytes the page keeps to read another of its sheets: a learner's workbook of a few sheets
# is well under it (a megabyte of .xlsx holds 75,000 floats or 250,000 digits), and a larger one's notice says how
KEPT_WORKBOOK_BYTES = 16 * 1024 * 1024
# A file read at a lower priority (ui.runner.background_priority), as large synthetic data is made: a table of
# HEAVY_VALUES numbers at about 8 characters each ("-1.2345,"), which takes seconds to parse and solve
HEAVY_UPLOAD_BYTES = 8 * HEAVY_VALUES
# A workbook read so: about a second of its cells' reading (bench_workbook: 1.05-1.47 s for 1,000,000)
HEAVY_WORKBOOK_CELLS = 1_000_000


UPLOAD_LIMIT_KEY = "_upload_limit_mb"  # session_state: the uploader's limit for this visit to the Data page


def upload_limit_mb(state: Any, entered: bool) -> int:
    """The uploader's largest file, in MB: what fits in the server's memory now (:func:`ui.memory.largest_upload`),
    taken as the Data page is entered (``entered``: this run is a visit's first, whose uploader is drawn anew and
    empty), then held through the visit. Streamlit resets an uploader (its file dropped) whose limit changes, and
    the memory in use moves with every run of every session: a limit that followed it on each run would drop a
    student's file as it arrives. A class's next visits see what another session has taken or given back since."""
    if entered or UPLOAD_LIMIT_KEY not in state:
        state[UPLOAD_LIMIT_KEY] = largest_upload(BUDGET.room(), int(st.get_option("server.maxUploadSize")))
    return state[UPLOAD_LIMIT_KEY]


# The files read: tables as text, as Excel and other programs save them, and workbooks (sgdcore.io.workbooks)
READ_TYPES = ("csv", "tsv", "txt", "xlsx", "xls", "ods")


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Streamlit's uploader writes its own words in English and has no setting for others; these rules put the page's
# words in their place: the button's, the limit's under it and, while a file is dragged over, the drop zone's. A file
# the browser does not send (one over the limit, which the server never sees) is only marked red, its reason shown
# on hover: the last rule says so under it.
# (The uploader's parts are found by their test ids; tests/browser/test_browser_chinese.py reads the words drawn.)
_UPLOADER_WORDS = """<style>
[data-testid="stFileUploaderDropzone"] button[data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"]
  > p {{ display: none; }}
[data-testid="stFileUploaderDropzone"] button[data-testid="stBaseButton-secondary"]
  [data-testid="stMarkdownContainer"]::after {{ content: {button}; }}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0; }}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {{ content: {limit}; font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzone"] > div:not([data-testid]) > span {{ font-size: 0; }}
[data-testid="stFileUploaderDropzone"] > div:not([data-testid]) > span::after {{
  content: {drop}; font-size: 0.875rem; }}
[data-testid="stFileChips"]:has([data-testid="stFileChip"][aria-invalid="true"]) {{ flex-wrap: wrap; }}
[data-testid="stFileChips"]:has([data-testid="stFileChip"][aria-invalid="true"])::after {{
  content: {refused}; flex-basis: 100%; font-size: 0.875rem; }}
</style>"""


def csv_uploader(limit_mb: int, label: str | None = None, key: str = "csv_file") -> Any:
    """``st.file_uploader`` for one table of at most ``limit_mb`` MB (``label`` above it, the Data page's by
    default), its words in the page's language; the file uploaded, or None. A style sheet alone takes no room on the
    page (Streamlit sends it apart from the elements).

    Its limit names the files read (:data:`READ_TYPES`), but it takes any file: the reader says what a file that is
    not a table is and what to do, in the page's language, where the uploader's own refusal of a type is a red mark
    on the file with no words beside it (and the reader tells a workbook by its bytes, whatever its name)."""
    types = t("messages.glue.separator").join(kind.upper() for kind in READ_TYPES)
    st.html(_UPLOADER_WORDS.format(button=_css_string(t("data.uploader_button")),
                                   limit=_css_string(t("data.uploader_limit", limit=limit_mb, types=types)),
                                   drop=_css_string(t("data.uploader_drop")),
                                   refused=_css_string(t("data.uploader_refused", limit=limit_mb))))
    return st.file_uploader(label or t("data.uploader"), key=key, max_upload_size=limit_mb)


def parse_upload(content: bytes, name: str, file_id: str, encoding: str | None = None,
                 sheet: str | None = None) -> dict[str, Any]:
    """``{"file_id", "name", "digest", "read_as", "table", "summary", "built"}`` for a file that reads (in
    ``encoding``, else in the one its bytes choose; a workbook's ``sheet``, else its first that holds a table), else
    ``{"file_id", "name", "digest", "read_as", "error"}``: the ``SGDCoreError``, worded by the page (ui.messages), or
    the ``MemoryBudgetError`` when parsing it would not fit in the server's memory now. ``read_as`` is ``encoding``,
    or ``"detected"`` with ``"detected"`` the encoding the bytes chose; ``"content"``, the bytes, is kept where the
    page offers to read them in another encoding (:func:`reread_upload`) or another of a workbook's sheets
    (:func:`reread_sheet`). Of a workbook, ``"sheet"`` is the sheet read and ``"sheets"`` those that hold cells,
    also where the sheet does not read.

    ``digest`` names the content (the Data page keys the choices made on a file with it, so the same file
    uploaded again keeps them); ``built`` is for the datasets the page makes from the table. The digest is
    made on another thread while the file is parsed: hashlib lets go of the GIL, so on a second core it
    costs nothing (0.35 s of a 400 MB file otherwise).
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(lambda: hashlib.sha1(content).hexdigest()[:16])
        parsed: dict[str, Any] = {"file_id": file_id, "name": name, "read_as": encoding or "detected"}
        try:
            with (BUDGET.reserve(upload_peak(content), t("data.reading", size=size_text(len(content)))),
                  background_priority(heavy_upload(content))):
                table = read_table(content, name=name, encoding=encoding, sheet=sheet)
            parsed |= {"table": table, "summary": column_summary(table.frame), "built": {}}
        except (sgdcore.SGDCoreError, MemoryBudgetError) as error:
            parsed["error"] = error
        parsed["digest"] = digest.result()
    if encoding is None and "table" in parsed:
        parsed["detected"] = parsed["table"].encoding
    read_at = getattr(parsed.get("error"), "fields", {})  # a workbook's sheet that does not read names the sheets
    if "table" in parsed and parsed["table"].sheet is not None:
        parsed |= {"sheet": parsed["table"].sheet, "sheets": parsed["table"].sheets}
    elif "sheets" in read_at:
        parsed |= {"sheet": read_at["sheet"], "sheets": tuple(read_at["sheets"])}
    if "sheets" in parsed:
        if len(parsed["sheets"]) > 1 and len(content) <= KEPT_WORKBOOK_BYTES:
            parsed["content"] = content
    elif (encoding is not None or parsed.get("detected") in CHOSEN_BY_THE_BYTES) and len(content) <= KEPT_BYTES:
        parsed["content"] = content
    return parsed


def heavy_upload(content: bytes) -> bool:
    """Whether reading an upload is heavy work (``ui.runner.background_priority``): by its bytes, or a workbook's by
    its cells, which its compressed bytes hide."""
    if workbook_kind(content[:UPLOAD_HEADER_BYTES]) is not None:
        return workbook_cells(content)[0] >= HEAVY_WORKBOOK_CELLS
    return len(content) >= HEAVY_UPLOAD_BYTES


def reread_upload(parsed: dict[str, Any], encoding: str) -> dict[str, Any]:
    """A kept upload (:func:`parse_upload`'s, with its ``"content"``) read again in ``encoding``, or as its bytes
    decide for ``"detected"``."""
    again = parse_upload(parsed["content"], parsed["name"], parsed["file_id"],
                         None if encoding == "detected" else encoding)
    return {"detected": parsed["detected"]} | again


def reread_sheet(parsed: dict[str, Any], sheet: str) -> dict[str, Any]:
    """A kept workbook (:func:`parse_upload`'s, with its ``"content"``) read again at its ``sheet``."""
    return parse_upload(parsed["content"], parsed["name"], parsed["file_id"], sheet=sheet)


def build_dataset(parsed: dict[str, Any], target: str, features: Sequence[str], *, missing: str,
                  non_numeric: str, infinite: str) -> sgdcore.Dataset:
    """``dataset_from_frame`` on a parsed upload's table, if its float matrix fits in the server's memory now.

    Raises ``SGDCoreError`` for what is wrong with the columns and ``MemoryBudgetError`` when it does not fit.
    """
    frame: pd.DataFrame = parsed["table"].frame
    width = len(features)
    if non_numeric == "onehot":  # one column per value but the first, for each text feature
        summary = parsed["summary"].set_index("column")
        text = [column for column in features if summary.loc[column, "type"] == "text"]
        width += int(sum(summary.loc[column, "unique"] - 2 for column in text))
    with (BUDGET.reserve(dataset_from_table_peak(len(frame), width),
                         t("data.making", **sized(len(frame), features=width)),
                         per_unit=dataset_from_table_peak(1, width)),
          background_priority(heavy_data(len(frame), width))):
        return dataset_from_frame(frame, target, list(features), missing=missing, non_numeric=non_numeric,
                                  infinite=infinite)


def release_upload(file_id: str) -> bool:
    """Drop Streamlit's copy of an uploaded file's bytes, once the page has parsed them; True if it was dropped.

    Streamlit keeps every upload's bytes until the session ends, and a session ends two minutes after its tab
    is closed, or never for a tab left open: on a shared server that is a second copy of every large file,
    doing nothing. Streamlit has no public way to let go of them, so this reaches into the script's context,
    as ``st.file_uploader`` itself does to read them (tests/test_memory.py fails if those names change). The
    uploader still shows the file; on the next rerun it returns None for it, and the page works from the
    parsed table it kept.
    """
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        context = get_script_run_ctx()
        if context is None:
            return False
        context.uploaded_file_mgr.remove_file(session_id=context.session_id, file_id=file_id)
    except (ImportError, AttributeError, TypeError):
        return False
    return True

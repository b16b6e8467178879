"""What a page shows a reader, as text, and which of it is English: for the tests of the Chinese dashboard.

:func:`shown_texts` walks an ``AppTest``'s element tree and reads every text a person sees: bodies, widget
labels, help and options, expander and tab labels, table headers and cells, a chart's titles, axes, legends and
labels (from its Vega-Lite spec and data), and the words a style sheet draws. :func:`english` finds the English
words in a text that are ours to translate, leaving code, symbols, units, proper names and the data's own column
names.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator

import pyarrow as pa
from google.protobuf.json_format import MessageToDict

# Fields of an element that hold no words a reader sees (identifiers, formats, code, images)
NOT_READ = {
    "id", "formId", "type", "format", "icon", "language", "code_text", "codeText", "url", "src", "key",
    "color", "width", "height", "theme", "spec", "data", "arrowData", "datasets", "selectionMode", "useContainerWidth",
    "tag", "anchor", "element_hash", "elementHash", "scriptHash", "pageScriptHash", "mimeType", "placeholder_image",
    "page", "queryString",  # a page link's address (ui.navigation.page_links): its label is read
}
CODE_ELEMENTS = {"code", "json", "exception"}  # shown as code: not translated

# Words that are the same in both languages: names of software, people and methods, units, symbols, and the
# synthetic data's column names. Compared in lower case.
ALLOWED_WORDS = {
    # software, formats and projects
    "sgd", "sgdcore", "numpy", "numba", "dask", "scikit-learn", "sklearn", "linearregression", "sgdregressor",
    "altair", "streamlit", "python", "pytorch", "torch", "optim", "tensorflow", "playground", "pandas", "pyarrow",
    "csv", "tsv", "txt", "utf", "gbk", "parquet", "excel", "latin", "json", "url", "cpu", "cpus", "blas", "openblas",
    "d2l", "jit", "github", "cloud", "community", "api", "png", "jpeg", "gif", "pdf", "xls", "xlsx", "ods", "gzip",
    "zip", "windows", "unicode",  # Excel's "Unicode Text", which Chinese Excel calls "Unicode 文本"
    # methods and people
    "nesterov", "adam", "lasso", "ridge", "hessian", "polyak", "kaiming",
    # units, symbols and math
    "gib", "mib", "kib", "gb", "mb", "kb", "ms", "nan", "inf", "max", "min", "log", "exp", "std", "mse", "rmse",
    "lr", "eta", "mu", "tol", "power_t", "n_iter_no_change", "auto", "full", "true", "false",
    # the language switch, labelled in both languages for whoever cannot read the other: "Language / 语言", "English"
    "language", "english",
    # the synthetic data's and the diabetes sample's column names
    "x1", "x2", "y", "bias", "age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6", "target",
}
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*(?:-[A-Za-z]+)*")
INLINE_CODE = re.compile(r"`[^`]*`")
PATH = re.compile(r"\S*/\S*")  # a path, a glob or an address (data/*.parquet, tcp://host:8786): typed, not read
ENUM_NAME = re.compile(r"[A-Z][A-Z_]*")  # a layout's enum values (SMALL, HORIZONTAL), never shown as text
DRAWN_BY_CSS = re.compile(r'content:\s*"((?:[^"\\]|\\.)*)"')  # a style sheet's words, in CSS's quotes
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*[_.0-9][A-Za-z0-9_.]*")  # snake_case, dotted, with digits


def _strings(value: object, field: str = "") -> Iterator[str]:
    if field in NOT_READ:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _strings(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, field)


# Encoding channels that title an axis, a legend or a hover text with their field's name when given no title
AXIS_CHANNELS = {"x", "y"}
LEGEND_CHANNELS = {"color", "fill", "stroke", "shape", "size", "opacity", "strokeDash", "strokeWidth"}


def _untitled_fields(encoding: dict) -> Iterator[str]:
    """The field names an encoding shows: Vega-Lite titles an axis, a legend or a hover text by its field's name
    when the channel has no title of its own. (A field's name is otherwise an identifier no reader sees.)"""
    for channel, definitions in encoding.items():
        for definition in definitions if isinstance(definitions, list) else [definitions]:
            if not isinstance(definition, dict) or "field" not in definition or "title" in definition or any(
                    "title" in (definition.get(guide) or {}) for guide in ("axis", "legend")):
                continue
            if channel == "tooltip" or (channel in AXIS_CHANNELS and definition.get("axis", {}) is not None) or (
                    channel in LEGEND_CHANNELS and definition.get("legend", {}) is not None
                    and definition.get("scale", {}) is not None):
                yield str(definition["field"])


def _chart_texts(spec: dict) -> Iterator[str]:
    """A Vega-Lite spec's words: titles, axis and legend titles, tooltip titles (a field's name where a channel
    has none), and the string values of its data (legend entries, labels drawn as text marks)."""
    for name, item in spec.items() if isinstance(spec, dict) else enumerate(spec):
        if name in ("title", "text", "subtitle", "description") and isinstance(item, str | list):
            yield from _strings(item)
        elif name == "datasets" and isinstance(item, dict):
            for rows in item.values():
                for row in rows:
                    yield from (cell for cell in row.values() if isinstance(cell, str))
        elif name == "encoding" and isinstance(item, dict):
            yield from _untitled_fields(item)
            yield from _chart_texts(item)
        elif isinstance(item, dict | list):
            yield from _chart_texts(item)


def _table_texts(arrow_bytes: bytes, headers: bool = True) -> Iterator[str]:
    """A table's cells and, when they are shown (a table's, not a chart's data), its column names."""
    table = pa.ipc.open_stream(io.BytesIO(arrow_bytes)).read_all()
    if headers:
        yield from (str(name) for name in table.column_names if not str(name).startswith("__index_level"))
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            yield from (cell for cell in column.to_pylist() if cell)


def _elements(node: object) -> Iterator[object]:
    yield node
    children = getattr(node, "children", None)
    if children:
        for child in children.values() if isinstance(children, dict) else children:
            yield from _elements(child)


def shown_texts(at: object) -> list[str]:
    """Every text the page of ``at`` shows, in order, code blocks left out."""
    texts: list[str] = []
    for element in _elements(at._tree):
        proto = getattr(element, "proto", None)
        kind = getattr(element, "type", "")
        if proto is None or kind in CODE_ELEMENTS or not hasattr(proto, "DESCRIPTOR"):
            continue
        if kind == "html" and proto.body.lstrip().startswith("<style>"):
            # A style sheet: its words are those it draws (CSS generated content), not its rules
            texts.extend(re.sub(r"\\(.)", r"\1", words) for words in DRAWN_BY_CSS.findall(proto.body))
            continue
        if kind in ("vega_lite_chart", "arrow_vega_lite_chart"):
            texts.extend(_chart_texts(json.loads(proto.spec)))
            # A chart's column names are its fields: shown only as titles, which _chart_texts reads
            for dataset in getattr(proto, "datasets", []):
                if dataset.data.data:
                    texts.extend(_table_texts(dataset.data.data, headers=False))
            if proto.data.data:
                texts.extend(_table_texts(proto.data.data, headers=False))
            continue
        if kind in ("arrow_data_frame", "arrow_table", "dataframe", "table"):
            # st.table's and st.dataframe's protos hold their Arrow bytes in arrow_data.data
            texts.extend(_table_texts(proto.arrow_data.data if hasattr(proto, "arrow_data") else proto.data))
            continue
        texts.extend(_strings(MessageToDict(proto, preserving_proto_field_name=False)))
    return [text for text in texts if text.strip() and not ENUM_NAME.fullmatch(text)]


def english(text: str, also_allowed: Iterable[str] = ()) -> list[str]:
    """The English words of ``text`` that are ours: not in inline code, not identifiers, not allowed names."""
    allowed = ALLOWED_WORDS | {word.lower() for word in also_allowed}
    text = INLINE_CODE.sub(" ", text)
    text = PATH.sub(" ", text)
    text = IDENTIFIER.sub(" ", text)
    return [word for word in WORD.findall(text) if len(word) >= 3 and word.lower() not in allowed]


if __name__ == "__main__":  # python -m tests.shown_texts PAGE [lang]: the English left on a page, to translate
    import sys

    from tests.test_app_pages import app, open_page

    page, lang = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "zh-CN")
    at = app(lang=lang)
    if page == "train":
        next(b for b in at.button if b.proto.type == "primary").click().run()
    else:
        at = open_page(at, page)
    for exception in at.exception:
        print("EXCEPTION:", exception.value)
    for text in shown_texts(at):
        if words := english(text):
            print(f"{text[:160]!r}  ← {' '.join(words[:8])}")

"""What the Data page says, in its own terms and in the page's language: its widgets' labels, and sgdcore's data
problems in words.

sgdcore words its errors for a programmer, in English (``missing='drop'``); the page's user sees radio buttons, in
their own language. A :class:`~sgdcore.errors.DataError` carries its ``problem`` and fields, and :func:`data_error`
words them from the catalogue's ``messages.<problem>`` text, naming the widgets and options the user can change by
the labels the page shows. sgdcore's notices (what reading and cleaning did: rows dropped, a column encoded) are
:class:`~sgdcore.data.Notice` strings with a ``kind`` and fields, and :func:`notice_text` words them from
``messages.notice.<kind>`` in the same way. The glue of lists (``, … and 3 more``, ``Under “…”, choose “…” or
“…”``) comes from the catalogue too. Values from the user's file are cut to a readable length.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from sgdcore.errors import ECHO_CHARACTERS, SGDCoreError
from ui.i18n import catalogue, labels, language, t, text_in, tn

LISTED = 8  # names a message lists before "… and N more"

# The Data page's options: codes (widget values, sgdcore's arguments); their labels are the catalogue's
MISSING_OPTIONS = ("error", "drop", "mean")
NON_NUMERIC_OPTIONS = ("error", "drop", "onehot")
INFINITE_OPTIONS = ("error", "drop")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}  # a delimiter → its word's key
FILE_KINDS = ("png", "jpeg", "gif", "pdf", "gzip", "zip", "binary")


# The widgets' labels, in the page's language: functions, as the language may change within a session

def target_label() -> str:
    return t("messages.widget.target")


def features_label() -> str:
    return t("messages.widget.features")


def missing_label() -> str:
    return t("messages.widget.missing")


def non_numeric_label() -> str:
    return t("messages.widget.non_numeric")


def infinite_label() -> str:
    return t("messages.widget.infinite")


def missing_labels() -> dict[str, str]:
    """``{"error": "Stop and tell me", "drop": …, "mean": …}``: a ``format_func`` over :data:`MISSING_OPTIONS`."""
    return labels("messages.missing")


def non_numeric_labels() -> dict[str, str]:
    return labels("messages.non_numeric")


def infinite_labels() -> dict[str, str]:
    return labels("messages.infinite")


def delimiter_word(delimiter: str) -> str:
    """``"comma"``, ``"tab"``, …: how a message names a file's delimiter (a comma for one it does not know)."""
    return t(f"messages.delimiter.{DELIMITERS.get(delimiter, 'comma')}")


def separated(delimiter: str) -> str:
    """``"comma-separated"``."""
    return t("messages.separated", word=delimiter_word(delimiter))


def sized(rows: int, **counts: int) -> dict[str, str]:
    """``{"rows": "1 row", "features": "3 features"}``: counts of rows, and of ``columns`` or ``features``, worded
    in the page's language (one row, two rows) for a text that says a table's size."""
    return {name: tn(f"data.{name}", count) for name, count in {"rows": rows, **counts}.items()}


# Values and lists, cut to a readable length

def short(text: object, limit: int = ECHO_CHARACTERS, lang: str | None = None) -> str:
    """``text`` as it is, cut to about ``limit`` characters (a file name, a value); its length said in ``lang``
    (by default the page's language)."""
    text = str(text)
    return text if len(text) <= limit else text_in(lang or language(), "messages.glue.cut",
                                                  text=f"{text[:limit - 1]}…", length=len(text))


def echo(value: object, limit: int = ECHO_CHARACTERS, lang: str | None = None) -> str:
    """``repr(value)``, cut to about ``limit`` characters as sgdcore's ``echo`` does, its length said in ``lang``
    (by default the page's language): ``'abcdef…' (100,000 characters)``."""
    text = repr(value)
    if len(text) <= limit:
        return text
    cut = f"{text[:limit - 1]}…{text[0] if isinstance(value, str) else ''}"
    if not isinstance(value, str):
        return cut
    return text_in(lang or language(), "messages.glue.cut", text=cut, length=len(value))


def listed_numbers(values: Sequence[float], limit: int = LISTED) -> str:
    """``[2.0, -3.4]``, or the first ``limit`` values and how many there are: a description stays readable."""
    if len(values) <= limit:
        return str(list(values))
    return t("messages.glue.numbers", values=", ".join(map(str, values[:limit])), count=len(values))


def listed(items: Sequence[str], total: int, limit: int = LISTED) -> str:
    """``items`` joined, then ``, … and N more`` when ``total`` is more than ``limit``."""
    shown = t("messages.glue.separator").join(items[:limit])
    return shown + (t("messages.glue.more", count=total - limit) if total > limit else "")


def choose(widget: str, *labels: str, start: str = "Under") -> str:
    """How a message points at the choices that fix it: ``Under “Missing values”, choose “A” or “B”``
    (``start="under"`` in the middle of a sentence)."""
    options = t("messages.glue.or").join(t("messages.glue.option", label=label) for label in labels)
    return t("messages.glue.choose_mid" if start == "under" else "messages.glue.choose", widget=widget,
             options=options)


def names(columns: Sequence[object], limit: int = LISTED) -> str:
    """``'a', 'b', … and 3 more``, each name cut to a readable length."""
    return listed([echo(str(name)) for name in columns[:limit]], len(columns), limit)


def counts(by_column: Mapping[str, int], target: object = None, limit: int = LISTED) -> str:
    """``'age' (3), 'income' (1, the target)``."""
    items = list(by_column.items())
    return listed([t("messages.glue.count_target" if name == target else "messages.glue.count",
                     name=echo(str(name)), count=count) for name, count in items[:limit]], len(items), limit)


def means(fill: Mapping[str, float], limit: int = LISTED) -> str:
    """``'age' 37.5, 'city=Paris' 0.25``: the mean each feature's gaps were filled with, to six digits."""
    items = list(fill.items())
    return listed([f"{echo(str(name))} {value:.6g}" for name, value in items[:limit]], len(items), limit)


def examples(by_column: Mapping[str, object], limit: int = LISTED) -> str:
    """``'city' (e.g. 'Paris')``."""
    items = list(by_column.items())
    return listed([t("messages.glue.example", name=echo(str(name)), example=echo(example))
                   for name, example in items[:limit]], len(items), limit)


def _times(by_name: Mapping[str, int]) -> str:
    """``'a' (2 times), 'b' (3 times)``: the first :data:`LISTED` duplicated names."""
    return t("messages.glue.separator").join(t("messages.glue.times", name=echo(str(name)), count=count)
                                             for name, count in list(by_name.items())[:LISTED])


# Each problem's fields for its catalogue text ``messages.<problem>``: the error's own, worded (names listed and
# cut, counts summed, the options that fix it by their labels), with the labels of the widgets it names.

def _not_text(f: Mapping[str, Any]) -> dict[str, Any]:
    kind = f.get("kind") if f.get("kind") in FILE_KINDS else "binary"
    return {"kind": t(f"messages.file_kind.{kind}")}


def _dependent_features(f: Mapping[str, Any]) -> dict[str, Any]:
    """``'a2' is a copy of 'a'; 'c' is a linear combination of 'a', 'b'``: the first :data:`LISTED` such columns."""
    said = [t("messages.glue.copy" if name in f["copies"] else "messages.glue.combination", name=echo(str(name)),
              others=names(others)) for name, others in list(f["depends_on"].items())[:LISTED]]
    return {"dependencies": t("messages.glue.clauses").join(said), "columns": names(f["columns"])}


def _too_few_rows(f: Mapping[str, Any]) -> dict[str, Any]:
    """Rows too few, after dropping some: where the rows went, and only the choices sgdcore found would leave
    enough (``fixes``: another target, removing columns from the features, filling gaps with the mean), then
    filling in the file. Without them (data in files), where the rows went is not known, nor what else helps."""
    if not f["dropped"]:
        return {"rows": f["rows"]}
    fixes = [{"other_target": lambda: t("messages.rows_fix.other_target", target=echo(str(f["target"])),
                                        target_rows=f["target_rows"], target_widget=target_label()),
              "deselect": lambda: t("messages.rows_fix.deselect", columns=names(f["columns"]),
                                    features_widget=features_label()),
              "mean": lambda: choose(missing_label(), missing_labels()["mean"], start="under"),
              }[fix]() for fix in f.get("fixes", ())] + [t("messages.rows_fix.file")]
    if len(fixes) > 2:
        said = t("messages.glue.alternatives").join(fixes[:-1]) + t("messages.glue.or_last_of_many") + fixes[-1]
    else:
        said = t("messages.glue.or_last").join(fixes)
    where = t("messages.glue.in_columns", columns=counts(f["counts"], f.get("target"))) if f.get("counts") else ""
    return {"rows": f["rows"], "dropped": f["dropped"], "where": where, "fixes": said[:1].upper() + said[1:]}


PROBLEM_FIELDS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    # Reading the file
    "empty_file": lambda f: {},
    "not_text": _not_text,
    "bom_not_utf8": lambda f: {},
    "bom_not_utf16": lambda f: {},
    "utf16_without_bom": lambda f: {},
    "not_in_encoding": lambda f: {"encoding": encoding_name(f["encoding"], short=True), "line": f["line"],
                                  "read_as": t("data.read_as")},
    "full_width_delimiter": lambda f: {"mark": f["mark"], "ascii_mark": f["ascii_mark"],
                                       "name": delimiter_word(f["ascii_mark"])},
    "no_header": lambda f: {},
    "no_data_rows": lambda f: {"columns": names(f["columns"])},
    "duplicate_columns": lambda f: {"columns": _times(f["counts"])},
    "ragged_row": lambda f: {"delimiter": delimiter_word(f["delimiter"]), "line": f["line"], "fields": f["fields"],
                             "header_fields": f["header_fields"]},
    "header_below": lambda f: {"delimiter": delimiter_word(f["delimiter"]), "line": f["line"], "fields": f["fields"],
                               "header_line": f["header_line"], "header_fields": f["header_fields"]},
    "unclosed_quote": lambda f: {"delimiter": delimiter_word(f["delimiter"]), "line": f["line"]},
    "unreadable": lambda f: {"delimiter": delimiter_word(f["delimiter"]), "reason": short(f["reason"], 200)},
    "workbook_encrypted": lambda f: {},
    "workbook_unreadable": lambda f: {"reason": short(f["reason"], 200)},
    "workbook_empty": lambda f: {},
    "sheet_empty": lambda f: {"sheet": echo(f["sheet"]), "sheets": names(f["sheets"])},
    # Choosing the target and the features
    "no_numeric_column": lambda f: {"examples": examples(f["examples"])},
    "unknown_target": lambda f: {"target": echo(str(f["target"])), "columns": names(f["columns"])},
    "text_target": lambda f: {"target": echo(str(f["target"])), "example": echo(f["example"])},
    "unknown_features": lambda f: {"columns": names(f["columns"]), "available": names(f["available"])},
    "target_is_feature": lambda f: {"target": echo(str(f["target"]))},
    "no_features": lambda f: {},
    "text_features": lambda f: {"count": len(f["columns"]), "examples": examples(f["examples"]), "choose": choose(
        non_numeric_label(), non_numeric_labels()["drop"], non_numeric_labels()["onehot"])},
    "only_text_features": lambda f: {"columns": names(f["columns"]), "choose": choose(
        non_numeric_label(), non_numeric_labels()["onehot"])},
    "single_valued_text": lambda f: {"columns": names(f["columns"])},
    "too_many_categories": lambda f: {"column": echo(str(f["column"])), "count": f["count"], "limit": f["limit"],
                                      "choose": choose(non_numeric_label(), non_numeric_labels()["drop"],
                                                       start="under")},
    # Missing and infinite values
    "missing_values": lambda f: {"values": sum(f["counts"].values()), "rows": f["rows"],
                                 "columns": counts(f["counts"], f.get("target")), "choose": choose(
                                     missing_label(), missing_labels()["drop"], missing_labels()["mean"])},
    "infinite_values": lambda f: {"rows": f["rows"], "columns": counts(f["counts"], f.get("target")),
                                  "target": echo(str(f.get("target"))),
                                  "choose": choose(infinite_label(), infinite_labels()["drop"])},
    "no_values": lambda f: {"column": echo(str(f["column"]))},
    "not_finite": lambda f: {"count": f["count"], "choose": choose(missing_label(), missing_labels()["drop"]),
                             "choose_infinite": choose(infinite_label(), infinite_labels()["drop"], start="under")},
    # What least squares needs
    "too_few_rows": _too_few_rows,
    "constant_features": lambda f: {"columns": names(f["columns"])},
    "indistinct_numbers": lambda f: {"columns": names(f["columns"]), "smallest": short(f["smallest"]),
                                     "largest": short(f["largest"]), "digits": f["digits"],
                                     "as_float": repr(float(f["as_float"]))},
    "dependent_features": _dependent_features,
    "too_many_features": lambda f: {"rows": f["rows"], "features": f["features"], "unknowns": f["features"] + 1},
    "too_large": lambda f: {"largest": f["largest"]},
}


def problem_key(problem: str, fields: Mapping[str, Any]) -> str:
    """The catalogue key of a problem's text: ``messages.<problem>``, or its variant for the fields given
    (rows too few *after dropping* some, infinite values *in the target*)."""
    if problem == "too_few_rows" and fields.get("dropped"):
        return "messages.too_few_rows_after_dropping"
    if problem == "infinite_values" and fields.get("target") in fields.get("counts", {}):
        return "messages.infinite_values_in_target"  # deselecting features does not help: another target does
    return f"messages.{problem}"


def data_error(error: SGDCoreError) -> str:
    """What the Data page says for ``error``: its problem worded for the page from the catalogue, else
    sgdcore's own message, cut short."""
    problem, fields = getattr(error, "problem", ""), getattr(error, "fields", {})
    key = problem_key(problem, fields)
    if problem not in PROBLEM_FIELDS or key not in catalogue(language()):
        return short(str(error), 1000)
    try:
        worded = PROBLEM_FIELDS[problem](fields)
    except (KeyError, TypeError, AttributeError):  # the same problem raised elsewhere in sgdcore with other fields
        return short(str(error), 1000)
    text = t(key, **worded, features_widget=features_label(), target_widget=target_label())
    # The same problem in one of several files (large data) names the file, which a single upload's wording need not
    if "file" in fields and "{file" not in catalogue(language())[key]:
        return t("messages.file_error", file=short(fields["file"]), error=text)
    return text


def nothing_changed(description: str) -> str:
    return t("messages.nothing_changed", description=description)


# sgdcore's notices (what reading and cleaning did to the data), by their kind: each kind's fields for its
# catalogue text ``messages.notice.<kind>``, worded as a problem's are (names listed and cut, counts by column).

def _written_like(thousands: str, decimal: str) -> str:
    """``1,234.5``: a number written with these separators (``1 234`` without a decimal one), to show how a
    column's numbers are written."""
    return f"1{thousands}234" + (f"{decimal}5" if decimal else "")


# The catalogue's names of the encodings a file that is not UTF-8 is read in, by Python's codec name.
ENCODING_KEYS = {"latin-1": "latin1", "cp1252": "windows1252", "gb18030": "chinese", "cp950": "big5"}
# Every encoding a file is read in (sgdcore.io.reading.ENCODING_CHOICES), by its short name's key
SHORT_ENCODING_KEYS = {"utf-8": "utf8", "utf-8-sig": "utf8_bom", "utf-16": "utf16", **ENCODING_KEYS}


def encoding_name(encoding: str, lang: str | None = None, *, short: bool = False) -> str:
    """An encoding a file is read in, as the page names it in ``lang`` (by default the page's language).

    The full name says whose the encoding is ("Windows-1252, the Western European of Excel on Windows"), for the
    choices and the notices that offer it: those of :data:`ENCODING_KEYS` have one, UTF-8 and UTF-16 are named by
    their own. The ``short`` one ("Windows-1252") names it in the middle of a sentence, as Python's codec names
    ("cp1252") would not."""
    keys = SHORT_ENCODING_KEYS if short else ENCODING_KEYS
    if encoding not in keys:
        return encoding.upper()
    key = f"messages.{'encoding_short' if short else 'encoding'}.{keys[encoding]}"
    return text_in(lang, key) if lang else t(key)


def _cell(cell: Mapping[str, Any]) -> str:
    """A cell that is not a number, as written, and where: a CSV's line, or a workbook's cell (``C7``)."""
    if "cell" in cell:
        return t("messages.glue.cell_in_sheet", value=echo(cell["value"]), cell=cell["cell"])
    return t("messages.glue.cell", value=echo(cell["value"]), line=cell["line"])


NOTICE_FIELDS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    # Reading the file
    "latin1": lambda f: {},
    "windows1252": lambda f: {},
    "chinese": lambda f: {},
    "big5": lambda f: {},
    "utf16": lambda f: {},
    "files_not_utf8": lambda f: {"encoding": encoding_name(f["encoding"]),
                                 "files": names(f["files"])},
    "title_lines": lambda f: {"lines": f["lines"], "header_line": f["header_line"], "titles": listed(
        [echo(title) for title in f["titles"]], len(f["titles"]), 3)},
    "title_rows": lambda f: {"rows": f["rows"], "header_row": f["header_row"], "titles": listed(
        [echo(title) for title in f["titles"]], len(f["titles"]), 3)},
    "other_sheets": lambda f: {"sheet": echo(f["sheet"]), "others": names(f["others"])},
    "sep_line": lambda f: {"line": echo(f"sep={f['delimiter']}"), "delimiter": echo(f["delimiter"])},
    "number_format": lambda f: {"column": echo(str(f["column"])),
                                "example": _written_like(f["thousands"], f["decimal"])},
    "thousands_points": lambda f: {"column": echo(str(f["column"])), "example": echo(f["example"]),
                                   "value": f["value"], "decimal_columns": names(f["decimal_columns"])},
    "minus_sign": lambda f: {"column": echo(str(f["column"])), "example": echo(f["example"]), "value": f["value"]},
    "currency_sign": lambda f: {"column": echo(str(f["column"])), "sign": echo(f["sign"]),
                                "example": echo(f["example"]), "value": f["value"]},
    "percent_sign": lambda f: {"column": echo(str(f["column"])), "sign": echo(f["sign"]), "example": echo(f["example"]),
                               "value": f["value"], "hundredth": f["value"] / 100},
    "negatives_in_parentheses": lambda f: {"column": echo(str(f["column"])), "example": echo(f["example"]),
                                           "value": f["value"]},
    "not_numbers": lambda f: {"column": echo(str(f["column"])), "count": f["count"], "cells": listed(
        [t("messages.glue.cell_in_file", value=echo(cell["value"]), file=short(cell["file"]), line=cell["line"])
         if "file" in cell else _cell(cell) for cell in f["cells"]], f["count"], len(f["cells"]))},
    "missing_cells": lambda f: {"column": echo(str(f["column"])), "count": f["count"], "cells": listed(
        [_cell(cell) if cell["value"] else t("messages.glue.empty_in_sheet", cell=cell["cell"]) if "cell" in cell
         else t("messages.glue.empty_cell", line=cell["line"]) for cell in f["cells"]], f["count"], len(f["cells"]))},
    "empty_columns": lambda f: {"count": len(f["columns"]), "columns": names(f["columns"])},
    # Text columns
    "text_dropped": lambda f: {"count": len(f["columns"]), "columns": names(f["columns"])},
    "one_hot": lambda f: {"column": echo(str(f["column"])), "values": f["values"], "count": len(f["columns"]),
                          "columns": names(f["columns"]), "baseline": echo(str(f["baseline"]))},
    "one_hot_single_value": lambda f: {"column": echo(str(f["column"])), "values": f["values"], "count": 0},
    # Missing and infinite values
    "missing_dropped": lambda f: {"rows": f["rows"], "total": f["total"], "columns": counts(f["counts"], f["target"])},
    "missing_dropped_in_files": lambda f: {"columns": counts(f["counts"], f["target"])},
    "target_missing_dropped": lambda f: {"rows": f["rows"], "target": echo(str(f["target"]))},
    "missing_filled": lambda f: {"values": sum(f["counts"].values()), "columns": counts(f["counts"]),
                                 "means": means(f["fill"])},
    "missing_filled_in_files": lambda f: {"columns": counts(f["counts"]), "means": means(f["fill"])},
    "infinite_dropped": lambda f: {"rows": f["rows"], "total": f["total"], "columns": counts(f["counts"])},
    "row_numbers": lambda f: {"column": echo(str(f["column"])), "first": f["first"], "second": f["first"] + 1,
                              "last": f["last"]},
    # How a run trains (sgdcore.backends, sgdcore.distributed)
    "numpy_fallback": lambda f: {"reason": short(f["reason"], 200)},
    "threads_lowered": lambda f: {"asked": f["asked"], "usable": f["usable"],
                                  "cores": tn("messages.notice.cores", f["usable"])},
    "blocks_per_partition": lambda f: {},
}


def notice_text(notice: str) -> str:
    """What the page says for one of sgdcore's notices: its kind worded from the catalogue with its fields, else
    sgdcore's own text (a notice with no kind, or one of a kind the page does not know)."""
    kind, fields = getattr(notice, "kind", ""), getattr(notice, "fields", {})
    key = f"messages.notice.{kind}"
    if kind not in NOTICE_FIELDS or key not in catalogue(language()):
        return str(notice)
    try:
        worded = NOTICE_FIELDS[kind](fields)
    except (KeyError, TypeError, AttributeError):  # the same kind made elsewhere in sgdcore with other fields
        return str(notice)
    text = t(key, **worded)
    # The same notice of several data files (large data) names them, which a single upload's wording need not
    if "files" in fields and "{files" not in catalogue(language())[key]:
        return t("messages.files_notice", files=names(fields["files"]), notice=text)
    return text


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """sgdcore's column summary as the page shows it: its headers and the columns' kinds in the page's language
    (the summary itself keeps sgdcore's names: the page's code reads them)."""
    kinds = labels("messages.kind")
    shown = summary.assign(type=summary["type"].map(lambda kind: kinds.get(kind, kind)))
    return shown.rename(columns=labels("messages.summary"))


def undefined_r2(comparison: Any, problem: Any) -> str:
    """Why the R² the Train page shows as "—" is undefined (NaN in ``comparison``, an ``sgdcore.Comparison``): a
    target that does not vary on the training or the test rows of ``problem``; "" when both are defined."""
    sentences = []
    for name, r2, data in (("train", comparison.train_r2_closed_form, problem.raw_train),
                           ("test", comparison.test_r2_closed_form, problem.raw_test)):
        if r2 is None or not math.isnan(r2):
            continue
        if data.n_rows < 2:  # a test row alone (a training set has two at least)
            sentences.append(t("train.r2_undefined.test_one"))
        else:
            sentences.append(t(f"train.r2_undefined.{name}", target=data.target_name))
    return "".join([*sentences, t("train.r2_undefined.mse")]) if sentences else ""  # each sentence ends in its space

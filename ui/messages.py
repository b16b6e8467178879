"""What the Data page says, in its own terms: the labels of its widgets, and sgdcore's data problems in words.

sgdcore words its errors for a programmer (``missing='drop'``); the page's user sees radio buttons. A
:class:`~sgdcore.errors.DataError` carries its ``problem`` and fields, and :func:`data_error` words them here,
naming the widgets and options the user can change. Every such text lives in this module, so that another
language is one more catalogue of the same keys. Values from the user's file are cut to a readable length.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sgdcore.errors import ECHO_CHARACTERS, SGDCoreError, echo

LISTED = 8  # names a message lists before "… and N more"

# The Data page's widgets and options
TARGET = "Target column"
FEATURES = "Feature columns"
MISSING = "Missing values"
NON_NUMERIC = "Non-numeric feature columns"
INFINITE = "Infinite values (inf, -inf)"
MISSING_LABELS = {"error": "Stop and tell me", "drop": "Drop those rows", "mean": "Fill with the column mean"}
NON_NUMERIC_LABELS = {"error": "Stop and tell me", "drop": "Drop those columns", "onehot": "One-hot encode them"}
INFINITE_LABELS = {"error": "Stop and tell me", "drop": "Drop those rows"}
DELIMITER_WORDS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
FILE_KINDS = {
    "png": "a PNG image", "jpeg": "a JPEG image", "gif": "a GIF image", "pdf": "a PDF document",
    "xls": "an Excel workbook (.xls)", "xlsx": "an Excel workbook (.xlsx)", "ods": "an OpenDocument spreadsheet",
    "gzip": "a gzip archive", "zip": "a zip archive", "utf16": "UTF-16 text", "binary": "binary data, not text",
}
UPLOAD_CSV = "Upload a CSV file: a text file with a header row and rows of numbers."
SAVE_AS_CSV = "Open it in its spreadsheet program, save it as CSV (in Excel: CSV UTF-8) and upload that file."
SAVE_AS_UTF8 = "Save it again as UTF-8 (in Excel: CSV UTF-8) and upload it again."


def short(text: object, limit: int = ECHO_CHARACTERS) -> str:
    """``text`` as it is, cut to about ``limit`` characters (a file name, a value)."""
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit - 1]}… ({len(text):,} characters)"


def listed_numbers(values: Sequence[float], limit: int = LISTED) -> str:
    """``[2.0, -3.4]``, or the first ``limit`` values and how many there are: a description stays readable."""
    if len(values) <= limit:
        return str(list(values))
    return f"[{', '.join(map(str, values[:limit]))}, … ({len(values)} values)]"


def choose(widget: str, *labels: str, start: str = "Under") -> str:
    """How a message points at the choices that fix it: ``Under “Missing values”, choose “A” or “B”``."""
    return f"{start} “{widget}”, choose " + " or ".join(f"“{label}”" for label in labels)


def names(columns: Sequence[object], limit: int = LISTED) -> str:
    """``'a', 'b', … and 3 more``, each name cut to a readable length."""
    shown = ", ".join(echo(str(name)) for name in columns[:limit])
    return shown + (f", … and {len(columns) - limit} more" if len(columns) > limit else "")


def counts(by_column: Mapping[str, int], target: object = None, limit: int = LISTED) -> str:
    """``'age' (3), 'income' (1, the target)``."""
    items = list(by_column.items())
    shown = ", ".join(f"{echo(str(name))} ({count}{', the target' if name == target else ''})"
                      for name, count in items[:limit])
    return shown + (f", … and {len(items) - limit} more" if len(items) > limit else "")


def examples(by_column: Mapping[str, object], limit: int = LISTED) -> str:
    """``'city' (e.g. 'Paris')``."""
    items = list(by_column.items())
    shown = ", ".join(f"{echo(str(name))} (e.g. {echo(example)})" for name, example in items[:limit])
    return shown + (f", … and {len(items) - limit} more" if len(items) > limit else "")


def _not_text(kind: str) -> str:
    fix = {"utf16": SAVE_AS_UTF8, "xls": SAVE_AS_CSV, "xlsx": SAVE_AS_CSV, "ods": SAVE_AS_CSV}.get(kind, UPLOAD_CSV)
    return f"This is not a CSV file: it looks like {FILE_KINDS.get(kind, FILE_KINDS['binary'])}. {fix}"


def _delimited(fields: Mapping[str, Any]) -> str:
    return f"Cannot read the file as {DELIMITER_WORDS.get(fields['delimiter'], 'comma')}-separated values"


def _extra_delimiter(fields: Mapping[str, Any]) -> str:
    word = DELIMITER_WORDS.get(fields["delimiter"], "comma")
    return f'Check that line for an extra {word} (a value that holds a {word} must be in double quotes "like, this").'


# One wording per problem: a function of the error's fields
DATA_PROBLEMS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    # Reading the file
    "empty_file": lambda f: f"The file is empty: it has no header row and no data. {UPLOAD_CSV}",
    "not_text": lambda f: _not_text(f["kind"]),
    "bom_not_utf8": lambda f: "The file starts with the mark of a UTF-8 file (a byte-order mark) but is not UTF-8 "
                              f"further on. {SAVE_AS_UTF8}",
    "no_header": lambda f: "Cannot find the header row: the file's first line should name its columns, e.g. "
                           "x1,x2,y, with rows of numbers below it.",
    "no_data_rows": lambda f: f"The file has a header row ({names(f['columns'])}) but no data rows: add at least "
                              "two rows of numbers below the header.",
    "duplicate_columns": lambda f: "Two or more columns have the same name: "
                                   + ", ".join(f"{echo(str(name))} ({count} times)" for name, count in
                                               list(f["counts"].items())[:LISTED])
                                   + ". Rename them in the file so that every column has its own name.",
    "ragged_row": lambda f: f"{_delimited(f)}: line {f['line']:,} has {f['fields']} fields, the header has "
                            f"{f['header_fields']}. {_extra_delimiter(f)}",
    "unclosed_quote": lambda f: f"{_delimited(f)}: the quoted value that starts on line {f['line']:,} has no "
                                'closing quote ("). Close the quote in the file and upload it again.',
    "unreadable": lambda f: f"{_delimited(f)}: {short(f['reason'], 200)}.",
    # Choosing the target and the features
    "no_numeric_column": lambda f: f"The file has no numeric column: every column holds text, such as "
                                   f"{examples(f['examples'])}. Least squares needs numbers: check that the file "
                                   "holds them as digits, without units or currency signs.",
    "unknown_target": lambda f: f"The column {echo(str(f['target']))} is not in this file: choose the "
                                f"“{TARGET}” among {names(f['columns'])}.",
    "text_target": lambda f: f"The target column {echo(str(f['target']))} is not numeric: it holds values such as "
                             f"{echo(f['example'])}. Choose a numeric column as the “{TARGET}”.",
    "unknown_features": lambda f: f"The columns {names(f['columns'])} are not in this file: choose the "
                                  f"“{FEATURES}” among {names(f['available'])}.",
    "target_is_feature": lambda f: f"The target column {echo(str(f['target']))} is also among the “{FEATURES}”: "
                                   "remove it there (a column cannot predict itself).",
    "no_features": lambda f: f"No feature columns: choose at least one under “{FEATURES}”.",
    "text_features": lambda f: f"{len(f['columns'])} feature column(s) are not numeric: {examples(f['examples'])}. "
                               f"{choose(NON_NUMERIC, NON_NUMERIC_LABELS['drop'], NON_NUMERIC_LABELS['onehot'])}, "
                               f"or remove them from the “{FEATURES}”.",
    "only_text_features": lambda f: f"The chosen features {names(f['columns'])} are all text, and dropping them "
                                    f"leaves none. {choose(NON_NUMERIC, NON_NUMERIC_LABELS['onehot'])}, or add a "
                                    f"numeric column to the “{FEATURES}”.",
    "single_valued_text": lambda f: f"One-hot encoding {names(f['columns'])} leaves no feature: each holds a single "
                                    "value, which carries no information. Add a feature whose values vary to the "
                                    f"“{FEATURES}”.",
    "too_many_categories": lambda f: f"The column {echo(str(f['column']))} has {f['count']:,} different values, "
                                     f"more than the {f['limit']} that one-hot encoding takes: it looks like an "
                                     f"identifier or free text. Remove it from the “{FEATURES}”, or "
                                     f"{choose(NON_NUMERIC, NON_NUMERIC_LABELS['drop'], start='under')}.",
    # Missing and infinite values
    "missing_values": lambda f: f"{sum(f['counts'].values()):,} missing value(s) in {f['rows']:,} row(s), in "
                                f"{counts(f['counts'], f.get('target'))}. "
                                f"{choose(MISSING, MISSING_LABELS['drop'], MISSING_LABELS['mean'])}, or fill them "
                                "in the file.",
    "infinite_values": lambda f: f"Infinite values (inf or -inf) in {f['rows']:,} row(s), in "
                                 f"{counts(f['counts'])}. {choose(INFINITE, INFINITE_LABELS['drop'])}, fix them in "
                                 f"the file, or remove those columns from the “{FEATURES}”.",
    "no_values": lambda f: f"The feature column {echo(str(f['column']))} has no values at all: remove it from the "
                           f"“{FEATURES}”.",
    "not_finite": lambda f: f"The data still holds {f['count']:,} missing or infinite value(s). "
                            f"{choose(MISSING, MISSING_LABELS['drop'])}, and "
                            f"{choose(INFINITE, INFINITE_LABELS['drop'], start='under')}.",
    # What least squares needs
    "too_few_rows": lambda f: (f"Only {f['rows']} row(s) left after dropping {f['dropped']:,} with missing or "
                               "infinite values; least squares needs at least 2. "
                               f"{choose(MISSING, MISSING_LABELS['mean'])}, or fill in the values in the file.")
                              if f["dropped"] else
                              f"Only {f['rows']} row(s) of data; least squares needs at least 2. Add rows to the file.",
    "constant_features": lambda f: f"The feature column(s) {names(f['columns'])} hold the same value in every row: "
                                   "they carry no information and make the least-squares answer not unique. Remove "
                                   f"them from the “{FEATURES}”.",
    "too_many_features": lambda f: f"{f['rows']:,} rows but {f['features']:,} features: with the bias that is "
                                   f"{f['features'] + 1:,} unknowns, so the least-squares answer is not unique. "
                                   f"Remove columns from the “{FEATURES}” or add rows to the file.",
    "too_large": lambda f: f"Values up to {f['largest']:.3g} are too large for the squared loss in floating point "
                           "(a sum of their squares overflows): rescale those columns in the file, e.g. divide them "
                           "by a power of ten.",
}


def data_error(error: SGDCoreError) -> str:
    """What the Data page says for ``error``: its problem worded for the page, else sgdcore's own message."""
    wording = DATA_PROBLEMS.get(getattr(error, "problem", ""))
    return wording(error.fields) if wording else short(str(error), 1000)


def file_error(file_name: str, error: SGDCoreError) -> str:
    """``"name.csv: what is wrong"``."""
    return f"{short(file_name)}: {data_error(error)}"


def nothing_changed(description: str) -> str:
    return f"Nothing changed: still using {description}."


def number_format(column: str, thousands: str, decimal: str) -> str:
    """The notice for a column read as numbers written with separators."""
    example = f"1{thousands}234{decimal}5" if thousands else f"1234{decimal}5"
    return f"Read {echo(str(column))} as numbers written like {example}."


def table_notices(encoding: str, number_formats: Mapping[str, tuple[str, str]]) -> list[str]:
    """What the page says about how the file was read."""
    notices = ["Read as Latin-1 (the file is not UTF-8)."] if encoding == "latin-1" else []
    return notices + [number_format(column, *separators) for column, separators in number_formats.items()]

"""What reading and cleaning a table did, as notices (:class:`~sgdcore.data.Notice`): each its English text, and
its kind and fields for a user interface to word.

One function per kind of notice, used by :mod:`sgdcore.io` and by :mod:`sgdcore.distributed` (which cleans data in
files the same way), so that both say the same thing alike. :data:`KINDS` lists them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from sgdcore.data import Notice
from sgdcore.errors import Place, echo
from sgdcore.io.columns import counted, quoted

ONE_HOT_LISTED = 8  # new column names a one-hot notice lists before "… and N more"
TITLES_LISTED = 3  # title lines a notice quotes before "… and N more"
LISTED_CELLS = 5  # cells that are not numbers a notice lists before "… and N more"
FILLS_LISTED = 8  # features whose means a notice of filled gaps lists before "… and N more"

KINDS = (
    "latin1", "windows1252", "chinese", "big5", "utf16", "files_not_utf8", "sep_line", "title_lines", "title_rows",
    "other_sheets", "number_format",
    "thousands_points", "minus_sign", "currency_sign", "percent_sign", "negatives_in_parentheses", "not_numbers",
    "missing_cells", "empty_columns",
    "text_dropped",
    "one_hot", "one_hot_single_value", "missing_dropped", "missing_dropped_in_files", "target_missing_dropped",
    "missing_filled", "missing_filled_in_files", "infinite_dropped", "row_numbers",
)


# What to do where the encoding a file that is not UTF-8 was read in is not the one it was written in: the bytes
# decide it, and a short Chinese file can read as either Chinese encoding or as Latin-1
GARBLED = " If its text looks garbled, save it again as UTF-8 (in Excel: CSV UTF-8) and upload it again."


def latin1() -> Notice:
    """The file was read as Latin-1, not being UTF-8."""
    return Notice("Read as Latin-1 (the file is not UTF-8)." + GARBLED, "latin1")


def windows1252() -> Notice:
    """The file was read as Windows-1252 (Western European, as Excel on Windows saves it), not being UTF-8."""
    return Notice("Read as Windows-1252, the Western European of Excel on Windows (the file is not UTF-8)." + GARBLED,
                  "windows1252")


def chinese() -> Notice:
    """The file was read as Chinese (GB18030, which GBK is part of), not being UTF-8."""
    return Notice("Read as Chinese, GBK (GB18030): the file is not UTF-8." + GARBLED, "chinese")


def big5() -> Notice:
    """The file was read as Traditional Chinese in Big5 (Microsoft's, code page 950, as Excel on a Traditional
    Chinese Windows saves it), not being UTF-8."""
    return Notice("Read as Traditional Chinese, Big5: the file is not UTF-8." + GARBLED, "big5")


def utf16() -> Notice:
    """The file was read as UTF-16 (Excel's "Unicode Text" and many Windows programs save it), not being UTF-8."""
    return Notice("Read as UTF-16, as Excel's Unicode Text saves it (the file is not UTF-8).", "utf16")


# How a notice names each encoding a file that is not UTF-8 is read in (sgdcore.io.reading.encoding_not_utf8).
ENCODING_NAMES = {"latin-1": "Latin-1", "cp1252": "Windows-1252, the Western European of Excel on Windows",
                  "gb18030": "Chinese, GBK (GB18030)", "cp950": "Traditional Chinese, Big5"}
# How an error names every encoding a file is read in (sgdcore.io.reading.ENCODING_CHOICES), in the middle of a
# sentence ("not Big5 text"), where Python's names ("cp950") say nothing to most
SHORT_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with a byte-order mark", "utf-16": "UTF-16",
                        "latin-1": "Latin-1", "cp1252": "Windows-1252", "gb18030": "GBK (GB18030)", "cp950": "Big5"}


def files_not_utf8(encoding: str, files: Sequence[str]) -> Notice:
    """The data files ``files`` were read in ``encoding`` (a key of :data:`ENCODING_NAMES`), not being UTF-8."""
    return Notice(f"Read as {ENCODING_NAMES[encoding]}, not UTF-8: {quoted(files)}. If their text looks garbled, "
                  "save them again as UTF-8 and try again.", "files_not_utf8",
                  encoding=encoding, files=[str(name) for name in files])


def sep_line(delimiter: str, files: Sequence[str] = ()) -> Notice:
    """The file's first line, ``sep=;`` as Excel writes it, named its delimiter: it was read so, and skipped. Of
    data files on a cluster, ``files`` names them."""
    text = (f"Read the first line, {echo('sep=' + delimiter)}, as Excel does: it names the delimiter "
            f"({echo(delimiter)}), and is not a row of the table.")
    return Notice(_of_files(text, files), "sep_line", delimiter=delimiter, **_files_field(files))


def title_lines(lines: int, header_line: int, titles: Sequence[str], files: Sequence[str] = ()) -> Notice:
    """The ``lines`` lines above the header, on line ``header_line``, were skipped: the ``titles`` they hold (blank
    lines aside) hold no delimiter, and the lines below all have the header's fields. Of data files on a cluster,
    ``files`` names them."""
    titles = [str(title) for title in titles]
    text = (f"Skipped the {lines} line(s) above the header, which is on line {header_line:,}: they hold no "
            f"delimiter, like a title: {quoted(titles, limit=TITLES_LISTED)}.")
    return Notice(_of_files(text, files), "title_lines", lines=lines, header_line=header_line, titles=titles,
                  **_files_field(files))


def title_rows(rows: int, header_row: int, titles: Sequence[str]) -> Notice:
    """Of a workbook's sheet: the ``rows`` rows above the header, on row ``header_row``, were skipped: each holds one
    cell at most (``titles``, blank rows aside), where the header has two or more."""
    titles = [str(title) for title in titles]
    text = (f"Skipped the {rows} row(s) above the header, which is on row {header_row:,}: they hold one cell each, "
            f"like a title: {quoted(titles, limit=TITLES_LISTED)}.")
    return Notice(text, "title_rows", rows=rows, header_row=header_row, titles=titles)


def other_sheets(sheet: str, others: Sequence[str]) -> Notice:
    """Of a workbook: the sheet ``sheet`` was read, and ``others`` hold cells too."""
    others = [str(other) for other in others]
    return Notice(f"Read the sheet {echo(sheet)}; the workbook's other sheets that hold cells: {quoted(others)}.",
                  "other_sheets", sheet=str(sheet), others=others)


def _of_files(text: str, files: Sequence[str]) -> str:
    """``text``, said of the data ``files`` if any: ``'a.csv', 'b.csv': text``."""
    return f"{quoted(files)}: {text}" if files else text


def _files_field(files: Sequence[str]) -> dict[str, list[str]]:
    return {"files": [str(name) for name in files]} if files else {}


def number_format(column: str, thousands: str, decimal: str) -> Notice:
    """A text column was read as numbers written with ``thousands`` and ``decimal`` separators (``""`` for none, but
    not both: whole numbers with a space between thousands hold no decimal separator)."""
    marks = [f"{echo(thousands)} between thousands"] if thousands else []
    marks += [f"{echo(decimal)} before the decimals"] if decimal else []
    text = f"Read {quoted([column])} as numbers written with {' and '.join(marks)}."
    return Notice(text, "number_format", column=str(column), thousands=thousands, decimal=decimal)


def thousands_points(column: str, example: str, value: float, decimal_columns: Sequence[str]) -> Notice:
    """A column pandas read as decimals (``example``, e.g. ``"28.779"``) was read as whole numbers with points
    between thousands (``value``, 28779), the file's ``decimal_columns`` writing decimals with a comma."""
    decimal_columns = [str(name) for name in decimal_columns]
    text = (f"Read {quoted([column])} as whole numbers with '.' between thousands ({echo(example)} is {value:,.0f}), "
            f"as this file writes decimals with a comma (in {quoted(decimal_columns)}).")
    return Notice(text, "thousands_points", column=str(column), example=example, value=value,
                  decimal_columns=decimal_columns)


def minus_sign(column: str, example: str, value: float) -> Notice:
    """A text column was read as numbers, its typographic minus signs ``−`` (U+2212) as minus signs: ``example``
    (the first value with one, as written) is ``value``."""
    text = (f"Read {quoted([column])} as numbers written with the typographic minus sign '−' (U+2212): "
            f"{echo(example)} is {value:,}.")
    return Notice(text, "minus_sign", column=str(column), example=example, value=value)


def sign_left_out(column: str, sign: str, example: str, value: float) -> Notice:
    """A text column was read as numbers without the currency sign, or the percent sign, ``sign`` that every value
    carries: ``example`` (its first value as written) is ``value``. A percent is kept as written (7.0% is 7.0)."""
    start = f"Read {quoted([column])} as numbers without their {echo(sign)}: {echo(example)} is {value:,}"
    if sign == "%":
        return Notice(f"{start}, the number as written (not {value / 100:.6g}).", "percent_sign", column=str(column),
                      sign=sign, example=example, value=value)
    return Notice(f"{start}.", "currency_sign", column=str(column), sign=sign, example=example, value=value)


def negatives_in_parentheses(column: str, example: str, value: float) -> Notice:
    """A text column was read as numbers with its values in parentheses negative, as accounting formats write them:
    ``example`` (the first so written) is ``value``."""
    text = (f"Read the values of {quoted([column])} in parentheses as negative numbers, as accounting formats write "
            f"them: {echo(example)} is {value:,}.")
    return Notice(text, "negatives_in_parentheses", column=str(column), example=example, value=value)


def not_numbers(column: str, count: int, cells: Sequence[tuple[int | Place | Cell, str]]) -> Notice:
    """The text column ``column`` holds numbers but for ``count`` cells, read as missing values: the first of them,
    ``cells``, as ``(line, value as written)``; in files on a cluster, ``(place, value)``, the place naming the file
    and the line; of a workbook, ``(cell, value)``."""
    listed = ", ".join(f"{echo(value)} ({_cell_place(where)})" for where, value in cells)
    more = f", … and {count - len(cells)} more" if count > len(cells) else ""
    text = (f"{echo(str(column))} holds numbers but for {count} cell(s) that are not: {listed}{more}. They are read "
            "as missing values.")
    return Notice(text, "not_numbers", column=str(column), count=count, cells=[_cell(where, value)
                                                                              for where, value in cells])


class Cell(NamedTuple):
    """A cell of a workbook's sheet, by its address as the spreadsheet shows it: ``C7``."""

    address: str

    def __str__(self) -> str:
        return self.address


def _cell_place(where: int | Place | Cell) -> str:
    if isinstance(where, Cell):
        return f"cell {where.address}"
    return f"{where.file}, line {where.number:,}" if isinstance(where, Place) else f"line {where:,}"


def _cell(where: int | Place | Cell, value: str) -> dict[str, object]:
    if isinstance(where, Cell):
        return {"cell": where.address, "value": str(value)}
    if isinstance(where, Place):
        return {"file": where.file, "line": int(where.number), "value": str(value)}
    return {"line": int(where), "value": str(value)}


def missing_cells(column: str, count: int, cells: Sequence[tuple[int | Cell, str]]) -> Notice:
    """The column ``column`` has ``count`` cells pandas reads as missing values (empty, ``NA``, ``#N/A``, ``NaN``,
    ``null``…): the first of them, ``cells``, as ``(line, value as written)``, ``""`` for an empty cell; of a
    workbook, ``(cell, value)``, ``""`` for a cell empty or holding an error value (``#DIV/0!``).

    Said as the cells that are not numbers are (:func:`not_numbers`): which ones, and where, for the user to find
    them in the file; what the data is made of then says what was done with them (dropped, filled or refused).
    """
    listed = ", ".join(f"{echo(value)} ({_cell_place(where)})" if value else
                       f"an empty cell or an error value ({_cell_place(where)})" if isinstance(where, Cell) else
                       f"an empty cell ({_cell_place(where)})" for where, value in cells)
    more = f", … and {count - len(cells)} more" if count > len(cells) else ""
    return Notice(f"{echo(str(column))} has {count} missing value(s): {listed}{more}.", "missing_cells",
                  column=str(column), count=count, cells=[_cell(where, value) for where, value in cells])


def empty_columns(columns: Sequence[object]) -> Notice:
    """The columns ``columns``, which hold no value at all (as a delimiter at the end of every line makes), were
    left out of the table."""
    columns = [str(name) for name in columns]
    return Notice(f"Left out {len(columns)} column(s) that hold no value at all: {quoted(columns)}.", "empty_columns",
                  columns=columns)


def text_dropped(columns: Sequence[object]) -> Notice:
    """The text feature columns ``columns`` were dropped."""
    columns = [str(name) for name in columns]
    return Notice(f"Dropped {len(columns)} non-numeric feature column(s): {quoted(columns)}.", "text_dropped",
                  columns=columns)


def one_hot(column: object, values: int, new_columns: Sequence[str], baseline: object) -> Notice:
    """``column``'s ``values`` different values became the 0/1 columns ``new_columns``, all but ``baseline``'s.

    With no new column (a single value), the kind is ``"one_hot_single_value"``: the column is gone.
    """
    column, new_columns = str(column), [str(name) for name in new_columns]
    start = f"One-hot encoded {echo(column)}: {values} value(s) → {len(new_columns)} column(s)"
    if not new_columns:
        return Notice(f"{start} (a single value carries no information).", "one_hot_single_value", column=column,
                      values=values)
    return Notice(f"{start} ({quoted(new_columns, limit=ONE_HOT_LISTED)}); {echo(str(baseline))} is the baseline, "
                  "left out.", "one_hot", column=column, values=values, columns=new_columns, baseline=str(baseline))


def missing_dropped(rows: int, total: int, counts: Mapping[str, int], target: str) -> Notice:
    """``rows`` of the ``total`` rows were dropped for the missing values ``counts`` (by column)."""
    return Notice(f"Dropped {rows} of {total} row(s) with missing values: {counted(counts, target)}.",
                  "missing_dropped", rows=rows, total=total, counts=_by_name(counts), target=str(target))


def missing_dropped_in_files(counts: Mapping[str, int], target: str) -> Notice:
    """The rows with the missing values ``counts`` were dropped from data in files (the rows are not counted: a
    row may miss several values, and no pass over the data counts them)."""
    return Notice(f"Dropped the rows with missing values: {counted(counts, target)}.",
                  "missing_dropped_in_files", counts=_by_name(counts), target=str(target))


def target_missing_dropped(rows: int, target: str) -> Notice:
    """``rows`` rows were dropped because their target is missing (the features' gaps being filled)."""
    return Notice(f"Dropped {rows} row(s) where the target {echo(target)} is missing (a target cannot be "
                  "imputed).", "target_missing_dropped", rows=rows, target=str(target))


def missing_filled(counts: Mapping[str, int], fill: Mapping[str, float]) -> Notice:
    """The missing values ``counts`` (by column) were filled with their column's mean: ``fill``, by feature (a text
    column's 0/1 features each took the share of rows with its value), which a new row's empty cell takes too
    (:func:`sgdcore.encode_rows`)."""
    return Notice(f"Filled {sum(counts.values())} missing value(s) with the column mean: {counted(counts)}; the "
                  f"means: {_means(fill)}.", "missing_filled", counts=_by_name(counts), fill=_fills(fill))


def missing_filled_in_files(counts: Mapping[str, int], fill: Mapping[str, float]) -> Notice:
    """The missing values of data in files, ``counts`` by column (some in rows dropped for a missing target, as
    the files hold them), were filled with their column's mean, ``fill`` by feature (as :func:`missing_filled`)."""
    return Notice(f"Filled the missing values with the column mean: {counted(counts)}; the means: {_means(fill)}.",
                  "missing_filled_in_files", counts=_by_name(counts), fill=_fills(fill))


def infinite_dropped(rows: int, total: int, counts: Mapping[str, int]) -> Notice:
    """``rows`` of the ``total`` rows were dropped for the infinite values ``counts`` (by column)."""
    return Notice(f"Dropped {rows} of {total} row(s) with infinite values (inf or -inf): {counted(counts)}.",
                  "infinite_dropped", rows=rows, total=total, counts=_by_name(counts))


def _fills(fill: Mapping[str, float]) -> dict[str, float]:
    return {str(name): float(value) for name, value in fill.items()}


def _means(fill: Mapping[str, float]) -> str:
    """``'age' 37.5, 'city=Paris' 0.25``: each feature's fill, to six digits, the first :data:`FILLS_LISTED`."""
    shown = ", ".join(f"{echo(str(name))} {value:.6g}" for name, value in list(fill.items())[:FILLS_LISTED])
    return shown + (f", … and {len(fill) - FILLS_LISTED} more" if len(fill) > FILLS_LISTED else "")


def _by_name(counts: Mapping[object, int]) -> dict[str, int]:
    """Counts by column name as str (a DataFrame's column may be named by a number; the text says it as it is)."""
    return {str(name): int(count) for name, count in counts.items()}


def row_numbers(column: object, first: float, last: float) -> Notice:
    """The feature ``column`` counts the rows, ``first`` to ``last`` one by one: a row number or an identifier (a
    table pandas saved with its index reads it back as ``"Unnamed: 0"``), used as a feature."""
    column = str(column)
    return Notice(f"{echo(column)} counts the rows ({first:g}, {first + 1:g}, …, {last:g}): a row number or an "
                  "identifier, which means nothing about the target unless the rows are in an order that does (time, "
                  "say). It is used as a feature; leave it out of the features if it means nothing.", "row_numbers",
                  column=column, first=float(first), last=float(last))

"""Reading one sheet of a spreadsheet workbook (Excel's .xlsx, .xlsm, .xlsb and .xls, OpenDocument's .ods) into a
:class:`~sgdcore.io.reading.Table`, as a CSV is read.

calamine (``python-calamine``, the reader pandas' ``engine="calamine"`` uses) reads every one of these formats, in
Rust, without Excel. The sheet read is the one named, else the first that holds a table (a sheet of notes before it
is passed over). Its header is its first row of two or more cells (the title rows above it are skipped and named; a
table of one column has its header on its first row); its cells below are read as they are stored: numbers as
numbers, TRUE and FALSE as 1 and 0, dates and times as text (ISO 8601), and an empty cell, an error value
(``#DIV/0!``) or the text pandas reads as missing in a CSV (``n/a``, ``NA``) as a missing value. Cells are named by
their address as the spreadsheet shows it (``C7``), where a CSV's notices name lines. A column of text that holds
numbers (typed with thousands separators, say) is read as a CSV's is (``numbers``).
"""

from __future__ import annotations

import datetime
import io
import itertools
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from sgdcore.errors import ConfigError, DataError, echo
from sgdcore.io import notices as notice
from sgdcore.io.columns import quoted
from sgdcore.io.reading import Table, _check_header, _leave_out_empty, _read_numbers_in_text

# What a workbook's bytes start with: a zip archive of XML files (.xlsx, .xlsm, .xlsb, .ods), or an OLE2 compound
# file (.xls; an .xlsx that a password encrypts is one too)
ZIP, OLE2 = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
# The name of the stream an encrypted Office file keeps its workbook in, as the compound file's directory spells it
ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
# A row above the header holds at most this many cells: a title, or a title and a date; the header, two or more
TITLE_CELLS = 1
TABLE_LOOKAHEAD = 50  # rows of a sheet looked at for a table, to choose the sheet read
# Text read as a missing value, as pandas reads a CSV's fields (its default ``na_values``): a cell typed "n/a" or
# "#N/A" means what it says, as an error value's cell does
MISSING_TEXTS = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                           "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})


def workbook_kind(head: bytes) -> str | None:
    """``"xlsx"`` (Excel's zipped formats), ``"ods"`` or ``"xls"`` for the first bytes of a workbook, else None."""
    if head.startswith(ZIP):
        if b"xl/" in head or b"[Content_Types].xml" in head:
            return "xlsx"
        if b"opendocument.spreadsheet" in head:
            return "ods"
        return None
    return "xls" if head.startswith(OLE2) else None


def _workbook(content: bytes | Path):  # -> python_calamine.CalamineWorkbook
    """The workbook opened, or a :class:`DataError` that says why it cannot be (a password, a damaged file)."""
    from python_calamine import CalamineWorkbook  # imported where a workbook is read: the CSV path needs none

    raw = content.read_bytes() if isinstance(content, Path) else content
    if raw.startswith(OLE2) and ENCRYPTED in raw[:1 << 20]:
        raise DataError("The workbook is protected by a password, which encrypts its cells. Open it in its spreadsheet "
                        "program, remove the password (in Excel: File → Info → Protect Workbook → Encrypt with "
                        "Password, cleared) or save it as CSV, then upload it again.", "workbook_encrypted")
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(raw))
    except Exception as error:  # calamine's errors are its own classes, one per format
        raise DataError(f"The workbook cannot be read: {error}. Open it in its spreadsheet program and save it again "
                        "(as .xlsx, or as CSV), then upload it again.", "workbook_unreadable",
                        reason=str(error)) from None


def _rows(data) -> tuple[list[list[object]], int, int]:  # data: python_calamine.CalamineSheet
    """A sheet's cells from its first filled row and column on, and that cell's row and column (0-based)."""
    rows = data.to_python(skip_empty_area=True)
    start = data.start or (0, 0)
    return rows, int(start[0]), int(start[1])


def _sheet(book, sheet: str):  # -> python_calamine.CalamineSheet | None
    """The worksheet ``sheet``'s cells, or None for a sheet without any (a chart's sheet has none to read)."""
    try:
        data = book.get_sheet_by_name(sheet)  # its cells parsed: each sheet once
    except Exception:  # calamine's own error for a sheet that is not a worksheet
        return None
    return data if data.height > 0 else None


def _holds_table(data) -> bool:  # data: python_calamine.CalamineSheet
    """Whether a sheet holds a table among its first :data:`TABLE_LOOKAHEAD` rows: a header (a row of two or more
    cells) and a row below it. A sheet of notes, a cell to a row, does not."""
    first = (data.start or (0, 0))[0]  # its rows are given from the sheet's first, empty or not
    counts = [sum(map(_filled, row)) for row in itertools.islice(data.iter_rows(), first, first + TABLE_LOOKAHEAD)]
    header = _header_at(counts)
    return header is not None and any(counts[header + 1:])


def _header_at(counts: Iterable[int]) -> int | None:
    """The header's place among rows holding ``counts`` filled cells: the first of more than :data:`TITLE_CELLS`."""
    return next((at for at, count in enumerate(counts) if count > TITLE_CELLS), None)


def column_letter(index: int) -> str:
    """The spreadsheet's name of the column at 0-based ``index``: ``A``, …, ``Z``, ``AA``, …"""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _filled(cell: object) -> bool:
    return not (cell is None or (isinstance(cell, str) and not cell.strip()))


def _header_name(cell: object, letter: str) -> str:
    """A header cell's text: a whole number without its ``.0`` (a year, 2024), an empty cell its column's letter."""
    return cell_text(cell) if _filled(cell) else letter


def _value(cell: object) -> object:
    """A cell as the table holds it: a number, text, or None for an empty cell or an error value."""
    if isinstance(cell, bool):
        return float(cell)
    if isinstance(cell, int | float):
        return float(cell)
    if isinstance(cell, datetime.datetime | datetime.date | datetime.time):
        return cell.isoformat()
    if isinstance(cell, datetime.timedelta):
        return str(cell)
    return None if cell is None or str(cell).strip() in MISSING_TEXTS else cell


def _column(cells: np.ndarray, empty: np.ndarray) -> pd.Series:
    """A column of numbers (float64, NaN where empty) if every filled cell is one, else of text. ``empty``: the
    cells calamine gives as ``""`` (empty, or an error value)."""
    numbers = np.full(len(cells), np.nan)
    try:  # a column of numbers (and TRUE, FALSE; text that float() reads, as in a CSV): at once, not cell by cell
        numbers[~empty] = cells[~empty].astype(np.float64)
        return pd.Series(numbers)
    except (TypeError, ValueError):  # a date, or text that is not a number
        pass
    values = [_value(cell) for cell in cells]
    if all(value is None or isinstance(value, float) for value in values):  # numbers, and text read as missing
        return pd.Series([math.nan if value is None else value for value in values], dtype=np.float64)
    texts = [None if value is None else (repr_number(value) if isinstance(value, float) else str(value).strip())
             for value in values]
    return pd.Series(texts, dtype="str")


def cell_text(cell: object) -> str:
    """A cell as written, for a notice: its text (``n/a``), a number as the sheet shows it, ``""`` for an empty
    cell."""
    if cell is None or isinstance(cell, str):
        return (cell or "").strip()
    value = _value(cell)
    return repr_number(value) if isinstance(value, float) else str(value)


def repr_number(value: float) -> str:
    """A number as a spreadsheet shows it in a column of text: 3, not 3.0."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def read_workbook(content: bytes | Path, name: str, sheet: str | None = None) -> Table:
    """A sheet of the workbook ``content`` as a :class:`~sgdcore.io.reading.Table`: ``sheet``, or the first that
    holds a table (a row of two or more cells with a row below it; else the first that holds a cell).

    Raises :class:`DataError` for a workbook with no cell, one a password encrypts or one that cannot be read, and
    for a sheet whose header repeats a name or has no row below it: the error's fields then name the ``sheet`` read
    and the ``sheets`` that hold cells, for a user interface to offer the others. :class:`ConfigError` for a
    ``sheet`` the workbook has not."""
    book = _workbook(content)
    if sheet is not None and sheet not in book.sheet_names:
        raise ConfigError(f"sheet must be one of {quoted(book.sheet_names)}; got {echo(sheet)}.", "one_of",
                          parameter="sheet", value=sheet, allowed=list(book.sheet_names))
    holding, chosen = [], None
    for each in book.sheet_names:
        data = _sheet(book, each)
        if data is not None:
            holding.append(each)
            if chosen is None and (each == sheet if sheet is not None else _holds_table(data)):
                chosen = (each, data)
    if not holding:
        raise DataError("The workbook holds no cell: none of its sheets has a header row or data. Fill in a sheet "
                        "with a header row and rows of numbers, save it and upload it again.", "workbook_empty")
    if chosen is None:  # the sheet named holds no cell (said below), or no sheet holds a table: the first with a cell
        chosen = (sheet, None) if sheet is not None else (holding[0], _sheet(book, holding[0]))
    sheet, data = chosen
    cells = _rows(data) if data is not None else ([], 0, 0)
    del book, data, chosen  # calamine's copy of the cells goes before they are converted
    try:
        return _read_sheet(name, sheet, *cells, holding)
    except DataError as error:
        error.fields.update(sheet=sheet, sheets=holding)
        raise


def _read_sheet(name: str, chosen: str, rows: list[list[object]], first_row: int, first_column: int,
                holding: list[str]) -> Table:
    """The sheet ``chosen``, its ``rows`` from its first filled cell's row and column on, as a Table; ``holding``
    the workbook's sheets that hold cells."""
    if not rows:
        raise DataError(f"The sheet {echo(chosen)} holds no cell. Choose a sheet that holds the table: "
                        f"{quoted(holding)}.", "sheet_empty", sheet=chosen, sheets=holding)
    width = max(map(len, rows))  # calamine's rows are all as wide as the sheet's cells, padded with ""
    header_at = _header_at(sum(map(_filled, row)) for row in rows)
    if header_at is None:  # one column: its header on its first filled row
        header_at = next(at for at, row in enumerate(rows) if any(map(_filled, row)))
    titles = [cell_text(next(cell for cell in row if _filled(cell))) for row in rows[:header_at]
              if any(map(_filled, row))]
    for row in rows:  # as wide as the widest, should a sheet's rows differ
        row.extend([""] * (width - len(row)))
    header = [_header_name(cell, column_letter(first_column + at)) for at, cell in enumerate(rows[header_at])]
    _check_header(header)
    grid = np.empty((len(rows) - header_at - 1, width), dtype=object)
    if len(grid):
        grid[:] = rows[header_at + 1:]
    del rows  # the grid holds the cells: their lists go
    empty = grid == ""
    kept = ~empty.all(axis=1)  # a blank row is skipped, as in a CSV
    if not kept.any():
        raise DataError(f"The sheet has a header row ({quoted(header)}) but no data rows: add at least two rows "
                        "of numbers below the header.", "no_data_rows", columns=header)
    grid, empty = grid[kept], empty[kept]
    numbers = first_row + header_at + 2 + np.flatnonzero(kept)  # each data row's number in the sheet
    frame = pd.DataFrame({column: _column(grid[:, at], empty[:, at]) for at, column in enumerate(header)})

    def cell(row: int, position: int) -> tuple[notice.Cell, str]:
        return notice.Cell(f"{column_letter(first_column + position)}{numbers[row]}"), cell_text(grid[row, position])

    notices = (notice.title_rows(header_at, first_row + header_at + 1, titles),) if titles else ()
    # Read as a CSV's quoted fields are: a comma between digits separates thousands (a number typed as text, 1,234)
    number_formats, said = _read_numbers_in_text(frame, ",", lambda rows: cell)
    notices += said
    frame, empty = _leave_out_empty(frame)
    notices += (notice.empty_columns(empty),) if empty else ()
    others = [each for each in holding if each != chosen]
    notices += (notice.other_sheets(chosen, others),) if others else ()
    return Table(frame, name, "", "", notices, number_formats, sheet=chosen, sheets=tuple(holding))

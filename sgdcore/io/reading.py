"""Reading a CSV file or a workbook's sheet (a path, the bytes of an upload or a file object) into a :class:`Table`.

The bytes decide the encoding (UTF-8, with or without a byte-order mark; UTF-16 with one, as Excel's "Unicode Text"
saves it; else GB18030 for Chinese text as a Simplified Chinese Windows saves it, Big5 as a Traditional Chinese one
does, and Windows-1252 for Western text with its € and curly quotes, as Excel on Windows saves them; else Latin-1),
the first lines the delimiter; a line may end in a line feed or in a carriage return alone. A workbook's sheet is read
as a table too (``workbooks``); a file that is not text (an image, an archive) is called what it is, and one whose
fields a Chinese input method's full-width commas separate is told which mark to replace. Columns of numbers written
with thousands separators or decimal commas are read as numbers (``numbers``), and in a file with decimal commas,
``28.779`` is 28779. A column of numbers but for a few cells that are not (Excel's ``#DIV/0!``, a dash) is read as
numbers with those cells missing, and a notice names them with their lines, as another names the cells pandas reads as
missing values itself (empty, ``NA``, ``#N/A``). Every problem is a :class:`~sgdcore.errors.DataError` that names the
line and says what to fix.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import itertools
import os
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from sgdcore.errors import ConfigError, DataError, echo
from sgdcore.io import notices as notice
from sgdcore.io.columns import column_kind, quoted
from sgdcore.io.numbers import as_numbers, numbers_but_for, whole_numbers_with_points

DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SAMPLE_BYTES = 64 * 1024  # what the delimiter sniffer and the header check look at
CHUNK_BYTES = 1 << 20  # how much of a file the encoding check reads at a time
# What a file that is not a CSV starts with (its "magic number"), and what to call it
SIGNATURES = (
    (b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF8", "gif"), (b"%PDF", "pdf"),
    (b"\x1f\x8b", "gzip"), (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"),
)
FILE_KINDS = {
    "png": "a PNG image", "jpeg": "a JPEG image", "gif": "a GIF image", "pdf": "a PDF document",
    "gzip": "a gzip archive", "zip": "a zip archive", "binary": "binary data",
}
# A UTF-16 file's byte-order mark, and the order it names
UTF16_BOMS = {codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}
# A line's end in UTF-16 (a carriage return or a line feed), each byte order's; found only at a character's start
_UTF16_LINE_END = {"utf-16-le": re.compile(rb"[\n\r]\x00"), "utf-16-be": re.compile(rb"\x00[\n\r]")}
CONTROL_BYTES = bytes(set(range(32)) - set(b"\t\n\r\f\v"))


@dataclass(frozen=True, eq=False)
class Table:
    """A parsed CSV file, or a sheet of a workbook, before any choice of target or features.

    Attributes
    ----------
    frame : pandas.DataFrame
        The columns as read, names stripped of surrounding whitespace, but for those that hold no value at all
        (a notice names them).
    name : str
        The file name to show to the user.
    encoding : str
        One of :data:`ENCODING_CHOICES`: ``"utf-8"``, ``"utf-8-sig"`` (UTF-8 with a byte-order mark),
        ``"utf-16"`` (either byte order, with a byte-order mark), ``"gb18030"`` (Chinese, GBK's superset),
        ``"cp950"`` (Big5, Traditional Chinese, as Windows writes it), ``"cp1252"`` (Windows-1252: Latin-1 but for
        € ‘ ’ “ ” – — and a few more) or ``"latin-1"``.
    delimiter : str
        One of ``,`` ``;`` tab ``|``.
    notices : tuple of Notice
        What the user should know about how the file was read (:mod:`sgdcore.io.notices`).

    number_formats : dict of str to (str, str)
        The columns read as numbers although pandas read them as text, or as decimals: their thousands and
        decimal separators (``""`` for none), e.g. ``{"price": (",", ".")}``; ``(".", "")`` for whole numbers with
        points between thousands (``28.779``) in a file whose other columns write decimals with a comma.
    sheet : str or None
        Of a workbook (:mod:`sgdcore.io.workbooks`), the sheet read; its ``encoding`` and ``delimiter`` are ``""``.
    sheets : tuple of str
        Of a workbook, its sheets that hold a cell, the one read among them.
    """

    frame: pd.DataFrame
    name: str
    encoding: str
    delimiter: str
    notices: tuple[str, ...] = ()
    number_formats: dict[str, tuple[str, str]] = field(default_factory=dict)
    sheet: str | None = None
    sheets: tuple[str, ...] = ()


# The encodings a file can be read in, as Table.encoding names them; and those a caller may name, by what Python's
# codecs call them: GBK and GB2312 are read as GB18030, their superset, and Big5 as Windows' Big5, code page 950
ENCODING_CHOICES = ("utf-8", "utf-8-sig", "utf-16", "gb18030", "cp950", "cp1252", "latin-1")
_READ_AS = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "utf-16": "utf-16", "gb18030": "gb18030", "gbk": "gb18030",
            "gb2312": "gb18030", "cp950": "cp950", "big5": "cp950", "cp1252": "cp1252", "iso8859-1": "latin-1"}


def read_table(source: str | os.PathLike | bytes | BinaryIO, name: str | None = None,
               encoding: str | None = None, sheet: str | None = None) -> Table:
    """Read a CSV file into a :class:`Table`, detecting its encoding (unless given) and its delimiter; or a sheet of
    a workbook (.xlsx, .xlsm, .xlsb, .xls, .ods: :mod:`sgdcore.io.workbooks`), told by its bytes.

    Parameters
    ----------
    source : path, bytes or binary file object
        A file path, the raw bytes of an upload (Streamlit's ``uploaded.getvalue()``), or a file
        opened in binary mode.
    name : str, optional
        The name to show for the file; by default the file's own name.
    encoding : str, optional
        The encoding the file was saved in, for a file whose bytes read in more than one (a short Chinese file
        can read as GBK, as Big5 and as Latin-1): one of :data:`ENCODING_CHOICES`, or another name Python gives
        one of them (``"gbk"``, ``"big5"``, ``"latin1"``, ``"windows-1252"``). By default the bytes decide it.
        A workbook's text has no encoding to choose: it is ignored there.
    sheet : str, optional
        Of a workbook, the sheet to read; by default the first that holds a table (a row of two or more cells with
        a row below it), else the first that holds a cell.

    Returns
    -------
    Table

    Raises
    ------
    DataError
        The file is empty, is not text, is not text in the ``encoding`` given, has a header but no data rows,
        repeats a column name, or cannot be parsed; a workbook holds no cell, is encrypted or cannot be read.
    ConfigError
        ``encoding`` is not one of those a file can be read in, or ``sheet`` not one of the workbook's.
    """
    content, default_name = _content(source)
    head = _head(content)
    if not head or (head.isspace() and all(chunk.isspace() for chunk in _chunks(content))):
        raise DataError(
            "The file is empty: it has no header row and no data. Upload a CSV with a header row and at "
            "least two rows of numbers.", "empty_file"
        )
    from sgdcore.io.workbooks import read_workbook, workbook_kind  # which imports this module's helpers

    if workbook_kind(head) is not None:
        return read_workbook(content, name or default_name, sheet)
    _check_text(head)
    detected = encoding is None
    encoding = _detect_encoding(content, head) if detected else _check_encoding(content, _read_as(encoding))
    if encoding == "utf-8" and head.startswith(codecs.BOM_UTF8):  # the mark is not part of the first name
        encoding = "utf-8-sig"
    skip, delimiter, above = _above_header(head.decode(encoding, errors="replace"))
    sample = _after_lines(head.decode(encoding, errors="replace"), skip)
    delimiter = delimiter or _detect_delimiter(sample)
    _check_full_width(sample, delimiter)
    _check_header(_header(sample, delimiter))
    frame = _parse(content, encoding, delimiter, skip)
    frame.columns = [str(column).strip() for column in frame.columns]
    if len(frame) == 0:
        raise DataError(
            f"The file has a header row ({quoted(frame.columns)}) but no data rows: add at least two rows "
            "of numbers below the header.", "no_data_rows", columns=list(frame.columns)
        )
    notices = {"latin-1": (notice.latin1(),), "cp1252": (notice.windows1252(),),
               "gb18030": (notice.chinese(),), "cp950": (notice.big5(),),
               "utf-16": (notice.utf16(),)}.get(encoding, ()) if detected else ()  # the caller knows
    notices += above
    number_formats, said = _read_numbers_in_text(frame, delimiter, _lines_of(content, encoding, delimiter, skip))
    notices += said
    notices += _read_thousands_points(frame, content, encoding, delimiter, number_formats, skip)
    frame, empty = _leave_out_empty(frame)  # last: the columns' positions in the file find their text again
    notices += (notice.empty_columns(empty),) if empty else ()
    return Table(frame, name or default_name, encoding, delimiter, notices, number_formats)


def _check_text(head: bytes) -> None:
    """Refuse a file that is not text (an image, a document, an archive), naming what it looks like (a workbook is
    read before it gets here).

    Without this, the parser reports whatever its bytes happen to look like: "an extra comma on line 4".
    """
    kind = next((kind for signature, kind in SIGNATURES if head.startswith(signature)), None)
    sample = head[:SAMPLE_BYTES]
    if kind is None and utf16_codec(head) is None and (
            b"\x00" in sample or sum(map(sample.count, CONTROL_BYTES)) > len(sample) // 20):
        kind = "binary"  # a text file has no NUL bytes (but UTF-16's), and hardly a control character
    if kind is None:
        return
    if kind == "binary" and _looks_like_utf16(sample):
        raise DataError(
            "The file looks like UTF-16 text without a byte-order mark, whose byte order cannot be told for sure: "
            "save it again as UTF-8 (in Excel: CSV UTF-8), then upload it again.", "utf16_without_bom"
        )
    raise DataError(f"This is not a CSV file: it looks like {FILE_KINDS[kind]}. Upload a CSV file or a workbook: a "
                    "header row and rows of numbers.", "not_text", kind=kind)


def utf16_codec(head: bytes) -> str | None:
    """``"utf-16-le"`` or ``"utf-16-be"`` for bytes that start with a UTF-16 byte-order mark, else None (UTF-32's
    little-endian mark starts with UTF-16's: such a file is not read)."""
    if head.startswith(codecs.BOM_UTF32_LE):
        return None
    return next((codec for bom, codec in UTF16_BOMS.items() if head.startswith(bom)), None)


def _looks_like_utf16(sample: bytes) -> bool:
    """Whether bytes are UTF-16 text without its byte-order mark: the digits, delimiters and line ends of a CSV are
    each a byte and a NUL, so most bytes on one side of each pair are NUL, and hardly any on the other."""
    nuls = sorted((sample[0::2].count(0), sample[1::2].count(0)))
    return nuls[1] > len(sample) // 4 and nuls[0] < nuls[1] // 10


def _leave_out_empty(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The table without the columns that hold no value at all, and their names; unless every column is empty.

    A delimiter at the end of every line makes one ("Unnamed: 3"), as does a header over nothing. Kept, it became the
    default target (the last column) and could be neither predicted nor filled: every row dropped for it.
    """
    empty = [name for name in frame.columns if frame[name].isna().all()]
    if not empty or len(empty) == frame.shape[1]:
        return frame, []
    return frame.drop(columns=empty), empty


def _read_written_numbers(frame: pd.DataFrame, delimiter: str) -> tuple[
        dict[str, tuple[str, str]], dict[str, tuple[str, str]], dict[str, tuple[str, float]], dict[str, pd.Series]]:
    """Replace, in place, each text column that holds numbers with thousands separators or decimal commas, with a
    currency or percent sign, or with negatives in parentheses, or numbers but for a few cells (which become
    missing values); return their separators, the sign of those that had one with their first value as written,
    the first value written in parentheses of those with some, with the number it is read as, and the cells that
    are not numbers, as written, by column."""
    formats, signs, negatives, strays = {}, {}, {}, {}
    for name in frame.columns:
        if column_kind(frame[name]) == "text":
            read = as_numbers(frame[name], delimiter)
            if read is None and (found := numbers_but_for(frame[name], delimiter)) is not None:
                read, strays[name] = found
            if read is not None:
                written = frame[name]
                example = str(written[read[0].notna()].iloc[0]).strip()  # a number: not a cell that is not one
                frame[name], formats[name], sign, in_parentheses = read
                if sign:
                    signs[name] = (sign, example)
                if in_parentheses is not None:
                    negatives[name] = (str(written[in_parentheses]).strip(), float(frame[name][in_parentheses]))
    return formats, signs, negatives, strays


def _minus_signs(frame: pd.DataFrame) -> dict[str, tuple[object, str]]:
    """The text columns with a value written with the typographic minus sign ``−`` (U+2212), by name: the first such
    value's index and the value as written."""
    found = {}
    for name in frame.columns:
        if column_kind(frame[name]) == "text" and pd.api.types.is_string_dtype(frame[name].dtype):
            holds = frame[name].str.contains("\u2212", regex=False, na=False)
            if holds.any():
                row = holds.idxmax()
                found[name] = (row, str(frame[name][row]).strip())
    return found


def _missing_cells(frame: pd.DataFrame) -> dict[str, tuple[int, list[int]]]:
    """The columns with cells pandas read as missing values (empty, ``NA``, ``#N/A``, ``NaN``, ``null``…), by name:
    how many, and the rows of the first of them (:data:`notice.LISTED_CELLS`). Not the columns that hold no value at
    all, which are left out of the table (:func:`_leave_out_empty`)."""
    found = {}
    for name in frame.columns:
        rows = np.flatnonzero(frame[name].isna().to_numpy())
        if 0 < len(rows) < len(frame):
            found[name] = (len(rows), [int(row) for row in rows[:notice.LISTED_CELLS]])
    return found


# Where the cells a notice names are: given the data rows (0-based) of those cells, ``where(row, position)`` for
# each, the place of the row's cell in the column at ``position`` (a CSV's line, a workbook's cell) and the cell as
# written
Places = Callable[[set[int]], Callable[[int, int], tuple[int | notice.Cell, str]]]


def _read_numbers_in_text(frame: pd.DataFrame, delimiter: str,
                         places: Places) -> tuple[dict[str, tuple[str, str]], tuple[str, ...]]:
    """Replace, in place, the text columns of ``frame`` that hold numbers (:func:`_read_written_numbers`); return
    their number formats, and the notices of how they were written (separators, a minus sign, a currency or percent
    sign, parentheses) and of the cells that are not numbers or are missing, at their ``places``."""
    minus_signs = _minus_signs(frame)  # before the columns they are in are read as numbers
    missing = _missing_cells(frame)  # before the cells that are not numbers become missing values too
    number_formats, signs, negatives, strays = _read_written_numbers(frame, delimiter)
    # Not those with a sign or parentheses (theirs show how the numbers are written), nor those written as pandas
    # writes numbers (1234.5, 7), read as text for a cell that is not a number or for a minus sign
    notices = tuple(notice.number_format(name, *separators) for name, separators in number_formats.items()
                    if name not in signs and name not in negatives and separators not in (("", "."), ("", "")))
    notices += tuple(notice.minus_sign(name, example, float(frame[name][row]))
                     for name, (row, example) in minus_signs.items() if name in number_formats)
    notices += _cells_notices(strays, missing, list(frame.columns), places)
    notices += tuple(notice.sign_left_out(name, sign, example, float(frame[name][frame[name].notna()].iloc[0]))
                     for name, (sign, example) in signs.items())
    notices += tuple(notice.negatives_in_parentheses(name, example, value)
                     for name, (example, value) in negatives.items())
    return number_formats, notices


def _lines_of(content: bytes | Path, encoding: str, delimiter: str, skip: int) -> Places:
    """A CSV's :data:`Places`: its lines, read for the rows asked (:func:`_records_of_rows`), and their fields."""
    def places(rows: set[int]) -> Callable[[int, int], tuple[int, str]]:
        records = _records_of_rows(content, encoding, delimiter, skip, rows)
        # A row shorter than the header has no field for the last columns: pandas reads them as missing
        return lambda row, position: (records[row][0], records[row][1][position]
                                      if position < len(records[row][1]) else "")
    return places


def _cells_notices(strays: dict[str, pd.Series], missing: dict[str, tuple[int, list[int]]], columns: list[str],
                   places: Places) -> tuple[str, ...]:
    """In the table's order of ``columns``, a notice for each column read as numbers but for a few cells, read as
    missing values (``strays``), and for each with cells pandas read as missing values (``missing``): the first of
    them (:data:`notice.LISTED_CELLS`) at their ``places``, as written."""
    rows = {int(row) for cells in strays.values() for row in cells.index[:notice.LISTED_CELLS]}
    rows |= {row for _, first in missing.values() for row in first}
    if not rows:
        return ()
    where = places(rows)
    notices = []
    for position, name in enumerate(columns):
        if name in strays:
            shown = strays[name].iloc[:notice.LISTED_CELLS]
            notices.append(notice.not_numbers(name, len(strays[name]), [
                (where(int(row), position)[0], str(value)) for row, value in shown.items()]))
        if name in missing:
            count, first = missing[name]
            notices.append(notice.missing_cells(name, count, [where(row, position) for row in first]))
    return tuple(notices)


def _records_of_rows(content: bytes | Path, encoding: str, delimiter: str, skip: int,
                     rows: set[int]) -> dict[int, tuple[int, list[str]]]:
    """The line of the file (1 = the first) on which each data row in ``rows`` (0-based, as pandas numbers them)
    ends, counted as pandas counts them: the ``skip`` lines above the header left out, blank lines skipped, a quoted
    value over several lines one row; with the row's fields as written.

    A file without a quote has a row on every line that is not blank, its fields between the delimiters: splitting
    only the lines of ``rows`` finds the same (tests/test_io.py) faster than the csv module's reading of every line
    (a missing value on the last of 300,000 lines of 10 numbers: 0.2 s, against 0.7 s)."""
    source = io.BytesIO(content) if isinstance(content, bytes) else content.open("rb")
    quoted = any(b'"' in chunk for chunk in _chunks(content))
    found, last = {}, max(rows, default=-1)
    with io.TextIOWrapper(source, encoding=encoding, newline="") as text:
        for _ in range(skip):
            text.readline()
        if quoted:
            reader = csv.reader(text, delimiter=delimiter)
            lines = ((skip + reader.line_num, row) for row in reader if row)  # csv gives a blank line as []
        else:
            lines = ((skip + number, line) for number, line in enumerate(text, start=1)
                     if line not in ("\n", "\r\n", "\r"))
        next(lines, None)  # the header
        for row, (line, record) in zip(range(last + 1), lines, strict=False):
            if row in rows:
                found[row] = (line, record if quoted else record.rstrip("\r\n").split(delimiter))
    return found


def _read_thousands_points(frame: pd.DataFrame, content: bytes | Path, encoding: str, delimiter: str,
                           number_formats: dict[str, tuple[str, str]], skip: int) -> tuple[str, ...]:
    """In a file whose decimals are written with a comma, replace, in place, each column pandas read as decimals
    that holds whole numbers with points between thousands (``28.779``); add it to ``number_formats`` as
    ``(".", "")``, and return a notice for each.

    Only there: in a file with no decimal comma, ``28.779`` may be a decimal, and stays one.
    """
    with_commas = [name for name, (_, decimal) in number_formats.items() if decimal == ","]
    floats = [position for position, name in enumerate(frame.columns)
              if name not in number_formats and pd.api.types.is_float_dtype(frame[name].dtype)
              and frame[name].notna().any()]  # those read from text above are read already
    if not with_commas or not floats:
        return ()
    source = io.BytesIO(content) if isinstance(content, bytes) else content
    # Their text, read again: pandas kept only the numbers (28.779, and 1.2 for "1.200")
    written = pd.read_csv(source, sep=delimiter, encoding=encoding, engine="c", index_col=False, compression=None,
                          usecols=floats, dtype=str, header=_header_row(content, encoding, skip))
    notices = []
    for position, raw in zip(floats, written.columns, strict=True):
        read = whole_numbers_with_points(written[raw])
        if read is None:
            continue
        name = frame.columns[position]
        example = written[raw][written[raw].str.contains(".", regex=False, na=False)].iloc[0].strip()
        frame[name] = read.set_axis(frame.index).rename(name)
        number_formats[name] = (".", "")
        notices.append(notice.thousands_points(name, example, float(example.replace(".", "")), with_commas))
    return tuple(notices)


def _content(source: str | os.PathLike | bytes | BinaryIO) -> tuple[bytes | Path, str]:
    """What to parse, and the file's name: a path stays a path, anything else is read into bytes.

    pandas (3.1 and later) parses a large UTF-8 file from its path on every core, and bytes in memory on
    one: 0.45 s against 0.9 s for a million rows of 20 floats on two cores. So a file is checked a chunk
    at a time and handed to pandas by its path, never read into memory whole.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "uploaded file"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        return path, path.name
    content = source.read()
    if isinstance(content, str):
        raise TypeError("read_table needs a file opened in binary mode: use open(path, 'rb'), not 'r'.")
    return bytes(content), Path(str(getattr(source, "name", "uploaded file"))).name


def _chunks(content: bytes | Path) -> Iterator[bytes]:
    """The content ``CHUNK_BYTES`` at a time."""
    if isinstance(content, bytes):
        for start in range(0, len(content), CHUNK_BYTES):
            yield content[start:start + CHUNK_BYTES]
        return
    with content.open("rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk


def _head(content: bytes | Path) -> bytes:
    """The first ~64 KB, cut after a whole line (the header is always complete).

    Lines end in a line feed, or in a carriage return alone (the old Mac "CSV" of Excel); in a UTF-16 file, in
    their two bytes, at a character's start.
    """
    head = bytearray()  # appended to in place: a file without line ends is read whole, in linear time
    for chunk in _chunks(content):
        head += chunk
        start = max(SAMPLE_BYTES, len(head) - len(chunk))
        if (codec := utf16_codec(head)) is not None:
            ends = (end.end() for end in _UTF16_LINE_END[codec].finditer(head, start) if end.start() % 2 == 0)
            end = next(ends, None)
        else:
            found = [end + 1 for end in (head.find(b"\n", start), head.find(b"\r", start)) if end >= 0]
            end = min(found, default=None)
        if end is not None:
            return bytes(head[:end])
    return bytes(head)


def _read_as(encoding: str) -> str:
    """The name :data:`ENCODING_CHOICES` gives the encoding a caller named."""
    try:
        read_as = _READ_AS.get(codecs.lookup(encoding).name)
    except (LookupError, TypeError):
        read_as = None
    if read_as is None:
        raise ConfigError(f"encoding must be one of {quoted(ENCODING_CHOICES)}; got {echo(encoding)}.", "one_of",
                          parameter="encoding", value=encoding, allowed=ENCODING_CHOICES)
    return read_as


def _check_encoding(content: bytes | Path, encoding: str) -> str:
    """``encoding``, when the whole content is text in it; else the error that names the first line that is not."""
    if _decodes(content, encoding):
        return encoding
    decoder, line = codecs.getincrementaldecoder(encoding)(), 1
    for chunk in _chunks(content):
        try:
            line += decoder.decode(chunk, final=False).count("\n")
        except UnicodeDecodeError as error:
            line += chunk[:error.start].count(b"\n")
            break
    name = notice.SHORT_ENCODING_NAMES.get(encoding, encoding)
    raise DataError(f"The file is not {name} text: line {line:,} holds bytes that are not. Leave the encoding out for "
                    "the bytes to decide it, or give the one the file was saved in.", "not_in_encoding",
                    encoding=encoding, line=line)


def _detect_encoding(content: bytes | Path, head: bytes) -> str:
    """``"utf-8-sig"`` with a byte-order mark, ``"utf-16"`` with UTF-16's (either byte order: Python's codec and
    pandas read it from the mark), ``"utf-8"`` when the bytes are valid UTF-8, else :func:`encoding_not_utf8`'s.

    Latin-1 decodes any bytes, so it is the fallback; it is right for most Western European exports. A file
    that starts with a byte-order mark and is not in its encoding further on is an error: it is neither.
    """
    if utf16_codec(head) is not None:
        if not _decodes(content, "utf-16"):
            raise DataError(
                "The file starts with the mark of a UTF-16 file (a byte-order mark) but is not UTF-16 further on: "
                "save it again as UTF-8 (in Excel: CSV UTF-8), then upload it again.", "bom_not_utf16"
            )
        return "utf-16"
    utf8 = _is_utf8(content)
    if head.startswith(codecs.BOM_UTF8):
        if not utf8:
            raise DataError(
                "The file starts with the mark of a UTF-8 file (a byte-order mark) but is not UTF-8 further on: "
                "save it again as UTF-8 (in Excel: CSV UTF-8), then upload it again.", "bom_not_utf8"
            )
        return "utf-8-sig"
    return "utf-8" if utf8 else encoding_not_utf8(lambda: _chunks(content))


def encoding_not_utf8(chunks: Callable[[], Iterable[bytes]]) -> str:
    """The encoding of bytes that are not UTF-8, each call of ``chunks`` giving them afresh: ``"gb18030"`` or
    ``"cp950"`` (Big5) for Chinese text (:func:`chinese_reading`), ``"cp1252"`` when they use Windows-1252's own
    characters (:func:`is_windows_1252`), else ``"latin-1"``. Files on a cluster are told by their first lines alike.

    Most Chinese text decodes in both Chinese encodings, one of the two readings being mojibake: the reading with
    more of its characters everyday ones (:func:`_is_everyday`) is the text as written; a tie goes to GB18030, the
    Chinese of the lesson's readers. The readings are compared on the file's first Chinese text, and only the one
    chosen is checked to the end: a large file of Chinese is decoded once.
    """
    first = {codec: chinese_reading(chunks(), codec, whole=False) for codec in CHINESE_CODECS}
    for codec in sorted((codec for codec in CHINESE_CODECS if first[codec] is not None), key=first.__getitem__,
                        reverse=True):  # a stable sort: GB18030 first of equals
        if chinese_reading(chunks(), codec) is not None:
            return codec
    return "cp1252" if is_windows_1252(chunks()) else "latin-1"


# The bytes Latin-1 reads as control characters, which no text holds, and Windows-1252 as € ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž
# ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ (but five it leaves undefined).
_C1_BYTES = re.compile(rb"[\x80-\x9f]")


def is_windows_1252(chunks: Iterable[bytes]) -> bool:
    """Whether bytes that are neither UTF-8 nor Chinese are Windows-1252 rather than Latin-1: they hold at least one of
    the bytes the two read differently (Excel on a Western Windows writes € as 0x80, ’ as 0x92), and every one of
    them is a character of Windows-1252. The two agree on every other byte."""
    used = False
    for chunk in chunks:
        if _C1_BYTES.search(chunk):
            try:
                chunk.decode("cp1252")  # one byte a character: a chunk decodes alone
            except UnicodeDecodeError:
                return False
            used = True
    return used


# The encodings of Chinese text that Excel saves a CSV in: GB18030 (GBK, its two-byte part, on a Simplified Chinese
# Windows) and Big5 (Microsoft's, code page 950, on a Traditional Chinese one), in the order that breaks a tie
CHINESE_CODECS = ("gb18030", "cp950")
# Two or more Chinese characters in a row, which everyday Chinese text has and Latin-1 text read as Chinese almost
# never has (its accented letters stand alone, between ASCII ones)
_CHINESE_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
# Chinese punctuation: the ideographic comma, full stop and brackets, and the full-width forms of ASCII
_CHINESE_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff01-\uff5e]")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
# Where Python's Big5 puts the characters Big5 leaves to each user, which no text of ours holds
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")
# How many characters that are not ASCII tell how everyday a reading is: enough for any file's mojibake to show,
# few enough that a large file of Chinese text is judged in a moment
EVERYDAY_SAMPLE = 10_000


def chinese_reading(chunks: Iterable[bytes], codec: str, whole: bool = True) -> float | None:
    """The share of everyday characters (:func:`_is_everyday`) among the first :data:`EVERYDAY_SAMPLE` that are not
    ASCII, when bytes that are not UTF-8 read as Chinese text in ``codec`` (``whole=False``: as far as those
    characters and a word, the rest unread): they decode, every character that is not ASCII is a Chinese character or
    a mark of the encoding's own two-byte set (GBK's for GB18030: simplified and traditional characters, full-width
    punctuation; Big5's, none of the characters either leaves to each user), and two common characters of the
    encoding (:func:`_is_common`) stand side by side somewhere; else None.

    Latin-1 text seldom passes. In GBK a common character takes two bytes of 0xA1 or more: an accented letter next to
    an ASCII one makes none, and the rare pair of accented letters that makes one ("ö" and "ß" in "Größe") makes a
    single one; the common set keeps Icelandic's "óðó" (in "Þjóðólfsson", two rare characters) from reading as a
    word. In Big5 a common character starts with one of 0xA4 to 0xC6, Latin-1's signs and its capitals À to Æ, and
    a word takes two of them with one byte after each ("Å" and "r" of "Århus" make one): no European word has that.
    """
    decoder, word, last = codecs.getincrementaldecoder(codec)(), False, ""
    others: list[str] = []  # the first characters that are not ASCII, up to EVERYDAY_SAMPLE
    try:
        for chunk in chunks:
            if chunk.isascii() and not decoder.getstate()[0]:  # rows of numbers: nothing to decode, and fast
                last = chr(chunk[-1]) if chunk else last
                continue
            text = decoder.decode(chunk, final=False)
            if not text.isascii():
                if codec == "gb18030":
                    text.encode("gbk")  # not GB18030's four-byte characters, rare or of other scripts
                elif _PRIVATE_USE.search(text):
                    return None
                if len(others) < EVERYDAY_SAMPLE:
                    others += _NOT_ASCII.findall(text)[:EVERYDAY_SAMPLE - len(others)]
                word = word or _has_common_word(last + text, codec)  # a word may span two chunks
                if not whole and word and len(others) == EVERYDAY_SAMPLE:
                    break
            last = text[-1:] or last
        else:
            decoder.decode(b"", final=True)
    except (UnicodeDecodeError, UnicodeEncodeError):
        return None
    return sum(map(_is_everyday, others)) / len(others) if word else None


def _has_common_word(text: str, codec: str) -> bool:
    return any(_is_common(first, codec) and _is_common(second, codec)
               for run in _CHINESE_RUN.findall(text) for first, second in itertools.pairwise(run))


@functools.cache
def _is_common(character: str, codec: str) -> bool:
    """Whether a Chinese character is one of the common set of ``codec``: GB2312's 6,763 (two bytes of 0xA1 or more
    in GBK) for GB18030, Big5's 5,401 frequent ones (its first level, 0xA440 to 0xC67E) for Big5."""
    try:
        if codec == "gb18030":
            return bool(character.encode("gb2312"))
        return b"\xa4\x40" <= character.encode("cp950") <= b"\xc6\x7e"
    except UnicodeEncodeError:
        return False


@functools.cache
def _is_everyday(character: str) -> bool:
    """Whether a character is Chinese punctuation, or a Chinese character of everyday text, simplified or traditional:
    one of GB2312's (the simplified set of 6,763 that GBK extends) or of Big5's 5,401 frequent ones (its first
    level). The mojibake one Chinese encoding makes of the other's bytes holds Japanese kana, box-drawing marks and
    rare characters among them."""
    if _CHINESE_PUNCTUATION.match(character):
        return True
    return "\u4e00" <= character <= "\u9fff" and any(_is_common(character, codec) for codec in CHINESE_CODECS)


def _is_utf8(content: bytes | Path) -> bool:
    if all(chunk.isascii() for chunk in _chunks(content)):  # fast, and true of most numeric files
        return True
    return _decodes(content, "utf-8")


def _decodes(content: bytes | Path, encoding: str) -> bool:
    """Whether the whole content is text in ``encoding``; decoded a chunk at a time: the check needs no copy of the
    whole file as a str."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for chunk in _chunks(content):
            decoder.decode(chunk, final=False)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# Excel's first line naming the delimiter ("sep=;"), which it writes and reads (and does not show) but pandas does not
_SEP_LINE = re.compile(r'"?sep=(.)"?[ \t]*', re.IGNORECASE)
# A line's end, as pandas' parser sees one: a line feed, a carriage return and a line feed, or a carriage return alone
_LINE_END = re.compile(r"\r\n|\r|\n")


def _above_header(sample: str) -> tuple[int, str | None, tuple[str, ...]]:
    """How many lines come above the header, the delimiter they name (None if they name none), and a notice of them.

    Excel's ``sep=;`` line names the file's delimiter: Excel reads it so, and it is not a row. Title lines (a report's
    name, the date it was made, blank lines) are above the header when they hold no delimiter nor quote, and every
    line below them has the same number of fields, two or more, the first not all numbers: then nothing else could
    be the header. Any other first line is the header, and a row longer than it an error (:func:`_parse_error`).
    """
    lines = _LINE_END.split(sample.removeprefix("\ufeff"))
    named = _SEP_LINE.fullmatch(lines[0])
    if named and named[1] in DELIMITERS:
        return 1, named[1], (notice.sep_line(named[1]),)
    titles = next((number for number, line in enumerate(lines)
                   if line.strip() and any(mark in line for mark in DELIMITERS + '"')), 0)
    if not any(line.strip() for line in lines[:titles]):
        return 0, None, ()  # no title (blank lines alone pandas skips)
    below = _after_lines(sample, titles)
    delimiter = _detect_delimiter(below)
    widths = {len(row) for row in csv.reader(io.StringIO(below, newline=""), delimiter=delimiter) if row}
    header = _header(below, delimiter)
    if len(widths) != 1 or len(header) < 2 or all(_is_number(name) for name in header):
        return 0, None, ()
    said = [line.strip() for line in lines[:titles] if line.strip()]
    return titles, None, (notice.title_lines(titles, titles + 1, said),)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _after_lines(sample: str, skip: int) -> str:
    """The sample without its first ``skip`` lines."""
    return _LINE_END.split(sample, maxsplit=skip)[-1] if skip else sample


def _detect_delimiter(sample: str) -> str:
    """The delimiter ``csv.Sniffer`` finds, if it splits every line into the same number (> 1) of fields.

    Otherwise the first of ``, ; tab |`` that does; otherwise the sniffer's guess; otherwise a comma
    (a single-column file, or one whose ragged rows the parser will point at).
    """
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    candidates = [sniffed, *DELIMITERS] if sniffed else list(DELIMITERS)
    for delimiter in candidates:
        counts = {len(row) for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if row}
        if len(counts) == 1 and counts.pop() > 1:
            return delimiter
    return sniffed or ","


def _header(sample: str, delimiter: str) -> list[str]:
    """The column names as written in the first non-blank line (before pandas renames repeats)."""
    return next((row for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if row), [])


# The full-width comma and semicolon a Chinese input method types, and the ASCII marks a CSV separates fields with.
FULL_WIDTH_DELIMITERS = {"，": ",", "；": ";"}


def _check_full_width(sample: str, delimiter: str) -> None:
    """Refuse a file whose fields a full-width comma or semicolon separates (typed with a Chinese input method), which
    would otherwise read as one column of text, and say which mark to replace by which."""
    lines = [line for line in sample.splitlines() if line.strip()]
    if not lines or len(_header(sample, delimiter)) > 1:
        return
    for mark, ascii_mark in FULL_WIDTH_DELIMITERS.items():
        if len({line.count(mark) for line in lines}) == 1 and mark in lines[0]:
            raise DataError(
                f"The fields are separated by {mark!r}, the full-width mark of a Chinese input method, which a CSV "
                f"does not use: replace every {mark!r} with {ascii_mark!r} (in Notepad: Edit → Replace), save the "
                "file, then upload it again.", "full_width_delimiter", mark=mark, ascii_mark=ascii_mark
            )


def _check_header(header: list[str]) -> None:
    """Reject repeated column names, which pandas would otherwise rename quietly to ``a.1``."""
    counts = Counter(name.strip() for name in header if name.strip())
    repeated = {name: count for name, count in counts.items() if count > 1}
    if repeated:
        listed = ", ".join(f"{echo(name)} ({count} times)" for name, count in repeated.items())
        raise DataError(
            f"Duplicate column names in the header: {listed}. Rename them so that every column has a "
            "unique name.", "duplicate_columns", counts=repeated
        )


def _parse(content: bytes | Path, encoding: str, delimiter: str, skip: int = 0) -> pd.DataFrame:
    """Parse with pandas' C engine, straight from the bytes in memory or from the file.

    Why not ``engine="pyarrow"``: ``benchmarks/bench_csv.py`` (1,000,000 × 20 floats, 2 CPUs) found it up to
    1.5× faster in some runs, as fast in others, and always about three times the peak memory; it also reads
    the rest of the file into one cell after an unclosed quote, and reports a ragged row without its line
    number.
    ``index_col=False``: a data row longer than the header is an error, not a silent index column.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            # compression=None: a path ending in .gz is read as the bytes it holds, as an upload is, not unpacked
            # behind the back of the encoding and delimiter detection.
            source = io.BytesIO(content) if isinstance(content, bytes) else content
            return pd.read_csv(source, sep=delimiter, encoding=encoding, engine="c", index_col=False, compression=None,
                               header=_header_row(content, encoding, skip))
        except (pd.errors.ParserError, pd.errors.ParserWarning) as error:
            raw = content if isinstance(content, bytes) else content.read_bytes()
            raise _parse_error(raw, encoding, delimiter, str(error), skip) from None
        except pd.errors.EmptyDataError:  # e.g. a lone carriage return before the first line
            raise DataError(
                "Cannot find the header row: the file's first line should name its columns, e.g. x1,x2,y, "
                "with rows of numbers below it.", "no_header"
            ) from None


def _header_row(content: bytes | Path, encoding: str, skip: int) -> int:
    """The header's row as pandas counts rows: the ``skip`` lines above it but the blank ones (empty, or spaces and
    tabs), which it skips.

    Not ``skiprows=skip``: pandas counts a blank line among the lines it skips, but not one after a carriage return
    alone (an old Mac file's line end), so a title and a blank line above the header took the header with them.
    """
    if not skip:
        return 0
    lines = _LINE_END.split(_head(content).decode(encoding, errors="replace").removeprefix("\ufeff"), maxsplit=skip)
    return sum(1 for line in lines[:skip] if line.strip(" \t"))


def _parse_error(raw: bytes, encoding: str, delimiter: str, reason: str, skip: int = 0) -> DataError:
    """Say which line is wrong and how, in the user's terms rather than the tokenizer's (its lines counted from the
    file's first, the ``skip`` lines above the header among them)."""
    delimiter_name = DELIMITER_NAMES[delimiter]
    fix = (
        f"Check that line for an extra {delimiter_name} (values that contain a {delimiter_name} must be "
        'in double quotes "like, this"), then try again.'
    )
    header_width = len(_header(_after_lines(_head(raw).decode(encoding, errors="replace"), skip), delimiter))
    too_many = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", reason)
    if too_many:
        line, fields = int(too_many[2]), int(too_many[3])
    elif "Length of header" in reason:  # the first data row is the long one
        line, fields = _first_long_line(raw, encoding, delimiter, header_width, skip)
    else:
        unclosed = re.search(r"EOF inside string starting at row (\d+)", reason)
        if unclosed:
            line = int(unclosed[1]) + 1
            return DataError(
                f"Cannot read the file as {delimiter_name}-separated values: the quoted value that starts "
                f'on line {line} has no closing quote ("). Close the quote, then try again.',
                "unclosed_quote", line=line, delimiter=delimiter,
            )
        return DataError(f"Cannot read the file as {delimiter_name}-separated values: {reason.strip()}. {fix}",
                         "unreadable", reason=reason.strip(), delimiter=delimiter)
    header_line = _header_below(raw, encoding, delimiter, skip, line, fields)
    if header_line is not None:
        return header_below_error(delimiter, header_line, header_width, line, fields)
    return DataError(
        f"Cannot read the file as {delimiter_name}-separated values: line {line} has {fields} fields, "
        f"the header has {header_width}. {fix}",
        "ragged_row", line=line, fields=fields, header_fields=header_width, delimiter=delimiter,
    )


def header_below_error(delimiter: str, header_line: int, header_width: int, line: int, fields: int) -> DataError:
    """The error for a header read on line ``header_line`` when line ``line``, with more fields, seems to be it
    (:func:`_header_below`); files on a cluster are refused alike."""
    return DataError(
        f"Cannot read the file as {DELIMITER_NAMES[delimiter]}-separated values: line {header_line}, read as the "
        f"header, has {header_width} field(s), but line {line} and the lines below it have {fields}. If line {line} "
        "is the header, delete the lines above it (a title, say), then try again.", "header_below", line=line,
        fields=fields, header_line=header_line, header_fields=header_width, delimiter=delimiter,
    )


def _header_below(raw: bytes, encoding: str, delimiter: str, skip: int, line: int, fields: int) -> int | None:
    """The line read as the header, if line ``line``, longer than it, looks like the header of the table below it:
    not all numbers, and the next lines (two at least, as far as the first ~64 KB go) have its ``fields`` fields
    each; else None."""
    sample = _after_lines(_head(raw).decode(encoding, errors="replace"), skip)
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    records = [(skip + reader.line_num, row) for row in reader if row]
    below = next((index for index, (number, _) in enumerate(records) if number == line), None)
    if below is None or all(_is_number(name) for name in records[below][1]):
        return None
    rest = [row for _, row in records[below + 1:]]
    return records[0][0] if len(rest) >= 2 and all(len(row) == fields for row in rest) else None


def _first_long_line(raw: bytes, encoding: str, delimiter: str, width: int, skip: int = 0) -> tuple[int, int]:
    """The line number and field count of the first row with more than ``width`` fields, below the ``skip`` lines
    above the header."""
    text = io.TextIOWrapper(io.BytesIO(raw), encoding=encoding, newline="")
    for _ in range(skip):
        text.readline()
    reader = csv.reader(text, delimiter=delimiter)
    for row in reader:
        if len(row) > width:
            return skip + reader.line_num, len(row)
    return skip + reader.line_num, width


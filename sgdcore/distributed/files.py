"""The files behind a path and their row partitions (:class:`Piece`): a CSV file's byte ranges, a Parquet
file's row groups; reading one piece as pandas does, and saying where a row is (file and line) for messages.

:func:`inspect` reads only the CSV headers or the Parquet metadata, on the client: no cluster is needed. A CSV
file's first lines are read as an upload's are (:mod:`sgdcore.io.reading`): Excel's ``sep=;`` line names the
delimiter, title lines above the header are skipped, and only the file's first piece starts above its header.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import fsspec
import numpy as np
import pandas as pd

from sgdcore.data import Notice
from sgdcore.errors import DataError, Place, setting_error
from sgdcore.io import notices as notice
from sgdcore.io import reading
from sgdcore.io.columns import quoted

EXTENSIONS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".parq": "parquet"}
PARTITION_BYTES = 64 << 20  # a CSV file is cut into byte ranges of this size: Dask's own default block size
LINE_END = re.compile(rb"\r\n|\r|\n")  # as sgdcore.io.reading counts the lines above a header
LINE_CHUNK_BYTES = 1 << 16  # read at a time while looking for the end of a line that does not end in "\n"


@dataclass(frozen=True)
class Piece:
    """One row partition: bytes ``[start, stop)`` of a CSV file, or row group ``start`` of a Parquet file.

    A CSV line belongs to the piece its first byte is in. ``first_row`` is the Parquet group's first row
    in its file (0-based). ``name`` is the path as messages show it.
    """

    path: str
    name: str
    format: str
    start: int
    stop: int
    first_row: int = 0
    header: bytes = b""
    encoding: str = "utf-8"
    delimiter: str = ","
    body: int = 0  # a CSV file's first byte below its header (and Excel's sep= line or title lines above it)
    line_end: bytes = b"\n"  # what ends a CSV file's lines: "\r" in a file an old Mac saved, which has no "\n"


def _files(path: str | os.PathLike) -> tuple[fsspec.AbstractFileSystem, list[str], str]:
    """The file system, the data files that ``path`` (a file, a folder or a glob) names, and their root."""
    text = os.fspath(path)
    fs, stripped = fsspec.core.url_to_fs(text)
    if any(character in stripped for character in "*?["):
        found, root = sorted(fs.glob(stripped)), stripped[:min(stripped.find(c) for c in "*?[" if c in stripped)]
        root = root.rsplit("/", 1)[0]
    elif fs.isdir(stripped):
        found, root = sorted(fs.find(stripped)), stripped
    elif fs.exists(stripped):
        found, root = [stripped], stripped.rsplit("/", 1)[0]
    else:
        raise DataError(f"No file or folder at {text!r}: give a CSV or Parquet file, a folder of them, or a glob "
                        "such as data/*.parquet.", "no_path", path=text)
    # Names starting with "_" or "." are what Spark, Dask and Hadoop write beside the data (_SUCCESS, _metadata,
    # .crc checksums), not rows.
    files = [name for name in found if PurePosixPath(name).suffix.lower() in EXTENSIONS
             and not PurePosixPath(name).name.startswith(("_", "."))]
    if not files:
        raise DataError(f"No CSV or Parquet files at {text!r} (looked for names ending in "
                        f"{', '.join(EXTENSIONS)}).", "no_data_files", path=text, extensions=tuple(EXTENSIONS))
    return fs, files, root


def _display_name(file: str, root: str) -> str:
    return file[len(root):].lstrip("/") if root and file.startswith(root) and file != root else PurePosixPath(file).name


def _csv_pieces(fs: fsspec.AbstractFileSystem, file: str, name: str, partition_bytes: int) -> tuple[
        list[Piece], list, tuple[Notice, ...]]:
    """A CSV file's byte ranges, its column names as its header writes them, and what an upload says of the lines
    above its header (Excel's ``sep=;``, title lines), which only the file's first piece holds."""
    with fs.open(file, "rb") as handle:
        head = handle.read(reading.SAMPLE_BYTES)
        while more := handle.read(reading.SAMPLE_BYTES):
            head += more
            if b"\n" in more or b"\r" in more:
                break
    head = reading._head(head)  # cut after a whole line, as an upload's sample is
    if not head.strip():
        raise DataError(f"{name}: the file is empty: it has no header row and no data. Every file needs the same "
                        "header row, then rows of numbers.", "empty_file", file=name)
    if reading.utf16_codec(head) is not None:  # its pieces' byte ranges would cut characters and line ends in two
        raise DataError(f"{name} is UTF-16 text (as Excel's Unicode Text saves it), which data in files cannot be read "
                        "in. Save it again as UTF-8 (in Excel: CSV UTF-8), then try again.", "utf16_in_files",
                        file=name)
    if head.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        try:
            head.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError as error:  # a multi-byte character cut at the end of the sample is still UTF-8
            whole_lines = head[:head.rfind(b"\n") + 1] or head  # no character cut at the end
            encoding = ("utf-8" if error.start >= len(head) - 3
                        else reading.encoding_not_utf8(lambda: [whole_lines]))
    text = head.decode(encoding, errors="replace")
    skip, named, above = reading._above_header(text)
    sample = reading._after_lines(text, skip)
    delimiter = named or reading._detect_delimiter(sample)
    columns = reading._header(sample, delimiter)
    try:
        reading._check_full_width(sample, delimiter)
        reading._check_header(columns)
        _check_header_below(head, encoding, delimiter, skip, len(columns))
    except DataError as error:
        raise DataError(f"{name}: {error}", error.problem, file=name, **error.fields) from None
    ends = [end.end() for end in itertools.islice(LINE_END.finditer(head), skip + 1)]
    header_start, body = (ends[skip - 1] if skip else 0), (ends[skip] if len(ends) > skip else len(head))
    size = fs.size(file)
    starts = range(0, max(size, 1), partition_bytes)
    line_end = b"\r" if b"\r" in head and b"\n" not in head else b"\n"  # the head ends on a whole line
    pieces = [Piece(fs.unstrip_protocol(file), name, "csv", start, min(start + partition_bytes, size),
                    header=head[header_start:body], encoding=encoding, delimiter=delimiter, body=body,
                    line_end=line_end)
              for start in starts]
    return pieces, [column.strip() for column in columns], above


def _check_header_below(head: bytes, encoding: str, delimiter: str, skip: int, width: int) -> None:
    """Refuse a file whose header seems to be below the line read as the header (under a title that an upload
    could not skip), as an upload is refused; any other row longer than the header is refused as its piece is
    read."""
    line, fields = reading._first_long_line(head, encoding, delimiter, width, skip)
    header_line = reading._header_below(head, encoding, delimiter, skip, line, fields) if fields > width else None
    if header_line is not None:
        raise reading.header_below_error(delimiter, header_line, width, line, fields)


def _parquet_pieces(fs: fsspec.AbstractFileSystem, file: str, name: str) -> tuple[list[Piece], list]:
    """A Parquet file's row groups, and its column names."""
    import pyarrow.parquet as pq

    try:
        with fs.open(file, "rb") as handle:
            metadata = pq.ParquetFile(handle).metadata
    except Exception as error:  # pyarrow's ArrowInvalid and OSError: not a Parquet file, or a damaged one
        raise DataError(f"{name}: cannot read it as a Parquet file ({error}).", "not_parquet", file=name,
                        reason=str(error)) from None
    first_rows = np.concatenate(([0], np.cumsum([metadata.row_group(i).num_rows
                                                 for i in range(metadata.num_row_groups)])))
    pieces = [Piece(fs.unstrip_protocol(file), name, "parquet", group, group + 1, int(first_rows[group]))
              for group in range(metadata.num_row_groups)]
    return pieces, [str(column) for column in metadata.schema.to_arrow_schema().names]


def _read_piece(piece: Piece, columns: Sequence[str] | None = None, text: Sequence[str] = ()) -> pd.DataFrame:
    """The rows of one piece as pandas reads them, before any cleaning; the CSV columns ``text`` as text, as
    written (``1.234,5``, and ``28.779``, which pandas would read as 28.779, a decimal).

    Raises
    ------
    DataError
        If a CSV line cannot be parsed (naming the file and the line) or is not in the file's encoding.
    """
    if piece.format == "parquet":
        import pyarrow.parquet as pq

        with fsspec.open(piece.path, "rb") as handle:
            table = pq.ParquetFile(handle).read_row_group(piece.start, columns=list(columns) if columns else None)
        return table.to_pandas()
    block, first_byte = _csv_block(piece)
    as_written = {name: str for name in reading._header(piece.header.decode(piece.encoding, errors="replace"),
                                                         piece.delimiter) if name.strip() in text}
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(io.BytesIO(piece.header + block), sep=piece.delimiter, encoding=piece.encoding,
                                engine="c", index_col=False, compression=None, dtype=as_written)
        except (pd.errors.ParserError, pd.errors.ParserWarning) as error:
            found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
            if found is None:
                raise DataError(f"{piece.name}: cannot read it as CSV: {str(error).strip()}.", "unreadable",
                                file=piece.name, reason=str(error).strip(), delimiter=piece.delimiter) from None
            line = _line_number(piece, first_byte, int(found[2]) - 2)
            raise DataError(
                f"{piece.name}, line {line}: {found[3]} fields, the header has {found[1]}. Check that line for an "
                f"extra {reading.DELIMITER_NAMES.get(piece.delimiter, 'delimiter')} (values that contain one must "
                'be in double quotes "like, this"), then try again.', "ragged_row", file=piece.name, line=line,
                fields=int(found[3]), header_fields=int(found[1]), delimiter=piece.delimiter,
            ) from None
        except UnicodeDecodeError as error:
            offset = max(error.start - len(piece.header), 0)
            line = _line_number(piece, first_byte, block[:offset].count(piece.line_end))
            encoding = notice.SHORT_ENCODING_NAMES.get(piece.encoding, piece.encoding.upper())
            raise DataError(f"{piece.name}, line {line}: not valid {encoding} text. Save every file "
                            "with the same encoding (UTF-8 is best), then try again.", "wrong_encoding",
                            file=piece.name, line=line, encoding=piece.encoding) from None
    frame.columns = [str(column).strip() for column in frame.columns]
    # Every column is parsed (pandas' usecols would let a line with an extra field pass unseen).
    return frame if columns is None else frame[list(columns)]


def _csv_block(piece: Piece) -> tuple[bytes, int]:
    """The whole lines that start in ``[start, stop)`` (the header and the lines above it excluded), and the byte
    where they start."""
    with fsspec.open(piece.path, "rb") as handle:
        first_byte = _seek_block(handle, piece)
        if first_byte >= piece.stop:
            return b"", first_byte
        block = handle.read(piece.stop - first_byte)
        if block and not block.endswith(piece.line_end):
            block += _rest_of_line(handle, piece.line_end)
    return block, first_byte


def _rest_of_line(handle: io.IOBase, line_end: bytes) -> bytes:
    """The bytes from ``handle``'s position to the next ``line_end``, included, or to the file's end; ``handle`` is
    left after them. A binary file's ``readline`` ends lines at "\n" alone."""
    if line_end == b"\n":
        return handle.readline()
    rest = b""
    while chunk := handle.read(LINE_CHUNK_BYTES):
        if (found := chunk.find(line_end)) >= 0:
            handle.seek(found + 1 - len(chunk), io.SEEK_CUR)
            return rest + chunk[:found + 1]
        rest += chunk
    return rest


def _line_number(piece: Piece, first_byte: int, below: int) -> int:
    """The line of the file (1 = the first) ``below`` lines below the first line of a CSV piece, which starts at
    byte ``first_byte``.

    Counted only when a message needs it: the lines before a piece are not known without reading them.
    """
    lines_before = 0
    with fsspec.open(piece.path, "rb") as handle:
        remaining = first_byte
        while remaining > 0 and (chunk := handle.read(min(remaining, reading.CHUNK_BYTES))):
            lines_before += chunk.count(piece.line_end)
            remaining -= len(chunk)
    return lines_before + 1 + below


def _where(piece: Piece, row: int) -> Place:
    """``data/a.csv, line 12`` or ``data/b.parquet, row 12`` for data row ``row`` (0-based) of ``piece``: for CSV,
    the line an upload names, blank lines skipped and a quoted value over several lines one row."""
    if piece.format == "parquet":
        return Place(piece.name, "row", piece.first_row + row + 1)
    block, first_byte = _csv_block(piece)
    line, _ = reading._records_of_rows(piece.header + block, piece.encoding, piece.delimiter, 0, {row})[row]
    return Place(piece.name, "line", _line_number(piece, first_byte, line - 2))  # line 1 is the header


def _seek_block(handle: io.IOBase, piece: Piece) -> int:
    """Move ``handle`` to the first line of a CSV piece, below the header, and return its byte."""
    if piece.start > piece.body:
        handle.seek(piece.start - 1)
        # the end of the line that started in the previous piece (just its line end if the line ended there)
        _rest_of_line(handle, piece.line_end)
    else:  # a piece that starts above the body (a header, or title lines, longer than a piece) starts at the body
        handle.seek(piece.body)
    return handle.tell()


# What an upload says of the lines above its header, by kind, made again to name the files it is said of
_SAID_OF_FILES = {"sep_line": notice.sep_line, "title_lines": notice.title_lines}


@dataclass(frozen=True)
class Source:
    """What :func:`inspect` finds at a path, before any data is read: enough to choose the target."""

    path: str
    format: str
    files: tuple[str, ...]
    columns: tuple[str, ...]
    pieces: tuple[Piece, ...]
    above: tuple[tuple[str, Notice], ...] = ()  # (file, notice) of the lines above a CSV file's header

    @property
    def n_partitions(self) -> int:
        return len(self.pieces)

    @property
    def notices(self) -> tuple[Notice, ...]:
        """Which CSV files were read in an encoding other than UTF-8, and which had Excel's ``sep=`` line or title
        lines above their header, as an upload says it of its file: files said alike in one notice."""
        by_encoding: dict[str, list[str]] = {}
        for piece in self.pieces:
            if piece.format == "csv" and piece.encoding not in ("utf-8", "utf-8-sig"):
                names = by_encoding.setdefault(piece.encoding, [])
                if piece.name not in names:  # a file is read in several pieces
                    names.append(piece.name)
        by_notice: dict[Notice, list[str]] = {}  # a Notice is its text: the same text, the same fields
        for name, said in self.above:
            by_notice.setdefault(said, []).append(name)
        return (*(notice.files_not_utf8(encoding, names) for encoding, names in by_encoding.items()),
                *(_SAID_OF_FILES[said.kind](**said.fields, files=names) for said, names in by_notice.items()))


def inspect(path: str | os.PathLike, partition_bytes: int = PARTITION_BYTES) -> Source:
    """The files at ``path``, their columns and their partitions, from the CSV headers or the Parquet
    metadata alone (on the client, no cluster needed): what a user interface shows before the target is chosen.

    Raises
    ------
    DataError
        No file at ``path``, both CSV and Parquet files, a file that cannot be read, or files whose columns
        differ.
    """
    if not (isinstance(partition_bytes, int) and partition_bytes >= 1):
        raise setting_error("partition_bytes", partition_bytes, "an integer ≥ 1", "integer_at_least", bound=1)
    fs, files, root = _files(path)
    formats = {EXTENSIONS[PurePosixPath(file).suffix.lower()] for file in files}
    if len(formats) > 1:
        raise DataError(f"{os.fspath(path)!r} holds both CSV and Parquet files: point at one kind only.",
                        "mixed_formats", path=os.fspath(path))
    pieces: list[Piece] = []
    columns = None
    names = []
    above: list[tuple[str, Notice]] = []
    for file in files:
        name = _display_name(file, root)
        names.append(name)
        if "csv" in formats:
            found, file_columns, said = _csv_pieces(fs, file, name, partition_bytes)
            above += [(name, one) for one in said]
        else:
            found, file_columns = _parquet_pieces(fs, file, name)
        if columns is None:
            columns, first_name = file_columns, name
        elif file_columns != columns:
            raise DataError(f"{name} has the columns {quoted(file_columns)}, but {first_name} has "
                            f"{quoted(columns)}: every file must have the same columns, in the same order.",
                            "different_columns", file=name, columns=list(file_columns), first_file=first_name,
                            first_columns=list(columns))
        pieces += found
    return Source(os.fspath(path), formats.pop(), tuple(names), tuple(columns), tuple(pieces), tuple(above))

"""The server's memory: its limit, what this process holds, what a dataset will need, and a cache bounded in bytes.

Every session of a Streamlit app runs in one Python process, so one student's two-million-row dataset is
everyone's memory. Before the dashboard makes anything large (a synthetic dataset, an upload's table, a
problem's split and closed form) it estimates the peak, and when that would not fit under the limit with
what the process holds now, it refuses with what would fit (in the page's language), and the data in use stays.
No widgets here: the pages call this, and the tests call it directly.

The limit is the tightest of the process's memory cgroup (v2 ``memory.max``, v1 ``memory.limit_in_bytes``, on
its own group and every parent: a container mounts its own group as the root, a host shows the whole tree)
and the machine's physical memory. What the process holds is the memory the kernel cannot take back from it: its
anonymous pages and shared memory, with those its child processes hold of their own (the kernel's compile on a
fresh server, Dask's local workers), which the limit counts too. Not its whole resident size: that counts the
pages of the libraries' files (150-170 MB here: NumPy, SciPy, pandas, Streamlit), which a cgroup at its limit
reclaims (and rereads) before it kills anything; counted, they made a server at 690 MB refuse data that fitted
and say "0.0 MB is free" with 175 MB free. Freed NumPy arrays of any size go back to the system at once (they are
mapped, not taken from the heap), so the figure falls when a large dataset is dropped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import io
import math
import os
import threading
import weakref
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sgdcore.io.reading import utf16_codec
from sgdcore.io.workbooks import workbook_kind
from ui.i18n import t

# Peak bytes per value of X and y (n_rows × (n_features + 1)), measured with tracemalloc (tests/test_memory.py
# checks them at small sizes): making a synthetic dataset peaks at 8.2-11.2 (12 for a single feature, whose
# row-wise temporaries weigh more), and it keeps 8-9; making its problem (split, standardised copies; XᵀX and the
# closed form work a block of rows at a time) adds 19.5-22 at its peak (28.8 for a single feature, whose split's
# order of rows weighs more) and keeps about 17. The problem is charged 32, ten above that: charged 22 a value and
# 16 a row, the load test at 2.7 GB (benchmarks/bench_load.py) was killed by the kernel in both its runs, which at 32
# it has not been. A sampler of the cgroup's memory.stat saw its page cache grow by 770 MB while the two browsers'
# 412 MB uploads arrived, then the resident set by 1 GB in 2 s as they were read: what arrives before the page can
# check is not in the budget's count of the process's own memory.
DATASET_BYTES_PER_VALUE = 13
DATASET_KEPT_BYTES_PER_VALUE = 9
PROBLEM_BYTES_PER_VALUE = 32
# Parsing an upload (sgdcore.io.read_table, pandas' C engine) peaks, above the bytes themselves, at 16 bytes a value
# (a column's arrays, twice while the parser joins its chunks) plus the bytes of its text again, which pandas keeps
# as strings. Resident size: 1,000,000 × 20 floats (392 MB) 16.0 a value; 10,000,000 × 4 one-digit numbers (80 MB)
# 16.0; 5,000,000 × 4 one-letter texts (40 MB) 9.9; 500,000 × 4 texts of 40 characters (84 MB) 16 a value and 1.1 a
# byte of text. A column of text with stretches of empty fields or numbers costs far more: the parser reads a file in
# chunks of rows, a chunk of such a stretch makes an array of numbers, and joining it to the chunks of text makes
# every value and every string a Python object. A notes column of 1,000,000 rows, its first half empty, its second
# of 52-character notes (30 MB): 184 MB, 62 a value and 4.7 a byte of text; empty but for one row: 78 a value; a
# column of 1,000,000 numbers whose last row is a word: 57 a value. Which chunks hold text the samples cannot say,
# so any column whose sampled fields mix text with empty fields or numbers is charged as mixed (the same column with
# a word in 1% of its rows, in every chunk: 20 a value measured, 90 charged). The figures below cover each
# (tests/test_memory.py measures them). A file's size alone cannot say it: 80 MB of one-digit numbers take 8 times
# their size, 392 MB of floats 0.82 times. A UTF-16 file (Excel's Unicode Text) peaks as the same table in UTF-8 does:
# pandas decodes it a chunk at a time (100,000 × 20 floats, 79 MB in UTF-16: 35.6 MB resident, and 34.3 MB from its
# 39 MB in UTF-8), so it is counted on its samples decoded to UTF-8. Counted on its own bytes, every field read as
# text (a digit, then a NUL byte), and the 35.6 MB were charged 128 MB.
PARSE_BYTES_PER_VALUE = 18
PARSE_BYTES_PER_TEXT_BYTE = 1.2
PARSE_BYTES_PER_MIXED_VALUE = 90
PARSE_BYTES_PER_MIXED_TEXT_BYTE = 5
# Reading a workbook's sheet (sgdcore.io.workbooks: calamine parses its cells, which become Python objects, then its
# columns) peaks at about 100 bytes a number and 155 a cell of text (resident size, openpyxl's files of 10 columns:
# floats 42 MB at 400,000 cells and 204 MB at 2,000,000, one-digit numbers 186 MB at 2,000,000, text of 13 characters
# 66 MB and 310 MB). The cells are counted on a sample of the sheet's XML (its first SHEET_SAMPLE_BYTES, unzipped), in
# the XML's whole size. An .xls or .xlsb file, binary, is charged as if every XLS_BYTES_PER_CELL of it were a cell of
# text, its records not being read: xlwt's files of 600,000 cells take 9 bytes a one-digit number, 20 a float and 16 a
# text of 22 characters, and peak at 70, 100 and 163 MB.
WORKBOOK_BYTES_PER_NUMBER = 120
WORKBOOK_BYTES_PER_TEXT = 200
WORKBOOK_FIXED_BYTES = 16_000_000
SHEET_SAMPLE_BYTES = 1 << 20
XLS_BYTES_PER_CELL = 10
# The lines counted for the file's length and read for its columns' kinds, at places spread over the whole file: its
# first lines need not resemble the rest (counting all of a 400 MB upload's lines takes 0.2 s).
UPLOAD_PLACES = 16
UPLOAD_COUNT_BYTES = 256 * 1024
UPLOAD_SAMPLE_BYTES = 16 * 1024
UPLOAD_HEADER_BYTES = 64 * 1024  # the header's line, which says the delimiter and the columns
UPLOAD_HELD_FACTOR = 2  # an upload's bytes and, parsing them, at least as much again (largest_upload)
# Kept free under the limit: the heap's fragments, Streamlit's messages, and the estimates' own error.
MARGIN_FRACTION = 0.1
# Never refused: the margin covers it, and the default data must not wait for someone's large build to end.
ALWAYS_FITS = 16_000_000
UNLIMITED = 1 << 62  # cgroup v1 writes "no limit" as a page-rounded 2⁶³ − 1


@dataclass(frozen=True)
class MemoryLimit:
    """The most memory this process may use, in bytes, and where that figure comes from."""

    bytes: int
    source: str


def _read_limit(path: Path) -> int | None:
    """A cgroup limit file as bytes; None when it is absent, unreadable or says there is no limit."""
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    if text == "max" or not text.isdigit() or int(text) >= UNLIMITED:
        return None
    return int(text)


def _group_and_parents(mount: Path, group: str) -> Iterator[Path]:
    """``mount/group`` and each parent folder up to ``mount`` itself."""
    parts = [part for part in group.strip("/").split("/") if part]
    for end in range(len(parts), -1, -1):
        yield mount.joinpath(*parts[:end])


def _physical_memory(root: Path) -> int:
    try:
        for line in (root / "proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def memory_limit(root: Path = Path("/")) -> MemoryLimit:
    """The tightest of the memory cgroup limits that apply to this process and the physical memory.

    ``root`` is the file system's root: the tests give a folder with fake ``proc`` and ``sys/fs/cgroup`` files.
    """
    try:
        lines = (root / "proc/self/cgroup").read_text().splitlines()
    except OSError:
        lines = []
    candidates: list[tuple[int, str]] = []
    for line in lines:
        _, controllers, group = line.split(":", 2)
        if controllers == "":  # cgroup v2: one hierarchy, memory.max in each group
            files = [folder / "memory.max" for folder in _group_and_parents(root / "sys/fs/cgroup", group)]
        elif "memory" in controllers.split(","):
            files = [folder / "memory.limit_in_bytes"
                     for folder in _group_and_parents(root / "sys/fs/cgroup/memory", group)]
        else:
            continue
        for file in files:
            limit = _read_limit(file)
            if limit is not None:
                candidates.append((limit, f"the memory cgroup ({file.relative_to(root)})"))
    candidates.append((_physical_memory(root), "the machine's physical memory"))
    limit, source = min(candidates)
    return MemoryLimit(limit, source)


def process_memory() -> int:
    """What this process holds now, in bytes: its own (:func:`held_size`) and what the processes it started hold."""
    return held_size() + descendants_memory()


def held_size() -> int:
    """This process's anonymous pages and shared memory now, in bytes (Linux ``/proc/self/status``: ``RssAnon`` and
    ``RssShmem``, not ``RssFile``, the files' pages the kernel can drop); its peak resident size elsewhere."""
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
        return 1024 * sum(int(fields[name].split()[0]) for name in ("RssAnon", "RssShmem"))
    except (OSError, KeyError, ValueError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def descendants_memory() -> int:
    """The memory the processes this one started (and theirs) hold of their own, in bytes (0 without ``/proc``)."""
    return sum(_private_bytes(pid) for pid in _descendants(str(os.getpid())))


def _descendants(pid: str) -> list[str]:
    """The processes started by ``pid`` and by them in turn (Linux ``/proc/<pid>/task/<tid>/children``)."""
    found, waiting = [], [pid]
    while waiting:
        try:
            tasks = list(Path(f"/proc/{waiting.pop()}/task").iterdir())
        except OSError:  # ended meanwhile
            continue
        for task in tasks:
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            found += children
            waiting += children
    return found


def _private_bytes(pid: str) -> int:
    """The memory process ``pid`` holds of its own: the private pages it has written (its heap and arrays), not the
    libraries' pages, shared with this process or clean (the kernel can drop them); 0 once it has ended."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    return 1024 * sum(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Private_Dirty:"))


def synthetic_peak(n_rows: int, n_features: int) -> int:
    """Peak bytes of making a synthetic dataset and then its problem: the dataset's own temporaries are gone by
    the time the problem is made, so the peak is the larger of making it and of what it keeps plus its problem."""
    per_value = max(DATASET_BYTES_PER_VALUE, DATASET_KEPT_BYTES_PER_VALUE + PROBLEM_BYTES_PER_VALUE)
    return per_value * n_rows * (n_features + 1)


def problem_peak(n_rows: int, n_features: int) -> int:
    """Peak bytes of making the problem of a dataset that is already in memory."""
    return PROBLEM_BYTES_PER_VALUE * n_rows * (n_features + 1)


def upload_peak(content: bytes) -> int:
    """Peak bytes of parsing the CSV file ``content``, over the bytes themselves: by its values (its lines times
    the fields of its header) and the bytes of its text, each at the cost of its column's kind (numbers, text, or
    text mixed with empty fields or numbers), read at places spread over the file (a UTF-16 file's decoded to
    UTF-8); an estimate, whose error the budget's margin covers. A workbook is charged by :func:`workbook_peak`."""
    if workbook_kind(content[:UPLOAD_HEADER_BYTES]) is not None:
        return workbook_peak(content)
    codec = utf16_codec(content)
    as_utf8 = (lambda part: part) if codec is None else (lambda part: part.decode(codec, errors="replace").encode())
    header = _header_line(as_utf8(content[:UPLOAD_HEADER_BYTES]).splitlines())
    delimiter = max((b",", b";", b"\t", b"|"), key=header.count)
    spread = _spread(content, UPLOAD_COUNT_BYTES)
    counted = [as_utf8(part) for part in spread]
    newlines = sum(part.count(b"\n") for part in counted)
    line_ends = newlines or sum(part.count(b"\r") for part in counted)  # a line may end in a carriage return alone
    rows = math.ceil(line_ends * len(content) / max(1, sum(map(len, spread)))) + 1
    text_bytes = len(content) * sum(map(len, counted)) / max(1, sum(map(len, spread)))  # its size in UTF-8
    # Whole lines only: each place's first line may be cut (the file's first is its header), and its last but the
    # file's own (a total's row at the end is text in a column of numbers).
    places = [as_utf8(part) for part in _spread(content, UPLOAD_SAMPLE_BYTES)]
    lines = [line for part in places[:-1] for line in part.splitlines()[1:-1]] + places[-1].splitlines()[1:]
    lines = lines or as_utf8(content[:UPLOAD_HEADER_BYTES]).splitlines()[1:]  # a file of one row, or of long lines
    n_columns = header.count(delimiter) + 1
    sampled = [line.split(delimiter, n_columns - 1) for line in lines]
    whole = [fields for fields in sampled if len(fields) == n_columns]
    columns = list(zip(*whole, strict=True)) or [()] * n_columns
    sampled_bytes = max(1, sum(map(len, lines)))
    per_value = text_share = 0.0
    for fields in columns:
        text = [field for field in fields if not _number(field)]
        mixed = _mixed(fields, len(text))
        per_value += PARSE_BYTES_PER_MIXED_VALUE if mixed else PARSE_BYTES_PER_VALUE
        per_text_byte = PARSE_BYTES_PER_MIXED_TEXT_BYTE if mixed else PARSE_BYTES_PER_TEXT_BYTE
        text_share += per_text_byte * sum(map(len, text)) / sampled_bytes
    return int(per_value * rows + text_share * text_bytes)


def workbook_peak(content: bytes) -> int:
    """Peak bytes of reading the largest sheet of the workbook ``content`` (:func:`sgdcore.io.workbooks.workbook_kind`
    says it is one), over the bytes themselves: its cells (:func:`workbook_cells`), each charged as a number or as
    text as the share of text cells says."""
    cells, text_share, strings = workbook_cells(content)
    per_cell = WORKBOOK_BYTES_PER_NUMBER + text_share * (WORKBOOK_BYTES_PER_TEXT - WORKBOOK_BYTES_PER_NUMBER)
    return int(WORKBOOK_FIXED_BYTES + per_cell * cells + 2 * strings)


def workbook_cells(content: bytes) -> tuple[int, float, int]:
    """About how many cells the largest sheet of the workbook ``content`` holds, counted on a sample of its XML, the
    share of them that hold text, and the bytes of its shared strings; a binary sheet (.xls, .xlsb), counted by its
    size, is taken for text."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = [member for member in archive.infolist() if member.filename == "content.xml"
                   or (member.filename.startswith("xl/worksheets/") and member.filename.endswith((".xml", ".bin")))]
    except zipfile.BadZipFile:  # an .xls: an OLE2 compound file
        members = []
    sheet = max(members, key=lambda member: member.file_size, default=None)
    if sheet is None or sheet.filename.endswith(".bin"):
        return (len(content) if sheet is None else sheet.file_size) // XLS_BYTES_PER_CELL + 1, 1.0, 0
    with archive.open(sheet) as stream:
        sample = stream.read(SHEET_SAMPLE_BYTES)
    ods = sheet.filename == "content.xml"
    cells = sample.count(b"<table:table-cell" if ods else b"<c ") + sample.count(b"<c>")
    texts = sample.count(b'office:value-type="string"') if ods else sum(
        sample.count(mark) for mark in (b't="s"', b't="inlineStr"', b't="str"'))
    strings = sum(member.file_size for member in archive.infolist() if member.filename == "xl/sharedStrings.xml")
    return max(1, math.ceil(cells * sheet.file_size / max(1, len(sample)))), texts / max(1, cells), strings


def _header_line(lines: list[bytes]) -> bytes:
    """The header among a file's first lines: the first with a delimiter that is not Excel's ``sep=;`` line, as
    sgdcore.io.reading skips that line and the title lines above a header; the first line if none is."""
    return next((line for line in lines if any(mark in line for mark in (b",", b";", b"\t", b"|"))
                 and not line.lstrip(b'\xef\xbb\xbf"').lower().startswith(b"sep=")), lines[0] if lines else b"")


def _mixed(fields: tuple[bytes, ...], texts: int) -> bool:
    """Whether a column's sampled fields, ``texts`` of them not numbers, mix text with empty fields or numbers, or
    are all empty (its text, if it has any, lies elsewhere): the parser's chunks of it then differ in kind (above)."""
    empty = sum(1 for field in fields if not field.strip(b' "'))
    return bool(fields) and (empty == len(fields) or 0 < texts < len(fields))


def _spread(content: bytes, size: int) -> list[bytes]:
    """``UPLOAD_PLACES`` slices of ``size`` bytes of ``content``, the first at its start, the last at its end and
    the others evenly between, each at an even byte (a UTF-16 file's characters are pairs of bytes from its start);
    ``content`` whole when they would cover it."""
    if len(content) <= size * UPLOAD_PLACES:
        return [content]
    starts = ((len(content) - size) * place // (UPLOAD_PLACES - 1) for place in range(UPLOAD_PLACES))
    return [content[start - start % 2:start - start % 2 + size] for start in starts]


def _number(field: bytes) -> bool:
    """Whether a field reads as a number (or is empty: a missing value is a number's place)."""
    try:
        float(field.strip(b' "') or b"0")
    except ValueError:
        return False
    return True


def dataset_from_table_peak(n_rows: int, n_features: int) -> int:
    """Peak bytes of the float matrix of a parsed table's chosen columns (one-hot columns count as features)."""
    return DATASET_BYTES_PER_VALUE * n_rows * (n_features + 1)


def largest_upload(room: Room, configured_mb: int) -> int:
    """The largest file, in MB (Streamlit's, of 2²⁰ bytes), the uploader should take with this ``room``: its bytes
    and then their parsing, which holds at least as much again (0.82 times a file of floats), with ``configured_mb``
    (``server.maxUploadSize``) the most. Streamlit holds an upload's bytes before the page can check anything, so a
    file above this could take the server past its limit on its own: 278 MB did at 690 MB, and the kernel ended every
    session. The browser refuses a larger file before sending it."""
    return max(1, min(configured_mb, int(room.free / UPLOAD_HELD_FACTOR) >> 20))


def size_text(n_bytes: float) -> str:
    """``2.7 GB``, ``350 MB``, ``1.6 MB``: decimal units, as Community Cloud states its limits (690 MB to 2.7 GB)."""
    if abs(n_bytes) >= 1e9:
        return f"{n_bytes / 1e9:.1f} GB"
    return f"{max(n_bytes, 0) / 1e6:,.{0 if n_bytes >= 1e7 else 1}f} MB"


class MemoryBudgetError(ValueError):
    """Refused: what was asked for would not fit in the server's memory now. A ``ValueError``, so that the
    pages treat it as any other bad setting: the message is shown and the previous data stays in use."""


@dataclass(frozen=True)
class Room:
    """What the process may still take: the limit, what it holds, what builds in progress have reserved."""

    limit: MemoryLimit
    in_use: int
    reserved: int

    @property
    def free(self) -> int:
        return int(self.limit.bytes * (1 - MARGIN_FRACTION)) - self.in_use - self.reserved

    def refusal(self, needed: int, what: str, per_unit: int | None = None) -> str:
        """The message that says why ``what`` (worded by the caller) does not fit and, with ``per_unit`` (the bytes
        of a row), how many rows would."""
        message = t("memory.refusal_reserved" if self.reserved else "memory.refusal", what=what,
                    limit=size_text(self.limit.bytes), busy=size_text(self.in_use + self.reserved),
                    needed=size_text(needed))
        if per_unit:
            fit = max(self.free, 0) // per_unit
            message += t("memory.rows_fit", rows=fit) if fit else t("memory.nothing_fits")
        elif self.free > 0:
            message += t("memory.free", free=size_text(self.free))
        else:
            message += t("memory.none_free", margin=MARGIN_FRACTION)
        return message + t("memory.try_later")


class MemoryBudget:
    """The process's budget: builds reserve their estimated peak while they run, so that two sessions starting
    large builds at the same moment do not both count on the same free memory."""

    def __init__(self, limit: Callable[[], MemoryLimit] = memory_limit,
                 in_use: Callable[[], int] = process_memory) -> None:
        self.limit = limit
        self.in_use = in_use
        self._reserved = 0
        self._lock = threading.Lock()
        self._releasers: list[Callable[[], None]] = []

    def room(self) -> Room:
        return Room(self.limit(), self.in_use(), self._reserved)

    def on_shortage(self, release: Callable[[], None]) -> None:
        """Call ``release`` (a cache's ``clear``) before refusing anything: what only a cache holds goes first."""
        self._releasers.append(release)

    @contextlib.contextmanager
    def reserve(self, needed: int, what: str, per_unit: int | None = None) -> Iterator[None]:
        """Hold ``needed`` bytes while the block runs; raise :class:`MemoryBudgetError` instead when they do not fit."""
        if needed <= ALWAYS_FITS:
            yield
            return
        with self._lock:
            room = self.room()
            if needed > room.free:
                for release in self._releasers:
                    release()
                # Streamlit's collection after every script run is off (.streamlit/config.toml): what only
                # reference cycles hold waits for Python's own collector, so it is collected here before anything
                # is refused.
                gc.collect()
                room = self.room()
            if needed > room.free:
                raise MemoryBudgetError(room.refusal(needed, what, per_unit))
            self._reserved += needed
        try:
            yield
        finally:
            with self._lock:
                self._reserved -= needed


BUDGET = MemoryBudget()


def array_bytes(value: Any, _seen: set[int] | None = None) -> int:
    """The bytes of every NumPy array inside ``value`` (dataclasses, tuples, lists, dicts), each counted once."""
    seen = set() if _seen is None else _seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        base = value if value.base is None or not isinstance(value.base, np.ndarray) else value.base
        return array_bytes(base, seen) if base is not value else value.nbytes
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(array_bytes(getattr(value, field.name), seen) for field in dataclasses.fields(value))
    if isinstance(value, (tuple, list)):
        return sum(array_bytes(item, seen) for item in value)
    if isinstance(value, dict):
        return sum(array_bytes(item, seen) for item in value.values())
    return 0


class ByteCache:
    """A least-recently-used cache bounded by the bytes of the arrays it holds, shared by every session.

    ``st.cache_resource`` bounds its entries by number only: eight problems of a million rows would hold
    gigabytes. This one drops the oldest entries past ``max_bytes``, and everything on :meth:`clear` (which
    the budget calls before it refuses anything). An entry a session still uses stays alive in that session
    and is found again through a weak reference, so dropping it never makes a second copy.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._alive: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    @property
    def nbytes(self) -> int:
        with self._lock:
            return sum(size for _, size in self._entries.values())

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._entries or key in self._alive

    def get(self, key: str) -> Any | None:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key][0]
            value = self._alive.get(key)
        if value is not None:
            self.put(key, value)
        return value

    def put(self, key: str, value: Any) -> None:
        size = array_bytes(value)
        with self._lock:
            self._entries[key] = (value, size)
            self._entries.move_to_end(key)
            with contextlib.suppress(TypeError):  # not every value can be weakly referenced
                self._alive[key] = value
            total = sum(size for _, size in self._entries.values())
            while total > self.max_bytes and len(self._entries) > 1:
                _, (_, dropped) = self._entries.popitem(last=False)
                total -= dropped

    def get_or_make(self, key: str, make: Callable[[], Any]) -> Any:
        """The cached value, or ``make()``'s, made once even when several sessions ask at the same moment."""
        value = self.get(key)
        if value is not None:
            return value
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        try:
            with building:
                value = self.get(key)
                if value is None:
                    value = make()
                    self.put(key, value)
        finally:
            with self._lock:
                self._building.pop(key, None)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

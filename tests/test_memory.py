"""The memory budget: reading the limit, the peak estimates against measured peaks, refusals, the byte-bounded
cache, letting go of an upload's bytes, and a refusal on the page that keeps the previous data."""

from __future__ import annotations

import gc
import importlib
import inspect
import os
import subprocess
import sys
import threading
import tracemalloc
import weakref
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sgdcore
from sgdcore.io import dataset_from_frame, read_table
from ui import memory
from ui.memory import ByteCache, MemoryBudget, MemoryBudgetError, MemoryLimit, memory_limit

GIB = 1 << 30


def fake_root(tmp_path: Path, proc_cgroup: str, files: dict[str, str], mem_total_kib: int = 16 * 1024 * 1024) -> Path:
    """A folder standing for ``/``: ``proc/self/cgroup``, ``proc/meminfo`` and the cgroup files given."""
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/cgroup").write_text(proc_cgroup)
    (tmp_path / "proc/meminfo").write_text(f"MemTotal:       {mem_total_kib} kB\nMemFree:  1 kB\n")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_cgroup_v2_limit_of_the_process_group(tmp_path: Path) -> None:
    root = fake_root(tmp_path, "0::/apps/dashboard\n", {
        "sys/fs/cgroup/apps/dashboard/memory.max": f"{2700 * 1024 * 1024}\n",
        "sys/fs/cgroup/apps/memory.max": "max\n",
    })
    limit = memory_limit(root)
    assert limit.bytes == 2700 * 1024 * 1024
    assert "sys/fs/cgroup/apps/dashboard/memory.max" in limit.source


def test_cgroup_v2_without_a_limit_falls_back_to_physical_memory(tmp_path: Path) -> None:
    root = fake_root(tmp_path, "0::/user.slice\n", {"sys/fs/cgroup/user.slice/memory.max": "max\n"},
                     mem_total_kib=4 * 1024 * 1024)
    assert memory_limit(root) == MemoryLimit(4 * GIB, "the machine's physical memory")


def test_cgroup_v1_takes_the_tightest_of_the_group_and_its_parents(tmp_path: Path) -> None:
    root = fake_root(tmp_path, "5:cpu,cpuacct:/\n4:memory:/outer/inner\n0::/\n", {
        "sys/fs/cgroup/memory/outer/inner/memory.limit_in_bytes": str(3 * GIB),
        "sys/fs/cgroup/memory/outer/memory.limit_in_bytes": str(GIB),
        "sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712",  # v1's "no limit"
    })
    limit = memory_limit(root)
    assert limit.bytes == GIB and "outer/memory.limit_in_bytes" in limit.source


def test_in_a_container_the_own_group_is_mounted_as_the_root(tmp_path: Path) -> None:
    # /proc/self/cgroup names the host's path, which does not exist inside; the limit sits at the mount's root.
    root = fake_root(tmp_path, "4:memory:/docker/0123abcd\n", {
        "sys/fs/cgroup/memory/memory.limit_in_bytes": str(690 * 1000 * 1000),
    })
    assert memory_limit(root).bytes == 690 * 1000 * 1000


def test_a_limit_above_the_physical_memory_is_the_physical_memory(tmp_path: Path) -> None:
    root = fake_root(tmp_path, "0::/\n", {"sys/fs/cgroup/memory.max": str(64 * GIB)}, mem_total_kib=2 * 1024 * 1024)
    assert memory_limit(root).bytes == 2 * GIB


def test_no_proc_files_still_gives_the_physical_memory(tmp_path: Path) -> None:
    limit = memory_limit(tmp_path)
    assert limit.source == "the machine's physical memory" and limit.bytes > 100_000_000


def test_this_process_holds_some_memory_and_a_large_array_shows() -> None:
    # This process's own: what its children hold changes as they start and end (tests/browser's server, a compile)
    before = memory.held_size()
    array = np.ones(50_000_000 // 8)  # 50 MB, touched
    assert memory.held_size() - before > 40_000_000
    del array


def test_a_file_s_pages_in_memory_are_not_held_the_kernel_drops_them_at_the_limit(tmp_path: Path) -> None:
    """The libraries' files in memory (150-170 MB of a server's resident size) were counted as held: at 690 MB the
    page said "701 MB is in use ... 0.0 MB is free" where the cgroup charged 549 MB and 175 MB were free."""
    import mmap

    path = tmp_path / "library.bin"
    path.write_bytes(b"\1" * 100_000_000)
    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        with open("/proc/self/statm") as statm:
            resident_before = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        held_before = memory.held_size()
        assert sum(mapped[i] for i in range(0, len(mapped), 4096)) > 0  # every page read, as code is
        with open("/proc/self/statm") as statm:
            resident_after = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        assert resident_after - resident_before > 90_000_000
        assert memory.held_size() - held_before < 10_000_000


def test_the_uploader_takes_no_file_whose_bytes_and_reading_would_not_fit() -> None:
    """Streamlit holds an upload's bytes before the page checks anything: a 278 MB file under the 500 MB setting
    took a server at 690 MB past its limit, and the kernel ended every session."""
    limit = MemoryLimit(int(724e6), "test")
    room = memory.Room(limit, in_use=400_000_000, reserved=0)  # an idle server: about 250 MB free
    largest = memory.largest_upload(room, 500)
    assert largest << 20 <= room.free / 2 < (largest + 1) << 20
    assert 100 < largest < 278
    assert memory.largest_upload(memory.Room(MemoryLimit(int(2.7e9), "test"), 400_000_000, 0), 500) == 500
    assert memory.largest_upload(memory.Room(limit, in_use=700_000_000, reserved=0), 500) == 1


def test_a_refusal_with_nothing_free_says_so_and_why() -> None:
    room = memory.Room(MemoryLimit(int(724e6), "test"), in_use=701_000_000, reserved=0)
    message = room.refusal(144_000_000, "a 150 MB file")
    assert "0.0 MB is free" not in message and "none is free: a tenth of the memory, 10%, is kept in reserve" in message


# A child that starts a grandchild holding 100 MB, touched, as the server's kernel compile and Dask's local workers
# are its children: each says its process id once ready, and ends when its input closes.
GRANDCHILD = "import sys; held = b'x' * 100_000_000; print(1, flush=True); sys.stdin.read()"
CHILD = ("import subprocess, sys; grandchild = subprocess.Popen([sys.executable, '-c', sys.argv[1]], "
         "stdin=subprocess.PIPE, stdout=subprocess.PIPE); grandchild.stdout.readline(); "
         "print(grandchild.pid, flush=True); sys.stdin.read(); grandchild.stdin.close(); grandchild.wait()")


def test_what_the_processes_this_one_started_hold_of_their_own_counts_as_held() -> None:
    # A container's limit counts every process in it: the budget must see a grandchild's 100 MB, and not once
    # it has ended. Only its own pages: the libraries it shares with this process are counted once, here.
    child = subprocess.Popen([sys.executable, "-c", CHILD, GRANDCHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        grandchild = child.stdout.readline().strip()
        descendants = memory._descendants(str(os.getpid()))
        assert str(child.pid) in descendants and grandchild in descendants, (child.pid, grandchild, descendants)
        assert memory._private_bytes(grandchild) > 100_000_000
        assert memory.descendants_memory() > 100_000_000  # the grandchild's and the child's own
        assert memory.process_memory() > memory.held_size() + 100_000_000
    finally:
        child.stdin.close()
        child.wait(timeout=30)
    assert grandchild not in memory._descendants(str(os.getpid()))
    assert memory._private_bytes(grandchild) == 0


def traced_peak(make):
    """(what ``make()`` returned, its tracemalloc peak above what was held when it started)."""
    gc.collect()
    tracemalloc.start()
    start, _ = tracemalloc.get_traced_memory()
    try:
        result = make()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak - start


@pytest.mark.parametrize(("n_rows", "n_features"), [(50_000, 20), (20_000, 100), (200_000, 5), (100_000, 1)])
def test_the_estimates_cover_the_measured_peaks_without_doubling_them(n_rows: int, n_features: int) -> None:
    weights = tuple(np.linspace(-2, 2, n_features))
    # Imported at the first closed form (scikit-learn): outside the trace, or the import's memory counts as the peak.
    sgdcore.make_problem(sgdcore.synthetic(50), standardize=True, test_fraction=0.2, seed=0)
    data, dataset_peak = traced_peak(lambda: sgdcore.synthetic(n_rows, weights, 1.0, 0.1, 0))
    _, problem_peak = traced_peak(lambda: sgdcore.make_problem(data, standardize=True, test_fraction=0.2, seed=0))
    dataset_estimate = memory.DATASET_BYTES_PER_VALUE * n_rows * (n_features + 1)
    assert dataset_estimate / 2 < dataset_peak <= dataset_estimate
    assert memory.problem_peak(n_rows, n_features) / 2 < problem_peak <= memory.problem_peak(n_rows, n_features)
    kept = memory.array_bytes(data)
    assert kept <= memory.DATASET_KEPT_BYTES_PER_VALUE * n_rows * (n_features + 1)
    assert memory.synthetic_peak(n_rows, n_features) >= max(dataset_peak, kept + problem_peak)

    frame = pd.DataFrame(data.X, columns=data.feature_names).assign(y=data.y)
    content = frame.to_csv(index=False).encode()
    table, parse_peak = traced_peak(lambda: read_table(content, name="data.csv"))
    assert parse_peak <= memory.upload_peak(content)  # tracemalloc misses the parser's buffers: see the test below
    features = list(data.feature_names)
    _, matrix_peak = traced_peak(lambda: dataset_from_frame(table.frame, "y", features))
    assert matrix_peak <= memory.dataset_from_table_peak(n_rows, n_features)


# How a parse's peak is measured: the growth of the resident size's high-water mark (VmHWM: getrusage's would start
# at pytest's own size, which a new interpreter inherits through fork) in a new interpreter, the file's bytes already
# read (ui.memory counts the peak over them), pandas and sgdcore.io already imported.
RESIDENT_PEAK = """
import re, sys
from sgdcore.io import read_table
def high_water():
    return 1024 * int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
content = open(sys.argv[1], "rb").read()
before = high_water()
read_table(content)
print(high_water() - before)
"""


def _shapes(rows: int) -> dict[str, Callable[[], pd.DataFrame]]:
    rng = np.random.default_rng(0)
    note = "measured again after a power cut in the lab, see log"
    return {
        "floats": lambda: pd.DataFrame(rng.normal(size=(rows // 10, 20))).add_prefix("x"),  # 19 characters each
        "one-digit numbers": lambda: pd.DataFrame(rng.integers(0, 9, size=(rows, 4))).add_prefix("x"),
        "one-letter texts": lambda: pd.DataFrame(rng.choice(list("abc"), size=(rows, 4))).add_prefix("x"),
        "texts of 40 characters": lambda: pd.DataFrame(rng.choice(["forty characters of text in this column.",
                                                                   "another forty, with a comma in the text"],
                                                                  (rows // 4, 4))),
        "Chinese in GBK": lambda: pd.DataFrame({"城市": rng.choice(["北京", "上海"], rows // 2),
                                                "面积": rng.normal(size=rows // 2).round(1),
                                                "价格": rng.integers(0, 99, rows // 2)}),
        # Excel's Unicode Text: UTF-16 with a byte-order mark, tab-separated, each character two bytes
        "floats in UTF-16": lambda: pd.DataFrame(rng.normal(size=(rows // 10, 20))).add_prefix("x"),
        "Chinese in UTF-16": lambda: pd.DataFrame({"城市": rng.choice(["北京", "上海"], rows // 2),
                                                   "面积": rng.normal(size=rows // 2).round(1),
                                                   "价格": rng.integers(0, 99, rows // 2)}),
        # A file's first lines need not resemble the rest: measurements logged at full precision, then as digits;
        # a notes column filled in only from the middle on; a total's row, in words, at the end.
        "long lines, then short ones": lambda: pd.concat([pd.DataFrame(rng.normal(size=(rows // 16, 4))),
                                                          pd.DataFrame(rng.integers(0, 9, size=(rows, 4)))]),
        "notes from the middle on": lambda: pd.DataFrame({"x": rng.integers(0, 9, rows // 2),
                                                          "note": [""] * (rows // 4) + [note] * (rows // 4)}),
        "numbers, then a total in words": lambda: pd.DataFrame({
            "x": rng.normal(size=rows // 2).round(2),
            "price": [*rng.normal(size=rows // 2 - 1).round(2), "total: see the next sheet"]}),
    }


# How a shape is written when not as pandas writes a CSV (UTF-8, commas)
UNICODE_TEXT = {"encoding": "utf-16", "sep": "\t", "lineterminator": "\r\n"}  # Excel's, with a byte-order mark
WRITTEN = {"Chinese in GBK": {"encoding": "gbk"}, "floats in UTF-16": UNICODE_TEXT, "Chinese in UTF-16": UNICODE_TEXT}


@pytest.mark.parametrize("shape", list(_shapes(10)))
def test_an_upload_s_estimated_peak_covers_its_measured_peak_whatever_it_holds(shape: str, tmp_path: Path) -> None:
    """Numbers of one digit take 8 times their file's size to parse, full-precision floats less than it, a column of
    text with empty stretches 6 times: the estimate counts values and text by their columns' kinds, read all along
    the file, and covers the peak measured for each kind of file without doubling it much."""
    frame = _shapes(2_000_000)[shape]()
    path = tmp_path / "upload.csv"
    frame.to_csv(path, index=False, **WRITTEN.get(shape, {}))
    run = subprocess.run([sys.executable, "-c", RESIDENT_PEAK, str(path)], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], check=True)
    peak, estimate = int(run.stdout), memory.upload_peak(path.read_bytes())
    assert peak <= estimate <= 2.5 * peak, (shape, peak / 1e6, estimate / 1e6)


@pytest.mark.parametrize("shape", ["floats in UTF-16", "Chinese in UTF-16"])
def test_a_utf16_upload_is_charged_as_the_same_table_in_utf8(shape: str) -> None:
    """pandas decodes UTF-16 a chunk at a time, and peaks as on the same table in UTF-8 (measured above): the
    estimate reads the fields of its samples decoded, not their bytes (a digit, then a NUL), which it took for text."""
    frame = _shapes(200_000)[shape]()
    utf16 = frame.to_csv(index=False, **WRITTEN[shape]).encode("utf-16")  # to_csv returns text: encoded here
    utf8 = frame.to_csv(index=False, sep="\t", lineterminator="\r\n").encode()
    assert utf16.startswith(b"\xff\xfe") and len(utf16) > 1.4 * len(utf8)
    assert memory.upload_peak(utf16) == pytest.approx(memory.upload_peak(utf8), rel=0.02)


class Fixed:
    """A budget's limit and use, set by the test."""

    def __init__(self, limit: int, in_use: int) -> None:
        self.limit_bytes, self.in_use_bytes = limit, in_use

    def budget(self) -> MemoryBudget:
        return MemoryBudget(lambda: MemoryLimit(self.limit_bytes, "test"), lambda: self.in_use_bytes)


def test_a_refusal_says_what_the_server_has_what_is_in_use_and_what_fits() -> None:
    budget = Fixed(limit=3_000_000_000, in_use=1_900_000_000).budget()
    per_row = memory.synthetic_peak(1, 20)  # 861 bytes
    with pytest.raises(MemoryBudgetError) as refused, budget.reserve(per_row * 2_000_000, "2,000,000 rows",
                                                                     per_unit=per_row):
        pytest.fail("reserved what does not fit")
    # 90% of 3.0 GB is 2.7 GB; 0.8 GB of it is free: 929,152 rows of 861 bytes.
    assert str(refused.value) == (
        "Not enough memory for 2,000,000 rows: this server has 3.0 GB and 1.9 GB is in use; this needs about 1.7 GB:"
        " at most 929,152 rows fit now. Try something smaller, or again when others have finished.")
    with budget.reserve(per_row * 800_000, "800,000 rows", per_unit=per_row):
        pass  # fits


def test_a_refusal_is_said_in_the_page_s_language_with_the_same_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ui.i18n.language", lambda: "zh-CN")
    room = Fixed(limit=3_000_000_000, in_use=1_900_000_000).budget().room()
    assert room.refusal(1_700_000_000, "2,000,000 行", per_unit=861) == (
        "内存不足（2,000,000 行）：本服务器共有 3.0 GB，已使用 1.9 GB；此操作约需 1.7 GB：目前最多能容纳 929,152 行。"
        "请换用更小的规模，或等其他人完成后再试。")
    assert room.refusal(1_700_000_000, "x").endswith("，尚有 800 MB 空闲。请换用更小的规模，或等其他人完成后再试。")


def test_a_build_in_progress_holds_its_memory_for_the_others() -> None:
    budget = Fixed(limit=2_000_000_000, in_use=500_000_000).budget()
    with budget.reserve(1_000_000_000, "the first"):
        assert budget.room().reserved == 1_000_000_000
        with pytest.raises(MemoryBudgetError, match=r"1\.5 GB is in use"), budget.reserve(500_000_000, "the second"):
            pass
    assert budget.room().reserved == 0
    with budget.reserve(1_000_000_000, "the second, once the first is done"):
        pass


def test_before_refusing_the_budget_empties_the_caches_and_looks_again() -> None:
    use = Fixed(limit=2_000_000_000, in_use=1_700_000_000)
    budget = use.budget()
    cleared = []

    def clear() -> None:
        cleared.append(True)
        use.in_use_bytes = 300_000_000  # what only the cache held is gone

    budget.on_shortage(clear)
    with budget.reserve(1_000_000_000, "this"):
        pass
    assert cleared == [True]


def test_before_refusing_the_budget_collects_the_garbage_of_reference_cycles() -> None:
    # Streamlit's collection after each script run is off (.streamlit/config.toml): what only a reference cycle
    # still holds is memory in use until a collection, which the budget makes itself before it refuses.
    class Session:
        pass

    ended = Session()
    ended.itself, ended.data = ended, np.zeros(10)
    alive = weakref.ref(ended)
    del ended
    budget = MemoryBudget(lambda: MemoryLimit(2_000_000_000, "test"),
                          lambda: 1_700_000_000 if alive() is not None else 300_000_000)
    gc.disable()  # no collection but the budget's
    try:
        with budget.reserve(1_000_000_000, "this"):
            pass
    finally:
        gc.enable()
    assert alive() is None


def test_the_cache_drops_its_oldest_entries_past_its_bytes() -> None:
    cache = ByteCache(max_bytes=3_000)
    cache.put("a", np.zeros(125))  # 1,000 bytes each
    cache.put("b", np.zeros(125))
    cache.get("a")  # a is now the most recent
    cache.put("c", np.zeros(250))  # 2,000 bytes: 4,000 in all, so b (the oldest) goes
    assert cache.nbytes == 3_000
    gc.collect()
    assert "b" not in cache and "a" in cache and "c" in cache


def test_an_entry_a_session_still_holds_is_found_again_after_it_was_dropped() -> None:
    cache = ByteCache(max_bytes=1_000)
    held = sgdcore.synthetic(50, (1.0,), 0.0, 0.1, 0)  # a Dataset: 800 bytes of arrays
    cache.put("held", held)
    cache.clear()
    assert cache.nbytes == 0 and cache.get("held") is held  # no second copy
    del held
    cache.clear()
    gc.collect()
    assert cache.get("held") is None


def test_the_cache_makes_a_value_once_when_sessions_ask_at_the_same_moment() -> None:
    cache = ByteCache(max_bytes=1 << 20)
    made = []
    gate = threading.Event()

    def make() -> np.ndarray:
        gate.wait(5)
        made.append(1)
        return np.zeros(10)

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_make("k", make))) for _ in range(4)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join()
    assert made == [1] and all(result is results[0] for result in results)


def test_array_bytes_counts_a_problems_arrays_once() -> None:
    data = sgdcore.synthetic(1000, (1.0, 2.0), 0.0, 0.1, 0)
    expected = data.X.nbytes + data.y.nbytes + data.true_weights.nbytes
    assert memory.array_bytes(data) == expected
    assert memory.array_bytes((data, data, {"again": data.X[:10]})) == expected


# The private Streamlit names release_upload relies on: if a Streamlit release changes them, this fails.
def test_the_streamlit_internals_that_release_an_upload_are_still_there(monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit.runtime.scriptrunner as scriptrunner
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.scriptrunner import ScriptRunContext, get_script_run_ctx  # noqa: F401
    from streamlit.runtime.uploaded_file_manager import UploadedFileRec

    from ui.uploads import release_upload

    names = {field.name for field in fields(ScriptRunContext)}
    assert {"session_id", "uploaded_file_mgr"} <= names
    assert list(inspect.signature(MemoryUploadedFileManager.remove_file).parameters) == [
        "self", "session_id", "file_id"]
    # The server keeps uploads in this manager (streamlit.web.server builds one); its protocol has no remove_file.
    server_source = inspect.getsource(importlib.import_module("streamlit.web.server.server"))
    assert "MemoryUploadedFileManager(" in server_source

    manager = MemoryUploadedFileManager("/_stcore/upload_file")
    manager.add_file("session-1", UploadedFileRec("file-1", "big.csv", "text/csv", b"x,y\n1,2\n"))

    class Context:
        session_id = "session-1"
        uploaded_file_mgr = manager

    monkeypatch.setattr(scriptrunner, "get_script_run_ctx", lambda: Context())
    assert manager.get_files("session-1", ["file-1"])
    assert release_upload("file-1")
    assert manager.get_files("session-1", ["file-1"]) == []


def test_an_upload_that_would_not_fit_is_refused_with_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import uploads

    monkeypatch.setattr(uploads, "BUDGET", Fixed(limit=1_000_000_000, in_use=890_000_000).budget())
    content = b"x1,y\n" + b"1.5,2.5\n" * 2_500_000  # 20 MB, 5,000,000 values: parsing needs 90 MB, 10 MB is free
    parsed = uploads.parse_upload(content, "big.csv", "file-1")
    assert parsed["name"] == "big.csv"
    assert str(parsed["error"]).startswith("Not enough memory for reading this 20 MB file: this server has 1.0 GB and "
                                      "890 MB is in use; this needs about 90 MB, and 10 MB is free.")


def test_something_small_is_never_refused_even_while_a_large_build_holds_the_rest() -> None:
    budget = Fixed(limit=2_000_000_000, in_use=500_000_000).budget()
    with budget.reserve(1_300_000_000, "a large build"):
        assert budget.room().free == 0
        with budget.reserve(memory.ALWAYS_FITS, "the default data"):
            pass
        with pytest.raises(MemoryBudgetError), budget.reserve(memory.ALWAYS_FITS + 1, "a little more"):
            pass


def test_the_page_refuses_data_that_does_not_fit_and_keeps_the_previous_data(monkeypatch: pytest.MonkeyPatch) -> None:
    from test_app_pages import app, button, comparison_table, no_exceptions

    from ui import datasets

    at = app()  # the default data, made while memory is plentiful
    in_use = memory.process_memory()
    # A server with 200 MB free: 1,000,000 rows × 5 features need about 246 MB. What the process holds is held
    # at this run's figure: in the whole suite, memory freed between two runs of the page (garbage of earlier
    # tests) would make room for the data on the next run.
    budget = MemoryBudget(lambda: MemoryLimit(int((in_use + 200_000_000) / 0.9), "test"), lambda: in_use)
    monkeypatch.setattr(datasets, "BUDGET", budget)
    at.session_state["n_rows"] = 1_000_000
    at.session_state["true_weights"] = "1, 2, 3, 4, 5"
    at.run()
    no_exceptions(at)
    message = at.warning[0].value
    assert message.startswith("Not enough memory for 1,000,000 rows × 5 features: this server has "), message
    assert "this needs about 246 MB: at most " in message and " rows fit now." in message, message
    assert "Still using the previous data: synthetic data, 1,000 rows" in message, message
    fit = int(message.split("at most ")[1].split(" rows")[0].replace(",", ""))
    assert 400_000 < fit < 850_000, message  # 200 MB free, at about 246 B a row
    button(at, "Train").click().run()
    assert at.success[0].value.startswith("Finished")
    assert list(comparison_table(at).index) == ["x1", "x2", "bias"]
    # nothing was made (other tests' data of a million rows may be in the process's cache)
    assert "synthetic:1000000:(1.0, 2.0, 3.0, 4.0, 5.0)" not in " ".join(datasets.DATA_CACHE._entries)


def test_the_data_page_s_uploader_takes_what_fits_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    from test_app_pages import app, no_exceptions, open_page

    from ui import uploads

    in_use = memory.process_memory()
    budget = MemoryBudget(lambda: MemoryLimit(int((in_use + 300_000_000) / 0.9), "test"), lambda: in_use)
    monkeypatch.setattr(uploads, "BUDGET", budget)
    at = open_page(app(), "data")
    no_exceptions(at)
    uploader, = at.get("file_uploader")
    assert uploader.proto.max_upload_size_mb == 300_000_000 // 2 >> 20  # 143 MB: its bytes, then as much again
    assert any("files up to 143 MB fit" in caption.value for caption in at.main.caption), at.main.caption


def test_the_uploader_s_limit_holds_through_a_visit_and_follows_the_memory_from_one_visit_to_the_next(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Another session takes memory while a student is on the Data page: the uploader keeps its limit (Streamlit
    would drop a file arriving in an uploader whose limit changed); the student's next visit is told what fits now.
    A limit taken once for the process, at any session's first visit, would leave a class whose first visitor came
    while another held large data a few MB for as long as the server ran."""
    from test_app_pages import app, no_exceptions, open_page

    from ui import uploads

    in_use = memory.process_memory()
    free = [300_000_000]
    budget = MemoryBudget(lambda: MemoryLimit(int((in_use + free[0]) / 0.9), "test"), lambda: in_use)
    monkeypatch.setattr(uploads, "BUDGET", budget)

    def limit(at) -> int:
        no_exceptions(at)
        uploader, = at.get("file_uploader")
        return uploader.proto.max_upload_size_mb

    at = open_page(app(), "data")
    assert limit(at) == 300_000_000 // 2 >> 20
    free[0] = 20_000_000  # another session made data
    at.radio(key="keep_data_page_source").set_value("upload").run()  # a rerun inside the visit: the uploader stays
    assert limit(at) == 300_000_000 // 2 >> 20
    assert limit(open_page(open_page(at, "train"), "data")) == 20_000_000 // 2 >> 20
    assert any("files up to 9 MB fit" in caption.value for caption in at.main.caption), at.main.caption
    free[0] = 600_000_000  # and gave it back
    assert limit(open_page(open_page(at, "momentum"), "data")) == 600_000_000 // 2 >> 20


def test_data_that_does_not_fit_is_tried_once_a_run_and_said_alike_in_the_sidebar_and_on_the_page(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The sidebar and the page each asked for the data: it was tried twice, and refused twice with two counts of
    the rows that fit ("593,128" and "593,085"), as what the process held moved between the two."""
    from test_app_pages import app, no_exceptions

    from ui import datasets

    at = app()
    asked = []
    in_use = memory.process_memory()

    def held() -> int:  # a little more at each question, as a busy server's memory moves
        asked.append(1)
        return in_use + 1_000_000 * len(asked)

    budget = MemoryBudget(lambda: MemoryLimit(int((in_use + 200_000_000) / 0.9), "test"), held)
    monkeypatch.setattr(datasets, "BUDGET", budget)
    at.session_state["n_rows"] = 1_000_000
    at.session_state["true_weights"] = "1, 2, 3, 4, 5"
    at.run()
    no_exceptions(at)
    page, sidebar = at.main.warning[0].value, at.sidebar.error[0].value
    assert "rows fit now" in page and page.split(" rows fit now")[0] == sidebar.split(" rows fit now")[0]

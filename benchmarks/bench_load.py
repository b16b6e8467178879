"""A class on one server: heavy sessions ask for the most data at once while a light one trains, in a memory cgroup.

    python benchmarks/bench_load.py              # as root: 2 browsers + 2 socket sessions, 2,000,000 × 20 and a
                                                 # 1,000,000 × 20 CSV (about 400 MB) each, under 2.7 GB
    python benchmarks/bench_load.py --quick      # the test suite's version: a 200,000-row CSV, one socket session

The dashboard runs under ``streamlit run`` inside a memory cgroup of ``--limit-mb`` (2,700 MiB: Streamlit Community
Cloud's largest app), made here under ``/sys/fs/cgroup`` (v1 or v2; root is needed), so the kernel kills the server
past the limit as Cloud would. Then, at the same time:

- ``--browsers`` heavy sessions, each in its own headless Chromium: open the app asking for the largest synthetic
  data (2,000,000 rows × 20 features, a seed of their own, so nothing is shared), upload a large CSV on the Data
  page, use it, and train. Their Chromiums draw on CPU time the server and the light session leave over (a CPU
  cgroup with ``cpu.idle``; ``--clients-beside``: at the same priority), as on Community Cloud they draw on the
  students' own machines;
- ``--sockets`` heavy sessions over Streamlit's own WebSocket, as a browser talks to it but without drawing: ask for
  the largest data (a seed of their own) and press Train;
- one light session, in Chromium, training the default data again and again; its Train → result drawn is timed
  the same way on the idle server first.

Pass: the server is never killed and answers its health check throughout; every heavy step either gets its data
or says the server has no memory for it now; the light session's Train → result drawn stays within 2× its time on
the idle server (every click, and the median). Exits with status 1 when a criterion is not met, 2 when no cgroup can
be made (and says why).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import re
import statistics
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench_csv import write_csv
from local_app import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TRAIN_PAGE_CHARTS,
    VIEWPORT,
    click_and_time_drawing,
    dashboard_server,
    wait_for_children,
    wait_until_drawn,
)

HEALTH_TIMEOUT = 30  # seconds: an answer later than this counts as a failed health check
CLOUD_LIMIT_MB = 2700  # MiB, the largest Community Cloud app
LARGEST = (2_000_000, 20)  # the sidebar's largest synthetic data
BUDGET_MESSAGE = "Not enough memory"
READY = f"Ready: synthetic data, {LARGEST[0]:,} rows"  # the Train page, when the largest data is in use
RESULT = re.compile(r"^(Finished|Converged|Diverged|Stopped)")


class CgroupUnavailableError(RuntimeError):
    """No memory cgroup could be made here; the message says why."""


@dataclass
class MemoryGroup:
    """A memory cgroup this script made: the file that moves a process into it, its peak and its OOM kills."""

    path: Path
    version: int

    @property
    def procs(self) -> Path:
        return self.path / "cgroup.procs"

    def peak_bytes(self) -> int | None:
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        try:
            return int((self.path / name).read_text())
        except (OSError, ValueError):
            return None

    def oom_kills(self) -> int:
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        try:
            lines = (self.path / name).read_text().splitlines()
        except OSError:
            return 0
        return sum(int(line.split()[1]) for line in lines if line.startswith("oom_kill "))


def remove_cgroup(path: Path) -> None:
    """Remove a cgroup whose processes have ended, waiting up to 5 s for the kernel to empty it."""
    for _ in range(50):
        try:
            path.rmdir()
            return
        except OSError:
            time.sleep(0.1)


@contextlib.contextmanager
def memory_cgroup(limit_bytes: int) -> Iterator[MemoryGroup]:
    """A new memory cgroup with ``limit_bytes``, removed on exit; :class:`CgroupUnavailableError` if none can be."""
    root = Path("/sys/fs/cgroup")
    name = f"sgd_load_{os.getpid()}"
    if (root / "cgroup.controllers").exists():  # v2: one hierarchy; the parent must hand the memory controller down
        if "memory" not in (root / "cgroup.controllers").read_text().split():
            raise CgroupUnavailableError(f"cgroup v2 at {root} offers no memory controller")
        try:
            if "memory" not in (root / "cgroup.subtree_control").read_text().split():
                (root / "cgroup.subtree_control").write_text("+memory")
            group = MemoryGroup(root / name, 2)
            group.path.mkdir()
            (group.path / "memory.max").write_text(str(limit_bytes))
        except OSError as error:
            raise CgroupUnavailableError(f"cannot make a memory cgroup under {root} (cgroup v2): {error}; run as "
                                         "root on a machine whose cgroups are writable") from error
    elif (root / "memory").is_dir():  # v1: a hierarchy per controller
        try:
            group = MemoryGroup(root / "memory" / name, 1)
            group.path.mkdir()
            (group.path / "memory.limit_in_bytes").write_text(str(limit_bytes))
        except OSError as error:
            raise CgroupUnavailableError(f"cannot make a memory cgroup under {root / 'memory'} (cgroup v1): "
                                         f"{error}; run as root on a machine whose cgroups are writable") from error
    else:
        raise CgroupUnavailableError(f"no cgroup file system with a memory controller at {root}")
    try:
        yield group
    finally:
        remove_cgroup(group.path)  # the server has been stopped


@contextlib.contextmanager
def idle_cpu_cgroup() -> Iterator[Path]:
    """A new CPU cgroup whose processes run only on CPU time that no other process wants (``cpu.idle``; where the
    kernel lacks it, the lowest weight), removed on exit; yields its ``cgroup.procs``. :class:`CgroupUnavailableError`
    if none can be made."""
    root = Path("/sys/fs/cgroup")
    name = f"sgd_load_clients_{os.getpid()}"
    try:
        if (root / "cgroup.controllers").exists():  # v2
            if "cpu" not in (root / "cgroup.controllers").read_text().split():
                raise CgroupUnavailableError(f"cgroup v2 at {root} offers no cpu controller")
            if "cpu" not in (root / "cgroup.subtree_control").read_text().split():
                (root / "cgroup.subtree_control").write_text("+cpu")
            path, lowest = root / name, ("cpu.weight", "1")
        elif (root / "cpu").is_dir():  # v1
            path, lowest = root / "cpu" / name, ("cpu.shares", "2")
        else:
            raise CgroupUnavailableError(f"no cgroup file system with a cpu controller at {root}")
        path.mkdir()
    except OSError as error:
        raise CgroupUnavailableError(f"cannot make a cpu cgroup under {root}: {error}") from error
    try:
        if (path / "cpu.idle").exists():
            (path / "cpu.idle").write_text("1")
        else:
            (path / lowest[0]).write_text(lowest[1])
        yield path / "cgroup.procs"
    finally:
        remove_cgroup(path)  # the browsers have been closed


@contextlib.contextmanager
def clients_in_background(directory: Path, log=print) -> Iterator[str]:
    """The Chromium program for the heavy sessions' browsers: one that runs on CPU time the server and the light
    session leave over, or, where no CPU cgroup can be made (not root), Chromium itself, as it says.

    On Community Cloud every student's browser draws on the student's own machine; here every browser shares the
    server's two cores. At the light session's priority the heavy browsers took 0.3–1 core each throughout the light
    session's clicks, so its time measured the browsers beside it as much as the server. Their requests reach the
    server as before: only their drawing waits. Niceness cannot do this: Chromium sets its processes' own.
    """
    try:
        with idle_cpu_cgroup() as procs:
            wrapper = directory / "chromium-in-background"
            wrapper.write_text(f'#!/bin/sh\necho $$ > "{procs}"\nexec "{CHROMIUM}" "$@"\n')
            wrapper.chmod(0o755)
            yield str(wrapper)
    except CgroupUnavailableError as error:
        log(f"the heavy browsers share the CPU with the light session: {error}")
        yield CHROMIUM


def in_group(group: MemoryGroup) -> list[str]:
    """A command prefix that moves the shell into ``group``, then becomes the command (its process id stays)."""
    return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(group.procs)]


class Health:
    """Polls the server's health check every half second in a thread: every failure, and the slowest answer."""

    def __init__(self, base: str, server) -> None:
        self.base, self.server = base, server
        self.checks, self.failures, self.slowest = 0, [], 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._started = time.perf_counter()
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            began = time.perf_counter()
            try:
                with urllib.request.urlopen(f"{self.base}/_stcore/health", timeout=HEALTH_TIMEOUT) as response:
                    ok = response.read().strip() == b"ok"
            except OSError as error:
                ok, why = False, str(error)
            else:
                why = "answered something else than ok"
            took = time.perf_counter() - began
            self.checks += 1
            self.slowest = max(self.slowest, took)
            if not ok:
                exit_code = self.server.poll()
                self.failures.append(f"{began - self._started:.1f} s: {why}"
                                     + (f" (server exited with {exit_code})" if exit_code is not None else ""))
            self._stop.wait(0.5)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Session:
    """What one heavy session asked for and what it got, step by step."""

    name: str
    steps: list[tuple[str, str, float]] = field(default_factory=list)  # (step, outcome, seconds)
    error: str | None = None

    def record(self, step: str, outcome: str, started: float) -> None:
        self.steps.append((step, outcome, time.perf_counter() - started))


UPLOAD_LIMIT = re.compile(r"files up to ([\d,]+) MB fit beside what it holds")  # the Data page's caption


def largest_query(seed: int, extra: str = "") -> str:
    rows, features = LARGEST
    weights = ",".join(["1"] * features)
    return f"n_rows={rows}&true_weights={weights}&data_seed={seed}&batch_size=1000&epochs=1{extra}"


MESSAGES: list[str] = []  # every memory message the heavy sessions were shown, for the report


def _outcome(text: str, got: str, refused: str = BUDGET_MESSAGE) -> str:
    """``got`` when ``text`` shows what was asked, ``budget`` when it says the memory is short for it (``refused``
    begins that message: the sidebar may still show an earlier step's), else ``neither``."""
    if got in text:
        return "got"
    if refused in text:
        MESSAGES.extend(re.findall(rf"{re.escape(refused)}[^\n]*?(?:fit now|is free)\.", text))
        return "budget"
    return "neither"


def browser_session(base: str, seed: int, csv: Path, csv_rows: int, timeout_ms: float, session: Session,
                    chromium: str = CHROMIUM) -> None:
    """A heavy session in Chromium (``chromium``, the program started): the largest synthetic data, then the CSV
    uploaded and used, then Train."""
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport=VIEWPORT)
                page.set_default_timeout(timeout_ms)
                main = page.locator('[data-testid="stMain"]')
                body = page.locator("body")

                started = time.perf_counter()
                page.goto(f"{base}/?{largest_query(seed)}")
                train = page.get_by_role("button", name="Train", exact=True)
                refused = page.get_by_text(BUDGET_MESSAGE)
                train.or_(refused).first.wait_for()  # refused in a new session: no data, so no Train button
                wait_until_drawn(page, timeout_ms=timeout_ms)
                session.record("largest synthetic data", _outcome(body.inner_text(), READY), started)

                started = time.perf_counter()
                page.locator('[data-testid="stPageLink-NavLink"]').get_by_text("Data", exact=True).click()
                page.get_by_text("Upload a CSV file").wait_for()
                wait_until_drawn(page, timeout_ms=timeout_ms)
                # The uploader's limit is set by the memory free as this visit to the Data page begins
                # (ui.uploads.upload_limit_mb), and the page states it: a larger file the browser refuses at once.
                stated = UPLOAD_LIMIT.search(main.inner_text())
                if stated and csv.stat().st_size > int(stated[1].replace(",", "")) * 2**20:
                    session.record("upload read", "budget", started)
                else:
                    page.locator('input[type="file"]').set_input_files(csv)
                    read = main.get_by_text(f"{csv_rows:,} rows × ")
                    refused = main.locator('[data-testid="stAlertContentError"]')
                    read.or_(refused).first.wait_for()
                    wait_until_drawn(page, timeout_ms=timeout_ms)
                    text = main.inner_text()  # the sidebar may still show the refusal of the synthetic data
                    session.record("upload read", "budget" if _outcome(text, "no such text") == "budget"
                                   else _outcome(text, f"{csv_rows:,} rows × "), started)

                use = page.get_by_role("button", name="Use this dataset")
                if session.steps[-1][1] == "got":  # the table is read; its float matrix comes next, or a refusal
                    use.or_(main.locator('[data-testid="stAlertContentError"]')).first.wait_for()
                    wait_until_drawn(page, timeout_ms=timeout_ms)
                if session.steps[-1][1] == "got" and not use.count():  # read, but its matrix was not made
                    text = main.inner_text()
                    outcome = _outcome(text, "no such text")
                    if outcome == "neither":
                        shot = Path(tempfile.gettempdir()) / f"bench_load_{session.name.replace(' ', '_')}_use.png"
                        page.screenshot(path=str(shot))
                        MESSAGES.append(f"{session.name}, no 'Use this dataset' (screenshot: {shot}): "
                                        + " | ".join(main.locator('[data-testid="stAlert"]').all_inner_texts()))
                    session.record("upload used", outcome, time.perf_counter())
                elif use.count():
                    started = time.perf_counter()
                    use.click()
                    solving = f"{BUDGET_MESSAGE} for solving {csv_rows:,}"
                    main.get_by_text("Every page trains on it now").or_(page.get_by_text(solving)).first.wait_for()
                    wait_until_drawn(page, timeout_ms=timeout_ms)
                    text = body.inner_text()
                    session.record("upload used", "budget" if _outcome(text, "no such text", solving) == "budget"
                                   else _outcome(text, "Every page trains on it now"), started)

                started = time.perf_counter()
                page.locator('[data-testid="stPageLink-NavLink"]').get_by_text("Train", exact=True).click()
                page.get_by_role("heading", name=re.compile("^Train")).first.wait_for()
                wait_until_drawn(page, timeout_ms=timeout_ms)
                # Under load the page may be drawn in more than one pass: wait for one of the two outcomes to show
                train.or_(page.get_by_text(BUDGET_MESSAGE)).first.wait_for(timeout=timeout_ms)
                if train.count():
                    train.click()
                    page.get_by_text(RESULT).first.wait_for()
                    wait_until_drawn(page, timeout_ms=timeout_ms)
                    session.record("train", "got", started)
                else:  # nothing this session asked for fitted, so it has no data to train on
                    session.record("train", _outcome(body.inner_text(), "no such text"), started)
            except Exception:
                shot = Path(tempfile.gettempdir()) / f"bench_load_{session.name.replace(' ', '_')}.png"
                page.screenshot(path=str(shot))
                session.error = f"(screenshot: {shot}) "
                raise
            finally:
                browser.close()
    except Exception as error:  # reported with the others; the load goes on
        session.error = f"{session.error or ''}{type(error).__name__}: {str(error).splitlines()[0]}"


class SocketClient:
    """A Streamlit session over the WebSocket a browser opens (``/_stcore/stream``), sending the same messages a
    browser sends when it opens a link or presses a button, and reading what each script run shows: its alerts and
    buttons. It draws nothing, so it costs the machine a socket where a browser costs a few hundred MB."""

    def __init__(self, base: str, timeout: float) -> None:
        from websockets.sync.client import connect

        self.timeout = timeout
        self.socket = connect(base.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                              origin=base, max_size=None, open_timeout=timeout, legacy=True)
        self.page_hash = ""

    def run(self, query: str, press: str | None = None, buttons: dict[str, str] | None = None) -> tuple[str, dict]:
        """One script run: ``(the text of its alerts, {button label: widget id})``; ``press`` a button by label."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ClientState_pb2 import ClientState
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

        widgets = WidgetStates(widgets=[WidgetState(id=buttons[press], trigger_value=True)] if press else [])
        message = BackMsg(rerun_script=ClientState(query_string=query, page_script_hash=self.page_hash,
                                                   widget_states=widgets))
        self.socket.send(message.SerializeToString())
        alerts, found = [], {}
        deadline = time.monotonic() + self.timeout
        while True:
            reply = ForwardMsg.FromString(self.socket.recv(timeout=max(deadline - time.monotonic(), 0.1)))
            kind = reply.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = reply.new_session.page_script_hash or self.page_hash
            elif kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
                element = reply.delta.new_element
                if element.WhichOneof("type") == "alert":
                    alerts.append(element.alert.body)
                elif element.WhichOneof("type") == "button":
                    found[element.button.label] = element.button.id
            elif kind == "script_finished" and reply.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return "\n".join(alerts), found
            if time.monotonic() > deadline:
                raise TimeoutError(f"no end of the script run within {self.timeout:g} s")

    def close(self) -> None:
        self.socket.close()


def socket_session(base: str, seed: int, timeout_ms: float, session: Session) -> None:
    """A heavy session over the WebSocket: the largest synthetic data, then Train."""
    try:
        client = SocketClient(base, timeout_ms / 1000)
        try:
            query = largest_query(seed)
            started = time.perf_counter()
            alerts, buttons = client.run(query)
            session.record("largest synthetic data", _outcome(alerts, READY), started)
            started = time.perf_counter()
            if "Train" not in buttons:  # refused in a new session: no data, so no Train button
                session.record("train", _outcome(alerts, "no such text"), started)
                return
            alerts, _ = client.run(query, press="Train", buttons=buttons)
            session.record("train", "got" if re.search(r"(?m)^(Finished|Converged|Diverged|Stopped)", alerts)
                           else "neither", started)
        finally:
            client.close()
    except Exception as error:
        session.error = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"


@dataclass
class LoadResult:
    idle: list[float]
    loaded: list[float]
    light_failures: list[str]
    sessions: list[Session]
    health: Health
    server_exit: int | None
    peak_bytes: int | None
    oom_kills: int
    limit_bytes: int

    def problems(self) -> list[str]:
        """Every criterion not met, in words; empty when the run passed."""
        found = []
        if self.server_exit is not None:
            found.append(f"the server exited with status {self.server_exit}")
        if self.oom_kills:
            found.append(f"the kernel killed {self.oom_kills} process(es) of the cgroup for memory")
        found.extend(f"health check failed at {failure}" for failure in self.health.failures)
        found.extend(f"light session: {failure}" for failure in self.light_failures)
        for session in self.sessions:
            if session.error:
                found.append(f"{session.name}: {session.error}")
            found.extend(f"{session.name}: {step} showed neither its data nor a memory message"
                         for step, outcome, _ in session.steps if outcome == "neither")
        return found

    def light_ratio(self) -> tuple[float, float]:
        """(median, slowest) of the light session's Train → result under load, over its idle median."""
        if not self.loaded:
            return math.inf, math.inf
        idle = statistics.median(self.idle)
        return statistics.median(self.loaded) / idle, max(self.loaded) / idle


def run_load(limit_mb: int = CLOUD_LIMIT_MB, browsers: int = 2, sockets: int = 2, csv_rows: int = 1_000_000,
             csv_features: int = 20, idle_clicks: int = 3, timeout: float = 300, clients_beside: bool = False,
             log=print) -> LoadResult:
    """Start the server in a new memory cgroup and run the load; :class:`CgroupUnavailableError` if none can be made.
    The heavy browsers draw on CPU time left over (:func:`clients_in_background`) unless ``clients_beside``."""
    from playwright.sync_api import sync_playwright

    limit = limit_mb * 1024 * 1024
    timeout_ms = timeout * 1000
    with tempfile.TemporaryDirectory() as directory, memory_cgroup(limit) as group, \
            (contextlib.nullcontext(CHROMIUM) if clients_beside
             else clients_in_background(Path(directory), log)) as heavy_chromium:
        csv = Path(directory) / "large.csv"
        write_csv(csv, csv_rows, csv_features + 1)
        log(f"CSV: {csv_rows:,} rows × {csv_features + 1} columns, {csv.stat().st_size / 1e6:,.0f} MB")
        with dashboard_server(prefix=in_group(group)) as (base, server), sync_playwright() as playwright:
            health = Health(base, server)
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(viewport=VIEWPORT)

                def light_train() -> float:
                    """A new visitor opens the app and presses Train on the default data (a run identical to the
                    last would redraw nothing, so each is a session of its own, as in issue 17's figures)."""
                    for old in context.pages:
                        old.close()
                    page = context.new_page()
                    page.set_default_timeout(timeout_ms)
                    page.goto(base)
                    wait_until_drawn(page, TRAIN_PAGE_CHARTS, timeout_ms=timeout_ms)
                    button = page.get_by_role("button", name="Train", exact=True)
                    return click_and_time_drawing(page, button, TRAIN_PAGE_CHARTS, timeout_ms=timeout_ms)

                # The first visit starts the kernel's compile, in a child process of the server (ui.kernel): the
                # idle figures are taken once it is over, as on a server that has been up for a while.
                light_train()
                wait_for_children(server.pid)
                idle = [light_train() for _ in range(idle_clicks)]
                log(f"light session, idle server: Train → result drawn {', '.join(f'{s:.2f}' for s in idle)} s")

                sessions = [Session(f"browser {index + 1}") for index in range(browsers)]
                sessions += [Session(f"socket {index + 1}") for index in range(sockets)]
                threads = [threading.Thread(target=browser_session, args=(base, 100 + index, csv, csv_rows,
                                                                          timeout_ms, sessions[index],
                                                                          heavy_chromium))
                           for index in range(browsers)]
                threads += [threading.Thread(target=socket_session, args=(base, 200 + index, timeout_ms,
                                                                          sessions[browsers + index]))
                            for index in range(sockets)]
                for thread in threads:
                    thread.start()
                loaded, light_failures = [], []
                while any(thread.is_alive() for thread in threads) or not loaded:
                    if server.poll() is not None or len(light_failures) >= 3:
                        break
                    try:
                        loaded.append(light_train())
                    except Exception as error:  # reported with the others; the load goes on
                        shot = Path(tempfile.gettempdir()) / f"bench_load_light_{len(light_failures)}.png"
                        context.pages[-1].screenshot(path=str(shot))
                        light_failures.append(f"{type(error).__name__}: {str(error).splitlines()[0]} "
                                              f"(screenshot: {shot})")
                for thread in threads:
                    thread.join()
            finally:
                browser.close()
                health.stop()
            server_exit = server.poll()
        return LoadResult(idle, loaded, light_failures, sessions, health, server_exit, group.peak_bytes(),
                          group.oom_kills(), limit)


def report(result: LoadResult, log=print) -> bool:
    """Print the figures and a verdict for each criterion; True when every one is met."""
    for session in result.sessions:
        words = {"got": "its data", "budget": "memory message", "neither": "NEITHER"}
        steps = "; ".join(f"{step}: {words[outcome]} ({seconds:.1f} s)" for step, outcome, seconds in session.steps)
        log(f"{session.name:<10} {steps}" + (f"; ERROR {session.error}" if session.error else ""))
    peak = "unknown" if result.peak_bytes is None else f"{result.peak_bytes / 1e6:,.0f} MB"
    log(f"server: cgroup limit {result.limit_bytes / 1e6:,.0f} MB, peak {peak}, OOM kills {result.oom_kills}, "
        f"{'still running' if result.server_exit is None else f'exited with {result.server_exit}'}; "
        f"health checks {result.health.checks}, failed {len(result.health.failures)}, "
        f"slowest answer {result.health.slowest:.2f} s")
    median, slowest = result.light_ratio()
    if result.loaded:
        log(f"light session under load: Train → result drawn {len(result.loaded)} times, median "
            f"{statistics.median(result.loaded):.2f} s, slowest {max(result.loaded):.2f} s "
            f"({median:.1f}× and {slowest:.1f}× its idle median {statistics.median(result.idle):.2f} s)")
    for message in sorted(set(MESSAGES)):
        log(f"shown: {message}")
    problems = result.problems()
    log(f"[{'met' if not problems else 'NOT MET'}] never killed, healthy throughout, every heavy step got its data "
        "or a memory message" + "".join(f"\n    - {problem}" for problem in problems))
    fair = slowest <= 2
    log(f"[{'met' if fair else 'NOT MET'}] the light session's Train → result within 2× its idle time "
        f"(slowest {slowest:.1f}×, median {median:.1f}×)")
    return not problems and fair


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit-mb", type=int, default=CLOUD_LIMIT_MB, help="the cgroup's limit, MiB")
    parser.add_argument("--browsers", type=int, default=2, help="heavy sessions in Chromium (at least 2)")
    parser.add_argument("--sockets", type=int, default=2, help="heavy sessions over the WebSocket")
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=float, default=300, help="seconds for any one step")
    parser.add_argument("--clients-beside", action="store_true",
                        help="run the heavy sessions' browsers at the light session's priority, as if they drew "
                             "on the server's machine, rather than on CPU time left over")
    parser.add_argument("--quick", action="store_true", help="the test suite's version: a 200,000-row CSV, "
                                                             "one socket session, two idle clicks")
    args = parser.parse_args()
    if args.quick:
        args.csv_rows, args.sockets = 200_000, 1
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs")
    print(f"load: {args.browsers} browser and {args.sockets} socket sessions asking for {LARGEST[0]:,} × "
          f"{LARGEST[1]} synthetic rows each (the browsers also a {args.csv_rows:,}-row CSV), one light session on "
          f"the default data; server in a {args.limit_mb:,} MiB memory cgroup; the heavy browsers "
          + ("beside it at the same priority" if args.clients_beside else "on CPU time left over"))
    try:
        result = run_load(args.limit_mb, args.browsers, args.sockets, args.csv_rows,
                          idle_clicks=2 if args.quick else 3, timeout=args.timeout,
                          clients_beside=args.clients_beside)
    except CgroupUnavailableError as error:
        print(f"cannot run: {error}")
        raise SystemExit(2) from None
    raise SystemExit(0 if report(result) else 1)


if __name__ == "__main__":
    main()

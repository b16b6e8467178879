"""Training on the page: run sgdcore's generator, keep each snapshot, redraw at a bounded rate, share the cores.

How many threads a run takes (the kernel's, BLAS's) is sgdcore's to decide, from the config. This module
paces the drawing, so that live charts cost training a bounded share of its time, and shares the server's
cores between every session's runs (:class:`CoreTurns`), so that one long run does not stall the others.

Every snapshot is saved in ``st.session_state`` before anything is drawn, so when a click (Stop,
or any widget) makes Streamlit interrupt the script, what was trained so far is kept and can be
resumed from its state.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import replace
from typing import Any

import sgdcore
from sgdcore.backends import AUTO, auto_threads
from ui.i18n import tn
from ui.kernel import kernel_ready, wait_for_kernel
from ui.verdicts import short_text

# session_state key of the Train page's run: {"key": what it was trained on, "progress": the last snapshot,
# "config": its TrainConfig, "description": the data}; the Export page reads it.
TRAIN_RUN = "train_run"
FRAME_SECONDS = 0.1  # at most ~10 redraws a second, whatever the step rate
REPORT_SECONDS = 0.05  # the progress bar moves (and Stop is heard) at least this often
DRAW_SHARE = 0.15  # ... and fewer when the charts are slow to build, so drawing takes ≤ ~15% of the time
# A run of at most this many steps trains on the NumPy path rather than wait for the kernel still compiling on a
# fresh server: NumPy takes 5–20 µs a step at small batches, so at most a few tenths of a second, against seconds.
NUMPY_WHILE_COMPILING_STEPS = 20_000


class FrameClock:
    """When to redraw the charts during a run: once it has gone on for ``FRAME_SECONDS``, then every
    ``FRAME_SECONDS``, or less often if drawing is slow.

    A run that ends sooner (the default data's takes milliseconds) is drawn once, by the page, at its end:
    a redraw of a run's start would cost the click a full round of charts in the server and in the browser
    for a picture nobody has time to see. A longer run is drawn by its first snapshot after that first frame
    too: until then the page's charts are the previous script run's, and Streamlit's own Stop (or a lost
    connection) ends the script run with them marked stale, which the browser then removes. Drawing runs in
    the same thread as training, so a redraw that costs ``c`` seconds waits ``c / DRAW_SHARE`` before the
    next one: live charts never cost training more than ~15% of its speed.
    """

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.last_drawn: float | None = None
        self.interval = FRAME_SECONDS

    def due(self) -> bool:
        return time.perf_counter() - (self.started if self.last_drawn is None else self.last_drawn) >= self.interval

    def draw(self, draw: Callable[[Any], None], what: Any) -> None:
        started = time.perf_counter()
        draw(what)
        self.last_drawn = time.perf_counter()
        self.interval = max(FRAME_SECONDS, (self.last_drawn - started) / DRAW_SHARE)


class CoreTurns:
    """The cores that every session's training may use at once, given out in turns of one chunk of steps.

    Streamlit runs every session's script in one process, a thread each, and the compiled kernel runs
    without Python's lock, so without turns two long runs on two threads each would share two cores four
    ways, and a short run would wait behind them all. A run holds its cores while ``sgdcore.train``
    computes one snapshot (about ``REPORT_SECONDS`` of work), then queues again behind whoever came
    meanwhile: first come, first served, so a run waits at most about one chunk of each run ahead of it,
    and no run keeps every core while another waits.
    """

    def __init__(self, cores: int) -> None:
        self.cores = cores
        self._free = cores
        self._queue: deque[object] = deque()
        self._running = 0  # runs under way in this process (in a turn or between two)
        self._condition = threading.Condition()

    @contextlib.contextmanager
    def run(self) -> Iterator[None]:
        """A run under way, for the count of runs that share the cores."""
        with self._condition:
            self._running += 1
        try:
            yield
        finally:
            with self._condition:
                self._running -= 1

    def running(self) -> int:
        """Runs under way."""
        return self._running

    @contextlib.contextmanager
    def turn(self, cores: int) -> Iterator[int]:
        """Wait for ``cores`` cores (at most all of them), in turn; yields how many other runs it waited for
        (the runs under way when it asked, besides the caller's), 0 if it did not wait."""
        cores = min(cores, self.cores)
        ticket = object()
        with self._condition:
            self._queue.append(ticket)
            waited = self._queue[0] is not ticket or self._free < cores
            others = max(self._running - 1, 1) if waited else 0
            while self._queue[0] is not ticket or self._free < cores:
                self._condition.wait()
            self._queue.popleft()
            self._free -= cores
            self._condition.notify_all()  # the next in line may fit in the cores left
        try:
            yield others
        finally:
            with self._condition:
                self._free += cores
                self._condition.notify_all()


# Every session of the server shares these. All the usable cores: a run takes as many as its threads, and a
# second thread is worth taking only for large minibatches ("auto" takes one below that).
CORES = CoreTurns(sgdcore.usable_cores())


# Heavy work (a long run, large data being made) runs at this niceness, in the thread of the session that asked
# for it, so that on a busy server the operating system gives a light session's script run the CPU first.
BACKGROUND_NICENESS = 10
HEAVY_VALUES = 5_000_000  # rows × features × epochs of a run, or rows × features of data, from which work is heavy


@contextlib.contextmanager
def background_priority(heavy: bool = True) -> Iterator[None]:
    """Run the block at :data:`BACKGROUND_NICENESS` when ``heavy`` (Linux: the calling thread only).

    Streamlit runs each session's script in a thread of its own, so this slows no other session. Lowering a
    priority is always allowed; raising it back needs privileges a hosted server may not have, in which case
    the thread (this session's script run) stays at the lower priority until it ends.
    """
    thread = threading.get_native_id()
    try:
        before = os.getpriority(os.PRIO_PROCESS, thread)
        if heavy and before < BACKGROUND_NICENESS:
            os.setpriority(os.PRIO_PROCESS, thread, BACKGROUND_NICENESS)
        else:
            heavy = False
    except (AttributeError, OSError):  # no per-thread priorities on this platform
        heavy = False
    try:
        yield
    finally:
        if heavy:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, thread, before)


def heavy_data(n_rows: int, n_features: int) -> bool:
    """Whether making or solving data of this size is long enough to yield the CPU to lighter sessions
    (:func:`background_priority`)."""
    return n_rows * n_features >= HEAVY_VALUES


def heavy_run(problem: sgdcore.Problem, config: sgdcore.TrainConfig) -> bool:
    """Whether a run is long enough to yield the CPU to lighter sessions (:func:`background_priority`)."""
    return problem.train.n_rows * problem.train.n_features * config.epochs >= HEAVY_VALUES


def run_threads(config: sgdcore.TrainConfig, n_features: int) -> int:
    """The kernel threads a run of ``config`` takes, hence the cores it asks for at each turn.

    ``"auto"`` takes one thread while other sessions' runs are under way: threads that meet at every step
    lose to one thread as soon as another run takes one of their cores.
    """
    if config.n_threads == AUTO:
        return 1 if CORES.running() > 0 else auto_threads(config.batch_size, n_features, CORES.cores)
    return min(config.n_threads, CORES.cores)


def sharing_text(others: int) -> str:
    """What a run says while it takes turns with ``others`` other runs ("" when it does not)."""
    if not others:
        return ""
    return tn("runner.sharing", others)


def in_turns(snapshots: Iterator[sgdcore.Progress], cores: int, sharing: Callable[[int], None] | None = None,
             *, heavy: bool = False) -> Iterator[sgdcore.Progress]:
    """``snapshots`` computed in turns on ``cores`` cores of :data:`CORES` (at a lower priority if ``heavy``);
    ``sharing(n)`` is told each time the number of other runs it waited for changes (0 when it no longer waits)."""
    told = 0
    with CORES.run():
        while True:
            with CORES.turn(cores) as others, background_priority(heavy):
                progress = next(snapshots, None)
            if progress is None:
                return
            if sharing is not None and others != told:
                sharing(others)
                told = others
            yield progress


def quadratics(problem: sgdcore.Problem) -> dict[str, sgdcore.QuadraticLoss | None]:
    """The problem's loss forms, for ``sgdcore.train``: long runs (the Learning-rate and Momentum pages')
    take their epoch losses from them instead of summing them again, run after run."""
    return {"quadratic": problem.quadratic, "test_quadratic": problem.test_quadratic}


def snapshots(problem: sgdcore.Problem, config: sgdcore.TrainConfig, *, state: sgdcore.TrainState | None = None,
              until_epoch: int | None = None, report_every: float = REPORT_SECONDS,
              sharing: Callable[[int], None] | None = None, until_step: int | None = None,
              ) -> Iterator[sgdcore.Progress]:
    """The run's snapshots: ``sgdcore.train`` on the problem's rows, in turns with the other sessions' runs
    (:func:`in_turns`), or, for large data on a Dask cluster (``problem.on_cluster``, ``ui.large_data``),
    ``sgdcore.distributed.train`` where the rows are, which takes none of this server's cores."""
    if getattr(problem, "on_cluster", False):
        return problem.runs(config, state=state, until_epoch=until_epoch, report_every=report_every)
    threads = run_threads(config, problem.train.n_features)
    runs = sgdcore.train(problem.train, replace(config, n_threads=threads), test=problem.test, state=state,
                         until_epoch=until_epoch, until_step=until_step, report_every=report_every,
                         **quadratics(problem))
    return in_turns(runs, threads, sharing, heavy=heavy_run(problem, config))


def train_live(
    problem: sgdcore.Problem,
    config: sgdcore.TrainConfig,
    *,
    save: Callable[[sgdcore.Progress], None],
    draw: Callable[[sgdcore.Progress], None],
    report: Callable[[sgdcore.Progress], None] | None = None,
    state: sgdcore.TrainState | None = None,
    until_epoch: int | None = None,
    draw_last: bool = True,
    sharing: Callable[[int], None] | None = None,
    until_step: int | None = None,
) -> sgdcore.Progress:
    """Train, calling ``save`` on every snapshot, ``report`` (cheap, e.g. a progress bar) at least every
    ``REPORT_SECONDS`` and on the last one, and ``draw`` (charts) at a bounded rate once the run has lasted a
    frame (:class:`FrameClock`) and, unless the page draws the result itself afterwards (``draw_last=False``),
    on the last one.
    ``sharing(n)`` is told when the run takes turns with ``n`` other sessions' runs (0: no longer);
    ``until_epoch``, ``until_step`` pause the run as :func:`sgdcore.train`'s do.

    On a fresh server the kernel may still be compiling: a short run (the default data's) trains on the NumPy
    path instead, equal to rounding; a longer one draws its starting point, then waits.
    """
    if not kernel_ready() and not getattr(problem, "on_cluster", False):
        steps = config.steps_per_epoch(problem.train.n_rows) * (until_epoch or config.epochs)
        if until_step is not None:  # one minibatch at a time: a step or so, whatever the epoch's length
            steps = min(steps, until_step - (state.step if state is not None else 0))
        if config.backend == "auto" and steps <= NUMPY_WHILE_COMPILING_STEPS:
            config = replace(config, backend="numpy")
        else:
            if state is None:
                draw(starting_point(problem, config))
            wait_for_kernel()
    frames = FrameClock()  # after the wait: the run's first frame counts from its first step
    last_reported = time.perf_counter()
    progress = None
    # Closed at once when a click interrupts the script (an exception from a Streamlit call), so that the run no
    # longer counts among those sharing the cores.
    runs = snapshots(problem, config, state=state, until_epoch=until_epoch, until_step=until_step, sharing=sharing)
    with contextlib.closing(runs):
        for progress in runs:
            save(progress)
            # Every Streamlit call is also where a click (Stop) can interrupt the script: report often
            # enough for that (≤ REPORT_SECONDS apart), and no more, since each one costs training time.
            now = time.perf_counter()
            if report is not None and (progress.status != "running" or now - last_reported >= REPORT_SECONDS):
                report(progress)
                last_reported = now
            if (progress.status != "running" and draw_last) or (progress.status == "running" and frames.due()):
                frames.draw(draw, progress)
    assert progress is not None  # sgdcore.train always yields at least once
    return progress


def train_all(
    problem: sgdcore.Problem,
    configs: Mapping[str, sgdcore.TrainConfig],
    *,
    save: Callable[[dict[str, sgdcore.Progress]], None],
    draw: Callable[[dict[str, sgdcore.Progress]], None] | None = None,
    report: Callable[[str, int], None] | None = None,
    live: bool = True,
    sharing: Callable[[int], None] | None = None,
) -> dict[str, sgdcore.Progress]:
    """Train several configurations on the same problem, one after another, each to its end.

    ``save`` gets the runs so far after every snapshot; ``draw`` redraws the overlaid charts at most
    every ``FRAME_SECONDS`` when ``live`` (pass ``live=False`` when wall time is being compared:
    drawing would be counted in it); ``report(label, index)`` announces each run as it starts; ``sharing``
    is as :func:`train_live`'s.
    """
    wait_for_kernel()
    runs: dict[str, sgdcore.Progress] = {}
    frames = FrameClock()
    # Not live, a run still yields about every REPORT_SECONDS: its turns on the cores are that long.
    for index, (label, config) in enumerate(configs.items()):
        if report is not None:
            report(label, index)
        runs_of_config = snapshots(problem, config, sharing=sharing)
        with contextlib.closing(runs_of_config):
            for progress in runs_of_config:
                runs[label] = progress
                save(dict(runs))
                if live and draw is not None and frames.due():
                    frames.draw(draw, runs)
    if draw is not None:
        draw(runs)
    return runs


def starting_point(problem: sgdcore.Problem, config: sgdcore.TrainConfig) -> sgdcore.Progress:
    """Where a run of ``config`` starts (step 0): no step is taken, so the NumPy path serves, kernel or not."""
    *_, progress = sgdcore.train(problem.train, replace(config, backend="numpy"), test=problem.test, until_epoch=0)
    return progress


def interrupted(saved: MutableMapping[str, Any], key: str) -> None:
    """A run saved as 'running' at the start of a script run was interrupted by a click: mark it stopped, by the
    user (the page words a pause by Step otherwise)."""
    run = saved.get(key)
    if run is not None and run["progress"].status == "running":
        run["progress"] = run["progress"].stopped()
        run["stopped_by_user"] = True


def runs_interrupted(saved: MutableMapping[str, Any], key: str) -> None:
    """Like :func:`interrupted`, for a page's saved set of runs."""
    entry = saved.get(key)
    if entry is not None:
        entry["runs"] = {label: progress.stopped() if progress.status == "running" else progress
                         for label, progress in entry["runs"].items()}


def short_status(progress: sgdcore.Progress, diagnosis: sgdcore.Diagnosis | None = None) -> str:
    """The outcome in a few words, for a table with one row per run: with the run's diagnosis, whether it
    reached the optimum (worded in :mod:`ui.verdicts`, with every other text about outcomes)."""
    return short_text(progress, diagnosis)

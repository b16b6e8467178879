"""Training on the page: run sgdcore's generator, keep each snapshot, redraw at a bounded rate.

How many threads training takes (the kernel's, BLAS's) is sgdcore's to decide, from the config: this
module only paces the drawing, so that live charts cost training a bounded share of its time.

Every snapshot is saved in ``st.session_state`` before anything is drawn, so when a click (Stop,
or any widget) makes Streamlit interrupt the script, what was trained so far is kept and can be
resumed from its state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

import sgdcore
from ui.kernel import wait_for_kernel
from ui.verdicts import short_text

# session_state key of the Train page's run: {"key": what it was trained on, "progress": the last snapshot,
# "config": its TrainConfig, "description": the data}; the Export page reads it.
TRAIN_RUN = "train_run"
FRAME_SECONDS = 0.1  # at most ~10 redraws a second, whatever the step rate
REPORT_SECONDS = 0.05  # the progress bar moves (and Stop is heard) at least this often
DRAW_SHARE = 0.15  # ... and fewer when the charts are slow to build, so drawing takes ≤ ~15% of the time


class FrameClock:
    """When to redraw the charts: every ``FRAME_SECONDS``, or less often if drawing is slow.

    Drawing runs in the same thread as training, so a redraw that costs ``c`` seconds waits
    ``c / DRAW_SHARE`` before the next one: live charts never cost training more than ~15% of its speed.
    The first wait uses the cost of the last redraw in this process (a property of the machine, not of
    anyone's data), so a run shorter than one redraw is drawn once, when it ends.
    """

    expected_cost = 0.05  # seconds; updated after every redraw

    def __init__(self) -> None:
        self.last_drawn = time.perf_counter()
        self.interval = max(FRAME_SECONDS, FrameClock.expected_cost / DRAW_SHARE)

    def due(self) -> bool:
        return time.perf_counter() - self.last_drawn >= self.interval

    def draw(self, draw: Callable[[Any], None], what: Any) -> None:
        started = time.perf_counter()
        draw(what)
        self.last_drawn = time.perf_counter()
        FrameClock.expected_cost = self.last_drawn - started
        self.interval = max(FRAME_SECONDS, FrameClock.expected_cost / DRAW_SHARE)


def quadratics(problem: sgdcore.Problem) -> dict[str, sgdcore.QuadraticLoss | None]:
    """The problem's loss forms, for ``sgdcore.train``: long runs (the Learning-rate and Momentum pages')
    take their epoch losses from them instead of summing them again, run after run."""
    return {"quadratic": problem.quadratic, "test_quadratic": problem.test_quadratic}


def snapshots(problem: sgdcore.Problem, config: sgdcore.TrainConfig, *, state: sgdcore.TrainState | None = None,
              until_epoch: int | None = None, report_every: float = REPORT_SECONDS) -> Iterator[sgdcore.Progress]:
    """The run's snapshots: ``sgdcore.train`` on the problem's rows, or, for large data on a Dask cluster
    (``problem.on_cluster``, ``ui.large_data``), ``sgdcore.distributed.train`` where the rows are."""
    if getattr(problem, "on_cluster", False):
        return problem.runs(config, state=state, until_epoch=until_epoch, report_every=report_every)
    return sgdcore.train(problem.train, config, test=problem.test, state=state, until_epoch=until_epoch,
                         report_every=report_every, **quadratics(problem))


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
) -> sgdcore.Progress:
    """Train, calling ``save`` on every snapshot, ``report`` (cheap, e.g. a progress bar) at least every
    ``REPORT_SECONDS`` and on the last one, and ``draw`` (charts) at a bounded rate and, unless the page
    draws the result itself afterwards (``draw_last=False``), on the last one."""
    wait_for_kernel()
    frames = FrameClock()
    last_reported = time.perf_counter()
    progress = None
    for progress in snapshots(problem, config, state=state, until_epoch=until_epoch):
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
) -> dict[str, sgdcore.Progress]:
    """Train several configurations on the same problem, one after another, each to its end.

    ``save`` gets the runs so far after every snapshot; ``draw`` redraws the overlaid charts at most
    every ``FRAME_SECONDS`` when ``live`` (pass ``live=False`` when wall time is being compared:
    drawing would be counted in it); ``report(label, index)`` announces each run as it starts.
    """
    wait_for_kernel()
    runs: dict[str, sgdcore.Progress] = {}
    frames = FrameClock()
    report_every = REPORT_SECONDS if live else 10.0
    for index, (label, config) in enumerate(configs.items()):
        if report is not None:
            report(label, index)
        for progress in snapshots(problem, config, report_every=report_every):
            runs[label] = progress
            save(dict(runs))
            if live and draw is not None and frames.due():
                frames.draw(draw, runs)
    if draw is not None:
        draw(runs)
    return runs


def interrupted(saved: MutableMapping[str, Any], key: str) -> None:
    """A run saved as 'running' at the start of a script run was interrupted by a click: mark it stopped."""
    run = saved.get(key)
    if run is not None and run["progress"].status == "running":
        run["progress"] = run["progress"].stopped()


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

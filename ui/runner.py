"""Training on the page: run sgdcore's generator, keep each snapshot, redraw at a bounded rate.

Every snapshot is saved in ``st.session_state`` before anything is drawn, so when a click (Stop,
or any widget) makes Streamlit interrupt the script, what was trained so far is kept and can be
resumed from its state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping
from typing import Any

import sgdcore

FRAME_SECONDS = 0.1  # at most ~10 redraws a second, whatever the step rate


def train_live(
    problem: sgdcore.Problem,
    config: sgdcore.TrainConfig,
    *,
    save: Callable[[sgdcore.Progress], None],
    draw: Callable[[sgdcore.Progress], None],
    report: Callable[[sgdcore.Progress], None] | None = None,
    state: sgdcore.TrainState | None = None,
    until_epoch: int | None = None,
) -> sgdcore.Progress:
    """Train, calling ``save`` on every snapshot, ``report`` (cheap, e.g. a progress bar) on every
    snapshot and ``draw`` (charts) at most every ``FRAME_SECONDS`` and on the last one."""
    last_drawn = 0.0
    progress = None
    for progress in sgdcore.train(problem.train, config, test=problem.test, state=state,
                                  until_epoch=until_epoch, report_every=FRAME_SECONDS / 2):
        save(progress)
        if report is not None:
            report(progress)
        now = time.perf_counter()
        if progress.status != "running" or now - last_drawn >= FRAME_SECONDS:
            draw(progress)
            last_drawn = now
    assert progress is not None  # sgdcore.train always yields at least once
    return progress


def interrupted(saved: MutableMapping[str, Any], key: str) -> None:
    """A run saved as 'running' at the start of a script run was interrupted by a click: mark it stopped."""
    run = saved.get(key)
    if run is not None and run["progress"].status == "running":
        run["progress"] = run["progress"].stopped()


def status_text(progress: sgdcore.Progress, problem: sgdcore.Problem, config: sgdcore.TrainConfig) -> str:
    """The outcome in words, with the learning rate placed against the stability limit."""
    limit = problem.curvature.stability_limit(config.momentum, config.dampening, config.nesterov)
    ratio = config.learning_rate / limit
    if progress.status == "diverged":
        return (f"Diverged at step {progress.diverged_at_step}: learning rate {config.learning_rate:g} is "
                f"{ratio:.2g}× the stability limit {limit:.3g}. Lower the learning rate below {limit:.3g}.")
    speed = f"{progress.step:,} steps in {progress.elapsed_seconds:.3g} s ({progress.steps_per_second:,.0f} steps/s)"
    if progress.status == "converged":
        return f"Converged after {progress.epoch} epochs: {progress.message.split(': ', 1)[-1]}. {speed}."
    if progress.status == "finished":
        return f"Finished {progress.epochs} epochs. {speed}."
    return progress.message[0].upper() + progress.message[1:] + f". {speed}."

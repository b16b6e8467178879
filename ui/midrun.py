"""The Train page's settings changed part-way: whether **Train** continues the run or starts a new one, and the
words that tell the user which.

A run continues (``sgdcore.train(..., state=...)``, :mod:`sgdcore.changes`) when it was trained on the same data
(data, standardisation and test fraction make the page's data key) with the same seed and sampling, and it has
steps left: it was stopped, or it finished and the epochs were raised. Anything else starts a new run.
"""

from __future__ import annotations

from typing import Any

import sgdcore
from sgdcore.changes import describe_changes, fixed_changes
from ui.widgets import trained_on

# The sidebar's words for the settings a continued run must keep (sgdcore.changes.FIXED).
FIXED_WORDS = {"seed": "seed", "shuffle": "sampling", "block_size": "block size", "init": "initialisation",
               "init_scale": "initial scale", "drop_last": "short last batch"}


def _continues(run: dict[str, Any], data_key: str, config: sgdcore.TrainConfig, problem: Any) -> bool:
    progress = run["progress"]
    if not trained_on(run["key"], data_key):
        return False
    if getattr(problem, "on_cluster", False):  # trained on the workers (sgdcore.distributed): only as it was
        return progress.status == "stopped" and run["config"] == config
    if fixed_changes(run["config"], config):
        return False
    # A paused run and a finished one alike continue only if the epochs set leave steps to take; a run paused
    # inside an epoch (a minibatch Step, also past the last epoch) goes on at least to that epoch's end.
    if progress.status == "stopped" and progress.batch_in_epoch > 0:
        return True
    return progress.status in ("stopped", "finished", "converged") and config.epochs > progress.epoch


def continued_run(run: dict[str, Any] | None, data_key: str, config: sgdcore.TrainConfig,
                  problem: Any) -> sgdcore.Progress | None:
    """The saved run's last snapshot if **Train** with ``config`` continues it, else ``None`` (a new run).

    Large data on a cluster (``problem.on_cluster``) trains on the workers, whose runs continue only with the
    settings they had.
    """
    if run is None or not _continues(run, data_key, config, problem):
        return None
    return run["progress"]


def why_new(run: dict[str, Any], data_key: str, config: sgdcore.TrainConfig, problem: Any) -> str:
    """Why **Train** starts a new run rather than continue ``run`` (which it does not continue)."""
    if not trained_on(run["key"], data_key):
        return "the data changed"
    if getattr(problem, "on_cluster", False):
        return "on large data a run continues only with the settings it had"
    fixed = fixed_changes(run["config"], config)
    if fixed:
        return f"the {' and '.join(FIXED_WORDS.get(name, name) for name in fixed)} changed"
    if run["progress"].status == "diverged":
        return "the run diverged"
    return "the run has done the epochs set: raise the epochs to continue it instead"


def changes_text(run: dict[str, Any], config: sgdcore.TrainConfig) -> str:
    """The changes of settings since ``run`` was trained, in words ("" if none that a run records)."""
    return "; ".join(describe_changes(run["config"], config))


def pending_text(run: dict[str, Any], data_key: str, config: sgdcore.TrainConfig, problem: Any) -> str:
    """What **Train** will do now that the sidebar's settings differ from the run's."""
    if _continues(run, data_key, config, problem):
        changed, progress = changes_text(run, config), run["progress"]
        waits = (" The new batch size starts with the next epoch: the epoch under way ends in the minibatches it "
                 "began with." if progress.batch_in_epoch > 0 and run["config"].batch_size != config.batch_size else "")
        return (f"The settings changed since this run{f' ({changed})' if changed else ''}: **Train** continues it "
                f"with them from step {progress.step:,}, keeping its weights, velocity and history.{waits} "
                "**Reset** first to start a new run instead.")
    why = why_new(run, data_key, config, problem)
    return f"The settings changed since this run: **Train** starts a new run with them ({why}). Shown: the last run."


def how_text(run: dict[str, Any] | None, resume_from: sgdcore.Progress | None, data_key: str,
             config: sgdcore.TrainConfig, problem: Any) -> str | None:
    """What a click on **Train** did, for a caption under the run: continued (from which step, with what changes)
    or started afresh (and why), or ``None`` for a first run, which needs no words."""
    if resume_from is not None:
        changed = changes_text(run, config) if run is not None else ""
        with_what = (f" with the new settings: {changed}; the loss chart marks the change with a dotted line"
                     if changed else "")
        return f"Continued the run from step {resume_from.step:,}{with_what}."
    if run is None or not trained_on(run["key"], data_key):
        return None
    return f"Started a new run: {why_new(run, data_key, config, problem)}."

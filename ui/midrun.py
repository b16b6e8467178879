"""The Train page's settings changed part-way: whether **Train** continues the run or starts a new one, and the
words that tell the user which.

A run continues (``sgdcore.train(..., state=...)``, :mod:`sgdcore.changes`) when it was trained on the same data
(data, standardisation and test fraction make the page's data key) with the same seed and sampling, and it has
steps left: it was stopped, or it finished and the epochs were raised. Anything else starts a new run.
The words come from the ``[runner]`` region of the catalogues, in the page's language; a change of settings is
worded by :func:`ui.charts.change_phrases`, as the loss chart's rules word it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sgdcore
from sgdcore.changes import fixed_changes
from ui.charts import change_phrases
from ui.i18n import t
from ui.widgets import trained_on


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


def _reason(run: dict[str, Any], data_key: str, config: sgdcore.TrainConfig,
            problem: Any) -> tuple[str, tuple[str, ...]]:
    """Why **Train** starts a new run rather than continue ``run``: a reason's name (``runner.why_new.*``), and the
    settings that a continued run must keep and that changed, if that is the reason."""
    if not trained_on(run["key"], data_key):
        return "data", ()
    if getattr(problem, "on_cluster", False):
        return "large_data", ()
    fixed = fixed_changes(run["config"], config)
    if fixed:
        return "fixed", fixed
    return ("diverged" if run["progress"].status == "diverged" else "done"), ()


def _reason_text(reason: str, fixed: tuple[str, ...]) -> str:
    # The sidebar's words for the settings a continued run must keep (sgdcore.changes.FIXED).
    names = t("runner.and").join(t(f"runner.fixed.{name}") for name in fixed)
    return t(f"runner.why_new.{reason}", settings=names)


def why_new(run: dict[str, Any], data_key: str, config: sgdcore.TrainConfig, problem: Any) -> str:
    """Why **Train** starts a new run rather than continue ``run`` (which it does not continue)."""
    return _reason_text(*_reason(run, data_key, config, problem))


def changes_text(run: dict[str, Any], config: sgdcore.TrainConfig) -> str:
    """The changes of settings since ``run`` was trained, in words ("" if none that a run records)."""
    return t("runner.change_separator").join(change_phrases(run["config"], config))


def pending_text(run: dict[str, Any], data_key: str, config: sgdcore.TrainConfig, problem: Any) -> str:
    """What **Train** will do now that the sidebar's settings differ from the run's."""
    changes = changes_text(run, config)
    changed = t("runner.pending.changed", changes=changes) if changes else ""
    if _continues(run, data_key, config, problem):
        progress = run["progress"]
        waits = (t("runner.pending.batch_size_waits")
                 if progress.batch_in_epoch > 0 and run["config"].batch_size != config.batch_size else "")
        return t("runner.pending.continues", changed=changed, step=progress.step, waits=waits)
    return t("runner.pending.new_run", changed=changed, why=why_new(run, data_key, config, problem))


@dataclass(frozen=True)
class How:
    """What a click on **Train** did, kept with the run and worded where it is drawn (:func:`how_words`), in the
    page's language of the moment: continued from ``step`` (``before`` → ``config``: the changes), or started a new
    run (``step`` None) for ``reason`` (``fixed``: the settings that changed).

    A run continued where early stopping had ended it (``after_early_stop``), or past the epochs set (``past``: those
    epochs, 0 if not), says so: its epochs and its end are not what the sidebar alone would make of them."""

    config: sgdcore.TrainConfig
    step: int | None = None
    before: sgdcore.TrainConfig | None = None
    reason: str = ""
    fixed: tuple[str, ...] = ()
    after_early_stop: bool = False
    past: int = 0


def how_of(run: dict[str, Any] | None, resume_from: sgdcore.Progress | None, data_key: str,
           config: sgdcore.TrainConfig, problem: Any, epochs_set: int | None = None) -> How | None:
    """What a click on **Train** did: continued (from which step, with what changes) or started afresh (and why),
    or ``None`` for a first run, which needs no words. ``epochs_set``: the sidebar's epochs, if ``config`` may train
    past them."""
    if resume_from is not None:
        past = epochs_set if epochs_set is not None and config.epochs > epochs_set else 0
        return How(config, step=resume_from.step, before=None if run is None else run["config"],
                   after_early_stop=resume_from.status == "converged", past=past)
    if run is None or not trained_on(run["key"], data_key):
        return None
    reason, fixed = _reason(run, data_key, config, problem)
    return How(config, reason=reason, fixed=fixed)


def how_words(how: How) -> str:
    """:class:`How` in words, for a caption under the run."""
    if how.step is None:
        return t("runner.how.new_run", why=_reason_text(how.reason, how.fixed))
    changed = "" if how.before is None else t("runner.change_separator").join(change_phrases(how.before, how.config))
    words = (t("runner.how.continued_with", step=how.step, changes=changed) if changed
             else t("runner.how.continued", step=how.step))
    if how.after_early_stop and how.config.tol is not None:
        words += t("runner.how.after_early_stop", tol=how.config.tol, patience=how.config.n_iter_no_change)
    if how.past:
        words += t("runner.how.past_epochs", epochs=how.past, total=how.config.epochs)
    return words


def how_text(run: dict[str, Any] | None, resume_from: sgdcore.Progress | None, data_key: str,
             config: sgdcore.TrainConfig, problem: Any) -> str | None:
    """:func:`how_of` in words."""
    how = how_of(run, resume_from, data_key, config, problem)
    return None if how is None else how_words(how)

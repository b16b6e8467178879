"""The Train page's settings changed part-way: whether **Train** continues the run or starts a new one, and the
words that tell the user which.

A run continues (``sgdcore.train(..., state=...)``, :mod:`sgdcore.changes`) when it was trained on the same data
(data, standardisation and test fraction make the page's data key) with the same seed and sampling, and it has
steps left: it was stopped, or it finished and the epochs were raised. Anything else starts a new run.
The words come from the ``[runner]`` region of the catalogues, in the page's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sgdcore
from sgdcore.changes import changed_settings, fixed_changes
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


def schedule_text(schedule: sgdcore.Schedule) -> str:
    """A schedule in a few words, in the page's language: "constant", "step ×0.5 every 80 steps", … (the
    words of ``sgdcore.changes.describe_schedule`` in English)."""
    kind = schedule.kind if schedule.kind in ("step", "exponential", "inverse_scaling", "cosine") else "constant"
    period = (t("runner.schedule.whole_run") if schedule.period_steps is None
              else t("runner.schedule.period", steps=schedule.period_steps))
    words = t(f"runner.schedule.{kind}", gamma=schedule.gamma, step_size=schedule.step_size,
              power_t=schedule.power_t, period=period, min_factor=schedule.min_factor)
    return t("runner.schedule.warmup", schedule=words, steps=schedule.warmup_steps) if schedule.warmup_steps else words


def _value_text(name: str, value: Any) -> str:
    if name == "schedule":
        return schedule_text(value)
    if name == "nesterov":
        return t("runner.on" if value else "runner.off")
    return f"{value:g}" if isinstance(value, float) else f"{value}"


def change_phrases(before: sgdcore.TrainConfig, after: sgdcore.TrainConfig) -> tuple[str, ...]:
    """What differs between two configs in the settings a run records (``sgdcore.changes.RECORDED``), one phrase
    each, in the page's language: ("learning rate 0.03 → 0.1", …), as ``sgdcore.changes.describe_changes``."""
    return tuple(t("runner.change", setting=t(f"runner.setting.{name}"),
                   before=_value_text(name, getattr(before, name)), after=_value_text(name, getattr(after, name)))
                 for name in changed_settings(before, after))


def changes_text(run: dict[str, Any], config: sgdcore.TrainConfig) -> str:
    """The changes of settings since ``run`` was trained, in words ("" if none that a run records)."""
    return t("runner.change_separator").join(change_phrases(run["config"], config))


def pending_text(run: dict[str, Any], data_key: str, config: sgdcore.TrainConfig, problem: Any) -> str:
    """What **Train** will do now that the sidebar's settings differ from the run's."""
    if _continues(run, data_key, config, problem):
        changed, progress = changes_text(run, config), run["progress"]
        waits = (t("runner.pending.batch_size_waits")
                 if progress.batch_in_epoch > 0 and run["config"].batch_size != config.batch_size else "")
        return t("runner.pending.continues", changed=t("runner.pending.changed", changes=changed) if changed else "",
                 step=progress.step, waits=waits)
    return t("runner.pending.new_run", why=why_new(run, data_key, config, problem))


@dataclass(frozen=True)
class How:
    """What a click on **Train** did, kept with the run and worded where it is drawn (:func:`how_words`), in the
    page's language of the moment: continued from ``step`` (``before`` → ``config``: the changes), or started a new
    run (``step`` None) for ``reason`` (``fixed``: the settings that changed)."""

    config: sgdcore.TrainConfig
    step: int | None = None
    before: sgdcore.TrainConfig | None = None
    reason: str = ""
    fixed: tuple[str, ...] = ()


def how_of(run: dict[str, Any] | None, resume_from: sgdcore.Progress | None, data_key: str,
           config: sgdcore.TrainConfig, problem: Any) -> How | None:
    """What a click on **Train** did: continued (from which step, with what changes) or started afresh (and why),
    or ``None`` for a first run, which needs no words."""
    if resume_from is not None:
        return How(config, step=resume_from.step, before=None if run is None else run["config"])
    if run is None or not trained_on(run["key"], data_key):
        return None
    reason, fixed = _reason(run, data_key, config, problem)
    return How(config, reason=reason, fixed=fixed)


def how_words(how: How) -> str:
    """:class:`How` in words, for a caption under the run."""
    if how.step is None:
        return t("runner.how.new_run", why=_reason_text(how.reason, how.fixed))
    changed = "" if how.before is None else t("runner.change_separator").join(change_phrases(how.before, how.config))
    if changed:
        return t("runner.how.continued_with", step=how.step, changes=changed)
    return t("runner.how.continued", step=how.step)


def how_text(run: dict[str, Any] | None, resume_from: sgdcore.Progress | None, data_key: str,
             config: sgdcore.TrainConfig, problem: Any) -> str | None:
    """:func:`how_of` in words."""
    how = how_of(run, resume_from, data_key, config, problem)
    return None if how is None else how_words(how)

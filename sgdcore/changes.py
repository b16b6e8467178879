"""Changing a run's settings part-way: which settings a run continues with, and the words for a change.

``sgdcore.train(data, config, state=progress.state)`` continues a run with a ``config`` that may differ from the
one it was trained with (``progress.state.config``). The weights, the bias, the velocity, the step count and the
histories carry over; what changes takes effect as follows.

- **Learning rate, momentum, dampening, Nesterov, weight decay, L1 penalty**: from the next step. The velocity
  carries over as it is: a run that had no momentum has a velocity of zero, so momentum switched on part-way
  starts from ``v = (1 − dampening)·g``, as a fresh ``torch.optim.SGD`` buffer does (``v = g``) when
  ``dampening = 0``; momentum switched off leaves the velocity untouched until it is switched on again.
- **Schedule**: a schedule is a function of the run's step count, and that count continues: the new schedule
  is read at the run's step, as if it had been the schedule from the start. A step decay every 100 steps set at
  step 250 starts at ``gamma²``; a cosine over the whole run is stretched over the new number of epochs.
- **Batch size**: from the next epoch. An epoch's rows are drawn in one order at its start and cut into
  minibatches of one size, so a run stopped inside an epoch finishes that epoch with the batch size it began with
  (its remaining minibatches are those it would have had), then cuts the next epochs into the new size.
- **Epochs, tol, n_iter_no_change, divergence_factor, backend, n_threads**: any time, and not recorded as changes:
  they decide when the run ends and how fast it goes, not what a step does.
- **Seed, init, init_scale, shuffle, block_size, drop_last**: fixed. They decide where the run began and how its
  epochs are drawn; continuing with others raises :class:`~sgdcore.errors.ConfigError`: start a new run instead.

Each recorded change is a ``(step, description)`` pair in ``Progress.changes``: the steps taken before the new
settings applied, and, e.g., ``"learning rate 0.03 → 0.1"``.
"""

from __future__ import annotations

from typing import Any

from sgdcore.errors import ConfigError

# The fields a continued run must keep, and those whose changes are recorded, with the words for each.
FIXED = ("seed", "init", "init_scale", "shuffle", "block_size", "drop_last")
RECORDED = {
    "learning_rate": "learning rate", "schedule": "schedule", "batch_size": "batch size", "momentum": "momentum",
    "dampening": "dampening", "nesterov": "Nesterov", "weight_decay": "weight decay", "l1_penalty": "L1 penalty",
}


def fixed_changes(before: Any, after: Any) -> tuple[str, ...]:
    """The fields of :data:`FIXED` in which the :class:`~sgdcore.TrainConfig` ``after`` differs from ``before``."""
    return tuple(name for name in FIXED if getattr(before, name) != getattr(after, name))


def check_continuable(before: Any, after: Any) -> None:
    """Raise :class:`~sgdcore.errors.ConfigError` if a run trained with ``before`` cannot continue with ``after``.

    Raises
    ------
    ConfigError
        If a field of :data:`FIXED` differs, naming it and both values.
    """
    fixed = fixed_changes(before, after)
    if fixed:
        what = ", ".join(f"{name} {getattr(before, name)!r} → {getattr(after, name)!r}" for name in fixed)
        raise ConfigError(
            f"Cannot continue the run with another {' or '.join(fixed)} ({what}): it decides where the run began "
            "or how its epochs are drawn. Start a new run (state=None), or keep the run's value.",
            "fixed_setting_changed", parameters=fixed, before={name: getattr(before, name) for name in fixed},
            after={name: getattr(after, name) for name in fixed},
        )


def describe_schedule(schedule: Any) -> str:
    """A :class:`~sgdcore.Schedule` in a few words: ``"constant"``, ``"step ×0.5 every 80 steps"``, …"""
    kind = schedule.kind
    if kind == "step":
        words = f"step ×{schedule.gamma:g} every {schedule.step_size:,} steps"
    elif kind == "exponential":
        words = f"exponential ×{schedule.gamma:g} per {schedule.step_size:,} steps"
    elif kind == "inverse_scaling":
        words = f"inverse scaling, power {schedule.power_t:g}"
    elif kind == "cosine":
        period = "the run" if schedule.period_steps is None else f"{schedule.period_steps:,} steps"
        words = f"cosine over {period} to ×{schedule.min_factor:g}"
    else:
        words = "constant"
    return f"{words}, warm-up {schedule.warmup_steps:,} steps" if schedule.warmup_steps else words


def _words(name: str, value: Any) -> str:
    if name == "schedule":
        return describe_schedule(value)
    if name == "nesterov":
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else f"{value}"


def changed_settings(before: Any, after: Any) -> tuple[str, ...]:
    """The fields of :data:`RECORDED` that differ between two configs in what a step does, in that order: a
    schedule changes when its effect does (:meth:`~sgdcore.schedules.Schedule.effect`), not when a field its
    kind does not read does."""
    def effect(config: Any, name: str) -> Any:
        value = getattr(config, name)
        return value.effect() if name == "schedule" else value

    return tuple(name for name in RECORDED if effect(before, name) != effect(after, name))


def describe_changes(before: Any, after: Any) -> tuple[str, ...]:
    """What differs between two configs in the fields of :data:`RECORDED` (:func:`changed_settings`), one phrase
    each, in that order: ``("learning rate 0.03 → 0.1", "momentum 0 → 0.9")``; empty if nothing does."""
    return tuple(f"{RECORDED[name]} {_words(name, getattr(before, name))} → {_words(name, getattr(after, name))}"
                 for name in changed_settings(before, after))

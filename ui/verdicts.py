"""What the dashboard says about a learning rate before training and about a run after it, in one place.

``sgdcore.diagnosis`` judges (typed results, no sentences); this module words its results and offers each
suggested setting as a button that applies it, but for one a classroom link fixes, which it names instead. Every
sentence the pages show about limits and outcomes is here, worded from the ``[verdicts]`` region of the catalogues
(``ui/locales``) in the page's language. Every number a message asks the user to set is one the dashboard can set:
a learning rate within the slider's range, at most :data:`MAX_EPOCHS` epochs.

The limits and noise floors are cached per data and per setting that changes them (not the learning rate,
for the limits): computing one costs 0.2–0.8 s, and the sidebar asks for it on every rerun.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import streamlit as st

import sgdcore
from sgdcore.diagnosis import ARRIVED, NEAR_LIMIT
from ui.classroom import control_label, shown, value_text
from ui.conditioning import kappa_text
from ui.i18n import t, tn
from ui.settings import BY_KEY, schedule_controls
from ui.settings import value as setting_value

Tone = Literal["success", "info", "warning", "error"]

# The learning rates the dashboard sets: a share link's bounds, and the slider's first and last options
# (ui.widgets.LEARNING_RATE_GRID)
MIN_RATE = BY_KEY["learning_rate"].low
MAX_RATE = BY_KEY["learning_rate"].high
MAX_EPOCHS = BY_KEY["epochs"].high
# From this condition number on, the flattest direction is what keeps a run from arriving.
ILL_CONDITIONED = 100.0


@dataclass(frozen=True)
class Message:
    """A text to show, how (``st.success``, ``st.info``, ``st.warning`` or ``st.error``), and the settings it
    suggests, each offered as a button."""

    tone: Tone
    text: str
    suggestions: tuple[sgdcore.Suggestion, ...] = ()


# Limits and noise floors, cached


def _settings_key(config: sgdcore.TrainConfig) -> tuple:
    """What the limits and the noise floor depend on besides the data and the rate (``sgdcore.limit_settings``):
    not the schedule or the epochs."""
    return config.batch_size, *sorted(sgdcore.limit_settings(config).items())


# The spinners are drawn by the callers, in the page's language; Streamlit shows them only past half a second,
# so a cached result shows none.
@st.cache_resource(max_entries=64, show_spinner=False)
def _cached_limits(_problem: sgdcore.Problem, data_key: str, settings: tuple,
                   _config: sgdcore.TrainConfig) -> sgdcore.Limits:
    return sgdcore.run_limits(_problem, _config)


def limits_for(problem: sgdcore.Problem, data_key: str, config: sgdcore.TrainConfig) -> sgdcore.Limits:
    """The stability limits of ``config`` on ``problem`` (the data ``data_key`` names), computed once; large data
    on a cluster (``problem.on_cluster``) gives its own, from its statistics."""
    if getattr(problem, "on_cluster", False):
        return problem.limits(config)
    with st.spinner(t("verdicts.computing_limit")):
        return _cached_limits(problem, data_key, _settings_key(config), config)


@st.cache_resource(max_entries=64, show_spinner=False)
def _cached_floor(_problem: sgdcore.Problem, data_key: str, learning_rate: float, settings: tuple,
                  _config: sgdcore.TrainConfig) -> sgdcore.NoiseFloor | None:
    return sgdcore.noise_floor(_problem.train, learning_rate, _config.batch_size,
                               **sgdcore.limit_settings(_config, l1=False))


def noise_floor_for(problem: sgdcore.Problem, data_key: str, config: sgdcore.TrainConfig,
                    limits: sgdcore.Limits) -> sgdcore.NoiseFloor | None:
    """Where a run of ``config`` is expected to hover, or None: only for a constant rate below the limit
    without an L1 penalty (whose push never fades), and for data small enough for the exact computation."""
    if getattr(problem, "on_cluster", False):  # the floor needs every row's fourth moments
        return None
    if (not config.schedule.constant_rate or config.l1_penalty
            or config.learning_rate >= limits.minibatch.learning_rate):
        return None
    with st.spinner(t("verdicts.computing_floor")):
        return _cached_floor(problem, data_key, config.learning_rate, _settings_key(config), config)


def diagnosis_of(saved: MutableMapping[str, Any], problem: sgdcore.Problem, config: sgdcore.TrainConfig,
                 progress: sgdcore.Progress, limits: sgdcore.Limits) -> sgdcore.Diagnosis:
    """``sgdcore.diagnose`` of a run that ended, kept in ``saved`` (the run's entry in the session) so that
    a rerun of the page does not judge it again."""
    mark = (progress.step, progress.status, progress.epochs)
    if saved.get("diagnosis_of") != mark:
        on_cluster = getattr(problem, "on_cluster", False)  # large data: judged from its statistics
        saved["diagnosis"] = (problem.diagnose(config, progress, limits) if on_cluster
                              else sgdcore.diagnose(problem, config, progress, limits))
        saved["diagnosis_of"] = mark
    return saved["diagnosis"]


# Numbers as the messages write them


def _rate(value: float) -> str:
    return f"{value:.3g}"


def _percent(fraction: float) -> str:
    """A distance in percent, to two digits; more where those would write 1%, the distance a run must come within
    (1.03% away is far: "1% away" would not say so)."""
    if fraction >= 0.1:
        return f"{fraction:.0%}"
    return f"{Ratio(100 * fraction):.2g}%"


def _count(value: float) -> str:
    return f"{value:,.0f}"


def steepest_curvature(config: sgdcore.TrainConfig, limit: sgdcore.StabilityLimit) -> float:
    """``λ_max`` of the Hessian (weight decay's included), read off the full-batch limit of ``config``'s settings
    (:func:`sgdcore.stability_limit` is a constant over λ_max); 0 when that limit is infinite."""
    if not math.isfinite(limit.full_batch) or limit.full_batch <= 0:
        return 0.0
    return sgdcore.stability_limit(1.0, config.momentum, config.dampening, config.nesterov) / limit.full_batch


def mean_swings(config: sgdcore.TrainConfig, limit: sgdcore.StabilityLimit) -> bool:
    """Whether the run's mean (full-batch descent from its start) swings from side to side in its steepest
    direction at ``config``'s rate: ``ηλ_max > 1`` for plain SGD (:func:`sgdcore.no_swing_limit` with momentum).
    Minibatch noise adds nothing to the mean's swing: near a minibatch limit below that rate no direction swings,
    and the noise is what grows."""
    return config.learning_rate > sgdcore.no_swing_limit(steepest_curvature(config, limit), config.momentum,
                                                         config.dampening, config.nesterov)


def _where(limit: sgdcore.StabilityLimit) -> str:
    """Whose limit a message cites: "the full batch" or "batch size 10", in the page's language."""
    if limit.full_batch_run:
        return t("verdicts.where_full_batch")
    return t("verdicts.where_batch_size", batch_size=limit.batch_size)


def _kappa(kappa: float) -> str:
    return kappa_text(kappa) if math.isfinite(kappa) else t("verdicts.infinite")


def settable_rate(value: float | None) -> bool:
    """Whether a suggested learning rate is one the dashboard can set (and a share link carry)."""
    return value is not None and math.isfinite(value) and MIN_RATE <= value <= MAX_RATE


def settable_suggestions(suggestions: tuple[sgdcore.Suggestion, ...]) -> tuple[sgdcore.Suggestion, ...]:
    """The suggestions the dashboard can apply: rates within the slider's range, epochs at most its maximum."""
    usable = []
    for suggestion in suggestions:
        if suggestion.setting == "learning_rate" and not settable_rate(float(suggestion.value)):
            continue
        if suggestion.learning_rate is not None and not settable_rate(suggestion.learning_rate):
            continue
        if suggestion.setting == "epochs" and suggestion.value > MAX_EPOCHS:
            suggestion = sgdcore.Suggestion("epochs", MAX_EPOCHS)
        usable.append(suggestion)
    return tuple(usable)


# What a classroom link leaves to the student


def left_to_student(suggestion: sgdcore.Suggestion) -> bool:
    """Whether the student may apply ``suggestion``: a classroom link (ui.classroom) fixes the settings whose
    controls it hides, and no button may change them behind the teacher's back. Without such a link, always."""
    return all(shown(st.session_state, setting) for setting in suggested_settings(suggestion))


def _those_left_to_student(suggestions: tuple[sgdcore.Suggestion, ...]) -> tuple[sgdcore.Suggestion, ...]:
    return tuple(suggestion for suggestion in suggestions if left_to_student(suggestion))


def _value_text(key: str, value: Any) -> str:
    """A setting's value as the classroom notice says it, but a count with its thousands separated, as the
    messages around it write them (10,000 epochs)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return value_text(key, value)


def _fixed_by_link_text(suggestions: tuple[sgdcore.Suggestion, ...]) -> str:
    """The settable ``suggestions`` a classroom link keeps from the student, in words: the settings it fixes, at
    what, and what would help; "" if there are none. Said, not offered, so that the advice stays true."""
    state = st.session_state
    fixes = dict.fromkeys(  # two suggestions may need the same fixed setting
        t("verdicts.link_fix", setting=control_label(key), now=_value_text(key, setting_value(state, key)),
          wanted=_value_text(key, wanted))
        for suggestion in settable_suggestions(suggestions) if not left_to_student(suggestion)
        for key, wanted in suggested_settings(suggestion).items() if not shown(state, key))
    if not fixes:
        return ""
    return t("verdicts.link_fixes", fixes=t("verdicts.help_separator").join(fixes))


def goes_further(levers: tuple[str, ...]) -> str:
    """The sentence that ends a noise floor's explanation: which of the settings ``levers`` (``"learning_rate"``,
    ``"batch_size"``, ``"schedule"``, ``"momentum"``) take SGD closer, leaving out those a classroom link fixes, which
    the student cannot change; "" when it fixes them all."""
    named = [t(f"verdicts.further.{key}") for key in levers if shown(st.session_state, key)]
    if not named:
        return ""
    listed = either(named)
    return t("verdicts.further.sentence", levers=listed[0].upper() + listed[1:])


def either(named: list[str]) -> str:
    """``named`` as alternatives in the page's language: "a, b or c"."""
    return t("verdicts.list_separator").join(named[:-1]) + t("verdicts.further.or") + named[-1] \
        if len(named) > 1 else named[0]


def _offered(tone: Tone, text: str, suggestions: tuple[sgdcore.Suggestion, ...]) -> Message:
    """``text`` with the settable ``suggestions`` as buttons, but for those a classroom link keeps from the
    student, which the text names instead."""
    offered = _those_left_to_student(settable_suggestions(suggestions))
    return Message(tone, text + _fixed_by_link_text(suggestions), offered)


# Before training


@st.cache_resource(max_entries=16, show_spinner=False)
def _cached_penalised_optimum(_problem: sgdcore.Problem, data_key: str, l1: float, decay: float,
                              _config: sgdcore.TrainConfig) -> np.ndarray:
    return sgdcore.penalised_optimum(_problem, _config)


def l1_keeps_weights_moving(problem: sgdcore.Problem, data_key: str, config: sgdcore.TrainConfig,
                            rate: float) -> bool | None:
    """Whether ``config``'s L1 penalty keeps the weights from settling at ``rate`` (``sgdcore.carried_across_zero``);
    the others settle at the optimum the penalty moved. None where the optimum needs rows not in memory."""
    if not config.l1_penalty:
        return False
    if getattr(problem, "on_cluster", False):
        return None
    return bool(sgdcore.carried_across_zero(problem, config, _penalised_optimum(problem, data_key, config), rate))


def _penalised_optimum(problem: sgdcore.Problem, data_key: str, config: sgdcore.TrainConfig) -> np.ndarray:
    """``sgdcore.penalised_optimum``, computed once for the data ``data_key`` names (each time without one)."""
    if not data_key:
        return sgdcore.penalised_optimum(problem, config)
    return _cached_penalised_optimum(problem, data_key, config.l1_penalty, config.weight_decay, config)


def limit_text(limits: sgdcore.Limits, config: sgdcore.TrainConfig, l1_moving: bool | None = None) -> str:
    """The limit for the batch size in use beside the full-batch one, saying when it is a bound; with an L1
    penalty, whether its push keeps the weights moving (``l1_moving``, :func:`l1_keeps_weights_moving`)."""
    limit = limits.minibatch
    extras = [t(f"verdicts.extra.{name}") for name, on in (
        ("momentum", config.momentum > 0), ("nesterov", config.nesterov), ("weight_decay", config.weight_decay > 0))
        if on]
    settings = t("verdicts.with_settings", settings=t("verdicts.list_separator").join(extras)) if extras else ""
    numbers = {"rate": _rate(limit.learning_rate), "full_batch": _rate(limit.full_batch), "settings": settings,
               "batch_size": limit.batch_size}
    if limit.full_batch_run:
        text = t("verdicts.limit.full_batch", n_rows=limit.n_rows, **numbers)
    elif limit.kind == "lower_bound":
        text = t("verdicts.limit.lower_bound", **numbers)
    else:
        text = t("verdicts.limit.minibatch", **numbers)
    if limit.l1_ignored:
        text += t("verdicts.limit.l1_ignored" + {True: "", False: "_settles", None: "_unknown"}[l1_moving])
    return text


class Ratio(float):
    """A rate's ratio to a limit, written with the digits its text asks for, and more where those would round it to
    1: 1.9 is "1.03×" the limit 1.84, above it, where "1×" would not say on which side of the limit it is. A ratio
    too large for those digits is written whole up to a million ("398×", not "4e+02×"); beyond, in powers of ten
    ("4.3e+16×", not seventeen digits the limit does not hold)."""

    def __format__(self, spec: str) -> str:
        text = super().__format__(spec)
        if "e+" in text and float(self) < 1e6:
            return f"{float(self):,.0f}"
        digits = 3
        while self != 1.0 and float(text.rstrip("%")) == 1.0 and digits <= 17:
            text = format(float(self), f".{digits}g")
            digits += 1
        return text


def rate_check(check: sgdcore.RateCheck, config: sgdcore.TrainConfig) -> Message:
    """The learning rate against the limits, before training: a warning when it is above or near the limit."""
    limit = check.limits.minibatch
    numbers = {"rate": check.learning_rate, "ratio": Ratio(check.ratio), "limit": _rate(limit.learning_rate),
               "full_batch": _rate(limit.full_batch), "where": _where(limit)}
    if check.crossed == "full_batch":
        key = "full_batch" if limit.full_batch_run else "full_batch_and_minibatch"
        text = t(f"verdicts.rate.{key}", full_ratio=Ratio(check.learning_rate / limit.full_batch), **numbers)
        below = None if config.schedule.constant_rate else steps_above(config, limit.n_rows, limit.full_batch)
        if below is not None:  # a decaying schedule takes the rate below the limit before the run ends
            text = t(f"verdicts.rate.{key}_lowered", full_ratio=Ratio(check.learning_rate / limit.full_batch),
                     step=below + 1, **numbers)  # steps counted from 1, as the progress bar counts them
        return _with_fixes("warning", text, check.limits, check.suggestions)
    if check.crossed == "minibatch":
        key = "above_lower_bound" if limit.kind == "lower_bound" else "minibatch"
        return _with_fixes("warning", t(f"verdicts.rate.{key}", **numbers), check.limits, check.suggestions)
    if check.near_limit:
        half = sgdcore.round_down(0.5 * limit.learning_rate)
        suggestion = (sgdcore.Suggestion("learning_rate", half),) if settable_rate(half) else ()
        # The limit is for independent minibatches; an epoch's minibatches are drawn without replacement, and with
        # heavy momentum (two halves of the rows an epoch, μ = 0.9) runs at 0.94× the limit diverged, every seed.
        momentum = t("verdicts.rate.near_momentum") if config.momentum > 0 and limit.batch_size < limit.n_rows else ""
        # A decaying schedule takes the rate out of the swinging zone: from which step, counted from 1
        calmer = None if config.schedule.constant_rate else steps_above(config, limit.n_rows,
                                                                        NEAR_LIMIT * limit.learning_rate)
        # Near a minibatch limit below the rate where the mean starts to swing, the noise is what grows
        which = "near" if mean_swings(config, limit) else "near_noisy"
        numbers["product"] = config.learning_rate * steepest_curvature(config, limit)
        near = t(f"verdicts.rate.{which}", **numbers) if calmer is None else t(f"verdicts.rate.{which}_lowered",
                                                                                 step=calmer + 1, **numbers)
        text = near + momentum + (t("verdicts.rate.half", half=half) if _those_left_to_student(suggestion) else "")
        return _offered("warning", text, suggestion)
    speed = t("verdicts.rate.slow") if check.ratio < 0.01 else ""
    key = "stable_lower_bound" if limit.kind == "lower_bound" else "stable"
    return Message("info", t(f"verdicts.rate.{key}", speed=speed, **numbers))


@st.cache_resource(max_entries=64, show_spinner=False)
def _cached_outlook(_problem: sgdcore.Problem, data_key: str, config_key: str, _config: sgdcore.TrainConfig,
                    _limits: sgdcore.Limits) -> sgdcore.Outlook | None:
    return sgdcore.outlook(_problem, _config, _limits)


def outlook_for(problem: sgdcore.Problem, data_key: str, config: sgdcore.TrainConfig,
                limits: sgdcore.Limits) -> sgdcore.Outlook | None:
    """``sgdcore.outlook`` of a run of ``config`` (the data ``data_key`` names), computed once; large data on a cluster
    (``problem.on_cluster``) gives its own, from its statistics."""
    if getattr(problem, "on_cluster", False):
        return problem.outlook(config, limits)
    return _cached_outlook(problem, data_key, str(config), config, limits)


def planned_run_check(problem: sgdcore.Problem, config: sgdcore.TrainConfig, limits: sgdcore.Limits,
                      data_key: str = "") -> Message | None:
    """Before training, what keeps a stable run from arriving: an L1 push that carries a weight across 0 and back
    (it will not settle), or too few epochs for the condition number at this rate (it will end far away), with what
    would help, as the verdict after such a run says it (``sgdcore.diagnose``: the push more than 1% of the size of
    the optimum the penalty moves the run to, which holds a weight within the push of 0)."""
    rate = config.learning_rate
    push = rate * config.l1_penalty
    if push > 0 and not getattr(problem, "on_cluster", False):
        optimum = _penalised_optimum(problem, data_key, config)
        scale = float(np.linalg.norm(optimum))
        bouncing = sgdcore.carried_across_zero(problem, config, optimum, rate)
        if bouncing and push > ARRIVED * scale:
            below = sgdcore.round_down(ARRIVED * scale / rate)
            return _offered("warning", t(
                "verdicts.planned.l1", l1=config.l1_penalty, rate=rate, push=push, scale=scale, below=below,
                weights=t("verdicts.list_separator").join(f"{name} = {weight:.3g}" for name, weight in bouncing)),
                (sgdcore.Suggestion("l1_penalty", below),))
    outlook = outlook_for(problem, data_key, config, limits)
    if outlook is None or outlook.arrives:
        return None
    if outlook.noise_floor is not None:  # the run's mean arrives; the noise at the rate it ends at does not
        return _offered("warning", _planned_noise_text(problem, config, limits, outlook),
                        settable_suggestions(outlook.suggestions))
    kappa = limits.condition_number
    why = t("verdicts.planned.why_kappa", kappa=_kappa(kappa)) if kappa >= ILL_CONDITIONED else ""
    if math.isinf(outlook.epochs_needed):  # a schedule whose rate decays before the run arrives
        text = t("verdicts.planned.decays", rate=rate, arrived=ARRIVED, horizon=sgdcore.HORIZON_EPOCHS)
    else:
        needed = math.ceil(outlook.epochs_needed)
        text = t(f"verdicts.planned.few_epochs.{outlook.epochs_needed_from}", why=why, rate=rate,
                 per_step=outlook.per_step, needed=_count(needed), epochs=_epochs(config.epochs), arrived=ARRIVED)
        if needed > MAX_EPOCHS:
            text += t("verdicts.planned.beyond_max", max_epochs=MAX_EPOCHS)
    suggestions = settable_suggestions(outlook.suggestions)
    helps = [_help_text(suggestion, limits) for suggestion in _those_left_to_student(suggestions)
             if suggestion.setting != "epochs"]
    if helps:
        text += t("verdicts.far.helps", helps=t("verdicts.help_separator").join(helps))
    return _offered("warning", text, suggestions)


def _planned_noise_text(problem: sgdcore.Problem, config: sgdcore.TrainConfig, limits: sgdcore.Limits,
                        outlook: sgdcore.Outlook) -> str:
    """Before a run whose mean arrives in the epochs set: how far the noise at the rate it ends at keeps SGD (the
    rate its decaying schedule reaches, or its constant rate), and the controls that go further."""
    target = _run_target(problem, config)  # the floor is about the run's own optimum
    numbers = {"rate": outlook.floor_rate, "where": _where(limits.minibatch),
               "spread": _spread(outlook.noise_floor, target), "arrived": ARRIVED}
    plain = outlook.floor_without_momentum
    if config.schedule.kind != "constant":
        text = t("verdicts.planned.noise_schedule", **numbers)
        if plain is not None:  # plain SGD's mean arrives under this schedule too (sgdcore.Outlook)
            text += t("verdicts.planned.noise_schedule_without_momentum", momentum=config.momentum,
                      spread=_spread(plain, target), arrived=ARRIVED)
        return text + _schedule_levers(config, problem.train.n_rows, less_momentum=plain is not None)
    text = t("verdicts.planned.noise_constant", **numbers)
    if plain is not None:
        text += t("verdicts.planned.noise_without_momentum", momentum=config.momentum, spread=_spread(plain, target))
    larger_batch = ("batch_size",) if config.batch_size < problem.train.n_rows else ()
    return text + goes_further(("schedule", *larger_batch, *(("momentum",) if plain is not None else ())))


def _with_fixes(tone: Tone, text: str, limits: sgdcore.Limits, suggestions: tuple[sgdcore.Suggestion, ...]) -> Message:
    """A rate above the limit: ``text``, then what fixes it, in words and as buttons."""
    fixes = _settable_rate_fixes(limits, suggestions)
    return _offered(tone, text + _rate_fix_text(limits, _those_left_to_student(fixes)), fixes)


def _smallest_rate_instead(limits: sgdcore.Limits) -> bool:
    """Whether half the limit is below the smallest rate the dashboard sets, which is itself below the limit."""
    limit = limits.minibatch.learning_rate
    return sgdcore.round_down(0.5 * limit) < MIN_RATE < limit


def _settable_rate_fixes(limits: sgdcore.Limits,
                         suggestions: tuple[sgdcore.Suggestion, ...]) -> tuple[sgdcore.Suggestion, ...]:
    """``suggestions`` with half the limit, where the dashboard cannot set it, replaced by the smallest rate it sets
    if that is below the limit: stable, though not the fastest."""
    if not _smallest_rate_instead(limits):
        return suggestions
    return tuple(sgdcore.Suggestion("learning_rate", MIN_RATE) if suggestion.setting == "learning_rate" else suggestion
                 for suggestion in suggestions)


def _rate_fix_text(limits: sgdcore.Limits, suggestions: tuple[sgdcore.Suggestion, ...]) -> str:
    """What fixes a rate above the limit, in words: standardisation when the data's scale is the trouble,
    else a rate the slider can set: half the limit, or the slider's smallest rate where only that is below the limit
    (or why there is none)."""
    limit = limits.minibatch.learning_rate
    smallest = {"min_rate": MIN_RATE, "ratio": Ratio(MIN_RATE / limit)}
    parts = []
    for suggestion in suggestions:
        if suggestion.setting == "standardize" and limits.standardized is not None:
            limits_moved = {"before": _rate(limits.minibatch.learning_rate),
                            "after": _rate(limits.standardized.learning_rate)}
            if settable_rate(suggestion.learning_rate):
                parts.append(t("verdicts.fix.standardize_then", rate=suggestion.learning_rate, **limits_moved))
            else:
                parts.append(t("verdicts.fix.standardize", **limits_moved))
        elif suggestion.setting == "learning_rate":
            without = "_without_standardizing" if any(other.setting == "standardize" for other in suggestions) else ""
            if suggestion.value == MIN_RATE and _smallest_rate_instead(limits):
                near = t("verdicts.fix.smallest_rate_near") if MIN_RATE / limit > NEAR_LIMIT else ""
                parts.append(t(f"verdicts.fix.smallest_rate{without}", half=sgdcore.round_down(0.5 * limit),
                               near=near, **smallest))
            elif settable_rate(float(suggestion.value)):
                parts.append(t("verdicts.fix.learning_rate", rate=suggestion.value))
            else:
                parts.append(t(f"verdicts.fix.none{without}", **smallest))
    return "".join(parts)


# After training


def _speed(progress: sgdcore.Progress) -> str:
    return t("verdicts.speed", steps=tn("verdicts.steps", progress.step), seconds=progress.elapsed_seconds,
             steps_per_second=progress.steps_per_second)


def paused_text(progress: sgdcore.Progress, *, by_user: bool = False) -> str:
    """A run stopped by the user (``by_user``: a click interrupted it) or paused by Step: where it is, and how to
    go on. Worded from the snapshot's numbers, as sgdcore's own message says it in English."""
    numbers = {"step": progress.step, "epoch": progress.epoch, "epochs": progress.epochs,
               "epoch_under_way": progress.epoch + 1, "batch": progress.batch_in_epoch,
               "steps_per_epoch": progress.steps_per_epoch, "speed": _speed(progress)}
    inside = progress.batch_in_epoch > 0
    if by_user:
        return t("verdicts.stopped_inside" if inside else "verdicts.stopped_between", **numbers)
    return t("verdicts.paused_inside" if inside else "verdicts.paused_between", **numbers)


def _epochs(count: int) -> str:
    return tn("verdicts.epochs", count)


def _lead(progress: sgdcore.Progress, config: sgdcore.TrainConfig) -> str:
    speed = _speed(progress)
    if progress.status == "converged":  # by the early-stopping rule (tol, n_iter_no_change)
        return t("verdicts.converged", epochs=_epochs(progress.epoch), tol=config.tol,
                 n_iter_no_change=config.n_iter_no_change, speed=speed)
    return t("verdicts.finished", epochs=_epochs(progress.epochs), speed=speed)


def _target(diagnosis: sgdcore.Diagnosis) -> str:
    return t("verdicts.target.closed_form" if diagnosis.target == "closed_form" else "verdicts.target.penalised")


def _penalty_note(diagnosis: sgdcore.Diagnosis) -> str:
    if not diagnosis.penalty_shifts_optimum:
        return ""
    return t("verdicts.penalty_note")


def run_verdict(diagnosis: sgdcore.Diagnosis, progress: sgdcore.Progress, problem: sgdcore.Problem,
                config: sgdcore.TrainConfig) -> Message:
    """A run of ``config`` on ``problem`` that ended (finished, converged or diverged), judged: the status line
    of the Train page."""
    limits, limit = diagnosis.limits, diagnosis.limits.minibatch
    numbers = {"rate": diagnosis.learning_rate, "ratio": Ratio(diagnosis.ratio), "limit": _rate(limit.learning_rate),
               "full_batch": _rate(limit.full_batch), "where": _where(limit)}
    if diagnosis.verdict == "diverged":
        step = diagnosis.diverged_at_step
        if diagnosis.crossed == "full_batch":
            key = "diverged_full_batch" if limit.full_batch_run else "diverged_full_batch_and_minibatch"
            full_ratio = Ratio(diagnosis.learning_rate / limit.full_batch)
            text = t(f"verdicts.{key}", step=step, full_ratio=full_ratio, **numbers)
        elif diagnosis.crossed == "minibatch":
            text = t("verdicts.diverged_minibatch", step=step, **numbers)
        else:
            text = t("verdicts.diverged_below_limit", step=step, **numbers)
        return _with_fixes("error", text, limits, diagnosis.suggestions)

    lead = _lead(progress, config)
    distance = _percent(diagnosis.relative_distance or 0.0)
    if diagnosis.crossed != "none" and _growing(progress):
        losses = progress.epoch_train_loss
        text = t("verdicts.diverging", first=losses[0], last=losses[-1], **numbers)
        return _with_fixes("error", text, limits, sgdcore.check_learning_rate(problem, config, limits).suggestions)
    # Standardised, the distance is the model's, in the standardised units the charts draw; the table's are the data's.
    units = t("verdicts.standardised_distance") if problem.scaler is not None else ""
    if diagnosis.verdict == "at_optimum":
        undefined = diagnosis.train_r2 is not None and math.isnan(diagnosis.train_r2)  # a constant target
        key = "verdicts.at_optimum_r2_undefined" if undefined else "verdicts.at_optimum"
        return Message("success", t(key, lead=lead, target=_target(diagnosis), distance=distance,
                                    r2=diagnosis.train_r2, penalty_note=_penalty_note(diagnosis)) + units)
    if diagnosis.verdict == "noise_floor" and diagnosis.floor_rate is not None:  # a decaying schedule's floor
        text = _schedule_floor_text(diagnosis, problem, config, lead, distance)
        if config.shuffle != "replacement":  # the floor is for independent batches (sgdcore.stability)
            text += t("verdicts.noise_floor_reshuffled")
        if diagnosis.train_r2 is not None and diagnosis.train_r2 < 0:
            text += t("verdicts.far.negative_r2", r2=diagnosis.train_r2)
        return _offered("info", text + units, diagnosis.suggestions)
    if diagnosis.verdict == "noise_floor":
        # With weight decay the gap is the penalised objective's (sgdcore.Diagnosis), and so is the one expected:
        # not the table's loss gap, nor the loss chart's.
        penalised = "_penalised" if diagnosis.target == "penalised_optimum" else ""
        # With L1 the noise is the penalty's (sgdcore.diagnosis._floor_settings), and the loss chart draws no floor.
        kind = "_l1" if config.l1_penalty > 0 else penalised
        excess = diagnosis.floor.excess_objective
        spread = _spread(diagnosis.floor, _run_target(problem, config))
        text = t(f"verdicts.noise_floor{kind}", lead=lead, gap=diagnosis.loss_gap, excess=excess,
                 distance=distance, target=_target(diagnosis), spread=spread, **numbers)
        if (plain := diagnosis.floor_without_momentum) is not None:
            text += t("verdicts.noise_floor_without_momentum", momentum=config.momentum, excess=plain.excess_objective)
        text += goes_further(("schedule", "batch_size", *(("momentum",) if plain is not None else ())))
        if config.shuffle != "replacement":  # the floor is for independent batches (sgdcore.stability)
            text += t("verdicts.noise_floor_reshuffled")
        if diagnosis.train_r2 is not None and diagnosis.train_r2 < 0:  # noisy data: the noise is worth the signal
            text += t("verdicts.far.negative_r2", r2=diagnosis.train_r2)
        if penalised:
            text += t(f"verdicts.noise_floor{kind}_note")
        if problem.scaler is not None:  # the loss chart's units are the standardised target's, the table's its own
            square = problem.scaler.target_std ** 2
            text += t(f"verdicts.noise_floor_own_units{penalised}", gap=diagnosis.loss_gap * square,
                      excess=excess * square) + units
        return _offered("info", text, diagnosis.suggestions)
    if diagnosis.verdict == "oscillating":
        swing = diagnosis.oscillation
        if swing.cause == "l1_penalty":
            text = t("verdicts.oscillating_l1", l1=config.l1_penalty, amplitude=swing.amplitude,
                     names=t("verdicts.list_separator").join(swing.parameters), swing=swing.measured_swing)
            if not _fixed_by_link_text(diagnosis.suggestions):  # else the link's fixed settings are named instead
                text += t("verdicts.oscillating_l1_advice")
        else:
            above = "_above" if diagnosis.ratio > 1 else ""  # its swing grows: more epochs would diverge
            text = t(f"verdicts.oscillating{above}", distance=distance, target=_target(diagnosis), **numbers)
        return _offered("warning", text, diagnosis.suggestions)
    return _offered("warning", _far_text(diagnosis, progress, config) + units, diagnosis.suggestions)


def _run_target(problem: sgdcore.Problem, config: sgdcore.TrainConfig) -> np.ndarray:
    """The optimum of the objective a run of ``config`` minimises, which sgdcore measures its distances from: the
    penalised optimum with weight decay or an L1 penalty, else the closed form (``sgdcore.Diagnosis.target``)."""
    penalised = config.weight_decay > 0 or config.l1_penalty > 0
    return sgdcore.penalised_optimum(problem, config) if penalised else problem.optimum.params


def _spread(floor: sgdcore.NoiseFloor, target: np.ndarray) -> str:
    """How far the noise ``floor`` keeps SGD from ``target`` on average (root mean square), relative to it, as a
    run's distance is given: before the run (the warning) and after it (the verdict) alike."""
    return _percent(math.sqrt(floor.mean_square_distance) / max(float(np.linalg.norm(target)), np.finfo(float).tiny))


def _schedule_floor_text(diagnosis: sgdcore.Diagnosis, problem: sgdcore.Problem, config: sgdcore.TrainConfig,
                         lead: str, distance: str) -> str:
    """A decaying schedule's run kept from the optimum by minibatch noise at the rate its schedule has reached: that
    floor, how slowly the schedule lowers it, and the controls that go further (those a classroom link leaves)."""
    target = _run_target(problem, config)
    numbers = {"target": _target(diagnosis), "distance": distance, "now": diagnosis.floor_rate,
               "where": _where(diagnosis.limits.minibatch), "spread": _spread(diagnosis.floor, target)}
    text = t("verdicts.noise_floor_schedule.floor", lead=lead, **numbers)
    if diagnosis.rate_halves_after is not None and diagnosis.half_rate_floor is not None:
        text += tn("verdicts.noise_floor_schedule.halves", diagnosis.rate_halves_after, target=numbers["target"],
                   half_spread=_spread(diagnosis.half_rate_floor, target))
    else:
        text += t("verdicts.noise_floor_schedule.never_halves", horizon=sgdcore.HORIZON_EPOCHS)
    if (plain := diagnosis.floor_without_momentum) is not None:
        text += t("verdicts.noise_floor_schedule.without_momentum", momentum=config.momentum,
                  spread=_spread(plain, target), target=numbers["target"])
    return text + _schedule_levers(config, problem.train.n_rows, less_momentum=plain is not None)


def _schedule_levers(config: sgdcore.TrainConfig, n_rows: int, less_momentum: bool = False) -> str:
    """What takes a decaying schedule's run below the noise of its rate: a faster decay or a larger batch, and less
    momentum where that lowers it (``less_momentum``), naming the sidebar's controls, but those a classroom link fixes;
    "" if it fixes them all."""
    state = st.session_state
    levers = []
    decay = [control_label(key) for key in schedule_controls(config.schedule.kind) if shown(state, key)]
    if decay:
        levers.append(t("verdicts.noise_floor_schedule.faster_decay",
                        controls=t("verdicts.list_separator").join(decay)))
    if config.batch_size < n_rows and shown(state, "batch_size"):
        levers.append(t("verdicts.noise_floor_schedule.larger_batch", control=control_label("batch_size")))
    if less_momentum and shown(state, "momentum"):
        levers.append(t("verdicts.noise_floor_schedule.less_momentum", control=control_label("momentum")))
    if not levers:
        return ""
    return t("verdicts.noise_floor_schedule.levers", levers=either(levers))


def _growing(progress: sgdcore.Progress) -> bool:
    losses = progress.epoch_train_loss
    return len(losses) > 1 and not losses[-1] <= losses[0]


def _far_text(diagnosis: sgdcore.Diagnosis, progress: sgdcore.Progress, config: sgdcore.TrainConfig) -> str:
    kappa = diagnosis.limits.condition_number
    text = t("verdicts.far.converged" if progress.status == "converged" else "verdicts.far.finished",
             epochs=_epochs(progress.epoch), speed=_speed(progress), target=_target(diagnosis),
             distance=_percent(diagnosis.relative_distance or 0.0))
    if diagnosis.train_r2 is not None and diagnosis.train_r2 < 0:
        text += t("verdicts.far.negative_r2", r2=diagnosis.train_r2)
    if diagnosis.sign_flips:
        text += t("verdicts.far.wrong_sign", names=t("verdicts.list_separator").join(diagnosis.sign_flips))
    limit = diagnosis.limits.minibatch
    if diagnosis.epochs_needed_from == "above_limit":
        text += t("verdicts.far.above_limit", rate=diagnosis.learning_rate, ratio=Ratio(diagnosis.ratio),
                  limit=_rate(limit.learning_rate), where=_where(limit))
    elif kappa >= ILL_CONDITIONED:
        text += t("verdicts.far.ill_conditioned", kappa=_kappa(kappa))
    else:
        text += t("verdicts.far.few_steps", rate=diagnosis.learning_rate, kappa=_kappa(kappa))
    needed = diagnosis.epochs_needed
    per_epoch = diagnosis.contraction_per_epoch
    measured = (t(f"verdicts.far.measured{'_objective' if diagnosis.measured_gap == 'objective' else ''}",
                  factor=per_epoch) if per_epoch is not None else t("verdicts.far.predicted"))
    # From the run's own error, direction by direction (plain SGD at a constant rate), else at a rate of the run's
    words = {"error": "verdicts.far.from_here", "to_floor": "verdicts.far.to_floor",
             "schedule": "verdicts.far.schedule", "momentum": "verdicts.far.momentum",
             "momentum_to_floor": "verdicts.far.momentum_to_floor"}.get(
        diagnosis.epochs_needed_from, "verdicts.far")
    if words == "verdicts.far.from_here" and progress.steps_per_epoch == 1 and config.shuffle != "replacement":
        words = "verdicts.far.exact"  # every step on every row: no minibatch noise, the run is its mean
    fresh = diagnosis.epochs_needed_from == "fresh_run"
    if fresh and needed is not None and math.ceil(needed) <= MAX_EPOCHS:
        text += _fresh_run_text(config, progress, math.ceil(needed))
    elif fresh and needed is not None:
        text += t("verdicts.far.fresh_run.beyond_max", needed=_count(math.ceil(needed)), arrived=ARRIVED,
                  max_epochs=MAX_EPOCHS)
    elif needed is not None and math.isinf(needed):
        text += (t("verdicts.far.schedule.decays", arrived=ARRIVED, horizon=sgdcore.HORIZON_EPOCHS)
                 if diagnosis.epochs_needed_from in ("schedule", "momentum") else t("verdicts.far.no_longer_falls"))
    elif needed is not None and needed > 0:
        total = progress.epoch + math.ceil(needed)
        if total <= MAX_EPOCHS:
            text += tn(f"{words}.more_epochs", math.ceil(needed), measured=measured, rate=diagnosis.learning_rate,
                       arrived=ARRIVED)
        else:
            text += t(f"{words}.beyond_max", measured=measured, rate=diagnosis.learning_rate,
                      needed=_count(math.ceil(needed)), arrived=ARRIVED, max_epochs=MAX_EPOCHS)
    helps = [_help_text(suggestion, diagnosis.limits, diagnosis.learning_rate)
             for suggestion in _those_left_to_student(settable_suggestions(diagnosis.suggestions))
             if not (fresh and suggestion.setting == "epochs")]  # said, with how to start the fresh run
    if helps:
        text += t("verdicts.far.helps", helps=t("verdicts.help_separator").join(helps))
    return text


def _fresh_run_text(config: sgdcore.TrainConfig, progress: sgdcore.Progress, epochs: int) -> str:
    """A cosine schedule down to 0 too soon for the run to arrive: its rate is 0 once its period is over, so stepping
    on takes the run no closer; a fresh run of ``epochs`` epochs, its cosine over all of them, is what arrives, and
    how to start one."""
    period = config.schedule.period_steps or progress.steps_per_epoch * config.epochs
    how = (t("verdicts.far.fresh_run.how", control=control_label("epochs"), count=epochs, reset=t("train.reset"),
             train=t("train.train")) if shown(st.session_state, "epochs") else "")
    spent = "spent" if progress.step >= period else "too_soon"  # stopped before the period's end (early stopping)
    return (t(f"verdicts.far.fresh_run.{spent}", period=period, arrived=ARRIVED)
            + t("verdicts.far.fresh_run.text", epochs=_epochs(epochs), arrived=ARRIVED, how=how))


def _help_text(suggestion: sgdcore.Suggestion, limits: sgdcore.Limits, rate: float | None = None) -> str:
    """What ``suggestion`` would do, in words; a new learning rate said to be lower than the run's ``rate``."""
    if suggestion.setting == "momentum":
        return t("verdicts.help.momentum", momentum=suggestion.value, rate=suggestion.learning_rate)
    if suggestion.setting == "learning_rate":
        lower = rate is not None and suggestion.value < rate
        return t("verdicts.help.learning_rate_lower" if lower else "verdicts.help.learning_rate", rate=suggestion.value,
                 limit=_rate(limits.minibatch.learning_rate))
    if suggestion.setting == "standardize":
        kappas = {"before": _kappa(limits.condition_number), "after": _kappa(limits.standardized_condition_number)}
        if suggestion.learning_rate:
            return t("verdicts.help.standardize_then", rate=suggestion.learning_rate, **kappas)
        return t("verdicts.help.standardize", **kappas)
    if suggestion.setting == "epochs":
        return t("verdicts.help.epochs", epochs=suggestion.value)
    if suggestion.setting == "early_stopping":
        return t("verdicts.help.early_stopping_off")
    if suggestion.setting == "schedule" and suggestion.value == "constant":
        return t("verdicts.help.constant_schedule")
    return button_label(suggestion)


def short_text(progress: sgdcore.Progress, diagnosis: sgdcore.Diagnosis | None = None) -> str:
    """The outcome in a few words, for a table with one row per run; with the run's diagnosis, its verdict."""
    if progress.status == "diverged":
        return t("verdicts.short.diverged", step=progress.diverged_at_step or progress.step)
    if progress.status == "stopped":
        return t("verdicts.short.stopped", step=progress.step)
    if progress.status == "running":
        return t("verdicts.short.running")
    ended = (t("verdicts.short.converged", epochs=progress.epoch) if progress.status == "converged"
             else t("verdicts.short.finished"))
    if _growing(progress) and (diagnosis is None or diagnosis.crossed != "none"):
        return t("verdicts.short.diverging", ended=ended)
    if diagnosis is None or diagnosis.verdict not in ("at_optimum", "noise_floor", "oscillating", "far_from_optimum"):
        return ended
    optimum = t("verdicts.short.penalised" if diagnosis.target == "penalised_optimum" else "verdicts.short.optimum")
    return t(f"verdicts.short.{diagnosis.verdict}", ended=ended, optimum=optimum,
             distance=_percent(diagnosis.relative_distance or 0.0))


# Suggestions, applied with one click


def button_label(suggestion: sgdcore.Suggestion) -> str:
    """The text of the button that applies ``suggestion``."""
    value, setting = suggestion.value, suggestion.setting
    rate = t("verdicts.button.at_rate", rate=suggestion.learning_rate) if suggestion.learning_rate is not None else ""
    if setting in ("learning_rate", "momentum", "batch_size", "l1_penalty", "standardize"):
        return t(f"verdicts.button.{setting}", value=value, at_rate=rate)
    if setting == "schedule":
        schedule = t(f"verdicts.schedule.{value}") if value in sgdcore.SCHEDULES else str(value)
        return t("verdicts.button.schedule", schedule=schedule)
    if setting == "early_stopping":
        return t("verdicts.button.early_stopping_off")
    return t("verdicts.button.epochs", value=value)


def suggested_settings(suggestion: sgdcore.Suggestion) -> dict[str, Any]:
    """The settings ``suggestion`` sets, by their keys: its own, and the learning rate that goes with it."""
    settings = {suggestion.setting: suggestion.value}
    if suggestion.learning_rate is not None:
        settings["learning_rate"] = suggestion.learning_rate
    return settings


def apply_suggestion(state: MutableMapping[str, Any], suggestion: sgdcore.Suggestion) -> None:
    """Set what ``suggestion`` says in ``state`` (the settings' keys): a button's ``on_click``, run before the
    page reruns with it."""
    state.update(suggested_settings(suggestion))


def changes_something(state: Mapping[str, Any], suggestion: sgdcore.Suggestion) -> bool:
    """Whether applying ``suggestion`` would change a setting: 10,000 epochs offered when 10,000 are set (the most
    a run can have) would be a button that does nothing."""
    return any(setting_value(state, setting) != wanted for setting, wanted in suggested_settings(suggestion).items())


def show(message: Message, *, where: Any = None, key: str, in_fragment: bool = False) -> None:
    """Draw ``message`` in ``where`` (the page by default) with a button per suggestion that changes a setting.
    ``in_fragment``: drawn by a fragment (the Train page's run), whose click would rerun the fragment alone: a
    suggestion changes the sidebar's settings, so its click then reruns the whole page, to draw them."""
    where = st if where is None else where
    getattr(where, message.tone)(message.text)
    # In the run of its click a button's callback has already applied it: it is drawn once more, to be read.
    keyed = [(f"{key}_suggestion_{index}", suggestion) for index, suggestion in enumerate(message.suggestions)]
    drawn = [(button_key, suggestion) for button_key, suggestion in keyed
             if changes_something(st.session_state, suggestion) or st.session_state.get(button_key)]
    if drawn:
        columns = where.columns(len(drawn))
        for column, (button_key, suggestion) in zip(columns, drawn, strict=True):
            clicked = column.button(button_label(suggestion), key=button_key,
                                    on_click=apply_suggestion, args=(st.session_state, suggestion),
                                    help=t("verdicts.button.help"))
            if clicked and in_fragment:
                st.rerun()


# Comparison pages


def steps_above(config: sgdcore.TrainConfig, n_rows: int, limit: float) -> int | None:
    """The steps after which the schedule of a run of ``config`` on ``n_rows`` rows keeps its learning rate below
    ``limit`` to the run's end (0 if it never reaches it); None if it is still at or above it at the last step."""
    total = config.steps_per_epoch(n_rows) * config.epochs
    schedule = config.schedule.over(total)  # as sgdcore.train runs it

    def above(step: int) -> bool:
        return config.learning_rate * schedule(step) >= limit

    if above(total - 1):
        return None
    # After the warm-up every kind only lowers the rate: the last step above is found by bisection, not by computing
    # each of a run's millions of rates. During the warm-up the rate rises, and is looked at step by step.
    low, high = min(max(schedule.warmup_steps - 1, 0), total - 1), total - 1  # high: below the limit
    if not above(low):
        rising = np.flatnonzero(config.learning_rate * schedule(np.arange(low)) >= limit)
        return int(rising[-1]) + 1 if len(rising) else 0
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if above(middle) else (low, middle)
    return high


def comparison_check(runs: dict[str, tuple[sgdcore.TrainConfig, sgdcore.StabilityLimit]],
                     n_rows: int) -> Message | None:
    """Before a comparison page trains: the runs whose rate is above (or near) the limit of their own batch
    size, as ``{label: (config, its limit)}`` on ``n_rows`` training rows; None when every run is well inside.
    A run whose schedule brings its rate below the limit before it ends is said to be above it until then."""
    groups: dict[str, list[str]] = {"above": [], "above_minibatch": [], "at_full_batch": [], "lowered": [],
                                    "near": [], "near_noisy": []}
    for label, (config, limit) in runs.items():
        rate = config.learning_rate
        ratio = Ratio(limit.ratio(rate))
        key = "run_lower_bound" if limit.kind == "lower_bound" else "run"
        crossed = limit.crossed(rate)
        lowered = (None if crossed == "none" or config.schedule.constant_rate
                   else steps_above(config, n_rows, limit.learning_rate))
        if lowered == 0:  # a warm-up longer than the run: its rate never reaches the limit
            continue
        numbers = {"label": label, "ratio": ratio, "limit": _rate(limit.learning_rate), "where": _where(limit)}
        if crossed == "full_batch" and lowered is None:  # its group is headed by the full-batch limit: quote that
            numbers.update(ratio=Ratio(rate / limit.full_batch), limit=_rate(limit.full_batch),
                           where=t("verdicts.where_full_batch"))
            key = "run"  # the full batch's limit is exact
        described = t(f"verdicts.compared.{key}", **numbers)
        if lowered is not None:
            described = t(f"verdicts.compared.{key}_lowered", step=lowered + 1, **numbers)
        if crossed == "full_batch" and math.isclose(rate, limit.full_batch, rel_tol=1e-9):
            groups["at_full_batch"].append(described)  # full-batch descent swings at its limit, neither way
        elif crossed != "none" and lowered is not None:  # it grows, or may, only until the schedule lowers it
            groups["lowered"].append(described)
        elif crossed == "full_batch":  # full-batch descent grows past its limit
            groups["above"].append(described)
        elif crossed == "minibatch":  # the mean square grows: some runs diverge, more the further above
            groups["above_minibatch"].append(described)
        elif ratio > NEAR_LIMIT:  # the mean swings only above the no-swing rate; below it, the noise grows
            groups["near" if mean_swings(config, limit) else "near_noisy"].append(described)
    separator = t("verdicts.help_separator")
    text = "".join(t(f"verdicts.compared.{group}", runs=separator.join(described))
                   for group, described in groups.items() if described)
    return Message("warning", text.strip()) if text else None


def run_diagnoses(entry: MutableMapping[str, Any], problem: sgdcore.Problem,
                  data_key: str) -> dict[str, sgdcore.Diagnosis | None]:
    """The diagnosis of each run of a comparison page's ``entry`` that ended (None for a stopped one), kept in
    the entry so that a rerun does not judge the runs again."""
    kept = entry.setdefault("diagnoses", {})
    diagnoses: dict[str, sgdcore.Diagnosis | None] = {}
    for label, progress in entry["runs"].items():
        if not progress.done:
            diagnoses[label] = None
            continue
        config = entry["configs"][label]
        diagnoses[label] = diagnosis_of(kept.setdefault(label, {}), problem, config, progress,
                                        limits_for(problem, data_key, config))
    return diagnoses

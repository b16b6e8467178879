"""What the dashboard says about a learning rate before training and about a run after it, in one place.

``sgdcore.diagnosis`` judges (typed results, no sentences); this module words its results and offers each
suggested setting as a button that applies it. Every sentence the pages show about limits and outcomes is
here, so that one catalogue can later be translated. Every number a message asks the user to set is one the
dashboard can set: a learning rate within the slider's range, at most :data:`MAX_EPOCHS` epochs.

The limits and noise floors are cached per data and per setting that changes them (not the learning rate,
for the limits): computing one costs 0.2–0.8 s, and the sidebar asks for it on every rerun.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import streamlit as st

import sgdcore
from sgdcore.diagnosis import ARRIVED, NEAR_LIMIT
from ui.settings import BY_KEY, SCHEDULE_LABELS

Tone = Literal["success", "info", "warning", "error"]

MIN_RATE = BY_KEY["learning_rate"].low  # what a share link carries; the slider itself takes any value put in state
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
    """What the limits depend on besides the data: not the learning rate, the schedule or the epochs."""
    return (config.batch_size, config.momentum, config.dampening, config.nesterov, config.weight_decay,
            config.l1_penalty, config.drop_last)


@st.cache_resource(max_entries=64, show_spinner="Computing the stability limit…")
def _cached_limits(_problem: sgdcore.Problem, data_key: str, settings: tuple) -> sgdcore.Limits:
    batch_size, momentum, dampening, nesterov, weight_decay, l1_penalty, drop_last = settings
    config = sgdcore.TrainConfig(batch_size=batch_size, momentum=momentum, dampening=dampening, nesterov=nesterov,
                                 weight_decay=weight_decay, l1_penalty=l1_penalty, drop_last=drop_last)
    return sgdcore.run_limits(_problem, config)


def limits_for(problem: sgdcore.Problem, data_key: str, config: sgdcore.TrainConfig) -> sgdcore.Limits:
    """The stability limits of ``config`` on ``problem`` (the data ``data_key`` names), computed once; large data
    on a cluster (``problem.on_cluster``) gives its own, from its statistics."""
    if getattr(problem, "on_cluster", False):
        return problem.limits(config)
    return _cached_limits(problem, data_key, _settings_key(config))


@st.cache_resource(max_entries=64, show_spinner="Computing the noise floor…")
def _cached_floor(_problem: sgdcore.Problem, data_key: str, learning_rate: float,
                  settings: tuple) -> sgdcore.NoiseFloor | None:
    batch_size, momentum, dampening, nesterov, weight_decay, _, drop_last = settings
    return sgdcore.noise_floor(_problem.train, learning_rate, batch_size, momentum=momentum, dampening=dampening,
                               nesterov=nesterov, weight_decay=weight_decay, drop_last=drop_last)


def noise_floor_for(problem: sgdcore.Problem, data_key: str, config: sgdcore.TrainConfig,
                    limits: sgdcore.Limits) -> sgdcore.NoiseFloor | None:
    """Where a run of ``config`` is expected to hover, or None: only for a constant rate below the limit
    without an L1 penalty (whose push never fades), and for data small enough for the exact computation."""
    schedule = config.schedule
    if getattr(problem, "on_cluster", False):  # the floor needs every row's fourth moments
        return None
    if (schedule.kind != "constant" or schedule.warmup_steps or config.l1_penalty
            or config.learning_rate >= limits.minibatch.learning_rate):
        return None
    return _cached_floor(problem, data_key, config.learning_rate, _settings_key(config))


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
    if fraction >= 0.1:
        return f"{fraction:.0%}"
    return f"{100 * fraction:.2g}%"


def _count(value: float) -> str:
    return f"{value:,.0f}"


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


# Before training


def limit_text(limits: sgdcore.Limits, config: sgdcore.TrainConfig) -> str:
    """The limit for the batch size in use beside the full-batch one, saying when it is a bound."""
    limit = limits.minibatch
    extras = [name for name, on in (("momentum", config.momentum > 0), ("Nesterov", config.nesterov),
                                    ("weight decay", config.weight_decay > 0)) if on]
    settings = f" (with {', '.join(extras)})" if extras else ""
    if limit.batch_size >= limit.n_rows:
        text = f"Stability limit {_rate(limit.full_batch)} at the full batch of {limit.n_rows:,} rows{settings}."
    elif limit.kind == "lower_bound":
        text = (f"Stability limit at batch size {limit.batch_size}: at least {_rate(limit.learning_rate)} (a proven "
                f"lower bound: the exact limit costs too much on data this size), at most the full-batch limit "
                f"{_rate(limit.full_batch)}{settings}.")
    else:
        text = (f"Stability limit {_rate(limit.learning_rate)} at batch size {limit.batch_size}; "
                f"{_rate(limit.full_batch)} with the full batch{settings}.")
    if limit.l1_ignored:
        text += " The L1 penalty does not move the limit, but it keeps the weights from settling."
    return text


def rate_check(check: sgdcore.RateCheck, config: sgdcore.TrainConfig) -> Message:
    """The learning rate against the limits, before training: a warning when it is above or near the limit."""
    limit = check.limits.minibatch
    rate = check.learning_rate
    where = "the full batch" if limit.batch_size >= limit.n_rows else f"batch size {limit.batch_size}"
    if check.crossed == "full_batch":
        ratio = rate / limit.full_batch
        also = "" if limit.batch_size >= limit.n_rows else (
            f", and {check.ratio:.2g}× the limit {_rate(limit.learning_rate)} for {where}")
        text = (f"Learning rate {rate:g} is {ratio:.2g}× the full-batch stability limit {_rate(limit.full_batch)}"
                f"{also}: expect divergence.")
        return _with_fixes("warning", text, check.limits, check.suggestions)
    if check.crossed == "minibatch":
        if limit.kind == "lower_bound":
            text = (f"Learning rate {rate:g} is above {_rate(limit.learning_rate)}, the rate proven stable for {where} "
                    f"(below the full-batch limit {_rate(limit.full_batch)}): it may diverge.")
        else:
            text = (f"Learning rate {rate:g} is {check.ratio:.2g}× the stability limit {_rate(limit.learning_rate)} "
                    f"for {where}, though below the full-batch limit {_rate(limit.full_batch)}: minibatch noise "
                    "grows faster than the steps shrink it, so expect divergence.")
        return _with_fixes("warning", text, check.limits, check.suggestions)
    if check.near_limit:
        half = sgdcore.round_down(0.5 * limit.learning_rate)
        suggestion = (sgdcore.Suggestion("learning_rate", half),) if settable_rate(half) else ()
        text = (f"Learning rate {rate:g} is {check.ratio:.2g}× the stability limit {_rate(limit.learning_rate)} for "
                f"{where}: so close that the steepest direction keeps swinging; expect it to oscillate, or to "
                "settle slowly." + (f" Half the limit, {half:g}, converges fastest." if suggestion else ""))
        return Message("warning", text, suggestion)
    speed = ", but slow: it covers little ground per step" if check.ratio < 0.01 else ""
    bound = " at least" if limit.kind == "lower_bound" else ""
    return Message("info", f"Learning rate {rate:g} is {check.ratio:.2g}× the stability limit{bound} "
                           f"{_rate(limit.learning_rate)} for {where}: stable{speed}.")


def planned_run_check(problem: sgdcore.Problem, config: sgdcore.TrainConfig,
                      limits: sgdcore.Limits) -> Message | None:
    """Before training, what keeps a stable run from arriving: an L1 push larger than the weights can absorb
    (it will not settle), or too few epochs for the condition number at this rate (it will end far away)."""
    rate = config.learning_rate
    scale = float(np.linalg.norm(problem.optimum.params))
    push = rate * config.l1_penalty
    if config.l1_penalty > 0 and push > ARRIVED * scale:
        return Message("warning", (
            f"With L1 penalty {config.l1_penalty:g} at learning rate {rate:g}, every step moves each weight by "
            f"learning rate × L1 = {push:.3g}, against weights of size ‖θ*‖ = {scale:.3g} at the closed form: the "
            f"weights near zero will jump across it and back, and the run will not settle. An L1 penalty below "
            f"{sgdcore.round_down(ARRIVED * scale / rate):g} moves them by less than 1% of that."),
            settable_suggestions((sgdcore.Suggestion("l1_penalty", sgdcore.round_down(ARRIVED * scale / rate)),)))
    if limits.minibatch.crossed(rate) != "none":
        return None
    decay = config.weight_decay * np.r_[np.ones(problem.train.n_features), 0.0]  # the bias is not decayed
    hessian = problem.quadratic.hessian + np.diag(decay)
    eigenvalues = np.linalg.eigvalsh(hessian)
    eigenvalues = eigenvalues[eigenvalues > 1e-12 * max(eigenvalues[-1], 0.0)]
    per_step = sgdcore.contraction_factor(eigenvalues, rate, config.momentum, config.dampening, config.nesterov)
    if not 0 < per_step < 1:
        return None
    epochs = math.log(1 / ARRIVED) / -math.log(per_step) / config.steps_per_epoch(problem.train.n_rows)
    if epochs <= config.epochs:
        return None
    kappa = limits.condition_number
    why = (f"the condition number is κ = {f'{kappa:,.3g}' if math.isfinite(kappa) else 'infinite'}, and "
           if kappa >= ILL_CONDITIONED else "")
    return Message("warning", (
        f"Too few epochs for this data at this rate: {why}at learning rate {rate:g} the flattest "
        f"direction shrinks by a factor {per_step:.6g} per step, so bringing the distance to the optimum down "
        f"100-fold takes about {_count(epochs)} epochs; {config.epochs:,} are set."
        + (f" More than the {MAX_EPOCHS:,} epochs a run here can have: momentum, a larger rate within the "
           "limit, or standardisation helps." if epochs > MAX_EPOCHS else "")),
        settable_suggestions((sgdcore.Suggestion("epochs", math.ceil(epochs)),)))


def _with_fixes(tone: Tone, text: str, limits: sgdcore.Limits, suggestions: tuple[sgdcore.Suggestion, ...]) -> Message:
    """A rate above the limit: ``text``, then what fixes it, in words and as buttons."""
    return Message(tone, text + _rate_fix_text(limits, suggestions), settable_suggestions(suggestions))


def _rate_fix_text(limits: sgdcore.Limits, suggestions: tuple[sgdcore.Suggestion, ...]) -> str:
    """What fixes a rate above the limit, in words: standardisation when the data's scale is the trouble,
    else a rate the slider can set (or why there is none)."""
    parts = []
    for suggestion in suggestions:
        if suggestion.setting == "standardize" and limits.standardized is not None:
            parts.append(f" Turn on standardisation: the limit goes from {_rate(limits.minibatch.learning_rate)} "
                         f"to {_rate(limits.standardized.learning_rate)}"
                         + (f"; then use learning rate {suggestion.learning_rate:g}."
                            if settable_rate(suggestion.learning_rate) else "."))
        elif suggestion.setting == "learning_rate":
            if settable_rate(float(suggestion.value)):
                parts.append(f" Use learning rate {suggestion.value:g}, half the limit (where SGD converges fastest).")
            elif any(other.setting == "standardize" for other in suggestions):
                parts.append(f" Without it, no learning rate the dashboard sets (from {MIN_RATE:g}) is below the "
                             "limit.")
            else:
                parts.append(f" No learning rate the dashboard sets (from {MIN_RATE:g}) is below this limit: the "
                             "data's scale is the trouble; rescale the columns.")
    return "".join(parts)


# After training


def _speed(progress: sgdcore.Progress) -> str:
    steps = f"{progress.step:,} step" if progress.step == 1 else f"{progress.step:,} steps"
    return f"{steps} in {progress.elapsed_seconds:.3g} s ({progress.steps_per_second:,.0f} steps/s)"


def paused_text(progress: sgdcore.Progress) -> str:
    """A run stopped by the user or paused by Step: where it is, and how to go on (its own message)."""
    return progress.message[0].upper() + progress.message[1:] + f". {_speed(progress)}."


def _epochs(count: int) -> str:
    return f"{count:,} epoch" if count == 1 else f"{count:,} epochs"


def _lead(progress: sgdcore.Progress) -> str:
    speed = _speed(progress)
    if progress.status == "converged":
        return f"Converged after {_epochs(progress.epoch)}: {progress.message.split(': ', 1)[-1]}. {speed}."
    return f"Finished {_epochs(progress.epochs)}. {speed}."


def _target(diagnosis: sgdcore.Diagnosis) -> str:
    return "the closed form" if diagnosis.target == "closed_form" else "the penalised optimum"


def _penalty_note(diagnosis: sgdcore.Diagnosis) -> str:
    if not diagnosis.penalty_shifts_optimum:
        return ""
    return (" The penalty moves that optimum away from the closed form's least-squares answer: the table "
            "compares with the closed form.")


def run_verdict(diagnosis: sgdcore.Diagnosis, progress: sgdcore.Progress, problem: sgdcore.Problem,
                config: sgdcore.TrainConfig) -> Message:
    """A run of ``config`` on ``problem`` that ended (finished, converged or diverged), judged: the status line
    of the Train page."""
    limits, limit = diagnosis.limits, diagnosis.limits.minibatch
    where = "the full batch" if limit.batch_size >= limit.n_rows else f"batch size {limit.batch_size}"
    if diagnosis.verdict == "diverged":
        step = f"Diverged at step {diagnosis.diverged_at_step}"
        if diagnosis.crossed == "full_batch":
            text = (f"{step}: learning rate {diagnosis.learning_rate:g} is "
                    f"{diagnosis.learning_rate / limit.full_batch:.2g}× the full-batch stability limit "
                    f"{_rate(limit.full_batch)}"
                    + ("." if limit.batch_size >= limit.n_rows else
                       f" (the limit for {where} is {_rate(limit.learning_rate)}).")
                    )
        elif diagnosis.crossed == "minibatch":
            text = (f"{step}: learning rate {diagnosis.learning_rate:g} is {diagnosis.ratio:.2g}× the stability "
                    f"limit {_rate(limit.learning_rate)} for {where}, though below the full-batch limit "
                    f"{_rate(limit.full_batch)}: the minibatches' noise made it grow.")
        else:
            text = (f"{step} at learning rate {diagnosis.learning_rate:g}, {diagnosis.ratio:.2g}× the stability "
                    f"limit {_rate(limit.learning_rate)} for {where}: the schedule or the start took it past what "
                    "the loss can absorb.")
        return _with_fixes("error", text, limits, diagnosis.suggestions)

    lead = _lead(progress)
    distance = diagnosis.relative_distance or 0.0
    if diagnosis.crossed != "none" and _growing(progress):
        losses = progress.epoch_train_loss
        text = (f"Diverging: the run ended before the loss blew up, but it grew from {losses[0]:.3g} to "
                f"{losses[-1]:.3g}. Learning rate {diagnosis.learning_rate:g} is {diagnosis.ratio:.2g}× the stability "
                f"limit {_rate(limit.learning_rate)} for {where}.")
        return _with_fixes("error", text, limits, sgdcore.check_learning_rate(problem, config, limits).suggestions)
    if diagnosis.verdict == "at_optimum":
        return Message("success", f"{lead} At {_target(diagnosis)}: {_percent(distance)} from it (relative "
                                  f"distance), train R² {diagnosis.train_r2:.4g}.{_penalty_note(diagnosis)}")
    if diagnosis.verdict == "noise_floor":
        floor = diagnosis.floor
        text = (f"{lead} SGD hovers {diagnosis.loss_gap:.3g} above the optimum's loss because of minibatch noise: "
                f"at learning rate {diagnosis.learning_rate:g} and {where} the expected level is "
                f"{floor.excess_loss:.3g} above it (dotted on the loss chart), {_percent(distance)} from "
                f"{_target(diagnosis)}. A decaying schedule or a larger batch goes further.")
        return Message("info", text, settable_suggestions(diagnosis.suggestions))
    if diagnosis.verdict == "oscillating":
        swing = diagnosis.oscillation
        if swing.cause == "l1_penalty":
            names = ", ".join(swing.parameters)
            text = (f"Not settled: oscillating at the end. The L1 penalty {config.l1_penalty:g} moves every weight "
                    f"by learning rate × L1 = {swing.amplitude:.3g} at each step, so the weights the penalised "
                    f"optimum holds at zero ({names}) jump across zero and back (seen in the run: ±"
                    f"{swing.measured_swing:.3g}). Lower the L1 penalty, or use a schedule whose steps shrink.")
        else:
            text = (f"Not settled: oscillating at the end. Learning rate {diagnosis.learning_rate:g} is "
                    f"{diagnosis.ratio:.2g}× the stability limit {_rate(limit.learning_rate)} for {where}, so the "
                    f"steepest direction keeps swinging; the run ends {_percent(distance)} from "
                    f"{_target(diagnosis)}. A rate at half the limit converges fastest.")
        return Message("warning", text, settable_suggestions(diagnosis.suggestions))
    return Message("warning", _far_text(diagnosis, progress), settable_suggestions(diagnosis.suggestions))


def _growing(progress: sgdcore.Progress) -> bool:
    losses = progress.epoch_train_loss
    return len(losses) > 1 and not losses[-1] <= losses[0]


def _far_text(diagnosis: sgdcore.Diagnosis, progress: sgdcore.Progress) -> str:
    distance = diagnosis.relative_distance or 0.0
    kappa = diagnosis.limits.condition_number
    done = (f"Converged after {_epochs(progress.epoch)} by the early-stopping rule" if progress.status == "converged"
            else f"Finished {_epochs(progress.epoch)}")
    text = (f"{done}. {_speed(progress)}. But SGD is far from {_target(diagnosis)}: {_percent(distance)} away "
            "(relative distance).")
    if diagnosis.train_r2 is not None and diagnosis.train_r2 < 0:
        text += (f" Train R² is {diagnosis.train_r2:.2g}, below 0: these weights predict worse than the mean of "
                 "the target does.")
    if diagnosis.sign_flips:
        text += f" Wrong sign: {', '.join(diagnosis.sign_flips)}."
    kappa_text = f"{kappa:,.3g}" if math.isfinite(kappa) else "infinite"
    if kappa >= ILL_CONDITIONED:
        text += (f" Too few steps for the condition number κ = {kappa_text}: plain SGD needs about κ·ln(1/ε) steps "
                 "to come within ε, because the flattest direction moves by a fraction 1/κ of the steepest.")
    else:
        text += (f" Too few steps at learning rate {diagnosis.learning_rate:g} (the condition number κ = "
                 f"{kappa_text} is no obstacle).")
    needed = diagnosis.epochs_needed
    per_epoch = diagnosis.contraction_per_epoch
    measured = (f"the loss gap shrinking by a factor {per_epoch:.4g} per epoch, as measured in this run"
                if per_epoch is not None else "the contraction the theory predicts")
    if needed is not None and math.isinf(needed):
        text += " The loss no longer falls at this rate."
    elif needed is not None and needed > 0:
        total = progress.epoch + math.ceil(needed)
        if total <= MAX_EPOCHS:
            more = math.ceil(needed)
            text += (f" At {measured}, about {more:,} more epoch{'s' if more != 1 else ''} would bring it "
                     f"within {ARRIVED:.0%}.")
        else:
            text += (f" At {measured}, it would take about {_count(needed)} more epochs to come within "
                     f"{ARRIVED:.0%}: more than the {MAX_EPOCHS:,} epochs a run here can have.")
    helps = [_help_text(suggestion, diagnosis) for suggestion in settable_suggestions(diagnosis.suggestions)]
    if helps:
        text += " What would help: " + "; ".join(helps) + "."
    return text


def _help_text(suggestion: sgdcore.Suggestion, diagnosis: sgdcore.Diagnosis) -> str:
    limits = diagnosis.limits
    if suggestion.setting == "momentum":
        return (f"momentum μ = {suggestion.value:g} with learning rate {suggestion.learning_rate:g}, which needs "
                "about √κ steps instead of κ")
    if suggestion.setting == "learning_rate":
        return (f"a larger learning rate, {suggestion.value:g} (half the limit "
                f"{_rate(limits.minibatch.learning_rate)})")
    if suggestion.setting == "standardize":
        kappa = limits.standardized_condition_number
        return (f"standardisation, which takes κ from {limits.condition_number:,.3g} to {kappa:,.3g}"
                + (f" (then learning rate {suggestion.learning_rate:g})" if suggestion.learning_rate else ""))
    if suggestion.setting == "epochs":
        return f"{suggestion.value:,} epochs"
    return button_label(suggestion)


def short_text(progress: sgdcore.Progress, diagnosis: sgdcore.Diagnosis | None = None) -> str:
    """The outcome in a few words, for a table with one row per run; with the run's diagnosis, its verdict."""
    if progress.status == "diverged":
        return f"diverged at step {progress.diverged_at_step}"
    if progress.status == "stopped":
        return f"stopped at step {progress.step}"
    if progress.status == "running":
        return "running"
    ended = f"converged after {progress.epoch} epochs" if progress.status == "converged" else "finished"
    if _growing(progress) and (diagnosis is None or diagnosis.crossed != "none"):
        return f"{ended}, but the loss grew: diverging"
    if diagnosis is None:
        return ended
    distance = _percent(diagnosis.relative_distance or 0.0)
    return {
        "at_optimum": f"{ended}: at the optimum",
        "noise_floor": f"{ended}: at the noise floor, {distance} away",
        "oscillating": f"{ended}: oscillating, {distance} away",
        "far_from_optimum": f"{ended}: far from the optimum, {distance} away",
    }.get(diagnosis.verdict, ended)


# Suggestions, applied with one click


def button_label(suggestion: sgdcore.Suggestion) -> str:
    """The text of the button that applies ``suggestion``."""
    value, setting = suggestion.value, suggestion.setting
    rate = f" at learning rate {suggestion.learning_rate:g}" if suggestion.learning_rate is not None else ""
    if setting == "learning_rate":
        return f"Use learning rate {value:g}"
    if setting == "standardize":
        return f"Standardise{rate}"
    if setting == "momentum":
        return f"Use momentum {value:g}{rate}"
    if setting == "batch_size":
        return f"Use batch size {value:,}"
    if setting == "schedule":
        return f"Use the {SCHEDULE_LABELS.get(str(value), str(value)).split(' (')[0].lower()} schedule"
    if setting == "l1_penalty":
        return f"Lower the L1 penalty to {value:g}"
    return f"Train {value:,} epochs"


def apply_suggestion(state: MutableMapping[str, Any], suggestion: sgdcore.Suggestion) -> None:
    """Set what ``suggestion`` says in ``state`` (the settings' keys): a button's ``on_click``, run before the
    page reruns with it."""
    state[suggestion.setting] = suggestion.value
    if suggestion.learning_rate is not None:
        state["learning_rate"] = suggestion.learning_rate


def show(message: Message, *, where: Any = None, key: str) -> None:
    """Draw ``message`` in ``where`` (the page by default) with a button per suggestion."""
    where = st if where is None else where
    getattr(where, message.tone)(message.text)
    if message.suggestions:
        columns = where.columns(len(message.suggestions))
        for index, (column, suggestion) in enumerate(zip(columns, message.suggestions, strict=True)):
            column.button(button_label(suggestion), key=f"{key}_suggestion_{index}", on_click=apply_suggestion,
                          args=(st.session_state, suggestion), help="Changes the setting in the sidebar.")


# Comparison pages


def comparison_check(runs: dict[str, tuple[float, sgdcore.StabilityLimit]]) -> Message | None:
    """Before a comparison page trains: the runs whose rate is above (or near) the limit of their own batch
    size, as ``{label: (learning rate, its limit)}``; None when every run is well inside."""
    above, near = [], []
    for label, (rate, limit) in runs.items():
        ratio = limit.ratio(rate)
        where = "the full batch" if limit.batch_size >= limit.n_rows else f"batch size {limit.batch_size}"
        bound = " (a lower bound)" if limit.kind == "lower_bound" else ""
        described = f"{label}: {ratio:.2g}× the limit {_rate(limit.learning_rate)}{bound} for {where}"
        if limit.crossed(rate) != "none":
            above.append(described)
        elif ratio > NEAR_LIMIT:
            near.append(described)
    if not above and not near:
        return None
    text = []
    if above:
        text.append("Above the stability limit, expect divergence: " + "; ".join(above) + ".")
    if near:
        text.append("Near it, expect oscillation: " + "; ".join(near) + ".")
    return Message("warning", " ".join(text))


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

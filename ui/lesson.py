"""The lesson beside the charts: on each page, what to try, what to look for, and questions answered on demand.

Each page's panel (:func:`lesson_panel`) holds two texts and two or three questions. An answer is not written
in advance: it is computed, when the reader asks for it, from the data and the settings in use, with
sgdcore's own maths (the stability limits and noise floors of :mod:`sgdcore.stability`) or by training. So
every number an answer shows is true for what the reader sees, and the tests check each one against brute
force or a simulation.

An answer is a list of lines, each a catalogue key and the fields that fill it: computed once per data and
settings (cached in ``st.session_state``) and worded at drawing time, in the page's language. The work an
answer may do is bounded: training answers stop at :data:`WORK_LIMIT` row-parameter updates (about a second),
and say so when that is not enough; answers that need the rows say so for large data on a cluster.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import replace
from typing import Any

import numpy as np
import streamlit as st

import sgdcore
from ui import verdicts
from ui.classroom import control_label, drawable, is_classroom, shown, value_text
from ui.conditioning import kappa_text
from ui.datasets import current_problem, momentum_valley
from ui.i18n import LANGUAGE_KEY, t
from ui.settings import (
    BY_KEY,
    MOMENTUM_PAGE_STEPS,
    SHOWN_KEY,
    batch_size_runs,
    learning_rate_page_base,
    learning_rate_unit,
    momentum_runs,
    parse_learning_rates,
    query_params,
    train_config,
    value,
)

Line = tuple[str, dict[str, Any]]  # a catalogue key and its fields
Answer = tuple[Line, ...]

ANSWERS = "_lesson_answers"  # session_state: {(page, question, data key, settings): Answer}
MAX_CACHED_ANSWERS = 32  # answers kept per session; the oldest go first
# Training answers stop after this much work, in row-parameter updates (rows × (features + 1) an epoch, and
# STEP_WORK a step): about a second with the compiled kernel on one core, shared by the runs an answer trains.
# Longer would keep a reader waiting on a button.
WORK_LIMIT = 6e7
STEP_WORK = 30  # a step's own cost (drawing its rows, the update) in those units: measured, about 0.5 µs
MAX_EPOCHS = 100_000  # and after this many epochs (each one a full loss)
REPORT_NEVER = 1e9  # seconds between snapshots: an answer needs only the last one
WITHIN = 0.01  # "within 1% of the closed-form loss": the Train and Momentum pages' target
BATCH_RACE_WITHIN = 0.10  # the Batch size page's: above batch size 1's usual noise floor, so every size can get there
# A training loss below this part of the target's own, ½·mean(y²), is rounding: residuals 1e-10 of the target's size.
# Float64 carries 16 digits. The closed form's solve loses about log10(κ) of them, so on noise-free data its own loss
# is rounding near (κ·2.2e-16)² of that scale (below 1e-20 for κ up to 4.5e5), and SGD's steps stop moving its
# parameters a few hundred rounding units from it (about 1e-30 of it on the default data): "within 1%" of a closed-form
# loss at that level would ask SGD to match rounding, which no run does, however long.
ROUNDING = 1e-20
# A line that ends the one before it: the settings that take SGD below its noise floor, but those a classroom link
# fixes (ui.verdicts.goes_further).
FURTHER = "further"
# A line that ends the one before it: the settings that get there in fewer epochs, but those a classroom link fixes
# (:func:`gets_there_sooner`).
SOONER = "sooner"
# A line that ends the one before it: the settings that make a run's swings above its target rarer, but those a
# classroom link fixes (:func:`rarer_swings`).
RARER = "rarer"
# A line that ends the one before it: what stops a run diverging, but what a classroom link fixes
# (:func:`stops_diverging`).
STEADIER = "steadier"
# A line that ends the one before it: what lets a run early stopping ended go on, but what a classroom link fixes
# (:func:`goes_on`).
GOES_ON = "goes_on"
# Lines that advise a value of a sidebar setting, by those settings, or have the student set a page's controls: worded
# otherwise (``<key>_fixed``, with the link's values as ``fixed``) where a classroom link fixes any of them
ADVISES = {"lesson.train.epochs.not_enough": ("epochs",), "lesson.train.epochs.beyond": ("epochs",),
           "lesson.train.epochs.cosine.sidebar_above": ("epochs",), "lesson.train.epochs.decay": ("weight_decay",),
           "lesson.train.epochs.decay_times": ("weight_decay",),
           **{f"lesson.train.epochs.penalty.{which}{times}": penalties for which, penalties in (
               ("decay", ("weight_decay",)), ("l1", ("l1_penalty",)), ("both", ("weight_decay", "l1_penalty")))
              for times in ("", "_times")}}
SETS_ON_THE_PAGE = {"lesson.momentum.best.answer": ("momentum_compared", "momentum_page_rate_multiple"),
                    "lesson.momentum.best.answer_no_momentum": ("momentum_compared", "momentum_page_rate_multiple"),
                    "lesson.momentum.best.plain_between": ("momentum_compared", "momentum_page_rate_multiple"),
                    "lesson.momentum.best.sooner": ("momentum_compared", "momentum_page_rate_multiple"),
                    "lesson.momentum.best.minibatch_diverges": ("momentum_page_full_batch",),
                    "lesson.momentum.best.minibatch_runs": ("momentum_page_full_batch",)}
WORDED_IF_FIXED = {**ADVISES, **SETS_ON_THE_PAGE}
BELOW_THE_FLOOR: Line = (FURTHER, {"levers": ("learning_rate", "batch_size", "schedule")})
TIMES_ABOVE = 10.0  # a loss this many times the closed form's is said as a ratio, not a percent above it
MOST_EPOCHS = BY_KEY["epochs"].high  # the most the sidebar's Epochs takes: advice stays within it
ERROR_SHRINK = 1e-3  # "steps to shrink the error 1000×" on the Learning rate and Momentum pages
SOONER_STEP = 0.01  # the multiples of the page's unit tried for a rate that gets there sooner from the page's start
STEPS_EXACT = "lesson.learning_rate.fastest.steps_exact"  # a full-batch run's own count
# Lines that end the one before them, as its last sentence: the steps a rate the line names takes
ENDS_THE_LINE = frozenset({STEPS_EXACT, "lesson.learning_rate.fastest.steps_later",
                           "lesson.learning_rate.fastest.steps_about"})

# The questions of each page, in order: the last part of their catalogue keys.
QUESTIONS: dict[str, tuple[str, ...]] = {
    "train": ("optimum", "epochs"),
    "learning_rate": ("limits", "fastest"),
    "batch_size": ("race", "floor"),
    "momentum": ("steps", "best"),
    "data": ("conditioning", "fit"),
    "export": ("script", "seed", "predict"),
}


class NeedsRowsError(Exception):
    """The answer needs the training rows in memory, which large data on a cluster does not have."""


def lesson_panel(page: str) -> None:
    """The page's lesson: an expander, collapsed at first, with what to try, what to see, and its questions."""
    if page not in QUESTIONS:
        raise ValueError(f"page must be one of {', '.join(QUESTIONS)}; got {page!r}.")
    # Keyed: its label changes with the language, and an expander keyed by its label would close on a switch
    with st.expander(t("lesson.title", topic=t(f"lesson.{page}.topic")), expanded=False, key=f"lesson_panel_{page}"):
        st.markdown(f"**{t('lesson.try')}** {try_text(page)}")
        st.markdown(f"**{t('lesson.see')}** {see_text(page)}")
        st.markdown(f"**{t('lesson.questions')}**")
        for number, question in enumerate(QUESTIONS[page], start=1):
            st.markdown(f"{number}. {t(f'lesson.{page}.{question}.question')}")
            if st.toggle(t("lesson.show_answer"), key=f"lesson_{page}_{question}"):
                st.info(answer_text(page, question))


# What each page's "Try:" has the student change, as steps: a text and the controls it changes. On a classroom link
# that does not draw them all, the steps whose controls are drawn, and the settings of the others said to be fixed. A
# step that turns a toggle off is not needed where the link fixes it off already.
TRY_STEPS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "train": (("lesson.train.try_link.rate", ("learning_rate",)), ("lesson.train.try_link.batch", ("batch_size",)),
              ("lesson.train.try_link.epoch", ("epochs",))),
    "learning_rate": (("lesson.learning_rate.try_link.start", ()),
                      ("lesson.learning_rate.try_link.full_batch", ("learning_rate_page_full_batch",)),
                      ("lesson.learning_rate.try_link.batch_size", ("batch_size",))),
    "batch_size": (("lesson.batch_size.try_link.start", ()), ("lesson.batch_size.try_link.rate", ("learning_rate",))),
    "momentum": (("lesson.momentum.try_link.start", ()), ("lesson.momentum.try_link.kappa", ("condition_number",)),
                 ("lesson.momentum.try_link.mu", ("momentum_compared",)),
                 ("lesson.momentum.try_link.full_batch", ("momentum_page_full_batch",))),
    "data": (("lesson.data.try_link.upload", ("data_source",)), ("lesson.data.try_link.weights", ("true_weights",)),
             ("lesson.data.try_link.standardize", ("standardize",))),
    "export": (("lesson.export.try_link.start", ()), ("lesson.export.try_link.seed", ("seed",))),
}
TURNED_OFF = ("learning_rate_page_full_batch", "momentum_page_full_batch")  # the toggles the steps turn off


def try_text(page: str) -> str:
    """The page's "Try:", naming only the controls a classroom link draws (the link's own settings stand for the
    defaults the full text starts from); the settings it fixes that the lesson would change are said to be fixed."""
    state = st.session_state
    from ui.widgets import sidebar_controls  # the sidebar's controls at these settings

    sidebar = sidebar_controls(state)
    steps = [(key, controls) for key, controls in TRY_STEPS[page]
             if not any(control in TURNED_OFF and not value(state, control) for control in controls)]
    named = {control for _, controls in TRY_STEPS[page] for control in controls}
    if not is_classroom(state) or all(drawable(state, control, sidebar) for control in named):
        return t(f"lesson.{page}.try{_as_set(state, page)}")
    if page == "learning_rate" and not shown(state, "learning_rate_page_full_batch") and \
            value(state, "learning_rate_page_full_batch"):  # the page's runs keep the full batch: no batch size to try
        steps = steps[:1]
    kept = [key for key, controls in steps if all(drawable(state, control, sidebar) for control in controls)]
    fixed = fixed_values(control for _, controls in TRY_STEPS[page] for control in controls
                         if not drawable(state, control, sidebar))
    if page == "train":
        options = [t(key) for key in kept]
        text = t("lesson.train.try_link.start", changes=verdicts.either(options)) if options else t(
            "lesson.train.try_link.alone")
    else:  # the Momentum page's button is "Train all three" with momentum, "Train" without
        button = t("momentum.train_all_three" if value(state, "momentum_compared") > 0 else "momentum.train")
        text = functools.reduce(sentences, (t(key, button=button) for key in kept), "")
    return sentences(text, t("lesson.try_fixed" if text else "lesson.try_all_fixed", settings=fixed))


# What a page's "You should see:" has the student set: the control, and the words naming it (``<key>_fixed`` where a
# classroom link does not let the student set it)
SEE_SETS: dict[str, tuple[str, str]] = {
    "momentum": ("momentum_page_rate_multiple", "zig_zag"),
    "batch_size": ("batch_size_page_epochs", "more_epochs"),
}


# The pages whose "You should see:" describes runs of plain SGD, which the page trains with the sidebar's optimiser
SEES_PLAIN_SGD = ("batch_size",)
# The pages whose "You should see:" describes minibatch noise, which data the closed form fits exactly has none of: its
# ``see_noise_free`` says what their runs show there instead
SEES_NOISE = ("batch_size",)


def see_text(page: str) -> str:
    """The page's "You should see:", having the student set a control only where a classroom link draws it; where it
    describes plain SGD and the sidebar trains otherwise, saying so."""
    state = st.session_state
    if page not in SEE_SETS:
        text = t(f"lesson.{page}.see{_as_set(state, page)}")
    else:
        from ui.widgets import sidebar_controls  # the sidebar's controls at these settings

        control, field = SEE_SETS[page]
        words = f"lesson.{page}.see_{field}" + ("" if drawable(state, control, sidebar_controls(state)) else "_fixed")
        noise_free = page in SEES_NOISE and _noise_free(state)
        text = t(f"lesson.{page}.see{'_noise_free' if noise_free else ''}", **{field: t(words)})
    if page in SEES_PLAIN_SGD and not _plain_sgd(state):
        text = sentences(text, t("lesson.see_not_plain_sgd"))
    return text


def _noise_free(state: MutableMapping[str, Any]) -> bool:
    """Whether the data in use has no noise to speak of: its closed-form loss is rounding."""
    problem = current_problem(state).problem
    return problem is not None and at_rounding(problem, BATCH_RACE_WITHIN)


def _plain_sgd(state: Mapping[str, Any]) -> bool:
    """Whether the sidebar's optimiser is plain SGD: no momentum, penalty, schedule or warm-up."""
    return not (value(state, "momentum") or value(state, "weight_decay") or value(state, "l1_penalty")
                or value(state, "warmup_epochs")) and value(state, "schedule") == "constant"


def _as_set(state: MutableMapping[str, Any], page: str) -> str:
    """The ending of the page's Try and See keys: ``_defaults`` where the Learning rate page is not as they
    describe it, so that they say for which settings they hold."""
    return "" if page != "learning_rate" or learning_rate_page_as_described(state) else "_defaults"


def learning_rate_page_as_described(state: MutableMapping[str, Any]) -> bool:
    """Whether the Learning rate page's runs are those its Try and See describe: its default rates, as multiples
    of the full batch's half-limit, which is 1/λ_max for plain descent at a constant rate."""
    return (_default_rates(state) and all(value(state, key) == BY_KEY[key].default
                                          for key in ("learning_rates_given_as", "learning_rate_multiples_of"))
            and not value(state, "momentum") and not value(state, "weight_decay")
            and value(state, "schedule") == "constant" and not value(state, "warmup_epochs"))


def _default_rates(state: MutableMapping[str, Any]) -> bool:
    """Whether the page compares its default rates, however written; text it cannot read (the page says why) is
    not them."""
    try:
        rates = parse_learning_rates(value(state, "learning_rates_compared"))
    except ValueError:
        return False
    return rates == parse_learning_rates(BY_KEY["learning_rates_compared"].default)


def sentences(first: str, second: str) -> str:
    """Two sentences as the page's language writes them one after the other (a space between them in English)."""
    return t("lesson.sentences", first=first, second=second) if first else second


def fixed_values(keys: Iterable[str]) -> str:
    """The settings ``keys`` with the values a classroom link fixes them at, as its notice says them."""
    state = st.session_state
    return t("classroom.separator").join(
        t("classroom.fixed_value", label=control_label(key), value=value_text(key, value(state, key))) for key in keys)


def answer_text(page: str, question: str) -> str:
    """The answer to ``question`` on ``page`` for the data and settings in use, in the page's language."""
    paragraphs: list[str] = []
    for key, fields in answer(st.session_state, page, question):
        if key == FURTHER:  # worded here: the answer is kept for every classroom link's controls alike
            paragraphs[-1] += verdicts.goes_further(fields["levers"])
        elif key == SOONER:
            paragraphs[-1] += gets_there_sooner(fields["levers"], fields["limit"])
        elif key == RARER:
            paragraphs[-1] += rarer_swings(fields)
        elif key == LATER:
            paragraphs[-1] += t(key, **fields)
        elif key == STEADIER:
            paragraphs[-1] += stops_diverging(fields)
        elif key == GOES_ON:
            paragraphs[-1] += goes_on()
        elif key in ENDS_THE_LINE:
            paragraphs[-1] = sentences(paragraphs[-1], t(key, **fields))
        elif key in WORDED_IF_FIXED and not all(shown(st.session_state, setting) for setting in WORDED_IF_FIXED[key]):
            paragraphs.append(t(f"{key}_fixed", **fields, fixed=fixed_values(
                setting for setting in WORDED_IF_FIXED[key] if not shown(st.session_state, setting))))
        else:
            paragraphs.append(t(key, **_worded(fields)))
    return "\n\n".join(paragraphs)


def _worded(fields: Mapping[str, Any]) -> dict[str, Any]:
    """An answer's fields as its text says them: a row of inputs (cached as pairs, whatever the language) as
    ``x1 = 1, x2 = 2`` with the page's separator."""
    if "row" not in fields:
        return dict(fields)
    cells = t("verdicts.list_separator").join(f"{name} = {cell}" for name, cell in fields["row"])
    return {**fields, "row": cells}


def answer(state: MutableMapping[str, Any], page: str, question: str) -> Answer:
    """The answer's lines, computed once per data and settings (those a share link carries, but the language)."""
    compute = ANSWER_FUNCTIONS[(page, question)]
    if page == "momentum":  # the Momentum page trains on its own valley, made from its settings
        problem, data_key = momentum_valley(state), "valley"
    else:
        choice = current_problem(state)
        if choice.problem is None:
            return (("lesson.no_data", {}),)
        problem, data_key = choice.problem, choice.key
    settings = tuple(sorted((name, text) for name, text in query_params(state).items()
                            if name not in (LANGUAGE_KEY, SHOWN_KEY)))
    cache = state.setdefault(ANSWERS, {})
    key = (page, question, data_key, settings)
    if key not in cache:
        try:
            lines = compute(state, problem, data_key)
        except NeedsRowsError:
            lines = (("lesson.needs_rows", {}),)
        except (sgdcore.SGDCoreError, ValueError):  # settings the page itself refuses, with its reason
            lines = (("lesson.cannot", {}),)
        cache[key] = lines
        while len(cache) > MAX_CACHED_ANSWERS:
            cache.pop(next(iter(cache)))
    return cache[key]


# Shared pieces


def _rows(problem: Any) -> sgdcore.Dataset:
    if getattr(problem, "on_cluster", False):
        raise NeedsRowsError
    return problem.train


def epoch_work(problem: Any, config: sgdcore.TrainConfig) -> float:
    """One epoch of ``config`` on ``problem`` in :data:`WORK_LIMIT`'s units."""
    data = problem.train
    return data.n_rows * (data.n_features + 1) + STEP_WORK * config.steps_per_epoch(data.n_rows)


def epoch_budget(problem: Any, config: sgdcore.TrainConfig, runs: int = 1) -> int:
    """How many epochs of ``config`` a training answer may run, when it trains ``runs`` runs: its share of
    :data:`WORK_LIMIT` over one epoch's work."""
    return int(min(MAX_EPOCHS, WORK_LIMIT / runs // epoch_work(problem, config)))


def target_variance(problem: Any) -> float:
    """What turns a training loss of the model's units into the target's own, the Train page's metrics' units: the
    training target's variance where the data are standardised (the model's target is then the standardised one, as
    on the loss chart), else 1."""
    return problem.scaler.target_std ** 2 if problem.scaler is not None else 1.0


def rounding_level(problem: Any) -> float:
    """The training loss, in model units, below which a loss above the closed form's is rounding (:data:`ROUNDING`)."""
    return ROUNDING * problem.quadratic.constant


def target_loss(problem: Any, within: float) -> float:
    """The loss a run comes down to when it is within ``within`` of the closed-form loss: ``(1 + within)·L*``, but
    never less than the rounding level above ``L*``, which is all a closed-form loss of rounding leaves to tell."""
    return problem.optimum_loss + max(within * problem.optimum_loss, rounding_level(problem))


def at_rounding(problem: Any, within: float) -> bool:
    """Whether ``within`` of the closed-form loss is below the rounding level: the data has no noise to speak of."""
    return within * problem.optimum_loss < rounding_level(problem)


def rounding_line(problem: Any, within: float) -> list[Line]:
    """Where the closed-form loss is rounding, the line that says what counts as being there instead."""
    if not at_rounding(problem, within):
        return []
    return [("lesson.rounding", {"loss": problem.optimum_loss, "within": within,
                                 "target": target_loss(problem, within)})]


def above_closed_form(problem: Any, loss: float) -> str:
    """How far ``loss`` is above the closed-form loss, as the lines say it: a percent of that loss, or, where it is
    rounding, the gap itself (a percent of rounding is no measure)."""
    optimum = problem.optimum_loss
    if optimum <= rounding_level(problem) and math.isfinite(loss):
        return f"{loss - optimum:.3g}"
    return f"{loss / optimum - 1.0 if optimum > 0 else math.inf:,.2%}"


def first_epoch_within(problem: sgdcore.Problem, config: sgdcore.TrainConfig, target: float,
                       max_epochs: int) -> tuple[int | None, sgdcore.Progress]:
    """The first epoch whose full training loss is at most ``target`` (0: the start), or None, and the last snapshot.

    Trains ``config`` (without early stopping) for up to ``max_epochs`` epochs, in stretches that double, so a run
    that gets there early stops early; resuming is exact (:func:`sgdcore.train`), so the epochs are those of one
    uninterrupted run of ``max_epochs`` epochs.
    """
    config = replace(config, epochs=max_epochs, tol=None)
    state, done, stretch = None, 0, 1
    while True:
        until = min(max_epochs, done + stretch)
        *_, last = sgdcore.train(problem.train, config, state=state, until_epoch=until, report_every=REPORT_NEVER,
                                 quadratic=problem.quadratic)
        reached = np.flatnonzero(last.epoch_train_loss <= target)
        if reached.size:
            return int(reached[0]), last
        if last.status == "diverged" or until >= max_epochs:
            return None, last
        state, done, stretch = last.state, until, 2 * stretch


def _steps_to_shrink(contraction: float) -> int | None:
    """Steps for an error shrinking by ``contraction`` a step to shrink :data:`ERROR_SHRINK` times; None if never."""
    if not contraction < 1.0:
        return None
    if contraction <= 0.0:
        return 1
    return math.ceil(math.log(ERROR_SHRINK) / math.log(contraction))


def _limits(problem: Any, data_key: str, config: sgdcore.TrainConfig) -> sgdcore.Limits:
    return verdicts.limits_for(problem, data_key, config)


# Train


def train_optimum(state: MutableMapping[str, Any], problem: Any, data_key: str) -> Answer:
    """The closed-form loss, and how far above it a run of the sidebar's settings ends (trained here: the Train
    page's run of the same settings is the same run)."""
    optimum, square = problem.optimum_loss, target_variance(problem)
    lines: list[Line] = [("lesson.train.optimum.answer", {"loss": optimum * square})]
    if problem.scaler is not None:  # the Train page's metrics are in the target's own units, its loss chart is not
        lines.append(("lesson.train.optimum.own_units", {"variance": square}))
    if getattr(problem, "on_cluster", False):
        return (*lines, ("lesson.needs_rows", {}))
    last = _trained_now(state, problem)
    if last is None:
        return (*lines, ("lesson.too_large", {}))
    if last.status == "diverged":
        return (*lines, ("lesson.train.optimum.diverged", {"step": last.diverged_at_step or last.step}),
                _steadier(problem, data_key, train_config(state, problem.train.n_rows)))
    loss = float(last.epoch_train_loss[-1])
    gap = loss - optimum
    if optimum <= rounding_level(problem):  # a part of rounding is no measure
        lines.append(("lesson.train.optimum.run_rounding", {"epochs": last.epoch, "loss": loss * square,
                                                            "gap": gap * square,
                                                            "rounding": rounding_level(problem) * square}))
    else:
        lines.append(("lesson.train.optimum.run", {"epochs": last.epoch, "loss": loss * square, "gap": gap * square,
                                                   "percent": gap / optimum}))
    return tuple(lines)


def train_epochs(state: MutableMapping[str, Any], problem: Any, data_key: str) -> Answer:
    """How many epochs the sidebar's settings need to come within :data:`WITHIN` of the closed-form loss and stay."""
    _rows(problem)
    config = train_config(state, problem.train.n_rows)
    target = target_loss(problem, WITHIN)
    budget = epoch_budget(problem, config)
    if budget < 1:
        return (("lesson.too_large", {}),)
    return (*rounding_line(problem, WITHIN), *_train_epochs(state, problem, data_key, config, target, budget))


def _train_epochs(state: MutableMapping[str, Any], problem: Any, data_key: str, config: sgdcore.TrainConfig,
                  target: float, budget: int) -> Answer:
    """:func:`train_epochs` once its target and its budget of epochs are known."""
    fields = {"rate": config.learning_rate, "batch": config.batch_size, "asked": config.epochs}
    limits = _limits(problem, data_key, config)
    limit = limits.minibatch.learning_rate
    if config.schedule.set_by_length:
        return _cosine_epochs(state, problem, data_key, config, target, budget, fields, limit)
    # One run as long as an answer may train, stopped where the sidebar's would stop (early stopping): a first epoch
    # within the target may be a dip, which only the epochs after it show.
    *_, last = sgdcore.train(problem.train, replace(config, epochs=budget), report_every=REPORT_NEVER,
                             quadratic=problem.quadratic)
    if last.status == "diverged":
        return (("lesson.train.epochs.diverged", {**fields, "step": last.diverged_at_step or last.step}),
                _steadier(problem, data_key, config))
    losses = last.epoch_train_loss
    trained = len(losses) - 1
    within, above = np.flatnonzero(losses <= target), np.flatnonzero(losses > target)
    stays = int(above[-1]) + 1 if above.size else 0
    lines: list[Line] = []
    if within.size and within[0] < stays:
        later = int(above[above > within[0]][0])
        lines.append(("lesson.train.epochs.dips", {**fields, "epochs": int(within[0]), "later": later,
                                                   "above": above_closed_form(problem, losses[later])}))
    if stays <= trained:
        key = "stays" if lines else "reached"
        lines.append((f"lesson.train.epochs.{key}", {**fields, "epochs": stays, "trained": trained,
                                                     "steps": int(last.epoch_steps[stays])}))
        hovering = _hovering_lines(problem, config, losses, target) if _enough(config, stays) == "beyond" else None
        return (*lines, *_enough_lines(state, config, stays, fields, limit, instead_of_sooner=hovering))
    if trained < budget:  # early stopping ended the run above the target
        return (*lines, ("lesson.train.epochs.stopped", {
            "epochs": trained, "above": above_closed_form(problem, losses[-1]), "tol": config.tol,
            "patience": config.n_iter_no_change}), (GOES_ON, {}))
    if not lines:
        lines.append(("lesson.train.epochs.not_reached", {**fields, "epochs": budget}))
    if config.learning_rate >= limit:
        return (*lines, ("lesson.train.epochs.above_limit", {**fields, "limit": limit}),
                _steadier(problem, data_key, config))
    # A warm-up ends on the constant rate, whose noise floor the run then hovers at
    steady = replace(config, schedule=sgdcore.Schedule()) if config.schedule.kind == "constant" else config
    floor = verdicts.noise_floor_for(problem, data_key, steady, limits)
    if floor is not None and floor.expected_loss > target:
        return (*lines, *_floor_lines(problem, config, floor, target))
    if within.size:  # it dips in and comes back out: a decaying rate's noise, or a floor just below the target
        return (*lines, ("lesson.train.epochs.never_stays", {"epochs": trained}))
    if (penalty := _penalty_keeps_it_above(problem, config, target)) is not None:
        return (*lines, penalty)
    return (*lines, ("lesson.train.epochs.slow", {}), _sooner(state, config, limit))


def _end_of_fresh_run(problem: Any, config: sgdcore.TrainConfig, epochs: int) -> sgdcore.Progress:
    *_, last = sgdcore.train(problem.train, replace(config, epochs=epochs), report_every=REPORT_NEVER,
                             quadratic=problem.quadratic)
    return last


def fewest_epochs_of_fresh_runs(problem: Any, config: sgdcore.TrainConfig, target: float,
                                budget: int) -> tuple[int | None, dict[int, sgdcore.Progress]]:
    """The fewest epochs whose fresh run of ``config`` ends at most at ``target``, or None, and the ends of the runs
    trained, by length: lengths that double until one gets there, then halved between it and the last that did not,
    within ``budget`` epochs of training in all."""
    ends: dict[int, sgdcore.Progress] = {}
    spent, epochs = 0, 1
    while spent + epochs <= budget:
        ends[epochs], spent = _end_of_fresh_run(problem, config, epochs), spent + epochs
        if ends[epochs].status != "diverged" and ends[epochs].epoch_train_loss[-1] <= target:
            break
        epochs *= 2
    else:
        return None, ends
    low, high = epochs // 2, epochs  # low's run (if any) ends above the target, high's within
    while high - low > 1 and spent + (middle := (low + high) // 2) <= budget:
        ends[middle], spent = _end_of_fresh_run(problem, config, middle), spent + middle
        reached = ends[middle].status != "diverged" and ends[middle].epoch_train_loss[-1] <= target
        low, high = (low, middle) if reached else (middle, high)
    return high, ends


def _cosine_epochs(state: MutableMapping[str, Any], problem: Any, data_key: str, config: sgdcore.TrainConfig,
                   target: float, budget: int, fields: dict[str, Any], limit: float) -> Answer:
    """The epochs answer for a schedule the run's length sets: fresh runs of each length, not one run trained on."""
    epochs, ends_of = fewest_epochs_of_fresh_runs(problem, config, target, budget)

    def how_far(run: sgdcore.Progress) -> str:
        return above_closed_form(problem, math.inf if run.status == "diverged" else run.epoch_train_loss[-1])

    if epochs is None:
        longest = max(ends_of)
        if ends_of[longest].status == "diverged":
            return (("lesson.train.epochs.diverged", {**fields, "step": ends_of[longest].diverged_at_step or
                                                      ends_of[longest].step}), _steadier(problem, data_key, config))
        lines: list[Line] = [("lesson.train.epochs.cosine.not_reached", {
            **fields, "epochs": longest, "above": how_far(ends_of[longest])})]
        if config.learning_rate >= limit:
            lines += [("lesson.train.epochs.above_limit", {**fields, "limit": limit}),
                      _steadier(problem, data_key, config)]
        return tuple(lines)
    shorter = max((length for length in ends_of if length < epochs), default=0)
    one = "_one" if epochs == 1 else ""
    lines = [(f"lesson.train.epochs.cosine.reached{one}", {**fields, "epochs": epochs,
                                                            "above": how_far(ends_of[epochs])})]
    if shorter:
        one = "_one" if shorter == 1 else ""
        lines.append((f"lesson.train.epochs.cosine.shorter{one}", {"epochs": shorter,
                                                                   "above": how_far(ends_of[shorter])}))
    if config.epochs not in ends_of and config.epochs <= budget:
        ends_of[config.epochs] = _end_of_fresh_run(problem, config, config.epochs)
    if config.epochs in ends_of and ends_of[config.epochs].status != "diverged":
        key = "sidebar_within" if ends_of[config.epochs].epoch_train_loss[-1] <= target else "sidebar_above"
        lines.append((f"lesson.train.epochs.cosine.{key}", {**fields, "epochs": epochs,
                                                              "above": how_far(ends_of[config.epochs])}))
    return tuple(lines)


def _enough(config: sgdcore.TrainConfig, epochs: int) -> str:
    """Whether the sidebar's epochs reach ``epochs``, and if not whether its Epochs can be set that high."""
    return "enough" if config.epochs >= epochs else "not_enough" if epochs <= MOST_EPOCHS else "beyond"


def _enough_lines(state: MutableMapping[str, Any], config: sgdcore.TrainConfig, epochs: int, fields: dict[str, Any],
                  limit: float, instead_of_sooner: list[Line] | None = None) -> list[Line]:
    """Whether the sidebar's epochs reach ``epochs``; beyond its Epochs, what gets there sooner, or
    ``instead_of_sooner`` where that is not what keeps it from there (:func:`_hovering_lines`)."""
    enough = _enough(config, epochs)
    line: Line = (f"lesson.train.epochs.{enough}", {**fields, "epochs": epochs, "most": MOST_EPOCHS})
    if enough != "beyond":
        return [line]
    return [line, *instead_of_sooner] if instead_of_sooner else [line, _sooner(state, config, limit)]


def descent_epochs(problem: Any, config: sgdcore.TrainConfig, start_loss: float, target: float) -> int | None:
    """The epochs SGD's expected path takes from ``start_loss`` to ``target``, or None if it does not converge.

    Minibatch gradients are unbiased: the mean of SGD's parameters follows full-batch descent at the same rate and
    momentum, whose error shrinks by the contraction factor a step (at least, for plain descent; in the long run, with
    momentum), and the loss above the optimum with its square. For a constant rate without penalties.
    """
    excess, margin = start_loss - problem.optimum_loss, target - problem.optimum_loss
    if excess <= margin:
        return 0
    contraction = sgdcore.contraction_factor(problem.curvature.eigenvalues, config.learning_rate, config.momentum,
                                             config.dampening, config.nesterov)
    if not contraction < 1.0:
        return None
    steps = 1 if contraction <= 0.0 else math.ceil(math.log(margin / excess) / (2.0 * math.log(contraction)))
    return math.ceil(steps / config.steps_per_epoch(problem.train.n_rows))


def _hovering_lines(problem: Any, config: sgdcore.TrainConfig, losses: np.ndarray, target: float) -> list[Line] | None:
    """Where a run of a constant rate stays within ``target`` only after more epochs than the sidebar takes, but its
    expected path got there within them and the epochs after average within it: the lines that say the run is at its
    noise floor, whose swings take it back out, and what makes them rarer (a larger rate or momentum, which get there
    sooner, raise the floor and make them more frequent). None where the run is slow instead."""
    if not config.schedule.constant_rate or config.weight_decay or config.l1_penalty:
        return None
    descended = descent_epochs(problem, config, float(losses[0]), target)
    if descended is None or descended > MOST_EPOCHS:
        return None
    after = losses[descended + 1:]  # the epochs that end after the descent
    mean = float(np.mean(after)) if after.size else math.inf
    if mean > target:
        return None
    n_train, start = problem.train.n_rows, float(losses[0])
    smaller, power_t, per_epoch = sgdcore.round_down(config.learning_rate / 2), BY_KEY["power_t"].default, \
        config.steps_per_epoch(n_train)
    # Each lowers the noise but slows the descent: named only where the descent still fits in the sidebar's epochs
    slower = {"learning_rate": descent_epochs(problem, replace(config, learning_rate=smaller), start, target),
              "batch_size": descent_epochs(problem, replace(config, batch_size=n_train), start, target)
              if config.batch_size < n_train else None,
              "schedule": math.ceil(_inverse_scaling_steps(descended * per_epoch, power_t) / per_epoch)}
    levers = tuple(key for key, epochs in slower.items() if epochs is not None and epochs <= MOST_EPOCHS)
    with_momentum = "_momentum" if config.momentum else ""
    lines: list[Line] = [(f"lesson.train.epochs.hovers{with_momentum}", {
        "rate": config.learning_rate, "momentum": config.momentum, "descended": descended,
        "above": above_closed_form(problem, mean),
        "out": int(np.sum(after > target)), "since": int(after.size)})]
    if levers:
        lines.append((RARER, {"levers": levers, "rate": smaller, "rows": n_train, "power_t": power_t}))
    return lines


def _inverse_scaling_steps(steps: int, power_t: float) -> float:
    """The steps after which the inverse scaling schedule's rates, ``η/(t + 1)^power_t``, add up to ``steps`` of the
    constant rate ``η`` (at least: the sum is above the integral of ``x^-power_t`` from 1), for ``power_t`` below 1."""
    return (1.0 + (1.0 - power_t) * steps) ** (1.0 / (1.0 - power_t)) - 1.0


def rarer_swings(fields: dict[str, Any]) -> str:
    """The sentence that ends a line saying a run hovers at its noise floor: which settings
    (:func:`_hovering_lines`) make its swings out of the target rarer, naming only those a classroom link leaves to
    the student."""
    state = st.session_state
    named = [t(f"lesson.train.epochs.rarer.{key}", **fields) for key in fields["levers"] if shown(state, key)]
    if named:
        listed = verdicts.either(named)
        return t("lesson.train.epochs.rarer.sentence", levers=listed[0].upper() + listed[1:])
    return t("lesson.train.epochs.rarer.fixed",
             settings=t("verdicts.list_separator").join(control_label(key) for key in fields["levers"]))


def _sooner(state: MutableMapping[str, Any], config: sgdcore.TrainConfig, limit: float) -> Line:
    """The settings that take fewer epochs to get there, each as a setting and the words that name its change:
    a larger learning rate while below the stability ``limit`` (rounded down, so that the rate named is below it),
    momentum (more of it while below the sidebar's highest), and standardising the data if it is not."""
    rate_limit = sgdcore.round_down(limit)
    levers = (("learning_rate", "learning_rate") if config.learning_rate < rate_limit else None,
              ("momentum", "more_momentum" if config.momentum else "momentum")
              if config.momentum < BY_KEY["momentum"].high else None,
              None if value(state, "standardize") else ("standardize", "standardize"))
    return (SOONER, {"levers": tuple(lever for lever in levers if lever), "limit": rate_limit})


def gets_there_sooner(levers: tuple[tuple[str, str], ...], limit: float) -> str:
    """The sentence that ends a line saying the epochs are many: which of ``levers`` (a setting and the words for
    its change, from :func:`_sooner`) get there sooner, leaving out those a classroom link fixes, which the student
    cannot change; if it fixes them all, that it does."""
    state = st.session_state
    named = [t(f"lesson.train.epochs.sooner.{words}", limit=limit) for key, words in levers if shown(state, key)]
    if named:
        listed = verdicts.either(named)
        return t("lesson.train.epochs.sooner.sentence", levers=listed[0].upper() + listed[1:])
    if not levers:
        return ""
    return t("lesson.train.epochs.sooner.fixed",
             settings=t("verdicts.list_separator").join(control_label(key) for key, _ in levers))


def _steadier(problem: Any, data_key: str, config: sgdcore.TrainConfig) -> Line:
    """What stops a run of ``config`` diverging, from the stability limits the sidebar shows: a learning rate below the
    limit at its batch size (rounded down, so that the rate named is below it; None when the rate is below it already
    and the schedule or the start took it past), and the smallest batch size whose limit is above its learning rate
    (None when not even the full batch's is)."""
    def limit(batch_size: int) -> float:
        return _limits(problem, data_key, replace(config, batch_size=batch_size)).minibatch.learning_rate

    rate, n_train = config.learning_rate, problem.train.n_rows
    above = limit(config.batch_size) <= rate
    fields = {"rate": rate, "batch": config.batch_size, "limit": sgdcore.round_down(limit(config.batch_size))
              if above else None, "stable_batch": None, "stable_limit": None}
    if not above or config.batch_size >= n_train or limit(n_train) <= rate:
        return (STEADIER, fields)
    low, high = config.batch_size, config.batch_size  # low's limit is at most the rate; high's, once found, above
    while limit(high) <= rate:
        low, high = high, min(n_train, 2 * high)
    while high - low > 1:  # the limit grows with the batch size: the smallest above the rate
        middle = (low + high) // 2
        low, high = (low, middle) if limit(middle) > rate else (middle, high)
    return (STEADIER, {**fields, "stable_batch": high, "stable_limit": limit(high)})


def stops_diverging(fields: dict[str, Any]) -> str:
    """The sentence that ends a line saying a run diverges: what stops it (:func:`_steadier`), naming only the
    settings a classroom link leaves to the student; if it fixes them all, that it does."""
    state = st.session_state
    levers = {"learning_rate": "learning_rate" if fields["limit"] is not None else "lower_rate",
              **({"batch_size": "batch_size"} if fields["stable_batch"] is not None else {})}
    named = [t(f"lesson.diverged.{words}", label=control_label(key), **fields)
             for key, words in levers.items() if shown(state, key)]
    if named:
        return t("lesson.diverged.sentence", levers=verdicts.either(named))
    fixed = (t("classroom.fixed_value", label=control_label(key), value=value_text(key, value(state, key)))
             for key in levers)
    return t("lesson.diverged.fixed", settings=t("verdicts.list_separator").join(fixed))


def goes_on() -> str:
    """The sentence that ends a line saying early stopping ended the run: a smaller tolerance or early stopping off
    lets it go on, naming only the settings a classroom link leaves to the student ("" if it fixes both)."""
    state = st.session_state
    named = [t(f"lesson.train.epochs.goes_on.{key}", label=control_label(key))
             for key in ("tol", "early_stopping") if shown(state, key)]
    return t("lesson.train.epochs.goes_on.sentence", levers=verdicts.either(named)) if named else ""


def _floor_lines(problem: Any, config: sgdcore.TrainConfig, floor: sgdcore.NoiseFloor, target: float) -> list[Line]:
    """Where the noise floor is above ``target``: how far, and (but where the penalised optimum's own loss is above
    it) what takes SGD closer."""
    percent = above_closed_form(problem, floor.expected_loss)
    if not config.weight_decay:
        return [("lesson.train.epochs.floor", {"above": percent}), BELOW_THE_FLOOR]
    # The floor sits above the penalised optimum, whose own loss is above the closed form's
    fields = {"above": percent, "decay": config.weight_decay, "shift": above_closed_form(problem, floor.optimum_loss)}
    if floor.optimum_loss <= target:
        return [("lesson.train.epochs.floor_decay", fields), BELOW_THE_FLOOR]
    optimum = problem.optimum_loss
    times = optimum > rounding_level(problem) and floor.optimum_loss >= TIMES_ABOVE * optimum
    fields.update(largest=_largest_weight_decay_within(problem, config, target),
                  ratio_above=floor.expected_loss / optimum if times else math.nan,
                  ratio=floor.optimum_loss / optimum if times else math.nan)
    return [(f"lesson.train.epochs.decay{'_times' if times else ''}", fields)]


def _penalty_keeps_it_above(problem: Any, config: sgdcore.TrainConfig, target: float,
                            within: float = WITHIN) -> Line | None:
    """Where the penalties move the optimum SGD heads for so far that its own loss is above ``target`` (``within``
    of the closed-form loss), the line that says so (no rate, batch size or schedule helps there), with, for weight
    decay alone, the largest that does; None otherwise.
    The noise floor, which says it when it is computed, is not for an L1 penalty nor for batches from blocks of
    neighbouring rows."""
    if not (config.weight_decay or config.l1_penalty):
        return None
    loss = float(problem.quadratic.loss(sgdcore.penalised_optimum(problem, config)))
    if loss <= target:
        return None
    which = "both" if config.weight_decay and config.l1_penalty else "decay" if config.weight_decay else "l1"
    optimum = problem.optimum_loss
    # Many times the closed-form loss, a percent is a long string of digits: the ratio says it
    times = optimum > rounding_level(problem) and loss >= TIMES_ABOVE * optimum
    fields = {"decay": config.weight_decay, "l1": config.l1_penalty, "within": within,
              "shift": above_closed_form(problem, loss), "ratio": loss / optimum if times else math.nan,
              "largest": _largest_weight_decay_within(problem, config, target) if which == "decay" else math.nan}
    return f"lesson.train.epochs.penalty.{which}{'_times' if times else ''}", fields


def _largest_weight_decay_within(problem: Any, config: sgdcore.TrainConfig, target: float) -> float:
    """The largest weight decay, rounded down to two significant figures (a value the sidebar's Weight decay takes),
    whose penalised optimum's own training loss is at most ``target``; ``config``'s weight decay is above it. That
    loss grows with the weight decay, which pulls the weights further from the data's fit: a bisection finds it."""
    def loss(decay: float) -> float:
        return float(problem.quadratic.loss(sgdcore.penalised_optimum(problem, replace(config, weight_decay=decay))))

    low, high = 0.0, config.weight_decay
    for _ in range(100):  # from the sidebar's largest, 1000, down to 1e-27: past any a loss can tell from rounding
        if high - low <= 1e-6 * high:
            break
        middle = 0.5 * (low + high)
        low, high = (middle, high) if loss(middle) <= target else (low, middle)
    return sgdcore.round_down(low, 2)


# Learning rate


def largest_squared_row(problem: Any) -> float:
    """``max‖aᵢ‖²`` over the training rows with their bias column: the largest curvature of one example."""
    if getattr(problem, "on_cluster", False):
        return float(problem.largest_squared_row)
    X = np.asarray(problem.train.X, dtype=np.float64)
    return float(np.max(np.einsum("ij,ij->i", X, X))) + 1.0


def learning_rate_limits(state: MutableMapping[str, Any], problem: Any, data_key: str) -> Answer:
    """The largest stable learning rate at batch size 1 and 100 (or every row), and why they differ."""
    n_train = problem.train.n_rows
    many = min(100, n_train)
    one, hundred = (_limits(problem, data_key, train_config(state, n_train, batch_size=size)).minibatch
                    for size in (1, many))
    curvature = problem.curvature
    exact = "exact" if one.kind == "exact" and hundred.kind == "exact" else "lower_bound"
    lines: list[Line] = [
        (f"lesson.learning_rate.limits.{exact}", {"one": one.learning_rate, "batch": many,
                                                    "many": hundred.learning_rate, "full": one.full_batch}),
        ("lesson.learning_rate.limits.why", {"largest": largest_squared_row(problem),
                                              "mean": float(np.sum(curvature.eigenvalues)),
                                              "top": curvature.lambda_max}),
    ]
    config = train_config(state, n_train)
    # Those of the sidebar's settings the limits include, named as set (Nesterov's limits are lower than heavy ball's)
    included = [t(f"lesson.learning_rate.limits.{name}", momentum=config.momentum, decay=config.weight_decay)
                for name, on in (("nesterov" if config.nesterov else "momentum", config.momentum),
                                 ("decay", config.weight_decay)) if on]
    if included:
        lines.append(("lesson.learning_rate.limits.settings",
                      {"settings": t("lesson.learning_rate.limits.and").join(included)}))
    return tuple(lines)


def learning_rate_fastest(state: MutableMapping[str, Any], problem: Any, data_key: str) -> Answer:
    """The learning rate that makes full-batch descent fastest, with the sidebar's momentum as the page's runs have
    it, against the sidebar's."""
    # The loss the page's runs descend: the sidebar's weight decay adds to the weights' curvature (not the bias's)
    config = train_config(state, problem.train.n_rows)
    decay = config.weight_decay
    curvature = sgdcore.curvature(problem.quadratic.hessian, decay)
    rate = value(state, "learning_rate")
    # The page's runs carry the sidebar's momentum: the sidebar's rate's factor is that of their recurrence
    contraction = sgdcore.contraction_factor(curvature.eigenvalues, rate, config.momentum, config.dampening,
                                             config.nesterov)
    if config.momentum:  # the page's runs carry the sidebar's momentum: their fastest rate is the recurrence's
        fastest = _fastest_with_momentum(config, curvature)
    else:
        best = 2.0 / (curvature.lambda_max + curvature.lambda_min)
        fastest = ("lesson.learning_rate.fastest.answer", {
            "best": best, "contraction": sgdcore.contraction_factor(curvature.eigenvalues, best),
            "kappa": kappa_text(curvature.condition_number)})
    best = fastest[1]["best"]
    best_steps = _steps_line(problem, config, best, fastest[1]["contraction"])
    lines = [fastest, best_steps, _entered_on_the_page(state, problem, data_key, best)]
    diverges = not contraction < 1.0
    with_momentum = ("_nesterov" if config.nesterov else "_momentum") if config.momentum else ""
    lines.append((f"lesson.learning_rate.fastest.sidebar{with_momentum}{'_diverges' if diverges else ''}",
                  {"rate": rate, "contraction": contraction, "momentum": config.momentum}))
    if not diverges:
        lines.append(_steps_line(problem, config, rate, contraction))
    if best_steps[0] == STEPS_EXACT:  # an exact count, which other rates' runs from this start can be held to
        lines += _sooner_from_the_start(state, problem, data_key, config, best, best_steps[1]["steps"])
    if not config.schedule.constant_rate:  # the page's runs follow the sidebar's schedule too
        if config.momentum:
            lines.append(("lesson.learning_rate.fastest.schedule_momentum", {}))
        else:
            lines += _scheduled_lines(state, problem.train.n_rows, curvature.eigenvalues, rate, best)
    if decay:
        lines.append(("lesson.learning_rate.fastest.weight_decay", {"decay": decay}))
    return tuple(lines)


def _fastest_with_momentum(config: sgdcore.TrainConfig, curvature: sgdcore.Curvature) -> Line:
    """The constant rate whose full-batch run with the sidebar's momentum (heavy ball or Nesterov, as the page's runs
    have it) shrinks the error fastest in the long run, and its factor; where heavy ball's floor √μ is reached, that
    no rate does better and which rates reach it."""
    mu, gain = config.momentum, 1.0 - config.dampening
    top, bottom = curvature.lambda_max, curvature.lambda_min
    fields = {"momentum": mu}
    # Heavy ball: along λ the roots are complex, of modulus √μ, for ηλ(1 − dampening) within (1 ∓ √μ)², and
    # larger outside; where every direction fits in at once, no rate does better and many rates do as well
    low, high = ((1 - math.sqrt(mu)) ** 2 / (gain * bottom), (1 + math.sqrt(mu)) ** 2 / (gain * top)) if (
        not config.nesterov and gain > 0 and bottom > 0) else (math.inf, 0.0)
    if low <= high:
        best = (low + high) / 2  # the middle of the rates at the floor, where a typed rate's rounding keeps it there
        contraction = sgdcore.contraction_factor(curvature.eigenvalues, best, mu, config.dampening, config.nesterov)
        low, high = _rounded_within(low, high)
        key = "floor"
        fields.update({"low": low, "high": high})
    else:
        best, contraction = _least_contraction(curvature, config)
        key = "nesterov" if config.nesterov else "momentum"
    fields.update({"best": best, "contraction": contraction})
    return f"lesson.learning_rate.fastest.answer_{key}", fields


def _sooner_from_the_start(state: MutableMapping[str, Any], problem: Any, data_key: str, config: sgdcore.TrainConfig,
                           best: float, steps: int) -> list[Line]:
    """Where, from the page's starting point, a rate the page can set gets the error down 1000× in fewer than the
    ``steps`` the long-run fastest rate ``best`` takes, the one that takes fewest and what to type for it: the
    sidebar's rate, or one of the multiples of the page's unit on steps of 0.01 (learning rates to 4 digits, where
    the page takes learning rates) up to the full-batch limit. The long-run factor is how fast the error shrinks
    once only its slowest part is left; the first steps depend on where the run starts (heavy ball 0.9 on the
    default data: the sidebar's 0.03 in 132 steps, the long run's fastest 1.747 in 135)."""
    limit = sgdcore.stability_limit(sgdcore.curvature(problem.quadratic.hessian, config.weight_decay).lambda_max,
                                    config.momentum, config.dampening, config.nesterov)
    unit = _page_unit(state, problem, data_key)
    multiples = np.arange(1, int(limit / unit / SOONER_STEP) + 1) * SOONER_STEP
    rates = [float(f"{rate:.4g}") if value(state, "learning_rates_given_as") == "absolute" else rate
             for rate in multiples * unit if rate < limit]  # at the limit itself a run does not converge
    sidebar = value(state, "learning_rate")
    rates = np.array([sidebar, *rates])
    fewest, soonest = _soonest_to_stay(problem, config, rates, config.momentum, steps)
    if soonest is None:
        return []
    at = float(rates[soonest])
    fields = {"best": best, "rate": at, "steps": fewest, "tried": len(rates), "limit": limit}
    if at == sidebar:
        return [("lesson.learning_rate.fastest.sidebar_sooner", fields)]
    return [("lesson.learning_rate.fastest.sooner", fields), _entered_on_the_page(state, problem, data_key, at)]


def _soonest_to_stay(problem: Any, config: sgdcore.TrainConfig, rates: np.ndarray, momenta: float | np.ndarray,
                     steps: int) -> tuple[int, int | None]:
    """Of full-batch runs of ``config`` at ``rates`` (with ``momenta``, one for all or one each) from its starting
    point, the one whose distance to the optimum stays below 1/1000 of its start's soonest, where sooner than
    ``steps``: its count and its index; ``(steps, None)`` where none is sooner.

    Every run is taken at once through step ``steps`` − 1 (:func:`sgdcore.steps_within_through`): the step each is
    within from there is at most its count, so runs are counted exactly from the soonest, until the next is no sooner
    than the fewest counted. Of runs as soon, the first counted is named."""
    momenta = np.broadcast_to(np.asarray(momenta, dtype=np.float64), np.shape(rates))
    eigenvalues, error = start_error(problem, config)
    within_from = sgdcore.steps_within_through(eigenvalues, error, np.ones_like(error),
                                               ERROR_SHRINK**2 * float(error @ error), rates, steps - 1, momenta,
                                               config.dampening, config.nesterov)
    fewest, soonest = steps, None
    for index in np.argsort(within_from, kind="stable"):
        if within_from[index] >= fewest:
            break
        run = replace(config, learning_rate=float(rates[index]), momentum=float(momenta[index]),
                      batch_size=problem.train.n_rows)
        count = full_batch_steps_to_stay(problem, run, "distance")
        if count is not None and count < fewest:
            fewest, soonest = count, int(index)
    return fewest, soonest


def _steps_line(problem: Any, config: sgdcore.TrainConfig, rate: float, contraction: float) -> Line:
    """The steps full-batch descent with ``config``'s settings at ``rate`` takes to shrink the error 1000×: exactly,
    from the page's starting point (its seed's), where its loss is a quadratic and its rate constant
    (:func:`full_batch_steps_to_stay`); otherwise the long-run factor ``contraction``'s estimate, said as one."""
    if config.l1_penalty or not config.schedule.constant_rate:
        return ("lesson.learning_rate.fastest.steps_about", {"steps": _steps_to_shrink(contraction) or 0})
    run = replace(config, learning_rate=rate, batch_size=problem.train.n_rows)
    steps = full_batch_steps_to_stay(problem, run, "distance")
    fields = {"rate": rate, "seed": config.seed}
    if steps is None:
        return ("lesson.learning_rate.fastest.steps_later", {**fields, "steps": MAX_EPOCHS})
    return (STEPS_EXACT, {**fields, "steps": steps})


def _rounded_within(low: float, high: float) -> tuple[float, float]:
    """``low`` and ``high`` to 4 significant digits, rounded inwards so the rates shown lie in the range."""
    def rounded(number: float, up: bool) -> float:
        scale = 10.0 ** (math.floor(math.log10(number)) - 3)
        return (math.ceil if up else math.floor)(number / scale) * scale
    return rounded(low, up=True), rounded(high, up=False)


def _least_contraction(curvature: sgdcore.Curvature, config: sgdcore.TrainConfig) -> tuple[float, float]:
    """The stable constant rate with the least long-run factor of full-batch descent with ``config``'s momentum,
    and that factor. Along each direction the factor falls and then rises with ηλ, so the worst direction is the
    steepest or the flattest and the factor over rates has a single valley: a grid up to the full-batch limit finds
    it, and a golden-section search within the grid's neighbours pins it down."""
    extremes = np.array([curvature.lambda_min, curvature.lambda_max])

    def factor(rate: float) -> float:
        return sgdcore.contraction_factor(extremes, rate, config.momentum, config.dampening, config.nesterov)

    limit = sgdcore.stability_limit(curvature.lambda_max, config.momentum, config.dampening, config.nesterov)
    grid = np.linspace(0.0, limit, 401)[1:-1]
    at = int(np.argmin([factor(rate) for rate in grid]))
    left, right = grid[max(at - 1, 0)], grid[min(at + 1, len(grid) - 1)]
    golden = (math.sqrt(5) - 1) / 2
    for _ in range(80):
        inner_left, inner_right = right - golden * (right - left), left + golden * (right - left)
        left, right = (left, inner_right) if factor(inner_left) <= factor(inner_right) else (inner_left, right)
    best = (left + right) / 2
    return best, sgdcore.contraction_factor(curvature.eigenvalues, best, config.momentum, config.dampening,
                                            config.nesterov)


def _entered_on_the_page(state: MutableMapping[str, Any], problem: Any, data_key: str, rate: float) -> Line:
    """What to type on the page for ``rate``: the rate itself, or its multiple of the unit the page multiplies its
    rates by (half the limit it names, for the page's own runs), named as the page names it."""
    if value(state, "learning_rates_given_as") == "absolute":
        return ("lesson.learning_rate.fastest.on_page.absolute", {"rate": rate})
    base = learning_rate_page_base(state, problem.train.n_rows)
    limits = _limits(problem, data_key, base)
    unit = _page_unit(state, problem, data_key)
    # The page's own test for naming its multiples per 1/λ_max (pages/learning_rate.py)
    full_batch = unit == limits.full_batch / 2
    kind = ("per_lambda" if full_batch and not base.momentum and not base.weight_decay
            else "full_batch" if full_batch else "batch_size")
    return (f"lesson.learning_rate.fastest.on_page.{kind}", {"multiple": rate / unit, "unit": unit,
                                                             "batch": base.batch_size})


def _page_unit(state: MutableMapping[str, Any], problem: Any, data_key: str) -> float:
    """The rate the page's multiple 1 stands for: half the limit it names, with the page's own runs' settings."""
    return learning_rate_unit(state, _limits(problem, data_key, learning_rate_page_base(state, problem.train.n_rows))
                              .minibatch)


def _scheduled_lines(state: MutableMapping[str, Any], n_train: int, eigenvalues: np.ndarray, rate: float,
                     best: float) -> list[Line]:
    """How the sidebar's rate and ``best`` shrink the error under the schedule, over the steps of the page's runs
    (their batch size's steps an epoch, their epochs). A minibatch run's mean follows full-batch descent at its
    rates (each batch's gradient is the full one on average), so that is what is said of minibatch runs."""
    runs = learning_rate_page_base(state, n_train)
    steps = runs.steps_per_epoch(n_train) * runs.epochs
    schedule = runs.as_planned(n_train).schedule  # as sgdcore.train runs it: a cosine over all the steps
    which = "schedule" if runs.batch_size >= n_train else "schedule_minibatch"
    return [(f"lesson.learning_rate.fastest.{which}", {"steps": steps, "batch": runs.batch_size,
                                                       "epochs": runs.epochs}),
            *(_scheduled_shrink(eigenvalues, schedule, steps, who, at) for who, at in (("sidebar", rate),
                                                                                      ("best", best)))]


def _scheduled_shrink(eigenvalues: np.ndarray, schedule: sgdcore.Schedule, steps: int, which: str,
                      rate: float) -> Line:
    """Full-batch descent at ``rate`` under ``schedule`` for ``steps`` steps: the first step after which the error
    has shrunk 1000× in every direction, or how much it has shrunk (or grown) by the last."""
    eigenvalues = eigenvalues[eigenvalues > 1e-12 * eigenvalues.max()]  # a direction with no data never moves
    rates = rate * np.asarray(schedule(np.arange(steps)), dtype=np.float64)
    worst = np.cumsum(np.log(np.abs(1.0 - np.outer(rates, eigenvalues)) + 1e-300), axis=0).max(axis=1)
    fields = {"rate": rate}
    if (reached := np.flatnonzero(worst <= math.log(ERROR_SHRINK))).size:
        return (f"lesson.learning_rate.fastest.schedule_{which}", {**fields, "steps": int(reached[0]) + 1})
    if worst[-1] <= 0.0:
        return (f"lesson.learning_rate.fastest.schedule_{which}_short", {**fields, "shrink": math.exp(-worst[-1])})
    return (f"lesson.learning_rate.fastest.schedule_{which}_grows", {**fields, "growth": math.exp(worst[-1])})


# Batch size


def _sizes_text(sizes: list[int]) -> str:
    return ", ".join(f"B = {size}" for size in sizes)


def batch_size_race(state: MutableMapping[str, Any], problem: Any, data_key: str) -> Answer:
    """Which of the page's batch sizes gets within :data:`BATCH_RACE_WITHIN` of the closed form in the fewest
    examples and the fewest steps, at the sidebar's learning rate (counted at the ends of epochs)."""
    _rows(problem)
    n_train = problem.train.n_rows
    target = target_loss(problem, BATCH_RACE_WITHIN)
    configs = batch_size_runs(state, n_train)
    lines: list[Line] = []
    reached: dict[int, tuple[int, int]] = {}  # batch size: (examples, steps)
    for config in configs:
        budget = epoch_budget(problem, config, len(configs))
        if budget < 1:
            lines.append(("lesson.batch_size.race.too_large", {"batch": config.batch_size}))
            continue
        if config.schedule.set_by_length:  # each length is another run: the fewest epochs of a fresh run
            epochs, ends = fewest_epochs_of_fresh_runs(problem, config, target, budget)
            last = ends[epochs if epochs is not None else max(ends)]
        else:
            epochs, last = first_epoch_within(problem, config, target, budget)
        if epochs is None:
            key = "diverged" if last.status == "diverged" else "not_reached"
            lines.append((f"lesson.batch_size.race.{key}", {"batch": config.batch_size, "epochs": last.epoch}))
            continue
        steps = epochs * config.steps_per_epoch(n_train)
        reached[config.batch_size] = (epochs * n_train, steps)
        lines.append(("lesson.batch_size.race.reached", {"batch": config.batch_size, "epochs": epochs,
                                                        "examples": epochs * n_train, "steps": steps}))
    if reached:
        fewest_examples = min(examples for examples, _ in reached.values())
        fewest_steps = min(steps for _, steps in reached.values())
        lines.append(("lesson.batch_size.race.winners", {
            "examples": _sizes_text([size for size, (examples, _) in reached.items() if examples == fewest_examples]),
            "steps": _sizes_text([size for size, (_, steps) in reached.items() if steps == fewest_steps])}))
    rate = "rate_cosine" if configs and configs[0].schedule.set_by_length else "rate"
    # The page's runs share the sidebar's penalties: where those keep every run out of reach, say so, not only "not
    # within N epochs"
    penalty = _penalty_keeps_it_above(problem, configs[0], target, BATCH_RACE_WITHIN) if configs and not reached \
        else None
    return (*rounding_line(problem, BATCH_RACE_WITHIN), (f"lesson.batch_size.race.{rate}",
                                                         {"rate": value(state, "learning_rate")}), *lines,
            *((penalty,) if penalty is not None else ()))


FLOOR_LINES = ("lesson.batch_size.floor.line", "lesson.batch_size.floor.line_decay")  # a floor's figure
FORGOTTEN = 1e-2  # the start is forgotten once the mean's share of the excess loss is below this part of the floor
MEASURED_EPOCHS = 100  # epoch ends averaged, at least, once the start is forgotten


def hovering_at_epoch_ends(problem: Any, config: sgdcore.TrainConfig, floor: sgdcore.NoiseFloor,
                           runs: int) -> dict[str, Any] | None:
    """The mean excess training loss (above ``floor.optimum_loss``) at the ends of epochs once the start is
    forgotten, trained here with ``config`` (its sampling, its seed): ``{"measured", "first", "last"}``, the epochs
    averaged; None when that is more work than an answer's share (``runs`` runs share it).

    The start is forgotten when the mean's excess, the start's shrunk by the contraction factor ρ a step (squared,
    for a loss), is below :data:`FORGOTTEN` of the floor; then at least :data:`MEASURED_EPOCHS` epochs are averaged.
    """
    eigenvalues = sgdcore.curvature(problem.quadratic.hessian, config.weight_decay).eigenvalues
    contraction = sgdcore.contraction_factor(eigenvalues, config.learning_rate, config.momentum, config.dampening,
                                             config.nesterov)
    weights, bias = sgdcore.init_params(problem.train.n_features, np.random.default_rng(config.seed), config.init,
                                        config.init_scale)
    start = float(problem.quadratic.loss(np.append(weights, bias))) - floor.optimum_loss
    if not 0 < contraction < 1:
        return None
    steps = max(0.0, math.log(FORGOTTEN * floor.excess_loss / start) / (2 * math.log(contraction))) if start > 0 \
        else 0.0
    first = math.ceil(steps / config.steps_per_epoch(problem.train.n_rows)) + 1
    last = first + max(first, MEASURED_EPOCHS) - 1
    if last > epoch_budget(problem, config, runs):
        return None
    *_, progress = sgdcore.train(problem.train, replace(config, epochs=last, tol=None), report_every=REPORT_NEVER,
                                 quadratic=problem.quadratic)
    if progress.status == "diverged":
        return None
    hovering = float(np.mean(progress.epoch_train_loss[first:last + 1])) - floor.optimum_loss
    return {"measured": hovering, "first": first, "last": last}


def batch_size_floor(state: MutableMapping[str, Any], problem: Any, data_key: str) -> Answer:
    """How far above the closed-form loss each of the page's batch sizes hovers at the sidebar's constant rate."""
    _rows(problem)
    closed_form = problem.optimum_loss
    lines: list[Line] = []
    measured: list[Line] = []  # reshuffled epochs: the level training itself ends its epochs at
    penalised = None  # with weight decay: the training loss at the penalised optimum, where SGD heads
    configs = batch_size_runs(state, problem.train.n_rows)
    for config in configs:
        config = replace(config, schedule=sgdcore.Schedule(), l1_penalty=0.0)
        limits = _limits(problem, data_key, config)
        limit = limits.minibatch
        if config.learning_rate >= limit.learning_rate:
            # The limit is for batches drawn independently; an epoch's permutation can keep a run above it settled
            # (noise-free data at 0.5, batch size 1, limit 0.434: every seed of the page's runs settles)
            which = "above_limit_reshuffled" if config.shuffle == "epoch" else "above_limit"
            lines.append((f"lesson.batch_size.floor.{which}", {"batch": config.batch_size,
                                                               "limit": limit.learning_rate}))
            continue
        floor = verdicts.noise_floor_for(problem, data_key, config, limits)
        if floor is None:  # not computed: the data is too large, or batches come from blocks of neighbouring rows
            reason = "blocks" if config.shuffle == "blocks" else "too_large"
            lines.append((f"lesson.batch_size.floor.{reason}", {"batch": config.batch_size}))
            continue
        # The floor's excess is above the optimum SGD heads for: with weight decay, the penalised one, whose
        # own loss is above the closed form's; the expected loss is then that far further above the closed form.
        percent = floor.excess_loss / floor.optimum_loss if floor.optimum_loss > 0 else math.inf
        if config.weight_decay:
            penalised = floor.optimum_loss
            lines.append(("lesson.batch_size.floor.line_decay", {
                "batch": config.batch_size, "total": floor.expected_loss - closed_form,
                "excess": floor.excess_loss, "percent": percent}))
        elif floor.optimum_loss <= rounding_level(problem):  # a part of rounding is no measure
            lines.append(("lesson.batch_size.floor.line_rounding", {"batch": config.batch_size,
                                                                    "rounding": rounding_level(problem)}))
        else:
            lines.append(("lesson.batch_size.floor.line", {"batch": config.batch_size, "excess": floor.excess_loss,
                                                           "percent": percent}))
        # Without weight decay: with it the unpenalised loss moves to first order about the penalised optimum, and
        # its swings hide the noise's share (it measures below that optimum's loss as often as above).
        # Nor at a floor of rounding: what training measures there is its own rounding, no level to compare.
        if config.shuffle == "epoch" and floor.excess_loss > 0 and not config.weight_decay and \
                floor.optimum_loss > rounding_level(problem):
            hovering = hovering_at_epoch_ends(problem, config, floor, len(configs))
            if hovering is not None:
                measured.append(("lesson.batch_size.floor.measured_line", {"batch": config.batch_size, **hovering}))
    # The floors are for batches drawn independently of one another, each of B different rows (sgdcore.stability;
    # with replacement, when that is the sampling, rows drawn with replacement). An epoch's
    # permutation uses each row once, its noise partly cancels by the epoch's end, and runs hover lower: as low as
    # training here shows, where an answer's work allows it.
    # A floor of rounding has nothing to cancel; training's own rounding shows above it.
    if value(state, "shuffle") == "epoch" and any(key in FLOOR_LINES for key, _ in lines):
        lines.append(("lesson.batch_size.floor.reshuffled", {}))
    if measured:
        lines += [("lesson.batch_size.floor.measured", {"seed": value(state, "seed")}), *measured]
    rate = value(state, "learning_rate")
    if penalised is None:
        # Noise-free data has no floor: its lines say so, and the opening must not promise one
        opening = "rate_rounding" if closed_form <= rounding_level(problem) else "rate"
        return ((f"lesson.batch_size.floor.{opening}", {"rate": rate, "loss": closed_form}), *lines)
    return (("lesson.batch_size.floor.rate_decay", {"rate": rate, "decay": value(state, "weight_decay"),
                                                   "penalised": penalised, "shift": penalised - closed_form,
                                                   "loss": closed_form}), *lines)


# Momentum


def start_error(valley: sgdcore.Problem, config: sgdcore.TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """The eigenvalues of the Hessian of the loss ``config`` descends (the data's, with its weight decay on the
    weights), and the error of ``config``'s starting point (its seed's) from that loss's minimum along their
    eigenvectors: where a full-batch run of ``config`` on ``valley`` starts, as sgdcore.train starts it."""
    if config.l1_penalty:
        raise ValueError(f"l1_penalty must be 0 for a quadratic loss's exact run; got {config.l1_penalty}.")
    hessian = valley.quadratic.hessian
    decay = config.weight_decay * np.diag(np.r_[np.ones(len(hessian) - 1), 0.0])
    optimum = sgdcore.penalised_optimum(valley, config) if config.weight_decay else valley.optimum.params
    eigenvalues, eigenvectors = np.linalg.eigh(hessian + decay)
    weights, bias = sgdcore.init_params(valley.train.n_features, np.random.default_rng(config.seed), config.init,
                                        config.init_scale)
    return eigenvalues, eigenvectors.T @ (np.append(weights, bias) - optimum)


def full_batch_steps_to_stay(valley: sgdcore.Problem, config: sgdcore.TrainConfig, measure: str) -> int | None:
    """The step from which a full-batch run of ``config`` stays within the Momentum page's target for ever: its loss
    within :data:`WITHIN` of the closed form's (``measure="loss"``), or its distance to the optimum within
    :data:`ERROR_SHRINK` of its start's (``"distance"``), to the minimum of the loss it descends (with its weight
    decay; the loss measure is for a run without). Exact (:func:`sgdcore.steps_to_stay_within`); None if the run
    never stays there (it diverges, or has not settled by :data:`MAX_EPOCHS` steps)."""
    eigenvalues, error = start_error(valley, config)
    if measure == "loss":
        # the loss above the optimum's: ½·Σλe²
        weights, bound = eigenvalues / 2.0, target_loss(valley, WITHIN) - valley.optimum_loss
    else:
        weights, bound = np.ones_like(eigenvalues), ERROR_SHRINK**2 * float(np.sum(error**2))
    return sgdcore.steps_to_stay_within(eigenvalues, error, weights, bound, config.learning_rate, config.momentum,
                                        config.dampening, config.nesterov, max_steps=MAX_EPOCHS)


def momentum_steps(state: MutableMapping[str, Any], valley: sgdcore.Problem, data_key: str) -> Answer:
    """Steps plain descent and momentum need on the page's valley to come, and stay, within :data:`WITHIN` of its
    optimum: exactly for the full batch; with minibatches, at the epoch ends of the page's runs, trained here."""
    kappa = valley.curvature.condition_number
    runs = momentum_runs(state, valley)
    plain = next(iter(runs.values()))
    valley_fields = {"kappa": kappa_text(kappa, 4), "root": math.sqrt(kappa)}
    if plain.batch_size < valley.train.n_rows:
        return _momentum_steps_minibatch(valley, runs, valley_fields)
    lines: list[Line] = [("lesson.momentum.steps.valley", valley_fields), *rounding_line(valley, WITHIN)]
    steps: dict[str, int] = {}
    for name, config in zip(("plain", "heavy_ball", "nesterov"), runs.values(), strict=False):
        fields = {"mu": config.momentum, "steps": MAX_EPOCHS}
        stay = full_batch_steps_to_stay(valley, config, "loss")
        if stay is None:
            contraction = sgdcore.contraction_factor(valley.curvature.eigenvalues, config.learning_rate,
                                                     config.momentum, config.dampening, config.nesterov)
            key = "diverged" if contraction > 1.0 else "not_reached"
            lines.append((f"lesson.momentum.steps.{name}_{key}", fields))
            continue
        steps[name] = stay
        lines.append((f"lesson.momentum.steps.{name}", {**fields, "steps": stay}))
    if steps.get("heavy_ball") and "plain" in steps:
        lines.append(_steps_ratio(valley.curvature, steps["plain"], steps["heavy_ball"], runs))
    return tuple(lines)


def _steps_ratio(curvature: sgdcore.Curvature, plain: int, heavy_ball: int,
                 runs: dict[str, sgdcore.TrainConfig]) -> Line:
    """Momentum's steps against plain descent's, worded by which needs more: a ratio below 1 read as "fewer" would
    say the opposite of the counts above it."""
    if heavy_ball < plain:
        return ("lesson.momentum.steps.ratio", {"ratio": plain / heavy_ball})
    if heavy_ball == plain:
        return ("lesson.momentum.steps.ratio_same", {})
    mu, (polyak, _) = list(runs.values())[1].momentum, sgdcore.polyak_heavy_ball(curvature.eigenvalues)
    if mu <= polyak:  # not more momentum than the valley needs: the rate or the start is why, which the counts show
        return ("lesson.momentum.steps.ratio_more_start", {"ratio": heavy_ball / plain})
    # Each direction's two roots multiply to μ, so no rate takes the error down faster than √μ a step
    return ("lesson.momentum.steps.ratio_more", {"ratio": heavy_ball / plain, "mu": mu, "root_mu": math.sqrt(mu),
                                                 "kappa": kappa_text(curvature.condition_number, 4), "polyak": polyak})


LATER = "lesson.momentum.steps.later"  # a line that ends the one before it (answer_text)


def _momentum_steps_minibatch(valley: sgdcore.Problem, runs: dict[str, sgdcore.TrainConfig],
                              valley_fields: dict[str, Any]) -> Answer:
    """The page's minibatch runs, trained here as the page trains them (same seed, batch size and epochs), each
    for at least the page's epochs and, within the work limit, longer: where a run's epoch-end loss stays within
    :data:`WITHIN` to the end of the page's epochs, and whether it diverges later."""
    target = target_loss(valley, WITHIN)
    n_train = valley.train.n_rows
    plain = next(iter(runs.values()))
    if any(config.epochs > epoch_budget(valley, config, len(runs)) for config in runs.values()):
        return (("lesson.too_large", {}),)
    lines: list[Line] = [("lesson.momentum.steps.valley_minibatch", {
        **valley_fields, "batch": plain.batch_size, "seed": plain.seed, "page": plain.epochs}),
        *rounding_line(valley, WITHIN)]
    for name, config in zip(("plain", "heavy_ball", "nesterov"), runs.values(), strict=False):
        page = config.epochs
        longer = epoch_budget(valley, config, len(runs))
        *_, last = sgdcore.train(valley.train, replace(config, epochs=longer, tol=None), report_every=REPORT_NEVER,
                                 quadratic=valley.quadratic)
        steps_per_epoch = config.steps_per_epoch(n_train)
        fields = {"mu": config.momentum, "page": page}
        diverged_at = (last.diverged_at_step or last.step) if last.status == "diverged" else None
        if diverged_at is not None and diverged_at <= page * steps_per_epoch:
            lines.append((f"lesson.momentum.steps.{name}_diverged", fields))
            continue
        losses = last.epoch_train_loss[:page + 1]
        outside = np.flatnonzero(~(losses <= target))
        if outside.size and outside[-1] == page:
            lines.append((f"lesson.momentum.steps.{name}_minibatch_out", fields))
        else:
            epoch = int(outside[-1]) + 1 if outside.size else 0
            lines.append((f"lesson.momentum.steps.{name}_minibatch", {**fields, "epoch": epoch,
                                                                      "steps": epoch * steps_per_epoch}))
        if diverged_at is not None:
            lines.append((LATER, {"page": page, "epoch": math.ceil(diverged_at / steps_per_epoch),
                                  "step": diverged_at}))
    return tuple(lines)


def settable(key: str) -> np.ndarray:
    """The values the Momentum page's control ``key`` takes on its steps: the multiples of its step, in bounds (what
    its − and + buttons reach from its default, a multiple too: the answer names values the steps say, 3.2 not 3.21)."""
    setting, step = BY_KEY[key], MOMENTUM_PAGE_STEPS[key]
    assert math.isclose(setting.default / step, round(setting.default / step)), key  # the default is on the steps
    values = np.round(np.arange(0, math.floor(setting.high / step + 1e-9) + 1) * step, 10)
    return values[(values >= setting.low) & (values <= setting.high)]


def fastest_settings(valley: sgdcore.Problem, full: sgdcore.TrainConfig) -> tuple[float, float]:
    """The Momentum μ and rate multiple on the page's controls' steps (μ = 0 included) whose full-batch heavy ball
    shrinks the error fastest in the long run. Polyak's values are rarely on those steps, and rounding them can
    leave the damped regime (the optimum is at its edge), so every pair is tried: all at once, in a few milliseconds;
    then the runs of those that tie, exactly.

    Along eigenvalue λ the error's two roots solve z² − (1 + μ − ηλ)z + μ = 0 (:func:`sgdcore.contraction_factor`).
    Where both are complex their modulus is √μ whatever the rate, so several rates can tie: of pairs equally fast, to
    rounding, the one whose run of ``full`` (the page's full-batch run, from its start) stays within 1/1000 of its
    start's distance soonest, as the page counts it (at κ = 1000, μ 0.89 with rate 3.5 from step 131, 3.3 from 140);
    then the least momentum, then the lowest rate.
    """
    mus, multiples = settable("momentum_compared"), settable("momentum_page_rate_multiple")
    curvature = valley.curvature
    mu, multiple, scaled = np.meshgrid(mus, multiples, curvature.eigenvalues / curvature.lambda_max, indexing="ij")
    trace = 1.0 + mu - multiple * scaled
    root = np.sqrt(trace * trace - 4.0 * mu + 0j)
    radius = np.maximum(np.abs(trace + root), np.abs(trace - root)).max(axis=2) / 2.0
    tied = np.argwhere(radius <= radius.min() * (1.0 + 1e-12))  # row-major: least μ first, then the lowest rate

    def steps(pair: np.ndarray) -> float:
        config = replace(full, learning_rate=multiples[pair[1]] / curvature.lambda_max, momentum=mus[pair[0]])
        stay = full_batch_steps_to_stay(valley, config, "distance")
        return math.inf if stay is None else stay

    i, j = min(tied, key=steps)  # the first of the soonest
    return float(mus[i]), float(multiples[j])


def momentum_best(state: MutableMapping[str, Any], valley: sgdcore.Problem, data_key: str) -> Answer:
    """The momentum and rate that make the valley fastest (full batch), and what they gain over plain descent:
    the steps a full-batch run of each takes from the page's starting point (its seed's) to 1/1000 of its error.
    With the page's minibatches, also what those full-batch settings do at its batch size: trained here."""
    curvature = valley.curvature
    top = curvature.lambda_max
    config = next(iter(momentum_runs(state, valley).values()))  # the page's seed, starting point and batch size
    full = replace(config, batch_size=valley.train.n_rows)
    mu, multiple = fastest_settings(valley, full)
    contraction = sgdcore.contraction_factor(curvature.eigenvalues, multiple / top, mu)
    best = 2.0 / (top + curvature.lambda_min)
    plain = sgdcore.contraction_factor(curvature.eigenvalues, best)
    fastest = replace(full, learning_rate=multiple / top, momentum=mu)
    polyak_mu, polyak_rate = sgdcore.polyak_heavy_ball(curvature.eigenvalues)
    lines: list[Line] = [
        ("lesson.momentum.best.answer" if mu else "lesson.momentum.best.answer_no_momentum", {
            "kappa": kappa_text(curvature.condition_number, 4), "polyak_mu": polyak_mu,
            "polyak_multiple": polyak_rate * top, "mu_step": MOMENTUM_PAGE_STEPS["momentum_compared"],
            "rate_step": MOMENTUM_PAGE_STEPS["momentum_page_rate_multiple"], "mu": mu, "multiple": multiple,
            "contraction": contraction, "seed": config.seed,
            "steps": full_batch_steps_to_stay(valley, fastest, "distance") or 0}),
        ("lesson.momentum.best.plain", {"contraction": plain, "steps": full_batch_steps_to_stay(
            valley, replace(full, learning_rate=best), "distance") or 0})]
    if lines[0][1]["steps"]:  # the long run's fastest, then the soonest from this start, then plain descent
        lines.insert(1, _soonest_pair(valley, full, fastest, lines[0][1]["steps"]))
    if plain < contraction:  # on a round valley: the best plain rate is between the rate control's steps
        typed = float(f"{best * top:.4g}")  # the box takes any value, as the answer writes it
        lines.append(("lesson.momentum.best.plain_between", {
            "multiple": best * top, "rate_step": MOMENTUM_PAGE_STEPS["momentum_page_rate_multiple"], "typed": typed,
            "steps": full_batch_steps_to_stay(valley, replace(full, learning_rate=typed / top, momentum=0.0),
                                              "distance") or 0}))
    if config.batch_size < valley.train.n_rows:
        lines.append(_fastest_at_the_batch_size(valley, replace(fastest, batch_size=config.batch_size)))
    return tuple(lines)


def _soonest_pair(valley: sgdcore.Problem, full: sgdcore.TrainConfig, fastest: sgdcore.TrainConfig,
                  steps: int) -> Line:
    """Whether, from the page's starting point, a pair on the controls' steps gets the distance down 1000× for good
    in fewer than the ``steps`` the long-run ``fastest`` takes, and which takes fewest (:func:`_soonest_to_stay`).
    The long-run factor is how fast the error shrinks once only its slowest part is left, and with momentum the
    first steps rise and fall: at κ = 100, μ 0.69 with rate 3.1 stays within from step 40, the long run's 0.67 with
    3.3 from step 44."""
    mus, multiples = (grid.ravel() for grid in np.meshgrid(settable("momentum_compared"),
                                                            settable("momentum_page_rate_multiple"), indexing="ij"))
    top = valley.curvature.lambda_max
    rates = multiples / top
    fewest, index = _soonest_to_stay(valley, full, rates, mus, steps)
    fields = {"tried": len(mus), "steps": steps}
    if index is None:
        return ("lesson.momentum.best.none_sooner", fields)
    soonest = replace(full, learning_rate=float(rates[index]), momentum=float(mus[index]))
    eigenvalues = valley.curvature.eigenvalues
    return ("lesson.momentum.best.sooner", {
        **fields, "mu": soonest.momentum, "multiple": float(multiples[index]), "sooner": fewest,
        "contraction": sgdcore.contraction_factor(eigenvalues, soonest.learning_rate, soonest.momentum,
                                                  soonest.dampening, soonest.nesterov),
        "fastest": sgdcore.contraction_factor(eigenvalues, fastest.learning_rate, fastest.momentum,
                                              fastest.dampening, fastest.nesterov)})


def _fastest_at_the_batch_size(valley: sgdcore.Problem, fastest: sgdcore.TrainConfig) -> Line:
    """The fastest full-batch settings at the page's batch size: their rate against that batch size's limit, and what
    the page's run of them (its seed and epochs) does there, trained here."""
    limit = sgdcore.minibatch_stability_limit(valley.train, fastest.batch_size, momentum=fastest.momentum).learning_rate
    *_, last = sgdcore.train(valley.train, replace(fastest, tol=None), report_every=REPORT_NEVER,
                             quadratic=valley.quadratic)
    fields = {"batch": fastest.batch_size, "mu": fastest.momentum, "rate": fastest.learning_rate, "limit": limit,
              "ratio": fastest.learning_rate / limit, "seed": fastest.seed, "epochs": fastest.epochs}
    if last.status == "diverged":
        return ("lesson.momentum.best.minibatch_diverges", {**fields, "step": last.diverged_at_step or last.step})
    percent = 100.0 * (float(last.epoch_train_loss[-1]) / valley.optimum_loss - 1.0)
    return ("lesson.momentum.best.minibatch_runs", {**fields, "percent": percent})


# Data


def data_conditioning(state: MutableMapping[str, Any], problem: Any, data_key: str) -> Answer:
    """The condition number and the largest stable learning rates of the data as it is and standardised."""
    _rows(problem)
    raw = problem.raw_train
    try:
        standardized = sgdcore.Standardizer.fit(raw, target=True).transform(raw)
    except sgdcore.DataError:  # a constant column: nothing to divide it by
        return (("lesson.data.conditioning.constant", {}),)
    config = train_config(state, problem.train.n_rows)
    lines: list[Line] = []
    for name, data in (("raw", raw), ("standardized", standardized)):
        curvature = sgdcore.curvature(sgdcore.quadratic_loss(data).hessian)
        # The data's own limit: the sampling's settings, not the optimiser's (momentum, weight decay)
        sampling = {key: setting for key, setting in sgdcore.limit_settings(config).items()
                    if key in ("drop_last", "replacement", "block_size")}
        limit = sgdcore.minibatch_stability_limit(data, config.batch_size, **sampling)
        lines.append((f"lesson.data.conditioning.{name}", {
            "kappa": kappa_text(curvature.condition_number, 4), "full": 2.0 / curvature.lambda_max,
            "batch": config.batch_size, "limit": limit.learning_rate}))
    lines.append((f"lesson.data.conditioning.{'on' if value(state, 'standardize') else 'off'}", {}))
    return tuple(lines)


def data_fit(state: MutableMapping[str, Any], problem: Any, data_key: str) -> Answer:
    """How well the best straight line fits: the closed form's R² on the training and the held-out rows."""
    comparison = problem.compare(problem.optimum.weights, problem.optimum.bias)
    train_rows = problem.raw_train.n_rows
    if math.isnan(comparison.train_r2_closed_form):  # a target that does not vary: R² is undefined (sgdcore.compare)
        lines: list[Line] = [("lesson.data.fit.train_undefined", {"rows": train_rows})]
    else:
        lines = [("lesson.data.fit.train", {"r2": comparison.train_r2_closed_form, "rows": train_rows})]
    if comparison.test_r2_closed_form is None:
        lines.append(("lesson.data.fit.no_test", {}))
    elif math.isnan(comparison.test_r2_closed_form):
        lines.append(("lesson.data.fit.test_undefined", {"rows": problem.raw_test.n_rows}))
    else:
        lines.append(("lesson.data.fit.test", {"r2": comparison.test_r2_closed_form,
                                               "rows": problem.raw_test.n_rows}))
    return tuple(lines)


# Export


def _trained_now(state: MutableMapping[str, Any], problem: Any, **overrides: Any) -> sgdcore.Progress | None:
    """The Train page's run of the sidebar's settings, trained here; None when it is more work than an answer's."""
    data = _rows(problem)
    config = train_config(state, data.n_rows, **overrides)
    if config.epochs > epoch_budget(problem, config, runs=2):  # the Export page's second answer trains two
        return None
    *_, last = sgdcore.train(data, config, test=problem.test, report_every=REPORT_NEVER, quadratic=problem.quadratic,
                             test_quadratic=problem.test_quadratic)
    return last


def export_script(state: MutableMapping[str, Any], problem: Any, data_key: str) -> Answer:
    """What the exported script prints for a run of the sidebar's settings: trained here, the same run."""
    last = _trained_now(state, problem)
    if last is None:
        return (("lesson.too_large", {}),)
    if last.status == "diverged":
        return (("lesson.export.script.diverged", {"step": last.diverged_at_step or last.step}),)
    return (("lesson.export.script.answer", {
        "epochs": last.epoch, "steps": last.step, "weights": repr(last.weights.tolist()), "bias": repr(last.bias),
        "loss": float(last.epoch_train_loss[-1]), "optimum": problem.optimum_loss}),)


def export_seed(state: MutableMapping[str, Any], problem: Any, data_key: str) -> Answer:
    """How far apart the runs of two seeds end, against their distance to the closed form."""
    seed = value(state, "seed")
    runs = [_trained_now(state, problem, seed=s) for s in (seed, seed + 1)]
    if any(run is None for run in runs):
        return (("lesson.too_large", {}),)
    if any(run.status == "diverged" for run in runs):
        return (("lesson.export.seed.diverged", {}),
                _steadier(problem, data_key, train_config(state, problem.train.n_rows)))
    first, second = (np.append(run.weights, run.bias) for run in runs)
    optimum = problem.optimum.params
    return (("lesson.export.seed.answer", {
        "seed": seed, "other": seed + 1, "apart": float(np.linalg.norm(first - second)),
        "first": float(np.linalg.norm(first - optimum)), "second": float(np.linalg.norm(second - optimum))}),)


def export_predict(state: MutableMapping[str, Any], problem: Any, data_key: str) -> Answer:
    """Predict's starting row as a run of the sidebar's settings, the closed form and (synthetic data) the truth
    predict it: SGD's gap to the closed form, which training closes, and the closed form's to the truth, which only
    more rows do."""
    from ui.predictions import input_columns, starting_row  # the Export page's own, which imports the widgets

    last = _trained_now(state, problem)
    if last is None:
        return (("lesson.too_large", {}),)
    if last.status == "diverged":
        return (("lesson.export.predict.diverged", {"step": last.diverged_at_step or last.step}),)
    columns = input_columns(problem)
    row = starting_row(problem, columns)
    X = sgdcore.encode_rows({name: [cell] for name, cell in row.items()}, problem.raw_train)
    sgd = float(sgdcore.predict(X, *problem.to_original_units(last.weights, last.bias))[0])
    closed_form = float(sgdcore.predict(X, *problem.to_original_units(problem.optimum.weights,
                                                                        problem.optimum.bias))[0])
    fields = {"row": tuple(row.items()), "sgd": sgd, "closed_form": closed_form, "optimisation": sgd - closed_form,
              "epochs": last.epoch, "rows": problem.raw_train.n_rows}
    raw = problem.raw_train
    if raw.true_weights is None or raw.true_bias is None:
        return (("lesson.export.predict.answer", fields),)
    truth = float(sgdcore.predict(X, raw.true_weights, raw.true_bias)[0])
    return (("lesson.export.predict.answer_truth", {**fields, "truth": truth, "statistical": closed_form - truth}),)


ANSWER_FUNCTIONS: dict[tuple[str, str], Callable[[MutableMapping[str, Any], Any, str], Answer]] = {
    ("train", "optimum"): train_optimum,
    ("train", "epochs"): train_epochs,
    ("learning_rate", "limits"): learning_rate_limits,
    ("learning_rate", "fastest"): learning_rate_fastest,
    ("batch_size", "race"): batch_size_race,
    ("batch_size", "floor"): batch_size_floor,
    ("momentum", "steps"): momentum_steps,
    ("momentum", "best"): momentum_best,
    ("data", "conditioning"): data_conditioning,
    ("data", "fit"): data_fit,
    ("export", "script"): export_script,
    ("export", "seed"): export_seed,
    ("export", "predict"): export_predict,
}

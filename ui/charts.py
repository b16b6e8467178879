"""Altair charts of runs: pure functions from sgdcore results to charts, importable without a browser.

Histories are already bounded by sgdcore (≤ 1024 points per series); data clouds are sampled here,
so no chart comes near Altair's row limit.

Encodings are channel objects (``alt.Y("loss:Q")``, ``alt.Tooltip("step")``), never bare strings: Altair
wraps each string through a ``from_dict`` that hashes its whole schema, about 60 ms over the Train page's
five charts on every rerun. A chart's spec depends on the settings only, never on the run's progress, so
the browser redraws it in place (see ``ui.slots``).

Every word a chart shows is in the page's language (``ui.i18n``): titles, axes, legends, hover texts, and the
data's values that show as legend entries or labels (a series' name is its text, not a code). Field names stay
English identifiers, each shown only through a title. So every mark has a tooltip of its own, each field titled and
each number formatted, or none (``tooltip=False``): Streamlit's theme hovers a mark without one with every field
its channels draw, untitled and unformatted (a contour's drawing order, an arrow's angle).
"""

from __future__ import annotations

import itertools
import json
import math
import unicodedata
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace

import altair as alt
import numpy as np
import pandas as pd

import sgdcore
from sgdcore.changes import changed_settings
from ui.i18n import labels, t

MAX_POINTS = 1500  # data points in a scatter
SERIES_POINTS = 4000  # points over all the lines of one chart (Altair refuses more than 5000 rows)
TINY = 1e-16  # log scales cannot show 0; a loss floor of exactly 0 is drawn here
SIZE = 380
# Each chart gets its size and title in its constructor (alt.layer(..., height=...)), not from .properties(), which
# copies the whole chart and checks each property against Vega-Lite's schema: a cost every redraw would pay.


# A legend under a chart is as wide as its entries, not as the chart: Vega lays out as many columns as asked and
# cuts the rest off at the chart's edge (the Train page's loss legend lost "test (per epoch)" at a 1400-pixel
# window). So a bottom legend takes as many columns as fit the width of the chart's plot as drawn, fewer as the
# window narrows, and at one column shortens only a label wider than the plot. Vega cannot measure text in an
# expression: the widths are estimated here, a little generously, from the 14-pixel labels of Streamlit's theme as
# Chromium draws them ("minibatch" 59 pixels, "train (full, per epoch)" 123, "测试集（每个迭代周期）" 154; 33 pixels
# of symbol and spacing an entry).
LEGEND_CHARACTER_PIXELS = {"thin": 4.5, "letter": 7.6, "broad": 11.5, "capital": 9.5, "wide": 14.5}
THIN_CHARACTERS = frozenset(" .,:;'!|()[]{}-/fijlrtI")
LEGEND_ENTRY_PIXELS = 34  # the symbol, the gap before its label, and the space between columns


def _character_class(character: str) -> str:
    if unicodedata.east_asian_width(character) in "WF":  # Chinese characters and full-width forms
        return "wide"
    if character in "mwMW":
        return "broad"
    if character in THIN_CHARACTERS:
        return "thin"
    return "capital" if character.isupper() else "letter"


def _label_pixels(label: str) -> float:
    """An upper estimate of ``label``'s width in a legend, in pixels."""
    return sum(LEGEND_CHARACTER_PIXELS[_character_class(character)] for character in label)


def _legend_width(labels: Sequence[str], columns: int) -> float:
    """The estimated width of a legend of ``labels`` laid out in ``columns`` columns, row after row."""
    return sum(max(LEGEND_ENTRY_PIXELS + _label_pixels(label) for label in labels[column::columns])
               for column in range(min(columns, len(labels))))


def bottom_legend(labels: Sequence[str], most_columns: int) -> alt.Legend:
    """A legend of ``labels`` under the chart, in as many columns (up to ``most_columns``) as fit the plot's width
    as drawn (Vega's ``width``), else one column, where a label wider than the plot goes on two lines (the Chinese
    "训练集（全量，" and "每个迭代周期）" at a 1024-pixel window, :func:`_two_lines`), cut only if a line is still
    wider than the plot."""
    fits = [(_legend_width(labels, columns), columns) for columns in range(min(most_columns, len(labels)), 1, -1)]
    columns = "".join(f"width >= {width:.0f} ? {n} : " for width, n in fits) + "1"
    # Vega draws a label given as a list of strings one string a line; the legend makes room for the lines.
    broken = "".join(f"datum.label === {json.dumps(label)} && width - {LEGEND_ENTRY_PIXELS} < "
                     f"{_label_pixels(label):.0f} ? {json.dumps(lines)} : "
                     for label in labels if (lines := _two_lines(label)))
    return alt.Legend(orient="bottom", columns=alt.ExprRef(columns),
                      labelExpr=broken + "datum.label" if broken else alt.Undefined,
                      labelLimit=alt.ExprRef(f"max(width - {LEGEND_ENTRY_PIXELS}, 60)"))


def _two_lines(label: str) -> list[str] | None:
    """``label`` on two lines: broken after its first comma (kept at the end of the first line), else before its
    first bracket; None if it has neither between two words."""
    for comma in ("，", ", "):
        head, _, tail = label.partition(comma)
        if head and tail:
            return [head + comma.strip(), tail]
    for bracket in ("（", " ("):
        head, _, tail = label.partition(bracket)
        if head and tail:
            return [head, bracket.strip() + tail]
    return None


def titled(title: str, subtitle: str) -> alt.Title:
    """A chart's title with a line under it, in smaller type: what its marks mean, its scale, or which rows it draws.
    One line of both was cut off in a narrow chart (Streamlit limits a title to the chart's width), and the key with
    it."""
    return alt.Title(text=title, subtitle=subtitle)


def _finite(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame[np.isfinite(frame[column].to_numpy(dtype=float))]


def _evenly(n: int, limit: int) -> np.ndarray:
    """Indices of at most ``limit`` evenly spaced points of a series of ``n``, always with the first and last."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max(limit, 2)).round().astype(int))


def _sample(n: int, limit: int = MAX_POINTS, seed: int = 0) -> np.ndarray:
    """Row indices of at most ``limit`` rows, the same every time for the same ``n``."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


def scheduled_rates(config: sgdcore.TrainConfig, steps_per_epoch: int, steps: np.ndarray) -> np.ndarray:
    """The learning rate at each 0-based step of a run of ``config``; a cosine schedule without a length runs
    over the whole run, as :func:`sgdcore.train` resolves it."""
    config = replace(config, schedule=config.schedule.over(steps_per_epoch * config.epochs))
    steps = np.asarray(steps, dtype=np.int64)
    return np.asarray(config.learning_rate_at(steps), dtype=np.float64).reshape(steps.shape)


def learning_rates(config: sgdcore.TrainConfig, progress: sgdcore.Progress, steps: np.ndarray) -> np.ndarray:
    """The learning rate of the update that made each point: step ``N`` (counted from 1, as the histories count
    them) was taken at the rate of 0-based step ``N − 1``; the start (step 0) shows the first step's rate.

    A run whose settings changed part-way (``progress.changes``) took the steps before each change at the rates of
    the configs it had then (``progress.state.configs``); ``config`` gives the rest."""
    steps = np.maximum(np.asarray(steps, dtype=np.int64) - 1, 0)
    rates = scheduled_rates(config, progress.steps_per_epoch, steps)
    used = progress.state.configs
    for (start, earlier), (end, _) in itertools.pairwise(used):
        before = (steps >= start) & (steps < end)
        rates[before] = np.asarray(earlier.learning_rate_at(steps[before]), dtype=np.float64).reshape(-1)
    return rates


AXES = ("step", "epoch", "examples", "seconds")  # what a run's history can run along: the fields of its tables


def examples_seen(steps: np.ndarray, n_rows: int, config: sgdcore.TrainConfig) -> np.ndarray:
    """Training rows processed after each number of steps: ``batch_size`` a step, but an epoch's short last
    batch holds only the rows left (or is dropped, with ``drop_last``)."""
    steps_per_epoch = config.steps_per_epoch(n_rows)
    per_epoch = steps_per_epoch * config.batch_size if config.drop_last else n_rows
    epochs, within = np.divmod(np.asarray(steps, dtype=np.int64), steps_per_epoch)
    return epochs * per_epoch + np.minimum(within * config.batch_size, per_epoch)


def examples_seen_across_changes(progress: sgdcore.Progress, steps: np.ndarray, n_rows: int) -> np.ndarray:
    """:func:`examples_seen` for a run whose settings changed part-way: each epoch in minibatches of the batch size
    in force when it began (``progress.state.configs``; a new batch size waits for the next epoch)."""
    ends, used = progress.epoch_steps, progress.state.configs
    firsts = np.array([first for first, _ in used])
    began_with = [used[np.searchsorted(firsts, end, side="right") - 1][1] for end in ends]  # the epoch after each end

    def rows_in_epoch(config: sgdcore.TrainConfig) -> int:
        return config.steps_per_epoch(n_rows) * config.batch_size if config.drop_last else n_rows

    done = np.concatenate(([0], np.cumsum([rows_in_epoch(config) for config in began_with[:-1]], dtype=np.int64)))
    steps = np.asarray(steps, dtype=np.int64)
    epoch = np.searchsorted(ends, steps, side="right") - 1
    batch = np.array([config.batch_size for config in began_with], dtype=np.int64)[epoch]
    cap = np.array([rows_in_epoch(config) for config in began_with], dtype=np.int64)[epoch]
    return done[epoch] + np.minimum((steps - ends[epoch]) * batch, cap)


def seconds_at(progress: sgdcore.Progress, steps: np.ndarray) -> np.ndarray:
    """Wall time after each number of steps: measured at each epoch's end and at the snapshot, in between
    interpolated linearly (sgdcore times epochs, not steps)."""
    known_steps = progress.epoch_steps[: len(progress.epoch_seconds)]
    known_seconds = np.asarray(progress.epoch_seconds, dtype=np.float64)
    if progress.step > known_steps[-1]:
        known_steps = np.append(known_steps, progress.step)
        known_seconds = np.append(known_seconds, progress.elapsed_seconds)
    return np.interp(np.asarray(steps, dtype=np.float64), known_steps, known_seconds)


def epochs_done(progress: sgdcore.Progress, steps: np.ndarray) -> np.ndarray:
    """Epochs done after each number of steps: by the steps at each epoch's end (the batch size, hence the steps in
    an epoch, may have changed part-way: ``sgdcore.changes``), and after the last, at the run's current batch size."""
    ends = progress.epoch_steps
    steps = np.asarray(steps, dtype=np.float64)
    within = np.interp(steps, ends, np.arange(len(ends), dtype=np.float64))
    return np.where(steps > ends[-1], len(ends) - 1 + (steps - ends[-1]) / progress.steps_per_epoch, within)


def _with_position(frame: pd.DataFrame, progress: sgdcore.Progress, config: sgdcore.TrainConfig | None,
                   n_rows: int | None = None) -> pd.DataFrame:
    """``frame`` (with a ``step`` column) with where each point is in the run besides its step: epochs done,
    wall time and, given the run's config, the learning rate and (given the training rows) the examples seen."""
    steps = frame["step"].to_numpy()
    frame["epoch"] = epochs_done(progress, steps)
    frame["seconds"] = seconds_at(progress, steps)
    if config is not None:
        frame["learning rate"] = learning_rates(config, progress, steps)
        if n_rows is not None:
            frame["examples"] = (examples_seen(steps, n_rows, config) if len(progress.state.configs) < 2
                                 else examples_seen_across_changes(progress, steps, n_rows))
    return frame


# Hover texts shared by every chart of a run's history: where the point is in the run, and at what rate.
def _epoch_tooltip() -> alt.Tooltip:
    return alt.Tooltip("epoch:Q", title=t("charts.epochs_done"), format=".4~f")


def _rate_tooltip() -> alt.Tooltip:
    return alt.Tooltip("learning rate:Q", title=t("charts.learning_rate"), format=".6~g")


def _step_tooltip() -> alt.Tooltip:
    return alt.Tooltip("step:Q", title=t("charts.step"), format=",d")


def _label_tooltip() -> alt.Tooltip:
    """The hover text of a line or mark that says what it is (its data's ``label``)."""
    return alt.Tooltip("label:N", title=t("charts.label"))


AXIS_FORMATS = {"examples": ",d", "seconds": ".4g"}  # the axes whose quantity a point's hover text adds


def _position_tooltips(with_rate: bool, x: str = "step") -> list[alt.Tooltip]:
    """Step, epochs done, the rate (if known) and the horizontal axis's own quantity when it is another."""
    return [_step_tooltip(), _epoch_tooltip(), *([_rate_tooltip()] if with_rate else []),
            *([alt.Tooltip(f"{x}:Q", title=labels("charts.axis")[x], format=AXIS_FORMATS[x])]
              if x in AXIS_FORMATS else [])]


def _x_axis(x: str) -> alt.X:
    """The horizontal axis of a run's history: whole numbers for steps and examples."""
    if x not in AXES:
        raise ValueError(f"x must be one of {', '.join(AXES)}; got {x!r}.")
    whole = alt.Axis(format=",d", tickMinStep=1) if x in ("step", "examples") else alt.Axis()
    return alt.X(f"{x}:Q", title=labels("charts.axis")[x], axis=whole)


def _loss_axis() -> str:
    return t("charts.loss_axis")


def series_names() -> dict[str, str]:
    """The loss chart's series by code (``minibatch``, ``train``, ``test``, ``closed_form_loss``, ``noise_floor``):
    their names in the page's language, which its data holds and its legend shows."""
    return labels("charts.series_name")


def loss_history(progress: sgdcore.Progress, config: sgdcore.TrainConfig | None = None,
                 n_rows: int | None = None) -> pd.DataFrame:
    """Long table of one run's losses: noisy minibatch, and full training/test per epoch, by step, with the
    epochs done, the wall time and, given the run's ``config``, the learning rate at each step and (given the
    training rows ``n_rows``) the examples seen. ``series`` names each in the page's language (:func:`series_names`).
    """
    names = series_names()
    kept = _evenly(len(progress.epoch_train_loss), SERIES_POINTS // 4)  # thousands of epochs: a sample
    minibatch = _evenly(len(progress.loss_steps), SERIES_POINTS // 2)
    epoch_steps = progress.epoch_steps[kept]
    frames = [
        pd.DataFrame({"step": progress.loss_steps[minibatch], "loss": progress.minibatch_loss[minibatch],
                      "series": names["minibatch"]}),
        pd.DataFrame({"step": epoch_steps, "loss": progress.epoch_train_loss[kept], "series": names["train"]}),
    ]
    if progress.epoch_test_loss is not None:
        frames.append(pd.DataFrame({"step": epoch_steps, "loss": progress.epoch_test_loss[kept],
                                    "series": names["test"]}))
    return _with_position(_finite(pd.concat(frames, ignore_index=True), "loss"), progress, config, n_rows)


# The reference lines' names in English (the loss chart draws them in the page's language: series_names())
CLOSED_FORM_LOSS = "closed-form loss"
NOISE_FLOOR = "noise floor (expected)"
REFERENCE_COLOURS = {"closed_form_loss": "black", "noise_floor": "#756bb1"}
REFERENCE_DASHES = {"closed_form_loss": [6, 4], "noise_floor": [2, 2]}


def loss_chart(progress: sgdcore.Progress, floor: float | None, *, log_scale: bool = True,
               noise_floor: sgdcore.NoiseFloor | None = None, config: sgdcore.TrainConfig | None = None,
               x: str = "step", n_rows: int | None = None, standardized: bool = False) -> alt.LayerChart:
    """Loss against ``x`` (a key of :data:`AXES`; ``"examples"`` needs ``config`` and the training rows
    ``n_rows``; ``standardized``: the target's standardised units, said under the title), with the closed-form
    loss as the floor SGD is heading for and, for a constant rate, the noise
    floor: the level minibatch noise keeps it at (``sgdcore.noise_floor``).

    Hovering a point gives its exact step, epochs done, loss and, given the run's ``config``, learning rate.
    """
    names = series_names()
    data = loss_history(progress, config, n_rows)
    data["loss"] = data["loss"].clip(lower=TINY)
    scale = alt.Scale(type="log") if log_scale else alt.Scale(zero=False)
    references = ["closed_form_loss"] if floor is not None and math.isfinite(floor) else []
    if noise_floor is not None and math.isfinite(noise_floor.expected_loss):
        references.append("noise_floor")
    # One legend for the curves and the reference lines: the lines share the curves' colour scale.
    shown = [names[series] for series in ("minibatch", "train", "test", *references)]
    colours = alt.Scale(domain=shown,
                        range=["#9ecae1", "#08519c", "#e6550d", *(REFERENCE_COLOURS[line] for line in references)])
    loss_axis = _loss_axis()
    base = alt.Chart(data).encode(
        # Whole steps: before the first run the only point is step 0, which Vega would label "0.000000".
        x=_x_axis(x),
        y=alt.Y("loss:Q", title=loss_axis, scale=scale),
        color=alt.Color("series:N", scale=colours, title=None, legend=bottom_legend(shown, 3)),
        tooltip=[alt.Tooltip("series:N", title=t("charts.series")), *_position_tooltips(config is not None, x),
                 alt.Tooltip("loss:Q", title=t("charts.loss"), format=".6~g")],
    )
    layers = [
        base.transform_filter(alt.datum.series == names["minibatch"]).mark_line(strokeWidth=1, opacity=0.8),
        base.transform_filter(alt.datum.series != names["minibatch"]).mark_line(point=True, strokeWidth=2),
    ]
    rules = []
    if floor is not None and math.isfinite(floor):
        rules.append({"loss": max(floor, TINY), "line": names["closed_form_loss"],
                      "label": t("charts.closed_form_rule", floor=floor)})
    if noise_floor is not None and math.isfinite(noise_floor.expected_loss):
        # The training loss expected, as the curves are: with weight decay above the penalised optimum's, not the
        # closed form's drawn beside it.
        decayed = config is not None and config.weight_decay > 0
        rules.append({"loss": max(noise_floor.expected_loss, TINY), "line": names["noise_floor"],
                      "label": t("charts.noise_floor_rule" if config is not None and config.shuffle == "replacement"
                                 else "charts.noise_floor_rule_reshuffled", floor=noise_floor.expected_loss,
                                 excess=noise_floor.excess_loss,
                                 optimum=t("charts.noise_floor_above.penalised" if decayed
                                           else "charts.noise_floor_above.closed_form"))})
    if rules:
        dashes = alt.Scale(domain=[names[line] for line in references],
                           range=[REFERENCE_DASHES[line] for line in references])
        layers.append(alt.Chart(pd.DataFrame(rules)).mark_rule(strokeWidth=1.5).encode(
            y=alt.Y("loss:Q", title=loss_axis), color=alt.Color("line:N", scale=colours, title=None),
            strokeDash=alt.StrokeDash("line:N", scale=dashes, legend=None),
            tooltip=[_label_tooltip()]))
    if progress.changes:
        layers.append(change_rules(progress, config, x, n_rows))
    # Its scale under the title, where the parameters chart beside it on the Train page has its key: a loss falling
    # by decades reads as a straight line only on a log scale, and the two plots start at the same height.
    scale_words = t("charts.loss_subtitle_log" if log_scale else "charts.loss_subtitle_linear")
    if standardized:  # the comparison table's losses are in the target's own units
        scale_words += t("charts.standardised_units")
    return alt.layer(*layers, height=300, title=titled(t("charts.loss_chart"), scale_words))


CHANGE_COLOUR = "#636363"


def _setting_words(name: str, value: object) -> str:
    """A setting's value in the words of a change (``sgdcore.changes``'s, in the page's language)."""
    if name == "nesterov":
        return t("charts.switched.on") if value else t("charts.switched.off")
    if name == "schedule":
        return schedule_words(value)
    return f"{value:g}" if isinstance(value, float) else f"{value}"


def schedule_words(schedule: sgdcore.Schedule) -> str:
    """A schedule in a few words of the page's language, as :func:`sgdcore.changes.describe_schedule` in English."""
    kind = schedule.kind
    if kind in ("step", "exponential"):
        words = t(f"charts.schedule.{kind}", gamma=schedule.gamma, steps=schedule.step_size)
    elif kind == "inverse_scaling":
        words = t("charts.schedule.inverse_scaling", power=schedule.power_t)
    elif kind == "cosine":
        period = (t("charts.schedule.cosine_run") if schedule.period_steps is None
                  else t("charts.schedule.cosine_steps", steps=schedule.period_steps))
        words = t("charts.schedule.cosine", period=period, factor=schedule.min_factor)
    else:
        words = t("charts.schedule.constant")
    return t("charts.schedule.warmup", schedule=words, steps=schedule.warmup_steps) if schedule.warmup_steps else words


def change_phrases(before: sgdcore.TrainConfig, after: sgdcore.TrainConfig) -> tuple[str, ...]:
    """What differs between two configs of a run, one phrase each, in the page's language: what
    :func:`sgdcore.changes.describe_changes` says in English (``("learning rate 0.03 → 0.1", "momentum 0 → 0.9")``),
    worded from the configs' fields. The loss chart's rules and the Train page's notices both word a change so."""
    names = labels("charts.changed")
    return tuple(t("charts.change", setting=names[name], before=_setting_words(name, getattr(before, name)),
                   after=_setting_words(name, getattr(after, name)))
                 for name in changed_settings(before, after))


def change_text(before: sgdcore.TrainConfig, after: sgdcore.TrainConfig) -> str:
    """:func:`change_phrases` in one line: ``"learning rate 0.03 → 0.1, momentum 0 → 0.9"``."""
    return t("charts.change_separator").join(change_phrases(before, after))


def _changes(progress: sgdcore.Progress) -> list[str]:
    """The words of each change of ``progress.changes``: each came with a config of ``progress.state.configs``
    (after the first), so the page words it from the two configs rather than from sgdcore's English."""
    configs = [config for _, config in progress.state.configs]
    if len(configs) != len(progress.changes) + 1:  # not recorded together: sgdcore's words are all there is
        return [what for _, what in progress.changes]
    return [change_text(before, after) for before, after in itertools.pairwise(configs)]


def change_rules(progress: sgdcore.Progress, config: sgdcore.TrainConfig | None = None, x: str = "step",
                 n_rows: int | None = None) -> alt.LayerChart:
    """A dotted vertical rule where the run's settings changed part-way (``progress.changes``, ``sgdcore.changes``):
    after the steps taken with the settings before, its hover text naming what changed."""
    frame = pd.DataFrame({"step": [step for step, _ in progress.changes], "change": _changes(progress)})
    frame = _with_position(frame, progress, config, n_rows)
    base = alt.Chart(frame).encode(
        x=_x_axis(x),
        tooltip=[alt.Tooltip("change:N", title=t("charts.settings_changed")), _step_tooltip(), _epoch_tooltip()])
    drawn = base.mark_rule(color=CHANGE_COLOUR, strokeDash=[2, 3], strokeWidth=1.5)
    # A wide, all but invisible rule over it takes the hover: a line 1.5 pixels wide is hard to point at.
    hover = base.mark_rule(color=CHANGE_COLOUR, strokeWidth=9, strokeOpacity=0.01)
    return drawn + hover


def runs_loss_chart(
    runs: Mapping[str, sgdcore.Progress], x: str = "step", *, floor: float | None = None, title: str | None = None,
    n_rows: int | None = None, configs: Mapping[str, sgdcore.TrainConfig] | None = None,
) -> alt.LayerChart:
    """Full training loss of several runs overlaid on a log scale, titled ``title`` (by default "Loss", in the
    page's language).

    ``x``: a key of :data:`AXES` (``"examples"`` needs ``n_rows``; the runs' ``configs`` count a short last
    batch, or a dropped one, right). Hovering
    a point gives the run, its step, epoch, loss and, given the runs' ``configs`` (by label), learning rate.
    """
    frames = []
    for label, progress in runs.items():
        epochs = _evenly(len(progress.epoch_train_loss), SERIES_POINTS // max(len(runs), 1))
        frame = pd.DataFrame({"step": epochs * progress.steps_per_epoch, "loss": progress.epoch_train_loss[epochs],
                              "run": label})
        frame = _with_position(frame, progress, None if configs is None else configs[label], n_rows)
        if "examples" not in frame:  # without the run's config: every row once an epoch (no drop_last)
            frame["examples"] = epochs * (n_rows or 0)
        frames.append(frame)
    data = _finite(pd.concat(frames, ignore_index=True), "loss")
    data["loss"] = data["loss"].clip(lower=TINY)
    loss_axis = _loss_axis()
    lines = alt.Chart(data).mark_line(point=True).encode(
        x=_x_axis(x),
        y=alt.Y("loss:Q", title=loss_axis, scale=alt.Scale(type="log")),
        # Legend on the right: the chart is sized to fit its column, and a tall legend below it would
        # squeeze the plot to nothing.
        color=alt.Color("run:N", sort=list(runs), title=None, legend=alt.Legend(orient="right", labelLimit=260)),
        tooltip=[alt.Tooltip("run:N", title=t("charts.run")), *_position_tooltips(configs is not None, x),
                 alt.Tooltip("loss:Q", title=t("charts.loss"), format=".6~g")],
    )
    layers = [lines]
    blown = _divergences(runs, x, n_rows, configs)
    if len(blown):  # a run that diverges within its first epoch has no other point but its start
        layers.append(alt.Chart(blown).mark_point(shape="cross", size=160, filled=True, opacity=1).encode(
            x=_x_axis(x), y=alt.Y("loss:Q", scale=alt.Scale(type="log")),
            color=alt.Color("run:N", sort=list(runs), title=None),
            tooltip=[alt.Tooltip("run:N", title=t("charts.run")), _label_tooltip(),
                     *_position_tooltips(configs is not None, x)]))
    if floor is not None and math.isfinite(floor):
        layers.append(_floor_rule(floor, loss_axis))
    return alt.layer(*layers, height=320, title=title or t("charts.loss_chart"))


def _divergences(runs: Mapping[str, sgdcore.Progress], x: str, n_rows: int | None,
                 configs: Mapping[str, sgdcore.TrainConfig] | None) -> pd.DataFrame:
    """Where each diverged run blew up: its step, and the loss that grew past the limit there (the training loss
    at an epoch's end, which its line already ends on, or a step's minibatch loss, which the epochs' losses do not
    show; where that was not finite, drawn at the largest loss the run recorded, and said so)."""
    rows = []
    for label, progress in runs.items():
        step = progress.diverged_at_step
        if progress.status != "diverged" or step is None:
            continue
        factor = (sgdcore.TrainConfig() if configs is None else configs[label]).divergence_factor
        recorded = np.asarray(progress.minibatch_loss, dtype=float)[np.asarray(progress.loss_steps) == step]
        if progress.epoch_steps[-1] == step and np.isfinite(progress.epoch_train_loss[-1]):
            loss, key = float(progress.epoch_train_loss[-1]), "charts.diverged_mark_epoch"
        elif len(recorded) and np.isfinite(recorded[-1]):
            loss, key = float(recorded[-1]), "charts.diverged_mark"
        else:
            finite = [value for value in (*progress.minibatch_loss, *progress.epoch_train_loss) if np.isfinite(value)]
            loss, key = max(finite, default=1.0), "charts.diverged_mark_overflow"
        frame = pd.DataFrame({"step": [step], "loss": [max(loss, TINY)], "run": [label],
                              "label": [t(key, step=step, loss=loss, factor=factor)]})
        frame = _with_position(frame, progress, None if configs is None else configs[label], n_rows)
        if "examples" not in frame:  # without the run's config: every row once an epoch (no drop_last)
            frame["examples"] = frame["epoch"] * (n_rows or 0)
        rows.append(frame)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _floor_rule(floor: float, loss_axis: str) -> alt.Chart:
    """The closed-form loss as a dashed rule, its hover text saying what it is (as on :func:`loss_chart`)."""
    rule = pd.DataFrame({"loss": [max(floor, TINY)], "label": [t("charts.closed_form_rule", floor=floor)]})
    return alt.Chart(rule).mark_rule(strokeDash=[6, 4], color="black").encode(
        y=alt.Y("loss:Q", title=loss_axis), tooltip=[_label_tooltip()])


# Several seeds of one configuration: the median curve and a band, so that minibatch noise shows as a spread.
QUANTILE_SEEDS = 5  # from this many runs the band spans the 10–90% quantiles; with fewer, the least to the most
BAND_QUANTILES = (0.1, 0.9)


def band_quantiles(runs: int) -> tuple[float, float]:
    """The quantiles a band over ``runs`` runs spans: 10 % and 90 %, or 0 and 1 (min and max) with fewer than
    :data:`QUANTILE_SEEDS` runs, too few for a tenth of them to mean anything."""
    return BAND_QUANTILES if runs >= QUANTILE_SEEDS else (0.0, 1.0)


def band_name(runs: int) -> str:
    """What a band over ``runs`` runs spans, in words of the page's language: ``"10–90%"`` or ``"min–max"``."""
    return t("charts.band_quantiles") if runs >= QUANTILE_SEEDS else t("charts.band_min_max")


def run_quantiles(table: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """``np.nanquantile`` over the rows (runs) of each column of ``table`` (NaN: not reached), one row per level;
    a run that diverged counts as an infinite loss, so a quantile that reaches it is infinite (NumPy's ∞ − ∞
    would make it NaN)."""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column that no run reached: all NaN
        result = np.nanquantile(table, levels, axis=0)
    reached = (~np.isnan(table)).any(axis=0)
    return np.where(np.isnan(result) & reached, np.inf, result)


def loss_band(runs: Sequence[sgdcore.Progress]) -> pd.DataFrame:
    """Per epoch end (``epoch``: 0 is the start), over the runs: the median full training loss, the band around it
    (``low`` to ``high``: the 10 % and 90 % quantiles, or the least and the most with fewer than
    :data:`QUANTILE_SEEDS` runs, NumPy's linear interpolation), how many runs it is over (``runs``) and how many
    of them had diverged by then (``diverged``).

    A run that diverged counts as an infinite loss from then on; one that stopped early, or is still running,
    counts only as far as it went.
    """
    length = max(len(progress.epoch_train_loss) for progress in runs)
    table = np.full((len(runs), length), np.nan)
    for row, progress in enumerate(runs):
        losses = np.asarray(progress.epoch_train_loss, dtype=np.float64)
        table[row, :len(losses)] = np.where(np.isfinite(losses), losses, np.inf)
        if progress.status == "diverged":
            table[row, len(losses):] = np.inf
    low, median, high = run_quantiles(table, (band_quantiles(len(runs))[0], 0.5, band_quantiles(len(runs))[1]))
    return pd.DataFrame({"epoch": np.arange(length), "median": median, "low": low, "high": high,
                         "runs": (~np.isnan(table)).sum(axis=0), "diverged": np.isinf(table).sum(axis=0)})


def final_losses(runs: Sequence[sgdcore.Progress]) -> np.ndarray:
    """Each run's last full training loss; a run that diverged has an infinite one."""
    return np.array([progress.epoch_train_loss[-1] if progress.status != "diverged" else np.inf
                     for progress in runs], dtype=np.float64)


def median_run(runs: Sequence[sgdcore.Progress]) -> int:
    """The index of the median run: the one whose final training loss is the median (for an even number of runs
    the lower of the two middle ones; a run that diverged, or whose loss is not finite, counts as infinite)."""
    losses = final_losses(runs)
    losses[~np.isfinite(losses)] = np.inf
    order = sorted(range(len(runs)), key=lambda index: (losses[index], index))
    return order[(len(runs) - 1) // 2]


def seeds_loss_chart(
    repeats: Mapping[str, Sequence[sgdcore.Progress]], x: str = "step", *, floor: float | None = None,
    title: str | None = None, n_rows: int | None = None, configs: Mapping[str, sgdcore.TrainConfig] | None = None,
    seeds: Mapping[str, int] | None = None,
) -> alt.LayerChart:
    """Full training loss of several configurations, each trained with several seeds, on a log scale: per
    configuration the median over its seeds as a line, and a band (:func:`loss_band`) around it.

    ``repeats``: each configuration's runs (by label); ``seeds``: how many each trains (by default as many as it
    has), which names the band, so that the chart is the same while the runs come in. ``x``, ``n_rows`` and
    ``configs`` (the runs' settings by label, for the rate and the examples seen) are as
    :func:`runs_loss_chart`'s; the position of a point (wall time included) is the configuration's median run's
    (:func:`median_run`). Hovering gives the configuration, the band's kind and number of seeds, the step, the
    epoch, the median and the band's ends.
    """
    seeds = {label: len(runs) for label, runs in repeats.items()} if seeds is None else seeds
    frames = []
    for label, runs in repeats.items():
        band = loss_band(runs)
        kept = _evenly(len(band), SERIES_POINTS // max(len(repeats), 1))
        band = band.iloc[kept].reset_index(drop=True)
        middle = runs[median_run(runs)]
        band["step"] = band.pop("epoch").to_numpy() * middle.steps_per_epoch
        count = seeds.get(label, len(runs))
        band["run"] = label
        band["band"] = t("charts.band_of_seeds", band=band_name(count), count=count) if count > 1 else t(
            "charts.one_run")
        frame = _with_position(band, middle, None if configs is None else configs[label], n_rows)
        if "examples" not in frame:  # without the runs' config: every row once an epoch (no drop_last)
            frame["examples"] = frame["step"] // middle.steps_per_epoch * (n_rows or 0)
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True)
    values = data[["median", "low", "high"]].to_numpy(dtype=np.float64)
    data[["median", "low", "high"]] = np.maximum(values, TINY)
    # A log scale cannot reach infinity: a band whose top is a run that blew up is drawn to the chart's top (the
    # hover text gives the true end and the runs that diverged), a median that blew up is left out.
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if finite.size else np.nan
    data["band top"] = np.where(np.isfinite(data["high"]), data["high"], top)
    # Each kind of band once, min–max (fewer seeds) first
    kinds = list(dict.fromkeys(band_name(count) for count in sorted(seeds.values()) if count > 1))
    kinds_text = t("charts.band_or").join(kinds)
    legend = [t("charts.legend_median"), t("charts.legend_bands", kinds=kinds_text, seeds=QUANTILE_SEEDS)
              if len(kinds) > 1 else t("charts.legend_band", kinds=kinds_text)]
    if any(count == 1 for count in seeds.values()):
        legend.append(t("charts.legend_no_band"))
    colour = alt.Color("run:N", sort=list(repeats), title=legend, legend=alt.Legend(orient="right", labelLimit=260))
    tooltip = [alt.Tooltip("run:N", title=t("charts.run")), alt.Tooltip("band:N", title=t("charts.over")),
               *_position_tooltips(configs is not None, x),
               alt.Tooltip("median:Q", title=t("charts.median_loss"), format=".6~g"),
               alt.Tooltip("low:Q", title=t("charts.band_from"), format=".6~g"),
               alt.Tooltip("high:Q", title=t("charts.band_to"), format=".6~g"),
               alt.Tooltip("runs:Q", title=t("charts.runs_here"), format=",d"),
               alt.Tooltip("diverged:Q", title=t("charts.diverged_here"), format=",d")]
    base = alt.Chart(data).encode(x=_x_axis(x), color=colour, tooltip=tooltip)
    loss_axis = _loss_axis()
    y = alt.Y("median:Q", title=loss_axis, scale=alt.Scale(type="log"))
    layers = [
        base.transform_filter("isFinite(datum.low) && isFinite(datum['band top'])").mark_area(opacity=0.25).encode(
            y=alt.Y("low:Q", title=loss_axis, scale=alt.Scale(type="log")), y2=alt.Y2("band top:Q")),
        base.transform_filter("isFinite(datum.median)").mark_line(point=True).encode(y=y),
    ]
    if floor is not None and math.isfinite(floor):
        layers.append(_floor_rule(floor, loss_axis))
    return alt.layer(*layers, height=320, title=title or t("charts.loss_chart"))


def shown_names(names: Sequence[str]) -> tuple[str, ...]:
    """The parameters' names as a page shows them: the features' own, and sgdcore's last, ``"bias"``, in the page's
    language (a name of ours, unlike the data's columns)."""
    return (*names[:-1], t("charts.bias")) if len(names) and names[-1] == "bias" else tuple(names)


def parameters_chart(
    progress: sgdcore.Progress, names: Sequence[str], optimum: np.ndarray, truth: np.ndarray | None,
    indices: Sequence[int], config: sgdcore.TrainConfig | None = None, *, x: str = "step", n_rows: int | None = None,
    standardized: bool = False,
) -> alt.LayerChart:
    """Each chosen parameter against ``x`` (as :func:`loss_chart`'s), converging to a dashed line at its
    closed-form value; ``standardized``: the model's parameters on standardised data, said under the title.

    Hovering a point gives the parameter's exact value, the step, epochs done and, given the run's ``config``,
    the learning rate of the step that reached it.
    """
    names = shown_names(names)
    kept = _evenly(len(progress.trajectory_steps), SERIES_POINTS // max(len(indices), 1))
    steps = progress.trajectory_steps[kept]
    paths = pd.concat([
        pd.DataFrame({"step": steps, "value": progress.trajectory[kept, i], "parameter": names[i]}) for i in indices
    ], ignore_index=True)
    paths = _with_position(_finite(paths, "value"), progress, config, n_rows)
    targets = pd.DataFrame({"parameter": [names[i] for i in indices], "closed form": optimum[list(indices)]})
    shown = [names[i] for i in indices]
    colour = alt.Color("parameter:N", sort=shown, title=None, legend=bottom_legend(shown, 6))
    parameter = alt.Tooltip("parameter:N", title=t("charts.parameter"))
    value_axis = t("charts.parameter_value")
    layers = [
        alt.Chart(paths).mark_line(point=alt.OverlayMarkDef(size=10, opacity=0)).encode(
            x=_x_axis(x), y=alt.Y("value:Q", title=value_axis), color=colour,
            tooltip=[parameter, *_position_tooltips(config is not None, x),
                     alt.Tooltip("value:Q", title=t("charts.value"), format=".6~g")]),
        alt.Chart(targets).mark_rule(strokeDash=[6, 4]).encode(
            y=alt.Y("closed form:Q", title=value_axis), color=colour,
            tooltip=[parameter, alt.Tooltip("closed form:Q", title=t("charts.closed_form"), format=".6~g")]),
    ]
    if truth is not None:
        # The true values as diamonds where the run will end (in wall time: where it is now, the end is not known).
        true_values = pd.DataFrame({"parameter": [names[i] for i in indices], "truth": truth[list(indices)],
                                    "step": max(progress.total_steps, int(steps[-1]))})
        true_values = _with_position(true_values, progress, config, n_rows)
        if x == "seconds":
            true_values["seconds"] = progress.elapsed_seconds
        layers.append(alt.Chart(true_values).mark_point(shape="diamond", size=80, filled=True).encode(
            x=alt.X(f"{x}:Q", title=labels("charts.axis")[x]), y=alt.Y("truth:Q", title=value_axis), color=colour,
            tooltip=[parameter, alt.Tooltip("truth:Q", title=t("charts.truth"), format=".6~g")]))
    key = "charts.parameters_subtitle_truth" if truth is not None else "charts.parameters_subtitle"
    subtitle = t(key) + (t("charts.standardised_units") if standardized else "")  # the table's are the data's
    return alt.layer(*layers, height=300, title=titled(t("charts.parameters_title"), subtitle))


def _view(points: np.ndarray, optimum: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """A square-ish window around the optimum and the paths' starting points. An axis along which they meet, up to
    rounding (a standardised target's bias: 0 and about 1e-16), gets the other axis's span, or 1 if both do: a span
    of 1e-16 would draw no contour and label its ticks −0.000000000000…"""
    span = np.abs(points - optimum).max(axis=0)
    scale = max(np.abs(points).max(), np.abs(optimum).max(), 1.0)
    degenerate = span <= 1e-9 * scale
    span = np.where(degenerate, 1.0 if degenerate.all() else span[~degenerate].max(), span) * 1.25
    return ((optimum[0] - span[0], optimum[0] + span[0]), (optimum[1] - span[1], optimum[1] + span[1]))


def _contours(quadratic: sgdcore.QuadraticLoss, center: np.ndarray, a: int, b: int,
              view: tuple[tuple[float, float], tuple[float, float]], levels: int = 10) -> pd.DataFrame:
    """Level sets of the loss over parameters ``a`` and ``b``: ellipses, drawn exactly."""
    H2 = quadratic.hessian[np.ix_([a, b], [a, b])]
    g2 = quadratic.gradient(center)[[a, b]]
    eigenvalues, vectors = np.linalg.eigh(H2)
    if eigenvalues[0] <= eigenvalues[1] * 1e-12:
        return pd.DataFrame(columns=["x", "y", "level", "order", "training loss"])
    u_star = center[[a, b]] - np.linalg.solve(H2, g2)
    lowest = center.copy()
    lowest[[a, b]] = u_star
    lowest_loss = quadratic.loss(lowest)  # the slice's minimum: each contour lies delta above it
    corners = np.array([[x, y] for x in view[0] for y in view[1]]) - u_star
    largest = 0.5 * np.max(np.einsum("ij,jk,ik->i", corners, H2, corners))
    angles = np.linspace(0, 2 * np.pi, 121)
    circle = np.stack((np.cos(angles), np.sin(angles)))
    frames = []
    for k in range(1, levels + 1):
        delta = largest * (k / levels) ** 2
        ellipse = u_star[:, None] + np.sqrt(2 * delta) * (vectors / np.sqrt(eigenvalues)) @ circle
        frames.append(pd.DataFrame({"x": ellipse[0], "y": ellipse[1], "level": k, "order": np.arange(len(angles)),
                                    "training loss": lowest_loss + delta}))
    return pd.concat(frames, ignore_index=True)


def _arrows(quadratic: sgdcore.QuadraticLoss, center: np.ndarray, a: int, b: int,
            view: tuple[tuple[float, float], tuple[float, float]], count: int = 8) -> pd.DataFrame:
    """Negative-gradient arrows on a grid, equal length on screen, as in the lesson's figure: each from (``x``,
    ``y``) to (``x2``, ``y2``), its head turned by ``angle`` (degrees on screen); ``gradient a`` and ``gradient b``
    are the gradient's components there, for its hover text."""
    (x0, x1), (y0, y1) = view
    xs = np.linspace(x0, x1, count + 2)[1:-1]
    ys = np.linspace(y0, y1, count + 2)[1:-1]
    grid = np.broadcast_to(center, (count, count, len(center))).copy()
    grid[..., a] = xs[None, :]
    grid[..., b] = ys[:, None]
    gradient = quadratic.gradient(grid)
    # Direction in pixels, so arrows point the way the eye expects whatever the axes' scales.
    dx_px = -gradient[..., a] * SIZE / (x1 - x0)
    dy_px = -gradient[..., b] * SIZE / (y1 - y0)
    length = np.hypot(dx_px, dy_px)
    length[length == 0] = 1.0
    arrow_px = 0.45 * SIZE / count
    frame = pd.DataFrame({
        "x": grid[..., a].ravel(), "y": grid[..., b].ravel(),
        "x2": (grid[..., a] + dx_px / length * arrow_px * (x1 - x0) / SIZE).ravel(),
        "y2": (grid[..., b] + dy_px / length * arrow_px * (y1 - y0) / SIZE).ravel(),
        "angle": np.degrees(np.arctan2(dx_px, dy_px)).ravel(),
        "gradient a": gradient[..., a].ravel(), "gradient b": gradient[..., b].ravel(),
    })
    return frame


STEP_ARROWS = ("minibatch gradient", "full gradient")  # in English; drawn in the page's language (step_arrow_names)
STEP_ARROW_COLOURS = ("#e6550d", "#08519c")


def step_arrow_names() -> tuple[str, str]:
    """The names of the next step's two arrows (:data:`STEP_ARROWS`) in the page's language."""
    return t("charts.step_arrow.minibatch"), t("charts.step_arrow.full")


def step_arrows(step: sgdcore.NextStep, a: int, b: int,
                view: tuple[tuple[float, float], tuple[float, float]]) -> pd.DataFrame:
    """The next step's minibatch and full gradients as two arrows from the current point, over parameters ``a``
    and ``b``: each points down its gradient (``−g``, the way the step goes), both to one scale, the longer
    a quarter of the chart long. ``arrow`` names each in the page's language (:func:`step_arrow_names`).

    An arrow's components (``gradient a``, ``gradient b``) are its gradient's; ``x2 − x = −t·gradient a`` and
    ``y2 − y = −t·gradient b`` for one ``t > 0``, so the arrows' lengths compare as the gradients' do.
    """
    (x0, x1), (y0, y1) = view
    point = step.params[[a, b]]
    gradients = np.array([step.minibatch_gradient[[a, b]], step.full_gradient[[a, b]]], dtype=np.float64)
    with np.errstate(all="ignore"):  # a run blowing up: arrows of inf are not drawn
        pixels = np.hypot(gradients[:, 0] * SIZE / (x1 - x0), gradients[:, 1] * SIZE / (y1 - y0))
        longest = np.max(pixels) if np.isfinite(pixels).all() else math.nan
        scale = 0.25 * SIZE / longest if longest > 0 else 0.0  # a zero gradient: an arrow of no length
        ends = point - scale * gradients
    frame = pd.DataFrame({
        "arrow": step_arrow_names(), "x": point[0], "y": point[1], "x2": ends[:, 0], "y2": ends[:, 1],
        "gradient a": gradients[:, 0], "gradient b": gradients[:, 1],
        "length": np.linalg.norm([step.minibatch_gradient, step.full_gradient], axis=1),
        "angle": np.degrees(np.arctan2(-gradients[:, 0] * SIZE / (x1 - x0), -gradients[:, 1] * SIZE / (y1 - y0))),
    })
    return frame[np.isfinite(frame[["x2", "y2"]].to_numpy()).all(axis=1)]


def _step_layers(step: sgdcore.NextStep, a: int, b: int, names: Sequence[str],
                 view: tuple[tuple[float, float], tuple[float, float]], x_scale: alt.Scale,
                 y_scale: alt.Scale) -> list[alt.Chart]:
    """The two arrows of :func:`step_arrows`: a line and a head each, coloured as their legend says.

    Their colours go through the ``stroke`` and ``fill`` channels: ``color`` is the runs' scale, which
    layers share, and the arrows' names would join the runs' legend. The full gradient is drawn wide and
    under the minibatch's, which may lie almost along it.
    """
    frame = step_arrows(step, a, b, view)
    arrows = step_arrow_names()
    scale = alt.Scale(domain=list(arrows), range=list(STEP_ARROW_COLOURS))
    stroke = alt.Stroke("arrow:N", scale=scale, legend=alt.Legend(orient="top", title=t("charts.next_step")))
    tooltip = [alt.Tooltip("arrow:N", title=t("charts.arrow")),
               alt.Tooltip("gradient a:Q", title=f"∂L/∂{names[a]}", format=".6~g"),
               alt.Tooltip("gradient b:Q", title=f"∂L/∂{names[b]}", format=".6~g"),
               alt.Tooltip("length:Q", title=t("charts.gradient_norm"), format=".6~g")]
    chart = alt.Chart(frame)
    line = {"x": alt.X("x:Q", title=names[a], scale=x_scale), "y": alt.Y("y:Q", title=names[b], scale=y_scale),
            "x2": alt.X2("x2:Q"), "y2": alt.Y2("y2:Q"), "stroke": stroke, "tooltip": tooltip}
    full, minibatch = (alt.datum.arrow == arrows[1]), (alt.datum.arrow == arrows[0])
    return [
        chart.transform_filter(full).mark_rule(strokeWidth=6, opacity=0.55, clip=True).encode(**line),
        chart.transform_filter(minibatch).mark_rule(strokeWidth=2.5, clip=True).encode(**line),
        chart.mark_point(shape="triangle-up", size=110, filled=True, opacity=1, strokeWidth=0, clip=True).encode(
            x=alt.X("x2:Q", title=names[a], scale=x_scale), y=alt.Y("y2:Q", title=names[b], scale=y_scale),
            angle=alt.Angle("angle:Q", scale=None), fill=alt.Fill("arrow:N", scale=scale, legend=None),
            tooltip=tooltip),
    ]


def _labelled(chart: alt.Chart, label: str) -> alt.Chart:
    """``chart`` with a ``label`` field of the same text in every row, for its hover text: computed in the browser,
    not a column of the data sent (the contours are 1,210 rows)."""
    return chart.transform_calculate(label=json.dumps(label))


def _on_slice(what: str, parameters: int) -> str:
    """A contour's or an arrow's name, saying where the parameters not drawn are (with more than two)."""
    return t("charts.on_slice", what=what) if parameters > 2 else what


def landscape_chart(
    problem: sgdcore.Problem, paths: Mapping[str, sgdcore.Progress], a: int, b: int, *,
    arrows: bool = True, title: str | None = None, configs: Mapping[str, sgdcore.TrainConfig] | None = None,
    step: sgdcore.NextStep | None = None,
) -> alt.LayerChart:
    """Contours of the loss over parameters ``a`` and ``b`` (the others at their closed-form values),
    with each run's path, its start, the optimum, and negative-gradient arrows; given the ``step`` a paused
    run takes next (:func:`sgdcore.next_step`), its minibatch and full gradients as two arrows
    (:func:`step_arrows`) from where it is.

    Hovering a point of a path gives the run, step, epochs done, both parameters, the full training loss there
    (exact: the loss is a quadratic) and, given the runs' ``configs`` (by label), the learning rate; a contour,
    its training loss; an arrow, the gradient where it starts.
    """
    names = shown_names(problem.names)
    optimum = problem.optimum.params
    if paths:
        starts = np.array([progress.trajectory[0, [a, b]] for progress in paths.values()])
    else:
        starts = optimum[None, [a, b]]
    view = _view(starts, optimum[[a, b]])
    x_scale = alt.Scale(domain=list(view[0]), nice=False, zero=False)
    y_scale = alt.Scale(domain=list(view[1]), nice=False, zero=False)
    x = alt.X("x:Q", title=names[a], scale=x_scale)
    y = alt.Y("y:Q", title=names[b], scale=y_scale)
    at_point = [alt.Tooltip("x:Q", title=names[a], format=".6~g"), alt.Tooltip("y:Q", title=names[b], format=".6~g")]
    layers = []
    contours = _contours(problem.quadratic, optimum, a, b, view)
    if len(contours):
        layers.append(_labelled(alt.Chart(contours), _on_slice(t("charts.contour"), len(optimum))).mark_line(
            color="#bdbdbd", strokeWidth=1, clip=True).encode(
            x=x, y=y, detail=alt.Detail("level:N"), order=alt.Order("order:Q"),
            tooltip=[_label_tooltip(), *at_point,
                     alt.Tooltip("training loss:Q", title=t("charts.training_loss"), format=".6~g")]))
    if arrows:
        field = _labelled(alt.Chart(_arrows(problem.quadratic, optimum, a, b, view)),
                          _on_slice(t("charts.negative_gradient"), len(optimum)))
        downhill = [_label_tooltip(), *at_point,
                    alt.Tooltip("gradient a:Q", title=f"∂L/∂{names[a]}", format=".6~g"),
                    alt.Tooltip("gradient b:Q", title=f"∂L/∂{names[b]}", format=".6~g")]
        layers.append(field.mark_rule(color="#fd8d3c", clip=True, aria=False).encode(
            x=x, y=y, x2=alt.X2("x2:Q"), y2=alt.Y2("y2:Q"), tooltip=downhill))
        layers.append(field.mark_point(shape="triangle-up", size=25, filled=True, color="#fd8d3c",
                                       clip=True, aria=False).encode(
            x=alt.X("x2:Q", title=names[a], scale=x_scale), y=alt.Y("y2:Q", title=names[b], scale=y_scale),
            angle=alt.Angle("angle:Q", scale=None), tooltip=downhill))
    if paths:
        path_frames = []
        for label, progress in paths.items():
            kept = _evenly(len(progress.trajectory_steps), (SERIES_POINTS - 2000) // len(paths))
            trajectory = progress.trajectory[kept]
            finite = np.isfinite(trajectory).all(axis=1)
            with np.errstate(all="ignore"):  # a path that blew up: its last finite points are huge
                loss = problem.quadratic.loss(trajectory[finite])
            frame = pd.DataFrame({"x": trajectory[finite, a], "y": trajectory[finite, b],
                                  "step": progress.trajectory_steps[kept][finite], "run": label,
                                  "training loss": np.atleast_1d(loss)})
            path_frames.append(_with_position(frame, progress, None if configs is None else configs[label]))
        path_data = pd.concat(path_frames, ignore_index=True)
        colour = alt.Color("run:N", sort=list(paths), title=None, legend=bottom_legend(list(paths), 2))
        on_path = [alt.Tooltip("run:N", title=t("charts.run")), *_position_tooltips(configs is not None), *at_point,
                   alt.Tooltip("training loss:Q", title=t("charts.training_loss"), format=".6~g")]
        layers.append(alt.Chart(path_data).mark_line(point=alt.OverlayMarkDef(size=12), clip=True).encode(
            x=x, y=y, order=alt.Order("step:Q"), color=colour, tooltip=on_path))
        # The starting points filtered from the paths' own data: a table of them could equal the paths
        # (before the first step), and the browser would then see one dataset fewer, a new chart.
        starts = alt.Chart(path_data).transform_filter(alt.datum.step == 0)
        layers.append(starts.mark_point(shape="circle", size=70, filled=False, clip=True).encode(
            x=x, y=y, color=colour, tooltip=on_path))
    if step is not None:
        layers.extend(_step_layers(step, a, b, names, view, x_scale, y_scale))
    best = pd.DataFrame({"x": [optimum[a]], "y": [optimum[b]], "label": [t("charts.closed_form_optimum")],
                         "training loss": [problem.optimum_loss]})
    layers.append(alt.Chart(best).mark_point(shape="cross", size=160, filled=True, color="black").encode(
        x=x, y=y, tooltip=[_label_tooltip(), *at_point,
                           alt.Tooltip("training loss:Q", title=t("charts.training_loss"), format=".6~g")]))
    return alt.layer(*layers, width=SIZE, height=SIZE, title=title or t("charts.landscape_title"))


def fit_chart(problem: sgdcore.Problem, weights: np.ndarray, bias: float, feature: int,
              highlight: np.ndarray | None = None) -> alt.LayerChart:
    """Data against one feature, with SGD's line and the closed form's (other features at their means);
    the training rows ``highlight`` (the next minibatch's: :attr:`sgdcore.NextStep.rows`) drawn large, on top."""
    data = problem.raw_train
    rows = _sample(data.n_rows)
    x = data.X[rows, feature]
    means = data.X.mean(axis=0)
    cloud = pd.DataFrame({"x": x, "y": data.y[rows]})
    grid = np.linspace(x.min(), x.max(), 2)
    lines = []
    optimum = problem.to_original_units(problem.optimum.weights, problem.optimum.bias)
    for label, (w, b) in {t("charts.sgd"): problem.to_original_units(weights, bias),
                          t("charts.closed_form"): optimum}.items():
        offset = b + float(w @ means) - w[feature] * means[feature]
        lines.append(pd.DataFrame({"x": grid, "y": offset + w[feature] * grid, "model": label,
                                   "weight": w[feature], "bias": b}))
    line_data = pd.concat(lines, ignore_index=True)
    name = data.feature_names[feature]
    layers = [] if highlight is None else [_minibatch_layer(data, highlight, feature)]
    title = t("charts.fit_title_minibatch" if highlight is not None else "charts.fit_title", name=name)
    return alt.layer(
        alt.Chart(cloud).mark_circle(size=12, opacity=0.35, color="#6baed6", aria=False).encode(
            x=alt.X("x:Q", title=name, scale=alt.Scale(zero=False)),
            y=alt.Y("y:Q", title=data.target_name, scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("x:Q", title=name, format=".6~g"),
                     alt.Tooltip("y:Q", title=data.target_name, format=".6~g")]),
        alt.Chart(line_data).mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=40, opacity=0)).encode(
            x=alt.X("x:Q", title=name), y=alt.Y("y:Q", title=data.target_name),
            # The model's own numbers, in the data's units: the line's slope is the weight of this feature.
            tooltip=[alt.Tooltip("model:N", title=t("charts.model")),
                     alt.Tooltip("weight:Q", title=t("charts.weight_of", name=name), format=".6~g"),
                     alt.Tooltip("bias:Q", title=t("charts.bias"), format=".6~g")],
            color=alt.Color("model:N", scale=alt.Scale(range=["#e6550d", "black"]), title=None),
            strokeDash=alt.StrokeDash("model:N", scale=alt.Scale(range=[[1, 0], [6, 4]]), legend=None)),
        *layers,
        height=300, title=title,
    )


def minibatch_points(data: sgdcore.Dataset, rows: np.ndarray, feature: int) -> pd.DataFrame:
    """The rows ``rows`` of ``data`` against one feature: the points of the next minibatch on the fit chart."""
    rows = np.asarray(rows, dtype=np.intp)
    return pd.DataFrame({"row": rows, "x": data.X[rows, feature], "y": data.y[rows]})


def _minibatch_layer(data: sgdcore.Dataset, rows: np.ndarray, feature: int) -> alt.Chart:
    name = data.feature_names[feature]
    return alt.Chart(minibatch_points(data, rows, feature)).mark_circle(
        size=70, opacity=0.95, color=STEP_ARROW_COLOURS[0], stroke="black", strokeWidth=0.8).encode(
        x=alt.X("x:Q", title=name), y=alt.Y("y:Q", title=data.target_name),
        tooltip=[alt.Tooltip("row:Q", title=t("charts.row_next"), format=",d"),
                 alt.Tooltip("x:Q", title=name, format=".6~g"), alt.Tooltip("y:Q", title=data.target_name,
                                                                           format=".6~g")])


def predicted_chart(problem: sgdcore.Problem, weights: np.ndarray, bias: float) -> alt.LayerChart:
    """Predicted against actual for SGD and the closed form; points on the diagonal are perfect. The two models'
    points are two tables: a redraw after a click changes SGD's alone, and the browser redraws those points only."""
    data = problem.raw_test if problem.raw_test is not None else problem.raw_train
    rows = _sample(data.n_rows, 800)
    models = t("charts.sgd"), t("charts.closed_form")
    low, high = float(data.y.min()), float(data.y.max())
    diagonal = pd.DataFrame({"actual": [low, high], "predicted": [low, high], "label": t("charts.perfect_fit")})
    actual, predicted = t("charts.actual"), t("charts.predicted")
    which = "charts.predicted_subtitle_test" if problem.raw_test is not None else "charts.predicted_subtitle_training"
    title = titled(t("charts.predicted_title"), t(which))
    layers = [alt.Chart(diagonal).mark_line(color="grey", strokeDash=[4, 4]).encode(
        x=alt.X("actual:Q", title=actual), y=alt.Y("predicted:Q", title=predicted), tooltip=[_label_tooltip()])]
    optimum = problem.optimum.weights, problem.optimum.bias
    for model, (w, b) in zip(models, (problem.to_original_units(weights, bias), problem.to_original_units(*optimum)),
                             strict=True):
        with np.errstate(all="ignore"):
            frame = pd.DataFrame({"actual": data.y[rows], "predicted": data.X[rows] @ w + b, "model": model})
        layers.append(alt.Chart(_finite(frame, "predicted")).mark_circle(size=14, opacity=0.45, aria=False).encode(
            x=alt.X("actual:Q", title=actual, scale=alt.Scale(zero=False)),
            y=alt.Y("predicted:Q", title=predicted, scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("model:N", title=t("charts.model")),
                     alt.Tooltip("actual:Q", title=actual, format=".6~g"),
                     alt.Tooltip("predicted:Q", title=predicted, format=".6~g")],
            color=alt.Color("model:N", scale=alt.Scale(domain=list(models), range=["#e6550d", "black"]), title=None)))
    return alt.layer(*layers, height=300, title=title)


def schedule_chart(config: sgdcore.TrainConfig, total_steps: int) -> alt.Chart:
    """The learning rate over the run, drawn from the schedule alone, without training."""
    steps = np.unique(np.linspace(0, max(total_steps - 1, 0), min(total_steps, 400)).astype(int))
    steps_per_epoch = max(total_steps // config.epochs, 1)
    frame = pd.DataFrame({"step": steps, "learning rate": scheduled_rates(config, steps_per_epoch, steps),
                          "epoch": steps / steps_per_epoch})
    return alt.Chart(frame, height=140, title=t("charts.schedule_title")).mark_line(
        point=alt.OverlayMarkDef(size=20, opacity=0)).encode(
        x=alt.X("step:Q", title=t("charts.step")),
        y=alt.Y("learning rate:Q", title=t("charts.learning_rate"), scale=alt.Scale(zero=True)),
        tooltip=[alt.Tooltip("step:Q", title=t("charts.step_from_zero"), format=",d"), _epoch_tooltip(),
                 _rate_tooltip()],
    )


# Where ui.datasets.gradient_noise_table measures the spread (its "where" column) → the catalogue's key
NOISE_WHERE = {"at the start": "start", "at the optimum": "optimum"}


def _how_labels() -> dict[str, str]:
    """``predicted`` and ``measured`` in the page's language (a chart's ``labels`` argument hides ui.i18n's)."""
    return labels("charts.how_measured")


def _noise_tooltips(first: alt.Tooltip) -> list[alt.Tooltip]:
    return [first, alt.Tooltip("how:N", title=t("charts.how")),
            alt.Tooltip("batch size:Q", title=t("charts.batch_size"), format=",d"),
            alt.Tooltip("spread:Q", title=t("charts.spread"), format=".6~g")]


def gradient_noise_chart(noise: pd.DataFrame) -> alt.LayerChart:
    """Spread of minibatch gradients against batch size, log–log: predicted lines, measured dots.

    ``noise``: ``batch size``, ``spread``, ``where`` (``"at the start"`` or ``"at the optimum"``) and ``how``
    (``"predicted"`` or ``"measured"``); the chart shows ``where`` and ``how`` in the page's language."""
    hows, wheres = _how_labels(), labels("charts.noise_where")
    # The full batch has no spread (0, or rounding noise around 1e-18), which a log scale cannot show.
    data = noise[noise["spread"] > 1e-9 * noise["spread"].max()]
    data = data.assign(how=data["how"].map(hows), where=data["where"].map(lambda where: wheres[NOISE_WHERE[where]]))
    base = alt.Chart(data).encode(
        x=alt.X("batch size:Q", scale=alt.Scale(type="log"), title=t("charts.batch_size_axis")),
        y=alt.Y("spread:Q", scale=alt.Scale(type="log"), title=t("charts.spread_axis")),
        color=alt.Color("where:N", title=None, legend=bottom_legend(sorted(data["where"].unique()), 2)),
        tooltip=_noise_tooltips(alt.Tooltip("where:N", title=t("charts.where"))),
    )
    return alt.layer(
        base.transform_filter(alt.datum.how == hows["predicted"]).mark_line(),
        base.transform_filter(alt.datum.how == hows["measured"]).mark_point(filled=True, size=50),
        height=300, description=t("batch_size.noise_title"),  # untitled under the page's heading: named as it is
    )


def sampling_noise_chart(noise: pd.DataFrame, labels: Mapping[str, str], chosen: str) -> alt.LayerChart:
    """Spread of minibatch gradients against batch size for each way of drawing them, log–log: predicted lines
    (without and with replacement; blocks of shuffled rows follow the first), measured dots; ``chosen`` bold.

    ``labels``: each way's name (``ui.sampling.SAMPLING_LABELS``); ``how`` is shown in the page's language."""
    hows = _how_labels()
    data = noise.assign(sampling=noise["sampling"].map(labels), chosen=noise["sampling"] == chosen,
                        how=noise["how"].map(hows))
    data = data[data["spread"] > 0]
    base = alt.Chart(data).encode(
        x=alt.X("batch size:Q", scale=alt.Scale(type="log"), title=t("charts.batch_size_axis")),
        y=alt.Y("spread:Q", scale=alt.Scale(type="log"), title=t("charts.spread_at_optimum_axis")),
        # The legend beside the chart's top: below it, three long labels would squeeze the plot.
        color=alt.Color("sampling:N", sort=list(labels.values()), title=None,
                        legend=alt.Legend(orient="top", direction="vertical", labelLimit=320)),
        tooltip=_noise_tooltips(alt.Tooltip("sampling:N", title=t("charts.sampling"))),
    )
    predicted = alt.datum.how == hows["predicted"]
    return alt.layer(
        base.transform_filter(predicted & (alt.datum.sampling != labels["blocks"])).mark_line().encode(
            strokeWidth=alt.condition(alt.datum.chosen, alt.value(3), alt.value(1.5))),
        base.transform_filter(alt.datum.how == hows["measured"]).mark_point(filled=True).encode(
            size=alt.condition(alt.datum.chosen, alt.value(90), alt.value(40))),
        height=380, description=t("batch_size.sampling_title"),
    )

"""What each learning rate does on this data at this batch size: the strip under the learning-rate slider.

Along each eigenvector of the Hessian (eigenvalue ``λ``) full-batch descent multiplies the error by
``1 − ηλ`` a step: it shrinks without changing sign while ``ηλ < 1``, and swings from side to side, still
shrinking, while ``1 < ηλ < 2``. So every direction shrinks monotonically below ``1/λ_max``. With
``torch.optim.SGD``'s momentum the error and the velocity follow a 2×2 recurrence whose roots solve
``z² − tz + det = 0`` (:func:`sgdcore.contraction_factor`); no direction swings while both roots are real and
positive, that is while ``ηλ_max`` stays below

* heavy ball: ``(1 − √μ)² / (1 − dampening)`` (``t = 1 + μ − η(1−δ)λ``, ``det = μ``),
* Nesterov: ``((1 − μ)/(1 + μ))²`` (``t = (1 + μ)(1 − ηλ)``, ``det = μ(1 − ηλ)``),

both ``1`` at ``μ = 0``. Minibatch noise adds nothing to the mean's swing but lowers the rate at which the
run diverges to the minibatch stability limit of :mod:`sgdcore.stability`, below the full batch's. When that
limit is only a proven lower bound (data too large for the exact computation), the rates between it and the
full-batch limit are marked as not known.

The fastest full-batch rate, the one that shrinks the slowest and the steepest direction equally
(``|1 − ηλ_min| = |1 − ηλ_max|``), is ``η* = 2/(λ_min + λ_max)``.

The strip is drawn on the slider's own scale: a rate sits where the slider's thumb would be for it
(the slider's positions are its options, evenly spaced; between two options, in proportion to ``log η``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import altair as alt
import numpy as np
import pandas as pd

import sgdcore
from sgdcore.analysis import no_swing_limit
from ui.i18n import labels, t

Zone = Literal["monotone", "oscillating", "not known", "diverging"]
SLIDER_INSET = 7  # pixels between the sidebar's edge of a widget and the centre of a slider thumb at its end
ZONE_COLOURS: dict[Zone, str] = {"monotone": "#74c476", "oscillating": "#fdae6b", "not known": "#d9d9d9",
                                 "diverging": "#de2d26"}


@dataclass(frozen=True)
class RateZones:
    """Where a learning rate stops shrinking monotonically, and where it diverges, for one configuration.

    Attributes
    ----------
    monotone_below
        Below it no direction swings: ``1/λ_max`` for plain SGD (the module's docstring has momentum's).
    stable_below
        The stability limit for the batch size in use (:attr:`sgdcore.StabilityLimit.learning_rate`).
    limit_kind
        ``"exact"``, or ``"lower_bound"``: then the run may diverge anywhere from ``stable_below`` up to
        ``full_batch``.
    full_batch
        The full-batch limit with the same momentum and weight decay.
    fastest
        ``η* = 2/(λ_min + λ_max)``, the fastest rate of plain full-batch descent.
    lambda_min, lambda_max
        The Hessian's extreme eigenvalues (weight decay included), bias column included.
    batch_size, momentum
        The batch size and the momentum it is for.
    """

    monotone_below: float
    stable_below: float
    limit_kind: str
    full_batch: float
    fastest: float
    lambda_min: float
    lambda_max: float
    batch_size: int
    momentum: float = 0.0


def zone_label(zone: Zone) -> str:
    """What a rate in ``zone`` does, in the page's language: ``"shrinks monotonically"``, …"""
    return labels("charts.zone")[zone.replace(" ", "_")]


def rate_zones(problem: sgdcore.Problem, config: sgdcore.TrainConfig, limits: sgdcore.Limits) -> RateZones:
    """The zones of ``config``'s settings (all but its learning rate) on ``problem``; ``limits`` its limits."""
    curvature = sgdcore.curvature(problem.quadratic.hessian, config.weight_decay)
    lambda_min, lambda_max = max(curvature.lambda_min, 0.0), curvature.lambda_max
    limit = limits.minibatch
    return RateZones(
        monotone_below=no_swing_limit(lambda_max, config.momentum, config.dampening, config.nesterov),
        stable_below=limit.learning_rate, limit_kind=limit.kind, full_batch=limit.full_batch,
        fastest=2.0 / (lambda_min + lambda_max), lambda_min=lambda_min, lambda_max=lambda_max,
        batch_size=limit.batch_size, momentum=config.momentum,
    )


def zone_of(zones: RateZones, learning_rate: float) -> Zone:
    """What ``learning_rate`` does. At a limit itself the run no longer shrinks: the limit counts as above."""
    if learning_rate >= zones.full_batch or (zones.limit_kind == "exact" and learning_rate >= zones.stable_below):
        return "diverging"
    if learning_rate >= zones.stable_below:
        return "not known"
    return "monotone" if learning_rate < zones.monotone_below else "oscillating"


def segments(zones: RateZones, low: float, high: float) -> pd.DataFrame:
    """The zones between the rates ``low`` and ``high``, one row each (``zone``, ``from``, ``to``), in order."""
    edges = sorted({low, high, *(edge for edge in (zones.monotone_below, zones.stable_below, zones.full_batch)
                                 if low < edge < high)})
    rows = []
    for start, end in itertools.pairwise(edges):
        zone = zone_of(zones, math.sqrt(start * end))  # any rate inside the interval: no edge lies within it
        if rows and rows[-1]["zone"] == zone:
            rows[-1]["to"] = end
        else:
            rows.append({"zone": zone, "from": start, "to": end})
    return pd.DataFrame(rows, columns=["zone", "from", "to"])


def slider_position(rates: float | np.ndarray, grid: Sequence[float]) -> np.ndarray:
    """Where each rate sits on a select slider of ``grid`` (sorted rates): its index, in between in log scale."""
    logs = np.log10(np.asarray(grid, dtype=np.float64))
    return np.interp(np.log10(np.asarray(rates, dtype=np.float64)), logs, np.arange(len(grid), dtype=np.float64))


def _rate(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}g}" if math.isfinite(value) else "∞"


def _rate_apart(value: float, others: Sequence[float]) -> str:
    """``value`` with the digits that tell it from each of ``others`` that it is not (η* = 1.99997 beside the limit
    1.99999 on the diabetes data, both "2" to three figures); not from one within a millionth of it, closer than the
    limits are computed (a minibatch limit is searched to within 1e-9 of the full batch's; where κ is beyond 1/ε,
    η* and the limit differ by no more)."""
    digits = 3
    apart = [other for other in others if abs(other - value) > 1e-6 * abs(value)]
    while digits < 15 and any(_rate(other, digits) == _rate(value, digits) for other in apart):
        digits += 1
    return _rate(value, digits)


def zones_chart(zones: RateZones, learning_rate: float, grid: Sequence[float]) -> alt.LayerChart:
    """The strip: the zones across the slider's range, ``η*`` (black tick) and the current rate (blue)."""
    low, high = float(grid[0]), float(grid[-1])
    strip = segments(zones, low, high)
    strip["x"] = slider_position(strip["from"], grid)
    strip["x2"] = slider_position(strip["to"], grid)
    # The data sent holds the zones' names in the page's language and their colours, not their codes: every word
    # in a chart's data is one a reader may see.
    strip["what"] = strip["zone"].map(zone_label)
    strip["colour"] = strip.pop("zone").map(ZONE_COLOURS)
    scale = alt.Scale(domain=[0, len(grid) - 1], nice=False, zero=False)
    # Fixed heights as typed values (alt.YValue): given a plain dict, Altair searches its classes for its type.
    x = alt.X("x:Q", scale=scale, axis=None)
    layers = [alt.Chart(strip).mark_rect().encode(
        x=x, x2=alt.X2("x2:Q"), y=alt.YValue(4), y2=alt.Y2Value(18), color=alt.Color("colour:N", scale=None),
        tooltip=[alt.Tooltip("what:N", title=t("charts.zones.rate_here")),
                 alt.Tooltip("from:Q", title=t("charts.zones.from_rate"), format=".4g"),
                 alt.Tooltip("to:Q", title=t("charts.zones.to_rate"), format=".4g")])]
    marks = pd.DataFrame({
        "mark": [t("charts.zones.fastest"), t("charts.zones.yours")], "η": [zones.fastest, learning_rate],
        "colour": ["#000000", "#08519c"],
    })
    marks = marks[(marks["η"] >= low) & (marks["η"] <= high)].reset_index(drop=True)
    marks["x"] = slider_position(marks["η"], grid)
    layers.append(alt.Chart(marks).mark_rule(strokeWidth=3).encode(
        x=x, y=alt.YValue(0), y2=alt.Y2Value(22), color=alt.Color("colour:N", scale=None),
        tooltip=[alt.Tooltip("mark:N", title=" "), alt.Tooltip("η:Q", title=t("charts.learning_rate"), format=".4g")]))
    decades = [10.0**k for k in range(math.ceil(math.log10(low)), math.floor(math.log10(high)) + 1) if k % 2 == 0]
    labels = pd.DataFrame({"η": decades, "label": [f"{d:g}" for d in decades]})
    labels["x"] = slider_position(labels["η"], grid)
    # The decades' labels are an axis: no hover text (Streamlit's theme would show their fields, untitled).
    layers.append(alt.Chart(labels).mark_text(baseline="top", fontSize=9, color="#636363", tooltip=False).encode(
        x=x, y=alt.YValue(24), text=alt.Text("label:N")))
    # No title: Streamlit gives the chart its height and no more, and a title would push the strip out of view. A
    # screen reader hears its description instead (ui.slots: the canvas's name), and the caption under it in full.
    # The side padding puts the strip's ends under the slider thumb's ends (Streamlit insets the track).
    return alt.layer(*layers, height=36, padding={"left": SLIDER_INSET, "right": SLIDER_INSET, "top": 0, "bottom": 0},
                     description=t("charts.zones.description"))


def zones_text(zones: RateZones, learning_rate: float) -> str:
    """The strip in words, with its boundaries, for under it, in the page's language."""
    if zones.stable_below >= zones.full_batch:
        where = t("charts.zones.full_batch")
    else:
        where = t("charts.zones.batch_size", batch_size=zones.batch_size)
    parts = []
    if zones.monotone_below < zones.stable_below:
        parts.append(t("charts.zones.green_below", rate=_rate(zones.monotone_below)))
        parts.append(t("charts.zones.orange_up_to", rate=_rate(zones.stable_below)))
    elif zones.limit_kind == "exact":
        parts.append(t("charts.zones.green_noise", rate=_rate(zones.stable_below), swing=_rate(zones.monotone_below)))
    else:
        parts.append(t("charts.zones.green_proven", rate=_rate(zones.stable_below)))
    if zones.limit_kind == "lower_bound":
        parts.append(t("charts.zones.grey_between", low=_rate(zones.stable_below), high=_rate(zones.full_batch)))
        parts.append(t("charts.zones.red_from", rate=_rate(zones.full_batch)))
    else:
        parts.append(t("charts.zones.red_from_limit", rate=_rate(zones.stable_below), where=where))
    # With momentum the text says what "monotonically" means then
    return t("charts.zones.text_momentum" if zones.momentum > 0 else "charts.zones.text",
             parts=t("charts.zones.separator").join(parts), rate=_rate(learning_rate),
             fastest=_rate_apart(zones.fastest, (zones.monotone_below, zones.stable_below, zones.full_batch)),
             zone=zone_label(zone_of(zones, learning_rate)))

"""The condition number of the data as it is and standardised, and what it means in steps of gradient descent.

The Hessian is the one :mod:`sgdcore.analysis` defines: ``H = AᵀA/n`` with ``A = [X 1]``, the bias column
included, over the training rows. Full-batch descent at ``η = 1/λ_max`` shrinks the error along the flattest
direction by ``1 − 1/κ`` a step, so shrinking it by a factor ``ε`` takes ``ln(1/ε)/−ln(1 − 1/κ)`` steps: at
most, and for large ``κ`` about, ``κ·ln(1/ε)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import streamlit as st

import sgdcore
from sgdcore.analysis import BLOCK_BYTES
from ui.i18n import t

EPSILON = 1e-3  # the error left, as a fraction of the starting error, that the step counts are for


@dataclass(frozen=True)
class Conditioning:
    """``κ`` of the training rows' Hessian as the data is (``raw``) and standardised (None: a constant column)."""

    raw: float
    standardized: float | None


def standardized_hessian(data: sgdcore.Dataset) -> np.ndarray:
    """``AᵀA/n`` for ``A = [Z 1]``, ``Z`` the features standardised with the rows' own means and (population)
    standard deviations, as :class:`sgdcore.Standardizer` does; a block of rows at a time, so no copy of ``X``
    is made. Raises :class:`sgdcore.DataError` for a constant column."""
    scaler = sgdcore.Standardizer.fit(data)
    n, d = data.X.shape
    rows = min(n, max(1, BLOCK_BYTES // (8 * (d + 1))))
    block = np.ones((rows, d + 1))
    hessian = np.zeros((d + 1, d + 1))
    for start in range(0, n, rows):
        A = block[:min(rows, n - start)]
        A[:, :-1] = (data.X[start:start + len(A)] - scaler.feature_mean) / scaler.feature_std
        hessian += A.T @ A
    return hessian / n


def condition_numbers(problem: sgdcore.Problem) -> Conditioning:
    """``κ`` before and after standardisation of ``problem``'s training rows, whichever of the two it uses."""
    if getattr(problem, "on_cluster", False):
        return _from_moments(problem.data.moments)
    raw = problem.quadratic.hessian if problem.scaler is None else sgdcore.quadratic_loss(problem.raw_train).hessian
    try:
        standardized = standardized_hessian(problem.raw_train)
    except sgdcore.DataError:
        return Conditioning(sgdcore.curvature(raw).condition_number, None)
    return Conditioning(sgdcore.curvature(raw).condition_number, sgdcore.curvature(standardized).condition_number)


def _from_moments(moments) -> Conditioning:
    """:func:`condition_numbers` of data on a cluster, from its statistics (``sgdcore.distributed``): standardised,
    ``A = [Z 1]`` has ``AᵀA/n = [[R, 0], [0, 1]]``, ``R`` the features' correlation matrix."""
    raw = sgdcore.curvature(moments.quadratic_loss().hessian).condition_number
    correlation = moments.correlation()
    if correlation is None:
        return Conditioning(raw, None)
    standardized = np.eye(len(correlation) + 1)
    standardized[:-1, :-1] = correlation
    return Conditioning(raw, sgdcore.curvature(standardized).condition_number)


@st.cache_resource(max_entries=16, show_spinner=False)
def _cached(_problem: sgdcore.Problem, data_key: str) -> Conditioning:
    return condition_numbers(_problem)


def condition_numbers_for(problem: sgdcore.Problem, data_key: str) -> Conditioning:
    """:func:`condition_numbers` of the problem ``data_key`` names, computed once (one pass over the rows)."""
    return _cached(problem, data_key)


def steps_needed(kappa: float, epsilon: float = EPSILON) -> float:
    """The steps within which plain gradient descent at ``η = 1/λ_max`` shrinks its error by ``ε``, whatever the
    start: ``⌈ln(1/ε)/−ln(1 − 1/κ)⌉``, the flattest direction's, which shrinks by ``1 − 1/κ`` a step (every other
    by less than that factor; the steepest is gone after one step); about ``κ·ln(1/ε)`` for large ``κ``, twice the
    count at ``κ`` near 1. Infinite for a singular Hessian."""
    if not math.isfinite(kappa):
        return math.inf
    if kappa <= 1:
        return 1.0
    return float(math.ceil(math.log(1 / epsilon) / -math.log1p(-1 / kappa)))


def kappa_text(kappa: float, digits: int = 3) -> str:
    """A condition number to ``digits`` significant figures, written out as the step counts beside it are (1,000 and
    12,300, never 1e+03: a reader compares it with the κ they typed); ∞ for a singular Hessian."""
    if not math.isfinite(kappa):
        return "∞"
    rounded = float(f"{kappa:.{digits}g}")
    return f"{rounded:,.0f}" if abs(rounded) >= 10 ** (digits - 1) else f"{rounded:g}"


def kappa_texts_apart(kappa: float, other: float) -> tuple[str, str]:
    """Two condition numbers as :func:`kappa_text` writes them, with the digits that tell them apart where three
    would write both alike (1.12444 reached where 1.12 was asked for)."""
    digits = 3
    while kappa_text(kappa, digits) == kappa_text(other, digits) and kappa != other and digits < 15:
        digits += 1
    return kappa_text(kappa, digits), kappa_text(other, digits)


def _steps(kappa: float) -> str:
    steps = steps_needed(kappa)
    if not math.isfinite(steps):
        return t("conditioning.never")
    return t("conditioning.step_count", steps=f"{steps_shown(steps):,.0f}")


def steps_shown(steps: float) -> float:
    """A step count to three figures, as κ beside it, rounded up: the count is a bound the run stays within."""
    if steps < 1000:
        return steps
    unit = 10 ** (math.floor(math.log10(steps)) - 2)
    return math.ceil(steps / unit) * unit


def caption(conditioning: Conditioning, standardize: bool) -> str:
    """Both condition numbers and their steps, for beside the standardise toggle, in the page's language."""
    raw = t("conditioning.as_is", kappa=kappa_text(conditioning.raw))
    if conditioning.standardized is None:
        both = t("conditioning.constant_column", raw=raw)
        steps = t("conditioning.steps_about", steps=_steps(conditioning.raw))
    else:
        both = t("conditioning.both", raw=raw, kappa=kappa_text(conditioning.standardized))
        steps = t("conditioning.steps_both", raw=_steps(conditioning.raw),
                  standardized=_steps(conditioning.standardized))
    singular = "" if math.isfinite(conditioning.raw) else t(
        "conditioning.singular_scale" if conditioning.standardized is not None and math.isfinite(
            conditioning.standardized) else "conditioning.singular")  # standardised, no column repeats another
    in_use = t("conditioning.in_use_standardized") if standardize else t("conditioning.in_use_raw")
    return t("conditioning.caption", both=both, in_use=in_use, singular=singular, steps=steps)

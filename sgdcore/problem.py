"""A training problem: one dataset made ready for SGD, with everything the comparison needs.

Splitting, standardising, the closed-form optimum and the curvature are computed once per dataset
and setting, so every run on it (and every page of the dashboard) shares them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sgdcore.analysis import Curvature, QuadraticLoss, curvature, quadratic_loss
from sgdcore.data import Dataset, Standardizer, train_test_split
from sgdcore.errors import DataError, setting_error
from sgdcore.losses import full_loss
from sgdcore.reference import ClosedForm, Comparison, closed_form, compare


@dataclass(frozen=True, eq=False)
class Problem:
    """``train``/``test`` are what SGD sees (standardised if asked); ``raw_*`` are in the data's units."""

    raw_train: Dataset
    raw_test: Dataset | None
    train: Dataset
    test: Dataset | None
    scaler: Standardizer | None
    optimum: ClosedForm
    quadratic: QuadraticLoss
    curvature: Curvature

    @cached_property
    def test_quadratic(self) -> QuadraticLoss | None:
        """The loss on the held-out rows as a quadratic (summed on first use), or None without them."""
        return None if self.test is None else quadratic_loss(self.test)

    @cached_property
    def optimum_loss(self) -> float:
        """The floor: the training loss ``½·mean(r²)`` at the closed-form optimum, in model units.

        Summed from the residuals, as training sums its losses (:func:`sgdcore.full_loss`), never from the quadratic
        form: that cancels terms of the target's size, ``½·mean(y²)``, and on noise-free data leaves rounding of that
        size, below 0 as often as above, where the true loss is about 1e-30.
        """
        return full_loss(self.train, self.optimum.params)

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names in the order of ``θ = [w…, b]``."""
        return (*self.train.feature_names, "bias")

    def to_original_units(self, weights: np.ndarray, bias: float) -> tuple[np.ndarray, float]:
        if self.scaler is None:
            return np.asarray(weights, dtype=np.float64), float(bias)
        return self.scaler.to_original_units(weights, bias)

    def compare(self, weights: np.ndarray, bias: float) -> Comparison:
        """SGD's model-unit parameters against the optimum, both mapped to the data's units."""
        optimum = ClosedForm(*self.to_original_units(self.optimum.weights, self.optimum.bias))
        return compare(*self.to_original_units(weights, bias), optimum, self.raw_train, self.raw_test)


def make_problem(data: Dataset, *, standardize: bool = False, test_fraction: float = 0.0, seed: int = 0) -> Problem:
    """Split ``data`` (``test_fraction`` held out with ``seed``), standardise if asked, and solve it exactly.

    Standardisation scales features and target with the training rows' statistics only, so no
    information leaks from the test rows.
    """
    if not isinstance(standardize, (bool, np.bool_)):
        raise setting_error("standardize", standardize, "True or False", "not_bool")
    data.check_values()
    raw_train, raw_test = train_test_split(data, test_fraction, seed)
    if raw_train.n_rows <= raw_train.n_features:
        raise DataError(
            f"The training set has {raw_train.n_rows} rows for {raw_train.n_features} features; least squares "
            f"with a bias needs at least {raw_train.n_features + 1} rows. Use more rows or fewer features, "
            "or a smaller test fraction.", "too_few_training_rows", rows=raw_train.n_rows, features=raw_train.n_features
        )
    scaler = Standardizer.fit(raw_train, target=True) if standardize else None
    train = scaler.transform(raw_train) if scaler else raw_train
    test = scaler.transform(raw_test) if scaler and raw_test is not None else raw_test
    quadratic = quadratic_loss(train)
    return Problem(raw_train, raw_test, train, test, scaler, closed_form(train), quadratic,
                   curvature(quadratic.hessian))

"""The exact answer SGD is heading for: scikit-learn's closed-form least squares, and a comparison."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sgdcore.analysis import BLOCK_BYTES
from sgdcore.data import Dataset
from sgdcore.model import predict, squared_loss


@dataclass(frozen=True, eq=False)
class ClosedForm:
    """The least-squares optimum ``(w*, b*)`` of a dataset, in the dataset's units."""

    weights: np.ndarray
    bias: float

    @property
    def params(self) -> np.ndarray:
        return np.append(self.weights, self.bias)


def closed_form(data: Dataset) -> ClosedForm:
    """Fit ``LinearRegression`` (ordinary least squares with an intercept) on ``data``.

    ``LinearRegression`` solves the centred rows' least squares with SciPy's ``lstsq``, whose LAPACK call holds
    Python's lock throughout: every other session of a shared server stops for as long as it runs (0.5 s at
    2,000,000 × 20, ``benchmarks/bench_lock.py``). So the rows are first folded, a block at a time, into the
    triangle ``R`` of a QR factorisation of the centred ``[X y] = Q·[[R₁, z], [0, ρ]]``: ``‖X w − y‖² =
    ‖R₁ w − z‖² + ρ²`` for every ``w``, and ``R₁`` has the singular values and right singular vectors of ``X``, so
    ``LinearRegression`` fitted to ``(R₁, z)`` returns the same minimum-norm solution under the same cutoff.
    Each block holds the lock for milliseconds, and no copy of ``X`` is made.
    """
    # Imported here: scikit-learn (and scipy.stats with it) takes 0.6-0.7 s to import, which a fresh server would
    # otherwise spend before sending its first widget; ``import sgdcore`` stays light.
    from sklearn.linear_model import LinearRegression

    # LinearRegression counts singular values below tol·(the largest) as zero (scikit-learn 1.9 passes its
    # tol=1e-6 to scipy.linalg.lstsq as cond): columns whose spreads differ by 1e6 or more, as x1·1e12 beside x2,
    # lose the small one's, and the fit is not the least-squares minimum (R² 0.34 instead of 0.999). On columns
    # scaled to a range of 1 the singular values reflect only how the columns correlate; dividing the coefficients
    # by the scales gives the same minimiser when X has full column rank. A constant column is left as it is.
    n, d = data.X.shape
    if n == 0:
        LinearRegression().fit(data.X, data.y)  # raises scikit-learn's own error for no rows
    spread = np.ptp(data.X, axis=0).astype(np.float64)
    scale = np.where(spread > 0, spread, 1.0)
    x_mean = data.X.mean(axis=0, dtype=np.float64)
    y_mean = float(data.y.mean(dtype=np.float64))
    triangle = centred_triangle(data, x_mean, y_mean, scale)
    model = LinearRegression(fit_intercept=False).fit(triangle[:d, :d], triangle[:d, d])
    weights = np.asarray(model.coef_, dtype=np.float64) / scale
    return ClosedForm(weights, y_mean - float(x_mean @ weights))


def centred_triangle(data: Dataset, x_mean: np.ndarray, y_mean: float, scale: np.ndarray) -> np.ndarray:
    """``R`` of the QR factorisation of ``[(X − x̄)/scale, y − ȳ]``, folded in a block of rows at a time (a
    tall-skinny QR): ``R`` of ``[R_so_far; block]`` is ``R`` of all the rows so far."""
    n, d = data.X.shape
    # At least four times as many rows as columns: each fold factors its block and the d + 1 rows of R together.
    block_rows = max(BLOCK_BYTES // (8 * (d + 1)), 4 * (d + 1))
    triangle = np.empty((0, d + 1))
    for start in range(0, n, block_rows):
        rows = slice(start, min(start + block_rows, n))
        block = np.empty((len(triangle) + rows.stop - start, d + 1))
        block[:len(triangle)] = triangle
        features = block[len(triangle):, :d]
        np.subtract(data.X[rows], x_mean, out=features)
        features /= scale
        np.subtract(data.y[rows], y_mean, out=block[len(triangle):, d])
        triangle = np.linalg.qr(block, mode="r")
    return triangle


@dataclass(frozen=True, eq=False)
class Comparison:
    """SGD's parameters next to the closed form's, and how both do on training and test rows.

    ``loss`` is the training objective ``½·mean(r²)``; ``mse`` is the plain mean squared error. An ``r2`` is NaN
    where R² is undefined: on fewer than two rows, or rows whose target is constant.
    ``loss_gap`` is how far SGD's training loss is above the floor, ``L(θ_SGD) − L(θ*)``, computed to
    its own precision rather than the losses', and 0 where ``θ_SGD`` is as good as ``θ*`` to rounding.
    """

    names: tuple[str, ...]
    sgd: np.ndarray
    closed_form: np.ndarray
    truth: np.ndarray | None
    train_loss_sgd: float
    train_loss_closed_form: float
    loss_gap: float
    train_mse_sgd: float
    train_mse_closed_form: float
    train_r2_sgd: float
    train_r2_closed_form: float
    test_mse_sgd: float | None
    test_mse_closed_form: float | None
    test_r2_sgd: float | None
    test_r2_closed_form: float | None

    @property
    def difference(self) -> np.ndarray:
        return self.sgd - self.closed_form

    @property
    def distance(self) -> float:
        """Euclidean distance ``‖θ_SGD − θ*‖`` to the optimum."""
        return float(np.linalg.norm(self.difference))

    @property
    def relative_error(self) -> float:
        """``‖θ_SGD − θ*‖ / ‖θ*‖`` (the plain distance when the optimum is 0)."""
        scale = float(np.linalg.norm(self.closed_form))
        return self.distance / scale if scale > 0 else self.distance


def fit_scores(y: np.ndarray, y_hat: np.ndarray) -> tuple[float, float]:
    """The mean squared error ``mean((ŷ − y)²)`` and R² of predictions ``y_hat`` of ``y``: ``(inf, -inf)`` where a
    prediction is not finite (a diverged run), and R² NaN where it is undefined."""
    from sklearn.metrics import r2_score  # imported here, as in closed_form()

    y, y_hat = np.asarray(y, dtype=float), np.asarray(y_hat, dtype=float)
    # R² = 1 − SS_res / SS_tot is undefined (NaN) where the target does not vary: one row, or a constant target.
    # r2_score would say 1 for a perfect fit and 0 otherwise there, stand-ins that read as measurements.
    r2 = math.nan if len(y) < 2 or np.ptp(y) == 0 else None
    if not np.all(np.isfinite(y_hat)):
        return float("inf"), float("-inf") if r2 is None else r2
    with np.errstate(all="ignore"):
        mse = float(np.mean((y_hat - y) ** 2))
        return mse, float(r2_score(y, y_hat)) if r2 is None else r2


def compare(
    sgd_weights: np.ndarray,
    sgd_bias: float,
    optimum: ClosedForm,
    train: Dataset,
    test: Dataset | None = None,
) -> Comparison:
    """Compare SGD's ``(w, b)`` with the closed form on the same (possibly standardised) data."""

    def fit(data: Dataset, w: np.ndarray, b: float) -> np.ndarray:
        with np.errstate(all="ignore"):
            return predict(data.X, w, b)

    closed_form_fit = fit(train, optimum.weights, optimum.bias)
    train_mse_sgd, train_r2_sgd = fit_scores(train.y, fit(train, sgd_weights, sgd_bias))
    train_mse_cf, train_r2_cf = fit_scores(train.y, closed_form_fit)
    # L(θ) − L(θ*) = mean(r*·d) + ½·mean(d²), with r* the optimum's residuals and d = X(w − w*) + (b − b*):
    # an identity, ½·mean((r* + d)²) − ½·mean(r*²), that adds the gap's own small terms instead of
    # subtracting two nearly equal losses, whose rounding (a negative gap of 1e-20, say) would show.
    with np.errstate(all="ignore"):
        step = train.X @ (sgd_weights - optimum.weights) + (sgd_bias - optimum.bias)
        loss_gap = float(np.mean((closed_form_fit - train.y) * step) + 0.5 * np.mean(step**2))
    # θ* is the minimum only to rounding, so a θ within rounding of it can score a hair below it: no gap.
    loss_gap = max(loss_gap, 0.0) if math.isfinite(loss_gap) else math.inf
    test_mse_sgd = test_r2_sgd = test_mse_cf = test_r2_cf = None
    if test is not None:
        test_mse_sgd, test_r2_sgd = fit_scores(test.y, fit(test, sgd_weights, sgd_bias))
        test_mse_cf, test_r2_cf = fit_scores(test.y, fit(test, optimum.weights, optimum.bias))
    truth = None
    if train.true_weights is not None and train.true_bias is not None:
        truth = np.append(train.true_weights, train.true_bias)
    return Comparison(
        names=(*train.feature_names, "bias"),
        sgd=np.append(sgd_weights, sgd_bias), closed_form=optimum.params, truth=truth,
        train_loss_sgd=train_mse_sgd / 2, train_loss_closed_form=train_mse_cf / 2, loss_gap=loss_gap,
        train_mse_sgd=train_mse_sgd, train_mse_closed_form=train_mse_cf,
        train_r2_sgd=train_r2_sgd, train_r2_closed_form=train_r2_cf,
        test_mse_sgd=test_mse_sgd, test_mse_closed_form=test_mse_cf,
        test_r2_sgd=test_r2_sgd, test_r2_closed_form=test_r2_cf,
    )


__all__ = ["ClosedForm", "Comparison", "closed_form", "compare", "squared_loss"]

"""The sufficient statistics of least squares (:class:`Moments`), one partition's and their exact merge: the
closed form, the Hessian and the training loss in O(d²), with no pass over the data."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.linalg

from sgdcore.analysis import QuadraticLoss, unit_diagonal
from sgdcore.reference import ClosedForm


@dataclass(frozen=True, eq=False)
class Moments:
    """The sufficient statistics of least squares on ``z = [x, y]``: the count, the means and the centred
    co-moments ``C = Σ (z − z̄)(z − z̄)ᵀ``. Partitions' statistics merge exactly (:meth:`merge`).

    Centred sums keep the digits that raw sums ``Σ zzᵀ`` lose to a large mean; they give ``XᵀX``, ``Xᵀy``
    and ``yᵀy`` (:meth:`quadratic_loss`) and the least-squares answer (:meth:`solve`).
    """

    count: int
    mean: np.ndarray
    comoment: np.ndarray

    @classmethod
    def of(cls, X: np.ndarray, y: np.ndarray) -> Moments:
        """The statistics of one partition."""
        z = np.empty((X.shape[0], X.shape[1] + 1))
        z[:, :-1], z[:, -1] = X, y
        if len(z) == 0:
            return cls(0, np.zeros(z.shape[1]), np.zeros((z.shape[1], z.shape[1])))
        mean = z.mean(axis=0)
        z -= mean
        return cls(len(z), mean, z.T @ z)

    def merge(self, other: Moments) -> Moments:
        """The statistics of both partitions together (Chan, Golub & LeVeque's pairwise update):
        ``C = C_a + C_b + δδᵀ·n_a·n_b/n`` with ``δ = z̄_b − z̄_a``."""
        if other.count == 0:
            return self
        if self.count == 0:
            return other
        count = self.count + other.count
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.count / count)
        comoment = self.comoment + other.comoment + np.outer(delta, delta) * (self.count * other.count / count)
        return Moments(count, mean, comoment)

    @property
    def n_features(self) -> int:
        return len(self.mean) - 1

    def solve(self) -> ClosedForm:
        """Least squares with a bias, from the centred normal equations ``C_xx w = C_xy``, ``b = ȳ − x̄ᵀw``:
        what scikit-learn's ``LinearRegression`` computes (it centres too), to about ``κ·ε`` relative."""
        # Solved on the correlation matrix, scaled back: features 1e12 apart make C_xx span 1e24, for which
        # scipy warns of an ill-conditioned matrix and lstsq's cutoff drops the small feature's column.
        c_xx, scale = unit_diagonal(self.comoment[:-1, :-1])
        c_xy = self.comoment[:-1, -1] / scale
        try:
            weights = scipy.linalg.solve(c_xx, c_xy, assume_a="pos") / scale
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
            weights = np.linalg.lstsq(c_xx, c_xy, rcond=None)[0] / scale
        return ClosedForm(weights, float(self.mean[-1] - self.mean[:-1] @ weights))

    def correlation(self) -> np.ndarray | None:
        """The features' correlation matrix: ``AᵀA/n`` of the standardised features (None if one is constant)."""
        scale = np.sqrt(np.diag(self.comoment)[:-1])
        return None if np.any(scale == 0) else self.comoment[:-1, :-1] / np.outer(scale, scale)

    def correlation_condition(self) -> float:
        """The condition number of the features' correlation matrix: how many digits :meth:`solve` loses."""
        correlation = self.correlation()
        if self.n_features == 0 or correlation is None:
            return math.inf
        eigenvalues = np.linalg.eigvalsh(correlation)
        return float(eigenvalues[-1] / eigenvalues[0]) if eigenvalues[0] > 0 else math.inf

    def quadratic_loss(self) -> QuadraticLoss:
        """The training loss as :class:`sgdcore.QuadraticLoss` (``H = AᵀA/n``, ``c = Aᵀy/n``, ``k = ½·mean(y²)``,
        ``A = [X 1]``), the same form :func:`sgdcore.quadratic_loss` sums in memory."""
        n, mean = self.count, self.mean
        second = self.comoment / n + np.outer(mean, mean)  # E[z zᵀ]
        d = self.n_features
        hessian = np.empty((d + 1, d + 1))
        hessian[:d, :d], hessian[:d, d], hessian[d, :d], hessian[d, d] = second[:d, :d], mean[:d], mean[:d], 1.0
        linear = np.append(second[:d, d], mean[d])
        return QuadraticLoss(hessian, linear, 0.5 * float(second[d, d]))

    def loss(self, params: np.ndarray) -> float:
        """``½·mean((Xw + b − y)²)`` at ``θ = [w, b]`` in O(d²), from the centred form
        ``½·(r̄² + (w − w*)ᵀC_xx(w − w*)/n + RSS*/n)``, ``r̄`` the mean residual, ``RSS*`` the optimum's:
        small terms added to the floor rather than large ones cancelled (``inf`` when it overflows)."""
        params = np.asarray(params, dtype=np.float64)
        weights, optimum = params[:-1], self._optimum
        with np.errstate(all="ignore"):
            mean_residual = self.mean[:-1] @ weights + params[-1] - self.mean[-1]
            delta = weights - optimum.weights
            spread = float(delta @ self.comoment[:-1, :-1] @ delta)
            value = 0.5 * (mean_residual**2 + (spread + self._optimum_rss) / self.count)
        return float(value) if math.isfinite(value) else math.inf

    def loss_gap(self, params: np.ndarray, optimum: np.ndarray) -> float:
        """``L(θ) − L(θ*)`` to its own precision: ``½·((r̄ − r̄*)(r̄ + r̄*) + δᵀC_xxδ/n + 2δᵀ(C_xx w* − C_xy)/n)``,
        ``δ = w − w*``, small terms rather than the difference of two losses (0 where ``θ`` is as good as ``θ*``)."""
        params, optimum = np.asarray(params, dtype=np.float64), np.asarray(optimum, dtype=np.float64)
        c_xx, c_xy = self.comoment[:-1, :-1], self.comoment[:-1, -1]
        with np.errstate(all="ignore"):
            mean_residual = self.mean[:-1] @ params[:-1] + params[-1] - self.mean[-1]
            mean_residual_optimum = self.mean[:-1] @ optimum[:-1] + optimum[-1] - self.mean[-1]
            delta = params[:-1] - optimum[:-1]
            gap = 0.5 * ((mean_residual - mean_residual_optimum) * (mean_residual + mean_residual_optimum)
                         + (float(delta @ c_xx @ delta) + 2 * float(delta @ (c_xx @ optimum[:-1] - c_xy))) / self.count)
        return max(gap, 0.0) if math.isfinite(gap) else math.inf

    @cached_property
    def _optimum(self) -> ClosedForm:
        return self.solve()

    @cached_property
    def _optimum_rss(self) -> float:
        """``C_yy − C_xyᵀw*``: the residual sum of squares at the optimum (never below 0)."""
        return max(float(self.comoment[-1, -1] - self.comoment[:-1, -1] @ self._optimum.weights), 0.0)


def _merge_pairwise(moments: Sequence[Moments]) -> Moments:
    """All partitions' statistics merged as a balanced tree, in partition order: the same result whatever
    order the workers finished in."""
    level = list(moments)
    while len(level) > 1:
        level = [level[i].merge(level[i + 1]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    return level[0]

"""Why a learning rate works or not: the loss is a quadratic, and its Hessian says everything.

With ``θ = [w, b]`` and ``A = [X 1]``, the training loss is exactly
``L(θ) = ½θᵀHθ − cᵀθ + k`` with ``H = AᵀA/n``, ``c = Aᵀy/n``, ``k = ½·mean(y²)``.
Full-batch gradient descent multiplies the error along each eigenvector of ``H`` by ``1 − ηλ``
per step, so it is stable exactly when ``η < 2/λ_max``, and slow when ``λ_min`` is small.
Minibatches lower that limit and leave a noise floor: :mod:`sgdcore.stability`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sgdcore.data import Dataset

# Bytes of [X 1] formed at a time by quadratic_loss: a block that stays in cache.
BLOCK_BYTES = 1 << 21


@dataclass(frozen=True, eq=False)
class QuadraticLoss:
    """The training loss of a dataset as a quadratic in ``θ = [w, b]`` (exact, not an approximation)."""

    hessian: np.ndarray
    linear: np.ndarray
    constant: float

    def loss(self, params: np.ndarray) -> np.ndarray | float:
        """``L(θ)`` for one ``θ`` (shape ``(d+1,)``) or many (shape ``(..., d+1)``)."""
        params = np.asarray(params, dtype=np.float64)
        quadratic = 0.5 * np.einsum("...i,ij,...j->...", params, self.hessian, params)
        value = quadratic - params @ self.linear + self.constant
        return float(value) if np.ndim(value) == 0 else value

    def gradient(self, params: np.ndarray) -> np.ndarray:
        """``∇L(θ) = Hθ − c``, for one ``θ`` or many."""
        return np.asarray(params) @ self.hessian - self.linear


def unit_diagonal(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``D⁻¹MD⁻¹`` and ``D = √diag(M)`` (1 where the diagonal is 0), for solving ``Mθ = c`` as ``(D⁻¹MD⁻¹)(Dθ) =
    D⁻¹c``: the Hessian of columns 1e12 apart spans 1e24, and a solver's cutoff (singular values below ε·the
    largest) would drop the small column's. Scaled so, its singular values say how the columns correlate, not how
    their units differ."""
    scale = np.sqrt(np.diag(matrix))
    scale = np.where(scale > 0, scale, 1.0)
    return matrix / np.outer(scale, scale), scale


def minimiser(hessian: np.ndarray, linear: np.ndarray) -> np.ndarray:
    """The ``θ`` that minimises ``½·θᵀHθ − cᵀθ``: ``Hθ = c``, by least squares where ``H`` is singular, on ``H``
    scaled to a unit diagonal (:func:`unit_diagonal`)."""
    scaled, scale = unit_diagonal(hessian)
    return np.linalg.lstsq(scaled, linear / scale, rcond=None)[0] / scale


def quadratic_loss(data: Dataset) -> QuadraticLoss:
    """Build :class:`QuadraticLoss` in one pass over the data, in float64 whatever the data's dtype.

    ``A = [X 1]`` is formed a block of rows at a time: the memory it takes is one block, not a
    copy of ``X``.
    """
    n, d = data.X.shape
    block = np.ones((min(n, max(1, BLOCK_BYTES // (8 * (d + 1)))), d + 1))
    hessian, linear = np.zeros((d + 1, d + 1)), np.zeros(d + 1)
    for start in range(0, n, len(block)):
        A = block[:min(len(block), n - start)]
        A[:, :-1] = data.X[start:start + len(A)]
        hessian += A.T @ A
        linear += A.T @ data.y[start:start + len(A)]
    y = data.y.astype(np.float64, copy=False)
    return QuadraticLoss(hessian / n, linear / n, 0.5 * float(y @ y) / n)


@dataclass(frozen=True, eq=False)
class Curvature:
    """Eigenvalues of the Hessian (bias column included) and what they imply for the learning rate."""

    eigenvalues: np.ndarray

    @property
    def lambda_max(self) -> float:
        return float(self.eigenvalues[-1])

    @property
    def lambda_min(self) -> float:
        return float(self.eigenvalues[0])

    @property
    def condition_number(self) -> float:
        """``λ_max / λ_min``; infinite when the problem is singular (a constant or duplicated column)."""
        tiny = self.lambda_max * np.finfo(np.float64).eps * len(self.eigenvalues)
        return self.lambda_max / self.lambda_min if self.lambda_min > tiny else float("inf")

    def stability_limit(self, momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False) -> float:
        """The largest stable full-batch learning rate (``2/λ_max`` for plain gradient descent)."""
        return stability_limit(self.lambda_max, momentum, dampening, nesterov)


def curvature(hessian: np.ndarray, weight_decay: float = 0.0) -> Curvature:
    """Eigenvalues of ``H`` plus weight decay on the weights (not the bias), smallest first."""
    penalised = hessian + weight_decay * np.diag(np.r_[np.ones(len(hessian) - 1), 0.0])
    return Curvature(np.linalg.eigvalsh(penalised))


def stability_limit(lambda_max: float, momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False) -> float:
    """Largest ``η`` for which full-batch descent does not blow up along ``λ_max``.

    Plain: ``2/λ``. Heavy-ball momentum (PyTorch's form): ``2(1+μ) / ((1−dampening)·λ)``.
    Nesterov: ``2(1+μ) / ((1+2μ)·λ)``. Each follows from the 2×2 linear recurrence of
    (velocity, parameter) along one eigenvector having both roots inside the unit circle.
    """
    if lambda_max <= 0:
        return float("inf")
    if momentum == 0.0:
        return 2.0 / lambda_max
    if nesterov:
        return 2.0 * (1.0 + momentum) / ((1.0 + 2.0 * momentum) * lambda_max)
    return 2.0 * (1.0 + momentum) / ((1.0 - dampening) * lambda_max) if dampening < 1 else float("inf")


def no_swing_limit(lambda_max: float, momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False) -> float:
    """The largest rate at which no direction of full-batch descent swings from side to side (both roots of each
    direction's recurrence real and ≥ 0): ``1/λ_max`` for plain descent, where ``1 − ηλ`` stays ≥ 0; heavy ball
    ``(1 − √μ)²/((1 − dampening)λ_max)``, Nesterov ``((1 − μ)/(1 + μ))²/λ_max``. A minibatch run's mean follows
    full-batch descent, so its mean swings only above this rate; the minibatch noise adds nothing to the swing."""
    if lambda_max <= 0:
        return math.inf
    if nesterov:
        return ((1 - momentum) / (1 + momentum)) ** 2 / lambda_max
    return (1 - math.sqrt(momentum)) ** 2 / ((1 - dampening) * lambda_max) if dampening < 1 else math.inf


def contraction_factor(
    eigenvalues: np.ndarray, learning_rate: float, momentum: float = 0.0, dampening: float = 0.0,
    nesterov: bool = False,
) -> float:
    """The spectral radius of the full-batch update: in the long run, the factor a step by which the error shrinks
    in the direction where it shrinks least (the flattest or the steepest), or grows where it grows most.

    ``max|1 − ηλ|`` for plain descent; with momentum, the spectral radius of the recurrence.
    Below 1 the full-batch iteration converges; above 1 it diverges.
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    if momentum == 0.0:
        return float(np.max(np.abs(1.0 - learning_rate * lam)))
    mu, gain = momentum, 1.0 - dampening
    # Along eigenvalue λ the pair (v, θ) evolves by a 2×2 matrix; its roots solve z² − tz + det = 0.
    if nesterov:
        trace = mu + 1.0 - learning_rate * lam * (1.0 + mu)
        det = mu * (1.0 - learning_rate * lam)
    else:
        trace = mu + 1.0 - learning_rate * gain * lam
        det = np.full_like(lam, mu)
    roots = np.stack([np.roots([1.0, -t, d]) for t, d in zip(trace, det, strict=True)])
    return float(np.max(np.abs(roots)))


def polyak_heavy_ball(eigenvalues: np.ndarray) -> tuple[float, float]:
    """Polyak's heavy-ball momentum and learning rate for a quadratic whose Hessian has these ``eigenvalues``
    (positive semi-definite, ``λ_max > 0``): ``μ = ((√κ − 1)/(√κ + 1))²`` and ``η = 4/(√λ_max + √λ_min)²``,
    with ``κ = λ_max/λ_min``.

    There both roots of every direction's recurrence (:func:`contraction_factor`, undamped, not Nesterov) have
    modulus ``√μ = (√κ − 1)/(√κ + 1)``, the least spectral radius any momentum and rate reach on the quadratic
    (Polyak 1964). A singular Hessian (``λ_min = 0``) gives the limit, ``μ = 1`` and ``η = 4/λ_max``.

    Returns
    -------
    (momentum, learning_rate) : tuple of float
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    top, bottom = float(lam.max()), max(float(lam.min()), 0.0)
    root = math.sqrt(top / bottom) if bottom > 0 else math.inf
    momentum = ((root - 1.0) / (root + 1.0)) ** 2 if math.isfinite(root) else 1.0
    return momentum, 4.0 / (math.sqrt(top) + math.sqrt(bottom)) ** 2


def _step_matrices(lam: np.ndarray, learning_rate: float, momentum: float, dampening: float,
                   nesterov: bool) -> tuple[np.ndarray, np.ndarray]:
    """Along each eigenvalue λ, the 2×2 matrix that takes (error, velocity) one full-batch step on, and the first
    step's factor on the error (that step sets the velocity to the gradient λ·error, undamped, as torch does)."""
    mu, gain = momentum, 1.0 - dampening
    alpha, beta, gamma = ((learning_rate * (1 + mu), learning_rate * mu**2, 1.0) if nesterov
                          else (learning_rate * gain, learning_rate * mu, gain))
    step = np.empty((len(lam), 2, 2))
    step[:, 0, 0], step[:, 0, 1], step[:, 1, 0], step[:, 1, 1] = 1 - alpha * lam, -beta, gamma * lam, mu
    first = 1 - learning_rate * (1 + mu if nesterov and mu else 1.0) * lam  # v ← g, then the step
    return step, first


def mean_error_after(eigenvalues: np.ndarray, error: np.ndarray, steps: int, learning_rate: float,
                     momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False) -> np.ndarray:
    """The error after ``steps`` full-batch steps from an ``error`` at a run's start, both as components along the
    eigenvectors of the Hessian whose ``eigenvalues`` are given: SGD's mean error then. Along eigenvalue λ the pair
    (error, velocity) evolves by a 2×2 matrix (sgdcore.stability); the first step sets the velocity to the gradient,
    undamped, as torch.optim.SGD does. ``inf`` where it grows past floating point."""
    lam, error = np.asarray(eigenvalues, dtype=np.float64), np.asarray(error, dtype=np.float64)
    if steps == 0:
        return error.copy()
    step, first = _step_matrices(lam, learning_rate, momentum, dampening, nesterov)
    with np.errstate(over="ignore", invalid="ignore"):
        rest = np.linalg.matrix_power(step, steps - 1)
        after = (rest[:, 0, 0] * first + rest[:, 0, 1] * lam) * error
    return np.where(np.isfinite(after), after, np.inf)


def _largest_error_gain(step: np.ndarray, most_steps: int) -> np.ndarray | None:
    """For each direction, ``C = sup over k ≥ 0 of ‖first row of Mᵏ‖``: from a state s, the error is never again
    above ``C·‖s‖``. Exact: once ‖Mᴷ‖ ≤ 1, every later power is at most an earlier one (Mᴷ⁺ʲ = MʲMᴷ), so the
    powers up to K hold the supremum. None if some ‖Mᴷ‖ stays above 1 past ``most_steps`` powers."""
    power = np.broadcast_to(np.eye(2), step.shape).copy()
    gain = np.ones(len(step))
    pending = np.ones(len(step), dtype=bool)  # directions whose powers have not yet come down to norm 1
    for _ in range(most_steps):
        power = step @ power
        gain = np.where(pending, np.maximum(gain, np.linalg.norm(power[:, 0, :], axis=1)), gain)
        pending &= np.linalg.norm(power, ord=2, axis=(1, 2)) > 1.0
        if not pending.any():
            return gain
    return None


def steps_within_through(eigenvalues: np.ndarray, error: np.ndarray, weights: np.ndarray, bound: float,
                         learning_rates: np.ndarray, steps: int, momentum: float | np.ndarray = 0.0,
                         dampening: float = 0.0, nesterov: bool = False) -> np.ndarray:
    """For each of ``learning_rates`` (with ``momentum``, one for all or one each), the first step from which a
    full-batch run's ``Σ weights·error²`` is at or below ``bound`` through step ``steps`` (``steps + 1`` if it is
    above at that step): many runs at once, one step at a time. The run may rise above it later, so this is never
    more than :func:`steps_to_stay_within`'s count: a run whose step here is no sooner than a count cannot stay
    within sooner."""
    lam, error = np.asarray(eigenvalues, dtype=np.float64), np.asarray(error, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    rates = np.asarray(learning_rates, dtype=np.float64)
    momenta = np.broadcast_to(np.asarray(momentum, dtype=np.float64), rates.shape)
    pairs = [_step_matrices(lam, float(rate), float(mu), dampening, nesterov)
             for rate, mu in zip(rates, momenta, strict=True)]
    step = np.stack([matrix for matrix, _ in pairs])  # rates × directions × 2 × 2
    state = np.stack([np.stack((first * error, lam * error), axis=1) for _, first in pairs])  # after step 1
    from_step = np.full(len(pairs), 0 if float(np.sum(weights * error**2)) <= bound else 1)
    with np.errstate(over="ignore", invalid="ignore"):
        for done in range(1, steps + 1):
            from_step[~(state[:, :, 0] ** 2 @ weights <= bound)] = done + 1
            state = np.einsum("rdij,rdj->rdi", step, state)
    return from_step


def steps_to_stay_within(eigenvalues: np.ndarray, error: np.ndarray, weights: np.ndarray, bound: float,
                         learning_rate: float, momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False,
                         max_steps: int = 100_000) -> int | None:
    """The first step from which a full-batch run's ``Σ weights·error²`` stays at or below ``bound`` for ever.

    ``error`` is the start's error along the eigenvectors of the Hessian whose ``eigenvalues`` are given; weights
    ``λ/2`` measure the loss above the optimum's, weights 1 the squared distance to the optimum. With momentum the
    error rises and falls, so the first step below is not the step from which it stays below. A run without noise
    is known in advance: once the bound on everything that can follow a step's state (:func:`_largest_error_gain`)
    is within ``bound``, the last step above it is final, so the count is exact (in exact arithmetic). None if the
    run does not converge (its contraction factor is 1 or more) or is not known to stay within by ``max_steps``.
    """
    lam, error = np.asarray(eigenvalues, dtype=np.float64), np.asarray(error, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    if not contraction_factor(lam, learning_rate, momentum, dampening, nesterov) < 1.0:
        return None
    step, first = _step_matrices(lam, learning_rate, momentum, dampening, nesterov)
    gain = _largest_error_gain(step, max_steps)
    if gain is None:
        return None
    last_above = 0 if float(np.sum(weights * error**2)) > bound else -1
    state = np.stack((first * error, lam * error), axis=1)  # after the first step
    block = 1024  # steps taken at once: the powers M¹…M^block of each direction, applied to the block's first state
    powers = np.empty((block, len(lam), 2, 2))
    powers[0] = np.broadcast_to(np.eye(2), step.shape)
    for k in range(1, block):
        powers[k] = step @ powers[k - 1]
    done = 1  # steps taken: the state is the one after step ``done``
    while done <= max_steps:
        states = np.einsum("kdij,dj->kdi", powers, state)  # after steps done … done + block − 1
        measure = np.einsum("d,kd->k", weights, states[:, :, 0] ** 2)
        tail = np.einsum("d,kd->k", weights * gain**2, np.sum(states**2, axis=2))
        settled = np.flatnonzero(tail <= bound)
        seen = settled[0] + 1 if settled.size else block  # steps of the block up to the first settled state
        above = np.flatnonzero(measure[:seen] > bound)
        if above.size:
            last_above = done + int(above[-1])
        if settled.size:
            return last_above + 1
        state = step @ states[-1][:, :, None]
        state = state[:, :, 0]
        done += block
    return None


@dataclass(frozen=True, eq=False)
class LossSurface:
    """The loss on a grid over two parameters (the others held fixed), for a contour plot."""

    index_a: int
    index_b: int
    values_a: np.ndarray
    values_b: np.ndarray
    loss: np.ndarray  # shape (len(values_b), len(values_a))
    gradient_a: np.ndarray
    gradient_b: np.ndarray


def loss_surface(
    quadratic: QuadraticLoss, center: np.ndarray, index_a: int, index_b: int,
    range_a: tuple[float, float], range_b: tuple[float, float], resolution: int = 60,
) -> LossSurface:
    """Evaluate the loss and its gradient over ``range_a × range_b`` for parameters ``a``, ``b``."""
    values_a = np.linspace(*range_a, resolution)
    values_b = np.linspace(*range_b, resolution)
    grid = np.broadcast_to(np.asarray(center, dtype=np.float64), (resolution, resolution, len(center))).copy()
    grid[..., index_a] = values_a[None, :]
    grid[..., index_b] = values_b[:, None]
    gradient = quadratic.gradient(grid)
    return LossSurface(index_a, index_b, values_a, values_b, quadratic.loss(grid),
                       gradient[..., index_a], gradient[..., index_b])


def gradient_noise(
    data: Dataset, params: np.ndarray, batch_sizes: list[int], rng: np.random.Generator, samples: int = 200,
) -> tuple[np.ndarray, np.ndarray]:
    """How far minibatch gradients stray from the full gradient, per batch size.

    Returns ``(predicted, measured)`` root-mean-square distances ``√E‖g_B − g‖²``. The prediction
    is exact for batches drawn without replacement: ``E‖g_B − g‖² = tr(Σ)/B · (n − B)/(n − 1)``,
    ``Σ`` the covariance of the per-example gradients; the measurement samples ``samples`` batches.
    """
    n = data.n_rows
    residual = data.X @ params[:-1] + params[-1] - data.y
    per_example = np.hstack((data.X * residual[:, None], residual[:, None]))
    full = per_example.mean(axis=0)
    spread = float(np.mean(np.sum((per_example - full) ** 2, axis=1))) * n / (n - 1) if n > 1 else 0.0
    predicted, measured = [], []
    for batch_size in batch_sizes:
        predicted.append(np.sqrt(spread / batch_size * (n - batch_size) / max(n - 1, 1) * (n - 1) / n))
        if batch_size >= n:  # every row, drawn in any order, is the full batch: no spread, nothing to sample
            measured.append(0.0)
            continue
        squared = [
            np.sum((per_example[rng.choice(n, batch_size, replace=False)].mean(axis=0) - full) ** 2)
            for _ in range(samples)
        ]
        measured.append(np.sqrt(np.mean(squared)))
    return np.array(predicted), np.array(measured)

"""How large a learning rate minibatch SGD survives, and how far above the optimum it hovers.

Full-batch descent is stable below ``2/λ_max`` (:mod:`sgdcore.analysis`). A minibatch sees a
random Hessian ``H_B`` instead of ``H``, and its randomness adds a second source of growth: the
mean-square limit is lower, much lower for small batches.

The recursion
-------------
``A = [X 1]`` has rows ``aᵢ`` (bias column included), ``H = AᵀA/n``, ``D = diag(1, …, 1, 0)``
(weight decay acts on the weights, not the bias) and ``H_λ = H + λD``. A minibatch ``S`` of ``B``
rows has ``H_B = (1/B)Σ_{i∈S} aᵢaᵢᵀ + λD``; its gradient at the penalised optimum ``θ*``
(``H_λθ* = Aᵀy/n``) is ``ξ_S = (1/B)Σ_{i∈S} aᵢrᵢ + λDθ*``, ``rᵢ = aᵢᵀθ* − yᵢ``, whose mean
over batches is zero. Plain SGD moves the error ``e = θ − θ*`` by ``e ← (I − ηH_B)e − ηξ_S``.

``torch.optim.SGD``'s momentum (:mod:`sgdcore.optim`) adds its velocity ``v`` to the state.
With ``g = H_B e + ξ_S``: heavy ball ``v ← μv + (1−δ)g``, ``e ← e − ηv``; Nesterov ``v ← μv + g``,
``e ← e − η(g + μv)``. Both read ``z ← A_S z + u⊗ξ_S`` for ``z = (e, v)`` with::

    A_S = [[I − αH_B, −βI],      u = (−α, γ)
           [   γH_B,   μI]]

heavy ball ``α = η(1−δ), β = ημ, γ = 1−δ``; Nesterov ``α = η(1+μ), β = ημ², γ = 1``; plain SGD is
``μ = 0, α = η, γ = 1`` (torch ignores dampening without momentum). torch's first step sets
``v = g``: a transient that changes no limit.

The second moment
-----------------
For batches drawn independently (``B`` rows without replacement each time) the second moment
``M = E[zzᵀ]`` follows ``M ← T(M) + uuᵀ⊗C``, ``T(M) = E[A_S M A_Sᵀ]``, ``C = Cov(ξ_S)``, once
``E[z] = 0`` (the mean follows ``E[A_S] = Ā``, stable whenever ``T`` is, below). Sampling without
replacement gives, with ``c = (n − B)/(B(n − 1))`` (Bach & Moulines 2011 and Jain et al. 2018
use the same moments)::

    E[H_B N H_B] = H_λ N H_λ + c·R(N),   R(N) = F(N) − HNH,   F(N) = (1/n)Σᵢ (aᵢᵀNaᵢ) aᵢaᵢᵀ
    C = c·((1/n)Σᵢ rᵢ² aᵢaᵢᵀ − ḡḡᵀ),     ḡ = −λDθ*  (0 without weight decay)

so ``T(M) = ĀMĀᵀ + uuᵀ⊗cR(M_ee)``, ``M_ee`` the error block. At ``B = n``, ``c = 0``: the full batch.

Why the limit is one spectral radius of a (d+1)² operator
---------------------------------------------------------
``T`` maps positive semidefinite matrices to positive semidefinite ones (a mean of ``A_S M A_Sᵀ``),
and so does ``P(M) = ĀMĀᵀ``; ``R`` is a covariance, so positive too. For such cone-preserving maps
Perron–Frobenius holds (Krein–Rutman): the spectral radius is an eigenvalue with a positive
semidefinite eigenvector, so iterating on positive semidefinite ``M`` alone is enough; and the
regular-splitting theorem (Varga, *Matrix Iterative Analysis*, Thm 3.13; Costa, Fragoso & Marques
2005 for the mean-square stability of random linear systems) says ``ρ(P + Q) < 1`` iff ``ρ(P) < 1``
and ``ρ((I − P)⁻¹Q) < 1``. Here ``Q = uuᵀ⊗cR(·_ee)`` reads only the error block, so the second
condition is about a map on ``(d+1)×(d+1)`` matrices::

    K(N) = c·R(G(N)),   G(N) = [(I − P)⁻¹(uuᵀ⊗N)]_ee = Σ_t [Āᵗ(uuᵀ⊗N)Āᵗᵀ]_ee

In the eigenbasis of ``H_λ`` the mean dynamics decouple into one 2×2 matrix ``Ā_k`` per
eigenvalue ``λ_k``, and ``G`` multiplies entry ``(k, l)`` by ``g_kl = Σ_t h_k(t)h_l(t)``, ``h_k(t)``
the impulse response ``[Ā_kᵗu]_e`` (for plain SGD ``g_kl = η/(λ_k + λ_l − ηλ_kλ_l)``). So the run
is mean-square stable iff full-batch descent is (``ρ(Ā) < 1``, :func:`sgdcore.analysis.stability_limit`)
and ``ρ(K_η) < 1``. ``ρ(K_η)`` grows from 0 (``η → 0``) to infinity at the full-batch limit, unless
``c = 0``; the limit is where it crosses 1, found by Brent's method on ``log η``. Each product ``K(N)``
costs O(n(d+1)²): ``F`` needs only ``aᵢᵀNaᵢ``; no (d+1)⁴ matrix is formed (but for ten directions or
fewer, :data:`FOURTH_MOMENT_DIRECTIONS`, where summing it once is cheaper than a pass per product).
``ρ(K)`` comes from ARPACK (Arnoldi's refinement of power iteration: the same products, the Krylov
space kept).

For plain SGD this is the critical step size of Ma, Bassily & Belkin (2018), "The power of
interpolation", computed exactly rather than bounded; at ``B = n`` it is ``2/λ_max``, and for
momentum the full-batch formulas (Polyak 1964).

A cheap lower bound
-------------------
With ``β = max‖aᵢ‖²``: ``F(N) ⪯ ‖N‖βH`` for ``N ⪰ 0``, so ``K(H_λ) ⪯ cβ·max_k(g_kk λ_k)·H_λ`` and
(Collatz–Wielandt) ``ρ(K) ≤ cβ·max_k g_kk λ_k``. The rate where that reaches 1 is provably stable;
for plain SGD it is ``2/(λ_max + cβ)``, Ma et al.'s ``2B/(β + (B−1)λ_max)`` up to the
finite-population factor. It costs O(nd) and is what wide data gets (:data:`EXACT_COST_LIMIT`).

The noise floor
---------------
At a constant stable rate ``M`` settles at ``Σ∞ = T(Σ∞) + uuᵀ⊗C``. Writing ``N = cR(Σ_ee) + C``,
``Σ_ee = G(N)`` and ``(I − K)N = C``: one linear solve on ``(d+1)×(d+1)`` matrices (GMRES). The
training loss (without penalty) is exactly quadratic, so its expectation is
``L(θ*) + ½tr(HΣ_ee)``: SGD hovers ``½tr(HΣ_ee)`` above the loss at ``θ*``. With weight decay the
objective SGD minimises, ``L(θ) + λ/2·‖w‖²``, is as quadratic, with Hessian ``H_λ`` and its minimum at
``θ*``: it hovers ``½tr(H_λΣ_ee)`` above that minimum. (The training loss alone has a slope at ``θ*``,
so one run's loss may end below ``L(θ*)``; only its mean is ``½tr(HΣ_ee)`` above it.)

The run from its start
----------------------
:func:`expected_run` follows the same recursion from a starting point for a number of steps instead of to its fixed
point. Away from the optimum the mean is not zero: ``E[z] = m`` follows ``Ā``, and the batch's Hessian and its gradient
at ``θ*`` come from the same rows, which adds ``uuᵀ⊗c(X(m_e) + X(m_e)ᵀ)``, ``X(m) = Cov_i(aᵢaᵢᵀm, aᵢrᵢ)``, to the
noise. ``R(M_ee)`` grows with the distance, so a run that starts far is noisier on its way than at its floor: on the
diabetes data standardised, 20 epochs at batch size 10 and rate 0.21 end at a mean square distance of 0.19, twice the
0.095 of the mean's and the floor's spread together (the engine's, over 400 seeds: 0.17 with its shuffled epochs, 0.21
with rows drawn with replacement). The expected training loss is ``L(θ*) + ∇L(θ*)ᵀm_e + ½tr(HM_ee)``.

Under a schedule each step's map is that of its own rate: consecutive steps of one rate and one noise scale are
taken together (a step decay's long stretches powered by squaring), a rate that changes every step one step at a
time.

An epoch that ends on a shorter batch is not a mixture of its steps: its second moment swings over the
epoch, largest just after the noisy short step. For few directions the floor is that of the epoch's end, where
:func:`sgdcore.train` takes its losses: the fixed point of the epoch's affine map (the product of its steps'
maps, as for the limit, with the noise each adds). At 800 rows and batch size 799 the mean of the steps' noise
scales put the floor 4× too high at half the limit, and gave none above 0.54 of it.

The theory draws independent batches; :func:`sgdcore.train` shuffles once per epoch (without
replacement across the epoch, the last batch possibly shorter). Over an epoch its noise at ``θ*`` sums
to zero, which damps a little more: the engine survives slightly above the limit when an epoch has few
batches, and ends its epochs below the floor when an epoch is shorter than the iterate's memory
``1/(ηλ_min)``. The tests measure both against the engine itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps
from typing import Any, Literal, TypeVar

import numpy as np
from threadpoolctl import ThreadpoolController

from sgdcore.analysis import stability_limit
from sgdcore.data import Dataset
from sgdcore.errors import ConfigError, is_int, is_number, nesterov_error, setting_error
from sgdcore.schedules import Schedule

# Work (:func:`_exact_cost`, in units of n·(d+1)²) above which the exact limit (tens to hundreds of
# O(n(d+1)²) products) gives way to the O(nd) lower bound: at this size about a second on one core.
EXACT_COST_LIMIT = 1e7
# Blocks of neighbouring rows (shuffle="blocks") whose own exact limits are computed at most, the most curved first
# (_blocks_limit): each takes a few milliseconds at least, and a million rows make a thousand blocks.
EXACT_BLOCKS = 24
# Up to this many directions, F is summed once into an r²×r² matrix (the fourth moment of the rows,
# at most 10⁴ entries) and each product then costs O(r⁴) instead of O(nr²): on a million rows of two
# features, a hundred times faster. The matrix is never formed for more directions.
FOURTH_MOMENT_DIRECTIONS = 10
# Work (multiply-adds) above which expected_run gives no figure: its fourth moment, n(d+1)⁴, or its steps, each
# a product of the affine map on a state of (q(d+1))² entries; about half a second on one core.
EXPECTED_RUN_WORK = 1e9
# Up to this size of state (entries of M and m, and 1) a step is one product with the map's matrix: fewer NumPy calls
# than the step's own products (ĀMĀᵀ, R(M_ee)), which cost less only for a larger state.
DENSE_STEPS = 200
# Under a schedule, at most this many stretches of one rate and noise scale (each a map of its own, at tens of
# microseconds a map in Python), and at most this many steps to lay out, before expected_run gives no figure: a rate
# that changes every step, as a cosine's, is followed for a few thousand steps (a few tenths of a second).
EXPECTED_RUN_STRETCHES = 4_000
SCHEDULED_STEPS = 1 << 20
# Rows summed at a time into the fourth moment: a block of n × r² that stays small.
FOURTH_MOMENT_BLOCK = 1 << 14
# Directions of H_λ this much smaller than the largest hold no data (a duplicated or constant
# column): the error there never moves, whatever the rate, so they are left out.
NULL_TOLERANCE = 1e-12

Result = TypeVar("Result")


@cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def _on_one_blas_thread(function: Callable[..., Result]) -> Callable[..., Result]:
    """Run ``function`` with BLAS on one thread: its products are small (n × (d+1) by (d+1) × (d+1)), and
    on small products OpenBLAS's threads cost more in waiting for each other than they save (measured:
    40× slower on two busy cores)."""

    @wraps(function)
    def on_one_thread(*args: object, **kwargs: object) -> Result:
        with _blas().limit(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return on_one_thread


@dataclass(frozen=True)
class StabilityLimit:
    """The largest learning rate at which a run of these settings stays bounded in mean square.

    Attributes
    ----------
    learning_rate
        The limit. ``kind == "exact"``: runs above it grow, below it stay bounded.
        ``kind == "lower_bound"``: proven stable below it; the exact limit lies between it and
        ``full_batch`` (data too large for the exact computation).
    kind
        ``"exact"`` or ``"lower_bound"``.
    full_batch
        The full-batch limit with the same momentum and weight decay: never below ``learning_rate``,
        equal to it at ``batch_size == n_rows`` but for rows drawn with replacement (``full_batch_run``).
    batch_size, n_rows
        The batch size and number of training rows it is for.
    l1_ignored
        True when an L1 penalty was set. Its push ``η·l1·sign(w)`` is bounded, so it neither causes
        nor prevents divergence and the limit is that of the rest; but with it SGD does not settle
        (:mod:`sgdcore.diagnosis` looks for that).
    """

    learning_rate: float
    kind: Literal["exact", "lower_bound"]
    full_batch: float
    batch_size: int
    n_rows: int
    l1_ignored: bool = False

    @property
    def full_batch_run(self) -> bool:
        """Whether each step uses every row once: a batch of all the rows, not drawn with replacement (whose batch
        of ``n_rows`` draws repeats some rows and misses others, and is noisy)."""
        return self.batch_size >= self.n_rows and self.learning_rate >= self.full_batch

    def ratio(self, learning_rate: float) -> float:
        """``learning_rate`` as a multiple of the limit."""
        return learning_rate / self.learning_rate if self.learning_rate > 0 else math.inf

    def crossed(self, learning_rate: float) -> Literal["none", "minibatch", "full_batch"]:
        """Which limit ``learning_rate`` reaches: the full-batch one (both), the minibatch one, or none.

        At the limit itself the second moment no longer shrinks (``ρ(T) = 1``): reaching it counts."""
        if learning_rate >= self.full_batch:
            return "full_batch"
        return "minibatch" if learning_rate >= self.learning_rate else "none"


@dataclass(frozen=True)
class NoiseFloor:
    """Where SGD at a constant learning rate hovers: the stationary mean of the training loss.

    For batches drawn independently. :func:`sgdcore.train` shuffles once per epoch, and over a whole
    epoch its noise at ``θ*`` sums to zero: at the end of an epoch it agrees with this floor when an epoch
    is much longer than ``1/(ηλ_min)`` steps and sits below it (up to a few times) when it is shorter. Where an
    epoch ends on a shorter batch (few directions), the floor at the end of an epoch, where its losses are taken:
    just after the noisiest step, above the mean over the epoch's steps.

    Attributes
    ----------
    excess_loss
        ``½tr(HΣ∞)``: expected training loss above ``optimum_loss`` once the start is forgotten.
    optimum_loss
        The training loss ``½·mean(r²)`` at the optimum SGD heads for: the closed form's without weight
        decay, the penalised optimum's with it (above the closed form's).
    expected_loss
        ``optimum_loss + excess_loss``: the level the loss curve hovers at.
    mean_square_distance
        ``E‖θ − θ*‖²``: how far the parameters wander from that optimum.
    learning_rate, batch_size
        The settings it is for.
    excess_objective
        ``½tr(H_λΣ∞)``: expected value of the objective SGD minimises (the training loss plus
        ``weight_decay/2·‖w‖²``) above its minimum at ``θ*``; ``excess_loss`` without weight decay.
    """

    excess_loss: float
    optimum_loss: float
    expected_loss: float
    mean_square_distance: float
    learning_rate: float
    batch_size: int
    excess_objective: float


@dataclass(frozen=True, eq=False)
class _Moments:
    """The data in the eigenbasis of ``H_λ``, restricted to the directions that hold data."""

    eigenvalues: np.ndarray  # λ_k of H_λ kept, ascending
    basis: np.ndarray  # (d+1) × r eigenvectors
    rows: np.ndarray  # n × r: aᵢ in the eigenbasis
    hessian: np.ndarray  # r × r: the unpenalised H in the eigenbasis
    n_rows: int
    fourth_moment: np.ndarray | None  # r² × r²: (1/n)Σ vec(aᵢaᵢᵀ)vec(aᵢaᵢᵀ)ᵀ, for few directions only


def _moments(data: Dataset, weight_decay: float) -> _Moments:
    A = np.column_stack((np.asarray(data.X, dtype=np.float64), np.ones(data.n_rows)))
    n, p = A.shape
    hessian = A.T @ A / n
    decay = weight_decay * np.r_[np.ones(p - 1), 0.0]
    eigenvalues, basis = np.linalg.eigh(hessian + np.diag(decay))
    keep = eigenvalues > NULL_TOLERANCE * max(eigenvalues[-1], 0.0)
    basis = basis[:, keep]
    rows = A @ basis
    return _Moments(eigenvalues[keep], basis, rows, basis.T @ hessian @ basis, n,
                    _fourth_moment(rows) if rows.shape[1] <= FOURTH_MOMENT_DIRECTIONS else None)


@dataclass(frozen=True, eq=False)
class _AtOptimum:
    """The rows' gradients at the optimum SGD heads for, in the eigenbasis of ``H_λ``: what the noise is made of."""

    optimum: np.ndarray  # θ*
    loss: float  # L(θ*) = ½·mean(rᵢ²)
    per_row: np.ndarray  # n × r: aᵢrᵢ, rᵢ = aᵢᵀθ* − yᵢ
    gradient: np.ndarray  # their mean, ∇L(θ*): −λDθ*, or the L1 push at a given optimum; zero without a penalty
    covariance: np.ndarray  # C per unit of c: their covariance


def _at_optimum(moments: _Moments, y: np.ndarray, optimum: np.ndarray | None = None) -> _AtOptimum:
    """:class:`_AtOptimum` about ``optimum`` (parameters, weights then bias), or about the penalised optimum
    ``H_λθ* = Aᵀy/n`` (the least-norm one when ``H`` is singular)."""
    y, n = np.asarray(y, dtype=np.float64), moments.n_rows
    optimum = (moments.rows.T @ y / n) / moments.eigenvalues if optimum is None else moments.basis.T @ optimum
    residuals = moments.rows @ optimum - y
    per_row = moments.rows * residuals[:, None]
    gradient = per_row.mean(axis=0)
    return _AtOptimum(optimum, 0.5 * float(residuals @ residuals) / n, per_row, gradient,
                      per_row.T @ per_row / n - np.outer(gradient, gradient))


def _fourth_moment(rows: np.ndarray) -> np.ndarray:
    """``(1/n)Σᵢ vec(aᵢaᵢᵀ)vec(aᵢaᵢᵀ)ᵀ``, so that ``vec(F(N)) = W·vec(N)`` (``aᵢᵀNaᵢ = vec(aᵢaᵢᵀ)·vec(N)``)."""
    n, r = rows.shape
    total = np.zeros((r * r, r * r))
    for start in range(0, n, FOURTH_MOMENT_BLOCK):
        block = rows[start:start + FOURTH_MOMENT_BLOCK]
        outer = (block[:, :, None] * block[:, None, :]).reshape(len(block), r * r)
        total += outer.T @ outer
    return total / n


def _check(data: Dataset, batch_size: int, momentum: float, dampening: float, nesterov: bool,
           weight_decay: float, l1_penalty: float, learning_rate: float | None = None) -> None:
    """The settings as :class:`sgdcore.TrainConfig` allows them, and a batch that fits the data; the learning rate
    too, where one is given."""
    if learning_rate is not None and not (is_number(learning_rate) and math.isfinite(learning_rate)
                                          and learning_rate > 0):
        raise setting_error("learning_rate", learning_rate, "a finite number > 0", "above", bound=0)
    if not (is_int(batch_size) and 1 <= batch_size <= data.n_rows):
        raise setting_error("batch_size", batch_size, f"an integer from 1 to the {data.n_rows} training rows",
                            "batch_size_range", rows=data.n_rows)
    if not (is_number(momentum) and 0.0 <= momentum < 1.0):
        raise setting_error("momentum", momentum, "in [0, 1)", "in_interval", interval="[0, 1)")
    if not (is_number(dampening) and 0.0 <= dampening <= 1.0):
        raise setting_error("dampening", dampening, "in [0, 1]", "in_interval", interval="[0, 1]")
    if nesterov and not (momentum > 0 and dampening == 0):
        raise nesterov_error(momentum, dampening)
    for name, value in (("weight_decay", weight_decay), ("l1_penalty", l1_penalty)):
        if not (is_number(value) and math.isfinite(value) and value >= 0):
            raise setting_error(name, value, "a finite number ≥ 0", "at_least", bound=0)


def noise_scale(n_rows: int, batch_size: int, drop_last: bool = False, replacement: bool = False) -> float:
    """``c``, the variance of a batch mean relative to one row's, for the batches of an epoch.

    ``(n − B)/(B(n − 1))`` for ``B`` rows drawn without replacement; ``1/B`` for rows drawn with replacement
    (``shuffle="replacement"``), whose draws are independent: even a batch of all ``n`` rows is noisy then, and
    the limit of a small data's large batches lower than without replacement. Without ``drop_last`` an epoch of
    ``n`` rows that ``B`` does not divide ends on a shorter batch of ``n mod B`` rows, noisier: one step
    in ``s = ⌈n/B⌉``. Every term of ``T`` and of the noise is linear in ``c``, so a step whose batch size
    is that mixture has exactly the mean ``c`` of its steps. The engine's short batch comes once an epoch, at
    its end, which the mean overstates where it is tiny: the exact limit for few directions takes the epoch's
    product of the steps' maps instead (:func:`_epoch_log_radius`), and so does the noise floor
    (:func:`_epoch_stationary`); the bounds, and both for many directions, use the mean.
    """

    def one(rows: int) -> float:
        if replacement:
            return 1.0 / rows
        return (n_rows - rows) / (rows * (n_rows - 1)) if n_rows > 1 else 0.0

    steps, rest = divmod(n_rows, batch_size)
    if drop_last or rest == 0:
        return one(batch_size)
    return (steps * one(batch_size) + one(rest)) / (steps + 1)


def _mean_dynamics(eigenvalues: np.ndarray, learning_rate: float, momentum: float, dampening: float,
                   nesterov: bool) -> tuple[np.ndarray, np.ndarray]:
    """``Ā_k`` (one 2×2 matrix per eigenvalue, state ``(e, v)``) and the noise's input vector ``u``."""
    eta, mu = learning_rate, momentum
    if mu == 0.0:
        alpha, beta, gamma = eta, 0.0, 1.0
    elif nesterov:
        alpha, beta, gamma = eta * (1.0 + mu), eta * mu * mu, 1.0
    else:
        alpha, beta, gamma = eta * (1.0 - dampening), eta * mu, 1.0 - dampening
    lam = np.asarray(eigenvalues, dtype=np.float64)
    matrices = np.empty((len(lam), 2, 2))
    matrices[:, 0, 0], matrices[:, 0, 1] = 1.0 - alpha * lam, -beta
    matrices[:, 1, 0], matrices[:, 1, 1] = gamma * lam, mu
    return matrices, np.array([-alpha, gamma])


def _noise_gain(eigenvalues: np.ndarray, learning_rate: float, momentum: float, dampening: float,
                nesterov: bool, diagonal_only: bool = False) -> np.ndarray:
    """``g_kl = Σ_t h_k(t)h_l(t)``: the error block of ``X_kl = Ā_k X_kl Ā_lᵀ + uuᵀ`` (a 4×4 solve per pair).

    ``G(N) = g ⊙ N``. With ``diagonal_only``, the vector of ``g_kk``.
    """
    matrices, u = _mean_dynamics(eigenvalues, learning_rate, momentum, dampening, nesterov)
    left = matrices if diagonal_only else matrices[:, None]
    right = matrices if diagonal_only else matrices[None, :]
    # Row-major vec(Ā_k X Ā_lᵀ) = (Ā_k ⊗ Ā_l) vec(X).
    kron = np.einsum("...ab,...cd->...acbd", left, right).reshape(*np.broadcast_shapes(left.shape[:-2],
                                                                                      right.shape[:-2]), 4, 4)
    rhs = np.broadcast_to(np.outer(u, u).ravel(), kron.shape[:-1])
    return np.linalg.solve(np.eye(4) - kron, rhs[..., None])[..., 0, 0]


class _NoiseOperator:
    """``K(N) = c·R(g ⊙ N)`` on symmetric r×r matrices (flattened), and what it needs."""

    def __init__(self, moments: _Moments, gain: np.ndarray, c: float) -> None:
        self.moments, self.gain, self.c = moments, gain, c

    def residual_map(self, N: np.ndarray) -> np.ndarray:
        """``R(N) = F(N) − HNH``: the covariance of the minibatch Hessian's action, per unit of ``c``."""
        rows, hessian, fourth = self.moments.rows, self.moments.hessian, self.moments.fourth_moment
        if fourth is not None:
            return (fourth @ N.ravel()).reshape(N.shape) - hessian @ N @ hessian
        weights = np.einsum("ij,ij->i", rows @ N, rows)  # aᵢᵀNaᵢ, O(n r²)
        return rows.T @ (weights[:, None] * rows) / self.moments.n_rows - hessian @ N @ hessian

    def __call__(self, flat: np.ndarray) -> np.ndarray:
        r = len(self.gain)
        N = flat.reshape(r, r)
        N = 0.5 * (N + N.T)  # the second moment is symmetric: the antisymmetric part is no state
        return self.c * self.residual_map(self.gain * N).ravel()

    def spectral_radius(self, start: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        r = len(self.gain)
        if r * r <= 16:  # ARPACK needs a larger space: a few products give the whole matrix
            columns = np.column_stack([self(e) for e in np.eye(r * r)])
            values, vectors = np.linalg.eig(columns)
            top = int(np.argmax(np.abs(values)))
            return float(np.abs(values[top])), np.real(vectors[:, top])
        from scipy.sparse.linalg import LinearOperator, eigs  # imported when used, as brentq below

        operator = LinearOperator((r * r, r * r), matvec=self, dtype=np.float64)
        start = np.eye(r).ravel() if start is None else start
        values, vectors = eigs(operator, k=1, which="LM", v0=start, tol=1e-9, maxiter=5000)
        return float(np.abs(values[0])), np.real(vectors[:, 0])


@_on_one_blas_thread
def minibatch_stability_limit(
    data: Dataset, batch_size: int, *, momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False,
    weight_decay: float = 0.0, l1_penalty: float = 0.0, drop_last: bool = False, replacement: bool = False,
    block_size: int | None = None,
) -> StabilityLimit:
    """The mean-square stability limit of SGD on ``data`` (as it is trained: scaled or not) with these settings.

    Exact (``kind="exact"``) up to :data:`EXACT_COST_LIMIT` (a million rows of a few features, 10,000 rows
    of 30); above it the O(nd) lower bound
    (``kind="lower_bound"``) of the module docstring. At ``batch_size == n`` it is the full-batch
    limit of :func:`sgdcore.analysis.stability_limit` (without ``replacement``). ``drop_last`` as in
    :class:`sgdcore.TrainConfig`: without it, the short last batch of an epoch counts; ``replacement``: rows drawn
    with replacement (``shuffle="replacement"``) (:func:`noise_scale`); ``block_size``: batches drawn from blocks of
    that many neighbouring rows (``shuffle="blocks"``), see :func:`_blocks_limit`.

    Raises
    ------
    ConfigError
        If a setting is out of the range :class:`sgdcore.TrainConfig` allows, or the batch is larger than the data.
    """
    _check(data, batch_size, momentum, dampening, nesterov, weight_decay, l1_penalty)
    n, p = data.n_rows, data.n_features + 1
    if block_size is not None and batch_size < n and block_size < n:
        return _blocks_limit(data, batch_size, block_size, momentum=momentum, dampening=dampening,
                             nesterov=nesterov, weight_decay=weight_decay, l1_penalty=l1_penalty)
    settings = (momentum, dampening, nesterov)
    exact = _exact_cost(n, p) <= EXACT_COST_LIMIT
    if exact:
        moments = _moments(data, weight_decay)
        eigenvalues = moments.eigenvalues
    else:
        X = np.asarray(data.X, dtype=np.float64)
        eigenvalues = _penalised_eigenvalues(X, weight_decay)
    full_batch = stability_limit(float(eigenvalues[-1]) if len(eigenvalues) else 0.0, *settings)

    def result(limit: float, kind: Literal["exact", "lower_bound"]) -> StabilityLimit:
        return StabilityLimit(float(limit), kind, float(full_batch), batch_size, n, l1_penalty > 0)

    c = noise_scale(n, batch_size, drop_last, replacement)
    if c == 0.0 or not math.isfinite(full_batch):
        return result(full_batch, "exact")
    top = full_batch * (1.0 - 1e-9)  # just inside: the gain is finite and, unless c = 0, large
    largest_row = _largest_squared_row(data)
    lower = proven_stable_rate(eigenvalues, c * largest_row, top, settings)
    if not exact:
        return result(lower, "lower_bound")
    epoch = _short_epoch(moments, batch_size, drop_last, replacement)
    start: list[np.ndarray | None] = [None]

    def log_radius(log_rate: float) -> float:
        if epoch is not None:
            return _epoch_log_radius(*_second_moment_maps(moments, math.exp(log_rate), settings), epoch)
        gain = _noise_gain(eigenvalues, math.exp(log_rate), *settings)
        radius, start[0] = _NoiseOperator(moments, gain, c).spectral_radius(start[0])
        return math.log(max(radius, 1e-300))

    if log_radius(math.log(top)) <= 0.0:  # the noise never adds up to growth: the full batch's limit holds
        return result(full_batch, "exact")
    low = math.log(0.5 * lower)
    while log_radius(low) > 0.0:  # an epoch's product may grow below the mixture's bound: further down, it shrinks
        low -= 1.0
    # Imported here, as SciPy's other solvers in this module: scipy.optimize takes about 0.3 s to import, which
    # ``import sgdcore`` (a notebook's first cell, the Dask workers, the kernel's compile) need not pay.
    from scipy.optimize import brentq

    limit = math.exp(brentq(log_radius, low, math.log(top), xtol=1e-8, rtol=1e-8))
    return result(limit, "exact")


def _short_epoch(moments: _Moments, batch_size: int, drop_last: bool,
                 replacement: bool) -> list[tuple[float, int]] | None:
    """An epoch that ends on a shorter batch, as ``(c, count)`` for its full steps and then its short one
    (:func:`_epoch_steps`); for few directions only (the epoch's map is then a small matrix). None where every step
    has the same noise scale."""
    if moments.fourth_moment is None:
        return None
    epoch = _epoch_steps(moments.n_rows, batch_size, drop_last, replacement)
    return epoch if len(epoch) == 2 else None


def _second_moment_maps(moments: _Moments, learning_rate: float, settings: tuple) -> tuple[np.ndarray, np.ndarray]:
    """``P`` and ``Q`` with ``T = P + c·Q``, one step's second-moment map for batches of noise scale ``c``, as
    matrices on ``vec(M)``: ``M`` the state's second moment in ``r × r`` blocks of 2×2 (``(e, v)`` along each
    eigenvector). ``P(M) = ĀMĀᵀ`` block by block; ``Q(M) = uuᵀ⊗R(M_ee)``, ``R = W − H⊗H`` (the fourth moment)."""
    matrices, u = _mean_dynamics(moments.eigenvalues, learning_rate, *settings)
    r = len(matrices)
    blocks = np.einsum("kab,lcd->klacbd", matrices, matrices).reshape(r * r, 4, 4)  # vec(Ā_k X Ā_lᵀ) = (Ā_k ⊗ Ā_l)x
    P = np.zeros((r * r, 4, r * r, 4))
    P[np.arange(r * r), :, np.arange(r * r), :] = blocks
    R = moments.fourth_moment - np.kron(moments.hessian, moments.hessian)
    Q = np.zeros((r * r, 4, r * r, 4))
    Q[:, :, :, 0] = np.einsum("a,ij->iaj", np.outer(u, u).ravel(), R)  # reads M_ee, entry (0, 0) of each block
    return P.reshape(4 * r * r, -1), Q.reshape(4 * r * r, -1)


def _epoch_log_radius(P: np.ndarray, Q: np.ndarray, epoch: list[tuple[float, int]]) -> float:
    """``log ρ`` of one epoch's map: ``count`` steps of ``P + c·Q`` for each ``(c, count)`` in turn.

    The engine's epoch is its full batches and then the short one, every epoch: the mean of their noise scales
    (:func:`noise_scale`) is exact for steps that draw their batch size at random, and far too cautious where the
    short batch is tiny (800 rows at batch size 799: one full step and one of a single row, an epoch).
    Powers by squaring, each rescaled, so that a hundred steps' growth neither overflows nor vanishes.
    """
    product, log_scale = np.eye(len(P)), 0.0
    for c, count in epoch:
        power, log_power = _scaled_power(P + c * Q, count)
        product, log_scale = _rescaled(power @ product, log_scale + log_power)
    radius = float(np.max(np.abs(np.linalg.eigvals(product))))
    return math.log(max(radius, 1e-300)) + log_scale


def _epoch_stationary(P: np.ndarray, Q: np.ndarray, noise: np.ndarray,
                      epoch: list[tuple[float, int]]) -> np.ndarray | None:
    """The state's second moment at the end of an epoch, once the start is forgotten: the fixed point of the epoch's
    affine map, ``count`` steps of ``M ↦ (P + c·Q)(M) + c·noise`` for each ``(c, count)`` in turn. None where that
    map does not shrink (at or above the limit of :func:`_epoch_log_radius`).

    Each step as one matrix on ``(vec(M), 1)``, so that its powers (by squaring) carry the noise along."""
    size = len(P)
    product = np.eye(size + 1)
    with np.errstate(over="ignore", invalid="ignore"):  # an unstable epoch's powers may overflow: refused below
        for c, count in epoch:
            step = np.zeros((size + 1, size + 1))
            step[:size, :size], step[:size, size], step[size, size] = P + c * Q, c * noise, 1.0
            product = np.linalg.matrix_power(step, count) @ product
    if not np.all(np.isfinite(product)):
        return None
    epoch_map, added = product[:size, :size], product[:size, size]
    if np.max(np.abs(np.linalg.eigvals(epoch_map))) >= 1.0:
        return None
    return np.linalg.solve(np.eye(size) - epoch_map, added)


def _rescaled(matrix: np.ndarray, log_scale: float) -> tuple[np.ndarray, float]:
    """``matrix·exp(log_scale)`` as a matrix whose largest entry is 1, and its new ``log_scale``."""
    size = float(np.max(np.abs(matrix)))
    return (matrix / size, log_scale + math.log(size)) if size > 0.0 else (matrix, log_scale)


def _scaled_power(matrix: np.ndarray, count: int) -> tuple[np.ndarray, float]:
    """``matrix**count`` as ``(M, s)`` with ``matrix**count = M·exp(s)``, by squaring."""
    power, log_power = np.eye(len(matrix)), 0.0
    base, log_base = matrix, 0.0
    while count:
        if count & 1:
            power, log_power = _rescaled(base @ power, log_power + log_base)
        count >>= 1
        if count:
            base, log_base = _rescaled(base @ base, 2 * log_base)
    return power, log_power


def _blocks_limit(data: Dataset, batch_size: int, block_size: int, **settings: Any) -> StabilityLimit:
    """The limit of batches drawn from blocks of ``block_size`` neighbouring rows, a block at a time, its rows in a
    random order of their own (``shuffle="blocks"``): the lowest of the blocks' own limits, each block's rows taken
    as the data of an epoch of full batches (a batch that straddles two blocks, one an epoch at most per block, is
    left out). On rows in a random order every block is a sample of the data and its limit near the data's; on
    sorted rows a block is one slice, whose curvature can be far higher: 20,000 rows sorted by a feature diverged at
    batch size 10 at half the limit of batches drawn from all rows, for every seed, and stay bounded below this one.

    The blocks are taken in the order of their proven lower bounds (:func:`proven_stable_rate`), each exact limit
    computed until none of the blocks left can have a lower one (its bound is above the lowest found); past
    :data:`EXACT_BLOCKS` blocks or a tenth of :data:`EXACT_COST_LIMIT` of work in all (some tenths of a second),
    what is known: the lowest of the limits found and of the bounds left (``kind="lower_bound"``). On sorted rows
    the most curved blocks come first and the rest are soon ruled out; on rows in a random order the blocks are
    alike, and the bound is what is left."""
    n, p = data.n_rows, data.n_features + 1
    X, y = np.asarray(data.X, dtype=np.float64), np.asarray(data.y, dtype=np.float64)
    weight_decay, momentum_settings = settings["weight_decay"], (settings["momentum"], settings["dampening"],
                                                                 settings["nesterov"])
    eigenvalues = _penalised_eigenvalues(X, weight_decay)
    full_batch = stability_limit(float(eigenvalues[-1]) if len(eigenvalues) else 0.0, *momentum_settings)
    starts = np.arange(0, n, block_size)
    lengths = np.minimum(starts + block_size, n) - starts
    # Every block's Hessian and β at once (a million rows make a thousand blocks): the full blocks as one stack.
    A = np.column_stack((X, np.ones(n)))
    full = (n // block_size) * block_size
    stacked = A[:full].reshape(-1, block_size, p)
    hessians = np.matmul(stacked.transpose(0, 2, 1), stacked) / block_size
    if full < n:
        hessians = np.concatenate((hessians, (A[full:].T @ A[full:] / (n - full))[None]))
    hessians += weight_decay * np.diag(np.r_[np.ones(p - 1), 0.0])
    squared_rows = np.maximum.reduceat(np.einsum("ij,ij->i", A, A), starts)
    curvatures = np.linalg.eigvalsh(hessians)
    bounds = [rows_stable_rate(block_eigenvalues, int(rows), batch_size, float(squared_row), momentum_settings,
                               drop_last=True)
              for block_eigenvalues, rows, squared_row in zip(curvatures, lengths, squared_rows, strict=True)]
    lowest, kind, work = math.inf, "exact", 0.0
    for computed, index in enumerate(np.argsort(bounds)):
        if bounds[index] >= lowest:  # no block left can be lower
            break
        rows = slice(int(starts[index]), int(starts[index] + lengths[index]))
        block, size = Dataset(X[rows], y[rows], data.feature_names, data.target_name), min(batch_size,
                                                                                             int(lengths[index]))
        work += _exact_cost(block.n_rows, p)
        if work > EXACT_COST_LIMIT / 10 or computed == EXACT_BLOCKS:
            lowest, kind = min(lowest, bounds[index]), "lower_bound"
            break
        limit = minibatch_stability_limit(block, size, **{**settings, "drop_last": True})
        lowest = min(lowest, limit.learning_rate)
        kind = "lower_bound" if limit.kind == "lower_bound" else kind
    return StabilityLimit(float(min(lowest, full_batch)), kind, float(full_batch), batch_size, n,
                          settings["l1_penalty"] > 0)


def rows_stable_rate(eigenvalues: np.ndarray, n_rows: int, batch_size: int, squared_row: float, settings: tuple,
                     drop_last: bool = False) -> float:
    """The proven stable rate of batches of ``batch_size`` drawn from ``n_rows`` rows alone (a block, a partition),
    from their Hessian's ``eigenvalues`` (penalised; the null ones are left out here) and their largest squared row
    ``β``: :func:`proven_stable_rate`, in closed form for plain SGD (``2/(λ_max + c·β)``, the module docstring), and
    the rows' full-batch limit where one batch takes them all."""
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    eigenvalues = eigenvalues[eigenvalues > NULL_TOLERANCE * max(float(eigenvalues[-1]), 0.0)]
    top = stability_limit(float(eigenvalues[-1]) if len(eigenvalues) else 0.0, *settings)
    c = noise_scale(n_rows, min(batch_size, n_rows), drop_last)
    if c == 0.0 or not math.isfinite(top):
        return top
    if settings[0] == 0:  # no momentum: proven_stable_rate's root is known
        return min(2.0 / (float(eigenvalues[-1]) + c * squared_row), top * (1.0 - 1e-9))
    return proven_stable_rate(eigenvalues, c * squared_row, top * (1.0 - 1e-9), settings)


def _exact_cost(n: int, p: int) -> float:
    """The exact limit's work in units of ``n(d+1)²`` (one product): about a hundred products, or, for
    few directions, one sum of the fourth moment (``n(d+1)⁴``) and products that cost next to nothing."""
    return n * p**4 / 100 if p <= FOURTH_MOMENT_DIRECTIONS else n * p * p


def _penalised_eigenvalues(X: np.ndarray, weight_decay: float) -> np.ndarray:
    A = np.column_stack((X, np.ones(len(X))))
    hessian = A.T @ A / len(X) + weight_decay * np.diag(np.r_[np.ones(X.shape[1]), 0.0])
    eigenvalues = np.linalg.eigvalsh(hessian)
    return eigenvalues[eigenvalues > NULL_TOLERANCE * max(eigenvalues[-1], 0.0)]


def _largest_squared_row(data: Dataset) -> float:
    """``β = max‖aᵢ‖²`` over the rows with the bias column."""
    X = np.asarray(data.X, dtype=np.float64)
    return float(np.max(np.einsum("ij,ij->i", X, X))) + 1.0


def proven_stable_rate(eigenvalues: np.ndarray, noise_scale: float, top: float, settings: tuple) -> float:
    """The rate where ``c·β·max_k g_kk λ_k`` reaches 1: provably mean-square stable below it."""

    def log_bound(log_rate: float) -> float:
        gain = _noise_gain(eigenvalues, math.exp(log_rate), *settings, diagonal_only=True)
        return math.log(max(noise_scale * float(np.max(gain * eigenvalues)), 1e-300))

    if log_bound(math.log(top)) <= 0.0:
        return top
    low = math.log(top) - 1.0
    while log_bound(low) > 0.0:  # the bound grows like η for small η: this ends
        low -= 5.0
    from scipy.optimize import brentq  # imported when used, as in minibatch_stability_limit

    return math.exp(brentq(log_bound, low, math.log(top), xtol=1e-9, rtol=1e-9))


@_on_one_blas_thread
def noise_floor(
    data: Dataset, learning_rate: float, batch_size: int, *, momentum: float = 0.0, dampening: float = 0.0,
    nesterov: bool = False, weight_decay: float = 0.0, drop_last: bool = False, replacement: bool = False,
    block_size: int | None = None, optimum: np.ndarray | None = None,
) -> NoiseFloor | None:
    """The stationary expected training loss of SGD at a constant ``learning_rate`` (module docstring).

    ``optimum``: the parameters (weights, then bias) the run settles about, where that is not the loss's minimum
    with ``weight_decay``: an L1 penalty's optimum whose weights are all away from zero, where the push ``η·l1`` on
    each weight keeps its sign, a constant share of every step that the loss's gradient there balances, so that the
    noise is the minibatch gradients' spread at that point (their residuals are the penalty's, not the data's).

    ``None`` where it does not exist or is not computed: a rate at or above the mean-square limit (no
    stationary state), data too large for the exact operator (as for :func:`minibatch_stability_limit`), or batches
    drawn from blocks of ``block_size`` neighbouring rows (``shuffle="blocks"``), a slice of the data at a time,
    whose noise depends on the order of the rows. An L1
    penalty is not covered (its push does not vanish at the optimum): leave it out of the call only if
    it is 0.

    Raises
    ------
    ConfigError
        If a setting is out of range.
    """
    _check(data, batch_size, momentum, dampening, nesterov, weight_decay, 0.0, learning_rate)
    n, p = data.n_rows, data.n_features + 1
    if _exact_cost(n, p) > EXACT_COST_LIMIT or (block_size is not None and batch_size < n and block_size < n):
        return None
    settings = (momentum, dampening, nesterov)
    moments = _moments(data, weight_decay)
    eigenvalues = moments.eigenvalues
    matrices, _ = _mean_dynamics(eigenvalues, learning_rate, *settings)
    if np.max(np.abs(np.linalg.eigvals(matrices))) >= 1.0:
        return None
    at_optimum = _at_optimum(moments, data.y, optimum)
    optimum_loss, row_covariance = at_optimum.loss, at_optimum.covariance
    r = len(eigenvalues)
    epoch = _short_epoch(moments, batch_size, drop_last, replacement)
    if epoch is not None:  # the epoch's product, as for the limit: at the epoch's end, where its losses are taken
        P, Q = _second_moment_maps(moments, learning_rate, settings)
        _, u = _mean_dynamics(eigenvalues, learning_rate, *settings)
        moment = _epoch_stationary(P, Q, (row_covariance[:, :, None] * np.outer(u, u).ravel()).ravel(), epoch)
        if moment is None:
            return None
        return _floor(moments, moment.reshape(r, r, 4)[:, :, 0], optimum_loss, learning_rate, batch_size)
    operator = _NoiseOperator(moments, _noise_gain(eigenvalues, learning_rate, *settings),
                              noise_scale(n, batch_size, drop_last, replacement))
    if operator.c == 0.0:
        return NoiseFloor(0.0, optimum_loss, optimum_loss, 0.0, float(learning_rate), batch_size, 0.0)
    covariance = operator.c * row_covariance
    radius, _ = operator.spectral_radius()
    if radius >= 1.0:
        return None
    from scipy.sparse.linalg import LinearOperator, gmres  # imported when used, as brentq above

    system = LinearOperator((r * r, r * r), matvec=lambda flat: flat - operator(flat), dtype=np.float64)
    scale = float(np.abs(covariance).max()) or 1.0
    solution, info = gmres(system, covariance.ravel() / scale, rtol=1e-12, atol=0.0, restart=min(r * r, 60),
                           maxiter=1000)
    if info != 0:  # near the limit GMRES may stall: the fixed point N = C + K(N) converges, slowly but surely
        solution = _fixed_point(operator, covariance.ravel() / scale, solution)
    stationary = operator.gain * (solution.reshape(r, r) * scale)  # Σ_ee = G(N), in the eigenbasis
    return _floor(moments, stationary, optimum_loss, learning_rate, batch_size)


@dataclass(frozen=True, eq=False)
class ExpectedRun:
    """Where SGD is expected after ``steps`` steps from a starting point, at its learning rate or the rates its
    schedule gives: the means, over the batches' draws, of its training loss and of its squared distance to the
    optimum it heads for (the module docstring's recursion from the start, where the noise floor is its fixed point
    at a constant rate).

    Attributes
    ----------
    loss
        ``E[L(θ_t)]``, the training loss without penalty: ``L(θ*) + ∇L(θ*)ᵀE[e] + ½tr(H·E[eeᵀ])``.
    mean_square_distance
        ``E‖θ_t − θ*‖²``, to the optimum of the loss with ``weight_decay`` (``θ*``), the least-norm one.
    optimum_loss
        ``L(θ*)``.
    optimum
        ``θ*`` (weights, then bias): what ``mean_square_distance`` is measured from.
    steps
        The steps it is after.
    """

    loss: float
    mean_square_distance: float
    optimum_loss: float
    optimum: np.ndarray
    steps: int


@_on_one_blas_thread
def expected_run(
    data: Dataset, start: np.ndarray, steps: int, learning_rate: float, batch_size: int, *, momentum: float = 0.0,
    dampening: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0, drop_last: bool = False,
    replacement: bool = False, block_size: int | None = None, schedule: Schedule | None = None,
) -> ExpectedRun | None:
    """The expected training loss and squared distance of SGD ``steps`` steps from ``start`` (weights, then bias):
    :class:`ExpectedRun`. Unlike the mean, which follows full-batch descent, this counts the noise as it is along the
    way: far from the optimum the minibatch gradients' spread is much larger than at it, so a run that starts far
    is noisier than the noise floor says, and the more so the larger its rate.

    Exact for batches drawn independently (``replacement``, or ``B`` rows without replacement each step), with each
    epoch's shorter last batch where the engine takes it. The engine's default epochs shuffle once, and over an epoch
    their noise at ``θ*`` sums to zero: they end a little nearer than this says (the module docstring).

    The mean ``m = E[z]`` follows ``Ā``; the second moment ``M = E[zzᵀ]`` follows
    ``M ← ĀMĀᵀ + uuᵀ⊗c(R(M_ee) + X(m_e) + X(m_e)ᵀ + C)``, where ``X(m) = Cov_i(aᵢaᵢᵀm, aᵢrᵢ)``: the batch's
    Hessian and its gradient at ``θ*`` come from the same rows. Both together are one affine map on
    ``(vec M, m)``, powered by squaring where it is small and stepped through otherwise. torch's first step, which
    sets the velocity to the gradient undamped, is the first map's.

    ``schedule``: the rate at step ``t`` is ``learning_rate · schedule(t)``, as :func:`sgdcore.train` takes it, each
    step the map of its own rate (a cosine over the whole run spans these ``steps``, unless its period is set).

    ``None`` where it is not computed: the fourth moment or the work too large (:data:`EXPECTED_RUN_WORK`; under a
    schedule, :data:`EXPECTED_RUN_STRETCHES` and :data:`SCHEDULED_STEPS` too), or batches drawn from blocks of
    neighbouring rows (as for :func:`noise_floor`). An L1 penalty is not covered.
    Above the mean-square limit the expectations grow without bound: ``inf`` once past floating point.

    Raises
    ------
    ConfigError
        If a setting is out of range.
    """
    _check(data, batch_size, momentum, dampening, nesterov, weight_decay, 0.0, learning_rate)
    if not (is_int(steps) and steps >= 0):
        raise setting_error("steps", steps, "an integer ≥ 0", "integer_at_least", bound=0)
    steps, n, p = int(steps), data.n_rows, data.n_features + 1
    try:
        point = np.asarray(start, dtype=np.float64)
    except (TypeError, ValueError):
        point = None
    if point is None or point.shape != (p,) or not np.all(np.isfinite(point)):
        raise setting_error("start", start, f"{p} finite numbers: the weights, then the bias", "start_params", count=p)
    start = point
    if schedule is not None and not isinstance(schedule, Schedule):
        kind = type(schedule).__name__
        raise ConfigError(f"schedule must be a sgdcore.Schedule or None; got {kind}.", "not_a_schedule",
                          parameter="schedule", type=kind)
    if n * p**4 > EXPECTED_RUN_WORK or (block_size is not None and batch_size < n and block_size < n):
        return None
    schedule = None if schedule is None or steps == 0 else schedule.over(steps)
    if schedule is not None and not schedule.constant_rate and steps > SCHEDULED_STEPS:
        return None
    moments = _moments(data, weight_decay)
    rows, lam, r = moments.rows, moments.eigenvalues, len(moments.eigenvalues)
    q = 2 if momentum > 0 else 1  # (error, velocity) along each direction, or the error alone
    size = (q * r) ** 2 + q * r + 1
    epoch = _epoch_steps(n, batch_size, drop_last, replacement)
    per_epoch = sum(count for _, count in epoch)
    epochs = steps // per_epoch
    powered = 2 * sum(count.bit_length() for _, count in epoch) + 2 * max(epochs, 1).bit_length() + 2
    stepped = 2 * (q * r) ** 3 + r**4  # a step: ĀMĀᵀ, and R(M_ee) from the fourth moment
    by_matrices = _power_by_squaring(powered * size**3, steps * stepped)
    stretches = None
    if schedule is not None and not schedule.constant_rate:
        stretches = _stretches(epoch, steps, learning_rate * schedule(np.arange(steps)), EXPECTED_RUN_STRETCHES)
        if stretches is None or sum(min(2 * count.bit_length() * size**3, count * stepped)
                                    for _, _, count in stretches) > EXPECTED_RUN_WORK:
            return None
    elif min(powered * size**3, steps * stepped) > EXPECTED_RUN_WORK:
        return None
    at_optimum = _at_optimum(moments, data.y)
    optimum, per_row, gradient = at_optimum.optimum, at_optimum.per_row, at_optimum.gradient
    fourth = moments.fourth_moment if moments.fourth_moment is not None else _fourth_moment(rows)
    squares = (rows[:, :, None] * rows[:, None, :]).reshape(n, r * r)
    third = (per_row.T @ squares / n).reshape(r, r, r)  # (1/n)Σ rᵢ aᵢⱼ aᵢₖ aᵢₗ
    # X(m)ₖₗ = Σⱼ mⱼ third[j, k, l] − (Hm)ₖ ∇L(θ*)ₗ, and the noise's input: X + Xᵀ as a map from m_e to vec.
    cross = third.transpose(1, 2, 0) - np.einsum("kj,l->klj", moments.hessian, gradient)
    cross = (cross + cross.transpose(1, 0, 2)).reshape(r * r, r)
    spread = fourth - np.kron(moments.hessian, moments.hessian)  # R = F − H⊗H on vec(M_ee)
    error = moments.basis.T @ start - optimum
    state = np.zeros(q * r)
    state[:r] = error
    vector = np.r_[np.outer(state, state).ravel(), state, 1.0]
    noise = at_optimum.covariance
    with np.errstate(over="ignore", invalid="ignore"):
        if stretches is not None:
            def run_map_at(rate: float, settings: tuple) -> _RunMap:
                return _RunMap(lam, rate, settings, q, spread, cross, noise)

            vector = _through_stretches(run_map_at, (momentum, dampening, nesterov), stretches, vector,
                                        size**3, stepped)
        else:
            # The run's steps as (c, count) from its start: the first epoch, the whole epochs after it, what is left.
            first, rest = epoch, steps - per_epoch
            if steps < per_epoch:
                first, rest = _first_steps(epoch, steps), 0
            run_map = _RunMap(lam, learning_rate, (momentum, dampening, nesterov), q, spread, cross, noise)
            if steps:  # torch's first step: v = g, undamped
                first_map = _RunMap(lam, learning_rate, (momentum, 0.0, nesterov), q, spread, cross, noise)
                vector = first_map.step(vector, epoch[0][0])
                first = [(first[0][0], first[0][1] - 1), *first[1:]]
            vector = _through(run_map, first, vector, by_matrices)
            if rest // per_epoch:
                if by_matrices:
                    epoch_map = _through(run_map, epoch, np.eye(size), True)
                    vector = np.linalg.matrix_power(epoch_map, rest // per_epoch) @ vector
                else:
                    for _ in range(rest // per_epoch):
                        vector = _through(run_map, epoch, vector, False)
            vector = _through(run_map, _first_steps(epoch, rest % per_epoch), vector, by_matrices)
    second = vector[:(q * r) ** 2].reshape(q * r, q * r)[:r, :r]
    mean_error = vector[(q * r) ** 2:(q * r) ** 2 + r]
    outside = start - moments.basis @ (moments.basis.T @ start)  # along directions that hold no data: never moves
    loss = at_optimum.loss + float(gradient @ mean_error) + 0.5 * float(np.sum(moments.hessian * second))
    distance = float(np.trace(second)) + float(outside @ outside)
    finite = math.isfinite(loss) and math.isfinite(distance)
    return ExpectedRun(loss if finite else math.inf, distance if finite else math.inf, at_optimum.loss,
                       moments.basis @ optimum, steps)


def _epoch_steps(n_rows: int, batch_size: int, drop_last: bool, replacement: bool) -> list[tuple[float, int]]:
    """The steps of one of the engine's epochs as ``(c, count)``: its full batches, then the shorter one it ends on
    unless ``drop_last``."""
    steps, rest = divmod(n_rows, batch_size)
    full = noise_scale(n_rows, batch_size, True, replacement)
    return [(full, steps), (noise_scale(n_rows, rest, True, replacement), 1)] if rest and not drop_last \
        else [(full, steps)]


def _stretches(epoch: list[tuple[float, int]], steps: int, rates: np.ndarray,
               most: int) -> list[tuple[float, float, int]] | None:
    """A run's ``steps`` steps at their ``rates``, its epochs laid out as ``epoch`` gives them ``(c, count)``, as
    stretches of consecutive steps of one rate and one noise scale: ``(rate, c, count)``; None if more than ``most``."""
    scales = np.resize(np.repeat([c for c, _ in epoch], [count for _, count in epoch]), steps)
    change = np.flatnonzero((np.diff(rates) != 0) | (np.diff(scales) != 0)) + 1
    if len(change) >= most:
        return None
    starts, ends = np.r_[0, change], np.r_[change, steps]
    return [(float(rates[start]), float(scales[start]), int(end - start)) for start, end in zip(starts, ends,
                                                                                              strict=True)]


def _through_stretches(run_map_at: Callable[[float, tuple], _RunMap], settings: tuple,
                       stretches: list[tuple[float, float, int]], vector: np.ndarray, product: float,
                       stepped: float) -> np.ndarray:
    """``vector`` after a scheduled run's ``stretches`` (:func:`_stretches`), each with the map of its rate
    (``run_map_at(rate, settings)``, one per rate): powered by squaring where that is less work (a matrix ``product``
    a squaring) than stepping through (``stepped`` a step). torch's first step, ``v = g`` undamped, is its own."""
    maps: dict[float, _RunMap] = {}
    for index, (rate, c, count) in enumerate(stretches):
        if index == 0:
            momentum, _, nesterov = settings
            vector = run_map_at(rate, (momentum, 0.0, nesterov)).step(vector, c)
            count -= 1
        if rate not in maps:
            maps[rate] = run_map_at(rate, settings)
        vector = _through(maps[rate], [(c, count)], vector,
                          _power_by_squaring(2 * count.bit_length() * product, count * stepped))
    return vector


def _first_steps(epoch: list[tuple[float, int]], steps: int) -> list[tuple[float, int]]:
    """The first ``steps`` steps of an ``epoch`` given as ``(c, count)``."""
    taken = []
    for c, count in epoch:
        taken.append((c, min(count, steps)))
        steps -= taken[-1][1]
    return taken


def _power_by_squaring(powered: float, stepped: float) -> bool:
    """Whether :func:`expected_run` powers its maps by squaring (``powered`` work) rather than stepping through them
    (``stepped``): where that is less work."""
    return powered < stepped


class _RunMap:
    """One step of :func:`expected_run` for batches of noise scale ``c``, on ``(vec M, m, 1)``: ``M`` the state's
    second moment in ``q × q`` blocks of ``r × r`` (error, then velocity), ``m`` its mean. Stepped through, or as a
    matrix to power: the same map (a test holds them equal)."""

    def __init__(self, eigenvalues: np.ndarray, learning_rate: float, settings: tuple, q: int, spread: np.ndarray,
                 cross: np.ndarray, noise: np.ndarray) -> None:
        matrices, u = _mean_dynamics(eigenvalues, learning_rate, *settings)
        r = len(eigenvalues)
        mean = np.zeros((q, r, q, r))
        for a in range(q):
            for b in range(q):
                mean[a, :, b, :] = np.diag(matrices[:, a, b])
        self.mean, self.inputs = mean.reshape(q * r, q * r), np.outer(u[:q], u[:q])
        self.spread, self.cross, self.noise, self.r = spread, cross, noise.ravel(), r

    def step(self, vector: np.ndarray, c: float) -> np.ndarray:
        """``M ← ĀMĀᵀ + uuᵀ⊗c(R(M_ee) + X(m_e) + X(m_e)ᵀ + C)``, ``m ← Ām``."""
        r, width = self.r, len(self.mean)
        M, m, one = vector[:width * width].reshape(width, width), vector[width * width:-1], vector[-1]
        N = (self.spread @ M[:r, :r].ravel() + self.cross @ m[:r] + one * self.noise).reshape(r, r)
        blocks = (c * self.inputs[:, None, :, None] * N[None, :, None, :]).reshape(width, width)  # uuᵀ⊗cN
        return np.concatenate(((self.mean @ M @ self.mean.T + blocks).ravel(), self.mean @ m, vector[-1:]))

    def matrix(self, c: float) -> np.ndarray:
        """The same step as one matrix on ``(vec M, m, 1)``."""
        r, width = self.r, len(self.mean)
        # vec(uuᵀ⊗N) from vec(N): block (a, b) is u_a u_b N.
        embed = np.einsum("ab,kK,lL->aKbLkl", self.inputs, np.eye(r), np.eye(r)).reshape(-1, r * r)
        ee = (np.arange(r)[:, None] * width + np.arange(r)[None, :]).ravel()  # vec(M_ee)'s entries in vec(M)
        whole = width * width
        step = np.zeros((whole + width + 1, whole + width + 1))
        step[:whole, :whole] = np.kron(self.mean, self.mean)
        step[:whole, ee] += c * embed @ self.spread
        step[:whole, whole:whole + r] = c * embed @ self.cross
        step[:whole, -1] = c * embed @ self.noise
        step[whole:-1, whole:-1] = self.mean
        step[-1, -1] = 1.0
        return step


def _through(run_map: _RunMap, segments: list[tuple[float, int]], vector: np.ndarray,
             by_matrices: bool) -> np.ndarray:
    """``vector`` (or, by matrices, a matrix of them) after ``count`` steps of ``run_map`` at ``c`` for each
    ``(c, count)`` in turn: the map's power by squaring, or step by step where that is less work."""
    for c, count in segments:
        if by_matrices:
            vector = np.linalg.matrix_power(run_map.matrix(c), count) @ vector
        elif len(vector) <= DENSE_STEPS and count > 1:
            step = run_map.matrix(c)
            for _ in range(count):
                vector = step @ vector
        else:
            for _ in range(count):
                vector = run_map.step(vector, c)
    return vector


def _floor(moments: _Moments, stationary: np.ndarray, optimum_loss: float, learning_rate: float,
           batch_size: int) -> NoiseFloor:
    """The floor of the error's stationary second moment ``Σ_ee`` (``stationary``, in the eigenbasis of ``H_λ``)."""
    excess = 0.5 * float(np.sum(moments.hessian * stationary))
    excess_objective = 0.5 * float(moments.eigenvalues @ np.diag(stationary))  # H_λ is diagonal in its eigenbasis
    return NoiseFloor(excess, optimum_loss, optimum_loss + excess, float(np.trace(stationary)),
                      float(learning_rate), batch_size, excess_objective)


def _fixed_point(operator: _NoiseOperator, rhs: np.ndarray, start: np.ndarray) -> np.ndarray:
    solution = start
    for _ in range(100_000):
        update = rhs + operator(solution)
        if np.max(np.abs(update - solution)) <= 1e-13 * max(np.max(np.abs(update)), 1e-300):
            return update
        solution = update
    return solution

"""SGD with momentum, dampening, Nesterov and weight decay, exactly as ``torch.optim.SGD``.

Parameters are one vector ``θ = [w₁ … w_d, b]``; penalties apply to the weights, not the bias
(as scikit-learn's ``alpha`` and D2L's weight-decay chapter do; in PyTorch, put the bias in a
parameter group with ``weight_decay=0``). One step, for gradient ``g`` and step number ``t``::

    g ← g + weight_decay·w + l1_penalty·sign(w)        (weights only)
    if momentum ≠ 0:
        v ← g                              at t = 0
        v ← momentum·v + (1 − dampening)·g  after
        g ← g + momentum·v   if nesterov   else   g ← v
    θ ← θ − learning_rate·g
"""

from __future__ import annotations

import numpy as np


def penalty_gradient(params: np.ndarray, weight_decay: float, l1_penalty: float) -> np.ndarray:
    """Gradient of ``weight_decay/2·‖w‖² + l1_penalty·‖w‖₁`` with respect to ``θ`` (0 for the bias)."""
    weights = params[:-1]
    penalty = np.zeros_like(params)
    penalty[:-1] = weight_decay * weights + l1_penalty * np.sign(weights)
    return penalty


def sgd_step(
    params: np.ndarray,
    grad: np.ndarray,
    velocity: np.ndarray,
    *,
    step: int,
    learning_rate: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
    l1_penalty: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """One update; returns the new ``(params, velocity)`` and leaves the inputs untouched."""
    grad = grad + penalty_gradient(params, weight_decay, l1_penalty)
    if momentum != 0.0:
        velocity = grad.copy() if step == 0 else momentum * velocity + (1.0 - dampening) * grad
        grad = grad + momentum * velocity if nesterov else velocity
    return params - learning_rate * grad, velocity

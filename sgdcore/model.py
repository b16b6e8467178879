"""Linear regression as in the lesson: ``ŷ = Xw + b`` and the squared loss with D2L's factor ½."""

from __future__ import annotations

import numpy as np


def predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """The model's prediction ``Xw + b``."""
    return X @ w + b


def squared_loss(y_hat: np.ndarray, y: np.ndarray) -> float:
    """``½·mean((ŷ − y)²)``: D2L's loss, whose gradient has no stray factor 2."""
    return 0.5 * float(np.mean((y_hat - y) ** 2))


def gradient(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> tuple[np.ndarray, float]:
    """Exact gradient of :func:`squared_loss` at ``(w, b)``: ``(Xᵀr/n, mean(r))`` with ``r = Xw + b − y``."""
    residual = predict(X, w, b) - y
    return X.T @ residual / len(y), float(residual.mean())


def init_params(
    n_features: int, rng: np.random.Generator, how: str = "normal", scale: float = 0.01
) -> tuple[np.ndarray, float]:
    """Starting point: D2L's ``w ~ N(0, scale²)``, ``b = 0`` (``how="normal"``), or all zeros."""
    if how == "zeros":
        return np.zeros(n_features), 0.0
    if how == "normal":
        return rng.normal(0.0, scale, size=n_features), 0.0
    raise ValueError(f"init must be 'normal' or 'zeros'; got {how!r}.")

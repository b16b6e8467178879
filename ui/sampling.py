"""How minibatches are drawn, and what that does to the noise of their gradients (a D2L exercise).

With ``gᵢ`` the gradient of row ``i``'s loss, ``g`` their mean and ``s² = (1/n)Σ‖gᵢ − g‖²``, a minibatch of ``B``
rows has ``E‖g_B − g‖² =``

* ``s²/B`` when its rows are drawn independently, with replacement;
* ``s²/B · (n − B)/(n − 1)`` when they are ``B`` different rows, as a slice of a permutation is (without
  replacement): less, down to 0 at the full batch, since no row is counted twice;
* for blocks, the same as without replacement when the file's rows are in random order already; more when it
  is sorted, since a batch then sees only neighbouring rows.

The measured spreads come from the orders :func:`sgdcore.train` itself visits the rows in
(:func:`sgdcore.train.epoch_order`), cut into minibatches as training cuts them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import sgdcore
from sgdcore.train import epoch_order
from ui.i18n import t
from ui.settings import SAMPLINGS, CatalogueLabels

# Each way of drawing minibatches → its name in the page's language, looked up when read
SAMPLING_LABELS = CatalogueLabels("conditioning.sampling", SAMPLINGS)


def per_example_gradients(data: sgdcore.Dataset, params: np.ndarray) -> np.ndarray:
    """The gradient of each row's loss ``½(aᵢᵀθ − yᵢ)²`` at ``θ``: ``(aᵢᵀθ − yᵢ)·aᵢ``, ``aᵢ = [xᵢ 1]``."""
    residual = data.X @ params[:-1] + params[-1] - data.y
    return np.hstack((data.X * residual[:, None], residual[:, None]))


def predicted_spread(per_example: np.ndarray, batch_size: int, sampling: str) -> float:
    """``√E‖g_B − g‖²`` for batches of ``batch_size`` rows drawn as ``sampling`` says (blocks: as without
    replacement, exact when the rows are in random order)."""
    n = len(per_example)
    spread = float(np.mean(np.sum((per_example - per_example.mean(axis=0)) ** 2, axis=1)))
    if sampling == "replacement":
        return float(np.sqrt(spread / batch_size))
    return float(np.sqrt(spread / batch_size * (n - batch_size) / max(n - 1, 1)))


def measured_spread(per_example: np.ndarray, batch_size: int, sampling: str, rng: np.random.Generator,
                    samples: int = 100, block_size: int = 1024) -> float:
    """``√mean‖g_B − g‖²`` over ``samples`` minibatches cut from the epochs ``sgdcore.train`` would visit (each
    epoch's full batches only: the short last one is another size)."""
    n = len(per_example)
    full = per_example.mean(axis=0)
    per_epoch = n // batch_size
    squares: list[float] = []
    while len(squares) < samples:
        order = epoch_order(n, rng, sampling, block_size=block_size)
        for k in range(min(per_epoch, samples - len(squares))):
            batch = per_example[order[k * batch_size:(k + 1) * batch_size]].mean(axis=0)
            squares.append(float(np.sum((batch - full) ** 2)))
    return float(np.sqrt(np.mean(squares)))


def noise_by_sampling(data: sgdcore.Dataset, params: np.ndarray, batch_sizes: list[int], seed: int,
                      samples: int = 100, block_size: int = 1024) -> pd.DataFrame:
    """Long table (``batch size``, ``spread``, ``sampling``, ``how``) of predicted and measured spreads."""
    per_example = per_example_gradients(data, params)
    rng = np.random.default_rng(seed)
    rows = []
    for sampling in SAMPLINGS:
        for batch_size in batch_sizes:
            rows.append({"batch size": batch_size, "spread": predicted_spread(per_example, batch_size, sampling),
                         "sampling": sampling, "how": "predicted"})
            rows.append({"batch size": batch_size, "sampling": sampling, "how": "measured",
                         "spread": measured_spread(per_example, batch_size, sampling, rng, samples, block_size)})
    return pd.DataFrame(rows)


def noise_by_sampling_table(problem: sgdcore.Problem, problem_key: str, seed: int, block_size: int) -> pd.DataFrame:
    """:func:`noise_by_sampling` at the problem's optimum, where the full gradient is zero and this noise is all
    SGD sees, for a range of batch sizes below the full batch; computed once per problem (``problem_key``), seed
    and block size, with a spinner in the page's language meanwhile."""
    with st.spinner(t("conditioning.measuring_noise")):  # shown only if it takes a while: not on a cached call
        return _noise_by_sampling_table(problem, problem_key, seed, block_size)


@st.cache_data(max_entries=16, show_spinner=False)
def _noise_by_sampling_table(_problem: sgdcore.Problem, problem_key: str, seed: int, block_size: int) -> pd.DataFrame:
    data = _problem.train
    sizes = sorted({int(size) for size in np.geomspace(1, max(data.n_rows // 2, 1), num=8).round()})
    samples = 100 if data.n_rows <= 20_000 else 20
    return noise_by_sampling(data, _problem.optimum.params, sizes, seed, samples, block_size)

"""The exact least-squares answer on data in files: from the statistics on the client, or by one pass of a
tall-skinny QR when the data is ill-conditioned."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import scipy.linalg
from distributed import Client

from sgdcore.distributed.cluster import connect, result
from sgdcore.distributed.files import Piece
from sgdcore.distributed.loading import DistributedData
from sgdcore.distributed.plan import Plan, _partition
from sgdcore.errors import setting_error
from sgdcore.reference import ClosedForm

# closed_form(method="auto") takes the QR path above this condition number of the correlation matrix: the
# normal equations lose about log10(κ) digits, QR half as many.
CONDITION_LIMIT = 1e5


def closed_form(data: DistributedData, method: str = "auto", *, client: Client | None = None) -> ClosedForm:
    """The least-squares optimum ``(w*, b*)`` with a bias, as scikit-learn's ``LinearRegression`` finds it.

    Parameters
    ----------
    data : DistributedData
    method : {"auto", "moments", "qr"}
        ``"moments"``: solve the centred normal equations from :attr:`DistributedData.moments`, on the client,
        no pass over the data; equal to ``LinearRegression`` to about ``κ·10⁻¹⁶`` relative, ``κ`` the condition
        number of the features' correlation matrix. ``"qr"``: one pass of dask.array's tall-skinny QR
        (:func:`dask.array.linalg.tsqr`) of the centred ``[X y]``, which loses half as many digits.
        ``"auto"``: QR when ``κ`` exceeds ``CONDITION_LIMIT`` (1e5), else the moments.
    client : distributed.Client, optional
        For the QR pass; by default :func:`connect`'s.

    Returns
    -------
    sgdcore.ClosedForm
        With ``.weights`` and ``.bias``, as :func:`sgdcore.closed_form` returns it.
    """
    if method not in ("auto", "moments", "qr"):
        raise setting_error("method", method, "one of 'auto', 'moments', 'qr'", "one_of",
                            allowed=("auto", "moments", "qr"))
    if method == "moments" or (method == "auto" and data.moments.correlation_condition() <= CONDITION_LIMIT):
        return data.moments.solve()
    return _qr_solve(data, connect(client))


def _centred_partition(piece: Piece, plan: Plan, means: np.ndarray) -> np.ndarray:
    X, y = _partition(piece, plan)
    z = np.empty((len(y), X.shape[1] + 1))
    z[:, :-1], z[:, -1] = X, y
    z -= means
    return z


def _qr_solve(data: DistributedData, client: Client) -> ClosedForm:
    """Least squares by QR: only ``R`` of the centred ``[X y]`` is computed (each partition's ``Q`` is dropped
    as soon as its ``R`` is out), ``R = [[R₁, z], [0, ρ]]``, and ``R₁ w = z`` (``z = Q₁ᵀy``)."""
    d = data.n_features
    blocks = [
        da.from_delayed(dask.delayed(_centred_partition)(piece, data.plan, data.moments.mean), shape=(int(rows), d + 1),
                        dtype=np.float64)
        for piece, rows in zip(data.pieces, data.partition_rows, strict=True) if rows > 0
    ]
    stacked = da.concatenate(blocks, axis=0)
    if min(stacked.chunks[0]) < d + 1:  # a block QR needs at least as many rows as columns
        stacked = stacked.rechunk({0: max(d + 1, int(np.median(stacked.chunks[0])))})
    _, r = da.linalg.tsqr(stacked)
    R = result(client, client.compute(r))
    weights = scipy.linalg.solve_triangular(R[:d, :d], R[:d, d])
    return ClosedForm(weights, float(data.moments.mean[-1] - data.moments.mean[:-1] @ weights))

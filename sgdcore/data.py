"""Datasets: the D2L synthetic generator, train/test split, standardisation and minibatches."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from sgdcore.errors import ConfigError, DataError, check_seed, is_int, is_number, setting_error

D2L_WEIGHTS = (2.0, -3.4)
D2L_BIAS = 4.2
D2L_NOISE = 0.01
D2L_ROWS = 1000


class Notice(str):
    """Something the user should know about their data (rows dropped, a column encoded): its English text, and
    what it says as data, so that a user interface can say it in its own words and language.

    A ``str``: it compares, joins and prints as its text, as a notice always has. ``kind`` names what happened
    (``"missing_dropped"``, ``"one_hot"``; ``""`` if it has no name) and ``fields`` holds the facts of the text
    (columns, counts) by name, as :class:`~sgdcore.errors.SGDCoreError` carries a ``problem`` and its fields.

    Parameters
    ----------
    text : str
        The notice, in English.
    kind : str, optional
    **fields
        The facts the text is made of, by name.
    """

    kind: str
    fields: dict[str, object]

    def __new__(cls, text: str, kind: str = "", **fields: object) -> Notice:
        notice = super().__new__(cls, text)
        notice.kind, notice.fields = kind, fields
        return notice

    def __reduce__(self) -> tuple:
        # A str's own pickling keeps only the text: a notice sent back from a worker process would lose its fields.
        return _rebuild_notice, (str(self), self.kind, self.fields)


def _rebuild_notice(text: str, kind: str, fields: dict) -> Notice:
    return Notice(text, kind, **fields)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features ``X`` (n × d), target ``y`` (n,), and the names that go with them.

    ``true_weights``/``true_bias`` are known only for synthetic data. ``notices`` says what was done to the data
    on the way (each a :class:`Notice`, or a plain ``str`` for one without a kind).
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    target_name: str = "y"
    true_weights: np.ndarray | None = None
    true_bias: float | None = None
    notices: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        # Array-likes (lists, pandas objects) are taken as arrays, as scikit-learn takes them; an array is
        # kept as it is, not copied.
        for name in ("X", "y"):
            try:
                values = np.asarray(getattr(self, name))
            except ValueError:  # ragged nested lists
                raise DataError(f"{name} must be a table of numbers with the same length in every row.",
                                "ragged_array", name=name) from None
            if not (np.issubdtype(values.dtype, np.number) or values.dtype == np.bool_) or np.iscomplexobj(values):
                raise DataError(
                    f"{name} must hold real numbers; got values of type {values.dtype}. Convert them first "
                    "(for a table with text columns, dataset_from_frame drops or one-hot encodes them).",
                    "not_real_numbers", name=name, dtype=str(values.dtype),
                )
            object.__setattr__(self, name, values)
        if self.X.ndim != 2:
            raise DataError(f"X must be a 2-D array (rows × features); got {self.X.ndim}-D.", "not_2d",
                            ndim=self.X.ndim)
        if self.y.shape != (self.X.shape[0],):
            raise DataError(
                f"y must have one value per row of X: X has {self.X.shape[0]} rows, "
                f"y has shape {self.y.shape}.", "y_length", rows=self.X.shape[0], shape=self.y.shape,
            )
        if len(self.feature_names) != self.X.shape[1]:
            raise DataError(
                f"{len(self.feature_names)} feature names for {self.X.shape[1]} feature columns.",
                "feature_names_count", names=len(self.feature_names), columns=self.X.shape[1],
            )

    def check_values(self) -> None:
        """Raise ``DataError`` if X or y holds NaN or inf, or values so large that the loss's sum of squares
        overflows: every loss and the least-squares solution would be NaN or inf."""
        # The smallest and largest values say it all (a NaN makes both NaN), and copy nothing: X may be large.
        bounds = [float(bound) for part in (self.X, self.y) if part.size for bound in (part.min(), part.max())]
        if not all(map(math.isfinite, bounds)):
            missing = int(np.count_nonzero(~np.isfinite(self.X))) + int(np.count_nonzero(~np.isfinite(self.y)))
            raise DataError(
                f"The data holds {missing} missing or infinite value(s) (NaN or inf): remove or fill them first "
                "(for a table, dataset_from_frame does it: missing='drop' or missing='mean', infinite='drop').",
                "not_finite", count=missing,
            )
        largest = max(map(abs, bounds), default=0.0)
        if largest * largest * max(self.n_rows, 1) > np.finfo(np.float64).max:
            raise DataError(
                f"Values up to {largest:.3g} are too large for the squared loss in floating point (a sum of "
                "their squares overflows): rescale the data, e.g. divide the largest columns by a power of ten.",
                "too_large", largest=largest,
            )

    @property
    def n_rows(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    def subset(self, rows: np.ndarray) -> Dataset:
        """The same dataset restricted to ``rows`` (indices or a boolean mask)."""
        return Dataset(
            self.X[rows], self.y[rows], self.feature_names, self.target_name,
            self.true_weights, self.true_bias, self.notices,
        )


def synthetic(
    n: int = D2L_ROWS,
    w: Sequence[float] = D2L_WEIGHTS,
    b: float = D2L_BIAS,
    noise: float = D2L_NOISE,
    seed: int = 0,
    *,
    feature_scales: Sequence[float] | None = None,
) -> Dataset:
    """D2L's ``synthetic_data``: ``y = Xw + b + ε`` with ``X ~ N(0, 1)`` and ``ε ~ N(0, noise²)``.

    ``feature_scales`` multiplies each column of X, which makes the problem ill-conditioned on
    purpose (condition number of XᵀX ≈ (max scale / min scale)²).
    """
    w = _numbers(w, setting_error("w", w, "a non-empty list of weights", "weights_list"))
    if w.ndim != 1 or w.size == 0:
        raise setting_error("w", w.tolist(), "a non-empty list of weights", "weights_list")
    if not is_int(n) or n < 2:
        raise setting_error("n", n, "an integer ≥ 2 rows", "integer_at_least", bound=2)
    if not (is_number(noise) and math.isfinite(noise) and noise >= 0):
        raise setting_error("noise", noise, "a standard deviation ≥ 0", "at_least", bound=0)
    if not np.all(np.isfinite(w)) or not (is_number(b) and math.isfinite(b)):
        raise ConfigError("The true weights and bias must be finite numbers.", "weights_not_finite",
                          weights=w.tolist(), bias=b)
    check_seed(seed)
    rng = np.random.default_rng(seed)
    X = rng.normal(0.0, 1.0, size=(n, w.size))
    if feature_scales is not None:
        error = ConfigError(f"feature_scales needs {w.size} positive numbers; got {feature_scales!r}.",
                            "feature_scales", parameter="feature_scales", value=feature_scales, count=w.size)
        scales = _numbers(feature_scales, error)
        if scales.shape != w.shape or not np.all(scales > 0):
            raise error
        X *= scales
    with np.errstate(over="ignore"):  # said below, in words
        y = X @ w + b + rng.normal(0.0, noise, size=n)
    names = tuple(f"x{i + 1}" for i in range(w.size))
    data = Dataset(X, y, names, "y", true_weights=w.copy(), true_bias=float(b))
    try:
        data.check_values()
    except DataError:
        raise ConfigError("These settings make values too large for the squared loss in floating point (their "
                          "squares overflow): use smaller weights, bias, noise or feature scales.",
                          "synthetic_too_large") from None
    return data


def _numbers(values: object, error: ConfigError) -> np.ndarray:
    """``values`` as a float64 array; raises ``error`` if they are not numbers."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise error from None


def split_sizes(n_rows: int, test_fraction: float) -> tuple[int, int]:
    """``(training rows, test rows)`` that :func:`train_test_split` makes of ``n_rows`` with ``test_fraction``."""
    n_test = round(n_rows * test_fraction)
    return n_rows - n_test, n_test


def train_test_split(data: Dataset, test_fraction: float = 0.2, seed: int = 0) -> tuple[Dataset, Dataset | None]:
    """Shuffle the rows once with ``seed`` and hold out ``test_fraction`` of them.

    Returns ``(train, None)`` when ``test_fraction`` is 0.
    """
    if not (is_number(test_fraction) and 0.0 <= test_fraction < 1.0):
        raise setting_error("test_fraction", test_fraction, "in [0, 1)", "in_interval", interval="[0, 1)")
    check_seed(seed)
    if test_fraction == 0.0:
        return data, None
    n_train, n_test = split_sizes(data.n_rows, test_fraction)
    if n_test < 1 or n_train < 2:
        raise DataError(
            f"A test fraction of {test_fraction:g} leaves {n_train} training and {n_test} test rows "
            f"out of {data.n_rows}; use a fraction that keeps at least 2 training rows and 1 test row, "
            "or 0 for no test set.", "split_too_small", test_fraction=test_fraction, train_rows=n_train,
            test_rows=n_test, rows=data.n_rows,
        )
    order = np.random.default_rng(seed).permutation(data.n_rows)
    return data.subset(np.sort(order[:n_train])), data.subset(np.sort(order[n_train:]))


@dataclass(frozen=True, eq=False)
class Standardizer:
    """Column means and standard deviations of the training data, and the way back.

    Training on standardised data and mapping the learned ``(w', b')`` back with
    :meth:`to_original_units` gives coefficients for the raw features, so users read them in the
    units of their own columns.
    """

    feature_mean: np.ndarray
    feature_std: np.ndarray
    target_mean: float = 0.0
    target_std: float = 1.0

    @classmethod
    def fit(cls, data: Dataset, *, target: bool = False) -> Standardizer:
        std = data.X.std(axis=0)
        constant = [name for name, s in zip(data.feature_names, std, strict=True) if s == 0]
        if constant:
            raise DataError(
                f"Cannot standardise constant feature column(s) {', '.join(map(repr, constant))}: "
                "every value is the same. Drop them; they carry no information.", "constant_features", columns=constant
            )
        # A constant target is left as it is (as StandardScaler leaves a column of zero variance unscaled): there is
        # nothing to predict but its value, which the bias learns on either path. Centred, it would make the optimum
        # 0 up to rounding, against which no relative distance means anything. (np.ptp, not the std: the mean of a
        # constant 0.1 can be off by a rounding, and its std 1e-17.)
        target = target and bool(np.ptp(data.y) > 0)
        return cls(
            data.X.mean(axis=0), std,
            float(data.y.mean()) if target else 0.0, float(data.y.std()) if target else 1.0,
        )

    def transform(self, data: Dataset) -> Dataset:
        X = (data.X - self.feature_mean) / self.feature_std
        y = (data.y - self.target_mean) / self.target_std
        true_w, true_b = data.true_weights, data.true_bias
        if true_w is not None and true_b is not None:
            true_w, true_b = self.to_model_units(true_w, true_b)
        return Dataset(X, y, data.feature_names, data.target_name, true_w, true_b, data.notices)

    def to_original_units(self, weights: np.ndarray, bias: float) -> tuple[np.ndarray, float]:
        """``(w', b')`` learned on standardised data → ``(w, b)`` for the raw features and target."""
        scaled = np.asarray(weights) / self.feature_std
        w = self.target_std * scaled
        b = self.target_std * (bias - float(scaled @ self.feature_mean)) + self.target_mean
        return w, float(b)

    def to_model_units(self, weights: np.ndarray, bias: float) -> tuple[np.ndarray, float]:
        """The inverse of :meth:`to_original_units`."""
        w_model = np.asarray(weights) * self.feature_std / self.target_std
        b_model = (bias - self.target_mean + float(np.asarray(weights) @ self.feature_mean)) / self.target_std
        return w_model, float(b_model)


def minibatches(
    n_rows: int, batch_size: int, rng: np.random.Generator, *, shuffle: bool = True, drop_last: bool = False
) -> Iterator[np.ndarray]:
    """Row indices of each minibatch of one epoch, reshuffled every call (D2L's ``data_iter``)."""
    if batch_size < 1:
        raise setting_error("batch_size", batch_size, "an integer ≥ 1", "integer_at_least", bound=1)
    order = rng.permutation(n_rows) if shuffle else np.arange(n_rows)
    stop = n_rows - n_rows % batch_size if drop_last else n_rows
    for start in range(0, stop, batch_size):
        yield order[start:start + batch_size]

"""sgdcore.data: the D2L generator, the split, standardisation and minibatches."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sgdcore import ConfigError, DataError, Dataset, Standardizer, minibatches, synthetic, train_test_split
from sgdcore.model import predict

# synthetic


def test_synthetic_defaults_are_d2l() -> None:
    data = synthetic()
    assert data.X.shape == (1000, 2)
    assert data.y.shape == (1000,)
    np.testing.assert_array_equal(data.true_weights, [2.0, -3.4])
    assert data.true_bias == 4.2
    assert data.feature_names == ("x1", "x2")
    noise = data.y - (data.X @ np.array([2.0, -3.4]) + 4.2)
    assert 0.009 < noise.std() < 0.011
    assert abs(noise.mean()) < 0.002
    # X ~ N(0, 1)
    np.testing.assert_allclose(data.X.mean(axis=0), 0.0, atol=0.1)
    np.testing.assert_allclose(data.X.std(axis=0), 1.0, atol=0.1)


def test_synthetic_is_reproducible_and_the_seed_matters() -> None:
    first, again, other = synthetic(seed=3), synthetic(seed=3), synthetic(seed=4)
    np.testing.assert_array_equal(first.X, again.X)
    np.testing.assert_array_equal(first.y, again.y)
    assert not np.array_equal(first.X, other.X)


def test_synthetic_does_not_touch_the_global_random_state() -> None:
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    synthetic(n=50)
    assert np.random.random() == expected


def test_synthetic_custom_weights_and_noise_free() -> None:
    data = synthetic(n=30, w=[1.0, 0.0, -2.0], b=-1.5, noise=0.0, seed=1)
    assert data.X.shape == (30, 3)
    np.testing.assert_allclose(data.y, data.X @ np.array([1.0, 0.0, -2.0]) - 1.5, rtol=0, atol=1e-12)


def test_synthetic_feature_scales_scale_the_columns() -> None:
    plain = synthetic(n=500, seed=2)
    scaled = synthetic(n=500, seed=2, feature_scales=[1.0, 10.0])
    np.testing.assert_allclose(scaled.X[:, 0], plain.X[:, 0])
    np.testing.assert_allclose(scaled.X[:, 1], 10.0 * plain.X[:, 1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 1}, r"n must be an integer ≥ 2 rows; got 1\."),
        ({"n": 0}, r"n must be an integer ≥ 2 rows; got 0\."),
        ({"n": 10.5}, r"n must be an integer ≥ 2 rows; got 10\.5\."),
        ({"noise": -0.1}, r"noise must be a standard deviation ≥ 0; got -0\.1\."),
        ({"noise": float("nan")}, r"noise must be a standard deviation ≥ 0; got nan\."),
        ({"noise": float("inf")}, r"noise must be a standard deviation ≥ 0; got inf\."),
        ({"w": []}, r"w must be a non-empty list of weights; got \[\]\."),
        ({"w": [[1.0, 2.0]]}, r"w must be a non-empty list of weights"),
        ({"w": [1.0, float("nan")]}, r"true weights and bias must be finite"),
        ({"b": float("inf")}, r"true weights and bias must be finite"),
        ({"feature_scales": [1.0]}, r"feature_scales needs 2 positive numbers; got \[1\.0\]\."),
        ({"feature_scales": [1.0, 0.0]}, r"feature_scales needs 2 positive numbers"),
        # Types that NumPy would refuse with a message of its own, or that no comparison accepts:
        ({"w": ["a", "b"]}, r"w must be a non-empty list of weights; got \['a', 'b'\]\."),
        ({"noise": "0.1"}, r"noise must be a standard deviation ≥ 0; got '0\.1'\."),
        ({"b": None}, r"true weights and bias must be finite"),
        ({"seed": -1}, r"seed must be an integer ≥ 0; got -1\."),
        ({"seed": 0.5}, r"seed must be an integer ≥ 0; got 0\.5\."),
        ({"feature_scales": ["x", 1.0]}, r"feature_scales needs 2 positive numbers; got \['x', 1\.0\]\."),
        ({"feature_scales": [1.0, float("nan")]}, r"feature_scales needs 2 positive numbers"),
        ({"w": [1e308, 1e308]}, r"These settings make values too large for the squared loss .* use smaller weights"),
        ({"w": [1e200]}, r"These settings make values too large for the squared loss"),  # finite, but not its square
    ],
)
def test_synthetic_rejects_bad_settings(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        synthetic(**kwargs)
    assert caught.value.problem  # what the message says, as data for a page to word (tests/test_errors_i18n.py)


# Dataset


def test_dataset_takes_lists_and_pandas_objects_as_arrays_and_keeps_arrays_as_they_are() -> None:
    from_lists = Dataset([[1.0, 2.0], [3.0, 4.0]], [5.0, 6.0], ("a", "b"))
    assert isinstance(from_lists.X, np.ndarray) and from_lists.X.shape == (2, 2) and from_lists.y.shape == (2,)
    frame = pd.DataFrame({"a": [1.0, 3.0], "b": [2.0, 4.0]})
    from_pandas = Dataset(frame, frame["a"] + frame["b"], ("a", "b"))
    np.testing.assert_array_equal(from_pandas.X, from_lists.X)
    np.testing.assert_array_equal(from_pandas.y, [3.0, 7.0])
    X, y = np.ones((3, 2)), np.zeros(3)
    data = Dataset(X, y, ("a", "b"))
    assert data.X is X and data.y is y  # no copy


@pytest.mark.parametrize(("X", "y", "message"), [
    (np.array([["a", 1], ["b", 2]], dtype=object), [1.0, 2.0],
     r"X must hold real numbers; got values of type object\."),
    (np.array([["1", "2"], ["3", "4"]]), [1.0, 2.0], r"X must hold real numbers; got values of type <U1\."),
    (np.ones((2, 2)), np.array([1, 2], dtype=complex), r"y must hold real numbers; got values of type complex128\."),
    ([[1.0, 2.0], [3.0]], [1.0, 2.0], r"X must be a table of numbers with the same length in every row\."),
])
def test_dataset_rejects_values_that_are_not_real_numbers(X, y, message: str) -> None:
    # Checked when the Dataset is made, so the message names the argument and what it must hold rather than
    # surfacing as a TypeError or AttributeError deep inside the first computation.
    with pytest.raises(DataError, match=message):
        Dataset(X, y, ("a", "b"))


def test_dataset_rejects_mismatched_shapes() -> None:
    with pytest.raises(DataError, match=r"X must be a 2-D array \(rows × features\); got 1-D\."):
        Dataset(np.zeros(5), np.zeros(5), ("a",))
    with pytest.raises(DataError, match=r"y must have one value per row of X: X has 5 rows, y has shape \(4,\)\."):
        Dataset(np.zeros((5, 2)), np.zeros(4), ("a", "b"))
    with pytest.raises(DataError, match=r"y must have one value per row of X: X has 5 rows, y has shape \(5, 1\)\."):
        Dataset(np.zeros((5, 2)), np.zeros((5, 1)), ("a", "b"))
    with pytest.raises(DataError, match=r"1 feature names for 2 feature columns\."):
        Dataset(np.zeros((5, 2)), np.zeros(5), ("a",))


def test_dataset_subset_keeps_metadata() -> None:
    data = synthetic(n=20, seed=5)
    part = data.subset(np.array([3, 7]))
    assert part.n_rows == 2
    assert part.n_features == 2
    np.testing.assert_array_equal(part.X, data.X[[3, 7]])
    np.testing.assert_array_equal(part.y, data.y[[3, 7]])
    assert part.true_bias == data.true_bias
    np.testing.assert_array_equal(part.true_weights, data.true_weights)


# train_test_split


def test_split_sizes_partition_and_reproducibility() -> None:
    data = synthetic(n=1000, seed=0)
    train, test = train_test_split(data, 0.2, seed=7)
    assert (train.n_rows, test.n_rows) == (800, 200)
    # y values are distinct floats, so they identify the rows.
    assert len(np.intersect1d(train.y, test.y)) == 0
    np.testing.assert_array_equal(np.sort(np.concatenate((train.y, test.y))), np.sort(data.y))
    again, _ = train_test_split(data, 0.2, seed=7)
    np.testing.assert_array_equal(again.y, train.y)
    other, _ = train_test_split(data, 0.2, seed=8)
    assert not np.array_equal(other.y, train.y)


def test_split_with_zero_fraction_returns_no_test_set() -> None:
    data = synthetic(n=10)
    train, test = train_test_split(data, 0.0)
    assert train is data
    assert test is None


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5, float("nan"), None, "0.2"])
def test_split_rejects_fraction_out_of_range(fraction: float) -> None:
    with pytest.raises(ConfigError, match=r"test_fraction must be in \[0, 1\); got "):
        train_test_split(synthetic(n=10), fraction)


@pytest.mark.parametrize("seed", [-1, 0.5, None])
def test_split_rejects_seeds_numpy_would_refuse(seed) -> None:
    with pytest.raises(ConfigError, match=r"seed must be an integer ≥ 0; got "):
        train_test_split(synthetic(n=10), 0.2, seed)


def test_split_rejects_fractions_that_leave_no_rows() -> None:
    with pytest.raises(DataError, match=r"A test fraction of 0\.01 leaves 10 training and 0 test rows out of 10"):
        train_test_split(synthetic(n=10), 0.01)
    with pytest.raises(DataError, match=r"leaves 1 training and 9 test rows out of 10; use a fraction that keeps"):
        train_test_split(synthetic(n=10), 0.9)


# Standardizer


def test_standardizer_makes_zero_mean_unit_variance_from_training_statistics() -> None:
    data = synthetic(n=300, w=[1.0, -2.0, 0.5], b=3.0, seed=4, feature_scales=[1.0, 5.0, 0.2])
    shift = np.array([10.0, -3.0, 1.0])
    data = Dataset(data.X + shift, data.y, data.feature_names,
                   true_weights=data.true_weights, true_bias=data.true_bias - float(data.true_weights @ shift))
    scaler = Standardizer.fit(data, target=True)
    np.testing.assert_allclose(scaler.feature_mean, data.X.mean(axis=0))
    np.testing.assert_allclose(scaler.feature_std, data.X.std(axis=0))
    assert scaler.target_mean == pytest.approx(data.y.mean())
    assert scaler.target_std == pytest.approx(data.y.std())
    scaled = scaler.transform(data)
    np.testing.assert_allclose(scaled.X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(scaled.X.std(axis=0), 1.0)
    assert abs(scaled.y.mean()) < 1e-12
    assert scaled.y.std() == pytest.approx(1.0)
    # The true model, mapped to model units, predicts the standardised target the same way.
    raw_prediction = predict(data.X, data.true_weights, data.true_bias)
    model_prediction = predict(scaled.X, scaled.true_weights, scaled.true_bias)
    np.testing.assert_allclose(model_prediction, (raw_prediction - data.y.mean()) / data.y.std(), atol=1e-10)


def test_standardizer_without_target_leaves_the_target_alone() -> None:
    data = synthetic(n=100, seed=1)
    scaler = Standardizer.fit(data)
    assert (scaler.target_mean, scaler.target_std) == (0.0, 1.0)
    np.testing.assert_array_equal(scaler.transform(data).y, data.y)


def test_standardizer_round_trip_and_prediction_equivalence() -> None:
    data = synthetic(n=200, w=[0.5, 1.5], b=-2.0, seed=9, feature_scales=[3.0, 0.1])
    scaler = Standardizer.fit(data, target=True)
    rng = np.random.default_rng(0)
    weights, bias = rng.normal(size=2), float(rng.normal())
    back_w, back_b = scaler.to_original_units(*scaler.to_model_units(weights, bias))
    np.testing.assert_allclose(back_w, weights, rtol=1e-12)
    assert back_b == pytest.approx(bias, rel=1e-12)
    # Model-unit parameters predict the standardised target; original units predict the raw target.
    model_w, model_b = scaler.to_model_units(weights, bias)
    scaled = scaler.transform(data)
    np.testing.assert_allclose(
        predict(scaled.X, model_w, model_b) * scaler.target_std + scaler.target_mean,
        predict(data.X, weights, bias), rtol=1e-10, atol=1e-10,
    )


def test_standardizer_rejects_constant_columns_and_only_centres_a_constant_target() -> None:
    X = np.column_stack((np.arange(5.0), np.full(5, 2.0)))
    with pytest.raises(DataError, match=r"Cannot standardise constant feature column\(s\) 'flat': every value"):
        Standardizer.fit(Dataset(X, np.arange(5.0), ("slope", "flat")))
    # A constant target is left as it is, as StandardScaler leaves a column of zero variance unscaled; a constant
    # 0.1, whose mean is off by a rounding, is not divided by a std of 1e-17.
    for level in (5.0, 0.1):
        data = Dataset(X[:, :1], np.full(5, level), ("slope",), "price")
        scaler = Standardizer.fit(data, target=True)
        assert (scaler.target_mean, scaler.target_std) == (0.0, 1.0)
        assert np.array_equal(scaler.transform(data).y, data.y)


# minibatches


def test_minibatches_cover_every_row_once_per_epoch() -> None:
    rng = np.random.default_rng(0)
    batches = list(minibatches(103, 10, rng))
    assert [len(batch) for batch in batches] == [10] * 10 + [3]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(103))


def test_minibatches_reshuffle_each_epoch() -> None:
    rng = np.random.default_rng(0)
    first = np.concatenate(list(minibatches(50, 7, rng)))
    second = np.concatenate(list(minibatches(50, 7, rng)))
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, np.arange(50))
    np.testing.assert_array_equal(np.sort(second), np.arange(50))


def test_minibatches_drop_last_drops_the_partial_batch() -> None:
    batches = list(minibatches(103, 10, np.random.default_rng(0), drop_last=True))
    assert [len(batch) for batch in batches] == [10] * 10
    assert len(np.unique(np.concatenate(batches))) == 100
    # Nothing to drop when the batch size divides the rows.
    assert [len(b) for b in minibatches(100, 10, np.random.default_rng(0), drop_last=True)] == [10] * 10


def test_minibatches_without_shuffle_are_in_order() -> None:
    batches = list(minibatches(7, 3, np.random.default_rng(0), shuffle=False))
    assert [batch.tolist() for batch in batches] == [[0, 1, 2], [3, 4, 5], [6]]


def test_minibatches_are_reproducible_with_the_same_seed() -> None:
    first = [b.tolist() for b in minibatches(40, 6, np.random.default_rng(11))]
    again = [b.tolist() for b in minibatches(40, 6, np.random.default_rng(11))]
    other = [b.tolist() for b in minibatches(40, 6, np.random.default_rng(12))]
    assert first == again
    assert first != other


def test_minibatches_reject_batch_size_zero() -> None:
    with pytest.raises(ConfigError, match=r"batch_size must be an integer ≥ 1; got 0\."):
        list(minibatches(10, 0, np.random.default_rng(0)))

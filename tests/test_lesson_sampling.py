"""Issue 18, point 8: minibatches drawn with replacement (shuffle="replacement"), beside each epoch's permutation and
blocks: the NumPy reference and the compiled kernel draw the same rows, and train the same run."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import sgdcore
from sgdcore import kernels
from sgdcore.train import NUMPY_BACKEND, epoch_order, select_kernel
from ui import sampling

_compiled = pytest.importorskip("sgdcore._compiled", reason="Numba is not installed")
RTOL = 1e-10
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("n_rows", [1, 2, 7, 1000, 4097])
@pytest.mark.parametrize("seed", [0, 5])
def test_the_compiled_draws_are_the_references_from_the_same_generator(n_rows: int, seed: int) -> None:
    reference = kernels.with_replacement(n_rows, np.random.default_rng(seed))
    compiled_rng = np.random.default_rng(seed)
    compiled = _compiled.with_replacement(n_rows, compiled_rng)
    np.testing.assert_array_equal(compiled, reference)
    assert reference.dtype == np.intp and ((reference >= 0) & (reference < n_rows)).all()
    # Both drew exactly n_rows numbers: the generators are left in the same state.
    after_reference = np.random.default_rng(seed)
    after_reference.random(n_rows)
    assert compiled_rng.random() == after_reference.random()


def test_rows_are_drawn_uniformly_and_independently() -> None:
    n_rows = 50
    rng = np.random.default_rng(1)
    counts = np.bincount(np.concatenate([kernels.with_replacement(n_rows, rng) for _ in range(2000)]),
                         minlength=n_rows)
    expected = 2000  # each row, once an epoch on average
    chi_square = float(((counts - expected) ** 2 / expected).sum())
    assert chi_square < 100  # 49 degrees of freedom: p ≈ 1e-5 beyond this
    # About 1/e of the rows are left out of an epoch, unlike a permutation, which visits each once.
    left_out = np.mean([n_rows - len(np.unique(kernels.with_replacement(n_rows, rng))) for _ in range(500)])
    assert left_out / n_rows == pytest.approx((1 - 1 / n_rows) ** n_rows, rel=0.05)


def test_epoch_order_draws_with_replacement_from_either_backend() -> None:
    compiled, notice = select_kernel("numba")
    assert notice is None
    for backend in (NUMPY_BACKEND, compiled):
        order = epoch_order(100, np.random.default_rng(3), "replacement", block_size=10, backend=backend)
        np.testing.assert_array_equal(order, kernels.with_replacement(100, np.random.default_rng(3)))


@pytest.mark.parametrize("batch_size", [1, 7, 64])
def test_training_with_replacement_is_the_same_run_on_the_reference_and_the_compiled_kernel(batch_size: int) -> None:
    data = sgdcore.synthetic(n=300, w=[2.0, -3.4, 0.5], noise=0.1, seed=2)
    config = sgdcore.TrainConfig(learning_rate=0.05, batch_size=batch_size, epochs=3, shuffle="replacement",
                                 momentum=0.5, seed=9)
    *_, numpy_run = sgdcore.train(data, replace(config, backend="numpy"))
    *_, numba_run = sgdcore.train(data, replace(config, backend="numba"))
    np.testing.assert_allclose(numba_run.weights, numpy_run.weights, rtol=RTOL, atol=1e-13)
    assert numba_run.bias == pytest.approx(numpy_run.bias, rel=RTOL, abs=1e-13)
    np.testing.assert_allclose(numba_run.epoch_train_loss, numpy_run.epoch_train_loss, rtol=RTOL)
    # A different sampling from the permutation's: another run from the same seed.
    *_, permuted = sgdcore.train(data, replace(config, shuffle="epoch", backend="numpy"))
    assert not np.allclose(permuted.weights, numpy_run.weights, rtol=1e-12, atol=0)


def test_one_batch_of_n_rows_drawn_with_replacement_is_not_full_batch_descent() -> None:
    data = sgdcore.synthetic(n=200, seed=4)
    config = sgdcore.TrainConfig(learning_rate=0.5, batch_size=200, epochs=1, seed=1)
    *_, drawn = sgdcore.train(data, replace(config, shuffle="replacement"))
    *_, full = sgdcore.train(data, config)
    # By hand: one step from the start along the gradient of the rows drawn.
    rng = np.random.default_rng(config.seed)
    weights, bias = sgdcore.init_params(data.n_features, rng, config.init, config.init_scale)
    rows = kernels.with_replacement(200, rng)
    residual = data.X[rows] @ weights + bias - data.y[rows]
    np.testing.assert_allclose(drawn.weights, weights - 0.5 * data.X[rows].T @ residual / 200, rtol=1e-12)
    assert not np.allclose(drawn.weights, full.weights, rtol=1e-6)


def test_a_shuffle_that_does_not_exist_is_refused_by_name() -> None:
    with pytest.raises(sgdcore.ConfigError, match="shuffle must be one of epoch, blocks, none, replacement; got 'x'"):
        sgdcore.TrainConfig(shuffle="x")


# The sidebar's choice and its effect on the gradient noise (the Batch-size page)


def exact_spreads(per_example: np.ndarray, batch_size: int) -> tuple[float, float]:
    """√E‖g_B − g‖² by enumerating every batch: of B different rows, and of B independent draws."""
    full = per_example.mean(axis=0)
    n = len(per_example)

    def mean_square(batches) -> float:
        return float(np.mean([np.sum((per_example[list(rows)].mean(axis=0) - full) ** 2) for rows in batches]))

    without = mean_square(itertools.combinations(range(n), batch_size))
    with_replacement = mean_square(itertools.product(range(n), repeat=batch_size))
    return np.sqrt(without), np.sqrt(with_replacement)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 6])
def test_the_predicted_spreads_are_the_exact_means_over_every_batch(batch_size: int) -> None:
    data = sgdcore.synthetic(n=6, w=[1.0, -2.0], noise=0.5, seed=3)
    per_example = sampling.per_example_gradients(data, np.array([0.3, -0.1, 0.2]))
    without, with_replacement = exact_spreads(per_example, batch_size)
    assert sampling.predicted_spread(per_example, batch_size, "epoch") == pytest.approx(without, rel=1e-12, abs=1e-15)
    assert sampling.predicted_spread(per_example, batch_size, "replacement") == pytest.approx(with_replacement,
                                                                                              rel=1e-12)


def test_the_measured_spreads_of_sgdcores_own_orders_agree_with_the_predictions() -> None:
    data = sgdcore.synthetic(n=400, w=[1.0, -2.0], noise=1.0, seed=3)
    problem = sgdcore.make_problem(data)
    table = sampling.noise_by_sampling(data, problem.optimum.params, [1, 20, 200], seed=0, samples=1500)
    wide = table.pivot_table(index=["sampling", "batch size"], columns="how", values="spread")
    np.testing.assert_allclose(wide["measured"], wide["predicted"], rtol=0.1)
    # Half the rows in a batch: without replacement the noise is √((n − B)/(n − 1)) ≈ 0.71 of the independent draws'.
    ratio = wide.loc[("epoch", 200), "predicted"] / wide.loc[("replacement", 200), "predicted"]
    assert ratio == pytest.approx(np.sqrt(200 / 399))


def test_the_sidebar_sampling_reaches_the_run_and_the_batch_size_page_draws_its_noise() -> None:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=200)
    at.query_params["shuffle"] = "replacement"
    at.run()
    assert at.sidebar.selectbox(key="shuffle").value == "replacement"
    assert any("noise is (n − 1)/(n − B) times that of a batch drawn without" in c.value for c in at.sidebar.caption)
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["train_run"]["config"].shuffle == "replacement"
    at.switch_page("pages/batch_size.py").run()
    assert not at.exception, [e.value for e in at.exception]
    problem = at.session_state["_last_choice"].problem
    per_example = sampling.per_example_gradients(problem.train, problem.optimum.params)
    for element in at.get("vega_lite_chart"):
        frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in element.proto.datasets]
        frame = next((frame for frame in frames if "sampling" in frame), None)
        if frame is not None:
            break
    else:
        raise AssertionError("no chart of the noise by sampling")
    predicted = frame[frame["how"] == "predicted"]
    assert set(frame["sampling"]) == set(sampling.SAMPLING_LABELS.values())
    for row in predicted.to_dict("records"):
        key = next(k for k, label in sampling.SAMPLING_LABELS.items() if label == row["sampling"])
        expected = sampling.predicted_spread(per_example, row["batch size"], key)
        assert row["spread"] == pytest.approx(expected, rel=1e-12)
    assert frame.loc[frame["chosen"], "sampling"].unique().tolist() == [sampling.SAMPLING_LABELS["replacement"]]


def test_with_blocks_of_sorted_rows_the_lessons_quote_the_blocks_limit_and_compute_no_floor() -> None:
    """The Data lesson's limit at the sidebar's batch size is the blocks' (sgdcore's test: runs diverge above it, on
    sorted rows far below the limit of batches from all rows), and the Batch size lesson says why it gives no noise
    floor rather than "data this large"."""
    from ui import lesson

    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 2))
    X = X[np.argsort(X[:, 0])]
    data = sgdcore.Dataset(X, X @ np.array([2.0, -3.4]) + 4.2, ("x1", "x2"), "y")
    problem = sgdcore.make_problem(data, test_fraction=0.0)
    state = {"shuffle": "blocks", "learning_rate": 0.01}
    (floor_lines, conditioning) = (lesson.batch_size_floor(state, problem, "sorted"),
                                   lesson.data_conditioning(state, problem, "sorted"))
    keys = [key for key, _ in floor_lines]
    assert "lesson.batch_size.floor.blocks" in keys and "lesson.batch_size.floor.too_large" not in keys
    raw = dict(conditioning)["lesson.data.conditioning.raw"]
    blocks = sgdcore.minibatch_stability_limit(problem.raw_train, 10, block_size=1024).learning_rate
    assert raw["limit"] == pytest.approx(blocks)
    assert blocks < 0.5 * sgdcore.minibatch_stability_limit(problem.raw_train, 10).learning_rate

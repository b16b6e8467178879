"""The compiled kernel against the NumPy reference: same steps, same results, and a clean fallback."""

from __future__ import annotations

import importlib
import math
import os
import shutil
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_info, threadpool_limits

import sgdcore
from sgdcore import ConfigError, Dataset, Schedule, TrainConfig, kernels
from sgdcore.schedules import SCHEDULES
from sgdcore.train import NUMPY_BACKEND, select_kernel

_compiled = pytest.importorskip("sgdcore._compiled", reason="Numba is not installed")

REPO = Path(__file__).resolve().parents[1]
RTOL = 1e-10


def dataset(n_rows: int, n_features: int, dtype: type, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features)).astype(dtype)
    y = (X @ rng.uniform(-2, 2, size=n_features) + 0.5 + 0.1 * rng.normal(size=n_rows)).astype(dtype)
    return Dataset(X, y, tuple(f"x{i}" for i in range(n_features)))


def last(data: Dataset, config: TrainConfig) -> sgdcore.Progress:
    *_, progress = sgdcore.train(data, config, report_every=1e-4)
    return progress


@st.composite
def optimisers(draw: st.DrawFn) -> dict:
    momentum = draw(st.sampled_from([0.0, 0.5, 0.9]))
    dampening = draw(st.sampled_from([0.0, 0.3]))
    nesterov = momentum > 0 and dampening == 0 and draw(st.booleans())
    return {
        "momentum": momentum, "dampening": dampening, "nesterov": nesterov,
        "weight_decay": draw(st.sampled_from([0.0, 0.01, 0.3])),
        "l1_penalty": draw(st.sampled_from([0.0, 0.01, 0.2])),
        "schedule": Schedule(
            draw(st.sampled_from(SCHEDULES)), gamma=0.7, step_size=draw(st.integers(1, 5)),
            power_t=0.5, min_factor=0.1, warmup_steps=draw(st.sampled_from([0, 3])),
        ),
    }


@settings(max_examples=120, deadline=None)
@given(
    optimiser=optimisers(),
    n_rows=st.integers(2, 40),
    n_features=st.integers(1, 4),
    batch_fraction=st.floats(0.0, 1.0),
    drop_last=st.booleans(),
    shuffle=st.sampled_from(["epoch", "blocks", "none"]),
    block_size=st.integers(1, 8),
    dtype=st.sampled_from([np.float32, np.float64]),
    epochs=st.integers(1, 3),
    init=st.sampled_from(["normal", "zeros"]),
    n_threads=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_training_on_numba_matches_numpy(
    optimiser, n_rows, n_features, batch_fraction, drop_last, shuffle, block_size, dtype, epochs, init, n_threads,
    seed,
) -> None:
    batch_size = 1 + round(batch_fraction * (n_rows - 1))  # anything from 1 to every row, often leaving a remainder
    data = dataset(n_rows, n_features, dtype, seed)
    config = TrainConfig(
        learning_rate=0.05, batch_size=batch_size, epochs=epochs, drop_last=drop_last, shuffle=shuffle,
        block_size=block_size, init=init, seed=seed, **optimiser,
    )
    numpy_run = last(data, replace(config, backend="numpy"))
    numba_run = last(data, replace(config, backend="numba", n_threads=n_threads))

    assert (numpy_run.backend, numba_run.backend) == ("numpy", "numba")
    assert numba_run.status == numpy_run.status
    assert numba_run.step == numpy_run.step
    np.testing.assert_allclose(numba_run.weights, numpy_run.weights, rtol=RTOL, atol=1e-13)
    np.testing.assert_allclose(numba_run.bias, numpy_run.bias, rtol=RTOL, atol=1e-13)
    np.testing.assert_array_equal(numba_run.loss_steps, numpy_run.loss_steps)
    np.testing.assert_allclose(numba_run.minibatch_loss, numpy_run.minibatch_loss, rtol=RTOL)
    np.testing.assert_allclose(numba_run.epoch_train_loss, numpy_run.epoch_train_loss, rtol=RTOL)
    np.testing.assert_array_equal(numba_run.trajectory_steps, numpy_run.trajectory_steps)
    np.testing.assert_allclose(numba_run.trajectory, numpy_run.trajectory, rtol=RTOL, atol=1e-13)
    np.testing.assert_allclose(numba_run.state.velocity, numpy_run.state.velocity, rtol=RTOL, atol=1e-13)


def call_kernel(kernel, arguments: dict, **threads) -> tuple[int, int]:
    """``kernel`` on the flat ``arguments`` of :func:`kernel_arguments`, bundled into its records."""
    a = arguments
    return kernel(
        kernels.Minibatches(a["X"], a["y"], a["order"], a["rows_in_epoch"], a["batch_size"]),
        kernels.Chunk(a["first_batch"], a["steps_before"], a["learning_rates"]),
        a["params"], a["velocity"],
        kernels.StepRule(a["momentum"], a["dampening"], a["nesterov"], a["weight_decay"], a["l1_penalty"]),
        a["loss_limit"],
        kernels.Records(a["losses_out"], a["trajectory_out"], a["record_stride"], a["n_recorded"]),
        **threads,
    )


def run_both(arguments: dict, n_threads: int = 1) -> tuple[tuple, tuple]:
    """Call both kernels on copies of the same buffers, the compiled one on ``n_threads`` threads;
    return each one's (result, buffers)."""
    results = []
    for kernel, threads in ((kernels.run_steps, {}), (_compiled.run_steps, {"n_threads": n_threads})):
        buffers = {name: arguments[name].copy() for name in ("params", "velocity", "losses_out", "trajectory_out")}
        with np.errstate(all="ignore"):  # as in train(): overflow is the divergence being detected
            returned = call_kernel(kernel, {**arguments, **buffers}, **threads)
        results.append((returned, buffers))
    return results[0], results[1]


def kernel_arguments(rng: np.random.Generator, dtype: type, n_rows: int, n_features: int, **overrides) -> dict:
    X = rng.normal(size=(n_rows, n_features)).astype(dtype)
    y = (X @ rng.normal(size=n_features) + 1.0).astype(dtype)
    n_steps = overrides.pop("n_steps", 6)
    arguments = {
        "X": X, "y": y, "order": rng.permutation(n_rows), "rows_in_epoch": n_rows,
        "params": rng.normal(size=n_features + 1), "velocity": rng.normal(size=n_features + 1),
        "first_batch": 0, "batch_size": 3, "learning_rates": np.linspace(0.1, 0.05, n_steps),
        "momentum": 0.9, "dampening": 0.1, "nesterov": False, "weight_decay": 0.01, "l1_penalty": 0.02,
        "steps_before": 0, "loss_limit": 1e6, "losses_out": np.full(n_steps, -1.0), "record_stride": 2,
        "trajectory_out": np.zeros((3, n_features + 1)), "n_recorded": 0,
    }
    return {**arguments, **overrides}


def assert_same(reference: tuple, compiled: tuple) -> None:
    assert compiled[0] == reference[0]
    for name, expected in reference[1].items():
        np.testing.assert_allclose(compiled[1][name], expected, rtol=RTOL, atol=1e-13, err_msg=name)


@settings(max_examples=60, deadline=None)
@given(
    dtype=st.sampled_from([np.float32, np.float64]),
    first_batch=st.integers(0, 3),
    batch_size=st.integers(1, 7),
    steps_before=st.sampled_from([0, 1, 5]),
    record_stride=st.integers(1, 3),
    n_recorded=st.integers(0, 3),
    nesterov=st.booleans(),
    n_threads=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_kernels_agree_on_every_buffer(
    dtype, first_batch, batch_size, steps_before, record_stride, n_recorded, nesterov, n_threads, seed
) -> None:
    rng = np.random.default_rng(seed)
    n_rows = 23
    n_steps = min(5, -(-n_rows // batch_size) - first_batch)
    arguments = kernel_arguments(
        rng, dtype, n_rows, 3, n_steps=max(n_steps, 1), first_batch=first_batch, batch_size=batch_size,
        steps_before=steps_before, record_stride=record_stride, n_recorded=n_recorded,
        nesterov=nesterov, dampening=0.0 if nesterov else 0.1, rows_in_epoch=n_rows - 1,
    )
    assert_same(*run_both(arguments, n_threads))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_features", [5, 8, 20, 33, 100])
@pytest.mark.parametrize("batch_size", [1, 7, 32])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_kernels_agree_with_many_features(dtype, n_features, batch_size, n_threads) -> None:
    # The compiled dot product runs in vector registers, with a remainder loop for the last few
    # features; the tests above (≤ 4 features) only reach the remainder. These reach both.
    rng = np.random.default_rng(n_features)
    n_rows = 150
    arguments = kernel_arguments(
        rng, dtype, n_rows, n_features, n_steps=-(-n_rows // batch_size), batch_size=batch_size,
        learning_rates=np.full(-(-n_rows // batch_size), 1e-3), trajectory_out=np.zeros((200, n_features + 1)),
    )
    reference, compiled = run_both(arguments, n_threads)
    assert reference[0][0] == -(-n_rows // batch_size)  # every step ran: the comparison covers a whole epoch
    assert_same(reference, compiled)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss_limit", [1e3, np.inf])
@pytest.mark.parametrize(("batch_size", "n_threads"), [(1, 1), (1, 2), (6, 2), (6, 3)])
def test_kernels_stop_at_the_same_diverging_step(dtype, loss_limit, batch_size, n_threads) -> None:
    # Far past the stability limit the loss grows ~100× per step: over 1e3 within a few steps,
    # and with no limit it overflows to inf, which must stop the run as well.
    arguments = kernel_arguments(
        np.random.default_rng(1), dtype, 200 * batch_size, 3, n_steps=200, batch_size=batch_size, momentum=0.0,
        learning_rates=np.full(200, 12.0), loss_limit=loss_limit, trajectory_out=np.zeros((300, 4)),
        record_stride=1,
    )
    reference, compiled = run_both(arguments, n_threads)
    steps_run = reference[0][0]
    assert 0 < steps_run < 200
    assert compiled[0] == reference[0]
    np.testing.assert_allclose(compiled[1]["params"], reference[1]["params"], rtol=1e-9)
    np.testing.assert_allclose(
        compiled[1]["losses_out"][: steps_run + 1], reference[1]["losses_out"][: steps_run + 1], rtol=1e-9
    )


def test_threads_split_the_sums_and_give_the_same_run_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.import_module("sgdcore.backends"), "usable_cores", lambda: 2)  # on any machine
    data = dataset(3000, 40, np.float64, 3)
    config = TrainConfig(learning_rate=0.01, batch_size=64, epochs=2, momentum=0.9, seed=4, backend="numba")
    one, two, two_again = (last(data, replace(config, n_threads=threads)) for threads in (1, 2, 2))
    assert two.notices == ()
    # The same config gives the same run, bit for bit...
    np.testing.assert_array_equal(two.trajectory, two_again.trajectory)
    assert two.epoch_train_loss.tolist() == two_again.epoch_train_loss.tolist()
    # ... and two threads sum each minibatch in another order than one: equal to rounding, not to the bit.
    assert not np.array_equal(two.trajectory, one.trajectory)
    np.testing.assert_allclose(two.trajectory, one.trajectory, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(two.minibatch_loss, one.minibatch_loss, rtol=1e-12)


def test_more_threads_than_cores_trains_on_the_cores_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.import_module("sgdcore.backends"), "usable_cores", lambda: 1)
    data = dataset(500, 5, np.float64, 0)
    config = TrainConfig(batch_size=50, epochs=2, backend="numba")
    asked_for_four = last(data, replace(config, n_threads=4))
    assert asked_for_four.notices == ("n_threads=4 asked for, but this process may use 1 core: training on 1.",)
    np.testing.assert_array_equal(asked_for_four.trajectory, last(data, config).trajectory)


@pytest.mark.parametrize("epochs", [2, 10])  # 10 is long enough to take the losses from the quadratic form
@pytest.mark.parametrize(("backend", "n_threads"), [("numba", 1), ("numba", 2), ("numpy", 2)])
def test_training_runs_blas_on_one_thread_and_leaves_the_caller_its_own(
    monkeypatch: pytest.MonkeyPatch, epochs: int, backend: str, n_threads: int
) -> None:
    # A BLAS worker left spinning after a call would share a core with a kernel thread, or with a
    # dashboard's server: every BLAS call of a run sees one thread. On several kernel threads the loss
    # passes run on those threads instead. The caller's own setting holds between snapshots and after.
    def blas_threads() -> list[int]:
        return [library["num_threads"] for library in threadpool_info() if library["user_api"] == "blas"]

    losses = importlib.import_module("sgdcore.losses")
    monkeypatch.setattr(importlib.import_module("sgdcore.backends"), "usable_cores", lambda: 2)
    calls: dict[str, list] = {"full_loss": [], "quadratic_loss": [], "sgd_step": []}
    for module, name in ((losses, "full_loss"), (losses, "quadratic_loss"), (kernels, "sgd_step")):
        original = getattr(module, name)

        def record(*arguments, name=name, original=original, **options):
            calls[name].append(blas_threads())
            return original(*arguments, **options)

        monkeypatch.setattr(module, name, record)
    data = dataset(200, 3, np.float64, 0)
    config = TrainConfig(batch_size=20, epochs=epochs, n_threads=n_threads, backend=backend)
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        between = []
        for snapshot in sgdcore.train(data, config, report_every=0.0):
            between.append((snapshot, blas_threads()))
        after = blas_threads()
    progress = between[-1][0]
    assert progress.status == "finished" and progress.backend == backend and progress.notices == ()
    assert before and before != [1] * len(before)
    assert after == before and [threads for _, threads in between] == [before] * len(between)
    one = [1] * len(before)
    quadratic = epochs > losses.quadratic_setup_passes(200, 3)
    assert calls["quadratic_loss"] == ([one] if quadratic else [])
    assert calls["sgd_step"] == ([one] * progress.step if backend == "numpy" else [])
    if n_threads == 1 or backend == "numpy":  # the initial loss, then the centre's or one per epoch, with BLAS
        assert calls["full_loss"] == [one] * (2 if quadratic else 1 + epochs)
    else:
        assert calls["full_loss"] == []
        reference = last(data, replace(config, backend="numpy"))
        np.testing.assert_allclose(progress.epoch_train_loss, reference.epoch_train_loss, rtol=RTOL)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_rows", [1, 2, 3, 7, 1000])
@pytest.mark.parametrize("n_threads", [1, 2, 3, 4])
def test_the_compiled_loss_pass_equals_full_loss(dtype: type, n_rows: int, n_threads: int) -> None:
    data = dataset(n_rows, 5, dtype, n_rows)
    params = np.random.default_rng(n_threads).normal(size=6)
    expected = sgdcore.full_loss(data, params)
    assert _compiled.full_loss(data.X, data.y, params, n_threads) == pytest.approx(expected, rel=1e-12, abs=0)
    # the same every time: slices summed in order
    assert _compiled.full_loss(data.X, data.y, params, n_threads) == _compiled.full_loss(data.X, data.y, params,
                                                                                          n_threads)


@pytest.mark.parametrize("bad", [1e200, np.nan])
def test_the_compiled_loss_pass_is_inf_when_the_loss_is_not_a_number(bad: float) -> None:
    data = dataset(50, 3, np.float64, 0)
    params = np.array([bad, 1.0, 1.0, 0.0])
    assert sgdcore.full_loss(data, params) == math.inf
    assert _compiled.full_loss(data.X, data.y, params, 2) == math.inf


def test_training_diverges_at_the_same_step_on_both_backends() -> None:
    data = dataset(60, 2, np.float64, 0)
    runs = [last(data, TrainConfig(learning_rate=8.0, batch_size=4, epochs=5, backend=backend))
            for backend in ("numpy", "numba")]
    assert [run.status for run in runs] == ["diverged", "diverged"]
    assert runs[0].diverged_at_step == runs[1].diverged_at_step
    assert runs[0].message == runs[1].message


@pytest.mark.parametrize("n_rows", [
    0, 1, 2, 3, 17,
    # the compiled shuffle draws its numbers SWAPS_AHEAD swaps early: fewer swaps than that, exactly as many, more
    _compiled.SWAPS_AHEAD, _compiled.SWAPS_AHEAD + 1, _compiled.SWAPS_AHEAD + 2,
    kernels.UNIFORMS_PER_DRAW + 2, 2 * kernels.UNIFORMS_PER_DRAW + 1,
])
def test_both_shuffles_give_the_same_order(n_rows: int) -> None:
    reference_rng, compiled_rng = np.random.default_rng(n_rows), np.random.default_rng(n_rows)
    reference = kernels.permutation(n_rows, reference_rng)
    compiled = _compiled.permutation(n_rows, compiled_rng)
    np.testing.assert_array_equal(compiled, reference)
    np.testing.assert_array_equal(np.sort(compiled), np.arange(n_rows))
    assert compiled.dtype == np.intp
    # The compiled shuffle draws from the caller's generator: the next epoch's order matches too.
    assert compiled_rng.bit_generator.state == reference_rng.bit_generator.state


@pytest.mark.parametrize(("n_rows", "block_size"), [(1, 1), (2, 5), (10, 4), (23, 4), (64, 8), (5000, 1024), (7, 1)])
def test_both_blocks_orders_are_the_same(n_rows: int, block_size: int) -> None:
    reference_rng, compiled_rng = np.random.default_rng(n_rows), np.random.default_rng(n_rows)
    for _ in range(3):  # consecutive epochs from one generator
        reference = kernels.block_order(n_rows, block_size, reference_rng)
        compiled = _compiled.block_order(n_rows, block_size, compiled_rng)
        np.testing.assert_array_equal(compiled, reference)
        assert compiled.dtype == np.intp
        assert compiled_rng.bit_generator.state == reference_rng.bit_generator.state


# Without Numba


@pytest.fixture
def no_numba(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``from sgdcore import _compiled`` fail as it does where Numba is missing."""
    monkeypatch.setitem(sys.modules, "sgdcore._compiled", None)
    monkeypatch.delattr(sgdcore, "_compiled", raising=False)


def test_a_numba_that_imports_but_cannot_compile_falls_back_too(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> float:
        raise RuntimeError("LLVM ERROR: cannot select intrinsic")

    monkeypatch.setattr(_compiled, "warm_up", broken)
    backend, notice = select_kernel("auto")
    assert backend == NUMPY_BACKEND
    assert (backend.name, backend.run_steps, backend.permutation, backend.block_order) == (
        "numpy", kernels.run_steps, kernels.permutation, kernels.block_order)
    assert "cannot select intrinsic" in notice and "NumPy" in notice
    progress = last(dataset(50, 2, np.float64, 0), TrainConfig(batch_size=5, epochs=1))
    assert progress.backend == "numpy" and progress.status == "finished"
    with pytest.raises(ConfigError, match="Numba is unavailable"):
        select_kernel("numba")


def test_auto_falls_back_to_numpy_with_a_notice(no_numba) -> None:
    backend, notice = select_kernel("auto")
    assert backend.run_steps is kernels.run_steps and backend.permutation is kernels.permutation
    assert backend.block_order is kernels.block_order
    assert backend.name == "numpy"
    assert "NumPy" in notice


def test_training_without_numba_works_and_says_so_once(no_numba) -> None:
    data = dataset(50, 2, np.float64, 0)
    snapshots = list(sgdcore.train(data, TrainConfig(batch_size=5, epochs=2), report_every=1e-4))
    *_, notice = select_kernel("auto")
    assert snapshots[-1].status == "finished"
    for progress in snapshots:
        assert progress.backend == "numpy"
        assert progress.notices.count(notice) == 1
    expected = last(data, TrainConfig(batch_size=5, epochs=2, backend="numpy"))
    np.testing.assert_array_equal(snapshots[-1].weights, expected.weights)


def test_asking_for_numba_without_it_is_an_error(no_numba) -> None:
    with pytest.raises(ConfigError, match="backend='numba'"):
        list(sgdcore.train(dataset(50, 2, np.float64, 0), TrainConfig(backend="numba")))


def test_numba_is_used_when_available_without_a_notice() -> None:
    progress = last(dataset(50, 2, np.float64, 0), TrainConfig(batch_size=5, epochs=1))
    assert progress.backend == "numba"
    assert progress.notices == ()


# Compiling


def test_warm_up_returns_its_seconds_and_compiles_nothing_the_second_time() -> None:
    first = _compiled.warm_up()
    assert isinstance(first, float) and first >= 0
    shuffles = importlib.import_module("sgdcore._shuffles")  # the compiled backend's shuffles live there
    functions = [value for module in (_compiled, shuffles) for value in vars(module).values()
                 if isinstance(value, numba.core.dispatcher.Dispatcher)]
    compiled = {function.py_func.__name__: list(function.signatures) for function in functions}
    assert all(compiled[entry] for entry in ("_chunk", "_fisher_yates", "_fill_blocks")), compiled  # called directly
    started = time.perf_counter()
    second = _compiled.warm_up()
    assert 0 <= second <= time.perf_counter() - started  # the seconds it took…
    assert {function.py_func.__name__: list(function.signatures) for function in functions} == compiled  # …no compiling


def test_warm_up_runs_nothing_once_it_has_run_in_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every train() calls warm_up(): after the first call it must not run its tiny kernels again (0.2 ms a run)."""
    _compiled.warm_up()
    calls = []
    for name in ("run_steps", "permutation", "block_order"):
        monkeypatch.setattr(_compiled, name, lambda *args, name=name, **kwargs: calls.append(name))
    assert _compiled.warm_up() >= 0
    assert calls == []


@pytest.mark.parametrize("user_cache", ["writable", "unwritable"])
def test_the_cache_lives_outside_the_package_and_its_absence_is_neither_an_error_nor_a_warning(
    tmp_path: Path, user_cache
) -> None:
    # A deployed app's directory is never written to: Numba caches in the user's cache directory, and if
    # that is unwritable too (here: a path below a file, which stops even root), compiles without a cache.
    shutil.copytree(REPO / "sgdcore", tmp_path / "sgdcore", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "blocked").write_text("not a directory")
    if user_cache == "unwritable":  # the package's own __pycache__ is unusable too
        (tmp_path / "sgdcore" / "__pycache__").write_text("not a directory")
    user_cache_dir = tmp_path / ("cache" if user_cache == "writable" else "blocked/cache")
    environment = {name: value for name, value in os.environ.items() if not name.startswith("NUMBA_")}
    environment.update(PYTHONPATH=str(tmp_path), XDG_CACHE_HOME=str(user_cache_dir), PYTHONDONTWRITEBYTECODE="1")
    script = textwrap.dedent("""
        import numpy as np
        from sgdcore import _compiled, kernels
        print(_compiled.run_steps(kernels.Minibatches(np.ones((4, 1)), np.ones(4), np.arange(4), 4, 2),
                                  kernels.Chunk(0, 0, np.full(2, 0.1)), np.zeros(2), np.zeros(2),
                                  kernels.StepRule(), 1e9, kernels.Records(np.empty(2), np.empty((2, 2)), 1, 0)))
    """)
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script], cwd=tmp_path, env=environment,
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (result.stdout.strip(), result.stderr) == ("(2, 2)", "")
    if user_cache == "writable":
        assert any((user_cache_dir / "sgdcore" / "numba").rglob("*.nbi")), "Numba should cache in the user's directory"
        assert not list((tmp_path / "sgdcore").rglob("*.nb*")), "nothing may be written into the package"

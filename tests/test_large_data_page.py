"""The Data page's "Large data (Dask)" source, and the pages that train on it, against a real local cluster.

The cluster is sgdcore.distributed's embedded one (worker processes on 127.0.0.1), started for the module by
the ``local_cluster`` fixture (tests/conftest.py) and closed by it; the files are small Parquet and CSV files
written to ``tmp_path``.
"""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import dask
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.linear_model import LinearRegression
from streamlit.testing.v1 import AppTest
from test_app_pages import button, no_exceptions
from test_distributed import dask_cluster

import sgdcore
from sgdcore import distributed
from sgdcore.stability import noise_scale
from ui.datasets import DASK_KEY
from ui.large_data import LargeProblem
from ui.runner import TRAIN_RUN

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 180


@pytest.fixture(autouse=True)
def not_on_cloud(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SGD_DASHBOARD_CLOUD", "0")


def regression(n_rows: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 2))
    frame = pd.DataFrame(X, columns=["x0", "x1"])
    frame["y"] = X @ np.array([2.0, -3.4]) + 4.2 + rng.normal(scale=0.01, size=n_rows)
    return frame


def two_parquet_files(folder: Path) -> tuple[str, pd.DataFrame]:
    frame = regression()
    for index, part in enumerate((frame.iloc[:200], frame.iloc[200:])):
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), folder / f"part{index}.parquet",
                       row_group_size=100)
    return str(folder / "*.parquet"), frame


def partition_bound(part: pd.DataFrame, batch_size: int) -> float:
    """2/(λ_max + c·β) of one partition's rows: plain SGD's proven stable rate for batches drawn from them."""
    A = np.column_stack((part[["x0", "x1"]].to_numpy(), np.ones(len(part))))
    beta = float(np.max(np.sum(A**2, axis=1)))
    return 2 / (float(np.linalg.eigvalsh(A.T @ A / len(A))[-1]) + noise_scale(len(A), batch_size) * beta)


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT).run()


def large_data_page(at: AppTest, path: str, scheduler: str = "") -> AppTest:
    at = at.switch_page("pages/data.py").run()
    at.radio(key="keep_data_page_source").set_value("dask").run()
    at.text_input(key="keep_dask_scheduler").set_value(scheduler).run()
    at.text_input(key="keep_dask_path").set_value(path).run()
    no_exceptions(at)
    return at


def errors(at: AppTest) -> list[str]:
    return [error.value for error in at.error]


def test_parquet_files_become_the_data_every_page_trains_on(local_cluster: object, tmp_path: Path) -> None:
    path, frame = two_parquet_files(tmp_path)
    at = large_data_page(app(), path)
    assert any("2 PARQUET files" in caption.value and "4 partitions" in caption.value for caption in at.caption)
    at = button(at, "Read the files").click().run()
    no_exceptions(at)
    assert not errors(at)
    assert any("400 rows read in 4 partitions" in caption.value for caption in at.caption)
    at = button(at, "Use this dataset").click().run()
    no_exceptions(at)
    assert at.session_state["data_source"] == "dask"
    assert any("Every page trains on it now" in success.value for success in at.success)

    problem = at.session_state[DASK_KEY]["problem"]
    reference = LinearRegression().fit(frame[["x0", "x1"]], frame["y"])
    np.testing.assert_allclose(problem.optimum.weights, reference.coef_, rtol=1e-9)
    # β is the largest squared row norm over all rows (bias included), not over the sample.
    assert problem.largest_squared_row == pytest.approx(float((frame[["x0", "x1"]] ** 2).sum(axis=1).max()) + 1)

    # The limits from the statistics: the full-batch one exact, the minibatch one a proven lower bound of the exact
    # limit that sgdcore computes from the rows in memory for batches drawn from each partition's 100 rows (for
    # plain SGD, the lowest of the partitions' 2/(λ_max + c·β), each from its own rows).
    rows = sgdcore.dataset_from_frame(frame, "y")
    for batch_size in (1, 10, 400):
        limits = problem.limits(sgdcore.TrainConfig(batch_size=batch_size))
        exact = sgdcore.minibatch_stability_limit(rows, batch_size, block_size=100)
        assert limits.full_batch == pytest.approx(exact.full_batch, rel=1e-9)
        assert limits.minibatch.learning_rate <= exact.learning_rate * (1 + 1e-9)
        if batch_size < 400:
            assert limits.minibatch.learning_rate == pytest.approx(min(partition_bound(frame.iloc[start:start + 100],
                                                                                       batch_size)
                                                                       for start in range(0, 400, 100)), rel=1e-6)
        assert limits.minibatch.kind == ("exact" if batch_size == 400 else "lower_bound")

    # Before a run, the epochs it needs from the statistics: its mean from the starting point, direction by direction,
    # as with the rows in memory (where the noise floor, tiny at this rate, is left its room as well).
    slow = sgdcore.TrainConfig(learning_rate=0.001, batch_size=10, epochs=1)
    ahead = problem.outlook(slow, problem.limits(slow))
    in_memory = sgdcore.make_problem(rows, test_fraction=0)
    flattest = 1 - 0.001 * float(np.linalg.eigvalsh(in_memory.quadratic.hessian)[0])
    assert ahead.per_step == pytest.approx(flattest, rel=1e-9) and not ahead.arrives
    assert ahead.epochs_needed_from == "error"
    assert ahead.epochs_needed == pytest.approx(sgdcore.outlook(in_memory, slow).epochs_needed, rel=1e-3)
    assert [(fix.setting, fix.value) for fix in ahead.suggestions][-1] == ("epochs", math.ceil(ahead.epochs_needed))

    at = at.switch_page("pages/train.py").run()
    no_exceptions(at)
    assert any("Large data on a Dask cluster" in caption.value for caption in at.caption)
    at.sidebar.number_input(key="batch_size").set_value(400).run()
    at.sidebar.number_input(key="epochs").set_value(60).run()
    at.sidebar.select_slider(key="learning_rate").set_value(0.5).run()
    at = button(at, "Train").click().run()
    no_exceptions(at)
    assert any(success.value.startswith("Finished 60 epochs") and "At the closed form" in success.value
               for success in at.success), [m.value for m in (*at.success, *at.warning, *at.error, *at.info)]
    assert any(table.value.shape[0] == 3 for table in at.table)  # SGD against the closed form: x0, x1, bias

    at.session_state["learning_rate_page_epochs"] = 3  # each epoch of each run is a pass over the files
    at.session_state["batch_size_page_epochs"] = 2
    for page, label in (("learning_rate", "Train all"), ("batch_size", "Train all")):
        at = at.switch_page(f"pages/{page}.py").run()
        assert any("passes over the files" in caption.value for caption in at.caption)
        no_exceptions(at)
        at = button(at, label).click().run()
        no_exceptions(at)
        assert at.table, f"{page}: no table of runs"
    trained = at.session_state[TRAIN_RUN]["progress"]
    at = at.switch_page("pages/export.py").run()
    no_exceptions(at)
    assert at.get("download_button")
    # Predict: the starting row (the sample's means) as the whole data's closed form and the run predict it.
    rows = at.data_editor[0].value
    shown = next(frame.value for frame in at.dataframe if "closed_form" in frame.value.columns
                 and "x0" in frame.value.columns)
    assert rows.columns.tolist() == ["x0", "x1"]
    assert shown["closed_form"].iloc[0] == pytest.approx(reference.predict(rows)[0], rel=1e-9)
    assert shown["sgd"].iloc[0] == pytest.approx(float(rows.iloc[0] @ trained.weights + trained.bias), rel=1e-12)
    # A file of rows (the first three of the data, its target beside them) loads into the grid, predicted alike.
    at = at.file_uploader[0].set_value(("rows.csv", frame.head(3).to_csv(index=False).encode(), "text/csv")).run()
    no_exceptions(at)
    rows = at.data_editor[0].value
    pd.testing.assert_frame_equal(rows, frame.head(3).astype(float))  # the target beside the inputs, read-only
    shown = next(frame.value for frame in at.dataframe if "closed_form" in frame.value.columns
                 and "x0" in frame.value.columns)
    np.testing.assert_allclose(shown["closed_form"], reference.predict(rows[["x0", "x1"]]), rtol=1e-9)
    # The run as code reads the same files on a cluster of its own and prints the same weights, bit for bit.
    # Its closing lines, uncommented, predict a file's rows as the page does.
    script = next(code.value for code in at.code if "distributed.train" in code.value)
    code, closing = script.split("# import pandas as pd")
    (tmp_path / "run.py").write_text(code + "import pandas as pd" + closing.replace("    # ", "    "))
    frame.head(3).to_csv(tmp_path / "new rows.csv", index=False)
    printed = subprocess.run([sys.executable, "run.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True).stdout
    assert f"weights: {trained.weights.tolist()}" in printed and f"bias: {trained.bias}" in printed, printed
    np.testing.assert_allclose(pd.read_csv(tmp_path / "predictions.csv")["prediction"], shown["sgd"], rtol=1e-12)


def test_a_csv_line_that_does_not_parse_is_named_and_keeps_the_data_in_use(local_cluster: object,
                                                                           tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x,y\n1,2\n2,4\n3,6\n")
    (tmp_path / "b.csv").write_text("x,y\n1,2\n2,4,5\n3,6\n")
    at = large_data_page(app(), str(tmp_path / "*.csv"))
    at = button(at, "Read the files").click().run()
    no_exceptions(at)
    assert any(error.startswith("b.csv: ") and "line 3 " in error for error in errors(at)), errors(at)
    assert any("Nothing changed" in caption.value or "still" in caption.value.lower() for caption in at.caption)
    assert at.session_state["data_source"] == "synthetic"


def test_a_missing_target_value_and_a_bad_path_are_said(local_cluster: object, tmp_path: Path) -> None:
    at = large_data_page(app(), str(tmp_path / "nothing" / "*.parquet"))
    assert any("No CSV or Parquet files" in error or "No file or folder" in error for error in errors(at)), errors(at)
    (tmp_path / "c.csv").write_text("x,y\n1,2\n2,5\n3,6\n4,9\n5,\n")
    at = large_data_page(app(), str(tmp_path / "c.csv"))
    at = button(at, "Read the files").click().run()
    assert any("missing value" in error.lower() and "c.csv, line 6" in error for error in errors(at)), errors(at)


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_scheduler_is_said_and_the_data_in_use_stays(tmp_path: Path) -> None:
    path, _ = two_parquet_files(tmp_path)
    address = f"tcp://127.0.0.1:{unused_port()}"
    at = large_data_page(app(), path, scheduler=address)
    at = button(at, "Read the files").click().run()
    no_exceptions(at)
    assert any("No Dask scheduler answers" in error and address in error for error in errors(at)), errors(at)
    assert at.session_state["data_source"] == "synthetic"
    assert DASK_KEY not in at.session_state


def test_on_cloud_without_a_scheduler_the_source_explains_what_it_needs(monkeypatch: pytest.MonkeyPatch,
                                                                        tmp_path: Path) -> None:
    monkeypatch.setenv("SGD_DASHBOARD_CLOUD", "1")
    monkeypatch.delenv(distributed.SCHEDULER_VARIABLE, raising=False)
    clients = dict(distributed._clients)
    at = large_data_page(app(), str(tmp_path / "*.parquet"))
    assert any("Community Cloud" in info.value and "scheduler" in info.value for info in at.info)
    assert not [b for b in at.button if b.label == "Read the files"]
    assert distributed._clients == clients  # no cluster was started or connected to


def ill_scaled_problem(client: object, folder: Path) -> tuple[LargeProblem, sgdcore.Dataset]:
    """Noiseless data in two Parquet files, its second feature 3 times the first's scale (κ about 9: the steep
    direction is gone within a few epochs at a small rate, the flat one is not), read on the cluster as the Data page
    reads it; and the same rows in memory."""
    frame = regression()
    frame["x1"] *= 3.0
    frame["y"] = frame[["x0", "x1"]].to_numpy() @ np.array([2.0, -3.4]) + 4.2
    for index, part in enumerate((frame.iloc[:200], frame.iloc[200:])):
        part.to_parquet(folder / f"part{index}.parquet")
    data = distributed.load(str(folder / "*.parquet"), "y", client=client)
    rows = sgdcore.dataset_from_frame(frame, "y")
    largest = float((frame[["x0", "x1"]] ** 2).sum(axis=1).max()) + 1
    optimum = distributed.closed_form(data, "auto", client=client)
    return LargeProblem(data, optimum, largest, rows, "", (largest,)), rows


@pytest.mark.parametrize("settings", [{}, {"weight_decay": 0.3}, {"momentum": 0.5},
                                      {"schedule": sgdcore.Schedule("exponential", gamma=0.5, step_size=500)}],
                         ids=["plain", "weight decay", "momentum", "decaying rate"])
def test_a_far_run_on_large_data_is_told_the_epochs_it_needs_and_arrives_after_them(local_cluster: object,
                                                                                   tmp_path: Path,
                                                                                   settings: dict) -> None:
    """Full batches, so that the run is its mean: six epochs at a rate a fifth of the limit leave it far, and the
    verdict from the statistics counts the epochs still needed from where it stands, as sgdcore.diagnose does with
    the rows in memory. Trained that far in all, the run is within ARRIVED of its target; halfway, it is not. (A rate
    measured over the run is its steep directions', gone soon after: it told the plain run 40 more epochs, after
    which it was still 33% away.)"""
    problem, rows = ill_scaled_problem(local_cluster, tmp_path)
    in_memory = sgdcore.make_problem(rows, test_fraction=0)

    def trained(epochs: int) -> sgdcore.Progress:
        config = sgdcore.TrainConfig(learning_rate=0.02, batch_size=400, epochs=epochs, **settings)
        return list(problem.runs(config))[-1]

    config = sgdcore.TrainConfig(learning_rate=0.02, batch_size=400, epochs=6, **settings)
    progress, limits = trained(6), problem.limits(config)
    verdict = problem.diagnose(config, progress, limits)
    assert verdict.verdict == "far_from_optimum" and verdict.relative_distance > 0.3
    expected = sgdcore.diagnose(in_memory, config, progress)
    assert verdict.epochs_needed_from == expected.epochs_needed_from
    assert verdict.epochs_needed == pytest.approx(expected.epochs_needed, rel=1e-6)
    assert verdict.contraction_per_epoch == pytest.approx(expected.contraction_per_epoch, rel=1e-6)
    assert verdict.measured_gap == expected.measured_gap
    total = next(fix.value for fix in verdict.suggestions if fix.setting == "epochs")
    assert total == 6 + math.ceil(verdict.epochs_needed)
    arrived, halfway = (problem.diagnose(config, trained(epochs), limits).relative_distance
                        for epochs in (total, 6 + math.ceil(verdict.epochs_needed / 2)))
    assert arrived <= sgdcore.diagnosis.ARRIVED < halfway, (arrived, halfway)


@pytest.mark.parametrize("settings", [{}, {"momentum": 0.9}, {"schedule": sgdcore.Schedule("cosine")},
                                      {"schedule": sgdcore.Schedule("exponential", gamma=0.5, step_size=100)}],
                         ids=["plain", "momentum", "cosine", "decaying too fast"])
def test_the_epochs_a_run_on_large_data_needs_are_told_before_it_and_it_arrives_after_them(local_cluster: object,
                                                                                          tmp_path: Path,
                                                                                          settings: dict) -> None:
    """Before a run, from the statistics: its mean followed from the starting point, as sgdcore.outlook follows it
    with the rows in memory (full batches: no noise floor to leave room for), at the rates a schedule gives. A run of
    that many epochs arrives within ARRIVED; a schedule whose rate decays first is told so, with the constant one
    offered. (From the flattest direction's factor at the first rate, the cosine was told 231 epochs, and a run of
    231 ended 8% away; the exponential decay, 231, where its rates add up to too little ever to arrive.)"""
    problem, rows = ill_scaled_problem(local_cluster, tmp_path)
    config = sgdcore.TrainConfig(learning_rate=0.02, batch_size=400, epochs=5, **settings)
    ahead = problem.outlook(config, problem.limits(config))
    expected = sgdcore.outlook(sgdcore.make_problem(rows, test_fraction=0), config)
    assert ahead.epochs_needed_from == expected.epochs_needed_from != "slowest"
    assert ahead.epochs_needed == pytest.approx(expected.epochs_needed, rel=1e-9)
    fixes = [(fix.setting, fix.value) for fix in ahead.suggestions]
    # A larger rate is judged, as with the rows, only where the rate stays constant: offered where the run's five
    # epochs at it end nearer, and not where they would not.
    rates = [value for setting, value in fixes if setting == "learning_rate"]
    if config.schedule.constant_rate:
        limits = problem.limits(config)
        rate = sgdcore.round_down(0.5 * limits.minibatch.learning_rate)
        ends = [problem.diagnose(run, list(problem.runs(run))[-1], limits).relative_distance
                for run in (config, replace(config, learning_rate=rate))]
        assert rates == ([rate] if ends[1] < ends[0] else []), (rates, ends)
    else:
        assert not rates
    if math.isinf(ahead.epochs_needed):
        assert ("schedule", "constant") in fixes and not any(setting == "epochs" for setting, _ in fixes)
        return
    epochs = math.ceil(ahead.epochs_needed)
    assert ("epochs", epochs) in fixes
    run = replace(config, epochs=epochs)
    *_, progress = problem.runs(run)
    assert problem.diagnose(run, progress, problem.limits(run)).relative_distance <= sgdcore.diagnosis.ARRIVED


def test_a_file_sorted_by_a_feature_is_quoted_the_limit_of_its_partitions_batches(local_cluster: object,
                                                                                    tmp_path: Path) -> None:
    """Each batch comes from one partition's rows: a file sorted by x0 puts its largest x0 in one partition, far
    more curved than the whole. The whole's bound (1.43 at batch size 50) was quoted as proven, and runs at 0.9 times
    it diverged; the partitions' lowest bound holds."""
    frame = regression(4000).sort_values("x0", ignore_index=True)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "sorted.parquet",
                   row_group_size=1000)
    at = button(large_data_page(app(), str(tmp_path / "sorted.parquet")), "Read the files").click().run()
    at = button(at, "Use this dataset").click().run()
    no_exceptions(at)
    problem = at.session_state[DASK_KEY]["problem"]
    config = sgdcore.TrainConfig(batch_size=50, epochs=3)
    limit = problem.limits(config).minibatch
    whole = 2 / (problem.curvature.lambda_max + noise_scale(4000, 50) * problem.largest_squared_row)
    assert limit.learning_rate < 0.6 * whole
    assert limit.learning_rate == pytest.approx(min(partition_bound(frame.iloc[start:start + 1000], 50)
                                                    for start in range(0, 4000, 1000)), rel=1e-6)

    def status(rate: float) -> str:
        return list(problem.runs(replace(config, learning_rate=rate), report_every=1e9))[-1].status

    assert status(0.9 * whole) == "diverged" and status(0.9 * limit.learning_rate) == "finished"


def test_one_file_of_one_partition_is_counted_in_the_singular_and_kappa_is_the_sidebars(local_cluster: object,
                                                                                          tmp_path: Path) -> None:
    regression(50).to_csv(tmp_path / "one.csv", index=False)
    at = large_data_page(app(), str(tmp_path / "one.csv"))
    listed = [caption.value for caption in at.caption if "CSV file" in caption.value]
    assert listed and "1 partition, 3 columns." in listed[0] and "partitions" not in listed[0], listed
    at = button(at, "Read the files").click().run()
    no_exceptions(at)
    assert any("50 rows read in 1 partition; condition number κ of the Hessian [X 1]ᵀ[X 1]/n: " in caption.value
               for caption in at.caption), [caption.value for caption in at.caption]


@pytest.mark.timeout(400)
def test_workers_that_cannot_import_sgdcore_are_said_and_the_data_in_use_stays(tmp_path: Path) -> None:
    path, _ = two_parquet_files(tmp_path)
    with dask_cluster(workers=1, sgdcore_importable=False, cwd=tmp_path) as (address, _):
        try:
            at = button(large_data_page(app(), path, scheduler=address), "Read the files").click().run()
        finally:
            forget_client(address)
    no_exceptions(at)
    assert any("cannot import sgdcore" in error and "No module named 'sgdcore'" in error and "pip install ." in error
               and address in error for error in errors(at)), errors(at)
    assert any("Nothing changed" in caption.value or "still" in caption.value.lower() for caption in at.caption)
    assert at.session_state["data_source"] == "synthetic" and DASK_KEY not in at.session_state


@pytest.mark.timeout(600)
def test_a_cluster_that_loses_its_workers_then_its_scheduler_is_said_on_train(tmp_path: Path) -> None:
    """No worker left: the run is paused at its last complete epoch and the error says what to do, within Dask's
    no-workers-timeout; then no scheduler: said at once (the port refuses). Never the "Training…" alert beside it."""
    path, _ = two_parquet_files(tmp_path)
    with dask_cluster(workers=1) as (address, processes), \
            dask.config.set({"distributed.scheduler.no-workers-timeout": "2s"}):
        try:
            at = button(large_data_page(app(), path, scheduler=address), "Read the files").click().run()
            at = button(at, "Use this dataset").click().run()
            at = at.switch_page("pages/train.py").run()
            at.sidebar.number_input(key="epochs").set_value(40).run()
            no_exceptions(at)
            processes[-1].kill()
            processes[-1].wait()
            for said in ("has no worker left", "No Dask scheduler answers"):
                started = time.monotonic()
                at = button(at, "Train").click().run()
                assert time.monotonic() - started < 60, said
                no_exceptions(at)
                assert any(said in error and address in error for error in errors(at)), errors(at)
                assert not [info.value for info in at.info if info.value.startswith("Training")]
                run = at.session_state[TRAIN_RUN]["progress"]
                assert (run.status, run.epoch, run.batch_in_epoch) == ("stopped", 0, 0)
                processes[0].kill()
                processes[0].wait()
        finally:
            forget_client(address)


def forget_client(address: str) -> None:
    """Close the client the page opened on a cluster this test started, and forget it."""
    client = distributed._clients.pop(address, None)
    if client is not None:
        client.close()


def test_files_of_one_column_ask_for_a_feature_column_in_the_files_not_on_the_page(local_cluster: object,
                                                                                  tmp_path: Path) -> None:
    (tmp_path / "y.csv").write_text("y\n1\n2\n3\n4\n")
    at = large_data_page(app(), str(tmp_path / "y.csv"))
    assert any(error.startswith("The files have a single column, 'y': least squares needs at least one more")
               for error in errors(at)), errors(at)
    assert not at.multiselect, "nothing to choose among the features"
    assert at.session_state["data_source"] == "synthetic"

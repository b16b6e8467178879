"""The "Large data (Dask)" source in a real browser: a glob of two Parquet files, read on the local cluster the
server starts, used by every page, trained on the Train page and compared with the closed form."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from browser_helpers import alert, assert_no_exception, click_nav, main, read_table, to_float, wait_for_app
from playwright.sync_api import expect

WEIGHTS, BIAS = (2.0, -3.4), 4.2
# Full-batch gradient descent at half the limit 2/λ_max (λ_max ≈ 1 for these features): within 1% in 60 epochs.
SETTINGS = "?epochs=60&learning_rate=0.5&batch_size=400"
CLUSTER_START_MS = 120_000  # the first use starts the local cluster's worker processes


def two_parquet_files(folder: Path, scales: tuple[float, float] = (1.0, 1.0), noise: float = 0.01) -> str:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 2)) * scales
    frame = pd.DataFrame(X, columns=["x0", "x1"])
    frame["y"] = X @ np.array(WEIGHTS) + BIAS + rng.normal(scale=noise, size=400)
    for index, part in enumerate((frame.iloc[:200], frame.iloc[200:])):
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), folder / f"part{index}.parquet",
                       row_group_size=100)
    return str(folder / "*.parquet")


def read_on_the_cluster(page, glob: str) -> None:
    """On the Data page: Large data (Dask), the files, Read the files, Use this dataset; then the Train page."""
    body = main(page)
    body.get_by_text("Large data (Dask)").click()
    wait_for_app(page)
    field = body.get_by_role("textbox", name="Files: a file, a folder or a glob")
    field.fill(glob)
    field.press("Enter")
    expect(body.get_by_text("2 PARQUET files")).to_be_visible()
    wait_for_app(page)

    body.get_by_role("button", name="Read the files").click()
    expect(body.get_by_text("400 rows read in 4 partitions")).to_be_visible(timeout=CLUSTER_START_MS)
    wait_for_app(page)
    body.get_by_role("button", name="Use this dataset").click()
    expect(alert(body, "success")).to_contain_text("Every page trains on it now")
    wait_for_app(page)
    assert_no_exception(page)
    click_nav(page, "Train")
    expect(body.get_by_text("Large data on a Dask cluster")).to_be_visible()


def test_a_glob_of_parquet_files_is_read_on_the_cluster_and_trained_on(open_page, tmp_path: Path) -> None:
    page = open_page(f"/data{SETTINGS}")
    read_on_the_cluster(page, two_parquet_files(tmp_path))
    body = main(page)
    body.get_by_role("button", name="Train", exact=True).click()
    expect(alert(body, "success")).to_contain_text("Finished 60 epochs", timeout=CLUSTER_START_MS)
    wait_for_app(page)
    expect(alert(body, "success")).to_contain_text("At the closed form")
    assert_no_exception(page)
    table = read_table(body.locator('[data-testid="stTable"]').first)
    assert set(table) == {"x0", "x1", "bias"}
    for name, truth in zip(("x0", "x1", "bias"), (*WEIGHTS, BIAS), strict=True):
        sgd, closed_form = to_float(table[name]["SGD"]), to_float(table[name]["closed form"])
        assert abs(closed_form - truth) < 0.01, (name, closed_form)
        assert abs(sgd - closed_form) < 0.01 * max(1.0, abs(closed_form)), (name, sgd, closed_form)


def test_a_far_run_on_the_cluster_is_told_the_epochs_it_needs_and_arrives_after_them(open_page, tmp_path: Path) -> None:
    """Full batches at a tenth of the limit, six epochs: far, and the verdict counts the epochs from where the run
    stands. Its button sets them; Train goes on to them, and the run is at the closed form. (Told from the rate its
    loss fell at, the steep direction's, the button had said 46 epochs, after which the run was still 33% away.)"""
    glob = two_parquet_files(tmp_path, scales=(1.0, 3.0), noise=0.0)  # κ about 9: the steep direction goes first
    page = open_page("/data?epochs=6&learning_rate=0.02&batch_size=400")
    read_on_the_cluster(page, glob)
    body = main(page)
    body.get_by_role("button", name="Train", exact=True).click()
    verdict = alert(body, "warning").filter(has_text="Finished 6 epochs")
    expect(verdict).to_contain_text("But SGD is far from the closed form", timeout=CLUSTER_START_MS)
    more = int(re.search(r"about ([\d,]+) more epochs", verdict.inner_text()).group(1).replace(",", ""))
    body.get_by_role("button", name=f"Use {6 + more:,} epochs").click()
    wait_for_app(page)
    body.get_by_role("button", name="Train", exact=True).click()
    expect(alert(body, "success")).to_contain_text(f"Finished {6 + more:,} epochs", timeout=CLUSTER_START_MS)
    expect(alert(body, "success")).to_contain_text("At the closed form")
    assert_no_exception(page)

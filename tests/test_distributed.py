"""sgdcore.distributed against the in-memory engine and scikit-learn, on a local cluster and on a real one.

The local cluster is the one :func:`sgdcore.distributed.connect` starts with no configuration; the real one
is a ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1 that this file starts and stops.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import dask
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.linear_model import LinearRegression

import sgdcore
from sgdcore import distributed
from sgdcore.errors import DataError, Place
from sgdcore.io import notices
from ui.errors import error_text_in

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client(local_cluster: object) -> object:
    """The local cluster that connect() starts when SGD_DASHBOARD_SCHEDULER is not set (tests/conftest.py)."""
    return local_cluster


def regression(n_rows: int = 600, n_features: int = 3, seed: int = 0, offset: float = 50.0) -> pd.DataFrame:
    """Noisy linear data whose features have means far from 0 (what centred statistics are for)."""
    rng = np.random.default_rng(seed)
    X = offset + rng.normal(size=(n_rows, n_features)) * np.arange(1, n_features + 1)
    y = X @ rng.normal(size=n_features) + 3.0 + rng.normal(scale=0.5, size=n_rows)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(n_features)])
    frame["y"] = y
    return frame


def write_parquet(frame: pd.DataFrame, path: Path, rows_per_group: int) -> Path:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=rows_per_group)
    return path


def in_memory(frame: pd.DataFrame, target: str = "y") -> sgdcore.Dataset:
    return sgdcore.dataset_from_frame(frame, target)


def test_import_sgdcore_does_not_import_dask() -> None:
    code = "import sys, sgdcore; assert not any(m == 'dask' or m.startswith('dask.') for m in sys.modules), 'dask'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_the_local_cluster_serves_no_dashboard_and_its_health_on_a_free_port(client: object) -> None:
    """Not on Dask's 8787, which another cluster on the machine may hold (Dask then warns and takes another)."""
    port = client.scheduler_info()["services"]["dashboard"]
    assert port != 8787
    assert urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10).read() == b"ok"
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=10)
    assert missing.value.code == 404


def test_closed_form_equals_linear_regression(client: object, tmp_path: Path) -> None:
    frame = regression()
    data = distributed.load(write_parquet(frame, tmp_path / "data.parquet", 100), "y", client=client)
    assert (data.n_rows, data.n_features, data.n_partitions) == (600, 3, 6)
    assert data.feature_names == ("x0", "x1", "x2") and data.target_name == "y"
    reference = LinearRegression().fit(frame[["x0", "x1", "x2"]], frame["y"])
    for method in ("moments", "qr"):
        answer = distributed.closed_form(data, method, client=client)
        np.testing.assert_allclose(answer.weights, reference.coef_, rtol=1e-9)
        np.testing.assert_allclose(answer.bias, reference.intercept_, rtol=1e-9)


def test_statistics_give_the_in_memory_quadratic_curvature_and_loss(client: object, tmp_path: Path) -> None:
    frame = regression(seed=1)
    data = distributed.load(write_parquet(frame, tmp_path / "data.parquet", 64), "y", client=client)
    memory = sgdcore.quadratic_loss(in_memory(frame))
    np.testing.assert_allclose(data.quadratic.hessian, memory.hessian, rtol=1e-12)
    np.testing.assert_allclose(data.quadratic.linear, memory.linear, rtol=1e-12)
    np.testing.assert_allclose(data.quadratic.constant, memory.constant, rtol=1e-12)
    np.testing.assert_allclose(data.curvature.eigenvalues, sgdcore.curvature(memory.hessian).eigenvalues, rtol=1e-9)
    params = np.array([0.3, -0.2, 0.1, 2.0])
    expected = sgdcore.full_loss(in_memory(frame), params)
    assert data.loss(params[:-1], params[-1]) == pytest.approx(expected, rel=1e-10)
    # At the optimum the loss is a floor computed from centred sums, not a difference of large raw sums.
    optimum = distributed.closed_form(data, client=client)
    assert data.loss(optimum.weights, optimum.bias) == pytest.approx(
        sgdcore.full_loss(in_memory(frame), optimum.params), rel=1e-9)


def test_inspect_lists_the_files_columns_and_partitions_without_a_cluster(tmp_path: Path) -> None:
    frame = regression(n_rows=300)
    write_parquet(frame, tmp_path / "a.parquet", 100)
    write_parquet(frame, tmp_path / "b.parquet", 150)
    source = distributed.inspect(tmp_path)
    assert (source.format, source.files, source.columns) == ("parquet", ("a.parquet", "b.parquet"),
                                                             ("x0", "x1", "x2", "y"))
    assert source.n_partitions == 5
    frame.to_csv(tmp_path / "c.csv", index=False)
    with pytest.raises(DataError, match="both CSV and Parquet"):
        distributed.inspect(tmp_path)
    assert distributed.inspect(tmp_path / "c.csv", partition_bytes=2000).n_partitions > 5


@pytest.mark.parametrize(("encoding", "columns", "cities", "named"), [
    ("gbk", ["面积", "房龄", "楼层", "价格"], ["北京", "上海", "广州"], "Chinese, GBK (GB18030)"),
    ("cp950", ["面積", "屋齡", "樓層", "價格"], ["臺北", "高雄", "新竹"], "Traditional Chinese, Big5"),
], ids=["gbk", "big5"])
def test_chinese_files_saved_by_excel_are_read_as_chinese(client: object, tmp_path: Path, encoding: str,
                                                          columns: list[str], cities: list[str], named: str) -> None:
    """As a CSV in memory (sgdcore.io): Chinese saved by Excel on a Chinese Windows (GBK, or Big5 on a Traditional
    Chinese one) keeps its names, across byte ranges that cut its characters anywhere."""
    frame = regression(n_rows=600, seed=5).set_axis(columns, axis=1)
    frame.insert(0, "城市", cities * 200)
    frame.to_csv(tmp_path / "房价.csv", index=False, encoding=encoding)
    source = distributed.inspect(tmp_path / "房价.csv", partition_bytes=3001)
    assert source.columns == ("城市", *columns) and source.n_partitions > 5
    data = distributed.load(tmp_path / "房价.csv", columns[3], client=client, partition_bytes=3001,
                            non_numeric="drop")
    assert data.n_rows == 600 and data.feature_names == tuple(columns[:3])
    assert str(data.notices[0]) == (f"Read as {named}, not UTF-8: '房价.csv'. If their text looks garbled, save them "
                                    "again as UTF-8 and try again.")  # said as an upload's
    reference = LinearRegression().fit(frame[columns[:3]], frame[columns[3]])
    np.testing.assert_allclose(distributed.closed_form(data).weights, reference.coef_, rtol=1e-9)


def test_a_line_not_in_the_encoding_of_the_files_first_lines_is_named(client: object, tmp_path: Path) -> None:
    """The first lines decide the encoding (GBK here); a line further on, in another piece, that is not GBK text
    is named by its line, in the encoding's name an upload's notice uses."""
    from ui.errors import error_text_in

    rows = [f"{i},{i % 30},{300 + 7 * i}\n".encode() for i in range(12_000)]  # 150 kB: past the first lines read
    rows[10_999] = b"10999,\xff\xfe,1\n"  # line 11,001: two bytes GBK has no character for
    (tmp_path / "房价.csv").write_bytes("面积,房龄,价格\n".encode("gbk") + b"".join(rows))
    with pytest.raises(DataError) as raised:
        distributed.load(tmp_path / "房价.csv", "价格", client=client, partition_bytes=20_001)
    assert str(raised.value).startswith("房价.csv, line 11001: not valid GBK (GB18030) text."), raised.value
    assert error_text_in("zh-CN", raised.value).startswith(
        "房价.csv，第 11,001 行：不是有效的“GBK（GB18030）”文本。"), error_text_in("zh-CN", raised.value)


def test_a_western_excel_file_keeps_its_euro_sign(tmp_path: Path) -> None:
    (tmp_path / "preise.csv").write_bytes("Preis (€);Kunde’s Größe;y\n1,5;2;3\n".encode("cp1252"))
    source = distributed.inspect(tmp_path / "preise.csv")
    assert source.columns == ("Preis (€)", "Kunde’s Größe", "y")
    assert [notice.fields for notice in source.notices] == [{"encoding": "cp1252", "files": ["preise.csv"]}]


def test_files_not_in_utf8_are_named_once_each_by_the_encoding_they_were_read_in(tmp_path: Path) -> None:
    header, rows = "Größe,y\n", "".join(f"{i},{2 * i}\n" for i in range(400))
    (tmp_path / "a.csv").write_bytes((header + rows).encode("latin-1"))
    (tmp_path / "b.csv").write_bytes((header + rows).encode("utf-8"))
    (tmp_path / "c.csv").write_bytes((header + rows).encode("latin-1"))
    source = distributed.inspect(tmp_path, partition_bytes=1000)
    assert source.n_partitions > 3 * 2  # each file in several pieces, named once
    assert [str(notice) for notice in source.notices] == [
        "Read as Latin-1, not UTF-8: 'a.csv', 'c.csv'. If their text looks garbled, save them again as UTF-8 and try "
        "again."]
    (tmp_path / "b.csv").write_bytes((header + rows).encode("utf-8-sig"))
    (tmp_path / "a.csv").write_bytes((header + rows).encode("utf-8"))
    assert [notice.fields["files"] for notice in distributed.inspect(tmp_path).notices] == [["c.csv"]]


def test_a_file_typed_with_chinese_commas_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "手写.csv").write_text("面积，价格\n1，2\n3，4\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"^手写\.csv: The fields are separated by '，'") as caught:
        distributed.inspect(tmp_path / "手写.csv")
    assert caught.value.problem == "full_width_delimiter" and caught.value.fields["mark"] == "，"


def test_a_utf16_file_is_refused_by_name_with_how_to_save_it_as_utf8(tmp_path: Path) -> None:
    """Excel's Unicode Text, which an upload reads: a piece of a file (a byte range) would cut its two-byte
    characters and line ends, so the file is refused, not read as Latin-1 with a NUL in every other character."""
    (tmp_path / "房价.csv").write_bytes("面积\t价格\r\n1\t2\r\n3\t4\r\n".encode("utf-16"))
    with pytest.raises(DataError) as caught:
        distributed.inspect(tmp_path / "房价.csv")
    assert (caught.value.problem, caught.value.fields) == ("utf16_in_files", {"file": "房价.csv"})
    assert str(caught.value) == ("房价.csv is UTF-16 text (as Excel's Unicode Text saves it), which data in files "
                                 "cannot be read in. Save it again as UTF-8 (in Excel: CSV UTF-8), then try again.")
    assert error_text_in("zh-CN", caught.value) == (
        "房价.csv 是 UTF-16 文本（Excel 的“Unicode 文本”即以此保存），文件中的数据无法按此编码读取。请重新存为 UTF-8"
        "（在 Excel 中：CSV UTF-8），然后重试。")


def test_compare_from_the_statistics_is_sgdcores(client: object, tmp_path: Path) -> None:
    frame = regression(seed=14, offset=0.0)
    data = distributed.load(write_parquet(frame, tmp_path / "data.parquet", 100), "y", client=client)
    memory = in_memory(frame)
    optimum = sgdcore.closed_form(memory)
    weights, bias = optimum.weights + 0.01, optimum.bias - 0.02
    ours, expected = data.compare(weights, bias), sgdcore.compare(weights, bias, optimum, memory)
    assert ours.names == expected.names and ours.test_mse_sgd is None
    for name in ("train_loss_sgd", "train_loss_closed_form", "loss_gap", "train_mse_sgd", "train_r2_sgd",
                 "train_r2_closed_form"):
        assert getattr(ours, name) == pytest.approx(getattr(expected, name), rel=1e-8), name
    assert data.compare(optimum.weights, optimum.bias).loss_gap < 1e-14


def test_pairwise_merge_is_exact() -> None:
    rng = np.random.default_rng(2)
    X, y = 1e6 + rng.normal(size=(301, 4)), rng.normal(size=301)
    whole = distributed.Moments.of(X, y)
    merged = distributed.Moments.of(X[:7], y[:7]).merge(distributed.Moments.of(X[7:], y[7:]))
    assert merged.count == whole.count
    np.testing.assert_allclose(merged.mean, whole.mean, rtol=1e-14)
    np.testing.assert_allclose(merged.comoment, whole.comoment, rtol=1e-9, atol=1e-9 * np.abs(whole.comoment).max())
    empty = distributed.Moments.of(X[:0], y[:0])
    assert empty.merge(whole) is whole and whole.merge(empty) is whole


def test_moments_solve_columns_1e12_apart_without_a_warning() -> None:
    """The statistics' closed form on a = x1·1e12 beside b = x2: least squares, and no ill-conditioning warning
    (it is the units that differ, not the information: the correlation matrix is well conditioned)."""
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=50), rng.normal(size=50)
    X, y = np.column_stack((x1 * 1e12, x2)), (2 * x1 - 3 * x2 + 1 + 0.1 * rng.normal(size=50)) * 1e12
    theta = np.linalg.lstsq(np.column_stack((X, np.ones(50))), y, rcond=None)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimum = distributed.Moments.of(X, y).solve()
    np.testing.assert_allclose(optimum.params, theta, rtol=1e-9)


def test_ill_conditioned_data_takes_the_qr_path(client: object, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(size=(800, 1))
    X = np.hstack((base, base + 1e-5 * rng.normal(size=(800, 1)), rng.normal(size=(800, 1))))
    y = X @ np.array([1.0, 2.0, -1.0]) + 0.1 * rng.normal(size=800)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=y)
    data = distributed.load(write_parquet(frame, tmp_path / "data.parquet", 100), "y", client=client)
    assert data.moments.correlation_condition() > distributed.CONDITION_LIMIT
    reference = LinearRegression().fit(X, y)
    answer = distributed.closed_form(data, client=client)  # "auto": QR
    qr_error = np.abs(answer.weights - reference.coef_).max() / np.abs(reference.coef_).max()
    normal_error = (np.abs(distributed.closed_form(data, "moments").weights - reference.coef_).max()
                    / np.abs(reference.coef_).max())
    assert qr_error < 1e-8
    assert qr_error < normal_error  # the normal equations lose twice the digits


def test_csv_in_byte_ranges_reads_every_row_once(client: object, tmp_path: Path) -> None:
    frame = regression(n_rows=1000, seed=4)
    folder = tmp_path / "csv"
    folder.mkdir()
    frame.iloc[:400].to_csv(folder / "a.csv", index=False)
    frame.iloc[400:].to_csv(folder / "b.csv", index=False)
    data = distributed.load(folder, client=client, partition_bytes=5000)  # the target defaults to the last column
    assert data.n_partitions > 4 and data.n_rows == data.rows_read == 1000
    reference = LinearRegression().fit(frame.drop(columns="y"), frame["y"])
    np.testing.assert_allclose(distributed.closed_form(data).weights, reference.coef_, rtol=1e-9)
    glob = distributed.load(str(folder / "*.csv"), "y", client=client, partition_bytes=5000)
    assert glob.n_rows == 1000
    cleaned = data.frame.compute()
    assert list(cleaned.columns) == ["x0", "x1", "x2", "y"] and len(cleaned) == 1000
    np.testing.assert_allclose(np.sort(cleaned["y"].to_numpy()), np.sort(frame["y"].to_numpy()))


def test_cleaning_choices_are_the_csv_loaders(client: object, tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    frame = regression(n_rows=300, seed=5)
    frame["city"] = rng.choice(["Lyon", "Paris", "Nice"], size=300)
    frame.loc[[3, 50, 200], "x1"] = np.nan
    frame.loc[[10, 250], "y"] = np.nan
    frame.loc[[20], "city"] = None
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    for missing, non_numeric in (("mean", "onehot"), ("drop", "drop"), ("drop", "onehot")):
        data = distributed.load(path, "y", missing=missing, non_numeric=non_numeric, client=client,
                                partition_bytes=4000)
        memory = sgdcore.load_csv(path, "y", missing=missing, non_numeric=non_numeric)
        assert data.feature_names == memory.feature_names
        assert data.n_rows == memory.n_rows
        reference = sgdcore.quadratic_loss(memory)
        np.testing.assert_allclose(data.quadratic.hessian, reference.hessian, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(data.quadratic.linear, reference.linear, rtol=1e-10, atol=1e-12)
        assert any("one-hot" in notice.lower() or "dropped" in notice.lower() for notice in data.notices)
        # Said as data too, for the page to word: the same kinds and fields as the loader in memory says them
        assert {notice.kind for notice in data.notices} <= set(notices.KINDS)
        one_hot = [(notice, notice.fields) for notice in data.notices if notice.kind == "one_hot"]
        assert len(one_hot) == (non_numeric == "onehot")
        assert one_hot == [(notice, notice.fields) for notice in memory.notices if notice.kind == "one_hot"]
        assert [kind for kind in ("text_dropped", "missing_dropped_in_files", "target_missing_dropped",
                                  "missing_filled_in_files") if kind in {notice.kind for notice in data.notices}] == {
            ("mean", "onehot"): ["target_missing_dropped", "missing_filled_in_files"],
            ("drop", "drop"): ["text_dropped", "missing_dropped_in_files"],
            ("drop", "onehot"): ["missing_dropped_in_files"]}[missing, non_numeric]
        # A new row's empty cell takes what filled the data's gaps, the same on the cluster as in memory
        columns, memory_columns = sgdcore.input_columns(data), sgdcore.input_columns(memory)
        assert [(column.name, column.categories) for column in columns] == [
            (column.name, column.categories) for column in memory_columns]
        for column, in_memory_column in zip(columns, memory_columns, strict=True):
            np.testing.assert_allclose(column.fill, in_memory_column.fill, rtol=1e-12)
        assert [column.name for column in columns if column.fill] == (["x1", "city"] if missing == "mean" else [])


def test_errors_name_the_file_and_the_line(client: object, tmp_path: Path) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    frame = regression(n_rows=200, seed=6).round(6)
    frame.iloc[:100].to_csv(folder / "a.csv", index=False)
    bad = frame.iloc[100:].copy()
    bad.iloc[57, 1] = np.nan  # data row 58: line 59 of b.csv
    bad.to_csv(folder / "b.csv", index=False)
    with pytest.raises(DataError, match=r"b\.csv, line 59.*missing='drop'|missing value.*b\.csv, line 59"):
        distributed.load(folder, "y", client=client, partition_bytes=1500)

    bad = frame.iloc[100:].astype(object)
    bad.iloc[80, 0] = "12 kg"  # line 82
    bad.to_csv(folder / "b.csv", index=False)
    with pytest.raises(DataError, match=r"not numeric: 'x0' \(e\.g\. '12 kg', b\.csv, line 82\)"):
        distributed.load(folder, "y", client=client, partition_bytes=1500)
    with pytest.raises(DataError, match=r"target column 'x0' is not numeric.*b\.csv, line 82"):
        distributed.load(folder, "x0", client=client, partition_bytes=1500)
    bad.iloc[80, 0] = "n/a?"  # not a number among numbers: a missing value, as an upload reads it
    bad.to_csv(folder / "b.csv", index=False)
    with pytest.raises(DataError, match=r"missing value\(s\) in column\(s\) 'x0' \(1\); the first in b\.csv, "
                                        r"line 82"):
        distributed.load(folder, "y", client=client, partition_bytes=1500)

    lines = (folder / "a.csv").read_text().splitlines()
    lines[70] += ",1.5"  # line 71 has one field too many
    (folder / "a.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"a\.csv, line 71: 5 fields, the header has 4"):
        distributed.load(folder / "a.csv", "y", client=client, partition_bytes=1500)

    parquet = frame.copy()
    parquet.iloc[130, 2] = np.inf
    with pytest.raises(DataError, match=r"infinite values.*data\.parquet, row 131"):
        distributed.load(write_parquet(parquet, tmp_path / "data.parquet", 50), "y", client=client)

    (folder / "c.csv").write_text("x0,x1,y\n1,2,3\n4,5,6\n")
    with pytest.raises(DataError, match=r"every file must have the same columns"):
        distributed.load(folder, "y", client=client)
    with pytest.raises(DataError, match=r"No file or folder"):
        distributed.load(tmp_path / "nowhere", "y", client=client)
    with pytest.raises(DataError, match=r"'nope' is not in the files"):
        distributed.load(folder / "c.csv", "nope", client=client)
    constant = frame.assign(x1=1.0)
    with pytest.raises(DataError, match=r"'x1'.*constant"):
        distributed.load(write_parquet(constant, tmp_path / "constant.parquet", 50), "y", client=client)


def european(v: float, sign: str = "") -> str:
    """``v`` as a German spreadsheet writes it: ``1.234,56``, and with ``sign`` after it (``1.234,56 €``)."""
    written = f"{v:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{written} {sign}" if sign else written


def european_rows(n_rows: int, seed: int) -> list[str]:
    """Rows of a semicolon file as a German spreadsheet exports them: a price with thousands points, decimal commas
    and €, a percent, a balance with negatives in parentheses, a weight with a decimal comma, a population with
    points between thousands (``28.779``, which pandas reads as a decimal), and the target."""
    rng = np.random.default_rng(seed)
    price, discount = rng.normal(0, 1500, n_rows).round(2), rng.uniform(0, 30, n_rows).round(1)
    balance, weight = rng.normal(0, 50, n_rows).round(2), rng.normal(0, 2, n_rows).round(3)
    population = rng.integers(100, 100_000, n_rows)
    y = (0.002 * price - 0.1 * discount + 0.05 * balance + 3 * weight + 1e-5 * population
         + rng.normal(0, 0.5, n_rows)).round(2)
    return [f"{european(p, '€')};{str(d).replace('.', ',')}%;{f'({european(-b)})' if b < 0 else european(b)};"
            f"{str(w).replace('.', ',')};{f'{n:,}'.replace(',', '.')};{str(t).replace('.', ',')}"
            for p, d, b, w, n, t in zip(price, discount, balance, weight, population, y, strict=True)]


EUROPEAN_HEADER = "Preis;Rabatt;Saldo;Gewicht;Einwohner;y\n"


def european_files(folder: Path, rows: list[str], rows_per_file: int) -> Path:
    """The rows in files of ``rows_per_file`` rows each (the last may be shorter), named 0.csv, 1.csv, …"""
    folder.mkdir()
    for number, start in enumerate(range(0, len(rows), rows_per_file)):
        (folder / f"{number}.csv").write_text(EUROPEAN_HEADER + "\n".join(rows[start:start + rows_per_file]) + "\n",
                                              encoding="utf-8")
    return folder


def european_table(rows: list[str]) -> sgdcore.Table:
    """The rows as one file uploaded on the Data page reads them."""
    return sgdcore.read_table((EUROPEAN_HEADER + "\n".join(rows) + "\n").encode("utf-8"))


def test_numbers_written_as_a_european_spreadsheet_writes_them_are_read_as_an_upload_reads_them(
    client: object, tmp_path: Path
) -> None:
    """Decimal commas, thousands points, € and % on every value, negatives in parentheses and whole numbers with
    points between thousands, in several files and partitions: the same numbers, the same notices, the same closed
    form as the Data page's reading of the same rows; and SGD over the files is the in-memory engine's."""
    rows = european_rows(212, seed=21)
    folder = european_files(tmp_path / "preise", rows, 64)  # 64 rows a file, the last 20
    table = european_table(rows)
    memory = sgdcore.dataset_from_frame(table.frame, "y")
    assert {notice.kind for notice in table.notices} == {"number_format", "currency_sign", "percent_sign",
                                                         "negatives_in_parentheses", "thousands_points"}

    data = distributed.load(folder, "y", client=client, partition_bytes=1500)
    assert data.n_partitions > 4 and data.n_rows == 212 and data.feature_names == memory.feature_names
    assert data.notices == (*table.notices, *memory.notices)
    assert [notice.fields for notice in data.notices] == [notice.fields for notice in table.notices]
    cleaned = data.frame.compute()
    np.testing.assert_array_equal(cleaned[list(memory.feature_names)].to_numpy(), memory.X)
    np.testing.assert_array_equal(cleaned["y"].to_numpy(), memory.y)
    answer, expected = distributed.closed_form(data, client=client), sgdcore.closed_form(memory)
    np.testing.assert_allclose(answer.params, expected.params, rtol=1e-9)

    gaps = [row.split(";") for row in rows]
    gaps[5][0], gaps[150][3], gaps[7][4] = "", "", ""  # missing values, filled with their column's mean
    gaps = list(map(";".join, gaps))
    filled = distributed.load(european_files(tmp_path / "gaps", gaps, 64), "y", missing="mean", client=client,
                              partition_bytes=1500)
    expected = sgdcore.closed_form(sgdcore.dataset_from_frame(european_table(gaps).frame, "y", missing="mean"))
    np.testing.assert_allclose(distributed.closed_form(filled, client=client).params, expected.params, rtol=1e-9)

    by_file = distributed.load(folder, "y", client=client)  # a partition a file: 64 rows, SGD's blocks in memory
    config = replace(CONFIGS[0], learning_rate=1 / by_file.curvature.eigenvalues.max())
    _, last = run_to_end(distributed.train(by_file, config, client=client))
    _, in_memory_run = run_to_end(sgdcore.train(memory, replace(config, block_size=64)))
    assert last.status == in_memory_run.status == "finished" and last.step == in_memory_run.step
    np.testing.assert_allclose(last.weights, in_memory_run.weights, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(last.epoch_train_loss, in_memory_run.epoch_train_loss, rtol=1e-9)


def test_whole_numbers_in_semicolon_files_are_not_said_to_have_a_decimal_comma_as_an_upload_is_not(
    client: object, tmp_path: Path
) -> None:
    """Whole numbers that pandas reads as text for a typographic minus sign say nothing of a decimal comma: no
    notice says they have one, and another column's 28.779 stays 28.779, as on the Data page."""
    minus = "\u2212"
    rows = "".join(f"{28.779 + i / 8:.3f};{minus if i % 3 else ''}{i};{2 * i + 1}\n" for i in range(40))
    (tmp_path / "whole.csv").write_text("a;b;y\n" + rows, encoding="utf-8")
    table = sgdcore.read_table(("a;b;y\n" + rows).encode())
    assert [notice.kind for notice in table.notices] == ["minus_sign"]
    data = distributed.load(tmp_path, "y", client=client)
    assert data.notices == table.notices
    cleaned = data.frame.compute()
    np.testing.assert_array_equal(cleaned[["a", "b"]].to_numpy(), table.frame[["a", "b"]].to_numpy())


def test_a_number_written_otherwise_in_a_later_partition_is_refused_at_its_file_and_line(
    client: object, tmp_path: Path
) -> None:
    """The plan decides how each column is written; a partition whose value is written otherwise is named by its
    file and line, with what the column's other values look like, in English and in Chinese."""

    rows = european_rows(200, seed=22)
    folder = european_files(tmp_path / "preise", rows[:100], 100)  # 0.csv, then b.csv
    weight = [row.split(";") for row in rows[100:]]
    first_weight, first_price = re.escape(rows[0].split(";")[3]), re.escape(rows[0].split(";")[0])
    weight[57][3] = "12.5"  # line 59 of b.csv: a decimal point among decimal commas
    (folder / "b.csv").write_text(EUROPEAN_HEADER + "\n".join(map(";".join, weight)) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"^b\.csv, line 59: '12\.5' in column 'Gewicht' is not a number written as "
                                        rf"the column's others are, such as '{first_weight}' \(',' before the "
                                        r"decimals\)") as caught:
        distributed.load(folder, "y", client=client, partition_bytes=1500)
    assert caught.value.problem == "number_written_otherwise"
    assert {name: caught.value.fields[name] for name in ("file", "line", "column", "value", "example")} == {
        "file": "b.csv", "line": 59, "column": "Gewicht", "value": "12.5", "example": rows[0].split(";")[3]}
    chinese = error_text_in("zh-CN", caught.value)
    assert "b.csv，第 59 行" in chinese and "12.5" in chinese and "Gewicht" in chinese and "请" in chinese
    assert error_text_in("en", caught.value).startswith("b.csv, line 59: '12.5' in the column 'Gewicht'")

    price = [row.split(";") for row in rows[100:]]
    price[80][0] = price[80][0].removesuffix(" €")  # line 82: the one price without its €
    (folder / "b.csv").write_text(EUROPEAN_HEADER + "\n".join(map(";".join, price)) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"^b\.csv, line 82: '{re.escape(price[80][0])}' in column 'Preis' .* such as "
                                        rf"'{first_price}' \('\.' between thousands, ',' before the decimals and "
                                        r"'€' on every value\)"):
        distributed.load(folder, "y", client=client, partition_bytes=1500)

    # A file whose weights pandas reads as numbers, written with decimal points: its first line is refused
    points = [row.split(";") for row in rows[100:]]
    for row in points:
        row[3] = row[3].replace(",", ".")
    (folder / "b.csv").write_text(EUROPEAN_HEADER + "\n".join(map(";".join, points)) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"^b\.csv, line 2: '{re.escape(points[0][3])}' in column 'Gewicht'"):
        distributed.load(folder, "y", client=client)


def test_a_feature_that_follows_from_the_others_is_refused_from_the_statistics(client: object, tmp_path: Path) -> None:
    """The same refusal, the same fields as sgdcore.io's, from the merged statistics of several partitions."""
    frame = regression(n_rows=300, seed=8)
    frame.insert(3, "x0_copy", frame["x0"])
    frame.insert(4, "total", frame["x1"] + 2 * frame["x2"] - 1)
    with pytest.raises(DataError) as in_memory_error:
        in_memory(frame)
    with pytest.raises(DataError, match=r"'x0_copy' is a copy of 'x0'; 'total' is a linear combination of 'x1', "
                                        r"'x2'\): they add no information") as caught:
        distributed.load(write_parquet(frame, tmp_path / "data.parquet", 50), "y", client=client)
    assert (caught.value.problem, caught.value.fields) == ("dependent_features", {
        "columns": ["x0_copy", "total"], "depends_on": {"x0_copy": ["x0"], "total": ["x1", "x2"]},
        "copies": ["x0_copy"]})
    assert caught.value.fields == in_memory_error.value.fields


def run_to_end(runs: Iterator[sgdcore.Progress]) -> tuple[list[sgdcore.Progress], sgdcore.Progress]:
    snapshots = list(runs)
    return snapshots, snapshots[-1]


CONFIGS = [
    sgdcore.TrainConfig(learning_rate=0.01, batch_size=8, epochs=3, shuffle="blocks", seed=7),
    sgdcore.TrainConfig(learning_rate=0.005, batch_size=7, epochs=2, shuffle="blocks", momentum=0.9, nesterov=True,
                        weight_decay=1e-3, schedule=sgdcore.Schedule("cosine"), seed=8),
    sgdcore.TrainConfig(learning_rate=0.01, batch_size=16, epochs=2, shuffle="none", drop_last=True, seed=9),
]


@pytest.mark.parametrize("config", CONFIGS, ids=["blocks", "nesterov-cosine", "none-drop-last"])
def test_train_equals_the_in_memory_engine_with_one_block_per_partition(
    client: object, tmp_path: Path, config: sgdcore.TrainConfig
) -> None:
    frame = regression(n_rows=500, seed=10, offset=0.0)
    rows_per_group = 64  # batch sizes 7, 8 and 16 cross partitions; the last partition is shorter (52 rows)
    data = distributed.load(write_parquet(frame, tmp_path / "data.parquet", rows_per_group), "y", client=client)
    _, last = run_to_end(distributed.train(data, config, client=client))
    _, expected = run_to_end(sgdcore.train(in_memory(frame), replace(config, block_size=rows_per_group)))
    assert last.status == expected.status == "finished"
    assert last.step == expected.step and last.steps_per_epoch == expected.steps_per_epoch
    np.testing.assert_allclose(last.weights, expected.weights, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(last.bias, expected.bias, rtol=1e-12)
    np.testing.assert_allclose(last.minibatch_loss, expected.minibatch_loss, rtol=1e-12)
    np.testing.assert_array_equal(last.loss_steps, expected.loss_steps)
    np.testing.assert_array_equal(last.trajectory_steps, expected.trajectory_steps)
    np.testing.assert_allclose(last.trajectory, expected.trajectory, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(last.epoch_train_loss, expected.epoch_train_loss, rtol=1e-9)


def test_train_is_reproducible_and_its_progress_has_the_engines_shape(client: object, tmp_path: Path) -> None:
    frame = regression(n_rows=400, seed=11, offset=0.0)
    data = distributed.load(write_parquet(frame, tmp_path / "data.parquet", 50), "y", client=client)
    config = sgdcore.TrainConfig(learning_rate=0.03, batch_size=10, epochs=4, shuffle="epoch", seed=3)
    snapshots, first = run_to_end(distributed.train(data, config, client=client, report_every=0.0))
    _, again = run_to_end(distributed.train(data, config, client=client))
    _, other_seed = run_to_end(distributed.train(data, replace(config, seed=4), client=client))
    np.testing.assert_array_equal(first.weights, again.weights)
    np.testing.assert_array_equal(first.epoch_train_loss, again.epoch_train_loss)
    assert not np.array_equal(first.weights, other_seed.weights)

    assert all(isinstance(snapshot, sgdcore.Progress) for snapshot in snapshots)
    assert [snapshot.status for snapshot in snapshots[:-1]] == ["running"] * (len(snapshots) - 1)
    assert first.status == "finished" and first.done and first.fraction_done == 1.0
    assert len(snapshots) > config.epochs  # a snapshot after every partition at report_every=0
    assert any("partition" in snapshot.message for snapshot in snapshots)
    steps = [snapshot.step for snapshot in snapshots]
    assert steps == sorted(steps) and first.step == first.steps_per_epoch * config.epochs == 160
    assert first.epoch_train_loss.shape == (config.epochs + 1,) and first.epoch_test_loss is None
    assert first.epoch_train_loss[-1] < first.epoch_train_loss[0] / 10
    assert first.trajectory.shape == (first.step + 1, data.n_features + 1)
    assert any("one block per partition" in notice for notice in first.notices)
    optimum = distributed.closed_form(data, client=client)
    assert first.epoch_train_loss[-1] < 1.5 * data.loss(optimum.weights, optimum.bias)


def test_a_run_paused_after_an_epoch_resumes_exactly(client: object, tmp_path: Path) -> None:
    data = distributed.load(write_parquet(regression(seed=15, offset=0.0), tmp_path / "data.parquet", 64), "y",
                            client=client)
    config = sgdcore.TrainConfig(learning_rate=0.01, batch_size=9, epochs=3, momentum=0.5, shuffle="blocks", seed=2)
    _, straight = run_to_end(distributed.train(data, config, client=client))
    _, start = run_to_end(distributed.train(data, config, client=client, until_epoch=0))
    assert start.status == "stopped" and start.step == 0
    _, paused = run_to_end(distributed.train(data, config, client=client, until_epoch=1))
    assert paused.status == "stopped" and paused.epoch == 1
    _, resumed = run_to_end(distributed.train(data, config, client=client, state=paused.state))
    assert resumed.status == "finished"
    np.testing.assert_array_equal(resumed.weights, straight.weights)
    np.testing.assert_array_equal(resumed.epoch_train_loss, straight.epoch_train_loss)
    np.testing.assert_array_equal(resumed.minibatch_loss, straight.minibatch_loss)
    middle = replace(paused.state, batch_in_epoch=3)
    with pytest.raises(sgdcore.ConfigError, match="middle of an epoch"):
        next(distributed.train(data, config, client=client, state=middle))


def test_the_total_of_a_run_resumed_with_another_batch_size_counts_the_steps_it_took(client: object,
                                                                                      tmp_path: Path) -> None:
    data = distributed.load(write_parquet(regression(seed=16, offset=0.0), tmp_path / "data.parquet", 100), "y",
                            client=client)
    config = sgdcore.TrainConfig(learning_rate=0.01, batch_size=10, epochs=3, shuffle="blocks", seed=2)
    _, paused = run_to_end(distributed.train(data, config, client=client, until_epoch=1))
    assert (paused.step, paused.total_steps) == (60, 180)
    snapshots, resumed = run_to_end(distributed.train(data, replace(config, batch_size=20), client=client,
                                                      state=paused.state, report_every=0.0))
    # An epoch of 60 minibatches of 10, then two of 30 of 20: 120 steps, not 3 × 30.
    assert (resumed.status, resumed.step) == ("finished", 120)
    assert [snapshot.total_steps for snapshot in snapshots] == [120] * len(snapshots)
    assert all(snapshot.fraction_done == snapshot.step / 120 for snapshot in snapshots)


def test_no_scheduler_at_the_address_is_a_config_error() -> None:
    with pytest.raises(sgdcore.ConfigError, match=r"No Dask scheduler answers at 'tcp://127.0.0.1:\d+'"):
        distributed.connect(address=f"tcp://127.0.0.1:{free_port()}")


def test_a_learning_rate_too_large_diverges(client: object, tmp_path: Path) -> None:
    data = distributed.load(write_parquet(regression(seed=12), tmp_path / "data.parquet", 100), "y", client=client)
    config = sgdcore.TrainConfig(learning_rate=5.0, batch_size=10, epochs=2, shuffle="blocks")
    _, last = run_to_end(distributed.train(data, config, client=client))
    assert last.status == "diverged" and last.diverged_at_step is not None and last.diverged_at_step < 60
    assert "Learning rate 5 is too large" in last.message
    with pytest.raises(sgdcore.ConfigError, match="batch_size 1000 is larger than the 600 training rows"):
        next(distributed.train(data, replace(config, batch_size=1000), client=client))


# A real cluster: a scheduler and two workers, each a process of its own, as a user would start them.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def dask_cluster(workers: int = 2, sgdcore_importable: bool = True, cwd: Path = ROOT) -> Iterator[
        tuple[str, list[subprocess.Popen]]]:
    """A ``dask scheduler`` and ``workers`` ``dask worker`` processes (no nanny: a worker killed stays dead) on
    127.0.0.1: their address and processes, the workers last. Their environment imports sgdcore, or, with
    ``sgdcore_importable=False``, not (no PYTHONPATH, started in ``cwd``), as on a machine where it is not
    installed."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    if sgdcore_importable:
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    processes = [subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                  env=environment, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        worker = [sys.executable, "-m", "distributed.cli.dask_worker", address, "--host", "127.0.0.1",
                  "--nthreads", "1", "--memory-limit", "1GB", "--no-dashboard", "--no-nanny"]
        processes += [subprocess.Popen(worker, env=environment, cwd=cwd, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL) for _ in range(workers)]
        from distributed import Client

        deadline = time.monotonic() + 120
        while True:
            try:
                with Client(address, timeout="5s") as probe:
                    if workers:
                        probe.wait_for_workers(workers, timeout=120)
                break
            except OSError:
                if time.monotonic() > deadline or any(process.poll() is not None for process in processes):
                    raise
                time.sleep(1)
        yield address, processes
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def scheduler_address() -> Iterator[str]:
    with dask_cluster() as (address, _):
        yield address


def test_on_a_real_cluster_named_by_the_environment_variable(
    scheduler_address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(distributed.SCHEDULER_VARIABLE, scheduler_address)
    remote = distributed.connect()
    try:
        assert remote.scheduler.address == scheduler_address
        assert len(remote.scheduler_info()["workers"]) == 2
        frame = regression(n_rows=500, seed=13, offset=0.0)
        data = distributed.load(write_parquet(frame, tmp_path / "data.parquet", 64), "y")
        reference = LinearRegression().fit(frame.drop(columns="y"), frame["y"])
        np.testing.assert_allclose(distributed.closed_form(data).weights, reference.coef_, rtol=1e-9)
        config = CONFIGS[0]
        _, last = run_to_end(distributed.train(data, config))
        _, expected = run_to_end(sgdcore.train(in_memory(frame), replace(config, block_size=64)))
        np.testing.assert_allclose(last.weights, expected.weights, rtol=1e-12, atol=1e-14)
        assert {worker["host"] for worker in remote.scheduler_info()["workers"].values()} == {"127.0.0.1"}
        assert distributed.connect() is remote and distributed.connect(address=scheduler_address) is remote
    finally:
        remote.close()
        distributed._clients.pop(scheduler_address, None)


def test_bench_scale_prints_every_ratio_and_no_worker_restarted(run_benchmark: Callable[..., str]) -> None:
    output = run_benchmark("bench_scale.py", "--size", "0.01", "--repeat", "1", "--no-dask-ml", timeout=400)
    for text in ("(a) read floor", "(b) closed form", "(c) one SGD epoch", "chain of SGDRegressor.partial_fit",
                 "closed form / read floor", "SGD epoch / its floor", "status finished",
                 "workers restarted (over their memory limit): 0"):
        assert text in output, text


def test_the_first_missing_value_named_is_the_earliest_of_all_columns(client: object, tmp_path: Path) -> None:
    """The target is checked first, but the first place is the earliest of every column's, whatever the column."""
    lines = ["a,b,y", *(f"{i},{i + 1},{2 * i}" for i in range(60))]
    lines[3] = "2,,4"  # line 4: a feature's, in the first partition
    lines[50] = "49,50,"  # line 51: the target's, in a later partition
    (tmp_path / "f1.csv").write_text("\n".join(lines) + "\n")
    for partition_bytes in (10_000, 100):
        with pytest.raises(DataError) as caught:
            distributed.load(tmp_path / "f1.csv", "y", client=client, partition_bytes=partition_bytes)
        assert caught.value.fields["first"] == Place("f1.csv", "line", 4), partition_bytes
        assert "the first in f1.csv, line 4." in str(caught.value)
    lines[3], lines[50] = "2,inf,4", "49,50,-inf"
    (tmp_path / "f1.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as caught:
        distributed.load(tmp_path / "f1.csv", "y", client=client, partition_bytes=100)
    assert caught.value.fields["first"] == Place("f1.csv", "line", 4)


def test_a_port_nothing_listens_on_is_refused_at_once() -> None:
    """Dask retries a refused connection until its timeout (10 s); nothing listening is said at once."""
    address = f"tcp://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(sgdcore.ConfigError) as caught:
        distributed.connect(address=address)
    assert time.monotonic() - started < 3
    assert caught.value.problem == "no_scheduler" and caught.value.fields["address"] == address
    assert "refused" in caught.value.fields["reason"].lower()


@pytest.mark.timeout(240)
def test_a_cluster_with_no_worker_is_said_after_dasks_no_workers_timeout(tmp_path: Path) -> None:
    """Dask waits for a worker forever; a pass gives up after distributed.scheduler.no-workers-timeout, which the
    client's configuration sets here (the scheduler, started without it, would wait forever)."""
    from distributed import Client

    path = write_parquet(regression(), tmp_path / "data.parquet", 100)
    with dask_cluster(workers=0) as (address, _), Client(address, timeout="10s") as lonely, \
            dask.config.set({"distributed.scheduler.no-workers-timeout": "2s"}):
        started = time.monotonic()
        with pytest.raises(sgdcore.ConfigError) as caught:
            distributed.load(path, "y", client=lonely)
        assert time.monotonic() - started < 20
    assert caught.value.problem == "no_workers" and caught.value.fields == {"address": address, "seconds": 2.0}
    assert f"dask worker {address}" in str(caught.value)
    assert f"dask worker {address}" in error_text_in("zh-CN", caught.value)


@pytest.mark.timeout(300)
def test_losing_every_worker_mid_run_pauses_the_run_at_an_epochs_end_and_says_so(tmp_path: Path) -> None:
    """The run so far is kept to the end of its last complete epoch, which a run on partitions continues from."""
    from distributed import Client

    path = write_parquet(regression(seed=17, offset=0.0), tmp_path / "data.parquet", 100)
    config = sgdcore.TrainConfig(learning_rate=0.01, batch_size=10, epochs=100_000, shuffle="blocks", seed=5)
    snapshots = []
    with dask_cluster(workers=1) as (address, processes), Client(address, timeout="10s") as remote, \
            dask.config.set({"distributed.scheduler.no-workers-timeout": "2s"}):
        data = distributed.load(path, "y", client=remote)
        with pytest.raises(sgdcore.ConfigError) as caught:
            for snapshot in distributed.train(data, config, client=remote, report_every=0.0):
                snapshots.append(snapshot)
                if snapshot.epoch == 2 and processes[-1].poll() is None:
                    processes[-1].kill()
                    killed = time.monotonic()
        assert time.monotonic() - killed < 30
    assert caught.value.problem == "no_workers" and caught.value.fields["address"] == address
    last = snapshots[-1]
    assert (last.status, last.epoch, last.batch_in_epoch) == ("stopped", 2, 0)
    assert last.state.batch_in_epoch == 0 and last.step == 2 * last.steps_per_epoch
    assert last.epoch_train_loss.shape == (3,)


@pytest.mark.timeout(240)
def test_workers_that_cannot_import_sgdcore_are_told_how_to_get_it(tmp_path: Path) -> None:
    from distributed import Client

    path = write_parquet(regression(), tmp_path / "data.parquet", 100)
    with dask_cluster(workers=1, sgdcore_importable=False, cwd=tmp_path) as (address, _), \
            Client(address, timeout="10s") as remote, pytest.raises(sgdcore.ConfigError) as caught:
        distributed.load(path, "y", client=remote)
    assert caught.value.problem == "workers_cannot_import" and caught.value.fields["address"] == address
    assert "No module named 'sgdcore'" in caught.value.fields["reason"]
    assert "pip install ." in str(caught.value) and "PYTHONPATH" in str(caught.value)
    chinese = error_text_in("zh-CN", caught.value)
    assert "sgdcore" in chinese and "PYTHONPATH" in chinese and "No module named" in chinese


def test_a_typographic_minus_sign_in_files_is_said_as_an_upload_says_it(client: object, tmp_path: Path) -> None:
    """−0.8865 (U+2212) makes pandas read a column as text: the notice says the minus sign, as the Data page does,
    not a thousands separator that no value holds."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=40).round(4)
    rows = [f"{value:.4f}".replace("-", "\u2212") + f",{index % 7},{2 * value + index % 7:.4f}"
            for index, value in enumerate(x)]
    content = "x,z,y\n" + "\n".join(rows) + "\n"
    folder = tmp_path / "minus"
    folder.mkdir()
    (folder / "0.csv").write_text(content, encoding="utf-8")
    table = sgdcore.read_table(content.encode())
    data = distributed.load(folder, "y", client=client, partition_bytes=300)
    assert [notice.kind for notice in table.notices] == ["minus_sign"]
    assert data.notices == table.notices
    assert [notice.fields for notice in data.notices] == [notice.fields for notice in table.notices]


# A file whose lines end in "\r" alone (an old Mac's) was read by its first piece whole, wherever the byte ranges cut
# it ("\n" was the only line end a piece looked for), and its errors named the line above the one at fault.


@pytest.mark.parametrize("line_end", ["\r", "\r\n"])
def test_a_file_whose_lines_end_otherwise_is_cut_into_pieces_and_named_by_line_as_with_newlines(
        client: object, tmp_path: Path, line_end: str) -> None:
    frame = regression(n_rows=1000, seed=5).round(6)
    frame.to_csv(tmp_path / "unix.csv", index=False, lineterminator="\n")
    frame.to_csv(tmp_path / "other.csv", index=False, lineterminator=line_end)
    unix, other = (distributed.load(tmp_path / name, "y", client=client, partition_bytes=5000)
                   for name in ("unix.csv", "other.csv"))
    assert other.n_partitions > 4 and other.n_rows == other.rows_read == unix.n_rows == 1000
    pieces = distributed.files.inspect(tmp_path / "other.csv", partition_bytes=5000).pieces
    rows = [len(distributed.files._read_piece(piece)) for piece in pieces]
    assert sum(rows) == 1000 and max(rows) < 200, rows  # every piece its own rows, as the "\n" file's
    np.testing.assert_allclose(distributed.closed_form(other).weights, distributed.closed_form(unix).weights,
                               rtol=1e-12)
    bad = frame.astype(object)
    bad.iloc[700, 1] = "12 kg"  # line 702, in a later piece
    bad.to_csv(tmp_path / "other.csv", index=False, lineterminator=line_end)
    with pytest.raises(DataError, match=r"not numeric: 'x1' \(e\.g\. '12 kg', other\.csv, line 702\)"):
        distributed.load(tmp_path / "other.csv", "y", client=client, partition_bytes=5000)
    lines = (tmp_path / "other.csv").read_bytes().split(line_end.encode())
    lines[900] += b",1"  # line 901: a field more than the header
    (tmp_path / "other.csv").write_bytes(line_end.encode().join(lines))
    with pytest.raises(DataError, match=r"other\.csv, line 901: 5 fields, the header has 4"):
        distributed.load(tmp_path / "other.csv", "y", client=client, partition_bytes=5000)

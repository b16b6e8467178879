"""Files on a cluster read as an upload of the same file reads them, where Excel made them: cells that are not
numbers (``#DIV/0!``, ``-``) among numbers, the ``sep=;`` first line, title lines above the header. Each test reads
the same bytes both ways (:func:`sgdcore.read_table` and :func:`sgdcore.distributed.load`, in pieces of a few
hundred bytes) and compares the numbers, the notices and the errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sgdcore
from sgdcore import distributed
from sgdcore.errors import DataError, Place
from ui import messages
from ui.errors import error_text_in


@pytest.fixture(scope="module")
def client(local_cluster: object) -> object:
    """The local cluster that connect() starts when SGD_DASHBOARD_SCHEDULER is not set (tests/conftest.py)."""
    return local_cluster


def rows(n_rows: int, seed: int, delimiter: str = ",") -> list[list[str]]:
    """Fields of rows ``x, z, y`` with ``y = 2x − z + 3`` and noise, written as a spreadsheet in a comma file
    (``1.25``) or in a semicolon one (``1,25``) writes them."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n_rows).round(3), rng.normal(size=n_rows).round(3)
    y = (2 * x - z + 3 + rng.normal(scale=0.1, size=n_rows)).round(3)
    point = "." if delimiter == "," else ","
    return [[str(value).replace(".", point) for value in row] for row in zip(x, z, y, strict=True)]


def csv(fields: list[list[str]], delimiter: str = ",", above: str = "") -> str:
    return above + delimiter.join(["x", "z", "y"]) + "\n" + "".join(delimiter.join(row) + "\n" for row in fields)


def one_file(folder: Path, content: str) -> Path:
    folder.mkdir()
    (folder / "data.csv").write_text(content, encoding="utf-8")
    return folder / "data.csv"


def without_files(fields: dict) -> dict:
    """A notice's fields as an upload's are: without the files a notice of data files names."""
    fields = {name: value for name, value in fields.items() if name != "files"}
    if "cells" in fields:
        fields["cells"] = [{key: value for key, value in cell.items() if key != "file"} for cell in fields["cells"]]
    return fields


def assert_read_alike(data: distributed.DistributedData, table: sgdcore.Table, missing: str) -> None:
    """The same rows, numbers and notices (the cluster's naming its files) as the upload's, cleaned alike."""
    memory = sgdcore.dataset_from_frame(table.frame, "y", missing=missing)
    assert data.rows_read == len(table.frame) and data.n_rows == memory.n_rows
    assert [notice.kind for notice in data.notices][:len(table.notices)] == [notice.kind for notice in table.notices]
    assert [without_files(notice.fields) for notice in data.notices[:len(table.notices)]] == [
        notice.fields for notice in table.notices]
    cleaned = data.frame.compute()
    np.testing.assert_array_equal(cleaned[list(memory.feature_names)].to_numpy(), memory.X)
    np.testing.assert_array_equal(cleaned["y"].to_numpy(), memory.y)


def test_cells_that_are_not_numbers_are_missing_values_named_by_file_and_line(client: object, tmp_path: Path) -> None:
    """Excel's error values, a dash and a word among the numbers of 'x', in several pieces, a blank line among
    them: read as missing values, the notice naming the first five with the lines an upload names, and the
    file."""
    fields = rows(150, seed=1)
    for row, value in ((3, "#DIV/0!"), (40, "-"), (41, "n.a."), (77, "#VALUE!"), (100, " - "), (149, "#REF!")):
        fields[row][0] = value
    content = csv(fields[:30]) + "\n" + csv(fields[30:]).split("\n", 1)[1]  # a blank line after line 31
    path = one_file(tmp_path / "excel", content)
    table = sgdcore.read_table(content.encode(), name="data.csv")
    said = [notice for notice in table.notices if notice.kind == "not_numbers"]
    assert [cell["line"] for cell in said[0].fields["cells"]] == [5, 43, 44, 80, 103]

    for missing in ("drop", "mean"):
        data = distributed.load(path, "y", missing=missing, client=client, partition_bytes=400)
        assert data.n_partitions > 5
        assert_read_alike(data, table, missing)
        stray = next(notice for notice in data.notices if notice.kind == "not_numbers")
        assert stray.startswith("'x' holds numbers but for 6 cell(s) that are not: '#DIV/0!' (data.csv, line 5), ")
        assert stray.fields["cells"][0] == {"file": "data.csv", "line": 5, "value": "#DIV/0!"}
        answer = distributed.closed_form(data, client=client).params
        expected = sgdcore.closed_form(sgdcore.dataset_from_frame(table.frame, "y", missing=missing)).params
        np.testing.assert_allclose(answer, expected, rtol=1e-9)

    with pytest.raises(DataError, match=r"missing value\(s\) in column\(s\) 'x' \(6\); the first in data\.csv, "
                                        r"line 5") as caught:
        distributed.load(path, "y", client=client, partition_bytes=400)
    assert caught.value.fields["first"] == Place("data.csv", "line", 5)


def test_the_notice_of_cells_that_are_not_numbers_names_the_file_in_both_languages(monkeypatch) -> None:
    stray = sgdcore.io.notices.not_numbers("x", 7, [(Place("2025/a.csv", "line", 1204), "#DIV/0!")])
    assert messages.notice_text(stray) == stray == ("'x' holds numbers but for 7 cell(s) that are not: '#DIV/0!' "
                                                    "(2025/a.csv, line 1,204), … and 6 more. They are read as missing "
                                                    "values.")
    monkeypatch.setattr("ui.i18n.language", lambda: "zh-CN")
    assert "'#DIV/0!'（2025/a.csv 第 1,204 行）" in messages.notice_text(stray)


def refusals(content: str, path: Path, client: object, partition_bytes: int) -> tuple[str, str]:
    """Why an upload of ``content`` and the same rows in the files at ``path`` are refused: each ``problem``."""
    with pytest.raises(DataError) as uploaded:
        sgdcore.dataset_from_frame(sgdcore.read_table(content.encode()).frame, "y")
    with pytest.raises(DataError) as in_files:
        distributed.load(path, "y", client=client, partition_bytes=partition_bytes)
    return uploaded.value.problem, in_files.value.problem


def test_a_column_of_words_and_numbers_is_text_in_files_as_in_an_upload(client: object, tmp_path: Path) -> None:
    """More than a tenth of the values words: text, refused as a feature by both, not numbers with gaps."""
    fields = rows(60, seed=2)
    for row in range(0, 60, 8):
        fields[row][0] = "none"
    content = csv(fields)
    path = one_file(tmp_path / "words", content)
    assert refusals(content, path, client, 300) == ("text_features", "text_features")


def test_a_column_whose_first_values_are_mostly_dashes_is_text_in_files_as_in_an_upload(
    client: object, tmp_path: Path
) -> None:
    """An upload looks at a column's first 1,000 values first: 600 dashes among them make it text, though they are
    less than a third of the column. Files in pieces of a few hundred rows decide it from the same 1,000."""
    fields = rows(2000, seed=8)
    for row in fields[:600]:
        row[0] = "-"
    content = csv(fields)
    path = one_file(tmp_path / "dashes", content)
    assert refusals(content, path, client, 4000) == ("text_features", "text_features")

    for row in fields[:600:2]:  # 300 of the first 1,000: numbers but for them
        row[0] = "0.5"
    content = csv(fields)
    (tmp_path / "dashes" / "data.csv").write_text(content)
    data = distributed.load(path, "y", missing="drop", client=client, partition_bytes=4000)
    assert data.n_partitions > 5
    assert_read_alike(data, sgdcore.read_table(content.encode()), "drop")


def test_excels_sep_line_names_the_delimiter(client: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``sep=;`` above a semicolon file with decimal commas: the same numbers and notices; several files with it
    are named in one notice, in both languages."""
    fields = rows(80, seed=3, delimiter=";")
    fields[10][0] = "#DIV/0!"
    content = csv(fields, ";", above="sep=;\n")
    path = one_file(tmp_path / "sep", content)
    table = sgdcore.read_table(content.encode())
    assert table.delimiter == ";" and table.notices[0].kind == "sep_line"
    data = distributed.load(path, "y", missing="drop", client=client, partition_bytes=300)
    assert_read_alike(data, table, "drop")
    assert data.notices[0] == "'data.csv': " + table.notices[0]
    assert next(notice for notice in data.notices if notice.kind == "not_numbers").fields["cells"] == [
        {"file": "data.csv", "line": 13, "value": "#DIV/0!"}]

    (tmp_path / "sep" / "more.csv").write_text(csv(rows(20, seed=4, delimiter=";"), ";", above="sep=;\n"))
    both = distributed.load(tmp_path / "sep", "y", missing="drop", client=client, partition_bytes=300)
    assert [notice.kind for notice in both.notices].count("sep_line") == 1
    assert both.notices[0].fields["files"] == ["data.csv", "more.csv"]
    monkeypatch.setattr("ui.i18n.language", lambda: "zh-CN")
    chinese = messages.notice_text(both.notices[0])
    assert chinese.startswith("'data.csv'、'more.csv'：已按 Excel 的做法读取第一行 'sep=;'"), chinese


@pytest.mark.parametrize("partition_bytes", [10, 200])
def test_title_lines_above_the_header_are_skipped_in_the_first_piece_only(
    client: object, tmp_path: Path, partition_bytes: int
) -> None:
    """A report's title, its date and a blank line above the header: skipped with the upload's notice, every row
    read once though the lines above the header are longer than a piece, and a missing value named at the line
    an upload counts."""
    fields = rows(60, seed=5)
    content = csv(fields, above="Sales by region\nExported 2026-12-05\n\n")
    path = one_file(tmp_path / "titles", content)
    table = sgdcore.read_table(content.encode())
    assert table.notices[0].kind == "title_lines" and table.notices[0].fields["header_line"] == 4
    data = distributed.load(path, "y", client=client, partition_bytes=partition_bytes)
    assert data.n_partitions > 5
    assert_read_alike(data, table, "error")
    np.testing.assert_allclose(distributed.closed_form(data, client=client).params,
                               sgdcore.closed_form(sgdcore.dataset_from_frame(table.frame, "y")).params, rtol=1e-9)

    fields[30][1] = ""  # line 35: 3 lines above the header, the header, 30 rows
    (tmp_path / "titles" / "data.csv").write_text(csv(fields, above="Sales by region\nExported 2026-12-05\n\n"))
    with pytest.raises(DataError, match=r"the first in data\.csv, line 35"):
        distributed.load(path, "y", client=client, partition_bytes=partition_bytes)


def test_a_header_below_a_title_that_cannot_be_skipped_is_refused_as_an_upload_refuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A title with a comma in it is read as the header: the error says where the header seems to be, as the
    upload's does, and names the file, in both languages."""
    content = csv(rows(20, seed=6), above="Sales, by region\n\n")
    path = one_file(tmp_path / "title", content)
    with pytest.raises(DataError) as uploaded:
        sgdcore.read_table(content.encode())
    with pytest.raises(DataError) as in_files:
        distributed.inspect(path)
    assert uploaded.value.problem == in_files.value.problem == "header_below"
    assert in_files.value.fields == {**uploaded.value.fields, "file": "data.csv"}
    assert str(in_files.value) == f"data.csv: {uploaded.value}"
    assert error_text_in("en", in_files.value).startswith("data.csv: Cannot read the file as comma-separated")
    monkeypatch.setattr("ui.i18n.language", lambda: "zh-CN")
    assert error_text_in("zh-CN", in_files.value) == "data.csv：" + error_text_in("zh-CN", uploaded.value)
    assert "第 3 行" in error_text_in("zh-CN", in_files.value)


def test_a_sign_on_every_number_is_said_with_a_number_though_the_first_cell_is_not_one(
    client: object, tmp_path: Path
) -> None:
    """'$' on every price but the first cell, '#DIV/0!': both say the '$' with the first price, '$1.25' is 1.25
    (the upload said "'#DIV/0!' is 1.25")."""
    fields = rows(40, seed=7)
    for row in fields:
        row[0] = "-$" + row[0][1:] if row[0].startswith("-") else "$" + row[0]
    fields[0][0], fields[1][0] = "#DIV/0!", "$1.25"
    content = csv(fields)
    path = one_file(tmp_path / "prices", content)
    table = sgdcore.read_table(content.encode())
    sign = next(notice for notice in table.notices if notice.kind == "currency_sign")
    assert sign.fields["example"] == "$1.25" and sign.fields["value"] == 1.25
    data = distributed.load(path, "y", missing="drop", client=client, partition_bytes=300)
    assert_read_alike(data, table, "drop")

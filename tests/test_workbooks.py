"""Workbooks read as tables (sgdcore.io.workbooks): the sheet chosen, its header, its cells, and what is said of them;
and what reading one costs in memory (ui.memory.workbook_peak), measured."""

from __future__ import annotations

import datetime
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_app_pages import button, no_exceptions, open_page
from test_data_page import app, choice, upload
from test_memory import RESIDENT_PEAK, Fixed

import sgdcore
from sgdcore.errors import ConfigError, DataError
from sgdcore.io import dataset_from_frame, load_csv, read_table
from sgdcore.io.workbooks import column_letter, workbook_kind
from tests.shown_texts import shown_texts
from ui import memory, uploads

Rows = list[list[object]]


def workbook(sheets: dict[str, Rows], at: str = "A1") -> bytes:
    """An .xlsx file whose sheets hold ``rows``, each sheet's first row at the cell ``at``."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    start = openpyxl.utils.cell.coordinate_from_string(at)
    first_column = openpyxl.utils.cell.column_index_from_string(start[0])
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.cell(row=start[1] + r, column=first_column + c, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def house_prices(rows: int = 30) -> Rows:
    """面积, 房龄 → 价格 = 3·面积 − 房龄 + 1, exactly."""
    rng = np.random.default_rng(0)
    table: Rows = [["面积", "房龄", "价格"]]
    for _ in range(rows):
        area, age = (float(value) for value in rng.normal(size=2))
        table.append([area, age, 3 * area - age + 1])
    return table


def test_a_sheet_of_numbers_reads_as_its_cells_and_trains_to_its_exact_answer() -> None:
    raw = workbook({"房价": house_prices()})
    table = read_table(raw, name="房价.xlsx")
    assert (table.name, table.sheet, table.sheets, table.encoding, table.delimiter) == (
        "房价.xlsx", "房价", ("房价",), "", "")
    assert list(table.frame.columns) == ["面积", "房龄", "价格"]
    # As openpyxl wrote them (16 significant digits), every float to the bit
    reference = pd.read_excel(io.BytesIO(raw), engine="openpyxl")
    assert table.frame.to_numpy().tolist() == reference.to_numpy().tolist()
    np.testing.assert_allclose(table.frame.to_numpy(), house_prices()[1:], rtol=1e-15)
    assert table.notices == ()
    dataset = dataset_from_frame(table.frame, "价格")
    closed = sgdcore.closed_form(dataset)
    np.testing.assert_allclose([*closed.weights, closed.bias], [3.0, -1.0, 1.0], atol=1e-12)


def test_a_workbook_is_read_from_a_path_a_file_object_and_its_bytes_alike(tmp_path: Path) -> None:
    raw = workbook({"data": house_prices(5)})
    path = tmp_path / "data.xlsx"
    path.write_bytes(raw)
    with path.open("rb") as handle:
        frames = [read_table(path).frame, read_table(raw).frame, read_table(handle).frame]
    for frame in frames[1:]:
        pd.testing.assert_frame_equal(frame, frames[0])
    assert read_table(path).name == "data.xlsx"
    assert load_csv(path, "价格").n_rows == 5


def test_the_sheet_read_is_the_first_that_holds_a_table_and_another_can_be_named() -> None:
    raw = workbook({"说明": [["本工作簿的数据在“房价”表中"], ["第二行说明"]], "空": [], "房价": house_prices(4),
                    "旧": [["x", "y"], [1, 2], [2, 3]]})
    table = read_table(raw)
    assert (table.sheet, table.sheets) == ("房价", ("说明", "房价", "旧"))  # an empty sheet is not offered
    assert table.notices[-1].kind == "other_sheets"
    assert table.notices[-1].fields == {"sheet": "房价", "others": ["说明", "旧"]}
    assert str(table.notices[-1]) == "Read the sheet '房价'; the workbook's other sheets that hold cells: '说明', '旧'."
    other = read_table(raw, sheet="旧")
    assert other.sheet == "旧" and other.frame.to_numpy().tolist() == [[1, 2], [2, 3]]
    with pytest.raises(ConfigError, match="sheet must be one of '说明', '空', '房价', '旧'; got 'prices'") as caught:
        read_table(raw, sheet="prices")
    assert caught.value.problem == "one_of"
    with pytest.raises(DataError) as caught:
        read_table(raw, sheet="空")
    assert str(caught.value) == ("The sheet '空' holds no cell. Choose a sheet that holds the table: '说明', '房价', "
                                 "'旧'.")
    assert (caught.value.problem, caught.value.fields["sheets"]) == ("sheet_empty", ["说明", "房价", "旧"])


def test_a_table_far_down_its_sheet_is_found_past_a_sheet_of_notes() -> None:
    raw = workbook({"notes": [["note"]], "data": [["2024"], *house_prices(3)]}, at="C120")
    table = read_table(raw)
    assert (table.sheet, table.frame.shape) == ("data", (3, 3))
    assert table.notices[0].fields["header_row"] == 121


def test_a_sheet_of_notes_alone_is_read_and_said_to_have_no_data_rows_naming_the_sheets() -> None:
    raw = workbook({"说明": [["只有一行说明"]], "旧": [["x", "y"]]})
    with pytest.raises(DataError, match="has a header row") as caught:
        read_table(raw)
    assert caught.value.problem == "no_data_rows"
    assert caught.value.fields == {"columns": ["只有一行说明"], "sheet": "说明", "sheets": ["说明", "旧"]}


def test_title_rows_above_the_header_are_skipped_and_cells_are_named_by_their_address() -> None:
    rows = [["2024 年房价统计"], [], ["单位：万元"], *house_prices(8)]
    rows[5][1] = "-"  # 房龄 of the second data row
    rows[7][2] = None  # 价格 of the fourth: empty
    raw = workbook({"房价": rows}, at="C5")
    table = read_table(raw)
    titles, strays, missing = table.notices
    assert titles.kind == "title_rows"
    assert titles.fields == {"rows": 3, "header_row": 8, "titles": ["2024 年房价统计", "单位：万元"]}
    assert str(titles) == ("Skipped the 3 row(s) above the header, which is on row 8: they hold one cell each, like a "
                           "title: '2024 年房价统计', '单位：万元'.")
    # The header on row 8 from column C: the second data row is row 10, 房龄 in column D
    assert strays.fields == {"column": "房龄", "count": 1, "cells": [{"cell": "D10", "value": "-"}]}
    assert str(strays) == ("'房龄' holds numbers but for 1 cell(s) that are not: '-' (cell D10). They are read as "
                           "missing values.")
    assert missing.fields == {"column": "价格", "count": 1, "cells": [{"cell": "E12", "value": ""}]}
    assert str(missing) == "'价格' has 1 missing value(s): an empty cell or an error value (cell E12)."
    assert table.frame["房龄"].dtype == np.float64 and np.isnan(table.frame["房龄"][1])


def test_blank_rows_are_skipped_and_the_addresses_below_them_stay_true() -> None:
    rows = [["x", "y"], [1.0, 2.0], [], [], [3.0, "n/a"], [5.0, 6.0]]
    table = read_table(workbook({"s": rows}))
    assert table.frame["x"].tolist() == [1.0, 3.0, 5.0]
    (missing,) = table.notices
    assert (missing.kind, missing.fields["cells"]) == ("missing_cells", [{"cell": "B5", "value": "n/a"}])
    assert str(missing) == "'y' has 1 missing value(s): 'n/a' (cell B5)."


def test_text_a_csv_reads_as_missing_is_missing_in_a_sheet_too() -> None:
    """pandas reads NA, n/a, #N/A and the like in a CSV as missing values: typed into a sheet, they mean the same."""
    rows = [["x", "y"], *[[float(i), float(2 * i)] for i in range(6)]]
    rows[2][1], rows[4][1] = "NA", "n/a"  # "#N/A" typed into a cell is Excel's error value: empty to calamine
    csv = "\n".join(",".join(str(value) for value in row) for row in rows).encode()
    from_sheet, from_csv = read_table(workbook({"s": rows})), read_table(csv)
    pd.testing.assert_frame_equal(from_sheet.frame, from_csv.frame)
    assert [cell["value"] for cell in from_sheet.notices[0].fields["cells"]] == ["NA", "n/a"]
    assert [cell["value"] for cell in from_csv.notices[0].fields["cells"]] == ["NA", "n/a"]


def test_cells_are_read_as_they_are_stored() -> None:
    rows = [[2024, None, "日期", "开关", "价格", "备注"],
            [1.5, 7, datetime.date(2024, 1, 2), True, "1,234", "a"],
            [2.5, 8, datetime.datetime(2024, 1, 3, 9, 30), False, "2,345.5", None],
            [3.5, 9, datetime.date(2024, 1, 4), True, 120, "c"]]
    table = read_table(workbook({"s": rows}))
    frame = table.frame
    # A year as a header is 2024, not 2024.0; a header cell left empty is named by its column's letter
    assert list(frame.columns) == ["2024", "B", "日期", "开关", "价格", "备注"]
    assert frame["日期"].tolist() == ["2024-01-02", "2024-01-03T09:30:00", "2024-01-04"]  # text: not a quantity
    assert sgdcore.column_summary(frame).set_index("column").loc["日期", "type"] == "text"
    assert frame["开关"].tolist() == [1.0, 0.0, 1.0]  # TRUE and FALSE
    assert frame["价格"].tolist() == [1234.0, 2345.5, 120.0]  # numbers typed as text, commas between thousands
    assert table.number_formats == {"价格": (",", ".")}
    assert [notice.kind for notice in table.notices] == ["number_format", "missing_cells"]


def test_numbers_typed_as_text_say_how_they_were_written_as_in_a_csv() -> None:
    """The same reading of numbers written as text as a CSV's, and the same notices: the typographic minus sign."""
    rows = [["x", "y"], ["\u22121.5", 1.0], ["2", 2.0], ["3.5", 4.0]]
    table = read_table(workbook({"s": rows}))
    assert table.frame["x"].tolist() == [-1.5, 2.0, 3.5]
    assert [notice.kind for notice in table.notices] == ["minus_sign"]
    csv = read_table("x,y\n\u22121.5,1\n2,2\n3.5,4\n".encode())
    assert table.notices == csv.notices


def test_columns_that_hold_nothing_are_left_out_as_in_a_csv() -> None:
    rows = [["x", "empty", "y"], [1.0, None, 2.0], [2.0, None, 3.0]]
    table = read_table(workbook({"s": rows}))
    assert list(table.frame.columns) == ["x", "y"]
    assert [notice.kind for notice in table.notices] == ["empty_columns"]


def test_a_repeated_name_in_the_header_is_refused_as_in_a_csv() -> None:
    with pytest.raises(DataError, match="Duplicate column names") as caught:
        read_table(workbook({"s": [["x", "x", "y"], [1, 2, 3]]}))
    assert caught.value.problem == "duplicate_columns"
    assert caught.value.fields["sheets"] == ["s"]


def test_a_workbook_with_no_cell_is_said_to_have_none() -> None:
    with pytest.raises(DataError, match="holds no cell") as caught:
        read_table(workbook({"Sheet1": [], "Sheet2": []}))
    assert caught.value.problem == "workbook_empty"


def test_a_damaged_workbook_is_said_not_to_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(DataError, match="The workbook cannot be read") as caught:
        read_table(buffer.getvalue())
    assert caught.value.problem == "workbook_unreadable" and caught.value.fields["reason"]
    truncated = workbook({"s": house_prices(3)})[:-200]
    with pytest.raises(DataError) as caught:
        read_table(truncated)
    assert caught.value.problem == "workbook_unreadable"


def test_a_workbook_a_password_encrypts_is_said_to_be_so() -> None:
    """Excel keeps an encrypted .xlsx in an OLE2 compound file, in a stream named EncryptedPackage (its directory
    spells names in UTF-16): the header and the directory entry, the rest of the file left out."""
    raw = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptedInfo".encode("utf-16-le") + bytes(40)
           + "EncryptedPackage".encode("utf-16-le") + bytes(4000))
    assert workbook_kind(raw) == "xls"
    with pytest.raises(DataError, match="protected by a password") as caught:
        read_table(raw)
    assert caught.value.problem == "workbook_encrypted"


def test_an_opendocument_spreadsheet_reads_as_the_same_table_as_its_xlsx(tmp_path: Path) -> None:
    frame = pd.DataFrame(house_prices(6)[1:], columns=house_prices(0)[0])
    path = tmp_path / "房价.ods"
    frame.to_excel(path, index=False, engine="odf", sheet_name="房价")
    assert workbook_kind(path.read_bytes()[:4096]) == "ods"
    table = read_table(path)
    assert table.sheet == "房价"
    pd.testing.assert_frame_equal(table.frame, read_table(workbook({"房价": house_prices(6)})).frame)


def test_column_letters_are_the_spreadsheet_s() -> None:
    assert [column_letter(index) for index in (0, 1, 25, 26, 27, 51, 52, 701, 702, 16383)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD"]
    assert all(column_letter(index - 1) == openpyxl.utils.get_column_letter(index) for index in range(1, 3000))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Below 1e300: openpyxl writes 16 significant digits, and 1.7976931348623155e308 so written is past the largest float
@given(values=st.lists(st.lists(st.floats(-1e300, 1e300, allow_nan=False), min_size=3, max_size=3),
                       min_size=1, max_size=20),
       gaps=st.sets(st.tuples(st.integers(0, 19), st.integers(0, 2)), max_size=6))
def test_a_sheet_of_numbers_reads_as_pandas_reads_it_with_openpyxl(values: Rows, gaps: set[tuple[int, int]]) -> None:
    """The reference path: pandas' own reader, on openpyxl. Every number to the bit, every empty cell missing."""
    rows: Rows = [["a", "b", "c"], *[[None if (r, c) in gaps else value for c, value in enumerate(row)]
                                     for r, row in enumerate(values)]]
    rows = [rows[0], *[row for row in rows[1:] if any(value is not None for value in row)]]
    raw = workbook({"s": rows})
    if len(rows) == 1:
        with pytest.raises(DataError):
            read_table(raw)
        return
    ours = read_table(raw).frame
    theirs = pd.read_excel(io.BytesIO(raw), engine="openpyxl").astype(np.float64)
    theirs = theirs.drop(columns=[name for name in theirs.columns if theirs[name].isna().all()])
    pd.testing.assert_frame_equal(ours, theirs)


def _large_rows(rows: int, kind: str) -> Rows:
    """A header and ``rows`` rows of 10 cells."""
    rng = np.random.default_rng(0)
    if kind == "floats":
        body = rng.normal(size=(rows, 10)).tolist()
    elif kind == "one-digit numbers":
        body = rng.integers(0, 9, (rows, 10)).tolist()
    else:
        body = [[f"{kind} {row % 50}"] * 10 for row in range(rows)]
    return [[f"x{i}" for i in range(10)], *body]


def _write_xlsx(path: Path, rows: Rows) -> None:
    """As Excel writes its cells (openpyxl's write-only mode)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("data")
    for row in rows:
        sheet.append(row)
    book.save(path)


def _write_xls(path: Path, rows: Rows) -> None:
    book = xlwt.Workbook()
    sheet = book.add_sheet("data")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(path))


KINDS = ["floats", "one-digit numbers", "text of a few words"]


@pytest.mark.parametrize(("kind", "suffix", "bound"), [*[(kind, ".xlsx", 2.5) for kind in KINDS],
                                                       *[(kind, ".xls", 3.5) for kind in KINDS]])
def test_a_workbook_s_estimated_peak_covers_its_measured_peak(kind: str, suffix: str, bound: float,
                                                              tmp_path: Path) -> None:
    """An .xlsx's size says little of its memory (at 2,000,000 cells, 4.8 MB of text peaked at 310 MB and 26 MB of
    floats at 204 MB): its cells are counted on a sample of its sheet's XML, each charged as a number or as text, and
    the estimate covers each kind without doubling it much. An .xls, whose records are not read, is charged as text by
    its size: more above the peak for floats, whose records are longest."""
    path = tmp_path / f"large{suffix}"
    (_write_xlsx if suffix == ".xlsx" else _write_xls)(path, _large_rows(40_000, kind))
    run = subprocess.run([sys.executable, "-c", RESIDENT_PEAK, str(path)], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], check=True)
    peak, estimate = int(run.stdout), memory.upload_peak(path.read_bytes())
    assert estimate == memory.workbook_peak(path.read_bytes())
    assert peak <= estimate <= bound * peak, (kind, peak / 1e6, estimate / 1e6)


def test_an_excel_97_workbook_reads_as_the_same_table_as_its_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "房价.xls"
    _write_xls(path, [["2024 房价统计"], *house_prices(6)])
    assert workbook_kind(path.read_bytes()[:4096]) == "xls"
    table = read_table(path)
    assert (table.sheet, [notice.kind for notice in table.notices]) == ("data", ["title_rows"])
    pd.testing.assert_frame_equal(table.frame, read_table(workbook({"房价": house_prices(6)})).frame)


# On the Data page (AppTest)

def notes_and_prices() -> bytes:
    """A learner's workbook: a sheet of notes first, then the table under a title."""
    return workbook({"说明": [["本工作簿的数据在“房价”表中"]], "房价": [["2024 房价统计"], *house_prices()]})


def test_the_data_page_reads_the_sheet_with_the_table_offers_the_others_and_trains_on_it() -> None:
    at = upload(open_page(app(), "data"), "房价.xlsx", notes_and_prices())
    no_exceptions(at)
    sheet = choice(at, "keep_sheet_")
    assert (sheet.label, sheet.options, sheet.value) == ("Sheet", ["说明", "房价"], "房价")
    shown = shown_texts(at)
    assert "**房价.xlsx**: 30 rows × 3 columns, the sheet '房价'." in shown
    assert ("Skipped the 1 row(s) above the header, which is on row 2: they hold one cell each, like a title: "
            "'2024 房价统计'.") in shown
    assert ("Read the sheet '房价'; the workbook's other sheets that hold cells: '说明'. Choose another under “Sheet”, "
            "above.") in shown
    assert not [widget for widget in at.selectbox if (widget.key or "").startswith("keep_read_as_")]  # no encoding

    at = choice(at, "keep_sheet_").set_value("说明").run()  # a note, no table: said, and the data in use stays
    no_exceptions(at)
    assert at.error[0].value.startswith(
        "房价.xlsx: The file has a header row ('本工作簿的数据在“房价”表中') but no data rows")
    assert any(text.startswith("Nothing changed: still using synthetic data") for text in shown_texts(at))
    assert choice(at, "keep_sheet_").options == ["说明", "房价"]  # to choose the table again

    at = choice(at, "keep_sheet_").set_value("房价").run()
    assert (choice(at, "keep_target_").value, choice(at, "keep_features_").value) == ("价格", ["面积", "房龄"])
    button(at, "Use this dataset").click().run()
    assert at.success[0].value.startswith("Using 房价.xlsx: 30 rows, 2 features (面积, 房龄) to predict 价格."), (
        at.success[0].value)
    at = open_page(at, "train")
    no_exceptions(at)
    at = open_page(at, "data")  # the uploader is empty now: the kept table, at the sheet chosen
    assert choice(at, "keep_sheet_").value == "房价"
    assert "**房价.xlsx**: 30 rows × 3 columns, the sheet '房价'." in shown_texts(at)


def test_a_workbook_too_large_to_keep_offers_no_other_sheet_and_its_notice_says_how_to_read_one(monkeypatch) -> None:
    """Past ui.uploads.KEPT_WORKBOOK_BYTES the bytes go once read: no "Sheet" to choose, and the notice says how to
    read another sheet instead."""
    content = notes_and_prices()
    monkeypatch.setattr(uploads, "KEPT_WORKBOOK_BYTES", len(content) - 1)
    at = upload(open_page(app(lang="zh-CN"), "data"), "房价.xlsx", content)
    no_exceptions(at)
    assert not [widget for widget in at.selectbox if (widget.key or "").startswith("keep_sheet_")]
    assert ("已读取工作表 '房价'；工作簿中其他有单元格的工作表：'说明'。"
            "要读取另一个工作表，请在工作簿中把它移到其他工作表之前（或另存为 CSV），再重新上传。") in shown_texts(at)
    assert "**房价.xlsx**：30 行 × 3 列，工作表 '房价'。" in shown_texts(at)


def test_a_workbook_of_one_sheet_offers_no_choice_of_sheet() -> None:
    at = upload(open_page(app(), "data"), "prices.xlsx", workbook({"data": house_prices()}))
    no_exceptions(at)
    assert not [widget for widget in at.selectbox if (widget.key or "").startswith(("keep_sheet_", "keep_read_as_"))]
    assert "**prices.xlsx**: 30 rows × 3 columns, the sheet 'data'." in shown_texts(at)


def test_a_workbook_that_would_not_fit_is_refused_with_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "BUDGET", Fixed(limit=1_000_000_000, in_use=890_000_000).budget())
    content = workbook({"data": house_prices(20_000)})  # 60,000 cells: 16 MB and 7 MB charged, 10 MB free
    parsed = uploads.parse_upload(content, "big.xlsx", "file-1")
    assert str(parsed["error"]).startswith("Not enough memory for reading this 0.9 MB file: this server has 1.0 GB and "
                                           "890 MB is in use; this needs about 23 MB, and 10 MB is free."), parsed


def test_a_workbook_is_heavy_to_read_by_its_cells_not_by_its_compressed_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading is lowered in priority for heavy work (ui.runner.background_priority): a CSV by its bytes, a
    workbook by its cells, which a megabyte of zipped XML can hold hundreds of thousands of."""
    content = workbook({"data": house_prices(20_000)})  # a header and 60,000 numbers in 0.9 MB
    cells, text_share, _ = memory.workbook_cells(content)
    assert 60_003 <= cells <= 1.1 * 60_003 and text_share < 0.001
    monkeypatch.setattr(uploads, "HEAVY_UPLOAD_BYTES", 1)  # a CSV of any size would be heavy now
    assert not uploads.heavy_upload(content)
    monkeypatch.setattr(uploads, "HEAVY_WORKBOOK_CELLS", cells)
    assert uploads.heavy_upload(content)

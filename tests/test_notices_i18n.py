"""sgdcore's notices in the page's language: every notice sgdcore makes about cleaning data carries its kind and
fields, every kind has a wording in both catalogues made of those fields, and the Data page says it in Chinese with
the same numbers, never by reading sgdcore's English."""

from __future__ import annotations

import ast
import copy
import io
import pickle
import re
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_app_pages import button, no_exceptions, open_page
from test_data_page import ROOT, app, choice, upload
from test_large_data_page import large_data_page
from test_workbooks import workbook

import sgdcore
from sgdcore.data import Dataset, Notice
from sgdcore.errors import Place
from sgdcore.io import dataset_from_frame, load_csv, notices, read_table
from tests.shown_texts import english
from ui import messages
from ui.i18n import LANGUAGES, catalogue

SGDCORE = Path(sgdcore.__file__).resolve().parent
CHINESE = re.compile(r"[\u4e00-\u9fff]")
NUMBER = re.compile(r"\d(?:[\d,.]*\d)?")
QUOTED = re.compile(r"'[^']*'")  # the data's own words (column names, values), which a notice repeats as they are


def made_kinds() -> set[str]:
    """Every kind a ``Notice(text, "kind", ...)`` in sgdcore's source names (its second argument), but in
    sgdcore/data.py, where a notice is rebuilt from a pickle with the kind it had."""
    kinds = set()
    for path in set(SGDCORE.rglob("*.py")) - {SGDCORE / "data.py"}:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Notice" and len(node.args) > 1:
                assert isinstance(node.args[1], ast.Constant), f"{path}:{node.lineno}: name the kind literally"
                kinds.add(node.args[1].value)
    return kinds


def cleaned(missing: str = "error", non_numeric: str = "error", infinite: str = "error") -> tuple[Notice, ...]:
    """The notices of a table with a text column, missing values (one in the target) and an infinite value."""
    frame = pd.DataFrame({
        "a": [1.0, np.nan, 3.0, 4.0, np.nan, 6.0, 7.0, 8.0, 9.0, 10.0],
        "city": ["Paris", "Lyon", "Rome", "Paris", "Lyon", "Rome", "Paris", "Lyon", "Rome", "Lyon"],
        "b": [0.5, 1.5, -2.0, np.inf, 0.0, 1.0, 2.5, -1.0, 3.0, 0.25],
        "y": [1.0, 2.0, np.nan, 4.0, 5.0, 6.5, 7.0, 8.5, 9.0, 10.5],
    })
    return dataset_from_frame(frame, "y", missing=missing, non_numeric=non_numeric, infinite=infinite).notices


def read_notices() -> tuple[Notice, ...]:
    """A Latin-1 file with a column of numbers written with a thousands separator and a decimal point."""
    content = "price,note,y\n" + "".join(f'"{1000 + 37.5 * i:,}",caf\u00e9,{i}\n' for i in range(6))
    return read_table(content.encode("latin-1")).notices


def sample_notices() -> list[Notice]:
    """A notice of every kind: made by sgdcore.io's cleaning and reading, and, for the kinds only data in files
    gives (``sgdcore.distributed``, which needs a cluster), by the functions its plan calls."""
    made = [*read_notices(), *read_table("面积,价格\n1,2\n3,4\n".encode("gbk")).notices,
            *read_table("面積,價格,房齡\n1,2,3\n".encode("cp950")).notices,
            *read_table("Preis (€),y\n1,2\n".encode("cp1252")).notices,
            *read_table("面积\ty\r\n1\t2\r\n".encode("utf-16")).notices,
            *[said for said in read_table(b"Preis;Einwohner\n1,5;28.779\n2,5;329\n").notices
              if said.kind == "thousands_points"],
            *read_table(b"a;;y;\n1;;2;\n3;;5;\n").notices,
            *read_table(b'price,discount,y\n"$1,018.41",7.0%,1\n$5,4.4%,2\n').notices,
            *read_table(b"balance,y\n(5.00),1\n7.25,2\n").notices,
            *read_table(b"a,y\n1.5,1\n#DIV/0!,2\n2.5,3\n").notices,
            *read_table(b"a,y\n1.5,1\n#N/A,2\n,3\n2.5,4\n").notices,
            *read_table(b"sep=;\na;y\n1;1\n2;3\n").notices,
            *read_table(b"Sales 2024\n\na,y\n1,1\n2,3\n").notices,
            *read_table("a,y\n\u22121.5,1\n2,3\n".encode()).notices,
            *cleaned("drop", "drop", "drop"), *cleaned("drop", "onehot", "drop"), *cleaned("mean", "onehot", "drop"),
            *read_table(workbook({"说明": [["见下表"]], "房价": [["2024 房价"], ["面积", "价格"], [1, "-"], [2, 3]]}))
            .notices]
    single = pd.DataFrame({"a": [1.0, 2.0, 4.0], "k1": ["x", "x", "x"], "y": [1.0, 3.0, 2.0]})
    made += dataset_from_frame(single, "y", non_numeric="onehot").notices
    saved_with_index = pd.DataFrame({"Unnamed: 0": range(12), "a": np.linspace(0, 1, 12) ** 2,
                                     "y": np.arange(12.0) % 5})
    made += dataset_from_frame(saved_with_index, "y").notices
    made += [notices.missing_dropped_in_files({"a": 3, "y": 1}, "y"),
             notices.missing_filled_in_files({"a": 2}, {"a": 1.5})]
    made += [notices.files_not_utf8(encoding, ["2025/房价.csv", "b.csv"]) for encoding in notices.ENCODING_NAMES]
    # Of data files: the lines above their header, and the cells that are not numbers, by file and line
    made += [notices.sep_line(";", ["2025/房价.csv", "b.csv"]),
             notices.title_lines(3, 4, ["Sales 2024", "Exported 2026-12-05"], ["b.csv"])]
    made.append(notices.not_numbers("a", 7, [(Place("2025/房价.csv", "line", 1204), "#DIV/0!"),
                                             (Place("b.csv", "line", 3), "-")]))
    return made + run_notices()


# How a run trains: the kernel it fell back to, the threads it was allowed, the shuffle data in files allows
RUN_KINDS = {"numpy_fallback", "threads_lowered", "blocks_per_partition"}


def run_notices() -> list[Notice]:
    from sgdcore.backends import numpy_fallback_notice, threads_lowered_notice
    from sgdcore.distributed.training import blocks_per_partition_notice

    return [numpy_fallback_notice(ImportError("No module named 'numba'")), threads_lowered_notice(4, 1),
            threads_lowered_notice(8, 2), blocks_per_partition_notice()]


def in_language(monkeypatch: pytest.MonkeyPatch, language: str) -> None:
    monkeypatch.setattr("ui.i18n.language", lambda: language)


def test_sgdcore_lists_every_kind_of_notice_it_makes() -> None:
    assert made_kinds() == set(notices.KINDS) | RUN_KINDS
    assert {notice.kind for notice in sample_notices()} == set(notices.KINDS) | RUN_KINDS


def test_the_distributed_plan_says_its_notices_with_sgdcore_io_s_functions() -> None:
    plan = (SGDCORE / "distributed" / "plan.py").read_text(encoding="utf-8")
    called = set(re.findall(r"\bnotice\.(\w+)\(", plan))
    assert called == {"number_format", "minus_sign", "not_numbers", "sign_left_out", "negatives_in_parentheses",
                      "thousands_points", "text_dropped", "one_hot", "missing_dropped_in_files",
                      "target_missing_dropped", "missing_filled_in_files"}
    assert '"Dropped' not in plan and '"Filled' not in plan and '"One-hot' not in plan


def test_every_kind_is_worded_in_both_languages_from_its_own_fields() -> None:
    by_kind = {notice.kind: notice for notice in sample_notices()}
    assert set(messages.NOTICE_FIELDS) == set(notices.KINDS) | RUN_KINDS
    for kind in set(notices.KINDS) | RUN_KINDS:
        worded = set(messages.NOTICE_FIELDS[kind](by_kind[kind].fields))
        for language in LANGUAGES:
            template = catalogue(language)[f"messages.notice.{kind}"]
            wanted = {name for _, name, _, _ in string.Formatter().parse(template) if name}
            assert wanted <= worded, (language, kind, wanted - worded)


def test_in_english_the_page_says_what_sgdcore_says() -> None:
    for notice in sample_notices():
        if notice.kind != "number_format":  # the page shows how such a number is written: 1,234.5
            # (a reason from Python or Numba is shown as code: it stays as the system wrote it, in English)
            assert messages.notice_text(notice).replace("`", "") == notice, notice.kind
    assert [messages.notice_text(notice) for notice in read_notices()] == [
        "Read as Latin-1 (the file is not UTF-8)." + notices.GARBLED, "Read 'price' as numbers written like 1,234.5."]


def test_in_chinese_every_notice_is_chinese_with_the_same_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    made = sample_notices()
    in_language(monkeypatch, "zh-CN")
    for notice in made:
        chinese = messages.notice_text(notice)
        assert CHINESE.search(chinese) and chinese != notice, (notice.kind, chinese)
        assert not english(QUOTED.sub(" ", chinese)), (notice.kind, chinese)
        english_numbers = NUMBER.findall(str(notice) if notice.kind != "number_format" else "1,234.5")
        for number in english_numbers:
            assert number in chinese, (notice.kind, number, chinese)


def test_the_chinese_names_the_columns_and_counts_as_the_english_does(monkeypatch: pytest.MonkeyPatch) -> None:
    one_hot, dropped, _ = cleaned("drop", "onehot", "drop")
    assert dropped == "Dropped 3 of 10 row(s) with missing values: 'a' (2), 'y' (1, the target)."
    assert one_hot.kind == "one_hot" and one_hot.fields == {
        "column": "city", "values": 3, "columns": ["city=Paris", "city=Rome"], "baseline": "Lyon"}
    in_language(monkeypatch, "zh-CN")
    assert messages.notice_text(dropped) == "已删除 10 行中含缺失值的 3 行：'a'（2）、'y'（1，目标列）。"
    assert messages.notice_text(one_hot) == ("已对 'city' 进行独热编码：3 个值 → 2 列（'city=Paris'、'city=Rome'）；"
                                             "'Lyon' 作为基准，不单独成列。")


def test_a_notice_is_the_str_it_always_was() -> None:
    notice = cleaned("drop", "drop", "drop")[0]
    assert isinstance(notice, str) and notice == "Dropped 1 non-numeric feature column(s): 'city'."
    assert notice in {"Dropped 1 non-numeric feature column(s): 'city'."}
    assert " ".join([notice, "x"]).endswith("'city'. x") and type(str(notice)) is str


def test_a_notice_survives_pickling_and_copying_with_its_kind_and_fields() -> None:
    for notice in sample_notices():
        for copied in (pickle.loads(pickle.dumps(notice)), copy.deepcopy(notice), copy.copy(notice)):
            assert (type(copied), copied, copied.kind, copied.fields) == (Notice, notice, notice.kind, notice.fields)
    data = dataset_from_frame(pd.DataFrame({"a": [1.0, None, 3.0, 4.0], "y": [1.0, 2.0, 2.5, 4.0]}), "y",
                              missing="drop")
    (notice,) = pickle.loads(pickle.dumps(data)).notices
    assert (notice.kind, notice.fields["rows"], notice.fields["counts"]) == ("missing_dropped", 1, {"a": 1})


def test_a_csv_loaded_whole_starts_with_the_notices_of_reading_it() -> None:
    content = "price,y\n" + "".join(f'"{1000 + 37.5 * i:,}",{i % 3}\n' for i in range(6))
    data = load_csv(content.encode())
    assert [notice.kind for notice in data.notices] == ["number_format"]
    assert data.notices[0].fields == {"column": "price", "thousands": ",", "decimal": "."}


def test_a_notice_without_a_kind_or_with_other_fields_is_shown_as_sgdcore_wrote_it(monkeypatch) -> None:
    in_language(monkeypatch, "zh-CN")
    assert messages.notice_text("3 rows with missing values were dropped") == "3 rows with missing values were dropped"
    assert messages.notice_text(Notice("something new", "no_such_kind", rows=3)) == "something new"
    assert messages.notice_text(Notice("other fields", "missing_dropped", rows=3)) == "other fields"
    noted = Dataset(np.eye(3), np.ones(3), ("a", "b", "c"), notices=("plain",))
    assert [messages.notice_text(notice) for notice in noted.notices] == ["plain"]


# The Data page, in Chinese

def gaps_and_cities_csv(rows: int = 30) -> bytes:
    """a, city → y, with 'a' missing in rows 2 and 5 and the target missing in row 9."""
    lines = ["a,city,y"]
    for i in range(rows):
        city = ("Paris", "Lyon", "Rome")[i % 3]
        a = "" if i in (2, 5) else f"{(i * 7 % 11) / 3:.6g}"
        y = "" if i == 9 else f"{i % 5 + (i % 3) * 0.5:.6g}"
        lines.append(f"{a},{city},{y}")
    return "\n".join(lines).encode()


def mean_of_a() -> str:
    """The mean that fills gaps_and_cities_csv's 'a', over the rows with a target, as the notices give it."""
    frame = pd.read_csv(io.BytesIO(gaps_and_cities_csv()))
    return f"{frame.loc[frame['y'].notna(), 'a'].mean():.6g}"


def captions(at) -> list[str]:
    return [caption.value for caption in at.caption]


def test_the_chinese_data_page_says_what_cleaning_did_in_chinese_with_the_same_numbers() -> None:
    at = upload(open_page(app(lang="zh-CN"), "data"), "gaps.csv", gaps_and_cities_csv())
    choice(at, "keep_non_numeric_").set_value("onehot").run()
    choice(at, "keep_missing_").set_value("drop").run()
    no_exceptions(at)
    assert not at.error, [error.value for error in at.error]
    shown = captions(at)
    assert ("已对 'city' 进行独热编码：3 个值 → 2 列（'city=Paris'、'city=Rome'）；"
            "'Lyon' 作为基准，不单独成列。") in shown
    assert "已删除 30 行中含缺失值的 3 行：'a'（2）、'y'（1，目标列）。" in shown
    assert not [text for text in shown if "Dropped" in text or "One-hot" in text]
    choice(at, "keep_missing_").set_value("mean").run()
    no_exceptions(at)
    shown = captions(at)
    assert "已删除目标列 'y' 缺失的 1 行（目标值无法填补）。" in shown
    assert f"已用列均值填充 2 个缺失值：'a'（2）；均值：'a' {mean_of_a()}。" in shown
    assert not [text for text in shown if "Filled" in text or "Dropped" in text]
    at.selectbox(key="lang").set_value("en").run()  # the language switch says them again in English
    shown = captions(at)
    assert "Dropped 1 row(s) where the target 'y' is missing (a target cannot be imputed)." in shown
    assert f"Filled 2 missing value(s) with the column mean: 'a' (2); the means: 'a' {mean_of_a()}." in shown


def test_the_chinese_large_data_section_says_what_cleaning_did_in_chinese(
    local_cluster: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SGD_DASHBOARD_CLOUD", "0")  # the large-data source is offered off the cloud only
    (tmp_path / "gaps.csv").write_bytes(gaps_and_cities_csv())
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=180)
    at.query_params["lang"] = "zh-CN"
    at = large_data_page(at.run(), str(tmp_path / "gaps.csv"))
    choice(at, "keep_dask_missing|").set_value("mean").run()
    choice(at, "keep_dask_non_numeric|").set_value("onehot").run()
    at = button(at, "读取文件").click().run()
    no_exceptions(at)
    assert not at.error, [error.value for error in at.error]
    shown = captions(at)
    assert ("已对 'city' 进行独热编码：3 个值 → 2 列（'city=Paris'、'city=Rome'）；"
            "'Lyon' 作为基准，不单独成列。") in shown, shown
    assert "已删除目标列 'y' 缺失的 1 行（目标值无法填补）。" in shown
    assert f"已用列均值填充缺失值：'a'（2）；均值：'a' {mean_of_a()}。" in shown
    assert not [text for text in shown if "Filled" in text or "Dropped" in text or "One-hot" in text]


def test_the_large_data_section_says_which_files_it_read_as_chinese(
    local_cluster: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files saved by Excel on a Chinese Windows (GBK) are named, as an upload's file is said to be read as GBK."""
    monkeypatch.setenv("SGD_DASHBOARD_CLOUD", "0")
    rows = "".join(f"{i},{i % 7},{3 * i + 1}\n" for i in range(40))
    for year in (2025, 2026):
        (tmp_path / f"房价{year}.csv").write_bytes(("面积,房龄,价格\n" + rows).encode("gbk"))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=180)
    at.query_params["lang"] = "zh-CN"
    at = button(large_data_page(at.run(), str(tmp_path)), "读取文件").click().run()
    no_exceptions(at)
    assert not at.error, [error.value for error in at.error]
    assert ("'房价2025.csv'、'房价2026.csv' 不是 UTF-8，已按以下编码读取：中文 GBK（GB18030）。若文字显示为乱码，"
            "请把它们重新存为 UTF-8 后再试。") in captions(at)


def test_the_chinese_large_data_section_says_how_it_read_numbers_written_as_an_upload_is_told(
    local_cluster: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files from a German spreadsheet (decimal commas, € on every price, 28.779 for 28779): the section says in
    Chinese how it read their numbers, in the words the Data page says them of the same rows uploaded."""
    monkeypatch.setenv("SGD_DASHBOARD_CLOUD", "0")
    header = "Preis;Gewicht;Einwohner;y\n"
    rows = [f"{1000 + 37 * i:,}".replace(",", ".") + f",{i % 4 * 25} €;{i * 7 % 11},5;"
            + f"{1000 * (i % 9 + 1) + i * i % 997:,}".replace(",", ".") + f";{3 * i + i % 5},25\n" for i in range(40)]
    for half, part in enumerate((rows[:20], rows[20:])):
        (tmp_path / f"preise{half}.csv").write_text(header + "".join(part), encoding="utf-8")
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=180)
    at.query_params["lang"] = "zh-CN"
    at = button(large_data_page(at.run(), str(tmp_path)), "读取文件").click().run()
    no_exceptions(at)
    assert not at.error, [error.value for error in at.error]
    shown = captions(at)
    assert "已将 'Preis' 去掉其中的 '€' 读作数字：'1.000,0 €' 即 1,000.0。" in shown, shown
    in_language(monkeypatch, "zh-CN")
    uploaded = read_table((header + "".join(rows)).encode("utf-8")).notices
    assert {notice.kind for notice in uploaded} == {"number_format", "currency_sign", "thousands_points"}
    assert all(messages.notice_text(notice) in shown for notice in uploaded), shown

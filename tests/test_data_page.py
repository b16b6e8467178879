"""The Data page speaks the page's language: its messages name its widgets, and a refused file keeps the data in use.

Also the sidebar's typed numbers and a share link's weights, which the same issue covers.
"""

from __future__ import annotations

import ast
import io
import re
import string
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_app_pages import button, comparison_table, no_exceptions, open_page

import sgdcore
from sgdcore.errors import DataError
from sgdcore.io import dataset_from_frame, read_table
from tests.shown_texts import english, shown_texts
from ui import messages, uploads
from ui.datasets import CSV_KEY
from ui.i18n import LANGUAGES, catalogue, text_in
from ui.settings import MAX_FEATURES

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120
SGDCORE_PARAMETERS = ("missing=", "non_numeric=", "infinite=", "'drop'", "'mean'", "'onehot'")


def app(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT)
    for name, text in query.items():
        at.query_params[name] = text
    return at.run()


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    return at.file_uploader[0].set_value((name, content, "text/csv")).run()


def choice(at: AppTest, prefix: str):
    """The Data page's widget whose key starts with ``prefix`` (its keys carry the file's digest)."""
    widgets = [*at.radio, *at.selectbox, *at.multiselect]
    return next(widget for widget in widgets if widget.key and widget.key.startswith(prefix))


def rows_csv(rows: int = 30, *, blank: tuple[int, ...] = (), infinite: tuple[int, ...] = ()) -> bytes:
    """a, b → y = a − 2b + 1, with the rows ``blank`` missing 'a' and the rows ``infinite`` holding inf in 'b'."""
    rng = np.random.default_rng(0)
    lines = ["a,b,y"]
    for i in range(rows):
        a, b = rng.normal(size=2)
        lines.append(f"{'' if i in blank else f'{a:.17g}'},{'inf' if i in infinite else f'{b:.17g}'},"
                     f"{a - 2 * b + 1:.17g}")
    return "\n".join(lines).encode()


def in_use(name: str = "first.csv") -> AppTest:
    """The Data page with ``name`` (30 good rows) uploaded and in use."""
    at = open_page(app(), "data")
    at = upload(at, name, rows_csv())
    button(at, "Use this dataset").click().run()
    assert at.session_state[CSV_KEY]["name"] == name
    return at


def assert_still_in_use(at: AppTest, name: str = "first.csv") -> None:
    assert any(f"Nothing changed: still using {name}" in caption.value for caption in at.caption)
    assert at.session_state[CSV_KEY]["name"] == name and at.session_state["data_source"] == "csv"


def assert_speaks_the_page(message: str) -> None:
    assert not any(parameter in message for parameter in SGDCORE_PARAMETERS), message


# The wording of every problem sgdcore raises


def raised_problems() -> set[str]:
    """Every ``problem`` a ``DataError(...)`` in sgdcore's source names (its second argument)."""
    problems = set()
    for path in (ROOT / "sgdcore").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "DataError" and len(node.args) > 1:
                if isinstance(node.args[1], ast.Attribute) and node.args[1].attr == "problem":
                    continue  # an error passed on with more fields (the file it is in): its problem is named where made
                assert isinstance(node.args[1], ast.Constant), f"{path}:{node.lineno}: name the problem literally"
                problems.add(node.args[1].value)
    return problems


def worded_by_the_data_page() -> set[str]:
    """The problems ui.messages words with the Data page's widgets; the others (a split that leaves no test row,
    a large-data source's files) are worded by ui.errors, from the [errors] region."""
    raised = raised_problems()
    by_errors = {problem for problem in raised if f"errors.{problem}" in catalogue("en")}
    assert raised <= set(messages.PROBLEM_FIELDS) | by_errors, raised - set(messages.PROBLEM_FIELDS) - by_errors
    return raised - by_errors


def test_every_data_problem_sgdcore_raises_is_worded_for_the_page() -> None:
    problems = worded_by_the_data_page()
    assert {"missing_values", "text_features", "infinite_values", "not_text", "no_numeric_column"} <= problems
    assert problems <= set(messages.PROBLEM_FIELDS), problems - set(messages.PROBLEM_FIELDS)
    for language in LANGUAGES:
        assert not {problem for problem in problems if f"messages.{problem}" not in catalogue(language)}, language


@pytest.mark.parametrize(("columns", "options", "said"), [
    ({"a": [1.0, np.nan, 2.0, 4.0], "y": [1.0, 2.0, 3.0, 5.0]}, {},
     "Under “Missing values”, choose “Drop those rows” or “Fill with the column mean”"),
    ({"a": [1.0, 2.0, 3.0, 5.0], "c": ["u", "v", "w", "u"], "y": [1.0, 2.0, 3.0, 4.0]}, {},
     "Under “Non-numeric feature columns”, choose “Drop those columns” or “One-hot encode them”"),
    ({"c": ["u", "v", "w", "u"], "y": [1.0, 2.0, 3.0, 4.0]}, {"non_numeric": "drop"},
     "Under “Non-numeric feature columns”, choose “One-hot encode them”"),
    ({"a": [1.0, np.inf, 2.0, 4.0], "y": [1.0, 2.0, 3.0, 5.0]}, {},
     "Under “Infinite values (inf, -inf)”, choose “Drop those rows”"),
    ({"c": [f"id{i}" for i in range(150)], "a": np.arange(150.0), "y": np.arange(150.0) ** 2},
     {"non_numeric": "onehot"}, "under “Non-numeric feature columns”, choose “Drop those columns”"),
    ({"a": [1.0, 2.0, np.nan, np.nan], "b": [np.nan, np.nan, 1.0, 2.0], "y": [1.0, 2.0, 3.0, 5.0]},
     {"missing": "drop"}, "; under “Missing values”, choose “Fill with the column mean”; or"),
])
def test_data_errors_name_the_page_options_not_sgdcore_parameters(columns: dict, options: dict, said: str) -> None:
    with pytest.raises(DataError) as caught:
        dataset_from_frame(pd.DataFrame(columns), "y", **options)
    message = messages.data_error(caught.value)
    assert said in message
    assert_speaks_the_page(message)


@pytest.mark.parametrize(("columns", "options", "said", "not_said"), [
    # The target's own gaps: another target, never the mean (which left the same rows, and the same message)
    ({"a": [1.0, 2.0, 3.0], "y": [1.0, np.nan, np.nan]}, {"missing": "mean"},
     {"en": "in 'y' (2, the target); least squares needs at least 2. Choose another “Target column” ('y' has values, "
            "neither missing nor infinite, in only 1 row(s)), or fill in the values in the file.",
      "zh-CN": "请另选一个“目标列”（'y' 只有 1 行的值既不缺失也不是无穷值），或在文件中补全这些值。"},
     {"en": "Fill with the column mean", "zh-CN": "用列均值填充"}),
    # A feature with no value: remove it, never fill it with a mean it does not have
    ({"a": [1.0, 2.0, 3.0, 4.0], "e": [np.nan] * 4, "y": [1.0, 2.0, 3.0, 5.0]}, {"missing": "drop"},
     {"en": "in 'e' (4); least squares needs at least 2. Remove 'e' from the “Feature columns”, or fill in the values "
            "in the file.", "zh-CN": "请将 'e' 从“特征列”中移除，或在文件中补全这些值。"},
     {"en": "Fill with the column mean", "zh-CN": "用列均值填充"}),
    # Both help: both said
    ({"a": [1.0, 2.0, np.nan, np.nan], "b": [np.nan, np.nan, 1.0, 2.0], "y": [1.0, 2.0, 3.0, 5.0]},
     {"missing": "drop"},
     {"en": "Remove 'a' from the “Feature columns”; under “Missing values”, choose “Fill with the column mean”; or "
            "fill in the values in the file.",
      "zh-CN": "请将 'a' 从“特征列”中移除；在“缺失值”中选择“用列均值填充”；或在文件中补全这些值。"},
     {"en": "Target column", "zh-CN": "目标列"}),
])
@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_too_few_rows_left_says_which_columns_dropped_them_and_only_what_would_help(
    monkeypatch, language: str, columns: dict, options: dict, said: dict, not_said: dict
) -> None:
    monkeypatch.setattr("ui.i18n.language", lambda: language)
    with pytest.raises(DataError) as caught:
        dataset_from_frame(pd.DataFrame(columns), "y", **options)
    message = messages.data_error(caught.value)
    assert said[language] in message and not_said[language] not in message, message
    assert_speaks_the_page(message)


def test_a_file_with_a_delimiter_at_the_end_of_every_line_predicts_its_last_column_with_values() -> None:
    content = "x1;x2;y;\n" + "".join(f"{x};{x * x % 7};{2 * x + 1};\n" for x in range(8))
    at = upload(open_page(app(), "data"), "trailing.csv", content.encode())
    no_exceptions(at)
    assert not at.error
    assert "Left out 1 column(s) that hold no value at all: 'Unnamed: 3'." in [caption.value for caption in at.caption]
    assert choice(at, "keep_target_").value == "y" and choice(at, "keep_features_").value == ["x1", "x2"]
    button(at, "Use this dataset").click().run()
    assert at.success[0].value.startswith("Using trailing.csv: 8 rows, 2 features (x1, x2) to predict y.")


def test_an_excel_error_value_in_a_column_of_numbers_is_named_and_read_as_a_missing_value() -> None:
    """One #DIV/0! made the column text, which the page offered to drop or one-hot encode: both lose it."""
    content = rows_csv().decode().splitlines()
    content[5] = "#DIV/0!," + content[5].split(",", 1)[1]  # line 6: data row 5's 'a'
    at = upload(open_page(app(), "data"), "errors.csv", "\n".join(content).encode())
    no_exceptions(at)
    captions = [caption.value for caption in at.caption]
    assert "'a' holds numbers but for 1 cell(s) that are not: '#DIV/0!' (line 6). They are read as missing values." \
        in captions, captions
    message = at.error[0].value
    assert message.startswith("1 missing value(s) in 1 row(s), in 'a' (1). Under “Missing values”, choose"), message
    assert "One-hot" not in message and "not numeric" not in message
    choice(at, "keep_missing_").set_value("drop").run()
    button(at, "Use this dataset").click().run()
    assert at.success[0].value.startswith("Using errors.csv: 29 rows, 2 features (a, b)"), at.success[0].value


def test_cells_pandas_reads_as_missing_are_named_with_their_lines_and_said_what_became_of_them() -> None:
    """#N/A and an empty cell were counted only; a #DIV/0! beside them was named with its line."""
    content = rows_csv().decode().splitlines()
    content[3] = "#N/A," + content[3].split(",", 1)[1]  # line 4: data row 2's 'a'
    content[5] = "#DIV/0!," + content[5].split(",", 1)[1]  # line 6
    content[8] = content[8].split(",")[0] + ",," + content[8].split(",")[2]  # line 9: 'b' empty
    at = upload(open_page(app(), "data"), "gaps.csv", "\n".join(content).encode())
    no_exceptions(at)
    captions = [caption.value for caption in at.caption]
    assert "'a' holds numbers but for 1 cell(s) that are not: '#DIV/0!' (line 6). They are read as missing values." \
        in captions, captions
    assert "'a' has 1 missing value(s): '#N/A' (line 4)." in captions, captions
    assert "'b' has 1 missing value(s): an empty cell (line 9)." in captions, captions
    assert at.error[0].value.startswith("3 missing value(s) in 3 row(s), in 'a' (2), 'b' (1).")
    choice(at, "keep_missing_").set_value("drop").run()
    assert "Dropped 3 of 30 row(s) with missing values: 'a' (2), 'b' (1)." in [caption.value for caption in at.caption]
    at.selectbox(key="lang").set_value("zh-CN").run()
    no_exceptions(at)
    captions = [caption.value for caption in at.caption]
    assert "'a' 有 1 个缺失值：'#N/A'（文件第 4 行）。" in captions, captions
    assert "'b' 有 1 个缺失值：空单元格（文件第 9 行）。" in captions, captions
    assert "已删除 30 行中含缺失值的 3 行：'a'（2）、'b'（1）。" in captions, captions


def test_excel_s_sep_line_is_read_as_excel_reads_it() -> None:
    content = b"sep=;\n" + rows_csv().replace(b",", b";").replace(b".", b",")
    at = upload(open_page(app(), "data"), "excel.csv", content)
    no_exceptions(at)
    assert not at.error, at.error[0].value
    captions = [caption.value for caption in at.caption]
    assert "Read the first line, 'sep=;', as Excel does: it names the delimiter (';'), and is not a row of the table." \
        in captions, captions
    assert any(caption.startswith("**excel.csv**: 30 rows × 3 columns, semicolon-separated") for caption in captions)


def test_title_lines_above_the_header_are_skipped_and_said() -> None:
    content = b"My sales report 2024\nGenerated by Excel\n\n" + rows_csv()
    at = upload(open_page(app(lang="zh-CN"), "data"), "report.csv", content)
    no_exceptions(at)
    assert not at.error, at.error[0].value
    captions = [caption.value for caption in at.caption]
    said = ("已跳过表头（第 4 行）上方的 3 行：这些行不含分隔符，像是标题："
            "'My sales report 2024'、'Generated by Excel'。")
    assert said in captions, captions


def test_long_identifiers_are_said_to_differ_and_to_be_too_long_for_decimals() -> None:
    content = "id,x,y\n" + "".join(f"{12345678901234567890 + i},{i * 0.37 % 1:.3f},{i % 5}\n" for i in range(30))
    at = upload(open_page(app(), "data"), "ids.csv", content.encode())
    no_exceptions(at)
    message = at.error[0].value
    said = "The feature column(s) 'id' hold different whole numbers too long for a decimal number"
    assert message.startswith(said), message
    assert "same value in every row" not in message and "remove them from the “Feature columns”" in message


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_infinite_values_in_the_target_say_so_and_how_to_fix_them(monkeypatch, language: str) -> None:
    """Removing columns from the features cannot fix a target's infinite values: dropping those rows or choosing
    another target can."""
    monkeypatch.setattr("ui.i18n.language", lambda: language)
    with pytest.raises(DataError) as caught:
        dataset_from_frame(pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "y": [1.0, np.inf, 3.0, -np.inf]}), "y")
    assert caught.value.fields == {"counts": {"y": 2}, "rows": 2, "target": "y"}
    said = {"en": ["The target column 'y' holds infinite values (inf or -inf): in 2 row(s), in 'y' (2, the target).",
                   "Under “Infinite values (inf, -inf)”, choose “Drop those rows”", "choose another “Target column”"],
            "zh-CN": ["目标列 'y' 含有无穷值", "请在“无穷值（inf、-inf）”中选择“删除这些行”",
                      "另选一个“目标列”"]}[language]
    message = messages.data_error(caught.value)
    assert all(part in message for part in said), message
    assert messages.features_label() not in message
    # In a feature, removing it from the features still helps
    with pytest.raises(DataError) as caught:
        dataset_from_frame(pd.DataFrame({"a": [1.0, np.inf, 3.0, 4.0], "y": [1.0, 2.0, 3.0, 5.0]}), "y")
    assert messages.features_label() in messages.data_error(caught.value)


@pytest.mark.parametrize(("language", "one_row", "using"), [
    ("en", "**one.csv**: 1 row × 3 columns, comma-separated, UTF-8.",
     "Using two.csv: 2 rows, 1 feature (a) to predict y."),
    ("zh-CN", "**one.csv**：1 行 × 3 列，", "正在使用 two.csv：2 行，1 个特征（a），预测 y。"),
])
def test_the_page_counts_one_row_and_one_feature_in_the_singular(language: str, one_row: str, using: str) -> None:
    # No test rows: the default 0.2 holds none of 2 out, and two.csv would be chosen but not in use
    at = upload(open_page(app(lang=language, test_fraction="0"), "data"), "one.csv", b"a,b,y\n1,2,3\n")
    no_exceptions(at)
    assert any(caption.value.startswith(one_row) for caption in at.caption), [c.value for c in at.caption]
    at = upload(at, "two.csv", b"a,y\n1,2\n2,5\n")
    use = button(at, "Use this dataset" if language == "en" else "使用这个数据集")
    assert use.help == {"en": "2 rows, 1 feature → y", "zh-CN": "2 行，1 个特征 → y"}[language]
    use.click().run()
    assert at.success[0].value.startswith(using), at.success[0].value


def test_a_problem_without_a_wording_falls_back_to_sgdcore_s_message_cut_short() -> None:
    assert messages.data_error(DataError("Plain.")) == "Plain."
    assert messages.data_error(DataError("Other fields.", "unreadable", file="a.csv")) == "Other fields."
    assert len(messages.data_error(DataError("x" * 100_000))) < 1100


# The words in Chinese

# Fields like the ones sgdcore passes with each problem (names of two letters or less: tests.shown_texts.english
# reads them as no English word)
SAMPLE_FIELDS = {
    "empty_file": {}, "not_text": {"kind": "pdf"}, "bom_not_utf8": {}, "bom_not_utf16": {}, "utf16_without_bom": {},
    "not_in_encoding": {"encoding": "cp950", "line": 12_345}, "no_header": {},
    "full_width_delimiter": {"mark": "，", "ascii_mark": ","},
    "no_data_rows": {"columns": ["a", "b"]}, "duplicate_columns": {"counts": {"a": 2, "b": 3}},
    "ragged_row": {"delimiter": ";", "line": 12_345, "fields": 3, "header_fields": 2},
    "header_below": {"delimiter": ",", "line": 4, "fields": 3, "header_line": 1, "header_fields": 1},
    "unclosed_quote": {"delimiter": "\t", "line": 12_345}, "unreadable": {"delimiter": "|", "reason": "x"},
    "workbook_encrypted": {}, "workbook_unreadable": {"reason": "x"}, "workbook_empty": {},
    "sheet_empty": {"sheet": "s", "sheets": ["a", "b"]},
    "no_numeric_column": {"examples": {"c": "u"}}, "unknown_target": {"target": "z", "columns": ["a", "y"]},
    "text_target": {"target": "y", "example": "u"}, "unknown_features": {"columns": ["q"], "available": ["a"]},
    "target_is_feature": {"target": "y"}, "no_features": {},
    "text_features": {"columns": ["c", "d"], "examples": {"c": "u", "d": "v"}},
    "only_text_features": {"columns": ["c"]}, "single_valued_text": {"columns": ["c"]},
    "too_many_categories": {"column": "c", "count": 12_345, "limit": 100},
    "missing_values": {"counts": {f"a{i}": i for i in range(1, 11)} | {"y": 1}, "rows": 12_345, "target": "y"},
    "infinite_values": {"counts": {"b": 3}, "rows": 3}, "no_values": {"column": "a"}, "not_finite": {"count": 12_345},
    "too_few_rows": {"rows": 1, "dropped": 12_345}, "constant_features": {"columns": ["a"]},
    "indistinct_numbers": {"columns": ["a"], "smallest": "12345678901234567890", "largest": "12345678901234567919",
                           "as_float": 1.2345678901234567e19, "digits": 20},
    "too_many_features": {"rows": 3, "features": 12_345}, "too_large": {"largest": 1.5e300},
    "dependent_features": {"columns": ["b", "c"], "depends_on": {"b": ["a"], "c": ["a", "d"]}, "copies": ["b"]},
}


def in_language(monkeypatch: pytest.MonkeyPatch, language: str) -> None:
    """The catalogue's texts in ``language``, outside a page (as a session that chose it)."""
    monkeypatch.setattr("ui.i18n.language", lambda: language)


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_message_text_formats_in_both_languages(language: str) -> None:
    samples = {"": "x", ",": 12_345, ".3g": 1.5e300, ":g": 0.5}
    for key, template in catalogue(language).items():
        if key.startswith(("messages.", "data.", "large_data.", "memory.", "export.")):
            fields = {name: samples.get(spec, samples[""] if not spec else 12_345)
                      for _, name, spec, _ in string.Formatter().parse(template) if name is not None}
            assert text_in(language, key, **fields), key


def test_every_data_problem_has_a_chinese_wording_that_names_the_chinese_options(monkeypatch) -> None:
    assert worded_by_the_data_page() <= set(SAMPLE_FIELDS), worded_by_the_data_page() - set(SAMPLE_FIELDS)
    in_english = {}
    for problem, fields in SAMPLE_FIELDS.items():
        in_english[problem] = messages.data_error(DataError("sgdcore's words", problem, **fields))
    assert in_english["missing_values"].startswith("56 missing value(s) in 12,345 row(s), in 'a1' (1), ")
    assert in_english["missing_values"].endswith(", … and 3 more. Under “Missing values”, choose “Drop those rows” or "
                                              "“Fill with the column mean”, or fill them in the file.")
    in_language(monkeypatch, "zh-CN")
    for problem, fields in SAMPLE_FIELDS.items():
        chinese = messages.data_error(DataError("sgdcore's words", problem, **fields))
        assert chinese != in_english[problem] and "sgdcore's words" not in chinese, problem
        assert re.search("[\u4e00-\u9fff]", chinese), (problem, chinese)
        assert not english(chinese), (problem, chinese)
        for number in re.findall(r"\d(?:[\d,.]*\d)?", in_english[problem]):
            assert number in chinese, (problem, number, chinese)
    text = messages.data_error(DataError("", "text_features", **SAMPLE_FIELDS["text_features"]))
    assert "请在“非数值特征列”中选择“删除这些列”或“进行独热编码”" in text
    assert "“特征列”" in text


def test_a_bad_upload_on_the_chinese_page_is_told_in_chinese_with_the_chinese_options() -> None:
    at = open_page(app(lang="zh-CN"), "data")
    at = upload(at, "gaps.csv", rows_csv(blank=(3, 7)))
    no_exceptions(at)
    message = at.error[0].value
    assert message.startswith("2 行中共有 2 个缺失值，位于 'a'（2）。"), message
    assert "请在“缺失值”中选择“删除这些行”或“用列均值填充”" in message
    assert_speaks_the_page(message)
    assert not [text for text in shown_texts(at) if "Missing values" in text or "Drop those" in text]
    choice(at, "keep_missing_").set_value("drop").run()
    button(at, "使用这个数据集").click().run()
    assert at.success[0].value.startswith("正在使用 gaps.csv：28 行"), at.success[0].value
    at.selectbox(key="lang").set_value("en").run()  # the language switch redraws the page in English
    assert at.success[0].value.startswith("Using gaps.csv: 28 rows"), at.success[0].value


@pytest.mark.parametrize(("language", "content", "said"), [
    ("en", b"y\n1\n2\n3\n4\n",
     "The file has a single column, 'y': least squares needs at least one more, a feature to predict it from."),
    ("zh-CN", b"y\n1\n2\n3\n4\n", "文件只有一列 'y'：最小二乘至少还需要一列，作为预测它的特征。"),
    # A column of text: adding a column of numbers alone would be refused next, the target being text
    ("en", "名字\n张三\n李四\n王五\n".encode(), "The file has a single column, '名字', and it holds text: least "
     "squares predicts a column of numbers from at least one other. Add a column of numbers to predict and at least "
     "one to predict it from"),
    ("zh-CN", "名字\n张三\n李四\n王五\n".encode(), "文件只有一列 '名字'，而且是文本"),
])
def test_a_file_of_one_column_asks_for_a_feature_column_in_the_file_not_on_the_page(language: str, content: bytes,
                                                                                     said: str) -> None:
    at = in_use()
    if language != "en":
        at.selectbox(key="lang").set_value(language).run()
    at = upload(at, "onecol.csv", content)
    no_exceptions(at)
    assert at.error[0].value.startswith(said), [error.value for error in at.error]
    assert not at.multiselect, "nothing to choose among the features"
    assert at.session_state[CSV_KEY]["name"] == "first.csv"


def test_a_short_file_read_in_the_wrong_encoding_is_read_again_in_the_one_its_user_chooses() -> None:
    """高雄 alone in Big5 is also two common GBK characters, and the bytes chose GBK: the garbled names are read again
    as Big5 when the user chooses it, the choice survives reruns, and a choice the bytes are not in says so, keeps
    the page's choices and goes back."""
    text = "高雄,y\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(30))
    at = upload(open_page(app(), "data"), "city.csv", text.encode("cp950"))
    no_exceptions(at)
    read_as = choice(at, "keep_read_as_")
    assert read_as.options == ["Detected: Chinese, GBK (GB18030)", "Chinese, GBK (GB18030)",
                               "Traditional Chinese, Big5", "Windows-1252, the Western European of Excel on Windows",
                               "Latin-1"]
    assert choice(at, "keep_target_").options == ["蔼动", "y"]
    at = read_as.set_value("cp950").run()
    no_exceptions(at)
    assert choice(at, "keep_target_").options == ["高雄", "y"]
    assert "**city.csv**: 30 rows × 2 columns, comma-separated, Big5." in shown_texts(at)
    assert not any("Read as" in text for text in shown_texts(at))  # the user chose it: nothing to say
    button(at, "Use this dataset").click().run()
    using = at.success[0].value
    assert using.startswith("Using city.csv: 30 rows, 1 feature (高雄) to predict y."), using
    at = open_page(at, "train")
    at = open_page(at, "data")  # the uploader is empty now: the kept table, read as chosen
    assert (choice(at, "keep_read_as_").value, choice(at, "keep_target_").value) == ("cp950", "y")

    gbk = "面积,价格\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(30)) + "丂,1\n"  # 0x81 0x40
    at = upload(at, "房价.csv", gbk.encode("gbk"))
    assert choice(at, "keep_target_").options == ["面积", "价格"]
    at = choice(at, "keep_read_as_").set_value("cp1252").run()  # Windows-1252 has no character 0x81
    no_exceptions(at)
    assert at.error[0].value == (
        "房价.csv: The file is not Windows-1252 text: line 32 holds bytes it has no character for. Under “Read the "
        "file as”, choose the encoding the file was saved in, or the one detected.")
    assert "Nothing changed: still using city.csv" in " ".join(shown_texts(at))
    at = choice(at, "keep_read_as_").set_value("detected").run()
    assert choice(at, "keep_target_").options == ["面积", "价格"]
    assert [error.value for error in at.error] == [  # 丂 in a column of numbers, as read before the choice
        "1 missing value(s) in 1 row(s), in '面积' (1). Under “Missing values”, choose “Drop those rows” or “Fill with "
        "the column mean”, or fill them in the file."]


def test_a_utf8_file_offers_no_other_encoding() -> None:
    at = upload(open_page(app(), "data"), "rows.csv", "面积,y\n1,2\n3,4\n".encode())
    assert not [widget for widget in at.selectbox if (widget.key or "").startswith("keep_read_as_")]


def test_a_file_too_large_to_keep_offers_no_other_encoding_and_its_notice_says_so(monkeypatch) -> None:
    """Past ui.uploads.KEPT_BYTES the bytes go once read: no "Read the file as", and the notice's only advice is to
    save the file again as UTF-8; under it, the notice also points to the choice."""
    content = ("température;y\n" + "".join(f"{i};{2 * i}\n" for i in range(40))).encode("latin-1")
    notice = text_in("en", "messages.notice.latin1")
    or_choose = " Or choose the encoding it was saved in under “Read the file as”, above."
    at = upload(open_page(app(), "data"), "usine.csv", content)
    assert choice(at, "keep_read_as_").value == "detected"
    assert notice + or_choose in shown_texts(at)
    monkeypatch.setattr(uploads, "KEPT_BYTES", len(content) - 1)
    at = upload(open_page(app(), "data"), "usine.csv", content)
    no_exceptions(at)
    assert not [widget for widget in at.selectbox if (widget.key or "").startswith("keep_read_as_")]
    assert notice in shown_texts(at)
    assert not any(or_choose in text for text in shown_texts(at))
    assert choice(at, "keep_target_").options == ["température", "y"]


# Excel's CSV on a Simplified Chinese Windows ("CSV (逗号分隔)", GBK) and on a Traditional Chinese one (Big5): the
# file's name, its column names, its cities, the encoding it is read in and the notice that says so
CHINESE_EXCEL = {
    "gbk": ("房价.csv", "城市,面积,房龄,价格", ("北京", "上海", "广州", "深圳"), "gb18030", "chinese"),
    "big5": ("房價.csv", "城市,面積,屋齡,價格", ("臺北", "高雄", "臺中", "新竹"), "cp950", "big5"),
}
SAID_IN_CHINESE = {"gb18030": "GBK（GB18030）", "cp950": "Big5"}  # the encoding, as the table's caption names it


@pytest.mark.parametrize("saved_in", list(CHINESE_EXCEL))
def test_a_csv_saved_by_a_chinese_excel_shows_its_chinese_names(saved_in: str) -> None:
    """A learner's file from Excel on a Chinese Windows, simplified or traditional: its columns, its text and the
    page's words about it are Chinese, and it trains as any upload."""
    name, header, cities, encoding, notice = CHINESE_EXCEL[saved_in]
    text = header + "\n" + "".join(f"{city},{90 + i},{i % 30},{300 + 7 * i}\n"
                                    for i, city in enumerate(cities * 10))
    at = open_page(app(lang="zh-CN"), "data")
    at = upload(at, name, text.encode(encoding))
    no_exceptions(at)
    shown = shown_texts(at)
    assert f"**{name}**：40 行 × 4 列，逗号分隔，{SAID_IN_CHINESE[encoding]}。" in shown
    # A short file: the page offers to read it in another encoding, and the notice says where
    or_choose = "也可以在上方的“按此编码读取文件”中选择文件保存时所用的编码。"  # no space after a Chinese full stop
    assert text_in("zh-CN", f"messages.notice.{notice}") + or_choose in shown
    assert f"1 个特征列不是数值列：'城市'（如 '{cities[0]}'）。" in at.error[0].value
    choice(at, "keep_non_numeric_").set_value("drop").run()
    button(at, "使用这个数据集").click().run()
    _, area, age, _ = header.split(",")
    assert at.success[0].value.startswith(f"正在使用 {name}：40 行，2 个特征（{area}、{age}）"), at.success[0].value


def test_excel_s_unicode_text_in_utf16_is_read_with_its_chinese_names_and_trains() -> None:
    """Excel's "Unicode 文本" (UTF-16 with a byte-order mark, tabs, CRLF), which the page refused as not a CSV: read
    as the same text in UTF-8, said to be read as UTF-16, and used as any upload."""
    cities = ["北京", "上海", "广州", "深圳"] * 10
    text = "城市\t面积\t房龄\t价格\r\n" + "".join(
        f"{city}\t{90 + i}\t{i % 30}\t{300 + 7 * i}\r\n" for i, city in enumerate(cities))
    at = open_page(app(lang="zh-CN"), "data")
    at = upload(at, "房价.txt", text.encode("utf-16"))
    no_exceptions(at)
    shown = shown_texts(at)
    assert "**房价.txt**：40 行 × 4 列，制表符分隔，UTF-16。" in shown, shown
    assert "已按 UTF-16 读取（Excel 的“Unicode 文本”即以此保存；文件不是 UTF-8）。" in shown
    choice(at, "keep_non_numeric_").set_value("drop").run()
    button(at, "使用这个数据集").click().run()
    assert at.success[0].value.startswith("正在使用 房价.txt：40 行，2 个特征（面积、房龄）"), at.success[0].value


def test_a_csv_typed_with_chinese_commas_is_refused_in_chinese_and_the_data_stays() -> None:
    at = open_page(app(lang="zh-CN"), "data")
    at = upload(at, "手写.csv", "面积，价格\n1，2\n3，4\n5，7\n".encode())
    no_exceptions(at)
    assert [error.value for error in at.error] == [
        "手写.csv：字段之间用的是全角逗号“，”（中文输入法打出的），CSV 不用它分隔字段。"
        "请把所有全角逗号替换为英文逗号“,”（在记事本中：编辑 → 替换），保存后重新上传。"]
    assert at.session_state["data_source"] == "synthetic"


# The Data page


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10,\x00\n\x08\x02,,\x00\x00\x00" + bytes(range(256))


def xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "content", "said"), [
    ("plot.csv", png(), "plot.csv: This is not a CSV file: it looks like a PNG image."),
    ("book.csv", xlsx(), "book.csv: The workbook cannot be read (Cannot detect file format). Open it in its"),
    ("names.csv", b"name,city\nAda,Paris\nAlan,Lyon\nGrace,Paris\n", "The file has no numeric column: every"),
])
def test_a_file_that_is_not_a_table_of_numbers_is_called_that_and_the_data_in_use_stays(name, content, said) -> None:
    at = upload(in_use(), name, content)
    no_exceptions(at)
    assert at.error[0].value.startswith(said), at.error[0].value
    assert "line" not in at.error[0].value
    assert_still_in_use(at)


def test_missing_values_are_explained_with_the_page_s_options_then_dropped() -> None:
    at = upload(in_use(), "gaps.csv", rows_csv(blank=(3, 7)))
    no_exceptions(at)
    message = at.error[0].value
    assert message.startswith("2 missing value(s) in 2 row(s), in 'a' (2).")
    assert "Under “Missing values”, choose “Drop those rows” or “Fill with the column mean”" in message
    assert_speaks_the_page(message)
    assert_still_in_use(at)
    choice(at, "keep_missing_").set_value("drop").run()
    button(at, "Use this dataset").click().run()
    assert at.success[0].value.startswith("Using gaps.csv: 28 rows")


def test_rows_with_infinite_values_can_be_dropped_on_the_page() -> None:
    at = upload(in_use(), "inf.csv", rows_csv(infinite=(0, 5, 9)))
    no_exceptions(at)
    message = at.error[0].value
    assert "Infinite values (inf or -inf) in 3 row(s), in 'b' (3)." in message
    assert "Under “Infinite values (inf, -inf)”, choose “Drop those rows”" in message
    assert_speaks_the_page(message)
    assert_still_in_use(at)
    choice(at, "keep_infinite_").set_value("drop").run()
    no_exceptions(at)
    assert any(caption.value.startswith("Dropped 3 of 30 row(s) with infinite values") for caption in at.caption)
    button(at, "Use this dataset").click().run()
    assert at.success[0].value.startswith("Using inf.csv: 27 rows, 2 features")


def test_text_features_are_explained_with_the_page_s_options() -> None:
    content = b"a,city,y\n" + b"".join(f"{i},{'Paris' if i % 2 else 'Lyon'},{i * i}\n".encode() for i in range(6))
    at = upload(in_use(), "cities.csv", content)
    message = at.error[0].value
    assert "'city' (e.g. 'Lyon')" in message
    assert "Under “Non-numeric feature columns”, choose “Drop those columns” or “One-hot encode them”" in message
    assert_speaks_the_page(message)
    assert_still_in_use(at)


def test_a_copied_column_is_refused_in_both_languages_and_the_data_in_use_stays() -> None:
    """collinear.csv's 'a2' repeats 'a': least squares has no single answer, so the page says which column to
    remove, in English and in Chinese, while first.csv stays in use; without 'a2' the file is used."""
    content = b"a,a2,y\n" + b"".join(f"{a},{a},{3 * a + (-1) ** a}\n".encode() for a in range(10))
    at = upload(in_use(), "collinear.csv", content)
    no_exceptions(at)
    assert [error.value for error in at.error] == [
        "Some feature columns follow exactly from others: 'a2' is a copy of 'a'. They carry no information of their "
        "own and make the least-squares answer not unique. Remove 'a2' from the “Feature columns”."]
    assert_still_in_use(at)
    at.selectbox(key="lang").set_value("zh-CN").run()
    assert [error.value for error in at.error] == [
        "有些特征列完全由其他列决定：'a2' 是 'a' 的副本。它们不带自己的信息，还会使最小二乘的解不唯一。"
        "请将 'a2' 从“特征列”中移除。"]
    assert any("没有改变：仍在使用 first.csv" in caption.value for caption in at.caption)
    assert at.session_state[CSV_KEY]["name"] == "first.csv"
    choice(at, "keep_features_").set_value(["a"]).run()
    assert not at.error
    button(at, "使用这个数据集").click().run()
    assert at.success[0].value.startswith("正在使用 collinear.csv：10 行，1 个特征"), at.success[0].value


def test_a_semicolon_file_with_decimal_commas_is_numbers_on_the_page() -> None:
    content = "x;z;y\n" + "".join(f"{x},5;{x * 3 % 7},25;{2 * x + 1},5\n" for x in range(8))
    at = upload(open_page(app(), "data"), "europe.csv", content.encode())
    no_exceptions(at)
    assert not at.error
    assert "Read 'x' as numbers written like 1234,5." in [caption.value for caption in at.caption]
    assert set(at.dataframe[1].value["type"]) == {"numeric"}
    button(at, "Use this dataset").click().run()
    data = at.session_state[CSV_KEY]["dataset"]
    assert data.X[:3].tolist() == [[0.5, 0.25], [1.5, 3.25], [2.5, 6.25]] and data.y[:2].tolist() == [1.5, 3.5]


def test_whole_numbers_in_a_semicolon_file_are_not_said_to_be_written_with_a_decimal_comma() -> None:
    """A dash made 'x' text, read back as whole numbers: the page said they were written like 1234,5; and those
    with a space between thousands are said to be written like 1 234, with no decimal separator."""
    content = "x;t;y\n" + "".join(f"{'-' if i == 3 else i};{i * 1000 + i % 7:,};{2 * i + i % 3}\n"
                                   for i in range(12)).replace(",", " ")
    at = upload(open_page(app(), "data"), "whole.csv", content.encode())
    no_exceptions(at)
    captions = [caption.value for caption in at.caption]
    assert not [text for text in captions if "1234,5" in text or "1 234,5" in text], captions
    assert "Read 't' as numbers written like 1 234." in captions, captions
    assert "'x' holds numbers but for 1 cell(s) that are not: '-' (line 5). They are read as missing values." \
        in captions, captions


def test_quoted_prices_with_thousands_separators_are_numbers_not_identifiers() -> None:
    # 150 different prices: read as text, one-hot encoding refused them as an identifier
    content = "size,price\n" + "".join(f'{i},"{1000 + 37.5 * i:,}"\n' for i in range(150))
    at = upload(open_page(app(), "data"), "prices.csv", content.encode())
    no_exceptions(at)
    assert not at.error
    assert "Read 'price' as numbers written like 1,234.5." in [caption.value for caption in at.caption]
    choice(at, "keep_target_").set_value("size").run()
    choice(at, "keep_non_numeric_").set_value("onehot").run()
    no_exceptions(at)
    assert not at.error
    button(at, "Use this dataset").click().run()
    data = at.session_state[CSV_KEY]["dataset"]
    assert data.feature_names == ("price",) and data.X[:3, 0].tolist() == [1000.0, 1037.5, 1075.0]


def test_prices_with_a_currency_sign_and_a_percent_are_numbers_on_the_page_and_names_stay_text() -> None:
    content = "item,price,discount,units\n" + "".join(
        f'{name},"${100 + 37.5 * i:,.2f}",{i % 4 + 0.5}%,{3 * i + i % 2}\n'
        for i, name in enumerate(["bolt", "nut", "gear", "belt", "cog", "pin"] * 5))
    at = upload(open_page(app(), "data"), "shop.csv", content.encode())
    no_exceptions(at)
    captions = [caption.value for caption in at.caption]
    assert "Read 'price' as numbers without their '$': '$100.00' is 100.0." in captions
    assert "Read 'discount' as numbers without their '%': '0.5%' is 0.5, the number as written (not 0.005)." in captions
    summary = at.dataframe[1].value.set_index("column")["type"]
    assert summary.to_dict() == {"item": "text", "price": "numeric", "discount": "numeric", "units": "numeric"}
    choice(at, "keep_non_numeric_").set_value("drop").run()
    button(at, "Use this dataset").click().run()
    data = at.session_state[CSV_KEY]["dataset"]
    assert data.feature_names == ("price", "discount") and data.X[:2].tolist() == [[100.0, 0.5], [137.5, 1.5]]


def test_the_former_target_goes_back_among_the_features() -> None:
    at = upload(open_page(app(), "data"), "rows.csv", rows_csv())
    assert (choice(at, "keep_target_").value, choice(at, "keep_features_").value) == ("y", ["a", "b"])
    choice(at, "keep_target_").set_value("a").run()
    assert choice(at, "keep_features_").value == ["b", "y"]
    choice(at, "keep_target_").set_value("b").run()
    assert choice(at, "keep_features_").value == ["y", "a"]
    choice(at, "keep_features_").set_value(["a"]).run()  # a feature the user removes stays removed
    choice(at, "keep_target_").set_value("y").run()
    assert choice(at, "keep_features_").value == ["a", "b"]
    no_exceptions(at)


def test_a_huge_value_in_a_file_is_echoed_cut_to_a_readable_length() -> None:
    huge = "z" * 100_000
    content = f"a,note,y\n1,{huge},2\n2,short,3\n3,x,5\n".encode()
    at = upload(in_use(), "notes.csv", content)
    message = at.error[0].value
    assert "'note' (e.g. 'zzz" in message and "(100,000 characters)" in message and len(message) < 500
    at = upload(at, "x" * 5_000 + ".csv", b"a,b\n1,2\n3,4,5\n")
    assert "(5,004 characters): Cannot read the file" in at.error[0].value and len(at.error[0].value) < 500
    assert_still_in_use(at)


# The sidebar's typed numbers and a share link's weights


def test_typed_weights_accept_full_width_digits_and_the_minus_sign() -> None:
    at = app()
    at.sidebar.text_input(key="true_weights").set_value("２，\u22123.4， 1").run()
    no_exceptions(at)
    assert not at.sidebar.error
    assert at.sidebar.number_input(key="_n_features").value == 3


def test_a_character_no_number_holds_is_named_and_the_previous_data_kept() -> None:
    at = app()
    at.sidebar.text_input(key="true_weights").set_value("2, 3\u20134").run()
    no_exceptions(at)
    message = at.sidebar.error[0].value
    assert "'3–4' is not a number: it holds the character “–” (EN DASH)" in message
    assert "Still using the previous data" in message


def test_more_weights_than_the_features_cap_are_refused_in_a_link_and_typed() -> None:
    too_many = ", ".join(["1"] * (MAX_FEATURES + 1))
    at = app(true_weights=too_many)
    no_exceptions(at)
    toasts = [toast.value for toast in at.toast]
    assert any(f"{MAX_FEATURES + 1} numbers" in text and f"at most {MAX_FEATURES} features" in text for text in toasts)
    assert all(len(text) < 500 for text in toasts)
    assert at.session_state["true_weights"] == "2, -3.4"
    assert at.sidebar.number_input(key="_n_features").value == 2
    at.sidebar.text_input(key="true_weights").set_value(too_many).run()
    no_exceptions(at)
    assert f"at most {MAX_FEATURES} features" in at.sidebar.error[0].value
    assert "Still using the previous data" in at.sidebar.error[0].value
    assert at.sidebar.number_input(key="_n_features").value == 2


def test_a_huge_share_link_value_is_echoed_cut_to_a_readable_length() -> None:
    at = app(learning_rate="9" * 100_000)
    no_exceptions(at)
    toasts = [toast.value for toast in at.toast]
    assert toasts and all(len(text) < 300 for text in toasts) and "(100,000 characters)" in toasts[0]


def test_a_table_read_from_a_semicolon_file_keeps_its_formats_for_the_page() -> None:
    table = read_table(b"x;y\n1,5;2\n2,5;4\n")
    assert [messages.notice_text(notice) for notice in table.notices] == ["Read 'x' as numbers written like 1234,5."]


def test_the_data_in_use_is_described_at_a_readable_length() -> None:
    at = open_page(app(true_weights=", ".join(["1.5"] * MAX_FEATURES)), "data")
    no_exceptions(at)
    described = next(caption.value for caption in at.caption if caption.value.startswith("In use now:"))
    assert f"w = [1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, … ({MAX_FEATURES} values)]" in described
    assert len(described) < 200


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_table_saved_with_its_row_numbers_says_that_column_counts_the_rows(lang: str) -> None:
    """pandas writes a frame's index unless told not to, and reads it back as 'Unnamed: 0': 0, 1, 2, … Used as a
    feature it predicts nothing; the page says so before the data are used, and the numbers of another column with
    gaps in them are not taken for a count."""
    rng = np.random.default_rng(0)
    area, year = rng.uniform(50, 120, 40), np.sort(rng.choice(np.arange(1950, 2025), 40, replace=False))
    frame = pd.DataFrame({"area": area, "year": year, "price": area * 3 + (year - 1950) + rng.normal(0, 5, 40)})
    at = open_page(app(lang=lang), "data")
    at = upload(at, "houses.csv", frame.to_csv().encode())
    no_exceptions(at)
    shown = "\n".join(shown_texts(at))
    said = text_in(lang, "messages.notice.row_numbers", column="'Unnamed: 0'", first=0.0, second=1.0, last=39.0)
    assert said in shown, shown[-1500:]
    assert "'year'" not in said and shown.count(said) == 1


def test_a_file_read_is_said_to_be_kept_when_the_uploader_is_drawn_without_it() -> None:
    """Streamlit's copy of the bytes goes once the file is read, and the uploader is drawn empty after a visit to
    another page: the page says the file is kept, so that nobody uploads it again or thinks it lost."""
    kept = "**mine.csv** is read and kept below, though the uploader shows no file after a visit to another page. " \
           "Upload another file to replace it."
    at = upload(open_page(app(), "data"), "mine.csv", rows_csv())
    at.run()  # the uploader still shows the file while the page is not left: nothing to say
    assert kept not in [caption.value for caption in at.caption]
    at = open_page(open_page(at, "train"), "data")
    no_exceptions(at)
    assert at.file_uploader[0].value is None
    captions = [caption.value for caption in at.caption]
    assert kept in captions
    assert any(caption.startswith("**mine.csv**: 30 rows") for caption in captions)
    choice(at, "keep_target_").set_value("a").run()  # still drawn empty on this visit: still said
    assert kept in [caption.value for caption in at.caption]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_file_refused_is_not_said_to_be_read_and_kept_when_the_uploader_is_drawn_without_it(lang: str) -> None:
    """Random bytes named .csv, after a visit to another page: the caption says the file could not be used, above
    the reason, and the data in use is still the file used before it."""
    at = upload(open_page(app(lang=lang), "data"), "mine.csv", rows_csv())
    button(at, text_in(lang, "data.use")).click().run()
    at = upload(at, "binary.csv", bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8)))
    at = open_page(open_page(at, "train"), "data")
    no_exceptions(at)
    captions = [caption.value for caption in at.caption]
    assert text_in(lang, "data.kept_refused", name="binary.csv") in captions, captions
    assert text_in(lang, "data.kept", name="binary.csv") not in captions
    assert at.error and at.session_state[CSV_KEY]["name"] == "mine.csv"


def test_another_target_of_the_same_file_is_said_when_the_descriptions_read_the_same() -> None:
    at = in_use("rows.csv")
    open_page(at, "train")
    button(at, "Train").click().run()
    open_page(at, "data")
    choice(at, "keep_target_").set_value("a").run()  # still 30 rows and 2 features: the description reads the same
    button(at, "Use this dataset").click().run()
    open_page(at, "train")
    no_exceptions(at)
    said = at.info[0].value
    assert said.startswith("The data changed since the last run (target y → a; features a, b → b, y): the charts "
                           "show the starting point on rows.csv (30 rows, 2 features)"), said
    at.session_state["test_fraction"] = 0.3  # the same data, split otherwise
    at.run()
    assert at.info[0].value.startswith("The data changed since the last run (target y → a; features a, b → b, y; "
                                       "test fraction 0.2 → 0.3)"), at.info[0].value
    at.sidebar.selectbox(key="lang").set_value("zh-CN").run()
    assert "目标 y → a；特征 a、b → b、y；测试集比例 0.2 → 0.3" in at.info[0].value, at.info[0].value


def test_a_file_the_sidebar_s_test_fraction_refuses_is_said_not_in_use_with_the_fraction_to_set() -> None:
    at = open_page(app(test_fraction="0.5"), "data")
    at = upload(at, "three_rows.csv", b"x1,y\n1,2\n2,4.1\n3,5.9\n")
    button(at, "Use this dataset").click().run()
    no_exceptions(at)
    assert not at.success, [success.value for success in at.success]  # not "Every page trains on it now"
    said = at.error[0].value
    assert said.startswith("**three_rows.csv** is chosen but not in use: A test fraction of 0.5 leaves 1 training "
                           "and 2 test rows out of 3"), said
    assert "or 0 for no test set. In the sidebar, a “Test fraction” from 0.2 to 0.45 keeps them." in said, said
    assert "Until then every page goes on with synthetic data, 1,000 rows" in said, said
    assert at.session_state[CSV_KEY]["name"] == "three_rows.csv"  # the file and its choices stay
    at.sidebar.slider(key="test_fraction").set_value(0.3).run()
    assert not at.error and at.success[0].value.startswith("Using three_rows.csv: 3 rows, 1 feature (x1)")
    at.sidebar.slider(key="test_fraction").set_value(0.5).run()
    at.sidebar.selectbox(key="lang").set_value("zh-CN").run()
    said = at.error[0].value
    assert "或设为 0（不用测试集）。在侧边栏把“测试集比例”设为 0.2 到 0.45 之间即可。" in said, said


def test_a_classroom_link_that_fixes_the_refusing_test_fraction_is_named_not_set() -> None:
    """The student cannot set a setting the link fixes: the page says the link fixes it, and offers no value."""
    at = open_page(app(test_fraction="0.5", show="learning_rate,data_source"), "data")
    at = upload(at, "three_rows.csv", b"x1,y\n1,2\n2,4.1\n3,5.9\n")
    button(at, "Use this dataset").click().run()
    no_exceptions(at)
    said = at.error[0].value
    assert "The classroom link fixes “Test fraction” at 0.5, which refuses it: ask for a link that leaves “Test " \
           "fraction” to you, or use other data." in said, said
    assert "In the sidebar" not in said
    at.sidebar.selectbox(key="lang").set_value("zh-CN").run()
    assert "课堂链接把“测试集比例”固定为 0.5，因此不能使用它" in at.error[0].value


@pytest.mark.parametrize(("rows", "features", "fitting"), [
    (3, 1, [0.0, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45]),
    (2, 1, [0.0]),  # 2 rows solve for 1 feature and a bias, with none held out
    (3, 2, [0.0]),
    (2, 2, []),  # too few rows for a bias and the features, split or not
    (4, 2, [0.0, 0.15, 0.2, 0.25, 0.3, 0.35]),
    (1000, 3, [round(0.05 * step, 2) for step in range(11)]),
])
def test_the_fitting_test_fractions_leave_a_test_row_and_enough_training_rows(rows, features, fitting) -> None:
    from ui.datasets import fitting_test_fractions

    assert fitting_test_fractions(rows, features) == fitting
    data = sgdcore.Dataset(np.ones((rows, features)), np.ones(rows), tuple(f"x{i}" for i in range(features)))
    for fraction in fitting:  # the split itself agrees
        train, test = sgdcore.train_test_split(data, fraction)
        assert train.n_rows > features and (test is None) == (fraction == 0)



def constant_target_csv() -> bytes:
    """x1, x2 and y = 5 in every row."""
    rng = np.random.default_rng(0)
    return "\n".join(["x1,x2,y", *(f"{a:.5f},{b:.5f},5" for a, b in rng.normal(size=(30, 2)))]).encode()


@pytest.mark.parametrize("standardize", ["false", "true"])
def test_a_constant_target_trains_on_both_paths_and_its_r2_is_shown_undefined_not_0_and_1(standardize: str) -> None:
    at = open_page(app(epochs="300", standardize=standardize), "data")
    at = upload(at, "const_target.csv", constant_target_csv())
    assert at.info[0].value.startswith("The target y is 5 in every row: there is nothing to predict but that value.")
    button(at, "Use this dataset").click().run()
    assert at.success[0].value.startswith("Using const_target.csv") and not at.error  # standardised too
    open_page(at, "train")
    button(at, "Train").click().run()
    no_exceptions(at)
    metrics = {metric.label: (metric.value, metric.delta) for metric in at.metric}
    assert metrics["Train R² (SGD)"] == metrics["Test R² (SGD)"] == ("—", "closed form —"), metrics
    assert any(caption.value.startswith("Train R² is undefined (—): the target y has the same value on every "
                                        "training row")
               for caption in at.caption)
    verdict = at.success[0].value
    assert "train R² is undefined, as the target is constant on the training rows." in verdict, verdict
    assert "nan" not in verdict.lower()
    np.testing.assert_allclose(comparison_table(at)["closed form"], [0.0, 0.0, 5.0], atol=1e-9)


@pytest.mark.parametrize("standardize", ["false", "true"])
def test_a_constant_target_s_run_too_short_to_arrive_is_told_so_and_its_suggested_rate_takes_it_closer(
        standardize: str) -> None:
    """Three epochs at rate 0.03 do not arrive at the constant: the warnings before and after the run offer a larger
    rate, judged by the distance alone, R² being undefined for a constant target (it divided by the target's variance
    of 0, and the page stopped on an exception). The rate taken, the run ends closer."""
    at = open_page(app(standardize=standardize), "data")
    at = upload(at, "const_target.csv", constant_target_csv())
    button(at, "Use this dataset").click().run()
    open_page(at, "train")
    no_exceptions(at)
    assert any(warning.value.startswith("Too few epochs for this data at this rate") for warning in at.main.warning)
    button(at, "Train").click().run()
    no_exceptions(at)
    run = at.session_state["train_run"]
    problem = at.session_state["_last_choice"].problem
    diagnosis = sgdcore.diagnose(problem, run["config"], run["progress"])
    assert diagnosis.verdict == "far_from_optimum", diagnosis.verdict
    (rate,) = [fix.value for fix in diagnosis.suggestions if fix.setting == "learning_rate"]
    button(at, f"Use learning rate {rate:g}").click().run()
    button(at, "Train").click().run()
    no_exceptions(at)
    faster = at.session_state["train_run"]
    assert faster["config"].learning_rate == rate
    assert sgdcore.diagnose(problem, faster["config"], faster["progress"]).relative_distance < \
        0.1 * diagnosis.relative_distance


def test_the_lesson_says_r2_is_undefined_for_a_constant_target_and_for_one_test_row() -> None:
    from ui.lesson import data_fit

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    problem = sgdcore.make_problem(sgdcore.Dataset(X, np.full(30, 5.0), ("x1", "x2")), test_fraction=0.2)
    assert [key for key, _ in data_fit({}, problem, "constant")] == ["lesson.data.fit.train_undefined",
                                                                    "lesson.data.fit.test_undefined"]
    problem = sgdcore.make_problem(sgdcore.Dataset(X, X[:, 0], ("x1", "x2")), test_fraction=0.02)  # one test row
    assert [key for key, _ in data_fit({}, problem, "one")] == ["lesson.data.fit.train",
                                                               "lesson.data.fit.test_undefined"]


def test_a_feature_constant_on_the_training_rows_says_standardisation_can_be_turned_off() -> None:
    from ui.datasets import sidebar_fix

    X = np.column_stack((np.arange(6.0), [1.0, 1.0, 1.0, 1.0, 1.0, 2.0]))
    data = sgdcore.Dataset(X, np.arange(6.0), ("a", "b"))
    with pytest.raises(DataError) as caught:
        sgdcore.Standardizer.fit(data.subset(np.arange(5)))
    assert sidebar_fix(data, caught.value) == "Or, in the sidebar, turn off “Standardise features and target”. "


def test_the_share_link_carries_the_test_fraction_in_use_not_the_one_the_file_refuses() -> None:
    from urllib.parse import parse_qsl, urlsplit

    tiny = b"x,y\n1,2.1\n2,3.9\n3,6.2\n"
    at = open_page(app(), "data")
    at = upload(at, "tiny.csv", tiny)
    button(at, "Use this dataset").click().run()
    at.sidebar.slider(key="test_fraction").set_value(0.5).run()  # refused: 1 training row; 0.2 stays in use
    at = open_page(at, "train")
    button(at, "Train").click().run()
    at = open_page(at, "export")
    no_exceptions(at)
    link = dict(parse_qsl(urlsplit(at.code[0].value).query))
    assert "test_fraction" not in link and link["data_source"] == "csv", link  # 0.2, the default
    classroom = dict(parse_qsl(urlsplit(at.code[1].value).query))
    assert "test_fraction" not in classroom and classroom["show"] == "learning_rate,batch_size", classroom
    assert at.query_params["test_fraction"] == "0.5"  # the address bar keeps the sidebar's
    said = [caption.value for caption in at.caption if "“Test fraction” 0.5 (in use: 0.2)" in caption.value]
    assert said and "the link does not" in said[0] and "the address bar always holds" not in said[0], said
    at.sidebar.selectbox(key="lang").set_value("zh-CN").run()
    assert [caption.value for caption in at.caption if "“测试集比例” 0.5（正在使用 0.2）" in caption.value]
    # Opened, the link and the same file train the same run, bit for bit
    again = open_page(app(**link), "data")
    again = upload(again, "tiny.csv", tiny)
    button(again, "Use this dataset").click().run()
    again = open_page(again, "train")
    button(again, "Train").click().run()
    first, second = at.session_state["train_run"]["progress"], again.session_state["train_run"]["progress"]
    assert np.array_equal(first.weights, second.weights) and first.bias == second.bias


def test_a_batch_size_lowered_for_fewer_training_rows_comes_back_when_the_data_allows_it() -> None:
    at = open_page(app(n_rows="200", batch_size="160"), "train")  # the full batch of 160 training rows
    at.sidebar.number_input(key="n_rows").set_value(198).run()
    assert at.session_state["batch_size"] == 158
    assert [info.value for info in at.sidebar.info] == [
        "Batch size lowered from 160 to 158, the number of training rows (full-batch gradient descent)."]
    at.run()
    assert not at.sidebar.info and at.session_state["batch_size"] == 158  # said once
    at.sidebar.number_input(key="n_rows").set_value(200).run()
    assert at.session_state["batch_size"] == 160  # the full batch again, not 158 and a last batch of 2 rows
    assert [info.value for info in at.sidebar.info] == [
        "Batch size back to 160, as you chose it before other data lowered it: this data has enough training rows."]
    button(at, "Train").click().run()
    assert at.session_state["train_run"]["config"].batch_size == 160
    # A batch size the user sets while it is lowered is the choice from then on
    at.sidebar.number_input(key="n_rows").set_value(100).run()
    at.sidebar.number_input(key="batch_size").set_value(50).run()
    at.sidebar.number_input(key="n_rows").set_value(200).run()
    assert at.session_state["batch_size"] == 50 and not at.sidebar.info


def test_a_batch_size_lowered_for_a_small_file_comes_back_with_the_synthetic_data_in_chinese() -> None:
    at = open_page(app(lang="zh-CN", batch_size="32"), "data")
    at = upload(at, "tiny.csv", b"x,y\n1,2.1\n2,3.9\n3,6.2\n")
    button(at, "使用这个数据集").click().run()
    assert at.session_state["batch_size"] == 2
    assert "批量大小已从 32 降为 2，即训练行数（全批量梯度下降）。" in [info.value for info in at.sidebar.info]
    at = open_page(at, "train")
    at.sidebar.radio(key="data_source").set_value("synthetic").run()
    assert at.session_state["batch_size"] == 32
    assert "批量大小已恢复为你之前选择的 32（其他数据曾把它调低）：当前数据的训练行数足够。" in [
        info.value for info in at.sidebar.info]


def test_a_file_in_use_whose_new_test_fraction_is_refused_is_said_in_use_as_before_not_chosen_but_not_in_use() -> None:
    """The file in use stays in use, split as the sidebar last allowed: the page does not call it "not in use"."""
    at = open_page(app(), "data")
    at = upload(at, "three_rows.csv", b"x1,y\n1,2\n2,4.1\n3,5.9\n")
    button(at, "Use this dataset").click().run()
    at.sidebar.slider(key="test_fraction").set_value(0.5).run()
    no_exceptions(at)
    said = at.error[0].value
    assert said.startswith("**three_rows.csv** stays in use as the sidebar's settings last allowed it: A test fraction "
                           "of 0.5 leaves 1 training and 2 test rows out of 3"), said
    assert "Until then every page goes on with three_rows.csv (3 rows, 1 feature), split and scaled as before." \
        in said, said
    assert "not in use" not in said
    at.sidebar.selectbox(key="lang").set_value("zh-CN").run()
    assert "仍按侧边栏上一次允许的设置使用" in at.error[0].value and "尚未使用" not in at.error[0].value


def test_the_share_link_s_note_on_an_upload_never_in_use_says_the_source_is_not_in_use_not_refused_by_data() -> None:
    """An upload the sidebar's test fraction refuses before it was ever used: the synthetic data stays in use, and the
    Export page's note names the sidebar's data source as not in use (the synthetic data refuses nothing)."""
    at = open_page(app(test_fraction="0.5"), "data")
    at = upload(at, "tiny.csv", b"x,y\n1,2.1\n2,3.9\n3,6.2\n")
    button(at, "Use this dataset").click().run()
    at = open_page(at, "export")
    no_exceptions(at)
    said = [caption.value for caption in at.caption if "“Data source” Uploaded file (in use: " in caption.value]
    assert said and "Not in use, so the address bar holds it but the link does not" in said[0], said
    assert "refuses" not in said[0], said
    at.sidebar.selectbox(key="lang").set_value("zh-CN").run()
    said = [caption.value for caption in at.caption if "未被使用" in caption.value]
    assert said and "无法使用" not in said[0], said

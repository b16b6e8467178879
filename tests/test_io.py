"""sgdcore.io: reading CSV files (encodings, delimiters, errors) and turning columns into a Dataset."""

from __future__ import annotations

import codecs
import io
import itertools
import pickle
import re
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sgdcore.errors import ConfigError, DataError
from sgdcore.io import (
    MISSING_CHOICES,
    NON_NUMERIC_CHOICES,
    Table,
    cleaning,
    column_summary,
    dataset_from_frame,
    load_csv,
    read_table,
    reading,
)
from sgdcore.io.notices import GARBLED

GOOD_CSV = "x1,x2,y\n1.5,-2,3.25\n0.1,4,-7\n2,0.5,1e3\n-3.75,1,0\n"


def frame(**columns: list) -> pd.DataFrame:
    return pd.DataFrame(columns)


# read_table and load_csv: the happy path


def test_good_csv_round_trips_values_and_names(tmp_path) -> None:
    path = tmp_path / "good.csv"
    path.write_text(GOOD_CSV)
    table = read_table(path)
    assert isinstance(table, Table)
    assert (table.name, table.encoding, table.delimiter, table.notices) == ("good.csv", "utf-8", ",", ())
    data = dataset_from_frame(table.frame, "y")
    assert data.feature_names == ("x1", "x2")
    assert data.target_name == "y"
    np.testing.assert_array_equal(data.X, [[1.5, -2.0], [0.1, 4.0], [2.0, 0.5], [-3.75, 1.0]])
    np.testing.assert_array_equal(data.y, [3.25, -7.0, 1000.0, 0.0])
    assert data.X.dtype == np.float64 and data.y.dtype == np.float64
    assert data.X.flags.c_contiguous
    assert data.notices == ()


def test_load_csv_defaults_the_target_to_the_last_column(tmp_path) -> None:
    path = tmp_path / "good.csv"
    path.write_text(GOOD_CSV)
    data = load_csv(path)
    assert data.target_name == "y"
    assert data.feature_names == ("x1", "x2")
    chosen = load_csv(path, target="x1", features=["y"])
    assert (chosen.target_name, chosen.feature_names) == ("x1", ("y",))
    np.testing.assert_array_equal(chosen.y, [1.5, 0.1, 2.0, -3.75])


def test_bytes_path_and_file_object_give_the_same_dataset(tmp_path) -> None:
    path = tmp_path / "good.csv"
    path.write_text(GOOD_CSV)
    raw = GOOD_CSV.encode()
    with open(path, "rb") as handle:
        datasets = [load_csv(path), load_csv(raw), load_csv(io.BytesIO(raw)), load_csv(handle)]
    for data in datasets[1:]:
        np.testing.assert_array_equal(data.X, datasets[0].X)
        np.testing.assert_array_equal(data.y, datasets[0].y)
        assert data.feature_names == datasets[0].feature_names
    assert read_table(raw, name="upload.csv").name == "upload.csv"
    with open(path, "rb") as handle:
        assert read_table(handle).name == "good.csv"


def large_csv(rows: int = 250_000, *, replace: dict[int, bytes] | None = None, bom: bool = False) -> bytes:
    """A CSV of about 6.5 MB: above the 5 MB from which pandas 3.1 parses a file path on several threads."""
    lines = [b"x1,x2,x3,x4,y"] + [b"%d,%d.25,-3.125,4e-2,%d.5" % (i % 97, i % 13, i % 7) for i in range(rows)]
    for line_number, line in (replace or {}).items():
        lines[line_number - 1] = line
    return (b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines) + b"\n"


@pytest.mark.parametrize("replace", [
    None,
    {90_001: b"1,,3,4,5", 200_001: b"1,2,text,4,5"},  # a missing value, and a column that turns to text late
])
@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.filterwarnings("ignore::pandas.errors.DtypeWarning")  # the late text column: pandas says so, both ways
def test_a_large_file_reads_the_same_from_its_path_as_from_its_bytes(tmp_path, replace, bom) -> None:
    raw = large_csv(replace=replace, bom=bom)
    path = tmp_path / "large.csv"
    path.write_bytes(raw)
    from_path, from_bytes = read_table(path), read_table(raw)
    assert (from_path.encoding, from_path.delimiter) == (from_bytes.encoding, from_bytes.delimiter)
    assert from_path.encoding == ("utf-8-sig" if bom else "utf-8")
    assert list(from_path.frame.columns) == ["x1", "x2", "x3", "x4", "y"]
    assert len(from_path.frame) == 250_000
    pd.testing.assert_frame_equal(from_path.frame, from_bytes.frame)


@pytest.mark.parametrize("replace, message", [
    ({200_001: b"1,2,3,4,5,6"}, r"line 200001 has 6 fields, the header has 5"),
    ({3: b"1,2,3,4,5,6"}, r"line 3 has 6 fields, the header has 5"),
    ({200_001: b'1,"2,3,4,5'}, r'the quoted value that starts on line 200001 has no closing quote'),
])
def test_a_bad_row_in_a_large_file_is_named_by_line_from_its_path_too(tmp_path, replace, message) -> None:
    raw = large_csv(replace=replace)
    path = tmp_path / "large.csv"
    path.write_bytes(raw)
    with pytest.raises(DataError, match=message) as from_path:
        read_table(path)
    with pytest.raises(DataError) as from_bytes:
        read_table(raw)
    assert str(from_path.value) == str(from_bytes.value)


def test_a_text_mode_file_is_refused_with_the_fix(tmp_path) -> None:
    path = tmp_path / "good.csv"
    path.write_text(GOOD_CSV)
    with open(path) as handle, pytest.raises(TypeError, match=r"binary mode: use open\(path, 'rb'\)"):
        read_table(handle)


def test_column_names_are_stripped() -> None:
    table = read_table(b" a , b\t,y \n1,2,3\n4,5,7\n")
    assert list(table.frame.columns) == ["a", "b", "y"]


# Encodings


def test_utf8_text_is_read_as_utf8() -> None:
    table = read_table("größe,y\n1,2\n3,4\n".encode())
    assert table.encoding == "utf-8"
    assert list(table.frame.columns) == ["größe", "y"]
    assert table.notices == ()


def test_utf8_with_bom_leaves_no_bom_in_the_first_column_name() -> None:
    table = read_table("\ufeffx,y\n1,2\n3,4\n".encode())
    assert table.encoding == "utf-8-sig"
    assert list(table.frame.columns) == ["x", "y"]
    assert "\ufeff" not in table.frame.columns[0]
    np.testing.assert_array_equal(load_csv("\ufeffx,y\n1,2\n3,5\n".encode()).X, [[1.0], [3.0]])


def test_latin1_is_detected_with_a_notice() -> None:
    raw = "café,ville,y\n1,Orléans,2\n2,Besançon,4\n3,Orléans,5\n".encode("latin-1")
    table = read_table(raw)
    assert table.encoding == "latin-1"
    assert list(table.frame.columns) == ["café", "ville", "y"]
    assert table.frame["ville"].tolist() == ["Orléans", "Besançon", "Orléans"]
    assert table.notices == ("Read as Latin-1 (the file is not UTF-8). If its text looks garbled, save it again as "
                             "UTF-8 (in Excel: CSV UTF-8) and upload it again.",)
    data = load_csv(raw, non_numeric="drop")
    assert data.feature_names == ("café",)
    assert data.notices[0] == "Read as Latin-1 (the file is not UTF-8)." + GARBLED
    assert "Dropped 1 non-numeric feature column(s): 'ville'." in data.notices


def test_windows_1252_from_excel_on_a_western_windows_keeps_its_euro_and_quotes() -> None:
    """Excel on a German or French Windows saves in Windows-1252, where € is 0x80 and ’ 0x92: Latin-1 would read
    them as invisible control characters. A file of Latin-1's own bytes, or with a byte Windows-1252 leaves
    undefined, stays Latin-1."""
    table = read_table("Preis (€);Kunde’s Größe;y\n1,5;„gut“ – sehr;2\n2,5;ok;3\n".encode("cp1252"))
    assert table.encoding == "cp1252"
    assert list(table.frame.columns) == ["Preis (€)", "Kunde’s Größe", "y"]
    assert table.frame["Kunde’s Größe"].tolist() == ["„gut“ – sehr", "ok"]
    assert table.notices[0] == ("Read as Windows-1252, the Western European of Excel on Windows (the file is not "
                                "UTF-8)." + GARBLED)
    assert read_table("café,y\n1,2\n".encode("latin-1")).encoding == "latin-1"
    assert read_table(b"a\x81b,y\n1,2\n").encoding == "latin-1"  # 0x81: no character of Windows-1252


# Excel's CSV on a Simplified Chinese Windows ("CSV (逗号分隔)", GBK) and on a Traditional Chinese one (Taiwan, Hong
# Kong: Big5): its columns, its cities, the encoding it is read in and what the notice calls it
CHINESE_EXCEL = {
    "gbk": (("城市", "面积（平方米）", "房龄", "价格"), ("北京", "上海", "广州", "深圳"), "gb18030",
            "Chinese, GBK (GB18030)"),
    "big5": (("城市", "面積（坪）", "屋齡", "價格（萬元）"), ("臺北", "高雄", "臺中", "新竹"), "cp950",
             "Traditional Chinese, Big5"),
}


@pytest.mark.parametrize("saved_in", list(CHINESE_EXCEL))
def test_chinese_saved_by_excel_on_a_chinese_windows_is_read_as_chinese(saved_in: str) -> None:
    """Excel on a Chinese Windows saves a CSV in GBK, or in Big5 where the Chinese is traditional: its names and its
    text read as written, not as the Latin-1 mojibake ("Ãæ»ý" for 面积, "­±¿n" for 面積) a Western fallback makes of
    them."""
    columns, cities, encoding, named = CHINESE_EXCEL[saved_in]
    text = ",".join(columns) + "\n" + "".join(f"{city},{90 + i},{i % 30},{300 + 7 * i}\n"
                                              for i, city in enumerate(cities * 10))
    raw = text.encode(encoding)
    table = read_table(raw)
    assert table.encoding == encoding
    assert list(table.frame.columns) == list(columns)
    assert table.frame["城市"].tolist()[:4] == list(cities)
    assert table.notices == (f"Read as {named}: the file is not UTF-8." + GARBLED,)
    trains_and_reads_from_a_path(raw, table, f"房价_{saved_in}.csv", columns[1:3], columns[3])


@pytest.mark.parametrize(("text", "written_in"), [
    ("房齡,單價\n1,2\n", "cp950"), ("銷售額,單價\n1,2\n", "cp950"), ("面积,城市\n1,2\n", "gb18030"),
    ("面积,数量\n1,2\n", "gb18030"),
])
def test_chinese_that_reads_as_chinese_in_both_encodings_is_read_in_the_one_it_was_written_in(
        text: str, written_in: str) -> None:
    """The bytes of each decode in the other Chinese encoding too, with two of its common characters side by side
    ("房齡,單價" in GB18030 is "┬闹,虫基", a box-drawing mark among them; "面积,城市" in Big5 is "醱儅,傑庈", a rare
    character among them): the reading with more everyday characters is the one the file was written in."""
    raw = text.encode(written_in)
    other = next(codec for codec in reading.CHINESE_CODECS if codec != written_in)
    assert reading.chinese_reading([raw], other) is not None, raw.decode(other, errors="replace")
    table = read_table(raw)
    assert (table.encoding, ",".join(table.frame.columns)) == (written_in, text.split("\n")[0])


def trains_and_reads_from_a_path(raw: bytes, table: Table, name: str, features: tuple[str, ...], target: str) -> None:
    """The upload's bytes ``raw``, read as ``table``: they train with its text columns dropped, predicting ``target``
    from ``features``, and a file ``name`` of them is read as the bytes of an upload are."""
    data = load_csv(raw, non_numeric="drop")
    assert data.feature_names == features and data.target_name == target
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(raw)
        assert read_table(path).frame.equals(table.frame)


# Excel's "Unicode Text" (as many Windows programs save text): UTF-16 with a byte-order mark, tabs, CRLF
UNICODE_TEXT = ["城市\t面积\t房龄\t价格", *(f"{city}\t{90 + i}.5\t{i % 30}\t{300 + 7 * i}"
                                           for i, city in enumerate(["北京", "上海", "广州", "深圳"] * 10))]


def _with_bom(text: str, encoding: str) -> bytes:
    """``text`` in ``encoding`` ("utf-16-le" or "utf-16-be"), after the byte-order mark Excel writes first."""
    return ("\ufeff" + text).encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_excel_s_unicode_text_in_utf16_is_read_as_the_same_text_in_utf8(encoding: str) -> None:
    text = "\r\n".join(UNICODE_TEXT) + "\r\n"
    raw = _with_bom(text, encoding)
    assert raw[:6] == {"utf-16-le": b"\xff\xfe\xce\x57\x02\x5e", "utf-16-be": b"\xfe\xff\x57\xce\x5e\x02"}[encoding]
    table, utf8 = read_table(raw), read_table(text.encode())
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert list(table.frame.columns) == ["城市", "面积", "房龄", "价格"] and table.frame.equals(utf8.frame)
    assert table.frame["面积"].iloc[:2].tolist() == [90.5, 91.5] and table.frame["城市"].iloc[1] == "上海"
    assert table.notices == ("Read as UTF-16, as Excel's Unicode Text saves it (the file is not UTF-8).",)
    assert (table.notices[0].kind, table.notices[0].fields) == ("utf16", {})
    trains_and_reads_from_a_path(raw, table, "房价.txt", ("面积", "房龄"), "价格")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_long_utf16_file_says_what_the_same_file_in_utf8_says_on_the_same_lines(encoding: str) -> None:
    """Longer than the sample the delimiter and the header are found in (its cut falls after a whole line, on a
    character's first byte), with a title, cells that are not numbers and missing cells far down."""
    rows = [f"{['北京', '上海'][i % 2]}\t{i * 0.25}\t{i % 7}" for i in range(6000)]
    rows[4321] = "上海\t#DIV/0!\t3"
    rows[5000] = "北京\t2.5\t"
    text = "\r\n".join(["房价 2024", "", "城市\t面积\t价格", *rows]) + "\r\n"
    raw = _with_bom(text, encoding)
    assert len(raw) > 2 * reading.SAMPLE_BYTES
    table, utf8 = read_table(raw), read_table(text.encode())
    assert table.frame.equals(utf8.frame) and len(table.frame) == 6000
    said = [(notice.kind, notice.fields) for notice in table.notices]
    assert said[0] == ("utf16", {}) and said[1:] == [(notice.kind, notice.fields) for notice in utf8.notices]
    assert {kind: fields.get("cells") for kind, fields in said} == {
        "utf16": None, "title_lines": None, "not_numbers": [{"line": 4325, "value": "#DIV/0!"}],
        "missing_cells": [{"line": 5004, "value": ""}]}
    with pytest.raises(DataError) as caught:  # an extra tab, named on its line
        read_table(_with_bom(text.replace("\t2.5\t\r\n", "\t2.5\t1\t2\r\n"), encoding))
    assert (caught.value.problem, caught.value.fields["line"], caught.value.fields["fields"]) == ("ragged_row", 5004, 4)


def test_utf16_without_its_byte_order_mark_is_refused_with_how_to_save_it_as_utf8() -> None:
    """Without the mark, the byte order is a guess: the message says how to save the file so that none is needed."""
    for raw in ("\r\n".join(UNICODE_TEXT).encode("utf-16-le"), "x,y\n1,2\n3,4\n".encode("utf-16-be")):
        with pytest.raises(DataError, match=re.escape("save it again as UTF-8 (in Excel: CSV UTF-8)")) as caught:
            read_table(raw)
        assert caught.value.problem == "utf16_without_bom" and "UTF-16" in str(caught.value)


def test_utf16_that_is_cut_short_or_not_utf16_further_on_is_refused() -> None:
    raw = _with_bom("\r\n".join(UNICODE_TEXT) + "\r\n", "utf-16-le")
    for broken in (raw[:-1], raw + "\ud800".encode("utf-16-le", errors="surrogatepass")):  # half a character
        with pytest.raises(DataError, match="mark of a UTF-16 file") as caught:
            read_table(broken)
        assert caught.value.problem == "bom_not_utf16"


@pytest.mark.parametrize("header", ["Größe,b,y", "Müller,café,y", "naïve,Größe,y", "Zoë,Ångström,y", "x,Straße,y",
                                    "Þjóðólfsson,Æsir,y", "Øst,Ærø,y"])
def test_western_text_that_is_not_utf8_stays_latin1(header: str) -> None:
    """German, French, Swedish or Icelandic in Latin-1 is not taken for Chinese, even where its accented letters
    decode as Chinese characters ("öß" in "Größe" as one, "óðó" in "Þjóðólfsson" as two rare ones)."""
    table = read_table((header + "\n1,2,3\n4,5,6\n").encode("latin-1"))
    assert (table.encoding, list(table.frame.columns)) == ("latin-1", header.split(","))


def test_a_rare_chinese_character_among_common_ones_is_chinese() -> None:
    """GBK has characters that GB2312, the common set, lacks (镕 of a name): a file with them reads as Chinese."""
    table = read_table("姓名,面积,价格\n朱镕基,1,2\n李四,3,5\n".encode("gbk"))
    assert (table.encoding, table.frame["姓名"].tolist()) == ("gb18030", ["朱镕基", "李四"])


def test_a_chinese_character_cut_by_a_chunk_boundary_is_still_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    # 丂 is 0x81 0x40 in GBK: its second byte is "@", so a chunk after its first byte is ASCII and must be decoded
    raw = ("面积,价格\n" + "".join(f"{i},{2 * i}\n" for i in range(50)) + "备注丂,1\n").encode("gbk")
    assert "丂".encode("gbk") == b"\x81@"
    for chunk_bytes in (1, 3, 7):  # every boundary falls inside some character
        monkeypatch.setattr(reading, "CHUNK_BYTES", chunk_bytes)
        assert reading.chinese_reading(reading._chunks(raw), "gb18030") is not None, chunk_bytes


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="abxyzAZ019 ,;.-\n\"", min_size=1, max_size=6),
                          st.text(alphabet="éèàüöäßñçåøÆØÅÞðóÿ", max_size=3)), min_size=1, max_size=40))
def test_latin1_text_is_never_taken_for_chinese_while_its_accented_letters_come_three_at_most_in_a_row(
        pieces: list[tuple[str, str]]) -> None:
    """Two common Chinese characters take four bytes of 0xA1 or more in a row, that is four accented letters of
    Latin-1: text with three at most in a row (every European language's words) is read as Latin-1."""
    raw = "".join(ascii_part + accented for ascii_part, accented in pieces).encode("latin-1")
    assert reading.chinese_reading([raw], "gb18030") is None
    assert reading.chinese_reading([raw[i:i + 1] for i in range(len(raw))], "gb18030") is None  # however they arrive


def test_a_file_whose_bytes_read_in_more_than_one_encoding_is_read_in_the_one_given() -> None:
    """高雄 alone in Big5 is also two common GBK characters (蔼动), and the bytes cannot tell: the caller who knows
    the file says its encoding, by any name Python gives it, and no notice says how it was read."""
    raw = "高雄,y\n1,2\n3,4\n".encode("cp950")
    assert read_table(raw).frame.columns[0] == "蔼动"  # a tie goes to GB18030
    for name in ("big5", "cp950", "Big5", "big5-tw", "ms950"):
        table = read_table(raw, encoding=name)
        assert (table.encoding, list(table.frame.columns), table.notices) == ("cp950", ["高雄", "y"], ()), name
    assert load_csv(raw, encoding="big5").feature_names == ("高雄",)
    assert load_csv(raw, encoding="big5").notices == ()
    for name, read_as in (("gbk", "gb18030"), ("GB2312", "gb18030"), ("latin1", "latin-1"), ("ISO-8859-1", "latin-1"),
                          ("windows-1252", "cp1252"), ("utf_8", "utf-8")):
        assert read_table(b"a,y\n1,2\n", encoding=name).encoding == read_as, name
    marked = read_table(codecs.BOM_UTF8 + "面积,y\n1,2\n".encode(), encoding="utf-8")
    assert (marked.encoding, list(marked.frame.columns)) == ("utf-8-sig", ["面积", "y"])


def test_a_file_not_in_the_encoding_given_names_its_first_line_that_is_not() -> None:
    rows = "".join(f"{i},{2 * i}\n" for i in range(1, 2000))
    raw = ("面积,y\n" + rows).encode("utf-8") + "备注,1\n".encode("gbk")  # line 2,001 is GBK
    with pytest.raises(DataError) as raised:
        read_table(raw, encoding="utf-8")
    assert raised.value.problem == "not_in_encoding" and raised.value.fields == {"encoding": "utf-8", "line": 2001}
    assert str(raised.value) == ("The file is not UTF-8 text: line 2,001 holds bytes that are not. Leave the encoding "
                                 "out for the bytes to decide it, or give the one the file was saved in.")
    with pytest.raises(ConfigError, match="encoding must be one of 'utf-8', 'utf-8-sig', 'utf-16', 'gb18030', "
                                          "'cp950', 'cp1252', 'latin-1'; got 'shift_jis'"):
        read_table(raw, encoding="shift_jis")


@pytest.mark.parametrize("header", ["Århus,Ålborg,y", "Temperatur (°C),Ændring (±),y", "µg/m³,Ø (mm),y",
                                    "ÀÉÎ,Ãx,y", "Åse,Ærø,y", "Ångström,¼ Größe,y"])
def test_western_text_whose_signs_and_capitals_read_as_big5_characters_stays_latin1(header: str) -> None:
    """Latin-1's signs and capitals À to Æ start Big5's common characters ("Å" and "r" of "Århus" read as one): one
    alone, or two with an accented letter after them, make no word, and the file stays Latin-1."""
    table = read_table((header + "\n1,2,3\n4,5,6\n").encode("latin-1"))
    assert (table.encoding, list(table.frame.columns)) == ("latin-1", header.split(","))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="abxyzAZ019 ,;.-\n\"", min_size=2, max_size=6),
                          st.text(alphabet="éèàüöäßñçåøÆØÅÞðóÿ°±µÀÉ", max_size=2)), min_size=1, max_size=40))
def test_latin1_text_is_never_taken_for_big5_while_its_accented_letters_come_two_at_most_in_a_row(
        pieces: list[tuple[str, str]]) -> None:
    """Two common Big5 characters side by side start with two bytes of 0xA4 to 0xC6 two apart, each with a byte
    after it: text whose accented letters come two at most in a row, with two ASCII characters or more between
    (every European language's words), is not Big5 however its bytes arrive."""
    raw = "".join(ascii_part + accented for ascii_part, accented in pieces).encode("latin-1")
    assert reading.chinese_reading([raw], "cp950") is None
    assert reading.chinese_reading([raw[i:i + 1] for i in range(len(raw))], "cp950") is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="面積價格城市房齡臺北高雄溫度濕度風速雨量樣本編號學生成績（）：，",
                        min_size=2, max_size=6), min_size=1, max_size=4, unique=True),
       st.integers(min_value=2, max_value=30))
def test_any_traditional_chinese_header_in_big5_reads_back_as_written(names: list[str], rows: int) -> None:
    """Column names of two or more traditional characters and full-width punctuation, saved in Big5, read back as
    they were written, with the rows of numbers under them."""
    reads_back_as_written(names, rows, "cp950", "cp950", ("面積", "數值", "目標"))


def reads_back_as_written(names: list[str], rows: int, encoding: str, read_as: str,
                          words: tuple[str, str, str]) -> None:
    """A table of ``rows`` rows of numbers under ``names`` (punctuation alone left out, a name of one Chinese
    character lengthened) and a target, saved in ``encoding``, reads back as written, in ``read_as``; ``words`` are
    a name, a lengthening and a target in the script of ``names``."""
    name, longer, target = words
    names = [name for name in names if name.strip("（）：，")] or [name]
    names = [name if sum("\u4e00" <= c <= "\u9fff" for c in name) >= 2 else name + longer for name in names]
    names = list(dict.fromkeys(names))
    header = ",".join(f'"{name}"' if "，" in name else name for name in [*names, target])
    body = "".join(",".join(str(row * (column + 1)) for column in range(len(names) + 1)) + "\n" for row in range(rows))
    table = read_table((header + "\n" + body).encode(encoding))
    assert table.encoding == read_as
    assert list(table.frame.columns) == [*names, target]
    assert len(table.frame) == rows


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="面积价格城市房龄北京上海温度湿度风速雨量样本编号（）：，", min_size=2, max_size=6),
                min_size=1, max_size=4, unique=True),
       st.integers(min_value=2, max_value=30))
def test_any_chinese_header_in_gbk_reads_back_as_written(names: list[str], rows: int) -> None:
    """Column names of two or more Chinese characters and full-width punctuation, saved in GBK, read back as they
    were written, with the rows of numbers under them."""
    reads_back_as_written(names, rows, "gbk", "gb18030", ("面积", "数值", "目标"))


# Delimiters


@pytest.mark.parametrize(("text", "mark", "ascii_mark"), [
    ("面积，价格\n1，2\n3，4\n5，7\n", "，", ","), ("面积；房龄；价格\n1；2；3\n4；5；6\n", "；", ";"),
    ("x，y\r\n1.5，2\r\n", "，", ","),
])
def test_fields_typed_with_a_chinese_input_method_s_commas_are_refused_with_the_mark_to_replace(
        text: str, mark: str, ascii_mark: str) -> None:
    """Separated by the full-width comma or semicolon, the file would read as one column of text ("面积，价格"), refused
    for having no number; the error names the mark and the one to put in its place."""
    with pytest.raises(DataError, match=f"separated by '{mark}'.*replace every '{mark}' with '{ascii_mark}'") as caught:
        read_table(text.encode())
    assert caught.value.problem == "full_width_delimiter"
    assert caught.value.fields == {"mark": mark, "ascii_mark": ascii_mark}


@pytest.mark.parametrize(("text", "columns"), [
    ("城市,备注,y\n北京,好，很好,1\n上海,一般,2\n", ["城市", "备注", "y"]),  # inside a comma-separated file's text
    ("备注\n好，很好\n一般\n", ["备注"]),  # one column of text, its commas not on every line
])
def test_a_full_width_comma_in_a_field_is_text(text: str, columns: list[str]) -> None:
    frame = read_table(text.encode()).frame
    assert list(frame.columns) == columns and frame["备注"].tolist() == ["好，很好", "一般"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected(delimiter: str) -> None:
    raw = GOOD_CSV.replace(",", delimiter).encode()
    table = read_table(raw)
    assert table.delimiter == delimiter
    assert list(table.frame.columns) == ["x1", "x2", "y"]
    np.testing.assert_array_equal(dataset_from_frame(table.frame, "y").X[:, 1], [-2.0, 4.0, 0.5, 1.0])


def test_semicolon_file_with_commas_inside_text_values() -> None:
    table = read_table(b"name;x;y\nSmith, J;1;2\nDoe, A;3;4\nRoe, B;5;7\n")
    assert table.delimiter == ";"
    assert table.frame["name"].tolist() == ["Smith, J", "Doe, A", "Roe, B"]


def test_windows_line_endings_and_a_quoted_header() -> None:
    table = read_table(b'"x1";"x2";"y"\r\n1,5;2;3\r\n4;5;6\r\n')
    assert table.delimiter == ";"
    assert list(table.frame.columns) == ["x1", "x2", "y"]
    assert table.frame["y"].tolist() == [3, 6]


def test_quoted_values_with_the_delimiter_and_newlines_are_read() -> None:
    table = read_table(b'note,x,y\n"a, b",1,2\n"two\nlines",3,4\n')
    assert table.frame["note"].tolist() == ["a, b", "two\nlines"]
    assert table.frame["x"].tolist() == [1, 3]


def test_a_single_column_file_reads_and_then_has_no_features() -> None:
    table = read_table(b"y\n1\n2\n3\n")
    assert list(table.frame.columns) == ["y"]
    with pytest.raises(DataError, match="No usable feature columns: choose at least one numeric feature"):
        dataset_from_frame(table.frame, "y")


# read_table errors


@pytest.mark.parametrize("raw", [b"", b"   \n\n \t\n"])
def test_empty_file(raw: bytes) -> None:
    with pytest.raises(DataError, match=r"The file is empty: .*Upload a CSV with a header row and at least two rows"):
        read_table(raw)


def test_header_without_data_rows() -> None:
    with pytest.raises(DataError, match=r"header row \('a', 'b', 'y'\) but no data rows: add at least two rows"):
        read_table(b"a,b,y\n")


def test_duplicate_column_names_are_named_with_their_counts() -> None:
    with pytest.raises(DataError, match=r"Duplicate column names in the header: 'a' \(2 times\), 'b' \(3 times\)\. "
                                        r"Rename them"):
        read_table(b"a,b,a,b, b,y\n1,2,3,4,5,6\n")


def test_a_row_with_too_many_fields_is_named_by_line() -> None:
    raw = b"a,b,y\n1,2,3\n4,5,6\n7,8,9\n1,2,3\n4,5,6\n1,2,3,4\n7,8,9\n"
    with pytest.raises(DataError, match=r"line 7 has 4 fields, the header has 3\. Check that line for an extra comma"):
        read_table(raw)


def test_a_first_data_row_with_too_many_fields_is_not_taken_as_an_index() -> None:
    # Every row one field longer: pandas would quietly use the first column as the index.
    with pytest.raises(DataError, match=r"line 2 has 4 fields, the header has 3"):
        read_table(b"a,b,y\n1,2,3,4\n5,6,7,8\n")


@pytest.mark.parametrize("raw", [
    b'a,b,y\n1,2,3\n4,"5,6\n7,8,9\n',
    b'a,y\n1,2\n3,"x\n4,5\n6,7\n',  # pyarrow would read this "successfully": the rest of the file in one cell
])
def test_an_unclosed_quote_is_named_by_line(raw: bytes) -> None:
    with pytest.raises(DataError, match=r'quoted value that starts on line 3 has no closing quote \("\)'):
        read_table(raw)


@pytest.mark.parametrize("rows", [2, 20_000])  # 20,000 rows: beyond the ~64 KB sample, cut at a carriage return
def test_carriage_returns_alone_end_lines_as_in_old_mac_csv(rows: int) -> None:
    table = read_table(b"x1,x2,y\r" + b"1.5,2,3\r4,5,6\r" * (rows // 2))
    assert list(table.frame.columns) == ["x1", "x2", "y"]
    assert len(table.frame) == rows
    np.testing.assert_array_equal(table.frame.iloc[:2].to_numpy(), [[1.5, 2, 3], [4, 5, 6]])


def test_a_lone_carriage_return_before_the_header_is_a_data_error() -> None:
    with pytest.raises(DataError, match=r"Cannot find the header row: the file's first line should name its columns"):
        read_table(b"\r,")


def test_a_byte_order_mark_on_a_file_that_is_not_utf8_is_a_data_error() -> None:
    with pytest.raises(DataError, match=r"starts with the mark of a UTF-8 file .* save it again as UTF-8"):
        read_table(b"\xef\xbb\xbfx,y\n1,2\n3,\xff\n")


def test_features_that_one_hot_encode_to_no_columns_are_a_data_error() -> None:
    # Each text column holds one value: one-hot encoding leaves no feature at all.
    table = read_table(b"a,b,y\nred,x,1\nred,x,2\nred,,3\n")
    with pytest.raises(DataError, match=r"No usable feature columns: one-hot encoding 'a', 'b' leaves none"):
        dataset_from_frame(table.frame, "y", ["a", "b"], missing="mean", non_numeric="onehot")


def test_values_too_large_to_square_are_refused_before_the_data_is_used() -> None:
    table = read_table(b"x,y\n1e200,1\n2e200,2\n3e200,4\n")
    with pytest.raises(DataError, match=r"Values up to 3e\+200 are too large for the squared loss"):
        dataset_from_frame(table.frame, "y")

PIECES = [b"a", b"y", b"1", b"2.5", b"-3", b"1e400", b"nan", b"", b",", b";", b"\t", b"|", b"\n", b"\r", b"\r\n",
          b'"', b"'", b" ", b"#", b"\\", b"\x00", b"\xff", b"\xc3\xa9", b"\xef\xbb\xbf"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_any_bytes_give_a_table_or_a_data_error(pieces: list[bytes]) -> None:
    # The Data page shows an SGDCoreError's message; anything else would stop the page instead. A file
    # path is read another way (checked a chunk at a time, parsed by pandas from the file): same outcome.
    raw = b"".join(pieces)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.csv"
        path.write_bytes(raw)
        try:
            from_path = read_table(path)
        except DataError as error:
            from_path = error
    try:
        table = read_table(raw)
    except DataError as error:
        assert str(error)
        assert isinstance(from_path, DataError) and str(from_path) == str(error)
        return
    assert isinstance(from_path, Table), from_path
    pd.testing.assert_frame_equal(from_path.frame, table.frame)
    assert (from_path.encoding, from_path.delimiter) == (table.encoding, table.delimiter)
    assert len(table.frame) > 0 and len(table.frame.columns) > 0
    columns = list(table.frame.columns)
    for missing, non_numeric in itertools.product(MISSING_CHOICES, NON_NUMERIC_CHOICES):
        try:
            data = dataset_from_frame(table.frame, columns[-1], columns[:-1], missing=missing, non_numeric=non_numeric)
        except (DataError, ConfigError) as error:
            assert str(error)
            continue
        assert data.X.shape == (data.y.size, data.n_features) and data.n_features > 0
        assert np.isfinite(data.X).all() and np.isfinite(data.y).all()


# column_summary


def test_column_summary_describes_each_column() -> None:
    summary = column_summary(frame(
        x=[1.0, np.nan, 3.0, 3.0], city=["Paris", None, "Lyon", "Paris"], flag=[True, False, True, True],
    ))
    assert list(summary.columns) == ["column", "type", "missing", "unique", "mean", "std", "min", "max", "example"]
    rows = summary.set_index("column")
    assert rows["type"].to_dict() == {"x": "numeric", "city": "text", "flag": "boolean"}
    assert rows["missing"].to_dict() == {"x": 1, "city": 1, "flag": 0}
    assert rows["unique"].to_dict() == {"x": 2, "city": 2, "flag": 2}
    assert rows.loc["x", "mean"] == pytest.approx(7 / 3)
    assert rows.loc["x", "std"] == pytest.approx(np.std([1.0, 3.0, 3.0], ddof=1))
    assert (rows.loc["x", "min"], rows.loc["x", "max"]) == (1.0, 3.0)
    assert rows.loc["flag", "mean"] == pytest.approx(0.75)
    assert rows.loc["city", ["mean", "std", "min", "max"]].isna().all()
    assert rows["example"].to_dict() == {"x": "1.0", "city": "Paris", "flag": "True"}


def test_column_summary_of_an_all_missing_column() -> None:
    row = column_summary(frame(empty=[np.nan, np.nan], y=[1.0, 2.0])).iloc[0]
    assert (row["missing"], row["unique"], row["example"]) == (2, 0, "")
    assert np.isnan(row["mean"])


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(0, 40), elements=st.sampled_from(
    [0.0, -0.0, 1.5, -2.0, 1e300, np.inf, -np.inf, np.nan]) | st.floats(-1e6, 1e6)))
@example(np.array([-2.0, 4.0, -2.0, 9.95e-18]))  # values that cancel, summed in another order than NumPy's
def test_column_summary_counts_and_bounds_match_numpy(values: np.ndarray) -> None:
    """Distinct values, min and max as NumPy gives them on the values that are not missing (0.0 and -0.0
    are one value)."""
    row = column_summary(frame(x=values)).iloc[0]
    present = values[~np.isnan(values)]
    with np.errstate(invalid="ignore", over="ignore"):  # inf − inf, as column_summary may meet
        mean = present.mean() if present.size else np.nan
    assert (row["missing"], row["unique"]) == (values.size - present.size, np.unique(present).size)
    if present.size:
        assert (row["min"], row["max"]) == (present.min(), present.max())
        # Summed in another order, a mean may differ by up to ε·Σ|x|: more than any rtol where the values cancel
        # ([-2, 4, -2, 1e-17]: 0.0 pairwise, 2.5e-18 left to right)
        finite = present[np.isfinite(present)]
        np.testing.assert_allclose(row["mean"], mean, rtol=1e-12, atol=np.finfo(float).eps * np.abs(finite).sum())


# dataset_from_frame: choosing columns


def test_unknown_target_lists_the_columns() -> None:
    with pytest.raises(DataError, match=r"target column 'price' is not in the table\. Available columns: 'a', 'y'\. "
                                        r"Choose one of them"):
        dataset_from_frame(frame(a=[1, 2, 3], y=[1, 2, 4]), "price")


def test_non_numeric_target_shows_a_bad_value() -> None:
    with pytest.raises(DataError, match=r"target column 'city' is not numeric: it holds values such as 'Lyon'\. "
                                        r"Choose a numeric column as the target"):
        dataset_from_frame(frame(a=[1, 2, 3], city=["12", "Lyon", "Paris"]), "city")


def test_unknown_feature_is_named() -> None:
    with pytest.raises(DataError, match=r"Feature column\(s\) 'b' not in the table\. Available columns: 'a', 'y'"):
        dataset_from_frame(frame(a=[1, 2, 3], y=[1, 2, 4]), "y", ["a", "b"])


def test_target_cannot_also_be_a_feature() -> None:
    with pytest.raises(DataError, match=r"'y' is also listed as a feature: remove it"):
        dataset_from_frame(frame(a=[1, 2, 3], y=[1, 2, 4]), "y", ["a", "y"])


def test_empty_feature_list() -> None:
    with pytest.raises(DataError, match=r"No usable feature columns: choose at least one numeric feature\."):
        dataset_from_frame(frame(a=[1, 2, 3], y=[1, 2, 4]), "y", [])


def test_features_as_a_bare_string_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"features must be a list of column names; got the string 'a'"):
        dataset_from_frame(frame(a=[1, 2, 3], y=[1, 2, 4]), "y", "a")


def test_chosen_features_keep_their_order_and_booleans_are_0_1() -> None:
    data = dataset_from_frame(frame(a=[1, 2, 3], on=[True, False, True], b=[5, 3, 1], y=[1, 2, 4]), "y", ["b", "on"])
    assert data.feature_names == ("b", "on")
    np.testing.assert_array_equal(data.X, [[5, 1], [3, 0], [1, 1]])


@pytest.mark.parametrize(("argument", "value", "allowed"), [
    ("missing", "zero", MISSING_CHOICES), ("non_numeric", "encode", NON_NUMERIC_CHOICES),
])
def test_unknown_options_list_the_allowed_values(argument: str, value: str, allowed: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{choice}'" for choice in allowed)
    with pytest.raises(ConfigError, match=rf"{argument} must be one of {listed}; got '{value}'\."):
        dataset_from_frame(frame(a=[1, 2, 3], y=[1, 2, 4]), "y", **{argument: value})
    with pytest.raises(ConfigError, match=rf"{argument} must be one of"):
        load_csv(GOOD_CSV.encode(), **{argument: value})


# Non-numeric features

CITIES = frame(
    x=[1.0, 2.0, 4.0, 3.0, 5.0, 7.0], city=["Paris", "Lyon", "Berlin", "Paris", "Lyon", "Paris"],
    name=["ann", "bob", "cy", "di", "ed", "flo"], y=[1.0, 2.0, 3.0, 5.0, 8.0, 13.0],
)


def test_non_numeric_features_error_names_them_and_the_two_fixes() -> None:
    with pytest.raises(DataError, match=r"2 feature column\(s\) are not numeric: 'city' \(e\.g\. 'Paris'\), "
                                        r"'name' \(e\.g\. 'ann'\)\. Drop them or one-hot encode them"):
        dataset_from_frame(CITIES, "y")


def test_non_numeric_drop_drops_them_with_a_notice() -> None:
    data = dataset_from_frame(CITIES, "y", non_numeric="drop")
    assert data.feature_names == ("x",)
    np.testing.assert_array_equal(data.X[:, 0], CITIES["x"])
    assert data.notices == ("Dropped 2 non-numeric feature column(s): 'city', 'name'.",)


def test_non_numeric_drop_with_nothing_left() -> None:
    with pytest.raises(DataError, match=r"No usable feature columns: the chosen features 'city' are all non-numeric"):
        dataset_from_frame(CITIES, "y", ["city"], non_numeric="drop")


def test_onehot_encodes_with_the_first_value_as_baseline() -> None:
    data = dataset_from_frame(CITIES, "y", ["x", "city"], non_numeric="onehot")
    assert data.feature_names == ("x", "city=Lyon", "city=Paris")
    np.testing.assert_array_equal(data.X[:, 1], [0, 1, 0, 0, 1, 0])
    np.testing.assert_array_equal(data.X[:, 2], [1, 0, 0, 1, 0, 1])
    assert data.notices == (
        "One-hot encoded 'city': 3 value(s) → 2 column(s) ('city=Lyon', 'city=Paris'); 'Berlin' is the baseline, "
        "left out.",
    )


def test_onehot_refuses_a_column_with_too_many_values() -> None:
    many = frame(x=np.arange(300.0) % 7, id=[f"id{i}" for i in range(300)], y=np.arange(300.0))
    with pytest.raises(DataError, match=r"'id' has 300 different values, more than the 100 .* deselect it"):
        dataset_from_frame(many, "y", non_numeric="onehot")


# Missing and infinite values

GAPS = frame(
    age=[20.0, np.nan, 40.0, np.nan, 60.0, 30.0, np.nan],
    income=[1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 9.0],
    y=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, np.nan],
)


def test_missing_values_error_counts_values_rows_and_columns() -> None:
    with pytest.raises(DataError, match=r"Found 5 missing value\(s\) in 4 row\(s\), in column\(s\) "
                                        r"'age' \(3\), 'income' \(1\), 'y' \(1, the target\)\. "
                                        r"Drop those rows or impute the column mean"):
        dataset_from_frame(GAPS, "y", ["age", "income"])


def test_missing_drop_drops_the_rows_with_a_notice() -> None:
    data = dataset_from_frame(GAPS, "y", ["age", "income"], missing="drop")
    np.testing.assert_array_equal(data.X, [[20.0, 1.0], [60.0, 5.0], [30.0, 6.0]])
    np.testing.assert_array_equal(data.y, [1.0, 5.0, 6.0])
    assert data.notices == ("Dropped 4 of 7 row(s) with missing values: 'age' (3), 'income' (1), 'y' (1, the target).",)


def test_missing_mean_imputes_features_and_drops_missing_targets() -> None:
    data = dataset_from_frame(GAPS, "y", ["age", "income"], missing="mean")
    age_mean = np.mean([20.0, 40.0, 60.0, 30.0])  # over the rows kept: the last row has no target
    income_mean = np.mean([1.0, 2.0, 4.0, 5.0, 6.0])
    np.testing.assert_allclose(data.X[:, 0], [20.0, age_mean, 40.0, age_mean, 60.0, 30.0])
    np.testing.assert_allclose(data.X[:, 1], [1.0, 2.0, income_mean, 4.0, 5.0, 6.0])
    np.testing.assert_array_equal(data.y, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert data.notices == (
        "Dropped 1 row(s) where the target 'y' is missing (a target cannot be imputed).",
        f"Filled 3 missing value(s) with the column mean: 'age' (2), 'income' (1); the means: 'age' {age_mean:.6g}, "
        f"'income' {income_mean:.6g}.",
    )


def test_missing_text_values_with_onehot_are_dropped_or_imputed() -> None:
    gappy = frame(city=["a", "b", None, "b", "a"], x=[1.0, 2.0, 3.0, 5.0, 4.0], y=[1.0, 2.0, 3.0, 4.0, 6.0])
    with pytest.raises(DataError, match=r"'city' \(1\)"):
        dataset_from_frame(gappy, "y", non_numeric="onehot")
    dropped = dataset_from_frame(gappy, "y", non_numeric="onehot", missing="drop")
    np.testing.assert_array_equal(dropped.X, [[0, 1], [1, 2], [1, 5], [0, 4]])
    filled = dataset_from_frame(gappy, "y", non_numeric="onehot", missing="mean")
    np.testing.assert_allclose(filled.X[:, 0], [0, 1, 0.5, 1, 0])  # the share of "b" among the others


def test_infinite_values_are_named_with_counts() -> None:
    with pytest.raises(DataError, match=r"Column\(s\) 'a' \(2\), 'y' \(1, the target\) contain infinite values .* fix "
                                        r"or remove them in the file, or choose another target\."):
        dataset_from_frame(frame(a=[np.inf, 1.0, -np.inf, 2.0], b=[1.0, 2.0, 3.0, 4.0], y=[1.0, 2.0, np.inf, 3.0]), "y")


def test_infinite_values_from_a_file() -> None:
    with pytest.raises(DataError, match=r"'x' \(1\) contain infinite values .* or deselect those columns\."):
        load_csv(b"x,y\n1,2\ninf,3\n2,5\n")


# After cleaning: is least squares solvable?


def test_a_single_row_is_refused() -> None:
    with pytest.raises(DataError, match=r"Need at least 2 rows; got 1\. Add rows"):
        load_csv(b"x,y\n1,2\n")


def test_a_single_row_left_after_dropping_says_why() -> None:
    with pytest.raises(DataError, match=r"at least 2 rows; got 1 after dropping 2 row\(s\) with missing or infinite"):
        dataset_from_frame(frame(x=[1.0, np.nan, 3.0], y=[1.0, 2.0, np.nan]), "y", missing="drop")


NAN = np.nan


@pytest.mark.parametrize(("columns", "options", "counts", "fixes", "deselect"), [
    # An empty feature: removing it helps, its mean does not exist
    ({"a": [1.0, 2.0, 3.0, 4.0], "e": [NAN] * 4, "y": [1.0, 2.0, 3.0, 5.0]}, {"missing": "drop"},
     {"e": 4}, ["deselect"], ["e"]),
    # Features with gaps in different rows: without one of them, or with their gaps filled, enough rows are left
    ({"a": [1.0, 2.0, NAN, NAN], "b": [NAN, NAN, 1.0, 2.0], "y": [1.0, 2.0, 3.0, 5.0]}, {"missing": "drop"},
     {"a": 2, "b": 2}, ["deselect", "mean"], ["a"]),
    # The only feature, with a single value: removing it leaves no feature, its mean makes it constant
    ({"a": [1.0, NAN, NAN], "y": [1.0, 2.0, 3.0]}, {"missing": "drop"}, {"a": 2}, [], []),
    # The target's own gaps: only another target helps, with either choice for missing values
    ({"a": [1.0, 2.0, 3.0], "y": [1.0, NAN, NAN]}, {"missing": "drop"}, {"y": 2}, ["other_target"], []),
    ({"a": [1.0, 2.0, 3.0], "y": [1.0, NAN, NAN]}, {"missing": "mean"}, {"y": 2}, ["other_target"], []),
    ({"a": [1.0, 2.0, 3.0], "y": [1.0, np.inf, -np.inf]}, {"infinite": "drop"}, {"y": 2}, ["other_target"], []),
    # Infinite values in every feature: no mean replaces them, but without one of them enough rows are left
    ({"a": [1.0, np.inf, 3.0], "b": [1.0, 2.0, np.inf], "y": [1.0, 2.0, 3.0]}, {"infinite": "drop"},
     {"a": 1, "b": 1}, ["deselect"], ["a"]),
])
def test_too_few_rows_left_names_the_columns_that_dropped_them_and_only_the_choices_that_keep_enough(
    columns: dict, options: dict, counts: dict, fixes: list, deselect: list
) -> None:
    table = frame(**columns)
    with pytest.raises(DataError, match=r"Need at least 2 rows; got \d after dropping") as caught:
        dataset_from_frame(table, "y", **options)
    fields = caught.value.fields
    assert (fields["counts"], fields["fixes"], fields["columns"]) == (counts, fixes, deselect)
    # Each choice offered works; filling with the mean, when not offered, does not
    features = [name for name in table.columns if name != "y"]
    if "deselect" in fixes:
        dataset_from_frame(table, "y", [name for name in features if name not in deselect], **options)
    if "mean" in fixes:
        dataset_from_frame(table, "y", **{**options, "missing": "mean"})
    elif options.get("missing") == "drop":
        with pytest.raises(DataError):
            dataset_from_frame(table, "y", **{**options, "missing": "mean"})


def test_columns_with_no_value_are_left_out_with_a_notice() -> None:
    # A semicolon at the end of every line, as some exports write, and a header over nothing
    table = read_table(b"x1;notes;y;\n1,5;;2;\n2,5;;3;\n4;;5;\n")
    assert list(table.frame.columns) == ["x1", "y"]
    said = [notice for notice in table.notices if notice.kind == "empty_columns"]
    assert said == ["Left out 2 column(s) that hold no value at all: 'notes', 'Unnamed: 3'."]
    assert said[0].fields == {"columns": ["notes", "Unnamed: 3"]}
    data = load_csv(b"x1;x2;y;\n1;4;2;\n2;3;3;\n4;3;5;\n")  # the target is the last column with values
    assert (data.target_name, data.feature_names) == ("y", ("x1", "x2"))
    # A file whose every column is empty keeps them: there is nothing else to show
    assert list(read_table(b"a,b\n,\n,\n").frame.columns) == ["a", "b"]


def test_constant_features_are_named() -> None:
    with pytest.raises(DataError, match=r"Feature column\(s\) 'c', 'd' are constant .* non-unique\. Deselect them"):
        dataset_from_frame(frame(a=[1.0, 2.0, 4.0, 3.0], c=[5, 5, 5, 5], d=[0.5] * 4, y=[1.0, 2.0, 3.0, 5.0]), "y")


def test_more_features_than_rows() -> None:
    wide = pd.DataFrame(np.random.default_rng(0).normal(size=(3, 6)), columns=["a", "b", "c", "d", "e", "y"])
    with pytest.raises(DataError, match=r"3 rows but 5 features: .* not unique; remove features or add rows"):
        dataset_from_frame(wide, "y")


def test_as_many_features_as_rows_is_also_not_unique_with_the_bias() -> None:
    square = pd.DataFrame(np.random.default_rng(0).normal(size=(3, 4)), columns=["a", "b", "c", "y"])
    with pytest.raises(DataError, match=r"3 rows but 3 features: with the bias that is 4 unknowns"):
        dataset_from_frame(square, "y")
    assert dataset_from_frame(square, "y", ["a", "b"]).X.shape == (3, 2)


def normal_columns(rows: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two independent features and a target that depends on them, with noise."""
    a, b, noise = np.random.default_rng(seed).normal(size=(3, rows))
    return a, b, a - 2 * b + 1 + 0.1 * noise


@pytest.mark.parametrize(("columns", "said", "depends_on", "copies"), [
    (lambda a, b: {"a": a, "a2": a, "b": b}, "'a2' is a copy of 'a'", {"a2": ["a"]}, ["a2"]),
    (lambda a, b: {"a": a, "b": b, "b_cm": 2.54 * b - 7}, "'b_cm' is a linear combination of 'b'",
     {"b_cm": ["b"]}, []),
    (lambda a, b: {"a": a, "b": b, "total": a + b}, "'total' is a linear combination of 'a', 'b'",
     {"total": ["a", "b"]}, []),
    (lambda a, b: {"a": a, "b": b, "c": 3 * a - b / 7 + 1e6, "a2": a},
     "'c' is a linear combination of 'a', 'b'; 'a2' is a copy of 'a'", {"c": ["a", "b"], "a2": ["a"]}, ["a2"]),
], ids=["duplicate", "scaled copy", "sum", "two"])
def test_a_feature_that_follows_from_the_others_is_named(columns, said: str, depends_on: dict, copies: list) -> None:
    a, b, y = normal_columns()
    with pytest.raises(DataError, match=r"Feature column\(s\) .* follow exactly from the others \(") as caught:
        dataset_from_frame(pd.DataFrame({**columns(a, b), "y": y}), "y")
    assert f"({said}): they add no information and make the least-squares solution non-unique. Deselect them." in str(
        caught.value)
    assert caught.value.fields == {"columns": list(depends_on), "depends_on": depends_on, "copies": copies}


def test_a_one_hot_encoding_with_its_baseline_s_column_is_refused() -> None:
    """The dummy-variable trap: 'is_lyon' is 1 where the encoding's columns (all but the baseline 'Lyon') are 0."""
    city = ["Paris", "Lyon", "Rome", "Paris", "Lyon", "Rome", "Lyon", "Paris"]
    table = frame(city=city, is_lyon=[float(c == "Lyon") for c in city], x=[1.0, 2, 3, 5, 4, 7, 6, 8],
                  y=[1.0, 2, 3, 4, 5, 6, 8, 7])
    with pytest.raises(DataError, match=r"'is_lyon' is a linear combination of 'city=Paris', 'city=Rome'"):
        dataset_from_frame(table, "y", non_numeric="onehot")
    assert dataset_from_frame(table, "y", ["city", "x"], non_numeric="onehot").feature_names == (
        "city=Paris", "city=Rome", "x")


@pytest.mark.parametrize("columns", [
    lambda a, b: {"big": 1e12 * a, "small": b},  # scales 12 orders of magnitude apart
    lambda a, b: {"a": a, "close": 0.999 * a + 0.045 * b},  # correlation 0.999, with noise
    lambda a, b: {"seconds": 1.7e9 + np.round(100 * a), "b": b},  # a large mean: a timestamp
    lambda a, b: {"a": a, "b": b, "almost": a + b + 1e-4 * np.sin(np.arange(len(a)))},  # a sum, but not quite
    lambda a, b: {"a": a, "nearly": a + 1e-5 * b},  # a copy, but not quite: κ ≈ 1e10 (test_distributed's QR path)
], ids=["scales", "correlated", "large mean", "almost a sum", "almost a copy"])
def test_ill_conditioned_features_are_accepted(columns) -> None:
    a, b, y = normal_columns()
    features = columns(a, b)
    data = dataset_from_frame(pd.DataFrame({**features, "y": y}), "y")
    assert data.feature_names == tuple(features)


def test_the_synthetic_generator_s_data_are_never_refused() -> None:
    """Its features are independent normal draws, however few rows and however differently scaled (the Momentum
    page's valley, up to κ = 10⁴): no column follows from the others."""
    import sgdcore

    for rows, features, seed in itertools.product((2, 3, 5, 50, 1000), (1, 2, 4, 40), range(5)):
        if rows > features + 1:
            scales = np.geomspace(1.0, 1e-2, features)
            data = sgdcore.synthetic(rows, [1.0] * features, seed=seed, feature_scales=scales)
            table = pd.DataFrame(data.X, columns=data.feature_names).assign(y=data.y)
            assert dataset_from_frame(table, "y").X.shape == (rows, features)


@settings(max_examples=60, deadline=None)
@given(
    values=st.integers(2, 60).flatmap(lambda rows: arrays(
        np.float64, (rows, 4), elements=st.floats(-100, 100) | st.just(np.nan))),
    missing=st.sampled_from(["drop", "mean"]),
    block_bytes=st.integers(1, 200),
)
def test_the_feature_matrix_is_the_chosen_columns_and_rows_whatever_the_block_size(
    values: np.ndarray, missing: str, block_bytes: int
) -> None:
    """X is filled a block of rows at a time: with blocks of a few rows, every row and column must still land
    where ``frame[features]`` (rows dropped, gaps filled with column means) puts them."""
    table = pd.DataFrame(values, columns=["a", "b", "c", "y"])
    table["flag"] = np.arange(len(table)) % 3 == 0  # a boolean feature, as 0/1
    features = ["c", "flag", "a"]
    rows = table.dropna(subset=["y", *features] if missing == "drop" else ["y"])
    expected = rows[features].astype(np.float64)
    if missing == "mean":
        expected = expected.fillna(expected.mean())
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(cleaning, "FILL_BLOCK_BYTES", block_bytes)  # rows of 24 bytes: 1-8 rows a block
            data = dataset_from_frame(table, "y", features, missing=missing)
    except DataError as error:  # too few rows left, a constant, empty or dependent column: refused, and said so
        assert error.problem in ("too_few_rows", "too_many_features", "constant_features", "no_values",
                                 "dependent_features"), error
        return
    assert data.X.flags.c_contiguous
    np.testing.assert_allclose(data.X, expected.to_numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(data.y, rows["y"].to_numpy())


# Property: numbers survive the trip through a CSV file


@settings(max_examples=40, deadline=None)
@given(
    values=st.integers(2, 30).flatmap(lambda rows: st.integers(1, min(4, rows - 1)).flatmap(
        lambda columns: arrays(np.float64, (rows, columns + 1),
                               elements=st.floats(-1e12, 1e12, allow_nan=False, allow_subnormal=False)))),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    blank_line=st.booleans(),
)
def test_random_floats_round_trip_through_csv(values: np.ndarray, delimiter: str, blank_line: bool) -> None:
    """pandas 3 parses 17 significant digits exactly; rtol=1e-12 leaves room for other parsers."""
    names = [f"x{j}" for j in range(values.shape[1] - 1)] + ["target"]
    original = pd.DataFrame(values, columns=names)
    raw = original.to_csv(index=False, sep=delimiter, float_format="%.17g").encode()
    if blank_line:  # blank lines are skipped
        raw = raw.replace(b"\n", b"\n\n", 1)
    table = read_table(raw)
    assert table.delimiter == delimiter
    assert list(table.frame.columns) == names
    try:
        data = dataset_from_frame(table.frame, "target")
    except DataError as error:  # random columns can be constant or repeat another; that is refused, and said so
        assert error.problem in ("constant_features", "dependent_features"), error
        return
    np.testing.assert_allclose(data.X, values[:, :-1], rtol=1e-12, atol=0)
    np.testing.assert_allclose(data.y, values[:, -1], rtol=1e-12, atol=0)


# Numbers as spreadsheets write them: thousands separators and decimal commas


def test_quoted_numbers_with_thousands_separators_are_numbers_not_text() -> None:
    table = read_table(b'item,price,qty\nA,"1,234.5",2\nB,"12,000",3\nC,7.25,4\nD,"-1,000,000.125",5\n')
    assert table.frame["price"].tolist() == [1234.5, 12000.0, 7.25, -1000000.125]
    assert table.number_formats == {"price": (",", ".")}
    assert column_summary(table.frame).set_index("column").loc["price", "type"] == "numeric"
    # A feature, not a text column to drop or one-hot encode (which refused it as an identifier)
    data = dataset_from_frame(table.frame, "qty", ["price"])
    assert data.X[:, 0].tolist() == [1234.5, 12000.0, 7.25, -1000000.125]


def test_a_semicolon_file_with_decimal_commas_is_read_as_numbers() -> None:
    table = read_table("x;y;z\n1,5;2;1 234,5\n-0,25;3,75;12\n2;4,125;\u22127\u202f000,5\n".encode())
    assert table.delimiter == ";"
    assert table.frame["x"].tolist() == [1.5, -0.25, 2.0]
    assert table.frame["y"].tolist() == [2.0, 3.75, 4.125]
    assert table.frame["z"].tolist() == [1234.5, 12.0, -7000.5]
    assert table.number_formats == {"x": ("", ","), "y": ("", ","), "z": (" ", ",")}
    assert dataset_from_frame(table.frame, "z").n_rows == 3


def test_a_comma_between_thousands_or_before_decimals_is_decided_by_the_file_and_the_column() -> None:
    # 1,234 is a thousand and more in a comma-separated file, a little more than one in a semicolon-separated one
    assert read_table(b'a,b\n"1,234",1\n"2,500",2\n').frame["a"].tolist() == [1234.0, 2500.0]
    assert read_table(b"a;b\n1,234;1\n2,500;2\n").frame["a"].tolist() == [1.234, 2.5]
    # a group that is not three digits makes the comma a decimal comma, in the whole column
    assert read_table(b'a,b\n"1,5",1\n"1,234",2\n').frame["a"].tolist() == [1.5, 1.234]
    assert read_table(b"a;b\n1.234,5;1\n1.000.000;2\n").frame["a"].tolist() == [1234.5, 1e6]


# A European spreadsheet's Einwohner, whole numbers with points between thousands, beside its decimal commas
EURO_THOUSANDS = "Wohnfläche;Einwohner;Miete\n45,4;28.779;638,05\n89,9;15.711;888,23\n102,2;329;1.045,27\n"


def test_whole_numbers_with_points_between_thousands_in_a_file_with_decimal_commas_are_thousands() -> None:
    # Read as text already (two points), it is not read again, nor said twice
    twice = read_table(b"a;b\n1.234.567;1,5\n2.000.000;2,5\n")
    assert twice.frame["a"].tolist() == [1234567.0, 2e6] and twice.number_formats["a"] == (".", ",")
    assert [notice.kind for notice in twice.notices] == ["number_format", "number_format"]
    table = read_table(EURO_THOUSANDS.encode("cp1252"))
    assert table.frame["Einwohner"].tolist() == [28779.0, 15711.0, 329.0]
    assert table.frame["Miete"].tolist() == [638.05, 888.23, 1045.27]
    assert table.number_formats["Einwohner"] == (".", "")
    said = [notice for notice in table.notices if notice.kind == "thousands_points"]
    assert said == ["Read 'Einwohner' as whole numbers with '.' between thousands ('28.779' is 28,779), as this file "
                    "writes decimals with a comma (in 'Wohnfläche', 'Miete')."]
    assert said[0].fields == {"column": "Einwohner", "example": "28.779", "value": 28779.0,
                              "decimal_columns": ["Wohnfläche", "Miete"]}


@pytest.mark.parametrize("raw", [
    b"a,b\n1.234,1\n2.5,2\n0.125,3\n",  # a US file: decimal points
    b"a;b\n1.234;1\n2.500;2\n",  # no decimal comma anywhere: nothing says the point is not a decimal point
    b"a;b;c\n1.234;1,5;1\n2.5;2,5;2\n",  # a point before one or two digits is a decimal point, whatever the file
    b"b;a;y\n1,5;0.125;1\n2,5;0.250;2\n3,5;1.500;3\n4,5;0.750;5\n",  # no thousands group starts with 0: 0.125
])
def test_a_point_stays_a_decimal_point_where_nothing_says_otherwise(raw: bytes) -> None:
    table = read_table(raw)
    assert table.frame["a"].tolist() == pd.read_csv(io.BytesIO(raw), sep=table.delimiter)["a"].tolist()
    assert "a" not in table.number_formats and all(notice.kind != "thousands_points" for notice in table.notices)


@settings(max_examples=60, deadline=None)
@given(
    whole=st.lists(st.integers(-10**12, 10**12), min_size=1, max_size=12),
    decimals=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=12, max_size=12),
)
def test_any_whole_numbers_written_with_points_between_thousands_beside_decimal_commas_read_back_exactly(
    whole: list[int], decimals: list[float]
) -> None:
    lines = ["whole;decimal"] + [f"{format(number, ',').replace(',', '.')};{f'{decimal:.3f}'.replace('.', ',')}"
                                 for number, decimal in zip(whole, decimals, strict=False)]
    table = read_table("\n".join(lines).encode())
    assert table.frame["whole"].tolist() == [float(number) for number in whole]
    if any(abs(number) >= 1000 for number in whole) and table.frame["whole"].dtype == np.float64:
        assert table.number_formats["whole"] in ((".", ""), (".", ","))  # 1.234.567 is text to pandas


@pytest.mark.parametrize(("raw", "read", "sign", "said"), [
    (b'price,y\n"$1,234.50",1\n$2,2\n-$0.5,3\n', [1234.5, 2.0, -0.5], "$",
     "Read 'price' as numbers without their '$': '$1,234.50' is 1,234.5."),
    ("Miete;y\n638,05 €;1\n1.045,27 €;2\n-3 €;3\n".encode("cp1252"), [638.05, 1045.27, -3.0], "€",
     "Read 'Miete' as numbers without their '€': '638,05 €' is 638.05."),
    ("price,y\n£5,1\n£ 7.25,2\n".encode(), [5.0, 7.25], "£", "Read 'price' as numbers without their '£': '£5' is 5.0."),
    ("价格,y\n￥12.5,1\n￥3,2\n".encode(), [12.5, 3.0], "￥",
     "Read '价格' as numbers without their '￥': '￥12.5' is 12.5."),
    (b"discount,y\n7.0%,1\n4.4%,2\n-1%,3\n", [7.0, 4.4, -1.0], "%",
     "Read 'discount' as numbers without their '%': '7.0%' is 7.0, the number as written (not 0.07)."),
    (b"Rabatt;y\n7,5 %;1\n12 %;2\n", [7.5, 12.0], "%",
     "Read 'Rabatt' as numbers without their '%': '7,5 %' is 7.5, the number as written (not 0.075)."),
])
def test_numbers_with_a_currency_or_percent_sign_are_numbers_and_a_notice_says_what_was_left_out(
    raw: bytes, read: list[float], sign: str, said: str
) -> None:
    table = read_table(raw)
    column = table.frame.columns[0]
    assert table.frame[column].tolist() == read
    sign_notices = [notice for notice in table.notices if notice.kind in ("currency_sign", "percent_sign")]
    assert sign_notices == [said] and sign_notices[0].fields["sign"] == sign
    assert all(notice.kind != "number_format" for notice in table.notices)  # the sign's notice shows how it is written
    assert dataset_from_frame(table.frame, "y").feature_names == (column,)


@pytest.mark.parametrize(("raw", "read", "said"), [
    (b'amount,y\n"(1,234.50)",1\n"2,000.00",2\n(5),3\n', [-1234.5, 2000.0, -5.0],
     "Read the values of 'amount' in parentheses as negative numbers, as accounting formats write them: "
     "'(1,234.50)' is -1,234.5."),
    (b"amount,y\n12.5,1\n( 7.25 ),2\n", [12.5, -7.25],
     "Read the values of 'amount' in parentheses as negative numbers, as accounting formats write them: "
     "'( 7.25 )' is -7.25."),
    ("Saldo;y\n(5,00 \u20ac);1\n7,25 \u20ac;2\n".encode(), [-5.0, 7.25],
     "Read the values of 'Saldo' in parentheses as negative numbers, as accounting formats write them: "
     "'(5,00 \u20ac)' is -5.0."),
    (b"amount,y\n$7.25,1\n($5.00),2\n", [7.25, -5.0],
     "Read the values of 'amount' in parentheses as negative numbers, as accounting formats write them: "
     "'($5.00)' is -5.0."),
])
def test_accounting_negatives_in_parentheses_are_negative_numbers_and_a_notice_says_so(
        raw: bytes, read: list[float], said: str) -> None:
    """Excel's Accounting format, and its Currency format in some locales, export a negative as (1,234.50): pandas
    left such a column as text, which the page could only drop or one-hot encode."""
    table = read_table(raw)
    column = table.frame.columns[0]
    assert table.frame[column].tolist() == read
    assert [notice for notice in table.notices if notice.kind == "negatives_in_parentheses"] == [said]
    assert all(notice.kind != "number_format" for notice in table.notices)  # the notice shows how it is written
    assert dataset_from_frame(table.frame, "y").feature_names == (column,)


def test_a_currency_sign_says_nothing_of_decimal_commas() -> None:
    # "$5" fits a decimal comma as well as a point: it is no reason to read another column's 1.234 as 1234
    table = read_table(b"a;b;y\n$5;1.234;1\n$6;2.5;2\n")
    assert table.frame["b"].tolist() == [1.234, 2.5] and table.number_formats["a"] == ("", "")


@pytest.mark.parametrize("raw", [
    b"x;y\n1;2\n3;4\n5;7\n",  # read by pandas as numbers
    b"x;y\n1;2\n-;4\n3;5\n",  # read as text for a dash, a cell that is not a number
    "x;y\n\u22121;2\n3;4\n5;7\n".encode(),  # for a typographic minus sign
    "x;y\n1\u00a0;2\n3;4\n5;7\n".encode(),  # for a no-break space
])
def test_whole_numbers_in_a_semicolon_file_are_not_said_to_be_written_with_a_decimal_comma(raw: bytes) -> None:
    table = read_table(raw)
    assert all(notice.kind != "number_format" for notice in table.notices), table.notices
    assert table.number_formats.get("x", ("", ""))[1] == ""


def test_whole_numbers_beside_a_dash_are_no_reason_to_read_another_column_s_points_as_thousands() -> None:
    table = read_table(b"a;b;y\n28.779;1;1\n1.234;-;2\n5.678;3;4\n")
    assert table.frame["a"].tolist() == [28.779, 1.234, 5.678]
    assert [notice.kind for notice in table.notices] == ["not_numbers"]
    # A decimal comma that is written says so, beside the dash as alone
    commas = read_table(b"a;b;y\n28.779;1,5;1\n1.234;-;2\n5.678;3;4\n")
    assert commas.frame["a"].tolist() == [28779.0, 1234.0, 5678.0] and commas.number_formats["b"] == ("", ",")
    assert [notice.kind for notice in commas.notices] == ["number_format", "not_numbers", "thousands_points"]


def test_whole_numbers_with_a_space_between_thousands_are_said_so_without_a_decimal_separator() -> None:
    table = read_table(b"x;y\n1 000;2\n3;4\n5;7\n")
    assert table.frame["x"].tolist() == [1000.0, 3.0, 5.0] and table.number_formats["x"] == (" ", "")
    assert table.notices == ("Read 'x' as numbers written with ' ' between thousands.",)


@pytest.mark.parametrize("values", [
    ["12 kg", "3 kg"], ["$5", "five dollars"], ["$5", "€5"], ["5%", "5"], ["%5", "%6"], ["$", "$5"], ["$$5", "$6"],
    ["Paris", "Lyon"], ["A$", "B$"], ["1,2,3", "4"], ["2024.01.05", "2024.02.05"], ["1 2", "3"], ["1,23,4", "5"],
    ["(5)", "(-5)"], ["(n/a)", "5"], ["(5", "6)"], ["((5))", "6"], ["(5) kg", "6"],
])
def test_text_that_only_looks_like_numbers_stays_text(values: list[str]) -> None:
    raw = "a,b\n" + "".join(f'"{value}",{i}\n' for i, value in enumerate(values))
    table = read_table(raw.encode())
    assert table.frame["a"].tolist() == values and table.number_formats == {}


def _thousands_and_decimals(value: float, style: str) -> str:
    written = format(value, ",")  # "1,234,567.891" (or "1e+20": no separators to add)
    if style == "space, decimal comma":
        return written.replace(",", " ").replace(".", ",")
    if style == "point, decimal comma":
        return written.replace(",", "_").replace(".", ",").replace("_", ".")
    return f'"{written}"'  # comma and decimal point, quoted in a comma-separated file


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False), min_size=1, max_size=12),
    style=st.sampled_from(["comma, decimal point", "space, decimal comma", "point, decimal comma"]),
)
def test_any_float_written_with_thousands_separators_or_a_decimal_comma_reads_back_exactly(
    values: list[float], style: str
) -> None:
    delimiter = "," if style == "comma, decimal point" else ";"
    lines = [f"written{delimiter}row"] + [
        f"{_thousands_and_decimals(value, style)}{delimiter}{i}" for i, value in enumerate(values)]
    table = read_table("\n".join(lines).encode())
    assert table.frame["written"].dtype == np.float64
    assert table.frame["written"].tolist() == values


# Files that are not text


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data.csv", "x,y\n1,2\n")
    return buffer.getvalue()


@pytest.mark.parametrize(("raw", "kind", "said"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10,\x00\n\x08\x02,,\x00\x00\x00", "png", "a PNG image"),
    (_zip(), "zip", "a zip archive"),
    (b"%PDF-1.7\n1 0 obj\n", "pdf", "a PDF document"),
    (bytes(range(256)) * 4, "binary", "binary data"),
])
def test_a_file_that_is_not_text_is_called_what_it_is(raw: bytes, kind: str, said: str) -> None:
    with pytest.raises(DataError, match=f"not a CSV file: it looks like {re.escape(said)}") as caught:
        read_table(raw)
    assert (caught.value.problem, caught.value.fields) == ("not_text", {"kind": kind})
    assert "line" not in str(caught.value)


def test_a_file_with_no_numeric_column_says_so() -> None:
    table = read_table(b"name,city\nAda,Paris\nAlan,Lyon\n")
    with pytest.raises(DataError, match="no numeric column") as caught:
        dataset_from_frame(table.frame, "city")
    assert caught.value.problem == "no_numeric_column"
    assert caught.value.fields["examples"] == {"name": "Ada", "city": "Paris"}


# Infinite values can be dropped like missing ones


def test_rows_with_infinite_values_can_be_dropped_with_a_notice() -> None:
    table = frame(a=[1.0, np.inf, 3.0, 4.0, 5.0, 6.0, 7.0], b=[2.0, 1.0, -np.inf, 0.0, 7.0, 1.0, 3.0],
                  y=[1.0, 2.0, 3.0, np.inf, 5.0, 2.0, 9.0])
    data = dataset_from_frame(table, "y", infinite="drop")
    assert data.X.tolist() == [[1.0, 2.0], [5.0, 7.0], [6.0, 1.0], [7.0, 3.0]]
    assert data.y.tolist() == [1.0, 5.0, 2.0, 9.0]
    assert data.notices == ("Dropped 3 of 7 row(s) with infinite values (inf or -inf): 'a' (1), 'b' (1), 'y' (1).",)
    with pytest.raises(DataError) as caught:
        dataset_from_frame(table, "y")
    assert caught.value.problem == "infinite_values"
    assert caught.value.fields == {"counts": {"a": 1, "b": 1, "y": 1}, "rows": 3, "target": "y"}
    assert load_csv(b"a,y\n1,2\ninf,3\n2,5\n3,4\n", infinite="drop").n_rows == 3
    with pytest.raises(ConfigError, match=r"infinite must be one of 'error', 'drop'; got 'mean'"):
        dataset_from_frame(table, "y", infinite="mean")


def test_missing_and_infinite_rows_are_dropped_together() -> None:
    table = frame(a=[1.0, np.nan, np.inf, 4.0, 5.0, 6.0], y=[1.0, 2.0, 3.0, 4.0, 3.0, 7.0])
    data = dataset_from_frame(table, "y", missing="drop", infinite="drop")
    assert data.X[:, 0].tolist() == [1.0, 4.0, 5.0, 6.0]
    data = dataset_from_frame(table, "y", missing="mean", infinite="drop")
    assert data.X[:, 0].tolist() == [1.0, 4.0, 4.0, 5.0, 6.0]  # the gap filled with the mean of the finite rest


# Errors carry their facts as data, and echo values at a readable length


@pytest.mark.parametrize(("make", "problem", "fields"), [
    (lambda: dataset_from_frame(frame(a=[1.0, np.nan, 2.0], y=[1.0, 2.0, np.nan]), "y"),
     "missing_values", {"counts": {"a": 1, "y": 1}, "rows": 2, "target": "y"}),
    (lambda: dataset_from_frame(frame(a=[1.0, 2.0, 3.0], c=["u", "v", "w"], y=[1.0, 2.0, 4.0]), "y"),
     "text_features", {"columns": ["c"], "examples": {"c": "u"}}),
    (lambda: dataset_from_frame(frame(c=["u", "v", "w"], y=[1.0, 2.0, 4.0]), "y", non_numeric="drop"),
     "only_text_features", {"columns": ["c"]}),
    (lambda: dataset_from_frame(frame(a=[1.0, 1.0, 1.0], y=[1.0, 2.0, 4.0]), "y"),
     "constant_features", {"columns": ["a"]}),
    (lambda: dataset_from_frame(frame(a=[1.0, 2.0, 4.0, 3.0], b=[2.0, 4.0, 8.0, 6.0], y=[1.0, 2.0, 4.0, 5.0]), "y"),
     "dependent_features", {"columns": ["b"], "depends_on": {"b": ["a"]}, "copies": []}),
    (lambda: dataset_from_frame(frame(a=["t", "u"], y=[1.0, 2.0]), "a"), "text_target",
     {"target": "a", "example": "t"}),
    (lambda: read_table(b"x1,y\n1,2\n3,4,5\n"), "ragged_row",
     {"line": 3, "fields": 3, "header_fields": 2, "delimiter": ","}),
    (lambda: read_table(b'x,y\n"1,2\n'), "unclosed_quote", {"line": 2, "delimiter": ","}),
])
def test_a_data_error_carries_its_problem_and_fields(make, problem: str, fields: dict) -> None:
    with pytest.raises(DataError) as caught:
        make()
    assert (caught.value.problem, caught.value.fields) == (problem, fields)
    copied = pickle.loads(pickle.dumps(caught.value))  # e.g. kept in a cache
    assert (copied.problem, copied.fields, str(copied)) == (problem, fields, str(caught.value))


def test_a_huge_value_or_name_is_echoed_cut_to_a_readable_length() -> None:
    huge = "z" * 100_000
    with pytest.raises(DataError) as caught:
        dataset_from_frame(frame(a=[1.0, 2.0, 3.0], c=["u", huge, "w"], y=[1.0, 2.0, 4.0]), "y")
    assert len(str(caught.value)) < 500
    with pytest.raises(DataError) as caught:
        dataset_from_frame(frame(a=[1.0, 2.0, 3.0], **{huge: [1.0, np.nan, 3.0]}), "a")
    assert len(str(caught.value)) < 500 and "(100,000 characters)" in str(caught.value)


def test_a_column_that_counts_the_rows_is_named_and_one_with_a_gap_or_a_missing_first_value_is_not() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"Unnamed: 0": np.arange(12.0), "gap": np.r_[np.arange(6.0), np.arange(7.0, 13.0)],
                          "missing": np.r_[np.nan, np.arange(1.0, 12.0)], "a": rng.normal(size=12),
                          "y": rng.normal(size=12)})
    notices = dataset_from_frame(frame, "y", missing="mean").notices
    assert [n.fields["column"] for n in notices if n.kind == "row_numbers"] == ["Unnamed: 0"]
    assert "counts the rows (0, 1, …, 11)" in next(str(n) for n in notices if n.kind == "row_numbers")


# A column of numbers with a few cells that are not numbers (Excel's error values, a dash)


def _column_with(cells: dict[int, str], rows: int = 30, delimiter: str = ",", decimal: str = ".") -> bytes:
    """x1, x2, y with the cells ``cells`` (row → value as written) of x2 in place of its numbers."""
    lines = [delimiter.join(("x1", "x2", "y"))]
    for i in range(rows):
        x2 = cells.get(i, f"{(i * 37 % 17 - 8) / 7:.4f}".replace(".", decimal))
        lines.append(delimiter.join((f"{i * 1.5:.1f}".replace(".", decimal), x2, f"{i % 7}")))
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("error_value", ["#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#NULL!", "-"])
def test_a_column_of_numbers_with_an_excel_error_value_is_numbers_with_that_cell_missing(error_value: str) -> None:
    table = read_table(_column_with({4: error_value}))
    x2 = table.frame["x2"]
    assert x2.dtype == np.float64 and x2.isna().tolist() == [i == 4 for i in range(30)]
    if error_value != "#N/A":  # pandas reads #N/A as missing itself
        (said,) = table.notices
        assert said == (f"'x2' holds numbers but for 1 cell(s) that are not: {error_value!r} (line 6). They are read "
                        "as missing values.")
        assert said.kind == "not_numbers" and said.fields == {"column": "x2", "count": 1,
                                                               "cells": [{"line": 6, "value": error_value}]}
    # The missing-values choices apply, not the text columns' (dropping x2 or one-hot encoding 29 decimals)
    with pytest.raises(DataError) as caught:
        dataset_from_frame(table.frame, "y")
    assert caught.value.problem == "missing_values" and caught.value.fields["counts"] == {"x2": 1}
    assert dataset_from_frame(table.frame, "y", missing="drop").n_rows == 29
    assert dataset_from_frame(table.frame, "y", missing="mean").feature_names == ("x1", "x2")


def test_the_cells_that_are_not_numbers_are_named_with_their_lines_blank_lines_and_quoted_lines_counted() -> None:
    raw = _column_with({8: "-", 11: " ", 20: "#DIV/0!"}).replace(b"\n4.5,", b'\n\n"4.5\n",', 1)
    table = read_table(raw)
    (said,) = table.notices
    # Row 3 takes two lines, and a blank line comes before it: every row from there is two lines further down
    assert said.fields["cells"] == [{"line": 12, "value": "-"}, {"line": 15, "value": " "},
                                    {"line": 24, "value": "#DIV/0!"}]
    assert table.frame["x2"].isna().sum() == 3


def test_the_cells_pandas_reads_as_missing_are_named_with_their_lines_as_the_cells_that_are_not_numbers() -> None:
    """#N/A, NA, null and an empty cell were missing values without a word of where: only their count, once the
    missing values were dropped, filled or refused; a dash beside them was named with its line."""
    lines = _column_with({2: "#N/A", 4: "-", 7: "", 9: "NA", 12: "null", 15: "NaN", 21: ""}).decode().split("\n")
    lines[20] = lines[20].rsplit(",", 1)[0]  # line 21 ends before its y: pandas reads y as missing
    table = read_table("\n".join(lines).encode())
    assert [notice.kind for notice in table.notices] == ["not_numbers", "missing_cells", "missing_cells"]
    dash, x2, y = table.notices
    assert dash.fields["cells"] == [{"line": 6, "value": "-"}]
    assert x2 == ("'x2' has 6 missing value(s): '#N/A' (line 4), an empty cell (line 9), 'NA' (line 11), "
                  "'null' (line 14), 'NaN' (line 17), … and 1 more.")
    assert x2.fields == {"column": "x2", "count": 6, "cells": [
        {"line": 4, "value": "#N/A"}, {"line": 9, "value": ""}, {"line": 11, "value": "NA"},
        {"line": 14, "value": "null"}, {"line": 17, "value": "NaN"}]}
    assert y == "'y' has 1 missing value(s): an empty cell (line 21)."
    assert table.frame["x2"].isna().sum() == 7


# A title above the header, or two blank lines
@pytest.mark.parametrize(("line_end", "above"), [("\n", "Sales 2024"), ("\r\n", "Sales 2024"), ("\r", "Sales 2024"),
                                                ("\r", "")])
def test_missing_cells_are_found_on_the_same_lines_with_or_without_a_quote_in_the_file(line_end: str,
                                                                                        above: str) -> None:
    """A file without a quote is read a line at a time, one with a quote by the csv module: the same lines, title
    and blank lines counted."""
    lines = [above, "", "x1;x2;y", "1;2;3", "", "4;;6", "#N/A;8;9", "", "", "10;11;12", "13;NA;15"]
    plain = line_end.join(lines) + line_end
    quoted = plain.replace("x2", '"x2"')
    said = [[(notice.kind, notice.fields) for notice in read_table(content.encode()).notices]
            for content in (plain, quoted)]
    assert said[0] == said[1]
    assert [fields for kind, fields in said[0] if kind == "missing_cells"] == [
        {"column": "x1", "count": 1, "cells": [{"line": 7, "value": "#N/A"}]},
        {"column": "x2", "count": 2, "cells": [{"line": 6, "value": ""}, {"line": 11, "value": "NA"}]}]


def test_decimal_commas_with_an_error_value_are_read_by_the_file_s_way() -> None:
    table = read_table(_column_with({2: "#VALUE!"}, delimiter=";", decimal=","))
    assert table.frame["x2"].iloc[0] == pytest.approx(-8 / 7, abs=1e-4) and np.isnan(table.frame["x2"].iloc[2])
    assert [notice.kind for notice in table.notices] == ["number_format", "number_format", "not_numbers"]


@pytest.mark.parametrize("values", [
    ["A", "B", "1", "2", "3"],  # categories, some numbered: more than a few words
    ["Paris", "Lyon", "Rome", "Paris"], ["12 kg", "3 kg", "-"], ["1", "-"],
])
def test_text_with_some_numbers_or_marks_stays_text(values: list[str]) -> None:
    raw = "a,b\n" + "".join(f'"{value}",{i}\n' for i, value in enumerate(values))
    table = read_table(raw.encode())
    assert table.frame["a"].tolist() == values and table.notices == ()


def test_a_few_words_in_a_long_column_of_numbers_are_not_numbers_and_many_are_text() -> None:
    few = read_table(_column_with({3: "none", 17: "n.a."}))
    assert few.frame["x2"].isna().sum() == 2 and few.notices[0].fields["count"] == 2
    many = read_table(_column_with({i: "none" for i in range(0, 30, 5)}))  # a fifth of the column: words
    assert many.frame["x2"].dtype != np.float64 and many.notices == ()


# Lines above the header: Excel's "sep=;"


@pytest.mark.parametrize(("first", "delimiter"), [("sep=;", ";"), ("SEP=,", ","), ('"sep=|"', "|"), ("sep=\t", "\t")])
def test_excel_s_sep_line_names_the_delimiter_and_is_not_a_row(first: str, delimiter: str) -> None:
    rows = [["x", "z", "y"], ["-0,6518", "-0,3437", "0,0401"], ["1,6637", "-1,4843", "5,8117"],
            ["0,6591", "0,9852", "1,3331"]]
    if delimiter == ",":
        rows = [[value.replace(",", ".") for value in row] for row in rows]
    lines = [first, *(delimiter.join(row) for row in rows)]
    table = read_table(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    assert table.delimiter == delimiter and list(table.frame.columns) == ["x", "z", "y"]
    assert table.frame["y"].tolist() == ([0.0401, 5.8117, 1.3331])
    said = table.notices[0]
    assert said.kind == "sep_line" and said.fields == {"delimiter": delimiter}
    assert said == (f"Read the first line, {'sep=' + delimiter!r}, as Excel does: it names the delimiter "
                    f"({delimiter!r}), and is not a row of the table.")


def test_below_a_sep_line_lines_are_counted_from_the_file_s_first() -> None:
    with pytest.raises(DataError) as caught:
        read_table(b"sep=;\nx;y\n1;2\n3;4;5\n")
    assert caught.value.fields["line"] == 4 and caught.value.fields["header_fields"] == 2
    table = read_table(b"sep=;\nx;y\n1;2\n-;4\n3;5\n")
    assert table.notices[-1].fields["cells"] == [{"line": 4, "value": "-"}]


# Lines above the header: a title


def test_title_lines_above_the_header_are_skipped_and_said() -> None:
    raw = b"My sales report 2024\r\nGenerated by Excel\r\n\r\nx,z,y\r\n-0.65,-0.34,0.04\r\n-0.17,#DIV/0!,0.44\r\n" \
          b"1.66,-1.48,5.81\r\n0.66,0.99,1.33\r\n"
    table = read_table(raw)
    assert list(table.frame.columns) == ["x", "z", "y"] and table.frame["x"].tolist() == [-0.65, -0.17, 1.66, 0.66]
    said = table.notices[0]
    assert said == ("Skipped the 3 line(s) above the header, which is on line 4: they hold no delimiter, like a "
                    "title: 'My sales report 2024', 'Generated by Excel'.")
    assert said.fields == {"lines": 3, "header_line": 4, "titles": ["My sales report 2024", "Generated by Excel"]}
    assert table.notices[1].fields["cells"] == [{"line": 6, "value": "#DIV/0!"}]  # lines counted from the file's first


@pytest.mark.parametrize("raw", [
    b"y\n1\n2\n3\n",  # one column: every line holds no delimiter
    b"x\n1,2\n3,4\n",  # a header of one name over rows of two numbers: no header below
    b"\n\nx,y\n1,2\n3,4\n",  # blank lines alone, which pandas skips
])
def test_a_first_line_is_the_header_unless_titles_are_unambiguous(raw: bytes) -> None:
    try:
        table = read_table(raw)
    except DataError as error:
        assert error.problem == "ragged_row"
    else:
        assert all(said.kind != "title_lines" for said in table.notices)


@pytest.mark.parametrize("above", [["Sales 2024", ""], ["", "Sales 2024", "", ""], ["Sales 2024", "Excel", " "],
                                   ["sep=;"]])
def test_a_file_whose_lines_end_in_a_carriage_return_alone_is_read_as_with_line_feeds(above: list[str]) -> None:
    """The old Mac's line end: the header below a title (or Excel's sep= line) and blank lines is the header, the
    numbers and what is said of them as with "\n" (decimal commas, whole numbers with points, a cell not a number,
    whose line is named)."""
    lines = [*above, "x;z;y", "1,5;28.779;3", "2,5;329;4", "#N/A;1.200;5", "3,5;17;6"]
    tables = {end: read_table((end.join(lines) + end).encode()) for end in ("\n", "\r")}
    assert list(tables["\r"].frame.columns) == ["x", "z", "y"] and tables["\r"].frame["z"].tolist() == [
        28779, 329, 1200, 17]
    assert tables["\r"].frame.equals(tables["\n"].frame)
    said = {end: [(notice.kind, notice.fields) for notice in table.notices] for end, table in tables.items()}
    assert said["\r"] == said["\n"]
    assert {kind for kind, _ in said["\r"]} >= {"thousands_points", "missing_cells"}


def test_a_title_with_a_delimiter_is_not_skipped_but_the_message_names_the_header_below_it() -> None:
    with pytest.raises(DataError) as caught:
        read_table(b"Report, 2024\n\nx,z,y\n1,2,3\n4,5,6\n7,8,9\n")
    assert caught.value.problem == "header_below"
    assert str(caught.value) == (
        "Cannot read the file as comma-separated values: line 1, read as the header, has 2 field(s), but line 3 and "
        "the lines below it have 3. If line 3 is the header, delete the lines above it (a title, say), then try again.")
    with pytest.raises(DataError) as caught:  # a long row among rows of the header's width: an extra comma
        read_table(b"x,y\n1,2\n3,4,5\n6,7\n")
    assert caught.value.problem == "ragged_row"


# Whole numbers too long for a float64


def test_long_identifiers_that_differ_are_not_called_the_same_value_in_every_row() -> None:
    raw = "id,x,y\n" + "".join(f"{12345678901234567890 + i},{i * 0.37 % 1:.3f},{i % 5}\n" for i in range(30))
    table = read_table(raw.encode())
    assert column_summary(table.frame).set_index("column").loc["id", "unique"] == 30
    with pytest.raises(DataError) as caught:
        dataset_from_frame(table.frame, "y")
    assert caught.value.problem == "indistinct_numbers" and caught.value.fields["columns"] == ["id"]
    assert str(caught.value) == (
        "The feature column(s) 'id' hold different whole numbers too long for a decimal number (a float64, of 15 to 17 "
        "significant digits) to tell apart: 12345678901234567890 and 12345678901234567919, of 20 digits, are both "
        "1.2345678901234567e+19. Numbers this long are identifiers, not quantities: deselect them.")
    assert dataset_from_frame(table.frame, "y", ["x"]).feature_names == ("x",)
    # The same value in every row is still said so
    with pytest.raises(DataError) as caught:
        dataset_from_frame(frame(id=[2**60] * 4, x=[1.0, 2.0, 4.0, 3.0], y=[1.0, 2.0, 3.0, 5.0]), "y")
    assert caught.value.problem == "constant_features"


def test_a_typographic_minus_sign_is_said_as_what_it_is_not_as_thousands_separators() -> None:
    table = read_table("x1,x2,y\n7040.92,\u22120.8865,12.3405\n2444.33,0.2917,5.0166\n5418.1,0.8825,14.4\n".encode())
    assert table.frame["x2"].tolist() == [-0.8865, 0.2917, 0.8825]
    (said,) = table.notices
    assert said == "Read 'x2' as numbers written with the typographic minus sign '−' (U+2212): '−0.8865' is -0.8865."
    assert said.kind == "minus_sign" and said.fields == {"column": "x2", "example": "\u22120.8865", "value": -0.8865}
    # With thousands separators too, both are said
    both = read_table("a;y\n\u22121.234,5;1\n2,5;2\n".encode()).notices
    assert [notice.kind for notice in both] == ["number_format", "minus_sign"]
    assert both[0].fields == {"column": "a", "thousands": ".", "decimal": ","}

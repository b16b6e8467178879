"""Numbers written as spreadsheets export them: thousands separators and decimal commas.

pandas reads ``1234.5`` as a number and leaves ``"1,234.5"`` (a price from a US spreadsheet, quoted in a
comma-separated file), ``1,5`` (a European spreadsheet's 1.5, in a semicolon-separated file) and
``1 234,5`` (French) as text. A column whose every value is one of these, written one way, is a column of
numbers; :func:`as_numbers` reads it.

Which way is decided for the whole column, as the first of these orders in which every value fits:

- in a comma-separated file: thousands ``,`` with decimal point; thousands space with decimal point;
  decimal comma (with a space or ``.`` for thousands, or none);
- in any other file (semicolon, tab, pipe), as European spreadsheets write: decimal comma first, then the
  decimal point with ``,`` or a space for thousands.

So ``1,234`` is 1234 in a comma-separated file and 1.234 in a semicolon-separated one, and a column that
holds ``1,5`` beside ``1,234`` has decimal commas everywhere. Thousands groups must have three digits,
which keeps ``1,5`` from being read as fifteen. A minus may be written ``−`` (U+2212), spaces as no-break
spaces. A currency sign (€ $ £ ¥) before or after every value, or a percent sign after every value, is left out
(``7.0%`` is 7.0, as written); anything else (a unit, a sign on some values only, words) leaves the column as text.
A value in parentheses is negative, as accounting formats write it: ``(1,234.50)`` and ``($5.00)`` are −1234.5 and
−5 (a spreadsheet's "Accounting" and "Currency" formats export negatives so).

pandas reads ``28.779`` as 28.779, a number, and a European spreadsheet means 28779 by it. In a file whose other
columns write their decimals with a comma, :func:`whole_numbers_with_points` reads such a column again, from its
text: every value an integer, some with ``.`` between groups of three digits. In a file with no decimal comma
``28.779`` stays 28.779, as pandas reads it.

A column of numbers may hold a few cells that are not numbers: a spreadsheet's error values (``#DIV/0!``,
``#N/A``), a dash for "none", a word. :func:`numbers_but_for` finds them, and reads the rest of the column as
:func:`as_numbers` would.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# (thousands separator, decimal separator), "" for none, in the order they are tried
COMMA_FILE_FORMATS = ((",", "."), (" ", "."), ("", ","), (" ", ","), (".", ","))
OTHER_FILE_FORMATS = (("", ","), (" ", ","), (".", ","), (",", "."), (" ", "."))
SPACES = {"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2212": "-"}  # no-break, narrow and thin spaces; minus
# A quick look at a sample before the whole column: characters no such number has
NUMBER_CHARACTERS = re.compile(r"[+-]?[\d., ]+(?:[eE][+-]?\d+)?")
SAMPLE_VALUES = 1000
CURRENCY_SIGNS = "€$£¥￥"  # read as numbers when every value of a column carries the same one (￥: full-width yen)
IN_PARENTHESES = r"^\(([^()+-][^()]*)\)$"  # (5.00), ($5.00), (5,00 €): a negative, with no sign inside
# What Excel writes in a cell whose formula fails, and exports as it shows it
EXCEL_ERRORS = ("#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#NULL!", "#SPILL!", "#CALC!",
                "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!")
# A column of numbers may hold words in place of a few (at most this share of its values): "none", "n.a.", "?"
STRAY_WORDS_SHARE = 0.1


def number_pattern(thousands: str, decimal: str) -> re.Pattern[str]:
    """A regular expression for a whole number written with these separators (either may be absent)."""
    integer = r"\d+" if not thousands else rf"(?:\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+|\d+)"
    return re.compile(rf"[+-]?(?:{integer}(?:{re.escape(decimal)}\d*)?|{re.escape(decimal)}\d+)(?:[eE][+-]?\d+)?")


# An integer with points between its thousands (28.779, 1.234.567; its first group no 0: 0.125 is a decimal), or
# without (329)
WHOLE_WITH_POINTS = re.compile(r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+|[+-]?\d+")


def _plain(values: pd.Series) -> pd.Series:
    """The values as stripped strings, with no-break and thin spaces as spaces and the minus sign as ``-``."""
    if not all(isinstance(value, str) for value in values.iloc[:SAMPLE_VALUES]):
        return pd.Series([""], dtype=object)  # not strings (dates, mixed objects): matches no number
    text = values.astype(str).str.strip()
    for character, replacement in SPACES.items():
        text = text.str.replace(character, replacement, regex=False)
    return text


def _negatives_in_parentheses(text: pd.Series) -> tuple[pd.Series, object]:
    """The values with those written in parentheses as negatives (``(5.00)`` → ``-5.00``), and the index of the first
    of them (None for none). Only the parentheses are read here: whether what they hold is a number is decided with
    the rest of the column's values."""
    if not text.str.startswith("(").any():  # most columns: a hundredth of the time the extraction takes
        return text, None
    inside = text.str.extract(IN_PARENTHESES, expand=False)
    written = inside.notna()
    if not written.any():
        return text, None
    return text.where(~written, "-" + inside.str.strip()), text.index[written.to_numpy()][0]


def _without_sign(text: pd.Series) -> tuple[pd.Series, str]:
    """The values without the currency sign or the trailing percent sign that every one of them carries, before or
    after the number, with or without a space (``$508.34``, ``-$5``, ``638,05 €``, ``7.0%``), and that sign; the
    values as they are, and ``""``, if not every value carries the same one."""
    first = text.iloc[0]
    for sign in (*CURRENCY_SIGNS, "%"):
        if sign not in first:
            continue
        stripped, carries = _sign_left_out(text, sign)
        if not carries.all():
            return text, ""  # a sign on some values, or several: words, or a mix that is not one column of numbers
        return stripped, sign
    return text, ""


def _sign_left_out(text: pd.Series, sign: str) -> tuple[pd.Series, pd.Series]:
    """The values without ``sign``, and which of them carry it once, before or after the number (a percent sign
    after it only)."""
    mark = re.escape(sign)
    before = rf"^([+-]?)\s*{mark}\s*" if sign != "%" else None
    after = rf"\s*{mark}$"
    carries = text.str.contains(after, regex=True)
    if before is not None:
        carries |= text.str.contains(rf"^[+-]?\s*{mark}", regex=True)
    carries &= text.str.count(mark) == 1
    stripped = text.str.replace(after, "", regex=True)
    if before is not None:
        stripped = stripped.str.replace(before, r"\1", regex=True)
    return stripped.str.strip(), carries


def as_numbers(series: pd.Series, delimiter: str) -> tuple[pd.Series, tuple[str, str], str, object] | None:
    """The column read as float64 numbers, its ``(thousands, decimal)`` separators (``""`` for one that no value
    holds, but the decimal separator of a column with no sign and no parentheses whose thousands are written with
    a point or a comma, which says how they are read), the
    currency or percent sign left out of every value (``""`` for none) and the index of the first value written in
    parentheses, read as a negative (None for none); ``None`` if it is text.

    A percent sign is left out and the number kept as written: ``7.0%`` is 7.0, not 0.07.

    Parameters
    ----------
    series : pandas.Series
        A column pandas read as text.
    delimiter : str
        The file's delimiter: it decides which way ``1,234`` is read (see the module's docstring).
    """
    written = _written(series.dropna())
    if written is None:
        return None
    text, sign, in_parentheses = written
    for thousands, decimal in _formats(delimiter, sign):
        if not _fits(text, thousands, decimal).all():
            continue
        # Only the separators the values hold: "$5" and "(5)" say nothing of a decimal comma, nor "−0.5" or "7"
        # (with a minus sign, or a cell that is not a number, pandas read them as text) of a thousands separator or
        # a decimal comma. A column with neither sign nor parentheses whose thousands are written with a point or a
        # comma keeps its decimal separator, the other of the two, which decides how it is read (1.234,5).
        held = tuple(mark if mark and text.str.contains(mark, regex=False).any() else ""
                     for mark in (thousands, decimal))
        if not sign and in_parentheses is None and held[0] in (".", ","):
            held = (held[0], decimal)
        return _numbers(series, text, thousands, decimal), held, sign, in_parentheses
    return None


def numbers_but_for(series: pd.Series, delimiter: str) -> tuple[
        tuple[pd.Series, tuple[str, str], str, object], pd.Series] | None:
    """A column pandas read as text for a few cells that are not numbers: what :func:`as_numbers` makes of the
    column with those cells missing (NaN), and the cells, as written (by index); ``None`` if it is not so.

    A cell is not a number if it is one of Excel's error values (:data:`EXCEL_ERRORS`) or holds no digit (``-``,
    ``?``, ``none``, a space). The column is one of numbers but for them when every other value is a number (at
    least two of them), written one way, and they are Excel's error values or marks without a letter, however many,
    or hold words but are at most :data:`STRAY_WORDS_SHARE` of the values: a column of words and a few numbers is
    text.
    """
    present = series.dropna()
    if len(present) == 0 or not all(isinstance(value, str) for value in present.iloc[:SAMPLE_VALUES]):
        return None
    # A look at the first values first: a column of words ends here, before any copy of the whole column (a million
    # strings stripped is a hundred megabytes more to read a file)
    if _not_numbers(present.iloc[:SAMPLE_VALUES].str.strip()).mean() > 0.5:
        return None
    text = present.astype(str).str.strip()
    stray = _not_numbers(text)
    if not but_for_a_few(len(text), int(stray.sum()), int(_words(text, stray).sum())):
        return None
    stray_index = present.index[stray.to_numpy()]
    read = as_numbers(series.drop(stray_index).reindex(series.index), delimiter)
    if read is None:
        return None
    return read, present[stray_index]


def but_for_a_few(values: int, strays: int, words: int) -> bool:
    """Whether a column of ``values`` present values, ``strays`` of them not numbers (``words`` of those holding
    words), is one of numbers but for them, as :func:`numbers_but_for` decides once its first values are mostly
    numbers. Data read in parts (files on a cluster) decide it so from the counts of every part."""
    return strays > 0 and values - strays >= 2 and words <= STRAY_WORDS_SHARE * values


def _not_numbers(text: pd.Series) -> pd.Series:
    """Which of the (stripped) values are not numbers: Excel's error values, and those without a digit."""
    return text.isin(EXCEL_ERRORS) | ~text.str.contains(r"\d", regex=True)


def _words(text: pd.Series, stray: pd.Series) -> pd.Series:
    """Which of the (stripped) values that are not numbers (``stray``) hold words: a letter, not Excel's error."""
    return stray & ~text.isin(EXCEL_ERRORS) & text.str.contains(r"[^\W\d_]", regex=True)


def ways_of_writing(series: pd.Series, delimiter: str) -> tuple[tuple[tuple[str, str], ...], str, object] | None:
    """Every way the column's values are all written in: the ``(thousands, decimal)`` separators they all fit, in
    the order :func:`as_numbers` tries them (its choice is the first), the sign every value carries (``""`` for
    none) and the index of the first value in parentheses (None for none); ``None`` if it is text.

    For data read in parts (files on a cluster): the way the whole column is written is the first that every part
    fits, which no part alone can tell.
    """
    written = _written(series.dropna())
    if written is None:
        return None
    text, sign, in_parentheses = written
    fitting = tuple((thousands, decimal) for thousands, decimal in _formats(delimiter, sign)
                    if _fits(text, thousands, decimal).all())
    return (fitting, sign, in_parentheses) if fitting else None


def read_written(series: pd.Series, thousands: str, decimal: str, sign: str) -> tuple[pd.Series, object]:
    """The column read as float64 numbers written with these separators and this sign (``""`` for none), in
    parentheses for a negative or not, NaN where missing; and the index of the first value not so written (None
    if every value is), which is NaN too.

    The way is decided beforehand (:func:`ways_of_writing`): a part of a column is read as the whole is written.
    """
    present = series.dropna()
    text = _negatives_in_parentheses(_plain(present.astype(str)))[0]
    fits = pd.Series(True, index=text.index)
    if sign:
        text, fits = _sign_left_out(text, sign)
    fits &= _fits(text, thousands, decimal)
    read = pd.Series(np.nan, index=series.index, name=series.name)
    if fits.any():
        read[text.index[fits.to_numpy()]] = _numbers(text[fits], text[fits], thousands, decimal).to_numpy()
    return read, None if fits.all() else text.index[~fits.to_numpy()][0]


def _written(present: pd.Series) -> tuple[pd.Series, str, object] | None:
    """The values (none missing) as text to read as numbers: without the sign every one carries and with those in
    parentheses as negatives; the sign and the index of the first in parentheses. ``None`` if they are text."""
    if len(present) == 0:
        return None
    # A look at the first values first: most text columns end here, before any work on the whole column.
    sample, sign = _without_sign(_negatives_in_parentheses(_plain(present.iloc[:SAMPLE_VALUES]))[0])
    if not sample.str.fullmatch(NUMBER_CHARACTERS).all():
        return None
    text, in_parentheses = _negatives_in_parentheses(_plain(present))
    text, whole_sign = _without_sign(text)
    return (text, sign, in_parentheses) if whole_sign == sign else None


def _formats(delimiter: str, sign: str) -> tuple[tuple[str, str], ...]:
    """The ``(thousands, decimal)`` separators to try, in order, in a file with this delimiter."""
    formats = COMMA_FILE_FORMATS if delimiter == "," else OTHER_FILE_FORMATS
    return (*formats, ("", ".")) if sign else formats  # with a sign, numbers pandas would have read: 508.34


def _fits(text: pd.Series, thousands: str, decimal: str) -> pd.Series:
    return text.str.fullmatch(number_pattern(thousands, decimal))


def _numbers(series: pd.Series, text: pd.Series, thousands: str, decimal: str) -> pd.Series:
    """``series`` as float64, read from ``text`` (its present values, each written with these separators)."""
    plain = text.str.replace(thousands, "", regex=False) if thousands else text
    if decimal != ".":
        plain = plain.str.replace(decimal, ".", regex=False)
    # astype(float) parses with Python's float(): correctly rounded, so "1,234.5" is exactly 1234.5.
    values = np.full(len(series), np.nan)
    values[series.notna().to_numpy()] = plain.astype(np.float64).to_numpy()
    return pd.Series(values, index=series.index, name=series.name)


def whole_numbers_with_points(written: pd.Series) -> pd.Series | None:
    """A column pandas read as decimals, from its ``written`` text, as whole numbers with ``.`` between thousands
    (``28.779`` → 28779.0); ``None`` unless every value is an integer so written and one has a point.

    Only for a file whose decimals are written with a comma: there a point cannot be a decimal point.
    """
    present = written.dropna()
    values, wrong = read_whole_with_points(written)
    if len(present) == 0 or wrong is not None or not present.str.contains(".", regex=False).any():
        return None
    return values


def read_whole_with_points(written: pd.Series) -> tuple[pd.Series, object]:
    """The column read from its ``written`` text as whole numbers, with or without ``.`` between thousands
    (``28.779`` → 28779.0, ``329``), NaN where missing; and the index of the first value not so written (None if
    every value is), which is NaN too. For a way decided beforehand (:func:`whole_numbers_with_points`)."""
    present = _plain(written.dropna().astype(str))
    fits = present.str.fullmatch(WHOLE_WITH_POINTS)
    read = pd.Series(np.nan, index=written.index, name=written.name)
    if fits.any():
        read[present.index[fits.to_numpy()]] = present[fits].str.replace(".", "", regex=False).astype(
            np.float64).to_numpy()
    return read, None if fits.all() else present.index[~fits.to_numpy()][0]

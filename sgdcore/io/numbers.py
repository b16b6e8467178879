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
        mark = re.escape(sign)
        before = rf"^([+-]?)\s*{mark}\s*" if sign != "%" else None
        after = rf"\s*{mark}$"
        where = text.str.contains(after, regex=True)
        if before is not None:
            where |= text.str.contains(rf"^[+-]?\s*{mark}", regex=True)
        if not where.all() or not (text.str.count(mark) == 1).all():
            return text, ""  # a sign on some values, or several: words, or a mix that is not one column of numbers
        stripped = text.str.replace(after, "", regex=True)
        if before is not None:
            stripped = stripped.str.replace(before, r"\1", regex=True)
        return stripped.str.strip(), sign
    return text, ""


def as_numbers(series: pd.Series, delimiter: str) -> tuple[pd.Series, tuple[str, str], str, object] | None:
    """The column read as float64 numbers, its ``(thousands, decimal)`` separators (``""`` for one that no value
    holds), the currency or percent sign left out of every value (``""`` for none) and the index of the first value
    written in parentheses, read as a negative (None for none); ``None`` if it is text.

    A percent sign is left out and the number kept as written: ``7.0%`` is 7.0, not 0.07.

    Parameters
    ----------
    series : pandas.Series
        A column pandas read as text.
    delimiter : str
        The file's delimiter: it decides which way ``1,234`` is read (see the module's docstring).
    """
    present = series.dropna()
    if len(present) == 0:
        return None
    # A look at the first values first: most text columns end here, before any work on the whole column.
    sample, sign = _without_sign(_negatives_in_parentheses(_plain(present.iloc[:SAMPLE_VALUES]))[0])
    if not sample.str.fullmatch(NUMBER_CHARACTERS).all():
        return None
    text, in_parentheses = _negatives_in_parentheses(_plain(present))
    text, whole_sign = _without_sign(text)
    if whole_sign != sign:
        return None
    formats = COMMA_FILE_FORMATS if delimiter == "," else OTHER_FILE_FORMATS
    if sign:  # numbers pandas would have read, but for their sign: 508.34
        formats = (*formats, ("", "."))
    for thousands, decimal in formats:
        if not text.str.fullmatch(number_pattern(thousands, decimal)).all():
            continue
        plain = text.str.replace(thousands, "", regex=False) if thousands else text
        if decimal != ".":
            plain = plain.str.replace(decimal, ".", regex=False)
        # astype(float) parses with Python's float(): correctly rounded, so "1,234.5" is exactly 1234.5.
        values = np.full(len(series), np.nan)
        values[series.notna().to_numpy()] = plain.astype(np.float64).to_numpy()
        # With a sign or parentheses, only the separators the values hold: "$5" and "(5)" say nothing of a decimal
        # comma (without either, pandas read the column as text for its separators)
        held = tuple(mark if mark and text.str.contains(mark, regex=False).any() else ""
                     for mark in (thousands, decimal)) if sign or in_parentheses is not None else (thousands, decimal)
        return pd.Series(values, index=series.index, name=series.name), held, sign, in_parentheses
    return None


def whole_numbers_with_points(written: pd.Series) -> pd.Series | None:
    """A column pandas read as decimals, from its ``written`` text, as whole numbers with ``.`` between thousands
    (``28.779`` → 28779.0); ``None`` unless every value is an integer so written and one has a point.

    Only for a file whose decimals are written with a comma: there a point cannot be a decimal point.
    """
    present = _plain(written.dropna())
    if len(present) == 0 or not present.str.fullmatch(WHOLE_WITH_POINTS).all() or not present.str.contains(
            ".", regex=False).any():
        return None
    values = np.full(len(written), np.nan)
    values[written.notna().to_numpy()] = present.str.replace(".", "", regex=False).astype(np.float64).to_numpy()
    return pd.Series(values, index=written.index, name=written.name)

"""Tabular data: read a CSV or a workbook's sheet (a path, the bytes of an upload or a file object) and turn columns
into a Dataset.

Not part of the lesson: the engine takes a :class:`~sgdcore.data.Dataset`, and this package makes one from
a user's file. Two steps, so a user interface can show the table before the user chooses what to predict:

1. :func:`read_table` (``reading``) detects the encoding and the delimiter and parses the file into a
   DataFrame, or reads a sheet of a workbook (``workbooks``); :func:`column_summary` (``columns``) describes its
   columns.
2. :func:`dataset_from_frame` (``cleaning``) picks the target and the features, deals with text columns,
   missing and infinite values as asked, and checks that least squares has a unique answer on what is left.

For predictions on new rows, :func:`input_columns`, :func:`input_rows`, :func:`read_rows` and :func:`encode_rows`
(``encoding``) check them and encode them as the dataset's features were.

:func:`load_csv` does both at once. Every problem is a :class:`~sgdcore.errors.DataError` whose message
names the column, the count and what to do about it; its ``problem`` and ``fields`` say the same as data, for a
user interface to word in its own terms. What the steps did (rows dropped, a column encoded) is in the notices of
the Table and the Dataset, :class:`~sgdcore.data.Notice` strings whose ``kind`` and ``fields`` say the same as data
(``notices``).
"""

from sgdcore.io.cleaning import INFINITE_CHOICES, MISSING_CHOICES, NON_NUMERIC_CHOICES, dataset_from_frame, load_csv
from sgdcore.io.columns import column_summary
from sgdcore.io.encoding import (
    InputColumn,
    RowsRead,
    encode_rows,
    encoding_notices,
    input_columns,
    input_rows,
    read_rows,
)
from sgdcore.io.reading import DELIMITER_NAMES, Table, read_table

__all__ = [
    "DELIMITER_NAMES",
    "INFINITE_CHOICES",
    "MISSING_CHOICES",
    "NON_NUMERIC_CHOICES",
    "InputColumn",
    "RowsRead",
    "Table",
    "column_summary",
    "dataset_from_frame",
    "encode_rows",
    "encoding_notices",
    "input_columns",
    "input_rows",
    "load_csv",
    "read_rows",
    "read_table",
]

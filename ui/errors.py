"""sgdcore's errors as the page says them, in the page's language.

sgdcore is an English library: its messages are for a programmer. Each of its errors also carries what went
wrong as data, a ``problem`` name and the fields of the message, and the page words that from its catalogue
(``errors.<problem>`` for a setting, ui.messages for the data). An error with no wording of its own (none
should reach a page) is shown as sgdcore wrote it.
"""

from __future__ import annotations

from sgdcore.errors import DataError, SGDCoreError
from ui import messages
from ui.i18n import catalogue, language, t


def error_text(error: Exception | str) -> str:
    """What the page says for ``error``: a text already worded by the page, or sgdcore's error in its words."""
    if isinstance(error, DataError):
        return messages.data_error(error)
    problem = getattr(error, "problem", "")
    if isinstance(error, SGDCoreError) and problem and f"errors.{problem}" in catalogue(language()):
        return t(f"errors.{problem}", **error.fields)
    return str(error)

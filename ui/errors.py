"""sgdcore's errors as the page says them, in the page's language.

sgdcore is an English library: its messages are for a programmer. Each of its errors also carries what went
wrong as data, a ``problem`` name and the fields of the message, and the page words that from its catalogue,
never from the English: ``errors.<problem>`` for a setting and for the data problems that sgdcore's own checks
find (a split that leaves no test row, a loss that is not finite, a large-data source's files), ui.messages
for the problems of a table on the Data page. An error with no wording of its own (none should reach a page)
is shown as sgdcore wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sgdcore.errors import DataError, Place, SGDCoreError
from ui import messages
from ui.i18n import catalogue, language, text_in

LONGEST_FIELD = 200  # characters of a field a message repeats (a reason, an address): a page is not a log
QUOTED = ("value", "example", "target", "column", "path")  # what the user typed or named, quoted as sgdcore does


def error_text(error: Exception | str) -> str:
    """What the page says for ``error``: a text already worded by the page, or sgdcore's error in its words."""
    return error_text_in(language(), error)


def file_error_text(file_name: str, error: Exception) -> str:
    """``"name.csv: what is wrong"``: a file's error, worded as :func:`error_text` words it."""
    return text_in(language(), "messages.file_error", file=messages.short(file_name), error=error_text(error))


def error_text_in(lang: str, error: Exception | str) -> str:
    """:func:`error_text` in the language ``lang`` (for tests, and for what is not drawn in the session's)."""
    problem = getattr(error, "problem", "")
    if isinstance(error, SGDCoreError) and problem and f"errors.{problem}" in catalogue(lang):
        return text_in(lang, f"errors.{problem}", **shown_fields(lang, error.fields))
    if isinstance(error, DataError):
        return messages.data_error(error)
    return str(error)


def parameter_label(lang: str, parameter: str) -> str:
    """An sgdcore parameter by what the page calls it (``"learning_rate"`` → ``"learning rate η"``, ``"学习率"``);
    a parameter the catalogue does not name is shown by its own name."""
    return catalogue(lang).get(f"errors.parameter.{parameter}", parameter)


def shown_fields(lang: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """An error's fields as a text shows them: parameters by their names on the page, what the user typed or
    named quoted as sgdcore quotes it (``'linear'``), places in files, lists as lists, counts by column, long
    texts cut.
    Numbers stay numbers, for the format specifications of the templates."""
    separator = text_in(lang, "errors.separator")
    shown = dict(fields)
    for name, value in fields.items():
        if name == "parameter":
            shown[name] = parameter_label(lang, value)
        elif name == "parameters":
            shown[name] = separator.join(parameter_label(lang, parameter) for parameter in value)
        elif isinstance(value, Place):
            shown[name] = text_in(lang, f"errors.place.{value.unit}", file=value.file, number=value.number)
        elif name == "encoding" and value in messages.SHORT_ENCODING_KEYS:
            shown[name] = messages.encoding_name(value, lang, short=True)
        elif name in QUOTED and isinstance(value, str):
            shown[name] = messages.echo(value, lang=lang)
        elif name == "allowed":
            shown[name] = separator.join(map(str, value))
        elif name != "value" and isinstance(value, (list, tuple)):
            shown[name] = separator.join(messages.echo(str(item), lang=lang) for item in value[:messages.LISTED]) + (
                f"{separator}…" if len(value) > messages.LISTED else "")
        elif isinstance(value, Mapping):
            shown[name] = separator.join(f"{messages.echo(str(key), lang=lang)} ({count:,})"
                                         for key, count in value.items())
        if isinstance(shown[name], str) and len(shown[name]) > LONGEST_FIELD:
            shown[name] = messages.short(shown[name], LONGEST_FIELD, lang=lang)
    return shown

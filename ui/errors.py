"""sgdcore's errors as the page says them, in the page's language.

sgdcore is an English library: its messages are for a programmer. Each of its errors also carries what went
wrong as data, a ``problem`` name and the fields of the message, and the page words that from its catalogue
(``errors.<problem>`` for a setting, ui.messages for the data), never from the English. An error with no
wording of its own (none should reach a page) is shown as sgdcore wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sgdcore.errors import DataError, SGDCoreError, echo
from ui import messages
from ui.i18n import catalogue, language, text_in

LONGEST_FIELD = 200  # characters of a field a message repeats (a reason, an address): a page is not a log


def error_text(error: Exception | str) -> str:
    """What the page says for ``error``: a text already worded by the page, or sgdcore's error in its words."""
    return error_text_in(language(), error)


def error_text_in(lang: str, error: Exception | str) -> str:
    """:func:`error_text` in the language ``lang`` (for tests, and for what is not drawn in the session's)."""
    if isinstance(error, DataError):
        return messages.data_error(error)
    problem = getattr(error, "problem", "")
    if isinstance(error, SGDCoreError) and problem and f"errors.{problem}" in catalogue(lang):
        return text_in(lang, f"errors.{problem}", **shown_fields(lang, error.fields))
    return str(error)


def parameter_label(lang: str, parameter: str) -> str:
    """An sgdcore parameter by what the page calls it (``"learning_rate"`` → ``"learning rate η"``, ``"学习率"``);
    a parameter the catalogue does not name is shown by its own name."""
    return catalogue(lang).get(f"errors.parameter.{parameter}", parameter)


def shown_fields(lang: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """An error's fields as a text shows them: parameters by their names on the page, the values a user typed
    as sgdcore echoes them (``'linear'``), a list of choices as a list, long texts cut. Numbers stay numbers,
    for the format specifications of the templates."""
    shown = dict(fields)
    if "parameter" in shown:
        shown["parameter"] = parameter_label(lang, shown["parameter"])
    if "parameters" in shown:
        shown["parameters"] = text_in(lang, "errors.separator").join(
            parameter_label(lang, name) for name in shown["parameters"])
    if "allowed" in shown:
        shown["allowed"] = ", ".join(map(str, shown["allowed"]))
    if isinstance(shown.get("value"), str):
        shown["value"] = echo(shown["value"])
    for name, value in shown.items():
        if isinstance(value, str) and len(value) > LONGEST_FIELD:
            shown[name] = messages.short(value, LONGEST_FIELD)
    return shown

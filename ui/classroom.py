"""Classroom links: a teacher's link that shows only the controls of the lesson and fixes the others.

A link with ``show=learning_rate,batch_size`` (any settings' names, ui.settings.CONTROLS) draws only those
controls; every other setting keeps the link's value (or its default) and the page says which are fixed, as
TensorFlow Playground's hide-controls links do. The list is a setting like the others: the link a student
copies keeps it, with the student's own values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ui.settings import CONTROLS, SHOWN_KEY, value


def shown_controls(state: Mapping[str, Any]) -> tuple[str, ...]:
    """The controls a page draws: the link's list, or every control when the link has none."""
    listed = value(state, SHOWN_KEY)
    return tuple(name for name in listed.split(",") if name) if listed else CONTROLS


def shown(state: Mapping[str, Any], key: str) -> bool:
    """Whether the control of the setting ``key`` is drawn."""
    return key in shown_controls(state)


def is_classroom(state: Mapping[str, Any]) -> bool:
    """Whether a classroom link fixes some settings."""
    return bool(value(state, SHOWN_KEY))

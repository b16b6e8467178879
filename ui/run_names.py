"""The comparison pages' runs under their names in the page's language.

A comparison page keeps its runs (:func:`ui.widgets.train_comparison`) under labels that do not depend on
the language, the English names: switching language then keeps the runs, and the link between a run and its
settings, instead of calling them out of date. What the reader sees, the charts' legends and the tables' rows,
names each run in the page's language: :func:`named` swaps the names in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The parts of a comparison entry (ui.widgets.comparison_entry) that are keyed by a run's label
LABELLED_PARTS = ("runs", "configs", "repeats", "seeds")


def named(entry: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """``entry`` with each run's label replaced by its name in ``names``, for the charts (a label that ``names``
    lacks stays as it is). The entry kept in ``st.session_state`` is left unchanged."""
    renamed = {part: {names.get(label, label): item for label, item in entry[part].items()}
               for part in LABELLED_PARTS if part in entry}
    return {**entry, **renamed}

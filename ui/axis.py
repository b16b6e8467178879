"""The charts' horizontal axis: steps, epochs, examples seen or wall time, one setting for every page.

D2L compares gradient descent, SGD and minibatch SGD per second of work and per example seen: a small batch
takes more steps per epoch, so per step it looks slow and per example it may be the fastest.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.settings import BY_KEY, CHART_AXIS_LABELS, value

HELP = ("What the charts of a run run along. Examples seen: training rows used so far (an epoch's short last "
        "batch counts its rows). Wall time: measured at the end of each epoch, interpolated between.")


def choose_axis(where: Any = None) -> str:
    """The horizontal-axis picker (in ``where``, by default the page), and the axis chosen."""
    (where or st).radio("Horizontal axis", BY_KEY["chart_axis"].choices, key="chart_axis", horizontal=True,
                        format_func=dict(CHART_AXIS_LABELS).__getitem__, help=HELP)
    return value(st.session_state, "chart_axis")

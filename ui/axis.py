"""The charts' horizontal axis: steps, epochs, examples seen or wall time, one setting for every page.

D2L compares gradient descent, SGD and minibatch SGD per second of work and per example seen: a small batch
takes more steps per epoch, so per step it looks slow and per example it may be the fastest.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.classroom import shown
from ui.i18n import labels, t
from ui.settings import BY_KEY, option_names, value


def choose_axis(where: Any = None) -> str:
    """The horizontal-axis picker (in ``where``, by default the page), and the axis chosen; a classroom link that
    fixes the axis (ui.classroom) gets no picker."""
    if not shown(st.session_state, "chart_axis"):
        return value(st.session_state, "chart_axis")
    options = labels("settings.chart_axis")
    (where or st).radio(t("charts.axis_picker"), BY_KEY["chart_axis"].choices, key="chart_axis", horizontal=True,
                        format_func=option_names(options), help=t("charts.axis_help"))
    return value(st.session_state, "chart_axis")

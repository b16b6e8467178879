"""A place on the page for one chart, redrawn in place."""

from __future__ import annotations

import functools
from typing import Any

from streamlit.delta_generator import DeltaGenerator


class ChartSlot:
    """Where one element goes; each draw replaces the last, as in ``st.empty()``.

    Unlike ``st.empty()``, creating the slot sends nothing to the browser. ``st.empty()`` blanks the
    chart drawn by the previous script run as soon as the rerun reaches it, so the browser has to build
    the next chart from scratch (compile its Vega-Lite spec, parse it into a Vega view). Here the
    previous chart stays until it is replaced, and a chart of the same spec with new data is redrawn in
    the view the browser already has.
    """

    def __init__(self, parent: DeltaGenerator) -> None:
        self._container = parent.container()
        self._element: DeltaGenerator | None = None

    def _target(self) -> DeltaGenerator:
        return self._container if self._element is None else self._element

    def altair_chart(self, chart: Any, **kwargs: Any) -> None:
        # Streamlit turns the chart into its spec with ``chart.to_dict()``, which checks it against the whole
        # Vega-Lite schema: about half of a Train page run's time, for charts whose every kind the tests of
        # ui.charts check that way already. Here they are sent unchecked.
        object.__setattr__(chart, "to_dict", functools.partial(type(chart).to_dict, chart, validate=False))
        self._element = self._target().altair_chart(chart, **kwargs)

    def info(self, text: str) -> None:
        self._element = self._target().info(text)

"""Charts sent to the page (:func:`send_chart`), and a place of their own where each is redrawn in place."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
from streamlit.delta_generator import DeltaGenerator

from ui.i18n import t

# What Streamlit does for every Altair chart it converts: Altair's default theme sizes views at 300 × 300 pixels,
# where Streamlit sizes them to the page. This module converts the charts it sends, so it does the same, once.
alt.theme.enable("none")
# Nor does it check each part of a chart against Vega-Lite's schema as the part is made (Altair's debug mode, on
# by default, for its tracebacks): a chart's spec goes out unchecked (chart_spec), and the tests of ui.charts check
# every kind of chart whole. The checks took a tenth of the server's CPU for a Train click.
alt.utils.schemapi.disable_debug_mode()


def chart_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """``chart``'s Vega-Lite spec, its data under names that depend on the chart's shape, not on the data.

    Altair (and Streamlit after it) names each table by a hash of its content, and the names are in the spec:
    every redraw with new data is a new spec, which the browser compiles and embeds from scratch. Named by their
    place in the chart instead, a chart whose shape has not changed (a run's charts after each click, or as it
    trains) is the same spec with new tables, which the browser puts into the view it already has. The spec is
    not checked against Vega-Lite's schema (Altair's check is about half of a Train page run's time): the tests
    of ui.charts check every kind of chart that way. ``chart`` keeps the names in place of its tables: a chart
    is built to be sent once.
    """
    tables: dict[int, str] = {}
    datasets: dict[str, pd.DataFrame] = {}
    for view in [chart, *getattr(chart, "layer", [])]:
        data = view.data
        if isinstance(data, pd.DataFrame):
            name = tables.setdefault(id(data), f"table_{len(tables)}")
            datasets[name] = data
            view.data = alt.NamedData(name)
    spec = chart.to_dict(validate=False)
    spec["datasets"] = datasets
    # Each chart's height is its plot's, as in Altair, and the chart fits the page's width. Streamlit's own choice
    # for a chart at the page's width, "fit", fits the height too: the title, the axes and the legends came out of
    # the height, which left the Train page's loss plot 74 pixels high and cut its title off.
    spec.setdefault("autosize", {"type": "fit-x", "contains": "padding"})
    # Drawn on a canvas. Streamlit has Vega draw a chart of up to 2,000 points in SVG: an element, and its ARIA
    # attributes, for every point. The Train page's five charts are some 2,000 such elements, each updated on every
    # redraw: about a fifth of a Train click's time went to them (benchmarks/bench_first_page.py). On a canvas, Vega
    # still names the chart for a screen reader (its container's label is the spec's description), which no longer
    # reads out each point; the page's tables and verdicts give the results in words.
    spec["usermeta"] = {"embedOptions": {"renderer": "canvas"}}
    if "description" not in spec and (title := spec.get("title")):
        title = title if isinstance(title, dict) else {"text": title}
        text, subtitle = (" ".join(map(str, part)) if isinstance(part, list) else part  # a line or a list of lines
                          for part in (title.get("text"), title.get("subtitle")))
        spec["description"] = t("charts.chart_description", title=text, subtitle=subtitle) if subtitle else text
    return spec


def send_chart(where: DeltaGenerator, chart: alt.TopLevelMixin, **kwargs: Any) -> DeltaGenerator:
    """``where.altair_chart(chart, **kwargs)``, sent as :func:`chart_spec` makes it."""
    return where.vega_lite_chart(chart_spec(chart), **kwargs)


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
        self._element = send_chart(self._target(), chart, **kwargs)

    def info(self, text: str) -> None:
        self._element = self._target().info(text)

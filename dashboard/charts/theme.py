"""Shared look of all figures: colour-blind-safe palette and number separators per language."""

from __future__ import annotations

from datetime import date
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

# Okabe-Ito, the same palette as .streamlit/config.toml.
BLUE, ORANGE, GREEN, PINK, SKY, VERMILION, YELLOW, BLACK = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
GREY = "#8C8C8C"
# d3 separators: decimal mark, then thousands separator.
SEPARATORS = {"de": ",.", "en": ".,"}
# Plotly's "plotly_white" cut to what cartesian bar, funnel and scatter charts use: naming the full template makes
# Plotly copy and validate its defaults for every trace type and subplot kind (~35 ms a figure on two cores, the
# largest part of a page's own time on the large instance) and sends them along (~6 KB a figure). This slim copy
# renders these charts the same, is built once, and costs ~3 ms and ~2 KB a figure. A chart of another trace type
# (heatmap, choropleth, polar …) gets plotly_white's layout but not its trace defaults: add them here.
_WHITE = pio.templates["plotly_white"]
TEMPLATE = go.layout.Template(
    layout={
        name: value
        for name, value in _WHITE.layout.to_plotly_json().items()
        if name not in {"polar", "ternary", "scene", "geo"}
    },
    data={"bar": _WHITE.data.bar, "scatter": _WHITE.data.scatter},
)


_TEMPLATE_JSON = TEMPLATE.to_plotly_json()


def layout(language: str, *, height: int = 360, **settings: Any) -> dict[str, Any]:
    """Every chart's layout as a plain dict (``settings`` added or replacing), for a figure built in one go.

    ``go.Figure({"data": [...], "layout": layout(...)}, _validate=False)`` skips what makes a figure slow to build
    (~25 ms for the absorption chart on two cores, against ~2 ms): Plotly validating and copying its whole layout
    on every add_trace, add_vline, add_annotation and update_layout. The spec is the same; the chart tests build
    each such figure once with validation.
    """
    return {
        "separators": SEPARATORS.get(language, ",."),
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        "hovermode": "x unified",
        "template": _TEMPLATE_JSON,
    } | settings


def spec_figure(data: list[dict[str, Any]], layout: dict[str, Any]) -> go.Figure:
    """A figure from its finished spec (traces as dicts, ``layout(...)``), without Plotly's validation and copying
    per step. Every chart test validates such a figure once: ``go.Figure(figure.to_dict())``."""
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def day_marker(day: date, text: str, colour: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A dotted vertical line over the plot at ``day`` and its label at the top (what add_vline and add_annotation
    would add)."""
    line = {
        "type": "line",
        "x0": day,
        "x1": day,
        "xref": "x",
        "y0": 0,
        "y1": 1,
        "yref": "y domain",
        "line": {"color": colour, "dash": "dot", "width": 1},
    }
    label = {"x": day, "y": 1, "yref": "paper", "text": text, "showarrow": False, "xanchor": "left", "yanchor": "top"}
    return line, label


def period_band(start: date, end: date) -> dict[str, Any]:
    """The funding period as a faint green band behind the plot (what add_vrect would add)."""
    return {
        "type": "rect",
        "x0": start,
        "x1": end,
        "xref": "x",
        "y0": 0,
        "y1": 1,
        "yref": "y domain",
        "fillcolor": GREEN,
        "opacity": 0.06,
        "line": {"width": 0},
    }

"""Shared look of all figures: colour-blind-safe palette and number separators per language."""

from __future__ import annotations

import plotly.graph_objects as go

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


def styled(figure: go.Figure, language: str, *, height: int = 360) -> go.Figure:
    figure.update_layout(
        separators=SEPARATORS.get(language, ",."),
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        hovermode="x unified",
        template="plotly_white",
    )
    return figure

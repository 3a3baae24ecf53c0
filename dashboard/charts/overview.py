"""Figures of the Cockpit overview: cumulative money flows, projects by status, partners by type.

Each figure is built in one go from its finished spec (``theme.layout`` and ``theme.spec_figure``), as in
charts/funds.py: no Plotly validation per step. tests/unit/test_overview_project_charts.py validates them once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.theme import BLACK, BLUE, GREY, ORANGE, day_marker, layout, period_band, spec_figure
from dashboard.i18n import label, t


def cumulative_flows_figure(
    flows: pl.DataFrame, period_start: date, period_end: date, as_of: date, language: str, *, budget: bool = True
) -> go.Figure:
    """Cumulative commitments and disbursements (against the cumulative planned budget), in euro."""
    euro = "%{y:,.2f} €" if language == "de" else "€%{y:,.2f}"
    months: list[date] = flows["month"].to_list()
    series = [
        ("budget_cents", "overview.chart.budget", BLACK, "dash"),
        ("committed_cents", "overview.chart.committed", BLUE, "solid"),
        ("disbursed_cents", "overview.chart.disbursed", ORANGE, "solid"),
    ]
    data = [
        {
            "type": "scatter",
            "x": months,
            "y": (flows[column] / 100).to_list(),
            "name": t(key, language),
            "mode": "lines",
            "line": {"color": colour, "shape": "hv", "dash": dash, "width": 2.5 if dash == "solid" else 1.5},
            "hovertemplate": euro,
        }
        for column, key, colour, dash in series[0 if budget else 1 :]
    ]
    period = period_band(period_start, period_end)
    shapes: list[dict[str, Any]] = [period]
    marks: dict[str, Any] = {}
    if months and months[0] <= as_of <= months[-1]:
        # Marked only inside the chart's range, so a late Stichtag does not stretch the time axis.
        line, note = day_marker(as_of, t("overview.chart.as_of", language), GREY)
        shapes.append(line)
        marks["annotations"] = [note]
    # Plotly's month names are English; German axes use numeric months instead.
    month_format = "%b %Y" if language == "en" else "%m.%Y"
    return spec_figure(
        data,
        layout(
            language,
            shapes=shapes,
            **marks,
            yaxis={
                "title": {"text": t("overview.chart.y_title", language)},
                "rangemode": "tozero",
                "tickformat": ",.0f",
            },
            xaxis={"title": {}, "tickformat": month_format, "hoverformat": month_format},
        ),
    )


def horizontal_count_figure(
    frame: pl.DataFrame, kind: str, count_column: str, language: str, colour: str = BLUE
) -> go.Figure:
    """A compact horizontal bar chart of counts per vocabulary code (status, member type)."""
    labels = [label(kind, code, language) for code in frame[kind].to_list()]
    counts = frame[count_column].to_list()
    bar = {
        "type": "bar",
        "x": counts,
        "y": labels,
        "orientation": "h",
        "marker": {"color": colour},
        # As Plotly's validation wrote them: plain digits, no thousands separator.
        "text": [str(count) for count in counts],
        "textposition": "outside",
        "hovertemplate": "%{y}: %{x}<extra></extra>",
    }
    return spec_figure(
        [bar],
        layout(
            language,
            height=max(160, 28 * frame.height + 40),
            margin={"l": 10, "r": 30, "t": 10, "b": 10},
            hovermode="closest",
            yaxis={"autorange": "reversed"},
            xaxis={"visible": False},
        ),
    )

"""Figures of the project page: Handlungsfeld × status (stacked, clickable) and a project timeline.

Each figure is built in one go from its finished spec (``theme.layout`` and ``theme.spec_figure``), as in
charts/funds.py: no Plotly validation per step. tests/unit/test_overview_project_charts.py validates them once.
"""

from __future__ import annotations

import html

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.theme import layout, spec_figure
from dashboard.i18n import label, t

# One colour per status, in life-cycle order (Okabe-Ito plus greys for the exits).
STATUS_COLOURS = {
    "idee": "#CCCCCC",
    "beantragt": "#56B4E9",
    "bewertet": "#CC79A7",
    "bewilligt": "#E69F00",
    "laufend": "#0072B2",
    "abgeschlossen": "#009E73",
    "abgelehnt": "#D55E00",
    "zurueckgezogen": "#8C8C8C",
    "abgebrochen": "#000000",
}


def topic_status_figure(matrix: pl.DataFrame, measure: str, language: str) -> go.Figure:
    """Stacked bars: x = Handlungsfeld, one trace per status; ``measure`` is "projects" or "approved_cents".

    Each trace's ``meta`` holds its status code, each bar's ``customdata`` its topic, so a click
    can be turned back into a filter.
    """
    money = measure == "approved_cents"
    hover = ("%{y:,.2f} €" if language == "de" else "€%{y:,.2f}") if money else "%{y}"
    data = []
    for status in matrix["status"].unique(maintain_order=True).to_list():
        rows = matrix.filter(status=status)
        name = label("status", status, language)
        data.append(
            {
                "type": "bar",
                "x": [html.escape(topic) for topic in rows["topic"].to_list()],
                "y": (rows[measure] / 100).to_list() if money else rows[measure].to_list(),
                "name": name,
                "meta": status,
                "customdata": rows["topic"].to_list(),
                "marker": {"color": STATUS_COLOURS.get(status)},
                "hovertemplate": f"%{{x}}<br>{name}: {hover}<extra></extra>",
            }
        )
    return spec_figure(
        data,
        layout(
            language,
            height=380,
            barmode="stack",
            clickmode="event+select",
            hovermode="closest",
            yaxis={"title": {"text": t(f"projects.chart.{measure}", language)}, "tickformat": ",.0f"},
            xaxis={"title": {}},
        ),
    )


def timeline_figure(rows: pl.DataFrame, language: str) -> go.Figure:
    """A Gantt chart: one horizontal bar per project from start to end, coloured by status."""
    day_ms = 86_400_000
    data = []
    for status in rows["status"].unique(maintain_order=True).to_list():
        part = rows.filter(status=status)
        durations = ((part["end_date"] - part["start_date"]).dt.total_days() + 1) * day_ms
        data.append(
            {
                "type": "bar",
                "y": [html.escape(_short(title)) for title in part["title"].to_list()],
                "x": durations.to_list(),
                "base": [d.isoformat() for d in part["start_date"].to_list()],
                "orientation": "h",
                "name": label("status", status, language),
                "meta": status,
                "customdata": part["id"].to_list(),
                "marker": {"color": STATUS_COLOURS.get(status)},
                "hovertext": [
                    f"{html.escape(title)}<br>{html.escape(lead)}"
                    for title, lead in zip(part["title"], part["lead_name"], strict=True)
                ],
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
        )
    month_format = "%b %Y" if language == "en" else "%m.%Y"
    return spec_figure(
        data,
        layout(
            language,
            height=max(220, 24 * rows.height + 90),
            barmode="overlay",
            clickmode="event+select",
            hovermode="closest",
            xaxis={"type": "date", "tickformat": month_format},
            yaxis={
                "autorange": "reversed",
                "categoryorder": "array",
                "categoryarray": [html.escape(_short(title)) for title in rows["title"].to_list()],
            },
        ),
    )


def _short(title: str, limit: int = 48) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "…"

"""Figures of fund use: the absorption S-curve with its forecast band, the funnel, breakdowns, the alliance map."""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.theme import (
    BLACK,
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    SKY,
    VERMILION,
    day_marker,
    layout,
    period_band,
    spec_figure,
)
from dashboard.domain.fund_use import Breakdown, FundUseView, Funnel
from dashboard.i18n import formats, t

BREAKDOWN_LIMIT = 15  # bars per breakdown chart; the table beside it has every row


def _euro_hover(language: str) -> str:
    return "%{y:,.2f} €" if language == "de" else "€%{y:,.2f}"


def _month_axis(language: str) -> dict[str, Any]:
    # Plotly's month names are English; German axes use numeric months instead.
    month_format = "%b %Y" if language == "en" else "%m.%Y"
    return {"title": {}, "tickformat": month_format, "hoverformat": "%d.%m.%Y" if language == "de" else "%d %b %Y"}


def absorption_figure(view: FundUseView, language: str) -> go.Figure:
    """Cumulative budget, linear plan, commitments and payments, and the payment forecast with its band."""
    curve, path = view.curve, view.path
    days = curve["day"].to_list()
    euro = _euro_hover(language)
    data: list[dict[str, Any]] = []
    if path.height:
        # The band first, so the lines stay on top of it.
        data.append(
            {
                "type": "scatter",
                "x": path["day"].to_list() + path["day"].reverse().to_list(),
                "y": (path["high_cents"] / 100).to_list() + (path["low_cents"] / 100).reverse().to_list(),
                "fill": "toself",
                "fillcolor": "rgba(230, 159, 0, 0.18)",
                "line": {"width": 0},
                "name": t("funds.chart.band", language),
                "hoverinfo": "skip",
            }
        )
    lines = [
        (days, curve["budget_cents"], "funds.chart.budget", BLACK, "hv", "dash", 1.5),
        (days, curve["schedule_cents"], "funds.chart.schedule", GREY, "linear", "dot", 1.5),
        (days, curve["committed_cents"], "funds.chart.committed", BLUE, "hv", "solid", 2.5),
        (days, curve["disbursed_cents"], "funds.chart.disbursed", ORANGE, "hv", "solid", 2.5),
    ]
    if path.height:
        lines.append(
            (path["day"].to_list(), path["forecast_cents"], "funds.chart.forecast", ORANGE, "linear", "dash", 2)
        )
    data += [
        {
            "type": "scatter",
            "x": x,
            "y": (cents / 100).to_list(),
            "name": t(key, language),
            "mode": "lines",
            "line": {"color": colour, "shape": shape, "dash": dash, "width": width},
            "hovertemplate": euro,
            "connectgaps": False,
        }
        for x, cents, key, colour, shape, dash, width in lines
    ]
    period = period_band(view.period_start, view.period_end)
    markers = []
    last = max([*days, *path["day"].to_list()]) if days else view.period_end
    if days and days[0] <= view.as_of <= last:
        markers.append(day_marker(view.as_of, t("funds.chart.as_of", language), GREY))
    if view.forecast.counting_until <= last:
        markers.append(day_marker(view.forecast.counting_until, t("funds.chart.counting", language), VERMILION))
    labels = {"annotations": [label for _, label in markers]} if markers else {}
    return spec_figure(
        data,
        layout(
            language,
            height=400,
            shapes=[period, *(line for line, _ in markers)],
            **labels,
            yaxis={
                "title": {"text": t("overview.chart.y_title", language)},
                "rangemode": "tozero",
                "tickformat": ",.0f",
            },
            xaxis=_month_axis(language),
        ),
    )


def funnel_figure(funnel: Funnel, language: str) -> go.Figure:
    """Budget → committed → disbursed as a funnel, each stage with its amount and share of the budget."""
    stages = [
        ("funds.kpi.budget", funnel.planned_cents, BLACK),
        ("funds.kpi.committed", funnel.committed_cents, BLUE),
        ("funds.kpi.disbursed", funnel.disbursed_cents, ORANGE),
        ("funds.kpi.free", max(funnel.free_cents, 0), SKY),
    ]
    texts = [
        f"{formats.money_short(cents, language)} · {formats.percent(funnel.share(cents), language, decimals=0)}"
        for _, cents, _ in stages
    ]
    trace = {
        "type": "funnel",
        "y": [t(key, language) for key, _, _ in stages],
        "x": [cents / 100 for _, cents, _ in stages],
        "text": texts,
        "textinfo": "text",
        "marker": {"color": [colour for _, _, colour in stages]},
        "connector": {"line": {"color": GREY, "width": 1}},
        "hovertemplate": "%{y}: " + ("%{x:,.2f} €" if language == "de" else "€%{x:,.2f}") + "<extra></extra>",
    }
    margin = {"l": 10, "r": 10, "t": 10, "b": 10}
    return spec_figure([trace], layout(language, height=300, hovermode="closest", margin=margin))


def breakdown_figure(frame: pl.DataFrame, breakdown: Breakdown, labels: list[str], language: str) -> go.Figure:
    """Horizontal bars per row of a breakdown: budget (where planned), committed and disbursed."""
    top = frame.head(BREAKDOWN_LIMIT)
    # Plotly renders a subset of HTML in labels; names are user text.
    names = [html.escape(name) for name in labels[: top.height]]
    series = [("planned_cents", "funds.col.planned", BLACK), ("committed_cents", "funds.col.committed", BLUE)]
    series.append(("disbursed_cents", "funds.col.disbursed", ORANGE))
    money = "%{x:,.2f} €" if language == "de" else "€%{x:,.2f}"
    data = [
        {
            "type": "bar",
            "y": names,
            "x": (top[column] / 100).to_list(),
            "name": t(key, language),
            "orientation": "h",
            "marker": {"color": colour},
            "hovertemplate": money,
        }
        for column, key, colour in series
        if top[column].null_count() < top.height
    ]
    return spec_figure(
        data,
        layout(
            language,
            height=max(220, 34 * top.height + 90),
            yaxis={"autorange": "reversed", "type": "category"},
            xaxis={"tickformat": ",.0f"},
            barmode="group",
            hovermode="y unified",
        ),
    )


def comparison_figure(table: pl.DataFrame, language: str) -> go.Figure:
    """Each alliance at (time passed, paid of budget); bubbles by budget, at-risk ones in vermilion."""
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": [0, 1],
            "y": [0, 1],
            "mode": "lines",
            "line": {"color": GREY, "dash": "dot"},
            "name": t("compare.chart_line", language),
            "hoverinfo": "skip",
        }
    ]
    largest = max(int(table["budget_cents"].max() or 0) / 100, 1.0)  # type: ignore[arg-type]
    for at_risk, colour in ((False, GREEN), (True, VERMILION)):
        part = table.filter(pl.col("at_risk") == at_risk)
        if part.is_empty():
            continue
        budget = (part["budget_cents"] / 100).to_list()
        data.append(
            {
                "type": "scatter",
                "x": part["time_share"].to_list(),
                "y": part["absorption_share"].fill_null(0).to_list(),
                "mode": "markers+text" if table.height <= 12 else "markers",
                "text": [html.escape(name) for name in part["short_name"].to_list()],
                "textposition": "top center",
                "marker": {
                    "size": [8 + 30 * (value / largest) ** 0.5 for value in budget],
                    "color": colour,
                    "opacity": 0.75,
                },
                "name": t("funds.col.at_risk", language) if at_risk else t("compare.on_track", language),
                "customdata": [formats.money_short(int(cents), language) for cents in part["budget_cents"].to_list()],
                "hovertemplate": "%{text}<br>%{x:.0%} · %{y:.0%} · %{customdata}<extra></extra>",
            }
        )
    return spec_figure(
        data,
        layout(
            language,
            height=420,
            xaxis={"title": {"text": t("compare.chart_x", language)}, "tickformat": ".0%", "range": [-0.02, 1.05]},
            yaxis={"title": {"text": t("compare.chart_y", language)}, "tickformat": ".0%", "rangemode": "tozero"},
            hovermode="closest",
        ),
    )

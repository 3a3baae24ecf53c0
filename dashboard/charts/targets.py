"""Figure of a target: its actual values over time against the linear path from baseline to target."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.theme import BLACK, BLUE, GREY, styled
from dashboard.domain.units import is_rate, short_unit
from dashboard.i18n import t


def _value_format(unit: str | None) -> str:
    suffix = f" {html.escape(short_unit(unit))}" if unit else ""
    return ("%{y:,.1f}" if is_rate(unit) else "%{y:,.0f}") + suffix


def target_progress_figure(
    target: dict[str, Any], series: pl.DataFrame, path: pl.DataFrame, as_of: date, language: str
) -> go.Figure:
    """Actual values over time (steps for project reports, points for statistics) and the path to the target."""
    hover = _value_format(target["unit"])
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=path["day"].to_list(),
            y=path["value"].to_list(),
            name=t("targets.chart.path", language),
            mode="lines",
            line={"color": BLACK, "dash": "dash", "width": 1.5},
            hovertemplate=hover,
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[target["due_date"]],
            y=[target["target_value"]],
            name=t("targets.chart.target", language),
            mode="markers",
            marker={"color": BLACK, "symbol": "star", "size": 14},
            hovertemplate=hover,
        )
    )
    if not series.is_empty():
        figure.add_trace(
            go.Scatter(
                x=series["period_end"].to_list(),
                y=series["value"].to_list(),
                name=t("targets.chart.actual", language),
                mode="lines+markers",
                line={"color": BLUE, "width": 2.5, "shape": "hv" if target.get("basis") == "projects" else "linear"},
                hovertemplate=hover,
            )
        )
    first, last = path["day"].min(), path["day"].max()
    if isinstance(first, date) and isinstance(last, date) and first <= as_of <= last:
        figure.add_vline(x=as_of, line={"color": GREY, "dash": "dot", "width": 1})
        figure.add_annotation(
            x=as_of, y=1, yref="paper", text=t("targets.chart.as_of", language), showarrow=False, xanchor="left"
        )
    unit = html.escape(target["unit"] or "")
    figure.update_yaxes(title=unit or None, rangemode="tozero" if target["direction"] == "up" else "normal")
    # Statistics are yearly: years read better than "01.2019"; project reports come half-yearly.
    yearly = target.get("basis") == "kreise"
    date_format = "%Y" if yearly else ("%b %Y" if language == "en" else "%m.%Y")
    figure.update_xaxes(title=None, tickformat=date_format, hoverformat="%d.%m.%Y" if language == "de" else "%d/%m/%Y")
    return styled(figure, language, height=340)

"""Figure of a target: its actual values over time against the linear path from baseline to target.

Built in one go from its finished spec (``theme.layout`` and ``theme.spec_figure``), as in charts/funds.py: no Plotly
validation per step. tests/unit/test_region_partner_target_charts.py validates it once.
"""

from __future__ import annotations

import html
from datetime import date
from typing import Any

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.theme import BLACK, BLUE, GREY, day_marker, layout, spec_figure
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
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": path["day"].to_list(),
            "y": path["value"].to_list(),
            "name": t("targets.chart.path", language),
            "mode": "lines",
            "line": {"color": BLACK, "dash": "dash", "width": 1.5},
            "hovertemplate": hover,
        },
        {
            "type": "scatter",
            "x": [target["due_date"]],
            "y": [target["target_value"]],
            "name": t("targets.chart.target", language),
            "mode": "markers",
            "marker": {"color": BLACK, "symbol": "star", "size": 14},
            "hovertemplate": hover,
        },
    ]
    if not series.is_empty():
        data.append(
            {
                "type": "scatter",
                "x": series["period_end"].to_list(),
                "y": series["value"].to_list(),
                "name": t("targets.chart.actual", language),
                "mode": "lines+markers",
                "line": {
                    "color": BLUE,
                    "width": 2.5,
                    "shape": "hv" if target.get("basis") == "projects" else "linear",
                },
                "hovertemplate": hover,
            }
        )
    marker: dict[str, Any] = {}
    first, last = path["day"].min(), path["day"].max()
    if isinstance(first, date) and isinstance(last, date) and first <= as_of <= last:
        line, note = day_marker(as_of, t("targets.chart.as_of", language), GREY)
        marker = {"shapes": [line], "annotations": [note]}
    unit = html.escape(target["unit"] or "")
    # Statistics are yearly: years read better than "01.2019"; project reports come half-yearly.
    yearly = target.get("basis") == "kreise"
    date_format = "%Y" if yearly else ("%b %Y" if language == "en" else "%m.%Y")
    return spec_figure(
        data,
        layout(
            language,
            height=340,
            **marker,
            yaxis={
                "title": {"text": unit} if unit else {},
                "rangemode": "tozero" if target["direction"] == "up" else "normal",
            },
            xaxis={
                "title": {},
                "tickformat": date_format,
                "hoverformat": "%d.%m.%Y" if language == "de" else "%d/%m/%Y",
            },
        ),
    )

"""Figures of the Cockpit overview: cumulative money flows, projects by status, partners by type."""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.theme import BLACK, BLUE, GREEN, GREY, ORANGE, styled
from dashboard.i18n import label, t


def cumulative_flows_figure(
    flows: pl.DataFrame, period_start: date, period_end: date, as_of: date, language: str, *, budget: bool = True
) -> go.Figure:
    """Cumulative commitments and disbursements (against the cumulative planned budget), in euro."""
    euro = "%{y:,.2f} €" if language == "de" else "€%{y:,.2f}"
    figure = go.Figure()
    series = [
        ("budget_cents", "overview.chart.budget", BLACK, "hv", "dash"),
        ("committed_cents", "overview.chart.committed", BLUE, "hv", "solid"),
        ("disbursed_cents", "overview.chart.disbursed", ORANGE, "hv", "solid"),
    ]
    for column, key, colour, shape, dash in series[0 if budget else 1 :]:
        figure.add_trace(
            go.Scatter(
                x=flows["month"].to_list(),
                y=(flows[column] / 100).to_list(),
                name=t(key, language),
                mode="lines",
                line={
                    "color": colour,
                    "shape": shape,
                    "dash": dash,
                    "width": 2.5 if dash == "solid" else 1.5,
                },
                hovertemplate=euro,
            )
        )
    figure.add_vrect(x0=period_start, x1=period_end, fillcolor=GREEN, opacity=0.06, line_width=0)
    months: list[date] = flows["month"].to_list()
    if months and months[0] <= as_of <= months[-1]:
        # Marked only inside the chart's range, so a late Stichtag does not stretch the time axis.
        figure.add_vline(x=as_of, line={"color": GREY, "dash": "dot", "width": 1})
        figure.add_annotation(
            x=as_of,
            y=1,
            yref="paper",
            text=t("overview.chart.as_of", language),
            showarrow=False,
            xanchor="left",
            yanchor="top",
        )
    figure.update_yaxes(title=t("overview.chart.y_title", language), rangemode="tozero", tickformat=",.0f")
    # Plotly's month names are English; German axes use numeric months instead.
    month_format = "%b %Y" if language == "en" else "%m.%Y"
    figure.update_xaxes(title=None, tickformat=month_format, hoverformat=month_format)
    return styled(figure, language)


def horizontal_count_figure(
    frame: pl.DataFrame, kind: str, count_column: str, language: str, colour: str = BLUE
) -> go.Figure:
    """A compact horizontal bar chart of counts per vocabulary code (status, member type)."""
    labels = [label(kind, code, language) for code in frame[kind].to_list()]
    figure = go.Figure(
        go.Bar(
            x=frame[count_column].to_list(),
            y=labels,
            orientation="h",
            marker_color=colour,
            text=frame[count_column].to_list(),
            textposition="outside",
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(visible=False)
    figure = styled(figure, language, height=max(160, 28 * frame.height + 40))
    figure.update_layout(hovermode="closest", margin={"l": 10, "r": 30, "t": 10, "b": 10})
    return figure

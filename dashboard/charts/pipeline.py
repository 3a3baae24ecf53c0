"""Figure of the application pipeline: one bar per stage with its count, requested money and median waiting time."""

from __future__ import annotations

from decimal import Decimal

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.projects import STATUS_COLOURS
from dashboard.charts.theme import styled
from dashboard.domain.assessment import PIPELINE_STATUSES
from dashboard.i18n import formats, label, t

# The stages in the order an application passes them; the three decisions follow the assessment.
PIPELINE_ORDER = PIPELINE_STATUSES


def stage_text(applications: int, requested: Decimal | None, waiting_days: float | None, language: str) -> str:
    """„3 · 250.000 € · Median 42 Tage“: what a stage's bar says next to it."""
    parts = [formats.number(applications, language), formats.money(requested or Decimal(0), language)]
    if waiting_days is not None:
        parts.append(t("applications.chart.waiting", language, days=formats.number(waiting_days, language)))
    return " · ".join(parts)


def pipeline_figure(stages: pl.DataFrame, language: str) -> go.Figure:
    """Horizontal bars in pipeline order (top: the earliest stage); bar length = applications in the stage.

    ``stages`` has status, applications, requested_grant (Decimal sum, masked projects included) and
    median_waiting_days, one row per shown stage (an empty stage shows as an empty bar).
    """
    by_status = {row["status"]: row for row in stages.iter_rows(named=True)}
    # The stages of the frame (all, or the filtered ones); an idea is not submitted yet: its bar only with ideas.
    codes = [
        code for code in PIPELINE_ORDER if code in by_status and (code != "idee" or by_status[code].get("applications"))
    ]
    counts = [int(by_status[code]["applications"] or 0) for code in codes]
    texts = [
        stage_text(count, by_status[code]["requested_grant"], by_status[code]["median_waiting_days"], language)
        for code, count in zip(codes, counts, strict=True)
    ]
    names = [label("status", code, language) for code in codes]
    figure = go.Figure(
        go.Bar(
            y=names,
            x=counts,
            orientation="h",
            text=texts,
            textposition="outside",
            cliponaxis=False,
            marker_color=[STATUS_COLOURS.get(code) for code in codes],
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    longest = max(counts, default=0)
    # Room on the right for the text beside the longest bar.
    figure.update_xaxes(
        title=t("applications.chart.x_title", language),
        range=[0, max(longest, 1) * 1.9],
        tickformat=",d",
        dtick=1 if longest <= 10 else None,  # whole applications, not 0.5 steps
    )
    figure.update_yaxes(autorange="reversed", type="category", title=None)
    figure = styled(figure, language, height=70 + 44 * len(codes))
    figure.update_layout(hovermode="closest", showlegend=False, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return figure

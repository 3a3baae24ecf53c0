"""Figure of the application pipeline: one bar per stage with its count, requested money and median waiting time.

Built in one go from its finished spec (``theme.layout`` and ``theme.spec_figure``), as in charts/funds.py: no Plotly
validation per step. tests/unit/test_pipeline_chart.py validates it once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.projects import STATUS_COLOURS
from dashboard.charts.theme import layout, spec_figure
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
    bar = {
        "type": "bar",
        "y": names,
        "x": counts,
        "orientation": "h",
        "text": texts,
        "textposition": "outside",
        "cliponaxis": False,
        "marker": {"color": [STATUS_COLOURS.get(code) for code in codes]},
        "hovertemplate": "%{y}: %{text}<extra></extra>",
    }
    longest = max(counts, default=0)
    x_axis: dict[str, Any] = {
        "title": {"text": t("applications.chart.x_title", language)},
        "range": [0, max(longest, 1) * 1.9],  # room on the right for the text beside the longest bar
        "tickformat": ",d",
    }
    if longest <= 10:
        x_axis["dtick"] = 1  # whole applications, not 0.5 steps
    return spec_figure(
        [bar],
        layout(
            language,
            height=70 + 44 * len(codes),
            hovermode="closest",
            showlegend=False,
            margin={"l": 10, "r": 10, "t": 10, "b": 10},
            xaxis=x_axis,
            yaxis={"autorange": "reversed", "type": "category", "title": {}},
        ),
    )

"""The pipeline figure: stages in pipeline order with count, requested money and median wait in the UI language."""

from __future__ import annotations

from decimal import Decimal

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.pipeline import pipeline_figure, stage_text
from dashboard.charts.projects import STATUS_COLOURS

MONEY = pl.Decimal(38, 2)


def stages(rows: list[tuple[str, int, str, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(status, count, Decimal(amount), days) for status, count, amount, days in rows],
        schema={
            "status": pl.String,
            "applications": pl.Int64,
            "requested_grant": MONEY,
            "median_waiting_days": pl.Float64,
        },
        orient="row",
    )


def test_stages_in_pipeline_order_with_their_text() -> None:
    frame = stages(
        [
            ("bewilligt", 1, "105000.00", 0.0),
            ("beantragt", 3, "349000.00", 52.0),
            ("idee", 0, "0.00", None),
            ("bewertet", 2, "1177000.50", 1018.0),
        ]
    )
    bar = pipeline_figure(frame, "de").data[0]
    # No ideas: no idea bar; the rest in the order an application passes them.
    assert list(bar.y) == ["Beantragt", "Bewertet", "Bewilligt"]
    assert list(bar.x) == [3, 2, 1]
    assert bar.text[1] == "2 · 1.177.000,50\xa0€ · Median 1.018 Tage"
    english = pipeline_figure(frame, "en").data[0]
    assert list(english.y) == ["Applied", "Assessed", "Approved"]
    assert english.text[0] == "3 · €349,000.00 · median 52 days"


def test_a_filtered_frame_shows_only_its_stages_and_an_empty_stage_as_an_empty_bar() -> None:
    bar = pipeline_figure(stages([("abgelehnt", 0, "0.00", None), ("idee", 2, "0.00", 30.0)]), "de").data[0]
    assert list(bar.y) == ["Idee", "Abgelehnt"]
    assert list(bar.x) == [2, 0]
    assert bar.text[1] == "0 · 0,00\xa0€"


def test_stage_text_without_a_waiting_time() -> None:
    assert stage_text(0, None, None, "de") == "0 · 0,00\xa0€"


def test_the_figure_is_valid_plotly_with_german_separators_and_whole_application_ticks() -> None:
    frame = stages([("beantragt", 3, "349000.00", 52.0), ("bewertet", 2, "1177000.50", 1018.0)])
    figure = go.Figure(pipeline_figure(frame, "de").to_dict())  # raises on any property Plotly does not know
    (bar,) = figure.data
    assert bar.orientation == "h" and bar.textposition == "outside" and bar.cliponaxis is False
    assert list(bar.marker.color) == [STATUS_COLOURS["beantragt"], STATUS_COLOURS["bewertet"]]
    layout = figure.layout
    assert layout.separators == ",." and layout.showlegend is False and layout.hovermode == "closest"
    assert layout.height == 70 + 44 * 2 and (layout.margin.t, layout.margin.r) == (10, 10)
    assert layout.yaxis.autorange == "reversed" and layout.yaxis.type == "category"
    # Room for the text beside the longest bar, ticks at whole applications.
    assert list(layout.xaxis.range) == [0, 3 * 1.9] and layout.xaxis.dtick == 1 and layout.xaxis.tickformat == ",d"
    assert layout.xaxis.title.text


def test_many_applications_leave_the_tick_step_to_plotly() -> None:
    figure = go.Figure(pipeline_figure(stages([("beantragt", 40, "1.00", 3.0)]), "en").to_dict())
    assert figure.layout.xaxis.dtick is None and list(figure.layout.xaxis.range) == [0, 40 * 1.9]
    assert figure.layout.separators == ".," and list(figure.data[0].x) == [40]

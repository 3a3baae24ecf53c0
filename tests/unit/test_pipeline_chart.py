"""The pipeline figure: stages in pipeline order with count, requested money and median wait in the UI language."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from dashboard.charts.pipeline import pipeline_figure, stage_text

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

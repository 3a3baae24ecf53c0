"""Target tracking: the status rule in both directions, honest actual values, the path and the drill-down."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.data_access.impact import PROJECT_OBSERVATION_SCHEMA, TARGET_SCHEMA
from dashboard.domain.targets import (
    TargetStatus,
    assess_targets,
    kreis_contributions,
    project_contributions,
    project_levels,
    status_counts,
    track_targets,
)

START, DUE = date(2024, 1, 1), date(2027, 12, 31)
HALFWAY = date(2025, 12, 31)  # 1461 days of 4 years … close to half


def target(target_id: int, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "target_id": target_id,
        "indicator_id": 1,
        "code": "EECO01",
        "name": "Teilnehmende",
        "name_en": None,
        "unit": "Personen",
        "direction": "up",
        "scope": "alliance",
        "topic_id": None,
        "topic": None,
        "project_id": None,
        "project": None,
        "description": "",
        "baseline_value": 0.0,
        "baseline_date": START,
        "target_value": 100.0,
        "due_date": DUE,
    }
    row.update(overrides)
    return row


def targets(*rows: dict[str, object]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=TARGET_SCHEMA)


def series(*points: tuple[int, date, float]) -> pl.DataFrame:
    return pl.DataFrame(
        points, schema={"target_id": pl.Int64(), "period_end": pl.Date(), "value": pl.Float64()}, orient="row"
    )


def observations(*rows: tuple[int, int, str, date, str, float, bool]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=PROJECT_OBSERVATION_SCHEMA, orient="row")


def status_of(frame: pl.DataFrame) -> dict[int, str]:
    return dict(frame.select("target_id", "status").iter_rows())


def test_status_rule_for_a_good_when_up_indicator() -> None:
    frame = targets(*(target(i) for i in range(1, 7)))
    actuals = series(
        (1, HALFWAY, 100.0),  # reached
        (2, HALFWAY, 48.0),  # path asks ~50: within the 10 % tolerance
        (3, HALFWAY, 30.0),  # far behind the path
        (4, HALFWAY, 40.0),
        (4, DUE, 90.0),  # due date reached, target not: missed (once the Stichtag has passed it)
        # 5: no data
        (6, date(2029, 1, 1), 50.0),  # a value after the Stichtag does not count yet
    )
    assessed = assess_targets(frame, actuals, as_of=date(2026, 6, 30), tolerance=0.10)
    assert status_of(assessed) == {
        1: TargetStatus.ERREICHT,
        2: TargetStatus.IM_PLAN,
        3: TargetStatus.GEFAEHRDET,
        4: TargetStatus.GEFAEHRDET,  # its value dated 31.12.2027 lies after the Stichtag; 40 trails the path
        5: TargetStatus.KEINE_DATEN,
        6: TargetStatus.KEINE_DATEN,
    }
    later = assess_targets(frame, actuals, as_of=date(2028, 1, 31), tolerance=0.10)
    assert status_of(later)[4] == TargetStatus.VERFEHLT
    # A value after the due date does not rescue a missed target: "by 2027" is judged by 2027's value.
    rescued = pl.concat([actuals, series((4, date(2028, 1, 15), 120.0))])
    assert (
        status_of(assess_targets(frame, rescued, as_of=date(2028, 1, 31), tolerance=0.10))[4] == TargetStatus.VERFEHLT
    )
    # Until the data for the due date is in, the path decides; project reports are overdue after 90 days.
    pending = series((4, HALFWAY, 60.0))
    assert status_of(assess_targets(frame, pending, as_of=date(2028, 1, 15), tolerance=0.10))[4] == "im_plan"
    assert status_of(assess_targets(frame, pending, as_of=date(2028, 4, 15), tolerance=0.10))[4] == "verfehlt"
    # Official statistics come years later: a regional target waits two years for its due-date value.
    regional = pending.with_columns(basis=pl.lit("kreise"))
    assert status_of(assess_targets(frame, regional, as_of=date(2029, 6, 30), tolerance=0.10))[4] == "im_plan"
    assert status_of(assess_targets(frame, regional, as_of=date(2030, 1, 31), tolerance=0.10))[4] == "verfehlt"
    row = assessed.filter(pl.col("target_id") == 2).row(0, named=True)
    assert row["actual_value"] == 48.0
    assert row["actual_date"] == HALFWAY
    assert row["expected_at_actual"] == pytest.approx(100 * 730 / 1460)
    assert row["expected_today"] == pytest.approx(100 * (date(2026, 6, 30) - START).days / 1460)
    assert row["progress"] == pytest.approx(0.48)


def test_direction_down_means_less_is_better() -> None:
    rate = {"direction": "down", "unit": "%", "baseline_value": 7.0, "target_value": 5.0}
    frame = targets(*(target(i, **rate) for i in (1, 2, 3, 4)))
    actuals = series(
        (1, HALFWAY, 4.9),  # below the target: reached
        (2, HALFWAY, 6.0),  # path asks ~6.0 by then: on track
        (3, HALFWAY, 7.4),  # rose instead of falling
        (4, HALFWAY, 6.3),  # fell, but by less than 90 % of what the path asks (0.7 of 1.0)
    )
    assessed = assess_targets(frame, actuals, as_of=date(2026, 6, 30), tolerance=0.10)
    assert status_of(assessed) == {
        1: TargetStatus.ERREICHT,
        2: TargetStatus.IM_PLAN,
        3: TargetStatus.GEFAEHRDET,
        4: TargetStatus.GEFAEHRDET,
    }
    # The same numbers with "more is better" would call 3 reached … direction matters.
    up = assess_targets(
        frame.with_columns(direction=pl.lit("up"), target_value=pl.lit(7.2)), actuals, date(2026, 6, 30), 0.1
    )
    assert status_of(up)[3] == TargetStatus.ERREICHT


def test_status_compares_with_the_path_at_the_date_of_the_data() -> None:
    """A regional statistic two years old is judged against the path two years ago, not today's."""
    frame = targets(target(1, baseline_value=0.0, target_value=100.0))
    actuals = series((1, date(2024, 12, 31), 24.0))
    assessed = assess_targets(frame, actuals, as_of=date(2026, 11, 22), tolerance=0.10)
    assert status_of(assessed)[1] == TargetStatus.IM_PLAN


def test_status_counts_list_every_status_in_rule_order() -> None:
    frame = targets(target(1), target(2), target(3))
    assessed = assess_targets(frame, series((1, HALFWAY, 100.0), (2, HALFWAY, 100.0)), HALFWAY, 0.1)
    counts = status_counts(assessed)
    assert counts["status"].to_list() == [s.value for s in TargetStatus]
    assert dict(counts.iter_rows()) == {"erreicht": 2, "im_plan": 0, "gefaehrdet": 0, "verfehlt": 0, "keine_daten": 1}


def test_cumulative_reports_are_never_summed_across_dates_but_periodic_ones_are() -> None:
    obs = observations(
        (10, 1, "EECO01", date(2024, 6, 30), "", 20.0, True),
        (10, 1, "EECO01", date(2024, 12, 31), "", 50.0, True),
        (10, 1, "EECO01", date(2024, 12, 31), "sex=w", 30.0, True),  # breakdowns never add to the total
        (11, 1, "EECO01", date(2024, 6, 30), "", 5.0, False),
        (11, 1, "EECO01", date(2024, 12, 31), "", 7.0, False),
    )
    levels = project_levels(obs, as_of=date(2025, 1, 1))
    assert levels.filter(pl.col("period_end") == date(2024, 12, 31)).sort("project_id")["level"].to_list() == [
        50.0,
        12.0,
    ]
    tracking = track_targets(
        targets=targets(target(1)),
        observations=obs,
        topic_links=pl.DataFrame(schema={"project_id": pl.Int64(), "topic_id": pl.Int64()}),
        kreis_observations=pl.DataFrame(
            schema={
                "indicator_id": pl.Int64(),
                "region_ags": pl.String(),
                "region_name": pl.String(),
                "population": pl.Int64(),
                "period_end": pl.Date(),
                "value": pl.Float64(),
            }
        ),
        kreise=0,
        as_of=date(2025, 1, 1),
        tolerance=0.1,
    )
    # 30.06.: 20 + 5; 31.12.: 50 (latest cumulative) + 12 (sum of periods)
    assert tracking.series["value"].to_list() == [25.0, 62.0]
    assert tracking.assessed["actual_value"].to_list() == [62.0]
    assert tracking.assessed["basis"].to_list() == ["projects"]


def _kreis_frame(*rows: tuple[str, int | None, date, float | None]) -> pl.DataFrame:
    return pl.DataFrame(
        [(1, ags, f"Kreis {ags}", population, day, value) for ags, population, day, value in rows],
        schema={
            "indicator_id": pl.Int64(),
            "region_ags": pl.String(),
            "region_name": pl.String(),
            "population": pl.Int64(),
            "period_end": pl.Date(),
            "value": pl.Float64(),
        },
        orient="row",
    )


def test_topic_and_project_targets_count_only_their_projects() -> None:
    obs = observations(
        (10, 1, "EECO01", date(2024, 12, 31), "", 40.0, True),
        (11, 1, "EECO01", date(2024, 12, 31), "", 60.0, True),
        (12, 1, "EECO01", date(2024, 12, 31), "", 7.0, True),
    )
    links = pl.DataFrame({"project_id": [10, 11], "topic_id": [5, 6]})
    tracking = track_targets(
        targets=targets(target(1), target(2, scope="topic", topic_id=5), target(3, scope="project", project_id=12)),
        observations=obs,
        topic_links=links,
        kreis_observations=_kreis_frame(),
        kreise=2,
        as_of=date(2025, 1, 1),
        tolerance=0.1,
    )
    assert dict(tracking.assessed.select("target_id", "actual_value").iter_rows()) == {1: 107.0, 2: 40.0, 3: 7.0}
    projects = pl.DataFrame({"project_id": [10, 11, 12], "title": ["A", "B", "C"], "status": ["laufend"] * 3})
    contributions = project_contributions(1, tracking.links, tracking.levels, projects)
    assert contributions["title"].to_list() == ["B", "A", "C"]
    regions = pl.DataFrame(
        {
            "project_id": [10, 11, 11],
            "region_ags": ["03153", "03153", "03157"],
            "region_name": ["Goslar", "Goslar", "Peine"],
        }
    )
    per_kreis = kreis_contributions(contributions, regions)
    assert dict(per_kreis.select("region_name", "level").iter_rows()) == {"Goslar": 100.0, "Peine": 60.0}


def test_regional_target_aggregates_kreise_only_where_all_report() -> None:
    kreise = _kreis_frame(
        ("03153", 100_000, date(2022, 12, 31), 6.0),
        ("03157", 300_000, date(2022, 12, 31), 4.0),
        ("03153", 100_000, date(2023, 12, 31), 5.0),  # 03157 has no 2023 value: the period is incomplete
        ("03157", 300_000, date(2023, 12, 31), None),
    )
    rate = target(
        1,
        indicator_id=1,
        unit="%",
        direction="down",
        baseline_value=5.0,
        target_value=4.0,
        baseline_date=date(2021, 12, 31),
        code="ALQ",
    )
    count = target(2, indicator_id=1, unit="Personen", code="ALQ")
    tracking = track_targets(
        targets=targets(rate, count),
        observations=observations(),
        topic_links=pl.DataFrame(schema={"project_id": pl.Int64(), "topic_id": pl.Int64()}),
        kreis_observations=kreise,
        kreise=2,
        as_of=date(2026, 1, 1),
        tolerance=0.1,
    )
    assert_frame_equal(
        tracking.series.sort("target_id").select("target_id", "period_end", "value"),
        pl.DataFrame(
            {"target_id": [1, 2], "period_end": [date(2022, 12, 31)] * 2, "value": [4.5, 10.0]},
            schema={"target_id": pl.Int64(), "period_end": pl.Date(), "value": pl.Float64()},
        ),
    )
    assert tracking.assessed.filter(pl.col("target_id") == 1)["basis"].to_list() == ["kreise"]

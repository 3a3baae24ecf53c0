"""Target tracking: actual values per target, the linear path to the target, and one status rule for every view.

The status rule (written out on the page and in the README):

* **erreicht** – the latest actual value (up to the Stichtag, never after the due date) reaches the target
  value (for a good-when-down indicator such as the unemployment rate: it is at or below the target);
* **verfehlt** – the data for the due date is in (or overdue: 90 days for project reports, two years for
  official statistics) and the latest actual value up to the due date does not reach the target;
* **im Plan** – the progress made since the baseline is at least (1 − tolerance) of the progress the linear path
  from baseline to target asks for *by the date of the actual value* (official statistics lag by a year or two,
  so comparing with today's path value would call every regional target late);
* **gefährdet** – less progress than that;
* **keine Daten** – no actual value yet.

Actual values: a project-reported cumulative series (participants so far) counts with its latest value, never
summed across reporting dates; a periodic series (results reported per period) is summed. Alliance and
Handlungsfeld targets add up their projects; an alliance target on a regional statistic aggregates the
alliance's Kreise (counts are summed, rates weighted by population) for the periods all Kreise report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import polars as pl

from dashboard.data_access.vocabulary import Direction, TargetScope
from dashboard.domain.units import is_rate_unit


class TargetStatus(StrEnum):
    ERREICHT = "erreicht"
    IM_PLAN = "im_plan"
    GEFAEHRDET = "gefaehrdet"
    VERFEHLT = "verfehlt"
    KEINE_DATEN = "keine_daten"


STATUS_ORDER = tuple(TargetStatus)

SERIES_SCHEMA = pl.Schema({"target_id": pl.Int64(), "period_end": pl.Date(), "value": pl.Float64()})
LEVEL_SCHEMA = pl.Schema(
    {"project_id": pl.Int64(), "indicator_id": pl.Int64(), "period_end": pl.Date(), "level": pl.Float64()}
)


def project_levels(observations: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Each project's level of each indicator at each reporting date up to ``as_of`` (totals only).

    Cumulative series are levels already; periodic series become levels by a running sum.
    """
    frame = observations.filter(
        pl.col("dimensions") == "", pl.col("period_end") <= as_of, pl.col("value").is_not_null()
    ).sort("project_id", "indicator_id", "period_end")
    return (
        frame.with_columns(
            level=pl.when(pl.col("is_cumulative"))
            .then(pl.col("value"))
            .otherwise(pl.col("value").cum_sum().over("project_id", "indicator_id"))
        )
        .group_by("project_id", "indicator_id", "period_end", maintain_order=True)
        .agg(pl.col("level").last())
        .select(LEVEL_SCHEMA.keys())
        .cast(LEVEL_SCHEMA)
    )


def target_projects(targets: pl.DataFrame, levels: pl.DataFrame, topic_links: pl.DataFrame) -> pl.DataFrame:
    """(target_id, project_id, indicator_id): which projects' reports count towards which target."""
    reporting = levels.select("project_id", "indicator_id").unique()
    keys = targets.select("target_id", "indicator_id", "scope", "topic_id", "project_id")
    alliance = keys.filter(pl.col("scope") == TargetScope.ALLIANCE.value).join(
        reporting, on="indicator_id", how="inner", suffix="_reporting"
    )
    alliance = alliance.select("target_id", pl.col("project_id_reporting").alias("project_id"), "indicator_id")
    topic = (
        keys.filter(pl.col("scope") == TargetScope.TOPIC.value)
        .join(topic_links.select("project_id", "topic_id"), on="topic_id", how="inner", suffix="_linked")
        .select("target_id", pl.col("project_id_linked").alias("project_id"), "indicator_id")
    )
    project = keys.filter(pl.col("scope") == TargetScope.PROJECT.value).select(
        "target_id", "project_id", "indicator_id"
    )
    schema = pl.Schema({"target_id": pl.Int64(), "project_id": pl.Int64(), "indicator_id": pl.Int64()})
    return pl.concat([part.cast(schema) for part in (alliance, topic, project)]).unique(maintain_order=True)


def project_target_series(links: pl.DataFrame, levels: pl.DataFrame) -> pl.DataFrame:
    """The summed level of each target's projects at every date any of them reported (earlier reports carried)."""
    contributing = links.join(levels, on=["project_id", "indicator_id"], how="inner")
    if contributing.is_empty():
        return pl.DataFrame(schema=SERIES_SCHEMA)
    dates = contributing.select("target_id", "period_end").unique()
    grid = dates.join(contributing.select("target_id", "project_id").unique(), on="target_id").sort("period_end")
    carried = grid.join_asof(
        contributing.select("target_id", "project_id", "period_end", "level").sort("period_end"),
        on="period_end",
        by=["target_id", "project_id"],
        strategy="backward",
        check_sortedness=False,  # sorted by period_end as a whole, which is what join_asof needs within groups
    )
    return (
        carried.group_by("target_id", "period_end")
        .agg(value=pl.col("level").sum())
        .sort("target_id", "period_end")
        .cast(SERIES_SCHEMA)
    )


def regional_target_series(
    targets: pl.DataFrame, kreis_observations: pl.DataFrame, kreise: int, as_of: date
) -> pl.DataFrame:
    """Alliance targets on a regional statistic: the alliance's Kreise aggregated, for periods all of them report."""
    wanted = targets.filter(pl.col("scope") == TargetScope.ALLIANCE.value).select("target_id", "indicator_id", "unit")
    values = kreis_observations.filter(pl.col("period_end") <= as_of, pl.col("value").is_not_null()).join(
        wanted, on="indicator_id", how="inner"
    )
    if values.is_empty() or kreise == 0:
        return pl.DataFrame(schema=SERIES_SCHEMA)
    rate = is_rate_unit(pl.col("unit"))
    weighted = (pl.col("value") * pl.col("population")).sum() / pl.col("population").sum()
    return (
        values.group_by("target_id", "period_end")
        .agg(
            reporting=pl.col("region_ags").n_unique(),
            with_population=pl.col("population").is_not_null().all(),
            is_rate=rate.first(),
            total=pl.col("value").sum(),
            mean=pl.col("value").mean(),
            weighted=weighted,
        )
        .filter(pl.col("reporting") >= kreise)
        .select(
            "target_id",
            "period_end",
            value=pl.when(~pl.col("is_rate"))
            .then(pl.col("total"))
            .when(pl.col("with_population"))
            .then(pl.col("weighted"))
            .otherwise(pl.col("mean")),
        )
        .sort("target_id", "period_end")
        .cast(SERIES_SCHEMA)
    )


def _path_share(day: pl.Expr) -> pl.Expr:
    """How far along the linear path from baseline date to due date ``day`` is (0–1)."""
    span = (pl.col("due_date") - pl.col("baseline_date")).dt.total_days()
    done = (day - pl.col("baseline_date")).dt.total_days()
    return pl.when(span <= 0).then(1.0).otherwise((done / span).clip(0.0, 1.0))


def path_value(day: pl.Expr) -> pl.Expr:
    """The value the linear path from baseline to target asks for on ``day``."""
    return pl.col("baseline_value") + (pl.col("target_value") - pl.col("baseline_value")) * _path_share(day)


# How long after the due date its data may still be outstanding: project reports for the last period arrive within
# a quarter; official statistics for a year are published one to two years later.
REPORT_LAG_DAYS = {"projects": 90, "kreise": 730}


def assess_targets(targets: pl.DataFrame, series: pl.DataFrame, as_of: date, tolerance: float) -> pl.DataFrame:
    """Targets with actual value and date, the path value today and at the actual's date, progress and status.

    The actual value is the latest one up to the Stichtag, and never one after the due date: a target "by 2027"
    is judged by 2027's value. It is only called missed once the data for the due date is in (or can no longer
    be expected: see REPORT_LAG_DAYS); until then it is judged against the path like any running target.
    The one status rule of the product: the targets page and the overview call this.
    """
    if "basis" not in series.columns:
        series = series.with_columns(basis=pl.lit("projects"))
    dated = series.filter(pl.col("period_end") <= as_of).join(
        targets.select("target_id", "due_date"), on="target_id", how="inner"
    )
    latest = dated.filter(pl.col("period_end") <= pl.col("due_date")).sort("period_end").group_by("target_id").last()
    lag = pl.col("basis").replace_strict(REPORT_LAG_DAYS, default=REPORT_LAG_DAYS["projects"], return_dtype=pl.Int64)
    decided = dated.group_by("target_id").agg(
        due_data_in=(pl.col("period_end") >= pl.col("due_date")).any(),
        lag_days=lag.first(),
    )
    sign = pl.when(pl.col("direction") == Direction.DOWN.value).then(-1.0).otherwise(1.0)
    needed_total = (pl.col("target_value") - pl.col("baseline_value")) * sign
    made = (pl.col("actual_value") - pl.col("baseline_value")) * sign
    needed_by_data = (pl.col("expected_at_actual") - pl.col("baseline_value")) * sign
    reached = (pl.col("actual_value") - pl.col("target_value")) * sign >= 0
    overdue = pl.lit(as_of) > pl.col("due_date") + pl.duration(days=pl.col("lag_days").fill_null(0))
    final = pl.col("due_data_in").fill_null(False) | overdue
    status = (
        pl.when(pl.col("actual_value").is_null())
        .then(pl.lit(TargetStatus.KEINE_DATEN.value))
        .when(reached)
        .then(pl.lit(TargetStatus.ERREICHT.value))
        .when(final)
        .then(pl.lit(TargetStatus.VERFEHLT.value))
        # The epsilon keeps values that equal the path (up to float noise) on track.
        .when(made >= needed_by_data * (1 - tolerance) - 1e-9)
        .then(pl.lit(TargetStatus.IM_PLAN.value))
        .otherwise(pl.lit(TargetStatus.GEFAEHRDET.value))
    )
    return (
        targets.join(
            latest.select("target_id", actual_date="period_end", actual_value="value"), on="target_id", how="left"
        )
        .join(decided, on="target_id", how="left")
        .with_columns(
            expected_today=path_value(pl.lit(as_of)),
            expected_at_actual=pl.when(pl.col("actual_date").is_not_null()).then(path_value(pl.col("actual_date"))),
        )
        .with_columns(progress=pl.when(needed_total > 0).then(made / needed_total), status=status)
        .drop("due_data_in", "lag_days")
    )


def status_counts(assessed: pl.DataFrame) -> pl.DataFrame:
    """Number of targets per status, every status listed in the order of the rule."""
    order = pl.DataFrame({"status": [s.value for s in STATUS_ORDER]})
    counts = assessed.group_by("status").agg(targets=pl.len())
    return order.join(counts, on="status", how="left").with_columns(pl.col("targets").fill_null(0).cast(pl.Int64))


def target_path(target: dict[str, object]) -> pl.DataFrame:
    """The two ends of the linear path of one target, for the progress chart."""
    return pl.DataFrame(
        {
            "day": [target["baseline_date"], target["due_date"]],
            "value": [target["baseline_value"], target["target_value"]],
        },
        schema={"day": pl.Date(), "value": pl.Float64()},
    )


def project_contributions(
    target_id: int, links: pl.DataFrame, levels: pl.DataFrame, projects: pl.DataFrame
) -> pl.DataFrame:
    """Each project's latest level towards one target (largest first), with its title and status."""
    mine = links.filter(pl.col("target_id") == target_id)
    latest = mine.join(levels, on=["project_id", "indicator_id"], how="inner").sort("period_end")
    return (
        latest.group_by("project_id")
        .agg(pl.col("level").last(), pl.col("period_end").last())
        .join(projects.select("project_id", "title", "status"), on="project_id", how="left")
        .sort("level", "title", descending=[True, False])
        .select("project_id", "title", "status", "level", "period_end")
    )


def kreis_contributions(contributions: pl.DataFrame, project_regions: pl.DataFrame) -> pl.DataFrame:
    """The project contributions per Kreis; a project working in several Kreise counts in each."""
    return (
        contributions.join(project_regions, on="project_id", how="inner")
        .group_by("region_ags", "region_name")
        .agg(level=pl.col("level").sum(), projects=pl.len())
        .sort("level", "region_name", descending=[True, False])
    )


def kreis_values(target: dict[str, object], kreis_observations: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """For a regional target: each Kreis' latest value of the indicator up to ``as_of``."""
    return (
        kreis_observations.filter(
            pl.col("indicator_id") == target["indicator_id"],
            pl.col("period_end") <= as_of,
            pl.col("value").is_not_null(),
        )
        .sort("period_end")
        .group_by("region_ags", "region_name")
        .agg(pl.col("value").last(), pl.col("period_end").last())
        .sort("value", "region_name", descending=[target["direction"] != Direction.DOWN.value, False])
    )


@dataclass(frozen=True)
class TargetTracking:
    """Every target assessed, the actual series behind it, and the project links for the drill-down."""

    assessed: pl.DataFrame  # targets + actual_value/_date, expected_today, expected_at_actual, progress, status, basis
    series: pl.DataFrame  # target_id, period_end, value, basis ("projects" or "kreise")
    links: pl.DataFrame  # target_id, project_id, indicator_id
    levels: pl.DataFrame  # project_id, indicator_id, period_end, level
    kreis_observations: pl.DataFrame  # the alliance's Kreise: indicator_id, region_ags, region_name, …, value


def track_targets(
    *,
    targets: pl.DataFrame,
    observations: pl.DataFrame,
    topic_links: pl.DataFrame,
    kreis_observations: pl.DataFrame,
    kreise: int,
    as_of: date,
    tolerance: float,
) -> TargetTracking:
    """Every target of an alliance assessed against its actual values up to ``as_of``."""
    levels = project_levels(observations, as_of)
    links = target_projects(targets, levels, topic_links)
    from_projects = project_target_series(links, levels).with_columns(basis=pl.lit("projects"))
    regional_targets = targets.join(from_projects.select("target_id").unique(), on="target_id", how="anti")
    from_kreise = regional_target_series(regional_targets, kreis_observations, kreise, as_of).with_columns(
        basis=pl.lit("kreise")
    )
    series = pl.concat([from_projects, from_kreise])
    assessed = assess_targets(targets, series, as_of, tolerance).join(
        series.select("target_id", "basis").unique(), on="target_id", how="left"
    )
    return TargetTracking(
        assessed=assessed, series=series, links=links, levels=levels, kreis_observations=kreis_observations
    )

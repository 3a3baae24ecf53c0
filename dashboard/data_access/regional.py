"""Scoped reads of the regional statistics of an alliance's Kreise, their reference regions and the money per Kreis.

Every statement starts from the alliance's Kreise (``alliance_region``) and reaches ``observation`` through its
``(region_ags, indicator_id)`` index, so a database with millions of observations reads only the alliance's rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import polars as pl
from sqlalchemy import Engine, func, select
from sqlmodel import col

from dashboard.data_access.models import (
    FinancialEntry,
    Indicator,
    Observation,
    Project,
    ProjectRegion,
    Region,
)
from dashboard.data_access.money import sum_cents
from dashboard.data_access.queries import alliance_kreise, entries_of_projects, project_rows, read_frame, regional_rows
from dashboard.data_access.scope import Scope
from dashboard.data_access.vocabulary import EntryKind

GERMANY = "DG"

INDICATOR_SCHEMA: Mapping[str, pl.DataType] = {
    "id": pl.Int64(),
    "code": pl.String(),
    "name": pl.String(),
    "unit": pl.String(),
    "direction": pl.String(),
    "source": pl.String(),
    "first_period_end": pl.Date(),
    "last_period_end": pl.Date(),
    "dimensions": pl.List(pl.String()),
    "values": pl.Int64(),
}

SERIES_SCHEMA: Mapping[str, pl.DataType] = {
    "region_ags": pl.String(),
    "region_name": pl.String(),
    "level": pl.String(),
    "is_reference": pl.Boolean(),
    "population": pl.Int64(),
    "latitude": pl.Float64(),
    "longitude": pl.Float64(),
    "period_start": pl.Date(),
    "period_end": pl.Date(),
    "value": pl.Float64(),
    "missing_marker": pl.String(),
}

MONEY_SCHEMA: Mapping[str, pl.DataType] = {
    "region_ags": pl.String(),  # null: the row of the money of projects without any Kreis
    "region_name": pl.String(),
    "population": pl.Int64(),
    "in_alliance": pl.Boolean(),
    "projects": pl.Int64(),
    "committed_cents": pl.Int64(),
}


def regional_indicators(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """Indicators with regional observations for the alliance's Kreise, by name.

    Per indicator: the first and last period_end, the breakdowns present ("" = total, sorted with the total
    first) and the number of values (missing values with a marker do not count). Summed in SQL per indicator
    and breakdown; only the handful of breakdown rows is folded here.
    """
    scope.require_alliance(alliance_id)
    kreise = alliance_kreise(engine, scope, alliance_id)
    per_breakdown = (
        select(
            col(Observation.indicator_id).label("id"),
            col(Observation.dimensions).label("dimensions"),
            func.min(col(Observation.period_end)).label("first_period_end"),
            func.max(col(Observation.period_end)).label("last_period_end"),
            func.count(col(Observation.value)).label("value_count"),
        )
        .where(col(Observation.region_ags).in_(kreise), regional_rows())
        .group_by(col(Observation.indicator_id), col(Observation.dimensions))
        .subquery()
    )
    statement = select(
        per_breakdown.c.id,
        col(Indicator.code),
        col(Indicator.name),
        col(Indicator.unit),
        col(Indicator.direction),
        col(Indicator.source),
        per_breakdown.c.first_period_end,
        per_breakdown.c.last_period_end,
        per_breakdown.c.dimensions,
        per_breakdown.c.value_count,
    ).join(Indicator, col(Indicator.id) == per_breakdown.c.id)
    schema = {**INDICATOR_SCHEMA, "dimensions": pl.String()}
    rows = read_frame(engine, statement, schema)
    return (
        rows.sort("id", "dimensions")
        .group_by("id", "code", "name", "unit", "direction", "source")
        .agg(
            pl.col("first_period_end").min(),
            pl.col("last_period_end").max(),
            pl.col("dimensions"),
            pl.col("values").sum(),
        )
        .sort("name", "code")
        .select(pl.col(name).cast(dtype) for name, dtype in INDICATOR_SCHEMA.items())
    )


def regional_series(
    engine: Engine, scope: Scope, alliance_id: int, indicator_id: int, dimensions: str = ""
) -> pl.DataFrame:
    """One indicator and breakdown for the alliance's Kreise and their references (their Länder and Germany).

    A Land's AGS is the first two digits of its Kreise's AGS; Germany is "DG". ``is_reference`` marks the
    reference rows. Missing values have a null value and keep their marker. Sorted by region, then period.
    """
    scope.require_alliance(alliance_id)
    kreise = alliance_kreise(engine, scope, alliance_id)
    if not kreise:
        return pl.DataFrame(schema=dict(SERIES_SCHEMA))
    references = sorted({ags[:2] for ags in kreise} | {GERMANY})
    statement = (
        select(
            col(Region.ags),
            col(Region.name),
            col(Region.level),
            col(Region.population),
            col(Region.latitude),
            col(Region.longitude),
            col(Observation.period_start),
            col(Observation.period_end),
            col(Observation.value),
            col(Observation.missing_marker),
        )
        .join(Region, col(Region.ags) == col(Observation.region_ags))
        .where(
            col(Observation.region_ags).in_(kreise + references),
            col(Observation.indicator_id) == indicator_id,
            col(Observation.dimensions) == dimensions,
            regional_rows(),
        )
        .order_by(col(Region.ags), col(Observation.period_end))
    )
    schema = {name: dtype for name, dtype in SERIES_SCHEMA.items() if name != "is_reference"}
    frame = read_frame(engine, statement, schema)
    return frame.with_columns(is_reference=pl.col("region_ags").is_in(references)).select(list(SERIES_SCHEMA))


def money_by_region(engine: Engine, scope: Scope, alliance_id: int, as_of: date) -> pl.DataFrame:
    """Approved money (commitment entries booked up to ``as_of``) of the alliance's projects per Kreis, in cents.

    Split rule: a project linked to several Kreise counts in equal parts for each of them; the cents that do not
    divide evenly go one each to its Kreise in AGS order, so the parts add up exactly to the project's amount.
    Every Kreis of the alliance has a row (0 when nothing is approved there); a Kreis outside the alliance that
    a project names gets a row with ``in_alliance`` false. Projects without any Kreis are not attributed: their
    money is the single row with a null ``region_ags``. ``projects`` counts the projects with money per row.
    The rows therefore add up to the alliance's approved total.
    """
    scope.require_alliance(alliance_id)
    in_alliance = (col(Project.alliance_id) == alliance_id) & project_rows(scope)
    committed_statement = (
        select(col(FinancialEntry.project_id), sum_cents(col(FinancialEntry.amount)))
        .join(Project, entries_of_projects())
        .where(
            in_alliance,
            col(FinancialEntry.kind) == EntryKind.COMMITMENT.value,
            col(FinancialEntry.entry_date) <= as_of,
        )
        .group_by(col(FinancialEntry.project_id))
    )
    committed = read_frame(engine, committed_statement, {"project_id": pl.Int64(), "cents": pl.Int64()})
    links = read_frame(
        engine,
        select(col(ProjectRegion.project_id), col(ProjectRegion.region_ags))
        .join(Project, col(Project.id) == col(ProjectRegion.project_id))
        .where(in_alliance),
        {"project_id": pl.Int64(), "region_ags": pl.String()},
    )
    kreise = alliance_kreise(engine, scope, alliance_id)
    named = sorted(set(kreise) | set(links["region_ags"].to_list()))
    regions = read_frame(
        engine,
        select(col(Region.ags), col(Region.name), col(Region.population)).where(col(Region.ags).in_(named)),
        {"region_ags": pl.String(), "region_name": pl.String(), "population": pl.Int64()},
    ).with_columns(in_alliance=pl.col("region_ags").is_in(kreise))
    split = split_money(committed, links, regions)
    return split.select(pl.col(name).cast(dtype) for name, dtype in MONEY_SCHEMA.items())


def split_money(committed: pl.DataFrame, links: pl.DataFrame, regions: pl.DataFrame) -> pl.DataFrame:
    """Project cents (project_id, cents) over their Kreise (project_id, region_ags) by the rule of money_by_region."""
    shares = (
        committed.join(links, on="project_id")
        .sort("project_id", "region_ags")
        .with_columns(
            n=pl.len().over("project_id"),
            rank=pl.int_range(pl.len()).over("project_id"),
        )
        .with_columns(base=pl.col("cents") // pl.col("n"))
        .with_columns(
            share=pl.col("base") + (pl.col("rank") < pl.col("cents") - pl.col("base") * pl.col("n")).cast(pl.Int64)
        )
    )
    money = shares.group_by("region_ags").agg(
        pl.col("share").sum().alias("committed_cents"),
        (pl.col("cents") != 0).sum().cast(pl.Int64).alias("projects"),
    )
    per_region = (
        regions.join(money, on="region_ags", how="left")
        .with_columns(pl.col("committed_cents", "projects").fill_null(0))
        .sort(pl.col("in_alliance").not_(), "region_ags")
    )
    without = committed.join(links, on="project_id", how="anti")
    without_row = pl.DataFrame(
        {
            "region_ags": [None],
            "region_name": [None],
            "population": [None],
            "in_alliance": [False],
            "committed_cents": [int(without["cents"].sum())],
            "projects": [int((without["cents"] != 0).sum())],
        },
        schema=per_region.schema,
    )
    return pl.concat([per_region, without_row])

"""Scoped reads behind targets and ESF+ indicators: targets, project reports, project links, Kreis statistics."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from sqlalchemy import Engine, select
from sqlmodel import col

from dashboard.data_access.models import (
    Indicator,
    Observation,
    Project,
    ProjectRegion,
    Region,
    Target,
    Topic,
)
from dashboard.data_access.queries import alliance_kreise, project_rows, read_frame, regional_rows
from dashboard.data_access.scope import Scope

TARGET_SCHEMA: dict[str, pl.DataType] = {
    "target_id": pl.Int64(),
    "indicator_id": pl.Int64(),
    "code": pl.String(),
    "name": pl.String(),
    "name_en": pl.String(),
    "unit": pl.String(),
    "direction": pl.String(),
    "scope": pl.String(),
    "topic_id": pl.Int64(),
    "topic": pl.String(),
    "project_id": pl.Int64(),
    "project": pl.String(),
    "description": pl.String(),
    "baseline_value": pl.Float64(),
    "baseline_date": pl.Date(),
    "target_value": pl.Float64(),
    "due_date": pl.Date(),
}

PROJECT_OBSERVATION_SCHEMA: dict[str, pl.DataType] = {
    "project_id": pl.Int64(),
    "indicator_id": pl.Int64(),
    "code": pl.String(),
    "period_end": pl.Date(),
    "dimensions": pl.String(),
    "value": pl.Float64(),
    "is_cumulative": pl.Boolean(),
}


def alliance_targets(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """Every target of an alliance with its indicator, Handlungsfeld or project (by due date, then indicator)."""
    scope.require_alliance(alliance_id)
    statement = (
        select(
            col(Target.id),
            col(Target.indicator_id),
            col(Indicator.code),
            col(Indicator.name),
            col(Indicator.name_en),
            col(Indicator.unit),
            col(Indicator.direction),
            col(Target.scope),
            col(Target.topic_id),
            col(Topic.name),
            col(Target.project_id),
            col(Project.title),
            col(Target.description),
            col(Target.baseline_value),
            col(Target.baseline_date),
            col(Target.target_value),
            col(Target.due_date),
        )
        .join(Indicator, col(Indicator.id) == col(Target.indicator_id))
        .outerjoin(Topic, col(Topic.id) == col(Target.topic_id))
        .outerjoin(Project, col(Project.id) == col(Target.project_id))
        .where(
            col(Target.alliance_id) == alliance_id,
            scope.alliance_filter(col(Target.alliance_id)),
            col(Target.archived_at).is_(None),
            # A project target goes with its project into the archive.
            col(Target.project_id).is_(None) | col(Project.archived_at).is_(None),
        )
        .order_by(col(Target.scope), col(Target.due_date), col(Indicator.code), col(Target.id))
    )
    return read_frame(engine, statement, TARGET_SCHEMA)


def project_observations(
    engine: Engine, scope: Scope, alliance_id: int, *, indicator_ids: Sequence[int] | None = None
) -> pl.DataFrame:
    """The reports of an alliance's projects (all breakdowns), optionally only some indicators."""
    scope.require_alliance(alliance_id)
    statement = (
        select(
            col(Observation.project_id),
            col(Observation.indicator_id),
            col(Indicator.code),
            col(Observation.period_end),
            col(Observation.dimensions),
            col(Observation.value),
            col(Observation.is_cumulative),
        )
        .join(Project, col(Project.id) == col(Observation.project_id))
        .join(Indicator, col(Indicator.id) == col(Observation.indicator_id))
        .where(col(Project.alliance_id) == alliance_id, project_rows(scope))
    )
    if indicator_ids is not None:
        statement = statement.where(col(Observation.indicator_id).in_(sorted(indicator_ids)))
    return read_frame(engine, statement, PROJECT_OBSERVATION_SCHEMA)


def esf_indicators(engine: Engine) -> pl.DataFrame:
    """The ESF+ common indicators (EECO…, EECR…) known to the database, in code order (shared reference data)."""
    statement = (
        select(col(Indicator.id), col(Indicator.code), col(Indicator.name), col(Indicator.name_en))
        .where(col(Indicator.code).like("EEC%"))
        .order_by(col(Indicator.code))
    )
    schema = {"indicator_id": pl.Int64(), "code": pl.String(), "name": pl.String(), "name_en": pl.String()}
    return read_frame(engine, statement, schema).filter(pl.col("code").str.contains(r"^EEC[OR]\d{2}$"))


def project_list(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """Id, title and status of every project of an alliance."""
    scope.require_alliance(alliance_id)
    statement = (
        select(col(Project.id), col(Project.title), col(Project.status))
        .where(col(Project.alliance_id) == alliance_id, project_rows(scope))
        .order_by(col(Project.title))
    )
    return read_frame(engine, statement, {"project_id": pl.Int64(), "title": pl.String(), "status": pl.String()})


def project_regions(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """(project_id, region_ags, region_name): the Kreise each project of an alliance works in."""
    scope.require_alliance(alliance_id)
    statement = (
        select(col(ProjectRegion.project_id), col(Region.ags), col(Region.name))
        .join(Region, col(Region.ags) == col(ProjectRegion.region_ags))
        .join(Project, col(Project.id) == col(ProjectRegion.project_id))
        .where(col(Project.alliance_id) == alliance_id, project_rows(scope))
    )
    return read_frame(
        engine, statement, {"project_id": pl.Int64(), "region_ags": pl.String(), "region_name": pl.String()}
    )


def kreis_observations(engine: Engine, scope: Scope, alliance_id: int, indicator_ids: Sequence[int]) -> pl.DataFrame:
    """Totals of regional statistics for the alliance's Kreise (only the given indicators), with population."""
    scope.require_alliance(alliance_id)
    schema = {
        "indicator_id": pl.Int64(),
        "region_ags": pl.String(),
        "region_name": pl.String(),
        "population": pl.Int64(),
        "period_end": pl.Date(),
        "value": pl.Float64(),
    }
    kreise = alliance_kreise(engine, scope, alliance_id)
    if not indicator_ids or not kreise:
        return pl.DataFrame(schema=schema)
    statement = (
        select(
            col(Observation.indicator_id),
            col(Region.ags),
            col(Region.name),
            col(Region.population),
            col(Observation.period_end),
            col(Observation.value),
        )
        .join(Region, col(Region.ags) == col(Observation.region_ags))
        .where(
            col(Observation.region_ags).in_(kreise),
            col(Observation.indicator_id).in_(sorted(indicator_ids)),
            regional_rows(),
            col(Observation.dimensions) == "",
        )
    )
    return read_frame(engine, statement, schema)


def alliance_kreis_count(engine: Engine, scope: Scope, alliance_id: int) -> int:
    """How many Kreise the alliance's region has (a regional target needs all of them reporting)."""
    scope.require_alliance(alliance_id)
    return len(alliance_kreise(engine, scope, alliance_id))

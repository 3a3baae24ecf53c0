"""Scoped read queries: each takes the caller's scope and returns a pl.DataFrame aggregated in SQL."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
from sqlalchemy import Engine, Executable, extract, func, select
from sqlmodel import col

from dashboard.data_access.models import (
    Alliance,
    AllianceRegion,
    Budget,
    FinancialEntry,
    Member,
    Project,
    Region,
    Topic,
)
from dashboard.data_access.money import cents, sum_cents
from dashboard.data_access.scope import Scope

ALLIANCE_SCHEMA: Mapping[str, pl.DataType] = {
    "id": pl.Int64(),
    "slug": pl.String(),
    "name": pl.String(),
    "short_name": pl.String(),
    "land": pl.String(),
    "programme": pl.String(),
    "office": pl.String(),
    "period_start": pl.Date(),
    "period_end": pl.Date(),
    "description": pl.String(),
    "source": pl.String(),
    "is_example": pl.Boolean(),
}


def read_frame(engine: Engine, statement: Executable, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """Run a SELECT and return its rows with a fixed schema (also when there are none)."""
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return pl.DataFrame([tuple(row) for row in rows], schema=dict(schema), orient="row")


def alliances(engine: Engine, scope: Scope) -> pl.DataFrame:
    """The alliances the scope may read, by name."""
    statement = (
        select(*(getattr(Alliance, column) for column in ALLIANCE_SCHEMA))
        .where(scope.alliance_filter(col(Alliance.id)))
        .order_by(col(Alliance.name))
    )
    return read_frame(engine, statement, ALLIANCE_SCHEMA)


def alliance_regions(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """The Kreise and kreisfreie Städte of an alliance's region."""
    scope.require_alliance(alliance_id)
    statement = (
        select(
            col(Region.ags),
            col(Region.name),
            col(Region.kind),
            col(Region.land),
            col(Region.population),
            col(Region.latitude),
            col(Region.longitude),
        )
        .join(AllianceRegion, col(AllianceRegion.region_ags) == col(Region.ags))
        .where(col(AllianceRegion.alliance_id) == alliance_id)
        .order_by(col(Region.ags))
    )
    schema = {
        "ags": pl.String(),
        "name": pl.String(),
        "kind": pl.String(),
        "land": pl.String(),
        "population": pl.Int64(),
        "latitude": pl.Float64(),
        "longitude": pl.Float64(),
    }
    return read_frame(engine, statement, schema)


def members(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """The partner organisations of an alliance with their home region."""
    scope.require_alliance(alliance_id)
    statement = (
        select(
            col(Member.id),
            col(Member.name),
            col(Member.member_type),
            col(Member.region_ags),
            col(Region.name),
            col(Member.joined_on),
        )
        .outerjoin(Region, col(Region.ags) == col(Member.region_ags))
        .where(col(Member.alliance_id) == alliance_id, scope.alliance_filter(col(Member.alliance_id)))
        .order_by(col(Member.name))
    )
    schema = {
        "id": pl.Int64(),
        "name": pl.String(),
        "member_type": pl.String(),
        "region_ags": pl.String(),
        "region_name": pl.String(),
        "joined_on": pl.Date(),
    }
    return read_frame(engine, statement, schema)


def member_type_counts(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """Number of partners per organisation type."""
    scope.require_alliance(alliance_id)
    statement = (
        select(col(Member.member_type), func.count())
        .where(col(Member.alliance_id) == alliance_id, scope.alliance_filter(col(Member.alliance_id)))
        .group_by(col(Member.member_type))
        .order_by(func.count().desc(), col(Member.member_type))
    )
    return read_frame(engine, statement, {"member_type": pl.String(), "members": pl.Int64()})


def topics(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """The Handlungsfelder of an alliance."""
    scope.require_alliance(alliance_id)
    statement = (
        select(col(Topic.id), col(Topic.name), col(Topic.description))
        .where(col(Topic.alliance_id) == alliance_id, scope.alliance_filter(col(Topic.alliance_id)))
        .order_by(col(Topic.name))
    )
    return read_frame(engine, statement, {"id": pl.Int64(), "name": pl.String(), "description": pl.String()})


def project_status_counts(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """Projects and their approved grants per status."""
    scope.require_alliance(alliance_id)
    statement = (
        select(col(Project.status), func.count(), sum_cents(col(Project.approved_grant)))
        .where(col(Project.alliance_id) == alliance_id, scope.alliance_filter(col(Project.alliance_id)))
        .group_by(col(Project.status))
    )
    schema = {"status": pl.String(), "projects": pl.Int64(), "approved_grant_cents": pl.Int64()}
    return read_frame(engine, statement, schema)


def budget_by_fund_year(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """The planned (virtual) budget per fund and year."""
    scope.require_alliance(alliance_id)
    statement = (
        select(col(Budget.fund), col(Budget.year), sum_cents(col(Budget.planned_amount)))
        .where(col(Budget.alliance_id) == alliance_id, scope.alliance_filter(col(Budget.alliance_id)))
        .group_by(col(Budget.fund), col(Budget.year))
        .order_by(col(Budget.year), col(Budget.fund))
    )
    return read_frame(engine, statement, {"fund": pl.String(), "year": pl.Int32(), "planned_cents": pl.Int64()})


def financial_flows_by_month(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """Commitments and disbursements of the alliance's projects, summed per calendar month and kind."""
    scope.require_alliance(alliance_id)
    year = extract("year", col(FinancialEntry.entry_date))
    month = extract("month", col(FinancialEntry.entry_date))
    statement = (
        select(year, month, col(FinancialEntry.kind), func.sum(cents(col(FinancialEntry.amount))))
        .join(Project, col(Project.id) == col(FinancialEntry.project_id))
        .where(col(Project.alliance_id) == alliance_id, scope.alliance_filter(col(Project.alliance_id)))
        .group_by(year, month, col(FinancialEntry.kind))
        .order_by(year, month)
    )
    schema = {"year": pl.Int32(), "month": pl.Int8(), "kind": pl.String(), "amount_cents": pl.Int64()}
    return read_frame(engine, statement, schema)

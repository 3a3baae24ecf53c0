"""Scoped read queries: each takes the caller's scope and returns a pl.DataFrame aggregated in SQL."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
from sqlalchemy import Engine, Select, extract, func, select

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


def read_frame(engine: Engine, statement: Select[tuple[object, ...]], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """Run a SELECT and return its rows with a fixed schema (also when there are none)."""
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return pl.DataFrame([tuple(row) for row in rows], schema=dict(schema), orient="row")


def alliances(engine: Engine, scope: Scope) -> pl.DataFrame:
    """The alliances the scope may read, by name."""
    statement = (
        select(*(getattr(Alliance, column) for column in ALLIANCE_SCHEMA))
        .where(scope.alliance_filter(Alliance.id))
        .order_by(Alliance.name)
    )
    return read_frame(engine, statement, ALLIANCE_SCHEMA)


def alliance_regions(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """The Kreise and kreisfreie Städte of an alliance's region."""
    scope.require_alliance(alliance_id)
    statement = (
        select(Region.ags, Region.name, Region.kind, Region.land, Region.population, Region.latitude, Region.longitude)
        .join(AllianceRegion, AllianceRegion.region_ags == Region.ags)
        .where(AllianceRegion.alliance_id == alliance_id)
        .order_by(Region.ags)
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
        select(Member.id, Member.name, Member.member_type, Member.region_ags, Region.name, Member.joined_on)
        .outerjoin(Region, Region.ags == Member.region_ags)
        .where(Member.alliance_id == alliance_id, scope.alliance_filter(Member.alliance_id))
        .order_by(Member.name)
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
        select(Member.member_type, func.count())
        .where(Member.alliance_id == alliance_id, scope.alliance_filter(Member.alliance_id))
        .group_by(Member.member_type)
        .order_by(func.count().desc(), Member.member_type)
    )
    return read_frame(engine, statement, {"member_type": pl.String(), "members": pl.Int64()})


def topics(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """The Handlungsfelder of an alliance."""
    scope.require_alliance(alliance_id)
    statement = (
        select(Topic.id, Topic.name, Topic.description)
        .where(Topic.alliance_id == alliance_id, scope.alliance_filter(Topic.alliance_id))
        .order_by(Topic.name)
    )
    return read_frame(engine, statement, {"id": pl.Int64(), "name": pl.String(), "description": pl.String()})


def project_status_counts(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """Projects and their approved grants per status."""
    scope.require_alliance(alliance_id)
    statement = (
        select(Project.status, func.count(), sum_cents(Project.approved_grant))
        .where(Project.alliance_id == alliance_id, scope.alliance_filter(Project.alliance_id))
        .group_by(Project.status)
    )
    schema = {"status": pl.String(), "projects": pl.Int64(), "approved_grant_cents": pl.Int64()}
    return read_frame(engine, statement, schema)


def budget_by_fund_year(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """The planned (virtual) budget per fund and year."""
    scope.require_alliance(alliance_id)
    statement = (
        select(Budget.fund, Budget.year, sum_cents(Budget.planned_amount))
        .where(Budget.alliance_id == alliance_id, scope.alliance_filter(Budget.alliance_id))
        .group_by(Budget.fund, Budget.year)
        .order_by(Budget.year, Budget.fund)
    )
    return read_frame(engine, statement, {"fund": pl.String(), "year": pl.Int32(), "planned_cents": pl.Int64()})


def financial_flows_by_month(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """Commitments and disbursements of the alliance's projects, summed per calendar month and kind."""
    scope.require_alliance(alliance_id)
    year = extract("year", FinancialEntry.entry_date)
    month = extract("month", FinancialEntry.entry_date)
    statement = (
        select(year, month, FinancialEntry.kind, func.sum(cents(FinancialEntry.amount)))
        .join(Project, Project.id == FinancialEntry.project_id)
        .where(Project.alliance_id == alliance_id, scope.alliance_filter(Project.alliance_id))
        .group_by(year, month, FinancialEntry.kind)
        .order_by(year, month)
    )
    schema = {"year": pl.Int32(), "month": pl.Int8(), "kind": pl.String(), "amount_cents": pl.Int64()}
    return read_frame(engine, statement, schema)

"""Scoped read queries: each takes the caller's scope and returns a pl.DataFrame aggregated in SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Engine, Executable, Text, and_, case, cast, func, literal, select, true
from sqlmodel import col

from dashboard.data_access.models import (
    Alliance,
    AllianceRegion,
    Assessment,
    Budget,
    FinancialEntry,
    Indicator,
    Member,
    Observation,
    Project,
    ProjectPartner,
    ProjectRegion,
    ProjectTopic,
    Region,
    Statement,
    Target,
    Topic,
)
from dashboard.data_access.money import cents, sum_cents
from dashboard.data_access.project_filter import ProjectFilter, filter_projects
from dashboard.data_access.scope import Scope
from dashboard.data_access.vocabulary import EntryKind, Fund

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


def regional_rows() -> ColumnElement[bool]:
    """``observation.project_id IS NULL`` (regional statistics), written so SQLite keeps to the region/indicator
    indexes: it would otherwise search the project index for NULL, the key of nearly every row (2 M on the large
    instance), and turn a 1 ms lookup into a 300 ms scan. The ``+ 0`` is the documented way to opt a term out."""
    return (col(Observation.project_id) + 0).is_(None)


def project_rows(scope: Scope) -> ColumnElement[bool]:
    """The projects a scope may read: its alliances' projects that are not archived (soft-deleted)."""
    return and_(scope.alliance_filter(col(Project.alliance_id)), col(Project.archived_at).is_(None))


def entries_of_projects() -> ColumnElement[bool]:
    """Join condition of financial entries to their project, leaving out archived entries."""
    return and_(col(Project.id) == col(FinancialEntry.project_id), col(FinancialEntry.archived_at).is_(None))


def alliance_kreise(engine: Engine, scope: Scope, alliance_id: int) -> list[str]:
    """The AGS of the Kreise of an alliance's region, sorted: the keys regional lookups start from."""
    scope.require_alliance(alliance_id)
    statement = (
        select(col(AllianceRegion.region_ags))
        .where(col(AllianceRegion.alliance_id) == alliance_id, scope.alliance_filter(col(AllianceRegion.alliance_id)))
        .order_by(col(AllianceRegion.region_ags))
    )
    return read_frame(engine, statement, {"ags": pl.String()})["ags"].to_list()


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
        .where(col(Project.alliance_id) == alliance_id, project_rows(scope))
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


def _funds_clause(column: Any, funds: Sequence[str] | None) -> ColumnElement[bool]:
    return col(column).in_(list(funds)) if funds else true()


def financial_flows_by_day(
    engine: Engine,
    scope: Scope,
    alliance_id: int,
    project_id: int | None = None,
    *,
    funds: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Commitments and disbursements of the alliance's projects (or one of them), summed per day, fund and kind.

    Only entries of ``funds`` count (None: all). Daily sums keep the Stichtag exact; a funding period has at most
    a few thousand booking days.
    """
    scope.require_alliance(alliance_id)
    day = col(FinancialEntry.entry_date)
    statement = (
        select(day, col(FinancialEntry.fund), col(FinancialEntry.kind), func.sum(cents(col(FinancialEntry.amount))))
        .join(Project, entries_of_projects())
        .where(
            col(Project.alliance_id) == alliance_id,
            project_rows(scope),
            _funds_clause(FinancialEntry.fund, funds),
        )
        .group_by(day, col(FinancialEntry.fund), col(FinancialEntry.kind))
        .order_by(day)
    )
    if project_id is not None:
        # One project's bookings are its money details: a member reads them for its own projects only.
        statement = statement.where(
            col(Project.id) == project_id, scope.money_filter(col(Project.id), col(Project.lead_member_id))
        )
    schema = {"entry_date": pl.Date(), "fund": pl.String(), "kind": pl.String(), "amount_cents": pl.Int64()}
    return read_frame(engine, statement, schema)


def project_targets(engine: Engine, scope: Scope, alliance_id: int, project_id: int) -> pl.DataFrame:
    """The targets set for one project, with their indicator."""
    scope.require_alliance(alliance_id)
    statement = (
        select(
            col(Indicator.code),
            col(Indicator.name),
            col(Indicator.unit),
            col(Target.baseline_value),
            col(Target.target_value),
            col(Target.due_date),
        )
        .join(Indicator, col(Indicator.id) == col(Target.indicator_id))
        .where(
            col(Target.alliance_id) == alliance_id,
            col(Target.project_id) == project_id,
            scope.alliance_filter(col(Target.alliance_id)),
            col(Target.archived_at).is_(None),
        )
        .order_by(col(Target.due_date))
    )
    schema = {
        "code": pl.String(),
        "name": pl.String(),
        "unit": pl.String(),
        "baseline_value": pl.Float64(),
        "target_value": pl.Float64(),
        "due_date": pl.Date(),
    }
    return read_frame(engine, statement, schema)


def project_latest_values(engine: Engine, scope: Scope, alliance_id: int, project_id: int) -> pl.DataFrame:
    """The latest reported value of each indicator of one project (totals, not breakdowns)."""
    scope.require_alliance(alliance_id)
    statement = (
        select(
            col(Indicator.code),
            col(Indicator.name),
            col(Indicator.unit),
            col(Observation.period_end),
            col(Observation.value),
            col(Observation.is_cumulative),
        )
        .join(Indicator, col(Indicator.id) == col(Observation.indicator_id))
        .join(Project, col(Project.id) == col(Observation.project_id))
        .where(
            col(Observation.project_id) == project_id,
            col(Observation.dimensions) == "",
            col(Project.alliance_id) == alliance_id,
            project_rows(scope),
        )
    )
    schema = {
        "code": pl.String(),
        "name": pl.String(),
        "unit": pl.String(),
        "period_end": pl.Date(),
        "value": pl.Float64(),
        "is_cumulative": pl.Boolean(),
    }
    # Latest per indicator: a cumulative series' last value is its total, never a sum over dates.
    return (
        read_frame(engine, statement, schema)
        .sort("period_end")
        .group_by("code", maintain_order=True)
        .last()
        .sort("code")
    )


ASSESSMENT_SCHEMA: Mapping[str, pl.DataType] = {
    "number": pl.Int64(),  # null: assessments but no statement yet
    "is_final": pl.Boolean(),
    "recommendation": pl.String(),
    "weighted_total": pl.Float64(),
    "finalised_on": pl.Date(),
    "assessments": pl.Int64(),
}


def project_assessment(engine: Engine, scope: Scope, alliance_id: int, project_id: int) -> pl.DataFrame:
    """The application's latest statement (Stellungnahme) and how many assessments it has: one row, or none when
    it was never assessed. Drafts count for speakers and admins only; everyone else sees the latest final one."""
    scope.require_alliance(alliance_id)
    project = select(col(Project.id)).where(
        col(Project.id) == project_id, col(Project.alliance_id) == alliance_id, project_rows(scope)
    )
    latest = select(
        col(Statement.number),
        col(Statement.finalised_at).is_not(None),
        col(Statement.recommendation),
        col(Statement.weighted_total),
        col(Statement.finalised_at),
    ).where(col(Statement.project_id).in_(project))
    if not scope.can_manage_alliance(alliance_id):
        latest = latest.where(col(Statement.finalised_at).is_not(None))
    with engine.connect() as connection:
        row = connection.execute(latest.order_by(col(Statement.number).desc()).limit(1)).first()
        count = connection.execute(
            select(func.count()).select_from(Assessment).where(col(Assessment.project_id).in_(project))
        ).scalar_one()
    if row is None and not count:
        return pl.DataFrame(schema=dict(ASSESSMENT_SCHEMA))
    number, is_final, recommendation, total, finalised_at = row if row is not None else (None,) * 5
    finalised_on = finalised_at.date() if isinstance(finalised_at, datetime) else None
    return pl.DataFrame(
        [(number, is_final, recommendation, total, finalised_on, int(count))],
        schema=dict(ASSESSMENT_SCHEMA),
        orient="row",
    )


PORTFOLIO_SCHEMA: Mapping[str, pl.DataType] = {
    "id": pl.Int64(),
    "title": pl.String(),
    "description": pl.String(),
    "status": pl.String(),
    "fund": pl.String(),
    "start_date": pl.Date(),
    "end_date": pl.Date(),
    "lead_member_id": pl.Int64(),
    "lead_name": pl.String(),
    "total_cost_cents": pl.Int64(),
    "requested_cents": pl.Int64(),
    "approved_cents": pl.Int64(),
    "committed_cents": pl.Int64(),
    "disbursed_cents": pl.Int64(),
    "money_visible": pl.Boolean(),  # False: the scope sees this project's money in totals only
    "source": pl.String(),
    "is_example": pl.Boolean(),
}


def _money_by_kind(kind: EntryKind) -> ColumnElement[int]:
    amount = case((col(FinancialEntry.kind) == kind.value, cents(col(FinancialEntry.amount))), else_=0)
    return func.coalesce(func.sum(amount), 0)


def _link_lists(engine: Engine, statement: Executable, value: str, name: str) -> pl.DataFrame:
    """(project_id, value) link rows folded into one list column per project."""
    links = read_frame(engine, statement, {"project_id": pl.Int64(), value: pl.String()})
    return links.sort("project_id", value).group_by("project_id").agg(pl.col(value).alias(name))


def project_portfolio(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """Every project of an alliance, one row each, with money sums and list columns of its links.

    List columns: topic_names, region_ags, region_names, partner_names (empty lists where none).
    """
    scope.require_alliance(alliance_id)
    in_alliance = (col(Project.alliance_id) == alliance_id) & project_rows(scope)
    # Other partners' money is for totals only: a member sees its own projects' amounts, the rest as null.
    visible = scope.money_filter(col(Project.id), col(Project.lead_member_id))

    def shown(amount: ColumnElement[Any]) -> ColumnElement[Any]:
        return amount if scope.sees_all_money else case((visible, amount), else_=None)

    money = (
        select(
            col(FinancialEntry.project_id).label("project_id"),
            _money_by_kind(EntryKind.COMMITMENT).label("committed"),
            _money_by_kind(EntryKind.DISBURSEMENT).label("disbursed"),
        )
        .join(Project, entries_of_projects())
        .where(in_alliance)
        .group_by(col(FinancialEntry.project_id))
        .subquery()
    )
    statement = (
        select(
            col(Project.id),
            col(Project.title),
            col(Project.description),
            col(Project.status),
            col(Project.fund),
            col(Project.start_date),
            col(Project.end_date),
            col(Project.lead_member_id),
            col(Member.name),
            shown(cents(col(Project.total_cost))),
            shown(cents(col(Project.requested_grant))),
            shown(cents(col(Project.approved_grant))),
            shown(func.coalesce(money.c.committed, 0)),
            shown(func.coalesce(money.c.disbursed, 0)),
            visible,
            col(Project.source),
            col(Project.is_example),
        )
        .join(Member, col(Member.id) == col(Project.lead_member_id))
        .outerjoin(money, money.c.project_id == col(Project.id))
        .where(in_alliance)
        .order_by(col(Project.title))
    )
    projects = read_frame(engine, statement, PORTFOLIO_SCHEMA)
    topics = _link_lists(
        engine,
        select(col(ProjectTopic.project_id), col(Topic.name))
        .join(Topic, col(Topic.id) == col(ProjectTopic.topic_id))
        .join(Project, col(Project.id) == col(ProjectTopic.project_id))
        .where(in_alliance),
        "name",
        "topic_names",
    )
    region_rows = read_frame(
        engine,
        select(col(ProjectRegion.project_id), col(Region.ags), col(Region.name))
        .join(Region, col(Region.ags) == col(ProjectRegion.region_ags))
        .join(Project, col(Project.id) == col(ProjectRegion.project_id))
        .where(in_alliance),
        {"project_id": pl.Int64(), "ags": pl.String(), "name": pl.String()},
    )
    regions = (
        region_rows.sort("project_id", "ags")
        .group_by("project_id")
        .agg(pl.col("ags").alias("region_ags"), pl.col("name").alias("region_names"))
    )
    partners = _link_lists(
        engine,
        select(col(ProjectPartner.project_id), col(Member.name))
        .join(Member, col(Member.id) == col(ProjectPartner.member_id))
        .join(Project, col(Project.id) == col(ProjectPartner.project_id))
        .where(in_alliance),
        "name",
        "partner_names",
    )
    result = projects
    for links in (topics, regions, partners):
        result = result.join(links, left_on="id", right_on="project_id", how="left")
    empty_list = pl.lit([], dtype=pl.List(pl.String()))
    return result.with_columns(
        pl.col(name).fill_null(empty_list) for name in ("topic_names", "region_ags", "region_names", "partner_names")
    )


def projects(engine: Engine, scope: Scope, alliance_id: int, flt: ProjectFilter) -> pl.DataFrame:
    """The alliance's projects that pass the filter: the one query behind the page, the exports and the CLI."""
    return filter_projects(project_portfolio(engine, scope, alliance_id), flt)


# --- Fund use (Mittelverwendung) -------------------------------------------------------------------------


def budgets(engine: Engine, scope: Scope, alliance_ids: Sequence[int] | None = None) -> pl.DataFrame:
    """The planned budget per alliance, fund and year, for the given alliances (None: every readable one)."""
    if alliance_ids is not None:
        for alliance_id in alliance_ids:
            scope.require_alliance(alliance_id)
    statement = (
        select(col(Budget.alliance_id), col(Budget.fund), col(Budget.year), sum_cents(col(Budget.planned_amount)))
        .where(scope.alliance_filter(col(Budget.alliance_id)))
        .group_by(col(Budget.alliance_id), col(Budget.fund), col(Budget.year))
        .order_by(col(Budget.alliance_id), col(Budget.year), col(Budget.fund))
    )
    if alliance_ids is not None:
        statement = statement.where(col(Budget.alliance_id).in_(list(alliance_ids)))
    schema = {"alliance_id": pl.Int64(), "fund": pl.String(), "year": pl.Int32(), "planned_cents": pl.Int64()}
    return read_frame(engine, statement, schema)


PROJECT_MONEY_SCHEMA: Mapping[str, pl.DataType] = {
    "project_id": pl.Int64(),
    "alliance_id": pl.Int64(),
    "title": pl.String(),
    "lead_name": pl.String(),
    "status": pl.String(),
    "fund": pl.String(),
    "start_date": pl.Date(),
    "end_date": pl.Date(),
    "total_cost_cents": pl.Int64(),
    "approved_cents": pl.Int64(),
    "committed_cents": pl.Int64(),
    "disbursed_cents": pl.Int64(),
    "counted_cents": pl.Int64(),
    "commitments": pl.Int64(),
}


def project_money(
    engine: Engine,
    scope: Scope,
    as_of: date,
    *,
    alliance_ids: Sequence[int] | None = None,
    funds: Sequence[str] | None = None,
    counting_until: Mapping[int, date] | None = None,
) -> pl.DataFrame:
    """Every project with its grant and the money booked up to ``as_of``, summed in SQL.

    Per-project money is a detail: a member's scope gets only the projects its organisation leads or joins.

    Only entries of ``funds`` count (None: all funds); the approved grant counts when the project's own fund is
    among them (a project's commitments and payments follow their entries' funds, its grant its own fund).
    ``commitments`` is the number of commitment entries booked by ``as_of``. ``counted_cents`` are
    the disbursements up to the earlier of ``as_of`` and the alliance's
    ``counting_until`` day (the last day on which a payment still counts for the funding period).
    """
    if alliance_ids is not None:
        for alliance_id in alliance_ids:
            scope.require_alliance(alliance_id)
    entry_day = col(FinancialEntry.entry_date)
    # Only alliances whose counting day lies before as_of need a CASE branch: for the others "booked by as_of"
    # already implies "paid by the counting day". A branch per alliance would be tried for every entry (50 × 500,000
    # on the large instance; a fifth of the comparison query on PostgreSQL).
    limits = [
        (col(Project.alliance_id) == alliance, day) for alliance, day in (counting_until or {}).items() if day < as_of
    ]
    counted_until = case(*limits, else_=as_of) if limits else literal(as_of)
    booked = entry_day <= as_of
    is_disbursement = col(FinancialEntry.kind) == EntryKind.DISBURSEMENT.value

    def total(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, cents(col(FinancialEntry.amount))), else_=0)), 0)

    own_money = scope.money_filter(col(Project.id), col(Project.lead_member_id))
    narrowed = [project_rows(scope), own_money, _funds_clause(FinancialEntry.fund, funds)]
    if alliance_ids is not None:
        # Narrow the aggregate itself, not only the outer join: otherwise every entry of every alliance is summed.
        narrowed.append(col(Project.alliance_id).in_(list(alliance_ids)))
    money = (
        select(
            col(FinancialEntry.project_id).label("project_id"),
            total(booked & (col(FinancialEntry.kind) == EntryKind.COMMITMENT.value)).label("committed"),
            total(booked & is_disbursement).label("disbursed"),
            total(booked & is_disbursement & (entry_day <= counted_until)).label("counted"),
            func.count(case((booked & (col(FinancialEntry.kind) == EntryKind.COMMITMENT.value), 1))).label(
                "commitments"
            ),
        )
        .join(Project, entries_of_projects())
        .where(*narrowed)
        .group_by(col(FinancialEntry.project_id))
        .subquery()
    )
    approved = cents(func.coalesce(col(Project.approved_grant), 0))
    statement = (
        select(
            col(Project.id),
            col(Project.alliance_id),
            col(Project.title),
            col(Member.name),
            col(Project.status),
            col(Project.fund),
            col(Project.start_date),
            col(Project.end_date),
            cents(col(Project.total_cost)),
            case((_funds_clause(Project.fund, funds), approved), else_=0),
            func.coalesce(money.c.committed, 0),
            func.coalesce(money.c.disbursed, 0),
            func.coalesce(money.c.counted, 0),
            func.coalesce(money.c.commitments, 0),
        )
        .join(Member, col(Member.id) == col(Project.lead_member_id))
        .outerjoin(money, money.c.project_id == col(Project.id))
        .where(project_rows(scope), own_money)
        .order_by(col(Project.alliance_id), col(Project.title))
    )
    if alliance_ids is not None:
        statement = statement.where(col(Project.alliance_id).in_(list(alliance_ids)))
    return read_frame(engine, statement, PROJECT_MONEY_SCHEMA)


# The Stichtag-independent half of project_money, for pages that ask for many Stichtage (Bündnisvergleich,
# Mittelverwendung): what project_money sums in SQL for one day is summed here in Polars for any day, from the
# entries read once. On the large instance project_money scans 500,000 entries for every Stichtag (0.3–0.6 s); the
# book is read once per scope and change, and each Stichtag then costs milliseconds. A per-alliance or per-month
# pre-aggregate would be smaller but could not give the same answer: the forecast and its lagging flag are per
# project and not linear in the money, and the Stichtag is day-exact.

PROJECT_BASE_SCHEMA: Mapping[str, pl.DataType] = {
    name: dtype
    for name, dtype in PROJECT_MONEY_SCHEMA.items()
    if name not in {"committed_cents", "disbursed_cents", "counted_cents", "commitments"}
}
# What the comparison of alliances needs of each project (project_money_book(details=False)).
SLIM_PROJECT_COLUMNS = ("project_id", "alliance_id", "fund", "start_date", "end_date", "approved_cents")
ENTRY_FUNDS = pl.Enum([fund.value for fund in Fund])
BOOK_ENTRY_SCHEMA: Mapping[str, pl.DataType] = {
    "project_id": pl.Int32(),
    "entry_date": pl.Date(),
    "amount_cents": pl.Int64(),
    "fund": ENTRY_FUNDS,  # null when the book was read without funds
}


@dataclass(frozen=True)
class ProjectMoneyBook:
    """Every project project_money would list, and all of their entries (one row each)."""

    projects: pl.DataFrame  # PROJECT_BASE_SCHEMA (or SLIM_PROJECT_COLUMNS) in project_money's order
    commitments: pl.DataFrame  # BOOK_ENTRY_SCHEMA, in project order
    disbursements: pl.DataFrame  # BOOK_ENTRY_SCHEMA, in project order
    by_fund: bool  # whether the entries carry their fund (needed to filter by fund)


def _json_list(engine: Engine, column: Any) -> ColumnElement[str]:
    """The values of a column in a group as one JSON array (text)."""
    if engine.dialect.name == "postgresql":
        return cast(func.json_agg(column), Text)
    return func.json_group_array(column)  # SQLite's JSON functions are built in since 3.38


def project_money_book(
    engine: Engine,
    scope: Scope,
    *,
    alliance_ids: Sequence[int] | None = None,
    by_fund: bool = True,
    details: bool = True,
) -> ProjectMoneyBook:
    """What project_money reads, for every Stichtag at once: the same projects (same scope and money filter)
    without the sums, and all their entries. ``project_money_on`` gives project_money's answer for a day.

    Less to read where a page needs less: ``by_fund=False`` leaves the entries' funds out (such a book cannot
    filter by fund), ``details=False`` the projects' title, lead, status and total cost.
    """
    if alliance_ids is not None:
        for alliance_id in alliance_ids:
            scope.require_alliance(alliance_id)
    narrowed = [project_rows(scope), scope.money_filter(col(Project.id), col(Project.lead_member_id))]
    if alliance_ids is not None:
        narrowed.append(col(Project.alliance_id).in_(list(alliance_ids)))
    columns: dict[str, Any] = {
        "project_id": col(Project.id),
        "alliance_id": col(Project.alliance_id),
        "title": col(Project.title),
        "lead_name": col(Member.name),
        "status": col(Project.status),
        "fund": col(Project.fund),
        "start_date": col(Project.start_date),
        "end_date": col(Project.end_date),
        "total_cost_cents": cents(col(Project.total_cost)),
        "approved_cents": cents(func.coalesce(col(Project.approved_grant), 0)),
    }
    if not details:
        columns = {name: columns[name] for name in SLIM_PROJECT_COLUMNS}
    projects = select(*columns.values()).where(*narrowed).order_by(col(Project.alliance_id), col(Project.title))
    if details:
        projects = projects.join(Member, col(Member.id) == col(Project.lead_member_id))
    # One row per project and kind with its entries' days, amounts (and funds) as JSON arrays: a row per entry
    # would cost more to hand from the driver to Polars than the query itself (500,000 rows on the large instance;
    # this way about a third). The arrays of one group are filled in the same pass over its rows, so they stay
    # aligned. Grouped like the (project, kind, day) index, which SQLite follows without sorting.
    arrays = {"entry_date": col(FinancialEntry.entry_date), "amount_cents": cents(col(FinancialEntry.amount))}
    if by_fund:
        arrays["fund"] = col(FinancialEntry.fund)
    entry_lists = (
        select(
            col(FinancialEntry.project_id),
            col(FinancialEntry.kind),
            *(_json_list(engine, column) for column in arrays.values()),
        )
        .join(Project, entries_of_projects())
        .where(*narrowed)
        .group_by(col(FinancialEntry.project_id), col(FinancialEntry.kind))
    )
    lists = read_frame(
        engine, entry_lists, {"project_id": pl.Int32(), "kind": pl.String(), **dict.fromkeys(arrays, pl.String())}
    )
    element = {"entry_date": pl.String(), "amount_cents": pl.Int64(), "fund": pl.String()}

    def entries(kind: EntryKind) -> pl.DataFrame:
        # In project order (the few list rows are sorted, not the entries): the sums per project over a day's
        # entries then run over contiguous rows, four times faster than over entries in any order.
        return (
            lists.filter(kind=kind.value)
            .sort("project_id")
            .select("project_id", *(pl.col(name).str.json_decode(pl.List(element[name])) for name in arrays))
            .explode(list(arrays))
            .select(
                "project_id",
                pl.col("entry_date").str.to_date("%Y-%m-%d"),
                "amount_cents",
                (pl.col("fund") if by_fund else pl.lit(None)).cast(ENTRY_FUNDS).alias("fund"),
            )
        )

    return ProjectMoneyBook(
        projects=read_frame(engine, projects, {name: PROJECT_BASE_SCHEMA[name] for name in columns}),
        commitments=entries(EntryKind.COMMITMENT),
        disbursements=entries(EntryKind.DISBURSEMENT),
        by_fund=by_fund,
    )


def project_money_on(
    book: ProjectMoneyBook,
    as_of: date,
    *,
    funds: Sequence[str] | None = None,
    counting_until: Mapping[int, date] | None = None,
) -> pl.DataFrame:
    """project_money(…, as_of, funds=…, counting_until=…) for the book's scope and alliances, summed in Polars:
    the same rows in the same order with the same figures (tests/unit/test_fund_use_queries.py holds them equal)."""
    if funds and not book.by_fund:
        raise ValueError("this book was read without funds")
    known = [fund.value for fund in Fund if fund.value in set(funds or ())]

    def booked(entries: pl.DataFrame) -> pl.DataFrame:
        up_to = pl.col("entry_date") <= as_of
        return entries.filter(up_to & pl.col("fund").is_in(known) if funds else up_to)

    committed = (
        booked(book.commitments)
        .group_by("project_id")
        .agg(pl.col("amount_cents").sum().alias("committed_cents"), pl.len().cast(pl.Int64).alias("commitments"))
    )
    paid = booked(book.disbursements)
    disbursed = paid.group_by("project_id").agg(pl.col("amount_cents").sum().alias("disbursed_cents"))
    # Payments after an alliance's counting day (where that lies before as_of) do not count for its period.
    limits = {alliance: day for alliance, day in (counting_until or {}).items() if day < as_of}
    if limits:
        counting = pl.DataFrame(
            {"alliance_id": list(limits), "counting_until": list(limits.values())},
            schema={"alliance_id": pl.Int64(), "counting_until": pl.Date()},
        )
        owners = book.projects.select(pl.col("project_id").cast(pl.Int32), "alliance_id")
        owners = owners.join(counting, on="alliance_id")
        late = (
            paid.filter(pl.col("entry_date") > min(limits.values()))
            .join(owners, on="project_id")
            .filter(pl.col("entry_date") > pl.col("counting_until"))
            .group_by("project_id")
            .agg(pl.col("amount_cents").sum().alias("late_cents"))
        )
        disbursed = disbursed.join(late, on="project_id", how="left")
    else:
        disbursed = disbursed.with_columns(pl.lit(None, dtype=pl.Int64).alias("late_cents"))
    sums = committed.join(disbursed, on="project_id", how="full", coalesce=True).select(
        pl.col("project_id").cast(pl.Int64),
        "committed_cents",
        "disbursed_cents",
        (pl.col("disbursed_cents") - pl.col("late_cents").fill_null(0)).alias("counted_cents"),
        "commitments",
    )
    approved = pl.col("approved_cents")
    if funds:
        approved = pl.when(pl.col("fund").is_in(list(funds))).then(approved).otherwise(0)
    money = ["committed_cents", "disbursed_cents", "counted_cents", "commitments"]
    return (
        book.projects.join(sums, on="project_id", how="left", maintain_order="left")
        .with_columns(pl.col(money).fill_null(0), approved.alias("approved_cents"))
        .select(
            pl.col(name).cast(dtype)
            for name, dtype in PROJECT_MONEY_SCHEMA.items()
            if name in book.projects.columns or name in money
        )
    )


def project_topic_links(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """(project_id, topic_id, topic) of an alliance: a project with several Handlungsfelder appears once per field."""
    scope.require_alliance(alliance_id)
    statement = (
        select(col(ProjectTopic.project_id), col(ProjectTopic.topic_id), col(Topic.name))
        .join(Topic, col(Topic.id) == col(ProjectTopic.topic_id))
        .join(Project, col(Project.id) == col(ProjectTopic.project_id))
        .where(col(Project.alliance_id) == alliance_id, project_rows(scope))
        .order_by(col(ProjectTopic.project_id), col(Topic.name))
    )
    return read_frame(engine, statement, {"project_id": pl.Int64(), "topic_id": pl.Int64(), "topic": pl.String()})


def alliance_populations(engine: Engine, scope: Scope) -> pl.DataFrame:
    """Inhabitants of each readable alliance's region (sum over its Kreise; null where unknown)."""
    statement = (
        select(col(AllianceRegion.alliance_id), func.sum(col(Region.population)))
        .join(Region, col(Region.ags) == col(AllianceRegion.region_ags))
        .where(scope.alliance_filter(col(AllianceRegion.alliance_id)))
        .group_by(col(AllianceRegion.alliance_id))
    )
    return read_frame(engine, statement, {"alliance_id": pl.Int64(), "population": pl.Int64()})


def alliance_funds(engine: Engine, scope: Scope, alliance_id: int) -> list[str]:
    """The funds an alliance has money in (budget or entries), in the vocabulary's order."""
    scope.require_alliance(alliance_id)
    planned = select(col(Budget.fund)).where(
        col(Budget.alliance_id) == alliance_id, scope.alliance_filter(col(Budget.alliance_id))
    )
    booked = (
        select(col(FinancialEntry.fund))
        .join(Project, entries_of_projects())
        .where(col(Project.alliance_id) == alliance_id, project_rows(scope))
    )
    with engine.connect() as connection:
        found = set(connection.execute(planned.union(booked)).scalars())
    return [fund.value for fund in Fund if fund.value in found]


@dataclass(frozen=True)
class FundUseData:
    """What the fund-use view of one alliance is computed from (money in integer cents)."""

    budget: pl.DataFrame  # alliance_id, fund, year, planned_cents
    projects: pl.DataFrame  # project_money
    flows: pl.DataFrame  # financial_flows_by_day
    topic_links: pl.DataFrame  # project_topic_links


def fund_use_data(
    engine: Engine, scope: Scope, alliance_id: int, as_of: date, *, funds: Sequence[str], counting_until: date
) -> FundUseData:
    """Budget, project money up to ``as_of``, daily flows and topic links of an alliance for ``funds`` (empty: all)."""
    chosen = list(funds) or None
    budget = budgets(engine, scope, [alliance_id])
    if chosen:
        budget = budget.filter(pl.col("fund").is_in(chosen))
    return FundUseData(
        budget=budget,
        projects=project_money(
            engine, scope, as_of, alliance_ids=[alliance_id], funds=chosen, counting_until={alliance_id: counting_until}
        ),
        flows=financial_flows_by_day(engine, scope, alliance_id, funds=chosen),
        topic_links=project_topic_links(engine, scope, alliance_id),
    )

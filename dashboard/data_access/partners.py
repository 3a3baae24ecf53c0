"""Scoped reads of what each partner organisation contributes: projects, money, assessments and who works with whom.

Definitions (the Partner page and its exports say the same):

- *projects led / joined*: the alliance's projects (every status, archived ones left out) the organisation leads,
  or takes part in as a partner;
- *approved money led*: the sum of the approved grants of the projects it leads;
- *co-financing*: for each project it leads that has an approved grant, the part of the total cost the grant does
  not cover (total cost − approved grant, never below zero) — the own or third-party share the lead organisation
  raises for the project. Partners' shares are not recorded separately, so the whole share counts for the lead;
- *applications assessed*: the applications it scored as an assessor organisation;
- *last activity*: the latest day on which it gave an assessment, or a project it leads or joins started, had a
  booking (commitment or disbursement) or changed its status — up to ``as_of`` when given, so planned future
  bookings do not count as activity.

Money follows the projects page's rule: speakers, admins and ministry liaisons see every organisation's amounts; a
member sees them only for its own organisation, the other rows carry null and ``money_visible`` False. The amounts
are integer cents like every money column of the data layer (``money.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import (
    ColumnElement,
    Engine,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import CTE
from sqlmodel import col

from dashboard.data_access.models import (
    Assessment,
    AssessmentCriterion,
    AssessmentScore,
    FinancialEntry,
    Member,
    Project,
    ProjectPartner,
    ProjectStatusChange,
    Region,
    Statement,
)
from dashboard.data_access.money import cents, sum_cents
from dashboard.data_access.project_filter import normalised
from dashboard.data_access.queries import project_rows, read_frame
from dashboard.data_access.scope import PermissionDenied, Scope
from dashboard.data_access.vocabulary import Role
from dashboard.data_access.writes import NotFound

__all__ = ["PartnerView", "partner_detail", "partner_network", "partner_overview"]

GERMANY = "Europe/Berlin"

OVERVIEW_SCHEMA: Mapping[str, pl.DataType] = {
    "member_id": pl.Int64(),
    "name": pl.String(),
    "member_type": pl.String(),
    "region_ags": pl.String(),
    "region_name": pl.String(),
    "joined_on": pl.Date(),
    "projects_led": pl.Int64(),
    "projects_joined": pl.Int64(),
    "approved_led_cents": pl.Int64(),  # null where money_visible is False
    "cofinancing_cents": pl.Int64(),  # null where money_visible is False
    "applications_assessed": pl.Int64(),
    "money_visible": pl.Boolean(),
}
NETWORK_SCHEMA: Mapping[str, pl.DataType] = {"member_a": pl.Int64(), "member_b": pl.Int64(), "projects": pl.Int64()}
DETAIL_PROJECT_SCHEMA: Mapping[str, pl.DataType] = {
    "project_id": pl.Int64(),
    "title": pl.String(),
    "status": pl.String(),
    "role": pl.String(),  # "lead" or "partner"
    "lead_name": pl.String(),
    "start_date": pl.Date(),
    "end_date": pl.Date(),
    "approved_cents": pl.Int64(),  # null where money_visible is False
    "money_visible": pl.Boolean(),
}
DETAIL_ASSESSMENT_SCHEMA: Mapping[str, pl.DataType] = {
    "assessment_id": pl.Int64(),
    "project_id": pl.Int64(),
    "title": pl.String(),
    "status": pl.String(),
    "assessed_on": pl.Date(),
    "weighted_total": pl.Float64(),  # null where total_visible is False
    "total_visible": pl.Boolean(),
    "statement_state": pl.String(),  # "none", "draft" or "final"
    "recommendation": pl.String(),  # of the newest finalised statement
}


def _in_alliance(scope: Scope, alliance_id: int) -> ColumnElement[bool]:
    """The alliance's projects the scope may read (archived ones left out)."""
    return and_(col(Project.alliance_id) == alliance_id, project_rows(scope))


def _involvement(scope: Scope, alliance_id: int) -> CTE:
    """(project_id, member_id) of every organisation leading or joining a readable project of the alliance."""
    leads: Any = select(col(Project.id).label("project_id"), col(Project.lead_member_id).label("member_id")).where(
        _in_alliance(scope, alliance_id)
    )
    partners: Any = (
        select(col(ProjectPartner.project_id).label("project_id"), col(ProjectPartner.member_id).label("member_id"))
        .join(Project, col(Project.id) == col(ProjectPartner.project_id))
        .where(_in_alliance(scope, alliance_id))
    )
    return union(leads, partners).cte("involvement")


def _own_money(scope: Scope, member_id: Any) -> ColumnElement[bool]:
    """True where this scope may read the organisation's money: everyone but members, a member its own rows."""
    if scope.sees_all_money:
        return true()
    if not scope.member_ids:
        return false()
    return member_id.in_(sorted(scope.member_ids))


def partner_overview(engine: Engine, scope: Scope, alliance_id: int, *, as_of: date | None = None) -> pl.DataFrame:
    """One row per partner organisation of the alliance with its contributions (see the module's definitions),
    plus ``last_activity`` (Date, null without any); sorted by name."""
    scope.require_alliance(alliance_id)
    in_alliance = _in_alliance(scope, alliance_id)
    approved = col(Project.approved_grant)
    uncovered = case(
        (
            and_(approved.is_not(None), col(Project.total_cost) > approved),
            cents(col(Project.total_cost)) - cents(approved),
        ),
        else_=0,
    )
    led = (
        select(
            col(Project.lead_member_id).label("member_id"),
            func.count().label("projects"),
            sum_cents(approved).label("approved"),
            func.coalesce(func.sum(uncovered), 0).label("cofinancing"),
        )
        .where(in_alliance)
        .group_by(col(Project.lead_member_id))
        .subquery()
    )
    joined = (
        select(col(ProjectPartner.member_id).label("member_id"), func.count().label("projects"))
        .join(Project, col(Project.id) == col(ProjectPartner.project_id))
        .where(in_alliance, col(Project.lead_member_id) != col(ProjectPartner.member_id))
        .group_by(col(ProjectPartner.member_id))
        .subquery()
    )
    assessed = (
        select(
            col(Assessment.assessor_member_id).label("member_id"),
            func.count(func.distinct(col(Assessment.project_id))).label("applications"),
        )
        .join(Project, col(Project.id) == col(Assessment.project_id))
        .where(in_alliance, col(Assessment.assessor_member_id).is_not(None))
        .group_by(col(Assessment.assessor_member_id))
        .subquery()
    )
    visible = _own_money(scope, col(Member.id))

    def shown(amount: ColumnElement[Any]) -> ColumnElement[Any]:
        return amount if scope.sees_all_money else case((visible, amount), else_=None)

    statement = (
        select(
            col(Member.id),
            col(Member.name),
            col(Member.member_type),
            col(Member.region_ags),
            col(Region.name),
            col(Member.joined_on),
            func.coalesce(led.c.projects, 0),
            func.coalesce(joined.c.projects, 0),
            shown(func.coalesce(led.c.approved, 0)),
            shown(func.coalesce(led.c.cofinancing, 0)),
            func.coalesce(assessed.c.applications, 0),
            visible,
        )
        .outerjoin(Region, col(Region.ags) == col(Member.region_ags))
        .outerjoin(led, led.c.member_id == col(Member.id))
        .outerjoin(joined, joined.c.member_id == col(Member.id))
        .outerjoin(assessed, assessed.c.member_id == col(Member.id))
        .where(col(Member.alliance_id) == alliance_id, scope.alliance_filter(col(Member.alliance_id)))
        .order_by(col(Member.id))
    )
    partners = read_frame(engine, statement, OVERVIEW_SCHEMA)
    activity = _last_activity(engine, scope, alliance_id, as_of)
    # Sorted here, not in SQL: the databases' collations differ ("AWO" before or after "Agentur"); this order is the
    # same everywhere and reads like a German index (case and umlauts folded).
    return partners.join(activity, on="member_id", how="left").sort(normalised(pl.col("name")), "member_id")


def _last_activity(engine: Engine, scope: Scope, alliance_id: int, as_of: date | None) -> pl.DataFrame:
    """member_id, last_activity: the latest dated event per organisation (see the module docstring).

    Each project's latest day is taken first (small grouped reads on the project indexes) and then handed to the
    organisations that lead or join it in Polars: one UNION over every event made SQLite scan an alliance's
    bookings once per organisation (~170 ms on the large instance instead of ~20 ms).
    """
    in_alliance = _in_alliance(scope, alliance_id)

    def capped(day: Any) -> ColumnElement[bool]:
        return day <= as_of if as_of is not None else day.is_not(None)

    day_schema = {"project_id": pl.Int64(), "day": pl.Date()}
    starts = read_frame(
        engine,
        select(col(Project.id), col(Project.start_date)).where(in_alliance, capped(col(Project.start_date))),
        day_schema,
    )
    # A correlated MAX per project walks the (project_id, kind, entry_date) index on both databases; a join and
    # GROUP BY made PostgreSQL scan all bookings of every alliance (60 ms on the large instance instead of 5 ms).
    last_booking = (
        select(func.max(col(FinancialEntry.entry_date)))
        .where(
            col(FinancialEntry.project_id) == col(Project.id),
            col(FinancialEntry.archived_at).is_(None),
            capped(col(FinancialEntry.entry_date)),
        )
        .scalar_subquery()
    )
    bookings = read_frame(engine, select(col(Project.id), last_booking).where(in_alliance), day_schema)
    changed_at = col(ProjectStatusChange.changed_at)
    # Status changes are timestamps: "up to as_of" is before the next midnight in Germany, the day is Germany's.
    until = (
        changed_at < datetime.combine(as_of + timedelta(days=1), time(), tzinfo=ZoneInfo(GERMANY)).astimezone(UTC)
        if as_of is not None
        else true()
    )
    changes = read_frame(
        engine,
        select(col(ProjectStatusChange.project_id), func.max(changed_at))
        .join(Project, col(Project.id) == col(ProjectStatusChange.project_id))
        .where(in_alliance, until)
        .group_by(col(ProjectStatusChange.project_id)),
        {"project_id": pl.Int64(), "changed_at": pl.Datetime("us", "UTC")},
    ).select("project_id", pl.col("changed_at").dt.convert_time_zone(GERMANY).dt.date().alias("day"))
    involvement = read_frame(
        engine, select(_involvement(scope, alliance_id)), {"project_id": pl.Int64(), "member_id": pl.Int64()}
    )
    via_projects = (
        pl.concat([starts, bookings, changes])
        .group_by("project_id")
        .agg(pl.col("day").max())
        .join(involvement, on="project_id")
        .select("member_id", "day")
    )
    assessed = read_frame(
        engine,
        select(col(Assessment.assessor_member_id), func.max(col(Assessment.assessed_on)))
        .join(Project, col(Project.id) == col(Assessment.project_id))
        .where(in_alliance, col(Assessment.assessor_member_id).is_not(None), capped(col(Assessment.assessed_on)))
        .group_by(col(Assessment.assessor_member_id)),
        {"member_id": pl.Int64(), "day": pl.Date()},
    )
    return pl.concat([via_projects, assessed]).group_by("member_id").agg(pl.col("day").max().alias("last_activity"))


def partner_network(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """Who works with whom: one row per pair of organisations (member_a < member_b) with the number of readable
    projects of the alliance both lead or join."""
    scope.require_alliance(alliance_id)
    involvement = _involvement(scope, alliance_id)
    first, second = involvement.alias("first"), involvement.alias("second")
    statement = (
        select(first.c.member_id, second.c.member_id, func.count(func.distinct(first.c.project_id)))
        .join(second, and_(first.c.project_id == second.c.project_id, first.c.member_id < second.c.member_id))
        .group_by(first.c.member_id, second.c.member_id)
        .order_by(first.c.member_id, second.c.member_id)
    )
    return read_frame(engine, statement, NETWORK_SCHEMA)


@dataclass(frozen=True)
class PartnerView:
    """One organisation with its projects and the assessments it gave, as the scope may see them."""

    member_id: int
    alliance_id: int
    name: str
    member_type: str
    region_ags: str | None
    region_name: str | None
    joined_on: date | None
    is_own: bool  # the scope's own organisation (a member's)
    projects: pl.DataFrame  # DETAIL_PROJECT_SCHEMA, led first, then by title
    assessments: pl.DataFrame  # DETAIL_ASSESSMENT_SCHEMA, newest first


def partner_detail(engine: Engine, scope: Scope, member_id: int) -> PartnerView:
    """A partner organisation's projects (led or joined) and its assessments; PermissionDenied for a member of an
    alliance the scope may not read, NotFound for an unknown id."""
    head = _member_head(engine, member_id)
    if head is None:
        raise NotFound(f"member {member_id}")
    alliance_id = int(head["alliance_id"])
    if not scope.can_read_alliance(alliance_id):
        raise PermissionDenied(f"{scope.user} ({scope.role}) may not read alliance {alliance_id}")
    return PartnerView(
        member_id=member_id,
        alliance_id=alliance_id,
        name=str(head["name"]),
        member_type=str(head["member_type"]),
        region_ags=head["region_ags"],
        region_name=head["region_name"],
        joined_on=head["joined_on"],
        is_own=scope.role == Role.MEMBER and member_id in scope.member_ids,
        projects=_detail_projects(engine, scope, alliance_id, member_id),
        assessments=_detail_assessments(engine, scope, alliance_id, member_id),
    )


def _member_head(engine: Engine, member_id: int) -> dict[str, Any] | None:
    statement: Any = (
        select(
            col(Member.alliance_id),
            col(Member.name),
            col(Member.member_type),
            col(Member.region_ags),
            col(Region.name).label("region_name"),
            col(Member.joined_on),
        )
        .outerjoin(Region, col(Region.ags) == col(Member.region_ags))
        .where(col(Member.id) == member_id)
    )
    with engine.connect() as connection:
        row = connection.execute(statement).mappings().one_or_none()
    return dict(row) if row is not None else None


def _detail_projects(engine: Engine, scope: Scope, alliance_id: int, member_id: int) -> pl.DataFrame:
    lead = col(Project.lead_member_id) == member_id
    joins = exists(
        select(col(ProjectPartner.project_id)).where(
            col(ProjectPartner.project_id) == col(Project.id), col(ProjectPartner.member_id) == member_id
        )
    )
    visible = scope.money_filter(col(Project.id), col(Project.lead_member_id))
    approved = cents(col(Project.approved_grant))
    statement = (
        select(
            col(Project.id),
            col(Project.title),
            col(Project.status),
            case((lead, literal("lead")), else_=literal("partner")),
            col(Member.name),
            col(Project.start_date),
            col(Project.end_date),
            approved if scope.sees_all_money else case((visible, approved), else_=None),
            visible,
        )
        .join(Member, col(Member.id) == col(Project.lead_member_id))
        .where(_in_alliance(scope, alliance_id), or_(lead, joins))
        .order_by(col(Project.id))
    )
    # Led first, then by title as a German index reads (the databases' collations differ).
    projects = read_frame(engine, statement, DETAIL_PROJECT_SCHEMA)
    return projects.sort(pl.col("role") != "lead", normalised(pl.col("title")), "project_id")


def _scores_per_assessment() -> Any:
    """Σ weight × score and Σ weight over the criteria each assessment scored (the weighted total's parts)."""
    return (
        select(
            col(AssessmentScore.assessment_id).label("assessment_id"),
            func.sum(col(AssessmentCriterion.weight) * col(AssessmentScore.score)).label("points"),
            func.sum(col(AssessmentCriterion.weight)).label("weights"),
        )
        .join(AssessmentCriterion, col(AssessmentCriterion.id) == col(AssessmentScore.criterion_id))
        .group_by(col(AssessmentScore.assessment_id))
    )


def _detail_assessments(engine: Engine, scope: Scope, alliance_id: int, member_id: int) -> pl.DataFrame:
    """Its assessments with their weighted total where the scope may see individual scores: speakers and admins
    always, the organisation itself always, everyone else once the application's statement is finalised."""
    sums = _scores_per_assessment().subquery()
    statements = (
        select(
            col(Statement.project_id).label("project_id"),
            func.count().label("versions"),
            func.max(case((col(Statement.finalised_at).is_not(None), col(Statement.number)), else_=None)).label(
                "final_number"
            ),
        )
        .group_by(col(Statement.project_id))
        .subquery()
    )
    final = aliased(Statement, name="final_statement")
    statement: Any = (
        select(
            col(Assessment.id),
            col(Assessment.project_id),
            col(Project.title),
            col(Project.status),
            col(Assessment.assessed_on),
            sums.c.points,
            sums.c.weights,
            func.coalesce(statements.c.versions, 0),
            statements.c.final_number,
            col(final.recommendation),
        )
        .join(Project, col(Project.id) == col(Assessment.project_id))
        .outerjoin(sums, sums.c.assessment_id == col(Assessment.id))
        .outerjoin(statements, statements.c.project_id == col(Assessment.project_id))
        .outerjoin(
            final,
            and_(col(final.project_id) == col(Assessment.project_id), col(final.number) == statements.c.final_number),
        )
        .where(_in_alliance(scope, alliance_id), col(Assessment.assessor_member_id) == member_id)
        .order_by(col(Assessment.assessed_on).desc(), col(Assessment.id).desc())
    )
    raw = read_frame(
        engine,
        statement,
        {
            "assessment_id": pl.Int64(),
            "project_id": pl.Int64(),
            "title": pl.String(),
            "status": pl.String(),
            "assessed_on": pl.Date(),
            "weighted_points": pl.Int64(),
            "weights": pl.Int64(),
            "versions": pl.Int64(),
            "final_number": pl.Int64(),
            "recommendation": pl.String(),
        },
    )
    is_final = pl.col("final_number").is_not_null()
    sees_all = scope.role in (Role.ADMIN, Role.SPEAKER) or member_id in scope.member_ids
    total_visible = pl.lit(sees_all) | is_final
    total = (pl.col("weighted_points") / pl.col("weights")).round(2)
    return raw.select(
        "assessment_id",
        "project_id",
        "title",
        "status",
        "assessed_on",
        pl.when(total_visible & (pl.col("weights") > 0)).then(total).otherwise(None).alias("weighted_total"),
        total_visible.alias("total_visible"),
        pl.when(is_final)
        .then(pl.lit("final"))
        .when(pl.col("versions") > 0)
        .then(pl.lit("draft"))
        .otherwise(pl.lit("none"))
        .alias("statement_state"),
        pl.when(is_final).then(pl.col("recommendation")).otherwise(None).alias("recommendation"),
    ).cast(dict(DETAIL_ASSESSMENT_SCHEMA))  # type: ignore[arg-type]

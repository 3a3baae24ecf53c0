"""SQLModel tables of the alliance data model; every editable table carries version and timestamps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, Index, Numeric, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from dashboard.data_access.vocabulary import (
    Direction,
    EntryKind,
    Fund,
    MemberType,
    ProjectStatus,
    Recommendation,
    RegionLevel,
    Role,
    TargetScope,
    sql_in,
)

# Stable constraint names, so Alembic migrations (and SQLite batch mode) can address them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Money is NUMERIC(14, 2) in the database and Decimal in Python; see money.py for exact sums on SQLite.
MONEY = Numeric(14, 2)


def utcnow() -> datetime:
    return datetime.now(UTC)


def money_field(*, nullable: bool = False, default: Decimal | None = None) -> Any:
    return Field(default=default, sa_type=MONEY, nullable=nullable)


def archived_field() -> Any:
    """Soft deletion: archived rows stay (reversible by speakers) but every read leaves them out."""
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=True)


class Tracked(SQLModel):
    """Optimistic-locking version and audit timestamps shared by every editable table."""

    version: int = Field(default=1, nullable=False, sa_column_kwargs={"server_default": text("1")})
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )


class Region(Tracked, table=True):
    """A Kreis or kreisfreie Stadt keyed by its official AGS; other levels (DG, Land) share the table."""

    __table_args__ = (CheckConstraint(f"level IN ({sql_in(RegionLevel)})", name="level"),)

    ags: str = Field(primary_key=True, max_length=12)
    name: str = Field(max_length=200)
    level: str = Field(default=RegionLevel.KREIS.value, max_length=20)
    kind: str | None = Field(default=None, max_length=60)  # e.g. "Landkreis", "Kreisfreie Stadt"
    land: str | None = Field(default=None, max_length=60)
    population: int | None = None
    population_year: int | None = None
    latitude: float | None = None
    longitude: float | None = None


class Alliance(Tracked, table=True):
    __table_args__ = (CheckConstraint("period_end >= period_start", name="period"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True, index=True)
    name: str = Field(max_length=200)
    short_name: str = Field(max_length=80)
    land: str = Field(max_length=60)
    programme: str = Field(max_length=300)
    office: str | None = Field(default=None, max_length=200)  # Geschäftsstelle / coordination
    period_start: date
    period_end: date
    description: str = ""
    source: str = ""  # where the facts come from
    is_example: bool = False  # the whole alliance is generated example data


class AllianceRegion(SQLModel, table=True):
    __tablename__ = "alliance_region"

    alliance_id: int = Field(foreign_key="alliance.id", primary_key=True, ondelete="CASCADE")
    region_ags: str = Field(foreign_key="region.ags", primary_key=True, max_length=12, ondelete="RESTRICT")


class Member(Tracked, table=True):
    """A partner organisation of one alliance."""

    __table_args__ = (
        UniqueConstraint("alliance_id", "name"),
        CheckConstraint(f"member_type IN ({sql_in(MemberType)})", name="type"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alliance_id: int = Field(foreign_key="alliance.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    member_type: str = Field(max_length=30)
    region_ags: str | None = Field(default=None, foreign_key="region.ags", max_length=12, ondelete="RESTRICT")
    joined_on: date | None = None
    source: str = ""


class Topic(Tracked, table=True):
    """A Handlungsfeld (field of action) of the alliance's strategy."""

    __table_args__ = (UniqueConstraint("alliance_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    alliance_id: int = Field(foreign_key="alliance.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    description: str = ""
    source: str = ""


class Project(Tracked, table=True):
    __table_args__ = (
        UniqueConstraint("alliance_id", "title"),
        CheckConstraint(f"status IN ({sql_in(ProjectStatus)})", name="status"),
        CheckConstraint(f"fund IN ({sql_in(Fund)})", name="fund"),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="dates"),
        CheckConstraint("total_cost >= 0", name="total_cost"),
        Index("ix_project_alliance_status", "alliance_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alliance_id: int = Field(foreign_key="alliance.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=300)
    description: str = ""
    # NO ACTION (checked at statement end), so deleting an alliance can cascade to members and projects.
    lead_member_id: int = Field(foreign_key="member.id", index=True)
    status: str = Field(max_length=20)
    start_date: date | None = None
    end_date: date | None = None
    total_cost: Decimal = money_field(default=Decimal("0.00"))
    requested_grant: Decimal | None = money_field(nullable=True)
    approved_grant: Decimal | None = money_field(nullable=True)
    fund: str = Field(max_length=20)
    source: str = ""
    is_example: bool = True
    archived_at: datetime | None = archived_field()


class ProjectPartner(SQLModel, table=True):
    """A partner member of a project (the lead is on the project itself)."""

    __tablename__ = "project_partner"

    project_id: int = Field(foreign_key="project.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", primary_key=True, index=True, ondelete="CASCADE")


class ProjectTopic(SQLModel, table=True):
    __tablename__ = "project_topic"

    project_id: int = Field(foreign_key="project.id", primary_key=True, ondelete="CASCADE")
    topic_id: int = Field(foreign_key="topic.id", primary_key=True, index=True, ondelete="CASCADE")


class ProjectRegion(SQLModel, table=True):
    __tablename__ = "project_region"

    project_id: int = Field(foreign_key="project.id", primary_key=True, ondelete="CASCADE")
    region_ags: str = Field(foreign_key="region.ags", primary_key=True, index=True, max_length=12, ondelete="RESTRICT")


class Budget(Tracked, table=True):
    """Planned (virtual) budget of an alliance per fund and year."""

    __table_args__ = (
        UniqueConstraint("alliance_id", "fund", "year"),
        CheckConstraint(f"fund IN ({sql_in(Fund)})", name="fund"),
        CheckConstraint("planned_amount >= 0", name="planned_amount"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alliance_id: int = Field(foreign_key="alliance.id", index=True, ondelete="CASCADE")
    fund: str = Field(max_length=20)
    year: int
    planned_amount: Decimal = money_field()
    source: str = ""


class FinancialEntry(Tracked, table=True):
    """A commitment (Bewilligung) or disbursement (Auszahlung) of money for a project."""

    __tablename__ = "financial_entry"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_in(EntryKind)})", name="kind"),
        CheckConstraint(f"fund IN ({sql_in(Fund)})", name="fund"),
        Index("ix_financial_entry_project_kind_date", "project_id", "kind", "entry_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    entry_date: date
    kind: str = Field(max_length=20)
    amount: Decimal = money_field()
    fund: str = Field(max_length=20)
    note: str = ""
    archived_at: datetime | None = archived_field()


class Indicator(Tracked, table=True):
    """A measured quantity: ESF+ common indicator, regional statistic or the alliance's own KPI."""

    __table_args__ = (CheckConstraint(f"direction IN ({sql_in(Direction)})", name="direction"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=120, unique=True, index=True)
    name: str = Field(max_length=300)
    name_en: str | None = Field(default=None, max_length=300)
    unit: str = Field(default="", max_length=40)
    direction: str = Field(default=Direction.UP.value, max_length=10)
    source: str = ""
    description: str = ""


class Target(Tracked, table=True):
    """A value an indicator should reach by a date, for the alliance, a topic or a project."""

    __table_args__ = (
        CheckConstraint(f"scope IN ({sql_in(TargetScope)})", name="scope"),
        CheckConstraint(
            "(scope = 'alliance' AND topic_id IS NULL AND project_id IS NULL)"
            " OR (scope = 'topic' AND topic_id IS NOT NULL AND project_id IS NULL)"
            " OR (scope = 'project' AND project_id IS NOT NULL)",
            name="scope_reference",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    alliance_id: int = Field(foreign_key="alliance.id", index=True, ondelete="CASCADE")
    indicator_id: int = Field(foreign_key="indicator.id", index=True, ondelete="RESTRICT")
    scope: str = Field(max_length=20)
    topic_id: int | None = Field(default=None, foreign_key="topic.id", ondelete="CASCADE")
    project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="CASCADE")
    description: str = ""
    baseline_value: float
    baseline_date: date
    target_value: float
    due_date: date
    archived_at: datetime | None = archived_field()


class Observation(Tracked, table=True):
    """A value of an indicator for a region or a project and a period (missing values keep their marker)."""

    __table_args__ = (
        CheckConstraint("region_ags IS NOT NULL OR project_id IS NOT NULL", name="subject"),
        Index(
            "uq_observation_region",
            "indicator_id",
            "region_ags",
            "period_end",
            "dimensions",
            unique=True,
            sqlite_where=text("project_id IS NULL"),
            postgresql_where=text("project_id IS NULL"),
        ),
        Index(
            "uq_observation_project",
            "indicator_id",
            "project_id",
            "period_end",
            "dimensions",
            unique=True,
            sqlite_where=text("project_id IS NOT NULL"),
            postgresql_where=text("project_id IS NOT NULL"),
        ),
        Index("ix_observation_region_indicator", "region_ags", "indicator_id"),
        Index("ix_observation_project", "project_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", ondelete="RESTRICT")
    region_ags: str | None = Field(default=None, foreign_key="region.ags", max_length=12, ondelete="RESTRICT")
    project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="CASCADE")
    period_start: date | None = None
    period_end: date  # reference date: year end, Stichtag or end of the reporting period
    # Canonical "key=value;key=value" of breakdowns such as sex or age group ("" = total).
    dimensions: str = Field(default="", max_length=300)
    value: float | None = None
    missing_marker: str | None = Field(default=None, max_length=5)  # "-", ".", "x", "/", "..."
    is_cumulative: bool = False
    source: str = ""


class AssessmentCriterion(Tracked, table=True):
    """One criterion of an alliance's assessment catalogue: a weight and a 0–5 scale with written anchors."""

    __tablename__ = "assessment_criterion"
    __table_args__ = (
        UniqueConstraint("alliance_id", "code"),
        CheckConstraint("weight > 0 AND weight <= 100", name="weight"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alliance_id: int = Field(foreign_key="alliance.id", index=True, ondelete="CASCADE")
    code: str = Field(max_length=60)  # stable key, e.g. "regionaler_bedarf"
    name: str = Field(max_length=200)
    description: str = ""
    weight: int = 1
    required: bool = True
    position: int = 0
    # The written anchor of each scale point: {"0": "nicht erkennbar", …, "5": "herausragend"}.
    anchors: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    archived_at: datetime | None = archived_field()


class Assessment(Tracked, table=True):
    """One assessor organisation's independent scoring of a funding application (a project in an early status)."""

    __table_args__ = (UniqueConstraint("project_id", "assessor_member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    # The organisation the assessor acts for (None: taken over from the single-statement model of before 0003).
    # RESTRICT: an organisation that assessed stays (deleting a whole alliance removes its assessments first).
    assessor_member_id: int | None = Field(default=None, foreign_key="member.id", index=True, ondelete="RESTRICT")
    assessor_name: str = Field(default="", max_length=200)  # who entered it (account or role title)
    assessed_on: date
    comment: str = ""


class AssessmentScore(SQLModel, table=True):
    """The score (0–5) an assessment gives one criterion."""

    __tablename__ = "assessment_score"
    __table_args__ = (CheckConstraint("score BETWEEN 0 AND 5", name="score"),)

    assessment_id: int = Field(foreign_key="assessment.id", primary_key=True, ondelete="CASCADE")
    criterion_id: int = Field(foreign_key="assessment_criterion.id", primary_key=True, index=True, ondelete="RESTRICT")
    score: int


class Statement(Tracked, table=True):
    """A version of the alliance's expert statement (fachliche Stellungnahme) on an application.

    A draft is edited (optimistic locking); finalising freezes it for good: text, recommendation and the facts
    snapshot (key facts, regional need indicators, scores) never change again, and the document is rendered
    from that snapshot. A later revision is a new row with the next ``number``.
    """

    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        CheckConstraint(
            f"recommendation IS NULL OR recommendation IN ({sql_in(Recommendation)})", name="recommendation"
        ),
        CheckConstraint("finalised_at IS NULL OR recommendation IS NOT NULL", name="final_has_recommendation"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    number: int = 1
    text: str = ""
    recommendation: str | None = Field(default=None, max_length=40)
    weighted_total: float | None = None
    facts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    finalised_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    finalised_by: str | None = Field(default=None, max_length=200)


class ProjectStatusChange(SQLModel, table=True):
    """When a project (application) entered a status: the pipeline's waiting times per stage."""

    __tablename__ = "project_status_change"
    __table_args__ = (
        CheckConstraint(f"to_status IN ({sql_in(ProjectStatus)})", name="to_status"),
        Index("ix_project_status_change_project_at", "project_id", "changed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)
    user_name: str = Field(default="", max_length=200)


class UserAccount(Tracked, table=True):
    """A person who signs in: a local account (Argon2 hash) or an SSO identity matched by its e-mail/subject."""

    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint(f"role IN ({sql_in(Role)})", name="role"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=200, unique=True, index=True)  # login name or SSO e-mail, lower case
    display_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=20)
    password_hash: str | None = Field(default=None, max_length=300)  # None: SSO only
    disabled: bool = False
    failed_attempts: int = 0
    last_failed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    last_login_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)


class UserAlliance(SQLModel, table=True):
    """An alliance a user belongs to; for members, with the organisation (member row) they act for there."""

    __tablename__ = "user_alliance"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    alliance_id: int = Field(foreign_key="alliance.id", primary_key=True, ondelete="CASCADE")
    member_id: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")


class AuditEntry(SQLModel, table=True):
    """One write: who, when, what (table, id) and the old and new values, stored in the writing transaction."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_alliance_at", "alliance_id", "at"),
        Index("ix_audit_entry_table_record", "table_name", "record_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)
    user_name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    action: str = Field(max_length=20)  # create, update, archive, restore, import, …
    table_name: str = Field(max_length=60)
    record_id: str = Field(max_length=120)
    # No foreign key: the trail outlives what it describes (and other alliances' shared rows carry none).
    alliance_id: int | None = None
    old_values: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    new_values: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))

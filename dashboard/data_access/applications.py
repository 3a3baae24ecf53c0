"""Funding applications: the pipeline, the criteria catalogue, independent assessments, statements, status changes.

An application is a project in an early status (idee, beantragt, bewertet) or just decided (bewilligt, abgelehnt,
zurückgezogen). Member organisations score it independently against the alliance's criteria catalogue (0–5 per
criterion, ``domain/assessment.py`` has every rule); the speakers draft the statement (fachliche Stellungnahme)
from the scores, edit it and finalise it, which freezes text, recommendation and a facts snapshot for good and
moves the application from beantragt to bewertet. A positive final statement then allows the approval
(bewilligt, with the approved grant booked as a commitment), and the project starts (laufend).

Permissions (checked here, whatever the UI offers):

* scoring: speakers and admins for any member organisation of the alliance (they transcribe the assessors'
  forms), a member only as its own organisation, a liaison never; an organisation that applies or takes part
  (conflict of interest) never scores that application, whoever enters it;
* criteria, statement drafts, finalisation and status changes: speakers and admins;
* reading: everyone of the alliance sees the pipeline; a member sees a foreign application's money masked (in
  the stage totals it still counts). Individual scores and comments: speakers and admins all; a member its own
  organisation's assessment only until a statement is finalised, then all; a liaison never the per-criterion
  scores, but the application's weighted total always and, once a statement is final, the assessors' totals,
  the criterion means and the finalised statements. Drafts are for speakers and admins.

Every write validates first (all problems at once, German messages in ``i18n/*/applications_writes.toml``),
then runs in one transaction with optimistic locking (``version``) and its audit entries; a refused write stores
nothing.

Additions to the shared contract (issue 7), all optional keywords with defaults: ``AssessmentInput.assessed_on``
(None = today), ``save_statement(..., today=None)`` (the day the draft's facts are refreshed for),
``new_statement_version(engine, scope, project_id, *, today)``, ``restore_criterion(engine, scope, criterion_id)``;
``change_status`` returns the project's new version. ``ApplicationView`` carries a few extra fields (criteria,
partner ids, region AGS, approved grant, stage_since, status history).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, case, func, insert, literal, select
from sqlmodel import col

from dashboard.data_access import audit
from dashboard.data_access.models import (
    Alliance,
    Assessment,
    AssessmentCriterion,
    AssessmentScore,
    FinancialEntry,
    Indicator,
    Member,
    Observation,
    Project,
    ProjectPartner,
    ProjectRegion,
    ProjectStatusChange,
    ProjectTopic,
    Region,
    Statement,
    Topic,
    utcnow,
)
from dashboard.data_access.money import CENT, cents
from dashboard.data_access.queries import project_rows, regional_rows
from dashboard.data_access.scope import PermissionDenied, Scope
from dashboard.data_access.vocabulary import AuditAction, EntryKind, ProjectStatus, Recommendation, Role
from dashboard.data_access.write_support import (
    GENERAL_FIELD,
    as_int,
    created_stamp,
    field_changes,
    guarded_update,
    new_id,
    rows_frame,
    sees_project_money,
    write_transaction,
)
from dashboard.data_access.writes import Change, FieldError, NotFound, StaleEdit, ValidationFailed
from dashboard.domain import assessment as rules

MONEY = pl.Decimal(38, 2)
MIGRATED_ASSESSOR = "Übernommene Bewertung"  # assessor_name of rows taken over from the model before 0003
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
NAME_LIMIT = 200
TEXT_LIMIT = 50_000  # characters of a statement text
APPROVAL_NOTE = "Bewilligung nach Stellungnahme Nr. {number}"
MONEY_LIMIT = Decimal("1000000000000")
# The regional need shown with an application: the first indicator (by name) of each group that has values for
# the application's Kreise, in this order; official data before example data. At most NEED_INDICATORS groups.
NEED_GROUPS: tuple[tuple[str, ...], ...] = (
    ("arbeitslosenquote",),
    ("arbeitsstellen", "offene stellen", "gemeldete stellen"),
    ("wanderung",),
    ("beschäftigte", "beschaeftigte"),
    ("bevölkerung", "bevoelkerung"),
    ("arbeitslose",),
)
NEED_INDICATORS = 4


# --- records -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationFilter:
    """Which applications of an alliance the pipeline shows; empty tuples mean no restriction (hashable)."""

    topic_ids: tuple[int, ...] = ()
    region_ags: tuple[str, ...] = ()
    applicant_ids: tuple[int, ...] = ()  # lead member ids
    statuses: tuple[str, ...] = ()  # empty: every pipeline status


@dataclass(frozen=True)
class Criterion:
    id: int
    code: str
    name: str
    description: str
    weight: int
    required: bool
    position: int
    anchors: dict[int, str]
    version: int
    archived: bool


@dataclass(frozen=True)
class CriterionInput:
    code: str  # blank: derived from the name
    name: str
    description: str = ""
    weight: int = 1
    required: bool = True
    position: int | None = None  # None: after the last
    anchors: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AssessmentInput:
    assessor_member_id: int
    scores: Mapping[int, int | None]  # criterion id → score 0–5 (None: not scored; only optional criteria)
    comment: str = ""
    assessed_on: date | None = None  # None: today


@dataclass(frozen=True)
class StatementRecord:
    id: int
    project_id: int
    number: int
    text: str
    recommendation: str | None
    weighted_total: float | None
    facts: dict[str, Any]
    finalised_at: datetime | None
    finalised_by: str | None
    version: int
    is_final: bool


@dataclass(frozen=True)
class ApplicationView:
    id: int
    alliance_id: int
    title: str
    description: str
    status: str
    version: int
    lead_member_id: int
    lead_name: str
    partner_ids: tuple[int, ...]
    partner_names: tuple[str, ...]
    topics: tuple[str, ...]
    region_ags: tuple[str, ...]
    regions: tuple[str, ...]  # Kreis names, in AGS order
    total_cost: Decimal | None
    requested_grant: Decimal | None
    approved_grant: Decimal | None
    money_visible: bool
    start_date: date | None
    end_date: date | None
    fund: str
    submitted_on: date | None
    stage_since: date | None
    criteria: list[Criterion]  # the active catalogue (what a new assessment scores)
    # [assessment_id, assessor_member_id, assessor, assessed_on, comment, criterion_id, code, criterion, weight, score]
    scores: pl.DataFrame
    # [assessment_id, assessor_member_id, assessor, assessed_on, comment, weighted_total, version]
    assessments: pl.DataFrame
    assessment_count: int
    criterion_summary: pl.DataFrame  # [code, criterion, weight, mean, min, max, spread, flagged]
    weighted_total: float | None
    flagged: bool
    conflicted_member_ids: frozenset[int]
    can_score_as: list[tuple[int, str]]
    statements: list[StatementRecord]  # newest first; drafts only for speakers and admins
    can_manage: bool
    next_statuses: list[str]
    status_history: pl.DataFrame  # [from_status, to_status, changed_at, user_name], oldest first


SCORE_COLUMNS: dict[str, pl.DataType] = {
    "assessment_id": pl.Int64(),
    "assessor_member_id": pl.Int64(),
    "assessor": pl.String(),
    "assessed_on": pl.Date(),
    "comment": pl.String(),
    "criterion_id": pl.Int64(),
    "code": pl.String(),
    "criterion": pl.String(),
    "weight": pl.Int64(),
    "score": pl.Int64(),
}
ASSESSMENT_COLUMNS: dict[str, pl.DataType] = {
    "assessment_id": pl.Int64(),
    "assessor_member_id": pl.Int64(),
    "assessor": pl.String(),
    "assessed_on": pl.Date(),
    "comment": pl.String(),
    "weighted_total": pl.Float64(),
    "version": pl.Int64(),
}
PIPELINE_SCHEMA: dict[str, pl.DataType] = {
    "project_id": pl.Int64(),
    "title": pl.String(),
    "status": pl.String(),
    "lead_member_id": pl.Int64(),
    "lead_name": pl.String(),
    "submitted_on": pl.Date(),
    "stage_since": pl.Date(),
    "waiting_days": pl.Int64(),
    "total_cost": MONEY,
    "requested_grant": MONEY,
    "money_visible": pl.Boolean(),
    "assessments": pl.Int64(),
    "weighted_total": pl.Float64(),
    "flagged": pl.Boolean(),
    "statement_state": pl.String(),
    "recommendation": pl.String(),
    "topics": pl.List(pl.String()),
    "regions": pl.List(pl.String()),
}
STAGES_SCHEMA: dict[str, pl.DataType] = {
    "status": pl.String(),
    "applications": pl.Int64(),
    "requested_grant": MONEY,
    "median_waiting_days": pl.Float64(),
}
HISTORY_SCHEMA: dict[str, pl.DataType] = {
    "from_status": pl.String(),
    "to_status": pl.String(),
    "changed_at": pl.Datetime("us", "UTC"),
    "user_name": pl.String(),
}


# --- small helpers -----------------------------------------------------------------------------------------------


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(CENT)


def _money_column(cents_column: str) -> pl.Expr:
    return (pl.col(cents_column).cast(MONEY) / 100).cast(MONEY)


def _fail(field_name: str, key: str, **params: Any) -> ValidationFailed:
    return ValidationFailed([FieldError(field_name, key, params)])


def _require_manage(scope: Scope, alliance_id: int) -> None:
    if not scope.can_manage_alliance(alliance_id):
        raise PermissionDenied(f"{scope.user} ({scope.role}) may not manage the applications of {alliance_id}")


def _changed_at(on: date) -> datetime:
    """The moment a change dated ``on`` is recorded: now for today, else noon UTC of that day."""
    now = utcnow()
    return now if on == now.date() else datetime.combine(on, time(12), tzinfo=UTC)


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _as_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- the application as stored -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _App:
    id: int
    alliance_id: int
    title: str
    description: str
    status: str
    version: int
    lead_member_id: int
    lead_name: str
    total_cost: Decimal
    requested_grant: Decimal | None
    approved_grant: Decimal | None
    fund: str
    start_date: date | None
    end_date: date | None
    created_at: datetime | None
    archived: bool
    partners: tuple[tuple[int, str], ...]
    topics: tuple[str, ...]
    regions: tuple[tuple[str, str], ...]  # (ags, name)

    @property
    def partner_ids(self) -> tuple[int, ...]:
        return tuple(member_id for member_id, _ in self.partners)

    @property
    def conflicted(self) -> frozenset[int]:
        return rules.conflicted_members(self.lead_member_id, self.partner_ids)


def _load_app(connection: Connection, project_id: int) -> _App | None:
    row = connection.execute(
        select(
            col(Project.id),
            col(Project.alliance_id),
            col(Project.title),
            col(Project.description),
            col(Project.status),
            col(Project.version),
            col(Project.lead_member_id),
            col(Member.name),
            col(Project.total_cost),
            col(Project.requested_grant),
            col(Project.approved_grant),
            col(Project.fund),
            col(Project.start_date),
            col(Project.end_date),
            col(Project.created_at),
            col(Project.archived_at),
        )
        .join(Member, col(Member.id) == col(Project.lead_member_id))
        .where(col(Project.id) == project_id)
    ).one_or_none()
    if row is None:
        return None
    partners = connection.execute(
        select(col(Member.id), col(Member.name))
        .join(ProjectPartner, col(ProjectPartner.member_id) == col(Member.id))
        .where(col(ProjectPartner.project_id) == project_id)
        .order_by(col(Member.name))
    ).all()
    topics = connection.execute(
        select(col(Topic.name))
        .join(ProjectTopic, col(ProjectTopic.topic_id) == col(Topic.id))
        .where(col(ProjectTopic.project_id) == project_id)
        .order_by(col(Topic.name))
    ).scalars()
    regions = connection.execute(
        select(col(Region.ags), col(Region.name))
        .join(ProjectRegion, col(ProjectRegion.region_ags) == col(Region.ags))
        .where(col(ProjectRegion.project_id) == project_id)
        .order_by(col(Region.ags))
    ).all()
    return _App(
        id=as_int(row[0]),
        alliance_id=int(row[1]),
        title=row[2],
        description=row[3] or "",
        status=row[4],
        version=int(row[5]),
        lead_member_id=int(row[6]),
        lead_name=row[7],
        total_cost=_money(row[8]) or Decimal("0.00"),
        requested_grant=_money(row[9]),
        approved_grant=_money(row[10]),
        fund=row[11],
        start_date=row[12],
        end_date=row[13],
        created_at=_as_datetime(row[14]),
        archived=row[15] is not None,
        partners=tuple((as_int(member_id), name) for member_id, name in partners),
        topics=tuple(topics),
        regions=tuple((ags, name) for ags, name in regions),
    )


def _readable_app(connection: Connection, scope: Scope, project_id: int) -> _App:
    app = _load_app(connection, project_id)
    if app is None or app.archived or not scope.can_read_alliance(app.alliance_id):
        raise NotFound(f"project {project_id}")
    return app


# --- criteria ----------------------------------------------------------------------------------------------------


def _criterion_from_row(row: Any) -> Criterion:
    anchors = {int(key): str(value) for key, value in (row.anchors or {}).items()}
    return Criterion(
        id=int(row.id),
        code=row.code,
        name=row.name,
        description=row.description or "",
        weight=int(row.weight),
        required=bool(row.required),
        position=int(row.position),
        anchors=dict(sorted(anchors.items())),
        version=int(row.version),
        archived=row.archived_at is not None,
    )


def _criteria(connection: Connection, alliance_id: int, *, include_archived: bool = False) -> list[Criterion]:
    table = AssessmentCriterion.__table__  # type: ignore[attr-defined]
    statement = select(table).where(table.c.alliance_id == alliance_id)
    if not include_archived:
        statement = statement.where(table.c.archived_at.is_(None))
    rows = connection.execute(statement.order_by(table.c.position, table.c.id)).all()
    return [_criterion_from_row(row) for row in rows]


def criteria(engine: Engine, scope: Scope, alliance_id: int, *, include_archived: bool = False) -> list[Criterion]:
    """The alliance's criteria catalogue in display order (archived ones for speakers and admins on request)."""
    scope.require_alliance(alliance_id)
    with engine.connect() as connection:
        return _criteria(
            connection, alliance_id, include_archived=include_archived and scope.can_manage_alliance(alliance_id)
        )


def _derived_code(name: str) -> str:
    lowered = name.strip().lower()
    for umlaut, spelled in {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}.items():
        lowered = lowered.replace(umlaut, spelled)
    code = re.sub(r"[^a-z0-9]+", "_", lowered).strip("_")[:60]
    return code if code and code[0].isalpha() else f"k_{code}"[:60]


def _check_criterion(data: CriterionInput, code: str) -> dict[str, Any]:
    errors: list[FieldError] = []
    name = (data.name or "").strip()
    if not name:
        errors.append(FieldError("name", "required"))
    elif len(name) > NAME_LIMIT:
        errors.append(FieldError("name", "criterion_name_too_long", {"limit": NAME_LIMIT}))
    if not CODE_PATTERN.match(code):
        errors.append(FieldError("code", "criterion_code_format"))
    weight = data.weight
    if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
        errors.append(FieldError("weight", "criterion_weight_range"))
    anchors: dict[str, str] = {}
    for key, text in dict(data.anchors).items():
        if isinstance(key, bool) or not isinstance(key, int) or not rules.SCORE_MIN <= key <= rules.SCORE_MAX:
            errors.append(FieldError("anchors", "criterion_anchor_point", {"point": key}))
        elif (text or "").strip():
            anchors[str(key)] = text.strip()
    if data.position is not None and (isinstance(data.position, bool) or not isinstance(data.position, int)):
        errors.append(FieldError("position", "criterion_position"))
    if errors:
        raise ValidationFailed(errors)
    return {
        "code": code,
        "name": name,
        "description": (data.description or "").strip(),
        "weight": weight,
        "required": bool(data.required),
        "anchors": dict(sorted(anchors.items())),
    }


def _stored_criterion(connection: Connection, criterion_id: int) -> tuple[int, Criterion] | None:
    table = AssessmentCriterion.__table__  # type: ignore[attr-defined]
    row = connection.execute(select(table).where(table.c.id == criterion_id)).one_or_none()
    return None if row is None else (int(row.alliance_id), _criterion_from_row(row))


def _criterion_values(criterion: Criterion) -> dict[str, Any]:
    return {
        "code": criterion.code,
        "name": criterion.name,
        "description": criterion.description,
        "weight": criterion.weight,
        "required": criterion.required,
        "position": criterion.position,
        "anchors": {str(key): value for key, value in criterion.anchors.items()},
    }


def _stale_criterion(connection: Connection, criterion_id: int, opened: Criterion) -> StaleEdit:
    stored = _stored_criterion(connection, criterion_id)
    if stored is None:
        raise NotFound(f"criterion {criterion_id}")
    current = stored[1]
    changes = field_changes(
        {**_criterion_values(opened), "archived": opened.archived},
        {**_criterion_values(current), "archived": current.archived},
    )
    return StaleEdit(
        "assessment_criterion", criterion_id, expected=opened.version, current=current.version, changes=changes
    )


def save_criterion(
    engine: Engine, scope: Scope, alliance_id: int, data: CriterionInput, *, opened: Criterion | None = None
) -> Criterion:
    """Add a criterion (``opened`` None) or change the opened one (speakers and admins).

    The code of a criterion that has scores stays (statements and documents refer to it).
    """
    _require_manage(scope, alliance_id)
    code = (data.code or "").strip() or (opened.code if opened else _derived_code(data.name or ""))
    values = _check_criterion(data, code)
    table = AssessmentCriterion.__table__  # type: ignore[attr-defined]
    with write_transaction(engine) as connection:
        taken = connection.execute(
            select(table.c.id).where(table.c.alliance_id == alliance_id, table.c.code == code)
        ).scalar_one_or_none()
        if taken is not None and (opened is None or int(taken) != opened.id):
            raise _fail("code", "criterion_code_taken", code=code)
        if opened is None:
            position = data.position
            if position is None:
                last = connection.execute(
                    select(func.max(table.c.position)).where(table.c.alliance_id == alliance_id)
                ).scalar_one_or_none()
                position = 0 if last is None else int(last) + 1
            values["position"] = position
            result = connection.execute(
                insert(table).values(alliance_id=alliance_id, **values, **created_stamp(utcnow()))
            )
            criterion_id = new_id(result)
            audit.record(
                connection,
                scope,
                action=AuditAction.CREATE,
                table="assessment_criterion",
                record_id=criterion_id,
                alliance_id=alliance_id,
                new=values,
            )
            return Criterion(id=criterion_id, version=1, archived=False, **_criterion_args(values))
        stored = _stored_criterion(connection, opened.id)
        if stored is None or stored[0] != alliance_id:
            raise NotFound(f"criterion {opened.id}")
        current = stored[1]
        values["position"] = current.position if data.position is None else data.position
        if code != current.code:
            scored = connection.execute(
                select(func.count()).select_from(AssessmentScore).where(col(AssessmentScore.criterion_id) == opened.id)
            ).scalar_one()
            if scored:
                raise _fail("code", "criterion_code_fixed")
        old, new = audit.changed(_criterion_values(current), values)
        if not new and current.version == opened.version:
            return current
        if not guarded_update(connection, AssessmentCriterion, opened.id, opened.version, values):
            raise _stale_criterion(connection, opened.id, opened)
        audit.record(
            connection,
            scope,
            action=AuditAction.UPDATE,
            table="assessment_criterion",
            record_id=opened.id,
            alliance_id=alliance_id,
            old=old,
            new=new,
        )
        return Criterion(id=opened.id, version=opened.version + 1, archived=current.archived, **_criterion_args(values))


def _criterion_args(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "code": values["code"],
        "name": values["name"],
        "description": values["description"],
        "weight": values["weight"],
        "required": values["required"],
        "position": values["position"],
        "anchors": {int(key): text for key, text in values["anchors"].items()},
    }


def _set_criterion_archived(
    engine: Engine, scope: Scope, criterion_id: int, opened: Criterion | None, *, archived: bool
) -> None:
    with engine.begin() as connection:
        stored = _stored_criterion(connection, criterion_id)
        if stored is None:
            raise NotFound(f"criterion {criterion_id}")
        alliance_id, current = stored
        _require_manage(scope, alliance_id)
        if current.archived == archived:
            return
        version = current.version if opened is None else opened.version
        now = utcnow()
        values = {"archived_at": now if archived else None, "updated_at": now}
        if not guarded_update(connection, AssessmentCriterion, criterion_id, version, values):
            raise _stale_criterion(connection, criterion_id, opened or current)
        audit.record(
            connection,
            scope,
            action=AuditAction.ARCHIVE if archived else AuditAction.RESTORE,
            table="assessment_criterion",
            record_id=criterion_id,
            alliance_id=alliance_id,
            old={"archived_at": None if archived else "archived"},
            new={"archived_at": now if archived else None},
        )


def archive_criterion(engine: Engine, scope: Scope, criterion_id: int, *, opened: Criterion) -> None:
    """Take a criterion out of the catalogue (new assessments no longer score it; given scores stay)."""
    _set_criterion_archived(engine, scope, criterion_id, opened, archived=True)


def restore_criterion(engine: Engine, scope: Scope, criterion_id: int, *, opened: Criterion | None = None) -> None:
    _set_criterion_archived(engine, scope, criterion_id, opened, archived=False)


# --- scores and their visibility ---------------------------------------------------------------------------------


def _assessment_rows(connection: Connection, project_id: int) -> pl.DataFrame:
    statement = (
        select(
            col(Assessment.id),
            col(Assessment.assessor_member_id),
            func.coalesce(col(Member.name), col(Assessment.assessor_name)),
            col(Assessment.assessed_on),
            col(Assessment.comment),
            col(Assessment.version),
        )
        .outerjoin(Member, col(Member.id) == col(Assessment.assessor_member_id))
        .where(col(Assessment.project_id) == project_id)
        .order_by(col(Assessment.assessed_on), col(Assessment.id))
    )
    schema = {name: dtype for name, dtype in ASSESSMENT_COLUMNS.items() if name != "weighted_total"}
    return rows_frame(connection, statement, schema)


def _score_rows(connection: Connection, project_ids: Sequence[int]) -> pl.DataFrame:
    """[project_id, assessment_id, criterion_id, code, criterion, weight, position, score] of the projects."""
    statement = (
        select(
            col(Assessment.project_id),
            col(AssessmentScore.assessment_id),
            col(AssessmentScore.criterion_id),
            col(AssessmentCriterion.code),
            col(AssessmentCriterion.name),
            col(AssessmentCriterion.weight),
            col(AssessmentCriterion.position),
            col(AssessmentScore.score),
        )
        .join(Assessment, col(Assessment.id) == col(AssessmentScore.assessment_id))
        .join(AssessmentCriterion, col(AssessmentCriterion.id) == col(AssessmentScore.criterion_id))
        .where(col(Assessment.project_id).in_(list(project_ids)))
        .order_by(col(AssessmentCriterion.position), col(AssessmentCriterion.id))
    )
    schema = {
        "project_id": pl.Int64(),
        "assessment_id": pl.Int64(),
        "criterion_id": pl.Int64(),
        "code": pl.String(),
        "criterion": pl.String(),
        "weight": pl.Int64(),
        "position": pl.Int64(),
        "score": pl.Int64(),
    }
    return rows_frame(connection, statement, schema)


def _statements(connection: Connection, project_id: int) -> list[StatementRecord]:
    table = Statement.__table__  # type: ignore[attr-defined]
    rows = connection.execute(
        select(table).where(table.c.project_id == project_id).order_by(table.c.number.desc())
    ).all()
    return [_statement_record(row) for row in rows]


def _statement_record(row: Any) -> StatementRecord:
    return StatementRecord(
        id=int(row.id),
        project_id=int(row.project_id),
        number=int(row.number),
        text=row.text or "",
        recommendation=row.recommendation,
        weighted_total=None if row.weighted_total is None else float(row.weighted_total),
        facts=dict(row.facts or {}),
        finalised_at=_as_datetime(row.finalised_at),
        finalised_by=row.finalised_by,
        version=int(row.version),
        is_final=row.finalised_at is not None,
    )


@dataclass(frozen=True)
class _Visibility:
    """What of an application's assessments a scope reads (module docstring)."""

    all_scores: bool  # every assessor's per-criterion scores and comments
    own: frozenset[int]  # else: these organisations' assessments
    totals: bool  # per-assessor totals, criterion statistics and flags
    total: bool  # the application's weighted total


def _visibility(scope: Scope, alliance_id: int, has_final: bool) -> _Visibility:
    if scope.can_manage_alliance(alliance_id):
        return _Visibility(True, frozenset(), True, True)
    if scope.role == Role.MEMBER:
        return _Visibility(has_final, frozenset(scope.member_ids), has_final, has_final)
    return _Visibility(False, frozenset(), has_final, True)  # liaison: never individual scores


def _criteria_frame(catalogue: Sequence[Criterion], scores: pl.DataFrame) -> pl.DataFrame:
    """The criteria to summarise: the active catalogue plus archived ones that were scored, in display order."""
    active = pl.DataFrame(
        [(c.code, c.name, c.weight, c.position) for c in catalogue],
        schema={"code": pl.String(), "criterion": pl.String(), "weight": pl.Int64(), "position": pl.Int64()},
        orient="row",
    )
    scored = scores.select("code", "criterion", "weight", "position").unique("code", keep="first")
    return (
        pl.concat([active, scored.join(active, on="code", how="anti")])
        .sort("position", maintain_order=True)
        .select("code", "criterion", "weight")
    )


@dataclass(frozen=True)
class _Scoring:
    """An application's assessments with every rule applied (before any visibility)."""

    assessments: pl.DataFrame  # ASSESSMENT_COLUMNS
    scores: pl.DataFrame  # SCORE_COLUMNS
    summary: pl.DataFrame
    weighted_total: float | None
    flagged: bool


def _scoring(connection: Connection, project_id: int, catalogue: Sequence[Criterion]) -> _Scoring:
    assessments = _assessment_rows(connection, project_id)
    raw = _score_rows(connection, [project_id])
    totals = rules.assessment_totals(raw)
    assessments = assessments.join(totals, on="assessment_id", how="left").select(list(ASSESSMENT_COLUMNS))
    scores = raw.join(
        assessments.select("assessment_id", "assessor_member_id", "assessor", "assessed_on", "comment"),
        on="assessment_id",
    ).select(list(SCORE_COLUMNS))
    summary = rules.criterion_summary(_criteria_frame(catalogue, raw), raw)
    return _Scoring(
        assessments=assessments,
        scores=scores,
        summary=summary,
        weighted_total=rules.application_total(raw),
        flagged=rules.is_flagged(summary, totals),
    )


def _visible(scoring: _Scoring, seen: _Visibility) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(scores, assessments) a scope may read."""
    if seen.all_scores:
        return scoring.scores, scoring.assessments
    own = sorted(seen.own)
    scores = scoring.scores.filter(pl.col("assessor_member_id").is_in(own))
    if seen.totals:
        return scores, scoring.assessments
    return scores, scoring.assessments.filter(pl.col("assessor_member_id").is_in(own))


# --- facts snapshot ----------------------------------------------------------------------------------------------


def _need_indicators(connection: Connection) -> list[tuple[int, int]]:
    """(group rank, indicator id) of the candidate need indicators, best first within a group."""
    rows = connection.execute(select(col(Indicator.id), col(Indicator.code), col(Indicator.name))).all()
    found: list[tuple[int, bool, str, int]] = []
    for indicator_id, code, name in rows:
        lowered = (name or "").lower()
        for rank, words in enumerate(NEED_GROUPS):
            if any(word in lowered for word in words):
                found.append((rank, "beispiel" in (code or "").lower(), name or "", as_int(indicator_id)))
                break
    return [(rank, indicator_id) for rank, _, _, indicator_id in sorted(found)]


def _need(connection: Connection, regions: Sequence[tuple[str, str]], as_of: date) -> list[dict[str, Any]]:
    """The latest value at or before ``as_of`` of the most telling regional indicators for the Kreise."""
    if not regions:
        return []
    candidates = _need_indicators(connection)
    if not candidates:
        return []
    ags = [code for code, _ in regions]
    statement = (
        select(
            col(Observation.indicator_id),
            col(Observation.region_ags),
            col(Observation.period_end),
            col(Observation.value),
            col(Observation.source),
            col(Indicator.code),
            col(Indicator.name),
            col(Indicator.unit),
            col(Indicator.source),
        )
        .join(Indicator, col(Indicator.id) == col(Observation.indicator_id))
        .where(
            col(Observation.region_ags).in_(ags),
            col(Observation.indicator_id).in_([indicator_id for _, indicator_id in candidates]),
            col(Observation.dimensions) == "",
            col(Observation.period_end) <= as_of,
            col(Observation.value).is_not(None),
            regional_rows(),
        )
    )
    schema = {
        "indicator_id": pl.Int64(),
        "ags": pl.String(),
        "period_end": pl.Date(),
        "value": pl.Float64(),
        "source": pl.String(),
        "indicator_code": pl.String(),
        "indicator": pl.String(),
        "unit": pl.String(),
        "indicator_source": pl.String(),
    }
    values = rows_frame(connection, statement, schema)
    if values.is_empty():
        return []
    ranks = pl.DataFrame(
        [(rank, indicator_id, order) for order, (rank, indicator_id) in enumerate(candidates)],
        schema={"rank": pl.Int64(), "indicator_id": pl.Int64(), "order": pl.Int64()},
        orient="row",
    )
    names = pl.DataFrame(
        {"ags": ags, "region": [name for _, name in regions], "region_order": list(range(len(regions)))},
        schema={"ags": pl.String(), "region": pl.String(), "region_order": pl.Int64()},
    )
    latest = values.sort("period_end").group_by("indicator_id", "ags").last().join(ranks, on="indicator_id")
    # One indicator per group (the best-ranked that has values), the first NEED_INDICATORS groups.
    chosen = latest.group_by("rank").agg(pl.col("order").min()).sort("rank").head(NEED_INDICATORS)
    rows = (
        latest.join(chosen, on=["rank", "order"])
        .join(names, on="ags")
        .sort("rank", "region_order")
        .select(
            "ags",
            "region",
            "indicator_code",
            "indicator",
            "unit",
            "value",
            pl.col("period_end").dt.to_string("%Y-%m-%d"),
            pl.when(pl.col("source").fill_null("") != "")
            .then(pl.col("source"))
            .otherwise(pl.col("indicator_source").fill_null(""))
            .alias("source"),
        )
    )
    return rows.to_dicts()


def _submitted_on(connection: Connection, project_id: int) -> date | None:
    first = connection.execute(
        select(func.min(col(ProjectStatusChange.changed_at))).where(
            col(ProjectStatusChange.project_id) == project_id,
            col(ProjectStatusChange.to_status) == ProjectStatus.BEANTRAGT.value,
        )
    ).scalar_one_or_none()
    return _as_date(first)


def _facts(
    connection: Connection,
    app: _App,
    as_of: date,
    scoring: _Scoring,
    *,
    seen: _Visibility,
    money_visible: bool,
) -> dict[str, Any]:
    alliance = connection.execute(
        select(col(Alliance.name), col(Alliance.short_name), col(Alliance.programme)).where(
            col(Alliance.id) == app.alliance_id
        )
    ).one()
    scores, assessments = _visible(scoring, seen)
    if not seen.all_scores and not seen.totals:
        assessments = assessments.filter(pl.col("assessor_member_id").is_in(sorted(seen.own)))
    per_assessment = scores.group_by("assessment_id", maintain_order=True).agg(
        pl.struct("code", "score").alias("pairs")
    )
    listed = assessments.join(per_assessment, on="assessment_id", how="left")
    summary = scoring.summary if seen.totals else scoring.summary.clear()
    scored_summary = summary.filter(pl.col("mean").is_not_null())
    return {
        "as_of": as_of.isoformat(),
        "alliance": {"name": alliance[0], "short_name": alliance[1], "programme": alliance[2]},
        "application": {
            "id": app.id,
            "title": app.title,
            "description": app.description,
            "lead": app.lead_name,
            "partners": [name for _, name in app.partners],
            "topics": list(app.topics),
            "regions": [{"ags": ags, "name": name} for ags, name in app.regions],
            "start_date": app.start_date.isoformat() if app.start_date else None,
            "end_date": app.end_date.isoformat() if app.end_date else None,
            "total_cost": audit.plain(app.total_cost) if money_visible else None,
            "requested_grant": audit.plain(app.requested_grant) if money_visible else None,
            "fund": app.fund,
            "submitted_on": audit.plain(_submitted_on(connection, app.id)),
        },
        "need": _need(connection, app.regions, as_of),
        "criteria": [
            {"code": row["code"], "name": row["criterion"], "weight": row["weight"], "required": row["required"]}
            for row in _criteria_with_required(connection, app.alliance_id, summary).iter_rows(named=True)
        ],
        "assessments": [
            {
                "assessor": row["assessor"],
                "assessed_on": audit.plain(row["assessed_on"]),
                "comment": row["comment"] or "",
                "scores": {pair["code"]: int(pair["score"]) for pair in row["pairs"] or []},
                "weighted_total": row["weighted_total"],
            }
            for row in listed.iter_rows(named=True)
        ],
        "criterion_means": dict(zip(scored_summary["code"], scored_summary["mean"], strict=True)),
        "spread": {
            code: int(spread) for code, spread in zip(scored_summary["code"], scored_summary["spread"], strict=True)
        },
        "flagged": scored_summary.filter("flagged")["code"].to_list(),
        "weighted_total": scoring.weighted_total if seen.total else None,
    }


def _criteria_with_required(connection: Connection, alliance_id: int, summary: pl.DataFrame) -> pl.DataFrame:
    catalogue = _criteria(connection, alliance_id, include_archived=True)
    required = pl.DataFrame(
        {"code": [c.code for c in catalogue], "required": [c.required for c in catalogue]},
        schema={"code": pl.String(), "required": pl.Boolean()},
    )
    active = {c.code for c in catalogue if not c.archived}
    shown = summary.filter(pl.col("code").is_in(sorted(active)) | pl.col("mean").is_not_null())
    if summary.is_empty():
        shown = pl.DataFrame(
            [(c.code, c.name, c.weight) for c in catalogue if not c.archived],
            schema={"code": pl.String(), "criterion": pl.String(), "weight": pl.Int64()},
            orient="row",
        )
    return shown.select("code", "criterion", "weight").join(required, on="code", how="left", maintain_order="left")


def facts_for(connection: Connection, scope: Scope, project_id: int, as_of: date) -> dict[str, Any]:
    """``application_facts`` inside the caller's transaction (the seed loader builds its snapshots with it)."""
    app = _readable_app(connection, scope, project_id)
    catalogue = _criteria(connection, app.alliance_id)
    has_final = any(s.is_final for s in _statements(connection, project_id))
    seen = _visibility(scope, app.alliance_id, has_final)
    return _facts(
        connection,
        app,
        as_of,
        _scoring(connection, project_id, catalogue),
        seen=seen,
        money_visible=sees_project_money(connection, scope, app.id),
    )


def application_facts(engine: Engine, scope: Scope, project_id: int, *, as_of: date) -> dict[str, Any]:
    """The facts snapshot of an application (issue 7 contract): key facts, the regional need of its Kreise at or
    before ``as_of``, the criteria and the assessments — as far as the scope may read them."""
    with engine.connect() as connection:
        return facts_for(connection, scope, project_id, as_of)


# --- the pipeline ------------------------------------------------------------------------------------------------


def _pipeline_rows(engine: Engine, scope: Scope, alliance_id: int, flt: ApplicationFilter, today: date) -> pl.DataFrame:
    """The applications with every column, money unmasked, plus ``money_visible`` and ``has_final``."""
    scope.require_alliance(alliance_id)
    statuses = [s for s in (flt.statuses or rules.PIPELINE_STATUSES) if s in rules.PIPELINE_STATUSES]
    where = [
        col(Project.alliance_id) == alliance_id,
        project_rows(scope),
        col(Project.status).in_(statuses),
    ]
    if flt.applicant_ids:
        where.append(col(Project.lead_member_id).in_(list(flt.applicant_ids)))
    if flt.topic_ids:
        where.append(
            select(literal(1))
            .where(col(ProjectTopic.project_id) == col(Project.id), col(ProjectTopic.topic_id).in_(list(flt.topic_ids)))
            .exists()
        )
    if flt.region_ags:
        where.append(
            select(literal(1))
            .where(
                col(ProjectRegion.project_id) == col(Project.id),
                col(ProjectRegion.region_ags).in_(list(flt.region_ags)),
            )
            .exists()
        )
    visible = scope.money_filter(col(Project.id), col(Project.lead_member_id))
    statement = (
        select(
            col(Project.id),
            col(Project.title),
            col(Project.status),
            col(Project.lead_member_id),
            col(Member.name),
            cents(col(Project.total_cost)),
            cents(col(Project.requested_grant)),
            case((visible, True), else_=False),
            col(Project.created_at),
        )
        .join(Member, col(Member.id) == col(Project.lead_member_id))
        .where(*where)
        .order_by(col(Project.title))
    )
    schema = {
        "project_id": pl.Int64(),
        "title": pl.String(),
        "status": pl.String(),
        "lead_member_id": pl.Int64(),
        "lead_name": pl.String(),
        "total_cost_cents": pl.Int64(),
        "requested_cents": pl.Int64(),
        "money_visible": pl.Boolean(),
        "created_at": pl.Datetime("us", "UTC"),
    }
    with engine.connect() as connection:
        projects = rows_frame(connection, statement, schema)
        ids = projects["project_id"].to_list()
        changes = rows_frame(
            connection,
            select(
                col(ProjectStatusChange.project_id),
                col(ProjectStatusChange.to_status),
                col(ProjectStatusChange.changed_at),
            ).where(col(ProjectStatusChange.project_id).in_(ids)),
            {"project_id": pl.Int64(), "to_status": pl.String(), "changed_at": pl.Datetime("us", "UTC")},
        )
        counts = rows_frame(
            connection,
            select(col(Assessment.project_id), func.count())
            .where(col(Assessment.project_id).in_(ids))
            .group_by(col(Assessment.project_id)),
            {"project_id": pl.Int64(), "assessments": pl.Int64()},
        )
        scores = _score_rows(connection, ids)
        statements = rows_frame(
            connection,
            select(
                col(Statement.project_id),
                col(Statement.number),
                col(Statement.recommendation),
                col(Statement.finalised_at).is_not(None),
            ).where(col(Statement.project_id).in_(ids)),
            {"project_id": pl.Int64(), "number": pl.Int64(), "recommendation": pl.String(), "final": pl.Boolean()},
        )
        topics = rows_frame(
            connection,
            select(col(ProjectTopic.project_id), col(Topic.name))
            .join(Topic, col(Topic.id) == col(ProjectTopic.topic_id))
            .where(col(ProjectTopic.project_id).in_(ids)),
            {"project_id": pl.Int64(), "name": pl.String()},
        )
        regions = rows_frame(
            connection,
            select(col(ProjectRegion.project_id), col(Region.name), col(Region.ags))
            .join(Region, col(Region.ags) == col(ProjectRegion.region_ags))
            .where(col(ProjectRegion.project_id).in_(ids)),
            {"project_id": pl.Int64(), "name": pl.String(), "ags": pl.String()},
        )
    return _assemble_pipeline(
        projects=projects,
        changes=changes,
        counts=counts,
        scores=scores,
        statements=statements,
        topics=topics,
        regions=regions,
        today=today,
    )


def _assemble_pipeline(
    *,
    projects: pl.DataFrame,
    changes: pl.DataFrame,
    counts: pl.DataFrame,
    scores: pl.DataFrame,
    statements: pl.DataFrame,
    topics: pl.DataFrame,
    regions: pl.DataFrame,
    today: date,
) -> pl.DataFrame:
    changes = changes.with_columns(pl.col("changed_at").dt.date().alias("on"))
    submitted = (
        changes.filter(pl.col("to_status") == ProjectStatus.BEANTRAGT.value)
        .group_by("project_id")
        .agg(pl.col("on").min().alias("submitted_on"))
    )
    entered = changes.group_by("project_id", "to_status").agg(pl.col("on").max().alias("entered_on"))
    totals = rules.assessment_totals(scores).join(
        scores.select("assessment_id", "project_id").unique(), on="assessment_id"
    )
    per_project = (
        scores.filter(pl.col("score").is_not_null())
        .group_by("project_id", "code")
        .agg(
            pl.col("weight").first(),
            pl.col("score").mean().alias("mean"),
            (pl.col("score").max() - pl.col("score").min()).alias("spread"),
        )
        .group_by("project_id")
        .agg(
            ((pl.col("weight") * pl.col("mean")).sum() / pl.col("weight").sum()).round(2).alias("weighted_total"),
            (pl.col("spread") >= rules.SPREAD_FLAG).any().alias("criterion_flag"),
        )
    )
    totals_flag = totals.group_by("project_id").agg(
        (
            (pl.col("weighted_total").max() - pl.col("weighted_total").min() >= rules.TOTAL_SPREAD_FLAG - 1e-9)
            & (pl.len() >= 2)
        ).alias("totals_flag")
    )
    latest = (
        statements.sort("number")
        .group_by("project_id")
        .agg(
            pl.col("final").last().alias("latest_final"),
            pl.col("recommendation").filter("final").last().alias("recommendation"),
            pl.col("final").any().alias("has_final"),
        )
    )
    topic_lists = topics.sort("project_id", "name").group_by("project_id").agg(pl.col("name").alias("topics"))
    region_lists = regions.sort("project_id", "ags").group_by("project_id").agg(pl.col("name").alias("regions"))
    empty = pl.lit([], dtype=pl.List(pl.String()))
    return (
        projects.join(submitted, on="project_id", how="left")
        .join(entered, left_on=["project_id", "status"], right_on=["project_id", "to_status"], how="left")
        .join(counts, on="project_id", how="left")
        .join(per_project, on="project_id", how="left")
        .join(totals_flag, on="project_id", how="left")
        .join(latest, on="project_id", how="left")
        .join(topic_lists, on="project_id", how="left")
        .join(region_lists, on="project_id", how="left")
        .with_columns(
            stage_since=pl.coalesce("entered_on", pl.col("created_at").dt.date()),
            assessments=pl.col("assessments").fill_null(0),
            flagged=(pl.col("criterion_flag").fill_null(False) | pl.col("totals_flag").fill_null(False)),
            statement_state=pl.when(pl.col("latest_final").is_null())
            .then(pl.lit("none"))
            .when(pl.col("latest_final"))
            .then(pl.lit("final"))
            .otherwise(pl.lit("draft")),
            has_final=pl.col("has_final").fill_null(False),
            total_cost=_money_column("total_cost_cents"),
            requested_grant=_money_column("requested_cents"),
            topics=pl.col("topics").fill_null(empty),
            regions=pl.col("regions").fill_null(empty),
        )
        # Only a submitted, undecided application waits on the alliance: an idea is not submitted yet and a decided
        # one waits no more, so neither has a waiting time (nor stretches its stage's median with years-old dates).
        .with_columns(
            waiting_days=pl.when(
                pl.col("status").is_in([ProjectStatus.BEANTRAGT.value, ProjectStatus.BEWERTET.value])
            ).then((pl.lit(today) - pl.col("stage_since")).dt.total_days())
        )
    )


def _masked(rows: pl.DataFrame, scope: Scope, alliance_id: int) -> pl.DataFrame:
    manager = scope.can_manage_alliance(alliance_id)
    member = scope.role == Role.MEMBER and not manager
    sees_total = pl.lit(True) if not member else pl.col("has_final")
    return rows.with_columns(
        pl.when("money_visible").then(pl.col("total_cost")).otherwise(None).alias("total_cost"),
        pl.when("money_visible").then(pl.col("requested_grant")).otherwise(None).alias("requested_grant"),
        pl.when(sees_total).then(pl.col("weighted_total")).otherwise(None).alias("weighted_total"),
        (pl.col("flagged") & (pl.lit(manager) | pl.col("has_final"))).alias("flagged"),
    ).select(pl.col(name).cast(dtype) for name, dtype in PIPELINE_SCHEMA.items())


def pipeline(
    engine: Engine, scope: Scope, alliance_id: int, flt: ApplicationFilter = ApplicationFilter(), *, today: date
) -> pl.DataFrame:
    """One row per application (PIPELINE_SCHEMA), by title; foreign money masked for members, weighted totals and
    flags only where the scope may read them."""
    return _masked(_pipeline_rows(engine, scope, alliance_id, flt, today), scope, alliance_id)


def pipeline_stages(
    engine: Engine, scope: Scope, alliance_id: int, flt: ApplicationFilter = ApplicationFilter(), *, today: date
) -> pl.DataFrame:
    """Per pipeline status (in order; every status of the filter): applications, the requested grant of all of
    them (masked projects count: totals are not details) and the median days they have waited in that stage."""
    return _stages(_pipeline_rows(engine, scope, alliance_id, flt, today), flt)


def pipeline_with_stages(
    engine: Engine, scope: Scope, alliance_id: int, flt: ApplicationFilter = ApplicationFilter(), *, today: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``pipeline`` and ``pipeline_stages`` from one read (the page shows both)."""
    rows = _pipeline_rows(engine, scope, alliance_id, flt, today)
    return _masked(rows, scope, alliance_id), _stages(rows, flt)


def _stages(rows: pl.DataFrame, flt: ApplicationFilter) -> pl.DataFrame:
    statuses = [s for s in (flt.statuses or rules.PIPELINE_STATUSES) if s in rules.PIPELINE_STATUSES]
    summary = rules.pipeline_summary(rows.select("status", "requested_grant", "waiting_days"), statuses)
    return summary.select(pl.col(name).cast(dtype) for name, dtype in STAGES_SCHEMA.items())


# --- one application ---------------------------------------------------------------------------------------------


def _history(connection: Connection, project_id: int) -> pl.DataFrame:
    return rows_frame(
        connection,
        select(
            col(ProjectStatusChange.from_status),
            col(ProjectStatusChange.to_status),
            col(ProjectStatusChange.changed_at),
            col(ProjectStatusChange.user_name),
        )
        .where(col(ProjectStatusChange.project_id) == project_id)
        .order_by(col(ProjectStatusChange.changed_at), col(ProjectStatusChange.id)),
        HISTORY_SCHEMA,
    )


def _alliance_members(connection: Connection, alliance_id: int) -> list[tuple[int, str]]:
    rows = connection.execute(
        select(col(Member.id), col(Member.name))
        .where(col(Member.alliance_id) == alliance_id)
        .order_by(col(Member.name))
    ).all()
    return [(as_int(member_id), name) for member_id, name in rows]


def _can_score_as(scope: Scope, app: _App, members: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    if app.status not in rules.ASSESSABLE_STATUSES:
        return []
    if scope.can_manage_alliance(app.alliance_id):
        allowed = members
    elif scope.role == Role.MEMBER and scope.can_read_alliance(app.alliance_id):
        allowed = [(member_id, name) for member_id, name in members if member_id in scope.member_ids]
    else:
        return []
    return [(member_id, name) for member_id, name in allowed if member_id not in app.conflicted]


def application(engine: Engine, scope: Scope, project_id: int, *, today: date) -> ApplicationView:
    """Everything the application page shows of one application, as far as the scope may read it."""
    with engine.connect() as connection:
        app = _readable_app(connection, scope, project_id)
        catalogue = _criteria(connection, app.alliance_id)
        statements = _statements(connection, project_id)
        has_final = any(s.is_final for s in statements)
        seen = _visibility(scope, app.alliance_id, has_final)
        scoring = _scoring(connection, project_id, catalogue)
        money_visible = sees_project_money(connection, scope, app.id)
        history = _history(connection, project_id)
        members = _alliance_members(connection, app.alliance_id)
    scores, assessments = _visible(scoring, seen)
    if not seen.totals:
        assessments = assessments.with_columns(pl.lit(None, dtype=pl.Float64()).alias("weighted_total"))
    manage = scope.can_manage_alliance(app.alliance_id)
    latest_final = next((s for s in statements if s.is_final), None)
    submitted = history.filter(pl.col("to_status") == ProjectStatus.BEANTRAGT.value)["changed_at"].min()
    entered = history.filter(pl.col("to_status") == app.status)["changed_at"].max()
    return ApplicationView(
        id=app.id,
        alliance_id=app.alliance_id,
        title=app.title,
        description=app.description,
        status=app.status,
        version=app.version,
        lead_member_id=app.lead_member_id,
        lead_name=app.lead_name,
        partner_ids=app.partner_ids,
        partner_names=tuple(name for _, name in app.partners),
        topics=app.topics,
        region_ags=tuple(ags for ags, _ in app.regions),
        regions=tuple(name for _, name in app.regions),
        total_cost=app.total_cost if money_visible else None,
        requested_grant=app.requested_grant if money_visible else None,
        approved_grant=app.approved_grant if money_visible else None,
        money_visible=money_visible,
        start_date=app.start_date,
        end_date=app.end_date,
        fund=app.fund,
        submitted_on=_as_date(submitted),
        stage_since=_as_date(entered) or _as_date(app.created_at),
        criteria=catalogue,
        scores=scores,
        assessments=assessments,
        assessment_count=scoring.assessments.height,
        criterion_summary=scoring.summary if seen.totals else scoring.summary.clear(),
        weighted_total=scoring.weighted_total if seen.total else None,
        flagged=scoring.flagged if seen.totals else False,
        conflicted_member_ids=app.conflicted,
        can_score_as=_can_score_as(scope, app, members),
        statements=[s for s in statements if s.is_final or manage],
        can_manage=manage,
        next_statuses=(
            rules.next_statuses(
                app.status, positive_final=latest_final is not None and rules.is_positive(latest_final.recommendation)
            )
            if manage
            else []
        ),
        status_history=history,
    )


# --- assessments -------------------------------------------------------------------------------------------------


def _clean_score(value: Any) -> int | str | None:
    """The score as an int, None when blank, or the key of what is wrong with it."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "score_not_integer"
    if isinstance(value, int):
        number = value
    elif isinstance(value, float | Decimal) and value == int(value):
        number = int(value)
    else:
        return "score_not_integer"
    if not rules.SCORE_MIN <= number <= rules.SCORE_MAX:
        return "score_out_of_range"
    return number


def _check_scores(
    scores: Mapping[int, Any], catalogue: Sequence[Criterion], errors: list[FieldError]
) -> dict[int, int]:
    """The clean scores (criterion id → score); a FieldError per bad or missing score is added to ``errors``."""
    by_id = {c.id: c for c in catalogue}
    clean: dict[int, int] = {}
    for criterion_id, raw in dict(scores).items():
        if criterion_id not in by_id:
            errors.append(FieldError(f"score_{criterion_id}", "criterion_unknown"))
            continue
        value = _clean_score(raw)
        if isinstance(value, str):
            errors.append(
                FieldError(f"score_{criterion_id}", value, {"criterion": by_id[criterion_id].name, "value": raw})
            )
        elif value is not None:
            clean[criterion_id] = value
    bad = {error.field for error in errors}
    errors += [
        FieldError(f"score_{c.id}", "score_required", {"criterion": c.name})
        for c in catalogue
        if c.required and c.id not in clean and f"score_{c.id}" not in bad
    ]
    return clean


def _check_assessment(
    connection: Connection, scope: Scope, app: _App, data: AssessmentInput, catalogue: Sequence[Criterion]
) -> dict[int, int]:
    """Permission and every rule of an assessment; the clean scores (criterion id → score)."""
    if scope.role == Role.LIAISON or not scope.writes_anything:
        raise PermissionDenied(f"{scope.user} ({scope.role}) records no assessments")
    manage = scope.can_manage_alliance(app.alliance_id)
    if not manage and not (scope.role == Role.MEMBER and data.assessor_member_id in scope.member_ids):
        raise PermissionDenied(f"{scope.user} ({scope.role}) scores only as its own organisation")
    errors: list[FieldError] = []
    if app.status not in rules.ASSESSABLE_STATUSES:
        errors.append(FieldError(GENERAL_FIELD, "assessment_closed", {"status": app.status}))
    members = {member_id for member_id, _ in _alliance_members(connection, app.alliance_id)}
    if data.assessor_member_id not in members:
        errors.append(FieldError("assessor", "assessor_foreign"))
    elif data.assessor_member_id in app.conflicted:
        key = "assessor_is_applicant" if data.assessor_member_id == app.lead_member_id else "assessor_is_partner"
        errors.append(FieldError("assessor", key))
    clean = _check_scores(data.scores, catalogue, errors)
    if not clean and not errors:
        errors.append(FieldError(GENERAL_FIELD, "scores_missing"))
    if len(data.comment or "") > rules.COMMENT_LIMIT:
        errors.append(FieldError("comment", "comment_too_long", {"limit": rules.COMMENT_LIMIT}))
    if errors:
        raise ValidationFailed(errors)
    return clean


def record_assessment(
    engine: Engine, scope: Scope, project_id: int, data: AssessmentInput, *, opened_version: int | None
) -> int:
    """Insert or update the assessor organisation's assessment; returns its id.

    ``opened_version`` is the version of that organisation's assessment when the form was opened (None: there
    was none yet); StaleEdit when someone saved it in the meantime.
    """
    with write_transaction(engine) as connection:
        app = _readable_app(connection, scope, project_id)
        catalogue = _criteria(connection, app.alliance_id)
        clean = _check_assessment(connection, scope, app, data, catalogue)
        codes = {c.id: c.code for c in catalogue}
        comment = (data.comment or "").strip()
        on = data.assessed_on or utcnow().date()
        table = Assessment.__table__  # type: ignore[attr-defined]
        stored = connection.execute(
            select(table).where(table.c.project_id == project_id, table.c.assessor_member_id == data.assessor_member_id)
        ).one_or_none()
        old_scores: dict[str, int] = {}
        if stored is not None:
            old_scores = {
                code: int(score)
                for code, score in connection.execute(
                    select(col(AssessmentCriterion.code), col(AssessmentScore.score))
                    .join(AssessmentCriterion, col(AssessmentCriterion.id) == col(AssessmentScore.criterion_id))
                    .where(col(AssessmentScore.assessment_id) == stored.id)
                ).all()
            }
        new_values = {
            "assessed_on": on,
            "comment": comment,
            "scores": {codes[criterion_id]: score for criterion_id, score in sorted(clean.items())},
        }
        if stored is None:
            if opened_version is not None:
                raise NotFound(f"assessment of member {data.assessor_member_id} on project {project_id}")
            result = connection.execute(
                insert(table).values(
                    project_id=project_id,
                    assessor_member_id=data.assessor_member_id,
                    assessor_name=scope.user[:200],
                    assessed_on=on,
                    comment=comment,
                    **created_stamp(utcnow()),
                )
            )
            assessment_id = new_id(result)
            action, old, new = (
                AuditAction.CREATE,
                None,
                {
                    "project_id": project_id,
                    "assessor_member_id": data.assessor_member_id,
                    **new_values,
                },
            )
        else:
            assessment_id = int(stored.id)
            old_values = {"assessed_on": stored.assessed_on, "comment": stored.comment, "scores": old_scores}
            if opened_version != int(stored.version):
                raise StaleEdit(
                    "assessment",
                    assessment_id,
                    expected=opened_version or 0,
                    current=int(stored.version),
                    changes=field_changes(new_values, old_values),
                )
            old, new = audit.changed(old_values, new_values)
            if not new:
                return assessment_id
            values = {"assessed_on": on, "comment": comment, "assessor_name": scope.user[:200]}
            if not guarded_update(connection, Assessment, assessment_id, opened_version, values):
                raise StaleEdit("assessment", assessment_id, expected=opened_version, current=-1, changes=[])
            connection.execute(
                AssessmentScore.__table__.delete().where(  # type: ignore[attr-defined]
                    col(AssessmentScore.assessment_id) == assessment_id
                )
            )
            action = AuditAction.UPDATE
        if clean:
            connection.execute(
                insert(AssessmentScore),
                [
                    {"assessment_id": assessment_id, "criterion_id": criterion_id, "score": score}
                    for criterion_id, score in sorted(clean.items())
                ],
            )
        audit.record(
            connection,
            scope,
            action=action,
            table="assessment",
            record_id=assessment_id,
            alliance_id=app.alliance_id,
            old=old,
            new=new,
        )
    return assessment_id


# --- statements --------------------------------------------------------------------------------------------------


def _statement_row(connection: Connection, statement_id: int) -> Any:
    table = Statement.__table__  # type: ignore[attr-defined]
    return connection.execute(select(table).where(table.c.id == statement_id)).one_or_none()


def _managed_statement(connection: Connection, scope: Scope, statement_id: int) -> tuple[StatementRecord, _App]:
    row = _statement_row(connection, statement_id)
    if row is None:
        raise NotFound(f"statement {statement_id}")
    app = _readable_app(connection, scope, int(row.project_id))
    _require_manage(scope, app.alliance_id)
    return _statement_record(row), app


def _manager_facts(connection: Connection, app: _App, as_of: date) -> tuple[dict[str, Any], _Scoring]:
    catalogue = _criteria(connection, app.alliance_id)
    scoring = _scoring(connection, app.id, catalogue)
    everything = _Visibility(True, frozenset(), True, True)
    return _facts(connection, app, as_of, scoring, seen=everything, money_visible=True), scoring


def _insert_statement(
    connection: Connection,
    scope: Scope,
    app: _App,
    *,
    text: str,
    recommendation: str | None,
    facts: dict[str, Any],
    weighted_total: float | None,
) -> StatementRecord:
    table = Statement.__table__  # type: ignore[attr-defined]
    last = connection.execute(select(func.max(table.c.number)).where(table.c.project_id == app.id)).scalar_one_or_none()
    number = 1 if last is None else int(last) + 1
    values = {
        "project_id": app.id,
        "number": number,
        "text": text,
        "recommendation": recommendation,
        "weighted_total": weighted_total,
        "facts": facts,
    }
    result = connection.execute(
        insert(table).values(**values, finalised_at=None, finalised_by=None, **created_stamp(utcnow()))
    )
    statement_id = new_id(result)
    audit.record(
        connection,
        scope,
        action=AuditAction.CREATE,
        table="statement",
        record_id=statement_id,
        alliance_id=app.alliance_id,
        new={key: value for key, value in values.items() if key != "facts"},
    )
    return StatementRecord(
        id=statement_id,
        project_id=app.id,
        number=number,
        text=text,
        recommendation=recommendation,
        weighted_total=weighted_total,
        facts=facts,
        finalised_at=None,
        finalised_by=None,
        version=1,
        is_final=False,
    )


def _open_draft(statements: Sequence[StatementRecord]) -> StatementRecord | None:
    return next((s for s in statements if not s.is_final), None)


def _require_assessable(app: _App) -> None:
    if app.status not in rules.ASSESSABLE_STATUSES:
        raise _fail(GENERAL_FIELD, "statement_status", status=app.status)


def draft_statement(
    engine: Engine, scope: Scope, project_id: int, *, language: str = "de", today: date
) -> StatementRecord:
    """The open draft of the application's statement, created (next number) with a generated text if there is
    none. Speakers and admins."""
    with write_transaction(engine) as connection:
        app = _readable_app(connection, scope, project_id)
        _require_manage(scope, app.alliance_id)
        draft = _open_draft(_statements(connection, project_id))
        if draft is not None:
            return draft
        _require_assessable(app)
        facts, scoring = _manager_facts(connection, app, today)
        return _insert_statement(
            connection,
            scope,
            app,
            text=rules.statement_text(facts, language),
            recommendation=None,
            facts=facts,
            weighted_total=scoring.weighted_total,
        )


def new_statement_version(engine: Engine, scope: Scope, project_id: int, *, today: date) -> StatementRecord:
    """A new draft (next number) that starts from the last finalised statement's text and recommendation; the open
    draft if there is one already."""
    with write_transaction(engine) as connection:
        app = _readable_app(connection, scope, project_id)
        _require_manage(scope, app.alliance_id)
        statements = _statements(connection, project_id)
        draft = _open_draft(statements)
        if draft is not None:
            return draft
        _require_assessable(app)
        final = next((s for s in statements if s.is_final), None)
        if final is None:
            raise _fail(GENERAL_FIELD, "statement_no_final")
        facts, scoring = _manager_facts(connection, app, today)
        return _insert_statement(
            connection,
            scope,
            app,
            text=final.text,
            recommendation=final.recommendation,
            facts=facts,
            weighted_total=scoring.weighted_total,
        )


def _check_recommendation(recommendation: str | None) -> str | None:
    if recommendation in (None, ""):
        return None
    if recommendation not in {member.value for member in Recommendation}:
        raise _fail("recommendation", "recommendation_unknown", value=recommendation)
    return recommendation


def _update_draft(connection: Connection, statement_id: int, opened_version: int, values: Mapping[str, Any]) -> bool:
    """The guarded UPDATE of a statement that is still a draft (a finalised one is never written again)."""
    return guarded_update(
        connection, Statement, statement_id, opened_version, values, col(Statement.finalised_at).is_(None)
    )


def _stale_statement(
    connection: Connection, current: StatementRecord, opened_version: int, values: Mapping[str, Any]
) -> StaleEdit:
    row = _statement_row(connection, current.id)
    saved = _statement_record(row) if row is not None else current
    changes = [
        Change(name, values[name], getattr(saved, name))
        for name in ("text", "recommendation")
        if values.get(name) != getattr(saved, name)
    ]
    return StaleEdit("statement", current.id, expected=opened_version, current=saved.version, changes=changes)


def save_statement(
    engine: Engine,
    scope: Scope,
    statement_id: int,
    text: str,
    recommendation: str | None,
    *,
    opened_version: int,
    today: date | None = None,
) -> StatementRecord:
    """Save the draft's text and recommendation (speakers and admins); its facts are refreshed for ``today``."""
    clean_text = (text or "").strip()
    with write_transaction(engine) as connection:
        current, app = _managed_statement(connection, scope, statement_id)
        if current.is_final:
            raise _fail(GENERAL_FIELD, "statement_final", number=current.number)
        errors: list[FieldError] = []
        if len(clean_text) > TEXT_LIMIT:
            errors.append(FieldError("text", "statement_too_long", {"limit": TEXT_LIMIT}))
        try:
            chosen = _check_recommendation(recommendation)
        except ValidationFailed as failed:
            errors += failed.errors
            chosen = None
        if errors:
            raise ValidationFailed(errors)
        values = {"text": clean_text, "recommendation": chosen}
        if current.version != opened_version:
            raise _stale_statement(connection, current, opened_version, values)
        facts, scoring = _manager_facts(connection, app, today or utcnow().date())
        refreshed = {**values, "facts": facts, "weighted_total": scoring.weighted_total}
        if not _update_draft(connection, statement_id, opened_version, refreshed):
            raise _stale_statement(connection, current, opened_version, values)
        old, new = audit.changed({"text": current.text, "recommendation": current.recommendation}, values)
        new["facts_as_of"] = facts["as_of"]  # every save refreshes the draft's facts
        audit.record(
            connection,
            scope,
            action=AuditAction.UPDATE,
            table="statement",
            record_id=statement_id,
            alliance_id=app.alliance_id,
            old=old,
            new=new,
        )
    return replace(
        current,
        text=clean_text,
        recommendation=chosen,
        weighted_total=scoring.weighted_total,
        facts=facts,
        finalised_at=None,
        finalised_by=None,
        version=opened_version + 1,
        is_final=False,
    )


def _move(
    connection: Connection,
    scope: Scope,
    app: _App,
    to_status: str,
    *,
    expected_version: int,
    on: date,
    extra: Mapping[str, Any] | None = None,
) -> bool:
    """Move the project to ``to_status`` (guarded by its version) with its status-change row and audit entry."""
    values = {"status": to_status, **(extra or {})}
    if not guarded_update(connection, Project, app.id, expected_version, values, col(Project.status) == app.status):
        return False
    connection.execute(
        insert(ProjectStatusChange).values(
            project_id=app.id,
            from_status=app.status,
            to_status=to_status,
            changed_at=_changed_at(on),
            user_name=scope.user[:200],
        )
    )
    old = {"status": app.status, **{name: getattr(app, name) for name in (extra or {})}}
    audit.record(
        connection,
        scope,
        action=AuditAction.UPDATE,
        table="project",
        record_id=app.id,
        alliance_id=app.alliance_id,
        old=old,
        new=values,
    )
    return True


def _stale_project(connection: Connection, app: _App, expected: int) -> StaleEdit:
    current = _load_app(connection, app.id)
    if current is None:
        raise NotFound(f"project {app.id}")
    changes = [Change("status", app.status, current.status)] if current.status != app.status else []
    return StaleEdit("project", app.id, expected=expected, current=current.version, changes=changes)


def finalise_statement(
    engine: Engine, scope: Scope, statement_id: int, *, opened_version: int, today: date
) -> StatementRecord:
    """Freeze the draft for good: facts snapshot as of ``today``, recommendation required, at least
    MIN_ASSESSMENTS assessments; a beantragt application moves to bewertet (speakers and admins)."""
    with write_transaction(engine) as connection:
        current, app = _managed_statement(connection, scope, statement_id)
        if current.is_final:
            raise _fail(GENERAL_FIELD, "statement_already_final", number=current.number)
        errors: list[FieldError] = []
        if app.status not in rules.ASSESSABLE_STATUSES:
            errors.append(FieldError(GENERAL_FIELD, "statement_status", {"status": app.status}))
        if current.recommendation is None:
            errors.append(FieldError("recommendation", "recommendation_required"))
        if not current.text.strip():
            errors.append(FieldError("text", "statement_text_required"))
        count = connection.execute(
            select(func.count()).select_from(Assessment).where(col(Assessment.project_id) == app.id)
        ).scalar_one()
        if count < rules.MIN_ASSESSMENTS:
            errors.append(
                FieldError(GENERAL_FIELD, "too_few_assessments", {"count": count, "minimum": rules.MIN_ASSESSMENTS})
            )
        if errors:
            raise ValidationFailed(errors)
        unchanged = {"text": current.text, "recommendation": current.recommendation}
        if current.version != opened_version:
            raise _stale_statement(connection, current, opened_version, unchanged)
        facts, scoring = _manager_facts(connection, app, today)
        now = utcnow()
        frozen = {
            "facts": facts,
            "weighted_total": scoring.weighted_total,
            "finalised_at": now,
            "finalised_by": scope.user[:200],
            "updated_at": now,
        }
        if not _update_draft(connection, statement_id, opened_version, frozen):
            raise _stale_statement(connection, current, opened_version, unchanged)
        audit.record(
            connection,
            scope,
            action=AuditAction.UPDATE,
            table="statement",
            record_id=statement_id,
            alliance_id=app.alliance_id,
            old={"finalised_at": None},
            new={
                "finalised_at": now,
                "finalised_by": scope.user,
                "recommendation": current.recommendation,
                "weighted_total": scoring.weighted_total,
            },
        )
        if app.status == ProjectStatus.BEANTRAGT.value and not _move(
            connection, scope, app, ProjectStatus.BEWERTET.value, expected_version=app.version, on=today
        ):
            raise _stale_project(connection, app, app.version)
    return replace(
        current,
        weighted_total=scoring.weighted_total,
        facts=facts,
        finalised_at=now,
        finalised_by=scope.user[:200],
        version=opened_version + 1,
        is_final=True,
    )


# --- status changes ----------------------------------------------------------------------------------------------


def _approved_amount(app: _App, approved_grant: Decimal | None) -> Decimal:
    amount = approved_grant if approved_grant is not None else app.requested_grant
    if amount is None:
        raise _fail("approved_grant", "required")
    try:
        amount = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise _fail("approved_grant", "amount_invalid", value=str(amount)) from None
    if not amount.is_finite():
        raise _fail("approved_grant", "amount_invalid", value=str(amount))
    if amount != amount.quantize(CENT):
        raise _fail("approved_grant", "amount_decimals")
    if abs(amount) >= MONEY_LIMIT:
        raise _fail("approved_grant", "amount_too_large")
    if amount <= 0:
        raise _fail("approved_grant", "approval_positive")
    if amount > app.total_cost:
        raise _fail("approved_grant", "approved_exceeds_cost", grant=amount, cost=app.total_cost)
    return amount.quantize(CENT)


def change_status(
    engine: Engine,
    scope: Scope,
    project_id: int,
    to_status: str,
    *,
    opened_version: int,
    on: date,
    approved_grant: Decimal | None = None,
) -> int:
    """Move an application along ``ALLOWED`` (speakers and admins); returns the project's new version.

    bewilligt needs a finalised statement with a positive recommendation and books the approved grant (default:
    the requested grant) as a commitment dated ``on`` in the project's fund. beantragt → bewertet only happens
    by finalising the statement.
    """
    with write_transaction(engine) as connection:
        app = _readable_app(connection, scope, project_id)
        _require_manage(scope, app.alliance_id)
        if app.version != opened_version:
            raise _stale_project(connection, app, opened_version)
        if (app.status, to_status) in rules.BY_STATEMENT_ONLY:
            raise _fail("status", "status_by_statement")
        if not rules.transition_allowed(app.status, to_status):
            raise _fail("status", "transition_forbidden", current=app.status, target=to_status)
        extra: dict[str, Any] = {}
        amount: Decimal | None = None
        final: StatementRecord | None = None
        if to_status == ProjectStatus.BEWILLIGT.value:
            final = next((s for s in _statements(connection, project_id) if s.is_final), None)
            if final is None or not rules.is_positive(final.recommendation):
                raise _fail("status", "approval_needs_positive_statement")
            amount = _approved_amount(app, approved_grant)
            extra["approved_grant"] = amount
        if not _move(connection, scope, app, to_status, expected_version=opened_version, on=on, extra=extra):
            raise _stale_project(connection, app, opened_version)
        if amount is not None and final is not None:
            entry = {
                "project_id": app.id,
                "entry_date": on,
                "kind": EntryKind.COMMITMENT.value,
                "amount": amount,
                "fund": app.fund,
                "note": APPROVAL_NOTE.format(number=final.number),
            }
            result = connection.execute(insert(FinancialEntry).values(**entry, **created_stamp(utcnow())))
            audit.record(
                connection,
                scope,
                action=AuditAction.CREATE,
                table="financial_entry",
                record_id=new_id(result),
                alliance_id=app.alliance_id,
                new=entry,
            )
    return opened_version + 1


__all__ = [
    "MIGRATED_ASSESSOR",
    "ApplicationFilter",
    "ApplicationView",
    "AssessmentInput",
    "Criterion",
    "CriterionInput",
    "StatementRecord",
    "application",
    "application_facts",
    "archive_criterion",
    "change_status",
    "criteria",
    "draft_statement",
    "facts_for",
    "finalise_statement",
    "new_statement_version",
    "pipeline",
    "pipeline_stages",
    "record_assessment",
    "restore_criterion",
    "save_criterion",
]

"""Single-record write services behind the forms: projects, financial entries, indicator values, targets, budgets.

Every write checks the scope's permission first, validates every field with the rules the bulk import shares
(``rules.py``; all problems at once in one ValidationFailed), and then runs in one transaction: a guarded
``UPDATE … WHERE id = :id AND version = :opened`` (optimistic locking: no row means someone else saved first,
so nothing is overwritten and StaleEdit lists what they changed), version + 1, ``updated_at``, and the audit
entry with the old and new values of the changed fields. Link tables (partners, topics, Kreise) are part of a
project's audited values. Deleting is soft: ``archived_at`` is set (action archive) and cleared again by
speakers and admins (action restore).

Amounts are validated before they are rounded to the cent (so 31 typed digits get their message, not a Decimal
overflow). A constraint that fires although the checks passed (someone wrote in between) is told for what it is:
the project title taken, a referenced record gone (``GENERAL_FIELD``), or another clash. Reads follow the scope's
money rule: a member opening another partner's project (one it neither leads nor takes part in) gets it without
total cost and grants, and cannot open that project's bookings at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col

from dashboard.data_access import audit, queries
from dashboard.data_access.models import (
    Alliance,
    AllianceRegion,
    Budget,
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
    Target,
    Topic,
    utcnow,
)
from dashboard.data_access.money import CENT, cents
from dashboard.data_access.rules import (
    BUDGET_SCHEMA,
    ENTRY_SCHEMA,
    PROJECT_SCHEMA,
    TARGET_SCHEMA,
    VALUE_SCHEMA,
    ProjectContext,
    TargetContext,
    budget_rules,
    canonical_dimensions,
    check_projects,
    entry_rules,
    field_errors,
    money_text,
    one_row,
    target_rules,
    value_rules,
    violations,
)
from dashboard.data_access.scope import PermissionDenied, Scope
from dashboard.data_access.vocabulary import AuditAction, EntryKind, RegionLevel, Role, TargetScope
from dashboard.data_access.write_support import (
    GENERAL_FIELD,
    TITLE_CONSTRAINT,
    as_int,
    created_stamp,
    field_changes,
    guarded_update,
    integrity_failure,
    new_id,
    rows_frame,
    sees_project_money,
    write_transaction,
)
from dashboard.data_access.writes import Change, FieldError, NotFound, StaleEdit, ValidationFailed
from dashboard.i18n import formats, label

REPORTED_SOURCE = "Projektmeldung (Cockpit)"  # source of values reported through the form
MONEY_FIELDS = ("total_cost", "requested_grant", "approved_grant")


# --- records ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectInput:
    title: str
    description: str
    lead_member_id: int | None
    status: str  # ProjectStatus code
    fund: str  # Fund code
    start_date: date | None
    end_date: date | None
    total_cost: Decimal | None
    requested_grant: Decimal | None
    approved_grant: Decimal | None
    partner_ids: tuple[int, ...] = ()
    topic_ids: tuple[int, ...] = ()
    region_ags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProjectRecord:
    id: int
    alliance_id: int
    version: int
    values: ProjectInput
    archived: bool
    can_edit: bool  # scope.can_edit_project for this project (and not archived)
    # False for a member opening another partner's project it takes no part in: total cost and grants are None.
    money_visible: bool = True


@dataclass(frozen=True)
class FormOptions:
    members: pl.DataFrame  # id, name, member_type (of the alliance)
    topics: pl.DataFrame  # id, name
    regions: pl.DataFrame  # ags, name (the alliance's Kreise first; any Kreis may be chosen)
    indicators: pl.DataFrame  # id, code, name, unit (what projects report: ESF+ and own indicators)
    own_member_ids: frozenset[int]  # the scope's organisations in this alliance (member role), else empty


@dataclass(frozen=True)
class EntryInput:
    project_id: int
    entry_date: date | None
    kind: str  # EntryKind code
    amount: Decimal | None
    fund: str  # Fund code
    note: str = ""


@dataclass(frozen=True)
class EntryRecord:
    id: int
    version: int
    values: EntryInput


@dataclass(frozen=True)
class ValueInput:
    project_id: int
    indicator_id: int | None
    period_end: date | None
    value: float | None
    dimensions: str = ""  # "" total, e.g. "sex=w"
    is_cumulative: bool = False


@dataclass(frozen=True)
class TargetInput:
    indicator_id: int | None
    scope: str  # TargetScope code: alliance / topic / project
    topic_id: int | None
    project_id: int | None
    description: str
    baseline_value: float | None
    baseline_date: date | None
    target_value: float | None
    due_date: date | None


@dataclass(frozen=True)
class TargetRecord:
    id: int
    alliance_id: int
    version: int
    values: TargetInput


# --- shared helpers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Head:
    """Who owns a project: what every permission check of it and of its entries and values needs."""

    id: int
    alliance_id: int
    lead_member_id: int
    version: int
    archived: bool


def _require_writer(scope: Scope) -> None:
    """Fail fast for scopes that change nothing (liaisons, members without an organisation)."""
    if not scope.writes_anything:
        raise PermissionDenied(f"{scope.user} ({scope.role}) changes nothing")


def _text(value: str | None) -> str | None:
    """A required text input: stripped, blank as None (the rules' "required")."""
    stripped = (value or "").strip()
    return stripped or None


def _money(amount: Decimal | None) -> Decimal | None:
    """A validated amount as stored: exactly two decimals."""
    return None if amount is None else amount.quantize(CENT)


def _fail_on(found: Sequence[Any]) -> None:
    if found:
        raise ValidationFailed(field_errors(found))


def _project_head(connection: Connection, project_id: int) -> _Head | None:
    row = connection.execute(
        select(
            col(Project.id),
            col(Project.alliance_id),
            col(Project.lead_member_id),
            col(Project.version),
            col(Project.archived_at),
        ).where(col(Project.id) == project_id)
    ).one_or_none()
    if row is None:
        return None
    return _Head(as_int(row[0]), as_int(row[1]), as_int(row[2]), as_int(row[3]), row[4] is not None)


def _editable_head(connection: Connection, scope: Scope, project_id: int) -> _Head:
    """The project's head when the scope may change it (and it is not archived), else NotFound/PermissionDenied."""
    head = _project_head(connection, project_id)
    if head is None or head.archived:
        raise NotFound(f"project {project_id}")
    scope.require_edit_project(head.alliance_id, head.lead_member_id)
    return head


def _readable_head(connection: Connection, scope: Scope, project_id: int) -> _Head:
    head = _project_head(connection, project_id)
    if head is None or head.archived or not scope.can_read_alliance(head.alliance_id):
        raise NotFound(f"project {project_id}")
    return head


def _alliance_members(connection: Connection, alliance_id: int) -> list[int]:
    statement = select(col(Member.id)).where(col(Member.alliance_id) == alliance_id)
    return [as_int(value) for value in connection.execute(statement).scalars()]


def _own_members(scope: Scope, member_ids: Sequence[int]) -> frozenset[int]:
    return frozenset(scope.member_ids & set(member_ids)) if scope.role == Role.MEMBER else frozenset()


# --- form options and lists -------------------------------------------------------------------------------------


def project_indicators(connection: Connection) -> pl.DataFrame:
    """Indicators projects report (ESF+ common and the alliances' own): those without regional statistics.

    ``project_id IS NULL`` is written plainly here so both databases use the partial unique index of regional
    values, whose leading column is the indicator. SQLite's statistics cannot tell that NULL is most rows of
    ``ix_observation_project`` and pick that index instead, scanning every regional value per indicator (3.6 s on
    the large instance); ``likely()`` marks the term as matching most rows, so it takes the partial index (0.1 ms).
    """
    regional_value: ColumnElement[bool] = col(Observation.project_id).is_(None)
    if connection.dialect.name == "sqlite":
        regional_value = func.likely(regional_value)
    regional = exists(select(literal(1)).where(col(Observation.indicator_id) == col(Indicator.id), regional_value))
    statement = (
        select(col(Indicator.id), col(Indicator.code), col(Indicator.name), col(Indicator.unit))
        .where(~regional)
        .order_by(col(Indicator.code))
    )
    return rows_frame(
        connection, statement, {"id": pl.Int64(), "code": pl.String(), "name": pl.String(), "unit": pl.String()}
    )


def form_options(engine: Engine, scope: Scope, alliance_id: int) -> FormOptions:
    """What the forms of an alliance offer to choose from."""
    scope.require_alliance(alliance_id)
    members = queries.members(engine, scope, alliance_id).select("id", "name", "member_type")
    topics = queries.topics(engine, scope, alliance_id).select("id", "name")
    own_region = (
        select(literal(1))
        .where(col(AllianceRegion.alliance_id) == alliance_id, col(AllianceRegion.region_ags) == col(Region.ags))
        .exists()
    )
    regions = (
        select(col(Region.ags), col(Region.name))
        .where(col(Region.level) == RegionLevel.KREIS.value)
        .order_by(own_region.desc(), col(Region.name), col(Region.ags))
    )
    with engine.connect() as connection:
        region_frame = rows_frame(connection, regions, {"ags": pl.String(), "name": pl.String()})
        indicators = project_indicators(connection)
    return FormOptions(
        members=members,
        topics=topics,
        regions=region_frame,
        indicators=indicators,
        own_member_ids=_own_members(scope, members["id"].to_list()),
    )


EDITABLE_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(),
    "title": pl.String(),
    "status": pl.String(),
    "lead_member_id": pl.Int64(),
    "lead_name": pl.String(),
    "version": pl.Int64(),
    "archived": pl.Boolean(),
    "updated_at": pl.Datetime("us", "UTC"),
}


def editable_projects(
    engine: Engine, scope: Scope, alliance_id: int, *, include_archived: bool = False
) -> pl.DataFrame:
    """The alliance's projects for the edit picker, with ``can_edit`` per project (archived ones for managers)."""
    scope.require_alliance(alliance_id)
    statement = (
        select(
            col(Project.id),
            col(Project.title),
            col(Project.status),
            col(Project.lead_member_id),
            col(Member.name),
            col(Project.version),
            col(Project.archived_at).is_not(None),
            col(Project.updated_at),
        )
        .join(Member, col(Member.id) == col(Project.lead_member_id))
        .where(col(Project.alliance_id) == alliance_id)
        .order_by(col(Project.title))
    )
    if not (include_archived and scope.can_manage_alliance(alliance_id)):
        statement = statement.where(col(Project.archived_at).is_(None))
    with engine.connect() as connection:
        frame = rows_frame(connection, statement, EDITABLE_SCHEMA)
    if scope.can_manage_alliance(alliance_id):
        editable = pl.lit(True)
    elif scope.role == Role.MEMBER:
        editable = pl.col("lead_member_id").is_in(sorted(scope.member_ids))
    else:
        editable = pl.lit(False)
    return frame.with_columns((editable & ~pl.col("archived")).alias("can_edit"))


# --- projects ---------------------------------------------------------------------------------------------------

PROJECT_COLUMNS = (
    "title",
    "description",
    "lead_member_id",
    "status",
    "fund",
    "start_date",
    "end_date",
    "total_cost",
    "requested_grant",
    "approved_grant",
)
LINKS: dict[str, tuple[type[SQLModel], str]] = {
    "partner_ids": (ProjectPartner, "member_id"),
    "topic_ids": (ProjectTopic, "topic_id"),
    "region_ags": (ProjectRegion, "region_ags"),
}


@dataclass(frozen=True)
class _StoredProject:
    head: _Head
    values: ProjectInput


def _links(connection: Connection, project_id: int, name: str) -> tuple[Any, ...]:
    model, column = LINKS[name]
    table = model.__table__  # type: ignore[attr-defined]
    statement = select(table.c[column]).where(table.c.project_id == project_id).order_by(table.c[column])
    return tuple(connection.execute(statement).scalars())


def _stored_project(connection: Connection, project_id: int) -> _StoredProject | None:
    head = _project_head(connection, project_id)
    if head is None:
        return None
    row = connection.execute(
        select(*(getattr(Project, name) for name in PROJECT_COLUMNS)).where(col(Project.id) == project_id)
    ).one()
    values = dict(zip(PROJECT_COLUMNS, row, strict=True))
    for name in MONEY_FIELDS:
        values[name] = _money(values[name])
    links: dict[str, Any] = {name: _links(connection, project_id, name) for name in LINKS}
    return _StoredProject(head, ProjectInput(**values, **links))


def _clean_project(data: ProjectInput) -> ProjectInput:
    """The input as stored: text stripped, amounts to the cent (no total cost = 0,00 €), links sorted and unique."""
    return replace(
        data,
        title=(data.title or "").strip(),
        description=(data.description or "").strip(),
        status=(data.status or "").strip(),
        fund=(data.fund or "").strip(),
        total_cost=_money(data.total_cost) or Decimal("0.00"),
        requested_grant=_money(data.requested_grant),
        approved_grant=_money(data.approved_grant),
        partner_ids=tuple(sorted(set(data.partner_ids))),
        topic_ids=tuple(sorted(set(data.topic_ids))),
        region_ags=tuple(sorted({ags.strip() for ags in data.region_ags})),
    )


def _audited_project(values: ProjectInput) -> dict[str, Any]:
    return asdict(values)


def _check_project(
    connection: Connection, scope: Scope, alliance_id: int, data: ProjectInput, project_id: int | None
) -> None:
    member_ids = _alliance_members(connection, alliance_id)
    topic_ids = [
        as_int(value)
        for value in connection.execute(select(col(Topic.id)).where(col(Topic.alliance_id) == alliance_id)).scalars()
    ]
    region_ags = sorted({ags.strip() for ags in data.region_ags})
    known = connection.execute(
        select(col(Region.ags)).where(col(Region.ags).in_(region_ags), col(Region.level) == RegionLevel.KREIS.value)
    ).scalars()
    title = (data.title or "").strip()
    titles = rows_frame(
        connection,
        select(col(Project.title), col(Project.id)).where(
            col(Project.alliance_id) == alliance_id, col(Project.title) == title
        ),
        {"title": pl.String(), "id": pl.Int64()},
    )
    context = ProjectContext(
        member_ids=member_ids,
        topic_ids=topic_ids,
        known_ags=list(known),
        titles=titles,
        own_member_ids=None if scope.can_manage_alliance(alliance_id) else sorted(_own_members(scope, member_ids)),
    )
    frame = one_row(
        {
            "id": project_id,
            "title": _text(data.title),
            "description": data.description,
            "lead_member_id": data.lead_member_id,
            "status": _text(data.status),
            "fund": _text(data.fund),
            "start_date": data.start_date,
            "end_date": data.end_date,
            "total_cost": money_text(data.total_cost),
            "requested_grant": money_text(data.requested_grant),
            "approved_grant": money_text(data.approved_grant),
            "partner_ids": list(data.partner_ids),
            "topic_ids": list(data.topic_ids),
            "region_ags": region_ags,
        },
        PROJECT_SCHEMA,
    )
    _fail_on(check_projects(frame, context))


def _project_row(values: ProjectInput) -> dict[str, Any]:
    return {name: getattr(values, name) for name in PROJECT_COLUMNS}


def _write_links(connection: Connection, project_id: int, old: ProjectInput | None, new: ProjectInput) -> None:
    """Replace the link rows that differ (a list is one audited value, so it is rewritten whole)."""
    for name, (model, column) in LINKS.items():
        before, after = (getattr(old, name) if old else ()), getattr(new, name)
        if before == after:
            continue
        table = model.__table__  # type: ignore[attr-defined]
        if before:
            connection.execute(delete(table).where(table.c.project_id == project_id))
        if after:
            connection.execute(insert(table), [{"project_id": project_id, column: value} for value in after])


def _record_status_change(
    connection: Connection, scope: Scope, project_id: int, *, old: str | None, new: str, now: datetime
) -> None:
    """The status history behind the application pipeline's waiting times (a form may set any status)."""
    if old != new:
        connection.execute(
            insert(ProjectStatusChange).values(
                project_id=project_id, from_status=old, to_status=new, changed_at=now, user_name=scope.user[:200]
            )
        )


def _project_record(scope: Scope, stored: _StoredProject) -> ProjectRecord:
    head = stored.head
    return ProjectRecord(
        id=head.id,
        alliance_id=head.alliance_id,
        version=head.version,
        values=stored.values,
        archived=head.archived,
        can_edit=not head.archived and scope.can_edit_project(head.alliance_id, head.lead_member_id),
    )


def _stale_project(connection: Connection, project_id: int, opened: ProjectRecord) -> StaleEdit:
    current = _stored_project(connection, project_id)
    if current is None:
        raise NotFound(f"project {project_id}")
    changes = field_changes(
        {**_audited_project(opened.values), "archived": opened.archived},
        {**_audited_project(current.values), "archived": current.head.archived},
    )
    return StaleEdit("project", project_id, expected=opened.version, current=current.head.version, changes=changes)


def open_project(engine: Engine, scope: Scope, project_id: int) -> ProjectRecord:
    """The project as a form opens it (NotFound if absent or not readable; archived ones for managers only).

    Total cost and grants are None (``money_visible`` False) unless the scope may edit the project or read its
    money: a member reads them for the projects its organisation leads or takes part in only.
    """
    with engine.connect() as connection:
        stored = _stored_project(connection, project_id)
        if stored is None or not scope.can_read_alliance(stored.head.alliance_id):
            raise NotFound(f"project {project_id}")
        if stored.head.archived and not scope.can_manage_alliance(stored.head.alliance_id):
            raise NotFound(f"project {project_id}")
        record = _project_record(scope, stored)
        if record.can_edit or sees_project_money(connection, scope, stored.head.id):
            return record
    hidden = replace(stored.values, total_cost=None, requested_grant=None, approved_grant=None)
    return replace(record, values=hidden, money_visible=False)


def _require_create_project(scope: Scope, alliance_id: int, own: frozenset[int]) -> None:
    """Speakers and admins create projects; a member only in an alliance where it has an organisation."""
    if scope.can_manage_alliance(alliance_id):
        return
    if scope.role == Role.MEMBER and scope.can_read_alliance(alliance_id) and own:
        return
    raise PermissionDenied(f"{scope.user} ({scope.role}) may not create projects in alliance {alliance_id}")


def create_project(engine: Engine, scope: Scope, alliance_id: int, data: ProjectInput) -> ProjectRecord:
    _require_writer(scope)
    # A clash the checks could not see (title taken, a partner gone in the meantime) becomes a form error.
    with write_transaction(engine, title=(data.title or "").strip()) as connection:
        own = _own_members(scope, _alliance_members(connection, alliance_id))
        _require_create_project(scope, alliance_id, own)
        _check_project(connection, scope, alliance_id, data, None)
        clean = _clean_project(data)  # after the checks: rounding a huge amount would fail before its message
        now = utcnow()
        result = connection.execute(
            insert(Project).values(
                alliance_id=alliance_id, source="", is_example=False, **_project_row(clean), **created_stamp(now)
            )
        )
        project_id = new_id(result)
        _write_links(connection, project_id, None, clean)
        _record_status_change(connection, scope, project_id, old=None, new=clean.status, now=now)
        audit.record(
            connection,
            scope,
            action=AuditAction.CREATE,
            table="project",
            record_id=project_id,
            alliance_id=alliance_id,
            new=_audited_project(clean),
        )
    head = _Head(project_id, alliance_id, int(clean.lead_member_id or 0), 1, archived=False)
    return _project_record(scope, _StoredProject(head, clean))


def update_project(
    engine: Engine, scope: Scope, project_id: int, data: ProjectInput, *, opened: ProjectRecord
) -> ProjectRecord:
    """Save the form; StaleEdit (nothing written) when someone else saved the project since ``opened``."""
    _require_writer(scope)
    with write_transaction(engine, title=(data.title or "").strip()) as connection:
        stored = _stored_project(connection, project_id)
        if stored is None:
            raise NotFound(f"project {project_id}")
        scope.require_edit_project(stored.head.alliance_id, stored.head.lead_member_id)
        if stored.head.archived and stored.head.version == opened.version:
            raise ValidationFailed([FieldError("title", "record_archived")])
        _check_project(connection, scope, stored.head.alliance_id, data, project_id)
        clean = _clean_project(data)
        old, new = audit.changed(_audited_project(stored.values), _audited_project(clean))
        if not new and stored.head.version == opened.version:
            return _project_record(scope, stored)  # nothing changed: nothing to write
        if not guarded_update(connection, Project, project_id, opened.version, _project_row(clean)):
            raise _stale_project(connection, project_id, opened)
        _write_links(connection, project_id, stored.values, clean)
        _record_status_change(connection, scope, project_id, old=stored.values.status, new=clean.status, now=utcnow())
        audit.record(
            connection,
            scope,
            action=AuditAction.UPDATE,
            table="project",
            record_id=project_id,
            alliance_id=stored.head.alliance_id,
            old=old,
            new=new,
        )
    head = replace(stored.head, version=opened.version + 1, lead_member_id=int(clean.lead_member_id or 0))
    return _project_record(scope, _StoredProject(head, clean))


def archive_project(engine: Engine, scope: Scope, project_id: int, *, opened: ProjectRecord) -> None:
    """Soft-delete: the project leaves every view but stays restorable (by whoever may edit it)."""
    _require_writer(scope)
    with engine.begin() as connection:
        head = _project_head(connection, project_id)
        if head is None:
            raise NotFound(f"project {project_id}")
        scope.require_edit_project(head.alliance_id, head.lead_member_id)
        if head.archived and head.version == opened.version:
            return
        now = utcnow()
        if not guarded_update(connection, Project, project_id, opened.version, {"archived_at": now}):
            raise _stale_project(connection, project_id, opened)
        audit.record(
            connection,
            scope,
            action=AuditAction.ARCHIVE,
            table="project",
            record_id=project_id,
            alliance_id=head.alliance_id,
            old={"archived_at": None},
            new={"archived_at": now},
        )


def _restore(
    connection: Connection, scope: Scope, model: type[SQLModel], record_id: int, *, alliance_id: int, table: str
) -> None:
    """Clear ``archived_at`` (speakers and admins only); restoring a record that is not archived does nothing."""
    scope.require_manage_alliance(alliance_id)
    sql_table = model.__table__  # type: ignore[attr-defined]
    archived_at = connection.execute(
        select(sql_table.c.archived_at).where(sql_table.c.id == record_id)
    ).scalar_one_or_none()
    if archived_at is None:
        return
    connection.execute(
        update(sql_table)
        .where(sql_table.c.id == record_id, sql_table.c.archived_at.is_not(None))
        .values(archived_at=None, version=sql_table.c.version + 1, updated_at=utcnow())
    )
    audit.record(
        connection,
        scope,
        action=AuditAction.RESTORE,
        table=table,
        record_id=record_id,
        alliance_id=alliance_id,
        old={"archived_at": archived_at},
        new={"archived_at": None},
    )


def restore_project(engine: Engine, scope: Scope, project_id: int) -> None:
    _require_writer(scope)
    with engine.begin() as connection:
        head = _project_head(connection, project_id)
        if head is None:
            raise NotFound(f"project {project_id}")
        _restore(connection, scope, Project, project_id, alliance_id=head.alliance_id, table="project")


# --- financial entries ------------------------------------------------------------------------------------------

ENTRY_COLUMNS = ("project_id", "entry_date", "kind", "amount", "fund", "note")


def project_entries(engine: Engine, scope: Scope, project_id: int) -> pl.DataFrame:
    """The project's bookings (not archived), for whoever may edit the project or read its money."""
    with engine.connect() as connection:
        head = _readable_head(connection, scope, project_id)
        if not (
            scope.can_edit_project(head.alliance_id, head.lead_member_id)
            or sees_project_money(connection, scope, head.id)
        ):
            raise PermissionDenied(f"{scope.user} ({scope.role}) may not read the money of project {project_id}")
        statement = (
            select(
                col(FinancialEntry.id),
                col(FinancialEntry.entry_date),
                col(FinancialEntry.kind),
                cents(col(FinancialEntry.amount)),
                col(FinancialEntry.fund),
                col(FinancialEntry.note),
                col(FinancialEntry.version),
            )
            .where(col(FinancialEntry.project_id) == project_id, col(FinancialEntry.archived_at).is_(None))
            .order_by(col(FinancialEntry.entry_date), col(FinancialEntry.id))
        )
        schema = {
            "id": pl.Int64(),
            "entry_date": pl.Date(),
            "kind": pl.String(),
            "amount_cents": pl.Int64(),
            "fund": pl.String(),
            "note": pl.String(),
            "version": pl.Int64(),
        }
        return rows_frame(connection, statement, schema)


@dataclass(frozen=True)
class _StoredEntry:
    record: EntryRecord
    archived: bool


def _stored_entry(connection: Connection, entry_id: int) -> _StoredEntry | None:
    row = connection.execute(
        select(
            *(getattr(FinancialEntry, name) for name in ENTRY_COLUMNS),
            col(FinancialEntry.version),
            col(FinancialEntry.archived_at),
        ).where(col(FinancialEntry.id) == entry_id)
    ).one_or_none()
    if row is None:
        return None
    values = dict(zip(ENTRY_COLUMNS, row[: len(ENTRY_COLUMNS)], strict=True))
    values["amount"] = _money(values["amount"])
    return _StoredEntry(EntryRecord(entry_id, int(row[-2]), EntryInput(**values)), row[-1] is not None)


def _clean_entry(data: EntryInput) -> EntryInput:
    return replace(
        data,
        kind=(data.kind or "").strip(),
        fund=(data.fund or "").strip(),
        amount=_money(data.amount),
        note=(data.note or "").strip(),
    )


def _check_entry(data: EntryInput) -> None:
    frame = one_row(
        {
            "project_id": data.project_id,
            "entry_date": data.entry_date,
            "kind": _text(data.kind),
            "amount": money_text(data.amount),
            "fund": _text(data.fund),
            "note": data.note,
        },
        ENTRY_SCHEMA,
    )
    _fail_on(violations(frame, entry_rules()))


def _entry_row(values: EntryInput) -> dict[str, Any]:
    return {name: getattr(values, name) for name in ENTRY_COLUMNS}


def _stale_entry(connection: Connection, entry_id: int, opened: EntryRecord) -> StaleEdit:
    current = _stored_entry(connection, entry_id)
    if current is None:
        raise NotFound(f"financial_entry {entry_id}")
    changes = field_changes(
        {**_entry_row(opened.values), "archived": False},
        {**_entry_row(current.record.values), "archived": current.archived},
    )
    return StaleEdit(
        "financial_entry", entry_id, expected=opened.version, current=current.record.version, changes=changes
    )


def _entry_and_project(connection: Connection, entry_id: int) -> tuple[_StoredEntry, _Head]:
    """The entry and its project's head (NotFound if either is absent); writes check the scope on the head."""
    stored = _stored_entry(connection, entry_id)
    head = None if stored is None else _project_head(connection, stored.record.values.project_id)
    if stored is None or head is None:
        raise NotFound(f"financial_entry {entry_id}")
    return stored, head


def _readable_entry(connection: Connection, scope: Scope, entry_id: int) -> tuple[_StoredEntry, _Head]:
    stored, head = _entry_and_project(connection, entry_id)
    if not scope.can_read_alliance(head.alliance_id):
        raise NotFound(f"financial_entry {entry_id}")
    return stored, head


def open_entry(engine: Engine, scope: Scope, entry_id: int) -> EntryRecord:
    with engine.connect() as connection:
        stored, head = _readable_entry(connection, scope, entry_id)
        visible = scope.can_edit_project(head.alliance_id, head.lead_member_id) or sees_project_money(
            connection, scope, head.id
        )
    if head.archived or (stored.archived and not scope.can_manage_alliance(head.alliance_id)):
        raise NotFound(f"financial_entry {entry_id}")
    if not visible:
        raise PermissionDenied(f"{scope.user} ({scope.role}) may not read the money of project {head.id}")
    return stored.record


def add_entry(engine: Engine, scope: Scope, data: EntryInput) -> EntryRecord:
    _require_writer(scope)
    with write_transaction(engine) as connection:
        head = _editable_head(connection, scope, data.project_id)
        _check_entry(data)
        clean = _clean_entry(data)
        result = connection.execute(insert(FinancialEntry).values(**_entry_row(clean), **created_stamp(utcnow())))
        entry_id = new_id(result)
        audit.record(
            connection,
            scope,
            action=AuditAction.CREATE,
            table="financial_entry",
            record_id=entry_id,
            alliance_id=head.alliance_id,
            new=_entry_row(clean),
        )
    return EntryRecord(entry_id, 1, clean)


def update_entry(engine: Engine, scope: Scope, entry_id: int, data: EntryInput, *, opened: EntryRecord) -> EntryRecord:
    _require_writer(scope)
    with write_transaction(engine) as connection:
        stored, head = _entry_and_project(connection, entry_id)
        head = _editable_head(connection, scope, head.id)
        if stored.archived and stored.record.version == opened.version:
            raise ValidationFailed([FieldError("amount", "record_archived")])
        if data.project_id != stored.record.values.project_id:
            raise ValidationFailed([FieldError("project_id", "entry_project_fixed")])
        _check_entry(data)
        clean = _clean_entry(data)
        old, new = audit.changed(_entry_row(stored.record.values), _entry_row(clean))
        if not new and stored.record.version == opened.version:
            return stored.record
        if not guarded_update(connection, FinancialEntry, entry_id, opened.version, _entry_row(clean)):
            raise _stale_entry(connection, entry_id, opened)
        audit.record(
            connection,
            scope,
            action=AuditAction.UPDATE,
            table="financial_entry",
            record_id=entry_id,
            alliance_id=head.alliance_id,
            old=old,
            new=new,
        )
    return EntryRecord(entry_id, opened.version + 1, clean)


def archive_entry(engine: Engine, scope: Scope, entry_id: int, *, opened: EntryRecord) -> None:
    _require_writer(scope)
    with engine.begin() as connection:
        stored, head = _entry_and_project(connection, entry_id)
        head = _editable_head(connection, scope, head.id)
        if stored.archived and stored.record.version == opened.version:
            return
        now = utcnow()
        if not guarded_update(connection, FinancialEntry, entry_id, opened.version, {"archived_at": now}):
            raise _stale_entry(connection, entry_id, opened)
        audit.record(
            connection,
            scope,
            action=AuditAction.ARCHIVE,
            table="financial_entry",
            record_id=entry_id,
            alliance_id=head.alliance_id,
            old={"archived_at": None},
            new={"archived_at": now},
        )


def restore_entry(engine: Engine, scope: Scope, entry_id: int) -> None:
    _require_writer(scope)
    with engine.begin() as connection:
        _stored, head = _entry_and_project(connection, entry_id)
        _restore(connection, scope, FinancialEntry, entry_id, alliance_id=head.alliance_id, table="financial_entry")


# --- indicator values -------------------------------------------------------------------------------------------

VALUE_COLUMNS = ("indicator_id", "project_id", "period_end", "dimensions", "value", "is_cumulative")


def project_values(engine: Engine, scope: Scope, project_id: int) -> pl.DataFrame:
    """The values reported for a project, every indicator and breakdown, by date."""
    with engine.connect() as connection:
        _readable_head(connection, scope, project_id)
        statement = (
            select(
                col(Observation.id),
                col(Observation.indicator_id),
                col(Indicator.code),
                col(Indicator.name),
                col(Indicator.unit),
                col(Observation.period_end),
                col(Observation.dimensions),
                col(Observation.value),
                col(Observation.is_cumulative),
                col(Observation.version),
            )
            .join(Indicator, col(Indicator.id) == col(Observation.indicator_id))
            .where(col(Observation.project_id) == project_id)
            .order_by(col(Indicator.code), col(Observation.period_end), col(Observation.dimensions))
        )
        schema = {
            "id": pl.Int64(),
            "indicator_id": pl.Int64(),
            "code": pl.String(),
            "name": pl.String(),
            "unit": pl.String(),
            "period_end": pl.Date(),
            "dimensions": pl.String(),
            "value": pl.Float64(),
            "is_cumulative": pl.Boolean(),
            "version": pl.Int64(),
        }
        return rows_frame(connection, statement, schema)


def _checked_value(connection: Connection, data: ValueInput) -> ValueInput:
    """The value validated (a project indicator, not a regional statistic), its breakdown in canonical spelling."""
    known = connection.execute(select(col(Indicator.id)).where(col(Indicator.id) == data.indicator_id)).scalars()
    reportable = project_indicators(connection)["id"].to_list()
    frame = one_row({**asdict(data), "dimensions": (data.dimensions or "").strip()}, VALUE_SCHEMA).with_columns(
        canonical_dimensions(pl.col("dimensions")).alias("dimensions")
    )
    _fail_on(violations(frame, value_rules([as_int(value) for value in known], reportable_ids=reportable)))
    return replace(data, dimensions=str(frame["dimensions"][0]), is_cumulative=bool(data.is_cumulative))


def report_value(engine: Engine, scope: Scope, data: ValueInput, *, opened_version: int | None = None) -> int:
    """Add or correct a project's value for (indicator, period end, breakdown); returns the value's id.

    An existing value is only overwritten by a form that opened it (``opened_version`` = its version now);
    ``Change.opened`` of the StaleEdit is then the value the form wanted to save.
    """
    _require_writer(scope)
    clean = data
    try:
        with engine.begin() as connection:
            head = _editable_head(connection, scope, data.project_id)
            clean = _checked_value(connection, data)
            stored = _stored_value(connection, clean)
            if stored is None:
                return _insert_value(connection, scope, head, clean)
            wanted = {"value": clean.value, "is_cumulative": clean.is_cumulative}
            if opened_version != stored.version:
                raise _stale_value(stored, clean, opened_version)
            old, new = audit.changed(stored.values, wanted)
            if not new:
                return stored.id
            if not guarded_update(connection, Observation, stored.id, stored.version, wanted):
                raise _stale_value(_stored_value(connection, clean) or stored, clean, opened_version)
            audit.record(
                connection,
                scope,
                action=AuditAction.UPDATE,
                table="observation",
                record_id=stored.id,
                alliance_id=head.alliance_id,
                old=old,
                new=new,
            )
            return stored.id
    except IntegrityError as exc:
        # Someone reported a value under the same key in the meantime: show it instead of overwriting it.
        with engine.connect() as connection:
            current = _stored_value(connection, clean)
        if current is None:
            raise integrity_failure(exc) from exc
        raise _stale_value(current, clean, opened_version) from None


@dataclass(frozen=True)
class _StoredValue:
    id: int
    version: int
    values: dict[str, Any]  # value, is_cumulative


def _stale_value(stored: _StoredValue, wanted: ValueInput, opened_version: int | None) -> StaleEdit:
    changes = field_changes({"value": wanted.value, "is_cumulative": wanted.is_cumulative}, stored.values)
    return StaleEdit("observation", stored.id, expected=opened_version or 0, current=stored.version, changes=changes)


def _insert_value(connection: Connection, scope: Scope, head: _Head, clean: ValueInput) -> int:
    row = {name: getattr(clean, name) for name in VALUE_COLUMNS}
    result = connection.execute(
        insert(Observation).values({**row, "source": REPORTED_SOURCE, **created_stamp(utcnow())})
    )
    value_id = new_id(result)
    audit.record(
        connection,
        scope,
        action=AuditAction.CREATE,
        table="observation",
        record_id=value_id,
        alliance_id=head.alliance_id,
        new=row,
    )
    return value_id


def _stored_value(connection: Connection, data: ValueInput) -> _StoredValue | None:
    row = connection.execute(
        select(
            col(Observation.id), col(Observation.version), col(Observation.value), col(Observation.is_cumulative)
        ).where(
            col(Observation.indicator_id) == data.indicator_id,
            col(Observation.project_id) == data.project_id,
            col(Observation.period_end) == data.period_end,
            col(Observation.dimensions) == data.dimensions,
        )
    ).one_or_none()
    if row is None:
        return None
    return _StoredValue(as_int(row[0]), as_int(row[1]), {"value": row[2], "is_cumulative": bool(row[3])})


# --- targets ----------------------------------------------------------------------------------------------------

TARGET_COLUMNS = (
    "indicator_id",
    "scope",
    "topic_id",
    "project_id",
    "description",
    "baseline_value",
    "baseline_date",
    "target_value",
    "due_date",
)


def target_rows(engine: Engine, scope: Scope, alliance_id: int, *, include_archived: bool = False) -> pl.DataFrame:
    """The alliance's targets for the edit picker (archived ones only for managers who asked for them)."""
    scope.require_alliance(alliance_id)
    statement = (
        select(
            col(Target.id),
            col(Indicator.code),
            col(Indicator.name),
            col(Target.scope),
            col(Topic.name),
            col(Project.title),
            col(Target.target_value),
            col(Target.due_date),
            col(Target.version),
            col(Target.archived_at).is_not(None),
        )
        .join(Indicator, col(Indicator.id) == col(Target.indicator_id))
        .outerjoin(Topic, col(Topic.id) == col(Target.topic_id))
        .outerjoin(Project, col(Project.id) == col(Target.project_id))
        .where(col(Target.alliance_id) == alliance_id)
        .order_by(col(Indicator.code), col(Target.due_date), col(Target.id))
    )
    if not (include_archived and scope.can_manage_alliance(alliance_id)):
        statement = statement.where(col(Target.archived_at).is_(None))
    schema = {
        "id": pl.Int64(),
        "code": pl.String(),
        "indicator_name": pl.String(),
        "scope": pl.String(),
        "topic": pl.String(),
        "project": pl.String(),
        "target_value": pl.Float64(),
        "due_date": pl.Date(),
        "version": pl.Int64(),
        "archived": pl.Boolean(),
    }
    with engine.connect() as connection:
        return rows_frame(connection, statement, schema)


@dataclass(frozen=True)
class _StoredTarget:
    record: TargetRecord
    archived: bool


def _stored_target(connection: Connection, target_id: int) -> _StoredTarget | None:
    row = connection.execute(
        select(
            *(getattr(Target, name) for name in TARGET_COLUMNS),
            col(Target.alliance_id),
            col(Target.version),
            col(Target.archived_at),
        ).where(col(Target.id) == target_id)
    ).one_or_none()
    if row is None:
        return None
    values = TargetInput(**dict(zip(TARGET_COLUMNS, row[: len(TARGET_COLUMNS)], strict=True)))
    return _StoredTarget(TargetRecord(target_id, int(row[-3]), int(row[-2]), values), row[-1] is not None)


def _clean_target(data: TargetInput) -> TargetInput:
    """References the scope does not use are dropped (an alliance target has neither topic nor project)."""
    scope = (data.scope or "").strip()
    return replace(
        data,
        scope=scope,
        topic_id=data.topic_id if scope == TargetScope.TOPIC.value else None,
        project_id=data.project_id if scope == TargetScope.PROJECT.value else None,
        description=(data.description or "").strip(),
    )


def _check_target(connection: Connection, alliance_id: int, data: TargetInput) -> None:
    clean = _clean_target(data)
    indicator_ids = connection.execute(
        select(col(Indicator.id)).where(col(Indicator.id) == clean.indicator_id)
    ).scalars()
    topic_ids = connection.execute(select(col(Topic.id)).where(col(Topic.alliance_id) == alliance_id)).scalars()
    project_ids = connection.execute(
        select(col(Project.id)).where(col(Project.alliance_id) == alliance_id, col(Project.archived_at).is_(None))
    ).scalars()
    context = TargetContext(
        indicator_ids=[as_int(value) for value in indicator_ids],
        topic_ids=[as_int(value) for value in topic_ids],
        project_ids=[as_int(value) for value in project_ids],
    )
    frame = one_row({**asdict(clean), "scope": _text(clean.scope)}, TARGET_SCHEMA)
    _fail_on(violations(frame, target_rules(context)))


def _target_row(values: TargetInput) -> dict[str, Any]:
    return asdict(values)


def _stale_target(connection: Connection, target_id: int, opened: TargetRecord) -> StaleEdit:
    current = _stored_target(connection, target_id)
    if current is None:
        raise NotFound(f"target {target_id}")
    changes = field_changes(
        {**_target_row(opened.values), "archived": False},
        {**_target_row(current.record.values), "archived": current.archived},
    )
    return StaleEdit("target", target_id, expected=opened.version, current=current.record.version, changes=changes)


def open_target(engine: Engine, scope: Scope, target_id: int) -> TargetRecord:
    with engine.connect() as connection:
        stored = _stored_target(connection, target_id)
    if stored is None or not scope.can_read_alliance(stored.record.alliance_id):
        raise NotFound(f"target {target_id}")
    if stored.archived and not scope.can_manage_alliance(stored.record.alliance_id):
        raise NotFound(f"target {target_id}")
    return stored.record


def create_target(engine: Engine, scope: Scope, alliance_id: int, data: TargetInput) -> TargetRecord:
    """A new target (speakers and admins)."""
    _require_writer(scope)
    scope.require_manage_alliance(alliance_id)
    clean = _clean_target(data)
    with write_transaction(engine) as connection:
        _check_target(connection, alliance_id, data)
        result = connection.execute(
            insert(Target).values(alliance_id=alliance_id, **_target_row(clean), **created_stamp(utcnow()))
        )
        target_id = new_id(result)
        audit.record(
            connection,
            scope,
            action=AuditAction.CREATE,
            table="target",
            record_id=target_id,
            alliance_id=alliance_id,
            new=_target_row(clean),
        )
    return TargetRecord(target_id, alliance_id, 1, clean)


def _managed_target(connection: Connection, scope: Scope, target_id: int) -> _StoredTarget:
    stored = _stored_target(connection, target_id)
    if stored is None:
        raise NotFound(f"target {target_id}")
    scope.require_manage_alliance(stored.record.alliance_id)
    return stored


def update_target(
    engine: Engine, scope: Scope, target_id: int, data: TargetInput, *, opened: TargetRecord
) -> TargetRecord:
    _require_writer(scope)
    clean = _clean_target(data)
    with write_transaction(engine) as connection:
        stored = _managed_target(connection, scope, target_id)
        if stored.archived and stored.record.version == opened.version:
            raise ValidationFailed([FieldError("indicator_id", "record_archived")])
        _check_target(connection, stored.record.alliance_id, data)
        old, new = audit.changed(_target_row(stored.record.values), _target_row(clean))
        if not new and stored.record.version == opened.version:
            return stored.record
        if not guarded_update(connection, Target, target_id, opened.version, _target_row(clean)):
            raise _stale_target(connection, target_id, opened)
        audit.record(
            connection,
            scope,
            action=AuditAction.UPDATE,
            table="target",
            record_id=target_id,
            alliance_id=stored.record.alliance_id,
            old=old,
            new=new,
        )
    return TargetRecord(target_id, stored.record.alliance_id, opened.version + 1, clean)


def archive_target(engine: Engine, scope: Scope, target_id: int, *, opened: TargetRecord) -> None:
    _require_writer(scope)
    with engine.begin() as connection:
        stored = _managed_target(connection, scope, target_id)
        if stored.archived and stored.record.version == opened.version:
            return
        now = utcnow()
        if not guarded_update(connection, Target, target_id, opened.version, {"archived_at": now}):
            raise _stale_target(connection, target_id, opened)
        audit.record(
            connection,
            scope,
            action=AuditAction.ARCHIVE,
            table="target",
            record_id=target_id,
            alliance_id=stored.record.alliance_id,
            old={"archived_at": None},
            new={"archived_at": now},
        )


def restore_target(engine: Engine, scope: Scope, target_id: int) -> None:
    _require_writer(scope)
    with engine.begin() as connection:
        stored = _managed_target(connection, scope, target_id)
        _restore(connection, scope, Target, target_id, alliance_id=stored.record.alliance_id, table="target")


# --- budgets ----------------------------------------------------------------------------------------------------


def budget_rows(engine: Engine, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """The alliance's budget lines (fund × year) with their version for editing."""
    scope.require_alliance(alliance_id)
    statement = (
        select(
            col(Budget.id), col(Budget.fund), col(Budget.year), cents(col(Budget.planned_amount)), col(Budget.version)
        )
        .where(col(Budget.alliance_id) == alliance_id)
        .order_by(col(Budget.year), col(Budget.fund))
    )
    schema = {
        "id": pl.Int64(),
        "fund": pl.String(),
        "year": pl.Int32(),
        "planned_cents": pl.Int64(),
        "version": pl.Int64(),
    }
    with engine.connect() as connection:
        return rows_frame(connection, statement, schema)


def _stored_budget(connection: Connection, alliance_id: int, fund: str, year: int) -> tuple[int, int, Decimal] | None:
    row = connection.execute(
        select(col(Budget.id), col(Budget.version), col(Budget.planned_amount)).where(
            col(Budget.alliance_id) == alliance_id, col(Budget.fund) == fund, col(Budget.year) == year
        )
    ).one_or_none()
    return None if row is None else (as_int(row[0]), as_int(row[1]), _money(row[2]) or Decimal("0.00"))


def set_budget(
    engine: Engine,
    scope: Scope,
    alliance_id: int,
    *,
    fund: str,
    year: int,
    amount: Decimal | None,
    opened_version: int | None,
) -> None:
    """Plan the budget of a fund and year (speakers and admins).

    ``opened_version`` None adds a new line; an existing line is only changed by a form that opened it.
    """
    _require_writer(scope)
    scope.require_manage_alliance(alliance_id)
    fund = (fund or "").strip()
    try:
        with engine.begin() as connection:
            period = connection.execute(
                select(col(Alliance.period_start), col(Alliance.period_end)).where(col(Alliance.id) == alliance_id)
            ).one_or_none()
            if period is None:
                raise NotFound(f"alliance {alliance_id}")
            frame = one_row({"fund": fund or None, "year": year, "amount": money_text(amount)}, BUDGET_SCHEMA)
            _fail_on(violations(frame, budget_rules(period[0].year, period[1].year)))
            planned = _money(amount)
            stored = _stored_budget(connection, alliance_id, fund, year)
            if stored is None:
                if opened_version is not None:
                    raise NotFound(f"budget {fund} {year}")
                result = connection.execute(
                    insert(Budget).values(
                        alliance_id=alliance_id,
                        fund=fund,
                        year=year,
                        planned_amount=planned,
                        source="",
                        **created_stamp(utcnow()),
                    )
                )
                audit.record(
                    connection,
                    scope,
                    action=AuditAction.CREATE,
                    table="budget",
                    record_id=new_id(result),
                    alliance_id=alliance_id,
                    new={"fund": fund, "year": year, "planned_amount": planned},
                )
                return
            budget_id, version, old_amount = stored
            if opened_version != version:
                raise StaleEdit(
                    "budget",
                    budget_id,
                    expected=opened_version or 0,
                    current=version,
                    changes=[Change("planned_amount", planned, old_amount)],
                )
            if old_amount == planned:
                return
            if not guarded_update(connection, Budget, budget_id, version, {"planned_amount": planned}):
                current = _stored_budget(connection, alliance_id, fund, year)
                raise StaleEdit(
                    "budget",
                    budget_id,
                    expected=version,
                    current=current[1] if current else version + 1,
                    changes=[Change("planned_amount", old_amount, current[2] if current else None)],
                )
            audit.record(
                connection,
                scope,
                action=AuditAction.UPDATE,
                table="budget",
                record_id=budget_id,
                alliance_id=alliance_id,
                old={"planned_amount": old_amount},
                new={"planned_amount": planned},
            )
    except IntegrityError as exc:
        # Someone added the same (fund, year) line in the meantime.
        with engine.connect() as connection:
            current = _stored_budget(connection, alliance_id, fund, year)
        if current is None:
            raise integrity_failure(exc) from exc
        raise StaleEdit(
            "budget",
            current[0],
            expected=0,
            current=current[1],
            changes=[Change("planned_amount", _money(amount), current[2])],
        ) from None


# --- archive ----------------------------------------------------------------------------------------------------

ARCHIVED_SCHEMA: dict[str, pl.DataType] = {
    "table": pl.String(),
    "id": pl.Int64(),
    "label": pl.String(),
    "archived_at": pl.Datetime("us", "UTC"),
}


def archived_records(engine: Engine, scope: Scope, alliance_id: int, *, language: str = "de") -> pl.DataFrame:
    """Archived projects, entries and targets of the alliance, newest first: the restore list (managers only)."""
    scope.require_manage_alliance(alliance_id)
    projects = select(col(Project.id), col(Project.title), col(Project.archived_at)).where(
        col(Project.alliance_id) == alliance_id, col(Project.archived_at).is_not(None)
    )
    entries = (
        select(
            col(FinancialEntry.id),
            col(Project.title),
            col(FinancialEntry.entry_date),
            col(FinancialEntry.kind),
            cents(col(FinancialEntry.amount)),
            col(FinancialEntry.archived_at),
        )
        .join(Project, col(Project.id) == col(FinancialEntry.project_id))
        .where(col(Project.alliance_id) == alliance_id, col(FinancialEntry.archived_at).is_not(None))
    )
    targets = (
        select(col(Target.id), col(Indicator.code), col(Target.scope), col(Target.due_date), col(Target.archived_at))
        .join(Indicator, col(Indicator.id) == col(Target.indicator_id))
        .where(col(Target.alliance_id) == alliance_id, col(Target.archived_at).is_not(None))
    )
    stamp = pl.Datetime("us", "UTC")
    with engine.connect() as connection:
        project_frame = rows_frame(connection, projects, {"id": pl.Int64(), "label": pl.String(), "archived_at": stamp})
        entry_frame = rows_frame(
            connection,
            entries,
            {
                "id": pl.Int64(),
                "title": pl.String(),
                "entry_date": pl.Date(),
                "kind": pl.String(),
                "amount_cents": pl.Int64(),
                "archived_at": stamp,
            },
        )
        target_frame = rows_frame(
            connection,
            targets,
            {"id": pl.Int64(), "code": pl.String(), "scope": pl.String(), "due_date": pl.Date(), "archived_at": stamp},
        )
    kind_label = {member.value: label("entry_kind", member.value, language) for member in EntryKind}
    entry_labels = entry_frame.select(
        pl.lit("financial_entry").alias("table"),
        "id",
        pl.concat_str(
            pl.col("title"),
            pl.lit(": "),
            pl.col("kind").replace_strict(kind_label, default=pl.col("kind")),
            pl.lit(" "),
            formats.money_expr(pl.col("amount_cents"), language),
            pl.lit(" · "),
            formats.day_expr(pl.col("entry_date"), language),
        ).alias("label"),
        "archived_at",
    )
    target_labels = target_frame.select(
        pl.lit("target").alias("table"),
        "id",
        pl.concat_str(pl.col("code"), pl.lit(" · "), formats.day_expr(pl.col("due_date"), language)).alias("label"),
        "archived_at",
    )
    return (
        pl.concat(
            [
                project_frame.select(pl.lit("project").alias("table"), "id", "label", "archived_at"),
                entry_labels,
                target_labels,
            ]
        )
        .cast(ARCHIVED_SCHEMA)  # type: ignore[arg-type]
        .sort("archived_at", descending=True)
    )


RESTORERS: dict[str, Callable[[Engine, Scope, int], None]] = {
    "project": restore_project,
    "financial_entry": restore_entry,
    "target": restore_target,
}


def restore(engine: Engine, scope: Scope, table: str, record_id: int) -> None:
    """Bring an archived project, entry or target back (speakers and admins)."""
    if table not in RESTORERS:
        raise ValueError(f"nothing archivable is called {table!r}")
    RESTORERS[table](engine, scope, record_id)


__all__ = [
    "GENERAL_FIELD",  # shared with applications.py, kept public here
    "TITLE_CONSTRAINT",
    "EntryInput",
    "EntryRecord",
    "FormOptions",
    "ProjectInput",
    "ProjectRecord",
    "TargetInput",
    "TargetRecord",
    "ValueInput",
    "add_entry",
    "archive_entry",
    "archive_project",
    "archive_target",
    "archived_records",
    "budget_rows",
    "create_project",
    "create_target",
    "editable_projects",
    "form_options",
    "open_entry",
    "open_project",
    "open_target",
    "project_entries",
    "project_values",
    "report_value",
    "restore",
    "restore_entry",
    "restore_project",
    "restore_target",
    "set_budget",
    "target_rows",
    "update_entry",
    "update_project",
    "update_target",
]

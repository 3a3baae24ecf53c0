"""The private toolkit the single-record write services share (editing.py, applications.py): not a public API.

Rows read into a typed frame, keys read back, the stamp of a new row, the guarded versioned UPDATE of optimistic
locking, the fields a StaleEdit reports, the project money check, and what a constraint that fired although the
checks passed means for the form (someone else wrote in between; nothing was stored).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Connection, Engine, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col

from dashboard.data_access import audit
from dashboard.data_access.models import Project, utcnow
from dashboard.data_access.scope import Scope
from dashboard.data_access.writes import Change, FieldError, ValidationFailed

GENERAL_FIELD = "_general"  # a FieldError of the whole record, not one field (the forms show it on top)
TITLE_CONSTRAINT = "uq_project_alliance_id_title"


def rows_frame(connection: Connection, statement: Any, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The statement's rows as a frame of exactly ``schema`` (also when there are none)."""
    rows = connection.execute(statement).all()
    return pl.DataFrame([tuple(row) for row in rows], schema=dict(schema), orient="row")


def as_int(value: Any) -> int:
    """A key read from the database (typed optional by the models, never null where it is read)."""
    return int(value)


def new_id(result: Any) -> int:
    """The primary key of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no key for the new row")
    return int(key[0])


def created_stamp(now: datetime) -> dict[str, Any]:
    """The bookkeeping columns of a new row."""
    return {"version": 1, "created_at": now, "updated_at": now}


def integrity_failure(exc: IntegrityError, *, title: str | None = None) -> ValidationFailed:
    """What a constraint the validation could not foresee means for the form (someone else wrote in between):
    the project title taken (when ``title`` is given), a referenced record gone, or another clash. Nothing was
    written either way."""
    original = exc.orig
    constraint = getattr(getattr(original, "diag", None), "constraint_name", None)  # PostgreSQL (psycopg)
    message = str(original)
    if title is not None and (constraint == TITLE_CONSTRAINT or "project.alliance_id, project.title" in message):
        return ValidationFailed([FieldError("title", "title_taken", {"title": title})])
    if getattr(original, "sqlstate", None) == "23503" or "FOREIGN KEY constraint failed" in message:
        return ValidationFailed([FieldError(GENERAL_FIELD, "reference_missing")])
    return ValidationFailed([FieldError(GENERAL_FIELD, "write_conflict")])


@contextmanager
def write_transaction(engine: Engine, *, title: str | None = None) -> Iterator[Connection]:
    """One write transaction; an IntegrityError (in the body or at commit) becomes ``integrity_failure``."""
    try:
        with engine.begin() as connection:
            yield connection
    except IntegrityError as exc:
        raise integrity_failure(exc, title=title) from exc


def guarded_update(
    connection: Connection,
    model: type[SQLModel],
    record_id: int,
    version: int,
    values: Mapping[str, Any],
    *conditions: ColumnElement[bool],
) -> bool:
    """UPDATE … WHERE id AND version (AND ``conditions``), version + 1: True when this save won; False when someone
    else saved since ``version``. ``updated_at`` is now unless ``values`` set it."""
    table = model.__table__  # type: ignore[attr-defined]
    statement = (
        update(table)
        .where(table.c.id == record_id, table.c.version == version, *conditions)
        .values({"updated_at": utcnow(), **values, "version": table.c.version + 1})
    )
    return bool(connection.execute(statement).rowcount == 1)


def field_changes(opened: Mapping[str, Any], saved: Mapping[str, Any]) -> list[Change]:
    """The fields of ``saved`` whose value differs from ``opened`` (as the audit trail compares them)."""
    return [
        Change(name, opened.get(name), saved.get(name))
        for name in saved
        if audit.plain(opened.get(name)) != audit.plain(saved.get(name))
    ]


def sees_project_money(connection: Connection, scope: Scope, project_id: int) -> bool:
    """Whether the scope may read this project's money one by one (total cost, grants, bookings)."""
    if scope.sees_all_money:
        return True
    statement = select(literal(True)).where(
        col(Project.id) == project_id, scope.money_filter(col(Project.id), col(Project.lead_member_id))
    )
    return connection.execute(statement).first() is not None

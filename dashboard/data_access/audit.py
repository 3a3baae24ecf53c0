"""The audit trail: every write service records who changed what, with old and new values, in its transaction."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, cast

import polars as pl
from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.orm import Session
from sqlmodel import col

from dashboard.data_access.models import AuditEntry, utcnow
from dashboard.data_access.scope import Scope
from dashboard.data_access.vocabulary import AuditAction


def plain(value: Any) -> Any:
    """A value as JSON keeps it: money as its exact decimal string, dates as ISO text, enums as their code."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list | set | frozenset):
        items = [plain(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return value


def snapshot(values: Mapping[str, Any], fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The audited fields of a record (all when ``fields`` is None), JSON-ready."""
    names = list(values) if fields is None else list(fields)
    return {name: plain(values[name]) for name in names if name in values}


def changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that differ, as (old, new): what an update entry stores."""
    keys = [key for key in new if plain(old.get(key)) != plain(new.get(key))]
    return {key: plain(old.get(key)) for key in keys}, {key: plain(new.get(key)) for key in keys}


def entry(
    scope: Scope,
    *,
    action: AuditAction,
    table: str,
    record_id: object,
    alliance_id: int | None,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """One audit row as a dict, for bulk inserts (``record_many``)."""
    return {
        "at": at or utcnow(),
        "user_name": scope.user,
        "role": scope.role.value,
        "action": action.value,
        "table_name": table,
        "record_id": str(record_id),
        "alliance_id": alliance_id,
        "old_values": None if old is None else snapshot(old),
        "new_values": None if new is None else snapshot(new),
    }


def record_many(connection: Connection | Session, rows: list[dict[str, Any]]) -> None:
    """Insert prepared ``entry`` rows in the caller's transaction (nothing is committed here)."""
    if rows:
        connection.execute(insert(AuditEntry), rows)


def record(
    connection: Connection | Session,
    scope: Scope,
    *,
    action: AuditAction,
    table: str,
    record_id: object,
    alliance_id: int | None,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
) -> None:
    """Write one audit entry in the caller's transaction, so the change and its trail commit or fail together."""
    record_many(
        connection,
        [entry(scope, action=action, table=table, record_id=record_id, alliance_id=alliance_id, old=old, new=new)],
    )


# --- many entries at once (imports) ------------------------------------------------------------------------------

SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S%.6f"  # how SQLAlchemy stores a DateTime on SQLite


def json_object(values: Mapping[str, pl.Expr], include: Mapping[str, pl.Expr] | None = None) -> pl.Expr:
    """Per row, the JSON text of ``values`` (name → an expression already as ``plain`` writes it: text, numbers,
    booleans, lists; money as decimal text, dates as ISO text). With ``include``, only the names whose expression
    is true (names it lacks are left out) — the changed fields of an update, as ``changed`` gives them for one
    record."""
    members = []
    for name, value in values.items():
        if include is not None and name not in include:
            continue
        member = pl.struct(value.alias(name)).struct.json_encode().str.strip_prefix("{").str.strip_suffix("}")
        members.append(member if include is None else pl.when(include[name]).then(member))
    return pl.concat_str(pl.lit("{"), pl.concat_list(members).list.drop_nulls().list.join(","), pl.lit("}"))


def entries_frame(
    frame: pl.DataFrame,
    scope: Scope,
    *,
    action: AuditAction,
    table: str,
    record_id: pl.Expr,
    alliance_id: int | None,
    old: pl.Expr | None,
    new: pl.Expr | None,
    at: datetime | None = None,
) -> pl.DataFrame:
    """One audit row per row of ``frame`` for ``record_frame`` (``old``/``new``: JSON text from ``json_object``)."""
    return frame.select(
        pl.lit(at or utcnow()).alias("at"),
        pl.lit(scope.user).alias("user_name"),
        pl.lit(scope.role.value).alias("role"),
        pl.lit(action.value).alias("action"),
        pl.lit(table).alias("table_name"),
        record_id.cast(pl.String).str.slice(0, 120).alias("record_id"),
        pl.lit(alliance_id, dtype=pl.Int64).alias("alliance_id"),
        (pl.lit(None, dtype=pl.String) if old is None else old).alias("old_values"),
        (pl.lit(None, dtype=pl.String) if new is None else new).alias("new_values"),
    )


def record_frame(connection: Connection, rows: pl.DataFrame) -> None:
    """Insert ``entries_frame`` rows in the caller's transaction, as fast as the imported rows themselves.

    SQLAlchemy's per-row parameter and JSON processing would cost more than writing tens of thousands of values,
    so the JSON arrives as text: PostgreSQL takes the rows with COPY (CSV) on the transaction's own connection,
    SQLite with the driver's executemany of bound parameters (the timestamp as SQLAlchemy stores it there).
    """
    if rows.is_empty():
        return
    columns = ", ".join(rows.columns)
    if connection.dialect.name == "postgresql":
        buffer = io.BytesIO()
        rows.write_csv(buffer, include_header=False)  # null → empty field (NULL); "" stays a quoted empty string
        cursor = cast(Any, connection.connection.dbapi_connection).cursor()
        with cursor.copy(f"COPY audit_entry ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        return
    if connection.dialect.name == "sqlite":
        rows = rows.with_columns(pl.col("at").dt.strftime(SQLITE_DATETIME))
    marks = ", ".join(["?" if connection.dialect.paramstyle == "qmark" else "%s"] * rows.width)
    connection.exec_driver_sql(f"INSERT INTO audit_entry ({columns}) VALUES ({marks})", rows.rows())  # noqa: S608


def latest_change(engine: Engine) -> int:
    """The newest audit entry's id (0 without any): every write records one in its own transaction, so this number
    changes with every committed change on any app server. Cached loaders key on it (see cache.py). It tells a
    reader nothing but that something changed, so it needs no scope."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.max(col(AuditEntry.id)))).scalar() or 0)

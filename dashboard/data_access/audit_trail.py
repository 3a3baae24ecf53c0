"""Reading the audit trail: who changed what and when, filtered in SQL, with a readable summary of each change.

Only admins and speakers read the trail (``Scope.reads_audit``). A speaker sees the entries of their alliances;
entries that belong to no alliance (user accounts, the shared regional statistics) only admins see.

The readable ``changes`` text is built from the stored old and new values: SQL unfolds each JSON object into
(field, kind, text) rows (``json_each`` on SQLite and PostgreSQL alike) and Polars pairs old with new values and
joins them into "title: „Alt“ → „Neu“; status: beantragt → bewilligt".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    String,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy import text as sql_text
from sqlalchemy.sql.expression import CTE
from sqlmodel import col

from dashboard.data_access.models import AuditEntry
from dashboard.data_access.scope import PermissionDenied, Scope
from dashboard.i18n import catalog

# The local day a user means by "von 01.03.2026": the trail stores UTC, people think in German time.
GERMANY = ZoneInfo("Europe/Berlin")
# The page shows the trail 500 entries at a time (keyset-free OFFSET paging: the sort key is indexed and the pages
# people read are the first few); an export takes up to 20,000 at once, read when it is asked for.
PAGE_SIZE = 500
EXPORT_LIMIT = 20_000

ENTRY_SCHEMA: Mapping[str, pl.DataType] = {
    "id": pl.Int64(),
    "at": pl.Datetime("us", "UTC"),
    "user_name": pl.String(),
    "role": pl.String(),
    "action": pl.String(),
    "table_name": pl.String(),
    "record_id": pl.String(),
    "alliance_id": pl.Int64(),
    "old_values": pl.String(),
    "new_values": pl.String(),
}
PAIR_SCHEMA: Mapping[str, pl.DataType] = {
    "id": pl.Int64(),
    "side": pl.String(),
    "field": pl.String(),
    "kind": pl.String(),
    "text": pl.String(),
    "position": pl.Int64(),
}
# json_each's type names on SQLite and json_typeof's on PostgreSQL, mapped onto one vocabulary.
KINDS = {
    "text": "text",
    "string": "text",
    "integer": "number",
    "real": "number",
    "number": "number",
    "true": "bool",
    "false": "bool",
    "boolean": "bool",
    "null": "null",
    "array": "array",
    "object": "object",
}
# Per language: quotes around text, yes/no, the date pattern, the "empty" sign.
WORDS = {
    "de": {"open": "„", "close": "“", "true": "ja", "false": "nein", "date": "%d.%m.%Y"},
    "en": {"open": "“", "close": "”", "true": "yes", "false": "no", "date": "%d/%m/%Y"},
}
EMPTY = "–"
# Codes (status, fund, role …) and plain numbers read better without quotes.
_CODE = r"^[a-z][a-z0-9_]*$"
_NUMBER = r"^-?\d+(\.\d+)?$"
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


@dataclass(frozen=True)
class AuditOptions:
    """What the filters may offer: the users, tables and actions present in the entries the scope may read."""

    users: list[str]
    tables: list[str]
    actions: list[str]

    @property
    def is_empty(self) -> bool:
        return not (self.users or self.tables or self.actions)


@dataclass(frozen=True)
class AuditFilter:
    """The page's filters (hashable, so cached loaders key on it); empty values mean "all"."""

    user: str | None = None
    table: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None

    @property
    def is_empty(self) -> bool:
        return self == AuditFilter()

    @property
    def key(self) -> str:
        """A stable text form, e.g. for widget keys that follow the filter."""
        return "|".join(str(value or "") for value in self.as_kwargs().values())

    def as_kwargs(self) -> dict[str, Any]:
        return {"user": self.user, "table": self.table, "action": self.action, "since": self.since, "until": self.until}


def _require_reader(scope: Scope, alliance_id: int | None) -> None:
    if not scope.reads_audit:
        raise PermissionDenied(f"{scope.user} ({scope.role}) may not read the audit trail")
    if alliance_id is not None:
        scope.require_alliance(alliance_id)


def _visible(scope: Scope, alliance_id: int | None) -> ColumnElement[bool]:
    """The entries this scope may read, of one alliance (None: of every alliance it reads).

    Admins also see the entries without an alliance (accounts, shared statistics); the alliance filter leaves
    them out for everyone else, since ``NULL IN (…)`` is never true.
    """
    column = col(AuditEntry.alliance_id)
    readable = scope.alliance_filter(column)
    if scope.reads_all_alliances:
        readable = or_(readable, column.is_(None))
    if alliance_id is None:
        return readable
    own = column == alliance_id
    return and_(readable, or_(own, column.is_(None)) if scope.reads_all_alliances else own)


def _utc_start(day: date) -> datetime:
    """Midnight in Germany at the start of ``day``, in UTC (the trail's time zone)."""
    return datetime.combine(day, time(), GERMANY).astimezone(UTC)


def _conditions(
    scope: Scope,
    alliance_id: int | None,
    *,
    user: str | None,
    table: str | None,
    action: str | None,
    since: date | None,
    until: date | None,
) -> list[ColumnElement[bool]]:
    conditions = [_visible(scope, alliance_id)]
    if user:
        conditions.append(col(AuditEntry.user_name) == user)
    if table:
        conditions.append(col(AuditEntry.table_name) == table)
    if action:
        conditions.append(col(AuditEntry.action) == action)
    if since is not None:
        conditions.append(col(AuditEntry.at) >= _utc_start(since))
    if until is not None:
        # "bis 31.03." includes the whole 31 March in German time.
        conditions.append(col(AuditEntry.at) < _utc_start(until + timedelta(days=1)))
    return conditions


def audit_entries(
    engine: Engine,
    scope: Scope,
    alliance_id: int | None,
    *,
    user: str | None = None,
    table: str | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
    language: str = "de",
) -> pl.DataFrame:
    """The newest ``limit`` entries matching the filters after skipping ``offset`` of them, newest first.

    ``since`` and ``until`` are days in German time, both included. Columns: id, at (UTC), user_name, role,
    action, table_name, record_id, alliance_id, old_values and new_values (JSON text, None when absent) and
    ``changes``, the readable summary in ``language``.
    """
    _require_reader(scope, alliance_id)
    conditions = _conditions(scope, alliance_id, user=user, table=table, action=action, since=since, until=until)
    newest = (col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    # The ids first (the sort touches only the narrow index columns), then the wide rows and their fields.
    # A CTE rather than a list of ids: thousands of bound parameters cost more to send than the query to run.
    picked = select(col(AuditEntry.id)).where(*conditions).order_by(*newest).limit(limit).offset(offset).cte("picked")
    statement = (
        select(
            col(AuditEntry.id),
            col(AuditEntry.at),
            col(AuditEntry.user_name),
            col(AuditEntry.role),
            col(AuditEntry.action),
            col(AuditEntry.table_name),
            col(AuditEntry.record_id),
            col(AuditEntry.alliance_id),
            # As stored text: parsing every value into Python only to write it out again was half the read.
            cast(col(AuditEntry.old_values), Text),
            cast(col(AuditEntry.new_values), Text),
        )
        .where(col(AuditEntry.id).in_(select(picked.c.id)))
        .order_by(*newest)
    )
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
        if rows and engine.dialect.name == "postgresql":
            # json_each's default estimate (100 rows per call) makes the plan look costly enough for PostgreSQL to
            # JIT-compile it: 120 ms of compiling for a 30 ms query. Off for this read-only transaction only.
            connection.execute(sql_text("SET LOCAL jit = off"))
        pairs = connection.execute(_pairs_statement(engine, picked)).all() if rows else []
    entries = pl.DataFrame(
        # JSON text without \u escapes, so exports show „Förderung“ rather than „F\u00f6rderung“.
        [(*row[:8], _json_text(row[8]), _json_text(row[9])) for row in rows],
        schema=dict(ENTRY_SCHEMA),
        orient="row",
    )
    summary = change_summary(pl.DataFrame(pairs, schema=dict(PAIR_SCHEMA), orient="row"), language)
    return entries.join(summary, on="id", how="left", maintain_order="left").with_columns(
        pl.col("changes").fill_null("")
    )


def page_count(total: int) -> int:
    """How many pages of PAGE_SIZE entries ``total`` entries fill (at least one, also for none)."""
    return max(1, -(-total // PAGE_SIZE))


def audit_count(
    engine: Engine,
    scope: Scope,
    alliance_id: int | None,
    *,
    user: str | None = None,
    table: str | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> int:
    """How many entries match the filters (for "neueste 2.000 von 5.321 – Filter eingrenzen")."""
    _require_reader(scope, alliance_id)
    conditions = _conditions(scope, alliance_id, user=user, table=table, action=action, since=since, until=until)
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(AuditEntry).where(*conditions)).scalar_one())


def audit_filter_options(engine: Engine, scope: Scope, alliance_id: int | None) -> AuditOptions:
    """The users, tables and actions that occur in the entries this scope may read, sorted."""
    _require_reader(scope, alliance_id)
    visible = _visible(scope, alliance_id)
    found: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for name, column in (
            ("users", col(AuditEntry.user_name)),
            ("tables", col(AuditEntry.table_name)),
            ("actions", col(AuditEntry.action)),
        ):
            found[name] = list(connection.execute(select(column).where(visible).distinct().order_by(column)).scalars())
    return AuditOptions(**found)


def _json_text(stored: str | None) -> str | None:
    """The stored JSON text, with \\u escapes written as the characters they stand for („Förderung“ rather than
    „F\\u00f6rderung“); text without escapes is passed on as it is (so values written by a bulk import keep
    their compact form ``{"a":1}``, those of a form ``{"a": 1}``)."""
    if stored is None or stored == "null":
        return None
    return json.dumps(json.loads(stored), ensure_ascii=False) if "\\u" in stored else stored


def _pairs_statement(engine: Engine, picked: CTE) -> Select[Any]:
    """(entry id, side, field, kind, text, position) for every field of the old and new values of the picked
    entries; arrays of scalars come as "a, b, c", objects as JSON text."""
    sides = [_side_pairs(engine, side, picked) for side in ("old", "new")]
    return select(union_all(*sides).subquery())


def _side_pairs(engine: Engine, side: str, picked: CTE) -> Select[Any]:
    column = col(AuditEntry.old_values) if side == "old" else col(AuditEntry.new_values)
    if engine.dialect.name == "sqlite":
        objects = case((func.json_type(column) == "object", column), else_=literal_column("'{}'"))
        fields = func.json_each(objects).table_valued("key", "value", "type", "id", joins_implicitly=True).alias("j")
        items = func.json_each(fields.c.value).table_valued("value").alias("e")
        kind: ColumnElement[Any] = fields.c.type
        joined = select(func.group_concat(items.c.value, ", ")).scalar_subquery()
        text = case(
            (kind.in_(["true", "false"]), kind),
            (kind == "array", joined),
            else_=cast(fields.c.value, String),
        )
        position = fields.c.id
    else:
        objects = case((func.json_typeof(column) == "object", column), else_=literal_column("'{}'::json"))
        fields = (
            func.json_each(objects)
            .table_valued("key", "value", with_ordinality="position", joins_implicitly=True)
            .render_derived(name="j")
        )
        items = func.json_array_elements(fields.c.value).table_valued("value").alias("e")
        kind = func.json_typeof(fields.c.value)
        # ``#>> '{}'`` is a JSON value as text: strings unquoted, everything else as written.
        as_text: ColumnElement[Any] = literal_column("'{}'")
        joined = select(func.string_agg(items.c.value.op("#>>")(as_text), ", ")).scalar_subquery()
        text = case((kind == "array", joined), else_=fields.c.value.op("#>>")(as_text))
        position = fields.c.position
    return (
        select(
            col(AuditEntry.id).label("id"),
            literal(side).label("side"),
            fields.c.key.label("field"),
            kind.label("kind"),
            text.label("text"),
            position.label("position"),
        )
        .select_from(AuditEntry)
        .join(fields, true())
        .where(col(AuditEntry.id).in_(select(picked.c.id)))
    )


def _shown(language: str) -> pl.Expr:
    """One stored value as people read it: „text“, codes and numbers bare, dates and times local (31.12.2025,
    31.12.2025 14:03), yes/no, "–" for empty."""
    words = WORDS.get(language, WORDS["de"])
    text, kind = pl.col("text"), pl.col("kind")
    # ISO timestamps (archived_at …) in German local time; without an offset they are UTC, like the database's.
    moment = pl.coalesce(
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", strict=False, time_zone="UTC"),
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False).dt.replace_time_zone("UTC"),
    )
    return (
        pl.when(kind == "null")
        .then(pl.lit(EMPTY))
        .when(kind == "bool")
        .then(pl.when(text == "true").then(pl.lit(words["true"])).otherwise(pl.lit(words["false"])))
        .when(kind == "array")
        .then("[" + text.fill_null("") + "]")
        .when((kind != "text") | text.str.contains(_CODE) | text.str.contains(_NUMBER))
        .then(text)
        .when(text.str.contains(_ISO_DATE))
        .then(text.str.to_date("%Y-%m-%d", strict=False).dt.to_string(words["date"]))
        .when(moment.is_not_null())
        .then(moment.dt.convert_time_zone(GERMANY.key).dt.to_string(words["date"] + " %H:%M"))
        .otherwise(words["open"] + text + words["close"])
    )


def change_summary(pairs: pl.DataFrame, language: str = "de") -> pl.DataFrame:
    """(id, changes): every field of an entry as "field: old → new" (only "field: new" when it had no old value,
    "field: old → –" when it has no new one), in the order the entry stored them, joined with "; "."""
    shown = pairs.with_columns(pl.col("kind").replace_strict(KINDS, default=pl.col("kind"))).with_columns(
        _shown(language).alias("shown")
    )
    old = shown.filter(side="old").select("id", "field", pl.col("shown").alias("old"), pl.col("position").alias("o"))
    new = shown.filter(side="new").select("id", "field", pl.col("shown").alias("new"), pl.col("position").alias("n"))
    arrow = " → "
    # Fields by their form labels ("Titel", "Bewilligte Förderung"); names without a label stay as stored.
    prefix = "maintain.field."
    labels = {key.removeprefix(prefix): text for key, text in catalog(language).items() if key.startswith(prefix)}
    both = old.join(new, on=["id", "field"], how="full", coalesce=True).with_columns(pl.col("field").replace(labels))
    return (
        both.with_columns(
            pl.when(pl.col("old").is_null())
            .then(pl.col("field") + ": " + pl.col("new"))
            .when(pl.col("new").is_null())
            .then(pl.col("field") + ": " + pl.col("old") + arrow + EMPTY)
            .otherwise(pl.col("field") + ": " + pl.col("old") + arrow + pl.col("new"))
            .alias("part")
        )
        .sort("id", "n", "o", nulls_last=True)
        .group_by("id", maintain_order=True)
        .agg(pl.col("part").str.join("; ").alias("changes"))
        .select("id", "changes")
    )

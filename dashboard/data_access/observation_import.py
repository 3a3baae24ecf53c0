"""Write service for parsed official statistics: plan what an import would change, then apply it in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, Table, bindparam, select, update
from sqlmodel import SQLModel

from dashboard.data_access import audit
from dashboard.data_access.models import utcnow
from dashboard.data_access.scope import PermissionDenied, Role, Scope
from dashboard.data_access.vocabulary import AuditAction, Direction, RegionLevel
from dashboard.data_access.write_support import rows_frame
from dashboard.i18n import formats, t
from dashboard.importers.model import (
    INDICATOR_SCHEMA,
    OBSERVATION_SCHEMA,
    REGION_SCHEMA,
    FileFormatError,
    ImportIssue,
    ParsedImport,
    localised_params,
)
from dashboard.importers.values import KEY_PATTERNS

CHUNK_ROWS = 5_000  # rows per executemany; progress is reported between chunks
REGION_CHUNK = 500  # region keys per IN list when reading existing values (far below SQLite's parameter limit)
PREVIEW_ROWS = 20
MAX_ISSUES = 25
# Regional statistics are shared by every alliance, so only roles that speak for the whole installation may write them.
IMPORT_ROLES = frozenset({Role.ADMIN, Role.SPEAKER})

# Column widths of the tables (VARCHAR limits PostgreSQL enforces and SQLite does not): checked for both.
LIMITS = {
    "indicator.code": 120,
    "indicator.name": 300,
    "indicator.unit": 40,
    "region.name": 200,
    "region.kind": 60,
    "region.land": 60,
    "observation.dimensions": 300,
    "observation.missing_marker": 5,
}
KEY = ["indicator_id", "region_ags", "period_end", "dimensions"]
UPDATED_FIELDS = ["period_start", "value", "missing_marker", "is_cumulative", "source"]

Progress = Callable[[float, str], None]


class Status(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


class ImportConflict(Exception):
    """Someone changed the same values while this import ran; nothing was written, try again."""


@dataclass(frozen=True)
class BatchIssue(ImportIssue):
    """A problem the write service finds in a parsed batch; its messages live under ``data_import.issue.``."""

    def text(self, language: str = "de") -> str:
        message = t(f"data_import.issue.{self.key}", language, **localised_params(self.params, language))
        if self.line is not None:
            return t("importer.at_line", language, line=self.line, message=message)
        return message


@dataclass(frozen=True)
class ImportPlan:
    """What applying a parsed file would do, computed without writing."""

    new: int
    changed: int
    unchanged: int
    indicators: pl.DataFrame  # code, name, unit, values, is_new, fills_unit (stored name/unit when known)
    new_regions: pl.DataFrame  # ags, name, level
    regions_by_level: pl.DataFrame  # level, regions (in RegionLevel order)
    period_min: date | None
    period_max: date | None
    preview: pl.DataFrame  # PREVIEW_COLUMNS, the file's first rows
    changes: pl.DataFrame  # PREVIEW_COLUMNS, the first changed rows with their stored (old) value

    @property
    def new_indicators(self) -> pl.DataFrame:
        return self.indicators.filter("is_new").select("code", "name", "unit")

    @property
    def units_to_fill(self) -> int:
        return int(self.indicators["fills_unit"].sum())

    def levels_text(self, language: str = "de") -> str:
        """The regions per level for messages, e.g. "1 Bund, 16 Länder, 471 Kreise"."""
        return ", ".join(
            f"{formats.number(count, language)} {t(f'data_import.level.{level}', language)}"
            for level, count in self.regions_by_level.iter_rows()
        )

    @property
    def has_work(self) -> bool:
        """False when the file is already imported completely: confirming would write nothing."""
        return bool(
            self.new or self.changed or self.new_indicators.height or self.new_regions.height or self.units_to_fill
        )


@dataclass(frozen=True)
class ImportResult:
    inserted: int
    updated: int
    unchanged: int
    indicators_inserted: int
    indicators_completed: int  # existing indicators whose empty unit was filled from the file
    regions_inserted: int


@dataclass(frozen=True)
class _Batch:
    """A parsed import after validation, with nulls filled the way the tables store them."""

    indicators: pl.DataFrame
    regions: pl.DataFrame
    observations: pl.DataFrame


def can_import(scope: Scope) -> bool:
    return scope.role in IMPORT_ROLES


def require_import(scope: Scope) -> None:
    if not can_import(scope):
        raise PermissionDenied(f"{scope.user} ({scope.role}) may not import regional statistics")


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


# --- validation ---------------------------------------------------------------------------------------------


def _conform(frame: pl.DataFrame, schema: dict[str, pl.DataType], what: str) -> pl.DataFrame:
    missing = [name for name in schema if name not in frame.columns]
    if missing:
        raise FileFormatError([BatchIssue("columns_missing", params={"what": what, "columns": ", ".join(missing)})])
    try:
        return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])
    except pl.exceptions.PolarsError:
        raise FileFormatError([BatchIssue("columns_type", params={"what": what})]) from None


def _found(issues: list[ImportIssue], rows: pl.DataFrame, key: str, params: list[str]) -> None:
    """Add one issue per offending row (capped); ``rows`` carries ``line`` and the named columns."""
    for row in rows.head(MAX_ISSUES - len(issues)).iter_rows(named=True):
        issues.append(BatchIssue(key, line=row["line"], params={name: row[name] for name in params}))


def _too_long(column: str, limit_key: str) -> pl.Expr:
    return pl.col(column).str.len_chars() > LIMITS[limit_key]


def _outside(column: str, allowed: list[str] | pl.Series) -> pl.Expr:
    """True where the value is null or not among ``allowed``."""
    return ~pl.col(column).is_in(pl.Series(allowed, dtype=pl.String).implode()).fill_null(False)


def _normalised(parsed: ParsedImport) -> _Batch:
    indicators = _conform(parsed.indicators, INDICATOR_SCHEMA, "indicators").with_columns(
        pl.col("unit").fill_null(""),
        pl.col("direction").fill_null(Direction.UP.value),
        pl.col("source").fill_null(parsed.source),
        pl.col("description").fill_null(""),
    )
    regions = _conform(parsed.regions, REGION_SCHEMA, "regions")
    observations = _conform(parsed.observations, OBSERVATION_SCHEMA, "observations").with_columns(
        pl.col("dimensions").fill_null(""),
        pl.col("is_cumulative").fill_null(False),
        pl.col("source").fill_null(parsed.source),
    )
    return _Batch(indicators, regions, observations)


def validate(parsed: ParsedImport) -> _Batch:
    """The batch ready to write, or FileFormatError listing what is wrong (by file line where known)."""
    batch = _normalised(parsed)
    obs = batch.observations
    first_line = {
        name: obs.group_by(column).agg(pl.col("line").min()).rename({column: name})
        for name, column in (("code", "indicator_code"), ("ags", "region_ags"))
    }
    indicators = batch.indicators.join(first_line["code"], on="code", how="left")
    regions = batch.regions.join(first_line["ags"], on="ags", how="left")
    issues: list[ImportIssue] = []
    blank = pl.col("code").is_null() | (pl.col("code").str.strip_chars() == "")
    _found(issues, indicators.filter(blank), "indicator_code_missing", [])
    _found(issues, indicators.filter(~blank & pl.col("code").is_duplicated()), "indicator_duplicate", ["code"])
    _found(issues, indicators.filter(~blank & _too_long("code", "indicator.code")), "indicator_code_long", ["code"])
    unnamed = pl.col("name").is_null() | (pl.col("name").str.strip_chars() == "")
    _found(issues, indicators.filter(~blank & unnamed), "indicator_name_missing", ["code"])
    _found(issues, indicators.filter(_too_long("name", "indicator.name")), "indicator_name_long", ["code"])
    _found(issues, indicators.filter(_too_long("unit", "indicator.unit")), "indicator_unit_long", ["code", "unit"])
    directions = [member.value for member in Direction]
    _found(issues, indicators.filter(_outside("direction", directions)), "direction_unknown", ["code"])

    no_key = pl.col("ags").is_null() | (pl.col("ags").str.strip_chars() == "")
    _found(issues, regions.filter(no_key), "region_key_missing", [])
    _found(issues, regions.filter(~no_key & pl.col("ags").is_duplicated()), "region_duplicate", ["ags"])
    levels = list(KEY_PATTERNS)
    _found(
        issues,
        regions.filter(~no_key & _outside("level", levels)).with_columns(pl.col("level").fill_null("")),
        "region_level_unknown",
        ["ags", "level"],
    )
    mismatch = pl.lit(False)
    for level, pattern in KEY_PATTERNS.items():
        mismatch = mismatch | ((pl.col("level") == level) & ~pl.col("ags").str.contains(pattern)).fill_null(False)
    _found(issues, regions.filter(~no_key & mismatch), "region_key_level", ["ags", "level"])
    nameless = pl.col("name").is_null() | (pl.col("name").str.strip_chars() == "")
    _found(issues, regions.filter(~no_key & nameless), "region_name_missing", ["ags"])
    for column in ("name", "kind", "land"):
        too_long = regions.filter(_too_long(column, f"region.{column}")).with_columns(pl.lit(column).alias("field"))
        _found(issues, too_long, "region_text_long", ["ags", "field"])

    _found(
        issues,
        obs.filter(_outside("indicator_code", batch.indicators["code"].drop_nulls())),
        "unknown_indicator",
        ["indicator_code"],
    )
    _found(
        issues,
        obs.filter(_outside("region_ags", batch.regions["ags"].drop_nulls())),
        "unknown_region",
        ["region_ags"],
    )
    _found(issues, obs.filter(pl.col("period_end").is_null()), "period_missing", [])
    _found(issues, obs.filter(pl.col("period_start") > pl.col("period_end")), "period_order", [])
    _found(issues, obs.filter(pl.col("value").is_infinite() | pl.col("value").is_nan()), "value_not_finite", [])
    _found(issues, obs.filter(_too_long("missing_marker", "observation.missing_marker")), "marker_long", [])
    _found(issues, obs.filter(_too_long("dimensions", "observation.dimensions")), "dimensions_long", [])
    keys = ["indicator_code", "region_ags", "period_end", "dimensions"]
    repeated = (
        obs.with_columns(pl.col("line").min().over(keys).alias("first_line"), pl.len().over(keys).alias("times"))
        .filter((pl.col("times") > 1) & (pl.col("line") != pl.col("first_line")))
        .with_columns(pl.col("first_line").cast(pl.String).fill_null("?"))
    )
    _found(issues, repeated, "duplicate_value", ["first_line"])
    if issues:
        raise FileFormatError(issues[:MAX_ISSUES])
    return batch


# --- reading what is stored ---------------------------------------------------------------------------------

STORED_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(),
    "indicator_id": pl.Int64(),
    "region_ags": pl.String(),
    "period_end": pl.Date(),
    "dimensions": pl.String(),
    "period_start": pl.Date(),
    "value": pl.Float64(),
    "missing_marker": pl.String(),
    "is_cumulative": pl.Boolean(),
    "source": pl.String(),
    "version": pl.Int64(),
}


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for offset in range(0, len(values), size):
        yield values[offset : offset + size]


def _stored_regions(connection: Connection, keys: list[str]) -> pl.DataFrame:
    region = _table("region")
    schema: dict[str, pl.DataType] = {"ags": pl.String()}
    parts = [
        rows_frame(connection, select(region.c.ags).where(region.c.ags.in_(chunk)), schema)
        for chunk in _chunks(keys, REGION_CHUNK)
    ]
    return pl.concat([pl.DataFrame(schema=schema), *parts])


def _stored_indicators(connection: Connection, codes: list[str]) -> pl.DataFrame:
    indicator = _table("indicator")
    statement = select(indicator.c.code, indicator.c.id, indicator.c.name, indicator.c.unit).where(
        indicator.c.code.in_(codes)
    )
    schema: dict[str, pl.DataType] = {"code": pl.String(), "id": pl.Int64(), "name": pl.String(), "unit": pl.String()}
    return rows_frame(connection, statement, schema)


def _stored_values(connection: Connection, observations: pl.DataFrame, stored: pl.DataFrame) -> pl.DataFrame:
    """Regional values already stored under the batch's keys: read per indicator, region chunk and period span.

    Memory follows the file, not the database: only rows of the file's indicators, regions and periods are read.
    """
    table = _table("observation")
    spans = (
        observations.join(stored.select(pl.col("code").alias("indicator_code"), "id"), on="indicator_code")
        .group_by("id")
        .agg(pl.col("period_end").min().alias("first"), pl.col("period_end").max().alias("last"))
    )
    regions = observations["region_ags"].unique().sort().to_list()
    parts = [pl.DataFrame(schema=STORED_SCHEMA)]
    for indicator_id, first, last in spans.iter_rows():
        for chunk in _chunks(regions, REGION_CHUNK):
            statement = select(*(table.c[name] for name in STORED_SCHEMA)).where(
                table.c.indicator_id == indicator_id,
                # "+ 0": see queries.regional_rows; SQLite would search the project index for NULL otherwise.
                (table.c.project_id + 0).is_(None),
                table.c.region_ags.in_(chunk),
                table.c.period_end.between(first, last),
            )
            parts.append(rows_frame(connection, statement, STORED_SCHEMA))
    return pl.concat(parts)


def _differs(name: str) -> pl.Expr:
    return pl.col(name).ne_missing(pl.col(f"{name}_old"))


def _diff(connection: Connection, batch: _Batch, stored: pl.DataFrame) -> pl.DataFrame:
    """The batch's observations with their stored id, version, old fields and a status column."""
    ids = stored.select(pl.col("code").alias("indicator_code"), pl.col("id").alias("indicator_id"))
    observations = batch.observations.join(ids, on="indicator_code", how="left")
    old = _stored_values(connection, batch.observations, stored).rename(
        {name: f"{name}_old" for name in ["id", "version", *UPDATED_FIELDS]}
    )
    changed = pl.any_horizontal([_differs(name) for name in UPDATED_FIELDS])
    return observations.join(old, on=KEY, how="left").with_columns(
        pl.when(pl.col("id_old").is_null())
        .then(pl.lit(Status.NEW.value))
        .when(changed)
        .then(pl.lit(Status.CHANGED.value))
        .otherwise(pl.lit(Status.UNCHANGED.value))
        .alias("status")
    )


def _counts(diff: pl.DataFrame) -> dict[str, int]:
    found = dict(diff.group_by("status").len().iter_rows())
    return {status.value: int(found.get(status.value, 0)) for status in Status}


# --- plan ---------------------------------------------------------------------------------------------------

PREVIEW_COLUMNS = [
    "line",
    "indicator",
    "unit",
    "region",
    "region_ags",
    "period_end",
    "dimensions",
    "value",
    "missing_marker",
    "old_value",
    "status",
]


def _indicator_table(batch: _Batch, stored: pl.DataFrame, diff: pl.DataFrame) -> pl.DataFrame:
    values = diff.group_by(pl.col("indicator_code").alias("code")).len("values")
    joined = batch.indicators.join(stored.rename({"name": "stored_name", "unit": "stored_unit"}), on="code", how="left")
    return (
        joined.join(values, on="code", how="left")
        .with_columns(
            pl.col("id").is_null().alias("is_new"),
            (pl.col("id").is_not_null() & (pl.col("stored_unit") == "") & (pl.col("unit") != "")).alias("fills_unit"),
            pl.coalesce("stored_name", "name").alias("name"),
            pl.when(pl.col("stored_unit").is_null() | (pl.col("stored_unit") == ""))
            .then(pl.col("unit"))
            .otherwise(pl.col("stored_unit"))
            .alias("unit"),
            pl.col("values").fill_null(0).cast(pl.Int64),
        )
        .select("code", "name", "unit", "values", "is_new", "fills_unit")
    )


def _preview(diff: pl.DataFrame, indicators: pl.DataFrame, regions: pl.DataFrame) -> pl.DataFrame:
    names = indicators.select(pl.col("code").alias("indicator_code"), pl.col("name").alias("indicator"), "unit")
    region_names = regions.select(pl.col("ags").alias("region_ags"), pl.col("name").alias("region"))
    return (
        diff.join(names, on="indicator_code", how="left")
        .join(region_names, on="region_ags", how="left")
        .with_columns(pl.col("value_old").alias("old_value"))
        .select(PREVIEW_COLUMNS)
    )


def _plan(connection: Connection, batch: _Batch) -> tuple[ImportPlan, pl.DataFrame]:
    """The plan and the full diff it was counted from (apply writes from the diff)."""
    stored_indicators = _stored_indicators(connection, batch.indicators["code"].to_list())
    stored_regions = _stored_regions(connection, batch.regions["ags"].to_list())
    diff = _diff(connection, batch, stored_indicators)
    counts = _counts(diff)
    indicators = _indicator_table(batch, stored_indicators, diff)
    new_regions = batch.regions.join(stored_regions, on="ags", how="anti").select("ags", "name", "level")
    order = pl.DataFrame({"level": [level.value for level in RegionLevel]}).with_row_index("order")
    by_level = (
        batch.regions.group_by("level")
        .len("regions")
        .join(order, on="level", how="left")
        .sort("order", nulls_last=True)
        .select("level", pl.col("regions").cast(pl.Int64))
    )
    ordered = diff.sort("line", nulls_last=True)
    plan = ImportPlan(
        new=counts[Status.NEW],
        changed=counts[Status.CHANGED],
        unchanged=counts[Status.UNCHANGED],
        indicators=indicators,
        new_regions=new_regions,
        regions_by_level=by_level,
        period_min=diff["period_end"].min(),  # type: ignore[arg-type]
        period_max=diff["period_end"].max(),  # type: ignore[arg-type]
        preview=_preview(ordered.head(PREVIEW_ROWS), indicators, batch.regions),
        changes=_preview(ordered.filter(status=Status.CHANGED.value).head(PREVIEW_ROWS), indicators, batch.regions),
    )
    return plan, diff


def plan_import(engine: Engine, scope: Scope, parsed: ParsedImport) -> ImportPlan:
    """What ``apply_import`` would write for this file, without writing (FileFormatError when it is invalid)."""
    require_import(scope)
    batch = validate(parsed)
    with engine.connect() as connection:
        plan, _diff = _plan(connection, batch)
    return plan


# --- apply --------------------------------------------------------------------------------------------------


def _stamped(frame: pl.DataFrame, now: datetime) -> list[dict[str, Any]]:
    return frame.with_columns(
        pl.lit(1).alias("version"), pl.lit(now).alias("created_at"), pl.lit(now).alias("updated_at")
    ).to_dicts()


def _write_indicators(connection: Connection, batch: _Batch, indicators: pl.DataFrame, now: datetime) -> None:
    table = _table("indicator")
    new = batch.indicators.join(indicators.filter("is_new").select("code"), on="code", how="semi")
    if new.height:
        connection.execute(table.insert(), _stamped(new, now))
    fills = batch.indicators.join(indicators.filter("fills_unit").select("code"), on="code", how="semi")
    if fills.height:
        # Only an empty unit is completed; name, direction and a unit someone set stay as they are.
        statement = (
            update(table)
            .where(table.c.code == bindparam("b_code"), table.c.unit == "")
            .values(unit=bindparam("b_unit"), version=table.c.version + 1, updated_at=now)
        )
        rows = fills.select(pl.col("code").alias("b_code"), pl.col("unit").alias("b_unit")).to_dicts()
        connection.execute(statement, rows)


def _insert_values(connection: Connection, rows: pl.DataFrame, now: datetime) -> None:
    columns = ["indicator_id", "region_ags", "period_start", "period_end", "dimensions", *UPDATED_FIELDS[1:]]
    connection.execute(_table("observation").insert(), _stamped(rows.select(columns), now))


def _update_values(connection: Connection, rows: pl.DataFrame, now: datetime) -> None:
    table = _table("observation")
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
        .values(
            {name: bindparam(f"b_{name}") for name in UPDATED_FIELDS}
            | {"version": table.c.version + 1, "updated_at": now}
        )
    )
    params = rows.select(
        pl.col("id_old").alias("b_id"),
        pl.col("version_old").alias("b_version"),
        *(pl.col(name).alias(f"b_{name}") for name in UPDATED_FIELDS),
    ).to_dicts()
    result = connection.execute(statement, params)
    if connection.dialect.supports_sane_multi_rowcount and result.rowcount != len(params):
        raise ImportConflict(f"{len(params) - result.rowcount} values were changed meanwhile")


def _audit_rows(scope: Scope, rows: pl.DataFrame, now: datetime, *, changed: bool) -> pl.DataFrame:
    """One audit entry per written value, built for the whole chunk at once (a file has tens of thousands).

    The record is named by its key, "CODE/AGS/2019-12-31" plus "/sex=w" for a breakdown, because regional values
    are shared reference data without an alliance; old and new hold value and missing-value marker.
    """
    key = pl.concat_str(
        pl.col("indicator_code"), pl.col("region_ags"), pl.col("period_end").cast(pl.String), separator="/"
    )
    key = pl.when(pl.col("dimensions") != "").then(pl.concat_str(key, pl.lit("/"), pl.col("dimensions"))).otherwise(key)
    fields = ("value", "missing_marker")
    old = audit.json_object({name: pl.col(f"{name}_old") for name in fields}) if changed else None
    return audit.entries_frame(
        rows,
        scope,
        action=AuditAction.IMPORT,
        table="observation",
        record_id=key,
        alliance_id=None,
        old=old,
        new=audit.json_object({name: pl.col(name) for name in fields}),
        at=now,
    )


def apply_import(
    engine: Engine,
    scope: Scope,
    parsed: ParsedImport,
    *,
    progress: Progress | None = None,
    language: str = "de",
    chunk_rows: int = CHUNK_ROWS,
) -> ImportResult:
    """Upsert the file's regions, indicators and values in ONE transaction: all of it or, on any error, nothing.

    Existing regions and indicators are never overwritten (an empty indicator unit may be filled); values are
    matched by (indicator, region, period end, dimensions): new ones inserted, changed ones updated with a new
    version, equal ones left untouched, so importing the same file twice writes nothing the second time.
    Every inserted or changed value gets its audit entry (action import) in the same transaction.
    """
    require_import(scope)
    batch = validate(parsed)

    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(fraction, message)

    now = utcnow()
    with engine.begin() as connection:
        report(0.0, t("data_import.progress.prepare", language))
        plan, diff = _plan(connection, batch)
        regions = batch.regions.join(plan.new_regions.select("ags"), on="ags", how="semi")
        if regions.height:
            connection.execute(_table("region").insert(), _stamped(regions, now))
        _write_indicators(connection, batch, plan.indicators, now)
        # New indicators got their ids just now; the values of those indicators are all new.
        ids = _stored_indicators(connection, batch.indicators["code"].to_list()).select(
            pl.col("code").alias("indicator_code"), pl.col("id").alias("new_indicator_id")
        )
        diff = diff.join(ids, on="indicator_code", how="left").with_columns(
            pl.coalesce("indicator_id", "new_indicator_id").alias("indicator_id")
        )
        inserts = diff.filter(status=Status.NEW.value)
        updates = diff.filter(status=Status.CHANGED.value)
        total, done = inserts.height + updates.height, 0
        for rows, write in ((inserts, _insert_values), (updates, _update_values)):
            for offset in range(0, rows.height, chunk_rows):
                chunk = rows.slice(offset, chunk_rows)
                write(connection, chunk, now)
                audit.record_frame(connection, _audit_rows(scope, chunk, now, changed=write is _update_values))
                done += chunk.height
                report(
                    done / total,
                    t(
                        "data_import.progress.values",
                        language,
                        done=formats.number(done, language),
                        total=formats.number(total, language),
                    ),
                )
    report(1.0, t("data_import.progress.done", language))
    return ImportResult(
        inserted=plan.new,
        updated=plan.changed,
        unchanged=plan.unchanged,
        indicators_inserted=plan.new_indicators.height,
        indicators_completed=plan.units_to_fill,
        regions_inserted=plan.new_regions.height,
    )

"""Bulk import of projects, financial entries and indicator values: parse, validate, preview, apply.

The rows come from a template (importers/bulk.py) as text cells with their file line. Every cell is parsed
(German numbers and dates, labels or codes, names of partners and Handlungsfelder, project titles, indicator
codes) and every row is checked with the rules the forms use (rules.py) — all rows at once, as Polars
expressions. A file with any problem imports nothing and gets no preview; each problem names its line, its
column (by the header the user sees) and the reason. The preview tells what would be new, changed or unchanged;
applying re-plans inside ONE transaction and writes in chunks with executemany, with one audit entry (action
import) per created or changed record, and a version bump on every changed one.

Keys: a project is its title within the alliance (a known title changes that project); an indicator value is
(project, indicator, Stichtag, breakdown); a financial entry has no natural key, so an identical entry (same
project, date, kind, fund, amount and note) counts as already there. In a row for an existing record an empty
cell keeps the stored value (the form clears fields), so re-importing a file, or a thinner one, loses nothing.

Permissions: a member's row that names another partner's project is refused as such ("project_not_own"); the
stored records of projects the scope may not edit are never merged, checked against or compared with a row, so no
message and no preview reveals their money or whether a booking or value exists. Indicator values are for project
indicators only (not regional statistics). A clashing write by a form between plan and insert (a unique key)
rejects the import with the conflict issue, like a guarded update that finds another version.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

import polars as pl
from sqlalchemy import Connection, Engine, Table, bindparam, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col

from dashboard.data_access import audit
from dashboard.data_access import rules as R
from dashboard.data_access.bulk_schema import BULK_COLUMNS, LINE, BulkKind
from dashboard.data_access.editing import ENTRY_COLUMNS, LINKS, PROJECT_COLUMNS, VALUE_COLUMNS, project_indicators
from dashboard.data_access.models import (
    FinancialEntry,
    Indicator,
    Member,
    Observation,
    Project,
    ProjectStatusChange,
    Region,
    Topic,
    utcnow,
)
from dashboard.data_access.money import cents
from dashboard.data_access.scope import PermissionDenied, Scope
from dashboard.data_access.vocabulary import AuditAction, EntryKind, Fund, ProjectStatus, RegionLevel, Role
from dashboard.data_access.writes import localised
from dashboard.i18n import LANGUAGES, formats, label, t
from dashboard.importers.model import localised_params

MAX_ISSUES = 200  # problems listed; the rest are counted
CHUNK_ROWS = 2_000  # rows per executemany; progress is reported between chunks
IN_CHUNK = 500  # keys per IN list when reading what is stored
BULK_SOURCE = "Massenimport (Cockpit)"  # source of values and projects that come from a bulk file
ROW = R.ROW
DASH = "–"

Progress = Callable[[float, str], None]

# Form field (rules) → bulk column (template header), where the names differ.
FIELD_COLUMN = {
    "lead_member_id": "lead",
    "partner_ids": "partners",
    "topic_ids": "topics",
    "region_ags": "kreise",
    "project_id": "project",
    "indicator_id": "indicator",
    "is_cumulative": "cumulative",
}
LIST_COLUMNS = frozenset({"partners", "topics", "kreise"})
MONEY_FIELDS = ("total_cost", "requested_grant", "approved_grant")
# Labels that are not in the catalogue but that people write.
CODE_ALIASES: dict[str, dict[str, str]] = {
    "fund": {"esf+": Fund.ESF.value, "esf plus": Fund.ESF.value, "erdf": Fund.EFRE.value},
    "entry_kind": {"mittelabruf": EntryKind.DISBURSEMENT.value, "zahlung": EntryKind.DISBURSEMENT.value},
}
FLAGS = {
    **dict.fromkeys(("ja", "j", "yes", "y", "true", "wahr", "1", "x"), True),
    **dict.fromkeys(("nein", "n", "no", "false", "falsch", "0"), False),
}


class Status(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class BulkIssue:
    """One problem of a bulk file: where (line, canonical column) and why (key under ``bulk.``, or a shared
    form rule's ``writes.`` key)."""

    line: int | None
    column: str | None  # canonical column name; shown with its header label
    key: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def message(self, language: str = "de") -> str:
        key = self.key if self.key.startswith("writes.") else f"bulk.{self.key}"
        return t(key, language, **localised_params(localised(self.params, language), language))

    def text(self, language: str = "de") -> str:
        """E.g. "Zeile 7, Spalte „Betrag“ („12,345“): Betrag darf höchstens zwei Nachkommastellen haben"."""
        message = self.message(language)
        column = t(f"bulk.column.{self.column}", language) if self.column else None
        cell = self.params.get("cell")
        if self.line is not None and column is not None:
            key = "bulk.at_line_column_cell" if cell else "bulk.at_line_column"
            return t(key, language, line=self.line, column=column, cell=cell, message=message)
        if self.line is not None:
            return t("bulk.at_line", language, line=self.line, message=message)
        if column is not None:
            return t("bulk.at_column", language, column=column, message=message)
        return message


@dataclass(frozen=True)
class BulkPlan:
    """What importing the rows would do, computed without writing."""

    kind: BulkKind
    issues: list[BulkIssue]  # every problem, capped at MAX_ISSUES (then one "more_issues" entry)
    preview: pl.DataFrame  # line, status ("new"/"changed"/"unchanged"), label, changes; empty with any issue
    counts: dict[str, int]  # new, changed, unchanged
    issue_count: int = 0  # problems found (the list above may be cut)

    @property
    def has_errors(self) -> bool:
        return bool(self.issues)

    @property
    def has_work(self) -> bool:
        return not self.has_errors and bool(self.counts[Status.NEW] or self.counts[Status.CHANGED])


class BulkRejected(Exception):
    """The file has problems (or the data changed while importing); nothing was written."""

    def __init__(self, issues: list[BulkIssue]) -> None:
        super().__init__("; ".join(issue.text() for issue in issues[:5]))
        self.issues = issues


PREVIEW_SCHEMA: dict[str, pl.DataType] = {
    LINE: pl.Int64(),
    "status": pl.String(),
    "label": pl.String(),
    "changes": pl.String(),
}


@dataclass(frozen=True)
class _Work:
    """A plan with the typed rows to write: ``new`` to insert, ``changed`` to update (with id, version, old)."""

    plan: BulkPlan
    new: pl.DataFrame
    changed: pl.DataFrame


# --- parsing cells ----------------------------------------------------------------------------------------------


def _null_if_blank(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr == "").then(None).otherwise(expr)


def _key(expr: pl.Expr) -> pl.Expr:
    """How names are matched: case and runs of spaces do not matter."""
    return expr.str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


def _number_cleaned(raw: pl.Expr) -> pl.Expr:
    return raw.str.replace_all(r"[\s\u00a0€]|EUR", "").str.replace(r"^[−–]", "-")


def _ambiguous(raw: pl.Expr) -> pl.Expr:
    """ "1.234" is 1234 to a German reader and 1.234 to Excel's float: refused rather than guessed."""
    return _number_cleaned(raw).str.contains(r"^-?[1-9]\d{0,2}\.\d{3}$")


def _number(raw: pl.Expr) -> pl.Expr:
    """A number cell as canonical decimal text ("-1234.56"), null if it is none.

    Accepted: 1.234,56 (German), 1234,56, 1234.56, 1,234.56 (English thousands), with or without € and spaces.
    """
    text_ = _number_cleaned(raw)
    german = text_.str.contains(r"^-?[1-9]\d{0,2}(\.\d{3}){2,}(,\d+)?$") | text_.str.contains(
        r"^-?[1-9]\d{0,2}\.\d{3},\d+$"
    )
    comma = text_.str.contains(r"^-?\d+,\d+$")
    english = text_.str.contains(r"^-?[1-9]\d{0,2}(,\d{3})+\.\d+$") | text_.str.contains(
        r"^-?[1-9]\d{0,2}(,\d{3}){2,}$"
    )
    plain = text_.str.contains(r"^-?\d+(\.\d+)?$") & ~_ambiguous(raw)
    return (
        pl.when(german)
        .then(text_.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True))
        .when(comma)
        .then(text_.str.replace(",", ".", literal=True))
        .when(english)
        .then(text_.str.replace_all(",", "", literal=True))
        .when(plain)
        .then(text_)
        .otherwise(None)
    )


def _date(raw: pl.Expr) -> pl.Expr:
    """31.12.2025 (also 1.2.2025) or 2025-12-31."""
    german = pl.when(raw.str.contains(r"^\d{1,2}\.\d{1,2}\.\d{4}$")).then(raw.str.to_date("%d.%m.%Y", strict=False))
    iso = pl.when(raw.str.contains(r"^\d{4}-\d{2}-\d{2}$")).then(raw.str.to_date("%Y-%m-%d", strict=False))
    return pl.coalesce(german, iso)


def _vocabulary_map(kind: str, vocabulary: type[StrEnum]) -> dict[str, str]:
    """Code, German and English label (lower case) → code."""
    mapping = {member.value: member.value for member in vocabulary}
    for language in LANGUAGES:
        mapping.update({label(kind, member.value, language).lower(): member.value for member in vocabulary})
    return mapping | CODE_ALIASES.get(kind, {})


def _code(raw: pl.Expr, mapping: Mapping[str, str]) -> pl.Expr:
    return _key(raw).replace_strict(dict(mapping), default=None, return_dtype=pl.String)


def _allowed(kind: str, vocabulary: type[StrEnum], language: str) -> str:
    return ", ".join(label(kind, member.value, language) for member in vocabulary)


def _flag(raw: pl.Expr) -> pl.Expr:
    return _key(raw).replace_strict(FLAGS, default=None, return_dtype=pl.Boolean)


def _ags_list(raw: pl.Expr) -> pl.Expr:
    return raw.str.split(";").list.eval(pl.element().str.strip_chars()).list.filter(pl.element() != "")


# --- collecting problems ----------------------------------------------------------------------------------------


class _Report:
    """Problems of a file as they are found; a cell with a parse problem gets no second rule message."""

    def __init__(self, cells: pl.DataFrame) -> None:
        self.cells = cells
        self.issues: list[BulkIssue] = []
        self.total = 0
        self.flagged: set[tuple[int, str]] = set()

    def room(self) -> int:
        return max(0, MAX_ISSUES - len(self.issues))

    def found(
        self,
        frame: pl.DataFrame,
        column: str,
        key: str,
        params: Mapping[str, pl.Expr] | None = None,
        covers: Sequence[str] = (),
    ) -> None:
        """One issue per row of ``frame`` (which carries ROW and LINE): the rows that broke a parse check.

        ``covers`` names further columns whose rule messages this issue makes redundant.
        """
        if frame.is_empty():
            return
        self.total += frame.height
        for name in (column, *covers):
            self.flagged.update((int(row), name) for row in frame[ROW].to_list())
        listed = frame.head(self.room()).select(
            pl.col(LINE), *(expr.alias(name) for name, expr in (params or {}).items())
        )
        for row in listed.iter_rows(named=True):  # only the offending rows, at most MAX_ISSUES
            line = row.pop(LINE)
            self.issues.append(BulkIssue(None if line is None else int(line), column, f"issue.{key}", row))

    def check(
        self,
        frame: pl.DataFrame,
        column: str,
        key: str,
        broken: pl.Expr,
        *,
        covers: Sequence[str] = (),
        **params: pl.Expr,
    ) -> None:
        self.found(frame.filter(broken.fill_null(False)), column, key, params, covers)

    def rules(self, found: Sequence[R.Violation]) -> None:
        """Violations of the shared form rules, located by line and column, with the cell as the user wrote it."""
        lines = self.cells[LINE]
        for violation in found:
            column = FIELD_COLUMN.get(violation.field, violation.field)
            if (violation.row, column) in self.flagged:
                continue
            self.total += 1
            if len(self.issues) >= MAX_ISSUES:
                continue
            params = dict(violation.params)
            raw = f"raw_{column}"
            if column not in LIST_COLUMNS and raw in self.cells.columns:
                cell = self.cells[raw][violation.row]
                if cell is not None:
                    params["cell"] = cell
            self.issues.append(BulkIssue(int(lines[violation.row]), column, f"writes.{violation.key}", params))

    def listed(self) -> list[BulkIssue]:
        order = {column.name: index for kind in BULK_COLUMNS.values() for index, column in enumerate(kind)}
        issues = sorted(self.issues, key=lambda issue: (issue.line or 0, order.get(issue.column or "", -1), issue.key))
        if self.total > len(issues):
            issues.append(BulkIssue(None, None, "issue.more_issues", {"count": self.total - len(issues)}))
        return issues


def _cells(kind: BulkKind, rows: pl.DataFrame) -> tuple[pl.DataFrame, list[BulkIssue]]:
    """The rows as ``raw_<column>`` text (stripped, blank = null) with LINE and ROW; fully empty rows dropped."""
    columns = BULK_COLUMNS[kind]
    missing = [column.name for column in columns if column.required and column.name not in rows.columns]
    names = [column.name for column in columns]
    empty = pl.DataFrame(schema={ROW: pl.UInt32(), LINE: pl.Int64(), **{f"raw_{name}": pl.String() for name in names}})
    if missing:
        return empty, [BulkIssue(None, name, "issue.column_missing") for name in missing]
    frame = rows if LINE in rows.columns else rows.with_row_index(LINE, offset=2)
    cells = frame.select(
        pl.col(LINE).cast(pl.Int64),
        *(
            (_null_if_blank(pl.col(name).cast(pl.String).str.strip_chars()) if name in rows.columns else pl.lit(None))
            .cast(pl.String)
            .alias(f"raw_{name}")
            for name in names
        ),
    ).filter(~pl.all_horizontal(pl.col(f"raw_{name}").is_null() for name in names))
    if cells.is_empty():
        return empty, [BulkIssue(None, None, "issue.no_rows")]
    return cells.with_row_index(ROW), []


# --- reading what is stored -------------------------------------------------------------------------------------


def _read(connection: Connection, statement: Any, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    rows = connection.execute(statement).all()
    return pl.DataFrame([tuple(row) for row in rows], schema=dict(schema), orient="row")


def _chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    for offset in range(0, len(values), size):
        yield list(values[offset : offset + size])


def _named(connection: Connection, model: type[SQLModel], alliance_id: int) -> pl.DataFrame:
    """id, name, key of the alliance's members or topics (key: how a file's name is matched)."""
    table = model.__table__  # type: ignore[attr-defined]
    statement = select(table.c.id, table.c.name).where(table.c.alliance_id == alliance_id)
    frame = _read(connection, statement, {"id": pl.Int64(), "name": pl.String()})
    return frame.with_columns(_key(pl.col("name")).alias("key")).unique("key", keep="first")


def _alliance_projects(connection: Connection, alliance_id: int) -> pl.DataFrame:
    statement = select(
        col(Project.id), col(Project.title), col(Project.lead_member_id), col(Project.archived_at).is_not(None)
    ).where(col(Project.alliance_id) == alliance_id)
    schema = {"project_id": pl.Int64(), "title": pl.String(), "lead_member_id": pl.Int64(), "archived": pl.Boolean()}
    return _read(connection, statement, schema)


def _known_kreise(connection: Connection, ags: Sequence[str]) -> list[str]:
    found: list[str] = []
    for chunk in _chunks(sorted(set(ags))):
        statement = select(col(Region.ags)).where(col(Region.ags).in_(chunk), col(Region.level) == RegionLevel.KREIS)
        found += [str(value) for value in connection.execute(statement).scalars()]
    return found


def _require_bulk(connection: Connection, scope: Scope, alliance_id: int) -> tuple[list[int], list[int] | None]:
    """(the alliance's member ids, the scope's own organisations there or None for speakers and admins)."""
    if not scope.writes_anything:
        raise PermissionDenied(f"{scope.user} ({scope.role}) changes nothing")
    statement = select(col(Member.id)).where(col(Member.alliance_id) == alliance_id)
    members = [int(cast(int, value)) for value in connection.execute(statement).scalars()]
    if scope.can_manage_alliance(alliance_id):
        return members, None
    own = sorted(scope.member_ids & set(members))
    if scope.role == Role.MEMBER and scope.can_read_alliance(alliance_id) and own:
        return members, own
    raise PermissionDenied(f"{scope.user} ({scope.role}) may not import into alliance {alliance_id}")


# --- shared pieces of the three kinds ---------------------------------------------------------------------------


def _status(is_new: pl.Expr, changed: pl.Expr) -> pl.Expr:
    return (
        pl.when(is_new)
        .then(pl.lit(Status.NEW.value))
        .when(changed)
        .then(pl.lit(Status.CHANGED.value))
        .otherwise(pl.lit(Status.UNCHANGED.value))
    )


def _change(column: str, differs: pl.Expr, old: pl.Expr, new: pl.Expr, language: str) -> pl.Expr:
    """ "Status: Beantragt → Bewilligt" where the field differs, else null."""
    heading = t(f"bulk.column.{column}", language)
    return pl.when(differs).then(
        pl.concat_str(pl.lit(f"{heading}: "), old.fill_null(DASH), pl.lit(" → "), new.fill_null(DASH))
    )


def _joined(parts: Sequence[pl.Expr]) -> pl.Expr:
    return pl.concat_list(parts).list.drop_nulls().list.join("; ")


def _counts(frame: pl.DataFrame) -> dict[str, int]:
    found = dict(frame.group_by("status").len().iter_rows()) if frame.height else {}
    return {status.value: int(found.get(status.value, 0)) for status in Status}


def _editable(own: Sequence[int] | None) -> pl.Expr:
    """Whether the scope may edit the row's project (by its ``lead_member_id``): speakers and admins (``own`` None)
    every one, a member those its organisation leads. Only these projects' stored rows are read, merged, compared
    and previewed."""
    if own is None:
        return pl.lit(True)
    return pl.col("lead_member_id").is_in(R.among(own, pl.Int64()))


def _editable_ids(frame: pl.DataFrame, own: Sequence[int] | None) -> list[int]:
    """The resolved project ids of rows whose project the scope may edit."""
    return frame.filter(_editable(own).fill_null(False))["project_id"].drop_nulls().to_list()


def _project_refs(
    report: _Report, frame: pl.DataFrame, projects: pl.DataFrame, own: Sequence[int] | None
) -> pl.DataFrame:
    """Entries and values name their project by title: resolve it, or report unknown, archived or foreign ones."""
    joined = frame.join(projects, left_on="raw_project", right_on="title", how="left").sort(ROW)
    report.check(
        joined,
        "project",
        "unknown_project",
        pl.col("raw_project").is_not_null() & pl.col("project_id").is_null(),
        value=pl.col("raw_project"),
    )
    report.check(joined, "project", "project_archived", pl.col("archived"), value=pl.col("raw_project"))
    if own is not None:
        foreign = pl.col("project_id").is_not_null() & ~pl.col("lead_member_id").is_in(own) & ~pl.col("archived")
        report.check(joined, "project", "project_not_own", foreign, value=pl.col("raw_project"))
    return joined.with_columns(
        pl.when(pl.col("archived")).then(None).otherwise(pl.col("project_id")).alias("project_id")
    )


def _duplicates(
    report: _Report, frame: pl.DataFrame, keys: list[str], column: str, key: str, **params: pl.Expr
) -> None:
    """Rows whose key repeats an earlier row's; each names the first line with that key."""
    complete = pl.all_horizontal(pl.col(name).is_not_null() for name in keys)
    repeated = (
        frame.filter(complete)
        .with_columns(pl.col(LINE).min().over(keys).alias("first_line"))
        .filter(pl.col(LINE) != pl.col("first_line"))
    )
    report.found(repeated, column, key, {"first_line": pl.col("first_line"), **params})


def _number_text(expr: pl.Expr, language: str) -> pl.Expr:
    """An indicator value for the change list: 12 or 3,5 (de) / 3.5 (en)."""
    whole = expr.round(0) == expr
    shown = expr.cast(pl.String)
    decimal = shown if language == "en" else shown.str.replace(".", ",", literal=True)
    return pl.when(whole).then(expr.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(decimal)


def _flag_text(expr: pl.Expr, language: str) -> pl.Expr:
    return pl.when(expr).then(pl.lit(t("bulk.yes", language))).otherwise(pl.lit(t("bulk.no", language)))


# --- projects ---------------------------------------------------------------------------------------------------

PROJECT_STORED: dict[str, pl.DataType] = {
    "id": pl.Int64(),
    "title": pl.String(),
    "description": pl.String(),
    "lead_member_id": pl.Int64(),
    "status": pl.String(),
    "fund": pl.String(),
    "start_date": pl.Date(),
    "end_date": pl.Date(),
    "total_cost": pl.Int64(),  # cents
    "requested_grant": pl.Int64(),
    "approved_grant": pl.Int64(),
    "version": pl.Int64(),
    "archived": pl.Boolean(),
}
SCALARS = ("description", "lead_member_id", "status", "fund", "start_date", "end_date")


def _stored_projects(connection: Connection, alliance_id: int) -> pl.DataFrame:
    """Every project of the alliance (archived too) with money in cents and its link lists."""
    statement = select(
        col(Project.id),
        col(Project.title),
        col(Project.description),
        col(Project.lead_member_id),
        col(Project.status),
        col(Project.fund),
        col(Project.start_date),
        col(Project.end_date),
        *(cents(getattr(Project, name)) for name in MONEY_FIELDS),
        col(Project.version),
        col(Project.archived_at).is_not(None),
    ).where(col(Project.alliance_id) == alliance_id)
    projects = _read(connection, statement, PROJECT_STORED)
    for name, (model, column) in LINKS.items():
        table = model.__table__  # type: ignore[attr-defined]
        dtype = pl.String() if name == "region_ags" else pl.Int64()
        links = _read(
            connection,
            select(table.c.project_id, table.c[column])
            .join(Project.__table__, Project.__table__.c.id == table.c.project_id)  # type: ignore[attr-defined]
            .where(Project.__table__.c.alliance_id == alliance_id),  # type: ignore[attr-defined]
            {"id": pl.Int64(), name: dtype},
        )
        grouped = links.group_by("id").agg(pl.col(name).sort())
        projects = projects.join(grouped, on="id", how="left").with_columns(
            pl.col(name).fill_null(pl.lit([], dtype=pl.List(dtype)))
        )
    return projects


def _resolve_names(
    report: _Report, cells: pl.DataFrame, column: str, lookup: pl.DataFrame, *, key: str, name: str
) -> pl.DataFrame:
    """(ROW, ids) for the rows whose ``column`` lists names separated by ";"; unknown names are reported."""
    items = (
        cells.select(ROW, LINE, pl.col(f"raw_{column}").str.split(";").alias("item"))
        .explode("item")
        .with_columns(pl.col("item").str.strip_chars())
        .filter(pl.col("item").is_not_null() & (pl.col("item") != ""))
        .join(lookup.select("key", "id"), left_on=_key(pl.col("item")), right_on="key", how="left")
    )
    report.check(items, column, key, pl.col("id").is_null(), value=pl.col("item"))
    return items.group_by(ROW).agg(pl.col("id").drop_nulls().unique().sort().alias(name))


def _plan_projects(connection: Connection, scope: Scope, alliance_id: int, cells: pl.DataFrame, language: str) -> _Work:
    report = _Report(cells)
    member_ids, own = _require_bulk(connection, scope, alliance_id)
    members = _named(connection, Member, alliance_id)
    topics = _named(connection, Topic, alliance_id)
    stored = _stored_projects(connection, alliance_id)
    statuses, funds = _vocabulary_map("status", ProjectStatus), _vocabulary_map("fund", Fund)

    parsed = cells.with_columns(
        pl.col("raw_title").alias("title"),
        pl.col("raw_description").alias("description"),
        _code(pl.col("raw_status"), statuses).alias("status"),
        _code(pl.col("raw_fund"), funds).alias("fund"),
        _date(pl.col("raw_start_date")).alias("start_date"),
        _date(pl.col("raw_end_date")).alias("end_date"),
        *(_number(pl.col(f"raw_{name}")).alias(name) for name in MONEY_FIELDS),
        _ags_list(pl.col("raw_kreise")).alias("region_ags"),
    ).join(
        members.select(pl.col("key").alias("lead_key"), pl.col("id").alias("lead_member_id")),
        left_on=_key(pl.col("raw_lead")),
        right_on="lead_key",
        how="left",
    )
    for ids in (
        _resolve_names(report, cells, "partners", members, key="unknown_member", name="partner_ids"),
        _resolve_names(report, cells, "topics", topics, key="unknown_topic", name="topic_ids"),
    ):
        parsed = parsed.join(ids, on=ROW, how="left")
    parsed = parsed.sort(ROW)

    for column, vocabulary, kind in (("status", ProjectStatus, "status"), ("fund", Fund, "fund")):
        report.check(
            parsed.with_columns(pl.col(f"raw_{column}").alias("value")),
            column,
            "bad_code",
            pl.col("value").is_not_null() & pl.col(column).is_null(),
            allowed=pl.lit(_allowed(kind, vocabulary, language)),
            value=pl.col("value"),
        )
    for column in ("start_date", "end_date"):
        report.check(
            parsed,
            column,
            "bad_date",
            pl.col(f"raw_{column}").is_not_null() & pl.col(column).is_null(),
            value=pl.col(f"raw_{column}"),
        )
    for column in MONEY_FIELDS:
        _report_number(report, parsed, column)
    report.check(
        parsed,
        "lead",
        "unknown_member",
        pl.col("raw_lead").is_not_null() & pl.col("lead_member_id").is_null(),
        value=pl.col("raw_lead"),
    )

    # Which stored project a title names, and whether the scope may edit it; only the stored values of those it
    # may edit are merged into the row — another partner's project lends the row nothing (its money included), so
    # no message and no preview can tell what is stored there.
    heads = stored.select("title", pl.col("archived").alias("stored_archived"), (~_editable(own)).alias("foreign_"))
    editable = stored.filter(_editable(own))
    old = editable.rename({name: f"{name}_old" for name in editable.columns if name not in ("id", "title")})
    merged = parsed.join(heads, on="title", how="left").join(old, on="title", how="left").sort(ROW)
    merged = merged.with_columns(pl.col("foreign_").fill_null(False))
    report.check(merged, "title", "project_archived", pl.col("stored_archived"), value=pl.col("title"))
    if own is not None:
        # Its lead is another organisation's, which is the point of this message, not a second one.
        report.check(merged, "title", "project_not_own", pl.col("foreign_"), covers=("lead",), value=pl.col("title"))
    _duplicates(report, merged, ["title"], "title", "duplicate_title", value=pl.col("title"))

    # An empty cell keeps what is stored; a new project starts from nothing (no total cost = 0,00 €).
    merged = merged.with_columns(
        *(pl.coalesce(name, f"{name}_old").alias(name) for name in SCALARS),
        *(pl.coalesce(pl.col(name), R.cents_text(pl.col(f"{name}_old"))).alias(name) for name in MONEY_FIELDS),
        *(
            pl.coalesce(pl.col(name), pl.col(f"{name}_old"), pl.lit([], dtype=stored.schema[name])).alias(name)
            for name in LINKS
        ),
    ).with_columns(pl.col("description").fill_null(""), pl.col("total_cost").fill_null("0.00"))
    context = R.ProjectContext(
        member_ids=member_ids,
        topic_ids=topics["id"].to_list(),
        known_ags=_known_kreise(connection, merged["region_ags"].explode().drop_nulls().to_list()),
        titles=stored.select("title", "id"),
        own_member_ids=own,
    )
    # A row naming another partner's project is refused as such; its cells are not checked against rules.
    report.rules(R.check_projects(merged.filter(~pl.col("foreign_")), context, limit=MAX_ISSUES))

    differs = _project_differs()
    merged = merged.with_columns(
        _status(pl.col("id").is_null(), pl.any_horizontal(list(differs.values()))).alias("status_"),
    )
    preview = merged.select(
        pl.col(LINE),
        pl.col("status_").alias("status"),
        pl.col("title").alias("label"),
        pl.when(pl.col("status_") == Status.CHANGED.value)
        .then(_joined(_project_changes(differs, members, topics, language)))
        .otherwise(pl.lit(""))
        .alias("changes"),
    )
    return _work(BulkKind.PROJECTS, report, preview, merged)


def _project_differs() -> dict[str, pl.Expr]:
    """Per audited field, whether the merged row differs from what is stored (the title is the key)."""
    differs = {name: pl.col(name).ne_missing(pl.col(f"{name}_old")) for name in (*SCALARS, *LINKS)}
    return differs | {name: R.cents(name).ne_missing(pl.col(f"{name}_old")) for name in MONEY_FIELDS}


def _audited_project(*, old: bool) -> dict[str, pl.Expr]:
    """The audited project fields as the forms write them (money as "1234.50", dates as ISO text)."""

    def column(name: str) -> pl.Expr:
        return pl.col(f"{name}_old" if old else name)

    values: dict[str, pl.Expr] = {"title": pl.col("title")}
    for name in (*PROJECT_COLUMNS[1:], *LINKS):
        if name in MONEY_FIELDS:
            values[name] = R.cents_text(column(name) if old else R.cents(name))
        elif name in ("start_date", "end_date"):
            values[name] = column(name).cast(pl.String)
        else:
            values[name] = column(name)
    return values


def _report_number(report: _Report, frame: pl.DataFrame, column: str, parsed: str | None = None) -> None:
    """Number cells that are no number, or an ambiguous one ("1.234"); ``parsed`` names the parsed column."""
    cell = pl.col(f"raw_{column}")
    missing = cell.is_not_null() & pl.col(parsed or column).is_null()
    report.check(frame, column, "ambiguous_number", cell.is_not_null() & _ambiguous(cell), value=cell)
    report.check(frame, column, "bad_number", missing & ~_ambiguous(cell), value=cell)


def _project_changes(
    differs: Mapping[str, pl.Expr], members: pl.DataFrame, topics: pl.DataFrame, language: str
) -> list[pl.Expr]:
    member_names = dict(zip(members["id"].to_list(), members["name"].to_list(), strict=True))
    topic_names = dict(zip(topics["id"].to_list(), topics["name"].to_list(), strict=True))

    def names(expr: pl.Expr, mapping: dict[int, str]) -> pl.Expr:
        return expr.list.eval(pl.element().replace_strict(mapping, default=None, return_dtype=pl.String)).list.join(
            ", "
        )

    def vocabulary(expr: pl.Expr, kind: str, codes: type[StrEnum]) -> pl.Expr:
        labels = {member.value: label(kind, member.value, language) for member in codes}
        return expr.replace_strict(labels, default=expr, return_dtype=pl.String)

    def money(expr: pl.Expr) -> pl.Expr:
        return formats.money_expr(expr, language)

    lead = pl.col("lead_member_id")
    shown: list[tuple[str, str, pl.Expr, pl.Expr]] = [
        (
            "lead_member_id",
            "lead",
            pl.col("lead_member_id_old").replace_strict(member_names, default=None, return_dtype=pl.String),
            lead.replace_strict(member_names, default=None, return_dtype=pl.String),
        ),
        (
            "status",
            "status",
            vocabulary(pl.col("status_old"), "status", ProjectStatus),
            vocabulary(pl.col("status"), "status", ProjectStatus),
        ),
        ("fund", "fund", vocabulary(pl.col("fund_old"), "fund", Fund), vocabulary(pl.col("fund"), "fund", Fund)),
        (
            "start_date",
            "start_date",
            formats.day_expr(pl.col("start_date_old"), language),
            formats.day_expr(pl.col("start_date"), language),
        ),
        (
            "end_date",
            "end_date",
            formats.day_expr(pl.col("end_date_old"), language),
            formats.day_expr(pl.col("end_date"), language),
        ),
        *((name, name, money(pl.col(f"{name}_old")), money(R.cents(name))) for name in MONEY_FIELDS),
        (
            "partner_ids",
            "partners",
            names(pl.col("partner_ids_old"), member_names),
            names(pl.col("partner_ids"), member_names),
        ),
        ("topic_ids", "topics", names(pl.col("topic_ids_old"), topic_names), names(pl.col("topic_ids"), topic_names)),
        ("region_ags", "kreise", pl.col("region_ags_old").list.join(", "), pl.col("region_ags").list.join(", ")),
        ("description", "description", pl.lit(DASH), pl.lit(t("bulk.text_changed", language))),
    ]
    return [_change(column, differs[field], old, new, language) for field, column, old, new in shown]


def _work(kind: BulkKind, report: _Report, preview: pl.DataFrame, merged: pl.DataFrame) -> _Work:
    """The plan: with any problem, no preview and nothing to write (a preview of a refused file would only tell
    what is stored, e.g. whether a booking of a project one may not edit exists)."""
    issues = report.listed()
    if issues:
        preview, merged = preview.clear(), merged.clear()
    preview = preview.cast(PREVIEW_SCHEMA).sort(LINE)  # type: ignore[arg-type]
    plan = BulkPlan(
        kind=kind,
        issues=issues,
        preview=preview,
        counts=_counts(preview),
        issue_count=report.total,
    )
    return _Work(
        plan=plan,
        new=merged.filter(pl.col("status_") == Status.NEW.value),
        changed=merged.filter(pl.col("status_") == Status.CHANGED.value),
    )


def _money_decimals(names: Sequence[str]) -> list[pl.Expr]:
    return [pl.col(name).cast(pl.Decimal(14, 2)).alias(name) for name in names]


def _project_values(frame: pl.DataFrame) -> pl.DataFrame:
    """The project columns of each row as they are written (money as Decimal) plus the link lists."""
    others = [pl.col(name) for name in (*SCALARS, *LINKS)]
    ordered = ["title", *PROJECT_COLUMNS[1:], *LINKS]
    return frame.select(pl.col("title"), *others, *_money_decimals(MONEY_FIELDS)).select(ordered)


def _audit(
    connection: Connection,
    scope: Scope,
    frame: pl.DataFrame,
    *,
    table: str,
    alliance_id: int,
    at: datetime,
    new: Mapping[str, pl.Expr],
    old: Mapping[str, pl.Expr] | None = None,
    include: Mapping[str, pl.Expr] | None = None,
) -> None:
    """One import audit entry per row of ``frame`` (record id in ``id``): all fields of a new record, the changed
    ones (``include``) of an updated record, built for the whole chunk at once."""
    rows = audit.entries_frame(
        frame,
        scope,
        action=AuditAction.IMPORT,
        table=table,
        record_id=pl.col("id"),
        alliance_id=alliance_id,
        old=None if old is None else audit.json_object(old, include),
        new=audit.json_object(new, include if old is not None else None),
        at=at,
    )
    audit.record_frame(connection, rows)


def _write_projects(
    connection: Connection, scope: Scope, alliance_id: int, work: _Work, tick: Callable[[int], None]
) -> None:
    table: Table = Project.__table__  # type: ignore[attr-defined]
    now = utcnow()
    for chunk in _frames(work.new):
        values = _project_values(chunk)
        rows = values.drop(*LINKS).with_columns(
            pl.lit(alliance_id).alias("alliance_id"),
            pl.lit(BULK_SOURCE).alias("source"),
            pl.lit(False).alias("is_example"),
            pl.lit(1).alias("version"),
            pl.lit(now).alias("created_at"),
            pl.lit(now).alias("updated_at"),
        )
        result = connection.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows.to_dicts())
        ids = [int(row[0]) for row in result]
        _insert_links(connection, values.with_columns(pl.Series("id", ids, dtype=pl.Int64)))
        created = chunk.with_columns(pl.Series("id", ids, dtype=pl.Int64))
        _record_status_changes(
            connection, scope, created.select("id", pl.lit(None, pl.String).alias("old"), "status"), now
        )
        _audit(
            connection,
            scope,
            created,
            table="project",
            alliance_id=alliance_id,
            at=now,
            new=_audited_project(old=False),
        )
        tick(chunk.height)
    for chunk in _frames(work.changed):
        values = _project_values(chunk)
        columns = [name for name in PROJECT_COLUMNS if name != "title"]
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
            .values(
                {name: bindparam(f"b_{name}") for name in columns} | {"version": table.c.version + 1, "updated_at": now}
            )
        )
        params = values.select(*(pl.col(name).alias(f"b_{name}") for name in columns)).with_columns(
            chunk["id"].alias("b_id"), chunk["version_old"].alias("b_version")
        )
        _guarded(connection, statement, params.to_dicts())
        moved = chunk.filter(pl.col("status").ne_missing(pl.col("status_old")))
        _record_status_changes(connection, scope, moved.select("id", pl.col("status_old").alias("old"), "status"), now)
        with_ids = values.with_columns(chunk["id"].alias("id"))
        for name, (model, _column) in LINKS.items():
            differs = chunk.select(pl.col(name).ne_missing(pl.col(f"{name}_old")))[name]
            relinked = with_ids.filter(differs)
            if relinked.height:
                link_table = model.__table__  # type: ignore[attr-defined]
                connection.execute(
                    delete(link_table).where(link_table.c.project_id == bindparam("b_project")),
                    [{"b_project": project_id} for project_id in relinked["id"].to_list()],
                )
                _insert_links(connection, relinked.select("id", name), only=name)
        _audit(
            connection,
            scope,
            chunk,
            table="project",
            alliance_id=alliance_id,
            at=now,
            old=_audited_project(old=True),
            new=_audited_project(old=False),
            include=_project_differs(),
        )
        tick(chunk.height)


def _record_status_changes(connection: Connection, scope: Scope, moves: pl.DataFrame, now: datetime) -> None:
    """Status-history rows (id, old, status) of imported projects, for the application pipeline's waiting times."""
    if moves.height:
        rows = moves.select(
            pl.col("id").alias("project_id"),
            pl.col("old").alias("from_status"),
            pl.col("status").alias("to_status"),
            pl.lit(now).alias("changed_at"),
            pl.lit(scope.user[:200]).alias("user_name"),
        )
        connection.execute(insert(ProjectStatusChange), rows.to_dicts())


def _insert_links(connection: Connection, projects: pl.DataFrame, only: str | None = None) -> None:
    """Link rows of ``projects`` (id plus list columns)."""
    for name, (model, column) in LINKS.items():
        if only is not None and name != only:
            continue
        rows = (
            projects.select(pl.col("id").alias("project_id"), pl.col(name).alias(column))
            .explode(column)
            .drop_nulls(column)
        )
        if rows.height:
            connection.execute(insert(model.__table__), rows.to_dicts())  # type: ignore[attr-defined]


def _guarded(connection: Connection, statement: Any, params: list[dict[str, Any]]) -> None:
    """A guarded executemany UPDATE: a row someone changed meanwhile (other version) aborts the whole import."""
    if not params:
        return
    result = connection.execute(statement, params)
    if connection.dialect.supports_sane_multi_rowcount and result.rowcount != len(params):
        raise BulkRejected([BulkIssue(None, None, "issue.conflict")])


def _frames(frame: pl.DataFrame) -> Iterator[pl.DataFrame]:
    for offset in range(0, frame.height, CHUNK_ROWS):
        yield frame.slice(offset, CHUNK_ROWS)


# --- financial entries ------------------------------------------------------------------------------------------

ENTRY_KEY = ["project_id", "entry_date", "kind", "fund", "amount_cents", "note"]


def _stored_entries(connection: Connection, project_ids: Sequence[int]) -> pl.DataFrame:
    schema = {
        "project_id": pl.Int64(),
        "entry_date": pl.Date(),
        "kind": pl.String(),
        "fund": pl.String(),
        "amount_cents": pl.Int64(),
        "note": pl.String(),
    }
    parts = [pl.DataFrame(schema=schema)]
    for chunk in _chunks(sorted(set(project_ids))):
        statement = select(
            col(FinancialEntry.project_id),
            col(FinancialEntry.entry_date),
            col(FinancialEntry.kind),
            col(FinancialEntry.fund),
            cents(col(FinancialEntry.amount)),
            col(FinancialEntry.note),
        ).where(col(FinancialEntry.project_id).in_(chunk), col(FinancialEntry.archived_at).is_(None))
        parts.append(_read(connection, statement, schema))
    return pl.concat(parts).unique()


def _plan_entries(connection: Connection, scope: Scope, alliance_id: int, cells: pl.DataFrame, language: str) -> _Work:
    report = _Report(cells)
    _members, own = _require_bulk(connection, scope, alliance_id)
    projects = _alliance_projects(connection, alliance_id)
    kinds, funds = _vocabulary_map("entry_kind", EntryKind), _vocabulary_map("fund", Fund)
    parsed = _project_refs(report, cells, projects, own).with_columns(
        _date(pl.col("raw_entry_date")).alias("entry_date"),
        _code(pl.col("raw_kind"), kinds).alias("kind"),
        _number(pl.col("raw_amount")).alias("amount"),
        _code(pl.col("raw_fund"), funds).alias("fund"),
        pl.col("raw_note").fill_null("").alias("note"),
    )
    report.check(
        parsed,
        "entry_date",
        "bad_date",
        pl.col("raw_entry_date").is_not_null() & pl.col("entry_date").is_null(),
        value=pl.col("raw_entry_date"),
    )
    for column, kind, vocabulary in (("kind", "entry_kind", EntryKind), ("fund", "fund", Fund)):
        report.check(
            parsed,
            column,
            "bad_code",
            pl.col(f"raw_{column}").is_not_null() & pl.col(column).is_null(),
            value=pl.col(f"raw_{column}"),
            allowed=pl.lit(_allowed(kind, vocabulary, language)),
        )
    _report_number(report, parsed, "amount")
    report.rules(R.violations(parsed, [R.required("project_id"), *R.entry_rules()], limit=MAX_ISSUES))
    parsed = parsed.with_columns(R.cents("amount").alias("amount_cents"))
    _duplicates(report, parsed, ENTRY_KEY, "project", "duplicate_row")

    stored = _stored_entries(connection, _editable_ids(parsed, own)).with_columns(pl.lit(True).alias("stored"))
    merged = parsed.join(stored, on=ENTRY_KEY, how="left").sort(ROW)
    merged = merged.with_columns(_status(pl.col("stored").is_null(), pl.lit(False)).alias("status_"))
    kind_labels = {member.value: label("entry_kind", member.value, language) for member in EntryKind}
    preview = merged.select(
        pl.col(LINE),
        pl.col("status_").alias("status"),
        pl.concat_str(
            pl.col("raw_project"),
            pl.lit(" · "),
            formats.day_expr(pl.col("entry_date"), language),
            pl.lit(" · "),
            pl.col("kind").replace_strict(kind_labels, default=pl.col("kind"), return_dtype=pl.String),
            pl.lit(" · "),
            formats.money_expr(pl.col("amount_cents"), language),
            ignore_nulls=True,
        ).alias("label"),
        pl.lit("").alias("changes"),
    )
    return _work(BulkKind.ENTRIES, report, preview, merged)


def _write_entries(
    connection: Connection, scope: Scope, alliance_id: int, work: _Work, tick: Callable[[int], None]
) -> None:
    table: Table = FinancialEntry.__table__  # type: ignore[attr-defined]
    now = utcnow()
    for chunk in _frames(work.new):
        values = chunk.select(*ENTRY_COLUMNS).with_columns(_money_decimals(["amount"]))
        rows = values.with_columns(
            pl.lit(1).alias("version"), pl.lit(now).alias("created_at"), pl.lit(now).alias("updated_at")
        ).to_dicts()
        result = connection.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
        ids = [int(row[0]) for row in result]
        new = {name: pl.col(name) for name in ENTRY_COLUMNS} | {
            "entry_date": pl.col("entry_date").cast(pl.String),
            "amount": R.cents_text(pl.col("amount_cents")),
        }
        created = chunk.with_columns(pl.Series("id", ids, dtype=pl.Int64))
        _audit(connection, scope, created, table="financial_entry", alliance_id=alliance_id, at=now, new=new)
        tick(chunk.height)


# --- indicator values -------------------------------------------------------------------------------------------

VALUE_KEY = ["indicator_id", "project_id", "period_end", "dimensions"]


def _stored_values(connection: Connection, project_ids: Sequence[int]) -> pl.DataFrame:
    schema = {
        "value_id": pl.Int64(),
        "version_old": pl.Int64(),
        "indicator_id": pl.Int64(),
        "project_id": pl.Int64(),
        "period_end": pl.Date(),
        "dimensions": pl.String(),
        "value_old": pl.Float64(),
        "is_cumulative_old": pl.Boolean(),
    }
    parts = [pl.DataFrame(schema=schema)]
    for chunk in _chunks(sorted(set(project_ids))):
        statement = select(
            col(Observation.id),
            col(Observation.version),
            col(Observation.indicator_id),
            col(Observation.project_id),
            col(Observation.period_end),
            col(Observation.dimensions),
            col(Observation.value),
            col(Observation.is_cumulative),
        ).where(col(Observation.project_id).in_(chunk))
        parts.append(_read(connection, statement, schema))
    return pl.concat(parts)


def _plan_values(connection: Connection, scope: Scope, alliance_id: int, cells: pl.DataFrame, language: str) -> _Work:
    report = _Report(cells)
    _members, own = _require_bulk(connection, scope, alliance_id)
    projects = _alliance_projects(connection, alliance_id)
    indicators = _read(
        connection, select(col(Indicator.id), col(Indicator.code)), {"indicator_id": pl.Int64(), "code": pl.String()}
    ).with_columns(pl.col("code").str.to_uppercase().alias("code_key"))
    reportable = project_indicators(connection)["id"].to_list()  # not the regional statistics
    parsed = (
        _project_refs(report, cells, projects, own)
        .join(
            indicators.select("code_key", "indicator_id").unique("code_key", keep="first"),
            left_on=pl.col("raw_indicator").str.to_uppercase(),
            right_on="code_key",
            how="left",
        )
        .sort(ROW)
        .with_columns(
            _date(pl.col("raw_period_end")).alias("period_end"),
            _number(pl.col("raw_value")).alias("value_text"),
            R.canonical_dimensions(pl.col("raw_dimensions")).alias("dimensions"),
            _flag(pl.col("raw_cumulative")).alias("cumulative_"),
        )
        .with_columns(pl.col("value_text").cast(pl.Float64, strict=False).alias("value"))
    )
    report.check(
        parsed,
        "indicator",
        "unknown_indicator",
        pl.col("raw_indicator").is_not_null() & pl.col("indicator_id").is_null(),
        value=pl.col("raw_indicator"),
    )
    report.check(
        parsed,
        "period_end",
        "bad_date",
        pl.col("raw_period_end").is_not_null() & pl.col("period_end").is_null(),
        value=pl.col("raw_period_end"),
    )
    _report_number(report, parsed, "value", "value_text")
    report.check(
        parsed,
        "cumulative",
        "bad_flag",
        pl.col("raw_cumulative").is_not_null() & pl.col("cumulative_").is_null(),
        value=pl.col("raw_cumulative"),
    )
    report.rules(
        R.violations(
            parsed.with_columns(pl.col("cumulative_").alias("is_cumulative")),
            [
                R.required("project_id"),
                *R.value_rules(indicators["indicator_id"].to_list(), reportable_ids=reportable),
            ],
            limit=MAX_ISSUES,
        )
    )
    _duplicates(report, parsed, VALUE_KEY, "project", "duplicate_value")

    stored = _stored_values(connection, _editable_ids(parsed, own))
    merged = (
        parsed.join(stored, on=VALUE_KEY, how="left")
        .sort(ROW)
        .with_columns(pl.coalesce("cumulative_", "is_cumulative_old", pl.lit(False)).alias("is_cumulative"))
    )
    value_differs = pl.col("value").ne_missing(pl.col("value_old"))
    cumulative_differs = pl.col("is_cumulative").ne_missing(pl.col("is_cumulative_old"))
    merged = merged.with_columns(
        _status(pl.col("value_id").is_null(), value_differs | cumulative_differs).alias("status_")
    )
    preview = merged.select(
        pl.col(LINE),
        pl.col("status_").alias("status"),
        pl.concat_str(
            pl.col("raw_project"),
            pl.lit(" · "),
            pl.col("raw_indicator"),
            pl.lit(" · "),
            formats.day_expr(pl.col("period_end"), language),
            pl.when(pl.col("dimensions") != "").then(pl.concat_str(pl.lit(" · "), pl.col("dimensions"))),
            ignore_nulls=True,
        ).alias("label"),
        pl.when(pl.col("status_") == Status.CHANGED.value)
        .then(
            _joined(
                [
                    _change(
                        "value",
                        value_differs,
                        _number_text(pl.col("value_old"), language),
                        _number_text(pl.col("value"), language),
                        language,
                    ),
                    _change(
                        "cumulative",
                        cumulative_differs,
                        _flag_text(pl.col("is_cumulative_old"), language),
                        _flag_text(pl.col("is_cumulative"), language),
                        language,
                    ),
                ]
            )
        )
        .otherwise(pl.lit(""))
        .alias("changes"),
    )
    return _work(BulkKind.VALUES, report, preview, merged)


def _write_values(
    connection: Connection, scope: Scope, alliance_id: int, work: _Work, tick: Callable[[int], None]
) -> None:
    table: Table = Observation.__table__  # type: ignore[attr-defined]
    now = utcnow()
    for chunk in _frames(work.new):
        values = chunk.select(*VALUE_COLUMNS)
        rows = values.with_columns(
            pl.lit(BULK_SOURCE).alias("source"),
            pl.lit(1).alias("version"),
            pl.lit(now).alias("created_at"),
            pl.lit(now).alias("updated_at"),
        ).to_dicts()
        result = connection.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
        ids = [int(row[0]) for row in result]
        new = {name: pl.col(name) for name in VALUE_COLUMNS} | {"period_end": pl.col("period_end").cast(pl.String)}
        created = chunk.with_columns(pl.Series("id", ids, dtype=pl.Int64))
        _audit(connection, scope, created, table="observation", alliance_id=alliance_id, at=now, new=new)
        tick(chunk.height)
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
        .values(
            value=bindparam("b_value"),
            is_cumulative=bindparam("b_cumulative"),
            version=table.c.version + 1,
            updated_at=now,
        )
    )
    for chunk in _frames(work.changed):
        params = chunk.select(
            pl.col("value_id").alias("b_id"),
            pl.col("version_old").alias("b_version"),
            pl.col("value").alias("b_value"),
            pl.col("is_cumulative").alias("b_cumulative"),
        ).to_dicts()
        _guarded(connection, statement, params)
        fields = ("value", "is_cumulative")
        _audit(
            connection,
            scope,
            chunk.with_columns(pl.col("value_id").alias("id")),
            table="observation",
            alliance_id=alliance_id,
            at=now,
            old={name: pl.col(f"{name}_old") for name in fields},
            new={name: pl.col(name) for name in fields},
            include={name: pl.col(name).ne_missing(pl.col(f"{name}_old")) for name in fields},
        )
        tick(chunk.height)


# --- plan and apply ---------------------------------------------------------------------------------------------

PLANNERS: dict[BulkKind, Callable[[Connection, Scope, int, pl.DataFrame, str], _Work]] = {
    BulkKind.PROJECTS: _plan_projects,
    BulkKind.ENTRIES: _plan_entries,
    BulkKind.VALUES: _plan_values,
}
WRITERS: dict[BulkKind, Callable[[Connection, Scope, int, _Work, Callable[[int], None]], None]] = {
    BulkKind.PROJECTS: _write_projects,
    BulkKind.ENTRIES: _write_entries,
    BulkKind.VALUES: _write_values,
}


def _plan(
    connection: Connection, scope: Scope, alliance_id: int, kind: BulkKind, rows: pl.DataFrame, *, language: str
) -> _Work:
    _require_bulk(connection, scope, alliance_id)
    cells, problems = _cells(kind, rows)
    if problems:
        empty = pl.DataFrame(schema=PREVIEW_SCHEMA)
        plan = BulkPlan(kind, problems, empty, _counts(empty), issue_count=len(problems))
        return _Work(plan, pl.DataFrame(), pl.DataFrame())
    return PLANNERS[kind](connection, scope, alliance_id, cells, language)


def plan_bulk(
    engine: Engine, scope: Scope, alliance_id: int, kind: BulkKind, rows: pl.DataFrame, *, language: str = "de"
) -> BulkPlan:
    """What ``apply_bulk`` would do with these rows, and every problem that stops it; writes nothing."""
    with engine.connect() as connection:
        return _plan(connection, scope, alliance_id, kind, rows, language=language).plan


def apply_bulk(
    engine: Engine,
    scope: Scope,
    alliance_id: int,
    kind: BulkKind,
    rows: pl.DataFrame,
    *,
    progress: Progress | None = None,
    language: str = "de",
) -> dict[str, int]:
    """Import the rows in ONE transaction: re-planned inside it, so any problem raises BulkRejected and writes
    nothing; returns the counts (new, changed, unchanged)."""

    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(fraction, message)

    with engine.connect() as connection:
        _require_bulk(connection, scope, alliance_id)  # before taking any lock
    report(0.0, t("bulk.progress.prepare", language))
    try:
        work = _apply(engine, scope, alliance_id, kind, rows, report=report, language=language)
    except IntegrityError:
        # A form saved a clashing record (e.g. the same title) after the plan read the data: nothing was written.
        raise BulkRejected([BulkIssue(None, None, "issue.conflict")]) from None
    report(1.0, t("bulk.progress.done", language))
    return dict(work.plan.counts)


def _apply(
    engine: Engine,
    scope: Scope,
    alliance_id: int,
    kind: BulkKind,
    rows: pl.DataFrame,
    *,
    report: Progress,
    language: str,
) -> _Work:
    """Plan and write in one transaction (BulkRejected, nothing written, on any problem)."""
    with engine.begin() as connection:
        # Take the write lock first (SQLite: the database; PostgreSQL: the alliance row, so two imports into one
        # alliance queue up), so the plan below reads exactly what the writes then change. Nothing is modified.
        connection.execute(
            text("UPDATE alliance SET version = version WHERE id = :alliance"), {"alliance": alliance_id}
        )
        work = _plan(connection, scope, alliance_id, kind, rows, language=language)
        if work.plan.has_errors:
            raise BulkRejected(work.plan.issues)
        total = max(1, work.new.height + work.changed.height)
        done = 0

        def tick(rows_written: int) -> None:
            nonlocal done
            done += rows_written
            report(
                done / total,
                t(
                    "bulk.progress.write",
                    language,
                    done=formats.number(done, language),
                    total=formats.number(total, language),
                ),
            )

        WRITERS[kind](connection, scope, alliance_id, work, tick)
    return work

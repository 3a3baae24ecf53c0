"""Validation rules shared by the forms and the bulk imports: Polars expressions over a frame of typed inputs.

A form runs them on a one-row frame, a bulk import on every row of the file at once, so both give the same
verdict and the same German message (key under ``writes.``). Each rule is a boolean expression that is true
where a row breaks it, with expressions for the message's parameters. Money arrives as canonical decimal text
("-1234.5", what ``format(Decimal, "f")`` gives and what the bulk parser makes of "1.234,50"): the text keeps
the decimals a float would lose, so "at most two decimals" is judged exactly, and comparisons use integer cents.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

import polars as pl

from dashboard.data_access.money import cents_to_decimal
from dashboard.data_access.vocabulary import EntryKind, Fund, ProjectStatus, TargetScope
from dashboard.data_access.writes import FieldError

TITLE_MAX = 300
DIMENSIONS_MAX = 300
MONEY_DIGITS = 12  # NUMERIC(14, 2) holds amounts below 10^12
KREIS_AGS = r"^\d{5}$"
DECIMAL_TEXT = r"^-?\d+(\.\d+)?$"
DIMENSIONS_TEXT = r"^[^=;]+=[^=;]+(;[^=;]+=[^=;]+)*$"
ROW = "_row"  # the frame's row number, added before any join so violations point at the input row
TAKEN = "_taken_by"  # id of another project that has the row's title

# The typed frames the rules read (forms build one row, bulk imports one per file line).
PROJECT_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(),  # null for a new project
    "title": pl.String(),
    "description": pl.String(),
    "lead_member_id": pl.Int64(),
    "status": pl.String(),
    "fund": pl.String(),
    "start_date": pl.Date(),
    "end_date": pl.Date(),
    "total_cost": pl.String(),  # canonical decimal text
    "requested_grant": pl.String(),
    "approved_grant": pl.String(),
    "partner_ids": pl.List(pl.Int64()),
    "topic_ids": pl.List(pl.Int64()),
    "region_ags": pl.List(pl.String()),
}
ENTRY_SCHEMA: dict[str, pl.DataType] = {
    "project_id": pl.Int64(),
    "entry_date": pl.Date(),
    "kind": pl.String(),
    "amount": pl.String(),
    "fund": pl.String(),
    "note": pl.String(),
}
VALUE_SCHEMA: dict[str, pl.DataType] = {
    "project_id": pl.Int64(),
    "indicator_id": pl.Int64(),
    "period_end": pl.Date(),
    "value": pl.Float64(),
    "dimensions": pl.String(),
    "is_cumulative": pl.Boolean(),
}
TARGET_SCHEMA: dict[str, pl.DataType] = {
    "indicator_id": pl.Int64(),
    "scope": pl.String(),
    "topic_id": pl.Int64(),
    "project_id": pl.Int64(),
    "description": pl.String(),
    "baseline_value": pl.Float64(),
    "baseline_date": pl.Date(),
    "target_value": pl.Float64(),
    "due_date": pl.Date(),
}
BUDGET_SCHEMA: dict[str, pl.DataType] = {"fund": pl.String(), "year": pl.Int64(), "amount": pl.String()}


@dataclass(frozen=True)
class Rule:
    """One rule: ``broken`` is true where a row breaks it (null counts as fine)."""

    field: str  # the input field (form) or canonical column (bulk) the message belongs to
    key: str  # message key under ``writes.``
    broken: pl.Expr
    params: Mapping[str, pl.Expr] = dataclasses.field(default_factory=dict)
    money: frozenset[str] = frozenset()  # params holding integer cents, handed on as Decimal (shown as money)


@dataclass(frozen=True)
class Violation:
    row: int  # 0-based row of the checked frame
    field: str
    key: str
    params: dict[str, Any]


def one_row(values: Mapping[str, Any], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """A form's input as the one-row frame the rules read."""
    return pl.DataFrame([{name: values.get(name) for name in schema}], schema=dict(schema))


def numbered(frame: pl.DataFrame) -> pl.DataFrame:
    return frame if ROW in frame.columns else frame.with_row_index(ROW)


def violations(frame: pl.DataFrame, rules: Iterable[Rule], *, limit: int = 1000) -> list[Violation]:
    """Every broken rule per row (at most ``limit`` rows per rule), ordered by row and then by rule."""
    checked = numbered(frame)
    found: list[Violation] = []
    for rule in rules:
        hits = (
            checked.filter(rule.broken.fill_null(False))
            .head(limit)
            .select(pl.col(ROW), *(expr.alias(name) for name, expr in rule.params.items()))
        )
        # Only the broken rows are visited, to turn them into messages.
        for row in hits.iter_rows(named=True):
            index = int(row.pop(ROW))
            params = {name: cents_to_decimal(value) if name in rule.money else value for name, value in row.items()}
            found.append(Violation(index, rule.field, rule.key, params))
    return sorted(found, key=lambda violation: violation.row)


def field_errors(found: Iterable[Violation]) -> list[FieldError]:
    return [FieldError(violation.field, violation.key, violation.params) for violation in found]


# --- building blocks --------------------------------------------------------------------------------------------


def among(values: Iterable[Any], dtype: pl.DataType) -> pl.Series:
    """A literal collection for ``is_in`` (typed, so an empty one works too)."""
    return pl.Series(list(values), dtype=dtype).implode()


def codes(vocabulary: type[StrEnum]) -> pl.Series:
    return among((member.value for member in vocabulary), pl.String())


def required(name: str) -> Rule:
    """The field must have a value (text inputs arrive stripped, blank as null)."""
    return Rule(name, "required", pl.col(name).is_null())


def unknown_code(name: str, vocabulary: type[StrEnum]) -> Rule:
    column = pl.col(name)
    return Rule(name, f"{name}_unknown", column.is_not_null() & ~column.is_in(codes(vocabulary)), {"value": column})


def money_text(amount: Decimal | None) -> str | None:
    """A Decimal as the canonical text the rules read ("1234.50"); None stays None."""
    if amount is None:
        return None
    return format(amount, "f")


def _money_parts(name: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(well formed, significant integer digits, significant decimals) of a canonical money text."""
    text = pl.col(name)
    digits = text.str.strip_prefix("-")
    whole = digits.str.extract(r"^0*(\d*)", 1)
    fraction = digits.str.extract(r"\.(\d*?)0*$", 1).fill_null("")
    return text.str.contains(DECIMAL_TEXT), whole, fraction


def cents(name: str) -> pl.Expr:
    """Integer cents of a money text, null unless it is well formed, exact to the cent and below 10^12."""
    well_formed, whole, fraction = _money_parts(name)
    valid = well_formed & (fraction.str.len_chars() <= 2) & (whole.str.len_chars() <= MONEY_DIGITS)
    amount = whole.replace("", "0").cast(pl.Int64, strict=False) * 100 + fraction.str.pad_end(2, "0").str.slice(
        0, 2
    ).cast(pl.Int64, strict=False)
    signed = pl.when(pl.col(name).str.starts_with("-")).then(-amount).otherwise(amount)
    return pl.when(valid).then(signed).otherwise(None)


def cents_text(amount_cents: pl.Expr) -> pl.Expr:
    """Integer cents as canonical money text ("1234.50"), the form audit entries and rules share."""
    absolute = amount_cents.abs()
    return pl.concat_str(
        pl.when(amount_cents < 0).then(pl.lit("-")).otherwise(pl.lit("")),
        (absolute // 100).cast(pl.String),
        pl.lit("."),
        (absolute % 100).cast(pl.String).str.zfill(2),
    )


def money_rules(name: str, *, required_value: bool = False, negative: bool = False) -> list[Rule]:
    """Well formed, at most two decimals, below 10^12 and (unless ``negative``) not below zero."""
    well_formed, whole, fraction = _money_parts(name)
    present = pl.col(name).is_not_null()
    rules = [required(name)] if required_value else []
    rules += [
        Rule(name, "amount_invalid", present & ~well_formed, {"value": pl.col(name)}),
        Rule(name, "amount_decimals", well_formed & (fraction.str.len_chars() > 2)),
        Rule(name, "amount_too_large", well_formed & (whole.str.len_chars() > MONEY_DIGITS)),
    ]
    if not negative:
        rules.append(Rule(name, "amount_negative", cents(name) < 0))
    return rules


def _outside(name: str, allowed: pl.Series) -> pl.Expr:
    """The items of a list column that are not in ``allowed``."""
    return pl.col(name).list.filter(~pl.element().is_in(allowed))


def _finite(name: str) -> Rule:
    return Rule(name, "number_not_finite", pl.col(name).is_infinite() | pl.col(name).is_nan())


# --- projects ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectContext:
    """What the project rules compare against: the alliance's partners, topics, titles and the known Kreise."""

    member_ids: Sequence[int]
    topic_ids: Sequence[int]
    known_ags: Sequence[str]  # Kreise (of the region table) among those the input names
    titles: pl.DataFrame  # title, id: every project of the alliance, archived ones too (the title stays taken)
    own_member_ids: Sequence[int] | None = None  # a member's organisations: the lead must be one of them


def project_rules(context: ProjectContext) -> list[Rule]:
    members = among(context.member_ids, pl.Int64())
    # No total cost counts as 0; a malformed one has its own message and is not compared.
    total = pl.when(pl.col("total_cost").is_null()).then(pl.lit(0, dtype=pl.Int64)).otherwise(cents("total_cost"))
    bad_ags = pl.col("region_ags").list.filter(~pl.element().str.contains(KREIS_AGS))
    unknown_ags = pl.col("region_ags").list.filter(
        pl.element().str.contains(KREIS_AGS) & ~pl.element().is_in(among(context.known_ags, pl.String()))
    )
    rules = [
        required("title"),
        Rule(
            "title",
            "title_too_long",
            pl.col("title").str.len_chars() > TITLE_MAX,
            {"length": pl.col("title").str.len_chars(), "limit": pl.lit(TITLE_MAX)},
        ),
        Rule(
            "title",
            "title_taken",
            pl.col(TAKEN).is_not_null() & pl.col(TAKEN).ne_missing(pl.col("id")),
            {"title": pl.col("title")},
        ),
        required("lead_member_id"),
        Rule(
            "lead_member_id",
            "lead_foreign",
            pl.col("lead_member_id").is_not_null() & ~pl.col("lead_member_id").is_in(members),
        ),
        required("status"),
        unknown_code("status", ProjectStatus),
        required("fund"),
        unknown_code("fund", Fund),
        Rule(
            "end_date", "end_before_start", pl.col("end_date") < pl.col("start_date"), {"start": pl.col("start_date")}
        ),
        *money_rules("total_cost"),
        *money_rules("requested_grant"),
        *money_rules("approved_grant"),
        Rule(
            "requested_grant",
            "requested_exceeds_cost",
            cents("requested_grant") > total,
            {"grant": cents("requested_grant"), "cost": total},
            frozenset({"grant", "cost"}),
        ),
        Rule(
            "approved_grant",
            "approved_exceeds_cost",
            cents("approved_grant") > total,
            {"grant": cents("approved_grant"), "cost": total},
            frozenset({"grant", "cost"}),
        ),
        Rule("partner_ids", "partner_foreign", _outside("partner_ids", members).list.len() > 0),
        Rule("partner_ids", "partner_is_lead", pl.col("partner_ids").list.contains(pl.col("lead_member_id"))),
        Rule(
            "topic_ids",
            "topic_foreign",
            _outside("topic_ids", among(context.topic_ids, pl.Int64())).list.len() > 0,
        ),
        Rule("region_ags", "ags_format", bad_ags.list.len() > 0, {"ags": bad_ags.list.join(", ")}),
        Rule("region_ags", "ags_unknown", unknown_ags.list.len() > 0, {"ags": unknown_ags.list.join(", ")}),
    ]
    if context.own_member_ids is not None:
        own = among(context.own_member_ids, pl.Int64())
        rules.append(
            Rule(
                "lead_member_id",
                "lead_not_own",
                pl.col("lead_member_id").is_in(members) & ~pl.col("lead_member_id").is_in(own),
            )
        )
    return rules


def check_projects(frame: pl.DataFrame, context: ProjectContext, *, limit: int = 1000) -> list[Violation]:
    """The project rules over a PROJECT_SCHEMA frame (plus any extra columns)."""
    titles = context.titles.select(pl.col("title"), pl.col("id").alias(TAKEN))
    prepared = numbered(frame).join(titles, on="title", how="left")
    return violations(prepared, project_rules(context), limit=limit)


# --- financial entries -----------------------------------------------------------------------------------------


def entry_rules() -> list[Rule]:
    """A commitment may be negative (a revocation frees approved money, as the funding bank books it); a
    disbursement is always positive and no entry is zero."""
    amount = cents("amount")
    return [
        required("entry_date"),
        required("kind"),
        unknown_code("kind", EntryKind),
        *money_rules("amount", required_value=True, negative=True),
        Rule("amount", "amount_zero", amount == 0),
        Rule("amount", "disbursement_negative", (pl.col("kind") == EntryKind.DISBURSEMENT.value) & (amount < 0)),
        required("fund"),
        unknown_code("fund", Fund),
    ]


# --- indicator values ------------------------------------------------------------------------------------------


def value_rules(indicator_ids: Sequence[int], *, reportable_ids: Sequence[int] | None = None) -> list[Rule]:
    """``indicator_ids``: the indicators that exist (among those the input names); ``reportable_ids``: those
    projects report (ESF+ and own indicators, not regional statistics), None when every known one is."""
    indicator = pl.col("indicator_id")
    known = indicator.is_in(among(indicator_ids, pl.Int64()))
    dimensions = pl.col("dimensions").fill_null("")
    rules = [
        required("indicator_id"),
        Rule("indicator_id", "indicator_unknown", indicator.is_not_null() & ~known),
    ]
    if reportable_ids is not None:
        reportable = indicator.is_in(among(reportable_ids, pl.Int64()))
        rules.append(Rule("indicator_id", "indicator_not_project", known & ~reportable))
    return [
        *rules,
        required("period_end"),
        required("value"),
        _finite("value"),
        Rule("dimensions", "dimensions_format", (dimensions != "") & ~dimensions.str.contains(DIMENSIONS_TEXT)),
        Rule(
            "dimensions",
            "dimensions_too_long",
            dimensions.str.len_chars() > DIMENSIONS_MAX,
            {"limit": pl.lit(DIMENSIONS_MAX)},
        ),
    ]


def canonical_dimensions(dimensions: pl.Expr) -> pl.Expr:
    """ "sex = w; age=u25" → "age=u25;sex=w": parts trimmed and sorted, so one breakdown has one spelling."""
    part = pl.element().str.replace_all(r"\s*=\s*", "=").str.strip_chars()
    return (
        dimensions.fill_null("")
        .str.split(";")
        .list.eval(part)
        .list.filter(pl.element() != "")
        .list.sort()
        .list.join(";")
    )


# --- targets and budgets ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetContext:
    indicator_ids: Sequence[int]
    topic_ids: Sequence[int]  # of the alliance
    project_ids: Sequence[int]  # of the alliance, not archived


def target_rules(context: TargetContext) -> list[Rule]:
    scope = pl.col("scope")
    topic, project = pl.col("topic_id"), pl.col("project_id")
    return [
        required("indicator_id"),
        Rule(
            "indicator_id",
            "indicator_unknown",
            pl.col("indicator_id").is_not_null()
            & ~pl.col("indicator_id").is_in(among(context.indicator_ids, pl.Int64())),
        ),
        required("scope"),
        unknown_code("scope", TargetScope),
        Rule("topic_id", "topic_required", (scope == TargetScope.TOPIC.value) & topic.is_null()),
        Rule(
            "topic_id",
            "topic_foreign",
            (scope == TargetScope.TOPIC.value)
            & topic.is_not_null()
            & ~topic.is_in(among(context.topic_ids, pl.Int64())),
        ),
        Rule("project_id", "project_required", (scope == TargetScope.PROJECT.value) & project.is_null()),
        Rule(
            "project_id",
            "project_foreign",
            (scope == TargetScope.PROJECT.value)
            & project.is_not_null()
            & ~project.is_in(among(context.project_ids, pl.Int64())),
        ),
        required("baseline_value"),
        _finite("baseline_value"),
        required("baseline_date"),
        required("target_value"),
        _finite("target_value"),
        Rule("target_value", "target_equals_baseline", pl.col("target_value") == pl.col("baseline_value")),
        required("due_date"),
        Rule(
            "due_date",
            "due_not_after_baseline",
            pl.col("due_date") <= pl.col("baseline_date"),
            {"baseline": pl.col("baseline_date")},
        ),
    ]


def budget_rules(first_year: int, last_year: int) -> list[Rule]:
    year = pl.col("year")
    return [
        required("fund"),
        unknown_code("fund", Fund),
        required("year"),
        Rule(
            "year",
            "year_outside_period",
            (year < first_year) | (year > last_year),
            {"year": year.cast(pl.String), "first": pl.lit(str(first_year)), "last": pl.lit(str(last_year))},
        ),
        *money_rules("amount", required_value=True),
    ]

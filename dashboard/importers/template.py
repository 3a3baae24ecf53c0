"""Our long-format template: one value per line, ``region;indicator;period;value;unit;source``.

Columns (header names case-insensitive, German aliases accepted, any order):
- ``region`` (required): AGS (2, 3, 5 or 8+ digits) or ``DG`` for Germany;
- ``indicator`` (required): the indicator code (letters, digits, ``_``, ``-``, ``.``; at most 120 characters);
- ``period`` (required): ``2024``, ``2024-Q2``, ``2024-06`` (spans) or ``31.12.2024`` / ``2024-12-31`` (Stichtag);
- ``value`` (required): number with decimal comma or point (no thousands separators: unlike the official
  exports, ``1.234`` here is one point two three four), empty, or a missing marker ``-`` ``.`` ``x`` ``/`` ``...``;
- ``unit``, ``source`` (default "Eigene Daten"), ``name`` (defaults to the code), ``region_name``,
  ``dimensions`` (canonical ``key=value;key=value``, empty = total; spaces around ``;`` and ``=`` are dropped,
  spaces inside a value kept) are optional.
The separator is ``;``, or ``,`` when the header line uses commas.
"""

from __future__ import annotations

import polars as pl

from dashboard.importers.model import ImportFormat, ImportIssue, ParsedImport
from dashboard.importers.values import (
    MAX_ISSUES,
    REGION_KEY_PATTERN,
    IssueList,
    column_label,
    data_records,
    direction_expr,
    duplicate_issues,
    fail,
    finish_observations,
    period_exprs,
    regions_frame,
    tokenise,
    value_exprs,
)

DEFAULT_SOURCE = "Eigene Daten"
REQUIRED = ("region", "indicator", "period", "value")
ALIASES = {
    "region": "region",
    "ags": "region",
    "regionalschlüssel": "region",
    "indicator": "indicator",
    "indikator": "indicator",
    "period": "period",
    "zeitraum": "period",
    "stichtag": "period",
    "value": "value",
    "wert": "value",
    "unit": "unit",
    "einheit": "unit",
    "source": "source",
    "quelle": "source",
    "name": "name",
    "dimensions": "dimensions",
    "dimensionen": "dimensions",
    "region_name": "region_name",
}
CODE_PATTERN = r"^[A-Za-z0-9_.\-]{1,120}$"
DIMENSIONS_PATTERN = r"^(?:[a-z0-9_]+=[^;=]+(?:;[a-z0-9_]+=[^;=]+)*)?$"


def _header_names(line: str) -> list[str]:
    delimiter = ";" if ";" in line else ","
    return [ALIASES.get(cell.strip().strip('"').lower(), cell.strip()) for cell in line.split(delimiter)]


def is_template_header(line: str) -> bool:
    """Whether a first line is the template's header (all required columns present)."""
    return set(REQUIRED) <= set(_header_names(line.lstrip("\ufeff")))


def parse_template(text: str, filename: str) -> ParsedImport:
    """Parse a template CSV (already decoded) into a ParsedImport, or raise FileFormatError."""
    first_line = text.split("\n", 1)[0]
    records = tokenise(text, ";" if ";" in first_line else ",")
    if not records:
        raise fail("issue.empty_file")
    names = _header_names(";".join(records[0].fields))
    issues = IssueList()
    for index, name in enumerate(names):
        if name not in ALIASES.values():
            issues.add("issue.unknown_column", line=records[0].line, column=column_label(index + 1, name))
    missing = [name for name in REQUIRED if name not in names]
    for name in missing:
        issues.add("issue.missing_column", line=records[0].line, name=name)
    issues.raise_if_any()

    width = len(names)
    rows = data_records(records[1:], width, issues)
    if not rows and not issues:
        raise fail("issue.no_data", line=2)
    frame = pl.DataFrame(
        {"line": [r.line for r in rows], **{name: [r.fields[i].strip() for r in rows] for i, name in enumerate(names)}},
        schema={"line": pl.Int64, **dict.fromkeys(names, pl.String)},
    )
    for optional in ("unit", "source", "name", "dimensions", "region_name"):
        if optional not in frame.columns:
            frame = frame.with_columns(pl.lit("").alias(optional))
    label = {name: column_label(names.index(name) + 1, name) for name in names}
    start, end = period_exprs(pl.col("period"))
    value, marker, is_bad = value_exprs(pl.col("value"), decimal_point=True)
    frame = frame.with_columns(
        start.alias("period_start"),
        end.alias("period_end"),
        value.alias("parsed_value"),
        marker.alias("missing_marker"),
        pl.col("region").alias("region_ags"),
        pl.col("indicator").alias("indicator_code"),
        pl.when(pl.col("source") == "").then(pl.lit(DEFAULT_SOURCE)).otherwise(pl.col("source")).alias("source"),
        pl.col("dimensions")
        .str.replace_all(r"\s*([;=])\s*", "${1}")
        .str.split(";")
        .list.sort()
        .list.join(";")
        .alias("canonical_dimensions"),
    )
    checks = [
        ("issue.unknown_region", "region", ~pl.col("region").str.contains(REGION_KEY_PATTERN)),
        ("issue.bad_indicator_code", "indicator", ~pl.col("indicator").str.contains(CODE_PATTERN)),
        ("issue.bad_period", "period", pl.col("period_end").is_null()),
        ("issue.not_a_number", "value", is_bad),
        ("issue.bad_dimensions", "dimensions", ~pl.col("canonical_dimensions").str.contains(DIMENSIONS_PATTERN)),
    ]
    for key, column, failing in checks:
        bad = frame.filter(failing)
        for row in bad.head(MAX_ISSUES + 1).iter_rows(named=True):
            issues.add(key, line=row["line"], column=label.get(column, column), text=row[column])
        issues.unlisted += max(bad.height - MAX_ISSUES - 1, 0)
    frame = frame.with_columns(
        pl.col("canonical_dimensions").alias("dimensions"),
        pl.col("parsed_value").alias("value"),
        pl.lit(False).alias("is_cumulative"),
    )
    if not issues:
        _unit_conflicts(frame, issues, label.get("unit", "unit"))
        duplicate_issues(frame, issues)
    issues.raise_if_any()

    sources = frame.get_column("source").unique(maintain_order=True)
    source = sources[0] if sources.len() == 1 else "; ".join(sources.head(3).to_list())
    indicators = (
        frame.group_by("indicator_code", maintain_order=True)
        .agg(
            pl.col("name").filter(pl.col("name") != "").first().alias("name"),
            pl.col("unit").first(),
            pl.col("source").first(),
        )
        .select(
            pl.col("indicator_code").alias("code"),
            pl.coalesce("name", "indicator_code").alias("name"),
            pl.col("unit"),
            direction_expr(pl.coalesce("name", "indicator_code")).alias("direction"),
            pl.col("source"),
            pl.lit("").alias("description"),
        )
    )
    regions = regions_frame(
        frame.select(
            pl.col("region_ags").alias("ags"),
            pl.when(pl.col("region_name") == "").then(None).otherwise(pl.col("region_name")).alias("raw_name"),
        )
    )
    observations = finish_observations(frame)
    missing_count = observations.select(pl.col("value").is_null().sum()).item()
    notes = (ImportIssue("note.missing_values", params={"count": missing_count}),) if missing_count else ()
    return ParsedImport(
        format=ImportFormat.TEMPLATE,
        title=filename,
        table_code=None,
        source=source,
        indicators=indicators,
        regions=regions,
        observations=observations,
        skipped_lines=len(text.splitlines()) - len(rows),
        notes=notes,
    )


def _unit_conflicts(frame: pl.DataFrame, issues: IssueList, unit_label: str) -> None:
    """An indicator must have one unit in the whole file."""
    first_unit = frame.group_by("indicator_code").agg(pl.col("unit").first().alias("first_unit"))
    conflicts = frame.join(first_unit, on="indicator_code").filter(pl.col("unit") != pl.col("first_unit")).sort("line")
    for row in conflicts.head(MAX_ISSUES).iter_rows(named=True):
        issues.add(
            "issue.unit_conflict",
            line=row["line"],
            column=unit_label,
            indicator=row["indicator_code"],
            unit=row["unit"],
            first_unit=row["first_unit"],
        )

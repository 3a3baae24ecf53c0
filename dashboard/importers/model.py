"""What every importer returns: indicators, regions and observations as frames, or the problems that stop it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import polars as pl

from dashboard.i18n import formats, t


class ImportFormat(StrEnum):
    GENESIS_TABLE = "genesis"  # Regionalstatistik/GENESIS "Tabelle als CSV"
    GENESIS_FLAT = "ffcsv"  # GENESIS flat-file CSV
    TEMPLATE = "template"  # our long-format template: region;indicator;period;value;unit;source


# Column schemas of ParsedImport's frames; importers and the write service both rely on them.
INDICATOR_SCHEMA: dict[str, pl.DataType] = {
    "code": pl.String(),
    "name": pl.String(),
    "unit": pl.String(),
    "direction": pl.String(),  # vocabulary.Direction; only used when the indicator is new
    "source": pl.String(),
    "description": pl.String(),
}
REGION_SCHEMA: dict[str, pl.DataType] = {
    "ags": pl.String(),  # "DG", 2-digit Land, 3-digit Regierungsbezirk, 5-digit Kreis, 8-digit Gemeinde …
    "name": pl.String(),
    "level": pl.String(),  # vocabulary.RegionLevel
    "kind": pl.String(),  # e.g. "Landkreis", "Kreisfreie Stadt"; may be null
    "land": pl.String(),  # name of the Land; null for DG
}
OBSERVATION_SCHEMA: dict[str, pl.DataType] = {
    "indicator_code": pl.String(),
    "region_ags": pl.String(),
    "period_start": pl.Date(),  # null for a Stichtag value
    "period_end": pl.Date(),
    "dimensions": pl.String(),  # canonical "key=value;key=value", keys sorted; "" = total
    "value": pl.Float64(),  # null when missing
    "missing_marker": pl.String(),  # "-", ".", "x", "/", "..." when missing; else null
    "is_cumulative": pl.Boolean(),
    "source": pl.String(),
    "line": pl.Int64(),  # physical line of the file the value came from (1-based), for messages
}


@dataclass(frozen=True)
class ImportIssue:
    """A problem (or note) about a file, located by line and column as the user sees them in an editor."""

    key: str  # i18n message key under "importer.", e.g. "issue.not_a_number" or "note.footnotes_skipped"
    line: int | None = None
    column: str | None = None  # the column's number and header as the user knows it, e.g. "5 (Arbeitslose)"
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, language: str = "de") -> str:
        message = t(f"importer.{self.key}", language, **localised_params(self.params, language))
        if self.line is not None and self.column is not None:
            return t("importer.at_line_column", language, line=self.line, column=self.column, message=message)
        if self.line is not None:
            return t("importer.at_line", language, line=self.line, message=message)
        return message


def localised_params(params: dict[str, Any], language: str) -> dict[str, Any]:
    """Message parameters with counts in the language's number format ("8.702"); line numbers stay plain."""
    return {
        name: formats.number(value, language)
        if isinstance(value, int) and not isinstance(value, bool) and not name.endswith("line")
        else value
        for name, value in params.items()
    }


class FileFormatError(Exception):
    """The file cannot be imported; ``issues`` lists every problem found (capped), nothing was written."""

    def __init__(self, issues: list[ImportIssue]) -> None:
        super().__init__("; ".join(issue.text() for issue in issues))
        self.issues = issues


@dataclass(frozen=True)
class ParsedImport:
    """A file read completely and validated; the write service upserts it in one transaction."""

    format: ImportFormat
    title: str  # the table's title (or the file name for the template)
    table_code: str | None  # e.g. "13211-02-05-4"
    source: str  # attribution stored on every observation
    indicators: pl.DataFrame  # INDICATOR_SCHEMA, one row per indicator code
    regions: pl.DataFrame  # REGION_SCHEMA, one row per region key in the file
    observations: pl.DataFrame  # OBSERVATION_SCHEMA, unique by (indicator_code, region_ags, period_end, dimensions)
    skipped_lines: int = 0  # title block, header rows, footnotes
    notes: tuple[ImportIssue, ...] = ()  # things worth showing in the preview ("note.*" keys), not errors

"""The audit trail as a table to take away: local times, readable labels, old and new values as JSON text."""

from __future__ import annotations

import polars as pl

from dashboard.data_access.audit_trail import GERMANY, AuditFilter
from dashboard.exporters.tables import csv_bytes, xlsx_bytes
from dashboard.i18n import formats, label, t

TIME_PATTERNS = {"de": "%d.%m.%Y %H:%M", "en": "%d/%m/%Y %H:%M"}
LABELLED = (("role", "audit.role"), ("action", "audit.action"), ("table_name", "audit.table"))


def local_time(column: str = "at") -> pl.Expr:
    """A UTC timestamp column in German local time (CET/CEST)."""
    return pl.col(column).dt.convert_time_zone(GERMANY.key)


def local_time_text(column: str = "at", language: str = "de") -> pl.Expr:
    """31.12.2025 14:03 (de) / 31/12/2025 14:03 (en), in German local time."""
    return local_time(column).dt.to_string(TIME_PATTERNS.get(language, TIME_PATTERNS["de"]))


def labelled(entries: pl.DataFrame, language: str) -> pl.DataFrame:
    """Role, action and table codes replaced by their labels (unknown codes stay as they are)."""
    replacements = []
    for column, kind in LABELLED:
        codes = entries[column].unique().to_list()
        labels = [label(kind, code, language) for code in codes]
        replacements.append(pl.col(column).replace_strict(codes, labels, default=pl.col(column)))
    return entries.with_columns(replacements)


def audit_table(entries: pl.DataFrame, language: str) -> pl.DataFrame:
    """One row per entry with the export columns (headers in the UI language)."""
    return labelled(entries, language).select(
        local_time_text("at", language).alias(t("audit.col.at", language)),
        pl.col("user_name").alias(t("audit.col.user", language)),
        pl.col("role").alias(t("audit.col.role", language)),
        pl.col("action").alias(t("audit.col.action", language)),
        pl.col("table_name").alias(t("audit.col.table", language)),
        pl.col("record_id").alias(t("audit.col.record", language)),
        pl.col("changes").alias(t("audit.col.changes", language)),
        pl.col("old_values").alias(t("audit.col.old", language)),
        pl.col("new_values").alias(t("audit.col.new", language)),
    )


def filter_description(flt: AuditFilter, language: str) -> list[str]:
    """The active filters in words, e.g. "Tabelle: Projekt", for the export's notes."""
    parts = []
    if flt.user:
        parts.append(f"{t('audit.filter.user', language)}: {flt.user}")
    if flt.table:
        parts.append(f"{t('audit.filter.table', language)}: {label('audit.table', flt.table, language)}")
    if flt.action:
        parts.append(f"{t('audit.filter.action', language)}: {label('audit.action', flt.action, language)}")
    if flt.since:
        parts.append(f"{t('audit.filter.from', language)}: {formats.day(flt.since, language)}")
    if flt.until:
        parts.append(f"{t('audit.filter.to', language)}: {formats.day(flt.until, language)}")
    return parts


def audit_csv(entries: pl.DataFrame, language: str) -> bytes:
    return csv_bytes(audit_table(entries, language))


def audit_xlsx(entries: pl.DataFrame, language: str, *, title: str, notes: tuple[str, ...]) -> bytes:
    return xlsx_bytes(audit_table(entries, language), t("audit.export.sheet", language), title=title, notes=notes)

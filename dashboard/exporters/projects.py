"""The project list as a table to take away: readable German (or English) headers and labels."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from dashboard.data_access.project_filter import ProjectFilter
from dashboard.data_access.vocabulary import Fund, ProjectStatus
from dashboard.exporters.tables import csv_bytes, euros, xlsx_bytes
from dashboard.i18n import formats, label, t


def _labels(column: str, kind: str, codes: list[str], language: str) -> pl.Expr:
    return pl.col(column).replace_strict(codes, [label(kind, code, language) for code in codes], default=pl.col(column))


def project_table(projects: pl.DataFrame, language: str) -> pl.DataFrame:
    """One row per project with the export columns: typed money (Decimal €), dates and a progress share."""
    approved = pl.col("approved_cents")
    return projects.select(
        pl.col("title").alias(t("col.title", language)),
        _labels("status", "status", [s.value for s in ProjectStatus], language).alias(t("col.status", language)),
        pl.col("lead_name").alias(t("col.lead", language)),
        pl.col("partner_names").list.join(", ").alias(t("col.partners", language)),
        pl.col("topic_names").list.join(", ").alias(t("col.topics", language)),
        pl.col("region_names").list.join(", ").alias(t("col.regions", language)),
        _labels("fund", "fund", [f.value for f in Fund], language).alias(t("col.fund", language)),
        pl.col("start_date").alias(t("col.start", language)),
        pl.col("end_date").alias(t("col.end", language)),
        euros("total_cost_cents").alias(t("col.total_cost", language)),
        euros("requested_cents").alias(t("col.requested", language)),
        euros("approved_cents").alias(t("col.approved", language)),
        euros("committed_cents").alias(t("col.committed", language)),
        euros("disbursed_cents").alias(t("col.disbursed", language)),
        pl.when(approved > 0)
        .then(pl.col("disbursed_cents") / approved)
        .otherwise(None)
        .alias(t("col.progress", language)),
        pl.col("description").alias(t("col.description", language)),
    )


def projects_csv(projects: pl.DataFrame, language: str) -> bytes:
    return csv_bytes(project_table(projects, language))


def projects_xlsx(projects: pl.DataFrame, language: str, *, title: str, notes: tuple[str, ...]) -> bytes:
    return xlsx_bytes(project_table(projects, language), t("export.projects_sheet", language), title=title, notes=notes)


def filter_description(flt: ProjectFilter, region_names: Mapping[str, str], language: str) -> list[str]:
    """The active filters in words, e.g. "Handlungsfeld: Rekrutierung und Matching" (for exports and notes)."""
    parts = []
    if flt.topics:
        parts.append(f"{t('projects.filter.topic', language)}: {', '.join(flt.topics)}")
    if flt.statuses:
        parts.append(
            f"{t('projects.filter.status', language)}: {', '.join(label('status', s, language) for s in flt.statuses)}"
        )
    if flt.members:
        parts.append(f"{t('projects.filter.member', language)}: {', '.join(flt.members)}")
    if flt.regions:
        names = (region_names.get(ags, ags) for ags in flt.regions)
        parts.append(f"{t('projects.filter.region', language)}: {', '.join(names)}")
    if flt.funds:
        parts.append(
            f"{t('projects.filter.fund', language)}: {', '.join(label('fund', f, language) for f in flt.funds)}"
        )
    if flt.runs_from or flt.runs_to:
        period = f"{formats.day(flt.runs_from, language)} – {formats.day(flt.runs_to, language)}"
        parts.append(f"{t('projects.filter.period', language)}: {period}")
    if flt.search:
        parts.append(f"{t('projects.filter.search', language)}: {flt.search}")
    return parts

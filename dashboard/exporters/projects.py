"""The project list as a table to take away: readable German (or English) headers and labels."""

from __future__ import annotations

import polars as pl

from dashboard.data_access.vocabulary import Fund, ProjectStatus
from dashboard.exporters.tables import csv_bytes, euros, xlsx_bytes
from dashboard.i18n import label, t


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

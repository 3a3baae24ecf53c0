"""The project table (with row selection) and the CSV/XLSX downloads of the shown list."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboard.data_access.vocabulary import ProjectStatus
from dashboard.domain.overview import today
from dashboard.exporters.projects import projects_csv, projects_xlsx
from dashboard.i18n import formats, label, t


def project_table(projects: pl.DataFrame, language: str, key: str) -> dict[str, Any] | None:
    """Show the projects; return the row the user selected (None if none)."""
    codes = [s.value for s in ProjectStatus]
    columns = {
        "title": t("col.title", language),
        "status_label": t("col.status", language),
        "lead_name": t("col.lead", language),
        "topics": t("col.topics", language),
        "regions": t("col.regions", language),
        "start_date": t("col.start", language),
        "end_date": t("col.end", language),
        "approved": t("col.approved", language),
        "disbursed": t("col.disbursed", language),
        "progress": t("col.progress", language),
    }
    approved = pl.col("approved_cents")
    view = projects.select(
        "title",
        pl.col("status")
        .replace_strict(codes, [label("status", c, language) for c in codes], default=pl.col("status"))
        .alias("status_label"),
        "lead_name",
        pl.col("topic_names").list.join(", ").alias("topics"),
        pl.col("region_names").list.join(", ").alias("regions"),
        "start_date",
        "end_date",
        # Display only (the exports carry exact Decimal euros).
        (approved / 100).alias("approved"),
        (pl.col("disbursed_cents") / 100).alias("disbursed"),
        pl.when(approved > 0).then(pl.col("disbursed_cents") / approved).otherwise(None).alias("progress"),
    ).rename(columns)
    event = st.dataframe(
        view,
        key=key,
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        width="stretch",
        column_config={
            columns["title"]: st.column_config.TextColumn(width="large", pinned=True),
            columns["start_date"]: st.column_config.DateColumn(format="DD.MM.YYYY"),
            columns["end_date"]: st.column_config.DateColumn(format="DD.MM.YYYY"),
            columns["approved"]: st.column_config.NumberColumn(format="euro"),
            columns["disbursed"]: st.column_config.NumberColumn(format="euro"),
            columns["progress"]: st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
        },
    )
    rows = event.selection.rows if event is not None else []
    return projects.row(rows[0], named=True) if rows else None


def download_buttons(projects: pl.DataFrame, alliance_name: str, filters: list[str], language: str) -> None:
    stand = t("export.as_of", language, date=formats.day(today(), language))
    notes = (stand, t("export.filters", language, filters="; ".join(filters) or t("export.no_filters", language)))
    title = t("export.projects_title", language, alliance=alliance_name)
    csv_col, xlsx_col, _ = st.columns([1, 1, 2])
    csv_col.download_button(
        t("export.csv", language),
        # Callables: the files are built when the button is clicked, not on every rerun.
        data=lambda: projects_csv(projects, language),
        file_name="projekte.csv",
        mime="text/csv",
        icon=":material/download:",
        key="download_csv",
    )
    xlsx_col.download_button(
        t("export.xlsx", language),
        data=lambda: projects_xlsx(projects, language, title=title, notes=notes),
        file_name="projekte.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/table:",
        key="download_xlsx",
    )

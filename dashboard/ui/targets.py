"""Pieces of the targets page and the overview's target KPI: status tiles, target table, drill-down, ESF+ totals."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import polars as pl
import streamlit as st

from dashboard.charts.targets import target_progress_figure
from dashboard.domain import targets as domain
from dashboard.domain.esf import COUNT_COLUMNS
from dashboard.domain.units import is_rate
from dashboard.exporters.tables import csv_bytes, xlsx_bytes
from dashboard.i18n import formats, label, t
from dashboard.loaders import EsfSummary
from dashboard.ui.text import plain

STATUS_ICONS = {
    "erreicht": ":material/check_circle:",
    "im_plan": ":material/trending_up:",
    "gefaehrdet": ":material/warning:",
    "verfehlt": ":material/cancel:",
    "keine_daten": ":material/help:",
}
# Plain-text markers for table cells, where Streamlit shows no material icons (no emoji: not every system has
# an emoji font, and a box instead of a status helps nobody).
STATUS_MARKS = {"erreicht": "✓", "im_plan": "→", "gefaehrdet": "⚠", "verfehlt": "✗", "keine_daten": "·"}


def value_text(value: float | None, unit: str | None, language: str) -> str:
    """A target or actual value in the UI language: rates with one decimal, counts whole where they are whole."""
    if value is None:
        return "–"
    decimals = 1 if is_rate(unit) or value != round(value) else 0
    return formats.number(value, language, decimals=decimals)


def status_tiles(counts: pl.DataFrame, language: str) -> None:
    """One metric per status, in the order of the rule."""
    for column, (status, count) in zip(st.columns(len(counts)), counts.iter_rows(), strict=True):
        column.metric(
            f"{STATUS_ICONS[status]} {t(f'targets.status.{status}', language)}",
            formats.number(count, language),
            help=t(f"targets.rule.{status}", language),
        )


def target_kpi(assessed: pl.DataFrame, language: str) -> None:
    """The overview's KPI "targets by status", by the same rule as the targets page, with a link there."""
    heading, link = st.columns([4, 1], vertical_alignment="bottom")
    heading.markdown(f"**{t('targets.kpi_title', language)}**")
    link.page_link("dashboard/pages/targets.py", label=t("targets.kpi_link", language), icon=":material/flag:")
    if assessed.is_empty():
        st.caption(t("targets.kpi_empty", language))
        return
    status_tiles(domain.status_counts(assessed), language)


def status_rule(tolerance: float, language: str) -> None:
    """The rule behind the statuses, written out next to them."""
    with st.expander(t("targets.rule.title", language), icon=":material/rule:"):
        for status in domain.STATUS_ORDER:
            st.markdown(f"- **{t(f'targets.status.{status}', language)}**: {t(f'targets.rule.{status}', language)}")
        st.caption(
            t("targets.rule.tolerance", language, tolerance=formats.percent(tolerance, language, decimals=0))
            + " "
            + t("targets.rule.actuals", language)
        )


def scope_text(row: dict[str, Any], language: str) -> str:
    if row["scope"] == "topic":
        return t("targets.scope.topic", language, name=row["topic"] or "")
    if row["scope"] == "project":
        return t("targets.scope.project", language, name=row["project"] or "")
    return t("targets.scope.alliance", language)


def indicator_name(row: dict[str, Any], language: str) -> str:
    return str(row["name_en"] if language == "en" and row.get("name_en") else row["name"])


def target_table_frame(assessed: pl.DataFrame, language: str) -> pl.DataFrame:
    """The targets as the user reads them: formatted values, German dates, status with its marker."""
    rows = []
    for row in assessed.iter_rows(named=True):
        unit = row["unit"]
        rows.append(
            {
                "status": f"{STATUS_MARKS[row['status']]} {label('targets.status', row['status'], language)}",
                "indicator": indicator_name(row, language),
                "scope": scope_text(row, language),
                "actual": value_text(row["actual_value"], unit, language),
                "target": value_text(row["target_value"], unit, language),
                "progress": None if row["progress"] is None else round(max(0.0, min(1.0, row["progress"])), 3),
                "expected_today": value_text(row["expected_today"], unit, language),
                "actual_date": formats.day(row["actual_date"], language) if row["actual_date"] else "–",
                "due_date": formats.day(row["due_date"], language),
                "baseline": f"{value_text(row['baseline_value'], unit, language)} "
                f"({formats.day(row['baseline_date'], language)})",
                "unit": unit or "",
            }
        )
    text: pl.DataType = pl.String()
    schema: dict[str, pl.DataType] = {"status": text, "indicator": text, "scope": text, "actual": text, "target": text}
    schema |= {"progress": pl.Float64(), "expected_today": text, "actual_date": text, "due_date": text}
    return pl.DataFrame(rows, schema=schema | {"baseline": text, "unit": text})


def target_table(assessed: pl.DataFrame, language: str) -> None:
    frame = target_table_frame(assessed, language)
    widths: dict[str, Literal["medium"]] = {"indicator": "medium", "scope": "medium"}
    config: dict[str, Any] = {
        column: st.column_config.TextColumn(t(f"targets.column.{column}", language), width=widths.get(column))
        for column in frame.columns
        if column != "progress"
    }
    config["progress"] = st.column_config.ProgressColumn(
        t("targets.column.progress", language),
        min_value=0.0,
        max_value=1.0,
        format="percent",
        help=t("targets.column.progress_help", language),
    )
    st.dataframe(frame, column_config=config, hide_index=True, width="stretch", key="target_table")


def target_choice_label(row: dict[str, Any], language: str) -> str:
    return t(
        "targets.choice",
        language,
        indicator=indicator_name(row, language),
        scope=scope_text(row, language),
        due=formats.day(row["due_date"], language),
    )


def target_detail(
    row: dict[str, Any],
    tracking: domain.TargetTracking,
    projects: pl.DataFrame,
    regions: pl.DataFrame,
    *,
    as_of: date,
    language: str,
    suppress_below: int | None = None,
) -> None:
    """Progress chart of one target, then what contributes: projects and Kreise.

    ``suppress_below``: for scopes that may not see small counts, project and Kreis counts under it are hidden.
    """
    series = tracking.series.filter(pl.col("target_id") == row["target_id"], pl.col("period_end") <= as_of)
    st.plotly_chart(
        target_progress_figure(row, series, domain.target_path(row), as_of, language), key="target_progress"
    )
    if row["description"]:
        st.caption(plain(row["description"]))
    unit = row["unit"]
    if row["basis"] == "kreise":
        st.markdown(f"**{t('targets.drill.kreise_statistics', language)}**")
        values = domain.kreis_values(row, tracking.kreis_observations, as_of)
        _table(
            values.select(
                pl.col("region_name").alias(t("targets.drill.kreis", language)),
                pl.col("value").alias(t("targets.drill.value_unit", language, unit=unit or "")),
                pl.col("period_end").alias(t("targets.drill.as_of", language)),
            ),
            "target_kreise",
            language,
        )
        return
    if row["basis"] is None:
        st.info(t("targets.drill.no_data", language), icon=":material/info:")
        return
    contributions = domain.project_contributions(row["target_id"], tracking.links, tracking.levels, projects)
    per_kreis = domain.kreis_contributions(contributions, regions)
    if suppress_below is not None and not is_rate(unit):
        hidden = pl.when(pl.col("level").is_between(1, suppress_below, closed="left")).then(None)
        contributions = contributions.with_columns(hidden.otherwise(pl.col("level")).alias("level"))
        per_kreis = per_kreis.with_columns(hidden.otherwise(pl.col("level")).alias("level"))
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{t('targets.drill.projects', language, count=contributions.height)}**")
        _table(
            contributions.select(
                pl.col("title").alias(t("targets.drill.project", language)),
                pl.col("status")
                .replace_strict(
                    {code: label("status", code, language) for code in contributions["status"].unique().to_list()},
                    default=pl.col("status"),
                )
                .alias(t("targets.drill.status", language)),
                pl.col("level").alias(t("targets.drill.value_unit", language, unit=unit or "")),
                pl.col("period_end").alias(t("targets.drill.as_of", language)),
            ),
            "target_projects",
            language,
        )
    with right:
        st.markdown(f"**{t('targets.drill.kreise', language)}**")
        _table(
            per_kreis.select(
                pl.col("region_name").alias(t("targets.drill.kreis", language)),
                pl.col("level").alias(t("targets.drill.value_unit", language, unit=unit or "")),
                pl.col("projects").alias(t("targets.drill.project_count", language)),
            ),
            "target_project_kreise",
            language,
        )
        st.caption(t("targets.drill.kreise_note", language))


DATE_FORMATS = {"de": "DD.MM.YYYY", "en": "DD/MM/YYYY"}


def _table(frame: pl.DataFrame, key: str, language: str) -> None:
    config: dict[str, Any] = {}
    for column, dtype in frame.schema.items():
        if dtype == pl.Date():
            config[column] = st.column_config.DateColumn(format=DATE_FORMATS.get(language, DATE_FORMATS["de"]))
        elif dtype.is_float():
            config[column] = st.column_config.NumberColumn(format="localized")
    st.dataframe(frame, hide_index=True, width="stretch", key=key, column_config=config)


def esf_frame(summary: EsfSummary, language: str) -> pl.DataFrame:
    """The ESF+ totals as shown and exported: suppressed cells read "< 5", missing breakdowns "–"."""
    below = t("targets.esf.suppressed_cell", language, threshold=summary.threshold)
    name = pl.col("name_en") if language == "en" else pl.col("name")
    cells = [
        pl.when(pl.col(f"{column}_suppressed"))
        .then(pl.lit(below))
        .when(pl.col(column).is_null())
        .then(pl.lit("–"))
        .otherwise(formats.count_expr(pl.col(column), language))
        .alias(column)
        for column in COUNT_COLUMNS
    ]
    return summary.totals.select(
        "code", pl.coalesce(name, pl.col("name")).alias("name"), *cells, pl.col("projects")
    ).rename(
        {column: t(f"targets.esf.column.{column}", language) for column in ("code", "name", *COUNT_COLUMNS, "projects")}
    )


def esf_section(summary: EsfSummary, alliance_name: str, as_of: date, language: str) -> None:
    """ESF+ totals with their counting rules, disclosure note, rule violations and downloads."""
    if summary.totals.is_empty():
        st.info(t("targets.esf.empty", language), icon=":material/info:")
        return
    frame = esf_frame(summary, language)
    st.dataframe(frame, hide_index=True, width="stretch", key="esf_table")
    st.caption(t("targets.esf.rules", language))
    if summary.suppressed:
        st.caption(
            f":material/visibility_off: {t('targets.esf.suppressed_note', language, threshold=summary.threshold)}"
        )
    for row in summary.exclusivity.iter_rows(named=True):
        st.warning(
            plain(
                t(
                    "targets.esf.exclusivity",
                    language,
                    project=row["title"] or str(row["project_id"]),
                    searching=formats.number(row["EECR01"], language),
                    employed=formats.number(row["EECR04"], language),
                    participants=formats.number(row["EECO01"], language) if row["EECO01"] is not None else "–",
                )
            ),
            icon=":material/rule:",
        )
    for row in summary.breakdowns.iter_rows(named=True):
        st.warning(
            plain(
                t(
                    "targets.esf.breakdown",
                    language,
                    project=row["title"] or str(row["project_id"]),
                    code=row["code"],
                    total=formats.number(row["total"], language),
                    breakdown=formats.number(row["breakdown"], language),
                )
            ),
            icon=":material/rule:",
        )
    title = t("targets.esf.export_title", language, alliance=alliance_name, day=formats.day(as_of, language))
    _download_pair(
        frame,
        stem=f"esf-indikatoren-{as_of.isoformat()}",
        sheet="ESF+",
        title=title,
        notes=(t("targets.esf.rules", language),),
        key="esf",
        language=language,
    )


def target_downloads(assessed: pl.DataFrame, alliance_name: str, as_of: date, language: str) -> None:
    table = target_table_frame(assessed, language)
    frame = table.rename({column: t(f"targets.column.{column}", language) for column in table.columns})
    title = t("targets.export_title", language, alliance=alliance_name, day=formats.day(as_of, language))
    _download_pair(
        frame,
        stem=f"ziele-{as_of.isoformat()}",
        sheet=t("nav.targets", language)[:31],
        title=title,
        notes=(),
        key="targets",
        language=language,
    )


def _download_pair(
    frame: pl.DataFrame, *, stem: str, sheet: str, title: str, notes: tuple[str, ...], key: str, language: str
) -> None:
    """CSV and Excel of a table, built only on click; a download does not rerun the page."""
    csv_col, xlsx_col, _ = st.columns([1, 1, 4])
    csv_col.download_button(
        t("targets.download_csv", language),
        data=lambda: csv_bytes(frame),
        file_name=f"{stem}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key=f"{key}_csv",
    )
    xlsx_col.download_button(
        t("targets.download_xlsx", language),
        data=lambda: xlsx_bytes(frame, sheet, title=title, notes=notes),
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        icon=":material/download:",
        key=f"{key}_xlsx",
    )

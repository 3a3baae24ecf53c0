"""Pieces of the import page: format help, the staged file, issue list, plan preview and the confirmed import."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from dashboard.data_access.observation_import import (
    ImportConflict,
    ImportPlan,
    ImportResult,
    apply_import,
    plan_import,
)
from dashboard.data_access.scope import PermissionDenied, Scope
from dashboard.i18n import formats, t
from dashboard.importers import FileFormatError, ImportFormat, ParsedImport, read_file
from dashboard.importers.model import ImportIssue
from dashboard.ui.text import plain

UPLOAD_LIMIT_MB = 50
TEMPLATE = Path(__file__).resolve().parents[1] / "importers" / "templates" / "langformat-vorlage.csv"
FORMAT_CHOICES = ["auto", *(member.value for member in ImportFormat)]
REGION_PAGE = "dashboard/pages/region.py"
_STAGED = "_import_staged"  # the one file being imported: parsed once, kept across reruns
DATE_FORMATS = {"de": "DD.MM.YYYY", "en": "DD/MM/YYYY"}


@dataclass
class StagedFile:
    """An uploaded file read once; ``result`` is set after its import, so a second click cannot import twice."""

    key: str
    name: str
    parsed: ParsedImport | None
    issues: list[ImportIssue]
    result: ImportResult | None = None


def file_key(data: bytes, chosen: str) -> str:
    return f"{hashlib.sha256(data).hexdigest()}:{chosen}"


def read_upload(data: bytes, name: str, chosen: str) -> StagedFile:
    """Read the bytes with the chosen format ("auto" detects it); problems become the staged file's issues."""
    key = file_key(data, chosen)
    try:
        parsed = read_file(data, name, format=None if chosen == "auto" else ImportFormat(chosen))
    except FileFormatError as exc:
        return StagedFile(key=key, name=name, parsed=None, issues=list(exc.issues))
    return StagedFile(key=key, name=name, parsed=parsed, issues=[])


def staged_file(data: bytes, name: str, chosen: str) -> StagedFile:
    """The staged file for these bytes and format, read only when they change (one file kept per session)."""
    staged: StagedFile | None = st.session_state.get(_STAGED)
    if staged is None or staged.key != file_key(data, chosen):
        staged = read_upload(data, name, chosen)
        st.session_state[_STAGED] = staged
    return staged


def current_plan(engine: Engine, scope: Scope, staged: StagedFile) -> ImportPlan | None:
    """The plan against the database as it is now (not cached: it must see the last import); None with issues."""
    if staged.parsed is None:
        return None
    try:
        return plan_import(engine, scope, staged.parsed)
    except FileFormatError as exc:
        staged.issues = list(exc.issues)
        return None


def forget_staged() -> None:
    """Drop the parsed file once the upload is removed, so the session does not keep it."""
    st.session_state.pop(_STAGED, None)


def format_help(language: str) -> None:
    with st.expander(t("data_import.formats_heading", language), icon=":material/help:"):
        # Our own catalogue text: its Markdown (bold format names) is meant.
        for name in ("genesis", "ffcsv", "template"):
            st.markdown(t(f"data_import.format_{name}_help", language))
        if TEMPLATE.is_file():
            st.download_button(
                t("data_import.template_download", language),
                data=TEMPLATE.read_bytes,  # read when clicked, not on every run
                file_name=TEMPLATE.name,
                mime="text/csv",
                icon=":material/download:",
                on_click="ignore",
                key="import_template",
            )


def format_picker(language: str) -> str:
    picked = st.segmented_control(
        t("data_import.format_label", language),
        FORMAT_CHOICES,
        format_func=lambda code: t(f"data_import.format.{code}", language),
        default="auto",
        help=t("data_import.format_help", language),
        key="import_format",
    )
    return str(picked or "auto")


def show_issues(staged: StagedFile, language: str) -> None:
    lines = [t("data_import.file_error", language, file=plain(staged.name))]
    lines += [f"- {plain(issue.text(language))}" for issue in staged.issues]
    st.error("\n".join(lines), icon=":material/error:")


def _heading(parsed: ParsedImport, language: str) -> None:
    st.subheader(plain(parsed.title))
    facts = [t(f"data_import.format.{parsed.format}", language)]
    if parsed.table_code:
        facts.append(t("data_import.table_code", language, code=parsed.table_code))
    st.caption(plain(" · ".join(facts)))
    st.caption(plain(t("data_import.source", language, source=parsed.source)))
    notes = [note.text(language) for note in parsed.notes]
    if parsed.skipped_lines:
        notes.insert(0, t("data_import.skipped_lines", language, count=formats.number(parsed.skipped_lines, language)))
    if notes:
        st.info("\n".join(f"- {plain(note)}" for note in notes), icon=":material/info:")


def _metrics(plan: ImportPlan, language: str) -> None:
    tiles = [
        ("new", plan.new),
        ("changed", plan.changed),
        ("unchanged", plan.unchanged),
        ("new_indicators", plan.new_indicators.height),
        ("new_regions", plan.new_regions.height),
    ]
    for column, (name, count) in zip(st.columns(len(tiles)), tiles, strict=True):
        column.metric(t(f"data_import.kpi.{name}", language), formats.number(count, language))
    if plan.period_min is not None and plan.period_max is not None:
        first, last = formats.day(plan.period_min, language), formats.day(plan.period_max, language)
        st.caption(t("data_import.periods", language, first=first, last=last))
    else:
        st.caption(t("data_import.periods_none", language))
    st.caption(t("data_import.regions_by_level", language, levels=plan.levels_text(language)))


def _localised(frame: pl.DataFrame, language: str) -> pl.DataFrame:
    """Status and yes/no as words of the UI language."""
    if "status" in frame.columns:
        words = {status: t(f"data_import.status.{status}", language) for status in ("new", "changed", "unchanged")}
        frame = frame.with_columns(pl.col("status").replace_strict(words, default=pl.col("status")))
    return frame


def _table(frame: pl.DataFrame, labels: dict[str, str], language: str, config: dict[str, Any]) -> None:
    shown = _localised(frame.select(list(labels)), language).rename(labels)
    st.dataframe(shown, hide_index=True, column_config={labels[name]: spec for name, spec in config.items()})


def preview(parsed: ParsedImport, plan: ImportPlan, language: str) -> None:
    """What the file holds and what importing it would change."""
    _heading(parsed, language)
    _metrics(plan, language)

    def label(name: str) -> str:
        return t(f"data_import.col.{name}", language)

    number = st.column_config.NumberColumn(format="localized")
    st.markdown(f"**{t('data_import.indicators_heading', language)}**")
    indicator_labels = {name: label(name) for name in ("indicator", "unit", "code", "values", "is_new")}
    _table(
        plan.indicators.rename({"name": "indicator"}),
        indicator_labels,
        language,
        {"values": number, "is_new": st.column_config.CheckboxColumn()},
    )
    # Plan column -> catalogue key of its header.
    value_columns = {
        "indicator": "indicator",
        "unit": "unit",
        "region": "region",
        "region_ags": "ags",
        "period_end": "period_end",
        "dimensions": "dimensions",
        "value": "value",
        "missing_marker": "marker",
        "status": "status",
    }
    value_labels = {"line": "#"} | {name: label(key) for name, key in value_columns.items()}
    dates = st.column_config.DateColumn(format=DATE_FORMATS.get(language, DATE_FORMATS["de"]))
    value_config = {"value": number, "period_end": dates, "line": st.column_config.NumberColumn(format="%d")}
    st.markdown(f"**{t('data_import.preview_heading', language, count=plan.preview.height)}**")
    # An empty marker cell reads better than "None" (most values have none).
    _table(plan.preview.with_columns(pl.col("missing_marker").fill_null("")), value_labels, language, value_config)
    if not plan.changes.is_empty():
        st.markdown(f"**{t('data_import.changes_heading', language, count=plan.changes.height)}**")
        change_labels = {name: value_labels[name] for name in ("line", "indicator", "region", "period_end")}
        change_labels |= {"old_value": label("old_value"), "value": label("value")}
        _table(plan.changes, change_labels, language, value_config | {"old_value": number})


def success(result: ImportResult, language: str) -> None:
    counts = {
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "indicators": result.indicators_inserted,
        "regions": result.regions_inserted,
    }
    words = {name: formats.number(value, language) for name, value in counts.items()}
    st.success(t("data_import.success", language, **words), icon=":material/check_circle:")
    st.page_link(REGION_PAGE, label=t("data_import.to_region", language), icon=":material/map:")


def confirm_and_import(engine: Engine, scope: Scope, staged: StagedFile, plan: ImportPlan, language: str) -> None:
    """The confirm button; after a click the import runs once with a progress bar, then the caches are emptied."""
    if staged.result is not None:
        success(staged.result, language)
        return
    clicked = st.button(
        t("data_import.confirm", language),
        type="primary",
        disabled=not plan.has_work,
        icon=":material/database_upload:",
        key=f"import_confirm_{staged.key[:16]}",
    )
    if not plan.has_work:
        st.caption(t("data_import.nothing_to_do", language))
        return
    if not clicked or staged.parsed is None:
        return
    bar = st.progress(0.0, text=t("data_import.progress.prepare", language))

    def progress(share: float, text: str) -> None:
        bar.progress(share, text=text)

    try:
        result = apply_import(engine, scope, staged.parsed, progress=progress, language=language)
    except (ImportConflict, IntegrityError):
        # Someone imported the same values meanwhile; the transaction was rolled back, a new try re-plans.
        bar.empty()
        st.error(t("data_import.conflict", language), icon=":material/sync_problem:")
        return
    except PermissionDenied:
        bar.empty()
        st.error(t("data_import.denied", language), icon=":material/block:")
        return
    staged.result = result
    # Every cached loader of observations, regions and indicators would show the old figures.
    st.cache_data.clear()
    success(result, language)

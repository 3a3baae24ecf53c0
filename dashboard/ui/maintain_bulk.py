"""Tab „Massenimport“ of „Daten pflegen“: templates, upload, validation report, preview, confirm, one transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl
import streamlit as st

from dashboard.data_access import bulk_import
from dashboard.data_access.bulk_import import BulkIssue, BulkPlan, BulkRejected
from dashboard.data_access.bulk_schema import BulkKind
from dashboard.data_access.scope import PermissionDenied
from dashboard.i18n import formats, t
from dashboard.importers.bulk import BulkFileIssue, TemplateFormat, header_label, read_bulk_file, template_bytes
from dashboard.importers.model import FileFormatError, ImportIssue
from dashboard.ui.maintain import MaintainContext, keep
from dashboard.ui.text import plain

KIND = "mi_kind"
UPLOAD = "mi_file"
_STAGED = "_mi_staged"  # the one uploaded file: read once, kept across reruns, marked once imported
STATUSES = ("new", "changed", "unchanged")
MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class StagedBulk:
    """An uploaded file read for one kind; ``result`` is set once imported, so a second click imports nothing."""

    key: str
    name: str
    kind: BulkKind
    rows: pl.DataFrame | None
    issues: list[ImportIssue]
    result: dict[str, int] | None = None


def render(m: MaintainContext) -> None:
    lang = m.language
    st.caption(t("maintain.bulk.intro", lang))
    keep([KIND])
    kind = BulkKind(
        st.segmented_control(
            t("maintain.bulk.kind_label", lang),
            [member.value for member in BulkKind],
            format_func=lambda code: t(f"maintain.bulk.kind.{code}", lang),
            default=BulkKind.PROJECTS.value,
            required=True,
            key=KIND,
        )
        or BulkKind.PROJECTS.value
    )
    _templates(kind, lang)
    # The server's maxUploadSize caps every upload; the widget must not promise more than that.
    limit = min(m.upload_limit_mb, int(st.get_option("server.maxUploadSize")))
    upload = st.file_uploader(
        t("maintain.bulk.uploader", lang),
        type=["csv", "xlsx"],
        max_upload_size=limit,
        help=t("maintain.bulk.uploader_help", lang, limit=limit),
        key=UPLOAD,
    )
    if upload is None:
        st.session_state.pop(_STAGED, None)
        return
    staged = _staged(upload.getvalue(), upload.name, kind, alliance_id=m.alliance_id, limit_mb=limit, language=lang)
    if staged.rows is None:
        _report(staged.issues, lang, name=staged.name)
        return
    if staged.result is not None:
        _success(staged.result, lang)
        return
    try:
        plan = bulk_import.plan_bulk(m.engine, m.scope, m.alliance_id, kind, staged.rows, language=lang)
    except PermissionDenied:
        st.error(t("maintain.denied", lang), icon=":material/block:")
        return
    if plan.has_errors:
        _report(list(plan.issues), lang, name=staged.name, count=plan.issue_count or len(plan.issues))
        return
    _preview(plan, lang)
    _confirm(m, staged, plan)


def _templates(kind: BulkKind, lang: str) -> None:
    st.caption(t("maintain.bulk.templates", lang))
    row = st.container(horizontal=True)
    formats_: tuple[TemplateFormat, ...] = ("csv", "xlsx")
    for fmt in formats_:
        row.download_button(
            t(f"maintain.bulk.template_{fmt}", lang),
            # A callable: the file is built when the button is clicked, not on every rerun.
            data=_builder(kind, fmt, lang),
            file_name=f"{t('maintain.bulk.template_file', lang)}-{kind.value}.{fmt}",
            mime=MIME[fmt],
            icon=":material/download:",
            on_click="ignore",
            key=f"mi_template_{fmt}",
        )


def _builder(kind: BulkKind, fmt: TemplateFormat, lang: str) -> Callable[[], bytes]:
    return lambda: template_bytes(kind, fmt, lang)


def _staged(data: bytes, name: str, kind: BulkKind, *, alliance_id: int, limit_mb: int, language: str) -> StagedBulk:
    """The staged file for these bytes, kind and alliance, read only when one of them changes (one file kept per
    session). The alliance belongs to the key: a file imported into one alliance is a new import in the next."""
    key = f"{alliance_id}:{kind.value}:{language}:{hashlib.sha256(data).hexdigest()}"
    staged: StagedBulk | None = st.session_state.get(_STAGED)
    if staged is not None and staged.key == key:
        return staged
    try:
        rows = read_bulk_file(data, name, kind, max_bytes=limit_mb * 1024 * 1024, language=language)
        staged = StagedBulk(key=key, name=name, kind=kind, rows=rows, issues=[])
    except FileFormatError as exc:
        staged = StagedBulk(key=key, name=name, kind=kind, rows=None, issues=list(exc.issues))
    st.session_state[_STAGED] = staged
    return staged


def issue_rows(issues: list[Any], language: str) -> pl.DataFrame:
    """Zeile, Spalte, Wert, Grund of every issue (file checks and row checks alike)."""
    rows = []
    for issue in issues:  # capped lists (at most a few hundred)
        if isinstance(issue, BulkIssue):
            column = header_label(issue.column, language) if issue.column else ""
            cell, reason = issue.params.get("cell"), issue.message(language)
        elif isinstance(issue, BulkFileIssue):
            column, cell, reason = issue.column or "", None, issue.reason(language)
        else:
            column, cell, reason = issue.column or "", None, issue.text(language)
        rows.append((issue.line, column, "" if cell is None else str(cell), reason))
    names = [t(f"maintain.bulk.col.{name}", language) for name in ("line", "column", "cell", "reason")]
    schema = dict(zip(names, (pl.Int64, pl.String, pl.String, pl.String), strict=True))
    return pl.DataFrame(rows, schema=schema, orient="row")


def _report(issues: list[Any], lang: str, *, name: str, count: int | None = None) -> None:
    found = formats.number(count if count is not None else len(issues), lang)
    st.error(t("maintain.bulk.rejected", lang, file=plain(name), count=found), icon=":material/error:")
    st.dataframe(
        issue_rows(issues, lang),
        hide_index=True,
        column_config={
            t("maintain.bulk.col.line", lang): st.column_config.NumberColumn(format="%d"),
            t("maintain.bulk.col.reason", lang): st.column_config.TextColumn(width="large"),
        },
    )


def _preview(plan: BulkPlan, lang: str) -> None:
    for column, status in zip(st.columns(len(STATUSES)), STATUSES, strict=True):
        column.metric(t(f"maintain.bulk.kpi.{status}", lang), formats.number(plan.counts.get(status, 0), lang))
    if plan.preview.is_empty():
        return
    words = {status: t(f"maintain.bulk.status.{status}", lang) for status in STATUSES}
    names = {name: t(f"maintain.bulk.col.{name}", lang) for name in ("line", "status", "label", "changes")}
    view = plan.preview.select(
        pl.col("line"),
        pl.col("status").replace_strict(words, default=pl.col("status")),
        pl.col("label"),
        pl.col("changes").fill_null(""),
    ).rename(names)
    st.dataframe(
        view,
        hide_index=True,
        column_config={
            names["line"]: st.column_config.NumberColumn(format="%d"),
            names["label"]: st.column_config.TextColumn(width="large"),
            names["changes"]: st.column_config.TextColumn(width="large"),
        },
    )


def _confirm(m: MaintainContext, staged: StagedBulk, plan: BulkPlan) -> None:
    lang = m.language
    clicked = st.button(
        t("maintain.bulk.confirm", lang),
        type="primary",
        disabled=not plan.has_work,
        icon=":material/database_upload:",
        key=f"mi_confirm_{hashlib.sha256(staged.key.encode()).hexdigest()[:16]}",
    )
    if not plan.has_work:
        st.caption(t("maintain.bulk.nothing_to_do", lang))
        return
    if not clicked or staged.rows is None:
        return
    bar = st.progress(0.0, text=t("maintain.bulk.progress", lang))

    def progress(share: float, text: str) -> None:
        bar.progress(min(max(share, 0.0), 1.0), text=plain(text))

    try:
        result = bulk_import.apply_bulk(
            m.engine, m.scope, m.alliance_id, staged.kind, staged.rows, progress=progress, language=lang
        )
    except BulkRejected as exc:
        # The data changed since the preview (someone else saved): re-planned, refused, nothing written.
        bar.empty()
        _report(list(exc.issues), lang, name=staged.name)
        return
    except PermissionDenied:
        bar.empty()
        st.error(t("maintain.denied", lang), icon=":material/block:")
        return
    bar.empty()
    staged.result = result
    # Every cached loader (projects, money, targets) would show the old figures.
    st.cache_data.clear()
    st.rerun()  # the next run shows the result alone, without the preview of what is now done


def _success(result: dict[str, int], lang: str) -> None:
    counts = {status: formats.number(result.get(status, 0), lang) for status in STATUSES}
    st.success(t("maintain.bulk.success", lang, **counts), icon=":material/check_circle:")

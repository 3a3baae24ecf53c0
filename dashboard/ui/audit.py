"""The pieces of the change-log page: filters bound to the URL, the entry table, an entry's values, downloads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import polars as pl
import streamlit as st

from dashboard.cache import AuditTrail
from dashboard.data_access.audit_trail import EXPORT_LIMIT, GERMANY, AuditFilter, AuditOptions
from dashboard.exporters.audit import audit_csv, audit_xlsx, filter_description, labelled, local_time
from dashboard.i18n import formats, label, t
from dashboard.ui.text import plain
from dashboard.ui.url_state import seed_date_from_url, seed_from_url, seed_page_from_url, write_to_url

# Widget keys double as URL parameter names: ?benutzer=…&tabelle=project&aktion=update&vom=2026-01-01&seite=2
CHOICE_KEYS = ("benutzer", "tabelle", "aktion")
DATE_KEYS = ("vom", "bis_zum")
PAGE_KEY = "seite"
TABLE_KEY = "audit_entries"
_PAGED_FILTER = "_audit_paged_filter"  # the filter the page number belongs to: a new filter starts at page 1


def reset_audit_filters() -> None:
    """Callback of the reset buttons: every filter back to "all"."""
    for key in CHOICE_KEYS:
        st.session_state[key] = ""
    for key in DATE_KEYS:
        st.session_state[key] = None


def audit_filter_bar(options: AuditOptions, language: str) -> AuditFilter:
    """User, table, action and a period; a copied link reproduces the filter."""
    choices = {"benutzer": options.users, "tabelle": options.tables, "aktion": options.actions}
    for key, values in choices.items():
        seed_from_url(key, ["", *values], "")
    for key in DATE_KEYS:
        seed_date_from_url(key)

    everything = t("audit.filter.all", language)
    formatters = {
        "benutzer": lambda code: code or everything,
        "tabelle": lambda code: label("audit.table", code, language) if code else everything,
        "aktion": lambda code: label("audit.action", code, language) if code else everything,
    }
    titles = {"benutzer": "audit.filter.user", "tabelle": "audit.filter.table", "aktion": "audit.filter.action"}
    columns = st.columns([2, 2, 2, 1.5, 1.5])
    for column, key in zip(columns, CHOICE_KEYS, strict=False):
        column.selectbox(t(titles[key], language), ["", *choices[key]], key=key, format_func=formatters[key])
    columns[3].date_input(t("audit.filter.from", language), key="vom", format="DD.MM.YYYY")
    columns[4].date_input(t("audit.filter.to", language), key="bis_zum", format="DD.MM.YYYY")
    for key in (*CHOICE_KEYS, *DATE_KEYS):
        write_to_url(key, st.session_state.get(key))

    since, until = st.session_state["vom"], st.session_state["bis_zum"]
    if since and until and until < since:
        st.caption(t("audit.range_reversed", language))
        since, until = until, since
    return AuditFilter(
        user=st.session_state["benutzer"] or None,
        table=st.session_state["tabelle"] or None,
        action=st.session_state["aktion"] or None,
        since=since,
        until=until,
    )


def requested_page(flt: AuditFilter) -> int:
    """The page of entries the user asks for: ?seite=… on a first visit, 1 after any filter change."""
    seed_page_from_url(PAGE_KEY)
    if st.session_state.get(_PAGED_FILTER, flt.key) != flt.key:
        st.session_state[PAGE_KEY] = 1
    st.session_state[_PAGED_FILTER] = flt.key
    return int(st.session_state[PAGE_KEY])


def audit_pager(trail: AuditTrail, language: str) -> None:
    """How many entries match, which of them the table shows, and (with more than one page) the page picker."""
    count, pager, reset = st.columns([4, 1.2, 1.3], vertical_alignment="bottom")
    count.markdown(f"**{t('audit.count', language, count=formats.number(trail.total, language))}**")
    if trail.pages > 1:
        st.session_state[PAGE_KEY] = trail.page  # moved into range, e.g. a link to page 9 of a trail with 4
        pager.number_input(t("audit.page", language), min_value=1, max_value=trail.pages, step=1, key=PAGE_KEY)
        last = trail.first + trail.entries.height - 1
        count.caption(
            t(
                "audit.page_range",
                language,
                first=formats.number(trail.first, language),
                last=formats.number(last, language),
                page=formats.number(trail.page, language),
                pages=formats.number(trail.pages, language),
            )
        )
    write_to_url(PAGE_KEY, str(trail.page) if trail.page > 1 else None)
    reset.button(
        t("audit.reset", language), on_click=reset_audit_filters, key="audit_reset", icon=":material/filter_alt_off:"
    )


def audit_table(entries: pl.DataFrame, flt: AuditFilter, page: int, language: str) -> dict[str, Any] | None:
    """The entries, newest first, with local times and labels; return the entry the user selected (or None).

    The table's key follows the filter and the page, so a selection never points into a list it was not made in.
    """
    columns = {
        "at": t("audit.col.at", language),
        "user_name": t("audit.col.user", language),
        "role": t("audit.col.role", language),
        "action": t("audit.col.action", language),
        "table_name": t("audit.col.table", language),
        "record_id": t("audit.col.record", language),
        "changes": t("audit.col.changes", language),
    }
    view = labelled(entries, language).select(local_time("at"), *list(columns)[1:]).rename(columns)
    event = st.dataframe(
        view,
        key=f"{TABLE_KEY}_{flt.key}_{page}",
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        width="stretch",
        column_config={
            columns["at"]: st.column_config.DatetimeColumn(format="DD.MM.YYYY HH:mm", pinned=True),
            columns["changes"]: st.column_config.TextColumn(width="large"),
        },
    )
    rows = event.selection.rows if event is not None else []
    return entries.row(rows[0], named=True) if rows and rows[0] < entries.height else None


def audit_detail(entry: dict[str, Any], language: str) -> None:
    """The old and new values of one entry as data (st.json renders a tree, never HTML)."""
    at: datetime = entry["at"].astimezone(GERMANY)
    heading = t(
        "audit.detail.heading",
        language,
        action=label("audit.action", entry["action"], language),
        table=label("audit.table", entry["table_name"], language),
        record=entry["record_id"],
        at=f"{formats.day(at.date(), language)} {at:%H:%M}",
        user=entry["user_name"],
    )
    st.subheader(t("audit.detail.title", language))
    st.markdown(plain(heading))
    before, after = st.columns(2)
    for area, key, title, missing in (
        (before, "old_values", "audit.detail.old", "audit.detail.no_old"),
        (after, "new_values", "audit.detail.new", "audit.detail.no_new"),
    ):
        area.markdown(f"**{t(title, language)}**")
        if entry[key] is None:
            area.caption(t(missing, language))
        else:
            area.json(entry[key], expanded=True)


def audit_downloads(
    load: Callable[[], pl.DataFrame], *, total: int, flt: AuditFilter, alliance_name: str, language: str
) -> None:
    """CSV and XLSX of every entry matching the filter, up to EXPORT_LIMIT (formulas neutralised by the
    exporters); ``load`` reads them when a button is clicked, not on every run."""
    now = datetime.now(GERMANY)
    notes = [
        t("audit.export.as_of", language, at=f"{formats.day(now.date(), language)} {now:%H:%M}"),
        t(
            "audit.export.filters",
            language,
            filters="; ".join(filter_description(flt, language)) or t("audit.export.no_filters", language),
        ),
    ]
    exported = min(total, EXPORT_LIMIT)
    if total > exported:
        shown, all_entries = formats.number(exported, language), formats.number(total, language)
        notes.append(t("audit.export.shown", language, shown=shown, total=all_entries))
    title = t("audit.export.title", language, alliance=alliance_name)
    csv_col, xlsx_col, note = st.columns([1, 1, 2], vertical_alignment="center")
    csv_col.download_button(
        t("audit.export.csv", language),
        data=lambda: audit_csv(load(), language),
        file_name="aenderungsprotokoll.csv",
        mime="text/csv",
        icon=":material/download:",
        key="audit_download_csv",
    )
    xlsx_col.download_button(
        t("audit.export.xlsx", language),
        data=lambda: audit_xlsx(load(), language, title=title, notes=tuple(notes)),
        file_name="aenderungsprotokoll.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/table:",
        key="audit_download_xlsx",
    )
    key = "audit.export.all" if total <= EXPORT_LIMIT else "audit.export.newest"
    note.caption(t(key, language, count=formats.number(exported, language), total=formats.number(total, language)))

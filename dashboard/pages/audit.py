"""Änderungsprotokoll: admins and speakers see who changed what and when, filter it, and take it away."""

import streamlit as st

from dashboard import cache
from dashboard.data_access.scope import PermissionDenied
from dashboard.i18n import t
from dashboard.ui.audit import (
    audit_detail,
    audit_downloads,
    audit_filter_bar,
    audit_pager,
    audit_table,
    requested_page,
    reset_audit_filters,
)
from dashboard.ui.context import page_context
from dashboard.ui.text import plain

ctx = page_context()
lang, alliance = ctx.language, ctx.alliance
st.title(t("audit.title", lang))
st.caption(plain(alliance["name"]))

try:
    options = cache.audit_options(ctx.settings, ctx.scope, ctx.alliance_id)
except PermissionDenied:
    st.warning(t("audit.denied", lang), icon=":material/lock:")
    st.stop()
st.caption(t("audit.intro", lang))
if ctx.scope.reads_all_alliances:
    st.caption(t("audit.shared_note", lang))
if options.is_empty:
    st.info(t("audit.empty.none", lang), icon=":material/history:")
    st.stop()

flt = audit_filter_bar(options, lang)
trail = cache.audit_trail(ctx.settings, ctx.scope, ctx.alliance_id, flt, lang, page=requested_page(flt))
if trail.entries.is_empty():
    st.info(t("audit.empty.filtered", lang), icon=":material/search_off:")
    st.button(t("audit.reset", lang), on_click=reset_audit_filters, key="audit_reset_empty", type="primary")
    st.stop()

audit_pager(trail, lang)
selected = audit_table(trail.entries, flt, trail.page, lang)
audit_downloads(
    lambda: cache.audit_export(ctx.settings, ctx.scope, ctx.alliance_id, flt, lang),
    total=trail.total,
    flt=flt,
    alliance_name=alliance["name"],
    language=lang,
)
if selected is None:
    st.caption(t("audit.detail.hint", lang))
else:
    audit_detail(selected, lang)

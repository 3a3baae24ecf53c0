"""Daten importieren: upload official statistics, see what would change, confirm, and the import runs in one go."""

import streamlit as st

from dashboard import cache
from dashboard.data_access.observation_import import can_import
from dashboard.i18n import t
from dashboard.ui.context import page_context
from dashboard.ui.data_import import (
    UPLOAD_LIMIT_MB,
    confirm_and_import,
    current_plan,
    forget_staged,
    format_help,
    format_picker,
    preview,
    show_issues,
    staged_file,
)

ctx = page_context()
lang = ctx.language
st.title(t("data_import.title", lang))
st.caption(t("data_import.intro", lang))
if not can_import(ctx.scope):
    st.info(t("data_import.not_allowed", lang), icon=":material/lock:")
    st.stop()

format_help(lang)
# The server's maxUploadSize (config.toml) caps every upload; the widget must not promise more than that.
limit = min(UPLOAD_LIMIT_MB, int(st.get_option("server.maxUploadSize")))
upload = st.file_uploader(
    t("data_import.uploader", lang),
    type=["csv"],
    max_upload_size=limit,
    help=t("data_import.uploader_help", lang, limit=limit),
    key="import_file",
)
chosen = format_picker(lang)
if upload is None:
    forget_staged()
    st.stop()

data = upload.getvalue()
if len(data) > limit * 1024 * 1024:
    st.error(t("data_import.too_large", lang, limit=limit), icon=":material/error:")
    st.stop()
staged = staged_file(data, upload.name, chosen)
plan = current_plan(cache.engine(ctx.settings), ctx.scope, staged)
if plan is None or staged.parsed is None:
    show_issues(staged, lang)
    st.stop()

preview(staged.parsed, plan, lang)
confirm_and_import(cache.engine(ctx.settings), ctx.scope, staged, plan, lang)

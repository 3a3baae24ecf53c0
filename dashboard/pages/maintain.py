"""Daten pflegen: forms for projects, money, indicator values, targets and budgets; bulk import; archive.

The forms read through data_access.editing directly, not through the caches: a form must open the record as it
is stored now (its version is what the optimistic lock compares); every successful write clears the caches.
"""

import streamlit as st

from dashboard import cache
from dashboard.i18n import t
from dashboard.ui import (
    maintain_archive,
    maintain_bulk,
    maintain_money,
    maintain_projects,
    maintain_targets,
    maintain_values,
)
from dashboard.ui.context import page_context
from dashboard.ui.maintain import MaintainContext, keep_form_state, show_flash
from dashboard.ui.text import plain

ctx = page_context()
lang = ctx.language
st.title(t("maintain.title", lang))
st.caption(plain(ctx.alliance["name"]))
if not ctx.scope.writes_anything:
    # Liaisons (and members without an organisation) read everything they may, but change nothing.
    st.info(t("maintain.read_only", lang), icon=":material/lock:")
    st.stop()

m = MaintainContext(
    engine=cache.engine(ctx.settings),
    scope=ctx.scope,
    language=lang,
    alliance_id=ctx.alliance_id,
    upload_limit_mb=ctx.settings.access.bulk_max_mb,
    period=(ctx.alliance["period_start"], ctx.alliance["period_end"]),
)
show_flash()
keep_form_state()
tabs = {
    "projects": maintain_projects.render,
    "money": maintain_money.render,
    "values": maintain_values.render,
}
if m.can_manage:
    tabs["targets"] = maintain_targets.render
tabs["bulk"] = maintain_bulk.render
if m.can_manage:
    tabs["archive"] = maintain_archive.render

# Only the open tab runs (on_change="rerun"): each tab reads the database afresh.
containers = st.tabs([t(f"maintain.tab.{name}", lang) for name in tabs], key="maintain_tab", on_change="rerun")
for render, container in zip(tabs.values(), containers, strict=True):
    if container.open:
        with container:
            render(m)

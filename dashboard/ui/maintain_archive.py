"""Tab „Archiv“ of „Daten pflegen“ (speakers and admins): archived projects, entries and targets, restorable."""

from __future__ import annotations

import streamlit as st

from dashboard.data_access import editing
from dashboard.data_access.scope import PermissionDenied
from dashboard.data_access.writes import NotFound, ValidationFailed
from dashboard.i18n import formats, t
from dashboard.ui.maintain import MaintainContext, written
from dashboard.ui.text import plain

SHOWN = 200  # restore buttons listed at most (the newest first)


def render(m: MaintainContext) -> None:
    lang = m.language
    if not m.can_manage:
        st.info(t("maintain.archive_tab.not_allowed", lang), icon=":material/lock:")
        return
    archived = editing.archived_records(m.engine, m.scope, m.alliance_id, language=lang)
    if archived.is_empty():
        st.info(t("maintain.archive_tab.empty", lang), icon=":material/inventory_2:")
        return
    st.caption(t("maintain.archive_tab.intro", lang, count=formats.number(archived.height, lang)))
    newest = archived.sort("archived_at", descending=True, nulls_last=True).head(SHOWN)
    # One row of text and a button per archived record: a list a person reads, capped above.
    for table, record_id, text, archived_at in newest.select("table", "id", "label", "archived_at").iter_rows():
        what, when, button = st.columns([6, 2, 2], vertical_alignment="center")
        what.markdown(f"**{t(f'maintain.archive_tab.table.{table}', lang)}** · {plain(text)}")
        when.caption(
            t(
                "maintain.archive_tab.archived_on",
                lang,
                day=formats.day(archived_at.date() if archived_at else None, lang),
            )
        )
        if button.button(
            t("maintain.restore", lang), icon=":material/unarchive:", key=f"ma_restore_{table}_{record_id}"
        ):
            _restore(m, table, int(record_id), text)
    if archived.height > SHOWN:
        st.caption(t("maintain.archive_tab.more", lang, count=formats.number(archived.height - SHOWN, lang)))


def _restore(m: MaintainContext, table: str, record_id: int, text: str) -> None:
    try:
        editing.restore(m.engine, m.scope, table, record_id)
    except PermissionDenied:
        st.error(t("maintain.denied", m.language), icon=":material/block:")
        return
    except NotFound:
        st.warning(t("maintain.archive_tab.gone", m.language), icon=":material/info:")
        return
    except ValidationFailed as exc:
        # e.g. another project has taken the archived one's title meanwhile
        st.error("\n".join(f"- {plain(error.text(m.language))}" for error in exc.errors), icon=":material/error:")
        return
    written(t("maintain.restored", m.language, what=text))

"""The open application: its key facts, then scoring, statement and decision, each in its own tab."""

from __future__ import annotations

import streamlit as st

from dashboard import cache
from dashboard.data_access.scope import PermissionDenied
from dashboard.data_access.writes import NotFound
from dashboard.i18n import t
from dashboard.ui.applications import DetailContext, key_facts, open_failed
from dashboard.ui.applications_decision import decision_area
from dashboard.ui.applications_scoring import scoring_area
from dashboard.ui.applications_statement import statement_area

SECTIONS = ("scoring", "statement", "decision")
SECTION = "antrag_bereich"  # the open section of the detail (its tab label)


def application_detail(d: DetailContext, alliance_id: int, project_id: int) -> None:
    """Everything about one application, as the caller may see and change it; user text stays plain text."""
    try:
        view = cache.application_view(d.settings, d.scope, project_id, d.today)
    except (NotFound, PermissionDenied) as error:
        open_failed(error, d.language)
        return
    if view.alliance_id != alliance_id:  # a link into another alliance than the one picked in the sidebar
        open_failed(NotFound(project_id), d.language)
        return
    with st.container(border=True):
        key_facts(view, d.language)
        # Stateful tabs: a save reruns the page and the user stays in the section; only the open one runs.
        tabs = st.tabs(
            [t(f"applications.section.{name}", d.language) for name in SECTIONS], key=SECTION, on_change="rerun"
        )
        for tab, area in zip(tabs, (scoring_area, statement_area, decision_area), strict=True):
            if tab.open:
                with tab:
                    area(d, view)

"""Widget values mirrored in the URL (?alliance=slug&lang=en&thema=…), so a copied link reproduces the view.

Streamlit's ``bind="query-params"`` writes a selectbox's *formatted label* into the URL; we want stable
codes (slugs, AGS, status codes) that survive a language switch, so these helpers bind explicitly:
the URL seeds a widget's state on the session's first run, and every run writes the state back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

_SEEDED = "_url_seeded"


def _first_run_for(key: str) -> bool:
    """Whether the URL should seed the widget: the session's first run, or the widget's state is gone.

    Streamlit drops a widget's state when a run does not draw it (the user was on another page), so coming back
    (or following a link with parameters) seeds from the URL again instead of falling back to the widget default.
    """
    seeded: set[str] = st.session_state.setdefault(_SEEDED, set())
    if key in seeded and key in st.session_state:
        return False
    seeded.add(key)
    return True


def seed_from_url(key: str, options: Sequence[str], default: str) -> None:
    """Before a single-choice widget is built: take ?key=… if it names an option (first run only)."""
    first_run = _first_run_for(key)
    requested = st.query_params.get(key)
    if first_run and requested in options:
        st.session_state[key] = requested
    elif st.session_state.get(key) not in options:
        st.session_state[key] = default


def seed_list_from_url(key: str, options: Sequence[str]) -> None:
    """Before a multiselect: take every ?key=a&key=b that names an option (first run); drop stale values."""
    if _first_run_for(key):
        st.session_state[key] = [value for value in st.query_params.get_all(key) if value in options]
    else:
        st.session_state[key] = [value for value in st.session_state.get(key, []) if value in options]


def seed_text_from_url(key: str) -> None:
    if _first_run_for(key):
        st.session_state[key] = st.query_params.get(key, "")


def seed_date_from_url(key: str) -> None:
    if _first_run_for(key):
        raw = st.query_params.get(key)
        try:
            st.session_state[key] = date.fromisoformat(raw) if raw else None
        except ValueError:
            st.session_state[key] = None


def seed_page_from_url(key: str) -> None:
    """Before a page-number widget: take ?key=N (N ≥ 1) on the first run, else page 1."""
    if _first_run_for(key):
        raw = st.query_params.get(key, "")
        st.session_state[key] = int(raw) if raw.isdigit() and int(raw) > 0 else 1


def write_to_url(key: str, value: str | Sequence[str] | date | None) -> None:
    """Mirror a value in the URL; empty values leave the URL clean."""
    if value in (None, "", [], ()):
        if key in st.query_params:
            del st.query_params[key]
        return
    if isinstance(value, date):
        value = value.isoformat()
    if isinstance(value, str):
        if st.query_params.get(key) != value:
            st.query_params[key] = value
    elif st.query_params.get_all(key) != list(value):
        st.query_params[key] = list(value)


def stichtag_picker(key: str, area: DeltaGenerator, label: str, help_text: str) -> date:
    """A date input bound to ?key=YYYY-MM-DD that defaults to today (Germany); a clean URL means today."""
    from dashboard.domain.overview import today  # the domain's notion of "today" in Europe/Berlin

    seed_date_from_url(key)
    if not st.session_state.get(key):
        st.session_state[key] = today()
    chosen = area.date_input(label, key=key, format="DD.MM.YYYY", help=help_text) or today()
    write_to_url(key, None if chosen == today() else chosen)
    return chosen

"""Widget values mirrored in the URL (?alliance=slug&lang=en), so a copied link reproduces the view.

Streamlit's ``bind="query-params"`` writes a selectbox's *formatted label* into the URL; for codes like
alliance slugs and language codes we want the code itself, so these helpers bind explicitly.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st


def seed_from_url(key: str, options: Sequence[str], default: str) -> None:
    """Before the widget is built: take ?key=… if it names an option, on the session's first run only."""
    if key in st.session_state and st.session_state[key] in options:
        return
    requested = st.query_params.get(key)
    st.session_state[key] = requested if requested in options else default


def write_to_url(key: str, value: str) -> None:
    if st.query_params.get(key) != value:
        st.query_params[key] = value

"""The page context the app shell builds once per run: settings, scope, language and chosen alliance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard.config import Settings
from dashboard.data_access.scope import Scope

_KEY = "_page_context"


@dataclass(frozen=True)
class PageContext:
    settings: Settings
    scope: Scope
    language: str
    alliance: dict[str, Any]  # one row of queries.alliances

    @property
    def alliance_id(self) -> int:
        return int(self.alliance["id"])


def set_page_context(context: PageContext) -> None:
    st.session_state[_KEY] = context


def page_context() -> PageContext:
    context: PageContext = st.session_state[_KEY]
    return context

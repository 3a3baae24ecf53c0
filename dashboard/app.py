"""App shell: page config, sidebar (language, alliance, user), navigation and configuration errors."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard import cache
from dashboard.config import ConfigError, load_settings
from dashboard.data_access.scope import DEMO_SCOPE
from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from dashboard.ui.context import PageContext, set_page_context
from dashboard.ui.url_state import seed_from_url, write_to_url

PAGES_DIR = "dashboard/pages"
# A local icon: a :material/…: page icon would make every browser fetch it from Google's font servers.
FAVICON = str(Path(__file__).resolve().parent / "assets" / "favicon.png")


def _language(default: str, area: DeltaGenerator) -> str:
    seed_from_url("lang", list(LANGUAGES), default)
    language = area.selectbox(
        "Sprache / Language", options=list(LANGUAGES), format_func=LANGUAGES.__getitem__, key="lang"
    )
    write_to_url("lang", language)
    return str(language)


def _alliance_picker(
    options: list[str], names: dict[str, str], default: str, language: str, area: DeltaGenerator
) -> str:
    previous = st.session_state.get("_previous_alliance")
    seed_from_url("alliance", options, default if default in options else options[0])
    slug = area.selectbox(t("app.alliance", language), options=options, format_func=names.__getitem__, key="alliance")
    write_to_url("alliance", slug)
    if previous is not None and previous != slug:
        # A new alliance starts at today's Stichtag rather than inheriting the last one.
        for key in ("as_of", "stichtag", "fonds"):
            st.session_state.pop(key, None)
    st.session_state["_previous_alliance"] = slug
    return str(slug)


def main() -> None:
    st.set_page_config(page_title="Fachkräfte-Cockpit", page_icon=FAVICON, layout="wide")
    try:
        settings = load_settings()
    except ConfigError as exc:
        st.error(t("app.config_error", DEFAULT_LANGUAGE, message=str(exc)), icon=":material/error:")
        st.stop()
    # Containers fix the sidebar's order: title and alliance on top, the language picker at the bottom,
    # although the language must be read first.
    top, bottom = st.sidebar.container(), st.sidebar.container()
    language = _language(settings.language, bottom)
    top.title(t("app.title", language))
    try:
        cache.engine(settings)
    except ConfigError as exc:
        st.error(t("app.config_error", language, message=str(exc)), icon=":material/error:")
        st.stop()
    if not cache.schema_ready(settings):
        st.warning(t("app.no_schema", language), icon=":material/database:")
        st.code("cockpit db upgrade\ncockpit seed", language="bash")
        st.stop()
    scope = DEMO_SCOPE
    alliances = cache.alliances(settings, scope)
    if alliances.is_empty():
        st.info(t("app.no_alliances", language), icon=":material/info:")
        st.code("cockpit seed", language="bash")
        st.stop()
    names = dict(zip(alliances["slug"].to_list(), alliances["short_name"].to_list(), strict=True))
    slug = _alliance_picker(alliances["slug"].to_list(), names, settings.default_alliance, language, top)
    alliance = alliances.filter(slug=slug).row(0, named=True)
    top.caption(t("app.demo_scope", language))
    set_page_context(PageContext(settings=settings, scope=scope, language=language, alliance=alliance))

    pages = {
        t("nav.section.cockpit", language): [
            st.Page(
                f"{PAGES_DIR}/overview.py",
                title=t("nav.overview", language),
                icon=":material/dashboard:",
                url_path="uebersicht",
                default=True,
            ),
            st.Page(
                f"{PAGES_DIR}/projects.py",
                title=t("nav.projects", language),
                icon=":material/work:",
                url_path="projekte",
            ),
            st.Page(
                f"{PAGES_DIR}/funds.py",
                title=t("nav.funds", language),
                icon=":material/euro:",
                url_path="mittelverwendung",
            ),
            st.Page(
                f"{PAGES_DIR}/targets.py",
                title=t("nav.targets", language),
                icon=":material/flag:",
                url_path="ziele",
            ),
            st.Page(
                f"{PAGES_DIR}/region.py",
                title=t("nav.region", language),
                icon=":material/map:",
                url_path="region",
            ),
        ],
        t("nav.section.ministry", language): [
            st.Page(
                f"{PAGES_DIR}/compare.py",
                title=t("nav.compare", language),
                icon=":material/compare_arrows:",
                url_path="buendnisvergleich",
            ),
        ],
        t("nav.section.data", language): [
            st.Page(
                f"{PAGES_DIR}/data_import.py",
                title=t("nav.import", language),
                icon=":material/upload_file:",
                url_path="import",
            ),
        ],
    }
    st.navigation(pages).run()

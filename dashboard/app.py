"""App shell: page config, sidebar (language, alliance, user), navigation and configuration errors."""

from __future__ import annotations

import copy
import gc
import threading
from pathlib import Path
from typing import Literal

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.navigation.page import StreamlitPage

from dashboard import cache
from dashboard.config import ConfigError, load_settings
from dashboard.data_access.vocabulary import Role
from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from dashboard.logging_setup import configure_logging
from dashboard.ui import access, auth
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


_heap_frozen = threading.Event()
_heap_lock = threading.Lock()


def _freeze_heap_once() -> None:
    """Move everything alive after the process's first script run out of the cyclic garbage collector's reach.

    Why: the app's heap after a first run (Streamlit, Plotly's validators, Polars, SQLAlchemy, the i18n catalogues:
    about 250,000 objects the collector tracks) lives as long as the process, but Python's full collection walks
    all of it every time – a pause of 85–110 ms every 15–40 reruns on two cores, the spike in every page's warm p95.
    Frozen objects are skipped, so a full collection walks only what was created since.
    Trade-off: frozen objects are never collected by the cyclic GC – reference counting still frees them, but
    garbage among them that sits in a reference cycle is kept for the life of the process. Hence once, after the
    startup imports and the first full run (when the heap is mostly what stays anyway), and not on every run, which
    would also pin each session's cyclic garbage.
    """
    with _heap_lock:
        if _heap_frozen.is_set():
            return
        _heap_frozen.set()
    gc.collect()
    gc.freeze()


def main() -> None:
    try:
        _main()
    finally:  # also when the run ends in st.stop() or a rerun
        _freeze_heap_once()


def _main() -> None:
    configure_logging()  # once per process; a rerun finds the handler and adds none
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
    user = auth.signed_in(settings, cache.engine(settings), language, top)
    if user is None:
        _navigation(None, language)  # every page registered, none shown: a deep link survives the sign-in
        auth.sign_in_screen(cache.engine(settings), language)
        return
    alliances = cache.alliances(settings, user.listing_scope)
    if alliances.is_empty():
        st.info(t("app.no_alliances", language), icon=":material/info:")
        st.code("cockpit seed", language="bash")
        st.stop()
    names = dict(zip(alliances["slug"].to_list(), alliances["short_name"].to_list(), strict=True))
    home = settings.default_alliance
    if user.home_alliance_id is not None:
        home = next(iter(alliances.filter(id=user.home_alliance_id)["slug"]), home)
    slug = _alliance_picker(alliances["slug"].to_list(), names, home, language, top)
    alliance = alliances.filter(slug=slug).row(0, named=True)
    scope, organisation = user.scope, user.organisation
    if scope is None:
        scope, organisation = auth.member_scope(cache.engine(settings), alliance, language, top)
    auth.account_box(user, organisation, language, top)
    set_page_context(PageContext(settings=settings, scope=scope, language=language, alliance=alliance))

    page, spec = _navigation(scope.role, language)
    if access.may_open(scope.role, spec.url_path):
        page.run()
    else:
        auth.denied(t(spec.title, language), access.roles_for(spec.url_path), language)


# st.Page resolves its script's path on disk, checks the file and hashes the URL path: ~0.2 ms a page, 2 ms a run
# for the menu. Each page is built once per process (title and visibility in the key: 11 pages × 2 languages × 2
# visibilities at most) and every run takes a shallow copy: the copies are the run's own, since st.navigation marks
# the page it returns as callable and the page's run() unmarks it, which shared objects would race on.
_page_prototypes: dict[tuple[str, str, str], StreamlitPage] = {}


def _page(spec: access.PageSpec, title: str, visibility: Literal["visible", "hidden"]) -> StreamlitPage:
    key = (spec.url_path, title, visibility)
    prototype = _page_prototypes.get(key)
    if prototype is None:
        prototype = _page_prototypes[key] = st.Page(
            f"{PAGES_DIR}/{spec.script}",
            title=title,
            icon=spec.icon,
            url_path=spec.url_path,
            default=spec.url_path == access.DEFAULT_PAGE,
            visibility=visibility,
        )
    return copy.copy(prototype)


def _navigation(role: Role | None, language: str) -> tuple[StreamlitPage, access.PageSpec]:
    """The menu of the role (pages it may not open are registered hidden, so their URL answers "Kein Zugriff"),
    and the page this run shows."""
    pages: dict[str, list[StreamlitPage]] = {}
    specs: dict[int, access.PageSpec] = {}
    for spec in access.PAGES:
        page = _page(spec, t(spec.title, language), "visible" if access.may_open(role, spec.url_path) else "hidden")
        pages.setdefault(t(spec.section, language), []).append(page)
        specs[id(page)] = spec
    chosen = st.navigation(pages)
    return chosen, specs[id(chosen)]

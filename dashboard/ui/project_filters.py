"""The filter bar of the project page: widgets bound to the URL, a reset action, and the typed filter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard.data_access.project_filter import ProjectFilter
from dashboard.data_access.vocabulary import Fund, ProjectStatus
from dashboard.domain.portfolio import ChartSelection
from dashboard.i18n import label, t
from dashboard.ui.url_state import seed_date_from_url, seed_list_from_url, seed_text_from_url, write_to_url

# Widget keys double as URL parameter names (German, like the UI): ?thema=…&kreis=03153
LIST_KEYS = ("thema", "status", "partner", "kreis", "fonds")
DATE_KEYS = ("von", "bis")
TEXT_KEY = "suche"
# Funding periods reach back to the ESF 2007–2013 period; Streamlit's default window is only ±10 years.
EARLIEST, LATEST = date(2000, 1, 1), date(2045, 12, 31)
SELECTION_GENERATION = "projects_selection_generation"


@dataclass(frozen=True)
class FilterOptions:
    topics: list[str]
    members: list[str]
    regions: dict[str, str]  # AGS -> name


def filter_options(topics: pl.DataFrame, members: pl.DataFrame, regions: pl.DataFrame) -> FilterOptions:
    """Options come from the alliance's master data, so a link may name a topic without projects."""
    return FilterOptions(
        topics=topics["name"].to_list(),
        members=members["name"].to_list(),
        regions=dict(zip(regions["ags"].to_list(), regions["name"].to_list(), strict=True)),
    )


def reset_filters() -> None:
    """Callback of the reset action: every filter back to "all", chart selections cleared."""
    for key in LIST_KEYS:
        st.session_state[key] = []
    for key in DATE_KEYS:
        st.session_state[key] = None
    st.session_state[TEXT_KEY] = ""
    clear_chart_selection()


def clear_chart_selection() -> None:
    # A chart's selection lives in its widget state; a new key renders it unselected.
    st.session_state[SELECTION_GENERATION] = st.session_state.get(SELECTION_GENERATION, 0) + 1


def project_filter_bar(options: FilterOptions, language: str) -> ProjectFilter:
    statuses = [s.value for s in ProjectStatus]
    funds = [f.value for f in Fund]
    choices = {
        "thema": options.topics,
        "status": statuses,
        "partner": options.members,
        "kreis": list(options.regions),
        "fonds": funds,
    }
    for key, values in choices.items():
        seed_list_from_url(key, values)
    for key in DATE_KEYS:
        seed_date_from_url(key)
    seed_text_from_url(TEXT_KEY)

    first, second = st.columns(3), st.columns([1, 1, 1, 1, 1])
    everything = t("projects.filter.all", language)
    first[0].multiselect(t("projects.filter.topic", language), options.topics, key="thema", placeholder=everything)
    first[1].multiselect(
        t("projects.filter.status", language),
        statuses,
        key="status",
        placeholder=everything,
        format_func=lambda c: label("status", c, language),
    )
    first[2].multiselect(t("projects.filter.member", language), options.members, key="partner", placeholder=everything)
    second[0].multiselect(
        t("projects.filter.region", language),
        list(options.regions),
        key="kreis",
        placeholder=everything,
        format_func=options.regions.__getitem__,
    )
    second[1].multiselect(
        t("projects.filter.fund", language),
        funds,
        key="fonds",
        placeholder=everything,
        format_func=lambda c: label("fund", c, language),
    )
    second[2].date_input(
        t("projects.filter.from", language), key="von", format="DD.MM.YYYY", min_value=EARLIEST, max_value=LATEST
    )
    second[3].date_input(
        t("projects.filter.to", language), key="bis", format="DD.MM.YYYY", min_value=EARLIEST, max_value=LATEST
    )
    second[4].text_input(
        t("projects.filter.search", language), key=TEXT_KEY, placeholder=t("projects.filter.search_hint", language)
    )

    for key in (*LIST_KEYS, *DATE_KEYS, TEXT_KEY):
        write_to_url(key, st.session_state.get(key))
    return ProjectFilter.of(
        topics=st.session_state["thema"],
        statuses=st.session_state["status"],
        members=st.session_state["partner"],
        regions=st.session_state["kreis"],
        funds=st.session_state["fonds"],
        runs_from=st.session_state["von"],
        runs_to=st.session_state["bis"],
        search=st.session_state[TEXT_KEY].strip(),
    )


def selected_points(figure: go.Figure, event: object) -> list[tuple[str, object]]:
    """(trace meta, point customdata) of every point selected in a chart's on_select event."""
    points = getattr(getattr(event, "selection", None), "points", None) or []
    result = []
    for point in points:
        curve, index = point.get("curve_number"), point.get("point_index", point.get("point_number"))
        if curve is None or index is None or curve >= len(figure.data):
            continue
        trace = figure.data[curve]
        result.append((str(trace.meta), trace.customdata[index]))
    return result


def chart_selection(bars: list[tuple[str, object]], timeline: list[tuple[str, object]]) -> ChartSelection:
    return ChartSelection(
        bars=tuple(sorted({(str(topic), status) for status, topic in bars})),
        project_ids=tuple(sorted({int(str(project_id)) for _, project_id in timeline})),
    )

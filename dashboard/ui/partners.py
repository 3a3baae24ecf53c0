"""Pieces of the Partner page: URL-bound filters, the chosen partner, charts, the table with downloads, the detail."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

import polars as pl
import streamlit as st

from dashboard.cache import PartnerData
from dashboard.charts.partners import TYPE_ORDER, partner_network_figure, partners_by_type_figure
from dashboard.data_access.partners import PartnerView
from dashboard.data_access.vocabulary import ProjectStatus, Recommendation
from dashboard.domain.overview import today
from dashboard.domain.partners import PartnerFilter, type_counts
from dashboard.exporters.partners import partners_csv, partners_xlsx
from dashboard.i18n import formats, label, t
from dashboard.ui import access
from dashboard.ui.text import plain
from dashboard.ui.url_state import seed_list_from_url, write_to_url

# Widget keys double as URL parameters (?typ=ihk&sitz=03101&partner=12). "kreis" and "partner" as widget keys belong
# to the projects page (its filters, by organisation name); this page keeps its own so the two never share state.
TYPE_KEY, REGION_KEY = "typ", "sitz"
URL_PARTNER = "partner"
DETAIL_KEY = "partner_detail"
_LAST_URL, _LAST_TABLE, _LAST_CHART = "_partner_last_url", "_partner_last_table", "_partner_last_chart"
CHART_KEY = "partner_network"
PROJECTS_PAGE = "dashboard/pages/projects.py"
APPLICATIONS_PAGE = "dashboard/pages/applications.py"
APPLICATION_LINKS = 8  # links under the assessments table; the rest are a click away on the applications page


STATUSES = [status.value for status in ProjectStatus]
RECOMMENDATIONS = [recommendation.value for recommendation in Recommendation]


def _labels(column: str, kind: str, codes: list[str], language: str) -> pl.Expr:
    return pl.col(column).replace_strict(codes, [label(kind, code, language) for code in codes], default=pl.col(column))


def reset_filters() -> None:
    st.session_state[TYPE_KEY] = []
    st.session_state[REGION_KEY] = []


def partner_filter_bar(partners: pl.DataFrame, language: str) -> PartnerFilter:
    """Type and Kreis multiselects bound to the URL; options are what the alliance's partners have."""
    present = set(partners["member_type"].to_list())
    types = [code for code in TYPE_ORDER if code in present]
    seats = partners.filter(pl.col("region_ags").is_not_null()).unique("region_ags").sort("region_ags")
    regions = dict(zip(seats["region_ags"].to_list(), seats["region_name"].fill_null("").to_list(), strict=True))
    seed_list_from_url(TYPE_KEY, types)
    seed_list_from_url(REGION_KEY, list(regions))
    everything = t("partners.filter.all", language)
    left, right, button = st.columns([2, 2, 1], vertical_alignment="bottom")
    left.multiselect(
        t("partners.filter.type", language),
        types,
        key=TYPE_KEY,
        placeholder=everything,
        format_func=lambda code: label("member_type", code, language),
    )
    right.multiselect(
        t("partners.filter.region", language),
        list(regions),
        key=REGION_KEY,
        placeholder=everything,
        format_func=lambda ags: regions.get(ags) or ags,
    )
    button.button(
        t("partners.reset", language), on_click=reset_filters, icon=":material/filter_alt_off:", key="partner_reset"
    )
    for key in (TYPE_KEY, REGION_KEY):
        write_to_url(key, st.session_state.get(key))
    return PartnerFilter(
        types=tuple(sorted(st.session_state[TYPE_KEY])), regions=tuple(sorted(st.session_state[REGION_KEY]))
    )


def table_key(flt: PartnerFilter) -> str:
    """A table per filter: a row index picked under one filter must not pick a different partner under another."""
    return f"partner_table_{zlib.crc32(repr(flt).encode()):08x}"


def chosen_partner(partner_ids: list[int], table_ids: list[int], key: str) -> int | None:
    """The partner shown in detail: the last of a followed link (?partner=<id>), a row picked in the table, a point
    clicked in the network and the picker. Picks are read from the widgets' state before they are drawn, so the
    network and the table already show this run's choice."""
    state = st.session_state
    requested = st.query_params.get(URL_PARTNER)
    if requested != state.get(_LAST_URL):  # a link into the page, not our own write-back
        state[_LAST_URL] = requested
        state[DETAIL_KEY] = int(requested) if requested and requested.isdigit() else None
    rows = _rows(state.get(key))
    if (key, rows) != state.get(_LAST_TABLE):
        same_table = (state.get(_LAST_TABLE) or (None,))[0] == key
        state[_LAST_TABLE] = (key, rows)
        if same_table or rows:
            state[DETAIL_KEY] = table_ids[rows[0]] if rows and rows[0] < len(table_ids) else None
    clicked = _clicked_partner(state.get(CHART_KEY))
    if clicked != state.get(_LAST_CHART):
        state[_LAST_CHART] = clicked
        if clicked is not None:
            state[DETAIL_KEY] = clicked
    if state.get(DETAIL_KEY) not in partner_ids:
        state[DETAIL_KEY] = None
    chosen: int | None = state[DETAIL_KEY]
    return chosen


def _rows(selection_state: Any) -> list[int]:
    if isinstance(selection_state, Mapping):
        return list((selection_state.get("selection") or {}).get("rows") or [])
    return []


def _clicked_partner(chart_state: Any) -> int | None:
    selection = chart_state.get("selection") if isinstance(chart_state, Mapping) else None
    points = (selection or {}).get("points") or []
    for point in points:
        data = point.get("customdata")
        if isinstance(data, list | tuple) and data:
            return int(data[0])
    return None


def partner_picker(partners: pl.DataFrame, language: str) -> int | None:
    """The picker of the detail (same state as table and network picks); mirrors the choice in ?partner=."""
    names = dict(zip(partners["member_id"].to_list(), partners["name"].to_list(), strict=True))
    chosen = st.selectbox(
        t("partners.detail.pick", language),
        list(names),
        index=None,
        key=DETAIL_KEY,
        format_func=lambda member_id: names.get(member_id, str(member_id)),
        placeholder=t("partners.detail.placeholder", language),
    )
    written = str(chosen) if chosen is not None else None
    write_to_url(URL_PARTNER, written)
    st.session_state[_LAST_URL] = written
    return int(chosen) if chosen is not None else None


def kpi_row(shown: pl.DataFrame, network: pl.DataFrame, language: str) -> None:
    ids = shown["member_id"].to_list()
    pairs = network.filter(pl.col("member_a").is_in(ids) & pl.col("member_b").is_in(ids)).height
    involvements = int(shown.select(pl.sum("projects_led") + pl.sum("projects_joined")).item())
    count, together, projects, assessed = st.columns(4)
    count.metric(t("partners.kpi.partners", language), formats.number(shown.height, language))
    together.metric(
        t("partners.kpi.pairs", language), formats.number(pairs, language), help=t("partners.kpi.pairs_help", language)
    )
    projects.metric(
        t("partners.kpi.projects", language),
        formats.number(involvements, language),
        help=t("partners.kpi.projects_help", language),
    )
    assessed.metric(
        t("partners.kpi.assessed", language),
        formats.number(int(shown["applications_assessed"].sum()), language),
        help=t("partners.kpi.assessed_help", language),
    )


def charts(data: PartnerData, everyone: pl.DataFrame, shown: pl.DataFrame, selected: int | None, language: str) -> None:
    """The network (every partner; those outside the filters faint) and the partners of the shown rows per type."""
    nodes = (
        everyone.join(data.layout, on="member_id")
        .with_columns(
            (pl.col("projects_led") + pl.col("projects_joined")).alias("projects"),
            pl.col("member_id").is_in(shown["member_id"].to_list()).alias("shown"),
        )
        .select("member_id", "name", "member_type", "projects", "x", "y", "shown")
    )
    network, types = st.columns([3, 2])
    with network:
        st.subheader(t("partners.chart.network_title", language))
        own = frozenset(everyone.filter("is_own")["member_id"].to_list())
        figure = partner_network_figure(nodes, data.network, language, selected=selected, own=own)
        st.plotly_chart(figure, key=CHART_KEY, on_select="rerun", selection_mode="points", config={"scrollZoom": False})
        st.caption(t("partners.chart.network_caption", language))
        if data.network.is_empty():
            st.caption(t("partners.chart.no_edges", language))
    with types:
        st.subheader(t("partners.chart.types_title", language))
        st.plotly_chart(partners_by_type_figure(type_counts(shown), language), key="partner_types")


def partner_table(shown: pl.DataFrame, language: str, key: str) -> None:
    """The partners (own organisation first) with money in euros, a dash where the scope may not see it."""
    col = {name: t(f"partners.col.{name}", language) for name in (
        "organisation", "own", "type", "region", "led", "joined", "approved_led", "cofinancing", "assessed",
        "last_activity",
    )}  # fmt: skip

    def help_text(name: str) -> str:
        return t(f"partners.help.{name}", language)

    view = shown.select(
        pl.col("name").alias(col["organisation"]),
        *([pl.col("is_own").alias(col["own"])] if shown["is_own"].any() else []),
        _labels("member_type", "member_type", TYPE_ORDER, language).alias(col["type"]),
        pl.col("region_name").alias(col["region"]),
        pl.col("projects_led").alias(col["led"]),
        pl.col("projects_joined").alias(col["joined"]),
        # Display only (the exports carry exact Decimal euros).
        (pl.col("approved_led_cents") / 100).alias(col["approved_led"]),
        (pl.col("cofinancing_cents") / 100).alias(col["cofinancing"]),
        pl.col("applications_assessed").alias(col["assessed"]),
        pl.col("last_activity").alias(col["last_activity"]),
    )
    st.dataframe(
        view,
        key=key,
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        placeholder="–",
        width="stretch",
        column_config={
            col["organisation"]: st.column_config.TextColumn(width="medium", pinned=True),
            col["own"]: st.column_config.CheckboxColumn(width=130),
            col["led"]: st.column_config.NumberColumn(help=help_text("led")),
            col["joined"]: st.column_config.NumberColumn(help=help_text("joined")),
            col["approved_led"]: st.column_config.NumberColumn(
                format="euro", help=help_text("approved_led"), width=120
            ),
            col["cofinancing"]: st.column_config.NumberColumn(format="euro", help=help_text("cofinancing"), width=120),
            col["assessed"]: st.column_config.NumberColumn(help=help_text("assessed")),
            col["last_activity"]: st.column_config.DateColumn(format="DD.MM.YYYY", help=help_text("last_activity")),
        },
    )
    if not shown["money_visible"].all():
        st.caption(t("partners.money_hidden", language))
    st.caption(t("partners.definitions", language))


def download_buttons(shown: pl.DataFrame, alliance_name: str, flt: PartnerFilter, language: str) -> None:
    notes = [t("export.as_of", language, date=formats.day(today(), language))]
    described = [label("member_type", code, language) for code in flt.types]
    described += [
        str(name) for name in shown.filter(pl.col("region_ags").is_in(list(flt.regions)))["region_name"].unique().sort()
    ]
    notes.append(t("export.filters", language, filters=", ".join(described) or t("export.no_filters", language)))
    if not shown["money_visible"].all():
        notes.append(t("partners.export.money_note", language))
    notes.append(t("partners.definitions", language))
    title = t("partners.export.title", language, alliance=alliance_name)
    name = t("partners.export.file", language)
    csv_col, xlsx_col, _ = st.columns([1, 1, 2])
    csv_col.download_button(
        t("export.csv", language),
        data=lambda: partners_csv(shown, language),  # built when clicked, not on every rerun
        file_name=f"{name}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="partner_csv",
    )
    xlsx_col.download_button(
        t("export.xlsx", language),
        data=lambda: partners_xlsx(shown, language, title=title, notes=tuple(notes)),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/table:",
        key="partner_xlsx",
    )


def partner_detail(view: PartnerView, row: Mapping[str, Any], alliance_slug: str, role: Any, language: str) -> None:
    """One partner: what it contributes, its projects (with a link to them on the projects page) and the
    assessments it gave (with links to the applications page). User text goes out as plain text."""
    with st.container(border=True):
        st.subheader(plain(view.name))
        facts = [
            label("member_type", view.member_type, language),
            view.region_name or t("partners.detail.no_region", language),
        ]
        if view.joined_on is not None:
            facts.append(t("partners.detail.since", language, date=formats.day(view.joined_on, language)))
        st.caption(plain(" · ".join(facts)))
        if view.is_own:
            st.badge(t("partners.own_marker", language), icon=":material/star:", color="blue")
        _detail_metrics(row, language)
        _detail_projects(view, alliance_slug, language)
        _detail_assessments(view, alliance_slug, role, language)


def _detail_metrics(row: Mapping[str, Any], language: str) -> None:
    values = {
        "led": formats.number(row["projects_led"], language),
        "joined": formats.number(row["projects_joined"], language),
        "approved_led": formats.money(row["approved_led_cents"], language, cents=True),
        "cofinancing": formats.money(row["cofinancing_cents"], language, cents=True),
        "assessed": formats.number(row["applications_assessed"], language),
    }
    for column, (name, value) in zip(st.columns(len(values)), values.items(), strict=True):
        column.metric(t(f"partners.col.{name}", language), value, help=t(f"partners.help.{name}", language))


def _detail_projects(view: PartnerView, alliance_slug: str, language: str) -> None:
    st.markdown(f"**{t('partners.detail.projects', language)}**")
    if view.projects.is_empty():
        st.caption(t("partners.detail.no_projects", language))
        return
    roles = ["lead", "partner"]
    frame = view.projects.select(
        pl.col("title").alias(t("col.title", language)),
        pl.col("role")
        .replace_strict(roles, [t(f"partners.role.{r}", language) for r in roles])
        .alias(t("partners.detail.role", language)),
        _labels("status", "status", STATUSES, language).alias(t("col.status", language)),
        pl.col("lead_name").alias(t("col.lead", language)),
        pl.col("start_date").alias(t("col.start", language)),
        pl.col("end_date").alias(t("col.end", language)),
        (pl.col("approved_cents") / 100).alias(t("col.approved", language)),
    )
    st.dataframe(
        frame,
        hide_index=True,
        placeholder="–",
        width="stretch",
        column_config={
            t("col.start", language): st.column_config.DateColumn(format="DD.MM.YYYY"),
            t("col.end", language): st.column_config.DateColumn(format="DD.MM.YYYY"),
            t("col.approved", language): st.column_config.NumberColumn(format="euro"),
        },
    )
    st.page_link(
        PROJECTS_PAGE,
        label=t("partners.detail.to_projects", language),
        icon=":material/work:",
        query_params={"partner": view.name, "alliance": alliance_slug},
    )


def _detail_assessments(view: PartnerView, alliance_slug: str, role: Any, language: str) -> None:
    st.markdown(f"**{t('partners.detail.assessments', language)}**")
    if view.assessments.is_empty():
        st.caption(t("partners.detail.no_assessments", language))
        return
    states = ["none", "draft", "final"]
    frame = view.assessments.select(
        pl.col("title").alias(t("col.title", language)),
        pl.col("assessed_on").alias(t("partners.detail.assessed_on", language)),
        pl.col("weighted_total").alias(t("partners.detail.weighted_total", language)),
        pl.col("statement_state")
        .replace_strict(states, [t(f"partners.state.{s}", language) for s in states])
        .alias(t("partners.detail.statement", language)),
        _labels("recommendation", "recommendation", RECOMMENDATIONS, language).alias(
            t("partners.detail.recommendation", language)
        ),
    )
    st.dataframe(
        frame,
        hide_index=True,
        placeholder="–",
        width="stretch",
        column_config={
            t("partners.detail.assessed_on", language): st.column_config.DateColumn(format="DD.MM.YYYY"),
            t("partners.detail.weighted_total", language): st.column_config.NumberColumn(format="%.2f"),
        },
    )
    if not view.assessments["total_visible"].all():
        st.caption(t("partners.detail.total_hidden", language))
    if any(spec.url_path == "antraege" for spec in access.PAGES) and access.may_open(role, "antraege"):
        linked = view.assessments.unique("project_id", keep="first", maintain_order=True)
        for project_id, title in linked.head(APPLICATION_LINKS).select("project_id", "title").rows():
            st.page_link(
                APPLICATIONS_PAGE,
                label=plain(t("partners.detail.to_application", language, title=title)),
                icon=":material/rate_review:",
                query_params={"antrag": str(project_id), "alliance": alliance_slug},
            )
        if linked.height > APPLICATION_LINKS:
            st.caption(t("partners.detail.more_applications", language, count=linked.height - APPLICATION_LINKS))

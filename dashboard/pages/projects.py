"""Projekte: members find, filter, compare and export the alliance's projects; a link reproduces the view."""

import streamlit as st

from dashboard import cache
from dashboard.charts.projects import timeline_figure, topic_status_figure
from dashboard.data_access.project_filter import emptying_filter
from dashboard.domain.portfolio import (
    TIMELINE_LIMIT,
    apply_selection,
    portfolio_totals,
    timeline_rows,
    topic_status_matrix,
)
from dashboard.exporters.projects import filter_description
from dashboard.i18n import formats, t
from dashboard.ui.context import page_context
from dashboard.ui.project_detail import project_detail
from dashboard.ui.project_filters import (
    SELECTION_GENERATION,
    chart_selection,
    clear_chart_selection,
    filter_options,
    project_filter_bar,
    reset_filters,
    selected_points,
)
from dashboard.ui.project_table import download_buttons, project_table
from dashboard.ui.text import plain

ctx = page_context()
lang, alliance = ctx.language, ctx.alliance
st.title(t("projects.title", lang))
st.caption(plain(alliance["name"]))

master = cache.overview_data(ctx.settings, ctx.scope, ctx.alliance_id)
options = filter_options(master.topics, master.members, master.regions)
flt = project_filter_bar(options, lang)
st.button(t("projects.reset", lang), on_click=reset_filters, icon=":material/filter_alt_off:", key="reset_filters")

filtered = cache.projects(ctx.settings, ctx.scope, ctx.alliance_id, flt)
if filtered.is_empty():
    portfolio = cache.project_portfolio(ctx.settings, ctx.scope, ctx.alliance_id)
    culprit = emptying_filter(portfolio, flt) if not portfolio.is_empty() else None
    message = t(f"projects.empty.{culprit}", lang) if culprit else t("projects.empty.none", lang)
    st.info(message, icon=":material/search_off:")
    st.button(t("projects.reset", lang), on_click=reset_filters, key="reset_empty", type="primary")
    st.stop()

generation = st.session_state.get(SELECTION_GENERATION, 0)
measure = (
    st.segmented_control(
        t("projects.chart.measure", lang),
        ["projects", "approved_cents"],
        # A dict's lookup, not a lambda: session state keeps format_func, and a lambda would keep this page's whole
        # namespace (figures, frames) alive for the session (bench/load_test.py: +20 % → +11 % RSS on 200 sessions).
        format_func={m: t(f"projects.chart.{m}", lang) for m in ("projects", "approved_cents")}.__getitem__,
        default="projects",
        key="measure",
    )
    or "projects"
)
bars, timeline = st.columns([1, 1])
with bars:
    st.subheader(t("projects.chart.matrix_title", lang))
    bar_figure = topic_status_figure(topic_status_matrix(filtered), measure, lang)
    bar_event = st.plotly_chart(bar_figure, key=f"matrix_{generation}", on_select="rerun", selection_mode="points")
with timeline:
    st.subheader(t("projects.chart.timeline_title", lang))
    rows = timeline_rows(filtered)
    timeline_fig = timeline_figure(rows, lang)
    timeline_event = st.plotly_chart(
        timeline_fig, key=f"timeline_{generation}", on_select="rerun", selection_mode="points"
    )
    if filtered.height > rows.height:
        st.caption(t("projects.chart.timeline_limited", lang, shown=rows.height, limit=TIMELINE_LIMIT))

selection = chart_selection(selected_points(bar_figure, bar_event), selected_points(timeline_fig, timeline_event))
shown = apply_selection(filtered, selection)
if not selection.is_empty():
    note, clear = st.columns([5, 1], vertical_alignment="center")
    picked = [f"{plain(topic)} · {t(f'status.{status}', lang)}" for topic, status in selection.bars]
    picked += [plain(title) for title in shown.filter(shown["id"].is_in(list(selection.project_ids)))["title"]]
    note.info(t("projects.selection", lang, items=" | ".join(picked)), icon=":material/ads_click:")
    clear.button(t("projects.clear_selection", lang), on_click=clear_chart_selection, key="clear_selection")

totals = portfolio_totals(shown)
count, approved, disbursed = st.columns(3)
count.metric(t("projects.kpi.count", lang), formats.number(totals.projects, lang))
approved.metric(t("projects.kpi.approved", lang), formats.money(totals.approved_cents, lang, cents=True))
disbursed.metric(t("projects.kpi.disbursed", lang), formats.money(totals.disbursed_cents, lang, cents=True))
if totals.without_money:
    st.caption(t("projects.money_hidden", lang, count=formats.number(totals.without_money, lang)))

selected = project_table(shown, lang, key=f"projects_table_{generation}")
download_buttons(shown, alliance["name"], filter_description(flt, options.regions, lang), lang)
if selected is None:
    st.caption(t("projects.detail.hint", lang))
else:
    project_detail(selected, cache.project_detail(ctx.settings, ctx.scope, ctx.alliance_id, selected["id"]), lang)

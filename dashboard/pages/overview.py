"""Cockpit overview: an alliance's headline KPIs, money over the funding period, and its facts."""

import streamlit as st

from dashboard import cache
from dashboard.charts.overview import cumulative_flows_figure, horizontal_count_figure
from dashboard.charts.theme import GREEN
from dashboard.domain.overview import (
    cumulative_flows,
    flows_outside_period,
    overview_kpis,
    status_counts_in_order,
    time_elapsed_share,
    today,
)
from dashboard.i18n import formats, t
from dashboard.ui.context import page_context
from dashboard.ui.facts import alliance_facts, partner_table
from dashboard.ui.kpis import kpi_row
from dashboard.ui.targets import target_kpi
from dashboard.ui.text import plain

ctx = page_context()
lang, alliance = ctx.language, ctx.alliance
start, end = alliance["period_start"], alliance["period_end"]

st.title(plain(alliance["name"]))
heading, picker = st.columns([4, 1], vertical_alignment="bottom")
heading.caption(f"{plain(alliance['programme'])} · {t('overview.period', lang)} {formats.period(start, end, lang)}")
as_of = picker.date_input(
    t("overview.as_of", lang),
    value=today(),
    min_value=min(start, today()),
    max_value=max(end, today()),
    key="as_of",
    format="DD.MM.YYYY",
    help=t("overview.as_of_help", lang),
)
data = cache.overview_data(ctx.settings, ctx.scope, ctx.alliance_id)
kpis = overview_kpis(data.budget, data.flows, as_of)
kpi_row(kpis, time_elapsed_share(start, end, as_of), lang)
target_kpi(cache.target_tracking(ctx.settings, ctx.scope, ctx.alliance_id, as_of).assessed, lang)

st.subheader(t("overview.flows_title", lang))
flows = cumulative_flows(data.budget, data.flows, start, end)
if not any(flows[column].max() for column in ("committed_cents", "disbursed_cents", "budget_cents")):
    st.info(t("overview.no_money", lang), icon=":material/info:")
else:
    st.plotly_chart(cumulative_flows_figure(flows, start, end, as_of, lang), key="flows_chart")
    for kind, amount in flows_outside_period(data.flows, start, end).iter_rows():
        st.caption(t(f"overview.outside_period.{kind}", lang, amount=formats.money(amount, lang, cents=True)))

projects_col, partners_col = st.columns(2)
statuses = status_counts_in_order(data.status_counts)
with projects_col:
    st.subheader(t("overview.projects_title", lang, count=int(statuses["projects"].sum())))
    st.plotly_chart(horizontal_count_figure(statuses, "status", "projects", lang), key="status_chart")
with partners_col:
    st.subheader(t("overview.partners_title", lang, count=int(data.member_types["members"].sum())))
    st.plotly_chart(
        horizontal_count_figure(data.member_types, "member_type", "members", lang, GREEN), key="types_chart"
    )

st.subheader(t("facts.title", lang))
alliance_facts(alliance, data.regions, data.topics, lang)
with st.expander(t("facts.partners", lang, count=data.members.height)):
    partner_table(data.members, lang)
st.caption(f":material/info: {t('overview.example_data', lang)}", help=t("overview.example_data_help", lang))

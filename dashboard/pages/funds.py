"""Mittelverwendung: budget → committed → disbursed, the forecast to the deadline, risks, and the ministry report."""

import streamlit as st

from dashboard import cache
from dashboard.charts.funds import absorption_figure, breakdown_figure, funnel_figure
from dashboard.domain.fund_use import Breakdown
from dashboard.i18n import formats, label, t
from dashboard.ui.context import page_context
from dashboard.ui.fund_use import (
    breakdown_labels,
    breakdown_table,
    cofinancing_table,
    forecast_caption,
    fund_kpis,
    project_forecast_table,
    report_buttons,
    risk_list,
)
from dashboard.ui.text import plain
from dashboard.ui.url_state import seed_from_url, seed_list_from_url, stichtag_picker, write_to_url

ctx = page_context()
lang, alliance, rules = ctx.language, ctx.alliance, ctx.settings.fund_rules
st.title(t("funds.title", lang))
st.caption(f"{plain(alliance['name'])} · {t('funds.caption', lang)}")

available = cache.alliance_funds(ctx.settings, ctx.scope, ctx.alliance_id)
seed_list_from_url("fonds", available)
as_of_col, funds_col = st.columns([1, 3], vertical_alignment="bottom")
as_of = stichtag_picker("stichtag", as_of_col, t("funds.as_of", lang), t("funds.as_of_help", lang))
funds = funds_col.multiselect(
    t("funds.funds", lang),
    available,
    # A dict's lookup, not a lambda, which would keep the page's namespace alive in session state (projects.py).
    format_func={code: label("fund", code, lang) for code in available}.__getitem__,
    key="fonds",
    placeholder=t("funds.funds_placeholder", lang),
)
write_to_url("fonds", funds)

# In the fund list's order, so the same choice in another order hits the same cache entry.
view = cache.fund_use_view(ctx.settings, ctx.scope, alliance, as_of, tuple(f for f in available if f in funds))
if not view.funnel.planned_cents and not view.funnel.committed_cents:
    st.info(t("funds.no_money_for_funds" if funds else "funds.no_money", lang), icon=":material/info:")
    st.stop()

fund_kpis(view, lang)
forecast_caption(view, lang)
risk_list(view, lang)

st.subheader(t("funds.curve_title", lang))
st.plotly_chart(absorption_figure(view, lang), key="absorption_chart")
with st.expander(t("funds.method", lang), icon=":material/functions:"):
    st.markdown(
        t(
            "funds.method_text",
            lang,
            lag=rules.payment_lag_days,
            n=rules.decommitment_years,
            counting=formats.day(view.forecast.counting_until, lang),
            threshold=formats.number(rules.lag_threshold * 100, lang),
            unused=formats.percent(rules.unused_threshold, lang, decimals=0),
        )
    )

funnel_col, breakdown_col = st.columns([2, 3])
with funnel_col:
    st.subheader(t("funds.funnel_title", lang))
    st.plotly_chart(funnel_figure(view.funnel, lang), key="funnel_chart")
with breakdown_col:
    seed_from_url("aufschluesselung", [b.value for b in Breakdown], Breakdown.FUND.value)
    picked = st.segmented_control(
        t("funds.breakdown_picker", lang),
        [b.value for b in Breakdown],
        key="aufschluesselung",
        format_func={b.value: t(f"funds.breakdown.{b.value}", lang) for b in Breakdown}.__getitem__,
        required=True,
    )
    breakdown = Breakdown(picked or Breakdown.FUND.value)
    write_to_url("aufschluesselung", None if breakdown == Breakdown.FUND else breakdown.value)
    frame = view.breakdowns[breakdown]
    labels = breakdown_labels(frame, breakdown, lang)
    st.plotly_chart(breakdown_figure(frame, breakdown, labels, lang), key="breakdown_chart")
breakdown_table(frame, labels, lang, key="breakdown_table")
if breakdown == Breakdown.TOPIC:
    st.caption(t("funds.topics_note", lang))
elif breakdown in (Breakdown.LEAD, Breakdown.PROJECT):
    st.caption(t("funds.no_plan_note", lang))

st.subheader(t("funds.projects_title", lang))
if view.per_project.is_empty():
    st.info(t("funds.projects_empty", lang), icon=":material/info:")
else:
    project_forecast_table(view, lang)
st.subheader(t("funds.cofinancing_title", lang), help=t("funds.cofinancing_help", lang))
cofinancing_table(view, lang)
st.divider()
report_buttons(view, str(alliance["slug"]), lang)

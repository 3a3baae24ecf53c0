"""Bündnisvergleich: every alliance the user may read side by side, for ministry liaisons."""

import streamlit as st

from dashboard import cache
from dashboard.charts.funds import comparison_figure
from dashboard.i18n import t
from dashboard.ui.context import page_context
from dashboard.ui.fund_use import comparison_table
from dashboard.ui.url_state import stichtag_picker

ctx = page_context()
lang = ctx.language
st.title(t("compare.title", lang))
st.caption(t("compare.caption", lang))

as_of_col, summary_col = st.columns([1, 3], vertical_alignment="bottom")
as_of = stichtag_picker("vergleich_stichtag", as_of_col, t("funds.as_of", lang), t("funds.as_of_help", lang))

table = cache.alliance_comparison(ctx.settings, ctx.scope, as_of)
if table.is_empty():
    st.info(t("compare.empty", lang), icon=":material/info:")
    st.stop()
at_risk = int(table["at_risk"].sum())
summary_col.metric(t("funds.col.at_risk", lang), t("compare.at_risk_count", lang, count=at_risk, total=table.height))
comparison_table(table, as_of, lang)
st.subheader(t("compare.chart_title", lang))
st.plotly_chart(comparison_figure(table, lang), key="comparison_chart")

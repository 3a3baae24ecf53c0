"""Region: the labour market of the alliance's Kreise over time, on the map, and next to the approved money."""

import polars as pl
import streamlit as st

from dashboard import cache
from dashboard.charts.region import need_vs_intervention_figure, region_map_figure
from dashboard.domain import regional
from dashboard.domain.overview import today
from dashboard.i18n import formats, t
from dashboard.ui.context import page_context
from dashboard.ui.region import (
    breakdown_picker,
    empty_state,
    indicator_picker,
    kreis_picker,
    need_caption,
    need_table,
    series_chart,
    source_line,
    value_tiles,
    year_picker,
)
from dashboard.ui.text import plain

ctx = page_context()
lang, alliance = ctx.language, ctx.alliance
st.title(t("region.title", lang))
st.caption(f"{plain(alliance['name'])} · {t('region.caption', lang)}")

indicators = cache.regional_indicators(ctx.settings, ctx.scope, ctx.alliance_id)
if indicators.is_empty():
    empty_state(lang)
    st.stop()
indicator_col, breakdown_col = st.columns([3, 1], vertical_alignment="bottom")
indicator = indicator_picker(indicators, lang, indicator_col)
dimensions = breakdown_picker(indicator, lang, breakdown_col)
series = cache.regional_series(ctx.settings, ctx.scope, ctx.alliance_id, int(indicator["id"]), dimensions)
kreise = kreis_picker(series, lang)
shown = series.filter(pl.col("is_reference") | pl.col("region_ags").is_in(kreise))
available, latest = regional.years(shown), regional.latest_period(shown)
if latest is None:
    st.info(t("region.no_values", lang), icon=":material/info:")
    st.stop()
unit = str(indicator["unit"])

st.subheader(t("region.series_title", lang))
series_chart(shown, available, unit, lang)

year = year_picker(available, latest.year, lang)
period = regional.period_in_year(shown, year) or latest
at_period = shown.filter(pl.col("period_end") == period)
st.subheader(t("region.map_title", lang, period=formats.day(period, lang)))
kreis_values = regional.map_frame(shown, period)
value_tiles(kreis_values, at_period.filter(pl.col("is_reference")), unit, lang)
st.plotly_chart(region_map_figure(kreis_values, lang, unit=unit, period_label=str(year)), key="region_map")
st.caption(t("region.markers", lang))

st.subheader(t("region.need_title", lang), help=t("region.need_help", lang))
money = cache.money_by_region(ctx.settings, ctx.scope, ctx.alliance_id, today())
population = cache.alliance_regions(ctx.settings, ctx.scope, ctx.alliance_id)
need = regional.need_vs_intervention(at_period, money, population)
average = regional.alliance_euro_per_inhabitant(need)
need = need.filter(pl.col("region_ags").is_in(kreise))
st.plotly_chart(
    need_vs_intervention_figure(need, lang, indicator_name=str(indicator["name"]), unit=unit, average_euro=average),
    key="region_need_chart",
)
need_table(need, indicator, lang)
need_caption(money, need, lang)
source_line(indicator, lang)

"""Anträge & Stellungnahmen: the alliance's funding applications from submission through independent scoring and
the expert statement to the decision; the criteria catalogue for speakers. ?antrag=<id> opens one application."""

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard import cache
from dashboard.charts.pipeline import pipeline_figure
from dashboard.domain.overview import today
from dashboard.i18n import t
from dashboard.ui import applications as ui
from dashboard.ui.applications_catalogue import catalogue_editor
from dashboard.ui.applications_detail import application_detail
from dashboard.ui.context import page_context
from dashboard.ui.maintain import keep_form_state, show_flash
from dashboard.ui.text import plain

ctx = page_context()
lang, day = ctx.language, today()
st.title(t("applications.title", lang))
st.caption(plain(ctx.alliance["name"]))
show_flash()
keep_form_state()  # form input survives a switch to the catalogue tab and back

pipeline_tab: DeltaGenerator
if ctx.scope.can_manage_alliance(ctx.alliance_id):
    names = [t("applications.tab.pipeline", lang), t("applications.tab.catalogue", lang)]
    pipeline_tab, catalogue_tab = st.tabs(names, key="antraege_bereich", on_change="rerun")
    if catalogue_tab.open:
        with catalogue_tab:
            catalogue_editor(cache.engine(ctx.settings), ctx.scope, ctx.alliance_id, lang)
        st.stop()
else:
    pipeline_tab = st.container()

with pipeline_tab:
    master = cache.overview_data(ctx.settings, ctx.scope, ctx.alliance_id)
    ui.seed_selection()
    flt = ui.filter_bar(ui.filter_options(master.topics, master.regions, master.members), lang)
    pipeline = cache.application_pipeline(ctx.settings, ctx.scope, ctx.alliance_id, flt, day)
    ui.kpi_row(pipeline.applications, pipeline.stages, lang)
    if pipeline.applications.is_empty():
        ui.empty_state(flt, lang)
    else:
        st.subheader(t("applications.chart.title", lang))
        st.plotly_chart(pipeline_figure(pipeline.stages, lang), key="antraege_pipeline")
        st.subheader(t("applications.table_title", lang, count=pipeline.applications.height))
        ui.application_table(pipeline.applications, lang, key=ui.table_key(flt))
        ui.money_note(pipeline.applications, lang)
    selected = ui.selected_application()
    ui.write_selection()
    if selected is None:
        st.caption(t("applications.detail.hint", lang))
    else:
        members = dict(zip(master.members["id"].to_list(), master.members["name"].to_list(), strict=True))
        detail = ui.DetailContext(
            settings=ctx.settings,
            engine=cache.engine(ctx.settings),
            scope=ctx.scope,
            language=lang,
            alliance_name=str(ctx.alliance["name"]),
            today=day,
            member_names=members,
        )
        application_detail(detail, ctx.alliance_id, selected)

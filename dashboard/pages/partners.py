"""Partner: what each organisation contributes, who works with whom, and one partner's projects and assessments."""

import streamlit as st

from dashboard import cache
from dashboard.data_access.scope import PermissionDenied
from dashboard.data_access.vocabulary import Role
from dashboard.data_access.writes import NotFound
from dashboard.domain.overview import today
from dashboard.domain.partners import filter_partners, own_first
from dashboard.i18n import t
from dashboard.ui.context import page_context
from dashboard.ui.partners import (
    charts,
    chosen_partner,
    download_buttons,
    kpi_row,
    partner_detail,
    partner_filter_bar,
    partner_picker,
    partner_table,
    reset_filters,
    table_key,
)
from dashboard.ui.text import plain

ctx = page_context()
lang, alliance = ctx.language, ctx.alliance
st.title(t("partners.title", lang))
st.caption(f"{plain(alliance['name'])} · {t('partners.caption', lang)}")

data = cache.partner_data(ctx.settings, ctx.scope, ctx.alliance_id, today())
if data.overview.is_empty():
    st.info(t("partners.empty", lang), icon=":material/groups:")
    st.stop()

own_ids = ctx.scope.member_ids if ctx.scope.role == Role.MEMBER else frozenset()
everyone = own_first(data.overview, own_ids)
for name in everyone.filter("is_own")["name"]:
    st.info(plain(t("partners.own", lang, name=name)), icon=":material/star:")

flt = partner_filter_bar(everyone, lang)
shown = filter_partners(everyone, flt)
key = table_key(flt)
selected = chosen_partner(everyone["member_id"].to_list(), shown["member_id"].to_list(), key)

kpi_row(shown, data.network, lang)
if shown.is_empty():
    st.info(t("partners.no_match", lang), icon=":material/search_off:")
    st.button(t("partners.reset", lang), on_click=reset_filters, key="partner_reset_empty", type="primary")
else:
    charts(data, everyone, shown, selected, lang)
    partner_table(shown, lang, key)
    download_buttons(shown, alliance["name"], flt, lang)

selected = partner_picker(everyone, lang)
if selected is None:
    st.caption(t("partners.detail.hint", lang))
else:
    try:
        view = cache.partner_detail(ctx.settings, ctx.scope, selected)
    except (NotFound, PermissionDenied):
        st.warning(t("partners.detail.not_found", lang), icon=":material/person_off:")
    else:
        row = everyone.filter(member_id=selected).row(0, named=True)
        partner_detail(view, row, str(alliance["slug"]), ctx.scope.role, lang)

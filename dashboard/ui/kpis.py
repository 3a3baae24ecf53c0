"""KPI tiles of the overview, formatted in the UI language."""

from __future__ import annotations

import streamlit as st

from dashboard.domain.overview import OverviewKpis
from dashboard.i18n import formats, t


def kpi_row(kpis: OverviewKpis, time_share: float, language: str) -> None:
    """Five tiles: budget, committed, disbursed, absorption against elapsed time, still free.

    Tiles show compact amounts (1,13 Mio. €); the exact amount to the cent is in each tile's help.
    """

    def exact(cents: int) -> str:
        return t("overview.kpi.exact", language, amount=formats.money(cents, language, cents=True))

    share_of_budget = "overview.kpi.share_of_budget"
    budget, committed, disbursed, absorption, free = st.columns(5)
    budget.metric(
        t("overview.kpi.budget", language),
        formats.money_short(kpis.budget_cents, language),
        help=exact(kpis.budget_cents),
    )
    committed.metric(
        t("overview.kpi.committed", language),
        formats.money_short(kpis.committed_cents, language),
        help=exact(kpis.committed_cents),
        delta=formats.percent(kpis.committed_share, language),
        delta_description=t(share_of_budget, language),
        delta_color="off",
        delta_arrow="off",
    )
    disbursed.metric(
        t("overview.kpi.disbursed", language),
        formats.money_short(kpis.disbursed_cents, language),
        help=exact(kpis.disbursed_cents),
        delta=formats.percent(kpis.absorption_share, language),
        delta_description=t(share_of_budget, language),
        delta_color="off",
        delta_arrow="off",
    )
    gap = None if kpis.absorption_share is None else kpis.absorption_share - time_share
    absorption.metric(
        t("overview.kpi.absorption", language),
        formats.percent(kpis.absorption_share, language),
        delta=None
        if gap is None
        else t("overview.kpi.points", language, points=formats.number(gap * 100, language, decimals=1)),
        delta_description=t("overview.kpi.vs_time", language, time=formats.percent(time_share, language)),
        delta_color="normal",
        help=t("overview.kpi.absorption_help", language),
    )
    free.metric(
        t("overview.kpi.free", language),
        formats.money_short(kpis.free_cents, language),
        help=f"{exact(kpis.free_cents)}  \n{t('overview.kpi.free_help', language)}",
    )

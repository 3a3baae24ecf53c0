"""KPI tiles of the overview, formatted in the UI language."""

from __future__ import annotations

import streamlit as st

from dashboard.domain.overview import OverviewKpis
from dashboard.i18n import formats, t


def kpi_row(kpis: OverviewKpis, time_share: float, language: str) -> None:
    share_of_budget = "overview.kpi.share_of_budget"
    budget, committed, disbursed, absorption, free = st.columns(5)
    budget.metric(t("overview.kpi.budget", language), formats.money(kpis.budget_cents, language, cents=True))
    committed.metric(
        t("overview.kpi.committed", language),
        formats.money(kpis.committed_cents, language, cents=True),
        delta=formats.percent(kpis.committed_share, language),
        delta_description=t(share_of_budget, language),
        delta_color="off",
        delta_arrow="off",
    )
    disbursed.metric(
        t("overview.kpi.disbursed", language),
        formats.money(kpis.disbursed_cents, language, cents=True),
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
        formats.money(kpis.free_cents, language, cents=True),
        help=t("overview.kpi.free_help", language),
    )

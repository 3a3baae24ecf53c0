"""The alliance's facts: programme, period, office, source, its Kreise and its partners."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboard.i18n import formats, label, t
from dashboard.ui.text import plain


def alliance_facts(alliance: dict[str, Any], regions: pl.DataFrame, topics: pl.DataFrame, language: str) -> None:
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{t('facts.programme', language)}**")
        st.text(alliance["programme"])
        st.markdown(f"**{t('facts.period', language)}**")
        st.text(formats.period(alliance["period_start"], alliance["period_end"], language))
        if alliance["office"]:
            st.markdown(f"**{t('facts.office', language)}**")
            st.text(alliance["office"])
        st.markdown(f"**{t('facts.topics', language)}**")
        st.text("\n".join(f"• {name}" for name in topics["name"].to_list()) or "–")
        st.caption(t("facts.source", language, source=plain(alliance["source"])))
    with right:
        st.markdown(f"**{t('facts.region', language, count=regions.height)}**")
        st.dataframe(
            regions.select(
                pl.col("ags").alias(t("col.ags", language)),
                pl.col("name").alias(t("col.region", language)),
                pl.col("kind").alias(t("col.kind", language)),
                pl.col("population").alias(t("col.population", language)),
            ),
            hide_index=True,
            width="stretch",
            column_config={t("col.population", language): st.column_config.NumberColumn(format="localized")},
        )


def partner_table(members: pl.DataFrame, language: str) -> None:
    types = members["member_type"].unique().to_list()
    type_labels = pl.DataFrame({"member_type": types, "type_label": [label("member_type", c, language) for c in types]})
    st.dataframe(
        members.join(type_labels, on="member_type", how="left").select(
            pl.col("name").alias(t("col.organisation", language)),
            pl.col("type_label").alias(t("col.member_type", language)),
            pl.col("region_name").alias(t("col.region", language)),
            pl.col("joined_on").alias(t("col.joined", language)),
        ),
        hide_index=True,
        width="stretch",
        column_config={t("col.joined", language): st.column_config.DateColumn(format="DD.MM.YYYY")},
    )

"""Ziele & Wirkung: every target with an honest status, its progress and contributors, and the ESF+ totals."""

import streamlit as st

from dashboard import cache
from dashboard.domain.targets import status_counts
from dashboard.i18n import t
from dashboard.ui.context import page_context
from dashboard.ui.targets import (
    esf_section,
    status_rule,
    status_tiles,
    target_choice_label,
    target_detail,
    target_downloads,
    target_table,
)
from dashboard.ui.url_state import seed_from_url, stichtag_picker, write_to_url

ctx = page_context()
lang, alliance = ctx.language, ctx.alliance

st.title(t("targets.title", lang))
heading, picker = st.columns([4, 1], vertical_alignment="bottom")
heading.caption(t("targets.intro", lang))
as_of = stichtag_picker("stichtag", picker, t("targets.as_of", lang), t("targets.as_of_help", lang))
tracking = cache.target_tracking(ctx.settings, ctx.scope, ctx.alliance_id, as_of)
assessed = tracking.assessed

if assessed.is_empty():
    st.info(t("targets.empty", lang), icon=":material/flag:")
else:
    status_tiles(status_counts(assessed), lang)
    status_rule(ctx.settings.impact_rules.target_tolerance, lang)
    target_table(assessed, lang)
    target_downloads(assessed, alliance["name"], as_of, lang)

    st.subheader(t("targets.detail_title", lang))
    rows = {str(row["target_id"]): row for row in assessed.iter_rows(named=True)}
    seed_from_url("ziel", list(rows), next(iter(rows)))
    chosen = st.selectbox(
        t("targets.choose", lang),
        options=list(rows),
        # A dict's lookup, not a lambda, which would keep the page's namespace alive in session state (projects.py).
        format_func={key: target_choice_label(row, lang) for key, row in rows.items()}.__getitem__,
        key="ziel",
    )
    write_to_url("ziel", chosen)
    projects, regions = cache.target_drilldown_frames(ctx.settings, ctx.scope, ctx.alliance_id)
    hide_small = not ctx.scope.sees_small_counts(ctx.alliance_id)
    suppress_below = ctx.settings.impact_rules.suppression_threshold if hide_small else None
    target_detail(rows[chosen], tracking, projects, regions, as_of=as_of, language=lang, suppress_below=suppress_below)

st.subheader(t("targets.esf.title", lang))
if "fuer_dritte" not in st.session_state:
    st.session_state["fuer_dritte"] = st.query_params.get("fuer_dritte") == "1"
for_others = st.toggle(
    t("targets.esf.for_others", lang),
    key="fuer_dritte",
    help=t("targets.esf.for_others_help", lang, threshold=ctx.settings.impact_rules.suppression_threshold),
)
write_to_url("fuer_dritte", "1" if for_others else None)
summary = cache.esf_summary(ctx.settings, ctx.scope, ctx.alliance_id, as_of, for_others)
esf_section(summary, alliance["name"], as_of, lang)

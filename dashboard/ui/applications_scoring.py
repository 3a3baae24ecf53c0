"""The scoring area of an application: the scores as the caller may see them, spread and conflicts of interest,
and the form that records one assessor organisation's independent assessment (0–5 per criterion)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
import streamlit as st

from dashboard.data_access import applications
from dashboard.data_access.applications import ApplicationView, AssessmentInput, Criterion
from dashboard.data_access.scope import Scope
from dashboard.data_access.vocabulary import Role
from dashboard.domain.assessment import ASSESSABLE_STATUSES, SCORE_MAX, SCORE_MIN, SPREAD_FLAG
from dashboard.i18n import formats, t
from dashboard.ui.applications import EMPTY, DetailContext, conflict, decimal_text, opened_version, saved, write
from dashboard.ui.maintain import (
    FieldSlots,
    Refusal,
    form_value,
    keep,
    load_form,
    widget_key,
)
from dashboard.ui.text import plain

PREFIX = "bw"  # Bewertung: the keys of the scoring form
ASSESSOR = "bw_assessor"
SCALE = list(range(SCORE_MIN, SCORE_MAX + 1))


def score_field(criterion_id: int) -> str:
    """The service's field name of a criterion's score (and the form's slot for its errors)."""
    return f"score_{criterion_id}"


def scoring_area(d: DetailContext, view: ApplicationView) -> None:
    """Everything about the scores of one application, then the form for those who may score."""
    if view.flagged:
        st.warning(t("applications.scoring.flagged", d.language, points=SPREAD_FLAG), icon=":material/forum:")
    _conflicts(view, d.member_names, d.language)
    _scores(view, d.scope, d.language)
    st.divider()
    _form(d, view)


def _conflicts(view: ApplicationView, member_names: Mapping[int, str], language: str) -> None:
    if not view.conflicted_member_ids:
        return
    reasons = [
        t(
            "applications.scoring.conflict_lead"
            if member_id == view.lead_member_id
            else "applications.scoring.conflict_partner",
            language,
            name=member_names.get(member_id, str(member_id)),
        )
        for member_id in sorted(view.conflicted_member_ids, key=lambda m: (m != view.lead_member_id, m))
    ]
    st.markdown(f"**{t('applications.scoring.conflicts', language)}**")
    st.text("\n".join(f"• {reason}" for reason in reasons))


def _scores(view: ApplicationView, scope: Scope, language: str) -> None:
    """Per criterion: weight, each visible assessor's score, mean, spread and the discussion flag; then per
    assessor: date, weighted total, comment. What is visible is decided in data_access."""
    st.markdown(f"**{t('applications.scoring.scores', language)}**")
    summary = view.criterion_summary
    if not view.scores.is_empty() or (not summary.is_empty() and summary["mean"].is_not_null().any()):
        st.dataframe(
            score_matrix(view.scores, summary, language),
            hide_index=True,
            width="stretch",
            column_config={
                t("applications.scoring.col.flag", language): st.column_config.TextColumn(
                    help=t("applications.scoring.col.flag_help", language, points=SPREAD_FLAG)
                )
            },
        )
    if not view.assessments.is_empty():
        st.dataframe(assessor_table(view.assessments, language), hide_index=True, width="stretch")
    if view.assessment_count == 0:
        st.info(t("applications.scoring.none_yet", language), icon=":material/hourglass_empty:")
    elif view.assessments.is_empty():
        st.info(
            t("applications.scoring.none_visible", language, count=view.assessment_count),
            icon=":material/visibility_off:",
        )
    hidden = view.assessment_count - view.assessments.height
    if hidden > 0 and scope.role == Role.MEMBER:
        st.caption(t("applications.scoring.independent", language, count=hidden))
    elif scope.role == Role.LIAISON:
        st.caption(t("applications.scoring.liaison", language))


def score_matrix(scores: pl.DataFrame, summary: pl.DataFrame, language: str) -> pl.DataFrame:
    """Criteria as rows, one column per visible assessor; mean, spread and the flag from the criterion summary."""
    names = {
        "criterion": t("applications.scoring.col.criterion", language),
        "weight": t("applications.scoring.col.weight", language),
        "mean": t("applications.scoring.col.mean", language),
        "spread": t("applications.scoring.col.spread", language),
        "flag": t("applications.scoring.col.flag", language),
    }
    assessors: list[str] = []
    if not scores.is_empty():
        pivot = scores.select("code", "assessor", "score").pivot(
            on="assessor", index="code", values="score", aggregate_function="first"
        )
        assessors = [name for name in pivot.columns if name != "code"]
        summary = summary.join(pivot, on="code", how="left", maintain_order="left")
    flag = t("applications.flag.yes", language)
    # The flag right after the criterion: with several assessors the right-hand columns scroll out of view.
    return summary.select(
        pl.col("criterion").alias(names["criterion"]),
        pl.when(pl.col("flagged")).then(pl.lit(flag)).otherwise(pl.lit("")).alias(names["flag"]),
        pl.col("spread").alias(names["spread"]),
        decimal_text(pl.col("mean"), language).fill_null(EMPTY).alias(names["mean"]),
        pl.col("weight").alias(names["weight"]),
        *[pl.col(name).cast(pl.Int64) for name in assessors],
    )


def assessor_table(assessments: pl.DataFrame, language: str) -> pl.DataFrame:
    return assessments.select(
        pl.col("assessor").alias(t("applications.scoring.col.assessor", language)),
        formats.day_expr(pl.col("assessed_on"), language).alias(t("applications.scoring.col.date", language)),
        decimal_text(pl.col("weighted_total"), language)
        .fill_null(EMPTY)
        .alias(t("applications.scoring.col.total", language)),
        pl.col("comment").fill_null("").alias(t("applications.scoring.col.comment", language)),
    )


# --- the form ----------------------------------------------------------------------------------------------------


def _refusal(language: str) -> Refusal:
    return Refusal(PREFIX, language, gone=t("applications.detail.gone", language))


def _form(d: DetailContext, view: ApplicationView) -> None:
    engine, scope, language, criteria = d.engine, d.scope, d.language, view.criteria
    st.markdown(f"**{t('applications.scoring.form_title', language)}**")
    if scope.role == Role.LIAISON:
        st.caption(t("applications.scoring.read_only", language))
        return
    if view.status not in ASSESSABLE_STATUSES:
        st.caption(t("applications.scoring.closed", language))
        return
    if not criteria:
        key = "applications.scoring.no_criteria_manage" if view.can_manage else "applications.scoring.no_criteria"
        st.info(t(key, language), icon=":material/checklist:")
        return
    assessors = dict(view.can_score_as)
    if not assessors:
        own_conflicted = scope.member_ids & view.conflicted_member_ids
        key = "applications.scoring.own_conflict" if own_conflicted else "applications.scoring.nobody"
        st.info(t(key, language), icon=":material/block:")
        return
    slots = FieldSlots(top=st.empty())
    keep([ASSESSOR])  # the picked organisation survives a look at another section
    if st.session_state.get(ASSESSOR) not in assessors:
        st.session_state[ASSESSOR] = next(iter(assessors))
    assessor = st.selectbox(
        t("applications.scoring.assessor", language),
        list(assessors),
        format_func=lambda member_id: assessors.get(member_id, str(member_id)),
        key=ASSESSOR,
        help=t(
            "applications.scoring.assessor_help_manage" if view.can_manage else "applications.scoring.assessor_help",
            language,
        ),
    )
    slots.under("assessor")
    existing = view.assessments.filter(pl.col("assessor_member_id") == assessor)
    stored = int(existing["version"][0]) if not existing.is_empty() else None
    version = opened_version(PREFIX, (view.id, assessor), stored)
    load_form(PREFIX, (view.id, assessor, language), _stored_values(view, criteria, assessor))
    if version is not None:
        st.caption(t("applications.scoring.editing", language, version=version))
    conflict(PREFIX, language, what=t("applications.scoring.what", language))
    with st.form(f"{PREFIX}_form", enter_to_submit=False):
        for criterion in criteria:
            _criterion_input(criterion, language)
            slots.under(score_field(criterion.id))
        st.text_area(
            t("applications.scoring.comment", language),
            key=widget_key(PREFIX, "comment"),
            height=100,
            placeholder=t("applications.scoring.comment_hint", language),
        )
        slots.under("comment")
        submitted = st.form_submit_button(
            t("applications.scoring.save", language), type="primary", icon=":material/save:"
        )
    if submitted:
        data = AssessmentInput(
            assessor_member_id=int(assessor),
            scores={criterion.id: form_value(PREFIX, score_field(criterion.id)) for criterion in criteria},
            comment=(form_value(PREFIX, "comment") or "").strip(),
        )
        name = assessors.get(assessor, "")
        write(
            lambda: applications.record_assessment(engine, scope, view.id, data, opened_version=version),
            refusal=_refusal(language),
            on_success=lambda _: saved(PREFIX, t("applications.scoring.saved", language, assessor=name)),
            slots=slots,
        )


def _stored_values(view: ApplicationView, criteria: list[Criterion], assessor: int) -> dict[str, Any]:
    """The organisation's stored scores and comment (blank when it has not scored yet)."""
    own = view.scores.filter(pl.col("assessor_member_id") == assessor)
    stored = dict(zip(own["criterion_id"].to_list(), own["score"].to_list(), strict=True))
    comment = str(own["comment"][0] or "") if not own.is_empty() else ""
    values: dict[str, Any] = {score_field(c.id): stored.get(c.id) for c in criteria}
    values["comment"] = comment
    return values


def _criterion_input(criterion: Criterion, language: str) -> None:
    """A 0–5 choice with the written anchor of each point under it."""
    required = t("applications.scoring.required", language) if criterion.required else ""
    heading = t("applications.scoring.criterion", language, name=plain(criterion.name), weight=criterion.weight)
    st.radio(
        f"{heading}{required}",
        SCALE,
        index=None,
        horizontal=True,
        captions=[plain(criterion.anchors.get(point, "")) for point in SCALE],
        key=widget_key(PREFIX, score_field(criterion.id)),
        help=plain(criterion.description) or None,
    )

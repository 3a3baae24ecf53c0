"""The criteria catalogue editor (speakers and admins): name, description, weight, required, the written anchors of
the 0–5 scale; archive and restore. Reads the catalogue afresh (a form must open what is stored now)."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st
from sqlalchemy import Engine

from dashboard.data_access import applications
from dashboard.data_access.applications import Criterion, CriterionInput
from dashboard.data_access.scope import Scope
from dashboard.data_access.writes import NotFound
from dashboard.domain.assessment import SCORE_MAX, SCORE_MIN
from dashboard.i18n import formats, t
from dashboard.ui.maintain import (
    FieldSlots,
    Refusal,
    archive_action,
    attempt,
    form_value,
    keep,
    open_picked,
    pending_pick,
    reopen,
    save_record,
    show_conflict,
    widget_key,
)
from dashboard.ui.text import plain

PREFIX = "kk"  # Kriterienkatalog
PICK = "kk_pick"
NEW = 0
SCALE = range(SCORE_MIN, SCORE_MAX + 1)


def catalogue_editor(engine: Engine, scope: Scope, alliance_id: int, language: str) -> None:
    catalogue = applications.criteria(engine, scope, alliance_id, include_archived=True)
    st.caption(t("applications.catalogue.intro", language))
    if catalogue:
        st.dataframe(catalogue_table(catalogue, language), hide_index=True, width="stretch")
    else:
        st.info(t("applications.catalogue.empty", language), icon=":material/checklist:")
    pending_pick(PREFIX, PICK)
    choices = {NEW: t("applications.catalogue.new", language)} | {
        c.id: c.name + (t("applications.catalogue.archived_suffix", language) if c.archived else "") for c in catalogue
    }
    keep([PICK])
    if st.session_state.get(PICK) not in choices:
        st.session_state[PICK] = NEW
    pick = st.selectbox(
        t("applications.catalogue.pick", language),
        list(choices),
        format_func=lambda key: choices.get(key, str(key)),
        key=PICK,
    )
    by_id = {c.id: c for c in catalogue}

    def opened_criterion(criterion_id: int) -> Criterion:
        if criterion_id not in by_id:
            raise NotFound(f"criterion {criterion_id}")
        return by_id[criterion_id]

    refusal = Refusal(PREFIX, language, gone=t("applications.catalogue.gone", language), reset=(PICK,))
    record = open_picked(
        refusal,
        pick,
        open_record=opened_criterion,
        values=_values,
        blank_marker=("new", alliance_id, language),
        new=NEW,
    )
    show_conflict(PREFIX, language, what=t("applications.catalogue.what", language))
    _form(engine, scope, alliance_id, record, refusal=refusal, language=language)
    if record is not None:
        _archive_or_restore(engine, scope, record, refusal, language)


def catalogue_table(catalogue: list[Criterion], language: str) -> pl.DataFrame:
    """The catalogue as a table: position, name, weight and its share of the active weights, required, archived."""
    frame = pl.DataFrame(
        {
            "position": [c.position for c in catalogue],
            "name": [c.name for c in catalogue],
            "weight": [c.weight for c in catalogue],
            "required": [c.required for c in catalogue],
            "archived": [c.archived for c in catalogue],
        },
        schema={
            "position": pl.Int64,
            "name": pl.String,
            "weight": pl.Int64,
            "required": pl.Boolean,
            "archived": pl.Boolean,
        },
    )
    active_total = frame.filter(~pl.col("archived"))["weight"].sum() or 1
    yes, no = t("common.yes", language), t("applications.catalogue.no", language)
    percent = formats.count_expr(pl.col("weight") * 100 / active_total, language) + pl.lit(
        "%" if language == "en" else "\u00a0%"
    )
    return frame.select(
        (pl.col("position") + 1).alias(t("applications.catalogue.col.position", language)),
        pl.col("name").alias(t("applications.catalogue.col.name", language)),
        pl.col("weight").alias(t("applications.catalogue.col.weight", language)),
        pl.when(pl.col("archived"))
        .then(pl.lit("–"))
        .otherwise(percent)
        .alias(t("applications.catalogue.col.share", language)),
        pl.when(pl.col("required"))
        .then(pl.lit(yes))
        .otherwise(pl.lit(no))
        .alias(t("applications.catalogue.col.required", language)),
        pl.when(pl.col("archived"))
        .then(pl.lit(t("applications.catalogue.state.archived", language)))
        .otherwise(pl.lit(t("applications.catalogue.state.active", language)))
        .alias(t("applications.catalogue.col.state", language)),
    )


def _values(criterion: Criterion | None) -> dict[str, Any]:
    if criterion is None:
        return {
            "name": "",
            "code": "",
            "description": "",
            "weight": 10,
            "required": True,
            **{f"anchor_{point}": "" for point in SCALE},
        }
    return {
        "name": criterion.name,
        "code": criterion.code,
        "description": criterion.description,
        "weight": criterion.weight,
        "required": criterion.required,
        **{f"anchor_{point}": criterion.anchors.get(point, "") for point in SCALE},
    }


def _form(
    engine: Engine,
    scope: Scope,
    alliance_id: int,
    record: Criterion | None,
    *,
    refusal: Refusal,
    language: str,
) -> None:
    with st.form(f"{PREFIX}_form", enter_to_submit=False):
        slots = FieldSlots(top=st.empty())
        if record is not None:
            st.caption(t("maintain.version", language, version=record.version))
        name, code = st.columns([3, 2])
        with name:
            st.text_input(
                t("applications.catalogue.field.name", language), max_chars=200, key=widget_key(PREFIX, "name")
            )
            slots.under("name")
        with code:
            st.text_input(
                t("applications.catalogue.field.code", language),
                max_chars=60,
                key=widget_key(PREFIX, "code"),
                help=t("applications.catalogue.field.code_help", language),
            )
            slots.under("code")
        st.text_area(t("applications.catalogue.field.description", language), key=widget_key(PREFIX, "description"))
        slots.under("description")
        weight, required = st.columns([1, 2], vertical_alignment="bottom")
        with weight:
            st.number_input(
                t("applications.catalogue.field.weight", language),
                min_value=1,
                max_value=100,
                step=1,
                key=widget_key(PREFIX, "weight"),
                help=t("applications.catalogue.field.weight_help", language),
            )
            slots.under("weight")
        with required:
            st.checkbox(
                t("applications.catalogue.field.required", language),
                key=widget_key(PREFIX, "required"),
                help=t("applications.catalogue.field.required_help", language),
            )
        st.markdown(f"**{t('applications.catalogue.field.anchors', language)}**")
        columns = st.columns(3)
        for point in SCALE:
            columns[point % 3].text_input(
                t("applications.catalogue.field.anchor", language, point=point),
                key=widget_key(PREFIX, f"anchor_{point}"),
            )
        slots.under("anchors")
        submitted = st.form_submit_button(t("maintain.save", language), type="primary", icon=":material/save:")
    if not submitted:
        return
    weight_value = form_value(PREFIX, "weight")
    data = CriterionInput(
        code=(form_value(PREFIX, "code") or "").strip(),
        name=(form_value(PREFIX, "name") or "").strip(),
        description=(form_value(PREFIX, "description") or "").strip(),
        weight=int(weight_value) if weight_value is not None else 0,
        required=bool(form_value(PREFIX, "required")),
        anchors={point: (form_value(PREFIX, f"anchor_{point}") or "").strip() for point in SCALE},
    )
    save_record(
        refusal,
        opened=record,
        create=lambda: applications.save_criterion(engine, scope, alliance_id, data),
        update=lambda opened: applications.save_criterion(engine, scope, alliance_id, data, opened=opened),
        message=lambda saved: t("applications.catalogue.saved", language, name=saved.name, version=saved.version),
        slots=slots,
    )


def _archive_or_restore(engine: Engine, scope: Scope, record: Criterion, refusal: Refusal, language: str) -> None:
    if record.archived:
        st.caption(t("applications.catalogue.archived_note", language))
        if st.button(t("applications.catalogue.restore", language), icon=":material/unarchive:", key="kk_restore"):
            attempt(
                lambda: applications.restore_criterion(engine, scope, record.id, opened=record),
                refusal=refusal,
                on_success=lambda _: reopen(
                    PREFIX, pick=record.id, message=t("applications.catalogue.restored", language, name=record.name)
                ),
            )
        return
    archive_action(
        refusal,
        ask=t("applications.catalogue.archive_ask", language, name=plain(record.name)),
        archive=lambda: applications.archive_criterion(engine, scope, record.id, opened=record),
        archived=t("applications.catalogue.archived", language, name=record.name),
        new=NEW,
    )

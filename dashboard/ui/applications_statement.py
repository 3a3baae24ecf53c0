"""The statement (fachliche Stellungnahme) of an application: a draft from the scores, edited and saved, downloaded
as DOCX, finalised for good (then read-only, still downloadable), a new version; and the versions before."""

from __future__ import annotations

from datetime import UTC, date, datetime

import streamlit as st

from dashboard import cache
from dashboard.data_access import applications
from dashboard.data_access.applications import ApplicationView, StatementRecord
from dashboard.data_access.vocabulary import Recommendation
from dashboard.domain.assessment import ASSESSABLE_STATUSES, MIN_ASSESSMENTS, statement_text
from dashboard.domain.overview import GERMANY
from dashboard.i18n import formats, label, t
from dashboard.ui.applications import EMPTY, DetailContext, conflict, opened_version, saved, write
from dashboard.ui.maintain import (
    FieldSlots,
    Refusal,
    form_value,
    load_form,
    widget_key,
    written,
)
from dashboard.ui.text import plain

PREFIX = "sn"  # Stellungnahme: the keys of the statement form
TEXT, RECOMMENDATION = widget_key(PREFIX, "text"), widget_key(PREFIX, "recommendation")
_CONFIRM = "_sn_confirm_final"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
RECOMMENDATIONS = [member.value for member in Recommendation]


def statement_area(d: DetailContext, view: ApplicationView) -> None:
    """The newest version (draft form or the finalised text), then the earlier versions."""
    lang = d.language
    current = view.statements[0] if view.statements else None
    if current is None:
        _none_yet(d, view)
    elif current.is_final:
        _final(d, view, current)
        _new_version(d, view, current)
    elif view.can_manage:
        _draft_form(d, view, current)
    else:
        _read_only_draft(d, view, current)
    earlier = view.statements[1:]
    if earlier:
        st.markdown(f"**{t('applications.statement.history', lang)}**")
        for record in earlier:
            with st.expander(_version_title(record, lang)):
                st.text(record.text or EMPTY)
                _download(d, view, record, key=f"sn_download_{record.id}")


def _refusal(language: str) -> Refusal:
    return Refusal(PREFIX, language, gone=t("applications.detail.gone", language))


def _none_yet(d: DetailContext, view: ApplicationView) -> None:
    lang = d.language
    if not view.can_manage:
        st.info(t("applications.statement.none_read", lang), icon=":material/description:")
        return
    if view.status not in ASSESSABLE_STATUSES:
        st.info(t("applications.statement.none_closed", lang), icon=":material/description:")
        return
    st.info(t("applications.statement.none", lang, count=MIN_ASSESSMENTS), icon=":material/description:")
    if st.button(t("applications.statement.draft", lang), type="primary", icon=":material/edit_note:", key="sn_draft"):
        write(
            lambda: applications.draft_statement(d.engine, d.scope, view.id, language=lang, today=d.today),
            refusal=_refusal(lang),
            on_success=lambda record: written(t("applications.statement.drafted", lang, number=record.number)),
        )


def _version_title(record: StatementRecord, language: str) -> str:
    if not record.is_final:
        return t("applications.statement.draft_title", language, number=record.number)
    return t(
        "applications.statement.final_title",
        language,
        number=record.number,
        date=formats.day(_local_day(record.finalised_at), language),
        who=plain(record.finalised_by or EMPTY),
        recommendation=label("recommendation", record.recommendation or "", language),
    )


def _local_day(moment: datetime | None) -> date | None:
    """The German calendar day of a stored moment (stored in UTC; SQLite hands it back without a zone)."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(GERMANY).date()


def _download(d: DetailContext, view: ApplicationView, record: StatementRecord, *, key: str) -> None:
    lang = d.language
    suffix = "" if record.is_final else "-entwurf"
    st.download_button(
        t("applications.statement.download" if record.is_final else "applications.statement.download_draft", lang),
        # A callable: the document is rendered when the button is clicked, not on every run.
        data=lambda: cache.statement_docx(
            d.settings,
            d.scope,
            view.id,
            statement_id=record.id,
            version=record.version,
            alliance_name=d.alliance_name,
            language=lang,
            today=d.today,
        ),
        file_name=f"stellungnahme-{view.id}-fassung-{record.number}{suffix}.docx",
        mime=DOCX_MIME,
        icon=":material/download:",
        key=key,
    )


def _summary(record: StatementRecord, language: str) -> None:
    total = EMPTY if record.weighted_total is None else formats.number(record.weighted_total, language, decimals=2)
    recommendation = label("recommendation", record.recommendation, language) if record.recommendation else EMPTY
    st.caption(t("applications.statement.summary", language, recommendation=recommendation, total=total))


def _final(d: DetailContext, view: ApplicationView, record: StatementRecord) -> None:
    st.success(_version_title(record, d.language), icon=":material/verified:")
    _summary(record, d.language)
    with st.container(border=True):
        st.text(record.text or EMPTY)
    _download(d, view, record, key="sn_download_current")


def _new_version(d: DetailContext, view: ApplicationView, record: StatementRecord) -> None:
    lang = d.language
    if not view.can_manage or view.status not in ASSESSABLE_STATUSES:
        return
    st.caption(t("applications.statement.new_version_hint", lang))
    if st.button(t("applications.statement.new_version", lang), icon=":material/content_copy:", key="sn_new"):
        write(
            lambda: applications.new_statement_version(d.engine, d.scope, view.id, today=d.today),
            refusal=_refusal(lang),
            on_success=lambda made: written(t("applications.statement.drafted", lang, number=made.number)),
        )


def _read_only_draft(d: DetailContext, view: ApplicationView, record: StatementRecord) -> None:
    st.info(_version_title(record, d.language), icon=":material/edit_note:")
    _summary(record, d.language)
    with st.container(border=True):
        st.text(record.text or EMPTY)


def _regenerate(d: DetailContext, view: ApplicationView) -> None:
    """Button callback: the text drafted afresh from the current scores, into the text field (not saved yet)."""
    facts = applications.application_facts(d.engine, d.scope, view.id, as_of=d.today)
    st.session_state[TEXT] = statement_text(facts, d.language)


def _draft_form(d: DetailContext, view: ApplicationView, record: StatementRecord) -> None:
    lang = d.language
    version = opened_version(PREFIX, record.id, record.version)
    load_form(PREFIX, (record.id, lang), {"text": record.text, "recommendation": record.recommendation})
    st.info(_version_title(record, lang), icon=":material/edit_note:")
    conflict(PREFIX, lang, what=t("applications.statement.what", lang))
    with st.form(f"{PREFIX}_form", enter_to_submit=False):
        slots = FieldSlots(top=st.empty())
        st.caption(t("applications.statement.version", lang, version=version))
        st.text_area(t("applications.statement.text", lang), key=TEXT, height=420)
        slots.under("text")
        st.radio(
            t("applications.statement.recommendation", lang),
            RECOMMENDATIONS,
            index=None,
            horizontal=True,
            format_func=lambda code: label("recommendation", code, lang),
            key=RECOMMENDATION,
            help=t("applications.statement.recommendation_help", lang),
        )
        slots.under("recommendation")
        submitted = st.form_submit_button(
            t("applications.statement.save", lang), type="primary", icon=":material/save:"
        )
    if submitted:
        text, recommendation = (form_value(PREFIX, "text") or "").strip(), form_value(PREFIX, "recommendation")
        write(
            lambda: applications.save_statement(
                d.engine, d.scope, record.id, text, recommendation, opened_version=version or 0, today=d.today
            ),
            refusal=_refusal(lang),
            on_success=lambda made: saved(PREFIX, t("applications.statement.saved", lang, number=made.number)),
            slots=slots,
        )
    download, regenerate = st.columns(2)
    with download:
        _download(d, view, record, key="sn_download_draft")
    regenerate.button(
        t("applications.statement.regenerate", lang),
        on_click=_regenerate,
        args=(d, view),
        icon=":material/autorenew:",
        key="sn_regenerate",
        help=t("applications.statement.regenerate_help", lang),
    )
    st.caption(t("applications.statement.download_note", lang))
    _finalise(d, view, record, version or 0)


def _unsaved(record: StatementRecord) -> bool:
    text, recommendation = form_value(PREFIX, "text"), form_value(PREFIX, "recommendation")
    return (text or "").strip() != (record.text or "").strip() or recommendation != record.recommendation


def _finalise(d: DetailContext, view: ApplicationView, record: StatementRecord, version: int) -> None:
    """„Endgültig abschließen“ in two steps; refused (with the service's reason) when a rule is not met."""
    lang = d.language
    st.markdown(f"**{t('applications.statement.finalise_title', lang)}**")
    if view.assessment_count < MIN_ASSESSMENTS:
        st.caption(t("applications.statement.too_few", lang, count=MIN_ASSESSMENTS, have=view.assessment_count))
    unsaved = _unsaved(record)
    if unsaved:
        st.caption(t("applications.statement.unsaved", lang))
    if st.session_state.get(_CONFIRM) != record.id:
        if st.button(
            t("applications.statement.finalise", lang),
            icon=":material/lock:",
            disabled=unsaved,
            key="sn_finalise",
        ):
            st.session_state[_CONFIRM] = record.id
            st.rerun()
        return
    st.warning(t("applications.statement.finalise_ask", lang, number=record.number), icon=":material/help:")
    yes, no = st.columns(2)
    if no.button(t("applications.statement.cancel", lang), key="sn_finalise_cancel"):
        st.session_state.pop(_CONFIRM, None)
        st.rerun()
    if yes.button(
        t("applications.statement.finalise_confirm", lang),
        type="primary",
        icon=":material/lock:",
        key="sn_finalise_confirm",
        disabled=unsaved,
    ):
        st.session_state.pop(_CONFIRM, None)
        write(
            lambda: applications.finalise_statement(
                d.engine, d.scope, record.id, opened_version=version, today=d.today
            ),
            refusal=_refusal(lang),
            on_success=lambda made: saved(PREFIX, t("applications.statement.finalised", lang, number=made.number)),
        )

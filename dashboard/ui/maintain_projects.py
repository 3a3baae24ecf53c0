"""Tab „Projekte“ of „Daten pflegen“: pick a project the caller may edit (or a new one), edit, save, archive."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboard.data_access import editing
from dashboard.data_access.editing import FormOptions, ProjectInput, ProjectRecord
from dashboard.data_access.vocabulary import Fund, ProjectStatus
from dashboard.i18n import label, t
from dashboard.ui.maintain import (
    FieldSlots,
    MaintainContext,
    Refusal,
    amount_text,
    archive_action,
    date_input,
    field_label,
    form_value,
    formatter,
    open_picked,
    options_map,
    parse_decimal,
    parse_fields,
    record_picker,
    save_record,
    show_conflict,
    widget_key,
)
from dashboard.ui.text import plain

PREFIX = "mp"
PICK = "mp_pick"
NEW = 0  # the picker's value for "Neues Projekt"
MONEY = ("total_cost", "requested_grant", "approved_grant")


def render(m: MaintainContext) -> None:
    lang = m.language
    options = editing.form_options(m.engine, m.scope, m.alliance_id)
    if not m.can_manage and not options.own_member_ids:
        st.info(t("maintain.projects.no_organisation", lang), icon=":material/info:")
        return
    projects = editing.editable_projects(m.engine, m.scope, m.alliance_id)
    editable = projects.filter(pl.col("can_edit") & ~pl.col("archived")).sort("title")
    if editable.is_empty():
        key = "maintain.projects.none_manage" if m.can_manage else "maintain.projects.none_member"
        st.info(t(key, lang), icon=":material/lightbulb:")

    pick = record_picker(
        PICK,
        options_map(editable, "id", "title"),
        section="projects",
        context=m.alliance_id,
        refusal=_refusal(lang),
        new=NEW,
    )
    record = _opened(m, int(pick or NEW), options)
    show_conflict(PREFIX, lang, what=t("maintain.projects.what", lang), names=_names(options))
    _form(m, record, options)
    if record is not None:
        _archive(m, record)


def _opened(m: MaintainContext, pick: int, options: FormOptions) -> ProjectRecord | None:
    return open_picked(
        _refusal(m.language),
        pick,
        open_record=lambda project_id: editing.open_project(m.engine, m.scope, project_id),
        values=lambda record: _values(record.values, m.language) if record else _new_values(m, options),
        blank_marker=("new", m.alliance_id, m.scope, m.language),
        new=NEW,
    )


def _new_values(m: MaintainContext, options: FormOptions) -> dict[str, Any]:
    own = sorted(options.own_member_ids)
    blank = ProjectInput(
        title="",
        description="",
        lead_member_id=own[0] if own and not m.can_manage else None,
        status=ProjectStatus.IDEE.value,
        fund=Fund.ESF.value,
        start_date=None,
        end_date=None,
        total_cost=None,
        requested_grant=None,
        approved_grant=None,
    )
    return _values(blank, m.language)


def _values(data: ProjectInput, language: str) -> dict[str, Any]:
    """Widget values of a project: amounts as editable text, lists as lists."""
    return {
        "title": data.title,
        "description": data.description,
        "lead_member_id": data.lead_member_id,
        "status": data.status,
        "fund": data.fund,
        "start_date": data.start_date,
        "end_date": data.end_date,
        **{name: amount_text(getattr(data, name), language) for name in MONEY},
        "partner_ids": list(data.partner_ids),
        "topic_ids": list(data.topic_ids),
        "region_ags": list(data.region_ags),
    }


def _names(options: FormOptions) -> dict[str, dict[Any, str]]:
    members = options_map(options.members, "id", "name")
    regions = options_map(options.regions, "ags", "name")
    return {
        "lead_member_id": members,
        "partner_ids": members,
        "topic_ids": options_map(options.topics, "id", "name"),
        "region_ags": {ags: f"{name} ({ags})" for ags, name in regions.items()},
    }


def _form(m: MaintainContext, record: ProjectRecord | None, options: FormOptions) -> None:
    lang = m.language
    names = _names(options)
    members = names["lead_member_id"]
    leads = members if m.can_manage else {key: members[key] for key in sorted(options.own_member_ids) if key in members}
    with st.form(f"{PREFIX}_form", enter_to_submit=False):
        slots = FieldSlots(top=st.empty())
        if record is not None:
            st.caption(t("maintain.version", lang, version=record.version))
        st.text_input(field_label("title", lang), max_chars=300, key=widget_key(PREFIX, "title"))
        slots.under("title")
        st.text_area(field_label("description", lang), key=widget_key(PREFIX, "description"), height=100)
        slots.under("description")
        lead, status, fund = st.columns(3)
        with lead:
            st.selectbox(
                field_label("lead_member_id", lang),
                list(leads),
                format_func=lambda key: leads.get(key, str(key)),
                index=None,
                placeholder=t("maintain.choose", lang),
                key=widget_key(PREFIX, "lead_member_id"),
                help=None if m.can_manage else t("maintain.projects.lead_help", lang),
            )
            slots.under("lead_member_id")
        with status:
            codes = [member.value for member in ProjectStatus]
            st.selectbox(
                field_label("status", lang),
                codes,
                format_func=lambda code: label("status", code, lang),
                key=widget_key(PREFIX, "status"),
            )
            slots.under("status")
        with fund:
            funds = [member.value for member in Fund]
            st.selectbox(
                field_label("fund", lang),
                funds,
                format_func=lambda code: label("fund", code, lang),
                key=widget_key(PREFIX, "fund"),
            )
            slots.under("fund")
        start, end = st.columns(2)
        with start:
            date_input(PREFIX, "start_date", lang)
            slots.under("start_date")
        with end:
            date_input(PREFIX, "end_date", lang)
            slots.under("end_date")
        for column, name in zip(st.columns(3), MONEY, strict=True):
            with column:
                st.text_input(
                    field_label(name, lang),
                    placeholder=t("maintain.amount_placeholder", lang),
                    help=t("maintain.amount_help", lang),
                    key=widget_key(PREFIX, name),
                )
                slots.under(name)
        for name, choices in (
            ("partner_ids", members),
            ("topic_ids", names["topic_ids"]),
            ("region_ags", names["region_ags"]),
        ):
            st.multiselect(
                field_label(name, lang),
                list(choices),
                format_func=formatter(choices),
                placeholder=t("maintain.choose_many", lang),
                key=widget_key(PREFIX, name),
            )
            slots.under(name)
        submitted = st.form_submit_button(t("maintain.save", lang), type="primary", icon=":material/save:")
    if submitted:
        _save(m, record, slots)


def _input(amounts: dict[str, Any]) -> ProjectInput:
    def value(name: str) -> Any:
        return form_value(PREFIX, name)

    lead = value("lead_member_id")
    return ProjectInput(
        title=(value("title") or "").strip(),
        description=(value("description") or "").strip(),
        lead_member_id=int(lead) if lead is not None else None,
        status=value("status"),
        fund=value("fund"),
        start_date=value("start_date"),
        end_date=value("end_date"),
        total_cost=amounts["total_cost"],
        requested_grant=amounts["requested_grant"],
        approved_grant=amounts["approved_grant"],
        partner_ids=tuple(int(key) for key in value("partner_ids") or ()),
        topic_ids=tuple(int(key) for key in value("topic_ids") or ()),
        region_ags=tuple(str(ags) for ags in value("region_ags") or ()),
    )


def _save(m: MaintainContext, record: ProjectRecord | None, slots: FieldSlots) -> None:
    lang = m.language
    amounts, problems = parse_fields({name: (form_value(PREFIX, name), parse_decimal) for name in MONEY}, lang)
    if problems:
        slots.show(problems)
        return
    data = _input(amounts)

    save_record(
        _refusal(lang),
        opened=record,
        create=lambda: editing.create_project(m.engine, m.scope, m.alliance_id, data),
        update=lambda opened: editing.update_project(m.engine, m.scope, opened.id, data, opened=opened),
        message=lambda saved: t("maintain.saved", lang, what=saved.values.title, version=saved.version),
        slots=slots,
    )


def _refusal(lang: str) -> Refusal:
    return Refusal(PREFIX, lang, gone=t("maintain.projects.gone", lang), reset=(PICK,))


def _archive(m: MaintainContext, record: ProjectRecord) -> None:
    title = record.values.title
    archive_action(
        _refusal(m.language),
        ask=t("maintain.projects.archive_ask", m.language, title=plain(title)),
        archive=lambda: editing.archive_project(m.engine, m.scope, record.id, opened=record),
        archived=t("maintain.archived", m.language, what=title),
        new=NEW,
    )

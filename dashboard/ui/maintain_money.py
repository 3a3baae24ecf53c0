"""Tab „Finanzen“ of „Daten pflegen“: a project's commitments and disbursements, add, correct and archive them."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import streamlit as st

from dashboard.data_access import editing
from dashboard.data_access.editing import EntryInput, EntryRecord
from dashboard.data_access.vocabulary import EntryKind, Fund
from dashboard.i18n import formats, label, t
from dashboard.ui.maintain import (
    DATE_FORMATS,
    EURO_COLUMN,
    FieldSlots,
    MaintainContext,
    Refusal,
    amount_text,
    archive_action,
    date_input,
    euro_text,
    field_label,
    form_value,
    label_expr,
    open_picked,
    options_map,
    parse_decimal,
    parse_fields,
    project_picker,
    record_picker,
    save_record,
    show_conflict,
    widget_key,
)

PREFIX = "mf"
PICK = "mf_pick"
NEW = 0
KINDS = [member.value for member in EntryKind]
FUNDS = [member.value for member in Fund]


def render(m: MaintainContext) -> None:
    lang = m.language
    project_id = project_picker(m, "mf_project", _refusal(lang))
    if project_id is None:
        return
    entries = editing.project_entries(m.engine, m.scope, project_id)
    _table(entries, lang)
    pick = record_picker(
        PICK,
        _entry_labels(entries, lang),
        section="money",
        context=(m.alliance_id, project_id),
        refusal=_refusal(lang),
    )
    record = _opened(m, project_id, int(pick or NEW))
    show_conflict(PREFIX, lang, what=t("maintain.money.what", lang))
    _form(m, project_id, record)
    if record is not None:
        _archive(m, record)


def _table(entries: pl.DataFrame, lang: str) -> None:
    if entries.is_empty():
        st.info(t("maintain.money.empty", lang), icon=":material/lightbulb:")
        return
    columns = {name: t(f"maintain.money.col.{name}", lang) for name in ("entry_date", "kind", "amount", "fund", "note")}
    view = entries.sort("entry_date").select(
        "entry_date",
        label_expr("kind", "entry_kind", KINDS, lang),
        euro_text("amount_cents", lang).alias("amount"),
        label_expr("fund", "fund", FUNDS, lang),
        pl.col("note").fill_null(""),
    )
    st.dataframe(
        view.rename(columns),
        hide_index=True,
        column_config={
            columns["entry_date"]: st.column_config.DateColumn(format=DATE_FORMATS.get(lang, "DD.MM.YYYY")),
            columns["amount"]: EURO_COLUMN,
        },
    )


def _entry_labels(entries: pl.DataFrame, lang: str) -> dict[int, str]:
    """id → "31.03.2025 · Auszahlung · 1.234,56 €"."""
    labels = entries.sort("entry_date").select(
        "id",
        pl.concat_str(
            formats.day_expr(pl.col("entry_date"), lang),
            label_expr("kind", "entry_kind", KINDS, lang),
            euro_text("amount_cents", lang),
            separator=" · ",
        ).alias("label"),
    )
    return options_map(labels, "id", "label")


def _opened(m: MaintainContext, project_id: int, pick: int) -> EntryRecord | None:
    return open_picked(
        _refusal(m.language),
        pick,
        open_record=lambda entry_id: editing.open_entry(m.engine, m.scope, entry_id),
        values=lambda record: _values(record.values if record else None, m.language),
        blank_marker=("new", project_id, m.language),
        new=NEW,
    )


def _values(data: EntryInput | None, language: str) -> dict[str, Any]:
    if data is None:
        return {
            "entry_date": date.today(),  # noqa: DTZ011 - a booking day as the user's calendar shows it
            "kind": EntryKind.COMMITMENT.value,
            "amount": "",
            "fund": Fund.ESF.value,
            "note": "",
        }
    return {
        "entry_date": data.entry_date,
        "kind": data.kind,
        "amount": amount_text(data.amount, language),
        "fund": data.fund,
        "note": data.note,
    }


def _form(m: MaintainContext, project_id: int, record: EntryRecord | None) -> None:
    lang = m.language
    with st.form(f"{PREFIX}_form", enter_to_submit=False):
        slots = FieldSlots(top=st.empty())
        day, kind, amount, fund = st.columns(4)
        with day:
            date_input(PREFIX, "entry_date", lang)
            slots.under("entry_date")
        with kind:
            st.selectbox(
                field_label("kind", lang),
                KINDS,
                format_func=lambda code: label("entry_kind", code, lang),
                key=widget_key(PREFIX, "kind"),
            )
            slots.under("kind")
        with amount:
            st.text_input(
                field_label("amount", lang),
                placeholder=t("maintain.amount_placeholder", lang),
                help=t("maintain.amount_help", lang),
                key=widget_key(PREFIX, "amount"),
            )
            slots.under("amount")
        with fund:
            st.selectbox(
                field_label("fund", lang),
                FUNDS,
                format_func=lambda code: label("fund", code, lang),
                key=widget_key(PREFIX, "fund"),
            )
            slots.under("fund")
        st.text_input(field_label("note", lang), max_chars=500, key=widget_key(PREFIX, "note"))
        slots.under("note")
        submitted = st.form_submit_button(t("maintain.save", lang), type="primary", icon=":material/save:")
    if submitted:
        _save(m, project_id, record, slots)


def _save(m: MaintainContext, project_id: int, record: EntryRecord | None, slots: FieldSlots) -> None:
    lang = m.language
    parsed, problems = parse_fields({"amount": (form_value(PREFIX, "amount"), parse_decimal)}, lang)
    if problems:
        slots.show(problems)
        return
    data = EntryInput(
        project_id=project_id,
        entry_date=form_value(PREFIX, "entry_date"),
        kind=form_value(PREFIX, "kind"),
        amount=parsed["amount"],
        fund=form_value(PREFIX, "fund"),
        note=(form_value(PREFIX, "note") or "").strip(),
    )

    save_record(
        _refusal(lang),
        opened=record,
        create=lambda: editing.add_entry(m.engine, m.scope, data),
        update=lambda opened: editing.update_entry(m.engine, m.scope, opened.id, data, opened=opened),
        message=lambda saved: t("maintain.money.saved", lang, version=saved.version),
        slots=slots,
    )


def _refusal(lang: str) -> Refusal:
    return Refusal(PREFIX, lang, gone=t("maintain.money.gone", lang), reset=(PICK,))


def _archive(m: MaintainContext, record: EntryRecord) -> None:
    archive_action(
        _refusal(m.language),
        ask=t("maintain.money.archive_ask", m.language),
        archive=lambda: editing.archive_entry(m.engine, m.scope, record.id, opened=record),
        archived=t("maintain.money.archived", m.language),
    )

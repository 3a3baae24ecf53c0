"""Tab „Ziele & Budget“ of „Daten pflegen“ (speakers and admins): the alliance's targets and its budget lines."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboard.data_access import editing, regional
from dashboard.data_access.editing import FormOptions, TargetInput, TargetRecord
from dashboard.data_access.money import cents_to_decimal
from dashboard.data_access.vocabulary import Fund, TargetScope
from dashboard.i18n import formats, label, t
from dashboard.ui.maintain import (
    DATE_FORMATS,
    EURO_COLUMN,
    FieldSlots,
    MaintainContext,
    Refusal,
    amount_text,
    archive_action,
    attempt,
    date_input,
    euro_text,
    field_label,
    form_value,
    keep_record,
    label_expr,
    load_form,
    open_picked,
    opened_record,
    options_map,
    parse_decimal,
    parse_fields,
    parse_number,
    record_picker,
    reload_form,
    save_record,
    show_conflict,
    value_text,
    widget_key,
    written,
)

TARGET = "mt"
TARGET_PICK = "mt_pick"
BUDGET = "mb"
BUDGET_PICK = "mb_pick"
NEW = 0
FUNDS = [member.value for member in Fund]


def render(m: MaintainContext) -> None:
    if not m.can_manage:
        st.info(t("maintain.targets.not_allowed", m.language), icon=":material/lock:")
        return
    options = editing.form_options(m.engine, m.scope, m.alliance_id)
    st.subheader(t("maintain.targets.heading", m.language))
    _targets(m, options)
    st.divider()
    st.subheader(t("maintain.budget.heading", m.language))
    _budget(m)


# --- targets ---------------------------------------------------------------------------------------------------


def _targets(m: MaintainContext, options: FormOptions) -> None:
    lang = m.language
    targets = editing.target_rows(m.engine, m.scope, m.alliance_id).filter(~pl.col("archived"))
    if targets.is_empty():
        st.info(t("maintain.targets.empty", lang), icon=":material/lightbulb:")
    else:
        _target_table(targets, lang)
    projects = editing.editable_projects(m.engine, m.scope, m.alliance_id).filter(~pl.col("archived")).sort("title")
    # Targets measure project indicators (ESF+, own) and regional statistics alike.
    indicators = pl.concat(
        [
            options.indicators.select("id", "code", "name"),
            regional.regional_indicators(m.engine, m.scope, m.alliance_id).select("id", "code", "name"),
        ]
    ).unique("id", keep="first", maintain_order=True)
    names = {
        "indicator_id": options_map(
            indicators.select("id", pl.concat_str("code", "name", separator=" – ").alias("label")), "id", "label"
        ),
        "topic_id": options_map(options.topics, "id", "name"),
        "project_id": options_map(projects, "id", "title"),
    }
    labels = targets.select(
        "id",
        pl.concat_str(
            "code",
            pl.lit(" – "),
            scope_label(lang),
            pl.lit(" ("),
            formats.day_expr(pl.col("due_date"), lang).fill_null("–"),
            pl.lit(")"),
        ).alias("label"),
    )
    pick = record_picker(
        TARGET_PICK,
        options_map(labels, "id", "label"),
        section="targets",
        context=m.alliance_id,
        refusal=_refusal(lang),
    )
    record = _opened_target(m, int(pick or NEW))
    show_conflict(TARGET, lang, what=t("maintain.targets.what", lang), names=names)
    _target_form(m, record, names)
    if record is not None:
        _archive_target(m, record)


def scope_label(lang: str) -> pl.Expr:
    """A target's scope as text from its scope, topic and project columns: "Handlungsfeld: …", "Bündnis"."""
    named = {scope: t(f"targets.scope.{scope}", lang, name="\x00").split("\x00") for scope in ("topic", "project")}
    expression = pl.lit(t("targets.scope.alliance", lang))
    for scope, column in ((TargetScope.PROJECT, "project"), (TargetScope.TOPIC, "topic")):
        before, after = named[column]
        expression = (
            pl.when((pl.col("scope") == scope.value) & (pl.col(column).fill_null("") != ""))
            .then(pl.concat_str(pl.lit(before), pl.col(column), pl.lit(after)))
            .otherwise(expression)
        )
    return expression


def _target_table(targets: pl.DataFrame, lang: str) -> None:
    columns = {name: t(f"maintain.targets.col.{name}", lang) for name in ("code", "indicator_name", "scope")}
    columns |= {name: t(f"maintain.targets.col.{name}", lang) for name in ("target_value", "due_date")}
    view = targets.with_columns(scope_label(lang).alias("scope")).select(list(columns))
    st.dataframe(
        view.rename(columns),
        hide_index=True,
        column_config={
            columns["indicator_name"]: st.column_config.TextColumn(width="large"),
            columns["scope"]: st.column_config.TextColumn(width="medium"),
            columns["target_value"]: st.column_config.NumberColumn(format="localized"),
            columns["due_date"]: st.column_config.DateColumn(format=DATE_FORMATS.get(lang, "DD.MM.YYYY")),
        },
    )


def _opened_target(m: MaintainContext, pick: int) -> TargetRecord | None:
    return open_picked(
        _refusal(m.language),
        pick,
        open_record=lambda target_id: editing.open_target(m.engine, m.scope, target_id),
        values=lambda record: _target_values(record.values if record else None, m.language),
        blank_marker=("new", m.alliance_id, m.language),
        new=NEW,
    )


def _target_values(data: TargetInput | None, language: str) -> dict[str, Any]:
    if data is None:
        data = TargetInput(
            indicator_id=None,
            scope=TargetScope.ALLIANCE.value,
            topic_id=None,
            project_id=None,
            description="",
            baseline_value=None,
            baseline_date=None,
            target_value=None,
            due_date=None,
        )
    return {
        "indicator_id": data.indicator_id,
        "scope": data.scope,
        "topic_id": data.topic_id,
        "project_id": data.project_id,
        "description": data.description,
        "baseline_value": value_text(data.baseline_value, language),
        "baseline_date": data.baseline_date,
        "target_value": value_text(data.target_value, language),
        "due_date": data.due_date,
    }


def _choice(name: str, choices: dict[Any, str], lang: str) -> None:
    current = form_value(TARGET, name)
    if current is not None and current not in choices:
        # e.g. a target on an indicator that no longer has values in the alliance's Kreise
        choices = {**choices, current: f"#{current}"}
    st.selectbox(
        field_label(name, lang),
        list(choices),
        format_func=lambda key: choices.get(key, str(key)),
        index=None,
        placeholder=t("maintain.choose", lang),
        key=widget_key(TARGET, name),
    )


def _target_form(m: MaintainContext, record: TargetRecord | None, names: dict[str, dict[Any, str]]) -> None:
    lang = m.language
    with st.form(f"{TARGET}_form", enter_to_submit=False):
        slots = FieldSlots(top=st.empty())
        indicator, scope = st.columns([2, 1])
        with indicator:
            _choice("indicator_id", names["indicator_id"], lang)
            slots.under("indicator_id")
        with scope:
            scopes = [member.value for member in TargetScope]
            st.selectbox(
                field_label("scope", lang),
                scopes,
                format_func=lambda code: label("maintain.scope", code, lang),
                key=widget_key(TARGET, "scope"),
            )
            slots.under("scope")
        topic, project = st.columns(2)
        with topic:
            _choice("topic_id", names["topic_id"], lang)
            slots.under("topic_id")
        with project:
            _choice("project_id", names["project_id"], lang)
            slots.under("project_id")
        st.text_input(field_label("description", lang), max_chars=500, key=widget_key(TARGET, "description"))
        slots.under("description")
        columns = st.columns(4)
        for column, name in zip(columns, ("baseline_value", "baseline_date", "target_value", "due_date"), strict=True):
            with column:
                if name.endswith("_date"):
                    date_input(TARGET, name, lang)
                else:
                    st.text_input(field_label(name, lang), key=widget_key(TARGET, name))
                slots.under(name)
        st.caption(t("maintain.targets.scope_hint", lang))
        submitted = st.form_submit_button(t("maintain.save", lang), type="primary", icon=":material/save:")
    if submitted:
        _save_target(m, record, slots)


def _save_target(m: MaintainContext, record: TargetRecord | None, slots: FieldSlots) -> None:
    lang = m.language
    numbers, problems = parse_fields(
        {name: (form_value(TARGET, name), parse_number) for name in ("baseline_value", "target_value")}, lang
    )
    if problems:
        slots.show(problems)
        return

    def optional_id(name: str) -> int | None:
        value = form_value(TARGET, name)
        return int(value) if value is not None else None

    data = TargetInput(
        indicator_id=optional_id("indicator_id"),
        scope=form_value(TARGET, "scope"),
        topic_id=optional_id("topic_id"),
        project_id=optional_id("project_id"),
        description=(form_value(TARGET, "description") or "").strip(),
        baseline_value=numbers["baseline_value"],
        baseline_date=form_value(TARGET, "baseline_date"),
        target_value=numbers["target_value"],
        due_date=form_value(TARGET, "due_date"),
    )

    save_record(
        _refusal(lang),
        opened=record,
        create=lambda: editing.create_target(m.engine, m.scope, m.alliance_id, data),
        update=lambda opened: editing.update_target(m.engine, m.scope, opened.id, data, opened=opened),
        message=lambda saved: t("maintain.targets.saved", lang, version=saved.version),
        slots=slots,
    )


def _refusal(lang: str) -> Refusal:
    return Refusal(TARGET, lang, gone=t("maintain.targets.gone", lang), reset=(TARGET_PICK,))


def _archive_target(m: MaintainContext, record: TargetRecord) -> None:
    archive_action(
        _refusal(m.language),
        ask=t("maintain.targets.archive_ask", m.language),
        archive=lambda: editing.archive_target(m.engine, m.scope, record.id, opened=record),
        archived=t("maintain.targets.archived", m.language),
        new=NEW,
    )


# --- budget ----------------------------------------------------------------------------------------------------


def _budget(m: MaintainContext) -> None:
    lang = m.language
    lines = editing.budget_rows(m.engine, m.scope, m.alliance_id).sort("year", "fund")
    if lines.is_empty():
        st.info(t("maintain.budget.empty", lang), icon=":material/lightbulb:")
    else:
        columns = {name: t(f"maintain.budget.col.{name}", lang) for name in ("fund", "year", "planned")}
        view = lines.select(
            label_expr("fund", "fund", FUNDS, lang),
            pl.col("year").cast(pl.String),
            euro_text("planned_cents", lang).alias("planned"),
        )
        st.dataframe(view.rename(columns), hide_index=True, column_config={columns["planned"]: EURO_COLUMN})
    labels = lines.select(
        "id", pl.concat_str(label_expr("fund", "fund", FUNDS, lang), pl.col("year").cast(pl.String), separator=" ")
    )
    pick = int(
        record_picker(
            BUDGET_PICK,
            options_map(labels, "id", "fund"),
            section="budget",
            context=m.alliance_id,
            refusal=_budget_refusal(lang),
        )
        or NEW
    )
    row: dict[str, Any] | None = None
    if pick != NEW:
        kept: dict[str, Any] | None = opened_record(BUDGET)
        row = kept if kept is not None and kept["id"] == pick else lines.filter(pl.col("id") == pick).row(0, named=True)
    keep_record(BUDGET, row)
    marker = ("new", m.alliance_id, lang) if row is None else (row["id"], row["version"], lang)
    load_form(
        BUDGET,
        marker,
        {
            "fund": row["fund"] if row else Fund.ESF.value,
            "year": int(row["year"]) if row else m.default_year,
            "amount": amount_text(cents_to_decimal(int(row["planned_cents"])), lang) if row else "",
        },
    )
    show_conflict(BUDGET, lang, what=t("maintain.budget.what", lang))
    with st.form(f"{BUDGET}_form", enter_to_submit=False):
        slots = FieldSlots(top=st.empty())
        fund, year, amount = st.columns(3)
        with fund:
            st.selectbox(
                field_label("fund", lang),
                FUNDS,
                format_func=lambda code: label("fund", code, lang),
                key=widget_key(BUDGET, "fund"),
                disabled=row is not None,
            )
            slots.under("fund")
        with year:
            st.number_input(
                field_label("year", lang),
                min_value=1990,
                max_value=2100,
                step=1,
                key=widget_key(BUDGET, "year"),
                disabled=row is not None,
            )
            slots.under("year")
        with amount:
            st.text_input(
                field_label("planned_amount", lang),
                placeholder=t("maintain.amount_placeholder", lang),
                help=t("maintain.amount_help", lang),
                key=widget_key(BUDGET, "amount"),
            )
            slots.under("amount")
        submitted = st.form_submit_button(t("maintain.save", lang), type="primary", icon=":material/save:")
    if submitted:
        _save_budget(m, row, slots)


def _save_budget(m: MaintainContext, row: dict[str, Any] | None, slots: FieldSlots) -> None:
    lang = m.language
    parsed, problems = parse_fields({"amount": (form_value(BUDGET, "amount"), parse_decimal)}, lang)
    if problems:
        slots.show(problems)
        return
    fund = row["fund"] if row else form_value(BUDGET, "fund")
    year = int(row["year"]) if row else int(form_value(BUDGET, "year"))

    def done(_: object) -> None:
        reload_form(BUDGET)
        written(t("maintain.budget.saved", lang, fund=label("fund", fund, lang), year=year))

    attempt(
        lambda: editing.set_budget(
            m.engine,
            m.scope,
            m.alliance_id,
            fund=fund,
            year=year,
            amount=parsed["amount"],
            opened_version=int(row["version"]) if row else None,
        ),
        refusal=_budget_refusal(lang),
        on_success=done,
        slots=slots,
    )


def _budget_refusal(lang: str) -> Refusal:
    return Refusal(BUDGET, lang, gone=t("maintain.budget.gone", lang), reset=(BUDGET_PICK,))

"""Tab „Indikatorwerte“ of „Daten pflegen“: the values a project reported, report a new one or correct one."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboard.data_access import editing
from dashboard.data_access.editing import ValueInput
from dashboard.i18n import formats, t
from dashboard.ui.maintain import (
    DATE_FORMATS,
    FieldSlots,
    MaintainContext,
    Refusal,
    attempt,
    date_input,
    field_label,
    form_value,
    keep_record,
    load_form,
    opened_record,
    options_map,
    parse_fields,
    parse_number,
    project_picker,
    record_picker,
    reload_form,
    reopen,
    show_stale,
    stale_of,
    value_text,
    widget_key,
)

PREFIX = "mv"
PICK = "mv_pick"
NEW = 0
KEY = ("indicator_id", "period_end", "dimensions")  # what identifies a reported value


def render(m: MaintainContext) -> None:
    lang = m.language
    project_id = project_picker(m, "mv_project", _refusal(lang))
    if project_id is None:
        return
    values = editing.project_values(m.engine, m.scope, project_id)
    _table(values, lang)
    options = editing.form_options(m.engine, m.scope, m.alliance_id)
    indicators = options_map(
        options.indicators.select("id", pl.concat_str("code", "name", separator=" – ").alias("label")), "id", "label"
    )
    pick = record_picker(
        PICK,
        _value_labels(values, lang),
        section="values",
        context=(m.alliance_id, project_id),
        refusal=_refusal(lang),
    )
    row = _opened(m, project_id, int(pick or NEW), values)
    stale = stale_of(PREFIX)
    if stale is not None and row is None:
        # A new value whose indicator, Stichtag and breakdown are taken: the existing one must be opened first.
        st.warning(t("maintain.values.exists", lang), icon=":material/sync_problem:")
        st.button(
            t("maintain.values.open_existing", lang),
            on_click=_open_existing,
            args=(stale.record_id,),
            icon=":material/edit:",
            key=f"{PREFIX}_open_existing",
        )
    elif stale is not None:
        show_stale(PREFIX, stale, lang, what=t("maintain.values.what", lang), names={"indicator_id": indicators})

    _form(m, project_id, row, indicators)


def _open_existing(value_id: object) -> None:
    reload_form(PREFIX)
    if isinstance(value_id, int | str) and str(value_id).isdigit():
        st.session_state[PICK] = int(value_id)


def _table(values: pl.DataFrame, lang: str) -> None:
    if values.is_empty():
        st.info(t("maintain.values.empty", lang), icon=":material/lightbulb:")
        return
    names = ("code", "name", "period_end", "dimensions", "value", "unit", "is_cumulative")
    columns = {name: t(f"maintain.values.col.{name}", lang) for name in names}
    view = values.sort("period_end", "code", "dimensions").select(
        "code",
        "name",
        "period_end",
        _breakdown(lang).alias("dimensions"),
        "value",
        "unit",
        "is_cumulative",
    )
    st.dataframe(
        view.rename(columns),
        hide_index=True,
        column_config={
            columns["period_end"]: st.column_config.DateColumn(format=DATE_FORMATS.get(lang, "DD.MM.YYYY")),
            columns["value"]: st.column_config.NumberColumn(format="localized"),
            columns["is_cumulative"]: st.column_config.CheckboxColumn(),
        },
    )


def _value_labels(values: pl.DataFrame, lang: str) -> dict[int, str]:
    """id → "EECO01 · 31.12.2025 · insgesamt"."""
    labels = values.sort("period_end", "code", "dimensions").select(
        "id",
        pl.concat_str(
            "code",
            formats.day_expr(pl.col("period_end"), lang),
            _breakdown(lang),
            separator=" · ",
        ).alias("label"),
    )
    return options_map(labels, "id", "label")


def _breakdown(lang: str) -> pl.Expr:
    """The breakdown as the table shows it: "insgesamt" for the total."""
    dimensions = pl.col("dimensions").fill_null("")
    return pl.when(dimensions == "").then(pl.lit(t("maintain.values.total", lang))).otherwise(dimensions)


def _opened(m: MaintainContext, project_id: int, pick: int, values: pl.DataFrame) -> dict[str, Any] | None:
    """The reported value behind the form (its row with version), kept from the moment it was opened."""
    row: dict[str, Any] | None = opened_record(PREFIX)
    if pick == NEW or values.filter(pl.col("id") == pick).is_empty():
        keep_record(PREFIX, None)
        load_form(PREFIX, ("new", project_id, m.language), _values(None, m.language))
        return None
    if row is None or row["id"] != pick:
        row = values.filter(pl.col("id") == pick).row(0, named=True)
        keep_record(PREFIX, row)
    load_form(PREFIX, (row["id"], row["version"], m.language), _values(row, m.language))
    return row


def _values(row: dict[str, Any] | None, language: str) -> dict[str, Any]:
    if row is None:
        return {"indicator_id": None, "period_end": None, "value": "", "dimensions": "", "is_cumulative": False}
    return {
        "indicator_id": row["indicator_id"],
        "period_end": row["period_end"],
        "value": value_text(row["value"], language),
        "dimensions": row["dimensions"] or "",
        "is_cumulative": bool(row["is_cumulative"]),
    }


def _form(m: MaintainContext, project_id: int, row: dict[str, Any] | None, indicators: dict[int, str]) -> None:
    lang = m.language
    # A reported value is known by indicator, Stichtag and breakdown: changing them would report another value.
    fixed = row is not None
    with st.form(f"{PREFIX}_form", enter_to_submit=False):
        slots = FieldSlots(top=st.empty())
        if fixed:
            st.caption(t("maintain.values.key_fixed", lang))
        st.selectbox(
            field_label("indicator_id", lang),
            list(indicators),
            format_func=lambda key: indicators.get(key, str(key)),
            index=None,
            placeholder=t("maintain.choose", lang),
            key=widget_key(PREFIX, "indicator_id"),
            disabled=fixed,
        )
        slots.under("indicator_id")
        day, value, dimensions = st.columns(3)
        with day:
            date_input(PREFIX, "period_end", lang, disabled=fixed)
            slots.under("period_end")
        with value:
            st.text_input(field_label("value", lang), key=widget_key(PREFIX, "value"))
            slots.under("value")
        with dimensions:
            st.text_input(
                field_label("dimensions", lang),
                placeholder=t("maintain.values.dimensions_placeholder", lang),
                help=t("maintain.values.dimensions_help", lang),
                key=widget_key(PREFIX, "dimensions"),
                disabled=fixed,
            )
            slots.under("dimensions")
        st.checkbox(
            field_label("is_cumulative", lang),
            help=t("maintain.values.cumulative_help", lang),
            key=widget_key(PREFIX, "is_cumulative"),
        )
        slots.under("is_cumulative")
        submitted = st.form_submit_button(t("maintain.values.save", lang), type="primary", icon=":material/save:")
    if submitted:
        _save(m, project_id, row, slots)


def _save(m: MaintainContext, project_id: int, row: dict[str, Any] | None, slots: FieldSlots) -> None:
    lang = m.language
    parsed, problems = parse_fields({"value": (form_value(PREFIX, "value"), parse_number)}, lang)
    if problems:
        slots.show(problems)
        return
    # An open value keeps its key as stored, whatever the (disabled) key fields hold.
    key = _values(row, lang) if row is not None else {name: form_value(PREFIX, name) for name in KEY}
    indicator = key["indicator_id"]
    data = ValueInput(
        project_id=project_id,
        indicator_id=int(indicator) if indicator is not None else None,
        period_end=key["period_end"],
        value=parsed["value"],
        dimensions=(key["dimensions"] or "").strip(),
        is_cumulative=bool(form_value(PREFIX, "is_cumulative")),
    )
    opened_version = int(row["version"]) if row is not None else None

    def done(value_id: int) -> None:
        # Reopened from the fresh list on the next run, with its new version.
        reopen(PREFIX, pick=value_id, message=t("maintain.values.saved", lang))

    attempt(
        lambda: editing.report_value(m.engine, m.scope, data, opened_version=opened_version),
        refusal=_refusal(lang),
        on_success=done,
        slots=slots,
    )


def _refusal(lang: str) -> Refusal:
    return Refusal(PREFIX, lang, gone=t("maintain.values.gone", lang), reset=(PICK,))

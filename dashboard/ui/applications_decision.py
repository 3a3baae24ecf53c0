"""The decision area of an application: the status changes the caller may make (bewilligt with the approved grant
and date, abgelehnt, zurückgezogen, laufend) and, once approved, the way to the project in the portfolio."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.data_access import applications
from dashboard.data_access.applications import ApplicationView
from dashboard.data_access.vocabulary import ProjectStatus
from dashboard.i18n import formats, label, t
from dashboard.ui import project_filters
from dashboard.ui.applications import DetailContext, write
from dashboard.ui.maintain import (
    DATE_FORMATS,
    EARLIEST,
    LATEST,
    FieldSlots,
    Refusal,
    amount_text,
    form_value,
    load_form,
    parse_decimal,
    widget_key,
    written,
)

PREFIX = "ent"  # Entscheidung: the keys of the decision form
TARGET = widget_key(PREFIX, "status")
PROJECTS_PAGE = "dashboard/pages/projects.py"
APPROVED = ProjectStatus.BEWILLIGT.value
# Statuses in which the application is a project of the portfolio (approved and after).
IN_PORTFOLIO = (ProjectStatus.BEWILLIGT.value, ProjectStatus.LAUFEND.value, ProjectStatus.ABGESCHLOSSEN.value)


def decision_area(d: DetailContext, view: ApplicationView) -> None:
    lang = d.language
    st.markdown(t("applications.decision.current", lang, status=label("status", view.status, lang)))
    _history(view, lang)
    if view.status in IN_PORTFOLIO:
        _portfolio_link(view, lang)
    if not view.can_manage:
        st.caption(t("applications.decision.read_only", lang))
        return
    targets = list(view.next_statuses)
    _hints(view, targets, lang)
    if not targets:
        return
    if st.session_state.get(TARGET) not in targets:
        st.session_state[TARGET] = targets[0]
    load_form(
        PREFIX,
        (view.id, view.version, lang),
        {"approved_grant": amount_text(view.requested_grant, lang), "on": d.today},
    )
    slots = FieldSlots(top=st.empty())
    target = st.selectbox(
        t("applications.decision.to_status", lang),
        targets,
        format_func=lambda code: label("status", code, lang),
        key=TARGET,
    )
    slots.under("status")
    day, grant = st.columns(2)
    with day:
        st.date_input(
            t("applications.decision.on", lang),
            min_value=EARLIEST,
            max_value=LATEST,
            format=DATE_FORMATS.get(lang, DATE_FORMATS["de"]),
            key=widget_key(PREFIX, "on"),
            help=t("applications.decision.on_help", lang),
        )
        slots.under("on")
    if target == APPROVED:
        with grant:
            st.text_input(
                t("applications.decision.approved_grant", lang),
                key=widget_key(PREFIX, "approved_grant"),
                placeholder=t("maintain.amount_placeholder", lang),
                help=t("applications.decision.approved_grant_help", lang),
            )
            slots.under("approved_grant")
    if st.button(
        t("applications.decision.apply", lang, status=label("status", target, lang)),
        type="primary",
        icon=":material/gavel:",
        key="ent_apply",
    ):
        _apply(d, view, target, slots)


def _history(view: ApplicationView, language: str) -> None:
    """Every status change of the application: when (German time), from, to, by whom."""
    history = view.status_history
    if history.is_empty():
        return
    codes = [status.value for status in ProjectStatus]
    names = [label("status", code, language) for code in codes]
    table = history.select(
        formats.day_expr(pl.col("changed_at").dt.convert_time_zone("Europe/Berlin"), language).alias(
            t("applications.decision.col.when", language)
        ),
        pl.col("from_status")
        .replace_strict(codes, names, default=pl.col("from_status"))
        .fill_null("–")
        .alias(t("applications.decision.col.from", language)),
        pl.col("to_status")
        .replace_strict(codes, names, default=pl.col("to_status"))
        .alias(t("applications.decision.col.to", language)),
        pl.col("user_name").alias(t("applications.decision.col.who", language)),
    )
    with st.expander(t("applications.decision.history", language, count=history.height)):
        st.dataframe(table, hide_index=True, width="stretch")


def _hints(view: ApplicationView, targets: list[str], language: str) -> None:
    """Why a step the user may expect is not offered."""
    if view.status == ProjectStatus.BEANTRAGT.value:
        st.caption(t("applications.decision.hint_beantragt", language))
    if view.status == ProjectStatus.BEWERTET.value and APPROVED not in targets:
        st.caption(t("applications.decision.hint_positive", language))
    if not targets:
        st.caption(t("applications.decision.none", language))


def _apply(d: DetailContext, view: ApplicationView, target: str, slots: FieldSlots) -> None:
    lang = d.language
    grant = None
    if target == APPROVED:
        text = form_value(PREFIX, "approved_grant")
        try:
            grant = parse_decimal(text, lang)
        except ValueError:
            slots.show({"approved_grant": [t("maintain.error.not_a_number", lang, text=(text or "").strip())]})
            return
    on = form_value(PREFIX, "on") or d.today
    write(
        lambda: applications.change_status(
            d.engine, d.scope, view.id, target, opened_version=view.version, on=on, approved_grant=grant
        ),
        refusal=Refusal(PREFIX, lang, gone=t("applications.detail.gone", lang)),
        on_success=lambda _: written(
            t("applications.decision.changed", lang, title=view.title, status=label("status", target, lang))
        ),
        slots=slots,
    )


def _portfolio_link(view: ApplicationView, language: str) -> None:
    """To the project page, its filters cleared and the search set to this title (state and URL alike: the page
    takes the URL on its first visit in a session, its state after)."""
    st.caption(t("applications.decision.in_portfolio", language))
    if st.button(t("applications.decision.open_project", language), icon=":material/work:", key="ent_to_project"):
        project_filters.reset_filters()
        st.session_state[project_filters.TEXT_KEY] = view.title
        st.switch_page(PROJECTS_PAGE, query_params={project_filters.TEXT_KEY: view.title})

"""The application pipeline of „Anträge & Stellungnahmen“: URL-bound filters, KPI tiles, the table and its selection,
and the detail's key facts and decision (status change) area."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NoReturn, TypeVar

import polars as pl
import streamlit as st
from sqlalchemy import Engine

from dashboard import cache
from dashboard.charts.pipeline import PIPELINE_ORDER
from dashboard.config import Settings
from dashboard.data_access.applications import ApplicationFilter, ApplicationView
from dashboard.data_access.scope import PermissionDenied, Scope
from dashboard.data_access.writes import NotFound
from dashboard.domain.assessment import ASSESSABLE_STATUSES
from dashboard.i18n import formats, label, t
from dashboard.ui.maintain import (
    EURO_COLUMN,
    FieldSlots,
    Refusal,
    attempt,
    keep,
    keep_record,
    opened_record,
    reload_form,
    stale_of,
    written,
)
from dashboard.ui.text import plain
from dashboard.ui.url_state import seed_list_from_url, write_to_url

T = TypeVar("T")
# Widget keys double as URL parameter names (German, like the UI); they differ from the project page's keys, so
# each page keeps its own filters in a session.
TOPICS, REGIONS, APPLICANTS, STATUSES = "handlungsfeld", "kreise", "antragsteller", "antragsstatus"
FILTER_KEYS = (TOPICS, REGIONS, APPLICANTS, STATUSES)
SELECTED = "antrag"  # ?antrag=<project id>: the application whose detail is open (the Partner page links with it)
_IN_URL = "_antrag_in_url"  # the ?antrag= this page wrote last; anything else in the URL came from a link
_TABLE_SEEN = "_antraege_table_seen"  # (table key, selected rows) of the last run
EMPTY = "–"


def write(
    action: Callable[[], T],
    *,
    refusal: Refusal,
    on_success: Callable[[T], None],
    slots: FieldSlots | None = None,
) -> None:
    """A write of the detail, with the form pattern of „Daten pflegen“ (``maintain.attempt``); a record gone
    meanwhile also forgets the briefly cached application."""

    def guarded() -> T:
        try:
            return action()
        except NotFound:
            cache.application_view.clear()
            raise

    attempt(guarded, refusal=refusal, on_success=on_success, slots=slots)


def opened_version(prefix: str, record_key: Hashable, version: int | None) -> int | None:
    """The version the form opened the record at (what a save sends for the optimistic lock).

    The form takes the record's values once per opening, like the forms of „Daten pflegen“: a newer version that
    someone else saved meanwhile does not overwrite what the user is typing; their save is refused instead.
    """
    opened = opened_record(prefix)
    if opened is None or opened[0] != record_key:
        opened = (record_key, version)
        keep_record(prefix, opened)
        st.session_state.pop(f"_{prefix}_loaded", None)
    return opened[1]


def saved(prefix: str, message: str) -> NoReturn:
    """After a successful write: the form opens the stored record afresh; every cache forgets; say so."""
    reload_form(prefix)
    written(message)


def _reload(prefix: str) -> None:
    reload_form(prefix)
    cache.application_view.clear()


def conflict(prefix: str, language: str, *, what: str) -> None:
    """The refused save of this form (someone else saved the record after it was opened): nothing was
    overwritten, the typed input stays; „Neu laden“ opens what is stored now."""
    stale = stale_of(prefix)
    if stale is None:
        return
    st.warning(
        t("maintain.stale.message", language, what=what, expected=stale.expected, current=stale.current),
        icon=":material/sync_problem:",
    )
    st.caption(t("maintain.stale.reload_hint", language))
    st.button(
        t("maintain.stale.reload", language),
        on_click=_reload,
        args=(prefix,),
        icon=":material/refresh:",
        key=f"{prefix}_reload",
    )


@dataclass(frozen=True)
class DetailContext:
    """What every area of an application's detail needs."""

    settings: Settings
    engine: Engine
    scope: Scope
    language: str
    alliance_name: str
    today: date
    member_names: Mapping[int, str]  # the alliance's organisations


@dataclass(frozen=True)
class FilterOptions:
    topics: dict[str, int]  # name -> id (names in the URL: readable and stable across languages)
    regions: dict[str, str]  # AGS -> name
    applicants: dict[str, int]  # name -> member id


def filter_options(topics: pl.DataFrame, regions: pl.DataFrame, members: pl.DataFrame) -> FilterOptions:
    return FilterOptions(
        topics=dict(zip(topics["name"].to_list(), topics["id"].to_list(), strict=True)),
        regions=dict(zip(regions["ags"].to_list(), regions["name"].to_list(), strict=True)),
        applicants=dict(zip(members["name"].to_list(), members["id"].to_list(), strict=True)),
    )


def reset_filters() -> None:
    """Callback of the reset action: every filter back to "all"."""
    for key in FILTER_KEYS:
        st.session_state[key] = []


def filter_bar(options: FilterOptions, language: str) -> ApplicationFilter:
    """Handlungsfeld, Kreis, Antragsteller and Status, bound to the URL, with a reset; returns the typed filter."""
    choices: dict[str, Sequence[str]] = {
        TOPICS: list(options.topics),
        REGIONS: list(options.regions),
        APPLICANTS: list(options.applicants),
        STATUSES: list(PIPELINE_ORDER),
    }
    keep(FILTER_KEYS)  # kept while the catalogue tab is open
    for key, values in choices.items():
        seed_list_from_url(key, values)
    everything = t("applications.filter.all", language)
    topic, region, applicant, status = st.columns(4)
    topic.multiselect(t("applications.filter.topic", language), choices[TOPICS], key=TOPICS, placeholder=everything)
    region.multiselect(
        t("applications.filter.region", language),
        choices[REGIONS],
        key=REGIONS,
        placeholder=everything,
        format_func=options.regions.__getitem__,
    )
    applicant.multiselect(
        t("applications.filter.applicant", language), choices[APPLICANTS], key=APPLICANTS, placeholder=everything
    )
    status.multiselect(
        t("applications.filter.status", language),
        choices[STATUSES],
        key=STATUSES,
        placeholder=everything,
        format_func=lambda code: label("status", code, language),
    )
    st.button(
        t("applications.filter.reset", language),
        on_click=reset_filters,
        icon=":material/filter_alt_off:",
        key="antraege_reset",
        help=t("applications.filter.reset_help", language),
    )
    for key in FILTER_KEYS:
        write_to_url(key, st.session_state.get(key))
    return ApplicationFilter(
        topic_ids=tuple(sorted(options.topics[name] for name in st.session_state[TOPICS])),
        region_ags=tuple(sorted(st.session_state[REGIONS])),
        applicant_ids=tuple(sorted(options.applicants[name] for name in st.session_state[APPLICANTS])),
        statuses=tuple(st.session_state[STATUSES]),
    )


def filtered(flt: ApplicationFilter) -> bool:
    return bool(flt.topic_ids or flt.region_ags or flt.applicant_ids or flt.statuses)


def empty_state(flt: ApplicationFilter, language: str) -> None:
    """No application to show: either the filters exclude all (reset them) or there is none yet (how to add one)."""
    if filtered(flt):
        st.info(t("applications.empty.filtered", language), icon=":material/search_off:")
        st.button(
            t("applications.filter.reset", language), on_click=reset_filters, type="primary", key="antraege_reset_empty"
        )
    else:
        st.info(t("applications.empty.none", language), icon=":material/inbox:")


def table_key(flt: ApplicationFilter) -> str:
    """A table key per filter: a new filter shows the table unselected (a row index would name another row)."""
    return f"antraege_table_{abs(hash(flt)) % 10**10}"


def money_note(applications: pl.DataFrame, language: str) -> None:
    masked = int((~applications["money_visible"]).sum())
    if masked:
        st.caption(t("applications.money_hidden", language, count=formats.number(masked, language)))


# --- KPI tiles ---------------------------------------------------------------------------------------------------


def kpi_row(applications: pl.DataFrame, stages: pl.DataFrame, language: str) -> None:
    """Open applications, the money they request (masked ones included: a total), their median wait, flagged ones."""
    open_stages = stages.filter(pl.col("status").is_in(ASSESSABLE_STATUSES))
    open_rows = applications.filter(pl.col("status").is_in(ASSESSABLE_STATUSES))
    requested = open_stages["requested_grant"].sum() if not open_stages.is_empty() else None
    cents = int(Decimal(requested or 0) * 100)
    waiting = open_rows["waiting_days"].median() if not open_rows.is_empty() else None
    flagged = int(open_rows["flagged"].sum()) if not open_rows.is_empty() else 0
    count, money, wait, discuss = st.columns(4)
    count.metric(
        t("applications.kpi.open", language),
        formats.number(int(open_stages["applications"].sum()) if not open_stages.is_empty() else 0, language),
        help=t("applications.kpi.open_help", language),
    )
    money.metric(
        t("applications.kpi.requested", language),
        formats.money_short(cents, language),
        help=t("applications.kpi.requested_help", language, amount=formats.money(cents, language, cents=True)),
    )
    wait.metric(
        t("applications.kpi.waiting", language),
        EMPTY
        if waiting is None
        else t("applications.kpi.days", language, days=formats.number(float(waiting), language)),  # type: ignore[arg-type]
        help=t("applications.kpi.waiting_help", language),
    )
    discuss.metric(
        t("applications.kpi.flagged", language),
        formats.number(flagged, language),
        help=t("applications.kpi.flagged_help", language),
    )


# --- the table ---------------------------------------------------------------------------------------------------


def decimal_text(expr: pl.Expr, language: str, *, decimals: int = 2) -> pl.Expr:
    """A float column as text with the language's decimal mark and fixed decimals (3,50 / 3.50); null stays null."""
    scale = 10**decimals
    scaled = (expr * scale).round(0).cast(pl.Int64)
    whole = (scaled // scale).cast(pl.String)
    fraction = (scaled % scale).cast(pl.String).str.zfill(decimals)
    return pl.concat_str(whole, pl.lit("." if language == "en" else ","), fraction)


def statement_label(language: str) -> pl.Expr:
    """„Entwurf“, „endgültig: befürwortet“ or „–“ from statement_state and recommendation."""
    recommendation = pl.col("recommendation")
    codes = ["befuerwortet", "befuerwortet_mit_auflagen", "nicht_befuerwortet"]
    readable = recommendation.replace_strict(
        codes, [label("recommendation", code, language) for code in codes], default=recommendation
    )
    final = t("applications.statement_state.final", language)
    return (
        pl.when(pl.col("statement_state") == "final")
        .then(pl.concat_str(pl.lit(final), pl.lit(": "), readable.fill_null(EMPTY)))
        .when(pl.col("statement_state") == "draft")
        .then(pl.lit(t("applications.statement_state.draft", language)))
        .otherwise(pl.lit(EMPTY))
    )


def table_view(applications: pl.DataFrame, language: str) -> tuple[pl.DataFrame, dict[str, str]]:
    """The shown columns with their German (English) headers; masked money as „–“."""
    columns = {
        name: t(f"applications.col.{name}", language)
        for name in (
            "title",
            "applicant",
            "status",
            "submitted_on",
            "waiting_days",
            "requested",
            "assessments",
            "weighted_total",
            "flagged",
            "statement",
        )
    }
    codes = list(PIPELINE_ORDER)
    cents = (pl.col("requested_grant").cast(pl.Decimal(16, 2)) * 100).cast(pl.Int64)
    money = formats.money_expr(cents, language)
    view = applications.select(
        pl.col("title"),
        pl.col("lead_name").alias("applicant"),
        pl.col("status").replace_strict(
            codes, [label("status", code, language) for code in codes], default=pl.col("status")
        ),
        pl.col("submitted_on"),
        pl.col("waiting_days"),
        pl.when(pl.col("money_visible") & pl.col("requested_grant").is_not_null())
        .then(money)
        .otherwise(pl.lit(EMPTY))
        .alias("requested"),
        pl.col("assessments"),
        decimal_text(pl.col("weighted_total"), language).fill_null(EMPTY).alias("weighted_total"),
        pl.when(pl.col("flagged"))
        .then(pl.lit(t("applications.flag.yes", language)))
        .otherwise(pl.lit(""))
        .alias("flagged"),
        statement_label(language).alias("statement"),
    ).rename(columns)
    return view, columns


def application_table(applications: pl.DataFrame, language: str, *, key: str) -> None:
    """The applications with single-row selection; picking a row opens its detail (and puts it in the URL)."""
    view, columns = table_view(applications, language)
    event = st.dataframe(
        view,
        key=key,
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        placeholder=EMPTY,
        width="stretch",
        column_config={
            columns["title"]: st.column_config.TextColumn(pinned=True),
            columns["submitted_on"]: st.column_config.DateColumn(format="DD.MM.YYYY"),
            columns["waiting_days"]: st.column_config.NumberColumn(
                format="%d", help=t("applications.col.waiting_days_help", language)
            ),
            columns["requested"]: EURO_COLUMN,
            columns["weighted_total"]: st.column_config.TextColumn(
                alignment="right", help=t("applications.col.weighted_total_help", language)
            ),
            columns["flagged"]: st.column_config.TextColumn(help=t("applications.col.flagged_help", language)),
        },
    )
    rows = list(event.selection.rows) if event is not None else []
    _follow_table(key, rows, applications["project_id"].to_list())


def _follow_table(key: str, rows: list[int], ids: list[int]) -> None:
    """A new row selection opens that application; deselecting closes it. An unchanged selection leaves the open
    detail alone, so ?antrag= from a link survives until the user picks in the table."""
    seen = st.session_state.get(_TABLE_SEEN)
    st.session_state[_TABLE_SEEN] = (key, rows)
    if seen == (key, rows):
        return
    picked = ids[rows[0]] if rows and rows[0] < len(ids) else None
    same_table = seen is not None and seen[0] == key
    if picked is not None or same_table:
        st.session_state[SELECTED] = picked


# --- the open application ----------------------------------------------------------------------------------------


def seed_selection() -> None:
    """Take ?antrag= when it came from outside (first visit, a link from the Partner page, a shared URL)."""
    raw = st.query_params.get(SELECTED)
    if raw != st.session_state.get(_IN_URL):
        st.session_state[SELECTED] = int(raw) if raw and raw.isdigit() else None
        st.session_state[_IN_URL] = raw


def selected_application() -> int | None:
    value = st.session_state.get(SELECTED)
    return int(value) if value is not None else None


def write_selection() -> None:
    value = selected_application()
    text = None if value is None else str(value)
    write_to_url(SELECTED, text)
    st.session_state[_IN_URL] = text


def close_detail() -> None:
    st.session_state[SELECTED] = None


def open_failed(error: Exception, language: str) -> None:
    """The linked application is not (or no longer) there for this caller: say so, and close it."""
    key = "applications.detail.not_found" if isinstance(error, NotFound | PermissionDenied) else "applications.error"
    st.warning(t(key, language), icon=":material/search_off:")
    st.button(t("applications.detail.close", language), on_click=close_detail, key="antrag_close_missing")


def key_facts(view: ApplicationView, language: str) -> None:
    """Title, status, applicant, partners, topics, Kreise, money and dates of the application."""
    heading, close = st.columns([6, 1], vertical_alignment="center")
    heading.subheader(plain(view.title))
    close.button(
        t("applications.detail.close", language), on_click=close_detail, icon=":material/close:", key="antrag_close"
    )
    dates = (
        formats.period(view.start_date, view.end_date, language)
        if view.start_date and view.end_date
        else t("projects.detail.no_dates", language)
    )
    submitted = t("applications.detail.submitted", language, date=formats.day(view.submitted_on, language))
    status, fund = label("status", view.status, language), label("fund", view.fund, language)
    st.caption(f"{status} · {fund} · {dates} · {submitted}")
    lead, partners, topics, regions = st.columns(4)
    for area, heading_key, values in (
        (lead, "applications.col.applicant", [view.lead_name]),
        (partners, "col.partners", list(view.partner_names)),
        (topics, "col.topics", list(view.topics)),
        (regions, "col.regions", list(view.regions)),
    ):
        area.markdown(f"**{t(heading_key, language)}**")
        area.text("\n".join(f"• {value}" for value in values if value) or EMPTY)
    cost, requested, assessments, total = st.columns(4)
    cost.metric(t("col.total_cost", language), _money_or_dash(view.total_cost, view.money_visible, language))
    requested.metric(t("col.requested", language), _money_or_dash(view.requested_grant, view.money_visible, language))
    assessments.metric(t("applications.col.assessments", language), formats.number(view.assessment_count, language))
    total.metric(
        t("applications.col.weighted_total", language),
        EMPTY if view.weighted_total is None else formats.number(view.weighted_total, language, decimals=2),
        help=t("applications.col.weighted_total_help", language),
    )
    if not view.money_visible:
        st.caption(t("applications.money_hidden_one", language))


def _money_or_dash(amount: Decimal | None, visible: bool, language: str) -> str:
    return formats.money(amount, language) if visible and amount is not None else EMPTY

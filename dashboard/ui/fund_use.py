"""Pieces of the fund-use pages: KPI tiles, risk list, breakdown and project tables, report downloads."""

from __future__ import annotations

from datetime import date
from functools import partial

import polars as pl
import streamlit as st

from dashboard.data_access.vocabulary import ProjectStatus
from dashboard.domain.fund_use import NO_TOPIC, Breakdown, FlagKind, FundUseView, flag_sentence
from dashboard.domain.overview import today
from dashboard.exporters.fund_report import fund_report_pdf, fund_report_xlsx
from dashboard.exporters.tables import euros, xlsx_bytes
from dashboard.i18n import formats, label, t
from dashboard.ui.text import plain

EURO = st.column_config.NumberColumn(format="euro")
PERCENT = st.column_config.NumberColumn(format="percent")
DAY = st.column_config.DateColumn(format="DD.MM.YYYY")


def fund_kpis(view: FundUseView, language: str) -> None:
    """Budget, committed, disbursed, forecast paid by the counting day, and what stays unused."""
    funnel, forecast = view.funnel, view.forecast

    def exact(cents: int) -> str:
        return t("overview.kpi.exact", language, amount=formats.money(cents, language, cents=True))

    def of_budget(cents: int) -> str:
        return formats.percent(funnel.share(cents), language)

    budget, committed, disbursed, paid, unused = st.columns(5)
    budget.metric(
        t("funds.kpi.budget", language),
        formats.money_short(funnel.planned_cents, language),
        help=exact(funnel.planned_cents),
    )
    for tile, key, cents in (
        (committed, "funds.kpi.committed", funnel.committed_cents),
        (disbursed, "funds.kpi.disbursed", funnel.disbursed_cents),
    ):
        tile.metric(
            t(key, language),
            formats.money_short(cents, language),
            help=exact(cents),
            delta=of_budget(cents),
            delta_description=t("funds.kpi.share_of_budget", language),
            delta_color="off",
            delta_arrow="off",
        )
    paid.metric(
        t("funds.kpi.final" if forecast.final else "funds.kpi.forecast", language),
        formats.money_short(forecast.forecast_cents, language),
        delta=of_budget(forecast.forecast_cents),
        delta_description=t("funds.kpi.share_of_budget", language),
        delta_color="off",
        delta_arrow="off",
        help=exact(forecast.forecast_cents)
        + "  \n"
        + t(
            "funds.kpi.forecast_help",
            language,
            counting=formats.day(forecast.counting_until, language),
            low=formats.money(forecast.low_cents, language, cents=True),
            high=formats.money(forecast.high_cents, language, cents=True),
        ),
    )
    share = forecast.unused_share
    unused.metric(
        t("funds.kpi.unused_final" if forecast.final else "funds.kpi.unused", language),
        formats.money_short(forecast.unused_cents, language),
        delta=formats.percent(share, language),
        delta_description=t("funds.kpi.share_of_budget", language),
        # Unused money is bad: red when above the configured threshold.
        delta_color="inverse" if share is not None and share > view.rules.unused_threshold else "off",
        delta_arrow="off",
        help=exact(forecast.unused_cents)
        + "  \n"
        + t(
            "funds.kpi.unused_help",
            language,
            uncommitted=formats.money(forecast.uncommitted_cents, language, cents=True),
        ),
    )


def forecast_caption(view: FundUseView, language: str) -> None:
    """The forecast band and the counting day under the tiles (or that the figures are final)."""
    forecast = view.forecast
    if forecast.final:
        st.caption(f":material/lock: {t('funds.forecast_final', language)}")
        return
    band = t(
        "funds.kpi.band",
        language,
        low=formats.money(forecast.low_cents, language, cents=True),
        high=formats.money(forecast.high_cents, language, cents=True),
        counting=formats.day(forecast.counting_until, language),
    )
    st.caption(f":material/insights: {band}")


RISKS_SHOWN_PER_KIND = 5  # boxes per kind of risk; the rest in a table, so 100 warnings stay readable


def risk_list(view: FundUseView, language: str) -> None:
    """Every flag as one sentence, grouped by kind; money lost or rules broken in red, risks in amber."""
    st.subheader(t("funds.risks_title", language, count=len(view.flags)))
    if not view.flags:
        st.success(t("funds.no_risks", language), icon=":material/check_circle:")
        return
    for kind in FlagKind:
        flags = [flag for flag in view.flags if flag.kind == kind]
        for flag in flags[:RISKS_SHOWN_PER_KIND]:
            # Sentences contain user text (project titles): escaped, never rendered as Markdown or HTML.
            sentence = plain(flag_sentence(flag, language))
            if flag.severity >= 2:
                st.error(sentence, icon=":material/error:")
            else:
                st.warning(sentence, icon=":material/warning:")
        rest = flags[RISKS_SHOWN_PER_KIND:]
        if rest:
            with st.expander(t(f"funds.more_risks.{kind.value}", language, count=len(rest))):
                sentences = pl.DataFrame({t("funds.col.risk", language): [flag_sentence(f, language) for f in rest]})
                st.dataframe(sentences, hide_index=True, width="stretch", key=f"more_risks_{kind.value}")


def breakdown_labels(frame: pl.DataFrame, breakdown: Breakdown, language: str) -> list[str]:
    keys = frame["key"].to_list()
    if breakdown == Breakdown.FUND:
        return [label("fund", key, language) for key in keys]
    if breakdown == Breakdown.TOPIC:
        return [t("funds.breakdown.no_topic", language) if key == NO_TOPIC else key for key in keys]
    return [str(key) for key in keys]


def breakdown_table(frame: pl.DataFrame, labels: list[str], language: str, key: str) -> None:
    names = {
        "name": t("funds.col.key", language),
        "planned": t("funds.col.planned", language),
        "committed": t("funds.col.committed", language),
        "disbursed": t("funds.col.disbursed", language),
        "free": t("funds.col.free", language),
        "outstanding": t("funds.col.outstanding", language),
        "committed_share": t("funds.col.committed_share", language),
        "absorption_share": t("funds.col.absorption_share", language),
        "paid_share": t("funds.col.paid_share", language),
    }
    has_plan = frame["planned_cents"].null_count() < frame.height
    table = frame.select(
        pl.Series("name", labels, dtype=pl.String),
        *(
            (pl.col(f"{column}_cents") / 100).alias(column)
            for column in ("planned", "committed", "disbursed", "free", "outstanding")
        ),
        "committed_share",
        "absorption_share",
        "paid_share",
    )
    if not has_plan:
        table = table.drop("planned", "free", "committed_share", "absorption_share")
    table = table.rename({old: new for old, new in names.items() if old in table.columns})
    config = {names[c]: EURO for c in ("planned", "committed", "disbursed", "free", "outstanding")}
    config |= {names[c]: PERCENT for c in ("committed_share", "absorption_share", "paid_share")}
    config[names["name"]] = st.column_config.TextColumn(width="large", pinned=True)
    st.dataframe(table, hide_index=True, width="stretch", column_config=config, key=key)


def project_forecast_table(view: FundUseView, language: str) -> None:
    """Projects with payments on schedule, lag, pace forecast and band; lagging ones first."""
    frame = view.per_project.sort(["lagging", "lag"], descending=[True, True])
    codes = [status.value for status in ProjectStatus]
    columns = {
        "title": t("funds.col.project", language),
        "lead_name": t("funds.col.lead", language),
        "status_label": t("funds.col.status", language),
        "end_date": t("funds.col.end", language),
        "ceiling": t("funds.col.ceiling", language),
        "disbursed": t("funds.col.disbursed", language),
        "runtime_share": t("funds.col.runtime_share", language),
        "paid_share": t("funds.col.paid_share", language),
        "due_share": t("funds.col.due_share", language),
        "lag_points": t("funds.col.lag", language),
        "forecast": t("funds.col.forecast", language),
        "low": t("funds.col.low", language),
        "high": t("funds.col.high", language),
        "lagging": t("funds.col.lagging", language),
    }
    table = frame.select(
        "title",
        "lead_name",
        pl.col("status")
        .replace_strict(codes, [label("status", c, language) for c in codes], default=pl.col("status"))
        .alias("status_label"),
        "end_date",
        (pl.col("ceiling_cents") / 100).alias("ceiling"),
        (pl.col("disbursed_cents") / 100).alias("disbursed"),
        "runtime_share",
        "paid_share",
        "due_share",
        (pl.col("lag") * 100).round(1).alias("lag_points"),
        (pl.col("forecast_cents") / 100).alias("forecast"),
        (pl.col("low_cents") / 100).alias("low"),
        (pl.col("high_cents") / 100).alias("high"),
        "lagging",
    ).rename(columns)
    config = {columns[c]: EURO for c in ("ceiling", "disbursed", "forecast", "low", "high")}
    config |= {columns[c]: PERCENT for c in ("paid_share", "due_share")}
    config[columns["runtime_share"]] = st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)
    config[columns["end_date"]] = DAY
    config[columns["lag_points"]] = st.column_config.NumberColumn(format="%.1f")
    config[columns["lagging"]] = st.column_config.CheckboxColumn()
    config[columns["title"]] = st.column_config.TextColumn(width="large", pinned=True)
    st.dataframe(table, hide_index=True, width="stretch", column_config=config, key="funds_projects")


def cofinancing_table(view: FundUseView, language: str) -> None:
    frame = view.cofinancing
    if frame.is_empty():
        st.caption(t("funds.cofinancing_empty", language))
        return
    columns = {
        "title": t("funds.col.project", language),
        "fund_label": t("funds.col.fund", language),
        "total_cost": t("funds.col.total_cost", language),
        "approved": t("funds.col.approved", language),
        "grant_rate": t("funds.col.grant_rate", language),
        "max_rate": t("funds.col.max_rate", language),
        "exceeded": t("funds.col.exceeded", language),
    }
    codes = sorted(set(frame["fund"].to_list()))
    table = frame.select(
        "title",
        pl.col("fund").replace_strict(codes, [label("fund", c, language) for c in codes]).alias("fund_label"),
        (pl.col("total_cost_cents") / 100).alias("total_cost"),
        (pl.col("approved_cents") / 100).alias("approved"),
        "grant_rate",
        "max_rate",
        "exceeded",
    ).rename(columns)
    config = {columns["total_cost"]: EURO, columns["approved"]: EURO}
    config |= {columns["grant_rate"]: PERCENT, columns["max_rate"]: PERCENT}
    config[columns["exceeded"]] = st.column_config.CheckboxColumn()
    config[columns["title"]] = st.column_config.TextColumn(width="large", pinned=True)
    st.dataframe(table, hide_index=True, width="stretch", column_config=config, key="funds_cofinancing")


def report_buttons(view: FundUseView, slug: str, language: str) -> None:
    """The ministry report as XLSX and PDF, built only when a button is clicked."""
    stem = f"mittelverwendung-{slug}-{view.as_of.isoformat()}"
    formats_out = (
        ("xlsx", fund_report_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "table"),
        ("pdf", fund_report_pdf, "application/pdf", "picture_as_pdf"),
    )
    for column, (suffix, render, mime, icon) in zip(st.columns([1, 1, 2]), formats_out, strict=False):
        column.download_button(
            t(f"funds.report_{suffix}", language),
            data=partial(render, view, language, created_on=today()),
            file_name=f"{stem}.{suffix}",
            mime=mime,
            icon=f":material/{icon}:",
            help=t("funds.report_help", language),
            # No rerun after a download: a rerun would replace the other button's deferred file mid-click.
            on_click="ignore",
            key=f"report_{suffix}",
        )


COMPARISON_COLUMNS = (
    "name",
    "land",
    "period_end",
    "budget",
    "budget_per_inhabitant",
    "committed_share",
    "absorption_share",
    "time_share",
    "forecast",
    "unused",
    "unused_share",
    "lagging_projects",
    "at_risk",
)
_COLUMN_KEYS = {"name": "funds.col.alliance", "period_end": "funds.col.end", "budget": "funds.col.planned"}


def _column_name(column: str, language: str) -> str:
    return t(_COLUMN_KEYS.get(column, f"funds.col.{column}"), language)


def comparison_frame(table: pl.DataFrame, language: str, *, exact: bool) -> pl.DataFrame:
    """The comparison with translated column names; ``exact``: Decimal euros and yes/no text for the XLSX."""
    if exact:
        money = [euros(f"{column}_cents").alias(column) for column in ("budget", "forecast", "unused")]
        extra = [
            pl.col("budget_per_inhabitant").round(2).cast(pl.Decimal(18, 2)),
            pl.when("at_risk").then(pl.lit(t("common.yes", language))).otherwise(pl.lit("")).alias("at_risk"),
        ]
    else:
        money = [(pl.col(f"{column}_cents") / 100).alias(column) for column in ("budget", "forecast", "unused")]
        extra = []
    frame = table.with_columns(*money, *extra).select(COMPARISON_COLUMNS)
    return frame.rename({column: _column_name(column, language) for column in COMPARISON_COLUMNS})


def comparison_table(table: pl.DataFrame, as_of: date, language: str) -> None:
    def name(column: str) -> str:
        return _column_name(column, language)

    config = {name(c): EURO for c in ("budget", "forecast", "unused")}
    config |= {name(c): PERCENT for c in ("committed_share", "absorption_share", "unused_share")}
    config[name("time_share")] = st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)
    config[name("budget_per_inhabitant")] = st.column_config.NumberColumn(format="%.2f €")
    config[name("period_end")] = DAY
    config[name("at_risk")] = st.column_config.CheckboxColumn()
    config[name("name")] = st.column_config.TextColumn(width="large", pinned=True)
    st.dataframe(
        comparison_frame(table, language, exact=False),
        hide_index=True,
        width="stretch",
        column_config=config,
        key="comparison_table",
    )
    title = t("compare.title", language)
    stand = t("export.as_of", language, date=formats.day(as_of, language))
    st.download_button(
        t("compare.download", language),
        data=lambda: xlsx_bytes(comparison_frame(table, language, exact=True), title, title=title, notes=(stand,)),
        file_name=f"buendnisvergleich-{as_of.isoformat()}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/table:",
        on_click="ignore",
        key="comparison_xlsx",
    )

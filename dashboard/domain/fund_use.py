"""Fund use: budget → committed → disbursed funnels, the absorption forecast to the deadline, and risk flags.

Money stays in exact integer cents; the forecast is an estimate computed in floats and rounded to cents.

The forecast (documented for users in the README, "Mittelverwendung"):
* Each project with money (its commitment as of the Stichtag, else its approved grant: the ceiling ``C``) has a
  linear schedule from its start to its end day; ``p(d)`` is the share of its runtime passed on day ``d``.
* Disbursements trail the costs they pay for by the payment lag ``L`` (configuration): on the Stichtag ``t`` a
  project on schedule has been paid ``C · p(t − L)``. Its pace is ``q = paid / (C · p(t − L))`` (1 before any
  payment is due: no evidence yet).
* Central forecast of the payments by day ``d``: the project goes on at its own pace,
  ``min(C, paid + q · C · (p(d − L) − p(t − L)))``. The band's other edge is the plan: from the Stichtag on the
  project is paid on schedule, ``min(C, max(paid, C · p(d − L)))``. A project on schedule has no band.
* Money counts for the funding period when it is paid by the period's last day plus ``L`` (final claims).
  Budget of year N must be paid by 31 December of N + n (the EU's n+3 rule; n from configuration), and by the
  counting day at the latest. As in the EU rule, payments clear the oldest budget year first (FIFO), so a
  shortfall at a shared deadline falls on the newest years.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

import polars as pl

from dashboard.config import FundRules
from dashboard.data_access.vocabulary import EntryKind, Fund
from dashboard.domain.overview import cumulative_flows, time_elapsed_share
from dashboard.i18n import formats, label, t

FUND_ORDER = [fund.value for fund in Fund]
NO_TOPIC = ""  # the key of projects without a Handlungsfeld (the UI names it)


class Breakdown(StrEnum):
    FUND = "fonds"
    YEAR = "jahr"
    TOPIC = "handlungsfeld"
    LEAD = "federfuehrung"
    PROJECT = "projekt"


# --- Funnel ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Funnel:
    """Budget → committed → disbursed → free, in integer cents, for one alliance (or a fund of it)."""

    planned_cents: int
    committed_cents: int
    disbursed_cents: int

    @property
    def free_cents(self) -> int:
        """Budget not yet committed (negative when over-committed)."""
        return self.planned_cents - self.committed_cents

    @property
    def outstanding_cents(self) -> int:
        """Committed but not yet paid out."""
        return self.committed_cents - self.disbursed_cents

    def share(self, cents: int) -> float | None:
        return cents / self.planned_cents if self.planned_cents else None


def funnel_total(budget: pl.DataFrame, projects: pl.DataFrame) -> Funnel:
    """The alliance's funnel: ``budget`` has planned_cents, ``projects`` the as-of sums of ``project_money``."""
    return Funnel(
        planned_cents=int(budget["planned_cents"].sum()),
        committed_cents=int(projects["committed_cents"].sum()),
        disbursed_cents=int(projects["disbursed_cents"].sum()),
    )


def _with_shares(frame: pl.DataFrame) -> pl.DataFrame:
    planned, committed, disbursed = pl.col("planned_cents"), pl.col("committed_cents"), pl.col("disbursed_cents")

    def ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
        return pl.when(denominator != 0).then(numerator / denominator).otherwise(None)

    return frame.with_columns(
        (planned - committed).alias("free_cents"),
        (committed - disbursed).alias("outstanding_cents"),
        ratio(committed, planned).alias("committed_share"),
        ratio(disbursed, planned).alias("absorption_share"),
        ratio(disbursed, committed).alias("paid_share"),
    )


def funnel_by(
    breakdown: Breakdown,
    budget: pl.DataFrame,
    projects: pl.DataFrame,
    flows: pl.DataFrame,
    topic_links: pl.DataFrame,
    *,
    as_of: date,
) -> pl.DataFrame:
    """The funnel per fund, year, Handlungsfeld, lead member or project.

    Columns: key, planned_cents (null where no budget is planned at that level: Handlungsfeld, lead, project),
    committed_cents, disbursed_cents, free_cents, outstanding_cents, committed_share, absorption_share, paid_share.
    Years are booking years of the entries (up to ``as_of``); a project with several Handlungsfelder counts in
    each, so those rows can add up to more than the total. Projects without any money are left out.
    """
    money = ["committed_cents", "disbursed_cents"]
    if breakdown in (Breakdown.FUND, Breakdown.YEAR):
        key = "fund" if breakdown == Breakdown.FUND else "year"
        booked = flows.filter(pl.col("entry_date") <= as_of).with_columns(
            pl.col("entry_date").dt.year().cast(pl.Int32).alias("year")
        )
        sums = booked.group_by(key).agg(
            pl.col("amount_cents").filter(pl.col("kind") == EntryKind.COMMITMENT.value).sum().alias(money[0]),
            pl.col("amount_cents").filter(pl.col("kind") == EntryKind.DISBURSEMENT.value).sum().alias(money[1]),
        )
        plan = budget.group_by(key).agg(pl.col("planned_cents").sum())
        joined = plan.join(sums, on=key, how="full", coalesce=True).with_columns(
            pl.col(column).fill_null(0) for column in ["planned_cents", *money]
        )
        if breakdown == Breakdown.FUND:
            order = pl.col("fund").replace_strict(FUND_ORDER, list(range(len(FUND_ORDER))), default=len(FUND_ORDER))
            joined = joined.sort(order, "fund")
        else:
            joined = joined.sort("year")
        frame = joined.select(pl.col(key).cast(pl.String).alias("key"), "planned_cents", *money)
    else:
        rows = projects.select("project_id", "title", "lead_name", *money).filter(
            (pl.col("committed_cents") != 0) | (pl.col("disbursed_cents") != 0)
        )
        if breakdown == Breakdown.TOPIC:
            rows = rows.join(topic_links, on="project_id", how="left").with_columns(
                pl.col("topic").fill_null(NO_TOPIC).alias("key")
            )
        elif breakdown == Breakdown.LEAD:
            rows = rows.with_columns(pl.col("lead_name").alias("key"))
        else:
            # By project id: two projects may share a title.
            rows = rows.with_columns(pl.col("project_id").alias("key"))
        frame = (
            rows.group_by("key")
            .agg(pl.col(money).sum(), pl.col("title").first())
            .with_columns(pl.lit(None, dtype=pl.Int64).alias("planned_cents"))
            .with_columns(
                pl.col("title").alias("key") if breakdown == Breakdown.PROJECT else pl.col("key").cast(pl.String)
            )
            .sort(["committed_cents", "key"], descending=[True, False])
            .select("key", "planned_cents", *money)
        )
    return _with_shares(frame)


# --- Forecast -------------------------------------------------------------------------------------------


def _runtime_share(day: pl.Expr) -> pl.Expr:
    """p(day): share of the project's runtime passed on ``day``, whole days, clipped to 0..1."""
    total = (pl.col("end_date") - pl.col("start_date")).dt.total_days() + 1
    passed = (day - pl.col("start_date")).dt.total_days() + 1
    return (passed / total).clip(0.0, 1.0)


def project_forecast(projects: pl.DataFrame, as_of: date, until: date | pl.Expr, rules: FundRules) -> pl.DataFrame:
    """Per project with money: schedule position, pace, lag and the payments expected by ``until``.

    ``until`` is a day after ``as_of`` or an expression per row (each alliance's counting day). Adds
    ceiling_cents, runtime_share, due_share (p(t − L)), paid_share, lag (due − paid, in shares of the ceiling),
    pace, forecast_cents (central), low_cents, high_cents and lagging (lag above the configured threshold).
    The ceiling is the money committed by the Stichtag (the approved grant while no commitment is booked), never
    less than what was paid. A project without start and end days has no schedule: its forecast is what was paid.
    Forecasts never fall below what was paid.
    """
    lag = timedelta(days=rules.payment_lag_days)
    until_expr = until if isinstance(until, pl.Expr) else pl.lit(until)
    committed = pl.when(pl.col("commitments") > 0).then("committed_cents").otherwise("approved_cents")
    paid = pl.col("disbursed_cents")
    with_ceiling = projects.with_columns(
        pl.max_horizontal(committed.clip(lower_bound=0), paid).alias("ceiling_cents"),
        (pl.col("start_date").is_not_null() & pl.col("end_date").is_not_null()).alias("_scheduled"),
    ).filter((pl.col("ceiling_cents") > 0) | (paid != 0))
    ceiling_c, scheduled = pl.col("ceiling_cents"), pl.col("_scheduled")
    with_position = with_ceiling.with_columns(
        pl.when(scheduled).then(_runtime_share(pl.lit(as_of))).alias("runtime_share"),
        pl.when(scheduled).then(_runtime_share(pl.lit(as_of - lag))).alias("due_share"),
        pl.when(ceiling_c > 0).then(paid / ceiling_c).alias("paid_share"),
        _runtime_share(until_expr - pl.duration(days=rules.payment_lag_days)).alias("_until_share"),
    ).with_columns(
        (pl.col("due_share") - pl.col("paid_share")).alias("lag"),
        pl.when(pl.col("due_share") > 0)
        .then((paid / (ceiling_c * pl.col("due_share"))).clip(lower_bound=0.0))
        .otherwise(1.0)
        .alias("pace"),
    )
    remaining = (pl.col("_until_share") - pl.col("due_share")).clip(lower_bound=0.0) * ceiling_c
    floor = paid.clip(lower_bound=0)  # refunds do not make the forecast negative
    pace_path = pl.max_horizontal(floor, pl.min_horizontal(ceiling_c, paid + pl.col("pace") * remaining))
    plan_path = pl.max_horizontal(floor, pl.min_horizontal(ceiling_c, ceiling_c * pl.col("_until_share")))

    def estimate(path: pl.Expr) -> pl.Expr:
        return pl.when(scheduled).then(path).otherwise(floor).round().cast(pl.Int64)

    return with_position.with_columns(
        estimate(pace_path).alias("forecast_cents"),
        estimate(pl.min_horizontal(pace_path, plan_path)).alias("low_cents"),
        estimate(pl.max_horizontal(pace_path, plan_path)).alias("high_cents"),
        ((pl.col("lag") > rules.lag_threshold) & (pl.col("runtime_share") > 0)).fill_null(False).alias("lagging"),
    ).drop("_until_share", "_scheduled")


def counting_day(period_end: date, rules: FundRules) -> date:
    """The last day on which a payment still counts for the funding period (its end plus the payment lag)."""
    return period_end + timedelta(days=rules.payment_lag_days)


def year_deadline(year: int, period_end: date, rules: FundRules) -> date:
    """The day by which budget year ``year`` must be paid out: 31.12. of year + n, the counting day at the latest."""
    return min(date(year + rules.decommitment_years, 12, 31), counting_day(period_end, rules))


@dataclass(frozen=True)
class Forecast:
    """Expected payments that count for the funding period, with the band, and what stays unused (cents)."""

    deadline: date  # the period's last day
    counting_until: date  # payments up to this day count (final claims)
    budget_cents: int
    ceiling_cents: int  # money committed or approved for projects
    paid_cents: int  # paid on the Stichtag and counting
    forecast_cents: int
    low_cents: int
    high_cents: int
    final: bool  # the counting day has passed: no forecast, the figures are final

    @property
    def unused_cents(self) -> int:
        return max(self.budget_cents - self.forecast_cents, 0)

    @property
    def unused_share(self) -> float | None:
        return self.unused_cents / self.budget_cents if self.budget_cents else None

    @property
    def uncommitted_cents(self) -> int:
        """The part of the unused money that no project holds."""
        return max(self.budget_cents - self.ceiling_cents, 0)


def forecast_absorption(
    budget: pl.DataFrame, projects: pl.DataFrame, as_of: date, period_end: date, rules: FundRules
) -> tuple[Forecast, pl.DataFrame]:
    """The alliance's forecast to the end of its funding period and the per-project frame behind it.

    ``projects`` comes from ``project_money`` with ``counted_cents`` limited to the counting day. Once the
    counting day has passed, the forecast is the money that was actually paid in time.
    """
    until = counting_day(period_end, rules)
    per_project = project_forecast(projects, as_of, until, rules)
    final = as_of >= until
    counted = int(projects["counted_cents"].sum())
    if final:
        forecast = low = high = counted
    else:
        forecast, low, high = (
            int(per_project[column].sum()) for column in ("forecast_cents", "low_cents", "high_cents")
        )
    summary = Forecast(
        deadline=period_end,
        counting_until=until,
        budget_cents=int(budget["planned_cents"].sum()),
        ceiling_cents=int(per_project["ceiling_cents"].sum()),
        paid_cents=counted,
        forecast_cents=forecast,
        low_cents=low,
        high_cents=high,
        final=final,
    )
    return summary, per_project


def forecast_path(per_project: pl.DataFrame, as_of: date, until: date, rules: FundRules) -> pl.DataFrame:
    """Month-end points from the Stichtag to the counting day: expected cumulative payments with the band."""
    schema = {"day": pl.Date, "forecast_cents": pl.Int64, "low_cents": pl.Int64, "high_cents": pl.Int64}
    if as_of >= until:
        return pl.DataFrame(schema=schema)
    month_ends = pl.date_range(as_of, until, interval="1mo", eager=True).dt.month_end().to_list()
    days = pl.DataFrame({"day": sorted({as_of, *[day for day in month_ends if as_of < day < until], until})})
    if per_project.is_empty():
        return days.with_columns(pl.lit(0, dtype=pl.Int64).alias(name) for name in list(schema)[1:])
    # One frame of projects × days: the forecast expression takes each row's day as its horizon.
    grid = per_project.drop("forecast_cents", "low_cents", "high_cents").join(days, how="cross")
    return (
        project_forecast(grid, as_of, pl.col("day"), rules)
        .group_by("day")
        .agg(pl.col("forecast_cents", "low_cents", "high_cents").sum())
        .sort("day")
        .select(list(schema))
    )


def year_absorption(
    budget: pl.DataFrame,
    per_project: pl.DataFrame,
    flows: pl.DataFrame,
    as_of: date,
    period_end: date,
    *,
    rules: FundRules,
) -> pl.DataFrame:
    """Per budget year: its deadline, the payments expected by then, and the money that will not flow in time.

    Columns: year, planned_cents, deadline, cumulative_planned_cents, paid_by_deadline_cents (actual when the
    deadline has passed, else the central forecast), missing_cents (the year's part of the shortfall: payments
    clear the oldest year first, so the money lapsing at a deadline is that year's uncovered rest, less what
    earlier deadlines already took), missing_share, passed (deadline before the Stichtag).
    """
    years = budget.group_by("year").agg(pl.col("planned_cents").sum()).sort("year")
    paid = flows.filter(pl.col("kind") == EntryKind.DISBURSEMENT.value)
    deadlines = {int(year): year_deadline(int(year), period_end, rules) for year in years["year"]}
    # The forecasts to every deadline still ahead in one frame of projects × deadlines (as in forecast_path).
    ahead = sorted({day for day in deadlines.values() if day >= as_of})
    forecasts: dict[date, int] = {}
    if ahead and not per_project.is_empty():
        grid = per_project.drop("forecast_cents", "low_cents", "high_cents").join(
            pl.DataFrame({"deadline": ahead}, schema={"deadline": pl.Date}), how="cross"
        )
        sums = (
            project_forecast(grid, as_of, pl.col("deadline"), rules)
            .group_by("deadline")
            .agg(pl.col("forecast_cents").sum())
        )
        forecasts = {day: int(cents) for day, cents in sums.iter_rows()}
    rows: list[dict[str, Any]] = []
    cumulative = 0
    missing_before = 0
    for year, planned in years.iter_rows():
        deadline = deadlines[int(year)]
        cumulative += int(planned)
        passed = deadline < as_of
        if passed:
            by_deadline = int(paid.filter(pl.col("entry_date") <= deadline)["amount_cents"].sum())
        else:
            by_deadline = forecasts.get(deadline, 0)
        shortfall = max(cumulative - by_deadline, 0)
        missing = min(max(shortfall - missing_before, 0), int(planned))
        missing_before += missing
        rows.append(
            {
                "year": int(year),
                "planned_cents": int(planned),
                "deadline": deadline,
                "cumulative_planned_cents": cumulative,
                "paid_by_deadline_cents": by_deadline,
                "missing_cents": missing,
                "missing_share": missing / planned if planned else None,
                "passed": passed,
            }
        )
    schema = {
        "year": pl.Int32,
        "planned_cents": pl.Int64,
        "deadline": pl.Date,
        "cumulative_planned_cents": pl.Int64,
        "paid_by_deadline_cents": pl.Int64,
        "missing_cents": pl.Int64,
        "missing_share": pl.Float64,
        "passed": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def schedule_path(budget_cents: int, period_start: date, period_end: date, days: Sequence[date]) -> list[int]:
    """The linear 'on schedule' path: the whole budget spread evenly over the funding period."""
    return [round(budget_cents * time_elapsed_share(period_start, period_end, day)) for day in days]


def absorption_curve(
    budget: pl.DataFrame, flows: pl.DataFrame, as_of: date, period_start: date, period_end: date
) -> pl.DataFrame:
    """Month by month: the budget line and the linear path over the period; committed and disbursed up to the Stichtag.

    Columns: month, day (the month's last day), budget_cents, schedule_cents, committed_cents and
    disbursed_cents (null after the Stichtag's month), outside_period.
    """
    booked = flows.filter(pl.col("entry_date") <= as_of).select("entry_date", "kind", "amount_cents")
    curve = cumulative_flows(budget, booked, period_start, period_end)
    total = int(budget["planned_cents"].sum())
    month_ends = curve["month"].dt.month_end().to_list()
    after = pl.col("month") > as_of
    return curve.with_columns(
        pl.Series("day", month_ends, dtype=pl.Date),
        pl.Series("schedule_cents", schedule_path(total, period_start, period_end, month_ends), dtype=pl.Int64),
        pl.when(after).then(None).otherwise(pl.col("committed_cents")).alias("committed_cents"),
        pl.when(after).then(None).otherwise(pl.col("disbursed_cents")).alias("disbursed_cents"),
    )


# --- Co-financing and flags -----------------------------------------------------------------------------


def cofinancing_check(projects: pl.DataFrame, rules: FundRules) -> pl.DataFrame:
    """Grant share of total cost per project with a grant, against its fund's maximum rate; exceeded ones first."""
    rates = pl.DataFrame(
        {
            "fund": [fund for fund, _ in rules.max_grant_rates],
            "max_rate": [float(rate) for _, rate in rules.max_grant_rates],
        },
        schema={"fund": pl.String, "max_rate": pl.Float64},
    )
    return (
        projects.filter((pl.col("approved_cents") > 0) & (pl.col("total_cost_cents") > 0))
        .join(rates, on="fund", how="left")
        .with_columns((pl.col("approved_cents") / pl.col("total_cost_cents")).alias("grant_rate"))
        .with_columns(
            pl.col("max_rate").is_not_null().and_(pl.col("grant_rate") > pl.col("max_rate")).alias("exceeded")
        )
        .sort(["exceeded", "grant_rate"], descending=[True, True])
        .select(
            "project_id", "title", "fund", "total_cost_cents", "approved_cents", "grant_rate", "max_rate", "exceeded"
        )
    )


class FlagKind(StrEnum):
    ALLIANCE = "alliance"
    YEAR = "year"
    PROJECT_LAG = "project_lag"
    COFINANCING = "cofinancing"


@dataclass(frozen=True)
class RiskFlag:
    """One risk with the raw figures its sentence is made of (the UI and reports word it per language)."""

    kind: FlagKind
    subject: str
    severity: int  # 2: money is lost or a rule is broken, 1: at risk
    params: dict[str, Any] = field(default_factory=dict)


def risk_flags(
    alliance_name: str,
    forecast: Forecast,
    years: pl.DataFrame,
    per_project: pl.DataFrame,
    cofinancing: pl.DataFrame,
    *,
    rules: FundRules,
) -> list[RiskFlag]:
    """Every risk of an alliance, most serious first: alliance, budget years, lagging projects, co-financing."""
    flags: list[RiskFlag] = []
    share = forecast.unused_share
    if share is not None and share > rules.unused_threshold:
        flags.append(
            RiskFlag(
                FlagKind.ALLIANCE,
                alliance_name,
                2 if forecast.final else 1,
                {
                    "final": forecast.final,
                    "deadline": forecast.deadline,
                    "counting_until": forecast.counting_until,
                    "forecast_cents": forecast.forecast_cents,
                    "budget_cents": forecast.budget_cents,
                    "unused_cents": forecast.unused_cents,
                    "unused_share": share,
                    "uncommitted_cents": forecast.uncommitted_cents,
                    "threshold": rules.unused_threshold,
                },
            )
        )
    for row in years.iter_rows(named=True):
        if row["missing_share"] is not None and row["missing_share"] > rules.unused_threshold:
            flags.append(
                RiskFlag(
                    FlagKind.YEAR,
                    str(row["year"]),
                    2 if row["passed"] else 1,
                    {
                        "passed": row["passed"],
                        "year": row["year"],
                        "deadline": row["deadline"],
                        "missing_cents": row["missing_cents"],
                        "missing_share": row["missing_share"],
                        "n": rules.decommitment_years,
                    },
                )
            )
    lagging = per_project.filter("lagging").sort("lag", descending=True)
    for row in lagging.iter_rows(named=True):
        flags.append(
            RiskFlag(
                FlagKind.PROJECT_LAG,
                row["title"],
                2 if row["runtime_share"] >= 1 else 1,
                {
                    "paid_share": row["paid_share"],
                    "due_share": row["due_share"],
                    "runtime_share": row["runtime_share"],
                    "lag": row["lag"],
                    "threshold": rules.lag_threshold,
                    "project_id": row["project_id"],
                },
            )
        )
    for row in cofinancing.filter("exceeded").iter_rows(named=True):
        flags.append(
            RiskFlag(
                FlagKind.COFINANCING,
                row["title"],
                2,
                {
                    "fund": row["fund"],
                    "grant_rate": row["grant_rate"],
                    "max_rate": row["max_rate"],
                    "project_id": row["project_id"],
                },
            )
        )
    return sorted(flags, key=lambda flag: -flag.severity)


# --- Across alliances -----------------------------------------------------------------------------------


def alliance_comparison(
    alliances: pl.DataFrame,
    budgets: pl.DataFrame,
    projects: pl.DataFrame,
    populations: pl.DataFrame,
    *,
    as_of: date,
    rules: FundRules,
) -> pl.DataFrame:
    """All alliances side by side: budget, budget per inhabitant, commitment and absorption, forecast gap.

    ``projects`` is ``project_money`` for every alliance with each alliance's counting day. Columns: alliance_id,
    name, short_name, land, period_start, period_end, population, budget_cents, budget_per_inhabitant (euro),
    committed_share, absorption_share, time_share, forecast_cents, unused_cents, unused_share, lagging_projects,
    at_risk, final.
    """
    periods = alliances.select(
        pl.col("id").alias("alliance_id"), "name", "short_name", "land", "period_start", "period_end"
    ).with_columns((pl.col("period_end") + pl.duration(days=rules.payment_lag_days)).alias("counting_until"))
    with_period = projects.join(periods.select("alliance_id", "counting_until"), on="alliance_id")
    per_project = project_forecast(with_period, as_of, pl.col("counting_until"), rules)
    forecast = per_project.group_by("alliance_id").agg(
        pl.col("forecast_cents").sum(), pl.col("lagging").sum().cast(pl.Int64).alias("lagging_projects")
    )
    money = projects.group_by("alliance_id").agg(pl.col("committed_cents", "disbursed_cents", "counted_cents").sum())
    budget = budgets.group_by("alliance_id").agg(pl.col("planned_cents").sum().alias("budget_cents"))
    time_share = [
        time_elapsed_share(start, end, as_of) for start, end in periods.select("period_start", "period_end").iter_rows()
    ]
    table = (
        periods.with_columns(pl.Series("time_share", time_share, dtype=pl.Float64))
        .join(populations, on="alliance_id", how="left")
        .join(budget, on="alliance_id", how="left")
        .join(money, on="alliance_id", how="left")
        .join(forecast, on="alliance_id", how="left")
        .with_columns(
            pl.col(
                "budget_cents",
                "committed_cents",
                "disbursed_cents",
                "counted_cents",
                "forecast_cents",
                "lagging_projects",
            ).fill_null(0),
            (pl.col("counting_until") <= as_of).alias("final"),
        )
        .with_columns(
            # Once the counting day has passed, what was paid in time is final.
            pl.when("final").then("counted_cents").otherwise("forecast_cents").alias("forecast_cents"),
        )
    )
    budget_c = pl.col("budget_cents")

    def share(numerator: str) -> pl.Expr:
        return pl.when(budget_c > 0).then(pl.col(numerator) / budget_c).otherwise(None)

    unused = (budget_c - pl.col("forecast_cents")).clip(lower_bound=0)
    return (
        table.with_columns(unused.alias("unused_cents"))
        .with_columns(
            pl.when(pl.col("population") > 0)
            .then(budget_c / 100 / pl.col("population"))
            .otherwise(None)
            .alias("budget_per_inhabitant"),
            share("committed_cents").alias("committed_share"),
            share("disbursed_cents").alias("absorption_share"),
            share("unused_cents").alias("unused_share"),
        )
        .with_columns((pl.col("unused_share").fill_null(0) > rules.unused_threshold).alias("at_risk"))
        .sort("name")
        .select(
            "alliance_id",
            "name",
            "short_name",
            "land",
            "period_start",
            "period_end",
            "population",
            "budget_cents",
            "budget_per_inhabitant",
            "committed_share",
            "absorption_share",
            "time_share",
            "forecast_cents",
            "unused_cents",
            "unused_share",
            "lagging_projects",
            "at_risk",
            "final",
        )
    )


def flag_sentence(flag: RiskFlag, language: str) -> str:
    """The flag as one self-explaining sentence in the UI language."""
    p = flag.params

    def money(key: str) -> str:
        return formats.money(int(p[key]), language, cents=True)

    def pct(key: str) -> str:
        return formats.percent(float(p[key]), language, decimals=0)

    def points(key: str) -> str:
        return formats.number(float(p[key]) * 100, language, decimals=1)

    if flag.kind == FlagKind.ALLIANCE:
        variant = "final" if p["final"] else "forecast"
        return t(
            f"funds.flag.alliance.{variant}",
            language,
            subject=flag.subject,
            deadline=formats.day(p["deadline"], language),
            counting=formats.day(p["counting_until"], language),
            forecast=money("forecast_cents"),
            budget=money("budget_cents"),
            unused=money("unused_cents"),
            share=pct("unused_share"),
            uncommitted=money("uncommitted_cents"),
            threshold=pct("threshold"),
        )
    if flag.kind == FlagKind.YEAR:
        variant = "passed" if p["passed"] else "forecast"
        return t(
            f"funds.flag.year.{variant}",
            language,
            year=p["year"],
            deadline=formats.day(p["deadline"], language),
            amount=money("missing_cents"),
            share=pct("missing_share"),
            n=p["n"],
        )
    if flag.kind == FlagKind.PROJECT_LAG:
        return t(
            "funds.flag.project_lag",
            language,
            subject=flag.subject,
            paid=pct("paid_share"),
            due=pct("due_share"),
            runtime=pct("runtime_share"),
            points=points("lag"),
            threshold=points("threshold"),
        )
    return t(
        "funds.flag.cofinancing",
        language,
        subject=flag.subject,
        rate=formats.percent(float(p["grant_rate"]), language),
        max=formats.percent(float(p["max_rate"]), language, decimals=0),
        fund=label("fund", str(p["fund"]), language),
    )


# --- The whole view -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundUseView:
    """Everything the page, the reports and the CLI show of one alliance's fund use on a Stichtag."""

    alliance_name: str
    period_start: date
    period_end: date
    as_of: date
    funds: tuple[str, ...]  # the fund filter (empty: all funds)
    rules: FundRules
    funnel: Funnel
    forecast: Forecast
    per_project: pl.DataFrame  # project_money rows with a schedule and money, plus project_forecast columns
    years: pl.DataFrame  # year_absorption
    curve: pl.DataFrame  # absorption_curve
    path: pl.DataFrame  # forecast_path
    cofinancing: pl.DataFrame  # cofinancing_check
    flags: list[RiskFlag]
    breakdowns: dict[Breakdown, pl.DataFrame]  # funnel_by for every breakdown

    @property
    def time_share(self) -> float:
        return time_elapsed_share(self.period_start, self.period_end, self.as_of)


def fund_use_view(
    alliance: dict[str, Any],
    budget: pl.DataFrame,
    projects: pl.DataFrame,
    flows: pl.DataFrame,
    topic_links: pl.DataFrame,
    *,
    as_of: date,
    funds: Sequence[str],
    rules: FundRules,
) -> FundUseView:
    """Funnel, forecast, curves, checks and flags of one alliance from its loaded frames (see FundUseData)."""
    start, end = alliance["period_start"], alliance["period_end"]
    forecast, per_project = forecast_absorption(budget, projects, as_of, end, rules)
    years = year_absorption(budget, per_project, flows, as_of, end, rules=rules)
    cofinancing = cofinancing_check(projects, rules)
    return FundUseView(
        alliance_name=str(alliance["name"]),
        period_start=start,
        period_end=end,
        as_of=as_of,
        funds=tuple(funds),
        rules=rules,
        funnel=funnel_total(budget, projects),
        forecast=forecast,
        per_project=per_project,
        years=years,
        curve=absorption_curve(budget, flows, as_of, start, end),
        path=forecast_path(per_project, as_of, forecast.counting_until, rules),
        cofinancing=cofinancing,
        flags=risk_flags(str(alliance["name"]), forecast, years, per_project, cofinancing, rules=rules),
        breakdowns={
            breakdown: funnel_by(breakdown, budget, projects, flows, topic_links, as_of=as_of)
            for breakdown in Breakdown
        },
    )

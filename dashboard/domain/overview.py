"""Headline KPIs of an alliance and its cumulative money flows over the funding period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import polars as pl

from dashboard.data_access.vocabulary import EntryKind, ProjectStatus

STATUS_ORDER = [status.value for status in ProjectStatus]
GERMANY = ZoneInfo("Europe/Berlin")


def today() -> date:
    """Today's date in Germany, whatever the server's time zone."""
    return datetime.now(GERMANY).date()


@dataclass(frozen=True)
class OverviewKpis:
    """Money in integer cents (exact); shares as fractions 0..1 (None when the base is 0)."""

    budget_cents: int
    committed_cents: int
    disbursed_cents: int
    as_of: date

    @property
    def free_cents(self) -> int:
        """Budget not yet committed (negative when over-committed)."""
        return self.budget_cents - self.committed_cents

    @property
    def committed_share(self) -> float | None:
        return self.committed_cents / self.budget_cents if self.budget_cents else None

    @property
    def absorption_share(self) -> float | None:
        """Mittelabfluss: disbursed / planned budget."""
        return self.disbursed_cents / self.budget_cents if self.budget_cents else None


def time_elapsed_share(period_start: date, period_end: date, as_of: date) -> float:
    """Share of the funding period that has passed on ``as_of`` (0 before, 1 after), counting whole days."""
    total = (period_end - period_start).days + 1
    passed = (min(as_of, period_end) - period_start).days + 1
    return min(max(passed, 0), total) / total


def first_of(day: date) -> date:
    return day.replace(day=1)


def _month_index() -> pl.Expr:
    return pl.col("entry_date").dt.truncate("1mo")


def overview_kpis(budget: pl.DataFrame, flows: pl.DataFrame, as_of: date) -> OverviewKpis:
    """Budget, committed and disbursed money booked up to and including ``as_of``.

    ``budget``: fund, year, planned_cents; ``flows``: entry_date, kind, amount_cents (daily sums).
    """
    upto = flows.filter(pl.col("entry_date") <= as_of)
    totals = upto.group_by("kind").agg(pl.col("amount_cents").sum())
    by_kind = dict(zip(totals["kind"].to_list(), totals["amount_cents"].to_list(), strict=True))
    return OverviewKpis(
        budget_cents=int(budget["planned_cents"].sum()),
        committed_cents=int(by_kind.get(EntryKind.COMMITMENT.value, 0)),
        disbursed_cents=int(by_kind.get(EntryKind.DISBURSEMENT.value, 0)),
        as_of=as_of,
    )


def cumulative_flows(budget: pl.DataFrame, flows: pl.DataFrame, period_start: date, period_end: date) -> pl.DataFrame:
    """Month by month: cumulative committed and disbursed cents and the cumulative planned budget.

    The months span the funding period, any month with entries and any budget year outside it, so
    early or late money stays visible. The planned budget of a year counts from that year's first month.
    """
    months_with_entries = flows.select(_month_index().alias("month"))["month"].to_list()
    budget_months = [date(int(year), 1, 1) for year in budget["year"].unique().to_list()]
    budget_ends = [date(int(year), 12, 1) for year in budget["year"].unique().to_list()]
    first = min([first_of(period_start), *months_with_entries, *budget_months])
    last = max([first_of(period_end), *months_with_entries, *budget_ends])
    calendar = pl.DataFrame({"month": pl.date_range(first, last, interval="1mo", eager=True)})
    monthly = flows.select(_month_index().alias("month"), "kind", "amount_cents").pivot(
        on="kind", index="month", values="amount_cents", aggregate_function="sum"
    )
    for kind in EntryKind:
        if kind.value not in monthly.columns:
            monthly = monthly.with_columns(pl.lit(0, dtype=pl.Int64).alias(kind.value))
    # The line steps up by a year's planned budget in that year's first month.
    budget_line = (
        budget.group_by("year")
        .agg(pl.col("planned_cents").sum())
        .sort("year")
        .select(pl.col("year").cast(pl.Int32), pl.col("planned_cents").cum_sum().alias("budget_cents"))
    )
    return (
        calendar.join(monthly, on="month", how="left")
        .with_columns(pl.col("month").dt.year().cast(pl.Int32).alias("year"))
        .join_asof(budget_line, on="year", strategy="backward")
        .select(
            "month",
            pl.col(EntryKind.COMMITMENT.value).fill_null(0).cum_sum().alias("committed_cents"),
            pl.col(EntryKind.DISBURSEMENT.value).fill_null(0).cum_sum().alias("disbursed_cents"),
            pl.col("budget_cents").fill_null(0),
            ((pl.col("month") < first_of(period_start)) | (pl.col("month") > period_end)).alias("outside_period"),
        )
    )


def flows_outside_period(flows: pl.DataFrame, period_start: date, period_end: date) -> pl.DataFrame:
    """Money booked before the period's first or after its last day, per kind (shown, not dropped)."""
    day = pl.col("entry_date")
    return (
        flows.filter((day < period_start) | (day > period_end))
        .group_by("kind")
        .agg(pl.col("amount_cents").sum())
        .sort("kind")
    )


def status_counts_in_order(counts: pl.DataFrame) -> pl.DataFrame:
    """Projects per status for every status of the life cycle (0 where none), in life-cycle order."""
    order = pl.DataFrame({"status": STATUS_ORDER, "order": list(range(len(STATUS_ORDER)))})
    return (
        order.join(counts, on="status", how="left")
        .with_columns(pl.col("projects").fill_null(0), pl.col("approved_grant_cents").fill_null(0))
        .sort("order")
        .drop("order")
    )

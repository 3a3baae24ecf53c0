"""Project portfolio views: totals, Handlungsfeld × status aggregates, timeline rows, progress."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dashboard.domain.overview import STATUS_ORDER

# More bars than this make a Gantt chart unreadable; the table still lists every project.
TIMELINE_LIMIT = 60


@dataclass(frozen=True)
class PortfolioTotals:
    projects: int
    approved_cents: int
    disbursed_cents: int
    # Projects whose amounts the scope may not see one by one (other partners' projects, for members):
    # the sums above leave them out.
    without_money: int = 0


def portfolio_totals(projects: pl.DataFrame) -> PortfolioTotals:
    hidden = pl.col("money_visible").not_().sum() if "money_visible" in projects.columns else pl.lit(0)
    sums = projects.select(
        pl.len().alias("projects"),
        pl.col("approved_cents").fill_null(0).sum().alias("approved"),
        pl.col("disbursed_cents").fill_null(0).sum().alias("disbursed"),
        hidden.alias("hidden"),
    ).row(0)
    return PortfolioTotals(
        projects=int(sums[0]), approved_cents=int(sums[1]), disbursed_cents=int(sums[2]), without_money=int(sums[3])
    )


def with_progress(projects: pl.DataFrame) -> pl.DataFrame:
    """Adds ``progress``: disbursed / approved grant (0..1, null without an approved grant)."""
    approved = pl.col("approved_cents")
    return projects.with_columns(
        pl.when(approved > 0).then(pl.col("disbursed_cents") / approved).otherwise(None).alias("progress")
    )


def topic_status_matrix(projects: pl.DataFrame) -> pl.DataFrame:
    """Projects and approved money per Handlungsfeld and status (a project counts in each of its topics).

    Rows only where projects exist; statuses in life-cycle order, topics by name.
    """
    order = pl.DataFrame({"status": STATUS_ORDER, "status_order": list(range(len(STATUS_ORDER)))})
    return (
        projects.select("id", "status", "approved_cents", pl.col("topic_names").alias("topic"))
        .explode("topic")
        .with_columns(pl.col("topic").fill_null("–"))
        .group_by("topic", "status")
        .agg(pl.len().alias("projects"), pl.col("approved_cents").fill_null(0).sum().alias("approved_cents"))
        .join(order, on="status", how="left")
        .sort("status_order", "topic")
        .drop("status_order")
    )


def timeline_rows(projects: pl.DataFrame, limit: int = TIMELINE_LIMIT) -> pl.DataFrame:
    """Projects with both dates, by start, at most ``limit`` of them (the ones starting first)."""
    return (
        projects.filter(pl.col("start_date").is_not_null() & pl.col("end_date").is_not_null())
        .sort("start_date", "title")
        .head(limit)
        .select("id", "title", "status", "lead_name", "start_date", "end_date")
    )


@dataclass(frozen=True)
class ChartSelection:
    """What the user clicked in the charts: (Handlungsfeld, status) bars and timeline projects."""

    bars: tuple[tuple[str, str], ...] = ()
    project_ids: tuple[int, ...] = ()

    def is_empty(self) -> bool:
        return not self.bars and not self.project_ids


def apply_selection(projects: pl.DataFrame, selection: ChartSelection) -> pl.DataFrame:
    """The projects in any clicked bar or clicked timeline item (all of them without a selection)."""
    if selection.is_empty():
        return projects
    picked = [
        (pl.col("status") == status) & pl.col("topic_names").list.contains(topic) for topic, status in selection.bars
    ]
    if selection.project_ids:
        picked.append(pl.col("id").is_in(list(selection.project_ids)))
    return projects.filter(pl.any_horizontal(picked))

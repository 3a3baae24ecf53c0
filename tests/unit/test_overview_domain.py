"""Overview KPIs and cumulative flows on small hand-built frames."""

from datetime import date

import polars as pl
from polars.testing import assert_frame_equal

from dashboard.domain.overview import (
    STATUS_ORDER,
    cumulative_flows,
    flows_outside_period,
    overview_kpis,
    status_counts_in_order,
    time_elapsed_share,
)

BUDGET = pl.DataFrame(
    {"fund": ["esf", "esf", "land"], "year": [2024, 2025, 2025], "planned_cents": [100_00, 200_00, 50_00]},
    schema={"fund": pl.String, "year": pl.Int32, "planned_cents": pl.Int64},
)
FLOWS = pl.DataFrame(
    {
        "entry_date": [date(2024, 2, 10), date(2024, 6, 15), date(2025, 3, 20), date(2026, 2, 1)],
        "kind": ["commitment", "disbursement", "disbursement", "disbursement"],
        "amount_cents": [250_00, 40_00, 60_00, 10_00],
    },
    schema={"entry_date": pl.Date, "kind": pl.String, "amount_cents": pl.Int64},
)


def test_kpis_count_money_booked_up_to_the_reference_day() -> None:
    kpis = overview_kpis(BUDGET, FLOWS, date(2025, 3, 20))
    assert (kpis.budget_cents, kpis.committed_cents, kpis.disbursed_cents) == (350_00, 250_00, 100_00)
    assert kpis.free_cents == 100_00
    assert kpis.absorption_share == 100 / 350
    # the day before a booking does not include it, even within the same month
    day_before = overview_kpis(BUDGET, FLOWS, date(2025, 3, 19))
    assert day_before.disbursed_cents == 40_00
    early = overview_kpis(BUDGET, FLOWS, date(2024, 5, 31))
    assert (early.committed_cents, early.disbursed_cents) == (250_00, 0)


def test_shares_are_none_without_budget() -> None:
    kpis = overview_kpis(BUDGET.clear(), FLOWS, date(2030, 1, 1))
    assert kpis.absorption_share is None and kpis.committed_share is None


def test_time_elapsed_share_is_clipped_to_the_period() -> None:
    start, end = date(2024, 1, 1), date(2024, 12, 31)
    assert time_elapsed_share(start, end, date(2023, 6, 1)) == 0
    assert time_elapsed_share(start, end, date(2024, 12, 31)) == 1
    assert time_elapsed_share(start, end, date(2030, 1, 1)) == 1
    assert time_elapsed_share(start, end, date(2024, 7, 1)) == 183 / 366


def test_cumulative_flows_span_the_period_and_late_entries() -> None:
    frame = cumulative_flows(BUDGET, FLOWS, date(2024, 1, 1), date(2025, 12, 31))
    assert frame["month"][0] == date(2024, 1, 1)
    assert frame["month"][-1] == date(2026, 2, 1)  # the late payment stays visible
    assert frame.height == 26
    by_month = {row["month"]: row for row in frame.iter_rows(named=True)}
    assert by_month[date(2024, 1, 1)]["budget_cents"] == 100_00
    assert by_month[date(2025, 1, 1)]["budget_cents"] == 350_00
    assert by_month[date(2024, 6, 1)]["disbursed_cents"] == 40_00
    assert by_month[date(2026, 2, 1)]["disbursed_cents"] == 110_00
    assert by_month[date(2026, 2, 1)]["outside_period"] is True
    assert by_month[date(2025, 12, 1)]["outside_period"] is False
    assert frame["committed_cents"].is_sorted() and frame["disbursed_cents"].is_sorted()


def test_budget_years_outside_the_period_stay_on_the_line() -> None:
    late_budget = pl.DataFrame(
        {"fund": ["esf"], "year": [2027], "planned_cents": [70_00]},
        schema={"fund": pl.String, "year": pl.Int32, "planned_cents": pl.Int64},
    )
    frame = cumulative_flows(pl.concat([BUDGET, late_budget]), FLOWS, date(2024, 1, 1), date(2025, 12, 31))
    assert frame["month"][-1] == date(2027, 12, 1)
    assert frame["budget_cents"][-1] == 420_00


def test_flows_outside_period_are_reported_not_dropped() -> None:
    outside = flows_outside_period(FLOWS, date(2024, 1, 1), date(2025, 12, 31))
    expected = pl.DataFrame(
        {"kind": ["disbursement"], "amount_cents": [10_00]},
        schema={"kind": pl.String, "amount_cents": pl.Int64},
    )
    assert_frame_equal(outside, expected)


def test_status_counts_cover_the_whole_life_cycle_in_order() -> None:
    counts = pl.DataFrame({"status": ["laufend", "idee"], "projects": [3, 1], "approved_grant_cents": [900, 0]})
    ordered = status_counts_in_order(counts)
    assert ordered["status"].to_list() == STATUS_ORDER
    assert ordered.filter(status="laufend")["projects"].item() == 3
    assert ordered["projects"].sum() == 4

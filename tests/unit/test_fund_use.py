"""Fund use: funnel, forecast, year absorption, flags and co-financing on hand-built frames."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl
import pytest

from dashboard.config import ConfigError, FundRules, load_settings
from dashboard.data_access.queries import PROJECT_MONEY_SCHEMA
from dashboard.domain import fund_use as fu

RULES = FundRules(
    max_grant_rates=(("esf", Decimal("0.6")), ("land", Decimal("0.9"))),
    lag_threshold=0.25,
    decommitment_years=3,
    unused_threshold=0.10,
    payment_lag_days=90,
)
START, END = date(2020, 1, 1), date(2022, 12, 31)  # 1096 days
ALLIANCE = {"name": "Testbündnis", "period_start": START, "period_end": END}


def project(
    project_id: int,
    *,
    grant: int,
    paid: int,
    start: date = START,
    end: date = END,
    total_cost: int | None = None,
    fund: str = "esf",
    committed: int | None = None,
) -> dict[str, object]:
    committed = grant if committed is None else committed
    return {
        "project_id": project_id,
        "alliance_id": 1,
        "title": f"Projekt {project_id}",
        "lead_name": "Lead",
        "status": "laufend",
        "fund": fund,
        "start_date": start,
        "end_date": end,
        "total_cost_cents": total_cost if total_cost is not None else grant * 2,
        "approved_cents": grant,
        "committed_cents": committed,
        "disbursed_cents": paid,
        "counted_cents": paid,
        "commitments": 1 if committed else 0,
    }


def projects(*rows: dict[str, object]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=dict(PROJECT_MONEY_SCHEMA), orient="row")


def budget(*years: tuple[int, int], fund: str = "esf") -> pl.DataFrame:
    return pl.DataFrame(
        [(1, fund, year, cents) for year, cents in years],
        schema={"alliance_id": pl.Int64, "fund": pl.String, "year": pl.Int32, "planned_cents": pl.Int64},
        orient="row",
    )


def flows(*rows: tuple[date, str, str, int]) -> pl.DataFrame:
    schema = {"entry_date": pl.Date, "fund": pl.String, "kind": pl.String, "amount_cents": pl.Int64}
    return pl.DataFrame(list(rows), schema=schema, orient="row")


def on_schedule_paid(grant: int, start: date, end: date, as_of: date) -> int:
    """What a project on schedule has been paid on ``as_of`` (the schedule 90 days earlier)."""
    due = fu.time_elapsed_share(start, end, as_of - timedelta(days=RULES.payment_lag_days))
    return round(grant * due)


def test_a_project_exactly_on_schedule_gets_no_flag_and_no_band() -> None:
    as_of = date(2021, 6, 30)
    paid = on_schedule_paid(1_000_000, START, END, as_of)
    frame = fu.project_forecast(projects(project(1, grant=1_000_000, paid=paid)), as_of, END, RULES)
    row = frame.row(0, named=True)
    assert abs(row["lag"]) < 1e-6
    assert row["pace"] == pytest.approx(1.0, abs=1e-6)
    assert row["lagging"] is False
    # No band (up to the cent that rounding the paid amount leaves).
    assert row["high_cents"] - row["low_cents"] <= 1
    # On schedule, everything due by the end of the project less the payment lag is paid by END.
    expected = round(1_000_000 * fu.time_elapsed_share(START, END, END - timedelta(days=90)))
    assert row["forecast_cents"] == pytest.approx(expected, abs=1)


def test_a_project_that_paid_nothing_at_sixty_percent_is_flagged_and_its_sentence_explains() -> None:
    as_of = START + timedelta(days=round(1096 * 0.6) - 1)
    frame = fu.project_forecast(
        projects(project(1, grant=1_000_000, paid=0)), as_of, fu.counting_day(END, RULES), RULES
    )
    row = frame.row(0, named=True)
    assert row["runtime_share"] == pytest.approx(0.6, abs=0.001)
    assert row["lagging"] is True
    # Its own pace (nothing) forecasts nothing more; the band reaches up to a full catch-up.
    assert row["forecast_cents"] == 0 and row["low_cents"] == 0 and row["high_cents"] == 1_000_000
    flags = fu.risk_flags(
        "B",
        fu.forecast_absorption(budget(), projects(), as_of, END, RULES)[0],
        pl.DataFrame(schema={"year": pl.Int32, "missing_share": pl.Float64}),
        frame,
        fu.cofinancing_check(projects(), RULES),
        rules=RULES,
    )
    assert [flag.kind for flag in flags] == [fu.FlagKind.PROJECT_LAG]
    sentence = fu.flag_sentence(flags[0], "de").replace("\u00a0", " ")
    assert sentence.startswith("Projekt 1: 0 % der Bewilligung ausgezahlt, planmäßig wären 52 %")
    assert "Schwelle 25" in sentence


def test_a_project_slightly_behind_stays_unflagged() -> None:
    as_of = date(2021, 6, 30)
    paid = on_schedule_paid(1_000_000, START, END, as_of) - 100_000  # 10 points behind
    row = fu.project_forecast(projects(project(1, grant=1_000_000, paid=paid)), as_of, END, RULES).row(0, named=True)
    assert row["lag"] == pytest.approx(0.1, abs=1e-6)
    assert row["lagging"] is False
    assert row["low_cents"] < row["high_cents"]


def test_forecast_never_exceeds_the_commitment_and_before_start_assumes_the_plan() -> None:
    as_of = date(2020, 2, 1)  # nothing due yet: no evidence of the pace
    ahead = project(1, grant=500_000, paid=400_000)
    later = project(2, grant=300_000, paid=0, start=date(2021, 1, 1), end=date(2021, 12, 31))
    frame = fu.project_forecast(projects(ahead, later), as_of, fu.counting_day(END, RULES), RULES).sort("project_id")
    assert frame["forecast_cents"].to_list() == [500_000, 300_000]
    assert frame["pace"][1] == 1.0


def test_forecast_absorption_sums_projects_and_names_the_unused_money() -> None:
    as_of = date(2021, 6, 30)
    on_plan = project(1, grant=1_000_000, paid=on_schedule_paid(1_000_000, START, END, as_of))
    idle = project(2, grant=400_000, paid=0)
    planned = budget((2020, 1_000_000), (2021, 1_000_000), (2022, 600_000))
    forecast, per_project = fu.forecast_absorption(planned, projects(on_plan, idle), as_of, END, RULES)
    assert forecast.budget_cents == 2_600_000
    assert forecast.ceiling_cents == 1_400_000
    assert forecast.uncommitted_cents == 1_200_000
    assert forecast.forecast_cents == int(per_project["forecast_cents"].sum())
    assert forecast.low_cents <= forecast.forecast_cents <= forecast.high_cents
    assert forecast.unused_cents == 2_600_000 - forecast.forecast_cents
    assert not forecast.final


def test_after_the_counting_day_the_figures_are_final_and_late_payments_do_not_count() -> None:
    as_of = date(2026, 1, 1)
    row = project(1, grant=1_000_000, paid=1_000_000)
    row["counted_cents"] = 900_000  # the last 100.000 € came after the counting day
    forecast, _ = fu.forecast_absorption(budget((2020, 1_000_000)), projects(row), as_of, END, RULES)
    assert forecast.final
    assert forecast.forecast_cents == forecast.low_cents == forecast.high_cents == 900_000
    assert forecast.unused_cents == 100_000


def test_a_year_budget_that_cannot_be_absorbed_in_time_is_flagged() -> None:
    # n+1: 2020's money must flow by 31.12.2021; one small project cannot absorb it.
    rules = FundRules(decommitment_years=1, payment_lag_days=90, unused_threshold=0.10, lag_threshold=0.25)
    as_of = date(2020, 6, 30)
    small = project(1, grant=200_000, paid=on_schedule_paid(200_000, START, END, as_of))
    planned = budget((2020, 1_000_000), (2021, 100_000))
    forecast, per_project = fu.forecast_absorption(planned, projects(small), as_of, END, rules)
    years = fu.year_absorption(planned, per_project, flows(), as_of, END, rules=rules)
    first = years.row(0, named=True)
    assert first["deadline"] == date(2021, 12, 31)
    assert first["missing_cents"] == 1_000_000 - first["paid_by_deadline_cents"]
    flags = fu.risk_flags("B", forecast, years, per_project, fu.cofinancing_check(projects(small), rules), rules=rules)
    year_flags = [flag for flag in flags if flag.kind == fu.FlagKind.YEAR]
    assert [flag.subject for flag in year_flags] == ["2020", "2021"]
    assert "verfallen nach der n+1-Regel" in fu.flag_sentence(year_flags[0], "de")
    assert fu.FlagKind.ALLIANCE in {flag.kind for flag in flags}


def test_a_year_absorbed_in_time_is_not_flagged_and_shortfalls_go_to_the_oldest_year_first() -> None:
    rules = FundRules(decommitment_years=1, payment_lag_days=90)
    as_of = date(2023, 6, 30)  # every deadline has passed: actual payments decide
    paid = flows(
        (date(2020, 9, 30), "esf", "disbursement", 600_000), (date(2021, 11, 30), "esf", "disbursement", 500_000)
    )
    planned = budget((2020, 600_000), (2021, 600_000))
    years = fu.year_absorption(planned, projects(), paid, as_of, END, rules=rules)
    assert years["deadline"].to_list() == [date(2021, 12, 31), date(2022, 12, 31)]
    assert years["paid_by_deadline_cents"].to_list() == [1_100_000, 1_100_000]
    assert years["missing_cents"].to_list() == [0, 100_000]
    assert years["passed"].to_list() == [True, True]


def test_funnel_by_fund_and_year_reconciles_with_the_entries() -> None:
    as_of = date(2021, 6, 30)
    booked = flows(
        (date(2020, 3, 1), "esf", "commitment", 500_000),
        (date(2020, 9, 1), "esf", "disbursement", 100_000),
        (date(2021, 2, 1), "land", "commitment", 200_000),
        (date(2021, 5, 1), "land", "disbursement", 50_000),
        (date(2021, 8, 1), "land", "disbursement", 70_000),  # after the Stichtag
    )
    planned = pl.concat([budget((2020, 400_000), (2021, 400_000)), budget((2021, 300_000), fund="land")])
    by_fund = fu.funnel_by(fu.Breakdown.FUND, planned, projects(), booked, pl.DataFrame(), as_of=as_of)
    assert by_fund.select("key", "planned_cents", "committed_cents", "disbursed_cents", "free_cents").rows() == [
        ("esf", 800_000, 500_000, 100_000, 300_000),
        ("land", 300_000, 200_000, 50_000, 100_000),
    ]
    by_year = fu.funnel_by(fu.Breakdown.YEAR, planned, projects(), booked, pl.DataFrame(), as_of=as_of)
    assert by_year.select("key", "planned_cents", "committed_cents", "disbursed_cents").rows() == [
        ("2020", 400_000, 500_000, 100_000),
        ("2021", 700_000, 200_000, 50_000),
    ]
    assert by_year["absorption_share"].to_list() == pytest.approx([0.25, 50_000 / 700_000])


def test_funnel_by_topic_counts_multi_topic_projects_in_each_and_names_projects_without_one() -> None:
    rows = projects(project(1, grant=100, paid=40), project(2, grant=50, paid=10), project(3, grant=30, paid=0))
    links = pl.DataFrame({"project_id": [1, 1, 2], "topic": ["A", "B", "B"]})
    frame = fu.funnel_by(fu.Breakdown.TOPIC, budget(), rows, flows(), links, as_of=date(2021, 1, 1))
    assert frame.select("key", "committed_cents", "disbursed_cents").rows() == [
        ("B", 150, 50),
        ("A", 100, 40),
        (fu.NO_TOPIC, 30, 0),
    ]
    assert frame["planned_cents"].null_count() == 3


def test_cofinancing_flags_grants_above_the_funds_maximum_rate() -> None:
    rows = projects(
        project(1, grant=61, paid=0, total_cost=100),  # 61 % > 60 % ESF
        project(2, grant=60, paid=0, total_cost=100),  # exactly the maximum
        project(3, grant=95, paid=0, total_cost=100, fund="bund"),  # no rate configured for Bund
    )
    check = fu.cofinancing_check(rows, RULES)
    assert check.filter("exceeded")["project_id"].to_list() == [1]
    flags = fu.risk_flags(
        "B",
        fu.forecast_absorption(budget(), rows, date(2019, 1, 1), END, RULES)[0],
        pl.DataFrame(schema={"year": pl.Int32, "missing_share": pl.Float64}),
        pl.DataFrame(schema={"lagging": pl.Boolean, "lag": pl.Float64}),
        check,
        rules=RULES,
    )
    assert (
        fu.flag_sentence(flags[0], "de").replace("\u00a0", " ")
        == "Projekt 1: Förderquote 61,0 % liegt über dem Höchstsatz von 60 % für ESF/ESF+."
    )


def test_absorption_curve_keeps_entries_outside_the_period_and_stops_at_the_stichtag() -> None:
    booked = flows(
        (date(2019, 11, 15), "esf", "commitment", 1_000),  # before the period
        (date(2023, 2, 1), "esf", "disbursement", 700),  # after it
    )
    curve = fu.absorption_curve(budget((2020, 3_000)), booked, date(2023, 3, 15), START, END)
    assert curve["month"][0] == date(2019, 11, 1) and curve["outside_period"][0]
    assert curve["disbursed_cents"][-1] == 700 and curve["outside_period"][-1]
    assert curve["schedule_cents"].filter(curve["day"] == END).to_list() == [3_000]
    earlier = fu.absorption_curve(budget((2020, 3_000)), booked, date(2021, 1, 15), START, END)
    assert earlier.filter(pl.col("month") > date(2021, 1, 15))["disbursed_cents"].null_count() > 0


def test_forecast_path_runs_from_the_stichtag_to_the_counting_day_and_ends_at_the_forecast() -> None:
    as_of = date(2021, 6, 30)
    rows = projects(project(1, grant=1_000_000, paid=200_000), project(2, grant=300_000, paid=0))
    until = fu.counting_day(END, RULES)
    forecast, per_project = fu.forecast_absorption(budget((2020, 2_000_000)), rows, as_of, END, RULES)
    path = fu.forecast_path(per_project, as_of, until, RULES)
    assert path["day"][0] == as_of and path["day"][-1] == until
    assert path["forecast_cents"][-1] == forecast.forecast_cents
    assert path["forecast_cents"].is_sorted()
    assert (path["low_cents"] <= path["high_cents"]).all()


def test_alliance_comparison_puts_budget_per_inhabitant_and_the_forecast_gap_side_by_side() -> None:
    alliances = pl.DataFrame(
        {
            "id": [1, 2],
            "name": ["A", "B"],
            "short_name": ["A", "B"],
            "land": ["NI", "SN"],
            "period_start": [START, START],
            "period_end": [END, END],
        }
    )
    planned = pl.concat(
        [budget((2020, 1_000_000)), budget((2020, 500_000)).with_columns(alliance_id=pl.lit(2, pl.Int64))]
    )
    rows = projects(project(1, grant=1_000_000, paid=0)).with_columns(
        counting_until=pl.lit(fu.counting_day(END, RULES))
    )
    populations = pl.DataFrame({"alliance_id": [1, 2], "population": [10_000, 0]})
    table = fu.alliance_comparison(alliances, planned, rows, populations, as_of=date(2021, 6, 30), rules=RULES)
    first, second = table.rows(named=True)
    assert first["budget_per_inhabitant"] == pytest.approx(1.0)
    assert first["lagging_projects"] == 1 and first["at_risk"]
    assert second["budget_per_inhabitant"] is None
    assert second["unused_cents"] == 500_000 and second["unused_share"] == 1.0


def test_fund_rules_come_from_the_environment_with_clear_errors() -> None:
    rules = load_settings({"COCKPIT_MAX_GRANT_RATES": "esf=40, land=85", "COCKPIT_LAG_THRESHOLD": "30"}).fund_rules
    assert rules.max_grant_rate("esf") == Decimal("0.4")
    assert rules.max_grant_rate("efre") is None
    assert rules.lag_threshold == pytest.approx(0.30)
    defaults = load_settings({}).fund_rules
    assert defaults.max_grant_rate("esf") == Decimal("0.6") and defaults.decommitment_years == 3
    with pytest.raises(ConfigError, match=r"COCKPIT_MAX_GRANT_RATES.*unbekannt: 'xyz=5'"):
        load_settings({"COCKPIT_MAX_GRANT_RATES": "xyz=5"})
    with pytest.raises(ConfigError, match=r"COCKPIT_MAX_GRANT_RATES.*esf: der Fördersatz"):
        load_settings({"COCKPIT_MAX_GRANT_RATES": "esf=120"})
    with pytest.raises(ConfigError, match="COCKPIT_LAG_THRESHOLD"):
        load_settings({"COCKPIT_LAG_THRESHOLD": "viel"})


def test_forecasts_never_fall_below_what_was_paid() -> None:
    as_of = date(2021, 6, 30)
    overpaid = project(1, grant=100_000, paid=120_000)  # paid more than committed (e.g. a late correction)
    refund = project(2, grant=100_000, paid=-10_000)  # a refund larger than the payments so far
    frame = fu.project_forecast(projects(overpaid, refund), as_of, fu.counting_day(END, RULES), RULES).sort(
        "project_id"
    )
    assert frame["ceiling_cents"].to_list() == [120_000, 100_000]
    assert frame["forecast_cents"][0] == frame["low_cents"][0] == 120_000
    assert frame["pace"][1] == 0.0
    assert frame["forecast_cents"][1] >= 0 and frame["low_cents"][1] >= 0


def test_a_fully_revoked_commitment_does_not_bring_back_the_grant() -> None:
    revoked = project(1, grant=90_000, paid=30_000, committed=30_000) | {"commitments": 2}
    nothing_left = project(2, grant=50_000, paid=0, committed=0) | {"commitments": 2}
    not_yet_booked = project(3, grant=40_000, paid=0, committed=0)  # approved, commitment not booked yet
    frame = fu.project_forecast(projects(revoked, nothing_left, not_yet_booked), date(2021, 6, 30), END, RULES)
    assert frame.sort("project_id").select("project_id", "ceiling_cents").rows() == [(1, 30_000), (3, 40_000)]


def test_payments_of_projects_without_a_schedule_still_count() -> None:
    undated = project(1, grant=0, paid=80_000, committed=80_000) | {"start_date": None, "end_date": None}
    forecast, per_project = fu.forecast_absorption(
        budget((2020, 100_000)), projects(undated), date(2021, 6, 30), END, RULES
    )
    assert forecast.forecast_cents == forecast.low_cents == forecast.high_cents == 80_000
    assert per_project["lagging"].to_list() == [False]


def test_two_projects_with_the_same_title_stay_two_rows() -> None:
    twins = projects(project(1, grant=100, paid=10), project(2, grant=50, paid=5))
    twins = twins.with_columns(pl.lit("Gleicher Titel").alias("title"))
    frame = fu.funnel_by(fu.Breakdown.PROJECT, budget(), twins, flows(), pl.DataFrame(), as_of=date(2021, 1, 1))
    assert frame.select("key", "committed_cents").rows() == [("Gleicher Titel", 100), ("Gleicher Titel", 50)]


def test_payments_clear_the_oldest_year_first_so_a_shared_deadline_hits_the_newest() -> None:
    rules = FundRules(decommitment_years=3, payment_lag_days=90)  # every deadline is cut to the counting day
    paid = flows((date(2021, 6, 1), "esf", "disbursement", 1_500))
    planned = budget((2020, 1_000), (2021, 1_000), (2022, 1_000))
    years = fu.year_absorption(planned, projects(), paid, date(2026, 1, 1), END, rules=rules)
    assert set(years["deadline"]) == {fu.counting_day(END, rules)}
    assert years["missing_cents"].to_list() == [0, 500, 1_000]


def test_user_text_in_fund_charts_is_not_html() -> None:
    from dashboard.charts.funds import breakdown_figure

    rows = projects(project(1, grant=100, paid=10)).with_columns(pl.lit('<a href="https://x">klick</a>').alias("title"))
    frame = fu.funnel_by(fu.Breakdown.PROJECT, budget(), rows, flows(), pl.DataFrame(), as_of=date(2021, 1, 1))
    figure = breakdown_figure(frame, fu.Breakdown.PROJECT, frame["key"].to_list(), "de")
    assert figure.data[0].y == ("&lt;a href=&quot;https://x&quot;&gt;klick&lt;/a&gt;",)


def test_fund_charts_are_valid_plotly_specs_with_their_markers() -> None:
    """The charts are built as finished specs without Plotly's validation (speed): validate them here once."""
    import plotly.graph_objects as go

    from dashboard.charts.funds import absorption_figure, breakdown_figure, comparison_figure, funnel_figure

    as_of = date(2021, 6, 30)
    rows = projects(project(1, grant=100_000, paid=20_000), project(2, grant=50_000, paid=0, fund="land"))
    paid = flows((date(2021, 3, 1), "esf", "disbursement", 20_000), (date(2020, 2, 1), "esf", "commitment", 100_000))
    view = fu.fund_use_view(
        ALLIANCE,
        budget((2020, 100_000), (2021, 100_000)),
        rows,
        paid,
        pl.DataFrame(schema={"project_id": pl.Int64, "topic_id": pl.Int64, "topic": pl.String}),
        as_of=as_of,
        funds=(),
        rules=RULES,
    )
    absorption = absorption_figure(view, "de")
    table = pl.DataFrame(
        {
            "short_name": ["A", "<b>B</b>"],
            "budget_cents": [100_000, 300_000],
            "time_share": [0.5, 0.7],
            "absorption_share": [0.4, None],
            "at_risk": [False, True],
        }
    )
    frame = view.breakdowns[fu.Breakdown.FUND]
    figures = [
        absorption,
        absorption_figure(view, "en"),
        funnel_figure(view.funnel, "de"),
        breakdown_figure(frame, fu.Breakdown.FUND, frame["key"].to_list(), "en"),
        comparison_figure(table, "de"),
    ]
    for figure in figures:
        go.Figure(figure.to_dict())  # raises on any property Plotly does not know
    layout = absorption.to_dict()["layout"]
    assert [shape["type"] for shape in layout["shapes"]] == ["rect", "line", "line"]
    assert [shape["x0"] for shape in layout["shapes"][1:]] == [as_of, view.forecast.counting_until]
    assert [note["text"] for note in layout["annotations"]] == ["Stichtag", "Abrechnungsfrist"]
    assert layout["separators"] == ",." and layout["template"]["layout"]["plot_bgcolor"] == "white"
    assert comparison_figure(table, "de").data[2].text == ("&lt;b&gt;B&lt;/b&gt;",)

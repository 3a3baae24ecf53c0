"""ESF+ totals: cumulative series not summed over dates, breakdowns by sex, small counts suppressed, rule checks."""

from __future__ import annotations

from datetime import date

import polars as pl

from dashboard.data_access.impact import PROJECT_OBSERVATION_SCHEMA
from dashboard.domain.esf import breakdown_violations, esf_totals, exclusivity_violations, suppress_small_counts

AS_OF = date(2026, 11, 22)
INDICATORS = pl.DataFrame(
    {
        "indicator_id": [1, 2, 3, 4],
        "code": ["EECO01", "EECO13", "EECR01", "EECR04"],
        "name": ["Teilnehmende", "Drittstaatsangehörige", "Arbeitsuchend", "In Arbeit"],
        "name_en": [None, None, None, None],
    }
)


def obs(*rows: tuple[int, str, date, str, float, bool]) -> pl.DataFrame:
    ids = {"EECO01": 1, "EECO13": 2, "EECR01": 3, "EECR04": 4}
    return pl.DataFrame(
        [(p, ids[c], c, d, dims, v, cum) for p, c, d, dims, v, cum in rows],
        schema=PROJECT_OBSERVATION_SCHEMA,
        orient="row",
    )


H1, H2 = date(2025, 6, 30), date(2025, 12, 31)
REPORTS = obs(
    (1, "EECO01", H1, "", 40.0, True),
    (1, "EECO01", H2, "", 100.0, True),
    (1, "EECO01", H2, "sex=w", 55.0, True),
    (1, "EECO01", H2, "sex=m", 43.0, True),
    (1, "EECO01", H2, "sex=d", 2.0, True),
    (2, "EECO01", H2, "", 30.0, True),
    (2, "EECO01", H2, "sex=w", 12.0, True),
    (2, "EECO01", H2, "sex=m", 18.0, True),
    (2, "EECO13", H2, "", 3.0, True),
    (1, "EECR04", H2, "", 30.0, False),
    (1, "EECR01", H2, "", 20.0, False),
    (2, "EECR04", H2, "", 25.0, False),
    (2, "EECR01", H2, "", 9.0, False),  # 25 + 9 > 30 participants: impossible, they exclude each other
    (2, "EECO01", date(2027, 6, 30), "", 99.0, True),  # after the Stichtag
)


def test_totals_take_each_projects_latest_cumulative_value_and_sum_breakdowns() -> None:
    totals = esf_totals(REPORTS, INDICATORS, AS_OF)
    row = totals.filter(pl.col("code") == "EECO01").row(0, named=True)
    assert (row["total"], row["female"], row["male"], row["diverse"], row["projects"]) == (130.0, 67.0, 61.0, 2.0, 2)
    assert totals["code"].to_list() == ["EECO01", "EECO13", "EECR01", "EECR04"]
    assert totals.filter(pl.col("code") == "EECR04")["total"].item() == 55.0
    assert totals.filter(pl.col("code") == "EECO13")["female"].item() is None


def test_small_counts_are_suppressed_with_a_secondary_cell() -> None:
    totals = esf_totals(REPORTS, INDICATORS, AS_OF)
    shown = suppress_small_counts(totals, threshold=5)
    participants = shown.filter(pl.col("code") == "EECO01").row(0, named=True)
    # "divers" (2) is below 5; male (61) is the smallest other positive cell and goes too, or 130 − 67 − 61 = 2.
    assert participants["diverse"] is None and participants["diverse_suppressed"]
    assert participants["male"] is None and participants["male_suppressed"]
    assert participants["female"] == 67.0 and not participants["female_suppressed"]
    assert participants["total"] == 130.0
    third_country = shown.filter(pl.col("code") == "EECO13").row(0, named=True)
    assert third_country["total"] is None and third_country["total_suppressed"]
    # Threshold 1 shows everything exactly (the view for the alliance's own speakers).
    assert suppress_small_counts(totals, threshold=1).filter(pl.col("code") == "EECO01")["diverse"].item() == 2.0


def test_exclusive_results_exceeding_participants_are_listed() -> None:
    violations = exclusivity_violations(REPORTS, AS_OF)
    assert violations.select("project_id", "EECO01", "EECR01", "EECR04").rows() == [(2, 30.0, 9.0, 25.0)]


def test_breakdowns_larger_than_their_total_are_listed() -> None:
    broken = pl.concat([REPORTS, obs((2, "EECO13", H2, "sex=w", 4.0, True))])
    assert breakdown_violations(REPORTS, AS_OF).is_empty()
    assert breakdown_violations(broken, AS_OF).select("project_id", "code", "total", "breakdown").rows() == [
        (2, "EECO13", 3.0, 4.0)
    ]

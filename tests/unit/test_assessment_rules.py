"""The assessment rules on hand-built frames: weighted totals, spread flags, conflicts, transitions, the draft text."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.domain import assessment as rules
from dashboard.domain.assessment import (
    ALLOWED,
    application_total,
    assessment_totals,
    conflicted_members,
    criterion_summary,
    is_flagged,
    next_statuses,
    pipeline_summary,
    recommendation_proposal,
    statement_text,
    totals_diverge,
    transition_allowed,
)

CRITERIA = pl.DataFrame(
    {"code": ["bedarf", "strategie", "kosten"], "criterion": ["Bedarf", "Strategie", "Kosten"], "weight": [3, 2, 1]}
)


def scores(rows: list[tuple[int, str, int | None]]) -> pl.DataFrame:
    weights = dict(zip(CRITERIA["code"], CRITERIA["weight"], strict=True))
    return pl.DataFrame(
        [(assessment, code, weights[code], score) for assessment, code, score in rows],
        schema=rules.SCORES_SCHEMA,
        orient="row",
    )


TWO = scores(
    [
        (1, "bedarf", 4),
        (1, "strategie", 3),
        (1, "kosten", 5),
        (2, "bedarf", 2),
        (2, "strategie", 3),
        (2, "kosten", 4),
    ]
)


def test_an_assessments_weighted_total_uses_the_criteria_it_scored() -> None:
    partial = scores([(1, "bedarf", 4), (1, "strategie", 3), (1, "kosten", 5), (2, "bedarf", 2), (2, "kosten", None)])
    totals = assessment_totals(partial)
    # (3·4 + 2·3 + 1·5) / 6 = 23/6; the second scored only "bedarf" (a null is no score): 2.
    assert_frame_equal(
        totals, pl.DataFrame({"assessment_id": [1, 2], "weighted_total": [3.83, 2.0]}), check_dtypes=False
    )


def test_the_application_total_weights_the_criterion_means() -> None:
    # Means: bedarf 3, strategie 3, kosten 4.5 → (9 + 6 + 4.5) / 6 = 3.25.
    assert application_total(TWO) == 3.25
    assert application_total(TWO.clear()) is None


def test_criterion_summary_flags_a_spread_of_two_points_and_keeps_unscored_criteria() -> None:
    summary = criterion_summary(CRITERIA, TWO.filter(pl.col("code") != "kosten"))
    expected = pl.DataFrame(
        {
            "code": ["bedarf", "strategie", "kosten"],
            "criterion": ["Bedarf", "Strategie", "Kosten"],
            "weight": [3, 2, 1],
            "mean": [3.0, 3.0, None],
            "min": [2, 3, None],
            "max": [4, 3, None],
            "spread": [2, 0, None],
            "flagged": [True, False, False],
        },
        schema=rules.SUMMARY_SCHEMA,
    )
    assert_frame_equal(summary, expected)


def test_totals_that_lie_one_and_a_half_points_apart_flag_the_application() -> None:
    close = pl.DataFrame({"assessment_id": [1, 2], "weighted_total": [3.0, 4.49]})
    apart = pl.DataFrame({"assessment_id": [1, 2], "weighted_total": [3.0, 4.5]})
    assert not totals_diverge(close)
    assert totals_diverge(apart)
    assert not totals_diverge(apart.head(1))
    calm = criterion_summary(CRITERIA, scores([(1, "bedarf", 3), (2, "bedarf", 4)]))
    assert not is_flagged(calm, close)
    assert is_flagged(calm, apart)


def test_applicant_and_partners_have_a_conflict_of_interest() -> None:
    assert conflicted_members(7, [3, 9, 3]) == frozenset({3, 7, 9})
    assert conflicted_members(None, []) == frozenset()


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("idee", "beantragt", True),
        ("beantragt", "bewertet", True),
        ("beantragt", "zurueckgezogen", True),
        ("bewertet", "bewilligt", True),
        ("bewertet", "abgelehnt", True),
        ("bewertet", "zurueckgezogen", True),
        ("bewilligt", "laufend", True),
        ("idee", "bewilligt", False),
        ("beantragt", "bewilligt", False),
        ("abgelehnt", "bewilligt", False),
        ("laufend", "bewilligt", False),
        ("bewilligt", "abgelehnt", False),
    ],
)
def test_allowed_transitions(current: str, target: str, allowed: bool) -> None:
    assert transition_allowed(current, target) is allowed


def test_next_statuses_leave_out_what_only_the_statement_does_and_approval_without_a_positive_statement() -> None:
    assert next_statuses("beantragt", positive_final=True) == ["zurueckgezogen"]
    assert next_statuses("bewertet", positive_final=False) == ["abgelehnt", "zurueckgezogen"]
    assert next_statuses("bewertet", positive_final=True) == ["bewilligt", "abgelehnt", "zurueckgezogen"]
    assert next_statuses("laufend", positive_final=True) == []
    assert set(ALLOWED) == {"idee", "beantragt", "bewertet", "bewilligt"}


@pytest.mark.parametrize(
    ("total", "means", "expected"),
    [
        (4.2, {"a": 4.0, "b": 4.5}, "befuerwortet"),
        (3.6, {"a": 1.5, "b": 4.5}, "befuerwortet_mit_auflagen"),  # one criterion far too weak
        (3.0, {"a": 3.0}, "befuerwortet_mit_auflagen"),
        (2.4, {"a": 2.4}, "nicht_befuerwortet"),
        (None, {}, None),
    ],
)
def test_recommendation_proposal(total: float | None, means: dict[str, float], expected: str | None) -> None:
    assert recommendation_proposal(total, means) == expected


def test_pipeline_summary_has_every_status_in_order_with_money_and_median_waiting() -> None:
    frame = pl.DataFrame(
        {
            "status": ["beantragt", "beantragt", "beantragt", "bewertet"],
            "requested_grant": [Decimal("100.00"), None, Decimal("50.50"), Decimal("10.00")],
            "waiting_days": [10, 20, 40, 5],
        },
        schema={"status": pl.String(), "requested_grant": pl.Decimal(38, 2), "waiting_days": pl.Int64()},
    )
    summary = pipeline_summary(frame)
    assert summary["status"].to_list() == list(rules.PIPELINE_STATUSES)
    row = summary.filter(status="beantragt").row(0, named=True)
    assert (row["applications"], row["requested_grant"], row["median_waiting_days"]) == (3, Decimal("150.50"), 20.0)
    empty = summary.filter(status="bewilligt").row(0, named=True)
    assert (empty["applications"], empty["requested_grant"], empty["median_waiting_days"]) == (0, Decimal("0"), None)


def facts(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "as_of": "2026-10-01",
        "alliance": {"name": "Fachkräftebündnis Test", "short_name": "Test", "programme": "ESF+"},
        "application": {
            "id": 1,
            "title": "Pflege im Verbund",
            "description": "",
            "lead": "Stadt A",
            "partners": ["Landkreis B"],
            "topics": ["Pflegeberufe"],
            "regions": [{"ags": "03101", "name": "Braunschweig"}],
            "start_date": "2027-01-01",
            "end_date": "2028-12-31",
            "total_cost": "240000.00",
            "requested_grant": "168000.00",
            "fund": "esf",
            "submitted_on": "2026-08-01",
        },
        "need": [
            {
                "ags": "03101",
                "region": "Braunschweig",
                "indicator_code": "ALQ",
                "indicator": "Arbeitslosenquote",
                "unit": "%",
                "value": 5.8,
                "period_end": "2025-12-31",
                "source": "Regionalstatistik",
            }
        ],
        "criteria": [
            {"code": "bedarf", "name": "Regionaler Bedarf", "weight": 3, "required": True},
            {"code": "strategie", "name": "Beitrag zur Strategie", "weight": 2, "required": True},
            {"code": "kosten", "name": "Wirtschaftlichkeit", "weight": 1, "required": True},
        ],
        "assessments": [
            {
                "assessor": "IHK",
                "assessed_on": "2026-09-01",
                "comment": "Bedarf gut belegt.",
                "scores": {"bedarf": 5, "strategie": 4, "kosten": 2},
                "weighted_total": 4.17,
            },
            {
                "assessor": "DGB",
                "assessed_on": "2026-09-03",
                "comment": "",
                "scores": {"bedarf": 4, "strategie": 4, "kosten": 4},
                "weighted_total": 4.0,
            },
        ],
        "criterion_means": {"bedarf": 4.5, "strategie": 4.0, "kosten": 3.0},
        "spread": {"bedarf": 1, "strategie": 0, "kosten": 2},
        "flagged": ["kosten"],
        "weighted_total": 4.08,
    }
    base.update(changes)
    return base


def test_the_german_draft_names_need_strengths_spread_remarks_and_a_proposal() -> None:
    text = statement_text(facts(), "de")
    assert text.startswith("Fachliche Stellungnahme zum Antrag „Pflege im Verbund“")
    assert "Stadt A beantragt gemeinsam mit Landkreis B" in text
    assert "168.000,00\u00a0€" in text and "240.000,00\u00a0€" in text and "01.01.2027 bis 31.12.2028" in text
    assert "Arbeitslosenquote: Braunschweig 5,8\u00a0% (Stand 31.12.2025)." in text
    assert "2 Bewertungen liegen vor (IHK und DGB)." in text
    assert "4,08 von 5 Punkten" in text
    assert "Besonders überzeugt der Antrag bei: Regionaler Bedarf (4,5) und Beitrag zur Strategie (4,0)." in text
    assert "Bei Wirtschaftlichkeit weichen die Bewertungen um 2 oder mehr Punkte voneinander ab" in text
    assert "– IHK: Bedarf gut belegt." in text and "– DGB" not in text
    assert text.endswith("Das Bündnis befürwortet den Antrag.")


def test_the_draft_proposes_conditions_on_the_weak_criteria_and_says_when_assessments_are_missing() -> None:
    weak = facts(criterion_means={"bedarf": 3.0, "strategie": 2.0, "kosten": 3.0}, weighted_total=2.67, flagged=[])
    text = statement_text(weak, "de")
    assert "Nachbesserungsbedarf besteht bei: Beitrag zur Strategie (2,0)." in text
    assert text.endswith(
        "Das Bündnis befürwortet den Antrag mit Auflagen. Zu Beitrag zur Strategie sind vor Projektbeginn "
        "belastbare Nachweise vorzulegen."
    )
    none = statement_text(facts(assessments=[], criterion_means={}, weighted_total=None, flagged=[], need=[]), "de")
    assert "Es liegt noch keine Bewertung vor." in none
    assert "mindestens 2 Bewertungen" in none
    assert "keine regionalen Kennzahlen bis zum 01.10.2026" in none
    assert none.endswith("Eine Empfehlung kann erst nach den Bewertungen vorgeschlagen werden.")


def test_the_english_draft() -> None:
    text = statement_text(facts(), "en")
    assert text.startswith("Expert statement on the application “Pflege im Verbund”")
    assert "€168,000.00" in text and "weighted overall score is 4.08 out of 5" in text
    assert text.endswith("The alliance supports the application.")


def test_the_draft_survives_sparse_facts() -> None:
    text = statement_text({"application": {"title": "X"}}, "de")
    assert "„X“" in text
    assert statement_text({}, "fr").startswith("Fachliche Stellungnahme")


def test_constants_of_the_contract() -> None:
    assert (rules.SCORE_MIN, rules.SCORE_MAX, rules.SPREAD_FLAG, rules.MIN_ASSESSMENTS) == (0, 5, 2, 2)
    assert rules.TOTAL_SPREAD_FLAG == 1.5

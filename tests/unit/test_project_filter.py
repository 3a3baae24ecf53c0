"""Filter semantics of the project list: each filter alone, combinations, search normalisation, empty results.

The database tests run on SQLite and PostgreSQL and compare with values computed from the seed file.
"""

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from sqlalchemy import Engine

from dashboard.data_access import queries
from dashboard.data_access.project_filter import (
    ProjectFilter,
    emptying_filter,
    filter_projects,
    normalise_term,
)
from dashboard.data_access.scope import DEMO_SCOPE, PermissionDenied, Role, Scope
from seeds.loader import read_seed_file

SON = next(a for a in read_seed_file("alliances.yaml")["alliances"] if a["slug"] == "suedostniedersachsen")
SON_PROJECTS = SON["projects"]


def _son_id(engine: Engine) -> int:
    return int(queries.alliances(engine, DEMO_SCOPE).filter(slug="suedostniedersachsen")["id"][0])


def _titles(engine: Engine, flt: ProjectFilter) -> set[str]:
    return set(queries.projects(engine, DEMO_SCOPE, _son_id(engine), flt)["title"])


def _expected(predicate) -> set[str]:  # type: ignore[no-untyped-def]
    return {p["title"] for p in SON_PROJECTS if predicate(p)}


def test_no_filter_returns_every_project(seeded_engine: Engine) -> None:
    assert _titles(seeded_engine, ProjectFilter()) == _expected(lambda p: True)


def test_topic_filter(seeded_engine: Engine) -> None:
    flt = ProjectFilter.of(topics=["Rekrutierung und Matching"])
    assert _titles(seeded_engine, flt) == _expected(lambda p: "Rekrutierung und Matching" in p["topics"])


def test_status_filter(seeded_engine: Engine) -> None:
    flt = ProjectFilter.of(statuses=["abgeschlossen", "abgebrochen"])
    assert _titles(seeded_engine, flt) == _expected(lambda p: p["status"] in {"abgeschlossen", "abgebrochen"})


def test_member_filter_matches_lead_or_partner(seeded_engine: Engine) -> None:
    flt = ProjectFilter.of(members=["Landkreis Goslar"])
    expected = _expected(lambda p: p["lead"] == "Landkreis Goslar" or "Landkreis Goslar" in p["partners"])
    assert _titles(seeded_engine, flt) == expected
    assert "Digitalisierungslabor an der TU Clausthal" in expected  # as partner
    lead_only = ProjectFilter.of(members=["AWO Bezirksverband Braunschweig"])
    assert _titles(seeded_engine, lead_only) == {"AWO-Praktikumsbörse für Migranten"}


def test_region_and_fund_filters(seeded_engine: Engine) -> None:
    assert _titles(seeded_engine, ProjectFilter.of(regions=["03153"])) == _expected(lambda p: "03153" in p["regions"])
    assert _titles(seeded_engine, ProjectFilter.of(funds=["esf"])) == _expected(lambda p: p["fund"] == "esf")
    assert _titles(seeded_engine, ProjectFilter.of(funds=["efre"])) == set()


def test_period_filter_keeps_projects_running_during_it(seeded_engine: Engine) -> None:
    start, end = date(2021, 9, 1), date(2021, 12, 31)
    flt = ProjectFilter(runs_from=start, runs_to=end)
    expected = _expected(lambda p: "start" in p and p["start"] <= end and p["end"] >= start)
    assert _titles(seeded_engine, flt) == expected
    assert "AWO-Praktikumsbörse für Migranten" not in expected  # ended 31.03.2021
    assert "Fachkräftenetzwerk Schule und Wirtschaft Helmstedt" not in expected  # an idea has no dates


def test_combination_recruitment_in_goslar(seeded_engine: Engine) -> None:
    flt = ProjectFilter.of(topics=["Rekrutierung und Matching"], regions=["03153"])
    expected = _expected(lambda p: "Rekrutierung und Matching" in p["topics"] and "03153" in p["regions"])
    assert _titles(seeded_engine, flt) == expected
    assert len(expected) == 5  # four funded projects and one open application (seeds)
    rows = queries.projects(seeded_engine, DEMO_SCOPE, _son_id(seeded_engine), flt)
    approved = sum(Decimal(p.get("approved", "0")) for p in SON_PROJECTS if p["title"] in expected)
    assert rows["approved_cents"].sum() == int(approved * 100)


@pytest.mark.parametrize(
    ("term", "must_find"),
    [
        ("Pflege", "Pflege-Rückkehr – Wiedereinstieg in pflegerische Berufe"),
        ("pflegerisch", "Pflege-Rückkehr – Wiedereinstieg in pflegerische Berufe"),
        ("Rueckkehr", "Pflege-Rückkehr – Wiedereinstieg in pflegerische Berufe"),
        ("RÜCKKEHR", "Pflege-Rückkehr – Wiedereinstieg in pflegerische Berufe"),
        ("welcome center", "Welcome Center der Region für ausländische Fachkräfte"),
        ("auslaendische", "Welcome Center der Region für ausländische Fachkräfte"),
        ("Anerkennung", "Welcome Center der Region für ausländische Fachkräfte"),  # in the description
    ],
)
def test_search_is_case_and_umlaut_insensitive(seeded_engine: Engine, term: str, must_find: str) -> None:
    assert must_find in _titles(seeded_engine, ProjectFilter(search=term))


def test_search_needs_every_word(seeded_engine: Engine) -> None:
    assert _titles(seeded_engine, ProjectFilter(search="Pflege Kita")) == set()
    assert _titles(seeded_engine, ProjectFilter(search="Kita Quereinstieg")) == {
        "Quereinstieg Kita – Fachkräfte für die frühe Bildung"
    }


def test_empty_result_names_the_filter_that_emptied_it(seeded_engine: Engine) -> None:
    portfolio = queries.project_portfolio(seeded_engine, DEMO_SCOPE, _son_id(seeded_engine))
    flt = ProjectFilter.of(regions=["03153"], funds=["efre"])
    assert filter_projects(portfolio, flt).is_empty()
    assert emptying_filter(portfolio, flt) == "funds"
    assert emptying_filter(portfolio, ProjectFilter(search="gibtesnicht")) == "search"
    assert emptying_filter(portfolio, ProjectFilter.of(regions=["03153"])) is None


def test_portfolio_respects_the_scope(seeded_engine: Engine) -> None:
    harz = int(queries.alliances(seeded_engine, DEMO_SCOPE).filter(slug="landkreis-harz")["id"][0])
    scope = Scope.for_alliances("partner", Role.MEMBER, [_son_id(seeded_engine)])
    with pytest.raises(PermissionDenied):
        queries.projects(seeded_engine, scope, harz, ProjectFilter())


def test_money_columns_equal_the_seed_file(seeded_engine: Engine) -> None:
    rows = queries.project_portfolio(seeded_engine, DEMO_SCOPE, _son_id(seeded_engine))
    by_title = {row["title"]: row for row in rows.iter_rows(named=True)}
    for project in SON_PROJECTS:
        row = by_title[project["title"]]
        assert row["total_cost_cents"] == int(Decimal(project["total_cost"]) * 100)
        assert row["approved_cents"] == (int(Decimal(project["approved"]) * 100) if "approved" in project else None)
        assert row["lead_name"] == project["lead"]
        assert sorted(row["partner_names"]) == sorted(project["partners"])
        assert row["region_ags"] == sorted(project["regions"])


def test_normalise_term() -> None:
    assert normalise_term("  Rückkehr   Straße ") == "rueckkehr strasse"
    assert normalise_term("ÄÖÜ") == "aeoeue"


def test_filter_is_hashable_and_order_independent() -> None:
    a = ProjectFilter.of(topics=["b", "a"], statuses=["laufend"])
    b = ProjectFilter.of(topics=["a", "b"], statuses=["laufend"])
    assert a == b and hash(a) == hash(b)
    assert ProjectFilter().is_empty() and not a.is_empty()
    assert a.active() == ["topics", "statuses"]
    assert ProjectFilter(runs_from=date(2020, 1, 1), runs_to=date(2020, 2, 1)).active() == ["period"]


def test_filters_on_a_hand_built_frame() -> None:
    frame = pl.DataFrame(
        {
            "id": [1, 2],
            "title": ["Älter werden", "Neu"],
            "description": [None, "Straße"],
            "status": ["laufend", "idee"],
            "fund": ["esf", "land"],
            "lead_name": ["A", "B"],
            "partner_names": [["B"], []],
            "topic_names": [["T1"], ["T2"]],
            "region_ags": [["03101"], []],
            "start_date": [date(2020, 1, 1), None],
            "end_date": [date(2020, 12, 31), None],
        }
    )
    assert filter_projects(frame, ProjectFilter(search="aelter"))["id"].to_list() == [1]
    assert filter_projects(frame, ProjectFilter(search="strasse"))["id"].to_list() == [2]
    assert filter_projects(frame, ProjectFilter.of(members=["B"]))["id"].to_list() == [1, 2]
    assert filter_projects(frame, ProjectFilter.of(regions=["03101"]))["id"].to_list() == [1]
    assert filter_projects(frame, ProjectFilter(runs_from=date(2021, 1, 1)))["id"].to_list() == []
    assert filter_projects(frame, ProjectFilter.of(project_ids=[2]))["id"].to_list() == [2]

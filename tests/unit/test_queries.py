"""Overview queries on SQLite and PostgreSQL against values recomputed from the seed file and raw rows."""

from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from dashboard.data_access import queries
from dashboard.data_access.money import decimal_to_cents
from dashboard.data_access.scope import DEMO_SCOPE, PermissionDenied, Role, Scope
from seeds.loader import read_seed_file

SEED = {raw["slug"]: raw for raw in read_seed_file("alliances.yaml")["alliances"]}


def _alliance_id(engine: Engine, slug: str) -> int:
    frame = queries.alliances(engine, DEMO_SCOPE).filter(slug=slug)
    return int(frame["id"][0])


def test_alliances_lists_every_seeded_alliance(seeded_engine: Engine) -> None:
    frame = queries.alliances(seeded_engine, DEMO_SCOPE)
    assert set(frame["slug"]) == set(SEED)
    son = frame.filter(slug="suedostniedersachsen").row(0, named=True)
    assert son["name"] == "Fachkräftebündnis SüdOstNiedersachsen"
    assert (son["period_start"].isoformat(), son["period_end"].isoformat()) == ("2019-01-01", "2021-12-31")


@pytest.mark.parametrize("slug", sorted(SEED))
def test_budget_equals_the_seed_file(seeded_engine: Engine, slug: str) -> None:
    budget = queries.budget_by_fund_year(seeded_engine, DEMO_SCOPE, _alliance_id(seeded_engine, slug))
    expected = sum(Decimal(b["amount"]) for b in SEED[slug]["budgets"])
    assert budget["planned_cents"].sum() == decimal_to_cents(expected)


def test_son_virtual_budget_is_one_point_four_million(seeded_engine: Engine) -> None:
    budget = queries.budget_by_fund_year(seeded_engine, DEMO_SCOPE, _alliance_id(seeded_engine, "suedostniedersachsen"))
    assert budget["planned_cents"].sum() == 140_000_000
    assert set(budget["fund"]) == {"esf"}


@pytest.mark.parametrize("slug", sorted(SEED))
def test_flows_equal_the_raw_entries(seeded_engine: Engine, slug: str) -> None:
    alliance_id = _alliance_id(seeded_engine, slug)
    with seeded_engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT f.kind, f.amount FROM financial_entry f JOIN project p ON p.id = f.project_id "
                "WHERE p.alliance_id = :alliance"
            ),
            {"alliance": alliance_id},
        ).all()
    expected: dict[str, Decimal] = {}
    for kind, amount in rows:
        expected[kind] = expected.get(kind, Decimal(0)) + Decimal(str(amount)).quantize(Decimal("0.01"))
    flows = queries.financial_flows_by_day(seeded_engine, DEMO_SCOPE, alliance_id)
    totals = {kind: sum(flows.filter(kind=kind)["amount_cents"]) for kind in expected}
    assert totals == {kind: decimal_to_cents(value) for kind, value in expected.items()}


@pytest.mark.parametrize("slug", sorted(SEED))
def test_project_status_and_member_type_counts_equal_the_seed_file(seeded_engine: Engine, slug: str) -> None:
    alliance_id = _alliance_id(seeded_engine, slug)
    statuses = queries.project_status_counts(seeded_engine, DEMO_SCOPE, alliance_id)
    assert dict(statuses.select("status", "projects").iter_rows()) == Counter(
        p["status"] for p in SEED[slug]["projects"]
    )
    approved = sum(Decimal(p.get("approved", "0")) for p in SEED[slug]["projects"])
    assert statuses["approved_grant_cents"].sum() == decimal_to_cents(approved)
    types = queries.member_type_counts(seeded_engine, DEMO_SCOPE, alliance_id)
    assert dict(types.iter_rows()) == Counter(m["type"] for m in SEED[slug]["members"])


def test_son_has_28_partners_and_eight_kreise(seeded_engine: Engine) -> None:
    alliance_id = _alliance_id(seeded_engine, "suedostniedersachsen")
    assert queries.members(seeded_engine, DEMO_SCOPE, alliance_id).height == 28
    regions = queries.alliance_regions(seeded_engine, DEMO_SCOPE, alliance_id)
    assert regions["ags"].to_list() == [
        "03101",
        "03102",
        "03103",
        "03151",
        "03153",
        "03154",
        "03157",
        "03158",
    ]
    assert "Goslar" in regions["name"].to_list()


def test_scope_limits_every_query(seeded_engine: Engine) -> None:
    son = _alliance_id(seeded_engine, "suedostniedersachsen")
    harz = _alliance_id(seeded_engine, "landkreis-harz")
    scope = Scope.for_alliances("partner", Role.MEMBER, [son])
    assert queries.alliances(seeded_engine, scope)["slug"].to_list() == ["suedostniedersachsen"]
    for query in (
        queries.alliance_regions,
        queries.members,
        queries.member_type_counts,
        queries.topics,
        queries.project_status_counts,
        queries.budget_by_fund_year,
        queries.financial_flows_by_day,
    ):
        with pytest.raises(PermissionDenied):
            query(seeded_engine, scope, harz)
        assert not query(seeded_engine, scope, son).is_empty()


def test_empty_results_keep_their_schema(seeded_engine: Engine) -> None:
    nobody = Scope.for_alliances("nobody", Role.MEMBER, [])
    frame = queries.alliances(seeded_engine, nobody)
    assert frame.is_empty()
    assert frame.columns[:3] == ["id", "slug", "name"]


def test_scope_fails_closed_for_non_admins_without_alliances(seeded_engine: Engine) -> None:
    son = _alliance_id(seeded_engine, "suedostniedersachsen")
    for role in (Role.SPEAKER, Role.MEMBER, Role.LIAISON):
        scope = Scope(user="x", role=role)  # no alliances given
        assert queries.alliances(seeded_engine, scope).is_empty()
        with pytest.raises(PermissionDenied):
            queries.members(seeded_engine, scope, son)
    assert not queries.members(seeded_engine, Scope(user="root", role=Role.ADMIN), son).is_empty()

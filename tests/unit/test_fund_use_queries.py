"""Fund-use queries on SQLite and PostgreSQL: every figure recomputed independently from the raw rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine
from sqlmodel import Session, select

from dashboard import loaders
from dashboard.config import FundRules
from dashboard.data_access import queries
from dashboard.data_access.models import Alliance, Budget, FinancialEntry, Project
from dashboard.data_access.money import decimal_to_cents
from dashboard.data_access.scope import DEMO_SCOPE, PermissionDenied, Role, Scope
from dashboard.domain import fund_use as fu

RULES = FundRules()
STICHTAGE = [date(2019, 12, 31), date(2020, 6, 30), date(2021, 9, 30), date(2026, 11, 22)]


def _alliance(engine: Engine, slug: str) -> dict[str, object]:
    return queries.alliances(engine, DEMO_SCOPE).filter(slug=slug).row(0, named=True)


def _view(engine: Engine, slug: str, as_of: date, funds: tuple[str, ...] = ()) -> fu.FundUseView:
    return loaders.fund_use_view(engine, DEMO_SCOPE, _alliance(engine, slug), as_of, funds=funds, rules=RULES)


def _raw(engine: Engine, slug: str) -> tuple[Alliance, list[Budget], list[tuple[FinancialEntry, Project]]]:
    with Session(engine) as session:
        alliance = session.exec(select(Alliance).where(Alliance.slug == slug)).one()
        budgets = list(session.exec(select(Budget).where(Budget.alliance_id == alliance.id)))
        entries = list(
            session.exec(
                select(FinancialEntry, Project)
                .join(Project, Project.id == FinancialEntry.project_id)  # type: ignore[arg-type]
                .where(Project.alliance_id == alliance.id)
            )
        )
        session.expunge_all()
    return alliance, budgets, entries


@pytest.mark.parametrize("slug", ["suedostniedersachsen", "dessau-rosslau-zwk"])
@pytest.mark.parametrize("as_of", STICHTAGE)
def test_funnel_reconciles_exactly_with_the_financial_entries(seeded_engine: Engine, slug: str, as_of: date) -> None:
    view = _view(seeded_engine, slug, as_of)
    alliance, budgets, entries = _raw(seeded_engine, slug)
    planned = sum((budget.planned_amount for budget in budgets), Decimal(0))
    booked: dict[str, Decimal] = defaultdict(Decimal)
    per_year: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    per_project: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    counted = Decimal(0)
    until = fu.counting_day(alliance.period_end, RULES)
    for entry, project in entries:
        if entry.entry_date <= as_of:
            booked[entry.kind] += entry.amount
            per_year[(str(entry.entry_date.year), entry.kind)] += entry.amount
            per_project[(project.title, entry.kind)] += entry.amount
            if entry.kind == "disbursement" and entry.entry_date <= until:
                counted += entry.amount
    assert view.funnel.planned_cents == decimal_to_cents(planned)
    assert view.funnel.committed_cents == decimal_to_cents(booked["commitment"])
    assert view.funnel.disbursed_cents == decimal_to_cents(booked["disbursement"])
    assert view.funnel.free_cents == decimal_to_cents(planned - booked["commitment"])
    by_year = view.breakdowns[fu.Breakdown.YEAR]
    for key, committed, disbursed in by_year.select("key", "committed_cents", "disbursed_cents").iter_rows():
        assert committed == decimal_to_cents(per_year[(key, "commitment")])
        assert disbursed == decimal_to_cents(per_year[(key, "disbursement")])
    by_project = view.breakdowns[fu.Breakdown.PROJECT]
    for key, committed, disbursed in by_project.select("key", "committed_cents", "disbursed_cents").iter_rows():
        assert committed == decimal_to_cents(per_project[(key, "commitment")])
        assert disbursed == decimal_to_cents(per_project[(key, "disbursement")])
    if view.forecast.final:
        assert view.forecast.forecast_cents == decimal_to_cents(counted)
    for breakdown in (fu.Breakdown.FUND, fu.Breakdown.YEAR, fu.Breakdown.LEAD, fu.Breakdown.PROJECT):
        frame = view.breakdowns[breakdown]
        assert int(frame["committed_cents"].sum()) == view.funnel.committed_cents
        assert int(frame["disbursed_cents"].sum()) == view.funnel.disbursed_cents


def test_the_fund_filter_narrows_budget_and_entries(seeded_engine: Engine) -> None:
    slug = "dessau-rosslau-zwk"
    alliance = _alliance(seeded_engine, slug)
    assert queries.alliance_funds(seeded_engine, DEMO_SCOPE, int(alliance["id"])) == ["bund", "eigenmittel"]
    everything = _view(seeded_engine, slug, date(2026, 1, 1))
    bund = _view(seeded_engine, slug, date(2026, 1, 1), ("bund",))
    own = _view(seeded_engine, slug, date(2026, 1, 1), ("eigenmittel",))
    assert bund.funnel.planned_cents == 20_000_000 and own.funnel.planned_cents == 2_000_000
    assert bund.funnel.committed_cents + own.funnel.committed_cents == everything.funnel.committed_cents
    assert bund.funnel.disbursed_cents + own.funnel.disbursed_cents == everything.funnel.disbursed_cents
    assert set(bund.per_project["fund"]) == {"bund"}
    nothing = _view(seeded_engine, slug, date(2026, 1, 1), ("efre",))
    assert nothing.funnel == fu.Funnel(0, 0, 0) and nothing.per_project.is_empty()


def test_son_forecast_mid_period_and_its_flags(seeded_engine: Engine) -> None:
    view = _view(seeded_engine, "suedostniedersachsen", date(2020, 6, 30))
    assert view.funnel.planned_cents == 140_000_000
    assert not view.forecast.final and view.forecast.counting_until == date(2022, 3, 31)
    # Never below what each project has been paid (the seed has a revoked commitment and late payments).
    assert (view.per_project["low_cents"] >= view.per_project["disbursed_cents"]).all()
    revoked = view.per_project.filter(pl.col("status") == "abgebrochen")
    assert (revoked["ceiling_cents"] <= revoked["approved_cents"]).all()
    kinds = {flag.kind for flag in view.flags}
    assert fu.FlagKind.ALLIANCE in kinds  # a third of the budget is not even committed yet
    assert view.path["day"][-1] == view.forecast.counting_until


def test_comparison_row_equals_the_single_alliance_view(seeded_engine: Engine) -> None:
    as_of = date(2020, 6, 30)
    alliances = queries.alliances(seeded_engine, DEMO_SCOPE)
    table = loaders.alliance_comparison(seeded_engine, DEMO_SCOPE, as_of, RULES)
    assert table.height == alliances.height
    for slug in ("suedostniedersachsen", "landkreis-harz"):
        view = _view(seeded_engine, slug, as_of)
        row = table.filter(name=view.alliance_name).row(0, named=True)
        assert row["budget_cents"] == view.funnel.planned_cents
        assert row["forecast_cents"] == view.forecast.forecast_cents
        assert row["unused_cents"] == view.forecast.unused_cents
        assert row["final"] == view.forecast.final


def test_fund_use_queries_respect_the_scope(seeded_engine: Engine) -> None:
    son = int(_alliance(seeded_engine, "suedostniedersachsen")["id"])
    harz = int(_alliance(seeded_engine, "landkreis-harz")["id"])
    liaison = Scope(user="liaison", role=Role.LIAISON, alliance_ids=frozenset({son}))
    assert set(queries.project_money(seeded_engine, liaison, date(2026, 1, 1))["alliance_id"]) == {son}
    assert set(queries.budgets(seeded_engine, liaison)["alliance_id"]) == {son}
    assert set(queries.alliance_populations(seeded_engine, liaison)["alliance_id"]) == {son}
    for query in (queries.financial_flows_by_day, queries.project_topic_links, queries.alliance_funds):
        with pytest.raises(PermissionDenied):
            query(seeded_engine, liaison, harz)
    with pytest.raises(PermissionDenied):
        queries.budgets(seeded_engine, liaison, [harz])
    with pytest.raises(PermissionDenied):
        queries.project_money(seeded_engine, liaison, date(2026, 1, 1), alliance_ids=[harz])
    with pytest.raises(PermissionDenied):
        queries.fund_use_data(seeded_engine, liaison, harz, date(2026, 1, 1), funds=(), counting_until=date(2026, 1, 1))
    nobody = Scope(user="x", role=Role.MEMBER)
    assert queries.project_money(seeded_engine, nobody, date(2026, 1, 1)).is_empty()
    for book in (
        queries.project_money_book(seeded_engine, nobody),
        queries.project_money_book(seeded_engine, nobody, by_fund=False, details=False),
    ):
        assert book.disbursements.is_empty() and book.commitments.is_empty()
        assert queries.project_money_on(book, date(2026, 1, 1)).is_empty()
    with pytest.raises(PermissionDenied):
        queries.project_money_book(seeded_engine, liaison, alliance_ids=[harz])


# --- The money book: every Stichtag from one read, equal to the per-Stichtag queries ------------------------------


def _stichtage(engine: Engine) -> list[date]:
    """Days around the data: before the first entry, on the first and last, in between, long after the last."""
    with Session(engine) as session:
        days = sorted({entry.entry_date for entry in session.exec(select(FinancialEntry))})
    first, last = days[0], days[-1]
    middle = days[len(days) // 2]
    return [
        first - timedelta(days=1),
        first,
        middle,
        date(2021, 12, 31),
        last - timedelta(days=1),
        last,
        *STICHTAGE,
        last + timedelta(days=400),
    ]


def _counting_days(engine: Engine, scope: Scope) -> dict[int, date]:
    alliances = queries.alliances(engine, scope)
    return {int(a): fu.counting_day(end, RULES) for a, end in alliances.select("id", "period_end").iter_rows()}


def _member_scope(engine: Engine) -> Scope:
    """A partner of SüdOstNiedersachsen that leads some projects: it reads their money, and no other project's."""
    son = int(_alliance(engine, "suedostniedersachsen")["id"])
    with Session(engine) as session:
        lead = session.exec(select(Project.lead_member_id).where(Project.alliance_id == son)).first()
    assert lead is not None
    return Scope.for_alliances("partner", Role.MEMBER, [son], member_ids=[lead])


@pytest.mark.parametrize("who", ["demo", "liaison", "member"])
def test_the_money_book_gives_project_money_on_every_stichtag(seeded_engine: Engine, who: str) -> None:
    son = int(_alliance(seeded_engine, "suedostniedersachsen")["id"])
    scope = {
        "demo": DEMO_SCOPE,
        "liaison": Scope.for_alliances("liaison", Role.LIAISON, [son]),
        "member": _member_scope(seeded_engine),
    }[who]
    counting = _counting_days(seeded_engine, scope)
    book = queries.project_money_book(seeded_engine, scope)
    slim = queries.project_money_book(seeded_engine, scope, by_fund=False, details=False)
    assert not book.projects.is_empty()
    for as_of in _stichtage(seeded_engine):
        expected = queries.project_money(seeded_engine, scope, as_of, counting_until=counting)
        assert_frame_equal(queries.project_money_on(book, as_of, counting_until=counting), expected)
        assert_frame_equal(
            queries.project_money_on(slim, as_of, counting_until=counting),
            expected.select(
                [*slim.projects.columns, "committed_cents", "disbursed_cents", "counted_cents", "commitments"]
            ),
        )
        # Without counting days every payment up to the Stichtag counts.
        assert_frame_equal(queries.project_money_on(book, as_of), queries.project_money(seeded_engine, scope, as_of))
    if who == "member":  # other partners' projects are not in the book, their money not in its entries
        everyone = queries.project_money_book(seeded_engine, DEMO_SCOPE, alliance_ids=[son])
        assert 0 < book.projects.height < everyone.projects.height
        assert set(book.disbursements["project_id"]) < set(everyone.disbursements["project_id"])


@pytest.mark.parametrize("slug", ["suedostniedersachsen", "dessau-rosslau-zwk"])
def test_the_money_book_of_one_alliance_filters_funds_like_the_query(seeded_engine: Engine, slug: str) -> None:
    alliance_id = int(_alliance(seeded_engine, slug)["id"])
    book = queries.project_money_book(seeded_engine, DEMO_SCOPE, alliance_ids=[alliance_id])
    counting = {alliance_id: _counting_days(seeded_engine, DEMO_SCOPE)[alliance_id]}
    for as_of in _stichtage(seeded_engine):
        for funds in (None, ["esf"], ["bund", "eigenmittel"], ["efre", "land"], ["unknown"]):
            expected = queries.project_money(
                seeded_engine, DEMO_SCOPE, as_of, alliance_ids=[alliance_id], funds=funds, counting_until=counting
            )
            assert_frame_equal(queries.project_money_on(book, as_of, funds=funds, counting_until=counting), expected)
    with pytest.raises(ValueError, match="without funds"):
        queries.project_money_on(
            queries.project_money_book(seeded_engine, DEMO_SCOPE, by_fund=False), date(2026, 1, 1), funds=["esf"]
        )
    with pytest.raises(PermissionDenied):
        queries.project_money_book(
            seeded_engine, Scope.for_alliances("x", Role.LIAISON, []), alliance_ids=[alliance_id]
        )


def test_the_comparison_from_loaded_inputs_equals_the_per_stichtag_queries(seeded_engine: Engine) -> None:
    inputs = loaders.comparison_inputs(seeded_engine, DEMO_SCOPE)
    alliances = queries.alliances(seeded_engine, DEMO_SCOPE)
    counting = _counting_days(seeded_engine, DEMO_SCOPE)
    for as_of in _stichtage(seeded_engine):
        per_stichtag = fu.alliance_comparison(
            alliances,
            queries.budgets(seeded_engine, DEMO_SCOPE),
            queries.project_money(seeded_engine, DEMO_SCOPE, as_of, counting_until=counting),
            queries.alliance_populations(seeded_engine, DEMO_SCOPE),
            as_of=as_of,
            rules=RULES,
        )
        assert_frame_equal(loaders.alliance_comparison_on(inputs, as_of, RULES), per_stichtag)
        assert_frame_equal(loaders.alliance_comparison(seeded_engine, DEMO_SCOPE, as_of, RULES), per_stichtag)


def _same_view(left: fu.FundUseView, right: fu.FundUseView) -> None:
    for name in ("alliance_name", "period_start", "period_end", "as_of", "funds", "funnel", "forecast", "flags"):
        assert getattr(left, name) == getattr(right, name), name
    for name in ("per_project", "years", "curve", "path", "cofinancing"):
        assert_frame_equal(getattr(left, name), getattr(right, name))
    for breakdown in fu.Breakdown:
        assert_frame_equal(left.breakdowns[breakdown], right.breakdowns[breakdown])


@pytest.mark.parametrize("slug", ["suedostniedersachsen", "dessau-rosslau-zwk"])
def test_the_fund_use_view_from_loaded_inputs_equals_the_per_stichtag_queries(seeded_engine: Engine, slug: str) -> None:
    alliance = _alliance(seeded_engine, slug)
    alliance_id = int(alliance["id"])
    inputs = loaders.fund_use_inputs(seeded_engine, DEMO_SCOPE, alliance_id)
    until = fu.counting_day(alliance["period_end"], RULES)
    for as_of in _stichtage(seeded_engine):
        for funds in ((), ("bund",), ("esf", "land")):
            data = queries.fund_use_data(
                seeded_engine, DEMO_SCOPE, alliance_id, as_of, funds=funds, counting_until=until
            )
            per_stichtag = fu.fund_use_view(
                alliance,
                data.budget,
                data.projects,
                data.flows,
                data.topic_links,
                as_of=as_of,
                funds=funds,
                rules=RULES,
            )
            _same_view(loaders.fund_use_view_on(alliance, inputs, as_of, funds=funds, rules=RULES), per_stichtag)

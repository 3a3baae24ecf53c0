"""Fund-use queries on SQLite and PostgreSQL: every figure recomputed independently from the raw rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
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

"""Money is exact end to end: 1,000 entries of 0,10 € add up to exactly 100,00 € on every database."""

from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, insert, select
from sqlmodel import Session

from dashboard.data_access import queries
from dashboard.data_access.models import Alliance, FinancialEntry, Member, Project
from dashboard.data_access.money import cents_to_decimal, decimal_to_cents, sum_cents
from dashboard.data_access.scope import DEMO_SCOPE
from dashboard.domain.overview import overview_kpis
from dashboard.i18n import formats


def _alliance_with_project(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session, session.begin():
        alliance = Alliance(
            slug="cent-test",
            name="Cent-Test",
            short_name="Cent",
            land="Niedersachsen",
            programme="Test",
            period_start=date(2024, 1, 1),
            period_end=date(2024, 12, 31),
        )
        session.add(alliance)
        session.flush()
        member = Member(alliance_id=alliance.id, name="Träger", member_type="sonstige")
        session.add(member)
        session.flush()
        project = Project(alliance_id=alliance.id, title="P", lead_member_id=member.id, status="laufend", fund="esf")
        session.add(project)
        session.flush()
        assert alliance.id is not None and project.id is not None
        return alliance.id, project.id


def test_thousand_ten_cent_entries_sum_to_exactly_one_hundred_euro(migrated_engine: Engine) -> None:
    alliance_id, project_id = _alliance_with_project(migrated_engine)
    rows = [
        {
            "project_id": project_id,
            "entry_date": date(2024, 3, 1),
            "kind": "disbursement",
            "amount": Decimal("0.10"),
            "fund": "esf",
        }
        for _ in range(1000)
    ]
    with migrated_engine.begin() as connection:
        connection.execute(insert(FinancialEntry), rows)
        total = connection.execute(select(sum_cents(FinancialEntry.amount))).scalar_one()
    assert total == 10_000
    assert cents_to_decimal(total) == Decimal("100.00")

    flows = queries.financial_flows_by_day(migrated_engine, DEMO_SCOPE, alliance_id)
    kpis = overview_kpis(
        queries.budget_by_fund_year(migrated_engine, DEMO_SCOPE, alliance_id), flows, date(2024, 12, 31)
    )
    assert kpis.disbursed_cents == 10_000
    assert formats.money(kpis.disbursed_cents, "de", cents=True) == "100,00\xa0€"


def test_large_amounts_keep_their_cents(migrated_engine: Engine) -> None:
    _, project_id = _alliance_with_project(migrated_engine)
    amounts = [Decimal("999999999999.99"), Decimal("0.01"), Decimal("123456.78")]
    with migrated_engine.begin() as connection:
        connection.execute(
            insert(FinancialEntry),
            [
                {
                    "project_id": project_id,
                    "entry_date": date(2024, 5, 1),
                    "kind": "commitment",
                    "amount": a,
                    "fund": "esf",
                }
                for a in amounts
            ],
        )
        total = connection.execute(select(sum_cents(FinancialEntry.amount))).scalar_one()
    assert cents_to_decimal(total) == sum(amounts)


def test_cent_conversions_round_trip() -> None:
    assert decimal_to_cents(Decimal("1400000.00")) == 140_000_000
    assert cents_to_decimal(140_000_000) == Decimal("1400000.00")
    assert cents_to_decimal(None) == Decimal("0.00")

"""The scale generator writes exactly the specified rows, deterministically, once, and consistently."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import SQLModel

import dashboard.data_access.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from dashboard.data_access.db import make_engine
from seeds.scale import SMALL, seed_scale
from tests.conftest import new_database_url

SPEC_COUNTS = {
    "alliance": SMALL.alliances,
    "project": SMALL.projects,
    "financial_entry": SMALL.financial_entries,
    "observation": SMALL.observations,
    "region": SMALL.regions,
}


def fresh_sqlite(path: Path) -> Engine:
    engine = make_engine("sqlite:///" + str(path))
    SQLModel.metadata.create_all(engine)
    return engine


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in SQLModel.metadata.tables.items()
        }


def checksums(engine: Engine) -> dict[str, object]:
    """Exact fingerprints of the generated content (money as integer cents, never floats)."""
    queries = {
        "money_by_kind": "SELECT kind, COUNT(*), SUM(CAST(ROUND(amount * 100) AS INTEGER)) "
        "FROM financial_entry GROUP BY kind ORDER BY kind",
        "observations_by_indicator": "SELECT i.code, COUNT(*), SUM(o.value IS NULL) FROM observation o "
        "JOIN indicator i ON i.id = o.indicator_id GROUP BY i.code ORDER BY i.code",
        "projects": "SELECT title, status, start_date, end_date, CAST(ROUND(total_cost * 100) AS INTEGER), "
        "CAST(ROUND(approved_grant * 100) AS INTEGER), fund FROM project ORDER BY alliance_id, title",
        "budgets": "SELECT alliance_id, fund, year, CAST(ROUND(planned_amount * 100) AS INTEGER) "
        "FROM budget ORDER BY alliance_id, fund, year",
        "observation_values": "SELECT COUNT(DISTINCT region_ags), ROUND(SUM(value), 1), "
        "MIN(period_end), MAX(period_end) FROM observation",
    }
    with engine.connect() as connection:
        return {name: [tuple(row) for row in connection.execute(text(sql))] for name, sql in queries.items()}


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Engine, dict[str, int]]:
    engine = fresh_sqlite(tmp_path / "x.sqlite3")
    return engine, seed_scale(engine, SMALL)


def test_row_counts_equal_the_spec(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, written = seeded
    counts = table_counts(engine)
    for table, expected in SPEC_COUNTS.items():
        assert counts[table] == expected, table
        assert written[table] == expected, table
    assert {table: counts[table] for table in written} == written


def test_second_seed_writes_nothing(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    before = table_counts(engine)
    assert seed_scale(engine, SMALL) == {}
    assert table_counts(engine) == before


def test_same_spec_gives_the_same_rows(tmp_path: Path) -> None:
    first = fresh_sqlite(tmp_path / "a.sqlite3")
    second = fresh_sqlite(tmp_path / "b.sqlite3")
    seed_scale(first, SMALL)
    seed_scale(second, SMALL)
    assert checksums(first) == checksums(second)


def test_another_seed_gives_other_rows(tmp_path: Path) -> None:
    first = fresh_sqlite(tmp_path / "a.sqlite3")
    second = fresh_sqlite(tmp_path / "b.sqlite3")
    seed_scale(first, SMALL)
    seed_scale(second, replace(SMALL, seed=SMALL.seed + 1))
    assert checksums(first)["projects"] != checksums(second)["projects"]


def test_disbursements_never_exceed_the_approved_grant(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    with engine.connect() as connection:
        over = connection.execute(
            text(
                "SELECT p.id FROM project p JOIN financial_entry f ON f.project_id = p.id "
                "WHERE f.kind = 'disbursement' GROUP BY p.id, p.approved_grant "
                "HAVING SUM(CAST(ROUND(f.amount * 100) AS INTEGER)) "
                "> COALESCE(CAST(ROUND(p.approved_grant * 100) AS INTEGER), 0)"
            )
        ).all()
        disbursed = connection.execute(
            text("SELECT COUNT(*) FROM financial_entry WHERE kind = 'disbursement'")
        ).scalar_one()
    assert over == []
    assert disbursed > 0


def test_commitments_add_up_to_the_approved_grant(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT p.id, CAST(ROUND(p.approved_grant * 100) AS INTEGER), "
                "COALESCE(SUM(CAST(ROUND(f.amount * 100) AS INTEGER)), 0) "
                "FROM project p LEFT JOIN financial_entry f ON f.project_id = p.id AND f.kind = 'commitment' "
                "GROUP BY p.id, p.approved_grant"
            )
        ).all()
    for project_id, approved, committed in rows:
        assert committed == (approved or 0), project_id


def test_grants_are_ordered_and_only_approved_projects_have_one(
    seeded: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ = seeded
    with engine.connect() as connection:
        wrong = connection.execute(
            text(
                "SELECT id FROM project WHERE approved_grant > requested_grant "
                "OR requested_grant > total_cost OR end_date < start_date "
                "OR (approved_grant IS NOT NULL) <> (status IN "
                "('bewilligt', 'laufend', 'abgeschlossen', 'abgebrochen'))"
            )
        ).all()
    assert wrong == []


def test_members_belong_to_their_projects_alliance(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    with engine.connect() as connection:
        leads = connection.execute(
            text(
                "SELECT p.id FROM project p JOIN member m ON m.id = p.lead_member_id "
                "WHERE m.alliance_id <> p.alliance_id"
            )
        ).all()
        partners = connection.execute(
            text(
                "SELECT p.id FROM project_partner pp JOIN project p ON p.id = pp.project_id "
                "JOIN member m ON m.id = pp.member_id "
                "WHERE m.alliance_id <> p.alliance_id OR m.id = p.lead_member_id"
            )
        ).all()
        regions = connection.execute(
            text(
                "SELECT pr.project_id FROM project_region pr JOIN project p ON p.id = pr.project_id "
                "LEFT JOIN alliance_region ar ON ar.alliance_id = p.alliance_id "
                "AND ar.region_ags = pr.region_ags WHERE ar.region_ags IS NULL"
            )
        ).all()
    assert leads == []
    assert partners == []
    assert regions == []


def test_synthetic_kreise_cannot_collide_with_official_ags(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    with engine.connect() as connection:
        codes = connection.execute(text("SELECT ags FROM region")).scalars().all()
    assert all(len(code) == 5 and int(code[:2]) >= 17 for code in codes)


def test_uses_esf_indicators_when_present(tmp_path: Path) -> None:
    engine = fresh_sqlite(tmp_path / "x.sqlite3")
    with engine.begin() as connection:
        connection.execute(
            SQLModel.metadata.tables["indicator"].insert(),
            [
                {
                    "code": "EECO01",
                    "name": "Teilnehmende insgesamt",
                    "unit": "Personen",
                    "direction": "up",
                    "source": "",
                    "description": "",
                    "version": 1,
                    "created_at": datetime(2026, 1, 1, tzinfo=UTC),
                    "updated_at": datetime(2026, 1, 1, tzinfo=UTC),
                }
            ],
        )
    seed_scale(engine, SMALL)
    with engine.connect() as connection:
        codes = connection.execute(
            text(
                "SELECT DISTINCT i.code FROM observation o JOIN indicator i ON i.id = o.indicator_id "
                "WHERE o.project_id IS NOT NULL"
            )
        ).scalars()
        assert set(codes) == {"EECO01"}
    assert table_counts(engine)["observation"] == SMALL.observations


@pytest.fixture
def postgres_engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh temporary database on the test server (shared helper of tests/conftest.py), dropped afterwards."""
    for url in new_database_url("postgresql", tmp_path):
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.mark.postgres
def test_row_counts_equal_the_spec_on_postgres(postgres_engine: Engine) -> None:
    SQLModel.metadata.create_all(postgres_engine)
    written = seed_scale(postgres_engine, SMALL)
    counts = table_counts(postgres_engine)
    for table, expected in SPEC_COUNTS.items():
        assert counts[table] == expected, table
    assert {table: counts[table] for table in written} == written
    assert seed_scale(postgres_engine, SMALL) == {}

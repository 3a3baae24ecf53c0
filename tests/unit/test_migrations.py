"""Alembic: upgrade from empty and downgrade to base work on SQLite and PostgreSQL; models match migrations."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from dashboard.data_access import migrations

TABLES = {
    "alliance",
    "alliance_region",
    "assessment",
    "budget",
    "financial_entry",
    "indicator",
    "member",
    "observation",
    "project",
    "project_partner",
    "project_region",
    "project_topic",
    "region",
    "target",
    "topic",
}


def test_upgrade_downgrade_upgrade(empty_engine: Engine) -> None:
    migrations.upgrade(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) >= TABLES
    assert migrations.current_revision(empty_engine) == migrations.head_revision()

    migrations.downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    assert migrations.current_revision(empty_engine) is None

    migrations.upgrade(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) >= TABLES


def test_models_and_migrations_agree(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_every_editable_table_has_version_and_timestamps(migrated_engine: Engine) -> None:
    link_tables = {"alliance_region", "project_partner", "project_region", "project_topic"}
    inspector = inspect(migrated_engine)
    for table in TABLES - link_tables:
        columns = {c["name"]: c for c in inspector.get_columns(table)}
        for name in ("version", "created_at", "updated_at"):
            assert name in columns, f"{table}.{name}"
            assert columns[name]["nullable"] is False, f"{table}.{name} must be NOT NULL"


def test_sqlite_enforces_foreign_keys_and_uses_wal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from dashboard.data_access.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'fk.sqlite3'}")
    migrations.upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO alliance_region (alliance_id, region_ags) VALUES (999, '99999')"))
        raise AssertionError("a dangling foreign key was accepted")
    except IntegrityError:
        pass
    engine.dispose()


def test_every_vocabulary_code_passes_the_check_constraints(migrated_engine: Engine) -> None:
    """The CHECK constraints in the migration list the same codes as the enums (autogenerate cannot see them)."""
    from datetime import date
    from decimal import Decimal

    from sqlalchemy import insert

    from dashboard.data_access.models import Alliance, Budget, Member, Project
    from dashboard.data_access.vocabulary import Fund, MemberType, ProjectStatus

    with migrated_engine.begin() as connection:
        alliance_id = connection.execute(
            insert(Alliance).returning(Alliance.id),
            {
                "slug": "codes",
                "name": "Codes",
                "short_name": "C",
                "land": "X",
                "programme": "P",
                "period_start": date(2024, 1, 1),
                "period_end": date(2024, 12, 31),
                "description": "",
                "source": "",
                "is_example": True,
            },
        ).scalar_one()
        member_ids = [
            connection.execute(
                insert(Member).returning(Member.id),
                {"alliance_id": alliance_id, "name": f"M {code}", "member_type": code.value, "source": ""},
            ).scalar_one()
            for code in MemberType
        ]
        for i, status in enumerate(ProjectStatus):
            for fund in Fund:
                connection.execute(
                    insert(Project),
                    {
                        "alliance_id": alliance_id,
                        "title": f"{status}-{fund}-{i}",
                        "description": "",
                        "lead_member_id": member_ids[0],
                        "status": status.value,
                        "fund": fund.value,
                        "total_cost": Decimal("1.00"),
                        "source": "",
                        "is_example": True,
                    },
                )
        for fund in Fund:
            connection.execute(
                insert(Budget),
                {
                    "alliance_id": alliance_id,
                    "fund": fund.value,
                    "year": 2024,
                    "planned_amount": Decimal("1.00"),
                    "source": "",
                },
            )

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

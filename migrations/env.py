"""Alembic environment: migrates the database named by the COCKPIT_* settings (or a passed connection)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import dashboard.data_access.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from dashboard.config import load_settings
from dashboard.data_access.db import make_engine

target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    settings = load_settings()
    context.configure(
        url=settings.database_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        settings = load_settings()
        engine = make_engine(settings.database_url, settings.database_setting)
        with engine.connect() as own_connection:
            _run(own_connection)
        engine.dispose()
    else:
        _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    # Batch mode lets SQLite alter tables by copy-and-move; PostgreSQL ignores it.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

"""Shared fixtures: databases on SQLite and PostgreSQL (same tests, parametrised), migrated and seeded."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from dashboard.data_access import migrations
from dashboard.data_access.db import make_engine
from seeds.loader import seed_demo

POSTGRES_ADMIN_URL = os.environ.get("COCKPIT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _postgres_or_skip() -> Engine:
    """An AUTOCOMMIT engine on the admin database; skip without a server, but fail in CI."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {str(exc.orig).strip().splitlines()[0]}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must run the PostgreSQL tests)")
        pytest.skip(reason)
    return admin


def new_database_url(backend: str, directory: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'cockpit.sqlite3'}"
        return
    admin = _postgres_or_skip()
    name = f"cockpit_test_{uuid.uuid4().hex[:12]}"
    # DDL identifiers cannot be bound parameters; quote the generated name through the dialect.
    quoted = admin.dialect.identifier_preparer.quote(name)
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE " + quoted))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS " + quoted + " WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a new, empty database on each backend."""
    yield from new_database_url(request.param, tmp_path)


@pytest.fixture
def empty_engine(empty_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_url)
    yield engine
    engine.dispose()


@pytest.fixture
def migrated_engine(empty_engine: Engine) -> Engine:
    migrations.upgrade(empty_engine)
    return empty_engine


@pytest.fixture(scope="session", params=BACKENDS)
def seeded_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database with the demo alliances, shared read-only by the tests of a session."""
    for url in new_database_url(request.param, tmp_path_factory.mktemp(request.param)):
        engine = make_engine(url)
        migrations.upgrade(engine)
        seed_demo(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def seeded_engine(seeded_url: str) -> Iterator[Engine]:
    engine = make_engine(seeded_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def seeded_source(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, seeded database that writing tests copy (it is never written itself; its engine is disposed,
    so a SQLite file copy holds everything)."""
    for url in new_database_url(request.param, tmp_path_factory.mktemp(f"source-{request.param}")):
        engine = make_engine(url)
        migrations.upgrade(engine)
        seed_demo(engine)
        engine.dispose()
        yield url


def seeded_copy(source_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A test's own copy of ``seeded_source``: a file copy on SQLite, a template copy on PostgreSQL."""
    source = make_url(source_url)
    if source.get_backend_name() == "sqlite":
        target = tmp_path / "copy.sqlite3"
        shutil.copyfile(str(source.database), target)
        copy = make_engine(f"sqlite:///{target}")
        yield copy
        copy.dispose()
        return
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    quote = admin.dialect.identifier_preparer.quote
    name = f"cockpit_copy_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE " + quote(name) + " TEMPLATE " + quote(str(source.database))))
    copy = make_engine(source.set(database=name).render_as_string(hide_password=False))
    try:
        yield copy
    finally:
        copy.dispose()
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS " + quote(name) + " WITH (FORCE)"))
        admin.dispose()

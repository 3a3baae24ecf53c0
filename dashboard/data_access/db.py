"""Engine creation for SQLite (embedded default) and PostgreSQL, with checks that fail in one clear line."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from dashboard.config import ConfigError, Settings


def normalise_url(url: str) -> str:
    """Map the common spellings of a PostgreSQL URL onto the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_file(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)


def _check_sqlite_path(path: Path, setting: str) -> None:
    directory = path.parent if str(path.parent) else Path()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            setting,
            f"Verzeichnis {directory} für die SQLite-Datenbank kann nicht angelegt werden ({exc.strerror})",
        ) from None
    target = path if path.exists() else directory
    if not os.access(target, os.W_OK):
        raise ConfigError(setting, f"SQLite-Datenbankpfad {path} ist nicht beschreibbar")


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, setting: str = "COCKPIT_DATABASE_URL") -> Engine:
    """An engine for the URL; a wrong URL or unusable SQLite path raises ConfigError naming the setting.

    ``hide_parameters``: an error message (a logged traceback, a CLI error line) shows the SQL with placeholders,
    never the bound values, which include password hashes and personal data.
    """
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            setting, "keine gültige Datenbank-URL (erwartet sqlite:///PFAD oder postgresql://…)"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(url)
        if path is not None:
            _check_sqlite_path(path, setting)
        engine = create_engine(url, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        try:
            return create_engine(
                url, hide_parameters=True, pool_pre_ping=True, pool_size=5, connect_args={"connect_timeout": 5}
            )
        except ModuleNotFoundError as exc:
            raise ConfigError(
                setting, f"Datenbanktreiber {exc.name!r} fehlt; verwenden Sie postgresql:// (psycopg 3)"
            ) from None
    raise ConfigError(
        setting,
        f"nicht unterstützte Datenbank {parsed.get_backend_name()!r}; erlaubt sind sqlite und postgresql",
    )


def check_connection(engine: Engine, setting: str) -> None:
    """Connect once; an unreachable server or unreadable file becomes one ConfigError line."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "Verbindung fehlgeschlagen"
        target = engine.url.render_as_string(hide_password=True)
        raise ConfigError(setting, f"Datenbank {target} nicht erreichbar: {reason}") from None


def has_schema(engine: Engine) -> bool:
    """Whether migrations have created the tables (the app shows what to do if not)."""
    return inspect(engine).has_table("alliance")


@lru_cache(maxsize=4)
def engine_for(settings: Settings) -> Engine:
    """One checked engine per settings object (process-wide; the Streamlit app wraps it in cache_resource)."""
    engine = make_engine(settings.database_url, settings.database_setting)
    check_connection(engine, settings.database_setting)
    return engine

"""The large benchmark instance on SQLite and PostgreSQL: built once by ``seeds/scale.py``, reused while it is current.

A stamp per database (JSON, next to the SQLite file under ``data/bench/``) records the migration head, the
``ScaleSpec`` and a hash of the generator's source; the instance is rebuilt from scratch only when it is missing or
any of these changed. Usage on its own: ``python bench/instance.py [--db sqlite] [--db postgresql]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from dataclasses import asdict
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from dashboard.data_access import migrations
from dashboard.data_access.db import make_engine
from dashboard.data_access.models import Alliance, FinancialEntry, Observation, Project

ROOT = Path(__file__).resolve().parents[1]

BENCH_DIR = ROOT / "data" / "bench"
SQLITE_FILE = BENCH_DIR / "large.sqlite3"
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
POSTGRES_DATABASE = "cockpit_bench_large"
URLS = {
    "sqlite": f"sqlite:///{SQLITE_FILE}",
    "postgresql": f"{POSTGRES_SERVER}/{POSTGRES_DATABASE}",
}
# Planner settings of the benchmark database, as the README recommends for production: the data of a Cockpit fits
# in RAM (or sits on SSD), where PostgreSQL's default random_page_cost = 4 makes it scan 500,000 financial entries
# instead of reading one alliance's 15,000 by index (fund use: 300 ms instead of 90 ms).
POSTGRES_SETTINGS = {"random_page_cost": "1.1"}
COUNTED = {"alliances": Alliance, "projects": Project, "financial_entries": FinancialEntry, "observations": Observation}


def wanted_stamp() -> dict[str, object]:
    """What the instance must have been built from: migration head, scale spec, generator source."""
    from seeds.scale import LARGE

    generator = (ROOT / "seeds" / "scale.py").read_bytes()
    return {
        "migration_head": migrations.head_revision(),
        "spec": asdict(LARGE),
        "generator_sha256": hashlib.sha256(generator).hexdigest(),
    }


def stamp_file(db: str) -> Path:
    return BENCH_DIR / f"large.{db}.stamp.json"


def _stamp(db: str) -> object:
    try:
        return json.loads(stamp_file(db).read_text())
    except (OSError, ValueError):
        return None


def _postgres_exists() -> bool:
    admin = create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": POSTGRES_DATABASE}
            ).first()
        return found is not None
    finally:
        admin.dispose()


def _postgres_recreate() -> None:
    admin = create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            # The name is a module constant, not user input: identifiers cannot be bound parameters.
            connection.execute(text(f'DROP DATABASE IF EXISTS "{POSTGRES_DATABASE}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{POSTGRES_DATABASE}"'))
    finally:
        admin.dispose()


def present(db: str) -> bool:
    """Whether the database exists and was built from what ``wanted_stamp`` says."""
    if _stamp(db) != wanted_stamp():
        return False
    return SQLITE_FILE.exists() if db == "sqlite" else _postgres_exists()


def build(db: str) -> None:
    """Drop and rebuild the instance on ``db``: migrate to head, then ``seed_scale(LARGE)``."""
    from seeds.scale import LARGE, seed_scale

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    stamp_file(db).unlink(missing_ok=True)
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
    else:
        _postgres_recreate()
    engine = make_engine(URLS[db])
    started = time.perf_counter()
    try:
        migrations.upgrade(engine)

        def progress(label: str, done: int, total: int) -> None:
            print(f"  [{db}] {label}: {done:>9} / {total}", flush=True)

        seed_scale(engine, LARGE, progress)
        with engine.begin() as connection:  # fresh planner statistics, as a long-running instance would have
            connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    stamp_file(db).write_text(json.dumps(wanted_stamp(), indent=2, sort_keys=True))
    print(f"[{db}] large instance built in {time.perf_counter() - started:.0f} s", flush=True)


def ensure(db: str) -> str:
    """The URL of the large instance on ``db``, built first when missing or outdated."""
    if not present(db):
        print(f"[{db}] building the large instance (takes minutes) …", flush=True)
        build(db)
    if db == "postgresql":
        _postgres_settings()
    return URLS[db]


def _postgres_settings() -> None:
    """Apply POSTGRES_SETTINGS to the database (new connections pick them up)."""
    admin = create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for name, value in POSTGRES_SETTINGS.items():
                # Names and values are module constants: identifiers and SET values cannot be bound parameters.
                connection.execute(text(f'ALTER DATABASE "{POSTGRES_DATABASE}" SET {name} = {value}'))
    finally:
        admin.dispose()


def settings(engine: Engine) -> str:
    """The server version and the planner/memory settings in force on ``engine`` (for the report header)."""
    names = ("server_version", "shared_buffers", "work_mem", "effective_cache_size", *POSTGRES_SETTINGS)
    with engine.connect() as connection:
        shown = {name: connection.execute(text(f"SHOW {name}")).scalar_one() for name in names}
    return ", ".join(f"{name} {value}" for name, value in shown.items())


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: int(connection.execute(select(func.count()).select_from(model)).scalar_one())
            for name, model in COUNTED.items()
        }


def describe(db: str) -> str:
    url = make_url(URLS[db])
    return str(SQLITE_FILE.relative_to(ROOT)) if db == "sqlite" else f"{url.host}:{url.port}/{url.database}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", action="append", choices=sorted(URLS), help="database (repeatable; default both)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild even when the stamp holds")
    args = parser.parse_args()
    for db in args.db or sorted(URLS):
        if args.rebuild:
            build(db)
        else:
            ensure(db)
        print(f"[{db}] {describe(db)}: {row_counts(make_engine(URLS[db]))}")


if __name__ == "__main__":
    main()

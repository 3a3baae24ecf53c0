"""Online backup and restore of the SQLite database with SQLite's backup API; PostgreSQL is pointed to pg_dump.

The backup reads one consistent snapshot while the app keeps running: the source connection opens a read
transaction first, so every step of the backup copies pages of the same snapshot (WAL mode lets writers go on
meanwhile) instead of restarting whenever someone writes. The copy is written next to the target under a
temporary name, checked (``PRAGMA quick_check``) and renamed into place, so a failed backup leaves no half file.

A restore copies a checked backup into the configured database with the same API: the target is replaced in
one write transaction, so connections the app holds open see either the old or the restored database.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from dashboard.config import Settings
from dashboard.data_access.db import normalise_url
from dashboard.data_access.migrations import MIGRATIONS_DIR

# Pages copied per step: 1024 pages of 4 KiB = 4 MiB, a progress line every few milliseconds of work.
STEP_PAGES = 1024
SQLITE_HEADER = b"SQLite format 3\x00"
GERMANY = ZoneInfo("Europe/Berlin")

Progress = Callable[[int, int], None]  # (pages copied, pages in total)
Database = Engine | Settings | str


class BackupError(Exception):
    """A backup or restore that cannot (or must not) run; the German message says why and what to do.

    ``exit_code`` 2: refused (wrong input, would overwrite); 1: failed while running (disk full, I/O error).
    """

    def __init__(self, message: str, *, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class CopyResult:
    """What a backup or restore copied: the file written, pages and bytes, the schema revision it carries."""

    path: Path
    pages: int
    size_bytes: int
    revision: str
    seconds: float


def _url(database: Database) -> URL:
    if isinstance(database, Engine):
        return database.url
    raw = database.database_url if isinstance(database, Settings) else database
    try:
        return make_url(normalise_url(raw))
    except ArgumentError:
        raise BackupError("keine gültige Datenbank-URL (erwartet sqlite:///PFAD oder postgresql://…)") from None


def postgres_instructions(database: Database, *, restoring: bool = False) -> str:
    """How to back up or restore a PostgreSQL database with pg_dump / pg_restore, with this URL's parts (the
    password is never shown: pg_dump asks for it, or reads PGPASSWORD or ~/.pgpass)."""
    url = _url(database)
    connection = []
    if url.host:
        connection += ["--host", url.host]
    if url.port:
        connection += ["--port", str(url.port)]
    if url.username:
        connection += ["--username", url.username]
    name = url.database or "cockpit"
    dump = f"cockpit-{datetime.now(GERMANY).date().isoformat()}.dump"
    dump_command = shlex.join(["pg_dump", "--format=custom", "--file", dump, *connection, name])
    restore_command = shlex.join(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", *connection, "--dbname", name, dump]
    )
    # Built afresh rather than with URL.set(): the password must not reach the message in any form.
    plain_url = URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port, database=url.database
    ).render_as_string(hide_password=False)
    head = (
        "Wiederherstellen einer PostgreSQL-Datenbank übernimmt pg_restore, nicht `cockpit restore`"
        if restoring
        else "Eine PostgreSQL-Datenbank sichert pg_dump, nicht `cockpit backup`"
    )
    return (
        f"{head} (konsistente Sicherung im laufenden Betrieb):\n"
        f"  sichern:         {dump_command}\n"
        f"  wiederherstellen (überschreibt die Datenbank {name}): {restore_command}\n"
        f"  oder mit der URL ohne Treiberangabe: pg_dump --format=custom --file {dump} {shlex.quote(plain_url)}\n"
        "Das Passwort fragen beide ab (oder PGPASSWORD / ~/.pgpass). Danach zeigt `cockpit db current` den Stand."
    )


def sqlite_file(database: Database, *, restoring: bool = False) -> Path:
    """The SQLite file behind the database setting; PostgreSQL gets the pg_dump/pg_restore instructions."""
    url = _url(database)
    backend = url.get_backend_name()
    if backend == "postgresql":
        raise BackupError(postgres_instructions(url.render_as_string(hide_password=False), restoring=restoring))
    if backend != "sqlite":
        raise BackupError(f"nicht unterstützte Datenbank {backend!r}; Sicherung gibt es für SQLite und PostgreSQL")
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("eine SQLite-Datenbank im Arbeitsspeicher lässt sich nicht sichern – Datei-URL angeben")
    return Path(url.database)


def known_revisions() -> set[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A plain sqlite3 connection in autocommit mode (we open transactions explicitly), waiting up to 30 s."""
    if read_only:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30, isolation_level=None)
    return sqlite3.connect(path, timeout=30, isolation_level=None)


def _revision(connection: sqlite3.Connection) -> str | None:
    has_table = connection.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    if not has_table:
        return None
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def _size(connection: sqlite3.Connection) -> tuple[int, int]:
    """(pages, bytes) of the database, WAL content included (the file alone may not have it yet)."""
    pages = int(connection.execute("PRAGMA page_count").fetchone()[0])
    return pages, pages * int(connection.execute("PRAGMA page_size").fetchone()[0])


def _check(connection: sqlite3.Connection, path: Path) -> None:
    problems = [str(row[0]) for row in connection.execute("PRAGMA quick_check").fetchall()]
    if problems != ["ok"]:
        raise BackupError(f"{path} ist beschädigt (PRAGMA quick_check: {'; '.join(problems[:3])})")


def _step_reporter(progress: Progress | None) -> Callable[[int, int, int], None] | None:
    if progress is None:
        return None

    def report(_status: int, remaining: int, total: int) -> None:
        progress(total - remaining, total)

    return report


@contextmanager
def _temporary_next_to(out: Path) -> Iterator[Path]:
    """A new empty file in ``out``'s directory (owner-only: backups hold password hashes), removed on failure."""
    try:
        handle, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    except OSError as exc:
        raise BackupError(f"{out} kann nicht geschrieben werden ({exc.strerror})") from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def backup(
    database: Database,
    out: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    step_pages: int = STEP_PAGES,
) -> CopyResult:
    """Copy the running SQLite database into ``out`` as one consistent snapshot; ``force`` replaces an existing
    file. Raises BackupError with the pg_dump commands for PostgreSQL."""
    source_path = sqlite_file(database)
    out = Path(out)
    if not source_path.is_file():
        raise BackupError(f"Datenbank {source_path} existiert nicht – nichts zu sichern")
    if not out.parent.is_dir():
        raise BackupError(f"Verzeichnis {out.parent} existiert nicht")
    if out.exists() and out.resolve() == source_path.resolve():
        raise BackupError(f"{out} ist die Datenbank selbst – eine andere Zieldatei angeben")
    if out.exists() and not force:
        raise BackupError(f"{out} existiert bereits – --force überschreibt die Datei")
    started = time.perf_counter()
    with _temporary_next_to(out) as temporary:
        try:
            with closing(_connect(source_path)) as source, closing(_connect(temporary)) as copy:
                # The read transaction pins one snapshot for all steps (see the module docstring).
                source.execute("BEGIN")
                revision = _revision(source)
                if revision is None:
                    raise BackupError(f"{source_path} hat kein Schema des Cockpits (zuerst `cockpit db upgrade`)")
                source.backup(copy, pages=step_pages, progress=_step_reporter(progress))
                source.execute("ROLLBACK")
                # A self-contained single file, whatever journal mode the live database uses.
                copy.execute("PRAGMA journal_mode=DELETE")
                _check(copy, out)
                pages, size = _size(copy)
        except sqlite3.Error as exc:
            raise BackupError(f"Sicherung nach {out} fehlgeschlagen: {exc}", exit_code=1) from None
        os.replace(temporary, out)
    return CopyResult(path=out, pages=pages, size_bytes=size, revision=revision, seconds=time.perf_counter() - started)


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_rows(path: Path) -> dict[str, int]:
    """Rows per table that has any (Alembic's bookkeeping left out): what a restore would overwrite."""
    if not path.is_file() or path.stat().st_size == 0:
        return {}
    try:
        with closing(_connect(path)) as connection:
            return _non_empty_tables(connection)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} kann nicht gelesen werden ({exc}) – nichts geändert") from None


def _non_empty_tables(connection: sqlite3.Connection) -> dict[str, int]:
    names = [
        str(row[0])
        for row in connection.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name <> 'alembic_version' ORDER BY name"
        )
    ]
    # Table names come from the database's own catalogue and are quoted as identifiers.
    counted = {name: connection.execute(f"SELECT count(*) FROM {_quoted(name)}").fetchone() for name in names}  # noqa: S608
    return {name: int(row[0]) for name, row in counted.items() if row[0]}


def _checked_source(src: Path, known: set[str]) -> str:
    """The schema revision of a backup file, after checking that it is one of ours and intact."""
    if not src.is_file():
        raise BackupError(f"Sicherungsdatei {src} existiert nicht")
    with src.open("rb") as stream:
        header = stream.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise BackupError(f"{src} ist keine SQLite-Datenbank – erwartet wird eine Datei von `cockpit backup`")
    try:
        with closing(_connect(src, read_only=True)) as connection:
            _check(connection, src)
            revision = _revision(connection)
    except sqlite3.Error as exc:
        raise BackupError(f"{src} kann nicht gelesen werden: {exc}") from None
    if revision is None:
        raise BackupError(
            f"{src} ist keine Sicherung des Fachkräfte-Cockpits (Tabelle alembic_version fehlt oder ist leer)"
        )
    if revision not in known:
        raise BackupError(
            f"{src} hat den Schemastand {revision!r}, den diese Programmversion nicht kennt "
            f"(bekannt: {', '.join(sorted(known))}) – mit der Version wiederherstellen, die sie geschrieben hat"
        )
    return revision


def restore(
    src: Path,
    database: Database,
    *,
    force: bool = False,
    progress: Progress | None = None,
    step_pages: int = STEP_PAGES,
) -> CopyResult:
    """Replace the configured SQLite database by the backup ``src``.

    Refuses a file that is not a backup of ours and, unless ``force``, a target that holds data; then checks that
    the restored database carries the backup's schema revision. PostgreSQL gets the pg_restore commands.
    """
    src = Path(src)
    target = sqlite_file(database, restoring=True)
    if target.exists() and src.exists() and target.resolve() == src.resolve():
        raise BackupError(f"{src} ist die Datenbank selbst – eine Sicherungsdatei angeben")
    revision = _checked_source(src, known_revisions())
    existing = table_rows(target)
    if existing and not force:
        rows = sum(existing.values())
        raise BackupError(
            f"Die Datenbank {target} enthält bereits Daten ({len(existing)} Tabellen, {_number(rows)} Zeilen) – "
            f"nichts geändert; --force überschreibt alle Daten in {target}"
        )
    if not target.parent.is_dir():
        raise BackupError(f"Verzeichnis {target.parent} existiert nicht")
    started = time.perf_counter()
    try:
        with closing(_connect(src, read_only=True)) as source, closing(_connect(target)) as destination:
            source.backup(destination, pages=step_pages, progress=_step_reporter(progress))
            restored = _revision(destination)
            pages, size = _size(destination)
    except sqlite3.Error as exc:
        raise BackupError(f"Wiederherstellen in {target} fehlgeschlagen: {exc}", exit_code=1) from None
    if restored != revision:
        raise BackupError(
            f"nach dem Wiederherstellen hat {target} den Schemastand {restored!r} statt {revision!r}", exit_code=1
        )
    return CopyResult(
        path=target,
        pages=pages,
        size_bytes=size,
        revision=revision,
        seconds=time.perf_counter() - started,
    )

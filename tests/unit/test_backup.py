"""Backup and restore of the SQLite database: consistent while the app reads and writes, exact, and careful."""

from __future__ import annotations

import re
import sqlite3
import threading
import zipfile
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, func, inspect, select, text, update
from sqlmodel import col

from dashboard import cli
from dashboard.data_access import migrations
from dashboard.data_access.audit import entry, record, record_many
from dashboard.data_access.backup import BackupError, backup, postgres_instructions, restore, table_rows
from dashboard.data_access.db import make_engine
from dashboard.data_access.models import AuditEntry, Project
from dashboard.data_access.scope import SYSTEM_SCOPE, Role, Scope
from dashboard.data_access.vocabulary import AuditAction
from seeds.loader import seed_demo

SPEAKER = Scope.for_alliances("sprecherin", Role.SPEAKER, [1])
PG_URL = "postgresql+psycopg://cockpit:geheim@db.example.org:5433/cockpit_prod"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def seeded(path: Path) -> Engine:
    """A migrated database with the demo alliances, an edited project and a few audit entries."""
    engine = make_engine(sqlite_url(path))
    migrations.upgrade(engine)
    seed_demo(engine)
    with engine.begin() as connection:
        project_id, title = connection.execute(select(col(Project.id), col(Project.title)).limit(1)).one()
        connection.execute(update(Project).where(col(Project.id) == project_id).values(title="Neuer Titel", version=2))
        record(
            connection,
            SPEAKER,
            action=AuditAction.UPDATE,
            table="project",
            record_id=project_id,
            alliance_id=1,
            old={"title": title},
            new={"title": "Neuer Titel"},
        )
    return engine


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Engine]:
    engine = seeded(tmp_path / "live.sqlite3")
    yield engine
    engine.dispose()


def all_tables(url: str) -> dict[str, pl.DataFrame]:
    """Every table (from the database's own catalogue) as a frame, rows ordered by primary key."""
    engine = make_engine(url)
    inspector = inspect(engine)
    frames = {}
    with engine.connect() as connection:
        for name in inspector.get_table_names():
            key = inspector.get_pk_constraint(name)["constrained_columns"]
            order = key or [column["name"] for column in inspector.get_columns(name)]
            query = f'SELECT * FROM "{name}" ORDER BY ' + ", ".join(f'"{column}"' for column in order)
            frames[name] = pl.read_database(text(query), connection, infer_schema_length=None)
    engine.dispose()
    return frames


def assert_same_tables(expected: dict[str, pl.DataFrame], actual: dict[str, pl.DataFrame]) -> None:
    assert sorted(actual) == sorted(expected)
    for name, frame in expected.items():
        assert actual[name].height == frame.height, name
        assert_frame_equal(actual[name], frame, check_dtypes=False)


def audit_rows(url: str) -> int:
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection:
        return int(connection.execute("SELECT count(*) FROM audit_entry").fetchone()[0])


def test_backup_while_the_app_reads_and_writes_is_one_consistent_snapshot(live: Engine, tmp_path: Path) -> None:
    url = live.url.render_as_string()
    out = tmp_path / "sicherung.sqlite3"
    before = audit_rows(url)
    # A reader holds an open read transaction the whole time, as a long page render would.
    reader = sqlite3.connect(tmp_path / "live.sqlite3", isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM project").fetchone()

    committed = threading.Condition()
    commits = [0]
    stop = threading.Event()
    failures: list[BaseException] = []

    def write_pairs() -> None:
        """Write audit entries two per transaction, so any consistent copy holds an even number of new ones."""
        writer = make_engine(url)
        try:
            while not stop.is_set():
                rows = [
                    entry(SYSTEM_SCOPE, action=AuditAction.UPDATE, table="project", record_id=n, alliance_id=1)
                    for n in (1, 2)
                ]
                with writer.begin() as connection:
                    record_many(connection, rows)
                with committed:
                    commits[0] += 1
                    committed.notify_all()
                stop.wait(0.001)  # a breather, not a timing assumption
        except BaseException as exc:  # reported by the test below
            failures.append(exc)
        finally:
            writer.dispose()
            with committed:
                committed.notify_all()

    def wait_for_commits(count: int) -> None:
        with committed:
            assert committed.wait_for(lambda: commits[0] >= count or bool(failures), timeout=30), "writer stalled"

    steps: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        steps.append((done, total))
        if len(steps) in (1, 3):
            # The writer commits while the backup is half-way: the copy must neither see it nor restart.
            wait_for_commits(commits[0] + 2)

    thread = threading.Thread(target=write_pairs)
    thread.start()
    try:
        wait_for_commits(1)
        result = backup(url, out, progress=progress, step_pages=16)
    finally:
        stop.set()
        thread.join()
        reader.close()
    assert not failures, failures
    assert len(steps) > 3 and steps[-1][0] == steps[-1][1] == result.pages
    with closing(sqlite3.connect(out)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        copied = int(copy.execute("SELECT count(*) FROM audit_entry").fetchone()[0])
    after = audit_rows(url)
    assert (copied - before) % 2 == 0, "the backup holds half a transaction"
    assert before < copied < after, (before, copied, after)
    assert result.revision == migrations.head_revision()
    assert out.stat().st_mode & 0o077 == 0  # backups hold password hashes: owner only
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_restored_backup_equals_the_original_in_every_table(live: Engine, tmp_path: Path) -> None:
    url = live.url.render_as_string()
    out = tmp_path / "sicherung.sqlite3"
    backup(url, out)
    fresh = tmp_path / "neu" / "cockpit.sqlite3"
    fresh.parent.mkdir()
    steps: list[int] = []
    result = restore(out, sqlite_url(fresh), progress=lambda done, total: steps.append(done), step_pages=32)
    assert steps[-1] == result.pages
    original, restored = all_tables(url), all_tables(sqlite_url(fresh))
    assert {"alembic_version", "audit_entry", "project", "user_account"} <= set(original)
    assert original["project"].height > 0 and original["audit_entry"].height == 1
    assert_same_tables(original, restored)
    assert restored["alembic_version"]["version_num"].to_list() == [migrations.head_revision()]


def test_restore_refuses_a_database_with_data_and_leaves_it_untouched(live: Engine, tmp_path: Path) -> None:
    other_path = tmp_path / "andere.sqlite3"
    other = seeded(other_path)
    with other.begin() as connection:
        connection.execute(update(Project).values(title=Project.title + " (andere Datenbank)"))
    other.dispose()
    out = tmp_path / "sicherung.sqlite3"
    backup(sqlite_url(other_path), out)
    url = live.url.render_as_string()
    before = all_tables(url)
    with pytest.raises(BackupError) as refused:
        restore(out, url)
    assert refused.value.exit_code == 2
    assert f"--force überschreibt alle Daten in {tmp_path / 'live.sqlite3'}" in str(refused.value)
    assert "nichts geändert" in str(refused.value)
    assert_same_tables(before, all_tables(url))

    # With --force the running app's pooled connections see the restored data at once.
    with live.connect() as connection:
        assert connection.execute(select(func.count()).where(col(Project.title) == "Neuer Titel")).scalar_one() == 1
    restore(out, url, force=True)
    with live.connect() as connection:
        titles = set(connection.execute(select(col(Project.title))).scalars())
    assert titles and all(title.endswith(" (andere Datenbank)") for title in titles)
    assert_same_tables(all_tables(sqlite_url(other_path)), all_tables(url))


def test_restore_into_a_migrated_but_empty_database_needs_no_force(live: Engine, tmp_path: Path) -> None:
    out = tmp_path / "sicherung.sqlite3"
    backup(live, out)
    empty = make_engine(sqlite_url(tmp_path / "leer.sqlite3"))
    migrations.upgrade(empty)
    empty.dispose()
    assert table_rows(tmp_path / "leer.sqlite3") == {}
    restore(out, sqlite_url(tmp_path / "leer.sqlite3"))
    assert table_rows(tmp_path / "leer.sqlite3") == table_rows(tmp_path / "live.sqlite3")


def foreign_sqlite(path: Path, statements: list[str]) -> Path:
    with closing(sqlite3.connect(path)) as connection:
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    return path


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("leer.sqlite3", lambda p: p.write_bytes(b""), "ist keine SQLite-Datenbank"),
        ("text.sqlite3", lambda p: p.write_text("hallo;welt\n", encoding="utf-8"), "ist keine SQLite-Datenbank"),
        (
            "archiv.zip",
            lambda p: zipfile.ZipFile(p, "w").writestr("cockpit.sqlite3", "x"),
            "ist keine SQLite-Datenbank",
        ),
        (
            "fremd.sqlite3",
            lambda p: foreign_sqlite(p, ["CREATE TABLE kunden (id INTEGER PRIMARY KEY)"]),
            "keine Sicherung des Fachkräfte-Cockpits",
        ),
        (
            "zukunft.sqlite3",
            lambda p: foreign_sqlite(
                p,
                [
                    "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)",
                    "INSERT INTO alembic_version VALUES ('9999')",
                ],
            ),
            "den Schemastand '9999', den diese Programmversion nicht kennt",
        ),
        ("fehlt.sqlite3", lambda p: None, "existiert nicht"),
    ],
)
def test_restore_refuses_files_that_are_not_our_backups(
    live: Engine, tmp_path: Path, name: str, make: object, message: str
) -> None:
    source = tmp_path / name
    make(source)  # type: ignore[operator]
    url = live.url.render_as_string()
    before = all_tables(url)
    for force in (False, True):
        with pytest.raises(BackupError, match=message):
            restore(source, url, force=force)
    assert_same_tables(before, all_tables(url))


def test_backup_refuses_to_overwrite_unless_forced(live: Engine, tmp_path: Path) -> None:
    out = tmp_path / "sicherung.sqlite3"
    out.write_text("alt", encoding="utf-8")
    with pytest.raises(BackupError, match="existiert bereits – --force überschreibt die Datei"):
        backup(live, out)
    assert out.read_text(encoding="utf-8") == "alt"
    backup(live, out, force=True)
    assert out.read_bytes().startswith(b"SQLite format 3\x00")
    with pytest.raises(BackupError, match="die Datenbank selbst"):
        backup(live, tmp_path / "live.sqlite3", force=True)
    with pytest.raises(BackupError, match="existiert nicht"):
        backup(live, tmp_path / "gibt-es-nicht" / "x.sqlite3")
    with pytest.raises(BackupError, match="existiert nicht – nichts zu sichern"):
        backup(sqlite_url(tmp_path / "fehlt.sqlite3"), tmp_path / "x.sqlite3")
    with pytest.raises(BackupError, match="Arbeitsspeicher"):
        backup("sqlite://", tmp_path / "x.sqlite3")


def test_postgresql_gets_the_pg_dump_and_pg_restore_commands(tmp_path: Path) -> None:
    with pytest.raises(BackupError) as refused:
        backup(PG_URL, tmp_path / "x.dump")
    message = str(refused.value)
    connection = "--host db.example.org --port 5433 --username cockpit"
    assert "pg_dump --format=custom --file cockpit-" in message
    assert f"{connection} cockpit_prod" in message
    assert f"pg_restore --clean --if-exists --no-owner {connection} --dbname cockpit_prod cockpit-" in message
    assert "postgresql://cockpit@db.example.org:5433/cockpit_prod" in message
    assert "geheim" not in message
    assert not (tmp_path / "x.dump").exists()
    with pytest.raises(BackupError, match="pg_restore"):
        restore(tmp_path / "x.dump", PG_URL)
    assert postgres_instructions("postgres://localhost/cockpit").count("--host localhost") == 2


def test_an_older_schema_revision_is_restored_and_named(tmp_path: Path) -> None:
    old = make_engine(sqlite_url(tmp_path / "alt.sqlite3"))
    migrations.upgrade(old, "0001")
    old.dispose()
    backup(sqlite_url(tmp_path / "alt.sqlite3"), tmp_path / "alt-sicherung.sqlite3")
    result = restore(tmp_path / "alt-sicherung.sqlite3", sqlite_url(tmp_path / "ziel.sqlite3"))
    assert result.revision == "0001"


def test_cli_restore_of_an_older_schema_says_how_to_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old = make_engine(sqlite_url(tmp_path / "alt.sqlite3"))
    migrations.upgrade(old, "0001")
    old.dispose()
    monkeypatch.setenv("COCKPIT_DATABASE_URL", sqlite_url(tmp_path / "alt.sqlite3"))
    assert cli.main(["backup", "--out", str(tmp_path / "alt-sicherung.sqlite3")]) == 0
    monkeypatch.setenv("COCKPIT_DATABASE_URL", sqlite_url(tmp_path / "ziel.sqlite3"))
    assert cli.main(["restore", str(tmp_path / "alt-sicherung.sqlite3")]) == 0
    assert f"`cockpit db upgrade` bringt sie auf Stand {migrations.head_revision()}" in capsys.readouterr().out


def test_cli_backup_and_restore_end_to_end(
    live: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = live.url.render_as_string()
    monkeypatch.setenv("COCKPIT_DATABASE_URL", url)
    out = tmp_path / "cockpit-sicherung.sqlite3"
    assert cli.main(["backup", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"Sicherung {out} geschrieben:" in captured.out
    assert re.search(r"Sicherung: +100\xa0% \(([\d.]+) / \1 Seiten\)", captured.err), captured.err  # progress
    assert cli.main(["backup", "--out", str(out)]) == 2
    assert "Sicherung abgelehnt – " in capsys.readouterr().err
    assert cli.main(["backup", "--out", str(out), "--force"]) == 0
    capsys.readouterr()

    original = all_tables(url)
    with live.begin() as connection:
        connection.execute(update(Project).values(title=Project.title + " (nach der Sicherung)"))
    assert cli.main(["restore", str(out)]) == 2
    refused = capsys.readouterr().err
    assert refused.startswith("Wiederherstellen abgelehnt – Die Datenbank")
    assert "--force überschreibt alle Daten in" in refused
    assert cli.main(["restore", str(out), "--force"]) == 0
    done = capsys.readouterr().out
    assert f"aus {out} wiederhergestellt" in done and "db upgrade" not in done
    assert_same_tables(original, all_tables(url))

    assert cli.main(["restore", str(tmp_path / "fehlt.sqlite3")]) == 2
    assert "Sicherungsdatei" in capsys.readouterr().err


def test_cli_on_postgresql_explains_pg_dump(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COCKPIT_DATABASE_URL", PG_URL)
    assert cli.main(["backup", "--out", "x.dump"]) == 2
    err = capsys.readouterr().err
    assert "pg_dump --format=custom" in err and "geheim" not in err
    assert cli.main(["restore", "x.dump", "--force"]) == 2
    assert "pg_restore --clean --if-exists" in capsys.readouterr().err


def test_audit_rows_written_during_setup_survive_the_round_trip(live: Engine, tmp_path: Path) -> None:
    out = tmp_path / "s.sqlite3"
    backup(live, out)
    restore(out, sqlite_url(tmp_path / "r.sqlite3"))
    engine = make_engine(sqlite_url(tmp_path / "r.sqlite3"))
    with engine.connect() as connection:
        found = connection.execute(select(col(AuditEntry.user_name), col(AuditEntry.new_values))).one()
    engine.dispose()
    assert found == ("sprecherin", {"title": "Neuer Titel"})

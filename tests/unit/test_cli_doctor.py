"""`cockpit doctor`: one line per check, exit 0 when healthy, 1 when something is wrong, 2 for a bad setting.

The command runs in-process through ``cli.main`` with a cleaned environment; the PostgreSQL cases use a fresh
database on the test server (tests/conftest.py).
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
from pathlib import Path

import pytest

from dashboard import cli, doctor
from dashboard.data_access import accounts, migrations
from dashboard.data_access.db import make_engine
from dashboard.data_access.scope import SYSTEM_SCOPE
from seeds.loader import seed_demo
from tests.conftest import new_database_url

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_FILE = ROOT / "deploy" / "streamlit-production.toml"
SECRET = "x" * 48


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No COCKPIT_* or STREAMLIT_* variables from outside, and a home without a ~/.streamlit."""
    for name in list(os.environ):
        if name.startswith(("COCKPIT_", "STREAMLIT_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return monkeypatch


def doctor_lines(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    capsys.readouterr()  # the log lines of the preparation
    code = cli.main(["doctor", *args])
    captured = capsys.readouterr()
    assert captured.err == ""
    return code, captured.out.splitlines()


def line(lines: list[str], start: str) -> str:
    found = [text for text in lines if text.startswith(start)]
    assert len(found) == 1, f"no single line starting with {start!r} in {lines}"
    return found[0]


def prepared(url: str, *, seed: bool = True, user: bool = True) -> None:
    engine = make_engine(url)
    migrations.upgrade(engine)
    if seed:
        seed_demo(engine)
    if user:
        accounts.add_user(engine, SYSTEM_SCOPE, username="admin", role="admin", password="ein-langes-passwort")
    engine.dispose()


def test_a_healthy_sqlite_installation_passes_every_check(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepared(f"sqlite:///{tmp_path / 'cockpit.sqlite3'}")
    clean_env.setenv("COCKPIT_DATA_DIR", str(tmp_path))
    code, lines = doctor_lines(capsys)
    assert code == 0
    assert all(re.match(r"^(OK|HINWEIS) [^:]+: ", text) for text in lines), lines
    assert line(lines, "OK Einstellungen:").endswith(
        "1 COCKPIT_*-Variablen gesetzt und gültig; SQLite, Anmeldung mit Konten"
    )
    assert line(lines, "OK Datenverzeichnis:") == f"OK Datenverzeichnis: {tmp_path} beschreibbar"
    assert line(lines, "OK Datenbankschema:") == f"OK Datenbankschema: aktuell (Revision {migrations.head_revision()})"
    assert line(lines, "OK Konten:") == "OK Konten: 1 aktive Konten, davon 1 Administration"
    assert line(lines, "OK Daten:").endswith("Start: suedostniedersachsen")


def test_no_account_without_demo_mode_is_an_error_and_demo_mode_only_notes_accounts(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepared(f"sqlite:///{tmp_path / 'cockpit.sqlite3'}", user=False)
    clean_env.setenv("COCKPIT_DATA_DIR", str(tmp_path))
    code, lines = doctor_lines(capsys)
    assert code == 1
    assert line(lines, "FEHLER Konten:") == (
        "FEHLER Konten: kein aktives Benutzerkonto, niemand kann sich anmelden – "
        "`cockpit users add admin --role admin` ausführen"
    )
    clean_env.setenv("COCKPIT_DEMO_MODE", "1")  # `make run`: the role picker needs no account
    code, lines = doctor_lines(capsys)
    assert code == 0
    assert "Demo-Modus an" in line(lines, "OK Einstellungen:")
    assert not any("Konten" in text for text in lines)


def test_an_unmigrated_database_says_to_upgrade_and_checks_nothing_that_needs_the_schema(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sqlite3.connect(tmp_path / "cockpit.sqlite3").close()  # a file without tables
    clean_env.setenv("COCKPIT_DATA_DIR", str(tmp_path))
    code, lines = doctor_lines(capsys)
    assert code == 1
    assert line(lines, "FEHLER Datenbankschema:") == (
        f"FEHLER Datenbankschema: Revision – (leer), dieses Cockpit braucht {migrations.head_revision()} – "
        "`cockpit db upgrade` ausführen (ist die Datenbank neuer als das Cockpit: das Cockpit aktualisieren)"
    )
    assert not any(text.startswith(("OK Konten", "FEHLER Konten", "OK Daten:")) for text in lines)


def test_a_missing_data_directory_is_reported_and_not_created(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "fehlt"
    clean_env.setenv("COCKPIT_DATA_DIR", str(missing))
    code, lines = doctor_lines(capsys)
    assert code == 1
    assert line(lines, "FEHLER Datenverzeichnis:").startswith(f"FEHLER Datenverzeichnis: {missing} existiert nicht")
    assert not missing.exists()


def test_an_unwritable_data_directory_is_reported(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepared(f"sqlite:///{tmp_path / 'cockpit.sqlite3'}")
    clean_env.setenv("COCKPIT_DATA_DIR", str(tmp_path))
    # The suite may run as root, for whom every directory is writable: ask os.access the way another user would.
    clean_env.setattr(doctor.os, "access", lambda path, mode: Path(path) != tmp_path)
    code, lines = doctor_lines(capsys)
    assert code == 1
    assert "nicht beschreibbar" in line(lines, "FEHLER Datenverzeichnis:")
    assert not any(text.startswith("OK Datenbank") for text in lines)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_postgresql_server_is_one_error_line(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _closed_port()
    clean_env.setenv("COCKPIT_DATABASE_URL", f"postgresql://cockpit:geheim@127.0.0.1:{port}/cockpit")
    code, lines = doctor_lines(capsys)
    assert code == 1
    assert "PostgreSQL" in line(lines, "OK Einstellungen:")
    error = line(lines, "FEHLER Datenbank:")
    assert error.startswith(
        f"FEHLER Datenbank: postgresql+psycopg://cockpit:***@127.0.0.1:{port}/cockpit nicht erreichbar"
    )
    assert error.endswith("– Server, Zugangsdaten und Firewall prüfen (COCKPIT_DATABASE_URL)")
    assert "geheim" not in "\n".join(lines)
    assert not any("Datenbankschema" in text for text in lines)


def test_bad_settings_are_each_named_with_exit_code_2_and_the_database_untouched(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("COCKPIT_DATA_DIR", str(tmp_path / "daten"))
    clean_env.setenv("COCKPIT_CACHE_TTL", "zehn")
    clean_env.setenv("COCKPIT_DEMO_ALLOW_REMOTE", "vielleicht")
    clean_env.setenv("COCKPIT_DEMOMODE", "1")  # a typo: read by nobody
    code, lines = doctor_lines(capsys)
    assert code == 2
    assert lines == [
        "FEHLER COCKPIT_CACHE_TTL: erwartet eine ganze Zahl, erhalten: 'zehn' – in der Umgebung "
        "korrigieren (Betrieb: /etc/cockpit/cockpit.env)",
        "FEHLER COCKPIT_DEMO_ALLOW_REMOTE: erwartet 1 oder 0 (true/false), erhalten: 'vielleicht' – in der Umgebung "
        "korrigieren (Betrieb: /etc/cockpit/cockpit.env)",
        "HINWEIS COCKPIT_DEMOMODE: unbekannte Einstellung, wird nicht gelesen – Schreibweise prüfen "
        "(README, Konfiguration)",
    ]
    assert not (tmp_path / "daten").exists()


def test_demo_mode_with_postgresql_and_a_broken_url_are_bad_settings(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("COCKPIT_DATABASE_URL", "postgresql://cockpit@127.0.0.1/cockpit")
    clean_env.setenv("COCKPIT_DEMO_MODE", "1")
    code, lines = doctor_lines(capsys)
    assert code == 2
    assert lines[0].startswith("FEHLER COCKPIT_DEMO_MODE: der Demo-Modus (Rollenwahl ohne Passwort) läuft nur mit")
    clean_env.delenv("COCKPIT_DEMO_MODE")
    clean_env.setenv("COCKPIT_DATABASE_URL", "mysql://cockpit@127.0.0.1/cockpit")
    code, lines = doctor_lines(capsys)
    assert code == 2
    assert line(lines, "FEHLER COCKPIT_DATABASE_URL:").startswith(
        "FEHLER COCKPIT_DATABASE_URL: nicht unterstützte Datenbank 'mysql'"
    )


def test_production_wants_the_shipped_streamlit_settings_a_shared_secret_and_no_demo(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepared(f"sqlite:///{tmp_path / 'cockpit.sqlite3'}")
    clean_env.setenv("COCKPIT_DATA_DIR", str(tmp_path))
    # Without the production file: the project's config.toml is safe, but hosts and the shared secret are missing.
    code, lines = doctor_lines(capsys, "--production")
    assert code == 1
    assert line(lines, "OK client.showErrorDetails:").endswith(
        "none (" + str(ROOT / ".streamlit" / "config.toml") + ")"
    )
    assert line(lines, "FEHLER server.allowedHosts:").startswith("FEHLER server.allowedHosts: nicht eingeschränkt")
    assert "STREAMLIT_SERVER_COOKIE_SECRET in /etc/cockpit/cockpit.env" in line(lines, "FEHLER server.cookieSecret:")
    assert line(lines, "HINWEIS Datenbank:").startswith("HINWEIS Datenbank: SQLite trägt genau einen App-Server")

    # The shipped file plus the two per-installation variables: every production check passes.
    clean_env.setenv("STREAMLIT_SERVER_COOKIE_SECRET", SECRET)
    clean_env.setenv("STREAMLIT_SERVER_ALLOWED_HOSTS", "cockpit.example.org cockpit.intern")
    code, lines = doctor_lines(capsys, "--production", "--config", str(PRODUCTION_FILE))
    assert code == 0, lines
    assert line(lines, "OK server.allowedHosts:") == (
        "OK server.allowedHosts: cockpit.example.org, cockpit.intern (STREAMLIT_SERVER_ALLOWED_HOSTS)"
    )
    assert line(lines, "OK server.cookieSecret:").startswith(
        "OK server.cookieSecret: gesetzt, 48 Zeichen (STREAMLIT_SERVER_COOKIE_SECRET"
    )
    assert line(lines, "OK server.enableXsrfProtection:").endswith(f"an ({PRODUCTION_FILE})")
    assert not any("fileWatcherType" in text for text in lines)

    # The template's placeholder is no secret.
    template = (ROOT / "deploy" / "cockpit.env.example").read_text(encoding="utf-8")
    placeholder = re.search(r"^STREAMLIT_SERVER_COOKIE_SECRET=(.+)$", template, re.MULTILINE)
    assert placeholder is not None
    clean_env.setenv("STREAMLIT_SERVER_COOKIE_SECRET", placeholder.group(1))
    code, lines = doctor_lines(capsys, "--production", "--config", str(PRODUCTION_FILE))
    assert code == 1
    assert line(lines, "FEHLER server.cookieSecret:").startswith(
        "FEHLER server.cookieSecret: noch der Platzhalter aus der Vorlage (STREAMLIT_SERVER_COOKIE_SECRET)"
    )

    # The environment overrides the file, for better or worse; a short secret and demo mode are errors.
    clean_env.setenv("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")
    clean_env.setenv("STREAMLIT_SERVER_COOKIE_SECRET", "kurz")
    clean_env.setenv("COCKPIT_DEMO_MODE", "1")
    code, lines = doctor_lines(capsys, "--production", "--config", str(PRODUCTION_FILE))
    assert code == 1
    assert line(lines, "FEHLER client.showErrorDetails:").startswith(
        "FEHLER client.showErrorDetails: 'full' (STREAMLIT_CLIENT_SHOW_ERROR_DETAILS) zeigt Fehlerdetails im Browser"
    )
    assert line(lines, "FEHLER server.cookieSecret:").startswith("FEHLER server.cookieSecret: nur 4 Zeichen")
    assert line(lines, "FEHLER COCKPIT_DEMO_MODE:").startswith(
        "FEHLER COCKPIT_DEMO_MODE: Demo-Modus im Produktionsbetrieb"
    )


def test_a_secret_in_the_shared_production_file_is_refused(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = tmp_path / "production.toml"
    shared.write_text('[server]\ncookieSecret = "steht-im-git"\n', encoding="utf-8")
    clean_env.setenv("COCKPIT_DATA_DIR", str(tmp_path))
    code, lines = doctor_lines(capsys, "--config", str(shared))
    assert code == 2
    assert lines[-1].startswith(f"FEHLER --config: {shared}: server.cookieSecret gehört nicht in diese Datei")
    assert lines[-1].endswith("– die Datei korrigieren")


@pytest.mark.postgres
def test_on_postgresql_a_migrated_database_with_an_account_is_ready_for_production(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for url in new_database_url("postgresql", tmp_path):
        clean_env.setenv("COCKPIT_DATABASE_URL", url)
        code, lines = doctor_lines(capsys)
        assert code == 1  # empty: no schema yet
        assert line(lines, "OK Datenbank:").endswith("erreichbar")
        assert line(lines, "FEHLER Datenbankschema:").startswith("FEHLER Datenbankschema: Revision – (leer)")

        prepared(url, seed=False)
        clean_env.setenv("STREAMLIT_SERVER_COOKIE_SECRET", SECRET)
        clean_env.setenv("STREAMLIT_SERVER_ALLOWED_HOSTS", "cockpit.example.org")
        code, lines = doctor_lines(capsys, "--production", "--config", str(PRODUCTION_FILE))
        assert code == 0, lines
        assert "PostgreSQL, Anmeldung mit Konten" in line(lines, "OK Einstellungen:")
        assert (
            line(lines, "OK Datenbankschema:") == f"OK Datenbankschema: aktuell (Revision {migrations.head_revision()})"
        )
        assert line(lines, "OK Konten:") == "OK Konten: 1 aktive Konten, davon 1 Administration"
        assert line(lines, "HINWEIS Daten:").startswith("HINWEIS Daten: noch kein Bündnis")
        assert not any(text.startswith("HINWEIS Datenbank") for text in lines)


def test_every_setting_the_code_reads_is_known_to_the_doctor() -> None:
    package = ROOT / "dashboard"
    read = {
        name
        for source in package.rglob("*.py")
        for name in re.findall(r"\bCOCKPIT_[A-Z][A-Z_]*[A-Z]\b", source.read_text(encoding="utf-8"))
    }
    missing = read - doctor.KNOWN_SETTINGS
    assert not missing, (
        f"add {sorted(missing)} to dashboard/doctor.py KNOWN_SETTINGS (or `cockpit doctor` calls them unknown)"
    )

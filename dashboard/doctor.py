"""`cockpit doctor`: checks settings, database, schema, accounts and (production) Streamlit's options, a line each.

Every check says "OK …" or "FEHLER …" with what to do; "HINWEIS …" is worth knowing but not wrong. The exit code is
0 when nothing is wrong, 1 when a check failed, and 2 when a setting cannot be read at all (the CLI's convention
for bad settings); then the database is not touched.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from dashboard.config import ConfigError, Settings, _flag_setting, load_settings
from dashboard.streamlit_config import APP_DIR, Effective, effective_options, secrets_cookie_secret

# Every COCKPIT_* variable the Cockpit reads (a guard test keeps this in step with the code); anything else with
# the prefix is most likely a typo that is silently ignored.
KNOWN_SETTINGS = frozenset(
    {
        "COCKPIT_DATABASE_URL",
        "COCKPIT_DATA_DIR",
        "COCKPIT_LANGUAGE",
        "COCKPIT_DEFAULT_ALLIANCE",
        "COCKPIT_CACHE_TTL",
        "COCKPIT_CACHE_MAX_ENTRIES",
        "COCKPIT_PORT",
        "COCKPIT_MAX_GRANT_RATES",
        "COCKPIT_LAG_THRESHOLD",
        "COCKPIT_UNUSED_THRESHOLD",
        "COCKPIT_DECOMMITMENT_YEARS",
        "COCKPIT_PAYMENT_LAG_DAYS",
        "COCKPIT_TARGET_TOLERANCE",
        "COCKPIT_SUPPRESSION_THRESHOLD",
        "COCKPIT_DEMO_MODE",
        "COCKPIT_DEMO_ALLOW_REMOTE",
        "COCKPIT_SESSION_IDLE_MINUTES",
        "COCKPIT_BULK_MAX_MB",
        "COCKPIT_TEST_POSTGRES_URL",  # the test suite's PostgreSQL server
    }
)
ENV_FILE = "/etc/cockpit/cockpit.env"
# Streamlit warns below 14 bytes; a secret that signs sign-in cookies for every server deserves more.
MIN_COOKIE_SECRET = 32
# The Streamlit options production depends on, with Streamlit's defaults.
PRODUCTION_OPTIONS: dict[str, Any] = {
    "client.showErrorDetails": "full",
    "client.toolbarMode": "auto",
    "server.enableXsrfProtection": True,
    "server.enableCORS": True,
    "server.allowedHosts": [],
    "server.cookieSecret": "",
    "server.maxUploadSize": 200,
    "server.fileWatcherType": "auto",
}


class Status(StrEnum):
    OK = "OK"
    ERROR = "FEHLER"
    NOTE = "HINWEIS"


@dataclass(frozen=True)
class Check:
    status: Status
    subject: str
    message: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status.value} {self.subject}: {self.message}"
        return f"{text} – {self.fix}" if self.fix else text


@dataclass
class Diagnosis:
    checks: list[Check] = field(default_factory=list)
    bad_setting: bool = False

    def add(self, status: Status, subject: str, message: str, fix: str = "") -> None:
        self.checks.append(Check(status, subject, message, fix))

    @property
    def exit_code(self) -> int:
        if self.bad_setting:
            return 2
        return 1 if any(check.status is Status.ERROR for check in self.checks) else 0

    def lines(self) -> list[str]:
        return [check.line() for check in self.checks]


def _bad_setting(diagnosis: Diagnosis, exc: ConfigError) -> None:
    diagnosis.bad_setting = True
    diagnosis.add(
        Status.ERROR,
        exc.setting,
        str(exc).removeprefix(f"{exc.setting}: "),
        f"in der Umgebung korrigieren (Betrieb: {ENV_FILE})"
        if exc.setting.startswith("COCKPIT_") or exc.setting == "DATABASE_URL"
        else "die Datei korrigieren",
    )


def _settings(env: Mapping[str, str], diagnosis: Diagnosis) -> Settings | None:
    """Each COCKPIT_* variable on its own (so every bad one is named), then all together."""
    cockpit = sorted(name for name in env if name.startswith("COCKPIT_"))
    for name in cockpit:
        try:
            if name == "COCKPIT_DEMO_ALLOW_REMOTE":
                _flag_setting(env, name)  # read by `cockpit run` only
            else:
                load_settings({name: env[name]})
        except ConfigError as exc:
            _bad_setting(diagnosis, exc)
    for name in cockpit:
        if name not in KNOWN_SETTINGS:
            diagnosis.add(
                Status.NOTE,
                name,
                "unbekannte Einstellung, wird nicht gelesen",
                "Schreibweise prüfen (README, Konfiguration)",
            )
    if diagnosis.bad_setting:
        return None
    try:
        settings = load_settings(env)
    except ConfigError as exc:  # a combination, e.g. demo mode with PostgreSQL
        _bad_setting(diagnosis, exc)
        return None
    kind = "SQLite" if settings.is_sqlite else "PostgreSQL"
    mode = "Demo-Modus an (Rollenwahl ohne Passwort)" if settings.access.demo_mode else "Anmeldung mit Konten"
    known = sum(name in KNOWN_SETTINGS for name in cockpit)
    diagnosis.add(Status.OK, "Einstellungen", f"{known} COCKPIT_*-Variablen gesetzt und gültig; {kind}, {mode}")
    return settings


def _mode(settings: Settings, production: bool, diagnosis: Diagnosis) -> None:
    if production and settings.access.demo_mode:
        diagnosis.add(
            Status.ERROR,
            "COCKPIT_DEMO_MODE",
            "Demo-Modus im Produktionsbetrieb: jede Person wählt ohne Passwort jede Rolle",
            "COCKPIT_DEMO_MODE entfernen und Konten mit `cockpit users add` anlegen",
        )
    if production and settings.is_sqlite:
        diagnosis.add(
            Status.NOTE,
            "Datenbank",
            "SQLite trägt genau einen App-Server",
            "für mehrere Server hinter nginx COCKPIT_DATABASE_URL=postgresql://… setzen",
        )


def _sqlite_path(settings: Settings, diagnosis: Diagnosis) -> bool:
    """Whether the SQLite file and its directory are usable (WAL writes -wal and -shm files next to it)."""
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        return True
    path = Path(database)
    directory = path.parent if str(path.parent) else Path()
    subject = "Datenverzeichnis"
    if not directory.is_dir():
        diagnosis.add(
            Status.ERROR,
            subject,
            f"{directory} existiert nicht",
            f"`cockpit db upgrade` legt es an (oder {settings.database_setting} korrigieren)",
        )
        return False
    if not os.access(directory, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.R_OK | os.W_OK)):
        diagnosis.add(
            Status.ERROR,
            subject,
            f"{directory} ist für diesen Benutzer nicht beschreibbar (SQLite legt daneben -wal und -shm an)",
            f"Eigentümer setzen, z. B. chown -R cockpit: {directory}",
        )
        return False
    if not path.exists():
        diagnosis.add(Status.ERROR, "Datenbank", f"{path} gibt es noch nicht", "`cockpit db upgrade` ausführen")
        return False
    diagnosis.add(Status.OK, subject, f"{directory.resolve()} beschreibbar")
    return True


def _connect(settings: Settings, diagnosis: Diagnosis) -> Engine | None:
    from dashboard.data_access.db import check_connection, make_engine

    try:
        engine = make_engine(settings.database_url, settings.database_setting)
    except ConfigError as exc:
        _bad_setting(diagnosis, exc)
        return None
    try:
        check_connection(engine, settings.database_setting)
    except ConfigError as exc:
        engine.dispose()
        diagnosis.add(
            Status.ERROR,
            "Datenbank",
            str(exc).removeprefix(f"{exc.setting}: ").removeprefix("Datenbank "),
            f"Server, Zugangsdaten und Firewall prüfen ({settings.database_setting})",
        )
        return None
    diagnosis.add(Status.OK, "Datenbank", f"{engine.url.render_as_string(hide_password=True)} erreichbar")
    return engine


def _schema(engine: Engine, diagnosis: Diagnosis) -> bool:
    from dashboard.data_access import migrations

    try:
        current, head = migrations.current_revision(engine), migrations.head_revision()
    except Exception as exc:  # e.g. two migration heads after a bad merge; reported, not raised
        diagnosis.add(Status.ERROR, "Datenbankschema", f"Stand nicht lesbar ({exc})", "Migrationen prüfen")
        return False
    if current == head:
        diagnosis.add(Status.OK, "Datenbankschema", f"aktuell (Revision {current})")
        return True
    diagnosis.add(
        Status.ERROR,
        "Datenbankschema",
        f"Revision {current or '– (leer)'}, dieses Cockpit braucht {head}",
        "`cockpit db upgrade` ausführen (ist die Datenbank neuer als das Cockpit: das Cockpit aktualisieren)",
    )
    return False


def _content(engine: Engine, settings: Settings, diagnosis: Diagnosis) -> None:
    from dashboard.data_access import accounts, queries
    from dashboard.data_access.scope import SYSTEM_SCOPE

    users = accounts.list_users(engine, SYSTEM_SCOPE)
    active = users.filter(~users["disabled"])
    if settings.access.demo_mode:
        if active.height:
            diagnosis.add(
                Status.NOTE,
                "Konten",
                f"{active.height} aktive Konten, der Demo-Modus umgeht sie",
                "für den echten Betrieb COCKPIT_DEMO_MODE entfernen",
            )
    elif active.is_empty():
        diagnosis.add(
            Status.ERROR,
            "Konten",
            "kein aktives Benutzerkonto, niemand kann sich anmelden",
            "`cockpit users add admin --role admin` ausführen",
        )
    else:
        admins = active.filter(active["role"] == "admin").height
        diagnosis.add(Status.OK, "Konten", f"{active.height} aktive Konten, davon {admins} Administration")
    slugs = queries.alliances(engine, SYSTEM_SCOPE)["slug"].to_list()
    if not slugs:
        diagnosis.add(
            Status.NOTE, "Daten", "noch kein Bündnis in der Datenbank", "`cockpit seed` lädt die Demo-Bündnisse"
        )
    elif settings.default_alliance not in slugs:
        diagnosis.add(
            Status.NOTE,
            "COCKPIT_DEFAULT_ALLIANCE",
            f"Bündnis {settings.default_alliance!r} gibt es nicht; vorhanden: {', '.join(slugs)}",
            "ein vorhandenes Kürzel setzen",
        )
    else:
        diagnosis.add(Status.OK, "Daten", f"{len(slugs)} Bündnisse, Start: {settings.default_alliance}")


def _where(option: Effective) -> str:
    return option.source or "Streamlit-Standard"


def _load_streamlit(
    env: Mapping[str, str], production_file: Path | None, home: Path | None, project_dir: Path
) -> tuple[dict[str, Effective], tuple[str, str] | None]:
    options = effective_options(
        PRODUCTION_OPTIONS, env, production_file=production_file, home=home, project_dir=project_dir
    )
    return options, secrets_cookie_secret(home, project_dir)


def _exposure(options: Mapping[str, Effective], diagnosis: Diagnosis) -> None:
    """What the browser may see and who may connect: error details, XSRF, CORS, hosts, toolbar."""
    errors = options["client.showErrorDetails"]
    if errors.value == "none":
        diagnosis.add(Status.OK, "client.showErrorDetails", f"none ({_where(errors)})")
    else:
        diagnosis.add(
            Status.ERROR,
            "client.showErrorDetails",
            f"{errors.value!r} ({_where(errors)}) zeigt Fehlerdetails im Browser",
            'showErrorDetails = "none" setzen',
        )
    for key in ("server.enableXsrfProtection", "server.enableCORS"):
        option = options[key]
        if option.value is True:
            diagnosis.add(Status.OK, key, f"an ({_where(option)})")
        else:
            diagnosis.add(Status.ERROR, key, f"aus ({_where(option)})", f"{key.split('.')[1]} = true setzen")
    hosts = options["server.allowedHosts"]
    if hosts.value and "*" not in hosts.value:
        diagnosis.add(Status.OK, "server.allowedHosts", f"{', '.join(hosts.value)} ({_where(hosts)})")
    else:
        diagnosis.add(
            Status.ERROR,
            "server.allowedHosts",
            "nicht eingeschränkt: jede Host-Angabe wird angenommen (DNS-Rebinding)",
            "die öffentlichen Namen eintragen, z. B. STREAMLIT_SERVER_ALLOWED_HOSTS=cockpit.example.org",
        )
    toolbar = options["client.toolbarMode"]
    if toolbar.value in ("viewer", "minimal"):
        diagnosis.add(Status.OK, "client.toolbarMode", f"{toolbar.value} ({_where(toolbar)})")
    else:
        diagnosis.add(
            Status.ERROR,
            "client.toolbarMode",
            f"{toolbar.value!r} ({_where(toolbar)}) kann Entwickleroptionen zeigen",
            'toolbarMode = "minimal" setzen',
        )


def _cookie_secret(
    options: Mapping[str, Effective], from_secrets: tuple[str, str] | None, diagnosis: Diagnosis
) -> None:
    """One secret for every server: it signs the sign-in cookies of st.login and Streamlit's session cookie."""
    if from_secrets:  # Streamlit prefers [auth] cookie_secret to server.cookieSecret
        value, source = from_secrets[0], f"{from_secrets[1]} [auth] cookie_secret"
    else:
        value, source = str(options["server.cookieSecret"].value or ""), _where(options["server.cookieSecret"])
    if not value:
        diagnosis.add(
            Status.ERROR,
            "server.cookieSecret",
            "nicht gesetzt: jeder Server erzeugt sein eigenes, Anmelde-Cookies gelten dann nur auf einem Server",
            f"STREAMLIT_SERVER_COOKIE_SECRET in {ENV_FILE} setzen, auf allen Servern gleich "
            '(python3 -c "import secrets; print(secrets.token_urlsafe(48))")',
        )
    elif "ersetzen" in value.lower():
        diagnosis.add(
            Status.ERROR,
            "server.cookieSecret",
            f"noch der Platzhalter aus der Vorlage ({source})",
            'durch python3 -c "import secrets; print(secrets.token_urlsafe(48))" ersetzen, auf allen Servern gleich',
        )
    elif len(value) < MIN_COOKIE_SECRET:
        diagnosis.add(
            Status.ERROR,
            "server.cookieSecret",
            f"nur {len(value)} Zeichen ({source})",
            f"mindestens {MIN_COOKIE_SECRET} zufällige Zeichen",
        )
    else:
        diagnosis.add(
            Status.OK, "server.cookieSecret", f"gesetzt, {len(value)} Zeichen ({source}; auf allen Servern gleich)"
        )


def _resources(options: Mapping[str, Effective], settings: Settings, diagnosis: Diagnosis) -> None:
    upload = options["server.maxUploadSize"]
    bulk = settings.access.bulk_max_mb
    if isinstance(upload.value, int) and upload.value >= bulk:
        diagnosis.add(
            Status.OK,
            "server.maxUploadSize",
            f"{upload.value} MB ({_where(upload)}); nginx client_max_body_size etwas größer setzen",
        )
    else:
        diagnosis.add(
            Status.NOTE,
            "server.maxUploadSize",
            f"{upload.value} MB ({_where(upload)}) ist kleiner als COCKPIT_BULK_MAX_MB={bulk}",
            "angleichen",
        )
    watcher = options["server.fileWatcherType"]
    if watcher.value != "none":
        diagnosis.add(
            Status.NOTE,
            "server.fileWatcherType",
            f"{watcher.value!r}: beobachtet Dateien auf dem Server",
            'fileWatcherType = "none" spart Rechenzeit',
        )


def diagnose(
    env: Mapping[str, str],
    *,
    production: bool = False,
    production_file: Path | None = None,
    home: Path | None = None,
    project_dir: Path = APP_DIR,
) -> Diagnosis:
    """Run every check against this environment; with ``production`` also the Streamlit options for production."""
    diagnosis = Diagnosis()
    settings = _settings(env, diagnosis)
    if settings is None:
        return diagnosis
    _mode(settings, production, diagnosis)
    if production or production_file is not None:
        try:
            options, from_secrets = _load_streamlit(env, production_file, home, project_dir)
        except ConfigError as exc:
            _bad_setting(diagnosis, exc)
            return diagnosis
        _exposure(options, diagnosis)
        _cookie_secret(options, from_secrets, diagnosis)
        _resources(options, settings, diagnosis)
    if settings.is_sqlite and not _sqlite_path(settings, diagnosis):
        return diagnosis
    engine = _connect(settings, diagnosis)
    if engine is None:
        return diagnosis
    try:
        if _schema(engine, diagnosis):
            _content(engine, settings, diagnosis)
    finally:
        engine.dispose()
    return diagnosis

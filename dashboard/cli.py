"""The `cockpit` console script: run the app, migrate the database, load seeds, export lists and reports."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from dashboard.config import ConfigError, Settings, _flag_setting, load_settings
from dashboard.data_access import migrations
from dashboard.data_access.db import engine_for
from dashboard.data_access.models import Alliance
from dashboard.domain.overview import today
from dashboard.i18n import formats
from dashboard.logging_setup import configure_logging

APP_FILE = Path(__file__).resolve().parents[1] / "streamlit_app.py"
# The server starts through dashboard/serve.py, which imports the app's modules before the first visitor and then
# runs Streamlit's own command line ("streamlit" here would start it directly, as bench/server_start.py compares).
SERVER_MODULE = "dashboard.serve"
# Demo mode signs anyone in as anyone: it listens on this machine only unless told otherwise.
LOOPBACK = "127.0.0.1"


def _engine(settings: Settings) -> Engine:
    return engine_for(settings)


def _say(message: str) -> None:
    print(message, flush=True)


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(settings)
    if args.action == "upgrade":
        migrations.upgrade(engine, args.revision or "head")
        _say(f"Datenbank auf Stand {migrations.current_revision(engine)} ({settings.database_setting}).")
    elif args.action == "downgrade":
        if not args.revision:
            raise ConfigError(
                "downgrade", "Ziel-Revision angeben, z. B. `cockpit db downgrade -1` oder `base` (löscht Daten)"
            )
        migrations.downgrade(engine, args.revision)
        _say(f"Datenbank zurückgesetzt auf {migrations.current_revision(engine) or 'base'}.")
    else:
        _say(f"aktuell: {migrations.current_revision(engine) or '-'}  ·  neueste: {migrations.head_revision()}")
    return 0


def _alliance(engine: Engine, slug: str) -> dict[str, Any]:
    """The alliance with this slug, or a ConfigError that lists the known ones."""
    from dashboard.data_access import queries
    from dashboard.data_access.scope import DEMO_SCOPE

    alliances = queries.alliances(engine, DEMO_SCOPE)
    found = alliances.filter(slug=slug)
    if found.is_empty():
        known = ", ".join(alliances["slug"].to_list())
        raise ConfigError("--alliance", f"unbekanntes Bündnis {slug!r}; vorhanden: {known}")
    return found.row(0, named=True)


def _require_schema(engine: Engine) -> None:
    if migrations.current_revision(engine) != migrations.head_revision():
        raise ConfigError("Datenbank", "Schema ist nicht aktuell – zuerst `cockpit db upgrade` ausführen")


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(settings)
    _require_schema(engine)
    if args.scale:
        from seeds.scale import LARGE, SMALL, seed_scale

        started = time.perf_counter()

        def progress(label: str, done: int, total: int) -> None:
            _say(f"  {label}: {formats.number(done):>9} / {formats.number(total)}")

        rows = seed_scale(engine, LARGE if args.scale == "large" else SMALL, progress)
        if not rows:
            _say("Großer Beispieldatenbestand ist bereits vorhanden – nichts zu tun.")
        else:
            _say(
                f"Fertig in {time.perf_counter() - started:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in rows.items())
            )
        return 0
    from seeds.loader import seed_demo

    report = seed_demo(engine, reset=args.reset, progress=lambda name: _say(f"  lade {name} …"))
    for slug in report.skipped:
        _say(f"  {slug}: bereits vorhanden, übersprungen (neu laden mit --reset)")
    _say(f"Demodaten: {len(report.created)} Bündnisse angelegt, {len(report.skipped)} übersprungen.")
    return 0


def _production_environment(args: argparse.Namespace) -> tuple[dict[str, str], list[str]]:
    """`--config FILE`: its options as STREAMLIT_* variables the environment does not set, and a line saying so."""
    if not args.config:
        return {}, []
    from dashboard.streamlit_config import environment_for, read_production_file

    added, kept = environment_for(read_production_file(Path(args.config)), os.environ)
    note = f"Streamlit-Einstellungen aus {args.config}: {len(added)} übernommen"
    return added, [note + (f", aus der Umgebung: {', '.join(kept)}" if kept else "")]


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    command, notes = streamlit_command(args, settings, os.environ)  # a bad setting stops before any migration
    production_env, production_notes = _production_environment(args)
    engine = _engine(settings)
    migrations.upgrade(engine)
    with engine.connect() as connection:
        alliances = connection.execute(select(func.count()).select_from(Alliance)).scalar_one()
    if alliances == 0 and not args.no_seed:
        from seeds.loader import seed_demo

        _say("Leere Datenbank: lade die Demo-Bündnisse …")
        seed_demo(engine)
    engine.dispose()
    # Streamlit reads .streamlit/config.toml from its working directory: start it in the project, with the
    # database URL made absolute so a relative default still points where it pointed here.
    os.environ["COCKPIT_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    if settings.is_sqlite and engine.url.database:
        os.environ["COCKPIT_DATABASE_URL"] = f"sqlite:///{Path(engine.url.database).resolve()}"
    os.environ.update(production_env)
    os.chdir(APP_FILE.parent)
    for note in [*production_notes, *notes]:
        _say(note)
    _say(f"Fachkräfte-Cockpit: http://localhost:{args.port or settings.port}")
    os.execv(sys.executable, command)  # noqa: S606  (replaces this process with the Streamlit server)
    return 0  # pragma: no cover


def streamlit_command(
    args: argparse.Namespace, settings: Settings, env: Mapping[str, str]
) -> tuple[list[str], list[str]]:
    """The server's command line of `cockpit run` (Streamlit via dashboard/serve.py) and the lines to print first.

    In demo mode (a role picker instead of passwords) the server listens on 127.0.0.1 only, so nobody else on the
    network can act as admin; COCKPIT_DEMO_ALLOW_REMOTE=1 or an explicit --server.address lifts that.
    """
    command = [
        sys.executable,
        "-m",
        SERVER_MODULE,
        "run",
        str(APP_FILE),
        "--server.port",
        str(args.port or settings.port),
    ]
    if args.headless:
        command += ["--server.headless", "true"]
    notes: list[str] = []
    address = args.address
    if settings.access.demo_mode and address is None:
        if _flag_setting(env, "COCKPIT_DEMO_ALLOW_REMOTE"):
            notes.append(
                "Achtung: Demo-Modus im Netz erreichbar (COCKPIT_DEMO_ALLOW_REMOTE=1) – "
                "jede Person im Netz kann ohne Passwort als Administration arbeiten."
            )
        else:
            address = LOOPBACK
            notes.append(
                f"Demo-Modus: nur auf diesem Rechner erreichbar ({LOOPBACK}); für andere Rechner "
                "COCKPIT_DEMO_ALLOW_REMOTE=1 setzen oder --server.address angeben."
            )
    elif settings.access.demo_mode:
        notes.append(f"Achtung: Demo-Modus auf der Adresse {address} – dort kann jede Person ohne Passwort arbeiten.")
    if address is not None:
        command += ["--server.address", address]
    return command, notes


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.data_access import queries
    from dashboard.data_access.project_filter import ProjectFilter
    from dashboard.data_access.scope import DEMO_SCOPE
    from dashboard.exporters.projects import filter_description, projects_csv, projects_xlsx
    from dashboard.i18n import t

    engine = _engine(settings)
    _require_schema(engine)
    alliance = _alliance(engine, args.alliance)
    flt = ProjectFilter.of(
        topics=args.topic,
        statuses=args.status,
        members=args.member,
        regions=args.kreis,
        funds=args.fund,
        runs_from=args.runs_from,
        runs_to=args.runs_to,
        search=args.search or "",
    )
    rows = queries.projects(engine, DEMO_SCOPE, alliance["id"], flt)
    language = settings.language
    region_names = dict(queries.alliance_regions(engine, DEMO_SCOPE, alliance["id"]).select("ags", "name").iter_rows())
    described = filter_description(flt, region_names, language)
    if args.format == "csv":
        payload = projects_csv(rows, language)
    else:
        notes = (
            t("export.as_of", language, date=formats.day(today(), language)),
            t("export.filters", language, filters="; ".join(described) or t("export.no_filters", language)),
        )
        title = t("export.projects_title", language, alliance=alliance["name"])
        payload = projects_xlsx(rows, language, title=title, notes=notes)
    out = Path(args.out)
    try:
        out.write_bytes(payload)
    except OSError as exc:
        raise ConfigError("--out", f"{out} kann nicht geschrieben werden ({exc.strerror})") from None
    _say(f"{rows.height} Projekte nach {out} exportiert.")
    return 0


def _write_atomically(out: Path, payload: bytes) -> None:
    """Write ``out`` through a temporary file in the same directory and a rename: a failure leaves no half file."""
    import tempfile

    try:
        handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    except OSError as exc:
        raise ConfigError("--out", f"{out} kann nicht geschrieben werden ({exc.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        # mkstemp creates the file for the owner only; a report is an ordinary file (umask applies).
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, out)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ConfigError("--out", f"{out} kann nicht geschrieben werden ({exc.strerror})") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _report_funds(codes: Sequence[str]) -> list[str]:
    """The --fund codes checked against the vocabulary, in its order, without repeats."""
    from dashboard.data_access.vocabulary import Fund

    known = [fund.value for fund in Fund]
    chosen = {code.strip().lower() for code in codes}
    unknown = sorted(chosen - set(known))
    if unknown:
        raise ConfigError("--fund", f"unbekannter Fonds {', '.join(unknown)}; möglich: {', '.join(known)}")
    return [code for code in known if code in chosen]


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.data_access import queries
    from dashboard.data_access.scope import DEMO_SCOPE
    from dashboard.exporters.fund_report import fund_report_pdf, fund_report_xlsx
    from dashboard.i18n import label
    from dashboard.loaders import fund_use_view

    # Everything the command line can get wrong is checked before the database is touched.
    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else today()
    except ValueError:
        raise ConfigError("--as-of", f"kein Datum im Format JJJJ-MM-TT: {args.as_of!r}") from None
    funds = _report_funds(args.fund)
    out = Path(args.out)
    if not out.parent.is_dir():
        raise ConfigError("--out", f"Verzeichnis {out.parent} existiert nicht")
    language = args.lang or settings.language
    engine = _engine(settings)
    _require_schema(engine)
    alliance = _alliance(engine, args.alliance)
    started = time.perf_counter()
    view = fund_use_view(engine, DEMO_SCOPE, alliance, as_of, funds=funds, rules=settings.fund_rules)
    render = fund_report_pdf if args.format == "pdf" else fund_report_xlsx
    payload = render(view, language)
    _write_atomically(out, payload)
    present = queries.alliance_funds(engine, DEMO_SCOPE, alliance["id"])
    absent = [code for code in funds if code not in present]
    if absent:
        # Not an error: the ministry may ask for a fund on purpose and get a report that says "0 €".
        print(
            f"Hinweis: {alliance['name']} hat kein Budget und keine Buchungen in "
            f"{', '.join(label('fund', code) for code in absent)}; vorhandene Fonds: "
            f"{', '.join(label('fund', code) for code in present) or 'keine'}.",
            file=sys.stderr,
        )
    funnel, forecast = view.funnel, view.forecast

    def money(cents: int) -> str:
        return formats.money(cents, cents=True)

    chosen = ", ".join(label("fund", code) for code in funds) or "alle Fonds"
    _say(
        f"Bericht {out} geschrieben ({formats.number(len(payload))} Bytes, {time.perf_counter() - started:.1f} s): "
        f"{alliance['name']}, Stand {formats.day(as_of)}, Fonds: {chosen} – Budget {money(funnel.planned_cents)}, "
        f"bewilligt {money(funnel.committed_cents)}, ausgezahlt {money(funnel.disbursed_cents)}, "
        f"{'abgeflossen' if forecast.final else 'Prognose'} {money(forecast.forecast_cents)}."
    )
    return 0


def _copy_progress(label: str) -> Callable[[int, int], None]:
    """Progress of a backup or restore on stderr: one redrawn line on a terminal, a line per tenth in a log."""
    live = sys.stderr.isatty()
    printed: list[int] = []

    def progress(done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if not live and tenth in printed:
            return
        printed.append(tenth)
        share = formats.percent(done / max(total, 1), decimals=0)
        line = f"  {label}: {share:>6} ({formats.number(done)} / {formats.number(total)} Seiten)"
        print(f"\r{line}" if live else line, end="" if live else "\n", file=sys.stderr, flush=True)
        if live and done == total:
            print(file=sys.stderr)

    return progress


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.data_access.backup import BackupError, backup

    try:
        result = backup(settings, Path(args.out), force=args.force, progress=_copy_progress("Sicherung"))
    except BackupError as exc:
        print(f"{'Sicherung abgelehnt' if exc.exit_code == 2 else 'Sicherung fehlgeschlagen'} – {exc}", file=sys.stderr)
        return exc.exit_code
    megabytes = formats.number(result.size_bytes / 1_000_000, decimals=1)
    _say(
        f"Sicherung {result.path} geschrieben: {megabytes} MB, {formats.number(result.pages)} Seiten, "
        f"Schemastand {result.revision}, {formats.number(result.seconds, decimals=1)} s."
    )
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.data_access.backup import BackupError, restore

    try:
        result = restore(Path(args.file), settings, force=args.force, progress=_copy_progress("Wiederherstellen"))
    except BackupError as exc:
        verdict = "Wiederherstellen abgelehnt" if exc.exit_code == 2 else "Wiederherstellen fehlgeschlagen"
        print(f"{verdict} – {exc}", file=sys.stderr)
        return exc.exit_code
    head = migrations.head_revision()
    upgrade = "" if result.revision == head else f" – `cockpit db upgrade` bringt sie auf Stand {head}"
    _say(
        f"{result.path} aus {args.file} wiederhergestellt: {formats.number(result.pages)} Seiten, "
        f"Schemastand {result.revision}, {formats.number(result.seconds, decimals=1)} s{upgrade}."
    )
    return 0


def _add_backup_commands(sub: Any) -> None:
    """`cockpit backup` and `cockpit restore` (SQLite backup API; PostgreSQL: pg_dump, see the message)."""
    backups = sub.add_parser(
        "backup",
        help="SQLite-Datenbank im laufenden Betrieb sichern: cockpit backup --out DATEI",
        description="Kopiert die SQLite-Datenbank konsistent mit der SQLite-Backup-API, auch während die App läuft. "
        "PostgreSQL sichert pg_dump (der Befehl nennt die Aufrufe).",
    )
    backups.add_argument("--out", required=True, help="Zieldatei, z. B. sicherung/cockpit-2026-01-31.sqlite3")
    backups.add_argument("--force", action="store_true", help="eine vorhandene Zieldatei überschreiben")
    backups.set_defaults(handler=cmd_backup)

    restores = sub.add_parser(
        "restore",
        help="Sicherung zurückspielen: cockpit restore DATEI [--force]",
        description="Prüft die Sicherung (SQLite, Schema des Cockpits) und ersetzt die konfigurierte Datenbank; "
        "enthält sie Daten, nur mit --force.",
    )
    restores.add_argument("file", metavar="DATEI", help="Sicherungsdatei von `cockpit backup`")
    restores.add_argument("--force", action="store_true", help="vorhandene Daten der Datenbank überschreiben")
    restores.set_defaults(handler=cmd_restore)


IMPORT_FORMATS = ("auto", "genesis", "ffcsv", "template")


def _import_target(args: argparse.Namespace) -> tuple[str, Path]:
    """`cockpit import [FORMAT] FILE [--format FORMAT]` as (format, path); a muddle is one ConfigError line."""
    from dashboard.i18n import t

    target: list[str] = args.target
    if len(target) == 2 and target[0] in IMPORT_FORMATS:
        chosen, file = target
        if args.format and args.format != chosen:
            raise ConfigError("--format", t("data_import.cli.format_clash", first=chosen, second=args.format))
    elif len(target) == 1 and not (target[0] in IMPORT_FORMATS and not Path(target[0]).exists()):
        chosen, file = args.format or "auto", target[0]
    else:
        raise ConfigError("import", t("data_import.cli.usage", formats=", ".join(IMPORT_FORMATS)))
    return chosen, Path(file)


def _print_plan(parsed: Any, plan: Any, path: Path, language: str) -> None:
    from dashboard.i18n import t

    _say(t("data_import.cli.file", language, file=path.name, format=t(f"data_import.format.{parsed.format}", language)))
    title = f"{parsed.table_code} – {parsed.title}" if parsed.table_code else parsed.title
    _say(t("data_import.cli.title", language, title=title))
    _say(t("data_import.cli.source", language, source=parsed.source))
    for note in parsed.notes:
        _say("  " + note.text(language))
    count = {name: formats.number(getattr(plan, name), language) for name in ("new", "changed", "unchanged")}
    _say(t("data_import.cli.values", language, **count))
    if plan.period_min is not None:
        first, last = formats.day(plan.period_min, language), formats.day(plan.period_max, language)
        _say(t("data_import.cli.periods", language, first=first, last=last))
    new_regions = formats.number(plan.new_regions.height, language)
    _say(t("data_import.cli.regions", language, levels=plan.levels_text(language), new=new_regions))
    if plan.new_indicators.height:
        _say(t("data_import.cli.new_indicators", language, count=formats.number(plan.new_indicators.height, language)))
        for code, name, unit in plan.new_indicators.iter_rows():
            _say(t("data_import.cli.indicator", language, code=code, name=name, unit=unit or "–"))
    if plan.units_to_fill:
        _say(t("data_import.cli.units_filled", language, count=plan.units_to_fill))


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.exc import IntegrityError

    from dashboard.data_access.observation_import import ImportConflict, apply_import, plan_import
    from dashboard.data_access.scope import DEMO_SCOPE, PermissionDenied
    from dashboard.i18n import t
    from dashboard.importers import FileFormatError, ImportFormat, read_file

    language = settings.language
    chosen, path = _import_target(args)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), t("data_import.cli.unreadable", language, reason=exc.strerror)) from None
    engine = _engine(settings)
    _require_schema(engine)
    try:
        parsed = read_file(data, path.name, format=None if chosen == "auto" else ImportFormat(chosen))
        plan = plan_import(engine, DEMO_SCOPE, parsed)
    except FileFormatError as exc:
        print(t("data_import.cli.file_error", language, file=path.name), file=sys.stderr)
        for issue in exc.issues:
            print(issue.text(language), file=sys.stderr)
        return 2
    except PermissionDenied:
        print(t("data_import.cli.denied", language), file=sys.stderr)
        return 2
    _print_plan(parsed, plan, path, language)
    if args.dry_run:
        _say(t("data_import.cli.dry_run", language))
        return 0
    if not plan.has_work:
        _say(t("data_import.cli.nothing_to_do", language))
        return 0
    live = sys.stderr.isatty()

    def progress(fraction: float, message: str) -> None:
        # On a terminal one line is redrawn; in a log every step is its own line.
        line = f"{formats.percent(fraction, language, decimals=0):>6}  {message}"
        print(f"\r{line}" if live else line, end="" if live else "\n", file=sys.stderr, flush=True)

    try:
        result = apply_import(engine, DEMO_SCOPE, parsed, progress=progress, language=language)
    except (ImportConflict, IntegrityError):
        # Another import wrote the same values meanwhile; the transaction is rolled back as a whole.
        print(("\n" if live else "") + t("data_import.cli.conflict", language), file=sys.stderr)
        return 1
    if live:
        print(file=sys.stderr)
    numbers = {
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "indicators": result.indicators_inserted,
        "regions": result.regions_inserted,
    }
    _say(t("data_import.cli.result", language, **{k: formats.number(v, language) for k, v in numbers.items()}))
    return 0


class PasswordInputError(Exception):
    """The password could not be read or its repetition differs (one German line, exit code 2)."""


def _new_password(args: argparse.Namespace, language: str) -> str | None:
    """The password from the first line of stdin (--password-stdin) or asked twice without echo; None: SSO only."""
    import getpass

    from dashboard.data_access.accounts import MIN_PASSWORD_LENGTH
    from dashboard.i18n import t

    if getattr(args, "no_password", False):
        if args.password_stdin:
            raise PasswordInputError(t("auth.cli.password_and_sso", language))
        return None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise PasswordInputError(t("auth.cli.password_stdin_empty", language))
        return password
    if not sys.stdin.isatty():
        raise PasswordInputError(t("auth.cli.no_terminal", language))
    password = getpass.getpass(t("auth.cli.password_prompt", language, minimum=MIN_PASSWORD_LENGTH))
    if getpass.getpass(t("auth.cli.password_repeat", language)) != password:
        raise PasswordInputError(t("auth.cli.password_mismatch", language))
    return password


def _users_list(engine: Engine, language: str) -> None:
    from dashboard.data_access.accounts import list_users
    from dashboard.data_access.scope import SYSTEM_SCOPE
    from dashboard.i18n import t

    users = list_users(engine, SYSTEM_SCOPE)
    if users.is_empty():
        _say(t("auth.cli.no_users", language))
        return
    from zoneinfo import ZoneInfo

    never = t("auth.cli.never", language)
    _say(t("auth.cli.header", language))
    for row in users.iter_rows(named=True):
        status = t("auth.cli.locked" if row["disabled"] else "auth.cli.active", language)
        if not row["has_password"]:
            status += f", {t('auth.cli.sso_only', language)}"
        last = row["last_login_at"]
        fields = [
            row["username"],
            row["role"],
            row["display_name"] or "–",
            ", ".join(row["alliances"]) or t("auth.cli.no_alliances", language),
            row["organisation"] or "–",
            status,
            formats.day(last.astimezone(ZoneInfo("Europe/Berlin")).date(), language) if last else never,
            str(row["failed_attempts"]),
        ]
        _say(" · ".join(fields))


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    """`cockpit users add|disable|enable|reset-password|list`: local accounts, checked and audited in data_access."""
    from dashboard.data_access import accounts
    from dashboard.data_access.scope import SYSTEM_SCOPE
    from dashboard.data_access.writes import NotFound, ValidationFailed
    from dashboard.i18n import t

    language = settings.language
    engine = _engine(settings)
    _require_schema(engine)
    try:
        if args.users_action == "list":
            _users_list(engine, language)
        elif args.users_action == "add":
            person = {
                "username": args.name,
                "role": args.role,
                "alliances": args.alliance,
                "organisation": args.organisation,
                "display_name": args.display_name or "",
            }
            accounts.check_new_user(engine, SYSTEM_SCOPE, **person)  # before asking for the password
            account = accounts.add_user(engine, SYSTEM_SCOPE, **person, password=_new_password(args, language))
            alliances = ", ".join(account.alliance_slugs) or t("auth.cli.no_alliances", language)
            role = t(f"auth.role.{account.role.value}", language)
            _say(t("auth.cli.created", language, username=account.username, role=role, alliances=alliances))
        elif args.users_action in ("disable", "enable"):
            change = accounts.disable_user if args.users_action == "disable" else accounts.enable_user
            done = change(engine, SYSTEM_SCOPE, args.name)
            key = f"{args.users_action}d" if done else f"already_{args.users_action}d"
            _say(t(f"auth.cli.{key}", language, username=accounts.normalise_username(args.name)))
        else:
            if accounts.find_account(engine, args.name) is None:
                raise NotFound(args.name)
            password = _new_password(args, language)
            assert password is not None
            accounts.reset_password(engine, SYSTEM_SCOPE, args.name, password)
            _say(t("auth.cli.password_reset", language, username=accounts.normalise_username(args.name)))
    except ValidationFailed as exc:
        print("Fehler – " + " ".join(error.text(language) for error in exc.errors), file=sys.stderr)
        return 2
    except NotFound:
        print("Fehler – " + t("auth.cli.unknown_user", language, username=args.name.strip()), file=sys.stderr)
        return 2
    except PasswordInputError as exc:
        print(f"Fehler – {exc}", file=sys.stderr)
        return 2
    return 0


def _add_users_commands(sub: Any) -> None:
    """`cockpit users …`: local accounts (Argon2id passwords) and SSO-only accounts."""
    from dashboard.data_access.vocabulary import Role

    users = sub.add_parser("users", help="Benutzerkonten verwalten: add, disable, enable, reset-password, list")
    actions = users.add_subparsers(dest="users_action", required=True)
    add = actions.add_parser(
        "add",
        help="Konto anlegen",
        description="Legt ein Konto an. Ohne --password-stdin wird das Passwort zweimal verdeckt abgefragt "
        "(mindestens 12 Zeichen); --no-password legt ein Konto nur für Single Sign-on an (NAME = E-Mail).",
    )
    add.add_argument("name", metavar="NAME", help="Benutzername oder E-Mail-Adresse (für Single Sign-on)")
    add.add_argument("--role", required=True, choices=[role.value for role in Role], help="Rolle")
    add.add_argument(
        "--alliance", action="append", default=[], help="Kürzel des Bündnisses (mehrfach möglich; admin: keins nötig)"
    )
    add.add_argument("--organisation", help="für --role member: Name des Partners wie in der Partnerliste")
    add.add_argument("--display-name", help="angezeigter Name (Standard: der Benutzername)")
    add.add_argument("--password-stdin", action="store_true", help="Passwort aus der ersten Zeile der Standardeingabe")
    add.add_argument("--no-password", action="store_true", help="kein Passwort: Anmeldung nur über Single Sign-on")
    for action, text in (("disable", "Konto sperren"), ("enable", "gesperrtes Konto entsperren")):
        actions.add_parser(action, help=text).add_argument("name", metavar="NAME")
    reset = actions.add_parser("reset-password", help="neues Passwort setzen (setzt Fehlversuche zurück)")
    reset.add_argument("name", metavar="NAME")
    reset.add_argument(
        "--password-stdin", action="store_true", help="Passwort aus der ersten Zeile der Standardeingabe"
    )
    actions.add_parser("list", help="alle Konten mit Rolle, Bündnissen, Status und letzter Anmeldung")
    users.set_defaults(handler=cmd_users)


def cmd_doctor(args: argparse.Namespace) -> int:
    """`cockpit doctor`: one line per check; reads the settings itself, so a bad one is a line like the others."""
    from dashboard.doctor import diagnose

    diagnosis = diagnose(
        os.environ, production=args.production, production_file=Path(args.config) if args.config else None
    )
    for line in diagnosis.lines():
        _say(line)
    return diagnosis.exit_code


def _add_doctor_command(sub: Any) -> None:
    doctor = sub.add_parser(
        "doctor",
        help="Einstellungen, Datenbank, Schema und Konten prüfen: eine Zeile je Prüfung",
        description="Prüft die COCKPIT_*-Einstellungen, ob die Datenbank erreichbar und ihr Schema aktuell ist, ob "
        "es Konten gibt und (mit --production) Streamlits Einstellungen für den Betrieb. Exit-Code 0: alles in "
        "Ordnung, 1: etwas ist falsch, 2: eine Einstellung ist unlesbar.",
    )
    doctor.add_argument(
        "--production",
        action="store_true",
        help="auch prüfen, was der Betrieb braucht: kein Demo-Modus, showErrorDetails none, allowedHosts, "
        "XSRF, gemeinsames cookieSecret",
    )
    doctor.add_argument(
        "--config", metavar="DATEI", help="Streamlit-Datei für den Betrieb wie bei `cockpit run --config`"
    )
    doctor.set_defaults(handler=cmd_doctor)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"kein Datum im Format JJJJ-MM-TT: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cockpit", description="Fachkräfte-Cockpit")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="Datenbank migrieren, bei Bedarf Demodaten laden und die App starten")
    run.add_argument("--port", type=int, help="Port (Standard: COCKPIT_PORT oder 8501)")
    run.add_argument("--headless", action="store_true", help="keinen Browser öffnen")
    run.add_argument("--no-seed", action="store_true", help="leere Datenbank nicht mit Demodaten füllen")
    run.add_argument(
        "--server.address",
        dest="address",
        metavar="ADRESSE",
        help="Adresse, auf der der Server lauscht (Standard: alle; im Demo-Modus nur 127.0.0.1)",
    )
    run.add_argument(
        "--config",
        metavar="DATEI",
        help="Streamlit-Einstellungen für den Betrieb, z. B. deploy/streamlit-production.toml (STREAMLIT_*-Variablen "
        "der Umgebung haben Vorrang)",
    )
    run.set_defaults(handler=cmd_run)

    db = sub.add_parser("db", help="Datenbankschema verwalten (Alembic)")
    db.add_argument("action", choices=["upgrade", "downgrade", "current"])
    db.add_argument("revision", nargs="?", help="Ziel-Revision (upgrade: Standard head; downgrade: Pflicht, z. B. -1)")
    db.set_defaults(handler=cmd_db)

    seed = sub.add_parser("seed", help="Demo-Bündnisse laden (idempotent)")
    seed.add_argument("--reset", action="store_true", help="vorhandene Demo-Bündnisse löschen und neu laden")
    seed.add_argument("--scale", choices=["small", "large"], help="großen Beispieldatenbestand erzeugen")
    seed.set_defaults(handler=cmd_seed)

    export = sub.add_parser("export", help="Daten exportieren")
    export.add_argument("what", choices=["projects"])
    export.add_argument("--alliance", required=True, help="Kürzel des Bündnisses, z. B. suedostniedersachsen")
    export.add_argument("--topic", action="append", default=[], help="Handlungsfeld (mehrfach möglich)")
    export.add_argument("--status", action="append", default=[], help="Status-Code, z. B. laufend")
    export.add_argument("--member", action="append", default=[], help="Partner (federführend oder beteiligt)")
    export.add_argument("--kreis", action="append", default=[], help="AGS des Kreises, z. B. 03153")
    export.add_argument("--fund", action="append", default=[], help="Fonds-Code, z. B. esf")
    export.add_argument("--from", dest="runs_from", type=_date, help="läuft ab (JJJJ-MM-TT)")
    export.add_argument("--to", dest="runs_to", type=_date, help="läuft bis (JJJJ-MM-TT)")
    export.add_argument("--search", help="Suchbegriff in Titel oder Beschreibung")
    export.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
    export.add_argument("--out", required=True, help="Zieldatei")
    export.set_defaults(handler=cmd_export)

    report = sub.add_parser("report", help="Berichte erstellen (Mittelverwendung für das Ministerium)")
    report.add_argument("what", choices=["funds"])
    report.add_argument("--alliance", required=True, help="Kürzel des Bündnisses, z. B. suedostniedersachsen")
    # Checked in the command, not by argparse, so a typo gives one German line and exit code 2.
    report.add_argument("--as-of", help="Stichtag JJJJ-MM-TT (Standard: heute in Deutschland)")
    report.add_argument("--fund", action="append", default=[], help="Fonds-Code, z. B. esf (mehrfach möglich)")
    report.add_argument("--lang", choices=["de", "en"], help="Sprache des Berichts (Standard: COCKPIT_LANGUAGE)")
    report.add_argument("--format", choices=["xlsx", "pdf"], required=True)
    report.add_argument("--out", required=True, help="Zieldatei")
    report.set_defaults(handler=cmd_report)

    _add_backup_commands(sub)

    imports = sub.add_parser(
        "import",
        help="Amtliche Regionalstatistik importieren: cockpit import [genesis|ffcsv|template] DATEI",
        description="Liest eine GENESIS-Tabelle („Tabelle als CSV“), ein GENESIS-Flat-File oder die Vorlage im "
        "Langformat, zeigt, was neu ist und was sich ändert, und schreibt alles in einer Transaktion.",
    )
    # One or two words, checked in the command: `cockpit import DATEI` and `cockpit import genesis DATEI`.
    imports.add_argument("target", nargs="+", metavar="[FORMAT] DATEI", help="Format (optional) und CSV-Datei")
    imports.add_argument("--format", choices=IMPORT_FORMATS, help="Format erzwingen (Standard: automatisch erkennen)")
    imports.add_argument("--dry-run", action="store_true", help="nur zeigen, was sich ändern würde")
    imports.set_defaults(handler=cmd_import)
    _add_users_commands(sub)
    _add_doctor_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging()
    args = build_parser().parse_args(argv)
    if args.handler is cmd_doctor:
        return cmd_doctor(args)
    try:
        settings = load_settings()
        return int(args.handler(args, settings))
    except ConfigError as exc:
        print(f"Konfigurationsfehler – {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""`cockpit users`: add, list, disable, enable, reset-password; passwords from stdin or asked twice; German errors."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from dashboard import cli
from dashboard.data_access import accounts, migrations
from dashboard.data_access.db import make_engine
from dashboard.data_access.models import AuditEntry, UserAccount
from seeds.loader import seed_demo

PASSWORD = "Geheim-und-lang-genug"
# The `cockpit` loggers' lines on stderr (dashboard.logging_setup): a timestamp, the level, the logger.
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?:INFO|WARNING|ERROR) cockpit\.[\w.]+: ")
T0 = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_answer_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-ins answer without padding their time (accounts.MIN_ANSWER_SECONDS) here."""
    monkeypatch.setattr(accounts, "pause", lambda seconds: None)


def without_log(err: str) -> str:
    """stderr without the log lines (account changes are logged at INFO besides the command's own answer)."""
    return "".join(line for line in err.splitlines(keepends=True) if not LOG_LINE.match(line))


def log_messages(err: str) -> list[str]:
    return [LOG_LINE.sub("", line) for line in err.splitlines() if LOG_LINE.match(line)]


@pytest.fixture
def database(empty_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A seeded database on each backend that the CLI reaches through COCKPIT_DATABASE_URL."""
    for name in [name for name in os.environ if name.startswith("COCKPIT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("COCKPIT_DATABASE_URL", empty_url)
    engine = make_engine(empty_url)
    migrations.upgrade(engine)
    seed_demo(engine)
    yield engine
    engine.dispose()


class Terminal(io.StringIO):
    """Standard input that says it is a terminal (the prompt path) or not (a pipe)."""

    def __init__(self, text: str = "", *, tty: bool) -> None:
        super().__init__(text)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str, stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", Terminal(stdin, tty=False))
    code = cli.main(["users", *args])
    out, err = capsys.readouterr()
    return code, out, without_log(err)


def users(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(UserAccount)).scalar_one())


def test_add_with_password_stdin_then_sign_in_and_list(
    database: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        monkeypatch, capsys, "add", "Admin", "--role", "admin", "--display-name", "Administration", "--password-stdin",
        stdin=PASSWORD + "\nzweite Zeile wird ignoriert\n",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert out == "Konto admin angelegt: Administration, Bündnisse: alle.\n"
    assert accounts.authenticate(database, "admin", PASSWORD) is not None
    assert PASSWORD not in out

    code, out, _ = run(monkeypatch, capsys, "list")
    assert code == 0
    assert out.splitlines() == [
        "Benutzername · Rolle · Name · Bündnisse · Organisation · Status · letzte Anmeldung · Fehlversuche",
        f"admin · admin · Administration · alle · – · aktiv · {today_in_germany()} · 0",
    ]


def today_in_germany() -> str:
    return datetime.now(ZoneInfo("Europe/Berlin")).strftime("%d.%m.%Y")


def test_add_a_member_with_organisation_and_an_sso_liaison(
    database: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        monkeypatch, capsys, "add", "partner", "--role", "member", "--alliance", "suedostniedersachsen",
        "--organisation", "Stadt Wolfsburg", "--password-stdin", stdin=PASSWORD,
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    assert out == "Konto partner angelegt: Partner, Bündnisse: suedostniedersachsen.\n"
    code, out, err = run(
        monkeypatch, capsys, "add", "Land@Example.org", "--role", "liaison", "--alliance", "landkreis-harz",
        "--alliance", "suedostniedersachsen", "--no-password",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert (
        out
        == "Konto land@example.org angelegt: Ministerium/Förderbank, Bündnisse: landkreis-harz, suedostniedersachsen.\n"
    )
    code, out, _ = run(monkeypatch, capsys, "list")
    assert out.splitlines()[1:] == [
        "land@example.org · liaison · – · landkreis-harz, suedostniedersachsen · – · aktiv, nur SSO · nie · 0",
        "partner · member · – · suedostniedersachsen · Stadt Wolfsburg · aktiv · nie · 0",
    ]


def test_without_password_stdin_the_password_is_asked_twice(
    database: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts: list[str] = []
    answers = iter([PASSWORD, PASSWORD, PASSWORD, PASSWORD + "!"])

    def getpass(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", getpass)
    monkeypatch.setattr("sys.stdin", Terminal(tty=True))
    assert cli.main(["users", "add", "sprecher", "--role", "speaker", "--alliance", "suedostniedersachsen"]) == 0
    assert prompts == ["Passwort (mindestens 12 Zeichen): ", "Passwort wiederholen: "]
    assert accounts.authenticate(database, "sprecher", PASSWORD) is not None

    assert cli.main(["users", "add", "zweiter", "--role", "speaker", "--alliance", "suedostniedersachsen"]) == 2
    err = without_log(capsys.readouterr().err)
    assert err == "Fehler – Die beiden Passwörter stimmen nicht überein; nichts geändert.\n"
    assert users(database) == 1


def test_a_pipe_without_password_stdin_is_refused_instead_of_hanging(
    database: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(monkeypatch, capsys, "add", "admin", "--role", "admin")
    assert code == 2
    assert err.startswith("Fehler – Kein Terminal für die Passwortabfrage: Passwort mit --password-stdin übergeben")
    code, _, err = run(monkeypatch, capsys, "add", "admin", "--role", "admin", "--password-stdin", stdin="\n")
    assert (code, err) == (2, "Fehler – Kein Passwort auf der Standardeingabe erhalten; nichts geändert.\n")
    assert users(database) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["x", "--role", "speaker", "--alliance", "atlantis"],
            "Fehler – Unbekanntes Bündnis atlantis; vorhanden: dessau-rosslau-zwk, landkreis-harz, "
            "suedostniedersachsen, suedwestfalen, wachstumsregion-dresden.",
        ),
        (
            ["x", "--role", "member", "--alliance", "landkreis-harz", "--organisation", "Stadt Wolfsburg"],
            "Fehler – Die Organisation „Stadt Wolfsburg“ ist kein Partner des Bündnisses landkreis-harz.",
        ),
        (
            ["x", "--role", "member", "--alliance", "landkreis-harz"],
            "Fehler – Ein Partner-Konto braucht seine Organisation (--organisation, Name wie in der Partnerliste).",
        ),
    ],
)
def test_bad_arguments_give_one_german_line_before_any_password_is_asked(
    database: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt: pytest.fail("asked for a password"))
    code, out, err = run(monkeypatch, capsys, "add", *args)
    assert (code, out, err) == (2, "", message + "\n")
    assert users(database) == 0


def test_a_weak_password_is_refused(
    database: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(monkeypatch, capsys, "add", "admin", "--role", "admin", "--password-stdin", stdin="kurz\n")
    assert (code, err) == (2, "Fehler – Das Passwort ist zu kurz: mindestens 12 Zeichen.\n")
    assert users(database) == 0


def test_disable_enable_and_reset_password(
    database: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run(monkeypatch, capsys, "add", "admin", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    assert run(monkeypatch, capsys, "disable", "ADMIN") == (0, "Konto admin gesperrt.\n", "")
    assert run(monkeypatch, capsys, "disable", "admin") == (0, "Konto admin war bereits gesperrt.\n", "")
    assert accounts.authenticate(database, "admin", PASSWORD, now=T0) is None
    assert "gesperrt" in run(monkeypatch, capsys, "list")[1].splitlines()[1]
    assert run(monkeypatch, capsys, "enable", "admin") == (0, "Konto admin entsperrt.\n", "")

    new = "ein-anderes-langes-passwort"
    code, out, err = run(monkeypatch, capsys, "reset-password", "admin", "--password-stdin", stdin=new)
    assert (code, out, err) == (0, "Neues Passwort für admin gesetzt; Fehlversuche zurückgesetzt.\n", "")
    assert accounts.authenticate(database, "admin", PASSWORD, now=T0 + timedelta(seconds=1)) is None
    assert accounts.authenticate(database, "admin", new, now=T0 + timedelta(seconds=2)) is not None
    with database.connect() as connection:
        trail = connection.execute(select(AuditEntry.action, AuditEntry.new_values)).all()
    assert [action for action, _ in trail] == ["create", "update", "update", "update"]
    assert PASSWORD not in repr(trail) and new not in repr(trail)


def test_unknown_accounts_are_named(
    database: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    message = "Fehler – Unbekanntes Konto niemand; vorhandene Konten zeigt `cockpit users list`.\n"
    for action in ("disable", "enable"):
        assert run(monkeypatch, capsys, action, "niemand") == (2, "", message)
    monkeypatch.setattr("getpass.getpass", lambda prompt: pytest.fail("asked for a password"))
    assert run(monkeypatch, capsys, "reset-password", "niemand") == (2, "", message)


def test_list_on_an_empty_database_says_how_to_create_the_first_admin(
    database: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(monkeypatch, capsys, "list") == (
        0,
        "Noch keine Benutzerkonten. Das erste Administrationskonto: cockpit users add admin --role admin\n",
        "",
    )


def test_account_changes_are_logged_with_a_timestamp_and_without_the_password(
    database: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal(PASSWORD, tty=False))
    assert cli.main(["users", "add", "admin", "--role", "admin", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", Terminal("ein-anderes-langes-passwort", tty=False))
    assert cli.main(["users", "reset-password", "admin", "--password-stdin"]) == 0
    assert cli.main(["users", "disable", "admin"]) == 0
    err = capsys.readouterr().err
    assert log_messages(err) == [
        "Konto 'admin' angelegt (admin) von cli",
        "Passwort von 'admin' neu gesetzt von cli",
        "Konto 'admin' gesperrt von cli",
    ]
    assert without_log(err) == ""
    assert PASSWORD not in err and "ein-anderes-langes-passwort" not in err and "$argon2" not in err

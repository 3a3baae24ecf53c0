"""User accounts on SQLite and PostgreSQL: Argon2id hashes, sign-in and its throttle, validation, scopes, audit."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col

from dashboard.data_access import accounts, migrations
from dashboard.data_access.accounts import add_user, authenticate, demo_scope, signin_delay, sso_account
from dashboard.data_access.db import make_engine
from dashboard.data_access.models import Alliance, AuditEntry, Member, UserAccount, UserAlliance, utcnow
from dashboard.data_access.scope import SYSTEM_SCOPE, PermissionDenied, Scope
from dashboard.data_access.vocabulary import Role
from dashboard.data_access.writes import NotFound, ValidationFailed
from seeds.loader import seed_demo

PASSWORD = "Kl4rtext-nie-speichern"
SOUTH_EAST = "suedostniedersachsen"
HARZ = "landkreis-harz"
T0 = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)  # the sign-in clock of the throttle tests


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pads of sign-in answers to MIN_ANSWER_SECONDS, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(accounts, "pause", recorded.append)
    return recorded


@pytest.fixture
def engine(empty_url: str) -> Iterator[Engine]:
    """A seeded database of its own per test: these tests write accounts."""
    engine = make_engine(empty_url)
    migrations.upgrade(engine)
    seed_demo(engine)
    yield engine
    engine.dispose()


def alliance_id(engine: Engine, slug: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(col(Alliance.id)).where(col(Alliance.slug) == slug)).scalar_one())


def first_member(engine: Engine, slug: str) -> tuple[int, str]:
    with engine.connect() as connection:
        row = connection.execute(
            select(col(Member.id), col(Member.name))
            .where(col(Member.alliance_id) == alliance_id(engine, slug))
            .order_by(col(Member.id))
        ).first()
    assert row is not None
    return int(row[0]), str(row[1])


def account_row(engine: Engine, username: str) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(select(UserAccount.__table__).where(col(UserAccount.username) == username)).first()
    assert row is not None
    return dict(row._mapping)


def count(engine: Engine, model: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar_one())


def audit_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(AuditEntry.__table__).where(col(AuditEntry.table_name) == "user_account").order_by(AuditEntry.id)
        ).all()
    return [dict(row._mapping) for row in rows]


def dump_all_tables(engine: Engine) -> str:
    """Every row of every table as text."""
    parts = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            parts += [repr(tuple(row)) for row in connection.execute(select(table))]
    return "\n".join(parts)


def speaker(engine: Engine, name: str = "sprecherin", **extra: Any) -> accounts.Account:
    return add_user(
        engine, SYSTEM_SCOPE, username=name, role="speaker", alliances=[SOUTH_EAST], password=PASSWORD, **extra
    )


def errors_of(excinfo: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {error.field: error.text("de") for error in excinfo.value.errors}


# --- passwords ---------------------------------------------------------------------------------------------------


def test_passwords_are_argon2id_and_appear_in_clear_in_no_table_and_no_log(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    speaker(engine)
    assert authenticate(engine, "sprecherin", PASSWORD) is not None
    assert authenticate(engine, "sprecherin", PASSWORD + "x") is None
    assert authenticate(engine, "niemand", PASSWORD) is None
    accounts.reset_password(engine, SYSTEM_SCOPE, "sprecherin", PASSWORD[::-1])
    assert authenticate(engine, "sprecherin", PASSWORD[::-1]) is not None

    stored = account_row(engine, "sprecherin")["password_hash"]
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PasswordHasher().verify(stored, PASSWORD[::-1])
    dump = dump_all_tables(engine)
    assert "sprecherin" in dump  # the dump does contain the account
    assert PASSWORD not in dump and PASSWORD[::-1] not in dump
    assert PASSWORD not in caplog.text and PASSWORD[::-1] not in caplog.text
    assert "Anmeldung fehlgeschlagen: Konto 'sprecherin', falsches Passwort" in caplog.text
    # An unknown name is logged without the name: it may be a password typed into the wrong field.
    assert "unbekanntes Konto (Name nicht protokolliert)" in caplog.text and "niemand" not in caplog.text
    assert {record.name for record in caplog.records if "Anmeldung" in record.getMessage()} == {"cockpit.auth"}


def test_audit_entries_of_account_changes_hold_no_password_and_no_hash(engine: Engine) -> None:
    member_id, organisation = first_member(engine, SOUTH_EAST)
    add_user(
        engine,
        SYSTEM_SCOPE,
        username="partner",
        role="member",
        alliances=[SOUTH_EAST],
        organisation=organisation,
        display_name="Partnerin",
        password=PASSWORD,
    )
    accounts.disable_user(engine, SYSTEM_SCOPE, "partner")
    accounts.enable_user(engine, SYSTEM_SCOPE, "partner")
    accounts.reset_password(engine, SYSTEM_SCOPE, "partner", PASSWORD + "-neu")

    rows = audit_rows(engine)
    user_id = str(account_row(engine, "partner")["id"])
    assert [(row["action"], row["user_name"], row["role"], row["record_id"]) for row in rows] == [
        ("create", "cli", "admin", user_id),
        ("update", "cli", "admin", user_id),
        ("update", "cli", "admin", user_id),
        ("update", "cli", "admin", user_id),
    ]
    assert rows[0]["new_values"] == {
        "username": "partner",
        "display_name": "Partnerin",
        "role": "member",
        "alliances": [SOUTH_EAST],
        "organisation": organisation,
        "disabled": False,
        "password_set": True,
    }
    assert (rows[1]["old_values"], rows[1]["new_values"]) == ({"disabled": False}, {"disabled": True})
    assert (rows[2]["old_values"], rows[2]["new_values"]) == ({"disabled": True}, {"disabled": False})
    assert rows[3]["new_values"] == {"password_reset": True}
    trail = repr(rows)
    assert "$argon2" not in trail and PASSWORD not in trail
    assert member_id in accounts.find_account(engine, "partner").scope().member_ids  # type: ignore[union-attr]


# --- signing in ----------------------------------------------------------------------------------------------------


def test_the_right_password_signs_in_with_the_accounts_scope(engine: Engine) -> None:
    speaker(engine, "Sprecherin")
    scope = authenticate(engine, "  SPRECHERIN ", PASSWORD)
    assert scope == Scope.for_alliances("sprecherin", Role.SPEAKER, [alliance_id(engine, SOUTH_EAST)])


def test_a_wrong_password_fails(engine: Engine) -> None:
    speaker(engine)
    assert authenticate(engine, "sprecherin", "Kl4rtext-nie-speichern ") is None
    assert authenticate(engine, "sprecherin", "") is None


def test_a_disabled_user_cannot_sign_in_until_enabled(engine: Engine) -> None:
    speaker(engine)
    assert accounts.disable_user(engine, SYSTEM_SCOPE, "sprecherin") is True
    assert accounts.disable_user(engine, SYSTEM_SCOPE, "sprecherin") is False  # nothing to do, nothing audited
    assert authenticate(engine, "sprecherin", PASSWORD, now=at(0)) is None
    assert accounts.find_account(engine, "sprecherin").disabled  # type: ignore[union-attr]
    assert account_row(engine, "sprecherin")["failed_attempts"] == 1
    assert accounts.enable_user(engine, SYSTEM_SCOPE, "sprecherin") is True
    assert authenticate(engine, "sprecherin", PASSWORD, now=at(1)) is not None
    assert len(audit_rows(engine)) == 3


def test_an_sso_only_account_has_no_password_to_guess(engine: Engine) -> None:
    add_user(engine, SYSTEM_SCOPE, username="Person@Example.org", role="liaison", alliances=[SOUTH_EAST, HARZ])
    assert account_row(engine, "person@example.org")["password_hash"] is None
    assert authenticate(engine, "person@example.org", "") is None
    assert authenticate(engine, "person@example.org", PASSWORD) is None


class CountingHasher:
    """PasswordHasher stand-in that counts verifications."""

    def __init__(self) -> None:
        self.real = PasswordHasher()
        self.verified = 0

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified += 1
        return self.real.verify(password_hash, password)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_unknown_users_cost_the_same_hashing_as_known_ones(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    speaker(engine)
    hasher = CountingHasher()
    monkeypatch.setattr(accounts, "_hasher", hasher)
    assert authenticate(engine, "sprecherin", "falsch-falsch-falsch") is None
    assert authenticate(engine, "gibt-es-nicht", "falsch-falsch-falsch") is None
    assert authenticate(engine, "x" * 5000, "falsch") is None
    assert hasher.verified == 3
    assert accounts.failed_attempts(engine, "gibt-es-nicht") == 0
    assert count(engine, UserAccount) == 1  # failures of unknown names create nothing


def test_failed_attempts_are_counted_and_slow_down_until_a_success_resets_them(engine: Engine) -> None:
    speaker(engine)
    delays, seconds = [], 0.0
    for attempt in range(1, 5):
        assert authenticate(engine, "sprecherin", f"falsch-{attempt}", now=at(seconds)) is None
        assert accounts.failed_attempts(engine, "SPRECHERIN") == attempt
        delays.append(signin_delay(accounts.failed_attempts(engine, "sprecherin")))
        seconds += delays[-1]  # each next attempt comes when the window has passed
    assert delays == [0.5, 1.0, 2.0, 4.0]
    row = account_row(engine, "sprecherin")
    assert row["failed_attempts"] == 4 and row["last_failed_at"] is not None and row["last_login_at"] is None

    assert authenticate(engine, "sprecherin", PASSWORD, now=at(seconds)) is not None
    row = account_row(engine, "sprecherin")
    assert row["failed_attempts"] == 0 and row["last_login_at"] is not None
    assert signin_delay(accounts.failed_attempts(engine, "sprecherin")) == 0
    assert row["version"] == 1  # sign-in bookkeeping is no edit: it does not bump the locking version


def test_the_delay_doubles_and_is_capped() -> None:
    assert [signin_delay(n) for n in (-1, 0, 1, 2, 3, 5, 6, 100, 10**9)] == [0, 0, 0.5, 1, 2, 8, 10, 10, 10]


def test_reset_password_clears_the_failures_and_checks_the_new_password(engine: Engine) -> None:
    speaker(engine)
    authenticate(engine, "sprecherin", "falsch-falsch-falsch", now=at(0))
    with pytest.raises(ValidationFailed) as excinfo:
        accounts.reset_password(engine, SYSTEM_SCOPE, "sprecherin", "kurz")
    assert errors_of(excinfo) == {"password": "Das Passwort ist zu kurz: mindestens 12 Zeichen."}
    assert accounts.failed_attempts(engine, "sprecherin") == 1  # the refused reset changed nothing…
    accounts.reset_password(engine, SYSTEM_SCOPE, "sprecherin", "ein-ganz-neues-passwort")
    assert accounts.failed_attempts(engine, "sprecherin") == 0  # …the accepted one clears the counter
    assert authenticate(engine, "sprecherin", PASSWORD, now=at(1)) is None
    assert authenticate(engine, "sprecherin", "ein-ganz-neues-passwort", now=at(2)) is not None
    with pytest.raises(NotFound):
        accounts.reset_password(engine, SYSTEM_SCOPE, "niemand", "ein-ganz-neues-passwort")


def test_an_outdated_hash_is_upgraded_at_the_next_sign_in(engine: Engine) -> None:
    speaker(engine)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with engine.begin() as connection:
        connection.execute(
            update(UserAccount).where(col(UserAccount.username) == "sprecherin").values(password_hash=weak)
        )
    assert authenticate(engine, "sprecherin", PASSWORD) is not None
    upgraded = account_row(engine, "sprecherin")["password_hash"]
    assert upgraded != weak and upgraded.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


# --- the throttle -------------------------------------------------------------------------------------------------


def test_the_right_password_is_refused_unchecked_inside_the_window_and_accepted_after_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    speaker(engine)
    hasher = CountingHasher()
    monkeypatch.setattr(accounts, "_hasher", hasher)
    assert authenticate(engine, "sprecherin", "falsch-falsch-falsch", now=at(0)) is None
    assert hasher.verified == 1

    # 0.5 s after the first failure: even the right password is refused, and not even checked.
    assert authenticate(engine, "sprecherin", PASSWORD, now=at(0.4)) is None
    assert hasher.verified == 1
    assert accounts.failed_attempts(engine, "sprecherin") == 2  # the throttled attempt counts…
    stamp = account_row(engine, "sprecherin")["last_failed_at"]
    assert accounts._utc(stamp) == at(0)  # …but does not move the window: a flood cannot lock the owner out longer
    # Two failures counted: the window is 1 s long, from the one failure that was checked; a third makes it 2 s.
    assert accounts.signin_locked_until(2, stamp) == at(1)
    assert authenticate(engine, "sprecherin", PASSWORD, now=at(0.99)) is None
    assert hasher.verified == 1 and accounts.failed_attempts(engine, "sprecherin") == 3
    assert authenticate(engine, "sprecherin", PASSWORD, now=at(1.5)) is None

    assert authenticate(engine, "sprecherin", PASSWORD, now=at(4)) is not None  # 4 counted: 0 s + 4 s
    assert hasher.verified == 2
    row = account_row(engine, "sprecherin")
    assert row["failed_attempts"] == 0 and accounts._utc(row["last_login_at"]) == at(4)
    assert accounts._utc(row["last_failed_at"]) == at(0)  # the last real failure stays on record


def test_the_throttle_holds_across_sessions_because_it_lives_in_the_database(empty_url: str) -> None:
    first = make_engine(empty_url)
    migrations.upgrade(first)
    seed_demo(first)
    speaker(first)
    for attempt, seconds in enumerate((0, 0.5, 1.5, 3.5, 7.5), start=1):  # each after the previous window
        assert authenticate(first, "sprecherin", f"falsch-{attempt}", now=at(seconds)) is None
    first.dispose()

    second = make_engine(empty_url)  # another process, browser or session: a new engine on the same database
    assert accounts.failed_attempts(second, "sprecherin") == 5
    assert authenticate(second, "sprecherin", PASSWORD, now=at(7.5 + 7.9)) is None  # 5 failures: 8 s window
    # That refusal made 6 failures: the window is now the longest, 10 s after the last checked failure.
    assert authenticate(second, "sprecherin", PASSWORD, now=at(7.5 + 9.9)) is None
    assert authenticate(second, "sprecherin", PASSWORD, now=at(7.5 + 10)) is not None
    second.dispose()


def test_a_clock_behind_the_stamp_does_not_lock(engine: Engine) -> None:
    speaker(engine)
    assert authenticate(engine, "sprecherin", "falsch-falsch-falsch", now=at(0)) is None
    # Another server whose clock is a minute behind: the stamp lies in its future, which is no window.
    assert authenticate(engine, "sprecherin", PASSWORD, now=at(-60)) is not None


def test_of_two_simultaneous_attempts_only_one_gets_its_password_checked(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    speaker(engine)
    hasher = CountingHasher()
    monkeypatch.setattr(accounts, "_hasher", hasher)
    real = accounts._throttled_until
    raced: list[Any] = []

    def racing(failures: int, last_failed_at: datetime | None, now: datetime) -> datetime | None:
        # The outer attempt has read the account (no failures); the other one runs to its end right now.
        if not raced:
            raced.append("running")
            raced.append(authenticate(engine, "sprecherin", "falsch-und-schneller", now=now))
        return real(failures, last_failed_at, now)

    monkeypatch.setattr(accounts, "_throttled_until", racing)
    assert authenticate(engine, "sprecherin", PASSWORD, now=at(0)) is None  # lost the compare-and-set
    assert raced == ["running", None]
    assert hasher.verified == 1  # only the attempt that counted first was checked
    assert accounts.failed_attempts(engine, "sprecherin") == 2


def test_every_answer_is_padded_to_the_same_minimum_time(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, pauses: list[float]
) -> None:
    speaker(engine)
    monkeypatch.setattr(accounts, "ticks", lambda: 100.0)  # a clock that stands still: nothing took any time
    authenticate(engine, "sprecherin", PASSWORD, now=at(0))  # right
    authenticate(engine, "sprecherin", "falsch-falsch-falsch", now=at(1))  # wrong
    authenticate(engine, "sprecherin", PASSWORD, now=at(1.1))  # throttled, unchecked
    authenticate(engine, "niemand", PASSWORD, now=at(2))  # unknown
    assert pauses == [accounts.MIN_ANSWER_SECONDS] * 4

    elapsed = iter([100.0, 100.0 + accounts.MIN_ANSWER_SECONDS + 1])
    monkeypatch.setattr(accounts, "ticks", lambda: next(elapsed))
    authenticate(engine, "niemand", PASSWORD, now=at(3))
    assert len(pauses) == 4  # an answer that took longer anyway is not delayed further


def test_argon2_runs_at_most_four_times_at_once(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    lock = threading.Lock()
    running = [0, 0]  # now, most at once

    class SlowHasher(CountingHasher):
        def verify(self, password_hash: str, password: str) -> bool:
            with lock:
                running[0] += 1
                running[1] = max(running[1], running[0])
            release.wait(timeout=30)
            with lock:
                running[0] -= 1
            return False

    monkeypatch.setattr(accounts, "_hasher", SlowHasher())
    accounts._dummy_hash()  # made once, outside the test's hasher
    threads = [
        threading.Thread(target=authenticate, args=(engine, f"flut-{n}", "x" * 20), kwargs={"now": at(0)})
        for n in range(10)
    ]
    for thread in threads:
        thread.start()
    waited = 0
    while running[0] < accounts.ARGON2_CONCURRENCY and waited < 3000:  # until the slots are full (a bound)
        threading.Event().wait(0.01)
        waited += 1
    threading.Event().wait(0.3)  # time for a fifth thread to get in, if the cap did not hold
    assert running[0] == accounts.ARGON2_CONCURRENCY == 4
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert running == [0, 4]


# --- error messages ---------------------------------------------------------------------------------------------


def test_a_failed_insert_shows_no_password_hash(engine: Engine) -> None:
    speaker(engine)
    password_hash = account_row(engine, "sprecherin")["password_hash"]
    now = utcnow()
    with pytest.raises(IntegrityError) as excinfo, engine.begin() as connection:
        connection.execute(
            insert(UserAccount).values(
                username="sprecherin", display_name="", role="speaker", password_hash=password_hash,
                disabled=False, failed_attempts=0, version=1, created_at=now, updated_at=now,
            )
        )  # fmt: skip
    assert "user_account" in str(excinfo.value)
    assert password_hash not in str(excinfo.value) and "$argon2" not in str(excinfo.value)


def test_a_name_taken_between_check_and_insert_is_a_field_error_and_writes_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = accounts._hash
    raced: list[bool] = []

    def meanwhile(password: str) -> str:
        # Another admin's `cockpit users add` wins the race after this one's checks passed.
        if not raced:
            raced.append(True)
            add_user(engine, SYSTEM_SCOPE, username="sprecherin", role="admin", password=PASSWORD[::-1])
        return real(password)

    monkeypatch.setattr(accounts, "_hash", meanwhile)
    with pytest.raises(ValidationFailed) as excinfo:
        speaker(engine)
    assert errors_of(excinfo) == {"username": "Das Konto sprecherin gibt es bereits."}
    assert excinfo.value.__cause__ is None and excinfo.value.__suppress_context__  # no SQL error rides along
    assert count(engine, UserAccount) == 1 and account_row(engine, "sprecherin")["role"] == "admin"
    assert len(audit_rows(engine)) == 1  # the winner's entry only


# --- validation ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"username": "   "}, "username", "Benutzername fehlt."),
        ({"username": "x" * 201}, "username", "Benutzername ist länger als 200 Zeichen."),
        ({"username": "zwei worte"}, "username", "Benutzername darf keine Leer- oder Steuerzeichen enthalten."),
        ({"role": "chef"}, "role", "Unbekannte Rolle chef; möglich: admin, speaker, member, liaison."),
        ({"alliances": ["atlantis"]}, "alliance", "Unbekanntes Bündnis atlantis; vorhanden: dessau-rosslau-zwk"),
        ({"alliances": []}, "alliance", "Mindestens ein Bündnis angeben (--alliance); vorhanden: dessau-rosslau"),
        ({"password": "elf-zeichen"}, "password", "Das Passwort ist zu kurz: mindestens 12 Zeichen."),
        (
            {"password": "Neue-Kollegin"},
            "password",
            "Das Passwort ist zu schwach: es darf nicht der Benutzername sein.",
        ),
        ({"password": " " * 20}, "password", "Das Passwort ist zu schwach: es darf nicht der Benutzername sein."),
        ({"organisation": "IHK"}, "organisation", "Eine Organisation gibt es nur bei der Rolle member (Partner)."),
        ({"display_name": "n" * 201}, "display_name", "Der Anzeigename ist länger als 200 Zeichen."),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(
    engine: Engine, changes: dict[str, Any], field: str, message: str
) -> None:
    person: dict[str, Any] = {
        "username": "neue-kollegin",
        "role": "speaker",
        "alliances": [SOUTH_EAST],
        "password": PASSWORD,
    } | changes
    with pytest.raises(ValidationFailed) as excinfo:
        add_user(engine, SYSTEM_SCOPE, **person)
    assert list(errors_of(excinfo)) == [field]
    assert errors_of(excinfo)[field].startswith(message)
    assert count(engine, UserAccount) == count(engine, UserAlliance) == count(engine, AuditEntry) == 0


def test_a_username_is_taken_whatever_its_case(engine: Engine) -> None:
    speaker(engine)
    with pytest.raises(ValidationFailed) as excinfo:
        speaker(engine, " SprecherIN")
    assert errors_of(excinfo) == {"username": "Das Konto sprecherin gibt es bereits."}
    assert count(engine, UserAccount) == 1


def test_several_problems_are_reported_together(engine: Engine) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        add_user(engine, SYSTEM_SCOPE, username="", role="member", alliances=["nirgendwo"], password="kurz")
    assert set(errors_of(excinfo)) == {"username", "alliance", "organisation", "password"}


def test_a_member_needs_an_organisation_of_each_of_its_alliances(engine: Engine) -> None:
    member_id, organisation = first_member(engine, SOUTH_EAST)
    _, elsewhere = first_member(engine, HARZ)
    base: dict[str, Any] = {"username": "partner", "role": Role.MEMBER, "alliances": [SOUTH_EAST]}
    with pytest.raises(ValidationFailed) as excinfo:
        add_user(engine, SYSTEM_SCOPE, **base)
    assert errors_of(excinfo)["organisation"].startswith("Ein Partner-Konto braucht seine Organisation")
    with pytest.raises(ValidationFailed) as excinfo:
        add_user(engine, SYSTEM_SCOPE, **base, organisation=elsewhere)
    assert errors_of(excinfo) == {
        "organisation": f"Die Organisation „{elsewhere}“ ist kein Partner des Bündnisses {SOUTH_EAST}."
    }
    with pytest.raises(ValidationFailed):
        add_user(engine, SYSTEM_SCOPE, **base | {"alliances": [SOUTH_EAST, HARZ]}, organisation=organisation)
    assert count(engine, UserAccount) == 0

    account = add_user(engine, SYSTEM_SCOPE, **base, organisation=f"  {organisation} ")
    assert (account.organisation, account.member_ids, account.has_password) == (organisation, (member_id,), False)
    assert sso_account(engine, "partner").scope() == Scope.for_alliances(  # type: ignore[union-attr]
        "partner", Role.MEMBER, [alliance_id(engine, SOUTH_EAST)], [member_id]
    )


def test_only_admins_manage_accounts(engine: Engine) -> None:
    speaker(engine)
    for role in (Role.SPEAKER, Role.MEMBER, Role.LIAISON):
        scope = Scope.for_alliances("jemand", role, [alliance_id(engine, SOUTH_EAST)])
        with pytest.raises(PermissionDenied):
            add_user(engine, scope, username="zweite", role="speaker", alliances=[SOUTH_EAST], password=PASSWORD)
        for change in (accounts.disable_user, accounts.enable_user):
            with pytest.raises(PermissionDenied):
                change(engine, scope, "sprecherin")
        with pytest.raises(PermissionDenied):
            accounts.reset_password(engine, scope, "sprecherin", "ein-ganz-neues-passwort")
        with pytest.raises(PermissionDenied):
            accounts.list_users(engine, scope)
    assert count(engine, UserAccount) == 1 and len(audit_rows(engine)) == 1


# --- scopes ---------------------------------------------------------------------------------------------------------


def scope_of(engine: Engine, username: str) -> Scope:
    account = accounts.find_account(engine, username)
    assert account is not None
    return account.scope()


def test_account_scopes_hold_alliances_and_member_ids(engine: Engine) -> None:
    south_east, harz = alliance_id(engine, SOUTH_EAST), alliance_id(engine, HARZ)
    add_user(engine, SYSTEM_SCOPE, username="Liaison@Land.example", role="liaison", alliances=[HARZ, SOUTH_EAST])
    add_user(engine, SYSTEM_SCOPE, username="root", role="admin", password=PASSWORD)
    add_user(engine, SYSTEM_SCOPE, username="halb-admin", role="admin", alliances=[HARZ])

    liaison = scope_of(engine, " LIAISON@land.example")  # SSO e-mails arrive in any case
    assert liaison == Scope.for_alliances("liaison@land.example", Role.LIAISON, [south_east, harz])
    assert liaison.can_read_alliance(harz) and not liaison.writes_anything
    assert scope_of(engine, "root") == Scope(user="root", role=Role.ADMIN)
    assert scope_of(engine, "halb-admin").reads_all_alliances
    assert accounts.find_account(engine, "unbekannt@land.example") is None
    assert accounts.has_users(engine)


def test_single_sign_on_reaches_only_enabled_accounts_without_a_password(engine: Engine) -> None:
    add_user(engine, SYSTEM_SCOPE, username="Liaison@Land.example", role="liaison", alliances=[HARZ])
    add_user(engine, SYSTEM_SCOPE, username="admin", role="admin", password=PASSWORD)
    add_user(engine, SYSTEM_SCOPE, username="admin@land.example", role="admin", password=PASSWORD)

    found = sso_account(engine, " LIAISON@land.example")
    assert found is not None and found.username == "liaison@land.example" and not found.has_password
    # A provider's identity named like a password account never becomes that account, the password admin least.
    assert sso_account(engine, "admin") is None and sso_account(engine, "admin@land.example") is None
    assert sso_account(engine, "unbekannt@land.example") is None
    accounts.disable_user(engine, SYSTEM_SCOPE, "liaison@land.example")
    assert sso_account(engine, "liaison@land.example") is None


def test_demo_scopes(engine: Engine) -> None:
    member_id, _ = first_member(engine, HARZ)
    with engine.connect() as connection:
        every = frozenset(connection.execute(select(col(Alliance.id))).scalars())
    assert demo_scope(engine, "admin") == Scope(user="demo-admin", role=Role.ADMIN)
    for role in (Role.SPEAKER, Role.LIAISON):
        scope = demo_scope(engine, role)
        assert (scope.role, scope.alliance_ids, scope.member_ids) == (role, every, frozenset())
    member = demo_scope(engine, Role.MEMBER, member_id=member_id)
    assert member == Scope.for_alliances("demo-member", Role.MEMBER, [alliance_id(engine, HARZ)], [member_id])
    with pytest.raises(ValueError, match="member_id"):
        demo_scope(engine, Role.MEMBER)
    with pytest.raises(NotFound):
        demo_scope(engine, Role.MEMBER, member_id=999_999)


def test_list_users_shows_accounts_without_hashes(engine: Engine) -> None:
    assert accounts.list_users(engine, SYSTEM_SCOPE).is_empty()
    assert not accounts.has_users(engine)
    _, organisation = first_member(engine, SOUTH_EAST)
    speaker(engine, display_name="Sprecherin Beispiel")
    add_user(engine, SYSTEM_SCOPE, username="partner", role="member", alliances=[SOUTH_EAST], organisation=organisation)
    add_user(engine, SYSTEM_SCOPE, username="land@example.org", role="liaison", alliances=[SOUTH_EAST, HARZ])
    accounts.disable_user(engine, SYSTEM_SCOPE, "partner")
    authenticate(engine, "sprecherin", PASSWORD)

    users = accounts.list_users(engine, SYSTEM_SCOPE)
    assert users.columns == list(accounts.USER_SCHEMA)
    assert "password_hash" not in users.columns and "$argon2" not in repr(users.rows())
    rows = {row["username"]: row for row in users.iter_rows(named=True)}
    assert list(rows) == ["land@example.org", "partner", "sprecherin"]
    assert rows["land@example.org"]["alliances"] == [HARZ, SOUTH_EAST]
    assert (rows["partner"]["organisation"], rows["partner"]["disabled"]) == (organisation, True)
    assert rows["sprecherin"]["display_name"] == "Sprecherin Beispiel"
    assert rows["sprecherin"]["has_password"] and not rows["partner"]["has_password"]
    assert rows["sprecherin"]["last_login_at"] is not None and rows["partner"]["last_login_at"] is None

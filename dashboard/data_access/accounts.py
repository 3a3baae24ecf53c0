"""User accounts: Argon2id passwords, sign-in throttled after failures, the scope a user acts in, demo scopes.

Managing accounts (add, disable, enable, reset a password) needs an admin scope and writes an audit entry in the
same transaction; audit values never hold a password or a hash. Sign-in bookkeeping (failed attempts, last
sign-in, a silent re-hash after a parameter upgrade) is not a data change: it goes to the ``cockpit.auth`` log,
never with the password.

Throttling lives in the database, so it holds across sessions, browsers and server processes: after a failure
the account refuses every attempt, without even checking the password, until ``signin_delay(failed_attempts)``
has passed since ``last_failed_at``. At most ``ARGON2_CONCURRENCY`` Argon2 computations (64 MiB each) run at once
in a process, so a flood of sign-ins queues instead of exhausting memory.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import polars as pl
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from dashboard.data_access import audit
from dashboard.data_access.models import Alliance, Member, UserAccount, UserAlliance, utcnow
from dashboard.data_access.scope import PermissionDenied, Scope
from dashboard.data_access.vocabulary import AuditAction, Role
from dashboard.data_access.writes import FieldError, NotFound, ValidationFailed

__all__ = [
    "ARGON2_CONCURRENCY",
    "MAX_SIGNIN_DELAY",
    "MIN_ANSWER_SECONDS",
    "MIN_PASSWORD_LENGTH",
    "Account",
    "add_user",
    "authenticate",
    "check_new_user",
    "demo_scope",
    "disable_user",
    "enable_user",
    "failed_attempts",
    "find_account",
    "has_users",
    "list_users",
    "normalise_username",
    "reset_password",
    "signin_delay",
    "signin_locked_until",
    "sso_account",
]

logger = logging.getLogger("cockpit.auth")

TABLE = "user_account"
MIN_PASSWORD_LENGTH = 12
# Argon2 hashes any length, but a megabyte "password" would only cost the server time.
MAX_PASSWORD_LENGTH = 1024
MAX_USERNAME_LENGTH = 200
MAX_DISPLAY_NAME_LENGTH = 200
# After a failure the account refuses sign-ins for 0.5 s, 1 s, 2 s, … at most this long.
FIRST_SIGNIN_DELAY = 0.5
MAX_SIGNIN_DELAY = 10.0
# Every sign-in answers after at least this long, whether refused unchecked, verified or right: the answer's
# timing does not tell a throttled account from an unknown name (one Argon2 check takes ~0.15 s on 2 cores).
MIN_ANSWER_SECONDS = 0.5
# Argon2 computations at once per process: each takes 64 MiB, so a flood of sign-ins waits here.
ARGON2_CONCURRENCY = 4

# argon2-cffi's defaults are RFC 9106's second recommendation: Argon2id, 64 MiB, 3 passes, 4 lanes.
_hasher = PasswordHasher()
_argon2_slots = threading.BoundedSemaphore(ARGON2_CONCURRENCY)
# Replaced in tests: the clock that times a sign-in's answer and the pause that pads it to MIN_ANSWER_SECONDS.
ticks: Callable[[], float] = time.monotonic
pause: Callable[[float], None] = time.sleep


@cache
def _dummy_hash() -> str:
    """A hash nobody knows the password of: unknown users cost the same verification time as real ones."""
    return _hasher.hash(secrets.token_urlsafe(32))


def _hash(password: str) -> str:
    with _argon2_slots:
        return _hasher.hash(password)


def _key(value: int | None) -> int:
    """A primary key read back from the database (typed optional only because new rows have none yet)."""
    if value is None:
        raise ValueError("missing primary key")
    return int(value)


def normalise_username(username: str) -> str:
    """Login names and SSO e-mail addresses compare trimmed and in lower case."""
    return unicodedata.normalize("NFC", username).strip().lower()


def signin_delay(failed_attempts: int) -> float:
    """Seconds an account refuses sign-ins after its last failure: doubling from 0.5 s, at most 10 s."""
    if failed_attempts <= 0:
        return 0.0
    return min(MAX_SIGNIN_DELAY, FIRST_SIGNIN_DELAY * 2 ** min(failed_attempts - 1, 16))


def _utc(value: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; they were stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def signin_locked_until(failed_attempts: int, last_failed_at: datetime | None) -> datetime | None:
    """Until when an account refuses sign-ins unchecked (None: not throttled)."""
    if failed_attempts <= 0 or last_failed_at is None:
        return None
    return _utc(last_failed_at) + timedelta(seconds=signin_delay(failed_attempts))


@dataclass(frozen=True)
class Account:
    """A user account as the app needs it (never with its password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    disabled: bool
    has_password: bool
    alliance_ids: tuple[int, ...]
    alliance_slugs: tuple[str, ...]
    member_ids: tuple[int, ...]
    organisation: str | None

    def scope(self) -> Scope:
        """What this user may read and change: admins every alliance, everyone else their own ones."""
        if self.role == Role.ADMIN:
            return Scope(user=self.username, role=Role.ADMIN)
        return Scope.for_alliances(self.username, self.role, self.alliance_ids, self.member_ids)


# --- reading ---------------------------------------------------------------------------------------------------


def _account(connection: Connection, username: str) -> Account | None:
    row = connection.execute(
        select(
            col(UserAccount.id),
            col(UserAccount.username),
            col(UserAccount.display_name),
            col(UserAccount.role),
            col(UserAccount.disabled),
            col(UserAccount.password_hash).is_not(None),
        ).where(col(UserAccount.username) == normalise_username(username))
    ).first()
    if row is None:
        return None
    links = connection.execute(
        select(col(Alliance.id), col(Alliance.slug), col(UserAlliance.member_id), col(Member.name))
        .join(Alliance, col(Alliance.id) == col(UserAlliance.alliance_id))
        .outerjoin(Member, col(Member.id) == col(UserAlliance.member_id))
        .where(col(UserAlliance.user_id) == row[0])
        .order_by(col(Alliance.slug))
    ).all()
    organisations = [name for *_, name in links if name is not None]
    return Account(
        id=_key(row[0]),
        username=row[1],
        display_name=row[2] or row[1],
        role=Role(row[3]),
        disabled=bool(row[4]),
        has_password=bool(row[5]),
        alliance_ids=tuple(_key(alliance_id) for alliance_id, *_ in links),
        alliance_slugs=tuple(slug for _, slug, *_ in links),
        member_ids=tuple(member_id for _, _, member_id, _ in links if member_id is not None),
        organisation=organisations[0] if organisations else None,
    )


def find_account(engine: Engine, username: str) -> Account | None:
    """The account with this login name (or SSO e-mail), disabled or not; None if there is none."""
    with engine.connect() as connection:
        return _account(connection, username)


def sso_account(engine: Engine, username: str) -> Account | None:
    """The account a single sign-on identity may act as: enabled and created without a password (``--no-password``;
    the username is the e-mail). None otherwise, so an identity provider can never sign someone in as a local
    password account, the password admin included."""
    account = find_account(engine, username)
    if account is None or account.disabled or account.has_password:
        return None
    return account


def has_users(engine: Engine) -> bool:
    """Whether any account exists (without one, the sign-in screen explains how to create the first admin)."""
    with engine.connect() as connection:
        return connection.execute(select(col(UserAccount.id)).limit(1)).first() is not None


def failed_attempts(engine: Engine, username: str) -> int:
    """Failed sign-ins since the last successful one (0 for unknown names)."""
    with engine.connect() as connection:
        found = connection.execute(
            select(col(UserAccount.failed_attempts)).where(col(UserAccount.username) == normalise_username(username))
        ).scalar_one_or_none()
    return int(found or 0)


USER_SCHEMA: dict[str, pl.DataType] = {
    "username": pl.String(),
    "display_name": pl.String(),
    "role": pl.String(),
    "disabled": pl.Boolean(),
    "has_password": pl.Boolean(),
    "failed_attempts": pl.Int64(),
    "last_failed_at": pl.Datetime(time_zone="UTC"),
    "last_login_at": pl.Datetime(time_zone="UTC"),
    "alliances": pl.List(pl.String()),
    "organisation": pl.String(),
}


def _require_admin(scope: Scope) -> None:
    if scope.role != Role.ADMIN:
        raise PermissionDenied(f"{scope.user} ({scope.role}) may not manage user accounts")


def list_users(engine: Engine, scope: Scope) -> pl.DataFrame:
    """Every account with its alliances (slugs) and organisation, by username; no password hashes. Admins only."""
    _require_admin(scope)
    with engine.connect() as connection:
        users = connection.execute(
            select(
                col(UserAccount.id),
                col(UserAccount.username),
                col(UserAccount.display_name),
                col(UserAccount.role),
                col(UserAccount.disabled),
                col(UserAccount.password_hash).is_not(None),
                col(UserAccount.failed_attempts),
                col(UserAccount.last_failed_at),
                col(UserAccount.last_login_at),
            ).order_by(col(UserAccount.username))
        ).all()
        links = connection.execute(
            select(col(UserAlliance.user_id), col(Alliance.slug), col(Member.name))
            .join(Alliance, col(Alliance.id) == col(UserAlliance.alliance_id))
            .outerjoin(Member, col(Member.id) == col(UserAlliance.member_id))
            .order_by(col(Alliance.slug))
        ).all()
    frame = pl.DataFrame(
        [tuple(row) for row in users],
        schema={"id": pl.Int64(), **{k: v for k, v in USER_SCHEMA.items() if k not in ("alliances", "organisation")}},
        orient="row",
    ).with_columns(pl.col("last_failed_at", "last_login_at").dt.replace_time_zone("UTC", non_existent="null"))
    by_user = (
        pl.DataFrame(
            [tuple(row) for row in links],
            schema={"id": pl.Int64(), "slug": pl.String(), "organisation": pl.String()},
            orient="row",
        )
        .group_by("id", maintain_order=True)
        .agg(pl.col("slug").alias("alliances"), pl.col("organisation").drop_nulls().first())
    )
    return (
        frame.join(by_user, on="id", how="left")
        .with_columns(pl.col("alliances").fill_null([]))
        .select(list(USER_SCHEMA))
        .cast(USER_SCHEMA)  # type: ignore[arg-type]
    )


# --- validation -------------------------------------------------------------------------------------------------


def _check_username(username: str, errors: list[FieldError]) -> str:
    name = normalise_username(username)
    if not name:
        errors.append(FieldError("username", "user.username_empty"))
    elif len(name) > MAX_USERNAME_LENGTH:
        errors.append(FieldError("username", "user.username_too_long", {"limit": MAX_USERNAME_LENGTH}))
    elif any(character.isspace() or not character.isprintable() for character in name):
        errors.append(FieldError("username", "user.username_characters"))
    return name


def _check_password(password: str, username: str, errors: list[FieldError]) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(FieldError("password", "user.password_short", {"minimum": MIN_PASSWORD_LENGTH}))
    elif len(password) > MAX_PASSWORD_LENGTH:
        errors.append(FieldError("password", "user.password_long", {"limit": MAX_PASSWORD_LENGTH}))
    elif normalise_username(password) == username or not password.strip():
        errors.append(FieldError("password", "user.password_weak"))


def _links(
    connection: Connection, role: Role, slugs: Sequence[str], organisation: str | None, errors: list[FieldError]
) -> list[tuple[int, str, int | None]]:
    """(alliance id, slug, member id) for each chosen alliance, or errors naming the unknown alliance/organisation."""
    wanted = list(dict.fromkeys(slug.strip().lower() for slug in slugs if slug.strip()))
    known = {
        slug: _key(alliance_id)
        for slug, alliance_id in connection.execute(
            select(col(Alliance.slug), col(Alliance.id)).order_by(col(Alliance.slug))
        ).all()
    }
    for slug in wanted:
        if slug not in known:
            errors.append(FieldError("alliance", "user.unknown_alliance", {"slug": slug, "known": ", ".join(known)}))
    if not wanted and role != Role.ADMIN:
        errors.append(FieldError("alliance", "user.alliance_missing", {"known": ", ".join(known)}))
    name = (organisation or "").strip()
    if role != Role.MEMBER:
        if name:
            errors.append(FieldError("organisation", "user.organisation_not_member"))
        return [(known[slug], slug, None) for slug in wanted if slug in known]
    if not name:
        errors.append(FieldError("organisation", "user.organisation_missing"))
        return []
    links: list[tuple[int, str, int | None]] = []
    for slug in (slug for slug in wanted if slug in known):
        member_id = connection.execute(
            select(col(Member.id)).where(col(Member.alliance_id) == known[slug], col(Member.name) == name).limit(1)
        ).scalar_one_or_none()
        if member_id is None:
            errors.append(FieldError("organisation", "user.unknown_organisation", {"name": name, "slug": slug}))
        links.append((known[slug], slug, member_id))
    return links


# --- managing accounts -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _NewUser:
    username: str
    role: Role
    display_name: str
    organisation: str | None
    links: list[tuple[int, str, int | None]]  # (alliance id, slug, member id)


def _new_user(
    connection: Connection,
    *,
    username: str,
    role: Role | str,
    alliances: Sequence[str],
    organisation: str | None,
    display_name: str,
    errors: list[FieldError],
) -> _NewUser:
    name = _check_username(username, errors)
    try:
        chosen_role = Role(role)
    except ValueError:
        errors.append(FieldError("role", "user.unknown_role", {"role": role, "known": ", ".join(Role)}))
        chosen_role = Role.LIAISON  # keeps validating the other fields
    shown_name = (display_name or "").strip()
    if len(shown_name) > MAX_DISPLAY_NAME_LENGTH:
        errors.append(FieldError("display_name", "user.display_name_too_long", {"limit": MAX_DISPLAY_NAME_LENGTH}))
    links = _links(connection, chosen_role, alliances, organisation, errors)
    if name and connection.execute(select(col(UserAccount.id)).where(col(UserAccount.username) == name)).first():
        errors.append(FieldError("username", "user.username_taken", {"username": name}))
    return _NewUser(name, chosen_role, shown_name, (organisation or "").strip() or None, links)


def check_new_user(
    engine: Engine,
    scope: Scope,
    *,
    username: str,
    role: Role | str,
    alliances: Sequence[str] = (),
    organisation: str | None = None,
    display_name: str = "",
) -> None:
    """Everything ``add_user`` checks except the password (the CLI asks for it only when the rest is right)."""
    _require_admin(scope)
    errors: list[FieldError] = []
    with engine.connect() as connection:
        _new_user(
            connection,
            username=username,
            role=role,
            alliances=alliances,
            organisation=organisation,
            display_name=display_name,
            errors=errors,
        )
    if errors:
        raise ValidationFailed(errors)


def add_user(
    engine: Engine,
    scope: Scope,
    *,
    username: str,
    role: Role | str,
    alliances: Sequence[str] = (),
    organisation: str | None = None,
    display_name: str = "",
    password: str | None = None,
) -> Account:
    """Create an account; ``password`` None makes an SSO-only account (the username is then the e-mail).

    Every role but admin needs at least one alliance (slugs); a member also its organisation, by the member's
    name, which must be a partner of every given alliance. Raises ValidationFailed (nothing written) or
    PermissionDenied (not an admin).
    """
    _require_admin(scope)
    errors: list[FieldError] = []
    with engine.begin() as connection:
        user = _new_user(
            connection,
            username=username,
            role=role,
            alliances=alliances,
            organisation=organisation,
            display_name=display_name,
            errors=errors,
        )
        if password is not None:
            _check_password(password, user.username, errors)
        if errors:
            raise ValidationFailed(errors)
        name, chosen_role, shown_name, links = user.username, user.role, user.display_name, user.links
        now = utcnow()
        values: dict[str, Any] = {
            "username": name,
            "display_name": shown_name,
            "role": chosen_role.value,
            "password_hash": None if password is None else _hash(password),
            "disabled": False,
            "failed_attempts": 0,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        try:
            inserted = connection.execute(insert(UserAccount).values(values))
        except IntegrityError as exc:
            # Another admin created the name between the check above and this insert (the unique index caught
            # it). The driver's message may quote the failing row, hash included: it goes nowhere.
            if "username" in str(exc.orig).lower():
                raise ValidationFailed([FieldError("username", "user.username_taken", {"username": name})]) from None
            raise RuntimeError(f"user_account: Einfügen abgelehnt ({type(exc.orig).__name__})") from None
        user_id = inserted.inserted_primary_key[0]  # type: ignore[index]
        if links:
            connection.execute(
                insert(UserAlliance),
                [{"user_id": user_id, "alliance_id": a, "member_id": m} for a, _, m in links],
            )
        audit.record(
            connection,
            scope,
            action=AuditAction.CREATE,
            table=TABLE,
            record_id=user_id,
            alliance_id=None,
            new={
                "username": name,
                "display_name": shown_name,
                "role": chosen_role.value,
                "alliances": [slug for _, slug, _ in links],
                "organisation": user.organisation,
                "disabled": False,
                "password_set": password is not None,
            },
        )
        account = _account(connection, name)
    assert account is not None
    logger.info("Konto %r angelegt (%s) von %s", name, chosen_role.value, scope.user)
    return account


def _existing(connection: Connection, username: str) -> tuple[int, bool, int]:
    """(id, disabled, version) of the account, or NotFound."""
    row = connection.execute(
        select(col(UserAccount.id), col(UserAccount.disabled), col(UserAccount.version)).where(
            col(UserAccount.username) == normalise_username(username)
        )
    ).first()
    if row is None:
        raise NotFound(f"no user account {normalise_username(username)!r}")
    return _key(row[0]), bool(row[1]), int(row[2])


def _set_disabled(engine: Engine, scope: Scope, username: str, *, disabled: bool) -> bool:
    _require_admin(scope)
    with engine.begin() as connection:
        user_id, was_disabled, version = _existing(connection, username)
        if was_disabled == disabled:
            return False
        connection.execute(
            update(UserAccount)
            .where(col(UserAccount.id) == user_id)
            .values(disabled=disabled, version=version + 1, updated_at=utcnow())
        )
        audit.record(
            connection,
            scope,
            action=AuditAction.UPDATE,
            table=TABLE,
            record_id=user_id,
            alliance_id=None,
            old={"disabled": was_disabled},
            new={"disabled": disabled},
        )
    logger.info("Konto %r %s von %s", normalise_username(username), "gesperrt" if disabled else "entsperrt", scope.user)
    return True


def disable_user(engine: Engine, scope: Scope, username: str) -> bool:
    """Lock an account out (its sessions end at their next rerun); False if it was disabled already."""
    return _set_disabled(engine, scope, username, disabled=True)


def enable_user(engine: Engine, scope: Scope, username: str) -> bool:
    """Let a disabled account sign in again; False if it was enabled already."""
    return _set_disabled(engine, scope, username, disabled=False)


def reset_password(engine: Engine, scope: Scope, username: str, password: str) -> None:
    """Set a new password and clear the failed-attempt counter (audited without the password)."""
    _require_admin(scope)
    with engine.begin() as connection:
        user_id, _, version = _existing(connection, username)
        errors: list[FieldError] = []
        _check_password(password, normalise_username(username), errors)
        if errors:
            raise ValidationFailed(errors)
        connection.execute(
            update(UserAccount)
            .where(col(UserAccount.id) == user_id)
            .values(
                password_hash=_hash(password),
                failed_attempts=0,
                last_failed_at=None,
                version=version + 1,
                updated_at=utcnow(),
            )
        )
        audit.record(
            connection,
            scope,
            action=AuditAction.UPDATE,
            table=TABLE,
            record_id=user_id,
            alliance_id=None,
            new={"password_reset": True},
        )
    logger.info("Passwort von %r neu gesetzt von %s", normalise_username(username), scope.user)


# --- signing in --------------------------------------------------------------------------------------------------


def _verify(password_hash: str | None, password: str) -> bool:
    with _argon2_slots:
        try:
            return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def authenticate(engine: Engine, username: str, password: str, *, now: datetime | None = None) -> Scope | None:
    """The user's scope if the password is right and the account enabled; None otherwise, the reason kept silent.

    While the account is throttled (``signin_locked_until``) every attempt is refused without checking the
    password, and counted. Otherwise the attempt is first counted as a failure with a compare-and-set on the
    counter, so of parallel attempts only one gets its password checked; a right password then clears the
    counter. Unknown names are checked against a dummy hash. Every answer comes after at least
    ``MIN_ANSWER_SECONDS``. Failures are logged without the password (unknown names without the name: people
    type their password into the name field). ``now`` is the clock, replaceable in tests.
    """
    started = ticks()
    try:
        return _authenticate(engine, username, password, now or utcnow())
    finally:
        remaining = MIN_ANSWER_SECONDS - (ticks() - started)
        if remaining > 0:
            pause(remaining)


def _throttled_until(failures: int, last_failed_at: datetime | None, now: datetime) -> datetime | None:
    """The end of the throttle window ``now`` falls in, or None. A stamp after ``now`` (clocks of two servers
    apart, a clock set back) does not lock: only a moment inside the window does."""
    if last_failed_at is None:
        return None
    locked_until = signin_locked_until(failures, last_failed_at)
    return locked_until if locked_until is not None and _utc(last_failed_at) <= now < locked_until else None


def _authenticate(engine: Engine, username: str, password: str, now: datetime) -> Scope | None:
    name = normalise_username(username)[:MAX_USERNAME_LENGTH]
    password = password[:MAX_PASSWORD_LENGTH]
    with engine.connect() as connection:
        row = connection.execute(
            select(
                col(UserAccount.id),
                col(UserAccount.password_hash),
                col(UserAccount.disabled),
                col(UserAccount.failed_attempts),
                col(UserAccount.last_failed_at),
            ).where(col(UserAccount.username) == name)
        ).first()
    if row is None:
        _verify(None, password)
        logger.warning("Anmeldung fehlgeschlagen: unbekanntes Konto (Name nicht protokolliert)")
        return None
    user_id, password_hash, disabled = _key(row[0]), row[1], bool(row[2])
    failures, last_failed_at = int(row[3]), row[4]
    locked_until = _throttled_until(failures, last_failed_at, now)
    counted = False
    if locked_until is None:
        with engine.begin() as connection:
            counted = (
                connection.execute(
                    update(UserAccount)
                    .where(col(UserAccount.id) == user_id, col(UserAccount.failed_attempts) == failures)
                    .values(failed_attempts=failures + 1, last_failed_at=now)
                ).rowcount
                == 1
            )
    if not counted:
        # Throttled, or a parallel attempt counted first: refused unchecked, counted, the window left as it is.
        with engine.begin() as connection:
            connection.execute(
                update(UserAccount)
                .where(col(UserAccount.id) == user_id)
                .values(failed_attempts=col(UserAccount.failed_attempts) + 1)
            )
        logger.warning(
            "Anmeldung abgelehnt: Konto %r nach %d Fehlversuchen gebremst bis %s, Passwort nicht geprüft",
            name,
            failures,
            (locked_until or now).isoformat(timespec="milliseconds"),  # no window: a parallel attempt counted first
        )
        return None
    password_ok = _verify(password_hash, password)
    if not password_ok or disabled:
        reason = "Konto gesperrt" if disabled and password_ok else "falsches Passwort"
        logger.warning("Anmeldung fehlgeschlagen: Konto %r, %s, Fehlversuch %d", name, reason, failures + 1)
        return None
    values: dict[str, Any] = {"failed_attempts": 0, "last_failed_at": last_failed_at, "last_login_at": now}
    if password_hash is not None and _hasher.check_needs_rehash(password_hash):
        # The hashing parameters were raised since this hash was made: store one with today's parameters.
        values["password_hash"] = _hash(password)
        logger.info("Passwort-Hash von %r auf aktuelle Argon2-Parameter gebracht", name)
    with engine.begin() as connection:
        connection.execute(update(UserAccount).where(col(UserAccount.id) == user_id).values(values))
        account = _account(connection, name)
    logger.info("Anmeldung: %r", name)
    return None if account is None else account.scope()


# --- demo mode ---------------------------------------------------------------------------------------------------


def _all_alliance_ids(connection: Connection) -> list[int]:
    return [_key(alliance_id) for alliance_id in connection.execute(select(col(Alliance.id))).scalars()]


def demo_scope(engine: Engine, role: Role | str, *, member_id: int | None = None) -> Scope:
    """The demo mode's scope of a role: speaker, liaison and admin over every alliance; a member acts for one
    organisation (its member row, ``member_id``) in that member's alliance."""
    chosen = Role(role)
    user = f"demo-{chosen.value}"
    if chosen == Role.ADMIN:
        return Scope(user=user, role=Role.ADMIN)
    with engine.connect() as connection:
        if chosen != Role.MEMBER:
            return Scope.for_alliances(user, chosen, _all_alliance_ids(connection))
        if member_id is None:
            raise ValueError("the demo member scope needs the member_id of an organisation")
        alliance_id = connection.execute(
            select(col(Member.alliance_id)).where(col(Member.id) == member_id)
        ).scalar_one_or_none()
    if alliance_id is None:
        raise NotFound(f"no member {member_id}")
    return Scope.for_alliances(user, Role.MEMBER, [alliance_id], [member_id])

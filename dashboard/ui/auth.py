"""Sign-in: the demo mode's role picker, local accounts and OIDC single sign-on, the idle timeout and sign-out.

Who is signed in lives in the session (``auth_user``, ``auth_method``, ``auth_last_active``); every run reads the
account again, so a disabled account or a changed role takes effect at the user's next click. A session ends after
``COCKPIT_SESSION_IDLE_MINUTES`` without a rerun. Single sign-on goes through Streamlit's ``st.login`` when
``.streamlit/secrets.toml`` has an ``[auth]`` section. An identity signs in only as an enabled account created
without a password (``accounts.sso_account``), found by an e-mail the provider vouches for (``email_verified``
true; Entra ID: the optional claim ``xms_edov``), or by ``preferred_username`` only from an issuer listed in
``[cockpit_sso] trusted_username_issuers``.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import streamlit as st
from sqlalchemy import Engine
from streamlit.delta_generator import DeltaGenerator

from dashboard.config import Settings
from dashboard.data_access import accounts, queries
from dashboard.data_access.scope import Scope
from dashboard.data_access.vocabulary import Role
from dashboard.i18n import t
from dashboard.ui.access import ROLE_ORDER
from dashboard.ui.text import plain

logger = logging.getLogger("cockpit.auth")

# Replaced in tests: the idle timeout, the SSO identity's age and the sign-in throttle are measured with clock(),
# a failed sign-in waits with sleep().
clock = time.time
sleep = time.sleep

USER = "auth_user"
METHOD = "auth_method"
LAST_ACTIVE = "auth_last_active"
NOTICE = "auth_notice"
FAILURES = "auth_failures"
DEMO_ROLE = "demo_role"
DEMO_MEMBER = "demo_member_id"
SSO_REFUSED = "auth_sso_refused"
# secrets.toml: [cockpit_sso] trusted_username_issuers = ["https://login.microsoftonline.com/<tenant>/v2.0"]
SSO_SETTINGS = "cockpit_sso"
# Session keys that survive the end of a session: the language, and the notice saying why it ended.
_KEPT = frozenset({"lang", NOTICE})


@dataclass(frozen=True)
class SignedIn:
    """Who uses this session. ``scope`` is None only for a demo partner, who picks the organisation after the
    alliance (``member_scope``)."""

    role: Role
    name: str
    method: str  # "demo", "password" or "sso"
    scope: Scope | None
    listing_scope: Scope  # the alliances the alliance picker offers
    organisation: str | None = None
    home_alliance_id: int | None = None


def role_label(role: Role, language: str) -> str:
    return t(f"auth.role.{role.value}", language)


# --- single sign-on --------------------------------------------------------------------------------------------


def sso_configured() -> bool:
    """Whether secrets.toml has an ``[auth]`` section (st.login's OIDC settings)."""
    try:
        return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)
    except Exception:  # a broken secrets file must not lock everyone out of the local sign-in
        return False


def _sso_identity() -> dict[str, Any]:
    identity = st.user.to_dict()
    return identity if identity.get("is_logged_in") else {}


def _claim_true(value: Any) -> bool:
    """A boolean claim that is true: JSON true, or the string "true" some providers send (never just truthy:
    the string "false" is truthy too)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _email_verified(identity: Mapping[str, Any]) -> bool:
    # Keycloak, Google and most providers send email_verified. Entra ID never does; its optional ID-token claim
    # xms_edov ("email domain owner verified") says the tenant owns the mail's domain, and counts only when
    # email_verified is absent altogether.
    if "email_verified" in identity:
        return _claim_true(identity["email_verified"])
    return _claim_true(identity.get("xms_edov"))


def sso_username(identity: Mapping[str, Any], trusted_username_issuers: Collection[str] = ()) -> str | None:
    """The account name an SSO identity may sign in as, or None.

    The ``email`` claim counts only when the provider says it verified it: anyone can type any address into a
    self-service profile. ``preferred_username`` is a name the user or another tenant may choose; it counts
    only from an issuer (``iss``, exactly) the administrator listed as trusted, e.g. the own Entra tenant for
    accounts without a mail attribute.
    """
    email = identity.get("email")
    if isinstance(email, str) and email.strip() and _email_verified(identity):
        return accounts.normalise_username(email)
    name = identity.get("preferred_username")
    issuer = identity.get("iss")
    if isinstance(name, str) and name.strip() and isinstance(issuer, str) and issuer in trusted_username_issuers:
        return accounts.normalise_username(name)
    return None


def trusted_username_issuers() -> frozenset[str]:
    """``[cockpit_sso] trusted_username_issuers`` of secrets.toml (none unless configured)."""
    try:
        section = st.secrets.get(SSO_SETTINGS) or {}
        issuers = section.get("trusted_username_issuers") or []
    except Exception:  # a broken secrets file trusts nobody's preferred_username
        return frozenset()
    if isinstance(issuers, str):
        issuers = [issuers]
    return frozenset(str(issuer).strip() for issuer in issuers if str(issuer).strip())


def _fresh(identity: dict[str, Any], idle_seconds: float) -> bool:
    """An identity cookie signs a new session in only if the provider issued it within the idle time; an older
    one (a reload after an idle timeout, a cookie from last week) needs a new round trip to the provider."""
    issued = identity.get("iat")
    return isinstance(issued, int | float) and 0 <= clock() - float(issued) <= idle_seconds


# --- the session -------------------------------------------------------------------------------------------------


def _end_session(notice: str | None) -> None:
    """Forget the sign-in and everything the user chose (a next user of this browser starts clean)."""
    for key in list(st.session_state.keys()):
        if key not in _KEPT:
            del st.session_state[key]
    if notice:
        st.session_state[NOTICE] = notice


def _start_session(username: str, method: str) -> None:
    _end_session(None)
    st.session_state.pop(NOTICE, None)
    st.session_state[USER] = username
    st.session_state[METHOD] = method
    st.session_state[LAST_ACTIVE] = clock()


def _sso_sign_in(engine: Engine, identity: dict[str, Any]) -> None:
    """Start a session for the identity's SSO account, or note why not (the sign-in screen says it)."""
    username = sso_username(identity, trusted_username_issuers())
    if username is None:
        logger.warning(
            "SSO-Anmeldung abgelehnt: keine bestätigte E-Mail (Anbieter %s, Aussteller %r)",
            identity.get("provider"),
            identity.get("iss"),
        )
        st.session_state[SSO_REFUSED] = ("unverified", "")
        return
    if accounts.sso_account(engine, username) is None:
        logger.warning("SSO-Anmeldung abgelehnt: kein aktives SSO-Konto %r", username)
        st.session_state[SSO_REFUSED] = ("no_account", username)
        return
    _start_session(username, "sso")
    logger.info("SSO-Anmeldung: %r", username)


def _signed_in_account(settings: Settings, engine: Engine) -> accounts.Account | None:
    idle_seconds = settings.access.session_idle_minutes * 60
    username = st.session_state.get(USER)
    if username and clock() - float(st.session_state.get(LAST_ACTIVE, 0)) > idle_seconds:
        _end_session("idle")
        return None
    if not username and sso_configured():
        identity = _sso_identity()
        if identity and _fresh(identity, idle_seconds):
            _sso_sign_in(engine, identity)
            username = st.session_state.get(USER)
    if not username:
        return None
    method = st.session_state.get(METHOD)
    if method == "sso":
        account = accounts.sso_account(engine, username)
    else:
        account = accounts.find_account(engine, username)
        account = None if account is None or account.disabled else account
    if account is None:
        _end_session(None if method == "sso" else "ended")
        if method == "sso":
            st.session_state[SSO_REFUSED] = ("no_account", username)
        return None
    st.session_state[LAST_ACTIVE] = clock()
    return account


def signed_in(settings: Settings, engine: Engine, language: str, area: DeltaGenerator) -> SignedIn | None:
    """Who uses this session, or None: then the caller shows ``sign_in_screen``. Demo mode renders its role
    picker into ``area`` (the sidebar) and is always signed in."""
    if settings.access.demo_mode:
        return _demo(engine, language, area)
    account = _signed_in_account(settings, engine)
    if account is None:
        return None
    scope = account.scope()
    return SignedIn(
        role=account.role,
        name=account.display_name,
        method=str(st.session_state.get(METHOD, "password")),
        scope=scope,
        listing_scope=scope,
        organisation=account.organisation,
    )


# --- demo mode ---------------------------------------------------------------------------------------------------


def _demo(engine: Engine, language: str, area: DeltaGenerator) -> SignedIn:
    area.warning(t("auth.demo.banner", language), icon=":material/science:")
    if accounts.has_users(engine):
        # Accounts mean real people use this database: the role picker bypasses every one of their passwords.
        area.error(t("auth.demo.accounts_exist", language), icon=":material/warning:")
    if st.session_state.get(DEMO_ROLE) not in [role.value for role in ROLE_ORDER]:
        st.session_state[DEMO_ROLE] = Role.SPEAKER.value
    role = Role(
        area.radio(
            t("auth.demo.role", language),
            options=[role.value for role in ROLE_ORDER],
            format_func=lambda code: role_label(Role(code), language),
            key=DEMO_ROLE,
            help=t("auth.demo.role_help", language),
        )
    )
    everything = accounts.demo_scope(engine, Role.ADMIN)
    if role != Role.MEMBER:
        return SignedIn(role, t("auth.demo.name", language), "demo", accounts.demo_scope(engine, role), everything)
    home = None
    member_id = st.session_state.get(DEMO_MEMBER)
    if isinstance(member_id, int):
        try:
            home = next(iter(accounts.demo_scope(engine, Role.MEMBER, member_id=member_id).alliance_ids or ()))
        except accounts.NotFound:
            st.session_state.pop(DEMO_MEMBER, None)
    return SignedIn(role, t("auth.demo.name", language), "demo", None, everything, home_alliance_id=home)


def _busiest_lead(engine: Engine, scope: Scope, alliance_id: int) -> int | None:
    """The member leading the most projects of the alliance (None without projects)."""
    projects = queries.project_portfolio(engine, scope, alliance_id)
    if projects.is_empty():
        return None
    leads = projects.group_by("lead_member_id").len().sort(["len", "lead_member_id"], descending=[True, False])
    return int(leads["lead_member_id"][0])


def member_scope(engine: Engine, alliance: dict[str, Any], language: str, area: DeltaGenerator) -> tuple[Scope, str]:
    """The demo partner's organisation picker (the chosen alliance's members): the scope and the organisation."""
    everything = accounts.demo_scope(engine, Role.ADMIN)
    members = queries.members(engine, everything, int(alliance["id"]))
    names = dict(zip(members["id"].to_list(), members["name"].to_list(), strict=True))
    if st.session_state.get(DEMO_MEMBER) not in names:
        # Start with the partner that leads the most projects, so the demo has something to edit.
        st.session_state[DEMO_MEMBER] = _busiest_lead(engine, everything, int(alliance["id"])) or members["id"][0]
    member_id = area.selectbox(
        t("auth.demo.organisation", language),
        options=list(names),
        format_func=names.__getitem__,
        key=DEMO_MEMBER,
        help=t("auth.demo.organisation_help", language),
    )
    return accounts.demo_scope(engine, Role.MEMBER, member_id=int(member_id)), names[member_id]


# --- the sidebar box and the screens ------------------------------------------------------------------------------


def account_box(user: SignedIn, organisation: str | None, language: str, area: DeltaGenerator) -> None:
    """Who is signed in (name, role, organisation) and the sign-out button."""
    who = t("auth.signed_in_as", language, name=user.name, role=role_label(user.role, language))
    if organisation:
        who += " · " + organisation
    area.caption(plain(who))
    if user.method == "demo":
        return
    if area.button(t("auth.sign_out", language), key="auth_sign_out", icon=":material/logout:"):
        _end_session("signed_out")
        if user.method == "sso":
            st.logout()
        st.rerun()


def denied(title: str, roles: list[Role], language: str) -> None:
    """A page this role may not open, reached through its URL."""
    labels = [role_label(role, language) for role in roles]
    named = t("auth.or", language).join([", ".join(labels[:-1]), labels[-1]] if len(labels) > 1 else labels)
    st.error(t("auth.denied", language, page=title, roles=named), icon=":material/lock:")


def _notice(language: str) -> None:
    notice = st.session_state.pop(NOTICE, None)
    if notice == "idle":
        st.info(t("auth.notice.idle", language), icon=":material/timer_off:")
    elif notice == "ended":
        st.warning(t("auth.notice.ended", language), icon=":material/block:")
    elif notice == "signed_out":
        st.success(t("auth.notice.signed_out", language), icon=":material/logout:")


def _password_form(engine: Engine, language: str) -> None:
    with st.form("signin", clear_on_submit=True, enter_to_submit=True):
        username = st.text_input(t("auth.username", language), key="signin_user", autocomplete="username")
        password = st.text_input(
            t("auth.password", language), type="password", key="signin_password", autocomplete="current-password"
        )
        submitted = st.form_submit_button(t("auth.sign_in", language), type="primary", icon=":material/login:")
    if not submitted:
        return
    now = datetime.fromtimestamp(clock(), tz=UTC)
    scope = accounts.authenticate(engine, username, password, now=now) if username and password else None
    del st.session_state["signin_password"]  # the form clears the field in the browser; the server forgets it too
    if scope is not None:
        st.session_state.pop(FAILURES, None)
        _start_session(accounts.normalise_username(username), "password")
        st.rerun()
    # The account refuses sign-ins for signin_delay after a failure (accounts.authenticate, in the database):
    # that is what stops an attacker. This wait only keeps a person who retypes from landing inside that window.
    # It counts this session's failures only, so it tells nothing about whether the name exists.
    failures = st.session_state.get(FAILURES, 0) + 1
    st.session_state[FAILURES] = failures
    sleep(accounts.signin_delay(failures))
    st.error(t("auth.failed", language), icon=":material/error:")


def sso_providers() -> list[str | None]:
    """The providers of secrets.toml's [auth]: its named sub-sections, or the one unnamed provider (None)."""
    named = [name for name, value in st.secrets["auth"].items() if isinstance(value, Mapping)]
    return list(named) or [None]


def authlib_installed() -> bool:
    """st.login needs Authlib (``streamlit[auth]``); without it the button would fail on the click."""
    return importlib.util.find_spec("authlib") is not None


def _sso_buttons(language: str) -> None:
    if not authlib_installed():
        st.warning(t("auth.sso.authlib_missing", language), icon=":material/warning:")
        return
    providers = sso_providers()
    for provider in providers:
        label = t("auth.sso.button", language)
        if len(providers) > 1:
            label += f" ({provider})"
        if st.button(label, key=f"auth_sso_{provider or 'default'}", icon=":material/key:"):
            st.login(provider)


def sign_in_screen(engine: Engine, language: str) -> None:
    """The sign-in page (local form, single sign-on if configured, how to create the first admin); stops the run."""
    st.title(t("auth.title", language))
    refused = st.session_state.pop(SSO_REFUSED, None)
    if refused:
        reason, email = refused
        if reason == "no_account":
            message = t("auth.sso.no_account", language, email=plain(email))
        else:
            message = t("auth.sso.unverified", language)
        st.error(message, icon=":material/person_off:")
        if st.button(t("auth.sign_out", language), key="auth_sso_sign_out", icon=":material/logout:"):
            st.logout()
        st.stop()
    _notice(language)
    if not accounts.has_users(engine):
        st.info(t("auth.no_users", language), icon=":material/person_add:")
        st.code("cockpit users add admin --role admin --display-name Administration", language="bash")
        st.caption(t("auth.no_users_demo", language))
    st.caption(t("auth.intro", language))
    _password_form(engine, language)
    if sso_configured():
        st.divider()
        _sso_buttons(language)
    st.stop()

"""AppTest of signing in: demo role picker, menus per role, "Kein Zugriff", password sign-in and its throttle, SSO
identity mapping, idle timeout."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit
from sqlalchemy import Engine, func, select
from sqlmodel import col
from streamlit.testing.v1 import AppTest

from dashboard.data_access import accounts, migrations
from dashboard.data_access.db import make_engine
from dashboard.data_access.models import Alliance, Member, Project
from dashboard.data_access.scope import SYSTEM_SCOPE
from dashboard.ui import auth
from seeds.loader import seed_demo
from tests.app.conftest import APP

PASSWORD = "richtig-und-lang-genug"
EVERY_PAGE = [
    "Übersicht",
    "Projekte",
    "Anträge & Stellungnahmen",
    "Mittelverwendung",
    "Ziele & Wirkung",
    "Region",
    "Partner",
    "Bündnisvergleich",
    "Daten pflegen",
    "Daten importieren",
    "Änderungsprotokoll",
]
MENUS = {
    "admin": EVERY_PAGE,
    "speaker": EVERY_PAGE,
    "member": [
        "Übersicht",
        "Projekte",
        "Anträge & Stellungnahmen",
        "Ziele & Wirkung",
        "Region",
        "Partner",
        "Daten pflegen",
    ],
    "liaison": [
        "Übersicht",
        "Projekte",
        "Anträge & Stellungnahmen",
        "Mittelverwendung",
        "Ziele & Wirkung",
        "Region",
        "Partner",
        "Bündnisvergleich",
    ],
}


class Menu:
    """Records what each run hands to st.navigation: every page registered, and the ones shown in the menu."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.registered: list[str] = []
        self.shown: list[str] = []
        real = streamlit.navigation

        self.objects: list[Any] = []

        def spy(pages: dict[str, list[Any]], **kwargs: Any) -> Any:
            every = [page for section in pages.values() for page in section]
            self.objects = every
            self.registered = [page.title for page in every]
            self.shown = [page.title for page in every if page.visibility == "visible"]
            return real(pages, **kwargs)

        monkeypatch.setattr(streamlit, "navigation", spy)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def menu(monkeypatch: pytest.MonkeyPatch) -> Menu:
    return Menu(monkeypatch)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(auth, "clock", fake)
    return fake


@pytest.fixture(autouse=True)
def no_answer_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-ins answer without padding their time (accounts.MIN_ANSWER_SECONDS) here."""
    monkeypatch.setattr(accounts, "pause", lambda seconds: None)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> list[float]:
    """The sign-in form's waits after failures, recorded instead of slept; the clock moves on by as much."""
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        clock.now += seconds

    monkeypatch.setattr(auth, "sleep", sleep)
    return waited


def texts(elements: Any) -> list[str]:
    return [element.value for element in elements]


def first_member(url: str, slug: str = "suedostniedersachsen") -> tuple[int, str]:
    engine = make_engine(url)
    with engine.connect() as connection:
        row = connection.execute(
            select(col(Member.id), col(Member.name))
            .join(Alliance, col(Alliance.id) == col(Member.alliance_id))
            .where(col(Alliance.slug) == slug)
            .order_by(col(Member.name))
        ).first()
    engine.dispose()
    assert row is not None
    return int(row[0]), str(row[1])


def busiest_lead(url: str, slug: str = "suedostniedersachsen") -> tuple[int, str]:
    """The partner leading the most projects of the alliance (the demo partner's first organisation)."""
    engine = make_engine(url)
    with engine.connect() as connection:
        row = connection.execute(
            select(col(Member.id), col(Member.name))
            .join(Project, col(Project.lead_member_id) == col(Member.id))
            .join(Alliance, col(Alliance.id) == col(Project.alliance_id))
            .where(col(Alliance.slug) == slug, col(Project.archived_at).is_(None))
            .group_by(col(Member.id), col(Member.name))
            .order_by(func.count().desc(), col(Member.id))
        ).first()
    engine.dispose()
    assert row is not None
    return int(row[0]), str(row[1])


# --- demo mode ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo mode runs on SQLite only (the refusal on PostgreSQL has its own test): a seeded file of its own."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'cockpit.sqlite3'}"
    engine = make_engine(url)
    migrations.upgrade(engine)
    seed_demo(engine)
    engine.dispose()
    return url


def test_demo_mode_starts_as_speaker_with_a_labelled_banner(
    demo_url: str, monkeypatch: pytest.MonkeyPatch, menu: Menu
) -> None:
    monkeypatch.setenv("COCKPIT_DATABASE_URL", demo_url)
    monkeypatch.setenv("COCKPIT_DEMO_MODE", "1")
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception, app.exception
    assert app.sidebar.warning[0].value.startswith("**Demo-Modus** – Rollen ohne Passwort wählbar")
    picker = app.radio(key=auth.DEMO_ROLE)
    assert (picker.label, picker.value) == ("Rolle (Demo)", "speaker")
    assert picker.options == [
        "Sprecher/in",
        "Partner",
        "Ministerium/Förderbank",
        "Administration",
    ]
    assert "Angemeldet\\: Demo\\-Zugang \\(Sprecher/in\\)" in texts(app.sidebar.caption)
    assert not any(button.label == "Abmelden" for button in app.button)  # nothing to sign out of
    assert menu.shown == EVERY_PAGE == menu.registered
    assert app.title[0].value == "Fachkräftebündnis SüdOstNiedersachsen"


@pytest.mark.parametrize("role", ["admin", "speaker", "member", "liaison"])
def test_each_role_sees_its_own_menu(demo_url: str, app_for: Callable[..., AppTest], menu: Menu, role: str) -> None:
    member_id = first_member(demo_url)[0] if role == "member" else None
    app = app_for(demo_url, role=role, member_id=member_id).run()
    assert not app.exception, app.exception
    assert menu.shown == MENUS[role]
    assert menu.registered == EVERY_PAGE  # the others stay reachable by URL, to say "Kein Zugriff"


def test_each_run_gets_its_own_menu_pages_in_its_language(
    demo_url: str, app_for: Callable[..., AppTest], menu: Menu
) -> None:
    # app.py builds each page once per process and hands every run copies: st.navigation marks the page it returns
    # as callable and page.run() unmarks it, so two sessions must never share one object.
    app = app_for(demo_url, role="speaker").run()
    first, german = menu.objects, menu.registered
    app.run()
    assert not {id(page) for page in first} & {id(page) for page in menu.objects}
    assert menu.registered == german
    app.selectbox(key="lang").set_value("en").run()
    assert not app.exception, app.exception
    assert "Change log" in menu.registered and "Änderungsprotokoll" not in menu.registered
    other = app_for(demo_url, role="liaison").run()
    assert not other.exception, other.exception
    assert menu.shown == MENUS["liaison"]


def test_a_member_opening_the_fund_page_by_url_gets_no_access(
    demo_url: str, app_for: Callable[..., AppTest], menu: Menu
) -> None:
    member_id, organisation = first_member(demo_url)
    app = app_for(demo_url, role="member", member_id=member_id).run()
    assert app.selectbox(key=auth.DEMO_MEMBER).value == member_id
    assert app.selectbox(key="alliance").value == "suedostniedersachsen"
    assert any(organisation in caption for caption in texts(app.sidebar.caption))
    assert "Mittelverwendung" not in menu.shown

    app.switch_page("dashboard/pages/funds.py").run()
    assert not app.exception, app.exception
    assert texts(app.main.error) == [
        "Kein Zugriff: „Mittelverwendung“ ist für Ihre Rolle nicht freigegeben, "
        "nur für Sprecher/in, Ministerium/Förderbank oder Administration."
    ]
    assert not app.metric and not app.main.title  # the page itself did not run


def test_a_liaison_has_no_data_upkeep_and_no_import(demo_url: str, app_for: Callable[..., AppTest], menu: Menu) -> None:
    app = app_for(demo_url, role="liaison").run()
    assert "Daten pflegen" not in menu.shown and "Daten importieren" not in menu.shown
    for page, title in (("maintain.py", "Daten pflegen"), ("data_import.py", "Daten importieren")):
        app.switch_page(f"dashboard/pages/{page}").run()
        assert not app.exception, app.exception
        assert app.main.error[0].value.startswith(f"Kein Zugriff: „{title}“")
    app.switch_page("dashboard/pages/funds.py").run()
    assert app.main.title[0].value == "Mittelverwendung"
    assert not [text for text in texts(app.main.error) if text.startswith("Kein Zugriff")]


def test_switching_the_demo_role_changes_menu_and_organisation_picker(
    demo_url: str, app_for: Callable[..., AppTest], menu: Menu
) -> None:
    app = app_for(demo_url, role="speaker").run()
    assert auth.DEMO_MEMBER not in [selectbox.key for selectbox in app.selectbox]
    app.radio(key=auth.DEMO_ROLE).set_value("member").run()
    assert not app.exception, app.exception
    assert menu.shown == MENUS["member"]
    organisations = app.selectbox(key=auth.DEMO_MEMBER)
    member_id, organisation = busiest_lead(demo_url)
    assert organisations.value == member_id  # the partner leading most projects: the demo has something to edit
    assert organisation in organisations.options
    app.selectbox(key="alliance").set_value("landkreis-harz").run()
    harz_member, harz_name = busiest_lead(demo_url, "landkreis-harz")
    assert app.selectbox(key=auth.DEMO_MEMBER).value == harz_member
    assert any(harz_name in caption for caption in texts(app.sidebar.caption))
    app.radio(key=auth.DEMO_ROLE).set_value("liaison").run()
    assert menu.shown == MENUS["liaison"]


def test_demo_mode_warns_in_the_sidebar_when_the_database_has_accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cockpit.sqlite3'}"
    engine = make_engine(url)
    migrations.upgrade(engine)
    seed_demo(engine)
    monkeypatch.setenv("COCKPIT_DATABASE_URL", url)
    monkeypatch.setenv("COCKPIT_DEMO_MODE", "1")
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.sidebar.error  # no accounts: the demo banner alone
    add_speaker(engine)
    engine.dispose()
    app.run()
    assert not app.exception, app.exception
    assert app.sidebar.warning[0].value.startswith("**Demo-Modus**")
    assert app.sidebar.error[0].value.startswith("**Achtung: diese Datenbank hat Benutzerkonten.** Im Demo-Modus")


def test_demo_mode_is_refused_on_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_DATABASE_URL", "postgresql://cockpit@db.example.org/cockpit")
    monkeypatch.setenv("COCKPIT_DEMO_MODE", "1")
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    assert app.error[0].value.startswith("Die Konfiguration ist fehlerhaft: COCKPIT_DEMO_MODE: der Demo-Modus")
    assert not app.text_input and not app.radio


# --- production sign-in -------------------------------------------------------------------------------------------


@pytest.fixture
def database(empty_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A seeded database of its own (these tests add accounts), with the demo mode off."""
    engine = make_engine(empty_url)
    migrations.upgrade(engine)
    seed_demo(engine)
    monkeypatch.setenv("COCKPIT_DATABASE_URL", empty_url)
    monkeypatch.delenv("COCKPIT_DEMO_MODE", raising=False)
    monkeypatch.setenv("COCKPIT_SESSION_IDLE_MINUTES", "30")
    yield engine
    engine.dispose()


def add_speaker(engine: Engine, username: str = "sprecherin") -> None:
    accounts.add_user(
        engine,
        SYSTEM_SCOPE,
        username=username,
        role="speaker",
        alliances=["suedostniedersachsen"],
        display_name="Sprecherin Beispiel",
        password=PASSWORD,
    )


def sign_in(app: AppTest, username: str, password: str) -> AppTest:
    app.text_input(key="signin_user").input(username)
    app.text_input(key="signin_password").input(password)
    next(button for button in app.button if button.label == "Anmelden").click().run()
    assert not app.exception, app.exception
    return app


def on_sign_in_screen(app: AppTest) -> bool:
    return app.title[0].value == "Anmelden" and bool(app.text_input(key="signin_password"))


def test_the_right_password_signs_in_and_sign_out_ends_it(
    database: Engine, menu: Menu, waits: list[float], clock: Clock
) -> None:
    add_speaker(database)
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert on_sign_in_screen(app) and menu.shown == [] and menu.registered == EVERY_PAGE
    assert not app.code  # accounts exist: no hint how to create the first one
    sign_in(app, " Sprecherin ", PASSWORD)
    assert app.title[0].value == "Fachkräftebündnis SüdOstNiedersachsen"
    assert "Angemeldet\\: Sprecherin Beispiel \\(Sprecher/in\\)" in texts(app.sidebar.caption)
    assert menu.shown == EVERY_PAGE and waits == []
    assert app.selectbox(key="alliance").options == ["SüdOstNiedersachsen"]  # only the account's alliances
    assert app.session_state[auth.USER] == "sprecherin"
    assert accounts.find_account(database, "sprecherin") is not None

    next(button for button in app.button if button.label == "Abmelden").click().run()
    assert on_sign_in_screen(app)
    assert texts(app.success) == ["Sie sind abgemeldet."]
    assert auth.USER not in app.session_state


def test_a_wrong_password_fails_with_a_generic_message_and_waits_longer_each_time(
    database: Engine, waits: list[float], clock: Clock
) -> None:
    add_speaker(database)
    app = AppTest.from_file(APP, default_timeout=60).run()
    for attempt in ("falsch-falsch-falsch", "auch-falsch-falsch", PASSWORD.upper()):
        sign_in(app, "sprecherin", attempt)
        assert on_sign_in_screen(app)
        assert texts(app.error) == ["Anmeldung fehlgeschlagen. Bitte Benutzername und Passwort prüfen."]
    sign_in(app, "gibt-es-nicht", PASSWORD)  # an unknown name answers the same and waits as long
    assert texts(app.error) == ["Anmeldung fehlgeschlagen. Bitte Benutzername und Passwort prüfen."]
    assert waits == [0.5, 1.0, 2.0, 4.0]
    assert accounts.failed_attempts(database, "sprecherin") == 3
    assert "signin_password" not in app.session_state  # the server does not keep what was typed

    sign_in(app, "sprecherin", PASSWORD)
    assert not on_sign_in_screen(app)
    assert accounts.failed_attempts(database, "sprecherin") == 0


def test_a_disabled_account_cannot_sign_in_and_a_running_session_ends(
    database: Engine, waits: list[float], clock: Clock
) -> None:
    add_speaker(database)
    accounts.disable_user(database, SYSTEM_SCOPE, "sprecherin")
    app = sign_in(AppTest.from_file(APP, default_timeout=60).run(), "sprecherin", PASSWORD)
    assert on_sign_in_screen(app) and waits == [0.5]
    assert texts(app.error) == ["Anmeldung fehlgeschlagen. Bitte Benutzername und Passwort prüfen."]

    accounts.enable_user(database, SYSTEM_SCOPE, "sprecherin")
    sign_in(app, "sprecherin", PASSWORD)
    assert not on_sign_in_screen(app)
    accounts.disable_user(database, SYSTEM_SCOPE, "sprecherin")
    app.run()  # the next click of the signed-in user
    assert on_sign_in_screen(app)
    assert app.warning[0].value.startswith("Ihre Sitzung wurde beendet: das Konto ist gesperrt")


def test_the_session_ends_after_the_idle_time(database: Engine, clock: Clock, waits: list[float]) -> None:
    add_speaker(database)
    app = sign_in(AppTest.from_file(APP, default_timeout=60).run(), "sprecherin", PASSWORD)
    assert not on_sign_in_screen(app)
    clock.now += 29 * 60
    app.run()
    assert not on_sign_in_screen(app)  # activity within the idle time keeps the session…
    clock.now += 29 * 60
    app.run()
    assert not on_sign_in_screen(app)  # …and every rerun counts as activity
    clock.now += 30 * 60 + 1
    app.run()
    assert on_sign_in_screen(app)
    assert texts(app.info) == ["Sitzung wegen Inaktivität beendet. Bitte melden Sie sich erneut an."]
    assert auth.USER not in app.session_state and "alliance" not in app.session_state


def test_the_throttle_holds_for_a_new_session_too(database: Engine, waits: list[float], clock: Clock) -> None:
    add_speaker(database)
    failed_at = clock.now
    sign_in(AppTest.from_file(APP, default_timeout=60).run(), "sprecherin", "falsch-falsch-falsch")
    clock.now = failed_at + 0.1  # at once, from another browser: a new session knows nothing of the first one

    other = sign_in(AppTest.from_file(APP, default_timeout=60).run(), "sprecherin", PASSWORD)
    assert on_sign_in_screen(other)  # the right password, inside the window: refused like any failure
    assert texts(other.error) == ["Anmeldung fehlgeschlagen. Bitte Benutzername und Passwort prüfen."]
    assert accounts.failed_attempts(database, "sprecherin") == 2

    clock.now = failed_at + 60
    sign_in(other, "sprecherin", PASSWORD)
    assert not on_sign_in_screen(other)
    assert accounts.failed_attempts(database, "sprecherin") == 0


def test_without_accounts_the_sign_in_screen_explains_the_first_admin(database: Engine) -> None:
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert on_sign_in_screen(app)
    assert app.info[0].value.startswith("Es gibt noch kein Benutzerkonto.")
    assert app.code[0].value == "cockpit users add admin --role admin --display-name Administration"
    assert not any("Single Sign-on" in button.label for button in app.button)


# --- single sign-on ------------------------------------------------------------------------------------------------

SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "nur-fuer-tests",
        "client_id": "cockpit",
        "client_secret": "geheim",
        "server_metadata_url": "https://sso.example.org/realms/test/.well-known/openid-configuration",
    }
}


KEYCLOAK = "https://sso.example.org/realms/test"
ENTRA = "https://login.microsoftonline.com/00000000-0000-0000-0000-00000000aaaa/v2.0"
TRUSTING_ENTRA = SECRETS | {"cockpit_sso": {"trusted_username_issuers": [ENTRA]}}


def sso_app(identity: dict[str, Any] | None, secrets: dict[str, Any] | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.secrets = SECRETS if secrets is None else secrets
    app.user = {"is_logged_in": True, **identity} if identity else {"is_logged_in": False}
    return app.run()


@pytest.fixture
def logins(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """st.login calls (the OIDC redirect itself needs a browser and a provider), with Authlib taken as present."""
    called: list[str | None] = []
    monkeypatch.setattr(streamlit, "login", called.append)
    monkeypatch.setattr(auth, "authlib_installed", lambda: True)
    return called


def liaison(engine: Engine) -> None:
    accounts.add_user(engine, SYSTEM_SCOPE, username="land@example.org", role="liaison", alliances=["landkreis-harz"])


def test_an_sso_identity_signs_in_as_the_account_with_its_email(database: Engine, clock: Clock, menu: Menu) -> None:
    liaison(database)
    app = sso_app({"email": "Land@Example.org", "email_verified": True, "name": "Land", "iat": clock.now - 60})
    assert not app.exception, app.exception
    assert not on_sign_in_screen(app)
    assert app.session_state[auth.METHOD] == "sso" and app.session_state[auth.USER] == "land@example.org"
    assert app.selectbox(key="alliance").value == "landkreis-harz" and len(app.selectbox(key="alliance").options) == 1
    assert menu.shown == MENUS["liaison"]


UNVERIFIED = "Ihr Anmeldedienst hat keine bestätigte E-Mail-Adresse übermittelt"


@pytest.mark.parametrize(
    "claims",
    [
        {"email": "land@example.org"},  # no word on verification (Entra without xms_edov)
        {"email": "land@example.org", "email_verified": False},
        {"email": "land@example.org", "email_verified": "false"},  # a truthy string that means no
        {"email": "land@example.org", "email_verified": False, "xms_edov": True},  # the provider said no
    ],
)
def test_an_unverified_email_is_refused(database: Engine, clock: Clock, claims: dict[str, Any]) -> None:
    liaison(database)
    app = sso_app({**claims, "iss": KEYCLOAK, "iat": clock.now})
    assert not app.exception, app.exception
    assert app.error[0].value.startswith(UNVERIFIED)
    assert auth.USER not in app.session_state and not app.text_input
    assert [button.label for button in app.button] == ["Abmelden"]


def test_entra_vouches_for_the_email_with_its_optional_claim_xms_edov(database: Engine, clock: Clock) -> None:
    liaison(database)
    app = sso_app({"email": "LAND@example.org", "xms_edov": True, "iss": ENTRA, "iat": clock.now})
    assert not on_sign_in_screen(app)
    assert app.session_state[auth.USER] == "land@example.org"


def test_preferred_username_counts_only_from_a_trusted_issuer(database: Engine, clock: Clock) -> None:
    liaison(database)
    identity = {"preferred_username": "LAND@example.org", "iss": ENTRA, "iat": clock.now}
    app = sso_app(identity)  # no [cockpit_sso] in secrets.toml
    assert app.error[0].value.startswith(UNVERIFIED) and auth.USER not in app.session_state
    app = sso_app(identity | {"iss": KEYCLOAK}, TRUSTING_ENTRA)  # another issuer than the trusted one
    assert app.error[0].value.startswith(UNVERIFIED) and auth.USER not in app.session_state

    app = sso_app(identity, TRUSTING_ENTRA)
    assert not on_sign_in_screen(app)
    assert app.session_state[auth.USER] == "land@example.org"


def test_an_sso_identity_never_becomes_a_password_account(database: Engine, clock: Clock) -> None:
    accounts.add_user(database, SYSTEM_SCOPE, username="admin", role="admin", password=PASSWORD)
    accounts.add_user(database, SYSTEM_SCOPE, username="chefin@example.org", role="admin", password=PASSWORD)
    # A Keycloak user who named herself "admin", without an e-mail: no verified e-mail, no trusted issuer.
    app = sso_app({"preferred_username": "admin", "iss": KEYCLOAK, "iat": clock.now})
    assert app.error[0].value.startswith(UNVERIFIED)
    # Even from a trusted issuer, or with a verified e-mail: a password account is not an SSO account.
    for identity, secrets in (
        ({"preferred_username": "admin", "iss": ENTRA}, TRUSTING_ENTRA),
        ({"email": "chefin@example.org", "email_verified": True, "iss": KEYCLOAK}, SECRETS),
    ):
        app = sso_app(identity | {"iat": clock.now}, secrets)
        assert not app.exception, app.exception
        assert app.error[0].value.startswith("Für ")
        assert "gibt es kein aktives Konto für Single Sign-on" in app.error[0].value
        assert auth.USER not in app.session_state and not app.text_input


@pytest.mark.parametrize(
    ("identity", "trusted", "expected"),
    [
        ({"email": " Land@Example.org ", "email_verified": True}, (), "land@example.org"),
        ({"email": "land@example.org", "email_verified": "true"}, (), "land@example.org"),
        ({"email": "land@example.org", "xms_edov": "True"}, (), "land@example.org"),
        ({"email": "land@example.org", "email_verified": 1}, (), None),  # only true is true
        ({"email": "", "email_verified": True}, (), None),
        ({"email": "land@example.org", "preferred_username": "land", "iss": ENTRA}, (ENTRA,), "land"),
        ({"preferred_username": "land", "iss": ENTRA + "/"}, (ENTRA,), None),  # the issuer exactly
        ({"preferred_username": "land"}, (ENTRA,), None),  # no issuer at all
        ({"preferred_username": "  ", "iss": ENTRA}, (ENTRA,), None),
    ],
)
def test_sso_username_rules(identity: dict[str, Any], trusted: tuple[str, ...], expected: str | None) -> None:
    assert auth.sso_username(identity, trusted) == expected


def test_an_sso_identity_without_account_is_told_and_offered_sign_out(database: Engine, clock: Clock) -> None:
    add_speaker(database)
    app = sso_app({"email": "fremd@example.org", "email_verified": True, "iat": clock.now})
    assert not app.exception, app.exception
    assert app.error[0].value.startswith("Für fremd@example\\.org gibt es kein aktives Konto für Single Sign-on")
    assert [button.label for button in app.button] == ["Abmelden"]
    assert not app.text_input
    accounts.add_user(database, SYSTEM_SCOPE, username="fremd@example.org", role="admin")
    accounts.disable_user(database, SYSTEM_SCOPE, "fremd@example.org")
    app.run()
    assert app.error[0].value.startswith("Für fremd@example\\.org gibt es kein aktives Konto")  # disabled alike


def test_an_old_sso_identity_needs_a_new_round_trip(database: Engine, clock: Clock, logins: list[str | None]) -> None:
    liaison(database)
    app = sso_app({"email": "land@example.org", "email_verified": True, "iat": clock.now - 31 * 60})
    assert on_sign_in_screen(app)  # a cookie older than the idle time does not sign a new session in
    button = next(button for button in app.button if button.label == "Mit Single Sign-on anmelden")
    button.click().run()
    assert logins == [None]


def test_named_providers_get_a_button_each(database: Engine, logins: list[str | None]) -> None:
    add_speaker(database)
    provider = {key: SECRETS["auth"][key] for key in ("client_id", "client_secret", "server_metadata_url")}
    secrets = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x"}}
    secrets["auth"] |= {"keycloak": provider, "entra": provider}
    app = sso_app(None, secrets)
    labels = [button.label for button in app.button if "Single Sign-on" in button.label]
    assert labels == ["Mit Single Sign-on anmelden (keycloak)", "Mit Single Sign-on anmelden (entra)"]
    next(button for button in app.button if button.label.endswith("(entra)")).click().run()
    assert logins == ["entra"]


def test_sso_without_authlib_says_what_to_install(database: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    add_speaker(database)
    monkeypatch.setattr(auth, "authlib_installed", lambda: False)
    app = sso_app(None)
    assert on_sign_in_screen(app)
    assert app.warning[0].value.startswith("Single Sign-on ist in secrets.toml eingerichtet, aber das Paket Authlib")


def test_no_sso_button_without_an_auth_section(database: Engine, logins: list[str | None]) -> None:
    add_speaker(database)
    app = sso_app(None, {"andere": {"x": "y"}})
    assert on_sign_in_screen(app)
    assert [button.label for button in app.button] == ["Anmelden"]

"""AppTest helpers: run streamlit_app.py against a given database, signed in as a role."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col
from streamlit.testing.v1 import AppTest

from dashboard.data_access.db import make_engine
from dashboard.data_access.models import Alliance, Member, UserAccount, UserAlliance, utcnow
from dashboard.data_access.vocabulary import Role
from dashboard.ui import auth

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


def account_for_role(url: str, role: str, member_id: int | None) -> str | None:
    """An SSO-style account (no password) for the role, created once per database; returns its username.

    Written straight into the tables like seed data (no audit entry): it is test scaffolding, not a user's change.
    None when the database cannot take it (unreachable, no schema): such tests look at the error screens.
    """
    try:
        return _account_for_role(url, role, member_id)
    except SQLAlchemyError:
        return None


def _account_for_role(url: str, role: str, member_id: int | None) -> str:
    username = f"apptest-{role}" + (f"-{member_id}" if member_id is not None else "")
    engine = make_engine(url)
    with engine.begin() as connection:
        if connection.execute(select(col(UserAccount.id)).where(col(UserAccount.username) == username)).first():
            engine.dispose()
            return username
        now = utcnow()
        user_id = connection.execute(
            insert(UserAccount).values(
                username=username, display_name=username, role=role, version=1, created_at=now, updated_at=now
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        if role == Role.MEMBER:
            assert member_id is not None, "a member needs member_id"
            alliance_id = connection.execute(select(col(Member.alliance_id)).where(col(Member.id) == member_id))
            links = [{"user_id": user_id, "alliance_id": alliance_id.scalar_one(), "member_id": member_id}]
        else:
            ids = connection.execute(select(col(Alliance.id))).scalars().all()
            links = [{"user_id": user_id, "alliance_id": alliance_id, "member_id": None} for alliance_id in ids]
        if role != Role.ADMIN:
            connection.execute(insert(UserAlliance), links)
    engine.dispose()
    return username


@pytest.fixture
def app_for(monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """Build an AppTest of the whole app on the given database URL, signed in as ``role``.

    On SQLite through the demo mode (role picker state in the session); on PostgreSQL, where the demo mode is
    refused, as a real account of that role whose sign-in is already in the session.
    """

    def build(url: str, *, role: str = "admin", member_id: int | None = None, **query: str) -> AppTest:
        monkeypatch.setenv("COCKPIT_DATABASE_URL", url)
        app = AppTest.from_file(APP, default_timeout=60)
        if url.startswith("sqlite"):
            monkeypatch.setenv("COCKPIT_DEMO_MODE", "1")
            app.session_state[auth.DEMO_ROLE] = role
            if member_id is not None:
                app.session_state[auth.DEMO_MEMBER] = member_id
        elif url.startswith("postgres"):
            monkeypatch.delenv("COCKPIT_DEMO_MODE", raising=False)
            username = account_for_role(url, role, member_id)
            if username is not None:
                app.session_state[auth.USER] = username
                app.session_state[auth.METHOD] = "password"
                app.session_state[auth.LAST_ACTIVE] = auth.clock()
        for key, value in query.items():
            app.query_params[key] = value
        return app

    return build

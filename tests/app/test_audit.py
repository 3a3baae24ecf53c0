"""AppTest of „Änderungsprotokoll“: entries listed, filters bound to the URL, details, exports, empty state, access."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlmodel import col
from streamlit.testing.v1 import AppTest

from dashboard.data_access import migrations
from dashboard.data_access.audit import entry, record_many
from dashboard.data_access.db import make_engine
from dashboard.data_access.models import Alliance
from dashboard.data_access.scope import Role, Scope
from dashboard.data_access.vocabulary import AuditAction
from seeds.loader import seed_demo

PAGE = "dashboard/pages/audit.py"
HOME = "suedostniedersachsen"  # the default alliance the app opens with


def alliance_ids(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = dict(connection.execute(select(col(Alliance.slug), col(Alliance.id))).all())
    engine.dispose()
    return found


@pytest.fixture
def empty_trail_url(empty_url: str) -> Iterator[str]:
    """A seeded database of its own on each backend, without audit entries."""
    engine = make_engine(empty_url)
    migrations.upgrade(engine)
    seed_demo(engine)
    engine.dispose()
    yield empty_url


@pytest.fixture
def trail_url(empty_trail_url: str) -> str:
    """…with entries of the home alliance, of another alliance and without alliance (an account)."""
    ids = alliance_ids(empty_trail_url)
    home, other = ids[HOME], next(value for slug, value in ids.items() if slug != HOME)
    speaker = Scope.for_alliances("sprecherin-so", Role.SPEAKER, [home])
    member = Scope.for_alliances("partner-so", Role.MEMBER, [home], member_ids=[1])
    admin = Scope(user="admin", role=Role.ADMIN)
    rows = [
        entry(
            speaker,
            action=AuditAction.UPDATE,
            table="project",
            record_id=1,
            alliance_id=home,
            old={"title": "Alter Titel", "status": "beantragt"},
            new={"title": "<script>alert(1)</script>", "status": "bewilligt"},
            at=datetime(2026, 3, 2, 13, 3, tzinfo=UTC),
        ),
        entry(
            member,
            action=AuditAction.CREATE,
            table="financial_entry",
            record_id=9,
            alliance_id=home,
            new={"amount": "1500.00", "kind": "disbursement"},
            at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        ),
        entry(
            admin,
            action=AuditAction.CREATE,
            table="user_account",
            record_id=4,
            alliance_id=None,
            new={"username": "neu"},
            at=datetime(2026, 3, 4, 9, 0, tzinfo=UTC),
        ),
        entry(
            Scope.for_alliances("sprecher-andere", Role.SPEAKER, [other]),
            action=AuditAction.UPDATE,
            table="project",
            record_id=30,
            alliance_id=other,
            old={"title": "Anderes Bündnis"},
            new={"title": "Anderes Bündnis, neu"},
            at=datetime(2026, 3, 5, 9, 0, tzinfo=UTC),
        ),
    ]
    engine = make_engine(empty_trail_url)
    with engine.begin() as connection:
        record_many(connection, rows)
    engine.dispose()
    return empty_trail_url


def open_page(app_for: Callable[..., AppTest], url: str, **options: object) -> AppTest:
    app = app_for(url, **options).run()
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    return app


def entries(app: AppTest) -> list[dict[str, object]]:
    tables = [frame.value for frame in app.dataframe if "Änderungen" in frame.value.columns]
    assert len(tables) == 1
    return tables[0].to_dict("records")  # type: ignore[no-any-return]


def test_admin_sees_the_alliance_and_shared_entries_newest_first(
    trail_url: str, app_for: Callable[..., AppTest]
) -> None:
    app = open_page(app_for, trail_url)
    assert app.title[0].value == "Änderungsprotokoll"
    shown = entries(app)
    assert [row["Benutzer"] for row in shown] == ["admin", "partner-so", "sprecherin-so"]
    assert [row["Aktion"] for row in shown] == ["angelegt", "angelegt", "geändert"]
    assert [row["Tabelle"] for row in shown] == ["Benutzerkonto", "Bewilligung/Auszahlung", "Projekt"]
    assert [row["Rolle"] for row in shown] == ["Administration", "Partner", "Sprecher/in"]
    update = shown[2]
    assert update["Änderungen"] == "Titel: „Alter Titel“ → „<script>alert(1)</script>“; Status: beantragt → bewilligt"
    assert update["Datensatz"] == "1"
    # 13:03 UTC on 2 March is 14:03 in Germany; the column carries the German time zone.
    at = update["Zeitpunkt"]
    assert (at.day, at.hour, at.minute) == (2, 14, 3)  # type: ignore[attr-defined]
    assert "Einträge: 3" in " ".join(m.value for m in app.markdown)
    assert [button.label for button in app.get("download_button")] == ["CSV herunterladen", "Excel herunterladen"]
    assert "Anderes Bündnis" not in str(shown)
    assert not any("<script>" in element.value for element in [*app.markdown, *app.caption])


def test_a_long_trail_is_paged_and_a_link_opens_its_page(trail_url: str, app_for: Callable[..., AppTest]) -> None:
    home = alliance_ids(trail_url)[HOME]
    speaker = Scope.for_alliances("viel-schreiberin", Role.SPEAKER, [home])
    rows = [
        entry(speaker, action=AuditAction.UPDATE, table="target", record_id=n, alliance_id=home, new={"value": n})
        for n in range(2001)
    ]
    engine = make_engine(trail_url)
    with engine.begin() as connection:
        record_many(connection, rows)
    engine.dispose()
    app = open_page(app_for, trail_url)
    assert "Einträge: 2.004" in " ".join(m.value for m in app.markdown)
    assert len(entries(app)) == 500
    captions = " ".join(c.value for c in app.caption)
    assert "Einträge 1–500, neueste zuerst · Seite 1 von 5" in captions
    assert "Die Downloads enthalten alle 2.004 Einträge dieser Filter." in captions
    assert "seite" not in app.query_params

    app.number_input(key="seite").set_value(5).run()
    assert not app.exception, app.exception
    last_page = entries(app)
    assert len(last_page) == 4  # 2,004 = 4 × 500 + 4: the oldest entries, the fixture's, on the last page
    assert [row["Benutzer"] for row in last_page[1:]] == ["admin", "partner-so", "sprecherin-so"]
    assert app.query_params["seite"] == "5"
    assert "Einträge 2.001–2.004, neueste zuerst · Seite 5 von 5" in " ".join(c.value for c in app.caption)

    # A filter change starts at page 1 again; a filter with one page shows no page picker.
    app.selectbox(key="benutzer").set_value("sprecherin-so").run()
    assert len(entries(app)) == 1
    assert not app.number_input and "seite" not in app.query_params

    # A shared link opens its page; a page beyond the end shows the last one.
    assert len(entries(open_page(app_for, trail_url, seite="2"))) == 500
    beyond = open_page(app_for, trail_url, seite="99")
    assert len(entries(beyond)) == 4 and beyond.number_input(key="seite").value == 5


def test_the_export_caps_at_its_limit_and_says_so(
    trail_url: str, app_for: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dashboard.ui.audit.EXPORT_LIMIT", 2)
    app = open_page(app_for, trail_url)
    captions = " ".join(c.value for c in app.caption)
    assert "Die Downloads enthalten die neuesten 2 von 3 Einträgen" in captions


def test_filter_by_user_narrows_the_list_and_lands_in_the_url(trail_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, trail_url)
    app.selectbox(key="benutzer").set_value("sprecherin-so").run()
    assert not app.exception, app.exception
    assert [row["Benutzer"] for row in entries(app)] == ["sprecherin-so"]
    assert app.query_params["benutzer"] == "sprecherin-so"
    app.selectbox(key="tabelle").set_value("financial_entry").run()
    assert "Keine Änderungen für diese Filter" in app.info[0].value
    app.button(key="audit_reset_empty").click().run()
    assert len(entries(app)) == 3


def test_a_link_with_filters_reproduces_the_view(trail_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, trail_url, benutzer="partner-so", aktion="create", vom="2026-03-03", bis_zum="2026-03-03")
    assert [row["Benutzer"] for row in entries(app)] == ["partner-so"]
    assert app.date_input(key="vom").value.isoformat() == "2026-03-03"
    app = open_page(app_for, trail_url, bis_zum="2026-03-02")
    assert [row["Benutzer"] for row in entries(app)] == ["sprecherin-so"]


def test_a_selected_entry_shows_its_old_and_new_values_as_data(trail_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, trail_url, benutzer="sprecherin-so")
    key = next(frame.key for frame in app.dataframe if frame.key and frame.key.startswith("audit_entries"))
    app.session_state[key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    app.run()
    assert not app.exception, app.exception
    values = [element.proto.body for element in app.get("json")]
    assert values == [
        '{"title": "Alter Titel", "status": "beantragt"}',
        '{"title": "<script>alert(1)</script>", "status": "bewilligt"}',
    ]
    assert any("Projekt 1" in m.value for m in app.markdown)


def test_speaker_sees_only_the_alliance_entries(trail_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, trail_url, role="speaker")
    assert [row["Benutzer"] for row in entries(app)] == ["partner-so", "sprecherin-so"]
    assert app.selectbox(key="benutzer").options == ["Alle", "partner-so", "sprecherin-so"]


@pytest.mark.parametrize("role", ["liaison", "member"])
def test_liaisons_and_members_get_no_access(trail_url: str, app_for: Callable[..., AppTest], role: str) -> None:
    options: dict[str, object] = {"role": role}
    if role == "member":
        engine = make_engine(trail_url)
        with engine.connect() as connection:
            from dashboard.data_access.models import Member

            options["member_id"] = (
                connection.execute(
                    select(col(Member.id))
                    .join(Alliance, col(Alliance.id) == col(Member.alliance_id))
                    .where(col(Alliance.slug) == HOME)
                )
                .scalars()
                .first()
            )
        engine.dispose()
    app = app_for(trail_url, **options).run()
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    assert not [frame for frame in app.dataframe if "Änderungen" in frame.value.columns]
    assert "partner-so" not in str([m.value for m in app.markdown])
    assert app.error or app.warning


def test_empty_state_says_where_changes_come_from(empty_trail_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, empty_trail_url)
    message = app.info[0].value
    assert message.startswith("Noch keine Änderungen für dieses Bündnis.")
    assert "„Daten pflegen“ oder Importe" in message
    assert not app.dataframe or not [frame for frame in app.dataframe if "Änderungen" in frame.value.columns]


def test_english_labels(trail_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, trail_url, lang="en")
    assert app.title[0].value == "Change log"
    shown = entries_en(app)
    assert [row["Action"] for row in shown] == ["created", "created", "changed"]


def entries_en(app: AppTest) -> list[dict[str, object]]:
    return next(frame.value for frame in app.dataframe if "Changes" in frame.value.columns).to_dict("records")  # type: ignore[no-any-return]

"""Reading the audit trail on SQLite and PostgreSQL: who may read what, filters in German days, readable changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine

from dashboard.data_access import migrations
from dashboard.data_access.audit import entry, record, record_many
from dashboard.data_access.audit_trail import (
    PAGE_SIZE,
    PAIR_SCHEMA,
    AuditFilter,
    audit_count,
    audit_entries,
    audit_filter_options,
    change_summary,
    page_count,
)
from dashboard.data_access.db import make_engine
from dashboard.data_access.scope import PermissionDenied, Role, Scope
from dashboard.data_access.vocabulary import AuditAction
from dashboard.exporters.audit import audit_csv, audit_table, audit_xlsx, filter_description
from dashboard.i18n import catalog, label
from tests.conftest import BACKENDS, new_database_url

A, B = 1, 2  # alliance ids; the trail has no foreign key to them, so no seed data is needed
ADMIN = Scope(user="admin", role=Role.ADMIN)
SPEAKER_A = Scope.for_alliances("sprecherin-a", Role.SPEAKER, [A])
SPEAKER_AB = Scope.for_alliances("sprecher-ab", Role.SPEAKER, [A, B])
MEMBER_A = Scope.for_alliances("partner-a", Role.MEMBER, [A], member_ids=[11])
LIAISON_A = Scope.for_alliances("ministerium", Role.LIAISON, [A, B])


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


# (scope, action, table, record id, alliance, at, old, new) – ids 1..6 in this order
ENTRIES = [
    (
        SPEAKER_A,
        AuditAction.UPDATE,
        "project",
        1,
        A,
        utc(1, 10),
        {"title": "Alt", "status": "beantragt"},
        {"title": "Neu", "status": "bewilligt"},
    ),
    # 23:30 UTC on 2 March is 00:30 on 3 March in Germany: a "3 March" entry for the filters.
    (MEMBER_A, AuditAction.CREATE, "financial_entry", 7, A, utc(2, 23, 30), None, {"amount": "1500.00", "ok": True}),
    (SPEAKER_AB, AuditAction.UPDATE, "project", 2, B, utc(2, 12), {"title": "B alt"}, {"title": "B neu"}),
    (ADMIN, AuditAction.CREATE, "user_account", 5, None, utc(3, 8), None, {"username": "neu", "role": "member"}),
    (ADMIN, AuditAction.IMPORT, "observation", "13211-02-05-4", None, utc(4, 8), None, {"values": 12}),
    (
        SPEAKER_A,
        AuditAction.ARCHIVE,
        "project",
        1,
        A,
        utc(5, 9),
        {"archived_at": None},
        {"archived_at": "2026-03-05T09:00:00+00:00"},
    ),
]


@pytest.fixture(scope="module", params=BACKENDS)
def trail(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database of this module with the six entries above (written once, then only read)."""
    for url in new_database_url(request.param, tmp_path_factory.mktemp("audit")):
        engine = make_engine(url)
        migrations.upgrade(engine)
        rows = [
            entry(scope, action=action, table=table, record_id=rid, alliance_id=alliance, old=old, new=new, at=at)
            for scope, action, table, rid, alliance, at, old, new in ENTRIES
        ]
        with engine.begin() as connection:
            record_many(connection, rows)
        yield engine
        engine.dispose()


def ids(frame: pl.DataFrame) -> list[int]:
    return frame["id"].to_list()


def test_admin_sees_every_entry_newest_first(trail: Engine) -> None:
    found = audit_entries(trail, ADMIN, None)
    assert ids(found) == [6, 5, 4, 2, 3, 1]
    assert found.schema["at"] == pl.Datetime("us", "UTC")
    assert found.row(by_predicate=pl.col("id") == 2, named=True)["at"] == utc(2, 23, 30)
    assert audit_count(trail, ADMIN, None) == 6


def test_admin_on_an_alliance_sees_it_and_the_shared_entries(trail: Engine) -> None:
    assert ids(audit_entries(trail, ADMIN, A)) == [6, 5, 4, 2, 1]
    assert ids(audit_entries(trail, ADMIN, B)) == [5, 4, 3]


def test_speaker_sees_only_own_alliances_and_no_shared_entries(trail: Engine) -> None:
    assert ids(audit_entries(trail, SPEAKER_A, A)) == [6, 2, 1]
    assert ids(audit_entries(trail, SPEAKER_A, None)) == [6, 2, 1]
    assert audit_count(trail, SPEAKER_A, A) == 3
    with pytest.raises(PermissionDenied):
        audit_entries(trail, SPEAKER_A, B)
    with pytest.raises(PermissionDenied):
        audit_count(trail, SPEAKER_A, B)
    with pytest.raises(PermissionDenied):
        audit_filter_options(trail, SPEAKER_A, B)
    assert ids(audit_entries(trail, SPEAKER_AB, None)) == [6, 2, 3, 1]
    assert ids(audit_entries(trail, SPEAKER_AB, B)) == [3]


def test_a_speaker_scope_without_alliances_reads_nothing(trail: Engine) -> None:
    nobody = Scope.for_alliances("leer", Role.SPEAKER, [])
    assert audit_entries(trail, nobody, None).is_empty()
    assert audit_count(trail, nobody, None) == 0


@pytest.mark.parametrize("scope", [MEMBER_A, LIAISON_A], ids=["member", "liaison"])
def test_members_and_liaisons_may_not_read_the_trail(trail: Engine, scope: Scope) -> None:
    for alliance in (A, None):
        with pytest.raises(PermissionDenied):
            audit_entries(trail, scope, alliance)
        with pytest.raises(PermissionDenied):
            audit_count(trail, scope, alliance)
        with pytest.raises(PermissionDenied):
            audit_filter_options(trail, scope, alliance)


def test_filters_by_user_table_and_action(trail: Engine) -> None:
    assert ids(audit_entries(trail, ADMIN, None, user="sprecherin-a")) == [6, 1]
    assert ids(audit_entries(trail, ADMIN, None, table="financial_entry")) == [2]
    assert ids(audit_entries(trail, ADMIN, None, action="archive")) == [6]
    assert ids(audit_entries(trail, ADMIN, None, user="sprecherin-a", action="update")) == [1]
    assert audit_count(trail, ADMIN, None, table="project") == 3
    assert audit_entries(trail, ADMIN, None, user="niemand").is_empty()
    # Filters never widen what a scope may read.
    assert ids(audit_entries(trail, SPEAKER_A, A, table="user_account")) == []


def test_dates_are_whole_days_in_german_time(trail: Engine) -> None:
    # Entry 2 was written at 23:30 UTC on 2 March, i.e. on 3 March in Germany.
    assert ids(audit_entries(trail, ADMIN, None, since=date(2026, 3, 3))) == [6, 5, 4, 2]
    assert ids(audit_entries(trail, ADMIN, None, until=date(2026, 3, 2))) == [3, 1]
    assert ids(audit_entries(trail, ADMIN, None, since=date(2026, 3, 3), until=date(2026, 3, 3))) == [4, 2]
    assert audit_count(trail, ADMIN, None, since=date(2026, 3, 2), until=date(2026, 3, 2)) == 1


def test_limit_keeps_the_newest_and_the_count_tells_how_many_match(trail: Engine) -> None:
    found = audit_entries(trail, ADMIN, None, limit=2)
    assert ids(found) == [6, 5]
    assert audit_count(trail, ADMIN, None) == 6
    assert found["changes"].to_list() == ["archived_at: – → 05.03.2026 10:00", "values: 12"]


def test_pages_follow_each_other_without_gaps_or_repeats(trail: Engine) -> None:
    pages = [ids(audit_entries(trail, ADMIN, None, limit=4, offset=offset)) for offset in (0, 4, 8)]
    assert pages == [[6, 5, 4, 2], [3, 1], []]  # entry 2 (23:30 on 2 March) is newer than entry 3 (12:00)
    second = audit_entries(trail, ADMIN, None, limit=4, offset=4)
    assert second["changes"].to_list() == [
        "Titel: „B alt“ → „B neu“",
        "Titel: „Alt“ → „Neu“; Status: beantragt → bewilligt",
    ]
    assert ids(audit_entries(trail, SPEAKER_A, A, limit=2, offset=1)) == [2, 1]


@pytest.mark.parametrize(("total", "pages"), [(0, 1), (1, 1), (PAGE_SIZE, 1), (PAGE_SIZE + 1, 2), (5 * PAGE_SIZE, 5)])
def test_page_count(total: int, pages: int) -> None:
    assert page_count(total) == pages


def test_filter_options_list_what_the_scope_may_read(trail: Engine) -> None:
    speaker = audit_filter_options(trail, SPEAKER_A, A)
    assert speaker.users == ["partner-a", "sprecherin-a"]
    assert speaker.tables == ["financial_entry", "project"]
    assert speaker.actions == ["archive", "create", "update"]
    admin = audit_filter_options(trail, ADMIN, None)
    assert admin.users == ["admin", "partner-a", "sprecher-ab", "sprecherin-a"]
    assert "user_account" in admin.tables
    assert not admin.is_empty


def test_changes_read_like_sentences_and_values_are_json_text(trail: Engine) -> None:
    found = audit_entries(trail, ADMIN, None).sort("id")
    assert found["changes"].to_list() == [
        "Titel: „Alt“ → „Neu“; Status: beantragt → bewilligt",
        "Betrag (€): 1500.00; ok: ja",
        "Titel: „B alt“ → „B neu“",
        "username: neu; role: member",
        "values: 12",
        "archived_at: – → 05.03.2026 10:00",
    ]
    first = found.row(0, named=True)
    assert first["old_values"] == '{"title": "Alt", "status": "beantragt"}'
    assert first["new_values"] == '{"title": "Neu", "status": "bewilligt"}'
    assert found.row(1, named=True)["old_values"] is None
    assert (first["user_name"], first["role"], first["action"]) == ("sprecherin-a", "speaker", "update")
    assert (first["table_name"], first["record_id"], first["alliance_id"]) == ("project", "1", A)
    english = audit_entries(trail, ADMIN, None, language="en").sort("id")["changes"].to_list()
    assert english[0] == "Title: “Alt” → “Neu”; Status: beantragt → bewilligt"
    assert english[1] == "Amount (€): 1500.00; ok: yes"


def test_change_summary_pairs_old_and_new_values_in_stored_order() -> None:
    rows = [
        (1, "old", "title", "text", "Förderung Ü", 1),
        (1, "new", "title", "text", "Förderung <b>neu</b>", 1),
        (1, "old", "gone", "integer", "3", 2),
        (1, "new", "start_date", "text", "2026-01-31", 2),
        (1, "new", "partners", "array", "IHK, HWK", 3),
        (1, "new", "empty", "array", None, 4),
        (1, "new", "done", "false", "false", 5),
        (2, "new", "note", "null", None, 1),
    ]
    summary = change_summary(pl.DataFrame(rows, schema=dict(PAIR_SCHEMA), orient="row"))
    expected = pl.DataFrame(
        {
            "id": [1, 2],
            "changes": [
                "Titel: „Förderung Ü“ → „Förderung <b>neu</b>“; Beginn: 31.01.2026; partners: [IHK, HWK]; "
                "empty: []; done: nein; gone: 3 → –",
                "Vermerk: –",
            ],
        }
    )
    assert_frame_equal(summary, expected)


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_role_action_and_table_has_a_label(language: str) -> None:
    from sqlmodel import SQLModel

    messages = catalog(language)
    for code in [*(f"audit.role.{r.value}" for r in Role), *(f"audit.action.{a.value}" for a in AuditAction)]:
        assert code in messages
    for table in SQLModel.metadata.tables:
        assert f"audit.table.{table}" in messages, table


def test_exports_have_local_times_labels_and_neutralised_formulas(tmp_path_factory: pytest.TempPathFactory) -> None:
    url = f"sqlite:///{tmp_path_factory.mktemp('export') / 'export.sqlite3'}"
    engine = make_engine(url)
    migrations.upgrade(engine)
    with engine.begin() as connection:
        record(
            connection,
            SPEAKER_A,
            action=AuditAction.UPDATE,
            table="project",
            record_id=1,
            alliance_id=A,
            old={"title": "=HYPERLINK(1)"},
            new={"title": "Förderung"},
        )
    found = audit_entries(engine, ADMIN, A)
    engine.dispose()
    table = audit_table(found.with_columns(pl.lit(utc(1, 13, 3)).alias("at")), "de")
    assert table.columns[:7] == ["Zeitpunkt", "Benutzer", "Rolle", "Aktion", "Tabelle", "Datensatz", "Änderungen"]
    row = table.row(0, named=True)
    assert row["Zeitpunkt"] == "01.03.2026 14:03"  # CET
    assert (row["Rolle"], row["Aktion"], row["Tabelle"]) == ("Sprecher/in", "geändert", "Projekt")
    assert row["Neue Werte (JSON)"] == '{"title": "Förderung"}'
    csv = audit_csv(found, "de").decode("utf-8-sig")
    assert csv.startswith("Zeitpunkt;Benutzer;Rolle;Aktion;Tabelle;Datensatz;Änderungen;")
    assert "Titel: „=HYPERLINK(1)“ → „Förderung“" in csv
    assert audit_xlsx(found, "de", title="Test", notes=("Stand",))[:2] == b"PK"
    summer = audit_table(found.with_columns(pl.lit(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)).alias("at")), "en")
    assert summer.row(0, named=True)["Time"] == "01/07/2026 14:00"  # CEST
    assert label("audit.table", "project", "en") == "Project"


def test_formula_cells_are_neutralised_in_the_csv() -> None:
    frame = pl.DataFrame(
        {
            "id": [1],
            "at": [utc(1, 10)],
            "user_name": ["=cmd|' /C calc'!A0"],
            "role": ["speaker"],
            "action": ["update"],
            "table_name": ["project"],
            "record_id": ["1"],
            "alliance_id": [A],
            "old_values": [None],
            "new_values": ['{"title": "x"}'],
            "changes": ["@SUM(1)"],
        },
        schema_overrides={"old_values": pl.String},
    )
    row = audit_csv(frame, "de").decode("utf-8-sig").splitlines()[1]
    assert ";'=cmd|' /C calc'!A0;" in row
    assert ";'@SUM(1);" in row


def test_filter_description_names_the_active_filters() -> None:
    flt = AuditFilter(user="sprecherin-a", table="project", action="update", since=date(2026, 3, 1))
    assert filter_description(flt, "de") == [
        "Benutzer: sprecherin-a",
        "Tabelle: Projekt",
        "Aktion: geändert",
        "Von: 01.03.2026",
    ]
    assert AuditFilter().is_empty
    assert not flt.is_empty
    assert flt.key == "sprecherin-a|project|update|2026-03-01|"


def test_stored_json_text_is_shown_as_stored_with_escapes_written_out() -> None:
    from dashboard.data_access.audit_trail import _json_text

    assert _json_text(None) is None and _json_text("null") is None
    assert _json_text('{"value":1.5,"ags":"03153"}') == '{"value":1.5,"ags":"03153"}'  # imports write compact JSON
    assert _json_text('{"title": "F\\u00f6rderung \\"neu\\""}') == '{"title": "Förderung \\"neu\\""}'

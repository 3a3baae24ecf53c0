"""The form write services on SQLite and PostgreSQL: every rule with its German message, permissions per role,
soft deletion, and exactly one audit entry per write (none when a write is refused).

Every test writes to its own copy of the migrated and seeded demo database (``engine``); the demo records are
found by querying, not by fixed ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import col

from dashboard.data_access import editing, queries
from dashboard.data_access.editing import EntryInput, ProjectInput, TargetInput, ValueInput
from dashboard.data_access.models import (
    AuditEntry,
    Budget,
    FinancialEntry,
    Member,
    Observation,
    Project,
    ProjectPartner,
    ProjectRegion,
    ProjectTopic,
    Target,
    Topic,
)
from dashboard.data_access.scope import PermissionDenied, Role, Scope
from dashboard.data_access.writes import FieldError, NotFound, StaleEdit, ValidationFailed
from dashboard.i18n import formats
from tests.conftest import seeded_copy

SON = "suedostniedersachsen"
NBSP = "\u00a0"


# --- a fresh seeded database per test ---------------------------------------------------------------------------


@pytest.fixture
def engine(seeded_source: str, tmp_path: Path) -> Iterator[Engine]:
    """This test's own copy of the seeded database."""
    yield from seeded_copy(seeded_source, tmp_path)


@dataclass(frozen=True)
class Demo:
    alliance_id: int
    other_alliance_id: int
    own_member_id: int  # leads own_project (which has entries and reported values)
    own_project_id: int
    other_member_id: int  # leads foreign_project
    foreign_project_id: int  # the own organisation neither leads nor takes part
    outside_member_id: int  # a partner of another alliance
    topic_id: int
    outside_topic_id: int
    indicator_id: int  # EECO01
    entry_id: int  # of own_project
    foreign_entry_id: int  # of foreign_project
    target_id: int  # of the alliance

    def scopes(self) -> dict[str, Scope]:
        a = self.alliance_id
        return {
            "admin": Scope(user="admin", role=Role.ADMIN),
            "speaker": Scope.for_alliances("sprecherin", Role.SPEAKER, [a]),
            "member": Scope.for_alliances("partnerin", Role.MEMBER, [a], [self.own_member_id]),
            "liaison": Scope.for_alliances("ministerium", Role.LIAISON, [a, self.other_alliance_id]),
            "speaker_elsewhere": Scope.for_alliances("woanders", Role.SPEAKER, [self.other_alliance_id]),
        }


def find_demo(engine: Engine) -> Demo:
    with engine.connect() as connection:

        def one(sql: str, **params: Any) -> int:
            return int(connection.execute(text(sql), params).scalar_one())

        son = one("SELECT id FROM alliance WHERE slug = :slug", slug=SON)
        other = one("SELECT MIN(id) FROM alliance WHERE slug <> :slug", slug=SON)
        own_project = one(
            "SELECT MIN(p.id) FROM project p WHERE p.alliance_id = :a"
            " AND EXISTS (SELECT 1 FROM observation o WHERE o.project_id = p.id)"
            " AND EXISTS (SELECT 1 FROM financial_entry f WHERE f.project_id = p.id)",
            a=son,
        )
        own_member = one("SELECT lead_member_id FROM project WHERE id = :p", p=own_project)
        foreign = one(
            "SELECT MIN(p.id) FROM project p WHERE p.alliance_id = :a AND p.lead_member_id <> :m"
            " AND NOT EXISTS (SELECT 1 FROM project_partner pp WHERE pp.project_id = p.id AND pp.member_id = :m)"
            " AND EXISTS (SELECT 1 FROM financial_entry f WHERE f.project_id = p.id)",
            a=son,
            m=own_member,
        )
        return Demo(
            alliance_id=son,
            other_alliance_id=other,
            own_member_id=own_member,
            own_project_id=own_project,
            other_member_id=one("SELECT lead_member_id FROM project WHERE id = :p", p=foreign),
            foreign_project_id=foreign,
            outside_member_id=one("SELECT MIN(id) FROM member WHERE alliance_id = :a", a=other),
            topic_id=one("SELECT MIN(id) FROM topic WHERE alliance_id = :a", a=son),
            outside_topic_id=one("SELECT MIN(id) FROM topic WHERE alliance_id = :a", a=other),
            indicator_id=one("SELECT id FROM indicator WHERE code = 'EECO01'"),
            entry_id=one("SELECT MIN(id) FROM financial_entry WHERE project_id = :p", p=own_project),
            foreign_entry_id=one("SELECT MIN(id) FROM financial_entry WHERE project_id = :p", p=foreign),
            target_id=one("SELECT MIN(id) FROM target WHERE alliance_id = :a", a=son),
        )


@pytest.fixture
def demo(engine: Engine) -> Demo:
    return find_demo(engine)


STATE_TABLES = (
    Project,
    ProjectPartner,
    ProjectTopic,
    ProjectRegion,
    FinancialEntry,
    Observation,
    Target,
    Budget,
    AuditEntry,
)


def state(engine: Engine) -> dict[str, tuple[int, int]]:
    """Rows and the sum of versions per table: equal before and after means nothing was written."""
    result: dict[str, tuple[int, int]] = {}
    with engine.connect() as connection:
        for model in STATE_TABLES:
            table = model.__table__  # type: ignore[attr-defined]
            versions = func.coalesce(func.sum(table.c.version), 0) if "version" in table.c else func.count()
            rows, total = connection.execute(select(func.count(), versions).select_from(table)).one()
            result[table.name] = (int(rows), int(total))
    return result


def audit_entries(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEntry.__table__).order_by(col(AuditEntry.id))).mappings().all()  # type: ignore[attr-defined]
    return [dict(row) for row in rows]


def project_input(demo: Demo, **changes: Any) -> ProjectInput:
    base = ProjectInput(
        title="Fachkräfte-Lotsen im Landkreis",
        description="Neues Projekt aus dem Formular",
        lead_member_id=demo.own_member_id,
        status="beantragt",
        fund="esf",
        start_date=date(2020, 1, 1),
        end_date=date(2021, 6, 30),
        total_cost=Decimal("120000.00"),
        requested_grant=Decimal("72000.00"),
        approved_grant=None,
        partner_ids=(demo.other_member_id,),
        topic_ids=(demo.topic_id,),
        region_ags=("03153",),
    )
    return replace(base, **changes)


def messages(exc: ValidationFailed, language: str = "de") -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in exc.errors:
        found.setdefault(error.field, []).append(error.text(language))
    return found


def refused(engine: Engine, call: Callable[[], Any]) -> dict[str, list[str]]:
    """Run a write that must fail validation; nothing may be written. Returns the messages per field."""
    before = state(engine)
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert state(engine) == before
    return messages(caught.value)


def speaker(demo: Demo) -> Scope:
    return demo.scopes()["speaker"]


# --- projects: validation ----------------------------------------------------------------------------------------


def test_required_fields_and_codes_are_all_reported_at_once(engine: Engine, demo: Demo) -> None:
    data = project_input(demo, title="  ", lead_member_id=None, status="erfunden", fund="")
    found = refused(engine, lambda: editing.create_project(engine, speaker(demo), demo.alliance_id, data))
    assert found == {
        "title": ["Pflichtangabe fehlt"],
        "lead_member_id": ["Pflichtangabe fehlt"],
        "status": ["Unbekannter Status „erfunden“"],
        "fund": ["Pflichtangabe fehlt"],
    }


def test_amounts_are_not_negative_have_two_decimals_and_stay_below_a_trillion(engine: Engine, demo: Demo) -> None:
    data = project_input(
        demo, total_cost=Decimal("-1"), requested_grant=Decimal("12.345"), approved_grant=Decimal("1000000000000")
    )
    found = refused(engine, lambda: editing.create_project(engine, speaker(demo), demo.alliance_id, data))
    assert found == {
        "total_cost": ["Betrag darf nicht negativ sein"],
        "requested_grant": ["Betrag darf höchstens zwei Nachkommastellen haben"],
        "approved_grant": ["Betrag muss unter 1.000.000.000.000 € liegen"],
    }
    # Trailing zeros are no extra decimals.
    record = editing.create_project(
        engine,
        speaker(demo),
        demo.alliance_id,
        replace(data, total_cost=Decimal("120000.000"), requested_grant=Decimal("1.50"), approved_grant=None),
    )
    assert record.values.total_cost == Decimal("120000.00")


def test_the_end_is_not_before_the_start_and_a_one_day_project_is_fine(engine: Engine, demo: Demo) -> None:
    data = project_input(demo, start_date=date(2021, 3, 1), end_date=date(2021, 2, 28))
    found = refused(engine, lambda: editing.create_project(engine, speaker(demo), demo.alliance_id, data))
    assert found == {"end_date": ["Ende darf nicht vor dem Beginn liegen (Beginn: 01.03.2021)"]}
    with pytest.raises(ValidationFailed) as caught:
        editing.create_project(engine, speaker(demo), demo.alliance_id, data)
    assert messages(caught.value, "en") == {
        "end_date": [f"End must not be before the start (start: {formats.day(date(2021, 3, 1), 'en')})"]
    }
    # The database allows end = start, and so does the rule: a one-day event is a project too.
    one_day = editing.create_project(engine, speaker(demo), demo.alliance_id, replace(data, end_date=date(2021, 3, 1)))
    assert one_day.values.end_date == one_day.values.start_date


def test_an_amount_of_31_digits_gets_its_message_and_no_crash(engine: Engine, demo: Demo) -> None:
    """Validated before it is rounded: quantizing 31 digits to the cent overflows Decimal's 28-digit context."""
    huge = Decimal("1" * 31)
    too_large = ["Betrag muss unter 1.000.000.000.000 € liegen"]
    scope = speaker(demo)
    assert refused(
        engine, lambda: editing.create_project(engine, scope, demo.alliance_id, project_input(demo, total_cost=huge))
    ) == {"total_cost": too_large}
    own = editing.open_project(engine, scope, demo.own_project_id)
    assert refused(
        engine,
        lambda: editing.update_project(engine, scope, own.id, replace(own.values, approved_grant=huge), opened=own),
    ) == {"approved_grant": too_large}
    entry = EntryInput(demo.own_project_id, date(2021, 1, 15), "commitment", huge, "esf")
    assert refused(engine, lambda: editing.add_entry(engine, scope, entry)) == {"amount": too_large}
    opened = editing.open_entry(engine, scope, demo.entry_id)
    assert refused(
        engine,
        lambda: editing.update_entry(engine, scope, opened.id, replace(opened.values, amount=-huge), opened=opened),
    ) == {"amount": too_large}
    assert refused(
        engine,
        lambda: editing.set_budget(
            engine, scope, demo.alliance_id, fund="bund", year=2021, amount=huge, opened_version=None
        ),
    ) == {"amount": too_large}


def test_grants_do_not_exceed_the_total_cost(engine: Engine, demo: Demo) -> None:
    data = project_input(demo, requested_grant=Decimal("120000.01"), approved_grant=Decimal("130000"))
    found = refused(engine, lambda: editing.create_project(engine, speaker(demo), demo.alliance_id, data))
    assert found == {
        "requested_grant": [
            f"Beantragte Förderung (120.000,01{NBSP}€) übersteigt die Gesamtkosten (120.000,00{NBSP}€)"
        ],
        "approved_grant": [f"Bewilligte Förderung (130.000,00{NBSP}€) übersteigt die Gesamtkosten (120.000,00{NBSP}€)"],
    }
    with pytest.raises(ValidationFailed) as caught:
        editing.create_project(engine, speaker(demo), demo.alliance_id, data)
    assert messages(caught.value, "en")["approved_grant"] == [
        "Approved grant (€130,000.00) exceeds the total cost (€120,000.00)"
    ]


def test_partners_topics_and_kreise_belong_to_the_alliance_and_exist(engine: Engine, demo: Demo) -> None:
    data = project_input(
        demo,
        lead_member_id=demo.outside_member_id,
        partner_ids=(demo.outside_member_id, demo.other_member_id),
        topic_ids=(demo.outside_topic_id,),
        region_ags=("03153", "03999", "3153"),
    )
    found = refused(engine, lambda: editing.create_project(engine, speaker(demo), demo.alliance_id, data))
    assert found == {
        "lead_member_id": ["Die Federführung muss ein Partner dieses Bündnisses sein"],
        "partner_ids": [
            "Partner müssen zu diesem Bündnis gehören",
            "Die federführende Organisation kann nicht zugleich Partner sein",
        ],
        "topic_ids": ["Handlungsfelder müssen zu diesem Bündnis gehören"],
        "region_ags": ["3153: ein Kreisschlüssel (AGS) hat fünf Ziffern, z. B. 03153", "Kreis 03999 gibt es nicht"],
    }


def test_a_title_is_unique_in_the_alliance_and_at_most_300_characters(engine: Engine, demo: Demo) -> None:
    taken = editing.open_project(engine, speaker(demo), demo.foreign_project_id).values.title
    found = refused(
        engine,
        lambda: editing.create_project(
            engine, speaker(demo), demo.alliance_id, project_input(demo, title=f" {taken} ")
        ),
    )
    assert found == {"title": [f"Titel „{taken}“ gibt es in diesem Bündnis schon"]}
    own = editing.open_project(engine, speaker(demo), demo.own_project_id)
    found = refused(
        engine,
        lambda: editing.update_project(engine, speaker(demo), own.id, replace(own.values, title=taken), opened=own),
    )
    assert found == {"title": [f"Titel „{taken}“ gibt es in diesem Bündnis schon"]}
    found = refused(
        engine,
        lambda: editing.create_project(engine, speaker(demo), demo.alliance_id, project_input(demo, title="x" * 301)),
    )
    assert found == {"title": ["Titel darf höchstens 300 Zeichen lang sein (jetzt 301)"]}
    # An archived project keeps its title taken (the restore would clash otherwise).
    editing.archive_project(
        engine,
        speaker(demo),
        demo.foreign_project_id,
        opened=editing.open_project(engine, speaker(demo), demo.foreign_project_id),
    )
    found = refused(
        engine,
        lambda: editing.create_project(engine, speaker(demo), demo.alliance_id, project_input(demo, title=taken)),
    )
    assert found == {"title": [f"Titel „{taken}“ gibt es in diesem Bündnis schon"]}


# --- projects: writing -------------------------------------------------------------------------------------------


def test_create_update_and_their_audit_entries(engine: Engine, demo: Demo) -> None:
    before = len(audit_entries(engine))
    record = editing.create_project(engine, speaker(demo), demo.alliance_id, project_input(demo))
    assert (record.version, record.archived, record.can_edit) == (1, False, True)
    assert editing.open_project(engine, speaker(demo), record.id) == record
    created = audit_entries(engine)[before:]
    assert len(created) == 1
    assert created[0]["action"] == "create" and created[0]["table_name"] == "project"
    assert created[0]["record_id"] == str(record.id) and created[0]["alliance_id"] == demo.alliance_id
    assert (created[0]["user_name"], created[0]["role"]) == ("sprecherin", "speaker")
    assert created[0]["old_values"] is None
    assert created[0]["new_values"] == {
        "title": "Fachkräfte-Lotsen im Landkreis",
        "description": "Neues Projekt aus dem Formular",
        "lead_member_id": demo.own_member_id,
        "status": "beantragt",
        "fund": "esf",
        "start_date": "2020-01-01",
        "end_date": "2021-06-30",
        "total_cost": "120000.00",
        "requested_grant": "72000.00",
        "approved_grant": None,
        "partner_ids": [demo.other_member_id],
        "topic_ids": [demo.topic_id],
        "region_ags": ["03153"],
    }

    changed = replace(record.values, status="bewilligt", approved_grant=Decimal("70000"), region_ags=("03153", "03158"))
    saved = editing.update_project(engine, speaker(demo), record.id, changed, opened=record)
    assert saved.version == 2
    assert editing.open_project(engine, speaker(demo), record.id).values == replace(
        changed, approved_grant=Decimal("70000.00")
    )
    updated = audit_entries(engine)[before + 1 :]
    assert len(updated) == 1
    assert updated[0]["action"] == "update"
    assert updated[0]["old_values"] == {"status": "beantragt", "approved_grant": None, "region_ags": ["03153"]}
    assert updated[0]["new_values"] == {
        "status": "bewilligt",
        "approved_grant": "70000.00",
        "region_ags": ["03153", "03158"],
    }
    # The project shows in the portfolio with its links.
    portfolio = queries.project_portfolio(engine, speaker(demo), demo.alliance_id).filter(id=record.id)
    assert portfolio["region_ags"].to_list() == [["03153", "03158"]]

    # Saving without a change writes nothing (no version, no audit entry).
    unchanged = state(engine)
    assert editing.update_project(engine, speaker(demo), record.id, saved.values, opened=saved).version == 2
    assert state(engine) == unchanged


def test_archive_hides_the_project_everywhere_and_restore_brings_it_back(engine: Engine, demo: Demo) -> None:
    scope = speaker(demo)
    opened = editing.open_project(engine, scope, demo.own_project_id)
    editing.archive_project(engine, scope, opened.id, opened=opened)
    assert opened.id not in queries.project_portfolio(engine, scope, demo.alliance_id)["id"].to_list()
    assert opened.id not in editing.editable_projects(engine, scope, demo.alliance_id)["id"].to_list()
    listed = editing.editable_projects(engine, scope, demo.alliance_id, include_archived=True).filter(id=opened.id)
    assert listed.select("archived", "can_edit").rows() == [(True, False)]
    archived = editing.archived_records(engine, scope, demo.alliance_id)
    assert archived.filter(table="project")["id"].to_list() == [opened.id]
    assert archived.filter(table="project")["label"].to_list() == [opened.values.title]
    # A member of the alliance no longer finds it; the speaker sees it as archived.
    with pytest.raises(NotFound):
        editing.open_project(engine, demo.scopes()["member"], opened.id)
    assert editing.open_project(engine, scope, opened.id).archived

    editing.restore(engine, scope, "project", opened.id)
    assert opened.id in queries.project_portfolio(engine, scope, demo.alliance_id)["id"].to_list()
    assert editing.archived_records(engine, scope, demo.alliance_id).filter(table="project").is_empty()
    restored = editing.open_project(engine, scope, opened.id)
    assert (restored.version, restored.archived, restored.values) == (3, False, opened.values)
    trail = [(row["action"], row["old_values"], row["new_values"]) for row in audit_entries(engine)[-2:]]
    assert trail[0][0] == "archive" and trail[0][1] == {"archived_at": None} and trail[0][2]["archived_at"]
    assert trail[1][0] == "restore" and trail[1][1]["archived_at"] and trail[1][2] == {"archived_at": None}


def test_an_archived_project_is_not_edited_until_restored(engine: Engine, demo: Demo) -> None:
    scope = speaker(demo)
    opened = editing.open_project(engine, scope, demo.own_project_id)
    editing.archive_project(engine, scope, opened.id, opened=opened)
    # Whoever opened it before the archiving is told that it changed …
    with pytest.raises(StaleEdit) as caught:
        editing.update_project(engine, scope, opened.id, replace(opened.values, status="laufend"), opened=opened)
    assert [(c.field, c.opened, c.saved) for c in caught.value.changes] == [("archived", False, True)]
    # … and whoever opens it archived cannot save it.
    archived = editing.open_project(engine, scope, opened.id)
    found = refused(
        engine,
        lambda: editing.update_project(
            engine, scope, opened.id, replace(archived.values, status="laufend"), opened=archived
        ),
    )
    assert found == {"title": ["Der Datensatz ist archiviert; stellen Sie ihn zuerst wieder her"]}


# --- entries, values, targets, budgets: validation and writing ---------------------------------------------------


def test_entry_rules(engine: Engine, demo: Demo) -> None:
    scope = speaker(demo)

    def entry(**changes: Any) -> EntryInput:
        return replace(
            EntryInput(demo.own_project_id, date(2020, 5, 4), "commitment", Decimal("1000"), "esf"), **changes
        )

    assert refused(
        engine, lambda: editing.add_entry(engine, scope, entry(entry_date=None, kind="spende", amount=Decimal("0")))
    ) == {
        "entry_date": ["Pflichtangabe fehlt"],
        "kind": ["Unbekannte Buchungsart „spende“ (Bewilligung oder Auszahlung)"],
        "amount": ["Betrag darf nicht 0 sein"],
    }
    assert refused(
        engine, lambda: editing.add_entry(engine, scope, entry(kind="disbursement", amount=Decimal("-5.5")))
    ) == {"amount": ["Eine Auszahlung muss größer als 0 sein (eine Rücknahme wird als negative Bewilligung gebucht)"]}
    assert refused(engine, lambda: editing.add_entry(engine, scope, entry(amount=Decimal("10.001"), fund="lotto"))) == {
        "amount": ["Betrag darf höchstens zwei Nachkommastellen haben"],
        "fund": ["Unbekannter Fonds „lotto“"],
    }
    assert refused(engine, lambda: editing.add_entry(engine, scope, entry(amount=None))) == {
        "amount": ["Pflichtangabe fehlt"]
    }
    # A revocation: a negative commitment is allowed (the demo data books them too).
    record = editing.add_entry(engine, scope, entry(amount=Decimal("-250.5"), note=" Teilwiderruf "))
    assert record.values.amount == Decimal("-250.50") and record.values.note == "Teilwiderruf"
    row = editing.project_entries(engine, scope, demo.own_project_id).filter(id=record.id)
    assert row.select("amount_cents", "kind", "version").rows() == [(-25050, "commitment", 1)]
    new = audit_entries(engine)[-1]
    assert (new["action"], new["table_name"], new["record_id"]) == ("create", "financial_entry", str(record.id))
    assert new["new_values"]["amount"] == "-250.50"

    opened = editing.open_entry(engine, scope, record.id)
    saved = editing.update_entry(
        engine, scope, record.id, replace(opened.values, amount=Decimal("-300")), opened=opened
    )
    assert saved.version == 2
    assert audit_entries(engine)[-1]["old_values"] == {"amount": "-250.50"}
    assert refused(
        engine,
        lambda: editing.update_entry(
            engine, scope, record.id, replace(saved.values, project_id=demo.foreign_project_id), opened=saved
        ),
    ) == {"project_id": ["Eine Buchung bleibt bei ihrem Projekt; für ein anderes Projekt bitte neu erfassen"]}
    editing.archive_entry(engine, scope, record.id, opened=saved)
    assert record.id not in editing.project_entries(engine, scope, demo.own_project_id)["id"].to_list()
    assert editing.archived_records(engine, scope, demo.alliance_id).filter(table="financial_entry")[
        "id"
    ].to_list() == [record.id]
    editing.restore(engine, scope, "financial_entry", record.id)
    assert record.id in editing.project_entries(engine, scope, demo.own_project_id)["id"].to_list()


def test_only_project_indicators_are_reported_for_projects(engine: Engine, demo: Demo) -> None:
    with engine.connect() as connection:
        regional = int(
            connection.execute(text("SELECT id FROM indicator WHERE code = 'BEISPIEL_REG_ALQ'")).scalar_one()
        )
    assert regional not in editing.form_options(engine, speaker(demo), demo.alliance_id).indicators["id"].to_list()
    value = ValueInput(demo.own_project_id, regional, date(2021, 12, 31), 5.0)
    for scope in (demo.scopes()["speaker"], demo.scopes()["member"]):
        assert refused(engine, partial(editing.report_value, engine, scope, value)) == {
            "indicator_id": [
                "Für Projekte lassen sich nur Projektindikatoren melden (ESF+ und eigene), keine Regionalstatistik"
            ]
        }


def test_value_rules_and_the_upsert_by_key(engine: Engine, demo: Demo) -> None:
    scope = speaker(demo)
    value = ValueInput(demo.own_project_id, demo.indicator_id, date(2022, 6, 30), 42.0, " sex = w ", True)
    assert refused(
        engine,
        lambda: editing.report_value(
            engine, scope, replace(value, indicator_id=999_999, value=float("inf"), dimensions="Frauen")
        ),
    ) == {
        "indicator_id": ["Diesen Indikator gibt es nicht"],
        "value": ["Bitte eine endliche Zahl eingeben"],
        "dimensions": ["Aufschlüsselung bitte als Merkmal=Wert, mehrere durch „;“ getrennt (z. B. sex=w)"],
    }
    assert refused(
        engine, lambda: editing.report_value(engine, scope, replace(value, period_end=None, value=None))
    ) == {
        "period_end": ["Pflichtangabe fehlt"],
        "value": ["Pflichtangabe fehlt"],
    }
    value_id = editing.report_value(engine, scope, value)
    stored = editing.project_values(engine, scope, demo.own_project_id).filter(id=value_id)
    assert stored.select("code", "dimensions", "value", "is_cumulative", "version").rows() == [
        ("EECO01", "sex=w", 42.0, True, 1)
    ]
    # The same key again without having opened it: refused, the stored value shown.
    with pytest.raises(StaleEdit) as caught:
        editing.report_value(engine, scope, replace(value, value=43.0))
    assert [(c.field, c.opened, c.saved) for c in caught.value.changes] == [("value", 43.0, 42.0)]
    assert editing.report_value(engine, scope, replace(value, value=43.0), opened_version=1) == value_id
    assert audit_entries(engine)[-1]["old_values"] == {"value": 42.0}
    assert audit_entries(engine)[-1]["new_values"] == {"value": 43.0}


def test_target_rules(engine: Engine, demo: Demo) -> None:
    scope = speaker(demo)
    target = TargetInput(
        indicator_id=demo.indicator_id,
        scope="topic",
        topic_id=None,
        project_id=demo.own_project_id,  # dropped: a topic target has no project
        description=" Mehr Teilnehmende ",
        baseline_value=10.0,
        baseline_date=date(2020, 1, 1),
        target_value=10.0,
        due_date=date(2019, 12, 31),
    )
    assert refused(engine, lambda: editing.create_target(engine, scope, demo.alliance_id, target)) == {
        "topic_id": ["Für ein Ziel zu einem Handlungsfeld bitte das Handlungsfeld wählen"],
        "target_value": ["Zielwert muss sich vom Ausgangswert unterscheiden"],
        "due_date": ["Zieldatum muss nach dem Datum des Ausgangswerts (01.01.2020) liegen"],
    }
    other_project = int(
        queries.project_portfolio(engine, Scope(user="a", role=Role.ADMIN), demo.other_alliance_id)["id"][0]
    )
    assert refused(
        engine,
        lambda: editing.create_target(
            engine,
            scope,
            demo.alliance_id,
            replace(target, scope="project", project_id=other_project, target_value=20.0, due_date=date(2021, 12, 31)),
        ),
    ) == {"project_id": ["Das Projekt gehört nicht (mehr) zu diesem Bündnis oder ist archiviert"]}
    assert refused(
        engine,
        lambda: editing.create_target(
            engine, scope, demo.alliance_id, replace(target, scope="welt", indicator_id=None)
        ),
    ) == {
        "indicator_id": ["Pflichtangabe fehlt"],
        "scope": ["Unbekannter Bezug „welt“ (Bündnis, Handlungsfeld oder Projekt)"],
        "target_value": ["Zielwert muss sich vom Ausgangswert unterscheiden"],
        "due_date": ["Zieldatum muss nach dem Datum des Ausgangswerts (01.01.2020) liegen"],
    }
    good = replace(target, topic_id=demo.topic_id, target_value=25.0, due_date=date(2021, 12, 31))
    record = editing.create_target(engine, scope, demo.alliance_id, good)
    assert (record.values.project_id, record.values.description) == (None, "Mehr Teilnehmende")
    rows = editing.target_rows(engine, scope, demo.alliance_id).filter(id=record.id)
    assert rows.select("code", "scope", "target_value", "version", "archived").rows() == [
        ("EECO01", "topic", 25.0, 1, False)
    ]
    saved = editing.update_target(engine, scope, record.id, replace(record.values, target_value=30.0), opened=record)
    editing.archive_target(engine, scope, record.id, opened=saved)
    assert editing.target_rows(engine, scope, demo.alliance_id).filter(id=record.id).is_empty()
    editing.restore_target(engine, scope, record.id)
    assert editing.open_target(engine, scope, record.id).version == 4
    assert [row["action"] for row in audit_entries(engine)[-4:]] == ["create", "update", "archive", "restore"]


def test_budget_rules_and_lines(engine: Engine, demo: Demo) -> None:
    scope = speaker(demo)
    assert refused(
        engine,
        lambda: editing.set_budget(
            engine, scope, demo.alliance_id, fund="esf", year=2030, amount=Decimal("-1.234"), opened_version=None
        ),
    ) == {
        "year": ["Jahr 2030 liegt außerhalb der Förderperiode des Bündnisses (2019–2021)"],
        "amount": ["Betrag darf höchstens zwei Nachkommastellen haben"],
    }
    assert refused(
        engine,
        lambda: editing.set_budget(
            engine, scope, demo.alliance_id, fund="", year=2020, amount=None, opened_version=None
        ),
    ) == {"fund": ["Pflichtangabe fehlt"], "amount": ["Pflichtangabe fehlt"]}
    editing.set_budget(
        engine, scope, demo.alliance_id, fund="land", year=2020, amount=Decimal("50000"), opened_version=None
    )
    lines = editing.budget_rows(engine, scope, demo.alliance_id)
    land = lines.filter(fund="land", year=2020)
    assert land.select("planned_cents", "version").rows() == [(5_000_000, 1)]
    esf = lines.filter(fund="esf", year=2020).row(0, named=True)
    # An existing line needs the version the form opened.
    with pytest.raises(StaleEdit):
        editing.set_budget(
            engine, scope, demo.alliance_id, fund="esf", year=2020, amount=Decimal("1"), opened_version=None
        )
    editing.set_budget(
        engine, scope, demo.alliance_id, fund="esf", year=2020, amount=Decimal("500000"), opened_version=esf["version"]
    )
    assert editing.budget_rows(engine, scope, demo.alliance_id).filter(fund="esf", year=2020)["version"].to_list() == [
        2
    ]
    last = audit_entries(engine)[-1]
    assert (last["table_name"], last["old_values"], last["new_values"]) == (
        "budget",
        {"planned_amount": f"{Decimal(esf['planned_cents']) / 100:.2f}"},
        {"planned_amount": "500000.00"},
    )


def test_form_options_and_lists(engine: Engine, demo: Demo) -> None:
    scope = demo.scopes()["member"]
    options = editing.form_options(engine, scope, demo.alliance_id)
    assert options.own_member_ids == frozenset({demo.own_member_id})
    assert demo.other_member_id in options.members["id"].to_list()
    assert options.members.columns == ["id", "name", "member_type"]
    kreise = queries.alliance_kreise(engine, scope, demo.alliance_id)
    assert sorted(options.regions["ags"].head(len(kreise)).to_list()) == kreise  # the alliance's Kreise first
    assert "EECO01" in options.indicators["code"].to_list()
    assert "BEISPIEL_REG_ALQ" not in options.indicators["code"].to_list()  # a regional statistic
    listed = editing.editable_projects(engine, scope, demo.alliance_id)
    assert listed.filter(id=demo.own_project_id)["can_edit"].to_list() == [True]
    assert listed.filter(id=demo.foreign_project_id)["can_edit"].to_list() == [False]
    assert editing.editable_projects(engine, demo.scopes()["liaison"], demo.alliance_id)["can_edit"].sum() == 0


# --- permissions -------------------------------------------------------------------------------------------------

Write = Callable[[Engine, Scope, Demo], Any]


def _update_project(project: str) -> Write:
    def write(engine: Engine, scope: Scope, demo: Demo) -> Any:
        project_id = getattr(demo, project)
        opened = editing.open_project(engine, Scope(user="admin", role=Role.ADMIN), project_id)
        return editing.update_project(
            engine, scope, project_id, replace(opened.values, description="geändert"), opened=opened
        )

    return write


def _archive_project(project: str) -> Write:
    def write(engine: Engine, scope: Scope, demo: Demo) -> Any:
        project_id = getattr(demo, project)
        opened = editing.open_project(engine, Scope(user="admin", role=Role.ADMIN), project_id)
        return editing.archive_project(engine, scope, project_id, opened=opened)

    return write


def _add_entry(project: str) -> Write:
    def write(engine: Engine, scope: Scope, demo: Demo) -> Any:
        data = EntryInput(getattr(demo, project), date(2021, 1, 15), "disbursement", Decimal("99.99"), "esf", "Test")
        return editing.add_entry(engine, scope, data)

    return write


def _report_value(project: str) -> Write:
    def write(engine: Engine, scope: Scope, demo: Demo) -> Any:
        data = ValueInput(getattr(demo, project), demo.indicator_id, date(2031, 12, 31), 7.0)
        return editing.report_value(engine, scope, data)

    return write


def _update_entry(entry: str) -> Write:
    def write(engine: Engine, scope: Scope, demo: Demo) -> Any:
        entry_id = getattr(demo, entry)
        opened = editing.open_entry(engine, Scope(user="admin", role=Role.ADMIN), entry_id)
        return editing.update_entry(engine, scope, entry_id, replace(opened.values, note="geändert"), opened=opened)

    return write


def _archive_entry(entry: str) -> Write:
    def write(engine: Engine, scope: Scope, demo: Demo) -> Any:
        entry_id = getattr(demo, entry)
        opened = editing.open_entry(engine, Scope(user="admin", role=Role.ADMIN), entry_id)
        return editing.archive_entry(engine, scope, entry_id, opened=opened)

    return write


def _target(demo: Demo) -> TargetInput:
    return TargetInput(demo.indicator_id, "alliance", None, None, "", 1.0, date(2019, 1, 1), 2.0, date(2021, 12, 31))


def _update_target(engine: Engine, scope: Scope, demo: Demo) -> Any:
    opened = editing.open_target(engine, Scope(user="admin", role=Role.ADMIN), demo.target_id)
    return editing.update_target(
        engine, scope, demo.target_id, replace(opened.values, description="neu"), opened=opened
    )


def _archive_target(engine: Engine, scope: Scope, demo: Demo) -> Any:
    opened = editing.open_target(engine, Scope(user="admin", role=Role.ADMIN), demo.target_id)
    return editing.archive_target(engine, scope, demo.target_id, opened=opened)


def _archived(table: str) -> Write:
    """Restore a record that the admin archived first."""

    def write(engine: Engine, scope: Scope, demo: Demo) -> Any:
        admin = Scope(user="admin", role=Role.ADMIN)
        record_id = {"project": demo.foreign_project_id, "financial_entry": demo.entry_id, "target": demo.target_id}[
            table
        ]
        if table == "project":
            editing.archive_project(engine, admin, record_id, opened=editing.open_project(engine, admin, record_id))
        elif table == "financial_entry":
            editing.restore_project(engine, admin, demo.own_project_id)  # archived by an earlier write
            editing.archive_entry(engine, admin, record_id, opened=editing.open_entry(engine, admin, record_id))
        else:
            editing.archive_target(engine, admin, record_id, opened=editing.open_target(engine, admin, record_id))
        return editing.restore(engine, scope, table, record_id)

    return write


# In this order: archiving comes after the writes that need the record, restoring last.
WRITES: dict[str, Write] = {
    "create_project[own lead]": lambda e, s, d: editing.create_project(e, s, d.alliance_id, project_input(d)),
    "update_project[own]": _update_project("own_project_id"),
    "update_project[foreign]": _update_project("foreign_project_id"),
    "add_entry[own]": _add_entry("own_project_id"),
    "add_entry[foreign]": _add_entry("foreign_project_id"),
    "update_entry[own]": _update_entry("entry_id"),
    "update_entry[foreign]": _update_entry("foreign_entry_id"),
    "report_value[own]": _report_value("own_project_id"),
    "report_value[foreign]": _report_value("foreign_project_id"),
    "create_target": lambda e, s, d: editing.create_target(e, s, d.alliance_id, _target(d)),
    "update_target": _update_target,
    "set_budget": lambda e, s, d: editing.set_budget(
        e, s, d.alliance_id, fund="bund", year=2021, amount=Decimal("1000"), opened_version=None
    ),
    "archived_records": lambda e, s, d: editing.archived_records(e, s, d.alliance_id),
    "archive_entry[own]": _archive_entry("entry_id"),
    "archive_entry[foreign]": _archive_entry("foreign_entry_id"),
    "archive_target": _archive_target,
    "archive_project[own]": _archive_project("own_project_id"),
    "archive_project[foreign]": _archive_project("foreign_project_id"),
    "restore[project]": _archived("project"),
    "restore[financial_entry]": _archived("financial_entry"),
    "restore[target]": _archived("target"),
}
# A member writes for the projects its organisation leads; the "[foreign]" writes are another partner's project.
MEMBER_MAY = {
    "create_project[own lead]",
    "update_project[own]",
    "archive_project[own]",
    "add_entry[own]",
    "update_entry[own]",
    "archive_entry[own]",
    "report_value[own]",
}
ALLOWED = {
    "admin": set(WRITES),
    "speaker": set(WRITES),
    "member": MEMBER_MAY,
    "liaison": set(),
    "speaker_elsewhere": set(),
}


@pytest.mark.parametrize("who", sorted(ALLOWED))
def test_every_write_service_is_allowed_or_denied_per_role(engine: Engine, demo: Demo, who: str) -> None:
    scope = demo.scopes()[who]
    for name, write in WRITES.items():
        before = state(engine)
        if name in ALLOWED[who]:
            write(engine, scope, demo)
            continue
        try:
            write(engine, scope, demo)
        except PermissionDenied:
            pass
        else:
            pytest.fail(f"{who} may {name}")
        if name.startswith("restore"):
            continue  # the admin's archiving before the refused restore was written
        assert state(engine) == before, f"{who}: refused {name} wrote something"


def test_a_member_keeps_its_organisation_as_lead(engine: Engine, demo: Demo) -> None:
    member = demo.scopes()["member"]
    assert refused(
        engine,
        lambda: editing.create_project(
            engine, member, demo.alliance_id, project_input(demo, lead_member_id=demo.other_member_id, partner_ids=())
        ),
    ) == {
        "lead_member_id": [
            "Federführend muss Ihre eigene Organisation sein – sonst könnten Sie das Projekt nicht mehr bearbeiten"
        ]
    }
    own = editing.open_project(engine, member, demo.own_project_id)
    changed = replace(own.values, lead_member_id=demo.other_member_id, partner_ids=())
    assert refused(engine, lambda: editing.update_project(engine, member, own.id, changed, opened=own)) == {
        "lead_member_id": [
            "Federführend muss Ihre eigene Organisation sein – sonst könnten Sie das Projekt nicht mehr bearbeiten"
        ]
    }
    # A speaker may hand a project to another partner.
    assert (
        editing.update_project(engine, speaker(demo), own.id, changed, opened=own).values.lead_member_id
        == demo.other_member_id
    )


def test_reading_for_the_forms_follows_the_scope(engine: Engine, demo: Demo) -> None:
    scopes = demo.scopes()
    with pytest.raises(NotFound):
        editing.open_project(engine, scopes["speaker_elsewhere"], demo.own_project_id)
    with pytest.raises(PermissionDenied):
        editing.project_entries(engine, scopes["member"], demo.foreign_project_id)  # another partner's money
    with pytest.raises(PermissionDenied):
        editing.open_entry(engine, scopes["member"], _entry_of(engine, demo.foreign_project_id))
    foreign = editing.open_project(engine, scopes["member"], demo.foreign_project_id)  # the form never offers it
    assert not foreign.can_edit and foreign.values.total_cost is None
    assert not editing.project_entries(engine, scopes["member"], demo.own_project_id).is_empty()
    assert not editing.project_entries(engine, scopes["liaison"], demo.foreign_project_id).is_empty()
    with pytest.raises(PermissionDenied):
        editing.form_options(engine, scopes["speaker_elsewhere"], demo.alliance_id)
    with pytest.raises(PermissionDenied):
        editing.archived_records(engine, scopes["member"], demo.alliance_id)


def test_a_member_opens_another_partners_project_without_its_money(engine: Engine, demo: Demo) -> None:
    member = demo.scopes()["member"]
    full = editing.open_project(engine, speaker(demo), demo.foreign_project_id)
    seen = editing.open_project(engine, member, demo.foreign_project_id)
    assert (seen.can_edit, seen.money_visible, full.money_visible) == (False, False, True)
    assert seen.values == replace(full.values, total_cost=None, requested_grant=None, approved_grant=None)
    assert full.values.total_cost is not None
    # Once its organisation takes part, the member reads the project's money (still without editing it).
    partners = tuple(sorted({*full.values.partner_ids, demo.own_member_id}))
    editing.update_project(engine, speaker(demo), full.id, replace(full.values, partner_ids=partners), opened=full)
    taking_part = editing.open_project(engine, member, demo.foreign_project_id)
    assert (taking_part.can_edit, taking_part.money_visible) == (False, True)
    assert taking_part.values.total_cost == full.values.total_cost
    own = editing.open_project(engine, member, demo.own_project_id)
    assert (own.can_edit, own.money_visible) == (True, True) and own.values.total_cost is not None


def test_a_clash_the_checks_could_not_foresee_is_named_for_what_it_is(
    engine: Engine, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database's constraints catch what someone else changed between the checks and the write: a taken title
    is told as such, a vanished reference and any other clash are not passed off as a taken title."""
    monkeypatch.setattr(editing, "_check_project", lambda *_args: None)  # as if the checks had seen another state
    scope = speaker(demo)
    taken = editing.open_project(engine, scope, demo.foreign_project_id).values.title
    assert refused(
        engine, lambda: editing.create_project(engine, scope, demo.alliance_id, project_input(demo, title=taken))
    ) == {"title": [f"Titel „{taken}“ gibt es in diesem Bündnis schon"]}
    assert refused(
        engine,
        lambda: editing.create_project(engine, scope, demo.alliance_id, project_input(demo, lead_member_id=999_999)),
    ) == {
        editing.GENERAL_FIELD: [
            "Ein verknüpfter Datensatz ist inzwischen nicht mehr vorhanden."
            " Es wurde nichts gespeichert; bitte neu laden und erneut versuchen."
        ]
    }
    backwards = project_input(demo, start_date=date(2021, 3, 1), end_date=date(2021, 2, 1))
    own = editing.open_project(engine, scope, demo.own_project_id)
    assert refused(
        engine, lambda: editing.update_project(engine, scope, own.id, replace(backwards, title="Neu"), opened=own)
    ) == {
        editing.GENERAL_FIELD: [
            "Die Änderung verträgt sich nicht mit einer gleichzeitig gespeicherten Änderung."
            " Es wurde nichts gespeichert; bitte neu laden und erneut versuchen."
        ]
    }


def _entry_of(engine: Engine, project_id: int) -> int:
    with engine.connect() as connection:
        statement = select(func.min(FinancialEntry.id)).where(col(FinancialEntry.project_id) == project_id)
        return int(connection.execute(statement).scalar_one())


def test_field_errors_read_in_english_too(engine: Engine, demo: Demo) -> None:
    with pytest.raises(ValidationFailed) as caught:
        editing.create_project(
            engine, speaker(demo), demo.alliance_id, project_input(demo, title="", region_ags=("03999",))
        )
    assert messages(caught.value, "en") == {"title": ["Required"], "region_ags": ["District 03999 does not exist"]}
    assert caught.value.for_field("title") == [FieldError("title", "required", {})]


def test_members_and_topics_frames_are_typed(engine: Engine, demo: Demo) -> None:
    options = editing.form_options(engine, speaker(demo), demo.alliance_id)
    assert options.topics.schema == pl.Schema({"id": pl.Int64(), "name": pl.String()})
    with engine.connect() as connection:
        topics = connection.execute(select(func.count()).where(col(Topic.alliance_id) == demo.alliance_id)).scalar_one()
        members = connection.execute(
            select(func.count()).where(col(Member.alliance_id) == demo.alliance_id)
        ).scalar_one()
    assert (options.topics.height, options.members.height) == (topics, members)

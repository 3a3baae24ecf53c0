"""The bulk import service on SQLite and PostgreSQL: every malformed cell is named by line, column and reason and
nothing is written; a good file previews new / changed / unchanged, imports in one transaction with one audit
entry per written record, and imports nothing new the second time; members import only for their own projects.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, text

from dashboard.data_access import bulk_import, editing
from dashboard.data_access.bulk_import import BulkRejected, apply_bulk, plan_bulk
from dashboard.data_access.bulk_schema import BULK_COLUMNS, LINE, BulkKind
from dashboard.data_access.scope import PermissionDenied, Role, Scope
from tests.unit import test_editing as shared
from tests.unit.test_editing import Demo, audit_entries, state

# The per-test seeded databases of the form tests (a fixture is found by its name in the module).
engine, demo = shared.engine, shared.demo  # seeded_source comes from tests/conftest.py

NBSP = "\u00a0"


def rows(kind: BulkKind, records: list[dict[str, Any]], *, first_line: int = 2) -> pl.DataFrame:
    """The frame the file reader hands over: every canonical column as text (null = empty) plus the line."""
    names = [column.name for column in BULK_COLUMNS[kind]]
    data = {name: [record.get(name) for record in records] for name in names}
    frame = pl.DataFrame(data, schema=dict.fromkeys(names, pl.String()))
    return frame.with_columns(pl.int_range(first_line, first_line + len(records), dtype=pl.Int64).alias(LINE))


def name_of(engine: Engine, table: str, record_id: int) -> str:
    column = "title" if table == "project" else "name"
    with engine.connect() as connection:
        return str(
            connection.execute(text(f"SELECT {column} FROM {table} WHERE id = :i"), {"i": record_id}).scalar_one()
        )


def speaker(demo: Demo) -> Scope:
    return demo.scopes()["speaker"]


def new_project(engine: Engine, demo: Demo, **cells: str | None) -> dict[str, Any]:
    return {
        "title": "Willkommenslotsen Goslar",
        "lead": name_of(engine, "member", demo.own_member_id),
        "status": "Beantragt",
        "fund": "ESF/ESF+",
        "start_date": "01.02.2020",
        "end_date": "2021-12-31",
        "total_cost": "1.234.567,89",
        "requested_grant": "740740,73",
        "approved_grant": None,
        "partners": name_of(engine, "member", demo.other_member_id),
        "topics": name_of(engine, "topic", demo.topic_id),
        "kreise": "03153; 03158",
        "description": "Lotsen für neue Fachkräfte",
    } | cells


def rejected(engine: Engine, scope: Scope, demo: Demo, kind: BulkKind, frame: pl.DataFrame) -> list[str]:
    """Plan and apply a file that must be refused; returns the problem texts; nothing may be written."""
    before = state(engine)
    plan = plan_bulk(engine, scope, demo.alliance_id, kind, frame)
    assert plan.has_errors and not plan.has_work
    with pytest.raises(BulkRejected) as caught:
        apply_bulk(engine, scope, demo.alliance_id, kind, frame)
    assert [issue.text() for issue in caught.value.issues] == [issue.text() for issue in plan.issues]
    assert state(engine) == before
    return [issue.text() for issue in plan.issues]


# --- projects ----------------------------------------------------------------------------------------------------


def test_a_projects_file_previews_imports_with_audit_and_is_unchanged_the_second_time(
    engine: Engine, demo: Demo
) -> None:
    scope = speaker(demo)
    own_title = name_of(engine, "project", demo.own_project_id)
    foreign_title = name_of(engine, "project", demo.foreign_project_id)
    opened_own = editing.open_project(engine, scope, demo.own_project_id)
    records = [
        new_project(engine, demo),
        # Only a status: the empty cells keep what is stored.
        {"title": own_title, "status": "laufend", "total_cost": "999.999,00"},
        {"title": foreign_title},  # nothing to change
    ]
    frame = rows(BulkKind.PROJECTS, records)
    plan = plan_bulk(engine, scope, demo.alliance_id, BulkKind.PROJECTS, frame)
    assert plan.issues == [] and plan.has_work
    assert plan.counts == {"new": 1, "changed": 1, "unchanged": 1}
    old_status = {"abgeschlossen": "Abgeschlossen"}.get(opened_own.values.status, opened_own.values.status)
    old_cost = f"{opened_own.values.total_cost:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert plan.preview.rows() == [
        (2, "new", "Willkommenslotsen Goslar", ""),
        (
            3,
            "changed",
            own_title,
            f"Status: {old_status} → Laufend; Gesamtkosten: {old_cost}{NBSP}€ → 999.999,00{NBSP}€",
        ),
        (4, "unchanged", foreign_title, ""),
    ]
    trail = len(audit_entries(engine))
    progress: list[float] = []
    assert (
        apply_bulk(engine, scope, demo.alliance_id, BulkKind.PROJECTS, frame, progress=lambda f, _m: progress.append(f))
        == plan.counts
    )
    assert progress[0] == 0.0 and progress[-1] == 1.0

    created = editing.open_project(
        engine,
        scope,
        int(
            editing.editable_projects(engine, scope, demo.alliance_id).filter(title="Willkommenslotsen Goslar")["id"][0]
        ),
    )
    assert str(created.values.total_cost) == "1234567.89" and str(created.values.requested_grant) == "740740.73"
    assert (created.values.status, created.values.fund, created.values.region_ags) == (
        "beantragt",
        "esf",
        ("03153", "03158"),
    )
    assert created.values.partner_ids == (demo.other_member_id,) and created.values.topic_ids == (demo.topic_id,)
    changed = editing.open_project(engine, scope, demo.own_project_id)
    assert changed.version == opened_own.version + 1
    assert changed.values == editing.ProjectInput(
        **{**opened_own.values.__dict__, "status": "laufend", "total_cost": changed.values.total_cost}
    )
    assert str(changed.values.total_cost) == "999999.00"

    written = audit_entries(engine)[trail:]
    assert [(row["action"], row["table_name"]) for row in written] == [("import", "project")] * 2
    assert written[0]["old_values"] is None and written[0]["new_values"]["total_cost"] == "1234567.89"
    assert written[0]["new_values"]["partner_ids"] == [demo.other_member_id]
    assert written[1]["record_id"] == str(demo.own_project_id)
    assert written[1]["old_values"] == {
        "status": opened_own.values.status,
        "total_cost": f"{opened_own.values.total_cost:.2f}",
    }
    assert written[1]["new_values"] == {"status": "laufend", "total_cost": "999999.00"}

    # The same file again: everything unchanged, nothing written, no audit entry.
    before = state(engine)
    again = plan_bulk(engine, scope, demo.alliance_id, BulkKind.PROJECTS, frame)
    assert again.counts == {"new": 0, "changed": 0, "unchanged": 3} and not again.has_work
    assert apply_bulk(engine, scope, demo.alliance_id, BulkKind.PROJECTS, frame) == again.counts
    assert state(engine) == before


def test_numbers_dates_and_labels_in_the_usual_spellings(engine: Engine, demo: Demo) -> None:
    spellings = [
        ("1.234,56", "1234.56"),
        ("1234.56", "1234.56"),
        ("1234,5", "1234.50"),
        ("1,234.56", "1234.56"),
        ("€ 12.345.678", "12345678.00"),
        ("0.123", None),
    ]
    records = [
        new_project(
            engine, demo, title=f"Projekt {index}", total_cost=cell, requested_grant=None, status=status, fund=fund
        )
        for index, ((cell, _), status, fund) in enumerate(
            zip(
                spellings[:-1],
                ["idee", "BEWILLIGT", "Approved", "running", "Laufend"],
                ["esf", "EFRE", "Federal state", "esf+", "Land"],
                strict=True,
            )
        )
    ]
    plan = plan_bulk(engine, speaker(demo), demo.alliance_id, BulkKind.PROJECTS, rows(BulkKind.PROJECTS, records))
    assert plan.issues == []
    apply_bulk(engine, speaker(demo), demo.alliance_id, BulkKind.PROJECTS, rows(BulkKind.PROJECTS, records))
    listed = editing.editable_projects(engine, speaker(demo), demo.alliance_id)
    stored = {
        title: editing.open_project(engine, speaker(demo), int(listed.filter(title=title)["id"][0])).values
        for title in (record["title"] for record in records)
    }
    assert [str(stored[f"Projekt {index}"].total_cost) for index in range(5)] == [value for _, value in spellings[:-1]]
    assert [stored[f"Projekt {index}"].status for index in range(5)] == [
        "idee",
        "bewilligt",
        "bewilligt",
        "laufend",
        "laufend",
    ]
    assert [stored[f"Projekt {index}"].fund for index in range(5)] == ["esf", "efre", "land", "esf", "land"]
    assert {values.start_date.isoformat() for values in stored.values() if values.start_date} == {"2020-02-01"}


MALFORMED: dict[str, tuple[BulkKind, dict[str, Any], str]] = {
    "bad number": (
        BulkKind.PROJECTS,
        {"total_cost": "12,345"},
        "Zeile 2, Spalte „Gesamtkosten“ („12,345“): Betrag darf höchstens zwei Nachkommastellen haben",
    ),
    "not a number": (
        BulkKind.PROJECTS,
        {"requested_grant": "viel"},
        "Zeile 2, Spalte „Beantragte Förderung“: „viel“ ist keine Zahl (z. B. 1.234,56 oder 1234.56)",
    ),
    "ambiguous number": (
        BulkKind.PROJECTS,
        {"approved_grant": "1.234"},
        "Zeile 2, Spalte „Bewilligte Förderung“: „1.234“ ist mehrdeutig: bitte ohne Tausenderpunkt (1234)"
        " oder mit Dezimalkomma (1,234) schreiben",
    ),
    "bad date": (
        BulkKind.PROJECTS,
        {"end_date": "31.02.2021"},
        "Zeile 2, Spalte „Ende“: „31.02.2021“ ist kein Datum (erwartet 31.12.2025 oder 2025-12-31)",
    ),
    "unknown lead": (
        BulkKind.PROJECTS,
        {"lead": "Firma Niemand"},
        "Zeile 2, Spalte „Federführung“: Partner „Firma Niemand“ gibt es in diesem Bündnis nicht",
    ),
    "unknown partner": (
        BulkKind.PROJECTS,
        {"partners": "Firma Niemand"},
        "Zeile 2, Spalte „Partner“: Partner „Firma Niemand“ gibt es in diesem Bündnis nicht",
    ),
    "unknown topic": (
        BulkKind.PROJECTS,
        {"topics": "Raumfahrt"},
        "Zeile 2, Spalte „Handlungsfelder“: Handlungsfeld „Raumfahrt“ gibt es in diesem Bündnis nicht",
    ),
    "unknown AGS": (
        BulkKind.PROJECTS,
        {"kreise": "03153; 03999"},
        "Zeile 2, Spalte „Kreise (AGS)“: Kreis 03999 gibt es nicht",
    ),
    "bad status": (
        BulkKind.PROJECTS,
        {"status": "fertig"},
        "Zeile 2, Spalte „Status“: „fertig“ ist kein gültiger Wert; erlaubt: Idee, Beantragt, Bewertet, Bewilligt,"
        " Laufend, Abgeschlossen, Abgelehnt, Zurückgezogen, Abgebrochen",
    ),
    "missing required value": (
        BulkKind.PROJECTS,
        {"lead": None},
        "Zeile 2, Spalte „Federführung“: Pflichtangabe fehlt",
    ),
    "grant above cost": (
        BulkKind.PROJECTS,
        {"requested_grant": "2.000.000"},
        f"Zeile 2, Spalte „Beantragte Förderung“ („2.000.000“): Beantragte Förderung (2.000.000,00{NBSP}€)"
        f" übersteigt die Gesamtkosten (1.234.567,89{NBSP}€)",
    ),
    "end before start": (
        BulkKind.PROJECTS,
        {"end_date": "31.01.2020"},
        "Zeile 2, Spalte „Ende“ („31.01.2020“): Ende darf nicht vor dem Beginn liegen (Beginn: 01.02.2020)",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_cell_is_named_and_nothing_is_written(engine: Engine, demo: Demo, case: str) -> None:
    kind, cells, message = MALFORMED[case]
    frame = rows(kind, [new_project(engine, demo, **cells)])
    assert rejected(engine, speaker(demo), demo, kind, frame) == [message]


def test_a_duplicate_title_and_an_archived_project_are_refused(engine: Engine, demo: Demo) -> None:
    foreign = editing.open_project(engine, speaker(demo), demo.foreign_project_id)
    editing.archive_project(engine, speaker(demo), foreign.id, opened=foreign)
    frame = rows(
        BulkKind.PROJECTS,
        [
            new_project(engine, demo),
            new_project(engine, demo, status="Idee"),
            {"title": foreign.values.title, "status": "laufend"},
        ],
        first_line=5,
    )
    assert rejected(engine, speaker(demo), demo, BulkKind.PROJECTS, frame) == [
        "Zeile 6, Spalte „Titel“: Titel „Willkommenslotsen Goslar“ steht schon in Zeile 5",
        f"Zeile 7, Spalte „Titel“: Projekt „{foreign.values.title}“ ist archiviert; bitte zuerst wiederherstellen",
    ]


def test_a_refused_file_has_no_preview(engine: Engine, demo: Demo) -> None:
    own_title = name_of(engine, "project", demo.own_project_id)
    frame = rows(BulkKind.PROJECTS, [{"title": own_title, "status": "laufend"}, new_project(engine, demo, fund="?")])
    plan = plan_bulk(engine, speaker(demo), demo.alliance_id, BulkKind.PROJECTS, frame)
    assert [issue.line for issue in plan.issues] == [3]
    assert plan.preview.is_empty() and plan.counts == {"new": 0, "changed": 0, "unchanged": 0}
    assert plan.preview.schema == pl.Schema(bulk_import.PREVIEW_SCHEMA)


def test_one_bad_row_among_many_imports_nothing_and_names_that_row(engine: Engine, demo: Demo) -> None:
    records = [new_project(engine, demo, title=f"Projekt Nr. {number}") for number in range(60)]
    records[35] = records[35] | {"start_date": "2020-02-30"}
    frame = rows(BulkKind.PROJECTS, records)
    assert rejected(engine, speaker(demo), demo, BulkKind.PROJECTS, frame) == [
        "Zeile 37, Spalte „Beginn“: „2020-02-30“ ist kein Datum (erwartet 31.12.2025 oder 2025-12-31)"
    ]


def test_many_problems_are_listed_up_to_the_cap_and_counted(engine: Engine, demo: Demo) -> None:
    frame = rows(BulkKind.PROJECTS, [new_project(engine, demo, title=f"P{n}", fund="Lotto") for n in range(250)])
    plan = plan_bulk(engine, speaker(demo), demo.alliance_id, BulkKind.PROJECTS, frame)
    assert len(plan.issues) == bulk_import.MAX_ISSUES + 1 and plan.issue_count == 250
    assert plan.issues[-1].text() == "… und 50 weitere Probleme"
    assert plan.issues[0].text("en").startswith("Row 2, column “Fund”: “Lotto” is not a valid value; allowed: ESF/ESF+")


def test_missing_columns_and_empty_files(engine: Engine, demo: Demo) -> None:
    frame = rows(BulkKind.ENTRIES, [{"project": "x"}]).drop("amount", "kind")
    assert rejected(engine, speaker(demo), demo, BulkKind.ENTRIES, frame) == [
        "Spalte „Art“: Die Spalte fehlt",
        "Spalte „Betrag“: Die Spalte fehlt",
    ]
    empty = rows(BulkKind.ENTRIES, [{}, {}])
    assert rejected(engine, speaker(demo), demo, BulkKind.ENTRIES, empty) == ["Die Datei enthält keine Datenzeilen"]


# --- financial entries -------------------------------------------------------------------------------------------


def test_entries_import_once_and_are_found_again(engine: Engine, demo: Demo) -> None:
    scope = demo.scopes()["member"]
    own_title = name_of(engine, "project", demo.own_project_id)
    records = [
        {"project": own_title, "entry_date": "15.01.2021", "kind": "Auszahlung", "amount": "1.500,00", "fund": "ESF"},
        {
            "project": own_title,
            "entry_date": "2021-01-15",
            "kind": "Bewilligung",
            "amount": "-250",
            "fund": "esf",
            "note": "Teilwiderruf",
        },
    ]
    frame = rows(BulkKind.ENTRIES, records)
    plan = plan_bulk(engine, scope, demo.alliance_id, BulkKind.ENTRIES, frame)
    assert plan.issues == [] and plan.counts == {"new": 2, "changed": 0, "unchanged": 0}
    assert plan.preview["label"].to_list() == [
        f"{own_title} · 15.01.2021 · Auszahlung · 1.500,00{NBSP}€",
        f"{own_title} · 15.01.2021 · Bewilligung · -250,00{NBSP}€",
    ]
    trail = len(audit_entries(engine))
    apply_bulk(engine, scope, demo.alliance_id, BulkKind.ENTRIES, frame)
    stored = editing.project_entries(engine, scope, demo.own_project_id).filter(
        pl.col("entry_date") == pl.date(2021, 1, 15)
    )
    assert sorted(stored.select("kind", "amount_cents", "note").rows()) == [
        ("commitment", -25000, "Teilwiderruf"),
        ("disbursement", 150000, ""),
    ]
    written = audit_entries(engine)[trail:]
    assert [row["action"] for row in written] == ["import", "import"]
    assert written[0]["new_values"] == {
        "project_id": demo.own_project_id,
        "entry_date": "2021-01-15",
        "kind": "disbursement",
        "amount": "1500.00",
        "fund": "esf",
        "note": "",
    }
    before = state(engine)
    assert plan_bulk(engine, scope, demo.alliance_id, BulkKind.ENTRIES, frame).counts == {
        "new": 0,
        "changed": 0,
        "unchanged": 2,
    }
    apply_bulk(engine, scope, demo.alliance_id, BulkKind.ENTRIES, frame)
    assert state(engine) == before


def test_entry_problems(engine: Engine, demo: Demo) -> None:
    own_title = name_of(engine, "project", demo.own_project_id)
    good = {"project": own_title, "entry_date": "15.01.2021", "kind": "Auszahlung", "amount": "10", "fund": "esf"}
    frame = rows(
        BulkKind.ENTRIES,
        [
            good | {"project": "Gibt es nicht"},
            good | {"amount": "-10"},
            good | {"kind": "Spende", "entry_date": None},
            good,
            good,
        ],
    )
    assert rejected(engine, speaker(demo), demo, BulkKind.ENTRIES, frame) == [
        "Zeile 2, Spalte „Projekt“: Projekt „Gibt es nicht“ gibt es in diesem Bündnis nicht",
        "Zeile 3, Spalte „Betrag“ („-10“): Eine Auszahlung muss größer als 0 sein"
        " (eine Rücknahme wird als negative Bewilligung gebucht)",
        "Zeile 4, Spalte „Datum“: Pflichtangabe fehlt",
        "Zeile 4, Spalte „Art“: „Spende“ ist kein gültiger Wert; erlaubt: Bewilligung, Auszahlung",
        "Zeile 6, Spalte „Projekt“: Dieselbe Buchung steht schon in Zeile 5",
    ]


def test_five_thousand_entries_in_chunks_with_progress(engine: Engine, demo: Demo) -> None:
    own_title = name_of(engine, "project", demo.own_project_id)
    records = [
        {
            "project": own_title,
            "entry_date": "30.06.2021",
            "kind": "Auszahlung",
            "amount": f"{n},01",
            "fund": "esf",
            "note": f"Beleg {n}",
        }
        for n in range(1, 5001)
    ]
    progress: list[float] = []
    counts = apply_bulk(
        engine,
        speaker(demo),
        demo.alliance_id,
        BulkKind.ENTRIES,
        rows(BulkKind.ENTRIES, records),
        progress=lambda f, _m: progress.append(f),
    )
    assert counts == {"new": 5000, "changed": 0, "unchanged": 0}
    assert progress == [0.0, 0.4, 0.8, 1.0, 1.0]
    assert (
        len(
            editing.project_entries(engine, speaker(demo), demo.own_project_id).filter(
                pl.col("note").str.starts_with("Beleg")
            )
        )
        == 5000
    )


# --- indicator values --------------------------------------------------------------------------------------------


def test_values_new_changed_unchanged_and_their_problems(engine: Engine, demo: Demo) -> None:
    scope = demo.scopes()["member"]
    own_title = name_of(engine, "project", demo.own_project_id)
    stored = (
        editing.project_values(engine, scope, demo.own_project_id)
        .filter(code="EECO01", dimensions="")
        .sort("period_end")
    )
    existing = stored.row(0, named=True)
    day = existing["period_end"].strftime("%d.%m.%Y")
    records = [
        {
            "project": own_title,
            "indicator": "EECO01",
            "period_end": "31.12.2029",
            "value": "12",
            "dimensions": "sex = w",
            "cumulative": "ja",
        },
        {"project": own_title, "indicator": "eeco01", "period_end": day, "value": f"{existing['value'] + 1:.0f}"},
        {"project": own_title, "indicator": "EECO01", "period_end": day, "value": "3,5", "dimensions": "sex=w;age=u25"},
    ]
    frame = rows(BulkKind.VALUES, records)
    plan = plan_bulk(engine, scope, demo.alliance_id, BulkKind.VALUES, frame)
    assert plan.issues == [] and plan.counts == {"new": 2, "changed": 1, "unchanged": 0}
    assert plan.preview.filter(status="changed")["changes"].to_list() == [
        f"Wert: {existing['value']:.0f} → {existing['value'] + 1:.0f}"
    ]
    trail = len(audit_entries(engine))
    apply_bulk(engine, scope, demo.alliance_id, BulkKind.VALUES, frame)
    after = editing.project_values(engine, scope, demo.own_project_id)
    assert after.filter(period_end=existing["period_end"], code="EECO01", dimensions="").select(
        "value", "is_cumulative", "version"
    ).rows() == [(existing["value"] + 1, existing["is_cumulative"], existing["version"] + 1)]
    assert after.filter(dimensions="age=u25;sex=w")["value"].to_list() == [3.5]
    written = audit_entries(engine)[trail:]
    assert len(written) == 3
    assert {"old_values": {"value": existing["value"]}, "new_values": {"value": existing["value"] + 1}}.items() <= next(
        row for row in written if row["old_values"]
    ).items()
    assert plan_bulk(engine, scope, demo.alliance_id, BulkKind.VALUES, frame).counts == {
        "new": 0,
        "changed": 0,
        "unchanged": 3,
    }

    bad = rows(
        BulkKind.VALUES,
        [
            records[0] | {"indicator": "XYZ99"},
            records[0] | {"value": "zwölf", "cumulative": "vielleicht"},
            records[0] | {"dimensions": "Frauen", "period_end": None},
            records[0] | {"period_end": "31.12.2028"},
        ],
    )
    assert rejected(engine, scope, demo, BulkKind.VALUES, bad) == [
        "Zeile 2, Spalte „Indikator“: Indikator „XYZ99“ gibt es nicht",
        "Zeile 3, Spalte „Wert“: „zwölf“ ist keine Zahl (z. B. 1.234,56 oder 1234.56)",
        "Zeile 3, Spalte „Kumuliert“: „vielleicht“: bitte „ja“ oder „nein“",
        "Zeile 4, Spalte „Stichtag“: Pflichtangabe fehlt",
        "Zeile 4, Spalte „Aufschlüsselung“ („Frauen“): Aufschlüsselung bitte als Merkmal=Wert,"
        " mehrere durch „;“ getrennt (z. B. sex=w)",
    ]


# --- permissions -------------------------------------------------------------------------------------------------


def test_a_member_imports_only_for_its_own_projects(engine: Engine, demo: Demo) -> None:
    member = demo.scopes()["member"]
    own_title = name_of(engine, "project", demo.own_project_id)
    foreign_title = name_of(engine, "project", demo.foreign_project_id)
    entry = {"entry_date": "15.01.2021", "kind": "Auszahlung", "amount": "10", "fund": "esf"}
    frame = rows(BulkKind.ENTRIES, [entry | {"project": own_title}, entry | {"project": foreign_title}])
    assert rejected(engine, member, demo, BulkKind.ENTRIES, frame) == [
        f"Zeile 3, Spalte „Projekt“: Projekt „{foreign_title}“ wird nicht von Ihrer Organisation geführt"
    ]
    other_lead = name_of(engine, "member", demo.other_member_id)
    projects = rows(
        BulkKind.PROJECTS,
        [
            new_project(engine, demo, partners=None),
            new_project(engine, demo, title="Fremdes neues Projekt", lead=other_lead, partners=None),
            {"title": foreign_title, "status": "laufend"},
        ],
    )
    assert rejected(engine, member, demo, BulkKind.PROJECTS, projects) == [
        "Zeile 3, Spalte „Federführung“ („"
        + other_lead
        + "“): Federführend muss Ihre eigene Organisation sein – sonst könnten Sie das Projekt nicht mehr bearbeiten",
        f"Zeile 4, Spalte „Titel“: Projekt „{foreign_title}“ wird nicht von Ihrer Organisation geführt",
    ]
    # Its own rows alone go through.
    assert apply_bulk(engine, member, demo.alliance_id, BulkKind.ENTRIES, frame.head(1))["new"] == 1


def test_a_member_learns_nothing_stored_of_another_partners_project(
    engine: Engine, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its stored values are not merged into the row (no rule message quotes its total cost), and no stored booking
    or value of it is read (no preview status tells whether one exists)."""
    member = demo.scopes()["member"]
    foreign_title = name_of(engine, "project", demo.foreign_project_id)
    not_own = f"Projekt „{foreign_title}“ wird nicht von Ihrer Organisation geführt"
    projects = rows(BulkKind.PROJECTS, [{"title": foreign_title, "requested_grant": "999.999.999,00"}])
    assert rejected(engine, member, demo, BulkKind.PROJECTS, projects) == [f"Zeile 2, Spalte „Titel“: {not_own}"]

    read: list[int] = []
    for name in ("_stored_entries", "_stored_values"):
        original = getattr(bulk_import, name)

        def spy(connection: Any, project_ids: Any, original: Any = original) -> Any:
            read.extend(project_ids)
            return original(connection, project_ids)

        monkeypatch.setattr(bulk_import, name, spy)
    own_title = name_of(engine, "project", demo.own_project_id)
    entry = {"entry_date": "15.01.2021", "kind": "Auszahlung", "amount": "10", "fund": "esf"}
    value = {"indicator": "EECO01", "period_end": "31.12.2021", "value": "1"}
    for kind, cells in ((BulkKind.ENTRIES, entry), (BulkKind.VALUES, value)):
        frame = rows(kind, [cells | {"project": own_title}, cells | {"project": foreign_title}])
        plan = plan_bulk(engine, member, demo.alliance_id, kind, frame)
        assert [issue.text() for issue in plan.issues] == [f"Zeile 3, Spalte „Projekt“: {not_own}"]
        assert plan.preview.is_empty()
    assert read and set(read) == {demo.own_project_id}


def test_values_only_for_project_indicators(engine: Engine, demo: Demo) -> None:
    own_title = name_of(engine, "project", demo.own_project_id)
    frame = rows(
        BulkKind.VALUES,
        [{"project": own_title, "indicator": "BEISPIEL_REG_ALQ", "period_end": "31.12.2021", "value": "4,2"}],
    )
    assert rejected(engine, speaker(demo), demo, BulkKind.VALUES, frame) == [
        "Zeile 2, Spalte „Indikator“ („BEISPIEL_REG_ALQ“): Für Projekte lassen sich nur Projektindikatoren melden"
        " (ESF+ und eigene), keine Regionalstatistik"
    ]


def test_a_clashing_write_in_between_aborts_the_import_with_the_conflict_message(
    engine: Engine, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A form took the title after the plan saw it free (PostgreSQL: forms do not wait for an import's lock): the
    unique constraint stops the insert, and the import reports the conflict instead of a raw database error."""
    taken = name_of(engine, "project", demo.foreign_project_id)
    planner = bulk_import.PLANNERS[BulkKind.PROJECTS]

    def clashing(*args: Any) -> Any:
        work = planner(*args)
        return replace(work, new=work.new.with_columns(pl.lit(taken).alias("title")))

    monkeypatch.setitem(bulk_import.PLANNERS, BulkKind.PROJECTS, clashing)
    before = state(engine)
    with pytest.raises(BulkRejected) as caught:
        apply_bulk(
            engine,
            speaker(demo),
            demo.alliance_id,
            BulkKind.PROJECTS,
            rows(BulkKind.PROJECTS, [new_project(engine, demo)]),
        )
    assert [issue.text() for issue in caught.value.issues] == [
        "Während des Imports hat jemand dieselben Daten geändert. Es wurde nichts gespeichert;"
        " bitte die Datei erneut prüfen und importieren."
    ]
    assert state(engine) == before


@pytest.mark.parametrize("who", ["liaison", "speaker_elsewhere"])
def test_liaisons_and_other_alliances_import_nothing(engine: Engine, demo: Demo, who: str) -> None:
    scope = demo.scopes()[who]
    frame = rows(BulkKind.PROJECTS, [new_project(engine, demo)])
    before = state(engine)
    with pytest.raises(PermissionDenied):
        plan_bulk(engine, scope, demo.alliance_id, BulkKind.PROJECTS, frame)
    with pytest.raises(PermissionDenied):
        apply_bulk(engine, scope, demo.alliance_id, BulkKind.PROJECTS, frame)
    assert state(engine) == before


def test_a_member_without_an_organisation_in_the_alliance_imports_nothing(engine: Engine, demo: Demo) -> None:
    stranger = Scope.for_alliances("fremd", Role.MEMBER, [demo.alliance_id], [demo.outside_member_id])
    with pytest.raises(PermissionDenied):
        plan_bulk(engine, stranger, demo.alliance_id, BulkKind.ENTRIES, rows(BulkKind.ENTRIES, [{"project": "x"}]))


def test_a_value_changed_while_importing_aborts_the_whole_import(
    engine: Engine, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guarded UPDATE finds another version (as if someone saved in the meantime): nothing is written."""
    scope = speaker(demo)
    own_title = name_of(engine, "project", demo.own_project_id)
    existing = (
        editing.project_values(engine, scope, demo.own_project_id)
        .filter(code="EECO01", dimensions="")
        .row(0, named=True)
    )
    planner = bulk_import.PLANNERS[BulkKind.VALUES]

    def stale(*args: Any) -> Any:
        work = planner(*args)
        return replace(work, changed=work.changed.with_columns(pl.col("version_old") - 1))

    monkeypatch.setitem(bulk_import.PLANNERS, BulkKind.VALUES, stale)
    frame = rows(
        BulkKind.VALUES,
        [
            {"project": own_title, "indicator": "EECO01", "period_end": "31.12.2029", "value": "1"},
            {
                "project": own_title,
                "indicator": "EECO01",
                "period_end": existing["period_end"].isoformat(),
                "value": str(existing["value"] + 1),
            },
        ],
    )
    before = state(engine)
    with pytest.raises(BulkRejected) as caught:
        apply_bulk(engine, scope, demo.alliance_id, BulkKind.VALUES, frame)
    assert [issue.text() for issue in caught.value.issues] == [
        "Während des Imports hat jemand dieselben Daten geändert. Es wurde nichts gespeichert;"
        " bitte die Datei erneut prüfen und importieren."
    ]
    assert state(engine) == before

"""AppTest of „Daten pflegen“: every tab, a member's edit, field errors, a refused stale edit, bulk imports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlmodel import col
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Error, Node

import dashboard.ui.access
from dashboard.data_access import editing, migrations
from dashboard.data_access.bulk_schema import BulkKind
from dashboard.data_access.db import make_engine
from dashboard.data_access.models import Alliance, AuditEntry, FinancialEntry, Member, Observation, Project
from dashboard.data_access.scope import SYSTEM_SCOPE
from dashboard.importers.bulk import header_label, template_bytes
from seeds.loader import seed_demo

PAGE = "dashboard/pages/maintain.py"
PROJECTS_PAGE = "dashboard/pages/projects.py"
ALLIANCE = 1  # SüdOstNiedersachsen, the default alliance
PORTAL = "Fachkräfteportal Harz-Region"  # led by WiReGo
WIREGO = "WiReGo – Wirtschaftsförderung Region Goslar"
TABS = ["Projekte", "Finanzen", "Indikatorwerte", "Ziele & Budget", "Massenimport", "Archiv"]


@pytest.fixture
def fresh_url(empty_url: str) -> Iterator[str]:
    """A seeded database of its own on each backend: these tests write to it."""
    engine = make_engine(empty_url)
    migrations.upgrade(engine)
    seed_demo(engine)
    engine.dispose()
    yield empty_url


@pytest.fixture
def engine(fresh_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_url)
    yield engine
    engine.dispose()


def open_page(app_for: Callable[..., AppTest], url: str, *, tab: str | None = None, **who: Any) -> AppTest:
    app = app_for(url, **who).run()
    app.switch_page(PAGE).run()
    if tab is not None:
        app.session_state["maintain_tab"] = tab
        app.run()
    assert not app.exception, app.exception
    return app


def member_id(engine: Engine, name: str) -> int:
    with engine.connect() as connection:
        found = connection.execute(
            select(col(Member.id)).where(col(Member.name) == name, col(Member.alliance_id) == ALLIANCE)
        ).scalar_one()
    return int(found)


def project(engine: Engine, title: str) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(
            select(col(Project.id), col(Project.title), col(Project.version), col(Project.total_cost)).where(
                col(Project.title) == title
            )
        ).one()
    return dict(row._mapping)


def count(engine: Engine, model: type) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar_one())


def click(app: AppTest, label: str) -> AppTest:
    next(button for button in app.button if button.label == label).click().run()
    assert not app.exception, app.exception
    return app


def errors_under(root: Node, key: str) -> list[str]:
    """The error shown in the slot right under the widget with this key ([] when the slot is empty)."""
    children = list(getattr(root, "children", {}).values())
    for index, child in enumerate(children):
        if getattr(child, "key", None) == key:
            slot = children[index + 1] if index + 1 < len(children) else None
            return [unescaped(slot.value)] if isinstance(slot, Error) else []
        found = errors_under(child, key)
        if found:
            return found
    return []


def unescaped(text: str) -> str:
    return text.replace("\\", "")


# --- every tab --------------------------------------------------------------------------------------------------------


def test_every_tab_renders_for_a_speaker(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, seeded_url, role="speaker")
    assert app.title[0].value == "Daten pflegen"
    assert [tab.label for tab in app.tabs] == TABS
    assert app.selectbox(key="mp_pick").value == 0 and app.text_input(key="mp_title").value == ""
    expected = {
        "Finanzen": ("mf_pick", "Speichern"),
        "Indikatorwerte": ("mv_pick", "Wert melden"),
        "Ziele & Budget": ("mt_pick", "Speichern"),
        "Massenimport": (None, None),
        "Archiv": (None, None),
    }
    for tab, (picker, submit) in expected.items():
        app.session_state["maintain_tab"] = tab
        app.run()
        assert not app.exception, (tab, app.exception)
        if picker:
            assert app.selectbox(key=picker).value == 0
            assert submit in [button.label for button in app.button]
    assert app.main.info[0].value.startswith("Nichts archiviert.")  # the last tab: Archiv
    app.session_state["maintain_tab"] = "Massenimport"
    app.run()
    assert [button.label for button in app.get("download_button")] == ["Vorlage CSV", "Vorlage Excel"]
    assert app.get("file_uploader")[0].label == "Ausgefüllte Vorlage (CSV oder Excel)"


def test_a_member_sees_its_projects_and_no_speaker_tabs(fresh_url: str, engine: Engine, app_for: Any) -> None:
    wirego = member_id(engine, WIREGO)
    app = open_page(app_for, fresh_url, role="member", member_id=wirego)
    assert [tab.label for tab in app.tabs] == ["Projekte", "Finanzen", "Indikatorwerte", "Massenimport"]
    picker = app.selectbox(key="mp_pick")
    assert picker.options == ["+ Neues Projekt", PORTAL]
    # A new project's lead can only be the member's own organisation, and it is chosen already.
    lead = app.selectbox(key="mp_lead_member_id")
    assert lead.options == [WIREGO] and lead.value == wirego


def test_a_member_without_a_project_is_told_what_to_do(fresh_url: str, engine: Engine, app_for: Any) -> None:
    app = open_page(app_for, fresh_url, role="member", member_id=member_id(engine, "IG Metall Wolfsburg"))
    assert app.main.info[0].value.startswith("Ihre Organisation führt noch kein Projekt. Legen Sie eines an")
    app.session_state["maintain_tab"] = "Finanzen"
    app.run()
    assert app.main.info[0].value.startswith("Sie dürfen noch kein Projekt bearbeiten.")
    assert not app.main.button


def test_a_liaison_changes_nothing(
    seeded_url: str, app_for: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = open_page(app_for, seeded_url, role="liaison")
    assert not app.get("form") and not app.tabs  # the navigation refuses the page
    # Even if the page itself runs for a liaison, it renders no form.
    monkeypatch.setattr(dashboard.ui.access, "may_open", lambda role, url_path: role is not None)
    app = open_page(app_for, seeded_url, role="liaison")
    assert app.main.info[0].value.startswith("Ihre Rolle kann hier nichts ändern")
    assert not app.get("form") and not app.tabs and not app.text_input


# --- the project form -------------------------------------------------------------------------------------------------


def test_a_member_edits_its_project_and_the_projects_page_shows_it(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    before = project(engine, PORTAL)
    audit_before = count(engine, AuditEntry)
    app = open_page(app_for, fresh_url, role="member", member_id=member_id(engine, WIREGO))
    app.selectbox(key="mp_pick").set_value(before["id"]).run()
    assert app.text_input(key="mp_title").value == PORTAL
    assert app.text_input(key="mp_total_cost").value == "98.000,00"
    app.text_input(key="mp_title").set_value("Fachkräfteportal Harz-Region 2.0")
    click(app, "Speichern")
    assert unescaped(app.main.success[0].value) == "„Fachkräfteportal Harz-Region 2.0“ gespeichert (Version 2)."
    assert app.text_input(key="mp_title").value == "Fachkräfteportal Harz-Region 2.0"
    assert app.caption[1].value == "Geöffnet in Version 2."
    after = project(engine, "Fachkräfteportal Harz-Region 2.0")
    assert (after["id"], after["version"]) == (before["id"], before["version"] + 1)
    assert count(engine, AuditEntry) == audit_before + 1

    app.switch_page(PROJECTS_PAGE).run()
    assert not app.exception
    assert "Fachkräfteportal Harz-Region 2.0" in app.dataframe[0].value["Titel"].to_list()


def test_the_open_project_survives_a_tab_switch(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    portal = project(engine, PORTAL)
    app = open_page(app_for, fresh_url, role="speaker")
    app.selectbox(key="mp_pick").set_value(portal["id"]).run()
    app.session_state["maintain_tab"] = "Finanzen"
    app.run()
    assert not app.exception and not app.main.get("text_area")
    app.session_state["maintain_tab"] = "Projekte"
    app.run()
    assert app.selectbox(key="mp_pick").value == portal["id"]
    assert app.text_input(key="mp_title").value == PORTAL
    assert app.text_input(key="mp_total_cost").value == "98.000,00"


def test_a_validation_error_shows_under_its_field_and_nothing_is_saved(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    before = project(engine, PORTAL)
    audit_before = count(engine, AuditEntry)
    app = open_page(app_for, fresh_url, role="speaker")
    app.selectbox(key="mp_pick").set_value(before["id"]).run()
    app.text_input(key="mp_approved_grant").set_value("999.999,00")  # more than the total cost
    app.text_input(key="mp_requested_grant").set_value("12,345")  # three decimals
    click(app, "Speichern")
    next_to_requested = errors_under(app.main, "mp_requested_grant")
    assert len(next_to_requested) == 1 and "zwei Nachkommastellen" in next_to_requested[0]
    assert "übersteigt die Gesamtkosten (98.000,00\xa0€)" in errors_under(app.main, "mp_approved_grant")[0]
    assert errors_under(app.main, "mp_title") == []
    assert not app.main.success
    assert project(engine, PORTAL) == before and count(engine, AuditEntry) == audit_before
    # The typed input stays for correcting it.
    assert app.text_input(key="mp_requested_grant").value == "12,345"


def test_text_that_is_no_amount_is_refused_before_the_service(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    before = project(engine, PORTAL)
    app = open_page(app_for, fresh_url, role="speaker")
    app.selectbox(key="mp_pick").set_value(before["id"]).run()
    app.text_input(key="mp_total_cost").set_value("zwölf Euro")
    click(app, "Speichern")
    assert errors_under(app.main, "mp_total_cost") == [
        "„zwölf Euro“ ist kein Betrag. Bitte so eingeben: 1.234,56 oder 1234,56."
    ]
    assert project(engine, PORTAL) == before


def test_a_stale_edit_is_refused_with_the_changes_and_reload_shows_the_saved_state(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    before = project(engine, PORTAL)
    app = open_page(app_for, fresh_url, role="speaker")
    app.selectbox(key="mp_pick").set_value(before["id"]).run()
    # Someone else saves the project while the form is open.
    theirs = editing.open_project(engine, SYSTEM_SCOPE, before["id"])
    editing.update_project(
        engine, SYSTEM_SCOPE, before["id"], replace(theirs.values, total_cost=Decimal("210000.00")), opened=theirs
    )
    app.text_area(key="mp_description").set_value("Meine Beschreibung")
    click(app, "Speichern")
    assert unescaped(app.main.warning[0].value) == (
        "Jemand anderes hat dieses Projekt inzwischen gespeichert (Version 1 → 2). Nichts wurde überschrieben."
    )
    changes = app.dataframe[0].value
    assert list(changes.columns) == ["Feld", "Ihr geöffneter Stand", "Jetzt gespeichert"]
    assert changes.values.tolist() == [["Gesamtkosten (€)", "98.000,00\xa0€", "210.000,00\xa0€"]]
    stored = project(engine, PORTAL)
    assert (stored["version"], stored["total_cost"]) == (2, Decimal("210000.00"))  # theirs survives
    assert "Ihre ungespeicherten Eingaben gehen dabei verloren" in " ".join(c.value for c in app.caption)

    click(app, "Neu laden")
    assert not app.main.warning
    assert app.text_input(key="mp_total_cost").value == "210.000,00"
    assert app.text_area(key="mp_description").value != "Meine Beschreibung"
    app.text_area(key="mp_description").set_value("Meine Beschreibung")
    click(app, "Speichern")
    assert project(engine, PORTAL)["version"] == 3


def test_a_speaker_archives_and_restores_a_project(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    before = project(engine, PORTAL)
    app = open_page(app_for, fresh_url, role="speaker")
    app.selectbox(key="mp_pick").set_value(before["id"]).run()
    click(app, "Archivieren")
    assert unescaped(app.main.warning[0].value).startswith(f"Projekt „{PORTAL}“ archivieren?")
    click(app, "Ja, archivieren")
    assert PORTAL not in app.selectbox(key="mp_pick").options
    assert unescaped(app.main.success[0].value).startswith(f"„{PORTAL}“ archiviert.")

    app.session_state["maintain_tab"] = "Archiv"
    app.run()
    assert any(PORTAL in unescaped(element.value) for element in app.markdown)
    click(app, "Wiederherstellen")
    assert unescaped(app.main.success[0].value) == f"„{PORTAL}“ wiederhergestellt."
    assert app.main.info[0].value.startswith("Nichts archiviert.")


# --- money, values, budget --------------------------------------------------------------------------------------------


def test_a_member_books_a_disbursement_with_a_german_amount(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    entries = count(engine, FinancialEntry)
    app = open_page(app_for, fresh_url, tab="Finanzen", role="member", member_id=member_id(engine, WIREGO))
    assert app.selectbox(key="mf_project").options == [PORTAL]
    rows = len(app.dataframe[0].value)
    app.selectbox(key="mf_kind").set_value("disbursement")
    app.text_input(key="mf_amount").set_value("1.234,56")
    click(app, "Speichern")
    assert unescaped(app.main.success[0].value) == "Buchung gespeichert (Version 1)."
    assert count(engine, FinancialEntry) == entries + 1
    table = app.dataframe[0].value
    assert len(table) == rows + 1 and "1.234,56\xa0€" in table["Betrag"].to_list()  # exact money text
    # The new entry is open for correction now; a zero amount is refused next to the field.
    app.text_input(key="mf_amount").set_value("0")
    click(app, "Speichern")
    assert errors_under(app.main, "mf_amount")
    assert count(engine, FinancialEntry) == entries + 1


def test_reporting_a_value_and_a_second_one_for_the_same_key_is_refused(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    app = open_page(app_for, fresh_url, tab="Indikatorwerte", role="speaker")
    app.selectbox(key="mv_project").set_value(project(engine, PORTAL)["id"]).run()
    indicator = app.selectbox(key="mv_indicator_id")
    eeco01 = next(option for option in indicator.options if option.startswith("EECO01"))
    indicator.select(eeco01)
    app.date_input(key="mv_period_end").set_value(date(2030, 6, 30))
    app.text_input(key="mv_value").set_value("12")
    click(app, "Wert melden")
    assert unescaped(app.main.success[0].value) == "Indikatorwert gespeichert."

    app.selectbox(key="mv_pick").set_value(0).run()
    app.selectbox(key="mv_indicator_id").select(eeco01)
    app.date_input(key="mv_period_end").set_value(date(2030, 6, 30))
    app.text_input(key="mv_value").set_value("13")
    click(app, "Wert melden")
    assert unescaped(app.main.warning[0].value).startswith("Für diesen Indikator, Stichtag und diese Aufgliederung")
    click(app, "Vorhandenen Wert öffnen")
    assert app.text_input(key="mv_value").value == "12"


def test_a_speaker_changes_a_budget_line(fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, fresh_url, tab="Ziele & Budget", role="speaker")
    picker = app.selectbox(key="mb_pick")
    line = next(option for option in picker.options if option.endswith("2020"))
    picker.select(line).run()
    assert app.text_input(key="mb_amount").value == "466.666,67"
    app.text_input(key="mb_amount").set_value("500.000,00")
    buttons = [button for button in app.button if button.label == "Speichern"]
    buttons[-1].click().run()  # the budget form is the second on the tab
    assert not app.exception
    assert unescaped(app.main.success[0].value) == "Budget ESF/ESF+ 2020 gespeichert."
    budget = app.dataframe[1].value
    assert "500.000,00\xa0€" in budget["Geplant"].to_list()


# --- bulk import ------------------------------------------------------------------------------------------------------


def projects_csv(*rows: str) -> bytes:
    header = ";".join(header_label(name) for name in ("title", "lead", "status", "fund", "total_cost", "kreise"))
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def upload(app: AppTest, name: str, data: bytes) -> AppTest:
    app.get("file_uploader")[0].set_value((name, data, "text/csv"))  # type: ignore[attr-defined]
    app.run()
    assert not app.exception, app.exception
    return app


def test_a_bulk_file_with_one_bad_row_names_line_3_and_imports_nothing(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    projects, audits = count(engine, Project), count(engine, AuditEntry)
    app = open_page(app_for, fresh_url, tab="Massenimport", role="speaker")
    data = projects_csv(
        "Neues Projekt A;Landkreis Goslar;Idee;ESF/ESF+;1.000,00;03153",
        "Neues Projekt B;Landkreis Goslar;Idee;ESF/ESF+;12,345;03153",
        "Neues Projekt C;Landkreis Goslar;Idee;ESF/ESF+;2.000,00;03153",
    )
    upload(app, "projekte.csv", data)
    assert unescaped(app.main.error[0].value).startswith("Die Datei projekte.csv kann nicht importiert werden")
    report = app.dataframe[0].value
    assert list(report.columns) == ["Zeile", "Spalte", "Wert in der Datei", "Grund"]
    assert report["Zeile"].tolist() == [3]
    assert report["Spalte"].tolist() == [header_label("total_cost")]
    assert not [button for button in app.button if button.label == "Import bestätigen"]
    assert (count(engine, Project), count(engine, AuditEntry)) == (projects, audits)


def test_a_bad_file_is_reported_by_line_column_and_reason(fresh_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, fresh_url, tab="Massenimport", role="speaker")
    upload(app, "projekte.csv", b"Titel;Unsinn\nA;B\n")
    report = app.dataframe[0].value
    assert report.values.tolist()[0][:2] == [1, "Unsinn"]
    assert any("Pflichtspalte" in reason for reason in report["Grund"])


def test_a_good_file_imports_after_confirm(fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]) -> None:
    projects = count(engine, Project)
    app = open_page(app_for, fresh_url, tab="Massenimport", role="speaker")
    upload(app, "vorlage.xlsx", template_bytes(BulkKind.PROJECTS, "xlsx"))
    tiles = {metric.label: metric.value for metric in app.metric}
    assert tiles == {"Neu": "1", "Geändert": "0", "Unverändert": "0"}
    assert count(engine, Project) == projects  # the preview writes nothing
    click(app, "Import bestätigen")
    assert unescaped(app.main.success[0].value).startswith("Importiert: 1 neu, 0 geändert, 0 unverändert.")
    assert count(engine, Project) == projects + 1
    app.run()  # a late second click or rerun imports nothing more
    assert count(engine, Project) == projects + 1

    app.switch_page(PROJECTS_PAGE).run()
    assert "Beispielprojekt Fachkräftesicherung" in app.dataframe[0].value["Titel"].to_list()


def test_a_new_project_with_markup_in_its_title_is_created_and_shown_as_text(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    title = "<script>alert(1)</script> **fett**"
    app = open_page(app_for, fresh_url, role="speaker")
    app.text_input(key="mp_title").set_value(title)
    app.selectbox(key="mp_lead_member_id").set_value(member_id(engine, "Landkreis Goslar"))
    app.multiselect(key="mp_region_ags").set_value(["03153"])
    click(app, "Speichern")
    created = project(engine, title)
    assert created["version"] == 1
    assert app.selectbox(key="mp_pick").value == created["id"]  # the new project stays open for editing
    assert title in app.selectbox(key="mp_pick").options
    message = app.main.success[0].value
    assert "\\<script\\>" in message and "\\*\\*fett\\*\\*" in message  # escaped: shown literally
    assert unescaped(message) == f"„{title}“ gespeichert (Version 1)."


# --- records that vanish while a form is open ------------------------------------------------------------------------

GONE = "Dieses Projekt wurde inzwischen archiviert oder ist nicht mehr zugänglich."
ENTRY_GONE = "Dieses Projekt oder diese Buchung wurde inzwischen archiviert oder ist nicht mehr zugänglich."


def archive_meanwhile(engine: Engine, project_id: int) -> None:
    """Another speaker archives the project while the form is open."""
    editing.archive_project(
        engine, SYSTEM_SCOPE, project_id, opened=editing.open_project(engine, SYSTEM_SCOPE, project_id)
    )


def money_of_the_portal(app_for: Callable[..., AppTest], url: str, engine: Engine) -> tuple[AppTest, dict[str, Any]]:
    """A speaker on the tab „Finanzen“ with the portal project picked."""
    portal = project(engine, PORTAL)
    app = open_page(app_for, url, tab="Finanzen", role="speaker")
    app.selectbox(key="mf_project").set_value(portal["id"]).run()
    return app, portal


def notice(app: AppTest) -> str:
    return unescaped(app.main.warning[0].value) if app.main.warning else ""


def test_saving_a_project_archived_meanwhile_says_so_and_resets_the_picker(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    portal = project(engine, PORTAL)
    app = open_page(app_for, fresh_url, role="speaker")
    app.selectbox(key="mp_pick").set_value(portal["id"]).run()
    archive_meanwhile(engine, portal["id"])
    audits = count(engine, AuditEntry)
    app.text_area(key="mp_description").set_value("Meine Beschreibung")
    click(app, "Speichern")
    assert notice(app).startswith(GONE) and "nichts gespeichert" in notice(app)
    assert app.selectbox(key="mp_pick").value == 0 and PORTAL not in app.selectbox(key="mp_pick").options
    assert app.text_input(key="mp_title").value == ""  # the form shows a new project, not the archived one
    assert count(engine, AuditEntry) == audits


def test_a_member_archiving_a_project_a_speaker_archived_meanwhile_is_told(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    portal = project(engine, PORTAL)
    app = open_page(app_for, fresh_url, role="member", member_id=member_id(engine, WIREGO))
    app.selectbox(key="mp_pick").set_value(portal["id"]).run()
    click(app, "Archivieren")
    archive_meanwhile(engine, portal["id"])
    audits = count(engine, AuditEntry)
    click(app, "Ja, archivieren")
    assert notice(app).startswith(GONE)
    assert app.selectbox(key="mp_pick").options == ["+ Neues Projekt"]
    assert count(engine, AuditEntry) == audits


def test_booking_on_a_project_archived_meanwhile_says_so(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    app, portal = money_of_the_portal(app_for, fresh_url, engine)
    entries = count(engine, FinancialEntry)
    archive_meanwhile(engine, portal["id"])
    app.text_input(key="mf_amount").set_value("1.234,56")
    click(app, "Speichern")
    assert notice(app).startswith(ENTRY_GONE)
    assert app.selectbox(key="mf_project").value != portal["id"]
    assert PORTAL not in app.selectbox(key="mf_project").options
    assert count(engine, FinancialEntry) == entries


def test_correcting_an_entry_archived_meanwhile_says_so_and_resets_the_entry_picker(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    app, portal = money_of_the_portal(app_for, fresh_url, engine)
    entry_id = next(key for key in app.selectbox(key="mf_pick").options if key != "+ Neue Buchung")
    app.selectbox(key="mf_pick").select(entry_id).run()
    opened = editing.open_entry(engine, SYSTEM_SCOPE, int(app.selectbox(key="mf_pick").value))
    editing.archive_entry(engine, SYSTEM_SCOPE, opened.id, opened=opened)
    app.text_input(key="mf_amount").set_value("1,00")
    click(app, "Speichern")
    assert notice(app).startswith(ENTRY_GONE)
    assert app.selectbox(key="mf_project").value == portal["id"]  # the project is still there
    assert app.selectbox(key="mf_pick").value == 0
    assert editing.open_entry(engine, SYSTEM_SCOPE, opened.id).values == opened.values  # nothing written


def test_reporting_a_value_on_a_project_archived_meanwhile_says_so(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    portal = project(engine, PORTAL)
    app = open_page(app_for, fresh_url, tab="Indikatorwerte", role="speaker")
    app.selectbox(key="mv_project").set_value(portal["id"]).run()
    indicator = app.selectbox(key="mv_indicator_id")
    indicator.select(next(option for option in indicator.options if option.startswith("EECO01")))
    app.date_input(key="mv_period_end").set_value(date(2030, 6, 30))
    app.text_input(key="mv_value").set_value("12")
    values = count(engine, Observation)
    archive_meanwhile(engine, portal["id"])
    click(app, "Wert melden")
    assert notice(app).startswith(GONE)
    assert PORTAL not in app.selectbox(key="mv_project").options
    assert count(engine, Observation) == values


# --- a reported value keeps its key ----------------------------------------------------------------------------------


def test_an_open_value_has_fixed_key_fields_and_a_correction_changes_only_the_value(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    app = open_page(app_for, fresh_url, tab="Indikatorwerte", role="speaker")
    app.selectbox(key="mv_project").set_value(project(engine, PORTAL)["id"]).run()
    key_fields = (app.selectbox(key="mv_indicator_id"), app.date_input(key="mv_period_end"))
    assert not any(field.disabled for field in key_fields)  # a new value: every field is open
    assert not app.text_input(key="mv_dimensions").disabled
    indicator = app.selectbox(key="mv_indicator_id")
    indicator.select(next(option for option in indicator.options if option.startswith("EECO01")))
    app.date_input(key="mv_period_end").set_value(date(2030, 6, 30))
    app.text_input(key="mv_value").set_value("12")
    click(app, "Wert melden")
    values = count(engine, Observation)

    # The saved value is open now: indicator, Stichtag and breakdown are fixed, the caption says how to add another.
    assert app.selectbox(key="mv_indicator_id").disabled
    assert app.date_input(key="mv_period_end").disabled
    assert app.text_input(key="mv_dimensions").disabled
    assert not app.text_input(key="mv_value").disabled and not app.checkbox(key="mv_is_cumulative").disabled
    captions = " ".join(unescaped(caption.value) for caption in app.caption)
    assert "Einen Wert für einen anderen Stichtag" in captions and "+ Neuen Wert melden" in captions
    app.text_input(key="mv_value").set_value("14")
    click(app, "Wert melden")
    assert unescaped(app.main.success[0].value) == "Indikatorwert gespeichert."
    assert count(engine, Observation) == values  # corrected in place, no second value
    table = app.dataframe[0].value
    row = table[table["Stichtag"].astype(str).str.startswith("2030-06-30")]
    assert row["Wert"].tolist() == [14.0]


# --- bulk import per alliance ----------------------------------------------------------------------------------------


def test_a_file_imported_into_one_alliance_is_a_new_import_in_the_next(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    with engine.begin() as connection:
        dresden = connection.execute(
            select(col(Alliance.id)).where(col(Alliance.slug) == "wachstumsregion-dresden")
        ).scalar_one()
        first = connection.execute(
            select(func.min(col(Member.id))).where(col(Member.alliance_id) == dresden)
        ).scalar_one()
        # Test scaffolding: a lead partner of the same name in both alliances, so one file fits both.
        connection.execute(update(Member).where(col(Member.id) == first).values(name="Landkreis Goslar"))
    data = projects_csv("Gemeinsames Projekt;Landkreis Goslar;Idee;ESF/ESF+;1.000,00;")
    app = open_page(app_for, fresh_url, tab="Massenimport", role="speaker")
    upload(app, "projekte.csv", data)
    click(app, "Import bestätigen")
    assert unescaped(app.main.success[0].value).startswith("Importiert: 1 neu")

    app.selectbox(key="alliance").set_value("wachstumsregion-dresden").run()
    assert not app.exception, app.exception
    assert not app.main.success  # not the other alliance's result
    assert {metric.label: metric.value for metric in app.metric}["Neu"] == "1"
    click(app, "Import bestätigen")
    assert unescaped(app.main.success[0].value).startswith("Importiert: 1 neu")
    with engine.connect() as connection:
        alliances = connection.execute(
            select(col(Project.alliance_id)).where(col(Project.title) == "Gemeinsames Projekt")
        ).scalars()
        assert sorted(alliances) == sorted([ALLIANCE, dresden])


def test_switching_the_alliance_moves_the_pickers_without_a_notice(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    app, portal = money_of_the_portal(app_for, fresh_url, engine)
    app.selectbox(key="alliance").set_value("wachstumsregion-dresden").run()
    assert not app.exception and not app.main.warning  # the project is in another alliance, not gone
    picker = app.selectbox(key="mf_project")
    assert picker.value != portal["id"] and picker.index == 0 and picker.value is not None
    app.run()
    assert not app.main.warning and app.selectbox(key="mf_project").index == 0


def test_a_change_saved_by_another_app_server_reaches_cached_pages(
    fresh_url: str, engine: Engine, app_for: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several servers share one database but not their caches: the change counter in every cache key (the
    newest audit entry) makes this server's cached project list miss once another server has saved."""
    import dashboard.cache

    monkeypatch.setattr(dashboard.cache, "GENERATION_CHECK_SECONDS", 0.0)
    app = app_for(fresh_url, role="speaker").run()
    app.switch_page(PROJECTS_PAGE).run()
    assert PORTAL in app.dataframe[0].value["Titel"].to_list()

    # "The other server": the write service alone, which clears no cache of this process.
    opened = editing.open_project(engine, SYSTEM_SCOPE, project(engine, PORTAL)["id"])
    editing.update_project(
        engine, SYSTEM_SCOPE, opened.id, replace(opened.values, title=f"{PORTAL} (neu)"), opened=opened
    )
    app.run()
    titles = app.dataframe[0].value["Titel"].to_list()
    assert f"{PORTAL} (neu)" in titles
    assert PORTAL not in titles

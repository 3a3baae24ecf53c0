"""The accounts-and-upkeep "done when" in a real browser: a member edits its project, the speaker sees it in the
audit trail, a liaison sees it but cannot change anything, a concurrent edit is refused without loss, a bulk import
with one bad row imports nothing, and the backup of the running database restores."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from dashboard.data_access.db import make_engine
from tests.e2e.pages import ARTIFACTS, leave_to, watched_page

SON = "suedostniedersachsen"
PROJECT = "Pflege-Rückkehr – Wiedereinstieg in pflegerische Berufe"
LEAD = "Landkreis Wolfenbüttel"
RENAMED = "Pflege-Rückkehr – Wiedereinstieg (im Browser geändert)"


def _sidebar(page):  # type: ignore[no-untyped-def]
    return page.locator("[data-testid='stSidebar']")


def _role(page, name: str) -> None:  # type: ignore[no-untyped-def]
    # The demo role picker is a radio group; "Partner" is also a menu entry, so look only inside the group.
    _sidebar(page).locator("[data-testid='stRadioGroup']").get_by_text(name, exact=True).click()
    page.wait_for_timeout(1500)


def _choose(page, label: str, option: str, *, within=None) -> None:  # type: ignore[no-untyped-def]
    """Pick an option of a Streamlit selectbox by its label (typing narrows long lists)."""
    area = within or page
    box = area.locator("[data-testid='stSelectbox']", has=page.get_by_text(label, exact=True)).first
    box.locator("input").click()
    page.keyboard.type(option[:12])
    page.get_by_role("option", name=option).first.click()
    page.wait_for_timeout(1500)


def _visit(page, url: str, role: str, organisation: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Open a page and take a demo role: a reload starts a new session, which starts as a speaker."""
    leave_to(page, url)
    _sidebar(page).get_by_text("Rolle (Demo)").wait_for(timeout=60_000)
    _role(page, role)
    if organisation:
        _choose(page, "Organisation (Demo)", organisation, within=_sidebar(page))


def _open_project(page, base: str, role: str, organisation: str | None = None) -> None:  # type: ignore[no-untyped-def]
    _visit(page, f"{base}/daten-pflegen?alliance={SON}", role, organisation)
    page.get_by_role("tab", name="Projekte").wait_for(timeout=60_000)


def _rows(engine, sql: str) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def test_member_edit_audit_liaison_conflict_bulk_and_backup(server: tuple[str, Path], browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, database = server
    engine = make_engine(f"sqlite:///{database}")
    page, errors = watched_page(browser, height=1800)

    # 1. A partner (the lead organisation) renames its project.
    _open_project(page, base, "Partner", LEAD)
    assert _sidebar(page).get_by_text("Mittelverwendung").count() == 0  # a partner's menu
    _choose(page, "Projekt", PROJECT)
    title = page.get_by_label("Titel", exact=True)
    title.fill(RENAMED)
    page.get_by_role("button", name="Speichern").click()
    page.get_by_text("gespeichert (Version 2)").first.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "daten-pflegen-partner.png"), full_page=True)
    assert _rows(engine, f"SELECT COUNT(*) FROM project WHERE title = '{RENAMED}' AND version = 2") == 1

    # 2. The speaker sees the change in the audit trail.
    _visit(page, f"{base}/protokoll?alliance={SON}", "Sprecher/in")
    page.get_by_text("Änderungsprotokoll").first.wait_for(timeout=60_000)
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "protokoll-sprecher.png"), full_page=True)
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="CSV herunterladen").click()
    trail = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert RENAMED in trail and PROJECT in trail and "demo-member" in trail  # old and new title, by the partner

    # 3. A liaison sees the new title but has no way to change anything.
    _visit(page, f"{base}/projekte?alliance={SON}&suche=im%20Browser", "Ministerium/Förderbank")
    page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
    assert page.locator("[data-testid='stMetric']", has_text="Projekte").first.inner_text().strip().endswith("1")
    assert _sidebar(page).get_by_text("Daten pflegen").count() == 0
    _visit(page, f"{base}/daten-pflegen?alliance={SON}", "Ministerium/Förderbank")
    page.get_by_text("Kein Zugriff").first.wait_for(timeout=60_000)
    assert page.get_by_role("button", name="Speichern").count() == 0

    # 4. Two speakers open the same project; the second save is refused and the first one's title survives.
    first, _ = watched_page(browser, height=1800)
    second, _ = watched_page(browser, height=1800)
    for session in (first, second):
        _open_project(session, base, "Sprecher/in")
        _choose(session, "Projekt", RENAMED)
    first.get_by_label("Titel", exact=True).fill(RENAMED + " A")
    first.get_by_role("button", name="Speichern").click()
    first.get_by_text("gespeichert (Version 3)").first.wait_for(timeout=30_000)
    second.get_by_label("Titel", exact=True).fill(RENAMED + " B")
    second.get_by_role("button", name="Speichern").click()
    second.get_by_text("Nichts wurde überschrieben").first.wait_for(timeout=30_000)
    second.screenshot(path=str(ARTIFACTS / "daten-pflegen-konflikt.png"), full_page=True)
    assert _rows(engine, f"SELECT COUNT(*) FROM project WHERE title = '{RENAMED} A' AND version = 3") == 1

    # 5. A bulk import with one bad row imports nothing and names the row.
    entries_before = _rows(engine, "SELECT COUNT(*) FROM financial_entry")
    bulk = tmp_path / "buchungen.csv"
    bulk.write_text(
        "Projekt;Datum;Art;Betrag;Fonds;Notiz\n"
        f"{RENAMED} A;31.03.2021;Auszahlung;1.234,56;ESF/ESF+;gut\n"
        f"{RENAMED} A;30.06.2021;Auszahlung;12,345;ESF/ESF+;drei Nachkommastellen\n",
        encoding="utf-8-sig",
    )
    first.get_by_role("tab", name="Massenimport").click()
    first.locator("[data-testid='stButtonGroup']").get_by_text("Finanzen", exact=True).click()
    first.wait_for_timeout(1000)
    first.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(bulk))
    first.get_by_text("kann nicht importiert werden").first.wait_for(timeout=60_000)
    first.wait_for_timeout(1000)
    first.screenshot(path=str(ARTIFACTS / "massenimport-fehler.png"), full_page=True)
    assert first.get_by_role("button", name="Import bestätigen").count() == 0
    assert _rows(engine, "SELECT COUNT(*) FROM financial_entry") == entries_before

    # 6. The running database's backup restores with every change in it.
    backup, restored = tmp_path / "sicherung.sqlite3", tmp_path / "wiederhergestellt.sqlite3"
    cockpit = [sys.executable, "-m", "dashboard.cli"]
    env = {"COCKPIT_DATABASE_URL": f"sqlite:///{database}", "PATH": "/usr/bin:/bin"}
    subprocess.run([*cockpit, "backup", "--out", str(backup)], env=env, check=True, capture_output=True)
    env["COCKPIT_DATABASE_URL"] = f"sqlite:///{restored}"
    subprocess.run([*cockpit, "restore", str(backup)], env=env, check=True, capture_output=True)
    copy = make_engine(f"sqlite:///{restored}")
    for table in ("project", "financial_entry", "audit_entry", "member"):
        assert _rows(copy, f"SELECT COUNT(*) FROM {table}") == _rows(engine, f"SELECT COUNT(*) FROM {table}")
    assert _rows(copy, f"SELECT COUNT(*) FROM project WHERE title = '{RENAMED} A'") == 1
    assert errors == []
    for session in (page, first, second):
        session.close()

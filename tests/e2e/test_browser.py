"""Real browser (Playwright + Debian's Chromium) against `cockpit run`: a shared link, a chart click, the detail."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from seeds.loader import read_seed_file
from tests.e2e.pages import ARTIFACTS, metric, watched_page


def test_shared_link_chart_click_filters_the_table(server: tuple[str, Path], browser) -> None:  # type: ignore[no-untyped-def]
    base, _ = server
    page, errors = watched_page(browser, height=1800)
    topic = "Rekrutierung und Matching"
    page.goto(f"{base}/projekte?alliance=suedostniedersachsen&thema={quote(topic)}")
    page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
    page.get_by_text(topic).first.wait_for()
    son = next(a for a in read_seed_file("alliances.yaml")["alliances"] if a["slug"] == "suedostniedersachsen")
    assert metric(page, "Projekte") == str(sum(topic in p["topics"] for p in son["projects"]))

    # Click the "Abgeschlossen" segment of the topic's bar: the table narrows to that bar's projects.
    bars = page.locator(".js-plotly-plot").first.locator(".barlayer .trace .point path")
    bars.first.wait_for()
    page.wait_for_timeout(500)
    count_before = metric(page, "Projekte")
    bars.nth(0).click(force=True)
    page.get_by_text("Auswahl aus den Diagrammen").wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    count_after = metric(page, "Projekte")
    assert int(count_after) < int(count_before)
    page.screenshot(path=str(ARTIFACTS / "projekte-auswahl.png"), full_page=True)

    page.get_by_role("button", name="Auswahl aufheben").click()
    page.get_by_text("Auswahl aus den Diagrammen").wait_for(state="detached", timeout=30_000)
    assert metric(page, "Projekte") == count_before
    assert re.search(r"thema=Rekrutierung", page.url)

    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="Excel herunterladen").click()
    assert download.value.suggested_filename == "projekte.xlsx"
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"  # an XLSX is a ZIP container
    assert errors == []  # no console errors and no request leaves the machine
    page.close()


def test_funds_page_renders_and_hands_out_both_reports(server: tuple[str, Path], browser) -> None:  # type: ignore[no-untyped-def]
    base, _ = server
    page, errors = watched_page(browser, height=3600)
    page.goto(f"{base}/mittelverwendung?alliance=suedostniedersachsen&stichtag=2020-12-31")
    page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
    assert metric(page, "Budget") == "1,4 Mio. €"
    page.get_by_text("Digitalisierungslabor an der TU Clausthal: 0").first.wait_for(timeout=30_000)
    page.locator(".js-plotly-plot").first.wait_for()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "mittelverwendung.png"), full_page=True)
    page.wait_for_load_state("networkidle")
    for button, suffix, magic in (("Bericht als Excel", ".xlsx", b"PK"), ("Bericht als PDF", ".pdf", b"%PDF")):
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name=button).click()
        page.wait_for_load_state("networkidle")
        assert download.value.suggested_filename == f"mittelverwendung-suedostniedersachsen-2020-12-31{suffix}"
        assert Path(download.value.path()).read_bytes()[: len(magic)] == magic
    assert errors == []
    page.close()


REAL_EXPORT = Path(__file__).resolve().parents[3] / "shared" / "real-data" / "regionalstatistik" / "13211-02-05-4.csv"


def test_speaker_imports_an_official_table_and_sees_the_kreise(server: tuple[str, Path], browser) -> None:  # type: ignore[no-untyped-def]
    """The issue's "done when": upload the unemployment table, confirm, then map and series of the Kreise."""
    base, _ = server
    page, errors = watched_page(browser, height=1600)
    page.goto(f"{base}/import?alliance=suedostniedersachsen")
    page.get_by_text("CSV-Datei").first.wait_for(timeout=60_000)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(REAL_EXPORT))
    confirm = page.get_by_role("button", name="Import bestätigen")
    confirm.wait_for(timeout=60_000)
    assert metric(page, "Neue Werte") == "41.964"
    page.screenshot(path=str(ARTIFACTS / "import-vorschau.png"), full_page=True)
    confirm.click()
    page.get_by_text("Importiert: 41.964 neue").wait_for(timeout=120_000)

    code = "13211_arbeitslose_anzahl"
    page.goto(f"{base}/region?alliance=suedostniedersachsen&indikator={code}&jahr=2019&kreise=03153&kreise=03157")
    page.get_by_text("Kreise im Vergleich (Stand 31.12.2019)").wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").nth(1).wait_for()
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "region-nach-import.png"), full_page=True)
    # Goslar's 4.044 unemployed in 2019, straight from the official cell: the higher of Goslar and Peine.
    assert metric(page, "Höchster Kreiswert") == "4.044"
    assert page.get_by_text("Goslar", exact=True).first.is_visible()
    assert errors == []

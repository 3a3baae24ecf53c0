"""The applications "done when" in a real browser: a speaker takes an application through scoring by two assessor
organisations to a finalised statement (downloaded as DOCX and read with python-docx) and on to an approved project,
which the project page then lists."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from docx import Document
from sqlalchemy import text

from dashboard.data_access.db import make_engine
from tests.e2e.pages import ARTIFACTS, metric, watched_page

SON = "suedostniedersachsen"
FORM = "[data-testid='stForm']"


def _submitted_application(engine: Any) -> tuple[int, str, str]:
    """A submitted application of SüdOstNiedersachsen that nobody has scored yet (from the demo seed)."""
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT p.id, p.title, p.requested_grant FROM project p JOIN alliance a ON a.id = p.alliance_id "
                "WHERE a.slug = :slug AND p.status = 'beantragt' AND p.requested_grant IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM assessment s WHERE s.project_id = p.id) ORDER BY p.id LIMIT 1"
            ),
            {"slug": SON},
        ).one()
    return int(row[0]), str(row[1]), str(row[2])


def _assessors(engine: Any, project_id: int) -> list[str]:
    """Two organisations of the alliance without a conflict of interest (neither applicant nor partner)."""
    with engine.connect() as connection:
        names = connection.execute(
            text(
                "SELECT m.name FROM member m JOIN project p ON p.alliance_id = m.alliance_id WHERE p.id = :p "
                "AND m.id <> p.lead_member_id AND m.id NOT IN "
                "(SELECT member_id FROM project_partner WHERE project_id = :p) ORDER BY m.name LIMIT 2"
            ),
            {"p": project_id},
        ).scalars()
        return list(names)


def _scalar(engine: Any, sql: str, **params: Any) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar_one()


def _choose(page, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Pick an option of a Streamlit selectbox by its label (typing narrows long lists)."""
    box = page.locator("[data-testid='stSelectbox']", has=page.get_by_text(label, exact=True)).first
    box.locator("input").click()
    page.keyboard.type(option[:12])
    page.get_by_role("option", name=option).first.click()
    page.wait_for_timeout(1500)


def _score(page, scores: list[int]) -> None:  # type: ignore[no-untyped-def]
    """Click the given point (0–5) of each criterion of the scoring form, in catalogue order."""
    groups = page.locator(f"{FORM} [data-testid='stRadioGroup']")
    assert groups.count() == len(scores)
    for index, points in enumerate(scores):
        groups.nth(index).locator("[data-testid='stRadioOption']").nth(points).click()


def _tab(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("tab", name=name, exact=True).click()
    page.wait_for_timeout(800)


def _docx_text(path: Path) -> str:
    document = Document(io.BytesIO(path.read_bytes()))
    parts = [paragraph.text for paragraph in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for section in document.sections:
        parts += [paragraph.text for paragraph in section.header.paragraphs]
    return "\n".join(parts)


def test_speaker_scores_twice_finalises_the_statement_and_approves(  # type: ignore[no-untyped-def]
    server: tuple[str, Path], browser
) -> None:
    base, database = server
    engine = make_engine(f"sqlite:///{database}")
    project_id, title, requested = _submitted_application(engine)
    first, second = _assessors(engine, project_id)
    page, errors = watched_page(browser, height=4200)

    # The pipeline, the application opened by a link (?antrag=), as the demo's speaker.
    page.goto(f"{base}/antraege?alliance={SON}&antrag={project_id}")
    page.get_by_role("heading", name=title).wait_for(timeout=60_000)
    page.wait_for_selector("[data-testid='stMetric']", timeout=30_000)
    open_before = int(metric(page, "Offene Anträge"))
    page.locator(".js-plotly-plot").first.wait_for()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "antraege-pipeline.png"), full_page=True)

    # Two assessor organisations score independently; their spread on the first criterion is flagged.
    for assessor, scores in ((first, [5, 4, 4, 3, 4, 3]), (second, [2, 4, 3, 4, 4, 4])):
        _choose(page, "Bewertet für (Organisation)", assessor)
        _score(page, scores)
        page.get_by_label("Anmerkung").fill(f"Anmerkung der Organisation {assessor}")
        page.get_by_role("button", name="Bewertung speichern").click()
        page.get_by_text(f"Bewertung für {assessor} gespeichert.").first.wait_for(timeout=60_000)
    assert _scalar(engine, "SELECT COUNT(*) FROM assessment WHERE project_id = :p", p=project_id) == 2
    page.get_by_text("Zur Diskussion:").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "antraege-bewertung.png"), full_page=True)

    # The statement: drafted from the scores, a recommendation chosen, saved, downloaded as a draft, finalised.
    _tab(page, "Stellungnahme")
    page.get_by_role("button", name="Entwurf erzeugen").click()
    page.get_by_text("Entwurf der Fassung 1 erzeugt.").first.wait_for(timeout=60_000)
    _tab(page, "Stellungnahme")
    draft_text = page.get_by_label("Text der Stellungnahme").input_value()
    assert title in draft_text and f"Anmerkung der Organisation {first}" in draft_text
    page.get_by_role("radiogroup", name="Empfehlung").get_by_text("befürwortet", exact=True).click()
    page.get_by_role("button", name="Entwurf speichern").click()
    page.get_by_text("Entwurf der Fassung 1 gespeichert.").first.wait_for(timeout=60_000)
    _tab(page, "Stellungnahme")
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Entwurf herunterladen (DOCX)").click()
    draft = _docx_text(Path(download.value.path()))
    assert "ENTWURF" in draft and title in draft
    page.get_by_role("button", name="Endgültig abschließen").click()
    page.get_by_role("button", name="Ja, endgültig abschließen").click()
    page.get_by_text("Fassung 1 ist abgeschlossen.").first.wait_for(timeout=60_000)
    assert _scalar(engine, "SELECT status FROM project WHERE id = :p", p=project_id) == "bewertet"
    _tab(page, "Stellungnahme")
    page.get_by_text("Fassung 1 · abgeschlossen am").first.wait_for(timeout=60_000)
    assert page.get_by_label("Text der Stellungnahme").count() == 0  # read-only now
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Stellungnahme (DOCX)").click()
    assert download.value.suggested_filename == f"stellungnahme-{project_id}-fassung-1.docx"
    final = _docx_text(Path(download.value.path()))
    assert title in final and "ENTWURF" not in final and "befürwortet" in final
    (ARTIFACTS / "stellungnahme.docx").write_bytes(Path(download.value.path()).read_bytes())
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "antraege-stellungnahme.png"), full_page=True)

    # The decision: approved with the requested grant (prefilled), booked as a commitment.
    _tab(page, "Entscheidung")
    _choose(page, "Neuer Status", "Bewilligt")
    grant = page.get_by_role("textbox", name="Bewilligte Förderung (€)")
    assert grant.input_value() == _german(requested)
    page.get_by_role("button", name="Status auf „Bewilligt“ setzen").click()
    page.get_by_text(f"„{title}“ ist jetzt „Bewilligt“.").first.wait_for(timeout=60_000)
    assert _scalar(engine, "SELECT status FROM project WHERE id = :p", p=project_id) == "bewilligt"
    commitments = _scalar(
        engine,
        "SELECT COUNT(*) FROM financial_entry WHERE project_id = :p AND kind = 'commitment' AND amount = :a",
        p=project_id,
        a=requested,
    )
    assert commitments == 1
    assert int(metric(page, "Offene Anträge")) == open_before - 1
    _tab(page, "Entscheidung")
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "antraege-bewilligt.png"), full_page=True)

    # On to the approved project on the project page.
    page.get_by_role("button", name="Projekt auf der Seite „Projekte“ öffnen").click()
    page.get_by_role("heading", name="Projekte", exact=True).wait_for(timeout=60_000)
    page.wait_for_selector("[data-testid='stMetric']", timeout=30_000)
    page.wait_for_timeout(1500)
    assert metric(page, "Projekte") == "1"
    page.screenshot(path=str(ARTIFACTS / "antraege-projekt.png"), full_page=True)
    assert errors == []
    page.close()


def _german(amount: str) -> str:
    """ "105000.00" as the form shows it: 105.000,00."""
    whole, cents = f"{Decimal(amount):,.2f}".split(".")
    return f"{whole.replace(',', '.')},{cents}"

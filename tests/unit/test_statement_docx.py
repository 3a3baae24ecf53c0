"""The statement document: opened again with python-docx, it holds the facts in German formats, marks drafts, and
shows hostile user text as plain text."""

from __future__ import annotations

import copy
import io
import zipfile
from datetime import UTC, datetime
from typing import Any

import docx
import pytest

from dashboard.exporters.statement import clean, render_statement_docx

NBSP = "\u00a0"
ALLIANCE = "Fachkräftebündnis SüdOstNiedersachsen"
FINALISED = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
FACTS: dict[str, Any] = {
    "as_of": "2026-12-03",
    "alliance": {"name": ALLIANCE, "short_name": "SüdOstNiedersachsen", "programme": "ESF"},
    "application": {
        "id": 7,
        "title": "Pflege-Rückkehr – Wiedereinstieg in pflegerische Berufe",
        "description": "Beratung und Qualifizierung.\n\nZweiter Absatz der Beschreibung.",
        "lead": "AWO Bezirksverband Braunschweig",
        "partners": ["Stadt Braunschweig", "Jobcenter Braunschweig"],
        "topics": ["Pädagogische, pflegerische und medizinische Berufe", "Rekrutierung und Matching"],
        "regions": [{"ags": "03101", "name": "Braunschweig, Stadt"}, {"ags": "03153", "name": "Goslar"}],
        "start_date": "2027-01-01",
        "end_date": "2028-12-31",
        "total_cost": "1234567.89",
        "requested_grant": "740740.73",
        "fund": "esf",
        "submitted_on": "2026-10-15",
    },
    "need": [
        {
            "ags": "03153",
            "region": "Goslar",
            "indicator_code": "alq",
            "indicator": "Arbeitslosenquote",
            "unit": "%",
            "value": 6.8,
            "period_end": "2025-12-31",
            "source": "Bundesagentur für Arbeit",
        },
        {
            "ags": "03101",
            "region": "Braunschweig, Stadt",
            "indicator_code": "svb",
            "indicator": "Sozialversicherungspflichtig Beschäftigte",
            "unit": "Personen",
            "value": 145123.0,
            "period_end": "2025-06-30",
            "source": "Regionalstatistik",
        },
    ],
    "criteria": [
        {"code": "bedarf", "name": "Regionaler Bedarf", "weight": 25, "required": True},
        {"code": "strategie", "name": "Beitrag zur Fachkräftestrategie", "weight": 20, "required": True},
        {"code": "nachhaltigkeit", "name": "Nachhaltigkeit/Verstetigung", "weight": 15, "required": False},
    ],
    "assessments": [
        {
            "assessor": "IHK Braunschweig",
            "assessed_on": "2026-11-20",
            "comment": "Der Bedarf ist gut belegt.",
            "scores": {"bedarf": 4, "strategie": 5, "nachhaltigkeit": 1},
            "weighted_total": 3.67,
        },
        {
            "assessor": "Landkreis Goslar",
            "assessed_on": "2026-11-25",
            "comment": "Verstetigung nach Projektende offen.",
            "scores": {"bedarf": 4, "strategie": 4, "nachhaltigkeit": 4},
            "weighted_total": 4.0,
        },
    ],
    "criterion_means": {"bedarf": 4.0, "strategie": 4.5, "nachhaltigkeit": 2.5},
    "spread": {"bedarf": 0, "strategie": 1, "nachhaltigkeit": 3},
    "flagged": ["nachhaltigkeit"],
    "weighted_total": 3.83,
}
TEXT = "Das Bündnis hält den Antrag für geeignet.\n\nDie Verstetigung ist nachzuweisen."


def render(**changes: Any) -> bytes:
    arguments: dict[str, Any] = {
        "alliance_name": ALLIANCE,
        "number": 2,
        "text": TEXT,
        "recommendation": "befuerwortet_mit_auflagen",
        "facts": FACTS,
        "finalised_at": FINALISED,
        "finalised_by": "Sprecher/in (Geschäftsstelle)",
    }
    return render_statement_docx(**(arguments | changes))


def body_text(data: bytes) -> str:
    """Every paragraph and table cell of the body, one per line."""
    document = docx.Document(io.BytesIO(data))
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        lines += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(lines)


def all_text(data: bytes) -> str:
    """Body, header and footer."""
    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    extra = [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
    return body_text(data) + "\n" + "\n".join(extra)


def test_the_document_holds_the_facts_in_german_formats() -> None:
    text = body_text(render())
    document = docx.Document(io.BytesIO(render()))
    assert document.paragraphs[0].text == "Fachliche Stellungnahme"
    assert ALLIANCE in text
    assert "Fassung 2 · abgeschlossen am 03.12.2026 durch Sprecher/in (Geschäftsstelle)" in text
    assert "Pflege-Rückkehr – Wiedereinstieg in pflegerische Berufe" in text
    assert "Antragsteller | AWO Bezirksverband Braunschweig" in text
    assert "Partner | Stadt Braunschweig, Jobcenter Braunschweig" in text
    assert "Kreise | Braunschweig, Stadt; Goslar" in text
    assert "Laufzeit | 01.01.2027 – 31.12.2028" in text
    assert f"Gesamtkosten | 1.234.567,89{NBSP}€" in text
    assert f"Beantragte Förderung | 740.740,73{NBSP}€" in text
    assert "Fonds | ESF/ESF+" in text
    assert "Eingereicht am | 15.10.2026" in text
    # The regional need of the application's Kreise at the time of assessment.
    assert f"Goslar | Arbeitslosenquote | 6,8{NBSP}% | 31.12.2025 | Bundesagentur für Arbeit" in text
    assert f"145.123{NBSP}Personen" in text
    assert "bis zum 03.12.2026" in text


def test_the_scoring_table_shows_each_assessor_the_mean_and_the_flagged_spread() -> None:
    text = body_text(render())
    assert "Kriterium | Gewicht | IHK Braunschweig | Landkreis Goslar | Mittel | Spannweite" in text
    assert "Regionaler Bedarf | 25 | 4 | 4 | 4,00 | 0" in text
    assert "Beitrag zur Fachkräftestrategie | 20 | 5 | 4 | 4,50 | 1" in text
    assert "Nachhaltigkeit/Verstetigung (optional) | 15 | 1 | 4 | 2,50 | 3 ⚑ Diskussion" in text
    assert "Gewichteter Gesamtwert |  | 3,67 | 4,00 | 3,83 | " in text
    assert "Gewichtete Gesamtbewertung: 3,83 von 5" in text
    assert "Zur Diskussion (Abweichung der Bewertenden von mindestens 2 Punkten): Nachhaltigkeit/Verstetigung." in text
    assert "IHK Braunschweig, 20.11.2026\nDer Bedarf ist gut belegt." in text
    assert "Landkreis Goslar, 25.11.2026\nVerstetigung nach Projektende offen." in text


def test_the_statement_text_comes_in_paragraphs_and_the_recommendation_in_bold() -> None:
    document = docx.Document(io.BytesIO(render()))
    texts = [paragraph.text for paragraph in document.paragraphs]
    assert "Das Bündnis hält den Antrag für geeignet." in texts
    assert "Die Verstetigung ist nachzuweisen." in texts
    closing = document.paragraphs[-1]
    assert closing.text == "Empfehlung: befürwortet mit Auflagen"
    assert all(run.bold for run in closing.runs)


def test_only_drafts_carry_the_entwurf_marker() -> None:
    final = all_text(render())
    assert "ENTWURF" not in final and "Entwurf" not in final
    draft_bytes = render(finalised_at=None, finalised_by=None, recommendation=None)
    draft = docx.Document(io.BytesIO(draft_bytes))
    assert "ENTWURF" in [paragraph.text for paragraph in draft.paragraphs]
    assert [p.text for p in draft.sections[0].header.paragraphs] == ["ENTWURF"]  # on every page
    assert "Fassung 2 · Stand 03.12.2026" in body_text(draft_bytes)
    assert draft.paragraphs[-1].text == "Empfehlung: offen"


def test_english_document() -> None:
    text = body_text(render(language="en"))
    assert text.startswith("Expert statement")
    assert "Total cost | €1,234,567.89" in text
    assert "Recommendation: recommended with conditions" in text


def test_the_same_input_gives_the_same_bytes_with_the_finalisation_as_document_date() -> None:
    assert render() == render()
    assert render(finalised_at=None) == render(finalised_at=None)
    properties = docx.Document(io.BytesIO(render())).core_properties
    assert properties.created == properties.modified == FINALISED
    assert properties.title == "Fachliche Stellungnahme: Pflege-Rückkehr – Wiedereinstieg in pflegerische Berufe"
    assert properties.revision == 2
    with zipfile.ZipFile(io.BytesIO(render())) as package:
        assert {info.date_time for info in package.infolist()} == {(2000, 1, 1, 0, 0, 0)}


def test_hostile_user_text_is_plain_text_and_control_characters_are_dropped() -> None:
    facts = copy.deepcopy(FACTS)
    hostile_title = '<script>alert(1)</script> =cmd|" /C calc"!A0 \x00\x07\x1b{ PAGE }'
    facts["application"]["title"] = hostile_title
    facts["application"]["lead"] = '=HYPERLINK("http://x")\x0b'
    facts["assessments"][0]["comment"] = "<b>fett</b>\x0c und \ufffe weiter"
    data = render(facts=facts, text="Text mit \x01Steuerzeichen\r\nund Zeilenende", finalised_by="<i>x</i>")
    text = body_text(data)
    assert '<script>alert(1)</script> =cmd|" /C calc"!A0 { PAGE }' in text
    assert 'Antragsteller | =HYPERLINK("http://x")' in text
    assert "<b>fett</b> und  weiter" in text
    assert "Text mit Steuerzeichen\nund Zeilenende" in text
    assert "durch <i>x</i>" in text
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        xml = package.read("word/document.xml").decode("utf-8")
    assert "&lt;script&gt;" in xml and "<script>" not in xml
    assert "fldSimple" not in xml and "instrText" not in xml  # no field codes


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("a\x00b", "ab"), ("tab\tok", "tab\tok"), ("a\r\nb\rc", "a\nb\nc"), (None, ""), ("\ud800x", "x"), (12, "12")],
)
def test_clean(raw: object, expected: str) -> None:
    assert clean(raw) == expected


def test_sparse_facts_render_with_dashes_and_empty_notes() -> None:
    facts = {"as_of": "2026-12-03", "application": {"title": "Nur ein Titel", "total_cost": "0.00"}}
    text = body_text(render(facts=facts, text="", recommendation=None, finalised_at=None, finalised_by=None))
    assert "Antragsteller | –" in text and "Laufzeit | –" in text and "Beantragte Förderung | –" in text
    assert f"Gesamtkosten | 0,00{NBSP}€" in text
    assert "Für die Kreise des Antrags liegen bis zum 03.12.2026 keine Indikatorwerte vor." in text
    assert "Es liegt noch keine Bewertung vor." in text
    assert "(noch kein Text)" in text

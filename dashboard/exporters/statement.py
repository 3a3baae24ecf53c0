"""The alliance's fachliche Stellungnahme on a funding application as a Word document (DOCX).

Rendered from the statement's facts snapshot (``Statement.facts``, see data_access/applications.py) alone, so a
finalised statement's document never changes, and a draft shows the facts of the moment. Every piece of user text
(titles, names, comments, the statement) goes in as a plain text run: no field codes, no markup is interpreted, and
characters XML cannot hold (control characters) are dropped instead of failing. The output is deterministic: the
same input gives the same bytes (fixed core-property dates and ZIP timestamps).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

from dashboard.domain.assessment import SPREAD_FLAG
from dashboard.domain.overview import GERMANY
from dashboard.i18n import formats, label, t

# XML 1.0 allows tab, newline and carriage return among the C0 controls; the rest (and lone surrogates, U+FFFE/FFFF)
# cannot be stored at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A document without a finalisation date still needs fixed timestamps to come out byte-identical.
FIXED_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)
RED = RGBColor(0xD5, 0x5E, 0x00)  # Okabe-Ito vermilion, the palette of the app's charts
GREY = RGBColor(0x59, 0x59, 0x59)
TABLE_STYLE = "Light Grid Accent 1"


def clean(value: object) -> str:
    """Text as it can go into the document: control characters removed, line ends unified."""
    if value is None:
        return ""
    return _NOT_XML.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n"))


def render_statement_docx(
    *,
    alliance_name: str,
    number: int,
    text: str,
    recommendation: str | None,
    facts: Mapping[str, Any],
    finalised_at: datetime | None,
    finalised_by: str | None,
    language: str = "de",
) -> bytes:
    """The statement as DOCX bytes; a draft (``finalised_at`` None) carries a visible ENTWURF marker on every page."""
    draft = finalised_at is None
    document = Document()
    _page_setup(document, language)
    application: Mapping[str, Any] = facts.get("application") or {}
    as_of = _date(facts.get("as_of"))

    _header_and_footer(document, alliance_name, number, draft, language)
    heading = document.add_heading(level=0)
    heading.add_run(t("statement.title", language))
    _text(document.add_paragraph(style="Subtitle"), alliance_name)
    if draft:
        marker = document.add_paragraph()
        run = marker.add_run(t("statement.draft", language))
        run.bold, run.font.size, run.font.color.rgb = True, Pt(20), RED
        _text(document.add_paragraph(), t("statement.draft_note", language), colour=RED)
    _text(document.add_paragraph(), _version_line(number, as_of, finalised_at, finalised_by, language), colour=GREY)

    document.add_heading(t("statement.application", language), level=1)
    _text(document.add_paragraph(), application.get("title"), bold=True)
    _key_facts(document, application, language)
    if clean(application.get("description")).strip():
        _text(document.add_paragraph(), t("statement.description", language), bold=True)
        _paragraphs(document, application.get("description"))

    document.add_heading(t("statement.need", language), level=1)
    _need(document, facts.get("need") or [], as_of, language)

    document.add_heading(t("statement.scoring", language), level=1)
    _scoring(document, facts, language)
    _comments(document, facts.get("assessments") or [], language)

    document.add_heading(t("statement.text", language), level=1)
    if clean(text).strip():
        _paragraphs(document, text)
    else:
        _text(document.add_paragraph(), t("statement.text_empty", language), colour=GREY)
    verdict = label("recommendation", recommendation, language) if recommendation else None
    closing = document.add_paragraph()
    closing.paragraph_format.space_before = Pt(12)
    _text(
        closing,
        t("statement.recommendation", language, recommendation=verdict or t("statement.recommendation_open", language)),
        bold=True,
        size=13,
    )

    _core_properties(document, alliance_name, application, number=number, finalised_at=finalised_at, language=language)
    return _deterministic_zip(document)


# --- pieces --------------------------------------------------------------------------------------------------------


def _page_setup(document: DocumentObject, language: str) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(22)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    normal = document.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    # The proofing language of the whole document, so Word checks German text as German.
    defaults = document.styles.element.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    properties = run_defaults.find(qn("w:rPr")) if run_defaults is not None else None
    if properties is not None:
        lang = properties.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            properties.append(lang)
        lang.set(qn("w:val"), "de-DE" if language == "de" else "en-GB")


def _header_and_footer(document: DocumentObject, alliance_name: str, number: int, draft: bool, language: str) -> None:
    section = document.sections[0]
    if draft:
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _text(header, t("statement.draft", language), bold=True, colour=RED, size=12)
    footer = section.footer.paragraphs[0]
    key = "statement.footer_draft" if draft else "statement.footer"
    _text(footer, t(key, language, alliance=clean(alliance_name), number=number), colour=GREY, size=8)


def _version_line(
    number: int, as_of: date | None, finalised_at: datetime | None, finalised_by: str | None, language: str
) -> str:
    parts = [t("statement.version", language, number=number)]
    if finalised_at is not None:
        parts.append(t("statement.finalised", language, date=formats.day(_local_day(finalised_at), language)))
        if clean(finalised_by).strip():
            parts[-1] += " " + t("statement.finalised_by", language, who=clean(finalised_by).strip())
    elif as_of is not None:
        parts.append(t("statement.as_of", language, date=formats.day(as_of, language)))
    return " · ".join(parts)


def _key_facts(document: DocumentObject, application: Mapping[str, Any], language: str) -> None:
    none = t("statement.none", language)
    # Kreis names may hold a comma ("Braunschweig, Stadt"): a semicolon keeps them apart.
    regions = "; ".join(clean(region.get("name") or region.get("ags")) for region in application.get("regions") or [])
    fund = application.get("fund")
    rows = [
        ("statement.lead", clean(application.get("lead")) or none),
        ("statement.partners", _joined(application.get("partners")) or none),
        ("statement.topics", _joined(application.get("topics")) or none),
        ("statement.regions", regions or none),
        ("statement.period", _period(application.get("start_date"), application.get("end_date"), language)),
        ("statement.total_cost", _money(application.get("total_cost"), language)),
        ("statement.requested", _money(application.get("requested_grant"), language)),
        ("statement.fund", label("fund", str(fund), language) if fund else none),
        ("statement.submitted", formats.day(_date(application.get("submitted_on")), language)),
    ]
    table = _table(document, len(rows), 2)
    for row, (key, value) in zip(table.rows, rows, strict=True):
        _cell(row.cells[0], t(key, language), bold=True)
        _cell(row.cells[1], value)
    _widths(table, [Mm(50), Mm(116)])


def _need(document: DocumentObject, need: Sequence[Mapping[str, Any]], as_of: date | None, language: str) -> None:
    day = formats.day(as_of, language)
    if not need:
        _text(document.add_paragraph(), t("statement.need_empty", language, date=day), colour=GREY)
        return
    _text(document.add_paragraph(), t("statement.need_intro", language, date=day))
    headers = ["need_region", "need_indicator", "need_value", "need_period", "need_source"]
    table = _table(document, len(need) + 1, len(headers))
    for cell, key in zip(table.rows[0].cells, headers, strict=True):
        _cell(cell, t(f"statement.{key}", language), bold=True)
    for row, item in zip(table.rows[1:], need, strict=True):
        values = [
            clean(item.get("region") or item.get("ags")),
            clean(item.get("indicator") or item.get("indicator_code")),
            _measure(item.get("value"), clean(item.get("unit")), language),
            formats.day(_date(item.get("period_end")), language),
            clean(item.get("source")),
        ]
        for index, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            _cell(cell, value, align_right=index == 2, size=9)
    _widths(table, [Mm(30), Mm(48), Mm(26), Mm(22), Mm(40)])


def _scoring(document: DocumentObject, facts: Mapping[str, Any], language: str) -> None:
    criteria: Sequence[Mapping[str, Any]] = facts.get("criteria") or []
    assessments: Sequence[Mapping[str, Any]] = facts.get("assessments") or []
    if not assessments or not criteria:
        _text(document.add_paragraph(), t("statement.scoring_empty", language), colour=GREY)
        return
    _text(document.add_paragraph(), t("statement.scoring_intro", language), colour=GREY, size=9)
    means: Mapping[str, Any] = facts.get("criterion_means") or {}
    spread: Mapping[str, Any] = facts.get("spread") or {}
    flagged = {str(code) for code in facts.get("flagged") or []}
    columns = 2 + len(assessments) + 2
    table = _table(document, len(criteria) + 2, columns)
    head = [t("statement.criterion", language), t("statement.weight", language)]
    head += [clean(a.get("assessor")) for a in assessments]
    head += [t("statement.mean", language), t("statement.spread", language)]
    for cell, value in zip(table.rows[0].cells, head, strict=True):
        _cell(cell, value, bold=True, size=9)
    for row, criterion in zip(table.rows[1:], criteria, strict=False):
        code = str(criterion.get("code"))
        name = clean(criterion.get("name") or code)
        if not criterion.get("required", True):  # most criteria are required: mark the exceptions
            name += " " + t("statement.optional", language)
        scores = [(a.get("scores") or {}).get(code) for a in assessments]
        gap = spread.get(code)
        gap_text = formats.number(gap, language) if gap is not None else t("statement.none", language)
        if code in flagged:
            gap_text += " " + t("statement.flag", language)
        values = [name, formats.number(criterion.get("weight"), language)]
        values += [formats.number(score, language) if score is not None else "–" for score in scores]
        values += [_score(means.get(code), language), gap_text]
        for index, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            _cell(cell, value, align_right=index > 0, size=9, bold=index == columns - 1 and code in flagged)
    totals = table.rows[-1].cells
    _cell(totals[0], t("statement.weighted_row", language), bold=True, size=9)
    for cell, assessment in zip(totals[2 : 2 + len(assessments)], assessments, strict=True):
        _cell(cell, _score(assessment.get("weighted_total"), language), bold=True, align_right=True, size=9)
    _cell(totals[2 + len(assessments)], _score(facts.get("weighted_total"), language), bold=True, align_right=True)
    total = document.add_paragraph()
    total.paragraph_format.space_before = Pt(6)
    _text(total, t("statement.total", language, score=_score(facts.get("weighted_total"), language)), bold=True)
    if flagged:
        names = [clean(c.get("name") or c.get("code")) for c in criteria if str(c.get("code")) in flagged]
        message = t("statement.flagged", language, criteria=", ".join(names), points=SPREAD_FLAG)
        _text(document.add_paragraph(), message, colour=RED)


def _comments(document: DocumentObject, assessments: Sequence[Mapping[str, Any]], language: str) -> None:
    if not assessments:
        return
    document.add_heading(t("statement.comments", language), level=2)
    for assessment in assessments:
        when = formats.day(_date(assessment.get("assessed_on")), language)
        head = t("statement.comment_head", language, assessor=clean(assessment.get("assessor")), date=when)
        _text(document.add_paragraph(), head, bold=True)
        if clean(assessment.get("comment")).strip():
            _paragraphs(document, assessment.get("comment"))
        else:
            _text(document.add_paragraph(), t("statement.no_comment", language), colour=GREY)


def _core_properties(
    document: DocumentObject,
    alliance_name: str,
    application: Mapping[str, Any],
    *,
    number: int,
    finalised_at: datetime | None,
    language: str,
) -> None:
    properties = document.core_properties
    moment = finalised_at or FIXED_MOMENT
    properties.created = properties.modified = moment
    properties.last_printed = moment
    properties.author = properties.last_modified_by = clean(alliance_name)[:255]
    properties.title = f"{t('statement.title', language)}: {clean(application.get('title'))}"[:255]
    properties.subject = clean(alliance_name)[:255]
    properties.revision = max(1, int(number))
    properties.language = "de-DE" if language == "de" else "en-GB"
    properties.comments = properties.keywords = properties.category = ""


def _deterministic_zip(document: DocumentObject) -> bytes:
    """The package with every member stamped with one fixed time (zipfile would use the clock)."""
    raw = io.BytesIO()
    document.save(raw)
    source = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(member.filename))
    return out.getvalue()


# --- small helpers -------------------------------------------------------------------------------------------------


def _text(
    paragraph: Paragraph,
    value: object,
    *,
    bold: bool = False,
    colour: RGBColor | None = None,
    size: float | None = None,
) -> None:
    """Append plain text as one run (python-docx writes tabs and line breaks as their own elements)."""
    run = paragraph.add_run(clean(value))
    run.bold = bold or None
    if colour is not None:
        run.font.color.rgb = colour
    if size is not None:
        run.font.size = Pt(size)


def _paragraphs(document: DocumentObject, value: object) -> None:
    """Multi-line user text: blank lines start a new paragraph, single line ends stay line breaks."""
    for block in re.split(r"\n\s*\n", clean(value).strip()):
        if block.strip():
            _text(document.add_paragraph(), block.strip("\n"))


def _table(document: DocumentObject, rows: int, columns: int) -> Table:
    table = document.add_table(rows=rows, cols=columns)
    table.style = document.styles[TABLE_STYLE]
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    return table


def _cell(
    cell: Any, value: object, *, bold: bool = False, align_right: bool = False, size: float | None = None
) -> None:
    paragraph = cell.paragraphs[0]
    if align_right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _text(paragraph, value, bold=bold, size=size)


def _widths(table: Table, widths: Sequence[Any]) -> None:
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = width


def _joined(values: Iterable[object] | None) -> str:
    return ", ".join(clean(value) for value in values or [] if clean(value))


def _date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _local_day(moment: datetime) -> date:
    """The calendar day in Germany (a naive timestamp counts as UTC, as the database stores it)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(GERMANY).date()


def _period(start: object, end: object, language: str) -> str:
    first, last = _date(start), _date(end)
    if first and last:
        return formats.period(first, last, language)
    if first:
        return t("statement.period_from", language, date=formats.day(first, language))
    if last:
        return t("statement.period_until", language, date=formats.day(last, language))
    return t("statement.none", language)


def _money(value: object, language: str) -> str:
    if value is None or value == "":
        return t("statement.none", language)
    try:
        return formats.money(Decimal(str(value)), language)
    except InvalidOperation:
        return t("statement.none", language)


def _score(value: object, language: str) -> str:
    if value is None:
        return t("statement.none", language)
    return formats.number(float(str(value)), language, decimals=2)


def _measure(value: object, unit: str, language: str) -> str:
    """An indicator value with as many decimals as it has (up to two) and its unit: 5,3 %, 12.345 Personen."""
    if value is None:
        return t("statement.missing", language)
    number = float(str(value))
    decimals = next((d for d in (0, 1) if round(number, d) == number), 2)
    shown = formats.number(number, language, decimals=decimals)
    return f"{shown}\u00a0{unit}" if unit else shown

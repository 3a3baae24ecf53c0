"""Bulk-import files: templates out, uploads in — type by content, encodings, headers, line numbers, bad files."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import datetime

import openpyxl
import polars as pl
import pytest
import xlsxwriter
from sqlalchemy import Engine

from dashboard.data_access.bulk_import import apply_bulk, plan_bulk
from dashboard.data_access.bulk_schema import BULK_COLUMNS, LINE, BulkKind
from dashboard.data_access.scope import SYSTEM_SCOPE
from dashboard.importers.bulk import (
    EXAMPLE_TITLE,
    BulkFileIssue,
    TemplateFormat,
    header_aliases,
    header_label,
    normalised_header,
    read_bulk_file,
    template_bytes,
)
from dashboard.importers.model import FileFormatError
from seeds.loader import seed_demo

ALLIANCE = 1  # SüdOstNiedersachsen, whose partners, topics and Kreise the examples name
MB = 1024 * 1024
LIMIT = 10 * MB


def headers(kind: BulkKind, language: str = "de", *, only_required: bool = False) -> list[str]:
    return [header_label(c.name, language) for c in BULK_COLUMNS[kind] if c.required or not only_required]


def read(data: bytes, kind: BulkKind = BulkKind.PROJECTS, name: str = "datei.csv", **kwargs: int) -> pl.DataFrame:
    return read_bulk_file(data, name, kind, max_bytes=kwargs.get("max_bytes", LIMIT))


def problems(data: bytes, kind: BulkKind = BulkKind.PROJECTS, name: str = "datei.csv", **kwargs: int) -> list[str]:
    with pytest.raises(FileFormatError) as caught:
        read(data, kind, name, **kwargs)
    return [issue.text("de") for issue in caught.value.issues]


def entries_csv(*rows: str, separator: str = ";") -> bytes:
    header = separator.join(headers(BulkKind.ENTRIES))
    return "\n".join([header, *rows]).encode("utf-8") + b"\n"


def workbook(fill: Callable[[xlsxwriter.Workbook], None]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    fill(book)
    book.close()
    return buffer.getvalue()


# --- headers ----------------------------------------------------------------------------------------------------


def test_every_header_spelling_maps_to_one_column_and_none_collide() -> None:
    for kind, columns in BULK_COLUMNS.items():
        aliases = header_aliases(kind)
        for column in columns:
            for spelling in (column.name, header_label(column.name, "de"), header_label(column.name, "en")):
                assert aliases[normalised_header(spelling)] == column.name, (kind, spelling)
        # No two columns of a kind share a normalised label (it would make a header ambiguous).
        assert len(set(aliases.values())) == len(columns)


def test_header_matching_ignores_case_spaces_and_umlaut_spelling() -> None:
    labels = headers(BulkKind.ENTRIES)
    spelled = [f"  {labels[0].upper()} ", labels[1].lower(), "kind", *labels[3:]]
    spelled = [label.replace("ä", "ae").replace("ü", "ue").replace("ö", "oe") for label in spelled]
    data = (";".join(spelled) + "\nWelcome Center;31.03.2025;Auszahlung;1.234,56;ESF/ESF+;\n").encode()
    frame = read(data, BulkKind.ENTRIES)
    assert frame.columns == [LINE, *(c.name for c in BULK_COLUMNS[BulkKind.ENTRIES])]
    assert frame.row(0, named=True) == {
        LINE: 2,
        "project": "Welcome Center",
        "entry_date": "31.03.2025",
        "kind": "Auszahlung",
        "amount": "1.234,56",
        "fund": "ESF/ESF+",
        "note": None,
    }


def test_english_headers_are_read_too_and_missing_optional_columns_are_null() -> None:
    data = (";".join(headers(BulkKind.VALUES, "en", only_required=True)) + "\nP;EECO01;2025-12-31;12\n").encode()
    frame = read(data, BulkKind.VALUES)
    assert frame.schema == pl.Schema({LINE: pl.Int64, **{c.name: pl.String for c in BULK_COLUMNS[BulkKind.VALUES]}})
    assert frame.row(0) == (2, "P", "EECO01", "2025-12-31", "12", None, None)


# --- templates --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(BulkKind))
def test_csv_template_is_german_excel_csv_and_reads_back(kind: BulkKind) -> None:
    data = template_bytes(kind, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == ";".join(headers(kind)) and len(lines) == 2
    frame = read(data, kind)
    assert frame.height == 1 and frame[LINE].to_list() == [2]
    row = frame.row(0, named=True)
    assert EXAMPLE_TITLE["de"] in (row.get("title"), row.get("project"))


def test_projects_template_example_row_uses_german_formats() -> None:
    row = read(template_bytes(BulkKind.PROJECTS, "csv")).row(0, named=True)
    assert row["title"] == "Beispielprojekt Fachkräftesicherung"
    assert (row["start_date"], row["end_date"]) == ("01.01.2025", "31.12.2026")
    assert (row["total_cost"], row["kreise"], row["status"]) == ("125.000,00", "03153", "Laufend")
    entries = read(template_bytes(BulkKind.ENTRIES, "csv"), BulkKind.ENTRIES).row(0, named=True)
    assert (entries["amount"], entries["kind"], entries["project"]) == ("1.234,56", "Auszahlung", row["title"])


@pytest.mark.parametrize("kind", list(BulkKind))
def test_xlsx_template_round_trip_gives_the_csv_values_in_service_syntax(kind: BulkKind) -> None:
    from_xlsx = read(template_bytes(kind, "xlsx"), kind, "vorlage.xlsx")
    from_csv = read(template_bytes(kind, "csv"), kind)
    assert from_xlsx.columns == from_csv.columns and from_xlsx[LINE].to_list() == [2]
    money = {"total_cost", "requested_grant", "approved_grant", "amount"}
    for name in from_csv.columns:
        if name in money:  # numeric cells arrive with a decimal point, which the service reads as well
            assert from_xlsx[name].to_list() != [None]
        else:
            assert from_xlsx[name].to_list() == from_csv[name].to_list(), name
    if kind is BulkKind.ENTRIES:
        assert from_xlsx["amount"].to_list() == ["1234.56"]


def test_xlsx_template_has_formatted_frozen_header_and_a_notes_sheet() -> None:
    book = openpyxl.load_workbook(io.BytesIO(template_bytes(BulkKind.PROJECTS, "xlsx")))
    assert book.sheetnames == ["Vorlage", "Hinweise"]
    sheet = book["Vorlage"]
    assert [cell.value for cell in sheet[1]] == headers(BulkKind.PROJECTS)
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    assert sheet.column_dimensions["A"].width > 20
    assert isinstance(sheet["E2"].value, datetime) and sheet["E2"].number_format == "dd.mm.yyyy"
    assert sheet["L2"].value == "03153"  # text, so Excel keeps the leading zero
    notes = book["Hinweise"]
    rows = {row[0]: row[1:] for row in notes.iter_rows(min_row=2, values_only=True) if row[0]}
    required, _format, allowed = rows[header_label("status")]
    assert required == "ja" and "Laufend" in allowed and "Abgebrochen" in allowed
    assert rows[header_label("description")][0] == "nein"
    assert "TT.MM.JJJJ" in rows[header_label("start_date")][1]
    assert "ESF/ESF+" in rows[header_label("fund")][2]


def test_english_template_has_english_headers_and_iso_dates() -> None:
    data = template_bytes(BulkKind.PROJECTS, "csv", language="en")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == ";".join(headers(BulkKind.PROJECTS, "en"))
    row = read_bulk_file(data, "t.csv", BulkKind.PROJECTS, max_bytes=LIMIT, language="en").row(0, named=True)
    assert (row["end_date"], row["total_cost"], row["status"]) == ("2026-12-31", "125000.00", "Running")


# --- separators, encodings, line numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("separator", [";", ",", "\t"])
def test_the_separator_is_detected_from_the_header(separator: str) -> None:
    data = entries_csv(
        separator.join(["Welcome Center", "31.03.2025", "Bewilligung", "100", "ESF/ESF+", "x"]), separator=separator
    )
    frame = read(data, BulkKind.ENTRIES)
    assert frame.row(0)[1:] == ("Welcome Center", "31.03.2025", "Bewilligung", "100", "ESF/ESF+", "x")


def test_comma_separated_file_keeps_quoted_decimal_commas_and_lists() -> None:
    data = entries_csv('"Welcome Center, Phase 2",31.03.2025,Bewilligung,"1.234,56",ESF/ESF+,', separator=",")
    row = read(data, BulkKind.ENTRIES).row(0, named=True)
    assert (row["project"], row["amount"], row["note"]) == ("Welcome Center, Phase 2", "1.234,56", None)


def test_blank_rows_are_skipped_and_lines_stay_those_of_the_file() -> None:
    data = entries_csv(
        "A;31.03.2025;Bewilligung;1;esf;",
        "",
        ";;;;;",
        '"B";01.04.2025;Auszahlung;2;esf;"zwei\nZeilen"',
        "C;02.04.2025;Auszahlung;3;esf;",
    )
    frame = read(data, BulkKind.ENTRIES)
    assert frame.select(LINE, "project").rows() == [(2, "A"), (5, "B"), (7, "C")]
    assert frame["note"].to_list() == [None, "zwei\nZeilen", None]


def test_cells_are_stripped_and_empty_cells_are_null() -> None:
    frame = read(entries_csv("  A ;31.03.2025; Bewilligung ;  ;esf;   "), BulkKind.ENTRIES)
    assert frame.row(0)[1:] == ("A", "31.03.2025", "Bewilligung", None, "esf", None)


def test_windows_1252_is_accepted_when_it_decodes_cleanly() -> None:
    data = entries_csv("Fachkräfte – Süd;31.03.2025;Bewilligung;1;esf;Grüße").decode().encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    frame = read(data, BulkKind.ENTRIES)
    assert frame.row(0, named=True)["project"] == "Fachkräfte – Süd"
    assert frame.row(0, named=True)["note"] == "Grüße"


def test_utf16_with_bom_is_accepted() -> None:
    data = entries_csv("Fachkräfte;31.03.2025;Bewilligung;1;esf;", separator=";").decode().encode("utf-16")
    assert read(data, BulkKind.ENTRIES).row(0, named=True)["project"] == "Fachkräfte"


def test_an_undecodable_file_is_refused_naming_the_line() -> None:
    good = entries_csv("A;31.03.2025;Bewilligung;1;esf;")
    data = good + b"B\x81\x8d;31.03.2025;Bewilligung;1;esf;\n"  # bytes Windows-1252 does not define
    assert problems(data, BulkKind.ENTRIES) == [
        "Zeile 3: Die Zeichenkodierung ist unbekannt (weder UTF-8 noch Windows-1252). "
        "Bitte in Excel „CSV UTF-8 (durch Trennzeichen getrennt)“ wählen."
    ]


def test_c1_control_characters_count_as_a_wrong_encoding() -> None:
    data = entries_csv("A;31.03.2025;Bewilligung;1;esf;", "B\u0085;31.03.2025;Bewilligung;1;esf;")
    assert problems(data, BulkKind.ENTRIES)[0].startswith("Zeile 3: Die Zeichenkodierung ist unbekannt")


def test_an_unbalanced_quote_is_refused_naming_the_line() -> None:
    data = entries_csv("A;31.03.2025;Bewilligung;1;esf;", '"B;31.03.2025;Bewilligung;1;esf;')
    assert problems(data, BulkKind.ENTRIES) == [
        "Zeile 3: Die CSV-Struktur ist fehlerhaft (z. B. ein Anführungszeichen ohne Gegenstück)."
    ]


def test_kreise_lose_no_leading_zero_to_a_spreadsheet() -> None:
    labels = [*headers(BulkKind.PROJECTS, only_required=True), header_label("kreise")]
    data = (";".join(labels) + '\nP;Landkreis Goslar;idee;esf;"3153; 03101;1001"\n').encode()
    assert read(data).row(0, named=True)["kreise"] == "03153; 03101; 01001"


# --- header problems ---------------------------------------------------------------------------------------------


def test_missing_required_columns_are_named_with_their_german_header() -> None:
    data = (f"{header_label('title')};{header_label('status')}\nP;idee\n").encode()
    assert problems(data) == [
        f"Zeile 1: Die Pflichtspalte „{header_label('lead')}“ fehlt in der Kopfzeile.",
        f"Zeile 1: Die Pflichtspalte „{header_label('fund')}“ fehlt in der Kopfzeile.",
    ]


def test_unknown_columns_are_errors_with_a_guess_for_typos() -> None:
    labels = headers(BulkKind.ENTRIES)
    typo = labels[3] + "x"  # e.g. "Betragx"
    data = (";".join([*labels[:3], typo, *labels[4:], "Kommentar"]) + "\nA;31.03.2025;Bewilligung;1;esf;;x\n").encode()
    found = problems(data, BulkKind.ENTRIES)
    assert found[0] == f"Zeile 1, Spalte „{typo}“: Unbekannte Spalte (Nr. 4 der Kopfzeile) – meinten Sie „{labels[3]}“?"
    assert found[1].startswith("Zeile 1, Spalte „Kommentar“: Unbekannte Spalte (Nr. 7 der Kopfzeile). Erlaubt sind: ")
    assert found[2] == f"Zeile 1: Die Pflichtspalte „{labels[3]}“ fehlt in der Kopfzeile."


def test_a_duplicate_header_is_an_error() -> None:
    labels = headers(BulkKind.ENTRIES)
    data = (";".join([*labels, labels[0].upper()]) + "\nA;31.03.2025;Bewilligung;1;esf;;B\n").encode()
    assert problems(data, BulkKind.ENTRIES) == [
        f"Zeile 1, Spalte „{labels[0].upper()}“: Die Spalte kommt doppelt vor (Nr. 1 und 7 der Kopfzeile)."
    ]


def test_values_beyond_the_header_are_an_error_but_trailing_empty_cells_are_not() -> None:
    assert read(entries_csv("A;31.03.2025;Bewilligung;1;esf;;;;"), BulkKind.ENTRIES).height == 1
    assert problems(entries_csv("A;31.03.2025;Bewilligung;1;esf;;verloren"), BulkKind.ENTRIES) == [
        "Zeile 1: Spalte 7 hat keine Überschrift, enthält aber Werte."
    ]


def test_a_header_without_data_rows_says_so() -> None:
    assert problems(entries_csv(), BulkKind.ENTRIES) == ["Die Datei enthält nur die Kopfzeile, keine Datenzeilen."]
    assert problems(entries_csv("", ";;;;;"), BulkKind.ENTRIES) == [
        "Die Datei enthält nur die Kopfzeile, keine Datenzeilen."
    ]


# --- not a table at all ------------------------------------------------------------------------------------------


def test_a_zero_byte_or_blank_file_is_empty() -> None:
    assert problems(b"") == ["Die Datei ist leer."]
    assert problems(b" \r\n\r\n") == ["Die Datei ist leer."]


def test_a_file_above_the_limit_names_the_limit_in_mb() -> None:
    data = entries_csv(*["A;31.03.2025;Bewilligung;1;esf;" + "x" * 100] * 30_000)
    size = f"{len(data) / MB:.1f}".replace(".", ",")
    assert problems(data, BulkKind.ENTRIES, max_bytes=2 * MB) == [
        f"Die Datei ist {size} MB groß; erlaubt sind höchstens 2,0 MB."
    ]


def test_a_zip_that_is_no_workbook_is_named_as_such() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("projekte.csv", "Titel;Federführung\n")
    assert problems(buffer.getvalue(), name="projekte.xlsx") == [
        "Die Datei ist ein ZIP-Archiv, keine Excel-Arbeitsmappe."
    ]
    assert problems(b"PK\x03\x04kaputt", name="projekte.xlsx") == [
        "Die Datei sieht wie eine Excel-Arbeitsmappe aus, ist aber beschädigt oder unvollständig."
    ]


def test_an_ods_spreadsheet_is_named_as_such() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<x/>")
    assert "OpenDocument" in problems(buffer.getvalue(), name="p.ods")[0]


def test_pdf_old_excel_and_binary_files_are_refused_by_content() -> None:
    assert problems(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", name="projekte.csv")[0].startswith(
        "Die Datei ist ein PDF-Dokument, keine Tabelle."
    )
    assert problems(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), name="p.csv")[0].startswith(
        "Die Datei ist eine alte Excel-Arbeitsmappe (.xls)"
    )
    assert problems(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", name="p.csv")[0].startswith("Die Datei ist keine Textdatei")


# --- XLSX ---------------------------------------------------------------------------------------------------------


def test_a_workbook_named_csv_is_read_as_workbook() -> None:
    data = template_bytes(BulkKind.VALUES, "xlsx")
    frame = read(data, BulkKind.VALUES, name="werte.csv")
    assert frame.row(0, named=True)["indicator"] == "EECO01"


def test_xlsx_dates_numbers_and_row_numbers() -> None:
    def fill(book: xlsxwriter.Workbook) -> None:
        sheet = book.add_worksheet("Daten")
        day = book.add_format({"num_format": "dd.mm.yyyy"})
        sheet.write_row(2, 0, headers(BulkKind.ENTRIES))  # the header in row 3: rows 1–2 are blank
        sheet.write_row(3, 0, ["A", None, "Bewilligung", 1234.5, "esf", None])
        sheet.write_datetime(3, 1, datetime(2026, 12, 31), day)
        sheet.write_row(5, 0, ["B", "2025-01-02", "Auszahlung", 7, "esf", "Text"])  # row 5 blank
        sheet.write_row(6, 0, ["C", None, "Auszahlung", 0.1, "esf", 42])
        sheet.write_datetime(6, 1, datetime(2025, 3, 4, 13, 30), book.add_format({"num_format": "dd.mm.yy hh:mm"}))

    frame = read(workbook(fill), BulkKind.ENTRIES, name="finanzen.xlsx")
    assert frame.rows() == [
        (4, "A", "31.12.2026", "Bewilligung", "1234.5", "esf", None),
        (6, "B", "2025-01-02", "Auszahlung", "7", "esf", "Text"),
        (7, "C", "04.03.2025", "Auszahlung", "0.1", "esf", "42"),
    ]


def test_xlsx_header_problems_are_reported_like_csv_ones() -> None:
    def fill(book: xlsxwriter.Workbook) -> None:
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, [header_label("project"), header_label("amount")])
        sheet.write_row(1, 0, ["A", 1])

    found = problems(workbook(fill), BulkKind.ENTRIES, name="f.xlsx")
    assert f"Zeile 1: Die Pflichtspalte „{header_label('entry_date')}“ fehlt in der Kopfzeile." in found


def test_an_empty_workbook_is_empty_and_a_header_only_one_has_no_data() -> None:
    assert problems(workbook(lambda book: book.add_worksheet()), name="leer.xlsx") == ["Die Datei ist leer."]

    def header_only(book: xlsxwriter.Workbook) -> None:
        book.add_worksheet().write_row(0, 0, headers(BulkKind.PROJECTS))

    assert problems(workbook(header_only), name="kopf.xlsx") == [
        "Die Datei enthält nur die Kopfzeile, keine Datenzeilen."
    ]


def test_issues_are_bulk_file_issues_with_a_plain_reason() -> None:
    with pytest.raises(FileFormatError) as caught:
        read(b"")
    issue = caught.value.issues[0]
    assert isinstance(issue, BulkFileIssue) and issue.reason("en") == "The file is empty."


# --- the templates against the import service ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_template_examples_plan_cleanly_in_the_demo_alliance(seeded_engine: Engine, fmt: TemplateFormat) -> None:
    rows = read(template_bytes(BulkKind.PROJECTS, fmt), BulkKind.PROJECTS, f"vorlage.{fmt}")
    plan = plan_bulk(seeded_engine, SYSTEM_SCOPE, ALLIANCE, BulkKind.PROJECTS, rows)
    assert plan.issues == [] and plan.counts == {"new": 1, "changed": 0, "unchanged": 0}
    # The finance and values examples refer to the example project: before it exists, that is their only issue.
    for kind in (BulkKind.ENTRIES, BulkKind.VALUES):
        rows = read(template_bytes(kind, fmt), kind, f"vorlage.{fmt}")
        issues = plan_bulk(seeded_engine, SYSTEM_SCOPE, ALLIANCE, kind, rows).issues
        assert [(issue.line, issue.column, issue.key) for issue in issues] == [(2, "project", "issue.unknown_project")]


@pytest.mark.parametrize("language", ["de", "en"])
def test_template_examples_import_one_after_another(migrated_engine: Engine, language: str) -> None:
    seed_demo(migrated_engine)
    for kind in BulkKind:
        data = template_bytes(kind, "xlsx" if kind is BulkKind.ENTRIES else "csv", language)
        rows = read_bulk_file(data, "vorlage", kind, max_bytes=LIMIT, language=language)
        result = apply_bulk(migrated_engine, SYSTEM_SCOPE, ALLIANCE, kind, rows, language=language)
        assert result["new"] == 1, kind
        again = plan_bulk(migrated_engine, SYSTEM_SCOPE, ALLIANCE, kind, rows, language=language)
        assert again.counts["unchanged"] == 1 and not again.has_work, kind

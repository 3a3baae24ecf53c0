"""Exports read back: German CSV and typed XLSX carry the same values; formulas come back as text."""

import csv
import io
import os
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from dashboard.exporters.projects import project_table, projects_csv, projects_xlsx
from dashboard.exporters.tables import neutralised

ROWS = pl.DataFrame(
    {
        "id": [1, 2],
        "title": ['=HYPERLINK("http://x")', "Welcome Center"],
        "description": ["+49 Anruf", "Beratung; mit Semikolon"],
        "status": ["laufend", "abgeschlossen"],
        "fund": ["esf", "efre"],
        "lead_name": ["@Träger", "Allianz"],
        "partner_names": [["B", "C"], []],
        "topic_names": [["Rekrutierung und Matching"], []],
        "region_names": [["Goslar"], ["Braunschweig", "Wolfsburg"]],
        "start_date": [date(2020, 1, 1), None],
        "end_date": [date(2021, 12, 31), None],
        "total_cost_cents": [123_456_789, 0],
        "requested_cents": [10, None],
        "approved_cents": [1_000_00, None],
        "committed_cents": [1_000_00, 0],
        "disbursed_cents": [250_00, 0],
    }
)


def test_neutralise_prefixes_formula_starts() -> None:
    frame = pl.DataFrame({"t": ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "ok", None]})
    assert neutralised(frame)["t"].to_list() == ["'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "ok", None]


def test_csv_is_german_excel_csv() -> None:
    payload = projects_csv(ROWS, "de")
    assert payload.startswith(b"\xef\xbb\xbf")
    text = payload.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert rows[0]["Titel"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["Federführung"] == "'@Träger"
    assert rows[0]["Beschreibung"] == "'+49 Anruf"
    assert rows[0]["Gesamtkosten"] == "1234567,89"
    assert rows[0]["Bewilligt"] == "1000,00"
    assert rows[0]["Mittelabruf"] == "0,25"
    assert rows[0]["Beginn"] == "01.01.2020"
    assert rows[0]["Status"] == "Laufend"
    assert rows[0]["Partner"] == "B, C"
    assert rows[1]["Beschreibung"] == "Beratung; mit Semikolon"
    assert rows[1]["Bewilligt"] == "" and rows[1]["Beginn"] == ""


def test_xlsx_has_typed_cells_frozen_header_and_text_formulas(tmp_path: Path) -> None:
    payload = projects_xlsx(ROWS, "de", title="Bündnis – Projekte", notes=("Stand: 22.11.2026", "Filter: keine"))
    path = tmp_path / "p.xlsx"
    path.write_bytes(payload)
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    assert sheet["A1"].value == "Bündnis – Projekte"
    assert sheet["A2"].value == "Stand: 22.11.2026"
    header_row = 5
    headers = [cell.value for cell in sheet[header_row]]
    assert headers[:3] == ["Titel", "Status", "Federführung"]
    assert sheet.freeze_panes == f"A{header_row + 1}"
    first = {name: cell for name, cell in zip(headers, sheet[header_row + 1], strict=True)}
    assert first["Titel"].data_type == "s"
    assert first["Titel"].value == '\'=HYPERLINK("http://x")'
    assert first["Gesamtkosten"].data_type == "n"
    assert Decimal(str(first["Gesamtkosten"].value)) == Decimal("1234567.89")
    assert "€" in first["Gesamtkosten"].number_format
    assert first["Beginn"].value == datetime(2020, 1, 1)
    assert first["Beginn"].number_format == "dd.mm.yyyy"
    assert sheet.column_dimensions["A"].width > 10


def test_table_money_is_exact_decimal() -> None:
    table = project_table(ROWS, "de")
    dtype = table["Gesamtkosten"].dtype
    assert isinstance(dtype, pl.Decimal) and dtype.scale == 2
    assert table["Gesamtkosten"][0] == Decimal("1234567.89")


def test_english_headers() -> None:
    assert project_table(ROWS, "en").columns[:3] == ["Title", "Status", "Lead"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cli_exports_the_filtered_list(seeded_url: str, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"projekte.{fmt}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env["COCKPIT_DATABASE_URL"] = seeded_url
    result = subprocess.run(
        [
            sys.executable, "-m", "dashboard.cli", "export", "projects", "--alliance", "suedostniedersachsen",
            "--topic", "Rekrutierung und Matching", "--kreis", "03153", "--format", fmt, "--out", str(out),
        ],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "5 Projekte" in result.stdout
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig")), delimiter=";"))
        titles = {row["Titel"] for row in rows}
    else:
        sheet = openpyxl.load_workbook(out).active
        assert sheet is not None
        assert "Kreis: Goslar" in str(sheet["A3"].value)
        titles = {row[0] for row in sheet.iter_rows(min_row=6, values_only=True)}
    assert titles == {
        "Digitalisierungslabor an der TU Clausthal",
        "Fachkräfteportal Harz-Region",
        "Rückkehrbörse Harz",  # an open application (bewertet) is a project in the list too
        "Stille Reserve – verborgene Fachkräftepotentiale erschließen",
        "Welcome Center der Region für ausländische Fachkräfte",
    }


def test_cli_rejects_an_unknown_alliance(seeded_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env["COCKPIT_DATABASE_URL"] = seeded_url
    result = subprocess.run(
        [
            sys.executable, "-m", "dashboard.cli", "export", "projects",
            "--alliance", "gibtsnicht", "--out", str(tmp_path / "x"),
        ],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--alliance" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists()

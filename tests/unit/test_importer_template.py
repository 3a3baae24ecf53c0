"""Long-format template: the shipped example, separators, periods, dimensions and every bad cell."""

from __future__ import annotations

from datetime import date
from importlib import resources

import polars as pl
import pytest

from dashboard.importers import FileFormatError, ImportFormat, ParsedImport, read_file
from dashboard.importers.model import INDICATOR_SCHEMA, OBSERVATION_SCHEMA, REGION_SCHEMA

HEADER = "region;indicator;period;value;unit;source"


def parse(*lines: str, encoding: str = "utf-8") -> ParsedImport:
    return read_file("\n".join(lines).encode(encoding), "eigene.csv")


def messages(error: pytest.ExceptionInfo[FileFormatError]) -> list[str]:
    return [issue.text("de") for issue in error.value.issues]


def test_shipped_example_template_imports() -> None:
    data = resources.files("dashboard.importers").joinpath("templates/langformat-vorlage.csv").read_bytes()
    parsed = read_file(data, "langformat-vorlage.csv")
    assert parsed.format is ImportFormat.TEMPLATE
    assert parsed.title == "langformat-vorlage.csv"
    assert dict(parsed.observations.schema) == OBSERVATION_SCHEMA
    assert dict(parsed.indicators.schema) == INDICATOR_SCHEMA
    assert dict(parsed.regions.schema) == REGION_SCHEMA
    assert parsed.observations.height == 7
    assert parsed.indicators.select("code", "name", "unit").rows() == [
        ("azubi_neu", "Neue Ausbildungsverträge", "Anzahl"),
        ("offene_stellen", "Gemeldete offene Stellen", "Anzahl"),
        ("fk_quote", "Fachkräftequote", "Prozent"),
    ]
    assert all("BEISPIELDATEN" in source for source in parsed.observations.get_column("source"))
    assert parsed.observations.get_column("dimensions").to_list()[:3] == ["", "sex=w", "sex=m"]
    missing = parsed.observations.filter(pl.col("region_ags") == "DG").row(0, named=True)
    assert (missing["value"], missing["missing_marker"]) == (None, ".")
    assert dict(parsed.regions.select("ags", "level").iter_rows()) == {"03153": "kreis", "03": "land", "DG": "bund"}


def test_periods_values_and_defaults() -> None:
    parsed = parse(
        HEADER,
        "03153;quote;2024;6,5;%;",
        "03153;quote;2023-Q2;6.1;%;Kreis Goslar",
        "03153;quote;2023-05;-0,5;%;Kreis Goslar",
        "03153;quote;31.12.2022;;%;Kreis Goslar",
        "03153;quote;2021-12-31;x;%;Kreis Goslar",
    )
    rows = parsed.observations.select("period_start", "period_end", "value", "missing_marker", "source").rows()
    assert rows == [
        (date(2024, 1, 1), date(2024, 12, 31), 6.5, None, "Eigene Daten"),
        (date(2023, 4, 1), date(2023, 6, 30), 6.1, None, "Kreis Goslar"),
        (date(2023, 5, 1), date(2023, 5, 31), -0.5, None, "Kreis Goslar"),
        (None, date(2022, 12, 31), None, None, "Kreis Goslar"),
        (None, date(2021, 12, 31), None, "x", "Kreis Goslar"),
    ]
    assert parsed.indicators.select("code", "name", "unit", "direction").rows() == [("quote", "quote", "%", "up")]


def test_comma_separator_latin1_and_dimensions_are_sorted() -> None:
    parsed = parse(
        "Region,Indicator,Period,Value,Dimensions,Name",
        '01001,arbeitslose,2024,"4,5","sex=w;alter=u25",Arbeitslose',
        encoding="latin-1",
    )
    row = parsed.observations.row(0, named=True)
    assert (row["value"], row["dimensions"]) == (4.5, "alter=u25;sex=w")
    assert parsed.indicators.row(0, named=True)["direction"] == "down"


def test_windows_line_endings_and_bom() -> None:
    data = b"\xef\xbb\xbf" + "\r\n".join([HEADER, "DG;x.1;2024;1;Anzahl;", ""]).encode("utf-8")
    parsed = read_file(data, "t.csv")
    assert parsed.observations.select("indicator_code", "region_ags", "line").rows() == [("x.1", "DG", 2)]


def test_every_bad_cell_names_line_and_column() -> None:
    with pytest.raises(FileFormatError) as error:
        parse(
            "region;indicator;period;value;unit;source;dimensions",
            "0315;ok;2024;1;;;",
            "03153;bad code!;2024;1;;;",
            "03153;ok;2024-13;1;;;",
            "03153;ok;2024;1.234,5;;;",
            "03153;ok;2024;1;;;sex",
            "03153;ok;2024;1;;",
        )
    assert messages(error) == [
        "Zeile 2, Spalte 1 (region): „0315“ ist kein Regionalschlüssel (erwartet: DG, 2-, 3-, 5- oder 8-stelliger "
        "Schlüssel).",
        "Zeile 3, Spalte 2 (indicator): „bad code!“ ist kein gültiger Indikatorcode (Buchstaben, Ziffern, _, -, .; "
        "höchstens 120 Zeichen).",
        "Zeile 4, Spalte 3 (period): „2024-13“ ist kein gültiger Zeitraum (erwartet: 2024, 31.12.2024, 2024-12-31, "
        "2024-Q2 oder 2024-06).",
        "Zeile 5, Spalte 4 (value): „1.234,5“ ist keine Zahl und kein Fehlwertzeichen (-, ., x, /, ...).",
        "Zeile 6, Spalte 7 (dimensions): „sex“ ist keine gültige Aufgliederung (erwartet: schluessel=wert;"
        "schluessel=wert oder leer).",
        "Zeile 7: Die Zeile hat 6 statt 7 Felder.",
    ]


def test_header_problems() -> None:
    with pytest.raises(FileFormatError) as error:
        read_file(b"region;indicator;period;value;farbe\n03153;a;2024;1;rot\n", "t.csv", format=ImportFormat.TEMPLATE)
    assert messages(error) == [
        "Zeile 1, Spalte 5 (farbe): Unbekannte Spalte; erlaubt sind region, indicator, period, value, unit, source, "
        "name, dimensions, region_name."
    ]
    with pytest.raises(FileFormatError) as error:
        read_file(b"region;indicator;value\n03153;a;1\n", "t.csv", format=ImportFormat.TEMPLATE)
    assert messages(error) == ["Zeile 1: Die Pflichtspalte „period“ fehlt in der Kopfzeile."]


def test_duplicate_and_unit_conflict() -> None:
    with pytest.raises(FileFormatError) as error:
        parse(HEADER, "03153;a;2024;1;Anzahl;", "03153;a;2024;2;Anzahl;")
    assert messages(error) == [
        "Zeile 3: Wert doppelt: a für Region 03153 mit gleichem Zeitraum und gleicher Aufgliederung steht schon in "
        "Zeile 2."
    ]
    with pytest.raises(FileFormatError) as error:
        parse(HEADER, "03153;a;2024;1;Anzahl;", "03153;a;2023;2;Prozent;")
    assert messages(error) == [
        "Zeile 3, Spalte 5 (unit): Indikator a hat hier die Einheit „Prozent“, weiter oben aber „Anzahl“."
    ]


def test_header_only_is_no_data() -> None:
    with pytest.raises(FileFormatError) as error:
        parse(HEADER)
    assert error.value.issues[0].key == "issue.no_data"


def test_the_template_keeps_the_decimal_point() -> None:
    parsed = parse(HEADER, "03153;quote;2024;1.234;%;", "03154;quote;2024;6,5;%;")
    assert parsed.observations.get_column("value").to_list() == [1.234, 6.5]


def test_spaces_inside_dimension_values_are_kept() -> None:
    parsed = parse(
        "region;indicator;period;value;dimensions",
        '03153;arbeitslose;2024;400;"altersgruppe = 15 bis unter 25 ; sex=w"',
    )
    assert parsed.observations.get_column("dimensions").to_list() == ["altersgruppe=15 bis unter 25;sex=w"]

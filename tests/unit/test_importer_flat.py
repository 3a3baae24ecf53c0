"""GENESIS flat-file CSV (ffcsv), 2024 format and the older German-header format, on synthetic files."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dashboard.importers import FileFormatError, ImportFormat, read_file
from dashboard.importers.model import INDICATOR_SCHEMA, OBSERVATION_SCHEMA, REGION_SCHEMA

NEW_HEADER = (
    "statistics_code;statistics_label;time_code;time_label;time;"
    "1_variable_code;1_variable_label;1_variable_attribute_code;1_variable_attribute_label;"
    "2_variable_code;2_variable_label;2_variable_attribute_code;2_variable_attribute_label;"
    "value;value_unit;value_variable_code;value_variable_label;value_q"
)
STAT = "13211;Arbeitsmarktstatistik der Bundesagentur für Arbeit;JAHR;Jahr"


def new_row(time: str, ags: str, name: str, sex: str, value: str, q: str = "e") -> str:
    sex_label = {"GESM": "männlich", "GESW": "weiblich", "": ""}[sex]
    return (
        f"{STAT};{time};KREISE;Kreise und kreisfreie Städte;{ags};{name};"
        f"GES;Geschlecht;{sex};{sex_label};{value};Anzahl;ERW032;Arbeitslose;{q}"
    )


def messages(error: pytest.ExceptionInfo[FileFormatError]) -> list[str]:
    return [issue.text("de") for issue in error.value.issues]


def test_new_format_with_region_and_sex() -> None:
    text = "\n".join(
        [
            NEW_HEADER,
            new_row("2020", "03153", "Goslar, Landkreis", "", "4044"),
            new_row("2020", "03153", "Goslar, Landkreis", "GESW", "1700,0"),
            new_row("2020", "03153", "Goslar, Landkreis", "GESM", "", q="."),
            new_row("2020", "DG", "Deutschland", "", "-"),
        ]
    )
    parsed = read_file(text.encode("utf-8"), "13211-0001_de_flat.csv")
    assert parsed.format is ImportFormat.GENESIS_FLAT
    assert dict(parsed.observations.schema) == OBSERVATION_SCHEMA
    assert dict(parsed.indicators.schema) == INDICATOR_SCHEMA
    assert dict(parsed.regions.schema) == REGION_SCHEMA
    assert parsed.observations.select("region_ags", "dimensions", "value", "missing_marker", "line").rows() == [
        ("03153", "", 4044.0, None, 2),
        ("03153", "sex=w", 1700.0, None, 3),
        ("03153", "sex=m", None, ".", 4),
        ("DG", "", None, "-", 5),
    ]
    assert set(parsed.observations.get_column("period_end")) == {date(2020, 12, 31)}
    assert parsed.indicators.select("code", "name", "unit", "direction", "description").rows() == [
        ("13211_arbeitslose_anzahl", "Arbeitslose", "Anzahl", "down", "ERW032")
    ]
    assert parsed.regions.select("ags", "name", "level", "kind").rows() == [
        ("03153", "Goslar", "kreis", "Landkreis"),
        ("DG", "Deutschland", "bund", None),
    ]
    assert parsed.table_code == "13211"
    assert "dl-de/by-2-0" in parsed.source


def test_new_format_stichtag_and_other_dimension() -> None:
    header = (
        "statistics_code;statistics_label;time_code;time_label;time;"
        "1_variable_code;1_variable_label;1_variable_attribute_code;1_variable_attribute_label;"
        "2_variable_code;2_variable_label;2_variable_attribute_code;2_variable_attribute_label;"
        "value;value_unit;value_variable_code;value_variable_label"
    )
    text = "\n".join(
        [
            header,
            "12411;Bevölkerung;STAG;Stichtag;31.12.2023;DLAND;Bundesländer;01;Schleswig-Holstein;"
            "ALTX20;Altersgruppen;ALT000B15;unter 15 Jahre;400000;Anzahl;BEVSTD;Bevölkerungsstand",
            "12411;Bevölkerung;STAG;Stichtag;2023-12-31;DLAND;Bundesländer;02;Hamburg;"
            "ALTX20;Altersgruppen;;Insgesamt;1900000;Anzahl;BEVSTD;Bevölkerungsstand",
        ]
    )
    parsed = read_file(text.encode("utf-8"), "flat.csv")
    assert parsed.observations.select("region_ags", "period_start", "period_end", "dimensions").rows() == [
        ("01", None, date(2023, 12, 31), "altx20=unter 15 Jahre"),
        ("02", None, date(2023, 12, 31), ""),
    ]
    assert parsed.regions.get_column("level").to_list() == ["land", "land"]


def test_old_format_with_measure_columns_and_quality_columns() -> None:
    text = "\n".join(
        [
            "Statistik_Code;Statistik_Label;Zeit_Code;Zeit_Label;Zeit;1_Merkmal_Code;1_Merkmal_Label;"
            "1_Auspraegung_Code;1_Auspraegung_Label;2_Merkmal_Code;2_Merkmal_Label;2_Auspraegung_Code;"
            "2_Auspraegung_Label;ERW032__Arbeitslose__Anzahl;ERW032__Arbeitslose__q;"
            "ERW133__Arbeitslosenquote_aller_zivilen_Erwerbspersonen__Prozent;"
            "ERW133__Arbeitslosenquote_aller_zivilen_Erwerbspersonen__q",
            "13211;Arbeitsmarktstatistik;JAHR;Jahr;2019;KREISE;Kreise;03153;Goslar, Landkreis;GES;Geschlecht;GESW;"
            "weiblich;1700;e;5,1;e",
            "13211;Arbeitsmarktstatistik;JAHR;Jahr;2019;KREISE;Kreise;03153;Goslar, Landkreis;GES;Geschlecht;;"
            ";4044;e;.;e",
        ]
    )
    parsed = read_file(text.encode("latin-1"), "13211_flat.csv")
    assert parsed.format is ImportFormat.GENESIS_FLAT
    assert parsed.indicators.select("code", "name", "unit").rows() == [
        ("13211_arbeitslose_anzahl", "Arbeitslose", "Anzahl"),
        (
            "13211_arbeitslosenquote_aller_zivilen_erwerbspersonen_prozent",
            "Arbeitslosenquote aller zivilen Erwerbspersonen",
            "Prozent",
        ),
    ]
    rows = parsed.observations.sort("indicator_code", "line").select(
        "indicator_code", "dimensions", "value", "missing_marker", "line"
    )
    assert rows.rows() == [
        ("13211_arbeitslose_anzahl", "sex=w", 1700.0, None, 2),
        ("13211_arbeitslose_anzahl", "", 4044.0, None, 3),
        ("13211_arbeitslosenquote_aller_zivilen_erwerbspersonen_prozent", "sex=w", 5.1, None, 2),
        ("13211_arbeitslosenquote_aller_zivilen_erwerbspersonen_prozent", "", None, ".", 3),
    ]


def test_bad_cells_name_line_and_column() -> None:
    text = "\n".join(
        [
            NEW_HEADER,
            new_row("2020", "03153", "Goslar", "", "4044"),
            new_row("2020", "0315", "Goslar", "GESW", "1"),
            new_row("20x0", "03153", "Goslar", "GESM", "1"),
            new_row("2020", "DG", "Deutschland", "", "viele"),
            "13211;zu kurz",
        ]
    )
    with pytest.raises(FileFormatError) as error:
        read_file(text.encode("utf-8"), "flat.csv")
    assert messages(error) == [
        "Zeile 3, Spalte 8 (1_variable_attribute_code): „0315“ ist kein Regionalschlüssel (erwartet: DG, 2-, 3-, 5- "
        "oder 8-stelliger Schlüssel).",
        "Zeile 4, Spalte 5 (time): „20x0“ ist kein gültiger Zeitraum (erwartet: 2024, 31.12.2024, 2024-12-31, "
        "2024-Q2 oder 2024-06).",
        "Zeile 5, Spalte 14 (value): „viele“ ist keine Zahl und kein Fehlwertzeichen (-, ., x, /, ...).",
        "Zeile 6: Die Zeile hat 2 statt 18 Felder.",
    ]


def test_duplicate_rows_are_refused() -> None:
    text = "\n".join([NEW_HEADER, new_row("2020", "03153", "Goslar", "", "1"), new_row("2020", "03153", "G", "", "2")])
    with pytest.raises(FileFormatError) as error:
        read_file(text.encode("utf-8"), "flat.csv")
    assert error.value.issues[0].key == "issue.duplicate_key"
    assert (error.value.issues[0].line, error.value.issues[0].params["first_line"]) == (3, 2)


def test_flat_file_without_region_variable_is_refused() -> None:
    text = "\n".join(
        [
            "statistics_code;time_code;time;1_variable_code;1_variable_attribute_code;1_variable_attribute_label;"
            "value;value_unit;value_variable_label",
            "61111;JAHR;2020;CC13A2;CC13-01;Nahrungsmittel;100,0;2020=100;Verbraucherpreisindex",
        ]
    )
    with pytest.raises(FileFormatError) as error:
        read_file(text.encode("utf-8"), "flat.csv")
    assert error.value.issues[0].key == "issue.no_region_column"
    assert pl.Series(messages(error)).str.contains("Regionalschlüssel").all()


def test_thousands_dots_group_and_a_decimal_point_is_an_issue() -> None:
    text = "\n".join(
        [
            NEW_HEADER,
            new_row("2020", "03153", "Goslar", "", "136.000"),
            new_row("2020", "DG", "Deutschland", "", "83.166.711,5"),
        ]
    )
    parsed = read_file(text.encode("utf-8"), "flat.csv")
    assert parsed.observations.get_column("value").to_list() == [136000.0, 83166711.5]
    bad = "\n".join([NEW_HEADER, new_row("2020", "03153", "Goslar", "", "4.5")])
    with pytest.raises(FileFormatError) as error:
        read_file(bad.encode("utf-8"), "flat.csv")
    assert [(issue.key, issue.line, issue.column) for issue in error.value.issues] == [
        ("issue.dot_in_number", 2, "14 (value)")
    ]


def test_alle_is_a_total_like_insgesamt() -> None:
    text = "\n".join(
        [
            NEW_HEADER,
            f"{STAT};2020;KREISE;Kreise;03153;Goslar;ALTX20;Alter;ALT-ALLE;alle;4044;Anzahl;ERW032;Arbeitslose;e",
            f"{STAT};2020;KREISE;Kreise;03153;Goslar;ALTX20;Alter;ALT-U25;unter 25;400;Anzahl;ERW032;Arbeitslose;e",
        ]
    )
    parsed = read_file(text.encode("utf-8"), "flat.csv")
    assert parsed.observations.get_column("dimensions").to_list() == ["", "altx20=unter 25"]

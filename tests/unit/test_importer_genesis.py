"""GENESIS table CSV: the real Regionalstatistik exports, synthetic layout variants and bad input."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from dashboard.importers import FileFormatError, ImportFormat, ParsedImport, read_file
from dashboard.importers.model import INDICATOR_SCHEMA, OBSERVATION_SCHEMA, REGION_SCHEMA

REAL_DATA = Path(__file__).resolve().parents[3] / "shared" / "real-data" / "regionalstatistik"
QUOTE_ALL = "13211_arbeitslosenquote_bez_auf_alle_zivile_erwerbsp_prozent"


@cache
def real(name: str) -> ParsedImport:
    return read_file((REAL_DATA / name).read_bytes(), name)


def cell(parsed: ParsedImport, *, code: str, ags: str, end: date, dimensions: str = "") -> dict[str, object]:
    rows = parsed.observations.filter(
        (pl.col("indicator_code") == code)
        & (pl.col("region_ags") == ags)
        & (pl.col("period_end") == end)
        & (pl.col("dimensions") == dimensions)
    )
    assert rows.height == 1, rows
    return rows.row(0, named=True)


def messages(error: pytest.ExceptionInfo[FileFormatError]) -> list[str]:
    return [issue.text("de") for issue in error.value.issues]


def genesis(*lines: str, newline: str = "\n") -> bytes:
    return newline.join(lines).encode("latin-1")


# --- the real exports -------------------------------------------------------------------------------------------


def test_13211_frames_follow_the_contract() -> None:
    parsed = real("13211-02-05-4.csv")
    assert parsed.format is ImportFormat.GENESIS_TABLE
    assert parsed.table_code == "13211-02-05-4"
    assert parsed.title.startswith("Arbeitslose nach ausgewählten Personengruppen")
    assert dict(parsed.indicators.schema) == INDICATOR_SCHEMA
    assert dict(parsed.regions.schema) == REGION_SCHEMA
    assert dict(parsed.observations.schema) == OBSERVATION_SCHEMA


def test_13211_cells_equal_the_source() -> None:
    parsed = real("13211-02-05-4.csv")
    y2019, y2020 = date(2019, 12, 31), date(2020, 12, 31)
    goslar = cell(parsed, code="13211_arbeitslose_anzahl", ags="03153", end=y2019)
    assert goslar["value"] == 4044
    assert goslar["period_start"] == date(2019, 1, 1)
    assert goslar["line"] == 572
    # In the file, 6,5 stands under "bez. abh. zivile Erwerbspers." and 5,9 under "bez. auf alle zivile Erwerbsp.".
    dependent = "13211_arbeitslosenquote_bez_abh_zivile_erwerbspers_prozent"
    assert cell(parsed, code=dependent, ags="03153", end=y2019)["value"] == 6.5
    assert cell(parsed, code=QUOTE_ALL, ags="03153", end=y2019)["value"] == 5.9
    assert cell(parsed, code="13211_arbeitslose_anzahl", ags="DG", end=y2020)["value"] == 2695444
    assert cell(parsed, code="13211_arbeitslose_auslaender_anzahl", ags="01", end=y2020)["value"] == 21506
    flensburg_women = "13211_arbeitslosenquote_bez_auf_alle_zivile_erwerbsp_frauen_prozent"
    assert cell(parsed, code=flensburg_women, ags="01001", end=y2020)["value"] == 7.7
    assert (
        cell(parsed, code="13211_arbeitslose_langzeitarbeitslos_anzahl", ags="16077", end=date(2015, 12, 31))["value"]
        == 2088
    )
    assert cell(parsed, code=QUOTE_ALL, ags="16077", end=date(2015, 12, 31))["value"] == 10.4
    assert cell(parsed, code="13211_arbeitslose_anzahl", ags="03241001", end=y2020)["value"] == 27281


def test_13211_missing_markers_come_through_as_null_with_their_marker() -> None:
    parsed = real("13211-02-05-4.csv")
    y2020 = date(2020, 12, 31)
    dependent = "13211_arbeitslosenquote_bez_abh_zivile_erwerbspers_prozent"
    braunschweig = cell(parsed, code=dependent, ags="031", end=y2020)
    assert braunschweig["value"] is None
    assert braunschweig["missing_marker"] == "."
    for dissolved in ("03152", "03156"):
        row = cell(parsed, code="13211_arbeitslose_anzahl", ags=dissolved, end=y2020)
        assert (row["value"], row["missing_marker"]) == (None, "-")
    assert cell(parsed, code="13211_arbeitslose_anzahl", ags="031", end=y2020)["missing_marker"] is None
    markers = parsed.observations.get_column("missing_marker").drop_nulls().unique().sort().to_list()
    assert markers == ["-", ".", "x"]


def test_13211_footnotes_are_not_data() -> None:
    parsed = real("13211-02-05-4.csv")
    data_lines = 3236 - 8  # lines 9 .. 3236, then the "____" line and the footnotes
    assert parsed.observations.height == data_lines * 13
    assert parsed.observations.get_column("line").max() == 3236
    assert parsed.skipped_lines == 3280 - data_lines
    assert parsed.regions.height == 538
    footnotes = next(note for note in parsed.notes if note.key == "note.footnotes_skipped")
    assert footnotes.line == 3237
    assert footnotes.params["count"] == 44


def test_13211_indicators_names_units_and_codes() -> None:
    indicators = real("13211-02-05-4.csv").indicators
    assert indicators.height == 13
    by_code = {row["code"]: row for row in indicators.iter_rows(named=True)}
    assert by_code["13211_arbeitslose_auslaender_anzahl"]["name"] == "Arbeitslose – Ausländer"
    assert by_code["13211_arbeitslose_auslaender_anzahl"]["unit"] == "Anzahl"
    assert by_code[QUOTE_ALL]["name"] == "Arbeitslosenquote bez. auf alle zivile Erwerbsp."
    assert by_code[QUOTE_ALL]["unit"] == "Prozent"
    men = by_code["13211_arbeitslosenquote_bez_auf_alle_zivile_erwerbsp_maenner_prozent"]
    assert men["name"] == "Arbeitslosenquote bez. auf alle zivile Erwerbsp. – Männer"
    assert set(indicators.get_column("unit")) == {"Anzahl", "Prozent"}
    assert set(indicators.get_column("direction")) == {"down"}
    assert real("13211-02-05-4.csv").observations.get_column("dimensions").unique().to_list() == [""]


def test_13211_source_names_stand_copyright_and_licence() -> None:
    source = real("13211-02-05-4.csv").source
    assert source.startswith("Regionalstatistik 13211-02-05-4, Stand 17.08.2021; © Statistische Ämter")
    assert "dl-de/by-2-0" in source
    assert "Quelle: Arbeitsmarktstatistik der Bundesagentur für Arbeit (BA)" in source


def test_13211_region_levels_names_and_kinds() -> None:
    regions = real("13211-02-05-4.csv").regions
    by_ags = {row["ags"]: row for row in regions.iter_rows(named=True)}
    assert by_ags["DG"] == {"ags": "DG", "name": "Deutschland", "level": "bund", "kind": None, "land": None}
    assert by_ags["01"]["level"] == "land"
    assert by_ags["01"]["name"] == "Schleswig-Holstein"
    assert by_ags["031"] == {
        "ags": "031",
        "name": "Braunschweig",
        "level": "regierungsbezirk",
        "kind": "Statistische Region",
        "land": "Niedersachsen",
    }
    assert by_ags["01002"]["name"] == "Kiel"
    assert by_ags["01002"]["kind"] == "Kreisfreie Stadt"
    assert by_ags["03153"]["name"] == "Goslar"
    assert by_ags["03153"]["kind"] == "Landkreis"
    assert by_ags["16077"]["land"] == "Thüringen"
    assert by_ags["03241001"]["level"] == "gemeinde"
    assert by_ags["03241001"]["name"] == "Hannover"
    counts = dict(regions.group_by("level").len().iter_rows())
    assert counts == {"bund": 1, "land": 16, "regierungsbezirk": 35, "kreis": 471, "gemeinde": 15}


def test_22411_sex_dimension_and_insgesamt_as_total() -> None:
    parsed = real("22411-02-03-4.csv")
    stichtag = date(2019, 12, 31)
    code = "22411_pflegebeduerftige_anzahl"
    men = cell(parsed, code=code, ags="DG", end=stichtag, dimensions="sex=m")
    assert men["value"] == 1555497
    assert men["period_start"] is None
    assert cell(parsed, code=code, ags="DG", end=stichtag, dimensions="sex=w")["value"] == 2572108
    assert cell(parsed, code=code, ags="DG", end=stichtag)["value"] == 4127605
    gotha = cell(parsed, code="22411_pflegegeldempfaenger_anzahl", ags="16067", end=date(2015, 12, 31))
    assert gotha["value"] == 2709
    assert set(parsed.observations.get_column("dimensions")) == {"", "sex=m", "sex=w"}
    assert parsed.observations.height == (4847 - 5) * 9
    assert parsed.indicators.height == 9
    assert set(parsed.indicators.get_column("direction")) == {"up"}
    assert cell(parsed, code=code, ags="01", end=stichtag, dimensions="sex=w")["line"] == 10
    alltag = cell(parsed, code="22411_mit_erheblich_eingeschraenkter_alltagskompetenz_anzahl", ags="DG", end=stichtag)
    assert (alltag["value"], alltag["missing_marker"]) == (None, "-")


# --- synthetic layout variants ----------------------------------------------------------------------------------

TITLE = ("GENESIS-Tabelle: 12411-01-01-4", "Bevölkerung nach Geschlecht - Stichtag 31.12. - regionale Tiefe: Kreise;;;")
FOOTER = ("__________", '"© Statistische Ämter des Bundes und der Länder, Deutschland, 2024.', 'Version 2.0."')


def test_utf8_with_bom_and_windows_line_endings() -> None:
    text = "\r\n".join(
        (
            *TITLE,
            ";;;Bevölkerung",
            ";;;Anzahl",
            "2023;01001;  Flensburg, kreisfreie Stadt;92550",
            "2023;09162;  München, Landeshauptstadt, kreisfreie Stadt;1510378",
            *FOOTER,
        )
    )
    parsed = read_file(b"\xef\xbb\xbf" + text.encode("utf-8"), "b.csv")
    assert parsed.table_code == "12411-01-01-4"
    assert parsed.indicators.rows() == [
        ("12411_bevoelkerung_anzahl", "Bevölkerung", "Anzahl", "up", parsed.source, parsed.title)
    ]
    regions = dict(parsed.regions.select("ags", "name").iter_rows())
    assert regions == {"01001": "Flensburg", "09162": "München"}
    assert parsed.observations.get_column("value").to_list() == [92550, 1510378]
    assert parsed.observations.get_column("line").to_list() == [5, 6]


def test_one_header_row_without_unit() -> None:
    parsed = read_file(
        genesis(*TITLE, ";;;Arbeitslose;Quote", "2020;03153;Goslar, Landkreis;4044;6,5", *FOOTER), "x.csv"
    )
    assert parsed.indicators.select("code", "name", "unit").rows() == [
        ("12411_arbeitslose", "Arbeitslose", ""),
        ("12411_quote", "Quote", ""),
    ]
    assert parsed.observations.get_column("value").to_list() == [4044, 6.5]


def test_four_header_rows_and_merged_top_row() -> None:
    parsed = read_file(
        genesis(
            *TITLE,
            ";;;Beschäftigte;;;Betriebe",
            ";;;am Arbeitsort;;am Wohnort;",
            ";;;;Frauen;Frauen;",
            ";;;Anzahl;Anzahl;Anzahl;Tsd. EUR",
            "2022;05111;Düsseldorf, krfr. Stadt;1;2;3;4,5",
            *FOOTER,
        ),
        "x.csv",
    )
    assert parsed.indicators.select("name", "unit").rows() == [
        ("Beschäftigte – am Arbeitsort", "Anzahl"),
        ("Beschäftigte – Frauen", "Anzahl"),
        ("Beschäftigte – am Wohnort – Frauen", "Anzahl"),
        ("Betriebe", "Tsd. EUR"),
    ]
    assert parsed.indicators.get_column("code").to_list()[-1] == "12411_betriebe_tsd_eur"
    assert parsed.regions.row(0, named=True)["kind"] == "Kreisfreie Stadt"


def test_time_in_the_title_block() -> None:
    parsed = read_file(
        genesis(
            "GENESIS-Tabelle: 22411-01-01-4",
            "Pflegebedürftige - regionale Tiefe: Kreise;;",
            "Stichtag: 30.06.2020;;",
            ";;Pflegebedürftige",
            ";;Anzahl",
            "01001;Flensburg, kreisfreie Stadt;3951",
            "01002;Kiel, kreisfreie Stadt;9000",
            *FOOTER,
        ),
        "x.csv",
    )
    assert set(parsed.observations.get_column("period_end")) == {date(2020, 6, 30)}
    assert parsed.observations.get_column("period_start").null_count() == 2
    assert any(note.key == "note.time_from_title" for note in parsed.notes)


def test_years_in_a_header_row_put_time_into_the_columns() -> None:
    parsed = read_file(
        genesis(
            "GENESIS-Tabelle: 12411-02-02-4",
            "Bevölkerungsstand;;;",
            ";;Bevölkerung;;",
            ";;2021;2022;2023",
            ";;Personen;Personen;Personen",
            "01001;Flensburg;90164;91000;92550",
            "DG;Deutschland;83155031;84358845;84669326",
            *FOOTER,
        ),
        "x.csv",
    )
    assert parsed.indicators.select("code", "name", "unit").rows() == [
        ("12411_bevoelkerung_personen", "Bevölkerung", "Personen")
    ]
    flensburg = parsed.observations.filter(pl.col("region_ags") == "01001").sort("period_end")
    assert flensburg.select("period_start", "period_end", "value").rows() == [
        (date(2021, 1, 1), date(2021, 12, 31), 90164),
        (date(2022, 1, 1), date(2022, 12, 31), 91000),
        (date(2023, 1, 1), date(2023, 12, 31), 92550),
    ]


def test_two_dimension_columns() -> None:
    parsed = read_file(
        genesis(
            *TITLE,
            ";;;;;Beschäftigte",
            ";;;;;Anzahl",
            "2020;01001;Flensburg;männlich;Land- und Forstwirtschaft;10",
            "2020;01001;Flensburg;weiblich;Land- und Forstwirtschaft;12",
            "2020;01001;Flensburg;Insgesamt;Land- und Forstwirtschaft;22",
            "2020;01001;Flensburg;Insgesamt;Insgesamt;500",
            '2020;01001;Flensburg;Frauen;"Handel; Verkehr = Lager";7',
            *FOOTER,
        ),
        "x.csv",
    )
    assert parsed.observations.get_column("dimensions").to_list() == [
        "merkmal2=Land- und Forstwirtschaft;sex=m",
        "merkmal2=Land- und Forstwirtschaft;sex=w",
        "merkmal2=Land- und Forstwirtschaft",
        "",
        "merkmal2=Handel, Verkehr - Lager;sex=w",
    ]


def test_without_separator_the_data_ends_at_the_first_record_of_another_shape() -> None:
    parsed = read_file(
        genesis(
            *TITLE,
            ";;;Arbeitslose",
            ";;;Anzahl",
            "2020;03153;Goslar, Landkreis;4044",
            "2020;03154;Helmstedt, Landkreis;2000",
            '"Fußnote: Daten der BA;',
            'zweite Zeile"',
            "Stand: 01.02.2024 / 10:00:00",
        ),
        "x.csv",
    )
    assert parsed.observations.height == 2
    assert parsed.skipped_lines == 7
    assert "Stand 01.02.2024" in parsed.source


def test_a_trailing_separator_adds_no_indicator() -> None:
    parsed = read_file(genesis(*TITLE, ";;;Arbeitslose;", ";;;Anzahl;", "2020;03153;Goslar;4044;", *FOOTER), "x.csv")
    assert parsed.indicators.get_column("code").to_list() == ["12411_arbeitslose_anzahl"]
    assert parsed.observations.height == 1


def test_parenthesised_value_is_kept_with_its_marker_and_dates_in_iso() -> None:
    parsed = read_file(
        genesis(*TITLE, ";;;Quote", ";;;%", "2020-06-30;01001;Flensburg;(12,3)", "2020-06-30;01002;Kiel;-4,5"),
        "x.csv",
    )
    assert parsed.observations.select("period_end", "value", "missing_marker").rows() == [
        (date(2020, 6, 30), 12.3, "()"),
        (date(2020, 6, 30), -4.5, None),
    ]


# --- bad input --------------------------------------------------------------------------------------------------


def test_unknown_region_key_names_line_and_column() -> None:
    with pytest.raises(FileFormatError) as error:
        read_file(genesis(*TITLE, ";;;Arbeitslose", ";;;Anzahl", "2020;03153;Goslar;4044", "2020;0315;Gos;1"), "x.csv")
    assert messages(error) == [
        "Zeile 6, Spalte 2: „0315“ ist kein Regionalschlüssel (erwartet: DG, 2-, 3-, 5- oder 8-stelliger Schlüssel)."
    ]


def test_non_number_value_names_line_column_and_header() -> None:
    with pytest.raises(FileFormatError) as error:
        read_file(
            genesis(*TITLE, ";;;Arbeitslose;Quote", ";;;Anzahl;%", "2020;03153;Goslar;4044;6,5", "2020;03154;H;12a;1"),
            "x.csv",
        )
    assert messages(error) == [
        "Zeile 6, Spalte 4 (Arbeitslose): „12a“ ist keine Zahl und kein Fehlwertzeichen (-, ., x, /, ...)."
    ]
    assert error.value.issues[0].key == "issue.not_a_number"


def test_wrong_field_count_names_the_line() -> None:
    with pytest.raises(FileFormatError) as error:
        read_file(
            genesis(*TITLE, ";;;Arbeitslose", ";;;Anzahl", "2020;03153;Goslar;4044", "2020;03154;4", *FOOTER), "x.csv"
        )
    assert messages(error) == ["Zeile 6: Die Zeile hat 3 statt 4 Felder."]


def test_no_time_anywhere_is_an_error() -> None:
    with pytest.raises(FileFormatError) as error:
        read_file(genesis("Bevölkerung;;", ";;Bevölkerung", ";;Anzahl", "01001;Flensburg;92550"), "x.csv")
    assert error.value.issues[0].key == "issue.no_time"
    assert "Keine Zeitangabe gefunden" in messages(error)[0]


def test_duplicate_key_names_both_lines() -> None:
    with pytest.raises(FileFormatError) as error:
        read_file(
            genesis(*TITLE, ";;;Arbeitslose", ";;;Anzahl", "2020;03153;Goslar;4044", "2020;03153;Goslar;4045"), "x.csv"
        )
    assert messages(error) == [
        "Zeile 6: Wert doppelt: 12411_arbeitslose_anzahl für Region 03153 mit gleichem Zeitraum und gleicher "
        "Aufgliederung steht schon in Zeile 5."
    ]


def test_many_problems_are_capped() -> None:
    rows = [f"2020;03153;Goslar;x{i}" for i in range(40)]
    with pytest.raises(FileFormatError) as error:
        read_file(genesis(*TITLE, ";;;Arbeitslose", ";;;Anzahl", *rows), "x.csv")
    assert len(error.value.issues) == 21
    assert messages(error)[-1] == "… und 20 weitere Probleme."
    assert error.value.issues[0].line == 5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Die Datei ist leer."),
        (b"  \n\n", "Die Datei ist leer."),
        (b"PK\x03\x04\x14\x00\x06\x00", "Die Datei ist keine CSV-Textdatei"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "Die Datei ist keine CSV-Textdatei"),
        (bytes(range(256)) * 4, "Die Datei ist keine CSV-Textdatei"),
    ],
)
def test_empty_and_binary_files_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(FileFormatError) as error:
        read_file(data, "upload.csv")
    assert messages(error)[0].startswith(message)
    assert len(error.value.issues) == 1


def test_english_messages() -> None:
    with pytest.raises(FileFormatError) as error:
        read_file(genesis(*TITLE, ";;;Arbeitslose", ";;;Anzahl", "2020;ABC;Goslar;4044", "2020;01;SH;1", *FOOTER), "x")
    assert error.value.issues[0].text("en") == (
        "Line 5, column 2: “ABC” is not a region key (expected DG or a key of 2, 3, 5 or 8 digits)."
    )


# --- review fixes -----------------------------------------------------------------------------------------------


def test_thousands_dots_are_grouping_and_only_the_comma_is_decimal() -> None:
    parsed = read_file(
        genesis(
            *TITLE,
            ";;;Einwohner;Quote",
            "2019;03153;Goslar;136.000;6,5",
            "2019;03154;Helmstedt;83.166.711;1.234,5",
            "2019;03155;Northeim;(1.200,5);.",
        ),
        "x.csv",
    )
    assert parsed.observations.sort("line").select("value", "missing_marker").rows() == [
        (136000.0, None),
        (6.5, None),
        (83166711.0, None),
        (1234.5, None),
        (1200.5, "()"),
        (None, "."),
    ]


def test_a_decimal_point_is_an_issue_with_line_and_column() -> None:
    with pytest.raises(FileFormatError) as error:
        read_file(genesis(*TITLE, ";;;Einwohner;Quote", "2019;03153;Goslar;136.000;6.5", "2019;03154;H;1.23.4;1"), "x")
    assert [(issue.key, issue.line, issue.column) for issue in error.value.issues] == [
        ("issue.dot_in_number", 4, "5 (Quote)"),
        ("issue.dot_in_number", 5, "4 (Einwohner)"),
    ]
    assert messages(error)[0].startswith(
        "Zeile 4, Spalte 5 (Quote): „6.5“: Ein Punkt ist hier kein Dezimaltrennzeichen."
    )


def test_a_cut_off_last_row_without_separator_is_reported_not_taken_for_a_footnote() -> None:
    with pytest.raises(FileFormatError) as error:
        read_file(
            genesis(
                *TITLE,
                ";;;Arbeitslose;Quote",
                "2019;03153;Goslar, Landkreis;4044;6,5",
                "2019;03154;Helmstedt, Landkreis;2000;5,0",
                "2019;03159;Göttingen, Landkreis;5000",
            ),
            "x.csv",
        )
    assert messages(error) == ["Zeile 6: Die Zeile hat 4 statt 5 Felder."]


def test_footnotes_without_separator_are_still_footnotes() -> None:
    parsed = read_file(
        genesis(*TITLE, ";;;Arbeitslose;Quote", "2019;03153;Goslar;4044;6,5", "Fußnote: vorläufig;", "Stand: 2024"),
        "x.csv",
    )
    assert parsed.observations.height == 2
    assert [note.key for note in parsed.notes] == ["note.footnotes_skipped"]


def test_labelled_key_column_header_row() -> None:
    parsed = read_file(
        genesis(
            "GENESIS-Tabelle: 13211-02-05-4",
            "Arbeitslose - Jahresdurchschnitt;;;;;",
            "Jahr;Schlüssel;Kreise;Altersgruppe;Arbeitslose;Arbeitslosenquote",
            ";;;;Anzahl;Prozent",
            "2019;03153;Goslar, Landkreis;15 bis unter 25;400;5,1",
            "2019;03153;Goslar, Landkreis;Insgesamt;4044;6,5",
        ),
        "x.csv",
    )
    assert parsed.title == "Arbeitslose - Jahresdurchschnitt"
    assert parsed.indicators.select("code", "name", "unit").rows() == [
        ("13211_arbeitslose_anzahl", "Arbeitslose", "Anzahl"),
        ("13211_arbeitslosenquote_prozent", "Arbeitslosenquote", "Prozent"),
    ]
    assert parsed.observations.get_column("dimensions").unique(maintain_order=True).to_list() == [
        "altersgruppe=15 bis unter 25",
        "",
    ]
    assert parsed.regions.select("ags", "name").rows() == [("03153", "Goslar")]


def test_labelled_header_row_alone_without_units_row() -> None:
    parsed = read_file(
        genesis(
            *TITLE,
            "Jahr;Schlüssel;Kreise;Arbeitslose;Arbeitslosenquote",
            "2019;03153;Goslar, Landkreis;4044;6,5",
            "2019;03154;Helmstedt, Landkreis;2000;5,0",
        ),
        "x.csv",
    )
    assert parsed.indicators.get_column("name").to_list() == ["Arbeitslose", "Arbeitslosenquote"]
    assert parsed.observations.get_column("value").to_list() == [4044, 2000, 6.5, 5.0]
    assert parsed.observations.get_column("dimensions").unique().to_list() == [""]


def test_region_name_left_of_the_key() -> None:
    parsed = read_file(
        genesis(*TITLE, ";;;Arbeitslose", ";;;Anzahl", "2019;Goslar, Landkreis;03153;4044", "2019;Kiel;01002;9"),
        "x.csv",
    )
    assert parsed.observations.get_column("dimensions").unique().to_list() == [""]
    assert parsed.regions.select("ags", "name", "kind").rows() == [
        ("03153", "Goslar", "Landkreis"),
        ("01002", "Kiel", None),
    ]


def test_a_sex_row_above_a_period_row_is_forward_filled() -> None:
    parsed = read_file(
        genesis(
            "GENESIS-Tabelle: 12411-02-02-4",
            "Bevölkerungsstand;;;;",
            ";;Bevölkerung;;;",
            ";;männlich;;weiblich;",
            ";;2022;2023;2022;2023",
            "01001;Flensburg;45000;46000;47000;48000",
        ),
        "x.csv",
    )
    men, women = "12411_bevoelkerung_maennlich", "12411_bevoelkerung_weiblich"
    assert parsed.indicators.get_column("code").to_list() == [men, women]
    assert parsed.observations.select("indicator_code", "period_end", "value").rows() == [
        (men, date(2022, 12, 31), 45000),
        (men, date(2023, 12, 31), 46000),
        (women, date(2022, 12, 31), 47000),
        (women, date(2023, 12, 31), 48000),
    ]


def test_two_value_columns_with_the_same_indicator_are_named() -> None:
    with pytest.raises(FileFormatError) as error:
        read_file(genesis(*TITLE, ";;;Arbeitslose;Arbeitslose", ";;;Anzahl;Anzahl", "2019;03153;Goslar;4;5"), "x")
    assert [issue.key for issue in error.value.issues] == ["issue.duplicate_column"]
    assert messages(error) == [
        "Zeile 3: Die Spalten 4 (Arbeitslose) und 5 (Arbeitslose) ergeben denselben Indikator "
        "„12411_arbeitslose_anzahl“. Bitte die Kopfzeilen so beschriften, dass jede Wertespalte eindeutig benannt ist."
    ]


def test_windows_1252_ellipsis_is_a_missing_marker() -> None:
    data = "\n".join((*TITLE, ";;;Arbeitslose", "2019;03153;Göttingen;…", "2019;03154;Helmstedt;12")).encode("cp1252")
    assert b"\x85" in data
    parsed = read_file(data, "x.csv")
    assert parsed.observations.select("value", "missing_marker").rows() == [(None, "..."), (12.0, None)]
    assert parsed.regions.get_column("name").to_list() == ["Göttingen", "Helmstedt"]


def test_counts_in_messages_use_the_language_number_format() -> None:
    rows = [f"2019;03153;Goslar;x{i}" for i in range(1_030)]
    with pytest.raises(FileFormatError) as error:
        read_file(genesis(*TITLE, ";;;Arbeitslose", *rows), "x.csv")
    assert error.value.issues[-1].text("de") == "… und 1.010 weitere Probleme."
    assert error.value.issues[-1].text("en") == "… and 1,010 more problems."
    rows = [f"{year};03153;Goslar;-" for year in range(1001, 3000)]
    parsed = read_file(genesis(*TITLE, ";;;Arbeitslose", *rows), "x.csv")
    note = next(note for note in parsed.notes if note.key == "note.missing_values")
    assert note.text("de") == "1.999 Werte fehlen (Fehlwertzeichen oder leere Zelle)."

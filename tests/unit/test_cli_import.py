"""`cockpit import`: plan in German, progress on stderr, idempotent writes, bad files rejected with every issue."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from dashboard import cli
from dashboard.data_access import migrations
from dashboard.data_access.db import make_engine
from dashboard.data_access.models import Indicator, Observation, Region
from dashboard.importers import read_file

REAL_FILE = Path(__file__).resolve().parents[3] / "shared" / "real-data" / "regionalstatistik" / "13211-02-05-4.csv"
TEMPLATE = Path(__file__).resolve().parents[2] / "dashboard" / "importers" / "templates" / "langformat-vorlage.csv"
HEADER = "region;indicator;name;period;dimensions;value;unit;source\n"


@pytest.fixture
def database(empty_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated database on each backend that the CLI reaches through COCKPIT_DATABASE_URL."""
    for name in [name for name in os.environ if name.startswith("COCKPIT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("COCKPIT_DATABASE_URL", empty_url)
    engine = make_engine(empty_url)
    migrations.upgrade(engine)
    yield engine
    engine.dispose()


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            model.__name__: connection.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Region, Indicator, Observation)
        }


def test_import_genesis_prints_the_plan_writes_once_and_then_has_nothing_to_do(
    database: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    parsed = read_file(REAL_FILE.read_bytes(), REAL_FILE.name)
    rows = parsed.observations.height
    total = f"{rows:,}".replace(",", ".")
    code = cli.main(["import", "genesis", str(REAL_FILE)])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Datei: 13211-02-05-4.csv – GENESIS-Tabelle"
    assert lines[1].startswith("Tabelle: 13211-02-05-4 – Arbeitslose nach ausgewählten Personengruppen")
    assert f"Werte: {total} neu, 0 geändert, 0 unverändert" in lines
    assert "Zeitraum: 31.12.2015 bis 31.12.2020" in lines
    assert f"Neue Indikatoren ({parsed.indicators.height}):" in lines
    assert "  13211_arbeitslose_anzahl: Arbeitslose [Anzahl]" in lines
    assert lines[-1] == (
        f"Importiert: {total} neue und 0 geänderte Werte, 0 unverändert; "
        f"{parsed.indicators.height} neue Indikatoren, {parsed.regions.height} neue Regionen."
    )
    # Progress goes to stderr (one line per step when stderr is not a terminal) and ends at 100 %.
    progress = err.splitlines()
    assert progress[0].endswith("Regionen und Indikatoren werden angelegt …")
    assert progress[1].endswith(f"Werte geschrieben: 5.000 von {total}")
    assert progress[-1].strip() == "100\xa0%  Import abgeschlossen."
    assert counts(database) == {
        "Region": parsed.regions.height,
        "Indicator": parsed.indicators.height,
        "Observation": rows,
    }

    code = cli.main(["import", str(REAL_FILE)])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert f"Werte: 0 neu, 0 geändert, {total} unverändert" in out.splitlines()
    assert out.splitlines()[-1] == "Nichts zu tun: Die Datei ist bereits vollständig importiert."


def test_dry_run_shows_the_plan_and_writes_nothing(database: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["import", str(TEMPLATE), "--dry-run"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.splitlines()[0] == "Datei: langformat-vorlage.csv – Vorlage"
    assert "Werte: 7 neu, 0 geändert, 0 unverändert" in out
    assert "Regionen: 1 Bund, 1 Länder, 1 Kreise; davon neu: 3" in out
    assert out.splitlines()[-1] == "Probelauf (--dry-run): nichts gespeichert."
    assert err == ""
    assert counts(database) == {"Region": 0, "Indicator": 0, "Observation": 0}


def test_format_words_and_option_choose_the_reader(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "eigene-zahlen.csv"
    copy.write_bytes(TEMPLATE.read_bytes())
    assert cli.main(["import", "template", str(copy)]) == 0
    assert "Datei: eigene-zahlen.csv – Vorlage" in capsys.readouterr().out
    assert counts(database)["Observation"] == 7
    # Read as a GENESIS table, the template is not a valid file: the reader's issues, exit code 2.
    assert cli.main(["import", str(copy), "--format", "genesis"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[0] == "Die Datei eigene-zahlen.csv kann nicht importiert werden (nichts gespeichert):"


def test_a_bad_file_lists_every_issue_on_its_own_line_and_writes_nothing(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "kaputt.csv"
    bad.write_text(
        HEADER + "03153;azubi;Azubis;2024;;abc;Anzahl;Test\n0315;azubi;Azubis;2025;;7;Anzahl;Test\n", encoding="utf-8"
    )
    code = cli.main(["import", "template", str(bad)])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == "Die Datei kaputt.csv kann nicht importiert werden (nichts gespeichert):"
    assert len(lines) == 3
    assert lines[1].startswith("Zeile 2, Spalte 6 (value): „abc“")
    assert lines[2].startswith("Zeile 3, Spalte 1 (region): „0315“")
    assert "Traceback" not in err
    assert counts(database) == {"Region": 0, "Indicator": 0, "Observation": 0}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["genesis"], "import: erwartet `cockpit import [FORMAT] DATEI`"),
        (["genesis", "a.csv", "b.csv"], "import: erwartet `cockpit import [FORMAT] DATEI`"),
        (["ffcsv", "a.csv", "--format", "genesis"], "--format: Format doppelt angegeben: ffcsv und --format genesis"),
        (["/nicht/da.csv"], "/nicht/da.csv: Datei kann nicht gelesen werden"),
    ],
)
def test_command_line_mistakes_are_one_german_line(
    database: Engine, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    code = cli.main(["import", *args])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.splitlines() == [err.strip()] and err.startswith(f"Konfigurationsfehler – {expected}")
    assert counts(database) == {"Region": 0, "Indicator": 0, "Observation": 0}

"""AppTest of „Daten importieren“: upload, German preview, one confirmed import, bad files and permissions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import col
from streamlit.testing.v1 import AppTest

from dashboard.data_access import migrations
from dashboard.data_access.db import make_engine
from dashboard.data_access.models import Indicator, Member, Observation, Region
from dashboard.data_access.scope import Role
from dashboard.importers import read_file
from seeds.loader import seed_demo

PAGE = "dashboard/pages/data_import.py"
REAL_FILE = Path(__file__).resolve().parents[3] / "shared" / "real-data" / "regionalstatistik" / "13211-02-05-4.csv"
HEADER = "region;indicator;name;period;dimensions;value;unit;source\n"


@pytest.fixture
def fresh_url(empty_url: str) -> Iterator[str]:
    """A seeded database of its own on each backend: these tests write to it."""
    engine = make_engine(empty_url)
    migrations.upgrade(engine)
    seed_demo(engine)
    engine.dispose()
    yield empty_url


def open_page(app_for: Callable[..., AppTest], url: str) -> AppTest:
    app = app_for(url).run()
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    return app


def upload(app: AppTest, name: str, data: bytes) -> AppTest:
    app.file_uploader(key="import_file").set_value((name, data, "text/csv"))
    app.run()
    assert not app.exception, app.exception
    return app


def counts(url: str) -> dict[str, int]:
    engine: Engine = make_engine(url)
    with engine.connect() as connection:
        found = {
            model.__name__: connection.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Region, Indicator, Observation)
        }
    engine.dispose()
    return found


def known_regions(url: str) -> set[str]:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = set(connection.execute(select(col(Region.ags))).scalars())
    engine.dispose()
    return found


def german(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def unescaped(text: str) -> str:
    return text.replace("\\", "")


def test_the_empty_page_explains_the_formats_and_offers_the_template(
    seeded_url: str, app_for: Callable[..., AppTest]
) -> None:
    app = open_page(app_for, seeded_url)
    assert app.title[0].value == "Daten importieren"
    assert app.file_uploader(key="import_file").label == "CSV-Datei"
    assert app.segmented_control(key="import_format").value == "auto"
    help_texts = " ".join(element.value for element in app.markdown)
    assert "GENESIS-Tabelle" in help_texts and "Langformat" in help_texts
    assert [button.label for button in app.download_button] == ["Vorlage herunterladen"]
    assert all(button.label != "Import bestätigen" for button in app.button)
    assert not app.metric


def test_a_real_export_is_previewed_imported_once_and_then_found_complete(
    fresh_url: str, app_for: Callable[..., AppTest]
) -> None:
    parsed = read_file(REAL_FILE.read_bytes(), REAL_FILE.name)
    rows = parsed.observations.height
    before = counts(fresh_url)
    new_regions = len(set(parsed.regions["ags"]) - known_regions(fresh_url))
    app = upload(open_page(app_for, fresh_url), REAL_FILE.name, REAL_FILE.read_bytes())

    tiles = {metric.label: metric.value for metric in app.metric}
    assert tiles == {
        "Neue Werte": german(rows),
        "Geänderte": "0",
        "Unverändert": "0",
        "Neue Indikatoren": str(parsed.indicators.height),
        "Neue Regionen": german(new_regions),
    }
    captions = [unescaped(caption.value) for caption in app.caption]
    assert "Zeitraum: 31.12.2015 bis 31.12.2020" in captions
    assert any(caption.startswith("Regionen: 1 Bund, 16 Länder") for caption in captions)
    assert unescaped(app.subheader[0].value).startswith("Arbeitslose nach ausgewählten Personengruppen")
    indicators, values = app.dataframe[0].value, app.dataframe[1].value
    assert list(indicators.columns) == ["Indikator", "Einheit", "Code", "Werte", "Neu"]
    assert len(indicators) == parsed.indicators.height and indicators["Neu"].all()
    assert len(values) == 20 and set(values["Status"]) == {"neu"}
    assert counts(fresh_url) == before  # the preview writes nothing

    confirm = next(b for b in app.button if b.label == "Import bestätigen")
    assert not confirm.disabled
    confirm.click().run()
    assert not app.exception, app.exception
    assert app.success[0].value.startswith(f"Importiert: {german(rows)} neue und 0 geänderte Werte")
    assert [link.label for link in app.page_link] == ["Zur Region"]
    after = counts(fresh_url)
    assert after["Observation"] == before["Observation"] + rows
    assert after["Region"] == before["Region"] + new_regions

    # Another rerun (e.g. a second click that arrives late) shows the result again and imports nothing.
    app.run()
    assert not app.exception and app.success and counts(fresh_url) == after
    assert all(button.label != "Import bestätigen" for button in app.button)

    # The same file uploaded again: nothing to do, the button is disabled.
    again = upload(open_page(app_for, fresh_url), REAL_FILE.name, REAL_FILE.read_bytes())
    tiles = {metric.label: metric.value for metric in again.metric}
    assert (tiles["Neue Werte"], tiles["Unverändert"]) == ("0", german(rows))
    assert next(b for b in again.button if b.label == "Import bestätigen").disabled
    assert "Nichts zu tun: Die Datei ist bereits vollständig importiert." in [c.value for c in again.caption]
    assert counts(fresh_url) == after


def test_a_bad_file_lists_every_issue_and_imports_nothing(fresh_url: str, app_for: Callable[..., AppTest]) -> None:
    before = counts(fresh_url)
    bad = (HEADER + "03153;azubi;Azubis;2024;;abc;Anzahl;Test\n0315;azubi;Azubis;2025;;7;Anzahl;Test\n").encode()
    app = upload(open_page(app_for, fresh_url), "kaputt.csv", bad)
    message = unescaped(app.error[0].value)
    lines = message.splitlines()
    assert lines[0] == "Die Datei kaputt.csv kann nicht importiert werden. Es wurde nichts gespeichert."
    assert lines[1].startswith("- Zeile 2, Spalte 6 (value): „abc“")
    assert lines[2].startswith("- Zeile 3, Spalte 1 (region): „0315“")
    assert not app.metric and all(button.label != "Import bestätigen" for button in app.button)
    assert counts(fresh_url) == before


def test_the_format_override_reads_the_file_as_chosen(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = upload(open_page(app_for, seeded_url), REAL_FILE.name, REAL_FILE.read_bytes())
    assert app.metric
    app.segmented_control(key="import_format").set_value("template").run()
    assert not app.exception
    assert unescaped(app.error[0].value).startswith("Die Datei 13211-02-05-4.csv kann nicht importiert werden.")
    assert not app.metric


@pytest.mark.parametrize("role", [Role.MEMBER, Role.LIAISON])
def test_only_admins_and_speakers_see_the_uploader(
    seeded_url: str, seeded_engine: Engine, app_for: Callable[..., AppTest], role: Role
) -> None:
    with seeded_engine.connect() as connection:
        member_id = connection.execute(select(func.min(Member.id))).scalar_one() if role == Role.MEMBER else None
    app = app_for(seeded_url, role=role.value, member_id=member_id).run()
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    assert not app.file_uploader
    assert app.error[0].value == (
        "Kein Zugriff: „Daten importieren“ ist für Ihre Rolle nicht freigegeben, "
        "nur für Sprecher/in oder Administration."
    )

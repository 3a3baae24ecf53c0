"""AppTest of the region page: the example statistics, URL-bound controls, the index, and the empty state."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Engine, create_engine, select
from sqlmodel import Session, col
from streamlit.testing.v1 import AppTest

from dashboard.data_access.models import Alliance, AllianceRegion, Indicator, Observation, Region

PAGE = "dashboard/pages/region.py"


def open_page(app_for: Callable[..., AppTest], url: str, **query: str) -> AppTest:
    app = app_for(url, **query).run()  # the first run registers the pages of st.navigation
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    return app


def figure(app: AppTest, key_part: str) -> dict[str, Any]:
    """The Plotly spec of the chart whose element id mentions the key."""
    charts = [chart for chart in app.get("plotly_chart") if key_part in chart.proto.id]
    assert len(charts) == 1, [chart.proto.id for chart in app.get("plotly_chart")]
    spec: dict[str, Any] = json.loads(charts[0].proto.spec)
    return spec


def trace(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in spec["data"] if t.get("name") == name)


def stored(url: str, code: str, ags: str, end: date, dimensions: str = "") -> float | None:
    engine = create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(
            select(col(Observation.value))
            .join(Indicator, col(Indicator.id) == col(Observation.indicator_id))
            .where(
                col(Indicator.code) == code,
                col(Observation.region_ags) == ags,
                col(Observation.period_end) == end,
                col(Observation.dimensions) == dimensions,
            )
        ).scalar_one()
    engine.dispose()
    return value


def test_page_shows_the_example_statistics(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, seeded_url, alliance="suedostniedersachsen")
    assert app.title[0].value == "Region"
    assert app.selectbox(key="indikator").value == "BEISPIEL_REG_ALQ"
    assert app.selectbox(key="merkmal").value == ""
    assert app.select_slider(key="jahr").value == "2025"
    assert len(app.get("plotly_chart")) == 3
    series = figure(app, "region_series_chart")
    names = [t["name"] for t in series["data"]]
    assert names[:2] == ["Braunschweig", "Gifhorn"] and names[-2:] == ["Niedersachsen", "Deutschland"]
    braunschweig = trace(series, "Braunschweig")
    assert braunschweig["x"][0] == 2014 and braunschweig["y"][0] == stored(
        seeded_url, "BEISPIEL_REG_ALQ", "03101", date(2014, 12, 31)
    )
    table = app.dataframe[0].value
    assert table["Kreis"].to_list()[0] == "Braunschweig" and len(table) == 8
    assert any("Beispieldaten (seeds/regional.py)" in caption.value.replace("\\", "") for caption in app.caption)
    assert {"Niedrigster Kreiswert", "Höchster Kreiswert", "Niedersachsen", "Deutschland"} <= {
        m.label for m in app.metric
    }


def test_the_url_reproduces_indicator_kreise_and_year(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(
        app_for,
        seeded_url,
        alliance="wachstumsregion-dresden",
        indikator="BEISPIEL_REG_STELLEN",
        jahr="2019",
    )
    app.multiselect(key="kreise").set_value(["14612", "14627"]).run()
    assert app.selectbox(key="indikator").value == "BEISPIEL_REG_STELLEN"
    assert app.select_slider(key="jahr").value == "2019"
    assert app.query_params["kreise"] == ["14612", "14627"]
    assert any("31.12.2019" in header.value for header in app.subheader)
    shown_map = figure(app, "region_map")
    assert shown_map["data"][0]["text"] == ["Dresden", "Meißen"]
    assert shown_map["data"][0]["customdata"] == [
        stored(seeded_url, "BEISPIEL_REG_STELLEN", "14612", date(2019, 12, 31)),
        stored(seeded_url, "BEISPIEL_REG_STELLEN", "14627", date(2019, 12, 31)),
    ]
    # The same link in a new session shows the same view.
    link = {key: app.query_params[key] for key in ("alliance", "indikator", "jahr")}
    again = app_for(seeded_url, **link)
    again.query_params["kreise"] = ["14612", "14627"]
    again.run()
    again.switch_page(PAGE).run()
    assert figure(again, "region_map")["data"][0]["customdata"] == shown_map["data"][0]["customdata"]
    assert again.dataframe[0].value["Kreis"].to_list() == ["Dresden", "Meißen"]


def test_index_toggle_and_breakdown_change_the_chart_data(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, seeded_url, alliance="suedostniedersachsen", merkmal="sex=w")
    assert app.selectbox(key="merkmal").value == "sex=w"
    women = trace(figure(app, "region_series_chart"), "Goslar")["y"]
    assert women[0] == stored(seeded_url, "BEISPIEL_REG_ALQ", "03153", date(2014, 12, 31), "sex=w")

    app.toggle(key="index").set_value(True).run()
    app.selectbox(key="basisjahr").set_value("2016").run()
    assert app.query_params["basisjahr"] == "2016"
    indexed = trace(figure(app, "region_series_chart"), "Goslar")["y"]
    assert indexed[2] == 100.0 and indexed[0] == women[0] / women[2] * 100
    # Helmstedt's women have no value in 2015 (marker "x"): with 2015 as base they drop out, named in a caption.
    app.selectbox(key="basisjahr").set_value("2015").run()
    assert "Helmstedt" not in [t["name"] for t in figure(app, "region_series_chart")["data"]]
    assert any("Helmstedt" in caption.value for caption in app.caption)

    link = open_page(app_for, seeded_url, alliance="suedostniedersachsen", merkmal="sex=w", basisjahr="2016")
    assert link.toggle(key="index").value is True
    assert trace(figure(link, "region_series_chart"), "Goslar")["y"] == indexed


def test_counts_show_land_and_germany_only_in_the_index(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, seeded_url, alliance="landkreis-harz", indikator="BEISPIEL_REG_ALO")
    assert [t["name"] for t in figure(app, "region_series_chart")["data"]] == ["Harz"]
    assert any("Sachsen-Anhalt, Deutschland" in caption.value.replace("\\", "") for caption in app.caption)
    app.toggle(key="index").set_value(True).run()
    names = [t["name"] for t in figure(app, "region_series_chart")["data"]]
    assert names == ["Harz", "Sachsen-Anhalt", "Deutschland"]


def test_an_alliance_without_regional_data_says_what_to_do(
    migrated_engine: Engine, app_for: Callable[..., AppTest]
) -> None:
    with Session(migrated_engine) as session, session.begin():
        session.add(Region(ags="01001", name="Flensburg", population=90000))
        alliance = Alliance(
            slug="leer",
            name="Bündnis ohne Statistik",
            short_name="Leer",
            land="Schleswig-Holstein",
            programme="Test",
            period_start=date(2022, 1, 1),
            period_end=date(2027, 12, 31),
        )
        session.add(alliance)
        session.flush()
        assert alliance.id is not None
        session.add(AllianceRegion(alliance_id=alliance.id, region_ags="01001"))
    url = migrated_engine.url.render_as_string(hide_password=False)
    app = open_page(app_for, url)
    assert "noch keine Regionalstatistik" in app.info[0].value
    assert "cockpit import genesis" in app.code[0].value
    assert not app.get("plotly_chart")

"""AppTest of Mittelverwendung and Bündnisvergleich: figures equal an independent computation, follow controls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.config import load_settings
from dashboard.data_access import queries
from dashboard.data_access.scope import DEMO_SCOPE, Role, Scope
from tests.app.test_overview import NBSP, expected_kpis

FUNDS_PAGE = "dashboard/pages/funds.py"
COMPARE_PAGE = "dashboard/pages/compare.py"


def open_funds(app_for: Callable[..., AppTest], url: str, **query: str) -> AppTest:
    app = app_for(url, **query).run()
    app.switch_page(FUNDS_PAGE).run()
    assert not app.exception
    return app


def exact(app: AppTest) -> dict[str, str]:
    return {m.label: m.help.split("  \n")[0].removeprefix("Genau: ") for m in app.metric}


def test_funds_page_shows_the_funnel_equal_to_the_raw_entries(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_funds(app_for, seeded_url, stichtag="2020-06-30")
    assert app.title[0].value == "Mittelverwendung"
    assert app.date_input(key="stichtag").value == date(2020, 6, 30)
    expected = expected_kpis(seeded_url, "suedostniedersachsen", date(2020, 6, 30))
    shown = exact(app)
    assert shown["Budget"] == expected["Virtuelles Budget"] == f"1.400.000,00{NBSP}€"
    assert shown["Bewilligt"] == expected["Bewilligt"]
    assert shown["Ausgezahlt"] == expected["Ausgezahlt"]
    assert "Prognose Abfluss" in shown and "Voraussichtlich ungenutzt" in shown
    # Risks explain themselves; the chart, the funnel and the breakdown are there.
    # The sentences reach Streamlit with every Markdown character escaped (they contain project titles).
    sentences = [element.value.replace("\\", "") for element in [*app.error, *app.warning]]
    assert any(
        sentence.startswith("Fachkräftebündnis SüdOstNiedersachsen: Bis zur Abrechnungsfrist") for sentence in sentences
    )
    assert len(app.get("plotly_chart")) == 3
    assert app.get("download_button")


def test_a_lagging_project_is_named_with_its_reason(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_funds(app_for, seeded_url, stichtag="2020-12-31")
    warnings = [element.value for element in app.warning]
    lagging = [text for text in warnings if text.startswith("Digitalisierungslabor an der TU Clausthal")]
    assert lagging and "Prozentpunkte Rückstand" in lagging[0]


def test_stichtag_after_the_period_shows_final_figures(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_funds(app_for, seeded_url)
    assert "Rechtzeitig abgeflossen" in exact(app) and "Ungenutzt" in exact(app)
    assert any("nie bewilligt" in element.value for element in app.error)


def test_changing_alliance_and_fund_changes_the_figures(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_funds(app_for, seeded_url)
    son = exact(app)
    app.selectbox(key="alliance").set_value("dessau-rosslau-zwk").run()
    assert not app.exception
    everything = exact(app)
    assert everything != son
    assert everything == {**everything, **_subset(expected_kpis(seeded_url, "dessau-rosslau-zwk"))}
    app.multiselect(key="fonds").set_value(["eigenmittel"]).run()
    assert not app.exception
    own = exact(app)
    assert own["Budget"] == f"20.000,00{NBSP}€"
    assert own["Bewilligt"] != everything["Bewilligt"]
    assert app.query_params["fonds"] == "eigenmittel"  # a shareable link
    app.multiselect(key="fonds").set_value([]).run()
    assert exact(app)["Budget"] == everything["Budget"]


def _subset(expected: dict[str, str]) -> dict[str, str]:
    return {
        "Budget": expected["Virtuelles Budget"],
        "Bewilligt": expected["Bewilligt"],
        "Ausgezahlt": expected["Ausgezahlt"],
    }


def test_breakdown_picker_switches_table_and_url(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_funds(app_for, seeded_url, stichtag="2021-06-30")
    assert app.dataframe[0].value.iloc[:, 0].tolist() == ["ESF/ESF+"]
    app.segmented_control(key="aufschluesselung").set_value("handlungsfeld").run()
    assert not app.exception
    topics = app.dataframe[0].value.iloc[:, 0].tolist()
    assert "Rekrutierung und Matching" in topics
    assert app.query_params["aufschluesselung"] == "handlungsfeld"
    assert any("mehreren Handlungsfeldern" in caption.value for caption in app.caption)


def test_comparison_lists_every_alliance(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = app_for(seeded_url, vergleich_stichtag="2020-06-30").run()
    app.switch_page(COMPARE_PAGE).run()
    assert not app.exception
    table = app.dataframe[0].value
    assert len(table) == 5
    son = table[table["Bündnis"] == "Fachkräftebündnis SüdOstNiedersachsen"].iloc[0]
    assert son["Budget"] == 1_400_000.0
    assert son["Budget je Einwohner"] > 1.0
    assert app.metric[0].value.endswith("von 5 Bündnissen gefährdet")


def test_users_with_the_same_rights_share_one_comparison_book(seeded_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison's entries (9 MB for a liaison on the large instance) are cached once per set of rights."""
    import dashboard.cache as cache
    from dashboard import loaders

    monkeypatch.setenv("COCKPIT_DATABASE_URL", seeded_url)
    settings = load_settings()
    read: list[Scope] = []
    real = loaders.comparison_inputs
    monkeypatch.setattr(loaders, "comparison_inputs", lambda engine, scope: read.append(scope) or real(engine, scope))
    st.cache_data.clear()
    ids = sorted(queries.alliances(cache.engine(settings), DEMO_SCOPE)["id"].to_list())
    first = Scope.for_alliances("liaison-a", Role.LIAISON, ids)
    for scope in (first, replace(first, user="liaison-b"), first):
        cache.comparison_inputs(settings, scope)
    assert read == [replace(first, user="")]  # read once, for the rights, not the names
    fewer = Scope.for_alliances("liaison-c", Role.LIAISON, ids[:2])
    assert cache.alliance_comparison(settings, fewer, date(2020, 6, 30)).height == 2
    assert len(read) == 2

"""AppTest of the project page: filters through the widgets and the URL, totals against the seed file."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from streamlit.testing.v1 import AppTest

from seeds.loader import read_seed_file

PAGE = "dashboard/pages/projects.py"
NBSP = "\xa0"
SON = next(a for a in read_seed_file("alliances.yaml")["alliances"] if a["slug"] == "suedostniedersachsen")


def german_euro(value: Decimal) -> str:
    whole, cents = f"{value:,.2f}".split(".")
    return f"{whole.replace(',', '.')},{cents}{NBSP}€"


def expected(predicate: Callable[[dict], bool]) -> tuple[set[str], str, str]:  # type: ignore[type-arg]
    """Titles, count and approved sum of the SON projects the predicate keeps, from the seed file."""
    chosen = [p for p in SON["projects"] if predicate(p)]
    approved = sum((Decimal(p.get("approved", "0")) for p in chosen), Decimal("0"))
    return {p["title"] for p in chosen}, str(len(chosen)), german_euro(approved)


def open_page(app_for: Callable[..., AppTest], url: str, **query: str) -> AppTest:
    app = app_for(url, **query).run()  # the first run registers the pages of st.navigation
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    return app


def shown(app: AppTest) -> tuple[set[str], str, str]:
    metrics = {m.label: m.value for m in app.metric}
    titles = set(app.dataframe[0].value["Titel"].to_list())
    return titles, metrics["Projekte"], metrics["Bewilligte Mittel"]


def test_page_lists_every_project_of_the_alliance(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, seeded_url)
    assert shown(app) == expected(lambda p: True)
    assert len(app.get("plotly_chart")) == 2


def test_filters_set_through_the_widgets(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, seeded_url)
    app.multiselect(key="thema").set_value(["Rekrutierung und Matching"]).run()
    app.multiselect(key="kreis").set_value(["03153"]).run()
    assert shown(app) == expected(lambda p: "Rekrutierung und Matching" in p["topics"] and "03153" in p["regions"])
    assert app.query_params["thema"] == "Rekrutierung und Matching"
    assert app.query_params["kreis"] == "03153"

    app.multiselect(key="status").set_value(["abgebrochen"]).run()
    app.multiselect(key="thema").set_value([]).run()
    app.multiselect(key="kreis").set_value([]).run()
    assert shown(app) == expected(lambda p: p["status"] == "abgebrochen")


def test_search_is_umlaut_insensitive_in_the_page(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, seeded_url)
    app.text_input(key="suche").set_value("Rueckkehr").run()
    titles, _, _ = shown(app)
    assert "Pflege-Rückkehr – Wiedereinstieg in pflegerische Berufe" in titles


def test_url_parameters_select_the_filters(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, seeded_url, thema="Rekrutierung und Matching", kreis="03153", status="abgeschlossen")
    assert app.multiselect(key="thema").value == ["Rekrutierung und Matching"]
    assert app.multiselect(key="kreis").value == ["03153"]
    assert app.multiselect(key="status").value == ["abgeschlossen"]
    assert shown(app) == expected(
        lambda p: (
            "Rekrutierung und Matching" in p["topics"] and "03153" in p["regions"] and p["status"] == "abgeschlossen"
        )
    )


def test_empty_result_names_the_filter_and_resets(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, seeded_url, kreis="03153", fonds="efre")
    assert "Fonds-Filter" in app.info[0].value
    assert not app.dataframe
    app.button(key="reset_empty").click().run()
    assert shown(app) == expected(lambda p: True)
    assert "kreis" not in app.query_params and "fonds" not in app.query_params


def test_unknown_url_values_are_ignored(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, seeded_url, thema="Gibt es nicht", status="kaputt")
    assert app.multiselect(key="thema").value == []
    assert shown(app) == expected(lambda p: True)


def test_coming_back_to_the_page_keeps_the_whole_portfolio(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    """Streamlit drops the state of widgets a run does not draw: coming back must not turn the empty date
    filters into today's date (which emptied the list) but seed them again from the URL."""
    app = open_page(app_for, seeded_url)
    app.switch_page("dashboard/pages/region.py").run()
    assert not app.exception, app.exception
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    assert app.date_input(key="von").value is None
    assert shown(app) == expected(lambda p: True)

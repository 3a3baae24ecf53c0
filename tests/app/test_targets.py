"""AppTest of Ziele & Wirkung: statuses equal an independent count, drill-down by URL, ESF+ totals and disclosure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

TARGETS_PAGE = "dashboard/pages/targets.py"
OVERVIEW_PAGE = "dashboard/pages/overview.py"


def open_targets(app_for: Callable[..., AppTest], url: str, **query: str) -> AppTest:
    app = app_for(url, **query).run()
    app.switch_page(TARGETS_PAGE).run()
    assert not app.exception
    return app


def status_tiles(app: AppTest) -> dict[str, int]:
    return {m.label.split(": ", 1)[1]: int(m.value) for m in app.metric if m.label.startswith(":")}


def table_with(app: AppTest, column: str, nth: int = 0) -> Any:
    """The nth dataframe on the page that has the column (dataframes without selection carry no key)."""
    return [frame.value for frame in app.dataframe if column in frame.value.columns][nth]


def participants_by(url: str, alliance: str, day: date) -> int:
    """EECO01 of the alliance counted by hand: each project's latest cumulative total up to ``day``."""
    engine = sa.create_engine(url)
    query = sa.text(
        """
        SELECT o.project_id, o.period_end, o.value FROM observation o
        JOIN project p ON p.id = o.project_id JOIN alliance a ON a.id = p.alliance_id
        JOIN indicator i ON i.id = o.indicator_id
        WHERE a.slug = :slug AND i.code = 'EECO01' AND o.dimensions = '' AND o.period_end <= :day
        """
    )
    latest: dict[int, tuple[date, float]] = {}
    with engine.connect() as connection:
        for project_id, period_end, value in connection.execute(query, {"slug": alliance, "day": day}):
            if project_id not in latest or latest[project_id][0] < period_end:
                latest[project_id] = (period_end, value)
    engine.dispose()
    return round(sum(value for _, value in latest.values()))


def test_targets_page_lists_every_target_with_status_and_actual(
    seeded_url: str, app_for: Callable[..., AppTest]
) -> None:
    app = open_targets(app_for, seeded_url, stichtag="2019-06-30")
    assert app.title[0].value == "Ziele & Wirkung"
    table = app.dataframe[0].value
    assert set(table["scope"]) >= {"Bündnis", "Handlungsfeld: Beratungsinfrastruktur"}
    participants = table[table["indicator"] == "Teilnehmende insgesamt"].iloc[0]
    expected = participants_by(seeded_url, "suedostniedersachsen", date(2019, 6, 30))
    assert participants["actual"] == f"{expected:,}".replace(",", ".")
    assert participants["target"] == "1.400"
    assert participants["due_date"] == "31.12.2021"
    # The tiles count the statuses in the table, every status listed.
    tiles = status_tiles(app)
    assert list(tiles) == ["erreicht", "im Plan", "gefährdet", "verfehlt", "keine Daten"]
    marked = table["status"].str.split(" ", n=1).str[1].value_counts().to_dict()
    assert {status: count for status, count in tiles.items() if count} == marked
    # The rule is written next to the statuses.
    assert any("lineare Pfad" in block.value for block in app.markdown)


def test_overview_shows_targets_by_the_same_rule(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    targets_app = open_targets(app_for, seeded_url)
    overview = app_for(seeded_url).run()
    assert not overview.exception
    assert status_tiles(overview) == status_tiles(targets_app)
    assert sum(status_tiles(overview).values()) == targets_app.dataframe[0].value.shape[0]


def test_a_later_stichtag_turns_targets_final(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    early = status_tiles(open_targets(app_for, seeded_url, stichtag="2019-06-30"))
    late = status_tiles(open_targets(app_for, seeded_url, stichtag="2026-11-22"))
    assert early["verfehlt"] == 0 and early["gefährdet"] > 0
    assert late["im Plan"] == 0 and late["gefährdet"] == 0  # after the due date every target is decided
    assert late["erreicht"] + late["verfehlt"] > 0


def test_a_target_chosen_by_url_shows_its_progress_and_contributors(
    seeded_url: str, app_for: Callable[..., AppTest]
) -> None:
    app = open_targets(app_for, seeded_url, stichtag="2021-12-31")
    options = app.selectbox(key="ziel").options
    participants = next(i for i, text in enumerate(options) if text.startswith("Teilnehmende insgesamt"))
    key = app.selectbox(key="ziel").value  # the first target by default
    app.selectbox(key="ziel").select_index(participants).run()
    chosen = app.query_params["ziel"]
    assert chosen != key
    assert app.get("plotly_chart")
    projects = table_with(app, "Projekt")
    kreise = table_with(app, "Kreis")
    assert len(projects) >= 2 and len(kreise) >= 1
    total = round(projects.iloc[:, 2].sum())
    assert total == participants_by(seeded_url, "suedostniedersachsen", date(2021, 12, 31))
    # The link reproduces the view.
    again = open_targets(app_for, seeded_url, stichtag="2021-12-31", ziel=chosen)
    assert again.selectbox(key="ziel").value == chosen


def test_regional_target_drills_down_to_the_kreise(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_targets(app_for, seeded_url, stichtag="2021-12-31")
    options = app.selectbox(key="ziel").options
    regional = next(i for i, text in enumerate(options) if text.startswith("Arbeitslosenquote"))
    app.selectbox(key="ziel").select_index(regional).run()
    kreise = table_with(app, "Kreis")
    assert set(kreise["Kreis"]) >= {"Goslar", "Peine"}


def test_esf_totals_suppress_small_counts_for_others(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_targets(app_for, seeded_url, stichtag="2021-12-31")
    exact = table_with(app, "Code")
    assert list(exact["Code"])[:3] == ["EECO01", "EECO02", "EECO13"]
    participants = exact[exact["Code"] == "EECO01"].iloc[0]

    def count(cell: str) -> int:
        return int(cell.replace(".", ""))  # German thousands separators: 1.217

    assert participants[
        "Insgesamt"
    ] == f"{participants_by(seeded_url, 'suedostniedersachsen', date(2021, 12, 31)):,}".replace(",", ".")
    parts = (count(participants[column]) for column in ("Frauen", "Männer", "Divers"))
    assert sum(parts) == count(participants["Insgesamt"])
    app.toggle(key="fuer_dritte").set_value(True).run()
    assert app.query_params["fuer_dritte"] == "1"
    shown = table_with(app, "Code")
    cells = [cell for column in ("Insgesamt", "Frauen", "Männer", "Divers") for cell in shown[column]]
    assert not any(cell.replace(".", "").isdigit() and 1 <= int(cell.replace(".", "")) < 5 for cell in cells)
    assert any("unterdrückt" in caption.value for caption in app.caption)


def test_a_stichtag_change_reassesses_without_reading_again(
    seeded_url: str, app_for: Callable[..., AppTest], monkeypatch: Any
) -> None:
    """Targets and ESF+ totals are read once per scope and data state; a Stichtag change only re-assesses them."""
    import streamlit as st

    from dashboard import loaders

    reads: list[str] = []
    for name in ("target_inputs", "esf_inputs"):
        real = getattr(loaders, name)
        monkeypatch.setattr(loaders, name, lambda *args, _real=real, _name=name: reads.append(_name) or _real(*args))
    st.cache_data.clear()
    app = open_targets(app_for, seeded_url, stichtag="2019-06-30")
    early = status_tiles(app)
    assert sorted(reads) == ["esf_inputs", "target_inputs"]
    app.date_input(key="stichtag").set_value(date(2026, 11, 22)).run()
    assert not app.exception
    assert sorted(reads) == ["esf_inputs", "target_inputs"]
    late = status_tiles(app)
    assert late != early
    assert late == status_tiles(open_targets(app_for, seeded_url, stichtag="2026-11-22"))

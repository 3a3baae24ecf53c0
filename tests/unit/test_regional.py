"""Regional statistics: scoped queries on both backends, the example seed, domain rules and the figures."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, event, func, select
from sqlmodel import Session, col

from dashboard.charts.region import need_vs_intervention_figure, region_map_figure, regional_series_figure
from dashboard.data_access import migrations, queries, regional
from dashboard.data_access.db import make_engine
from dashboard.data_access.models import (
    Alliance,
    AllianceRegion,
    FinancialEntry,
    Indicator,
    Member,
    Observation,
    Project,
    ProjectRegion,
    Region,
)
from dashboard.data_access.scope import DEMO_SCOPE, PermissionDenied, Role, Scope
from dashboard.domain import regional as domain
from seeds import loader
from seeds.loader import seed_demo
from seeds.regional import SPEC_FILE, _read, _regions, example_observations, seed_regional_examples

ALQ = "BEISPIEL_REG_ALQ"


def _alliance_id(engine: Engine, slug: str) -> int:
    with engine.connect() as connection:
        ident = connection.execute(select(col(Alliance.id)).where(col(Alliance.slug) == slug)).scalar_one()
    assert ident is not None
    return ident


def _indicator_id(engine: Engine, code: str) -> int:
    with engine.connect() as connection:
        ident = connection.execute(select(col(Indicator.id)).where(col(Indicator.code) == code)).scalar_one()
    assert ident is not None
    return ident


# --- the example seed --------------------------------------------------------------------------------------


def test_example_statistics_are_deterministic_plausible_and_consistent() -> None:
    spec = _read(SPEC_FILE)
    first = example_observations(spec, _regions())
    assert_frame_equal(first, example_observations(spec, _regions()))
    # 24 regions × 12 series (3 + 3 + 3 breakdowns, 3 totals) × 12 years.
    assert first.height == 24 * 12 * 12
    assert set(first["code"].unique()) == {
        "BEISPIEL_REG_ALQ",
        "BEISPIEL_REG_ALO",
        "BEISPIEL_REG_SVB_AO",
        "BEISPIEL_REG_BEV_1865",
        "BEISPIEL_REG_WANDERUNG_1830",
        "BEISPIEL_REG_STELLEN",
    }
    rates = first.filter(pl.col("code") == ALQ, pl.col("dimensions") == "")["value"].drop_nulls()
    assert rates.min() > 3.0 and rates.max() < 12.0  # type: ignore[operator]
    # Counts by sex add up to the total exactly.
    counts = first.filter(pl.col("code") == "BEISPIEL_REG_ALO").pivot(
        "dimensions", index=["region_ags", "period_end"], values="value"
    )
    assert (counts[""] == counts["sex=m"] + counts["sex=w"]).all()
    # A Stichtag series has no period_start; yearly averages span the calendar year.
    svb = first.filter(pl.col("code") == "BEISPIEL_REG_SVB_AO")
    assert svb["period_start"].null_count() == svb.height
    assert set(svb["period_end"].dt.month().unique()) == {6}
    alq = first.filter(pl.col("code") == ALQ, pl.col("region_ags") == "03101", pl.col("dimensions") == "")
    assert alq["period_start"].to_list()[0] == date(2014, 1, 1) and alq["period_end"].to_list()[-1] == date(
        2025, 12, 31
    )
    missing = first.filter(pl.col("missing_marker").is_not_null())
    assert missing.height == 4 and missing["value"].null_count() == 4
    assert set(missing["missing_marker"]) == {".", "x", "...", "-"}


def test_seeding_the_examples_again_writes_nothing(migrated_engine: Engine) -> None:
    counted: dict[str, int] = {}

    def count(table: str, n: int) -> None:
        counted[table] = counted.get(table, 0) + n

    with Session(migrated_engine) as session, session.begin():
        loader.upsert_regions(session, loader.SeedReport())
        session.flush()
        assert seed_regional_examples(session, count) == 24 * 12 * 12
    with Session(migrated_engine) as session, session.begin():
        assert seed_regional_examples(session, count) == 0
    assert counted == {"indicator": 6, "observation": 24 * 12 * 12}
    with migrated_engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(Observation)).scalar_one()
        source = connection.execute(select(col(Indicator.source)).where(col(Indicator.code) == ALQ)).scalar_one()
    assert stored == 24 * 12 * 12
    assert "Beispieldaten" in source


# --- queries on the seeded demo ----------------------------------------------------------------------------


def test_regional_indicators_summarise_the_alliance_kreise(seeded_engine: Engine) -> None:
    alliance_id = _alliance_id(seeded_engine, "suedostniedersachsen")
    frame = regional.regional_indicators(seeded_engine, DEMO_SCOPE, alliance_id)
    examples = frame.filter(pl.col("code").str.starts_with("BEISPIEL_REG_"))
    assert examples.height == 6
    alq = examples.filter(pl.col("code") == ALQ).row(0, named=True)
    assert alq["unit"] == "%" and alq["direction"] == "down"
    assert alq["dimensions"] == ["", "sex=m", "sex=w"]
    assert (alq["first_period_end"], alq["last_period_end"]) == (date(2014, 12, 31), date(2025, 12, 31))
    # 8 Kreise × 12 years × 3 breakdowns, less Helmstedt's women in 2015 (marker "x").
    assert alq["values"] == 8 * 12 * 3 - 1
    # Independently: the rows of the alliance's Kreise with a value.
    with seeded_engine.connect() as connection:
        expected = connection.execute(
            select(func.count(col(Observation.value)))
            .join(AllianceRegion, col(AllianceRegion.region_ags) == col(Observation.region_ags))
            .where(col(AllianceRegion.alliance_id) == alliance_id, col(Observation.indicator_id) == alq["id"])
        ).scalar_one()
    assert alq["values"] == expected


def test_regional_series_has_the_kreise_their_land_and_germany(seeded_engine: Engine) -> None:
    alliance_id = _alliance_id(seeded_engine, "wachstumsregion-dresden")
    stellen = _indicator_id(seeded_engine, "BEISPIEL_REG_STELLEN")
    series = regional.regional_series(seeded_engine, DEMO_SCOPE, alliance_id, stellen)
    regions = series.select("region_ags", "level", "is_reference").unique().sort("region_ags")
    assert regions.rows() == [
        ("14", "land", True),
        ("14612", "kreis", False),
        ("14625", "kreis", False),
        ("14627", "kreis", False),
        ("DG", "bund", True),
    ]
    assert series.height == 5 * 12
    gap = series.filter(pl.col("region_ags") == "14627", pl.col("period_end") == date(2025, 12, 31)).row(0, named=True)
    assert gap["value"] is None and gap["missing_marker"] == "..."
    with seeded_engine.connect() as connection:
        raw = connection.execute(
            select(col(Observation.value)).where(
                col(Observation.indicator_id) == stellen,
                col(Observation.region_ags) == "14612",
                col(Observation.period_end) == date(2019, 12, 31),
                col(Observation.dimensions) == "",
            )
        ).scalar_one()
    shown = series.filter(pl.col("region_ags") == "14612", pl.col("period_end") == date(2019, 12, 31))["value"]
    assert shown.to_list() == [raw]
    women = regional.regional_series(seeded_engine, DEMO_SCOPE, alliance_id, _indicator_id(seeded_engine, ALQ), "sex=w")
    men = regional.regional_series(seeded_engine, DEMO_SCOPE, alliance_id, _indicator_id(seeded_engine, ALQ), "sex=m")
    assert women.height == men.height == 5 * 12
    assert not women["value"].equals(men["value"])


def test_money_by_region_adds_up_to_the_approved_total(seeded_engine: Engine) -> None:
    as_of = date(2030, 1, 1)
    for slug in ("suedostniedersachsen", "wachstumsregion-dresden", "suedwestfalen"):
        alliance_id = _alliance_id(seeded_engine, slug)
        money = regional.money_by_region(seeded_engine, DEMO_SCOPE, alliance_id, as_of)
        projects = queries.project_money(seeded_engine, DEMO_SCOPE, as_of, alliance_ids=[alliance_id])
        assert money["committed_cents"].sum() == projects["committed_cents"].sum() > 0
        kreise = queries.alliance_regions(seeded_engine, DEMO_SCOPE, alliance_id)["ags"].to_list()
        assert money.filter(pl.col("in_alliance"))["region_ags"].to_list() == kreise


def test_a_member_of_another_alliance_reads_nothing(seeded_engine: Engine) -> None:
    own = _alliance_id(seeded_engine, "suedwestfalen")
    other = _alliance_id(seeded_engine, "suedostniedersachsen")
    member = Scope.for_alliances("m", Role.MEMBER, [own])
    indicator = _indicator_id(seeded_engine, ALQ)
    assert regional.regional_indicators(seeded_engine, member, own).height >= 6
    with pytest.raises(PermissionDenied):
        regional.regional_indicators(seeded_engine, member, other)
    with pytest.raises(PermissionDenied):
        regional.regional_series(seeded_engine, member, other, indicator)
    with pytest.raises(PermissionDenied):
        regional.money_by_region(seeded_engine, member, other, date(2030, 1, 1))


def test_the_indicator_summary_reads_through_the_region_index(tmp_path: Path) -> None:
    """SQLite without statistics must not walk ix_observation_project (every regional row) for one alliance."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.sqlite3'}")
    migrations.upgrade(engine)
    seed_demo(engine)
    statements: list[tuple[str, Any]] = []

    def capture(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    regional.regional_indicators(engine, DEMO_SCOPE, _alliance_id(engine, "suedostniedersachsen"))
    event.remove(engine, "before_cursor_execute", capture)
    summary = next(statement for statement in statements if "observation" in statement[0])
    with engine.connect() as connection:
        plan = " ".join(
            str(row[-1]) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + summary[0], summary[1])
        )
    engine.dispose()
    assert "ix_observation_region_indicator" in plan and "ix_observation_project" not in plan


# --- money per Kreis on a hand-built database -------------------------------------------------------------


def _money_world(engine: Engine) -> tuple[int, int]:
    """Two alliances; alliance A has Kreise 01001, 01002 and projects that exercise every rule."""
    with Session(engine) as session, session.begin():
        for ags, population in (("01001", 1000), ("01002", None), ("01003", 500), ("02001", 800)):
            session.add(Region(ags=ags, name=f"Kreis {ags}", population=population))
        alliances = [
            Alliance(
                slug=slug,
                name=slug,
                short_name=slug,
                land="Schleswig-Holstein",
                programme="Test",
                period_start=date(2022, 1, 1),
                period_end=date(2024, 12, 31),
            )
            for slug in ("a", "b")
        ]
        session.add_all(alliances)
        session.flush()
        first, second = (int(a.id or 0) for a in alliances)
        session.add_all([AllianceRegion(alliance_id=first, region_ags=a) for a in ("01001", "01002")])
        session.add(AllianceRegion(alliance_id=second, region_ags="02001"))
        leads = [Member(alliance_id=a, name="Lead", member_type="ihk") for a in (first, second)]
        session.add_all(leads)
        session.flush()

        def project(
            alliance_id: int, lead: Member, title: str, kreise: list[str], entries: list[tuple[date, str, str]]
        ) -> None:
            assert lead.id is not None
            row = Project(alliance_id=alliance_id, title=title, lead_member_id=lead.id, status="laufend", fund="esf")
            session.add(row)
            session.flush()
            assert row.id is not None
            project_id = row.id
            session.add_all([ProjectRegion(project_id=project_id, region_ags=ags) for ags in kreise])
            session.add_all(
                FinancialEntry(project_id=project_id, entry_date=day, kind=kind, amount=Decimal(amount), fund="esf")
                for day, kind, amount in entries
            )

        commitment, disbursement = "commitment", "disbursement"
        # 100.01 € over three Kreise (one outside the alliance): 33.34 + 33.34 + 33.33.
        project(first, leads[0], "drei Kreise", ["01001", "01002", "01003"], [(date(2022, 3, 1), commitment, "100.01")])
        # Approved 60 €, 10 € revoked; the payment does not count, nor the later commitment.
        project(
            first,
            leads[0],
            "ein Kreis",
            ["01002"],
            [
                (date(2022, 2, 1), commitment, "60.00"),
                (date(2023, 1, 1), commitment, "-10.00"),
                (date(2023, 2, 1), disbursement, "40.00"),
                (date(2025, 1, 1), commitment, "999.00"),
            ],
        )
        project(first, leads[0], "ohne Kreis", [], [(date(2022, 5, 1), commitment, "12.34")])
        project(second, leads[1], "anderes Bündnis", ["01001"], [(date(2022, 5, 1), commitment, "500.00")])
    return first, second


def test_money_by_region_splits_projects_equally_and_exactly(migrated_engine: Engine) -> None:
    first, _ = _money_world(migrated_engine)
    money = regional.money_by_region(migrated_engine, DEMO_SCOPE, first, date(2024, 12, 31))
    expected = pl.DataFrame(
        {
            "region_ags": ["01001", "01002", "01003", None],
            "region_name": ["Kreis 01001", "Kreis 01002", "Kreis 01003", None],
            "population": [1000, None, 500, None],
            "in_alliance": [True, True, False, False],
            "projects": [1, 2, 1, 1],
            "committed_cents": [3334, 3334 + 5000, 3333, 1234],
        },
        schema=dict(regional.MONEY_SCHEMA),
    )
    assert_frame_equal(money, expected)
    assert domain.money_without_kreis(money) == 1234
    assert domain.money_outside_alliance(money) == 3333
    earlier = regional.money_by_region(migrated_engine, DEMO_SCOPE, first, date(2022, 2, 15))
    assert earlier["committed_cents"].to_list() == [0, 6000, 0, 0]


def test_an_alliance_without_regional_data_lists_no_indicators(migrated_engine: Engine) -> None:
    first, _ = _money_world(migrated_engine)
    assert regional.regional_indicators(migrated_engine, DEMO_SCOPE, first).is_empty()
    series = regional.regional_series(migrated_engine, DEMO_SCOPE, first, 1)
    assert series.is_empty() and series.columns == list(regional.SERIES_SCHEMA)


# --- domain rules ------------------------------------------------------------------------------------------


def _series(rows: list[tuple[str, str, bool, date, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            (ags, name, "land" if reference else "kreis", reference, 100, 52.0, 10.0, None, end, value, None)
            for ags, name, reference, end, value in rows
        ],
        schema=dict(regional.SERIES_SCHEMA),
        orient="row",
    )


Y19, Y20, Y21 = date(2019, 12, 31), date(2020, 12, 31), date(2021, 12, 31)


def test_index_series_divides_by_the_base_year_and_names_the_dropped_regions() -> None:
    series = _series(
        [
            ("03101", "Braunschweig", False, Y19, 5.0),
            ("03101", "Braunschweig", False, Y20, 6.0),
            ("03101", "Braunschweig", False, Y21, None),
            ("03102", "Salzgitter", False, Y19, None),
            ("03102", "Salzgitter", False, Y20, 4.0),
            ("03", "Niedersachsen", True, Y19, 8.0),
            ("03", "Niedersachsen", True, Y20, 4.0),
        ]
    )
    result = domain.indexed_series(series, 2019)
    assert result.dropped == ["Salzgitter"]
    assert result.frame.select("region_ags", "value", "raw_value").rows() == [
        ("03101", 100.0, 5.0),
        ("03101", 120.0, 6.0),
        ("03101", None, None),
        ("03", 100.0, 8.0),
        ("03", 50.0, 4.0),
    ]
    assert domain.indexed_series(series, 2020).dropped == []


def test_references_on_another_scale_are_left_out_of_the_absolute_chart() -> None:
    series = _series(
        [
            ("1", "A", False, Y19, 10.0),
            ("1", "A", False, Y20, -12.0),
            ("03", "Niedersachsen", True, Y19, 1000.0),
            ("DG", "Deutschland", True, Y19, 36.0),
        ]
    )
    kept, dropped = domain.comparable_references(series)
    assert dropped == ["Niedersachsen"]
    assert kept["region_ags"].to_list() == ["1", "1", "DG"]
    rates = series.filter(pl.col("region_ags") != "03")
    kept_rates, none_dropped = domain.comparable_references(rates)
    assert none_dropped == [] and kept_rates.height == rates.height


def test_latest_period_and_period_per_year() -> None:
    series = _series(
        [
            ("1", "A", False, Y19, 1.0),
            ("1", "A", False, Y20, 2.0),
            ("1", "A", False, Y21, 3.0),
            ("2", "B", False, Y19, 1.0),
            ("2", "B", False, Y20, 2.0),
            ("2", "B", False, Y21, None),
            ("DG", "Deutschland", True, date(2022, 12, 31), 1.0),
        ]
    )
    assert domain.latest_period(series) == Y21
    assert domain.years(series) == [2019, 2020, 2021]
    assert domain.period_in_year(series, 2020) == Y20
    assert domain.period_in_year(series, 2022) is None
    mapped = domain.map_frame(series, Y21)
    assert mapped.columns == domain.MAP_COLUMNS
    assert mapped.select("region_name", "value").rows() == [("A", 3.0), ("B", None)]


def test_need_versus_intervention_per_inhabitant_and_shares() -> None:
    at_period = _series(
        [("1", "A", False, Y20, 6.0), ("2", "B", False, Y20, 8.0), ("3", "C", False, Y20, None)]
    ).with_columns(missing_marker=pl.Series([None, None, "x"]))
    money = pl.DataFrame(
        {
            "region_ags": ["1", "2", "9", None],
            "region_name": ["A", "B", "X", None],
            "population": [1000, None, 10, None],
            "in_alliance": [True, True, False, False],
            "projects": [1, 1, 1, 1],
            "committed_cents": [300_000, 100_000, 5_000, 7_000],
        },
        schema=dict(regional.MONEY_SCHEMA),
    )
    population = pl.DataFrame(
        {"ags": ["1", "2", "3"], "name": ["A", "B", "C"], "population": [1000, None, 3000]},
        schema={"ags": pl.String(), "name": pl.String(), "population": pl.Int64()},
    )
    result = domain.need_vs_intervention(at_period, money, population)
    expected = pl.DataFrame(
        {
            "region_ags": ["1", "2", "3"],
            "region_name": ["A", "B", "C"],
            "population": [1000, None, 3000],
            "value": [6.0, 8.0, None],
            "missing_marker": [None, None, "x"],
            "committed_cents": [300_000, 100_000, 0],
            "euro_per_inhabitant": [3.0, None, 0.0],
            "money_share": [0.75, 0.25, 0.0],
            "population_share": [0.25, None, 0.75],
            "funding_ratio": [3.0, None, 0.0],
        },
        schema=domain.NEED_SCHEMA,
    )
    assert_frame_equal(result, expected)


# --- figures -----------------------------------------------------------------------------------------------


def test_series_figure_draws_kreise_references_gaps_and_escapes_names() -> None:
    series = _series(
        [
            ("1", "<b>A</b>", False, Y19, 1.5),
            ("1", "<b>A</b>", False, Y20, None),
            ("1", "<b>A</b>", False, Y21, 2.5),
            ("03", "Niedersachsen", True, Y19, 2.0),
            ("03", "Niedersachsen", True, Y21, 2.2),
        ]
    )
    figure = regional_series_figure(series, "de", unit="%")
    kreis, land = figure.data
    assert kreis.name == "&lt;b&gt;A&lt;/b&gt;" and list(kreis.x) == [2019, 2020, 2021]
    assert list(kreis.y) == [1.5, None, 2.5] and kreis.connectgaps is False
    assert land.line.dash == "dash" and land.line.color == "#8C8C8C"
    assert list(land.x) == [2019, 2021] and list(land.y) == [2.0, 2.2]
    layout = _validated(figure).layout
    assert layout.separators == ",." and layout.height == 420 and layout.hovermode == "x unified"
    assert layout.yaxis.title.text == "%" and layout.yaxis.tickformat == ",.1f" and not layout.shapes
    assert (layout.xaxis.tickformat, layout.xaxis.dtick) == ("d", 1)  # whole years on the axis
    indexed = regional_series_figure(
        domain.indexed_series(series, 2019).frame, "de", unit="%", indexed=True, base_year=2019
    )
    assert list(indexed.data[0].y) == [100.0, None, pytest.approx(166.666, rel=1e-4)]
    indexed_layout = _validated(indexed).layout
    assert indexed_layout.yaxis.title.text == "Index (2019 = 100)"
    # The base line at 100 across the whole plot, as add_hline draws it.
    (base,) = indexed_layout.shapes
    assert (base.y0, base.y1, base.xref, base.x0, base.x1) == (100, 100, "x domain", 0, 1)


def test_series_figure_shows_days_for_more_than_one_period_a_year_and_colours_each_kreis() -> None:
    half_years = [date(2019, 6, 30), Y19, date(2020, 6, 30)]
    series = _series(
        [(f"{number}", f"Kreis {number:02d}", False, end, float(number)) for number in range(9) for end in half_years]
    )
    figure = _validated(regional_series_figure(series, "en", unit="Personen"))
    assert [trace.name for trace in figure.data] == [f"Kreis {number:02d}" for number in range(9)]
    assert list(figure.data[8].x) == half_years and list(figure.data[8].y) == [8.0, 8.0, 8.0]
    # Seven colours, then the first ones again with another dash.
    assert figure.data[7].line.color == figure.data[0].line.color and figure.data[7].line.dash == "longdash"
    assert figure.layout.separators == ".," and figure.layout.xaxis.dtick is None
    assert figure.layout.xaxis.hoverformat == "%d %b %Y" and figure.layout.yaxis.tickformat == ",.0f"


def test_map_is_drawn_without_a_base_map_in_true_proportions() -> None:
    frame = domain.map_frame(
        _series([("1", "A", False, Y19, 1.0), ("2", "B", False, Y19, None)]).with_columns(
            latitude=pl.Series([52.0, 51.0]), missing_marker=pl.Series([None, "."])
        ),
        Y19,
    )
    figure = region_map_figure(frame, "de", unit="%", period_label="2019")
    assert {trace.type for trace in figure.data} == {"scatter"}
    assert figure.layout.yaxis.scaleanchor == "x"
    assert figure.layout.yaxis.scaleratio == pytest.approx(1 / math.cos(math.radians(51.5)))
    assert list(figure.data[1].customdata) == ["."]
    present, missing = _validated(figure).data
    assert list(present.text) == ["A"] and list(present.customdata) == [1.0] and list(present.y) == [52.0]
    assert missing.name == "Wert fehlt" and list(missing.text) == ["B"] and missing.showlegend is True
    # One value: no colour bar; the scale spelled out as Plotly's own "Cividis" (plotly.js has another one).
    assert present.marker.showscale is False
    assert present.marker.colorscale == go.scatter.Marker(colorscale="Cividis").colorscale
    layout = figure.layout
    assert layout.separators == ",." and layout.hovermode == "closest" and layout.plot_bgcolor == "#F7F7F7"
    assert layout.xaxis.visible is False and layout.yaxis.visible is False and layout.height == 460


def test_map_without_coordinates_is_an_empty_figure() -> None:
    frame = pl.DataFrame(
        {"region_ags": ["1"], "region_name": ["A"], "latitude": [None], "longitude": [None], "population": [1]},
        schema_overrides={"latitude": pl.Float64, "longitude": pl.Float64},
    ).with_columns(value=pl.lit(1.0), missing_marker=pl.lit(None, pl.String))
    figure = _validated(region_map_figure(frame, "de", unit="%", period_label="2019"))
    assert not figure.data and figure.layout.height == 420 and figure.layout.separators == ",."


def test_need_figure_leaves_out_kreise_without_value_or_population() -> None:
    frame = pl.DataFrame(
        {
            "region_ags": ["1", "2"],
            "region_name": ["A", "B"],
            "population": [1000, None],
            "value": [6.0, 8.0],
            "missing_marker": [None, None],
            "committed_cents": [300_000, 100_000],
            "euro_per_inhabitant": [3.0, None],
            "money_share": [0.75, 0.25],
            "population_share": [1.0, None],
            "funding_ratio": [0.75, None],
        },
        schema=domain.NEED_SCHEMA,
    )
    figure = need_vs_intervention_figure(frame, "de", indicator_name="Quote", unit="%", average_euro=4.0)
    assert list(figure.data[0].x) == [6.0] and list(figure.data[0].text) == ["A"]
    layout = _validated(figure).layout
    assert list(figure.data[0].y) == [3.0] and layout.separators == ",." and layout.hovermode == "closest"
    assert layout.xaxis.title.text == "Quote (%)" and layout.yaxis.title.text == "Bewilligt je Einwohner (€)"
    # The alliance's average as a dotted line across the plot, labelled above its right end (as add_hline draws).
    (line,) = layout.shapes
    assert (line.y0, line.y1, line.xref, line.line.dash) == (4.0, 4.0, "x domain", "dot")
    (label,) = layout.annotations
    assert (label.text, label.y, label.xref, label.x, label.xanchor) == (
        "Bündnisdurchschnitt",
        4.0,
        "x domain",
        1,
        "right",
    )
    without = _validated(
        need_vs_intervention_figure(frame, "en", indicator_name="Quote", unit="", average_euro=None)
    ).layout
    assert not without.shapes and not without.annotations and without.xaxis.title.text == "Quote"


def _validated(figure: go.Figure) -> go.Figure:
    """The figure built again with Plotly's validation: raises on any property Plotly does not know."""
    return go.Figure(figure.to_dict())

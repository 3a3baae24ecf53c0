"""The partner network, partners per type and the target progress figure: valid Plotly, the inputs' values, and the
customdata the Partner page reads a click back from. (The region figures are tested in test_regional.py, the pipeline
in test_pipeline_chart.py.)"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.partners import HIGHLIGHT_EDGE, partner_network_figure, partners_by_type_figure, type_colour
from dashboard.charts.targets import target_progress_figure
from dashboard.domain.targets import target_path
from dashboard.ui.partners import _clicked_partner


def validated(figure: go.Figure) -> go.Figure:
    """The figure built again with Plotly's validation: raises on any property Plotly does not know."""
    return go.Figure(figure.to_dict())


# --- partners ----------------------------------------------------------------------------------------------------

NODES = pl.DataFrame(
    {
        "member_id": [1, 2, 3, 4, 5],
        "name": ["Landkreis Nord", "IHK <Süd>", "IHK Ost", "Landkreis West", "Handwerkskammer"],
        "member_type": ["landkreis", "ihk", "ihk", "landkreis", "hwk"],
        "projects": [4, 2, 12, 1, 0],
        "x": [0.1, 0.5, -0.5, -0.2, 0.9],
        "y": [0.2, -0.4, 0.6, -0.8, 0.0],
        "shown": [True, True, False, True, False],
    }
)
EDGES = pl.DataFrame({"member_a": [1, 1, 2], "member_b": [2, 4, 3], "projects": [1, 3, 8]})


def point_traces(figure: go.Figure) -> list[Any]:
    return [trace for trace in figure.data if trace.mode == "markers" and trace.meta is not None]


def test_network_points_carry_id_and_projects_in_the_order_of_their_positions() -> None:
    figure = validated(partner_network_figure(NODES, EDGES, "de"))
    points = point_traces(figure)
    # Types in vocabulary order; outside the filters in a faint trace of their own (the HWK only faint, but with
    # an empty full-colour trace for its legend entry).
    assert [(trace.meta, trace.showlegend, trace.marker.opacity) for trace in points] == [
        ("landkreis", True, 1.0),
        ("ihk", True, 1.0),
        ("ihk", False, 0.2),
        ("hwk", True, 1.0),
        ("hwk", False, 0.2),
    ]
    where = {row["member_id"]: row for row in NODES.iter_rows(named=True)}
    seen = []
    for trace in points:
        for x, y, (member_id, projects) in zip(trace.x, trace.y, trace.customdata, strict=True):
            assert (x, y, projects) == (where[member_id]["x"], where[member_id]["y"], where[member_id]["projects"])
            seen.append(member_id)
    assert seen == [1, 4, 2, 3, 5]  # each partner once, in the frame's order within its type
    assert list(points[1].text) == ["IHK &lt;Süd&gt;"] and points[1].name == "IHK"
    assert [10 + 3 * min(projects, 10) for projects in (4, 1)] == list(points[0].marker.size)
    layout = figure.layout
    assert layout.separators == ",." and layout.hovermode == "closest" and layout.dragmode == "pan"
    # The legend below the plot; the theme's left anchor kept.
    legend = layout.legend
    assert (legend.orientation, legend.yanchor, legend.y, legend.xanchor, legend.itemsizing) == (
        "h",
        "top",
        -0.02,
        "left",
        "constant",
    )
    assert layout.xaxis.visible is False and list(layout.yaxis.range) == [-1.12, 1.12] and layout.height == 520


def test_a_clicked_point_gives_the_page_its_partner_id() -> None:
    spec = json.loads(partner_network_figure(NODES, EDGES, "de", selected=2).to_json())
    ihk = next(trace for trace in spec["data"] if trace.get("meta") == "ihk" and trace["showlegend"])
    # The browser sends a selected point's customdata back as it got it.
    assert ihk["customdata"] == [[2, 2]]
    assert _clicked_partner({"selection": {"points": [{"customdata": ihk["customdata"][0]}]}}) == 2


def test_edges_by_width_with_the_selected_partner_dark_and_rings_for_own_and_selected() -> None:
    figure = validated(partner_network_figure(NODES, EDGES, "de", selected=1, own=frozenset({2})))
    # One trace per width (projects capped at 6); the selected partner's edges dark.
    edges = {trace.line.width: trace for trace in figure.data if trace.mode == "lines"}
    assert sorted(edges) == [0.8 + 1.2 * 1, 0.8 + 1.2 * 3, 0.8 + 1.2 * 6]
    assert [edges[width].line.color == HIGHLIGHT_EDGE for width in sorted(edges)] == [True, True, False]
    one = edges[0.8 + 1.2 * 1]
    assert list(one.x) == [0.1, 0.5, None] and list(one.y) == [0.2, -0.4, None]
    own, ring = figure.data[-2:]
    assert own.marker.symbol == "star-open" and own.name == "Ihre Organisation" and own.showlegend is True
    assert [list(row) for row in own.customdata] == [[2, 2]]
    assert ring.marker.symbol == "circle-open" and ring.showlegend is False
    assert [list(row) for row in ring.customdata] == [[1, 4]] and list(ring.marker.size) == [10 + 3 * 4 + 8]
    plain = validated(partner_network_figure(NODES, EDGES.clear(), "en"))
    assert not [trace for trace in plain.data if trace.mode == "lines"] and plain.layout.separators == ".,"
    assert len(plain.data) == len(point_traces(plain)) == 5  # no rings without own or selected


def test_partners_by_type_shows_the_counts_in_the_network_colours() -> None:
    counts = pl.DataFrame({"member_type": ["ihk", "landkreis", "unknown"], "members": [5, 3, 1]})
    figure = validated(partners_by_type_figure(counts, "de"))
    (bar,) = figure.data
    assert list(bar.x) == [5, 3, 1] and list(bar.text) == ["5", "3", "1"]
    assert list(bar.y)[:2] == ["IHK", "Landkreis"]
    assert list(bar.marker.color) == [type_colour("ihk"), type_colour("landkreis"), "#8C8C8C"]
    layout = figure.layout
    assert layout.separators == ",." and layout.showlegend is False and layout.yaxis.autorange == "reversed"
    assert layout.xaxis.visible is False and layout.height == 160 and layout.margin.r == 30
    assert validated(partners_by_type_figure(counts.clear(), "en")).data[0].x == ()


# --- targets -----------------------------------------------------------------------------------------------------


def target(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "unit": "%",
        "direction": "down",
        "basis": "kreise",
        "baseline_date": date(2018, 12, 31),
        "baseline_value": 6.2,
        "due_date": date(2021, 12, 31),
        "target_value": 5.2,
    }
    return row | overrides


ACTUALS = pl.DataFrame(
    {"period_end": [date(2019, 12, 31), date(2020, 12, 31)], "value": [6.0, 5.9]},
    schema={"period_end": pl.Date(), "value": pl.Float64()},
)


def test_target_figure_draws_path_target_actuals_and_the_day_marker() -> None:
    goal = target()
    as_of = date(2020, 6, 30)
    figure = validated(target_progress_figure(goal, ACTUALS, target_path(goal), as_of, "de"))
    path, aim, actual = figure.data
    assert [trace.name for trace in figure.data] == ["Pfad zum Ziel", "Zielwert", "Istwert"]
    assert list(path.x) == [date(2018, 12, 31), date(2021, 12, 31)] and list(path.y) == [6.2, 5.2]
    assert list(aim.x) == [date(2021, 12, 31)] and list(aim.y) == [5.2] and aim.marker.symbol == "star"
    assert list(actual.y) == [6.0, 5.9] and actual.line.shape == "linear" and actual.hovertemplate == "%{y:,.1f} %"
    (line,) = figure.layout.shapes
    assert (line.x0, line.x1, line.yref, line.y0, line.y1) == (as_of, as_of, "y domain", 0, 1)
    (label,) = figure.layout.annotations
    assert (label.x, label.y, label.yref, label.text, label.showarrow) == (as_of, 1, "paper", "Stichtag", False)
    layout = figure.layout
    assert layout.separators == ",." and layout.height == 340 and layout.hovermode == "x unified"
    assert layout.yaxis.title.text == "%" and layout.yaxis.rangemode == "normal"  # fewer is better: no zero
    assert layout.xaxis.tickformat == "%Y" and layout.xaxis.hoverformat == "%d.%m.%Y"


def test_target_figure_without_actuals_or_outside_the_path_has_no_marker() -> None:
    goal = target(unit=None, direction="up", basis="projects")
    figure = validated(target_progress_figure(goal, ACTUALS.clear(), target_path(goal), date(2030, 1, 1), "en"))
    assert [trace.name for trace in figure.data] == ["Path to target", "Target"]
    assert not figure.layout.shapes and not figure.layout.annotations
    assert figure.layout.yaxis.title.text is None and figure.layout.yaxis.rangemode == "tozero"
    assert figure.layout.separators == ".," and figure.layout.xaxis.tickformat == "%b %Y"
    steps = validated(target_progress_figure(goal, ACTUALS, target_path(goal), date(2019, 1, 1), "de"))
    assert steps.data[2].line.shape == "hv" and steps.data[2].hovertemplate == "%{y:,.0f}"  # project reports step
    assert steps.layout.xaxis.tickformat == "%m.%Y" and len(steps.layout.shapes) == 1

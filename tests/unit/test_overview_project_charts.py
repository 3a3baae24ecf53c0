"""The overview and project figures: built as finished specs without Plotly's validation (speed), so each test
validates its figure once (``go.Figure(figure.to_dict())`` raises on any property Plotly does not know) and checks
what a reader sees."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import plotly.graph_objects as go
import polars as pl
import pytest

from dashboard.charts.overview import cumulative_flows_figure, horizontal_count_figure
from dashboard.charts.projects import STATUS_COLOURS, timeline_figure, topic_status_figure
from dashboard.charts.theme import GREEN
from dashboard.domain.overview import cumulative_flows, status_counts_in_order
from dashboard.domain.portfolio import timeline_rows, topic_status_matrix
from dashboard.ui.project_filters import selected_points

BUDGET = pl.DataFrame(
    {"fund": ["esf", "land"], "year": [2024, 2025], "planned_cents": [100_000_00, 50_000_00]},
    schema={"fund": pl.String, "year": pl.Int32, "planned_cents": pl.Int64},
)
FLOWS = pl.DataFrame(
    {
        "entry_date": [date(2024, 2, 10), date(2024, 6, 15), date(2025, 3, 20)],
        "kind": ["commitment", "disbursement", "disbursement"],
        "amount_cents": [80_000_00, 12_345_67, 20_000_00],
    },
    schema={"entry_date": pl.Date, "kind": pl.String, "amount_cents": pl.Int64},
)
START, END = date(2024, 1, 1), date(2025, 12, 31)
PROJECTS = pl.DataFrame(
    {
        "id": [11, 12, 13, 14],
        "title": ["Welcome Center", "<b>Pflege & Praxis</b>", "Mentoring " + "x" * 60, "Idee ohne Termine"],
        "status": ["laufend", "abgeschlossen", "laufend", "idee"],
        "lead_name": ["IHK", "Jobcenter <i>Nord</i>", "HWK", "Landkreis"],
        "start_date": [date(2024, 3, 1), date(2024, 1, 1), date(2025, 2, 1), None],
        "end_date": [date(2024, 3, 31), date(2024, 12, 31), date(2025, 6, 30), None],
        "approved_cents": [10_000_00, 25_000_50, 5_000_00, None],
        "topic_names": [["Rekrutierung"], ["Pflege", "Rekrutierung"], ["Pflege"], ["Beratung"]],
    },
    schema_overrides={"start_date": pl.Date, "end_date": pl.Date, "approved_cents": pl.Int64},
)


def valid(figure: go.Figure) -> dict[str, Any]:
    go.Figure(figure.to_dict())  # raises on any property Plotly does not know
    return figure.to_dict()


def test_flows_chart_has_its_lines_period_band_and_stichtag_marker_in_german() -> None:
    flows = cumulative_flows(BUDGET, FLOWS, START, END)
    spec = valid(cumulative_flows_figure(flows, START, END, date(2024, 7, 15), "de"))
    names = [trace["name"] for trace in spec["data"]]
    assert names == ["Budget (kumuliert)", "Bewilligt (kumuliert)", "Ausgezahlt (kumuliert)"]
    assert spec["data"][2]["y"][-1] == pytest.approx(32_345.67)  # euro, not cents
    assert spec["data"][0]["hovertemplate"] == "%{y:,.2f} €"
    layout = spec["layout"]
    assert layout["separators"] == ",."
    assert layout["hovermode"] == "x unified" and layout["height"] == 360
    assert layout["template"]["layout"]["plot_bgcolor"] == "white"
    assert [shape["type"] for shape in layout["shapes"]] == ["rect", "line"]
    assert (layout["shapes"][0]["x0"], layout["shapes"][0]["x1"]) == (START, END)
    assert layout["shapes"][1]["x0"] == date(2024, 7, 15)
    assert [note["text"] for note in layout["annotations"]] == ["Stichtag"]
    assert layout["xaxis"]["tickformat"] == "%m.%Y"
    assert layout["yaxis"]["title"]["text"] == "Euro"


def test_flows_chart_marks_the_stichtag_only_inside_its_range() -> None:
    flows = cumulative_flows(BUDGET, FLOWS, START, END)
    late = valid(cumulative_flows_figure(flows, START, END, date(2031, 1, 1), "en"))
    assert [shape["type"] for shape in late["layout"]["shapes"]] == ["rect"]
    assert "annotations" not in late["layout"]
    assert late["layout"]["separators"] == ".,"
    assert late["layout"]["xaxis"]["tickformat"] == "%b %Y"
    assert late["data"][1]["hovertemplate"] == "€%{y:,.2f}"


def test_flows_chart_of_a_project_has_no_budget_line() -> None:
    no_budget = pl.DataFrame(schema={"fund": pl.String, "year": pl.Int32, "planned_cents": pl.Int64})
    flows = cumulative_flows(no_budget, FLOWS, START, END)
    spec = valid(cumulative_flows_figure(flows, START, END, date(2025, 1, 1), "de", budget=False))
    assert [trace["name"] for trace in spec["data"]] == ["Bewilligt (kumuliert)", "Ausgezahlt (kumuliert)"]
    assert [trace["line"]["width"] for trace in spec["data"]] == [2.5, 2.5]


def test_count_bars_are_as_long_as_the_counts() -> None:
    counts = status_counts_in_order(
        pl.DataFrame({"status": ["laufend", "idee"], "projects": [1234, 2], "approved_grant_cents": [0, 0]})
    )
    spec = valid(horizontal_count_figure(counts, "status", "projects", "de"))
    (bar,) = spec["data"]
    assert list(bar["x"]) == counts["projects"].to_list()
    assert list(bar["text"]) == [str(count) for count in counts["projects"].to_list()]
    assert "Laufend" in bar["y"] and "Idee" in bar["y"]
    assert bar["x"][list(bar["y"]).index("Laufend")] == 1234
    layout = spec["layout"]
    assert layout["height"] == max(160, 28 * counts.height + 40)
    assert layout["margin"] == {"l": 10, "r": 30, "t": 10, "b": 10}
    assert layout["hovermode"] == "closest" and layout["separators"] == ",."
    assert layout["xaxis"]["visible"] is False and layout["yaxis"]["autorange"] == "reversed"
    types = pl.DataFrame({"member_type": ["ihk", "hwk"], "members": [3, 1]})
    green = valid(horizontal_count_figure(types, "member_type", "members", "en", GREEN))
    assert green["data"][0]["marker"]["color"] == GREEN and green["layout"]["height"] == 160
    assert list(green["data"][0]["y"]) == ["Chamber of commerce (IHK)", "Chamber of crafts (HWK)"]


def test_topic_status_bars_stack_per_status_and_a_click_maps_back_to_topic_and_status() -> None:
    matrix = topic_status_matrix(PROJECTS)
    figure = topic_status_figure(matrix, "projects", "de")
    spec = valid(figure)
    assert [trace["meta"] for trace in spec["data"]] == ["idee", "laufend", "abgeschlossen"]
    assert [trace["name"] for trace in spec["data"]] == ["Idee", "Laufend", "Abgeschlossen"]
    running = spec["data"][1]
    assert list(running["x"]) == ["Pflege", "Rekrutierung"] and list(running["y"]) == [1, 1]
    assert running["marker"]["color"] == STATUS_COLOURS["laufend"]
    layout = spec["layout"]
    assert layout["barmode"] == "stack" and layout["clickmode"] == "event+select"
    assert layout["hovermode"] == "closest" and layout["height"] == 380 and layout["separators"] == ",."
    assert layout["yaxis"]["title"]["text"] == "Anzahl Projekte"
    click = SimpleNamespace(selection=SimpleNamespace(points=[{"curve_number": 1, "point_index": 1}]))
    assert selected_points(figure, click) == [("laufend", "Rekrutierung")]

    money = valid(topic_status_figure(matrix, "approved_cents", "en"))
    assert list(money["data"][2]["y"]) == [25_000.50, 25_000.50]  # euro, in each of the project's topics
    assert money["data"][2]["hovertemplate"] == "%{x}<br>Completed: €%{y:,.2f}<extra></extra>"
    assert money["layout"]["separators"] == ".," and money["layout"]["yaxis"]["title"]["text"] == "Approved money (€)"


def test_timeline_bars_run_from_start_to_end_with_escaped_titles() -> None:
    rows = timeline_rows(PROJECTS)
    figure = timeline_figure(rows, "de")
    spec = valid(figure)
    assert [trace["meta"] for trace in spec["data"]] == ["abgeschlossen", "laufend"]
    done, running = spec["data"]
    assert list(done["y"]) == ["&lt;b&gt;Pflege &amp; Praxis&lt;/b&gt;"]
    assert list(done["base"]) == ["2024-01-01"] and list(done["x"]) == [366 * 86_400_000]
    assert list(done["hovertext"]) == ["&lt;b&gt;Pflege &amp; Praxis&lt;/b&gt;<br>Jobcenter &lt;i&gt;Nord&lt;/i&gt;"]
    assert list(running["customdata"]) == [11, 13] and list(running["x"]) == [31 * 86_400_000, 150 * 86_400_000]
    assert running["y"][1].endswith("…") and len(running["y"][1]) == 48
    layout = spec["layout"]
    assert layout["height"] == max(220, 24 * 3 + 90) and layout["hovermode"] == "closest"
    assert layout["barmode"] == "overlay" and layout["xaxis"] == {"type": "date", "tickformat": "%m.%Y"}
    assert layout["yaxis"]["autorange"] == "reversed" and len(layout["yaxis"]["categoryarray"]) == 3
    # The row order names the bars as they are labelled (escaped), so a title with & or < keeps its place by start.
    assert layout["yaxis"]["categoryarray"][0] == "&lt;b&gt;Pflege &amp; Praxis&lt;/b&gt;"
    assert set(layout["yaxis"]["categoryarray"]) == {y for trace in spec["data"] for y in trace["y"]}
    click = SimpleNamespace(selection=SimpleNamespace(points=[{"curve_number": 1, "point_number": 1}]))
    assert selected_points(figure, click) == [("laufend", 13)]


def test_empty_project_charts_are_valid() -> None:
    empty = PROJECTS.head(0)
    bars = valid(topic_status_figure(topic_status_matrix(empty), "approved_cents", "de"))
    timeline = valid(timeline_figure(timeline_rows(empty), "en"))
    assert bars["data"] == [] and timeline["data"] == []
    assert timeline["layout"]["height"] == 220 and timeline["layout"]["xaxis"]["tickformat"] == "%b %Y"


def test_a_topic_name_is_shown_as_text_and_a_click_still_gives_the_name() -> None:
    projects = PROJECTS.with_columns(pl.Series("topic_names", [["<b>Pflege & Co</b>"]] * PROJECTS.height))
    figure = topic_status_figure(topic_status_matrix(projects), "projects", "de")
    spec = valid(figure)
    assert {x for trace in spec["data"] for x in trace["x"]} == {"&lt;b&gt;Pflege &amp; Co&lt;/b&gt;"}
    click = SimpleNamespace(selection=SimpleNamespace(points=[{"curve_number": 0, "point_index": 0}]))
    assert selected_points(figure, click) == [("idee", "<b>Pflege & Co</b>")]

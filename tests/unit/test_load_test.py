"""The load test's pure parts: percentiles, the simulated filter walk, and what it reads from /proc and the metrics."""

from __future__ import annotations

import importlib.util
import math
import random
import sys
from datetime import date
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "load_test.py"
_spec = importlib.util.spec_from_file_location("load_test", SCRIPT)
assert _spec is not None and _spec.loader is not None
load_test = importlib.util.module_from_spec(_spec)
sys.modules["load_test"] = load_test  # dataclasses look their module up while the class is built
_spec.loader.exec_module(load_test)


def test_percentile_interpolates_between_ranks() -> None:
    values = [50.0, 10.0, 40.0, 20.0, 30.0]
    assert load_test.percentile(values, 0.5) == 30.0
    assert load_test.percentile(values, 0.95) == pytest.approx(48.0)
    assert load_test.percentile(values, 1.0) == 50.0
    assert load_test.percentile([7.0], 0.95) == 7.0
    assert math.isnan(load_test.percentile([], 0.5))


def test_every_filter_change_changes_the_selection_and_stays_small() -> None:
    rng = random.Random(1)
    options = ["Idee", "Beantragt", "Bewilligt", "Laufend"]
    current: list[str] = []
    for _ in range(200):
        chosen = load_test.next_selection(options, current, rng)
        assert chosen != current
        assert len(chosen) <= load_test.MAX_PICKS
        assert len(set(chosen)) == len(chosen) and set(chosen) <= set(options)
        current = chosen
    assert load_test.next_selection(options, ["Idee", "Laufend"], rng) == []


def test_proc_status_and_widget_keys() -> None:
    status = "Name:\tpython\nVmHWM:\t  301234 kB\nVmRSS:\t  287000 kB\nThreads:\t21\n"
    assert load_test.parse_proc_status(status) == {"VmHWM": 301234, "VmRSS": 287000, "Threads": 21}
    assert load_test.user_key("$$ID-4a7adc1dd1-thema") == "thema"
    assert load_test.user_key("$$ID-814eb3-FormSubmitter:signin-Anmelden") == "FormSubmitter:signin-Anmelden"
    assert load_test.user_key("$$ID-4a7adc1dd1") is None


def test_metrics_sum_memory_per_cache_type_and_read_the_sessions() -> None:
    text = "\n".join(
        [
            "# TYPE cache_memory_bytes gauge",
            'cache_memory_bytes{cache_type="st_cache_data",cache="dashboard.cache.projects"} 1000',
            'cache_memory_bytes{cache_type="st_cache_data",cache="dashboard.cache.overview_data"} 500',
            'cache_memory_bytes{cache_type="st_session_state",cache=""} 2048',
            'session_events_total{type="disconnect"} 12',
            "active_sessions 3",
            "# EOF",
        ]
    )
    assert load_test.parse_metrics(text) == {
        "memory.st_cache_data": 1500.0,
        "memory.st_session_state": 2048.0,
        "sessions.disconnect": 12.0,
        "sessions.active": 3.0,
    }


def test_memory_growth_and_the_verdict_of_a_run() -> None:
    assert load_test.growth(1000, 1150) == pytest.approx(0.15)
    assert load_test.growth(None, 1150) is None
    outcome = load_test.Outcome(interactions=[100.0, 120.0, 300.0], first_renders=[900.0])
    outcome.errors["TimeoutError"] += 1
    rows = {name: (value, verdict) for name, value, _, verdict in load_test.timing_rows(outcome)}
    assert rows["Interaktion p95"] == ("282 ms", "**verfehlt**")
    assert rows["Fehler"] == ("1", "**verfehlt**")


# --- the page mix and the widget states the simulated browser sends ----------------------------------------------


def test_sessions_take_the_pages_of_the_mix_in_turn() -> None:
    mix = load_test.DEFAULT_MIX
    assert mix == ("projekte", "uebersicht", "partner", "mittelverwendung", "region")
    assert [load_test.page_for(i, mix) for i in range(7)] == [*mix, "projekte", "uebersicht"]
    assert load_test.page_for(-1, mix) == "region"  # warm-up sessions count backwards
    plan = load_test.Plan(("projekte", "region"), "", 3.0, None, 8)
    assert [plan.page_for(i) for i in range(4)] == ["projekte", "region", "projekte", "region"]


def test_page_list_is_checked_against_the_known_filters() -> None:
    assert load_test.parse_pages("projekte, /region,projekte") == ("projekte", "region", "projekte")
    with pytest.raises(ValueError, match="protokoll"):
        load_test.parse_pages("projekte,protokoll")
    with pytest.raises(ValueError, match="keine Seite"):
        load_test.parse_pages(" , ")


def test_command_line_keeps_page_and_adds_pages() -> None:
    assert load_test.parse_args(["--users", "2"]).pages == load_test.DEFAULT_MIX
    assert load_test.parse_args(["--users", "2", "--page", "projekte"]).pages == ("projekte",)
    assert load_test.parse_args(["--churn", "5", "--pages", "region,partner"]).pages == ("region", "partner")
    assert load_test.parse_args(["--users", "2", "--no-write"]).no_write is True
    for wrong in (["--page", "projekte", "--pages", "region"], ["--pages", "unbekannt"], ["--no-write", "--out", "x"]):
        with pytest.raises(SystemExit):
            load_test.parse_args(["--users", "2", *wrong])


def test_date_and_selectbox_states_are_what_streamlits_serde_reads() -> None:
    from streamlit.elements.widgets.multiselect import MultiSelectSerde
    from streamlit.elements.widgets.selectbox import SelectboxSerde
    from streamlit.elements.widgets.time_widgets import DateInputSerde, _DateInputValues
    from streamlit.runtime.state.common import unpack_widget_state_value

    day = load_test.widget_state("$$ID-1-stichtag", "date_input", ("2026-10-04",))
    assert day.id == "$$ID-1-stichtag" and day.WhichOneof("value") == "string_array_value"
    bounds = _DateInputValues.from_raw_values(date(2026, 12, 3), date(2016, 1, 1), date(2036, 1, 1))
    assert DateInputSerde(bounds).deserialize(unpack_widget_state_value(day)) == date(2026, 10, 4)

    codes, labels = ["ALQ", "BEV"], ["Arbeitslosenquote (%)", "Bevölkerung (Personen)"]
    choice = load_test.widget_state("$$ID-2-indikator", "selectbox", ("Bevölkerung (Personen)",))
    assert choice.WhichOneof("value") == "string_value"
    serde = SelectboxSerde(
        codes,
        formatted_options=labels,
        formatted_option_to_option_index={"Arbeitslosenquote (%)": 0, "Bevölkerung (Personen)": 1},
        default_option_index=0,
        format_func=dict(zip(codes, labels, strict=True)).__getitem__,
    )
    assert serde.deserialize(unpack_widget_state_value(choice)) == "BEV"

    picks = load_test.widget_state("$$ID-3-typ", "multiselect", ("IHK", "Landkreis"))
    assert list(picks.string_array_value.data) == ["IHK", "Landkreis"]
    multi = MultiSelectSerde(
        ["ihk", "landkreis"],
        formatted_options=["IHK", "Landkreis"],
        formatted_option_to_option_index={"IHK": 0, "Landkreis": 1},
    )
    assert multi.deserialize(unpack_widget_state_value(picks)) == ["ihk", "landkreis"]

    assert load_test.widget_state("$$ID-4-user", "text_input", "lasttest").string_value == "lasttest"
    assert load_test.widget_state("$$ID-5-FormSubmitter:signin-Anmelden", "button", True).trigger_value is True
    with pytest.raises(ValueError, match="slider"):
        load_test.widget_state("$$ID-6-x", "slider", ("1",))


def test_shown_values_come_from_the_elements() -> None:
    from streamlit.proto.DateInput_pb2 import DateInput
    from streamlit.proto.MultiSelect_pb2 import MultiSelect
    from streamlit.proto.Selectbox_pb2 import Selectbox

    assert load_test.shown_value(Selectbox(options=["a", "b"], default=1)) == ("b",)
    assert load_test.shown_value(Selectbox(options=["a", "b"])) == ()
    assert load_test.shown_value(Selectbox(options=["a", "b"], default=0, raw_value="b", set_value=True)) == ("b",)
    assert load_test.shown_value(MultiSelect(options=["a", "b", "c"], default=[0, 2])) == ("a", "c")
    assert load_test.shown_value(MultiSelect(options=["a"], raw_values=["a"], set_value=True)) == ("a",)
    assert load_test.shown_value(DateInput(default=["2026-12-03"])) == ("2026-12-03",)
    assert load_test.shown_value(DateInput(default=["2026-12-03"], value=["2026-11-03"], set_value=True)) == (
        "2026-11-03",
    )


def test_every_stichtag_change_picks_another_day_within_the_bounds() -> None:
    rng = random.Random(2)
    today, lowest, highest = date(2026, 12, 3), date(2026, 6, 1), date(2026, 12, 3)
    current: date | None = today
    seen = set()
    for _ in range(100):
        day = load_test.next_day(current, lowest, highest, today, rng)
        assert day != current and lowest <= day <= highest
        assert (today - day).days % load_test.DAY_STEP == 0 or day == lowest
        seen.add(day)
        current = day
    assert len(seen) > 3
    # Bounds that leave no other day: the day stays (the rerun still goes out).
    assert load_test.next_day(today, today, today, today, rng) == today


def test_every_selectbox_change_picks_another_option() -> None:
    rng = random.Random(3)
    options = ["A", "B", "C"]
    current = "A"
    for _ in range(50):
        chosen = load_test.next_option(options, current, rng)
        assert chosen != current and chosen in options
        current = chosen
    assert load_test.next_option(["A"], "A", rng) == "A"


def test_a_session_changes_its_pages_filter_and_sends_it() -> None:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    outcome = load_test.Outcome()
    region = load_test.Session("http://127.0.0.1:1", "region", "", outcome, random.Random(5))
    region.widgets = {
        "indikator": load_test.Widget("$$ID-9-indikator", "selectbox", ("A (%)", "B (EW)", "C"), ("A (%)",)),
        "thema": load_test.Widget("$$ID-8-thema", "multiselect", ("X",)),  # another page's filter: left alone
    }
    region.change_filter()
    assert set(region.values) == {"indikator"} and region.values["indikator"][0] in ("B (EW)", "C")
    message = BackMsg()
    message.ParseFromString(region._rerun_message(first=False))
    (state,) = message.rerun_script.widget_states.widgets
    assert state.id == "$$ID-9-indikator" and state.string_value == region.values["indikator"][0]

    overview = load_test.Session("http://127.0.0.1:1", "uebersicht", "", outcome, random.Random(5))
    overview.widgets = {
        "as_of": load_test.Widget("$$ID-7-as_of", "date_input", (), ("2026-12-03",), ("2019-01-01", "2026-12-03"))
    }
    overview.change_filter()
    message.ParseFromString(overview._rerun_message(first=False))
    (state,) = message.rerun_script.widget_states.widgets
    (sent,) = state.string_array_value.data
    assert "2019-01-01" <= sent <= "2026-12-03" and sent == overview.values["as_of"][0]

    # A page whose filter did not render (e.g. a role without access) is an error, as is a changed widget kind.
    funds = load_test.Session("http://127.0.0.1:1", "mittelverwendung", "", outcome, random.Random(5))
    with pytest.raises(RuntimeError, match="stichtag"):
        funds.change_filter()
    funds.widgets = {"stichtag": load_test.Widget("$$ID-6-stichtag", "selectbox", ("a", "b"))}
    with pytest.raises(RuntimeError, match="erwartet date_input"):
        funds.change_filter()


def test_the_report_gives_p50_and_p95_per_page() -> None:
    outcome = load_test.Outcome()
    for elapsed in (100.0, 200.0, 300.0):
        outcome.interaction("region", elapsed)
    outcome.interaction("projekte", 50.0)
    outcome.first_render("region", 900.0)
    outcome.error("partner", "TimeoutError")
    assert outcome.interactions == [100.0, 200.0, 300.0, 50.0]
    assert outcome.errors == {"partner: TimeoutError": 1}
    lines = load_test.page_rows(outcome, ("projekte", "region", "partner", "region"))
    assert len(lines) == 5  # header, rule, one row per page of the mix
    rows = {line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:-1]] for line in lines[2:]}
    assert rows["`/region`"] == ["Indikator", "1", "3", "200 ms", "290 ms", "900 ms", "0"]
    assert rows["`/projekte`"][:5] == ["Handlungsfeld / Status", "0", "1", "50 ms", "50 ms"]
    assert rows["`/partner`"][-1] == "1" and rows["`/partner`"][3] == "–"

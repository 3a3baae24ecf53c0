"""The load test's pure parts: percentiles, the simulated filter walk, and what it reads from /proc and the metrics."""

from __future__ import annotations

import importlib.util
import math
import random
import sys
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

"""Shared helpers of the bench scripts: the app path, their arguments, timed AppTest runs and a p50/p95 line."""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(name: str, values: list[float]) -> None:
    p50, p95 = statistics.median(values), percentile(values, 0.95)
    print(f"{name:30} p50 {p50:7.0f} ms   p95 {p95:7.0f} ms   (n={len(values)})")


def alliance_args() -> argparse.Namespace:
    """``ALLIANCE_SLUG`` (default suedostniedersachsen) and ``--runs N`` (default 5)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("alliance", nargs="?", default="suedostniedersachsen")
    parser.add_argument("--runs", type=int, default=5)
    return parser.parse_args()


class Timings:
    """Milliseconds of AppTest runs per step name, reported in the order the names were given."""

    def __init__(self, *names: str) -> None:
        self.values: dict[str, list[float]] = {name: [] for name in names}

    def run(self, name: str, app: AppTest) -> None:
        started = time.perf_counter()
        app.run()
        self.values[name].append((time.perf_counter() - started) * 1000)
        assert not app.exception, app.exception

    def report(self) -> None:
        for name, values in self.values.items():
            if values:
                report(name, values)

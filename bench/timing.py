"""Shared helpers of the bench scripts: the app path and a p50/p95 report line."""

from __future__ import annotations

import statistics
from pathlib import Path

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(name: str, values: list[float]) -> None:
    p50, p95 = statistics.median(values), percentile(values, 0.95)
    print(f"{name:30} p50 {p50:7.0f} ms   p95 {p95:7.0f} ms   (n={len(values)})")

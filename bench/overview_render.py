"""Time the Cockpit overview in AppTest: first render (cold caches) and a rerun after a widget change.

Usage: COCKPIT_DATABASE_URL=... python bench/overview_render.py [ALLIANCE_SLUG] [--runs N]
Prints p50/p95 in milliseconds. Not part of the test suite: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

import streamlit as st
from streamlit.testing.v1 import AppTest
from timing import APP, report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("alliance", nargs="?", default="suedostniedersachsen")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    cold, warm = [], []
    for _ in range(args.runs):
        st.cache_data.clear()
        app = AppTest.from_file(APP, default_timeout=120)
        app.query_params["alliance"] = args.alliance
        started = time.perf_counter()
        app.run()
        cold.append((time.perf_counter() - started) * 1000)
        assert not app.exception, app.exception
        started = time.perf_counter()
        app.date_input(key="as_of").set_value(date(2024, 6, 30)).run()
        warm.append((time.perf_counter() - started) * 1000)
    for name, values in (("first render (cold caches)", cold), ("rerun after Stichtag change", warm)):
        report(name, values)


if __name__ == "__main__":
    main()

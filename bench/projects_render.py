"""Time the project page in AppTest: first render (cold caches) and reruns after filter changes.

Usage: COCKPIT_DATABASE_URL=... python bench/projects_render.py [ALLIANCE_SLUG] [--runs N]
Prints p50/p95 in milliseconds. Not part of the test suite: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import time

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
        app.run()
        started = time.perf_counter()
        app.switch_page("dashboard/pages/projects.py").run()
        cold.append((time.perf_counter() - started) * 1000)
        assert not app.exception, app.exception
        topics = app.multiselect(key="thema").options
        for topic in topics[:3]:
            started = time.perf_counter()
            app.multiselect(key="thema").set_value([topic]).run()
            warm.append((time.perf_counter() - started) * 1000)
            assert not app.exception, app.exception
    projects = app.metric[0].value
    print(f"alliance {args.alliance}: {projects} projects after the last filter")
    for name, values in (("first render (cold caches)", cold), ("rerun after a filter change", warm)):
        report(name, values)


if __name__ == "__main__":
    main()

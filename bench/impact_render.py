"""Time Ziele & Wirkung and Region in AppTest: first render and reruns after a Stichtag or year change.

Usage: COCKPIT_DATABASE_URL=... python bench/impact_render.py [ALLIANCE_SLUG] [--runs N]
Prints p50/p95 in milliseconds. Not part of the test suite: timings depend on the machine.
"""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st
from streamlit.testing.v1 import AppTest
from timing import APP, Timings, alliance_args


def main() -> None:
    args = alliance_args()
    timings = Timings("targets first", "targets rerun", "region first", "region rerun")
    timed = timings.run

    for run in range(args.runs):
        st.cache_data.clear()
        app = AppTest.from_file(APP, default_timeout=300)
        app.query_params["alliance"] = args.alliance
        app.run()
        app.switch_page("dashboard/pages/targets.py")
        timed("targets first", app)
        for step in range(3):
            app.date_input(key="stichtag").set_value(date(2021, 6, 30) - timedelta(days=91 * (step + 3 * run)))
            timed("targets rerun", app)
        app.switch_page("dashboard/pages/region.py")
        timed("region first", app)
        sliders = app.select_slider
        if sliders:
            options = list(sliders[0].options)
            sliders[0].set_value(options[max(0, len(options) - 2 - run)])
            timed("region rerun", app)
    timings.report()


if __name__ == "__main__":
    main()

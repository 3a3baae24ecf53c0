"""Time Mittelverwendung and Bündnisvergleich in AppTest: first render and reruns after a Stichtag change.

Usage: COCKPIT_DATABASE_URL=... python bench/funds_render.py [ALLIANCE_SLUG] [--runs N]
Prints p50/p95 in milliseconds. Not part of the test suite: timings depend on the machine.
"""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st
from streamlit.testing.v1 import AppTest
from timing import APP, Timings, alliance_args


def main() -> None:
    args = alliance_args()
    timings = Timings("funds first", "funds rerun", "compare first", "compare rerun")
    timed = timings.run

    for run in range(args.runs):
        st.cache_data.clear()
        app = AppTest.from_file(APP, default_timeout=300)
        app.query_params["alliance"] = args.alliance
        app.run()
        app.switch_page("dashboard/pages/funds.py")
        timed("funds first", app)
        for step in range(3):
            app.date_input(key="stichtag").set_value(date(2024, 6, 30) - timedelta(days=91 * (step + 3 * run)))
            timed("funds rerun", app)
        app.switch_page("dashboard/pages/compare.py")
        timed("compare first", app)
        app.date_input(key="vergleich_stichtag").set_value(date(2024, 3, 31) - timedelta(days=30 * run))
        timed("compare rerun", app)
    timings.report()


if __name__ == "__main__":
    main()

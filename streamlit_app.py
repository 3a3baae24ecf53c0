"""Run target of `streamlit run`: hands over to dashboard.app, which builds the navigation."""

# Imported once at start-up, not by the first sessions' threads: Plotly probes pandas while st.dataframe is still
# importing it in another session, and simultaneous first visits then fail with "partially initialized module
# 'pandas'" (bench/load_test.py with no warm-up: 3 of 4 runs had errors, 0 of 6 with this import).
import pandas  # noqa: F401

from dashboard.app import main

main()

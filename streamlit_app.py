"""Run target of `streamlit run`: hands over to dashboard.app, which builds the navigation."""

from dashboard.app import main

main()

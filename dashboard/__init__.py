"""Fachkräfte-Cockpit: the dashboard of a regional skilled-worker alliance."""

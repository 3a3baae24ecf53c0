"""Reusable Streamlit pieces: page context, KPI tiles, empty states."""

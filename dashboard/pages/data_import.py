"""Placeholder until this page lands (issue 5)."""

import streamlit as st

st.title("data_import")

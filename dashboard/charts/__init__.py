"""Pure functions turning frames into Plotly figures."""

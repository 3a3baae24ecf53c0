"""Demo data: the alliances from the press releases plus deterministic example activity, and the scale generator."""

"""Database tables, engine, scoped queries returning Polars frames, and write services."""

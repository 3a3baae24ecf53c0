"""The run command from the README serves the Cockpit: migrates, seeds an empty database, answers health."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.e2e.conftest import get


def test_run_command_serves_health_and_page_with_seeded_data(server: tuple[str, Path]) -> None:
    base, database = server
    assert get(f"{base}/_stcore/health") == (200, "ok")
    status, html = get(f"{base}/")
    assert status == 200 and "<html" in html.lower()
    with sqlite3.connect(database) as connection:
        slugs = {row[0] for row in connection.execute("SELECT slug FROM alliance")}
        journal = connection.execute("PRAGMA journal_mode").fetchone()[0]
    assert "suedostniedersachsen" in slugs
    assert journal == "wal"

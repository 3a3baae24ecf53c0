"""The run command from the README serves the Cockpit: migrates, seeds an empty database, answers health."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode("utf-8", "replace")


@pytest.fixture
def server(tmp_path: Path) -> tuple[str, Path]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_") and k != "DATABASE_URL"}
    env["COCKPIT_DATA_DIR"] = str(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "run", "--headless", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a generous bound for a cold start, not a speed assertion
    try:
        while True:
            try:
                if _get(f"{base}/_stcore/health")[1] == "ok":
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"server did not become healthy:\n{output}")
            time.sleep(0.5)
        yield base, tmp_path / "cockpit.sqlite3"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_run_command_serves_health_and_page_with_seeded_data(server: tuple[str, Path]) -> None:
    base, database = server
    assert _get(f"{base}/_stcore/health") == (200, "ok")
    status, html = _get(f"{base}/")
    assert status == 200 and "<html" in html.lower()
    with sqlite3.connect(database) as connection:
        slugs = {row[0] for row in connection.execute("SELECT slug FROM alliance")}
        journal = connection.execute("PRAGMA journal_mode").fetchone()[0]
    assert "suedostniedersachsen" in slugs
    assert journal == "wal"

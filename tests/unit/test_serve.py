"""dashboard/serve.py: the preload imports what the app and its pages import; Streamlit gets the arguments as given.

The preload runs in a subprocess, so the test sees what a fresh interpreter imports; no server is started.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import serve
from dashboard.ui.access import PAGES

# Imports the first script run paid for before the launcher existed (not loaded by `import dashboard.serve`).
HEAVY = ("pandas", "polars", "sqlalchemy", "sqlmodel", "plotly.graph_objects", "dashboard.app", "dashboard.cache")
# Run as `python -c PRELOAD HEAVY-as-JSON`: what was loaded before and after the preload, and what it named.
PRELOAD = """
import json, sys
from dashboard import serve
heavy = set(json.loads(sys.argv[1]))
before = set(sys.modules)
names = serve.preload()
print(json.dumps({
    "names": names,
    "loaded_before": sorted(heavy & before),
    "loaded_after": sorted(heavy & set(sys.modules)),
    "missing": [name for name in names if name not in sys.modules],
}))
"""


def _python(arguments: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("COCKPIT_", "STREAMLIT_"))}
    return subprocess.run(
        [sys.executable, *arguments], check=False, cwd=cwd, env=clean | env, capture_output=True, text=True, timeout=180
    )


def _dashboard_imports(script: Path) -> set[str]:
    """The dashboard modules a page script names after ``from … import`` (read without ast, as a cross-check)."""
    return set(re.findall(r"^from (dashboard\.[\w.]+) import", script.read_text(encoding="utf-8"), re.MULTILINE))


def test_preload_imports_the_app_and_every_page_module_without_a_database_or_a_log_line(tmp_path: Path) -> None:
    # A database nobody listens on: the preload must not connect (and must not need the project directory).
    done = _python(
        ["-c", PRELOAD, json.dumps(HEAVY)],
        tmp_path,
        COCKPIT_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:9/none",
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # nothing noisy: no "No runtime found" per cached loader
    report = json.loads(done.stdout)
    assert report["missing"] == []
    assert report["loaded_before"] == []
    assert report["loaded_after"] == sorted(HEAVY)
    names = set(report["names"])
    assert {"pandas", "polars", "dashboard.app", "dashboard.cache", "plotly.io", "plotly.tools"} <= names
    for spec in PAGES:
        page = serve.PAGES_DIR / spec.script
        assert _dashboard_imports(page) <= names, spec.script


def test_preload_lists_a_from_import_of_a_module_as_that_module(tmp_path: Path) -> None:
    script = tmp_path / "page.py"
    script.write_text(
        "import polars as pl\nfrom dashboard import cache\nfrom dashboard.i18n import formats, t\n"
        "from .sibling import x\n",
        encoding="utf-8",
    )
    expected = ["polars", "dashboard", "dashboard.cache", "dashboard.i18n", "dashboard.i18n.formats"]
    assert serve._imports_of(script) == expected  # the relative import (no page has one) is left out


def test_run_preloads_then_hands_streamlit_the_arguments_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.web import cli as streamlit_cli

    calls: list[object] = []

    def preload() -> list[str]:
        calls.append("preload")
        return []

    monkeypatch.setattr(serve, "preload", preload)
    monkeypatch.setattr(streamlit_cli, "main", lambda prog_name: calls.append((prog_name, sys.argv[1:])))
    monkeypatch.setattr(sys, "argv", ["/somewhere/dashboard/serve.py"])  # restored after the test

    arguments = ["run", "/app/streamlit_app.py", "--server.port", "8765", "--server.headless", "true", "--", "x"]
    serve.main(arguments)
    assert calls == ["preload", ("streamlit", arguments)]
    assert sys.argv[0] == "/somewhere/dashboard/serve.py"

    calls.clear()
    serve.main(["config", "show"])  # not a server: no preload
    assert calls == [("streamlit", ["config", "show"])]


@pytest.mark.parametrize("arguments", [["--version"], ["run", "--help"], ["no-such-command"]])
def test_the_launcher_answers_like_streamlits_own_command_line(arguments: list[str], tmp_path: Path) -> None:
    launcher = _python(["-m", "dashboard.serve", *arguments], tmp_path)
    streamlit = _python(["-m", "streamlit", *arguments], tmp_path)
    assert (launcher.returncode, launcher.stdout, launcher.stderr) == (
        streamlit.returncode,
        streamlit.stdout,
        streamlit.stderr,
    )
    assert launcher.stdout or launcher.stderr  # Streamlit did answer

"""`cockpit run --config FILE`: the production file reaches Streamlit as STREAMLIT_* variables the environment
does not set already, and Streamlit itself reads them back (``streamlit config show``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit import config as streamlit_config

from dashboard import cli
from dashboard.streamlit_config import APP_DIR, env_name, environment_for, read_production_file

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_FILE = ROOT / "deploy" / "streamlit-production.toml"


def test_variable_names_follow_streamlits_own_rule_for_every_option() -> None:
    options = streamlit_config._config_options_template
    assert options, "Streamlit's option table is empty"
    for key, option in options.items():
        assert env_name(key) == option.env_var, key


def test_the_shipped_production_file_names_only_options_this_streamlit_knows() -> None:
    known = set(streamlit_config._config_options_template)
    options = read_production_file(PRODUCTION_FILE)
    assert set(options) <= known, set(options) - known
    assert options["client.showErrorDetails"] == "none"
    assert options["server.enableXsrfProtection"] is True
    assert options["server.allowedHosts"] == ["cockpit.example.org"]


def test_the_environment_wins_over_the_file_and_lists_become_words() -> None:
    options = {"server.allowedHosts": ["a.example", "*.b.example"], "server.headless": True, "server.maxUploadSize": 50}
    added, kept = environment_for(options, {"STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "20"})
    assert added == {"STREAMLIT_SERVER_ALLOWED_HOSTS": "a.example *.b.example", "STREAMLIT_SERVER_HEADLESS": "true"}
    assert kept == ["STREAMLIT_SERVER_MAX_UPLOAD_SIZE"]


def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # `cockpit run` writes into os.environ before it hands over to Streamlit: give it a copy to write into.
    monkeypatch.setattr(os, "environ", os.environ.copy())
    for name in list(os.environ):
        if name.startswith(("COCKPIT_", "STREAMLIT_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("COCKPIT_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)


class Started(Exception):
    pass


def test_run_hands_the_file_to_streamlit_and_keeps_what_the_environment_sets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _clean(monkeypatch, tmp_path)
    monkeypatch.setenv("STREAMLIT_SERVER_ALLOWED_HOSTS", "127.0.0.1")
    seen: dict[str, str] = {}

    def execv(_path: str, _argv: list[str]) -> None:
        seen.update(os.environ)
        raise Started

    monkeypatch.setattr(os, "execv", execv)
    with pytest.raises(Started):
        cli.main(["run", "--no-seed", "--headless", "--config", str(PRODUCTION_FILE)])
    assert seen["STREAMLIT_CLIENT_SHOW_ERROR_DETAILS"] == "none"
    assert seen["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] == "none"
    assert seen["STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL"] == "120"
    assert seen["STREAMLIT_SERVER_ALLOWED_HOSTS"] == "127.0.0.1"  # the machine's value, not the file's
    out = capsys.readouterr().out
    assert f"Streamlit-Einstellungen aus {PRODUCTION_FILE}: " in out
    assert "aus der Umgebung: STREAMLIT_SERVER_ALLOWED_HOSTS" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[server]\ncookieSecret = "im-git"\n', "server.cookieSecret gehört nicht in diese Datei – ist geheim"),
        ("[server]\nport = 8600\n", "server.port gehört nicht in diese Datei – pro Server mit `cockpit run --port`"),
        ("[server\nheadless = true\n", "ist kein gültiges TOML"),
        ("headless = true\n", "headless steht außerhalb eines Abschnitts wie [server]"),
    ],
)
def test_run_refuses_a_bad_production_file_before_touching_the_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    _clean(monkeypatch, tmp_path)
    shared = tmp_path / "production.toml"
    shared.write_text(content, encoding="utf-8")
    monkeypatch.setattr(os, "execv", lambda *args: pytest.fail("started a server"))
    assert cli.main(["run", "--no-seed", "--config", str(shared)]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "cockpit.sqlite3").exists()


def test_streamlit_reads_the_production_values_with_the_projects_theme_underneath(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STREAMLIT_", "COCKPIT_"))}
    env["HOME"] = str(tmp_path)  # no ~/.streamlit of whoever runs the tests
    env["STREAMLIT_SERVER_ALLOWED_HOSTS"] = "cockpit.example.org cockpit.intern"
    added, _ = environment_for(read_production_file(PRODUCTION_FILE), env)
    shown = subprocess.run(
        [sys.executable, "-m", "streamlit", "config", "show"],
        env={**env, **added},
        cwd=APP_DIR,  # where `cockpit run` starts Streamlit
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    flat = " ".join(shown.split())
    for expected in (
        'showErrorDetails = "none"',
        'toolbarMode = "minimal"',
        "enableXsrfProtection = true",
        "enableCORS = true",
        'allowedHosts = [ "cockpit.example.org", "cockpit.intern", ]',
        'fileWatcherType = "none"',
        "maxUploadSize = 50",
        "disconnectedSessionTTL = 120",
        'primaryColor = "#0072B2"',  # the project's theme still applies
    ):
        assert expected in flat, expected

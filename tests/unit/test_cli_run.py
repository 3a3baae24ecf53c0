"""`cockpit run` builds the Streamlit command: in demo mode the server listens on 127.0.0.1 unless told otherwise.

The server starts through the launcher dashboard/serve.py (``python -m dashboard.serve run …``, which preloads the
app's modules and runs Streamlit's own command line with these arguments; tests/unit/test_serve.py tests it).
No server is started: the tests read the argument list (``streamlit_command``) or catch ``os.execv``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pytest

from dashboard import cli
from dashboard.config import ConfigError, load_settings


def run_args(*extra: str) -> argparse.Namespace:
    return cli.build_parser().parse_args(["run", *extra])


def command_for(env: dict[str, str], *extra: str) -> tuple[list[str], list[str]]:
    settings = load_settings({"COCKPIT_DATA_DIR": "/tmp/cockpit-test", **env})
    return cli.streamlit_command(run_args(*extra), settings, env)


def address_of(command: list[str]) -> str | None:
    if "--server.address" not in command:
        return None
    return command[command.index("--server.address") + 1]


def test_demo_mode_listens_on_this_machine_only_and_says_so() -> None:
    command, notes = command_for({"COCKPIT_DEMO_MODE": "1"}, "--port", "8600", "--headless")
    assert command == [
        sys.executable, "-m", "dashboard.serve", "run", str(cli.APP_FILE),
        "--server.port", "8600", "--server.headless", "true", "--server.address", "127.0.0.1",
    ]  # fmt: skip
    assert notes == [
        "Demo-Modus: nur auf diesem Rechner erreichbar (127.0.0.1); für andere Rechner "
        "COCKPIT_DEMO_ALLOW_REMOTE=1 setzen oder --server.address angeben."
    ]


def test_demo_mode_reaches_the_network_only_when_asked_and_warns() -> None:
    command, notes = command_for({"COCKPIT_DEMO_MODE": "1", "COCKPIT_DEMO_ALLOW_REMOTE": "1"})
    assert address_of(command) is None  # Streamlit's default: every interface
    assert notes[0].startswith("Achtung: Demo-Modus im Netz erreichbar (COCKPIT_DEMO_ALLOW_REMOTE=1)")

    command, notes = command_for({"COCKPIT_DEMO_MODE": "1"}, "--server.address", "0.0.0.0")
    assert address_of(command) == "0.0.0.0"
    assert notes == ["Achtung: Demo-Modus auf der Adresse 0.0.0.0 – dort kann jede Person ohne Passwort arbeiten."]

    command, _ = command_for({"COCKPIT_DEMO_MODE": "1", "COCKPIT_DEMO_ALLOW_REMOTE": "0"})
    assert address_of(command) == "127.0.0.1"


def test_without_demo_mode_the_address_is_streamlits_unless_given() -> None:
    command, notes = command_for({})
    assert (address_of(command), notes) == (None, [])
    assert command[-2:] == ["--server.port", "8501"]
    command, notes = command_for({"COCKPIT_DEMO_ALLOW_REMOTE": "1"}, "--server.address", "10.0.0.5")
    assert (address_of(command), notes) == ("10.0.0.5", [])


def test_a_bad_allow_remote_value_stops_before_anything_happens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [name for name in os.environ if name.startswith("COCKPIT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("COCKPIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COCKPIT_DEMO_MODE", "1")
    monkeypatch.setenv("COCKPIT_DEMO_ALLOW_REMOTE", "vielleicht")
    monkeypatch.setattr(os, "execv", lambda *args: pytest.fail("started a server"))
    assert cli.main(["run", "--no-seed"]) == 2
    assert capsys.readouterr().err.endswith(
        "Konfigurationsfehler – COCKPIT_DEMO_ALLOW_REMOTE: erwartet 1 oder 0 (true/false), erhalten: 'vielleicht'\n"
    )
    assert not (tmp_path / "cockpit.sqlite3").exists()  # no database was created or migrated
    with pytest.raises(ConfigError):
        command_for({"COCKPIT_DEMO_MODE": "1", "COCKPIT_DEMO_ALLOW_REMOTE": "vielleicht"})


def test_cockpit_run_in_demo_mode_hands_streamlit_the_loopback_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [name for name in os.environ if name.startswith("COCKPIT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("COCKPIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COCKPIT_DEMO_MODE", "1")
    monkeypatch.setenv("COCKPIT_DATABASE_URL", "")  # set by `run` for Streamlit; restored after the test
    monkeypatch.chdir(tmp_path)  # `run` changes into the project directory; restored after the test
    started: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(os, "execv", lambda program, command: started.append((program, command)))

    assert cli.main(["run", "--no-seed", "--headless", "--port", "8765"]) == 0
    [(program, command)] = started
    assert program == sys.executable
    assert command[:5] == [sys.executable, "-m", "dashboard.serve", "run", str(cli.APP_FILE)]
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--server.port") + 1] == "8765"
    out = capsys.readouterr().out
    assert "Demo-Modus: nur auf diesem Rechner erreichbar (127.0.0.1)" in out
    assert out.endswith("Fachkräfte-Cockpit: http://localhost:8765\n")
    assert os.environ["COCKPIT_DATABASE_URL"] == f"sqlite:///{(tmp_path / 'cockpit.sqlite3').resolve()}"

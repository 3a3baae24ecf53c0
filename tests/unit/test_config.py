"""Settings come from the environment; bad values end in one clear message naming the setting."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.config import ConfigError, load_settings
from dashboard.data_access.db import check_connection, make_engine


def test_default_is_sqlite_in_data_dir() -> None:
    settings = load_settings({})
    assert settings.database_url == "sqlite:///data/cockpit.sqlite3"
    assert settings.database_setting == "COCKPIT_DATA_DIR"


def test_impact_rules_default_and_from_the_environment() -> None:
    assert load_settings({}).impact_rules.target_tolerance == pytest.approx(0.10)
    assert load_settings({}).impact_rules.suppression_threshold == 5
    rules = load_settings({"COCKPIT_TARGET_TOLERANCE": "20", "COCKPIT_SUPPRESSION_THRESHOLD": "3"}).impact_rules
    assert rules.target_tolerance == pytest.approx(0.20)
    assert rules.suppression_threshold == 3


def test_cockpit_database_url_wins_over_database_url() -> None:
    settings = load_settings({"DATABASE_URL": "postgresql://a/b", "COCKPIT_DATABASE_URL": "sqlite:///x.db"})
    assert settings.database_url == "sqlite:///x.db"
    assert settings.database_setting == "COCKPIT_DATABASE_URL"
    assert load_settings({"DATABASE_URL": "postgresql://a/b"}).database_setting == "DATABASE_URL"


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"COCKPIT_CACHE_TTL": "ten"}, "COCKPIT_CACHE_TTL"),
        ({"COCKPIT_CACHE_MAX_ENTRIES": "0"}, "COCKPIT_CACHE_MAX_ENTRIES"),
        ({"COCKPIT_LANGUAGE": "fr"}, "COCKPIT_LANGUAGE"),
        ({"COCKPIT_PORT": "abc"}, "COCKPIT_PORT"),
        ({"COCKPIT_TARGET_TOLERANCE": "viel"}, "COCKPIT_TARGET_TOLERANCE"),
        ({"COCKPIT_TARGET_TOLERANCE": "100"}, "COCKPIT_TARGET_TOLERANCE"),
        ({"COCKPIT_SUPPRESSION_THRESHOLD": "0"}, "COCKPIT_SUPPRESSION_THRESHOLD"),
    ],
)
def test_bad_values_name_the_setting(env: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(env)
    assert error.value.setting == setting
    assert str(error.value).startswith(setting)


def test_unwritable_sqlite_path_names_the_setting(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            # root ignores permission bits; a path below a regular file can never be created
            target = tmp_path / "file"
            target.write_text("x")
            url = f"sqlite:///{target / 'sub' / 'db.sqlite3'}"
        else:
            url = f"sqlite:///{locked / 'db.sqlite3'}"
        with pytest.raises(ConfigError) as error:
            make_engine(url, "COCKPIT_DATA_DIR")
        assert error.value.setting == "COCKPIT_DATA_DIR"
    finally:
        locked.chmod(0o700)


def test_unreachable_postgres_names_the_setting() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:1/nothing", "COCKPIT_DATABASE_URL")
    with pytest.raises(ConfigError) as error:
        check_connection(engine, "COCKPIT_DATABASE_URL")
    assert error.value.setting == "COCKPIT_DATABASE_URL"
    assert "127.0.0.1" in str(error.value)


def test_invalid_url_and_unsupported_backend() -> None:
    with pytest.raises(ConfigError, match="COCKPIT_DATABASE_URL"):
        make_engine("not a url")
    with pytest.raises(ConfigError, match="mysql"):
        make_engine("mysql://x/y")
    with pytest.raises(ConfigError, match="psycopg2"):
        make_engine("postgresql+psycopg2://x@127.0.0.1/y")


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"COCKPIT_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing"}, "COCKPIT_DATABASE_URL"),
        ({"COCKPIT_DATA_DIR": "/proc/cockpit-cannot-be-here"}, "COCKPIT_DATA_DIR"),
        ({"COCKPIT_PORT": "abc"}, "COCKPIT_PORT"),
    ],
)
def test_cli_reports_bad_configuration_in_one_line(env: dict[str, str], setting: str) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_") and k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "db", "upgrade"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert setting in lines[0]

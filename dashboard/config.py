"""Runtime settings read from COCKPIT_* environment variables, with clear errors for bad values."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = Path("data")
SQLITE_FILE_NAME = "cockpit.sqlite3"
LANGUAGES = ("de", "en")


class ConfigError(Exception):
    """A setting is wrong; the message names the setting and says what to do."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting


@dataclass(frozen=True)
class Settings:
    database_url: str
    # The environment variable the URL came from, so errors can name it.
    database_setting: str
    language: str
    cache_ttl_seconds: int
    cache_max_entries: int
    default_alliance: str
    port: int

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _int_setting(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"erwartet eine ganze Zahl, erhalten: {raw!r}") from None
    if value <= 0:
        raise ConfigError(name, f"muss größer als 0 sein, erhalten: {value}")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment; COCKPIT_DATABASE_URL wins over DATABASE_URL."""
    env = os.environ if env is None else env
    if env.get("COCKPIT_DATABASE_URL"):
        url, setting = env["COCKPIT_DATABASE_URL"], "COCKPIT_DATABASE_URL"
    elif env.get("DATABASE_URL"):
        url, setting = env["DATABASE_URL"], "DATABASE_URL"
    else:
        data_dir = Path(env.get("COCKPIT_DATA_DIR") or DEFAULT_DATA_DIR)
        url, setting = f"sqlite:///{data_dir / SQLITE_FILE_NAME}", "COCKPIT_DATA_DIR"
    language = env.get("COCKPIT_LANGUAGE", "de") or "de"
    if language not in LANGUAGES:
        raise ConfigError("COCKPIT_LANGUAGE", f"unbekannte Sprache {language!r}; erlaubt: {', '.join(LANGUAGES)}")
    return Settings(
        database_url=url,
        database_setting=setting,
        language=language,
        cache_ttl_seconds=_int_setting(env, "COCKPIT_CACHE_TTL", 600),
        cache_max_entries=_int_setting(env, "COCKPIT_CACHE_MAX_ENTRIES", 64),
        default_alliance=env.get("COCKPIT_DEFAULT_ALLIANCE") or "suedostniedersachsen",
        port=_int_setting(env, "COCKPIT_PORT", 8501),
    )

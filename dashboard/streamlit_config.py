"""Streamlit's TOML settings as plain data: what `cockpit run --config` hands to Streamlit and `cockpit doctor` reads.

Streamlit takes its options, from weakest to strongest, from ``~/.streamlit/config.toml``, the project's
``.streamlit/config.toml`` (theme, palette, safe defaults), ``STREAMLIT_*`` environment variables and command-line
flags. A production file (``deploy/streamlit-production.toml``) is handed over as environment variables, but only
those the environment does not set already: the file holds the shared production values, a machine's environment
file (``/etc/cockpit/cockpit.env``) overrides single ones, and ``cockpit run``'s own flags (port, address) win.
This module does not import Streamlit (it runs in the CLI); the variable names follow Streamlit's rule
(``server.allowedHosts`` → ``STREAMLIT_SERVER_ALLOWED_HOSTS``).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashboard.config import ConfigError

APP_DIR = Path(__file__).resolve().parents[1]
CONFIG_DIR = ".streamlit"

# Options a shared file must not carry: `cockpit run` sets the first two per server, and a secret belongs in a
# file only root can read (Streamlit itself refuses the cookie secret as a command-line flag for the same reason).
NOT_IN_FILE = {
    "server.port": "pro Server mit `cockpit run --port` (oder COCKPIT_PORT) setzen",
    "server.address": "pro Server mit `cockpit run --server.address` setzen",
    "server.cookieSecret": "ist geheim: STREAMLIT_SERVER_COOKIE_SECRET in der Umgebungsdatei setzen "
    "(/etc/cockpit/cockpit.env, gleicher Wert auf allen App-Servern)",
}


def env_name(key: str) -> str:
    """The environment variable Streamlit reads for an option (its ``to_snake_case`` rule, upper case)."""
    name = key.replace(".", "_")
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return "STREAMLIT_" + re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).upper()


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    options: dict[str, Any] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            options.update(_flatten(value, f"{key}."))
        else:
            options[key] = value
    return options


def read_toml(path: Path, setting: str = "--config") -> dict[str, Any]:
    """A Streamlit config.toml as ``{"section.option": value}``; a missing or broken file is one ConfigError."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(setting, f"{path} kann nicht gelesen werden ({exc.strerror})") from None
    try:
        parsed = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(setting, f"{path} ist kein gültiges TOML ({exc})") from None
    loose = [name for name, value in parsed.items() if not isinstance(value, Mapping)]
    if loose:
        raise ConfigError(setting, f"{path}: {', '.join(loose)} steht außerhalb eines Abschnitts wie [server]")
    return _flatten(parsed)


def read_production_file(path: Path) -> dict[str, Any]:
    """The options of a production file for `cockpit run --config`, refusing those that must not be shared."""
    options = read_toml(path)
    for key, fix in NOT_IN_FILE.items():
        if key in options:
            raise ConfigError("--config", f"{path}: {key} gehört nicht in diese Datei – {fix}")
    return options


def _env_text(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        items = [str(item) for item in value]
        if any(not item or re.search(r"\s", item) for item in items):
            # Streamlit splits a list variable at white space.
            raise ConfigError("--config", f"{key}: Listeneinträge dürfen weder leer sein noch Leerzeichen enthalten")
        return " ".join(items)
    if isinstance(value, Mapping):
        return json.dumps(value)
    return str(value)


def environment_for(options: Mapping[str, Any], env: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The ``STREAMLIT_*`` variables to add for these options, and the names the environment already sets (kept)."""
    added: dict[str, str] = {}
    kept: list[str] = []
    for key, value in options.items():
        name = env_name(key)
        if name in env:
            kept.append(name)
        else:
            added[name] = _env_text(key, value)
    return added, kept


@dataclass(frozen=True)
class Effective:
    """The value Streamlit will use for one option and where it comes from (None: Streamlit's default)."""

    value: Any
    source: str | None


def _from_env(raw: str, like: Any) -> Any:
    """An environment value read like Streamlit's command line reads it (lists split at white space)."""
    if isinstance(like, bool):
        return raw.strip().lower() in ("true", "1", "yes", "on")
    if isinstance(like, int):
        try:
            return int(raw)
        except ValueError:
            return raw
    if isinstance(like, list):
        return raw.split()
    return raw


def effective_options(
    keys: Mapping[str, Any],
    env: Mapping[str, str],
    *,
    production_file: Path | None = None,
    home: Path | None = None,
    project_dir: Path = APP_DIR,
) -> dict[str, Effective]:
    """What `cockpit run [--config FILE]` makes Streamlit use for each of ``keys`` (key → Streamlit's default).

    Sources as Streamlit ranks them: the user's and the project's config.toml, then the production file (handed
    over as environment variables, so it counts only where the environment does not set the variable), then the
    environment. Every file is read the same way Streamlit reads it; a broken one is a ConfigError.
    """
    layers: list[tuple[str, dict[str, Any]]] = []
    for path in ((home or Path.home()) / CONFIG_DIR / "config.toml", project_dir / CONFIG_DIR / "config.toml"):
        if path.is_file():
            layers.append((str(path), read_toml(path, str(path))))
    if production_file is not None:
        layers.append((str(production_file), read_production_file(production_file)))
    result = {key: Effective(default, None) for key, default in keys.items()}
    for source, options in layers:
        for key in keys:
            if key in options:
                result[key] = Effective(options[key], source)
    for key, default in keys.items():
        name = env_name(key)
        if name in env:
            result[key] = Effective(_from_env(env[name], default), name)
    return result


def secrets_cookie_secret(home: Path | None = None, project_dir: Path = APP_DIR) -> tuple[str, str] | None:
    """``[auth] cookie_secret`` from secrets.toml (Streamlit prefers it to server.cookieSecret), with its file."""
    found: tuple[str, str] | None = None
    for path in ((home or Path.home()) / CONFIG_DIR / "secrets.toml", project_dir / CONFIG_DIR / "secrets.toml"):
        try:
            parsed = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(str(path), f"secrets.toml kann nicht gelesen werden ({exc})") from None
        auth = parsed.get("auth")
        if isinstance(auth, Mapping) and auth.get("cookie_secret"):
            found = (str(auth["cookie_secret"]), str(path))
    return found

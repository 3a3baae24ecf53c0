"""Message catalogues (German default, English) and the translate function every page uses."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LANGUAGE = "de"
LANGUAGES = {"de": "Deutsch", "en": "English"}


def _flatten(prefix: str, node: dict[str, Any], out: dict[str, str]) -> dict[str, str]:
    for key, value in node.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(name, value, out)
        else:
            out[name] = str(value)
    return out


@cache
def catalog(language: str) -> dict[str, str]:
    """All messages of a language as flat dotted keys: ``<lang>.toml`` plus one file per feature in ``<lang>/``."""
    root = resources.files("dashboard.i18n")
    parts = [root.joinpath(f"{language}.toml")]
    folder = root.joinpath(language)
    if folder.is_dir():
        parts += sorted((p for p in folder.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name)
    messages: dict[str, str] = {}
    for part in parts:
        found = _flatten("", tomllib.loads(part.read_text(encoding="utf-8")), {})
        clashes = sorted(set(found) & set(messages))
        if clashes:
            raise ValueError(f"{part.name}: message keys defined twice: {', '.join(clashes)}")
        messages.update(found)
    return messages


def t(key: str, language: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """The message for key in the language (German if missing there), with {placeholders} filled."""
    messages = catalog(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    template = messages.get(key) or catalog(DEFAULT_LANGUAGE).get(key)
    if template is None:
        raise KeyError(f"no message {key!r} in the catalogue")
    return template.format(**params) if params else template


def label(kind: str, code: str, language: str = DEFAULT_LANGUAGE) -> str:
    """Readable label of a vocabulary code (kind: status, member_type, fund, …); the code if unknown."""
    messages = catalog(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    return messages.get(f"{kind}.{code}") or code

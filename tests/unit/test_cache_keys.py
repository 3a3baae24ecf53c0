"""The app's cache plumbing: the schema check remembers only a yes, and the pool cache keys on the settings' text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard import cache
from dashboard.config import load_settings
from dashboard.data_access import migrations


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    """Each test starts and ends without remembered pools or schema answers, even when an assertion fails."""
    cache.engine.clear()
    cache._ready.clear()
    yield
    cache.engine.clear()
    cache._ready.clear()


def test_schema_ready_sees_the_upgrade_at_once_and_then_stops_asking(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings({"COCKPIT_DATABASE_URL": f"sqlite:///{tmp_path / 'cockpit.sqlite3'}"})
    asked: list[str] = []
    real = cache.db.has_schema
    monkeypatch.setattr(cache.db, "has_schema", lambda engine: asked.append(str(engine.url)) or real(engine))

    assert cache.schema_ready(settings) is False
    assert cache.schema_ready(settings) is False  # a no is asked again: the next rerun must see the upgrade
    assert len(asked) == 2

    migrations.upgrade(cache.engine(settings))
    assert cache.schema_ready(settings) is True
    assert cache.schema_ready(settings) is True  # a yes is remembered
    assert len(asked) == 3


def test_equal_settings_share_one_pool_and_other_databases_get_their_own(tmp_path: Path) -> None:
    first = load_settings({"COCKPIT_DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}"})
    again = load_settings({"COCKPIT_DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}"})
    other = load_settings({"COCKPIT_DATABASE_URL": f"sqlite:///{tmp_path / 'b.sqlite3'}"})
    assert again is not first
    assert cache.engine(first) is cache.engine(again)
    assert cache.engine(other) is not cache.engine(first)
    assert str(cache.engine(other).url).endswith("b.sqlite3")

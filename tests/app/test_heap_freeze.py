"""The app freezes its long-lived heap once per process, after the first full run (dashboard/app.py)."""

from __future__ import annotations

import gc
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import app as app_module


def test_the_heap_is_frozen_once_after_the_first_run(
    seeded_url: str, app_for: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(gc, "collect", lambda *args: calls.append("collect") or 0)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(app_module, "_heap_frozen", app_module.threading.Event())  # as in a new process
    app = app_for(seeded_url)
    app.run()
    assert not app.exception and app.title
    assert calls.count("freeze") == 1  # after the first run, collected just before
    assert calls[calls.index("freeze") - 1] == "collect"
    app.run()
    app_for(seeded_url).run()  # … and never again: not on a rerun, not for the next session
    assert calls.count("freeze") == 1

"""AppTest helpers: run streamlit_app.py against a given database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.fixture
def app_for(monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """Build an AppTest of the whole app whose settings point at the given database URL."""

    def build(url: str, **query: str) -> AppTest:
        monkeypatch.setenv("COCKPIT_DATABASE_URL", url)
        app = AppTest.from_file(APP, default_timeout=60)
        for key, value in query.items():
            app.query_params[key] = value
        return app

    return build

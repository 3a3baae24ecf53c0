"""The page benchmark (bench/pages.py) knows every page of the navigation, as a role that may open it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from dashboard.ui.access import PAGES

BENCH = Path(__file__).resolve().parents[2] / "bench" / "pages.py"


def _bench_module() -> ModuleType:
    """Import bench/pages.py without running it (bench/ is no package)."""
    spec = importlib.util.spec_from_file_location("bench_pages", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_every_page_has_a_benchmark() -> None:
    benches = _bench_module().BENCHES
    assert set(benches) == {spec.url_path for spec in PAGES}


def test_each_page_is_benchmarked_as_a_role_that_may_open_it() -> None:
    benches = _bench_module().BENCHES
    refused = {
        spec.url_path: benches[spec.url_path].role for spec in PAGES if benches[spec.url_path].role not in spec.roles
    }
    assert refused == {}


def test_each_benchmark_has_an_interaction_and_a_query_set() -> None:
    for url_path, bench in _bench_module().BENCHES.items():
        assert callable(bench.interaction), url_path
        assert callable(bench.queries), url_path


def test_every_run_shares_one_cache_of_compiled_scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    monkeypatch.setattr(ScriptCache, "__init__", ScriptCache.__init__)  # restored after the test
    bench = _bench_module()
    bench.share_script_cache()
    bench.share_script_cache()  # a second call wraps nothing twice
    script = tmp_path / "page.py"
    script.write_text("x = 1\n", encoding="utf-8")
    first = ScriptCache().get_bytecode(str(script))
    script.write_text("x = 2\n", encoding="utf-8")
    # A new cache (AppTest makes one per run) hands out the code compiled before, as a server's one cache would.
    assert ScriptCache().get_bytecode(str(script)) is first

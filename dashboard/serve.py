"""Server launcher of `cockpit run`: imports the app's modules, then hands over to Streamlit's own command line.

Why: Streamlit imports nothing of the app before the first visitor's script run, so that visitor waited for the
imports of pandas, Polars, SQLAlchemy/SQLModel, Plotly and the dashboard's own modules (2–3 s on two cores).
``python -m dashboard.serve run APP [options]`` does those imports first and then runs ``streamlit run APP
[options]`` in the same process, with the arguments unchanged, so the server answers its health check only once
they are done. bench/server_start.py, 13 starts each on a busy two-core machine (medians): the first page's
Largest Contentful Paint 5.2 s -> 2.6 s (a later load: 1.9 s), health 2.5 s later, RSS at start 71 -> 244 MiB
(after the first page 281 -> 293 MiB). Building a figure per trace type beforehand gained nothing measurable (the
charts skip Plotly's validation; its validators load while dashboard.charts.theme is imported), so it does not.
Any other Streamlit command (``--version``, ``config show``) is passed through without the preload.

It imports Streamlit, an exception to the rule that only app.py, pages/, ui/ and cache.py do: it is the process's
entry point, not a layer, and what it preloads is the app shell itself. It needs no database and starts nothing
else: importing the app's modules runs no query (the engine is made on the first script run). A plain
``streamlit run streamlit_app.py`` still works; it only skips the preload.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

APP_FILE = Path(__file__).resolve().parents[1] / "streamlit_app.py"
PAGES_DIR = Path(__file__).resolve().parent / "pages"
# What the first script run imports besides the app's own imports: Streamlit's st.plotly_chart imports plotly.io
# and plotly.tools (and with it Pillow) on its first chart, and st.dataframe hands Polars frames over as Arrow.
LAZY_IMPORTS = ("plotly.graph_objects", "plotly.io", "plotly.tools", "pyarrow")
# Importing a module with @st.cache_data before the server exists makes Streamlit warn once per cached loader
# ("No runtime found"): expected here, the caches find the runtime on their first call.
QUIET_LOGGERS = ("streamlit.runtime.caching.cache_data_api",)


def _imports_of(script: Path) -> list[str]:
    """The modules a script imports at its top level, a ``from package import module`` as that module."""
    names: list[str] = []
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
            package = importlib.util.find_spec(node.module)
            if package is not None and package.submodule_search_locations is not None:
                names += [
                    f"{node.module}.{alias.name}"
                    for alias in node.names
                    if importlib.util.find_spec(f"{node.module}.{alias.name}") is not None
                ]
    return names


def preload_modules() -> list[str]:
    """The modules to import before serving: the run target's, each page script's, and Streamlit's lazy ones."""
    from dashboard.ui.access import PAGES

    scripts = [APP_FILE, *(PAGES_DIR / spec.script for spec in PAGES)]
    names = [name for script in scripts for name in _imports_of(script)]
    return list(dict.fromkeys([*names, *LAZY_IMPORTS]))


@contextlib.contextmanager
def _quiet(names: Sequence[str]) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def preload() -> list[str]:
    """Import what the first script run would (see preload_modules); the names imported, in order."""
    names = preload_modules()
    with _quiet(QUIET_LOGGERS):
        for name in names:
            importlib.import_module(name)
    return names


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m dashboard.serve ARGS``: ``streamlit ARGS``, after the preload when ARGS start with ``run``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["run"]:
        preload()
    from streamlit.web import cli as streamlit_cli

    sys.argv = [sys.argv[0], *args]  # Streamlit's command line (click) reads its arguments from here
    streamlit_cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()

"""Benchmark every Cockpit page on the large instance: cold first render, warm filter change, floors, bytes sent.

Usage (``make bench``)::

    .venv/bin/python bench/pages.py --db sqlite --db postgresql [--cold 7] [--warm 15] [--page projekte]

For each page of ``dashboard.ui.access.PAGES`` and each database, in one process:

* cold: a fresh AppTest opens the page directly (as a browser opening ``/<url_path>`` does) after
  ``st.cache_data.clear()``; the engine (``st.cache_resource``) stays, as on a running server. One untimed run per
  page first, so module imports are not counted.
* warm: on the last cold session, ``PageBench.interaction`` changes one filter widget per run (a value not used
  before where the widget offers enough; a page without filters changes the alliance).
* framework floor: an empty page (``EMPTY_PAGE``) rendered by AppTest the same way.
* data floor: ``PageBench.queries`` – the page's first-load loaders and queries (the bodies of its
  ``dashboard/cache.py`` loaders, plus the app shell's reads every page makes) called directly, no Streamlit.
* bytes: the ForwardMsgs the first load enqueues, serialised (``ByteSize``), summed. Not counted: HTTP/websocket
  framing, the session's ``new_session`` message, static assets and media/download files, and rows of a lazily
  loaded ``st.dataframe`` beyond its first chunk (the browser fetches those only while scrolling).

Writes ``bench/results/<date>-pages.md`` and a copy ``bench/results/latest.md``. The targets are those of issue 8;
the tests never assert timings (``tests/unit/test_bench_pages.py`` only checks that every page is mapped here).
Module-level imports stay light so the test can import ``BENCHES`` without Streamlit.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dashboard.data_access.vocabulary import Role
from dashboard.ui.access import PAGES, PageSpec

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from streamlit.testing.v1 import AppTest

    from dashboard.config import Settings
    from dashboard.data_access.scope import Scope

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
RESULTS = ROOT / "bench" / "results"
EMPTY_PAGE = 'import streamlit as st\n\nst.title("Leer")\nst.write("Nichts zu sehen.")\n'
ACCOUNTS = {Role.SPEAKER: "bench-speaker", Role.LIAISON: "bench-liaison"}

# Targets of issue 8 (2-core machine, large instance).
WARM_P95_MS = 150.0
COLD_P95_MS = 1500.0
MAX_KB = 2048.0
MAX_RATIO = 2.0


# --- what a page loads: the data floor ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DataContext:
    """What the page's loaders get: the engine, the role's scope, the alliance row, the settings, the day."""

    engine: Engine
    scope: Scope
    username: str
    alliance: dict[str, Any]
    settings: Settings
    as_of: date

    @property
    def alliance_id(self) -> int:
        return int(self.alliance["id"])


def shell(c: DataContext) -> None:
    """The app shell's reads on every run (app.py): schema check, the signed-in account, the alliance list."""
    from dashboard.data_access import accounts, db, queries

    db.has_schema(c.engine)
    accounts.find_account(c.engine, c.username)
    queries.alliances(c.engine, c.scope)


def overview_data(c: DataContext) -> None:
    """cache.overview_data: budget, flows, status and member-type counts, members, Kreise, topics."""
    from dashboard.data_access import queries

    e, s, a = c.engine, c.scope, c.alliance_id
    queries.budget_by_fund_year(e, s, a)
    queries.financial_flows_by_day(e, s, a)
    queries.project_status_counts(e, s, a)
    queries.member_type_counts(e, s, a)
    queries.members(e, s, a)
    queries.alliance_regions(e, s, a)
    queries.topics(e, s, a)


def target_tracking(c: DataContext) -> None:
    from dashboard import loaders

    loaders.target_tracking(c.engine, c.scope, c.alliance_id, c.as_of, c.settings.impact_rules)


def overview_queries(c: DataContext) -> None:
    overview_data(c)
    target_tracking(c)


def projects_queries(c: DataContext) -> None:
    from dashboard.data_access import queries
    from dashboard.data_access.project_filter import ProjectFilter, filter_projects

    overview_data(c)
    filter_projects(queries.project_portfolio(c.engine, c.scope, c.alliance_id), ProjectFilter())


def applications_queries(c: DataContext) -> None:
    from dashboard.data_access import applications

    overview_data(c)
    flt = applications.ApplicationFilter()
    applications.pipeline(c.engine, c.scope, c.alliance_id, flt, today=c.as_of)
    applications.pipeline_stages(c.engine, c.scope, c.alliance_id, flt, today=c.as_of)


def funds_queries(c: DataContext) -> None:
    from dashboard import loaders
    from dashboard.data_access import queries

    queries.alliance_funds(c.engine, c.scope, c.alliance_id)
    loaders.fund_use_view(c.engine, c.scope, c.alliance, c.as_of, funds=(), rules=c.settings.fund_rules)


def targets_queries(c: DataContext) -> None:
    from dashboard import loaders
    from dashboard.data_access import impact

    target_tracking(c)
    impact.project_list(c.engine, c.scope, c.alliance_id)
    impact.project_regions(c.engine, c.scope, c.alliance_id)
    loaders.esf_summary(c.engine, c.scope, c.alliance_id, c.as_of, rules=c.settings.impact_rules, for_others=False)


def region_queries(c: DataContext) -> None:
    import polars as pl

    from dashboard.data_access import queries, regional
    from dashboard.domain.units import is_rate_unit

    e, s, a = c.engine, c.scope, c.alliance_id
    indicators = regional.regional_indicators(e, s, a)
    if indicators.is_empty():
        return
    # The page's defaults (ui/region.py): the first rate indicator, its total (or first breakdown).
    rates = indicators.filter(is_rate_unit(pl.col("unit")))
    indicator = (rates if not rates.is_empty() else indicators).row(0, named=True)
    options = list(indicator["dimensions"])
    regional.regional_series(e, s, a, int(indicator["id"]), "" if "" in options else options[0])
    regional.money_by_region(e, s, a, c.as_of)
    queries.alliance_regions(e, s, a)


def partners_queries(c: DataContext) -> None:
    from dashboard.data_access import partners
    from dashboard.domain.partners import network_layout

    overview = partners.partner_overview(c.engine, c.scope, c.alliance_id, as_of=c.as_of)
    network = partners.partner_network(c.engine, c.scope, c.alliance_id)
    network_layout(overview["member_id"].to_list(), network)


def compare_queries(c: DataContext) -> None:
    from dashboard import loaders

    loaders.alliance_comparison(c.engine, c.scope, c.as_of, c.settings.fund_rules)


def maintain_queries(c: DataContext) -> None:
    """The open tab (projects): its form options and the editable projects (ui/maintain_projects.py)."""
    from dashboard.data_access import editing

    editing.form_options(c.engine, c.scope, c.alliance_id)
    editing.editable_projects(c.engine, c.scope, c.alliance_id)


def import_queries(c: DataContext) -> None:
    """Nothing but the shell until a file is uploaded."""


def audit_queries(c: DataContext) -> None:
    from dashboard.data_access import audit_trail

    options = audit_trail.audit_filter_options(c.engine, c.scope, c.alliance_id)
    if not options.is_empty:
        flt = audit_trail.AuditFilter()
        audit_trail.audit_entries(c.engine, c.scope, c.alliance_id, **flt.as_kwargs(), language="de")
        audit_trail.audit_count(c.engine, c.scope, c.alliance_id, **flt.as_kwargs())


# --- what a user changes: the warm interaction ----------------------------------------------------------------------

Interaction = Callable[["AppTest", int], str]  # sets a widget for warm run i (no run); says what it set


def _other_alliance(app: AppTest, i: int) -> str:
    """Fallback of a page without filter widgets: pick another alliance in the sidebar."""
    picker = app.selectbox(key="alliance")
    current = picker.index or 0
    index = (current + 1 + i) % len(picker.options)
    picker.select_index(index)
    return f"Bündnis → {picker.options[index]}"


def change_date(key: str) -> Interaction:
    """A date input (Stichtag): a different day each run, 30 days apart going back from today."""

    def interact(app: AppTest, i: int) -> str:
        from dashboard.domain.overview import today

        try:
            widget = app.date_input(key=key)
        except KeyError:
            return _other_alliance(app, i)
        day = today() - timedelta(days=30 * (i + 1))
        widget.set_value(day)
        return f"{key} = {day:%d.%m.%Y}"

    return interact


def pick_subset(key: str) -> Interaction:
    """A multiselect: the i-th distinct choice of one option, then of two options."""

    def interact(app: AppTest, i: int) -> str:
        try:
            widget = app.multiselect(key=key)
        except KeyError:
            return _other_alliance(app, i)
        options = list(widget.options)
        choices = [[option] for option in options] + [list(pair) for pair in itertools.combinations(options, 2)]
        if not choices:
            return _other_alliance(app, i)
        chosen = choices[i % len(choices)]
        widget.set_value(chosen)
        return f"{key} = {' + '.join(chosen)}"

    return interact


def pick_option(key: str) -> Interaction:
    """A selectbox: the next option each run (a cached one again once all were seen)."""

    def interact(app: AppTest, i: int) -> str:
        try:
            widget = app.selectbox(key=key)
        except KeyError:
            return _other_alliance(app, i)
        if len(widget.options) < 2:
            return _other_alliance(app, i)
        index = (i + 1) % len(widget.options)
        widget.select_index(index)
        return f"{key} = {widget.options[index]}"

    return interact


def pick_segment(key: str, values: Callable[[], list[str]]) -> Interaction:
    """A segmented control: the next of its values (given as codes, the widget formats them)."""

    def interact(app: AppTest, i: int) -> str:
        try:
            widget = app.button_group(key=key)
        except KeyError:
            return _other_alliance(app, i)
        codes = values()
        code = codes[(i + 1) % len(codes)]
        widget.set_value(code)
        return f"{key} = {code}"

    return interact


def _import_formats() -> list[str]:
    from dashboard.ui.data_import import FORMAT_CHOICES

    return list(FORMAT_CHOICES)


# --- the mapping: every page in PAGES ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PageBench:
    """How to benchmark one page: as which role, which filter change, and which data makes its floor."""

    role: Role
    interaction: Interaction
    queries: Callable[[DataContext], None]  # the page's own loads; ``shell`` is added to every page


BENCHES: dict[str, PageBench] = {
    "uebersicht": PageBench(Role.SPEAKER, change_date("as_of"), overview_queries),
    "projekte": PageBench(Role.SPEAKER, pick_subset("thema"), projects_queries),
    "antraege": PageBench(Role.SPEAKER, pick_subset("handlungsfeld"), applications_queries),
    "mittelverwendung": PageBench(Role.LIAISON, change_date("stichtag"), funds_queries),
    "ziele": PageBench(Role.SPEAKER, change_date("stichtag"), targets_queries),
    "region": PageBench(Role.SPEAKER, pick_option("indikator"), region_queries),
    "partner": PageBench(Role.SPEAKER, pick_subset("typ"), partners_queries),
    "buendnisvergleich": PageBench(Role.LIAISON, change_date("vergleich_stichtag"), compare_queries),
    "daten-pflegen": PageBench(Role.SPEAKER, pick_option("mp_pick"), maintain_queries),
    "import": PageBench(Role.SPEAKER, pick_segment("import_format", _import_formats), import_queries),
    "protokoll": PageBench(Role.SPEAKER, pick_option("aktion"), audit_queries),
}


# --- measuring ------------------------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 7 runs is the slowest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))  # ceil
    return ordered[int(rank) - 1]


@dataclass
class Result:
    page: PageSpec
    role: Role
    db: str
    cold: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    data: list[float] = field(default_factory=list)
    framework: float = 0.0
    kb: float = 0.0
    messages: int = 0
    interaction: str = ""
    error: str = ""

    @property
    def data_p50(self) -> float:
        return statistics.median(self.data) if self.data else 0.0

    @property
    def ratio(self) -> float:
        floor = self.framework + self.data_p50
        return statistics.median(self.cold) / floor if self.cold and floor else float("nan")

    def misses(self) -> list[str]:
        if self.error:
            return ["Fehler"]
        missed = []
        if self.warm and percentile(self.warm, 0.95) > WARM_P95_MS:
            missed.append("warm")
        if self.cold and percentile(self.cold, 0.95) > COLD_P95_MS:
            missed.append("kalt")
        if self.kb > MAX_KB:
            missed.append("KB")
        if self.ratio > MAX_RATIO:
            missed.append("Verhältnis")
        return missed


_components: list[Any] = []  # the one BidiComponentManager all AppTests share


def _new_app(app: AppTest) -> AppTest:
    """Share one component registry: AppTest scans the installed packages for components in every new session
    (~120 ms here), a server once at start."""
    if not _components:
        from streamlit.components.v2.component_manager import BidiComponentManager

        manager = BidiComponentManager()
        manager.discover_and_register_components(start_file_watching=False)
        _components.append(manager)
    app._bidi_component_manager = _components[0]
    return app


_bytecode: dict[str, Any] = {}  # the compiled scripts every AppTest shares (see share_script_cache)


def share_script_cache() -> None:
    """One cache of compiled scripts for every AppTest run, like a server's for all its sessions.

    AppTest makes a new ScriptCache for each run, so every run compiles streamlit_app.py and the page script again
    (0.5–1 ms, more for the long form pages); a server compiles each script once per process. Bounded by the
    number of scripts. Pages and the empty-page floor share it alike.
    """
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    make = ScriptCache.__init__
    if getattr(make, "shared", False):
        return

    def shared_init(self: ScriptCache) -> None:
        make(self)
        self._cache = _bytecode

    shared_init.shared = True  # type: ignore[attr-defined]
    ScriptCache.__init__ = shared_init  # type: ignore[method-assign]


def _clear_caches() -> None:
    import logging

    import streamlit as st

    logging.disable(logging.WARNING)  # outside a script run Streamlit warns of its bare mode on every clear
    try:
        st.cache_data.clear()
    finally:
        logging.disable(logging.NOTSET)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _fresh_app(spec: PageSpec, username: str, slug: str) -> AppTest:
    """A new session opening the page's URL directly, already signed in as ``username``."""
    from streamlit.testing.v1 import AppTest
    from streamlit.util import calc_hash

    from dashboard.ui import auth

    app = _new_app(AppTest.from_file(APP, default_timeout=300))
    app.session_state[auth.USER] = username
    app.session_state[auth.METHOD] = "password"
    app.session_state[auth.LAST_ACTIVE] = auth.clock()
    app.query_params["alliance"] = slug
    # st.Page hashes its url_path: requesting that hash on the first run is what opening /<url_path> does
    # (AppTest.switch_page would need a first run on the default page).
    app._page_hash = calc_hash(spec.url_path)
    return app


def _check(app: AppTest, spec: PageSpec) -> None:
    if app.exception:
        raise RuntimeError(f"{spec.url_path}: {app.exception[0].message}")
    if not app.title:
        raise RuntimeError(f"{spec.url_path}: no title rendered (not signed in, or no access?)")


def framework_floor(runs: int) -> float:
    """p50 of an empty Streamlit page rendered by AppTest (the framework's own cost per run)."""
    from streamlit.testing.v1 import AppTest

    _new_app(AppTest.from_string(EMPTY_PAGE)).run()
    values = []
    for _ in range(runs):
        app = _new_app(AppTest.from_string(EMPTY_PAGE, default_timeout=60))
        started = time.perf_counter()
        app.run()
        values.append(_ms(started))
    return statistics.median(values)


def sent_bytes(spec: PageSpec, username: str, slug: str) -> tuple[float, int]:
    """KB and number of the ForwardMsgs a cold first load enqueues (counted as they are enqueued)."""
    from streamlit.runtime.forward_msg_queue import ForwardMsgQueue

    sizes: list[int] = []
    _clear_caches()
    app = _fresh_app(spec, username, slug)
    previous = ForwardMsgQueue._before_enqueue_msg
    ForwardMsgQueue._before_enqueue_msg = lambda msg: sizes.append(msg.ByteSize())
    try:
        app.run()
    finally:
        ForwardMsgQueue._before_enqueue_msg = previous
    _check(app, spec)
    return sum(sizes) / 1024, len(sizes)


def measure_page(spec: PageSpec, db: str, data: DataContext, slug: str, args: argparse.Namespace) -> Result:
    bench = BENCHES[spec.url_path]
    result = Result(spec, bench.role, db)
    username = data.username
    try:
        for _ in range(args.floor_runs):
            started = time.perf_counter()
            shell(data)
            bench.queries(data)
            result.data.append(_ms(started))
        _clear_caches()
        warmup = _fresh_app(spec, username, slug).run()  # imports, compiled regexes, i18n catalogues
        _check(warmup, spec)
        app = warmup
        for _ in range(args.cold):
            _clear_caches()
            app = _fresh_app(spec, username, slug)
            started = time.perf_counter()
            app.run()
            result.cold.append(_ms(started))
            _check(app, spec)
        done = []
        for i in range(args.warm):
            done.append(bench.interaction(app, i))
            started = time.perf_counter()
            app.run()
            result.warm.append(_ms(started))
            _check(app, spec)
        result.interaction = done[0] if len(set(done)) <= 1 else f"{done[0]} … ({len(set(done))} Werte)"
        result.kb, result.messages = sent_bytes(spec, username, slug)
    except Exception as exc:  # a broken page must not stop the run: it is reported as a miss
        result.error = f"{type(exc).__name__}: {exc}"[:300]
    return result


# --- the instance, its accounts and its biggest alliance --------------------------------------------------------


def bench_account(engine: Engine, role: Role) -> str:
    """A password-less account of the role linked to every alliance (like the demo scopes), created once."""
    from sqlalchemy import insert, select
    from sqlmodel import col

    from dashboard.data_access.models import Alliance, UserAccount, UserAlliance, utcnow

    username = ACCOUNTS[role]
    with engine.begin() as connection:
        if connection.execute(select(col(UserAccount.id)).where(col(UserAccount.username) == username)).first():
            return username
        now = utcnow()
        user_id = connection.execute(
            insert(UserAccount).values(
                username=username, display_name=username, role=role.value, version=1, created_at=now, updated_at=now
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        ids = connection.execute(select(col(Alliance.id))).scalars().all()
        connection.execute(
            insert(UserAlliance), [{"user_id": user_id, "alliance_id": a, "member_id": None} for a in ids]
        )
    return username


def biggest_alliance(engine: Engine) -> str:
    """The slug of the alliance with the most projects (the worst case a page meets)."""
    from sqlalchemy import func, select
    from sqlmodel import col

    from dashboard.data_access.models import Alliance, Project

    with engine.connect() as connection:
        row = connection.execute(
            select(col(Alliance.slug), func.count(col(Project.id)).label("n"))
            .join(Project, col(Project.alliance_id) == col(Alliance.id))
            .group_by(col(Alliance.slug))
            .order_by(func.count(col(Project.id)).desc(), col(Alliance.slug))
            .limit(1)
        ).one()
    return str(row[0])


def run_database(
    db: str, specs: list[PageSpec], args: argparse.Namespace, framework: float
) -> tuple[list[Result], str]:
    import instance  # bench/instance.py, next to this script

    from dashboard.config import load_settings
    from dashboard.data_access import accounts
    from dashboard.data_access.db import make_engine
    from dashboard.domain.overview import today

    url = instance.ensure(db)
    os.environ["COCKPIT_DATABASE_URL"] = url
    os.environ.pop("COCKPIT_DEMO_MODE", None)
    os.environ.pop("DATABASE_URL", None)
    settings = load_settings()
    engine = make_engine(url)
    slug = args.alliance or biggest_alliance(engine)
    counts = instance.row_counts(engine)
    users = {role: bench_account(engine, role) for role in ACCOUNTS}
    from dashboard.data_access import queries

    results = []
    for spec in specs:
        bench = BENCHES[spec.url_path]
        username = users[bench.role]
        account = accounts.find_account(engine, username)
        assert account is not None
        scope = account.scope()
        alliance = queries.alliances(engine, scope).filter(slug=slug).row(0, named=True)
        data = DataContext(engine, scope, username, alliance, settings, today())
        print(f"[{db}] {spec.url_path} as {bench.role.value} …", flush=True)
        result = measure_page(spec, db, data, slug, args)
        result.framework = framework
        results.append(result)
        print("   " + _line(result), flush=True)
    describe = f"{instance.describe(db)}: " + ", ".join(f"{k} {v:,}".replace(",", ".") for k, v in counts.items())
    describe += f"; Bündnis `{slug}`"
    if db == "postgresql":
        describe += f"; {instance.settings(engine)}"
    engine.dispose()
    return results, describe


# --- the report ---------------------------------------------------------------------------------------------------


def _fmt(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{statistics.median(values):.0f} / {percentile(values, 0.95):.0f}"


def _line(r: Result) -> str:
    if r.error:
        return f"FEHLER {r.error}"
    return (
        f"cold {_fmt(r.cold)} ms  warm {_fmt(r.warm)} ms  floors {r.framework:.0f}+{r.data_p50:.0f} ms  "
        f"ratio {r.ratio:.1f}×  {r.kb:.0f} KB  [{r.interaction}]"
    )


def _machine(instances: list[str]) -> list[str]:
    import polars
    import sqlalchemy
    import streamlit

    lines = [
        f"- Rechner: {os.cpu_count()} Kerne, {platform.machine()}, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, Streamlit {streamlit.__version__}, Polars {polars.__version__}, "
        f"SQLAlchemy {sqlalchemy.__version__}",
    ]
    lines += [f"- Instanz {text}" for text in instances]
    return lines


def markdown(results: list[Result], instances: list[str], args: argparse.Namespace) -> str:
    head = [
        f"# Seiten-Benchmark {date.today():%d.%m.%Y}",
        "",
        *_machine(instances),
        f"- Läufe: {args.cold} kalt, {args.warm} warm, {args.floor_runs} Datenboden; Zeiten in ms als p50 / p95; "
        f"Befehl `{' '.join(['bench/pages.py', *sys.argv[1:]])}`",
        f"- Ziele: warm p95 ≤ {WARM_P95_MS:.0f} ms, kalt p95 ≤ {COLD_P95_MS:.0f} ms, ≤ {MAX_KB / 1024:.0f} MB, "
        f"Verhältnis kalt p50 / (Framework + Daten) ≤ {MAX_RATIO:.0f}×",
        "",
        "| Seite | Rolle | DB | kalt p50/p95 | warm p50/p95 | Framework | Daten | Verhältnis | KB | Ziele | "
        "Filterwechsel |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    rows = []
    for r in results:
        if r.error:
            cells = [r.page.url_path, r.role.value, r.db, *["–"] * 6, "✗ Fehler", r.error]
            rows.append("| " + " | ".join(cells) + " |")
            continue
        missed = r.misses()
        mark = "✓" if not missed else "✗ " + ", ".join(missed)
        rows.append(
            f"| {r.page.url_path} | {r.role.value} | {r.db} | {_fmt(r.cold)} | {_fmt(r.warm)} | {r.framework:.0f} | "
            f"{r.data_p50:.0f} | {r.ratio:.1f}× | {r.kb:.0f} | {mark} | {r.interaction} |"
        )
    foot = [
        "",
        "kalt: frische Sitzung öffnet die Seite direkt, `st.cache_data` geleert (Engine und übersetzte Skripte "
        "bleiben, wie auf einem laufenden Server). warm: dieselbe Sitzung nach einem Filterwechsel (Spalte "
        "rechts). Framework: leere Seite in AppTest. Daten: die Abfragen und Loader der Seite beim ersten Laden "
        "direkt, ohne Streamlit (inkl. der Lesezugriffe der App-Hülle). KB: serialisierte ForwardMsgs des ersten "
        "Ladens, ohne HTTP-/Websocket-Rahmen, statische Dateien, Medien/Downloads und Tabellenzeilen, die ein "
        "Browser erst beim Scrollen nachlädt.",
    ]
    return "\n".join([*head, *rows, *foot]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark every Cockpit page on the large instance.")
    parser.add_argument("--db", action="append", choices=["sqlite", "postgresql"], help="repeatable; default both")
    parser.add_argument("--page", action="append", help="url_path of a page (repeatable; default every page)")
    parser.add_argument("--cold", type=int, default=7, help="cold first renders per page (default 7)")
    parser.add_argument("--warm", type=int, default=15, help="warm filter changes per page (default 15)")
    parser.add_argument("--floor-runs", type=int, default=5, help="runs of each floor (default 5)")
    parser.add_argument("--alliance", help="alliance slug (default: the one with the most projects)")
    parser.add_argument("--no-write", action="store_true", help="print only, write no result file")
    args = parser.parse_args()
    specs = [spec for spec in PAGES if not args.page or spec.url_path in args.page]
    if not specs:
        parser.error(f"unknown page; known: {', '.join(spec.url_path for spec in PAGES)}")
    share_script_cache()
    framework = framework_floor(args.floor_runs * 3)
    print(f"framework floor (empty page): {framework:.0f} ms", flush=True)
    results: list[Result] = []
    instances: list[str] = []
    for db in args.db or ["sqlite", "postgresql"]:
        found, describe = run_database(db, specs, args, framework)
        results += found
        instances.append(describe)
    report = markdown(results, instances, args)
    print(report)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        target = RESULTS / f"{date.today():%Y-%m-%d}-pages.md"
        target.write_text(report, encoding="utf-8")
        shutil.copyfile(target, RESULTS / "latest.md")
        print(f"written: {target.relative_to(ROOT)} and bench/results/latest.md")


if __name__ == "__main__":
    main()

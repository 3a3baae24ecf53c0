"""Load test: N simulated users drive one `cockpit run` server over Streamlit's own websocket protocol.

Each simulated user does what the browser does: it opens ``/_stcore/stream``, sends a ``rerun_script`` BackMsg
with a ClientState (query string, page, widget states, browser context), reads the ForwardMsgs until
``script_finished`` and learns the page's widgets (ids, kinds, options, shown values, date bounds) from the delta
elements. The sessions are spread over a mix of pages (``--pages``, default projekte, uebersicht, partner,
mittelverwendung, region: session i opens page i mod 5), as real use is. An interaction sets one main filter of
the session's page (``PAGE_FILTERS``, the keys bench/pages.py changes: Handlungsfeld/Status multiselects, Stichtag
date inputs, the partner type multiselect, the region's indicator selectbox) and is timed from sending the rerun
to receiving ``script_finished``, which is what a user waits for before the page stops being "running". The
report gives p50/p95 overall (the target) and per page. The demo mode's default role, speaker, may open every
page of the mix (mittelverwendung: speaker, liaison, admin); a ``--username`` account needs such a role too.

Two scenarios (both may run in one call; each gets a fresh server so their memory figures do not mix):

- ``--users 20 --duration 60``: 20 users stay connected and change a filter every few seconds (think time);
  reports p50/p95 interaction time, throughput, errors, the server's RSS and CPU, and the load average.
- ``--churn 200``: 200 sessions that each connect, render, interact once and disconnect (in waves of
  ``--wave``); the server's RSS is taken after the first wave and after all sessions, each after a settle time.

By default the script starts ``cockpit run`` itself in demo mode on a fresh SQLite database (seeded with the demo
alliances) on 127.0.0.1 and a free port. ``--database-url`` points it at another database: an SQLite file runs in
demo mode too (e.g. the large instance of `make bench`, ``--query alliance=<slug>``); PostgreSQL has no demo mode,
so pass ``--username`` of an account (``cockpit users add``) and its password in ``COCKPIT_LOAD_PASSWORD``, and the
sessions sign in through the form. ``--url`` tests a running server instead (RSS and CPU only with ``--server-pid``).
``--config deploy/streamlit-production.toml`` runs the server with the production settings. Results go to
``bench/results/<date>-load.md`` (``--no-write``: only printed); the exit code is 1 when a target is missed.

Before each scenario one session per page opens it alone (``--warmup 1``), as a first visitor would; ``--warmup 0
--ramp 0`` lets all users hit a cold server at once. ``--profile FILE`` makes the started server sample its own
thread stacks into FILE (bench/load_profile/sitecustomize.py), ``--set OPTION=VALUE`` tries a Streamlit option.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import weakref
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ContextInfo
from streamlit.proto.DateInput_pb2 import DateInput
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.MultiSelect_pb2 import MultiSelect
from streamlit.proto.Selectbox_pb2 import Selectbox
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin, Subprotocol

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PROFILER = ROOT / "bench" / "load_profile"
# Targets of issue 8 (one server process, 2 cores).
TARGET_P95_MS = 250.0
TARGET_MEMORY_GROWTH = 0.20


@dataclass(frozen=True)
class Filter:
    """A page's main filter widget: its ``key=`` (also its URL parameter), its Streamlit element kind, its name."""

    key: str
    kind: str  # "multiselect", "selectbox" or "date_input" (the Element oneof)
    label: str


# Each page's main filter, as bench/pages.py BENCHES changes it (same keys); a session changes one of its page's
# filters per interaction. "antraege" and "ziele" are known but not in the default mix.
PAGE_FILTERS: dict[str, tuple[Filter, ...]] = {
    "projekte": (Filter("thema", "multiselect", "Handlungsfeld"), Filter("status", "multiselect", "Status")),
    "uebersicht": (Filter("as_of", "date_input", "Stichtag"),),
    "partner": (Filter("typ", "multiselect", "Partnertyp"),),
    "mittelverwendung": (Filter("stichtag", "date_input", "Stichtag"),),
    "region": (Filter("indikator", "selectbox", "Indikator"),),
    "antraege": (Filter("handlungsfeld", "multiselect", "Handlungsfeld"),),
    "ziele": (Filter("stichtag", "date_input", "Stichtag"),),
}
# The default spread of the sessions over the pages: session i opens DEFAULT_MIX[i % len(DEFAULT_MIX)]. The demo's
# default role (speaker) may open all of them; mittelverwendung needs speaker, liaison or admin (ui/access.py).
DEFAULT_MIX = ("projekte", "uebersicht", "partner", "mittelverwendung", "region")
# Most filters a simulated user keeps in one multiselect before it clears it again.
MAX_PICKS = 2
# A Stichtag a user picks: today or one of the days 30, 60, … days before it (within the widget's min and max).
DAY_STEP = 30
DAY_CHOICES = 12
INTERACTION_TIMEOUT_S = 60.0
LOCAL = "127.0.0.1"


# --- pure parts: statistics, the filter walk, /proc and metrics parsing, the report ------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` quantile (0..1) with linear interpolation between the closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def next_selection(options: Sequence[str], current: Sequence[str], rng: random.Random) -> list[str]:
    """A user's next choice in a multiselect: add or remove one option; a full selection is cleared instead.

    Every call changes the selection (so every interaction really reruns with a new filter).
    """
    if len(current) >= MAX_PICKS:
        return []
    if current and rng.random() < 0.3:
        dropped = rng.choice(current)
        return [value for value in current if value != dropped]
    free = [option for option in options if option not in current]
    return [*current, rng.choice(free)] if free else []


def next_option(options: Sequence[str], current: str | None, rng: random.Random) -> str:
    """A user's next choice in a selectbox: any other option (the only one when there is just one)."""
    if not options:
        raise ValueError("Auswahlfeld ohne Optionen")
    others = [option for option in options if option != current]
    return rng.choice(others) if others else options[0]


def next_day(current: date | None, lowest: date, highest: date, today: date, rng: random.Random) -> date:
    """A user's next Stichtag: today or a day a multiple of DAY_STEP days before it, kept within the widget's
    bounds, never the current day unless the bounds leave no other."""
    candidates = {min(max(today - timedelta(days=DAY_STEP * n), lowest), highest) for n in range(DAY_CHOICES)}
    others = sorted(day for day in candidates if day != current)
    return rng.choice(others) if others else (current or min(max(today, lowest), highest))


def _iso_day(text: str, fallback: date) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return fallback


def page_for(number: int, pages: Sequence[str]) -> str:
    """The page session ``number`` opens: they take the mix in turn (warm-up sessions count backwards from -1)."""
    return pages[number % len(pages)]


def parse_pages(text: str) -> tuple[str, ...]:
    """``--pages projekte,region``: the URL paths in order (repeats weight a page), each with a known main filter."""
    pages = tuple(part.strip().strip("/") for part in text.split(",") if part.strip())
    if not pages:
        raise ValueError("keine Seite angegeben")
    unknown = [page for page in pages if page not in PAGE_FILTERS]
    if unknown:
        raise ValueError(f"ohne bekannten Filter: {', '.join(unknown)} (bekannt: {', '.join(PAGE_FILTERS)})")
    return pages


def parse_proc_status(text: str) -> dict[str, int]:
    """VmRSS/VmHWM (KiB) and Threads from the text of /proc/<pid>/status."""
    found: dict[str, int] = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM", "Threads"):
            found[name] = int(value.split()[0])
    return found


_METRIC_LINE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})?\s+(?P<value>[-0-9.eE+]+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text: str) -> dict[str, float]:
    """The figures we report from Streamlit's OpenMetrics text (``/_stcore/metrics``).

    ``cache_memory_bytes`` is summed per cache type (st_cache_data, st_session_state, ...), the session gauges and
    counters are taken as they are.
    """
    figures: dict[str, float] = {}
    for line in text.splitlines():
        match = _METRIC_LINE.match(line.strip())
        if not match:
            continue
        name, value = match["name"], float(match["value"])
        labels = dict(_LABEL.findall(match["labels"] or ""))
        if name == "cache_memory_bytes":
            key = f"memory.{labels.get('cache_type', '?')}"
            figures[key] = figures.get(key, 0.0) + value
        elif name == "active_sessions":
            figures["sessions.active"] = value
        elif name == "session_events_total":
            figures[f"sessions.{labels.get('type', '?')}"] = value
    return figures


@dataclass
class Outcome:
    """What the simulated users measured, in milliseconds."""

    first_renders: list[float] = field(default_factory=list)
    interactions: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    bytes_received: int = 0
    # The same per page (URL path); the lists above hold every page's figures.
    page_first_renders: dict[str, list[float]] = field(default_factory=dict)
    page_interactions: dict[str, list[float]] = field(default_factory=dict)
    page_errors: Counter[str] = field(default_factory=Counter)

    def error_count(self) -> int:
        return sum(self.errors.values())

    def first_render(self, page: str, elapsed: float) -> None:
        self.first_renders.append(elapsed)
        self.page_first_renders.setdefault(page, []).append(elapsed)

    def interaction(self, page: str, elapsed: float) -> None:
        self.interactions.append(elapsed)
        self.page_interactions.setdefault(page, []).append(elapsed)

    def error(self, page: str, text: str) -> None:
        self.errors[f"{page}: {text}"] += 1
        self.page_errors[page] += 1


@dataclass(frozen=True)
class Sample:
    """The server at one moment: RSS (KiB, None without a pid), threads and Streamlit's metrics."""

    label: str
    rss_kib: int | None
    threads: int | None
    metrics: dict[str, float]


def ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:,.0f} ms".replace(",", ".")


def mib(kib: int | None) -> str:
    return "–" if kib is None else f"{kib / 1024:,.1f} MiB".replace(",", "X").replace(".", ",").replace("X", ".")


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("erfüllt" if ok else "**verfehlt**")


def growth(before: int | None, after: int | None) -> float | None:
    if not before or after is None:
        return None
    return (after - before) / before


def timing_rows(outcome: Outcome, *, judged: bool = True) -> list[tuple[str, str, str, str]]:
    """(measure, value, target, verdict) rows of the response times; ``judged=False`` leaves the p95 unjudged
    (the churn scenario's waves start 10 sessions at once, which is not the active-user load of the target)."""
    p95 = percentile(outcome.interactions, 0.95)
    p95_row = ("Interaktion p95", ms(p95), "", "")
    if judged:
        p95_row = (
            "Interaktion p95",
            ms(p95),
            f"≤ {TARGET_P95_MS:.0f} ms",
            verdict(None if math.isnan(p95) else p95 <= TARGET_P95_MS),
        )
    return [
        ("Interaktionen (gemessen)", str(len(outcome.interactions)), "", ""),
        ("Interaktion p50", ms(percentile(outcome.interactions, 0.50)), "", ""),
        p95_row,
        ("Interaktion max", ms(max(outcome.interactions, default=math.nan)), "", ""),
        ("Erster Aufruf p50", ms(percentile(outcome.first_renders, 0.50)), "", ""),
        ("Erster Aufruf p95", ms(percentile(outcome.first_renders, 0.95)), "", ""),
        ("Fehler", str(outcome.error_count()), "0", verdict(outcome.error_count() == 0)),
    ]


def sample_rows(samples: Sequence[Sample]) -> list[str]:
    """A Markdown table of the server samples (RSS, threads, Streamlit's own memory and session figures)."""
    lines = [
        "| Zeitpunkt | RSS | Threads | aktive Sitzungen | Sitzungen getrennt | st.cache_data | Session State "
        "| Mediendateien |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for sample in samples:
        metric = sample.metrics.get
        sizes = [
            metric(f"memory.{kind}") for kind in ("st_cache_data", "st_session_state", "st_memory_media_file_storage")
        ]
        lines.append(
            f"| {sample.label} | {mib(sample.rss_kib)} | {sample.threads if sample.threads is not None else '–'} "
            f"| {metric('sessions.active', math.nan):.0f} | {metric('sessions.disconnect', math.nan):.0f} | "
            + " | ".join(mib(None if size is None else int(size / 1024)) for size in sizes)
            + " |"
        )
    return lines


def page_rows(outcome: Outcome, pages: Sequence[str]) -> list[str]:
    """A Markdown table of the response times per page (each page of the mix once, in mix order); the target is
    judged on all pages together (``timing_rows``), so this table has none."""
    lines = [
        "| Seite | Filter | Aufrufe | Interaktionen | p50 | p95 | Erster Aufruf p50 | Fehler |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for page in dict.fromkeys(pages):
        times = outcome.page_interactions.get(page, [])
        firsts = outcome.page_first_renders.get(page, [])
        names = " / ".join(spec.label for spec in PAGE_FILTERS.get(page, ()))
        lines.append(
            f"| `/{page}` | {names or '–'} | {len(firsts)} | {len(times)} | {ms(percentile(times, 0.50))} "
            f"| {ms(percentile(times, 0.95))} | {ms(percentile(firsts, 0.50))} | {outcome.page_errors.get(page, 0)} |"
        )
    return lines


def markdown_table(rows: Sequence[tuple[str, str, str, str]]) -> list[str]:
    lines = ["| Messgröße | Wert | Ziel | Ergebnis |", "| --- | ---: | ---: | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return lines


# --- the server ---------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOCAL, 0))
        return int(probe.getsockname()[1])


def read_proc(pid: int) -> dict[str, int]:
    try:
        return parse_proc_status(Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return {}


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (its threads included) from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def http_get(url: str, timeout: float = 5.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return str(response.read().decode("utf-8"))


@dataclass
class Server:
    """A server under test: its base URL and, when we started it or were told, its pid."""

    url: str
    pid: int | None
    process: subprocess.Popen[bytes] | None = None
    workdir: Path | None = None
    log: Path | None = None

    def sample(self, label: str) -> Sample:
        status = read_proc(self.pid) if self.pid else {}
        try:
            metrics = parse_metrics(http_get(f"{self.url}/_stcore/metrics"))
        except OSError:
            metrics = {}
        return Sample(label, status.get("VmRSS"), status.get("Threads"), metrics)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


@dataclass(frozen=True)
class ServerSetup:
    """How to start the server under test."""

    database_url: str | None = None
    streamlit_env: dict[str, str] = field(default_factory=dict)
    config: Path | None = None  # `cockpit run --config FILE`, e.g. deploy/streamlit-production.toml
    log: Path | None = None
    profile: Path | None = None


def start_server(setup: ServerSetup) -> Server:
    """`cockpit run` on 127.0.0.1 and a free port: demo mode on a fresh SQLite database unless a database URL is given.

    With a production file (``--config``) the server accepts the Host 127.0.0.1 unless the environment says
    otherwise; with ``profile`` it samples its own stacks into that file (bench/load_profile/sitecustomize.py).
    """
    database_url, profile = setup.database_url, setup.profile
    workdir = Path(tempfile.mkdtemp(prefix="cockpit-load-"))
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("COCKPIT_", "STREAMLIT_"))}
    env.update(setup.streamlit_env)
    command = [str(Path(sys.executable).with_name("cockpit")), "run", "--port", str(port), "--server.address", LOCAL]
    if setup.config is not None:
        command += ["--config", str(setup.config)]
        env.setdefault("STREAMLIT_SERVER_ALLOWED_HOSTS", LOCAL)
    env["COCKPIT_PORT"] = str(port)
    if database_url:
        env["COCKPIT_DATABASE_URL"] = database_url
    else:
        env["COCKPIT_DATA_DIR"] = str(workdir / "data")
    if not database_url or database_url.startswith("sqlite"):
        env["COCKPIT_DEMO_MODE"] = "1"  # the role picker: no accounts needed (the Cockpit allows it on SQLite only)
    for name in ("COCKPIT_CACHE_TTL", "COCKPIT_CACHE_MAX_ENTRIES"):
        if name in os.environ:
            env[name] = os.environ[name]
    if profile is not None:
        env["COCKPIT_LOAD_PROFILE"] = str(profile.resolve())
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROFILER), env.get("PYTHONPATH")]))
    log = setup.log or workdir / "server.log"
    with log.open("wb") as sink:
        # `cockpit run` migrates, seeds an empty database and then exec()s Streamlit: the pid stays the server's.
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    server = Server(f"http://{LOCAL}:{port}", process.pid, process, workdir, log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            server.stop()
            raise SystemExit(f"Server beendet (Exit {process.returncode}), Log: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            if http_get(f"{server.url}/_stcore/health", timeout=2) == "ok":
                return server
        time.sleep(0.5)
    server.stop()
    raise SystemExit("Server nicht innerhalb von 120 s bereit")


# --- one simulated browser ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Widget:
    """A widget the server rendered: its element id, kind (the Element oneof), option labels (multiselect,
    selectbox), the value it shows (option labels or ISO days) and a date input's bounds (ISO days)."""

    id: str
    kind: str
    options: tuple[str, ...] = ()
    current: tuple[str, ...] = ()
    bounds: tuple[str, str] = ("", "")


# Widget kinds whose state the browser sends as string_array_value (date_input: ISO days, YYYY-MM-DD).
ARRAY_KINDS = ("multiselect", "date_input")
STRING_KINDS = ("selectbox", "text_input", "string")
TRIGGER_KINDS = ("button", "trigger")


def widget_state(widget_id: str, kind: str, value: Sequence[str] | str | bool) -> WidgetState:
    """The WidgetState the browser sends for a widget, as Streamlit 1.67 reads it (its serde gets whichever field
    is set): a multiselect's chosen option labels and a date input's ISO days (DateInputSerde) as
    string_array_value; a selectbox's option label as string_value (the frontend's setStringValue; an int index
    would reach SelectboxSerde as an unknown value); text as string_value; a button as trigger_value."""
    entry = WidgetState(id=widget_id)
    if isinstance(value, bool):
        if kind not in TRIGGER_KINDS:
            raise TypeError(f"{kind}: Wahrheitswert nur für Knöpfe")
        entry.trigger_value = value
    elif kind in ARRAY_KINDS:
        entry.string_array_value.data.extend([value] if isinstance(value, str) else value)
    elif kind in STRING_KINDS:
        entry.string_value = value if isinstance(value, str) else (value[0] if value else "")
    else:
        raise ValueError(f"Widget-Art {kind!r} wird nicht gesendet")
    return entry


def shown_value(element: MultiSelect | Selectbox | DateInput) -> tuple[str, ...]:
    """The value a multiselect, selectbox or date input shows: the one the script set (``set_value``, e.g. from
    the URL or session state), else its default (option indices for the selects, ISO days for a date input)."""
    if isinstance(element, MultiSelect):
        if element.set_value:
            return tuple(element.raw_values)
        return tuple(element.options[i] for i in element.default if 0 <= i < len(element.options))
    if isinstance(element, Selectbox):
        if element.set_value:
            return (element.raw_value,) if element.HasField("raw_value") else ()
        if element.HasField("default") and 0 <= element.default < len(element.options):
            return (element.options[element.default],)
        return ()
    return tuple(element.value if element.set_value else element.default)


def next_value(widget: Widget, current: Sequence[str], rng: random.Random, today: date) -> tuple[str, ...]:
    """A user's next value of a filter widget (``current``: what it holds now), as the widget state sends it."""
    if widget.kind == "multiselect":
        return tuple(next_selection(widget.options, list(current), rng))
    if widget.kind == "selectbox":
        return (next_option(widget.options, current[0] if current else None, rng),)
    if widget.kind == "date_input":
        lowest = _iso_day(widget.bounds[0], date.min)
        highest = _iso_day(widget.bounds[1], date.max)
        shown = _iso_day(current[0], today) if current else None
        return (next_day(shown, lowest, highest, today, rng).isoformat(),)
    raise ValueError(f"Widget-Art {widget.kind!r} ist kein Filter")


def user_key(widget_id: str) -> str | None:
    """The ``key=`` a widget was created with: Streamlit ends its element id with it (``$$ID-<hash>-<key>``)."""
    parts = widget_id.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[0] == "$$ID" else None


def usable(widget: Widget | None) -> bool:
    """Whether a user can change the widget: a multiselect with options, a selectbox with two, any date input."""
    if widget is None:
        return False
    if widget.kind == "multiselect":
        return bool(widget.options)
    if widget.kind == "selectbox":
        return len(widget.options) > 1
    return widget.kind == "date_input"


class Session:
    """One browser tab on one page: the websocket, the widget states it sends and what it learnt from the server."""

    def __init__(self, base_url: str, page: str, query: str, outcome: Outcome, rng: random.Random) -> None:
        parts = urlsplit(base_url)
        self.stream_url = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}{parts.path}/_stcore/stream"
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.page = page
        self.query = query
        self.outcome = outcome
        self.rng = rng
        self.page_hash = ""
        self.widgets: dict[str, Widget] = {}
        # The filter values this tab has set (key -> option labels or ISO days), sent with every rerun.
        self.values: dict[str, tuple[str, ...]] = {}
        self.extra_states: dict[str, tuple[str, str | bool]] = {}
        # The browser's message cache: hash -> the run it was last used in, and the cached message itself.
        self.cached: dict[str, int] = {}
        self.elements: dict[str, ForwardMsg] = {}
        self.max_cached_age = 2
        self.runs = 0
        self.context = ContextInfo(
            timezone="Europe/Berlin",
            timezone_offset=-60,
            locale="de-DE",
            url=f"{base_url}/{page}",
            is_embedded=False,
            color_scheme="light",
        )
        self.ws: ClientConnection | None = None

    async def __aenter__(self) -> Session:
        # Like the browser: subprotocol "streamlit", then the XSRF token slot (empty: the demo needs no auth cookie).
        self.ws = await connect(
            self.stream_url,
            subprotocols=[Subprotocol("streamlit")],
            origin=Origin(self.origin),
            max_size=None,
            open_timeout=30,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        # A closed tab: the close frame makes the server disconnect the session (and keep it for reconnects
        # for server.disconnectedSessionTTL).
        if self.ws is not None:
            await self.ws.close()

    def _rerun_message(self, first: bool) -> bytes:
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query
        if first:
            state.page_name = self.page
        else:
            state.page_script_hash = self.page_hash
        state.context_info.CopyFrom(self.context)
        state.cached_message_hashes.extend(sorted(self.cached))
        for key, values in self.values.items():
            widget = self.widgets.get(key)
            if widget is not None:
                state.widget_states.widgets.append(widget_state(widget.id, widget.kind, values))
        for key, (kind, value) in self.extra_states.items():
            widget = self.widgets.get(key)
            if widget is not None:
                state.widget_states.widgets.append(widget_state(widget.id, kind, value))
        return message.SerializeToString()

    async def rerun(self, first: bool = False) -> float:
        """Send one rerun and read until its script_finished; the milliseconds it took."""
        assert self.ws is not None
        started = time.perf_counter()
        await self.ws.send(self._rerun_message(first))
        self.runs += 1
        widgets: dict[str, Widget] = {}
        while True:
            data = await asyncio.wait_for(self.ws.recv(), INTERACTION_TIMEOUT_S)
            self.outcome.bytes_received += len(data)
            message = ForwardMsg()
            message.ParseFromString(data)
            kind = message.WhichOneof("type")
            if kind == "ref_hash":
                # The browser replays a message it still holds for a hash the server sent instead of the message.
                self.cached[message.ref_hash] = self.runs
                message = self.elements.get(message.ref_hash, message)
                kind = message.WhichOneof("type")
            elif message.metadata.cacheable and message.hash:
                self.cached[message.hash] = self.runs
                self.elements[message.hash] = message
            if kind == "new_session":
                # A script run starts (after st.rerun() a second one within this rerun): its elements replace the page.
                widgets = {}
                self.page_hash = message.new_session.page_script_hash
                self.max_cached_age = message.new_session.config.max_cached_message_age or self.max_cached_age
            elif kind == "navigation":
                # With st.navigation the page this run shows is named here (new_session names the main script).
                self.page_hash = message.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query = message.page_info_changed.query_string
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                self._learn(message.delta.new_element, widgets)
            elif kind == "script_finished":
                status = message.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # st.rerun() inside the script: the next run follows on the same rerun
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    self.outcome.error(self.page, "Skript-Kompilierfehler")
                break
        elapsed = (time.perf_counter() - started) * 1000
        self.widgets = widgets
        self.cached = {key: run for key, run in self.cached.items() if self.runs - run < self.max_cached_age}
        self.elements = {key: message for key, message in self.elements.items() if key in self.cached}
        return elapsed

    def _learn(self, element: Element, widgets: dict[str, Widget]) -> None:
        kind = element.WhichOneof("type")
        if kind is None:
            return
        if kind == "exception":
            exception = element.exception
            self.outcome.error(self.page, f"{exception.type}: {exception.message[:120]}")
            return
        inner = getattr(element, kind)
        widget_id = getattr(inner, "id", "")
        key = user_key(widget_id) if widget_id else None
        if not key:
            return
        options = tuple(str(option) for option in getattr(inner, "options", ()) if isinstance(option, str))
        if isinstance(inner, MultiSelect | Selectbox | DateInput):
            bounds = (inner.min, inner.max) if isinstance(inner, DateInput) else ("", "")
            widgets[key] = Widget(widget_id, kind, options, shown_value(inner), bounds)
        else:
            widgets[key] = Widget(widget_id, kind, options)

    async def sign_in(self, username: str, password: str) -> float:
        """The sign-in form (no demo mode): fill both fields and press the submit button, as the browser would."""
        submit = next((key for key in self.widgets if key.startswith("FormSubmitter:signin")), None)
        if submit is None:
            raise RuntimeError("Anmeldeformular ohne Absende-Knopf")
        self.extra_states = {
            "signin_user": ("text_input", username),
            "signin_password": ("text_input", password),
            submit: ("button", True),
        }
        elapsed = await self.rerun()
        self.extra_states = {}
        if "signin_user" in self.widgets:
            raise RuntimeError("Anmeldung fehlgeschlagen (Benutzername/Passwort?)")
        return elapsed

    def change_filter(self) -> None:
        """Pick one of the page's filter widgets (PAGE_FILTERS) and change its value."""
        filters = PAGE_FILTERS[self.page]
        present = [spec for spec in filters if usable(self.widgets.get(spec.key))]
        if not present:
            keys = ", ".join(spec.key for spec in filters)
            raise RuntimeError(f"keiner der Filter ({keys}) auf der Seite {self.page!r} (Rolle ohne Zugriff?)")
        spec = self.rng.choice(present)
        widget = self.widgets[spec.key]
        if widget.kind != spec.kind:
            raise RuntimeError(f"{self.page}: {spec.key!r} ist {widget.kind}, erwartet {spec.kind}")
        current = self.values.get(spec.key, widget.current)
        self.values[spec.key] = next_value(widget, current, self.rng, date.today())


# The Cockpit checks the password of only one of several simultaneous sign-ins to an account (the others count as
# failures and throttle it, accounts.authenticate): the simulated users, sharing one account, sign in one by one.
_sign_in_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


async def open_session(session: Session, credentials: tuple[str, str] | None) -> None:
    """The first render; without demo mode the sign-in, whose run renders the deep-linked page (counted instead)."""
    elapsed = await session.rerun(first=True)
    if credentials is not None and "signin_user" in session.widgets:
        lock = _sign_in_locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        async with lock:
            elapsed = await session.sign_in(*credentials)
    session.outcome.first_render(session.page, elapsed)


async def interact(session: Session) -> None:
    session.change_filter()
    session.outcome.interaction(session.page, await session.rerun())


def _record_failure(outcome: Outcome, page: str, exc: BaseException) -> None:
    name = type(exc).__name__
    outcome.error(page, f"{name}: {str(exc)[:120]}" if str(exc) else name)


# --- the scenarios -----------------------------------------------------------------------------------------------


@dataclass
class Plan:
    pages: tuple[str, ...]  # the mix: session i opens pages[i % len(pages)]
    query: str
    think: float
    credentials: tuple[str, str] | None
    seed: int

    def page_for(self, number: int) -> str:
        return page_for(number, self.pages)


async def active_user(
    server: Server, plan: Plan, outcome: Outcome, number: int, *, start_after: float, deadline: float
) -> None:
    rng = random.Random(plan.seed * 1000 + number)
    page = plan.page_for(number)
    await asyncio.sleep(start_after)
    try:
        async with Session(server.url, page, plan.query, outcome, rng) as session:
            await open_session(session, plan.credentials)
            while True:
                # "Every few seconds": think times spread around the mean so the users do not march in step.
                await asyncio.sleep(rng.uniform(0.5 * plan.think, 1.5 * plan.think))
                if time.monotonic() >= deadline:
                    break
                await interact(session)
    except Exception as exc:
        _record_failure(outcome, page, exc)


@dataclass
class ActiveResult:
    cold: dict[str, list[float]]  # page -> first renders of the warm-up sessions
    users: int
    duration: float
    outcome: Outcome
    samples: list[Sample]
    window_seconds: float
    server_cpu: float | None
    client_cpu: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]


async def warm_up(server: Server, plan: Plan, sessions: int) -> dict[str, list[float]]:
    """The first visitors before the clock starts, one after the other: ``sessions`` per page of the mix (their
    first renders per page, ms)."""
    outcome = Outcome()
    for round_ in range(sessions):
        for page in dict.fromkeys(plan.pages):
            await churn_session(server, plan, outcome, -1 - round_, page=page)
    if outcome.errors:
        raise SystemExit(f"Aufwärmen fehlgeschlagen: {dict(outcome.errors)}")
    return outcome.page_first_renders


async def run_active(
    server: Server, plan: Plan, users: int, *, duration: float, ramp: float, warmup: int
) -> ActiveResult:
    cold = await warm_up(server, plan, warmup)
    outcome = Outcome()
    samples = [server.sample("vor dem Lauf" + (f" ({warmup} Sitzung je Seite zum Aufwärmen)" if warmup else ""))]
    load_before = os.getloadavg()
    cpu_before = cpu_seconds(server.pid) if server.pid else None
    client_before = time.process_time()
    started = time.monotonic()
    deadline = started + ramp + duration

    async def sample_midway() -> None:
        await asyncio.sleep(ramp + duration / 2)
        samples.append(await asyncio.to_thread(server.sample, f"während des Laufs ({users} Nutzer verbunden)"))

    await asyncio.gather(
        sample_midway(),
        *(
            active_user(server, plan, outcome, n, start_after=ramp * n / max(users, 1), deadline=deadline)
            for n in range(users)
        ),
    )
    window = time.monotonic() - started
    cpu_after = cpu_seconds(server.pid) if server.pid else None
    samples.append(server.sample(f"nach {users} Nutzern"))
    return ActiveResult(
        cold=cold,
        users=users,
        duration=duration,
        outcome=outcome,
        samples=samples,
        window_seconds=window,
        server_cpu=None if cpu_before is None or cpu_after is None else cpu_after - cpu_before,
        client_cpu=time.process_time() - client_before,
        load_before=load_before,
        load_after=os.getloadavg(),
    )


async def churn_session(server: Server, plan: Plan, outcome: Outcome, number: int, page: str | None = None) -> None:
    rng = random.Random(plan.seed * 1000 + number)
    page = page or plan.page_for(number)
    try:
        async with Session(server.url, page, plan.query, outcome, rng) as session:
            await open_session(session, plan.credentials)
            await interact(session)
    except Exception as exc:
        _record_failure(outcome, page, exc)


async def settled_sample(server: Server, label: str, settle: float) -> Sample:
    """Wait ``settle`` seconds, then take the median RSS of three samples a second apart."""
    await asyncio.sleep(settle)
    samples = []
    for _ in range(3):
        samples.append(server.sample(label))
        await asyncio.sleep(1)
    known = [s for s in samples if s.rss_kib is not None]
    if not known:
        return samples[-1]
    return sorted(known, key=lambda s: s.rss_kib or 0)[len(known) // 2]


@dataclass
class ChurnResult:
    sessions: int
    wave: int
    outcome: Outcome
    samples: list[Sample]
    after_first: Sample
    after_all: Sample
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    cold: dict[str, list[float]]
    settle: float


async def run_churn(server: Server, plan: Plan, sessions: int, *, wave: int, settle: float, warmup: int) -> ChurnResult:
    cold = await warm_up(server, plan, warmup)
    outcome = Outcome()
    samples = [server.sample("vor dem Lauf" + (f" ({warmup} Sitzung je Seite zum Aufwärmen)" if warmup else ""))]
    load_before = os.getloadavg()
    done = 0
    after_first: Sample | None = None
    while done < sessions:
        size = min(wave, sessions - done)
        await asyncio.gather(*(churn_session(server, plan, outcome, done + n) for n in range(size)))
        done += size
        if after_first is None:
            after_first = await settled_sample(server, f"nach {done} Sitzungen", settle)
            samples.append(after_first)
        elif done % max(wave, sessions // 4) == 0 and done < sessions:
            samples.append(server.sample(f"nach {done} Sitzungen (ohne Pause)"))
    after_all = await settled_sample(server, f"nach {done} Sitzungen", settle)
    samples.append(after_all)
    assert after_first is not None
    return ChurnResult(
        sessions, wave, outcome, samples, after_first, after_all, load_before, os.getloadavg(), cold, settle
    )


# --- the report ----------------------------------------------------------------------------------------------------


def _load(values: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.2f}".replace(".", ",") for value in values)


def cold_text(cold: dict[str, list[float]]) -> str:
    """The warm-up sessions' first renders, per page."""
    return ", ".join(f"`/{page}` {ms(value)}" for page, values in cold.items() for value in values) or "–"


def mix_text(pages: Sequence[str]) -> str:
    """The spread of the sessions, e.g. "`/projekte` (Handlungsfeld / Status), `/region` (Indikator)"."""
    return ", ".join(
        f"`/{page}` ({' / '.join(spec.label for spec in PAGE_FILTERS.get(page, ())) or '–'})" for page in pages
    )


def active_report(result: ActiveResult, think: float, pages: Sequence[str] = DEFAULT_MIX) -> list[str]:
    outcome = result.outcome
    throughput = len(outcome.interactions) / result.window_seconds if result.window_seconds else 0.0
    lines = [
        f"## {result.users} aktive Nutzer, {result.duration:.0f} s",
        "",
        f"Nutzerin i öffnet die Seite i mod {len(pages)} von {mix_text(pages)} und ändert nach "
        + f"{think * 0.5:g}–{think * 1.5:g} s Bedenkzeit".replace(".", ",")
        + " einen Filter ihrer Seite; gemessen vom Senden des Reruns bis `script_finished`. Das Ziel gilt für alle "
        "Seiten zusammen.",
        "",
        *markdown_table(
            [
                *timing_rows(outcome),
                ("Durchsatz", f"{throughput:.1f} Interaktionen/s".replace(".", ","), "", ""),
                ("Empfangene Daten", f"{outcome.bytes_received / 1e6:.1f} MB".replace(".", ","), "", ""),
                (
                    "CPU des Servers",
                    "–"
                    if result.server_cpu is None
                    else f"{result.server_cpu:.1f} s in {result.window_seconds:.0f} s "
                    f"({100 * result.server_cpu / result.window_seconds:.0f} % eines Kerns)".replace(".", ","),
                    "",
                    "",
                ),
                (
                    "Server-CPU je Skriptlauf",
                    "–"
                    if result.server_cpu is None
                    else ms(1000 * result.server_cpu / max(len(outcome.interactions) + len(outcome.first_renders), 1)),
                    "",
                    "",
                ),
                ("CPU des Lastgenerators", f"{result.client_cpu:.1f} s".replace(".", ","), "", ""),
                (
                    "Aufwärmen (erster Aufruf, kalter Server)",
                    cold_text(result.cold),
                    "",
                    "",
                ),
                ("Load average vorher (1/5/15 min)", _load(result.load_before), "", ""),
                ("Load average nachher (1/5/15 min)", _load(result.load_after), "", ""),
            ]
        ),
        "",
        "Je Seite:",
        "",
        *page_rows(outcome, pages),
        "",
        *sample_rows(result.samples),
        "",
    ]
    lines += _error_lines(outcome)
    return lines


def churn_report(result: ChurnResult, pages: Sequence[str] = DEFAULT_MIX) -> list[str]:
    first, last = result.after_first, result.after_all
    change = growth(first.rss_kib, last.rss_kib)
    lines = [
        f"## {result.sessions} Sitzungen kommen und gehen",
        "",
        f"Wellen von {result.wave} gleichzeitigen Sitzungen: verbinden, Seite aufbauen, einen Filter ändern, trennen "
        f"(Sitzung i auf Seite i mod {len(pages)} von {mix_text(pages)}). "
        f"RSS nach {result.settle:g} s Pause (Median aus drei Messungen). Die Zeiten sind die einer Welle, die auf "
        "einmal ankommt, nicht die der aktiven Nutzer (ohne Ziel).",
        "",
        *markdown_table(
            [
                (f"RSS nach {result.wave} Sitzungen", mib(first.rss_kib), "", ""),
                (f"RSS nach {result.sessions} Sitzungen", mib(last.rss_kib), "", ""),
                (
                    "Zuwachs",
                    "–" if change is None else f"{100 * change:+.1f} %".replace(".", ","),
                    f"≤ {100 * TARGET_MEMORY_GROWTH:.0f} %",
                    verdict(None if change is None else change <= TARGET_MEMORY_GROWTH),
                ),
                *timing_rows(result.outcome, judged=False),
                ("Aufwärmen (erster Aufruf, kalter Server)", cold_text(result.cold), "", ""),
                ("Load average vorher (1/5/15 min)", _load(result.load_before), "", ""),
                ("Load average nachher (1/5/15 min)", _load(result.load_after), "", ""),
            ]
        ),
        "",
        "Je Seite:",
        "",
        *page_rows(result.outcome, pages),
        "",
        *sample_rows(result.samples),
        "",
    ]
    lines += _error_lines(result.outcome)
    return lines


def _error_lines(outcome: Outcome) -> list[str]:
    if not outcome.errors:
        return []
    lines = ["Fehler:", ""]
    lines += [f"- {count} × `{text}`" for text, count in outcome.errors.most_common(10)]
    return [*lines, ""]


def environment_lines(args: argparse.Namespace, streamlit_env: dict[str, str]) -> list[str]:
    import streamlit

    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = "?"
    database = args.url or args.database_url or "SQLite (Demo-Modus, frisch angelegt)"
    if "@" in database:
        database = re.sub(r"//[^@]*@", "//…@", database)
    settings = ".streamlit/config.toml"
    if args.config:
        settings += f" + {args.config}"
    if streamlit_env:
        settings += " + " + ", ".join(f"{k}={v}" for k, v in sorted(streamlit_env.items()))
    return [
        f"# Lasttest {date.today().isoformat()}",
        "",
        f"`python bench/load_test.py {' '.join(sys.argv[1:])}` – Commit {commit or '?'}, Streamlit "
        f"{streamlit.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} Kerne.",
        f"Seiten {mix_text(args.pages)} (Sitzung i auf Seite i mod {len(args.pages)})"
        f"{', Query `?' + args.query + '`' if args.query else ''}, Datenbank: {database}. "
        f"Server-Einstellungen: {settings}. Lastgenerator und Server teilen sich die Kerne; andere Prozesse "
        "liefen gleichzeitig (siehe Load average).",
        "",
    ]


# --- command line --------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=0, help="aktive Nutzer (Szenario 1), z. B. 20")
    parser.add_argument("--duration", type=float, default=60, help="Dauer von Szenario 1 in Sekunden")
    parser.add_argument("--ramp", type=float, default=5, help="Sekunden, über die die Nutzer nacheinander starten")
    parser.add_argument("--think", type=float, default=3, help="mittlere Bedenkzeit zwischen Filteränderungen (s)")
    parser.add_argument("--churn", type=int, default=0, help="Sitzungen, die kommen und gehen (Szenario 2)")
    parser.add_argument("--wave", type=int, default=10, help="gleichzeitige Sitzungen im Szenario 2")
    parser.add_argument("--settle", type=float, default=10, help="Pause vor einer RSS-Messung im Szenario 2 (s)")
    parser.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="Sitzungen je Seite, die sie vor jedem Szenario nacheinander öffnen "
        "(0: die ersten treffen gleichzeitig einen kalten Server)",
    )
    parser.add_argument(
        "--page", help="nur diese eine Seite (URL-Pfad, wie --pages mit einer Seite; früher Standard: projekte)"
    )
    parser.add_argument(
        "--pages",
        help="Seitenmischung, Komma-Liste von URL-Pfaden; Sitzung i öffnet Seite i mod Anzahl "
        f"(Standard: {','.join(DEFAULT_MIX)}; bekannt: {', '.join(PAGE_FILTERS)})",
    )
    parser.add_argument("--query", default="", help="Query-String des ersten Aufrufs, z. B. alliance=harz")
    parser.add_argument("--database-url", help="Datenbank des gestarteten Servers (Standard: frische Demo-SQLite)")
    parser.add_argument(
        "--config", type=Path, help="an `cockpit run --config` weiterreichen, z. B. deploy/streamlit-production.toml"
    )
    parser.add_argument("--url", help="laufenden Server testen statt einen zu starten, z. B. http://127.0.0.1:8501")
    parser.add_argument("--server-pid", type=int, help="mit --url: pid des Servers (für RSS und CPU)")
    parser.add_argument("--username", help="ohne Demo-Modus: Konto für die Anmeldung (Passwort: COCKPIT_LOAD_PASSWORD)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="OPTION=VALUE",
        help="Streamlit-Option für den gestarteten Server, z. B. server.disconnectedSessionTTL=30",
    )
    parser.add_argument("--profile", type=Path, help="gestarteter Server: Stichproben-Profil in diese Datei schreiben")
    parser.add_argument("--seed", type=int, default=8, help="Zufallsstartwert der Nutzer")
    parser.add_argument("--out", type=Path, help="Ergebnisdatei (Standard: bench/results/<Datum>-load.md)")
    parser.add_argument("--no-write", action="store_true", help="Ergebnis nur ausgeben, keine Datei schreiben")
    parser.add_argument("--server-log", type=Path, help="Log des gestarteten Servers hierhin schreiben")
    args = parser.parse_args(argv)
    if not args.users and not args.churn:
        parser.error("--users N und/oder --churn N angeben")
    if args.username and not os.environ.get("COCKPIT_LOAD_PASSWORD"):
        parser.error("--username braucht das Passwort in COCKPIT_LOAD_PASSWORD")
    if args.page and args.pages:
        parser.error("--page oder --pages angeben, nicht beides")
    if args.no_write and args.out:
        parser.error("--no-write und --out schließen sich aus")
    try:
        args.pages = parse_pages(args.pages or args.page or ",".join(DEFAULT_MIX))
    except ValueError as exc:
        parser.error(f"--pages: {exc}")
    return args


def streamlit_environment(settings: Sequence[str]) -> dict[str, str]:
    """``server.disconnectedSessionTTL=30`` as Streamlit's environment variable for the started server."""
    from dashboard.streamlit_config import env_name

    env = {}
    for setting in settings:
        option, separator, value = setting.partition("=")
        if not separator:
            raise SystemExit(f"--set {setting!r}: erwartet OPTION=WERT")
        env[env_name(option.strip())] = value.strip()
    return env


@contextlib.contextmanager
def server_for(args: argparse.Namespace, streamlit_env: dict[str, str]) -> Iterator[Server]:
    if args.url:
        yield Server(args.url.rstrip("/"), args.server_pid)
        return
    server = start_server(ServerSetup(args.database_url, streamlit_env, args.config, args.server_log, args.profile))
    try:
        yield server
    finally:
        server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    streamlit_env = streamlit_environment(args.set)
    credentials = (args.username, os.environ["COCKPIT_LOAD_PASSWORD"]) if args.username else None
    plan = Plan(args.pages, args.query, args.think, credentials, args.seed)
    lines = environment_lines(args, streamlit_env)
    failed = False
    if args.users:
        with server_for(args, streamlit_env) as server:
            print(f"Szenario 1: {args.users} Nutzer, {args.duration:.0f} s gegen {server.url} …", flush=True)
            active = asyncio.run(
                run_active(server, plan, args.users, duration=args.duration, ramp=args.ramp, warmup=args.warmup)
            )
        lines += active_report(active, args.think, args.pages)
        p95 = percentile(active.outcome.interactions, 0.95)
        failed |= not p95 <= TARGET_P95_MS or active.outcome.error_count() > 0
    if args.churn:
        with server_for(args, streamlit_env) as server:
            print(f"Szenario 2: {args.churn} Sitzungen in Wellen von {args.wave} gegen {server.url} …", flush=True)
            churn = asyncio.run(
                run_churn(server, plan, args.churn, wave=args.wave, settle=args.settle, warmup=args.warmup)
            )
        lines += churn_report(churn, args.pages)
        change = growth(churn.after_first.rss_kib, churn.after_all.rss_kib)
        failed |= (change is not None and change > TARGET_MEMORY_GROWTH) or churn.outcome.error_count() > 0
    text = "\n".join(lines).rstrip() + "\n"
    print(text)
    if args.no_write:
        return 1 if failed else 0
    out = args.out or RESULTS / f"{date.today().isoformat()}-load.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"geschrieben: {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Load test: N simulated users drive one `cockpit run` server over Streamlit's own websocket protocol.

Each simulated user does what the browser does: it opens ``/_stcore/stream``, sends a ``rerun_script`` BackMsg
with a ClientState (query string, page, widget states, browser context), reads the ForwardMsgs until
``script_finished`` and learns the page's widgets (ids, kinds, options) from the delta elements. An interaction
sets one filter widget (the project page's Handlungsfeld or Status multiselect) and is timed from sending the
rerun to receiving ``script_finished``, which is what a user waits for before the page stops being "running".

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
``bench/results/<date>-load.md``; the exit code is 1 when a target is missed.

Before each scenario one session opens the page alone (``--warmup 1``), as a first visitor would; ``--warmup 0
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
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ContextInfo
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin, Subprotocol

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PROFILER = ROOT / "bench" / "load_profile"
# Targets of issue 8 (one server process, 2 cores).
TARGET_P95_MS = 250.0
TARGET_MEMORY_GROWTH = 0.20
# The project page's filters a member changes most; their widget keys are the URL parameters (ui/project_filters).
FILTER_KEYS = ("thema", "status")
# Most filters a simulated user keeps in one multiselect before it clears it again.
MAX_PICKS = 2
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

    def error_count(self) -> int:
        return sum(self.errors.values())


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
    id: str
    kind: str
    options: tuple[str, ...]


def user_key(widget_id: str) -> str | None:
    """The ``key=`` a widget was created with: Streamlit ends its element id with it (``$$ID-<hash>-<key>``)."""
    parts = widget_id.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[0] == "$$ID" else None


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
        self.selection: dict[str, list[str]] = {}
        self.extra_states: dict[str, tuple[str, object]] = {}
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
        for key, values in self.selection.items():
            widget = self.widgets.get(key)
            if widget is not None:
                entry = state.widget_states.widgets.add()
                entry.id = widget.id
                entry.string_array_value.data.extend(values)
        for key, (kind, value) in self.extra_states.items():
            widget = self.widgets.get(key)
            if widget is None:
                continue
            entry = state.widget_states.widgets.add()
            entry.id = widget.id
            if kind == "string":
                entry.string_value = str(value)
            elif kind == "trigger":
                entry.trigger_value = bool(value)
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
                    self.outcome.errors["Skript-Kompilierfehler"] += 1
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
            self.outcome.errors[f"{exception.type}: {exception.message[:120]}"] += 1
            return
        inner = getattr(element, kind)
        widget_id = getattr(inner, "id", "")
        key = user_key(widget_id) if widget_id else None
        if key:
            options = tuple(str(option) for option in getattr(inner, "options", ()) if isinstance(option, str))
            widgets[key] = Widget(widget_id, kind, options)

    async def sign_in(self, username: str, password: str) -> float:
        """The sign-in form (no demo mode): fill both fields and press the submit button, as the browser would."""
        submit = next((key for key in self.widgets if key.startswith("FormSubmitter:signin")), None)
        if submit is None:
            raise RuntimeError("Anmeldeformular ohne Absende-Knopf")
        self.extra_states = {
            "signin_user": ("string", username),
            "signin_password": ("string", password),
            submit: ("trigger", True),
        }
        elapsed = await self.rerun()
        self.extra_states = {}
        if "signin_user" in self.widgets:
            raise RuntimeError("Anmeldung fehlgeschlagen (Benutzername/Passwort?)")
        return elapsed

    def change_filter(self) -> None:
        """Pick one filter widget of the page and change its selection."""
        present = [key for key in FILTER_KEYS if key in self.widgets and self.widgets[key].options]
        if not present:
            raise RuntimeError(f"keiner der Filter {FILTER_KEYS} auf der Seite {self.page!r}")
        key = self.rng.choice(present)
        self.selection[key] = next_selection(self.widgets[key].options, self.selection.get(key, []), self.rng)


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
    session.outcome.first_renders.append(elapsed)


async def interact(session: Session) -> None:
    session.change_filter()
    session.outcome.interactions.append(await session.rerun())


def _record_failure(outcome: Outcome, exc: BaseException) -> None:
    name = type(exc).__name__
    outcome.errors[f"{name}: {str(exc)[:120]}" if str(exc) else name] += 1


# --- the scenarios -----------------------------------------------------------------------------------------------


@dataclass
class Plan:
    page: str
    query: str
    think: float
    credentials: tuple[str, str] | None
    seed: int


async def active_user(
    server: Server, plan: Plan, outcome: Outcome, number: int, *, start_after: float, deadline: float
) -> None:
    rng = random.Random(plan.seed * 1000 + number)
    await asyncio.sleep(start_after)
    try:
        async with Session(server.url, plan.page, plan.query, outcome, rng) as session:
            await open_session(session, plan.credentials)
            while True:
                # "Every few seconds": think times spread around the mean so the users do not march in step.
                await asyncio.sleep(rng.uniform(0.5 * plan.think, 1.5 * plan.think))
                if time.monotonic() >= deadline:
                    break
                await interact(session)
    except Exception as exc:
        _record_failure(outcome, exc)


@dataclass
class ActiveResult:
    cold: list[float]
    users: int
    duration: float
    outcome: Outcome
    samples: list[Sample]
    window_seconds: float
    server_cpu: float | None
    client_cpu: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]


async def warm_up(server: Server, plan: Plan, sessions: int) -> list[float]:
    """The first visitors before the clock starts, one after the other (their first renders, ms)."""
    outcome = Outcome()
    for number in range(sessions):
        await churn_session(server, plan, outcome, -1 - number)
    if outcome.errors:
        raise SystemExit(f"Aufwärmen fehlgeschlagen: {dict(outcome.errors)}")
    return outcome.first_renders


async def run_active(
    server: Server, plan: Plan, users: int, *, duration: float, ramp: float, warmup: int
) -> ActiveResult:
    cold = await warm_up(server, plan, warmup)
    outcome = Outcome()
    samples = [server.sample("vor dem Lauf" + (f" ({warmup} Sitzung zum Aufwärmen)" if warmup else ""))]
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


async def churn_session(server: Server, plan: Plan, outcome: Outcome, number: int) -> None:
    rng = random.Random(plan.seed * 1000 + number)
    try:
        async with Session(server.url, plan.page, plan.query, outcome, rng) as session:
            await open_session(session, plan.credentials)
            await interact(session)
    except Exception as exc:
        _record_failure(outcome, exc)


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
    cold: list[float]
    settle: float


async def run_churn(server: Server, plan: Plan, sessions: int, *, wave: int, settle: float, warmup: int) -> ChurnResult:
    cold = await warm_up(server, plan, warmup)
    outcome = Outcome()
    samples = [server.sample("vor dem Lauf" + (f" ({warmup} Sitzung zum Aufwärmen)" if warmup else ""))]
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


def active_report(result: ActiveResult, think: float) -> list[str]:
    outcome = result.outcome
    throughput = len(outcome.interactions) / result.window_seconds if result.window_seconds else 0.0
    lines = [
        f"## {result.users} aktive Nutzer, {result.duration:.0f} s",
        "",
        f"Jede Nutzerin ändert nach {think * 0.5:g}–{think * 1.5:g} s Bedenkzeit".replace(".", ",") + " einen Filter "
        "(Handlungsfeld oder Status); gemessen vom Senden des Reruns bis `script_finished`.",
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
                    ", ".join(ms(value) for value in result.cold) or "–",
                    "",
                    "",
                ),
                ("Load average vorher (1/5/15 min)", _load(result.load_before), "", ""),
                ("Load average nachher (1/5/15 min)", _load(result.load_after), "", ""),
            ]
        ),
        "",
        *sample_rows(result.samples),
        "",
    ]
    lines += _error_lines(outcome)
    return lines


def churn_report(result: ChurnResult) -> list[str]:
    first, last = result.after_first, result.after_all
    change = growth(first.rss_kib, last.rss_kib)
    lines = [
        f"## {result.sessions} Sitzungen kommen und gehen",
        "",
        f"Wellen von {result.wave} gleichzeitigen Sitzungen: verbinden, Seite aufbauen, einen Filter ändern, trennen. "
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
                ("Aufwärmen (erster Aufruf, kalter Server)", ", ".join(map(ms, result.cold)) or "–", "", ""),
                ("Load average vorher (1/5/15 min)", _load(result.load_before), "", ""),
                ("Load average nachher (1/5/15 min)", _load(result.load_after), "", ""),
            ]
        ),
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
        f"Seite `/{args.page}{'?' + args.query if args.query else ''}`, Datenbank: {database}. "
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
        help="Sitzungen, die die Seite vor jedem Szenario nacheinander öffnen "
        "(0: die ersten treffen gleichzeitig einen kalten Server)",
    )
    parser.add_argument("--page", default="projekte", help="URL-Pfad der Seite (Standard: projekte)")
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
    parser.add_argument("--server-log", type=Path, help="Log des gestarteten Servers hierhin schreiben")
    args = parser.parse_args(argv)
    if not args.users and not args.churn:
        parser.error("--users N und/oder --churn N angeben")
    if args.username and not os.environ.get("COCKPIT_LOAD_PASSWORD"):
        parser.error("--username braucht das Passwort in COCKPIT_LOAD_PASSWORD")
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
    plan = Plan(args.page, args.query, args.think, credentials, args.seed)
    lines = environment_lines(args, streamlit_env)
    failed = False
    if args.users:
        with server_for(args, streamlit_env) as server:
            print(f"Szenario 1: {args.users} Nutzer, {args.duration:.0f} s gegen {server.url} …", flush=True)
            active = asyncio.run(
                run_active(server, plan, args.users, duration=args.duration, ramp=args.ramp, warmup=args.warmup)
            )
        lines += active_report(active, args.think)
        p95 = percentile(active.outcome.interactions, 0.95)
        failed |= not p95 <= TARGET_P95_MS or active.outcome.error_count() > 0
    if args.churn:
        with server_for(args, streamlit_env) as server:
            print(f"Szenario 2: {args.churn} Sitzungen in Wellen von {args.wave} gegen {server.url} …", flush=True)
            churn = asyncio.run(
                run_churn(server, plan, args.churn, wave=args.wave, settle=args.settle, warmup=args.warmup)
            )
        lines += churn_report(churn)
        change = growth(churn.after_first.rss_kib, churn.after_all.rss_kib)
        failed |= (change is not None and change > TARGET_MEMORY_GROWTH) or churn.outcome.error_count() > 0
    text = "\n".join(lines).rstrip() + "\n"
    print(text)
    out = args.out or RESULTS / f"{date.today().isoformat()}-load.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"geschrieben: {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

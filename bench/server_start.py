"""Server start benchmark: how soon a fresh `cockpit run` answers, how fast its first visitor's page paints, its RSS.

Usage::

    .venv/bin/python bench/server_start.py [--runs 3] [--launcher serve --launcher streamlit] [--page uebersicht]

Each run starts ``cockpit run --headless --port P`` in demo mode (which listens on 127.0.0.1 only) on a fresh temporary
SQLite database (``COCKPIT_DATABASE_URL=sqlite:////tmp/…``), which ``cockpit run`` migrates and seeds itself, and
measures

* handover: from the start until ``cockpit run`` prints its address (migrated, seeded, hands over to the server);
* health: from the start until ``/_stcore/health`` answers ``ok`` (the server accepts browsers);
* RSS of the server at health, and after the first page load;
* the first page load in a fresh headless Chromium (Debian's, through Playwright): its Largest Contentful Paint
  and "fully drawn" (the DOM's last change once the app is idle), both from the navigation's start, with the
  observers of the browser tests (tests/e2e/pages.py, tests/e2e/test_every_page.py); then a second load of the same
  URL in a new tab for comparison (a later visitor: the server is warm, the browser has the app's code cached).

``--launcher serve`` is `cockpit run` as it is (the server starts through ``python -m dashboard.serve``, which
imports the app's modules before it accepts the first visitor); ``--launcher streamlit`` makes `cockpit run` start
``python -m streamlit`` directly, as it did before, so both can be compared on one machine. Runs alternate between
the launchers so that background load on the machine hits both alike. Prints one row per run and the medians; not
part of the test suite (tests never assert wall-clock times).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the browser tests' observers live in tests/e2e (not an installed package)

from tests.e2e.pages import CHROMIUM, CHROMIUM_ARGS, IDLE_INIT_SCRIPT, Network, wait_idle  # noqa: E402
from tests.e2e.test_every_page import LCP_INIT_SCRIPT  # noqa: E402

LOCAL = "127.0.0.1"
# `cockpit run` with another server module: "streamlit" is the command line before dashboard/serve.py existed.
RUN_WITH = "import sys; from dashboard import cli; cli.SERVER_MODULE = {module!r}; sys.exit(cli.main(sys.argv[1:]))"
LAUNCHERS = {"serve": "dashboard.serve", "streamlit": "streamlit"}
HEALTH_TIMEOUT_SECONDS = 180
NAN = float("nan")


@dataclass
class Run:
    """One measured start: seconds from the start, MiB, and milliseconds from the navigation's start."""

    launcher: str
    handover_s: float
    health_s: float
    rss_start_mib: float
    lcp_ms: float
    drawn_ms: float
    rss_page_mib: float
    second_lcp_ms: float
    second_drawn_ms: float


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOCAL, 0))
        return int(probe.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return NAN


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return bool(response.read() == b"ok")
    except OSError:
        return False


def page_load(context: Any, url: str, screenshot: Path) -> tuple[float, float]:
    """LCP and fully drawn (ms from the navigation's start) of loading ``url`` in a new tab of ``context``.

    A page that does not become idle counts as not measured (NaN, left out of the medians) and leaves a screenshot.
    """
    page = context.new_page()
    page.set_default_timeout(120_000)
    network = Network(page)
    page.goto(url)
    try:
        wait_idle(page, network, timeout=120)
    except Exception as exc:  # Playwright's or wait_idle's timeout: keep the run going, show what was on screen
        page.screenshot(path=str(screenshot), full_page=True)
        print(f"  nicht fertig gezeichnet ({type(exc).__name__}), Bildschirmfoto: {screenshot}")
        page.close()
        return NAN, NAN
    lcp = page.evaluate("window.__lcp") or {}
    drawn = float(page.evaluate("window.__quietSince"))
    page.close()
    return float(lcp.get("ms", NAN)), drawn


def measure(launcher: str, page_path: str, log_dir: Path) -> Run:
    from playwright.sync_api import sync_playwright

    port = free_port()
    database = Path(tempfile.mkdtemp(prefix="cockpit-start-")) / "cockpit.sqlite3"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("COCKPIT_", "STREAMLIT_"))}
    env |= {"COCKPIT_DEMO_MODE": "1", "COCKPIT_DATABASE_URL": f"sqlite:///{database}"}
    command = [
        sys.executable, "-c", RUN_WITH.format(module=LAUNCHERS[launcher]),
        "run", "--headless", "--port", str(port),
    ]  # fmt: skip
    log_path = log_dir / f"server-{launcher}-{port}.log"
    handover = threading.Event()
    url = f"http://{LOCAL}:{port}"
    started = time.perf_counter()
    # `cockpit run` exec()s the server: the pid stays the server's, its own group so the stop reaches every child.
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    handover_at: list[float] = []

    def drain() -> None:  # a full pipe would block the server; the log helps when a start fails
        assert process.stdout is not None
        with log_path.open("wb") as log:
            for line in process.stdout:
                if not handover.is_set() and b"Cockpit: http://" in line:
                    handover_at.append(time.perf_counter() - started)
                    handover.set()
                log.write(line)
                log.flush()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        while not healthy(url):
            if process.poll() is not None or time.perf_counter() - started > HEALTH_TIMEOUT_SECONDS:
                raise SystemExit(f"Server nicht bereit (Exit {process.returncode}), Log: {log_path}")
            time.sleep(0.02)
        health_s = time.perf_counter() - started
        rss_start = rss_mib(process.pid)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="de-DE")
            context.add_init_script(IDLE_INIT_SCRIPT)
            context.add_init_script(LCP_INIT_SCRIPT)
            lcp, drawn = page_load(context, f"{url}/{page_path}", log_path.with_suffix(".first.png"))
            rss_page = rss_mib(process.pid)
            second_lcp, second_drawn = page_load(context, f"{url}/{page_path}", log_path.with_suffix(".second.png"))
            browser.close()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        reader.join(timeout=10)
        for leftover in database.parent.iterdir():
            leftover.unlink()
        database.parent.rmdir()
    return Run(
        launcher,
        handover_at[0] if handover_at else NAN,
        health_s,
        rss_start,
        lcp,
        drawn,
        rss_page,
        second_lcp,
        second_drawn,
    )


COLUMNS = (  # attribute, title, width, decimals
    ("handover_s", "handover s", 10, 2),
    ("health_s", "health s", 9, 2),
    ("rss_start_mib", "RSS MiB", 8, 0),
    ("lcp_ms", "1st LCP ms", 10, 0),
    ("drawn_ms", "1st drawn ms", 12, 0),
    ("rss_page_mib", "RSS+page", 8, 0),
    ("second_lcp_ms", "2nd LCP ms", 10, 0),
    ("second_drawn_ms", "2nd drawn ms", 12, 0),
)


def _row(label: str, values: list[float]) -> str:
    cells = [f"{value:>{width}.{decimals}f}" for value, (_, _, width, decimals) in zip(values, COLUMNS, strict=True)]
    return "  ".join([f"{label:<10}", *cells])


def _median(values: list[float]) -> float:
    measured = [value for value in values if not math.isnan(value)]
    return statistics.median(measured) if measured else NAN


def table(runs: list[Run]) -> str:
    """One row per run, then the median of each launcher's runs."""
    lines = ["  ".join([f"{'launcher':<10}", *(f"{title:>{width}}" for _, title, width, _ in COLUMNS)])]
    lines += [_row(run.launcher, [getattr(run, name) for name, *_ in COLUMNS]) for run in runs]
    lines.append("median")
    for launcher in dict.fromkeys(run.launcher for run in runs):
        mine = [run for run in runs if run.launcher == launcher]
        lines.append(_row(launcher, [_median([getattr(run, name) for run in mine]) for name, *_ in COLUMNS]))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="starts per launcher (default 3)")
    parser.add_argument(
        "--launcher",
        action="append",
        choices=sorted(LAUNCHERS),
        help="how `cockpit run` starts the server (repeatable; default: both, alternating)",
    )
    parser.add_argument("--page", default="", help="URL path of the first page (default: the overview)")
    parser.add_argument("--logs", type=Path, help="keep the server logs in this folder (default: a temporary one)")
    args = parser.parse_args()
    launchers = args.launcher or ["streamlit", "serve"]
    log_dir = args.logs or Path(tempfile.mkdtemp(prefix="cockpit-start-logs-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    runs: list[Run] = []
    for index in range(args.runs):
        for launcher in launchers:
            run = measure(launcher, args.page, log_dir)
            runs.append(run)
            print(f"run {index + 1}/{args.runs} {launcher}: health {run.health_s:.2f} s, LCP {run.lcp_ms:.0f} ms")
    print(f"\n{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; server logs in {log_dir}")
    print(table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

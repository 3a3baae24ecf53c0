"""Helpers of the browser tests: Debian's Chromium, a watched German page, reading KPI tiles, and waiting until
the app is idle."""

from __future__ import annotations

import shutil
import time
import weakref
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
# The requests in flight of each watched page (see leave_to).
_IN_FLIGHT: weakref.WeakKeyDictionary[Any, set[Any]] = weakref.WeakKeyDictionary()


def metric(page, label: str) -> str:  # type: ignore[no-untyped-def]
    tile = page.locator("[data-testid='stMetric']", has_text=label).first
    return str(tile.locator("[data-testid='stMetricValue']").inner_text()).strip()


def watched_page(browser, *, height: int) -> tuple[object, list[str]]:  # type: ignore[no-untyped-def]
    """A German page that collects console errors, failed requests and error responses."""
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1440, "height": height}, locale="de-DE", accept_downloads=True)
    return page, watch(page)


def watch(page: Any) -> list[str]:
    """Collect the page's console errors, failed requests and error responses into the returned list."""
    errors: list[str] = []
    in_flight = _IN_FLIGHT.setdefault(page, set())
    # Playwright wraps each handler, so these are lambdas rather than the set's own methods.
    page.on("request", lambda r: in_flight.add(r))  # noqa: PLW0108
    page.on("requestfinished", lambda r: in_flight.discard(r))  # noqa: PLW0108
    page.on("requestfailed", lambda r: in_flight.discard(r))  # noqa: PLW0108
    # Streamlit probes /<page>/_stcore/… while it finds its base path; those 404s are not errors of ours.
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and "/_stcore/" not in r.url else None,
    )
    # A download (st.download_button) is a media request the browser aborts once it turns into a file: not an error.
    page.on(
        "requestfailed",
        lambda r: None if _download_handover(r.url, r.failure) else errors.append(f"failed {r.url} {r.failure}"),
    )
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None,
    )
    return errors


def leave_to(page: Any, url: str, *, timeout: float = 60) -> None:
    """Go to ``url`` once the watched page has no request in flight: leaving earlier aborts the element code
    Streamlit is still loading (net::ERR_ABORTED), which is the browser's doing, not an error of the app."""
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        if _IN_FLIGHT.get(page):
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > QUIET_SECONDS:
            break
        page.wait_for_timeout(50)
    page.goto(url)


def _download_handover(url: str, failure: str | None) -> bool:
    return "/media/" in url and (failure or "").startswith("net::ERR_ABORTED")


# --- waiting until the app is idle ------------------------------------------------------------------------------
# "The script finished" is not "the page is drawn": Streamlit loads each element's code on first use (a chunk
# request after the run) and Plotly draws after that. Idle means: connected, no script run, nothing stale, every
# chart drawn, no request in flight, and neither the DOM nor the network changed for a moment.

# A context's init script: the time of the DOM's last change, and whether a script run happened since arm().
IDLE_INIT_SCRIPT = """
(() => {
  window.__quietSince = performance.now();
  window.__ran = false;
  new MutationObserver(() => { window.__quietSince = performance.now(); })
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  const watchRuns = () => {
    const app = document.querySelector("[data-testid='stApp']");
    if (!app) { requestAnimationFrame(watchRuns); return; }
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.oldValue === 'running' || app.getAttribute('data-test-script-state') === 'running') window.__ran = true;
      }
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state'], attributeOldValue: true});
  };
  watchRuns();
})();
"""
_IDLE = """(quietMs) => {
  const app = document.querySelector("[data-testid='stApp']");
  return !!app
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector("[data-stale='true'], [data-testid='stStatusWidget']")
    && [...document.querySelectorAll("[data-testid='stPlotlyChart']")].every((c) => c.querySelector('.main-svg'))
    && performance.now() - window.__quietSince > quietMs;
}"""
QUIET_SECONDS = 0.3
# A bound for a busy 2-core CI machine, not a speed assertion.
IDLE_TIMEOUT_SECONDS = 90


class Network:
    """The page's requests in flight and when the last one ended (the websocket is no request)."""

    def __init__(self, page: Any) -> None:
        self.pending: set[Any] = set()
        self.last_change = time.monotonic()
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, request: Any) -> None:
        self.pending.add(request)
        self.last_change = time.monotonic()

    def _ended(self, request: Any) -> None:
        self.pending.discard(request)
        self.last_change = time.monotonic()

    def quiet(self) -> bool:
        return not self.pending and time.monotonic() - self.last_change > QUIET_SECONDS


def wait_idle(page: Any, network: Network, *, timeout: float = IDLE_TIMEOUT_SECONDS) -> None:
    """Wait until the app is idle (see above); needs IDLE_INIT_SCRIPT in the page's context."""
    deadline = time.monotonic() + timeout
    while True:
        page.wait_for_function(_IDLE, arg=QUIET_SECONDS * 1000, timeout=max(deadline - time.monotonic(), 1) * 1000)
        if network.quiet():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"requests still in flight: {[r.url for r in network.pending]}")
        page.wait_for_timeout(50)


def arm(page: Any) -> None:
    """Start watching for the script run the next action triggers (then call wait_rerun)."""
    page.evaluate("() => { window.__ran = false; }")


def wait_rerun(page: Any, network: Network, *, timeout: float = IDLE_TIMEOUT_SECONDS) -> None:
    """Wait until a script run happened since arm() and the app is idle again."""
    page.wait_for_function("() => window.__ran", timeout=timeout * 1000)
    wait_idle(page, network, timeout=timeout)

"""Helpers of the browser tests: Debian's Chromium, a watched German page, and reading KPI tiles."""

from __future__ import annotations

import shutil
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def metric(page, label: str) -> str:  # type: ignore[no-untyped-def]
    tile = page.locator("[data-testid='stMetric']", has_text=label).first
    return str(tile.locator("[data-testid='stMetricValue']").inner_text()).strip()


def watched_page(browser, *, height: int) -> tuple[object, list[str]]:  # type: ignore[no-untyped-def]
    """A German page that collects console errors, failed requests and error responses."""
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1440, "height": height}, locale="de-DE", accept_downloads=True)
    errors: list[str] = []
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
    return page, errors


def _download_handover(url: str, failure: str | None) -> bool:
    return "/media/" in url and (failure or "").startswith("net::ERR_ABORTED")

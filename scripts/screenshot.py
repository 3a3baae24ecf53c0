"""Take full-page screenshots of a running Cockpit with Debian's Chromium (for the README and reviews).

Usage: python scripts/screenshot.py URL OUT.png [--width 1440] [--height 1000]
"""

from __future__ import annotations

import argparse

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        # German browser locale: st.dataframe formats "localized" numbers with the browser locale.
        page = browser.new_page(viewport={"width": args.width, "height": args.height}, locale="de-DE")
        page.goto(args.url)
        page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1500)  # let Plotly finish drawing
        page.screenshot(path=args.out, full_page=True)
        browser.close()


if __name__ == "__main__":
    main()

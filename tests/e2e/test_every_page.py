"""Every page for every role in Chromium, each page's main interaction, and each page's Largest Contentful Paint.

Every role opens every page of its menu: no Streamlit exception, no error box the page does not show by design, no
console error, no failed request, and a full-page screenshot in test-artifacts/pages/<role>-<page>.png. The speaker
opens each page by its URL (a new session starts as the speaker); partner, liaison and administration take their
role in the demo picker and then walk their menu, since a reload would start a new session as the speaker again.
A page outside a role's menu answers its URL with "Kein Zugriff" (spot checks; test_upkeep.py checks the liaison on
"Daten pflegen").

Then one short test per page for its main interaction. The chart click on "Projekte" is covered by
test_browser.py::test_shared_link_chart_click_filters_the_table, the funds report as the speaker (Excel and PDF) by
test_browser.py::test_funds_page_renders_and_hands_out_both_reports.

Largest Contentful Paint: a PerformanceObserver (buffered) in every page records it; the speaker's direct loads
write it to test-artifacts/lcp.json and print a table. Recorded, never asserted (tests assert no wall-clock time).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from docx import Document
from sqlalchemy import text

from dashboard.data_access import accounts, editing
from dashboard.data_access.db import make_engine
from dashboard.data_access.vocabulary import Role
from dashboard.i18n import t
from dashboard.ui.access import DEFAULT_PAGE, PAGES, visible_pages
from seeds.loader import read_seed_file
from tests.e2e.pages import (
    ARTIFACTS,
    IDLE_INIT_SCRIPT,
    Network,
    arm,
    metric,
    wait_idle,
    wait_rerun,
    watch,
)

SON = "suedostniedersachsen"
ROLES = (Role.SPEAKER, Role.MEMBER, Role.LIAISON, Role.ADMIN)
VIEWPORT = {"width": 1440, "height": 900}
SHOTS = ARTIFACTS / "pages"
# Error boxes a page shows by design: the fund page names money lost or rules broken in red (ui/fund_use.py).
RED_BY_DESIGN = frozenset({"mittelverwendung"})
# A page outside the role's menu, opened by its URL.
NOT_IN_MENU = {Role.MEMBER: "mittelverwendung", Role.LIAISON: "import"}
PROJECT = "Pflege-Rückkehr – Wiedereinstieg in pflegerische Berufe"
TOPIC = "Rekrutierung und Matching"

LCP_INIT_SCRIPT = """
window.__lcp = null;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const element = entry.element;
    window.__lcp = {ms: entry.startTime, element: element ? (element.tagName + ' ' + (element.textContent || '')
      .trim().slice(0, 40)) : ''};
  }
}).observe({type: 'largest-contentful-paint', buffered: true});
"""


def _role_name(role: Role) -> str:
    return t(f"auth.role.{role.value}", "de")


def _path(url_path: str) -> str:
    return "" if url_path == DEFAULT_PAGE else url_path


@dataclass
class Tab:
    """A watched page of a role's browser context, with the waits the app needs."""

    page: Any
    base: str
    network: Network
    errors: list[str] = field(default_factory=list)

    def open(self, url_path: str, role: Role = Role.SPEAKER, query: str = "") -> None:
        """Load a page by its URL (a new session, as the speaker) and take the role in the demo picker."""
        self.page.goto(f"{self.base}/{_path(url_path)}?alliance={SON}{query}")
        wait_idle(self.page, self.network)
        if role != Role.SPEAKER:
            picker = self.page.locator("[data-testid='stSidebar'] [data-testid='stRadioGroup']")
            self.act(lambda: picker.get_by_text(_role_name(role), exact=True).click())

    def act(self, action: Callable[[], object]) -> None:
        """Do something that reruns the script, and wait until the app is idle again."""
        arm(self.page)
        action()
        wait_rerun(self.page, self.network)

    @property
    def main(self) -> Any:
        return self.page.locator("[data-testid='stMain']")

    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlparse(self.page.url).query)

    def download(self, button: str) -> tuple[str, bytes]:
        with self.page.expect_download(timeout=60_000) as download:
            self.page.get_by_role("button", name=button).click()
        wait_idle(self.page, self.network)  # a download button reruns the script, too
        return download.value.suggested_filename, Path(download.value.path()).read_bytes()

    def set_date(self, label: str, day: date) -> None:
        """Type a date into a date input (day, month, year segments) and leave it: the app reruns."""
        box = self.main.locator("[data-testid='stDateInput']", has_text=label).first
        box.get_by_role("spinbutton", name="day").click()
        self.page.keyboard.type(day.strftime("%d%m%Y"))
        self.act(self.main.locator("h1").first.click)

    def multiselect(self, label: str, option: str) -> None:
        self.main.locator("[data-testid='stMultiSelect']", has_text=label).first.click()
        self.act(self.page.get_by_role("option", name=option, exact=True).click)
        self.page.keyboard.press("Escape")

    def selectbox(self, label: str, option: str) -> None:
        box = self.main.locator("[data-testid='stSelectbox']", has=self.page.get_by_text(label, exact=True)).first
        box.locator("input").click()
        self.page.keyboard.type(option[:12])
        self.act(self.page.get_by_role("option", name=option).first.click)

    def grid_text(self, index: int = 0) -> str:
        """The text of a st.dataframe (the grid draws on a canvas; its accessible table holds the cells)."""
        table = self.main.locator("[data-testid='stDataFrame']").nth(index).locator("table").first
        return str(table.evaluate("element => element.textContent"))

    def screenshot(self, name: str) -> None:
        """The whole page: the app scrolls inside its main area, so the window grows to the content first."""
        height = self.page.evaluate(
            """() => Math.max(...["stMain", "stSidebarContent"].map(
                (id) => document.querySelector(`[data-testid='${id}']`)?.scrollHeight || 0))"""
        )
        self.page.set_viewport_size({"width": VIEWPORT["width"], "height": max(int(height), VIEWPORT["height"])})
        wait_idle(self.page, self.network)
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        self.page.set_viewport_size(VIEWPORT)


# --- fixtures ----------------------------------------------------------------------------------------------------


def _changes_for_the_audit_trail(database: Path) -> None:
    """Two changes as the speaker (a project's description, a target's), so the change log has rows to filter."""
    engine = make_engine(f"sqlite:///{database}")
    scope = accounts.demo_scope(engine, Role.SPEAKER)
    with engine.connect() as connection:
        project_id = connection.execute(
            text(
                "SELECT p.id FROM project p JOIN alliance a ON a.id = p.alliance_id WHERE a.slug = :s AND p.title = :t"
            ),
            {"s": SON, "t": PROJECT},
        ).scalar_one()
        target_id = connection.execute(
            text("SELECT MIN(g.id) FROM target g JOIN alliance a ON a.id = g.alliance_id WHERE a.slug = :s"),
            {"s": SON},
        ).scalar_one()
    project = editing.open_project(engine, scope, project_id)
    described = replace(project.values, description=f"{project.values.description} Im Browsertest ergänzt.")
    editing.update_project(engine, scope, project_id, described, opened=project)
    target = editing.open_target(engine, scope, target_id)
    editing.update_target(
        engine, scope, target_id, replace(target.values, description="Im Browsertest geändert"), opened=target
    )
    engine.dispose()


@pytest.fixture(scope="module")
def site(server: tuple[str, Path]) -> tuple[str, Path]:
    _changes_for_the_audit_trail(server[1])
    return server


@pytest.fixture(scope="module")
def contexts(browser: Any) -> Iterator[Callable[[Role], Any]]:
    """One browser context per role (made on first use), each page in it with the idle and LCP observers."""
    made: dict[Role, Any] = {}

    def context(role: Role) -> Any:
        if role not in made:
            made[role] = browser.new_context(viewport=VIEWPORT, locale="de-DE", accept_downloads=True)
            made[role].add_init_script(IDLE_INIT_SCRIPT)
            made[role].add_init_script(LCP_INIT_SCRIPT)
        return made[role]

    yield context
    for context_of_role in made.values():
        context_of_role.close()


@pytest.fixture
def tab(site: tuple[str, Path], contexts: Callable[[Role], Any]) -> Iterator[Callable[[Role], Tab]]:
    """A new watched page in the role's context; closed after the test."""
    opened: list[Tab] = []

    def new_tab(role: Role) -> Tab:
        page = contexts(role).new_page()
        page.set_default_timeout(60_000)
        made = Tab(page=page, base=site[0], network=Network(page), errors=watch(page))
        opened.append(made)
        return made

    yield new_tab
    for made in opened:
        made.page.close()


@pytest.fixture(scope="module")
def paints(request: pytest.FixtureRequest) -> Iterator[list[dict[str, Any]]]:
    """The LCP of each page load, written to test-artifacts/lcp.json and printed as a table at the end."""
    rows: list[dict[str, Any]] = []
    yield rows
    if not rows:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "lcp.json").write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    lines = [
        "Largest Contentful Paint (target ≤ 2500 ms; recorded, not asserted)",
        f"{'page':<20} {'role':<10} {'load':<22} {'LCP ms':>7} {'drawn ms':>9}  LCP element",
    ]
    for row in rows:
        lcp = "–" if row["lcp_ms"] is None else f"{row['lcp_ms']:.0f}"
        lines.append(
            f"{row['page']:<20} {row['role']:<10} {row['load']:<22} {lcp:>7} {row['drawn_ms']:>9.0f}  {row['element']}"
        )
    # Printed past pytest's output capture, so the table shows in every run, not only in a failure's report.
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print("\n" + "\n".join(lines))


def _paint(tab: Tab, url_path: str, role: Role, load: str) -> dict[str, Any]:
    """The page's LCP and when the DOM last changed (fully drawn), both from the navigation's start."""
    lcp = tab.page.evaluate("window.__lcp") or {}
    return {
        "page": url_path,
        "role": role.value,
        "load": load,
        "lcp_ms": lcp.get("ms"),
        "element": lcp.get("element", ""),
        "drawn_ms": tab.page.evaluate("window.__quietSince"),
    }


# --- every page for every role -----------------------------------------------------------------------------------


def _menu(tab: Tab) -> list[str]:
    """The URL paths of the sidebar menu, in order."""
    links = tab.page.locator("[data-testid='stSidebarNav'] a[data-testid='stSidebarNavLink']")
    paths = [urlparse(str(link.get_attribute("href"))).path.strip("/") for link in links.all()]
    return [path or DEFAULT_PAGE for path in paths]


def _check_page(tab: Tab, url_path: str, role: Role) -> None:
    assert urlparse(tab.page.url).path.strip("/") == _path(url_path)
    assert tab.page.locator("[data-testid='stException']").count() == 0, f"{role}: exception on {url_path}"
    assert tab.main.locator("h1").count() >= 1, f"{role}: {url_path} has no title"
    assert tab.main.get_by_text("Kein Zugriff").count() == 0, f"{role} may open {url_path}"
    if url_path not in RED_BY_DESIGN:
        boxes = tab.main.locator("[data-testid='stAlertContentError']").all_inner_texts()
        assert boxes == [], f"{role}: error boxes on {url_path}: {boxes}"
    tab.screenshot(f"{role.value}-{url_path}")


@pytest.mark.parametrize("role", ROLES, ids=[role.value for role in ROLES])
def test_every_page_of_the_role_loads_cleanly(
    role: Role, tab: Callable[[Role], Tab], paints: list[dict[str, Any]]
) -> None:
    browser_tab = tab(role)
    allowed = visible_pages(role)
    assert allowed and len(allowed) <= len(PAGES)
    browser_tab.open(DEFAULT_PAGE, role)
    assert _menu(browser_tab) == allowed
    if role == Role.SPEAKER:
        # The context's first load also fetches the app's code; the pages below find it in the browser cache.
        paints.append(_paint(browser_tab, DEFAULT_PAGE, role, "URL, kalter Cache"))
        for url_path in allowed:
            browser_tab.open(url_path)
            paints.append(_paint(browser_tab, url_path, role, "URL"))
            _check_page(browser_tab, url_path, role)
    else:
        for url_path in allowed:
            if url_path != DEFAULT_PAGE:
                link = browser_tab.page.locator(f"[data-testid='stSidebarNav'] a[href$='/{url_path}']")
                browser_tab.act(link.click)
            _check_page(browser_tab, url_path, role)
    if role in NOT_IN_MENU:
        denied = NOT_IN_MENU[role]
        browser_tab.open(denied, role)
        assert browser_tab.main.get_by_text("Kein Zugriff").count() == 1
        assert browser_tab.main.locator("[data-testid='stMetric']").count() == 0  # the page itself did not run
        assert denied not in _menu(browser_tab)
        browser_tab.screenshot(f"{role.value}-{denied}-kein-zugriff")
    assert browser_tab.errors == []


# --- the main interaction of each page ---------------------------------------------------------------------------


def _rows(database: Path, sql: str, **params: Any) -> list[Any]:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), params))
    finally:
        engine.dispose()


def _scalar(database: Path, sql: str, **params: Any) -> Any:
    return _rows(database, sql, **params)[0][0]


def test_uebersicht_stichtag_changes_the_kpis(tab: Callable[[Role], Tab]) -> None:
    overview = tab(Role.SPEAKER)
    overview.open("uebersicht")
    today = metric(overview.page, "Ausgezahlt")
    overview.set_date("Stichtag", date(2019, 12, 31))
    assert metric(overview.page, "Ausgezahlt") != today
    assert overview.errors == []


def test_projekte_topic_filter_selection_and_csv(tab: Callable[[Role], Tab]) -> None:
    projects = tab(Role.SPEAKER)
    projects.open("projekte")
    son = next(a for a in read_seed_file("alliances.yaml")["alliances"] if a["slug"] == SON)
    assert metric(projects.page, "Projekte") == str(len(son["projects"]))

    projects.multiselect("Handlungsfeld", TOPIC)
    expected = sum(TOPIC in p["topics"] for p in son["projects"])
    assert 0 < expected < len(son["projects"])
    assert metric(projects.page, "Projekte") == str(expected)
    assert projects.query()["thema"] == [TOPIC]

    name, data = projects.download("CSV herunterladen")
    assert name == "projekte.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == expected and all(TOPIC in row["Handlungsfelder"] for row in rows)

    # A click on the first row's selection box opens that project below the table.
    hint = projects.main.get_by_text("Wählen Sie eine Zeile der Tabelle")
    assert hint.count() == 1
    grid = projects.main.locator("[data-testid='stDataFrame']").first
    projects.act(lambda: grid.click(position={"x": 14, "y": 53}))
    projects.main.get_by_role("heading", name=rows[0]["Titel"]).wait_for()
    assert hint.count() == 0
    assert projects.errors == []


def test_antraege_link_opens_the_scores_and_the_statement(site: tuple[str, Path], tab: Callable[[Role], Tab]) -> None:
    database = site[1]
    project_id = _scalar(
        database,
        "SELECT MIN(p.id) FROM project p JOIN alliance a ON a.id = p.alliance_id WHERE a.slug = :s "
        "AND p.status = 'bewertet' AND EXISTS "
        "(SELECT 1 FROM statement s WHERE s.project_id = p.id AND s.finalised_at IS NOT NULL)",
        s=SON,
    )
    title = _scalar(database, "SELECT title FROM project WHERE id = :p", p=project_id)
    criteria = _scalar(
        database,
        "SELECT GROUP_CONCAT(c.name, '|') FROM assessment_criterion c JOIN alliance a ON a.id = c.alliance_id "
        "WHERE a.slug = :s",
        s=SON,
    ).split("|")
    applications = tab(Role.SPEAKER)
    applications.open("antraege", query=f"&antrag={project_id}")
    applications.main.get_by_role("heading", name=title).wait_for()
    scores = applications.grid_text(1)  # the pipeline's table first, then the scores per criterion
    assert all(criterion in scores for criterion in criteria)

    applications.act(lambda: applications.page.get_by_role("tab", name="Stellungnahme", exact=True).click())
    name, data = applications.download("Stellungnahme (DOCX)")
    assert name.startswith(f"stellungnahme-{project_id}-fassung-") and name.endswith(".docx")
    document = Document(io.BytesIO(data))
    assert any(title in paragraph.text for paragraph in document.paragraphs)
    assert applications.errors == []


def test_mittelverwendung_as_liaison_stichtag_and_report(tab: Callable[[Role], Tab]) -> None:
    funds = tab(Role.LIAISON)
    funds.open("mittelverwendung", Role.LIAISON)
    today = metric(funds.page, "Ausgezahlt")
    funds.set_date("Stichtag", date(2020, 12, 31))
    assert funds.query()["stichtag"] == ["2020-12-31"]
    assert metric(funds.page, "Ausgezahlt") != today
    name, data = funds.download("Bericht als Excel")
    assert name == f"mittelverwendung-{SON}-2020-12-31.xlsx"
    assert data[:2] == b"PK"
    assert funds.errors == []


def test_ziele_stichtag_reassesses_the_targets(tab: Callable[[Role], Tab]) -> None:
    targets = tab(Role.SPEAKER)
    targets.open("ziele")
    labels = ("erreicht", "im Plan", "gefährdet", "verfehlt", "keine Daten")
    today = [metric(targets.page, label) for label in labels]
    targets.set_date("Stichtag", date(2019, 6, 30))
    early = [metric(targets.page, label) for label in labels]
    assert early != today
    assert sum(map(int, early)) == sum(map(int, today))  # the same targets, assessed at another day
    assert targets.query()["stichtag"] == ["2019-06-30"]
    assert targets.errors == []


def test_region_indicator_redraws_the_chart(tab: Callable[[Role], Tab]) -> None:
    region = tab(Role.SPEAKER)
    region.open("region")
    chart = region.main.locator("[data-testid='stPlotlyChart']").first
    before, code = chart.inner_text(), region.query()["indikator"]
    region.selectbox("Indikator", "Arbeitslose (Beispieldaten) (Personen)")
    after = chart.inner_text()
    assert region.query()["indikator"] != code
    assert after != before and "Personen" in after
    assert region.errors == []


def test_partner_type_filter_and_linked_detail(site: tuple[str, Path], tab: Callable[[Role], Tab]) -> None:
    database = site[1]
    landkreise = _scalar(
        database,
        "SELECT COUNT(*) FROM member m JOIN alliance a ON a.id = m.alliance_id "
        "WHERE a.slug = :s AND m.member_type = 'landkreis'",
        s=SON,
    )
    partners = tab(Role.SPEAKER)
    partners.open("partner")
    everyone = int(metric(partners.page, "Partner"))
    partners.multiselect("Typ", "Landkreis")
    assert 0 < landkreise == int(metric(partners.page, "Partner")) < everyone
    assert partners.query()["typ"] == ["landkreis"]

    member_id, name = _rows(
        database,
        "SELECT m.id, m.name FROM member m JOIN alliance a ON a.id = m.alliance_id WHERE a.slug = :s ORDER BY m.id",
        s=SON,
    )[0]
    partners.open("partner", query=f"&partner={member_id}")
    partners.main.get_by_role("heading", name=name).wait_for()
    assert partners.query()["partner"] == [str(member_id)]
    assert partners.errors == []


def test_buendnisvergleich_as_liaison_compares_every_alliance(
    site: tuple[str, Path], tab: Callable[[Role], Tab]
) -> None:
    names = [row[0] for row in _rows(site[1], "SELECT short_name FROM alliance")]
    compare = tab(Role.LIAISON)
    compare.open("buendnisvergleich", Role.LIAISON)
    assert metric(compare.page, "Gefährdet").endswith(f"von {len(names)} Bündnissen gefährdet")
    chart = compare.main.locator("[data-testid='stPlotlyChart']").first.inner_text()
    table = compare.grid_text()
    assert all(name in chart and name in table for name in names)
    assert compare.errors == []


def test_daten_pflegen_speaker_opens_a_project_form(tab: Callable[[Role], Tab]) -> None:
    maintain = tab(Role.SPEAKER)
    maintain.open("daten-pflegen")
    maintain.page.get_by_role("tab", name="Projekte").wait_for()
    maintain.selectbox("Projekt", PROJECT)
    assert maintain.page.get_by_label("Titel", exact=True).input_value() == PROJECT
    assert maintain.page.get_by_role("button", name="Speichern").count() == 1
    assert maintain.errors == []


def test_import_shows_the_upload_area(tab: Callable[[Role], Tab]) -> None:
    upload = tab(Role.SPEAKER)
    upload.open("import")
    assert upload.main.locator("[data-testid='stFileUploaderDropzone']").count() == 1
    assert upload.main.get_by_text("CSV-Datei", exact=True).count() == 1
    assert upload.main.get_by_role("button", name="Import bestätigen").count() == 0  # nothing staged yet
    assert upload.errors == []


def test_protokoll_table_filter_and_csv(tab: Callable[[Role], Tab]) -> None:
    trail = tab(Role.SPEAKER)
    trail.open("protokoll")
    trail.main.get_by_text("Einträge: 2").wait_for()
    trail.selectbox("Tabelle", "Ziel")
    trail.main.get_by_text("Einträge: 1").wait_for()
    assert trail.query()["tabelle"] == ["target"]
    name, data = trail.download("CSV herunterladen")
    assert name == "aenderungsprotokoll.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1 and "Im Browsertest geändert" in data.decode("utf-8-sig")
    assert trail.errors == []

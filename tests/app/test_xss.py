"""XSS: user text with HTML in it (a project title, a partner's name, a Handlungsfeld, a user name) is shown on every
page, for every role, as text: verbatim in tables, options and plain-text elements, backslash-escaped (plain()) in
everything Streamlit renders as Markdown, and nowhere in an element that may render HTML."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import (
    AlertBase,
    Dataframe,
    HeadingBase,
    Markdown,
    Metric,
    Multiselect,
    Node,
    Selectbox,
    Text,
    Toast,
    Widget,
)

from dashboard.data_access import applications, audit, migrations
from dashboard.data_access.db import make_engine
from dashboard.data_access.scope import SYSTEM_SCOPE, Scope
from dashboard.data_access.vocabulary import AuditAction, Role
from dashboard.ui.text import plain
from seeds.loader import seed_demo

HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_MEMBER = '<img src=x onerror="alert(2)">'
HOSTILE_TOPIC = "<b onmouseover=alert(3)>Feld</b>"
HOSTILE_USER = "<svg onload=alert(4)>"
HOSTILE = (HOSTILE_TITLE, HOSTILE_MEMBER, HOSTILE_TOPIC, HOSTILE_USER)
NEEDLES = ("<script", "<img", "<svg", "<b ", "onerror", "onmouseover", "onload")
ROLES = ("admin", "speaker", "member", "liaison")
ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "dashboard" / "pages").glob("*.py"))
MAINTAIN = "dashboard/pages/maintain.py"
PROJECTS = "dashboard/pages/projects.py"
AUDIT = "dashboard/pages/audit.py"


@dataclass(frozen=True)
class Hostile:
    url: str
    project_id: int
    lead_id: int  # the hostile project's lead: the member role signs in as this organisation


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    return hostile_database(tmp_path_factory.mktemp("xss"))


def hostile_database(directory: Path) -> Hostile:
    url = f"sqlite:///{directory / 'cockpit.sqlite3'}"
    engine = make_engine(url)
    migrations.upgrade(engine)
    seed_demo(engine)
    with engine.begin() as connection:
        son = connection.execute(text("SELECT id FROM alliance WHERE slug = 'suedostniedersachsen'")).scalar_one()
        project_id, lead_id = connection.execute(
            text("SELECT id, lead_member_id FROM project WHERE alliance_id = :a ORDER BY id LIMIT 1"), {"a": son}
        ).one()
        connection.execute(text("UPDATE project SET title = :t WHERE id = :p"), {"t": HOSTILE_TITLE, "p": project_id})
        connection.execute(text("UPDATE member SET name = :n WHERE id = :m"), {"n": HOSTILE_MEMBER, "m": lead_id})
        connection.execute(
            text("UPDATE topic SET name = :n WHERE id = (SELECT MIN(id) FROM topic WHERE alliance_id = :a)"),
            {"n": HOSTILE_TOPIC, "a": son},
        )
        # A change of the title in the Änderungsprotokoll, by a user with a hostile name.
        audit.record(
            connection,
            Scope.for_alliances(HOSTILE_USER, Role.SPEAKER, [son]),
            action=AuditAction.UPDATE,
            table="project",
            record_id=project_id,
            alliance_id=son,
            old={"title": "Alter Titel"},
            new={"title": HOSTILE_TITLE},
        )
    engine.dispose()
    return Hostile(url, int(project_id), int(lead_id))


def on_page(app_for: Callable[..., AppTest], hostile: Hostile, role: str, page: str) -> AppTest:
    """The page as the role sees it (the member as the hostile project's lead organisation)."""
    who: dict[str, Any] = {"role": role}
    if role == "member":
        who["member_id"] = hostile.lead_id
    app = app_for(hostile.url, **who).run()
    assert not app.exception, app.exception
    app.switch_page(page).run()
    return app


# --- what the page shows, sorted by how Streamlit renders it --------------------------------------------------------


@dataclass
class Shown:
    """The texts of one rendered page: plain text, Markdown bodies and bodies that may carry HTML."""

    plain: list[str] = field(default_factory=list)  # table cells, options, st.text, st.json: shown verbatim
    markdown: list[str] = field(default_factory=list)  # bodies, headings, alerts, labels: rendered as Markdown
    html: list[str] = field(default_factory=list)  # st.html and Markdown with unsafe_allow_html

    def add(self, other: Shown) -> None:
        self.plain += other.plain
        self.markdown += other.markdown
        self.html += other.html

    def as_text(self, hostile: str) -> bool:
        """The hostile string is shown as text: verbatim in a plain-text place or escaped in a Markdown body."""
        return any(hostile in item for item in self.plain) or any(plain(hostile) in item for item in self.markdown)


def _nodes(node: Node) -> Iterator[Node]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def _texts(node: Node, shown: Shown) -> None:
    proto = getattr(node, "proto", None)
    if getattr(proto, "allow_html", False) or node.type == "html":
        shown.html.append(str(getattr(proto, "body", "")))
    if isinstance(node, Dataframe):
        shown.plain += [str(cell) for cell in node.value.astype(str).to_numpy().ravel()]
        shown.plain += [str(name) for name in node.value.columns]
    elif isinstance(node, Selectbox | Multiselect):
        shown.plain += [str(option) for option in node.options]
    elif isinstance(node, Text) or node.type == "json":
        shown.plain.append(str(proto.body if node.type == "json" else node.value))
    elif isinstance(node, Markdown | AlertBase | HeadingBase | Toast):
        shown.markdown.append(str(node.value))
    elif isinstance(node, Metric):
        shown.markdown += [node.label, str(node.value)]
    if isinstance(node, Widget) or node.type in ("tab", "expander"):
        shown.markdown.append(str(getattr(node, "label", "") or ""))
        shown.markdown.append(str(getattr(proto, "help", "") or ""))


def shown_on(app: AppTest) -> Shown:
    shown = Shown()
    for root in (app.main, app.sidebar):
        for node in _nodes(root):
            _texts(node, shown)
    for toast in app.toast:
        shown.markdown.append(str(toast.value))
    return shown


def assert_no_markup(app: AppTest, where: str) -> Shown:
    """Nothing hostile can become HTML or Markdown: no HTML-capable element holds it in any form, no Markdown
    body holds it unescaped (a body that does was not passed through plain())."""
    assert not app.exception, f"{where}: {app.exception}"
    shown = shown_on(app)
    for body in shown.html:
        unescaped = body.replace("\\", "")
        for needle in NEEDLES:
            assert needle not in unescaped, f"{where} renders user text as HTML: {body[:200]}"
    for body in shown.markdown:
        for hostile_text in HOSTILE:
            assert hostile_text not in body, f"{where} renders user text as Markdown without plain(): {body[:200]}"
    return shown


# --- every page, every role ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_hostile_text_never_becomes_markup(
    hostile: Hostile, app_for: Callable[..., AppTest], page: str, role: str
) -> None:
    assert_no_markup(on_page(app_for, hostile, role, page), f"{page} as {role}")


# --- the projects page: table and detail --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_projects_page_shows_the_hostile_project_as_text(
    hostile: Hostile, app_for: Callable[..., AppTest], role: str
) -> None:
    app = on_page(app_for, hostile, role, PROJECTS)
    assert HOSTILE_TITLE in app.dataframe[0].value["Titel"].to_list()
    app.text_input(key="suche").set_value("alert").run()
    table = next(frame for frame in app.dataframe if frame.key and frame.key.startswith("projects_table"))
    assert table.value["Titel"].to_list() == [HOSTILE_TITLE]
    app.session_state[table.key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    app.run()
    shown = assert_no_markup(app, f"projects detail as {role}")
    assert plain(HOSTILE_TITLE) in [heading.value for heading in app.subheader]  # the detail's heading
    for hostile_text in (HOSTILE_TITLE, HOSTILE_MEMBER):
        assert shown.as_text(hostile_text), f"{hostile_text} is not shown on the projects page as {role}"


# --- Daten pflegen: every tab, the hostile project picked --------------------------------------------------------

PICKERS = {"Projekte": "mp_pick", "Finanzen": "mf_project", "Indikatorwerte": "mv_project"}


@pytest.mark.parametrize("role", ("admin", "speaker", "member"))
def test_every_maintain_tab_shows_the_hostile_project_as_text(
    hostile: Hostile, app_for: Callable[..., AppTest], role: str
) -> None:
    app = on_page(app_for, hostile, role, MAINTAIN)
    shown = assert_no_markup(app, f"maintain as {role}")
    tabs = [tab.label for tab in app.tabs]
    assert tabs[:3] == ["Projekte", "Finanzen", "Indikatorwerte"]
    for tab in tabs:
        app.session_state["maintain_tab"] = tab
        app.run()
        shown.add(assert_no_markup(app, f"maintain › {tab} as {role}"))
        picker = PICKERS.get(tab)
        if picker is not None:
            app.selectbox(key=picker).set_value(hostile.project_id).run()
            assert app.selectbox(key=picker).value == hostile.project_id
            shown.add(assert_no_markup(app, f"maintain › {tab} with the hostile project as {role}"))
        if tab == "Projekte":
            # The archive question quotes the title in a Markdown body: escaped by plain().
            next(button for button in app.button if button.label == "Archivieren").click().run()
            shown.add(assert_no_markup(app, f"maintain › archive question as {role}"))
            assert any(plain(HOSTILE_TITLE) in warning.value for warning in app.main.warning)
            next(button for button in app.button if button.label == "Abbrechen").click().run()
    assert app.session_state["maintain_tab"] == tabs[-1]
    for hostile_text in (HOSTILE_TITLE, HOSTILE_MEMBER, HOSTILE_TOPIC):
        assert shown.as_text(hostile_text), f"{hostile_text} is not shown on Daten pflegen as {role}"


def test_a_liaison_gets_no_maintain_forms(hostile: Hostile, app_for: Callable[..., AppTest]) -> None:
    app = on_page(app_for, hostile, "liaison", MAINTAIN)
    assert_no_markup(app, "maintain as liaison")
    assert not app.tabs and not app.get("form")


# --- the Änderungsprotokoll -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ("admin", "speaker"))
def test_the_audit_trail_shows_the_hostile_change_as_text(
    hostile: Hostile, app_for: Callable[..., AppTest], role: str
) -> None:
    app = on_page(app_for, hostile, role, AUDIT)
    shown = assert_no_markup(app, f"audit as {role}")
    assert HOSTILE_USER in app.selectbox(key="benutzer").options
    table = next(frame for frame in app.dataframe if frame.key and frame.key.startswith("audit_entries"))
    row = table.value["Benutzer"].to_list().index(HOSTILE_USER)
    app.session_state[table.key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    app.run()
    shown.add(assert_no_markup(app, f"audit detail as {role}"))
    assert any(HOSTILE_TITLE in body for body in shown.plain)  # the new value, in the table or as data
    assert any(plain(HOSTILE_USER) in body for body in shown.markdown)  # the detail's heading names the user
    for hostile_text in (HOSTILE_TITLE, HOSTILE_USER):
        assert shown.as_text(hostile_text), f"{hostile_text} is not shown in the Änderungsprotokoll as {role}"


# --- Anträge & Stellungnahmen: the hostile project as an application --------------------------------------------

APPLICATIONS = "dashboard/pages/applications.py"
HOSTILE_CRITERION = "<i onclick=alert(5)>Bedarf</i>"
HOSTILE_COMMENT = "<iframe src=javascript:alert(6)>"


@pytest.fixture(scope="module")
def hostile_application(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    """The hostile database with the hostile project submitted (beantragt), a criterion with a hostile name and an
    assessment with a hostile comment."""
    found = hostile_database(tmp_path_factory.mktemp("xss-applications"))
    engine = make_engine(found.url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE project SET status = 'beantragt' WHERE id = :p"), {"p": found.project_id})
        alliance_id = connection.execute(
            text("SELECT alliance_id FROM project WHERE id = :p"), {"p": found.project_id}
        ).scalar_one()
        connection.execute(
            text(
                "UPDATE assessment_criterion SET name = :n WHERE id = "
                "(SELECT MIN(id) FROM assessment_criterion WHERE alliance_id = :a)"
            ),
            {"n": HOSTILE_CRITERION, "a": alliance_id},
        )
    view = applications.application(engine, SYSTEM_SCOPE, found.project_id, today=date(2026, 1, 15))
    assessor = view.can_score_as[0][0]
    applications.record_assessment(
        engine,
        SYSTEM_SCOPE,
        found.project_id,
        applications.AssessmentInput(
            assessor_member_id=assessor, scores={c.id: 3 for c in view.criteria}, comment=HOSTILE_COMMENT
        ),
        opened_version=None,
    )
    engine.dispose()
    return found


@pytest.mark.parametrize("role", ROLES)
def test_the_application_page_shows_the_hostile_application_as_text(
    hostile_application: Hostile, app_for: Callable[..., AppTest], role: str
) -> None:
    who: dict[str, Any] = {"role": role}
    if role == "member":
        who["member_id"] = hostile_application.lead_id
    app = app_for(hostile_application.url, antrag=str(hostile_application.project_id), **who).run()
    app.switch_page(APPLICATIONS).run()
    shown = assert_no_markup(app, f"applications as {role}")
    table = next(frame for frame in app.dataframe if frame.key and frame.key.startswith("antraege_table"))
    assert HOSTILE_TITLE in table.value["Titel"].to_list()
    assert plain(HOSTILE_TITLE) in [heading.value for heading in app.subheader]
    for section in ("Stellungnahme", "Entscheidung", "Bewertung"):
        app.session_state["antrag_bereich"] = section
        app.run()
        shown.add(assert_no_markup(app, f"applications › {section} as {role}"))
    if role in ("admin", "speaker"):
        app.session_state["antrag_bereich"] = "Stellungnahme"
        app.run()
        # A draft (the seed finalised a statement on this project before its title turned hostile), regenerated
        # from the current facts.
        for action in ("Entwurf erzeugen", "Neue Fassung"):
            found = [button for button in app.button if button.label == action]
            if found:
                found[0].click().run()
                break
        next(button for button in app.button if button.label == "Text neu erzeugen").click().run()
        shown.add(assert_no_markup(app, f"applications with a draft as {role}"))
        assert HOSTILE_TITLE in app.text_area(key="sn_text").value
    for body in shown.markdown:
        for hostile_text in (HOSTILE_CRITERION, HOSTILE_COMMENT):
            assert hostile_text not in body, f"applications as {role}: {body[:200]}"
    assert shown.as_text(HOSTILE_MEMBER)
    if role in ("admin", "speaker"):
        assert shown.as_text(HOSTILE_CRITERION)  # the scoring form's label and the score table
        assert shown.as_text(HOSTILE_COMMENT)  # the assessor table

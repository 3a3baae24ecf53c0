"""AppTest of „Anträge & Stellungnahmen“: every role, URL filters, the speaker's path from scoring by two assessors to
an approved project, a member's independent scoring, conflicts of interest, a liaison without forms, refused input."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import col
from streamlit.testing.v1 import AppTest

from dashboard.data_access import applications, editing, migrations
from dashboard.data_access.applications import ApplicationFilter
from dashboard.data_access.db import make_engine
from dashboard.data_access.editing import ProjectInput
from dashboard.data_access.models import (
    Assessment,
    AssessmentScore,
    AuditEntry,
    FinancialEntry,
    Member,
    Project,
    Statement,
    Topic,
)
from dashboard.data_access.scope import SYSTEM_SCOPE
from dashboard.domain.overview import today
from dashboard.ui import applications_scoring as scoring
from seeds.loader import seed_demo
from tests.app.test_maintain import errors_under, unescaped

PAGE = "dashboard/pages/applications.py"
PROJECTS_PAGE = "dashboard/pages/projects.py"
ALLIANCE = 1  # SüdOstNiedersachsen, the default alliance
TITLE = "Pflegeschule digital – Antrag im Test"
LEAD = "Landkreis Wolfenbüttel"
PARTNER = "Ostfalia Hochschule für angewandte Wissenschaften"
ASSESSORS = ("IHK Braunschweig", "Stadt Braunschweig")
TOPIC = "Pädagogische, pflegerische und medizinische Berufe"
ROLES = ("admin", "speaker", "member", "liaison")


@dataclass(frozen=True)
class Application:
    url: str
    engine: Engine
    project_id: int
    members: dict[str, int]  # name -> member id of the alliance


def member_ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(col(Member.name), col(Member.id)).where(col(Member.alliance_id) == ALLIANCE)
        ).all()
    return {name: int(member_id) for name, member_id in rows}


def create_application(engine: Engine, members: dict[str, int]) -> int:
    """A submitted application (beantragt) led by LEAD with PARTNER: both have a conflict of interest."""
    with engine.connect() as connection:
        topic = connection.execute(
            select(col(Topic.id)).where(col(Topic.alliance_id) == ALLIANCE, col(Topic.name) == TOPIC)
        ).scalar_one()
    record = editing.create_project(
        engine,
        SYSTEM_SCOPE,
        ALLIANCE,
        ProjectInput(
            title=TITLE,
            description="Digitale Lernmodule für die Pflegeausbildung in Wolfenbüttel.",
            lead_member_id=members[LEAD],
            status="beantragt",
            fund="esf",
            start_date=None,
            end_date=None,
            total_cost=Decimal("120000.00"),
            requested_grant=Decimal("90000.00"),
            approved_grant=None,
            partner_ids=(members[PARTNER],),
            topic_ids=(int(topic),),
            region_ags=("03158",),
        ),
    )
    return record.id


@pytest.fixture
def application(empty_url: str) -> Iterator[Application]:
    """A seeded database of its own on each backend with one submitted application: these tests write to it."""
    engine = make_engine(empty_url)
    migrations.upgrade(engine)
    seed_demo(engine)
    members = member_ids(engine)
    project_id = create_application(engine, members)
    yield Application(empty_url, engine, project_id, members)
    engine.dispose()


def open_page(app_for: Callable[..., AppTest], url: str, **who_and_query: Any) -> AppTest:
    app = app_for(url, **who_and_query).run()
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    return app


def click(app: AppTest, label: str) -> AppTest:
    next(button for button in app.button if button.label == label).click().run()
    assert not app.exception, app.exception
    return app


def count(engine: Engine, model: type, *where: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def status_of(engine: Engine, project_id: int) -> str:
    with engine.connect() as connection:
        return str(connection.execute(select(col(Project.status)).where(col(Project.id) == project_id)).scalar_one())


def finalised(engine: Engine, project_id: int) -> int:
    return count(engine, Statement, col(Statement.project_id) == project_id, col(Statement.finalised_at).is_not(None))


def table(app: AppTest) -> Any:
    return next(frame for frame in app.dataframe if frame.key and frame.key.startswith("antraege_table"))


def texts(elements: Any) -> list[str]:
    return [unescaped(str(element.value)) for element in elements]


def section(app: AppTest, label: str) -> AppTest:
    """Open a section (tab) of the application's detail: only the open one runs."""
    app.session_state["antrag_bereich"] = label
    app.run()
    assert not app.exception, app.exception
    return app


def score_all(app: AppTest, value: int) -> None:
    for radio in app.radio:
        if radio.key and radio.key.startswith("bw_score_"):
            radio.set_value(value)


# --- every role ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_page_renders_for_every_role(seeded_url: str, app_for: Callable[..., AppTest], role: str) -> None:
    who: dict[str, Any] = {"role": role}
    if role == "member":
        engine = make_engine(seeded_url)
        who["member_id"] = member_ids(engine)["Landkreis Peine"]
        engine.dispose()
    app = open_page(app_for, seeded_url, **who)
    assert app.title[0].value == "Anträge & Stellungnahmen"
    assert [metric.label for metric in app.metric] == [
        "Offene Anträge",
        "Beantragt (offen)",
        "Wartezeit (Median)",
        "Zu erörtern",
    ]
    shown = table(app).value
    pipeline = applications.pipeline(make_engine(seeded_url), SYSTEM_SCOPE, ALLIANCE, today=today())
    assert sorted(shown["Titel"].to_list()) == sorted(pipeline["title"].to_list())
    assert len(app.get("plotly_chart")) == 1
    # Only speakers and admins get the criteria catalogue.
    assert bool(app.tabs) == (role in ("admin", "speaker"))


def test_the_open_application_renders_for_every_role(application: Application, app_for: Any) -> None:
    for role in ROLES:
        who: dict[str, Any] = {"role": role}
        if role == "member":
            who["member_id"] = application.members[ASSESSORS[0]]
        app = open_page(app_for, application.url, antrag=str(application.project_id), **who)
        assert unescaped(app.subheader[-1].value) == TITLE, role
        sections = [tab.label for tab in app.tabs if tab.label in ("Bewertung", "Stellungnahme", "Entscheidung")]
        assert sections == ["Bewertung", "Stellungnahme", "Entscheidung"], role


# --- filters in the URL ----------------------------------------------------------------------------------------------


def expected_titles(application: Application, flt: ApplicationFilter) -> list[str]:
    frame = applications.pipeline(application.engine, SYSTEM_SCOPE, ALLIANCE, flt, today=today())
    return sorted(frame["title"].to_list())


def shown_titles(app: AppTest) -> list[str]:
    return sorted(table(app).value["Titel"].to_list())


def test_a_filter_in_the_url_narrows_the_table(application: Application, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, application.url, role="speaker")
    everything = shown_titles(app)
    assert everything == expected_titles(application, ApplicationFilter())

    app = open_page(app_for, application.url, role="speaker", antragsstatus="beantragt")
    submitted = shown_titles(app)
    assert submitted == expected_titles(application, ApplicationFilter(statuses=("beantragt",)))
    assert TITLE in submitted and len(submitted) < len(everything)
    assert app.multiselect(key="antragsstatus").value == ["beantragt"]
    assert app.metric[0].value == str(len(submitted))

    app = open_page(app_for, application.url, role="speaker", antragsteller=LEAD, kreise="03158")
    assert shown_titles(app) == expected_titles(
        application, ApplicationFilter(applicant_ids=(application.members[LEAD],), region_ags=("03158",))
    )
    assert TITLE in shown_titles(app)

    # A filter that leaves nothing says what to do, and the reset brings every application back.
    app.multiselect(key="antragsstatus").set_value(["zurueckgezogen"]).run()
    assert app.query_params["antragsstatus"] == "zurueckgezogen"
    assert texts(app.main.info)[0].startswith("Kein Antrag passt zu diesen Filtern.")
    click(app, "Zurücksetzen")
    assert shown_titles(app) == everything
    assert "antragsteller" not in app.query_params and "kreise" not in app.query_params


def test_a_row_selection_opens_the_application_and_puts_it_in_the_url(
    application: Application, app_for: Callable[..., AppTest]
) -> None:
    app = open_page(app_for, application.url, role="speaker")
    frame = table(app)
    row = frame.value["Titel"].to_list().index(TITLE)
    app.session_state[frame.key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    app.run()
    assert app.query_params["antrag"] == str(application.project_id)
    assert unescaped(app.subheader[-1].value) == TITLE
    click(app, "Schließen")
    assert "antrag" not in app.query_params
    # A link from elsewhere in the same session (the Partner page links with ?antrag=) opens that application.
    app.query_params["antrag"] = str(application.project_id)
    app.run()
    assert unescaped(app.subheader[-1].value) == TITLE


# --- the speaker's path ----------------------------------------------------------------------------------------------


def test_a_speaker_takes_an_application_from_two_assessments_to_an_approved_project(
    application: Application, app_for: Callable[..., AppTest]
) -> None:
    engine, project_id = application.engine, application.project_id
    app = open_page(app_for, application.url, role="speaker", antrag=str(project_id))

    # Conflicts of interest: the applicant and its partner are listed and cannot be picked.
    conflicts = [text for text in texts(app.main.text) if "(Antragsteller)" in text]
    assert conflicts and LEAD in conflicts[0] and f"{PARTNER} (Projektpartner)" in conflicts[0]
    assessors = app.selectbox(key="bw_assessor").options
    assert LEAD not in assessors and PARTNER not in assessors and set(ASSESSORS) <= set(assessors)

    for name, value in zip(ASSESSORS, (4, 3), strict=True):
        app.selectbox(key="bw_assessor").set_value(application.members[name]).run()
        score_all(app, value)
        app.text_area(key="bw_comment").set_value(f"Anmerkung von {name}")
        click(app, "Bewertung speichern")
        assert texts(app.main.success) == [f"Bewertung für {name} gespeichert."]
    assert count(engine, Assessment, col(Assessment.project_id) == project_id) == 2
    shown = table(app).value
    assert shown[shown["Titel"] == TITLE]["Bewertungen"].to_list() == [2]

    # The statement: a draft from the scores, a recommendation, then finalised for good.
    section(app, "Stellungnahme")
    click(app, "Entwurf erzeugen")
    text = app.text_area(key="sn_text").value
    assert TITLE in text and "Anmerkung von IHK Braunschweig" in text
    app.radio(key="sn_recommendation").set_value("befuerwortet")
    click(app, "Entwurf speichern")
    assert texts(app.main.success) == ["Entwurf der Fassung 1 gespeichert."]
    assert [button.label for button in app.get("download_button")] == ["Entwurf herunterladen (DOCX)"]
    click(app, "Endgültig abschließen")
    click(app, "Ja, endgültig abschließen")
    assert texts(app.main.success)[0] == "Fassung 1 ist abgeschlossen."
    assert status_of(engine, project_id) == "bewertet"
    assert (
        count(engine, Statement, col(Statement.project_id) == project_id, col(Statement.finalised_at).is_not(None)) == 1
    )
    assert not [area for area in app.text_area if area.key == "sn_text"]  # a final statement is read-only
    assert [button.label for button in app.get("download_button")] == ["Stellungnahme (DOCX)"]

    # The decision: approved with the requested grant, booked as a commitment.
    section(app, "Entscheidung")
    app.selectbox(key="ent_status").set_value("bewilligt").run()
    assert app.text_input(key="ent_approved_grant").value == "90.000,00"
    click(app, "Status auf „Bewilligt“ setzen")
    assert texts(app.main.success)[0] == f"„{TITLE}“ ist jetzt „Bewilligt“."
    assert status_of(engine, project_id) == "bewilligt"
    commitments = count(
        engine,
        FinancialEntry,
        col(FinancialEntry.project_id) == project_id,
        col(FinancialEntry.kind) == "commitment",
        col(FinancialEntry.amount) == Decimal("90000.00"),
    )
    assert commitments == 1

    # On to the project in the portfolio.
    click(app, "Projekt auf der Seite „Projekte“ öffnen")
    assert app.title[0].value == "Projekte"
    assert app.dataframe[0].value["Titel"].to_list() == [TITLE]


# --- members, liaisons and bad input -------------------------------------------------------------------------------


def test_a_member_scores_only_as_its_own_organisation(
    application: Application, app_for: Callable[..., AppTest]
) -> None:
    own = application.members[ASSESSORS[0]]
    app = open_page(app_for, application.url, role="member", member_id=own, antrag=str(application.project_id))
    assert app.selectbox(key="bw_assessor").options == [ASSESSORS[0]]
    assert "Kriterienkatalog" not in [tab.label for tab in app.tabs]
    score_all(app, 5)
    click(app, "Bewertung speichern")
    assert count(application.engine, Assessment, col(Assessment.assessor_member_id) == own) == 1
    assessor_table = next(frame.value for frame in app.dataframe if "Organisation" in frame.value.columns)
    assert assessor_table["Organisation"].to_list() == [ASSESSORS[0]]
    # No statement or decision controls for a member.
    section(app, "Stellungnahme")
    assert "Entwurf erzeugen" not in [button.label for button in app.button]
    assert texts(app.main.info) == ["Noch keine abgeschlossene Stellungnahme."]
    section(app, "Entscheidung")
    assert not [box for box in app.selectbox if box.key == "ent_status"]


def test_the_conflicted_member_is_blocked_with_the_reason(
    application: Application, app_for: Callable[..., AppTest]
) -> None:
    lead = application.members[LEAD]
    app = open_page(app_for, application.url, role="member", member_id=lead, antrag=str(application.project_id))
    assert not [box for box in app.selectbox if box.key == "bw_assessor"]
    assert any("Interessenkonflikt" in text for text in texts(app.main.info))
    assert not [button for button in app.button if button.label == "Bewertung speichern"]


def test_a_liaison_sees_no_forms(application: Application, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, application.url, role="liaison", antrag=str(application.project_id))
    assert unescaped(app.subheader[-1].value) == TITLE
    for name in ("Bewertung", "Stellungnahme", "Entscheidung"):
        section(app, name)
        assert not app.get("form"), name
        assert not app.text_area and not app.text_input, name
        labels = [button.label for button in app.button]
        assert "Bewertung speichern" not in labels and "Entwurf erzeugen" not in labels, name
        assert not [box for box in app.selectbox if box.key in ("bw_assessor", "ent_status")], name


@pytest.mark.parametrize("first_score", [None, 7], ids=["missing", "out-of-range"])
def test_a_missing_or_out_of_range_score_shows_the_message_and_writes_nothing(
    application: Application, app_for: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch, first_score: int | None
) -> None:
    engine = application.engine
    before = (count(engine, Assessment), count(engine, AssessmentScore), count(engine, AuditEntry))
    app = open_page(app_for, application.url, role="speaker", antrag=str(application.project_id))
    scores = [radio.key for radio in app.radio if radio.key and radio.key.startswith("bw_score_")]
    assert len(scores) == 6
    for key in scores[1:]:
        app.radio(key=key).set_value(3)
    if first_score is not None:
        # The 0–5 choice cannot produce 7; a value from elsewhere (an old session, a crafted request) reaches the
        # service, which refuses it, and the page shows why under the criterion.
        real = scoring.form_value
        first = scores[0].removeprefix(f"{scoring.PREFIX}_")
        monkeypatch.setattr(
            scoring, "form_value", lambda prefix, name: first_score if name == first else real(prefix, name)
        )
    click(app, "Bewertung speichern")
    message = errors_under(app.main, scores[0])
    expected = "zwischen 0 und 5" if first_score is not None else "Regionaler Bedarf"
    assert len(message) == 1 and expected in message[0], message
    assert all(errors_under(app.main, key) == [] for key in scores[1:])
    assert not app.main.success
    assert (count(engine, Assessment), count(engine, AssessmentScore), count(engine, AuditEntry)) == before
    assert app.radio(key=scores[1]).value == 3  # the chosen scores stay for correcting


def test_a_statement_without_recommendation_is_not_finalised(
    application: Application, app_for: Callable[..., AppTest]
) -> None:
    engine, project_id = application.engine, application.project_id
    app = open_page(app_for, application.url, role="speaker", antrag=str(project_id))
    for name in ASSESSORS:
        app.selectbox(key="bw_assessor").set_value(application.members[name]).run()
        score_all(app, 4)
        click(app, "Bewertung speichern")
    section(app, "Stellungnahme")
    click(app, "Entwurf erzeugen")
    click(app, "Endgültig abschließen")
    click(app, "Ja, endgültig abschließen")
    assert any("Empfehlung" in text for text in texts(app.main.error))
    assert status_of(engine, project_id) == "beantragt"
    assert (
        count(engine, Statement, col(Statement.finalised_at).is_not(None), col(Statement.project_id) == project_id) == 0
    )


def test_a_concurrent_assessment_is_refused_and_reload_shows_the_stored_one(
    application: Application, app_for: Callable[..., AppTest]
) -> None:
    engine, project_id = application.engine, application.project_id
    assessor = application.members[ASSESSORS[0]]
    app = open_page(app_for, application.url, role="speaker", antrag=str(project_id))
    app.selectbox(key="bw_assessor").set_value(assessor).run()
    # Someone else enters the same organisation's form while this one is open.
    view = applications.application(engine, SYSTEM_SCOPE, project_id, today=today())
    theirs = applications.AssessmentInput(assessor, {c.id: 1 for c in view.criteria}, "Deren Anmerkung")
    applications.record_assessment(engine, SYSTEM_SCOPE, project_id, theirs, opened_version=None)
    score_all(app, 5)
    click(app, "Bewertung speichern")
    assert any("Nichts wurde überschrieben" in text for text in texts(app.main.warning))
    with engine.connect() as connection:
        comment = connection.execute(select(col(Assessment.comment)).where(col(Assessment.project_id) == project_id))
        assert comment.scalar_one() == "Deren Anmerkung"
    click(app, "Neu laden")
    assert app.text_area(key="bw_comment").value == "Deren Anmerkung"
    assert {radio.value for radio in app.radio if radio.key and radio.key.startswith("bw_score_")} == {1}

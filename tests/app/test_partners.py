"""AppTest of the Partner page: every role, filters through widgets and the URL, the detail from a link or a table
row, a member's view (own organisation first, other partners' money as dashes) and a hostile name shown as text."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select, text
from sqlmodel import col
from streamlit.testing.v1 import AppTest

from dashboard.data_access import migrations
from dashboard.data_access.db import make_engine
from dashboard.data_access.models import Alliance, Member
from dashboard.ui.text import plain
from seeds.loader import read_seed_file, seed_demo
from tests.app.test_xss import assert_no_markup

PAGE = "dashboard/pages/partners.py"
ROLES = ("admin", "speaker", "member", "liaison")
SON = next(a for a in read_seed_file("alliances.yaml")["alliances"] if a["slug"] == "suedostniedersachsen")
HOSTILE = "<img src=x onerror=\"alert(2)\"> =cmd|' /C calc'!A0"


def member_id(url: str, name: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = connection.execute(
            select(col(Member.id))
            .join(Alliance, col(Alliance.id) == col(Member.alliance_id))
            .where(col(Alliance.slug) == SON["slug"], col(Member.name) == name)
        ).scalar_one()
    engine.dispose()
    return int(found)


def open_page(app_for: Callable[..., AppTest], url: str, **query: str | int) -> AppTest:
    who = {key: value for key, value in query.items() if key in ("role", "member_id")}
    params = {key: str(value) for key, value in query.items() if key not in who}
    app = app_for(url, **who, **params).run()
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    return app


def table(app: AppTest) -> object:
    return next(frame for frame in app.dataframe if frame.key and frame.key.startswith("partner_table"))


def names(app: AppTest) -> list[str]:
    return list(table(app).value["Organisation"])  # type: ignore[attr-defined]


def metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


@pytest.mark.parametrize("role", ROLES)
def test_the_page_renders_for_every_role(seeded_url: str, app_for: Callable[..., AppTest], role: str) -> None:
    who: dict[str, str | int] = {"role": role}
    if role == "member":
        who["member_id"] = member_id(seeded_url, "IHK Braunschweig")
    app = open_page(app_for, seeded_url, **who)
    assert [title.value for title in app.main.title] == ["Partner"]
    assert sorted(names(app)) == sorted(member["name"] for member in SON["members"])
    assert metrics(app)["Partner"] == str(len(SON["members"]))
    assert len(app.get("plotly_chart")) == 2
    assert app.selectbox(key="partner_detail").value is None


def test_filter_by_type_through_the_widget_and_back(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, seeded_url)
    app.multiselect(key="typ").set_value(["ihk"]).run()
    ihk = sorted(member["name"] for member in SON["members"] if member["type"] == "ihk")
    assert sorted(names(app)) == ihk
    assert set(table(app).value["Typ"]) == {"IHK"}  # type: ignore[attr-defined]
    assert metrics(app)["Partner"] == str(len(ihk))
    assert app.query_params["typ"] == "ihk"
    app.button(key="partner_reset").click().run()
    assert len(names(app)) == len(SON["members"]) and "typ" not in app.query_params


def test_filters_from_the_url_and_an_empty_result(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, seeded_url, typ="landkreis", sitz="03153")
    assert names(app) == ["Landkreis Goslar"]
    app = open_page(app_for, seeded_url, typ="ihk", sitz="03153")  # no IHK has its seat in Goslar
    assert "Kein Partner passt zu diesen Filtern" in app.info[0].value
    assert not any(frame.key and frame.key.startswith("partner_table") for frame in app.dataframe)
    app.button(key="partner_reset_empty").click().run()
    assert len(names(app)) == len(SON["members"])


def test_detail_from_a_link(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    chosen = member_id(seeded_url, "Technische Universität Clausthal")
    app = open_page(app_for, seeded_url, partner=chosen)
    assert app.selectbox(key="partner_detail").value == chosen
    assert plain("Technische Universität Clausthal") in [heading.value for heading in app.subheader]
    led = {p["title"] for p in SON["projects"] if p["lead"] == "Technische Universität Clausthal"}
    projects = next(frame.value for frame in app.dataframe if "Rolle" in frame.value.columns)
    assert set(projects.loc[projects["Rolle"] == "Federführung", "Titel"]) == led
    assert app.query_params["partner"] == str(chosen)


def test_detail_from_a_table_row_and_unknown_links(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, seeded_url, partner="999999")
    assert app.selectbox(key="partner_detail").value is None and "partner" not in app.query_params
    first = names(app)[0]
    app.session_state[table(app).key] = {"selection": {"rows": [0], "columns": [], "cells": []}}  # type: ignore[attr-defined]
    app.run()
    assert plain(first) in [heading.value for heading in app.subheader]
    assert app.query_params["partner"] == str(member_id(seeded_url, first))


def test_a_member_sees_its_organisation_first_and_dashes_for_other_money(
    seeded_url: str, app_for: Callable[..., AppTest]
) -> None:
    own = member_id(seeded_url, "Stadt Salzgitter")
    app = open_page(app_for, seeded_url, role="member", member_id=own)
    frame = table(app).value  # type: ignore[attr-defined]
    assert frame["Organisation"].iloc[0] == "Stadt Salzgitter" and bool(frame["Ihre Organisation"].iloc[0])
    assert not frame["Ihre Organisation"].iloc[1:].any()
    assert frame["Bewilligt"].iloc[0] == 105000.0  # its own project (seed: 105.000 € approved)
    assert frame["Bewilligt"].iloc[1:].isna().all() and frame["Kofinanzierung"].iloc[1:].isna().all()
    assert table(app).proto.placeholder == "–"  # type: ignore[attr-defined]
    assert any("Die Mittel anderer Partnerorganisationen" in caption.value for caption in app.caption)
    assert "Ihre Organisation" in app.info[0].value
    # Another partner's detail: its amounts are dashes too.
    app = open_page(
        app_for, seeded_url, role="member", member_id=own, partner=member_id(seeded_url, "IHK Lüneburg-Wolfsburg")
    )
    assert metrics(app)["Bewilligt"] == "–"


def test_a_speaker_sees_every_amount(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = open_page(app_for, seeded_url, role="speaker")
    frame = table(app).value  # type: ignore[attr-defined]
    assert "Ihre Organisation" not in frame.columns
    assert frame["Bewilligt"].notna().all()
    assert not any("Die Mittel anderer Partnerorganisationen" in caption.value for caption in app.caption)


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('partners-xss') / 'cockpit.sqlite3'}"
    engine = make_engine(url)
    migrations.upgrade(engine)
    seed_demo(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE member SET name = :n WHERE name = 'IHK Braunschweig'"), {"n": HOSTILE})
        # An alliance without partners yet, for the empty state.
        connection.execute(
            text(
                "INSERT INTO alliance (slug, name, short_name, land, programme, period_start, period_end, description,"
                " source, is_example, version, created_at, updated_at) VALUES ('leer', 'Leeres Bündnis', 'Leer', 'NI',"
                " 'ESF', '2025-01-01', '2027-12-31', '', '', 1, 1, '2025-01-01', '2025-01-01')"
            )
        )
    engine.dispose()
    return url


@pytest.mark.parametrize("role", ("speaker", "member"))
def test_a_hostile_partner_name_is_shown_as_text(hostile_url: str, app_for: Callable[..., AppTest], role: str) -> None:
    chosen = member_id(hostile_url, HOSTILE)
    who: dict[str, str | int] = {"role": role}
    if role == "member":
        who["member_id"] = chosen
    app = open_page(app_for, hostile_url, partner=chosen, **who)
    assert HOSTILE in names(app)
    assert plain(HOSTILE) in [heading.value for heading in app.subheader]
    assert HOSTILE in app.selectbox(key="partner_detail").options
    for body in [*(m.value for m in app.markdown), *(c.value for c in app.caption), *(i.value for i in app.info)]:
        assert HOSTILE not in body  # only escaped (plain()) in anything rendered as Markdown
    assert_no_markup(app, f"partner page as {role}")


def test_an_alliance_without_partners_says_where_they_come_from(
    hostile_url: str, app_for: Callable[..., AppTest]
) -> None:
    app = open_page(app_for, hostile_url, alliance="leer")
    assert "noch keine Partnerorganisationen erfasst" in app.info[0].value
    assert not app.dataframe and not app.get("plotly_chart")

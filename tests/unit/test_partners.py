"""The Partner page's reads on SQLite and PostgreSQL: contributions per organisation, money masked for members,
the network of who works with whom, and one partner's projects and assessments; plus the pure Polars pieces.

The database is built from the models (not the migrations) with a small hand-made alliance, so every number below
can be checked by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

from dashboard.data_access import partners
from dashboard.data_access.db import make_engine
from dashboard.data_access.models import (
    Alliance,
    Assessment,
    AssessmentCriterion,
    AssessmentScore,
    FinancialEntry,
    Member,
    Project,
    ProjectPartner,
    ProjectStatusChange,
    Region,
    Statement,
)
from dashboard.data_access.scope import PermissionDenied, Role, Scope
from dashboard.data_access.writes import NotFound
from dashboard.domain import partners as domain
from dashboard.exporters import partners as export
from tests.conftest import BACKENDS, new_database_url


@dataclass(frozen=True)
class World:
    engine: Engine
    alliance: int
    other_alliance: int
    city: int  # Stadt Braunschweig: leads p1 and p2
    chamber: int  # IHK Braunschweig: leads p3 and p6, joins p1 and p2
    county: int  # Landkreis Goslar: leads p5 (and the archived p4), joins p1 and p3
    jobcenter: int  # Jobcenter Goslar: no projects, one assessment
    outsider: int  # a partner of the other alliance
    p1: int
    p2: int
    p3: int
    p5: int
    p6: int

    def scope(self, who: str) -> Scope:
        a, b = self.alliance, self.other_alliance
        return {
            "admin": Scope(user="admin", role=Role.ADMIN),
            "speaker": Scope.for_alliances("sprecherin", Role.SPEAKER, [a]),
            "chamber": Scope.for_alliances("ihk", Role.MEMBER, [a], [self.chamber]),
            "city": Scope.for_alliances("stadt", Role.MEMBER, [a], [self.city]),
            "liaison": Scope.for_alliances("ministerium", Role.LIAISON, [a, b]),
            "elsewhere": Scope.for_alliances("woanders", Role.SPEAKER, [b]),
            "nobody": Scope(user="niemand", role=Role.SPEAKER),
        }[who]


def _add(session: Session, row: SQLModel) -> int:
    session.add(row)
    session.flush()
    return int(row.id)  # type: ignore[attr-defined]


def _member(s: Session, alliance: int, name: str, member_type: str, ags: str | None) -> int:
    return _add(s, Member(alliance_id=alliance, name=name, member_type=member_type, region_ags=ags))


def _project(
    s: Session, alliance: int, title: str, lead: int, status: str, money: tuple[str, str | None], **more: object
) -> int:
    total, approved = money
    project = Project(
        alliance_id=alliance,
        title=title,
        lead_member_id=lead,
        status=status,
        total_cost=Decimal(total),
        approved_grant=Decimal(approved) if approved else None,
        fund="esf",
        **more,
    )
    return _add(s, project)


def _entry(project_id: int, day: date, kind: str, amount: str) -> FinancialEntry:
    return FinancialEntry(project_id=project_id, entry_date=day, kind=kind, amount=Decimal(amount), fund="esf")


def _assessment(s: Session, project_id: int, assessor: int | None, day: date, scores: dict[int, int]) -> None:
    row = Assessment(project_id=project_id, assessor_member_id=assessor, assessed_on=day, assessor_name="Eingabe")
    assessment_id = _add(s, row)
    s.add_all(AssessmentScore(assessment_id=assessment_id, criterion_id=c, score=v) for c, v in scores.items())


def build_world(engine: Engine) -> World:
    SQLModel.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Region(ags="03101", name="Braunschweig, Stadt"), Region(ags="03153", name="Goslar")])
        s.flush()
        period = {"period_start": date(2024, 1, 1), "period_end": date(2027, 12, 31)}
        a = _add(s, Alliance(slug="a", name="Bündnis A", short_name="A", land="NI", programme="ESF", **period))
        b = _add(s, Alliance(slug="b", name="Bündnis B", short_name="B", land="NI", programme="ESF", **period))
        city = _member(s, a, "Stadt Braunschweig", "kreisfreie_stadt", "03101")
        chamber = _member(s, a, "IHK Braunschweig", "ihk", "03101")
        county = _member(s, a, "Landkreis Goslar", "landkreis", "03153")
        jobcenter = _member(s, a, "Jobcenter Goslar", "jobcenter", "03153")
        outsider = _member(s, b, "Stadt Anderswo", "kreisfreie_stadt", None)
        p1 = _project(
            s, a, "P1 Welcome Center", city, "laufend", ("100000.00", "60000.00"), start_date=date(2024, 1, 1)
        )
        p2 = _project(s, a, "P2 Pflege", city, "bewilligt", ("50000.00", "50000.00"), start_date=date(2025, 1, 1))
        p3 = _project(
            s, a, "P3 Antrag", chamber, "beantragt", ("30000.00", None), requested_grant=Decimal("20000.00"),
            start_date=date(2026, 1, 1),
        )  # fmt: skip
        archived = datetime(2025, 1, 1, tzinfo=UTC)
        p4 = _project(s, a, "P4 archiviert", county, "laufend", ("99999.00", "99999.00"), archived_at=archived)
        p5 = _project(s, a, "P5 teurer bewilligt", county, "abgeschlossen", ("10000.00", "12000.00"))
        p6 = _project(s, a, "P6 bewertet", chamber, "bewertet", ("40000.00", None))
        _project(s, b, "PB anderswo", outsider, "laufend", ("5000.00", "5000.00"))
        links = [(p1, chamber), (p1, county), (p2, chamber), (p3, county), (p4, city)]
        s.add_all(ProjectPartner(project_id=project_id, member_id=member_id) for project_id, member_id in links)
        s.add_all(
            [
                _entry(p1, date(2024, 2, 1), "commitment", "60000.00"),
                _entry(p1, date(2024, 6, 30), "disbursement", "20000.00"),
                _entry(p1, date(2030, 1, 1), "disbursement", "1.00"),
            ]
        )
        late_evening = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
        s.add(
            ProjectStatusChange(project_id=p2, from_status="bewertet", to_status="bewilligt", changed_at=late_evening)
        )
        c1 = _add(s, AssessmentCriterion(alliance_id=a, code="bedarf", name="Regionaler Bedarf", weight=2))
        c2 = _add(s, AssessmentCriterion(alliance_id=a, code="strategie", name="Strategie", weight=1))
        _assessment(s, p3, city, date(2026, 2, 1), {c1: 4, c2: 1})  # (2·4 + 1·1) / 3 = 3.0
        _assessment(s, p3, jobcenter, date(2026, 2, 3), {c1: 5, c2: 4})  # 14 / 3 = 4.67
        _assessment(s, p3, None, date(2026, 1, 15), {c1: 1, c2: 1})  # taken over from the old model: nobody's
        _assessment(s, p6, city, date(2026, 3, 1), {c1: 3, c2: 5})  # 11 / 3 = 3.67
        final = datetime(2026, 3, 10, tzinfo=UTC)
        s.add_all(
            [
                Statement(project_id=p3, number=1, text="Entwurf"),
                Statement(project_id=p6, number=1, recommendation="nicht_befuerwortet", finalised_at=final),
                Statement(project_id=p6, number=2, recommendation="befuerwortet", finalised_at=final),
                Statement(project_id=p6, number=3, text="neuer Entwurf"),
            ]
        )
        s.commit()
    return World(engine, a, b, city, chamber, county, jobcenter, outsider, p1, p2, p3, p5, p6)


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    for url in new_database_url(request.param, tmp_path_factory.mktemp(f"partners-{request.param}")):
        engine = make_engine(url)
        yield build_world(engine)
        engine.dispose()


def rows(frame: pl.DataFrame, key: str = "name") -> dict[object, dict[str, object]]:
    return {row[key]: row for row in frame.iter_rows(named=True)}


# --- partner_overview ----------------------------------------------------------------------------------------------


def test_overview_counts_money_and_assessments(world: World) -> None:
    overview = partners.partner_overview(world.engine, world.scope("speaker"), world.alliance)
    assert overview["name"].to_list() == [
        "IHK Braunschweig",
        "Jobcenter Goslar",
        "Landkreis Goslar",
        "Stadt Braunschweig",
    ]
    table = rows(overview)
    city, chamber, county, jobcenter = (
        table["Stadt Braunschweig"], table["IHK Braunschweig"], table["Landkreis Goslar"], table["Jobcenter Goslar"]
    )  # fmt: skip
    # The archived P4 (led by the county, joined by the city) counts nowhere.
    assert (city["projects_led"], city["projects_joined"]) == (2, 0)
    assert (chamber["projects_led"], chamber["projects_joined"]) == (2, 2)
    assert (county["projects_led"], county["projects_joined"]) == (1, 2)
    assert (jobcenter["projects_led"], jobcenter["projects_joined"]) == (0, 0)
    assert city["approved_led_cents"] == 11_000_000 and county["approved_led_cents"] == 1_200_000
    assert chamber["approved_led_cents"] == 0
    # Co-financing: total cost not covered by the approved grant (P1: 40.000 €; P2 fully funded; P5 over-funded: 0).
    assert city["cofinancing_cents"] == 4_000_000 and county["cofinancing_cents"] == 0
    assert chamber["cofinancing_cents"] == 0  # its projects have no approved grant yet
    assert (city["applications_assessed"], jobcenter["applications_assessed"], chamber["applications_assessed"]) == (
        2,
        1,
        0,
    )
    assert overview["money_visible"].all()
    assert (city["region_name"], city["member_type"]) == ("Braunschweig, Stadt", "kreisfreie_stadt")


def test_last_activity_is_the_latest_dated_event_up_to_the_day_asked(world: World) -> None:
    speaker = world.scope("speaker")
    unbounded = rows(partners.partner_overview(world.engine, speaker, world.alliance))
    assert unbounded["Stadt Braunschweig"]["last_activity"] == date(2030, 1, 1)  # a booking planned for 2030
    bounded = rows(partners.partner_overview(world.engine, speaker, world.alliance, as_of=date(2026, 2, 2)))
    assert bounded["Stadt Braunschweig"]["last_activity"] == date(2026, 2, 1)  # its assessment of P3
    assert bounded["Jobcenter Goslar"]["last_activity"] is None  # its only assessment is on 3 February
    assert bounded["IHK Braunschweig"]["last_activity"] == date(2026, 1, 1)  # P3 started
    early = rows(partners.partner_overview(world.engine, speaker, world.alliance, as_of=date(2026, 1, 1)))
    # P2's approval at 23:30 UTC on 31 December is 1 January in Germany.
    assert early["Stadt Braunschweig"]["last_activity"] == date(2026, 1, 1)
    assert rows(partners.partner_overview(world.engine, speaker, world.alliance, as_of=date(2025, 12, 31)))[
        "Stadt Braunschweig"
    ]["last_activity"] == date(2025, 1, 1)


def test_a_member_sees_money_only_for_its_own_organisation(world: World) -> None:
    mine = partners.partner_overview(world.engine, world.scope("city"), world.alliance)
    everything = partners.partner_overview(world.engine, world.scope("speaker"), world.alliance)
    assert mine.height == everything.height
    own = mine.filter(member_id=world.city).row(0, named=True)
    assert own["money_visible"] and own["approved_led_cents"] == 11_000_000 and own["cofinancing_cents"] == 4_000_000
    others = mine.filter(pl.col("member_id") != world.city)
    assert not others["money_visible"].any()
    assert others["approved_led_cents"].null_count() == others.height == others["cofinancing_cents"].null_count()
    # Counts are no money: they stay for every row.
    assert_frame_equal(mine.drop("approved_led_cents", "cofinancing_cents", "money_visible"),
                       everything.drop("approved_led_cents", "cofinancing_cents", "money_visible"))  # fmt: skip


def test_a_liaison_reads_every_assigned_alliance_and_outsiders_nothing(world: World) -> None:
    liaison = world.scope("liaison")
    assert partners.partner_overview(world.engine, liaison, world.alliance)["money_visible"].all()
    other = partners.partner_overview(world.engine, liaison, world.other_alliance)
    assert other["name"].to_list() == ["Stadt Anderswo"] and other["approved_led_cents"].to_list() == [500_000]
    for who in ("elsewhere", "nobody"):
        for read in (partners.partner_overview, partners.partner_network):
            with pytest.raises(PermissionDenied):
                read(world.engine, world.scope(who), world.alliance)
        with pytest.raises(PermissionDenied):
            partners.partner_detail(world.engine, world.scope(who), world.city)


# --- partner_network -------------------------------------------------------------------------------------------


def test_network_edges_count_shared_readable_projects(world: World) -> None:
    edges = partners.partner_network(world.engine, world.scope("chamber"), world.alliance)
    pairs = {(row["member_a"], row["member_b"]): row["projects"] for row in edges.iter_rows(named=True)}
    key = lambda x, y: (min(x, y), max(x, y))  # noqa: E731
    assert pairs == {
        key(world.city, world.chamber): 2,  # P1 and P2
        key(world.city, world.county): 1,  # P1 (the archived P4 does not count)
        key(world.chamber, world.county): 2,  # P1 and P3
    }
    assert (edges["member_a"] < edges["member_b"]).all()


# --- partner_detail ----------------------------------------------------------------------------------------------


def test_detail_lists_projects_led_first_and_assessments_newest_first(world: World) -> None:
    view = partners.partner_detail(world.engine, world.scope("speaker"), world.city)
    assert (view.name, view.member_type, view.region_name, view.is_own) == (
        "Stadt Braunschweig",
        "kreisfreie_stadt",
        "Braunschweig, Stadt",
        False,
    )
    assert view.projects.select("title", "role", "status", "lead_name").rows() == [
        ("P1 Welcome Center", "lead", "laufend", "Stadt Braunschweig"),
        ("P2 Pflege", "lead", "bewilligt", "Stadt Braunschweig"),
    ]
    assert view.projects["approved_cents"].to_list() == [6_000_000, 5_000_000]
    assessed = view.assessments.select(
        "title", "assessed_on", "weighted_total", "statement_state", "recommendation"
    ).rows()
    assert assessed == [
        ("P6 bewertet", date(2026, 3, 1), 3.67, "final", "befuerwortet"),  # the newest finalised version's
        ("P3 Antrag", date(2026, 2, 1), 3.0, "draft", None),
    ]


def test_detail_hides_foreign_money_and_unfinalised_scores_of_others(world: World) -> None:
    chamber = world.scope("chamber")
    county = partners.partner_detail(world.engine, chamber, world.county)
    money = {row["title"]: row["approved_cents"] for row in county.projects.iter_rows(named=True)}
    assert county.projects["role"].to_list() == ["lead", "partner", "partner"]
    # P5 is the county's alone: the chamber sees no amount; P1 and P3 the chamber takes part in or leads.
    assert money == {"P5 teurer bewilligt": None, "P1 Welcome Center": 6_000_000, "P3 Antrag": None}
    assert county.projects.filter(title="P3 Antrag")["money_visible"].to_list() == [True]  # no grant yet
    assert county.projects.filter(title="P5 teurer bewilligt")["money_visible"].to_list() == [False]

    for who in ("chamber", "liaison"):
        city = partners.partner_detail(world.engine, world.scope(who), world.city)
        totals = dict(zip(city.assessments["title"], city.assessments["weighted_total"], strict=True))
        assert totals == {"P6 bewertet": 3.67, "P3 Antrag": None}, who  # P3's statement is not final yet
        assert city.assessments["total_visible"].to_list() == [True, False]
    own = partners.partner_detail(world.engine, world.scope("city"), world.city)
    assert own.is_own and own.assessments["weighted_total"].to_list() == [3.67, 3.0]


def test_detail_of_an_unknown_partner(world: World) -> None:
    with pytest.raises(NotFound):
        partners.partner_detail(world.engine, world.scope("admin"), 999_999)
    with pytest.raises(PermissionDenied):
        partners.partner_detail(world.engine, world.scope("speaker"), world.outsider)


# --- the pure pieces ---------------------------------------------------------------------------------------------


def overview_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "member_id": [1, 2, 3, 4],
            "name": ["Agentur", "Beta IHK", "Cäsar Kreis", "Delta IHK"],
            "member_type": ["agentur_fuer_arbeit", "ihk", "landkreis", "ihk"],
            "region_ags": ["03101", "03101", "03153", None],
            "projects_led": [0, 2, 1, 0],
            "projects_joined": [1, 0, 3, 0],
        }
    )


def test_filter_by_type_and_kreis() -> None:
    frame = overview_frame()
    assert domain.filter_partners(frame, domain.PartnerFilter())["member_id"].to_list() == [1, 2, 3, 4]
    assert domain.filter_partners(frame, domain.PartnerFilter(types=("ihk",)))["member_id"].to_list() == [2, 4]
    both = domain.PartnerFilter(types=("ihk", "landkreis"), regions=("03101", "03153"))
    assert domain.filter_partners(frame, both)["member_id"].to_list() == [2, 3]


def test_own_organisation_first() -> None:
    ordered = domain.own_first(overview_frame(), frozenset({3}))
    assert ordered["member_id"].to_list() == [3, 1, 2, 4]
    assert ordered["is_own"].to_list() == [True, False, False, False]
    assert domain.own_first(overview_frame(), frozenset())["is_own"].sum() == 0


def test_type_counts_in_descending_order() -> None:
    counts = domain.type_counts(overview_frame())
    assert counts.rows() == [("ihk", 2), ("agentur_fuer_arbeit", 1), ("landkreis", 1)]


def test_network_layout_is_deterministic_and_pulls_partners_together() -> None:
    edges = pl.DataFrame({"member_a": [1, 1, 2], "member_b": [2, 3, 3], "projects": [3, 1, 1]})
    layout = domain.network_layout([4, 3, 2, 1, 5], edges)
    assert layout["member_id"].to_list() == [1, 2, 3, 4, 5]
    assert_frame_equal(layout, domain.network_layout([1, 2, 3, 4, 5], edges))
    points = {row["member_id"]: np.array([row["x"], row["y"]]) for row in layout.iter_rows(named=True)}
    assert layout.select(pl.col("x", "y").abs().max()).max_horizontal()[0] <= 1.0 + 1e-9
    connected = np.linalg.norm(points[1] - points[2])
    assert connected < np.linalg.norm(points[1] - points[4]) and connected < np.linalg.norm(points[2] - points[5])
    assert domain.network_layout([], edges).is_empty()
    assert domain.network_layout([9], edges.clear())["x"].to_list() == [0.0]


def test_the_export_table_has_typed_euros_labels_and_neutralised_names() -> None:
    frame = overview_frame().with_columns(
        pl.Series("region_name", ["Braunschweig, Stadt", "Braunschweig, Stadt", "Goslar", None]),
        pl.Series("approved_led_cents", [0, 12_345_678, None, 5], dtype=pl.Int64),
        pl.Series("cofinancing_cents", [0, 100, None, 0], dtype=pl.Int64),
        pl.Series("applications_assessed", [1, 0, 2, 0]),
        pl.Series("last_activity", [date(2026, 2, 1), None, None, None]),
        pl.Series("name", ["=HYPERLINK(1)", "Beta IHK", "Cäsar Kreis", "Delta IHK"]),
    )
    table = export.partner_table(frame, "de")
    assert table.columns[:3] == ["Organisation", "Typ", "Kreis (Sitz)"]
    assert table["Typ"].to_list() == ["Agentur für Arbeit", "IHK", "Landkreis", "IHK"]
    assert table["Bewilligt"].to_list() == [Decimal("0.00"), Decimal("123456.78"), None, Decimal("0.05")]
    csv = export.partners_csv(frame, "de").decode("utf-8-sig")
    assert csv.splitlines()[1].startswith(
        "'=HYPERLINK(1);Agentur für Arbeit;Braunschweig, Stadt;0;1;0,00;0,00;1;01.02.2026"
    )
    assert export.partners_xlsx(frame, "de", title="Bündnis – Partner", notes=("Stand: 03.12.2026",))[:2] == b"PK"

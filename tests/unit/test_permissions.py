"""The permission matrix of every read query: each role × each query, on SQLite and PostgreSQL.

Reads: admins read everything; speakers, members and liaisons read their alliances and nothing else (fail closed).
Money details: a member reads the money of its own organisation's projects one by one, other partners' projects
only in aggregate — checked generically on every query result that has a project key and a money column, and on
every read of the forms (editing) and of the bulk import's plan (issues and preview).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, text

from dashboard.data_access import applications, editing, impact, partners, queries, regional
from dashboard.data_access.bulk_import import BulkPlan, plan_bulk
from dashboard.data_access.bulk_schema import BULK_COLUMNS, LINE, BulkKind
from dashboard.data_access.project_filter import ProjectFilter
from dashboard.data_access.scope import DEMO_SCOPE, PermissionDenied, Role, Scope
from dashboard.data_access.writes import NotFound
from dashboard.i18n import formats

SON = "suedostniedersachsen"
AS_OF = date(2021, 12, 31)


@dataclass(frozen=True)
class Demo:
    alliance_id: int
    other_alliance_id: int
    own_member_id: int  # an organisation that leads a project in SON
    own_project_id: int
    foreign_project_id: int  # led by another partner, the own organisation not taking part
    indicator_id: int
    valued_project_id: int  # has reported values
    assessed_project_id: int  # has a Stellungnahme


@pytest.fixture(scope="module")
def demo(seeded_engine: Engine) -> Demo:
    alliances = queries.alliances(seeded_engine, DEMO_SCOPE)
    son = int(alliances.filter(slug=SON)["id"][0])
    other = int(alliances.filter(pl.col("slug") != SON)["id"][0])
    with seeded_engine.connect() as connection:
        # The own organisation leads a project that has reported values.
        lead, own = connection.execute(
            text(
                "SELECT p.lead_member_id, p.id FROM project p WHERE p.alliance_id = :a "
                "AND EXISTS (SELECT 1 FROM observation o WHERE o.project_id = p.id) ORDER BY p.id LIMIT 1"
            ),
            {"a": son},
        ).one()
        valued = connection.execute(
            text(
                "SELECT MIN(o.project_id) FROM observation o JOIN project p ON p.id = o.project_id "
                "WHERE p.alliance_id = :a"
            ),
            {"a": son},
        ).scalar_one()
        assessed = connection.execute(
            text(
                "SELECT MIN(s.project_id) FROM assessment s JOIN project p ON p.id = s.project_id "
                "WHERE p.alliance_id = :a"
            ),
            {"a": son},
        ).scalar_one()
        foreign = connection.execute(
            text(
                "SELECT p.id FROM project p WHERE p.alliance_id = :a AND p.lead_member_id <> :m AND NOT EXISTS "
                "(SELECT 1 FROM project_partner pp WHERE pp.project_id = p.id AND pp.member_id = :m) "
                "AND EXISTS (SELECT 1 FROM financial_entry f WHERE f.project_id = p.id) ORDER BY p.id LIMIT 1"
            ),
            {"a": son, "m": lead},
        ).scalar_one()
        indicator = connection.execute(
            text("SELECT DISTINCT indicator_id FROM observation WHERE region_ags IS NOT NULL ORDER BY 1 LIMIT 1")
        ).scalar_one()
    return Demo(son, other, int(lead), int(own), int(foreign), int(indicator), int(valued), int(assessed))


def scopes(demo: Demo) -> dict[str, Scope]:
    a = demo.alliance_id
    return {
        "admin": Scope(user="admin", role=Role.ADMIN),
        "speaker": Scope.for_alliances("speaker", Role.SPEAKER, [a]),
        "member": Scope.for_alliances("member", Role.MEMBER, [a], member_ids=[demo.own_member_id]),
        "liaison": Scope.for_alliances("liaison", Role.LIAISON, [a, demo.other_alliance_id]),
        "speaker_elsewhere": Scope.for_alliances("elsewhere", Role.SPEAKER, [demo.other_alliance_id]),
        "nobody": Scope(user="nobody", role=Role.SPEAKER),  # no alliances: reads nothing
        "member_without_alliances": Scope(user="lost", role=Role.MEMBER, member_ids=frozenset({demo.own_member_id})),
    }


READERS = {"admin", "speaker", "member", "liaison"}
# The demo seeds no project-level target: this read is checked for outsiders only.
MAY_BE_EMPTY = {"queries.project_targets"}

Read = Callable[[Engine, Scope, Demo], Any]

# Every public read of queries, impact and regional, called for the demo alliance. A new query must be added here
# (test_every_query_is_in_the_matrix fails otherwise).
READS: dict[str, Read] = {
    "queries.alliances": lambda e, s, d: queries.alliances(e, s).filter(id=d.alliance_id),
    "queries.alliance_kreise": lambda e, s, d: queries.alliance_kreise(e, s, d.alliance_id),
    "queries.alliance_regions": lambda e, s, d: queries.alliance_regions(e, s, d.alliance_id),
    "queries.members": lambda e, s, d: queries.members(e, s, d.alliance_id),
    "queries.member_type_counts": lambda e, s, d: queries.member_type_counts(e, s, d.alliance_id),
    "queries.topics": lambda e, s, d: queries.topics(e, s, d.alliance_id),
    "queries.project_status_counts": lambda e, s, d: queries.project_status_counts(e, s, d.alliance_id),
    "queries.budget_by_fund_year": lambda e, s, d: queries.budget_by_fund_year(e, s, d.alliance_id),
    "queries.financial_flows_by_day": lambda e, s, d: queries.financial_flows_by_day(e, s, d.alliance_id),
    "queries.financial_flows_by_day[foreign project]": lambda e, s, d: queries.financial_flows_by_day(
        e, s, d.alliance_id, d.foreign_project_id
    ),
    "queries.project_targets": lambda e, s, d: queries.project_targets(e, s, d.alliance_id, d.own_project_id),
    "queries.project_latest_values": lambda e, s, d: queries.project_latest_values(
        e, s, d.alliance_id, d.valued_project_id
    ),
    "queries.project_assessment": lambda e, s, d: queries.project_assessment(
        e, s, d.alliance_id, d.assessed_project_id
    ),
    "queries.project_portfolio": lambda e, s, d: queries.project_portfolio(e, s, d.alliance_id),
    "queries.projects": lambda e, s, d: queries.projects(e, s, d.alliance_id, ProjectFilter()),
    "queries.budgets": lambda e, s, d: queries.budgets(e, s, [d.alliance_id]),
    "queries.project_money": lambda e, s, d: queries.project_money(e, s, AS_OF, alliance_ids=[d.alliance_id]),
    "queries.project_money_book": lambda e, s, d: (
        queries.project_money_book(e, s, alliance_ids=[d.alliance_id]).projects
    ),
    "queries.project_money_book[entries]": lambda e, s, d: (
        queries.project_money_book(e, s, alliance_ids=[d.alliance_id]).disbursements
    ),
    "queries.project_topic_links": lambda e, s, d: queries.project_topic_links(e, s, d.alliance_id),
    "queries.alliance_populations": lambda e, s, d: queries.alliance_populations(e, s).filter(
        alliance_id=d.alliance_id
    ),
    "queries.alliance_funds": lambda e, s, d: queries.alliance_funds(e, s, d.alliance_id),
    "queries.fund_use_data": lambda e, s, d: (
        queries.fund_use_data(e, s, d.alliance_id, AS_OF, funds=(), counting_until=AS_OF).projects
    ),
    "impact.alliance_targets": lambda e, s, d: impact.alliance_targets(e, s, d.alliance_id),
    "impact.project_observations": lambda e, s, d: impact.project_observations(e, s, d.alliance_id),
    "impact.project_list": lambda e, s, d: impact.project_list(e, s, d.alliance_id),
    "impact.project_regions": lambda e, s, d: impact.project_regions(e, s, d.alliance_id),
    "impact.kreis_observations": lambda e, s, d: impact.kreis_observations(e, s, d.alliance_id, [d.indicator_id]),
    "impact.alliance_kreis_count": lambda e, s, d: impact.alliance_kreis_count(e, s, d.alliance_id),
    "regional.regional_indicators": lambda e, s, d: regional.regional_indicators(e, s, d.alliance_id),
    "regional.regional_series": lambda e, s, d: regional.regional_series(e, s, d.alliance_id, d.indicator_id),
    "regional.money_by_region": lambda e, s, d: regional.money_by_region(e, s, d.alliance_id, AS_OF),
}


def _found(read: Callable[[], Any]) -> list[Any]:
    """One application's view as a one-item list; nothing when it is out of the scope's reach (NotFound)."""
    try:
        return [read()]
    except NotFound:
        return []


# Applications and statements (issue 7): the pipeline, the catalogue, one application and its facts snapshot.
READS |= {
    "applications.pipeline": lambda e, s, d: applications.pipeline(
        e, s, d.alliance_id, applications.ApplicationFilter(), today=AS_OF
    ),
    "applications.pipeline_stages": lambda e, s, d: applications.pipeline_stages(
        e, s, d.alliance_id, applications.ApplicationFilter(), today=AS_OF
    ).filter(pl.col("applications") > 0),
    "applications.pipeline_with_stages": lambda e, s, d: applications.pipeline_with_stages(
        e, s, d.alliance_id, applications.ApplicationFilter(), today=AS_OF
    )[0],
    "applications.criteria": lambda e, s, d: applications.criteria(e, s, d.alliance_id),
    "applications.application": lambda e, s, d: _found(
        lambda: applications.application(e, s, d.assessed_project_id, today=AS_OF)
    ),
    "applications.application_facts": lambda e, s, d: _found(
        lambda: applications.application_facts(e, s, d.assessed_project_id, as_of=AS_OF)
    ),
}
# The write services of applications.py (their permissions are tested in test_applications.py).
APPLICATION_WRITES = {
    f"applications.{name}"
    for name in (
        "archive_criterion",
        "change_status",
        "draft_statement",
        "finalise_statement",
        "new_statement_version",
        "record_assessment",
        "restore_criterion",
        "save_criterion",
        "save_statement",
    )
}
# The Partner page (issue 7): contributions per organisation, the network, one partner's projects and assessments.
READS |= {
    "partners.partner_overview": lambda e, s, d: partners.partner_overview(e, s, d.alliance_id, as_of=AS_OF),
    "partners.partner_network": lambda e, s, d: partners.partner_network(e, s, d.alliance_id),
    "partners.partner_detail": lambda e, s, d: partners.partner_detail(e, s, d.own_member_id).projects,
    "partners.partner_detail[foreign lead]": lambda e, s, d: (
        partners.partner_detail(
            e, s, int(_one(e, "SELECT lead_member_id FROM project WHERE id = :p", p=d.foreign_project_id)[0])
        ).projects
    ),
}
# Reads that need no scope: shared reference data every signed-in user may see.
UNSCOPED = {"impact.esf_indicators", "regional.split_money", "queries.read_frame"}


def _public_reads() -> set[str]:
    found = set()
    for module in (queries, impact, regional, applications, partners):
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue
            parameters = inspect.signature(function).parameters
            if "engine" in parameters:
                found.add(f"{module.__name__.rsplit('.', 1)[1]}.{name}")
    return found


def test_every_query_is_in_the_matrix() -> None:
    covered = {name.split("[")[0] for name in READS} | UNSCOPED | APPLICATION_WRITES
    assert _public_reads() - covered == set()


def _is_empty(result: Any) -> bool:
    if isinstance(result, pl.DataFrame):
        return result.is_empty()
    if isinstance(result, list):
        return not result
    if isinstance(result, int):
        return result == 0
    raise AssertionError(f"unexpected result type {type(result)}")


@pytest.mark.parametrize("who", ["speaker_elsewhere", "nobody", "member_without_alliances"])
@pytest.mark.parametrize("read", sorted(READS))
def test_outsiders_read_nothing(seeded_engine: Engine, demo: Demo, read: str, who: str) -> None:
    try:
        result = READS[read](seeded_engine, scopes(demo)[who], demo)
    except PermissionDenied:
        return
    assert _is_empty(result), f"{who} read {read}"


@pytest.mark.parametrize("who", sorted(READERS))
def test_alliance_roles_read_their_alliance(seeded_engine: Engine, demo: Demo, who: str) -> None:
    for read, call in READS.items():
        if read.endswith("[foreign project]") or read in MAY_BE_EMPTY:
            continue
        result = call(seeded_engine, scopes(demo)[who], demo)
        if read == "queries.project_money" and who == "member":
            continue  # its own projects only; checked below
        assert not _is_empty(result), f"{who} cannot read {read}"


def _money_columns(frame: pl.DataFrame) -> list[str]:
    named = ("amount", "committed", "disbursed", "total_cost", "requested_grant")
    return [name for name in frame.columns if name.endswith("_cents") or name in named]


def _project_key(frame: pl.DataFrame, read: str) -> str | None:
    if "project_id" in frame.columns:
        return "project_id"
    if read in ("queries.project_portfolio", "queries.projects"):
        return "id"
    return None


@pytest.mark.parametrize("read", sorted(READS))
def test_a_member_never_reads_another_partners_project_money(seeded_engine: Engine, demo: Demo, read: str) -> None:
    member = scopes(demo)["member"]
    result = READS[read](seeded_engine, member, demo)
    if not isinstance(result, pl.DataFrame):
        return
    key, money = _project_key(result, read), _money_columns(result)
    if read == "queries.financial_flows_by_day[foreign project]":
        assert result.is_empty()
        return
    if key is None or not money:
        return
    foreign = result.filter(pl.col(key) == demo.foreign_project_id)
    assert foreign.select(pl.col(money).is_not_null().any()).row(0) == tuple(False for _ in money) or foreign.is_empty()


def test_member_sees_own_money_and_other_money_in_totals_only(seeded_engine: Engine, demo: Demo) -> None:
    member, speaker = scopes(demo)["member"], scopes(demo)["speaker"]
    mine = queries.project_portfolio(seeded_engine, member, demo.alliance_id)
    everything = queries.project_portfolio(seeded_engine, speaker, demo.alliance_id)
    assert mine.height == everything.height  # every project is listed
    own = mine.filter(id=demo.own_project_id).row(0, named=True)
    assert own["money_visible"] and own["total_cost_cents"] is not None
    assert mine.filter(id=demo.foreign_project_id)["money_visible"].to_list() == [False]
    assert everything["money_visible"].all()
    # The alliance's daily totals (the overview's KPIs) are the same for both: aggregates include every project.
    flows = queries.financial_flows_by_day(seeded_engine, member, demo.alliance_id)["amount_cents"].sum()
    assert flows == queries.financial_flows_by_day(seeded_engine, speaker, demo.alliance_id)["amount_cents"].sum()
    money = queries.project_money(seeded_engine, member, AS_OF, alliance_ids=[demo.alliance_id])
    assert demo.foreign_project_id not in money["project_id"].to_list()
    assert demo.own_project_id in money["project_id"].to_list()


def test_archived_projects_leave_every_read(migrated_seeded: Engine) -> None:
    engine = migrated_seeded
    son = int(queries.alliances(engine, DEMO_SCOPE).filter(slug=SON)["id"][0])
    before = queries.project_portfolio(engine, DEMO_SCOPE, son)
    project_id = int(before["id"][0])
    flows_before = queries.financial_flows_by_day(engine, DEMO_SCOPE, son)["amount_cents"].sum()
    with engine.begin() as connection:
        connection.execute(text("UPDATE project SET archived_at = CURRENT_TIMESTAMP WHERE id = :p"), {"p": project_id})
    after = queries.project_portfolio(engine, DEMO_SCOPE, son)
    assert project_id not in after["id"].to_list() and after.height == before.height - 1
    assert project_id not in queries.project_money(engine, DEMO_SCOPE, AS_OF, alliance_ids=[son])["project_id"]
    book = queries.project_money_book(engine, DEMO_SCOPE, alliance_ids=[son])
    assert project_id not in book.projects["project_id"] and project_id not in book.disbursements["project_id"]
    assert project_id not in impact.project_list(engine, DEMO_SCOPE, son)["project_id"].to_list()
    assert queries.project_status_counts(engine, DEMO_SCOPE, son)["projects"].sum() == before.height - 1
    entries = int(before.filter(id=project_id).select("committed_cents", "disbursed_cents").sum_horizontal()[0])
    flows_after = queries.financial_flows_by_day(engine, DEMO_SCOPE, son)["amount_cents"].sum()
    assert flows_after == flows_before - entries
    # An archived entry leaves the money book as it leaves the per-Stichtag sums.
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE financial_entry SET archived_at = CURRENT_TIMESTAMP WHERE id = (SELECT MIN(fe.id) FROM "
                "financial_entry fe JOIN project p ON p.id = fe.project_id WHERE p.alliance_id = :a "
                "AND fe.archived_at IS NULL AND fe.kind = 'disbursement')"
            ),
            {"a": son},
        )
    book = queries.project_money_book(engine, DEMO_SCOPE, alliance_ids=[son])
    expected = queries.project_money(engine, DEMO_SCOPE, AS_OF, alliance_ids=[son])
    assert queries.project_money_on(book, AS_OF).equals(expected)
    assert int(book.disbursements["amount_cents"].sum()) == int(
        queries.financial_flows_by_day(engine, DEMO_SCOPE, son).filter(kind="disbursement")["amount_cents"].sum()
    )


@pytest.fixture
def migrated_seeded(migrated_engine: Engine) -> Engine:
    from seeds.loader import seed_demo

    seed_demo(migrated_engine)
    return migrated_engine


# --- the forms' and the bulk import's reads ------------------------------------------------------------------------


def _one(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).one()


def _foreign_entry(engine: Engine, demo: Demo) -> Any:
    """The foreign project's first booking: id, date, kind, amount, fund, note."""
    return _one(
        engine,
        "SELECT id, entry_date, kind, amount, fund, note FROM financial_entry WHERE project_id = :p"
        " AND archived_at IS NULL ORDER BY id LIMIT 1",
        p=demo.foreign_project_id,
    )


def _foreign_value(engine: Engine, demo: Demo) -> Any:
    """A value reported for a project of another partner (the own organisation neither leads it nor takes part)."""
    return _one(
        engine,
        "SELECT p.title, i.code, o.period_end, o.value, o.dimensions FROM observation o"
        " JOIN project p ON p.id = o.project_id JOIN indicator i ON i.id = o.indicator_id"
        " WHERE p.alliance_id = :a AND p.lead_member_id <> :m AND NOT EXISTS"
        " (SELECT 1 FROM project_partner pp WHERE pp.project_id = p.id AND pp.member_id = :m)"
        " ORDER BY o.id LIMIT 1",
        a=demo.alliance_id,
        m=demo.own_member_id,
    )


def _title(engine: Engine, project_id: int) -> str:
    return str(_one(engine, "SELECT title FROM project WHERE id = :p", p=project_id)[0])


def _bulk_rows(kind: BulkKind, records: list[dict[str, str]]) -> pl.DataFrame:
    names = [column.name for column in BULK_COLUMNS[kind]]
    frame = pl.DataFrame(
        {name: [record.get(name) for record in records] for name in names}, schema=dict.fromkeys(names, pl.String())
    )
    return frame.with_columns(pl.int_range(2, 2 + len(records), dtype=pl.Int64).alias(LINE))


def _bulk_projects(e: Engine, s: Scope, d: Demo) -> BulkPlan:
    """Another partner's title with cells that used to be merged with, checked against and shown next to its money."""
    money = {"total_cost": "1,00", "requested_grant": "999.999.999,00", "approved_grant": "999.999.999,00"}
    rows = _bulk_rows(BulkKind.PROJECTS, [{"title": _title(e, d.foreign_project_id), **money}])
    return plan_bulk(e, s, d.alliance_id, BulkKind.PROJECTS, rows)


def _bulk_entries(e: Engine, s: Scope, d: Demo) -> BulkPlan:
    """A copy of another partner's booking: its status (unchanged or new) told whether it exists."""
    _id, day, kind, amount, fund, note = _foreign_entry(e, d)
    record = {
        "project": _title(e, d.foreign_project_id),
        "entry_date": day.isoformat() if hasattr(day, "isoformat") else str(day),
        "kind": kind,
        "amount": f"{Decimal(amount):.2f}",
        "fund": fund,
        "note": note or None,
    }
    return plan_bulk(e, s, d.alliance_id, BulkKind.ENTRIES, _bulk_rows(BulkKind.ENTRIES, [record]))


def _bulk_values(e: Engine, s: Scope, d: Demo) -> BulkPlan:
    title, code, day, value, dimensions = _foreign_value(e, d)
    record = {
        "project": title,
        "indicator": code,
        "period_end": day.isoformat() if hasattr(day, "isoformat") else str(day),
        "value": str(value + 1),
        "dimensions": dimensions or None,
    }
    return plan_bulk(e, s, d.alliance_id, BulkKind.VALUES, _bulk_rows(BulkKind.VALUES, [record]))


# Every read of the forms (editing) and of the bulk import's plan, called as a member for the demo alliance.
FORM_READS: dict[str, Read] = {
    "editing.open_project[foreign]": lambda e, s, d: editing.open_project(e, s, d.foreign_project_id),
    "editing.open_project[own]": lambda e, s, d: editing.open_project(e, s, d.own_project_id),
    "editing.open_entry[foreign]": lambda e, s, d: editing.open_entry(e, s, int(_foreign_entry(e, d)[0])),
    "editing.project_entries[foreign]": lambda e, s, d: editing.project_entries(e, s, d.foreign_project_id),
    "editing.project_values[foreign]": lambda e, s, d: editing.project_values(e, s, d.foreign_project_id),
    "editing.target_rows": lambda e, s, d: editing.target_rows(e, s, d.alliance_id, include_archived=True),
    "editing.budget_rows": lambda e, s, d: editing.budget_rows(e, s, d.alliance_id),
    "editing.editable_projects": lambda e, s, d: editing.editable_projects(e, s, d.alliance_id, include_archived=True),
    "editing.form_options": lambda e, s, d: editing.form_options(e, s, d.alliance_id),
    "editing.archived_records": lambda e, s, d: editing.archived_records(e, s, d.alliance_id),
    "bulk_import.plan_bulk[projects]": _bulk_projects,
    "bulk_import.plan_bulk[entries]": _bulk_entries,
    "bulk_import.plan_bulk[values]": _bulk_values,
}
MONEY_FIELDS = ("total_cost", "requested_grant", "approved_grant")


def _foreign_money_texts(engine: Engine, demo: Demo) -> list[str]:
    """The foreign project's amounts as any message would show them (German and English)."""
    stored = editing.open_project(engine, DEMO_SCOPE, demo.foreign_project_id).values
    amounts = [getattr(stored, name) for name in MONEY_FIELDS]
    return [formats.money(amount, language) for amount in amounts if amount for language in ("de", "en")]


@pytest.mark.parametrize("read", sorted(FORM_READS))
def test_a_member_never_reads_another_partners_project_money_through_forms_or_bulk_plans(
    seeded_engine: Engine, demo: Demo, read: str
) -> None:
    member = scopes(demo)["member"]
    try:
        result = FORM_READS[read](seeded_engine, member, demo)
    except PermissionDenied:
        assert not read.endswith("[own]"), f"the member cannot read {read}"
        return
    if isinstance(result, editing.ProjectRecord):
        money = [getattr(result.values, name) for name in MONEY_FIELDS]
        if result.id == demo.own_project_id:
            assert result.money_visible and money[0] is not None
        else:
            assert not result.money_visible and money == [None, None, None]
        return
    assert not isinstance(result, editing.EntryRecord), f"the member read another partner's booking via {read}"
    if isinstance(result, BulkPlan):
        # Refused as "not your organisation's project", and nothing about what is stored: no rule messages over the
        # stored values, no amount, and no preview (whose status would tell whether a booking or value exists).
        assert {issue.key for issue in result.issues} == {"issue.project_not_own"}
        texts = " ".join(issue.text(language) for issue in result.issues for language in ("de", "en"))
        assert not [amount for amount in _foreign_money_texts(seeded_engine, demo) if amount in texts]
        assert result.preview.is_empty() and not any(result.counts.values())
        return
    if isinstance(result, editing.FormOptions):
        frames = [result.members, result.topics, result.regions, result.indicators]
    else:
        frames = [result]
    for frame in frames:
        assert isinstance(frame, pl.DataFrame)
        money = _money_columns(frame)
        if "project_id" in frame.columns:
            foreign = frame.filter(pl.col("project_id") == demo.foreign_project_id)
        elif read.endswith("[foreign]"):
            foreign = frame
        else:
            continue  # no project's details: the alliance's budget lines, targets, pickers
        assert foreign.is_empty() or not money, f"{read}: {money}"


def test_speakers_and_liaisons_still_open_another_partners_project_with_its_money(
    seeded_engine: Engine, demo: Demo
) -> None:
    for who in ("admin", "speaker", "liaison"):
        record = editing.open_project(seeded_engine, scopes(demo)[who], demo.foreign_project_id)
        assert record.money_visible and record.values.total_cost is not None, who
    assert _foreign_money_texts(seeded_engine, demo)  # the check above compares against real amounts


def test_a_member_sees_partner_money_only_for_its_own_organisation(seeded_engine: Engine, demo: Demo) -> None:
    member, liaison = scopes(demo)["member"], scopes(demo)["liaison"]
    mine = partners.partner_overview(seeded_engine, member, demo.alliance_id)
    own = mine.filter(pl.col("member_id") == demo.own_member_id)
    others = mine.filter(pl.col("member_id") != demo.own_member_id)
    assert own["money_visible"].to_list() == [True] and own["approved_led_cents"].is_not_null().all()
    assert not others["money_visible"].any()
    assert others.select(pl.col("approved_led_cents", "cofinancing_cents").is_null().all()).row(0) == (True, True)
    assert partners.partner_overview(seeded_engine, liaison, demo.alliance_id)["approved_led_cents"].is_not_null().all()

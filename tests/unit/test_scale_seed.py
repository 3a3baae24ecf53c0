"""The scale generator writes exactly the specified rows, deterministically, once, and consistently."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import SQLModel, col

import dashboard.data_access.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from dashboard import loaders
from dashboard.config import ImpactRules
from dashboard.data_access import audit_trail
from dashboard.data_access.applications import facts_for
from dashboard.data_access.db import make_engine
from dashboard.data_access.models import (
    Assessment,
    AuditEntry,
    Project,
    Statement,
    Target,
)
from dashboard.data_access.scope import SYSTEM_SCOPE, Role, Scope
from dashboard.data_access.vocabulary import AuditAction, TargetScope
from dashboard.domain import assessment as rules
from dashboard.domain.targets import TargetStatus
from seeds.scale import SMALL, TODAY, seed_scale
from tests.conftest import new_database_url

SPEC_COUNTS = {
    "alliance": SMALL.alliances,
    "project": SMALL.projects,
    "financial_entry": SMALL.financial_entries,
    "observation": SMALL.observations,
    "region": SMALL.regions,
    "audit_entry": SMALL.audit_entries,
}
# A little more than SMALL, so that every application state occurs (drafts, unassessed submissions …).
RICH = replace(SMALL, projects=150, financial_entries=6_000, observations=12_000, audit_entries=3_000)
SUBMITTED = ("beantragt", "bewertet", "bewilligt", "abgelehnt", "zurueckgezogen")
ACCOUNT = re.compile(r"^(?:(?:sprecherin|sprecher|geschaeftsstelle)-beispiel-(\d{3})|partner-beispiel-(\d{3})-\d{2})$")
ADMIN_ACCOUNT = "admin-beispiel"


def fresh_sqlite(path: Path) -> Engine:
    engine = make_engine("sqlite:///" + str(path))
    SQLModel.metadata.create_all(engine)
    return engine


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in SQLModel.metadata.tables.items()
        }


def checksums(engine: Engine) -> dict[str, object]:
    """Exact fingerprints of the generated content (money as integer cents, never floats)."""
    queries = {
        "money_by_kind": "SELECT kind, COUNT(*), SUM(CAST(ROUND(amount * 100) AS INTEGER)) "
        "FROM financial_entry GROUP BY kind ORDER BY kind",
        "observations_by_indicator": "SELECT i.code, COUNT(*), SUM(o.value IS NULL) FROM observation o "
        "JOIN indicator i ON i.id = o.indicator_id GROUP BY i.code ORDER BY i.code",
        "projects": "SELECT title, status, start_date, end_date, CAST(ROUND(total_cost * 100) AS INTEGER), "
        "CAST(ROUND(approved_grant * 100) AS INTEGER), fund FROM project ORDER BY alliance_id, title",
        "budgets": "SELECT alliance_id, fund, year, CAST(ROUND(planned_amount * 100) AS INTEGER) "
        "FROM budget ORDER BY alliance_id, fund, year",
        "observation_values": "SELECT COUNT(DISTINCT region_ags), ROUND(SUM(value), 1), "
        "MIN(period_end), MAX(period_end) FROM observation",
        "targets": "SELECT alliance_id, indicator_id, scope, topic_id, project_id, description, baseline_value, "
        "baseline_date, target_value, due_date FROM target ORDER BY id",
        "history": "SELECT project_id, from_status, to_status, changed_at, user_name FROM project_status_change "
        "ORDER BY id",
        "assessments": "SELECT project_id, assessor_member_id, assessor_name, assessed_on, comment FROM assessment "
        "ORDER BY id",
        "scores": "SELECT assessment_id, criterion_id, score FROM assessment_score "
        "ORDER BY assessment_id, criterion_id",
        "statements": "SELECT project_id, number, text, recommendation, weighted_total, facts, finalised_at, "
        "finalised_by FROM statement ORDER BY id",
        "audit": "SELECT at, user_name, role, action, table_name, record_id, alliance_id, old_values, new_values "
        "FROM audit_entry ORDER BY id",
    }
    with engine.connect() as connection:
        return {name: [tuple(row) for row in connection.execute(text(sql))] for name, sql in queries.items()}


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Engine, dict[str, int]]:
    engine = fresh_sqlite(tmp_path / "x.sqlite3")
    return engine, seed_scale(engine, SMALL)


def test_row_counts_equal_the_spec(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, written = seeded
    counts = table_counts(engine)
    for table, expected in SPEC_COUNTS.items():
        assert counts[table] == expected, table
        assert written[table] == expected, table
    assert {table: counts[table] for table in written} == written


def test_second_seed_writes_nothing(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    before = table_counts(engine)
    assert seed_scale(engine, SMALL) == {}
    assert table_counts(engine) == before


def test_same_spec_gives_the_same_rows(tmp_path: Path) -> None:
    first = fresh_sqlite(tmp_path / "a.sqlite3")
    second = fresh_sqlite(tmp_path / "b.sqlite3")
    seed_scale(first, SMALL)
    seed_scale(second, SMALL)
    assert checksums(first) == checksums(second)


def test_another_seed_gives_other_rows(tmp_path: Path) -> None:
    first = fresh_sqlite(tmp_path / "a.sqlite3")
    second = fresh_sqlite(tmp_path / "b.sqlite3")
    seed_scale(first, SMALL)
    seed_scale(second, replace(SMALL, seed=SMALL.seed + 1))
    one, other = checksums(first), checksums(second)
    for name in ("projects", "targets", "assessments", "statements", "audit"):
        assert one[name] != other[name], name


def test_disbursements_never_exceed_the_approved_grant(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    with engine.connect() as connection:
        over = connection.execute(
            text(
                "SELECT p.id FROM project p JOIN financial_entry f ON f.project_id = p.id "
                "WHERE f.kind = 'disbursement' GROUP BY p.id, p.approved_grant "
                "HAVING SUM(CAST(ROUND(f.amount * 100) AS INTEGER)) "
                "> COALESCE(CAST(ROUND(p.approved_grant * 100) AS INTEGER), 0)"
            )
        ).all()
        disbursed = connection.execute(
            text("SELECT COUNT(*) FROM financial_entry WHERE kind = 'disbursement'")
        ).scalar_one()
    assert over == []
    assert disbursed > 0


def test_commitments_add_up_to_the_approved_grant(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT p.id, CAST(ROUND(p.approved_grant * 100) AS INTEGER), "
                "COALESCE(SUM(CAST(ROUND(f.amount * 100) AS INTEGER)), 0) "
                "FROM project p LEFT JOIN financial_entry f ON f.project_id = p.id AND f.kind = 'commitment' "
                "GROUP BY p.id, p.approved_grant"
            )
        ).all()
    for project_id, approved, committed in rows:
        assert committed == (approved or 0), project_id


def test_grants_are_ordered_and_only_approved_projects_have_one(
    seeded: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ = seeded
    with engine.connect() as connection:
        wrong = connection.execute(
            text(
                "SELECT id FROM project WHERE approved_grant > requested_grant "
                "OR requested_grant > total_cost OR end_date < start_date "
                "OR (approved_grant IS NOT NULL) <> (status IN "
                "('bewilligt', 'laufend', 'abgeschlossen', 'abgebrochen'))"
            )
        ).all()
    assert wrong == []


def test_members_belong_to_their_projects_alliance(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    with engine.connect() as connection:
        leads = connection.execute(
            text(
                "SELECT p.id FROM project p JOIN member m ON m.id = p.lead_member_id "
                "WHERE m.alliance_id <> p.alliance_id"
            )
        ).all()
        partners = connection.execute(
            text(
                "SELECT p.id FROM project_partner pp JOIN project p ON p.id = pp.project_id "
                "JOIN member m ON m.id = pp.member_id "
                "WHERE m.alliance_id <> p.alliance_id OR m.id = p.lead_member_id"
            )
        ).all()
        regions = connection.execute(
            text(
                "SELECT pr.project_id FROM project_region pr JOIN project p ON p.id = pr.project_id "
                "LEFT JOIN alliance_region ar ON ar.alliance_id = p.alliance_id "
                "AND ar.region_ags = pr.region_ags WHERE ar.region_ags IS NULL"
            )
        ).all()
    assert leads == []
    assert partners == []
    assert regions == []


def test_synthetic_kreise_cannot_collide_with_official_ags(seeded: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = seeded
    with engine.connect() as connection:
        codes = connection.execute(text("SELECT ags FROM region")).scalars().all()
    assert all(len(code) == 5 and int(code[:2]) >= 17 for code in codes)


def test_uses_esf_indicators_when_present(tmp_path: Path) -> None:
    engine = fresh_sqlite(tmp_path / "x.sqlite3")
    with engine.begin() as connection:
        connection.execute(
            SQLModel.metadata.tables["indicator"].insert(),
            [
                {
                    "code": "EECO01",
                    "name": "Teilnehmende insgesamt",
                    "unit": "Personen",
                    "direction": "up",
                    "source": "",
                    "description": "",
                    "version": 1,
                    "created_at": datetime(2026, 1, 1, tzinfo=UTC),
                    "updated_at": datetime(2026, 1, 1, tzinfo=UTC),
                }
            ],
        )
    seed_scale(engine, SMALL)
    with engine.connect() as connection:
        codes = connection.execute(
            text(
                "SELECT DISTINCT i.code FROM observation o JOIN indicator i ON i.id = o.indicator_id "
                "WHERE o.project_id IS NOT NULL"
            )
        ).scalars()
        assert set(codes) == {"EECO01"}
    assert table_counts(engine)["observation"] == SMALL.observations


@pytest.fixture
def postgres_engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh temporary database on the test server (shared helper of tests/conftest.py), dropped afterwards."""
    for url in new_database_url("postgresql", tmp_path):
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.mark.postgres
def test_row_counts_equal_the_spec_on_postgres(postgres_engine: Engine) -> None:
    SQLModel.metadata.create_all(postgres_engine)
    written = seed_scale(postgres_engine, SMALL)
    counts = table_counts(postgres_engine)
    for table, expected in SPEC_COUNTS.items():
        assert counts[table] == expected, table
    assert {table: counts[table] for table in written} == written
    assert seed_scale(postgres_engine, SMALL) == {}


@pytest.mark.postgres
def test_activity_keeps_the_rules_on_postgres(postgres_engine: Engine) -> None:
    SQLModel.metadata.create_all(postgres_engine)
    seed_scale(postgres_engine, SMALL)
    assert application_violations(postgres_engine) == {}
    assert audit_violations(postgres_engine) == {}
    assert frozen_facts_differences(postgres_engine) == []
    assert targets_without_progress(postgres_engine) == []


# --- targets, applications and the audit trail -------------------------------------------------------------


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = fresh_sqlite(tmp_path_factory.mktemp("rich") / "rich.sqlite3")
    seed_scale(engine, RICH)
    return engine


def alliance_ids(engine: Engine) -> list[int]:
    table = SQLModel.metadata.tables["alliance"]
    with engine.connect() as connection:
        return list(connection.execute(select(table.c.id).order_by(table.c.id)).scalars())


def targets_without_progress(engine: Engine) -> list[tuple[int, str]]:
    """Targets the targets page would show without an actual value ("keine Daten")."""
    missing = []
    for alliance_id in alliance_ids(engine):
        tracking = loaders.target_tracking(engine, SYSTEM_SCOPE, alliance_id, TODAY, ImpactRules())
        empty = tracking.assessed.filter(status=TargetStatus.KEINE_DATEN.value)
        missing += [(alliance_id, description) for description in empty["description"]]
    return missing


def test_every_alliance_has_targets_on_every_level_that_show_progress(rich: Engine) -> None:
    with rich.connect() as connection:
        rows = connection.execute(select(col(Target.alliance_id), col(Target.scope))).all()
    per_alliance: dict[int, list[str]] = defaultdict(list)
    for alliance_id, scope in rows:
        per_alliance[alliance_id].append(scope)
    assert sorted(per_alliance) == alliance_ids(rich)
    for scopes in per_alliance.values():
        assert 8 <= len(scopes) <= 15
        assert set(scopes) == {s.value for s in TargetScope}
    assert targets_without_progress(rich) == []
    statuses = set()
    for alliance_id in alliance_ids(rich):
        tracking = loaders.target_tracking(rich, SYSTEM_SCOPE, alliance_id, TODAY, ImpactRules())
        statuses |= set(tracking.assessed["status"])
    assert len(statuses) >= 3  # not one flat picture: reached, on track and at risk or missed


def application_violations(engine: Engine) -> dict[str, list[object]]:
    """Every generated assessment, score, statement and status change that breaks a rule of domain/assessment.py."""
    t = SQLModel.metadata.tables
    with engine.connect() as connection:
        projects = {row.id: row for row in connection.execute(select(t["project"]))}
        partners: dict[int, set[int]] = defaultdict(set)
        for row in connection.execute(select(t["project_partner"])):
            partners[row.project_id].add(row.member_id)
        member_alliance = {row.id: row.alliance_id for row in connection.execute(select(t["member"]))}
        criteria: dict[int, set[int]] = defaultdict(set)
        for row in connection.execute(select(t["assessment_criterion"])):
            if row.archived_at is None:
                criteria[row.alliance_id].add(row.id)
        assessments = connection.execute(select(t["assessment"])).all()
        scores: dict[int, dict[int, int]] = defaultdict(dict)
        for row in connection.execute(select(t["assessment_score"])):
            scores[row.assessment_id][row.criterion_id] = row.score
        statements = connection.execute(select(t["statement"]).order_by(t["statement"].c.number)).all()
        history: dict[int, list[Any]] = defaultdict(list)
        changes_table = t["project_status_change"]
        for row in connection.execute(select(changes_table).order_by(changes_table.c.changed_at, changes_table.c.id)):
            history[row.project_id].append(row)
    problems: dict[str, list[object]] = defaultdict(list)
    submitted = {
        project_id: min(c.changed_at.date() for c in changes if c.to_status == "beantragt")
        for project_id, changes in history.items()
        if any(c.to_status == "beantragt" for c in changes)
    }
    assessed_on: dict[int, list[date]] = defaultdict(list)
    for a in assessments:
        project = projects[a.project_id]
        assessed_on[a.project_id].append(a.assessed_on)
        conflicted = rules.conflicted_members(project.lead_member_id, partners[project.id])
        if member_alliance[a.assessor_member_id] != project.alliance_id or a.assessor_member_id in conflicted:
            problems["assessor_conflicted"].append(a.id)
        if project.status not in SUBMITTED:
            problems["assessed_unsubmitted"].append(a.id)
        if set(scores[a.id]) != criteria[project.alliance_id]:
            problems["scores_incomplete"].append(a.id)
        if not all(rules.SCORE_MIN <= score <= rules.SCORE_MAX for score in scores[a.id].values()):
            problems["score_out_of_range"].append(a.id)
        if a.project_id not in submitted or a.assessed_on < submitted[a.project_id]:
            problems["assessed_before_submission"].append(a.id)
    finals: dict[int, list[Any]] = defaultdict(list)
    for s in statements:
        project = projects[s.project_id]
        if project.status not in SUBMITTED:
            problems["statement_on_no_application"].append(s.id)
        if s.finalised_at is None:
            if project.status not in rules.ASSESSABLE_STATUSES:
                problems["draft_on_decided"].append(s.id)
            continue
        finals[s.project_id].append(s)
        if s.recommendation is None or not s.finalised_by or not s.text.strip():
            problems["final_incomplete"].append(s.id)
        if len(assessed_on[s.project_id]) < rules.MIN_ASSESSMENTS:
            problems["final_too_few_assessments"].append(s.id)
        if max(assessed_on[s.project_id], default=date.max) > s.finalised_at.date():
            problems["assessed_after_final"].append(s.id)
        if s.facts.get("as_of") != s.finalised_at.date().isoformat() or s.facts["weighted_total"] != s.weighted_total:
            problems["facts_not_frozen_on_finalising"].append(s.id)
    for project in projects.values():
        if project.status in ("bewertet", "bewilligt", "abgelehnt") and not finals[project.id]:
            problems["decided_without_final"].append(project.id)
        if project.status == "bewilligt" and not rules.is_positive(finals[project.id][-1].recommendation):
            problems["approved_without_positive_statement"].append(project.id)
        changes = history[project.id]
        if not changes or changes[-1].to_status != project.status or changes[0].from_status is not None:
            problems["history_not_ending_in_status"].append(project.id)
        for before, after in pairwise(changes):
            if after.from_status != before.to_status or not rules.transition_allowed(before.to_status, after.to_status):
                problems["history_transition"].append(project.id)
    return dict(problems)


def test_applications_keep_the_assessment_rules(rich: Engine) -> None:
    assert application_violations(rich) == {}


def test_every_application_stage_occurs(rich: Engine) -> None:
    """Submitted applications without and with assessments, drafts next to finalised statements, new versions."""
    with rich.connect() as connection:
        per_project = {
            project_id: count
            for project_id, count in connection.execute(
                select(col(Project.id), func.count(col(Assessment.id)))
                .outerjoin(Assessment, col(Assessment.project_id) == col(Project.id))
                .where(col(Project.status) == "beantragt")
                .group_by(col(Project.id))
            )
        }
        states = {
            (status, number, final)
            for status, number, final in connection.execute(
                select(col(Project.status), col(Statement.number), col(Statement.finalised_at).is_not(None)).join(
                    Project, col(Project.id) == col(Statement.project_id)
                )
            )
        }
    assert 0 in per_project.values()
    assert any(count >= 1 for count in per_project.values())
    assert ("beantragt", 1, False) in states  # a draft before any final one
    assert ("bewertet", 2, False) in states  # a new version of a finalised statement in the making
    assert {("bewertet", 1, True), ("bewilligt", 1, True), ("abgelehnt", 1, True)} <= states


def frozen_facts_differences(engine: Engine) -> list[tuple[int, str]]:
    """Statements whose facts snapshot differs from what the application page builds for the same day (partners and
    topics compared as sets: the database's collation orders them)."""

    def normal(facts: dict[str, Any]) -> dict[str, Any]:
        plain = json.loads(json.dumps(facts, default=str))
        application = plain["application"]
        application["partners"], application["topics"] = sorted(application["partners"]), sorted(application["topics"])
        return plain

    differences = []
    with engine.connect() as connection:
        stored = connection.execute(select(col(Statement.id), col(Statement.project_id), col(Statement.facts))).all()
        for statement_id, project_id, facts in stored:
            live = facts_for(connection, SYSTEM_SCOPE, project_id, date.fromisoformat(facts["as_of"]))
            one, other = normal(facts), normal(live)
            differences += [(statement_id, key) for key in one.keys() | other.keys() if one.get(key) != other.get(key)]
    return differences


def test_statements_freeze_the_facts_the_application_page_builds(rich: Engine) -> None:
    with rich.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Statement)).scalar_one() > 0
    assert frozen_facts_differences(rich) == []


def audit_violations(engine: Engine) -> dict[str, list[object]]:
    """Audit rows that do not look like the write services' own: outside the last two years, out of time order, by
    other than a synthetic role account, naming a missing record or one of another alliance, or whose latest new
    value is not the stored one."""
    t = SQLModel.metadata.tables
    with engine.connect() as connection:
        entries = connection.execute(select(t["audit_entry"]).order_by(t["audit_entry"].c.id)).all()
        slugs = {row.id: row.slug for row in connection.execute(select(t["alliance"]))}
        projects = {row.id: row for row in connection.execute(select(t["project"]))}
        entries_by_id = {row.id: row for row in connection.execute(select(t["financial_entry"]))}
        values = {
            row.id: row
            for row in connection.execute(select(t["observation"]).where(t["observation"].c.project_id.is_not(None)))
        }
        targets = {row.id: row for row in connection.execute(select(t["target"]))}
        owners: dict[str, dict[int, int]] = {
            "project": {k: row.alliance_id for k, row in projects.items()},
            "financial_entry": {k: projects[row.project_id].alliance_id for k, row in entries_by_id.items()},
            "observation": {k: projects[row.project_id].alliance_id for k, row in values.items()},
            "target": {k: row.alliance_id for k, row in targets.items()},
            "budget": {row.id: row.alliance_id for row in connection.execute(select(t["budget"]))},
            "assessment": {
                row.id: projects[row.project_id].alliance_id for row in connection.execute(select(t["assessment"]))
            },
            "statement": {
                row.id: projects[row.project_id].alliance_id for row in connection.execute(select(t["statement"]))
            },
        }
    stored: dict[tuple[str, str], dict[int, Any]] = {
        ("financial_entry", "amount"): {k: format(Decimal(row.amount), "f") for k, row in entries_by_id.items()},
        ("observation", "value"): {k: row.value for k, row in values.items()},
        ("project", "status"): {k: row.status for k, row in projects.items()},
        ("target", "target_value"): {k: row.target_value for k, row in targets.items()},
    }
    problems: dict[str, list[object]] = defaultdict(list)
    latest: dict[tuple[str, str, str], Any] = {}
    first_day, previous = TODAY - timedelta(days=730), None
    for e in entries:
        at = e.at.astimezone(UTC).replace(tzinfo=None) if e.at.tzinfo else e.at
        if not first_day <= at.date() < TODAY or (previous is not None and at < previous):
            problems["at"].append(e.id)
        previous = at
        if e.action not in {a.value for a in AuditAction} or e.table_name not in SQLModel.metadata.tables:
            problems["action_or_table"].append(e.id)
        match = ACCOUNT.match(e.user_name)
        if e.user_name == ADMIN_ACCOUNT:
            if e.role != Role.ADMIN.value:
                problems["role"].append(e.id)
        elif match is None or e.alliance_id is None or slugs[e.alliance_id] != f"beispiel-{match[1] or match[2]}":
            problems["account"].append(e.id)
        elif e.role != (Role.SPEAKER.value if match[1] else Role.MEMBER.value):
            problems["role"].append(e.id)
        if e.alliance_id is None:  # the regional import: shared statistics named by their key
            if not (e.table_name == "observation" and re.match(r"^BEISPIEL_\w+/\d{5}/\d{4}-\d{2}-\d{2}", e.record_id)):
                problems["record"].append(e.id)
            continue
        if owners[e.table_name].get(int(e.record_id)) != e.alliance_id:
            problems["record"].append(e.id)
        for name, value in (e.new_values or {}).items():
            latest[(e.table_name, e.record_id, name)] = value
    for (table, name), current in stored.items():
        for record_id, value in current.items():
            logged = latest.get((table, str(record_id), name), value)
            if logged != value:
                problems["latest_value_not_stored"].append((table, record_id, name, logged, value))
    return dict(problems)


def test_audit_trail_reads_like_the_write_services(rich: Engine) -> None:
    assert audit_violations(rich) == {}
    with rich.connect() as connection:
        kinds = {
            (table, action)
            for table, action in connection.execute(
                select(col(AuditEntry.table_name), col(AuditEntry.action)).distinct()
            )
        }
    assert {
        ("project", "create"),
        ("project", "update"),
        ("financial_entry", "create"),
        ("observation", "create"),
        ("observation", "import"),
        ("assessment", "create"),
        ("statement", "create"),
        ("statement", "update"),
        ("target", "create"),
    } <= kinds


def test_audit_page_shows_every_entry_of_an_alliance_with_its_changes(rich: Engine) -> None:
    alliance_id = alliance_ids(rich)[0]
    speaker = Scope.for_alliances("sprecherin-beispiel-001", Role.SPEAKER, [alliance_id])
    entries = audit_trail.audit_entries(rich, speaker, alliance_id, limit=100_000)
    with rich.connect() as connection:
        own = connection.execute(
            select(func.count()).select_from(AuditEntry).where(col(AuditEntry.alliance_id) == alliance_id)
        ).scalar_one()
    assert entries.height == own == audit_trail.audit_count(rich, speaker, alliance_id) > 0
    assert entries.filter(entries["changes"] == "").is_empty()
    options = audit_trail.audit_filter_options(rich, speaker, alliance_id)
    assert {"sprecherin-beispiel-001", "sprecher-beispiel-001", "geschaeftsstelle-beispiel-001"} <= set(options.users)
    assert ADMIN_ACCOUNT not in options.users  # the shared statistics' import is for administrators only

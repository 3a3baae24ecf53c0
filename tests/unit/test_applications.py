"""Applications and statements on SQLite and PostgreSQL: the whole path from application to running project, every
refusal with its German message and nothing written, conflicts of interest, who scores as whom, who reads which
scores, optimistic locking.

Every test writes to its own copy of the migrated and seeded demo database; records are found by querying.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import col

from dashboard.data_access import applications as A
from dashboard.data_access import queries
from dashboard.data_access.applications import ApplicationFilter, AssessmentInput, CriterionInput
from dashboard.data_access.models import (
    Assessment,
    AssessmentCriterion,
    AssessmentScore,
    AuditEntry,
    FinancialEntry,
    Project,
    ProjectStatusChange,
    Statement,
)
from dashboard.data_access.scope import DEMO_SCOPE, PermissionDenied, Role, Scope
from dashboard.data_access.writes import NotFound, StaleEdit, ValidationFailed
from tests.conftest import seeded_copy

SON = "suedostniedersachsen"
TODAY = date(2026, 12, 3)
OPEN = "KI-Werkstatt für Handwerksbetriebe"  # beantragt, no assessment yet; lead HWK, partner Ostfalia
ONE = "Pflegeausbildung im Verbund Wolfsburg–Gifhorn"  # beantragt with one assessment
DECIDE = "Rückkehrbörse Harz"  # bewertet with a finalised positive statement


@pytest.fixture
def engine(seeded_source: str, tmp_path: Path) -> Iterator[Engine]:
    """This test's own copy of the seeded database."""
    yield from seeded_copy(seeded_source, tmp_path)


@dataclass(frozen=True)
class Demo:
    alliance_id: int
    other_alliance_id: int
    open_id: int
    one_id: int
    decide_id: int
    lead_id: int  # of the open application
    partner_id: int  # of the open application
    assessors: tuple[int, int, int]  # member organisations without a conflict with the open application

    @property
    def speaker(self) -> Scope:
        return Scope.for_alliances("sprecherin", Role.SPEAKER, [self.alliance_id])

    def member(self, member_id: int) -> Scope:
        return Scope.for_alliances("partnerin", Role.MEMBER, [self.alliance_id], [member_id])

    @property
    def liaison(self) -> Scope:
        return Scope.for_alliances("ministerium", Role.LIAISON, [self.alliance_id])


def demo(engine: Engine) -> Demo:
    alliances = queries.alliances(engine, DEMO_SCOPE)
    son = int(alliances.filter(slug=SON)["id"][0])
    other = int(alliances.filter(pl.col("slug") != SON)["id"][0])
    with engine.connect() as connection:
        ids = dict(
            connection.execute(
                select(col(Project.title), col(Project.id)).where(col(Project.title).in_([OPEN, ONE, DECIDE]))
            ).all()
        )
    view = A.application(engine, DEMO_SCOPE, ids[OPEN], today=TODAY)
    free = [member_id for member_id, _ in view.can_score_as]
    return Demo(
        son,
        other,
        ids[OPEN],
        ids[ONE],
        ids[DECIDE],
        view.lead_member_id,
        view.partner_ids[0],
        (free[0], free[1], free[2]),
    )


TABLES = (Assessment, AssessmentScore, AssessmentCriterion, Statement, ProjectStatusChange, FinancialEntry, AuditEntry)


def counts(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        found: dict[str, Any] = {
            model.__name__: connection.execute(select(func.count()).select_from(model)).scalar_one() for model in TABLES
        }
        found["versions"] = connection.execute(select(func.sum(col(Project.version)))).scalar_one()
        found["statement_versions"] = connection.execute(select(func.sum(col(Statement.version)))).scalar_one()
    return found


def full_scores(engine: Engine, scope: Scope, d: Demo, value: int = 4) -> dict[int, int | None]:
    return {c.id: value for c in A.criteria(engine, scope, d.alliance_id)}


def refused(engine: Engine, call: Any, *, field: str, key: str) -> ValidationFailed:
    """The call fails validation naming ``field`` with ``key``, and nothing at all was written."""
    before = counts(engine)
    with pytest.raises(ValidationFailed) as failure:
        call()
    assert (field, key) in {(e.field, e.key) for e in failure.value.errors}, failure.value.errors
    assert counts(engine) == before
    return failure.value


def test_the_whole_path_from_application_to_running_project(engine: Engine) -> None:
    d = demo(engine)
    speaker = d.speaker
    stages = A.pipeline_stages(engine, speaker, d.alliance_id, ApplicationFilter(), today=TODAY)
    both = A.pipeline_with_stages(engine, speaker, d.alliance_id, ApplicationFilter(), today=TODAY)
    assert both[0].equals(A.pipeline(engine, speaker, d.alliance_id, ApplicationFilter(), today=TODAY))
    assert both[1].equals(stages)
    waiting = stages.filter(status="beantragt").row(0, named=True)
    assert waiting["applications"] == 3 and waiting["requested_grant"] == Decimal("349000.00")

    for assessor, value in zip(d.assessors[:2], (4, 5), strict=True):
        A.record_assessment(
            engine,
            speaker,
            d.open_id,
            AssessmentInput(assessor, full_scores(engine, speaker, d, value), comment=f"Bewertung {value}"),
            opened_version=None,
        )
    view = A.application(engine, speaker, d.open_id, today=TODAY)
    assert view.assessment_count == 2 and view.weighted_total == 4.5 and not view.flagged
    assert view.next_statuses == ["zurueckgezogen"]

    draft = A.draft_statement(engine, speaker, d.open_id, today=TODAY)
    assert draft.number == 1 and not draft.is_final and draft.recommendation is None
    assert "„KI-Werkstatt für Handwerksbetriebe“" in draft.text and "Bewertung 5" in draft.text
    assert A.draft_statement(engine, speaker, d.open_id, today=TODAY).id == draft.id  # the open draft again

    saved = A.save_statement(
        engine, speaker, draft.id, draft.text + "\n\nErgänzt.", "befuerwortet", opened_version=draft.version
    )
    final = A.finalise_statement(engine, speaker, saved.id, opened_version=saved.version, today=TODAY)
    assert final.is_final and final.finalised_by == "sprecherin" and final.weighted_total == 4.5
    assert final.facts["as_of"] == TODAY.isoformat() and len(final.facts["assessments"]) == 2
    assert {row["ags"] for row in final.facts["need"]} <= {"03101", "03158"} and final.facts["need"]

    view = A.application(engine, speaker, d.open_id, today=TODAY)
    assert view.status == "bewertet" and view.next_statuses == ["bewilligt", "abgelehnt", "zurueckgezogen"]
    version = A.change_status(engine, speaker, d.open_id, "bewilligt", opened_version=view.version, on=TODAY)
    A.change_status(engine, speaker, d.open_id, "laufend", opened_version=version, on=date(2027, 4, 1))

    with engine.connect() as connection:
        project = connection.execute(
            select(col(Project.status), col(Project.approved_grant)).where(col(Project.id) == d.open_id)
        ).one()
        entries = connection.execute(
            select(col(FinancialEntry.entry_date), col(FinancialEntry.kind), col(FinancialEntry.amount)).where(
                col(FinancialEntry.project_id) == d.open_id
            )
        ).all()
        moves = connection.execute(
            select(col(ProjectStatusChange.from_status), col(ProjectStatusChange.to_status))
            .where(col(ProjectStatusChange.project_id) == d.open_id)
            .order_by(col(ProjectStatusChange.changed_at), col(ProjectStatusChange.id))
        ).all()
        audited = connection.execute(
            select(col(AuditEntry.table_name), func.count())
            .where(col(AuditEntry.user_name) == "sprecherin")
            .group_by(col(AuditEntry.table_name))
        ).all()
    assert project[0] == "laufend" and Decimal(project[1]) == Decimal("105000.00")
    assert [(on, kind, Decimal(amount)) for on, kind, amount in entries] == [
        (TODAY, "commitment", Decimal("105000.00"))
    ]
    assert [tuple(move) for move in moves][-3:] == [
        ("beantragt", "bewertet"),
        ("bewertet", "bewilligt"),
        ("bewilligt", "laufend"),
    ]
    # 2 assessments; statement created, saved, finalised; 3 status changes; 1 booking.
    assert dict(audited) == {"assessment": 2, "statement": 3, "project": 3, "financial_entry": 1}


def test_scores_must_be_whole_numbers_from_0_to_5_for_every_required_criterion(engine: Engine) -> None:
    d = demo(engine)
    catalogue = A.criteria(engine, d.speaker, d.alliance_id)
    first, second = catalogue[0], catalogue[1]

    def record(scores: dict[int, Any]) -> Any:
        return lambda: A.record_assessment(
            engine, d.speaker, d.open_id, AssessmentInput(d.assessors[0], scores), opened_version=None
        )

    good = full_scores(engine, d.speaker, d)
    failure = refused(engine, record({**good, first.id: 6}), field=f"score_{first.id}", key="score_out_of_range")
    assert failure.for_field(f"score_{first.id}")[0].text("de") == (
        "Regionaler Bedarf: Die Punktzahl liegt zwischen 0 und 5 („6“)"
    )
    refused(engine, record({**good, first.id: -1}), field=f"score_{first.id}", key="score_out_of_range")
    refused(engine, record({**good, first.id: 2.5}), field=f"score_{first.id}", key="score_not_integer")
    refused(engine, record({**good, first.id: "3"}), field=f"score_{first.id}", key="score_not_integer")
    missing = refused(engine, record({**good, second.id: None}), field=f"score_{second.id}", key="score_required")
    assert missing.errors[0].text("de") == "Beitrag zur Fachkräftestrategie: Dieses Kriterium muss bewertet werden"
    refused(engine, record({**good, 999_999: 3}), field="score_999999", key="criterion_unknown")


def test_conflicted_organisations_never_score(engine: Engine) -> None:
    d = demo(engine)
    scores = full_scores(engine, d.speaker, d)
    for assessor, key in ((d.lead_id, "assessor_is_applicant"), (d.partner_id, "assessor_is_partner")):
        for scope in (d.speaker, DEMO_SCOPE, d.member(assessor)):
            failure = refused(
                engine,
                lambda scope=scope, assessor=assessor: A.record_assessment(
                    engine, scope, d.open_id, AssessmentInput(assessor, scores), opened_version=None
                ),
                field="assessor",
                key=key,
            )
            assert failure.errors[0].text("de").startswith("Interessenkonflikt")
    view = A.application(engine, d.speaker, d.open_id, today=TODAY)
    assert {d.lead_id, d.partner_id} <= view.conflicted_member_ids
    assert not {d.lead_id, d.partner_id} & {member_id for member_id, _ in view.can_score_as}
    own = A.application(engine, d.member(d.lead_id), d.open_id, today=TODAY)
    assert own.can_score_as == []


def test_a_member_scores_only_as_its_own_organisation_and_a_liaison_writes_nothing(engine: Engine) -> None:
    d = demo(engine)
    scores = full_scores(engine, d.speaker, d)
    member = d.member(d.assessors[0])
    before = counts(engine)
    with pytest.raises(PermissionDenied):
        A.record_assessment(engine, member, d.open_id, AssessmentInput(d.assessors[1], scores), opened_version=None)
    liaison = d.liaison
    with pytest.raises(PermissionDenied):
        A.record_assessment(engine, liaison, d.open_id, AssessmentInput(d.assessors[1], scores), opened_version=None)
    for write in (
        lambda s: A.draft_statement(engine, s, d.decide_id, today=TODAY),
        lambda s: A.change_status(engine, s, d.decide_id, "abgelehnt", opened_version=1, on=TODAY),
        lambda s: A.save_criterion(engine, s, d.alliance_id, CriterionInput(code="neu", name="Neu")),
        lambda s: A.new_statement_version(engine, s, d.decide_id, today=TODAY),
    ):
        for scope in (liaison, member):
            with pytest.raises(PermissionDenied):
                write(scope)
    assert counts(engine) == before
    assert A.application(engine, liaison, d.open_id, today=TODAY).can_score_as == []

    assessment_id = A.record_assessment(
        engine, member, d.open_id, AssessmentInput(d.assessors[0], scores), opened_version=None
    )
    with engine.connect() as connection:
        name = connection.execute(
            select(col(Assessment.assessor_name)).where(col(Assessment.id) == assessment_id)
        ).scalar_one()
    assert name == "partnerin"


def test_members_see_only_their_own_scores_until_the_statement_is_final(engine: Engine) -> None:
    d = demo(engine)
    a, b, _ = d.assessors
    for assessor, value in ((a, 2), (b, 5)):
        A.record_assessment(
            engine,
            d.speaker,
            d.open_id,
            AssessmentInput(assessor, full_scores(engine, d.speaker, d, value), comment=f"von {assessor}"),
            opened_version=None,
        )
    member = A.application(engine, d.member(a), d.open_id, today=TODAY)
    assert set(member.scores["assessor_member_id"]) == {a} and set(member.assessments["assessor_member_id"]) == {a}
    assert member.assessment_count == 2
    assert member.weighted_total is None and member.criterion_summary.is_empty() and not member.flagged
    facts = A.application_facts(engine, d.member(a), d.open_id, as_of=TODAY)
    assert [x["comment"] for x in facts["assessments"]] == [f"von {a}"] and facts["weighted_total"] is None
    row = A.pipeline(engine, d.member(a), d.alliance_id, ApplicationFilter(), today=TODAY).filter(project_id=d.open_id)
    assert row["weighted_total"][0] is None and row["assessments"][0] == 2

    liaison = A.application(engine, d.liaison, d.open_id, today=TODAY)
    assert liaison.scores.is_empty() and liaison.assessments.is_empty() and liaison.weighted_total == 3.5
    speaker = A.application(engine, d.speaker, d.open_id, today=TODAY)
    assert set(speaker.scores["assessor_member_id"]) == {a, b} and speaker.flagged  # every criterion 3 apart
    assert speaker.statements == []

    draft = A.draft_statement(engine, d.speaker, d.open_id, today=TODAY)
    assert A.application(engine, d.member(a), d.open_id, today=TODAY).statements == []  # drafts: managers only
    saved = A.save_statement(engine, d.speaker, draft.id, draft.text, "nicht_befuerwortet", opened_version=1)
    A.finalise_statement(engine, d.speaker, draft.id, opened_version=saved.version, today=TODAY)

    member = A.application(engine, d.member(a), d.open_id, today=TODAY)
    assert set(member.scores["assessor_member_id"]) == {a, b} and member.weighted_total == 3.5
    assert [s.number for s in member.statements] == [1]
    liaison = A.application(engine, d.liaison, d.open_id, today=TODAY)
    assert liaison.scores.is_empty() and liaison.assessments.height == 2 and [s.number for s in liaison.statements]


def test_statement_refusals_write_nothing(engine: Engine) -> None:
    d = demo(engine)
    speaker = d.speaker
    draft = A.draft_statement(engine, speaker, d.one_id, today=TODAY)  # one assessment only
    refused(
        engine,
        lambda: A.finalise_statement(engine, speaker, draft.id, opened_version=draft.version, today=TODAY),
        field="recommendation",
        key="recommendation_required",
    )
    saved = A.save_statement(engine, speaker, draft.id, draft.text, "befuerwortet", opened_version=draft.version)
    few = refused(
        engine,
        lambda: A.finalise_statement(engine, speaker, draft.id, opened_version=saved.version, today=TODAY),
        field="_general",
        key="too_few_assessments",
    )
    assert (
        few.errors[0].text("de")
        == "Für eine abschließende Stellungnahme sind mindestens 2 Bewertungen nötig (bisher 1)"
    )
    refused(
        engine,
        lambda: A.save_statement(engine, speaker, draft.id, "x", "vielleicht", opened_version=saved.version),
        field="recommendation",
        key="recommendation_unknown",
    )
    # The already finalised statement of the decided application: no second finalisation, no edits.
    final = next(s for s in A.application(engine, speaker, d.decide_id, today=TODAY).statements if s.is_final)
    refused(
        engine,
        lambda: A.finalise_statement(engine, speaker, final.id, opened_version=final.version, today=TODAY),
        field="_general",
        key="statement_already_final",
    )
    refused(
        engine,
        lambda: A.save_statement(engine, speaker, final.id, "neu", "befuerwortet", opened_version=final.version),
        field="_general",
        key="statement_final",
    )
    # A revision is a new numbered draft starting from the final text.
    revision = A.new_statement_version(engine, speaker, d.decide_id, today=TODAY)
    assert revision.number == final.number + 1 and revision.text == final.text and not revision.is_final


def test_status_refusals_write_nothing(engine: Engine) -> None:
    d = demo(engine)
    speaker = d.speaker
    one = A.application(engine, speaker, d.one_id, today=TODAY)
    refused(
        engine,
        lambda: A.change_status(engine, speaker, d.one_id, "bewilligt", opened_version=one.version, on=TODAY),
        field="status",
        key="transition_forbidden",
    )
    refused(
        engine,
        lambda: A.change_status(engine, speaker, d.one_id, "bewertet", opened_version=one.version, on=TODAY),
        field="status",
        key="status_by_statement",
    )
    # Approval needs a positive final statement: revise the decided application's statement to a rejection.
    revision = A.new_statement_version(engine, speaker, d.decide_id, today=TODAY)
    saved = A.save_statement(
        engine, speaker, revision.id, revision.text, "nicht_befuerwortet", opened_version=revision.version
    )
    A.finalise_statement(engine, speaker, revision.id, opened_version=saved.version, today=TODAY)
    decide = A.application(engine, speaker, d.decide_id, today=TODAY)
    assert "bewilligt" not in decide.next_statuses
    failure = refused(
        engine,
        lambda: A.change_status(engine, speaker, d.decide_id, "bewilligt", opened_version=decide.version, on=TODAY),
        field="status",
        key="approval_needs_positive_statement",
    )
    assert "befürwortender Empfehlung" in failure.errors[0].text("de")


def test_approval_amount_is_checked(engine: Engine) -> None:
    d = demo(engine)
    decide = A.application(engine, d.speaker, d.decide_id, today=TODAY)

    def approve(amount: Decimal) -> Any:
        return lambda: A.change_status(
            engine, d.speaker, d.decide_id, "bewilligt", opened_version=decide.version, on=TODAY, approved_grant=amount
        )

    refused(engine, approve(Decimal("0")), field="approved_grant", key="approval_positive")
    refused(engine, approve(Decimal("1.005")), field="approved_grant", key="amount_decimals")
    refused(engine, approve(Decimal("180000.01")), field="approved_grant", key="approved_exceeds_cost")
    A.change_status(
        engine,
        d.speaker,
        d.decide_id,
        "bewilligt",
        opened_version=decide.version,
        on=TODAY,
        approved_grant=Decimal("99000"),
    )
    assert A.application(engine, d.speaker, d.decide_id, today=TODAY).approved_grant == Decimal("99000.00")


def test_stale_edits_are_refused_and_write_nothing(engine: Engine) -> None:
    d = demo(engine)
    speaker, assessor = d.speaker, d.assessors[0]
    scores = full_scores(engine, speaker, d)
    A.record_assessment(engine, speaker, d.open_id, AssessmentInput(assessor, scores), opened_version=None)
    before = counts(engine)
    with pytest.raises(StaleEdit) as stale:  # someone else entered this organisation's assessment meanwhile
        A.record_assessment(
            engine,
            speaker,
            d.open_id,
            AssessmentInput(assessor, full_scores(engine, speaker, d, 2)),
            opened_version=None,
        )
    assert stale.value.table == "assessment" and {c.field for c in stale.value.changes} == {"scores"}
    A.record_assessment(
        engine, speaker, d.open_id, AssessmentInput(assessor, full_scores(engine, speaker, d, 3)), opened_version=1
    )
    after_update = counts(engine)
    assert after_update["AuditEntry"] == before["AuditEntry"] + 1
    with pytest.raises(StaleEdit):
        A.record_assessment(engine, speaker, d.open_id, AssessmentInput(assessor, scores), opened_version=1)
    draft = A.draft_statement(engine, speaker, d.open_id, today=TODAY)
    A.save_statement(engine, speaker, draft.id, "Erste Fassung", None, opened_version=draft.version)
    written = counts(engine)
    with pytest.raises(StaleEdit) as stale_statement:
        A.save_statement(engine, speaker, draft.id, "Zweite Fassung", None, opened_version=draft.version)
    assert [c.saved for c in stale_statement.value.changes] == ["Erste Fassung"]
    view = A.application(engine, speaker, d.decide_id, today=TODAY)
    with pytest.raises(StaleEdit):
        A.change_status(engine, speaker, d.decide_id, "abgelehnt", opened_version=view.version - 1, on=TODAY)
    assert counts(engine) == written


def test_the_criteria_catalogue(engine: Engine) -> None:
    d = demo(engine)
    speaker = d.speaker
    catalogue = A.criteria(engine, d.member(d.assessors[0]), d.alliance_id)
    assert [c.weight for c in catalogue] == [3, 3, 2, 2, 1, 1] and catalogue[0].anchors[
        0
    ] == "Kein regionaler Bedarf erkennbar"
    refused(
        engine,
        lambda: A.save_criterion(engine, speaker, d.alliance_id, CriterionInput(code="", name="Digital", weight=0)),
        field="weight",
        key="criterion_weight_range",
    )
    refused(
        engine,
        lambda: A.save_criterion(engine, speaker, d.alliance_id, CriterionInput(code="regionaler_bedarf", name="X")),
        field="code",
        key="criterion_code_taken",
    )
    refused(
        engine,
        lambda: A.save_criterion(
            engine, speaker, d.alliance_id, CriterionInput(code="", name="X", anchors={6: "zu viel"})
        ),
        field="anchors",
        key="criterion_anchor_point",
    )
    added = A.save_criterion(
        engine, speaker, d.alliance_id, CriterionInput(code="", name="Digitale Reife", weight=2, anchors={0: "keine"})
    )
    assert (added.code, added.position, added.version, added.anchors) == ("digitale_reife", 6, 1, {0: "keine"})
    renamed = A.save_criterion(
        engine, speaker, d.alliance_id, CriterionInput(code="", name="Digitalisierung", weight=2), opened=added
    )
    assert renamed.version == 2 and renamed.code == "digitale_reife"
    with pytest.raises(StaleEdit):
        A.save_criterion(engine, speaker, d.alliance_id, CriterionInput(code="", name="Alt"), opened=added)
    scored = catalogue[0]
    refused(
        engine,
        lambda: A.save_criterion(
            engine, speaker, d.alliance_id, CriterionInput(code="bedarf", name=scored.name, weight=3), opened=scored
        ),
        field="code",
        key="criterion_code_fixed",
    )
    A.archive_criterion(engine, speaker, renamed.id, opened=renamed)
    assert renamed.id not in {c.id for c in A.criteria(engine, speaker, d.alliance_id)}
    assert renamed.id in {c.id for c in A.criteria(engine, speaker, d.alliance_id, include_archived=True)}
    A.restore_criterion(engine, speaker, renamed.id)
    assert renamed.id in {c.id for c in A.criteria(engine, speaker, d.alliance_id)}
    # The new required criterion is now part of every new assessment.
    refused(
        engine,
        lambda: A.record_assessment(
            engine,
            speaker,
            d.open_id,
            AssessmentInput(d.assessors[0], {c.id: 3 for c in catalogue}),
            opened_version=None,
        ),
        field=f"score_{renamed.id}",
        key="score_required",
    )


def test_the_pipeline_masks_foreign_money_but_counts_it_in_the_stages(engine: Engine) -> None:
    d = demo(engine)
    member = d.member(d.assessors[0])
    rows = A.pipeline(engine, member, d.alliance_id, ApplicationFilter(), today=TODAY)
    foreign = rows.filter(project_id=d.open_id).row(0, named=True)
    assert foreign["requested_grant"] is None and foreign["total_cost"] is None and not foreign["money_visible"]
    stages = A.pipeline_stages(engine, member, d.alliance_id, ApplicationFilter(statuses=("beantragt",)), today=TODAY)
    assert stages.rows() == [("beantragt", 3, Decimal("349000.00"), 52.0)]
    own = A.pipeline(engine, d.member(d.lead_id), d.alliance_id, ApplicationFilter(), today=TODAY)
    assert own.filter(project_id=d.open_id)["requested_grant"][0] == Decimal("105000.00")
    flt = ApplicationFilter(applicant_ids=(d.lead_id,))
    assert A.pipeline(engine, d.speaker, d.alliance_id, flt, today=TODAY)["project_id"].to_list() == [d.open_id]
    by_region = A.pipeline(engine, d.speaker, d.alliance_id, ApplicationFilter(region_ags=("03158",)), today=TODAY)
    assert d.open_id in by_region["project_id"].to_list()
    decided = rows.filter(project_id=d.decide_id).row(0, named=True)
    assert decided["statement_state"] == "final" and decided["submitted_on"] == date(2026, 8, 17)
    assert decided["waiting_days"] == (TODAY - date(2026, 10, 28)).days
    with pytest.raises(PermissionDenied):
        A.pipeline(engine, d.member(d.assessors[0]), d.other_alliance_id, ApplicationFilter(), today=TODAY)


def test_facts_take_the_need_at_or_before_the_day(engine: Engine) -> None:
    d = demo(engine)
    early = A.application_facts(engine, d.speaker, d.open_id, as_of=date(2020, 6, 30))
    late = A.application_facts(engine, d.speaker, d.open_id, as_of=TODAY)
    assert early["need"] and all(row["period_end"] <= "2020-06-30" for row in early["need"])
    assert max(row["period_end"] for row in late["need"]) > "2020-06-30"
    assert len({row["indicator_code"] for row in late["need"]}) <= A.NEED_INDICATORS
    assert late["application"]["requested_grant"] == "105000.00" and late["application"]["submitted_on"] == "2026-11-03"
    with pytest.raises(NotFound):
        A.application_facts(
            engine, Scope.for_alliances("x", Role.SPEAKER, [d.other_alliance_id]), d.open_id, as_of=TODAY
        )


def test_project_forms_record_the_status_history(engine: Engine) -> None:
    """Creating a project writes its first status-change row; a saved status change writes one more (the
    pipeline's waiting times), a save that keeps the status none."""
    from dataclasses import replace

    from dashboard.data_access import editing
    from dashboard.data_access.editing import ProjectInput

    d = demo(engine)

    def history(project_id: int) -> list[tuple[str | None, str, str]]:
        with engine.connect() as connection:
            rows = connection.execute(
                select(
                    col(ProjectStatusChange.from_status),
                    col(ProjectStatusChange.to_status),
                    col(ProjectStatusChange.user_name),
                )
                .where(col(ProjectStatusChange.project_id) == project_id)
                .order_by(col(ProjectStatusChange.id))
            ).all()
        return [tuple(row) for row in rows]  # type: ignore[misc]

    data = ProjectInput(
        title="Neuer Antrag aus dem Formular",
        description="",
        lead_member_id=d.lead_id,
        status="idee",
        fund="esf",
        start_date=None,
        end_date=None,
        total_cost=Decimal("1000.00"),
        requested_grant=Decimal("800.00"),
        approved_grant=None,
    )
    created = editing.create_project(engine, d.speaker, d.alliance_id, data)
    assert history(created.id) == [(None, "idee", "sprecherin")]
    kept = editing.update_project(
        engine, d.speaker, created.id, replace(data, description="Beschreibung"), opened=created
    )
    assert history(created.id) == [(None, "idee", "sprecherin")]
    editing.update_project(engine, d.speaker, created.id, replace(data, status="beantragt"), opened=kept)
    assert history(created.id) == [(None, "idee", "sprecherin"), ("idee", "beantragt", "sprecherin")]
    row = A.pipeline(engine, d.speaker, d.alliance_id, ApplicationFilter(), today=TODAY).filter(project_id=created.id)
    assert row["status"][0] == "beantragt" and row["submitted_on"][0] is not None


def test_bulk_imports_record_the_status_history(engine: Engine) -> None:
    from dashboard.data_access.bulk_import import apply_bulk
    from dashboard.data_access.bulk_schema import BulkKind
    from tests.unit.test_bulk_import import rows

    d = demo(engine)
    lead = A.application(engine, d.speaker, d.open_id, today=TODAY).lead_name
    records = [
        {"title": "Antrag aus der Tabelle", "lead": lead, "status": "Beantragt", "fund": "ESF/ESF+"},
        {"title": OPEN, "status": "zurueckgezogen"},  # a changed status
        {"title": ONE},  # unchanged
    ]
    apply_bulk(engine, d.speaker, d.alliance_id, BulkKind.PROJECTS, rows(BulkKind.PROJECTS, records))
    with engine.connect() as connection:
        moves = connection.execute(
            select(col(Project.title), col(ProjectStatusChange.from_status), col(ProjectStatusChange.to_status))
            .join(Project, col(Project.id) == col(ProjectStatusChange.project_id))
            .where(col(ProjectStatusChange.user_name) == "sprecherin")
            .order_by(col(Project.title))
        ).all()
    assert [tuple(move) for move in moves] == [
        ("Antrag aus der Tabelle", None, "beantragt"),
        (OPEN, "beantragt", "zurueckgezogen"),
    ]


def test_only_submitted_undecided_applications_wait(seeded_engine: Engine) -> None:
    """Ideas are not submitted and decided applications wait no more: no waiting time, so years-old dates do not
    stretch those stages' medians."""
    son = int(queries.alliances(seeded_engine, DEMO_SCOPE).filter(slug="suedostniedersachsen")["id"][0])
    rows = A.pipeline(seeded_engine, DEMO_SCOPE, son, ApplicationFilter(), today=TODAY)
    ideas = rows.filter(status="idee")
    assert not ideas.is_empty()
    assert ideas["waiting_days"].null_count() == ideas.height
    assert rows.filter(status="beantragt")["waiting_days"].null_count() == 0
    decided = rows.filter(pl.col("status").is_in(["bewilligt", "abgelehnt", "zurueckgezogen"]))
    assert not decided.is_empty() and decided["waiting_days"].null_count() == decided.height

"""Optimistic locking on SQLite and PostgreSQL: two people save the same record, the second save is refused with
what changed, the first one's values survive and the version moves exactly once (0 lost updates) — one after the
other and from two threads at the same moment; a form and a bulk import taking the same title at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, text

from dashboard.data_access import bulk_import, editing
from dashboard.data_access.bulk_import import BulkRejected
from dashboard.data_access.bulk_schema import BULK_COLUMNS, LINE, BulkKind
from dashboard.data_access.editing import EntryInput, ProjectRecord, ValueInput
from dashboard.data_access.writes import StaleEdit, ValidationFailed
from tests.unit import test_editing as shared
from tests.unit.test_editing import Demo, audit_entries, state

# The per-test seeded databases of the form tests (a fixture is found by its name in the module).
engine, demo = shared.engine, shared.demo  # seeded_source comes from tests/conftest.py

ROUNDS = 5


def test_the_second_save_of_a_project_is_refused_and_the_first_survives(engine: Engine, demo: Demo) -> None:
    scopes = demo.scopes()
    first_user, second_user = scopes["speaker"], scopes["member"]
    opened_first = editing.open_project(engine, first_user, demo.own_project_id)
    opened_second = editing.open_project(engine, second_user, demo.own_project_id)
    assert opened_first == replace(opened_second, can_edit=opened_first.can_edit)
    trail = len(audit_entries(engine))

    first = replace(opened_first.values, status="laufend", total_cost=Decimal("600000"))
    editing.update_project(engine, first_user, demo.own_project_id, first, opened=opened_first)
    before = state(engine)
    second = replace(opened_second.values, description="Meine Beschreibung", status="abgebrochen")
    with pytest.raises(StaleEdit) as caught:
        editing.update_project(engine, second_user, demo.own_project_id, second, opened=opened_second)

    stale = caught.value
    assert (stale.table, stale.record_id, stale.expected, stale.current) == ("project", demo.own_project_id, 1, 2)
    assert [(change.field, change.opened, change.saved) for change in stale.changes] == [
        ("status", opened_second.values.status, "laufend"),
        ("total_cost", opened_second.values.total_cost, Decimal("600000.00")),
    ]
    assert state(engine) == before  # nothing of the second save was written
    now = editing.open_project(engine, first_user, demo.own_project_id)
    assert (now.version, now.values) == (2, replace(first, total_cost=Decimal("600000.00")))
    assert [row["action"] for row in audit_entries(engine)[trail:]] == ["update"]


def test_a_stale_entry_target_and_budget_line_are_refused_too(engine: Engine, demo: Demo) -> None:
    scope = demo.scopes()["speaker"]
    entry = editing.open_entry(engine, scope, demo.entry_id)
    editing.update_entry(engine, scope, entry.id, replace(entry.values, note="erste"), opened=entry)
    with pytest.raises(StaleEdit) as caught:
        editing.archive_entry(engine, scope, entry.id, opened=entry)
    assert [(c.field, c.saved) for c in caught.value.changes] == [("note", "erste")]

    target = editing.open_target(engine, scope, demo.target_id)
    editing.update_target(engine, scope, target.id, replace(target.values, target_value=99.0), opened=target)
    with pytest.raises(StaleEdit) as caught:
        editing.update_target(engine, scope, target.id, replace(target.values, description="zweite"), opened=target)
    assert [(c.field, c.saved) for c in caught.value.changes] == [("target_value", 99.0)]

    line = editing.budget_rows(engine, scope, demo.alliance_id).row(0, named=True)
    fund, year, version = line["fund"], line["year"], line["version"]
    editing.set_budget(
        engine, scope, demo.alliance_id, fund=fund, year=year, amount=Decimal("1"), opened_version=version
    )
    before = state(engine)
    with pytest.raises(StaleEdit) as caught:
        editing.set_budget(
            engine, scope, demo.alliance_id, fund=fund, year=year, amount=Decimal("2"), opened_version=version
        )
    assert (caught.value.expected, caught.value.current) == (version, version + 1)
    assert state(engine) == before


def _race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together; each result is the return value or the exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as exc:  # the test inspects what each thread got
            results[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.fixture
def meet_at_the_update(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both saves pass their reads and checks before either runs its guarded UPDATE: a real collision."""
    barrier = threading.Barrier(2, timeout=30)
    guarded = editing.guarded_update

    def together(*args: Any, **kwargs: Any) -> bool:
        barrier.wait()
        return guarded(*args, **kwargs)

    monkeypatch.setattr(editing, "guarded_update", together)


@pytest.mark.usefixtures("meet_at_the_update")
def test_two_threads_saving_the_same_opened_project_exactly_one_wins(engine: Engine, demo: Demo) -> None:
    scope = demo.scopes()["speaker"]
    for round_ in range(ROUNDS):
        opened = editing.open_project(engine, scope, demo.own_project_id)
        trail = len(audit_entries(engine))
        wanted = [
            replace(opened.values, description=f"Runde {round_}: A", status="laufend"),
            replace(opened.values, description=f"Runde {round_}: B", status="abgebrochen"),
        ]
        results = _race(
            [
                partial(editing.update_project, engine, scope, demo.own_project_id, data, opened=opened)
                for data in wanted
            ]
        )
        winners = [result for result in results if isinstance(result, ProjectRecord)]
        losers = [result for result in results if isinstance(result, StaleEdit)]
        assert (len(winners), len(losers)) == (1, 1), results
        now = editing.open_project(engine, scope, demo.own_project_id)
        assert now.version == opened.version + 1
        assert now.values == winners[0].values  # the winner's values, none of the loser's
        assert losers[0].current == opened.version + 1
        differs = {
            name for name in ("description", "status") if getattr(now.values, name) != getattr(opened.values, name)
        }
        assert {change.field for change in losers[0].changes} == differs
        assert len(audit_entries(engine)) == trail + 1


def test_two_threads_reporting_the_same_new_value_one_is_told_it_exists(engine: Engine, demo: Demo) -> None:
    scope = demo.scopes()["member"]
    for round_ in range(ROUNDS):
        key = ValueInput(demo.own_project_id, demo.indicator_id, date(2030 + round_, 12, 31), 0.0)
        results = _race(
            [partial(editing.report_value, engine, scope, replace(key, value=value)) for value in (1.0, 2.0)]
        )
        ids = [result for result in results if isinstance(result, int)]
        stale = [result for result in results if isinstance(result, StaleEdit)]
        assert (len(ids), len(stale)) == (1, 1), results
        values = editing.project_values(engine, scope, demo.own_project_id).filter(period_end=key.period_end)
        assert values.select("id", "version").rows() == [(ids[0], 1)]
        assert stale[0].changes[0].saved == values["value"][0]


def test_two_threads_adding_entries_both_succeed(engine: Engine, demo: Demo) -> None:
    """Entries have no natural key: concurrent bookings are two bookings, none is lost."""
    scope = demo.scopes()["member"]
    before = len(editing.project_entries(engine, scope, demo.own_project_id))
    data = EntryInput(demo.own_project_id, date(2021, 6, 1), "disbursement", Decimal("10.00"), "esf")
    results = _race([lambda: editing.add_entry(engine, scope, data), lambda: editing.add_entry(engine, scope, data)])
    assert all(isinstance(result, editing.EntryRecord) for result in results), results
    assert len(editing.project_entries(engine, scope, demo.own_project_id)) == before + 2


def test_a_form_and_a_bulk_import_taking_the_same_title_at_once_one_wins_cleanly(
    engine: Engine, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both pass their checks with the title free before either inserts. The loser gets its own message — the form
    "title taken", the import the conflict issue — never a raw database error; one project, nothing half-written."""
    scope = demo.scopes()["speaker"]
    meet = threading.Barrier(2, timeout=30)
    check, planner = editing._check_project, bulk_import.PLANNERS[BulkKind.PROJECTS]

    def checked_then_meet(*args: Any) -> None:
        check(*args)
        meet.wait()

    def planned_then_meet(*args: Any) -> Any:
        work = planner(*args)
        meet.wait()
        return work

    monkeypatch.setattr(editing, "_check_project", checked_then_meet)
    monkeypatch.setitem(bulk_import.PLANNERS, BulkKind.PROJECTS, planned_then_meet)
    lead = editing.open_project(engine, scope, demo.own_project_id)
    for round_ in range(ROUNDS):
        title = f"Gleichzeitig angelegt {round_}"
        form = replace(lead.values, title=title, partner_ids=(), topic_ids=(), region_ags=())
        file = _bulk_rows(
            [{"title": title, "lead": _member_name(engine, demo.own_member_id), "status": "Idee", "fund": "ESF"}]
        )
        trail = len(audit_entries(engine))
        results = _race(
            [
                partial(editing.create_project, engine, scope, demo.alliance_id, form),
                partial(bulk_import.apply_bulk, engine, scope, demo.alliance_id, BulkKind.PROJECTS, file),
            ]
        )
        created, imported = results
        if isinstance(created, ProjectRecord):
            assert isinstance(imported, BulkRejected), results
            assert [issue.key for issue in imported.issues] == ["issue.conflict"]
        else:
            assert isinstance(created, ValidationFailed), results
            assert [(error.field, error.key) for error in created.errors] == [("title", "title_taken")]
            assert imported == {"new": 1, "changed": 0, "unchanged": 0}
        listed = editing.editable_projects(engine, scope, demo.alliance_id).filter(title=title)
        assert listed.height == 1
        assert len(audit_entries(engine)) == trail + 1  # the winner's one create or import entry


def _member_name(engine: Engine, member_id: int) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT name FROM member WHERE id = :m"), {"m": member_id}).scalar_one())


def _bulk_rows(records: list[dict[str, str]]) -> pl.DataFrame:
    names = [column.name for column in BULK_COLUMNS[BulkKind.PROJECTS]]
    frame = pl.DataFrame(
        {name: [record.get(name) for record in records] for name in names}, schema=dict.fromkeys(names, pl.String())
    )
    return frame.with_columns(pl.int_range(2, 2 + len(records), dtype=pl.Int64).alias(LINE))

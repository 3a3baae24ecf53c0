"""The demo seed: idempotent, all-or-nothing on bad data, and free of real people's contact data."""

import re
from importlib import resources
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from dashboard.data_access.models import Alliance, FinancialEntry, Member, Observation, Project, Target
from seeds import loader
from seeds.loader import SeedError, seed_demo


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.__name__: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (Alliance, Member, Project, FinancialEntry, Observation, Target)
        }


def test_seeding_twice_changes_nothing(migrated_engine: Engine) -> None:
    first = seed_demo(migrated_engine)
    assert len(first.created) == 5
    counts = _counts(migrated_engine)
    assert counts["Alliance"] == 5 and counts["FinancialEntry"] > 100 and counts["Target"] > 0
    second = seed_demo(migrated_engine)
    assert second.created == [] and len(second.skipped) == 5
    assert _counts(migrated_engine) == counts


def test_reset_reloads_the_same_deterministic_data(migrated_engine: Engine) -> None:
    seed_demo(migrated_engine)
    with migrated_engine.connect() as connection:
        before = connection.execute(select(func.sum(FinancialEntry.amount))).scalar_one()
    counts = _counts(migrated_engine)
    seed_demo(migrated_engine, reset=True)
    with migrated_engine.connect() as connection:
        after = connection.execute(select(func.sum(FinancialEntry.amount))).scalar_one()
    assert _counts(migrated_engine) == counts
    assert before == after


def _broken_alliances(original: Any) -> Any:
    def read(name: str) -> dict[str, Any]:
        data = original(name)
        if name == "alliances.yaml":
            data["alliances"][-1]["projects"][0]["lead"] = "Unbekannte Organisation"
        return data

    return read


def test_bad_seed_data_names_the_entry_and_writes_nothing(
    migrated_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "read_seed_file", _broken_alliances(loader.read_seed_file))
    with pytest.raises(SeedError) as error:
        seed_demo(migrated_engine)
    message = str(error.value)
    assert "dessau-rosslau-zwk" in message and "Unbekannte Organisation" in message and "lead member" in message
    assert _counts(migrated_engine)["Alliance"] == 0


def test_seed_files_hold_no_personal_contact_data() -> None:
    people = ["Kleber", "Syring", "Bothe", "Wilkens", "Rosinski", "Grond", "Ting", "Heinrich", "Bischoff"]
    for name in ("alliances.yaml", "regions.yaml", "indicators.yaml"):
        text = resources.files("seeds").joinpath("data", name).read_text(encoding="utf-8")
        assert "@" not in text, name
        assert not re.search(r"Tel\.|\b0\d{3,4}\s*[/–-]\s*\d", text), name
        for person in people:
            assert not re.search(rf"\b{person}\b", text), f"{person} in {name}"


def test_example_data_is_labelled(migrated_engine: Engine) -> None:
    seed_demo(migrated_engine)
    with migrated_engine.connect() as connection:
        notes = set(connection.execute(select(FinancialEntry.note)).scalars())
        sources = set(connection.execute(select(Observation.source)).scalars())
    assert notes == {"Beispieldaten"} and sources == {"Beispieldaten"}

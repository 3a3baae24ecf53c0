"""The import write service on SQLite and PostgreSQL: plan without writing, idempotent upsert, all or nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from dashboard.data_access import observation_import
from dashboard.data_access.models import Alliance, AuditEntry, Indicator, Member, Observation, Project, Region
from dashboard.data_access.observation_import import apply_import, can_import, plan_import
from dashboard.data_access.scope import DEMO_SCOPE, PermissionDenied, Role, Scope
from dashboard.importers import read_file
from dashboard.importers.model import (
    INDICATOR_SCHEMA,
    OBSERVATION_SCHEMA,
    REGION_SCHEMA,
    FileFormatError,
    ImportFormat,
    ParsedImport,
)

# The official export is read where it lies (never copied into the project).
REAL_FILE = Path(__file__).resolve().parents[3] / "shared" / "real-data" / "regionalstatistik" / "13211-02-05-4.csv"
SOURCE = "Regionalstatistik, Tabelle 13211-02-05-4"
SPEAKER = Scope.for_alliances("sprecherin", Role.SPEAKER, [1])

INDICATORS = [
    ("13211-02-05-4:arbeitslose", "Arbeitslose", "Anzahl", "down"),
    ("13211-02-05-4:quote", "Arbeitslosenquote", "Prozent", "down"),
]
REGIONS = [
    ("DG", "Deutschland", "bund", None, None),
    ("03", "Niedersachsen", "land", None, "Niedersachsen"),
    ("03153", "Goslar", "kreis", "Landkreis", "Niedersachsen"),
    ("03159", "Göttingen", "kreis", "Landkreis", "Niedersachsen"),
]


def year_end(year: int) -> date:
    return date(year, 12, 31)


def values(years: range = range(2020, 2023)) -> list[dict[str, Any]]:
    """One value per indicator, region and year, on consecutive file lines from line 9 (after the header block)."""
    keys = [(year, region[0], indicator[0]) for year in years for region in REGIONS for indicator in INDICATORS]
    return [
        {
            "indicator_code": code,
            "region_ags": ags,
            "period_start": date(year, 1, 1),
            "period_end": year_end(year),
            "dimensions": "",
            "value": float(100 * number + 7) / (1 if code.endswith("arbeitslose") else 100),
            "missing_marker": None,
            "is_cumulative": False,
            "source": SOURCE,
            "line": 9 + number,
        }
        for number, (year, ags, code) in enumerate(keys)
    ]


def parsed(
    rows: list[dict[str, Any]] | None = None,
    *,
    indicators: list[tuple[Any, ...]] = INDICATORS,
    regions: list[tuple[Any, ...]] = REGIONS,
) -> ParsedImport:
    return ParsedImport(
        format=ImportFormat.GENESIS_TABLE,
        title="Arbeitslose nach ausgewählten Personengruppen",
        table_code="13211-02-05-4",
        source=SOURCE,
        indicators=pl.DataFrame(
            [(code, name, unit, direction, SOURCE, "") for code, name, unit, direction in indicators],
            schema=INDICATOR_SCHEMA,
            orient="row",
        ),
        regions=pl.DataFrame(regions, schema=REGION_SCHEMA, orient="row"),
        observations=pl.DataFrame(values() if rows is None else rows, schema=OBSERVATION_SCHEMA),
    )


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            model.__name__: connection.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Region, Indicator, Observation)
        }


def stored(engine: Engine) -> pl.DataFrame:
    """Every regional value with what an update would touch, in a stable order."""
    columns = [
        col(Observation.id),
        col(Indicator.code),
        col(Observation.region_ags),
        col(Observation.period_end),
        col(Observation.period_start),
        col(Observation.value),
        col(Observation.missing_marker),
        col(Observation.source),
        col(Observation.version),
        col(Observation.created_at),
        col(Observation.updated_at),
    ]
    statement = select(*columns).join(Indicator, col(Indicator.id) == col(Observation.indicator_id))
    with engine.connect() as connection:
        rows = connection.execute(statement.order_by(col(Observation.id))).all()
    schema: dict[str, pl.DataType] = {
        "id": pl.Int64(),
        "code": pl.String(),
        "ags": pl.String(),
        "period_end": pl.Date(),
        "period_start": pl.Date(),
        "value": pl.Float64(),
        "marker": pl.String(),
        "source": pl.String(),
        "version": pl.Int64(),
        "created": pl.Datetime("us", "UTC"),
        "upd": pl.Datetime("us", "UTC"),
    }
    return pl.DataFrame([tuple(row) for row in rows], schema=schema, orient="row")


# --- plan ---------------------------------------------------------------------------------------------------


def test_plan_of_a_new_file_counts_everything_as_new_and_writes_nothing(migrated_engine: Engine) -> None:
    plan = plan_import(migrated_engine, DEMO_SCOPE, parsed())
    assert (plan.new, plan.changed, plan.unchanged) == (24, 0, 0)
    assert plan.has_work
    assert plan.new_indicators["code"].to_list() == [code for code, *_ in INDICATORS]
    assert plan.indicators.select("code", "values", "is_new").rows() == [(code, 12, True) for code, *_ in INDICATORS]
    assert plan.new_regions.rows() == [(ags, name, level) for ags, name, level, *_ in REGIONS]
    assert plan.regions_by_level.rows() == [("bund", 1), ("land", 1), ("kreis", 2)]
    assert (plan.period_min, plan.period_max) == (year_end(2020), year_end(2022))
    assert plan.preview.height == 20
    first = plan.preview.row(0, named=True)
    assert first["line"] == 9 and first["indicator"] == "Arbeitslose" and first["unit"] == "Anzahl"
    assert first["region"] == "Deutschland" and first["value"] == 7.0 and first["old_value"] is None
    assert set(plan.preview["status"]) == {"new"}
    assert plan.changes.is_empty()
    assert counts(migrated_engine) == {"Region": 0, "Indicator": 0, "Observation": 0}


def test_plan_against_the_demo_data_knows_its_regions(seeded_engine: Engine) -> None:
    before = counts(seeded_engine)
    with seeded_engine.connect() as connection:
        known = set(connection.execute(select(col(Region.ags))).scalars())
    assert "03153" in known  # a demo region
    plan = plan_import(seeded_engine, SPEAKER, parsed())
    assert plan.new_regions["ags"].to_list() == [ags for ags, *_ in REGIONS if ags not in known]
    assert plan.new == 24
    assert counts(seeded_engine) == before


def test_the_real_export_is_imported_once_and_then_found_complete(migrated_engine: Engine) -> None:
    batch = read_file(REAL_FILE.read_bytes(), REAL_FILE.name)
    plan = plan_import(migrated_engine, DEMO_SCOPE, batch)
    rows = batch.observations.height
    assert (plan.new, plan.changed, plan.unchanged) == (rows, 0, 0) and rows > 40_000
    assert plan.new_regions.height == batch.regions.height
    assert dict(plan.regions_by_level.rows())["kreis"] == batch.regions.filter(level="kreis").height
    calls: list[float] = []
    result = apply_import(migrated_engine, DEMO_SCOPE, batch, progress=lambda fraction, _m: calls.append(fraction))
    assert (result.inserted, result.indicators_inserted) == (rows, batch.indicators.height)
    assert len(calls) >= rows // 5_000 and calls[-1] == 1.0
    before = stored(migrated_engine)
    # Flensburg, unemployed persons, 2020 (line 11 of the export): 4 722.
    flensburg = before.filter(ags="01001", period_end=date(2020, 12, 31), code=batch.observations["indicator_code"][0])
    assert flensburg["value"].to_list() == [4722.0]
    again = apply_import(migrated_engine, DEMO_SCOPE, read_file(REAL_FILE.read_bytes(), REAL_FILE.name))
    assert (again.inserted, again.updated, again.unchanged, again.regions_inserted) == (0, 0, rows, 0)
    assert_frame_equal(stored(migrated_engine), before)


# --- apply: idempotent upsert ------------------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing_the_second_time(migrated_engine: Engine) -> None:
    first = apply_import(migrated_engine, DEMO_SCOPE, parsed())
    assert (first.inserted, first.updated, first.unchanged) == (24, 0, 0)
    assert (first.indicators_inserted, first.regions_inserted, first.indicators_completed) == (2, 4, 0)
    assert counts(migrated_engine) == {"Region": 4, "Indicator": 2, "Observation": 24}
    before = stored(migrated_engine)
    assert set(before["version"]) == {1}
    assert before.filter(code=INDICATORS[1][0], ags="03159", period_end=year_end(2022))["value"].item() == 23.07

    assert not plan_import(migrated_engine, DEMO_SCOPE, parsed()).has_work
    second = apply_import(migrated_engine, DEMO_SCOPE, parsed())
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 24)
    assert (second.indicators_inserted, second.regions_inserted, second.indicators_completed) == (0, 0, 0)
    assert counts(migrated_engine) == {"Region": 4, "Indicator": 2, "Observation": 24}
    assert_frame_equal(stored(migrated_engine), before)  # same versions and updated_at


def test_changed_values_are_updated_with_a_new_version_and_new_ones_inserted(migrated_engine: Engine) -> None:
    apply_import(migrated_engine, DEMO_SCOPE, parsed())
    before = stored(migrated_engine)
    rows = values(range(2020, 2024))  # one more year: 8 new values
    rows[0] = rows[0] | {"value": 8.0}  # a revised figure
    rows[1] = rows[1] | {"value": None, "missing_marker": "."}  # now secret
    rows[2] = rows[2] | {"source": "Bundesagentur für Arbeit"}
    plan = plan_import(migrated_engine, DEMO_SCOPE, parsed(rows))
    assert (plan.new, plan.changed, plan.unchanged) == (8, 3, 21)
    assert not plan.new_indicators.height and not plan.new_regions.height and plan.has_work
    assert plan.changes.select("line", "value", "old_value", "missing_marker", "status").rows() == [
        (9, 8.0, 7.0, None, "changed"),
        (10, None, 1.07, ".", "changed"),
        (11, 207.0, 207.0, None, "changed"),
    ]
    assert plan.preview["status"].head(4).to_list() == ["changed", "changed", "changed", "unchanged"]
    assert (plan.period_min, plan.period_max) == (year_end(2020), year_end(2023))

    result = apply_import(migrated_engine, DEMO_SCOPE, parsed(rows))
    assert (result.inserted, result.updated, result.unchanged) == (8, 3, 21)
    after = stored(migrated_engine)
    assert after.height == 32
    old = after.join(before.select("id"), on="id", how="semi")
    changed_ids = before["id"].head(3).to_list()
    touched = old.filter(pl.col("id").is_in(changed_ids))
    assert touched["version"].to_list() == [2, 2, 2]
    assert touched.select("value", "marker", "source").rows() == [
        (8.0, None, SOURCE),
        (None, ".", SOURCE),
        (207.0, None, "Bundesagentur für Arbeit"),
    ]
    assert (touched["upd"] > before["upd"].head(3)).all()
    assert touched["created"].to_list() == before["created"].head(3).to_list()
    untouched = old.filter(~pl.col("id").is_in(changed_ids))
    assert_frame_equal(untouched, before.filter(~pl.col("id").is_in(changed_ids)))


def audit_rows(engine: Engine) -> list[tuple[Any, ...]]:
    columns = [
        col(AuditEntry.user_name),
        col(AuditEntry.role),
        col(AuditEntry.action),
        col(AuditEntry.table_name),
        col(AuditEntry.record_id),
        col(AuditEntry.alliance_id),
        col(AuditEntry.old_values),
        col(AuditEntry.new_values),
    ]
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(*columns).order_by(col(AuditEntry.id)))]


def test_every_inserted_or_changed_value_gets_one_audit_entry_and_a_failed_import_none(
    migrated_engine: Engine,
) -> None:
    apply_import(migrated_engine, SPEAKER, parsed())
    first = audit_rows(migrated_engine)
    assert len(first) == 24
    assert first[0] == (
        "sprecherin",
        "speaker",
        "import",
        "observation",
        f"{INDICATORS[0][0]}/DG/2020-12-31",
        None,
        None,
        {"value": 7.0, "missing_marker": None},
    )
    apply_import(migrated_engine, SPEAKER, parsed())  # unchanged: no new entries
    assert len(audit_rows(migrated_engine)) == 24

    rows = values(range(2020, 2024))  # 8 new values
    rows[1] = rows[1] | {"value": None, "missing_marker": "."}
    rows[2] = rows[2] | {"dimensions": "sex=w", "value": 5.0}  # a new breakdown value
    with pytest.raises(Boom):
        apply_import(migrated_engine, SPEAKER, parsed(rows), progress=fail_when(lambda f: f == 1), chunk_rows=5)
    assert len(audit_rows(migrated_engine)) == 24  # rolled back with the values

    apply_import(migrated_engine, SPEAKER, parsed(rows))
    added = audit_rows(migrated_engine)[24:]
    assert len(added) == 8 + 1 + 1
    secret = [row for row in added if row[4] == f"{INDICATORS[1][0]}/DG/2020-12-31"]
    assert [(row[6], row[7]) for row in secret] == [
        ({"value": 1.07, "missing_marker": None}, {"value": None, "missing_marker": "."})
    ]
    assert f"{INDICATORS[0][0]}/03/2020-12-31/sex=w" in {row[4] for row in added}


def test_existing_regions_and_indicators_are_kept_but_an_empty_unit_is_filled(migrated_engine: Engine) -> None:
    with migrated_engine.begin() as connection:
        connection.execute(
            insert(Region),
            [{"ags": "03153", "name": "Landkreis Goslar", "level": "kreis", "population": 136_000, "latitude": 51.9}],
        )
        connection.execute(
            insert(Indicator),
            [
                {"code": INDICATORS[0][0], "name": "Arbeitslose (eigene Bezeichnung)", "unit": "", "direction": "up"},
                {"code": INDICATORS[1][0], "name": "Quote", "unit": "%", "direction": "up"},
            ],
        )
    plan = plan_import(migrated_engine, DEMO_SCOPE, parsed())
    assert plan.indicators.select("code", "name", "unit", "is_new", "fills_unit").rows() == [
        (INDICATORS[0][0], "Arbeitslose (eigene Bezeichnung)", "Anzahl", False, True),
        (INDICATORS[1][0], "Quote", "%", False, False),
    ]
    assert plan.units_to_fill == 1 and plan.new_indicators.is_empty()
    assert plan.new_regions["ags"].to_list() == ["DG", "03", "03159"]
    result = apply_import(migrated_engine, DEMO_SCOPE, parsed())
    assert (result.indicators_inserted, result.indicators_completed, result.regions_inserted) == (0, 1, 3)
    with migrated_engine.connect() as connection:
        goslar = connection.execute(select(Region).where(col(Region.ags) == "03153")).one()
        kept = connection.execute(
            select(
                col(Indicator.code),
                col(Indicator.name),
                col(Indicator.unit),
                col(Indicator.direction),
                col(Indicator.version),
            ).order_by(col(Indicator.code))
        ).all()
    assert (goslar.name, goslar.population, goslar.latitude, goslar.version) == ("Landkreis Goslar", 136_000, 51.9, 1)
    assert [tuple(row) for row in kept] == [
        (INDICATORS[0][0], "Arbeitslose (eigene Bezeichnung)", "Anzahl", "up", 2),
        (INDICATORS[1][0], "Quote", "%", "up", 1),
    ]
    again = apply_import(migrated_engine, DEMO_SCOPE, parsed())
    assert (again.indicators_completed, again.inserted, again.updated) == (0, 0, 0)
    assert not plan_import(migrated_engine, DEMO_SCOPE, parsed()).has_work
    # A unit emptied later is the only thing left to do: the import is not "nothing to do".
    with migrated_engine.begin() as connection:
        connection.execute(update(Indicator).where(col(Indicator.code) == INDICATORS[1][0]).values(unit=""))
    only_unit = plan_import(migrated_engine, DEMO_SCOPE, parsed())
    assert (only_unit.new, only_unit.changed, only_unit.units_to_fill, only_unit.has_work) == (0, 0, 1, True)


def test_dimensions_keep_breakdowns_apart(migrated_engine: Engine) -> None:
    base = values(range(2022, 2023))[:2]
    women = [row | {"dimensions": "geschlecht=w", "value": 3.0, "line": row["line"] + 100} for row in base]
    result = apply_import(migrated_engine, DEMO_SCOPE, parsed(base + women))
    assert (result.inserted, result.updated) == (4, 0)
    again = plan_import(migrated_engine, DEMO_SCOPE, parsed(base + women))
    assert (again.new, again.changed, again.unchanged) == (0, 0, 4)


def test_progress_is_reported_between_chunks_and_ends_at_one(migrated_engine: Engine) -> None:
    calls: list[tuple[float, str]] = []
    apply_import(migrated_engine, DEMO_SCOPE, parsed(), progress=lambda f, m: calls.append((f, m)), chunk_rows=10)
    fractions = [fraction for fraction, _ in calls]
    assert fractions == [0.0, 10 / 24, 20 / 24, 1.0, 1.0]
    assert calls[1][1] == "Werte geschrieben: 10 von 24"
    assert calls[-1][1] == "Import abgeschlossen."


# --- all or nothing ----------------------------------------------------------------------------------------


class Boom(Exception):
    pass


def fail_when(condition: Callable[[float], bool]) -> Callable[[float, str], None]:
    def progress(fraction: float, _message: str) -> None:
        if condition(fraction):
            raise Boom

    return progress


@pytest.mark.parametrize(
    "condition",
    [
        pytest.param(lambda fraction: 0 < fraction < 1, id="after-first-chunk"),
        pytest.param(lambda fraction: fraction == 1, id="after-last-chunk"),
    ],
)
def test_a_failure_halfway_writes_nothing(migrated_engine: Engine, condition: Callable[[float], bool]) -> None:
    apply_import(migrated_engine, DEMO_SCOPE, parsed(values(range(2020, 2021))))
    before, rows_before = counts(migrated_engine), stored(migrated_engine)
    # New values, changed values, a new region and a new indicator: every kind of write is rolled back.
    rows = [row | {"value": -1.0} for row in values(range(2020, 2023))]
    rows.append(rows[0] | {"indicator_code": "neu", "region_ags": "03155", "line": 999})
    batch = parsed(
        rows,
        indicators=[*INDICATORS, ("neu", "Neuer Indikator", "Anzahl", "up")],
        regions=[*REGIONS, ("03155", "Northeim", "kreis", "Landkreis", "Niedersachsen")],
    )
    with pytest.raises(Boom):
        apply_import(migrated_engine, DEMO_SCOPE, batch, progress=fail_when(condition), chunk_rows=5)
    assert counts(migrated_engine) == before
    assert_frame_equal(stored(migrated_engine), rows_before)


def test_a_constraint_violation_in_the_last_chunk_writes_nothing(
    migrated_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_import(migrated_engine, DEMO_SCOPE, parsed(values(range(2020, 2021))))
    before, rows_before = counts(migrated_engine), stored(migrated_engine)
    real_insert = observation_import._insert_values
    chunks: list[pl.DataFrame] = []

    def insert_with_a_clash(connection: Connection, rows: pl.DataFrame, now: datetime) -> None:
        # The last chunk also carries a copy of a key the first chunk wrote: the database's unique index rejects it.
        chunks.append(rows)
        if len(chunks) == 3:
            rows = pl.concat([rows, chunks[0].head(1)])
        real_insert(connection, rows, now)

    monkeypatch.setattr(observation_import, "_insert_values", insert_with_a_clash)
    batch = parsed(values(range(2020, 2023)))
    assert plan_import(migrated_engine, DEMO_SCOPE, batch).new == 16
    with pytest.raises(IntegrityError):
        apply_import(migrated_engine, DEMO_SCOPE, batch, chunk_rows=6)
    assert [chunk.height for chunk in chunks] == [6, 6, 4]
    assert counts(migrated_engine) == before
    assert_frame_equal(stored(migrated_engine), rows_before)


# --- permissions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MEMBER, Role.LIAISON])
def test_only_admins_and_speakers_may_import(migrated_engine: Engine, role: Role) -> None:
    scope = Scope.for_alliances("jemand", role, [1])
    assert not can_import(scope)
    with pytest.raises(PermissionDenied):
        plan_import(migrated_engine, scope, parsed())
    with pytest.raises(PermissionDenied):
        apply_import(migrated_engine, scope, parsed())
    assert counts(migrated_engine) == {"Region": 0, "Indicator": 0, "Observation": 0}
    assert can_import(SPEAKER) and can_import(DEMO_SCOPE)
    assert apply_import(migrated_engine, SPEAKER, parsed()).inserted == 24


# --- validation --------------------------------------------------------------------------------------------


def _duplicate_key(batch: ParsedImport) -> ParsedImport:
    extra = batch.observations.filter(pl.col("line") == 12).with_columns(pl.lit(40, dtype=pl.Int64).alias("line"))
    return dataclasses.replace(batch, observations=pl.concat([batch.observations, extra]))


def _with(frame: str, **changes: Any) -> Callable[[ParsedImport], ParsedImport]:
    """Change the first row of one of the batch's frames."""

    def change(batch: ParsedImport) -> ParsedImport:
        data: pl.DataFrame = getattr(batch, frame)
        first = pl.int_range(pl.len()) == 0
        changed = data.with_columns(
            pl.when(first).then(pl.lit(value, dtype=data.schema[name])).otherwise(pl.col(name)).alias(name)
            for name, value in changes.items()
        )
        if frame == "regions":
            return dataclasses.replace(batch, regions=changed)
        if frame == "indicators":
            return dataclasses.replace(batch, indicators=changed)
        return dataclasses.replace(batch, observations=changed)

    return change


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            _duplicate_key,
            "Zeile 40: Derselbe Wert (Indikator, Region, Zeitraum und Merkmale) steht bereits in Zeile 12.",
        ),
        (_with("regions", ags="3"), "Der Regionalschlüssel 3 passt nicht zur Ebene „bund“"),
        (_with("regions", ags="031530", level="kreis"), "Der Regionalschlüssel 031530 passt nicht zur Ebene „kreis“"),
        (_with("regions", level="bezirk"), "Zeile 9: Die Region DG hat die unbekannte Ebene „bezirk“."),
        (_with("indicators", code=""), "Ein Indikator hat keinen Code."),
        (_with("observations", region_ags="03155"), "Zeile 9: Der Wert gehört zur Region 03155"),
        (_with("observations", value=float("nan")), "Zeile 9: Der Wert ist keine endliche Zahl."),
        (_with("observations", period_start=date(2021, 1, 1)), "Zeile 9: Der Zeitraum des Werts beginnt nach"),
        (_with("observations", missing_marker="......"), "Zeile 9: Das Kennzeichen des fehlenden Werts ist länger"),
    ],
)
def test_an_invalid_batch_is_rejected_with_its_line_and_writes_nothing(
    migrated_engine: Engine, mutate: Callable[[ParsedImport], ParsedImport], expected: str
) -> None:
    batch = mutate(parsed())
    for action in (plan_import, apply_import):
        with pytest.raises(FileFormatError) as raised:
            action(migrated_engine, DEMO_SCOPE, batch)
        texts = [issue.text("de") for issue in raised.value.issues]
        assert any(text.startswith(expected) for text in texts), texts
    assert counts(migrated_engine) == {"Region": 0, "Indicator": 0, "Observation": 0}


def test_issues_read_in_english_too(migrated_engine: Engine) -> None:
    with pytest.raises(FileFormatError) as raised:
        plan_import(migrated_engine, DEMO_SCOPE, _duplicate_key(parsed()))
    assert raised.value.issues[0].text("en") == (
        "Line 40: The same value (indicator, region, period and breakdown) is already in line 12."
    )


def test_a_project_value_under_the_same_key_is_not_mistaken_for_a_regional_one(migrated_engine: Engine) -> None:
    apply_import(migrated_engine, DEMO_SCOPE, parsed(values(range(2020, 2021))))
    with migrated_engine.begin() as connection:
        alliance = connection.execute(
            insert(Alliance).returning(col(Alliance.id)),
            {
                "slug": "test",
                "name": "Testbündnis",
                "short_name": "Test",
                "land": "Niedersachsen",
                "programme": "ESF+",
                "period_start": date(2020, 1, 1),
                "period_end": date(2022, 12, 31),
            },
        ).scalar_one()
        member = connection.execute(
            insert(Member).returning(col(Member.id)),
            {"alliance_id": alliance, "name": "Landkreis Goslar", "member_type": "landkreis"},
        ).scalar_one()
        project = connection.execute(
            insert(Project).returning(col(Project.id)),
            {"alliance_id": alliance, "title": "P", "lead_member_id": member, "status": "laufend", "fund": "esf"},
        ).scalar_one()
        indicator = connection.execute(
            select(col(Indicator.id)).where(col(Indicator.code) == INDICATORS[0][0])
        ).scalar()
        # Same indicator, region, period and dimensions as the file's first value, but a project's value.
        connection.execute(
            insert(Observation),
            {
                "indicator_id": indicator,
                "region_ags": "DG",
                "project_id": project,
                "period_end": year_end(2020),
                "value": 999.0,
            },
        )
    plan = plan_import(migrated_engine, DEMO_SCOPE, parsed(values(range(2020, 2021))))
    assert (plan.new, plan.changed, plan.unchanged) == (0, 0, 8)
    changed = [row | {"value": 1.0} for row in values(range(2020, 2021))]
    assert apply_import(migrated_engine, DEMO_SCOPE, parsed(changed)).updated == 8
    with migrated_engine.connect() as connection:
        kept = connection.execute(
            select(col(Observation.value), col(Observation.version)).where(col(Observation.project_id) == project)
        ).one()
    assert tuple(kept) == (999.0, 1)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("de", "Die übergebenen Daten (regions) haben nicht die erwarteten Spalten; es fehlen: ags, name."),
        ("en", "The data handed over (regions) lacks expected columns: ags, name."),
    ],
)
def test_columns_missing_message_renders_in_both_languages(language: str, text: str) -> None:
    issue = observation_import.BatchIssue("columns_missing", params={"what": "regions", "columns": "ags, name"})
    assert issue.text(language) == text
    typed = observation_import.BatchIssue("columns_type", params={"what": "regions"})
    assert "(regions)" in typed.text(language)


def test_a_parsed_file_without_region_columns_is_a_file_format_error() -> None:
    broken = dataclasses.replace(parsed(), regions=pl.DataFrame({"ags": ["03153"]}))
    with pytest.raises(FileFormatError) as error:
        observation_import.validate(broken)
    assert error.value.issues[0].key == "columns_missing"
    assert "name, level, kind, land" in error.value.issues[0].text("de")


@pytest.mark.parametrize(("ags", "accepted"), [("03241001", True), ("032410011", True), ("0324100112", False)])
def test_importer_and_write_service_share_one_region_key_shape(ags: str, accepted: bool) -> None:
    data = f"region;indicator;period;value\n{ags};a;2024;1\n".encode()
    if accepted:
        parsed_file = read_file(data, "t.csv")
        assert observation_import.validate(parsed_file).regions.get_column("level").to_list() == ["gemeinde"]
    else:
        with pytest.raises(FileFormatError) as error:
            read_file(data, "t.csv")
        assert error.value.issues[0].key == "issue.unknown_region"

"""Alembic: upgrade from empty and downgrade to base work on SQLite and PostgreSQL; models match migrations."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from dashboard.data_access import migrations

TABLES = {
    "alliance",
    "alliance_region",
    "assessment",
    "assessment_criterion",
    "assessment_score",
    "project_status_change",
    "statement",
    "budget",
    "financial_entry",
    "indicator",
    "member",
    "observation",
    "project",
    "project_partner",
    "project_region",
    "project_topic",
    "region",
    "target",
    "topic",
}


def test_upgrade_downgrade_upgrade(empty_engine: Engine) -> None:
    migrations.upgrade(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) >= TABLES
    assert migrations.current_revision(empty_engine) == migrations.head_revision()

    migrations.downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    assert migrations.current_revision(empty_engine) is None

    migrations.upgrade(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) >= TABLES


def test_models_and_migrations_agree(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_every_editable_table_has_version_and_timestamps(migrated_engine: Engine) -> None:
    # Link and append-only tables: scores are rewritten with their assessment, status changes never change.
    link_tables = {"alliance_region", "project_partner", "project_region", "project_topic", "assessment_score"}
    link_tables |= {"project_status_change"}
    inspector = inspect(migrated_engine)
    for table in TABLES - link_tables:
        columns = {c["name"]: c for c in inspector.get_columns(table)}
        for name in ("version", "created_at", "updated_at"):
            assert name in columns, f"{table}.{name}"
            assert columns[name]["nullable"] is False, f"{table}.{name} must be NOT NULL"


def test_sqlite_enforces_foreign_keys_and_uses_wal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from dashboard.data_access.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'fk.sqlite3'}")
    migrations.upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO alliance_region (alliance_id, region_ags) VALUES (999, '99999')"))
        raise AssertionError("a dangling foreign key was accepted")
    except IntegrityError:
        pass
    engine.dispose()


def test_every_vocabulary_code_passes_the_check_constraints(migrated_engine: Engine) -> None:
    """The CHECK constraints in the migration list the same codes as the enums (autogenerate cannot see them)."""
    from datetime import date
    from decimal import Decimal

    from sqlalchemy import insert

    from dashboard.data_access.models import Alliance, Budget, Member, Project
    from dashboard.data_access.vocabulary import Fund, MemberType, ProjectStatus

    with migrated_engine.begin() as connection:
        alliance_id = connection.execute(
            insert(Alliance).returning(Alliance.id),
            {
                "slug": "codes",
                "name": "Codes",
                "short_name": "C",
                "land": "X",
                "programme": "P",
                "period_start": date(2024, 1, 1),
                "period_end": date(2024, 12, 31),
                "description": "",
                "source": "",
                "is_example": True,
            },
        ).scalar_one()
        member_ids = [
            connection.execute(
                insert(Member).returning(Member.id),
                {"alliance_id": alliance_id, "name": f"M {code}", "member_type": code.value, "source": ""},
            ).scalar_one()
            for code in MemberType
        ]
        for i, status in enumerate(ProjectStatus):
            for fund in Fund:
                connection.execute(
                    insert(Project),
                    {
                        "alliance_id": alliance_id,
                        "title": f"{status}-{fund}-{i}",
                        "description": "",
                        "lead_member_id": member_ids[0],
                        "status": status.value,
                        "fund": fund.value,
                        "total_cost": Decimal("1.00"),
                        "source": "",
                        "is_example": True,
                    },
                )
        for fund in Fund:
            connection.execute(
                insert(Budget),
                {
                    "alliance_id": alliance_id,
                    "fund": fund.value,
                    "year": 2024,
                    "planned_amount": Decimal("1.00"),
                    "source": "",
                },
            )


def test_0003_converts_the_single_statement_assessments_and_back(empty_engine: Engine) -> None:
    """Old rows (scores JSON, total, recommendation, text) become an assessment with its scores and a finalised
    statement; every project gets its first status-change row; downgrading turns final statements back."""
    from datetime import UTC, date, datetime

    from sqlalchemy import text

    migrations.upgrade(empty_engine, "0002")
    now = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO alliance (id, slug, name, short_name, land, programme, period_start, period_end, "
                "description, source, is_example, version, created_at, updated_at) VALUES (1, 'a', 'Bündnis A', "
                "'A', 'X', 'ESF+', :start, :end, '', '', true, 1, :now, :now)"
            ),
            {"start": date(2024, 1, 1), "end": date(2026, 12, 31), "now": now},
        )
        connection.execute(
            text(
                "INSERT INTO member (id, alliance_id, name, member_type, source, version, created_at, updated_at) "
                "VALUES (1, 1, 'Stadt A', 'kreisfreie_stadt', '', 1, :now, :now), "
                "(2, 1, 'IHK A', 'ihk', '', 1, :now, :now)"
            ),
            {"now": now},
        )
        for project_id, status in ((1, "abgeschlossen"), (2, "beantragt")):
            connection.execute(
                text(
                    "INSERT INTO project (id, alliance_id, title, description, lead_member_id, status, total_cost, "
                    "requested_grant, fund, source, is_example, version, created_at, updated_at) VALUES (:id, 1, "
                    ":title, '', 1, :status, 1000.00, 800.00, 'esf', '', true, 1, :now, :now)"
                ),
                {"id": project_id, "title": f"Projekt {project_id}", "status": status, "now": now},
            )
        connection.execute(
            text(
                "INSERT INTO assessment (id, project_id, assessed_on, scores, total_score, recommendation, statement, "
                "version, created_at, updated_at) VALUES (7, 1, :on, :scores, 3.83, 'befuerwortet', 'Gut.', 1, :now, "
                ":now)"
            ),
            {
                "on": date(2024, 3, 1),
                "scores": '{"regionaler_bedarf": 4, "nachhaltigkeit": 3, "eigenes_kriterium": 7}',
                "now": now,
            },
        )
    migrations.upgrade(empty_engine)
    with empty_engine.connect() as connection:
        criteria = dict(
            connection.execute(text("SELECT code, weight FROM assessment_criterion WHERE alliance_id = 1")).all()
        )
        assessment = connection.execute(
            text("SELECT id, assessor_member_id, assessor_name, assessed_on FROM assessment")
        ).one()
        scores = dict(
            connection.execute(
                text(
                    "SELECT c.code, s.score FROM assessment_score s JOIN assessment_criterion c "
                    "ON c.id = s.criterion_id WHERE s.assessment_id = 7"
                )
            ).all()
        )
        statement = connection.execute(
            text("SELECT number, text, recommendation, weighted_total, finalised_at, facts FROM statement")
        ).one()
        moves = connection.execute(
            text("SELECT project_id, from_status, to_status FROM project_status_change ORDER BY project_id")
        ).all()
    assert criteria == {
        "regionaler_bedarf": 3,
        "beitrag_fachkraeftestrategie": 3,
        "nachhaltigkeit": 2,
        "umsetzbarkeit": 2,
        "wirtschaftlichkeit": 1,
        "querschnittsziele": 1,
        "eigenes_kriterium": 1,  # an unknown old code keeps its scores
    }
    assert (assessment[0], assessment[1], assessment[2]) == (7, None, "Übernommene Bewertung")
    assert str(assessment[3])[:10] == "2024-03-01"
    assert scores == {"regionaler_bedarf": 4, "nachhaltigkeit": 3, "eigenes_kriterium": 5}  # kept within 0–5
    number, body, recommendation, total, finalised_at, facts = statement
    assert (number, body, recommendation, total) == (1, "Gut.", "befuerwortet", 3.83)
    assert str(finalised_at)[:10] == "2024-03-01"
    facts = facts if isinstance(facts, dict) else __import__("json").loads(facts)
    assert facts["weighted_total"] == 3.83 and facts["application"]["title"] == "Projekt 1"
    assert facts["assessments"][0]["scores"]["regionaler_bedarf"] == 4
    assert [tuple(move) for move in moves] == [(1, None, "abgeschlossen"), (2, None, "beantragt")]
    # New rows get fresh ids after the explicitly inserted ones (PostgreSQL sequences moved on).
    with empty_engine.begin() as connection:
        new_id = connection.execute(
            text(
                "INSERT INTO assessment (project_id, assessor_member_id, assessor_name, assessed_on, comment, "
                "version, created_at, updated_at) VALUES (2, 2, 'x', :on, '', 1, :now, :now) RETURNING id"
            ),
            {"on": date(2024, 6, 1), "now": now},
        ).scalar_one()
    assert new_id > 7

    migrations.downgrade(empty_engine, "0002")
    with empty_engine.connect() as connection:
        old = connection.execute(
            text("SELECT project_id, assessed_on, total_score, recommendation, statement, scores FROM assessment")
        ).all()
        tables = set(inspect(empty_engine).get_table_names())
    assert len(old) == 1
    project_id, assessed_on, total_score, recommendation, body, old_scores = old[0]
    old_scores = old_scores if isinstance(old_scores, dict) else __import__("json").loads(old_scores)
    assert (project_id, str(assessed_on)[:10], total_score, recommendation, body) == (
        1,
        "2024-03-01",
        3.83,
        "befuerwortet",
        "Gut.",
    )
    assert old_scores == {"regionaler_bedarf": 4, "nachhaltigkeit": 3, "eigenes_kriterium": 5}
    assert not tables & {"statement", "assessment_score", "assessment_criterion", "project_status_change"}
    migrations.upgrade(empty_engine)
    assert migrations.current_revision(empty_engine) == migrations.head_revision()

"""applications: criteria catalogue, independent assessments, versioned statements, status history

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 16:17:58.465172

The single-statement ``assessment`` of before (scores JSON, total_score, recommendation, statement) becomes one
assessor's scoring (``assessment`` + ``assessment_score``) plus a finalised ``statement``:

* every alliance gets the default criteria catalogue (and a criterion for any other code found in old scores);
* every old row becomes an assessment without an assessor organisation ("Übernommene Bewertung") with its
  scores (rounded and kept within 0–5), and a finalised statement numbered 1, 2, … per project in date order
  (text, recommendation, weighted_total = total_score, finalised_at = assessed_on, a facts snapshot of what the
  database knows; the regional need is left empty: it was not recorded then);
* every project gets one status-change row: from nothing to its current status at its created_at.

Downgrade turns every finalised statement back into an old row (scores = the criterion means of its snapshot,
rounded; total, recommendation and text of the statement); drafts, individual assessments, criteria and the
status history are dropped (they have no place in the old model).
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MIGRATED = "Übernommene Bewertung"
MIGRATED_BY = "Migration 0003"
RECOMMENDATIONS = "'befuerwortet', 'befuerwortet_mit_auflagen', 'nicht_befuerwortet'"
STATUSES = (
    "'idee', 'beantragt', 'bewertet', 'bewilligt', 'laufend', 'abgeschlossen', 'abgelehnt', 'zurueckgezogen', "
    "'abgebrochen'"
)

# The default catalogue as of this revision (seeds/loader.py keeps the living copy).
DEFAULT_CRITERIA: list[dict[str, Any]] = [
    {
        "code": "regionaler_bedarf",
        "name": "Regionaler Bedarf",
        "weight": 3,
        "description": "Wie gut belegt der Antrag einen Fachkräftebedarf in den Kreisen des Vorhabens?",
        "anchors": [
            "Kein regionaler Bedarf erkennbar",
            "Bedarf nur behauptet, nicht belegt",
            "Bedarf allgemein beschrieben, kaum regionale Belege",
            "Bedarf mit regionalen Kennzahlen plausibel belegt",
            "Bedarf gut belegt und auf Zielgruppen und Branchen heruntergebrochen",
            "Dringender, klar belegter Bedarf, den kein anderes Angebot deckt",
        ],
    },
    {
        "code": "beitrag_fachkraeftestrategie",
        "name": "Beitrag zur Fachkräftestrategie",
        "weight": 3,
        "description": "Trägt das Vorhaben zu den Handlungsfeldern und Zielen der regionalen Fachkräftestrategie bei?",
        "anchors": [
            "Kein Bezug zur Fachkräftestrategie",
            "Bezug nur am Rande",
            "Bezug zu einem Handlungsfeld, Beitrag zu den Zielen unklar",
            "Klarer Beitrag zu einem Handlungsfeld mit messbaren Zielen",
            "Deutlicher Beitrag zu mehreren Zielen der Strategie",
            "Schlüsselvorhaben der Strategie mit messbaren Beiträgen zu den Bündniszielen",
        ],
    },
    {
        "code": "nachhaltigkeit",
        "name": "Nachhaltigkeit / Verstetigung",
        "weight": 2,
        "description": "Wirken die Ergebnisse über die Förderung hinaus (Verstetigung, Übertragbarkeit)?",
        "anchors": [
            "Keine Wirkung über die Förderdauer hinaus",
            "Verstetigung nicht bedacht",
            "Verstetigung angedacht, aber ungesichert",
            "Plausibles Konzept zur Verstetigung",
            "Verstetigung mit Partnern vereinbart",
            "Verstetigung und Anschlussfinanzierung gesichert, Ergebnisse übertragbar",
        ],
    },
    {
        "code": "umsetzbarkeit",
        "name": "Umsetzbarkeit und Träger",
        "weight": 2,
        "description": "Sind Arbeitsplan, Zeitplan, Personal und Erfahrung des Trägers angemessen?",
        "anchors": [
            "Nicht umsetzbar",
            "Erhebliche Zweifel an Planung oder Träger",
            "Umsetzbar, aber mit deutlichen Risiken",
            "Solide Planung, Träger mit einschlägiger Erfahrung",
            "Überzeugender Arbeits- und Zeitplan, erfahrener Träger, starke Partner",
            "Hervorragend geplant, Träger mit nachgewiesenem Erfolg in vergleichbaren Vorhaben",
        ],
    },
    {
        "code": "wirtschaftlichkeit",
        "name": "Wirtschaftlichkeit",
        "weight": 1,
        "description": "Stehen Kosten und erwartete Ergebnisse in einem angemessenen Verhältnis?",
        "anchors": [
            "Kosten nicht nachvollziehbar",
            "Kosten deutlich überhöht",
            "Kosten hoch im Verhältnis zu den Ergebnissen",
            "Angemessenes Verhältnis von Kosten und Ergebnissen",
            "Günstiges Verhältnis, Kosten gut begründet",
            "Sehr wirtschaftlich, Kofinanzierung gesichert",
        ],
    },
    {
        "code": "querschnittsziele",
        "name": "Querschnittsziele Gleichstellung und Nichtdiskriminierung",
        "weight": 1,
        "description": "Berücksichtigt das Vorhaben Gleichstellung, Chancengleichheit und Nichtdiskriminierung?",
        "anchors": [
            "Querschnittsziele nicht berücksichtigt",
            "Nur allgemein erwähnt",
            "Einzelne Maßnahmen ohne Konzept",
            "Konzept mit konkreten Maßnahmen",
            "Konkrete Maßnahmen mit messbaren Zielen",
            "Querschnittsziele durchgängig verankert und messbar",
        ],
    },
]

alliance_t = sa.table(
    "alliance", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("short_name", sa.String),
    sa.column("programme", sa.String),
)
project_t = sa.table(
    "project", sa.column("id", sa.Integer), sa.column("alliance_id", sa.Integer), sa.column("title", sa.String),
    sa.column("description", sa.String), sa.column("lead_member_id", sa.Integer), sa.column("status", sa.String),
    sa.column("start_date", sa.Date), sa.column("end_date", sa.Date), sa.column("total_cost", sa.Numeric(14, 2)),
    sa.column("requested_grant", sa.Numeric(14, 2)), sa.column("fund", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
member_t = sa.table("member", sa.column("id", sa.Integer), sa.column("name", sa.String))
partner_t = sa.table("project_partner", sa.column("project_id", sa.Integer), sa.column("member_id", sa.Integer))
topic_t = sa.table("topic", sa.column("id", sa.Integer), sa.column("name", sa.String))
project_topic_t = sa.table("project_topic", sa.column("project_id", sa.Integer), sa.column("topic_id", sa.Integer))
region_t = sa.table("region", sa.column("ags", sa.String), sa.column("name", sa.String))
project_region_t = sa.table(
    "project_region", sa.column("project_id", sa.Integer), sa.column("region_ags", sa.String)
)
old_assessment_t = sa.table(
    "assessment", sa.column("id", sa.Integer), sa.column("project_id", sa.Integer),
    sa.column("assessed_on", sa.Date), sa.column("scores", sa.JSON), sa.column("total_score", sa.Float),
    sa.column("recommendation", sa.String), sa.column("statement", sa.String), sa.column("version", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)), sa.column("updated_at", sa.DateTime(timezone=True)),
)
new_assessment_t = sa.table(
    "assessment", sa.column("id", sa.Integer), sa.column("project_id", sa.Integer),
    sa.column("assessor_member_id", sa.Integer), sa.column("assessor_name", sa.String),
    sa.column("assessed_on", sa.Date), sa.column("comment", sa.String), sa.column("version", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)), sa.column("updated_at", sa.DateTime(timezone=True)),
)
criterion_t = sa.table(
    "assessment_criterion", sa.column("id", sa.Integer), sa.column("alliance_id", sa.Integer),
    sa.column("code", sa.String), sa.column("name", sa.String), sa.column("description", sa.String),
    sa.column("weight", sa.Integer), sa.column("required", sa.Boolean), sa.column("position", sa.Integer),
    sa.column("anchors", sa.JSON), sa.column("version", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)), sa.column("updated_at", sa.DateTime(timezone=True)),
)
score_t = sa.table(
    "assessment_score", sa.column("assessment_id", sa.Integer), sa.column("criterion_id", sa.Integer),
    sa.column("score", sa.Integer),
)
statement_t = sa.table(
    "statement", sa.column("id", sa.Integer), sa.column("project_id", sa.Integer), sa.column("number", sa.Integer),
    sa.column("text", sa.String), sa.column("recommendation", sa.String), sa.column("weighted_total", sa.Float),
    sa.column("facts", sa.JSON), sa.column("finalised_at", sa.DateTime(timezone=True)),
    sa.column("finalised_by", sa.String), sa.column("version", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)), sa.column("updated_at", sa.DateTime(timezone=True)),
)
status_change_t = sa.table(
    "project_status_change", sa.column("project_id", sa.Integer), sa.column("from_status", sa.String),
    sa.column("to_status", sa.String), sa.column("changed_at", sa.DateTime(timezone=True)),
    sa.column("user_name", sa.String),
)


def _tracked_columns() -> list[sa.Column]:
    return [
        sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    ]


def _create_new_assessment() -> None:
    op.create_table('assessment',
    *_tracked_columns(),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('assessor_member_id', sa.Integer(), nullable=True),
    sa.Column('assessor_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['assessor_member_id'], ['member.id'], name=op.f('fk_assessment_assessor_member_id_member'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_assessment_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment')),
    sa.UniqueConstraint('project_id', 'assessor_member_id', name=op.f('uq_assessment_project_id_assessor_member_id'))
    )
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_assessor_member_id'), ['assessor_member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_project_id'), ['project_id'], unique=False)


def _create_old_assessment() -> None:
    op.create_table('assessment',
    *_tracked_columns(),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('total_score', sa.Float(), nullable=False),
    sa.Column('recommendation', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('statement', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.CheckConstraint(f"recommendation IN ({RECOMMENDATIONS})", name=op.f('ck_assessment_recommendation')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_assessment_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment'))
    )
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_project_id'), ['project_id'], unique=False)


def _drop_assessment() -> None:
    bind = op.get_bind()
    indexes = {index["name"] for index in sa.inspect(bind).get_indexes("assessment")}
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        for name in ('ix_assessment_assessor_member_id', 'ix_assessment_project_id'):
            if name in indexes:
                batch_op.drop_index(name)
    op.drop_table('assessment')


def _reset_sequence(table: str) -> None:
    """PostgreSQL: ids were inserted explicitly, so move the table's id sequence past them."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (fixed identifiers)
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        )


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def _plain_money(value: Any) -> str | None:
    return None if value is None else format(Decimal(str(value)).quantize(Decimal("0.01")), "f")


def _project_facts(bind: sa.Connection, project_ids: list[int]) -> dict[int, dict[str, Any]]:
    """What the snapshot of a migrated statement knows about its project and alliance."""
    if not project_ids:
        return {}
    rows = bind.execute(
        sa.select(project_t, member_t.c.name.label("lead"), alliance_t.c.name.label("alliance_name"),
                  alliance_t.c.short_name, alliance_t.c.programme)
        .join(member_t, member_t.c.id == project_t.c.lead_member_id)
        .join(alliance_t, alliance_t.c.id == project_t.c.alliance_id)
        .where(project_t.c.id.in_(project_ids))
    ).mappings().all()
    partners: dict[int, list[str]] = {}
    for project_id, name in bind.execute(
        sa.select(partner_t.c.project_id, member_t.c.name).join(member_t, member_t.c.id == partner_t.c.member_id)
        .where(partner_t.c.project_id.in_(project_ids)).order_by(member_t.c.name)
    ):
        partners.setdefault(project_id, []).append(name)
    topics: dict[int, list[str]] = {}
    for project_id, name in bind.execute(
        sa.select(project_topic_t.c.project_id, topic_t.c.name)
        .join(topic_t, topic_t.c.id == project_topic_t.c.topic_id)
        .where(project_topic_t.c.project_id.in_(project_ids)).order_by(topic_t.c.name)
    ):
        topics.setdefault(project_id, []).append(name)
    regions: dict[int, list[dict[str, str]]] = {}
    for project_id, ags, name in bind.execute(
        sa.select(project_region_t.c.project_id, region_t.c.ags, region_t.c.name)
        .join(region_t, region_t.c.ags == project_region_t.c.region_ags)
        .where(project_region_t.c.project_id.in_(project_ids)).order_by(region_t.c.ags)
    ):
        regions.setdefault(project_id, []).append({"ags": ags, "name": name})
    return {
        row["id"]: {
            "alliance_id": row["alliance_id"],
            "alliance": {"name": row["alliance_name"], "short_name": row["short_name"], "programme": row["programme"]},
            "application": {
                "id": row["id"],
                "title": row["title"],
                "description": row["description"] or "",
                "lead": row["lead"],
                "partners": partners.get(row["id"], []),
                "topics": topics.get(row["id"], []),
                "regions": regions.get(row["id"], []),
                "start_date": row["start_date"].isoformat() if row["start_date"] else None,
                "end_date": row["end_date"].isoformat() if row["end_date"] else None,
                "total_cost": _plain_money(row["total_cost"]),
                "requested_grant": _plain_money(row["requested_grant"]),
                "fund": row["fund"],
                "submitted_on": None,
            },
        }
        for row in rows
    }


def _catalogue(bind: sa.Connection, now: datetime, extra_codes: set[str]) -> dict[int, dict[str, tuple[int, int, str]]]:
    """Insert the default catalogue (and criteria for unknown old codes) per alliance: code → (id, weight, name)."""
    alliance_ids = [row[0] for row in bind.execute(sa.select(alliance_t.c.id).order_by(alliance_t.c.id))]
    known = {c["code"] for c in DEFAULT_CRITERIA}
    extras = [
        {"code": code[:60], "name": code.replace("_", " ").capitalize()[:200], "weight": 1, "description": "",
         "anchors": [], "required": False}
        for code in sorted(extra_codes - known)
    ]
    result: dict[int, dict[str, tuple[int, int, str]]] = {}
    for alliance_id in alliance_ids:
        result[alliance_id] = {}
        for position, criterion in enumerate([*DEFAULT_CRITERIA, *extras]):
            criterion_id = bind.execute(
                sa.insert(criterion_t).returning(criterion_t.c.id),
                {
                    "alliance_id": alliance_id,
                    "code": criterion["code"],
                    "name": criterion["name"],
                    "description": criterion["description"],
                    "weight": criterion["weight"],
                    "required": criterion.get("required", True),
                    "position": position,
                    "anchors": {str(point): text for point, text in enumerate(criterion["anchors"])},
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                },
            ).scalar_one()
            result[alliance_id][criterion["code"]] = (criterion_id, criterion["weight"], criterion["name"])
    return result


def _score(value: Any) -> int:
    return max(0, min(5, int(round(float(value)))))


def upgrade() -> None:
    bind = op.get_bind()
    old_rows = [dict(row) for row in bind.execute(sa.select(old_assessment_t).order_by(
        old_assessment_t.c.project_id, old_assessment_t.c.assessed_on, old_assessment_t.c.id)).mappings()]

    op.create_table('assessment_criterion',
    *_tracked_columns(),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alliance_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('anchors', sa.JSON(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('weight > 0 AND weight <= 100', name=op.f('ck_assessment_criterion_weight')),
    sa.ForeignKeyConstraint(['alliance_id'], ['alliance.id'], name=op.f('fk_assessment_criterion_alliance_id_alliance'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_criterion')),
    sa.UniqueConstraint('alliance_id', 'code', name=op.f('uq_assessment_criterion_alliance_id_code'))
    )
    with op.batch_alter_table('assessment_criterion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_criterion_alliance_id'), ['alliance_id'], unique=False)

    op.create_table('project_status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('to_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.CheckConstraint(f"to_status IN ({STATUSES})", name=op.f('ck_project_status_change_to_status')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_status_change_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_status_change'))
    )
    with op.batch_alter_table('project_status_change', schema=None) as batch_op:
        batch_op.create_index('ix_project_status_change_project_at', ['project_id', 'changed_at'], unique=False)

    op.create_table('statement',
    *_tracked_columns(),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recommendation', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('weighted_total', sa.Float(), nullable=True),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('finalised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finalised_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.CheckConstraint(f"recommendation IS NULL OR recommendation IN ({RECOMMENDATIONS})", name=op.f('ck_statement_recommendation')),
    sa.CheckConstraint('finalised_at IS NULL OR recommendation IS NOT NULL', name=op.f('ck_statement_final_has_recommendation')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_statement_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement')),
    sa.UniqueConstraint('project_id', 'number', name=op.f('uq_statement_project_id_number'))
    )
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_project_id'), ['project_id'], unique=False)

    _drop_assessment()
    _create_new_assessment()

    op.create_table('assessment_score',
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.CheckConstraint('score BETWEEN 0 AND 5', name=op.f('ck_assessment_score_score')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_assessment_score_assessment_id_assessment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['criterion_id'], ['assessment_criterion.id'], name=op.f('fk_assessment_score_criterion_id_assessment_criterion'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('assessment_id', 'criterion_id', name=op.f('pk_assessment_score'))
    )
    with op.batch_alter_table('assessment_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_score_criterion_id'), ['criterion_id'], unique=False)

    _convert_up(bind, old_rows)


def _convert_up(bind: sa.Connection, old_rows: list[dict[str, Any]]) -> None:
    now = datetime.now(UTC)
    codes = {str(code) for row in old_rows for code in (row["scores"] or {})}
    catalogue = _catalogue(bind, now, codes)
    projects = _project_facts(bind, sorted({row["project_id"] for row in old_rows}))
    assessments, scores, statements = [], [], []
    numbers: dict[int, int] = {}
    for row in old_rows:
        project = projects[row["project_id"]]
        criteria = catalogue[project["alliance_id"]]
        marks = {str(code): _score(value) for code, value in (row["scores"] or {}).items() if value is not None}
        assessments.append({
            "id": row["id"], "project_id": row["project_id"], "assessor_member_id": None, "assessor_name": MIGRATED,
            "assessed_on": row["assessed_on"], "comment": "", "version": row["version"] or 1,
            "created_at": row["created_at"], "updated_at": row["updated_at"],
        })
        scores += [
            {"assessment_id": row["id"], "criterion_id": criteria[code[:60]][0], "score": score}
            for code, score in marks.items()
        ]
        numbers[row["project_id"]] = numbers.get(row["project_id"], 0) + 1
        total = None if row["total_score"] is None else float(row["total_score"])
        facts = {
            "as_of": row["assessed_on"].isoformat(),
            "alliance": project["alliance"],
            "application": project["application"],
            "need": [],
            "criteria": [
                {"code": code, "name": name, "weight": weight, "required": code in {c["code"] for c in DEFAULT_CRITERIA}}
                for code, (_, weight, name) in criteria.items() if code in marks
            ],
            "assessments": [{
                "assessor": MIGRATED, "assessed_on": row["assessed_on"].isoformat(), "comment": "",
                "scores": marks, "weighted_total": total,
            }],
            "criterion_means": {code: float(score) for code, score in marks.items()},
            "spread": {code: 0 for code in marks},
            "flagged": [],
            "weighted_total": total,
        }
        statements.append({
            "project_id": row["project_id"], "number": numbers[row["project_id"]], "text": row["statement"] or "",
            "recommendation": row["recommendation"], "weighted_total": total, "facts": facts,
            "finalised_at": _noon(row["assessed_on"]), "finalised_by": MIGRATED_BY, "version": 1,
            "created_at": row["created_at"], "updated_at": row["updated_at"],
        })
    if assessments:
        bind.execute(sa.insert(new_assessment_t), assessments)
        _reset_sequence("assessment")
    if scores:
        bind.execute(sa.insert(score_t), scores)
    if statements:
        bind.execute(sa.insert(statement_t), statements)
    bind.execute(
        sa.insert(status_change_t).from_select(
            ["project_id", "from_status", "to_status", "changed_at", "user_name"],
            sa.select(
                project_t.c.id, sa.null(), project_t.c.status, project_t.c.created_at, sa.literal(MIGRATED_BY)
            ),
        )
    )


def _convert_down(bind: sa.Connection) -> list[dict[str, Any]]:
    """One old row per finalised statement (module docstring)."""
    rows = bind.execute(
        sa.select(statement_t).where(statement_t.c.finalised_at.is_not(None))
        .order_by(statement_t.c.project_id, statement_t.c.number)
    ).mappings().all()
    old = []
    for row in rows:
        facts = row["facts"] or {}
        means = facts.get("criterion_means") or {}
        finalised = row["finalised_at"]
        old.append({
            "project_id": row["project_id"],
            "assessed_on": _as_day(facts.get("as_of")) or finalised.date(),
            "scores": {code: _score(mean) for code, mean in means.items()},
            "total_score": float(row["weighted_total"] or 0.0),
            "recommendation": row["recommendation"],
            "statement": row["text"] or "",
            "version": 1,
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        })
    return old


def _as_day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def downgrade() -> None:
    bind = op.get_bind()
    old_rows = _convert_down(bind)

    with op.batch_alter_table('assessment_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_score_criterion_id'))
    op.drop_table('assessment_score')
    _drop_assessment()
    _create_old_assessment()
    if old_rows:
        bind.execute(sa.insert(old_assessment_t), old_rows)

    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_project_id'))
    op.drop_table('statement')
    with op.batch_alter_table('project_status_change', schema=None) as batch_op:
        batch_op.drop_index('ix_project_status_change_project_at')
    op.drop_table('project_status_change')
    with op.batch_alter_table('assessment_criterion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_criterion_alliance_id'))
    op.drop_table('assessment_criterion')

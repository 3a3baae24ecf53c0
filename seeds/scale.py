"""Generate a deterministic large example instance (alliances, projects, money, observations) for scale tests.

Design notes:

* Determinism: one ``numpy.random.default_rng(spec.seed)`` is split with ``spawn`` into one stream per step,
  so the rows of one table do not shift when another step changes. Every timestamp is the fixed ``STAMP``.
* Ids: rows are inserted without ids and read back by their natural keys (slug, alliance + name/title,
  indicator code). That works on SQLite and PostgreSQL alike and leaves the sequences untouched.
* The big tables (project, financial_entry, observation) are generated as whole NumPy/Polars columns;
  Python only zips the finished columns into the parameter dicts of each 50 000-row ``executemany`` chunk.
* Money is generated as integer cents and bound as two-decimal ``Decimal`` (see ``money.py``).
* Observation keys are a grid ordered newest period first, so a series is complete back to its first
  period; the rows are inserted sorted by the unique index, which keeps SQLite's B-tree appends local.
* Idempotent: nothing is written when ``beispiel-001`` exists. Synthetic Kreise that already exist are
  reused; region observations of the ``BEISPIEL_`` indicators on them (left over from deleted example
  alliances) are replaced, as they are pure output of this generator.
* Activity for the Ziele, Anträge and Änderungsprotokoll pages: about 8–15 targets per alliance sized from the
  generated reports and Kreis statistics; every application (``rules.PIPELINE_STATUSES``) gets a status
  history, the submitted ones independent assessments by organisations without a conflict of interest, the
  assessed ones a finalised statement whose facts snapshot has the shape ``applications.facts_for`` freezes;
  ``ScaleSpec.audit_entries`` audit rows over the last two years read like the write services' own. People
  appear only as synthetic accounts named after their role (``sprecherin-beispiel-001``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import sqlalchemy
from sqlalchemy import Connection, delete, select
from sqlmodel import SQLModel, col

from dashboard.data_access import editing
from dashboard.data_access.applications import NEED_GROUPS, NEED_INDICATORS
from dashboard.data_access.models import (
    Alliance,
    AllianceRegion,
    Assessment,
    AssessmentCriterion,
    AssessmentScore,
    AuditEntry,
    Budget,
    FinancialEntry,
    Indicator,
    Member,
    Observation,
    Project,
    ProjectPartner,
    ProjectRegion,
    ProjectStatusChange,
    ProjectTopic,
    Region,
    Statement,
    Target,
    Topic,
)
from dashboard.data_access.money import cents_to_decimal
from dashboard.data_access.vocabulary import (
    AuditAction,
    Direction,
    EntryKind,
    Fund,
    MemberType,
    ProjectStatus,
    Recommendation,
    RegionLevel,
    Role,
    TargetScope,
)
from dashboard.domain import assessment as rules
from dashboard.domain.units import is_rate
from seeds.loader import DEFAULT_CRITERIA, FUNDED_QUALITY, QUALITY

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

FIRST_LAND_CODE = 17  # real Länder use 01–16, so synthetic AGS never collide with official ones
KREISE_PER_LAND = 50
MAX_REGIONS = (99 - FIRST_LAND_CODE + 1) * KREISE_PER_LAND


@dataclass(frozen=True)
class ScaleSpec:
    alliances: int = 50
    projects: int = 10_000
    financial_entries: int = 500_000
    observations: int = 2_000_000
    regions: int = 400
    audit_entries: int = 200_000
    seed: int = 20261122

    def __post_init__(self) -> None:
        if self.alliances < 1 or self.regions < 1:
            raise ValueError("ScaleSpec needs at least one alliance and one region")
        if min(self.projects, self.financial_entries, self.observations, self.audit_entries) < 0:
            raise ValueError("ScaleSpec row counts must not be negative")
        if self.regions > MAX_REGIONS:
            raise ValueError(f"ScaleSpec.regions is limited to {MAX_REGIONS} synthetic Kreise (Land codes 17–99)")


LARGE = ScaleSpec()
SMALL = ScaleSpec(
    alliances=3, projects=60, financial_entries=3_000, observations=6_000, regions=12, audit_entries=2_000
)

ProgressCallback = Callable[[str, int, int], None]  # (step label, done, total)

# The generated world's "today": disbursements and observations end here; also every row's timestamp.
TODAY = date(2026, 11, 22)
STAMP = datetime(2026, 11, 22, tzinfo=UTC)
CHUNK_ROWS = 50_000
TRACKED_COLUMNS = ("version", "created_at", "updated_at")
SOURCE = "Beispieldaten (seeds/scale.py)"
PROGRAMME = "ESF+ 2021–2027 (Beispieldaten)"
ALLIANCE_DESCRIPTION = "Synthetisches Fachkräftebündnis für Last- und Skalierungstests; alle Angaben sind erfunden."
FIRST_YEAR, LAST_YEAR = 2000, 2025  # regional statistics
PROJECT_OBSERVATION_SHARE = 0.1
MISSING_SHARE = 0.002
MIN_APPROVED_CENTS = 50_000

# (start, end, probability); the first is the programme period most alliances share.
PERIODS = (
    (date(2021, 1, 1), date(2027, 12, 31), 0.80),
    (date(2022, 1, 1), date(2027, 12, 31), 0.08),
    (date(2021, 7, 1), date(2026, 6, 30), 0.06),
    (date(2023, 1, 1), date(2025, 12, 31), 0.06),
)

# (Handlungsfeld, short word for project titles)
TOPICS = (
    ("Berufsorientierung und Ausbildung", "Ausbildung"),
    ("Weiterbildung und Qualifizierung", "Qualifizierung"),
    ("Internationale Fachkräfte und Willkommenskultur", "Willkommen"),
    ("Fachkräftesicherung in Pflege und Gesundheit", "Pflege"),
    ("Rückkehr und Zuzug", "Zuzug"),
    ("Frauen in MINT-Berufen", "MINT"),
    ("Digitalisierung der Arbeitswelt", "Digitalisierung"),
    ("Transformation der Industrie", "Transformation"),
    ("Arbeitgeberattraktivität im Mittelstand", "Arbeitgeber"),
    ("Übergang Schule – Beruf", "Übergang"),
)

MEMBER_NAMES = {
    MemberType.IHK: "Beispiel-IHK",
    MemberType.HWK: "Beispiel-Handwerkskammer",
    MemberType.AGENTUR_FUER_ARBEIT: "Beispiel-Agentur für Arbeit",
    MemberType.JOBCENTER: "Beispiel-Jobcenter",
    MemberType.ARBEITGEBERVERBAND: "Beispiel-Arbeitgeberverband",
    MemberType.GEWERKSCHAFT: "Beispiel-Gewerkschaft",
    MemberType.HOCHSCHULE: "Beispiel-Hochschule",
    MemberType.UNTERNEHMEN: "Beispielunternehmen",
    MemberType.VEREIN_VERBAND: "Beispielverein",
    MemberType.SONSTIGE: "Beispielorganisation",
}
CORE_MEMBER_TYPES = (MemberType.IHK, MemberType.HWK, MemberType.AGENTUR_FUER_ARBEIT, MemberType.JOBCENTER)
OTHER_MEMBER_TYPES = (
    MemberType.ARBEITGEBERVERBAND,
    MemberType.GEWERKSCHAFT,
    MemberType.HOCHSCHULE,
    MemberType.UNTERNEHMEN,
    MemberType.VEREIN_VERBAND,
    MemberType.SONSTIGE,
)
OTHER_MEMBER_WEIGHTS = np.array([0.15, 0.1, 0.12, 0.38, 0.15, 0.1])

FUNDS = (Fund.ESF, Fund.EFRE, Fund.LAND, Fund.BUND, Fund.EIGENMITTEL)
# Probability that an alliance has a budget line in the fund (ESF+ always) and its weight range.
FUND_PRESENCE = (1.0, 0.25, 0.5, 0.0, 0.3)
FUND_WEIGHT = ((3.0, 6.0), (0.3, 1.0), (0.3, 1.0), (0.3, 1.0), (0.2, 0.6))

STATUSES = (
    (ProjectStatus.LAUFEND, 0.33),
    (ProjectStatus.ABGESCHLOSSEN, 0.25),
    (ProjectStatus.BEWILLIGT, 0.12),
    (ProjectStatus.IDEE, 0.05),
    (ProjectStatus.BEANTRAGT, 0.06),
    (ProjectStatus.BEWERTET, 0.05),
    (ProjectStatus.ABGELEHNT, 0.06),
    (ProjectStatus.ZURUECKGEZOGEN, 0.03),
    (ProjectStatus.ABGEBROCHEN, 0.05),
)
PLANNED = (ProjectStatus.IDEE.value, ProjectStatus.BEANTRAGT.value, ProjectStatus.BEWERTET.value)
APPROVED = (
    ProjectStatus.BEWILLIGT,
    ProjectStatus.LAUFEND,
    ProjectStatus.ABGESCHLOSSEN,
    ProjectStatus.ABGEBROCHEN,
)
STARTED = (ProjectStatus.LAUFEND, ProjectStatus.ABGESCHLOSSEN, ProjectStatus.ABGEBROCHEN)

# ESF+ common indicators reported by projects, with the share of participants they count.
PROJECT_INDICATORS = (("EECO01", 1.0), ("EECO02", 0.35), ("EECO07", 0.3), ("EECR03", 0.25), ("EECR04", 0.2))
FALLBACK_PROJECT_INDICATOR = "BEISPIEL_TEILNEHMENDE"


def _sex_age(sex: tuple[float, float], age: tuple[float, float, float]) -> tuple[tuple[str, float], ...]:
    """Canonical dimension strings (keys sorted) with their factor relative to the total."""
    sexes = (("sex=m", sex[0]), ("sex=w", sex[1]))
    ages = (("age=15-24", age[0]), ("age=25-54", age[1]), ("age=55-64", age[2]))
    combined = tuple((f"{a};{s}", fa * fs) for a, fa in ages for s, fs in sexes)
    return (("", 1.0), *sexes, *ages, *combined)


@dataclass(frozen=True)
class RegionIndicator:
    """A synthetic regional statistic: how its series look, per Kreis."""

    code: str
    name: str
    name_en: str
    unit: str
    direction: str
    quarterly: bool
    stock: bool  # a Stichtag value (no period_start) rather than an average over the period
    per_capita: bool  # base is a share of the population; otherwise a rate drawn from the range
    base: tuple[float, float]
    trend: tuple[float, float]  # relative change per year
    decimals: int
    dimensions: tuple[tuple[str, float], ...]
    seasonal: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)


COUNT_SEX_AGE = _sex_age((0.53, 0.47), (0.1, 0.7, 0.2))
REGION_INDICATORS = (
    RegionIndicator(
        "BEISPIEL_ALQ",
        "Arbeitslosenquote bezogen auf alle zivilen Erwerbspersonen (Beispieldaten)",
        "Unemployment rate (example data)",
        "%",
        Direction.DOWN,
        quarterly=True,
        stock=False,
        per_capita=False,
        base=(3.0, 11.0),
        trend=(-0.04, 0.01),
        decimals=1,
        dimensions=_sex_age((1.05, 0.95), (1.15, 0.9, 1.25)),
        seasonal=(1.07, 0.98, 0.97, 0.98),
    ),
    RegionIndicator(
        "BEISPIEL_ALO_LZ",
        "Langzeitarbeitslose (Beispieldaten)",
        "Long-term unemployed (example data)",
        "Personen",
        Direction.DOWN,
        quarterly=True,
        stock=True,
        per_capita=True,
        base=(0.006, 0.018),
        trend=(-0.05, 0.0),
        decimals=0,
        dimensions=_sex_age((0.56, 0.44), (0.05, 0.6, 0.35)),
        seasonal=(1.03, 0.99, 0.98, 1.0),
    ),
    RegionIndicator(
        "BEISPIEL_SVB",
        "Sozialversicherungspflichtig Beschäftigte am Arbeitsort (Beispieldaten)",
        "Employees subject to social insurance at place of work (example data)",
        "Personen",
        Direction.UP,
        quarterly=True,
        stock=True,
        per_capita=True,
        base=(0.28, 0.45),
        trend=(0.0, 0.02),
        decimals=0,
        dimensions=COUNT_SEX_AGE,
        seasonal=(0.99, 1.0, 1.01, 1.0),
    ),
    RegionIndicator(
        "BEISPIEL_SVB_WO",
        "Sozialversicherungspflichtig Beschäftigte am Wohnort (Beispieldaten)",
        "Employees subject to social insurance at place of residence (example data)",
        "Personen",
        Direction.UP,
        quarterly=True,
        stock=True,
        per_capita=True,
        base=(0.33, 0.40),
        trend=(0.0, 0.015),
        decimals=0,
        dimensions=COUNT_SEX_AGE,
        seasonal=(0.99, 1.0, 1.01, 1.0),
    ),
    RegionIndicator(
        "BEISPIEL_STELLEN",
        "Gemeldete Arbeitsstellen (Beispieldaten)",
        "Registered vacancies (example data)",
        "Anzahl",
        Direction.UP,
        quarterly=True,
        stock=True,
        per_capita=True,
        base=(0.004, 0.009),
        trend=(0.0, 0.04),
        decimals=0,
        dimensions=(("", 1.0),),
        seasonal=(0.95, 1.03, 1.04, 0.98),
    ),
    RegionIndicator(
        "BEISPIEL_BEV_1865",
        "Bevölkerung von 18 bis unter 65 Jahren (Beispieldaten)",
        "Population aged 18 to 64 (example data)",
        "Personen",
        Direction.UP,
        quarterly=False,
        stock=True,
        per_capita=True,
        base=(0.58, 0.64),
        trend=(-0.008, 0.002),
        decimals=0,
        dimensions=(
            ("", 1.0),
            ("sex=m", 0.51),
            ("sex=w", 0.49),
            ("nationality=auslaendisch", 0.12),
            ("nationality=deutsch", 0.88),
        ),
    ),
    RegionIndicator(
        "BEISPIEL_AZUBI",
        "Auszubildende (Beispieldaten)",
        "Apprentices (example data)",
        "Personen",
        Direction.UP,
        quarterly=False,
        stock=True,
        per_capita=True,
        base=(0.009, 0.015),
        trend=(-0.015, 0.0),
        decimals=0,
        dimensions=(("", 1.0), ("sex=m", 0.62), ("sex=w", 0.38)),
    ),
)


def seed_scale(
    engine: sqlalchemy.Engine, spec: ScaleSpec = LARGE, progress: ProgressCallback | None = None
) -> dict[str, int]:
    """Create a deterministic large instance; returns row counts written per table ({} if already present)."""
    report = progress or _no_progress
    # Appending a name keeps the earlier streams: spawned children depend only on their position.
    names = ("regions", "alliances", "projects", "finance", "observations", "targets", "applications", "audit")
    streams = dict(zip(names, np.random.default_rng(spec.seed).spawn(len(names)), strict=True))
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        if _already_seeded(connection, spec):
            return {}
        regions = _regions_frame(spec, streams["regions"])
        counts["region"] = _insert_regions(connection, regions, report)

        plan = _alliance_plan(spec, regions, streams["alliances"])
        alliance_ids = _insert_alliances(connection, plan, counts, report)
        members, topics = _insert_members_and_topics(connection, plan, alliance_ids, counts, report)

        projects = _projects_frame(spec, plan, members=members, topics=topics, regions=regions, rng=streams["projects"])
        projects = _insert_projects(
            connection,
            projects,
            alliance_ids=alliance_ids,
            members=members,
            topics=topics,
            counts=counts,
            progress=report,
        )

        criteria = _insert_application_basics(connection, alliance_ids, counts, report)

        entries = _financial_entries_frame(spec, projects, streams["finance"])
        counts["financial_entry"] = _insert_frame(
            connection, FinancialEntry, entries, "Finanzbuchungen", report, money=("amount",)
        )

        region_indicators, project_indicators = _ensure_indicators(connection, counts, regions, report)
        observations = _observations_frame(
            spec,
            regions=regions,
            projects=projects,
            region_indicators=region_indicators,
            project_indicators=project_indicators,
            rng=streams["observations"],
        )
        counts["observation"] = _insert_frame(connection, Observation, observations, "Messwerte", report)

        targets = _targets_frame(
            plan,
            projects=projects,
            topics=topics,
            regions=regions,
            observations=observations,
            region_indicators=region_indicators,
            project_indicators=project_indicators,
            rng=streams["targets"],
        )
        targets = _insert_targets(connection, targets, alliance_ids, counts, report)

        people = _People.of(plan, members)
        applications = _applications(projects, entries, people, streams["applications"])
        written = _insert_applications(
            connection,
            applications,
            plan=plan,
            projects=projects,
            people=people,
            topics=topics,
            regions=regions,
            criteria=criteria,
            observations=observations,
            region_indicators=region_indicators,
            counts=counts,
            progress=report,
        )
        trail = _audit_frame(
            connection,
            spec,
            people=people,
            projects=projects,
            topics=topics,
            entries=entries,
            observations=observations,
            plan=plan,
            alliance_ids=alliance_ids,
            targets=targets,
            applications=applications,
            written=written,
            region_indicators=region_indicators,
            rng=streams["audit"],
        )
        counts["audit_entry"] = _insert_frame(connection, AuditEntry, trail, "Änderungsprotokoll", report)
    return counts


def _no_progress(_label: str, _done: int, _total: int) -> None:
    return None


def _slug(number: int) -> str:
    return f"beispiel-{number:03d}"


def _already_seeded(connection: Connection, spec: ScaleSpec) -> bool:
    slugs = [_slug(number) for number in range(1, spec.alliances + 1)]
    existing = set(connection.scalars(select(col(Alliance.slug)).where(col(Alliance.slug).in_(slugs))))
    if _slug(1) in existing:
        return True
    if existing:
        raise ValueError(f"example alliances {', '.join(sorted(existing))} exist without {_slug(1)}; delete them first")
    return False


# --- rows in chunks ---------------------------------------------------------------------------------------


def _insert_frame(
    connection: Connection,
    model: type[SQLModel],
    frame: pl.DataFrame,
    label: str,
    progress: ProgressCallback,
    *,
    money: Sequence[str] = (),
) -> int:
    """Insert a frame whose columns are the table's columns (money as integer cents) in executemany chunks."""
    table = _table(model)
    tracked = "version" in table.columns
    total = frame.height
    for offset in range(0, total, CHUNK_ROWS):
        chunk = frame.slice(offset, CHUNK_ROWS)
        columns: dict[str, Iterable[Any]] = {name: chunk[name].to_list() for name in chunk.columns}
        for name in money:
            columns[name] = [None if value is None else cents_to_decimal(value) for value in columns[name]]
        if tracked:
            columns |= {"version": repeat(1), "created_at": repeat(STAMP), "updated_at": repeat(STAMP)}
        keys = tuple(columns)
        rows = [dict(zip(keys, values, strict=False)) for values in zip(*columns.values(), strict=False)]
        connection.execute(table.insert(), rows)
        progress(label, offset + chunk.height, total)
    if total == 0:
        progress(label, 0, 0)
    return total


def _table(model: type[SQLModel]) -> sqlalchemy.Table:
    return model.__table__  # type: ignore[attr-defined]


def _indicator_ids(connection: Connection, codes: Sequence[str]) -> dict[str, int]:
    statement = select(col(Indicator.code), col(Indicator.id)).where(col(Indicator.code).in_(codes))
    return {code: ident for code, ident in connection.execute(statement) if ident is not None}


def _read_frame(connection: Connection, statement: Any, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    rows = connection.execute(statement).all()
    return pl.DataFrame([tuple(row) for row in rows], schema=dict(schema), orient="row")


def _attach_ids(frame: pl.DataFrame, ids: pl.DataFrame, on: list[str], name: str) -> pl.DataFrame:
    """Join the database ids read back by natural key onto the generated rows (in generation order)."""
    joined = frame.join(ids.rename({"id": name}), on=on, how="left", maintain_order="left")
    if joined[name].null_count():
        raise RuntimeError(f"could not read back the ids of every inserted row ({name})")
    if joined.height != frame.height:
        raise RuntimeError(f"the natural key {on} of {name} is not unique: rows would be doubled")
    return joined


# --- regions ----------------------------------------------------------------------------------------------


def _regions_frame(spec: ScaleSpec, rng: np.random.Generator) -> pl.DataFrame:
    n = spec.regions
    index = np.arange(n)
    is_city = rng.random(n) < 0.3
    population = np.where(is_city, rng.integers(80_000, 600_001, n), rng.integers(20_000, 400_001, n))
    return pl.DataFrame(
        {
            "land_code": FIRST_LAND_CODE + index // KREISE_PER_LAND,
            "kreis_code": index % KREISE_PER_LAND + 1,
            "number": index + 1,
            "kind": np.where(is_city, "Kreisfreie Stadt", "Landkreis"),
            "population": (population // 100) * 100,
            "latitude": np.round(rng.uniform(47.5, 54.8, n), 3),
            "longitude": np.round(rng.uniform(6.0, 14.8, n), 3),
        }
    ).select(
        ags=pl.format("{}{}", pl.col("land_code").cast(pl.String), pl.col("kreis_code").cast(pl.String).str.zfill(3)),
        name=pl.format("Beispielkreis {}", pl.col("number").cast(pl.String).str.zfill(3)),
        level=pl.lit(RegionLevel.KREIS.value),
        kind="kind",
        land=pl.format("Beispielland {}", pl.col("land_code")),
        population="population",
        population_year=pl.lit(LAST_YEAR, dtype=pl.Int64),
        latitude="latitude",
        longitude="longitude",
    )


def _insert_regions(connection: Connection, regions: pl.DataFrame, progress: ProgressCallback) -> int:
    existing = set(connection.scalars(select(col(Region.ags)).where(col(Region.ags).in_(regions["ags"].to_list()))))
    missing = regions.filter(~pl.col("ags").is_in(list(existing)))
    return _insert_frame(connection, Region, missing, "Regionen", progress)


# --- alliances, members, topics, budgets ------------------------------------------------------------------


@dataclass(frozen=True)
class AlliancePlan:
    """The small per-alliance tables, keyed by alliance_no (0-based) until the database assigns ids."""

    alliances: pl.DataFrame  # alliance_no, the Alliance columns, period months
    regions: pl.DataFrame  # alliance_no, region_ags, region_row
    budgets: pl.DataFrame  # alliance_no, fund, year, planned_amount (cents)
    members: pl.DataFrame  # alliance_no, name, member_type, region_ags, joined_on
    topics: pl.DataFrame  # alliance_no, name, word, description
    fund_shares: FloatArray  # alliances × FUNDS, share of the budget


def _month(day: date) -> int:
    """Months since 1970-01 (NumPy's datetime64[M] integer)."""
    return (day.year - 1970) * 12 + day.month - 1


def _alliance_plan(spec: ScaleSpec, regions: pl.DataFrame, rng: np.random.Generator) -> AlliancePlan:
    region_ags = regions["ags"].to_list()
    region_land = regions["land"].to_list()
    n_regions = len(region_ags)
    alliance_rows: list[dict[str, Any]] = []
    region_rows: list[dict[str, Any]] = []
    budget_rows: list[dict[str, Any]] = []
    member_rows: list[dict[str, Any]] = []
    topic_rows: list[dict[str, Any]] = []
    fund_shares = np.zeros((spec.alliances, len(FUNDS)))
    cursor = 0  # alliances take consecutive Kreise, so most lie in one Beispielland; wraps when exhausted
    for no in range(spec.alliances):
        number = no + 1
        period = 0 if no == 0 else int(rng.choice(len(PERIODS), p=[p for _, _, p in PERIODS]))
        start, end = PERIODS[period][0], PERIODS[period][1]
        rows = [(cursor + k) % n_regions for k in range(min(int(rng.integers(4, 11)), n_regions))]
        cursor += len(rows)
        alliance_rows.append(
            {
                "alliance_no": no,
                "slug": _slug(number),
                "name": f"Beispielbündnis {number:03d}",
                "short_name": f"Beispiel {number:03d}",
                "land": region_land[rows[0]],
                "programme": PROGRAMME,
                "office": f"Geschäftsstelle Beispielbündnis {number:03d}",
                "period_start": start,
                "period_end": end,
                "description": ALLIANCE_DESCRIPTION,
                "source": SOURCE,
                "is_example": True,
                "start_month": _month(start),
                "end_month": _month(end),
            }
        )
        region_rows.extend({"alliance_no": no, "region_ags": region_ags[r], "region_row": r} for r in rows)
        budget_rows.extend(_budget_rows(no, start, end, rng, fund_shares))
        member_rows.extend(_member_rows(no, start, rows, regions, rng))
        for topic in rng.choice(len(TOPICS), size=int(rng.integers(3, 7)), replace=False):
            name, word = TOPICS[int(topic)]
            topic_rows.append(
                {
                    "alliance_no": no,
                    "name": name,
                    "word": word,
                    "description": f"Handlungsfeld „{name}“ der Fachkräftestrategie (Beispieldaten).",
                }
            )
    return AlliancePlan(
        alliances=pl.DataFrame(alliance_rows),
        regions=pl.DataFrame(region_rows),
        budgets=pl.DataFrame(budget_rows),
        members=pl.DataFrame(member_rows),
        topics=pl.DataFrame(topic_rows),
        fund_shares=fund_shares,
    )


def _budget_rows(
    no: int, start: date, end: date, rng: np.random.Generator, fund_shares: FloatArray
) -> list[dict[str, Any]]:
    """Whole-euro budget lines per fund and year that add up exactly to a total of 0.5–5 M €."""
    total_euros = int(rng.integers(500, 5_001)) * 1_000
    present = rng.random(len(FUNDS)) < np.array(FUND_PRESENCE)
    weights = np.array([rng.uniform(lo, hi) for lo, hi in FUND_WEIGHT]) * present
    fund_euros = np.floor(total_euros * weights / weights.sum()).astype(np.int64)
    fund_euros[0] += total_euros - fund_euros.sum()
    fund_shares[no] = fund_euros / total_euros
    years = np.arange(start.year, end.year + 1)
    # ramp up in the first year, steady afterwards, a little less in the final year
    shape = np.ones(len(years)) * rng.uniform(0.8, 1.2, len(years))
    shape[0] *= 0.5
    shape[-1] *= 0.7
    rows: list[dict[str, Any]] = []
    for fund, euros in zip(FUNDS, fund_euros, strict=True):
        if euros <= 0:
            continue
        per_year = np.floor(euros * shape / shape.sum()).astype(np.int64)
        per_year[-1] += euros - per_year.sum()
        rows.extend(
            {"alliance_no": no, "fund": fund.value, "year": int(year), "planned_amount": int(amount) * 100}
            for year, amount in zip(years, per_year, strict=True)
        )
    return rows


def _member_rows(
    no: int, joined: date, rows: list[int], regions: pl.DataFrame, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """One member per Kreis of the alliance, the chambers and the employment agencies, then the rest."""
    count = int(rng.integers(20, 41))
    region_ags = regions["ags"].to_list()
    members = []
    for r in rows:
        region = regions.row(r, named=True)
        city = region["kind"] == "Kreisfreie Stadt"
        member_type = MemberType.KREISFREIE_STADT if city else MemberType.LANDKREIS
        name = f"{'Stadt' if city else 'Landkreis'} {region['name']}"
        members.append((name, member_type.value, region["ags"]))
    others = [*CORE_MEMBER_TYPES]
    others += [
        OTHER_MEMBER_TYPES[int(k)]
        for k in rng.choice(
            len(OTHER_MEMBER_TYPES), size=max(count - len(rows) - len(others), 0), p=OTHER_MEMBER_WEIGHTS
        )
    ]
    homes = rng.choice(rows, size=len(others))
    for j, (member_type, home) in enumerate(zip(others, homes, strict=True), start=1):
        members.append((f"{MEMBER_NAMES[member_type]} {no + 1:03d}-{j:02d}", member_type.value, region_ags[int(home)]))
    late = rng.random(len(members)) < 0.15
    delay_days = rng.integers(30, 720, len(members))
    return [
        {
            "alliance_no": no,
            "name": name,
            "member_type": member_type,
            "region_ags": ags,
            "joined_on": min(date.fromordinal(joined.toordinal() + int(delay)), TODAY) if is_late else joined,
            "source": SOURCE,
        }
        for (name, member_type, ags), is_late, delay in zip(members, late, delay_days, strict=True)
    ]


def _insert_alliances(
    connection: Connection, plan: AlliancePlan, counts: dict[str, int], progress: ProgressCallback
) -> pl.DataFrame:
    """Insert alliances, their regions and budgets; return alliance_no → alliance_id."""
    alliance_columns = [c for c in _table(Alliance).columns.keys() if c not in {"id", *TRACKED_COLUMNS}]  # noqa: SIM118
    counts["alliance"] = _insert_frame(
        connection, Alliance, plan.alliances.select(alliance_columns), "Bündnisse", progress
    )
    read = _read_frame(
        connection,
        select(col(Alliance.id), col(Alliance.slug)).where(col(Alliance.slug).in_(plan.alliances["slug"].to_list())),
        {"id": pl.Int64(), "slug": pl.String()},
    )
    ids = _attach_ids(plan.alliances.select("alliance_no", "slug"), read, ["slug"], "alliance_id")
    ids = ids.select("alliance_no", "alliance_id")
    counts["alliance_region"] = _insert_frame(
        connection,
        AllianceRegion,
        plan.regions.join(ids, on="alliance_no", maintain_order="left").select("alliance_id", "region_ags"),
        "Bündnisregionen",
        progress,
    )
    counts["budget"] = _insert_frame(
        connection,
        Budget,
        plan.budgets.join(ids, on="alliance_no", maintain_order="left").select(
            "alliance_id", "fund", "year", "planned_amount", source=pl.lit(SOURCE)
        ),
        "Budgets",
        progress,
        money=("planned_amount",),
    )
    return ids


def _insert_members_and_topics(
    connection: Connection,
    plan: AlliancePlan,
    alliance_ids: pl.DataFrame,
    counts: dict[str, int],
    progress: ProgressCallback,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Insert members and topics; return both plans with their database ids (rows in plan order)."""
    id_list = alliance_ids["alliance_id"].to_list()
    members = plan.members.join(alliance_ids, on="alliance_no", maintain_order="left")
    counts["member"] = _insert_frame(
        connection,
        Member,
        members.select("alliance_id", "name", "member_type", "region_ags", "joined_on", "source"),
        "Partner",
        progress,
    )
    read = _read_frame(
        connection,
        select(col(Member.id), col(Member.alliance_id), col(Member.name)).where(col(Member.alliance_id).in_(id_list)),
        {"id": pl.Int64(), "alliance_id": pl.Int64(), "name": pl.String()},
    )
    members = _attach_ids(members, read, ["alliance_id", "name"], "member_id")

    topics = plan.topics.join(alliance_ids, on="alliance_no", maintain_order="left")
    counts["topic"] = _insert_frame(
        connection,
        Topic,
        topics.select("alliance_id", "name", "description", source=pl.lit(SOURCE)),
        "Handlungsfelder",
        progress,
    )
    read = _read_frame(
        connection,
        select(col(Topic.id), col(Topic.alliance_id), col(Topic.name)).where(col(Topic.alliance_id).in_(id_list)),
        {"id": pl.Int64(), "alliance_id": pl.Int64(), "name": pl.String()},
    )
    topics = _attach_ids(topics, read, ["alliance_id", "name"], "topic_id")
    return members, topics


# --- projects ---------------------------------------------------------------------------------------------


def _offsets(alliance_no: pl.Series, alliances: int) -> tuple[IntArray, IntArray]:
    """First row and row count per alliance of a frame sorted by alliance_no."""
    count = np.bincount(alliance_no.to_numpy(), minlength=alliances).astype(np.int64)
    return np.concatenate(([0], np.cumsum(count)[:-1])).astype(np.int64), count


def _distinct_picks(rng: np.random.Generator, pool: IntArray, slots: int) -> IntArray:
    """Per row, `slots` distinct offsets into a pool of that row's size (valid while slot < pool).

    Increasing gaps of 1..G with (slots - 1) * G < pool cannot wrap onto each other, so the picks
    (random start + gaps) mod pool are distinct without any per-row loop.
    """
    rows = len(pool)
    start = np.floor(rng.random(rows) * pool).astype(np.int64)
    if slots == 1:
        return start[:, None]
    widest = np.maximum((pool - 1) // (slots - 1), 1)
    gaps = 1 + np.floor(rng.random((rows, slots - 1)) * widest[:, None]).astype(np.int64)
    steps = np.concatenate((np.zeros((rows, 1), dtype=np.int64), np.cumsum(gaps, axis=1)), axis=1)
    return (start[:, None] + steps) % pool[:, None]


def _projects_frame(
    spec: ScaleSpec,
    plan: AlliancePlan,
    *,
    members: pl.DataFrame,
    topics: pl.DataFrame,
    regions: pl.DataFrame,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """All projects with their link rows as list columns (member/topic rows, region AGS)."""
    n_alliances, n = spec.alliances, spec.projects
    weights = rng.uniform(0.5, 1.5, n_alliances)
    if n >= n_alliances:
        per_alliance = 1 + rng.multinomial(n - n_alliances, weights / weights.sum())
    else:
        per_alliance = rng.multinomial(n, weights / weights.sum())
    pa = np.repeat(np.arange(n_alliances), per_alliance).astype(np.int64)
    number = np.arange(n) - np.concatenate(([0], np.cumsum(per_alliance)[:-1]))[pa] + 1

    codes = np.array([s.value for s, _ in STATUSES])
    status = codes[rng.choice(len(STATUSES), size=n, p=[p for _, p in STATUSES])]
    start_day, end_day = _project_schedule(status, plan, pa, rng)
    total_cents, requested_cents, approved_cents = _project_money(status, plan, pa, rng)
    cumulative = np.cumsum(plan.fund_shares, axis=1)[pa]
    fund_index = np.minimum((rng.random(n)[:, None] > cumulative).sum(axis=1), len(FUNDS) - 1)

    # Lead and 0–3 partners are distinct members of the project's alliance, 1–2 topics, 1–3 Kreise.
    member_first, member_count = _offsets(members["alliance_no"], n_alliances)
    people = member_first[pa][:, None] + _distinct_picks(rng, member_count[pa], 4)
    partner_count = rng.choice(4, size=n, p=[0.2, 0.35, 0.3, 0.15])
    topic_first, topic_count = _offsets(topics["alliance_no"], n_alliances)
    topic_rows = topic_first[pa][:, None] + _distinct_picks(rng, topic_count[pa], 2)
    topic_n = np.minimum(1 + (rng.random(n) < 0.4), topic_count[pa])
    region_first, region_count = _offsets(plan.regions["alliance_no"], n_alliances)
    region_rows = region_first[pa][:, None] + _distinct_picks(rng, region_count[pa], 3)
    region_n = np.minimum(rng.choice([1, 2, 3], size=n, p=[0.5, 0.3, 0.2]), region_count[pa])

    region_ags = plan.regions["region_ags"].to_numpy()
    region_name = dict(zip(regions["ags"].to_list(), regions["name"].to_list(), strict=True))
    first_topic = topic_rows[:, 0]
    frame = pl.DataFrame(
        {
            "alliance_no": pa,
            "number": number,
            "status": status,
            "start_date": start_day,
            "end_date": end_day,
            "total_cost": total_cents,
            "requested_grant": requested_cents,
            "approved_grant": approved_cents,
            "fund": np.array([f.value for f in FUNDS])[fund_index],
            "lead_row": people[:, 0],
            "word": topics["word"].gather(first_topic),
            "topic_name": topics["name"].gather(first_topic),
            "lead_name": members["name"].gather(people[:, 0]),
            "region_name": [region_name[a] for a in region_ags[region_rows[:, 0]]],
        }
    )
    return frame.with_columns(
        pl.col("start_date", "end_date").cast(pl.Int32).cast(pl.Date),
        # -1 marks "no amount" in the integer arrays
        *(pl.when(pl.col(c) >= 0).then(pl.col(c)).alias(c) for c in ("requested_grant", "approved_grant")),
    ).with_columns(
        title=pl.format("Beispielprojekt {} – {}", pl.col("number").cast(pl.String).str.zfill(5), "word"),
        description=pl.format(
            "Beispieldaten: Projekt im Handlungsfeld „{}“ in {}, Projektträger {}.",
            "topic_name",
            "region_name",
            "lead_name",
        ),
        partner_rows=pl.Series(
            [row[1 : 1 + k] for row, k in zip(people.tolist(), partner_count.tolist(), strict=True)]
        ),
        topic_rows=pl.Series([row[:k] for row, k in zip(topic_rows.tolist(), topic_n.tolist(), strict=True)]),
        region_ags=pl.Series(
            [list(region_ags[row[:k]]) for row, k in zip(region_rows, region_n.tolist(), strict=True)]
        ),
    )


def _project_schedule(
    status: npt.NDArray[np.str_], plan: AlliancePlan, pa: IntArray, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """Start and end as days since 1970: each status starts in a window relative to the period and TODAY."""
    n = len(status)
    first = plan.alliances["start_month"].to_numpy()[pa]
    last = plan.alliances["end_month"].to_numpy()[pa]
    today = _month(TODAY)
    duration = rng.integers(6, 37, n)
    closed_cap = np.minimum(last, today - 1)
    done = status == ProjectStatus.ABGESCHLOSSEN.value
    running = status == ProjectStatus.LAUFEND.value
    approved = status == ProjectStatus.BEWILLIGT.value
    planned = np.isin(status, PLANNED)
    duration = np.where(done, np.minimum(duration, np.maximum(closed_cap - first + 1, 3)), duration)
    lo = np.select(
        [done, running, approved, planned],
        [first, np.maximum(first, today - duration + 1), np.full(n, today - 1), np.full(n, today + 1)],
        default=first,
    )
    hi = np.select(
        [done, running, approved, planned],
        [closed_cap - duration + 1, np.full(n, today), np.full(n, today + 6), np.full(n, today + 12)],
        default=np.where(status == ProjectStatus.ABGEBROCHEN.value, today - 3, today + 6),
    )
    hi = np.maximum(hi, lo)
    start_month = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    start_day = np.array(start_month, dtype="datetime64[M]").astype("datetime64[D]").astype(np.int64)
    end_day = np.array(start_month + duration, dtype="datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return start_day, end_day - 1


def _project_money(
    status: npt.NDArray[np.str_], plan: AlliancePlan, pa: IntArray, rng: np.random.Generator
) -> tuple[IntArray, IntArray, IntArray]:
    """Total cost, requested and approved grant in cents (-1 = none); approved ≤ requested ≤ total cost.

    The approved grants of an alliance add up to 70–95 % of its budget.
    """
    n, n_alliances = len(status), plan.alliances.height
    approved = np.isin(status, [s.value for s in APPROVED])
    budget_cents = (
        plan.budgets.group_by("alliance_no").agg(pl.col("planned_amount").sum()).sort("alliance_no")["planned_amount"]
    ).to_numpy()
    share = rng.lognormal(0.0, 0.6, n)
    approved_weight = np.bincount(pa, weights=share * approved, minlength=n_alliances)
    target = budget_cents * rng.uniform(0.70, 0.95, n_alliances)
    average = target / np.maximum(np.bincount(pa, weights=approved, minlength=n_alliances), 1)
    own_share = np.divide(share, approved_weight[pa], out=np.zeros(n), where=approved & (approved_weight[pa] > 0))
    approved_cents = np.maximum(np.floor(target[pa] * own_share), MIN_APPROVED_CENTS).astype(np.int64)
    requested_cents = np.where(
        approved,
        approved_cents + np.floor(approved_cents * rng.uniform(0.0, 0.25, n)).astype(np.int64),
        np.maximum(np.floor(average[pa] * share * 1.1), MIN_APPROVED_CENTS).astype(np.int64),
    )
    total_cents = requested_cents + np.floor(requested_cents * rng.uniform(0.1, 1.0, n)).astype(np.int64)
    has_request = status != ProjectStatus.IDEE.value
    return total_cents, np.where(has_request, requested_cents, -1), np.where(approved, approved_cents, -1)


def _insert_projects(
    connection: Connection,
    projects: pl.DataFrame,
    *,
    alliance_ids: pl.DataFrame,
    members: pl.DataFrame,
    topics: pl.DataFrame,
    counts: dict[str, int],
    progress: ProgressCallback,
) -> pl.DataFrame:
    """Insert projects and their partner/topic/region links; return the projects with project_id."""
    member_id = members["member_id"]
    rows = projects.join(alliance_ids, on="alliance_no", maintain_order="left").with_columns(
        lead_member_id=member_id.gather(projects["lead_row"]),
        source=pl.lit(SOURCE),
        is_example=pl.lit(True),
    )
    columns = [
        "alliance_id",
        "title",
        "description",
        "lead_member_id",
        "status",
        "start_date",
        "end_date",
        "total_cost",
        "requested_grant",
        "approved_grant",
        "fund",
        "source",
        "is_example",
    ]
    counts["project"] = _insert_frame(
        connection,
        Project,
        rows.select(columns),
        "Projekte",
        progress,
        money=("total_cost", "requested_grant", "approved_grant"),
    )
    read = _read_frame(
        connection,
        select(col(Project.id), col(Project.alliance_id), col(Project.title)).where(
            col(Project.alliance_id).in_(alliance_ids["alliance_id"].to_list())
        ),
        {"id": pl.Int64(), "alliance_id": pl.Int64(), "title": pl.String()},
    )
    rows = _attach_ids(rows, read, ["alliance_id", "title"], "project_id")

    links = rows.select("project_id", "partner_rows", "topic_rows", "region_ags")
    partners = links.select("project_id", "partner_rows").explode("partner_rows").drop_nulls()
    counts["project_partner"] = _insert_frame(
        connection,
        ProjectPartner,
        partners.select("project_id", member_id=member_id.gather(partners["partner_rows"])),
        "Projektpartner",
        progress,
    )
    project_topics = links.select("project_id", "topic_rows").explode("topic_rows").drop_nulls()
    counts["project_topic"] = _insert_frame(
        connection,
        ProjectTopic,
        project_topics.select("project_id", topic_id=topics["topic_id"].gather(project_topics["topic_rows"])),
        "Projekt-Handlungsfelder",
        progress,
    )
    counts["project_region"] = _insert_frame(
        connection,
        ProjectRegion,
        links.select("project_id", "region_ags").explode("region_ags").drop_nulls(),
        "Projektregionen",
        progress,
    )
    return rows  # the link lists stay: assessments avoid the partners, targets follow the topics


def _insert_application_basics(
    connection: Connection, alliance_ids: pl.DataFrame, counts: dict[str, int], progress: ProgressCallback
) -> pl.DataFrame:
    """The default criteria catalogue per alliance; returns it with ids (alliance_id, criterion_id, code, weight,
    position). The status history, assessments and statements follow once the money is generated."""
    ids = alliance_ids["alliance_id"].to_list()
    catalogue = [
        {
            "code": raw["code"],
            "name": raw["name"],
            "description": raw["description"],
            "weight": raw["weight"],
            "required": True,
            "position": position,
            "anchors": {str(point): text for point, text in enumerate(raw["anchors"])},
        }
        for position, raw in enumerate(DEFAULT_CRITERIA)
    ]
    columns: dict[str, Any] = {"alliance_id": [alliance_id for alliance_id in ids for _ in catalogue]}
    for name in ("code", "name", "description", "weight", "required", "position"):
        columns[name] = [criterion[name] for _ in ids for criterion in catalogue]
    # JSON objects travel as Python dicts (an Object column hands them to the driver as they are).
    columns["anchors"] = pl.Series([criterion["anchors"] for _ in ids for criterion in catalogue], dtype=pl.Object)
    counts["assessment_criterion"] = _insert_frame(
        connection, AssessmentCriterion, pl.DataFrame(columns), "Bewertungskriterien", progress
    )
    read = _read_frame(
        connection,
        select(
            col(AssessmentCriterion.id),
            col(AssessmentCriterion.alliance_id),
            col(AssessmentCriterion.code),
            col(AssessmentCriterion.weight),
            col(AssessmentCriterion.position),
        ).where(col(AssessmentCriterion.alliance_id).in_(ids)),
        {
            "criterion_id": pl.Int64(),
            "alliance_id": pl.Int64(),
            "code": pl.String(),
            "weight": pl.Int64(),
            "position": pl.Int64(),
        },
    )
    return read.sort("alliance_id", "position")


# --- money ------------------------------------------------------------------------------------------------


def _financial_entries_frame(spec: ScaleSpec, projects: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Commitments near the start adding up to the grant, then disbursements until TODAY (never above it)."""
    approved = projects.filter(pl.col("approved_grant").is_not_null())
    n = approved.height
    total = spec.financial_entries
    if total == 0:
        return pl.DataFrame()
    if n == 0:
        raise ValueError("ScaleSpec.financial_entries > 0 but no project was approved; raise ScaleSpec.projects")
    status = approved["status"].to_numpy()
    grant = approved["approved_grant"].to_numpy().astype(np.int64)
    start = approved["start_date"].cast(pl.Int32).to_numpy().astype(np.int64)
    end = approved["end_date"].cast(pl.Int32).to_numpy().astype(np.int64)
    today = (TODAY - date(1970, 1, 1)).days

    started = np.isin(status, [s.value for s in STARTED])
    amended = started & (rng.random(n) < 0.2)
    commitments = 1 + amended.astype(np.int64)
    if commitments.sum() > total:
        raise ValueError(f"ScaleSpec.financial_entries must be at least {commitments.sum()} for the commitments")

    # Commitments: the grant, or 70–90 % first and the rest in an amendment a few months later.
    second = np.where(amended, np.floor(grant * rng.uniform(0.1, 0.3, n)).astype(np.int64), 0)
    first_date = np.minimum(start - rng.integers(14, 91, n), today)
    second_date = np.clip(start + rng.integers(90, 366, n), first_date, today)
    commitment = pl.DataFrame(
        {
            "row": np.concatenate((np.arange(n), np.flatnonzero(amended))),
            "entry_date": np.concatenate((first_date, second_date[amended])),
            "amount": np.concatenate((grant - second, second[amended])),
            "note": ["Bewilligungsbescheid"] * n + ["Änderungsbescheid"] * int(amended.sum()),
        }
    ).with_columns(kind=pl.lit(EntryKind.COMMITMENT.value))

    # Disbursements: the remaining rows go to started projects in proportion to their elapsed runtime.
    paid_until = np.minimum(end, today)
    elapsed = np.clip((today - start) / np.maximum(end - start, 1), 0.0, 1.0)
    paying = np.flatnonzero(started & (paid_until >= start))
    remaining = total - int(commitments.sum())
    if remaining and paying.size == 0:
        raise ValueError("ScaleSpec.financial_entries needs started projects for its disbursements")
    per_project = np.zeros(n, dtype=np.int64)
    if remaining:
        weight = (paid_until - start + 1)[paying].astype(np.float64)
        base = 1 if remaining >= paying.size else 0
        per_project[paying] = base + rng.multinomial(remaining - base * paying.size, weight / weight.sum())
    fraction = np.select(
        [status == ProjectStatus.ABGESCHLOSSEN.value, status == ProjectStatus.LAUFEND.value],
        [rng.uniform(0.85, 1.0, n), elapsed * rng.uniform(0.5, 0.95, n)],
        default=elapsed * rng.uniform(0.2, 0.7, n),
    )
    paid = np.where(per_project > 0, np.floor(grant * fraction).astype(np.int64), 0)
    paid = np.minimum(np.maximum(paid, per_project * 100), grant)  # at least 1 € per disbursement

    row = np.repeat(np.arange(n), per_project)
    piece = rng.uniform(0.3, 1.7, row.size)
    piece_sum = np.bincount(row, weights=piece, minlength=n)
    amount = np.floor(paid[row] * piece / np.maximum(piece_sum[row], 1e-12)).astype(np.int64)
    last_of_project = np.cumsum(per_project)[per_project > 0] - 1
    amount[last_of_project] += (
        paid[per_project > 0] - np.bincount(row, weights=amount, minlength=n).astype(np.int64)[per_project > 0]
    )
    day = start[row] + np.floor(rng.random(row.size) * (paid_until[row] - start[row] + 1)).astype(np.int64)
    disbursement = pl.DataFrame({"row": row, "entry_date": day, "amount": amount}).with_columns(
        kind=pl.lit(EntryKind.DISBURSEMENT.value)
    )

    ids = approved.select("project_id", "fund").with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
    entries = pl.concat([commitment, disbursement], how="diagonal").join(ids, on="row", maintain_order="left")
    return (
        entries.with_columns(pl.col("entry_date").cast(pl.Int32).cast(pl.Date))
        .sort("project_id", "kind", "entry_date", "amount", maintain_order=True)
        .with_columns(
            note=pl.when(pl.col("kind") == EntryKind.DISBURSEMENT.value)
            .then(pl.format("Mittelabruf {}", pl.int_range(1, pl.len() + 1).over("project_id", "kind").cast(pl.String)))
            .otherwise("note")
        )
        .select("project_id", "entry_date", "kind", "amount", "fund", "note")
    )


# --- indicators and observations --------------------------------------------------------------------------


def _ensure_indicators(
    connection: Connection, counts: dict[str, int], regions: pl.DataFrame, progress: ProgressCallback
) -> tuple[dict[str, int], dict[str, tuple[int, float]]]:
    """Ids of the BEISPIEL_ region indicators and of the project indicators (ESF+ ones where present)."""
    present = _indicator_ids(connection, [code for code, _ in PROJECT_INDICATORS])
    wanted = [
        {
            "code": ind.code,
            "name": ind.name,
            "name_en": ind.name_en,
            "unit": ind.unit,
            "direction": str(ind.direction),
            "source": SOURCE,
            "description": "Synthetische Regionalstatistik für Last- und Skalierungstests.",
        }
        for ind in REGION_INDICATORS
    ]
    if not present:
        wanted.append(
            {
                "code": FALLBACK_PROJECT_INDICATOR,
                "name": "Teilnehmende insgesamt (Beispielindikator)",
                "name_en": "Total number of participants (example indicator)",
                "unit": "Personen",
                "direction": Direction.UP.value,
                "source": SOURCE,
                "description": "Ersatz für EECO01, wenn die ESF+-Indikatoren nicht geladen sind.",
            }
        )
    codes = [row["code"] for row in wanted]
    existing = _indicator_ids(connection, codes)
    new = pl.DataFrame([row for row in wanted if row["code"] not in existing])
    counts["indicator"] = _insert_frame(connection, Indicator, new, "Indikatoren", progress)
    ids = _indicator_ids(connection, codes)
    region_ids = {ind.code: ids[ind.code] for ind in REGION_INDICATORS}
    if existing:
        # Left over from example alliances deleted since: this generator's output, replaced below.
        connection.execute(
            delete(Observation).where(
                col(Observation.indicator_id).in_([existing[c] for c in existing if c in region_ids]),
                col(Observation.project_id).is_(None),
                col(Observation.region_ags).in_(regions["ags"].to_list()),
            )
        )
    if present:
        project_ids = {code: (present[code], factor) for code, factor in PROJECT_INDICATORS if code in present}
    else:
        project_ids = {FALLBACK_PROJECT_INDICATOR: (ids[FALLBACK_PROJECT_INDICATOR], 1.0)}
    return region_ids, project_ids


def _observations_frame(
    spec: ScaleSpec,
    *,
    regions: pl.DataFrame,
    projects: pl.DataFrame,
    region_indicators: dict[str, int],
    project_indicators: dict[str, tuple[int, float]],
    rng: np.random.Generator,
) -> pl.DataFrame:
    region_rng, project_rng = rng.spawn(2)
    combos = _region_combos(region_indicators)
    region_capacity = combos.height * regions.height
    project_base = _project_quarters(projects, project_indicators, project_rng)
    project_capacity = project_base.height * 3
    n_project = min(int(spec.observations * PROJECT_OBSERVATION_SHARE), project_capacity)
    n_region = spec.observations - n_project
    if n_region > region_capacity:
        n_region = region_capacity
        n_project = spec.observations - n_region
    if n_project > project_capacity:
        raise ValueError(
            f"ScaleSpec.observations is larger than the key grid ({region_capacity + project_capacity} rows)"
        )
    region_rows = _region_observations(regions, combos, n_region, region_rng)
    project_rows = _project_observations(project_base, n_project)
    return pl.concat([region_rows, project_rows], how="diagonal").select(
        "indicator_id",
        "region_ags",
        "project_id",
        "period_start",
        "period_end",
        "dimensions",
        "value",
        "missing_marker",
        "is_cumulative",
        "source",
    )


def _region_combos(region_indicators: dict[str, int]) -> pl.DataFrame:
    """Every (indicator, period, dimensions) of the regional statistics, newest period first."""
    rows = []
    for rank, ind in enumerate(REGION_INDICATORS):
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            for quarter in range(1, 5) if ind.quarterly else (4,):
                period_end = date.fromordinal(
                    (date(year + 1, 1, 1) if quarter == 4 else date(year, quarter * 3 + 1, 1)).toordinal() - 1
                )
                start = None if ind.stock else date(year, quarter * 3 - 2 if ind.quarterly else 1, 1)
                for d_rank, (dimensions, factor) in enumerate(ind.dimensions):
                    rows.append(
                        {
                            "indicator_rank": rank,
                            "indicator_id": region_indicators[ind.code],
                            "period_start": start,
                            "period_end": period_end,
                            "years": year + (quarter * 3 - 1.5) / 12 - 2013,
                            "quarter": quarter - 1,
                            "dimensions": dimensions,
                            "dimension_rank": d_rank,
                            "factor": factor,
                        }
                    )
    schema = {"period_start": pl.Date(), "period_end": pl.Date()}
    return pl.DataFrame(rows, schema_overrides=schema).sort(
        "period_end", "indicator_rank", "dimension_rank", descending=[True, False, False]
    )


def _region_observations(
    regions: pl.DataFrame, combos: pl.DataFrame, count: int, rng: np.random.Generator
) -> pl.DataFrame:
    """The first `count` keys of combos × Kreise, with smooth series: level × trend × season × noise."""
    n_regions = regions.height
    full, part = divmod(count, n_regions)
    combo = np.concatenate((np.repeat(np.arange(full), n_regions), np.full(part, full))).astype(np.int64)
    region = np.concatenate((np.tile(np.arange(n_regions), full), np.arange(part))).astype(np.int64)

    n_ind = len(REGION_INDICATORS)
    population = regions["population"].to_numpy().astype(np.float64)
    base = np.empty((n_ind, n_regions))
    slope = np.empty((n_ind, n_regions))
    for i, ind in enumerate(REGION_INDICATORS):
        level = rng.uniform(*ind.base, n_regions)
        base[i] = level * population if ind.per_capita else level
        slope[i] = rng.uniform(*ind.trend, n_regions)
    seasonal = np.array([ind.seasonal for ind in REGION_INDICATORS])
    decimals = np.array([ind.decimals for ind in REGION_INDICATORS])

    keys = combos.select(pl.all().gather(combo))
    rank = keys["indicator_rank"].to_numpy()
    years = keys["years"].to_numpy()
    value = (
        base[rank, region]
        * keys["factor"].to_numpy()
        * np.maximum(1 + slope[rank, region] * years, 0.3)
        * seasonal[rank, keys["quarter"].to_numpy()]
        * (1 + rng.normal(0.0, 0.02, count))
    )
    scale = 10.0 ** decimals[rank]
    value = np.round(value * scale) / scale
    missing = rng.random(count) < MISSING_SHARE
    marker = np.where(rng.random(count) < 0.5, "-", ".")
    return (
        keys.select("indicator_id", "period_start", "period_end", "dimensions")
        .with_columns(
            region_ags=regions["ags"].gather(region),
            project_id=pl.lit(None, dtype=pl.Int64),
            value=pl.when(pl.Series(missing)).then(None).otherwise(pl.Series(value)),
            missing_marker=pl.when(pl.Series(missing)).then(pl.Series(marker)),
            is_cumulative=pl.lit(False),
            source=pl.lit("Beispieldaten"),
        )
        .sort("indicator_id", "region_ags", "period_end", "dimensions")
    )


def _project_quarters(
    projects: pl.DataFrame, project_indicators: dict[str, tuple[int, float]], rng: np.random.Generator
) -> pl.DataFrame:
    """Cumulative participant counts per started project, indicator and completed quarter of its runtime."""
    started = projects.filter(pl.col("status").is_in([s.value for s in STARTED]))
    start = started["start_date"].to_numpy().astype("datetime64[M]").astype(np.int64)
    end = started["end_date"].to_numpy().astype("datetime64[M]").astype(np.int64)
    last_complete = _month(TODAY) // 3 - 1
    first_q = start // 3
    last_q = np.minimum(end // 3, last_complete)
    n_q = np.maximum(last_q - first_q + 1, 0)
    planned_q = end // 3 - first_q + 1
    participants = started["approved_grant"].to_numpy() / 100 / rng.uniform(1_500, 6_000, started.height)
    per_quarter = np.maximum(participants / planned_q, 1.0)
    women = rng.uniform(0.35, 0.65, started.height)

    row = np.repeat(np.arange(started.height), n_q)
    quarter = first_q[row] + np.arange(row.size) - np.repeat(np.cumsum(n_q) - n_q, n_q)
    arrivals = rng.poisson(per_quarter[row])
    frames = []
    for rank, (indicator_id, factor) in enumerate(project_indicators.values()):
        frames.append(
            pl.DataFrame(
                {
                    "indicator_rank": np.full(row.size, rank),
                    "indicator_id": np.full(row.size, indicator_id),
                    "row": row,
                    "quarter": quarter,
                    "count": rng.binomial(arrivals, factor),
                    "women": women[row],
                }
            )
        )
    schema = {"indicator_rank": pl.Int64, "indicator_id": pl.Int64, "row": pl.Int64, "quarter": pl.Int64,
              "count": pl.Int64, "women": pl.Float64}  # fmt: skip
    base = pl.concat(frames) if frames else pl.DataFrame(schema=schema)
    ids = started.select("project_id", "start_date").with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
    return base.join(ids, on="row", maintain_order="left").with_columns(
        total=pl.col("count").cum_sum().over("indicator_id", "row", order_by="quarter"),
        # quarters count from 1970 (NumPy's datetime64[M] epoch); the end is the day before the next one
        period_end=pl.date(1970 + (pl.col("quarter") + 1) // 4, ((pl.col("quarter") + 1) % 4) * 3 + 1, 1)
        - pl.duration(days=1),
    )


def _project_observations(base: pl.DataFrame, count: int) -> pl.DataFrame:
    """Totals first, then the women/men split, so a cut at `count` keeps series whole per dimension."""
    women = (pl.col("total") * pl.col("women")).floor().cast(pl.Int64)
    split = [
        base.with_columns(dimensions=pl.lit(""), dimension_rank=pl.lit(0), value=pl.col("total")),
        base.with_columns(dimensions=pl.lit("sex=w"), dimension_rank=pl.lit(1), value=women),
        base.with_columns(dimensions=pl.lit("sex=m"), dimension_rank=pl.lit(2), value=pl.col("total") - women),
    ]
    return (
        pl.concat(split)
        .sort("dimension_rank", "indicator_rank", "row", "quarter")
        .head(count)
        .select(
            "indicator_id",
            "project_id",
            "dimensions",
            "period_end",
            period_start="start_date",
            region_ags=pl.lit(None, dtype=pl.String),
            value=pl.col("value").cast(pl.Float64),
            missing_marker=pl.lit(None, dtype=pl.String),
            is_cumulative=pl.lit(True),
            source=pl.lit("Beispieldaten"),
        )
        .sort("indicator_id", "project_id", "period_end", "dimensions")
    )


# --- accounts, days and moments (targets, applications, audit trail) ---------------------------------------

EXAMPLE = "Beispieldaten"
AUDIT_DAYS = 730  # the trail covers the two years since the Cockpit went live
# Synthetic accounts named after their role (never persons): three speaker accounts per alliance, one account per
# member organisation, one administrator.
SPEAKER_ACCOUNTS = ("sprecherin-beispiel-{:03d}", "sprecher-beispiel-{:03d}", "geschaeftsstelle-beispiel-{:03d}")
SPEAKER_WEIGHTS = (0.45, 0.3, 0.25)
MEMBER_ACCOUNT = "partner-beispiel-{:03d}-{:02d}"
ADMIN_ACCOUNT = "admin-beispiel"
EPOCH = date(1970, 1, 1)


def _day_number(day: date) -> int:
    return (day - EPOCH).days


def _day_numbers(series: pl.Series) -> IntArray:
    return series.cast(pl.Int32).to_numpy().astype(np.int64)


def _dates(days: IntArray, mask: npt.NDArray[np.bool_] | None = None) -> pl.Series:
    """Day numbers as a Date series (null where ``mask`` is false)."""
    values = pl.Series(np.asarray(days, dtype=np.int64)).cast(pl.Int32).cast(pl.Date)
    if mask is None:
        return values
    return pl.select(pl.when(pl.Series(mask)).then(values)).to_series()


def _workdays(days: IntArray) -> IntArray:
    """Saturdays and Sundays moved back to the Friday before (1970-01-01 was a Thursday)."""
    weekday = (days + 3) % 7
    return days - np.select([weekday == 5, weekday == 6], [1, 2], 0)


def _moments(days: IntArray, rng: np.random.Generator) -> pl.Series:
    """A moment in office hours (07:30–17:30 German winter time) on each day, as UTC timestamps."""
    days = np.asarray(days, dtype=np.int64)
    seconds = rng.integers(6 * 3600 + 1800, 16 * 3600 + 1800, days.size)
    micros = days * 86_400_000_000 + seconds * 1_000_000 + rng.integers(0, 1_000_000, days.size)
    return pl.Series(micros.astype("datetime64[us]")).dt.replace_time_zone("UTC")


def _money_text(cents: int | None) -> str | None:
    """Cents as the exact decimal text the audit trail and the facts snapshot store ("1234.50")."""
    return None if cents is None else f"{cents // 100}.{cents % 100:02d}"


@dataclass(frozen=True)
class _People:
    """Who acts in the generated activity: speaker accounts per alliance, an account per member organisation."""

    speakers: npt.NDArray[np.str_]  # alliances × SPEAKER_ACCOUNTS
    member_accounts: npt.NDArray[np.str_]  # per member row (plan order)
    member_alliance: IntArray  # alliance_no per member row
    member_ids: IntArray
    member_names: list[str]

    @classmethod
    def of(cls, plan: AlliancePlan, members: pl.DataFrame) -> _People:
        alliances = plan.alliances.height
        speakers = np.array([[pattern.format(no + 1) for pattern in SPEAKER_ACCOUNTS] for no in range(alliances)])
        alliance_no = members["alliance_no"].to_numpy().astype(np.int64)
        first, _ = _offsets(members["alliance_no"], alliances)
        number = np.arange(members.height) - first[alliance_no] + 1
        accounts = [
            MEMBER_ACCOUNT.format(no + 1, k) for no, k in zip(alliance_no.tolist(), number.tolist(), strict=True)
        ]
        return cls(
            speakers=speakers,
            member_accounts=np.array(accounts, dtype=np.str_),
            member_alliance=alliance_no,
            member_ids=members["member_id"].to_numpy().astype(np.int64),
            member_names=members["name"].to_list(),
        )

    def speaker(self, alliance_no: IntArray, rng: np.random.Generator) -> npt.NDArray[np.str_]:
        pick = rng.choice(len(SPEAKER_ACCOUNTS), size=len(alliance_no), p=SPEAKER_WEIGHTS)
        return self.speakers[np.asarray(alliance_no, dtype=np.int64), pick]


# --- targets ----------------------------------------------------------------------------------------------

# A target's fields as the upkeep forms write them, plus its alliance.
TARGET_COLUMNS = ("alliance_id", *editing.TARGET_COLUMNS)
# Regional targets: the Kreis statistic, the range of target / baseline, and what the alliance sets out to do.
REGIONAL_TARGETS = (
    ("BEISPIEL_ALQ", (0.82, 0.95), "Arbeitslosenquote im Bündnisgebiet senken"),
    ("BEISPIEL_ALO_LZ", (0.8, 0.94), "Langzeitarbeitslosigkeit im Bündnisgebiet abbauen"),
    ("BEISPIEL_SVB", (1.01, 1.05), "Sozialversicherungspflichtige Beschäftigung im Bündnisgebiet steigern"),
    ("BEISPIEL_STELLEN", (1.03, 1.12), "Mehr offene Stellen bei der Agentur für Arbeit melden"),
    ("BEISPIEL_AZUBI", (1.0, 1.06), "Zahl der Auszubildenden im Bündnisgebiet halten und steigern"),
)
INTERIM_DUE = date(LAST_YEAR, 12, 31)  # an interim target whose data is in: reached or missed


def _goal(value: float, step: float = 10.0) -> float:
    return float(max(round(value / step) * step, step))


def _target_row(
    no: int,
    indicator_id: int,
    *,
    scope: TargetScope,
    description: str,
    baseline: tuple[float, date],
    target: tuple[float, date],
    topic_id: int | None = None,
    project_id: int | None = None,
) -> dict[str, Any]:
    return {
        "alliance_no": no,
        "indicator_id": indicator_id,
        "scope": scope.value,
        "topic_id": topic_id,
        "project_id": project_id,
        "description": description,
        "baseline_value": float(baseline[0]),
        "baseline_date": baseline[1],
        "target_value": float(target[0]),
        "due_date": target[1],
    }


def _kreis_series(
    plan: AlliancePlan, regions: pl.DataFrame, observations: pl.DataFrame, region_indicators: dict[str, int]
) -> pl.DataFrame:
    """(alliance_no, indicator_id, period_end, value): the regional-target statistics of each alliance's Kreise for
    the periods all of them report, summed (counts) or weighted by population (rates), as the targets page does."""
    wanted = [region_indicators[code] for code, _, _ in REGIONAL_TARGETS]
    rates = [region_indicators[ind.code] for ind in REGION_INDICATORS if is_rate(ind.unit)]
    area = plan.regions.select("alliance_no", "region_ags").join(
        regions.select(pl.col("ags").alias("region_ags"), "population"), on="region_ags"
    )
    kreise = area.group_by("alliance_no").agg(kreise=pl.len())
    return (
        observations.filter(
            pl.col("project_id").is_null(),
            pl.col("dimensions") == "",
            pl.col("value").is_not_null(),
            pl.col("indicator_id").is_in(wanted),
        )
        .select("indicator_id", "region_ags", "period_end", "value")
        .join(area, on="region_ags")
        .group_by("alliance_no", "indicator_id", "period_end")
        .agg(
            reporting=pl.len(),
            total=pl.col("value").sum(),
            weighted=(pl.col("value") * pl.col("population")).sum() / pl.col("population").sum(),
        )
        .join(kreise, on="alliance_no")
        .filter(pl.col("reporting") == pl.col("kreise"))
        .select(
            "alliance_no",
            "indicator_id",
            "period_end",
            value=pl.when(pl.col("indicator_id").is_in(rates)).then("weighted").otherwise("total"),
        )
        .sort("alliance_no", "indicator_id", "period_end")
    )


def _levels(
    observations: pl.DataFrame, projects: pl.DataFrame, topics: pl.DataFrame
) -> tuple[dict[tuple[int, int], float], dict[tuple[int, int], float], pl.DataFrame, pl.DataFrame]:
    """The projects' reported totals (cumulative): per (alliance_no, indicator) now and at INTERIM_DUE, and per
    project and per (topic, indicator) now."""
    reports = observations.filter(
        pl.col("project_id").is_not_null(), pl.col("dimensions") == "", pl.col("value").is_not_null()
    ).sort("period_end")
    owned = projects.select("project_id", "alliance_no")
    latest = reports.group_by("project_id", "indicator_id").agg(pl.col("value").last()).join(owned, on="project_id")
    interim = (
        reports.filter(pl.col("period_end") <= INTERIM_DUE)
        .group_by("project_id", "indicator_id")
        .agg(pl.col("value").last())
        .join(owned, on="project_id")
    )

    def per_alliance(frame: pl.DataFrame) -> dict[tuple[int, int], float]:
        summed = frame.group_by("alliance_no", "indicator_id").agg(pl.col("value").sum())
        return {(a, i): v for a, i, v in summed.iter_rows()}

    links = projects.select("project_id", "topic_rows").explode("topic_rows").drop_nulls()
    links = links.select("project_id", topic_id=topics["topic_id"].gather(links["topic_rows"]))
    per_topic = latest.join(links, on="project_id").group_by("topic_id", "indicator_id").agg(pl.col("value").sum())
    return per_alliance(latest), per_alliance(interim), latest, per_topic


def _targets_frame(
    plan: AlliancePlan,
    *,
    projects: pl.DataFrame,
    topics: pl.DataFrame,
    regions: pl.DataFrame,
    observations: pl.DataFrame,
    region_indicators: dict[str, int],
    project_indicators: dict[str, tuple[int, float]],
    rng: np.random.Generator,
) -> pl.DataFrame:
    """8–15 targets per alliance on indicators that have values for its projects or Kreise, sized from those values
    (so the targets page shows every status): by the end of the funding period for the alliance, its Handlungsfelder
    and some running projects, an interim target at the end of LAST_YEAR, and regional targets on Kreis statistics
    from a baseline before the period."""
    now, interim, latest, per_topic = _levels(observations, projects, topics)
    kreis = _kreis_series(plan, regions, observations, region_indicators)
    units = {region_indicators[ind.code]: ind.unit for ind in REGION_INDICATORS}
    codes = list(project_indicators)
    today = _day_number(TODAY)
    rows: list[dict[str, Any]] = []
    for no, alliance in enumerate(plan.alliances.iter_rows(named=True)):
        start, end = alliance["period_start"], alliance["period_end"]
        share = min(max((today - _day_number(start)) / max((end - start).days, 1), 0.05), 1.0)
        for rank, code in enumerate(codes):
            indicator_id = project_indicators[code][0]
            reached = now.get((no, indicator_id), 0.0)
            if (rank == 0 or rng.random() < 0.35) and reached > 0:
                goal = _goal(reached / share * rng.uniform(0.85, 1.3))
                text = f"{EXAMPLE}: Bündnisziel {code} bis zum Ende der Förderperiode"
                rows.append(
                    _target_row(
                        no,
                        indicator_id,
                        scope=TargetScope.ALLIANCE,
                        description=text,
                        baseline=(0.0, start),
                        target=(goal, end),
                    )
                )
        first_id = project_indicators[codes[0]][0]
        reached_interim = interim.get((no, first_id), 0.0)
        if start < INTERIM_DUE < end and reached_interim > 0:
            goal = _goal(reached_interim * rng.uniform(0.85, 1.2))
            text = f"{EXAMPLE}: Zwischenziel {codes[0]} zum {INTERIM_DUE:%d.%m.%Y}"
            rows.append(
                _target_row(
                    no,
                    first_id,
                    scope=TargetScope.ALLIANCE,
                    description=text,
                    baseline=(0.0, start),
                    target=(goal, INTERIM_DUE),
                )
            )
        rows += _regional_targets(no, alliance, kreis, region_indicators=region_indicators, units=units, rng=rng)
        rows += _topic_targets(no, alliance, topics, per_topic=per_topic, indicator_id=first_id, share=share, rng=rng)
        rows += _project_targets(no, projects, latest, first_id, rng)
    schema = {
        "alliance_no": pl.Int64(),
        "indicator_id": pl.Int64(),
        "scope": pl.String(),
        "topic_id": pl.Int64(),
        "project_id": pl.Int64(),
        "description": pl.String(),
        "baseline_value": pl.Float64(),
        "baseline_date": pl.Date(),
        "target_value": pl.Float64(),
        "due_date": pl.Date(),
    }
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def _regional_targets(
    no: int,
    alliance: dict[str, Any],
    kreis: pl.DataFrame,
    *,
    region_indicators: dict[str, int],
    units: dict[int, str],
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """2–3 targets on the Kreis statistics, from the last aggregate before the funding period (or the first one)."""
    rows = []
    picked = rng.choice(len(REGIONAL_TARGETS), size=int(rng.integers(2, 4)), replace=False)
    for k in sorted(picked.tolist()):
        code, (low, high), what = REGIONAL_TARGETS[k]
        indicator_id = region_indicators[code]
        series = kreis.filter(pl.col("alliance_no") == no, pl.col("indicator_id") == indicator_id)
        factor = rng.uniform(low, high)
        if series.is_empty():
            continue
        before = series.filter(pl.col("period_end") <= alliance["period_start"])
        base_day, base = (before if before.height else series.head(1)).select("period_end", "value").row(-1)
        if is_rate(units[indicator_id]):
            baseline, target = round(base, 2), round(base * factor, 1)
        else:
            baseline, target = float(round(base)), _goal(base * factor)
        text = f"{EXAMPLE}: {what}"
        rows.append(
            _target_row(
                no,
                indicator_id,
                scope=TargetScope.ALLIANCE,
                description=text,
                baseline=(baseline, base_day),
                target=(target, alliance["period_end"]),
            )
        )
    return rows


def _topic_targets(
    no: int,
    alliance: dict[str, Any],
    topics: pl.DataFrame,
    *,
    per_topic: pl.DataFrame,
    indicator_id: int,
    share: float,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Participants by the end of the period in 2–4 Handlungsfelder whose projects report them."""
    reached = {t: v for t, i, v in per_topic.iter_rows() if i == indicator_id and v > 0}
    mine = topics.filter(pl.col("alliance_no") == no, pl.col("topic_id").is_in(list(reached)))
    count = min(int(rng.integers(2, 5)), mine.height)
    rows = []
    for k in sorted(rng.choice(mine.height, size=count, replace=False).tolist()):
        topic_id, name = mine["topic_id"][k], mine["name"][k]
        goal = _goal(reached[topic_id] / share * rng.uniform(0.8, 1.3))
        text = f"{EXAMPLE}: Teilnehmende im Handlungsfeld „{name}“ bis zum Ende der Förderperiode"
        baseline, target = (0.0, alliance["period_start"]), (goal, alliance["period_end"])
        rows.append(
            _target_row(
                no,
                indicator_id,
                scope=TargetScope.TOPIC,
                description=text,
                baseline=baseline,
                target=target,
                topic_id=topic_id,
            )
        )
    return rows


def _project_targets(
    no: int, projects: pl.DataFrame, latest: pl.DataFrame, indicator_id: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """The participants planned for 2–4 running projects that report, as those projects' own targets."""
    reporting = latest.filter(pl.col("alliance_no") == no, pl.col("indicator_id") == indicator_id)
    running = projects.filter(pl.col("alliance_no") == no, pl.col("status") == ProjectStatus.LAUFEND.value).join(
        reporting.select("project_id", "value"), on="project_id", maintain_order="left"
    )
    count = min(int(rng.integers(2, 5)), running.height)
    rows = []
    today = _day_number(TODAY)
    for k in sorted(rng.choice(running.height, size=count, replace=False).tolist()):
        project = running.row(k, named=True)
        start, end = project["start_date"], project["end_date"]
        share = min(max((today - _day_number(start)) / max((end - start).days, 1), 0.1), 1.0)
        goal = float(max(round(project["value"] / share * rng.uniform(0.8, 1.3)), 1))
        text = f"{EXAMPLE}: geplante Teilnehmende laut Antrag ({project['title']})"
        rows.append(
            _target_row(
                no,
                indicator_id,
                scope=TargetScope.PROJECT,
                description=text,
                baseline=(0.0, start),
                target=(goal, end),
                project_id=project["project_id"],
            )
        )
    return rows


def _insert_targets(
    connection: Connection,
    targets: pl.DataFrame,
    alliance_ids: pl.DataFrame,
    counts: dict[str, int],
    progress: ProgressCallback,
) -> pl.DataFrame:
    """Insert the targets; return them with alliance_id and target_id (read back by alliance and description)."""
    rows = targets.join(alliance_ids, on="alliance_no", maintain_order="left")
    counts["target"] = _insert_frame(connection, Target, rows.select(TARGET_COLUMNS), "Ziele", progress)
    read = _read_frame(
        connection,
        select(col(Target.id), col(Target.alliance_id), col(Target.description)).where(
            col(Target.alliance_id).in_(alliance_ids["alliance_id"].to_list())
        ),
        {"id": pl.Int64(), "alliance_id": pl.Int64(), "description": pl.String()},
    )
    return _attach_ids(rows, read, ["alliance_id", "description"], "target_id")


# --- applications: status history, assessments, statements -------------------------------------------------

TRANSCRIBED_SHARE = 0.35  # assessments a speaker typed in from the organisation's form
REVISION_SHARE = 0.15  # assessed applications with a new statement version in the making
DRAFT_SHARE = 0.5  # submitted applications with two or more assessments whose statement is being drafted
STATEMENT_NOTE = f"\n\n{EXAMPLE}: für Last- und Skalierungstests erzeugte Stellungnahme."
ASSESSOR_SLOTS = 7  # candidate organisations drawn per application: at most 4 have a conflict, 3 are needed


@dataclass(frozen=True)
class _Applications:
    """The generated application activity (ids of assessments and statements are attached once written)."""

    timeline: pl.DataFrame  # per application: days and moments of idea, submission, assessment, decision; actors
    changes: pl.DataFrame  # the status history rows (+ alliance, role of the actor)
    assessments: pl.DataFrame  # project_id, slot, assessor row/member/name, account, role, assessed_on, at, comment
    scores: pl.DataFrame  # project_id, slot, code, weight, position, score
    statements: pl.DataFrame  # project_id, number, kind (final/revision/draft), as_of, created, moments, author


def _applications(
    projects: pl.DataFrame, entries: pl.DataFrame, people: _People, rng: np.random.Generator
) -> _Applications:
    timeline_rng, assessment_rng, statement_rng = rng.spawn(3)
    timeline = _timeline(projects, entries, people, timeline_rng)
    assessments, scores = _assessments(timeline, projects, people, assessment_rng)
    return _Applications(
        timeline=timeline,
        changes=_status_changes(timeline),
        assessments=assessments,
        scores=scores,
        statements=_statement_plan(timeline, assessments, people, statement_rng),
    )


def _timeline(projects: pl.DataFrame, entries: pl.DataFrame, people: _People, rng: np.random.Generator) -> pl.DataFrame:
    """When each application (a project in a pipeline status) became an idea, was submitted, assessed (its statement
    finalised) and decided: an approval on the day of its first commitment, every step before its planned start."""
    apps = projects.filter(pl.col("status").is_in(list(rules.PIPELINE_STATUSES))).select(
        "project_id", "alliance_no", "alliance_id", "status", "start_date", "lead_row"
    )
    if "kind" in entries.columns:
        approvals = (
            entries.filter(pl.col("kind") == EntryKind.COMMITMENT.value)
            .group_by("project_id")
            .agg(approved_on=pl.col("entry_date").min())
        )
        apps = apps.join(approvals, on="project_id", how="left", maintain_order="left")
    else:
        apps = apps.with_columns(approved_on=pl.lit(None, dtype=pl.Date))
    n, today = apps.height, _day_number(TODAY)
    status = apps["status"].to_numpy()
    start = _day_numbers(apps["start_date"])

    def span(low: int, high: int) -> IntArray:
        return rng.integers(low, high + 1, n)

    S = ProjectStatus
    idea_only, submitted_only = status == S.IDEE.value, status == S.BEANTRAGT.value
    approved, rejected, withdrawn = (
        status == S.BEWILLIGT.value,
        status == S.ABGELEHNT.value,
        status == S.ZURUECKGEZOGEN.value,
    )
    late_withdrawal = withdrawn & (rng.random(n) < 0.5)  # withdrawn after the statement, else before it
    assessed_mask = approved | rejected | late_withdrawal | (status == S.BEWERTET.value)
    decided_mask = approved | rejected | withdrawn
    committed = apps["approved_on"].cast(pl.Int32).fill_null(-1).to_numpy().astype(np.int64)
    # Approved on the day of the first commitment; a commitment booked today was decided in the weeks before.
    approval = np.where((committed >= 0) & (committed < today), committed, np.minimum(start, today) - span(1, 60))
    other = _workdays(np.minimum(today - 1 - span(0, 600), start - span(14, 60)))
    decided = np.where(approved, approval, other)
    assessed = _workdays(
        np.select(
            [approved, rejected, late_withdrawal],
            [decided - span(14, 45), decided - span(14, 30), decided - span(10, 40)],
            default=today - span(3, 120),
        )
    )
    submitted = _workdays(
        np.select(
            [submitted_only, withdrawn & ~late_withdrawal],
            [today - span(7, 180), decided - span(20, 60)],
            default=assessed - span(45, 100),
        )
    )
    idea = _workdays(np.where(idea_only, today - span(10, 365), submitted - span(30, 150)))
    alliance_no = apps["alliance_no"].to_numpy().astype(np.int64)
    by_member = rng.random(n) < 0.55  # a partner organisation entered its own idea; else a speaker
    creator = np.where(by_member, people.member_accounts[apps["lead_row"].to_numpy()], people.speaker(alliance_no, rng))
    return apps.drop("approved_on").with_columns(
        idea=_dates(idea),
        submitted=_dates(submitted, ~idea_only),
        assessed=_dates(assessed, assessed_mask),
        decided=_dates(decided, decided_mask),
        idea_at=_moments(idea, rng),
        submitted_at=_moments(submitted, rng),
        assessed_at=_moments(assessed, rng),
        decided_at=_moments(decided, rng),
        creator=pl.Series(creator, dtype=pl.String),
        creator_role=pl.Series(np.where(by_member, Role.MEMBER.value, Role.SPEAKER.value), dtype=pl.String),
        submitter=pl.Series(people.speaker(alliance_no, rng), dtype=pl.String),
        finaliser=pl.Series(people.speaker(alliance_no, rng), dtype=pl.String),
        decider=pl.Series(people.speaker(alliance_no, rng), dtype=pl.String),
    )


def _status_changes(timeline: pl.DataFrame) -> pl.DataFrame:
    """The status history of every application along its path (idee → beantragt → bewertet → decision)."""
    keys = ("project_id", "alliance_no", "alliance_id")
    S = ProjectStatus
    steps = [
        timeline.select(
            *keys,
            step=pl.lit(0),
            from_status=pl.lit(None, dtype=pl.String),
            to_status=pl.lit(S.IDEE.value),
            changed_at="idea_at",
            user_name="creator",
            role="creator_role",
        ),
        timeline.filter(pl.col("submitted").is_not_null()).select(
            *keys,
            step=pl.lit(1),
            from_status=pl.lit(S.IDEE.value),
            to_status=pl.lit(S.BEANTRAGT.value),
            changed_at="submitted_at",
            user_name="submitter",
            role=pl.lit(Role.SPEAKER.value),
        ),
        timeline.filter(pl.col("assessed").is_not_null()).select(
            *keys,
            step=pl.lit(2),
            from_status=pl.lit(S.BEANTRAGT.value),
            to_status=pl.lit(S.BEWERTET.value),
            changed_at="assessed_at",
            user_name="finaliser",
            role=pl.lit(Role.SPEAKER.value),
        ),
        timeline.filter(pl.col("decided").is_not_null()).select(
            *keys,
            step=pl.lit(3),
            from_status=pl.when(pl.col("assessed").is_not_null())
            .then(pl.lit(S.BEWERTET.value))
            .otherwise(pl.lit(S.BEANTRAGT.value)),
            to_status="status",
            changed_at="decided_at",
            user_name="decider",
            role=pl.lit(Role.SPEAKER.value),
        ),
    ]
    return pl.concat(steps).sort("project_id", "step")


def _conflicts(timeline: pl.DataFrame, projects: pl.DataFrame) -> IntArray:
    """Per application, the member rows with a conflict of interest (lead, partners), padded with -1."""
    partners = timeline.select("project_id").join(
        projects.select("project_id", "partner_rows"), on="project_id", how="left", maintain_order="left"
    )["partner_rows"]
    conflicted = np.full((timeline.height, 4), -1, dtype=np.int64)
    conflicted[:, 0] = timeline["lead_row"].to_numpy()
    for i, rows in enumerate(partners.to_list()):
        conflicted[i, 1 : 1 + len(rows or [])] = rows or []
    return conflicted


def _assessments(
    timeline: pl.DataFrame, projects: pl.DataFrame, people: _People, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Independent assessments by organisations of the alliance without a conflict of interest (never the lead nor
    a partner): 2–3 for every assessed application, 0–3 for a submitted one still being assessed, 0–1 for one
    withdrawn before its statement; each scores every criterion of the catalogue (0–5), dated between the
    submission and the statement."""
    n, today = timeline.height, _day_number(TODAY)
    status = timeline["status"].to_numpy()
    has = {name: timeline[name].is_not_null().to_numpy() for name in ("submitted", "assessed", "decided")}
    day = {name: _day_numbers(timeline[name].fill_null(TODAY)) for name in ("submitted", "assessed", "decided")}
    withdrawn_early = (status == ProjectStatus.ZURUECKGEZOGEN.value) & ~has["assessed"]
    count = np.select(
        [status == ProjectStatus.BEANTRAGT.value, has["assessed"], withdrawn_early],
        [rng.choice(4, n, p=[0.35, 0.3, 0.25, 0.1]), 2 + (rng.random(n) < 0.4), (rng.random(n) < 0.4).astype(np.int64)],
        0,
    ).astype(np.int64)
    first, pool = _offsets(pl.Series(people.member_alliance), people.speakers.shape[0])
    pa = timeline["alliance_no"].to_numpy().astype(np.int64)
    candidates = first[pa][:, None] + _distinct_picks(rng, pool[pa], ASSESSOR_SLOTS)
    clash = (candidates[:, :, None] == _conflicts(timeline, projects)[:, None, :]).any(axis=2)
    ordered = np.take_along_axis(candidates, np.argsort(clash, axis=1, kind="stable"), axis=1)
    row = np.repeat(np.arange(n), count)
    slot = np.arange(row.size) - np.repeat(np.cumsum(count) - count, count)
    assessor = ordered[row, slot]

    low = day["submitted"] + 5
    high = np.select([has["assessed"], has["decided"]], [day["assessed"] - 1, day["decided"] - 1], today - 1)
    span = np.maximum(high, low) - low + 1
    assessed_on = low[row] + np.floor(rng.random(row.size) * span[row]).astype(np.int64)
    transcribed = rng.random(row.size) < TRANSCRIBED_SHARE
    account = np.where(transcribed, people.speaker(pa[row], rng), people.member_accounts[assessor])

    quality = np.array([QUALITY.get(ProjectStatus(s), FUNDED_QUALITY) for s in status.tolist()]).reshape(n, 2)
    codes = [raw["code"] for raw in DEFAULT_CRITERIA]
    weights = [int(raw["weight"]) for raw in DEFAULT_CRITERIA]
    middle = rng.uniform(quality[:, :1], quality[:, 1:], (n, len(codes)))
    given = np.rint(middle[row] + rng.normal(0.0, 0.55, (row.size, len(codes))))
    points = np.clip(given, rules.SCORE_MIN, rules.SCORE_MAX).astype(np.int64)

    ids = timeline["project_id"].to_numpy()
    assessments = pl.DataFrame(
        {
            "project_id": ids[row],
            "alliance_no": pa[row],
            "alliance_id": timeline["alliance_id"].to_numpy()[row],
            "slot": slot,
            "assessor_row": assessor,
            "assessor_member_id": people.member_ids[assessor],
            "assessor": [people.member_names[k] for k in assessor.tolist()],
            "assessor_name": account,
            "role": np.where(transcribed, Role.SPEAKER.value, Role.MEMBER.value),
            "assessed_on": _dates(assessed_on),
            "at": _moments(assessed_on, rng),
            "comment": [_assessor_comment(scores, weights) for scores in points.tolist()],
        }
    ).sort("project_id", "assessed_on", "slot")  # the order the application page lists them in (date, then id)
    scores = pl.DataFrame(
        {
            "project_id": np.repeat(ids[row], len(codes)),
            "slot": np.repeat(slot, len(codes)),
            "code": codes * row.size,
            "weight": weights * row.size,
            "position": list(range(len(codes))) * row.size,
            "score": points.reshape(-1),
        }
    )
    return assessments, scores


def _assessor_comment(scores: Sequence[int], weights: Sequence[int]) -> str:
    """An assessor's short remark, as the demo writes it: the best and, if any is weak, the weakest criterion."""
    ordered = sorted(range(len(scores)), key=lambda k: (-scores[k], -weights[k]))
    best, worst = ordered[0], ordered[-1]
    parts = [DEFAULT_CRITERIA[best]["strong"]] if scores[best] >= 4 else []
    if scores[worst] <= 2:
        parts.append(DEFAULT_CRITERIA[worst]["weak"])
    return " ".join(parts)


def _statement_plan(
    timeline: pl.DataFrame, assessments: pl.DataFrame, people: _People, rng: np.random.Generator
) -> pl.DataFrame:
    """Which statements exist: the finalised one of every assessed application (its facts as of that day), a new
    version in the making for some still awaiting a decision, and drafts for submitted applications that have two or
    more assessments."""
    n, today = timeline.height, _day_number(TODAY)
    per_project = assessments.group_by("project_id").agg(count=pl.len(), last=pl.col("assessed_on").max())
    apps = timeline.join(per_project, on="project_id", how="left", maintain_order="left")
    assessed = apps["assessed"].is_not_null().to_numpy()
    assessed_day = _day_numbers(apps["assessed"].fill_null(TODAY))
    last = _day_numbers(apps["last"].fill_null(TODAY))
    status = apps["status"].to_numpy()
    revision = (status == ProjectStatus.BEWERTET.value) & (rng.random(n) < REVISION_SHARE)
    draft = (
        (status == ProjectStatus.BEANTRAGT.value)
        & (apps["count"].fill_null(0).to_numpy() >= rules.MIN_ASSESSMENTS)
        & (rng.random(n) < DRAFT_SHARE)
    )
    recommend = rng.random(n) < 0.5  # a draft that has its recommendation chosen already
    revised_on = assessed_day + np.floor(rng.random(n) * np.maximum(today - assessed_day, 1)).astype(np.int64)
    drafted_on = np.minimum(last + rng.integers(0, 11, n), today - 1)
    alliance_no = apps["alliance_no"].to_numpy().astype(np.int64)
    author = people.speaker(alliance_no, rng)
    # The day each statement was first drafted: after the last assessment it summarises.
    final_created = np.maximum(assessed_day - rng.integers(1, 15, n), last)
    revision_created = np.maximum(revised_on - rng.integers(0, 6, n), assessed_day)
    draft_created = np.maximum(drafted_on - rng.integers(0, 8, n), last)
    base = apps.select("project_id", "alliance_no", "alliance_id", "status")
    no_moment = pl.lit(None, dtype=pl.Datetime("us", "UTC"))
    finals = base.with_columns(
        number=pl.lit(1),
        kind=pl.lit("final"),
        as_of=apps["assessed"],
        created=_dates(final_created),
        created_at=_moments(final_created, rng),
        finalised_at=apps["assessed_at"],
        author=apps["finaliser"],
        recommend=pl.lit(True),
    ).filter(pl.Series(assessed))
    revisions = base.with_columns(
        number=pl.lit(2),
        kind=pl.lit("revision"),
        as_of=_dates(revised_on),
        created=_dates(revision_created),
        created_at=_moments(revision_created, rng),
        finalised_at=no_moment,
        author=pl.Series(author, dtype=pl.String),
        recommend=pl.lit(True),
    ).filter(pl.Series(revision))
    drafts = base.with_columns(
        number=pl.lit(1),
        kind=pl.lit("draft"),
        as_of=_dates(drafted_on),
        created=_dates(draft_created),
        created_at=_moments(draft_created, rng),
        finalised_at=no_moment,
        author=pl.Series(author, dtype=pl.String),
        recommend=pl.Series(recommend),
    ).filter(pl.Series(draft))
    return pl.concat([finals, revisions, drafts]).sort("project_id", "number")


@dataclass(frozen=True)
class _Written:
    """What the audit trail needs of the written application rows."""

    assessments: pl.DataFrame  # _Applications.assessments + assessment_id, in insertion order
    score_maps: list[dict[str, int]]  # per assessments row: criterion code → score
    statements: pl.DataFrame  # _Applications.statements + statement_id, recommendation, weighted_total, text


def _insert_applications(
    connection: Connection,
    applications: _Applications,
    *,
    plan: AlliancePlan,
    projects: pl.DataFrame,
    people: _People,
    topics: pl.DataFrame,
    regions: pl.DataFrame,
    criteria: pl.DataFrame,
    observations: pl.DataFrame,
    region_indicators: dict[str, int],
    counts: dict[str, int],
    progress: ProgressCallback,
) -> _Written:
    """The status history (applications along their path, every other project in its status since the seed's
    timestamp), the assessments with a score per criterion, and the statements."""
    others = projects.filter(~pl.col("project_id").is_in(applications.timeline["project_id"].to_list()))
    history = pl.concat(
        [
            others.select(
                "project_id",
                from_status=pl.lit(None, dtype=pl.String),
                to_status="status",
                changed_at=pl.lit(STAMP, dtype=pl.Datetime("us", "UTC")),
                user_name=pl.lit(SOURCE),
            ),
            applications.changes.select("project_id", "from_status", "to_status", "changed_at", "user_name"),
        ]
    ).sort("project_id", maintain_order=True)
    counts["project_status_change"] = _insert_frame(connection, ProjectStatusChange, history, "Statuswechsel", progress)

    alliance_list = projects["alliance_id"].unique().sort().to_list()
    counts["assessment"] = _insert_frame(
        connection,
        Assessment,
        applications.assessments.select("project_id", "assessor_member_id", "assessor_name", "assessed_on", "comment"),
        "Bewertungen",
        progress,
    )
    read = _read_frame(
        connection,
        select(col(Assessment.id), col(Assessment.project_id), col(Assessment.assessor_member_id))
        .join(Project, col(Project.id) == col(Assessment.project_id))
        .where(col(Project.alliance_id).in_(alliance_list)),
        {"id": pl.Int64(), "project_id": pl.Int64(), "assessor_member_id": pl.Int64()},
    )
    assessments = _attach_ids(applications.assessments, read, ["project_id", "assessor_member_id"], "assessment_id")
    scores = (
        applications.scores.join(
            assessments.select("project_id", "slot", "assessment_id", "alliance_id"), on=["project_id", "slot"]
        )
        .join(criteria.select("alliance_id", "code", "criterion_id"), on=["alliance_id", "code"])
        .sort("assessment_id", "position")
    )
    counts["assessment_score"] = _insert_frame(
        connection,
        AssessmentScore,
        scores.select("assessment_id", "criterion_id", "score"),
        "Bewertungspunkte",
        progress,
    )

    score_maps: dict[int, dict[str, int]] = {}
    for assessment_id, code, score in scores.select("assessment_id", "code", "score").iter_rows():
        score_maps.setdefault(assessment_id, {})[code] = score
    maps = [score_maps.get(assessment_id, {}) for assessment_id in assessments["assessment_id"].to_list()]
    statements, facts = _statement_documents(
        applications,
        assessments,
        maps,
        scores,
        plan=plan,
        projects=projects,
        people=people,
        topics=topics,
        regions=regions,
        observations=observations,
        region_indicators=region_indicators,
    )
    counts["statement"] = _insert_frame(
        connection,
        Statement,
        statements.select(
            "project_id", "number", "text", "recommendation", "weighted_total", "finalised_at", "finalised_by"
        ).with_columns(facts=pl.Series(facts, dtype=pl.Object)),
        "Stellungnahmen",
        progress,
    )
    read = _read_frame(
        connection,
        select(col(Statement.id), col(Statement.project_id), col(Statement.number))
        .join(Project, col(Project.id) == col(Statement.project_id))
        .where(col(Project.alliance_id).in_(alliance_list)),
        {"id": pl.Int64(), "project_id": pl.Int64(), "number": pl.Int64()},
    )
    statements = _attach_ids(statements, read, ["project_id", "number"], "statement_id")
    return _Written(assessments=assessments, score_maps=maps, statements=statements)


def _scoring(assessments: pl.DataFrame, maps: list[dict[str, int]], scores: pl.DataFrame) -> dict[int, dict[str, Any]]:
    """Per application, the scoring part of its facts snapshot, by the rules of ``domain/assessment.py``: the
    assessments (date order), criterion means (2 decimals), spreads, flagged criteria and the weighted total."""
    totals = dict(
        rules.assessment_totals(scores.select("assessment_id", "weight", "score"))
        .select("assessment_id", "weighted_total")
        .iter_rows()
    )
    stats = (
        scores.join(assessments.select("assessment_id", "project_id"), on="assessment_id")
        .sort("project_id", "position")
        .group_by("project_id", "code", maintain_order=True)
        .agg(
            pl.col("weight").first(),
            mean=pl.col("score").mean(),
            spread=(pl.col("score").max() - pl.col("score").min()).cast(pl.Int64),
        )
    )
    overall = dict(
        stats.group_by("project_id", maintain_order=True)
        .agg(((pl.col("weight") * pl.col("mean")).sum() / pl.col("weight").sum()).round(2))
        .iter_rows()
    )
    scoring: dict[int, dict[str, Any]] = {
        project_id: {"assessments": [], "criterion_means": {}, "spread": {}, "flagged": [], "weighted_total": total}
        for project_id, total in overall.items()
    }
    for project_id, code, mean, spread in stats.select(
        "project_id", "code", pl.col("mean").round(2), "spread"
    ).iter_rows():
        part = scoring[project_id]
        part["criterion_means"][code] = mean
        part["spread"][code] = spread
        if spread >= rules.SPREAD_FLAG:
            part["flagged"].append(code)
    columns = ("project_id", "assessment_id", "assessor", "assessed_on", "comment")
    for (project_id, assessment_id, assessor, assessed_on, comment), given in zip(
        assessments.select(columns).iter_rows(), maps, strict=True
    ):
        scoring[project_id]["assessments"].append(
            {
                "assessor": assessor,
                "assessed_on": assessed_on.isoformat(),
                "comment": comment,
                "scores": given,
                "weighted_total": totals.get(assessment_id),
            }
        )
    return scoring


def _application_facts(
    project_ids: list[int],
    projects: pl.DataFrame,
    timeline: pl.DataFrame,
    *,
    people: _People,
    topics: pl.DataFrame,
    regions: pl.DataFrame,
) -> dict[int, dict[str, Any]]:
    """The ``application`` part of the facts snapshot per project (partners and topics by name, Kreise by AGS)."""
    region_names = dict(zip(regions["ags"].to_list(), regions["name"].to_list(), strict=True))
    topic_names = topics["name"].to_list()
    rows = (
        projects.filter(pl.col("project_id").is_in(project_ids))
        .join(timeline.select("project_id", "submitted"), on="project_id", how="left")
        .iter_rows(named=True)
    )
    facts: dict[int, dict[str, Any]] = {}
    for row in rows:
        facts[row["project_id"]] = {
            "id": row["project_id"],
            "title": row["title"],
            "description": row["description"],
            "lead": people.member_names[row["lead_row"]],
            "partners": sorted(people.member_names[k] for k in row["partner_rows"]),
            "topics": sorted(topic_names[k] for k in row["topic_rows"]),
            "regions": [{"ags": ags, "name": region_names[ags]} for ags in sorted(row["region_ags"])],
            "start_date": row["start_date"].isoformat() if row["start_date"] else None,
            "end_date": row["end_date"].isoformat() if row["end_date"] else None,
            "total_cost": _money_text(row["total_cost"]),
            "requested_grant": _money_text(row["requested_grant"]),
            "fund": row["fund"],
            "submitted_on": row["submitted"].isoformat() if row["submitted"] else None,
        }
    return facts


def _need_facts(
    statements: pl.DataFrame,
    projects: pl.DataFrame,
    regions: pl.DataFrame,
    observations: pl.DataFrame,
    region_indicators: dict[str, int],
) -> dict[int, list[dict[str, Any]]]:
    """Per statement (``key``), the regional need as ``applications._need`` reads it on the facts day: the latest
    value of the first indicator of each NEED_GROUPS group that has values for the project's Kreise."""
    candidates = []
    for ind in REGION_INDICATORS:
        name = ind.name.lower()
        rank = next((r for r, words in enumerate(NEED_GROUPS) if any(word in name for word in words)), None)
        if rank is not None:
            candidates.append((rank, ind.name, ind.code, ind.unit))
    ranked = pl.DataFrame(
        [(rank, order, code, name, unit) for order, (rank, name, code, unit) in enumerate(sorted(candidates))],
        schema={
            "rank": pl.Int64(),
            "order": pl.Int64(),
            "code": pl.String(),
            "indicator": pl.String(),
            "unit": pl.String(),
        },
        orient="row",
    )
    codes = pl.DataFrame(
        list(region_indicators.items()), schema={"code": pl.String(), "indicator_id": pl.Int64()}, orient="row"
    )
    values = (
        observations.filter(pl.col("project_id").is_null(), pl.col("dimensions") == "", pl.col("value").is_not_null())
        .select("indicator_id", "region_ags", "period_end", "value", seen=pl.col("period_end"))
        .join(codes, on="indicator_id")
        .join(ranked.select("code"), on="code")
        .drop("indicator_id")
        .sort("period_end")
    )
    kreise = (
        statements.select("key", "project_id", pl.col("as_of").alias("period_end"))
        .join(projects.select("project_id", "region_ags"), on="project_id")
        .with_columns(pl.col("region_ags").list.sort())
        .explode("region_ags")
        .with_columns(region_order=pl.int_range(pl.len()).over("key"))
    )
    grid = kreise.join(ranked.select("code"), how="cross").sort("period_end")
    latest = grid.join_asof(
        values,
        on="period_end",
        by=["region_ags", "code"],
        strategy="backward",
        check_sortedness=False,  # sorted by period_end as a whole, which is what join_asof needs within groups
    ).drop_nulls("value")
    latest = latest.join(ranked, on="code")
    chosen = (
        latest.group_by("key", "rank")
        .agg(pl.col("order").min())
        .sort("key", "rank")
        .group_by("key")
        .head(NEED_INDICATORS)
    )
    names = dict(zip(regions["ags"].to_list(), regions["name"].to_list(), strict=True))
    need: dict[int, list[dict[str, Any]]] = {}
    for row in (
        latest.join(chosen, on=["key", "rank", "order"]).sort("key", "rank", "region_order").iter_rows(named=True)
    ):
        need.setdefault(row["key"], []).append(
            {
                "ags": row["region_ags"],
                "region": names[row["region_ags"]],
                "indicator_code": row["code"],
                "indicator": row["indicator"],
                "unit": row["unit"],
                "value": row["value"],
                "period_end": row["seen"].isoformat(),
                "source": EXAMPLE,  # the observations' own source (never empty here)
            }
        )
    return need


def _statement_documents(
    applications: _Applications,
    assessments: pl.DataFrame,
    maps: list[dict[str, int]],
    scores: pl.DataFrame,
    *,
    plan: AlliancePlan,
    projects: pl.DataFrame,
    people: _People,
    topics: pl.DataFrame,
    regions: pl.DataFrame,
    observations: pl.DataFrame,
    region_indicators: dict[str, int],
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """The statements with text, recommendation and weighted total, and their facts snapshots (as the application
    page freezes them on finalising). A new version starts from the finalised text and recommendation."""
    plans = applications.statements.with_columns(key=pl.int_range(pl.len()))
    project_ids = plans["project_id"].unique().to_list()
    scoring = _scoring(assessments, maps, scores)
    apps = _application_facts(
        project_ids, projects, applications.timeline, people=people, topics=topics, regions=regions
    )
    need = _need_facts(plans, projects, regions, observations, region_indicators)
    alliances = [
        {"name": row["name"], "short_name": row["short_name"], "programme": row["programme"]}
        for row in plan.alliances.iter_rows(named=True)
    ]
    criteria = [
        {"code": raw["code"], "name": raw["name"], "weight": int(raw["weight"]), "required": True}
        for raw in DEFAULT_CRITERIA
    ]
    facts: list[dict[str, Any]] = []
    texts: list[str] = []
    recommendations: list[str | None] = []
    finals: dict[int, tuple[str, str | None]] = {}
    columns = ("key", "project_id", "alliance_no", "status", "kind", "as_of", "recommend")
    for key, project_id, alliance_no, status, kind, as_of, recommend in plans.select(columns).iter_rows():
        part = scoring[project_id]
        snapshot = {
            "as_of": as_of.isoformat(),
            "alliance": alliances[alliance_no],
            "application": apps[project_id],
            "need": need.get(key, []),
            "criteria": criteria,
            **part,
        }
        proposal = rules.recommendation_proposal(part["weighted_total"], part["criterion_means"])
        if kind == "revision":
            text, recommendation = finals[project_id]
        else:
            text = rules.statement_text(snapshot, "de") + STATEMENT_NOTE
            recommendation = _recommendation(status, proposal) if kind == "final" else (proposal if recommend else None)
            finals[project_id] = (text, recommendation)
        facts.append(snapshot)
        texts.append(text)
        recommendations.append(recommendation)
    return (
        plans.with_columns(
            text=pl.Series(texts, dtype=pl.String),
            recommendation=pl.Series(recommendations, dtype=pl.String),
            weighted_total=pl.Series([scoring[p]["weighted_total"] for p in plans["project_id"]], dtype=pl.Float64),
            finalised_by=pl.when(pl.col("finalised_at").is_not_null()).then("author"),
        ),
        facts,
    )


def _recommendation(status: str, proposal: str | None) -> str:
    """The finalised recommendation: the scores' proposal, but never negative for an approved application and
    always negative for a rejected one."""
    if status == ProjectStatus.ABGELEHNT.value:
        return Recommendation.NICHT_BEFUERWORTET.value
    if status == ProjectStatus.BEWILLIGT.value and not rules.is_positive(proposal):
        return Recommendation.MIT_AUFLAGEN.value
    return proposal or Recommendation.MIT_AUFLAGEN.value


# --- the audit trail --------------------------------------------------------------------------------------

# Shares of ScaleSpec.audit_entries at most taken by bookings, project reports and imported Kreis statistics (after
# the entries of the targets and applications); the rest are corrections: project edits, booking corrections,
# report corrections, budget changes, bookings archived by mistake and restored.
AUDIT_SHARES = (0.45, 0.30, 0.06)
FILLER_WEIGHTS = (0.45, 0.25, 0.15, 0.05, 0.10)
MEMBER_BOOKING_SHARE = 0.3  # disbursements a lead organisation entered itself
IMPORTED_REPORT_SHARE = 0.35  # reporting quarters of an alliance that arrived as a bulk import


@dataclass(frozen=True)
class _Part:
    """Audit rows of one kind: at, user_name, role, record_id, alliance_id, with their old and new values."""

    frame: pl.DataFrame
    action: AuditAction
    table: str
    old: list[dict[str, Any] | None]
    new: list[dict[str, Any] | None]

    @classmethod
    def of(
        cls,
        frame: pl.DataFrame,
        action: AuditAction,
        table: str,
        *,
        old: list[dict[str, Any] | None] | None = None,
        new: list[dict[str, Any] | None] | None = None,
    ) -> _Part:
        columns = frame.select(
            pl.col("at").cast(pl.Datetime("us", "UTC")),
            pl.col("user_name").cast(pl.String),
            pl.col("role").cast(pl.String),
            pl.col("record_id").cast(pl.String),
            pl.col("alliance_id").cast(pl.Int64),
        )
        return cls(columns, action, table, old or [None] * frame.height, new or [None] * frame.height)


@dataclass(frozen=True)
class _Window:
    """The days the trail covers (day numbers) and a stream for the moments and choices."""

    first: int
    last: int
    rng: np.random.Generator

    def days(self, size: int) -> IntArray:
        return self.rng.integers(self.first, self.last + 1, size)

    def clip(self, days: IntArray) -> IntArray:
        return np.clip(days, self.first, self.last)

    def contains(self, column: str) -> pl.Expr:
        return pl.col(column).cast(pl.Date).cast(pl.Int32).is_between(self.first, self.last)


def _audit_frame(
    connection: Connection,
    spec: ScaleSpec,
    *,
    people: _People,
    projects: pl.DataFrame,
    topics: pl.DataFrame,
    entries: pl.DataFrame,
    observations: pl.DataFrame,
    plan: AlliancePlan,
    alliance_ids: pl.DataFrame,
    targets: pl.DataFrame,
    applications: _Applications,
    written: _Written,
    region_indicators: dict[str, int],
    rng: np.random.Generator,
) -> pl.DataFrame:
    """``spec.audit_entries`` rows over the last AUDIT_DAYS as the write services record them: the targets entered
    at go-live and adjusted since, the applications' creation, status changes, assessments and statements, bookings,
    project reports (typed or bulk-imported), imported Kreis statistics and corrections of all of these."""
    total = spec.audit_entries
    if total == 0:
        return pl.DataFrame()
    today = _day_number(TODAY)
    streams = iter(rng.spawn(8))
    window = _Window(today - AUDIT_DAYS, today - 1, next(streams))
    parts = [
        *_target_parts(targets, people, _Window(window.first, window.last, next(streams))),
        *_statement_parts(written, window),
        *_application_parts(applications, projects, topics, people=people, written=written, window=window),
    ]
    used = sum(part.frame.height for part in parts)
    if used >= total:
        return _trail(parts, total, next(streams))
    alliance_list = alliance_ids["alliance_id"].to_list()
    booked = _booking_pool(
        connection,
        entries,
        projects,
        timeline=applications.timeline,
        alliance_list=alliance_list,
        people=people,
        window=_Window(window.first, window.last, next(streams)),
    )
    reported = _report_pool(
        connection,
        observations,
        projects,
        alliance_list=alliance_list,
        people=people,
        window=_Window(window.first, window.last, next(streams)),
    )
    published = _statistics_pool(observations, region_indicators, window, next(streams))
    caps = [
        min(pool.height, int(total * share))
        for pool, share in zip((booked, reported, published), AUDIT_SHARES, strict=True)
    ]
    remaining = total - used
    taken = []
    for cap in caps:
        taken.append(min(cap, remaining))
        remaining -= taken[-1]
    pick = _Window(window.first, window.last, next(streams))
    fixes = _Window(window.first, window.last, next(streams))
    # Project edits only where the trail has no creation of the project (it would show the edited values).
    fresh = applications.changes.filter(pl.col("step") == 0, window.contains("changed_at"))["project_id"]
    corrections, originals = _corrections(
        remaining,
        projects=projects.filter(~pl.col("project_id").is_in(fresh.to_list())),
        booked=booked,
        reported=reported,
        budgets=_budget_pool(connection, plan, alliance_ids),
        people=people,
        window=fixes,
    )
    parts.append(_booking_part(_sample(booked, taken[0], pick.rng), originals))
    parts.extend(_report_parts(_sample(reported, taken[1], pick.rng), originals))
    parts.append(_statistics_part(_sample(published, taken[2], pick.rng)))
    return _trail([*parts, *corrections], total, next(streams))


def _sample(pool: pl.DataFrame, count: int, rng: np.random.Generator) -> pl.DataFrame:
    """``count`` distinct rows of the pool, in pool order."""
    if count >= pool.height:
        return pool
    return pool[np.sort(rng.choice(pool.height, size=count, replace=False)).tolist()]


def _trail(parts: list[_Part], limit: int, rng: np.random.Generator) -> pl.DataFrame:
    """All parts as audit_entry rows in time order (ids grow with time, as in a real trail); at most ``limit``."""
    frame = pl.concat(
        [part.frame.with_columns(action=pl.lit(part.action.value), table_name=pl.lit(part.table)) for part in parts]
    )
    old = [value for part in parts for value in part.old]
    new = [value for part in parts for value in part.new]
    frame = frame.with_row_index("row")
    if frame.height > limit:  # a spec too small for the applications' own entries: a random subset of them
        frame = frame[np.sort(rng.choice(frame.height, size=limit, replace=False)).tolist()]
    order = frame.sort("at", maintain_order=True)
    rows = order["row"].to_list()
    return order.select(
        "at",
        "user_name",
        "role",
        "action",
        "table_name",
        "record_id",
        "alliance_id",
        old_values=pl.Series([old[k] for k in rows], dtype=pl.Object),
        new_values=pl.Series([new[k] for k in rows], dtype=pl.Object),
    )


def _target_parts(targets: pl.DataFrame, people: _People, window: _Window) -> list[_Part]:
    """Every target entered by a speaker in the weeks after go-live (a project's once it started), a third of them
    adjusted later from the value first entered to the one stored."""
    n, rng = targets.height, window.rng
    baseline = _day_numbers(targets["baseline_date"])
    created = window.clip(np.maximum(window.first + rng.integers(5, 61, n), baseline))
    adjusted = created + rng.integers(30, 400, n)
    later = (rng.random(n) < 0.33) & (adjusted <= window.last)
    frame = targets.with_columns(
        at=_moments(created, rng),
        user_name=pl.Series(people.speaker(targets["alliance_no"].to_numpy(), rng), dtype=pl.String),
        role=pl.lit(Role.SPEAKER.value),
        record_id="target_id",
    )
    fields = (
        "indicator_id",
        "scope",
        "topic_id",
        "project_id",
        "description",
        "baseline_value",
        "baseline_date",
        "target_value",
        "due_date",
    )
    goals = targets["target_value"].to_numpy()
    step = np.where(goals >= 100, 10.0, np.where(goals >= 10, 1.0, 0.1))
    before = np.round(goals * rng.uniform(0.8, 1.2, n) / step) * step
    before = np.where(np.isclose(before, goals), goals + step, before).round(1)
    entered = targets.with_columns(target_value=pl.Series(np.where(later, before, goals)))
    new: list[dict[str, Any] | None] = [
        {name: value.isoformat() if isinstance(value, date) else value for name, value in zip(fields, row, strict=True)}
        for row in entered.select(fields).iter_rows()
    ]
    changed = frame.with_columns(
        at=_moments(adjusted, rng),
        user_name=pl.Series(people.speaker(targets["alliance_no"].to_numpy(), rng), dtype=pl.String),
    ).filter(pl.Series(later))
    keep = np.flatnonzero(later).tolist()
    return [
        _Part.of(frame, AuditAction.CREATE, "target", new=new),
        _Part.of(
            changed,
            AuditAction.UPDATE,
            "target",
            old=[{"target_value": float(before[k])} for k in keep],
            new=[{"target_value": float(goals[k])} for k in keep],
        ),
    ]


def _application_parts(
    applications: _Applications,
    projects: pl.DataFrame,
    topics: pl.DataFrame,
    *,
    people: _People,
    written: _Written,
    window: _Window,
) -> list[_Part]:
    """Each application's creation as an idea (all its fields then), its status changes and its assessments."""
    created = applications.changes.filter(pl.col("step") == 0, window.contains("changed_at"))
    rows = created.select("project_id", "changed_at").join(projects, on="project_id", maintain_order="left")
    topic_ids = topics["topic_id"].to_list()
    new: list[dict[str, Any] | None] = [
        {
            "title": row["title"],
            "description": row["description"],
            "lead_member_id": int(people.member_ids[row["lead_row"]]),
            "status": ProjectStatus.IDEE.value,
            "fund": row["fund"],
            "start_date": row["start_date"].isoformat(),
            "end_date": row["end_date"].isoformat(),
            "total_cost": _money_text(row["total_cost"]),
            "requested_grant": None,
            "approved_grant": None,
            "partner_ids": [int(people.member_ids[k]) for k in row["partner_rows"]],
            "topic_ids": [topic_ids[k] for k in row["topic_rows"]],
            "region_ags": sorted(row["region_ags"]),
        }
        for row in rows.iter_rows(named=True)
    ]
    parts = [
        _Part.of(
            created.rename({"changed_at": "at", "project_id": "record_id"}), AuditAction.CREATE, "project", new=new
        )
    ]

    moved = applications.changes.filter(pl.col("step") > 0, window.contains("changed_at")).join(
        projects.select("project_id", "approved_grant"), on="project_id", maintain_order="left"
    )
    old: list[dict[str, Any] | None] = []
    new = []
    for before, after, grant in moved.select("from_status", "to_status", "approved_grant").iter_rows():
        if after == ProjectStatus.BEWILLIGT.value:  # the approval books the grant (change_status)
            old.append({"status": before, "approved_grant": None})
            new.append({"status": after, "approved_grant": _money_text(grant)})
        else:
            old.append({"status": before})
            new.append({"status": after})
    parts.append(
        _Part.of(
            moved.rename({"changed_at": "at", "project_id": "record_id"}),
            AuditAction.UPDATE,
            "project",
            old=old,
            new=new,
        )
    )

    assessed = written.assessments.with_row_index("row").filter(window.contains("assessed_on"))
    new = [
        {
            "project_id": project_id,
            "assessor_member_id": member_id,
            "assessed_on": on.isoformat(),
            "comment": comment,
            "scores": written.score_maps[row],
        }
        for row, project_id, member_id, on, comment in assessed.select(
            "row", "project_id", "assessor_member_id", "assessed_on", "comment"
        ).iter_rows()
    ]
    frame = assessed.select(
        "at", user_name="assessor_name", role="role", record_id="assessment_id", alliance_id="alliance_id"
    )
    parts.append(_Part.of(frame, AuditAction.CREATE, "assessment", new=new))
    return parts


def _statement_parts(written: _Written, window: _Window) -> list[_Part]:
    """Each statement's creation (generated text), the save that chose its recommendation and, for a finalised one,
    the finalisation minutes later (followed by the move to bewertet, an application part)."""
    statements = written.statements.with_columns(
        record_id="statement_id", user_name="author", role=pl.lit(Role.SPEAKER.value)
    )
    created = statements.filter(window.contains("created")).with_columns(at="created_at")
    new: list[dict[str, Any] | None] = [
        {
            "project_id": project_id,
            "number": number,
            "text": text,
            "recommendation": recommendation if kind == "revision" else None,
            "weighted_total": total,
        }
        for project_id, number, text, recommendation, total, kind in created.select(
            "project_id", "number", "text", "recommendation", "weighted_total", "kind"
        ).iter_rows()
    ]
    parts = [_Part.of(created, AuditAction.CREATE, "statement", new=new)]

    saved = statements.filter(
        pl.col("kind") != "revision", pl.col("recommendation").is_not_null(), window.contains("as_of")
    ).with_columns(
        at=pl.coalesce(
            pl.col("finalised_at") - pl.duration(minutes=pl.int_range(pl.len()) % 55 + 5),
            pl.col("created_at") + pl.duration(days=(pl.col("as_of") - pl.col("created")).dt.total_days()),
        )
    )
    parts.append(
        _Part.of(
            saved,
            AuditAction.UPDATE,
            "statement",
            old=[{"recommendation": None}] * saved.height,
            new=[
                {"recommendation": recommendation, "facts_as_of": as_of.isoformat()}
                for recommendation, as_of in saved.select("recommendation", "as_of").iter_rows()
            ],
        )
    )
    final = statements.filter(pl.col("finalised_at").is_not_null(), window.contains("as_of")).with_columns(
        at="finalised_at"
    )
    parts.append(
        _Part.of(
            final,
            AuditAction.UPDATE,
            "statement",
            old=[{"finalised_at": None}] * final.height,
            new=[
                {"finalised_at": at.isoformat(), "finalised_by": by, "recommendation": rec, "weighted_total": total}
                for at, by, rec, total in final.select(
                    "finalised_at", "finalised_by", "recommendation", "weighted_total"
                ).iter_rows()
            ],
        )
    )
    return parts


def _booking_pool(
    connection: Connection,
    entries: pl.DataFrame,
    projects: pl.DataFrame,
    *,
    timeline: pl.DataFrame,
    alliance_list: list[int],
    people: _People,
    window: _Window,
) -> pl.DataFrame:
    """The bookings dated in the window with their ids (read back by project, kind and note, which the generator
    makes unique) and who entered them when (``at``, ``user_name``, ``role``): a few days after their date by a
    speaker, or by the lead organisation for its own disbursements; a commitment on its day, the approval's with
    the decision."""
    schema = {"id": pl.Int64(), "project_id": pl.Int64(), "kind": pl.String(), "note": pl.String()}
    if "kind" not in entries.columns:
        more = {"entry_date": pl.Date(), "amount": pl.Int64(), "fund": pl.String(), "alliance_no": pl.Int64(),
                "alliance_id": pl.Int64(), "lead_row": pl.Int64(), "at": pl.Datetime("us", "UTC"),
                "user_name": pl.String(), "role": pl.String()}  # fmt: skip
        return pl.DataFrame(schema=schema | more)
    first = date.fromordinal(EPOCH.toordinal() + window.first)
    read = _read_frame(
        connection,
        select(
            col(FinancialEntry.id), col(FinancialEntry.project_id), col(FinancialEntry.kind), col(FinancialEntry.note)
        )
        .join(Project, col(Project.id) == col(FinancialEntry.project_id))
        .where(col(Project.alliance_id).in_(alliance_list), col(FinancialEntry.entry_date) >= first),
        schema,
    )
    booked = (
        entries.filter(window.contains("entry_date"))
        .join(read, on=["project_id", "kind", "note"])
        .join(projects.select("project_id", "alliance_no", "alliance_id", "lead_row"), on="project_id")
        .join(
            timeline.filter(pl.col("status") == ProjectStatus.BEWILLIGT.value).select(
                "project_id", approval=pl.col("decided"), approved_at="decided_at", approver="decider"
            ),
            on="project_id",
            how="left",
        )
        .sort("id")
    )
    n, rng = booked.height, window.rng
    commitment = (booked["kind"] == EntryKind.COMMITMENT.value).to_numpy()
    day = _day_numbers(booked["entry_date"])
    moment = _moments(window.clip(day + np.where(commitment, 0, rng.integers(0, 8, n))), rng)
    alliance_no = booked["alliance_no"].to_numpy()
    by_lead = ~commitment & (rng.random(n) < MEMBER_BOOKING_SHARE)
    user = np.where(by_lead, people.member_accounts[booked["lead_row"].to_numpy()], people.speaker(alliance_no, rng))
    approval = pl.col("kind").eq(EntryKind.COMMITMENT.value) & pl.col("approval").eq(pl.col("entry_date"))
    return booked.with_columns(
        at=pl.when(approval).then("approved_at").otherwise(moment),
        user_name=pl.when(approval).then("approver").otherwise(pl.Series(user, dtype=pl.String)),
        role=pl.Series(np.where(by_lead, Role.MEMBER.value, Role.SPEAKER.value), dtype=pl.String),
    )


def _booking_part(booked: pl.DataFrame, originals: _Originals) -> _Part:
    """The bookings' creation as ``create_entry`` records it (the amount first entered, if corrected later)."""
    frame = booked.with_columns(record_id="id")
    first = originals.amounts
    columns = ("id", "project_id", "entry_date", "kind", "amount", "fund", "note")
    new: list[dict[str, Any] | None] = [
        {
            "project_id": p,
            "entry_date": d.isoformat(),
            "kind": k,
            "amount": _money_text(first.get(i, a)),
            "fund": f,
            "note": t,
        }
        for i, p, d, k, a, f, t in booked.select(columns).iter_rows()
    ]
    return _Part.of(frame, AuditAction.CREATE, "financial_entry", new=new)


def _report_pool(
    connection: Connection,
    observations: pl.DataFrame,
    projects: pl.DataFrame,
    *,
    alliance_list: list[int],
    people: _People,
    window: _Window,
) -> pl.DataFrame:
    """The project reports (every breakdown) that arrived in the window, 10–75 days after their quarter, with ids
    and who entered them when (``at``, ``user_name``, ``role``, ``action``): typed in per project and quarter by
    the lead organisation or a speaker, or bulk-imported per alliance and quarter by a speaker or the administrator
    with the quarter's last report."""
    rng = window.rng
    first = date.fromordinal(EPOCH.toordinal() + window.first - 90)
    keys = ["indicator_id", "project_id", "period_end", "dimensions"]
    read = _read_frame(
        connection,
        select(
            col(Observation.id),
            col(Observation.indicator_id),
            col(Observation.project_id),
            col(Observation.period_end),
            col(Observation.dimensions),
        )
        .join(Project, col(Project.id) == col(Observation.project_id))
        .where(col(Project.alliance_id).in_(alliance_list), col(Observation.period_end) >= first),
        {
            "id": pl.Int64(),
            "indicator_id": pl.Int64(),
            "project_id": pl.Int64(),
            "period_end": pl.Date(),
            "dimensions": pl.String(),
        },
    )
    reports = (
        observations.filter(pl.col("project_id").is_not_null(), pl.col("period_end") >= first)
        .select(*keys, "value", "is_cumulative")
        .join(read, on=keys)
    )
    quarters = reports.select("project_id", "period_end").unique().sort("project_id", "period_end")
    arrived = _day_numbers(quarters["period_end"]) + rng.integers(10, 76, quarters.height)
    quarters = quarters.with_columns(reported=_dates(arrived))
    reported = (
        reports.join(quarters, on=["project_id", "period_end"])
        .filter(window.contains("reported"))
        .join(projects.select("project_id", "alliance_no", "alliance_id", "lead_row"), on="project_id")
        .sort("id")
    )
    batches = (
        reported.group_by("alliance_no", "period_end").agg(pl.col("reported").max()).sort("alliance_no", "period_end")
    )
    by_admin = rng.random(batches.height) < 0.15
    batches = batches.select(
        "alliance_no",
        "period_end",
        imported=pl.Series(rng.random(batches.height) < IMPORTED_REPORT_SHARE),
        batch_at=_moments(_day_numbers(batches["reported"]), rng),
        batch_user=pl.Series(np.where(by_admin, ADMIN_ACCOUNT, people.speaker(batches["alliance_no"].to_numpy(), rng))),
        batch_role=pl.Series(np.where(by_admin, Role.ADMIN.value, Role.SPEAKER.value)),
    )
    reports = reported.select("project_id", "period_end", "reported", "alliance_no", "lead_row").unique(
        ["project_id", "period_end"], keep="first", maintain_order=True
    )
    by_lead = rng.random(reports.height) < 0.65
    reports = reports.select(
        "project_id",
        "period_end",
        report_at=_moments(_day_numbers(reports["reported"]), rng),
        report_user=pl.Series(
            np.where(
                by_lead,
                people.member_accounts[reports["lead_row"].to_numpy()],
                people.speaker(reports["alliance_no"].to_numpy(), rng),
            )
        ),
        report_role=pl.Series(np.where(by_lead, Role.MEMBER.value, Role.SPEAKER.value)),
    )
    imported = pl.col("imported")
    return (
        reported.join(batches, on=["alliance_no", "period_end"], maintain_order="left")
        .join(reports, on=["project_id", "period_end"], maintain_order="left")
        .with_columns(
            at=pl.when(imported).then("batch_at").otherwise("report_at"),
            user_name=pl.when(imported).then("batch_user").otherwise("report_user"),
            role=pl.when(imported).then("batch_role").otherwise("report_role"),
            action=pl.when(imported).then(pl.lit(AuditAction.IMPORT.value)).otherwise(pl.lit(AuditAction.CREATE.value)),
        )
    )


def _report_parts(reported: pl.DataFrame, originals: _Originals) -> list[_Part]:
    """The reports' creation as ``report_value`` or the bulk import record it (the value first reported)."""
    fields = ("id", "indicator_id", "project_id", "period_end", "dimensions", "value", "is_cumulative")
    first = originals.values
    parts = []
    for action in (AuditAction.CREATE, AuditAction.IMPORT):
        chosen = reported.filter(pl.col("action") == action.value)
        frame = chosen.with_columns(record_id="id")
        new: list[dict[str, Any] | None] = [
            {
                "indicator_id": i,
                "project_id": p,
                "period_end": d.isoformat(),
                "dimensions": s,
                "value": first.get(k, v),
                "is_cumulative": c,
            }
            for k, i, p, d, s, v, c in chosen.select(fields).iter_rows()
        ]
        parts.append(_Part.of(frame, action, "observation", new=new))
    return parts


def _statistics_pool(
    observations: pl.DataFrame, region_indicators: dict[str, int], window: _Window, rng: np.random.Generator
) -> pl.DataFrame:
    """The Kreis statistics published in the window (quarterly figures 2–4 months after the quarter, yearly ones
    9–13 months after the year), with the key the regional import names them by."""
    codes = pl.DataFrame(
        [(region_indicators[ind.code], ind.code, ind.quarterly) for ind in REGION_INDICATORS],
        schema={"indicator_id": pl.Int64(), "code": pl.String(), "quarterly": pl.Boolean()},
        orient="row",
    )
    first = date.fromordinal(EPOCH.toordinal() + window.first - 400)
    values = observations.filter(pl.col("project_id").is_null(), pl.col("period_end") >= first).join(
        codes, on="indicator_id"
    )
    releases = values.select("indicator_id", "period_end", "quarterly").unique().sort("indicator_id", "period_end")
    quarterly = releases["quarterly"].to_numpy()
    lag = np.where(quarterly, rng.integers(60, 121, releases.height), rng.integers(270, 401, releases.height))
    published = _workdays(_day_numbers(releases["period_end"]) + lag)
    releases = releases.select("indicator_id", "period_end", published=_dates(published), at=_moments(published, rng))
    key = pl.concat_str(pl.col("code"), pl.col("region_ags"), pl.col("period_end").cast(pl.String), separator="/")
    return (
        values.join(releases, on=["indicator_id", "period_end"])
        .filter(window.contains("published"))
        .sort("indicator_id", "region_ags", "period_end", "dimensions")
        .with_columns(
            record_id=pl.when(pl.col("dimensions") != "")
            .then(pl.concat_str(key, pl.lit("/"), pl.col("dimensions")))
            .otherwise(key)
        )
    )


def _statistics_part(published: pl.DataFrame) -> _Part:
    """The regional import's entries: shared reference data without an alliance (only administrators read them)."""
    frame = published.select(
        "at",
        "record_id",
        user_name=pl.lit(ADMIN_ACCOUNT),
        role=pl.lit(Role.ADMIN.value),
        alliance_id=pl.lit(None, dtype=pl.Int64),
    )
    new: list[dict[str, Any] | None] = [
        {"value": value, "missing_marker": marker}
        for value, marker in published.select("value", "missing_marker").iter_rows()
    ]
    return _Part.of(frame, AuditAction.IMPORT, "observation", new=new)


def _budget_pool(connection: Connection, plan: AlliancePlan, alliance_ids: pl.DataFrame) -> pl.DataFrame:
    read = _read_frame(
        connection,
        select(col(Budget.id), col(Budget.alliance_id), col(Budget.fund), col(Budget.year)).where(
            col(Budget.alliance_id).in_(alliance_ids["alliance_id"].to_list())
        ),
        {"id": pl.Int64(), "alliance_id": pl.Int64(), "fund": pl.String(), "year": pl.Int64()},
    )
    return (
        plan.budgets.join(alliance_ids, on="alliance_no", maintain_order="left")
        .with_columns(pl.col("year").cast(pl.Int64))
        .join(read, on=["alliance_id", "fund", "year"], maintain_order="left")
    )


def _corrections(
    count: int,
    *,
    projects: pl.DataFrame,
    booked: pl.DataFrame,
    reported: pl.DataFrame,
    budgets: pl.DataFrame,
    people: _People,
    window: _Window,
) -> tuple[list[_Part], _Originals]:
    """``count`` corrections after the fact (FILLER_WEIGHTS): project edits, booking and report corrections a few
    weeks after the original, budget changes, and bookings archived by mistake and restored (two entries each).
    The new values are the stored ones, so the trail ends where the data is; the values first entered are
    returned for the creation entries."""
    rng = window.rng
    entered = pl.col("at").cast(pl.Date).cast(pl.Int32)
    old_bookings = booked.filter(entered <= window.last - 30)
    old_reports = reported.filter(pl.col("dimensions") == "", entered <= window.last - 30)
    edits, bookings, reports, budget, pairs = rng.multinomial(count, FILLER_WEIGHTS).tolist()
    pairs //= 2
    if old_bookings.is_empty():
        bookings, pairs = 0, 0
    if old_reports.is_empty():
        reports = 0
    edits = count - bookings - reports - budget - 2 * pairs
    if projects.is_empty():
        budget, edits = budget + edits, 0
    parts = []
    originals = _Originals({}, {})
    if edits:
        parts.append(_project_edits(projects, edits, people, window))
    if bookings:
        parts.append(_booking_corrections(_pick(old_bookings, bookings, rng), people, window, originals))
    if reports:
        parts.append(_report_corrections(_pick(old_reports, reports, rng), people, window, originals))
    if budget:
        parts.append(_budget_changes(_pick(budgets, budget, rng), people, window))
    if pairs:
        parts.extend(_archived_and_restored(_pick(old_bookings, pairs, rng), people, window))
    return parts, originals


@dataclass(frozen=True)
class _Originals:
    """The values first entered of the records corrected later (by id): booking amounts in cents, report values."""

    amounts: dict[int, int]
    values: dict[int, float]


def _pick(pool: pl.DataFrame, count: int, rng: np.random.Generator) -> pl.DataFrame:
    """``count`` rows of the pool: distinct ones while the pool has enough."""
    if count <= pool.height:
        return pool[rng.choice(pool.height, size=count, replace=False).tolist()]
    return pool[rng.integers(0, pool.height, count).tolist()]


def _project_edits(projects: pl.DataFrame, count: int, people: _People, window: _Window) -> _Part:
    """Edits of a project's form by its lead organisation or a speaker: end date, total cost, requested grant or
    description (only the changed field, as ``update_project`` records it)."""
    rng = window.rng
    # While the project is planned or running (from half a year before its start to a quarter after its end).
    active = projects.filter(pl.col("end_date").cast(pl.Int32) + 90 >= window.first)
    if active.is_empty():
        active = projects
    rows = active[rng.integers(0, active.height, count).tolist()]
    first = np.maximum(_day_numbers(rows["start_date"]) - 180, window.first)
    last = np.maximum(np.minimum(_day_numbers(rows["end_date"]) + 90, window.last), first)
    day = first + np.floor(rng.random(count) * (last - first + 1)).astype(np.int64)
    field = rng.integers(0, 4, count)
    shift = rng.integers(30, 181, count)
    factor = rng.uniform(0.85, 1.12, count)
    by_lead = rng.random(count) < 0.5
    alliance_no = rows["alliance_no"].to_numpy()
    user = np.where(by_lead, people.member_accounts[rows["lead_row"].to_numpy()], people.speaker(alliance_no, rng))
    frame = rows.select(
        at=_moments(window.clip(day), rng),
        user_name=pl.Series(user, dtype=pl.String),
        role=pl.Series(np.where(by_lead, Role.MEMBER.value, Role.SPEAKER.value), dtype=pl.String),
        record_id="project_id",
        alliance_id="alliance_id",
    )
    old: list[dict[str, Any] | None] = []
    new: list[dict[str, Any] | None] = []
    columns = ("end_date", "total_cost", "requested_grant", "description")
    for k, (end, cost, requested, description) in enumerate(rows.select(columns).iter_rows()):
        kind = int(field[k])
        if kind == 0:
            old.append({"end_date": date.fromordinal(end.toordinal() - int(shift[k])).isoformat()})
            new.append({"end_date": end.isoformat()})
            continue
        if kind == 3:
            old.append({"description": description.split(", Projektträger")[0] + "."})
            new.append({"description": description})
            continue
        name, cents = ("requested_grant", requested) if kind == 2 and requested is not None else ("total_cost", cost)
        before = round(cents * float(factor[k]) / 10_000) * 10_000
        old.append({name: _money_text(before if before != cents else cents + 10_000)})
        new.append({name: _money_text(cents)})
    return _Part.of(frame, AuditAction.UPDATE, "project", old=old, new=new)


def _booking_corrections(rows: pl.DataFrame, people: _People, window: _Window, originals: _Originals) -> _Part:
    """A booking's amount corrected (a typo) by a speaker 1–30 days after it was entered."""
    rng, n = window.rng, rows.height
    day = _day_numbers(rows["at"].dt.date()) + rng.integers(1, 31, n)
    delta = np.maximum(np.floor(rows["amount"].to_numpy() * rng.uniform(0.01, 0.05, n)), 100).astype(np.int64)
    delta = np.where(rng.random(n) < 0.5, -delta, delta)
    frame = rows.with_columns(
        at=_moments(window.clip(day), rng),
        user_name=pl.Series(people.speaker(rows["alliance_no"].to_numpy(), rng), dtype=pl.String),
        role=pl.lit(Role.SPEAKER.value),
        record_id="id",
    )
    amounts = rows["amount"].to_list()
    first = [max(a + d, 1) for a, d in zip(amounts, delta.tolist(), strict=True)]
    originals.amounts.update(zip(rows["id"].to_list(), first, strict=True))
    return _Part.of(
        frame,
        AuditAction.UPDATE,
        "financial_entry",
        old=[{"amount": _money_text(a)} for a in first],
        new=[{"amount": _money_text(a)} for a in amounts],
    )


def _report_corrections(rows: pl.DataFrame, people: _People, window: _Window, originals: _Originals) -> _Part:
    """A reported total corrected by the lead organisation 1–30 days after the report."""
    rng, n = window.rng, rows.height
    day = _day_numbers(rows["at"].dt.date()) + rng.integers(1, 31, n)
    frame = rows.with_columns(
        at=_moments(window.clip(day), rng),
        user_name=pl.Series(people.member_accounts[rows["lead_row"].to_numpy()], dtype=pl.String),
        role=pl.lit(Role.MEMBER.value),
        record_id="id",
    )
    values = rows["value"].to_list()
    first = [v - d if v >= d else v + d for v, d in zip(values, rng.integers(1, 4, n).tolist(), strict=True)]
    originals.values.update(zip(rows["id"].to_list(), first, strict=True))
    return _Part.of(
        frame,
        AuditAction.UPDATE,
        "observation",
        old=[{"value": v} for v in first],
        new=[{"value": v} for v in values],
    )


def _budget_changes(rows: pl.DataFrame, people: _People, window: _Window) -> _Part:
    """A year's planned budget of a fund re-planned by a speaker (whole thousands of euros before)."""
    rng, n = window.rng, rows.height
    planned = rows["planned_amount"].to_list()
    factor = rng.uniform(0.85, 1.15, n).tolist()
    frame = rows.with_columns(
        at=_moments(window.days(n), rng),
        user_name=pl.Series(people.speaker(rows["alliance_no"].to_numpy(), rng), dtype=pl.String),
        role=pl.lit(Role.SPEAKER.value),
        record_id="id",
    )
    before = [round(c * f / 100_000) * 100_000 for c, f in zip(planned, factor, strict=True)]
    return _Part.of(
        frame,
        AuditAction.UPDATE,
        "budget",
        old=[
            {"planned_amount": _money_text(b if b != c else c + 100_000)} for b, c in zip(before, planned, strict=True)
        ],
        new=[{"planned_amount": _money_text(c)} for c in planned],
    )


def _archived_and_restored(rows: pl.DataFrame, people: _People, window: _Window) -> list[_Part]:
    """A booking archived by mistake and restored by a speaker minutes to hours later."""
    rng, n = window.rng, rows.height
    archived = _moments(window.clip(_day_numbers(rows["at"].dt.date()) + rng.integers(1, 21, n)), rng)
    restored = archived + pl.Series(rng.integers(5, 121, n) * 60_000_000).cast(pl.Duration("us"))
    user = pl.Series(people.speaker(rows["alliance_no"].to_numpy(), rng), dtype=pl.String)
    base = rows.with_columns(user_name=user, role=pl.lit(Role.SPEAKER.value), record_id="id")
    stamps = [moment.isoformat() for moment in archived.to_list()]
    return [
        _Part.of(
            base.with_columns(at=archived),
            AuditAction.ARCHIVE,
            "financial_entry",
            old=[{"archived_at": None}] * n,
            new=[{"archived_at": stamp} for stamp in stamps],
        ),
        _Part.of(
            base.with_columns(at=restored),
            AuditAction.RESTORE,
            "financial_entry",
            old=[{"archived_at": stamp} for stamp in stamps],
            new=[{"archived_at": None}] * n,
        ),
    ]

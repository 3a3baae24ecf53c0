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

from dashboard.data_access.models import (
    Alliance,
    AllianceRegion,
    AssessmentCriterion,
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
    Topic,
)
from dashboard.data_access.money import cents_to_decimal
from dashboard.data_access.vocabulary import (
    Direction,
    EntryKind,
    Fund,
    MemberType,
    ProjectStatus,
    RegionLevel,
)
from seeds.loader import DEFAULT_CRITERIA

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
    seed: int = 20261122

    def __post_init__(self) -> None:
        if self.alliances < 1 or self.regions < 1:
            raise ValueError("ScaleSpec needs at least one alliance and one region")
        if min(self.projects, self.financial_entries, self.observations) < 0:
            raise ValueError("ScaleSpec row counts must not be negative")
        if self.regions > MAX_REGIONS:
            raise ValueError(f"ScaleSpec.regions is limited to {MAX_REGIONS} synthetic Kreise (Land codes 17–99)")


LARGE = ScaleSpec()
SMALL = ScaleSpec(alliances=3, projects=60, financial_entries=3_000, observations=6_000, regions=12)

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
    streams = dict(
        zip(
            ("regions", "alliances", "projects", "finance", "observations"),
            np.random.default_rng(spec.seed).spawn(5),
            strict=True,
        )
    )
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

        _insert_application_basics(connection, alliance_ids, projects, counts, report)

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
    return rows.drop("partner_rows", "topic_rows", "region_ags")


def _insert_application_basics(
    connection: Connection,
    alliance_ids: pl.DataFrame,
    projects: pl.DataFrame,
    counts: dict[str, int],
    progress: ProgressCallback,
) -> None:
    """The default criteria catalogue per alliance and one status-history row per project (its current status
    since the seed's timestamp); no assessments or statements: the large instance measures reads."""
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
    counts["project_status_change"] = _insert_frame(
        connection,
        ProjectStatusChange,
        projects.select(
            "project_id",
            pl.lit(None, dtype=pl.String).alias("from_status"),
            pl.col("status").alias("to_status"),
            pl.lit(STAMP).alias("changed_at"),
            pl.lit(SOURCE).alias("user_name"),
        ),
        "Statuswechsel",
        progress,
    )


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

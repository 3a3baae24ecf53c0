"""Idempotent loader of the demo alliances (seeds/data/*.yaml) with deterministic example activity data."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, col, select

from dashboard.data_access.models import (
    Alliance,
    AllianceRegion,
    Assessment,
    Budget,
    FinancialEntry,
    Indicator,
    Member,
    Observation,
    Project,
    ProjectPartner,
    ProjectRegion,
    ProjectTopic,
    Region,
    Target,
    Topic,
)
from dashboard.data_access.money import CENT
from dashboard.data_access.vocabulary import (
    Direction,
    EntryKind,
    Fund,
    MemberType,
    ProjectStatus,
    Recommendation,
    RegionLevel,
    TargetScope,
)
from seeds.regional import seed_regional_examples

EXAMPLE = "Beispieldaten"
# The example regional statistic (seeds/regional.py) behind each alliance's regional target.
REGIONAL_TARGET_INDICATOR = "BEISPIEL_REG_ALQ"
PRESS = "press"  # shorthand in the YAML for "the alliance's own source"
# Statuses in which money has been approved and flows.
FUNDED = {
    ProjectStatus.BEWILLIGT,
    ProjectStatus.LAUFEND,
    ProjectStatus.ABGESCHLOSSEN,
    ProjectStatus.ABGEBROCHEN,
}
ASSESSED = FUNDED | {ProjectStatus.BEWERTET, ProjectStatus.ABGELEHNT}
# Default assessment criteria with their weights (the applications issue makes them configurable).
CRITERIA = {
    "regionaler_bedarf": 3,
    "beitrag_fachkraeftestrategie": 3,
    "nachhaltigkeit": 2,
    "umsetzbarkeit": 2,
    "wirtschaftlichkeit": 1,
    "querschnittsziele": 1,
}


class SeedError(ValueError):
    """A seed file is inconsistent; the message names the file, the alliance and the entry."""


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    def count(self, table: str, n: int = 1) -> None:
        self.rows[table] = self.rows.get(table, 0) + n


def read_seed_file(name: str) -> dict[str, Any]:
    text = resources.files("seeds").joinpath("data", name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise SeedError(f"{name}: expected a mapping at the top level")
    return data


def _money(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        raise SeedError(f"{where}: {value!r} is not an amount") from None
    if amount != amount.quantize(CENT) or amount < 0:
        raise SeedError(f"{where}: {value!r} must be ≥ 0 with at most two decimals")
    return amount


def _source(raw: str | None, alliance_source: str) -> str:
    if raw == PRESS:
        return alliance_source
    return raw or EXAMPLE


def _months_between(start: date, end: date) -> int:
    return max(1, (end.year - start.year) * 12 + end.month - start.month + 1)


def _quarter_ends(start: date, end: date) -> Iterator[date]:
    year, quarter = start.year, (start.month - 1) // 3
    while True:
        month = quarter * 3 + 3
        last = date(year + (month == 12), 1 if month == 12 else month + 1, 1) - timedelta(days=1)
        yield min(last, end)
        if last >= end:
            return
        quarter += 1
        if quarter == 4:
            year, quarter = year + 1, 0


def _split_cents(total: int, weights: list[float]) -> list[int]:
    """Split integer cents by weights so that the parts add up exactly to the total."""
    scale = sum(weights)
    parts = [int(total * w / scale) for w in weights]
    parts[-1] += total - sum(parts)
    return parts


def upsert_regions(session: Session, report: SeedReport) -> None:
    data = read_seed_file("regions.yaml")
    existing = set(session.exec(select(Region.ags)).all())
    for raw in data["regions"]:
        if raw["ags"] in existing:
            continue
        session.add(
            Region(
                ags=raw["ags"],
                name=raw["name"],
                level=raw.get("level", RegionLevel.KREIS.value),
                kind=raw.get("kind"),
                land=raw.get("land"),
                population=raw.get("population"),
                population_year=data["population_year"],
                latitude=raw.get("latitude"),
                longitude=raw.get("longitude"),
            )
        )
        report.count("region")


def upsert_indicators(session: Session, report: SeedReport) -> dict[str, int]:
    data = read_seed_file("indicators.yaml")
    existing: dict[str, int] = {code: id_ for code, id_ in session.exec(select(Indicator.code, Indicator.id)) if id_}
    rows = [(raw, data["esf_source"]) for raw in data["indicators"]]
    rows += [(raw, raw["source"]) for raw in data["own_indicators"]]
    for raw, source in rows:
        if raw["code"] in existing:
            continue
        indicator = Indicator(
            code=raw["code"],
            name=raw["name"],
            name_en=raw.get("name_en"),
            unit=raw["unit"],
            direction=raw.get("direction", Direction.UP.value),
            source=source,
        )
        session.add(indicator)
        session.flush()
        assert indicator.id is not None
        existing[indicator.code] = indicator.id
        report.count("indicator")
    return existing


class _AllianceBuilder:
    """Creates one alliance from its YAML entry, then its example activity."""

    def __init__(self, session: Session, raw: dict[str, Any], indicators: dict[str, int], report: SeedReport):
        self.session, self.raw, self.indicators, self.report = session, raw, indicators, report
        self.slug: str = raw["slug"]
        self.members: dict[str, Member] = {}
        self.topics: dict[str, Topic] = {}
        self.projects: list[tuple[Project, dict[str, Any]]] = []
        self.observations: list[Observation] = []
        self.planned_participants: dict[int, int] = {}
        self.project_topics: dict[int, list[str]] = {}

    def where(self, *parts: str) -> str:
        return " › ".join(["alliances.yaml", self.slug, *parts])

    def add(self, row: SQLModel) -> None:
        self.session.add(row)
        self.report.count(str(getattr(row, "__tablename__", type(row).__name__)))

    def build(self) -> None:
        raw = self.raw
        alliance = Alliance(
            slug=self.slug,
            name=raw["name"],
            short_name=raw["short_name"],
            land=raw["land"],
            programme=raw["programme"],
            office=raw.get("office"),
            period_start=raw["period_start"],
            period_end=raw["period_end"],
            description=raw.get("description", ""),
            source=raw["source"],
        )
        self.add(alliance)
        self.session.flush()
        assert alliance.id is not None
        self.alliance = alliance
        known_regions = set(self.session.exec(select(Region.ags)).all())
        for ags in raw["regions"]:
            self._require_region(ags, known_regions, "regions")
            self.add(AllianceRegion(alliance_id=alliance.id, region_ags=ags))
        for budget in raw["budgets"]:
            self._require_fund(budget["fund"], "budgets")
            amount = _money(budget["amount"], self.where("budgets", str(budget["year"])))
            self.add(
                Budget(
                    alliance_id=alliance.id,
                    fund=budget["fund"],
                    year=budget["year"],
                    planned_amount=amount,
                    source=budget.get("source", EXAMPLE),
                )
            )
        for topic_raw in raw["topics"]:
            topic = Topic(
                alliance_id=alliance.id,
                name=topic_raw["name"],
                description=topic_raw.get("description", ""),
                source=_source(topic_raw.get("source"), alliance.source),
            )
            self.add(topic)
            self.topics[topic.name] = topic
        for member_raw in raw["members"]:
            if member_raw["type"] not in set(MemberType):
                raise SeedError(f"{self.where('members', member_raw['name'])}: unknown type {member_raw['type']!r}")
            self._require_region(member_raw["region"], known_regions, "members", member_raw["name"])
            member = Member(
                alliance_id=alliance.id,
                name=member_raw["name"],
                member_type=member_raw["type"],
                region_ags=member_raw["region"],
                joined_on=member_raw.get("joined"),
                source=_source(member_raw.get("source"), alliance.source),
            )
            self.add(member)
            self.members[member.name] = member
        self.session.flush()
        for project_raw in raw["projects"]:
            self._add_project(project_raw, known_regions)
        self.session.flush()
        for project, project_raw in self.projects:
            rng = random.Random(f"{self.slug}/{project.title}")
            delay = int(project_raw.get("payment_delay_days", 0))
            self._add_finance(project, float(project_raw.get("pace", 1.0)), rng, delay)
            self._add_observations(project, rng)
            self._add_assessment(project, rng)
        self._add_targets()

    def _require_region(self, ags: str, known: set[str], *where: str) -> None:
        if ags not in known:
            raise SeedError(f"{self.where(*where)}: unknown region AGS {ags!r} (add it to regions.yaml)")

    def _require_fund(self, fund: str, *where: str) -> None:
        if fund not in set(Fund):
            raise SeedError(f"{self.where(*where)}: unknown fund {fund!r}")

    def _lookup(self, table: dict[str, Any], name: str, kind: str, project: str) -> Any:
        try:
            return table[name]
        except KeyError:
            raise SeedError(f"{self.where('projects', project)}: unknown {kind} {name!r}") from None

    def _add_project(self, raw: dict[str, Any], known_regions: set[str]) -> None:
        title = raw["title"]
        if raw["status"] not in set(ProjectStatus):
            raise SeedError(f"{self.where('projects', title)}: unknown status {raw['status']!r}")
        self._require_fund(raw["fund"], "projects", title)
        lead = self._lookup(self.members, raw["lead"], "lead member", title)

        def money(key: str) -> Decimal | None:
            return _money(raw[key], self.where("projects", title, key)) if key in raw else None

        assert self.alliance.id is not None
        project = Project(
            alliance_id=self.alliance.id,
            title=title,
            description=raw.get("description", ""),
            lead_member_id=lead.id,
            status=raw["status"],
            start_date=raw.get("start"),
            end_date=raw.get("end"),
            total_cost=money("total_cost") or Decimal("0.00"),
            requested_grant=money("requested"),
            approved_grant=money("approved"),
            fund=raw["fund"],
            source=_source(raw.get("source"), self.alliance.source),
            is_example=raw.get("source") is None,
        )
        self.add(project)
        self.session.flush()
        assert project.id is not None
        for name in raw.get("partners", []):
            partner = self._lookup(self.members, name, "partner member", title)
            self.add(ProjectPartner(project_id=project.id, member_id=partner.id))
        for name in raw.get("topics", []):
            topic = self._lookup(self.topics, name, "topic", title)
            self.add(ProjectTopic(project_id=project.id, topic_id=topic.id))
            self.project_topics.setdefault(project.id, []).append(topic.name)
        for ags in raw.get("regions", []):
            self._require_region(ags, known_regions, "projects", title)
            self.add(ProjectRegion(project_id=project.id, region_ags=ags))
        self.projects.append((project, raw))

    def _add_finance(self, project: Project, pace: float, rng: random.Random, delay_days: int = 0) -> None:
        if project.status not in FUNDED or not project.approved_grant or not project.start_date:
            return
        assert project.id is not None and project.end_date is not None
        approved = int(project.approved_grant * 100)
        start, end = project.start_date, project.end_date
        committed_on = max(self.alliance.period_start, start - timedelta(days=rng.randint(14, 45)))
        months = _months_between(start, end)
        # Long projects get their approval in two tranches, as funding banks often do.
        tranches = _split_cents(approved, [0.6, 0.4]) if months > 18 else [approved]
        for i, amount in enumerate(tranches):
            self._entry(project, committed_on + timedelta(days=365 * i), EntryKind.COMMITMENT, amount)
        paid_total = round(approved * min(pace, 1.0))
        quarters = list(_quarter_ends(start, end))
        if project.status == ProjectStatus.ABGEBROCHEN:
            quarters = quarters[: max(1, round(len(quarters) * pace))]
            # The funding bank partly revokes the approval: a negative commitment frees the rest.
            revoked_on = quarters[-1] + timedelta(days=60)
            self._entry(project, revoked_on, EntryKind.COMMITMENT, paid_total - approved)
        # Payments follow the quarters after costs arise; the last one after the final report.
        dates = [q + timedelta(days=rng.randint(20, 50)) for q in quarters]
        if delay_days:
            # A slow start: the first claims are only paid out together once the project has caught up.
            first_paid = start + timedelta(days=delay_days)
            dates = [max(day, first_paid) for day in dates]
        weights = [rng.uniform(0.7, 1.3) for _ in dates]
        for paid_on, amount in zip(dates, _split_cents(paid_total, weights), strict=True):
            if amount > 0:
                self._entry(project, paid_on, EntryKind.DISBURSEMENT, amount)

    def _entry(self, project: Project, on: date, kind: EntryKind, amount_cents: int) -> None:
        assert project.id is not None
        self.add(
            FinancialEntry(
                project_id=project.id,
                entry_date=on,
                kind=kind.value,
                amount=(Decimal(amount_cents) / 100).quantize(CENT),
                fund=project.fund,
                note=EXAMPLE,
            )
        )

    def _observation(
        self, project: Project, code: str, on: date, value: float, *, cumulative: bool, dimensions: str = ""
    ) -> None:
        observation = Observation(
            indicator_id=self.indicators[code],
            project_id=project.id,
            period_end=on,
            dimensions=dimensions,
            value=value,
            is_cumulative=cumulative,
            source=EXAMPLE,
        )
        self.add(observation)
        self.observations.append(observation)

    def _add_observations(self, project: Project, rng: random.Random) -> None:
        """Half-yearly cumulative participant counts (with breakdowns by sex) and results at the end (example data)."""
        if project.status not in FUNDED or not project.start_date or not project.end_date:
            return
        assert project.id is not None
        per_euro = rng.uniform(0.8, 1.6) / 1000  # participants per euro of grant
        total = max(8, round(float(project.approved_grant or 0) * per_euro))
        self.planned_participants[project.id] = total
        if project.status == ProjectStatus.ABGEBROCHEN:
            total = round(total * 0.4)
        reports = [q for q in _quarter_ends(project.start_date, project.end_date) if q.month in (6, 12)]
        reports = reports or [project.end_date]
        esf = project.fund == Fund.ESF
        code = "EECO01" if esf else "FKB_RUECKKEHR_BERATEN"
        women, diverse = rng.uniform(0.38, 0.62), rng.randint(0, 2)
        advises_companies = self._in_first_topic(project)
        for i, on in enumerate(reports, start=1):
            reached = round(total * i / len(reports))
            self._observation(project, code, on, reached, cumulative=True)
            if esf:
                # Breakdowns add up to the total: a few "divers", the rest split between women and men.
                d = min(diverse, reached)
                w = min(round(reached * women), reached - d)
                for dimensions, value in (("sex=w", w), ("sex=m", reached - w - d), ("sex=d", d)):
                    self._observation(project, "EECO01", on, value, cumulative=True, dimensions=dimensions)
                self._observation(project, "EECO02", on, round(reached * 0.42), cumulative=True)
                self._observation(project, "EECO13", on, round(reached * 0.35), cumulative=True)
            if advises_companies:
                self._observation(
                    project, "FKB_UNTERNEHMEN_BERATEN", on, round(total * 0.3 * i / len(reports)), cumulative=True
                )
        if "Fachkräfte" in project.title or "Welcome" in project.title:
            for i, on in enumerate(reports, start=1):
                self._observation(
                    project, "FKB_INT_VERMITTELT", on, round(total * 0.25 * i / len(reports)), cumulative=True
                )
        if esf and advises_companies:
            self._observation(project, "EECO19", reports[-1], rng.randint(3, 25), cumulative=False)
        if esf and project.status == ProjectStatus.ABGESCHLOSSEN:
            employed = round(total * rng.uniform(0.25, 0.4))
            # EECR01 and EECR04 exclude each other per participant: together at most the participants.
            searching = round(total * rng.uniform(0.1, 0.25))
            for result, value in (
                ("EECR01", searching),
                ("EECR04", employed),
                ("EECR03", round(total * rng.uniform(0.3, 0.5))),
            ):
                self._observation(project, result, project.end_date, value, cumulative=False)

    def _in_first_topic(self, project: Project) -> bool:
        """Projects of the alliance's first Handlungsfeld report companies advised (its topic target counts them)."""
        if not self.topics:
            return False
        first = next(iter(self.topics.values()))
        return any(topic == first.name for topic in self.project_topics.get(project.id or 0, ()))

    def _add_assessment(self, project: Project, rng: random.Random) -> None:
        if project.status not in ASSESSED or not project.start_date:
            return
        rejected = project.status == ProjectStatus.ABGELEHNT
        scores = {name: rng.randint(1, 3) if rejected else rng.randint(3, 5) for name in CRITERIA}
        total = sum(CRITERIA[name] * score for name, score in scores.items()) / sum(CRITERIA.values())
        if rejected:
            recommendation = Recommendation.NICHT_BEFUERWORTET
        elif total >= 4:
            recommendation = Recommendation.BEFUERWORTET
        else:
            recommendation = Recommendation.MIT_AUFLAGEN
        assert project.id is not None
        self.add(
            Assessment(
                project_id=project.id,
                assessed_on=project.start_date - timedelta(days=rng.randint(60, 120)),
                scores=scores,
                total_score=round(total, 2),
                recommendation=recommendation.value,
                statement=f"{EXAMPLE}: fachliche Stellungnahme des Bündnisses zum Antrag.",
            )
        )

    def _add_targets(self) -> None:
        """An alliance target per reported indicator and a topic target, sized from the example activity."""
        alliance = self.alliance
        assert alliance.id is not None
        codes = {"EECO01": 1.15, "FKB_RUECKKEHR_BERATEN": 1.1, "FKB_INT_VERMITTELT": 1.0, "EECR04": 0.9}
        for code, factor in codes.items():
            # Cumulative series: a project's latest value is its total; never sum across reporting dates.
            finals: dict[int | None, float] = {}
            for o in self.observations:
                if o.indicator_id == self.indicators[code] and o.value is not None and not o.dimensions:
                    finals[o.project_id] = max(finals.get(o.project_id, 0.0), o.value)
            if not finals:
                continue
            goal = round(sum(finals.values()) * factor / 10) * 10 or 10
            self.add(
                Target(
                    alliance_id=alliance.id,
                    indicator_id=self.indicators[code],
                    scope=TargetScope.ALLIANCE.value,
                    description=f"{EXAMPLE}: Bündnisziel bis zum Ende der Förderperiode",
                    baseline_value=0,
                    baseline_date=alliance.period_start,
                    target_value=goal,
                    due_date=alliance.period_end,
                )
            )
        if self.topics:
            topic = next(iter(self.topics.values()))
            self.add(
                Target(
                    alliance_id=alliance.id,
                    indicator_id=self.indicators["FKB_UNTERNEHMEN_BERATEN"],
                    scope=TargetScope.TOPIC.value,
                    topic_id=topic.id,
                    description=f"{EXAMPLE}: Ziel des Handlungsfelds {topic.name}",
                    baseline_value=0,
                    baseline_date=alliance.period_start,
                    target_value=120,
                    due_date=alliance.period_end,
                )
            )
        self._add_project_target()
        self._add_regional_target()

    def _add_project_target(self) -> None:
        """The participants planned for the first running ESF+ project, as that project's own target."""
        running = [
            p for p, _ in self.projects if p.status == ProjectStatus.LAUFEND and p.fund == Fund.ESF and p.end_date
        ]
        if not running or running[0].id not in self.planned_participants:
            return
        project = running[0]
        assert project.id is not None and project.start_date is not None and project.end_date is not None
        assert self.alliance.id is not None
        self.add(
            Target(
                alliance_id=self.alliance.id,
                indicator_id=self.indicators["EECO01"],
                scope=TargetScope.PROJECT.value,
                project_id=project.id,
                description=f"{EXAMPLE}: geplante Teilnehmende laut Antrag",
                baseline_value=0,
                baseline_date=project.start_date,
                target_value=self.planned_participants[project.id],
                due_date=project.end_date,
            )
        )

    def _add_regional_target(self) -> None:
        """Lower the (example) unemployment rate of the alliance's Kreise by one point over the funding period."""
        alliance = self.alliance
        indicator = self.session.exec(select(Indicator).where(Indicator.code == REGIONAL_TARGET_INDICATOR)).first()
        if indicator is None or indicator.id is None:
            return
        base_day = date(alliance.period_start.year - 1, 12, 31)
        rows = self.session.exec(
            select(Observation.value, Region.population)
            .join(Region, col(Region.ags) == col(Observation.region_ags))
            .join(AllianceRegion, col(AllianceRegion.region_ags) == col(Region.ags))
            .where(
                AllianceRegion.alliance_id == alliance.id,
                Observation.indicator_id == indicator.id,
                col(Observation.project_id).is_(None),
                Observation.dimensions == "",
                Observation.period_end == base_day,
            )
        ).all()
        weighted = [(value, population) for value, population in rows if value is not None and population]
        if not weighted:
            return
        baseline = sum(v * p for v, p in weighted) / sum(p for _, p in weighted)
        assert alliance.id is not None
        self.add(
            Target(
                alliance_id=alliance.id,
                indicator_id=indicator.id,
                scope=TargetScope.ALLIANCE.value,
                description=f"{EXAMPLE}: Arbeitslosenquote im Bündnisgebiet um einen Punkt senken",
                baseline_value=round(baseline, 3),
                baseline_date=base_day,
                target_value=round(baseline - 1.0, 1),
                due_date=alliance.period_end,
            )
        )


def seed_demo(engine: Engine, *, reset: bool = False, progress: Callable[[str], None] | None = None) -> SeedReport:
    """Load the demo alliances in one transaction; alliances that exist are skipped unless ``reset``."""
    report = SeedReport()
    data = read_seed_file("alliances.yaml")
    with Session(engine) as session, session.begin():
        upsert_regions(session, report)
        session.flush()
        indicators = upsert_indicators(session, report)
        seed_regional_examples(session, report.count)
        for raw in data["alliances"]:
            existing = session.exec(select(Alliance).where(Alliance.slug == raw["slug"])).first()
            if existing is not None and not reset:
                report.skipped.append(raw["slug"])
                continue
            if existing is not None:
                session.delete(existing)
                session.flush()
            if progress:
                progress(raw["name"])
            _AllianceBuilder(session, raw, indicators, report).build()
            report.created.append(raw["slug"])
    return report

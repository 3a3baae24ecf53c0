"""Idempotent loader of the demo alliances (seeds/data/*.yaml) with deterministic example activity data."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import Engine, delete
from sqlmodel import Session, SQLModel, col, select

from dashboard.data_access.applications import facts_for
from dashboard.data_access.models import (
    Alliance,
    AllianceRegion,
    Assessment,
    AssessmentCriterion,
    AssessmentScore,
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
from dashboard.data_access.money import CENT
from dashboard.data_access.scope import SYSTEM_SCOPE
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
from dashboard.domain import assessment as rules
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
# The default assessment criteria catalogue of every alliance (speakers adapt it on "Anträge & Stellungnahmen"):
# code, name, weight, what it asks, and the written anchor of each scale point 0–5.
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
        "strong": "Der Bedarf ist mit Zahlen aus den Kreisen gut belegt.",
        "weak": "Der regionale Bedarf wird eher behauptet als belegt.",
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
        "strong": "Passt genau zu den Handlungsfeldern der Strategie.",
        "weak": "Der Bezug zur Fachkräftestrategie bleibt vage.",
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
        "strong": "Die Verstetigung ist mit den Partnern abgesprochen.",
        "weak": "Was nach der Förderung bleibt, ist offen.",
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
        "strong": "Der Träger hat Erfahrung mit vergleichbaren Vorhaben.",
        "weak": "Der Zeitplan wirkt knapp, die Personalplanung ist dünn.",
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
        "strong": "Die Kosten je Teilnehmenden sind angemessen.",
        "weak": "Die Sachkosten erscheinen hoch.",
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
        "strong": "Gleichstellung ist mit konkreten Maßnahmen hinterlegt.",
        "weak": "Zu Gleichstellung und Nichtdiskriminierung fehlen konkrete Maßnahmen.",
    },
]
CRITERIA = {criterion["code"]: int(criterion["weight"]) for criterion in DEFAULT_CRITERIA}
# How good an application is per criterion (the middle of its scores), by where it ended up.
QUALITY = {
    ProjectStatus.ABGELEHNT: (1.2, 2.8),
    ProjectStatus.ZURUECKGEZOGEN: (1.8, 3.4),
    ProjectStatus.BEANTRAGT: (2.2, 4.6),
    ProjectStatus.BEWERTET: (2.4, 4.6),
}
FUNDED_QUALITY = (3.4, 4.9)
# The statuses a project passes on its way to its current one.
_APPLIED = (ProjectStatus.IDEE, ProjectStatus.BEANTRAGT)
_APPROVED = (*_APPLIED, ProjectStatus.BEWERTET, ProjectStatus.BEWILLIGT)
STATUS_PATHS: dict[ProjectStatus, tuple[ProjectStatus, ...]] = {
    ProjectStatus.IDEE: (ProjectStatus.IDEE,),
    ProjectStatus.BEANTRAGT: _APPLIED,
    ProjectStatus.ZURUECKGEZOGEN: (*_APPLIED, ProjectStatus.ZURUECKGEZOGEN),
    ProjectStatus.BEWERTET: (*_APPLIED, ProjectStatus.BEWERTET),
    ProjectStatus.ABGELEHNT: (*_APPLIED, ProjectStatus.BEWERTET, ProjectStatus.ABGELEHNT),
    ProjectStatus.BEWILLIGT: _APPROVED,
    ProjectStatus.LAUFEND: (*_APPROVED, ProjectStatus.LAUFEND),
    ProjectStatus.ABGESCHLOSSEN: (*_APPROVED, ProjectStatus.LAUFEND, ProjectStatus.ABGESCHLOSSEN),
    ProjectStatus.ABGEBROCHEN: (*_APPROVED, ProjectStatus.LAUFEND, ProjectStatus.ABGEBROCHEN),
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


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def _comment(scores: dict[str, int]) -> str:
    """A short remark of an assessor: the best and, if any is weak, the weakest criterion (example data)."""
    notes = {raw["code"]: raw for raw in DEFAULT_CRITERIA}
    ordered = sorted(scores, key=lambda code: (-scores[code], -CRITERIA[code]))
    best, worst = ordered[0], ordered[-1]
    parts = [notes[best]["strong"]] if scores[best] >= 4 else []
    if scores[worst] <= 2:
        parts.append(notes[worst]["weak"])
    return " ".join(parts)


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
        self.criteria: list[AssessmentCriterion] = []
        self.approved_on: dict[int, date] = {}  # the first commitment of a funded project
        self.stopped_on: dict[int, date] = {}  # when a cancelled project's approval was partly revoked

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
        self._add_criteria()
        self.session.flush()
        for project_raw in raw["projects"]:
            self._add_project(project_raw, known_regions)
        self.session.flush()
        for project, project_raw in self.projects:
            rng = random.Random(f"{self.slug}/{project.title}")
            delay = int(project_raw.get("payment_delay_days", 0))
            self._add_finance(project, float(project_raw.get("pace", 1.0)), rng, delay)
            self._add_observations(project, rng)
        self._add_applications()
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
        self.approved_on[project.id] = committed_on
        paid_total = round(approved * min(pace, 1.0))
        quarters = list(_quarter_ends(start, end))
        if project.status == ProjectStatus.ABGEBROCHEN:
            quarters = quarters[: max(1, round(len(quarters) * pace))]
            # The funding bank partly revokes the approval: a negative commitment frees the rest.
            revoked_on = quarters[-1] + timedelta(days=60)
            self.stopped_on[project.id] = revoked_on
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

    def _add_criteria(self) -> None:
        assert self.alliance.id is not None
        for position, raw in enumerate(DEFAULT_CRITERIA):
            criterion = AssessmentCriterion(
                alliance_id=self.alliance.id,
                code=raw["code"],
                name=raw["name"],
                description=raw["description"],
                weight=raw["weight"],
                required=True,
                position=position,
                anchors={str(point): text for point, text in enumerate(raw["anchors"])},
            )
            self.add(criterion)
            self.criteria.append(criterion)

    def _timeline(self, project: Project, raw: dict[str, Any], rng: random.Random) -> list[tuple[str, date]]:
        """The statuses the project went through and when, consistent with its dates and bookings: the idea,
        the application, the finalised statement, the approval (first commitment), the start, the end."""
        status = ProjectStatus(project.status)
        assert project.id is not None
        approved = self.approved_on.get(project.id)
        start, end = project.start_date, project.end_date
        assessed: date | None = raw.get("assessed")
        if assessed is None and approved is not None:
            assessed = approved - timedelta(days=rng.randint(14, 35))
        elif assessed is None and start is not None and status in ASSESSED:
            assessed = start - timedelta(days=rng.randint(60, 100))
        submitted: date | None = raw.get("submitted")
        if submitted is None and assessed is not None:
            submitted = assessed - timedelta(days=rng.randint(45, 90))
        elif submitted is None and start is not None:
            submitted = start - timedelta(days=rng.randint(120, 180))
        idea = raw.get("idea") or (
            submitted - timedelta(days=rng.randint(30, 90))
            if submitted
            else self.alliance.period_start + timedelta(days=rng.randint(60, 300))
        )
        S = ProjectStatus
        on: dict[ProjectStatus, date | None] = {
            S.IDEE: idea,
            S.BEANTRAGT: submitted,
            S.ZURUECKGEZOGEN: submitted + timedelta(days=rng.randint(20, 40)) if submitted else None,
            S.BEWERTET: assessed,
            S.ABGELEHNT: assessed + timedelta(days=rng.randint(14, 30)) if assessed else None,
            S.BEWILLIGT: approved,
            S.LAUFEND: max(start, approved + timedelta(days=1)) if start and approved else None,
            S.ABGESCHLOSSEN: end,
            S.ABGEBROCHEN: self.stopped_on.get(project.id, end or start),
        }
        steps: list[tuple[str, date]] = []
        for step in STATUS_PATHS[status]:
            day = on[step]
            if day is None:
                break
            steps.append((step.value, day))
        return steps

    def _add_applications(self) -> None:
        """Status history, independent assessments and the finalised statement of every project (example data)."""
        for project, raw in self.projects:
            rng = random.Random(f"{self.slug}/{project.title}/antrag")
            steps = self._timeline(project, raw, rng)
            previous: str | None = None
            for status, on in steps:
                self.add(
                    ProjectStatusChange(
                        project_id=project.id or 0,
                        from_status=previous,
                        to_status=status,
                        changed_at=_noon(on),
                        user_name=EXAMPLE,
                    )
                )
                previous = status
            reached = dict(steps)
            if ProjectStatus.BEANTRAGT.value not in reached:
                continue
            assessed = reached.get(ProjectStatus.BEWERTET.value)
            count = int(raw.get("assessments", rng.choice((2, 2, 3)) if assessed else 0))
            partners = [self.members[name].id or 0 for name in raw.get("partners", [])]
            self._add_assessments(
                project,
                rng=rng,
                count=count,
                partner_ids=partners,
                submitted=reached[ProjectStatus.BEANTRAGT.value],
                assessed=assessed,
            )
            if assessed is not None:
                self.session.flush()
                self._add_statement(project, assessed)

    def _add_assessments(
        self,
        project: Project,
        *,
        rng: random.Random,
        count: int,
        partner_ids: list[int],
        submitted: date,
        assessed: date | None,
    ) -> None:
        """``count`` member organisations without a conflict of interest score the application independently."""
        if count <= 0:
            return
        assert project.id is not None
        conflicted = rules.conflicted_members(project.lead_member_id, partner_ids)
        eligible = [m for m in self.members.values() if m.id not in conflicted]
        assessors = rng.sample(eligible, min(count, len(eligible)))
        status = ProjectStatus(project.status)
        low, high = QUALITY.get(status, FUNDED_QUALITY)
        quality = {c.code: rng.uniform(low, high) for c in self.criteria}
        # The first open statement of an alliance shows a disagreement to discuss (a flagged spread).
        first_open = next((p.id for p, _ in self.projects if p.status == ProjectStatus.BEWERTET), None)
        disputed = self.criteria[2].code if project.id == first_open else None
        given: list[tuple[Assessment, dict[str, int]]] = []
        for i, member in enumerate(assessors):
            scores = {
                c.code: max(rules.SCORE_MIN, min(rules.SCORE_MAX, round(quality[c.code] + rng.gauss(0, 0.55))))
                for c in self.criteria
            }
            if disputed and i < 2:
                scores[disputed] = (2, 5)[i]
            day = (assessed or submitted + timedelta(days=40)) - timedelta(days=rng.randint(3, 20))
            assessment = Assessment(
                project_id=project.id,
                assessor_member_id=member.id,
                assessor_name=EXAMPLE,
                assessed_on=max(day, submitted + timedelta(days=5)),
                comment=_comment(scores),
            )
            self.add(assessment)
            given.append((assessment, scores))
        self.session.flush()
        for assessment, scores in given:
            for criterion in self.criteria:
                assert assessment.id is not None and criterion.id is not None
                self.add(
                    AssessmentScore(
                        assessment_id=assessment.id, criterion_id=criterion.id, score=scores[criterion.code]
                    )
                )

    def _add_statement(self, project: Project, assessed: date) -> None:
        """The finalised statement, its facts snapshot built by the same code as the application page's."""
        assert project.id is not None
        facts = facts_for(self.session.connection(), SYSTEM_SCOPE, project.id, assessed)
        proposal = rules.recommendation_proposal(facts["weighted_total"], facts["criterion_means"])
        status = ProjectStatus(project.status)
        if status == ProjectStatus.ABGELEHNT:
            recommendation = Recommendation.NICHT_BEFUERWORTET.value
        elif status in FUNDED and not rules.is_positive(proposal):
            recommendation = Recommendation.MIT_AUFLAGEN.value
        else:
            recommendation = proposal or Recommendation.MIT_AUFLAGEN.value
        text = rules.statement_text(facts, "de") + f"\n\n{EXAMPLE}: für die Demo erzeugte Stellungnahme."
        self.add(
            Statement(
                project_id=project.id,
                number=1,
                text=text,
                recommendation=recommendation,
                weighted_total=facts["weighted_total"],
                facts=facts,
                finalised_at=_noon(assessed),
                finalised_by=EXAMPLE,
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
                # Assessments name their organisation with ON DELETE RESTRICT (an organisation that assessed stays;
                # PostgreSQL checks that before the project cascade reaches them), so they go first.
                session.execute(
                    delete(Assessment).where(
                        col(Assessment.project_id).in_(select(Project.id).where(Project.alliance_id == existing.id))
                    )
                )
                session.delete(existing)
                session.flush()
            if progress:
                progress(raw["name"])
            _AllianceBuilder(session, raw, indicators, report).build()
            report.created.append(raw["slug"])
    return report

"""Rules of assessing funding applications: weighted totals, spread flags, conflicts, transitions, the draft text.

Scale: every criterion is scored with a whole number from 0 to 5 (written anchors per point in the catalogue).

* An assessment's weighted total is Σ(weight · score) / Σ(weight) over the criteria it scored.
* The application's total is Σ(weight · mean score of the criterion across assessors) / Σ(weight) over the
  criteria anyone scored. Both are rounded to two decimals.
* The spread of a criterion is max − min across assessors; it is flagged for discussion at ``SPREAD_FLAG``
  points or more. The application is flagged when any criterion is, or when the assessors' weighted totals
  differ by ``TOTAL_SPREAD_FLAG`` or more.
* An organisation that applies (lead) or takes part (partner) has a conflict of interest and never scores.
* A statement is finalised only with at least ``MIN_ASSESSMENTS`` assessments and a recommendation.
* Status transitions are the ``ALLOWED`` map; beantragt → bewertet happens only by finalising the statement,
  bewertet → bewilligt only with a finalised statement whose recommendation is positive.

The recommendation proposal of the draft text: befürwortet at a total of ``PROPOSE_APPROVE`` or more with no
criterion mean below ``WEAK_MEAN``; befürwortet mit Auflagen at ``PROPOSE_CONDITIONS`` or more; otherwise nicht
befürwortet. The speaker decides; the proposal only fills the draft.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import polars as pl

from dashboard.data_access.vocabulary import ProjectStatus, Recommendation
from dashboard.i18n import formats, label

SCORE_MIN = 0
SCORE_MAX = 5
SPREAD_FLAG = 2  # points between the lowest and the highest score of a criterion
TOTAL_SPREAD_FLAG = 1.5  # points between the lowest and the highest weighted total of the assessors
MIN_ASSESSMENTS = 2
STRONG_MEAN = 4.0  # a criterion mean at or above: named as a strength in the draft
WEAK_MEAN = 2.5  # below: named as a weakness
CONDITION_MEAN = 3.0  # below: named in the conditions of an approval with conditions
APPROVE_LOWEST_MEAN = 2.0  # an unconditional approval needs every criterion mean at or above
PROPOSE_APPROVE = 3.5
PROPOSE_CONDITIONS = 2.5
COMMENT_LIMIT = 4000  # characters of an assessor's comment
NEED_ROWS_IN_TEXT = 8  # need indicators named in the draft text (the document's table shows them all)

S = ProjectStatus
# Applications: the open stages, then the decisions (pipeline order).
OPEN_STATUSES: tuple[str, ...] = (S.IDEE.value, S.BEANTRAGT.value, S.BEWERTET.value)
DECIDED_STATUSES: tuple[str, ...] = (S.BEWILLIGT.value, S.ABGELEHNT.value, S.ZURUECKGEZOGEN.value)
PIPELINE_STATUSES: tuple[str, ...] = OPEN_STATUSES + DECIDED_STATUSES
# Where assessments may be recorded and statements drafted and finalised.
ASSESSABLE_STATUSES: tuple[str, ...] = (S.BEANTRAGT.value, S.BEWERTET.value)

ALLOWED: dict[str, tuple[str, ...]] = {
    S.IDEE.value: (S.BEANTRAGT.value,),
    S.BEANTRAGT.value: (S.BEWERTET.value, S.ZURUECKGEZOGEN.value),
    S.BEWERTET.value: (S.BEWILLIGT.value, S.ABGELEHNT.value, S.ZURUECKGEZOGEN.value),
    S.BEWILLIGT.value: (S.LAUFEND.value,),
}
# Transitions that only finalising a statement makes (never a status change of its own).
BY_STATEMENT_ONLY: frozenset[tuple[str, str]] = frozenset({(S.BEANTRAGT.value, S.BEWERTET.value)})
POSITIVE: frozenset[str] = frozenset({Recommendation.BEFUERWORTET.value, Recommendation.MIT_AUFLAGEN.value})

SCORES_SCHEMA: dict[str, pl.DataType] = {
    "assessment_id": pl.Int64(),
    "code": pl.String(),
    "weight": pl.Int64(),
    "score": pl.Int64(),
}
SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "code": pl.String(),
    "criterion": pl.String(),
    "weight": pl.Int64(),
    "mean": pl.Float64(),
    "min": pl.Int64(),
    "max": pl.Int64(),
    "spread": pl.Int64(),
    "flagged": pl.Boolean(),
}


# --- scores ------------------------------------------------------------------------------------------------------


def _weighted(value: pl.Expr) -> pl.Expr:
    return ((pl.col("weight") * value).sum() / pl.col("weight").sum()).round(2)


def assessment_totals(scores: pl.DataFrame) -> pl.DataFrame:
    """Per assessment (``assessment_id``): its weighted total over the criteria it scored."""
    return (
        scores.filter(pl.col("score").is_not_null())
        .group_by("assessment_id", maintain_order=True)
        .agg(_weighted(pl.col("score")).alias("weighted_total"))
    )


def criterion_means(scores: pl.DataFrame) -> pl.DataFrame:
    """Per criterion (``code``, ``weight``): mean, lowest and highest score across assessors, and the spread."""
    return (
        scores.filter(pl.col("score").is_not_null())
        .group_by("code", maintain_order=True)
        .agg(
            pl.col("weight").first(),
            pl.col("score").mean().alias("mean"),
            pl.col("score").min().cast(pl.Int64).alias("min"),
            pl.col("score").max().cast(pl.Int64).alias("max"),
        )
        .with_columns(spread=pl.col("max") - pl.col("min"))
    )


def application_total(scores: pl.DataFrame) -> float | None:
    """Σ(weight · criterion mean) / Σ(weight) over the scored criteria, or None without scores."""
    means = criterion_means(scores)
    if means.is_empty():
        return None
    return float(means.select(_weighted(pl.col("mean"))).item())


def criterion_summary(criteria: pl.DataFrame, scores: pl.DataFrame) -> pl.DataFrame:
    """One row per criterion of ``criteria`` (code, criterion, weight; in display order) with the statistics of
    ``scores``; unscored criteria have null statistics and are not flagged."""
    means = criterion_means(scores).drop("weight")
    return (
        criteria.select("code", "criterion", "weight")
        .join(means, on="code", how="left", maintain_order="left")
        .with_columns(
            pl.col("mean").round(2),
            flagged=(pl.col("spread") >= SPREAD_FLAG).fill_null(False),
        )
        .select(pl.col(name).cast(dtype) for name, dtype in SUMMARY_SCHEMA.items())
    )


def totals_diverge(totals: pl.DataFrame) -> bool:
    """Whether the assessors' weighted totals lie ``TOTAL_SPREAD_FLAG`` points or more apart."""
    if totals.height < 2:
        return False
    spread = totals.select(pl.col("weighted_total").max() - pl.col("weighted_total").min()).item()
    return bool(spread is not None and spread >= TOTAL_SPREAD_FLAG - 1e-9)


def is_flagged(summary: pl.DataFrame, totals: pl.DataFrame) -> bool:
    return bool(summary["flagged"].any()) or totals_diverge(totals)


def recommendation_proposal(weighted_total: float | None, means: Mapping[str, float]) -> str | None:
    """The recommendation the scores suggest (module docstring), or None without any score."""
    if weighted_total is None:
        return None
    lowest = min(means.values(), default=weighted_total)
    if weighted_total >= PROPOSE_APPROVE and lowest >= APPROVE_LOWEST_MEAN:
        return Recommendation.BEFUERWORTET.value
    if weighted_total >= PROPOSE_CONDITIONS:
        return Recommendation.MIT_AUFLAGEN.value
    return Recommendation.NICHT_BEFUERWORTET.value


def is_positive(recommendation: str | None) -> bool:
    return recommendation in POSITIVE


# --- who may score, where an application may go -----------------------------------------------------------------


def conflicted_members(lead_member_id: int | None, partner_ids: Iterable[int]) -> frozenset[int]:
    """The organisations with a conflict of interest: the applicant and every project partner."""
    found = set(partner_ids)
    if lead_member_id is not None:
        found.add(lead_member_id)
    return frozenset(found)


def transition_allowed(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED.get(from_status, ())


def next_statuses(status: str, *, positive_final: bool) -> list[str]:
    """The statuses an application can be moved to by hand from ``status`` (finalising moves to bewertet;
    bewilligt needs a positive finalised statement)."""
    return [
        target
        for target in ALLOWED.get(status, ())
        if (status, target) not in BY_STATEMENT_ONLY and (target != S.BEWILLIGT.value or positive_final)
    ]


# --- the pipeline ------------------------------------------------------------------------------------------------


def pipeline_summary(pipeline: pl.DataFrame, statuses: Sequence[str] = PIPELINE_STATUSES) -> pl.DataFrame:
    """Per status in pipeline order: applications, requested grant (sum of the rows' ``requested_grant``; nulls
    count as nothing) and the median waiting days in that stage. Every status of ``statuses`` has a row."""
    order = pl.DataFrame({"status": list(statuses)}, schema={"status": pl.String()})
    per_status = pipeline.group_by("status").agg(
        pl.len().cast(pl.Int64).alias("applications"),
        pl.col("requested_grant").sum().alias("requested_grant"),
        pl.col("waiting_days").median().alias("median_waiting_days"),
    )
    return order.join(per_status, on="status", how="left", maintain_order="left").with_columns(
        pl.col("applications").fill_null(0),
        pl.col("requested_grant").fill_null(Decimal("0.00")),
    )


# --- the draft text ----------------------------------------------------------------------------------------------

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "title": "Fachliche Stellungnahme zum Antrag „{title}“",
        "intro": "{lead} beantragt{partners} für das Vorhaben „{title}“{grant}{cost}{period}.",
        "partners": " gemeinsam mit {names}",
        "grant": " eine Förderung von {amount} aus {fund}",
        "grant_unknown": " eine Förderung aus {fund}",
        "cost": " bei Gesamtkosten von {amount}",
        "period": " (Laufzeit {start} bis {end})",
        "topics": "Das Vorhaben ist dem Handlungsfeld {names} zugeordnet.",
        "topics_many": "Das Vorhaben ist den Handlungsfeldern {names} zugeordnet.",
        "regions": "Kreise des Vorhabens: {names}.",
        "need_heading": "Regionaler Bedarf",
        "need_line": "{indicator}: {values}.",
        "need_value": "{region} {value} (Stand {day})",
        "need_none": "Für die Kreise des Vorhabens liegen im Cockpit keine regionalen Kennzahlen bis zum {day} vor.",
        "scores_heading": "Bewertung",
        "assessments": "{count} Bewertungen liegen vor ({names}).",
        "assessments_one": "Eine Bewertung liegt vor ({names}).",
        "assessments_none": "Es liegt noch keine Bewertung vor.",
        "too_few": "Für eine abschließende Stellungnahme sind mindestens {count} Bewertungen nötig.",
        "total": "Die gewichtete Gesamtbewertung beträgt {total} von 5 Punkten.",
        "strengths": "Besonders überzeugt der Antrag bei: {names}.",
        "weaknesses": "Nachbesserungsbedarf besteht bei: {names}.",
        "middle": "Kein Kriterium fällt deutlich nach oben oder unten heraus.",
        "spread": "Bei {names} weichen die Bewertungen um {points} oder mehr Punkte voneinander ab; "
        "diese Punkte sind vor der Beschlussfassung zu erörtern.",
        "totals_spread": "Die Gesamtbewertungen der Bewertenden liegen um {points} oder mehr Punkte auseinander.",
        "comments_heading": "Hinweise aus den Bewertungen",
        "comment": "– {assessor}: {comment}",
        "recommendation_heading": "Empfehlung (Vorschlag auf Grundlage der Bewertungen)",
        "befuerwortet": "Das Bündnis befürwortet den Antrag.",
        "befuerwortet_mit_auflagen": "Das Bündnis befürwortet den Antrag mit Auflagen.",
        "conditions": "Zu {names} sind vor Projektbeginn belastbare Nachweise vorzulegen.",
        "nicht_befuerwortet": "Das Bündnis empfiehlt, den Antrag in der vorliegenden Form nicht zu fördern.",
        "no_proposal": "Eine Empfehlung kann erst nach den Bewertungen vorgeschlagen werden.",
        "and": "und",
        "mean": "{name} ({mean})",
    },
    "en": {
        "title": "Expert statement on the application “{title}”",
        "intro": "{lead} applies{partners} for the project “{title}”{grant}{cost}{period}.",
        "partners": " together with {names}",
        "grant": " for a grant of {amount} from {fund}",
        "grant_unknown": " for a grant from {fund}",
        "cost": " at a total cost of {amount}",
        "period": " (running {start} to {end})",
        "topics": "The project belongs to the field of action {names}.",
        "topics_many": "The project belongs to the fields of action {names}.",
        "regions": "Districts of the project: {names}.",
        "need_heading": "Regional need",
        "need_line": "{indicator}: {values}.",
        "need_value": "{region} {value} (as of {day})",
        "need_none": "The Cockpit holds no regional figures up to {day} for the project's districts.",
        "scores_heading": "Assessment",
        "assessments": "{count} assessments are in ({names}).",
        "assessments_one": "One assessment is in ({names}).",
        "assessments_none": "No assessment is in yet.",
        "too_few": "A final statement needs at least {count} assessments.",
        "total": "The weighted overall score is {total} out of 5 points.",
        "strengths": "The application is particularly convincing on: {names}.",
        "weaknesses": "It needs improvement on: {names}.",
        "middle": "No criterion stands out clearly above or below the rest.",
        "spread": "On {names} the assessors differ by {points} or more points; "
        "these points are to be discussed before the decision.",
        "totals_spread": "The assessors' overall scores lie {points} or more points apart.",
        "comments_heading": "Remarks from the assessments",
        "comment": "– {assessor}: {comment}",
        "recommendation_heading": "Recommendation (proposal based on the assessments)",
        "befuerwortet": "The alliance supports the application.",
        "befuerwortet_mit_auflagen": "The alliance supports the application with conditions.",
        "conditions": "Before the project starts, sound evidence is to be provided on {names}.",
        "nicht_befuerwortet": "The alliance recommends not to fund the application in its present form.",
        "no_proposal": "A recommendation can only be proposed once the assessments are in.",
        "and": "and",
        "mean": "{name} ({mean})",
    },
}


def _enumeration(names: Sequence[str], language: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {TEXTS[language]['and']} {names[-1]}"


def _iso_day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _amount(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


COUNT_UNITS = {"anzahl", "count", "number"}  # units a count needs no word for


def _value_text(value: float | None, unit: str, language: str) -> str:
    if value is None:
        return "–"
    decimals = 0 if float(value).is_integer() else (1 if abs(value) >= 1 else 2)
    number = formats.number(value, language, decimals=decimals)
    if not unit or unit.lower() in COUNT_UNITS:
        return number
    return f"{number}\u00a0{unit}" if language == "de" or unit != "%" else f"{number}%"


def _need_paragraph(facts: Mapping[str, Any], language: str) -> str:
    words = TEXTS[language]
    need = [row for row in facts.get("need") or [] if row.get("value") is not None]
    if not need:
        return words["need_none"].format(day=formats.day(_iso_day(facts.get("as_of")), language))
    lines: list[str] = []
    by_indicator: dict[str, list[Mapping[str, Any]]] = {}
    for row in need[:NEED_ROWS_IN_TEXT]:
        by_indicator.setdefault(str(row.get("indicator") or row.get("indicator_code")), []).append(row)
    for indicator, rows in by_indicator.items():
        values = "; ".join(
            words["need_value"].format(
                region=row.get("region") or row.get("ags"),
                value=_value_text(row.get("value"), str(row.get("unit") or ""), language),
                day=formats.day(_iso_day(row.get("period_end")), language),
            )
            for row in rows
        )
        lines.append(words["need_line"].format(indicator=indicator, values=values))
    return "\n".join(lines)


def _intro(facts: Mapping[str, Any], language: str) -> list[str]:
    words = TEXTS[language]
    app = facts.get("application") or {}
    partners = list(app.get("partners") or [])
    fund = label("fund", str(app.get("fund") or ""), language)
    requested, cost = _amount(app.get("requested_grant")), _amount(app.get("total_cost"))
    start, end = _iso_day(app.get("start_date")), _iso_day(app.get("end_date"))
    intro = words["intro"].format(
        lead=app.get("lead") or "–",
        partners=words["partners"].format(names=_enumeration(partners, language)) if partners else "",
        title=app.get("title") or "",
        grant=(
            words["grant"].format(amount=formats.money(requested, language), fund=fund)
            if requested is not None
            else words["grant_unknown"].format(fund=fund)
        ),
        cost=words["cost"].format(amount=formats.money(cost, language)) if cost else "",
        period=(
            words["period"].format(start=formats.day(start, language), end=formats.day(end, language))
            if start and end
            else ""
        ),
    )
    sentences = [intro]
    topics = list(app.get("topics") or [])
    if topics:
        key = "topics_many" if len(topics) > 1 else "topics"
        sentences.append(words[key].format(names=_enumeration([f"„{t}“" for t in topics], language)))
    regions = [str(region.get("name") or region.get("ags")) for region in app.get("regions") or []]
    if regions:
        sentences.append(words["regions"].format(names=_enumeration(regions, language)))
    return [" ".join(sentences)]


def _score_paragraphs(facts: Mapping[str, Any], language: str) -> tuple[list[str], list[str]]:
    """The assessment paragraph and the names of the criteria below CONDITION_MEAN (for the conditions)."""
    words = TEXTS[language]
    assessments = list(facts.get("assessments") or [])
    names = {str(c.get("code")): str(c.get("name")) for c in facts.get("criteria") or []}
    means: Mapping[str, float] = facts.get("criterion_means") or {}
    assessors = [str(a.get("assessor") or "–") for a in assessments]
    if not assessments:
        sentences = [words["assessments_none"]]
    elif len(assessments) == 1:
        sentences = [words["assessments_one"].format(names=assessors[0])]
    else:
        sentences = [words["assessments"].format(count=len(assessments), names=_enumeration(assessors, language))]
    if len(assessments) < MIN_ASSESSMENTS:
        sentences.append(words["too_few"].format(count=MIN_ASSESSMENTS))
    total = facts.get("weighted_total")
    if total is not None:
        sentences.append(words["total"].format(total=formats.number(total, language, decimals=2)))

    def named(codes: Iterable[str]) -> list[str]:
        return [
            words["mean"].format(name=names.get(code, code), mean=formats.number(means[code], language, decimals=1))
            for code in codes
        ]

    ordered = [code for code in names if code in means] + [code for code in means if code not in names]
    strong = [code for code in ordered if means[code] >= STRONG_MEAN]
    weak = [code for code in ordered if means[code] < WEAK_MEAN]
    if strong:
        sentences.append(words["strengths"].format(names=_enumeration(named(strong), language)))
    if weak:
        sentences.append(words["weaknesses"].format(names=_enumeration(named(weak), language)))
    if means and not strong and not weak:
        sentences.append(words["middle"])
    flagged = [names.get(code, code) for code in facts.get("flagged") or []]
    if flagged:
        sentences.append(words["spread"].format(names=_enumeration(flagged, language), points=SPREAD_FLAG))
    totals = [a.get("weighted_total") for a in assessments if a.get("weighted_total") is not None]
    if len(totals) >= 2 and max(totals) - min(totals) >= TOTAL_SPREAD_FLAG - 1e-9:
        sentences.append(words["totals_spread"].format(points=formats.number(TOTAL_SPREAD_FLAG, language, decimals=1)))
    paragraphs = [words["scores_heading"], " ".join(sentences)]
    comments = [
        words["comment"].format(assessor=a.get("assessor") or "–", comment=" ".join(str(a["comment"]).split()))
        for a in assessments
        if str(a.get("comment") or "").strip()
    ]
    if comments:
        paragraphs += [words["comments_heading"], "\n".join(comments)]
    return paragraphs, [names.get(code, code) for code in ordered if means[code] < CONDITION_MEAN]


def statement_text(facts: Mapping[str, Any], language: str = "de") -> str:
    """A draft of the statement from the facts snapshot: the application, the regional need, strengths and
    weaknesses by criterion, the spread, the assessors' remarks and a recommendation proposal."""
    language = language if language in TEXTS else "de"
    words = TEXTS[language]
    app = facts.get("application") or {}
    paragraphs = [words["title"].format(title=app.get("title") or "")]
    paragraphs += _intro(facts, language)
    paragraphs += [words["need_heading"], _need_paragraph(facts, language)]
    score_paragraphs, weak = _score_paragraphs(facts, language)
    paragraphs += score_paragraphs
    proposal = recommendation_proposal(facts.get("weighted_total"), facts.get("criterion_means") or {})
    paragraphs.append(words["recommendation_heading"])
    if proposal is None:
        paragraphs.append(words["no_proposal"])
    else:
        closing = words[proposal]
        if proposal == Recommendation.MIT_AUFLAGEN.value and weak:
            closing += " " + words["conditions"].format(names=_enumeration(weak, language))
        paragraphs.append(closing)
    return "\n\n".join(paragraphs)


__all__ = [
    "ALLOWED",
    "ASSESSABLE_STATUSES",
    "BY_STATEMENT_ONLY",
    "DECIDED_STATUSES",
    "MIN_ASSESSMENTS",
    "OPEN_STATUSES",
    "PIPELINE_STATUSES",
    "POSITIVE",
    "SCORE_MAX",
    "SCORE_MIN",
    "SPREAD_FLAG",
    "TOTAL_SPREAD_FLAG",
    "application_total",
    "assessment_totals",
    "conflicted_members",
    "criterion_means",
    "criterion_summary",
    "is_flagged",
    "is_positive",
    "next_statuses",
    "pipeline_summary",
    "recommendation_proposal",
    "statement_text",
    "totals_diverge",
    "transition_allowed",
]

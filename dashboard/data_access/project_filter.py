"""The typed project filter and its Polars predicates, shared by the page, the exports and the CLI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date

import polars as pl

# German umlauts and ß spelled out, so "Rueckkehr" finds "Rückkehr" and the other way round.
_TRANSLITERATION = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}


def normalise_term(text: str) -> str:
    """Lower-case, umlauts transliterated, whitespace collapsed: the form search terms are compared in."""
    lowered = " ".join(text.lower().split())
    for umlaut, spelled in _TRANSLITERATION.items():
        lowered = lowered.replace(umlaut, spelled)
    return lowered


def normalised(expression: pl.Expr) -> pl.Expr:
    """The same normalisation as ``normalise_term`` as a Polars expression over a text column."""
    lowered = expression.fill_null("").str.to_lowercase()
    for umlaut, spelled in _TRANSLITERATION.items():
        lowered = lowered.str.replace_all(umlaut, spelled, literal=True)
    return lowered


@dataclass(frozen=True)
class ProjectFilter:
    """Which projects of an alliance to show. Empty tuples and None mean "no restriction".

    Hashable, so cached loaders can be keyed by it. Field order is the order in which
    ``emptying_filter`` blames a filter for an empty result.
    """

    topics: tuple[str, ...] = ()  # Handlungsfeld names
    statuses: tuple[str, ...] = ()  # ProjectStatus codes
    members: tuple[str, ...] = ()  # organisation names, as lead or partner
    regions: tuple[str, ...] = ()  # AGS of Kreise
    funds: tuple[str, ...] = ()  # Fund codes
    runs_from: date | None = None  # the project runs during [runs_from, runs_to]
    runs_to: date | None = None
    search: str = ""  # words in title or description
    project_ids: tuple[int, ...] = ()  # an explicit selection (chart click)

    @classmethod
    def of(cls, **values: Iterable[str] | Iterable[int] | date | str | None) -> ProjectFilter:
        """Build from lists or tuples (sorted, so equal filters hash equally)."""
        cleaned: dict[str, object] = {}
        for name, value in values.items():
            if isinstance(value, list | tuple | set | frozenset):
                cleaned[name] = tuple(sorted(value))
            else:
                cleaned[name] = value
        return cls(**cleaned)  # type: ignore[arg-type]

    def is_empty(self) -> bool:
        return self == ProjectFilter()

    def active(self) -> list[str]:
        """Names of the fields that restrict the result ("runs_from"/"runs_to" count as "period")."""
        names: list[str] = []
        for field in fields(self):
            if getattr(self, field.name) not in ((), None, ""):
                name = "period" if field.name in ("runs_from", "runs_to") else field.name
                if name not in names:
                    names.append(name)
        return names


def _any_in(column: str, values: tuple[str, ...] | tuple[int, ...]) -> pl.Expr:
    return pl.col(column).list.eval(pl.element().is_in(list(values))).list.any()


def predicates(flt: ProjectFilter) -> list[tuple[str, pl.Expr]]:
    """One (name, predicate) per active filter, in ``ProjectFilter`` field order."""
    result: list[tuple[str, pl.Expr]] = []
    if flt.topics:
        result.append(("topics", _any_in("topic_names", flt.topics)))
    if flt.statuses:
        result.append(("statuses", pl.col("status").is_in(list(flt.statuses))))
    if flt.members:
        lead = pl.col("lead_name").is_in(list(flt.members))
        result.append(("members", lead | _any_in("partner_names", flt.members)))
    if flt.regions:
        result.append(("regions", _any_in("region_ags", flt.regions)))
    if flt.funds:
        result.append(("funds", pl.col("fund").is_in(list(flt.funds))))
    if flt.runs_from or flt.runs_to:
        # Overlap with the chosen period; projects without dates (ideas) do not run in any period.
        runs = pl.col("start_date").is_not_null() & pl.col("end_date").is_not_null()
        if flt.runs_to:
            runs = runs & (pl.col("start_date") <= flt.runs_to)
        if flt.runs_from:
            runs = runs & (pl.col("end_date") >= flt.runs_from)
        result.append(("period", runs))
    if flt.search.strip():
        text = normalised(pl.col("title")) + " " + normalised(pl.col("description"))
        words = normalise_term(flt.search).split(" ")
        result.append(("search", pl.all_horizontal([text.str.contains(word, literal=True) for word in words])))
    if flt.project_ids:
        result.append(("project_ids", pl.col("id").is_in(list(flt.project_ids))))
    return result


def filter_projects(portfolio: pl.DataFrame, flt: ProjectFilter) -> pl.DataFrame:
    """The projects of the portfolio frame that pass every active filter."""
    conditions = [expression for _, expression in predicates(flt)]
    return portfolio.filter(*conditions) if conditions else portfolio


def emptying_filter(portfolio: pl.DataFrame, flt: ProjectFilter) -> str | None:
    """The first filter (in field order) after which no project is left, or None if some remain."""
    remaining = portfolio.lazy()
    for name, expression in predicates(flt):
        remaining = remaining.filter(expression)
        if remaining.select(pl.len()).collect().item() == 0:
            return name
    return None

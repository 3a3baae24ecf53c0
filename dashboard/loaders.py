"""Plain loaders that combine scoped queries with domain computations: cache.py wraps them, the CLI calls them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Engine

from dashboard.config import FundRules, ImpactRules
from dashboard.data_access import impact, queries
from dashboard.data_access.scope import Scope
from dashboard.domain import esf, fund_use, targets


@dataclass(frozen=True)
class FundUseInputs:
    """What one alliance's fund use is computed from on any Stichtag and for any fund choice (cache.py keeps it
    per scope and change; the Stichtag step then takes milliseconds instead of re-reading the entries)."""

    budget: pl.DataFrame  # alliance_id, fund, year, planned_cents (every fund)
    book: queries.ProjectMoneyBook  # the alliance's projects and entries
    flows: pl.DataFrame  # financial_flows_by_day, every fund
    topic_links: pl.DataFrame  # project_topic_links


def fund_use_inputs(engine: Engine, scope: Scope, alliance_id: int) -> FundUseInputs:
    return FundUseInputs(
        budget=queries.budgets(engine, scope, [alliance_id]),
        book=queries.project_money_book(engine, scope, alliance_ids=[alliance_id]),
        flows=queries.financial_flows_by_day(engine, scope, alliance_id),
        topic_links=queries.project_topic_links(engine, scope, alliance_id),
    )


def fund_use_view_on(
    alliance: dict[str, Any], inputs: FundUseInputs, as_of: date, *, funds: Sequence[str], rules: FundRules
) -> fund_use.FundUseView:
    """The fund-use view on a Stichtag for the chosen funds (empty: all) from the loaded inputs: the same figures
    as reading ``queries.fund_use_data`` for that day."""
    chosen = list(funds)
    budget, flows = inputs.budget, inputs.flows
    if chosen:
        budget = budget.filter(pl.col("fund").is_in(chosen))
        flows = flows.filter(pl.col("fund").is_in(chosen))
    projects = queries.project_money_on(
        inputs.book,
        as_of,
        funds=chosen or None,
        counting_until={int(alliance["id"]): fund_use.counting_day(alliance["period_end"], rules)},
    )
    return fund_use.fund_use_view(
        alliance, budget, projects, flows, inputs.topic_links, as_of=as_of, funds=funds, rules=rules
    )


def fund_use_view(
    engine: Engine, scope: Scope, alliance: dict[str, Any], as_of: date, *, funds: Sequence[str], rules: FundRules
) -> fund_use.FundUseView:
    """One alliance's fund use on a Stichtag for the chosen funds (empty: all)."""
    inputs = fund_use_inputs(engine, scope, int(alliance["id"]))
    return fund_use_view_on(alliance, inputs, as_of, funds=funds, rules=rules)


@dataclass(frozen=True)
class ComparisonInputs:
    """What the comparison of every readable alliance is computed from on any Stichtag."""

    alliances: pl.DataFrame  # queries.alliances
    budgets: pl.DataFrame  # queries.budgets
    populations: pl.DataFrame  # queries.alliance_populations
    book: queries.ProjectMoneyBook  # every readable project and its entries


def comparison_inputs(engine: Engine, scope: Scope) -> ComparisonInputs:
    return ComparisonInputs(
        alliances=queries.alliances(engine, scope),
        budgets=queries.budgets(engine, scope),
        populations=queries.alliance_populations(engine, scope),
        book=queries.project_money_book(engine, scope, by_fund=False, details=False),
    )


def alliance_comparison_on(inputs: ComparisonInputs, as_of: date, rules: FundRules) -> pl.DataFrame:
    """The comparison on a Stichtag from the loaded inputs (the same table as one aggregate query per table)."""
    counting = {
        int(alliance_id): fund_use.counting_day(end, rules)
        for alliance_id, end in inputs.alliances.select("id", "period_end").iter_rows()
    }
    return fund_use.alliance_comparison(
        inputs.alliances,
        inputs.budgets,
        queries.project_money_on(inputs.book, as_of, counting_until=counting),
        inputs.populations,
        as_of=as_of,
        rules=rules,
    )


def alliance_comparison(engine: Engine, scope: Scope, as_of: date, rules: FundRules) -> pl.DataFrame:
    """Every alliance the scope may read side by side on a Stichtag."""
    return alliance_comparison_on(comparison_inputs(engine, scope), as_of, rules)


@dataclass(frozen=True)
class TargetInputs:
    """What an alliance's targets are assessed from on any Stichtag (cache.py keeps it per scope and change, so a
    Stichtag change only re-runs the assessment)."""

    targets: pl.DataFrame  # impact.alliance_targets
    observations: pl.DataFrame  # project reports of the targets' indicators
    topic_links: pl.DataFrame  # project_topic_links
    kreis_observations: pl.DataFrame  # Kreis statistics of the targets' indicators
    kreise: int  # the alliance's Kreise


def target_inputs(engine: Engine, scope: Scope, alliance_id: int) -> TargetInputs:
    target_frame = impact.alliance_targets(engine, scope, alliance_id)
    indicator_ids = target_frame["indicator_id"].unique().to_list()
    return TargetInputs(
        targets=target_frame,
        observations=impact.project_observations(engine, scope, alliance_id, indicator_ids=indicator_ids),
        topic_links=queries.project_topic_links(engine, scope, alliance_id),
        kreis_observations=impact.kreis_observations(engine, scope, alliance_id, indicator_ids),
        kreise=impact.alliance_kreis_count(engine, scope, alliance_id),
    )


def target_tracking_on(inputs: TargetInputs, as_of: date, rules: ImpactRules) -> targets.TargetTracking:
    """Every target assessed on a Stichtag (the one status rule for page, overview and exports)."""
    return targets.track_targets(
        targets=inputs.targets,
        observations=inputs.observations,
        topic_links=inputs.topic_links,
        kreis_observations=inputs.kreis_observations,
        kreise=inputs.kreise,
        as_of=as_of,
        tolerance=rules.target_tolerance,
    )


def target_tracking(
    engine: Engine, scope: Scope, alliance_id: int, as_of: date, rules: ImpactRules
) -> targets.TargetTracking:
    """Every target of an alliance assessed on a Stichtag."""
    return target_tracking_on(target_inputs(engine, scope, alliance_id), as_of, rules)


@dataclass(frozen=True)
class EsfSummary:
    """ESF+ totals of an alliance as the caller may see them, plus the reports that break the counting rules."""

    totals: pl.DataFrame  # esf.TOTALS_SCHEMA (+ <column>_suppressed flags)
    suppressed: bool  # small counts are suppressed in this view
    threshold: int
    exclusivity: pl.DataFrame  # project_id, title, EECO01, EECR01, EECR04
    breakdowns: pl.DataFrame  # project_id, title, code, total, breakdown


@dataclass(frozen=True)
class EsfInputs:
    """The ESF+ indicators, the alliance's reports of them and its project titles, for any Stichtag."""

    indicators: pl.DataFrame
    observations: pl.DataFrame
    titles: pl.DataFrame  # project_id, title


def esf_inputs(engine: Engine, scope: Scope, alliance_id: int) -> EsfInputs:
    indicators = impact.esf_indicators(engine)
    observations = impact.project_observations(
        engine, scope, alliance_id, indicator_ids=indicators["indicator_id"].to_list()
    )
    titles = impact.project_list(engine, scope, alliance_id).select("project_id", "title")
    return EsfInputs(indicators, observations, titles)


def esf_summary_on(
    inputs: EsfInputs, scope: Scope, alliance_id: int, as_of: date, *, rules: ImpactRules, for_others: bool
) -> EsfSummary:
    """ESF+ totals on a Stichtag; small counts are suppressed for others and whenever the scope requires it."""
    observations, titles = inputs.observations, inputs.titles
    suppressed = for_others or not scope.sees_small_counts(alliance_id)
    totals = esf.esf_totals(observations, inputs.indicators, as_of)
    totals = esf.suppress_small_counts(totals, rules.suppression_threshold if suppressed else 1)
    exclusivity = esf.exclusivity_violations(observations, as_of).join(titles, on="project_id", how="left")
    breakdowns = esf.breakdown_violations(observations, as_of).join(titles, on="project_id", how="left")
    if suppressed:
        # The checks quote single projects' counts: notes for the alliance's own speakers, not for others.
        exclusivity, breakdowns = exclusivity.clear(), breakdowns.clear()
    return EsfSummary(
        totals=totals,
        suppressed=suppressed,
        threshold=rules.suppression_threshold,
        exclusivity=exclusivity,
        breakdowns=breakdowns,
    )


def esf_summary(
    engine: Engine, scope: Scope, alliance_id: int, as_of: date, *, rules: ImpactRules, for_others: bool
) -> EsfSummary:
    """ESF+ totals of an alliance on a Stichtag, read and computed in one go (CLI and exports)."""
    inputs = esf_inputs(engine, scope, alliance_id)
    return esf_summary_on(inputs, scope, alliance_id, as_of, rules=rules, for_others=for_others)

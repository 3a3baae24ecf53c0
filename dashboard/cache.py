"""The one place that wraps loaders in Streamlit caches: keyed by settings, scope and arguments, bounded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
import streamlit as st
from sqlalchemy import Engine

from dashboard import loaders
from dashboard.config import ConfigError, Settings, load_settings
from dashboard.data_access import applications, db, impact, queries, regional
from dashboard.data_access import audit_trail as trail
from dashboard.data_access import partners as partner_reads
from dashboard.data_access.project_filter import ProjectFilter, filter_projects
from dashboard.data_access.scope import Scope
from dashboard.data_access.writes import NotFound
from dashboard.domain.fund_use import FundUseView
from dashboard.domain.partners import network_layout
from dashboard.domain.targets import TargetTracking
from dashboard.exporters.statement import render_statement_docx
from dashboard.loaders import EsfSummary


def _bounds() -> tuple[int, int]:
    """Cache TTL and size from the settings; a bad setting falls back here and app.py reports it."""
    try:
        settings = load_settings()
    except ConfigError:
        return 600, 64
    return settings.cache_ttl_seconds, settings.cache_max_entries


TTL, MAX_ENTRIES = _bounds()


@st.cache_resource(max_entries=4)
def engine(settings: Settings) -> Engine:
    """One checked connection pool per database for the whole server process."""
    return db.engine_for(settings)


def schema_ready(settings: Settings) -> bool:
    """Not cached: after `cockpit db upgrade` the next rerun must see the tables."""
    return db.has_schema(engine(settings))


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def _alliances(settings: Settings, scope: Scope) -> pl.DataFrame:
    return queries.alliances(engine(settings), scope)


def alliances(settings: Settings, scope: Scope) -> pl.DataFrame:
    """The readable alliances; an empty answer is not kept, so `cockpit seed` shows up at once."""
    frame = _alliances(settings, scope)
    if frame.is_empty():
        _alliances.clear(settings, scope)
    return frame


@dataclass(frozen=True)
class OverviewData:
    budget: pl.DataFrame
    flows: pl.DataFrame
    status_counts: pl.DataFrame
    member_types: pl.DataFrame
    members: pl.DataFrame
    regions: pl.DataFrame
    topics: pl.DataFrame


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def overview_data(settings: Settings, scope: Scope, alliance_id: int) -> OverviewData:
    e = engine(settings)
    return OverviewData(
        budget=queries.budget_by_fund_year(e, scope, alliance_id),
        flows=queries.financial_flows_by_day(e, scope, alliance_id),
        status_counts=queries.project_status_counts(e, scope, alliance_id),
        member_types=queries.member_type_counts(e, scope, alliance_id),
        members=queries.members(e, scope, alliance_id),
        regions=queries.alliance_regions(e, scope, alliance_id),
        topics=queries.topics(e, scope, alliance_id),
    )


@dataclass(frozen=True)
class ProjectDetailData:
    flows: pl.DataFrame
    targets: pl.DataFrame
    latest: pl.DataFrame
    assessments: pl.DataFrame


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def project_portfolio(settings: Settings, scope: Scope, alliance_id: int) -> pl.DataFrame:
    return queries.project_portfolio(engine(settings), scope, alliance_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def projects(settings: Settings, scope: Scope, alliance_id: int, flt: ProjectFilter) -> pl.DataFrame:
    """The filtered projects, keyed by alliance, scope and filter; built from the cached portfolio."""
    return filter_projects(project_portfolio(settings, scope, alliance_id), flt)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def project_detail(settings: Settings, scope: Scope, alliance_id: int, project_id: int) -> ProjectDetailData:
    e = engine(settings)
    return ProjectDetailData(
        flows=queries.financial_flows_by_day(e, scope, alliance_id, project_id),
        targets=queries.project_targets(e, scope, alliance_id, project_id),
        latest=queries.project_latest_values(e, scope, alliance_id, project_id),
        assessments=queries.project_assessment(e, scope, alliance_id, project_id),
    )


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def alliance_funds(settings: Settings, scope: Scope, alliance_id: int) -> list[str]:
    return queries.alliance_funds(engine(settings), scope, alliance_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def fund_use_view(
    settings: Settings, scope: Scope, alliance: dict[str, Any], as_of: date, funds: tuple[str, ...]
) -> FundUseView:
    """The alliance's fund use on a Stichtag for the chosen funds, keyed by all of them and the scope."""
    return loaders.fund_use_view(engine(settings), scope, alliance, as_of, funds=funds, rules=settings.fund_rules)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def alliance_comparison(settings: Settings, scope: Scope, as_of: date) -> pl.DataFrame:
    """Every readable alliance side by side on a Stichtag."""
    return loaders.alliance_comparison(engine(settings), scope, as_of, settings.fund_rules)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def target_tracking(settings: Settings, scope: Scope, alliance_id: int, as_of: date) -> TargetTracking:
    """Every target of the alliance assessed on a Stichtag (targets page and overview share it)."""
    return loaders.target_tracking(engine(settings), scope, alliance_id, as_of, settings.impact_rules)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def esf_summary(settings: Settings, scope: Scope, alliance_id: int, as_of: date, for_others: bool) -> EsfSummary:
    """ESF+ totals as this scope may see them; ``for_others`` suppresses small counts for presentation."""
    return loaders.esf_summary(
        engine(settings), scope, alliance_id, as_of, rules=settings.impact_rules, for_others=for_others
    )


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def target_drilldown_frames(settings: Settings, scope: Scope, alliance_id: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Project titles and project Kreise of the alliance, for the drill-down from a target."""
    e = engine(settings)
    return impact.project_list(e, scope, alliance_id), impact.project_regions(e, scope, alliance_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def _regional_indicators(settings: Settings, scope: Scope, alliance_id: int) -> pl.DataFrame:
    return regional.regional_indicators(engine(settings), scope, alliance_id)


def regional_indicators(settings: Settings, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """The alliance's regional indicators; an empty answer is not kept, so a fresh import shows up at once."""
    frame = _regional_indicators(settings, scope, alliance_id)
    if frame.is_empty():
        _regional_indicators.clear(settings, scope, alliance_id)
    return frame


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def regional_series(
    settings: Settings, scope: Scope, alliance_id: int, indicator_id: int, dimensions: str
) -> pl.DataFrame:
    return regional.regional_series(engine(settings), scope, alliance_id, indicator_id, dimensions)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def money_by_region(settings: Settings, scope: Scope, alliance_id: int, as_of: date) -> pl.DataFrame:
    return regional.money_by_region(engine(settings), scope, alliance_id, as_of)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def alliance_regions(settings: Settings, scope: Scope, alliance_id: int) -> pl.DataFrame:
    return queries.alliance_regions(engine(settings), scope, alliance_id)


# The audit trail should show a change made a moment ago: a short TTL instead of the settings' one.
AUDIT_TTL = 10


@dataclass(frozen=True)
class AuditTrail:
    entries: pl.DataFrame  # the newest entries matching the filter (at most audit_trail.DEFAULT_LIMIT)
    total: int  # how many match in all


@st.cache_data(ttl=AUDIT_TTL, max_entries=MAX_ENTRIES)
def audit_trail(
    settings: Settings, scope: Scope, alliance_id: int, flt: trail.AuditFilter, language: str
) -> AuditTrail:
    """The filtered audit entries of an alliance as this scope may read them, keyed by all of these."""
    e = engine(settings)
    return AuditTrail(
        entries=trail.audit_entries(e, scope, alliance_id, **flt.as_kwargs(), language=language),
        total=trail.audit_count(e, scope, alliance_id, **flt.as_kwargs()),
    )


@st.cache_data(ttl=AUDIT_TTL, max_entries=MAX_ENTRIES)
def audit_options(settings: Settings, scope: Scope, alliance_id: int) -> trail.AuditOptions:
    """Users, tables and actions present in the alliance's trail, for the filter widgets."""
    return trail.audit_filter_options(engine(settings), scope, alliance_id)


# --- Anträge & Stellungnahmen ------------------------------------------------------------------------------------

# An open application changes while people score it: its detail keeps only briefly (writes here clear all caches).
APPLICATION_TTL = 10


@dataclass(frozen=True)
class ApplicationPipeline:
    applications: pl.DataFrame  # one row per application (applications.PIPELINE_SCHEMA), money masked per scope
    stages: pl.DataFrame  # per pipeline status: count, requested grant of all (masked ones too), median wait


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def application_pipeline(
    settings: Settings, scope: Scope, alliance_id: int, flt: applications.ApplicationFilter, today: date
) -> ApplicationPipeline:
    """The filtered applications of an alliance and their stages, as this scope may see them, on a day."""
    e = engine(settings)
    return ApplicationPipeline(
        applications=applications.pipeline(e, scope, alliance_id, flt, today=today),
        stages=applications.pipeline_stages(e, scope, alliance_id, flt, today=today),
    )


@st.cache_data(ttl=APPLICATION_TTL, max_entries=MAX_ENTRIES)
def application_view(settings: Settings, scope: Scope, project_id: int, today: date) -> applications.ApplicationView:
    """One application with its scores, statements and allowed next steps, as this scope may see them."""
    return applications.application(engine(settings), scope, project_id, today=today)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def statement_docx(
    settings: Settings,
    scope: Scope,
    project_id: int,
    *,
    statement_id: int,
    version: int,
    alliance_name: str,
    language: str,
    today: date,
) -> bytes:
    """A statement version as a Word document, keyed by its version: a finalised one from its frozen facts, a
    draft (marked ENTWURF) from the application's facts as of ``today``."""
    e = engine(settings)
    view = applications.application(e, scope, project_id, today=today)
    record = next((s for s in view.statements if s.id == statement_id), None)
    if record is None:
        raise NotFound(f"statement {statement_id}")
    facts = record.facts if record.is_final else applications.application_facts(e, scope, project_id, as_of=today)
    return render_statement_docx(
        alliance_name=alliance_name,
        number=record.number,
        text=record.text,
        recommendation=record.recommendation,
        facts=facts,
        finalised_at=record.finalised_at,
        finalised_by=record.finalised_by,
        language=language,
    )


# --- Partner -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerData:
    overview: pl.DataFrame  # partners.partner_overview up to the day, money masked per scope
    network: pl.DataFrame  # who works with whom: member_a, member_b, projects
    layout: pl.DataFrame  # member_id, x, y: the network's fixed layout


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def partner_data(settings: Settings, scope: Scope, alliance_id: int, today: date) -> PartnerData:
    """Every partner's contributions, the collaboration network and its layout, as this scope may see them."""
    e = engine(settings)
    overview = partner_reads.partner_overview(e, scope, alliance_id, as_of=today)
    network = partner_reads.partner_network(e, scope, alliance_id)
    return PartnerData(overview, network, network_layout(overview["member_id"].to_list(), network))


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def partner_detail(settings: Settings, scope: Scope, member_id: int) -> partner_reads.PartnerView:
    """One partner's projects and assessments, as this scope may see them."""
    return partner_reads.partner_detail(engine(settings), scope, member_id)

"""The one place that wraps loaders in Streamlit caches: keyed by settings, scope and arguments, bounded."""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import polars as pl
import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from dashboard import loaders
from dashboard.config import ConfigError, Settings, load_settings
from dashboard.data_access import applications, audit, db, impact, queries, regional
from dashboard.data_access import audit_trail as trail
from dashboard.data_access import partners as partner_reads
from dashboard.data_access.project_filter import ProjectFilter, filter_projects
from dashboard.data_access.scope import Scope
from dashboard.data_access.writes import NotFound
from dashboard.domain.fund_use import FundUseView
from dashboard.domain.partners import network_layout
from dashboard.domain.targets import TargetTracking
from dashboard.exporters.statement import render_statement_docx
from dashboard.loaders import ComparisonInputs, EsfInputs, EsfSummary, FundUseInputs, TargetInputs


def _bounds() -> tuple[int, int]:
    """Cache TTL and size from the settings; a bad setting falls back here and app.py reports it."""
    try:
        settings = load_settings()
    except ConfigError:
        return 600, 64
    return settings.cache_ttl_seconds, settings.cache_max_entries


TTL, MAX_ENTRIES = _bounds()

# How long one server trusts the change counter it last read: a change saved on another server behind the same
# database shows up here within about this time (plus the reader's next interaction), not after the whole TTL.
GENERATION_CHECK_SECONDS = 1.0
_generations: dict[str, tuple[float, int]] = {}  # per database URL: when read, value (one entry per database)
_generations_lock = threading.Lock()
# The pools engine() made, by URL. data_generation runs while Streamlit hashes a Settings argument, and calling the
# cached engine() from there would hash that same Settings again, which Streamlit's cycle guard turns into a
# placeholder: every database would share one key. So the hash function looks pools up here instead.
# Bounded like engine()'s own cache, so a pool the cache dropped is not kept alive here.
POOLS = 4
_pools: dict[str, Engine] = {}


def data_generation(settings: Settings) -> int:
    """The database's change counter (the newest audit entry; every write records one in its transaction).

    Every cached loader below keys on it through the hash of ``settings``: a change committed by any app server –
    several servers behind a proxy share one PostgreSQL – makes the next read on every server miss its cache,
    while unchanged data keeps hitting it. Read at most once per ``GENERATION_CHECK_SECONDS`` per process.
    """
    now = time.monotonic()
    with _generations_lock:
        seen = _generations.get(settings.database_url)
    if seen is not None and now - seen[0] < GENERATION_CHECK_SECONDS:
        return seen[1]
    try:
        value = audit.latest_change(_pools[settings.database_url]) if settings.database_url in _pools else -1
    except SQLAlchemyError:
        value = -1  # no schema yet or the database is away: app.py reports that; keys still work
    with _generations_lock:
        _generations[settings.database_url] = (now, value)
        while len(_generations) > POOLS:
            del _generations[next(iter(_generations))]
    return value


@functools.lru_cache(maxsize=POOLS)
def _settings_text(settings: Settings) -> str:
    """The settings' repr, made once per Settings (a nested dataclass: ~1 ms a call, many calls a run)."""
    return repr(settings)


def _settings_key(settings: Settings) -> str:
    # A string, not a tuple holding the Settings: Streamlit would hash that Settings again (and recurse).
    return f"{_settings_text(settings)}#{data_generation(settings)}"


def _scope_key(scope: Scope) -> str:
    # One string instead of Streamlit hashing the dataclass member by member: a liaison's scope holds 50 alliance
    # ids, each hashed on its own, ~600 objects a run over a page's cached calls. Sorted: equal sets, equal keys.
    alliances = None if scope.alliance_ids is None else sorted(scope.alliance_ids)
    return f"{scope.user}|{scope.role.value}|{alliances}|{sorted(scope.member_ids)}"


def _cached(*, ttl: int = TTL, max_entries: int = MAX_ENTRIES) -> Any:
    """st.cache_data bounded by TTL and MAX_ENTRIES, keyed with the database's change counter."""
    return st.cache_data(ttl=ttl, max_entries=max_entries, hash_funcs={Settings: _settings_key, Scope: _scope_key})


# Keyed by the settings' text: Streamlit would otherwise hash the nested Settings dataclass field by field on every
# call (~300 objects a run, a third of a light page's own time on the large instance).
@st.cache_resource(max_entries=POOLS, hash_funcs={Settings: _settings_text})
def engine(settings: Settings) -> Engine:
    """One checked connection pool per database for the whole server process."""
    pool = _pools[settings.database_url] = db.engine_for(settings)
    while len(_pools) > POOLS:
        del _pools[next(iter(_pools))]  # dicts keep insertion order: the oldest goes
    return pool


_ready: set[str] = set()  # database URLs whose tables exist (bounded by POOLS like the pools)


def schema_ready(settings: Settings) -> bool:
    """Whether the tables exist. Only a yes is remembered: after `cockpit db upgrade` the next rerun sees the
    tables, and a database that has them keeps them (if it is dropped under a running server, queries fail and the
    page says so)."""
    if settings.database_url in _ready:
        return True
    ready = db.has_schema(engine(settings))
    if ready:
        if len(_ready) >= POOLS:
            _ready.clear()
        _ready.add(settings.database_url)
    return ready


@_cached()
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


@_cached()
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


@_cached()
def project_portfolio(settings: Settings, scope: Scope, alliance_id: int) -> pl.DataFrame:
    return queries.project_portfolio(engine(settings), scope, alliance_id)


@_cached()
def projects(settings: Settings, scope: Scope, alliance_id: int, flt: ProjectFilter) -> pl.DataFrame:
    """The filtered projects, keyed by alliance, scope and filter; built from the cached portfolio."""
    return filter_projects(project_portfolio(settings, scope, alliance_id), flt)


@_cached()
def project_detail(settings: Settings, scope: Scope, alliance_id: int, project_id: int) -> ProjectDetailData:
    e = engine(settings)
    return ProjectDetailData(
        flows=queries.financial_flows_by_day(e, scope, alliance_id, project_id),
        targets=queries.project_targets(e, scope, alliance_id, project_id),
        latest=queries.project_latest_values(e, scope, alliance_id, project_id),
        assessments=queries.project_assessment(e, scope, alliance_id, project_id),
    )


@_cached()
def alliance_funds(settings: Settings, scope: Scope, alliance_id: int) -> list[str]:
    return queries.alliance_funds(engine(settings), scope, alliance_id)


# The Stichtag-independent reads of fund use and of the comparison are cached apart from the Stichtag step, so a
# new Stichtag or fund choice costs milliseconds instead of a scan of all entries. Few of them: one per scope (and
# alliance) looking now. The comparison's holds every entry its scope may read (9 MB for a liaison of all 50
# alliances on the large instance), so it is keyed by what the scope may read, not by who reads.
INPUTS_MAX_ENTRIES = 8
COMPARISON_INPUTS_MAX_ENTRIES = 4


@_cached(max_entries=INPUTS_MAX_ENTRIES)
def fund_use_inputs(settings: Settings, scope: Scope, alliance_id: int) -> FundUseInputs:
    """Budget, projects, entries, flows and topic links of an alliance, for any Stichtag and fund choice."""
    return loaders.fund_use_inputs(engine(settings), scope, alliance_id)


@_cached()
def fund_use_view(
    settings: Settings, scope: Scope, alliance: dict[str, Any], as_of: date, funds: tuple[str, ...]
) -> FundUseView:
    """The alliance's fund use on a Stichtag for the chosen funds, keyed by all of them and the scope."""
    inputs = fund_use_inputs(settings, scope, int(alliance["id"]))
    return loaders.fund_use_view_on(alliance, inputs, as_of, funds=funds, rules=settings.fund_rules)


@_cached(max_entries=COMPARISON_INPUTS_MAX_ENTRIES)
def _comparison_inputs(settings: Settings, rights: Scope) -> ComparisonInputs:
    return loaders.comparison_inputs(engine(settings), rights)


def comparison_inputs(settings: Settings, scope: Scope) -> ComparisonInputs:
    """Alliances, budgets, inhabitants and every readable project's entries, for any Stichtag. Shared by users
    with the same rights: what a scope reads depends on its role, alliances and members, never on the user name."""
    return _comparison_inputs(settings, replace(scope, user=""))


@_cached()
def alliance_comparison(settings: Settings, scope: Scope, as_of: date) -> pl.DataFrame:
    """Every readable alliance side by side on a Stichtag."""
    return loaders.alliance_comparison_on(comparison_inputs(settings, scope), as_of, settings.fund_rules)


# Targets and ESF+ totals, like fund use: the reads are cached apart from the Stichtag step, so a Stichtag change on
# the overview or the targets page re-runs only the assessment.
@_cached()
def target_inputs(settings: Settings, scope: Scope, alliance_id: int) -> TargetInputs:
    return loaders.target_inputs(engine(settings), scope, alliance_id)


@_cached()
def target_tracking(settings: Settings, scope: Scope, alliance_id: int, as_of: date) -> TargetTracking:
    """Every target of the alliance assessed on a Stichtag (targets page and overview share it)."""
    return loaders.target_tracking_on(target_inputs(settings, scope, alliance_id), as_of, settings.impact_rules)


@_cached()
def esf_inputs(settings: Settings, scope: Scope, alliance_id: int) -> EsfInputs:
    return loaders.esf_inputs(engine(settings), scope, alliance_id)


@_cached()
def esf_summary(settings: Settings, scope: Scope, alliance_id: int, as_of: date, for_others: bool) -> EsfSummary:
    """ESF+ totals as this scope may see them; ``for_others`` suppresses small counts for presentation."""
    inputs = esf_inputs(settings, scope, alliance_id)
    return loaders.esf_summary_on(inputs, scope, alliance_id, as_of, rules=settings.impact_rules, for_others=for_others)


@_cached()
def target_drilldown_frames(settings: Settings, scope: Scope, alliance_id: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Project titles and project Kreise of the alliance, for the drill-down from a target."""
    e = engine(settings)
    return impact.project_list(e, scope, alliance_id), impact.project_regions(e, scope, alliance_id)


@_cached()
def _regional_indicators(settings: Settings, scope: Scope, alliance_id: int) -> pl.DataFrame:
    return regional.regional_indicators(engine(settings), scope, alliance_id)


def regional_indicators(settings: Settings, scope: Scope, alliance_id: int) -> pl.DataFrame:
    """The alliance's regional indicators; an empty answer is not kept, so a fresh import shows up at once."""
    frame = _regional_indicators(settings, scope, alliance_id)
    if frame.is_empty():
        _regional_indicators.clear(settings, scope, alliance_id)
    return frame


@_cached()
def regional_series(
    settings: Settings, scope: Scope, alliance_id: int, indicator_id: int, dimensions: str
) -> pl.DataFrame:
    return regional.regional_series(engine(settings), scope, alliance_id, indicator_id, dimensions)


@_cached()
def money_by_region(settings: Settings, scope: Scope, alliance_id: int, as_of: date) -> pl.DataFrame:
    return regional.money_by_region(engine(settings), scope, alliance_id, as_of)


@_cached()
def alliance_regions(settings: Settings, scope: Scope, alliance_id: int) -> pl.DataFrame:
    return queries.alliance_regions(engine(settings), scope, alliance_id)


# The audit trail should show a change made a moment ago: a short TTL instead of the settings' one.
AUDIT_TTL = 10


@dataclass(frozen=True)
class AuditTrail:
    entries: pl.DataFrame  # one page of the entries matching the filter, newest first (audit_trail.PAGE_SIZE)
    total: int  # how many match in all
    page: int  # the page shown, 1-based (the one asked for, moved into 1 … pages)

    @property
    def pages(self) -> int:
        return trail.page_count(self.total)

    @property
    def first(self) -> int:
        """The number of the first entry shown, counted from the newest (1-based; 0 when there are none)."""
        return (self.page - 1) * trail.PAGE_SIZE + 1 if self.entries.height else 0


@_cached(ttl=AUDIT_TTL)
def audit_trail(
    settings: Settings, scope: Scope, alliance_id: int, flt: trail.AuditFilter, language: str, *, page: int = 1
) -> AuditTrail:
    """One page of the filtered audit entries of an alliance as this scope may read them, keyed by all of these."""
    e = engine(settings)
    total = trail.audit_count(e, scope, alliance_id, **flt.as_kwargs())
    page = min(max(1, page), trail.page_count(total))
    entries = trail.audit_entries(
        e, scope, alliance_id, **flt.as_kwargs(), offset=(page - 1) * trail.PAGE_SIZE, language=language
    )
    return AuditTrail(entries=entries, total=total, page=page)


def audit_export(
    settings: Settings, scope: Scope, alliance_id: int, flt: trail.AuditFilter, language: str
) -> pl.DataFrame:
    """The newest entries matching the filter for a download (up to audit_trail.EXPORT_LIMIT), read when the user
    clicks, never cached: a file of 20,000 entries would hold megabytes per session and filter."""
    return trail.audit_entries(
        engine(settings), scope, alliance_id, **flt.as_kwargs(), limit=trail.EXPORT_LIMIT, language=language
    )


@_cached(ttl=AUDIT_TTL)
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


@_cached()
def application_pipeline(
    settings: Settings, scope: Scope, alliance_id: int, flt: applications.ApplicationFilter, today: date
) -> ApplicationPipeline:
    """The filtered applications of an alliance and their stages, as this scope may see them, on a day."""
    rows, stages = applications.pipeline_with_stages(engine(settings), scope, alliance_id, flt, today=today)
    return ApplicationPipeline(applications=rows, stages=stages)


@_cached(ttl=APPLICATION_TTL)
def application_view(settings: Settings, scope: Scope, project_id: int, today: date) -> applications.ApplicationView:
    """One application with its scores, statements and allowed next steps, as this scope may see them."""
    return applications.application(engine(settings), scope, project_id, today=today)


@_cached()
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


@_cached()
def partner_data(settings: Settings, scope: Scope, alliance_id: int, today: date) -> PartnerData:
    """Every partner's contributions, the collaboration network and its layout, as this scope may see them."""
    e = engine(settings)
    overview = partner_reads.partner_overview(e, scope, alliance_id, as_of=today)
    network = partner_reads.partner_network(e, scope, alliance_id)
    return PartnerData(overview, network, network_layout(overview["member_id"].to_list(), network))


@_cached()
def partner_detail(settings: Settings, scope: Scope, member_id: int) -> partner_reads.PartnerView:
    """One partner's projects and assessments, as this scope may see them."""
    return partner_reads.partner_detail(engine(settings), scope, member_id)

"""The one place that wraps loaders in Streamlit caches: keyed by settings, scope and arguments, bounded."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import streamlit as st
from sqlalchemy import Engine

from dashboard.config import Settings, load_settings
from dashboard.data_access import db, queries
from dashboard.data_access.scope import Scope

_SETTINGS = load_settings()
TTL = _SETTINGS.cache_ttl_seconds
MAX_ENTRIES = _SETTINGS.cache_max_entries


@st.cache_resource(max_entries=4)
def engine(settings: Settings) -> Engine:
    """One checked connection pool per database for the whole server process."""
    return db.engine_for(settings)


@st.cache_data(ttl=TTL, max_entries=4)
def schema_ready(settings: Settings) -> bool:
    return db.has_schema(engine(settings))


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES)
def alliances(settings: Settings, scope: Scope) -> pl.DataFrame:
    return queries.alliances(engine(settings), scope)


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
        flows=queries.financial_flows_by_month(e, scope, alliance_id),
        status_counts=queries.project_status_counts(e, scope, alliance_id),
        member_types=queries.member_type_counts(e, scope, alliance_id),
        members=queries.members(e, scope, alliance_id),
        regions=queries.alliance_regions(e, scope, alliance_id),
        topics=queries.topics(e, scope, alliance_id),
    )

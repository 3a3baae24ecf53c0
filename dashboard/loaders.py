"""Plain loaders that combine scoped queries with domain computations: cache.py wraps them, the CLI calls them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Engine

from dashboard.config import FundRules
from dashboard.data_access import queries
from dashboard.data_access.scope import Scope
from dashboard.domain import fund_use


def fund_use_view(
    engine: Engine, scope: Scope, alliance: dict[str, Any], as_of: date, *, funds: Sequence[str], rules: FundRules
) -> fund_use.FundUseView:
    """One alliance's fund use on a Stichtag for the chosen funds (empty: all)."""
    data = queries.fund_use_data(
        engine,
        scope,
        int(alliance["id"]),
        as_of,
        funds=funds,
        counting_until=fund_use.counting_day(alliance["period_end"], rules),
    )
    return fund_use.fund_use_view(
        alliance, data.budget, data.projects, data.flows, data.topic_links, as_of=as_of, funds=funds, rules=rules
    )


def alliance_comparison(engine: Engine, scope: Scope, as_of: date, rules: FundRules) -> pl.DataFrame:
    """Every alliance the scope may read side by side on a Stichtag (one aggregate query per table)."""
    alliances = queries.alliances(engine, scope)
    counting = {
        int(alliance_id): fund_use.counting_day(end, rules)
        for alliance_id, end in alliances.select("id", "period_end").iter_rows()
    }
    return fund_use.alliance_comparison(
        alliances,
        queries.budgets(engine, scope),
        queries.project_money(engine, scope, as_of, counting_until=counting),
        queries.alliance_populations(engine, scope),
        as_of=as_of,
        rules=rules,
    )

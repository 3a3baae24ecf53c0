"""Targets and ESF+ reads on SQLite and PostgreSQL: scoped, honest, and small counts hidden from others."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from sqlalchemy import Engine

from dashboard.config import ImpactRules
from dashboard.data_access import impact, queries
from dashboard.data_access.scope import DEMO_SCOPE, PermissionDenied, Role, Scope
from dashboard.i18n import formats
from dashboard.loaders import esf_summary, target_tracking

AS_OF = date(2021, 12, 31)


def _alliance_id(engine: Engine, slug: str) -> int:
    return int(queries.alliances(engine, DEMO_SCOPE).filter(slug=slug)["id"].item())


def test_targets_are_read_only_within_the_scope(seeded_engine: Engine) -> None:
    son = _alliance_id(seeded_engine, "suedostniedersachsen")
    other = _alliance_id(seeded_engine, "suedwestfalen")
    member = Scope.for_alliances("partner", Role.MEMBER, [other])
    with pytest.raises(PermissionDenied):
        impact.alliance_targets(seeded_engine, member, son)
    with pytest.raises(PermissionDenied):
        esf_summary(seeded_engine, member, son, AS_OF, rules=ImpactRules(), for_others=False)
    targets = impact.alliance_targets(seeded_engine, DEMO_SCOPE, son)
    assert set(targets["scope"]) == {"alliance", "topic"}
    assert "BEISPIEL_REG_ALQ" in targets["code"].to_list()


def test_kreis_values_come_only_from_the_alliances_kreise(seeded_engine: Engine) -> None:
    son = _alliance_id(seeded_engine, "suedostniedersachsen")
    targets = impact.alliance_targets(seeded_engine, DEMO_SCOPE, son)
    values = impact.kreis_observations(seeded_engine, DEMO_SCOPE, son, targets["indicator_id"].to_list())
    kreise = set(queries.alliance_kreise(seeded_engine, DEMO_SCOPE, son))
    assert set(values["region_ags"]) == kreise  # no Land, no Germany, no other alliance's Kreis
    assert impact.alliance_kreis_count(seeded_engine, DEMO_SCOPE, son) == len(kreise) == 8


def test_tracking_on_the_demo_data(seeded_engine: Engine) -> None:
    son = _alliance_id(seeded_engine, "suedostniedersachsen")
    tracking = target_tracking(seeded_engine, DEMO_SCOPE, son, AS_OF, ImpactRules())
    bases = dict(tracking.assessed.select("code", "basis").iter_rows())
    assert bases["BEISPIEL_REG_ALQ"] == "kreise" and bases["EECO01"] == "projects"
    # The rate of the alliance is a population-weighted mean of its Kreise, between their extremes.
    alq = tracking.assessed.filter(pl.col("code") == "BEISPIEL_REG_ALQ").row(0, named=True)
    kreise = tracking.kreis_observations.filter(pl.col("period_end") == alq["actual_date"])
    assert kreise["value"].min() <= alq["actual_value"] <= kreise["value"].max()


def test_small_counts_are_hidden_from_members_but_not_from_speakers(seeded_engine: Engine) -> None:
    son = _alliance_id(seeded_engine, "suedostniedersachsen")
    rules = ImpactRules(suppression_threshold=20)
    speaker = Scope.for_alliances("sprecherin", Role.SPEAKER, [son])
    member = Scope.for_alliances("partner", Role.MEMBER, [son])
    exact = esf_summary(seeded_engine, speaker, son, AS_OF, rules=rules, for_others=False)
    hidden = esf_summary(seeded_engine, member, son, AS_OF, rules=rules, for_others=False)
    presented = esf_summary(seeded_engine, speaker, son, AS_OF, rules=rules, for_others=True)
    assert not exact.suppressed and hidden.suppressed and presented.suppressed
    diverse = exact.totals.filter(pl.col("code") == "EECO01")["diverse"].item()
    assert 1 <= diverse < 20  # the demo's few "divers" participants
    assert hidden.totals.filter(pl.col("code") == "EECO01")["diverse"].item() is None
    assert hidden.totals.filter(pl.col("code") == "EECO01")["diverse_suppressed"].item()
    for summary in (hidden, presented):
        counts = summary.totals.select("total", "female", "male", "diverse").to_numpy().ravel()
        assert not any(1 <= value < 20 for value in counts if value == value)  # NaN != NaN skips hidden cells
        assert summary.exclusivity.is_empty() and summary.breakdowns.is_empty()


@pytest.mark.parametrize(
    ("value", "language", "text"),
    [(0, "de", "0"), (999, "de", "999"), (1234, "de", "1.234"), (1234567, "de", "1.234.567"), (1234, "en", "1,234")],
)
def test_counts_in_mixed_tables_carry_thousands_separators(value: int, language: str, text: str) -> None:
    frame = pl.DataFrame({"n": [float(value)]})
    assert frame.select(formats.count_expr(pl.col("n"), language))["n"].item() == text

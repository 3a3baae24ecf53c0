"""Example regional statistics (Beispieldaten) for the demo regions: deterministic yearly series, bulk-inserted.

The generator reads ``seeds/data/regional_examples.yaml`` (models, levels, breakdowns, missing values) and
``regions.yaml`` (populations), builds every observation as Polars columns from one seeded NumPy generator and
inserts only the keys that are not there yet (the regional unique key indicator + region + period_end +
dimensions), so seeding again writes nothing and a reset of the alliances leaves these rows alone.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

import numpy as np
import polars as pl
import yaml
from sqlalchemy import Connection
from sqlmodel import Session, col, select

from dashboard.data_access.models import Indicator, Observation, utcnow

SPEC_FILE = "regional_examples.yaml"
CODE_PREFIX = "BEISPIEL_REG_"
WAVE_AMPLITUDE = 0.012  # a gentle business-cycle wave, so the lines are not straight
WAVE_YEARS = 7.0
KEY = ["indicator_id", "region_ags", "period_end", "dimensions"]


def _read(name: str) -> dict[str, Any]:
    data = yaml.safe_load(resources.files("seeds").joinpath("data", name).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{name}: expected a mapping at the top level")
    return data


def _regions() -> pl.DataFrame:
    raw = _read("regions.yaml")["regions"]
    return pl.DataFrame(
        {"ags": [r["ags"] for r in raw], "population": [r.get("population") for r in raw]},
        schema={"ags": pl.String(), "population": pl.Float64()},
    ).filter(pl.col("population").is_not_null())


def _parameters(spec: dict[str, Any]) -> pl.DataFrame:
    rows = [
        {
            "code": ind["code"],
            "model": ind["model"],
            "per_capita": bool(ind.get("per_capita", False)),
            "base_lo": float(ind.get("base", [0, 0])[0]),
            "base_hi": float(ind.get("base", [0, 0])[1]),
            "trend_lo": float(ind.get("trend", [0, 0])[0]),
            "trend_hi": float(ind.get("trend", [0, 0])[1]),
            "noise": float(ind.get("noise", 0.0)),
            "decimals": int(ind["decimals"]),
            "period": str(ind["period"]),
            "from_indicator": ind.get("from_indicator"),
            "factor": float(ind.get("factor", 1.0)),
        }
        for ind in spec["indicators"]
    ]
    return pl.DataFrame(rows, schema_overrides={"from_indicator": pl.String()})


def _table(spec: dict[str, Any], section: str, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """One long frame of a per-indicator mapping (shocks, fixed levels, dimensions)."""
    rows = [
        (ind["code"], str(key), *(value if isinstance(value, list) else [str(value)]))
        for ind in spec["indicators"]
        for key, value in (ind.get(section) or {}).items()
    ]
    return pl.DataFrame(rows, schema={"code": pl.String(), **columns}, orient="row")


def _rounded(value: pl.Expr) -> pl.Expr:
    scale = pl.lit(10.0).pow(pl.col("decimals"))
    return (value * scale).round(0) / scale


def _totals(spec: dict[str, Any], regions: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """The total ("" dimensions) of every indicator, region and year."""
    params = _parameters(spec)
    years = pl.DataFrame({"year": range(int(spec["first_year"]), int(spec["last_year"]) + 1)})
    drawn = (
        params.filter(pl.col("model") != "derived").join(regions, how="cross").sort("code", "ags")
    )  # a fixed order, so the same draws land on the same series every time
    fixed = _table(spec, "fixed", {"ags": pl.String(), "fixed_base": pl.Float64(), "fixed_trend": pl.Float64()})
    drawn = drawn.with_columns(
        u_base=pl.Series(rng.random(drawn.height)),
        u_trend=pl.Series(rng.random(drawn.height)),
        phase=pl.Series(rng.random(drawn.height)),
    ).join(fixed, on=["code", "ags"], how="left")
    drawn = drawn.with_columns(
        base=pl.coalesce("fixed_base", pl.col("base_lo") + pl.col("u_base") * (pl.col("base_hi") - pl.col("base_lo"))),
        trend=pl.coalesce(
            "fixed_trend", pl.col("trend_lo") + pl.col("u_trend") * (pl.col("trend_hi") - pl.col("trend_lo"))
        ),
    )
    shocks = _table(spec, "shocks", {"year": pl.String(), "shock": pl.String()}).select(
        "code", pl.col("year").cast(pl.Int64), pl.col("shock").cast(pl.Float64)
    )
    series = drawn.join(years, how="cross").sort("code", "ags", "year")
    series = series.with_columns(z=pl.Series(rng.standard_normal(series.height))).join(
        shocks, on=["code", "year"], how="left"
    )
    t = pl.col("year") - int(spec["first_year"])
    is_level = pl.col("model") == "level"
    wave = 1 + WAVE_AMPLITUDE * ((t / WAVE_YEARS + pl.col("phase")) * 2 * np.pi).sin()
    level = (
        pl.col("base")
        * (1 + pl.col("trend")).pow(t)
        * wave
        * pl.col("shock").fill_null(1.0)
        * (1 + pl.col("noise") * pl.col("z"))
        * pl.when("per_capita").then(pl.col("population")).otherwise(1.0)
    )
    balance = pl.col("base") + pl.col("trend") * t + pl.col("shock").fill_null(0.0) + pl.col("noise") * pl.col("z")
    exact = series.with_columns(exact=pl.when(is_level).then(level).otherwise(balance))
    totals = exact.with_columns(value=_rounded(pl.col("exact"))).select("code", "ags", "year", "population", "value")
    # Counts follow their rate before it is rounded: a rate with one decimal would make them jump in steps.
    derived = (
        params.filter(pl.col("model") == "derived")
        .join(
            exact.select("code", "ags", "year", "population", "exact").rename({"code": "from_indicator"}),
            on="from_indicator",
        )
        .with_columns(value=_rounded(pl.col("exact") * pl.col("population") * pl.col("factor")))
        .select(totals.columns)
    )
    return pl.concat([totals, derived]).join(params.select("code", "decimals", "period"), on="code")


def _with_breakdowns(spec: dict[str, Any], totals: pl.DataFrame) -> pl.DataFrame:
    """Totals plus their breakdowns; a ``rest`` breakdown is the total minus the others, so counts add up."""
    raw = _table(spec, "dimensions", {"dimensions": pl.String(), "share": pl.String()})
    dims = raw.with_columns(share=pl.col("share").cast(pl.Float64, strict=False)).filter(pl.col("dimensions") != "")
    group = ["code", "ags", "year"]
    parts = (
        totals.rename({"value": "total"})
        .join(dims, on="code")
        .with_columns(value=_rounded(pl.col("total") * pl.col("share")))
        .with_columns(
            value=pl.when(pl.col("share").is_null())
            .then(pl.col("total") - pl.col("value").sum().over(group))
            .otherwise("value")
        )
        .drop("total", "share")
    )
    return pl.concat([totals.with_columns(dimensions=pl.lit("")), parts.select(*totals.columns, "dimensions")])


def example_observations(spec: dict[str, Any], regions: pl.DataFrame) -> pl.DataFrame:
    """Every example observation by indicator code (not yet by id), with missing values and their markers."""
    rng = np.random.default_rng(int(spec["seed"]))
    rows = _with_breakdowns(spec, _totals(spec, regions, rng))
    missing = pl.DataFrame(
        [
            (m["code"], m["ags"], int(m["year"]), m.get("dimensions", ""), m["marker"])
            for m in spec.get("missing") or []
        ],
        schema={
            "code": pl.String(),
            "ags": pl.String(),
            "year": pl.Int64(),
            "dimensions": pl.String(),
            "missing_marker": pl.String(),
        },
        orient="row",
    )
    is_year = pl.col("period") == "year"
    month_day = pl.col("period").str.split("-")
    return (
        rows.join(missing, on=["code", "ags", "year", "dimensions"], how="left")
        .with_columns(
            period_start=pl.when(is_year).then(pl.date(pl.col("year"), 1, 1)),
            period_end=pl.when(is_year)
            .then(pl.date(pl.col("year"), 12, 31))
            .otherwise(
                pl.date(pl.col("year"), month_day.list.get(0).cast(pl.Int64), month_day.list.get(1).cast(pl.Int64))
            ),
            value=pl.when(pl.col("missing_marker").is_null()).then("value"),
            source=pl.lit(str(spec["observation_source"])),
        )
        .select(
            "code",
            pl.col("ags").alias("region_ags"),
            "period_start",
            "period_end",
            "dimensions",
            "value",
            "missing_marker",
            "source",
        )
        .sort("code", "region_ags", "period_end", "dimensions")
    )


def _indicator_ids(session: Session, spec: dict[str, Any], count: Callable[[str, int], None]) -> dict[str, int]:
    codes = [ind["code"] for ind in spec["indicators"]]
    ids = {code: ident for code, ident in session.exec(select(Indicator.code, Indicator.id)) if ident}
    for ind in spec["indicators"]:
        if ind["code"] in ids:
            continue
        indicator = Indicator(
            code=ind["code"],
            name=ind["name"],
            name_en=ind.get("name_en"),
            unit=ind["unit"],
            direction=ind["direction"],
            source=spec["source"],
            description=spec.get("description", ""),
        )
        session.add(indicator)
        session.flush()
        assert indicator.id is not None
        ids[indicator.code] = indicator.id
        count("indicator", 1)
    return {code: ids[code] for code in codes}


def _existing_keys(connection: Connection, indicator_ids: list[int]) -> pl.DataFrame:
    statement = select(
        col(Observation.indicator_id),
        col(Observation.region_ags),
        col(Observation.period_end),
        col(Observation.dimensions),
    ).where(col(Observation.indicator_id).in_(indicator_ids), col(Observation.project_id).is_(None))
    rows = connection.execute(statement).all()
    schema = {"indicator_id": pl.Int64(), "region_ags": pl.String(), "period_end": pl.Date(), "dimensions": pl.String()}
    return pl.DataFrame([tuple(row) for row in rows], schema=schema, orient="row")


def seed_regional_examples(session: Session, count: Callable[[str, int], None]) -> int:
    """Add the example regional statistics that are missing (after the regions exist); returns the rows written."""
    spec = _read(SPEC_FILE)
    ids = _indicator_ids(session, spec, count)
    codes = pl.DataFrame(
        {"code": list(ids), "indicator_id": list(ids.values())}, schema_overrides={"indicator_id": pl.Int64}
    )
    frame = example_observations(spec, _regions()).join(codes, on="code").drop("code")
    connection = session.connection()
    new = frame.join(_existing_keys(connection, list(ids.values())), on=KEY, how="anti")
    if new.is_empty():
        return 0
    now = utcnow()
    rows = new.with_columns(
        is_cumulative=pl.lit(False), version=pl.lit(1), created_at=pl.lit(now), updated_at=pl.lit(now)
    ).to_dicts()
    connection.execute(Observation.__table__.insert(), rows)  # type: ignore[attr-defined]
    count("observation", len(rows))
    return len(rows)

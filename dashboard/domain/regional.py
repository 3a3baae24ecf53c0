"""Regional statistics of an alliance's Kreise: index series, periods, the map frame, and need versus intervention.

The frames come from ``data_access.regional``: a series has one row per region and period (``value`` null where
the table had a missing-value marker), reference regions (Land, Germany) are flagged ``is_reference``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

INDEX_BASE = 100.0


@dataclass(frozen=True)
class IndexedSeries:
    """A series as an index (base year = 100) and the regions that had no value to index on."""

    frame: pl.DataFrame  # the series with value = index, raw_value = the value as published
    dropped: list[str]  # names of the regions without a (non-zero) value in the base year, by name
    base_year: int


def years(series: pl.DataFrame) -> list[int]:
    """The years in which at least one Kreis (not a reference) has a value, ascending."""
    return sorted(
        series.filter(~pl.col("is_reference"), pl.col("value").is_not_null())["period_end"].dt.year().unique()
    )


def indexed_series(frame: pl.DataFrame, base_year: int) -> IndexedSeries:
    """Each region's values relative to its own base-year value (= 100).

    The base is the mean of the region's values in the base year (one value for yearly data; quarterly data is
    averaged over the year, so a season does not set the base). Regions without a base value, or with a base of
    0, cannot be indexed and drop out; their names are returned so the page can say so.
    """
    bases = (
        frame.filter(pl.col("period_end").dt.year() == base_year)
        .group_by("region_ags")
        .agg(pl.col("value").mean().alias("base"))
    )
    joined = frame.join(bases, on="region_ags", how="left")
    usable = pl.col("base").is_not_null() & (pl.col("base") != 0)
    dropped = joined.filter(~usable).select("region_name").unique().sort("region_name")["region_name"].to_list()
    indexed = (
        joined.filter(usable)
        .with_columns(raw_value=pl.col("value"), value=pl.col("value") / pl.col("base") * INDEX_BASE)
        .drop("base")
    )
    return IndexedSeries(frame=indexed, dropped=dropped, base_year=base_year)


REFERENCE_SCALE_LIMIT = 3.0


def comparable_references(series: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The series without the references on another scale than the Kreise, and the names of those left out.

    A Land's or Germany's count of unemployed dwarfs a Kreis' and flattens its line; rates and balances share a
    scale. A reference stays when its largest absolute value is at most REFERENCE_SCALE_LIMIT times the Kreise's
    (in the index every region shares the scale, so there all references stay).
    """
    kreise_largest = series.filter(~pl.col("is_reference"))["value"].abs().max()
    if kreise_largest is None:
        return series, []
    limit = REFERENCE_SCALE_LIMIT * float(kreise_largest)  # type: ignore[arg-type]
    largest = series.group_by("region_ags").agg(pl.col("value").abs().max().alias("largest"))
    too_large = (
        series.join(largest, on="region_ags")
        .filter(pl.col("is_reference"), pl.col("largest") > limit)
        .select("region_ags", "region_name")
        .unique()
        .sort("region_ags")
    )
    dropped = too_large["region_name"].to_list()
    return series.filter(~pl.col("region_ags").is_in(too_large["region_ags"].implode())), dropped


def latest_period(series: pl.DataFrame) -> date | None:
    """The latest period_end with a value for at least one Kreis."""
    kreise = series.filter(~pl.col("is_reference"), pl.col("value").is_not_null())
    return kreise["period_end"].max() if kreise.height else None  # type: ignore[return-value]


def period_in_year(series: pl.DataFrame, year: int) -> date | None:
    """The latest period_end of a year at which a Kreis has a value (yearly data: its only one)."""
    return latest_period(series.filter(pl.col("period_end").dt.year() == year))


MAP_COLUMNS = ["region_ags", "region_name", "latitude", "longitude", "population", "value", "missing_marker"]


def map_frame(series: pl.DataFrame, period_end: date) -> pl.DataFrame:
    """One row per Kreis at the period with its coordinates, value and missing-value marker, by name."""
    return (
        series.filter(~pl.col("is_reference"), pl.col("period_end") == period_end)
        .select(MAP_COLUMNS)
        .sort("region_name", "region_ags")
    )


NEED_SCHEMA = {
    "region_ags": pl.String(),
    "region_name": pl.String(),
    "population": pl.Int64(),
    "value": pl.Float64(),
    "missing_marker": pl.String(),
    "committed_cents": pl.Int64(),
    "euro_per_inhabitant": pl.Float64(),
    "money_share": pl.Float64(),
    "population_share": pl.Float64(),
    "funding_ratio": pl.Float64(),
}


def need_vs_intervention(
    series_at_period: pl.DataFrame, money_by_region: pl.DataFrame, population: pl.DataFrame
) -> pl.DataFrame:
    """Per Kreis of the alliance: the indicator value next to the approved money, absolute and per inhabitant.

    ``population`` lists the alliance's Kreise (ags, name, population); ``money_by_region`` is
    data_access.regional.money_by_region (money of projects without a Kreis, or outside the alliance, stays out).
    ``money_share`` is the Kreis' part of the money attributed to the alliance's Kreise; ``population_share`` its
    part of the inhabitants of the Kreise with a known population; ``funding_ratio`` = money share / population
    share (1: money in proportion to inhabitants, 2: twice that). A Kreis without population has no value per
    inhabitant, share of inhabitants or ratio (null), rather than a made-up one.
    """
    values = series_at_period.filter(~pl.col("is_reference")).select("region_ags", "value", "missing_marker")
    money = money_by_region.filter(pl.col("region_ags").is_not_null()).select("region_ags", "committed_cents")
    people = pl.col("population").cast(pl.Float64)
    known = pl.col("population").is_not_null() & (pl.col("population") > 0)
    frame = (
        population.select(pl.col("ags").alias("region_ags"), pl.col("name").alias("region_name"), "population")
        .join(values, on="region_ags", how="left")
        .join(money, on="region_ags", how="left")
        .with_columns(pl.col("committed_cents").fill_null(0))
    )
    money_total = pl.col("committed_cents").sum()
    people_total = pl.when(known).then(people).sum()
    return (
        frame.with_columns(
            euro_per_inhabitant=pl.when(known).then(pl.col("committed_cents") / 100 / people),
            money_share=pl.when(money_total != 0).then(pl.col("committed_cents") / money_total),
            population_share=pl.when(known).then(people / people_total),
        )
        .with_columns(
            funding_ratio=pl.when(pl.col("population_share") > 0).then(
                pl.col("money_share") / pl.col("population_share")
            )
        )
        .select(pl.col(name).cast(dtype) for name, dtype in NEED_SCHEMA.items())
        .sort("region_name", "region_ags")
    )


def alliance_euro_per_inhabitant(need: pl.DataFrame) -> float | None:
    """Approved euro per inhabitant over the Kreise with a known population (None when there are none)."""
    known = need.filter(pl.col("population").is_not_null(), pl.col("population") > 0)
    people = int(known["population"].sum())
    return float(known["committed_cents"].sum()) / 100 / people if people else None


def money_without_kreis(money_by_region: pl.DataFrame) -> int:
    """Cents of projects that name no Kreis (not attributed to any)."""
    return int(money_by_region.filter(pl.col("region_ags").is_null())["committed_cents"].sum())


def money_outside_alliance(money_by_region: pl.DataFrame) -> int:
    """Cents attributed to Kreise outside the alliance's region (projects reaching beyond it)."""
    outside = money_by_region.filter(pl.col("region_ags").is_not_null(), ~pl.col("in_alliance"))
    return int(outside["committed_cents"].sum())

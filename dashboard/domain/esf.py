"""ESF+ common indicators across an alliance's projects, with the rules that keep the totals honest.

* A cumulative series (participants so far) counts with each project's latest report, never summed across
  reporting dates; a periodic series is summed.
* EECR01 (job searching upon leaving) and EECR04 (in employment upon leaving) exclude each other per
  participant, so per project they cannot add up to more than its participants (EECO01); projects that do are
  listed for correction instead of being silently counted.
* Breakdowns by sex come from the same reports; a breakdown larger than its total is listed too.
* Counts from 1 to threshold − 1 are suppressed in views shown to others, and where one cell of a row's
  breakdown is suppressed, the next smallest is too, so no suppressed count can be recovered by subtraction.
"""

from __future__ import annotations

from datetime import date

import polars as pl

SEX_COLUMNS = {"sex=w": "female", "sex=m": "male", "sex=d": "diverse"}
COUNT_COLUMNS = ("total", *SEX_COLUMNS.values())
PARTICIPANTS, JOB_SEARCHING, EMPLOYED = "EECO01", "EECR01", "EECR04"

TOTALS_SCHEMA = pl.Schema(
    {
        "code": pl.String(),
        "name": pl.String(),
        "name_en": pl.String(),
        "projects": pl.Int64(),
        **{column: pl.Float64() for column in COUNT_COLUMNS},
    }
)


def project_values(observations: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Each project's value per indicator and breakdown up to ``as_of``: latest if cumulative, else the sum."""
    frame = observations.filter(pl.col("period_end") <= as_of, pl.col("value").is_not_null())
    return (
        frame.sort("period_end")
        .group_by("project_id", "code", "dimensions")
        .agg(
            value=pl.when(pl.col("is_cumulative").last()).then(pl.col("value").last()).otherwise(pl.col("value").sum())
        )
        .sort("project_id", "code", "dimensions")
    )


def esf_totals(observations: pl.DataFrame, indicators: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """One row per ESF+ indicator reported by any project: total, breakdown by sex, number of projects."""
    values = project_values(observations.filter(pl.col("code").is_in(indicators["code"].implode())), as_of)
    totals = (
        values.filter(pl.col("dimensions") == "")
        .group_by("code")
        .agg(total=pl.col("value").sum(), projects=pl.col("project_id").n_unique())
    )
    by_sex = (
        values.filter(pl.col("dimensions").is_in(list(SEX_COLUMNS)))
        .with_columns(column=pl.col("dimensions").replace_strict(SEX_COLUMNS))
        .group_by("code", "column")
        .agg(pl.col("value").sum())
    )
    wide = pl.DataFrame({"code": totals["code"]})
    for column in SEX_COLUMNS.values():
        part = by_sex.filter(pl.col("column") == column).select("code", pl.col("value").alias(column))
        wide = wide.join(part, on="code", how="left")
    return (
        indicators.select("code", "name", "name_en")
        .join(totals, on="code", how="inner")
        .join(wide, on="code", how="left")
        .sort("code")
        .select(TOTALS_SCHEMA.keys())
        .cast(TOTALS_SCHEMA)
    )


def suppress_small_counts(table: pl.DataFrame, threshold: int) -> pl.DataFrame:
    """Counts 1 … threshold−1 become null with a ``<column>_suppressed`` flag; secondary suppression per row."""
    primary = {c: pl.col(c).is_between(1, threshold, closed="left").fill_null(False) for c in COUNT_COLUMNS}
    flagged = table.with_columns(**{f"{c}_suppressed": expr for c, expr in primary.items()})
    breakdown = list(SEX_COLUMNS.values())
    lone = pl.sum_horizontal(pl.col(f"{c}_suppressed") for c in breakdown) == 1
    # The smallest positive count left in the breakdown, which would otherwise give the lone one away.
    smallest = pl.min_horizontal(
        pl.when(~pl.col(f"{c}_suppressed") & (pl.col(c) > 0)).then(pl.col(c)) for c in breakdown
    )
    secondary = {
        f"{c}_suppressed": pl.col(f"{c}_suppressed")
        | (lone & ~pl.col("total_suppressed") & (pl.col(c) == smallest)).fill_null(False)
        for c in breakdown
    }
    return flagged.with_columns(**secondary).with_columns(
        pl.when(pl.col(f"{c}_suppressed")).then(None).otherwise(pl.col(c)).alias(c) for c in COUNT_COLUMNS
    )


def exclusivity_violations(observations: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Projects whose EECR01 + EECR04 exceed their participants (EECO01): the two exclude each other."""
    values = project_values(observations, as_of).filter(pl.col("dimensions") == "")
    wide = values.pivot(on="code", index="project_id", values="value")
    for code in (PARTICIPANTS, JOB_SEARCHING, EMPLOYED):
        if code not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(code))
    return (
        wide.select("project_id", PARTICIPANTS, JOB_SEARCHING, EMPLOYED)
        .with_columns(pl.col(JOB_SEARCHING, EMPLOYED).fill_null(0.0))
        .filter(
            (pl.col(JOB_SEARCHING) > 0) | (pl.col(EMPLOYED) > 0),
            (pl.col(JOB_SEARCHING) + pl.col(EMPLOYED) > pl.col(PARTICIPANTS)) | pl.col(PARTICIPANTS).is_null(),
        )
        .sort("project_id")
    )


def breakdown_violations(observations: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """(project_id, code, total, breakdown): projects whose breakdown by sex adds up to more than the total."""
    values = project_values(observations, as_of)
    totals = values.filter(pl.col("dimensions") == "").select("project_id", "code", total="value")
    parts = (
        values.filter(pl.col("dimensions").is_in(list(SEX_COLUMNS)))
        .group_by("project_id", "code")
        .agg(breakdown=pl.col("value").sum())
    )
    return (
        totals.join(parts, on=["project_id", "code"], how="inner")
        .filter(pl.col("breakdown") > pl.col("total"))
        .sort("project_id", "code")
    )

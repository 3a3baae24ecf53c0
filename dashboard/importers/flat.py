"""GENESIS flat-file CSV (ffcsv): one record per value (2024 format) or per time and breakdown (older format).

2024 format (English headers in both languages): ``statistics_code; statistics_label; time_code;
time_label; time; 1_variable_code; 1_variable_label; 1_variable_attribute_code;
1_variable_attribute_label; 2_variable_…; value; value_unit; value_variable_code;
value_variable_label[; value_q]``.
Older format (German headers): ``Statistik_Code; Statistik_Label; Zeit_Code; Zeit_Label; Zeit;
1_Merkmal_Code; 1_Merkmal_Label; 1_Auspraegung_Code; 1_Auspraegung_Label; …`` and one column per
measure named ``CODE__Label__Unit`` (underscores for spaces), each optionally followed by its quality
column ``CODE__Label__q``.

The region is the variable whose codes are regional (DINSG, DLAND, REGBEZ, KREISE, GEMEIN …) or whose
attribute codes look like region keys; every other variable becomes a dimension keyed by its variable
code in lower case (``GES`` → ``sex`` with GESM/GESW/GESD → m/w/d). Quality flags other than the
missing markers (e.g. ``e`` = final, ``p`` = provisional) are not kept. Values use the decimal comma only;
"1.234" is a thousands-grouped 1234, any other dot in a value is an error.
"""

from __future__ import annotations

import re

import polars as pl

from dashboard.importers.model import ImportFormat, ImportIssue, ParsedImport
from dashboard.importers.values import (
    MAX_ISSUES,
    MISSING_MARKERS,
    REGION_KEY_PATTERN,
    IssueList,
    bad_value_key,
    column_label,
    data_records,
    direction_expr,
    duplicate_issues,
    fail,
    finish_observations,
    indicator_code,
    is_total_expr,
    period_exprs,
    regions_frame,
    tokenise,
    value_exprs,
)

REGION_VARIABLES = ("DINSG", "DLAND", "REGBEZ", "KREISE", "GEMEIN", "STAG_REG", "KREISF")
SEX_VARIABLES = ("GES", "GESCHL", "GESCH")
SEX_ATTRIBUTES = {"GESM": "m", "GESW": "w", "GESD": "d", "GESX": "d"}
NEW_VARIABLE = re.compile(r"^(\d+)_variable_(code|label|attribute_code|attribute_label)$")
OLD_VARIABLE = re.compile(r"^(\d+)_(Merkmal_Code|Merkmal_Label|Auspraegung_Code|Auspraegung_Label)$")
OLD_MEASURE = re.compile(r"^(.+?)__(.+)__(.+)$")
PART_NAMES = {
    "code": "code",
    "label": "label",
    "attribute_code": "attribute_code",
    "attribute_label": "attribute_label",
    "Merkmal_Code": "code",
    "Merkmal_Label": "label",
    "Auspraegung_Code": "attribute_code",
    "Auspraegung_Label": "attribute_label",
}


def is_flat_header(line: str) -> bool:
    """Whether a first line is an ffcsv header (2024 or older format)."""
    cells = {cell.strip().strip('"') for cell in line.lstrip("\ufeff").split(";")}
    return {"statistics_code", "time", "value"} <= cells or {"Statistik_Code", "Zeit"} <= cells


def parse_flat(text: str, filename: str) -> ParsedImport:
    """Parse an ffcsv file (already decoded) into a ParsedImport, or raise FileFormatError."""
    records = tokenise(text)
    if not records:
        raise fail("issue.empty_file")
    header = [cell.strip() for cell in records[0].fields]
    width = len(header)
    issues = IssueList()
    rows = data_records(records[1:], width, issues)
    if not rows and not issues:
        raise fail("issue.no_data", line=2)
    wide = pl.DataFrame(
        {"line": [r.line for r in rows], **{f"c{i}": [r.fields[i] for r in rows] for i in range(width)}},
        schema={"line": pl.Int64, **{f"c{i}": pl.String for i in range(width)}},
    )
    position = {name: index for index, name in enumerate(header)}
    long = _long_new(wide, position) if "statistics_code" in position else _long_old(wide, header, position)
    variables = _variables(header)
    region_number = _region_variable(long, variables)
    if region_number is None:
        raise fail("issue.no_region_column", line=2)

    statistic = long.get_column("statistic").drop_nulls().head(1).to_list()
    prefix = statistic[0][:5] if statistic and re.match(r"^\d{5}", statistic[0]) else "rs"
    pairs = long.select("measure_label", "unit").unique(maintain_order=True)
    codes = pl.DataFrame(
        {
            "measure_label": pairs.get_column("measure_label"),
            "unit": pairs.get_column("unit"),
            "indicator_code": [indicator_code(prefix, n or "", u or "") for n, u in pairs.iter_rows()],
        },
        schema={"measure_label": pl.String, "unit": pl.String, "indicator_code": pl.String},
    )
    statistic_label = long.get_column("statistic_label").drop_nulls().head(1).to_list()
    title = statistic_label[0] if statistic_label else filename
    source = f"GENESIS {statistic[0] if statistic else ''}".strip() + (
        "; © Statistische Ämter des Bundes und der Länder, dl-de/by-2-0"
    )
    region = f"v{region_number}"
    parts = [_dimension_part(f"v{n}") for n in variables if n != region_number]
    start, end = period_exprs(pl.col("time"))
    value, marker, is_bad = value_exprs(pl.col("raw"))
    long = long.join(codes, on=["measure_label", "unit"], how="left", nulls_equal=True).with_columns(
        pl.col(f"{region}_attribute_code").str.strip_chars().alias("region_ags"),
        (pl.concat_list(parts).list.drop_nulls().list.sort().list.join(";") if parts else pl.lit("")).alias(
            "dimensions"
        ),
        start.alias("period_start"),
        end.alias("period_end"),
        value.alias("value"),
        pl.when(pl.col("raw").str.strip_chars() == "")
        .then(pl.when(pl.col("quality").is_in(list(MISSING_MARKERS))).then(pl.col("quality")))
        .otherwise(marker)
        .alias("missing_marker"),
        is_bad.alias("bad_value"),
        pl.lit(False).alias("is_cumulative"),
        pl.lit(source).alias("source"),
    )
    time_label = column_label(position.get("time", position.get("Zeit", 0)) + 1, "time")
    checks = [
        ("issue.unknown_region", ~pl.col("region_ags").str.contains(REGION_KEY_PATTERN), "region_ags"),
        ("issue.bad_period", pl.col("period_end").is_null(), "time"),
        ("issue.not_a_number", pl.col("bad_value"), "raw"),
    ]
    for key, failing, column in checks:
        bad = long.filter(failing).sort("line")
        for row in bad.head(MAX_ISSUES + 1).iter_rows(named=True):
            where = time_label if column == "time" else row["value_column"]
            if column == "region_ags":
                where = row[f"{region}_column"]
            text = row[column] or ""
            issues.add(
                bad_value_key(text) if key == "issue.not_a_number" else key, line=row["line"], column=where, text=text
            )
        issues.unlisted += max(bad.height - MAX_ISSUES - 1, 0)
    if not issues:
        duplicate_issues(long, issues)
    issues.raise_if_any()

    indicators = (
        long.unique("indicator_code", keep="first", maintain_order=True)
        .select(
            pl.col("indicator_code").alias("code"),
            pl.col("measure_label").fill_null("").alias("name"),
            pl.col("unit").fill_null(""),
            direction_expr(pl.col("measure_label")).alias("direction"),
            pl.lit(source).alias("source"),
            pl.col("measure_code").fill_null("").alias("description"),
        )
        .with_columns(pl.when(pl.col("name") == "").then(pl.col("code")).otherwise(pl.col("name")).alias("name"))
    )
    regions = regions_frame(
        long.select(pl.col("region_ags").alias("ags"), pl.col(f"{region}_attribute_label").alias("raw_name"))
    )
    observations = finish_observations(long)
    missing = observations.select(pl.col("value").is_null().sum()).item()
    notes = (ImportIssue("note.missing_values", params={"count": missing}),) if missing else ()
    return ParsedImport(
        format=ImportFormat.GENESIS_FLAT,
        title=title,
        table_code=statistic[0] if statistic else None,
        source=source,
        indicators=indicators,
        regions=regions,
        observations=observations,
        skipped_lines=len(text.splitlines()) - len(rows),
        notes=notes,
    )


def _variables(header: list[str]) -> list[int]:
    numbers = set()
    for name in header:
        match = NEW_VARIABLE.match(name) or OLD_VARIABLE.match(name)
        if match:
            numbers.add(int(match.group(1)))
    return sorted(numbers)


def _variable_columns(wide: pl.DataFrame, header: list[str]) -> list[pl.Expr]:
    """v<n>_code, v<n>_label, v<n>_attribute_code, v<n>_attribute_label and v<n>_column (for messages)."""
    exprs = []
    for index, name in enumerate(header):
        match = NEW_VARIABLE.match(name) or OLD_VARIABLE.match(name)
        if match:
            part = PART_NAMES[match.group(2)]
            exprs.append(pl.col(f"c{index}").alias(f"v{match.group(1)}_{part}"))
            if part == "attribute_code":
                exprs.append(pl.lit(column_label(index + 1, name)).alias(f"v{match.group(1)}_column"))
    return exprs


def _long_new(wide: pl.DataFrame, position: dict[str, int]) -> pl.DataFrame:
    header = list(position)

    def col(name: str) -> pl.Expr:
        return pl.col(f"c{position[name]}") if name in position else pl.lit(None, dtype=pl.String)

    return wide.select(
        "line",
        col("statistics_code").alias("statistic"),
        col("statistics_label").alias("statistic_label"),
        col("time").alias("time"),
        col("value_variable_code").alias("measure_code"),
        col("value_variable_label").alias("measure_label"),
        col("value_unit").alias("unit"),
        col("value").fill_null("").alias("raw"),
        col("value_q").fill_null("").str.strip_chars().alias("quality"),
        pl.lit(column_label(position.get("value", 0) + 1, "value")).alias("value_column"),
        *_variable_columns(wide, header),
    )


def _long_old(wide: pl.DataFrame, header: list[str], position: dict[str, int]) -> pl.DataFrame:
    measures = [
        (index, match)
        for index, name in enumerate(header)
        if (match := OLD_MEASURE.match(name)) and match.group(3) != "q"
    ]
    if not measures:
        raise fail("issue.no_value_columns", line=1)
    keys = wide.select(
        "line",
        pl.col(f"c{position['Statistik_Code']}").alias("statistic"),
        (pl.col(f"c{position['Statistik_Label']}") if "Statistik_Label" in position else pl.lit(None, pl.String)).alias(
            "statistic_label"
        ),
        pl.col(f"c{position['Zeit']}").alias("time"),
        *_variable_columns(wide, header),
    )
    frames = []
    for index, match in measures:
        code, label, unit = match.groups()
        quality_name = f"{code}__{label}__q"
        quality = pl.col(f"c{position[quality_name]}") if quality_name in position else pl.lit("")
        frames.append(
            keys.with_columns(
                pl.lit(code).alias("measure_code"),
                pl.lit(label.replace("_", " ")).alias("measure_label"),
                pl.lit(unit.replace("_", " ")).alias("unit"),
                wide.get_column(f"c{index}").fill_null("").alias("raw"),
                wide.select(quality.fill_null("").str.strip_chars()).to_series().alias("quality"),
                pl.lit(column_label(index + 1, header[index])).alias("value_column"),
            )
        )
    return pl.concat(frames)


def _region_variable(long: pl.DataFrame, variables: list[int]) -> int | None:
    best, best_share = None, 0.5
    for number in variables:
        share = long.select(
            (
                pl.col(f"v{number}_code").is_in(list(REGION_VARIABLES))
                | pl.col(f"v{number}_attribute_code").str.strip_chars().str.contains(REGION_KEY_PATTERN)
            ).mean()
        ).item()
        if share is not None and share >= best_share:
            best, best_share = number, share
    return best


def _dimension_part(prefix: str) -> pl.Expr:
    code = pl.col(f"{prefix}_code").str.strip_chars()
    attribute = pl.col(f"{prefix}_attribute_code").str.strip_chars()
    label = pl.col(f"{prefix}_attribute_label").str.strip_chars()
    is_sex = code.is_in(list(SEX_VARIABLES))
    sex = attribute.replace_strict(SEX_ATTRIBUTES, default=None)
    other = label.str.replace_all(";", ",", literal=True).str.replace_all("=", "-", literal=True)
    is_total = attribute.is_null() | (attribute == "") | is_total_expr(label) | (is_sex & sex.is_null())
    key = code.str.to_lowercase().str.replace_all(r"[^a-z0-9_]", "_")
    return (
        pl.when(is_total)
        .then(pl.lit(None, dtype=pl.String))
        .when(is_sex)
        .then(pl.lit("sex=") + sex)
        .otherwise(key + pl.lit("=") + other)
    )

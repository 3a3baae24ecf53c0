"""Regionalstatistik / GENESIS "Tabelle als CSV": title block, header rows, key columns, values, footnotes.

The layout is inferred, not assumed:
- the footnote block starts at a ``____`` line; without one, the data ends after the last record that
  still has the data rows' shape (field count and a region key);
- header rows are the rows just above the data whose leading key cells are empty; the smallest number
  of leading empty cells is the number of key columns;
- among the key columns the region key column, the time column (year or date) and the region name
  column (right of the key) are found by their contents; all other key columns are dimensions;
- a header row of years/dates puts the time into the columns; a last header row of units (Anzahl,
  Prozent, EUR …) gives the units; the other header rows name the measure (the top one forward-filled
  because GENESIS merges its cells; a blank lower cell means "total");
- without a time column or row, the title block must name it ("Stichtag: 30.06.2020", "Jahr: 2019").

Values "(12,3)" (limited reliability) are kept as values with the marker "()".
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import polars as pl

from dashboard.importers.model import ImportFormat, ImportIssue, ParsedImport
from dashboard.importers.values import (
    MAX_ISSUES,
    PERIOD_PATTERN,
    REGION_KEY_PATTERN,
    IssueList,
    Record,
    column_label,
    dimension_part,
    dimensions_expr,
    direction_for,
    duplicate_issues,
    fail,
    finish_observations,
    indicator_code,
    is_sex_column,
    period_exprs,
    physical_lines,
    regions_frame,
    tokenise,
    value_exprs,
)

DEFAULT_COPYRIGHT = "© Statistische Ämter des Bundes und der Länder"
LICENCE = "dl-de/by-2-0"
TABLE_CODE = re.compile(r"(?:GENESIS-)?Tabelle\s*:?\s*(\d{5}[\w-]*)", re.IGNORECASE)
TITLE_PERIOD = re.compile(
    r"(?:Stichtag|Berichtsjahr|Berichtszeitraum|Jahr|Zeitraum|Zeit)\s*:?\s*"
    r"(\d{2}\.\d{2}\.\d{4}|\d{4}-\d{2}-\d{2}|\d{4})\b",
    re.IGNORECASE,
)
HEADER_YEAR = re.compile(r"^(?:(?:19|20)\d{2}|\d{2}\.\d{2}\.(?:19|20)\d{2}|(?:19|20)\d{2}-\d{2}-\d{2})$")
UNITS = {
    "anzahl",
    "prozent",
    "%",
    "promille",
    "‰",
    "eur",
    "euro",
    "tsd. eur",
    "tsd eur",
    "1000 eur",
    "1 000 eur",
    "mill. eur",
    "mio. eur",
    "mrd. eur",
    "1000",
    "1 000",
    "tsd.",
    "tsd",
    "personen",
    "jahre",
    "jahr",
    "monate",
    "tage",
    "stunden",
    "std.",
    "qkm",
    "km²",
    "km2",
    "ha",
    "m²",
    "m³",
    "t",
    "tonnen",
    "1000 t",
    "kwh",
    "mwh",
    "gwh",
    "index",
    "einwohner",
    "betten",
    "plätze",
    "wohnungen",
    "betriebe",
    "unternehmen",
}
UNIT_PATTERN = re.compile(
    r"^(?:(?:je|pro|in|EUR je|Anzahl je|Personen je)\s.+|\d{4}\s*=\s*100|.*%|(?:Tsd\.|Mill\.|Mio\.|Mrd\.|1000)\s*\S+)$",
    re.IGNORECASE,
)
STAND = re.compile(r"Stand:\s*(\d{2}\.\d{2}\.\d{4})")
QUELLE = re.compile(r"Quelle:\s*(.+?)\.(?:\s|$)", re.DOTALL)


@dataclass(frozen=True)
class ValueColumn:
    """One value column of the table and the indicator it feeds."""

    index: int  # 0-based field index
    name: str
    unit: str
    code: str
    period: str | None  # when the time is in the header rows


@dataclass(frozen=True)
class KeyColumns:
    region: int
    time: int | None
    name: int | None
    dimensions: tuple[int, ...]


def parse_genesis_table(text: str, filename: str) -> ParsedImport:
    """Parse a GENESIS table CSV (already decoded) into a ParsedImport, or raise FileFormatError."""
    issues = IssueList()
    layout = _layout(tokenise(text), issues)
    title_lines = [" ".join(f.strip() for f in r.fields if f.strip()) for r in layout.title_records]
    title_lines = [line for line in title_lines if line]
    table_code = next((m.group(1) for line in title_lines if (m := TABLE_CODE.search(line))), None)
    title = " ".join(line for line in title_lines if not TABLE_CODE.search(line)) or filename
    source = _source(table_code, "\n".join("\n".join(r.fields) for r in layout.footer))

    keys = layout.keys
    period_row = _period_row(layout.headers, layout.key_count, layout.width)
    title_period = None
    if keys.time is None and period_row is None:
        match = next((m for line in title_lines if (m := TITLE_PERIOD.search(line))), None)
        if match is None:
            raise fail("issue.no_time")
        title_period = match.group(1)
    columns = _value_columns(layout, period_row=period_row, table_code=table_code, title=title)

    wide = pl.DataFrame(
        {
            "line": [r.line for r in layout.rows],
            **{f"c{i}": [r.fields[i] for r in layout.rows] for i in range(layout.width)},
        },
        schema={"line": pl.Int64, **{f"c{i}": pl.String for i in range(layout.width)}},
    )
    _check_keys(wide, keys, issues)
    if keys.time is not None:
        period = pl.col(f"c{keys.time}")
    elif title_period is not None:
        period = pl.lit(title_period)
    else:
        period = pl.col("column_period")
    long = _long_frame(wide, keys=keys, columns=columns, period=period).with_columns(pl.lit(source).alias("source"))
    _check_values(long, issues, title_period=title_period, time_in_rows=keys.time is not None)
    if not issues:
        duplicate_issues(long, issues)
    issues.raise_if_any()

    observations = finish_observations(long)
    regions = regions_frame(
        wide.select(
            pl.col(f"c{keys.region}").str.strip_chars().alias("ags"),
            (pl.col(f"c{keys.name}") if keys.name is not None else pl.lit(None, dtype=pl.String)).alias("raw_name"),
        )
    )
    total_lines = physical_lines(text)
    return ParsedImport(
        format=ImportFormat.GENESIS_TABLE,
        title=title,
        table_code=table_code,
        source=source,
        indicators=_indicators(columns, source=source, title=title),
        regions=regions,
        observations=observations,
        skipped_lines=total_lines - len(layout.rows),
        notes=_notes(layout.footer, observations, title_period, total_lines=total_lines),
    )


@dataclass(frozen=True)
class Layout:
    """Where things are: title records, header rows, key columns, data rows, footnote records."""

    width: int
    title_records: list[Record]
    headers: list[Record]
    key_count: int
    keys: KeyColumns
    rows: list[Record]
    footer: list[Record]


def _layout(records: list[Record], issues: IssueList) -> Layout:
    if not records:
        raise fail("issue.empty_file")
    separator = _footnote_separator(records)
    body = records[:separator] if separator is not None else records
    footer = records[separator:] if separator is not None else []
    width = _table_width(body)
    header_start, header_end = _header_block(body, width)
    headers = body[header_start:header_end]
    key_count = min(_leading_empty(record.fields) for record in headers)
    candidates = body[header_end:]
    shaped = [r for r in candidates if len(r.fields) == width and any(f.strip() for f in r.fields[:key_count])]
    if not shaped:
        raise fail("issue.no_data", line=headers[-1].line + 1)
    keys = _key_columns(shaped, key_count)
    if separator is None:
        last = max(
            (i for i, r in enumerate(candidates) if _has_data_shape(r, width=width, keys=keys, key_count=key_count)),
            default=len(candidates) - 1,
        )
        footer = candidates[last + 1 :]
        candidates = candidates[: last + 1]
    rows: list[Record] = []
    for record in candidates:
        if not any(field.strip() for field in record.fields):
            continue
        if len(record.fields) != width:
            issues.add("issue.wrong_field_count", line=record.line, expected=width, found=len(record.fields))
            continue
        rows.append(record)
    if not rows:
        raise fail("issue.no_data", line=headers[-1].line + 1)
    return Layout(
        width=width,
        title_records=body[:header_start],
        headers=headers,
        key_count=key_count,
        keys=keys,
        rows=rows,
        footer=footer,
    )


def _long_frame(wide: pl.DataFrame, *, keys: KeyColumns, columns: list[ValueColumn], period: pl.Expr) -> pl.DataFrame:
    """One row per value cell with its indicator, region, period, dimensions, parsed value and marker."""
    dims = {}
    for number, index in enumerate(keys.dimensions, start=1):
        key = "sex" if is_sex_column(wide[f"c{index}"]) else f"merkmal{number}"
        dims[key] = dimension_part(key, pl.col(f"c{index}"))
    meta = pl.DataFrame(
        {
            "column": [f"c{c.index}" for c in columns],
            "indicator_code": [c.code for c in columns],
            "column_label": [column_label(c.index + 1, c.name) for c in columns],
            "column_period": [c.period for c in columns],
        },
        schema=dict.fromkeys(("column", "indicator_code", "column_label", "column_period"), pl.String),
    )
    start, end = period_exprs(period)
    value, marker, is_bad = value_exprs(pl.col("raw"))
    return (
        wide.with_columns(
            pl.col(f"c{keys.region}").str.strip_chars().alias("region_ags"),
            dimensions_expr(dims).alias("dimensions"),
        )
        .unpivot(
            on=[f"c{c.index}" for c in columns],
            index=["line", "region_ags", "dimensions", *([f"c{keys.time}"] if keys.time is not None else [])],
            variable_name="column",
            value_name="raw",
        )
        .join(meta, on="column", how="left")
        .with_columns(
            start.alias("period_start"),
            end.alias("period_end"),
            value.alias("value"),
            marker.alias("missing_marker"),
            is_bad.alias("bad_value"),
            pl.lit(False).alias("is_cumulative"),
        )
    )


def _check_values(long: pl.DataFrame, issues: IssueList, *, title_period: str | None, time_in_rows: bool) -> None:
    bad = long.filter(pl.col("bad_value"))
    for row in bad.sort("line").head(MAX_ISSUES + 1).iter_rows(named=True):
        issues.add("issue.not_a_number", line=row["line"], column=row["column_label"], text=row["raw"])
    issues.unlisted += max(bad.height - MAX_ISSUES - 1, 0)
    if not time_in_rows:
        no_period = long.filter(pl.col("period_end").is_null()).sort("line")
        for row in no_period.head(1).iter_rows(named=True):
            issues.add("issue.bad_period", line=row["line"], column=row["column_label"], text=title_period or "")


def _table_width(body: list[Record]) -> int:
    """The field count of most records with more than one field (a stray longer record does not set it)."""
    counts = Counter(len(record.fields) for record in body if len(record.fields) > 1)
    if not counts:
        raise fail("issue.no_header")
    return counts.most_common(1)[0][0]


def _has_data_shape(record: Record, *, width: int, keys: KeyColumns, key_count: int) -> bool:
    fields = record.fields
    return len(fields) == width and bool(fields[keys.region].strip()) and any(f.strip() for f in fields[key_count:])


def _footnote_separator(records: list[Record]) -> int | None:
    for index, record in enumerate(records):
        first = record.fields[0].strip() if record.fields else ""
        if first.startswith("___") and not any(field.strip() for field in record.fields[1:]):
            return index
    return None


def _leading_empty(fields: list[str]) -> int:
    count = 0
    for field in fields:
        if field.strip():
            break
        count += 1
    return count


def _is_header(record: Record, width: int) -> bool:
    fields = record.fields
    return len(fields) == width and not fields[0].strip() and any(field.strip() for field in fields)


def _header_block(body: list[Record], width: int) -> tuple[int, int]:
    """(first, end) index of the header rows: consecutive rows with empty leading cells before the data."""
    start = next((i for i, record in enumerate(body) if _is_header(record, width)), None)
    if start is None:
        raise fail("issue.no_header")
    end = start
    while end < len(body) and _is_header(body[end], width):
        end += 1
    return start, end


def _is_region_key(text: str) -> bool:
    return re.match(REGION_KEY_PATTERN, text.strip()) is not None


def _key_columns(shaped: list[Record], key_count: int) -> KeyColumns:
    """Which key column holds the region key, the time, the region name; the rest are dimensions."""
    frame = pl.DataFrame(
        {f"c{i}": [r.fields[i] for r in shaped] for i in range(key_count)},
        schema={f"c{i}": pl.String for i in range(key_count)},
    ).select(pl.all().str.strip_chars())
    region_share = frame.select(pl.all().str.contains(REGION_KEY_PATTERN).mean()).row(0)
    period_share = frame.select(pl.all().str.contains(PERIOD_PATTERN).mean()).row(0)
    region = max(range(key_count), key=lambda i: region_share[i])
    if region_share[region] < 0.5:
        raise fail("issue.no_region_column", line=shaped[0].line)
    others = [i for i in range(key_count) if i != region]
    time = max(others, key=lambda i: period_share[i], default=None)
    if time is not None and period_share[time] < 0.5:
        time = None
    name = region + 1 if region + 1 < key_count and region + 1 != time else None
    dimensions = tuple(i for i in others if i not in (time, name))
    return KeyColumns(region=region, time=time, name=name, dimensions=dimensions)


def _is_unit(text: str) -> bool:
    return text.strip().lower() in UNITS or UNIT_PATTERN.match(text.strip()) is not None


def _period_row(headers: list[Record], key_count: int, width: int) -> int | None:
    """Index (within the header rows) of a row whose filled cells are all years or dates."""
    for index, record in enumerate(headers):
        cells = [field.strip() for field in record.fields[key_count:width] if field.strip()]
        if cells and all(HEADER_YEAR.match(cell) for cell in cells):
            return index
    return None


def _value_columns(layout: Layout, *, period_row: int | None, table_code: str | None, title: str) -> list[ValueColumn]:
    key_count, width = layout.key_count, layout.width
    headers = layout.headers
    rows = [[field.strip() for field in record.fields[key_count:width]] for record in headers]
    periods = _forward_fill(rows[period_row]) if period_row is not None else None
    rest = [row for index, row in enumerate(rows) if index != period_row]
    units = [""] * (width - key_count)
    if rest and any(rest[-1]) and all(_is_unit(cell) for cell in rest[-1] if cell):
        units = rest[-1]
        rest = rest[:-1]
    if rest:
        rest[0] = _forward_fill(rest[0])
    prefix = table_code[:5] if table_code else "rs"
    columns = []
    for offset in range(width - key_count):
        if not any(row[offset] for row in rows) and not any(r.fields[key_count + offset].strip() for r in layout.rows):
            continue  # a trailing ";" adds a column without header or data
        name = " – ".join(row[offset] for row in rest if row[offset]) or title
        columns.append(
            ValueColumn(
                index=key_count + offset,
                name=name,
                unit=units[offset],
                code=indicator_code(prefix, name, units[offset]),
                period=periods[offset] if periods is not None else None,
            )
        )
    return columns


def _forward_fill(cells: list[str]) -> list[str]:
    filled: list[str] = []
    for cell in cells:
        filled.append(cell or (filled[-1] if filled else ""))
    return filled


def _check_keys(wide: pl.DataFrame, keys: KeyColumns, issues: IssueList) -> None:
    region = pl.col(f"c{keys.region}").str.strip_chars()
    checks = [("issue.unknown_region", keys.region, ~region.str.contains(REGION_KEY_PATTERN))]
    if keys.time is not None:
        _, end = period_exprs(pl.col(f"c{keys.time}"))
        checks.append(("issue.bad_period", keys.time, end.is_null()))
    for key, index, failing in checks:
        bad = wide.filter(failing)
        for row in bad.head(MAX_ISSUES + 1).iter_rows(named=True):
            issues.add(key, line=row["line"], column=column_label(index + 1), text=row[f"c{index}"].strip())
        issues.unlisted += max(bad.height - MAX_ISSUES - 1, 0)


def _source(table_code: str | None, footer_text: str) -> str:
    stand = STAND.search(footer_text)
    head = "Regionalstatistik" + (f" {table_code}" if table_code else "")
    if stand:
        head += f", Stand {stand.group(1)}"
    copyright_line = next((line.strip() for line in footer_text.splitlines() if line.strip().startswith("©")), None)
    rights = (copyright_line or DEFAULT_COPYRIGHT).rstrip(".")
    parts = [head, f"{rights}, {LICENCE}"]
    quelle = QUELLE.search(footer_text)
    if quelle:
        parts.append("Quelle: " + " ".join(quelle.group(1).split())[:200])
    return "; ".join(parts)


def _indicators(columns: list[ValueColumn], *, source: str, title: str) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "code": [c.code for c in columns],
            "name": [c.name for c in columns],
            "unit": [c.unit for c in columns],
            "direction": [direction_for(c.name) for c in columns],
        },
        schema={"code": pl.String, "name": pl.String, "unit": pl.String, "direction": pl.String},
    )
    return frame.unique("code", keep="first", maintain_order=True).with_columns(
        pl.lit(source).alias("source"), pl.lit(title).alias("description")
    )


def _notes(
    footer: list[Record], observations: pl.DataFrame, title_period: str | None, *, total_lines: int
) -> tuple[ImportIssue, ...]:
    notes = []
    if footer:
        count = total_lines - footer[0].line + 1
        notes.append(ImportIssue("note.footnotes_skipped", line=footer[0].line, params={"count": count}))
    missing = observations.select(pl.col("value").is_null().sum()).item()
    if missing:
        notes.append(ImportIssue("note.missing_values", params={"count": missing}))
    if title_period is not None:
        notes.append(ImportIssue("note.time_from_title", params={"period": title_period}))
    return tuple(notes)

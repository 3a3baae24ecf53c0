"""Regionalstatistik / GENESIS "Tabelle als CSV": title block, header rows, key columns, values, footnotes.

The layout is inferred, not assumed:
- the footnote block starts at a ``____`` line; without one, the data ends after the last record that
  still has the data rows' shape (field count and a region key); a later record whose key cells still
  hold a region key (and period) is a cut-off data row and reported, not taken for a footnote;
- header rows are the rows between the title block and the first data row whose key cells are empty or
  hold labels ("Jahr;Schlüssel;Kreise;…") rather than a period or region key; the smallest number of
  leading empty cells (or, with labelled rows only, the data rows' text cells) gives the key columns;
- among the key columns the region key column, the time column (year or date) and the region name
  column (the text column next to the key, either side) are found by their contents; all other key
  columns are dimensions, keyed by their header label when there is one;
- a header row of years/dates puts the time into the columns; a last header row of units (Anzahl,
  Prozent, EUR …) gives the units; the other header rows name the measure (the top one, and every row
  above a period row, forward-filled because GENESIS merges their cells; otherwise a blank lower cell
  means "total"); two value columns that end up with the same indicator are an error;
- without a time column or row, the title block must name it ("Stichtag: 30.06.2020", "Jahr: 2019").

Values "(12,3)" (limited reliability) are kept as values with the marker "()". Only "," is the decimal
separator; "136.000" or "83.166.711" are thousands-grouped numbers, any other dot in a value is an error.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import polars as pl

from dashboard.importers.model import ImportFormat, ImportIssue, ParsedImport
from dashboard.importers.values import (
    MAX_ISSUES,
    MISSING_MARKERS,
    PERIOD_PATTERN,
    REGION_KEY_PATTERN,
    IssueList,
    Record,
    bad_value_key,
    column_label,
    dimension_part,
    dimensions_expr,
    direction_expr,
    duplicate_issues,
    fail,
    finish_observations,
    indicator_code,
    is_sex_column,
    period_exprs,
    physical_lines,
    regions_frame,
    slug,
    tokenise,
    value_exprs,
)

DEFAULT_COPYRIGHT = "© Statistische Ämter des Bundes und der Länder"
LICENCE = "dl-de/by-2-0"
NUMBER_LIKE = re.compile(r"^\(?\s*[+-]?[\d.,]+\s*\)?$")
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
    labels: tuple[str, ...] = ()  # per key column, the label a header row gives it ("" when none)


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
    if _column_clashes(columns, layout, issues):
        issues.raise_if_any()

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
    guess = _key_count_from_data(body, width)
    header_start, header_end = _header_block(body, width, guess)
    headers = body[header_start:header_end]
    empty_led = [_leading_empty(record.fields) for record in headers if not record.fields[0].strip()]
    key_count = min(empty_led) if empty_led else guess
    if not key_count:
        raise fail("issue.no_header")
    candidates = body[header_end:]
    shaped = [r for r in candidates if len(r.fields) == width and any(f.strip() for f in r.fields[:key_count])]
    if not shaped:
        raise fail("issue.no_data", line=headers[-1].line + 1)
    keys = _key_columns(shaped, key_count, _key_labels(headers, key_count))
    if separator is None:
        last = max(
            (i for i, r in enumerate(candidates) if _has_data_shape(r, width=width, keys=keys, key_count=key_count)),
            default=len(candidates) - 1,
        )
        footer = candidates[last + 1 :]
        candidates = candidates[: last + 1]
        for record in footer:
            if len(record.fields) != width and _holds_keys(record, keys):
                issues.add("issue.wrong_field_count", line=record.line, expected=width, found=len(record.fields))
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
    dims: dict[str, pl.Expr] = {}
    for number, index in enumerate(keys.dimensions, start=1):
        label = slug(keys.labels[index]) if index < len(keys.labels) else ""
        if is_sex_column(wide[f"c{index}"]):
            key = "sex"
        elif label and label not in dims and label != "sex":
            key = label
        else:
            key = f"merkmal{number}"
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
        issues.add(bad_value_key(row["raw"]), line=row["line"], column=row["column_label"], text=row["raw"])
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


def _holds_keys(record: Record, keys: KeyColumns) -> bool:
    """Whether a record's key cells hold a region key (and a period, when time is a column): a data row."""
    fields = record.fields
    if len(fields) <= keys.region or not _is_region_key(fields[keys.region]):
        return False
    return keys.time is None or (len(fields) > keys.time and _is_period(fields[keys.time]))


def _is_header(record: Record, width: int, key_count: int) -> bool:
    """A row of column headings: empty leading cells, or labels in the key cells above headed value cells."""
    fields = record.fields
    if len(fields) != width or not any(field.strip() for field in fields):
        return False
    if not fields[0].strip():
        return True
    key_cells = [field.strip() for field in fields[:key_count]]
    value_cells = [field.strip() for field in fields[key_count:] if field.strip()]
    return (
        key_count > 0
        and bool(value_cells)
        and not any(_is_period(cell) or _is_region_key(cell) for cell in key_cells if cell)
        and not any(NUMBER_LIKE.match(cell) and not HEADER_YEAR.match(cell) for cell in value_cells)
    )


def _header_block(body: list[Record], width: int, key_count: int) -> tuple[int, int]:
    """(first, end) index of the header rows: consecutive heading rows between the title and the data."""
    start = next((i for i, record in enumerate(body) if _is_header(record, width, key_count)), None)
    if start is None:
        raise fail("issue.no_header")
    end = start
    while end < len(body) and _is_header(body[end], width, key_count):
        end += 1
    return start, end


def _is_region_key(text: str) -> bool:
    return re.match(REGION_KEY_PATTERN, text.strip()) is not None


def _is_period(text: str) -> bool:
    return re.match(PERIOD_PATTERN, text.strip()) is not None


def _key_count_from_data(body: list[Record], width: int) -> int:
    """The key columns as the data rows show them, for headers that label their key cells.

    A row holding a region key ends its key cells after the key and after its last text cell (name,
    breakdown); the count most rows agree on wins, so a stray bad value does not move it.
    """
    counts: Counter[int] = Counter()
    for record in body:
        fields = [field.strip() for field in record.fields]
        if len(fields) != width or not fields[0]:
            continue
        region = next((i for i, cell in enumerate(fields[:-1]) if _is_region_key(cell)), None)
        if region is None:
            continue
        texts = [i for i, cell in enumerate(fields[:-1]) if cell and not NUMBER_LIKE.match(cell)]
        texts = [i for i in texts if fields[i] not in MISSING_MARKERS]
        counts[max([region, *texts]) + 1] += 1
        if counts.total() >= 50:
            break
    return counts.most_common(1)[0][0] if counts else 0


def _key_labels(headers: list[Record], key_count: int) -> tuple[str, ...]:
    """Per key column, the lowest label a header row gives it."""
    labels = [""] * key_count
    for record in headers:
        for index, cell in enumerate(record.fields[:key_count]):
            if cell.strip():
                labels[index] = cell.strip()
    return tuple(labels)


def _key_columns(shaped: list[Record], key_count: int, labels: tuple[str, ...] = ()) -> KeyColumns:
    """Which key column holds the region key, the time, the region name; the rest are dimensions."""
    frame = pl.DataFrame(
        {f"c{i}": [r.fields[i] for r in shaped] for i in range(key_count)},
        schema={f"c{i}": pl.String for i in range(key_count)},
    ).select(pl.all().str.strip_chars())
    region_share = frame.select(pl.all().str.contains(REGION_KEY_PATTERN).mean()).row(0)
    period_share = frame.select(pl.all().str.contains(PERIOD_PATTERN).mean()).row(0)
    is_text = (pl.all() != "") & ~pl.all().str.contains(REGION_KEY_PATTERN) & ~pl.all().str.contains(PERIOD_PATTERN)
    text_share = frame.select(is_text.mean()).row(0)
    region = max(range(key_count), key=lambda i: region_share[i])
    if region_share[region] < 0.5:
        raise fail("issue.no_region_column", line=shaped[0].line)
    others = [i for i in range(key_count) if i != region]
    time = max(others, key=lambda i: period_share[i], default=None)
    if time is not None and period_share[time] < 0.5:
        time = None
    # GENESIS puts the name right of the key; re-arranged files may put it left. Breakdowns (sexes) are no names.
    name = next(
        (
            i
            for i in (region + 1, region - 1)
            if 0 <= i < key_count
            and i != time
            and text_share[i] >= 0.5
            and not is_sex_column(frame.get_column(f"c{i}"))
        ),
        None,
    )
    dimensions = tuple(i for i in others if i not in (time, name))
    return KeyColumns(region=region, time=time, name=name, dimensions=dimensions, labels=labels)


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
    # Rows above a period row span its years (merged cells), as does the top row; a lower blank means "total".
    above_periods = period_row or 0
    for index in range(len(rest)):
        if index == 0 or index < above_periods:
            rest[index] = _forward_fill(rest[index], parents=rest[:index])
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


def _forward_fill(cells: list[str], *, parents: list[list[str]] | None = None) -> list[str]:
    """Blank cells take the cell to their left, within the span of the (already filled) rows above."""
    filled: list[str] = []
    for offset, cell in enumerate(cells):
        same_span = offset > 0 and all(row[offset] == row[offset - 1] for row in parents or [])
        filled.append(cell or (filled[-1] if filled and same_span else ""))
    return filled


def _column_clashes(columns: list[ValueColumn], layout: Layout, issues: IssueList) -> bool:
    """Whether two value columns get the same indicator (and header period): they would collide on every row."""
    clash = False
    seen: dict[tuple[str, str | None], ValueColumn] = {}
    for column in columns:
        first = seen.setdefault((column.code, column.period), column)
        if first is not column:
            issues.add(
                "issue.duplicate_column",
                line=layout.headers[0].line,
                second=column_label(column.index + 1, column.name),
                first=column_label(first.index + 1, first.name),
                code=column.code,
            )
            clash = True
    return clash


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
        {"code": [c.code for c in columns], "name": [c.name for c in columns], "unit": [c.unit for c in columns]},
        schema={"code": pl.String, "name": pl.String, "unit": pl.String},
    )
    return frame.unique("code", keep="first", maintain_order=True).with_columns(
        direction_expr(pl.col("name")).alias("direction"),
        pl.lit(source).alias("source"),
        pl.lit(title).alias("description"),
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

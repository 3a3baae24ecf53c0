"""Shared cell rules of all importers: decoding, tokenising, numbers, missing markers, periods, regions, codes."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass

import polars as pl

from dashboard.data_access.vocabulary import RegionLevel
from dashboard.importers.model import (
    OBSERVATION_SCHEMA,
    REGION_SCHEMA,
    FileFormatError,
    ImportIssue,
)

MAX_ISSUES = 20
MAX_CODE_LENGTH = 120

# GENESIS missing-value markers; "…" is the typographic spelling of "...".
MISSING_MARKERS = ("-", ".", "x", "/", "...", "…")
# "(12,3)": a value of limited reliability; kept as a value, flagged with this marker.
UNRELIABLE_MARKER = "()"

# The template accepts a decimal point or comma ("1.5" = "1,5"); it has no thousands separators.
NUMBER_PATTERN = r"^[+-]?\d+(?:[.,]\d+)?$"
# Official exports write the decimal comma only; a German spreadsheet re-save adds thousands dots ("136.000").
COMMA_NUMBER = r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?"
COMMA_NUMBER_PATTERN = rf"^{COMMA_NUMBER}$"
UNRELIABLE_PATTERN = r"^\(\s*([+-]?\d+(?:[.,]\d+)?)\s*\)$"
COMMA_UNRELIABLE_PATTERN = rf"^\(\s*({COMMA_NUMBER})\s*\)$"
# A number-looking cell with a dot that is no thousands grouping ("1.5", "1.23.4"): a decimal point by mistake.
STRAY_DOT_PATTERN = r"^\(?\s*[+-]?[\d.,]*\.[\d.,]*\s*\)?$"

# The one definition of an official key's shape per level: DG, Land 01, Regierungsbezirk 031, Kreis 03159,
# Gemeinde(verband) 8, 9 or 12 digits (AGS, Gemeindeverband, Regionalschlüssel).
KEY_PATTERNS = {
    RegionLevel.BUND.value: r"^DG$",
    RegionLevel.LAND.value: r"^\d{2}$",
    RegionLevel.REGIERUNGSBEZIRK.value: r"^\d{3}$",
    RegionLevel.KREIS.value: r"^\d{5}$",
    RegionLevel.GEMEINDE.value: r"^(?:\d{8}|\d{9}|\d{12})$",
}
REGION_KEY_PATTERN = "^(?:" + "|".join(pattern.strip("^$") for pattern in KEY_PATTERNS.values()) + ")$"
# Names that mark an indicator where lower is better; every other indicator defaults to "up".
DOWN_WORDS = ("arbeitslos",)
PERIOD_PATTERN = r"^(?:\d{4}|\d{2}\.\d{2}\.\d{4}|\d{4}-\d{2}-\d{2}|\d{4}-Q[1-4]|\d{4}-\d{2})$"

LAENDER = {
    "01": "Schleswig-Holstein",
    "02": "Hamburg",
    "03": "Niedersachsen",
    "04": "Bremen",
    "05": "Nordrhein-Westfalen",
    "06": "Hessen",
    "07": "Rheinland-Pfalz",
    "08": "Baden-Württemberg",
    "09": "Bayern",
    "10": "Saarland",
    "11": "Berlin",
    "12": "Brandenburg",
    "13": "Mecklenburg-Vorpommern",
    "14": "Sachsen",
    "15": "Sachsen-Anhalt",
    "16": "Thüringen",
}

# Trailing ", <kind>" of a GENESIS region name (lower case) → the kind we store.
REGION_KINDS = {
    "landkreis": "Landkreis",
    "kreis": "Kreis",
    "kreisfreie stadt": "Kreisfreie Stadt",
    "krfr. stadt": "Kreisfreie Stadt",
    "stadtkreis": "Stadtkreis",
    "stat. region": "Statistische Region",
    "statistische region": "Statistische Region",
    "regierungsbezirk": "Regierungsbezirk",
    "reg.-bez.": "Regierungsbezirk",
    "stadt": "Stadt",
    "gemeinde": "Gemeinde",
    "markt": "Markt",
    "verbandsgemeinde": "Verbandsgemeinde",
    "samtgemeinde": "Samtgemeinde",
}
# Honorific middle parts dropped from a name ("Kiel, Landeshauptstadt, kreisfreie Stadt" → "Kiel").
REGION_HONORIFICS = (
    "Landeshauptstadt",
    "Hansestadt",
    "Freie und Hansestadt",
    "Freie Hansestadt",
    "Universitätsstadt",
    "Wissenschaftsstadt",
    "Documenta-Stadt",
    "Klingenstadt",
    "Große Kreisstadt",
    "Große kreisangehörige Stadt",
    "Mittlere kreisangehörige Stadt",
)

SEX_VALUES = {
    "männlich": "m",
    "maennlich": "m",
    "männer": "m",
    "weiblich": "w",
    "frauen": "w",
    "divers": "d",
}
TOTAL_VALUES = ("insgesamt", "zusammen", "gesamt", "total", "alle")

LATIN1_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f]")


@dataclass(frozen=True)
class Record:
    """One CSV record with the physical line it starts on (1-based)."""

    line: int
    fields: list[str]


class IssueList:
    """Collects issues; they are sorted by line and capped when the file is refused."""

    def __init__(self) -> None:
        self.items: list[ImportIssue] = []
        self.unlisted = 0  # problems counted but not turned into issues (beyond a producer's sample)

    def add(self, key: str, *, line: int | None = None, column: str | None = None, **params: object) -> None:
        self.items.append(ImportIssue(key, line=line, column=column, params=dict(params)))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        ordered = sorted(self.items, key=lambda issue: issue.line or 0)
        further = len(ordered) - MAX_ISSUES + self.unlisted
        issues = ordered[:MAX_ISSUES]
        if further > 0:
            issues.append(ImportIssue("issue.more_issues", params={"count": further}))
        raise FileFormatError(issues)


def fail(key: str, *, line: int | None = None, column: str | None = None, **params: object) -> FileFormatError:
    """A FileFormatError with a single issue."""
    return FileFormatError([ImportIssue(key, line=line, column=column, params=dict(params))])


def decode(data: bytes) -> str:
    """The file's text: strict UTF-8 (BOM dropped), else Windows-1252, else Latin-1; binary files are refused."""
    if not data.strip():
        raise fail("issue.empty_file")
    if (
        b"\x00" in data[:4096]
        or data[:4] in (b"PK\x03\x04", b"%PDF")
        or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    ):
        raise fail("issue.binary_file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Windows-1252 first: Excel writes "…" (0x85) there, which Latin-1 would turn into an invisible control.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    if LATIN1_BINARY.search(text[:4096]):
        raise fail("issue.binary_file")
    return text


def tokenise(text: str, delimiter: str = ";") -> list[Record]:
    """All records of the text; quoted fields may span lines, each record keeps the line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False)
    records: list[Record] = []
    previous_end = 0
    try:
        for fields in reader:
            records.append(Record(previous_end + 1, fields))
            previous_end = reader.line_num
    except csv.Error as error:
        raise fail("issue.unreadable_csv", line=previous_end + 1, detail=str(error)) from error
    return records


def data_records(records: list[Record], width: int, issues: IssueList) -> list[Record]:
    """The non-blank records with the header's field count; the others become issues."""
    rows = []
    for record in records:
        if not any(field.strip() for field in record.fields):
            continue
        if len(record.fields) != width:
            issues.add("issue.wrong_field_count", line=record.line, expected=width, found=len(record.fields))
            continue
        rows.append(record)
    return rows


def physical_lines(text: str) -> int:
    return len(text.splitlines())


def column_label(number: int, header: str | None = None) -> str:
    """A column as the user sees it: 1-based number and, when known, its header."""
    return f"{number} ({header})" if header else str(number)


def slug(text: str) -> str:
    """ASCII slug for indicator codes: umlauts transliterated, runs of other characters → "_"."""
    lowered = text.lower()
    for umlaut, ascii_form in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("%", "prozent")):
        lowered = lowered.replace(umlaut, ascii_form)
    ascii_text = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")


def indicator_code(prefix: str, name: str, unit: str) -> str:
    """Deterministic code from statistic number, name and unit; long ones are cut and given a short hash."""
    code = "_".join(part for part in (prefix, slug(name), slug(unit)) if part)
    if len(code) > MAX_CODE_LENGTH:
        digest = hashlib.sha256(code.encode("utf-8")).hexdigest()[:8]
        code = f"{code[: MAX_CODE_LENGTH - 9].rstrip('_')}_{digest}"
    return code


def direction_expr(name: pl.Expr) -> pl.Expr:
    """Default direction of a new indicator: unemployment is better when it falls, everything else when it rises."""
    lowered = name.fill_null("").str.to_lowercase()
    is_down = pl.any_horizontal([lowered.str.contains(word, literal=True) for word in DOWN_WORDS])
    return pl.when(is_down).then(pl.lit("down")).otherwise(pl.lit("up"))


def value_exprs(raw: pl.Expr, *, decimal_point: bool = False) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(value, missing_marker, is_bad) expressions for a string cell: numbers, markers, "(n)" and empty cells.

    Without ``decimal_point`` (official exports) only "," is the decimal separator and dots group thousands.
    """
    text = raw.str.strip_chars()
    is_marker = text.is_in(list(MISSING_MARKERS))
    is_number = text.str.contains(NUMBER_PATTERN if decimal_point else COMMA_NUMBER_PATTERN)
    unreliable = text.str.extract(UNRELIABLE_PATTERN if decimal_point else COMMA_UNRELIABLE_PATTERN, 1)
    number_text = pl.when(is_number).then(text).otherwise(unreliable)
    if not decimal_point:
        number_text = number_text.str.replace_all(".", "", literal=True)
    value = number_text.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    marker = (
        pl.when(is_marker)
        .then(text.replace("…", "..."))
        .when(unreliable.is_not_null())
        .then(pl.lit(UNRELIABLE_MARKER))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    is_empty = text.is_null() | (text == "")
    is_bad = ~(is_empty | is_marker | is_number | unreliable.is_not_null())
    return value, marker, is_bad


def period_exprs(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(period_start, period_end) for "2020", "31.12.2019", "2019-12-31", "2020-Q2", "2020-06"; null when invalid.

    A year, quarter or month is a span; a date is a Stichtag (start null).
    """
    text = raw.str.strip_chars()
    year = text.str.extract(r"^(\d{4})$", 1).cast(pl.Int32, strict=False)
    german = text.str.extract(r"^(\d{2}\.\d{2}\.\d{4})$", 1).str.to_date("%d.%m.%Y", strict=False)
    iso = text.str.extract(r"^(\d{4}-\d{2}-\d{2})$", 1).str.to_date("%Y-%m-%d", strict=False)
    quarter_year = text.str.extract(r"^(\d{4})-Q[1-4]$", 1).cast(pl.Int32, strict=False)
    quarter = text.str.extract(r"^\d{4}-Q([1-4])$", 1).cast(pl.Int32, strict=False)
    month_year = text.str.extract(r"^(\d{4})-\d{2}$", 1).cast(pl.Int32, strict=False)
    month = text.str.extract(r"^\d{4}-(\d{2})$", 1).cast(pl.Int32, strict=False)
    month_ok = month.is_between(1, 12)
    month_start = pl.when(month_ok).then(pl.date(month_year, month, 1))
    quarter_start = pl.date(quarter_year, (quarter - 1) * 3 + 1, 1)
    start = (
        pl.when(year.is_not_null())
        .then(pl.date(year, 1, 1))
        .when(quarter.is_not_null())
        .then(quarter_start)
        .when(month_year.is_not_null())
        .then(month_start)
        .otherwise(pl.lit(None, dtype=pl.Date))
    )
    end = (
        pl.when(year.is_not_null())
        .then(pl.date(year, 12, 31))
        .when(quarter.is_not_null())
        .then(pl.date(quarter_year, quarter * 3, 1).dt.month_end())
        .when(month_year.is_not_null())
        .then(month_start.dt.month_end())
        .otherwise(pl.coalesce(german, iso))
    )
    return start, end


def region_level_expr(ags: pl.Expr) -> pl.Expr:
    """The RegionLevel of a region key by its length; null for a key that is none of them."""
    length = ags.str.len_chars()
    is_digits = ags.str.contains(r"^\d+$")
    return (
        pl.when(ags == "DG")
        .then(pl.lit(RegionLevel.BUND.value))
        .when(is_digits & (length == 2))
        .then(pl.lit(RegionLevel.LAND.value))
        .when(is_digits & (length == 3))
        .then(pl.lit(RegionLevel.REGIERUNGSBEZIRK.value))
        .when(is_digits & (length == 5))
        .then(pl.lit(RegionLevel.KREIS.value))
        .when(ags.str.contains(KEY_PATTERNS[RegionLevel.GEMEINDE.value]))
        .then(pl.lit(RegionLevel.GEMEINDE.value))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def regions_frame(keys: pl.DataFrame) -> pl.DataFrame:
    """REGION_SCHEMA rows from a frame of (ags, raw_name) — first name per key; kind split off the name."""
    kinds = "|".join(re.escape(kind) for kind in REGION_KINDS)
    honorifics = "|".join(re.escape(word) for word in REGION_HONORIFICS)
    first = keys.unique("ags", keep="first", maintain_order=True)
    name = pl.col("raw_name").str.strip_chars()
    kind_text = name.str.extract(rf"(?i),\s*({kinds})$", 1)
    core = name.str.replace(rf"(?i),\s*(?:{kinds})$", "").str.replace_all(rf",\s*(?:{honorifics})(?:,|$)", ",")
    core = core.str.strip_chars_end(", ").str.strip_chars()
    return first.select(
        pl.col("ags"),
        pl.when(core.is_null() | (core == "")).then(pl.col("ags")).otherwise(core).alias("name"),
        region_level_expr(pl.col("ags")).alias("level"),
        kind_text.str.to_lowercase().replace_strict(REGION_KINDS, default=None).alias("kind"),
        pl.when(pl.col("ags") == "DG")
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.col("ags").str.slice(0, 2).replace_strict(LAENDER, default=None))
        .alias("land"),
    ).cast(REGION_SCHEMA)  # type: ignore[arg-type]


def dimension_part(key: str, raw: pl.Expr) -> pl.Expr:
    """ "key=value" of one dimension cell; null for a total ("Insgesamt", "Zusammen", empty) so it drops out."""
    text = raw.str.strip_chars()
    lowered = text.str.to_lowercase()
    if key == "sex":
        value = lowered.replace_strict(SEX_VALUES, default=None)
    else:
        value = text.str.replace_all(";", ",", literal=True).str.replace_all("=", "-", literal=True)
    is_total = text.is_null() | (text == "") | is_total_expr(text)
    return pl.when(is_total).then(pl.lit(None, dtype=pl.String)).otherwise(pl.lit(f"{key}=") + value)


def dimensions_expr(parts: dict[str, pl.Expr]) -> pl.Expr:
    """The canonical dimensions string from per-key part expressions (keys sorted; "" for the total)."""
    if not parts:
        return pl.lit("")
    ordered = [parts[key] for key in sorted(parts)]
    return pl.concat_str(ordered, separator=";", ignore_nulls=True).fill_null("")


def is_total_expr(text: pl.Expr) -> pl.Expr:
    """Whether a (stripped) breakdown label means "all of them" ("Insgesamt", "Zusammen" …)."""
    return text.str.to_lowercase().is_in(list(TOTAL_VALUES))


def bad_value_key(text: str) -> str:
    """The issue key for a cell value_exprs refused: a misplaced decimal point gets its own message."""
    return "issue.dot_in_number" if re.match(STRAY_DOT_PATTERN, text.strip()) else "issue.not_a_number"


def is_sex_column(values: pl.Series) -> bool:
    """Whether a dimension column holds sexes (männlich/weiblich/Insgesamt …)."""
    lowered = values.str.strip_chars().str.to_lowercase().drop_nulls().unique()
    known = set(SEX_VALUES) | set(TOTAL_VALUES)
    return lowered.len() > 0 and lowered.is_in(list(known)).all() and lowered.is_in(list(SEX_VALUES)).any()


def duplicate_issues(observations: pl.DataFrame, issues: IssueList) -> None:
    """One issue per duplicated key (indicator, region, period_end, dimensions), naming the lines involved."""
    keys = ["indicator_code", "region_ags", "period_end", "dimensions"]
    dupes = (
        observations.group_by(keys)
        .agg(pl.col("line").sort().alias("lines"), pl.len().alias("n"))
        .filter(pl.col("n") > 1)
        .sort(pl.col("lines").list.first())
        .head(MAX_ISSUES + 1)
    )
    for row in dupes.iter_rows(named=True):
        lines = row["lines"]
        issues.add(
            "issue.duplicate_key",
            line=lines[-1],
            first_line=lines[0],
            indicator=row["indicator_code"],
            region=row["region_ags"],
        )


def finish_observations(frame: pl.DataFrame) -> pl.DataFrame:
    """The observation frame in OBSERVATION_SCHEMA column order and types."""
    return frame.select(list(OBSERVATION_SCHEMA)).cast(OBSERVATION_SCHEMA)  # type: ignore[arg-type]

"""Bulk-import files (projects, financial entries, indicator values): the templates out, the uploaded files in.

``read_bulk_file`` turns a CSV or XLSX upload into the rows frame the import service expects: the canonical
columns of ``bulk_schema.BULK_COLUMNS`` as text (null = empty cell) plus ``line``, the row number the user sees
in an editor or in Excel (header = 1). It checks the file itself — size, type by content (not by name),
encoding, header — and leaves the cells' meaning (numbers, dates, names) to ``data_access.bulk_import``, which
validates them with the same rules as the forms.

Header labels come from the catalogue (``bulk.column.<name>``, German and English); a header matches
regardless of case, surrounding spaces, punctuation and umlaut spelling ("Fördersumme" = "foerdersumme"), and the
canonical name itself is accepted too. Unknown columns are errors, so a typo never drops data silently.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import polars as pl
import xlsxwriter

from dashboard.data_access.bulk_schema import BULK_COLUMNS, LINE, BulkColumn, BulkKind
from dashboard.data_access.vocabulary import EntryKind, Fund, ProjectStatus
from dashboard.i18n import LANGUAGES, formats, label, t
from dashboard.importers.model import FileFormatError, ImportIssue

TemplateFormat = Literal["csv", "xlsx"]

MAX_LISTED = 50  # issues listed before "… and n more"
MAX_COLUMNS = 200  # a sheet wider than this is no template
UNPACKED_FACTOR = 30  # an XLSX may unpack to this multiple of the upload limit (guards against ZIP bombs)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
C1_CONTROLS = re.compile(r"[\x80-\x9f]")
# What calamine makes of a date or date-time cell when asked for text.
XLSX_DATETIME = r"^(\d{4})-(\d{2})-(\d{2})[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls) and other legacy Office files
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
DELIMITERS = (";", "\t", ",")  # in this order when a header has as many of one as of another

# The template's example row: plausible values of the first demo alliance (SüdOstNiedersachsen), chained so that
# the finance and values templates refer to the project of the projects template.
EXAMPLE_TITLE = {"de": "Beispielprojekt Fachkräftesicherung", "en": "Example project skilled workers"}
EXAMPLE_DESCRIPTION = {
    "de": "Beratung und Vermittlung für Berufsrückkehrende im Landkreis Goslar.",
    "en": "Advice and placement for people returning to work in the district of Goslar.",
}
EXAMPLE_NOTE = {"de": "Sachkosten 1. Quartal", "en": "Material costs, first quarter"}
EXAMPLE_DATES = {
    "start_date": date(2025, 1, 1),
    "end_date": date(2026, 12, 31),
    "entry_date": date(2025, 3, 31),
    "period_end": date(2025, 12, 31),
}
EXAMPLE_AMOUNTS = {
    "total_cost": "125000.00",
    "requested_grant": "75000.00",
    "approved_grant": "75000.00",
    "amount": "1234.56",
}
DATE_COLUMNS = frozenset(EXAMPLE_DATES)
MONEY_COLUMNS = frozenset(EXAMPLE_AMOUNTS)
TEXT_COLUMNS = frozenset({"kreise", "indicator", "dimensions"})  # keep "03153" from turning into 3153 in Excel


@dataclass(frozen=True)
class BulkFileIssue(ImportIssue):
    """A problem with an uploaded bulk file itself; the message key lives under ``bulkfile.``."""

    def reason(self, language: str = "de") -> str:
        return t(f"bulkfile.{self.key}", language, **self.params)

    def text(self, language: str = "de") -> str:
        message = self.reason(language)
        if self.line is not None and self.column is not None:
            return t("bulkfile.at_line_column", language, line=self.line, column=self.column, message=message)
        if self.line is not None:
            return t("bulkfile.at_line", language, line=self.line, message=message)
        return message


def _fail(key: str, *, line: int | None = None, column: str | None = None, **params: Any) -> FileFormatError:
    return FileFormatError([BulkFileIssue(key, line=line, column=column, params=params)])


def _raise_all(issues: list[BulkFileIssue]) -> None:
    if not issues:
        return
    listed: list[ImportIssue] = list(issues[:MAX_LISTED])
    if len(issues) > MAX_LISTED:
        listed.append(BulkFileIssue("more_issues", params={"count": len(issues) - MAX_LISTED}))
    raise FileFormatError(listed)


# --- headers ---------------------------------------------------------------------------------------------------


def header_label(name: str, language: str = "de") -> str:
    """The column's header in the template of a language (German by default)."""
    return t(f"bulk.column.{name}", language)


def normalised_header(text: str) -> str:
    """A header reduced to what identifies it: lower case, umlauts spelled out, letters and digits only."""
    lowered = unicodedata.normalize("NFC", text).strip().lower()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        lowered = lowered.replace(umlaut, spelled)
    return re.sub(r"[^a-z0-9]+", "", lowered)


def header_aliases(kind: BulkKind) -> dict[str, str]:
    """Normalised header → canonical name: the canonical name and the label of every language."""
    aliases: dict[str, str] = {}
    for column in BULK_COLUMNS[kind]:
        spellings = [column.name, *(header_label(column.name, language) for language in LANGUAGES)]
        aliases.update(dict.fromkeys((normalised_header(spelling) for spelling in spellings), column.name))
    return aliases


# --- templates -------------------------------------------------------------------------------------------------


def _example_texts(kind: BulkKind, language: str) -> dict[str, str]:
    """The example row as text cells (dates and amounts written in the language's convention)."""
    lang = language if language in LANGUAGES else "de"
    title = EXAMPLE_TITLE[lang]
    texts: dict[BulkKind, dict[str, str]] = {
        BulkKind.PROJECTS: {
            "title": title,
            "lead": "Landkreis Goslar",
            "status": label("status", ProjectStatus.LAUFEND, lang),
            "fund": label("fund", Fund.ESF, lang),
            "partners": "Jobcenter Landkreis Goslar; WiReGo – Wirtschaftsförderung Region Goslar",
            "topics": "Rekrutierung und Matching",
            "kreise": "03153",
            "description": EXAMPLE_DESCRIPTION[lang],
        },
        BulkKind.ENTRIES: {
            "project": title,
            "kind": label("entry_kind", EntryKind.DISBURSEMENT, lang),
            "fund": label("fund", Fund.ESF, lang),
            "note": EXAMPLE_NOTE[lang],
        },
        BulkKind.VALUES: {
            "project": title,
            "indicator": "EECO01",
            "value": "12",
            "dimensions": "",
            "cumulative": t("bulkfile.no", lang),
        },
    }
    row = dict(texts[kind])
    names = {column.name for column in BULK_COLUMNS[kind]}
    for name, value in EXAMPLE_DATES.items():
        if name in names:
            row[name] = value.isoformat() if lang == "en" else value.strftime("%d.%m.%Y")
    for name, amount in EXAMPLE_AMOUNTS.items():
        if name in names:
            row[name] = amount if lang == "en" else formats.number(float(amount), "de", decimals=2)
    return row


def template_bytes(kind: BulkKind, fmt: TemplateFormat, language: str = "de") -> bytes:
    """The downloadable template: headers of the language and one realistic example row.

    CSV: UTF-8 with BOM, ``;`` and decimal comma (German; English: ISO dates and decimal point). XLSX: a formatted
    header, typed example cells, frozen header, pick lists for status/fund/kind and a sheet "Hinweise".
    """
    columns = BULK_COLUMNS[kind]
    example = _example_texts(kind, language)
    headers = [header_label(column.name, language) for column in columns]
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerow([example.get(column.name, "") for column in columns])
        return buffer.getvalue().encode("utf-8-sig")
    return _template_xlsx(kind, columns, headers, language)


def allowed_values(name: str, language: str) -> str:
    """The accepted labels of a coded column, for the notes sheet and the pick lists ("" for free columns)."""
    vocabularies: dict[str, tuple[str, list[str]]] = {
        "status": ("status", [member.value for member in ProjectStatus]),
        "fund": ("fund", [member.value for member in Fund]),
        "kind": ("entry_kind", [member.value for member in EntryKind]),
    }
    if name == "cumulative":
        return f"{t('bulkfile.yes', language)}, {t('bulkfile.no', language)}"
    if name not in vocabularies:
        return ""
    prefix, codes = vocabularies[name]
    return ", ".join(label(prefix, code, language) for code in codes)


def _template_xlsx(kind: BulkKind, columns: tuple[BulkColumn, ...], headers: list[str], language: str) -> bytes:
    lang = language if language in LANGUAGES else "de"
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(t("bulkfile.sheet_template", lang))
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    required = workbook.add_format(
        {"bold": True, "bg_color": "#BDD7EE", "border": 1, "text_wrap": True, "valign": "top"}
    )
    date_format = workbook.add_format({"num_format": "dd.mm.yyyy" if lang == "de" else "yyyy-mm-dd"})
    money_format = workbook.add_format({"num_format": "#,##0.00"})
    text_format = workbook.add_format({"num_format": "@"})
    example = _example_texts(kind, lang)
    last_row = 1000  # formats and pick lists reach this far down
    for index, (column, text) in enumerate(zip(columns, headers, strict=True)):
        sheet.write_string(0, index, text, required if column.required else header)
        value = example.get(column.name, "")
        width = max(14, min(48, max(len(text), len(value)) + 2))
        if column.name in DATE_COLUMNS:
            sheet.set_column(index, index, width, date_format)
            sheet.write_datetime(1, index, _as_datetime(EXAMPLE_DATES[column.name]), date_format)
        elif column.name in MONEY_COLUMNS:
            sheet.set_column(index, index, width, money_format)
            sheet.write_number(1, index, float(EXAMPLE_AMOUNTS[column.name]), money_format)
        else:
            sheet.set_column(index, index, width, text_format if column.name in TEXT_COLUMNS else None)
            if value:
                sheet.write_string(1, index, value, text_format if column.name in TEXT_COLUMNS else None)
        choices = allowed_values(column.name, lang)
        if choices:
            sheet.data_validation(
                1,
                index,
                last_row,
                index,
                {"validate": "list", "source": choices.split(", "), "error_type": "warning", "ignore_blank": True},
            )
    sheet.freeze_panes(1, 0)
    sheet.set_row(0, 32)
    _notes_sheet(workbook, columns, headers, lang)
    workbook.close()
    return buffer.getvalue()


def _as_datetime(value: date) -> datetime:
    return datetime(value.year, value.month, value.day)  # noqa: DTZ001 - a calendar day, no time zone


def _notes_sheet(workbook: Any, columns: tuple[BulkColumn, ...], headers: list[str], language: str) -> None:
    notes = workbook.add_worksheet(t("bulkfile.sheet_notes", language))
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "valign": "top"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    titles = [t(f"bulkfile.notes_col.{name}", language) for name in ("column", "required", "format", "allowed")]
    notes.write_row(0, 0, titles, bold)
    for row, (column, text) in enumerate(zip(columns, headers, strict=True), start=1):
        notes.write_string(row, 0, text, wrap)
        notes.write_string(row, 1, t("bulkfile.yes" if column.required else "bulkfile.no", language), wrap)
        notes.write_string(row, 2, t(f"bulkfile.hint.{column.name}", language), wrap)
        notes.write_string(row, 3, allowed_values(column.name, language), wrap)
    footer = len(columns) + 2
    for offset, key in enumerate(("notes_rules", "notes_all_or_nothing", "notes_key")):
        notes.write_string(footer + offset, 0, t(f"bulkfile.{key}", language))
    notes.set_column(0, 0, 28, wrap)
    notes.set_column(1, 1, 10, wrap)
    notes.set_column(2, 2, 60, wrap)
    notes.set_column(3, 3, 48, wrap)
    notes.freeze_panes(1, 0)


# --- reading ---------------------------------------------------------------------------------------------------


def read_bulk_file(data: bytes, filename: str, kind: BulkKind, *, max_bytes: int, language: str = "de") -> pl.DataFrame:
    """The file's rows as canonical text columns plus ``line``; raises FileFormatError listing every problem.

    The type is decided by content: a ZIP holding a workbook is read as XLSX whatever its name, anything else
    must be a text file (CSV with ``;``, ``,`` or tab). Fully empty rows are skipped.
    """
    del filename  # the name is not trusted: "liste.csv" may well be a workbook
    if not data:
        raise _fail("empty_file")
    if len(data) > max_bytes:
        raise _fail("too_large", size=_megabytes(len(data), language), limit=_megabytes(max_bytes, language))
    if data.startswith(ZIP_MAGICS):
        _check_workbook(data, max_bytes)
        grid = _xlsx_grid(data)
    else:
        grid = _csv_grid(_decode(data))
    return _canonical(grid, kind, language)


def _megabytes(size: int, language: str) -> str:
    return formats.number(size / 1024 / 1024, language, decimals=1)


def _check_workbook(data: bytes, max_bytes: int) -> None:
    """A ZIP is read only when it is an Office Open XML workbook of a sane unpacked size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
            mimetype = archive.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _fail("broken_zip") from exc
    if "opendocument.spreadsheet" in mimetype:
        raise _fail("ods_file")
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _fail("zip_not_xlsx")
    if unpacked > UNPACKED_FACTOR * max_bytes:
        raise _fail("xlsx_unpacks_too_large")


def _decode(data: bytes) -> str:
    """The text of a CSV upload: UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252 if it decodes cleanly."""
    if data.startswith(b"%PDF"):
        raise _fail("pdf_file")
    if data.startswith(OLE2_MAGIC):
        raise _fail("xls_file")
    if data.startswith(UTF16_BOMS):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _fail("bad_encoding", line=data[: exc.start].count(b"\n\x00") + 1) from exc
    elif b"\x00" in data[:8192]:
        raise _fail("binary_file")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            # Excel's "CSV (Trennzeichen-getrennt)" writes Windows-1252; its five undefined bytes (and C1 controls
            # that only Latin-1 would accept) mean the file is something else, so it is refused, not guessed.
            bad_line = data[: exc.start].count(b"\n") + 1
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as cp_exc:
                raise _fail("bad_encoding", line=bad_line) from cp_exc
    text = text.removeprefix("\ufeff")
    for pattern, key in ((C1_CONTROLS, "bad_encoding"), (CONTROL_CHARACTERS, "binary_file")):
        found = pattern.search(text)
        if found:
            raise _fail(key, line=text.count("\n", 0, found.start()) + 1)
    if not text.strip():
        raise _fail("empty_file")
    return text


def _delimiter(text: str) -> str:
    """The separator of the header line (the first non-blank one): whichever of ; tab , it holds most of."""
    header = next(line for line in text.splitlines() if line.strip())
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    return max(DELIMITERS, key=lambda delimiter: counts[delimiter])


def _csv_grid(text: str) -> pl.DataFrame:
    """Every record of the CSV as text cells c0…cN plus its physical starting line (quoted cells may span lines)."""
    delimiter = _delimiter(text)
    per_line = pl.Series(text.split("\n")).str.count_matches(re.escape(delimiter)).max()
    width = int(per_line if isinstance(per_line, int) else 0) + 1
    if width > MAX_COLUMNS:
        raise _fail("too_many_columns", limit=MAX_COLUMNS)
    names = [f"c{index}" for index in range(width)]
    try:
        grid = pl.read_csv(
            text.encode("utf-8"),
            has_header=False,
            separator=delimiter,
            quote_char='"',
            schema=dict.fromkeys(names, pl.String),
            missing_columns="insert",
            empty_string_is_null=False,
            raise_if_empty=False,
        )
    except (pl.exceptions.ComputeError, pl.exceptions.SchemaError) as exc:
        raise _fail("unreadable_csv", line=_unbalanced_quote_line(text)) from exc
    # A record starts one line after the previous one ended; line breaks inside quoted cells push it down.
    breaks = pl.sum_horizontal(pl.col(name).fill_null("").str.count_matches("\n") for name in grid.columns)
    return grid.with_columns(((breaks + 1).cum_sum().shift(1, fill_value=0) + 1).cast(pl.Int64).alias(LINE))


def _unbalanced_quote_line(text: str) -> int | None:
    """Where a broken CSV most likely goes wrong: the first line with an odd number of quotation marks."""
    odd = pl.Series(text.split("\n")).str.count_matches('"', literal=True) % 2 == 1
    return int(odd.arg_true()[0]) + 1 if odd.any() else None


def _xlsx_grid(data: bytes) -> pl.DataFrame:
    """The first sheet as text cells with the Excel row number; date cells become 31.12.2025."""
    try:
        sheet = pl.read_excel(
            data,
            sheet_id=1,
            engine="calamine",
            has_header=False,
            # skip_rows=0 keeps leading blank rows, so row numbers stay those Excel shows.
            read_options={"header_row": None, "skip_rows": 0},
            infer_schema_length=0,
            drop_empty_rows=False,
            drop_empty_cols=False,
            raise_if_empty=False,
        )
    except Exception as exc:  # calamine reports a damaged workbook with several exception types
        raise _fail("broken_xlsx") from exc
    if sheet.width > MAX_COLUMNS:
        raise _fail("too_many_columns", limit=MAX_COLUMNS)
    grid = sheet.rename({name: f"c{index}" for index, name in enumerate(sheet.columns)})
    converted = [
        pl.when(pl.col(name).str.contains(XLSX_DATETIME))
        .then(
            pl.concat_str(
                [pl.col(name).str.extract(XLSX_DATETIME, group) for group in (3, 2, 1)],
                separator=".",
            )
        )
        .otherwise(pl.col(name))
        .alias(name)
        for name in grid.columns
    ]
    return grid.cast(pl.String).with_columns(converted).with_row_index(LINE, offset=1).cast({LINE: pl.Int64})


def _canonical(grid: pl.DataFrame, kind: BulkKind, language: str) -> pl.DataFrame:
    """Header checked and mapped onto the canonical columns; the data rows as stripped text, empty → null."""
    cells = [name for name in grid.columns if name != LINE]
    if not cells:
        raise _fail("empty_file")
    stripped = grid.with_columns(pl.col(name).str.strip_chars().replace("", None).alias(name) for name in cells).filter(
        ~pl.all_horizontal(pl.col(name).is_null() for name in cells)
    )
    if stripped.is_empty():
        raise _fail("empty_file")
    header_row = stripped.row(0, named=True)
    header_line = int(header_row[LINE])
    rows = stripped.slice(1)
    mapping = _header_mapping(header_row, cells, rows=rows, kind=kind, header_line=header_line, language=language)
    if rows.is_empty():
        raise _fail("no_data")
    present = {canonical: cell for cell, canonical in mapping.items()}
    columns = [
        (pl.col(present[column.name]) if column.name in present else pl.lit(None, dtype=pl.String)).alias(column.name)
        for column in BULK_COLUMNS[kind]
    ]
    frame = rows.select(pl.col(LINE), *columns)
    if "kreise" in frame.columns:
        frame = frame.with_columns(_padded_ags(pl.col("kreise")).alias("kreise"))
    return frame


def _padded_ags(kreise: pl.Expr) -> pl.Expr:
    """Excel drops the leading zero of "03153"; a 4-digit Kreis key gets it back (every AGS has 5 digits)."""
    item = pl.element().str.strip_chars()
    fixed = pl.when(item.str.contains(r"^\d{4}$")).then(item.str.zfill(5)).otherwise(item)
    return kreise.str.split(";").list.eval(fixed).list.join("; ")


def _header_mapping(
    header_row: dict[str, Any],
    cells: list[str],
    *,
    rows: pl.DataFrame,
    kind: BulkKind,
    header_line: int,
    language: str,
) -> dict[str, str]:
    """Grid column → canonical name; every unknown, unnamed, duplicate or missing column becomes an issue."""
    aliases = header_aliases(kind)
    known_labels = [header_label(column.name, language) for column in BULK_COLUMNS[kind]]
    filled = rows.select(pl.col(name).is_not_null().any() for name in cells).row(0) if rows.height else ()
    has_values = dict(zip(cells, filled, strict=True)) if filled else dict.fromkeys(cells, False)
    issues: list[BulkFileIssue] = []
    mapping: dict[str, str] = {}
    seen: dict[str, int] = {}
    for position, cell in enumerate(cells, start=1):  # the header's cells: a few dozen at most
        text = header_row[cell]
        if text is None:
            if has_values[cell]:
                issues.append(BulkFileIssue("unnamed_column", line=header_line, params={"number": position}))
            continue
        canonical = aliases.get(normalised_header(text))
        if canonical is None:
            guess = difflib.get_close_matches(text, known_labels, n=1, cutoff=0.7)
            key, params = ("unknown_column_guess", {"guess": guess[0]}) if guess else ("unknown_column", {})
            issues.append(
                BulkFileIssue(
                    key,
                    line=header_line,
                    column=text,
                    params={"header": text, "number": position, "allowed": ", ".join(known_labels), **params},
                )
            )
            continue
        if canonical in seen:
            issues.append(
                BulkFileIssue(
                    "duplicate_column",
                    line=header_line,
                    column=text,
                    params={"first": seen[canonical], "second": position},
                )
            )
            continue
        seen[canonical] = position
        mapping[cell] = canonical
    for column in BULK_COLUMNS[kind]:
        if column.required and column.name not in seen:
            issues.append(
                BulkFileIssue(
                    "missing_column", line=header_line, params={"header": header_label(column.name, language)}
                )
            )
    _raise_all(issues)
    return mapping

"""Write frames as German CSV (UTF-8 BOM, ';', decimal comma) or typed XLSX; neutralise spreadsheet formulas.

Text cells that begin with =, +, -, @, tab or carriage return would be run as formulas by spreadsheet
programs (CSV injection); they get a leading apostrophe, the usual neutralisation, in both formats.
"""

from __future__ import annotations

import io

import polars as pl
import xlsxwriter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_DANGEROUS = r"^[=+\-@\t\r]"


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text cell that a spreadsheet would read as a formula, prefixed with an apostrophe."""
    text_columns = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_DANGEROUS)).then("'" + pl.col(name)).otherwise(pl.col(name)).alias(name)
        for name in text_columns
    )


def neutral_text(value: str) -> str:
    """One text cell neutralised the way ``neutralised`` treats a frame's text columns."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """CSV for German Excel: UTF-8 with BOM, semicolon, decimal comma, dates as 31.12.2025."""
    buffer = io.BytesIO()
    neutralised(frame).write_csv(
        buffer, separator=";", decimal_comma=True, include_bom=True, date_format="%d.%m.%Y", null_value=""
    )
    return buffer.getvalue()


def xlsx_bytes(frame: pl.DataFrame, sheet: str, *, title: str = "", notes: tuple[str, ...] = ()) -> bytes:
    """An XLSX sheet with typed number and date cells, a frozen header row and fitted column widths.

    ``title`` and ``notes`` (e.g. "Stand", the filters used) go above the table.
    """
    frame = neutralised(frame)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    worksheet = workbook.add_worksheet(sheet[:31])
    bold = workbook.add_format({"bold": True})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    formats = {
        "money": workbook.add_format({"num_format": '#,##0.00 "€"'}),
        "date": workbook.add_format({"num_format": "dd.mm.yyyy"}),
        "percent": workbook.add_format({"num_format": "0.0 %"}),
        "int": workbook.add_format({"num_format": "#,##0"}),
        "text": workbook.add_format({}),
    }
    row = 0
    if title:
        worksheet.write_string(row, 0, title, workbook.add_format({"bold": True, "font_size": 14}))
        row += 1
    for note in notes:
        worksheet.write_string(row, 0, note)
        row += 1
    if title or notes:
        row += 1
    for column, name in enumerate(frame.columns):
        worksheet.write_string(row, column, name, header)
    worksheet.freeze_panes(row + 1, 0)
    kinds = [_kind(dtype) for dtype in frame.dtypes]
    for offset, values in enumerate(frame.iter_rows(), start=row + 1):
        for column, (value, kind) in enumerate(zip(values, kinds, strict=True)):
            if value is None:
                continue
            if kind == "date":
                worksheet.write_datetime(offset, column, value, formats["date"])
            elif kind in ("money", "percent", "int"):
                worksheet.write_number(offset, column, float(value), formats[kind])
            else:
                worksheet.write_string(offset, column, str(value))
    for column, name in enumerate(frame.columns):
        longest = frame[name].cast(pl.String).str.len_chars().max() if frame.height else 0
        text_width = longest if isinstance(longest, int) else 0
        width = min(60, max(len(name), text_width + (4 if kinds[column] == "money" else 0)) + 2)
        worksheet.set_column(column, column, width)
    if title:
        worksheet.set_row(0, None, bold)
    worksheet.autofilter(row, 0, row + frame.height, max(0, frame.width - 1))
    workbook.close()
    return buffer.getvalue()


def _kind(dtype: pl.DataType) -> str:
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Decimal):
        return "money"
    if dtype == pl.Float64:
        return "percent"
    if dtype.is_integer():
        return "int"
    return "text"


def euros(column: str) -> pl.Expr:
    """Integer cents as an exact two-decimal euro amount (Decimal)."""
    return pl.col(column).cast(pl.Decimal(18, 2)) / 100

"""The ministry report on one alliance's fund use: an XLSX workbook with native charts and a short A4 PDF.

Both are built from a ``FundUseView`` alone, so the page, the CLI and tests produce the same figures. Money is
exact integer cents in the view; the workbook writes euros as numbers (cents / 100 is correctly rounded, so every
cell reads back exact to the cent) and the PDF formats them with ``dashboard.i18n.formats``. All user text goes
into the workbook with ``write_string`` after formula neutralisation, and into the PDF escaped for ReportLab's
paragraph markup.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

import polars as pl
import xlsxwriter
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dashboard.domain.fund_use import NO_TOPIC, Breakdown, FundUseView, RiskFlag, flag_sentence
from dashboard.domain.overview import today
from dashboard.exporters.tables import neutral_text
from dashboard.i18n import formats, label, t

MAX_PROJECT_SHEETS = 150  # beyond this a workbook gets slow to open; the project table still lists every project
PDF_FLAGS = 12
PDF_LAGGING = 10
TITLE_LIMIT = 120  # characters of a title in the PDF's sentences and table: long titles cannot push it to page 4

# Okabe-Ito, the palette of the app's Plotly charts (dashboard.charts.theme), repeated so exporters need no Plotly.
BLUE, ORANGE, GREEN, SKY, BLACK, GREY = "#0072B2", "#E69F00", "#009E73", "#56B4E9", "#000000", "#8C8C8C"
STAGE_COLOURS = (GREY, BLUE, GREEN, SKY)  # budget, committed, disbursed, free
XLSX_DATE_FORMATS = {"de": "dd.mm.yyyy", "en": "dd/mm/yyyy"}
SHEET_NAME_LIMIT = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


# --- Shared content -------------------------------------------------------------------------------------


def _funds_text(view: FundUseView, language: str) -> str:
    return ", ".join(label("fund", code, language) for code in view.funds) or t("report.all_funds", language)


def _has_money(view: FundUseView) -> bool:
    funnel = view.funnel
    return bool(funnel.planned_cents or funnel.committed_cents or funnel.disbursed_cents or view.per_project.height)


def _stages(planned: int, committed: int, disbursed: int, language: str) -> list[tuple[str, int, float | None]]:
    """The funnel's stages as (label, cents, share of the budget)."""

    def share(cents: int) -> float | None:
        return cents / planned if planned else None

    rows = [
        ("funds.kpi.budget", planned),
        ("funds.kpi.committed", committed),
        ("funds.kpi.disbursed", disbursed),
        ("funds.kpi.free", planned - committed),
    ]
    return [(t(key, language), cents, share(cents)) for key, cents in rows]


def _funnel_stages(view: FundUseView, language: str) -> list[tuple[str, int, float | None]]:
    funnel = view.funnel
    return _stages(funnel.planned_cents, funnel.committed_cents, funnel.disbursed_cents, language)


def _forecast_lines(view: FundUseView, language: str) -> list[tuple[str, int, float | None]]:
    """The forecast as (label, cents, share of the budget): expected payments, band, unused, not committed."""
    forecast = view.forecast
    counting = formats.day(forecast.counting_until, language)
    rows = [
        (
            t("report.final_until" if forecast.final else "report.forecast_until", language, counting=counting),
            forecast.forecast_cents,
        )
    ]
    if not forecast.final:
        rows += [
            (t("funds.col.low", language), forecast.low_cents),
            (t("funds.col.high", language), forecast.high_cents),
        ]
    rows += [
        (t("funds.kpi.unused_final" if forecast.final else "funds.kpi.unused", language), forecast.unused_cents),
        (t("report.uncommitted", language), forecast.uncommitted_cents),
    ]
    budget = forecast.budget_cents
    return [(text, cents, cents / budget if budget else None) for text, cents in rows]


def _ordered_projects(view: FundUseView) -> pl.DataFrame:
    """The projects by money held, largest first: the order of the project table and of the capped project sheets."""
    return view.per_project.sort(["ceiling_cents", "title", "project_id"], descending=[True, False, False])


def _project_flags(view: FundUseView, project_id: int) -> list[RiskFlag]:
    return [flag for flag in view.flags if flag.params.get("project_id") == project_id]


def _breakdown_key(breakdown: Breakdown, key: str, language: str) -> str:
    if breakdown == Breakdown.FUND:
        return label("fund", key, language)
    if breakdown == Breakdown.TOPIC and key == NO_TOPIC:
        return t("funds.breakdown.no_topic", language)
    return key


def sheet_name(text: str, used: set[str]) -> str:
    """A valid Excel sheet name not in ``used`` (compared case-insensitively, as Excel does); adds it to ``used``.

    At most 31 characters, none of ``[]:*?/\\`` (replaced by "-"), no apostrophe at either end.
    """
    base = " ".join(_SHEET_FORBIDDEN.sub("-", text).split()).strip("'") or "-"

    def fitted(name: str, suffix: str = "") -> str:
        room = SHEET_NAME_LIMIT - len(suffix)
        if len(name) > room:
            name = name[: room - 1].rstrip().rstrip("'") + "…"
        return name + suffix

    candidate, number = fitted(base), 2
    while candidate.casefold() in used:
        candidate, number = fitted(base, f" ({number})"), number + 1
    used.add(candidate.casefold())
    return candidate


# --- XLSX -----------------------------------------------------------------------------------------------


class _Book:
    """An xlsxwriter workbook with the report's cell formats, typed writers and column widths fitted at the end."""

    def __init__(self, buffer: io.BytesIO, language: str) -> None:
        self.workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
        self.language = language
        self.used_names: set[str] = set()
        self.widths: dict[str, dict[int, float]] = {}
        add = self.workbook.add_format
        self.formats = {
            "title": add({"bold": True, "font_size": 14}),
            "heading": add({"bold": True, "font_size": 12}),
            "label": add({"bold": True, "valign": "top"}),
            "header": add({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}),
            "money": add({"num_format": '#,##0.00 "€"'}),
            "date": add({"num_format": XLSX_DATE_FORMATS.get(language, XLSX_DATE_FORMATS["de"]), "align": "left"}),
            "percent": add({"num_format": "0.0 %"}),
            "points": add({"num_format": "0.0"}),
            "number": add({"num_format": "0.00"}),
            "year": add({"num_format": "0", "align": "left"}),
            "text": add({"valign": "top"}),
            "wrap": add({"text_wrap": True, "valign": "top"}),
            "note": add({"italic": True, "font_color": "#595959"}),
            "link": add({"font_color": "#0563C1", "underline": 1}),
        }

    def sheet(self, name: str) -> Any:
        worksheet = self.workbook.add_worksheet(sheet_name(name, self.used_names))
        self.widths[worksheet.name] = {}
        return worksheet

    def _fit(self, worksheet: Any, column: int, width: float) -> None:
        widths = self.widths[worksheet.name]
        widths[column] = max(widths.get(column, 0), width)

    def text(
        self, worksheet: Any, row: int, column: int, value: str, style: str = "text", *, fit: bool = False
    ) -> None:
        """User or catalogue text, always as a string cell and neutralised against formulas."""
        worksheet.write_string(row, column, neutral_text(value), self.formats[style])
        if fit:
            self._fit(worksheet, column, len(value))

    def cell(self, worksheet: Any, row: int, column: int, value: Any, kind: str) -> None:
        """A typed cell: money in cents, shares, dates, years, flags, links ((sheet, text)) or text."""
        if value is None:
            return
        if kind == "money":
            worksheet.write_number(row, column, int(value) / 100, self.formats["money"])
            self._fit(worksheet, column, len(formats.number(int(value) / 100, "de", decimals=2)) + 3)
        elif kind in ("percent", "points", "number"):
            number = float(value) * (100 if kind == "points" else 1)
            worksheet.write_number(row, column, number, self.formats[kind])
            self._fit(worksheet, column, 9)
        elif kind == "year":
            worksheet.write_number(row, column, int(value), self.formats["year"])
            self._fit(worksheet, column, 6)
        elif kind == "date":
            worksheet.write_datetime(row, column, value, self.formats["date"])
            self._fit(worksheet, column, 11)
        elif kind == "bool":
            self.text(worksheet, row, column, t("report.yes" if value else "report.no", self.language), fit=True)
        elif kind == "link":
            target, shown = value
            quoted = str(target).replace("'", "''")
            worksheet.write_url(
                row, column, f"internal:'{quoted}'!A1", self.formats["link"], string=neutral_text(str(shown))
            )
            self._fit(worksheet, column, len(str(shown)))
        else:
            self.text(worksheet, row, column, str(value), fit=True)

    def title(self, worksheet: Any, title: str, notes: Sequence[str]) -> int:
        """Title and notes above a sheet's content; returns the next free row (after a blank one)."""
        self.text(worksheet, 0, 0, title, "title")
        for offset, note in enumerate(notes, start=1):
            self.text(worksheet, offset, 0, note, "note")
        return len(notes) + 2

    def heading(self, worksheet: Any, row: int, text: str) -> int:
        self.text(worksheet, row, 0, text, "heading")
        return row + 1

    def paragraph(self, worksheet: Any, row: int, text: str, *, last_column: int = 2, chars_per_line: int = 80) -> int:
        """Long text wrapped over merged columns; Excel cannot fit merged rows itself, so the height is estimated."""
        # merge_range writes its data with write(), which would turn "=…" into a formula: merge empty, then
        # write the string into the merged cell.
        worksheet.merge_range(row, 0, row, last_column, "", self.formats["wrap"])
        self.text(worksheet, row, 0, text, "wrap")
        lines = sum(max(1, math.ceil(len(part) / chars_per_line)) for part in text.split("\n"))
        worksheet.set_row(row, 15 * lines + 2)
        return row + 1

    def pairs(self, worksheet: Any, row: int, items: Sequence[tuple[str, Any, str]]) -> int:
        """Label / value rows (value typed by kind)."""
        for label_text, value, kind in items:
            self.text(worksheet, row, 0, label_text, "label", fit=True)
            self.cell(worksheet, row, 1, value, kind)
            row += 1
        return row

    def table(
        self,
        worksheet: Any,
        row: int,
        columns: Sequence[tuple[str, str]],
        rows: Iterable[Sequence[Any]],
        *,
        freeze: bool = False,
        column: int = 0,
    ) -> tuple[int, int]:
        """A header row and typed data rows; returns (first data row, next free row)."""
        for offset, (header, _) in enumerate(columns):
            worksheet.write_string(row, column + offset, neutral_text(header), self.formats["header"])
            # Headers wrap, so long ones need not widen the column to their full length.
            self._fit(worksheet, column + offset, min(len(header), 18))
        if freeze:
            worksheet.freeze_panes(row + 1, 0)
        first = row + 1
        current = first
        for values in rows:
            for offset, (value, (_, kind)) in enumerate(zip(values, columns, strict=True)):
                self.cell(worksheet, current, column + offset, value, kind)
            current += 1
        if freeze and current > first:
            worksheet.autofilter(row, column, current - 1, column + len(columns) - 1)
        return first, current

    def close(self) -> None:
        for worksheet in self.workbook.worksheets():
            for column, width in self.widths[worksheet.name].items():
                worksheet.set_column(column, column, min(60, max(8, width + 2)))
        self.workbook.close()


def _stage_chart(book: _Book, sheet: str, first_row: int, title: str) -> Any:
    """A column chart of the four funnel stages written at rows first_row..first_row+3 (labels A, euros B)."""
    chart = book.workbook.add_chart({"type": "column"})
    last = first_row + 3
    chart.add_series(
        {
            "name": title,
            "categories": [sheet, first_row, 0, last, 0],
            "values": [sheet, first_row, 1, last, 1],
            "points": [{"fill": {"color": colour}, "border": {"none": True}} for colour in STAGE_COLOURS],
            "data_labels": {"value": True, "num_format": '#,##0 "€"'},
        }
    )
    chart.set_title({"name": title, "name_font": {"size": 12}})
    chart.set_legend({"none": True})
    chart.set_y_axis({"num_format": '#,##0 "€"', "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_size({"width": 560, "height": 300})
    return chart


def _timeline(view: FundUseView) -> pl.DataFrame:
    """The S-curve month by month with the forecast path joined on the day (one row per month end or Stichtag)."""
    curve = view.curve.select("day", "budget_cents", "schedule_cents", "committed_cents", "disbursed_cents")
    path = view.path.select("day", "forecast_cents", "low_cents", "high_cents")
    return curve.join(path, on="day", how="full", coalesce=True).sort("day")


def _write_timeline(book: _Book, view: FundUseView, title: str, notes: Sequence[str]) -> tuple[str, int, int]:
    """The Verlauf sheet; returns its name, first data row and number of data rows (the chart's references)."""
    language = book.language
    worksheet = book.sheet(t("report.sheet.timeline", language))
    row = book.title(worksheet, title, notes)
    columns = [
        (t("report.col.day", language), "date"),
        (t("funds.chart.budget", language), "money"),
        (t("funds.chart.schedule", language), "money"),
        (t("funds.chart.committed", language), "money"),
        (t("funds.chart.disbursed", language), "money"),
        (t("funds.chart.forecast", language), "money"),
        (t("funds.col.low", language), "money"),
        (t("funds.col.high", language), "money"),
    ]
    timeline = _timeline(view)
    first, _ = book.table(worksheet, row, columns, timeline.iter_rows(), freeze=True)
    return worksheet.name, first, timeline.height


def _curve_chart(book: _Book, sheet: str, first: int, rows: int, title: str) -> Any:
    language = book.language
    chart = book.workbook.add_chart({"type": "line"})
    last = first + rows - 1
    styles = [
        (1, GREY, "solid", 1.5),
        (2, GREY, "dash", 1.25),
        (3, BLUE, "solid", 2.25),
        (4, GREEN, "solid", 2.25),
        (5, ORANGE, "dash", 2.0),
        (6, ORANGE, "round_dot", 1.0),
        (7, ORANGE, "round_dot", 1.0),
    ]
    for column, colour, dash, width in styles:
        chart.add_series(
            {
                "name": [sheet, first - 1, column],
                "categories": [sheet, first, 0, last, 0],
                "values": [sheet, first, column, last, column],
                "line": {"color": colour, "width": width, "dash_type": dash},
                "marker": {"type": "none"},
            }
        )
    chart.set_title({"name": title, "name_font": {"size": 12}})
    chart.set_x_axis(
        {
            "date_axis": True,
            "num_format": "mm.yyyy" if language == "de" else "mm/yyyy",
            "major_unit": 6,
            "major_unit_type": "months",
        }
    )
    chart.set_y_axis({"num_format": '#,##0 "€"', "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "bottom"})
    # Committed and disbursed end on the Stichtag and the forecast starts there: leave the gaps as gaps.
    chart.show_blanks_as("gap")
    chart.set_size({"width": 760, "height": 380})
    return chart


def fund_report_xlsx(view: FundUseView, language: str, *, created_on: date | None = None) -> bytes:
    """The fund-use report as a workbook: summary with native charts, timeline, funds, years, breakdowns, projects."""
    created_on = created_on or today()
    buffer = io.BytesIO()
    book = _Book(buffer, language)
    name = view.alliance_name
    stand = t("export.as_of", language, date=formats.day(view.as_of, language))
    notes = [stand + " · " + t("report.funds", language) + ": " + _funds_text(view, language)]
    projects = _ordered_projects(view)

    # Sheet order is the reading order; the project sheets are named first so the project table can link them.
    summary = book.sheet(t("report.sheet.summary", language))
    summary_row = _write_summary_top(book, summary, view, created_on, projects.height)
    timeline = _write_timeline(book, view, t("funds.curve_title", language) + " – " + name, notes)

    _write_fund_sheets(book, view, notes)
    _write_years(book, view, notes)
    _write_breakdown(book, view, Breakdown.TOPIC, "report.sheet.topics", notes)
    _write_breakdown(book, view, Breakdown.LEAD, "report.sheet.leads", notes)
    projects_sheet = book.sheet(t("report.sheet.projects", language))
    cofinancing_sheet = book.sheet(t("report.sheet.cofinancing", language))
    project_sheets = [
        (row, book.sheet(f"{number} {row['title']}"))
        for number, row in enumerate(projects.head(MAX_PROJECT_SHEETS).iter_rows(named=True), start=1)
    ]
    links = {row["project_id"]: worksheet.name for row, worksheet in project_sheets}
    _write_projects(book, projects_sheet, view, projects, links=links, notes=notes)
    _write_cofinancing(book, cofinancing_sheet, view, notes)
    for row, worksheet in project_sheets:
        _write_project(book, worksheet, view, row, projects_sheet.name)

    _write_summary_rest(book, summary, summary_row, view, timeline=timeline)
    summary.activate()
    book.close()
    return buffer.getvalue()


def _write_summary_top(book: _Book, worksheet: Any, view: FundUseView, created_on: date, projects: int) -> int:
    """Title, facts, filters and notes of the summary sheet; returns the next free row."""
    language = book.language
    book.text(worksheet, 0, 0, t("report.title", language, alliance=view.alliance_name), "title")
    book.text(worksheet, 1, 0, t("report.subtitle", language), "note")
    row = book.pairs(
        worksheet,
        3,
        [
            (t("report.as_of", language), view.as_of, "date"),
            (t("report.created", language), created_on, "date"),
            (t("report.period", language), formats.period(view.period_start, view.period_end, language), "text"),
            (t("report.counting", language), view.forecast.counting_until, "date"),
            (t("report.time_share", language), view.time_share, "percent"),
            (t("report.funds", language), _funds_text(view, language), "text"),
        ],
    )
    if not _has_money(view):
        row = book.paragraph(worksheet, row, t("report.no_money", language))
    if projects > MAX_PROJECT_SHEETS:
        capped = t(
            "report.projects_capped",
            language,
            shown=MAX_PROJECT_SHEETS,
            total=projects,
            sheet=t("report.sheet.projects", language),
        )
        row = book.paragraph(worksheet, row, capped)
    return row + 1


def _write_summary_rest(
    book: _Book, worksheet: Any, row: int, view: FundUseView, *, timeline: tuple[str, int, int]
) -> None:
    """Funnel, forecast, risks and the two native charts of the summary sheet (the curve's data: ``timeline``)."""
    language = book.language
    row = book.heading(worksheet, row, t("funds.funnel_title", language))
    money_columns = [
        (t("funds.chart.stage", language), "text"),
        (t("funds.chart.amount", language), "money"),
        (t("report.share", language), "percent"),
    ]
    funnel_first, row = book.table(worksheet, row, money_columns, _funnel_stages(view, language))
    row = book.heading(worksheet, row + 1, t("funds.forecast_title", language))
    if view.forecast.final:
        row = book.paragraph(worksheet, row, t("funds.forecast_final", language))
    _, row = book.table(worksheet, row, money_columns, _forecast_lines(view, language))
    if not view.forecast.final:
        row = book.paragraph(worksheet, row, t("report.method", language, lag=view.rules.payment_lag_days))
    row = book.heading(worksheet, row + 1, t("funds.risks_title", language, count=len(view.flags)))
    if not view.flags:
        book.text(worksheet, row, 0, t("funds.no_risks", language))
    for flag in view.flags:
        row = book.paragraph(worksheet, row, flag_sentence(flag, language))
    worksheet.set_column(3, 3, 3)
    book.widths[worksheet.name][0] = max(book.widths[worksheet.name].get(0, 0), 34)
    funnel_chart = _stage_chart(book, worksheet.name, funnel_first, t("funds.funnel_title", language))
    worksheet.insert_chart(2, 4, funnel_chart)
    if timeline[2]:
        curve = _curve_chart(book, *timeline, t("funds.curve_title", language))
        worksheet.insert_chart(18, 4, curve)


def _write_fund_sheets(book: _Book, view: FundUseView, notes: Sequence[str]) -> None:
    """One sheet per fund: its funnel with a chart, the booking years and the projects it funds."""
    language = book.language
    funds = view.breakdowns[Breakdown.FUND]
    years = view.breakdowns[Breakdown.YEAR]
    money_columns = [
        (t("funds.chart.stage", language), "text"),
        (t("funds.chart.amount", language), "money"),
        (t("report.share", language), "percent"),
    ]
    year_columns = [
        (t("funds.col.year", language), "year"),
        (t("funds.col.planned", language), "money"),
        (t("funds.col.committed", language), "money"),
        (t("funds.col.disbursed", language), "money"),
        (t("funds.col.free", language), "money"),
        (t("funds.col.absorption_share", language), "percent"),
    ]
    project_columns = [
        (t("funds.col.project", language), "text"),
        (t("funds.col.ceiling", language), "money"),
        (t("funds.col.disbursed", language), "money"),
        (t("funds.col.forecast", language), "money"),
    ]
    for fund in funds.iter_rows(named=True):
        fund_label = label("fund", fund["key"], language)
        worksheet = book.sheet(t("report.sheet.fund", language, fund=fund_label))
        row = book.title(
            worksheet, t("report.fund_title", language, fund=fund_label, alliance=view.alliance_name), notes
        )
        stages = _stages(fund["planned_cents"], fund["committed_cents"], fund["disbursed_cents"], language)
        first, row = book.table(worksheet, row, money_columns, stages)
        worksheet.insert_chart(1, 7, _stage_chart(book, worksheet.name, first, fund_label))
        row = book.heading(worksheet, row + 1, t("report.fund_years", language))
        # The view keeps no flows per fund and year; with several funds the years are the whole filtered view.
        same = funds.height == 1
        book.text(worksheet, row, 0, t("report.fund_years_same" if same else "report.fund_years_all", language), "note")
        year_rows = years.select(
            pl.col("key").cast(pl.Int32),
            "planned_cents",
            "committed_cents",
            "disbursed_cents",
            "free_cents",
            "absorption_share",
        ).iter_rows()
        _, row = book.table(worksheet, row + 1, year_columns, year_rows)
        row = book.heading(worksheet, row + 1, t("report.fund_projects", language, fund=fund_label))
        funded = _ordered_projects(view).filter(pl.col("fund") == fund["key"])
        if funded.is_empty():
            book.text(worksheet, row, 0, t("report.no_projects", language), "note")
            continue
        book.table(
            worksheet,
            row,
            project_columns,
            funded.select("title", "ceiling_cents", "disbursed_cents", "forecast_cents").iter_rows(),
        )


def _write_years(book: _Book, view: FundUseView, notes: Sequence[str]) -> None:
    language = book.language
    worksheet = book.sheet(t("report.sheet.years", language))
    row = book.title(worksheet, t("report.sheet.years", language) + " – " + view.alliance_name, notes)
    columns = [
        (t("funds.col.year", language), "year"),
        (t("funds.col.planned", language), "money"),
        (t("report.col.cumulative", language), "money"),
        (t("funds.col.deadline", language), "date"),
        (t("report.col.paid_by_deadline", language), "money"),
        (t("report.col.basis", language), "text"),
        (t("funds.col.missing", language), "money"),
        (t("report.col.missing_share", language), "percent"),
    ]
    basis = {True: t("report.actual", language), False: t("report.forecast", language)}
    rows = (
        (
            r["year"],
            r["planned_cents"],
            r["cumulative_planned_cents"],
            r["deadline"],
            r["paid_by_deadline_cents"],
            basis[r["passed"]],
            r["missing_cents"],
            r["missing_share"],
        )
        for r in view.years.iter_rows(named=True)
    )
    book.table(worksheet, row, columns, rows, freeze=True)


def _write_breakdown(
    book: _Book, view: FundUseView, breakdown: Breakdown, sheet_key: str, notes: Sequence[str]
) -> None:
    language = book.language
    worksheet = book.sheet(t(sheet_key, language))
    extra = [t("funds.topics_note", language)] if breakdown == Breakdown.TOPIC else []
    row = book.title(worksheet, t(sheet_key, language) + " – " + view.alliance_name, [*notes, *extra])
    columns = [
        (t(f"funds.breakdown.{breakdown.value}", language), "text"),
        (t("funds.col.committed", language), "money"),
        (t("funds.col.disbursed", language), "money"),
        (t("funds.col.outstanding", language), "money"),
        (t("funds.col.paid_share", language), "percent"),
    ]
    frame = view.breakdowns[breakdown]
    rows = (
        (
            _breakdown_key(breakdown, r["key"], language),
            r["committed_cents"],
            r["disbursed_cents"],
            r["outstanding_cents"],
            r["paid_share"],
        )
        for r in frame.iter_rows(named=True)
    )
    book.table(worksheet, row, columns, rows, freeze=True)


def _write_projects(
    book: _Book,
    worksheet: Any,
    view: FundUseView,
    projects: pl.DataFrame,
    *,
    links: dict[int, str],
    notes: Sequence[str],
) -> None:
    language = book.language
    row = book.title(worksheet, t("funds.projects_title", language) + " – " + view.alliance_name, notes)
    columns = [
        (t("report.col.sheet", language), "link"),
        (t("funds.col.project", language), "text"),
        (t("funds.col.lead", language), "text"),
        (t("funds.col.fund", language), "text"),
        (t("funds.col.status", language), "text"),
        (t("funds.col.start", language), "date"),
        (t("funds.col.end", language), "date"),
        (t("funds.col.ceiling", language), "money"),
        (t("funds.col.disbursed", language), "money"),
        (t("funds.col.runtime_share", language), "percent"),
        (t("funds.col.due_share", language), "percent"),
        (t("funds.col.paid_share", language), "percent"),
        (t("funds.col.lag", language), "points"),
        (t("funds.col.forecast", language), "money"),
        (t("funds.col.low", language), "money"),
        (t("funds.col.high", language), "money"),
        (t("funds.col.lagging", language), "bool"),
    ]
    rows = (
        (
            (links[r["project_id"]], links[r["project_id"]]) if r["project_id"] in links else None,
            r["title"],
            r["lead_name"],
            label("fund", r["fund"], language),
            label("status", r["status"], language),
            r["start_date"],
            r["end_date"],
            r["ceiling_cents"],
            r["disbursed_cents"],
            r["runtime_share"],
            r["due_share"],
            r["paid_share"],
            r["lag"],
            r["forecast_cents"],
            r["low_cents"],
            r["high_cents"],
            r["lagging"],
        )
        for r in projects.iter_rows(named=True)
    )
    book.table(worksheet, row, columns, rows, freeze=True)
    if projects.is_empty():
        book.text(worksheet, row + 1, 0, t("report.no_projects", language), "note")


def _write_cofinancing(book: _Book, worksheet: Any, view: FundUseView, notes: Sequence[str]) -> None:
    language = book.language
    row = book.title(
        worksheet,
        t("funds.cofinancing_title", language) + " – " + view.alliance_name,
        [*notes, t("funds.cofinancing_help", language)],
    )
    columns = [
        (t("funds.col.project", language), "text"),
        (t("funds.col.fund", language), "text"),
        (t("funds.col.total_cost", language), "money"),
        (t("funds.col.approved", language), "money"),
        (t("funds.col.grant_rate", language), "percent"),
        (t("funds.col.max_rate", language), "percent"),
        (t("funds.col.exceeded", language), "bool"),
    ]
    rows = (
        (
            r["title"],
            label("fund", r["fund"], language),
            r["total_cost_cents"],
            r["approved_cents"],
            r["grant_rate"],
            r["max_rate"],
            r["exceeded"],
        )
        for r in view.cofinancing.iter_rows(named=True)
    )
    book.table(worksheet, row, columns, rows, freeze=True)


def _write_project(
    book: _Book, worksheet: Any, view: FundUseView, project: dict[str, Any], projects_sheet: str
) -> None:
    """One project's facts, its position on the Stichtag, its forecast and its warnings."""
    language = book.language
    book.text(worksheet, 0, 0, project["title"], "title")
    book.cell(worksheet, 1, 0, (projects_sheet, t("report.back", language)), "link")
    row = book.heading(worksheet, 3, t("report.project_facts", language))
    row = book.pairs(
        worksheet,
        row,
        [
            (t("funds.col.project", language), project["title"], "text"),
            (t("funds.col.lead", language), project["lead_name"], "text"),
            (t("funds.col.fund", language), label("fund", project["fund"], language), "text"),
            (t("funds.col.status", language), label("status", project["status"], language), "text"),
            (t("funds.col.start", language), project["start_date"], "date"),
            (t("funds.col.end", language), project["end_date"], "date"),
            (t("funds.col.total_cost", language), project["total_cost_cents"], "money"),
            (t("funds.col.approved", language), project["approved_cents"], "money"),
            (t("funds.col.committed", language), project["committed_cents"], "money"),
            (t("funds.col.disbursed", language), project["disbursed_cents"], "money"),
            (t("funds.col.ceiling", language), project["ceiling_cents"], "money"),
        ],
    )
    row = book.heading(worksheet, row + 1, t("report.project_position", language))
    row = book.pairs(
        worksheet,
        row,
        [
            (t("report.as_of", language), view.as_of, "date"),
            (t("funds.col.runtime_share", language), project["runtime_share"], "percent"),
            (t("funds.col.due_share", language), project["due_share"], "percent"),
            (t("funds.col.paid_share", language), project["paid_share"], "percent"),
            (t("funds.col.lag", language), project["lag"], "points"),
            (t("report.col.pace", language), project["pace"], "number"),
        ],
    )
    counting = formats.day(view.forecast.counting_until, language)
    row = book.heading(worksheet, row + 1, t("report.project_forecast", language, counting=counting))
    row = book.pairs(
        worksheet,
        row,
        [
            (t("funds.col.forecast", language), project["forecast_cents"], "money"),
            (t("funds.col.low", language), project["low_cents"], "money"),
            (t("funds.col.high", language), project["high_cents"], "money"),
        ],
    )
    row = book.heading(worksheet, row + 1, t("report.project_flags", language))
    flags = _project_flags(view, project["project_id"])
    if not flags:
        book.text(worksheet, row, 0, t("report.project_no_flags", language))
    for flag in flags:
        row = book.paragraph(worksheet, row, flag_sentence(flag, language), last_column=1, chars_per_line=85)
    # The title can be long: the label column stays readable, the value column takes the rest.
    book.widths[worksheet.name][0] = max(book.widths[worksheet.name].get(0, 0), 28)
    book.widths[worksheet.name][1] = min(max(book.widths[worksheet.name].get(1, 0), 40), 58)


# --- PDF ------------------------------------------------------------------------------------------------

_BASE = ParagraphStyle("body", fontName="Helvetica", fontSize=9, leading=11.5)
_STYLES = {
    "body": _BASE,
    "title": ParagraphStyle("title", parent=_BASE, fontName="Helvetica-Bold", fontSize=16, leading=20, spaceAfter=2),
    "subtitle": ParagraphStyle("subtitle", parent=_BASE, textColor=colors.HexColor("#595959"), spaceAfter=6),
    "heading": ParagraphStyle(
        "heading", parent=_BASE, fontName="Helvetica-Bold", fontSize=11, leading=14, spaceBefore=8, spaceAfter=4
    ),
    "small": ParagraphStyle("small", parent=_BASE, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#595959")),
    "cell": ParagraphStyle("cell", parent=_BASE, fontSize=8, leading=9.5),
    "cell_right": ParagraphStyle("cell_right", parent=_BASE, fontSize=8, leading=9.5, alignment=TA_RIGHT),
    "header": ParagraphStyle("header", parent=_BASE, fontName="Helvetica-Bold", fontSize=7.5, leading=9),
    "bullet": ParagraphStyle("bullet", parent=_BASE, leftIndent=10, bulletIndent=0, spaceAfter=3),
}
_PAGE_WIDTH = A4[0] - 36 * mm


def _p(text: str, style: str = "body") -> Paragraph:
    """User or catalogue text as a paragraph: escaped, so "<", "&" in titles are text, not markup."""
    return Paragraph(escape(text), _STYLES[style])


def _shortened(text: str) -> str:
    return text if len(text) <= TITLE_LIMIT else text[: TITLE_LIMIT - 1] + "…"


def _money(cents: int, language: str) -> str:
    return formats.money(cents, language, cents=True)


def _grid_style(*extra: tuple[Any, ...]) -> TableStyle:
    return TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), "Helvetica", 8.5),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#D9D9D9")),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            *extra,
        ]
    )


def _facts_table(view: FundUseView, language: str, created_on: date) -> Table:
    facts = [
        (t("report.as_of", language), formats.day(view.as_of, language)),
        (t("report.created", language), formats.day(created_on, language)),
        (t("report.period", language), formats.period(view.period_start, view.period_end, language)),
        (t("report.counting", language), formats.day(view.forecast.counting_until, language)),
        (t("report.funds", language), _funds_text(view, language)),
        (t("report.time_share", language), formats.percent(view.time_share, language)),
    ]
    rows = [
        [_p(facts[i][0], "header"), _p(facts[i][1], "cell"), _p(facts[i + 1][0], "header"), _p(facts[i + 1][1], "cell")]
        for i in range(0, len(facts), 2)
    ]
    return Table(rows, colWidths=[34 * mm, 53 * mm, 34 * mm, 53 * mm], style=_grid_style())


def _kpi_table(view: FundUseView, language: str) -> Table:
    header = [
        _p(t("funds.chart.stage", language), "header"),
        _p(t("funds.chart.amount", language), "header"),
        _p(t("report.share", language), "header"),
    ]

    def line(text: str, cents: int, share: float | None) -> list[Any]:
        return [_p(text, "cell"), _money(cents, language), formats.percent(share, language)]

    funnel = [line(*stage) for stage in _funnel_stages(view, language)]
    forecast = [line(*item) for item in _forecast_lines(view, language)]
    section = [_p(t("funds.forecast_title", language), "header"), "", ""]
    rows = [header, *funnel, section, *forecast]
    split = len(funnel) + 1
    style = _grid_style(
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
        ("SPAN", (0, split), (-1, split)),
        ("BACKGROUND", (0, split), (-1, split), colors.HexColor("#F2F2F2")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
    )
    return Table(rows, colWidths=[44 * mm, 34 * mm, 17 * mm], style=style)


def _euro_axis_label(language: str) -> Any:
    def shown(value: float) -> str:
        return formats.money_short(round(value * 100), language)

    return shown


def _funnel_drawing(view: FundUseView, language: str) -> Drawing:
    stages = _funnel_stages(view, language)
    values = [cents / 100 for _, cents, _ in stages]
    drawing = Drawing(76 * mm, 62 * mm)
    drawing.add(String(0, 62 * mm - 10, t("funds.funnel_title", language), fontName="Helvetica-Bold", fontSize=9))
    chart = VerticalBarChart()
    chart.x, chart.y = 19 * mm, 10 * mm
    chart.width, chart.height = 55 * mm, 44 * mm
    chart.data = [values]
    chart.valueAxis.valueMin = min(0.0, *values)
    chart.valueAxis.valueMax = max(1.0, *values) * 1.12
    chart.valueAxis.labelTextFormat = _euro_axis_label(language)
    chart.valueAxis.labels.fontName = "Helvetica"
    chart.valueAxis.labels.fontSize = 6.5
    chart.valueAxis.gridStrokeColor = colors.HexColor("#D9D9D9")
    chart.valueAxis.visibleGrid = True
    chart.categoryAxis.categoryNames = [text for text, _, _ in stages]
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.labels.fontSize = 7
    chart.barLabelFormat = _euro_axis_label(language)
    chart.barLabels.fontName = "Helvetica"
    chart.barLabels.fontSize = 6.5
    chart.barLabels.nudge = 6
    chart.bars.strokeColor = None
    for index, colour in enumerate(STAGE_COLOURS):
        chart.bars[(0, index)].fillColor = colors.HexColor(colour)
    drawing.add(chart)
    return drawing


def _month_label(language: str) -> Any:
    separator = "." if language == "de" else "/"

    def shown(ordinal: float) -> str:
        day = date.fromordinal(int(ordinal))
        return f"{day.month:02d}{separator}{day.year}"

    return shown


def _curve_drawing(view: FundUseView, language: str) -> Drawing:
    """The S-curve: budget line, linear plan, committed and disbursed to the Stichtag, forecast with its band."""
    timeline = _timeline(view)
    series: list[tuple[str | None, str, float, tuple[float, ...] | None, list[tuple[int, float]]]] = []

    def points(column: str) -> list[tuple[int, float]]:
        rows = timeline.select("day", column).drop_nulls().iter_rows()
        return [(day.toordinal(), cents / 100) for day, cents in rows]

    styles: list[tuple[str, str | None, str, float, tuple[float, ...] | None]] = [
        ("budget_cents", "funds.chart.budget", GREY, 1.2, None),
        ("schedule_cents", "funds.chart.schedule", GREY, 1.0, (3, 2)),
        ("committed_cents", "funds.chart.committed", BLUE, 1.8, None),
        ("disbursed_cents", "funds.chart.disbursed", GREEN, 1.8, None),
        ("forecast_cents", "funds.chart.forecast", ORANGE, 1.6, (4, 2)),
        ("low_cents", "funds.chart.band", ORANGE, 0.6, (1, 1.5)),
        ("high_cents", None, ORANGE, 0.6, (1, 1.5)),  # the band's other edge: one legend entry is enough
    ]
    for column, key, colour, width, dash in styles:
        found = points(column)
        if found:
            series.append((t(key, language) if key else None, colour, width, dash, found))
    drawing = Drawing(_PAGE_WIDTH, 82 * mm)
    if not series:
        return drawing
    all_points = [point for *_, found in series for point in found]
    top = max(1.0, *(value for _, value in all_points)) * 1.05
    x_min = min(view.period_start.toordinal(), *(x for x, _ in all_points))
    x_max = max(view.forecast.counting_until.toordinal(), *(x for x, _ in all_points))
    as_of = view.as_of.toordinal()
    if x_min <= as_of <= x_max:
        series.append((t("funds.chart.as_of", language), BLACK, 0.6, (2, 2), [(as_of, 0.0), (as_of, top)]))
    plot = LinePlot()
    plot.x, plot.y = 20 * mm, 18 * mm
    plot.width, plot.height = _PAGE_WIDTH - 24 * mm, 58 * mm
    plot.data = [found for *_, found in series]
    for index, (_, colour, width, dash, _) in enumerate(series):
        plot.lines[index].strokeColor = colors.HexColor(colour)
        plot.lines[index].strokeWidth = width
        plot.lines[index].strokeDashArray = dash
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = x_min, x_max
    start, end = date.fromordinal(x_min), date.fromordinal(x_max)
    # Half-year ticks for the usual three-year period, yearly ones when the axis spans longer.
    months = (1, 7) if end.year - start.year <= 4 else (1,)
    steps = [
        date(year, month, 1).toordinal()
        for year in range(start.year, end.year + 1)
        for month in months
        if x_min <= date(year, month, 1).toordinal() <= x_max
    ]
    plot.xValueAxis.valueSteps = steps or [x_min, x_max]
    plot.xValueAxis.labelTextFormat = _month_label(language)
    plot.xValueAxis.labels.fontName = "Helvetica"
    plot.xValueAxis.labels.fontSize = 7
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = 0, top
    plot.yValueAxis.labelTextFormat = _euro_axis_label(language)
    plot.yValueAxis.labels.fontName = "Helvetica"
    plot.yValueAxis.labels.fontSize = 7
    plot.yValueAxis.visibleGrid = True
    plot.yValueAxis.gridStrokeColor = colors.HexColor("#D9D9D9")
    drawing.add(plot)
    legend = Legend()
    legend.x, legend.y = 20 * mm, 8 * mm
    legend.alignment = "right"
    legend.columnMaximum = 2
    legend.fontName = "Helvetica"
    legend.fontSize = 7
    legend.dx, legend.dy = 10, 2
    legend.deltax = 105
    legend.colorNamePairs = [(colors.HexColor(colour), name) for name, colour, *_ in series if name]
    drawing.add(legend)
    return drawing


def _lagging_table(view: FundUseView, language: str) -> Table | Paragraph:
    lagging = (
        view.per_project.filter(pl.col("lag") > 0).sort(["lag", "title"], descending=[True, False]).head(PDF_LAGGING)
    )
    if lagging.is_empty():
        return _p(t("report.no_lagging", language))
    keys = ["project", "lead", "ceiling", "paid_share", "due_share", "lag", "forecast"]
    header = [_p(t(f"funds.col.{key}", language), "header") for key in keys]

    rows = [
        [
            _p(_shortened(r["title"]), "cell"),
            _p(_shortened(r["lead_name"] or ""), "cell"),
            _money(r["ceiling_cents"], language),
            formats.percent(r["paid_share"], language, decimals=0),
            formats.percent(r["due_share"], language, decimals=0),
            formats.number(r["lag"] * 100, language, decimals=1),
            _money(r["forecast_cents"], language),
        ]
        for r in lagging.iter_rows(named=True)
    ]
    style = _grid_style(
        ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
        ("FONTSIZE", (0, 1), (-1, -1), 8),
    )
    widths = [46 * mm, 30 * mm, 24 * mm, 18 * mm, 18 * mm, 16 * mm, 22 * mm]
    return Table([header, *rows], colWidths=widths, style=style, repeatRows=1)


def fund_report_pdf(view: FundUseView, language: str, *, created_on: date | None = None) -> bytes:
    """The fund-use report on 1–3 A4 pages: facts, KPI table, funnel and S-curve charts, risks, lagging projects."""
    created_on = created_on or today()
    buffer = io.BytesIO()
    title = t("report.title", language, alliance=view.alliance_name)
    footer = t("report.footer", language, date=formats.day(view.as_of, language))

    def page_footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#595959"))
        canvas.drawString(document.leftMargin, 10 * mm, footer)
        canvas.drawRightString(
            A4[0] - document.rightMargin, 10 * mm, t("report.page", language, page=canvas.getPageNumber())
        )
        canvas.restoreState()

    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="Fachkräfte-Cockpit",
        subject=t("report.subtitle", language),
        creator="Fachkräfte-Cockpit",
    )
    story: list[Any] = [
        _p(title, "title"),
        _p(t("report.subtitle", language), "subtitle"),
        _facts_table(view, language, created_on),
    ]
    if not _has_money(view):
        story += [Spacer(1, 3 * mm), _p(t("report.no_money", language))]
    story += [Spacer(1, 5 * mm)]
    # Without any money the charts would only show axes around zero: the note above says it in words.
    funnel_chart = _funnel_drawing(view, language) if _has_money(view) else ""
    side_by_side = Table(
        [[_kpi_table(view, language), funnel_chart]],
        colWidths=[98 * mm, _PAGE_WIDTH - 98 * mm],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]),
    )
    story.append(side_by_side)
    if view.forecast.final:
        story.append(_p(t("funds.forecast_final", language), "small"))
    else:
        story.append(_p(t("report.method", language, lag=view.rules.payment_lag_days), "small"))
    if _has_money(view):
        story += [_p(t("funds.curve_title", language), "heading"), _curve_drawing(view, language)]
    risks: list[Any] = [_p(t("funds.risks_title", language, count=len(view.flags)), "heading")]
    if not view.flags:
        risks.append(_p(t("funds.no_risks", language)))
    risks += [
        Paragraph(
            escape(flag_sentence(replace(flag, subject=_shortened(flag.subject)), language)),
            _STYLES["bullet"],
            bulletText="•",
        )
        for flag in view.flags[:PDF_FLAGS]
    ]
    if len(view.flags) > PDF_FLAGS:
        risks.append(_p(t("report.more_risks", language, count=len(view.flags) - PDF_FLAGS), "small"))
    story += [KeepTogether(risks[:2]), *risks[2:]]
    # The heading never stands alone at the foot of a page.
    story += [KeepTogether([_p(t("report.lagging_title", language), "heading"), _lagging_table(view, language)])]
    document.build(story, onFirstPage=page_footer, onLaterPages=page_footer)
    return buffer.getvalue()

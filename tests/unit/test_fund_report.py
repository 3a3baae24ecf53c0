"""The ministry report read back: XLSX numbers, dates, native charts and sheets; PDF text and pages; the CLI."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from dashboard import cli, loaders
from dashboard.config import FundRules, load_settings
from dashboard.data_access import queries
from dashboard.data_access.queries import PROJECT_MONEY_SCHEMA
from dashboard.data_access.scope import DEMO_SCOPE
from dashboard.domain import fund_use as fu
from dashboard.exporters import fund_report
from dashboard.exporters.fund_report import fund_report_pdf, fund_report_xlsx, sheet_name
from dashboard.i18n import formats

SON = "suedostniedersachsen"
AS_OF = date(2020, 6, 30)
CREATED = date(2026, 11, 22)
RULES = FundRules()
EVIL = '=HYPERLINK("http://evil.example","klick")'


# --- Helpers --------------------------------------------------------------------------------------------


def _son_view(engine: Engine, funds: tuple[str, ...] = ()) -> fu.FundUseView:
    alliance = queries.alliances(engine, DEMO_SCOPE).filter(slug=SON).row(0, named=True)
    return loaders.fund_use_view(engine, DEMO_SCOPE, alliance, AS_OF, funds=funds, rules=RULES)


def _workbook(payload: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(payload))


def _rows_by_label(sheet: Any) -> dict[str, tuple[Any, ...]]:
    """Each row by the text in column A (the first occurrence of a label wins)."""
    rows: dict[str, tuple[Any, ...]] = {}
    for row in sheet.iter_rows():
        if isinstance(row[0].value, str):
            rows.setdefault(row[0].value, tuple(row))
    return rows


def _euros(cents: int) -> Decimal:
    return Decimal(cents) / 100


def _cell_euros(cell: Any) -> Decimal:
    assert cell.data_type == "n" and "€" in cell.number_format
    return Decimal(str(cell.value))


def _pdf_text(payload: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(payload))
    # Babel puts a non-breaking space before € and %; compare with plain spaces.
    text = "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")
    return len(reader.pages), text


def _project(project_id: int, title: str, *, grant: int, paid: int, lead: str = "Träger") -> dict[str, object]:
    return {
        "project_id": project_id,
        "alliance_id": 1,
        "title": title,
        "lead_name": lead,
        "status": "laufend",
        "fund": "esf",
        "start_date": date(2020, 1, 1),
        "end_date": date(2022, 12, 31),
        "total_cost_cents": grant * 2,
        "approved_cents": grant,
        "committed_cents": grant,
        "disbursed_cents": paid,
        "counted_cents": paid,
    }


def _hand_built_view(rows: list[dict[str, object]], *, name: str = "Testbündnis") -> fu.FundUseView:
    """A view from frames, no database: a budget of 1 M € over three years and the given projects."""
    projects = pl.DataFrame(rows, schema=dict(PROJECT_MONEY_SCHEMA), orient="row")
    budget = pl.DataFrame(
        [(1, "esf", year, 33_333_300) for year in (2020, 2021, 2022)],
        schema={"alliance_id": pl.Int64, "fund": pl.String, "year": pl.Int32, "planned_cents": pl.Int64},
        orient="row",
    )
    flows = pl.DataFrame(
        [(date(2020, 1, 15), "esf", "commitment", row["committed_cents"]) for row in rows]
        + [(date(2020, 12, 15), "esf", "disbursement", row["disbursed_cents"]) for row in rows],
        schema={"entry_date": pl.Date, "fund": pl.String, "kind": pl.String, "amount_cents": pl.Int64},
        orient="row",
    )
    topics = pl.DataFrame(
        [(row["project_id"], "Rekrutierung") for row in rows],
        schema={"project_id": pl.Int64, "topic": pl.String},
        orient="row",
    )
    alliance = {"name": name, "period_start": date(2020, 1, 1), "period_end": date(2022, 12, 31)}
    return fu.fund_use_view(
        alliance, budget, projects, flows, topics, as_of=date(2021, 10, 31), funds=("esf",), rules=RULES
    )


def _evil_view() -> fu.FundUseView:
    return _hand_built_view(
        [
            # Paid nothing at 60 % of its runtime: flagged, so the title also starts a risk sentence.
            _project(1, EVIL, grant=20_000_000, paid=0, lead="@Träger"),
            _project(2, "Ab/zu: [Test]*? – Fachkräfte & <Bildung>", grant=10_000_000, paid=4_000_000),
        ],
        name="+Bündnis <b>&amp;</b>",
    )


# --- XLSX -----------------------------------------------------------------------------------------------


def test_xlsx_summary_carries_the_funnel_the_stand_and_native_charts(seeded_engine: Engine) -> None:
    view = _son_view(seeded_engine)
    book = _workbook(fund_report_xlsx(view, "de", created_on=CREATED))
    summary = book.worksheets[0]
    assert summary.title == "Übersicht"
    assert view.alliance_name in summary["A1"].value
    rows = _rows_by_label(summary)
    stand = rows["Stand (Stichtag)"][1]
    assert stand.value == datetime(2020, 6, 30) and stand.number_format == "dd.mm.yyyy"
    assert rows["Erstellt am"][1].value == datetime(2026, 11, 22)
    assert rows["Fonds"][1].value == "Alle Fonds"
    funnel = view.funnel
    assert _cell_euros(rows["Budget"][1]) == _euros(funnel.planned_cents) == Decimal("1400000.00")
    assert _cell_euros(rows["Bewilligt"][1]) == _euros(funnel.committed_cents)
    assert _cell_euros(rows["Ausgezahlt"][1]) == _euros(funnel.disbursed_cents)
    assert _cell_euros(rows["Noch frei"][1]) == _euros(funnel.free_cents)
    assert rows["Bewilligt"][2].number_format == "0.0 %"
    assert rows["Bewilligt"][2].value == pytest.approx(funnel.committed_cents / funnel.planned_cents)
    forecast_row = rows["Prognose Abfluss bis 31.03.2022"]
    assert _cell_euros(forecast_row[1]) == _euros(view.forecast.forecast_cents)
    assert _cell_euros(rows["Voraussichtlich ungenutzt"][1]) == _euros(view.forecast.unused_cents)
    sentences = {fu.flag_sentence(flag, "de") for flag in view.flags}
    assert sentences and sentences <= set(rows)
    assert len(summary._charts) == 2  # the funnel's column chart and the S-curve, both native
    assert summary.column_dimensions["A"].width > 20


def test_xlsx_has_every_sheet_a_project_sheet_per_project_and_a_timeline(seeded_engine: Engine) -> None:
    view = _son_view(seeded_engine)
    book = _workbook(fund_report_xlsx(view, "de", created_on=CREATED))
    fixed = ["Übersicht", "Verlauf", "Fonds ESF-ESF+", "Jahre", "Handlungsfelder", "Federführung", "Projekte"]
    assert book.sheetnames[: len(fixed) + 1] == [*fixed, "Kofinanzierung"]
    project_sheets = book.sheetnames[len(fixed) + 1 :]
    assert len(project_sheets) == view.per_project.height
    assert {book[name]["A1"].value for name in project_sheets} == set(view.per_project["title"])
    assert all(re.match(r"^\d+ ", name) and len(name) <= 31 for name in project_sheets)
    assert len(book["Fonds ESF-ESF+"]._charts) == 1

    timeline = book["Verlauf"]
    assert timeline.freeze_panes == "A5"
    header = [cell.value for cell in timeline[4]]
    assert header[:5] == ["Monatsende", "Budget (kumuliert)", "Linearer Plan", "Bewilligt", "Ausgezahlt"]
    days = {row[0].value.date(): row for row in timeline.iter_rows(min_row=5)}
    # Month ends of the period, and of the forecast up to the counting day (three months after the period).
    assert sorted(days) == sorted(set(view.curve["day"]) | set(view.path["day"]))
    on_stichtag = days[AS_OF]
    assert _cell_euros(on_stichtag[4]) == _euros(view.funnel.disbursed_cents)
    assert _cell_euros(on_stichtag[5]) == _euros(view.funnel.disbursed_cents)  # the forecast starts there
    after = days[date(2021, 12, 31)]
    assert after[4].value is None  # no disbursements drawn after the Stichtag

    projects = book["Projekte"]
    assert projects.freeze_panes == "A5"
    first = projects[5]
    top = view.per_project.sort("ceiling_cents", descending=True).row(0, named=True)
    assert first[1].value == top["title"]
    assert first[0].hyperlink is not None and first[0].hyperlink.location.startswith("'1 ")
    assert _cell_euros(first[7]) == _euros(top["ceiling_cents"])
    assert first[5].value == datetime.combine(top["start_date"], datetime.min.time())

    years = book["Jahre"]
    assert [row[0].value for row in years.iter_rows(min_row=5)] == view.years["year"].to_list()


def test_xlsx_neutralises_formulas_and_keeps_sheet_names_valid() -> None:
    view = _evil_view()
    assert any(flag.subject == EVIL for flag in view.flags)
    book = _workbook(fund_report_xlsx(view, "de", created_on=CREATED))
    for sheet in book.worksheets:
        assert len(sheet.title) <= 31 and not set(sheet.title) & set("[]:*?/\\")
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), f"{sheet.title}!{cell.coordinate}"
    assert book.worksheets[0]["A1"].value == "Mittelverwendung – +Bündnis <b>&amp;</b>"
    projects = _rows_by_label(book["Projekte"])
    titles = [row[1].value for row in book["Projekte"].iter_rows(min_row=5)]
    assert "'" + EVIL in titles
    leads = [row[2].value for row in book["Projekte"].iter_rows(min_row=5)]
    assert "'@Träger" in leads
    assert projects  # the table was written
    evil_sheet = next(sheet for sheet in book.worksheets if sheet["A1"].value == "'" + EVIL)
    assert evil_sheet.title.startswith("1 =HYPERLINK(")
    odd_sheet = next(sheet for sheet in book.worksheets if sheet.title.startswith("2 "))
    assert odd_sheet.title == "2 Ab-zu- -Test--- – Fachkräfte…"
    summary_rows = _rows_by_label(book.worksheets[0])
    assert any(label.startswith("'" + EVIL + ":") for label in summary_rows)


def test_sheet_names_are_unique_short_and_valid() -> None:
    used: set[str] = set()
    assert sheet_name("Übersicht", used) == "Übersicht"
    assert sheet_name("übersicht", used) == "übersicht (2)"
    assert sheet_name("'Zitat'", used) == "Zitat"
    long = sheet_name("x" * 40, used)
    assert len(long) == 31 and long.endswith("…")
    again = sheet_name("x" * 40, used)
    assert len(again) == 31 and again.endswith(" (2)") and again != long
    assert sheet_name("a/b\\c[d]e:f*g?h", used) == "a-b-c-d-e-f-g-h"


def test_project_sheets_are_capped_and_the_summary_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fund_report, "MAX_PROJECT_SHEETS", 3)
    view = _hand_built_view([_project(i, f"Projekt {i}", grant=1_000_000 * i, paid=100_000 * i) for i in range(1, 6)])
    book = _workbook(fund_report_xlsx(view, "de", created_on=CREATED))
    assert book.sheetnames[-3:] == ["1 Projekt 5", "2 Projekt 4", "3 Projekt 3"]
    rows = _rows_by_label(book.worksheets[0])
    assert any(label.startswith("Projektblätter nur für die 3 Projekte") and "(von 5)" in label for label in rows)
    table = [row[1].value for row in book["Projekte"].iter_rows(min_row=5)]
    assert table == [f"Projekt {i}" for i in range(5, 0, -1)]  # every project still in the table


def test_english_report_has_english_sheets_and_labels() -> None:
    book = _workbook(fund_report_xlsx(_evil_view(), "en", created_on=CREATED))
    assert book.sheetnames[:7] == [
        "Summary",
        "Timeline",
        "Fund ESF-ESF+",
        "Years",
        "Fields of action",
        "Leads",
        "Projects",
    ]
    rows = _rows_by_label(book.worksheets[0])
    assert {"Budget", "Committed", "Disbursed", "Still free", "As of (reference date)"} <= set(rows)
    assert rows["As of (reference date)"][1].number_format == "dd/mm/yyyy"


def test_a_report_for_a_fund_without_money_is_all_zeros_and_says_why(seeded_engine: Engine) -> None:
    view = _son_view(seeded_engine, funds=("efre",))
    rows = _rows_by_label(_workbook(fund_report_xlsx(view, "de", created_on=CREATED)).worksheets[0])
    assert rows["Fonds"][1].value == "EFRE"
    assert all(_cell_euros(rows[label][1]) == 0 for label in ("Budget", "Bewilligt", "Ausgezahlt", "Noch frei"))
    assert any(label.startswith("Für die gewählten Fonds gibt es bei diesem Bündnis weder") for label in rows)
    pages, text = _pdf_text(fund_report_pdf(view, "de", created_on=CREATED))
    assert pages == 1 and "weder Budget noch Buchungen" in text


# --- PDF ------------------------------------------------------------------------------------------------


def test_pdf_has_the_name_the_german_budget_and_at_most_three_pages(seeded_engine: Engine) -> None:
    view = _son_view(seeded_engine)
    payload = fund_report_pdf(view, "de", created_on=CREATED)
    assert payload.startswith(b"%PDF")
    pages, text = _pdf_text(payload)
    assert 1 <= pages <= 3
    assert view.alliance_name in text
    assert "1.400.000,00 €" in text
    assert formats.money(view.funnel.disbursed_cents, "de", cents=True).replace("\xa0", " ") in text
    assert "Stand (Stichtag)" in text and "30.06.2020" in text and "Erstellt am" in text and "22.11.2026" in text
    assert "Fachkräfte-Cockpit · Stand 30.06.2020" in text and "Seite 1" in text
    assert f"Risiken ({len(view.flags)})" in text
    lagging = view.per_project.filter(pl.col("lag") > 0).sort("lag", descending=True)
    assert lagging.height > 0 and lagging["title"][0] in text.replace("\n", " ")


def test_pdf_escapes_markup_and_stays_within_three_pages_with_many_risks() -> None:
    rows = [
        _project(
            i,
            (f"Projekt {i} & <Kooperation> mit einem sehr langen Titel, " + "der umbricht " * 30)[:300],
            grant=1_000_000,
            paid=0,
        )
        for i in range(1, 41)
    ]
    view = _hand_built_view(rows, name="A & B <Test>")
    assert len(view.flags) > fund_report.PDF_FLAGS
    pages, text = _pdf_text(fund_report_pdf(view, "de", created_on=CREATED))
    assert 1 <= pages <= 3
    assert "Mittelverwendung – A & B <Test>" in text
    assert f"… und {len(view.flags) - fund_report.PDF_FLAGS} weitere" in text
    assert text.count("Projekt ") >= fund_report.PDF_LAGGING


def test_english_pdf() -> None:
    pages, text = _pdf_text(fund_report_pdf(_evil_view(), "en", created_on=CREATED))
    assert pages <= 3 and "Fund use – +Bündnis <b>&amp;</b>" in text and "€" in text and "Page 1" in text


# --- CLI ------------------------------------------------------------------------------------------------


def _run_cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env["COCKPIT_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "report", "funds", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_cli_writes_the_report_with_the_views_numbers(
    seeded_url: str, seeded_engine: Engine, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"mittelverwendung.{fmt}"
    result = _run_cli(seeded_url, "--alliance", SON, "--as-of", "2020-06-30", "--format", fmt, "--out", str(out))
    assert result.returncode == 0, result.stderr
    rules = load_settings({"COCKPIT_DATABASE_URL": seeded_url}).fund_rules
    alliance = queries.alliances(seeded_engine, DEMO_SCOPE).filter(slug=SON).row(0, named=True)
    view = loaders.fund_use_view(seeded_engine, DEMO_SCOPE, alliance, AS_OF, funds=(), rules=rules)
    line = result.stdout.strip().replace("\xa0", " ")
    assert len(line.splitlines()) == 1
    assert str(out) in line and "Stand 30.06.2020" in line and view.alliance_name in line
    assert "Budget 1.400.000,00 €" in line
    assert os.listdir(tmp_path) == [out.name]  # no temporary file left behind
    if fmt == "xlsx":
        rows = _rows_by_label(openpyxl.load_workbook(out).worksheets[0])
        assert rows["Stand (Stichtag)"][1].value == datetime(2020, 6, 30)
        assert _cell_euros(rows["Budget"][1]) == _euros(view.funnel.planned_cents)
        assert _cell_euros(rows["Bewilligt"][1]) == _euros(view.funnel.committed_cents)
        assert _cell_euros(rows["Ausgezahlt"][1]) == _euros(view.funnel.disbursed_cents)
        assert _cell_euros(rows["Prognose Abfluss bis 31.03.2022"][1]) == _euros(view.forecast.forecast_cents)
    else:
        pages, text = _pdf_text(out.read_bytes())
        assert 1 <= pages <= 3
        for cents in (view.funnel.planned_cents, view.funnel.committed_cents, view.funnel.disbursed_cents):
            assert formats.money(cents, "de", cents=True).replace("\xa0", " ") in text


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--alliance", "gibtsnicht"], "--alliance"),
        (["--alliance", SON, "--as-of", "30.06.2020"], "--as-of"),
        (["--alliance", SON, "--as-of", "2020-02-30"], "--as-of"),
        (["--alliance", SON, "--fund", "esf", "--fund", "euro"], "--fund"),
    ],
)
def test_cli_rejects_bad_input_in_one_line_and_writes_nothing(
    seeded_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    option: str,
) -> None:
    for name in [name for name in os.environ if name.startswith("COCKPIT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("COCKPIT_DATABASE_URL", seeded_url)
    out = tmp_path / "bericht.pdf"
    code = cli.main(["report", "funds", *args, "--format", "pdf", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and option in captured.err
    assert "Traceback" not in captured.err
    assert os.listdir(tmp_path) == []


def test_cli_reports_a_fund_the_alliance_lacks_with_zeros_and_a_hint(
    seeded_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [name for name in os.environ if name.startswith("COCKPIT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("COCKPIT_DATABASE_URL", seeded_url)
    out = tmp_path / "efre.xlsx"
    args = ["report", "funds", "--alliance", SON, "--as-of", "2020-06-30", "--fund", "efre", "--format", "xlsx"]
    code = cli.main([*args, "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Hinweis" in captured.err and "EFRE" in captured.err and "ESF/ESF+" in captured.err
    assert "Budget 0,00" in captured.out
    rows = _rows_by_label(openpyxl.load_workbook(out).worksheets[0])
    assert rows["Fonds"][1].value == "EFRE"
    assert _cell_euros(rows["Budget"][1]) == 0 and _cell_euros(rows["Ausgezahlt"][1]) == 0

"""AppTest of the Cockpit overview: renders, KPIs equal an independent computation, follows alliance and URL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from streamlit.testing.v1 import AppTest

NBSP = "\xa0"


def german_euro(value: Decimal) -> str:
    """1234567.8 -> '1.234.567,80 €', written independently of the app's Babel formatting."""
    whole, cents = f"{value:,.2f}".split(".")
    return f"{whole.replace(',', '.')},{cents}{NBSP}€"


def expected_kpis(url: str, slug: str, as_of: date | None = None) -> dict[str, str]:
    """Budget, committed, disbursed and free money of an alliance (booked up to ``as_of``), from the raw rows."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        budget = sum(
            Decimal(str(v)).quantize(Decimal("0.01"))
            for (v,) in connection.execute(
                text("SELECT b.planned_amount FROM budget b JOIN alliance a ON a.id = b.alliance_id WHERE a.slug = :s"),
                {"s": slug},
            )
        )
        sums: dict[str, Decimal] = {"commitment": Decimal(0), "disbursement": Decimal(0)}
        rows = connection.execute(
            text(
                "SELECT f.kind, f.amount, f.entry_date FROM financial_entry f JOIN project p ON p.id = f.project_id "
                "JOIN alliance a ON a.id = p.alliance_id WHERE a.slug = :s"
            ),
            {"s": slug},
        )
        for kind, amount, entry_date in rows:
            booked = date.fromisoformat(str(entry_date)[:10])
            assert booked <= date.today()  # all within the default Stichtag
            if as_of is None or booked <= as_of:
                sums[kind] += Decimal(str(amount)).quantize(Decimal("0.01"))
    engine.dispose()
    return {
        "Virtuelles Budget": german_euro(budget),
        "Bewilligt": german_euro(sums["commitment"]),
        "Ausgezahlt": german_euro(sums["disbursement"]),
        "Noch frei": german_euro(budget - sums["commitment"]),
    }


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def exact_amounts(app: AppTest) -> dict[str, str]:
    """The exact amount each money tile carries in its help text (the tile shows it compact)."""
    return {m.label: m.help.split("  \n")[0].removeprefix("Genau: ") for m in app.metric if m.help.startswith("Genau")}


def test_overview_renders_the_default_alliance_with_correct_kpis(
    seeded_url: str, app_for: Callable[..., AppTest]
) -> None:
    app = app_for(seeded_url).run()
    assert not app.exception
    assert app.title[0].value == "Fachkräftebündnis SüdOstNiedersachsen"
    expected = expected_kpis(seeded_url, "suedostniedersachsen")
    assert exact_amounts(app) == expected
    assert metrics(app)["Virtuelles Budget"] == "1,4 Mio. €"
    assert exact_amounts(app)["Virtuelles Budget"] == f"1.400.000,00{NBSP}€"
    # absorption = disbursed / budget, and the funding period (2019–2021) is over
    absorption = next(m for m in app.metric if m.label == "Mittelabfluss")
    assert absorption.value.endswith(f"{NBSP}%")
    assert len(app.get("plotly_chart")) == 3


def test_changing_the_alliance_changes_the_kpis(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = app_for(seeded_url).run()
    before = metrics(app)
    app.selectbox(key="alliance").set_value("suedwestfalen").run()
    assert not app.exception
    after = metrics(app)
    assert after != before
    assert exact_amounts(app) == expected_kpis(seeded_url, "suedwestfalen")
    assert exact_amounts(app)["Virtuelles Budget"] == f"305.309,80{NBSP}€"  # the documented EFRE grant
    assert app.title[0].value == "Südwestfalen – Modellregion des Willkommens"
    assert app.query_params["alliance"] == "suedwestfalen"  # the address now opens this alliance


def test_url_parameter_opens_the_same_alliance(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = app_for(seeded_url, alliance="landkreis-harz").run()
    assert not app.exception
    assert app.selectbox(key="alliance").value == "landkreis-harz"
    assert app.title[0].value.startswith("Landkreis Harz")
    assert exact_amounts(app)["Virtuelles Budget"] == f"85.000,00{NBSP}€"


def test_reference_date_counts_money_booked_until_that_day(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    as_of = date(2020, 3, 4)
    app = app_for(seeded_url).run()
    app.date_input(key="as_of").set_value(as_of).run()
    assert not app.exception

    expected = expected_kpis(seeded_url, "suedostniedersachsen", as_of)
    assert exact_amounts(app) == expected
    # absorption = disbursed / budget, compared with the elapsed share of 01.01.2019–31.12.2021
    budget, disbursed = Decimal("1400000.00"), _euros(expected["Ausgezahlt"])
    absorption = disbursed / budget
    elapsed = Decimal((as_of - date(2019, 1, 1)).days + 1) / Decimal((date(2021, 12, 31) - date(2019, 1, 1)).days + 1)
    tile = next(m for m in app.metric if m.label == "Mittelabfluss")
    assert tile.value == f"{absorption * 100:.1f}".replace(".", ",") + f"{NBSP}%"
    points = f"{(absorption - elapsed) * 100:.1f}".replace(".", ",")
    assert tile.delta == f"{points} Pp."


def _euros(text: str) -> Decimal:
    return Decimal(text.removesuffix(f"{NBSP}€").replace(".", "").replace(",", "."))


def test_english_ui(seeded_url: str, app_for: Callable[..., AppTest]) -> None:
    app = app_for(seeded_url, lang="en").run()
    assert not app.exception
    shown = metrics(app)
    assert shown["Virtual budget"] == "€1.4M"
    assert next(m.help for m in app.metric if m.label == "Virtual budget") == "Exactly: €1,400,000.00"
    assert "Committed" in shown
    app.selectbox(key="lang").set_value("de").run()
    assert "Virtuelles Budget" in metrics(app)
    assert app.query_params["lang"] == "de"


def test_empty_database_says_what_to_do(tmp_path: Path, app_for: Callable[..., AppTest]) -> None:
    app = app_for(f"sqlite:///{tmp_path / 'empty.sqlite3'}").run()
    assert not app.exception
    assert "Migrationen" in app.warning[0].value
    assert "cockpit db upgrade" in app.code[0].value


def test_bad_configuration_shows_one_message(app_for: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch) -> None:
    app = app_for("postgresql://nobody@127.0.0.1:1/nothing").run()
    assert not app.exception
    assert "COCKPIT_DATABASE_URL" in app.error[0].value


def test_bad_cache_setting_shows_one_message(
    seeded_url: str, app_for: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COCKPIT_CACHE_TTL", "zehn")
    app = app_for(seeded_url).run()
    assert not app.exception
    assert "COCKPIT_CACHE_TTL" in app.error[0].value

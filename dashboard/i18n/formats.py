"""Numbers, money, percentages and dates in the conventions of the UI language (CLDR via Babel)."""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal

import polars as pl
from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.numbers import NumberPattern, format_currency, format_decimal, format_percent, parse_pattern

from dashboard.data_access.money import cents_to_decimal

LOCALES = {"de": "de_DE", "en": "en_GB"}
DATE_PATTERNS = {"de": "dd.MM.yyyy", "en": "dd/MM/yyyy"}


# Babel parses the locale name and the number pattern on every call, three quarters of a call's time: the fund
# page's risk list writes a few hundred numbers a run (46 → 14 µs a percentage). Both parsed once; few of either.
@functools.lru_cache(maxsize=8)
def _locale(language: str) -> Locale:
    return Locale.parse(LOCALES.get(language, LOCALES["de"]))


@functools.lru_cache(maxsize=32)
def _pattern(pattern: str) -> NumberPattern:
    return parse_pattern(pattern)


def money(amount: Decimal | int | None, language: str = "de", *, cents: bool = False) -> str:
    """1.234.567,89 € (de) / €1,234,567.89 (en); ``cents=True`` takes integer cents."""
    if amount is None:
        return "–"
    value = cents_to_decimal(int(amount)) if cents else Decimal(amount)
    return format_currency(value, "EUR", locale=_locale(language))


def money_short(amount_cents: int, language: str = "de") -> str:
    """Compact money for KPI tiles: 1,13 Mio. € / €1.13M below a million exact to the euro."""
    value = cents_to_decimal(amount_cents)
    if abs(value) >= 1_000_000:
        number = format_decimal(value / 1_000_000, format=_pattern("#,##0.0#"), locale=_locale(language))
        return f"{number} Mio. €" if language == "de" else f"€{number}M"
    return format_currency(
        value,
        "EUR",
        format=_pattern("¤#,##0" if language == "en" else "#,##0 ¤"),
        currency_digits=False,
        locale=_locale(language),
    )


def number(value: float | int | Decimal | None, language: str = "de", *, decimals: int = 0) -> str:
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=_pattern(pattern), locale=_locale(language))


def count_expr(expr: pl.Expr, language: str = "de") -> pl.Expr:
    """Whole non-negative counts as text with thousands separators (1.234 / 1,234), for tables mixing text cells."""
    separator = "," if language == "en" else "."
    digits = expr.round(0).cast(pl.Int64).cast(pl.String)
    return digits.str.reverse().str.extract_all(r"\d{1,3}").list.join(separator).str.reverse()


def money_expr(amount_cents: pl.Expr, language: str = "de") -> pl.Expr:
    """Integer cents as money text for a whole column (1.234,56 € / €1,234.56), the way ``money`` writes one."""
    absolute = amount_cents.abs()
    whole = count_expr(absolute // 100, language)
    fraction = (absolute % 100).cast(pl.String).str.zfill(2)
    sign = pl.when(amount_cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    if language == "en":
        return pl.concat_str(sign, pl.lit("€"), whole, pl.lit("."), fraction)
    return pl.concat_str(sign, whole, pl.lit(","), fraction, pl.lit("\u00a0€"))


def day_expr(expr: pl.Expr, language: str = "de") -> pl.Expr:
    """Dates as text for a whole column: 31.12.2025 (de) / 31/12/2025 (en)."""
    return expr.dt.strftime("%d/%m/%Y" if language == "en" else "%d.%m.%Y")


def percent(share: float | None, language: str = "de", *, decimals: int = 1) -> str:
    """A share (0.871) as a percentage: 87,1 %."""
    if share is None:
        return "–"
    # German puts a non-breaking space before the sign; English writes it directly after the number.
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + ("%" if language == "en" else "\u00a0%")
    return format_percent(share, format=_pattern(pattern), locale=_locale(language))


def day(value: date | None, language: str = "de") -> str:
    """31.12.2025 (de) / 31/12/2025 (en)."""
    if value is None:
        return "–"
    return babel_format_date(value, format=DATE_PATTERNS.get(language, DATE_PATTERNS["de"]), locale=_locale(language))


def period(start: date, end: date, language: str = "de") -> str:
    return f"{day(start, language)} – {day(end, language)}"

"""Units of indicators: which are rates (averaged, never summed) and how they read in a tile."""

from __future__ import annotations

import re

import polars as pl

# Rates and shares ("%", "Prozent", "je 1 000 Einwohner") are averaged weighted by population, never summed.
RATE_UNITS = frozenset({"%", "prozent", "‰", "promille", "quote", "anteil"})
PER_PATTERN = r"(^|\s)je\s"
PERCENT_UNITS = frozenset({"%", "prozent"})


def is_rate(unit: str | None) -> bool:
    text = (unit or "").strip().lower()
    return text in RATE_UNITS or re.search(PER_PATTERN, text) is not None


def is_rate_unit(unit: pl.Expr) -> pl.Expr:
    """The same rule as ``is_rate``, as a Polars expression."""
    text = unit.fill_null("").str.strip_chars().str.to_lowercase()
    return text.is_in(list(RATE_UNITS)) | text.str.contains(PER_PATTERN)


def short_unit(unit: str | None) -> str:
    """ "Prozent" reads "%" next to a number (GENESIS spells it out); other units stay as they are."""
    text = (unit or "").strip()
    return "%" if text.lower() in PERCENT_UNITS else text

"""Exact money in SQL and Polars: sums as integer cents on every database, Decimal at the edges.

SQLite has no decimal type and stores NUMERIC(14, 2) values as doubles. Every stored value is still the
nearest double to a two-decimal amount, so ``ROUND(amount * 100)`` recovers its exact cents; summing
integer cents is then exact on SQLite and PostgreSQL alike (PostgreSQL's NUMERIC is exact anyway).
Frames therefore carry money as Int64 ``*_cents`` columns; ``cents_to_decimal`` converts at the edges.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, cast, func

CENT = Decimal("0.01")


def cents(column: Any) -> ColumnElement[int]:
    """A row's money column as exact integer cents."""
    return cast(func.round(column * 100), BigInteger)


def sum_cents(column: Any) -> ColumnElement[int]:
    """SUM of a money column as exact integer cents (0 for no rows)."""
    return func.coalesce(func.sum(cents(column)), 0)


def cents_to_decimal(value: int | None) -> Decimal:
    """Integer cents to a two-decimal Decimal (None counts as 0)."""
    return (Decimal(int(value or 0)) / 100).quantize(CENT)


def decimal_to_cents(value: Decimal) -> int:
    return int((value * 100).to_integral_exact())

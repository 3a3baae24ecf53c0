"""What every write service shares: field errors, validation failures and the optimistic-locking conflict."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from dashboard.i18n import formats, t


@dataclass(frozen=True)
class FieldError:
    """A problem with one field of a form (or one cell of an import): message key under ``writes.`` and params."""

    field: str
    key: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def text(self, language: str = "de") -> str:
        return t(f"writes.{self.key}", language, **localised(self.params, language))


def localised(params: dict[str, Any], language: str) -> dict[str, Any]:
    """Message parameters in the language's conventions: Decimal amounts as money, dates as days."""
    return {
        name: formats.money(value, language)
        if isinstance(value, Decimal)
        else formats.day(value, language)
        if isinstance(value, date) and not isinstance(value, datetime)
        else value
        for name, value in params.items()
    }


class ValidationFailed(Exception):
    """The input breaks a rule; nothing was written. ``errors`` name each field and what is wrong with it."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{error.field}: {error.key}" for error in errors))
        self.errors = errors

    def for_field(self, name: str) -> list[FieldError]:
        return [error for error in self.errors if error.field == name]


@dataclass(frozen=True)
class Change:
    """One field someone else changed since the record was opened."""

    field: str
    opened: Any  # the value when this user opened the record
    saved: Any  # the value someone else has saved since


class StaleEdit(Exception):
    """Optimistic locking: the record was saved by someone else after it was opened; nothing was overwritten."""

    def __init__(self, table: str, record_id: object, *, expected: int, current: int, changes: list[Change]) -> None:
        super().__init__(f"{table} {record_id}: opened at version {expected}, now at {current}")
        self.table = table
        self.record_id = record_id
        self.expected = expected
        self.current = current
        self.changes = changes


class NotFound(Exception):
    """The record does not exist (or is not visible to the scope)."""

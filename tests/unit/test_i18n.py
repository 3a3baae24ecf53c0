"""Message catalogues are complete in both languages and every key used in code exists; formats are German."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from dashboard.data_access.vocabulary import EntryKind, Fund, MemberType, ProjectStatus
from dashboard.i18n import LANGUAGES, catalog, formats, label, t

SOURCE = Path(__file__).resolve().parents[2] / "dashboard"


def test_catalogues_have_the_same_keys() -> None:
    assert set(catalog("de")) == set(catalog("en"))


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_vocabulary_code_has_a_label(language: str) -> None:
    for kind, vocabulary in (
        ("status", ProjectStatus),
        ("member_type", MemberType),
        ("fund", Fund),
        ("entry_kind", EntryKind),
    ):
        for code in vocabulary:
            assert f"{kind}.{code.value}" in catalog(language), f"{language}: {kind}.{code.value}"


def test_every_literal_key_used_in_the_code_exists() -> None:
    used = set()
    for path in SOURCE.rglob("*.py"):
        used |= set(re.findall(r"\bt\(\s*[\"']([a-z_.]+)[\"']", path.read_text(encoding="utf-8")))
    assert used, "no t() calls found"
    missing = sorted(key for key in used if key not in catalog("de"))
    assert missing == []


def test_placeholders_are_filled_and_unknown_keys_fail() -> None:
    assert t("overview.projects_title", "de", count=13) == "Projekte nach Status (13)"
    assert t("overview.projects_title", "en", count=13) == "Projects by status (13)"
    assert label("status", "zurueckgezogen", "de") == "Zurückgezogen"
    with pytest.raises(KeyError):
        t("does.not.exist")


def test_german_formats() -> None:
    nbsp = "\xa0"
    assert formats.money(Decimal("1234567.89")) == f"1.234.567,89{nbsp}€"
    assert formats.money(123456789, cents=True) == f"1.234.567,89{nbsp}€"
    assert formats.day(date(2025, 12, 31)) == "31.12.2025"
    assert formats.percent(0.8712) == f"87,1{nbsp}%"
    assert formats.number(4044) == "4.044"
    assert formats.money_short(140_000_000) == "1,4 Mio. €"


def test_english_formats() -> None:
    assert formats.money(Decimal("1234567.89"), "en") == "€1,234,567.89"
    assert formats.day(date(2025, 12, 31), "en") == "31/12/2025"
    assert formats.percent(0.8712, "en") == "87.1%"

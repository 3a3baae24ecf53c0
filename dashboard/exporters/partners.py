"""The partner table to take away (CSV, XLSX): readable headers, type labels, exact euros, formulas neutralised."""

from __future__ import annotations

import polars as pl

from dashboard.data_access.vocabulary import MemberType
from dashboard.exporters.tables import csv_bytes, euros, xlsx_bytes
from dashboard.i18n import label, t


def partner_table(partners: pl.DataFrame, language: str) -> pl.DataFrame:
    """One row per partner: counts as integers, money as Decimal euros (empty where hidden), last activity a date."""
    codes = [member_type.value for member_type in MemberType]
    names = [label("member_type", code, language) for code in codes]
    return partners.select(
        pl.col("name").alias(t("partners.col.organisation", language)),
        pl.col("member_type")
        .replace_strict(codes, names, default=pl.col("member_type"))
        .alias(t("partners.col.type", language)),
        pl.col("region_name").alias(t("partners.col.region", language)),
        pl.col("projects_led").alias(t("partners.col.led", language)),
        pl.col("projects_joined").alias(t("partners.col.joined", language)),
        euros("approved_led_cents").alias(t("partners.col.approved_led", language)),
        euros("cofinancing_cents").alias(t("partners.col.cofinancing", language)),
        pl.col("applications_assessed").alias(t("partners.col.assessed", language)),
        pl.col("last_activity").alias(t("partners.col.last_activity", language)),
    )


def partners_csv(partners: pl.DataFrame, language: str) -> bytes:
    return csv_bytes(partner_table(partners, language))


def partners_xlsx(partners: pl.DataFrame, language: str, *, title: str, notes: tuple[str, ...]) -> bytes:
    return xlsx_bytes(partner_table(partners, language), t("partners.export.sheet", language), title=title, notes=notes)

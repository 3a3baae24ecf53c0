"""The three bulk imports (projects, financial entries, indicator values) and their canonical columns.

File readers (importers/bulk.py) map a template's German or English headers onto these names and hand every cell
over as text, with the file's line number in ``line``; the import service (data_access/bulk_import.py) parses,
validates and writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BulkKind(StrEnum):
    PROJECTS = "projekte"
    ENTRIES = "finanzen"
    VALUES = "werte"


@dataclass(frozen=True)
class BulkColumn:
    name: str  # canonical name
    required: bool  # the column must be present (a cell may still be empty where the rules allow)


BULK_COLUMNS: dict[BulkKind, tuple[BulkColumn, ...]] = {
    BulkKind.PROJECTS: (
        BulkColumn("title", True),  # unique within the alliance: the key that decides new or changed
        BulkColumn("lead", True),  # name of the lead partner organisation
        BulkColumn("status", True),  # code or German/English label
        BulkColumn("fund", True),  # code or label
        BulkColumn("start_date", False),  # 31.12.2025 or 2025-12-31
        BulkColumn("end_date", False),
        BulkColumn("total_cost", False),  # 1.234,56 or 1234.56
        BulkColumn("requested_grant", False),
        BulkColumn("approved_grant", False),
        BulkColumn("partners", False),  # partner organisation names separated by ";"
        BulkColumn("topics", False),  # Handlungsfeld names separated by ";"
        BulkColumn("kreise", False),  # AGS separated by ";"
        BulkColumn("description", False),
    ),
    BulkKind.ENTRIES: (
        BulkColumn("project", True),  # project title
        BulkColumn("entry_date", True),
        BulkColumn("kind", True),  # Bewilligung / Auszahlung (or commitment / disbursement)
        BulkColumn("amount", True),
        BulkColumn("fund", True),
        BulkColumn("note", False),
    ),
    BulkKind.VALUES: (
        BulkColumn("project", True),  # project title
        BulkColumn("indicator", True),  # indicator code, e.g. EECO01
        BulkColumn("period_end", True),
        BulkColumn("value", True),
        BulkColumn("dimensions", False),  # breakdown such as "sex=w" (empty: total)
        BulkColumn("cumulative", False),  # ja / nein
    ),
}

LINE = "line"  # the 1-based line (CSV) or row (XLSX) number of each record in the file, header = 1

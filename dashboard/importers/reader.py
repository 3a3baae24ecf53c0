"""The one entry point of the importers: detect a file's format and parse it."""

from __future__ import annotations

from dashboard.importers.flat import is_flat_header, parse_flat
from dashboard.importers.genesis import parse_genesis_table
from dashboard.importers.model import ImportFormat, ParsedImport
from dashboard.importers.template import is_template_header, parse_template
from dashboard.importers.values import decode


def detect_format(text: str) -> ImportFormat:
    """ffcsv and the template by their header line; anything else is read as a GENESIS table."""
    first_line = text.split("\n", 1)[0].strip().strip("\r")
    if is_flat_header(first_line):
        return ImportFormat.GENESIS_FLAT
    if is_template_header(first_line):
        return ImportFormat.TEMPLATE
    return ImportFormat.GENESIS_TABLE


def read_file(data: bytes, filename: str, *, format: ImportFormat | None = None) -> ParsedImport:
    """Detect the format (unless given) and parse.

    Raises FileFormatError listing every problem (capped at 20 issues) with line and column.
    """
    text = decode(data)
    chosen = format or detect_format(text)
    if chosen is ImportFormat.GENESIS_FLAT:
        return parse_flat(text, filename)
    if chosen is ImportFormat.TEMPLATE:
        return parse_template(text, filename)
    return parse_genesis_table(text, filename)

"""File formats in: official statistics exports (GENESIS table CSV, flat-file CSV) and the long-format template."""

from dashboard.importers.model import FileFormatError, ImportFormat, ImportIssue, ParsedImport
from dashboard.importers.reader import detect_format, read_file

__all__ = ["FileFormatError", "ImportFormat", "ImportIssue", "ParsedImport", "detect_format", "read_file"]

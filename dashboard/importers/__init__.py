"""File formats in: official statistics exports (GENESIS table CSV, flat-file CSV) and the long-format template."""

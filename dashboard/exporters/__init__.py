"""File formats out: CSV and XLSX that German spreadsheets open correctly, with formulas neutralised."""

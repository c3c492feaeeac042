"""History import from CSV (comma or semicolon) and Excel (.xlsx) files, wide or long format."""
